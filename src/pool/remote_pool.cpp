#include "pool/remote_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "pool/dispatch.hpp"
#include "pool/mpi_plugin.hpp"
#include "pool/pool_submit.hpp"
#include "pool/pool_wire.hpp"
#include "pool/process_pool.hpp"
#include "process/current_process.hpp"

namespace mproc::core::pool {

namespace {

using sync::Deadline;

const char *const kLabel = "process pool (MPI)";

// How long the comm thread waits in poll(): short enough for heartbeats (the transport
// sends them from poll) and for noticing shutdown; results wake it anyway.
constexpr double kTickSeconds = 0.02;
// What a worker rank may hold: an MPI round trip costs ~50 us, so chunks wait in its queue
// while it runs one: always two, and more small ones up to kItemsPerWorker tasks (else
// chunksize 1 would pay a round trip per task). Beyond that the rest stays with the pool,
// for whichever rank is free first (and can still be cancelled).
constexpr std::size_t kMinChunksPerWorker = 2;
constexpr std::size_t kMaxChunksPerWorker = 64;
constexpr std::size_t kItemsPerWorker = 64;
// Events taken from the transport per acquisition of the pool's lock.
constexpr int kBatch = 64;
// terminate(): how long the ranks have to say bye before the transport is abandoned, and
// how long terminate() waits for the comm thread to close it (the plugin bounds close()).
constexpr double kByeSeconds = 2.0;
constexpr double kCloseSeconds = 30.0;

// Under mpiexec with more than one rank, this is a static start: the launcher's world size
// (Open MPI, then MPICH / PMI); 0 when not launched so. libmproc never links MPI, so it
// reads what the launcher put in the environment.
int launched_ranks() {
    for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
        const char *value = std::getenv(name);
        if (value == nullptr || *value == '\0') continue;
        char *end = nullptr;
        const long n = std::strtol(value, &end, 10);
        if (*end == '\0' && n > 0 && n <= 1 << 20) return static_cast<int>(n);
    }
    return 0;
}

double heartbeat_timeout_of(const RemoteOptions &o) {
    return o.heartbeat_timeout == 0 ? kDefaultHeartbeatTimeout : o.heartbeat_timeout;
}

// "key=value;key=value": every non-empty part has a key and an '='.
bool valid_info(const std::string &info) {
    std::size_t start = 0;
    while (start <= info.size()) {
        std::size_t end = info.find(';', start);
        if (end == std::string::npos) end = info.size();
        const std::string part = info.substr(start, end - start);
        if (!part.empty()) {
            const std::size_t eq = part.find('=');
            if (eq == std::string::npos || eq == 0) return false;
        }
        start = end + 1;
    }
    return true;
}

void validate(const RemoteOptions &o) {
    const std::string label = kLabel;
    if (o.processes < 0 || o.processes > kMaxProcesses) {
        throw Error(kInvalid, label + ": processes must be 0 (cpu count) to " +
                                  std::to_string(kMaxProcesses) + ", not " +
                                  std::to_string(o.processes));
    }
    if (std::isnan(o.heartbeat_timeout) || o.heartbeat_timeout < 0 ||
        std::isinf(o.heartbeat_timeout)) {
        throw Error(kInvalid, label +
                                  ": the heartbeat timeout must be 0 (default: 10 s) or a "
                                  "positive number of seconds");
    }
    if (o.max_message < kMinMessage || o.max_message > kMaxMessage) {
        throw Error(kInvalid, label + ": max_message must be " + std::to_string(kMinMessage) +
                                  " to " + std::to_string(kMaxMessage) + " bytes, not " +
                                  std::to_string(o.max_message));
    }
    if (!valid_info(o.mpi_info)) {
        throw Error(kInvalid, label + ": mpi_info '" + o.mpi_info +
                                  "' is not of the form \"key=value;key=value\"");
    }
    if (o.initializer) {
        if (!o.initializer->complete()) {
            throw Error(kInvalid, label + ": the initializer task '" + o.initializer->name() +
                                      "' is incomplete: its signature has more arguments than "
                                      "were given");
        }
        if (o.initializer->is_function()) {
            throw Error(kInvalid, label +
                                      ": a function-pointer initializer cannot run on a worker "
                                      "rank (it means nothing in another program): use a task "
                                      "reference");
        }
    }
}

// Loads the plugin and opens the transport in this process's role.
mproc_remote_transport_t *open_transport(const RemoteOptions &o) {
    validate(o);
    const mproc_remote_open_fn open = mpi_plugin_open();
    const double timeout = heartbeat_timeout_of(o);
    mproc_remote_options_t ro{};
    ro.abi = MPROC_REMOTE_ABI;
    ro.info = o.mpi_info.c_str();
    ro.heartbeat_timeout = timeout;
    ro.heartbeat_interval = std::min(1.0, timeout / 4);
    std::string program;
    const int ranks = launched_ranks();
    if (ranks > 1) {
        // Static: the other ranks are the workers (the plugin checks the count as well).
        if (o.processes != 0 && o.processes != ranks - 1) {
            throw Error(kInvalid, std::string(kLabel) + ": under mpiexec with " +
                                      std::to_string(ranks) + " ranks, processes must be 0 or " +
                                      std::to_string(ranks - 1) + ", not " +
                                      std::to_string(o.processes));
        }
        ro.workers = o.processes;
    } else {
        ro.workers = o.processes == 0 ? process::cpu_count() : o.processes;
        program = mpi_worker_path();
        ro.worker_program = program.c_str();
    }
    char err[1024] = {0};
    mproc_remote_transport_t *t = nullptr;
    if (open(&ro, &t, err, sizeof err) != 0 || t == nullptr) {
        err[sizeof err - 1] = '\0';
        throw Error(kSystem, std::string(kLabel) + ": " + (err[0] != '\0' ? err : "MPI failed"));
    }
    return t;
}

}  // namespace

