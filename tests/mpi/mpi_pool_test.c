/*
 * mpi_pool_test.c -- the MPI backend of process pools through the C ABI, as a C user
 * drives it.
 *
 * Dynamic start (no argument; the pool spawns mproc-mpi-worker ranks): map over 10,000
 * task references gives the same results as a local pool, with chunksize 1, 10 and 0; a
 * task whose library cannot load fails with a message naming it while the others
 * succeed; apply_async and futures; shutdown and join; terminate; a SIGKILLed worker rank
 * fails the futures it held with MPROC_EBROKEN naming the rank, within the heartbeat
 * timeout, and nothing hangs.
 *
 * Static start (--static, under `mpiexec -n 3`, or `mpiexec -n 1 mpi_pool_test --static
 * : -n 2 mproc-mpi-worker`): rank 0 is the pool and maps tasks over ranks 1 and 2; in
 * those, mproc_pool_create does not return.
 */
#include "../capi/check.h"

#define WAIT 120.0      /* generous: a loaded 2-core machine is slow, never this slow */
#define MAP_TASKS 10000 /* the number */
#define BAD_LIBRARY "/nonexistent/libmproc_missing_tasks.so"

static mproc_task_t *fixture(const char *symbol, const char *signature) {
    mproc_task_t *t = NULL;
    CHECK_OK(mproc_task_create(MPROC_TEST_TASKS_LIB, symbol, signature, &t));
    return t;
}

/* Task i of the map: integer, double and string results in turn. */
static mproc_task_t *map_task(int i) {
    mproc_task_t *t = NULL;
    char name[32];
    switch (i % 3) {
        case 0:
            t = fixture("add", "i(ii)");
            CHECK_OK(mproc_task_arg_int(t, i));
            CHECK_OK(mproc_task_arg_int(t, 7));
            break;
        case 1:
            t = fixture("scale", "d(di)");
            CHECK_OK(mproc_task_arg_double(t, i * 0.5));
            CHECK_OK(mproc_task_arg_int(t, 3));
            break;
        default:
            t = fixture("greet", "s(s)");
            snprintf(name, sizeof name, "n%d", i);
            CHECK_OK(mproc_task_arg_string(t, name));
            break;
    }
    return t;
}

static mproc_pool_t *make_pool_info(int backend, int processes, double heartbeat_timeout,
                                    const char *info) {
    mproc_pool_options_t o;
    CHECK_OK(mproc_pool_options_init(&o));
    o.backend = backend;
    o.processes = processes;
    o.mpi_heartbeat_timeout = heartbeat_timeout;
    o.mpi_info = info;
    mproc_pool_t *pool = NULL;
    int rc = mproc_pool_create(&o, &pool);
    CHECK_OK(rc);
    if (rc != MPROC_OK) {
        fprintf(stderr, "cannot create the pool: %s\n", mproc_last_error());
        exit(1);
    }
    return pool;
}

static mproc_pool_t *make_pool(int backend, int processes, double heartbeat_timeout) {
    return make_pool_info(backend, processes, heartbeat_timeout, NULL);
}

/* One result, kept after its future is closed. */
typedef struct {
    int code;
    char type;
    long long i;
    double d;
    char s[32];
} outcome_t;

static void take_outcome(mproc_future_t *f, outcome_t *out) {
    mproc_result_t r;
    memset(out, 0, sizeof *out);
    out->code = mproc_future_result(f, WAIT, &r);
    if (out->code != MPROC_OK) return;
    out->type = r.type;
    out->i = r.i;
    out->d = r.d;
    if (r.type == 's' && r.data != NULL)
        snprintf(out->s, sizeof out->s, "%s", (const char *)r.data);
}

static int same_outcome(const outcome_t *a, const outcome_t *b) {
    return a->code == b->code && a->type == b->type && a->i == b->i && a->d == b->d &&
           strcmp(a->s, b->s) == 0;
}

/* Maps the tasks and collects every outcome. */
static void map_outcomes(mproc_pool_t *pool, mproc_task_t **tasks, size_t n, size_t chunksize,
                         outcome_t *out) {
    mproc_future_t **futures = calloc(n, sizeof *futures);
    CHECK(futures != NULL);
    double start = now_seconds();
    CHECK_OK(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, n, chunksize, WAIT, futures));
    for (size_t i = 0; i < n; ++i) {
        if (futures[i] != NULL) take_outcome(futures[i], &out[i]);
    }
    CHECK_OK(mproc_futures_close(futures, n));
    printf("  map of %zu tasks, chunksize %zu: %.2f s\n", n, chunksize, now_seconds() - start);
    free(futures);
}

