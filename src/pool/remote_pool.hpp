// RemotePool: a process pool whose workers are MPI ranks, on this host or others (see
// "ProcessPool" and "Scaling out" in mproc.h). Same surface and the same outcomes as
// ProcessPool; ProcessPool forwards to it when PoolOptions::backend is kMpi.
//
// Moving parts. libmproc never links MPI: the transport (remote_transport.h) comes from
// the plugin libmproc_mpi.so, loaded on first use (mpi_plugin.hpp). The pool speaks the
// local pool's wire format (pool_wire.hpp) over it: the first message to each worker is
// its WorkerConfig (no queue or status names), then chunks and a final "stop"; workers
// answer with one result per task, kInitFailed, and kBye after "stop". A "comm thread"
// owned by the pool polls the transport, completes futures (outside the pool's lock) and
// hands chunks to workers with room; submitting threads hand chunks out too.
//
// A worker (run_remote_worker, below) runs its tasks in a local ProcessPool of one spawned
// mproc-worker, so a task that crashes or exits costs that task only (kBroken, with the
// rank and host in the message) and the rank lives on; its local worker is replaced.
//
// A lost rank (no heartbeat for heartbeat_timeout: killed, host down, network cut): every
// task it held without a result fails with kBroken ("worker rank 3 on host b (pid 12) was
// lost while holding task 'x': no heartbeat for 10.0 s"), since the pool cannot know which
// it had started; the ones waiting go to the other ranks. Lost ranks are not replaced;
// when every rank is lost the pool is broken. What MPI does to the rest of the job when a
// rank dies is MPI's (Open MPI may abort the job): mproc.h documents it.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "pool/future.hpp"
#include "pool/remote_transport.h"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

inline constexpr double kDefaultHeartbeatTimeout = 10.0;

struct RemoteOptions {
    int processes = 0;     // dynamic start: workers to spawn (0: cpu_count()); static: 0 or
                           // the number of other ranks
    std::string mpi_info;  // "key=value;..." for MPI_Comm_spawn; empty: none
    double heartbeat_timeout = kDefaultHeartbeatTimeout;  // seconds (> 0.5)
    std::optional<task::Task> initializer;                // a task reference
    std::uint64_t max_tasks_per_child = 0;  // each rank's local worker is replaced after this
    std::size_t max_message = 65536;
};

class RemotePool {
  public:
    // Loads the plugin and starts (dynamic) or takes (static) the workers. Throws Error:
    // kInvalid (a bad option, a function-pointer initializer), kNotFound (no plugin: mproc
    // was built without MPI; no mproc-mpi-worker), kSystem (MPI failed: its message).
    //
    // In a worker rank of a static start (rank > 0 under mpiexec) it does not return: the
    // process serves as a worker until the pool stops, then exits (status 0, or 1 when the
    // pool was lost).
    explicit RemotePool(RemoteOptions options);
    // The same over a transport opened already (the seam the tests use with an in-process
    // transport); the pool owns it from the call on, also when this throws. A transport of
    // role MPROC_REMOTE_WORKER makes this process serve as a worker and exit, as above.
    RemotePool(const RemoteOptions &options, mproc_remote_transport_t *transport);
    RemotePool(RemotePool &&) noexcept;
    RemotePool &operator=(RemotePool &&) = delete;
    ~RemotePool();  // close()

    int processes() const noexcept;  // the number of worker ranks

    // As ProcessPool. Function-pointer tasks are kInvalid (they mean nothing on another
    // host).
    FuturePtr submit(const task::Task &task);
    std::vector<FuturePtr> map(const std::vector<const task::Task *> &tasks, std::size_t chunksize);
    void shutdown() noexcept;
    void terminate() noexcept;
    Status join(const sync::Deadline &deadline);
    void close() noexcept;

    // "rank 1 on host a (pid 123)", one line per live worker rank.
    std::vector<std::string> describe_workers() const;

  private:
    struct State;
    std::shared_ptr<State> state_;
};

// The worker's side: serves the pool at the other end of `transport` (role
// MPROC_REMOTE_WORKER) until it says stop or is lost, closes the transport, and returns
// the process's exit code (0 stopped, 1 pool lost or failure). Never throws.
int run_remote_worker(mproc_remote_transport_t *transport) noexcept;

}  // namespace mproc::core::pool