// ---------------------------------------------------------------- state

struct RemotePool::State {
    struct Worker {
        WorkerBook book;
        std::size_t in_flight = 0;  // tasks sent and not reported yet
        bool live = true;           // neither lost nor said bye
        bool lost = false;
        bool unreachable = false;           // a send failed: its LOST event is on the way
        std::uint64_t unsent_from_seq = 0;  // the first task of the failed send (0: none)
        bool stop_sent = false;
        std::string who;  // "worker rank 3 on host b (pid 12)"
    };

    State(RemoteOptions o, mproc_remote_transport_t *transport)
        : options(std::move(o)), t(transport) {}

    // ---- fixed at creation
    RemoteOptions options;
    mproc_remote_transport_t *t;
    std::size_t chunk_bytes = 0;  // a chunk message's bytes, at most
    std::string initializer;      // encoded, or empty

    // ---- under mutex
    mutable std::mutex mutex;
    std::condition_variable changed;  // the transport closed
    Ledger ledger;
    std::vector<Worker> workers;  // by peer index
    bool closed = false;          // no more submits
    bool terminating = false;
    bool exiting = false;  // close(): the comm thread leaves
    bool joined = false;
    bool any_lost = false;
    std::int64_t bye_deadline_ns = 0;  // terminating: when to stop waiting for byes
    // The comm thread is closing the transport: from then on no other thread touches it.
    bool closing = false;
    bool transport_closed = false;
    std::string broken;  // why the pool is broken; empty while it is not
    std::vector<Settlement> settled;

    std::thread thread;
    std::thread::id thread_id;
    bool closed_down = false;

    // ---- the comm thread
    void run() noexcept;
    void handle_message(int peer, std::string_view message);
    void lose(int peer, const std::string &why);
    bool finished(bool *graceful) const;

    // ---- any thread, under mutex
    void dispatch();
    void send_stops();
    void send_stop(Worker &w, int peer);
    void break_pool(const std::string &why);
    void check_accepting(const char *what) const;
    std::size_t live_workers() const;
    void wake() noexcept;
    SubmitRules rules() const;
};

// ---------------------------------------------------------------- creation

RemotePool::RemotePool(RemoteOptions options) : RemotePool(options, open_transport(options)) {}

