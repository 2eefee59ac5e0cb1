// mproc_list_*: the C face of core::container::SharedList.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "container/list.hpp"
#include "container_bytes.hpp"
#include "container_calls.hpp"
#include "handle.hpp"

using mproc::core::container::SharedList;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

static_assert(sizeof(long long) == sizeof(std::int64_t), "list indexes pass through unchanged");

struct mproc_list : capi::Handle<SharedList, 0x4c495354u /* LIST */> {
    using Handle::Handle;
    static constexpr const char *kKind = "list";
};

namespace {

// The status of a call on an index: ENOTFOUND says which index, the rest as report().
int report_index(int status, const mproc_list &h, const char *verb, long long index) noexcept {
    if (status != MPROC_ENOTFOUND) return capi::report(status, "list", h.name, verb);
    return capi::guarded([&] {
        return capi::fail(status, "list '" + h.name + "': " + verb + ": index " +
                                      std::to_string(index) + " out of range");
    });
}

// items[0..n) as views, after checking each (NULL data with a length is EINVAL). Throws
// std::bad_alloc: call it inside guarded().
int item_views(const char *function, const mproc_bytes_t *items, std::size_t n,
               std::vector<std::string_view> *out) {
    if (n > 0 && items == nullptr) return capi::null_argument(function, "items");
    out->resize(n);
    for (std::size_t i = 0; i < n; i++) {
        if (!capi::valid_bytes(items[i].data, items[i].len)) {
            return capi::null_argument(function, ("items[" + std::to_string(i) + "].data").c_str());
        }
        (*out)[i] = capi::bytes_view(items[i].data, items[i].len);
    }
    return MPROC_OK;
}

// A change of the list with items[0..n) (extend, set_slice): every item is checked before
// change(list, views, deadline) touches the list, so it is all or nothing.
template <typename Change>
int change_with_items(const char *function, const char *verb, mproc_list_t *list,
                      const mproc_bytes_t *items, std::size_t n, double timeout,
                      Change &&change) noexcept {
    mproc_list *h = nullptr;
    const int rc = capi::start_call(function, list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        std::vector<std::string_view> views;
        const int bad = item_views(function, items, n, &views);
        if (bad != MPROC_OK) return bad;
        return capi::report(change(*h->rep, views.data(), Deadline::after(timeout)), "list",
                            h->name, verb);
    });
}

}  // namespace

