// The plugin's process-wide MPI state. MPI can be initialised once per process and its
// calls are serialised by one mutex (transport.cpp and open.cpp take it), so several
// pools may follow one another, each with its own transport, over one MPI.
//
// Finalising: MPI_Finalize waits for every process this one is still connected to, and
// a connection to a dead process never ends (measured with Open MPI 4.1: a hang). So the
// plugin finalises only MPI it initialised itself, only when no transport is open and
// every one closed gracefully (its communicators disconnected, no peer ever lost);
// otherwise it leaves MPI initialised and the process exits without MPI_Finalize.
#pragma once

#include <sys/types.h>

#include <mpi.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mproc::mpi {

class Runtime {
  public:
    static Runtime &get();

    // Initialises MPI (MPI_THREAD_MULTIPLE asked) unless the program did. Returns false
    // with err set when MPI cannot start or gives less than MPI_THREAD_SERIALIZED.
    bool ensure_init(std::string *err);

    // Held around every MPI call of the plugin.
    std::mutex &mutex() noexcept { return mutex_; }
    // MPI_THREAD_MULTIPLE: a call may run outside mutex() (a disconnect that may hang).
    bool multiple() const noexcept { return provided_ >= MPI_THREAD_MULTIPLE; }

    // A transport opened / closed. `clean`: closed gracefully, nothing left connected.
    void opened() noexcept;
    void closed(bool clean) noexcept;
    // A static start (mpiexec) served its pool: its worker ranks are gone.
    bool static_used() const noexcept { return static_used_; }
    void set_static_used() noexcept { static_used_ = true; }

    // A worker's transport ended in an orderly way (the pool closed or abandoned it, and
    // both sides disconnected): mproc-mpi-worker then exits with status 0, since Open MPI
    // aborts a spawned job when one of its processes exits with another status.
    void set_worker_released() noexcept { worker_released_ = true; }
    bool worker_released() const noexcept { return worker_released_; }

    // Finalises MPI if it is ours and safe (see above). Called by a worker's close and at
    // exit. Idempotent.
    void finalize_if_safe() noexcept;

    // Keeps a buffer MPI may still read or write (a request freed while its peer is lost)
    // until the process exits.
    void abandon(std::vector<char> buffer);

    // The text of an MPI error code.
    static std::string error_text(int code);

    // The pids of a closed pool's spawned workers on this host. Open MPI 4.1 hangs for
    // good in an MPI_Comm_spawn that meets the end of an earlier job of workers, so a
    // spawn first waits (up to `limit` seconds) for them to be reaped by Open MPI.
    void remember_workers(const std::vector<pid_t> &pids);
    void await_workers_gone(double limit);

  private:
    Runtime() = default;

    std::mutex mutex_;        // MPI calls
    std::mutex state_mutex_;  // the bookkeeping below (may be taken inside mutex_)
    bool initialised_by_us_ = false;
    bool finalized_ = false;
    bool unsafe_ = false;  // a transport was abandoned: never finalise
    bool static_used_ = false;
    std::vector<pid_t> ended_workers_;  // under state_mutex_
    bool worker_released_ = false;
    int open_ = 0;
    int provided_ = MPI_THREAD_SINGLE;
    std::vector<std::vector<char>> abandoned_;
};

}  // namespace mproc::mpi
