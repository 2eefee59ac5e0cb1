#include "pool/process_pool.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "array/array.hpp"
#include "pool/dispatch.hpp"
#include "pool/pool_submit.hpp"
#include "pool/pool_wire.hpp"
#include "pool/pool_worker.hpp"
#include "pool/remote_pool.hpp"
#include "process/current_process.hpp"
#include "queue/queue.hpp"

namespace mproc::core::pool {

namespace {

using process::StartMethod;
using sync::Deadline;

// Chunks a worker may hold at once: one running, one waiting, so that it never waits for
// the pool between two chunks, and the rest stays with the pool for whichever worker is
// free first (and can still be cancelled: a chunk handed to a worker is running).
//
// Tasks of a few microseconds (chunksize 1 over trivial functions) are the exception: a
// worker then empties two chunks faster than the result thread, which shares the CPUs with
// it, refills them, and it sleeps on its inbox and is woken for every task -- the sleep and
// the wake-up cost more than the task. So a worker whose recent tasks ran for less than
// kQuickTaskUs each (the worker reports each task's run time) may hold up to
// kItemsInFlight tasks (in at most kMaxChunksInFlight chunks), refilled in batches (see
// dispatch). Slow tasks keep the narrow window, and with it cancellation of what waits.
constexpr std::size_t kChunksInFlight = 2;
constexpr std::size_t kItemsInFlight = 32;
constexpr std::size_t kMaxChunksInFlight = 32;
constexpr unsigned kQuickStreak = 8;
constexpr std::uint32_t kQuickTaskUs = 100;
// A worker's inbox: the chunks in flight, a "stop", one spare.
constexpr std::uint64_t kInboxSlots = kMaxChunksInFlight + 2;
// How long the result thread waits for a result before it looks at the workers anyway,
// and how often it looks while busy; faster while a worker is expected to exit.
constexpr double kTickSeconds = 0.05;
constexpr std::int64_t kCheckPeriodNs = 50 * 1000 * 1000;
constexpr double kFastTickSeconds = 0.002;
// Messages taken from the result queue under one acquisition of the lock.
constexpr int kBatch = 64;
// How long terminate() waits for SIGKILLed workers to be reaped.
constexpr double kReapSeconds = 30;
// Workers in a row that may die before they are ready (see State::early_deaths).
constexpr unsigned kMaxEarlyDeaths = 5;
// The result queue's slots: room for every worker's results, within a memory budget.
constexpr std::uint64_t kResultBudgetBytes = std::uint64_t{1} << 30;

// "killed by signal 9 (SIGKILL)", "exited with status 3".
std::string describe_exit(std::optional<int> code) {
    if (!code) return "ended with an unknown status";
    if (*code >= 0) return "exited with status " + std::to_string(*code);
    const int sig = -*code;
    const char *abbrev = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (abbrev != nullptr ? " (SIG" + std::string(abbrev) + ")" : std::string());
}

const char *worker_prefix(StartMethod method) {
    switch (static_cast<int>(method)) {
        case static_cast<int>(StartMethod::kSpawn):
            return "SpawnPoolWorker-";
        case 3:  // the forkserver start method
            return "ForkServerPoolWorker-";
        default:
            return "ForkPoolWorker-";
    }
}

}  // namespace

struct ProcessPool::State {
    struct Worker {
        std::uint64_t serial = 0;
        std::uint32_t slot = 0;
        std::string name;
        pid_t pid = 0;
        std::optional<queue::Queue> inbox;
        // The encoded configuration; a fork child reads it through a pointer, so it must
        // not move while the worker lives.
        std::unique_ptr<std::string> config;
        std::unique_ptr<process::Process> process;
        WorkerBook book;
        std::size_t in_flight = 0;   // tasks sent and not reported yet
        bool refilling = false;      // being topped up to kItemsInFlight (dispatch)
        unsigned quick_results = 0;  // results in a row less than kQuickResultNs apart
        std::int64_t last_result_ns = 0;
        bool retiring = false;        // will exit by itself (stop sent, or its task quota given)
        bool expecting_exit = false;  // said bye, or was killed by the pool: poll it fast
        bool dead = false;            // reaped; waiting for its fence
        bool fence_sent = false;
        std::string how;  // how it ended, once dead

