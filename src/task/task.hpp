// A task: what a Process, a Thread or a pool worker runs. Either a function pointer with a
// void* argument (meaningful in this address space and its fork children only), or a
// reference (library, symbol, signature) with encoded arguments, called through libffi
// wherever it is decoded (see "Tasks across process boundaries" in design.md and the
// signature grammar in mproc.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "task/argument.hpp"
#include "task/signature.hpp"

namespace mproc::core::task {

class PreparedCall;

using TaskFunction = int (*)(void *);

// A task's result. `type` is the signature's result code ('i' for a function task, 'v'
// for none); integers are in i or u (signed / unsigned codes), floating point in d, and
// strings and bytes in bytes (a string without its NUL). `null` says that a string or
// bytes function returned a NULL pointer (bytes is then empty).
struct Result {
    char type = 'v';
    long long i = 0;
    unsigned long long u = 0;
    double d = 0;
    std::string bytes;
    bool null = false;
};

class Task {
  public:
    // Throws Error(kInvalid) for a malformed signature or an empty symbol, kTooBig for too
    // many arguments in it or a name over 4096 bytes. library empty = the running program.
    static Task reference(std::string library, std::string symbol, std::string signature);
    static Task function(TaskFunction fn, void *arg);

    bool is_function() const noexcept;
    const std::string &signature() const noexcept;
    // "libm.so.6:cos", "cos" (in the running program), "function 0x5581..." : what error
    // messages call it ("task 'libm.so.6:cos': ...").
    std::string name() const;
    const std::string &library() const noexcept { return library_; }
    const std::string &symbol() const noexcept { return symbol_; }
    // How many arguments the signature has, and how many were given so far.
    std::size_t arity() const noexcept { return parsed_.args.size(); }
    std::size_t args_given() const noexcept { return args_.size(); }

    // Append the next argument; Error(kInvalid) if the signature expects another kind of
    // value next or no more, kTooBig if an integer is out of the C type's range.
    void add_int(long long value);
    void add_uint(unsigned long long value);
    void add_double(double value);
    void add_string(std::string_view value);
    void add_bytes(const void *data, std::size_t len);
    void clear_args() noexcept;
    // True when every argument the signature has was given (always for a function task).
    bool complete() const noexcept;

    // Loads the library and looks the symbol up: Error(kNotFound) with dlerror() if either
    // is missing. Libraries stay loaded (dlopen'ed once per process per path). The address
    // and libffi's call interface are kept (see call()).
    void check() const;
    // Runs it in the calling thread. Error(kInvalid) if incomplete, kNotFound as check().
    // The first call (or check()) of a task reference resolves the symbol and prepares the
    // libffi call; later calls, of this task or of its copies, reuse both. Safe to call from
    // many threads at once.
    Result call() const;

    // A self-contained byte string for another process (a spawned worker, a pool queue),
    // and back: decode throws Error(kInvalid) on anything malformed, never crashes. A
    // function task encodes its pointers: decode it only in this process or a fork child.
    std::string encode() const;
    static Task decode(std::string_view bytes);

  private:
    Task() = default;
    // reference(library, symbol, signature), from a per-thread cache of recent ones.
    static Task recent_reference(std::string_view library, std::string_view symbol,
                                 std::string_view signature);
    // The next argument's code, after checking that it takes a value of `kind`.
    char next_code(ValueKind kind) const;
    std::string where() const;  // "task 'libm.so.6:cos'"
    // The resolved and prepared call of a task reference, made on first use.
    const PreparedCall &prepared() const;

    // What prepared() made, shared by the copies of a task: they have the same library,
    // symbol and signature, which never change once the task exists (arguments do, and are
    // not part of it). Made by reference(); null for a function task.
    struct CallCache;

    TaskFunction fn_ = nullptr;
    void *arg_ = nullptr;
    std::string library_, symbol_, signature_;
    Signature parsed_;
    std::vector<Argument> args_;
    std::shared_ptr<CallCache> cache_;
};

// The exit code of a process whose whole job was this task: the integer result & 0xff,
// 0 for a non-integer result. (A task that failed exits 1: see process/.)
int exit_code_of(const Result &result) noexcept;

}  // namespace mproc::core::task
