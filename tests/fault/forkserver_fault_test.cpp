// The forkserver start method under SIGKILL: the daemon children of a forkserver die when
// the client is killed at a random moment after starting them, and the server itself ends;
// non-daemon children run on; a server killed at a random moment (even in the middle of a
// start) never hangs a start, and the next start works again.
//
// As in process_fault_test.cpp, each round runs in a "harness" made a child subreaper, so
// that the server and the children, orphaned by the client's death, are reparented to it
// and it can wait for them and read how they ended.
#include <mproc/mproc.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "fault_support.hpp"

using namespace mproc_fault;

namespace {

struct Board {
    std::atomic<int> ready;
    std::atomic<int> child_pid;
    std::atomic<int> server_pid;
};

// The parent's pid of `pid` from /proc, or 0.
int parent_of(int pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = std::fopen(path, "r");
    if (f == nullptr) return 0;
    char buf[512] = {};
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char *paren = std::strrchr(buf, ')');
    char state = 0;
    int ppid = 0;
    if (paren == nullptr || std::sscanf(paren + 1, " %c %d", &state, &ppid) != 2) return 0;
    return ppid;
}

// A forkserver process running libc's sleep(seconds) or abs(-value); nullptr on failure.
mproc_process_t *make(const char *symbol, long long arg, int daemon) {
    mproc_task_t *task = nullptr;
    const bool is_sleep = std::strcmp(symbol, "sleep") == 0;
    if (mproc_task_create("libc.so.6", symbol, is_sleep ? "I(I)" : "i(i)", &task) != MPROC_OK) {
        return nullptr;
    }
    const int rc = is_sleep ? mproc_task_arg_uint(task, static_cast<unsigned long long>(arg))
                            : mproc_task_arg_int(task, arg);
    mproc_process_options_t opts;
    mproc_process_options_init(&opts);
    opts.daemon = daemon;
    opts.start_method = MPROC_START_FORKSERVER;
    mproc_process_t *p = nullptr;
    if (rc != MPROC_OK || mproc_process_create(task, &opts, &p) != MPROC_OK) p = nullptr;
    mproc_task_close(task);
    return p;
}

// The client: starts a sleeping child through the forkserver, publishes its pid and the
// server's, and waits to be killed.
int client_body(Board *board, int daemon) {
    mproc_process_t *p = make("sleep", 60, daemon);
    if (p == nullptr) return 21;
    if (mproc_process_start(p) != MPROC_OK) return 22;
    int pid = 0;
    if (mproc_process_pid(p, &pid) != MPROC_OK) return 23;
    board->child_pid.store(pid);
    board->server_pid.store(parent_of(pid));
    board->ready.store(1);
    for (int i = 0; i < 600; ++i)
        sleep_us(100'000);
    return 24;  // never killed
}

// waitpid with a bound: the wait status, or -1 on timeout or if it is not our child.
int wait_status(pid_t pid, double timeout_s) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 || std::chrono::steady_clock::now() >= end) return -1;
        sleep_us(200);
    }
}

enum HarnessResult {
    kPassed = 0,
    kNoSubreaper = 30,
    kClientNotReady,
    kNoServer,
    kClientNotKilled,
    kServerSurvived,
    kServerDiedOtherwise,
    kDaemonSurvived,
    kDaemonDiedOtherwise,
    kChildDiedWithClient,
    kChildNotKilled,
};