extern "C" {

int mproc_list_create(const char *name, size_t initial_size, size_t max_size,
                      const mproc_options_t *opts, mproc_list_t **out) {
    return capi::create_container("mproc_list_create", name, initial_size, max_size, opts, out);
}

int mproc_list_open(const char *name, mproc_list_t **out) {
    return capi::open_handle("mproc_list_open", name, out);
}

int mproc_list_close(mproc_list_t *list) {
    return capi::close_handle("mproc_list_close", list);
}

int mproc_list_unlink(const char *name) {
    return capi::unlink_name<SharedList>("mproc_list_unlink", name);
}

int mproc_list_name(const mproc_list_t *list, char *buf, size_t len) {
    return capi::copy_name("mproc_list_name", list, buf, len);
}

int mproc_list_append(mproc_list_t *list, const void *data, size_t len, double timeout) {
    mproc_list *h = nullptr;
    int rc = capi::start_call("mproc_list_append", list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (!capi::valid_bytes(data, len)) return capi::null_argument("mproc_list_append", "data");
    return capi::guarded([&] {
        return capi::report(h->rep->append(capi::bytes_view(data, len), Deadline::after(timeout)),
                            "list", h->name, "append");
    });
}

int mproc_list_extend(mproc_list_t *list, const mproc_bytes_t *items, size_t n, double timeout) {
    return change_with_items(
        "mproc_list_extend", "extend", list, items, n, timeout,
        [&](SharedList &l, const std::string_view *views, const Deadline &deadline) {
            return l.extend(views, n, deadline);
        });
}

int mproc_list_get(mproc_list_t *list, long long index, void *buf, size_t cap, size_t *len,
                   double timeout) {
    const char *function = "mproc_list_get";
    mproc_list *h = nullptr;
    int rc = capi::start_call(function, list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    rc = capi::check_buffer_out(function, buf, cap, len);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        capi::BufferCopy copy(buf, cap);
        const int status = h->rep->get(
            index, [&](std::string_view v) { copy.copy(v); }, Deadline::after(timeout));
        if (status != MPROC_OK) return report_index(status, *h, "get", index);
        const std::size_t size = copy.size();
        *len = size;
        if (!copy.fits()) {
            return capi::fail(MPROC_ETOOBIG, "list '" + h->name + "': get: item " +
                                                 std::to_string(index) + " is " +
                                                 std::to_string(size) + " bytes, the buffer " +
                                                 std::to_string(cap));
        }
        return MPROC_OK;
    });
}

int mproc_list_get_alloc(mproc_list_t *list, long long index, void **data, size_t *len,
                         double timeout) {
    const char *function = "mproc_list_get_alloc";
    mproc_list *h = nullptr;
    int rc = capi::start_call(function, list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (data == nullptr) return capi::null_argument(function, "data");
    if (len == nullptr) return capi::null_argument(function, "len");
    return capi::guarded([&] {
        capi::Owned copy;
        const int status = h->rep->get(
            index, [&](std::string_view v) { copy.copy(v); }, Deadline::after(timeout));
        if (status != MPROC_OK) return report_index(status, *h, "get", index);
        copy.release(data, len);
        return MPROC_OK;
    });
}

int mproc_list_set(mproc_list_t *list, long long index, const void *data, size_t len,
                   double timeout) {
    mproc_list *h = nullptr;
    int rc = capi::start_call("mproc_list_set", list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (!capi::valid_bytes(data, len)) return capi::null_argument("mproc_list_set", "data");
    return capi::guarded([&] {
        return report_index(
            h->rep->set(index, capi::bytes_view(data, len), Deadline::after(timeout)), *h, "set",
            index);
    });
}

int mproc_list_insert(mproc_list_t *list, long long index, const void *data, size_t len,
                      double timeout) {
    mproc_list *h = nullptr;
    int rc = capi::start_call("mproc_list_insert", list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (!capi::valid_bytes(data, len)) return capi::null_argument("mproc_list_insert", "data");
    return capi::guarded([&] {
        return capi::report(
            h->rep->insert(index, capi::bytes_view(data, len), Deadline::after(timeout)), "list",
            h->name, "insert");
    });
}

int mproc_list_pop(mproc_list_t *list, long long index, void **data, size_t *len, double timeout) {
    const char *function = "mproc_list_pop";
    mproc_list *h = nullptr;
    int rc = capi::start_call(function, list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    if (data != nullptr && len == nullptr) return capi::null_argument(function, "len");
    return capi::guarded([&] {
        capi::Owned copy;
        auto keep = [&](std::string_view v) { copy.copy(v); };
        const int status = data != nullptr ? h->rep->pop(index, keep, Deadline::after(timeout))
                                           : h->rep->pop(index, {}, Deadline::after(timeout));
        if (status != MPROC_OK) return report_index(status, *h, "pop", index);
        if (data != nullptr) copy.release(data, len);
        return MPROC_OK;
    });
}

int mproc_list_len(mproc_list_t *list, size_t *n, double timeout) {
    return capi::container_len("mproc_list_len", list, n, timeout);
}

int mproc_list_slice(mproc_list_t *list, long long start, long long stop, void **data, size_t *len,
                     size_t *count, double timeout) {
    const char *function = "mproc_list_slice";
    mproc_list *h = nullptr;
    int rc = capi::start_call(function, list, timeout, &h);
    if (rc != MPROC_OK) return rc;
    rc = capi::check_snapshot_out(function, data, len, count);
    if (rc != MPROC_OK) return rc;
    return capi::guarded([&] {
        capi::Records records;
        const int status = h->rep->slice(
            start, stop, [&](std::string_view item) { records.add(item); },
            Deadline::after(timeout));
        if (status == MPROC_OK) records.release(data, len, count);
        return capi::report(status, "list", h->name, "slice");
    });
}

int mproc_list_set_slice(mproc_list_t *list, long long start, long long stop,
                         const mproc_bytes_t *items, size_t n, double timeout) {
    return change_with_items(
        "mproc_list_set_slice", "set_slice", list, items, n, timeout,
        [&](SharedList &l, const std::string_view *views, const Deadline &deadline) {
            return l.set_slice(start, stop, views, n, deadline);
        });
}

int mproc_list_acquire(mproc_list_t *list, double timeout) {
    return capi::container_acquire("mproc_list_acquire", list, timeout);
}

int mproc_list_release(mproc_list_t *list) {
    return capi::container_release("mproc_list_release", list);
}

int mproc_list_memory(mproc_list_t *list, size_t *capacity, size_t *max_size, size_t *free,
                      double timeout) {
    return capi::container_memory("mproc_list_memory", list, capacity, max_size, free, timeout);
}

}  // extern "C"
