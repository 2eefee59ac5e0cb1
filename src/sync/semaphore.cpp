#include "sync/semaphore.hpp"

#include <string>

#include "shm/object_counters.hpp"
#include "sync/futex.hpp"
#include "sync/spin.hpp"

namespace mproc::core::sync {

Semaphore Semaphore::create(std::string_view name, std::uint32_t value, bool bounded,
                            const shm::CreateOptions &options) {
    if (value > kSemaphoreValueMax) {
        throw Error(kTooBig, "semaphore: initial value " + std::to_string(value) +
                                 " is over the maximum " + std::to_string(kSemaphoreValueMax));
    }
    return Semaphore(create_segment(name, options, [&](SemaphoreLayout &layout) {
        layout.value.store(value, std::memory_order_relaxed);
        layout.bound = bounded ? value : 0;
    }));
}

Semaphore Semaphore::open(std::string_view name) {
    return Semaphore(open_segment(name));
}

bool Semaphore::try_decrement() noexcept {
    std::uint32_t v = layout_->value.load(std::memory_order_relaxed);
    while (v > 0) {
        if (layout_->value.compare_exchange_weak(v, v - 1, std::memory_order_acquire,
                                                 std::memory_order_relaxed)) {
            return true;
        }
    }
    return false;
}

Status Semaphore::acquire(const Deadline &deadline) noexcept {
    if (try_decrement()) return kOk;
    return shm::count_waited(layout_->header, wait_to_decrement(deadline));
}

Status Semaphore::wait_to_decrement(const Deadline &deadline) noexcept {
    if (deadline.expired()) return kTimedOut;
    WaitGate::Pass pass(gate_);
    if (spin_until([this] { return try_decrement(); })) return kOk;

    // Announce the sleep before the last look at the value (both sequentially
    // consistent): a release either sees us in `sleepers` and wakes us, or its increment
    // is visible to that look and futex_wait returns at once.
    layout_->sleepers.fetch_add(1, std::memory_order_seq_cst);
    Status status = kTimedOut;
    for (;;) {
        if (try_decrement()) {
            status = kOk;
            break;
        }
        if (gate_.closed()) {
            status = kClosed;
            break;
        }
        if (deadline.expired()) break;
        futex_wait(layout_->value, 0, deadline.is_forever() ? -1 : deadline.at_ns());
    }
    layout_->sleepers.fetch_sub(1, std::memory_order_seq_cst);
    return status;
}

Status Semaphore::release(std::uint32_t n) noexcept {
    if (n == 0) return kInvalid;
    const std::uint32_t limit = layout_->bound != 0 ? layout_->bound : kSemaphoreValueMax;
    std::uint32_t v = layout_->value.load(std::memory_order_relaxed);
    do {
        if (n > limit || v > limit - n) return kOverflow;
    } while (!layout_->value.compare_exchange_weak(v, v + n, std::memory_order_seq_cst,
                                                   std::memory_order_relaxed));
    if (layout_->sleepers.load(std::memory_order_seq_cst) != 0) {
        futex_wake(layout_->value,
                   n > static_cast<std::uint32_t>(kWakeAll) ? kWakeAll : static_cast<int>(n));
    }
    return kOk;
}

void Semaphore::close() noexcept {
    gate_.close([this] { futex_wake(layout_->value, kWakeAll); });
}

}  // namespace mproc::core::sync
