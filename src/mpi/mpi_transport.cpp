#include "mpi_transport.hpp"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "mpi_runtime.hpp"

namespace mproc::mpi {

namespace {

constexpr auto kMinSleep = std::chrono::microseconds(20);
constexpr auto kMaxSleep = std::chrono::milliseconds(1);
// A graceful close waits this long for queued sends and for the peers' disconnect.
constexpr auto kCloseWait = std::chrono::seconds(5);
// A close that abandons its peers takes what is in flight this long before disconnecting.
constexpr auto kAbandonDrain = std::chrono::milliseconds(500);
// Messages taken from one peer per round, so that a chatty peer cannot starve the others.
constexpr int kReceivesPerRound = 64;

std::chrono::steady_clock::duration seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
}

std::string format_seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", s);
    return text;
}

}  // namespace

std::vector<char> hello_message() {
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::string text =
        "pid=" + std::to_string(getpid()) + ";rank=" + std::to_string(rank) + ";host=" + host;
    return std::vector<char>(text.begin(), text.end());
}

Transport::Transport(int role, CommKind kind, MPI_Comm comm, std::vector<int> ranks,
                     double heartbeat_interval, double heartbeat_timeout)
    : role_(role),
      kind_(kind),
      comm_(comm),
      interval_(seconds(heartbeat_interval)),
      timeout_(seconds(heartbeat_timeout)),
      timeout_seconds_(heartbeat_timeout),
      trace_(std::getenv("MPROC_MPI_TRACE") != nullptr) {
    const auto now = Clock::now();
    peers_.resize(ranks.size());
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        peers_[i].rank = ranks[i];
        peers_[i].last_heard = now;
        peers_[i].last_sent = now;
        peers_[i].descriptions.push_back("rank " + std::to_string(ranks[i]));
    }
    const std::vector<char> hello = hello_message();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        post_locked(static_cast<int>(i), kTagHello, hello);
    }

    table_.abi = MPROC_REMOTE_ABI;
    table_.role = role;
    table_.peers = static_cast<int>(peers_.size());
    MPI_Comm_rank(MPI_COMM_WORLD, &table_.self_rank);
    table_.self = this;
    table_.describe = [](mproc_remote_transport_t *t, int peer) {
        return static_cast<Transport *>(t->self)->describe(peer);
    };
    table_.send = [](mproc_remote_transport_t *t, int peer, const void *data, size_t len) {
        return static_cast<Transport *>(t->self)->send(peer, data, len);
    };
    table_.poll = [](mproc_remote_transport_t *t, double timeout, mproc_remote_event_t *ev) {
        return static_cast<Transport *>(t->self)->poll(timeout, ev);
    };
    table_.wake = [](mproc_remote_transport_t *t) { static_cast<Transport *>(t->self)->wake(); };
    table_.last_error = [](mproc_remote_transport_t *t) {
        return static_cast<Transport *>(t->self)->last_error();
    };
    table_.close = [](mproc_remote_transport_t *t, int graceful) {
        auto *self = static_cast<Transport *>(t->self);
        self->close(graceful != 0);
        delete self;  // the C table's owner: the one delete of the plugin
    };
}

const char *Transport::describe(int peer) {
    std::lock_guard<std::mutex> lock(Runtime::get().mutex());
    if (peer < 0 || static_cast<std::size_t>(peer) >= peers_.size()) {
        return "no such peer";
    }
    return peers_[static_cast<std::size_t>(peer)].descriptions.back().c_str();
}

int Transport::send(int peer, const void *data, std::size_t len) {
    std::lock_guard<std::mutex> lock(Runtime::get().mutex());
    if (peer < 0 || static_cast<std::size_t>(peer) >= peers_.size()) {
        set_error_locked("send: no peer " + std::to_string(peer));
        return -1;
    }
    if (peers_[static_cast<std::size_t>(peer)].lost) {
        set_error_locked("send: " + peers_[static_cast<std::size_t>(peer)].descriptions.back() +
                         " is lost");
        return -1;
    }
    if (len > static_cast<std::size_t>(INT_MAX) || (len > 0 && data == nullptr)) {
        set_error_locked("send: bad message (" + std::to_string(len) + " bytes)");
        return -1;
    }
    const char *bytes = static_cast<const char *>(data);
    return post_locked(peer, kTagData, std::vector<char>(bytes, bytes + len)) ? 0 : -1;
}

