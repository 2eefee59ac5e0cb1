#include "inspect/kind_details.hpp"

#include <boost/version.hpp>

#include <cstddef>
#include <cstring>
#include <string>

#include "array/array_layout.hpp"
#include "array/typecode.hpp"
#include "container/heap_layout.hpp"
#include "container/mirrored_heap.hpp"
#include "inspect/container_items.hpp"
#include "queue/queue.hpp"
#include "queue/queue_layout.hpp"
#include "sync/barrier_layout.hpp"
#include "sync/condition_layout.hpp"
#include "sync/event_layout.hpp"
#include "sync/lock_layout.hpp"
#include "sync/rlock_layout.hpp"
#include "sync/semaphore_layout.hpp"

namespace mproc::core::inspect {

namespace {

using array::ArrayLayout;
using container::HeapLayout;
using queue::QueueLayout;
using queue::QueueSlot;

void corrupt(ObjectInfo &info, const std::string &problem) {
    info.status = kCorrupt;
    info.problem = problem;
}

// The holder of the robust mutex whose word is at `word_at`: its pid is the word's low
// bits (sync/robust_mutex_layout.hpp).
void read_holder(const BoundedView &view, std::uint64_t word_at, ObjectInfo &info) {
    const std::uint32_t pid = view.get<std::uint32_t>(word_at) & sync::kPidMask;
    info.holder_pid = static_cast<std::int32_t>(pid);
    info.holder_alive = pid == 0 ? -1 : to_alive(shm::process_liveness(pid, 0));
}

// True if the `len` bytes at `offset` hold a NUL.
bool terminated(const BoundedView &view, std::uint64_t offset, std::uint64_t len) {
    const void *p = view.at(offset, len);
    return p != nullptr && std::memchr(p, '\0', static_cast<std::size_t>(len)) != nullptr;
}

// ---- Queue: the reading side of queue.cpp's positions, on a checked layout -----------

std::uint64_t align_up(std::uint64_t n, std::uint64_t to) {
    return (n + to - 1) / to * to;
}

struct Ring {
    const BoundedView &view;
    std::uint64_t capacity;
    std::uint64_t slots_offset;
    std::uint64_t stride;

