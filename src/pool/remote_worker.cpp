// run_remote_worker: a worker rank's side of a RemotePool (see remote_pool.hpp). It runs
// the tasks in a local ProcessPool of one spawned mproc-worker, so that a task that crashes
// costs that task only. Each future's done-callback adds its result to a batch, which the
// loop sends as one message when the rank has no task left or the batch is kBatchAgeNs old
// (the callback itself sends a big one): every MPI message costs tens of microseconds, and a batch
// sent at every result (each wake of the loop) would shrink to one result per message under load.
#include <unistd.h>

#include <limits.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pool/pool_wire.hpp"
#include "pool/process_pool.hpp"
#include "pool/remote_pool.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::pool {

namespace {

using sync::Deadline;

// How long poll() waits: the loop has nothing else to do, but heartbeats go out from
// poll(), and a short wait keeps it responsive to the transport.
constexpr double kPollSeconds = 0.05;
// The pool sends the configuration first thing; without it for this long, it is gone.
constexpr double kConfigSeconds = 120;
// The local pool's "broken" messages start so (process_pool.cpp).
const char kLocalBroken[] = "process pool is broken: ";
// A batch this big goes out from the callback at once, without waiting for the loop.
constexpr std::size_t kFlushBytes = 256 * 1024;
// How long the first result of a batch may wait for more while the rank has tasks left.
constexpr std::int64_t kBatchAgeNs = 200 * 1000;

// "worker rank 2 on host b: ", put before the messages of tasks that broke here.
std::string self_prefix(const mproc_remote_transport_t *t) {
    char host[HOST_NAME_MAX + 1] = {0};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return "worker rank " + std::to_string(t->self_rank) + " on host " +
           (host[0] != '\0' ? host : "?") + ": ";
}

// Sends to the pool, from the loop and from the local pool's callbacks, until the loop
// closes the transport.
class Sender {
  public:
    Sender(mproc_remote_transport_t *t, std::string prefix, std::uint64_t serial)
        : t_(t), prefix_(std::move(prefix)), serial_(serial) {}

    void result(std::uint64_t chunk, std::uint32_t item, Status status, const std::string &message,
                const task::Result *value) noexcept {
        try {
            wire::ResultMessage r;
            r.chunk = chunk;
            r.item = item;
            r.status = status;
            if (status == kOk && value != nullptr) {
                r.result = *value;
            } else {
                r.message = status == kBroken ? prefix_ + message : message;
                // The local pool broke (its initializer failed, or it cannot start its
                // worker): this rank cannot serve, which breaks the MPI pool.
                if (status == kBroken &&
                    message.compare(0, sizeof kLocalBroken - 1, kLocalBroken) == 0) {
                    init_failed(status, message);
                }
            }
            std::string bytes;
            wire::encode_result(r, &bytes);
            add_to_batch(bytes);
        } catch (...) {
            // Out of memory: the pool fails the task when this rank ends.
        }
    }

    // `n` tasks arrived: as many results will follow.
    void expect(std::size_t n) noexcept {
        std::lock_guard<std::mutex> guard(mutex_);
        outstanding_ += n;
    }

    // The loop's poll timeout: at most `longest`, and no later than the batch is due.
    double seconds_to_flush(double longest) noexcept {
        std::lock_guard<std::mutex> guard(mutex_);
        if (batched_ == 0) return longest;
        if (outstanding_ == 0) return 0;
        const std::int64_t left = batch_started_ns_ + kBatchAgeNs - Deadline::now_ns();
        return left <= 0 ? 0 : std::min(longest, static_cast<double>(left) * 1e-9);
    }

    // Sends the batch if it is due (the loop calls it whenever it wakes).
    void flush_if_due() noexcept {
        std::lock_guard<std::mutex> guard(mutex_);
        if (batched_ == 0) return;
        if (outstanding_ == 0 || Deadline::now_ns() - batch_started_ns_ >= kBatchAgeNs) {
            flush_locked();
        }
    }

    void init_failed(Status status, const std::string &message) noexcept {
        try {
            {
                std::lock_guard<std::mutex> guard(mutex_);
                if (init_failed_sent_) return;
                init_failed_sent_ = true;
            }
            wire::Notice notice;
            notice.type = wire::Type::kInitFailed;
            notice.serial = serial_;
            notice.status = status;
            notice.message = message;
            send(wire::encode_notice(notice));
        } catch (...) {
        }
    }

