#include "sync/process_identity.hpp"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mproc::core::sync::detail {

std::atomic<std::uint32_t> cached_pid{0};
thread_local std::uint32_t cached_tid __attribute__((tls_model("initial-exec"))) = 0;

namespace {

// Runs in the child of fork(), in the only thread that survives it: the thread that
// called fork, whose cached tid is its parent's.
void forget_ids_in_child() {
    cached_pid.store(0, std::memory_order_relaxed);
    cached_tid = 0;
}

void register_fork_handler_once() {
    static const bool registered = [] {
        pthread_atfork(nullptr, nullptr, forget_ids_in_child);
        return true;
    }();
    (void)registered;
}

}  // namespace

std::uint32_t load_pid() noexcept {
    register_fork_handler_once();
    auto pid = static_cast<std::uint32_t>(::getpid());
    cached_pid.store(pid, std::memory_order_relaxed);
    return pid;
}

std::uint32_t load_tid() noexcept {
    register_fork_handler_once();
    cached_tid = static_cast<std::uint32_t>(::syscall(SYS_gettid));
    return cached_tid;
}

}  // namespace mproc::core::sync::detail