    std::uint64_t lap(std::uint64_t pos) const { return (pos / capacity) & queue::kLapMask; }
    // The slot's word; the layout check put every slot inside the view.
    std::uint64_t word(std::uint64_t pos) const {
        return view.get<std::uint64_t>(slots_offset + (pos % capacity) * stride +
                                       offsetof(QueueSlot, word));
    }
};

// As queue.cpp's past_claimed and past_taken: where a producer (consumer) looking for the
// first unclaimed (untaken) position goes on from `pos`.
std::uint64_t past_claimed(std::uint64_t pos, std::uint64_t word, std::uint64_t lap,
                           std::uint64_t capacity) {
    const std::uint64_t d = queue::lap_distance(word, lap);
    if (d == queue::kLapMask) return pos;
    if (d == 0) return queue::word_state(word) == queue::kSlotFree ? pos : pos + 1;
    return pos + (queue::word_state(word) == queue::kSlotFree ? d - 1 : d) * capacity + 1;
}

std::uint64_t past_taken(std::uint64_t pos, std::uint64_t word, std::uint64_t lap,
                         std::uint64_t capacity) {
    const std::uint64_t d = queue::lap_distance(word, lap);
    if (d == queue::kLapMask) return pos;
    if (d == 0) return queue::word_state(word) == queue::kSlotReading ? pos + 1 : pos;
    return pos + (d - 1) * capacity + 1;
}

// The position hint at `hint_at` plus the claimed slots beyond it, as Queue's
// enqueue_position / dequeue_position: bounded steps, whatever the words say.
template <typename Past>
std::uint64_t position(const Ring &ring, std::uint64_t hint_at, Past past) {
    std::uint64_t pos = ring.view.get<std::uint64_t>(hint_at);
    for (std::uint64_t steps = 0; steps <= 2 * ring.capacity + 2; ++steps) {
        const std::uint64_t next = past(pos, ring.word(pos), ring.lap(pos), ring.capacity);
        if (next == pos) break;
        pos = next;
    }
    return pos;
}

void read_queue(const BoundedView &view, std::uint64_t size, ObjectInfo &info) {
    const auto capacity = view.get<std::uint64_t>(offsetof(QueueLayout, capacity));
    const auto max_message = view.get<std::uint64_t>(offsetof(QueueLayout, max_message));
    const auto stride = view.get<std::uint64_t>(offsetof(QueueLayout, slot_stride));
    const auto slots = view.get<std::uint64_t>(offsetof(QueueLayout, slots_offset));
    const auto flavor = view.get<std::uint32_t>(offsetof(QueueLayout, flavor));
    // The checks of queue.cpp's check_layout.
    if (capacity == 0 || capacity > queue::kMaxSize || max_message == 0 ||
        max_message > queue::kMaxMessage ||
        stride != align_up(sizeof(QueueSlot) + max_message, 64) ||
        slots != align_up(sizeof(QueueLayout), 64) ||
        flavor > static_cast<std::uint32_t>(queue::QueueFlavor::kJoinable)) {
        corrupt(info, "corrupt queue header: maxsize " + std::to_string(capacity) +
                          ", max message " + std::to_string(max_message));
        return;
    }
    if (size < slots || capacity > (size - slots) / stride) {
        corrupt(info, "queue of " + std::to_string(capacity) + " slots in an object of " +
                          std::to_string(size) + " bytes");
        return;
    }
    info.capacity = capacity;
    const Ring ring{view, capacity, slots, stride};
    info.puts = position(ring, offsetof(QueueLayout, enqueue_pos), past_claimed);
    info.gets = position(ring, offsetof(QueueLayout, dequeue_pos), past_taken);
    // The published messages: exact when nobody is using the queue (a ready slot holds a
    // message nobody has taken), a snapshot otherwise.
    std::uint64_t ready = 0;
    for (std::uint64_t i = 0; i < capacity; ++i) {
        if (queue::word_state(ring.word(i)) == queue::kSlotReady) ++ready;
    }
    info.depth = ready;
}

// ---- Value and Array: the checks of array.cpp's check_layout --------------------------

void read_array(const BoundedView &view, std::uint64_t size, shm::Kind kind, ObjectInfo &info) {
    const auto typecode = view.get<std::uint8_t>(offsetof(ArrayLayout, typecode));
    const auto itemsize = view.get<std::uint8_t>(offsetof(ArrayLayout, itemsize));
    const auto with_lock = view.get<std::uint8_t>(offsetof(ArrayLayout, with_lock));
    const auto items_offset = view.get<std::uint32_t>(offsetof(ArrayLayout, items_offset));
    const auto length = view.get<std::uint64_t>(offsetof(ArrayLayout, length));
    const array::TypeCode *type = array::find_typecode(static_cast<char>(typecode));
    if (type == nullptr || itemsize != type->size || with_lock > 1 ||
        items_offset < sizeof(ArrayLayout) || items_offset % 8 != 0 || length == 0 ||
        (kind == shm::Kind::kValue && length != 1)) {
        corrupt(info, std::string("corrupt ") + info.kind_name + " header: type code " +
                          std::to_string(typecode) + ", " + std::to_string(length) + " items");
        return;
    }
    if (items_offset > size || length > (size - items_offset) / type->size) {
        corrupt(info, std::to_string(length) + " items of " + std::to_string(type->size) +
                          " bytes in an object of " + std::to_string(size) + " bytes");
        return;
    }
    info.capacity = length;
    if (with_lock == 1) read_holder(view, offsetof(ArrayLayout, lock.mutex.word), info);
}

// ---- Dict and List: the checks of MirroredHeap's constructor ---------------------------

// `size` is header.size, `file_size` the file's: a container's file is exactly the
// header page and its two reservations.
void read_heap(const BoundedView &view, std::uint64_t size, std::uint64_t file_size, shm::Kind kind,
               ObjectInfo &info) {
    const auto boost_version = view.get<std::uint32_t>(offsetof(HeapLayout, boost_version));
    if (boost_version != BOOST_VERSION) {
        info.status = kVersion;
        info.problem = "made with Boost " + std::to_string(boost_version) +
                       ", this library uses Boost " + std::to_string(BOOST_VERSION);
        return;
    }
    const auto reserved = view.get<std::uint64_t>(offsetof(HeapLayout, reserved_bytes));
    const auto root_offset = view.get<std::uint64_t>(offsetof(HeapLayout, root_offset));
    const auto phase = view.get<std::uint32_t>(offsetof(HeapLayout, phase));
    if (reserved < container::kMinReservation || reserved > container::kMaxReservation ||
        reserved % container::kPageSize != 0 || size != file_size ||
        size != container::kCopiesOffset + 2 * reserved || root_offset >= reserved ||
        root_offset % 8 != 0 || phase > container::kPhaseWritingB) {
        corrupt(info, std::string("corrupt ") + info.kind_name + " header: reservation " +
                          std::to_string(reserved) + " in an object of " + std::to_string(size) +
                          " bytes");
        return;
    }
    info.capacity = reserved;
    info.puts = view.get<std::uint64_t>(offsetof(HeapLayout, writes));
    // owner_dead is the header's: a repair follows a takeover of the lock from the dead
    // writer, which the header already counted (HeapLayout::recoveries would count it twice).
    read_holder(view, offsetof(HeapLayout, lock.mutex.word), info);
    // A writer changes A, then B: while it is at A (or died there), B is the intact copy.
    const std::uint64_t intact = phase == container::kPhaseWritingA ? 1 : 0;
    std::uint64_t items = 0;
    // If the root does not fit (it always does, given the checks above), depth stays 0.
    if (container_items(view, kind, container::kCopiesOffset + intact * reserved + root_offset,
                        &items)) {
        info.depth = items;
    }
}

}  // namespace

const KindFacts *kind_facts(std::uint32_t kind) noexcept {
    using shm::Kind;
    static const KindFacts kFacts[] = {
        {"lock", sync::LockLayout::type().layout_version, sizeof(sync::LockLayout)},
        {"rlock", sync::RLockLayout::type().layout_version, sizeof(sync::RLockLayout)},
        {"semaphore", sync::SemaphoreLayout::type().layout_version, sizeof(sync::SemaphoreLayout)},
        {"event", sync::EventLayout::type().layout_version, sizeof(sync::EventLayout)},
        {"condition", sync::ConditionLayout::type().layout_version, sizeof(sync::ConditionLayout)},
        {"barrier", sync::BarrierLayout::type().layout_version, sizeof(sync::BarrierLayout)},
        {"queue", QueueLayout::type().layout_version, 0},
        {"value", ArrayLayout::type(Kind::kValue).layout_version, 0},
        {"array", ArrayLayout::type(Kind::kArray).layout_version, 0},
        {"dict", HeapLayout::type(Kind::kDict).layout_version, 0},
        {"list", HeapLayout::type(Kind::kList).layout_version, 0},
    };
    static_assert(static_cast<std::uint32_t>(Kind::kLock) == 1 &&
                  static_cast<std::uint32_t>(Kind::kList) == 11);
    if (kind < 1 || kind > 11) return nullptr;
    return &kFacts[kind - 1];
}

Alive to_alive(shm::Liveness liveness) noexcept {
    switch (liveness) {
        case shm::Liveness::kAlive:
            return 1;
        case shm::Liveness::kDead:
            return 0;
        case shm::Liveness::kUnknown:
            break;
    }
    return -1;
}

void read_kind_details(const BoundedView &file, std::uint64_t object_size, shm::Kind kind,
                       ObjectInfo &info) {
    // Only the object's own bytes: nothing past header.size is read.
    const BoundedView view(file.at(0, object_size), object_size);
    switch (kind) {
        case shm::Kind::kLock:
            read_holder(view, offsetof(sync::LockLayout, mutex.word), info);
            break;
        case shm::Kind::kRLock:
            read_holder(view, offsetof(sync::RLockLayout, rlock.mutex.word), info);
            break;
        case shm::Kind::kSemaphore:
            info.depth = view.get<std::uint32_t>(offsetof(sync::SemaphoreLayout, value));
            info.capacity = view.get<std::uint32_t>(offsetof(sync::SemaphoreLayout, bound));
            break;
        case shm::Kind::kEvent:
            info.depth = view.get<std::uint32_t>(offsetof(sync::EventLayout, state)) & 1u;
            break;
        case shm::Kind::kCondition: {
            const auto lock_kind =
                view.get<std::uint32_t>(offsetof(sync::ConditionLayout, lock_kind));
            if (lock_kind > static_cast<std::uint32_t>(sync::ConditionLockKind::kRLock)) {
                corrupt(info,
                        "condition over an unknown kind of lock " + std::to_string(lock_kind));
                break;
            }
            // Over a Lock or RLock of its own name, that object reports the holder; the
            // name must end inside its field, as Condition's constructor checks.
            if (lock_kind == static_cast<std::uint32_t>(sync::ConditionLockKind::kOwnRLock)) {
                read_holder(view, offsetof(sync::ConditionLayout, own_lock.mutex.word), info);
            } else if (!terminated(view, offsetof(sync::ConditionLayout, lock_name),
                                   sizeof(sync::ConditionLayout::lock_name))) {
                corrupt(info, "condition whose lock's name is not terminated");
            }
            break;
        }
        case shm::Kind::kBarrier: {
            const auto parties = view.get<std::uint32_t>(offsetof(sync::BarrierLayout, parties));
            if (parties == 0 || parties > sync::kBarrierMaxParties) {
                corrupt(info, "barrier of " + std::to_string(parties) + " parties");
                break;
            }
            const auto arrived = view.get<std::uint32_t>(offsetof(sync::BarrierLayout, arrived));
            if (arrived >= parties) {  // a trip resets it: no process counts so far
                corrupt(info, "barrier of " + std::to_string(parties) + " parties with " +
                                  std::to_string(arrived) + " arrived");
                break;
            }
            info.capacity = parties;
            info.depth = arrived;
            read_holder(view, offsetof(sync::BarrierLayout, guard.word), info);
            break;
        }
        case shm::Kind::kQueue:
            read_queue(view, object_size, info);
            break;
        case shm::Kind::kValue:
        case shm::Kind::kArray:
            read_array(view, object_size, kind, info);
            break;
        case shm::Kind::kDict:
        case shm::Kind::kList:
            read_heap(view, object_size, file.size(), kind, info);
            break;
    }
}

}  // namespace mproc::core::inspect