        std::string who() const {
            return "worker '" + name + "' (pid " + std::to_string(pid) + ")";
        }
    };

    explicit State(PoolOptions o) : options(std::move(o)) {}

    // ---- fixed at creation
    PoolOptions options;
    StartMethod method = StartMethod::kFork;
    int processes = 1;
    std::size_t inbox_message = 0;  // the inbox's max_message: one task plus chunk headers
    std::string initializer;        // encoded, or empty
    std::string initializer_name;
    const std::string label = "process pool";
    std::optional<queue::Queue> results;
    std::optional<array::SharedArray> status;

    // ---- under mutex
    mutable std::mutex mutex;
    std::condition_variable changed;  // workers reaped, start-up done
    Ledger ledger;
    std::map<std::uint64_t, Worker> workers;  // by serial
    std::vector<std::uint32_t> free_slots;
    std::uint64_t next_serial = 1;
    bool closed = false;       // no more submits
    bool terminating = false;  // terminate() was called
    bool exiting = false;      // close(): the result thread leaves
    bool joined = false;
    bool started = false;  // the result thread's first start is over
    // Workers that died before they were ready since a worker last proved ready (sent a
    // result, or died ready). One such death is a worker killed while it started, and
    // its replacement starts; kMaxEarlyDeaths in a row mean no worker can start (a start
    // that always crashes), and the pool is broken rather than restarting them for ever.
    unsigned early_deaths = 0;
    std::exception_ptr start_error;
    std::string broken;               // why the pool is broken; empty while it is not
    std::vector<Settlement> settled;  // to apply once unlocked

    std::thread thread;
    std::thread::id thread_id;
    bool closed_down = false;  // close() ran

    // ---- the result thread
    void run() noexcept;
    void handle(std::string_view message);
    void check_workers();
    void reap(Worker &worker);
    void send_fence(Worker &worker);
    void resolve(std::uint64_t serial);
    void ensure_workers();
    void start_worker();
    void send_stops();
    bool fast_poll() const;

