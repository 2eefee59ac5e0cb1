/* condition_test.c -- mproc_condition_* driven from C: ownership rules, timeouts that
 * re-acquire, RLock levels, wait_for with a predicate on shared memory, notify(1) waking
 * exactly one of two processes, a dead waiter skipped, a dead lock owner, close. */
#include "check.h"

/* ---- Ownership and timeouts ----------------------------------------------------------- */

static int always_true(void *arg) {
    (void)arg;
    return 1;
}

static int always_false(void *arg) {
    (void)arg;
    return 0;
}

static void calls_without_the_lock_are_not_owner(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_RC(mproc_condition_wait(cond, 0.1), MPROC_ENOTOWNER);
    CHECK(mproc_last_error()[0] != '\0');
    CHECK_RC(mproc_condition_wait_for(cond, always_false, NULL, 0.1), MPROC_ENOTOWNER);
    /* Even a predicate that is already true does not excuse the missing lock. */
    CHECK_RC(mproc_condition_wait_for(cond, always_true, NULL, 0), MPROC_ENOTOWNER);
    CHECK_RC(mproc_condition_notify(cond, 1), MPROC_ENOTOWNER);
    CHECK_RC(mproc_condition_notify_all(cond), MPROC_ENOTOWNER);
    CHECK_RC(mproc_condition_release(cond), MPROC_ENOTOWNER);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

/* A plain Lock has no owning thread; "held" means locked. */
static void wait_over_unlocked_lock_is_not_owner(void) {
    char lock_name[64], name[64];
    mproc_lock_t *lock = NULL;
    mproc_condition_t *cond = NULL;
    int locked = -1;
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(
        mproc_condition_create_with_lock(test_name(name, sizeof name, "cond"), lock, NULL, &cond));
    CHECK_RC(mproc_condition_wait(cond, 0.1), MPROC_ENOTOWNER);
    CHECK_OK(mproc_lock_locked(lock, &locked));
    CHECK(locked == 0); /* nothing was taken or released */
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(lock_name));
}

