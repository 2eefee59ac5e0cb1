// What the core tests share: unique object names that are unlinked at the end of a test,
// forked children with a bounded wait for their exit status, memory shared with those
// children, bounded polling, and a way to see that a thread or process is asleep in the
// kernel (so a test knows a waiter is really blocked before it wakes it).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "shm/name.hpp"
#include "sync/deadline.hpp"

namespace mproc_core_test {

using namespace std::chrono_literals;
using mproc::core::Error;
using mproc::core::Status;

// "t-<pid>-<counter>-<tag>": unique across the test processes ctest runs in parallel.
inline std::string unique_name(std::string_view tag) {
    static std::atomic<unsigned> counter{0};
    return "t-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
           std::string(tag);
}

// The file an object of that name lives in.
inline std::string shm_file(std::string_view name) {
    return "/dev/shm/" + std::string(mproc::core::shm::kNamePrefix) + std::string(name);
}

inline bool shm_file_exists(std::string_view name) {
    struct stat st {};
    return ::lstat(shm_file(name).c_str(), &st) == 0;
}

// Unlinks the names it hands out (whatever kind of object, or stray file, holds them)
// when the test ends, so that a failing test leaves nothing behind in /dev/shm.
class Names {
  public:
    Names() = default;
    Names(const Names &) = delete;
    Names &operator=(const Names &) = delete;
    ~Names() {
        for (const std::string &name : names_)
            ::unlink(shm_file(name).c_str());
    }

    // A fresh unique name, removed at the end of the scope.
    std::string make(std::string_view tag) {
        names_.push_back(unique_name(tag));
        return names_.back();
    }
    // Also removes `name` (an anonymous object's, say) at the end of the scope.
    void adopt(const std::string &name) { names_.push_back(name); }

  private:
    std::vector<std::string> names_;
};

// The exit status of a child whose body threw.
inline constexpr int kChildThrew = 99;

// Forks a child that runs body() and leaves with _exit(its return value), so that nothing
// of the parent's test state (GoogleTest's listeners, the parent's destructors, buffered
// output) runs twice. An exception in the body exits with kChildThrew.
inline pid_t run_in_child(const std::function<int()> &body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int status = kChildThrew;
        try {
            status = body();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "child %d threw: %s\n", static_cast<int>(::getpid()), e.what());
        } catch (...) {
            std::fprintf(stderr, "child %d threw\n", static_cast<int>(::getpid()));
        }
        std::fflush(nullptr);
        ::_exit(status);
    }
    return pid;
}

// Waits at most `limit` for `pid` and returns its exit status, or 128 + the signal that
// ended it. On timeout the child is killed, the test fails, and -1 is returned: a hung
// child fails the test instead of hanging CI.
inline int wait_child(pid_t pid, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (r < 0) {
            ADD_FAILURE() << "waitpid(" << pid << "): " << std::strerror(errno);
            return -1;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            ADD_FAILURE() << "child " << pid << " did not exit within " << limit.count()
                          << " ms; killed";
            return -1;
        }
        std::this_thread::sleep_for(1ms);
    }
}

// Kills and reaps, at the end of the scope, the children a failing test left behind.
class ChildReaper {
  public:
    ChildReaper() = default;
    ChildReaper(const ChildReaper &) = delete;
    ChildReaper &operator=(const ChildReaper &) = delete;
    ~ChildReaper() {
        for (pid_t pid : pids_) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
            }
        }
    }
    pid_t add(pid_t pid) {
        pids_.push_back(pid);
        return pid;
    }

  private:
    std::vector<pid_t> pids_;
};

// A T in memory shared with forked children (MAP_SHARED | MAP_ANONYMOUS). T must work
// across processes without pointers: atomics, plain integers and arrays of them.
template <class T>
class Shared {
  public:
    Shared() {
        void *p =
            ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        value_ = new (p) T{};
    }
    Shared(const Shared &) = delete;
    Shared &operator=(const Shared &) = delete;
    ~Shared() {
        value_->~T();
        ::munmap(value_, sizeof(T));
    }
    T &operator*() const { return *value_; }
    T *operator->() const { return value_; }

