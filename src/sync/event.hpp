// Event: a flag in shared memory that threads and processes wait for, like
// multiprocessing.Event.
#pragma once

#include <string_view>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/event_layout.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class Event : public SharedObject<EventLayout> {
  public:
    static Event create(std::string_view name, const shm::CreateOptions &options);
    static Event open(std::string_view name);

    Event(Event &&) noexcept = default;

    // Sets the flag; wakes the sleepers, with no system call when there are none.
    void set() noexcept;
    void clear() noexcept;
    bool is_set() const noexcept { return layout_->state.load(std::memory_order_acquire) & 1u; }
    // kOk once set (or a set happened meanwhile), kTimedOut, kClosed.
    Status wait(const Deadline &deadline) noexcept;

    void close() noexcept;

  private:
    // wait once the flag was clear (state `seen`): spins, then sleeps until a change.
    Status wait_for_change(std::uint32_t seen, const Deadline &deadline) noexcept;
    explicit Event(shm::Segment segment) : SharedObject(std::move(segment)) {}
};

}  // namespace mproc::core::sync
