#include "task/signature.hpp"

#include <sys/types.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <limits>

#include "error.hpp"

namespace mproc::core::task {

namespace {

template <typename T>
constexpr CodeInfo integer(char code, const char *c_type) {
    return CodeInfo{code,
                    std::numeric_limits<T>::is_signed ? ValueKind::kSigned : ValueKind::kUnsigned,
                    c_type,
                    static_cast<long long>(std::numeric_limits<T>::min()),
                    static_cast<unsigned long long>(std::numeric_limits<T>::max()),
                    false,
                    false};
}

constexpr CodeInfo other(char code, ValueKind kind, const char *c_type, bool result_only = false,
                         bool malloced = false) {
    return CodeInfo{code, kind, c_type, 0, 0, result_only, malloced};
}

constexpr CodeInfo kCodes[] = {
    other('v', ValueKind::kVoid, "void", true),
    integer<signed char>('b', "signed char"),
    integer<unsigned char>('B', "unsigned char"),
    integer<short>('h', "short"),
    integer<unsigned short>('H', "unsigned short"),
    integer<int>('i', "int"),
    integer<unsigned int>('I', "unsigned int"),
    integer<long>('l', "long"),
    integer<unsigned long>('L', "unsigned long"),
    integer<long long>('q', "long long"),
    integer<unsigned long long>('Q', "unsigned long long"),
    integer<ssize_t>('n', "ssize_t"),
    integer<std::size_t>('N', "size_t"),
    other('f', ValueKind::kFloat, "float"),
    other('d', ValueKind::kFloat, "double"),
    other('s', ValueKind::kString, "const char *"),
    other('y', ValueKind::kBytes, "bytes (const void *, size_t)"),
    other('S', ValueKind::kString, "char * (malloc'ed)", true, true),
    other('Y', ValueKind::kBytes, "bytes (malloc'ed)", true, true),
};

}  // namespace

const CodeInfo *find_code(char code) noexcept {
    for (const CodeInfo &info : kCodes) {
        if (info.code == code) return &info;
    }
    return nullptr;
}

std::string describe_code(char code) {
    const auto byte = static_cast<unsigned char>(code);
    if (std::isprint(byte) != 0) return std::string("'") + code + "'";
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", byte);
    return hex;
}

const char *describe_kind(ValueKind kind) noexcept {
    switch (kind) {
        case ValueKind::kVoid:
            return "nothing";
        case ValueKind::kSigned:
            return "a signed integer";
        case ValueKind::kUnsigned:
            return "an unsigned integer";
        case ValueKind::kFloat:
            return "a floating-point number";
        case ValueKind::kString:
            return "a string";
        case ValueKind::kBytes:
            return "bytes";
    }
    return "?";
}

Signature parse_signature(std::string_view text, const std::string &task) {
    // Parsing stops at the first error, so a long one is shown by its start only.
    const std::string shown =
        text.size() > 64 ? std::string(text.substr(0, 64)) + "..." : std::string(text);
    const auto invalid = [&](std::size_t at, const std::string &what) {
        return Error(kInvalid, task + ": signature \"" + shown + "\": " + what + " at position " +
                                   std::to_string(at) +
                                   " (expected a result code then the argument codes in "
                                   "parentheses, like \"d(di)\")");
    };
    if (text.empty()) {
        throw Error(kInvalid, task +
                                  ": empty signature (expected a result code then the "
                                  "argument codes in parentheses, like \"d(di)\")");
    }
    Signature sig;
    const CodeInfo *result = find_code(text[0]);
    if (result == nullptr) throw invalid(0, describe_code(text[0]) + " is not a result code");
    sig.result = text[0];
    if (text.size() < 2 || text[1] != '(') throw invalid(1, "no '(' after the result code");
    std::size_t at = 2;
    for (; at < text.size() && text[at] != ')'; ++at) {
        const CodeInfo *arg = find_code(text[at]);
        if (arg == nullptr || arg->result_only) {
            throw invalid(at, describe_code(text[at]) + " is not an argument code");
        }
        if (sig.args.size() == kMaxArgs) {
            throw Error(kTooBig, task + ": signature \"" + shown + "\" has more than " +
                                     std::to_string(kMaxArgs) + " arguments");
        }
        sig.args.push_back(text[at]);
    }
    if (at == text.size()) throw invalid(at, "no ')' closing the arguments");
    if (at + 1 != text.size()) throw invalid(at + 1, "characters after the ')'");
    return sig;
}

}  // namespace mproc::core::task