RemotePool::RemotePool(const RemoteOptions &options, mproc_remote_transport_t *transport) {
    if (transport == nullptr) throw Error(kInvalid, std::string(kLabel) + ": no transport");
    // From here the transport is ours: closed on every way out but the normal one.
    struct Closer {
        mproc_remote_transport_t *t;
        ~Closer() {
            if (t != nullptr) t->close(t, 0);
        }
    } closer{transport};
    if (transport->abi != MPROC_REMOTE_ABI) {
        throw Error(kVersion, std::string(kLabel) + ": the MPI plugin speaks transport ABI " +
                                  std::to_string(transport->abi) + ", this libmproc " +
                                  std::to_string(MPROC_REMOTE_ABI));
    }
    if (transport->role == MPROC_REMOTE_WORKER) {
        // A rank > 0 of a static start: this process is a worker, not the pool. Returning
        // would let the caller go on as if it had a pool, running the rank-0 program in
        // every rank; so the rank serves tasks and ends here, as mproc.h documents.
        closer.t = nullptr;
        std::exit(run_remote_worker(transport));
    }
    validate(options);
    if (transport->peers <= 0) {
        throw Error(kSystem, std::string(kLabel) + ": the transport has no worker ranks");
    }
    auto s = std::make_shared<State>(options, transport);
    s->chunk_bytes = options.max_message + wire::kChunkHeader + wire::kChunkItemHeader;
    if (options.initializer) s->initializer = options.initializer->encode();
    s->workers.resize(static_cast<std::size_t>(transport->peers));
    for (int p = 0; p < transport->peers; ++p) {
        State::Worker &w = s->workers[static_cast<std::size_t>(p)];
        const char *where = transport->describe(transport, p);
        w.who = std::string("worker ") + (where != nullptr ? where : "rank ?");
        wire::WorkerConfig config;
        config.serial = static_cast<std::uint64_t>(p) + 1;
        config.slot = static_cast<std::uint32_t>(p);
        // A rank has no queues or status array of ours, but decode_config insists on
        // names: these say where the messages go instead.
        config.inbox = config.results = config.status = "mpi";
        config.initializer = s->initializer;
        config.max_tasks = options.max_tasks_per_child;
        config.max_message = options.max_message;
        const std::string bytes = wire::encode_config(config);
        // A failed send means the rank is lost: its LOST event settles it.
        if (transport->send(transport, p, bytes.data(), bytes.size()) != 0) w.unreachable = true;
    }
    s->thread = std::thread([s] { s->run(); });
    closer.t = nullptr;  // the comm thread closes it from now on
    {
        std::lock_guard<std::mutex> guard(s->mutex);
        s->thread_id = s->thread.get_id();
    }
    state_ = std::move(s);
}

RemotePool::RemotePool(RemotePool &&) noexcept = default;

RemotePool::~RemotePool() {
    close();
}

int RemotePool::processes() const noexcept {
    return static_cast<int>(state_->workers.size());
}

std::vector<std::string> RemotePool::describe_workers() const {
    const State &s = *state_;
    std::lock_guard<std::mutex> guard(s.mutex);
    std::vector<std::string> out;
    for (const State::Worker &w : s.workers) {
        if (w.live) out.push_back(w.who.substr(std::string("worker ").size()));
    }
    return out;
}

// ---------------------------------------------------------------- submitting

void RemotePool::State::check_accepting(const char *what) const {
    if (!broken.empty()) throw Error(kBroken, broken);
    if (closed) {
        throw Error(kClosed,
                    std::string(kLabel) + ": " + what +
                        (terminating ? ": the pool was terminated" : ": the pool is shut down"));
    }
}

SubmitRules RemotePool::State::rules() const {
    return SubmitRules{kLabel, options.max_message,
                       "a function-pointer task cannot run on a worker rank (it means nothing "
                       "in another program): use a task reference"};
}

FuturePtr RemotePool::submit(const task::Task &task) {
    State &s = *state_;
    std::vector<FuturePtr> futures;
    std::vector<PoolItem> items = submitted_items({&task}, s.rules(), "apply_async", &futures);
    std::lock_guard<std::mutex> guard(s.mutex);
    s.check_accepting("apply_async");
    s.ledger.add(std::move(items), 1, s.chunk_bytes);
    s.dispatch();
    return futures[0];
}

