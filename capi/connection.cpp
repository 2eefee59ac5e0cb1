// mproc_pipe, mproc_connection_*, mproc_free: the C face of core::pipe::Connection.
#include <cstdlib>
#include <memory>
#include <string>

#include "handle.hpp"
#include "pipe/connection.hpp"

using mproc::core::kOk;
using mproc::core::kTooBig;
using mproc::core::pipe::Connection;
using mproc::core::sync::Deadline;
namespace capi = mproc::capi;

struct mproc_connection : capi::Handle<Connection, 0x434f4e4eu /* CONN */> {
    using Handle::Handle;
};

namespace {

int wrong_direction(const char *function, const mproc_connection *h, const char *what) {
    return capi::fail(MPROC_EINVAL,
                      std::string(function) + ": connection '" + h->name + "' is " + what);
}

}  // namespace

extern "C" {

int mproc_pipe(int duplex, mproc_connection_t **conn1, mproc_connection_t **conn2) {
    if (conn1 == nullptr) return capi::null_argument("mproc_pipe", "conn1");
    if (conn2 == nullptr) return capi::null_argument("mproc_pipe", "conn2");
    *conn1 = nullptr;
    *conn2 = nullptr;
    return capi::guarded([&] {
        auto ends = Connection::pipe(duplex != 0);
        auto first = std::make_unique<mproc_connection>(std::move(ends.first));
        auto second = std::make_unique<mproc_connection>(std::move(ends.second));
        *conn1 = first.release();
        *conn2 = second.release();
        return MPROC_OK;
    });
}

int mproc_connection_from_fd(int fd, int readable, int writable, mproc_connection_t **out) {
    if (out == nullptr) return capi::null_argument("mproc_connection_from_fd", "out");
    *out = nullptr;
    if (fd < 0) {
        return capi::fail(MPROC_EINVAL,
                          "mproc_connection_from_fd: fd " + std::to_string(fd) + " is negative");
    }
    return capi::new_handle("mproc_connection_from_fd", out,
                            [&] { return Connection::from_fd(fd, readable != 0, writable != 0); });
}

int mproc_connection_close(mproc_connection_t *conn) {
    return capi::close_handle("mproc_connection_close", conn);
}

int mproc_connection_fileno(const mproc_connection_t *conn, int *fd) {
    return capi::get_value("mproc_connection_fileno", conn, fd,
                           [](const Connection &c) { return c.fileno(); });
}

int mproc_connection_send_bytes(mproc_connection_t *conn, const void *data, size_t len,
                                double timeout) {
    const char *function = "mproc_connection_send_bytes";
    mproc_connection *h = capi::live(conn);
    if (h == nullptr) return capi::bad_handle(function);
    if (data == nullptr && len > 0) return capi::null_argument(function, "data");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->writable()) return wrong_direction(function, h, "receive-only");
    return capi::guarded([&] {
        return capi::report(h->rep->send(data, len, Deadline::after(timeout)), "connection",
                            h->name, "send");
    });
}

int mproc_connection_recv_bytes(mproc_connection_t *conn, void *buf, size_t cap, size_t *len,
                                double timeout) {
    const char *function = "mproc_connection_recv_bytes";
    mproc_connection *h = capi::live(conn);
    if (h == nullptr) return capi::bad_handle(function);
    if (len == nullptr) return capi::null_argument(function, "len");
    if (buf == nullptr && cap > 0) return capi::null_argument(function, "buf");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->readable()) return wrong_direction(function, h, "send-only");
    return capi::guarded([&] {
        size_t size = 0;
        const int rc = h->rep->recv(buf, cap, &size, Deadline::after(timeout));
        *len = rc == kOk || rc == kTooBig ? size : 0;
        if (rc == kTooBig) {
            return capi::fail(MPROC_ETOOBIG,
                              "connection '" + h->name + "': receive: the message of " +
                                  std::to_string(size) + " bytes does not fit in " +
                                  std::to_string(cap) + " bytes; it is kept for the next receive");
        }
        return capi::report(rc, "connection", h->name, "receive");
    });
}

int mproc_connection_recv_bytes_alloc(mproc_connection_t *conn, void **data, size_t *len,
                                      double timeout) {
    const char *function = "mproc_connection_recv_bytes_alloc";
    mproc_connection *h = capi::live(conn);
    if (h == nullptr) return capi::bad_handle(function);
    if (data == nullptr) return capi::null_argument(function, "data");
    if (len == nullptr) return capi::null_argument(function, "len");
    *data = nullptr;
    *len = 0;
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->readable()) return wrong_direction(function, h, "send-only");
    return capi::guarded([&] {
        return capi::report(h->rep->recv_malloc(data, len, Deadline::after(timeout)), "connection",
                            h->name, "receive");
    });
}

int mproc_connection_poll(mproc_connection_t *conn, double timeout, int *ready) {
    const char *function = "mproc_connection_poll";
    mproc_connection *h = capi::live(conn);
    if (h == nullptr) return capi::bad_handle(function);
    if (ready == nullptr) return capi::null_argument(function, "ready");
    if (!capi::valid_timeout(timeout)) return capi::bad_timeout(function);
    if (!h->rep->readable()) return wrong_direction(function, h, "send-only");
    return capi::guarded([&] {
        bool is_ready = false;
        const int rc = h->rep->poll(Deadline::after(timeout), &is_ready);
        if (rc == kOk) *ready = is_ready ? 1 : 0;
        return capi::report(rc, "connection", h->name, "poll");
    });
}

int mproc_free(void *memory) {
    std::free(memory);
    return MPROC_OK;
}

}  // extern "C"
