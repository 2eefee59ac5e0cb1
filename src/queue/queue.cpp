// The queue algorithm.
//
// Positions count up for ever; position p lives in slot p % capacity, whose word holds
// (p / capacity) << 3 | state: a fresh, zero-filled queue is every slot free for its
// first position, so creation touches no slot.
//
// A producer claims position p = enqueue_pos under the producer lock: it writes its pid
// into the slot, marks the slot kSlotWriting, then advances enqueue_pos. It copies the
// message outside the lock and publishes it (kSlotReady). A consumer takes position
// p = dequeue_pos under the consumer lock, only once that slot is ready: it writes its pid,
// then advances dequeue_pos; it copies the message out and frees the slot for p + capacity.
//
// Process death, at any instruction:
//  - a producer that dies after marking the slot but before advancing enqueue_pos held
//    the producer lock: the next holder gets kOwnerDead and unmarks the slot;
//  - a producer that dies while copying leaves a kSlotWriting head: a consumer that finds
//    the head's writer dead marks it kSlotSkipped, and consumers pass over it;
//  - a consumer that dies before advancing dequeue_pos left nothing claimed;
//  - a consumer that dies after advancing it holds its slot for ever: a producer that
//    needs the slot and finds that reader dead frees it (that one message is lost).
// Waiting: spin briefly, then sleep on the `published` / `freed` counters, re-checking
// every 20 ms for a dead writer or reader that no wake-up would announce.
#include "queue/queue.hpp"

#include <cstring>
#include <new>
#include <string>

#include "sync/futex.hpp"
#include "sync/owner_liveness.hpp"
#include "sync/process_identity.hpp"
#include "sync/robust_mutex.hpp"
#include "sync/spin.hpp"

