// mproc_array_*: the C face of core::array::SharedArray for an Array (kind kArray).
#include <string>

#include "array/array.hpp"
#include "handle.hpp"

using mproc::core::array::SharedArray;
using mproc::core::shm::Kind;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

struct mproc_array : capi::Handle<SharedArray, 0x41525259u /* ARRY */> {
    using Handle::Handle;
};

namespace {

// "mproc_array_get: array 'counts': " for the messages below.
std::string prefix(const char *function, const mproc_array &h) {
    return std::string(function) + ": array '" + h.name + "': ";
}

int bad_index(const char *function, const mproc_array &h, size_t index) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL, prefix(function, h) + "index " + std::to_string(index) +
                                            " is out of range (length " +
                                            std::to_string(h.rep->length()) + ")");
    });
}

int bad_slice(const char *function, const mproc_array &h, size_t start, size_t stop) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL, prefix(function, h) + "[" + std::to_string(start) + ", " +
                                            std::to_string(stop) +
                                            ") is not a slice of an array of length " +
                                            std::to_string(h.rep->length()));
    });
}

int not_integer(const char *function, const mproc_array &h) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL,
                          prefix(function, h) + "type code " +
                              mproc::core::array::describe_typecode(h.rep->typecode()) + " (" +
                              h.rep->type().c_type + ") is not an integer type");
    });
}

int raw_array(const char *function, const mproc_array &h) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL,
                          prefix(function, h) + "raw array (created with with_lock = 0): no lock");
    });
}

bool in_slice(const SharedArray &a, size_t start, size_t stop) noexcept {
    return start <= stop && stop <= a.length();
}

}  // namespace

extern "C" {

int mproc_array_create(const char *name, char typecode, size_t length, const void *init,
                       int with_lock, const mproc_options_t *opts, mproc_array_t **out) {
    return capi::new_handle("mproc_array_create", out, [&] {
        return SharedArray::create(capi::create_name(name), Kind::kArray, typecode, length, init,
                                   with_lock != 0, capi::to_create_options(opts));
    });
}

int mproc_array_open(const char *name, mproc_array_t **out) {
    if (name == nullptr) return capi::null_argument("mproc_array_open", "name");
    return capi::new_handle("mproc_array_open", out,
                            [&] { return SharedArray::open(name, Kind::kArray); });
}

int mproc_array_close(mproc_array_t *array) {
    return capi::close_handle("mproc_array_close", array);
}

int mproc_array_unlink(const char *name) {
    if (name == nullptr) return capi::null_argument("mproc_array_unlink", "name");
    return capi::guarded([&] {
        SharedArray::unlink(name, Kind::kArray);
        return MPROC_OK;
    });
}

int mproc_array_name(const mproc_array_t *array, char *buf, size_t len) {
    return capi::copy_name("mproc_array_name", array, buf, len);
}

int mproc_array_type(const mproc_array_t *array, char *typecode, size_t *itemsize) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_type");
    if (typecode != nullptr) *typecode = h->rep->typecode();
    if (itemsize != nullptr) *itemsize = h->rep->itemsize();
    return MPROC_OK;
}

int mproc_array_length(const mproc_array_t *array, size_t *length) {
    return capi::get_value("mproc_array_length", array, length,
                           [](const SharedArray &a) { return a.length(); });
}

int mproc_array_get(const mproc_array_t *array, size_t index, void *out) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_get");
    if (out == nullptr) return capi::null_argument("mproc_array_get", "out");
    if (index >= h->rep->length()) return bad_index("mproc_array_get", *h, index);
    return capi::report(h->rep->get(index, out), "array", h->name, "get");
}

int mproc_array_set(mproc_array_t *array, size_t index, const void *in) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_set");
    if (in == nullptr) return capi::null_argument("mproc_array_set", "in");
    if (index >= h->rep->length()) return bad_index("mproc_array_set", *h, index);
    return capi::report(h->rep->set(index, in), "array", h->name, "set");
}

int mproc_array_get_slice(const mproc_array_t *array, size_t start, size_t stop, void *out) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_get_slice");
    if (!in_slice(*h->rep, start, stop)) return bad_slice("mproc_array_get_slice", *h, start, stop);
    if (out == nullptr && start < stop) return capi::null_argument("mproc_array_get_slice", "out");
    return capi::report(h->rep->get_slice(start, stop, out), "array", h->name, "get_slice");
}

int mproc_array_set_slice(mproc_array_t *array, size_t start, size_t stop, const void *in) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_set_slice");
    if (!in_slice(*h->rep, start, stop)) return bad_slice("mproc_array_set_slice", *h, start, stop);
    if (in == nullptr && start < stop) return capi::null_argument("mproc_array_set_slice", "in");
    return capi::report(h->rep->set_slice(start, stop, in), "array", h->name, "set_slice");
}

int mproc_array_data(mproc_array_t *array, void **ptr) {
    return capi::get_value("mproc_array_data", array, ptr,
                           [](const SharedArray &a) { return a.data(); });
}

int mproc_array_acquire(mproc_array_t *array, double timeout) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_array_acquire");
    if (!h->rep->has_lock()) return raw_array("mproc_array_acquire", *h);
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "array", h->name, "acquire");
}

int mproc_array_release(mproc_array_t *array) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_release");
    if (!h->rep->has_lock()) return raw_array("mproc_array_release", *h);
    return capi::report(h->rep->release(), "array", h->name,
                        "release by a thread that does not own its lock");
}

int mproc_array_add(mproc_array_t *array, size_t index, const void *delta, void *previous) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_add");
    if (delta == nullptr) return capi::null_argument("mproc_array_add", "delta");
    if (!h->rep->type().integer) return not_integer("mproc_array_add", *h);
    if (index >= h->rep->length()) return bad_index("mproc_array_add", *h, index);
    return capi::report(h->rep->add(index, delta, previous), "array", h->name, "add");
}

int mproc_array_compare_exchange(mproc_array_t *array, size_t index, void *expected,
                                 const void *desired, int *swapped) {
    mproc_array *h = capi::live(array);
    if (h == nullptr) return capi::bad_handle("mproc_array_compare_exchange");
    if (expected == nullptr) return capi::null_argument("mproc_array_compare_exchange", "expected");
    if (desired == nullptr) return capi::null_argument("mproc_array_compare_exchange", "desired");
    if (swapped == nullptr) return capi::null_argument("mproc_array_compare_exchange", "swapped");
    if (!h->rep->type().integer) return not_integer("mproc_array_compare_exchange", *h);
    if (index >= h->rep->length()) return bad_index("mproc_array_compare_exchange", *h, index);
    bool done = false;
    int rc = capi::report(h->rep->compare_exchange(index, expected, desired, &done), "array",
                          h->name, "compare_exchange");
    if (rc == MPROC_OK) *swapped = done ? 1 : 0;
    return rc;
}

}  // extern "C"
