// mproc_dict_*: the C face of core::container::SharedDict.
#include <string>
#include <string_view>
#include <vector>

#include "container/dict.hpp"
#include "container_bytes.hpp"
#include "container_calls.hpp"
#include "handle.hpp"

using mproc::core::container::Item;
using mproc::core::container::SharedDict;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;
namespace core = mproc::core;

static_assert(MPROC_CONTAINER_MAX_KEY == mproc::core::container::kMaxKey);
static_assert(MPROC_CONTAINER_DEFAULT_SIZE == mproc::core::container::kDefaultInitial);
static_assert(MPROC_CONTAINER_DEFAULT_MAX == mproc::core::container::kDefaultMax);
static_assert(MPROC_CONTAINER_MAX_SIZE == mproc::core::container::kMaxReservation);

struct mproc_dict : capi::Handle<SharedDict, 0x44494354u /* DICT */> {
    using Handle::Handle;
    static constexpr const char *kKind = "dict";
};

namespace {

// A missing key, as Python's KeyError names it.
int no_such_key(const mproc_dict &h, const char *verb, std::string_view key) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_ENOTFOUND, "dict '" + h.name + "': " + verb + ": no such key " +
                                               capi::describe_key(key));
    });
}

// The status of a call on a key: ENOTFOUND names the key, the rest as report().
int report_key(int status, const mproc_dict &h, const char *verb, std::string_view key) noexcept {
    if (status == MPROC_ENOTFOUND) return no_such_key(h, verb, key);
    return capi::report(status, "dict", h.name, verb);
}

// The checks of every call that takes a handle, a key and a timeout.
int start_key_call(const char *function, const mproc_dict_t *dict, const char *verb,
                   const void *key, std::size_t key_len, double timeout, mproc_dict **h,
                   std::string_view *k) noexcept {
    const int rc = capi::start_call(function, dict, timeout, h);
    if (rc != MPROC_OK) return rc;
    return capi::key_view(function, (*h)->name, verb, "key", key, key_len, k);
}

// keys (one record per key) or items (key, value).
int snapshot(const char *function, mproc_dict_t *dict, bool with_values, void **data,
             std::size_t *len, std::size_t *count, double timeout) noexcept {
    mproc_dict *h = nullptr;
    int rc = capi::start_call(function, dict, timeout, &h);
    if (rc != MPROC_OK) return rc;
    rc = capi::check_snapshot_out(function, data, len, count);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        capi::Records records;
        const int status = h->rep->for_each(
            [&](std::string_view key, std::string_view value) {
                records.add(key);
                if (with_values) records.add(value);
            },
            Deadline::after(timeout));
        if (status == MPROC_OK) records.release(data, len, count);
        return capi::report(status, "dict", h->name, with_values ? "items" : "keys");
    });
}

}  // namespace

extern "C" {

int mproc_dict_create(const char *name, size_t initial_size, size_t max_size,
                      const mproc_options_t *opts, mproc_dict_t **out) {
    return capi::create_container("mproc_dict_create", name, initial_size, max_size, opts, out);
}

int mproc_dict_open(const char *name, mproc_dict_t **out) {
    return capi::open_handle("mproc_dict_open", name, out);
}

int mproc_dict_close(mproc_dict_t *dict) {
    return capi::close_handle("mproc_dict_close", dict);
}

int mproc_dict_unlink(const char *name) {
    return capi::unlink_name<SharedDict>("mproc_dict_unlink", name);
}

int mproc_dict_name(const mproc_dict_t *dict, char *buf, size_t len) {
    return capi::copy_name("mproc_dict_name", dict, buf, len);
}

int mproc_dict_set(mproc_dict_t *dict, const void *key, size_t key_len, const void *value,
                   size_t value_len, double timeout) {
    const char *function = "mproc_dict_set";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "set", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    if (!capi::valid_bytes(value, value_len)) return capi::null_argument(function, "value");
    return capi::guarded([&] {
        return capi::report(
            h->rep->set(k, capi::bytes_view(value, value_len), Deadline::after(timeout)), "dict",
            h->name, "set");
    });
}

int mproc_dict_get(mproc_dict_t *dict, const void *key, size_t key_len, void *buf, size_t cap,
                   size_t *len, double timeout) {
    const char *function = "mproc_dict_get";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "get", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    rc = capi::check_buffer_out(function, buf, cap, len);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        capi::BufferCopy copy(buf, cap);
        const int status = h->rep->get(
            k, [&](std::string_view v) { copy.copy(v); }, Deadline::after(timeout));
        if (status != MPROC_OK) return report_key(status, *h, "get", k);
        const std::size_t size = copy.size();
        *len = size;
        if (!copy.fits()) {
            return capi::fail(MPROC_ETOOBIG, "dict '" + h->name + "': get: the value is " +
                                                 std::to_string(size) + " bytes, the buffer " +
                                                 std::to_string(cap));
        }
        return MPROC_OK;
    });
}