static void test_map_matches_local_pool(void) {
    mproc_task_t **tasks = calloc(MAP_TASKS, sizeof *tasks);
    outcome_t *local = calloc(MAP_TASKS, sizeof *local);
    outcome_t *remote = calloc(MAP_TASKS, sizeof *remote);
    CHECK(tasks != NULL && local != NULL && remote != NULL);
    for (int i = 0; i < MAP_TASKS; ++i)
        tasks[i] = map_task(i);

    check_context("local pool");
    mproc_pool_t *pool = make_pool(MPROC_BACKEND_LOCAL, 2, 0);
    map_outcomes(pool, tasks, MAP_TASKS, 0, local);
    CHECK_OK(mproc_pool_close(pool));
    CHECK(local[3].type == 'i' && local[3].i == 10);
    CHECK(local[5].type == 's' && strcmp(local[5].s, "hello, n5") == 0);

    pool = make_pool(MPROC_BACKEND_MPI, 2, 0);
    int processes = 0;
    CHECK_OK(mproc_pool_processes(pool, &processes));
    CHECK(processes == 2);
    size_t chunksizes[3] = {1, 10, 0};
    for (int c = 0; c < 3; ++c) {
        check_context("MPI pool, chunksize %zu", chunksizes[c]);
        memset(remote, 0, MAP_TASKS * sizeof *remote);
        map_outcomes(pool, tasks, MAP_TASKS, chunksizes[c], remote);
        int differ = 0;
        for (int i = 0; i < MAP_TASKS; ++i) {
            if (!same_outcome(&local[i], &remote[i])) {
                if (differ++ < 5) {
                    fprintf(stderr, "  task %d: local %d %c %lld %g '%s', MPI %d %c %lld %g '%s'\n",
                            i, local[i].code, local[i].type, local[i].i, local[i].d, local[i].s,
                            remote[i].code, remote[i].type, remote[i].i, remote[i].d, remote[i].s);
                }
            }
        }
        CHECK(differ == 0);
    }
    check_context("MPI pool: shutdown and join");
    CHECK_OK(mproc_pool_shutdown(pool));
    CHECK_OK(mproc_pool_join(pool, WAIT));
    CHECK_OK(mproc_pool_close(pool));
    check_context("%s", "");
    for (int i = 0; i < MAP_TASKS; ++i)
        CHECK_OK(mproc_task_close(tasks[i]));
    free(tasks);
    free(local);
    free(remote);
}

static int local_function(void *arg) {
    (void)arg;
    return 1;
}

