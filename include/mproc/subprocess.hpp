// mproc/subprocess.hpp -- running programs, like Python's subprocess: mproc::run for the
// common case, mproc::Popen for control.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// What a child's stdin, stdout or stderr is (subprocess's PIPE, DEVNULL, STDOUT...).
enum class stdio {
    inherit = MPROC_STDIO_INHERIT,  // the caller's own (the default)
    pipe = MPROC_STDIO_PIPE,        // a pipe to the caller (Popen's *_fd, communicate)
    devnull = MPROC_STDIO_DEVNULL,  // /dev/null
    fd = MPROC_STDIO_FD,            // the descriptor in the matching *_fd field
    stdout_ = MPROC_STDIO_STDOUT,   // stderr only: wherever stdout goes (2>&1)
};

// How a child starts, as mproc_popen_options_t.
struct popen_options {
    stdio stdin_mode = stdio::inherit;
    stdio stdout_mode = stdio::inherit;
    stdio stderr_mode = stdio::inherit;
    // The descriptors for stdio::fd (the caller keeps them).
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    // The child's whole environment as "NAME=value" entries; std::nullopt: the caller's.
    std::optional<std::vector<std::string>> env;
    // The child's working directory; std::nullopt: the caller's.
    std::optional<std::string> cwd;
};

// What communicate() collected: everything the child wrote to its stdout and stderr pipes
// (empty for a stream that is not a pipe).
struct communicate_result {
    std::string out;
    std::string err;
};

namespace detail {

// NUL-terminated copies of a list of strings and the NULL-terminated pointer array the C ABI
// takes. Throws invalid_argument_error for a NUL inside an entry.
class c_string_list {
  public:
    c_string_list(const char *what, const std::vector<std::string> &items) {
        strings_.reserve(items.size());
        for (const std::string &s : items)
            strings_.push_back(c_string(what, s));
        for (const std::string &s : strings_)
            pointers_.push_back(s.c_str());
        pointers_.push_back(nullptr);
    }
    c_string_list(const c_string_list &) = delete;
    c_string_list &operator=(const c_string_list &) = delete;

    const char *const *get() const noexcept { return pointers_.data(); }

  private:
    std::vector<std::string> strings_;
    std::vector<const char *> pointers_;
};

// popen_options as the C struct, with the storage its pointers point into.
class c_popen_options {
  public:
    explicit c_popen_options(const popen_options &o)
        : cwd_(o.cwd ? c_string("popen cwd", *o.cwd) : std::string()) {
        check(mproc_popen_options_init(&opts_));
        opts_.stdin_mode = static_cast<int>(o.stdin_mode);
        opts_.stdout_mode = static_cast<int>(o.stdout_mode);
        opts_.stderr_mode = static_cast<int>(o.stderr_mode);
        opts_.stdin_fd = o.stdin_fd;
        opts_.stdout_fd = o.stdout_fd;
        opts_.stderr_fd = o.stderr_fd;
        if (o.env) {
            env_.emplace("popen env entry", *o.env);
            opts_.env = env_->get();
        }
        if (o.cwd) opts_.cwd = cwd_.c_str();
    }
    c_popen_options(const c_popen_options &) = delete;
    c_popen_options &operator=(const c_popen_options &) = delete;

    const mproc_popen_options_t *get() const noexcept { return &opts_; }

  private:
    std::string cwd_;
    std::optional<c_string_list> env_;
    mproc_popen_options_t opts_;
};

}  // namespace detail

