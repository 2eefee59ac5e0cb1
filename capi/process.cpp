// mproc_process_*, mproc_active_children, mproc_cpu_count, mproc_current_process,
// mproc_parent_process: the C face of core::process::Process and of what the calling
// process is.
#include <signal.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "handle.hpp"
#include "process/current_process.hpp"
#include "process/process.hpp"
#include "task_handle.hpp"

using mproc::core::process::Process;
using mproc::core::process::StartMethod;

static_assert(MPROC_START_DEFAULT == static_cast<int>(StartMethod::kDefault) &&
              MPROC_START_FORK == static_cast<int>(StartMethod::kFork) &&
              MPROC_START_SPAWN == static_cast<int>(StartMethod::kSpawn) &&
              MPROC_START_FORKSERVER == static_cast<int>(StartMethod::kForkserver));
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;
namespace process = mproc::core::process;

static_assert(MPROC_PROCESS_NAME_MAX == process::kNameMax);

struct mproc_process : capi::Handle<Process, 0x50524f43u /* PROC */> {
    using Handle::Handle;
};

namespace {

// The options as the core takes them; throws core::Error(kInvalid) for a struct that was
// not initialised with mproc_process_options_init. NULL = the defaults.
void read_options(const mproc_process_options_t *opts, std::optional<std::string> *name,
                  bool *daemon, StartMethod *method) {
    *daemon = false;
    *method = StartMethod::kDefault;
    if (opts == nullptr) return;
    // An older, shorter struct keeps the defaults for the fields it lacks.
    constexpr std::size_t kFirstVersionSize =
        offsetof(mproc_process_options_t, daemon) + sizeof(opts->daemon);
    if (opts->size < kFirstVersionSize || opts->size > (1u << 16)) {
        throw mproc::core::Error(mproc::core::kInvalid,
                                 "process options: size field is " + std::to_string(opts->size) +
                                     "; initialise with mproc_process_options_init()");
    }
    if (opts->name != nullptr) *name = std::string(opts->name);
    *daemon = opts->daemon != 0;
    if (opts->size >= offsetof(mproc_process_options_t, start_method) + sizeof(int)) {
        *method = static_cast<StartMethod>(opts->start_method);
    }
}

// Runs `body` on the live process handle.
template <typename Body>
int with_process(const char *function, const mproc_process_t *handle, Body &&body) noexcept {
    mproc_process *h = capi::live(handle);
    if (h == nullptr) return capi::bad_handle(function);
    return capi::guarded([&] { return body(*h->rep, *h); });
}

}  // namespace

