// The "forkserver" start method (multiprocessing's, adapted). The first such start in a
// process launches a server: mproc-worker --mproc-forkserver, a fresh single-threaded
// program, so that forking it is safe whatever threads the client has. Every child is then
// a fork of that server, which runs the task reference: cheaper than spawn (no exec, no
// dynamic loading of mproc) and as safe from any thread.
//
// Channels. The server's stdin is one end of a SOCK_STREAM socketpair, the control
// channel; the client keeps the other end (close-on-exec, and closed in the client's fork
// children by a pthread_atfork handler, so that it is held by this process only). Per child
// the client makes a SOCK_SEQPACKET socketpair, the status channel, and sends the server
// the child's end with the job (forkserver_protocol.hpp). The child writes its pid (and a
// pidfd of itself) on it before its task runs; the server writes the raw wait status after
// it reaps the child. The client reads the pid in start(), so from then on the channel is
// readable exactly when the child has ended: it is the Process's fd, and waiting is one
// poll on it (see Child).
//
// Why the child writes its own pid, and keeps its end open: if the server dies between
// fork and reply, the pid still arrives (no child left running unknown to the client),
// and a channel that ends without a pid proves that no child exists, so start() may retry
// on a fresh server. If the server dies while children run, a child's channel reaches end
// of file only when the child (and whatever it forked without exec) has closed it too, so
// is_alive stays true while it runs; its exit status is then unknown.
//
// Signals go through the child's pidfd when the kernel has pidfd_open (race-free, like
// the fork method). Without it (Linux < 5.3) they go to the pid while no status has
// arrived: if the server reaped the child just before, and the kernel already reused the
// pid, the signal reaches another process, the race that CPython's forkserver accepts.
//
// What the child inherits: the server's memory, environment and working directory (the
// client's at the moment the server started, as with CPython), and the client's stdout and
// stderr at start() time (sent with the job, so redirections work as with spawn); stdin is
// /dev/null. Its parent_process() is the client, not the server.
//
// Lifetime. The server ends when its control channel does: when the client exits, execs
// or is killed, even by SIGKILL (the kernel closes the socket). It then SIGKILLs its
// daemon children and exits; non-daemon children run on, as with fork. Daemon children
// also get PR_SET_PDEATHSIG(SIGKILL) against the server, so they die if it is killed.
// The server gets no death signal of its own: Linux ties it to the client thread that
// started the server, and the server is shared by every thread. It ignores SIGINT, as
// CPython's does, so that ^C in a terminal reaches the client and the children, and the
// client decides. The server is the client's child: a dead one is reaped by the next start
// (which then starts a new one) or by active_children(); it is never listed as a child.
//
// A fork child of the client that uses the forkserver starts its own server.
#pragma once

#include <sys/types.h>

#include <string>

#include "process/unique_fd.hpp"
#include "task/task.hpp"

namespace mproc::core::process::forkserver {

struct StartedChild {
    pid_t pid = 0;
    UniqueFd pidfd;    // -1 without pidfd_open
    UniqueFd channel;  // the status channel: readable once the child has ended
};

// Has the server (started now if needed) fork a child that runs `task` as `name`.
// Returns once the child exists. Throws Error: kInvalid (a function task), kNotFound (no
// mproc-worker), kTooBig (a job over 1 GiB), kNoMemory / kSystem (the server could not
// fork, or did not answer within a minute: it is then killed, and the next start starts
// a new one). A server found dead is replaced and the request sent again, once.
StartedChild start_child(const task::Task &task, const std::string &name, bool daemon,
                         const std::string &label);

// Reaps the server if it has exited (it is then started again when next needed). Never
// blocks; for active_children().
void reap_server_if_exited() noexcept;

// The server's pid, or 0 if none runs for this process (tests).
pid_t server_pid_for_testing() noexcept;

// mproc-worker --mproc-forkserver: the server's main, with the control channel on stdin.
// Never returns.
[[noreturn]] void run_server() noexcept;

}  // namespace mproc::core::process::forkserver
