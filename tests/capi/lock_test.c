/* lock_test.c -- mproc_lock_* driven from C: between threads, between forked processes,
 * anonymous locks, close waking a blocked acquire, and a dead owner. */
#include "check.h"

#include <sys/stat.h>

/* ---- One process ---------------------------------------------------------------------- */

static void acquire_release_toggles_locked(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 0);
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 1);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 0);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void lock_is_not_recursive(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, -1));
    CHECK_RC(mproc_lock_acquire(lock, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void release_of_unlocked_lock_is_not_owner(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_RC(mproc_lock_release(lock), MPROC_ENOTOWNER);
    CHECK(mproc_last_error()[0] != '\0');
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_release(lock));
    CHECK_RC(mproc_lock_release(lock), MPROC_ENOTOWNER);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void acquire_waits_about_its_timeout(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    double start = now_seconds();
    CHECK_RC(mproc_lock_acquire(lock, 0.2), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.19);
    CHECK(waited < 2.0);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void two_handles_share_one_lock(void) {
    char name[64];
    mproc_lock_t *a = NULL, *b = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &a));
    CHECK_OK(mproc_lock_open(name, &b));
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_locked(b, &locked));
    CHECK(locked == 1);
    CHECK_RC(mproc_lock_acquire(b, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_lock_release(b)); /* any holder of a handle may release */
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_release(a));
    CHECK_OK(mproc_lock_close(a));
    CHECK_OK(mproc_lock_close(b));
    CHECK_OK(mproc_lock_unlink(name));
}

static void create_with_open_existing_attaches(void) {
    char name[64];
    mproc_lock_t *a = NULL, *b = NULL;
    mproc_options_t opts;
    int locked = -1;
    CHECK_OK(mproc_options_init(&opts));
    opts.flags = MPROC_OPEN_EXISTING;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), &opts, &a));
    CHECK_OK(mproc_lock_create(name, &opts, &b));
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_locked(b, &locked));
    CHECK(locked == 1);
    CHECK_OK(mproc_lock_release(a));
    CHECK_OK(mproc_lock_close(a));
    CHECK_OK(mproc_lock_close(b));
    CHECK_OK(mproc_lock_unlink(name));
}

static void name_returns_the_created_name(void) {
    char name[64], got[MPROC_NAME_MAX + 1];
    mproc_lock_t *lock = NULL;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_name(lock, got, sizeof got));
    CHECK(strcmp(got, name) == 0);
    /* Exactly strlen + 1 bytes is enough. */
    CHECK_OK(mproc_lock_name(lock, got, strlen(name) + 1));
    CHECK_RC(mproc_lock_name(lock, got, strlen(name)), MPROC_ETOOBIG);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

/* Segments are 0600 unless the options ask otherwise. */
static void permissions_default_to_0600_and_follow_options(void) {
    char name[64], path[128];
    mproc_lock_t *lock = NULL;
    mproc_options_t opts;
    struct stat st;
    mode_t old_umask = umask(022);

    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    snprintf(path, sizeof path, "/dev/shm/mproc.%s", name);
    CHECK(stat(path, &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));

    CHECK_OK(mproc_options_init(&opts));
    opts.permissions = 0640;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), &opts, &lock));
    snprintf(path, sizeof path, "/dev/shm/mproc.%s", name);
    CHECK(stat(path, &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
    umask(old_umask);
}

static void unlink_removes_name_but_handles_keep_working(void) {
    char name[64];
    mproc_lock_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &a));
    CHECK_OK(mproc_lock_unlink(name));
    CHECK_RC(mproc_lock_open(name, &b), MPROC_ENOTFOUND);
    CHECK_RC(mproc_lock_unlink(name), MPROC_ENOTFOUND);
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_release(a));
    /* The name is free again for a new, unrelated lock. */
    CHECK_OK(mproc_lock_create(name, NULL, &b));
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_acquire(b, 0));
    CHECK_OK(mproc_lock_release(a));
    CHECK_OK(mproc_lock_release(b));
    CHECK_OK(mproc_lock_close(a));
    CHECK_OK(mproc_lock_close(b));
    CHECK_OK(mproc_lock_unlink(name));
}

