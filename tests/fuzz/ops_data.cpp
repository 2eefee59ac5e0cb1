// Fuzz programs for the data objects: Queue (plain, simple, joinable), Value and Array.
// Buffers are exactly as large as the handle said at open (heap-allocated, so that ASan
// sees a byte written past them), and every size a call returns is checked against them.
#include <cstring>
#include <vector>

#include "program.hpp"

namespace mproc_fuzz {

namespace {

template <int Flavor>
struct QueueKind {
    using Handle = mproc_queue_t;
    static int create(const std::string &name, Input &in, Handle **out) {
        const size_t maxsize = 1 + in.below(6);
        const size_t max_message = 1 + in.below(48);
        switch (Flavor) {
            case MPROC_QUEUE_SIMPLE:
                return mproc_simple_queue_create(name.c_str(), maxsize, max_message, nullptr, out);
            case MPROC_QUEUE_JOINABLE:
                return mproc_joinable_queue_create(name.c_str(), maxsize, max_message, nullptr,
                                                   out);
            default:
                return mproc_queue_create(name.c_str(), maxsize, max_message, nullptr, out);
        }
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_queue_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_queue_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void learn(Handle *h, Local &local) {
        size_t maxsize = 0;
        check("mproc_queue_maxsize", mproc_queue_maxsize(h, &maxsize, &local.max_message));
        require(maxsize >= 1 && maxsize <= MPROC_QUEUE_MAX_SIZE, "mproc_queue_maxsize",
                "maxsize out of range", static_cast<long long>(maxsize));
        require(local.max_message >= 1 && local.max_message <= MPROC_QUEUE_MAX_MESSAGE,
                "mproc_queue_maxsize", "max_message_size out of range",
                static_cast<long long>(local.max_message));
    }
    static void forget(Handle *h, Local &local) {
        if (local.reserved != nullptr) MPROC_FUZZ_CALL(mproc_queue_cancel, h, local.reserved);
        if (local.borrowed != nullptr) MPROC_FUZZ_CALL(mproc_queue_return, h, local.borrowed);
        local.reserved = nullptr;
        local.borrowed = nullptr;
    }
    static void op(Handle *h, Local &local, Input &in) {
        size_t n = 0;
        int flag = 0;
        switch (in.below(12)) {
            case 0:
            case 1: {
                std::vector<unsigned char> data(in.below(64), 0x5a);
                MPROC_FUZZ_CALL(mproc_queue_put, h, data.data(), data.size(), in.timeout());
                break;
            }
            case 2:
            case 3: {
                // A buffer exactly `cap` bytes long (at least one, for a valid pointer).
                const size_t cap = in.below(64);
                std::vector<unsigned char> buf(cap == 0 ? 1 : cap);
                const int rc =
                    MPROC_FUZZ_CALL(mproc_queue_get, h, buf.data(), cap, &n, in.timeout());
                if (rc == MPROC_OK) require(n <= cap, "mproc_queue_get", "len over cap", n);
                if (rc == MPROC_OK && h != nullptr) {
                    require(n <= local.max_message, "mproc_queue_get", "len over max_message", n);
                }
                break;
            }
            case 4:
                if (MPROC_FUZZ_CALL(mproc_queue_next_size, h, &n) == MPROC_OK && h != nullptr) {
                    require(n <= local.max_message, "mproc_queue_next_size", "len over max_message",
                            n);
                }
                break;
            case 5: {
                if (local.reserved != nullptr) {
                    MPROC_FUZZ_CALL(mproc_queue_commit, h, local.reserved);
                    local.reserved = nullptr;
                    break;
                }
                const size_t len = in.below(64);
                void *slot = nullptr;
                if (MPROC_FUZZ_CALL(mproc_queue_reserve, h, len, in.timeout(), &slot) == MPROC_OK) {
                    require(len <= local.max_message, "mproc_queue_reserve",
                            "reserved over max_message", len);
                    std::memset(slot, 0xa5, len);
                    if (in.flag()) {
                        local.reserved = slot;
                    } else if (in.flag()) {
                        MPROC_FUZZ_CALL(mproc_queue_commit, h, slot);
                    } else {
                        MPROC_FUZZ_CALL(mproc_queue_cancel, h, slot);
                    }
                }
                break;
            }
            case 6: {
                if (local.borrowed != nullptr) {
                    MPROC_FUZZ_CALL(mproc_queue_return, h, local.borrowed);
                    local.borrowed = nullptr;
                    break;
                }
                const void *data = nullptr;
                if (MPROC_FUZZ_CALL(mproc_queue_borrow, h, in.timeout(), &data, &n) == MPROC_OK) {
                    require(n <= local.max_message, "mproc_queue_borrow", "len over max_message",
                            n);
                    std::vector<unsigned char> copy(n + 1);
                    std::memcpy(copy.data(), data, n);
                    if (in.flag()) {
                        local.borrowed = data;
                    } else {
                        MPROC_FUZZ_CALL(mproc_queue_return, h, data);
                    }
                }
                break;
            }
            case 7:
                MPROC_FUZZ_CALL(mproc_queue_qsize, h, &n);
                MPROC_FUZZ_CALL(mproc_queue_empty, h, &flag);
                MPROC_FUZZ_CALL(mproc_queue_full, h, &flag);
                break;
            case 8:
                if (MPROC_FUZZ_CALL(mproc_queue_flavor, h, &flag) == MPROC_OK) {
                    require(flag >= MPROC_QUEUE_PLAIN && flag <= MPROC_QUEUE_JOINABLE,
                            "mproc_queue_flavor", "unknown flavour", flag);
                }
                break;
            case 9:
                MPROC_FUZZ_CALL(mproc_queue_task_done, h);
                break;
            case 10:
                MPROC_FUZZ_CALL(mproc_queue_join, h, in.timeout());
                break;
            default: {
                // Pointers that are not slots: commit, cancel and return must refuse them.
                unsigned char outside = 0;
                MPROC_FUZZ_CALL(mproc_queue_commit, h, &outside);
                MPROC_FUZZ_CALL(mproc_queue_return, h, &outside);
                break;
            }
        }
    }
};

constexpr char kTypecodes[] = "cbBhHiIlLqQfdu";

// Value (IsArray false) and Array.
template <bool IsArray>
struct ItemsKind {
    using Handle = std::conditional_t<IsArray, mproc_array_t, mproc_value_t>;
    static int create(const std::string &name, Input &in, Handle **out) {
        const char code = kTypecodes[in.below(sizeof kTypecodes - 1)];
        const int with_lock = in.flag() ? 1 : 0;
        if constexpr (IsArray) {
            return mproc_array_create(name.c_str(), code, 1 + in.below(40), nullptr, with_lock,
                                      nullptr, out);
        } else {
            return mproc_value_create(name.c_str(), code, nullptr, with_lock, nullptr, out);
        }
    }
    static int open(const std::string &name, Handle **out) {
        if constexpr (IsArray) {
            return mproc_array_open(name.c_str(), out);
        } else {
            return mproc_value_open(name.c_str(), out);
        }
    }
    static int close(Handle *h) {
        if constexpr (IsArray) {
            return mproc_array_close(h);
        } else {
            return mproc_value_close(h);
        }
    }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void learn(Handle *h, Local &local) {
        char code = 0;
        if constexpr (IsArray) {
            check("mproc_array_type", mproc_array_type(h, &code, &local.itemsize));
            check("mproc_array_length", mproc_array_length(h, &local.length));
        } else {
            check("mproc_value_type", mproc_value_type(h, &code, &local.itemsize));
            local.length = 1;
        }
        require(local.itemsize == 1 || local.itemsize == 2 || local.itemsize == 4 ||
                    local.itemsize == 8,
                "type", "item size not 1, 2, 4 or 8", static_cast<long long>(local.itemsize));
        require(local.length >= 1, "length", "no items", 0);
    }
    static void forget(Handle *, Local &) {}