    // ---- any thread, under mutex
    void dispatch();
    void break_pool(const std::string &why);
    void check_accepting(const char *what) const;
    SubmitRules rules() const;
    std::size_t live_workers() const;
    void wake() noexcept;
};

// ---------------------------------------------------------------- creation

namespace {

// An MPI pool's options: the local ones that mean something for worker ranks.
RemoteOptions remote_options(PoolOptions o) {
    if (o.method != StartMethod::kDefault) {
        throw Error(kInvalid,
                    "process pool: the MPI backend takes no start method (its workers are MPI "
                    "ranks): leave it at the default");
    }
    RemoteOptions r;
    r.processes = o.processes;
    r.mpi_info = std::move(o.mpi_info);
    r.heartbeat_timeout = o.mpi_heartbeat_timeout;
    r.initializer = std::move(o.initializer);
    r.max_tasks_per_child = o.max_tasks_per_child;
    r.max_message = o.max_message;
    return r;
}

}  // namespace

ProcessPool::ProcessPool(PoolOptions options) {
    if (options.backend == Backend::kMpi) {
        remote_ = std::make_unique<RemotePool>(remote_options(std::move(options)));
        return;
    }
    if (options.backend != Backend::kLocal) {
        throw Error(kInvalid, "process pool: " + std::to_string(static_cast<int>(options.backend)) +
                                  " is not a backend (local 0, MPI 1)");
    }
    auto s = std::make_shared<State>(std::move(options));
    PoolOptions &o = s->options;
    if (o.processes < 0 || o.processes > kMaxProcesses) {
        throw Error(kInvalid, "process pool: processes must be 0 (cpu count) to " +
                                  std::to_string(kMaxProcesses) + ", not " +
                                  std::to_string(o.processes));
    }
    s->processes = o.processes == 0 ? process::cpu_count() : o.processes;
    s->method = o.method == StartMethod::kDefault ? process::default_start_method() : o.method;
    const int m = static_cast<int>(s->method);
    if (m < static_cast<int>(StartMethod::kFork) || m > 3) {
        throw Error(kInvalid, "process pool: " + std::to_string(m) +
                                  " is not a start method (fork 1, spawn 2, forkserver 3)");
    }
    if (o.max_message < kMinMessage || o.max_message > kMaxMessage) {
        throw Error(kInvalid, "process pool: max_message must be " + std::to_string(kMinMessage) +
                                  " to " + std::to_string(kMaxMessage) + " bytes, not " +
                                  std::to_string(o.max_message));
    }
    if (o.initializer) {
        if (!o.initializer->complete()) {
            throw Error(kInvalid, "process pool: the initializer task '" + o.initializer->name() +
                                      "' is incomplete: its signature has more arguments than "
                                      "were given");
        }
        if (o.initializer->is_function() && s->method != StartMethod::kFork) {
            throw Error(kInvalid,
                        "process pool: a function-pointer initializer needs the fork "
                        "start method (it means nothing in a spawned worker)");
        }
        s->initializer = o.initializer->encode();
        s->initializer_name = o.initializer->name();
    }
    s->inbox_message = o.max_message + wire::kChunkHeader + wire::kChunkItemHeader;
    const std::uint64_t result_message = o.max_message + wire::kResultHeader;
    const std::uint64_t wanted =
        std::max<std::uint64_t>(256, 16 * std::uint64_t(s->processes) + 16);
    const std::uint64_t affordable =
        std::max<std::uint64_t>(8, kResultBudgetBytes / result_message);
    s->results.emplace(queue::Queue::create("", std::min(wanted, affordable), result_message,
                                            queue::QueueFlavor::kQueue, shm::CreateOptions{}));
    // Two slots per worker: a retiring worker and its replacement both have one.
    const std::uint32_t slots = 2 * static_cast<std::uint32_t>(s->processes);
    s->status.emplace(array::SharedArray::create("", shm::Kind::kArray, 'Q', slots, nullptr, false,
                                                 shm::CreateOptions{}));
    for (std::uint32_t k = slots; k > 0; --k)
        s->free_slots.push_back(k - 1);

    State *raw = s.get();
    s->thread = std::thread([s] { s->run(); });
    std::unique_lock<std::mutex> lock(s->mutex);
    s->thread_id = s->thread.get_id();
    s->changed.wait(lock, [raw] { return raw->started; });
    if (s->start_error) {
        std::exception_ptr error = s->start_error;
        s->exiting = true;
        lock.unlock();
        s->thread.join();
        std::rethrow_exception(error);
    }
    lock.unlock();
    state_ = std::move(s);
}

ProcessPool::ProcessPool(ProcessPool &&) noexcept = default;

ProcessPool::~ProcessPool() {
    close();
}

const std::string &ProcessPool::name() const noexcept {
    static const std::string mpi = "process pool (MPI)";
    if (remote_) return mpi;
    return state_->label;
}

int ProcessPool::processes() const noexcept {
    if (remote_) return remote_->processes();
    return state_->processes;
}

// An MPI pool's ranks run their tasks in spawned mproc-workers.
StartMethod ProcessPool::method() const noexcept {
    if (remote_) return StartMethod::kSpawn;
    return state_->method;
}

Backend ProcessPool::backend() const noexcept {
    return remote_ ? Backend::kMpi : Backend::kLocal;
}

// ---------------------------------------------------------------- submitting

void ProcessPool::State::check_accepting(const char *what) const {
    if (!broken.empty()) throw Error(kBroken, broken);
    if (closed) {
        throw Error(kClosed,
                    std::string("process pool: ") + what +
                        (terminating ? ": the pool was terminated" : ": the pool is shut down"));
    }
}

SubmitRules ProcessPool::State::rules() const {
    return SubmitRules{"process pool", options.max_message,
                       method == StartMethod::kFork
                           ? nullptr
                           : "a function-pointer task cannot run in a spawn or forkserver pool "
                             "(it means nothing in another program): use a task reference, or "
                             "the fork start method"};
}

FuturePtr ProcessPool::submit(const task::Task &task) {
    if (remote_) return remote_->submit(task);
    State &s = *state_;
    std::vector<FuturePtr> futures;
    std::vector<PoolItem> items = submitted_items({&task}, s.rules(), "apply_async", &futures);
    std::lock_guard<std::mutex> guard(s.mutex);
    s.check_accepting("apply_async");
    s.ledger.add(std::move(items), 1, s.inbox_message);
    s.dispatch();
    return futures[0];
}

std::vector<FuturePtr> ProcessPool::map(const std::vector<const task::Task *> &tasks,
                                        std::size_t chunksize) {
    if (remote_) return remote_->map(tasks, chunksize);
    State &s = *state_;
    std::vector<FuturePtr> futures;
    std::vector<PoolItem> items = submitted_items(tasks, s.rules(), "map", &futures);
    if (chunksize == 0) chunksize = auto_chunksize(tasks.size(), s.processes);
    std::lock_guard<std::mutex> guard(s.mutex);
    s.check_accepting("map");
    s.ledger.add(std::move(items), chunksize, s.inbox_message);
    s.dispatch();
    return futures;
}

// Hands pending chunks to workers with room: first one chunk to each idle worker, then a
// second to each, so that a small batch spreads over the workers.
void ProcessPool::State::dispatch() {
    if (!ledger.has_pending() || !broken.empty() || terminating) return;
    // Small chunks: a worker is refilled once it is down to half of kItemsInFlight, and
    // then up to all of it, so that one wake-up of a sleeping worker brings it several
    // tasks (and the result thread does not trickle them one by one).
    auto room = [](Worker &w, std::size_t target) {
        const std::size_t chunks = w.book.chunks.size();
        if (chunks < target) return true;
        if (target < kChunksInFlight || w.quick_results < kQuickStreak) return false;
        if (chunks >= kMaxChunksInFlight || w.in_flight >= kItemsInFlight) {
            w.refilling = false;
            return false;
        }
        if (w.in_flight <= kItemsInFlight / 2) w.refilling = true;
        return w.refilling;
    };
    for (std::size_t target = 1; target <= kChunksInFlight; ++target) {
        for (auto &[serial, w] : workers) {
            if (w.retiring || w.dead) continue;
            while (room(w, target)) {
                std::size_t limit = SIZE_MAX;
                if (options.max_tasks_per_child != 0) {
                    limit = static_cast<std::size_t>(options.max_tasks_per_child - w.book.assigned);
                }
                Ledger::Assignment a;
                if (!ledger.take(limit, &a)) return;
                void *slot = nullptr;
                const std::size_t size = wire::chunk_size(a.tasks);
                if (w.inbox->reserve(size, Deadline::after(0), &slot) != kOk) {
                    ledger.unsend(a);
                    break;
                }
                wire::encode_chunk(a.id, a.tasks, slot);
                w.inbox->commit(slot);
                ledger.sent(a, serial, &w.book);
                w.in_flight += a.tasks.size();
                if (options.max_tasks_per_child != 0 &&
                    w.book.assigned >= options.max_tasks_per_child) {
                    // It exits after these: its replacement may start now.
                    w.retiring = true;
                    break;
                }
            }
        }
    }
}

// ---------------------------------------------------------------- the result thread

void ProcessPool::State::run() noexcept {
    std::unique_lock<std::mutex> lock(mutex);
    try {
        ensure_workers();
    } catch (...) {
        start_error = std::current_exception();
        // Those that did start go with the failed pool.
        for (auto &[serial, w] : workers) {
            try {
                w.process->send_signal(SIGKILL);
                w.process->join(Deadline::after(kReapSeconds));
            } catch (...) {
            }
        }
        workers.clear();
    }
    started = true;
    changed.notify_all();
    if (start_error) return;
    lock.unlock();

    std::string buffer(results->max_message(), '\0');
    std::int64_t next_check = Deadline::now_ns() + kCheckPeriodNs;
    for (;;) {
        bool fast = false;
        {
            std::lock_guard<std::mutex> guard(mutex);
            fast = fast_poll();
        }
        std::size_t len = 0;
        Status st = results->get(buffer.data(), buffer.size(), &len,
                                 Deadline::after(fast ? kFastTickSeconds : kTickSeconds));
        const bool idle = st != kOk;
        std::vector<Settlement> to_settle;
        bool leave = false;
        {
            std::lock_guard<std::mutex> guard(mutex);
            for (int n = 1; st == kOk; ++n) {
                handle(std::string_view(buffer.data(), len));
                if (n == kBatch) break;  // let the others have the lock now and then
                st = results->get(buffer.data(), buffer.size(), &len, Deadline::after(0));
            }
            const std::int64_t now = Deadline::now_ns();
            if (idle || now >= next_check || fast) {
                check_workers();
                next_check = now + kCheckPeriodNs;
            }
            ensure_workers();
            dispatch();
            send_stops();
            to_settle.swap(settled);
            if (workers.empty()) changed.notify_all();
            leave = exiting;
        }
        settle(to_settle);  // unlocked: callbacks may call into the pool
        if (leave) return;
    }
}

bool ProcessPool::State::fast_poll() const {
    for (const auto &[serial, w] : workers) {
        if (w.expecting_exit || (w.dead && !w.fence_sent)) return true;
    }
    return false;
}

void ProcessPool::State::handle(std::string_view message) {
    wire::Type type;
    try {
        type = wire::type_of(message);
        if (type == wire::Type::kResult) {
            wire::ResultMessage r = wire::decode_result(message);
            Outcome outcome;
            outcome.status = r.status;
            outcome.message = std::move(r.message);
            outcome.result = std::move(r.result);
            std::uint64_t serial = 0;
            bool chunk_done = false;
            if (!ledger.complete(r.chunk, r.item, std::move(outcome), &settled, &serial,
                                 &chunk_done)) {
                return;  // settled already (terminate, a broken pool)
            }
            auto it = workers.find(serial);
            if (it == workers.end()) return;
            Worker &w = it->second;
            if (w.in_flight > 0) --w.in_flight;
            early_deaths = 0;
            // One slow task halves the streak rather than ending it.
            if (r.run_us < kQuickTaskUs) {
                if (w.quick_results < 2 * kQuickStreak) ++w.quick_results;
            } else {
                w.quick_results /= 2;
            }
            if (chunk_done) {
                auto pos = std::find(w.book.chunks.begin(), w.book.chunks.end(), r.chunk);
                if (pos != w.book.chunks.end()) w.book.chunks.erase(pos);
            }
            return;
        }
        const wire::Notice notice = wire::decode_notice(message);
        if (notice.type == wire::Type::kFence) {
            if (notice.serial != 0) resolve(notice.serial);
        } else if (notice.type == wire::Type::kBye) {
            auto it = workers.find(notice.serial);
            if (it != workers.end()) {
                it->second.retiring = true;
                it->second.expecting_exit = true;
            }
        } else if (notice.type == wire::Type::kInitFailed) {
            if (broken.empty()) break_pool("process pool is broken: " + notice.message);
        }
    } catch (const std::exception &) {
        // Not a message of ours (the queue is ours alone, so this is a bug somewhere):
        // dropping it is all we can do; a task it concerned fails when its worker ends.
    }
}

void ProcessPool::State::check_workers() {
    for (auto &[serial, w] : workers) {
        if (!w.dead) reap(w);
        if (w.dead && !w.fence_sent) send_fence(w);
    }
}

void ProcessPool::State::reap(Worker &w) {
    bool alive = true;
    try {
        alive = w.process->is_alive();
    } catch (const std::exception &) {
        alive = false;  // reaped behind our back: it is gone all the same
    }
    if (alive) return;
    std::optional<int> code;
    try {
        code = w.process->exitcode();
    } catch (const std::exception &) {
    }
    w.dead = true;
    w.how = describe_exit(code);
}

// Puts the fence behind the dead worker's messages; retried at the next check if the
// result queue is full (we are its only reader, so it drains).
void ProcessPool::State::send_fence(Worker &w) {
    wire::Notice fence;
    fence.type = wire::Type::kFence;
    fence.serial = w.serial;
    const std::string message = wire::encode_notice(fence);
    w.fence_sent = results->put(message.data(), message.size(), Deadline::after(0)) == kOk;
}

void ProcessPool::State::wake() noexcept {
    try {
        wire::Notice fence;
        fence.type = wire::Type::kFence;
        const std::string message = wire::encode_notice(fence);
        (void)results->put(message.data(), message.size(), Deadline::after(0));
    } catch (...) {
    }
}

// The dead worker's messages have all been read: settle its tasks and free its place.
void ProcessPool::State::resolve(std::uint64_t serial) {
    auto it = workers.find(serial);
    if (it == workers.end() || !it->second.dead) return;
    Worker &w = it->second;
    std::uint64_t word = 0;
    (void)status->get(w.slot, &word);
    const bool ready = worker_state(word) == kWorkerReady;
    // Not ready: it started no task, and what it was sent goes back to the queue.
    ledger.worker_died(&w.book, ready ? worker_seq(word) : 0, w.who(), w.how, &settled);
    if (!ready) {
        // A failing initializer reports itself (kInitFailed) and breaks the pool there; a
        // death without that report is replaced, up to a limit.
        if (++early_deaths >= kMaxEarlyDeaths && broken.empty() && !terminating) {
            const std::string where = initializer.empty()
                                          ? "before it was ready"
                                          : "in its initializer task '" + initializer_name + "'";
            break_pool("process pool is broken: " + w.who() + " died " + where + ": " + w.how +
                       " (" + std::to_string(early_deaths) +
                       " workers in a row died before they were ready)");
        }
    } else {
        early_deaths = 0;
    }
    free_slots.push_back(w.slot);
    workers.erase(it);
}

std::size_t ProcessPool::State::live_workers() const {
    std::size_t n = 0;
    for (const auto &[serial, w] : workers) {
        if (!w.retiring && !w.dead) ++n;
    }
    return n;
}

void ProcessPool::State::ensure_workers() {
    if (terminating || exiting || !broken.empty()) return;
    // After shutdown, only unfinished work needs workers.
    if (closed && !ledger.has_pending()) return;
    // A dead worker is settled first: if it died in its initializer the pool is broken,
    // and a replacement would only die the same way.
    for (const auto &[serial, w] : workers) {
        if (w.dead) return;
    }
    while (live_workers() < static_cast<std::size_t>(processes) && !free_slots.empty()) {
        if (!started) {
            start_worker();  // the creator hears of a failure
            continue;
        }
        try {
            start_worker();
        } catch (const std::exception &e) {
            // Without a worker nothing would ever run the queued tasks.
            if (live_workers() == 0) {
                break_pool(std::string("process pool is broken: could not start a worker: ") +
                           e.what());
            }
            return;  // try again at the next check
        }
    }
}

void ProcessPool::State::start_worker() {
    Worker w;
    w.serial = next_serial++;
    w.slot = free_slots.back();
    w.name = worker_prefix(method) + std::to_string(w.serial);
    w.inbox.emplace(queue::Queue::create("", kInboxSlots, inbox_message, queue::QueueFlavor::kQueue,
                                         shm::CreateOptions{}));
    const std::uint64_t zero = kWorkerNotRunning;
    status->set(w.slot, &zero);
    wire::WorkerConfig config;
    config.serial = w.serial;
    config.slot = w.slot;
    config.inbox = w.inbox->name();
    config.results = results->name();
    config.status = status->name();
    config.initializer = initializer;
    config.max_tasks = options.max_tasks_per_child;
    config.max_message = options.max_message;
    w.config = std::make_unique<std::string>(wire::encode_config(config));
    std::optional<task::Task> entry;
    if (method == StartMethod::kFork) {
        entry.emplace(task::Task::function(&fork_worker_entry, w.config.get()));
    } else {
        entry.emplace(task::Task::reference("", "mproc_pool_worker_main", "i(y)"));
        entry->add_bytes(w.config->data(), w.config->size());
    }
    w.process = std::make_unique<process::Process>(std::move(*entry), w.name, true, method);
    w.process->start();
    w.pid = w.process->pid();
    free_slots.pop_back();
    workers.emplace(w.serial, std::move(w));
}

// After shutdown, once no work is left: each worker gets "stop".
void ProcessPool::State::send_stops() {
    if (!closed || terminating || ledger.has_pending() || ledger.has_in_flight()) return;
    static const std::string stop = wire::encode_stop();
    for (auto &[serial, w] : workers) {
        if (w.retiring || w.dead) continue;
        if (w.inbox->put(stop.data(), stop.size(), Deadline::after(0)) == kOk) w.retiring = true;
    }
}

void ProcessPool::State::break_pool(const std::string &why) {
    broken = why;
    ledger.fail_all(kBroken, why, &settled);
    for (auto &[serial, w] : workers) {
        w.book.chunks.clear();
        if (w.dead) continue;
        try {
            w.process->send_signal(SIGKILL);
        } catch (const std::exception &) {
        }
        w.expecting_exit = true;
        w.retiring = true;
    }
}

// ---------------------------------------------------------------- ending

void ProcessPool::shutdown() noexcept {
    if (remote_) return remote_->shutdown();
    State &s = *state_;
    std::lock_guard<std::mutex> guard(s.mutex);
    s.closed = true;
    s.wake();
}

void ProcessPool::terminate() noexcept {
    if (remote_) return remote_->terminate();
    State &s = *state_;
    std::vector<Settlement> to_settle;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        s.closed = true;
        s.terminating = true;
        s.ledger.cancel_all("process pool: terminated", &s.settled);
        for (auto &[serial, w] : s.workers) {
            w.book.chunks.clear();
            if (w.dead) continue;
            try {
                w.process->send_signal(SIGKILL);
            } catch (const std::exception &) {
            }
            w.retiring = true;
            w.expecting_exit = true;
        }
        to_settle.swap(s.settled);
        s.wake();
    }
    settle(to_settle);
    // The result thread reaps them; it cannot wait for itself (terminate from a callback).
    if (std::this_thread::get_id() == s.thread_id) return;
    std::unique_lock<std::mutex> lock(s.mutex);
    s.changed.wait_for(lock, std::chrono::duration<double>(kReapSeconds),
                       [&s] { return s.workers.empty() || s.exiting; });
}

