#include "pipe/connection.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include "pipe/framing.hpp"
#include "pipe/sigpipe_block.hpp"
#include "sync/futex.hpp"
#include "sync/process_identity.hpp"
#include "sync/wait_gate.hpp"

namespace mproc::core::pipe {

using sync::Deadline;

namespace {

// Serialises the sends (or the receives) of one Connection, so that two threads' messages
// never interleave. The word holds the owner's process id (0: free); a holder in the
// process we were forked from does not exist here, so its mark counts as free. Waiting
// honours the caller's deadline and close().
class Turn {
  public:
    Status acquire(std::uint32_t pid, const Deadline &deadline, const sync::WaitGate &gate) {
        for (;;) {
            std::uint32_t owner = owner_.load(std::memory_order_relaxed);
            if (owner != pid) {
                if (owner_.compare_exchange_weak(owner, pid, std::memory_order_acquire)) {
                    return kOk;
                }
                continue;
            }
            if (gate.closed()) return kClosed;
            if (deadline.expired()) return kTimedOut;
            waiters_.fetch_add(1, std::memory_order_seq_cst);
            if (owner_.load(std::memory_order_seq_cst) == owner && !gate.closed()) {
                // Slices bound a missed wake-up; close() wakes everyone anyway.
                sync::futex_wait(owner_, owner, deadline.slice_end_ns(50'000'000));
            }
            waiters_.fetch_sub(1, std::memory_order_seq_cst);
        }
    }
    void release() noexcept {
        owner_.store(0, std::memory_order_seq_cst);
        if (waiters_.load(std::memory_order_seq_cst) > 0) sync::futex_wake(owner_, 1);
    }
    void wake_all() noexcept { sync::futex_wake(owner_, sync::kWakeAll); }

  private:
    std::atomic<std::uint32_t> owner_{0};
    std::atomic<std::uint32_t> waiters_{0};
};

class TurnHolder {
  public:
    explicit TurnHolder(Turn &turn) noexcept : turn_(turn) {}
    ~TurnHolder() {
        if (held_) turn_.release();
    }
    Status acquire(const Deadline &deadline, const sync::WaitGate &gate) {
        const Status s = turn_.acquire(sync::current_pid(), deadline, gate);
        held_ = s == kOk;
        return s;
    }
    TurnHolder(const TurnHolder &) = delete;
    TurnHolder &operator=(const TurnHolder &) = delete;

  private:
    Turn &turn_;
    bool held_ = false;
};

std::string fd_name(int fd) {
    return "fd " + std::to_string(fd);
}

}  // namespace

struct Connection::State {
    State(int descriptor, bool can_read, bool can_write, IoMode io)
        : fd(descriptor),
          readable(can_read),
          writable(can_write),
          name(fd_name(descriptor)),
          mode(io) {}

    const int fd;
    const bool readable;
    const bool writable;
    const std::string name;
    std::atomic<IoMode> mode;

    // Fork-aware, which a Connection needs: it is inherited across fork.
    sync::WaitGate gate;
    Turn send_turn;
    Turn recv_turn;

    // The eventfd that close() signals, as pid << 32 | descriptor (0: none yet). It is
    // made in (and for) one process: a forked child that inherited it makes its own before
    // it first waits, and never signals the inherited one, so closing a Connection in one
    // process never wakes another's calls. (Lock-free: a lock could be inherited held.)
    std::atomic<std::uint64_t> wake{0};

    // Receive state, under recv_turn: the header of the next message has been read and
    // its body has not (a receive into too small a buffer keeps the message this way).
    bool header_pending = false;
    std::uint64_t pending_length = 0;
    std::atomic<bool> header_pending_flag{false};  // for poll(), which takes no turn
    // A failure in the middle of a message left the stream at an unknown place.
    bool recv_broken = false;

    bool closed_fds = false;

    ~State() { close_descriptors(); }

    void close_descriptors() noexcept {
        if (closed_fds) return;
        closed_fds = true;
        ::close(fd);
        const std::uint64_t w = wake.load(std::memory_order_acquire);
        if (w != 0) ::close(static_cast<int>(w & 0xffffffffu));
    }

