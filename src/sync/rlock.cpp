#include "sync/rlock.hpp"

#include "shm/object_counters.hpp"

namespace mproc::core::sync {

RLock RLock::create(std::string_view name, const shm::CreateOptions &options) {
    return RLock(create_segment(name, options, [](RLockLayout &) {}));
}

RLock RLock::open(std::string_view name) {
    return RLock(open_segment(name));
}

Status RLock::acquire(const Deadline &deadline) noexcept {
    // As for Lock: only a call that may block registers with the gate close() drains.
    Status entered = mutex().try_enter();
    if (entered != kTimedOut) return entered;
    WaitGate::Pass pass(gate_);
    return shm::count_waited(layout_->header, mutex().acquire(deadline, &gate_));
}

void RLock::close() noexcept {
    gate_.close([this] { mutex().wake_all(); });
}

}  // namespace mproc::core::sync
