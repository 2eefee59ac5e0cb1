// The message transports that mproc_queue_bench measures, reduced to what both of its drivers
// need: a named object the parent creates and removes, which each child opens as an
// unrelated process would, and one blocking send / receive of a whole message.
//
//   - mproc Queue through the C ABI, created by name in the parent and opened by name in
//     the children; blocking put / get (timeout -1), as multiprocessing's put() / get()
//     block by default.
//   - Boost.Interprocess message_queue, measured as shipped. In Boost 1.74 it is a
//     shared_memory_object (/dev/shm/<name>) holding a header with one interprocess_mutex
//     and two interprocess_conditions (on Linux: pthread mutex / cond with
//     PTHREAD_PROCESS_SHARED, futex-based), an index of offset_ptrs to the messages kept as
//     a circular priority-ordered buffer (BOOST_INTERPROCESS_MSG_QUEUE_CIRCULAR_INDEX), and
//     the preallocated messages. Every send and receive takes the one mutex; a condition
//     is signalled only when someone is blocked on it. Plain send / receive, untimed.
//   - A Unix SOCK_STREAM socketpair with CPython's framing (4-byte big-endian length, then
//     the bytes): one send() per message, and a receiver that reads whatever has arrived
//     (up to 64 KiB) and takes the frames out of its buffer, so that it pays one system
//     call per batch rather than two per message -- the fastest honest use of a socket.
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/interprocess/creation_tags.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench_pingpong.hpp"
#include "mproc/mproc.h"

namespace mproc_bench {

// A named mproc Queue. The parent's create() keeps the name until the object is destroyed
// (in the parent; a forked child leaves with _exit and never gets there); a child open()s
// its own handle by name.
class MprocQueueChannel {
  public:
    explicit MprocQueueChannel(std::string name) : name_(std::move(name)) {}
    MprocQueueChannel(const MprocQueueChannel &) = delete;
    MprocQueueChannel &operator=(const MprocQueueChannel &) = delete;
    ~MprocQueueChannel() {
        if (own_ != nullptr) {
            mproc_queue_close(own_);
            mproc_queue_unlink(name_.c_str());
        }
    }
    bool create(size_t capacity, size_t max_message) {
        return mproc_check(mproc_queue_create(name_.c_str(), capacity, max_message, nullptr, &own_),
                           "mproc_queue_create");
    }
    bool open() { return mproc_check(mproc_queue_open(name_.c_str(), &q_), "mproc_queue_open"); }
    bool send(const void *data, size_t len) {
        return mproc_check(mproc_queue_put(q_, data, len, -1.0), "mproc_queue_put");
    }
    bool recv(void *buf, size_t cap, size_t *len) {
        return mproc_check(mproc_queue_get(q_, buf, cap, len, -1.0), "mproc_queue_get");
    }
    void close() {
        if (q_ != nullptr) mproc_queue_close(q_);
        q_ = nullptr;
    }

  private:
    std::string name_;
    mproc_queue_t *own_ = nullptr;  // the parent's, keeps the name
    mproc_queue_t *q_ = nullptr;    // a child's, opened by name
};

// A named Boost.Interprocess message_queue (see the top of this file for what it is).
class BoostQueueChannel {
  public:
    explicit BoostQueueChannel(std::string name) : name_(std::move(name)) {}
    BoostQueueChannel(const BoostQueueChannel &) = delete;
    BoostQueueChannel &operator=(const BoostQueueChannel &) = delete;
    ~BoostQueueChannel() {
        if (created_) {
            own_.reset();
            boost::interprocess::message_queue::remove(name_.c_str());
        }
    }
    bool create(size_t capacity, size_t max_message) {
        boost::interprocess::message_queue::remove(name_.c_str());
        try {
            own_ = std::make_unique<boost::interprocess::message_queue>(
                boost::interprocess::create_only, name_.c_str(), capacity, max_message);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost message_queue(create_only, %s): %s\n", name_.c_str(),
                         e.what());
            return false;
        }
        created_ = true;
        return true;
    }
    bool open() {
        try {
            q_ = std::make_unique<boost::interprocess::message_queue>(
                boost::interprocess::open_only, name_.c_str());
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost message_queue(open_only, %s): %s\n", name_.c_str(),
                         e.what());
            return false;
        }
        return true;
    }
    bool send(const void *data, size_t len) {
        try {
            q_->send(data, len, 0);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost message_queue send: %s\n", e.what());
            return false;
        }
        return true;
    }
    bool recv(void *buf, size_t cap, size_t *len) {
        try {
            boost::interprocess::message_queue::size_type got = 0;
            unsigned int priority = 0;
            q_->receive(buf, cap, got, priority);
            *len = got;
        } catch (const std::exception &e) {
            std::fprintf(stderr, "boost message_queue receive: %s\n", e.what());
            return false;
        }
        return true;
    }
    void close() { q_.reset(); }

  private:
    std::string name_;
    bool created_ = false;
    std::unique_ptr<boost::interprocess::message_queue> own_;  // the parent's
    std::unique_ptr<boost::interprocess::message_queue> q_;    // a child's, opened by name
};

