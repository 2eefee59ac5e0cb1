// The process pool's book-keeping, apart from processes and queues: the chunks waiting for
// a worker, the chunks each worker holds (in the order it received them), and what happens
// to them when a result comes back or a worker dies. ProcessPool calls it under its mutex;
// it never blocks and never completes a future itself -- it hands back Settlements that the
// pool applies after unlocking, since a future's done-callbacks may call into the pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pool/future.hpp"

namespace mproc::core::pool {

// One task of the pool.
struct PoolItem {
    FuturePtr future;
    std::string task;      // Task::encode()
    bool running = false;  // Future::set_running() was called (it went to a worker once)
};

// A future's fate, applied outside the pool's lock: an outcome, or cancellation (which
// becomes kBroken with `outcome.message` if the future is running already).
struct Settlement {
    FuturePtr future;
    Outcome outcome;
    bool cancel = false;
};
void settle(std::vector<Settlement> &settlements) noexcept;

// Chunksize 0 -> Python's: n / (4 * processes), rounded up, at least 1.
std::size_t auto_chunksize(std::size_t n, int processes) noexcept;

// What one worker holds.
struct WorkerBook {
    std::deque<std::uint64_t> chunks;  // chunk ids, in the order sent
    std::uint64_t next_seq = 1;        // the sequence number its next task will get
    std::uint64_t assigned = 0;        // tasks sent to it in all
};

class Ledger {
  public:
    // Queues items in chunks of at most `chunksize` items and `max_chunk_bytes` bytes of
    // chunk message (each item alone fits: the pool checked).
    void add(std::vector<PoolItem> items, std::size_t chunksize, std::size_t max_chunk_bytes);
    bool has_pending() const noexcept { return !pending_.empty(); }
    bool has_in_flight() const noexcept { return !flights_.empty(); }

    // The next chunk for a worker, with at most `limit` items (limit > 0): items whose
    // future was cancelled are dropped on the way. False if nothing is pending.
    struct Assignment {
        std::uint64_t id = 0;
        std::vector<std::string_view> tasks;  // valid until the chunk is settled
    };
    bool take(std::size_t limit, Assignment *out);
    // The chunk `take` gave went to worker `worker` (bookkeeping in `book`)...
    void sent(const Assignment &assignment, std::uint64_t worker, WorkerBook *book);
    // ... or could not be sent: it goes back to the front of the queue.
    void unsend(const Assignment &assignment);

    // A result for item `item` of chunk `chunk`: false if unknown (a stale or duplicate
    // message). Else *worker = the worker that held it and *chunk_done = whether that was
    // the chunk's last result (the pool then drops the chunk from the worker's book).
    bool complete(std::uint64_t chunk, std::uint32_t item, Outcome outcome,
                  std::vector<Settlement> *out, std::uint64_t *worker, bool *chunk_done);

    // The worker died; its status word said it had started task `started` (0: none). Its
    // tasks with results are done already; the started one (and any before it that has no
    // result) fails with kBroken: "<who> died while running task '<name>': <how>"; the
    // others go back to the front of the queue.
    void worker_died(WorkerBook *book, std::uint64_t started, const std::string &who,
                     const std::string &how, std::vector<Settlement> *out);
    // A remote worker was lost (RemotePool): it may have started any task it had received,
    // the ones up to `received` (its sequence numbers), so those without a result fail with
    // kBroken: "<label>: <who> was lost while holding task '<name>': <how>"; the rest go back
    // to the front of the queue.
    void worker_lost(WorkerBook *book, std::uint64_t received, const std::string &label,
                     const std::string &who, const std::string &how, std::vector<Settlement> *out);

    // Every pending and in-flight task fails with `status` and `message` (a broken pool).
    void fail_all(Status status, const std::string &message, std::vector<Settlement> *out);
    // Pending tasks are cancelled, in-flight ones fail with kBroken and `message`.
    void cancel_all(const std::string &message, std::vector<Settlement> *out);

  private:
    struct Chunk {
        std::vector<PoolItem> items;  // its id is given when it is taken
    };
    struct Flight {
        std::vector<PoolItem> items;
        std::vector<bool> reported;
        std::size_t left = 0;
        std::uint64_t worker = 0;
        std::uint64_t first_seq = 0;
    };

    // What worker_died and worker_lost share: the worker's tasks up to `last` without a
    // result fail with the message `fate` gives (seq, item); the later ones go back.
    void release(WorkerBook *book, std::uint64_t last,
                 const std::function<std::string(std::uint64_t, const PoolItem &)> &fate,
                 std::vector<Settlement> *out);

    std::deque<Chunk> pending_;
    Chunk taken_;  // between take() and sent() / unsend()
    std::unordered_map<std::uint64_t, Flight> flights_;
    std::uint64_t next_id_ = 1;
};

}  // namespace mproc::core::pool
