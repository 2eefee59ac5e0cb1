// Thread: a thread of this process that runs a task, like threading.Thread, for callers
// (C, FFI) without threads of their own. It keeps the task's Result, or the Error that
// stopped the task from being loaded or called.
//
// A Thread may be used from many threads at once. start() returns once the new thread has
// published its kernel id (ident). join() waits for the end of the task, then joins the
// system thread; joining from the thread itself is kInvalid, as Python's RuntimeError.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "error.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::process {

class Thread {
  public:
    // How the task ended: its result, or the error that kept it from being called.
    struct Outcome {
        Status status = kOk;  // kOk: result holds the result; else message says why
        task::Result result;
        std::string message;
    };

    // Not started yet. name nullopt: "Thread-N", N counting the unnamed Threads of this
    // process from 1. Throws Error(kInvalid) for an incomplete task or a name over
    // kNameMax bytes.
    Thread(task::Task target, std::optional<std::string> name);

    Thread(Thread &&) noexcept;
    Thread &operator=(Thread &&) = delete;
    Thread(const Thread &) = delete;
    Thread &operator=(const Thread &) = delete;
    // Joins a thread whose task has finished. One still running is detached: it finishes
    // on its own (its state is shared with it), nobody waits for it.
    ~Thread();

    const std::string &name() const noexcept;

    // Starts it and waits for it to publish its ident. Throws Error(kInvalid) if started
    // already, Error(kSystem) if the thread cannot be created.
    void start();

    // Waits up to the deadline for the task to end, then joins the system thread: kOk or
    // kTimedOut. Throws Error(kInvalid) if not started, or if called by this thread.
    Status join(const sync::Deadline &deadline);

    // True between start() and the end of the task.
    bool is_alive() const noexcept;

    // The kernel thread id (gettid) once started, else 0.
    std::uint64_t ident() const noexcept;

    // How the task ended, once it has; nullptr before. Valid as long as this Thread.
    const Outcome *outcome() const noexcept;

    // For capi::Handle: nothing to wake.
    void close() noexcept {}

  private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace mproc::core::process