    // The wake descriptor of this process, made on first use.
    int wake_descriptor(std::uint32_t pid) {
        std::uint64_t w = wake.load(std::memory_order_acquire);
        if (w != 0 && (w >> 32) == pid) return static_cast<int>(w & 0xffffffffu);
        const int made = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (made < 0) throw_errno(errno, "connection '" + name + "': eventfd");
        const std::uint64_t mine = (std::uint64_t{pid} << 32) | static_cast<std::uint32_t>(made);
        for (;;) {
            if (w != 0 && (w >> 32) == pid) {  // another thread of this process was first
                ::close(made);
                return static_cast<int>(w & 0xffffffffu);
            }
            if (wake.compare_exchange_weak(w, mine, std::memory_order_acq_rel)) break;
        }
        // The parent's, inherited: nobody here waits on it.
        if (w != 0) ::close(static_cast<int>(w & 0xffffffffu));
        return made;
    }

    void signal_wake() noexcept {
        const std::uint64_t w = wake.load(std::memory_order_acquire);
        if (w == 0 || (w >> 32) != static_cast<std::uint32_t>(::getpid()))
            return;  // no waiter here
        const std::uint64_t one = 1;
        ssize_t ignored = ::write(static_cast<int>(w & 0xffffffffu), &one, sizeof one);
        (void)ignored;  // EAGAIN: the counter is already huge, so readable anyway
    }

    void drain_wake(int wake_fd) noexcept {
        std::uint64_t count;
        ssize_t ignored = ::read(wake_fd, &count, sizeof count);
        (void)ignored;
    }

    // Waits until the descriptor has `events` (or an error or hangup, which the next
    // transfer reports). kOk, kTimedOut, kClosed.
    Status wait_for(short events, const Deadline &deadline) {
        const int wake_fd = wake_descriptor(static_cast<std::uint32_t>(::getpid()));
        for (;;) {
            if (gate.closed()) return kClosed;
            pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
            timespec ts{};
            timespec *limit = nullptr;
            if (!deadline.is_forever()) {
                std::int64_t left = deadline.at_ns() - Deadline::now_ns();
                if (left < 0) left = 0;
                ts.tv_sec = static_cast<time_t>(left / 1000000000);
                ts.tv_nsec = static_cast<long>(left % 1000000000);
                limit = &ts;
            }
            const int r = ::ppoll(fds, 2, limit, nullptr);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw_errno(errno, "connection '" + name + "': poll");
            }
            if (fds[0].revents & POLLNVAL) {
                throw Error(kSystem, "connection '" + name +
                                         "': the descriptor was closed "
                                         "behind the connection's back");
            }
            if (fds[0].revents != 0) return kOk;
            if (fds[1].revents != 0) {
                if (gate.closed()) return kClosed;
                drain_wake(wake_fd);  // not a close: a stray count
                continue;
            }
            if (deadline.expired()) return kTimedOut;
        }
    }

    // Whether the descriptor has `events` now.
    bool ready_now(short events) {
        pollfd p{fd, events, 0};
        for (;;) {
            const int r = ::poll(&p, 1, 0);
            if (r >= 0) return r > 0;
            if (errno != EINTR) throw_errno(errno, "connection '" + name + "': poll");
        }
    }

    // One transfer attempt that never blocks: bytes moved (> 0), 0 for the end of the
    // stream (reads), or -errno (-EAGAIN: would block).
    ssize_t read_some(void *buffer, std::size_t length) {
        for (;;) {
            ssize_t r = -1;
            switch (mode.load(std::memory_order_relaxed)) {
                case IoMode::kSocket:
                    r = ::recv(fd, buffer, length, MSG_DONTWAIT);
                    break;
                case IoMode::kNoWait: {
                    iovec iov{buffer, length};
                    r = ::preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
                    if (r < 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
                        fall_back_from_nowait();
                        continue;
                    }
                    break;
                }
                case IoMode::kNonBlocking:
                    r = ::read(fd, buffer, length);
                    break;
                case IoMode::kPollFirst:
                    // Readable: a read returns what is there without waiting (unless a
                    // process sharing the descriptor takes it first).
                    if (!ready_now(POLLIN)) return -EAGAIN;
                    r = ::read(fd, buffer, length);
                    break;
            }
            if (r >= 0) return r;
            if (errno == EWOULDBLOCK) return -EAGAIN;
            return -errno;
        }
    }