    void bye() noexcept {
        try {
            wire::Notice notice;
            notice.type = wire::Type::kBye;
            notice.serial = serial_;
            send(wire::encode_notice(notice));
        } catch (...) {
        }
    }

    // No more sends: the transport is about to close.
    void shut() noexcept {
        std::lock_guard<std::mutex> guard(mutex_);
        open_ = false;
    }

    const std::string &prefix() const noexcept { return prefix_; }

  private:
    // A notice goes after the results before it, in order.
    void send(const std::string &bytes) noexcept {
        std::lock_guard<std::mutex> guard(mutex_);
        flush_locked();
        if (open_) (void)t_->send(t_, 0, bytes.data(), bytes.size());
    }

    void add_to_batch(const std::string &result) {
        bool wake = false;
        {
            std::lock_guard<std::mutex> guard(mutex_);
            if (outstanding_ > 0) --outstanding_;
            if (!open_) return;
            if (batched_ == 0) {
                wire::begin_batch(wire::Type::kResults, &batch_);
                batch_started_ns_ = Deadline::now_ns();
            }
            wire::append_to_batch(result, &batch_);
            ++batched_;
            if (outstanding_ == 0 || batch_.size() >= kFlushBytes) {
                flush_locked();
            } else {
                // The loop sends it: at once if no task is left, else when it is due. (A
                // send from here would contend with the loop for MPI at every result.)
                wake = batched_ == 1 || outstanding_ == 0;
            }
        }
        if (wake) t_->wake(t_);
    }

    void flush_locked() noexcept {
        if (batched_ == 0) return;
        if (open_) (void)t_->send(t_, 0, batch_.data(), batch_.size());
        batched_ = 0;
    }

    std::mutex mutex_;
    mproc_remote_transport_t *t_;
    const std::string prefix_;
    const std::uint64_t serial_;
    bool open_ = true;
    bool init_failed_sent_ = false;
    std::string batch_;  // results not sent yet
    std::size_t batched_ = 0;
    std::int64_t batch_started_ns_ = 0;
    std::size_t outstanding_ = 0;  // tasks received whose result is not batched yet
};

class RemoteWorker {
  public:
    explicit RemoteWorker(mproc_remote_transport_t *t) : t_(t) {}

    // The exit code: 0 stopped by the pool, 1 the pool lost (or never configured us).
    int run() {
        std::optional<wire::WorkerConfig> config = await_config();
        if (!config) {
            t_->close(t_, 0);
            return 1;
        }
        sender_ = std::make_shared<Sender>(t_, self_prefix(t_), config->serial);
        start_local_pool(*config);
        bool stopped = false;
        for (;;) {
            mproc_remote_event_t ev{};
            const int polled = t_->poll(t_, sender_->seconds_to_flush(kPollSeconds), &ev);
            sender_->flush_if_due();
            if (polled != 0 || ev.kind == MPROC_REMOTE_LOST) break;
            if (ev.kind != MPROC_REMOTE_MESSAGE || ev.data == nullptr) continue;
            const std::string_view message(static_cast<const char *>(ev.data), ev.len);
            wire::Type type;
            try {
                type = wire::type_of(message);
            } catch (const std::exception &) {
                continue;  // not a message of ours
            }
            if (type == wire::Type::kChunk) {
                run_chunk(message);
            } else if (type == wire::Type::kChunks) {
                try {
                    for (std::string_view chunk : wire::decode_batch(type, message))
                        run_chunk(chunk);
                } catch (const std::exception &) {
                    // Malformed: its chunks' tasks fail when this rank ends.
                }
            } else if (type == wire::Type::kStop) {
                stopped = true;
                break;
            }
        }
        // The local pool first: its callbacks send, so they end before the transport.
        if (local_) {
            local_->terminate();
            local_->close();
            local_.reset();
        }
        if (stopped) sender_->bye();
        sender_->shut();
        t_->close(t_, stopped ? 1 : 0);
        return stopped ? 0 : 1;
    }