namespace mproc::core::queue {

using sync::Deadline;
using sync::RobustMutex;

namespace {

constexpr std::int64_t kLivenessPeriodNs = 20 * 1000 * 1000;
constexpr std::size_t kSlotHeader = sizeof(QueueSlot);

std::uint64_t align_up(std::uint64_t n, std::uint64_t to) {
    return (n + to - 1) / to * to;
}

enum class Wake { kReady, kSliceEnded, kDeadline, kClosed };

// Sleeps on `counter` until ready() holds, the deadline or the slice end passes, or the
// gate closes. Announcing the sleeper before the last look at the state (both sequentially
// consistent) pairs with bump(): a waker either sees the sleeper or its change is seen.
template <typename Ready>
Wake sleep_until(std::atomic<std::uint32_t> &counter, std::atomic<std::uint32_t> &sleepers,
                 Ready &&ready, const Deadline &deadline, std::int64_t slice_end_ns,
                 const sync::WaitGate &gate) {
    // Pairs with bump(): see there. Acquire keeps our looks at the state below after it.
    sleepers.fetch_add(1, std::memory_order_acq_rel);
    Wake result;
    for (;;) {
        const std::uint32_t seen = counter.load(std::memory_order_seq_cst);
        if (ready()) {
            result = Wake::kReady;
            break;
        }
        if (gate.closed()) {
            result = Wake::kClosed;
            break;
        }
        const std::int64_t now = Deadline::now_ns();
        if (!deadline.is_forever() && now >= deadline.at_ns()) {
            result = Wake::kDeadline;
            break;
        }
        if (now >= slice_end_ns) {
            result = Wake::kSliceEnded;
            break;
        }
        std::int64_t until = slice_end_ns;
        if (!deadline.is_forever() && deadline.at_ns() < until) until = deadline.at_ns();
        sync::futex_wait(counter, seen, until);
    }
    sleepers.fetch_sub(1, std::memory_order_seq_cst);
    return result;
}

// Tells the sleepers on `counter` that something changed. Reading `sleepers` with a
// read-modify-write (which always reads the latest value) pairs with the sleeper's
// increment of it: either we see the sleeper and bump and wake, or our RMW comes first
// and the sleeper's acquire of it makes our change visible to its next look (an
// eventcount). With nobody asleep the line stays in our cache and no system call is made.
// (No atomic_thread_fence: GCC does not support it under ThreadSanitizer.)
void bump(std::atomic<std::uint32_t> &counter, std::atomic<std::uint32_t> &sleepers) {
    if (sleepers.fetch_add(0, std::memory_order_acq_rel) == 0) return;
    counter.fetch_add(1, std::memory_order_seq_cst);
    sync::futex_wake(counter, sync::kWakeAll);
}

std::uint64_t slot_stride_for(std::uint64_t max_message) {
    return align_up(kSlotHeader + max_message, 64);
}

std::uint64_t slots_offset() {
    return align_up(sizeof(QueueLayout), 64);
}

// Everything the algorithm computes with must be what create wrote: a corrupt or hostile
// header is kVersion at open, never an out-of-bounds slot later.
void check_layout(const QueueLayout &layout, std::size_t size, const std::string &name) {
    const std::string what = "queue '" + name + "': open: ";
    if (layout.capacity == 0 || layout.capacity > kMaxSize || layout.max_message == 0 ||
        layout.max_message > kMaxMessage ||
        layout.slot_stride != slot_stride_for(layout.max_message) ||
        layout.slots_offset != slots_offset() ||
        layout.flavor > static_cast<std::uint32_t>(QueueFlavor::kJoinable)) {
        throw Error(kVersion, what + "corrupt queue header");
    }
    // Bounded above, so no product here can wrap; division keeps it so anyway.
    if (size < layout.slots_offset ||
        layout.capacity > (size - layout.slots_offset) / layout.slot_stride) {
        throw Error(kVersion, what + "the object is smaller than its slots");
    }
}

}  // namespace

Queue::Queue(shm::Segment segment) : SharedObject(std::move(segment)) {
    check_layout(*layout_, segment_.size(), segment_.name());
}

Queue Queue::create(std::string_view name, std::uint64_t maxsize, std::uint64_t max_message,
                    QueueFlavor flavor, const shm::CreateOptions &options) {
    if (maxsize == 0) throw Error(kInvalid, "queue: maxsize must be at least 1");
    if (max_message == 0) throw Error(kInvalid, "queue: max_message_size must be at least 1");
    if (maxsize > kMaxSize) {
        throw Error(kTooBig, "queue: maxsize " + std::to_string(maxsize) + " is over " +
                                 std::to_string(kMaxSize));
    }
    if (max_message > kMaxMessage) {
        throw Error(kTooBig, "queue: max_message_size " + std::to_string(max_message) +
                                 " is over " + std::to_string(kMaxMessage));
    }
    const std::uint64_t stride = slot_stride_for(max_message);
    const std::uint64_t offset = slots_offset();
    const std::uint64_t total = offset + maxsize * stride;
    if (total > kMaxBytes) {
        throw Error(kTooBig, "queue: " + std::to_string(maxsize) + " slots of " +
                                 std::to_string(max_message) + " bytes is over 2^40 bytes");
    }
    shm::Segment segment = shm::Segment::create(
        name, QueueLayout::type(static_cast<std::size_t>(total)), options, [&](void *base) {
            QueueLayout *layout = new (base) QueueLayout{};
            layout->capacity = maxsize;
            layout->max_message = max_message;
            layout->slot_stride = stride;
            layout->slots_offset = offset;
            layout->flavor = static_cast<std::uint32_t>(flavor);
            // The slots stay zero-filled: free for their first position (see above).
        });
    return Queue(std::move(segment));
}

Queue Queue::open(std::string_view name) {
    return Queue(open_segment(name));
}

QueueSlot &Queue::slot_at(std::uint64_t position) const noexcept {
    auto *base = static_cast<unsigned char *>(segment_.base());
    const std::uint64_t index = position % layout_->capacity;
    return *reinterpret_cast<QueueSlot *>(base + layout_->slots_offset +
                                          index * layout_->slot_stride);
}

std::uint64_t Queue::index_of(const QueueSlot &slot) const noexcept {
    auto *base = static_cast<const unsigned char *>(segment_.base()) + layout_->slots_offset;
    return static_cast<std::uint64_t>(reinterpret_cast<const unsigned char *>(&slot) - base) /
           layout_->slot_stride;
}

unsigned char *Queue::payload(QueueSlot &slot) const noexcept {
    return reinterpret_cast<unsigned char *>(&slot) + kSlotHeader;
}

QueueSlot *Queue::slot_of(const void *data) const noexcept {
    auto *base = static_cast<const unsigned char *>(segment_.base());
    auto *p = static_cast<const unsigned char *>(data);
    const unsigned char *first = base + layout_->slots_offset + kSlotHeader;
    if (p < first) return nullptr;
    const std::uint64_t offset = static_cast<std::uint64_t>(p - first);
    if (offset % layout_->slot_stride != 0) return nullptr;
    const std::uint64_t index = offset / layout_->slot_stride;
    if (index >= layout_->capacity) return nullptr;
    return const_cast<QueueSlot *>(reinterpret_cast<const QueueSlot *>(p - kSlotHeader));
}

namespace {

std::uint64_t word_for(std::uint64_t position, std::uint64_t capacity, std::uint64_t state) {
    return slot_word(position / capacity, state);
}

}  // namespace

Status Queue::lock_producers() noexcept {
    RobustMutex lock(layout_->producer_lock);
    if (lock.try_acquire_free()) return kOk;
    Status status = lock.acquire(Deadline::forever(), &gate_);
    if (status == kOwnerDead) {
        // Its holder died between marking the head slot and advancing enqueue_pos: the
        // slot is marked but not claimed. Unmark it.
        const std::uint64_t position = layout_->enqueue_pos.load(std::memory_order_relaxed);
        QueueSlot &slot = slot_at(position);
        std::uint64_t word = word_for(position, layout_->capacity, kSlotWriting);
        slot.word.compare_exchange_strong(word, word_for(position, layout_->capacity, kSlotFree),
                                          std::memory_order_acq_rel);
        status = kOk;
    }
    return status;
}

Status Queue::lock_consumers() noexcept {
    RobustMutex lock(layout_->consumer_lock);
    if (lock.try_acquire_free()) return kOk;
    Status status = lock.acquire(Deadline::forever(), &gate_);
    // A consumer that died holding it claimed nothing (dequeue_pos moves last).
    return status == kOwnerDead ? kOk : status;
}

bool Queue::reclaim_from_dead_reader(QueueSlot &slot, std::uint64_t stale) noexcept {
    const std::uint64_t capacity = layout_->capacity;
    std::uint64_t word = slot.word.load(std::memory_order_acquire);
    if (word != word_for(stale, capacity, kSlotReady) &&
        word != word_for(stale, capacity, kSlotSkipped)) {
        return false;
    }
    if (layout_->dequeue_pos.load(std::memory_order_acquire) <= stale) return false;  // not taken
    const std::uint32_t reader = slot.reader.load(std::memory_order_relaxed);
    if (reader == sync::current_pid() || sync::process_is_alive(reader)) return false;
    // Its consumer died holding it: the message went with it (the documented exception).
    if (!slot.word.compare_exchange_strong(word, word_for(stale + capacity, capacity, kSlotFree),
                                           std::memory_order_acq_rel)) {
        return false;
    }
    bump(layout_->freed, layout_->producer_sleepers);
    return true;
}

bool Queue::skip_dead_writer(QueueSlot &slot, std::uint64_t position) noexcept {
    const std::uint64_t capacity = layout_->capacity;
    std::uint64_t word = slot.word.load(std::memory_order_acquire);
    const bool counted = word == word_for(position, capacity, kSlotCounted);
    if (!counted && word != word_for(position, capacity, kSlotWriting)) return false;
    const std::uint32_t writer = slot.writer.load(std::memory_order_relaxed);
    if (writer == sync::current_pid() || sync::process_is_alive(writer)) return false;
    if (!slot.word.compare_exchange_strong(word, word_for(position, capacity, kSlotSkipped),
                                           std::memory_order_acq_rel)) {
        return false;
    }
    if (counted) task_done();  // it was counted for join, but will never be taken
    bump(layout_->published, layout_->consumer_sleepers);
    return true;
}

Status Queue::claim_for_write(std::size_t len, const Deadline &deadline,
                              std::uint64_t *position) noexcept {
    if (len > layout_->max_message) return kTooBig;
    const std::uint32_t me = sync::current_pid();
    const std::uint64_t capacity = layout_->capacity;
    bool spun = false;
    std::int64_t next_liveness_check = 0;
    for (;;) {
        Status locked = lock_producers();
        if (locked != kOk) return locked;
        const std::uint64_t pos = layout_->enqueue_pos.load(std::memory_order_relaxed);
        QueueSlot &slot = slot_at(pos);
        if (slot.word.load(std::memory_order_acquire) == word_for(pos, capacity, kSlotFree)) {
            slot.writer.store(me, std::memory_order_relaxed);
            slot.length.store(len, std::memory_order_relaxed);
            slot.word.store(word_for(pos, capacity, kSlotWriting), std::memory_order_release);
            layout_->enqueue_pos.store(pos + 1, std::memory_order_release);
            RobustMutex(layout_->producer_lock).release();
            *position = pos;
            return kOk;
        }
        RobustMutex(layout_->producer_lock).release();

        // Full: the slot still holds position pos - capacity. Unless its reader died.
        const std::int64_t now = Deadline::now_ns();
        if (now >= next_liveness_check) {
            if (pos >= capacity && reclaim_from_dead_reader(slot, pos - capacity)) continue;
            next_liveness_check = now + kLivenessPeriodNs;
        }
        if (deadline.expired()) return kFull;
        auto room = [&] {
            const std::uint64_t e = layout_->enqueue_pos.load(std::memory_order_acquire);
            return slot_at(e).word.load(std::memory_order_acquire) ==
                   word_for(e, capacity, kSlotFree);
        };
        if (!spun) {
            spun = true;
            if (sync::spin_until(room)) continue;
        }
        Wake wake = sleep_until(layout_->freed, layout_->producer_sleepers, room, deadline,
                                next_liveness_check, gate_);
        if (wake == Wake::kClosed) return kClosed;
    }
}

void Queue::publish(QueueSlot &slot, std::uint64_t position) noexcept {
    const std::uint64_t capacity = layout_->capacity;
    if (flavor() == QueueFlavor::kJoinable) {
        // Counted before it can be taken, so task_done never runs ahead of the count; a
        // consumer that skips a dead writer's counted slot takes the count back.
        slot.word.store(word_for(position, capacity, kSlotCounted), std::memory_order_relaxed);
        layout_->unfinished.fetch_add(1, std::memory_order_seq_cst);
    }
    slot.word.store(word_for(position, capacity, kSlotReady), std::memory_order_release);
    bump(layout_->published, layout_->consumer_sleepers);
}

Status Queue::claim_for_read(bool check_cap, std::size_t cap, const Deadline &deadline,
                             std::uint64_t *position, std::size_t *len) noexcept {
    const std::uint32_t me = sync::current_pid();
    const std::uint64_t capacity = layout_->capacity;
    bool spun = false;
    std::int64_t next_liveness_check = 0;
    for (;;) {
        Status locked = lock_consumers();
        if (locked != kOk) return locked;
        // The head slot's word alone says whether its message is there: the consumer never
        // reads enqueue_pos, which lives on the producers' cache line.
        const std::uint64_t pos = layout_->dequeue_pos.load(std::memory_order_relaxed);
        QueueSlot &slot = slot_at(pos);
        const std::uint64_t word = slot.word.load(std::memory_order_acquire);
        if (word == word_for(pos, capacity, kSlotReady)) {
            const std::size_t length = slot.length.load(std::memory_order_relaxed);
            if (check_cap && length > cap) {
                RobustMutex(layout_->consumer_lock).release();
                *len = length;
                return kTooBig;
            }
            slot.reader.store(me, std::memory_order_relaxed);
            layout_->dequeue_pos.store(pos + 1, std::memory_order_release);
            RobustMutex(layout_->consumer_lock).release();
            *position = pos;
            *len = length;
            return kOk;
        }
        if (word == word_for(pos, capacity, kSlotSkipped)) {
            slot.reader.store(me, std::memory_order_relaxed);
            layout_->dequeue_pos.store(pos + 1, std::memory_order_release);
            RobustMutex(layout_->consumer_lock).release();
            free_slot(slot, pos);
            continue;
        }
        RobustMutex(layout_->consumer_lock).release();
        // Empty, or still being written: a writer may have died in the middle.
        const bool writing = word == word_for(pos, capacity, kSlotWriting) ||
                             word == word_for(pos, capacity, kSlotCounted);
        const std::int64_t now = Deadline::now_ns();
        if (writing && spun && now >= next_liveness_check) {
            if (skip_dead_writer(slot, pos)) continue;
            next_liveness_check = now + kLivenessPeriodNs;
        }

        if (deadline.expired()) return kEmpty;
        auto ready = [&] {
            const std::uint64_t d = layout_->dequeue_pos.load(std::memory_order_acquire);
            const std::uint64_t w = slot_at(d).word.load(std::memory_order_acquire);
            return w == word_for(d, capacity, kSlotReady) ||
                   w == word_for(d, capacity, kSlotSkipped);
        };
        if (!spun) {
            spun = true;
            if (sync::spin_until(ready)) continue;
        }
        const std::int64_t slice_end = Deadline::now_ns() + kLivenessPeriodNs;
        Wake wake = sleep_until(layout_->published, layout_->consumer_sleepers, ready, deadline,
                                slice_end, gate_);
        if (wake == Wake::kClosed) return kClosed;
    }
}

void Queue::free_slot(QueueSlot &slot, std::uint64_t position) noexcept {
    const std::uint64_t capacity = layout_->capacity;
    std::uint64_t word = slot.word.load(std::memory_order_relaxed);
    if (word_state(word) != kSlotReady && word_state(word) != kSlotSkipped) return;
    // A CAS, not a store: a producer that wrongly took us for dead may have freed it.
    slot.word.compare_exchange_strong(word, word_for(position + capacity, capacity, kSlotFree),
                                      std::memory_order_acq_rel);
    bump(layout_->freed, layout_->producer_sleepers);
}

Status Queue::put(const void *data, std::size_t len, const Deadline &deadline) noexcept {
    sync::WaitGate::Pass pass(gate_);
    std::uint64_t position = 0;
    Status status = claim_for_write(len, deadline, &position);
    if (status != kOk) return status;
    QueueSlot &slot = slot_at(position);
    if (len != 0) std::memcpy(payload(slot), data, len);
    publish(slot, position);
    return kOk;
}

Status Queue::get(void *buf, std::size_t cap, std::size_t *len, const Deadline &deadline) noexcept {
    sync::WaitGate::Pass pass(gate_);
    std::uint64_t position = 0;
    Status status = claim_for_read(true, cap, deadline, &position, len);
    if (status != kOk) return status;
    QueueSlot &slot = slot_at(position);
    if (*len != 0) std::memcpy(buf, payload(slot), *len);
    free_slot(slot, position);
    return kOk;
}

Status Queue::next_size(std::size_t *len) noexcept {
    // What a get would take now: the first ready message, past cancelled or skipped slots
    // that no consumer has stepped over yet. A slot still being written stops the look
    // (a get would wait for it).
    const std::uint64_t capacity = layout_->capacity;
    const std::uint64_t end = layout_->enqueue_pos.load(std::memory_order_acquire);
    for (std::uint64_t pos = layout_->dequeue_pos.load(std::memory_order_acquire); pos < end;
         ++pos) {
        QueueSlot &slot = slot_at(pos);
        const std::uint64_t word = slot.word.load(std::memory_order_acquire);
        if (word == word_for(pos, capacity, kSlotSkipped)) continue;
        if (word != word_for(pos, capacity, kSlotReady)) return kEmpty;
        *len = slot.length.load(std::memory_order_relaxed);
        return kOk;
    }
    return kEmpty;
}

Status Queue::reserve(std::size_t len, const Deadline &deadline, void **out) noexcept {
    sync::WaitGate::Pass pass(gate_);
    std::uint64_t position = 0;
    Status status = claim_for_write(len, deadline, &position);
    if (status != kOk) return status;
    *out = payload(slot_at(position));
    return kOk;
}

Status Queue::commit(void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    const std::uint64_t word = slot->word.load(std::memory_order_acquire);
    if (word_state(word) != kSlotWriting ||
        slot->writer.load(std::memory_order_relaxed) != sync::current_pid()) {
        return kInvalid;
    }
    const std::uint64_t position = word_position(word) * layout_->capacity + index_of(*slot);
    publish(*slot, position);
    return kOk;
}

Status Queue::cancel(void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    std::uint64_t word = slot->word.load(std::memory_order_acquire);
    if (word_state(word) != kSlotWriting ||
        slot->writer.load(std::memory_order_relaxed) != sync::current_pid()) {
        return kInvalid;
    }
    if (!slot->word.compare_exchange_strong(word, (word & ~std::uint64_t{7}) | kSlotSkipped,
                                            std::memory_order_acq_rel)) {
        return kInvalid;
    }
    bump(layout_->published, layout_->consumer_sleepers);
    return kOk;
}

Status Queue::borrow(const Deadline &deadline, const void **data, std::size_t *len) noexcept {
    sync::WaitGate::Pass pass(gate_);
    std::uint64_t position = 0;
    Status status = claim_for_read(false, 0, deadline, &position, len);
    if (status != kOk) return status;
    *data = payload(slot_at(position));
    return kOk;
}

Status Queue::give_back(const void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    const std::uint64_t word = slot->word.load(std::memory_order_acquire);
    const std::uint64_t position = word_position(word) * layout_->capacity + index_of(*slot);
    if (word_state(word) != kSlotReady ||
        slot->reader.load(std::memory_order_relaxed) != sync::current_pid() ||
        layout_->dequeue_pos.load(std::memory_order_acquire) <= position) {
        return kInvalid;
    }
    free_slot(*slot, position);
    return kOk;
}

std::uint64_t Queue::qsize() const noexcept {
    const std::uint64_t dequeued = layout_->dequeue_pos.load(std::memory_order_acquire);
    const std::uint64_t enqueued = layout_->enqueue_pos.load(std::memory_order_acquire);
    return enqueued > dequeued ? enqueued - dequeued : 0;
}

Status Queue::task_done() noexcept {
    if (flavor() != QueueFlavor::kJoinable) return kKind;
    std::uint64_t left = layout_->unfinished.load(std::memory_order_relaxed);
    do {
        if (left == 0) return kOverflow;
    } while (!layout_->unfinished.compare_exchange_weak(left, left - 1, std::memory_order_seq_cst,
                                                        std::memory_order_relaxed));
    if (left == 1) bump(layout_->all_done, layout_->join_sleepers);
    return kOk;
}

Status Queue::join(const Deadline &deadline) noexcept {
    if (flavor() != QueueFlavor::kJoinable) return kKind;
    sync::WaitGate::Pass pass(gate_);
    auto done = [&] { return layout_->unfinished.load(std::memory_order_acquire) == 0; };
    if (done()) return kOk;
    for (;;) {
        const std::int64_t slice_end = Deadline::now_ns() + kLivenessPeriodNs;
        Wake wake = sleep_until(layout_->all_done, layout_->join_sleepers, done, deadline,
                                slice_end, gate_);
        if (wake == Wake::kReady) return kOk;
        if (wake == Wake::kClosed) return kClosed;
        if (wake == Wake::kDeadline) return kTimedOut;
    }
}

void Queue::close() noexcept {
    gate_.close([this] {
        sync::futex_wake(layout_->published, sync::kWakeAll);
        sync::futex_wake(layout_->freed, sync::kWakeAll);
        sync::futex_wake(layout_->all_done, sync::kWakeAll);
        RobustMutex(layout_->producer_lock).wake_all();
        RobustMutex(layout_->consumer_lock).wake_all();
    });
}

}  // namespace mproc::core::queue