static void test_missing_library_fails_that_task_only(void) {
    mproc_pool_t *pool = make_pool(MPROC_BACKEND_MPI, 2, 0);
    enum { N = 9 };
    mproc_task_t *tasks[N];
    for (int i = 0; i < N; ++i)
        tasks[i] = map_task(i);
    CHECK_OK(mproc_task_close(tasks[4]));
    CHECK_OK(mproc_task_create(BAD_LIBRARY, "add", "i(ii)", &tasks[4]));
    CHECK_OK(mproc_task_arg_int(tasks[4], 1));
    CHECK_OK(mproc_task_arg_int(tasks[4], 2));
    mproc_future_t *futures[N] = {0};
    CHECK_OK(mproc_pool_map_async(pool, (const mproc_task_t *const *)tasks, N, 1, futures));
    for (int i = 0; i < N; ++i) {
        if (futures[i] == NULL) continue;
        mproc_result_t r;
        int rc = mproc_future_result(futures[i], WAIT, &r);
        if (i == 4) {
            CHECK(rc == MPROC_ENOTFOUND);
            const char *why = mproc_last_error();
            printf("  the missing library: %s: %s\n", mproc_errname(rc), why);
            CHECK(strstr(why, "libmproc_missing_tasks.so") != NULL);
        } else {
            CHECK_OK(rc);
        }
    }
    CHECK_OK(mproc_futures_close(futures, N));
    for (int i = 0; i < N; ++i)
        CHECK_OK(mproc_task_close(tasks[i]));
    /* A function pointer means nothing on another host. */
    mproc_task_t *fn = NULL;
    CHECK_OK(mproc_task_from_function(local_function, NULL, &fn));
    mproc_future_t *f = NULL;
    CHECK_RC(mproc_pool_apply_async(pool, fn, &f), MPROC_EINVAL);
    CHECK_OK(mproc_task_close(fn));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_mpi_info(void) {
    mproc_pool_options_t o;
    CHECK_OK(mproc_pool_options_init(&o));
    o.backend = MPROC_BACKEND_MPI;
    o.processes = 2;
    o.mpi_info = "host";
    mproc_pool_t *pool = NULL;
    int rc = mproc_pool_create(&o, &pool);
    CHECK(rc == MPROC_EINVAL);
    printf("  mpi_info \"host\": %s: %s\n", mproc_errname(rc), mproc_last_error());
    CHECK(strstr(mproc_last_error(), "host") != NULL);
    CHECK(pool == NULL);
}

static void test_apply_async_and_futures(void) {
    /* Placement through MPI_Info: every worker on this host. */
    char info[300] = "host=";
    CHECK(gethostname(info + 5, sizeof info - 6) == 0);
    mproc_pool_t *pool = make_pool_info(MPROC_BACKEND_MPI, 2, 0, info);
    enum { N = 50 };
    mproc_future_t *futures[N] = {0};
    for (int i = 0; i < N; ++i) {
        mproc_task_t *t = map_task(3 * i); /* add(3i, 7) */
        CHECK_OK(mproc_pool_apply_async(pool, t, &futures[i]));
        CHECK_OK(mproc_task_close(t)); /* copied at submit */
    }
    size_t ndone = 0;
    CHECK_OK(mproc_futures_wait(futures, N, MPROC_ALL_COMPLETED, WAIT, &ndone));
    CHECK(ndone == N);
    for (int i = 0; i < N; ++i) {
        mproc_result_t r;
        CHECK_OK(mproc_future_result(futures[i], 0, &r));
        CHECK(r.type == 'i' && r.i == 3 * i + 7);
    }
    CHECK_OK(mproc_futures_close(futures, N));
    mproc_task_t *t = map_task(2);
    mproc_result_t r;
    CHECK_OK(mproc_pool_apply(pool, t, WAIT, &r));
    CHECK(r.type == 's' && r.data != NULL && strcmp((const char *)r.data, "hello, n2") == 0);
    /* After shutdown: closed to new tasks; join waits for the ranks to leave. */
    CHECK_OK(mproc_pool_shutdown(pool));
    mproc_future_t *f = NULL;
    CHECK_RC(mproc_pool_apply_async(pool, t, &f), MPROC_ECLOSED);
    CHECK_OK(mproc_pool_join(pool, WAIT));
    CHECK_OK(mproc_task_close(t));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_terminate(void) {
    mproc_pool_t *pool = make_pool(MPROC_BACKEND_MPI, 2, 0);
    enum { N = 6 };
    mproc_future_t *futures[N] = {0};
    mproc_task_t *t = fixture("pool_sleep_ms", "i(i)");
    CHECK_OK(mproc_task_arg_int(t, 20000));
    for (int i = 0; i < N; ++i)
        CHECK_OK(mproc_pool_apply_async(pool, t, &futures[i]));
    sleep_seconds(1.0); /* let the first ones start */
    double start = now_seconds();
    CHECK_OK(mproc_pool_terminate(pool));
    for (int i = 0; i < N; ++i) {
        int code = MPROC_OK;
        CHECK_OK(mproc_future_exception(futures[i], 30, &code));
        CHECK(code == MPROC_ECANCELLED || code == MPROC_EBROKEN);
    }
    CHECK_OK(mproc_pool_join(pool, WAIT));
    double took = now_seconds() - start;
    printf("  terminate and join: %.2f s\n", took);
    CHECK(took < 15);
    CHECK_OK(mproc_futures_close(futures, N));
    CHECK_OK(mproc_task_close(t));
    CHECK_OK(mproc_pool_close(pool));
}

/* The parent of a process, from /proc (0 if unknown). */
static pid_t parent_of(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    char line[256];
    int ppid = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "PPid: %d", &ppid) == 1) break;
    }
    fclose(f);
    return (pid_t)ppid;
}

