/* semaphore_test.c -- mproc_semaphore_* and mproc_bounded_semaphore_create driven from C:
 * counting, bounds and overflow, waking up to n waiters, processes, close, anonymous. */
#include "check.h"

static unsigned int value_of(mproc_semaphore_t *sem) {
    unsigned int value = 0xdeadbeefu;
    CHECK_OK(mproc_semaphore_value(sem, &value));
    return value;
}

static void acquire_and_release_count(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    unsigned int bound = 99;
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 2, NULL, &sem));
    CHECK(value_of(sem) == 2);
    CHECK_OK(mproc_semaphore_bound(sem, &bound));
    CHECK(bound == 0); /* unbounded */
    CHECK_OK(mproc_semaphore_acquire(sem, 0));
    CHECK_OK(mproc_semaphore_acquire(sem, 0));
    CHECK(value_of(sem) == 0);
    CHECK_RC(mproc_semaphore_acquire(sem, 0), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_semaphore_release(sem, 3));
    CHECK(value_of(sem) == 3);
    /* Unbounded: it may go above its initial value. */
    CHECK_OK(mproc_semaphore_release(sem, 1));
    CHECK(value_of(sem) == 4);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void acquire_waits_about_its_timeout(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 0, NULL, &sem));
    double start = now_seconds();
    CHECK_RC(mproc_semaphore_acquire(sem, 0.2), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.19);
    CHECK(waited < 2.0);
    CHECK(value_of(sem) == 0);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void bounded_semaphore_refuses_over_release(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    unsigned int bound = 0;
    CHECK_OK(mproc_bounded_semaphore_create(test_name(name, sizeof name, "bsem"), 2, NULL, &sem));
    CHECK_OK(mproc_semaphore_bound(sem, &bound));
    CHECK(bound == 2);
    CHECK_RC(mproc_semaphore_release(sem, 1), MPROC_EOVERFLOW);
    CHECK(mproc_last_error()[0] != '\0');
    CHECK(value_of(sem) == 2);
    CHECK_OK(mproc_semaphore_acquire(sem, 0));
    /* 1 + 2 > 2: refused as a whole, not clamped to the bound. */
    CHECK_RC(mproc_semaphore_release(sem, 2), MPROC_EOVERFLOW);
    CHECK(value_of(sem) == 1);
    CHECK_OK(mproc_semaphore_release(sem, 1));
    CHECK(value_of(sem) == 2);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void opening_a_bounded_semaphore_keeps_its_bound(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL, *other = NULL;
    unsigned int bound = 0;
    CHECK_OK(mproc_bounded_semaphore_create(test_name(name, sizeof name, "bsem"), 3, NULL, &sem));
    CHECK_OK(mproc_semaphore_open(name, &other));
    CHECK_OK(mproc_semaphore_bound(other, &bound));
    CHECK(bound == 3);
    CHECK_RC(mproc_semaphore_release(other, 1), MPROC_EOVERFLOW);
    CHECK_OK(mproc_semaphore_acquire(other, 0));
    CHECK(value_of(sem) == 2);
    CHECK_OK(mproc_semaphore_close(other));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void value_never_goes_above_the_maximum(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"),
                                    MPROC_SEMAPHORE_VALUE_MAX - 1, NULL, &sem));
    CHECK_RC(mproc_semaphore_release(sem, 2), MPROC_EOVERFLOW);
    CHECK(value_of(sem) == MPROC_SEMAPHORE_VALUE_MAX - 1);
    CHECK_OK(mproc_semaphore_release(sem, 1));
    CHECK(value_of(sem) == MPROC_SEMAPHORE_VALUE_MAX);
    CHECK_RC(mproc_semaphore_release(sem, 1), MPROC_EOVERFLOW);
    CHECK_RC(mproc_semaphore_release(sem, 0xffffffffu), MPROC_EOVERFLOW);
    CHECK(value_of(sem) == MPROC_SEMAPHORE_VALUE_MAX);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));

    /* The maximum itself is a valid initial value, for both variants. */
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), MPROC_SEMAPHORE_VALUE_MAX,
                                    NULL, &sem));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
    CHECK_OK(mproc_bounded_semaphore_create(test_name(name, sizeof name, "bsem"),
                                            MPROC_SEMAPHORE_VALUE_MAX, NULL, &sem));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

/* ---- Threads -------------------------------------------------------------------------- */

enum { WAITERS = 3 };

struct waiter_arg {
    mproc_semaphore_t *sem;
    atomic_int started;
    atomic_int woken;
    atomic_int closed;
};

static void *acquire_once(void *p) {
    struct waiter_arg *arg = p;
    atomic_fetch_add(&arg->started, 1);
    int rc = mproc_semaphore_acquire(arg->sem, 10.0);
    if (rc == MPROC_OK) {
        atomic_fetch_add(&arg->woken, 1);
    } else if (rc == MPROC_ECLOSED) {
        atomic_fetch_add(&arg->closed, 1);
    } else {
        CHECK_RC(rc, MPROC_OK);
    }
    return NULL;
}