/* ---- Threads -------------------------------------------------------------------------- */

enum { COUNT_THREADS = 4, COUNT_ROUNDS = 20000 };

struct counter_arg {
    mproc_lock_t *lock;
    long *counter; /* plain, not atomic: the lock is what makes the increments exact */
};

static void *count_under_lock(void *p) {
    struct counter_arg *arg = p;
    for (int i = 0; i < COUNT_ROUNDS; i++) {
        if (mproc_lock_acquire(arg->lock, 10.0) != MPROC_OK) {
            FAIL("acquire failed in counting thread");
            return NULL;
        }
        long v = *arg->counter;
        *arg->counter = v + 1;
        CHECK_OK(mproc_lock_release(arg->lock));
    }
    return NULL;
}

static void lock_makes_thread_increments_exact(void) {
    char name[64];
    long counter = 0;
    pthread_t threads[COUNT_THREADS];
    struct counter_arg arg;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &arg.lock));
    arg.counter = &counter;
    for (int i = 0; i < COUNT_THREADS; i++)
        threads[i] = start_thread(count_under_lock, &arg);
    for (int i = 0; i < COUNT_THREADS; i++)
        pthread_join(threads[i], NULL);
    CHECK(counter == (long)COUNT_THREADS * COUNT_ROUNDS);
    CHECK_OK(mproc_lock_close(arg.lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void *release_from_thread(void *p) {
    CHECK_OK(mproc_lock_release((mproc_lock_t *)p));
    return NULL;
}

static void another_thread_may_release(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    pthread_join(start_thread(release_from_thread, lock), NULL);
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 0);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

struct blocked_arg {
    mproc_lock_t *lock;
    atomic_int started;
    int rc;
};

static void *acquire_blocking(void *p) {
    struct blocked_arg *arg = p;
    atomic_store(&arg->started, 1);
    arg->rc = mproc_lock_acquire(arg->lock, 10.0);
    return NULL;
}

static void release_wakes_blocked_thread(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    struct blocked_arg arg = {0};
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    arg.lock = lock;
    pthread_t t = start_thread(acquire_blocking, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.1);
    double start = now_seconds();
    CHECK_OK(mproc_lock_release(lock));
    pthread_join(t, NULL);
    CHECK_RC(arg.rc, MPROC_OK);
    CHECK(now_seconds() - start < 2.0);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

/* Closing a handle wakes an acquire blocked on that same handle with MPROC_ECLOSED; the
 * lock itself (held through the other handle) is untouched. */
static void close_wakes_blocked_acquire(void) {
    char name[64];
    mproc_lock_t *holder = NULL;
    struct blocked_arg arg = {0};
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &holder));
    CHECK_OK(mproc_lock_open(name, &arg.lock));
    CHECK_OK(mproc_lock_acquire(holder, 0));
    pthread_t t = start_thread(acquire_blocking, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.2); /* let it get into the futex wait */
    double start = now_seconds();
    CHECK_OK(mproc_lock_close(arg.lock));
    pthread_join(t, NULL);
    CHECK_RC(arg.rc, MPROC_ECLOSED);
    CHECK(now_seconds() - start < 5.0);
    CHECK_OK(mproc_lock_locked(holder, &locked));
    CHECK(locked == 1);
    CHECK_OK(mproc_lock_release(holder));
    CHECK_OK(mproc_lock_close(holder));
    CHECK_OK(mproc_lock_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

static void held_lock_blocks_child_until_parent_releases(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    atomic_int *flags = shared_alloc(2 * sizeof(atomic_int)); /* [0] child tried, [1] got */
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));

    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_lock_t *mine = NULL;
        CHECK_OK(mproc_lock_open(name, &mine));
        CHECK_RC(mproc_lock_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_RC(mproc_lock_acquire(mine, 0.05), MPROC_ETIMEDOUT);
        atomic_store(&flags[0], 1);
        CHECK_OK(mproc_lock_acquire(mine, 20.0));
        atomic_store(&flags[1], 1);
        CHECK_OK(mproc_lock_release(mine));
        CHECK_OK(mproc_lock_close(mine));
        child_exit();
    }
    CHECK(await_at_least(&flags[0], 1, 20.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(&flags[1]) == 0); /* still blocked: the parent holds the lock */
    CHECK_OK(mproc_lock_release(lock));
    CHECK(await_at_least(&flags[1], 1, 20.0));
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_lock_acquire(lock, 5.0));
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
    shared_free(flags, 2 * sizeof(atomic_int));
}

static void another_process_may_release(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_lock_t *mine = NULL;
        CHECK_OK(mproc_lock_open(name, &mine));
        CHECK_OK(mproc_lock_release(mine));
        CHECK_OK(mproc_lock_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 0);
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

enum { PROC_CHILDREN = 3, PROC_ROUNDS = 2000 };

static void lock_makes_process_increments_exact(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    long *counter = shared_alloc(sizeof(long));
    pid_t pids[PROC_CHILDREN];
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    for (int c = 0; c < PROC_CHILDREN; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) {
            mproc_lock_t *mine = NULL;
            CHECK_OK(mproc_lock_open(name, &mine));
            for (int i = 0; i < PROC_ROUNDS; i++) {
                if (!CHECK_OK(mproc_lock_acquire(mine, 10.0))) break;
                long v = *counter;
                *counter = v + 1;
                CHECK_OK(mproc_lock_release(mine));
            }
            CHECK_OK(mproc_lock_close(mine));
            child_exit();
        }
    }
    for (int c = 0; c < PROC_CHILDREN; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK(*counter == (long)PROC_CHILDREN * PROC_ROUNDS);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
    shared_free(counter, sizeof(long));
}

/* ---- Anonymous locks ------------------------------------------------------------------ */

static void anonymous_lock_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_lock_t *lock = NULL, *again = NULL;
    CHECK_OK(mproc_lock_create(NULL, NULL, &lock));
    CHECK_OK(mproc_lock_name(lock, name, sizeof name));
    CHECK(strlen(name) >= 1 && strlen(name) <= MPROC_NAME_MAX);
    CHECK(strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
          strlen(name));
    CHECK_OK(mproc_lock_acquire(lock, 0));

    pid_t pid = test_fork();
    if (pid == 0) {
        /* Opened by name from another process, it is the same lock. */
        mproc_lock_t *mine = NULL;
        int locked = -1;
        CHECK_OK(mproc_lock_open(name, &mine));
        CHECK_OK(mproc_lock_locked(mine, &locked));
        CHECK(locked == 1);
        CHECK_RC(mproc_lock_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_OK(mproc_lock_release(mine));
        CHECK_OK(mproc_lock_close(mine));
        /* The inherited handle works too; closing it in a process that did not create the
         * lock must not unlink the name. */
        CHECK_OK(mproc_lock_acquire(lock, 0));
        CHECK_OK(mproc_lock_release(lock));
        CHECK_OK(mproc_lock_close(lock));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_lock_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_lock_close(again));

    CHECK_OK(mproc_lock_close(lock));
    CHECK_RC(mproc_lock_open(name, &again), MPROC_ENOTFOUND);
}

/* Two anonymous locks are two locks. */
static void anonymous_locks_get_distinct_names(void) {
    char a_name[MPROC_NAME_MAX + 1], b_name[MPROC_NAME_MAX + 1];
    mproc_lock_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_lock_create(NULL, NULL, &a));
    CHECK_OK(mproc_lock_create(NULL, NULL, &b));
    CHECK_OK(mproc_lock_name(a, a_name, sizeof a_name));
    CHECK_OK(mproc_lock_name(b, b_name, sizeof b_name));
    CHECK(strcmp(a_name, b_name) != 0);
    CHECK_OK(mproc_lock_acquire(a, 0));
    CHECK_OK(mproc_lock_acquire(b, 0));
    CHECK_OK(mproc_lock_release(a));
    CHECK_OK(mproc_lock_release(b));
    CHECK_OK(mproc_lock_close(a));
    CHECK_OK(mproc_lock_close(b));
}

/* ---- Owner death ---------------------------------------------------------------------- */

enum death_kind { DIE_BY_EXIT, DIE_BY_SIGKILL };

static void die_holding_lock(const char *name, enum death_kind how) {
    mproc_lock_t *mine = NULL;
    if (!CHECK_OK(mproc_lock_open(name, &mine))) child_exit();
    if (!CHECK_OK(mproc_lock_acquire(mine, 5.0))) child_exit();
    fflush(NULL);
    if (how == DIE_BY_SIGKILL) raise(SIGKILL);
    _exit(0); /* without release, without close */
}

static void dead_owner_is_reported_then_lock_works(enum death_kind how) {
    char name[64];
    mproc_lock_t *lock = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    pid_t pid = test_fork();
    if (pid == 0) die_holding_lock(name, how);
    if (how == DIE_BY_SIGKILL) {
        CHECK_CHILD_KILLED(pid, SIGKILL);
    } else {
        CHECK_CHILD_EXITED(pid);
    }
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 1); /* nobody took it over yet */
    CHECK_RC(mproc_lock_acquire(lock, 5.0), MPROC_EOWNERDEAD);
    CHECK(mproc_last_error()[0] != '\0');
    /* The caller holds it now, as a normal holder. */
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 1);
    CHECK_RC(mproc_lock_acquire(lock, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
}

static void owner_that_exits_holding_lock_is_reported(void) {
    dead_owner_is_reported_then_lock_works(DIE_BY_EXIT);
}

static void owner_killed_holding_lock_is_reported(void) {
    dead_owner_is_reported_then_lock_works(DIE_BY_SIGKILL);
}

/* A waiter that is already blocked when the owner dies notices it (within 100 ms, says
 * the header) instead of sleeping out its timeout. The bound checked is looser than the
 * promise, so a loaded machine does not fail it; a missed death costs the full 10 s. */
struct death_clock {
    atomic_int held;
    _Atomic double died_at; /* CLOCK_MONOTONIC is system-wide: comparable across processes */
};

static void blocked_waiter_notices_owner_death(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    struct death_clock *clock = shared_alloc(sizeof *clock);
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "lock"), NULL, &lock));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_lock_t *mine = NULL;
        if (!CHECK_OK(mproc_lock_open(name, &mine))) child_exit();
        if (!CHECK_OK(mproc_lock_acquire(mine, 5.0))) child_exit();
        atomic_store(&clock->held, 1);
        sleep_seconds(0.3); /* long enough for the parent to be blocked */
        atomic_store(&clock->died_at, now_seconds());
        raise(SIGKILL);
    }
    CHECK(await_at_least(&clock->held, 1, 10.0));
    CHECK_RC(mproc_lock_acquire(lock, 10.0), MPROC_EOWNERDEAD);
    double latency = now_seconds() - atomic_load(&clock->died_at);
    if (!CHECK(latency < 1.0)) fprintf(stderr, "    noticed %.3f s after the death\n", latency);
    CHECK_CHILD_KILLED(pid, SIGKILL);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(name));
    shared_free(clock, sizeof *clock);
}

int main(void) {
    RUN(acquire_release_toggles_locked);
    RUN(lock_is_not_recursive);
    RUN(release_of_unlocked_lock_is_not_owner);
    RUN(acquire_waits_about_its_timeout);
    RUN(two_handles_share_one_lock);
    RUN(create_with_open_existing_attaches);
    RUN(name_returns_the_created_name);
    RUN(permissions_default_to_0600_and_follow_options);
    RUN(unlink_removes_name_but_handles_keep_working);
    RUN(lock_makes_thread_increments_exact);
    RUN(another_thread_may_release);
    RUN(release_wakes_blocked_thread);
    RUN(close_wakes_blocked_acquire);
    RUN(held_lock_blocks_child_until_parent_releases);
    RUN(another_process_may_release);
    RUN(lock_makes_process_increments_exact);
    RUN(anonymous_lock_is_reachable_by_its_name_until_creator_closes);
    RUN(anonymous_locks_get_distinct_names);
    RUN(owner_that_exits_holding_lock_is_reported);
    RUN(owner_killed_holding_lock_is_reported);
    RUN(blocked_waiter_notices_owner_death);
    return check_report();
}