bool Transport::post_locked(int peer, int tag, std::vector<char> buffer) {
    Peer &p = peers_[static_cast<std::size_t>(peer)];
    Outgoing out;
    out.peer = peer;
    out.buffer = std::move(buffer);
    // An empty vector may have no storage: MPI wants a valid address even for 0 bytes.
    static char empty = 0;
    void *address = out.buffer.empty() ? &empty : out.buffer.data();
    int rc = MPI_Isend(address, static_cast<int>(out.buffer.size()), MPI_BYTE, p.rank, tag, comm_,
                       &out.request);
    if (rc != MPI_SUCCESS) {
        set_error_locked("MPI_Isend to " + p.descriptions.back() +
                         " failed: " + Runtime::error_text(rc));
        lose_locked(peer, "MPI_Isend failed: " + Runtime::error_text(rc));
        return false;
    }
    p.last_sent = Clock::now();
    outgoing_.push_back(std::move(out));
    return true;
}

int Transport::poll(double timeout, mproc_remote_event_t *event) {
    if (event == nullptr) {
        return -1;
    }
    *event = mproc_remote_event_t{};
    const auto deadline = Clock::now() + seconds(std::max(timeout, 0.0));
    auto sleep = std::chrono::duration_cast<Clock::duration>(kMinSleep);
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(Runtime::get().mutex());
            current_ = Event{};
            const std::size_t before = events_.size();
            if (!progress_locked(true)) {
                return -1;
            }
            if (events_.size() != before) {
                sleep = std::chrono::duration_cast<Clock::duration>(kMinSleep);
            }
            if (!events_.empty()) {
                if (trace_) {
                    std::fprintf(stderr, "[mpi pid %d] event %d peer %d len %zu %s\n",
                                 (int)getpid(), events_.front().kind, events_.front().peer,
                                 events_.front().data.size(), events_.front().text.c_str());
                }
                current_ = std::move(events_.front());
                events_.pop_front();
                event->kind = current_.kind;
                event->peer = current_.peer;
                event->data = current_.data.data();
                event->len = current_.data.size();
                event->text = current_.kind == MPROC_REMOTE_LOST ? current_.text.c_str() : nullptr;
                return 0;
            }
        }
        const auto now = Clock::now();
        if (now >= deadline) {
            return 0;  // MPROC_REMOTE_NONE
        }
        std::unique_lock<std::mutex> lock(wake_mutex_);
        wake_cv_.wait_for(lock, std::min(sleep, deadline - now), [this] { return woken_; });
        if (woken_) {
            woken_ = false;
            sleep = std::chrono::duration_cast<Clock::duration>(kMinSleep);
        } else {
            sleep = std::min(sleep * 2, std::chrono::duration_cast<Clock::duration>(kMaxSleep));
        }
    }
}

void Transport::await_hellos(double limit) {
    const auto deadline = Clock::now() + seconds(limit);
    auto sleep = std::chrono::duration_cast<Clock::duration>(kMinSleep);
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(Runtime::get().mutex());
            progress_locked(true);
            const bool waiting = std::any_of(peers_.begin(), peers_.end(),
                                             [](const Peer &p) { return !p.greeted && !p.lost; });
            if (!waiting || any_lost_locked() || Clock::now() >= deadline) {
                return;
            }
        }
        std::this_thread::sleep_for(sleep);
        sleep = std::min(sleep * 2, std::chrono::duration_cast<Clock::duration>(kMaxSleep));
    }
}

void Transport::wake() {
    {
        std::lock_guard<std::mutex> lock(wake_mutex_);
        woken_ = true;
    }
    wake_cv_.notify_all();
}

const char *Transport::last_error() {
    std::lock_guard<std::mutex> lock(Runtime::get().mutex());
    error_returned_ = error_.empty() ? "no error" : error_;
    return error_returned_.c_str();
}

void Transport::set_error_locked(std::string text) {
    error_ = std::move(text);
}