std::vector<FuturePtr> RemotePool::map(const std::vector<const task::Task *> &tasks,
                                       std::size_t chunksize) {
    State &s = *state_;
    std::vector<FuturePtr> futures;
    std::vector<PoolItem> items = submitted_items(tasks, s.rules(), "map", &futures);
    if (chunksize == 0) chunksize = auto_chunksize(tasks.size(), processes());
    std::lock_guard<std::mutex> guard(s.mutex);
    s.check_accepting("map");
    s.ledger.add(std::move(items), chunksize, s.chunk_bytes);
    s.dispatch();
    return futures;
}

// Hands pending chunks to ranks with room: one chunk to each, then a second to each..., so
// that a small batch spreads over the ranks. A chunk bigger than kItemsPerWorker still goes
// whole (the caller chose its chunksize).
void RemotePool::State::dispatch() {
    if (!ledger.has_pending() || !broken.empty() || terminating || closing) return;
    auto room = [](const Worker &w) {
        const std::size_t chunks = w.book.chunks.size();
        if (chunks < kMinChunksPerWorker) return true;
        return chunks < kMaxChunksPerWorker && w.in_flight < kItemsPerWorker;
    };
    // A rank's chunks of this round go in one message (a kChunks batch when several).
    struct Outgoing {
        std::string batch;
        std::string single;  // the only chunk, while there is one
        std::size_t chunks = 0;
        std::uint64_t first_seq = 0;
    };
    std::vector<Outgoing> out(workers.size());
    std::string chunk;
    bool more = true;
    for (std::size_t target = 1; more && target <= kMaxChunksPerWorker; ++target) {
        for (std::size_t p = 0; more && p < workers.size(); ++p) {
            Worker &w = workers[p];
            if (!w.live || w.unreachable || w.stop_sent) continue;
            while (w.book.chunks.size() < target && room(w)) {
                Ledger::Assignment a;
                if (!ledger.take(SIZE_MAX, &a)) {
                    more = false;
                    break;
                }
                chunk.resize(wire::chunk_size(a.tasks));
                wire::encode_chunk(a.id, a.tasks, chunk.data());
                Outgoing &o = out[p];
                if (o.chunks == 0) {
                    o.first_seq = w.book.next_seq;
                    o.single.swap(chunk);
                } else {
                    if (o.chunks == 1) {
                        wire::begin_batch(wire::Type::kChunks, &o.batch);
                        wire::append_to_batch(o.single, &o.batch);
                    }
                    wire::append_to_batch(chunk, &o.batch);
                }
                ++o.chunks;
                ledger.sent(a, p, &w.book);
                w.in_flight += a.tasks.size();
            }
        }
    }
    for (std::size_t p = 0; p < workers.size(); ++p) {
        const Outgoing &o = out[p];
        if (o.chunks == 0) continue;
        const std::string &message = o.chunks == 1 ? o.single : o.batch;
        if (t->send(t, static_cast<int>(p), message.data(), message.size()) != 0) {
            // Lost: its LOST event settles it, and these chunks, which it never
            // received, go back to the queue then.
            workers[p].unreachable = true;
            workers[p].unsent_from_seq = o.first_seq;
        }
    }
}

// ---------------------------------------------------------------- the comm thread