    static void op(Handle *h, Local &local, Input &in) {
        // One item's buffer, exactly itemsize bytes (8 for a NULL handle).
        const size_t itemsize = local.itemsize != 0 ? local.itemsize : 8;
        std::vector<unsigned char> item(itemsize, in.u8());
        std::vector<unsigned char> other(itemsize, in.u8());
        int swapped = 0;
        if constexpr (IsArray) {
            // Mostly in range, sometimes just past the end or far away.
            const size_t length = local.length;
            size_t index = in.below(8) == 0 ? in.u32() : in.u8() % (length + 2);
            switch (in.below(9)) {
                case 0:
                    MPROC_FUZZ_CALL(mproc_array_get, h, index, item.data());
                    break;
                case 1:
                    MPROC_FUZZ_CALL(mproc_array_set, h, index, item.data());
                    break;
                case 2:
                case 3: {
                    size_t start = in.u8() % (length + 2);
                    size_t stop = in.u8() % (length + 2);
                    // The buffer holds the slice a correct array accepts; a longer one
                    // must be refused, not written.
                    const size_t items = stop > start ? stop - start : 0;
                    std::vector<unsigned char> buf(items * itemsize + 1);
                    if (in.flag()) {
                        MPROC_FUZZ_CALL(mproc_array_get_slice, h, start, stop, buf.data());
                    } else {
                        MPROC_FUZZ_CALL(mproc_array_set_slice, h, start, stop, buf.data());
                    }
                    break;
                }
                case 4:
                    MPROC_FUZZ_CALL(mproc_array_add, h, index, item.data(), other.data());
                    break;
                case 5:
                    MPROC_FUZZ_CALL(mproc_array_compare_exchange, h, index, item.data(),
                                    other.data(), &swapped);
                    break;
                case 6:
                    MPROC_FUZZ_CALL(mproc_array_acquire, h, in.timeout());
                    break;
                case 7:
                    MPROC_FUZZ_CALL(mproc_array_release, h);
                    break;
                default: {
                    size_t length_now = 0;
                    if (MPROC_FUZZ_CALL(mproc_array_length, h, &length_now) == MPROC_OK) {
                        require(length_now == local.length, "mproc_array_length",
                                "length changed after open", static_cast<long long>(length_now));
                    }
                    void *data = nullptr;
                    if (MPROC_FUZZ_CALL(mproc_array_data, h, &data) == MPROC_OK) {
                        std::memcpy(item.data(), data, itemsize);
                    }
                    break;
                }
            }
        } else {
            switch (in.below(7)) {
                case 0:
                    MPROC_FUZZ_CALL(mproc_value_get, h, item.data());
                    break;
                case 1:
                    MPROC_FUZZ_CALL(mproc_value_set, h, item.data());
                    break;
                case 2:
                    MPROC_FUZZ_CALL(mproc_value_add, h, item.data(), other.data());
                    break;
                case 3:
                    MPROC_FUZZ_CALL(mproc_value_compare_exchange, h, item.data(), other.data(),
                                    &swapped);
                    break;
                case 4:
                    MPROC_FUZZ_CALL(mproc_value_acquire, h, in.timeout());
                    break;
                case 5:
                    MPROC_FUZZ_CALL(mproc_value_release, h);
                    break;
                default: {
                    char code = 0;
                    size_t size = 0;
                    if (MPROC_FUZZ_CALL(mproc_value_type, h, &code, &size) == MPROC_OK) {
                        require(size == local.itemsize, "mproc_value_type",
                                "item size changed after open", static_cast<long long>(size));
                    }
                    break;
                }
            }
        }
    }
};

}  // namespace

void run_data_program(unsigned kind, const std::string &name, Input &in) {
    switch (kind) {
        case 0:
            return run_program<QueueKind<MPROC_QUEUE_PLAIN>>(name, in, 0);
        case 1:
            return run_program<QueueKind<MPROC_QUEUE_SIMPLE>>(name, in, 0);
        case 2:
            return run_program<QueueKind<MPROC_QUEUE_JOINABLE>>(name, in, 0);
        case 3:
            return run_program<ItemsKind<false>>(name, in, 0);
        default:
            return run_program<ItemsKind<true>>(name, in, 0);
    }
}

}  // namespace mproc_fuzz
