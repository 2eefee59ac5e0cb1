// What the C++ API tests share: unique object names that are unlinked afterwards, forked
// children with a bounded wait for their exit status, memory shared with those children,
// and a watchdog that bounds a call which has no timeout of its own.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "mproc/error.hpp"

namespace mproc_test {

using namespace std::chrono_literals;

// A name no other test run uses: tests run in parallel under ctest, each in its own process.
inline std::string unique_name(std::string_view tag) {
    static std::atomic<unsigned int> counter{0};
    return "cpp." + std::string(tag) + "." + std::to_string(::getpid()) + "." +
           std::to_string(counter.fetch_add(1));
}

// A unique name for an object of kind `Kind` (mproc::Lock...), unlinked when the test ends
// so that a failing test leaves nothing behind in /dev/shm.
template <class Kind>
class scoped_name {
  public:
    explicit scoped_name(std::string_view tag) : name_(unique_name(tag)) {}
    scoped_name(const scoped_name &) = delete;
    scoped_name &operator=(const scoped_name &) = delete;
    ~scoped_name() {
        try {
            Kind::unlink(name_);
        } catch (const mproc::error &) {
            // Already unlinked by the test itself.
        }
    }

    const std::string &str() const { return name_; }
    operator std::string_view() const { return name_; }

  private:
    std::string name_;
};

// The exit status of a child whose body threw.
inline constexpr int kChildThrew = 90;

// Forks a child that runs body() (returning its exit status) and leaves with _exit, so
// that nothing of the parent's test state -- GoogleTest's listeners, destructors of the
// parent's objects, buffered output -- runs twice.
template <class Body>
pid_t fork_child(Body body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
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

// The exit status of `pid`, 128 + the signal if a signal ended it, or -1 if it did not end
// within `limit` (it is then killed, so a hung child fails the test instead of hanging it).
inline int wait_child(pid_t pid, std::chrono::milliseconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (r < 0) return -1;
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(2ms);
    }
}

// A T in memory shared with forked children (MAP_SHARED | MAP_ANONYMOUS).
template <class T>
class shared {
  public:
    shared() {
        void *p =
            ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
        value_ = new (p) T{};
    }
    shared(const shared &) = delete;
    shared &operator=(const shared &) = delete;
    ~shared() {
        value_->~T();
        ::munmap(value_, sizeof(T));
    }

    T &operator*() const { return *value_; }
    T *operator->() const { return value_; }

  private:
    T *value_;
};

// Calls on_expiry() (typically: close the handle a call is blocked on, which wakes it with
// closed_error) if the watchdog is still alive after `limit`. Bounds calls that wait
// forever by design, such as lock() or wait() without a timeout.
class watchdog {
  public:
    template <class F>
    watchdog(std::chrono::milliseconds limit, F on_expiry)
        : thread_([this, limit, f = std::move(on_expiry)]() mutable {
              std::unique_lock<std::mutex> hold(mutex_);
              if (!cv_.wait_for(hold, limit, [this] { return done_; })) {
                  fired_ = true;
                  f();
              }
          }) {}
    watchdog(const watchdog &) = delete;
    watchdog &operator=(const watchdog &) = delete;
    ~watchdog() {
        {
            std::lock_guard<std::mutex> hold(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

    bool fired() const { return fired_; }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;  // last: it uses the members above
};

// Seconds since `start`, for timing assertions.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace mproc_test
