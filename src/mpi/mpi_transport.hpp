// The MPI transport behind remote_transport.h: whole messages between this process and
// its peers over one communicator (an intercomm to spawned workers or to the parent, or
// a private duplicate of MPI_COMM_WORLD for a static start), with heartbeats.
//
// Everything is nonblocking, because a blocking call on a dead peer never returns (Open
// MPI 4.1): sends are MPI_Isend of a private copy, tested until done; receives are
// MPI_Improbe + MPI_Imrecv per peer (any size, one at a time per peer, so each peer's
// messages come out in order), tested until done; poll() sleeps between rounds with a
// backoff from 20 us to 1 ms that wake() and any traffic cut short. All MPI calls are
// made under Runtime::mutex().
//
// Tags: kTagData (the pool's messages), kTagBeat (an empty "still here"), kTagHello (the
// first message each side sends: "pid=P;rank=R;host=H", for describe()), kTagClose (the
// end: see close()).
#pragma once

#include <sys/types.h>

#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <vector>

#include "pool/remote_transport.h"

namespace mproc::mpi {

inline constexpr int kTagData = 1;
inline constexpr int kTagBeat = 2;
inline constexpr int kTagHello = 3;
inline constexpr int kTagClose = 4;           // one byte: kCloseGraceful or kCloseAbandoned
inline constexpr char kCloseGraceful = 'g';   // pool -> workers: disconnect now
inline constexpr char kCloseAbandoned = 'a';  // either way: gone without a disconnect

// How the communicator came about, which decides how it ends.
enum class CommKind {
    kSpawned,  // pool: intercomm from MPI_Comm_spawn -> MPI_Comm_disconnect
    kParent,   // spawned worker: the parent intercomm -> MPI_Comm_disconnect
    kWorld,    // static start: a duplicate of MPI_COMM_WORLD -> MPI_Comm_free
};

class Transport {
  public:
    // `ranks`: each peer's rank in `comm` (its remote group for an intercomm). Sends the
    // hellos. Called with Runtime::mutex() held.
    Transport(int role, CommKind kind, MPI_Comm comm, std::vector<int> ranks,
              double heartbeat_interval, double heartbeat_timeout);
    Transport(const Transport &) = delete;
    Transport &operator=(const Transport &) = delete;

    mproc_remote_transport_t *table() noexcept { return &table_; }

    const char *describe(int peer);
    int send(int peer, const void *data, std::size_t len);
    int poll(double timeout, mproc_remote_event_t *event);
    void wake();
    const char *last_error();
    // Polls (keeping every event for later) until each peer's hello has come, or a peer
    // is lost, or `limit` seconds passed: describe() then names host and pid from the
    // start, and a worker that never starts shows at once. Without the mutex held.
    void await_hellos(double limit);
    // Ends the transport; the caller then deletes it.
    void close(bool graceful);

  private:
    using Clock = std::chrono::steady_clock;

    struct Peer {
        int rank = 0;
        bool lost = false;
        Clock::time_point last_heard;
        Clock::time_point last_sent;
        std::list<std::string> descriptions;  // the newest is current; older ones stay valid
        bool greeted = false;                 // its hello came
        pid_t local_pid = 0;                  // its pid, when it runs on this host
        char close_tag = 0;                   // its kTagClose byte, once received
        bool told_close = false;              // we sent it ours
        MPI_Request recv = MPI_REQUEST_NULL;  // the message being received, if any
        int recv_tag = 0;
        std::vector<char> recv_buffer;
    };
    struct Outgoing {
        int peer = 0;
        MPI_Request request = MPI_REQUEST_NULL;
        std::vector<char> buffer;
    };
    struct Event {
        int kind = MPROC_REMOTE_NONE;
        int peer = 0;
        std::vector<char> data;
        std::string text;
    };

    // With Runtime::mutex() held.
    bool post_locked(int peer, int tag, std::vector<char> buffer);
    bool progress_locked(bool deliver);
    bool test_sends_locked();
    bool receive_locked(int peer, bool deliver, bool *active);
    void heartbeats_locked();
    void check_liveness_locked();
    void lose_locked(int peer, const std::string &why);
    void on_hello_locked(int peer, const std::vector<char> &message);
    void abandon_locked();
    bool any_lost_locked() const;
    bool silent_loss_locked() const;
    void say_close(char how);
    void set_error_locked(std::string text);
    template <typename Done>
    bool drain(Clock::time_point deadline, Done done);
    bool disconnect();

    mproc_remote_transport_t table_{};
    int role_;
    CommKind kind_;
    MPI_Comm comm_;
    Clock::duration interval_;
    Clock::duration timeout_;
    double timeout_seconds_;
    bool closing_ = false;  // close() has begun
    bool trace_;            // $MPROC_MPI_TRACE set: each event poll() returns goes to stderr
    std::vector<Peer> peers_;
    std::list<Outgoing> outgoing_;
    std::deque<Event> events_;
    Event current_;  // the event last returned by poll(): its data and text stay valid
    std::string error_;
    std::string error_returned_;  // what last_error() handed out

    std::mutex wake_mutex_;
    std::condition_variable wake_cv_;
    bool woken_ = false;
};

// For mproc-mpi-worker (mpi_open.cpp): true when this process was spawned by a pool or
// is a rank > 0 of a static start. False with *err set when MPI cannot start.
bool started_as_worker(std::string *err);

// This process's hello: "pid=P;rank=R;host=H".
std::vector<char> hello_message();

}  // namespace mproc::mpi
