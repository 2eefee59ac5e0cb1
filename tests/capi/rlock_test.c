/* rlock_test.c -- mproc_rlock_* driven from C: recursion, ownership by thread and by
 * process, close waking a blocked acquire, anonymous rlocks, and a dead owner. */
#include "check.h"

static void recursion_counts_levels(void) {
    char name[64];
    mproc_rlock_t *rl = NULL;
    unsigned int count = 99;
    int owned = -1;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &rl));
    CHECK_OK(mproc_rlock_count(rl, &count));
    CHECK(count == 0);
    CHECK_OK(mproc_rlock_is_owned(rl, &owned));
    CHECK(owned == 0);
    for (unsigned int i = 1; i <= 3; i++) {
        CHECK_OK(mproc_rlock_acquire(rl, 0));
        CHECK_OK(mproc_rlock_count(rl, &count));
        CHECK(count == i);
    }
    CHECK_OK(mproc_rlock_is_owned(rl, &owned));
    CHECK(owned == 1);
    for (unsigned int i = 3; i >= 1; i--) {
        CHECK_OK(mproc_rlock_release(rl));
        CHECK_OK(mproc_rlock_count(rl, &count));
        CHECK(count == i - 1);
    }
    CHECK_OK(mproc_rlock_is_owned(rl, &owned));
    CHECK(owned == 0);
    CHECK_RC(mproc_rlock_release(rl), MPROC_ENOTOWNER);
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(name));
}

static void release_of_free_rlock_is_not_owner(void) {
    char name[64];
    mproc_rlock_t *rl = NULL;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &rl));
    CHECK_RC(mproc_rlock_release(rl), MPROC_ENOTOWNER);
    CHECK(mproc_last_error()[0] != '\0');
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(name));
}

/* Ownership belongs to the thread, not to the handle: a second handle in the owning
 * thread sees the same levels. */
static void ownership_follows_thread_across_handles(void) {
    char name[64];
    mproc_rlock_t *a = NULL, *b = NULL;
    unsigned int count = 0;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &a));
    CHECK_OK(mproc_rlock_open(name, &b));
    CHECK_OK(mproc_rlock_acquire(a, 0));
    CHECK_OK(mproc_rlock_acquire(b, 0));
    CHECK_OK(mproc_rlock_count(b, &count));
    CHECK(count == 2);
    CHECK_OK(mproc_rlock_release(b));
    CHECK_OK(mproc_rlock_release(a));
    CHECK_OK(mproc_rlock_count(a, &count));
    CHECK(count == 0);
    CHECK_OK(mproc_rlock_close(a));
    CHECK_OK(mproc_rlock_close(b));
    CHECK_OK(mproc_rlock_unlink(name));
}

/* ---- Threads -------------------------------------------------------------------------- */

struct other_thread_arg {
    mproc_rlock_t *rl;
    atomic_int phase; /* 1: main holds it, thread checks; 2: main released it */
};

static void *non_owner_thread(void *p) {
    struct other_thread_arg *arg = p;
    unsigned int count = 99;
    int owned = -1;
    CHECK_RC(mproc_rlock_acquire(arg->rl, 0), MPROC_ETIMEDOUT);
    CHECK_RC(mproc_rlock_release(arg->rl), MPROC_ENOTOWNER);
    CHECK_OK(mproc_rlock_count(arg->rl, &count));
    CHECK(count == 0);
    CHECK_OK(mproc_rlock_is_owned(arg->rl, &owned));
    CHECK(owned == 0);
    atomic_store(&arg->phase, 2);
    /* Main releases both levels now; then this thread gets it. */
    CHECK_OK(mproc_rlock_acquire(arg->rl, 10.0));
    CHECK_OK(mproc_rlock_count(arg->rl, &count));
    CHECK(count == 1);
    CHECK_OK(mproc_rlock_release(arg->rl));
    return NULL;
}

static void other_thread_cannot_take_or_release(void) {
    char name[64];
    struct other_thread_arg arg = {0};
    unsigned int count = 0;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &arg.rl));
    CHECK_OK(mproc_rlock_acquire(arg.rl, 0));
    CHECK_OK(mproc_rlock_acquire(arg.rl, 0));
    pthread_t t = start_thread(non_owner_thread, &arg);
    CHECK(await_at_least(&arg.phase, 2, 10.0));
    /* The thread's failed release must not have dropped a level. */
    CHECK_OK(mproc_rlock_count(arg.rl, &count));
    CHECK(count == 2);
    CHECK_OK(mproc_rlock_release(arg.rl));
    CHECK_OK(mproc_rlock_release(arg.rl));
    pthread_join(t, NULL);
    CHECK_OK(mproc_rlock_close(arg.rl));
    CHECK_OK(mproc_rlock_unlink(name));
}

struct blocked_arg {
    mproc_rlock_t *rl;
    atomic_int started;
    int rc;
};

static void *acquire_blocking(void *p) {
    struct blocked_arg *arg = p;
    atomic_store(&arg->started, 1);
    arg->rc = mproc_rlock_acquire(arg->rl, 10.0);
    return NULL;
}

