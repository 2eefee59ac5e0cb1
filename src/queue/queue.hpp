// Queue, SimpleQueue and JoinableQueue: a bounded MPMC queue of byte messages in shared
// memory that survives processes killed inside put or get (see queue_layout.hpp and the
// algorithm notes in queue.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "error.hpp"
#include "queue/queue_layout.hpp"
#include "sync/deadline.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::queue {

inline constexpr std::uint64_t kMaxSize = 1u << 20;
inline constexpr std::uint64_t kMaxMessage = 1u << 30;
inline constexpr std::uint64_t kMaxBytes = 1ull << 40;

class Queue : public sync::SharedObject<QueueLayout> {
  public:
    // Throws kInvalid (a zero size), kTooBig (over a limit), and as Segment::create.
    static Queue create(std::string_view name, std::uint64_t maxsize, std::uint64_t max_message,
                        QueueFlavor flavor, const shm::CreateOptions &options);
    static Queue open(std::string_view name);

    Queue(Queue &&) noexcept = default;

    // kOk, kFull (still full at the deadline), kTooBig, kClosed.
    Status put(const void *data, std::size_t len, const sync::Deadline &deadline) noexcept;
    // kOk, kEmpty (still empty at the deadline), kTooBig (cap too small: *len = the size,
    // the message stays), kClosed. Every call that looks at slots may also return kCorrupt:
    // a slot word or length no mproc process writes (the slot's message is dropped).
    Status get(void *buf, std::size_t cap, std::size_t *len,
               const sync::Deadline &deadline) noexcept;
    // kOk with the head message's size, or kEmpty.
    Status next_size(std::size_t *len) noexcept;

    Status reserve(std::size_t len, const sync::Deadline &deadline, void **slot) noexcept;
    // kOk, or kInvalid if `slot` is not a slot this process reserved and has not committed.
    Status commit(void *slot) noexcept;
    Status cancel(void *slot) noexcept;
    Status borrow(const sync::Deadline &deadline, const void **data, std::size_t *len) noexcept;
    Status give_back(const void *data) noexcept;

    std::uint64_t qsize() const noexcept;
    std::uint64_t maxsize() const noexcept { return ring_.capacity; }
    std::uint64_t max_message() const noexcept { return max_message_; }
    QueueFlavor flavor() const noexcept { return flavor_; }

    // JoinableQueue: kOk, kKind (another flavour), kOverflow (more than were put).
    Status task_done() noexcept;
    // kOk, kKind, kTimedOut, kClosed.
    Status join(const sync::Deadline &deadline) noexcept;

    void close() noexcept;

  private:
    // Position -> slot index and lap. A 64-bit division costs tens of cycles, twice per
    // message; a power-of-two capacity (the common case) needs a mask and a shift only.
    struct Ring {
        std::uint64_t capacity = 1;
        std::uint64_t mask = 0;  // capacity - 1 if a power of two, else 0
        unsigned shift = 0;      // log2(capacity) if a power of two

        Ring() = default;
        explicit Ring(std::uint64_t n) : capacity(n) {
            if ((n & (n - 1)) == 0) {
                mask = n - 1;
                while ((std::uint64_t{1} << shift) < n)
                    ++shift;
            }
        }
        bool pow2() const noexcept { return mask != 0 || capacity == 1; }
        std::uint64_t index(std::uint64_t position) const noexcept {
            return pow2() ? position & mask : position % capacity;
        }
        std::uint64_t lap(std::uint64_t position) const noexcept {
            return (pow2() ? position >> shift : position / capacity) & kLapMask;
        }
    };

    explicit Queue(shm::Segment segment);

    QueueSlot &slot_at(std::uint64_t position) const noexcept;
    unsigned char *payload(QueueSlot &slot) const noexcept;
    // The slot a payload pointer from reserve / borrow belongs to, or nullptr.
    QueueSlot *slot_of(const void *payload) const noexcept;

    // One attempt to claim the next position for writing, helping past claimers that died
    // before advancing enqueue_pos: kOk with the slot marked kSlotWriting for us and its
    // lap, or kFull with the slot that blocks (still serving the lap before).
    Status try_claim_write(QueueSlot **slot, std::uint64_t *lap) noexcept;
    // As try_claim_write, waiting while the queue is full: kOk, kFull, kClosed.
    Status claim_for_write(std::size_t len, const sync::Deadline &deadline, QueueSlot **slot,
                           std::uint64_t *lap) noexcept;
    Status wait_to_write(const sync::Deadline &deadline, QueueSlot **slot,
                         std::uint64_t *lap) noexcept;
    void publish(QueueSlot &slot, std::uint64_t lap) noexcept;
    // One attempt to take the head message: kOk with the slot marked kSlotReading for us,
    // its lap and *len; kTooBig (if check_cap and it is over cap: *len = its size); or
    // kEmpty with the head slot (still free, or being written).
    Status try_claim_read(bool check_cap, std::size_t cap, QueueSlot **slot, std::uint64_t *lap,
                          std::size_t *len) noexcept;
    // As try_claim_read, waiting while there is none: adds kClosed.
    Status claim_for_read(bool check_cap, std::size_t cap, const sync::Deadline &deadline,
                          QueueSlot **slot, std::uint64_t *lap, std::size_t *len) noexcept;
    Status wait_to_read(bool check_cap, std::size_t cap, const sync::Deadline &deadline,
                        QueueSlot **slot, std::uint64_t *lap, std::size_t *len) noexcept;
    void free_slot(QueueSlot &slot, std::uint64_t lap) noexcept;
    // The next position a producer would claim / a consumer would take (the stored
    // positions are hints that may lag: see queue.cpp).
    std::uint64_t enqueue_position() const noexcept;
    std::uint64_t dequeue_position() const noexcept;

    Ring ring_;
    // The geometry, copied at open once checked: a peer that scribbles on the header
    // afterwards cannot move a slot out of the mapping or a length past a buffer.
    std::uint64_t slots_offset_ = 0;
    std::uint64_t slot_stride_ = 0;
    std::uint64_t max_message_ = 0;
    QueueFlavor flavor_ = QueueFlavor::kQueue;
    // Frees `slot`, which still serves the lap before `lap`, if the consumer reading it
    // died: true if done (that one message is lost).
    bool reclaim_from_dead_reader(QueueSlot &slot, std::uint64_t lap) noexcept;
    // Marks the head slot kSlotSkipped if the producer writing it for `lap` died.
    bool skip_dead_writer(QueueSlot &slot, std::uint64_t lap) noexcept;
};

}  // namespace mproc::core::queue
