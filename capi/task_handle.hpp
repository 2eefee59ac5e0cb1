// The C handle of a task, shared by capi/task.cpp (which creates and runs it) and by the
// kinds that take a task (capi/process.cpp, capi/thread.cpp), which read `h->rep`:
//
//     const mproc_task *h = mproc::capi::live(target);
//     if (h == nullptr) return mproc::capi::bad_handle("mproc_process_create");
//     const mproc::core::task::Task &task = *h->rep;
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "handle.hpp"
#include "task/task.hpp"

struct mproc_task : mproc::capi::Handle<mproc::core::task::Task, 0x5441534bu /* TASK */> {
    using Handle::Handle;

    // mproc_task_call's string / bytes results: mproc_result_t.data points in here until
    // the same thread's next call on this task, or its close. One buffer per calling
    // thread, because a finished task may be run by many threads at once.
    std::mutex results_mutex;
    std::unordered_map<std::thread::id, std::string> results;
};