static void wait_times_out_and_holds_lock_again(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    double start = now_seconds();
    CHECK_RC(mproc_condition_wait(cond, 0.2), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.19);
    CHECK(waited < 2.0);
    CHECK_OK(mproc_condition_release(cond)); /* held again: exactly one level */
    CHECK_RC(mproc_condition_release(cond), MPROC_ENOTOWNER);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

static void wait_for_true_predicate_returns_at_once(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    CHECK_OK(mproc_condition_wait_for(cond, always_true, NULL, 0));
    double start = now_seconds();
    CHECK_OK(mproc_condition_wait_for(cond, always_true, NULL, 10.0));
    CHECK(now_seconds() - start < 1.0);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

static void wait_for_false_predicate_times_out_holding_lock(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    double start = now_seconds();
    CHECK_RC(mproc_condition_wait_for(cond, always_false, NULL, 0.2), MPROC_ETIMEDOUT);
    CHECK(now_seconds() - start >= 0.19);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_RC(mproc_condition_release(cond), MPROC_ENOTOWNER);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

/* ---- RLock levels --------------------------------------------------------------------- */

struct rlock_levels_arg {
    mproc_rlock_t *rl;
    mproc_condition_t *cond;
    atomic_int got_lock;
};

static void *take_rlock_and_notify(void *p) {
    struct rlock_levels_arg *arg = p;
    /* Only possible if the waiting thread released every level. */
    if (!CHECK_OK(mproc_rlock_acquire(arg->rl, 10.0))) return NULL;
    atomic_store(&arg->got_lock, 1);
    CHECK_OK(mproc_condition_notify(arg->cond, 1)); /* holds it through the rlock handle */
    CHECK_OK(mproc_rlock_release(arg->rl));
    return NULL;
}

static void wait_releases_every_rlock_level_and_restores_them(void) {
    char rl_name[64], name[64];
    struct rlock_levels_arg arg = {0};
    unsigned int count = 0;
    CHECK_OK(mproc_rlock_create(test_name(rl_name, sizeof rl_name, "rlock"), NULL, &arg.rl));
    CHECK_OK(mproc_condition_create_with_rlock(test_name(name, sizeof name, "cond"), arg.rl, NULL,
                                               &arg.cond));
    CHECK_OK(mproc_rlock_acquire(arg.rl, 0));
    CHECK_OK(mproc_condition_acquire(arg.cond, 0)); /* level 2, through the condition */
    pthread_t t = start_thread(take_rlock_and_notify, &arg);
    CHECK_OK(mproc_condition_wait(arg.cond, 10.0));
    pthread_join(t, NULL);
    CHECK(atomic_load(&arg.got_lock) == 1);
    CHECK_OK(mproc_rlock_count(arg.rl, &count));
    CHECK(count == 2);
    CHECK_OK(mproc_condition_release(arg.cond));
    CHECK_OK(mproc_rlock_release(arg.rl));
    CHECK_OK(mproc_rlock_count(arg.rl, &count));
    CHECK(count == 0);
    CHECK_OK(mproc_condition_close(arg.cond));
    CHECK_OK(mproc_condition_unlink(name));
    CHECK_OK(mproc_rlock_close(arg.rl));
    CHECK_OK(mproc_rlock_unlink(rl_name));
}

/* ---- Attaching by name ---------------------------------------------------------------- */

static void open_attaches_condition_and_its_lock(void) {
    char lock_name[64], name[64];
    mproc_lock_t *lock = NULL;
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(
        mproc_condition_create_with_lock(test_name(name, sizeof name, "cond"), lock, NULL, &cond));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_condition_t *mine = NULL;
        CHECK_OK(mproc_condition_open(name, &mine));
        /* The parent holds the lock through the lock's own handle. */
        CHECK_RC(mproc_condition_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_OK(mproc_condition_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_lock_release(lock));
    pid = test_fork();
    if (pid == 0) {
        mproc_condition_t *mine = NULL;
        mproc_lock_t *l = NULL;
        int locked = -1;
        CHECK_OK(mproc_condition_open(name, &mine));
        CHECK_OK(mproc_condition_acquire(mine, 0));
        CHECK_OK(mproc_lock_open(lock_name, &l));
        CHECK_OK(mproc_lock_locked(l, &locked));
        CHECK(locked == 1);
        CHECK_OK(mproc_condition_release(mine));
        CHECK_OK(mproc_lock_locked(l, &locked));
        CHECK(locked == 0);
        CHECK_OK(mproc_lock_close(l));
        CHECK_OK(mproc_condition_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    /* Unlinking the condition leaves the lock's name alone. */
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    mproc_lock_t *again = NULL;
    CHECK_OK(mproc_lock_open(lock_name, &again));
    if (again != NULL) CHECK_OK(mproc_lock_close(again));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(lock_name));
}

static void open_fails_once_its_lock_is_unlinked_and_closed(void) {
    char lock_name[64], name[64];
    mproc_lock_t *lock = NULL;
    mproc_condition_t *cond = NULL, *other = NULL;
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(
        mproc_condition_create_with_lock(test_name(name, sizeof name, "cond"), lock, NULL, &cond));
    CHECK_OK(mproc_lock_unlink(lock_name));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_RC(mproc_condition_open(name, &other), MPROC_ENOTFOUND);
    /* The existing condition handle keeps its own handle on the lock. */
    CHECK_OK(mproc_condition_acquire(cond, 0));
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

/* ---- Notify across processes ---------------------------------------------------------- */

struct notify_shared {
    atomic_int ready; /* children that hold the lock and are about to wait */
    atomic_int woken; /* children whose wait returned MPROC_OK */
};

/* Child: registers as a waiter, waits once, reports. The lock is held from before `ready`
 * is counted until wait releases it, so a parent that then acquires the lock knows the
 * child is waiting. */
static void child_wait_once(const char *name, struct notify_shared *sh) {
    mproc_condition_t *mine = NULL;
    if (!CHECK_OK(mproc_condition_open(name, &mine))) child_exit();
    if (!CHECK_OK(mproc_condition_acquire(mine, 20.0))) child_exit();
    atomic_fetch_add(&sh->ready, 1);
    if (CHECK_OK(mproc_condition_wait(mine, 20.0))) atomic_fetch_add(&sh->woken, 1);
    CHECK_OK(mproc_condition_release(mine));
    CHECK_OK(mproc_condition_close(mine));
    child_exit();
}

/* Returns once every child counted so far is inside wait. */
static void await_waiters(mproc_condition_t *cond, struct notify_shared *sh, int n) {
    CHECK(await_at_least(&sh->ready, n, 20.0));
    CHECK_OK(mproc_condition_acquire(cond, 20.0));
    CHECK_OK(mproc_condition_release(cond));
}

static void notify_one_wakes_exactly_one_of_two_processes(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    struct notify_shared *sh = shared_alloc(sizeof *sh);
    pid_t pids[2];
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    for (int c = 0; c < 2; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) child_wait_once(name, sh);
    }
    await_waiters(cond, sh, 2);
    CHECK_OK(mproc_condition_acquire(cond, 10.0));
    CHECK_OK(mproc_condition_notify(cond, 1));
    CHECK_OK(mproc_condition_release(cond));
    CHECK(await_at_least(&sh->woken, 1, 10.0));
    sleep_seconds(0.3);
    CHECK(atomic_load(&sh->woken) == 1);
    CHECK_OK(mproc_condition_acquire(cond, 10.0));
    CHECK_OK(mproc_condition_notify(cond, 1));
    CHECK_OK(mproc_condition_release(cond));
    CHECK(await_at_least(&sh->woken, 2, 10.0));
    for (int c = 0; c < 2; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    shared_free(sh, sizeof *sh);
}

enum { ALL_CHILDREN = 3 };

static void notify_all_wakes_every_waiting_process(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    struct notify_shared *sh = shared_alloc(sizeof *sh);
    pid_t pids[ALL_CHILDREN];
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    for (int c = 0; c < ALL_CHILDREN; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) child_wait_once(name, sh);
    }
    await_waiters(cond, sh, ALL_CHILDREN);
    CHECK_OK(mproc_condition_acquire(cond, 10.0));
    CHECK_OK(mproc_condition_notify_all(cond));
    CHECK_OK(mproc_condition_release(cond));
    CHECK(await_at_least(&sh->woken, ALL_CHILDREN, 10.0));
    for (int c = 0; c < ALL_CHILDREN; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    shared_free(sh, sizeof *sh);
}

/* notify with nobody waiting is not remembered: a later waiter times out. */
static void notify_without_waiters_is_lost(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    CHECK_OK(mproc_condition_notify(cond, 5));
    CHECK_OK(mproc_condition_notify_all(cond));
    CHECK_RC(mproc_condition_wait(cond, 0.1), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

/* The longest waiter is killed; notify(1) must reach the live one behind it. */
static void notify_skips_a_waiter_whose_process_died(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    struct notify_shared *sh = shared_alloc(sizeof *sh);
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    pid_t first = test_fork();
    if (first == 0) child_wait_once(name, sh);
    await_waiters(cond, sh, 1);
    pid_t second = test_fork();
    if (second == 0) child_wait_once(name, sh);
    await_waiters(cond, sh, 2);
    kill(first, SIGKILL);
    CHECK_CHILD_KILLED(first, SIGKILL);
    CHECK_OK(mproc_condition_acquire(cond, 10.0));
    CHECK_OK(mproc_condition_notify(cond, 1));
    CHECK_OK(mproc_condition_release(cond));
    CHECK(await_at_least(&sh->woken, 1, 5.0));
    CHECK_CHILD_EXITED(second);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    shared_free(sh, sizeof *sh);
}

/* ---- wait_for on a counter in shared memory ------------------------------------------- */

enum { TARGET = 5 };

struct counter_pred {
    long *counter; /* in MAP_SHARED memory, written by the child under the lock */
    mproc_rlock_t *rl;
    int calls;
    int calls_without_lock;
};

static int counter_reached_target(void *p) {
    struct counter_pred *pred = p;
    int owned = 0;
    pred->calls++;
    if (mproc_rlock_is_owned(pred->rl, &owned) != MPROC_OK || !owned) pred->calls_without_lock++;
    return *pred->counter >= TARGET;
}

static void wait_for_sees_counter_raised_by_another_process(void) {
    char rl_name[64], name[64];
    mproc_rlock_t *rl = NULL;
    mproc_condition_t *cond = NULL;
    long *counter = shared_alloc(sizeof(long));
    struct counter_pred pred = {counter, NULL, 0, 0};
    CHECK_OK(mproc_rlock_create(test_name(rl_name, sizeof rl_name, "rlock"), NULL, &rl));
    CHECK_OK(
        mproc_condition_create_with_rlock(test_name(name, sizeof name, "cond"), rl, NULL, &cond));
    pred.rl = rl;
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_condition_t *mine = NULL;
        CHECK_OK(mproc_condition_open(name, &mine));
        for (int i = 0; i < TARGET; i++) {
            sleep_seconds(0.02);
            if (!CHECK_OK(mproc_condition_acquire(mine, 10.0))) break;
            *counter += 1;
            CHECK_OK(mproc_condition_notify_all(mine));
            CHECK_OK(mproc_condition_release(mine));
        }
        CHECK_OK(mproc_condition_close(mine));
        child_exit();
    }
    CHECK_OK(mproc_condition_acquire(cond, 10.0));
    CHECK_OK(mproc_condition_wait_for(cond, counter_reached_target, &pred, 20.0));
    CHECK(*counter >= TARGET);
    CHECK(pred.calls >= 1);
    CHECK(pred.calls_without_lock == 0);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_CHILD_EXITED(pid);
    CHECK(*counter == TARGET);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_rlock_unlink(rl_name));
    shared_free(counter, sizeof(long));
}

/* ---- The waiter limit ---------------------------------------------------------------- */

struct full_arg {
    mproc_condition_t *cond;
    atomic_int ready;
    atomic_int woken;
};

static void *wait_in_crowd(void *p) {
    struct full_arg *arg = p;
    if (!CHECK_OK(mproc_condition_acquire(arg->cond, 30.0))) return NULL;
    atomic_fetch_add(&arg->ready, 1);
    if (CHECK_OK(mproc_condition_wait(arg->cond, 30.0))) atomic_fetch_add(&arg->woken, 1);
    CHECK_OK(mproc_condition_release(arg->cond));
    return NULL;
}

/* MPROC_CONDITION_MAX_WAITERS threads wait; one more is refused with MPROC_EFULL, still
 * holding the lock, and the crowd is then woken normally. */
static void one_waiter_too_many_is_full(void) {
    char name[64];
    struct full_arg arg = {0};
    pthread_t *threads = calloc(MPROC_CONDITION_MAX_WAITERS, sizeof *threads);
    pthread_attr_t attr;
    int started = 0;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024); /* 1024 threads: keep them small */
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &arg.cond));
    for (; started < MPROC_CONDITION_MAX_WAITERS; started++) {
        if (pthread_create(&threads[started], &attr, wait_in_crowd, &arg) != 0) break;
    }
    pthread_attr_destroy(&attr);
    if (CHECK(started == MPROC_CONDITION_MAX_WAITERS)) {
        CHECK(await_at_least(&arg.ready, MPROC_CONDITION_MAX_WAITERS, 60.0));
        CHECK_OK(mproc_condition_acquire(arg.cond, 30.0)); /* all of them are waiting now */
        CHECK_RC(mproc_condition_wait(arg.cond, 1.0), MPROC_EFULL);
    } else {
        CHECK_OK(mproc_condition_acquire(arg.cond, 30.0));
    }
    CHECK_OK(mproc_condition_notify_all(arg.cond));
    CHECK_OK(mproc_condition_release(arg.cond)); /* the refused wait left it held */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&arg.woken) == started);
    free(threads);
    CHECK_OK(mproc_condition_close(arg.cond));
    CHECK_OK(mproc_condition_unlink(name));
}

/* ---- Close and death ------------------------------------------------------------------ */

struct close_arg {
    mproc_condition_t *cond;
    atomic_int started;
    int rc;
};

static void *wait_on_condition(void *p) {
    struct close_arg *arg = p;
    if (!CHECK_OK(mproc_condition_acquire(arg->cond, 10.0))) return NULL;
    atomic_store(&arg->started, 1);
    arg->rc = mproc_condition_wait(arg->cond, 10.0);
    return NULL;
}

static void close_wakes_blocked_wait(void) {
    char lock_name[64], name[64];
    mproc_lock_t *lock = NULL;
    mproc_condition_t *cond = NULL;
    struct close_arg arg = {0};
    int locked = -1;
    /* Over a plain Lock, so this thread can release it whatever state close leaves. */
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(
        mproc_condition_create_with_lock(test_name(name, sizeof name, "cond"), lock, NULL, &cond));
    CHECK_OK(mproc_condition_open(name, &arg.cond));
    pthread_t t = start_thread(wait_on_condition, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    /* Holding the lock here proves the thread is inside wait (it released it). */
    CHECK_OK(mproc_lock_acquire(lock, 10.0));
    CHECK_OK(mproc_lock_release(lock));
    sleep_seconds(0.1);
    double start = now_seconds();
    CHECK_OK(mproc_condition_close(arg.cond));
    pthread_join(t, NULL);
    CHECK_RC(arg.rc, MPROC_ECLOSED);
    CHECK(now_seconds() - start < 5.0);
    CHECK_OK(mproc_lock_locked(lock, &locked));
    if (locked) CHECK_OK(mproc_lock_release(lock));
    /* The other handle is unaffected. */
    CHECK_OK(mproc_condition_acquire(cond, 5.0));
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(lock_name));
}

/* The notifier dies holding the lock: the waiter is notified and re-acquires the lock
 * with MPROC_EOWNERDEAD, and holds it. */
static void wait_reports_lock_taken_from_dead_process(void) {
    char name[64];
    mproc_condition_t *cond = NULL;
    CHECK_OK(mproc_condition_create(test_name(name, sizeof name, "cond"), NULL, &cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_condition_t *mine = NULL;
        if (!CHECK_OK(mproc_condition_open(name, &mine))) child_exit();
        /* Succeeds once the parent waits. */
        if (!CHECK_OK(mproc_condition_acquire(mine, 20.0))) child_exit();
        CHECK_OK(mproc_condition_notify(mine, 1));
        fflush(NULL);
        raise(SIGKILL); /* holding the lock */
    }
    CHECK_RC(mproc_condition_wait(cond, 20.0), MPROC_EOWNERDEAD);
    CHECK_CHILD_KILLED(pid, SIGKILL);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_acquire(cond, 0));
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_condition_unlink(name));
}

