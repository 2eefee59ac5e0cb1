// Two copies of a Boost.Interprocess managed heap in one shared segment, changed one after
// the other under a robust recursive lock, so that a writer killed at any instruction
// leaves one intact copy: the crash-consistency engine under Dict and List.
//
// Write protocol (under the lock): phase = WritingA; change A; phase = WritingB; change B
// (the same change, so the copies stay equal); phase = Idle. Whoever takes the lock next
// and finds phase != Idle (its owner died) copies the intact copy over the other one:
// WritingA -> B over A (the state before the dead call), WritingB -> A over B (the state
// after it). Copying a whole heap is valid because everything in it is an offset pointer
// relative to its own address. The repair is idempotent, so a repairer that dies too is
// repaired by the next one.
//
// Growth: a change that throws std::bad_alloc is undone (B over A), both copies grow
// (doubling, inside their reservations, each under the same two-phase protocol), and the
// change is tried again; at the reservation's end the call fails with kFull, unchanged.
// Any other exception from a change also restores A from B before it propagates.
//
// Reads use copy A.
#pragma once

#include <boost/interprocess/indexes/iset_index.hpp>
#include <boost/interprocess/managed_external_buffer.hpp>
#include <boost/interprocess/mem_algo/rbtree_best_fit.hpp>
#include <boost/interprocess/sync/mutex_family.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "container/function_ref.hpp"
#include "container/heap_layout.hpp"
#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/recursive_mutex.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::container {

namespace bip = boost::interprocess;

// No mutex inside the heap: the object's robust lock guards it (Boost's own mutexes
// would wedge for ever if their owner died).
using ManagedHeap = bip::basic_managed_external_buffer<
    char, bip::rbtree_best_fit<bip::null_mutex_family, bip::offset_ptr<void>>, bip::iset_index>;
using SegmentManager = ManagedHeap::segment_manager;

template <typename T>
using Allocator = bip::allocator<T, SegmentManager>;

struct HeapSizes {
    std::size_t initial = 0;  // bytes per copy at creation; 0 = kDefaultInitial
    std::size_t max = 0;      // bytes per copy at most; 0 = kDefaultMax
};

inline constexpr std::size_t kDefaultInitial = 256u << 10;
inline constexpr std::size_t kDefaultMax = 256u << 20;
inline constexpr std::size_t kMaxReservation = std::size_t{1} << 40;
inline constexpr std::size_t kMinReservation = 16u << 10;

struct HeapMemory {
    std::size_t capacity = 0;  // bytes per copy now
    std::size_t max_size = 0;  // the reservation
    std::size_t free = 0;      // free bytes in the current capacity
    std::uint64_t writes = 0;
    std::uint64_t recoveries = 0;
    std::uint64_t growths = 0;
};

class MirroredHeap : public sync::SharedObject<HeapLayout> {
  public:
    // Creates the object and, in copy A, the root with make_root(segment manager) (which
    // returns it), then copies A to B. Throws Error: kInvalid (initial > max), kTooBig
    // (max over kMaxReservation or under kMinReservation), kNoMemory (no memory for the
    // initial size), and as Segment::create. With options.open_existing an existing
    // object of `kind` is opened whatever its sizes.
    static MirroredHeap create(std::string_view name, shm::Kind kind, const HeapSizes &sizes,
                               const shm::CreateOptions &options,
                               const std::function<void *(SegmentManager &)> &make_root);
    // Throws as Segment::open; kVersion for another Boost version or corrupt sizes.
    static MirroredHeap open(std::string_view name, shm::Kind kind);
    static void unlink(std::string_view name, shm::Kind kind);

    MirroredHeap(MirroredHeap &&) noexcept = default;

    const char *label() const noexcept;

    // The root object in copy A, which reads use.
    void *root_a() const noexcept { return root(0); }

    // Runs read(root of A) under the lock. kOk or what taking the lock gave (kTimedOut,
    // kClosed, kOverflow); a dead previous owner is repaired first and is not reported.
    template <typename Read>
    Status read(const sync::Deadline &deadline, Read &&read) {
        Status s = enter(deadline);
        if (s != kOk) return s;
        Exit exit(*this);
        read(root_a());
        return kOk;
    }

    // Runs change(segment manager, root, primary) on A (primary = true), then on B
    // (primary = false), under the lock and the two-phase protocol. change returns kOk
    // if it changed the copy, or any other status to say it changed nothing (then B is
    // not touched and the status is returned). It must make the same change to both
    // copies, and do its side effects (copying results out) only when primary. Throws
    // Error(kFull) if it does not fit at the reservation's end; rethrows other exceptions
    // after restoring A.
    template <typename Change>
    Status write(const sync::Deadline &deadline, Change &&change) {
        Status s = enter(deadline);
        if (s != kOk) return s;
        Exit exit(*this);
        return write_locked(ChangeRef(change));
    }

    // The lock, held across several calls by the caller: kOk, kOwnerDead (taken from a
    // dead owner: the copies were repaired), kTimedOut, kClosed, kOverflow.
    Status acquire(const sync::Deadline &deadline) noexcept;
    // kOk or kNotOwner.
    Status release() noexcept;

    Status memory(const sync::Deadline &deadline, HeapMemory *out);

    // Wakes the calls blocked on this handle (kClosed) and waits them out.
    void close() noexcept;

  private:
    explicit MirroredHeap(shm::Segment segment);

    class Exit {
      public:
        explicit Exit(MirroredHeap &heap) noexcept : heap_(heap) {}
        ~Exit() { heap_.leave(); }
        Exit(const Exit &) = delete;
        Exit &operator=(const Exit &) = delete;

      private:
        MirroredHeap &heap_;
    };

    using ChangeRef = FunctionRef<Status(SegmentManager &, void *, bool)>;

    // Takes the lock (recursively) and repairs a dead writer's copy. kOk, kTimedOut,
    // kClosed, kOverflow.
    Status enter(const sync::Deadline &deadline) noexcept;
    void leave() noexcept;
    Status write_locked(const ChangeRef &change);
    // Makes the broken copy equal to the intact one if a writer died; phase = Idle.
    void repair() noexcept;
    void copy_heap(int from, int to) noexcept;
    void set_phase(std::uint32_t phase) noexcept;
    // Both copies grow to at least `needed` bytes (doubling); false at the reservation's end.
    bool grow(std::size_t needed) noexcept;
    // kNoMemory if /dev/shm could not give the pages to grow, else kFull.
    [[noreturn]] void throw_no_room() const;

    char *copy_base(int copy) const noexcept;
    void *root(int copy) const noexcept { return copy_base(copy) + root_offset_; }
    SegmentManager &manager(int copy) const noexcept { return *managers_[copy]; }
    std::size_t capacity(int copy) const noexcept;
    sync::RecursiveMutex mutex() const noexcept { return sync::RecursiveMutex(layout_->lock); }
    std::string describe() const;

    // Where the segment managers of copies A and B are in this process's mapping.
    SegmentManager *managers_[2] = {nullptr, nullptr};
    // The geometry, copied at open once checked: a peer that scribbles on the header page
    // afterwards cannot move a copy or the root out of the mapping.
    std::size_t reserved_ = 0;
    std::size_t root_offset_ = 0;
};

}  // namespace mproc::core::container
