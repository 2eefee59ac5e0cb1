// mproc_popen_*, mproc_run, mproc_run_result_free: the C face of core::subprocess.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "handle.hpp"
#include "subprocess/popen.hpp"
#include "subprocess/run.hpp"

using mproc::core::Error;
using mproc::core::kEmpty;
using mproc::core::kFailed;
using mproc::core::kInvalid;
using mproc::core::kOk;
using mproc::core::kTimedOut;
using mproc::core::Status;
using mproc::core::subprocess::Communicated;
using mproc::core::subprocess::Popen;
using mproc::core::subprocess::RunOptions;
using mproc::core::subprocess::RunResult;
using mproc::core::subprocess::SpawnOptions;
using mproc::core::subprocess::Stdio;
using mproc::core::subprocess::StdioSpec;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

struct mproc_popen : capi::Handle<Popen, 0x504f504eu /* POPN */> {
    using Handle::Handle;
};

static_assert(MPROC_STDIO_INHERIT == 0 && MPROC_STDIO_PIPE == 1 && MPROC_STDIO_DEVNULL == 2 &&
              MPROC_STDIO_FD == 3 && MPROC_STDIO_STDOUT == 4);

namespace {

const char *const kStreams[3] = {"stdin", "stdout", "stderr"};

StdioSpec to_stdio(const char *function, int stream, int mode, int fd) {
    const std::string what = std::string(function) + ": " + kStreams[stream];
    switch (mode) {
        case MPROC_STDIO_INHERIT:
            return StdioSpec{Stdio::kInherit, -1};
        case MPROC_STDIO_PIPE:
            return StdioSpec{Stdio::kPipe, -1};
        case MPROC_STDIO_DEVNULL:
            return StdioSpec{Stdio::kDevNull, -1};
        case MPROC_STDIO_FD:
            if (fd < 0) {
                throw Error(kInvalid, what + "_fd is " + std::to_string(fd) +
                                          " with MPROC_STDIO_FD: not a descriptor");
            }
            return StdioSpec{Stdio::kFd, fd};
        case MPROC_STDIO_STDOUT:
            if (stream != 2) {
                throw Error(kInvalid, what + "_mode: MPROC_STDIO_STDOUT is for stderr only");
            }
            return StdioSpec{Stdio::kStdout, -1};
        default:
            throw Error(kInvalid,
                        what + "_mode " + std::to_string(mode) + " is not an MPROC_STDIO_* value");
    }
}

// Throws Error(kInvalid) for options that were not initialised, or hold a bad mode.
SpawnOptions to_spawn_options(const char *function, const mproc_popen_options_t *opts) {
    SpawnOptions result;
    if (opts == nullptr) return result;
    // A caller built against an older, shorter struct passes a smaller size (fields past
    // it keep their defaults); below the first version's, it was not initialised.
    constexpr std::size_t kFirstVersionSize =
        offsetof(mproc_popen_options_t, cwd) + sizeof(opts->cwd);
    if (opts->size < kFirstVersionSize || opts->size > (1u << 16)) {
        throw Error(kInvalid, std::string(function) + ": options size field is " +
                                  std::to_string(opts->size) +
                                  "; initialise with mproc_popen_options_init()");
    }
    result.in = to_stdio(function, 0, opts->stdin_mode, opts->stdin_fd);
    result.out = to_stdio(function, 1, opts->stdout_mode, opts->stdout_fd);
    result.err = to_stdio(function, 2, opts->stderr_mode, opts->stderr_fd);
    if (opts->env != nullptr) {
        result.env.emplace();
        for (const char *const *entry = opts->env; *entry != nullptr; ++entry) {
            result.env->emplace_back(*entry);
        }
    }
    if (opts->cwd != nullptr) result.cwd.emplace(opts->cwd);
    return result;
}

// argv -> strings. Throws Error(kInvalid) for an empty one (NULL is checked before).
std::vector<std::string> to_argv(const char *function, const char *const *argv) {
    if (argv[0] == nullptr) throw Error(kInvalid, std::string(function) + ": argv is empty");
    std::vector<std::string> result;
    for (const char *const *arg = argv; *arg != nullptr; ++arg)
        result.emplace_back(*arg);
    return result;
}

int stream_fd(const char *function, const mproc_popen_t *popen, int stream, int *fd) {
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle(function);
    if (fd == nullptr) return capi::null_argument(function, "fd");
    bool closed = false;
    const int got = h->rep->pipe_fd(stream, &closed);
    if (got < 0) {
        return capi::fail(MPROC_EINVAL,
                          std::string(function) + ": popen '" + h->name + "': " + kStreams[stream] +
                              (closed ? " was closed by communicate" : " is not a pipe"));
    }
    *fd = got;
    return MPROC_OK;
}

// A malloc'ed, NUL-terminated copy (never NULL). Throws std::bad_alloc.
char *malloc_copy(const std::string &s) {
    char *copy = static_cast<char *>(std::malloc(s.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, s.data(), s.size());
    copy[s.size()] = '\0';
    return copy;
}

std::string describe_end(int returncode) {
    if (returncode < 0) return "was killed by signal " + std::to_string(-returncode);
    return "exited with status " + std::to_string(returncode);
}

}  // namespace

extern "C" {

int mproc_popen_options_init(mproc_popen_options_t *opts) {
    if (opts == nullptr) return capi::null_argument("mproc_popen_options_init", "opts");
    std::memset(opts, 0, sizeof *opts);
    opts->size = sizeof *opts;
    opts->stdin_mode = opts->stdout_mode = opts->stderr_mode = MPROC_STDIO_INHERIT;
    opts->stdin_fd = opts->stdout_fd = opts->stderr_fd = -1;
    opts->env = nullptr;
    opts->cwd = nullptr;
    return MPROC_OK;
}

int mproc_popen_create(const char *const *argv, const mproc_popen_options_t *opts,
                       mproc_popen_t **out) {
    const char *function = "mproc_popen_create";
    if (out == nullptr) return capi::null_argument(function, "out");
    *out = nullptr;
    if (argv == nullptr) return capi::null_argument(function, "argv");
    return capi::new_handle(function, out, [&] {
        return Popen::start(to_argv(function, argv), to_spawn_options(function, opts));
    });
}

int mproc_popen_pid(const mproc_popen_t *popen, int *pid) {
    return capi::get_value("mproc_popen_pid", popen, pid, [](const Popen &p) { return p.pid(); });
}

int mproc_popen_poll(mproc_popen_t *popen, int *returncode) {
    const char *function = "mproc_popen_poll";
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle(function);
    if (returncode == nullptr) return capi::null_argument(function, "returncode");
    return capi::guarded([&] {
        int rc = 0;
        const Status s = h->rep->poll(&rc);
        if (s == kOk) *returncode = rc;
        if (s == kEmpty) {
            return capi::fail(MPROC_EEMPTY, "popen '" + h->name + "': poll: still running");
        }
        return capi::report(s, "popen", h->name, "poll");
    });
}

int mproc_popen_wait(mproc_popen_t *popen, double timeout, int *returncode) {
    const char *function = "mproc_popen_wait";
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle(function);
    if (returncode == nullptr) return capi::null_argument(function, "returncode");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    return capi::guarded([&] {
        int rc = 0;
        const Status s = h->rep->wait(Deadline::after(timeout), &rc);
        if (s == kOk) *returncode = rc;
        return capi::report(s, "popen", h->name, "wait");
    });
}

int mproc_popen_send_signal(mproc_popen_t *popen, int signum) {
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle("mproc_popen_send_signal");
    return capi::guarded(
        [&] { return capi::report(h->rep->send_signal(signum), "popen", h->name, "send_signal"); });
}

int mproc_popen_terminate(mproc_popen_t *popen) {
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle("mproc_popen_terminate");
    return capi::guarded(
        [&] { return capi::report(h->rep->terminate(), "popen", h->name, "terminate"); });
}

int mproc_popen_kill(mproc_popen_t *popen) {
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle("mproc_popen_kill");
    return capi::guarded([&] { return capi::report(h->rep->kill(), "popen", h->name, "kill"); });
}

int mproc_popen_stdin_fd(const mproc_popen_t *popen, int *fd) {
    return stream_fd("mproc_popen_stdin_fd", popen, 0, fd);
}

int mproc_popen_stdout_fd(const mproc_popen_t *popen, int *fd) {
    return stream_fd("mproc_popen_stdout_fd", popen, 1, fd);
}

int mproc_popen_stderr_fd(const mproc_popen_t *popen, int *fd) {
    return stream_fd("mproc_popen_stderr_fd", popen, 2, fd);
}

int mproc_popen_communicate(mproc_popen_t *popen, const void *input, size_t len, double timeout,
                            const char **out, size_t *out_len, const char **err, size_t *err_len) {
    const char *function = "mproc_popen_communicate";
    mproc_popen *h = capi::live(popen);
    if (h == nullptr) return capi::bad_handle(function);
    if (input == nullptr && len > 0) return capi::null_argument(function, "input");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    return capi::guarded([&] {
        Communicated done;
        const Status s = h->rep->communicate(input, len, Deadline::after(timeout), &done);
        if (s != kOk) return capi::report(s, "popen", h->name, "communicate");
        if (out != nullptr) *out = done.out != nullptr ? done.out->c_str() : nullptr;
        if (out_len != nullptr) *out_len = done.out != nullptr ? done.out->size() : 0;
        if (err != nullptr) *err = done.err != nullptr ? done.err->c_str() : nullptr;
        if (err_len != nullptr) *err_len = done.err != nullptr ? done.err->size() : 0;
        return MPROC_OK;
    });
}

int mproc_popen_close(mproc_popen_t *popen) {
    return capi::close_handle("mproc_popen_close", popen);
}

int mproc_run(const char *const *argv, const mproc_popen_options_t *opts, unsigned int flags,
              const void *input, size_t len, double timeout, mproc_run_result_t *result) {
    const char *function = "mproc_run";
    if (result == nullptr) return capi::null_argument(function, "result");
    // Zeroed first, so that freeing the result is right whatever the call returned.
    std::memset(result, 0, sizeof *result);
    if (argv == nullptr) return capi::null_argument(function, "argv");
    if (input == nullptr && len > 0) return capi::null_argument(function, "input");
    if ((flags & ~(MPROC_RUN_CAPTURE | MPROC_RUN_CHECK)) != 0) {
        return capi::fail(MPROC_EINVAL, "mproc_run: unknown flags " + std::to_string(flags));
    }
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    return capi::guarded([&] {
        RunOptions run_options;
        run_options.capture = (flags & MPROC_RUN_CAPTURE) != 0;
        run_options.check = (flags & MPROC_RUN_CHECK) != 0;
        run_options.has_input = input != nullptr;
        run_options.input = input;
        run_options.length = len;
        const std::vector<std::string> args = to_argv(function, argv);
        const RunResult ran = mproc::core::subprocess::run(args, to_spawn_options(function, opts),
                                                           run_options, Deadline::after(timeout));
        result->returncode = ran.returncode;
        try {
            if (ran.out_captured) {
                result->out = malloc_copy(ran.out);
                result->out_len = ran.out.size();
            }
            if (ran.err_captured) {
                result->err = malloc_copy(ran.err);
                result->err_len = ran.err.size();
            }
        } catch (...) {
            mproc_run_result_free(result);
            result->returncode = ran.returncode;
            throw;
        }
        const std::string what =
            "mproc_run: '" + args[0] + "' (pid " + std::to_string(ran.pid) + ")";
        if (ran.status == kTimedOut) {
            return capi::fail(MPROC_ETIMEDOUT, what + ": still running after " +
                                                   std::to_string(timeout) +
                                                   " s: killed with SIGKILL");
        }
        if (ran.status == kFailed) {
            return capi::fail(MPROC_EFAILED, what + " " + describe_end(ran.returncode));
        }
        return MPROC_OK;
    });
}

int mproc_run_result_free(mproc_run_result_t *result) {
    if (result == nullptr) return MPROC_OK;
    std::free(result->out);
    std::free(result->err);
    std::memset(result, 0, sizeof *result);
    return MPROC_OK;
}

}  // extern "C"
