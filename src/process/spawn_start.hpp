// The "spawn" start method: the child is a fresh program, mproc-worker, which receives the
// task reference (and the Process's name, daemon flag and parent pid) on its stdin, runs it
// and exits, as Python's spawn runs a fresh interpreter that unpickles the target. Nothing
// of the parent's memory, threads or locks is inherited, so it is safe from any thread;
// the price is an exec, and the task must be a reference (a function pointer means nothing
// in a fresh program).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "task/task.hpp"

namespace mproc::core::process {

// Where mproc-worker is: $MPROC_WORKER if set; else next to the module that holds this
// code (libmproc.so, or a program linked with libmproc.a), or where `cmake --install` puts
// it relative to the library (<libdir>/<MPROC_WORKER_INSTALL_DIR>: ../libexec/mproc for
// <prefix>/lib, ../../libexec/mproc for <prefix>/lib/x86_64-linux-gnu), or in
// ../libexec/mproc/ from there; else where this build put it. Throws Error(kNotFound)
// naming the places looked at.
std::string worker_path();

// Starts mproc-worker for `task` (a reference: kInvalid for a function task) and hands it
// its job. Returns the worker's pid. Throws Error: kInvalid, kNotFound (no worker), and as
// subprocess::spawn; if the worker dies before reading its job, it is still returned (its
// exit status tells).
pid_t spawn_worker(const task::Task &task, const std::string &name, bool daemon,
                   const std::string &label);

// mproc-worker's main: reads the job from stdin (then points stdin at /dev/null), runs it
// as a Process's child would and exits with its exit code; 1 with the reason on stderr if
// the job is malformed or the task fails. Never returns.
[[noreturn]] void run_spawned_worker() noexcept;

// The job as it travels (exposed for tests): decode throws Error(kInvalid) on anything
// malformed.
struct WorkerJob {
    std::string name;
    bool daemon = false;
    pid_t parent = 0;
    std::string task;  // Task::encode()
};
std::string encode_job(const WorkerJob &job);
WorkerJob decode_job(std::string_view bytes);

}  // namespace mproc::core::process
