/* event_test.c -- mproc_event_* driven from C: set/clear/wait, waking every waiter, a set
 * that is cleared at once is not missed, processes, close, anonymous events. */
#include "check.h"

static int is_set(mproc_event_t *ev) {
    int set = -1;
    CHECK_OK(mproc_event_is_set(ev, &set));
    return set;
}

static void set_clear_and_wait(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &ev));
    CHECK(is_set(ev) == 0);
    CHECK_RC(mproc_event_wait(ev, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_event_set(ev));
    CHECK(is_set(ev) == 1);
    CHECK_OK(mproc_event_wait(ev, 0));
    CHECK_OK(mproc_event_wait(ev, -1)); /* set: returns at once even "forever" */
    CHECK_OK(mproc_event_set(ev));      /* setting twice is fine */
    CHECK_OK(mproc_event_clear(ev));
    CHECK(is_set(ev) == 0);
    CHECK_OK(mproc_event_clear(ev));
    CHECK_RC(mproc_event_wait(ev, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_event_unlink(name));
}

static void wait_lasts_about_its_timeout(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &ev));
    double start = now_seconds();
    CHECK_RC(mproc_event_wait(ev, 0.2), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.19);
    CHECK(waited < 2.0);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_event_unlink(name));
}

/* ---- Threads -------------------------------------------------------------------------- */

enum { WAITERS = 4 };

struct waiter_arg {
    mproc_event_t *ev;
    atomic_int started;
    atomic_int woken;
    atomic_int closed;
};

static void *wait_once(void *p) {
    struct waiter_arg *arg = p;
    atomic_fetch_add(&arg->started, 1);
    int rc = mproc_event_wait(arg->ev, 10.0);
    if (rc == MPROC_OK) {
        atomic_fetch_add(&arg->woken, 1);
    } else if (rc == MPROC_ECLOSED) {
        atomic_fetch_add(&arg->closed, 1);
    } else {
        CHECK_RC(rc, MPROC_OK);
    }
    return NULL;
}

static void set_wakes_every_waiting_thread(void) {
    char name[64];
    struct waiter_arg arg = {0};
    pthread_t threads[WAITERS];
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &arg.ev));
    for (int i = 0; i < WAITERS; i++)
        threads[i] = start_thread(wait_once, &arg);
    CHECK(await_at_least(&arg.started, WAITERS, 10.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(&arg.woken) == 0);
    double start = now_seconds();
    CHECK_OK(mproc_event_set(arg.ev));
    for (int i = 0; i < WAITERS; i++)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&arg.woken) == WAITERS);
    CHECK(now_seconds() - start < 5.0);
    CHECK_OK(mproc_event_close(arg.ev));
    CHECK_OK(mproc_event_unlink(name));
}

/* "A set that happens while the caller waits is never missed, even if the flag is cleared
 * again at once." */
static void set_then_clear_still_wakes_waiting_threads(void) {
    char name[64];
    struct waiter_arg arg = {0};
    pthread_t threads[WAITERS];
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &arg.ev));
    for (int i = 0; i < WAITERS; i++)
        threads[i] = start_thread(wait_once, &arg);
    CHECK(await_at_least(&arg.started, WAITERS, 10.0));
    sleep_seconds(0.2); /* let them all get into the wait */
    CHECK_OK(mproc_event_set(arg.ev));
    CHECK_OK(mproc_event_clear(arg.ev));
    for (int i = 0; i < WAITERS; i++)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&arg.woken) == WAITERS);
    CHECK(is_set(arg.ev) == 0);
    CHECK_OK(mproc_event_close(arg.ev));
    CHECK_OK(mproc_event_unlink(name));
}