// One round: 0 if the server ended and the child met the fate its daemon flag promises.
int harness(int daemon, long kill_delay_us) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return kNoSubreaper;
    Board *board = shared_block<Board>();
    pid_t client = spawn([&] { return client_body(board, daemon); });
    if (!await_flag(board->ready, 60.0)) {
        kill(client, SIGKILL);
        return kClientNotReady;
    }
    const pid_t child = board->child_pid.load();
    const pid_t server = board->server_pid.load();
    if (server <= 1) {
        kill(client, SIGKILL);
        kill(child, SIGKILL);
        return kNoServer;
    }
    sleep_us(kill_delay_us);
    if (!kill_victim(client, true)) return kClientNotKilled;
    // The server is ours now (subreaper): it must see the end of its control channel, and
    // leave. Its children are ours once it has gone.
    const int server_status = wait_status(server, 20.0);
    if (server_status == -1) {
        kill(server, SIGKILL);
        kill(child, SIGKILL);
        wait_status(server, 10.0);
        wait_status(child, 10.0);
        return kServerSurvived;
    }
    if (!WIFEXITED(server_status) || WEXITSTATUS(server_status) != 0) {
        kill(child, SIGKILL);
        wait_status(child, 10.0);
        return kServerDiedOtherwise;
    }
    if (daemon) {
        const int status = wait_status(child, 5.0);
        if (status == -1) {
            kill(child, SIGKILL);
            wait_status(child, 10.0);
            return kDaemonSurvived;
        }
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? kPassed : kDaemonDiedOtherwise;
    }
    if (wait_status(child, 0.5) != -1) return kChildDiedWithClient;
    kill(child, SIGKILL);
    const int status = wait_status(child, 10.0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? kPassed : kChildNotKilled;
}

int rounds_here(int cap) {
    return std::min(rounds(), cap);
}

// One round in a fresh process (a server of its own): a child runs, the server is killed
// at a random moment while the next start may be under way; that start returns (OK or an
// error, never a hang), and the one after works. 0 if all went so.
int server_kill_round(long kill_delay_us) {
    mproc_process_t *first = make("sleep", 60, 0);
    if (first == nullptr || mproc_process_start(first) != MPROC_OK) return 40;
    int first_pid = 0;
    mproc_process_pid(first, &first_pid);
    const int server = parent_of(first_pid);
    if (server <= 1) return 41;
    std::thread killer([&] {
        sleep_us(kill_delay_us);
        kill(server, SIGKILL);
    });
    mproc_process_t *second = make("abs", -5, 0);
    const auto begin = std::chrono::steady_clock::now();
    const int rc = second == nullptr ? MPROC_EINVAL : mproc_process_start(second);
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    killer.join();
    int result = 0;
    if (took > 30.0) result = 42;
    if (rc == MPROC_OK) {
        // It ran on the old server or on a new one: it ends, with 5 or an unknown status.
        if (mproc_process_join(second, 60.0) != MPROC_OK) result = 43;
        int code = 0;
        const int erc = mproc_process_exitcode(second, &code);
        if (result == 0 && !(erc == MPROC_OK ? code == 5 : erc == MPROC_ESYSTEM)) result = 44;
    } else if (rc != MPROC_ESYSTEM) {
        result = 45;
    }
    // The first child runs on without its server; end it.
    mproc_process_kill(first);
    if (mproc_process_join(first, 60.0) != MPROC_OK && result == 0) result = 46;
    mproc_process_t *third = make("abs", -6, 1);
    int code = -1;
    if (third == nullptr || mproc_process_start(third) != MPROC_OK) {
        if (result == 0) result = 47;
    } else if (mproc_process_join(third, 60.0) != MPROC_OK ||
               mproc_process_exitcode(third, &code) != MPROC_OK || code != 6) {
        if (result == 0) result = 48;
    }
    if (second != nullptr) mproc_process_close(second);
    if (third != nullptr) mproc_process_close(third);
    mproc_process_close(first);
    return result;
}

}  // namespace

TEST(ForkserverFault, DaemonChildrenDieWhenTheClientIsKilled) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(30);
    for (int round = 0; round < n; ++round) {
        const long delay = round % 4 == 3 ? random_us(20'000) : random_us(300);
        const pid_t h = spawn([&] { return harness(1, delay); });
        ASSERT_EQ(reap(h, 120.0), kPassed)
            << "round " << round << ", kill after " << delay << " us";
    }
}

TEST(ForkserverFault, NonDaemonChildrenSurviveTheClient) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(10);
    for (int round = 0; round < n; ++round) {
        const pid_t h = spawn([&] { return harness(0, random_us(300)); });
        ASSERT_EQ(reap(h, 120.0), kPassed) << "round " << round;
    }
}

TEST(ForkserverFault, AKilledServerNeverHangsAStartAndIsReplaced) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(30);
    for (int round = 0; round < n; ++round) {
        const long delay = random_us(3'000);
        const pid_t h = spawn([&] { return server_kill_round(delay); });
        ASSERT_EQ(reap(h, 300.0), 0) << "round " << round << ", kill after " << delay << " us";
    }
}