bool Transport::progress_locked(bool deliver) {
    if (!test_sends_locked()) {
        return false;
    }
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        bool active = false;
        if (!receive_locked(static_cast<int>(i), deliver, &active)) {
            return false;
        }
    }
    heartbeats_locked();
    check_liveness_locked();
    return true;
}

bool Transport::test_sends_locked() {
    for (auto it = outgoing_.begin(); it != outgoing_.end();) {
        int done = 0;
        int rc = MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            // The request is spent either way; the peer is not to be trusted any more.
            const int peer = it->peer;
            it->request = MPI_REQUEST_NULL;
            it = outgoing_.erase(it);
            lose_locked(peer, "a send failed: " + Runtime::error_text(rc));
            continue;
        }
        it = done != 0 ? outgoing_.erase(it) : std::next(it);
    }
    return true;
}

// Takes what `peer` sent: matches the next message (any size) and receives it without
// blocking, up to kReceivesPerRound of them. *active: a receive is still in progress.
bool Transport::receive_locked(int peer, bool deliver, bool *active) {
    Peer &p = peers_[static_cast<std::size_t>(peer)];
    for (int n = 0; n < kReceivesPerRound && !p.lost; ++n) {
        if (p.recv == MPI_REQUEST_NULL) {
            int found = 0;
            MPI_Message message = MPI_MESSAGE_NULL;
            MPI_Status status;
            int rc = MPI_Improbe(p.rank, MPI_ANY_TAG, comm_, &found, &message, &status);
            if (rc != MPI_SUCCESS) {
                lose_locked(peer, "MPI_Improbe failed: " + Runtime::error_text(rc));
                return true;
            }
            if (found == 0) {
                break;
            }
            p.last_heard = Clock::now();
            int count = 0;
            MPI_Get_count(&status, MPI_BYTE, &count);
            p.recv_tag = status.MPI_TAG;
            p.recv_buffer.assign(static_cast<std::size_t>(std::max(count, 0)), 0);
            static char empty = 0;
            void *address = p.recv_buffer.empty() ? &empty : p.recv_buffer.data();
            rc = MPI_Imrecv(address, count, MPI_BYTE, &message, &p.recv);
            if (rc != MPI_SUCCESS) {
                p.recv = MPI_REQUEST_NULL;
                lose_locked(peer, "MPI_Imrecv failed: " + Runtime::error_text(rc));
                return true;
            }
        }
        int done = 0;
        int rc = MPI_Test(&p.recv, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) {
            p.recv = MPI_REQUEST_NULL;
            lose_locked(peer, "a receive failed: " + Runtime::error_text(rc));
            return true;
        }
        if (done == 0) {
            *active = true;
            break;
        }
        p.last_heard = Clock::now();
        if (p.recv_tag == kTagHello) {
            on_hello_locked(peer, p.recv_buffer);
        } else if (p.recv_tag == kTagClose) {
            p.close_tag = p.recv_buffer.empty() ? kCloseAbandoned : p.recv_buffer[0];
            // "close" is expected by a worker in close(); at any other time, and
            // "abandoned" always, the peer is gone for us.
            if (!(closing_ && p.close_tag == kCloseGraceful)) {
                p.recv_buffer = std::vector<char>();
                lose_locked(peer, "it closed the connection");
                return true;
            }
        } else if (p.recv_tag == kTagData && deliver) {
            Event event;
            event.kind = MPROC_REMOTE_MESSAGE;
            event.peer = peer;
            event.data = std::move(p.recv_buffer);
            events_.push_back(std::move(event));
        }
        p.recv_buffer = std::vector<char>();
    }
    return true;
}