extern "C" {

int mproc_process_options_init(mproc_process_options_t *opts) {
    if (opts == nullptr) return capi::null_argument("mproc_process_options_init", "opts");
    opts->size = sizeof(mproc_process_options_t);
    opts->name = nullptr;
    opts->daemon = 0;
    opts->start_method = MPROC_START_DEFAULT;
    return MPROC_OK;
}

int mproc_process_create(const mproc_task_t *target, const mproc_process_options_t *opts,
                         mproc_process_t **out) {
    const char *function = "mproc_process_create";
    if (out == nullptr) return capi::null_argument(function, "out");
    const mproc_task *task = capi::live(target);
    if (task == nullptr) return capi::bad_handle(function);
    return capi::new_handle(function, out, [&] {
        std::optional<std::string> name;
        bool daemon = false;
        StartMethod method = StartMethod::kDefault;
        read_options(opts, &name, &daemon, &method);
        return Process(*task->rep, std::move(name), daemon, method);
    });
}

int mproc_set_start_method(int method) {
    return capi::guarded([&] {
        mproc::core::process::set_default_start_method(static_cast<StartMethod>(method));
        return MPROC_OK;
    });
}

int mproc_get_start_method(int *method) {
    if (method == nullptr) return capi::null_argument("mproc_get_start_method", "method");
    *method = static_cast<int>(mproc::core::process::default_start_method());
    return MPROC_OK;
}

int mproc_process_start(mproc_process_t *process) {
    return with_process("mproc_process_start", process, [](Process &p, mproc_process &) {
        p.start();
        return MPROC_OK;
    });
}

int mproc_process_join(mproc_process_t *process, double timeout) {
    const char *function = "mproc_process_join";
    if (capi::live(process) != nullptr && !capi::valid_timeout(timeout)) {
        return capi::bad_timeout(function);
    }
    return with_process(function, process, [&](Process &p, mproc_process &h) {
        return capi::report(p.join(Deadline::after(timeout)), "process", h.name, "join");
    });
}

int mproc_process_is_alive(mproc_process_t *process, int *alive) {
    const char *function = "mproc_process_is_alive";
    if (capi::live(process) != nullptr && alive == nullptr) {
        return capi::null_argument(function, "alive");
    }
    return with_process(function, process, [&](Process &p, mproc_process &) {
        *alive = p.is_alive() ? 1 : 0;
        return MPROC_OK;
    });
}

int mproc_process_exitcode(mproc_process_t *process, int *exitcode) {
    const char *function = "mproc_process_exitcode";
    if (capi::live(process) != nullptr && exitcode == nullptr) {
        return capi::null_argument(function, "exitcode");
    }
    return with_process(function, process, [&](Process &p, mproc_process &h) {
        const std::optional<int> code = p.exitcode();
        if (!code) {
            return capi::fail(MPROC_EEMPTY, "process '" + h.name + "': exitcode: " +
                                                (p.pid() == 0 ? "not started" : "still running"));
        }
        *exitcode = *code;
        return MPROC_OK;
    });
}

int mproc_process_pid(const mproc_process_t *process, int *pid) {
    const char *function = "mproc_process_pid";
    if (capi::live(process) != nullptr && pid == nullptr)
        return capi::null_argument(function, "pid");
    return with_process(function, process, [&](Process &p, mproc_process &h) {
        const pid_t child = p.pid();
        if (child == 0) return capi::fail(MPROC_EEMPTY, "process '" + h.name + "': not started");
        *pid = static_cast<int>(child);
        return MPROC_OK;
    });
}

int mproc_process_name(const mproc_process_t *process, char *buf, size_t len) {
    return capi::copy_name("mproc_process_name", process, buf, len);
}

int mproc_process_daemon(const mproc_process_t *process, int *daemon) {
    return capi::get_value("mproc_process_daemon", process, daemon,
                           [](const Process &p) { return p.daemon() ? 1 : 0; });
}

int mproc_process_send_signal(mproc_process_t *process, int signum) {
    return with_process("mproc_process_send_signal", process, [&](Process &p, mproc_process &) {
        p.send_signal(signum);
        return MPROC_OK;
    });
}

int mproc_process_terminate(mproc_process_t *process) {
    return with_process("mproc_process_terminate", process, [](Process &p, mproc_process &) {
        p.send_signal(SIGTERM);
        return MPROC_OK;
    });
}

int mproc_process_kill(mproc_process_t *process) {
    return with_process("mproc_process_kill", process, [](Process &p, mproc_process &) {
        p.send_signal(SIGKILL);
        return MPROC_OK;
    });
}

int mproc_process_fd(mproc_process_t *process, int *fd) {
    const char *function = "mproc_process_fd";
    if (capi::live(process) != nullptr && fd == nullptr) return capi::null_argument(function, "fd");
    return with_process(function, process, [&](Process &p, mproc_process &) {
        *fd = p.fd();
        return MPROC_OK;
    });
}

// Not capi::close_handle: a running child makes close fail and frees nothing.
int mproc_process_close(mproc_process_t *process) {
    const char *function = "mproc_process_close";
    mproc_process *h = capi::live(process);
    if (h == nullptr) return capi::bad_handle(function);
    const int rc = capi::guarded([&] {
        // A handle inherited across fork names a sibling, not a child: freeing it is fine.
        if (h->rep->started_here() && h->rep->is_alive()) {
            return capi::fail(MPROC_EINVAL, "process '" + h->name +
                                                "': close: the child is still running; join, "
                                                "terminate or kill it first");
        }
        return MPROC_OK;
    });
    if (rc != MPROC_OK) return rc;
    std::uint32_t expected = mproc_process::kTag;
    if (!h->tag.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
        return capi::bad_handle(function);  // closed by another thread just now
    }
    h->rep.reset();
    capi::quarantine(h, [](void *shell) { delete static_cast<mproc_process *>(shell); });
    return MPROC_OK;
}

int mproc_active_children(int *pids, size_t cap, size_t *n) {
    const char *function = "mproc_active_children";
    if (n == nullptr) return capi::null_argument(function, "n");
    if (pids == nullptr && cap > 0) return capi::null_argument(function, "pids");
    return capi::guarded([&] {
        const std::vector<pid_t> running = process::active_children();
        *n = running.size();
        const std::size_t written = running.size() < cap ? running.size() : cap;
        for (std::size_t i = 0; i < written; ++i)
            pids[i] = static_cast<int>(running[i]);
        if (running.size() > cap) {
            return capi::fail(MPROC_ETOOBIG, std::string(function) + ": " +
                                                 std::to_string(running.size()) +
                                                 " children run, room for " + std::to_string(cap));
        }
        return MPROC_OK;
    });
}

int mproc_cpu_count(int *n) {
    if (n == nullptr) return capi::null_argument("mproc_cpu_count", "n");
    *n = process::cpu_count();
    return MPROC_OK;
}

int mproc_current_process(char *name, size_t len, int *pid) {
    return capi::guarded([&] {
        if (name != nullptr) {
            const std::string current = process::current_process_name();
            if (len < current.size() + 1) {
                return capi::fail(MPROC_ETOOBIG, "mproc_current_process: buffer of " +
                                                     std::to_string(len) +
                                                     " bytes, the name needs " +
                                                     std::to_string(current.size() + 1));
            }
            std::memcpy(name, current.c_str(), current.size() + 1);
        }
        if (pid != nullptr) *pid = static_cast<int>(::getpid());
        return MPROC_OK;
    });
}

int mproc_parent_process(int *pid) {
    if (pid == nullptr) return capi::null_argument("mproc_parent_process", "pid");
    const pid_t parent = process::parent_process_pid();
    if (parent == 0) {
        return capi::fail(MPROC_EEMPTY,
                          "mproc_parent_process: this process was not started by mproc");
    }
    *pid = static_cast<int>(parent);
    return MPROC_OK;
}

}  // extern "C"
