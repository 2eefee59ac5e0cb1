// Value and Array: typed items in shared memory, like multiprocessing.Value / Array (with
// their RLock) and RawValue / RawArray (without). One class serves both kinds; a Value is
// an Array of one item stored under the kind kValue, so opening a Value's name as an
// Array (or the reverse) is kKind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "array/array_layout.hpp"
#include "array/typecode.hpp"
#include "error.hpp"
#include "sync/deadline.hpp"
#include "sync/recursive_mutex.hpp"
#include "sync/shared_object.hpp"

namespace mproc::core::array {

// The largest object, header included (the ABI's limit).
inline constexpr std::uint64_t kMaxBytes = 1ull << 40;

class SharedArray : public sync::SharedObject<ArrayLayout> {
  public:
    // `kind` is kValue (then length must be 1) or kArray. `init` holds `length` items
    // (nullptr: zeros). Throws kInvalid (unknown type code, length 0, a Value of length
    // other than 1, another kind), kTooBig (over kMaxBytes), and as Segment::create. With
    // options.open_existing an existing object of the same kind is opened whatever its
    // type code, length and lock (as for every kind, creation arguments are not compared).
    static SharedArray create(std::string_view name, shm::Kind kind, char typecode,
                              std::uint64_t length, const void *init, bool with_lock,
                              const shm::CreateOptions &options);
    // Throws as Segment::open, and kVersion if the layout's fields do not fit its size.
    static SharedArray open(std::string_view name, shm::Kind kind);
    // Removes the name if it holds an object of `kind`; as Segment::unlink.
    static void unlink(std::string_view name, shm::Kind kind);

    SharedArray(SharedArray &&) noexcept = default;

    shm::Kind kind() const noexcept { return kind_; }
    const char *label() const noexcept { return kind() == shm::Kind::kValue ? "value" : "array"; }
    char typecode() const noexcept { return type_->code; }
    const TypeCode &type() const noexcept { return *type_; }
    std::size_t itemsize() const noexcept { return type_->size; }
    std::uint64_t length() const noexcept { return length_; }
    bool has_lock() const noexcept { return with_lock_; }
    // Item 0. Every item is aligned to its size.
    void *data() const noexcept;

    // One item, copied to / from a C object of the item's type. A single load or store
    // (relaxed): never torn, but no lock is taken. kOk or kInvalid (index >= length).
    Status get(std::uint64_t index, void *out) const noexcept;
    Status set(std::uint64_t index, const void *in) noexcept;
    // Items [start, stop), copied with memcpy. kOk or kInvalid (start > stop,
    // stop > length).
    Status get_slice(std::uint64_t start, std::uint64_t stop, void *out) const noexcept;
    Status set_slice(std::uint64_t start, std::uint64_t stop, const void *in) noexcept;

    // The object's RLock: kOk, kOwnerDead (acquired at level 1), kTimedOut, kClosed,
    // kOverflow; kInvalid for a raw object.
    Status acquire(const sync::Deadline &deadline) noexcept;
    // kOk, kNotOwner; kInvalid for a raw object.
    Status release() noexcept;
    // The calling thread's recursion level on the lock (0: not the owner, or raw).
    std::uint32_t lock_level() const noexcept;

    // Integer type codes only: atomically adds *delta (wrapping) and stores the value
    // before in *previous (may be null). kOk, kInvalid (not an integer code, index out of
    // range).
    Status add(std::uint64_t index, const void *delta, void *previous) noexcept;
    // Integer type codes only: if item == *expected, item = *desired and *swapped = true;
    // else *expected = item and *swapped = false. kOk, kInvalid as add.
    Status compare_exchange(std::uint64_t index, void *expected, const void *desired,
                            bool *swapped) noexcept;

    // Wakes the calls blocked in acquire on this object (kClosed) and waits them out.
    void close() noexcept;

  private:
    explicit SharedArray(shm::Segment segment);
    sync::RecursiveMutex mutex() const noexcept { return sync::RecursiveMutex(layout_->lock); }
    unsigned char *item(std::uint64_t index) const noexcept;

    // The description, copied at open once checked against the object's size: a peer
    // that scribbles on the header afterwards cannot make an index or a slice reach past
    // the mapping, or an item wider than the caller's buffer.
    const TypeCode *type_;
    shm::Kind kind_;
    std::uint64_t items_offset_;
    std::uint64_t length_;
    bool with_lock_;
};

}  // namespace mproc::core::array