static void anonymous_condition_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_condition_t *cond = NULL, *again = NULL;
    CHECK_OK(mproc_condition_create(NULL, NULL, &cond));
    CHECK_OK(mproc_condition_name(cond, name, sizeof name));
    CHECK(strlen(name) >= 1);
    CHECK_OK(mproc_condition_acquire(cond, 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_condition_t *mine = NULL;
        CHECK_OK(mproc_condition_open(name, &mine));
        CHECK_RC(mproc_condition_acquire(mine, 0), MPROC_ETIMEDOUT);
        CHECK_OK(mproc_condition_close(mine));
        CHECK_OK(mproc_condition_close(cond)); /* inherited; not the creator */
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_condition_release(cond));
    CHECK_OK(mproc_condition_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_condition_close(again));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_RC(mproc_condition_open(name, &again), MPROC_ENOTFOUND);
}

int main(void) {
    RUN(calls_without_the_lock_are_not_owner);
    RUN(wait_over_unlocked_lock_is_not_owner);
    RUN(wait_times_out_and_holds_lock_again);
    RUN(wait_for_true_predicate_returns_at_once);
    RUN(wait_for_false_predicate_times_out_holding_lock);
    RUN(wait_releases_every_rlock_level_and_restores_them);
    RUN(open_attaches_condition_and_its_lock);
    RUN(open_fails_once_its_lock_is_unlinked_and_closed);
    RUN(notify_one_wakes_exactly_one_of_two_processes);
    RUN(notify_all_wakes_every_waiting_process);
    RUN(notify_without_waiters_is_lost);
    RUN(notify_skips_a_waiter_whose_process_died);
    RUN(wait_for_sees_counter_raised_by_another_process);
    RUN(one_waiter_too_many_is_full);
    RUN(close_wakes_blocked_wait);
    RUN(wait_reports_lock_taken_from_dead_process);
    RUN(anonymous_condition_is_reachable_by_its_name_until_creator_closes);
    return check_report();
}
