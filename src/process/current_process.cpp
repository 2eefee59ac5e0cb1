#include "process/current_process.hpp"

#include <sched.h>

#include <cerrno>
#include <cstring>

namespace mproc::core::process {

namespace {

// Static storage: a fork child sets them before its task (and so before any thread of
// its own) starts, and nothing changes them afterwards, so readers need no lock.
char process_name[kNameMax + 1] = "MainProcess";
pid_t parent_pid = 0;

}  // namespace

std::string current_process_name() {
    return std::string(process_name);
}

pid_t parent_process_pid() noexcept {
    return parent_pid;
}

int cpu_count() noexcept {
    // A fixed cpu_set_t covers 1024 CPUs; grow the dynamic set until the mask fits
    // (EINVAL: the kernel's mask is larger than ours).
    for (int cpus = 1024; cpus <= (1 << 22); cpus *= 2) {
        cpu_set_t *set = CPU_ALLOC(cpus);
        if (set == nullptr) break;
        const std::size_t size = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(size, set);
        if (::sched_getaffinity(0, size, set) == 0) {
            const int n = CPU_COUNT_S(size, set);
            CPU_FREE(set);
            return n > 0 ? n : 1;
        }
        const int err = errno;
        CPU_FREE(set);
        if (err != EINVAL) break;
    }
    return 1;
}

namespace detail {

void become_child(const char *name, std::size_t length, pid_t parent) noexcept {
    if (length > kNameMax) length = kNameMax;
    std::memcpy(process_name, name, length);
    process_name[length] = '\0';
    parent_pid = parent;
}

}  // namespace detail

}  // namespace mproc::core::process
