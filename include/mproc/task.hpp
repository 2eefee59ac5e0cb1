// mproc/task.hpp -- mproc::Task, what a process or a thread runs: a function pointer with a
// void* argument, or a task reference (library, symbol, signature and arguments) that any
// process can load and call, the way Python pickles a function by module and name; and
// mproc::task_result, the copied result of one call.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"

namespace mproc {

// Bytes for a 'y' argument of a task reference: `size` bytes at `data` (copied into the
// task when added). `mproc::bytes_view{buf.data(), buf.size()}`; data may be nullptr only
// with size 0.
struct bytes_view {
    const void *data = nullptr;
    std::size_t size = 0;
};

// The result of one call of a task, copied out of the C ABI's mproc_result_t so that it
// outlives the task, the thread or the call that produced it. type() is the result code of
// the signature: 'i' for a function-pointer task, 'v' for none, else one of b h i l q n
// (signed: as_int), B H I L Q N (unsigned: as_uint), f d (as_double), s S (a string) and
// y Y (bytes; both as_string). A default-constructed result is 'v'.
class task_result {
  public:
    task_result() noexcept = default;

    // Copies `r` (including the string or bytes its data points to).
    explicit task_result(const mproc_result_t &r)
        : type_(r.type),
          i_(r.i),
          u_(r.u),
          d_(r.d),
          null_(is_text_code(r.type) && r.data == nullptr),
          data_(r.data != nullptr ? std::string(static_cast<const char *>(r.data), r.len)
                                  : std::string()) {}

    // The result code of the task's signature ('i', 'd', 's', 'v'...).
    char type() const noexcept { return type_; }

    // Which accessor fits this result's type().
    bool is_void() const noexcept { return type_ == 'v'; }
    bool is_int() const noexcept { return is_signed_code(type_); }
    bool is_uint() const noexcept { return is_unsigned_code(type_); }
    bool is_double() const noexcept { return type_ == 'f' || type_ == 'd'; }
    bool is_string() const noexcept { return type_ == 's' || type_ == 'S'; }
    bool is_bytes() const noexcept { return type_ == 'y' || type_ == 'Y'; }

    // A string or bytes result that the function returned as NULL (as_string() is then
    // empty); false for every other type.
    bool is_null() const noexcept { return null_; }

    // The value of a signed integer result (b h i l q n, and a function-pointer task's
    // 'i'). Throws kind_error for a result of another type.
    long long as_int() const {
        if (!is_int()) wrong_type("as_int", "a signed integer");
        return i_;
    }

    // The value of an unsigned integer result (B H I L Q N). Throws kind_error otherwise.
    unsigned long long as_uint() const {
        if (!is_uint()) wrong_type("as_uint", "an unsigned integer");
        return u_;
    }

    // The value of a floating-point result (f d). Throws kind_error otherwise.
    double as_double() const {
        if (!is_double()) wrong_type("as_double", "a floating-point");
        return d_;
    }

    // The bytes of a string (s S) or bytes (y Y) result, which may hold NULs; empty for a
    // NULL result (see is_null()). Throws kind_error for a result of another type.
    const std::string &as_string() const {
        if (!is_text_code(type_)) wrong_type("as_string", "a string or bytes");
        return data_;
    }

  private:
    static constexpr bool is_signed_code(char c) noexcept {
        return c == 'b' || c == 'h' || c == 'i' || c == 'l' || c == 'q' || c == 'n';
    }
    static constexpr bool is_unsigned_code(char c) noexcept {
        return c == 'B' || c == 'H' || c == 'I' || c == 'L' || c == 'Q' || c == 'N';
    }
    static constexpr bool is_text_code(char c) noexcept {
        return c == 's' || c == 'S' || c == 'y' || c == 'Y';
    }

    [[noreturn]] void wrong_type(const char *accessor, const char *wanted) const {
        detail::throw_error(MPROC_EKIND, std::string("task_result: ") + accessor + ": the result" +
                                             " has type code '" + type_ + "', not " + wanted +
                                             " type");
    }

