// HeapObject: what Dict and List share, a MirroredHeap under a name and the calls that act
// on the object as a whole rather than on its contents (the lock held across calls, the
// memory figures, close). Each container adds its own calls over heap_.
#pragma once

#include <string>
#include <utility>

#include "container/mirrored_heap.hpp"
#include "error.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::container {

class HeapObject {
  public:
    const std::string &name() const noexcept { return heap_.name(); }

    // The lock, held across several calls: kOk, kOwnerDead (taken from a dead owner: the
    // copies were repaired), kTimedOut, kClosed, kOverflow.
    Status acquire(const sync::Deadline &deadline) noexcept { return heap_.acquire(deadline); }
    // kOk or kNotOwner.
    Status release() noexcept { return heap_.release(); }
    Status memory(const sync::Deadline &deadline, HeapMemory *out) {
        return heap_.memory(deadline, out);
    }
    // Wakes the calls blocked on this handle (kClosed) and waits them out.
    void close() noexcept { heap_.close(); }

  protected:
    explicit HeapObject(MirroredHeap heap) : heap_(std::move(heap)) {}

    MirroredHeap heap_;
};

}  // namespace mproc::core::container