// One end of a SOCK_STREAM socketpair speaking CPython's framing. The descriptor is not
// owned: the parent creates and closes the pair (SocketPair), a child inherits it.
class FramedSocket {
  public:
    void reset(int fd) {
        fd_ = fd;
        head_ = tail_ = 0;
        in_.resize(kReadChunk);
    }
    // One send() of the whole frame, as a message API would do per message.
    bool send(const void *data, size_t len) {
        out_.resize(4 + len);
        const uint32_t be = htonl(static_cast<uint32_t>(len));
        std::memcpy(out_.data(), &be, 4);
        if (len != 0) std::memcpy(out_.data() + 4, data, len);
        size_t done = 0;
        while (done < out_.size()) {
            const ssize_t n = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                std::perror("socketpair send");
                return false;
            }
            done += static_cast<size_t>(n);
        }
        return true;
    }
    bool recv(void *buf, size_t cap, size_t *len) {
        if (!fill(4)) return false;
        uint32_t be = 0;
        std::memcpy(&be, in_.data() + head_, 4);
        const size_t n = ntohl(be);
        if (n > cap) {
            std::fprintf(stderr, "socketpair: a frame of %zu bytes, buffer %zu\n", n, cap);
            return false;
        }
        if (!fill(4 + n)) return false;
        if (n != 0) std::memcpy(buf, in_.data() + head_ + 4, n);
        head_ += 4 + n;
        *len = n;
        return true;
    }

  private:
    static constexpr size_t kReadChunk = 64 * 1024;

    // Makes at least `need` unread bytes available in in_[head_, tail_).
    bool fill(size_t need) {
        while (tail_ - head_ < need) {
            if (in_.size() - head_ < need || tail_ == in_.size()) {
                std::memmove(in_.data(), in_.data() + head_, tail_ - head_);
                tail_ -= head_;
                head_ = 0;
                if (in_.size() < need) in_.resize(need);
            }
            const ssize_t n = ::read(fd_, in_.data() + tail_, in_.size() - tail_);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                std::fprintf(stderr, "socketpair read: %s\n", n == 0 ? "EOF" : strerror(errno));
                return false;
            }
            tail_ += static_cast<size_t>(n);
        }
        return true;
    }

    int fd_ = -1;
    std::vector<unsigned char> in_, out_;
    size_t head_ = 0, tail_ = 0;  // unread bytes are in_[head_, tail_)
};

// A socketpair owned by the parent; children inherit both descriptors through fork.
class SocketPair {
  public:
    SocketPair() = default;
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;
    ~SocketPair() {
        for (int fd : fds_)
            if (fd >= 0) ::close(fd);
    }
    bool create() {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) {
            std::perror("socketpair");
            fds_[0] = fds_[1] = -1;
            return false;
        }
        return true;
    }
    int fd(int end) const { return fds_[end]; }

  private:
    int fds_[2] = {-1, -1};
};

}  // namespace mproc_bench