    ssize_t write_some(const iovec *iov, int count) {
        for (;;) {
            ssize_t r = -1;
            switch (mode.load(std::memory_order_relaxed)) {
                case IoMode::kSocket: {
                    msghdr msg{};
                    msg.msg_iov = const_cast<iovec *>(iov);
                    msg.msg_iovlen = static_cast<std::size_t>(count);
                    r = ::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
                    break;
                }
                case IoMode::kNoWait:
                    r = ::pwritev2(fd, iov, count, -1, RWF_NOWAIT);
                    if (r < 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
                        fall_back_from_nowait();
                        continue;
                    }
                    break;
                case IoMode::kNonBlocking:
                    r = ::writev(fd, iov, count);
                    break;
                case IoMode::kPollFirst: {
                    // Writable: the pipe has room for PIPE_BUF bytes, so a write of at
                    // most that many does not wait. A reader's hangup shows as POLLERR:
                    // write anyway, to get EPIPE.
                    if (!ready_now(POLLOUT)) return -EAGAIN;
                    iovec part[2];
                    int parts = 0;
                    std::size_t room = PIPE_BUF;
                    for (int i = 0; i < count && room > 0; ++i) {
                        const std::size_t take = std::min(iov[i].iov_len, room);
                        part[parts++] = iovec{iov[i].iov_base, take};
                        room -= take;
                    }
                    r = ::writev(fd, part, parts);
                    break;
                }
            }
            if (r >= 0) return r;
            if (errno == EWOULDBLOCK) return -EAGAIN;
            return -errno;
        }
    }

    // RWF_NOWAIT on a pipe needs Linux 6.x: before, it is EOPNOTSUPP (ENOSYS before
    // preadv2 itself, 4.6).
    void fall_back_from_nowait() {
        const int flags = ::fcntl(fd, F_GETFL);
        mode.store(flags >= 0 && (flags & O_NONBLOCK) ? IoMode::kNonBlocking : IoMode::kPollFirst,
                   std::memory_order_relaxed);
    }

    [[noreturn]] void truncated(const char *part, std::size_t got, std::uint64_t want) {
        throw Error(kEof, "connection '" + name + "': receive: truncated message: end of file " +
                              "after " + std::to_string(got) + " of " + std::to_string(want) + " " +
                              part + " bytes");
    }

    [[noreturn]] void receive_failed(int err) {
        recv_broken = true;
        header_pending = false;
        header_pending_flag.store(false, std::memory_order_relaxed);
        throw_errno(err, "connection '" + name + "': receive");
    }

    // Reads buffer[*got..length) of a message that has started: waits as long as it takes.
    // kOk, kEof (the stream ended first; *got says how far it came), kClosed.
    Status read_rest(unsigned char *buffer, std::size_t length, std::size_t *got) {
        while (*got < length) {
            const ssize_t r = read_some(buffer + *got, length - *got);
            if (r > 0) {
                *got += static_cast<std::size_t>(r);
            } else if (r == 0 || r == -ECONNRESET) {
                return kEof;
            } else if (r == -EAGAIN) {
                const Status s = wait_for(POLLIN, Deadline::forever());
                if (s != kOk) return s;
            } else if (r != -EINTR) {
                receive_failed(static_cast<int>(-r));
            }
        }
        return kOk;
    }

    // Reads the next message's header unless one is pending. kOk (header_pending is set),
    // kEof (clean end of stream), kTimedOut, kClosed.
    Status read_header(const Deadline &deadline) {
        if (header_pending) return kOk;
        if (recv_broken) {
            throw Error(kSystem, "connection '" + name +
                                     "': receive: the stream is out of step after an earlier "
                                     "failure in the middle of a message");
        }
        unsigned char header[kMaxHeaderSize];
        std::size_t got = 0;
        // The wait for the first byte is the only one the deadline bounds.
        for (;;) {
            const ssize_t r = read_some(header, kShortHeaderSize);
            if (r > 0) {
                got = static_cast<std::size_t>(r);
                break;
            }
            if (r == 0 || r == -ECONNRESET) return kEof;
            if (r == -EAGAIN) {
                const Status s = wait_for(POLLIN, deadline);
                if (s != kOk) return s;
            } else if (r != -EINTR) {
                throw_errno(static_cast<int>(-r), "connection '" + name + "': receive");
            }
        }
        Status s = read_rest(header, kShortHeaderSize, &got);
        if (s == kEof) truncated("header", got, kShortHeaderSize);
        if (s != kOk) return s;
        const std::int32_t short_length = decode_short_header(header);
        std::uint64_t length = 0;
        if (short_length >= 0) {
            length = static_cast<std::uint64_t>(short_length);
        } else if (short_length == kLongFormMarker) {
            got = 0;
            s = read_rest(header + kShortHeaderSize, kLongLengthSize, &got);
            if (s == kEof) truncated("header", kShortHeaderSize + got, kMaxHeaderSize);
            if (s != kOk) return s;
            length = decode_long_length(header + kShortHeaderSize);
        } else {
            recv_broken = true;
            throw Error(kSystem, "connection '" + name +
                                     "': receive: corrupt message header (length " +
                                     std::to_string(short_length) + ")");
        }
        header_pending = true;
        pending_length = length;
        header_pending_flag.store(true, std::memory_order_relaxed);
        return kOk;
    }

