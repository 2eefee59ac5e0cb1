// The MPI transport (libmproc_mpi.so, loaded as libmproc loads it) on its own, with echo
// workers. Dynamic start (no argument): bad options are refused; 2 spawned workers echo
// 1000 messages of 0 .. 100 KB intact and in order, stop, and the transport closes
// gracefully; a second transport in the same process spawns 2 more, one is SIGKILLed,
// and its loss is reported within the heartbeat timeout (the other worker keeps echoing,
// or is reported lost too when Open MPI aborts its job) -- never a hang. Static start
// (--static, under mpiexec -n 3): rank 0 is the pool, ranks 1 and 2 echo.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "transport_check.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<char> payload(int i) {
    const std::size_t size = i == 0 ? 0 : (static_cast<std::size_t>(i) * 7919u) % 102401u;
    std::vector<char> bytes(size);
    for (std::size_t k = 0; k < size; ++k) {
        bytes[k] = static_cast<char>((k * 31u + static_cast<unsigned>(i)) & 0xff);
    }
    return bytes;
}

// Polls until every peer's description has its pid (the hello arrived); bounded.
bool wait_hellos(mproc_remote_transport_t *t, double limit) {
    const auto start = Clock::now();
    while (since(start) < limit) {
        bool all = true;
        for (int p = 0; p < t->peers; ++p) {
            all = all && std::strstr(t->describe(t, p), "(pid ") != nullptr;
        }
        if (all) {
            return true;
        }
        mproc_remote_event_t ev;
        if (t->poll(t, 0.05, &ev) != 0 || ev.kind != MPROC_REMOTE_NONE) {
            std::fprintf(stderr, "unexpected event %d before the hellos\n", ev.kind);
            return false;
        }
    }
    return false;
}

// Sends `count` messages spread over the peers, at most `window` unanswered, and checks
// each echo against what was sent to that peer, in order.
void round_trip(mproc_remote_transport_t *t, int count, int window) {
    std::vector<std::vector<int>> sent(static_cast<std::size_t>(t->peers));
    std::vector<std::size_t> next_echo(static_cast<std::size_t>(t->peers), 0);
    int posted = 0, echoed = 0;
    const auto start = Clock::now();
    while (echoed < count && since(start) < 120) {
        while (posted < count && posted - echoed < window) {
            const int peer = posted % t->peers;
            std::vector<char> bytes = payload(posted);
            CHECK(t->send(t, peer, bytes.data(), bytes.size()) == 0);
            sent[static_cast<std::size_t>(peer)].push_back(posted);
            ++posted;
        }
        mproc_remote_event_t ev;
        CHECK(t->poll(t, 1.0, &ev) == 0);
        if (ev.kind == MPROC_REMOTE_LOST) {
            std::fprintf(stderr, "peer %d lost during the round trip: %s\n", ev.peer, ev.text);
            CHECK(false);
            return;
        }
        if (ev.kind != MPROC_REMOTE_MESSAGE) {
            continue;
        }
        const auto p = static_cast<std::size_t>(ev.peer);
        CHECK(ev.peer >= 0 && ev.peer < t->peers && next_echo[p] < sent[p].size());
        if (g_failures != 0) {
            return;
        }
        const std::vector<char> expected = payload(sent[p][next_echo[p]++]);
        CHECK(ev.len == expected.size());
        CHECK(ev.len == 0 || std::memcmp(ev.data, expected.data(), ev.len) == 0);
        ++echoed;
    }
    CHECK(echoed == count);
    std::printf("round trip: %d messages in %.2f s\n", echoed, since(start));
}

// Tells every echo worker to stop and waits for each one's "bye"; bounded.
void stop_all(mproc_remote_transport_t *t) {
    for (int p = 0; p < t->peers; ++p) {
        CHECK(t->send(t, p, "stop", 4) == 0);
    }
    int byes = 0;
    const auto start = Clock::now();
    while (byes < t->peers && since(start) < 30) {
        mproc_remote_event_t ev;
        CHECK(t->poll(t, 1.0, &ev) == 0);
        if (ev.kind == MPROC_REMOTE_MESSAGE && ev.len == 3 && std::memcmp(ev.data, "bye", 3) == 0) {
            ++byes;
        }
        CHECK(ev.kind != MPROC_REMOTE_LOST);
    }
    CHECK(byes == t->peers);
}

pid_t pid_of(const char *description) {
    const char *at = std::strstr(description, "(pid ");
    return at == nullptr ? 0 : static_cast<pid_t>(std::atoi(at + 5));
}

void refuses_bad_options(mproc_remote_open_fn open) {
    char err[512];
    mproc_remote_transport_t *t = nullptr;
    mproc_remote_options_t o = test_options();
    o.workers = 2;
    o.worker_program = MPROC_ECHO_WORKER_PATH;
    o.info = "host";
    CHECK(open(&o, &t, err, sizeof err) == -1);
    CHECK(std::strstr(err, "malformed MPI info") != nullptr);
    std::printf("malformed info: %s\n", err);
    o.info = nullptr;
    o.worker_program = "/nonexistent/worker";
    CHECK(open(&o, &t, err, sizeof err) == -1);
    CHECK(std::strstr(err, "/nonexistent/worker") != nullptr);
    o.worker_program = MPROC_ECHO_WORKER_PATH;
    o.abi = 99;
    CHECK(open(&o, &t, err, sizeof err) == -1);
    o.abi = MPROC_REMOTE_ABI;
    o.heartbeat_timeout = o.heartbeat_interval;
    CHECK(open(&o, &t, err, sizeof err) == -1);
    CHECK(open(nullptr, &t, err, sizeof err) == -1);
}

