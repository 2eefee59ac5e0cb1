// Helpers for the fault tests: forked victims, SIGKILL at random moments, bounded reaping,
// counters in MAP_SHARED memory. Every wait is bounded so a bug fails a test instead of
// hanging CI.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>

namespace mproc_fault {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// TSan does not see across processes (and forking under TSan is unreliable): the fork
// variants skip there, and the thread variants of the same workloads run instead.
#define MPROC_SKIP_FORK_UNDER_TSAN()                                                         \
    do {                                                                                     \
        if (::mproc_fault::kThreadSanitizer) GTEST_SKIP() << "fork variant: not under TSan"; \
    } while (0)

// Rounds per fault test; MPROC_FAULT_ROUNDS overrides the default of 1000.
inline int rounds() {
    const char *text = std::getenv("MPROC_FAULT_ROUNDS");
    int n = text != nullptr ? std::atoi(text) : 0;
    return n > 0 ? n : 1000;
}

inline std::string unique_name(const char *tag) {
    static std::atomic<int> counter{0};
    return "fault-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + tag;
}

// Zeroed memory shared with forked children.
template <typename T>
T *shared_block() {
    void *p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    return new (p) T{};
}

template <typename T>
void free_shared_block(T *block) {
    munmap(block, sizeof(T));
}

// Runs body in a forked child, which exits with body's return value.
inline pid_t spawn(const std::function<int()> &body) {
    pid_t pid = fork();
    if (pid == 0) _exit(body());
    return pid;
}

// The child's exit code, -SIGNAL if it was killed, or -1000 if it did not end within
// timeout_s (it is then killed).
inline int reap(pid_t pid, double timeout_s) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    int status = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (std::chrono::steady_clock::now() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1000;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -999;
}

// Waits until the child has died (kill() returns before it has), leaving it an unreaped
// zombie: the state in which a dead owner is hardest to recognise. False on timeout.
inline bool await_death_keep_zombie(pid_t pid, double timeout_s = 5.0) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        siginfo_t info{};
        if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | WNOHANG) == 0 &&
            info.si_pid == pid) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

// Kills the victim and waits for its death; reaps it too when `reap_now`, else leaves a
// zombie for the caller to reap(). Returns false if it did not die in time.
inline bool kill_victim(pid_t pid, bool reap_now) {
    kill(pid, SIGKILL);
    if (reap_now) return reap(pid, 5.0) == -SIGKILL;
    return await_death_keep_zombie(pid);
}

// Spins (with short sleeps) until flag becomes non-zero; false after timeout_s.
inline bool await_flag(const std::atomic<int> &flag, double timeout_s = 5.0) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (flag.load() == 0) {
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    return true;
}

inline void sleep_us(long us) {
    if (us <= 0) return;
    timespec ts{us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, nullptr);
}

// A seeded generator; the seed is printed so a failing round can be replayed with
// MPROC_FAULT_SEED.
inline std::mt19937 &random_engine() {
    static std::mt19937 engine = [] {
        const char *text = std::getenv("MPROC_FAULT_SEED");
        unsigned seed = text != nullptr ? static_cast<unsigned>(std::strtoul(text, nullptr, 10))
                                        : std::random_device{}();
        std::printf("fault seed: %u (set MPROC_FAULT_SEED to replay)\n", seed);
        return std::mt19937(seed);
    }();
    return engine;
}

inline long random_us(long max_us) {
    return std::uniform_int_distribution<long>(0, max_us)(random_engine());
}

}  // namespace mproc_fault