// A running program, like subprocess.Popen: started by the constructor with posix_spawn
// (searching PATH when argv[0] has no '/'). A program that cannot be started throws from the
// constructor (not_found_error, permission_error); it is never a child that exits 127.
// Children inherit no descriptors but 0, 1 and 2, and SIGPIPE is never raised in the caller
// when a child stops reading. returncode values follow Python: the exit status, or minus
// the signal number that killed the child.
//
// Move-only. The destructor closes the pipes and frees the object but neither kills nor
// waits for the child, as Python's Popen: a child still running then is reaped later by
// active_children() (or any later mproc call that reaps), never left a zombie for long;
// wait() for it first if its end matters. A moved-from Popen holds no handle and every call
// on it throws bad_handle_error.
class Popen {
  public:
    // Starts argv[0] with arguments argv. Throws invalid_argument_error (argv empty, a NUL
    // inside a string, a bad stdio mode or descriptor), not_found_error (no such program,
    // or cwd does not exist), permission_error (not executable), system_error,
    // out_of_memory_error.
    explicit Popen(const std::vector<std::string> &argv,
                   const popen_options &options = popen_options()) {
        const detail::c_string_list args("popen argument", argv);
        const detail::c_popen_options opts(options);
        mproc_popen_t *h = nullptr;
        detail::check(mproc_popen_create(args.get(), opts.get(), &h));
        h_.reset(h);
    }

    Popen(Popen &&) noexcept = default;
    Popen &operator=(Popen &&) noexcept = default;
    ~Popen() = default;

    // The child's process id. Throws bad_handle_error.
    int pid() const {
        int id = 0;
        detail::check(mproc_popen_pid(h_.get(), &id));
        return id;
    }

    // The returncode once the child ended (reaping it), std::nullopt while it runs. Never
    // blocks. Throws bad_handle_error.
    std::optional<int> poll() {
        int code = 0;
        const int rc = mproc_popen_poll(h_.get(), &code);
        if (rc == MPROC_EEMPTY) return std::nullopt;
        detail::check(rc);
        return code;
    }

    // Blocks until the child ends, reaps it and returns its returncode. With stdout or
    // stderr a pipe, a child that writes much blocks on the full pipe: use communicate().
    // Throws bad_handle_error.
    int wait() {
        int code = 0;
        detail::check(mproc_popen_wait(h_.get(), -1.0, &code));
        return code;
    }

    // Waits up to `limit` for the child to end: its returncode, or std::nullopt if it still
    // runs at the timeout (where Python raises TimeoutExpired). A zero or negative limit
    // only looks. Throws bad_handle_error.
    std::optional<int> wait(timeout limit) {
        int code = 0;
        const int rc = mproc_popen_wait(h_.get(), limit.seconds(), &code);
        if (rc == MPROC_ETIMEDOUT) return std::nullopt;
        detail::check(rc);
        return code;
    }

    // Send `signum`, SIGTERM or SIGKILL to the child; nothing happens once it has been
    // reaped. Never block. Throw invalid_argument_error (a bad signal number),
    // bad_handle_error.
    void send_signal(int signum) { detail::check(mproc_popen_send_signal(h_.get(), signum)); }
    void terminate() { detail::check(mproc_popen_terminate(h_.get())); }
    void kill() { detail::check(mproc_popen_kill(h_.get())); }

    // The caller's end of the child's stdin / stdout / stderr pipe (stdio::pipe), owned by
    // the Popen object: do not close it. Throw invalid_argument_error (that stream is not a
    // pipe, or communicate() closed it), bad_handle_error.
    int stdin_fd() const { return stream_fd(mproc_popen_stdin_fd); }
    int stdout_fd() const { return stream_fd(mproc_popen_stdout_fd); }
    int stderr_fd() const { return stream_fd(mproc_popen_stderr_fd); }

    // Writes `input` to the child's stdin pipe and closes it, reads its stdout and stderr
    // pipes to their end, all at once (so it never deadlocks, whatever the sizes), then
    // waits for the child (poll() or wait() then give the returncode). Blocks up to `limit`
    // in all. At the timeout throws timeout_error and the child keeps running, as Python's
    // TimeoutExpired: call communicate() again without input (or with the same string
    // object) to go on -- what was read so far is kept -- or kill() the child first. Empty
    // input is no input; with stdin not a pipe, stdin is left alone. Throws
    // invalid_argument_error (input given but stdin is not a pipe; new input after a
    // timeout), system_error, bad_handle_error.
    communicate_result communicate(std::string_view input = std::string_view(),
                                   timeout limit = forever) {
        const char *out = nullptr;
        const char *err = nullptr;
        std::size_t out_len = 0;
        std::size_t err_len = 0;
        detail::check(mproc_popen_communicate(h_.get(), input.empty() ? nullptr : input.data(),
                                              input.size(), limit.seconds(), &out, &out_len, &err,
                                              &err_len));
        communicate_result result;
        if (out != nullptr) result.out.assign(out, out_len);
        if (err != nullptr) result.err.assign(err, err_len);
        return result;
    }