static void close_wakes_blocked_wait(void) {
    char name[64];
    mproc_event_t *keeper = NULL;
    struct waiter_arg arg = {0};
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &keeper));
    CHECK_OK(mproc_event_open(name, &arg.ev));
    pthread_t t = start_thread(wait_once, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.2);
    double start = now_seconds();
    CHECK_OK(mproc_event_close(arg.ev));
    pthread_join(t, NULL);
    CHECK(atomic_load(&arg.closed) == 1);
    CHECK(now_seconds() - start < 5.0);
    CHECK(is_set(keeper) == 0); /* closing a handle does not set the event */
    CHECK_OK(mproc_event_close(keeper));
    CHECK_OK(mproc_event_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

static void child_wait_times_out_then_is_woken_by_parent_set(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    atomic_int *phase = shared_alloc(sizeof(atomic_int));
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &ev));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_event_t *mine = NULL;
        CHECK_OK(mproc_event_open(name, &mine));
        CHECK_RC(mproc_event_wait(mine, 0.1), MPROC_ETIMEDOUT);
        atomic_store(phase, 1);
        CHECK_OK(mproc_event_wait(mine, 20.0));
        atomic_store(phase, 2);
        CHECK_OK(mproc_event_close(mine));
        child_exit();
    }
    CHECK(await_at_least(phase, 1, 20.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(phase) == 1);
    CHECK_OK(mproc_event_set(ev));
    CHECK(await_at_least(phase, 2, 5.0));
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_event_unlink(name));
    shared_free(phase, sizeof(atomic_int));
}

enum { CHILDREN = 3 };

static void set_then_clear_wakes_waiting_processes(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    atomic_int *waiting = shared_alloc(sizeof(atomic_int));
    pid_t pids[CHILDREN];
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &ev));
    for (int c = 0; c < CHILDREN; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) {
            mproc_event_t *mine = NULL;
            CHECK_OK(mproc_event_open(name, &mine));
            atomic_fetch_add(waiting, 1);
            CHECK_OK(mproc_event_wait(mine, 20.0));
            CHECK_OK(mproc_event_close(mine));
            child_exit();
        }
    }
    CHECK(await_at_least(waiting, CHILDREN, 20.0));
    sleep_seconds(0.2);
    CHECK_OK(mproc_event_set(ev));
    CHECK_OK(mproc_event_clear(ev));
    for (int c = 0; c < CHILDREN; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_event_unlink(name));
    shared_free(waiting, sizeof(atomic_int));
}

static void state_is_shared_with_another_process(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    CHECK_OK(mproc_event_create(test_name(name, sizeof name, "event"), NULL, &ev));
    CHECK_OK(mproc_event_set(ev));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_event_t *mine = NULL;
        CHECK_OK(mproc_event_open(name, &mine));
        CHECK(is_set(mine) == 1);
        CHECK_OK(mproc_event_clear(mine));
        CHECK_OK(mproc_event_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(is_set(ev) == 0);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_event_unlink(name));
}

static void anonymous_event_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_event_t *ev = NULL, *again = NULL;
    CHECK_OK(mproc_event_create(NULL, NULL, &ev));
    CHECK_OK(mproc_event_name(ev, name, sizeof name));
    CHECK(strlen(name) >= 1);
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_event_t *mine = NULL;
        CHECK_OK(mproc_event_open(name, &mine));
        CHECK_OK(mproc_event_set(mine));
        CHECK_OK(mproc_event_close(mine));
        CHECK_OK(mproc_event_wait(ev, 0)); /* the inherited handle sees it */
        CHECK_OK(mproc_event_close(ev));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(is_set(ev) == 1);
    CHECK_OK(mproc_event_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_event_close(again));
    CHECK_OK(mproc_event_close(ev));
    CHECK_RC(mproc_event_open(name, &again), MPROC_ENOTFOUND);
}

int main(void) {
    RUN(set_clear_and_wait);
    RUN(wait_lasts_about_its_timeout);
    RUN(set_wakes_every_waiting_thread);
    RUN(set_then_clear_still_wakes_waiting_threads);
    RUN(close_wakes_blocked_wait);
    RUN(child_wait_times_out_then_is_woken_by_parent_set);
    RUN(set_then_clear_wakes_waiting_processes);
    RUN(state_is_shared_with_another_process);
    RUN(anonymous_event_is_reachable_by_its_name_until_creator_closes);
    return check_report();
}