void Transport::on_hello_locked(int peer, const std::vector<char> &message) {
    const std::string text(message.begin(), message.end());
    std::string pid, rank, host;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(';', start);
        // host= is last and may hold anything but is taken whole.
        if (text.compare(start, 5, "host=") == 0) {
            end = std::string::npos;
        }
        const std::string field =
            text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (field.rfind("pid=", 0) == 0) {
            pid = field.substr(4);
        } else if (field.rfind("rank=", 0) == 0) {
            rank = field.substr(5);
        } else if (field.rfind("host=", 0) == 0) {
            host = field.substr(5);
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    Peer &p = peers_[static_cast<std::size_t>(peer)];
    if (rank.empty()) {
        rank = std::to_string(p.rank);
    }
    std::string description = "rank " + rank;
    if (!host.empty()) {
        description += " on host " + host;
    }
    if (!pid.empty()) {
        description += " (pid " + pid + ")";
    }
    p.descriptions.push_back(std::move(description));
    p.greeted = true;
    char self_host[256] = {0};
    if (!pid.empty() && ::gethostname(self_host, sizeof self_host - 1) == 0 && host == self_host) {
        p.local_pid = static_cast<pid_t>(std::atol(pid.c_str()));
    }
}

void Transport::heartbeats_locked() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        if (!peers_[i].lost && now - peers_[i].last_sent >= interval_) {
            post_locked(static_cast<int>(i), kTagBeat, std::vector<char>());
        }
    }
}

void Transport::check_liveness_locked() {
    const auto now = Clock::now();
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        if (!peers_[i].lost && now - peers_[i].last_heard > timeout_) {
            lose_locked(static_cast<int>(i),
                        "no word for " + format_seconds(timeout_seconds_) + " s");
        }
    }
}

// Reports `peer` lost once, and lets go of every request that involves it without any
// call that could wait for it: the requests are freed, their buffers kept for ever.
void Transport::lose_locked(int peer, const std::string &why) {
    Peer &p = peers_[static_cast<std::size_t>(peer)];
    if (p.lost) {
        return;
    }
    p.lost = true;
    if (p.recv != MPI_REQUEST_NULL) {
        MPI_Request_free(&p.recv);
        Runtime::get().abandon(std::move(p.recv_buffer));
    }
    for (auto it = outgoing_.begin(); it != outgoing_.end();) {
        if (it->peer != peer) {
            ++it;
            continue;
        }
        if (it->request != MPI_REQUEST_NULL) {
            MPI_Request_free(&it->request);
        }
        Runtime::get().abandon(std::move(it->buffer));
        it = outgoing_.erase(it);
    }
    Event event;
    event.kind = MPROC_REMOTE_LOST;
    event.peer = peer;
    event.text = why;
    events_.push_back(std::move(event));
}

bool Transport::any_lost_locked() const {
    return std::any_of(peers_.begin(), peers_.end(), [](const Peer &p) { return p.lost; });
}

// Frees every request still pending and keeps their buffers: nothing waits on a peer.
void Transport::abandon_locked() {
    for (Peer &p : peers_) {
        if (p.recv != MPI_REQUEST_NULL) {
            MPI_Request_free(&p.recv);
            Runtime::get().abandon(std::move(p.recv_buffer));
        }
    }
    for (Outgoing &out : outgoing_) {
        if (out.request != MPI_REQUEST_NULL) {
            MPI_Request_free(&out.request);
        }
        Runtime::get().abandon(std::move(out.buffer));
    }
    outgoing_.clear();
}

// Waits until nothing is left to send and `done` holds, or a peer is lost, or the
// deadline passes (none: Clock::time_point::max()). Keeps receiving (and dropping) what
// the peers send, so that their sends complete too, and keeps the heartbeats going.
// True when it ended with nothing pending and `done` true.
template <typename Done>
bool Transport::drain(Clock::time_point deadline, Done done) {
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(Runtime::get().mutex());
            progress_locked(false);
            if (silent_loss_locked()) {
                return false;
            }
            const bool receiving = std::any_of(peers_.begin(), peers_.end(), [](const Peer &p) {
                return p.recv != MPI_REQUEST_NULL;
            });
            if (outgoing_.empty() && !receiving && done()) {
                return true;
            }
            if (Clock::now() >= deadline) {
                return false;
            }
        }
        std::this_thread::sleep_for(kMaxSleep);
    }
}

