#include "task/task.hpp"

#include <array>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>

#include "error.hpp"
#include "task/ffi_call.hpp"
#include "task/library.hpp"

namespace mproc::core::task {

namespace {

constexpr std::size_t kMaxName = 4096;
constexpr const char *kFunctionSignature = "i(p)";

// A name for a message: long ones (up to 4096 bytes, or a rejected longer one) cut short.
std::string shorten(const std::string &value) {
    return value.size() > 64 ? value.substr(0, 64) + "..." : value;
}

// `label` is "task '<library>:<symbol>'", for the messages.
void check_name(const std::string &value, const char *what, bool allow_empty,
                const std::string &label) {
    if (value.size() > kMaxName) {
        throw Error(kTooBig, label + ": " + what + " of " + std::to_string(value.size()) +
                                 " bytes (at most " + std::to_string(kMaxName) + ")");
    }
    if (!allow_empty && value.empty()) {
        throw Error(kInvalid, label + ": empty " + what);
    }
    if (value.find('\0') != std::string::npos) {
        throw Error(kInvalid, label + ": " + what + " contains a NUL");
    }
}

// ---- The encoding ---------------------------------------------------------------------
// All integers little-endian, fixed width; every string length-prefixed (u64):
//
//   "MPTK"  u8 version (1)  u8 form (0 = function, 1 = reference)
//   form 0: u64 function pointer, u64 argument pointer
//   form 1: str library, str symbol, str signature, u8 count,
//           count x (u8 code, then i64 | u64 | f64 bits | str by the code's kind)
//
// and nothing after. Decoding rebuilds the task through reference() and add_*, so a
// decoded task passed the same checks as one built by hand.
constexpr char kMagic[4] = {'M', 'P', 'T', 'K'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFunctionForm = 0;
constexpr std::uint8_t kReferenceForm = 1;

void put_u8(std::string &out, std::uint8_t v) {
    out.push_back(static_cast<char>(v));
}

void put_u64(std::string &out, std::uint64_t v) {
    for (int shift = 0; shift < 64; shift += 8)
        out.push_back(static_cast<char>(v >> shift));
}

void put_str(std::string &out, const std::string &s) {
    put_u64(out, s.size());
    out += s;
}

// Reads the encoding front to back; every read checks what is left first.
class Reader {
  public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    std::uint8_t u8(const char *what) {
        need(1, what);
        return static_cast<std::uint8_t>(bytes_[at_++]);
    }
    std::uint64_t u64(const char *what) {
        need(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes_[at_ + i])) << (8 * i);
        }
        at_ += 8;
        return v;
    }
    std::string_view str(const char *what) {
        const std::uint64_t len = u64(what);
        if (len > bytes_.size() - at_) {
            throw malformed(std::string(what) + " of " + std::to_string(len) + " bytes, " +
                            std::to_string(bytes_.size() - at_) + " left");
        }
        std::string_view s = bytes_.substr(at_, static_cast<std::size_t>(len));
        at_ += static_cast<std::size_t>(len);
        return s;
    }
    void magic() {
        need(sizeof kMagic, "magic");
        if (std::memcmp(bytes_.data(), kMagic, sizeof kMagic) != 0) {
            throw malformed("not a task (bad magic)");
        }
        at_ += sizeof kMagic;
    }
    void end() const {
        if (at_ != bytes_.size()) {
            throw malformed(std::to_string(bytes_.size() - at_) + " bytes after the task");
        }
    }
    Error malformed(const std::string &what) const {
        return Error(kInvalid, "task encoding (" + std::to_string(bytes_.size()) +
                                   " bytes): " + what + " at offset " + std::to_string(at_));
    }

  private:
    void need(std::size_t n, const char *what) const {
        if (bytes_.size() - at_ < n) throw malformed(std::string("truncated in the ") + what);
    }
    std::string_view bytes_;
    std::size_t at_ = 0;
};

}  // namespace

// Lock-free, so that no lock is ever held across dlopen(): a fork() in another thread must
// not leave a child with a cache it can never fill. Two threads may both prepare the call;
// the first to publish wins and the other drops its copy.
struct Task::CallCache {
    std::atomic<const PreparedCall *> prepared{nullptr};  // owned; set once