  private:
    T *value_;
};

// Polls `done` until it is true or `limit` passed; returns its last answer.
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::sleep_for(200us);
    }
}

inline std::uint32_t current_tid() {
    return static_cast<std::uint32_t>(::syscall(SYS_gettid));
}

// The scheduler state letter ('R', 'S', 'Z'...) of a thread or process id, or 0.
inline char task_state(std::uint32_t id) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%u/stat", id);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[512];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    const char *paren = std::strrchr(buf, ')');
    if (paren == nullptr || paren[1] != ' ') return 0;
    return paren[2];
}

// Waits (bounded) until thread or process `id` sleeps in the kernel: after it announced
// that it is about to block, this tells that it really blocked (a futex sleep) rather than
// being about to. Returns false if it never did; the caller then proceeds anyway (the
// assertions that follow must hold either way, only less is exercised).
inline bool wait_until_sleeping(std::uint32_t id, std::chrono::milliseconds limit = 3s) {
    return eventually(
        [&] {
            // Seen asleep twice in a row, not just between two time slices.
            if (task_state(id) != 'S') return false;
            std::this_thread::sleep_for(2ms);
            return task_state(id) == 'S';
        },
        limit);
}

// Seconds since `start`.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The Status of the Error that `f` throws, or kOk if it throws nothing; `message` gets
// the error's text.
template <class F>
Status status_of(F &&f, std::string *message = nullptr) {
    try {
        f();
    } catch (const Error &e) {
        if (message != nullptr) *message = e.what();
        return e.status();
    }
    return mproc::core::kOk;
}

// Deadline::after, short.
inline mproc::core::sync::Deadline after(double seconds) {
    return mproc::core::sync::Deadline::after(seconds);
}

// Runs `on_expiry` on a thread of its own if the scope has not ended after `limit`: the
// fallback that unblocks a call that waits forever by design, if the behaviour under test
// (a release, a close) fails to. fired() tells the test it had to.
class Watchdog {
  public:
    template <class F>
    Watchdog(std::chrono::milliseconds limit, F on_expiry)
        : thread_([this, limit, f = std::move(on_expiry)]() mutable {
              const auto deadline = std::chrono::steady_clock::now() + limit;
              while (!done_.load()) {
                  if (std::chrono::steady_clock::now() >= deadline) {
                      fired_.store(true);
                      f();
                      return;
                  }
                  std::this_thread::sleep_for(1ms);
              }
          }) {}
    Watchdog(const Watchdog &) = delete;
    Watchdog &operator=(const Watchdog &) = delete;
    ~Watchdog() {
        done_.store(true);
        thread_.join();
    }
    bool fired() const { return fired_.load(); }

  private:
    std::atomic<bool> done_{false};
    std::atomic<bool> fired_{false};
    std::thread thread_;  // last: it uses the members above
};

// An object's file mapped a second time, read-write: a peer process (a hostile or buggy
// one) writing into the object behind its users' backs.
class PeerMapping {
  public:
    explicit PeerMapping(const std::string &name) {
        const int fd = ::open(shm_file(name).c_str(), O_RDWR | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("open " + shm_file(name));
        struct stat st {};
        ::fstat(fd, &st);
        size_ = static_cast<std::size_t>(st.st_size);
        base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        ::close(fd);
        if (base_ == MAP_FAILED) throw std::runtime_error("mmap " + shm_file(name));
    }
    PeerMapping(const PeerMapping &) = delete;
    PeerMapping &operator=(const PeerMapping &) = delete;
    ~PeerMapping() { ::munmap(base_, size_); }

    template <typename T>
    T &as() const {
        return *static_cast<T *>(base_);
    }
    template <typename T>
    void write(std::size_t offset, T value) const {
        std::memcpy(static_cast<char *>(base_) + offset, &value, sizeof value);
    }

    std::size_t size() const { return size_; }

  private:
    void *base_;
    std::size_t size_;
};

}  // namespace mproc_core_test