// Graceful: the queued sends complete (the last results, "bye"); then the pool tells
// each worker "close" and the worker waits for it (as long as the pool lives: a worker
// that finished early must not disconnect alone, since the disconnect waits for every
// process of both sides); then both disconnect. Not graceful: each peer that has not
// said so itself gets "abandoned", and both sides disconnect after a short drain -- a
// spawned job whose processes exit without MPI_Finalize is aborted by Open MPI, and a
// spawn that meets that abort hangs, so an orderly end matters even here. A peer lost
// in silence (dead, or cut off) rules any disconnect out: every request is dropped
// without a call that could wait for it, and MPI is never finalised.
void Transport::close(bool graceful) {
    Runtime &runtime = Runtime::get();
    bool silent_loss = false;
    {
        std::lock_guard<std::mutex> lock(runtime.mutex());
        closing_ = true;
        silent_loss = silent_loss_locked();
    }
    bool ready = false;
    if (!silent_loss && graceful) {
        ready = drain(Clock::now() + kCloseWait, [] { return true; });
        if (ready && role_ == MPROC_REMOTE_POOL) {
            say_close(kCloseGraceful);
            ready = drain(Clock::now() + kCloseWait, [] { return true; });
        } else if (ready) {
            ready = drain(Clock::time_point::max(), [this] { return peers_[0].close_tag != 0; });
        }
    } else if (!silent_loss) {
        say_close(kCloseAbandoned);
        drain(Clock::now() + kAbandonDrain, [] { return true; });
        ready = true;
    }
    {
        std::lock_guard<std::mutex> lock(runtime.mutex());
        ready = ready && !silent_loss_locked();
    }
    // A disconnect that fails or times out leaves the process connected (not clean), and
    // in MPI_THREAD_SERIALIZED its thread holds the mutex: no MPI call after it.
    const bool clean = ready && disconnect();
    if (!clean) {
        say_close(kCloseAbandoned);
        std::lock_guard<std::mutex> lock(runtime.mutex());
        abandon_locked();
    }
    runtime.closed(clean);
    if (role_ == MPROC_REMOTE_POOL && kind_ == CommKind::kSpawned) {
        std::vector<pid_t> local;
        for (const Peer &p : peers_) {
            if (p.local_pid > 0) local.push_back(p.local_pid);
        }
        runtime.remember_workers(local);
    }
    if (role_ == MPROC_REMOTE_WORKER) {
        if (clean) {
            runtime.set_worker_released();
        }
        runtime.finalize_if_safe();
    }
}

// Sends `how` to every peer that is not lost and has not closed its end itself (once).
void Transport::say_close(char how) {
    std::lock_guard<std::mutex> lock(Runtime::get().mutex());
    for (std::size_t i = 0; i < peers_.size(); ++i) {
        Peer &p = peers_[i];
        if (!p.lost && p.close_tag == 0 && !p.told_close) {
            p.told_close = true;
            post_locked(static_cast<int>(i), kTagClose, std::vector<char>{how});
        }
    }
}

// A peer lost without telling us it closed: dead or cut off.
bool Transport::silent_loss_locked() const {
    return std::any_of(peers_.begin(), peers_.end(),
                       [](const Peer &p) { return p.lost && p.close_tag == 0; });
}

// Ends the communicator: a free for a duplicate of MPI_COMM_WORLD (local), a disconnect
// for an intercomm (collective: it waits for the other side's disconnect). The
// disconnect runs on a thread of its own and is given kCloseWait; a peer that never
// disconnects leaves that thread blocked in MPI and this transport not clean.
bool Transport::disconnect() {
    Runtime &runtime = Runtime::get();
    if (kind_ == CommKind::kWorld) {
        std::lock_guard<std::mutex> lock(runtime.mutex());
        return MPI_Comm_free(&comm_) == MPI_SUCCESS;
    }
    struct Shared {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        bool ok = false;
    };
    auto shared = std::make_shared<Shared>();
    MPI_Comm comm = comm_;
    const bool multiple = runtime.multiple();
    std::thread([shared, comm, multiple]() mutable {
        int rc = MPI_SUCCESS;
        if (multiple) {
            rc = MPI_Comm_disconnect(&comm);
        } else {
            std::lock_guard<std::mutex> lock(Runtime::get().mutex());
            rc = MPI_Comm_disconnect(&comm);
        }
        std::lock_guard<std::mutex> lock(shared->mutex);
        shared->done = true;
        shared->ok = rc == MPI_SUCCESS;
        shared->cv.notify_all();
    }).detach();
    std::unique_lock<std::mutex> lock(shared->mutex);
    shared->cv.wait_for(lock, kCloseWait, [&] { return shared->done; });
    return shared->done && shared->ok;
}

}  // namespace mproc::mpi