    char type_ = 'v';
    long long i_ = 0;
    unsigned long long u_ = 0;
    double d_ = 0.0;
    bool null_ = false;
    std::string data_;
};

namespace detail {

template <class T>
inline constexpr bool dependent_false = false;

}  // namespace detail

// A task: what an mproc::Process or mproc::Thread runs, and what call() runs here. Two forms,
// as in the C ABI (see "Tasks" in mproc.h for the signature grammar):
//
//  - from_function(fn, arg): a function pointer and a void*, valid only in this process,
//    its threads and its forked children (a process with start_method::fork). A C++ lambda
//    without captures converts to the function pointer; state goes through `arg`.
//  - reference(library, symbol, signature) plus arguments, or call_of(...) with the
//    arguments at once: loaded by name wherever it runs, so it also works with
//    start_method::spawn.
//
// Move-only; the destructor frees the task. A process or thread made from a task copies it,
// so the task may be changed or destroyed afterwards. Not safe to change from several
// threads at once; a finished task may be called by many. A moved-from task holds no handle
// and every call on it throws bad_handle_error.
class Task {
  public:
    // A task reference to `symbol` in `library` with `signature` ("d(d)"), without arguments
    // yet (add them with arg()). `library` is a path or a name dlopen() accepts ("libm.so.6");
    // std::nullopt or "" means the running program and the libraries in its global scope
    // (libc; the program's own functions if it is linked with -rdynamic). Nothing is loaded
    // yet (see check()); never blocks. Throws invalid_argument_error (a malformed signature,
    // an empty symbol, a NUL inside a string), too_big_error (more than MPROC_TASK_MAX_ARGS
    // arguments, a name over 4096 bytes), out_of_memory_error.
    static Task reference(std::optional<std::string_view> library, std::string_view symbol,
                          std::string_view signature) {
        std::string lib;
        const bool has_library = library.has_value() && !library->empty();
        if (has_library) lib = detail::c_string("task library", *library);
        const std::string sym = detail::c_string("task symbol", symbol);
        const std::string sig = detail::c_string("task signature", signature);
        mproc_task_t *h = nullptr;
        detail::check(
            mproc_task_create(has_library ? lib.c_str() : nullptr, sym.c_str(), sig.c_str(), &h));
        return Task(h);
    }

    // A task reference with all its arguments: reference(library, symbol, signature) and
    // then arg(args) for each, in order -- `Task::call_of("libm.so.6", "cos", "d(d)", 0.5)`.
    // Throws as reference() and arg().
    template <class... Args>
    static Task call_of(std::optional<std::string_view> library, std::string_view symbol,
                        std::string_view signature, const Args &...args) {
        Task t = reference(library, symbol, signature);
        (t.arg(args), ...);
        return t;
    }

    // A function-pointer task: running it calls fn(arg), and its int result is the task's
    // result (type 'i'; the exit code of a process that runs it). Throws
    // invalid_argument_error (fn null), out_of_memory_error.
    static Task from_function(mproc_task_fn fn, void *arg = nullptr) {
        mproc_task_t *h = nullptr;
        detail::check(mproc_task_from_function(fn, arg, &h));
        return Task(h);
    }

    Task(Task &&) noexcept = default;
    Task &operator=(Task &&) noexcept = default;
    ~Task() = default;