    // Reads the pending message's body into buffer. kOk, kClosed; throws for a truncated
    // message.
    Status read_body(unsigned char *buffer) {
        const std::size_t length = static_cast<std::size_t>(pending_length);
        std::size_t got = 0;
        const Status s = read_rest(buffer, length, &got);
        if (s == kClosed) return s;
        header_pending = false;
        header_pending_flag.store(false, std::memory_order_relaxed);
        if (s == kEof) truncated("body", got, length);
        return s;
    }

    void require_readable() const {
        if (!readable) {
            throw Error(kInvalid, "connection '" + name + "': receive: a send-only end");
        }
    }
};

Connection::Connection(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

Connection::Connection(Connection &&other) noexcept : state_(std::move(other.state_)) {}

Connection::~Connection() {
    close();
}

std::pair<Connection, Connection> Connection::pipe(bool duplex) {
    int fds[2];
    if (duplex) {
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
            throw_errno(errno, "Pipe: socketpair");
        }
    } else if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw_errno(errno, "Pipe: pipe");
    }
    const IoMode mode = duplex ? IoMode::kSocket : IoMode::kNoWait;
    std::unique_ptr<State> first, second;
    try {
        first = std::make_unique<State>(fds[0], true, duplex, mode);
    } catch (...) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw;
    }
    try {
        second = std::make_unique<State>(fds[1], duplex, true, mode);
    } catch (...) {
        ::close(fds[1]);  // first closes fds[0]
        throw;
    }
    return {Connection(std::move(first)), Connection(std::move(second))};
}

Connection Connection::from_fd(int fd, bool readable, bool writable) {
    const std::string what = "connection from " + fd_name(fd);
    if (!readable && !writable) {
        throw Error(kInvalid, what + ": neither readable nor writable");
    }
    const int flags = fd < 0 ? -1 : ::fcntl(fd, F_GETFL);
    if (flags < 0) throw Error(kInvalid, what + ": not an open descriptor");
    const int access = flags & O_ACCMODE;
    if (readable && access == O_WRONLY) {
        throw Error(kInvalid, what + ": readable asked, but the descriptor is write-only");
    }
    if (writable && access == O_RDONLY) {
        throw Error(kInvalid, what + ": writable asked, but the descriptor is read-only");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno(errno, what + ": fstat");
    IoMode mode = IoMode::kNoWait;
    if (S_ISSOCK(st.st_mode)) {
        int type = 0;
        socklen_t size = sizeof type;
        if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
            throw_errno(errno, what + ": getsockopt");
        }
        if (type != SOCK_STREAM) {
            throw Error(kInvalid, what +
                                      ": a socket that is not SOCK_STREAM cannot carry "
                                      "the byte-stream framing");
        }
        mode = IoMode::kSocket;
    }
    return Connection(std::make_unique<State>(fd, readable, writable, mode));
}

const std::string &Connection::name() const noexcept {
    return state_->name;
}

int Connection::fileno() const noexcept {
    return state_->fd;
}

bool Connection::readable() const noexcept {
    return state_->readable;
}

bool Connection::writable() const noexcept {
    return state_->writable;
}

Connection::IoMode Connection::io_mode() const noexcept {
    return state_->mode.load(std::memory_order_relaxed);
}

void Connection::use_poll_first_for_testing() noexcept {
    if (state_->mode.load() != IoMode::kSocket) state_->mode.store(IoMode::kPollFirst);
}

