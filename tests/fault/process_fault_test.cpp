// Process: a daemon child dies with the process that started it, even when that process
// is SIGKILLed at a random moment right after start (possibly before the child has armed
// PR_SET_PDEATHSIG: it then sees its new parent and kills itself); a non-daemon child
// survives its parent's death.
//
// Each round runs in a "harness" process made a child subreaper, so that the orphaned
// child is reparented to the harness, which can then wait for it and read how it died.
// The harness forks the "parent", which starts the child through mproc and is SIGKILLed.
#include <mproc/mproc.h>
#include <sys/prctl.h>

#include <algorithm>

#include "fault_support.hpp"

using namespace mproc_fault;

namespace {

struct Board {
    std::atomic<int> ready;
    std::atomic<int> child_pid;
};

int sleep_a_minute(void *) {
    for (int i = 0; i < 600; ++i)
        sleep_us(100'000);
    return 0;
}

// The parent: starts a child that sleeps (a function task when forked; libc's sleep(60),
// a task reference, when spawned), publishes its pid, and waits to be killed.
int parent_body(Board *board, int daemon, int method) {
    mproc_task_t *task = nullptr;
    if (method == MPROC_START_SPAWN) {
        if (mproc_task_create("libc.so.6", "sleep", "I(I)", &task) != MPROC_OK) return 20;
        if (mproc_task_arg_uint(task, 60) != MPROC_OK) return 20;
    } else if (mproc_task_from_function(sleep_a_minute, nullptr, &task) != MPROC_OK) {
        return 20;
    }
    mproc_process_options_t opts;
    mproc_process_options_init(&opts);
    opts.daemon = daemon;
    opts.start_method = method;
    mproc_process_t *p = nullptr;
    if (mproc_process_create(task, &opts, &p) != MPROC_OK) return 21;
    if (mproc_process_start(p) != MPROC_OK) return 22;
    int pid = 0;
    if (mproc_process_pid(p, &pid) != MPROC_OK) return 23;
    board->child_pid.store(pid);
    board->ready.store(1);
    for (int i = 0; i < 600; ++i)
        sleep_us(100'000);
    return 24;  // never killed
}

// waitpid with a bound: the wait status, or -1 on timeout (nothing is killed).
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
    kParentNotReady,
    kParentNotKilled,
    kDaemonSurvived,
    kDaemonDiedOtherwise,
    kChildDiedWithParent,
    kChildNotKilled,
};

// One round: 0 if the child met the fate its daemon flag promises.
int harness(int daemon, long kill_delay_us, int method = MPROC_START_FORK) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return kNoSubreaper;
    Board *board = shared_block<Board>();
    pid_t parent = spawn([&] { return parent_body(board, daemon, method); });
    if (!await_flag(board->ready, 20.0)) {
        kill(parent, SIGKILL);
        return kParentNotReady;
    }
    const pid_t child = board->child_pid.load();
    sleep_us(kill_delay_us);
    if (!kill_victim(parent, true)) return kParentNotKilled;
    // The child is ours now (subreaper).
    if (daemon) {
        const int status = wait_status(child, 2.0);
        if (status == -1) {
            kill(child, SIGKILL);
            wait_status(child, 10.0);
            return kDaemonSurvived;
        }
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? kPassed : kDaemonDiedOtherwise;
    }
    if (wait_status(child, 0.5) != -1) return kChildDiedWithParent;
    kill(child, SIGKILL);
    const int status = wait_status(child, 10.0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? kPassed : kChildNotKilled;
}

int rounds_here(int cap) {
    return std::min(rounds(), cap);
}

}  // namespace

TEST(ProcessFault, DaemonChildDiesWhenItsParentIsKilled) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(100);
    for (int round = 0; round < n; ++round) {
        // Mostly at once (the child may not have armed its death signal yet), sometimes
        // later.
        const long delay = round % 4 == 3 ? random_us(20'000) : random_us(300);
        const pid_t h = spawn([&] { return harness(1, delay); });
        ASSERT_EQ(reap(h, 60.0), kPassed) << "round " << round << ", kill after " << delay << " us";
    }
}

TEST(ProcessFault, NonDaemonChildSurvivesItsParent) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(10);
    for (int round = 0; round < n; ++round) {
        const pid_t h = spawn([&] { return harness(0, random_us(300)); });
        ASSERT_EQ(reap(h, 60.0), kPassed) << "round " << round;
    }
}

// The same with the spawn start method: the child is mproc-worker, which arms its death
// signal only after reading its job, and checks then that its parent still lives.
TEST(ProcessFault, SpawnedDaemonChildDiesWhenItsParentIsKilled) {
    MPROC_SKIP_FORK_UNDER_TSAN();
    const int n = rounds_here(30);
    for (int round = 0; round < n; ++round) {
        const long delay = round % 4 == 3 ? random_us(20'000) : random_us(300);
        const pid_t h = spawn([&] { return harness(1, delay, MPROC_START_SPAWN); });
        ASSERT_EQ(reap(h, 60.0), kPassed) << "round " << round << ", kill after " << delay << " us";
    }
}
