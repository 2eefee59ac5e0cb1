// Connection: one end of a byte-message channel over a file descriptor (a socketpair for a
// duplex Pipe, a pipe for a one-way one), like multiprocessing.connection.Connection, with
// CPython's wire format (pipe/framing.hpp) so that a C program and a Python Connection can
// talk over the same descriptor.
//
// Blocking. The descriptor is never switched to O_NONBLOCK: it may be shared with another
// program (a Python peer that inherited it) that expects a blocking descriptor. Every
// transfer is non-blocking per call instead (MSG_DONTWAIT on sockets, RWF_NOWAIT on pipes;
// on kernels without RWF_NOWAIT for pipes, poll first and write at most PIPE_BUF bytes,
// which then cannot block), and a call that must wait sleeps in poll() on the descriptor
// and on an eventfd that close() signals.
//
// Timeouts bound the wait before the first byte of a message, in either direction; once a
// message has started it is sent, or received, whole (close() still interrupts it).
//
// Threads. A Connection may be used from many threads: sends are serialised among
// themselves, and so are receives, so messages are never interleaved. close() wakes every
// call blocked on it (kClosed) and waits for them to leave before it closes the descriptor.
//
// Processes. The descriptor is inherited across fork (it is close-on-exec, like Python's).
// The child's copy of a Connection works on its own; its close() wakes only its own
// process's calls.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "error.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::pipe {

class Connection {
  public:
    // A connected pair, as multiprocessing.Pipe(duplex). duplex: both ends send and
    // receive, over socketpair(AF_UNIX, SOCK_STREAM). One-way: first only receives and
    // second only sends, over pipe(). Throws Error (kSystem, kNoMemory...).
    static std::pair<Connection, Connection> pipe(bool duplex);

    // Wraps `fd`, which speaks the same framing, and takes ownership of it if (and only
    // if) this succeeds. Throws Error(kInvalid) for a descriptor that is not open, a
    // socket that is not SOCK_STREAM, neither direction, or a direction that the
    // descriptor's access mode does not allow.
    static Connection from_fd(int fd, bool readable, bool writable);

    Connection(Connection &&other) noexcept;
    Connection &operator=(Connection &&) = delete;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;
    ~Connection();  // closes the descriptor if close() did not

    // "fd 7": for error messages.
    const std::string &name() const noexcept;
    int fileno() const noexcept;
    bool readable() const noexcept;
    bool writable() const noexcept;

    // Sends one message. kOk, kTimedOut (nothing was sent), kPipe (the reading end is
    // closed; no SIGPIPE is raised), kClosed. Throws Error(kInvalid) on a receive-only
    // end, Error(kSystem) for other system errors.
    Status send(const void *data, std::size_t length, const sync::Deadline &deadline);

    // Receives one message into buffer[0..capacity); *length = its size. kOk; kTooBig when
    // it does not fit: *length = its size, and the message stays for the next receive
    // (only its header has been read); kEof (the other end closed between messages);
    // kTimedOut; kClosed. Throws Error(kEof) for a message cut short by the end of the
    // stream ("truncated message"), Error(kInvalid) on a send-only end, Error(kSystem)
    // for a corrupt header or another system error.
    Status recv(void *buffer, std::size_t capacity, std::size_t *length,
                const sync::Deadline &deadline);

    // As recv, into memory from std::malloc (never NULL, even for 0 bytes) that the
    // caller frees with std::free. Never kTooBig; throws Error(kNoMemory) if the
    // allocation fails, and the message then stays for the next receive.
    Status recv_malloc(void **data, std::size_t *length, const sync::Deadline &deadline);

    // *ready = whether a receive would find a message (or its start, or the end of the
    // stream) without waiting, after waiting up to the deadline for one. kOk or kClosed.
    // Throws Error(kInvalid) on a send-only end.
    Status poll(const sync::Deadline &deadline, bool *ready);

    // Wakes the calls blocked on this Connection (they return kClosed), waits for them to
    // leave, and closes the descriptor. Idempotent.
    void close() noexcept;

    // How transfers avoid blocking (see the top of this file).
    enum class IoMode {
        kSocket,       // send/recv with MSG_DONTWAIT (and MSG_NOSIGNAL)
        kNoWait,       // preadv2/pwritev2 with RWF_NOWAIT
        kNonBlocking,  // the descriptor is O_NONBLOCK already: plain read/write
        kPollFirst,    // poll, then read, or write at most PIPE_BUF bytes
    };
    IoMode io_mode() const noexcept;
    // Tests: take the path of kernels without RWF_NOWAIT on pipes.
    void use_poll_first_for_testing() noexcept;

  private:
    struct State;
    explicit Connection(std::unique_ptr<State> state) noexcept;
    std::unique_ptr<State> state_;
};

}  // namespace mproc::core::pipe
