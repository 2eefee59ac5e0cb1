/* barrier_test.c -- mproc_barrier_* driven from C: indices across processes, the action,
 * abort/reset/timeout breaking the barrier, close, a dead party, anonymous barriers. */
#include "check.h"

static unsigned int n_waiting(mproc_barrier_t *b) {
    unsigned int n = 0xdeadbeefu;
    CHECK_OK(mproc_barrier_n_waiting(b, &n));
    return n;
}

static int is_broken(mproc_barrier_t *b) {
    int broken = -1;
    CHECK_OK(mproc_barrier_broken(b, &broken));
    return broken;
}

/* Polls n_waiting until it reaches n (bounded). */
static int await_n_waiting(mproc_barrier_t *b, unsigned int n) {
    double deadline = now_seconds() + 20.0;
    unsigned int got = 0;
    while (mproc_barrier_n_waiting(b, &got) == MPROC_OK && got < n) {
        if (now_seconds() > deadline) return 0;
        sleep_seconds(0.002);
    }
    return got == n;
}

static void new_barrier_reports_its_state(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    unsigned int parties = 0;
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 3, NULL, &b));
    CHECK_OK(mproc_barrier_parties(b, &parties));
    CHECK(parties == 3);
    CHECK(n_waiting(b) == 0);
    CHECK(is_broken(b) == 0);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void single_party_barrier_trips_at_once(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    unsigned int index = 99;
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 1, NULL, &b));
    CHECK_OK(mproc_barrier_wait(b, 0, &index));
    CHECK(index == 0);
    CHECK_OK(mproc_barrier_wait(b, 5.0, NULL)); /* index may be NULL */
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

/* ---- Threads -------------------------------------------------------------------------- */

enum { THREAD_PARTIES = 3, THREAD_ROUNDS = 4 };

struct party_arg {
    mproc_barrier_t *b;
    atomic_int *action_runs;
    unsigned int indices[THREAD_ROUNDS];
};

static int count_trip(void *p) {
    atomic_fetch_add((atomic_int *)p, 1);
    return 0;
}

static int fail_trip(void *p) {
    atomic_fetch_add((atomic_int *)p, 1);
    return 1;
}

static void *party_rounds(void *p) {
    struct party_arg *arg = p;
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        CHECK_OK(mproc_barrier_wait(arg->b, 20.0, &arg->indices[r]));
        /* The action ran before anyone was released from this round. */
        CHECK(atomic_load(arg->action_runs) >= r + 1);
    }
    return NULL;
}

static void action_runs_once_per_trip_before_release(void) {
    char name[64];
    atomic_int runs = 0;
    struct party_arg args[THREAD_PARTIES];
    pthread_t threads[THREAD_PARTIES];
    mproc_barrier_t *b = NULL;
    CHECK_OK(
        mproc_barrier_create(test_name(name, sizeof name, "barrier"), THREAD_PARTIES, NULL, &b));
    CHECK_OK(mproc_barrier_set_action(b, count_trip, &runs));
    for (int i = 0; i < THREAD_PARTIES; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].b = b;
        args[i].action_runs = &runs;
        threads[i] = start_thread(party_rounds, &args[i]);
    }
    for (int i = 0; i < THREAD_PARTIES; i++)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&runs) == THREAD_ROUNDS);
    for (int r = 0; r < THREAD_ROUNDS; r++) {
        unsigned int seen = 0;
        for (int i = 0; i < THREAD_PARTIES; i++) {
            if (args[i].indices[r] < THREAD_PARTIES) seen |= 1u << args[i].indices[r];
        }
        CHECK(seen == (1u << THREAD_PARTIES) - 1); /* indices {0, 1, 2}, each once */
    }
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

struct one_wait_arg {
    mproc_barrier_t *b;
    double timeout;
    atomic_int started;
    int rc;
    unsigned int index;
};

static void *wait_once(void *p) {
    struct one_wait_arg *arg = p;
    atomic_store(&arg->started, 1);
    arg->rc = mproc_barrier_wait(arg->b, arg->timeout, &arg->index);
    return NULL;
}

