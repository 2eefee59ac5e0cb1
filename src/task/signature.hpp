// A task's signature ("d(di)": result code, then the argument codes in parentheses), parsed
// and checked once, and what each code means in C. The grammar is mproc.h's ("Tasks").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mproc::core::task {

inline constexpr std::size_t kMaxArgs = 16;

// What kind of value a code takes or gives, which picks the add_* call that fills it and
// the Result field that reports it.
enum class ValueKind { kVoid, kSigned, kUnsigned, kFloat, kString, kBytes };

struct CodeInfo {
    char code;
    ValueKind kind;
    const char *c_type;  // "unsigned short", for messages
    // Integers only: the C type's range (as long long / unsigned long long).
    long long min;
    unsigned long long max;
    bool result_only;  // 'v', 'S', 'Y'
    bool malloced;     // 'S', 'Y': the caller of the function frees the result
};

// The description of `code`, or nullptr for a code that is not in the grammar.
const CodeInfo *find_code(char code) noexcept;

// A code for an error message: "'x'" if printable, else "0x01".
std::string describe_code(char code);

// "an int", "a string"... for "expects <this>".
const char *describe_kind(ValueKind kind) noexcept;

struct Signature {
    char result = 'v';
    std::vector<char> args;
};

// Parses `text`. Throws Error(kInvalid) naming `task` and where it went wrong, kTooBig for
// more than kMaxArgs arguments.
Signature parse_signature(std::string_view text, const std::string &task);

}  // namespace mproc::core::task
