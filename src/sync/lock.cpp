#include "sync/lock.hpp"

#include "shm/object_counters.hpp"

namespace mproc::core::sync {

Lock Lock::create(std::string_view name, const shm::CreateOptions &options) {
    return Lock(create_segment(name, options, [](LockLayout &) {}));
}

Lock Lock::open(std::string_view name) {
    return Lock(open_segment(name));
}

Status Lock::acquire(const Deadline &deadline) noexcept {
    // The uncontended path stays one compare-and-swap: only a call that may block
    // registers with the gate that close() drains.
    if (mutex().try_acquire_free()) return kOk;
    WaitGate::Pass pass(gate_);
    return shm::count_waited(layout_->header, mutex().acquire(deadline, &gate_));
}

void Lock::close() noexcept {
    gate_.close([this] { mutex().wake_all(); });
}

}  // namespace mproc::core::sync