Status ProcessPool::join(const Deadline &deadline) {
    if (remote_) return remote_->join(deadline);
    State &s = *state_;
    std::unique_lock<std::mutex> lock(s.mutex);
    if (!s.closed) {
        throw Error(kInvalid,
                    "process pool: join: the pool still accepts tasks: call shutdown "
                    "or terminate first");
    }
    auto done = [&s] {
        return s.workers.empty() && !s.ledger.has_pending() && !s.ledger.has_in_flight();
    };
    if (!wait_until(s.changed, lock, deadline, done)) return kTimedOut;
    s.joined = true;
    return kOk;
}

std::vector<pid_t> ProcessPool::worker_pids() const {
    if (remote_) return {};  // other hosts' pids mean nothing here
    const State &s = *state_;
    std::lock_guard<std::mutex> guard(s.mutex);
    std::vector<pid_t> pids;
    for (const auto &[serial, w] : s.workers) {
        if (!w.dead) pids.push_back(w.pid);
    }
    return pids;
}

void ProcessPool::close() noexcept {
    if (remote_) return remote_->close();
    if (state_ == nullptr) return;
    State &s = *state_;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        if (s.closed_down) return;
        s.closed_down = true;
    }
    bool joined = false;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        joined = s.joined;
    }
    if (!joined) terminate();
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        s.exiting = true;
        s.wake();
    }
    end_pool_thread(s.thread);
}

}  // namespace mproc::core::pool