  private:
    std::optional<wire::WorkerConfig> await_config() {
        const Deadline deadline = Deadline::after(kConfigSeconds);
        while (!deadline.expired()) {
            mproc_remote_event_t ev{};
            if (t_->poll(t_, kPollSeconds, &ev) != 0 || ev.kind == MPROC_REMOTE_LOST) {
                return std::nullopt;
            }
            if (ev.kind != MPROC_REMOTE_MESSAGE || ev.data == nullptr) continue;
            try {
                return wire::decode_config(
                    std::string_view(static_cast<const char *>(ev.data), ev.len));
            } catch (const std::exception &) {
                return std::nullopt;  // the pool speaks another format: nothing to serve
            }
        }
        return std::nullopt;
    }

    void start_local_pool(const wire::WorkerConfig &config) {
        try {
            PoolOptions o;
            o.processes = 1;
            o.method = process::StartMethod::kSpawn;
            if (!config.initializer.empty()) {
                o.initializer.emplace(task::Task::decode(config.initializer));
            }
            o.max_tasks_per_child = config.max_tasks;
            if (config.max_message != 0)
                o.max_message = static_cast<std::size_t>(config.max_message);
            local_.emplace(std::move(o));
        } catch (const Error &e) {
            local_error_ = e.what();
            sender_->init_failed(e.status(), e.what());
        } catch (const std::exception &e) {
            local_error_ = e.what();
            sender_->init_failed(kSystem, e.what());
        }
    }

    void run_chunk(std::string_view message) {
        wire::ChunkView chunk;
        try {
            chunk = wire::decode_chunk(message);
        } catch (const std::exception &) {
            return;  // no ids to answer with; its tasks fail when this rank ends
        }
        sender_->expect(chunk.tasks.size());
        std::vector<task::Task> tasks;
        std::vector<std::uint32_t> items;
        tasks.reserve(chunk.tasks.size());
        for (std::size_t k = 0; k < chunk.tasks.size(); ++k) {
            const auto item = static_cast<std::uint32_t>(k);
            try {
                tasks.push_back(task::Task::decode(chunk.tasks[k]));
                items.push_back(item);
            } catch (const Error &e) {
                sender_->result(chunk.id, item, e.status(),
                                std::string("cannot decode the task: ") + e.what(), nullptr);
            } catch (const std::exception &e) {
                sender_->result(chunk.id, item, kInvalid,
                                std::string("cannot decode the task: ") + e.what(), nullptr);
            }
        }
        if (tasks.empty()) return;
        if (!local_) {
            for (std::uint32_t item : items) {
                sender_->result(chunk.id, item, kBroken,
                                "cannot start its local worker: " + local_error_, nullptr);
            }
            return;
        }
        std::vector<FuturePtr> futures;
        try {
            std::vector<const task::Task *> refs;
            refs.reserve(tasks.size());
            for (const task::Task &task : tasks)
                refs.push_back(&task);
            futures = local_->map(refs, refs.size());
        } catch (const std::exception &) {
            // One task was refused (all or none were queued): each on its own, so that
            // only the bad ones fail.
            futures.clear();
            for (std::size_t k = 0; k < tasks.size(); ++k) {
                try {
                    futures.push_back(local_->submit(tasks[k]));
                } catch (const Error &e) {
                    futures.push_back(nullptr);
                    sender_->result(chunk.id, items[k], e.status(), e.what(), nullptr);
                } catch (const std::exception &e) {
                    futures.push_back(nullptr);
                    sender_->result(chunk.id, items[k], kSystem, e.what(), nullptr);
                }
            }
        }
        for (std::size_t k = 0; k < futures.size(); ++k) {
            if (futures[k] == nullptr) continue;
            std::shared_ptr<Sender> sender = sender_;
            const std::uint64_t id = chunk.id;
            const std::uint32_t item = items[k];
            futures[k]->add_done_callback([sender, id, item](const FuturePtr &f) {
                const Outcome *o = f->outcome();
                if (o == nullptr) {
                    sender->result(id, item, kCancelled, "cancelled", nullptr);
                } else {
                    sender->result(id, item, o->status, o->message, &o->result);
                }
            });
        }
    }

    mproc_remote_transport_t *t_;
    std::shared_ptr<Sender> sender_;
    std::optional<ProcessPool> local_;
    std::string local_error_;
};

}  // namespace

int run_remote_worker(mproc_remote_transport_t *transport) noexcept {
    if (transport == nullptr) return 1;
    try {
        return RemoteWorker(transport).run();
    } catch (...) {
        // Only allocation fails in there; the transport may be half used: abandon it.
        transport->close(transport, 0);
        return 1;
    }
}

}  // namespace mproc::core::pool
