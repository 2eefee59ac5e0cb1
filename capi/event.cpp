// mproc_event_*: the C face of core::sync::Event.
#include "sync/event.hpp"
#include "handle.hpp"

using mproc::core::sync::Deadline;
using mproc::core::sync::Event;
namespace capi = mproc::capi;

struct mproc_event : capi::Handle<Event, 0x45564e54u /* EVNT */> {
    using Handle::Handle;
};

extern "C" {

int mproc_event_create(const char *name, const mproc_options_t *opts, mproc_event_t **out) {
    return capi::new_handle("mproc_event_create", out, [&] {
        return Event::create(capi::create_name(name), capi::to_create_options(opts));
    });
}

int mproc_event_open(const char *name, mproc_event_t **out) {
    return capi::open_handle("mproc_event_open", name, out);
}

int mproc_event_close(mproc_event_t *event) {
    return capi::close_handle("mproc_event_close", event);
}

int mproc_event_unlink(const char *name) {
    return capi::unlink_name<Event>("mproc_event_unlink", name);
}

int mproc_event_name(const mproc_event_t *event, char *buf, size_t len) {
    return capi::copy_name("mproc_event_name", event, buf, len);
}

int mproc_event_set(mproc_event_t *event) {
    mproc_event *h = capi::live(event);
    if (h == nullptr) return capi::bad_handle("mproc_event_set");
    h->rep->set();
    return MPROC_OK;
}

int mproc_event_clear(mproc_event_t *event) {
    mproc_event *h = capi::live(event);
    if (h == nullptr) return capi::bad_handle("mproc_event_clear");
    h->rep->clear();
    return MPROC_OK;
}

int mproc_event_is_set(const mproc_event_t *event, int *is_set) {
    return capi::get_value("mproc_event_is_set", event, is_set,
                           [](const Event &e) { return e.is_set() ? 1 : 0; });
}

int mproc_event_wait(mproc_event_t *event, double timeout) {
    mproc_event *h = capi::live(event);
    if (h == nullptr) return capi::bad_handle("mproc_event_wait");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout("mproc_event_wait");
    return capi::report(h->rep->wait(Deadline::after(timeout)), "event", h->name, "wait");
}

}  // extern "C"
