// What the local and the remote process pool (ProcessPool, RemotePool) share around their
// own logic: the checks every submitted task goes through, the items of a submission, a
// wait with a Deadline, and ending the pool's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pool/dispatch.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

// How a pool checks what is submitted to it. `label` starts every message ("process
// pool"); a function-pointer task is refused with `function_refusal` unless it is null.
struct SubmitRules {
    const char *label;
    std::size_t max_message;
    const char *function_refusal;
};

// The items of `tasks` (each encoded after the checks), with a new future each, appended
// in order to *futures. Throws Error: kInvalid (a null or incomplete task, a refused
// function pointer: "<label>: <what>: ..."), kTooBig (encoded over max_message).
std::vector<PoolItem> submitted_items(const std::vector<const task::Task *> &tasks,
                                      const SubmitRules &rules, const char *what,
                                      std::vector<FuturePtr> *futures);

// Waits on `changed` (under `lock`) until done() or the deadline: false on timeout.
template <typename Done>
bool wait_until(std::condition_variable &changed, std::unique_lock<std::mutex> &lock,
                const sync::Deadline &deadline, Done done) {
    if (deadline.is_forever()) {
        changed.wait(lock, done);
        return true;
    }
    const auto until =
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline.at_ns()));
    return changed.wait_until(lock, until, done);
}

// Joins the pool's own thread, or detaches it when called from that thread (the pool was
// closed from one of its callbacks: the thread leaves after this round, and its reference
// keeps the pool's state alive until then).
void end_pool_thread(std::thread &thread) noexcept;

}  // namespace mproc::core::pool
