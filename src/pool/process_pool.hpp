// ProcessPool: worker processes that run tasks, like multiprocessing.Pool (see "ProcessPool"
// in mproc.h for the contract).
//
// Moving parts. Each worker has its own inbox queue, so the pool always knows what a worker
// holds; all workers share one result queue. A "result thread" owned by the pool starts the
// workers (their PR_SET_PDEATHSIG is tied to the starting thread, which must live as long
// as the pool), takes results and completes futures, hands chunks to workers with room (at
// most kChunksInFlight each), and watches for dead workers. Submitting threads hand chunks
// out too, so a task reaches an idle worker without waking the result thread.
//
// A dead worker. Once its death is seen (waitpid), the pool puts a fence message behind
// whatever the worker had queued and settles its tasks only when the fence comes back: every
// result it managed to send has been read by then (the queue skips a half-written one). Its
// status word (pool_worker.hpp) then tells which task it had started: that one fails with
// kBroken, the ones it never started go to other workers, and a replacement starts. A
// worker that dies before it is ready (in its initializer), or whose initializer fails,
// breaks the pool: everything fails with kBroken and nothing restarts.
//
// Threads: every public call may be made from any thread. Futures are completed (and their
// callbacks run) outside the pool's lock, so a callback may call into the pool.
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
#include "process/process.hpp"
#include "sync/deadline.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

inline constexpr int kMaxProcesses = 1024;
inline constexpr std::size_t kMinMessage = 64;
inline constexpr std::size_t kMaxMessage = std::size_t{64} << 20;
inline constexpr std::size_t kDefaultMessage = 65536;

enum class Backend { kLocal = 0, kMpi = 1 };  // MPROC_BACKEND_*

struct PoolOptions {
    int processes = 0;  // 0: cpu_count()
    process::StartMethod method = process::StartMethod::kDefault;
    std::optional<task::Task> initializer;
    std::uint64_t max_tasks_per_child = 0;  // 0: no limit
    std::size_t max_message = kDefaultMessage;
    // kMpi: the workers are MPI ranks (RemotePool); `method` must be kDefault.
    Backend backend = Backend::kLocal;
    std::string mpi_info;              // kMpi: MPI_Info for MPI_Comm_spawn, "key=value;..."
    double mpi_heartbeat_timeout = 0;  // kMpi: seconds; 0: the default (10)
};

class ProcessPool {
  public:
    // Starts the workers. Throws Error: kInvalid (a bad option: see mproc_pool_create),
    // kNotFound (spawn: no mproc-worker), kSystem, kNoMemory.
    explicit ProcessPool(PoolOptions options);
    ProcessPool(ProcessPool &&) noexcept;
    ProcessPool &operator=(ProcessPool &&) = delete;
    // close().
    ~ProcessPool();

    const std::string &name() const noexcept;
    int processes() const noexcept;
    process::StartMethod method() const noexcept;

    // Queues a copy of the task (apply_async). Throws Error: kInvalid (incomplete, or a
    // function task in a spawn / forkserver pool), kTooBig (encoded over max_message),
    // kClosed (after shutdown or terminate), kBroken.
    FuturePtr submit(const task::Task &task);
    // Queues the tasks in chunks (0: automatic), all or none; throws as submit.
    std::vector<FuturePtr> map(const std::vector<const task::Task *> &tasks, std::size_t chunksize);

    // No more tasks; the queued ones still run, then the workers exit. Never blocks.
    void shutdown() noexcept;
    // Kills the workers now, cancels what has not started, fails what runs (kBroken), and
    // waits (bounded) for the workers to be reaped.
    void terminate() noexcept;
    // Waits for the workers to exit after shutdown / terminate: kOk or kTimedOut. Throws
    // Error(kInvalid) while the pool still accepts tasks.
    Status join(const sync::Deadline &deadline);

    // The worker processes alive now.
    std::vector<pid_t> worker_pids() const;

    // Terminates unless joined, stops the result thread, removes the queues' names. Once
    // closed, the pool must only be destroyed. Idempotent.
    void close() noexcept;

    // The backend: with kMpi every call above is forwarded to the RemotePool.
    Backend backend() const noexcept;

  private:
    struct State;
    std::unique_ptr<class RemotePool> remote_;  // set for Backend::kMpi; state_ is then null
    // Shared with the result thread, which may outlive close() when close() is called from
    // one of its own callbacks.
    std::shared_ptr<State> state_;
};

}  // namespace mproc::core::pool
