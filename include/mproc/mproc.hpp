// mproc/mproc.hpp -- the whole C++ API of mproc: header-only RAII classes over the C ABI of
// mproc.h (the shared library exports only the C symbols), in namespace mproc.
//
//   mproc::Lock, RLock          locks; Lockable and TimedLockable (std::lock_guard...)
//   mproc::Semaphore,
//   mproc::BoundedSemaphore     counting semaphores
//   mproc::Event                a flag to wait for
//   mproc::Condition            a condition variable over a Lock or RLock
//   mproc::Barrier              a barrier for N parties, with an optional action
//   mproc::Queue, SimpleQueue,
//   mproc::JoinableQueue        bounded queues of byte messages
//   mproc::Connection, pipe()   message connections (Python's wire format)
//   mproc::Value<T>, Array<T>   typed shared memory with an optional lock
//   mproc::Dict, List           the Manager's dict and list, in shared memory, by name
//   mproc::Task, task_result    what a process or thread runs: a function pointer, or a
//                               library/symbol/signature reference with arguments
//   mproc::Process              a child process running a task (multiprocessing.Process);
//                               start methods, active_children, cpu_count, current_process
//   mproc::Thread               a thread running a task and keeping its result
//   mproc::Popen, run()         running programs (subprocess.Popen, subprocess.run)
//   mproc::error and subclasses what every failing call throws (error.hpp)
//   mproc::timeout, forever     time limits as std::chrono durations (timeout.hpp)
//   mproc::permissions          mode bits of a new named object (named_object.hpp)
//
// Every object lives in POSIX shared memory and is made by static factories:
// create(name), create() (anonymous), open(name), create_or_open(name); unlink(name) removes
// a name. Connections are file descriptors instead, made by mproc::pipe(). Tasks are made by
// Task::reference, call_of and from_function; processes, threads and programs (Popen) by
// their constructors.
#pragma once

#include "mproc/mproc.h"

#include "mproc/barrier.hpp"
#include "mproc/condition.hpp"
#include "mproc/connection.hpp"
#include "mproc/dict.hpp"
#include "mproc/error.hpp"
#include "mproc/event.hpp"
#include "mproc/future.hpp"
#include "mproc/list.hpp"
#include "mproc/lock.hpp"
#include "mproc/named_object.hpp"
#include "mproc/objects.hpp"
#include "mproc/pool.hpp"
#include "mproc/process.hpp"
#include "mproc/queue.hpp"
#include "mproc/rlock.hpp"
#include "mproc/semaphore.hpp"
#include "mproc/shared_value.hpp"
#include "mproc/subprocess.hpp"
#include "mproc/task.hpp"
#include "mproc/thread.hpp"
#include "mproc/thread_pool.hpp"
#include "mproc/timeout.hpp"

namespace mproc {

// The version of the library loaded at run time, "MAJOR.MINOR.PATCH"; compare with
// MPROC_VERSION_STRING, the version of these headers.
inline const char *version() noexcept {
    return mproc_version();
}

}  // namespace mproc
