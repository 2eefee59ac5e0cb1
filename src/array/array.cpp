#include "array/array.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "shm/create_or_open.hpp"
#include "shm/object_counters.hpp"

namespace mproc::core::array {

namespace {

std::string describe(shm::Kind kind, std::string_view name) {
    return std::string(ArrayLayout::type(kind).label) + " '" + std::string(name) + "'";
}

void check_kind(shm::Kind kind, const char *verb) {
    if (kind != shm::Kind::kValue && kind != shm::Kind::kArray) {
        throw Error(kInvalid, std::string("array: ") + verb + ": not the kind of a value or array");
    }
}

// Opening trusts nothing it reads: fields that do not describe an object of this size
// (another build's bug, a scribbled file) are kVersion, as for a header of another size.
const TypeCode &check_layout(const ArrayLayout &layout, std::uint64_t size, shm::Kind kind,
                             const std::string &name) {
    const std::string what = describe(kind, name) + ": open: ";
    const TypeCode *type = find_typecode(static_cast<char>(layout.typecode));
    if (type == nullptr || layout.itemsize != type->size || layout.with_lock > 1 ||
        layout.items_offset < sizeof(ArrayLayout) || layout.items_offset % 8 != 0 ||
        layout.length == 0 || (kind == shm::Kind::kValue && layout.length != 1)) {
        throw Error(kVersion, what + "corrupt " + ArrayLayout::type(kind).label + " header");
    }
    if (layout.items_offset > size || layout.length > (size - layout.items_offset) / type->size) {
        throw Error(kVersion, what + "the object is smaller than its " +
                                  std::to_string(layout.length) + " items");
    }
    return *type;
}

// The atomic operations work on the item's bits as an unsigned integer of its width: the
// same bytes as the signed type, and wrapping arithmetic without undefined behaviour.
template <typename Body>
void with_width(std::size_t size, Body &&body) noexcept {
    switch (size) {
        case 1:
            body(std::uint8_t{});
            break;
        case 2:
            body(std::uint16_t{});
            break;
        case 4:
            body(std::uint32_t{});
            break;
        default:
            body(std::uint64_t{});
            break;
    }
}

template <typename U>
U bits_of(const void *in) noexcept {
    U value;
    std::memcpy(&value, in, sizeof value);
    return value;
}

}  // namespace

SharedArray::SharedArray(shm::Segment segment)
    : SharedObject(std::move(segment)),
      kind_(static_cast<shm::Kind>(layout_->header.kind)),
      items_offset_(layout_->items_offset),
      length_(layout_->length),
      with_lock_(layout_->with_lock != 0) {
    // The mapping bounds the items, whatever the header says now (a peer may write it).
    const std::uint64_t size = std::min<std::uint64_t>(layout_->header.size, segment_.size());
    type_ = &check_layout(*layout_, size, kind_, segment_.name());
    // What was checked is what is used: a peer may have written the fields in between.
    if (layout_->items_offset != items_offset_ || layout_->length != length_ ||
        (layout_->with_lock != 0) != with_lock_) {
        throw Error(kCorrupt, std::string(label()) + " '" + name() +
                                  "': open: the header changed while it was checked");
    }
}

SharedArray SharedArray::create(std::string_view name, shm::Kind kind, char typecode,
                                std::uint64_t length, const void *init, bool with_lock,
                                const shm::CreateOptions &options) {
    check_kind(kind, "create");
    const char *label = ArrayLayout::type(kind).label;
    const TypeCode *type = find_typecode(typecode);
    if (type == nullptr) {
        throw Error(kInvalid, std::string(label) + ": create: unknown type code " +
                                  describe_typecode(typecode) +
                                  " (one of c b B h H i I l L q Q f d u)");
    }
    if (length == 0) {
        throw Error(kInvalid, std::string(label) + ": create: length 0 (at least one item)");
    }
    if (kind == shm::Kind::kValue && length != 1) {
        throw Error(kInvalid, "value: create: a value holds one item");
    }
    if (length > (kMaxBytes - kItemsOffset) / type->size) {
        throw Error(kTooBig, std::string(label) + ": create: " + std::to_string(length) +
                                 " items of " + std::to_string(type->size) +
                                 " bytes is over 2^40 bytes");
    }
    const std::uint64_t items_bytes = length * type->size;
    const std::size_t total = static_cast<std::size_t>(kItemsOffset + items_bytes);
    auto setup = [&](void *base) {
        ArrayLayout *layout = new (base) ArrayLayout{};
        layout->typecode = static_cast<std::uint8_t>(typecode);
        layout->itemsize = static_cast<std::uint8_t>(type->size);
        layout->with_lock = with_lock ? 1 : 0;
        layout->items_offset = static_cast<std::uint32_t>(kItemsOffset);
        layout->length = length;
        // Without init the file's zero fill is the zero of every type code.
        if (init != nullptr) {
            std::memcpy(static_cast<unsigned char *>(base) + kItemsOffset, init,
                        static_cast<std::size_t>(items_bytes));
        }
    };
    // An existing object of the kind is opened whatever its length.
    return shm::create_or_open(
        name, options,
        [&](const shm::CreateOptions &exclusive) {
            return SharedArray(
                shm::Segment::create(name, ArrayLayout::type(kind, total), exclusive, setup));
        },
        [&] { return open(name, kind); });
}

SharedArray SharedArray::open(std::string_view name, shm::Kind kind) {
    check_kind(kind, "open");
    return SharedArray(shm::Segment::open(name, ArrayLayout::type(kind)));
}

void SharedArray::unlink(std::string_view name, shm::Kind kind) {
    check_kind(kind, "unlink");
    shm::Segment::unlink(name, ArrayLayout::type(kind));
}

void *SharedArray::data() const noexcept {
    return static_cast<unsigned char *>(segment_.base()) + items_offset_;
}

unsigned char *SharedArray::item(std::uint64_t index) const noexcept {
    return static_cast<unsigned char *>(data()) + index * type_->size;
}

Status SharedArray::get(std::uint64_t index, void *out) const noexcept {
    if (index >= length()) return kInvalid;
    void *p = item(index);
    with_width(itemsize(), [&](auto zero) {
        using U = decltype(zero);
        U value = __atomic_load_n(static_cast<U *>(p), __ATOMIC_RELAXED);
        std::memcpy(out, &value, sizeof value);
    });
    return kOk;
}

Status SharedArray::set(std::uint64_t index, const void *in) noexcept {
    if (index >= length()) return kInvalid;
    void *p = item(index);
    with_width(itemsize(), [&](auto zero) {
        using U = decltype(zero);
        __atomic_store_n(static_cast<U *>(p), bits_of<U>(in), __ATOMIC_RELAXED);
    });
    return kOk;
}

Status SharedArray::get_slice(std::uint64_t start, std::uint64_t stop, void *out) const noexcept {
    if (start > stop || stop > length()) return kInvalid;
    if (start < stop) {
        std::memcpy(out, item(start), static_cast<std::size_t>((stop - start) * itemsize()));
    }
    return kOk;
}

Status SharedArray::set_slice(std::uint64_t start, std::uint64_t stop, const void *in) noexcept {
    if (start > stop || stop > length()) return kInvalid;
    if (start < stop) {
        std::memcpy(item(start), in, static_cast<std::size_t>((stop - start) * itemsize()));
    }
    return kOk;
}

Status SharedArray::acquire(const sync::Deadline &deadline) noexcept {
    if (!has_lock()) return kInvalid;
    const Status entered = mutex().try_enter();
    if (entered != kTimedOut) return entered;
    sync::WaitGate::Pass pass(gate_);
    return shm::count_waited(layout_->header, mutex().acquire(deadline, &gate_));
}

Status SharedArray::release() noexcept {
    if (!has_lock()) return kInvalid;
    return mutex().release();
}

std::uint32_t SharedArray::lock_level() const noexcept {
    return has_lock() ? mutex().level_of_caller() : 0;
}

// Sequentially consistent, like the rest of mproc's counters: an add is also a fence, so
// a counter can publish what was written before it.
Status SharedArray::add(std::uint64_t index, const void *delta, void *previous) noexcept {
    if (!type_->integer || index >= length()) return kInvalid;
    void *p = item(index);
    with_width(itemsize(), [&](auto zero) {
        using U = decltype(zero);
        U before = __atomic_fetch_add(static_cast<U *>(p), bits_of<U>(delta), __ATOMIC_SEQ_CST);
        if (previous != nullptr) std::memcpy(previous, &before, sizeof before);
    });
    return kOk;
}

Status SharedArray::compare_exchange(std::uint64_t index, void *expected, const void *desired,
                                     bool *swapped) noexcept {
    if (!type_->integer || index >= length()) return kInvalid;
    void *p = item(index);
    with_width(itemsize(), [&](auto zero) {
        using U = decltype(zero);
        U current = bits_of<U>(expected);
        // Integers are equal exactly when their bits are, so comparing bits is comparing
        // values, for the signed codes too.
        const bool ok =
            __atomic_compare_exchange_n(static_cast<U *>(p), &current, bits_of<U>(desired), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
        if (!ok) std::memcpy(expected, &current, sizeof current);
        *swapped = ok;
    });
    return kOk;
}

void SharedArray::close() noexcept {
    gate_.close([this] {
        if (has_lock()) mutex().wake_all();
    });
}

}  // namespace mproc::core::array