void RemotePool::State::run() noexcept {
    struct Event {
        int kind = MPROC_REMOTE_NONE;
        int peer = 0;
        std::string data;  // the message, or LOST's text
    };
    std::vector<Event> events;
    for (;;) {
        events.clear();
        bool failed = false;
        std::string failure;
        // Polled unlocked: submitting threads send meanwhile (the transport allows it).
        for (int n = 0; n < kBatch; ++n) {
            mproc_remote_event_t ev{};
            if (t->poll(t, n == 0 ? kTickSeconds : 0, &ev) != 0) {
                failed = true;
                const char *text = t->last_error(t);
                failure = text != nullptr ? text : "the transport failed";
                break;
            }
            if (ev.kind == MPROC_REMOTE_NONE) break;
            Event e;
            e.kind = ev.kind;
            e.peer = ev.peer;
            try {
                if (ev.kind == MPROC_REMOTE_MESSAGE && ev.data != nullptr) {
                    e.data.assign(static_cast<const char *>(ev.data), ev.len);
                } else if (ev.kind == MPROC_REMOTE_LOST && ev.text != nullptr) {
                    e.data = ev.text;
                }
                events.push_back(std::move(e));
            } catch (...) {
                // Out of memory: the event is lost; a lost result fails when its rank ends.
            }
        }
        std::vector<Settlement> to_settle;
        bool finish = false;
        bool graceful = false;
        {
            std::lock_guard<std::mutex> guard(mutex);
            for (const Event &e : events) {
                if (e.peer < 0 || static_cast<std::size_t>(e.peer) >= workers.size()) continue;
                if (e.kind == MPROC_REMOTE_MESSAGE) {
                    handle_message(e.peer, e.data);
                } else if (e.kind == MPROC_REMOTE_LOST) {
                    lose(e.peer, e.data.empty() ? std::string("lost") : e.data);
                }
            }
            if (failed) {
                // Every peer is gone for us: the transport cannot reach any of them.
                for (std::size_t p = 0; p < workers.size(); ++p)
                    lose(static_cast<int>(p), "the transport failed: " + failure);
            }
            dispatch();
            send_stops();
            finish = finished(&graceful);
            if (finish) closing = true;
            to_settle.swap(settled);
        }
        settle(to_settle);  // unlocked: callbacks may call into the pool
        if (finish) {
            t->close(t, graceful ? 1 : 0);
            std::lock_guard<std::mutex> guard(mutex);
            transport_closed = true;
            changed.notify_all();
            return;
        }
    }
}

void RemotePool::State::handle_message(int peer, std::string_view message) {
    Worker &w = workers[static_cast<std::size_t>(peer)];
    try {
        const wire::Type type = wire::type_of(message);
        if (type == wire::Type::kResults) {
            for (std::string_view result : wire::decode_batch(type, message))
                handle_message(peer, result);
            return;
        }
        if (type == wire::Type::kResult) {
            wire::ResultMessage r = wire::decode_result(message);
            Outcome outcome;
            outcome.status = r.status;
            outcome.message = std::move(r.message);
            outcome.result = std::move(r.result);
            std::uint64_t holder = 0;
            bool chunk_done = false;
            if (!ledger.complete(r.chunk, r.item, std::move(outcome), &settled, &holder,
                                 &chunk_done)) {
                return;  // settled already (terminate, a broken pool)
            }
            if (holder >= workers.size()) return;
            Worker &h = workers[holder];
            if (h.in_flight > 0) --h.in_flight;
            if (chunk_done) {
                auto pos = std::find(h.book.chunks.begin(), h.book.chunks.end(), r.chunk);
                if (pos != h.book.chunks.end()) h.book.chunks.erase(pos);
            }
            return;
        }
        const wire::Notice notice = wire::decode_notice(message);
        if (notice.type == wire::Type::kBye) {
            // A rank says bye only when told to stop; one that leaves unasked may have
            // dropped what it held, like a lost one.
            if (!w.stop_sent) {
                lose(peer, "it left without being told to stop");
                return;
            }
            w.live = false;
        } else if (notice.type == wire::Type::kInitFailed) {
            if (broken.empty() && !terminating) {
                break_pool(std::string(kLabel) + " is broken: " + w.who + ": " + notice.message);
            }
        }
    } catch (const std::exception &) {
        // Not a message of ours: dropping it is all we can do; a task it concerned fails
        // when its rank ends.
    }
}

// The rank fell silent (or the transport failed). It may have started any task it held,
// so all of those fail; what it never received goes to the others.
void RemotePool::State::lose(int peer, const std::string &why) {
    Worker &w = workers[static_cast<std::size_t>(peer)];
    if (!w.live) return;
    w.live = false;
    w.lost = true;
    any_lost = true;
    // Tasks from a failed send on never reached it.
    const std::uint64_t held = w.unsent_from_seq != 0 ? w.unsent_from_seq - 1 : UINT64_MAX;
    ledger.worker_lost(&w.book, held, kLabel, w.who, why, &settled);
    w.in_flight = 0;
    if (live_workers() == 0 && broken.empty() && !terminating) {
        break_pool(std::string(kLabel) + " is broken: every worker rank was lost (the last, " +
                   w.who + ": " + why + ")");
    }
}

