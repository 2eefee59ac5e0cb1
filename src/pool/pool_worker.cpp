#include "pool/pool_worker.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "array/array.hpp"
#include "queue/queue.hpp"
#include "sync/deadline.hpp"

namespace mproc::core::pool {

namespace {

using sync::Deadline;

// How long an empty inbox or a full result queue is waited on before the worker looks
// whether its parent is still there.
constexpr double kPollSeconds = 0.1;

class Worker {
  public:
    explicit Worker(const wire::WorkerConfig &config)
        : config_(config),
          inbox_(queue::Queue::open(config.inbox)),
          results_(queue::Queue::open(config.results)),
          status_(array::SharedArray::open(config.status, shm::Kind::kArray)),
          parent_(::getppid()) {
        const char *crash = std::getenv("MPROC_POOL_TEST_CRASH");
        crash_in_send_ = crash != nullptr && std::strcmp(crash, "send") == 0;
        buffer_.resize(inbox_.max_message());
    }

    int run() {
        publish(kWorkerStarting);
        if (!config_.initializer.empty() && !initialize()) return 1;
        publish(kWorkerReady);
        std::uint64_t done = 0;
        for (;;) {
            std::size_t len = 0;
            const Status st =
                inbox_.get(buffer_.data(), buffer_.size(), &len, Deadline::after(kPollSeconds));
            if (st == kEmpty) {
                if (parent_gone()) return 0;
                continue;
            }
            if (st != kOk) return 1;  // kClosed, or a message we cannot hold: not ours
            const std::string_view message(buffer_.data(), len);
            const wire::Type type = wire::type_of(message);
            if (type == wire::Type::kStop) return say_bye();
            if (type != wire::Type::kChunk) return 1;
            const wire::ChunkView chunk = wire::decode_chunk(message);
            for (std::uint32_t k = 0; k < chunk.tasks.size(); ++k) {
                publish(kWorkerReady | ++seq_ << kSeqShift);
                if (!send(run_one(chunk.id, k, chunk.tasks[k]))) return 0;
                if (config_.max_tasks != 0 && ++done >= config_.max_tasks) return say_bye();
            }
        }
    }

  private:
    void publish(std::uint64_t word) { status_.set(config_.slot, &word); }

    bool parent_gone() const { return ::getppid() != parent_; }

    // Runs the initializer: false (after telling the pool) if it failed.
    bool initialize() {
        wire::Notice notice;
        notice.type = wire::Type::kInitFailed;
        notice.serial = config_.serial;
        std::string name = "initializer";
        try {
            const task::Task task = task::Task::decode(config_.initializer);
            name = "initializer task '" + task.name() + "'";
            const task::Result result = task.call();
            const bool is_int =
                std::strchr("bhilqnBHILQN", result.type) != nullptr && result.type != '\0';
            const bool failed = is_int && (result.i != 0 || result.u != 0);
            if (!failed) return true;
            notice.status = kFailed;
            notice.message =
                name + " failed: it returned " +
                (std::strchr("BHILQN", result.type) != nullptr ? std::to_string(result.u)
                                                               : std::to_string(result.i));
        } catch (const std::exception &e) {
            const auto *error = dynamic_cast<const Error *>(&e);
            notice.status = error != nullptr ? error->status() : kFailed;
            notice.message = name + " failed: " + e.what();
        }
        send_message(wire::encode_notice(notice));
        return false;
    }

    const std::string &run_one(std::uint64_t chunk, std::uint32_t item, std::string_view encoded) {
        wire::ResultMessage r;
        r.chunk = chunk;
        r.item = item;
        const std::int64_t start = Deadline::now_ns();
        try {
            const task::Task task = task::Task::decode(encoded);
            r.result = task.call();
            const std::int64_t us = (Deadline::now_ns() - start) / 1000;
            r.run_us = us > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(us);
            const std::size_t size = wire::result_payload_size(r.result);
            if (size > config_.max_message) {
                r.status = kTooBig;
                r.message = "task '" + task.name() + "': its result of " + std::to_string(size) +
                            " bytes (encoded) is over the pool's max_message of " +
                            std::to_string(config_.max_message) + " bytes";
                r.result = task::Result();
            }
        } catch (const std::exception &e) {
            const auto *error = dynamic_cast<const Error *>(&e);
            r.status = error != nullptr ? error->status() : kFailed;
            r.message = e.what();
            // Room for the headers: the message must fit the result queue.
            if (r.message.size() > config_.max_message) r.message.resize(config_.max_message);
            r.result = task::Result();
        }
        wire::encode_result(r, &encoded_);
        return encoded_;
    }

    // Puts a message on the result queue, waiting while it is full: false if the pool's
    // process is gone (or the queue unusable).
    bool send(const std::string &message) {
        if (crash_in_send_) crash_halfway(message);
        return send_message(message);
    }

    bool send_message(const std::string &message) {
        make_room();
        for (;;) {
            const Status st =
                results_.put(message.data(), message.size(), Deadline::after(kPollSeconds));
            if (st == kOk) return true;
            if (st != kFull || parent_gone()) return false;
        }
    }

    // Backpressure with hysteresis. Workers that outrun the pool fill the result queue;
    // then every result the pool takes would wake one sleeping worker to put one more: a
    // wake-up per task. A worker that finds the queue three-quarters full instead naps
    // until the pool has drained it to half, so that the pool reads in batches.
    void make_room() {
        const std::uint64_t cap = results_.maxsize();
        if (results_.qsize() * 4 < cap * 3) return;
        for (int naps = 0; naps < 1000 && results_.qsize() * 2 > cap; ++naps) {
            if (naps % 64 == 63 && parent_gone()) return;
            const timespec nap{0, 100 * 1000};
            ::nanosleep(&nap, nullptr);
        }
    }

    // The test hook: half a message in a reserved slot, then death.
    [[noreturn]] void crash_halfway(const std::string &message) {
        void *slot = nullptr;
        if (results_.reserve(message.size(), Deadline::after(5), &slot) == kOk) {
            std::memcpy(slot, message.data(), message.size() / 2);
        }
        ::raise(SIGKILL);
        ::_exit(1);
    }

    int say_bye() {
        wire::Notice bye;
        bye.type = wire::Type::kBye;
        bye.serial = config_.serial;
        send_message(wire::encode_notice(bye));
        return 0;
    }

    const wire::WorkerConfig &config_;
    queue::Queue inbox_;
    queue::Queue results_;
    array::SharedArray status_;
    const pid_t parent_;
    bool crash_in_send_ = false;
    std::uint64_t seq_ = 0;
    std::string buffer_;
    std::string encoded_;
};

}  // namespace

int run_worker(const wire::WorkerConfig &config) noexcept {
    try {
        Worker worker(config);
        return worker.run();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "mproc: process pool worker: %s\n", e.what());
        return 1;
    } catch (...) {
        return 1;
    }
}

int fork_worker_entry(void *config) {
    try {
        return run_worker(wire::decode_config(*static_cast<const std::string *>(config)));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "mproc: process pool worker: %s\n", e.what());
        return 1;
    }
}

}  // namespace mproc::core::pool

extern "C" int mproc_pool_worker_main(const void *config, std::size_t len) {
    if (config == nullptr && len != 0) return 1;
    try {
        const mproc::core::pool::wire::WorkerConfig decoded =
            mproc::core::pool::wire::decode_config(
                std::string_view(static_cast<const char *>(config), len));
        return mproc::core::pool::run_worker(decoded);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "mproc: process pool worker: %s\n", e.what());
        return 1;
    }
}