    // Appends the next argument, choosing the C call by the C++ type of `value`:
    // signed integers and char -> arg_int, unsigned integers -> arg_uint, float / double /
    // long double -> arg_double, const char * / std::string / std::string_view / a string
    // literal -> arg_string, mproc::bytes_view -> arg_bytes. Anything else (bool, nullptr,
    // other pointers, enums) does not compile. The signature decides what is accepted: an
    // `int` for an unsigned code such as 'I' is invalid_argument_error, so pass `5u` or use
    // arg_uint. Returns *this for chaining. Throws as the arg_* functions.
    template <class T>
    Task &arg(const T &value) {
        using U = std::decay_t<T>;
        if constexpr (std::is_same_v<U, bool>) {
            static_assert(detail::dependent_false<T>,
                          "mproc::Task::arg: no signature code takes a bool; pass an int");
        } else if constexpr (std::is_same_v<U, std::nullptr_t>) {
            static_assert(detail::dependent_false<T>, "mproc::Task::arg: nullptr is no string");
        } else if constexpr (std::is_same_v<U, char>) {
            return arg_int(value);  // a character, as C promotes it, whatever char's sign
        } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
            return arg_int(static_cast<long long>(value));
        } else if constexpr (std::is_integral_v<U>) {
            return arg_uint(static_cast<unsigned long long>(value));
        } else if constexpr (std::is_floating_point_v<U>) {
            return arg_double(static_cast<double>(value));
        } else if constexpr (std::is_same_v<U, bytes_view>) {
            return arg_bytes(value.data, value.size);
        } else if constexpr (std::is_array_v<T>) {
            return arg_string(std::string_view(value));  // a literal or char buffer: to its NUL
        } else if constexpr (std::is_same_v<U, const char *> || std::is_same_v<U, char *>) {
            // A null pointer goes to the library, which refuses it with a message.
            if (value == nullptr) {
                detail::check(mproc_task_arg_string(h_.get(), nullptr));
                return *this;
            }
            return arg_string(std::string_view(value));
        } else if constexpr (std::is_convertible_v<const T &, std::string_view>) {
            return arg_string(std::string_view(value));
        } else {
            static_assert(detail::dependent_false<T>,
                          "mproc::Task::arg: an integer, a floating-point number, a string or "
                          "an mproc::bytes_view");
        }
    }

    // Append the next argument as the C ABI's mproc_task_arg_* do, for when the C++ type
    // does not pick the wanted call. Each checks that the signature expects that kind next:
    // arg_int for b h i l q n, arg_uint for B H I L Q N, arg_double for f d, arg_string for
    // s (copied; a NUL inside is invalid_argument_error), arg_bytes for y (copied). Never
    // block. Throws invalid_argument_error (wrong kind, more arguments than the signature
    // has, a function-pointer task), too_big_error (outside the C type's range),
    // bad_handle_error.
    Task &arg_int(long long value) {
        detail::check(mproc_task_arg_int(h_.get(), value));
        return *this;
    }
    Task &arg_uint(unsigned long long value) {
        detail::check(mproc_task_arg_uint(h_.get(), value));
        return *this;
    }
    Task &arg_double(double value) {
        detail::check(mproc_task_arg_double(h_.get(), value));
        return *this;
    }
    Task &arg_string(std::string_view value) {
        detail::check(mproc_task_arg_string(
            h_.get(), detail::c_string("task string argument", value).c_str()));
        return *this;
    }
    Task &arg_bytes(const void *data, std::size_t len) {
        detail::check(mproc_task_arg_bytes(h_.get(), data, len));
        return *this;
    }

    // Drops the arguments added so far, to reuse the task with others. Throws
    // bad_handle_error.
    void clear_args() { detail::check(mproc_task_clear_args(h_.get())); }

    // Loads the library and looks the symbol up now, in this process, to report a missing
    // one early; blocks while the library loads. A function-pointer task always passes.
    // Throws not_found_error (no such library or symbol; dlerror() in what()),
    // bad_handle_error.
    void check() { detail::check(mproc_task_check(h_.get())); }

    // Runs the task in the calling thread and returns its result; blocks for as long as the
    // function runs. A crash inside the function is the caller's crash (run untrusted
    // functions in an mproc::Process). Throws invalid_argument_error (fewer arguments than
    // the signature has), not_found_error (library or symbol), out_of_memory_error,
    // bad_handle_error.
    task_result call() {
        mproc_result_t r{};
        detail::check(mproc_task_call(h_.get(), &r));
        return task_result(r);
    }

    // The C handle, still owned by the task (nullptr once moved from).
    mproc_task_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Frees the task now; later calls throw bad_handle_error.
    void close() { h_.close(); }

  private:
    explicit Task(mproc_task_t *h) noexcept : h_(h) {}

    detail::unique_handle<mproc_task_t, mproc_task_close> h_;
};

}  // namespace mproc