    // communicate() without input, up to `limit`.
    communicate_result communicate(timeout limit) { return communicate(std::string_view(), limit); }

    // The C handle, still owned by the Popen (nullptr once moved from or closed).
    mproc_popen_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the pipes and frees the object now, as the destructor does (the child is not
    // killed). Does nothing on a moved-from or closed Popen.
    void close() { h_.close(); }

  private:
    int stream_fd(int (*fn)(const mproc_popen_t *, int *)) const {
        int fd = -1;
        detail::check(fn(h_.get(), &fd));
        return fd;
    }

    detail::unique_handle<mproc_popen_t, mproc_popen_close> h_;
};

// What run() returns, as subprocess.CompletedProcess.
struct completed_process {
    std::vector<std::string> args;  // the argv that ran
    int returncode = 0;             // the exit status, or minus the signal number
    std::string out;                // captured stdout (empty unless run_options::capture)
    std::string err;                // captured stderr (empty unless run_options::capture)

    // Throws failed_error if returncode is not 0, as CompletedProcess.check_returncode().
    void check_returncode() const {
        if (returncode == 0) return;
        detail::throw_error(
            MPROC_EFAILED,
            "'" + (args.empty() ? std::string() : args[0]) + "' " +
                (returncode < 0 ? "was killed by signal " + std::to_string(-returncode)
                                : "exited with status " + std::to_string(returncode)));
    }
};

// Options of run(), as subprocess.run's keyword arguments.
struct run_options {
    // Capture stdout and stderr (overriding popen.stdout_mode and stderr_mode with pipes)
    // into completed_process::out and err.
    bool capture = false;
    // A non-zero returncode throws failed_error, as check=True.
    bool check = false;
    // Fed to the child's stdin, which becomes a pipe (even for an empty string);
    // std::nullopt: stdin is as popen.stdin_mode says.
    std::optional<std::string> input;
    // The time limit for the whole run; at the timeout the child is killed (SIGKILL) and
    // reaped and run() throws timeout_error.
    mproc::timeout timeout = mproc::forever;
    // stdio modes, env and cwd of the child.
    popen_options popen;
};

// Runs argv to completion, like subprocess.run: starts it, feeds options.input, collects
// the output if options.capture and waits, up to options.timeout, and returns its
// returncode and output. Blocks until the child ends. Throws as the Popen constructor
// (not_found_error for a missing program...), timeout_error (the child was killed at the
// timeout), failed_error (options.check and a non-zero returncode; what() says the
// returncode: "exited with status 3" or "was killed by signal 9").
inline completed_process run(const std::vector<std::string> &argv,
                             const run_options &options = run_options()) {
    const detail::c_string_list args("run argument", argv);
    const detail::c_popen_options opts(options.popen);
    unsigned int flags = 0;
    if (options.capture) flags |= MPROC_RUN_CAPTURE;
    if (options.check) flags |= MPROC_RUN_CHECK;
    const std::string *input = options.input ? &*options.input : nullptr;

    // Freed on every path: the C call fills the result whenever the child was started.
    struct result_owner {
        mproc_run_result_t r{};
        ~result_owner() { (void)mproc_run_result_free(&r); }
    } owner;
    const int rc = mproc_run(args.get(), opts.get(), flags, input ? input->data() : nullptr,
                             input ? input->size() : 0, options.timeout.seconds(), &owner.r);
    detail::check(rc);
    completed_process done;
    done.args = argv;
    done.returncode = owner.r.returncode;
    if (owner.r.out != nullptr) done.out.assign(owner.r.out, owner.r.out_len);
    if (owner.r.err != nullptr) done.err.assign(owner.r.err, owner.r.err_len);
    return done;
}

}  // namespace mproc