    CallCache() = default;
    CallCache(const CallCache &) = delete;
    CallCache &operator=(const CallCache &) = delete;
    ~CallCache() { std::unique_ptr<const PreparedCall> owned(prepared.load()); }
};

const PreparedCall &Task::prepared() const {
    if (const PreparedCall *ready = cache_->prepared.load(std::memory_order_acquire)) {
        return *ready;
    }
    auto made = std::make_unique<const PreparedCall>(find_symbol(library_, symbol_, where()),
                                                     parsed_, where());
    const PreparedCall *expected = nullptr;
    // Release publishes the prepared object to the threads that load it with acquire.
    if (cache_->prepared.compare_exchange_strong(expected, made.get(), std::memory_order_acq_rel,
                                                 std::memory_order_acquire)) {
        return *made.release();
    }
    return *expected;
}

Task Task::reference(std::string library, std::string symbol, std::string signature) {
    const std::string label = "task '" + shorten(library) + ":" + shorten(symbol) + "'";
    check_name(library, "library name", true, label);
    check_name(symbol, "symbol name", false, label);
    Task task;
    task.library_ = std::move(library);
    task.symbol_ = std::move(symbol);
    task.parsed_ = parse_signature(signature, task.where());
    task.signature_ = std::move(signature);
    task.cache_ = std::make_shared<CallCache>();
    return task;
}

Task Task::function(TaskFunction fn, void *arg) {
    if (fn == nullptr) throw Error(kInvalid, "task: function is NULL");
    Task task;
    task.fn_ = fn;
    task.arg_ = arg;
    task.signature_ = kFunctionSignature;
    task.parsed_.result = 'i';
    return task;
}

bool Task::is_function() const noexcept {
    return fn_ != nullptr;
}

const std::string &Task::signature() const noexcept {
    return signature_;
}

std::string Task::name() const {
    if (is_function()) {
        char text[64];
        std::snprintf(text, sizeof text, "function %p(%p)", reinterpret_cast<void *>(fn_), arg_);
        return text;
    }
    return library_.empty() ? symbol_ : library_ + ":" + symbol_;
}

std::string Task::where() const {
    return "task '" + name() + "'";
}

char Task::next_code(ValueKind kind) const {
    if (is_function()) {
        throw Error(kInvalid, where() + ": a function-pointer task takes no arguments");
    }
    if (args_.size() == parsed_.args.size()) {
        throw Error(kInvalid, where() + ": signature \"" + signature_ + "\" takes " +
                                  std::to_string(parsed_.args.size()) +
                                  " argument(s), all given already");
    }
    const char code = parsed_.args[args_.size()];
    const CodeInfo *info = find_code(code);
    if (info->kind != kind) {
        throw Error(kInvalid, where() + ": argument " + std::to_string(args_.size() + 1) +
                                  " of \"" + signature_ + "\" is " + describe_code(code) + " (" +
                                  info->c_type + ") and takes " + describe_kind(info->kind) +
                                  ", not " + describe_kind(kind));
    }
    return code;
}

void Task::add_int(long long value) {
    const char code = next_code(ValueKind::kSigned);
    const CodeInfo *info = find_code(code);
    if (value < info->min || value > static_cast<long long>(info->max)) {
        throw Error(kTooBig, where() + ": argument " + std::to_string(args_.size() + 1) + " (" +
                                 info->c_type + "): " + std::to_string(value) +
                                 " is out of range [" + std::to_string(info->min) + ", " +
                                 std::to_string(info->max) + "]");
    }
    Argument arg;
    arg.code = code;
    arg.i = value;
    args_.push_back(std::move(arg));
}

void Task::add_uint(unsigned long long value) {
    const char code = next_code(ValueKind::kUnsigned);
    const CodeInfo *info = find_code(code);
    if (value > info->max) {
        throw Error(kTooBig, where() + ": argument " + std::to_string(args_.size() + 1) + " (" +
                                 info->c_type + "): " + std::to_string(value) +
                                 " is out of range [0, " + std::to_string(info->max) + "]");
    }
    Argument arg;
    arg.code = code;
    arg.u = value;
    args_.push_back(std::move(arg));
}