static void failing_action_breaks_the_barrier(void) {
    char name[64];
    atomic_int runs = 0;
    mproc_barrier_t *b = NULL;
    struct one_wait_arg other = {0};
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 2, NULL, &b));
    CHECK_OK(mproc_barrier_set_action(b, fail_trip, &runs));
    other.b = b;
    other.timeout = 20.0;
    pthread_t t = start_thread(wait_once, &other);
    CHECK_RC(mproc_barrier_wait(b, 20.0, NULL), MPROC_EBROKEN);
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_EBROKEN);
    CHECK(atomic_load(&runs) == 1);
    CHECK(is_broken(b) == 1);
    CHECK_RC(mproc_barrier_wait(b, 0, NULL), MPROC_EBROKEN);
    /* Reset and a working action: usable again. */
    CHECK_OK(mproc_barrier_reset(b));
    CHECK_OK(mproc_barrier_set_action(b, NULL, NULL));
    CHECK(is_broken(b) == 0);
    memset(&other, 0, sizeof other);
    other.b = b;
    other.timeout = 20.0;
    t = start_thread(wait_once, &other);
    CHECK_OK(mproc_barrier_wait(b, 20.0, NULL));
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_OK);
    CHECK(atomic_load(&runs) == 1); /* the cleared action did not run */
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void abort_breaks_waiters_and_later_calls_until_reset(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    struct one_wait_arg other = {0};
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 3, NULL, &b));
    other.b = b;
    other.timeout = 20.0;
    pthread_t t = start_thread(wait_once, &other);
    CHECK(await_n_waiting(b, 1));
    CHECK_OK(mproc_barrier_abort(b));
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_EBROKEN);
    CHECK(is_broken(b) == 1);
    CHECK_RC(mproc_barrier_wait(b, 5.0, NULL), MPROC_EBROKEN);
    CHECK_OK(mproc_barrier_reset(b));
    CHECK(is_broken(b) == 0);
    CHECK(n_waiting(b) == 0);
    /* A full round works after the reset. */
    struct one_wait_arg a = {0}, c = {0};
    a.b = c.b = b;
    a.timeout = c.timeout = 20.0;
    pthread_t ta = start_thread(wait_once, &a);
    pthread_t tc = start_thread(wait_once, &c);
    CHECK_OK(mproc_barrier_wait(b, 20.0, NULL));
    pthread_join(ta, NULL);
    pthread_join(tc, NULL);
    CHECK_RC(a.rc, MPROC_OK);
    CHECK_RC(c.rc, MPROC_OK);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void reset_breaks_current_waiters_and_leaves_barrier_unbroken(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    struct one_wait_arg other = {0};
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 2, NULL, &b));
    other.b = b;
    other.timeout = 20.0;
    pthread_t t = start_thread(wait_once, &other);
    CHECK(await_n_waiting(b, 1));
    CHECK_OK(mproc_barrier_reset(b));
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_EBROKEN);
    CHECK(is_broken(b) == 0);
    CHECK(n_waiting(b) == 0);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void close_wakes_blocked_wait(void) {
    char name[64];
    mproc_barrier_t *keeper = NULL;
    struct one_wait_arg other = {0};
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 2, NULL, &keeper));
    CHECK_OK(mproc_barrier_open(name, &other.b));
    other.timeout = 10.0;
    pthread_t t = start_thread(wait_once, &other);
    CHECK(await_n_waiting(keeper, 1));
    sleep_seconds(0.05);
    double start = now_seconds();
    CHECK_OK(mproc_barrier_close(other.b));
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_ECLOSED);
    CHECK(now_seconds() - start < 5.0);
    CHECK_OK(mproc_barrier_close(keeper));
    CHECK_OK(mproc_barrier_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

enum { PROC_PARTIES = 3, PROC_ROUNDS = 5 };

struct proc_shared {
    atomic_int action_runs;
    unsigned int indices[PROC_ROUNDS][PROC_PARTIES];
};

static void party_in_process(const char *name, struct proc_shared *sh, int party) {
    mproc_barrier_t *b = NULL;
    if (!CHECK_OK(mproc_barrier_open(name, &b))) child_exit();
    CHECK_OK(mproc_barrier_set_action(b, count_trip, &sh->action_runs));
    for (int r = 0; r < PROC_ROUNDS; r++) {
        if (!CHECK_OK(mproc_barrier_wait(b, 20.0, &sh->indices[r][party]))) break;
        /* Exactly once per trip, before the release: nobody can start the next trip
         * until this party arrives again. */
        CHECK(atomic_load(&sh->action_runs) == r + 1);
    }
    CHECK_OK(mproc_barrier_close(b));
    child_exit();
}

static void three_processes_get_distinct_indices_every_round(void) {
    char name[64];
    struct proc_shared *sh = shared_alloc(sizeof *sh);
    pid_t pids[PROC_PARTIES - 1];
    mproc_barrier_t *b = NULL;
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), PROC_PARTIES, NULL, &b));
    for (int c = 0; c < PROC_PARTIES - 1; c++) {
        pids[c] = test_fork();
        if (pids[c] == 0) party_in_process(name, sh, c + 1);
    }
    CHECK_OK(mproc_barrier_set_action(b, count_trip, &sh->action_runs));
    for (int r = 0; r < PROC_ROUNDS; r++) {
        if (!CHECK_OK(mproc_barrier_wait(b, 20.0, &sh->indices[r][0]))) break;
        CHECK(atomic_load(&sh->action_runs) == r + 1);
    }
    for (int c = 0; c < PROC_PARTIES - 1; c++)
        CHECK_CHILD_EXITED(pids[c]);
    CHECK(atomic_load(&sh->action_runs) == PROC_ROUNDS);
    for (int r = 0; r < PROC_ROUNDS; r++) {
        unsigned int seen = 0;
        for (int p = 0; p < PROC_PARTIES; p++) {
            if (sh->indices[r][p] < PROC_PARTIES) seen |= 1u << sh->indices[r][p];
        }
        CHECK(seen == (1u << PROC_PARTIES) - 1);
    }
    CHECK(n_waiting(b) == 0);
    CHECK(is_broken(b) == 0);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
    shared_free(sh, sizeof *sh);
}

