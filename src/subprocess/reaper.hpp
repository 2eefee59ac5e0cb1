// The process-wide "reap later" list: children of ours that nobody waits for any more (a
// Popen closed while its child still ran) but that must not stay zombies. mproc installs
// no SIGCHLD handler (it would take the signal away from the program, and from Python);
// the list is swept instead by reap_finished(), which Popen::start calls (as Python's
// subprocess does with its _active list) and which mproc_active_children calls.
//
// A pid on the list has not been reaped, so the kernel cannot give it to another process:
// waitpid on it is safe. That holds only while nobody else reaps it: a program that calls
// waitpid(-1, ...) itself takes these children (and their exit statuses) from us, and
// reap_finished then just drops them (ECHILD).
//
// Fork: a forked child starts with an empty list (the pids are its parent's children).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace mproc::core::subprocess {

// Puts `pid` (a child of this process, not yet reaped) on the list, after a sweep. Never
// fails: in the unlikely case that the list cannot grow (out of memory), the pid is left
// out, to become a zombie when it ends, until the program waits for all its children.
void reap_later(pid_t pid) noexcept;

// waitpid(WNOHANG)s every pid on the list and drops those that ended (or are not our
// children). Never blocks.
void reap_finished() noexcept;

// How many pids are on the list (after the last sweep): for tests and diagnostics.
std::size_t reap_later_count() noexcept;

// Whether `pid` is on the list: for tests.
bool reap_later_pending(pid_t pid) noexcept;

}  // namespace mproc::core::subprocess
