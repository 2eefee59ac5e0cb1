#include "sync/event.hpp"

#include "shm/object_counters.hpp"
#include "sync/futex.hpp"
#include "sync/spin.hpp"

namespace mproc::core::sync {

Event Event::create(std::string_view name, const shm::CreateOptions &options) {
    return Event(create_segment(name, options, [](EventLayout &) {}));
}

Event Event::open(std::string_view name) {
    return Event(open_segment(name));
}

void Event::set() noexcept {
    std::uint32_t v = layout_->state.load(std::memory_order_relaxed);
    do {
        if (v & 1u) return;
    } while (!layout_->state.compare_exchange_weak(v, (v + 2) | 1u, std::memory_order_seq_cst,
                                                   std::memory_order_relaxed));
    if (layout_->sleepers.load(std::memory_order_seq_cst) != 0) {
        futex_wake(layout_->state, kWakeAll);
    }
}

void Event::clear() noexcept {
    layout_->state.fetch_and(~1u, std::memory_order_release);
}

Status Event::wait(const Deadline &deadline) noexcept {
    const std::uint32_t seen = layout_->state.load(std::memory_order_acquire);
    if (seen & 1u) return kOk;
    return shm::count_waited(layout_->header, wait_for_change(seen, deadline));
}

Status Event::wait_for_change(std::uint32_t seen, const Deadline &deadline) noexcept {
    auto changed = [&] { return layout_->state.load(std::memory_order_acquire) != seen; };
    if (deadline.expired()) return kTimedOut;
    WaitGate::Pass pass(gate_);
    if (spin_until(changed)) return kOk;

    layout_->sleepers.fetch_add(1, std::memory_order_seq_cst);
    Status status = kTimedOut;
    for (;;) {
        if (layout_->state.load(std::memory_order_seq_cst) != seen) {
            status = kOk;
            break;
        }
        if (gate_.closed()) {
            status = kClosed;
            break;
        }
        if (deadline.expired()) break;
        futex_wait(layout_->state, seen, deadline.is_forever() ? -1 : deadline.at_ns());
    }
    layout_->sleepers.fetch_sub(1, std::memory_order_seq_cst);
    return status;
}

void Event::close() noexcept {
    gate_.close([this] { futex_wake(layout_->state, kWakeAll); });
}

}  // namespace mproc::core::sync