void Task::add_double(double value) {
    const char code = next_code(ValueKind::kFloat);
    // A finite double beyond float's range has no float value (converting it is undefined
    // behaviour); infinities and NaN carry over.
    if (code == 'f' && std::isfinite(value) && std::fabs(value) > FLT_MAX) {
        throw Error(kTooBig, where() + ": argument " + std::to_string(args_.size() + 1) +
                                 " (float): " + std::to_string(value) +
                                 " is beyond the range of a float");
    }
    Argument arg;
    arg.code = code;
    arg.d = value;
    args_.push_back(std::move(arg));
}

void Task::add_string(std::string_view value) {
    const char code = next_code(ValueKind::kString);
    if (value.find('\0') != std::string_view::npos) {
        throw Error(kInvalid, where() + ": argument " + std::to_string(args_.size() + 1) +
                                  " (a C string) contains a NUL");
    }
    Argument arg;
    arg.code = code;
    arg.bytes.assign(value.data(), value.size());
    args_.push_back(std::move(arg));
}

void Task::add_bytes(const void *data, std::size_t len) {
    const char code = next_code(ValueKind::kBytes);
    if (data == nullptr && len > 0) {
        throw Error(kInvalid, where() + ": argument " + std::to_string(args_.size() + 1) +
                                  ": NULL data with a length of " + std::to_string(len));
    }
    Argument arg;
    arg.code = code;
    if (len > 0) arg.bytes.assign(static_cast<const char *>(data), len);
    args_.push_back(std::move(arg));
}

void Task::clear_args() noexcept {
    args_.clear();
}

bool Task::complete() const noexcept {
    return is_function() || args_.size() == parsed_.args.size();
}

void Task::check() const {
    if (is_function()) return;
    prepared();
}

Result Task::call() const {
    if (is_function()) {
        Result result;
        result.type = 'i';
        result.i = fn_(arg_);
        return result;
    }
    if (!complete()) {
        throw Error(kInvalid, where() + ": " + std::to_string(args_.size()) + " of the " +
                                  std::to_string(parsed_.args.size()) + " arguments of \"" +
                                  signature_ + "\" given");
    }
    const PreparedCall &call = prepared();
    try {
        return call.call(args_);
    } catch (const Error &e) {
        // The hot path builds no label: the task's name joins the message here.
        throw Error(e.status(), where() + ": " + e.what());
    }
}

std::string Task::encode() const {
    std::string out(kMagic, sizeof kMagic);
    put_u8(out, kVersion);
    if (is_function()) {
        put_u8(out, kFunctionForm);
        put_u64(out, reinterpret_cast<std::uintptr_t>(fn_));
        put_u64(out, reinterpret_cast<std::uintptr_t>(arg_));
        return out;
    }
    put_u8(out, kReferenceForm);
    put_str(out, library_);
    put_str(out, symbol_);
    put_str(out, signature_);
    put_u8(out, static_cast<std::uint8_t>(args_.size()));
    for (const Argument &arg : args_) {
        put_u8(out, static_cast<std::uint8_t>(arg.code));
        switch (find_code(arg.code)->kind) {
            case ValueKind::kSigned:
                put_u64(out, static_cast<std::uint64_t>(arg.i));
                break;
            case ValueKind::kUnsigned:
                put_u64(out, arg.u);
                break;
            case ValueKind::kFloat: {
                std::uint64_t bits;
                static_assert(sizeof bits == sizeof arg.d);
                std::memcpy(&bits, &arg.d, sizeof bits);
                put_u64(out, bits);
                break;
            }
            case ValueKind::kString:
            case ValueKind::kBytes:
                put_str(out, arg.bytes);
                break;
            case ValueKind::kVoid:
                break;
        }
    }
    return out;
}

