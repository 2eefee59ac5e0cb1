// mproc_value_*: the C face of core::array::SharedArray for a Value (one item, kind kValue).
#include <string>

#include "array/array.hpp"
#include "handle.hpp"

using mproc::core::array::SharedArray;
using mproc::core::shm::Kind;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

struct mproc_value : capi::Handle<SharedArray, 0x56414c55u /* VALU */> {
    using Handle::Handle;
};

namespace {

int not_integer(const char *function, const mproc_value &h) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL,
                          std::string(function) + ": value '" + h.name + "' has type code " +
                              mproc::core::array::describe_typecode(h.rep->typecode()) + " (" +
                              h.rep->type().c_type + "), not an integer type");
    });
}

int raw_value(const char *function, const mproc_value &h) noexcept {
    return capi::guarded([&] {
        return capi::fail(MPROC_EINVAL, std::string(function) + ": value '" + h.name +
                                            "' is raw (created with with_lock = 0): no lock");
    });
}

}  // namespace

extern "C" {

int mproc_value_create(const char *name, char typecode, const void *init, int with_lock,
                       const mproc_options_t *opts, mproc_value_t **out) {
    return capi::new_handle("mproc_value_create", out, [&] {
        return SharedArray::create(capi::create_name(name), Kind::kValue, typecode, 1, init,
                                   with_lock != 0, capi::to_create_options(opts));
    });
}

int mproc_value_open(const char *name, mproc_value_t **out) {
    if (name == nullptr) return capi::null_argument("mproc_value_open", "name");
    return capi::new_handle("mproc_value_open", out,
                            [&] { return SharedArray::open(name, Kind::kValue); });
}

int mproc_value_close(mproc_value_t *value) {
    return capi::close_handle("mproc_value_close", value);
}

int mproc_value_unlink(const char *name) {
    if (name == nullptr) return capi::null_argument("mproc_value_unlink", "name");
    return capi::guarded([&] {
        SharedArray::unlink(name, Kind::kValue);
        return MPROC_OK;
    });
}

int mproc_value_name(const mproc_value_t *value, char *buf, size_t len) {
    return capi::copy_name("mproc_value_name", value, buf, len);
}

int mproc_value_type(const mproc_value_t *value, char *typecode, size_t *itemsize) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_type");
    if (typecode != nullptr) *typecode = h->rep->typecode();
    if (itemsize != nullptr) *itemsize = h->rep->itemsize();
    return MPROC_OK;
}

int mproc_value_get(const mproc_value_t *value, void *out) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_get");
    if (out == nullptr) return capi::null_argument("mproc_value_get", "out");
    return capi::report(h->rep->get(0, out), "value", h->name, "get");
}

int mproc_value_set(mproc_value_t *value, const void *in) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_set");
    if (in == nullptr) return capi::null_argument("mproc_value_set", "in");
    return capi::report(h->rep->set(0, in), "value", h->name, "set");
}

int mproc_value_data(mproc_value_t *value, void **ptr) {
    return capi::get_value("mproc_value_data", value, ptr,
                           [](const SharedArray &v) { return v.data(); });
}

int mproc_value_acquire(mproc_value_t *value, double timeout) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_acquire");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_value_acquire");
    if (!h->rep->has_lock()) return raw_value("mproc_value_acquire", *h);
    return capi::report(h->rep->acquire(Deadline::after(timeout)), "value", h->name, "acquire");
}

int mproc_value_release(mproc_value_t *value) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_release");
    if (!h->rep->has_lock()) return raw_value("mproc_value_release", *h);
    return capi::report(h->rep->release(), "value", h->name,
                        "release by a thread that does not own its lock");
}

int mproc_value_add(mproc_value_t *value, const void *delta, void *previous) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_add");
    if (delta == nullptr) return capi::null_argument("mproc_value_add", "delta");
    if (!h->rep->type().integer) return not_integer("mproc_value_add", *h);
    return capi::report(h->rep->add(0, delta, previous), "value", h->name, "add");
}

int mproc_value_compare_exchange(mproc_value_t *value, void *expected, const void *desired,
                                 int *swapped) {
    mproc_value *h = capi::live(value);
    if (h == nullptr) return capi::bad_handle("mproc_value_compare_exchange");
    if (expected == nullptr) return capi::null_argument("mproc_value_compare_exchange", "expected");
    if (desired == nullptr) return capi::null_argument("mproc_value_compare_exchange", "desired");
    if (swapped == nullptr) return capi::null_argument("mproc_value_compare_exchange", "swapped");
    if (!h->rep->type().integer) return not_integer("mproc_value_compare_exchange", *h);
    bool done = false;
    int rc = capi::report(h->rep->compare_exchange(0, expected, desired, &done), "value", h->name,
                          "compare_exchange");
    if (rc == MPROC_OK) *swapped = done ? 1 : 0;
    return rc;
}

}  // extern "C"
