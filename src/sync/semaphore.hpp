// Semaphore and BoundedSemaphore in shared memory, like multiprocessing's.
#pragma once

#include <cstdint>
#include <string_view>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/semaphore_layout.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::sync {

class Semaphore : public SharedObject<SemaphoreLayout> {
  public:
    // bounded: release never takes the value above `value`. Throws kTooBig past
    // kSemaphoreValueMax.
    static Semaphore create(std::string_view name, std::uint32_t value, bool bounded,
                            const shm::CreateOptions &options);
    static Semaphore open(std::string_view name);

    Semaphore(Semaphore &&) noexcept = default;

    // kOk, kTimedOut, kClosed.
    Status acquire(const Deadline &deadline) noexcept;
    // kOk, kInvalid (n == 0), kOverflow (over the bound or the maximum; nothing changes).
    Status release(std::uint32_t n) noexcept;

    std::uint32_t value() const noexcept { return layout_->value.load(std::memory_order_relaxed); }
    std::uint32_t bound() const noexcept { return layout_->bound; }

    void close() noexcept;

  private:
    explicit Semaphore(shm::Segment segment) : SharedObject(std::move(segment)) {}
    bool try_decrement() noexcept;
    // acquire once the value was 0: spins, then sleeps until the deadline.
    Status wait_to_decrement(const Deadline &deadline) noexcept;
};

}  // namespace mproc::core::sync
