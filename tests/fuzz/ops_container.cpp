// Fuzz programs for the shared containers, Dict and List: small heaps (16 KiB growing to
// 64 KiB per copy), short keys and values, and every snapshot walked record by record.
#include <climits>
#include <cstring>
#include <vector>

#include "program.hpp"

namespace mproc_fuzz {

namespace {

constexpr size_t kInitial = 16u << 10;
constexpr size_t kMax = 64u << 10;

// A key or value of up to 31 bytes from a small alphabet, so that keys repeat.
std::vector<unsigned char> bytes(Input &in) {
    std::vector<unsigned char> out(in.below(32));
    for (auto &b : out)
        b = static_cast<unsigned char>('a' + in.below(4));
    return out;
}

// Walks a snapshot: every record inside `len`, `count` of them.
void walk(const char *call, void *data, size_t len, size_t count) {
    size_t offset = 0;
    size_t seen = 0;
    const void *item = nullptr;
    size_t item_len = 0;
    while (check("mproc_records_next", mproc_records_next(data, len, &offset, &item, &item_len)) ==
           MPROC_OK) {
        require(offset <= len, call, "record past the snapshot", static_cast<long long>(offset));
        ++seen;
    }
    require(data == nullptr || seen == count, call, "record count", static_cast<long long>(seen));
    mproc_free(data);
}

void free_result(int rc, void *const &data) {
    if (rc == MPROC_OK) mproc_free(data);
}

struct DictKind {
    using Handle = mproc_dict_t;
    static int create(const std::string &name, Input &, Handle **out) {
        return mproc_dict_create(name.c_str(), kInitial, kMax, nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_dict_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_dict_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void learn(Handle *, Local &) {}
    static void forget(Handle *, Local &) {}
    static void op(Handle *h, Local &, Input &in) {
        const std::vector<unsigned char> key = bytes(in);
        const double t = in.timeout();
        void *data = nullptr;
        void *data2 = nullptr;
        size_t len = 0;
        size_t len2 = 0;
        size_t count = 0;
        int flag = 0;
        switch (in.below(14)) {
            case 0:
            case 1: {
                const std::vector<unsigned char> value = bytes(in);
                MPROC_FUZZ_CALL(mproc_dict_set, h, key.data(), key.size(), value.data(),
                                value.size(), t);
                break;
            }
            case 2: {
                const size_t cap = in.below(32);
                std::vector<unsigned char> buf(cap == 0 ? 1 : cap);
                if (MPROC_FUZZ_CALL(mproc_dict_get, h, key.data(), key.size(), buf.data(), cap,
                                    &len, t) == MPROC_OK) {
                    require(len <= cap, "mproc_dict_get", "len over cap",
                            static_cast<long long>(len));
                }
                break;
            }
            case 3:
                free_result(MPROC_FUZZ_CALL(mproc_dict_get_alloc, h, key.data(), key.size(), &data,
                                            &len, t),
                            data);
                break;
            case 4:
                MPROC_FUZZ_CALL(mproc_dict_contains, h, key.data(), key.size(), &flag, t);
                break;
            case 5: {
                const std::vector<unsigned char> value = bytes(in);
                free_result(MPROC_FUZZ_CALL(mproc_dict_setdefault, h, key.data(), key.size(),
                                            value.data(), value.size(), &data, &len, &flag, t),
                            data);
                break;
            }
            case 6:
                free_result(
                    MPROC_FUZZ_CALL(mproc_dict_pop, h, key.data(), key.size(), &data, &len, t),
                    data);
                break;
            case 7:
                MPROC_FUZZ_CALL(mproc_dict_delete, h, key.data(), key.size(), t);
                break;
            case 8:
                if (MPROC_FUZZ_CALL(mproc_dict_popitem, h, &data, &len, &data2, &len2, t) ==
                    MPROC_OK) {
                    mproc_free(data);
                    mproc_free(data2);
                }
                break;
            case 9:
                MPROC_FUZZ_CALL(mproc_dict_len, h, &len, t);
                if (in.flag()) MPROC_FUZZ_CALL(mproc_dict_clear, h, t);
                break;
            case 10:
                if (MPROC_FUZZ_CALL(mproc_dict_keys, h, &data, &len, &count, t) == MPROC_OK) {
                    walk("mproc_dict_keys", data, len, count);
                }
                break;
            case 11:
                if (MPROC_FUZZ_CALL(mproc_dict_items, h, &data, &len, &count, t) == MPROC_OK) {
                    walk("mproc_dict_items", data, len, count);
                }
                break;
            case 12:
                if (in.flag()) {
                    MPROC_FUZZ_CALL(mproc_dict_acquire, h, t);
                } else {
                    MPROC_FUZZ_CALL(mproc_dict_release, h);
                }
                break;
            default: {
                size_t capacity = 0, max = 0, free = 0;
                MPROC_FUZZ_CALL(mproc_dict_memory, h, &capacity, &max, &free, t);
                break;
            }
        }
    }
};

struct ListKind {
    using Handle = mproc_list_t;
    static int create(const std::string &name, Input &, Handle **out) {
        return mproc_list_create(name.c_str(), kInitial, kMax, nullptr, out);
    }
    static int open(const std::string &name, Handle **out) {
        return mproc_list_open(name.c_str(), out);
    }
    static int close(Handle *h) { return mproc_list_close(h); }
    static void remove(const std::string &name) { peer_unlink(name); }
    static void learn(Handle *, Local &) {}
    static void forget(Handle *, Local &) {}
    static void op(Handle *h, Local &, Input &in) {
        const std::vector<unsigned char> item = bytes(in);
        const long long index = static_cast<signed char>(in.u8()) % 8;
        const double t = in.timeout();
        void *data = nullptr;
        size_t len = 0;
        size_t count = 0;
        switch (in.below(12)) {
            case 0:
            case 1:
                MPROC_FUZZ_CALL(mproc_list_append, h, item.data(), item.size(), t);
                break;
            case 2: {
                const mproc_bytes_t items[2] = {{item.data(), item.size()}, {nullptr, 0}};
                MPROC_FUZZ_CALL(mproc_list_extend, h, items, in.below(3), t);
                break;
            }
            case 3: {
                const size_t cap = in.below(32);
                std::vector<unsigned char> buf(cap == 0 ? 1 : cap);
                if (MPROC_FUZZ_CALL(mproc_list_get, h, index, buf.data(), cap, &len, t) ==
                    MPROC_OK) {
                    require(len <= cap, "mproc_list_get", "len over cap",
                            static_cast<long long>(len));
                }
                break;
            }
            case 4:
                free_result(MPROC_FUZZ_CALL(mproc_list_get_alloc, h, index, &data, &len, t), data);
                break;
            case 5:
                MPROC_FUZZ_CALL(mproc_list_set, h, index, item.data(), item.size(), t);
                break;
            case 6:
                MPROC_FUZZ_CALL(mproc_list_insert, h, index, item.data(), item.size(), t);
                break;
            case 7:
                free_result(MPROC_FUZZ_CALL(mproc_list_pop, h, index, &data, &len, t), data);
                break;
            case 8:
                if (MPROC_FUZZ_CALL(mproc_list_slice, h, index, in.flag() ? LLONG_MAX : index + 2,
                                    &data, &len, &count, t) == MPROC_OK) {
                    walk("mproc_list_slice", data, len, count);
                }
                break;
            case 9: {
                const mproc_bytes_t items[1] = {{item.data(), item.size()}};
                MPROC_FUZZ_CALL(mproc_list_set_slice, h, index, index + in.below(3), items,
                                in.below(2), t);
                break;
            }
            case 10:
                if (in.flag()) {
                    MPROC_FUZZ_CALL(mproc_list_acquire, h, t);
                } else {
                    MPROC_FUZZ_CALL(mproc_list_release, h);
                }
                break;
            default: {
                size_t capacity = 0, max = 0, free = 0;
                MPROC_FUZZ_CALL(mproc_list_len, h, &len, t);
                MPROC_FUZZ_CALL(mproc_list_memory, h, &capacity, &max, &free, t);
                break;
            }
        }
    }
};

}  // namespace

void run_container_program(unsigned kind, const std::string &name, Input &in,
                           std::size_t poke_limit) {
    if (kind == 0) {
        run_program<DictKind>(name, in, poke_limit);
    } else {
        run_program<ListKind>(name, in, poke_limit);
    }
}

}  // namespace mproc_fuzz
