// The queue algorithm: Vyukov's bounded MPMC queue, with the claimer's pid in the slot
// word so that every death can be repaired by the others.
//
// Positions count up for ever; position p lives in slot p % capacity, whose word holds
// p / capacity (the lap), a state and the pid working on it (queue_layout.hpp). A fresh,
// zero-filled queue is every slot free for its first lap, so creation touches no slot.
//
// A producer looks at the slot of p = enqueue_pos: if it is free for p's lap, one
// compare-and-swap makes it kSlotWriting under the producer's pid, and a second advances
// enqueue_pos (anyone who finds the slot of enqueue_pos already claimed advances it for the
// claimer: helping). It copies the message in and publishes it (kSlotReady). A consumer
// looks at the slot of p = dequeue_pos the same way: a ready slot becomes kSlotReading
// under its pid, dequeue_pos advances (or is helped on), the message is copied out and the
// slot freed for p + capacity. No lock: a process can die anywhere.
//
// Process death, at any instruction:
//  - a producer or consumer that dies between its two compare-and-swaps has claimed the
//    slot: the next one to look advances the position for it;
//  - a producer that dies while copying leaves a kSlotWriting head: a consumer that finds
//    the slot's pid dead marks it kSlotSkipped, and consumers pass over it;
//  - a consumer that dies while copying out holds its kSlotReading slot: a producer that
//    needs the slot and finds that pid dead frees it (that one message is lost).
// Waiting: spin briefly, then sleep on the `published` / `freed` counters, re-checking
// every 20 ms for a dead writer or reader that no wake-up would announce. Only a call
// that waits registers with the handle's close gate: the fast paths are a few atomics.
#include "queue/queue.hpp"

#include <cstring>
#include <new>
#include <string>

#include "shm/object_counters.hpp"
#include "sync/futex.hpp"
#include "sync/owner_liveness.hpp"
#include "sync/process_identity.hpp"
#include "sync/spin.hpp"

namespace mproc::core::queue {

// The steps of put and get, inlined into them: the whole call is a few dozen instructions,
// and calls between small functions were a good part of them.
#define MPROC_QUEUE_HOT __attribute__((always_inline)) inline

using sync::Deadline;

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
    // Pairs with bump(): see there. ready() must look with sequentially consistent loads.
    sleepers.fetch_add(1, std::memory_order_seq_cst);
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
    if (sleepers.fetch_add(0, std::memory_order_seq_cst) == 0) return;
    counter.fetch_add(1, std::memory_order_seq_cst);
    sync::futex_wake(counter, sync::kWakeAll);
}

