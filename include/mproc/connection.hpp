// mproc/connection.hpp -- mproc::Connection and mproc::pipe(), message connections between
// processes, like multiprocessing.Pipe and multiprocessing.connection.Connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mproc/error.hpp"
#include "mproc/mproc.h"
#include "mproc/named_object.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

class Connection;
inline std::pair<Connection, Connection> pipe(bool duplex = true);

// One end of a connection over a socketpair or a pipe, like Python's
// multiprocessing.connection.Connection, speaking its wire format (so a C++ process and a
// Python Connection can share a descriptor). Connections are file descriptors, not named
// objects: they are inherited by fork(). Made by mproc::pipe() or Connection::from_fd().
//
// Receiving from an end whose peer has closed throws eof_error once nothing is left;
// sending to it throws broken_pipe_error (never SIGPIPE). Move-only; the destructor closes
// the descriptor; close() from another thread wakes a blocked call with closed_error.
class Connection {
  public:
    // Wraps `fd`, which must speak the same framing (for example one inherited from a
    // Python parent); on success the Connection owns it, on a throw the caller still does.
    // Throws invalid_argument_error for a bad fd, neither direction, or a direction the
    // fd's access mode does not allow.
    static Connection from_fd(int fd, bool readable = true, bool writable = true) {
        mproc_connection_t *h = nullptr;
        detail::check(mproc_connection_from_fd(fd, readable, writable, &h));
        return Connection(h);
    }

    Connection(Connection &&) noexcept = default;
    Connection &operator=(Connection &&) noexcept = default;
    ~Connection() = default;

    // Sends one message of `len` bytes. `limit` bounds the wait before the first byte goes
    // out; once started, a message is written whole. Throws broken_pipe_error (the other
    // end is closed), timeout_error, closed_error, invalid_argument_error (a receive-only
    // end).
    void send_bytes(const void *data, std::size_t len, timeout limit = forever) {
        detail::check(mproc_connection_send_bytes(h_.get(), data, len, limit.seconds()));
    }
    void send_bytes(std::string_view message, timeout limit = forever) {
        send_bytes(message.data(), message.size(), limit);
    }

    // Receives one whole message. `limit` bounds the wait for its first byte. Throws
    // eof_error (the other end closed and nothing is left, or a message was cut short),
    // timeout_error, closed_error, invalid_argument_error (a send-only end), system_error
    // (a corrupt length on the wire), out_of_memory_error.
    std::string recv_bytes(timeout limit = forever) {
        void *data = nullptr;
        std::size_t len = 0;
        detail::check(mproc_connection_recv_bytes_alloc(h_.get(), &data, &len, limit.seconds()));
        const std::unique_ptr<void, int (*)(void *)> owner(data, mproc_free);
        return std::string(static_cast<const char *>(data), len);
    }

    // Receives one message into `buf` (capacity `cap`) and returns its size. Throws
    // too_big_error if cap is too small (the message is kept for the next receive), and as
    // recv_bytes().
    std::size_t recv_bytes_into(void *buf, std::size_t cap, timeout limit = forever) {
        std::size_t len = 0;
        detail::check(mproc_connection_recv_bytes(h_.get(), buf, cap, &len, limit.seconds()));
        return len;
    }

    // Whether a receive would not block now (a message or the end of the stream is
    // there), waiting up to `limit` for it; the default of 0 only looks, as in Python.
    bool poll(timeout limit = std::chrono::seconds(0)) {
        int ready = 0;
        detail::check(mproc_connection_poll(h_.get(), limit.seconds(), &ready));
        return ready != 0;
    }

    // The descriptor, still owned by the connection, for poll/select loops.
    int fileno() const {
        int fd = -1;
        detail::check(mproc_connection_fileno(h_.get(), &fd));
        return fd;
    }

    mproc_connection_t *handle() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.get() != nullptr; }

    // Closes the descriptor now; the peer then sees the end of the stream.
    void close() { h_.close(); }

  private:
    explicit Connection(mproc_connection_t *h) noexcept : h_(h) {}
    friend std::pair<Connection, Connection> pipe(bool duplex);

    detail::unique_handle<mproc_connection_t, mproc_connection_close> h_;
};

// A connected pair of Connections, like multiprocessing.Pipe(duplex). duplex: both ends
// send and receive (a socketpair); otherwise the first end only receives and the second
// only sends (a pipe), as in Python. Throws system_error.
inline std::pair<Connection, Connection> pipe(bool duplex) {
    mproc_connection_t *a = nullptr;
    mproc_connection_t *b = nullptr;
    detail::check(mproc_pipe(duplex, &a, &b));
    Connection first(a);
    Connection second(b);
    return {std::move(first), std::move(second)};
}

}  // namespace mproc