static void test_killed_rank_breaks_its_tasks(void) {
    const double heartbeat = 3.0;
    mproc_pool_t *pool = make_pool(MPROC_BACKEND_MPI, 2, heartbeat);
    /* A rank runs its tasks in a local mproc-worker: the rank is that process's parent. */
    mproc_task_t *who = fixture("pool_pid", "i()");
    mproc_result_t r;
    CHECK_OK(mproc_pool_apply(pool, who, WAIT, &r));
    pid_t rank = parent_of((pid_t)r.i);
    CHECK(rank > 1 && rank != getpid());
    CHECK_OK(mproc_task_close(who));

    enum { N = 4 };
    mproc_future_t *futures[N] = {0};
    mproc_task_t *t = fixture("pool_sleep_ms", "i(i)");
    CHECK_OK(mproc_task_arg_int(t, 30000));
    for (int i = 0; i < N; ++i)
        CHECK_OK(mproc_pool_apply_async(pool, t, &futures[i]));
    sleep_seconds(1.0);
    if (rank > 1) CHECK(kill(rank, SIGKILL) == 0);
    double killed = now_seconds();
    /* Every future ends: the killed rank's with EBROKEN naming the rank; the other rank's
     * too when Open MPI aborts its job (it does), else they complete or break later. */
    int broken = 0;
    for (int i = 0; i < N; ++i) {
        int code = MPROC_OK;
        CHECK_OK(mproc_future_exception(futures[i], 60, &code));
        if (code == MPROC_EBROKEN) {
            const char *why = mproc_last_error();
            if (broken++ == 0) {
                printf("  broken after %.2f s: %s\n", now_seconds() - killed, why);
                CHECK(now_seconds() - killed < heartbeat + 7);
            }
            CHECK(strstr(why, "rank") != NULL && strstr(why, "host") != NULL);
        } else {
            CHECK(code == MPROC_OK || code == MPROC_ECANCELLED);
        }
    }
    CHECK(broken >= 1);
    CHECK_OK(mproc_futures_close(futures, N));
    CHECK_OK(mproc_task_close(t));
    double start = now_seconds();
    CHECK_OK(mproc_pool_close(pool));
    CHECK(now_seconds() - start < 30);

    /* MPI lives on in this process: a new pool spawns new ranks. */
    pool = make_pool(MPROC_BACKEND_MPI, 2, 0);
    mproc_task_t *add = map_task(0);
    CHECK_OK(mproc_pool_apply(pool, add, WAIT, &r));
    CHECK(r.type == 'i' && r.i == 7);
    CHECK_OK(mproc_task_close(add));
    CHECK_OK(mproc_pool_shutdown(pool));
    CHECK_OK(mproc_pool_join(pool, WAIT));
    CHECK_OK(mproc_pool_close(pool));
}

static int run_dynamic(void) {
    CHECK(mproc_pool_backend_available(MPROC_BACKEND_MPI) == 1);
    printf("map over %d tasks, local vs MPI\n", MAP_TASKS);
    test_map_matches_local_pool();
    printf("a task whose library is missing\n");
    test_missing_library_fails_that_task_only();
    printf("mpi_info\n");
    test_mpi_info();
    printf("apply_async, futures, shutdown, join\n");
    test_apply_async_and_futures();
    printf("terminate\n");
    test_terminate();
    printf("a killed rank\n");
    test_killed_rank_breaks_its_tasks();
    return check_report();
}

static int run_static(void) {
    /* Ranks 1 .. N-1 serve in here and exit when the pool closes. */
    mproc_pool_t *pool = make_pool(MPROC_BACKEND_MPI, 0, 0);
    int processes = 0;
    CHECK_OK(mproc_pool_processes(pool, &processes));
    CHECK(processes == 2);
    enum { N = 1000 };
    mproc_task_t *tasks[N];
    mproc_future_t *futures[N] = {0};
    for (int i = 0; i < N; ++i)
        tasks[i] = map_task(3 * i);
    CHECK_OK(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, N, 7, WAIT, futures));
    for (int i = 0; i < N; ++i) {
        mproc_result_t r;
        if (futures[i] == NULL) continue;
        CHECK_OK(mproc_future_result(futures[i], 0, &r));
        CHECK(r.type == 'i' && r.i == 3 * i + 7);
    }
    CHECK_OK(mproc_futures_close(futures, N));
    for (int i = 0; i < N; ++i)
        CHECK_OK(mproc_task_close(tasks[i]));
    CHECK_OK(mproc_pool_shutdown(pool));
    CHECK_OK(mproc_pool_join(pool, WAIT));
    CHECK_OK(mproc_pool_close(pool));
    return check_report();
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--static") == 0) return run_static();
    return run_dynamic();
}