Status Connection::send(const void *data, std::size_t length, const Deadline &deadline) {
    State &s = *state_;
    if (!s.writable) throw Error(kInvalid, "connection '" + s.name + "': send: a receive-only end");
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    TurnHolder turn(s.send_turn);
    if (Status t = turn.acquire(deadline, s.gate); t != kOk) return t;

    unsigned char header[kMaxHeaderSize];
    iovec iov[2] = {{header, encode_header(length, header)}, {const_cast<void *>(data), length}};
    iovec *next = iov;
    int left = length > 0 ? 2 : 1;
    std::optional<SigpipeBlock> sigpipe;
    if (s.mode.load(std::memory_order_relaxed) != IoMode::kSocket) sigpipe.emplace();
    bool started = false;
    // Header and body go out in one call (no copy to join them), and no Nagle to avoid.
    for (;;) {
        const ssize_t r = s.write_some(next, left);
        if (r > 0) {
            started = true;
            std::size_t done = static_cast<std::size_t>(r);
            while (left > 0 && done >= next->iov_len) {
                done -= next->iov_len;
                ++next;
                --left;
            }
            if (left == 0) return kOk;
            next->iov_base = static_cast<unsigned char *>(next->iov_base) + done;
            next->iov_len -= done;
        } else if (r == -EAGAIN || r == 0) {
            const Status w = s.wait_for(POLLOUT, started ? Deadline::forever() : deadline);
            if (w != kOk) return w;  // kTimedOut only before the first byte
        } else if (r == -EPIPE || r == -ECONNRESET) {
            if (sigpipe) sigpipe->discard_ours();
            return kPipe;
        } else if (r != -EINTR) {
            throw_errno(static_cast<int>(-r), "connection '" + s.name + "': send");
        }
    }
}

Status Connection::recv(void *buffer, std::size_t capacity, std::size_t *length,
                        const Deadline &deadline) {
    State &s = *state_;
    s.require_readable();
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    TurnHolder turn(s.recv_turn);
    if (Status t = turn.acquire(deadline, s.gate); t != kOk) return t;
    if (Status h = s.read_header(deadline); h != kOk) return h;
    if (s.pending_length > capacity) {
        *length =
            s.pending_length > SIZE_MAX ? SIZE_MAX : static_cast<std::size_t>(s.pending_length);
        return kTooBig;
    }
    const std::size_t size = static_cast<std::size_t>(s.pending_length);
    if (Status b = s.read_body(static_cast<unsigned char *>(buffer)); b != kOk) return b;
    *length = size;
    return kOk;
}

Status Connection::recv_malloc(void **data, std::size_t *length, const Deadline &deadline) {
    State &s = *state_;
    s.require_readable();
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    TurnHolder turn(s.recv_turn);
    if (Status t = turn.acquire(deadline, s.gate); t != kOk) return t;
    if (Status h = s.read_header(deadline); h != kOk) return h;
    const std::uint64_t size = s.pending_length;
    struct Free {
        void operator()(void *p) const noexcept { std::free(p); }
    };
    std::unique_ptr<void, Free> memory(
        size > SIZE_MAX ? nullptr : std::malloc(size > 0 ? static_cast<std::size_t>(size) : 1));
    if (memory == nullptr) {
        throw Error(kNoMemory, "connection '" + s.name + "': receive: cannot allocate " +
                                   std::to_string(size) +
                                   " bytes for the message (it is kept for the next receive)");
    }
    if (Status b = s.read_body(static_cast<unsigned char *>(memory.get())); b != kOk) return b;
    *data = memory.release();
    *length = static_cast<std::size_t>(size);
    return kOk;
}

Status Connection::poll(const Deadline &deadline, bool *ready) {
    State &s = *state_;
    s.require_readable();
    sync::WaitGate::Pass pass(s.gate);
    if (s.gate.closed()) return kClosed;
    if (s.header_pending_flag.load(std::memory_order_relaxed)) {
        *ready = true;
        return kOk;
    }
    const Status w = s.wait_for(POLLIN, deadline);
    if (w == kClosed) return w;
    *ready = w == kOk;
    return kOk;
}

void Connection::close() noexcept {
    if (state_ == nullptr || state_->closed_fds) return;
    State &s = *state_;
    // The eventfd wakes the calls in wait_for's ppoll; the futex wakes those waiting for a turn.
    s.gate.close([&s] {
        s.signal_wake();
        s.send_turn.wake_all();
        s.recv_turn.wake_all();
    });
    s.close_descriptors();
}

}  // namespace mproc::core::pipe