// A pool worker decodes one task after another, mostly of the same few functions: the last
// few references this thread decoded are kept, without arguments, so that a repeat costs a
// copy (which shares the prepared call) instead of a signature parse, a dlsym and an
// ffi_prep_cif. Per thread: no lock, so a fork() cannot leave it locked.
Task Task::recent_reference(std::string_view library, std::string_view symbol,
                            std::string_view signature) {
    struct Entry {
        std::string library, symbol, signature;
        std::optional<Task> task;
    };
    constexpr std::size_t kEntries = 8;
    // On the heap: this library's static TLS must stay small (process_identity.hpp).
    thread_local std::unique_ptr<std::array<Entry, kEntries>> cache;
    thread_local std::size_t next = 0;
    if (!cache) cache = std::make_unique<std::array<Entry, kEntries>>();
    std::array<Entry, kEntries> &recent = *cache;
    for (Entry &e : recent) {
        if (e.task && e.symbol == symbol && e.library == library && e.signature == signature) {
            return *e.task;
        }
    }
    Task task = reference(std::string(library), std::string(symbol), std::string(signature));
    Entry &e = recent[next++ % kEntries];
    e.task.reset();  // a throwing copy below leaves the entry empty, never half-filled
    e.library = library;
    e.symbol = symbol;
    e.signature = signature;
    e.task = task;
    return task;
}

Task Task::decode(std::string_view bytes) {
    Reader in(bytes);
    in.magic();
    const std::uint8_t version = in.u8("version");
    if (version != kVersion) {
        throw in.malformed("format version " + std::to_string(version) + ", this build reads " +
                           std::to_string(kVersion));
    }
    const std::uint8_t form = in.u8("form");
    if (form == kFunctionForm) {
        const std::uint64_t fn = in.u64("function pointer");
        const std::uint64_t arg = in.u64("argument pointer");
        in.end();
        if (fn == 0) throw in.malformed("NULL function pointer");
        if (fn > std::numeric_limits<std::uintptr_t>::max() ||
            arg > std::numeric_limits<std::uintptr_t>::max()) {
            throw in.malformed("pointer wider than this machine's");
        }
        return function(reinterpret_cast<TaskFunction>(static_cast<std::uintptr_t>(fn)),
                        reinterpret_cast<void *>(static_cast<std::uintptr_t>(arg)));
    }
    if (form != kReferenceForm) throw in.malformed("unknown form " + std::to_string(form));
    // The parts are checked by reference() and add_*, whose errors say what is wrong;
    // here every one of them means malformed input.
    try {
        const std::string_view library = in.str("library");
        const std::string_view symbol = in.str("symbol");
        const std::string_view signature = in.str("signature");
        Task task = recent_reference(library, symbol, signature);
        const std::uint8_t count = in.u8("argument count");
        if (count > task.parsed_.args.size()) {
            throw in.malformed(std::to_string(count) + " arguments for \"" + task.signature_ +
                               "\"");
        }
        for (std::uint8_t n = 0; n < count; ++n) {
            const char code = static_cast<char>(in.u8("argument code"));
            if (code != task.parsed_.args[n]) {
                throw in.malformed("argument " + std::to_string(n + 1) + " has code " +
                                   describe_code(code) + ", the signature says " +
                                   describe_code(task.parsed_.args[n]));
            }
            switch (find_code(code)->kind) {
                case ValueKind::kSigned:
                    task.add_int(static_cast<long long>(in.u64("integer argument")));
                    break;
                case ValueKind::kUnsigned:
                    task.add_uint(in.u64("integer argument"));
                    break;
                case ValueKind::kFloat: {
                    const std::uint64_t bits = in.u64("floating-point argument");
                    double value;
                    std::memcpy(&value, &bits, sizeof value);
                    task.add_double(value);
                    break;
                }
                case ValueKind::kString:
                    task.add_string(in.str("string argument"));
                    break;
                case ValueKind::kBytes: {
                    const std::string_view b = in.str("bytes argument");
                    task.add_bytes(b.data(), b.size());
                    break;
                }
                case ValueKind::kVoid:
                    throw in.malformed("void argument");
            }
        }
        in.end();
        return task;
    } catch (const Error &e) {
        if (e.status() == kInvalid) throw;
        throw Error(kInvalid, std::string("task encoding: ") + e.what());
    }
}

int exit_code_of(const Result &result) noexcept {
    const CodeInfo *info = find_code(result.type);
    if (info == nullptr) return 0;
    if (info->kind == ValueKind::kSigned) return static_cast<int>(result.i & 0xff);
    if (info->kind == ValueKind::kUnsigned) return static_cast<int>(result.u & 0xff);
    return 0;
}

}  // namespace mproc::core::task