int mproc_dict_get_alloc(mproc_dict_t *dict, const void *key, size_t key_len, void **value,
                         size_t *len, double timeout) {
    const char *function = "mproc_dict_get_alloc";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "get", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    if (value == nullptr) return capi::null_argument(function, "value");
    if (len == nullptr) return capi::null_argument(function, "len");
    return capi::guarded([&] {
        capi::Owned copy;
        const int status = h->rep->get(
            k, [&](std::string_view v) { copy.copy(v); }, Deadline::after(timeout));
        if (status != MPROC_OK) return report_key(status, *h, "get", k);
        copy.release(value, len);
        return MPROC_OK;
    });
}

int mproc_dict_contains(mproc_dict_t *dict, const void *key, size_t key_len, int *found,
                        double timeout) {
    const char *function = "mproc_dict_contains";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "contains", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    if (found == nullptr) return capi::null_argument(function, "found");
    return capi::guarded([&] {
        bool in = false;
        const int status = h->rep->contains(k, &in, Deadline::after(timeout));
        if (status == MPROC_OK) *found = in ? 1 : 0;
        return capi::report(status, "dict", h->name, "contains");
    });
}

int mproc_dict_setdefault(mproc_dict_t *dict, const void *key, size_t key_len, const void *value,
                          size_t value_len, void **current, size_t *current_len, int *inserted,
                          double timeout) {
    const char *function = "mproc_dict_setdefault";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "setdefault", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    if (!capi::valid_bytes(value, value_len)) return capi::null_argument(function, "value");
    if (current != nullptr && current_len == nullptr) {
        return capi::null_argument(function, "current_len");
    }
    return capi::guarded([&] {
        capi::Owned copy;
        bool added = false;
        auto keep = [&](std::string_view v) { copy.copy(v); };
        const int status = current != nullptr
                               ? h->rep->setdefault(k, capi::bytes_view(value, value_len), &added,
                                                    keep, Deadline::after(timeout))
                               : h->rep->setdefault(k, capi::bytes_view(value, value_len), &added,
                                                    {}, Deadline::after(timeout));
        if (status != MPROC_OK) return capi::report(status, "dict", h->name, "setdefault");
        if (current != nullptr) copy.release(current, current_len);
        if (inserted != nullptr) *inserted = added ? 1 : 0;
        return MPROC_OK;
    });
}