// The comm thread's work is over once no rank is live (every one said bye or was lost),
// or when a terminate's wait for byes ran out, or when close() says so.
bool RemotePool::State::finished(bool *graceful) const {
    // Orderly when every rank said bye, after terminate() too: an abandoned spawned job
    // that Open MPI is still tearing down makes the next MPI_Comm_spawn hang.
    *graceful = !any_lost && live_workers() == 0;
    if (exiting || live_workers() == 0) return true;
    return terminating && Deadline::now_ns() >= bye_deadline_ns;
}

std::size_t RemotePool::State::live_workers() const {
    std::size_t n = 0;
    for (const Worker &w : workers) {
        if (w.live) ++n;
    }
    return n;
}

void RemotePool::State::send_stop(Worker &w, int peer) {
    if (!w.live || w.stop_sent || closing) return;
    static const std::string stop = wire::encode_stop();
    w.stop_sent = true;  // a failed send means it is lost: LOST follows
    if (t->send(t, peer, stop.data(), stop.size()) != 0) w.unreachable = true;
}

// After shutdown, once no work is left: each rank gets "stop" and answers "bye".
void RemotePool::State::send_stops() {
    if (!closed || terminating || ledger.has_pending() || ledger.has_in_flight()) return;
    for (std::size_t p = 0; p < workers.size(); ++p)
        send_stop(workers[p], static_cast<int>(p));
}

void RemotePool::State::break_pool(const std::string &why) {
    broken = why;
    ledger.fail_all(kBroken, why, &settled);
    for (std::size_t p = 0; p < workers.size(); ++p) {
        Worker &w = workers[p];
        w.book.chunks.clear();
        w.in_flight = 0;
        send_stop(w, static_cast<int>(p));
    }
}

void RemotePool::State::wake() noexcept {
    if (!closing) t->wake(t);
}

// ---------------------------------------------------------------- ending

void RemotePool::shutdown() noexcept {
    State &s = *state_;
    std::lock_guard<std::mutex> guard(s.mutex);
    s.closed = true;
    s.send_stops();
    s.wake();
}

void RemotePool::terminate() noexcept {
    State &s = *state_;
    std::vector<Settlement> to_settle;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        s.closed = true;
        if (!s.terminating) {
            s.terminating = true;
            s.bye_deadline_ns = Deadline::now_ns() + static_cast<std::int64_t>(kByeSeconds * 1e9);
        }
        try {
            s.ledger.cancel_all("process pool: terminated", &s.settled);
        } catch (...) {
        }
        for (std::size_t p = 0; p < s.workers.size(); ++p) {
            State::Worker &w = s.workers[p];
            w.book.chunks.clear();
            w.in_flight = 0;
            s.send_stop(w, static_cast<int>(p));
        }
        to_settle.swap(s.settled);
        s.wake();
    }
    settle(to_settle);
    // The comm thread closes the transport; it cannot wait for itself (terminate from a
    // done-callback).
    if (std::this_thread::get_id() == s.thread_id) return;
    std::unique_lock<std::mutex> lock(s.mutex);
    s.changed.wait_for(lock, std::chrono::duration<double>(kByeSeconds + kCloseSeconds),
                       [&s] { return s.transport_closed; });
}

Status RemotePool::join(const Deadline &deadline) {
    State &s = *state_;
    std::unique_lock<std::mutex> lock(s.mutex);
    if (!s.closed) {
        throw Error(kInvalid, std::string(kLabel) +
                                  ": join: the pool still accepts tasks: call shutdown or "
                                  "terminate first");
    }
    if (!wait_until(s.changed, lock, deadline, [&s] { return s.transport_closed; })) {
        return kTimedOut;
    }
    s.joined = true;
    return kOk;
}

void RemotePool::close() noexcept {
    if (state_ == nullptr) return;
    State &s = *state_;
    bool joined = false;
    {
        std::lock_guard<std::mutex> guard(s.mutex);
        if (s.closed_down) return;
        s.closed_down = true;
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