/* The party that times out gets MPROC_ETIMEDOUT; the barrier is broken, so a party
 * waiting in another process gets MPROC_EBROKEN, and so does every later wait. */
static void timeout_breaks_barrier_for_other_process(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 3, NULL, &b));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_barrier_t *mine = NULL;
        CHECK_OK(mproc_barrier_open(name, &mine));
        double start = now_seconds();
        CHECK_RC(mproc_barrier_wait(mine, 20.0, NULL), MPROC_EBROKEN);
        CHECK(now_seconds() - start < 10.0);
        CHECK_OK(mproc_barrier_close(mine));
        child_exit();
    }
    CHECK(await_n_waiting(b, 1));
    double start = now_seconds();
    CHECK_RC(mproc_barrier_wait(b, 0.2, NULL), MPROC_ETIMEDOUT);
    CHECK(now_seconds() - start >= 0.19);
    CHECK_CHILD_EXITED(pid);
    CHECK(is_broken(b) == 1);
    CHECK_RC(mproc_barrier_wait(b, 5.0, NULL), MPROC_EBROKEN);
    CHECK_OK(mproc_barrier_reset(b));
    CHECK(is_broken(b) == 0);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void abort_from_another_process_breaks_waiter(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 2, NULL, &b));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_barrier_t *mine = NULL;
        CHECK_OK(mproc_barrier_open(name, &mine));
        CHECK(await_n_waiting(mine, 1));
        CHECK_OK(mproc_barrier_abort(mine));
        CHECK_OK(mproc_barrier_close(mine));
        child_exit();
    }
    CHECK_RC(mproc_barrier_wait(b, 20.0, NULL), MPROC_EBROKEN);
    CHECK_CHILD_EXITED(pid);
    CHECK(is_broken(b) == 1);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

/* "A party that dies after arriving still counts as arrived." */
static void party_killed_after_arriving_still_counts(void) {
    char name[64];
    mproc_barrier_t *b = NULL;
    struct one_wait_arg other = {0};
    CHECK_OK(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 3, NULL, &b));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_barrier_t *mine = NULL;
        CHECK_OK(mproc_barrier_open(name, &mine));
        mproc_barrier_wait(mine, 30.0, NULL); /* killed in here */
        child_exit();
    }
    CHECK(await_n_waiting(b, 1));
    kill(pid, SIGKILL);
    CHECK_CHILD_KILLED(pid, SIGKILL);
    other.b = b;
    other.timeout = 20.0;
    pthread_t t = start_thread(wait_once, &other);
    unsigned int index = 99;
    CHECK_OK(mproc_barrier_wait(b, 20.0, &index));
    pthread_join(t, NULL);
    CHECK_RC(other.rc, MPROC_OK);
    /* The dead party took index 0. */
    CHECK((index == 1 && other.index == 2) || (index == 2 && other.index == 1));
    CHECK(is_broken(b) == 0);
    CHECK_OK(mproc_barrier_close(b));
    CHECK_OK(mproc_barrier_unlink(name));
}

static void anonymous_barrier_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_barrier_t *b = NULL, *again = NULL;
    CHECK_OK(mproc_barrier_create(NULL, 2, NULL, &b));
    CHECK_OK(mproc_barrier_name(b, name, sizeof name));
    CHECK(strlen(name) >= 1);
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_barrier_t *mine = NULL;
        CHECK_OK(mproc_barrier_open(name, &mine));
        CHECK_OK(mproc_barrier_wait(mine, 20.0, NULL)); /* round 1, by name */
        CHECK_OK(mproc_barrier_close(mine));
        CHECK_OK(mproc_barrier_wait(b, 20.0, NULL)); /* round 2, inherited handle */
        CHECK_OK(mproc_barrier_close(b));
        child_exit();
    }
    CHECK_OK(mproc_barrier_wait(b, 20.0, NULL));
    CHECK_OK(mproc_barrier_wait(b, 20.0, NULL));
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_barrier_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_barrier_close(again));
    CHECK_OK(mproc_barrier_close(b));
    CHECK_RC(mproc_barrier_open(name, &again), MPROC_ENOTFOUND);
}

int main(void) {
    RUN(new_barrier_reports_its_state);
    RUN(single_party_barrier_trips_at_once);
    RUN(action_runs_once_per_trip_before_release);
    RUN(failing_action_breaks_the_barrier);
    RUN(abort_breaks_waiters_and_later_calls_until_reset);
    RUN(reset_breaks_current_waiters_and_leaves_barrier_unbroken);
    RUN(close_wakes_blocked_wait);
    RUN(three_processes_get_distinct_indices_every_round);
    RUN(timeout_breaks_barrier_for_other_process);
    RUN(abort_from_another_process_breaks_waiter);
    RUN(party_killed_after_arriving_still_counts);
    RUN(anonymous_barrier_is_reachable_by_its_name_until_creator_closes);
    return check_report();
}
