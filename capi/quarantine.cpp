#include <cstddef>
#include <mutex>

#include "handle.hpp"

namespace mproc::capi {

namespace {

constexpr std::size_t kQuarantineSize = 256;

struct Shell {
    void *memory = nullptr;
    void (*free_shell)(void *) = nullptr;
};

std::mutex quarantine_mutex;
Shell shells[kQuarantineSize];
std::size_t next_shell = 0;

}  // namespace

void quarantine(void *shell, void (*free_shell)(void *)) noexcept {
    Shell oldest;
    {
        std::lock_guard<std::mutex> guard(quarantine_mutex);
        oldest = shells[next_shell];
        shells[next_shell] = Shell{shell, free_shell};
        next_shell = (next_shell + 1) % kQuarantineSize;
    }
    if (oldest.memory != nullptr) oldest.free_shell(oldest.memory);
}

}  // namespace mproc::capi