static void release_n_wakes_n_waiters(void) {
    char name[64];
    struct waiter_arg arg = {0};
    pthread_t threads[WAITERS];
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 0, NULL, &arg.sem));
    for (int i = 0; i < WAITERS; i++)
        threads[i] = start_thread(acquire_once, &arg);
    CHECK(await_at_least(&arg.started, WAITERS, 10.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(&arg.woken) == 0);
    CHECK_OK(mproc_semaphore_release(arg.sem, 2));
    CHECK(await_at_least(&arg.woken, 2, 10.0));
    sleep_seconds(0.2);
    CHECK(atomic_load(&arg.woken) == 2); /* the third one has nothing to take */
    CHECK(value_of(arg.sem) == 0);
    CHECK_OK(mproc_semaphore_release(arg.sem, 1));
    for (int i = 0; i < WAITERS; i++)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&arg.woken) == WAITERS);
    CHECK(value_of(arg.sem) == 0);
    CHECK_OK(mproc_semaphore_close(arg.sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void close_wakes_blocked_acquire(void) {
    char name[64];
    mproc_semaphore_t *keeper = NULL;
    struct waiter_arg arg = {0};
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 0, NULL, &keeper));
    CHECK_OK(mproc_semaphore_open(name, &arg.sem));
    pthread_t t = start_thread(acquire_once, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.2);
    double start = now_seconds();
    CHECK_OK(mproc_semaphore_close(arg.sem));
    pthread_join(t, NULL);
    CHECK(atomic_load(&arg.closed) == 1);
    CHECK(now_seconds() - start < 5.0);
    CHECK(value_of(keeper) == 0);
    CHECK_OK(mproc_semaphore_close(keeper));
    CHECK_OK(mproc_semaphore_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

static void child_blocks_until_parent_releases(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    atomic_int *phase = shared_alloc(sizeof(atomic_int));
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 0, NULL, &sem));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_semaphore_t *mine = NULL;
        CHECK_OK(mproc_semaphore_open(name, &mine));
        CHECK_RC(mproc_semaphore_acquire(mine, 0), MPROC_ETIMEDOUT);
        atomic_store(phase, 1);
        CHECK_OK(mproc_semaphore_acquire(mine, 20.0));
        atomic_store(phase, 2);
        CHECK_OK(mproc_semaphore_close(mine));
        child_exit();
    }
    CHECK(await_at_least(phase, 1, 20.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(phase) == 1);
    CHECK_OK(mproc_semaphore_release(sem, 1));
    CHECK(await_at_least(phase, 2, 20.0));
    CHECK_CHILD_EXITED(pid);
    CHECK(value_of(sem) == 0);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
    shared_free(phase, sizeof(atomic_int));
}

enum { TOKENS = 500 };

/* Every token the parent releases is taken exactly once by one of two children. */
static void tokens_pass_between_processes(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    atomic_int *taken = shared_alloc(sizeof(atomic_int));
    pid_t pids[2];
    CHECK_OK(mproc_semaphore_create(test_name(name, sizeof name, "sem"), 0, NULL, &sem));
    for (int c = 0; c < 2; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) {
            mproc_semaphore_t *mine = NULL;
            CHECK_OK(mproc_semaphore_open(name, &mine));
            /* Take until all tokens are gone; a short timeout ends the loop. */
            while (atomic_load(taken) < TOKENS) {
                int rc = mproc_semaphore_acquire(mine, 0.05);
                if (rc == MPROC_OK) {
                    atomic_fetch_add(taken, 1);
                } else if (rc != MPROC_ETIMEDOUT) {
                    CHECK_RC(rc, MPROC_OK);
                    break;
                }
            }
            CHECK_OK(mproc_semaphore_close(mine));
            child_exit();
        }
    }
    for (int i = 0; i < TOKENS; i++)
        CHECK_OK(mproc_semaphore_release(sem, 1));
    for (int c = 0; c < 2; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK(atomic_load(taken) == TOKENS);
    CHECK(value_of(sem) == 0);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
    shared_free(taken, sizeof(atomic_int));
}

static void bounded_over_release_from_another_process(void) {
    char name[64];
    mproc_semaphore_t *sem = NULL;
    CHECK_OK(mproc_bounded_semaphore_create(test_name(name, sizeof name, "bsem"), 1, NULL, &sem));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_semaphore_t *mine = NULL;
        CHECK_OK(mproc_semaphore_open(name, &mine));
        CHECK_RC(mproc_semaphore_release(mine, 1), MPROC_EOVERFLOW);
        CHECK_OK(mproc_semaphore_acquire(mine, 0));
        CHECK_OK(mproc_semaphore_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(value_of(sem) == 0);
    CHECK_OK(mproc_semaphore_release(sem, 1));
    CHECK_RC(mproc_semaphore_release(sem, 1), MPROC_EOVERFLOW);
    CHECK(value_of(sem) == 1);
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_semaphore_unlink(name));
}

static void anonymous_semaphore_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_semaphore_t *sem = NULL, *again = NULL;
    CHECK_OK(mproc_semaphore_create(NULL, 0, NULL, &sem));
    CHECK_OK(mproc_semaphore_name(sem, name, sizeof name));
    CHECK(strlen(name) >= 1);
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_semaphore_t *mine = NULL;
        CHECK_OK(mproc_semaphore_open(name, &mine));
        CHECK_OK(mproc_semaphore_release(mine, 1));
        CHECK_OK(mproc_semaphore_close(mine));
        CHECK_OK(mproc_semaphore_release(sem, 1)); /* the inherited handle */
        CHECK_OK(mproc_semaphore_close(sem));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(value_of(sem) == 2);
    CHECK_OK(mproc_semaphore_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_semaphore_close(again));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_RC(mproc_semaphore_open(name, &again), MPROC_ENOTFOUND);
}

int main(void) {
    RUN(acquire_and_release_count);
    RUN(acquire_waits_about_its_timeout);
    RUN(bounded_semaphore_refuses_over_release);
    RUN(opening_a_bounded_semaphore_keeps_its_bound);
    RUN(value_never_goes_above_the_maximum);
    RUN(release_n_wakes_n_waiters);
    RUN(close_wakes_blocked_acquire);
    RUN(child_blocks_until_parent_releases);
    RUN(tokens_pass_between_processes);
    RUN(bounded_over_release_from_another_process);
    RUN(anonymous_semaphore_is_reachable_by_its_name_until_creator_closes);
    return check_report();
}