int mproc_dict_pop(mproc_dict_t *dict, const void *key, size_t key_len, void **value, size_t *len,
                   double timeout) {
    const char *function = "mproc_dict_pop";
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call(function, dict, "pop", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    if (value != nullptr && len == nullptr) return capi::null_argument(function, "len");
    return capi::guarded([&] {
        capi::Owned copy;
        auto keep = [&](std::string_view v) { copy.copy(v); };
        const int status = value != nullptr ? h->rep->pop(k, keep, Deadline::after(timeout))
                                            : h->rep->pop(k, {}, Deadline::after(timeout));
        if (status != MPROC_OK) return report_key(status, *h, "pop", k);
        if (value != nullptr) copy.release(value, len);
        return MPROC_OK;
    });
}

int mproc_dict_delete(mproc_dict_t *dict, const void *key, size_t key_len, double timeout) {
    mproc_dict *h = nullptr;
    std::string_view k;
    int rc = start_key_call("mproc_dict_delete", dict, "delete", key, key_len, timeout, &h, &k);
    if (rc != MPROC_OK) return rc;
    return capi::guarded(
        [&] { return report_key(h->rep->pop(k, {}, Deadline::after(timeout)), *h, "delete", k); });
}

int mproc_dict_popitem(mproc_dict_t *dict, void **key, size_t *key_len, void **value,
                       size_t *value_len, double timeout) {
    const char *function = "mproc_dict_popitem";
    mproc_dict *h = nullptr;
    int rc = capi::start_call(function, dict, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (key != nullptr && key_len == nullptr) return capi::null_argument(function, "key_len");
    if (value != nullptr && value_len == nullptr) {
        return capi::null_argument(function, "value_len");
    }
    return capi::guarded([&] {
        capi::Owned k, v;
        auto keep = [&](std::string_view ks, std::string_view vs) {
            if (key != nullptr) k.copy(ks);
            if (value != nullptr) v.copy(vs);
        };
        const int status = key != nullptr || value != nullptr
                               ? h->rep->popitem(keep, Deadline::after(timeout))
                               : h->rep->popitem({}, Deadline::after(timeout));
        if (status == MPROC_EEMPTY) {
            return capi::fail(status, "dict '" + h->name + "': popitem: the dict is empty");
        }
        if (status != MPROC_OK) return capi::report(status, "dict", h->name, "popitem");
        if (key != nullptr) k.release(key, key_len);
        if (value != nullptr) v.release(value, value_len);
        return MPROC_OK;
    });
}

int mproc_dict_len(mproc_dict_t *dict, size_t *n, double timeout) {
    return capi::container_len("mproc_dict_len", dict, n, timeout);
}

int mproc_dict_clear(mproc_dict_t *dict, double timeout) {
    mproc_dict *h = nullptr;
    int rc = capi::start_call("mproc_dict_clear", dict, timeout, &h);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        return capi::report(h->rep->clear(Deadline::after(timeout)), "dict", h->name, "clear");
    });
}

int mproc_dict_update(mproc_dict_t *dict, const mproc_bytes_t *keys, const mproc_bytes_t *values,
                      size_t n, double timeout) {
    const char *function = "mproc_dict_update";
    mproc_dict *h = nullptr;
    int rc = capi::start_call(function, dict, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (n > 0 && keys == nullptr) return capi::null_argument(function, "keys");
    if (n > 0 && values == nullptr) return capi::null_argument(function, "values");
    return capi::guarded([&] {
        // Every key and value is checked before the dict is touched: all or nothing.
        std::vector<Item> items(n);
        for (std::size_t i = 0; i < n; i++) {
            const std::string index = "[" + std::to_string(i) + "]";
            const int bad = capi::key_view(function, h->name, "update", "keys" + index,
                                           keys[i].data, keys[i].len, &items[i].first);
            if (bad != MPROC_OK) return bad;
            if (!capi::valid_bytes(values[i].data, values[i].len)) {
                return capi::null_argument(function, ("values" + index + ".data").c_str());
            }
            items[i].second = capi::bytes_view(values[i].data, values[i].len);
        }
        return capi::report(h->rep->update(items.data(), n, Deadline::after(timeout)), "dict",
                            h->name, "update");
    });
}

int mproc_dict_keys(mproc_dict_t *dict, void **data, size_t *len, size_t *count, double timeout) {
    return snapshot("mproc_dict_keys", dict, false, data, len, count, timeout);
}

int mproc_dict_items(mproc_dict_t *dict, void **data, size_t *len, size_t *count, double timeout) {
    return snapshot("mproc_dict_items", dict, true, data, len, count, timeout);
}

int mproc_dict_acquire(mproc_dict_t *dict, double timeout) {
    return capi::container_acquire("mproc_dict_acquire", dict, timeout);
}

int mproc_dict_release(mproc_dict_t *dict) {
    return capi::container_release("mproc_dict_release", dict);
}

int mproc_dict_memory(mproc_dict_t *dict, size_t *capacity, size_t *max_size, size_t *free,
                      double timeout) {
    return capi::container_memory("mproc_dict_memory", dict, capacity, max_size, free, timeout);
}

}  // extern "C"
