#include "pool/dispatch.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "pool/pool_wire.hpp"
#include "task/task.hpp"

namespace mproc::core::pool {

namespace {

// The task's name for a message; only needed when something went wrong, so it is decoded
// then rather than kept for every task.
std::string name_of(const PoolItem &item) {
    try {
        return task::Task::decode(item.task).name();
    } catch (const std::exception &) {
        return "?";
    }
}

Outcome error_outcome(Status status, std::string message) {
    Outcome outcome;
    outcome.status = status;
    outcome.message = std::move(message);
    return outcome;
}

}  // namespace

void settle(std::vector<Settlement> &settlements) noexcept {
    for (Settlement &s : settlements) {
        try {
            if (s.cancel && s.future->cancel()) continue;
            s.future->set_outcome(std::move(s.outcome));
        } catch (...) {
            // Only allocation can fail in there; the future then stays as it was.
        }
    }
    settlements.clear();
}

std::size_t auto_chunksize(std::size_t n, int processes) noexcept {
    const std::size_t per = 4 * static_cast<std::size_t>(processes > 0 ? processes : 1);
    std::size_t chunksize = n / per;
    if (n % per != 0) ++chunksize;
    return chunksize > 0 ? chunksize : 1;
}

void Ledger::add(std::vector<PoolItem> items, std::size_t chunksize, std::size_t max_chunk_bytes) {
    Chunk chunk;
    std::size_t bytes = wire::kChunkHeader;
    for (PoolItem &item : items) {
        const std::size_t size = wire::kChunkItemHeader + item.task.size();
        if (!chunk.items.empty() &&
            (chunk.items.size() >= chunksize || bytes + size > max_chunk_bytes)) {
            pending_.push_back(std::move(chunk));
            chunk = Chunk();
            bytes = wire::kChunkHeader;
        }
        bytes += size;
        chunk.items.push_back(std::move(item));
    }
    if (!chunk.items.empty()) pending_.push_back(std::move(chunk));
}

bool Ledger::take(std::size_t limit, Assignment *out) {
    while (!pending_.empty()) {
        taken_ = std::move(pending_.front());
        pending_.pop_front();
        if (taken_.items.size() > limit) {
            // max_tasks_per_child: the worker takes no more than it will run.
            Chunk rest;
            rest.items.assign(std::make_move_iterator(taken_.items.begin() + limit),
                              std::make_move_iterator(taken_.items.end()));
            taken_.items.resize(limit);
            pending_.push_front(std::move(rest));
        }
        // A future cancelled while it waited is dropped; the others are running from now:
        // they are in a worker's hands.
        auto cancelled = [](PoolItem &item) {
            if (item.running) return false;
            item.running = item.future->set_running();
            return !item.running;
        };
        taken_.items.erase(std::remove_if(taken_.items.begin(), taken_.items.end(), cancelled),
                           taken_.items.end());
        if (taken_.items.empty()) continue;
        out->id = next_id_++;
        out->tasks.clear();
        for (const PoolItem &item : taken_.items)
            out->tasks.emplace_back(item.task);
        return true;
    }
    return false;
}

void Ledger::sent(const Assignment &assignment, std::uint64_t worker, WorkerBook *book) {
    Flight flight;
    const std::size_t n = taken_.items.size();
    flight.items = std::move(taken_.items);
    taken_.items.clear();
    flight.reported.assign(n, false);
    flight.left = n;
    flight.worker = worker;
    flight.first_seq = book->next_seq;
    book->next_seq += n;
    book->assigned += n;
    book->chunks.push_back(assignment.id);
    flights_.emplace(assignment.id, std::move(flight));
}

void Ledger::unsend(const Assignment &) {
    pending_.push_front(std::move(taken_));
    taken_ = Chunk();
}

bool Ledger::complete(std::uint64_t chunk, std::uint32_t item, Outcome outcome,
                      std::vector<Settlement> *out, std::uint64_t *worker, bool *chunk_done) {
    auto it = flights_.find(chunk);
    if (it == flights_.end()) return false;
    Flight &flight = it->second;
    if (item >= flight.items.size() || flight.reported[item]) return false;
    flight.reported[item] = true;
    out->push_back(Settlement{std::move(flight.items[item].future), std::move(outcome), false});
    *worker = flight.worker;
    *chunk_done = --flight.left == 0;
    if (*chunk_done) flights_.erase(it);
    return true;
}

void Ledger::worker_died(WorkerBook *book, std::uint64_t started, const std::string &who,
                         const std::string &how, std::vector<Settlement> *out) {
    release(
        book, started,
        [&](std::uint64_t seq, const PoolItem &item) {
            // seq < started without a result: its result message was lost (the queue
            // skips a message whose writer died); it did run, but we cannot say how.
            const std::string what = seq == started ? "died while running" : "lost the result of";
            return "process pool: " + who + " " + what + " task '" + name_of(item) + "': " + how;
        },
        out);
}

void Ledger::worker_lost(WorkerBook *book, std::uint64_t received, const std::string &label,
                         const std::string &who, const std::string &how,
                         std::vector<Settlement> *out) {
    release(
        book, received,
        [&](std::uint64_t, const PoolItem &item) {
            return label + ": " + who + " was lost while holding task '" + name_of(item) +
                   "': " + how;
        },
        out);
}

void Ledger::release(WorkerBook *book, std::uint64_t last,
                     const std::function<std::string(std::uint64_t, const PoolItem &)> &fate,
                     std::vector<Settlement> *out) {
    std::vector<Chunk> back;
    for (std::uint64_t id : book->chunks) {
        auto it = flights_.find(id);
        if (it == flights_.end()) continue;
        Flight &flight = it->second;
        Chunk rest;
        for (std::size_t k = 0; k < flight.items.size(); ++k) {
            if (flight.reported[k]) continue;
            const std::uint64_t seq = flight.first_seq + k;
            if (seq > last) {
                rest.items.push_back(std::move(flight.items[k]));
                continue;
            }
            out->push_back(Settlement{flight.items[k].future,
                                      error_outcome(kBroken, fate(seq, flight.items[k])), false});
        }
        if (!rest.items.empty()) back.push_back(std::move(rest));
        flights_.erase(it);
    }
    book->chunks.clear();
    // The tasks it never started go first: they were submitted before the pending ones.
    for (auto it = back.rbegin(); it != back.rend(); ++it)
        pending_.push_front(std::move(*it));
}

void Ledger::fail_all(Status status, const std::string &message, std::vector<Settlement> *out) {
    for (Chunk &chunk : pending_) {
        for (PoolItem &item : chunk.items) {
            out->push_back(Settlement{item.future, error_outcome(status, message), false});
        }
    }
    pending_.clear();
    for (auto &[id, flight] : flights_) {
        for (std::size_t k = 0; k < flight.items.size(); ++k) {
            if (flight.reported[k]) continue;
            out->push_back(
                Settlement{flight.items[k].future, error_outcome(status, message), false});
        }
    }
    flights_.clear();
}

void Ledger::cancel_all(const std::string &message, std::vector<Settlement> *out) {
    for (Chunk &chunk : pending_) {
        for (PoolItem &item : chunk.items) {
            // One that went to a worker before (and came back when it died) is running.
            out->push_back(Settlement{item.future, error_outcome(kBroken, message), !item.running});
        }
    }
    pending_.clear();
    for (auto &[id, flight] : flights_) {
        for (std::size_t k = 0; k < flight.items.size(); ++k) {
            if (flight.reported[k]) continue;
            out->push_back(
                Settlement{flight.items[k].future, error_outcome(kBroken, message), false});
        }
    }
    flights_.clear();
}

}  // namespace mproc::core::pool