mproc_remote_transport_t *spawn(mproc_remote_open_fn open, int workers) {
    mproc_remote_options_t o = test_options();
    o.workers = workers;
    o.worker_program = MPROC_ECHO_WORKER_PATH;
    o.info = "";
    char err[512] = "";
    mproc_remote_transport_t *t = nullptr;
    if (open(&o, &t, err, sizeof err) != 0) {
        std::fprintf(stderr, "open: %s\n", err);
        std::exit(1);
    }
    CHECK(t->role == MPROC_REMOTE_POOL && t->peers == workers);
    return t;
}

void graceful_round_trip(mproc_remote_open_fn open) {
    mproc_remote_transport_t *t = spawn(open, 2);
    CHECK(wait_hellos(t, 30));
    for (int p = 0; p < t->peers; ++p) {
        std::printf("worker %d: %s\n", p, t->describe(t, p));
    }
    char none[1] = {0};
    CHECK(t->send(t, 2, none, 1) == -1);
    CHECK(t->send(t, -1, none, 1) == -1);
    round_trip(t, 1000, 16);
    stop_all(t);
    const auto start = Clock::now();
    t->close(t, 1);
    std::printf("graceful close in %.2f s\n", since(start));
    CHECK(since(start) < 10);
}

void killed_worker_is_lost(mproc_remote_open_fn open) {
    mproc_remote_transport_t *t = spawn(open, 2);
    CHECK(wait_hellos(t, 30));
    round_trip(t, 20, 4);
    const pid_t victim = pid_of(t->describe(t, 0));
    CHECK(victim > 0);
    if (victim <= 0) {
        t->close(t, 0);
        return;
    }
    CHECK(kill(victim, SIGKILL) == 0);
    const auto killed = Clock::now();
    bool lost0 = false, lost1 = false, echo1 = false;
    double lost_after = -1;
    // Ask worker 1 for echoes meanwhile: it answers, or is reported lost (Open MPI may
    // abort its job with the killed one).
    int asked = 0;
    while (!(lost0 && (lost1 || echo1)) && since(killed) < 20) {
        if (!lost1 && asked == 0 && lost0) {
            asked = t->send(t, 1, "ping", 4) == 0 ? 1 : 0;
            if (asked == 0) {
                lost1 = true;
            }
        }
        mproc_remote_event_t ev;
        CHECK(t->poll(t, 0.5, &ev) == 0);
        if (ev.kind == MPROC_REMOTE_LOST) {
            std::printf("lost peer %d after %.2f s: %s\n", ev.peer, since(killed), ev.text);
            CHECK(ev.text != nullptr && std::strstr(ev.text, "no word for") != nullptr);
            if (ev.peer == 0) {
                CHECK(!lost0);  // once
                lost0 = true;
                lost_after = since(killed);
            } else {
                lost1 = true;
            }
        } else if (ev.kind == MPROC_REMOTE_MESSAGE && ev.peer == 1) {
            echo1 = true;
        }
    }
    CHECK(lost0);
    CHECK(lost_after >= 0 && lost_after < 2.0 + 3.0);  // the timeout, and slack for a busy host
    CHECK(lost1 || echo1);
    CHECK(t->send(t, 0, "ping", 4) == -1);
    std::printf("worker 1: %s\n", lost1 ? "lost too" : "still echoing");
    const auto start = Clock::now();
    t->close(t, 0);
    CHECK(since(start) < 2);
}

int run_dynamic() {
    mproc_remote_open_fn open = load_plugin();
    refuses_bad_options(open);
    graceful_round_trip(open);
    killed_worker_is_lost(open);
    return g_failures == 0 ? 0 : 1;
}

int run_static() {
    mproc_remote_open_fn open = load_plugin();
    mproc_remote_options_t o = test_options();
    char err[512] = "";
    mproc_remote_transport_t *t = nullptr;
    if (open(&o, &t, err, sizeof err) != 0) {
        std::fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    if (t->role == MPROC_REMOTE_WORKER) {
        return echo_loop(t);
    }
    CHECK(t->peers == 2 && t->self_rank == 0);
    CHECK(wait_hellos(t, 30));
    for (int p = 0; p < t->peers; ++p) {
        std::printf("worker %d: %s\n", p, t->describe(t, p));
        CHECK(std::strncmp(t->describe(t, p), p == 0 ? "rank 1 " : "rank 2 ", 7) == 0);
    }
    round_trip(t, 300, 16);
    stop_all(t);
    t->close(t, 1);
    // A second pool: the worker ranks are gone.
    CHECK(open(&o, &t, err, sizeof err) == -1);
    std::printf("second static pool: %s\n", err);
    return g_failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
    setvbuf(stdout, nullptr, _IOLBF, 0);
    const bool is_static = argc > 1 && std::strcmp(argv[1], "--static") == 0;
    const int rc = is_static ? run_static() : run_dynamic();
    std::printf("%s\n", rc == 0 ? "PASS" : "FAIL");
    return rc;
}