static void close_wakes_blocked_acquire(void) {
    char name[64];
    mproc_rlock_t *holder = NULL;
    struct blocked_arg arg = {0};
    unsigned int count = 0;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &holder));
    CHECK_OK(mproc_rlock_open(name, &arg.rl));
    CHECK_OK(mproc_rlock_acquire(holder, 0));
    pthread_t t = start_thread(acquire_blocking, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.2);
    double start = now_seconds();
    CHECK_OK(mproc_rlock_close(arg.rl));
    pthread_join(t, NULL);
    CHECK_RC(arg.rc, MPROC_ECLOSED);
    CHECK(now_seconds() - start < 5.0);
    CHECK_OK(mproc_rlock_count(holder, &count));
    CHECK(count == 1);
    CHECK_OK(mproc_rlock_release(holder));
    CHECK_OK(mproc_rlock_close(holder));
    CHECK_OK(mproc_rlock_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

static void other_process_cannot_take_or_release(void) {
    char name[64];
    mproc_rlock_t *rl = NULL;
    atomic_int *phase = shared_alloc(sizeof(atomic_int));
    unsigned int count = 0;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &rl));
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_rlock_t *mine = NULL;
        int owned = -1;
        CHECK_OK(mproc_rlock_open(name, &mine));
        CHECK_RC(mproc_rlock_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_RC(mproc_rlock_release(mine), MPROC_ENOTOWNER);
        CHECK_OK(mproc_rlock_is_owned(mine, &owned));
        CHECK(owned == 0);
        atomic_store(phase, 1);
        CHECK_OK(mproc_rlock_acquire(mine, 20.0));
        atomic_store(phase, 2);
        CHECK_OK(mproc_rlock_is_owned(mine, &owned));
        CHECK(owned == 1);
        CHECK_OK(mproc_rlock_release(mine));
        CHECK_OK(mproc_rlock_close(mine));
        child_exit();
    }
    CHECK(await_at_least(phase, 1, 20.0));
    CHECK_OK(mproc_rlock_count(rl, &count));
    CHECK(count == 2);
    CHECK_OK(mproc_rlock_release(rl));
    sleep_seconds(0.1);
    CHECK(atomic_load(phase) == 1); /* one level left: the child must still be waiting */
    CHECK_OK(mproc_rlock_release(rl));
    CHECK(await_at_least(phase, 2, 20.0));
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_rlock_acquire(rl, 5.0));
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(name));
    shared_free(phase, sizeof(atomic_int));
}

/* The thread id alone does not identify an owner: a forked child's main thread may have
 * the same thread id as the parent's, so an inherited handle must not let the child in. */
static void forked_child_does_not_inherit_ownership(void) {
    char name[64];
    mproc_rlock_t *rl = NULL;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &rl));
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        unsigned int count = 99;
        int owned = -1;
        CHECK_OK(mproc_rlock_count(rl, &count));
        CHECK(count == 0);
        CHECK_OK(mproc_rlock_is_owned(rl, &owned));
        CHECK(owned == 0);
        CHECK_RC(mproc_rlock_acquire(rl, 0), MPROC_ETIMEDOUT);
        CHECK_RC(mproc_rlock_release(rl), MPROC_ENOTOWNER);
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(name));
}

static void anonymous_rlock_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_rlock_t *rl = NULL, *again = NULL;
    CHECK_OK(mproc_rlock_create(NULL, NULL, &rl));
    CHECK_OK(mproc_rlock_name(rl, name, sizeof name));
    CHECK(strlen(name) >= 1);
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_rlock_t *mine = NULL;
        CHECK_OK(mproc_rlock_open(name, &mine));
        CHECK_RC(mproc_rlock_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_OK(mproc_rlock_close(mine));
        CHECK_OK(mproc_rlock_close(rl)); /* not the creator: the name stays */
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_rlock_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_rlock_close(again));
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_RC(mproc_rlock_open(name, &again), MPROC_ENOTFOUND);
}

/* ---- Owner death ---------------------------------------------------------------------- */

static void dead_owner_is_reported_then_rlock_works(int by_sigkill) {
    char name[64];
    mproc_rlock_t *rl = NULL;
    unsigned int count = 0;
    int owned = -1;
    CHECK_OK(mproc_rlock_create(test_name(name, sizeof name, "rlock"), NULL, &rl));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_rlock_t *mine = NULL;
        if (!CHECK_OK(mproc_rlock_open(name, &mine))) child_exit();
        if (!CHECK_OK(mproc_rlock_acquire(mine, 5.0))) child_exit();
        if (!CHECK_OK(mproc_rlock_acquire(mine, 5.0))) child_exit(); /* two levels */
        fflush(NULL);
        if (by_sigkill) raise(SIGKILL);
        _exit(0);
    }
    if (by_sigkill) {
        CHECK_CHILD_KILLED(pid, SIGKILL);
    } else {
        CHECK_CHILD_EXITED(pid);
    }
    CHECK_RC(mproc_rlock_acquire(rl, 5.0), MPROC_EOWNERDEAD);
    /* The new owner holds one level of its own, not the dead owner's two. */
    CHECK_OK(mproc_rlock_is_owned(rl, &owned));
    CHECK(owned == 1);
    CHECK_OK(mproc_rlock_count(rl, &count));
    CHECK(count == 1);
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_is_owned(rl, &owned));
    CHECK(owned == 0);
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(name));
}

static void owner_that_exits_holding_rlock_is_reported(void) {
    dead_owner_is_reported_then_rlock_works(0);
}

static void owner_killed_holding_rlock_is_reported(void) {
    dead_owner_is_reported_then_rlock_works(1);
}

int main(void) {
    RUN(recursion_counts_levels);
    RUN(release_of_free_rlock_is_not_owner);
    RUN(ownership_follows_thread_across_handles);
    RUN(other_thread_cannot_take_or_release);
    RUN(close_wakes_blocked_acquire);
    RUN(other_process_cannot_take_or_release);
    RUN(forked_child_does_not_inherit_ownership);
    RUN(anonymous_rlock_is_reachable_by_its_name_until_creator_closes);
    RUN(owner_that_exits_holding_rlock_is_reported);
    RUN(owner_killed_holding_rlock_is_reported);
    return check_report();
}