// As bump(), for a change that was itself a sequentially consistent read-modify-write (a
// compare-and-swap of a slot word): in the single total order of such operations either
// our plain load of `sleepers` comes after the sleeper's increment and sees it, or before
// it, and then so does our change, which the sleeper's next (sequentially consistent) look
// sees. One locked instruction per operation saved.
void bump_after_rmw(std::atomic<std::uint32_t> &counter, std::atomic<std::uint32_t> &sleepers) {
    if (sleepers.load(std::memory_order_seq_cst) == 0) return;
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
    ring_ = Ring(layout_->capacity);
    slots_offset_ = layout_->slots_offset;
    slot_stride_ = layout_->slot_stride;
    max_message_ = layout_->max_message;
    flavor_ = static_cast<QueueFlavor>(layout_->flavor);
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

MPROC_QUEUE_HOT QueueSlot &Queue::slot_at(std::uint64_t position) const noexcept {
    auto *base = static_cast<unsigned char *>(segment_.base());
    const std::uint64_t index = ring_.index(position);
    return *reinterpret_cast<QueueSlot *>(base + slots_offset_ + index * slot_stride_);
}

MPROC_QUEUE_HOT unsigned char *Queue::payload(QueueSlot &slot) const noexcept {
    return reinterpret_cast<unsigned char *>(&slot) + kSlotHeader;
}

QueueSlot *Queue::slot_of(const void *data) const noexcept {
    auto *base = static_cast<const unsigned char *>(segment_.base());
    auto *p = static_cast<const unsigned char *>(data);
    const unsigned char *first = base + slots_offset_ + kSlotHeader;
    if (p < first) return nullptr;
    const std::uint64_t offset = static_cast<std::uint64_t>(p - first);
    if (offset % slot_stride_ != 0) return nullptr;
    const std::uint64_t index = offset / slot_stride_;
    if (index >= ring_.capacity) return nullptr;
    return const_cast<QueueSlot *>(reinterpret_cast<const QueueSlot *>(p - kSlotHeader));
}

namespace {

bool is_writing(std::uint64_t state) {
    return state == kSlotWriting || state == kSlotCounted;
}

// enqueue_pos and dequeue_pos are hints, not the truth: the slot words are. A claimer moves
// its hint past the position it claimed with a plain store, not a compare-and-swap (one
// locked instruction less per call); two claimers racing can leave it a few positions
// behind, and the next one steps over the claimed slots from there. So a claimer that dies
// before moving it costs nothing either.
void advance_hint(std::atomic<std::uint64_t> &hint, std::uint64_t claimed) {
    if (hint.load(std::memory_order_relaxed) <= claimed) {
        hint.store(claimed + 1, std::memory_order_release);
    }
}

// Where a producer looking for the first unclaimed position goes on from `pos`, whose slot
// shows `word`: to `pos` itself if it is unclaimed (free for its lap, or still serving the
// lap before), else past it. Claimed positions are a prefix (a producer passes a position
// only if it is claimed), so a slot laps ahead of a hint far behind proves whole laps:
// lap(pos) + d means pos + (d - 1) * capacity is claimed, and pos + d * capacity too unless
// the slot is free. Jumping there keeps any catch-up within a lap of the ring.
std::uint64_t past_claimed(std::uint64_t pos, std::uint64_t word, std::uint64_t lap,
                           std::uint64_t capacity) {
    const std::uint64_t d = lap_distance(word, lap);
    if (d == kLapMask) return pos;
    if (d == 0) return word_state(word) == kSlotFree ? pos : pos + 1;
    return pos + (word_state(word) == kSlotFree ? d - 1 : d) * capacity + 1;
}

// How many slots a claim may look at before it gives up with kCorrupt. A claim from a
// lagging hint takes at most one jump and a lap of steps, plus a retry for each race it
// loses to a live peer's claim; slot words that no mproc process writes (a free word with
// a pid, a state past kSlotReading) would send it round for ever.
std::uint64_t step_limit(std::uint64_t capacity) {
    return 4 * capacity + (std::uint64_t{1} << 16);
}

// True if `pid` (the process named in a slot word) is gone. Our own pid is alive: another
// of our threads holds the slot.
bool claimer_died(std::uint32_t pid) {
    return pid != sync::current_pid() && !sync::process_is_alive(pid);
}

// The same for a consumer looking for the first position not taken: taken positions are a
// prefix too, and a slot at lap(pos) + d proves pos + (d - 1) * capacity taken (it was
// freed for the next lap). A skipped slot not yet stepped over counts as not taken.
std::uint64_t past_taken(std::uint64_t pos, std::uint64_t word, std::uint64_t lap,
                         std::uint64_t capacity) {
    const std::uint64_t d = lap_distance(word, lap);
    if (d == kLapMask) return pos;
    if (d == 0) return word_state(word) == kSlotReading ? pos + 1 : pos;
    return pos + (d - 1) * capacity + 1;
}

}  // namespace

bool Queue::reclaim_from_dead_reader(QueueSlot &slot, std::uint64_t lap) noexcept {
    std::uint64_t word = slot.word.load(std::memory_order_acquire);
    if (lap_distance(word, lap) != kLapMask || word_state(word) != kSlotReading) return false;
    if (!claimer_died(word_pid(word))) return false;
    // Its consumer died holding it: the message went with it (the documented exception).
    if (!slot.word.compare_exchange_strong(word, slot_word(lap, kSlotFree),
                                           std::memory_order_acq_rel)) {
        return false;
    }
    shm::count_owner_dead(layout_->header);
    bump(layout_->freed, layout_->producer_sleepers);
    return true;
}

bool Queue::skip_dead_writer(QueueSlot &slot, std::uint64_t lap) noexcept {
    std::uint64_t word = slot.word.load(std::memory_order_acquire);
    if (lap_distance(word, lap) != 0 || !is_writing(word_state(word))) return false;
    if (!claimer_died(word_pid(word))) return false;
    const bool counted = word_state(word) == kSlotCounted;
    if (!slot.word.compare_exchange_strong(word, slot_word(lap, kSlotSkipped),
                                           std::memory_order_acq_rel)) {
        return false;
    }
    shm::count_owner_dead(layout_->header);
    if (counted) task_done();  // it was counted for join, but will never be taken
    bump(layout_->published, layout_->consumer_sleepers);
    return true;
}

MPROC_QUEUE_HOT Status Queue::try_claim_write(QueueSlot **slot_out,
                                              std::uint64_t *lap_out) noexcept {
    const std::uint32_t me = sync::current_pid();
    std::uint64_t pos = layout_->enqueue_pos.load(std::memory_order_acquire);
    for (std::uint64_t steps = 0;; ++steps) {
        if (steps > step_limit(ring_.capacity)) return kCorrupt;
        const std::uint64_t lap = ring_.lap(pos);
        QueueSlot &slot = slot_at(pos);
        *slot_out = &slot;
        *lap_out = lap;
        // Try the claim before looking: a failed compare-and-swap returns the word anyway,
        // and the line arrives once, already writable (a load first would fetch it shared
        // and then need a second transfer to write it).
        std::uint64_t word = slot_word(lap, kSlotFree);
        if (slot.word.compare_exchange_strong(word, slot_word(lap, kSlotWriting, me),
                                              std::memory_order_seq_cst,
                                              std::memory_order_acquire)) {
            advance_hint(layout_->enqueue_pos, pos);
            return kOk;
        }
        if (lap_distance(word, lap) == kLapMask) return kFull;  // the previous lap's message
        pos = past_claimed(pos, word, lap, ring_.capacity);     // the hint lags behind
    }
}

MPROC_QUEUE_HOT Status Queue::claim_for_write(std::size_t len, const Deadline &deadline,
                                              QueueSlot **slot, std::uint64_t *lap) noexcept {
    if (len > max_message_) return kTooBig;
    const Status status = try_claim_write(slot, lap);
    if (status != kFull) return status;
    return wait_to_write(deadline, slot, lap);
}

Status Queue::wait_to_write(const Deadline &deadline, QueueSlot **slot,
                            std::uint64_t *lap) noexcept {
    // Full. Only now register with the gate that close() drains.
    sync::WaitGate::Pass pass(gate_);
    shm::count_wait(layout_->header);
    bool spun = false;
    std::int64_t next_liveness_check = 0;
    for (;;) {
        const Status status = try_claim_write(slot, lap);
        if (status != kFull) return status;
        // The slot still serves the lap before. Unless its reader died.
        const std::int64_t now = Deadline::now_ns();
        if (now >= next_liveness_check) {
            if (reclaim_from_dead_reader(**slot, *lap)) continue;
            next_liveness_check = now + kLivenessPeriodNs;
        }
        if (deadline.expired()) {
            shm::count_timeout(layout_->header);
            return kFull;
        }
        // The slot that was full: room once it leaves the previous lap.
        auto room = [slot = *slot, lap = *lap] {
            return lap_distance(slot->word.load(std::memory_order_seq_cst), lap) != kLapMask;
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

MPROC_QUEUE_HOT void Queue::publish(QueueSlot &slot, std::uint64_t lap) noexcept {
    const std::uint32_t me = sync::current_pid();
    if (flavor() == QueueFlavor::kJoinable) {
        // Counted before it can be taken, so task_done never runs ahead of the count; a
        // consumer that skips a dead writer's counted slot takes the count back.
        slot.word.store(slot_word(lap, kSlotCounted, me), std::memory_order_relaxed);
        layout_->unfinished.fetch_add(1, std::memory_order_seq_cst);
    }
    // Ready carries no pid, so a consumer can claim it without looking first.
    slot.word.store(slot_word(lap, kSlotReady), std::memory_order_release);
    bump(layout_->published, layout_->consumer_sleepers);
}

MPROC_QUEUE_HOT Status Queue::try_claim_read(bool check_cap, std::size_t cap, QueueSlot **slot_out,
                                             std::uint64_t *lap_out, std::size_t *len) noexcept {
    const std::uint32_t me = sync::current_pid();
    // A buffer that holds the largest message needs no look at the length before the claim.
    const bool may_be_too_big = check_cap && cap < max_message_;
    // The head slot's word alone says whether its message is there: a consumer never reads
    // enqueue_pos, which lives on the producers' cache line.
    std::uint64_t pos = layout_->dequeue_pos.load(std::memory_order_acquire);
    for (std::uint64_t steps = 0;; ++steps) {
        if (steps > step_limit(ring_.capacity)) return kCorrupt;
        const std::uint64_t lap = ring_.lap(pos);
        QueueSlot &slot = slot_at(pos);
        *slot_out = &slot;
        *lap_out = lap;
        std::uint64_t word = slot_word(lap, kSlotReady);
        if (may_be_too_big) {
            word = slot.word.load(std::memory_order_acquire);
            const std::size_t length = slot.length.load(std::memory_order_relaxed);
            // A length over max_message is no message's: claimed below, and dropped.
            if (word == slot_word(lap, kSlotReady) && length > cap && length <= max_message_) {
                // The length belongs to this lap's message only if the slot did not move
                // on meanwhile.
                if (slot.word.load(std::memory_order_acquire) != word) continue;
                *len = length;
                return kTooBig;
            }
        }
        // As in try_claim_write: claim first, and learn the word from a failure.
        if (word == slot_word(lap, kSlotReady) &&
            slot.word.compare_exchange_strong(word, slot_word(lap, kSlotReading, me),
                                              std::memory_order_seq_cst,
                                              std::memory_order_acquire)) {
            advance_hint(layout_->dequeue_pos, pos);
            *len = slot.length.load(std::memory_order_relaxed);
            if (*len > max_message_) {
                free_slot(slot, lap);  // a length no put wrote: drop the slot, never copy
                return kCorrupt;
            }
            return kOk;
        }
        const std::uint64_t distance = lap_distance(word, lap);
        const std::uint64_t state = word_state(word);
        if (distance == kLapMask || (distance == 0 && (state == kSlotFree || is_writing(state)))) {
            return kEmpty;  // not yet written (or still being written)
        }
        if (distance == 0 && state == kSlotReady) continue;  // it changed under us: look again
        if (distance == 0 && state == kSlotSkipped) {
            // No message here: free the slot for the next lap and step over it.
            if (!slot.word.compare_exchange_strong(word, slot_word(lap + 1, kSlotFree),
                                                   std::memory_order_seq_cst,
                                                   std::memory_order_relaxed)) {
                continue;  // another consumer did: look again
            }
            bump_after_rmw(layout_->freed, layout_->producer_sleepers);
            advance_hint(layout_->dequeue_pos, pos);
            ++pos;
            continue;
        }
        pos = past_taken(pos, word, lap, ring_.capacity);  // the hint lags behind
    }
}

MPROC_QUEUE_HOT Status Queue::claim_for_read(bool check_cap, std::size_t cap,
                                             const Deadline &deadline, QueueSlot **slot,
                                             std::uint64_t *lap, std::size_t *len) noexcept {
    const Status status = try_claim_read(check_cap, cap, slot, lap, len);
    if (status != kEmpty) return status;
    return wait_to_read(check_cap, cap, deadline, slot, lap, len);
}

Status Queue::wait_to_read(bool check_cap, std::size_t cap, const Deadline &deadline,
                           QueueSlot **slot, std::uint64_t *lap, std::size_t *len) noexcept {
    Status status = kEmpty;
    // Empty. Only now register with the gate that close() drains.
    sync::WaitGate::Pass pass(gate_);
    shm::count_wait(layout_->header);
    bool spun = false;
    std::int64_t next_liveness_check = 0;
    for (;;) {
        status = try_claim_read(check_cap, cap, slot, lap, len);
        if (status != kEmpty) return status;
        // Empty, or still being written: a writer may have died in the middle.
        const std::int64_t now = Deadline::now_ns();
        if (spun && now >= next_liveness_check) {
            if (skip_dead_writer(**slot, *lap)) continue;
            next_liveness_check = now + kLivenessPeriodNs;
        }
        if (deadline.expired()) {
            shm::count_timeout(layout_->header);
            return kEmpty;
        }
        // The slot that was empty: ready once its message is there (or it is skipped, or
        // taken by another consumer: then look further on).
        auto ready = [slot = *slot, lap = *lap] {
            const std::uint64_t w = slot->word.load(std::memory_order_seq_cst);
            const std::uint64_t distance = lap_distance(w, lap);
            return distance != kLapMask &&
                   !(distance == 0 && (word_state(w) == kSlotFree || is_writing(word_state(w))));
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

MPROC_QUEUE_HOT void Queue::free_slot(QueueSlot &slot, std::uint64_t lap) noexcept {
    // A compare-and-swap, not a store: a producer that wrongly took us for dead (our pid
    // reused) may have freed it already.
    std::uint64_t word = slot_word(lap, kSlotReading, sync::current_pid());
    slot.word.compare_exchange_strong(word, slot_word(lap + 1, kSlotFree),
                                      std::memory_order_seq_cst, std::memory_order_relaxed);
    bump_after_rmw(layout_->freed, layout_->producer_sleepers);
}

Status Queue::put(const void *data, std::size_t len, const Deadline &deadline) noexcept {
    QueueSlot *slot = nullptr;
    std::uint64_t lap = 0;
    Status status = claim_for_write(len, deadline, &slot, &lap);
    if (status != kOk) return status;
    slot->length.store(len, std::memory_order_relaxed);
    if (len != 0) std::memcpy(payload(*slot), data, len);
    publish(*slot, lap);
    return kOk;
}

Status Queue::get(void *buf, std::size_t cap, std::size_t *len, const Deadline &deadline) noexcept {
    QueueSlot *slot = nullptr;
    std::uint64_t lap = 0;
    Status status = claim_for_read(true, cap, deadline, &slot, &lap, len);
    if (status != kOk) return status;
    if (*len != 0) std::memcpy(buf, payload(*slot), *len);
    free_slot(*slot, lap);
    return kOk;
}

Status Queue::next_size(std::size_t *len) noexcept {
    // What a get would take now: the first ready message, past skipped slots that no
    // consumer has stepped over yet. A slot still being written stops the look (a get would
    // wait for it).
    const std::uint64_t capacity = ring_.capacity;
    std::uint64_t pos = dequeue_position();
    for (std::uint64_t steps = 0; steps <= 2 * capacity + 2; ++steps) {
        QueueSlot &slot = slot_at(pos);
        const std::uint64_t word = slot.word.load(std::memory_order_acquire);
        const std::uint64_t lap = ring_.lap(pos);
        if (lap_distance(word, lap) == 0 && word_state(word) == kSlotReady) {
            *len = slot.length.load(std::memory_order_relaxed);
            if (slot.word.load(std::memory_order_acquire) == word) {
                return *len <= max_message_ ? kOk : kCorrupt;
            }
            continue;  // taken meanwhile: its length may be the next lap's
        }
        if (lap_distance(word, lap) == 0 && word_state(word) == kSlotSkipped) {
            ++pos;
            continue;
        }
        const std::uint64_t next = past_taken(pos, word, lap, capacity);
        if (next == pos) return kEmpty;
        pos = next;
    }
    return kEmpty;
}

Status Queue::reserve(std::size_t len, const Deadline &deadline, void **out) noexcept {
    QueueSlot *slot = nullptr;
    std::uint64_t lap = 0;
    Status status = claim_for_write(len, deadline, &slot, &lap);
    if (status != kOk) return status;
    slot->length.store(len, std::memory_order_relaxed);
    *out = payload(*slot);
    return kOk;
}

namespace {

// A slot that this process claimed with `state`, or nullptr.
bool held_by_me(std::uint64_t word, std::uint64_t state) {
    return word_state(word) == state && word_pid(word) == (sync::current_pid() & kPidMask);
}

}  // namespace

Status Queue::commit(void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    const std::uint64_t word = slot->word.load(std::memory_order_acquire);
    if (!held_by_me(word, kSlotWriting)) return kInvalid;
    publish(*slot, word_lap(word));
    return kOk;
}

Status Queue::cancel(void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    std::uint64_t word = slot->word.load(std::memory_order_acquire);
    if (!held_by_me(word, kSlotWriting)) return kInvalid;
    if (!slot->word.compare_exchange_strong(word, slot_word(word_lap(word), kSlotSkipped),
                                            std::memory_order_acq_rel)) {
        return kInvalid;
    }
    bump(layout_->published, layout_->consumer_sleepers);
    return kOk;
}

Status Queue::borrow(const Deadline &deadline, const void **data, std::size_t *len) noexcept {
    QueueSlot *slot = nullptr;
    std::uint64_t lap = 0;
    Status status = claim_for_read(false, 0, deadline, &slot, &lap, len);
    if (status != kOk) return status;
    *data = payload(*slot);
    return kOk;
}

Status Queue::give_back(const void *data) noexcept {
    QueueSlot *slot = slot_of(data);
    if (slot == nullptr) return kInvalid;
    const std::uint64_t word = slot->word.load(std::memory_order_acquire);
    if (!held_by_me(word, kSlotReading)) return kInvalid;
    free_slot(*slot, word_lap(word));
    return kOk;
}

// The hints plus the claimed slots beyond them. A scan is bounded: from any hint it takes at
// most one jump and a lap of steps, and the other side may keep claiming while we look (a
// snapshot need not chase it).
std::uint64_t Queue::enqueue_position() const noexcept {
    std::uint64_t pos = layout_->enqueue_pos.load(std::memory_order_acquire);
    for (std::uint64_t steps = 0; steps <= 2 * ring_.capacity + 2; ++steps) {
        const std::uint64_t next = past_claimed(
            pos, slot_at(pos).word.load(std::memory_order_acquire), ring_.lap(pos), ring_.capacity);
        if (next == pos) break;
        pos = next;
    }
    return pos;
}

std::uint64_t Queue::dequeue_position() const noexcept {
    std::uint64_t pos = layout_->dequeue_pos.load(std::memory_order_acquire);
    for (std::uint64_t steps = 0; steps <= 2 * ring_.capacity + 2; ++steps) {
        const std::uint64_t next = past_taken(
            pos, slot_at(pos).word.load(std::memory_order_acquire), ring_.lap(pos), ring_.capacity);
        if (next == pos) break;
        pos = next;
    }
    return pos;
}

std::uint64_t Queue::qsize() const noexcept {
    const std::uint64_t dequeued = dequeue_position();
    const std::uint64_t enqueued = enqueue_position();
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
    auto done = [&] { return layout_->unfinished.load(std::memory_order_acquire) == 0; };
    if (done()) return kOk;
    sync::WaitGate::Pass pass(gate_);
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
    });
}

}  // namespace mproc::core::queue
