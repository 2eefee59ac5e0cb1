/*
 * pool_test.c -- the process pool through the C ABI, as a C user drives it: fork and spawn
 * pools, apply / apply_async / map, errors per item, initializers, max_tasks_per_child, and
 * every refusal (bad options, NULLs, use after shutdown, oversized tasks).
 */
#include "check.h"

#include <stddef.h>

#define WAIT 60.0 /* generous: a loaded 2-core machine is slow, never this slow */

static mproc_task_t *add_task(int a, int b) {
    mproc_task_t *t = NULL;
    CHECK_OK(mproc_task_create(MPROC_TEST_TASKS_LIB, "add", "i(ii)", &t));
    CHECK_OK(mproc_task_arg_int(t, a));
    CHECK_OK(mproc_task_arg_int(t, b));
    return t;
}

static mproc_task_t *fixture(const char *symbol, const char *signature) {
    mproc_task_t *t = NULL;
    CHECK_OK(mproc_task_create(MPROC_TEST_TASKS_LIB, symbol, signature, &t));
    return t;
}

static mproc_pool_t *make_pool(int processes, int method) {
    mproc_pool_options_t o;
    CHECK_OK(mproc_pool_options_init(&o));
    o.processes = processes;
    o.start_method = method;
    mproc_pool_t *pool = NULL;
    CHECK_OK(mproc_pool_create(&o, &pool));
    return pool;
}

static int doubled(void *arg) {
    return 2 * *(int *)arg;
}

static void test_apply_in_fork_spawn_and_forkserver_pools(void) {
    int methods[3] = {MPROC_START_FORK, MPROC_START_SPAWN, MPROC_START_FORKSERVER};
    for (int m = 0; m < 3; ++m) {
        check_context("start method %d", methods[m]);
        mproc_pool_t *pool = make_pool(2, methods[m]);
        int processes = 0;
        CHECK_OK(mproc_pool_processes(pool, &processes));
        CHECK(processes == 2);
        mproc_task_t *t = add_task(40, 2);
        mproc_result_t r;
        CHECK_OK(mproc_pool_apply(pool, t, WAIT, &r));
        CHECK(r.type == 'i' && r.i == 42);
        mproc_future_t *f = NULL;
        CHECK_OK(mproc_pool_apply_async(pool, t, &f));
        CHECK_OK(mproc_future_result(f, WAIT, &r));
        CHECK(r.i == 42);
        CHECK_OK(mproc_future_close(f));
        /* A string result comes back too. */
        mproc_task_t *g = fixture("greet", "s(s)");
        CHECK_OK(mproc_task_arg_string(g, "pool"));
        CHECK_OK(mproc_pool_apply(pool, g, WAIT, &r));
        CHECK(r.type == 's' && r.data != NULL && strcmp((const char *)r.data, "hello, pool") == 0);
        CHECK_OK(mproc_task_close(g));
        CHECK_OK(mproc_pool_shutdown(pool));
        CHECK_OK(mproc_pool_join(pool, WAIT));
        CHECK_OK(mproc_task_close(t));
        CHECK_OK(mproc_pool_close(pool));
    }
}

static void test_fork_pool_runs_function_tasks(void) {
    static int values[5] = {1, 2, 3, 4, 5};
    mproc_pool_t *pool = make_pool(2, MPROC_START_FORK);
    mproc_task_t *tasks[5];
    for (int k = 0; k < 5; ++k)
        CHECK_OK(mproc_task_from_function(doubled, &values[k], &tasks[k]));
    mproc_future_t *futures[5];
    CHECK_OK(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, 5, 1, WAIT, futures));
    for (int k = 0; k < 5; ++k) {
        mproc_result_t r;
        CHECK_OK(mproc_future_result(futures[k], 0, &r));
        CHECK(r.i == 2 * values[k]);
    }
    CHECK_OK(mproc_futures_close(futures, 5));
    for (int k = 0; k < 5; ++k)
        CHECK_OK(mproc_task_close(tasks[k]));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_map_in_order_with_every_chunksize(void) {
    enum { N = 50 };
    size_t chunksizes[3] = {1, 0, 500};
    mproc_pool_t *pool = make_pool(2, MPROC_START_SPAWN);
    mproc_task_t *tasks[N];
    for (int k = 0; k < N; ++k)
        tasks[k] = add_task(k, 7);
    for (int c = 0; c < 3; ++c) {
        check_context("chunksize %zu", chunksizes[c]);
        mproc_future_t *futures[N];
        CHECK_OK(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, N, chunksizes[c], WAIT,
                                futures));
        for (int k = 0; k < N; ++k) {
            mproc_result_t r;
            CHECK_OK(mproc_future_result(futures[k], 0, &r));
            CHECK(r.i == k + 7);
        }
        CHECK_OK(mproc_futures_close(futures, N));
    }
    for (int k = 0; k < N; ++k)
        CHECK_OK(mproc_task_close(tasks[k]));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_errors_are_per_item(void) {
    mproc_pool_t *pool = make_pool(2, MPROC_START_SPAWN);
    mproc_task_t *good = add_task(1, 2);
    mproc_task_t *missing = fixture("no_such_function", "i()");
    const mproc_task_t *tasks[3] = {good, missing, good};
    mproc_future_t *futures[3];
    CHECK_RC(mproc_pool_map(pool, tasks, 3, 1, WAIT, futures), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "no_such_function") != NULL);
    mproc_result_t r;
    CHECK_OK(mproc_future_result(futures[0], WAIT, &r));
    CHECK(r.i == 3);
    CHECK_RC(mproc_future_result(futures[1], WAIT, &r), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "no_such_function") != NULL);
    CHECK_OK(mproc_future_result(futures[2], WAIT, &r));
    CHECK_RC(mproc_pool_apply(pool, missing, WAIT, &r), MPROC_ENOTFOUND);
    CHECK_OK(mproc_futures_close(futures, 3));
    CHECK_OK(mproc_task_close(good));
    CHECK_OK(mproc_task_close(missing));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_initializer_runs_once_per_worker(void) {
    enum { N = 30 };
    mproc_task_t *init = fixture("pool_init_mark", "i()");
    mproc_pool_options_t o;
    CHECK_OK(mproc_pool_options_init(&o));
    o.processes = 2;
    o.start_method = MPROC_START_SPAWN;
    o.initializer = init;
    mproc_pool_t *pool = NULL;
    CHECK_OK(mproc_pool_create(&o, &pool));
    CHECK_OK(mproc_task_close(init)); /* copied at create */
    mproc_task_t *runs = fixture("pool_init_runs_here", "i()");
    const mproc_task_t *tasks[N];
    for (int k = 0; k < N; ++k)
        tasks[k] = runs;
    mproc_future_t *futures[N];
    CHECK_OK(mproc_pool_map(pool, tasks, N, 1, WAIT, futures));
    for (int k = 0; k < N; ++k) {
        mproc_result_t r;
        CHECK_OK(mproc_future_result(futures[k], 0, &r));
        CHECK(r.i == 1);
    }
    CHECK_OK(mproc_futures_close(futures, N));
    CHECK_OK(mproc_task_close(runs));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_max_tasks_per_child_replaces_workers(void) {
    enum { N = 24 };
    mproc_pool_options_t o;
    CHECK_OK(mproc_pool_options_init(&o));
    o.processes = 2;
    o.start_method = MPROC_START_SPAWN;
    o.max_tasks_per_child = 2;
    mproc_pool_t *pool = NULL;
    CHECK_OK(mproc_pool_create(&o, &pool));
    int before[2] = {0, 0};
    size_t n = 0;
    CHECK_OK(mproc_pool_worker_pids(pool, before, 2, &n));
    CHECK(n == 2);
    mproc_task_t *pid = fixture("pool_pid", "i()");
    const mproc_task_t *tasks[N];
    for (int k = 0; k < N; ++k)
        tasks[k] = pid;
    mproc_future_t *futures[N];
    CHECK_OK(mproc_pool_map(pool, tasks, N, 0, WAIT, futures));
    int distinct = 0;
    int seen[N];
    for (int k = 0; k < N; ++k) {
        mproc_result_t r;
        CHECK_OK(mproc_future_result(futures[k], 0, &r));
        int dup = 0;
        for (int j = 0; j < distinct; ++j)
            dup |= seen[j] == (int)r.i;
        if (!dup) seen[distinct++] = (int)r.i;
    }
    CHECK(distinct >= N / 2);
    CHECK_OK(mproc_futures_close(futures, N));
    /* The pool keeps two workers, none of them the first ones. */
    int after[8] = {0};
    double until = now_seconds() + WAIT;
    do {
        CHECK_OK(mproc_pool_worker_pids(pool, after, 8, &n));
        if (n == 2 && after[0] != before[0] && after[0] != before[1] && after[1] != before[0] &&
            after[1] != before[1])
            break;
        sleep_seconds(0.01);
    } while (now_seconds() < until);
    CHECK(n == 2);
    CHECK(after[0] != before[0] && after[0] != before[1]);
    CHECK_OK(mproc_task_close(pid));
    CHECK_OK(mproc_pool_close(pool));
}

static void test_bad_input(void) {
    mproc_pool_options_t o;
    mproc_pool_t *pool = NULL;
    CHECK_RC(mproc_pool_options_init(NULL), MPROC_EINVAL);
    CHECK_OK(mproc_pool_options_init(&o));
    o.processes = -1;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    o.processes = 1025;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    CHECK_OK(mproc_pool_options_init(&o));
    o.start_method = 9;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    CHECK_OK(mproc_pool_options_init(&o));
    o.max_message = 10;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    CHECK_OK(mproc_pool_options_init(&o));
    o.size = 3;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    CHECK_RC(mproc_pool_create(NULL, NULL), MPROC_EINVAL);
    CHECK(pool == NULL);

    /* A function-pointer initializer or task with spawn. */
    static int one = 1;
    mproc_task_t *fn = NULL;
    CHECK_OK(mproc_task_from_function(doubled, &one, &fn));
    CHECK_OK(mproc_pool_options_init(&o));
    o.processes = 1;
    o.start_method = MPROC_START_SPAWN;
    o.initializer = fn;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    o.initializer = NULL;
    o.max_message = 256;
    CHECK_OK(mproc_pool_create(&o, &pool));
    mproc_future_t *f = NULL;
    CHECK_RC(mproc_pool_apply_async(pool, fn, &f), MPROC_EINVAL);
    CHECK(f == NULL);

    /* NULLs and incomplete tasks. */
    mproc_task_t *t = add_task(1, 1);
    mproc_task_t *incomplete = fixture("add", "i(ii)");
    mproc_result_t r;
    CHECK_RC(mproc_pool_apply_async(NULL, t, &f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_pool_apply_async(pool, NULL, &f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_pool_apply_async(pool, t, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_pool_apply_async(pool, incomplete, &f), MPROC_EINVAL);
    CHECK_RC(mproc_pool_apply(pool, t, NAN, &r), MPROC_EINVAL);
    CHECK_RC(mproc_pool_map_async(pool, NULL, 2, 1, &f), MPROC_EINVAL);
    const mproc_task_t *list[2] = {t, NULL};
    mproc_future_t *futures[2] = {(mproc_future_t *)1, (mproc_future_t *)1};
    CHECK_RC(mproc_pool_map_async(pool, list, 2, 1, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_pool_map_async(pool, list, 2, 1, futures), MPROC_EBADHANDLE);
    CHECK(futures[0] == NULL && futures[1] == NULL);
    CHECK_OK(mproc_pool_map_async(pool, NULL, 0, 0, NULL));
    CHECK_RC(mproc_pool_processes(pool, NULL), MPROC_EINVAL);
    size_t n = 0;
    CHECK_RC(mproc_pool_worker_pids(pool, NULL, 1, &n), MPROC_EINVAL);
    CHECK_RC(mproc_pool_worker_pids(pool, NULL, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_pool_worker_pids(pool, NULL, 0, &n), MPROC_ETOOBIG);
    CHECK(n == 1);

    /* Oversized: a task over max_message (256 here). */
    mproc_task_t *big = fixture("bytes_sum", "q(iyi)");
    char payload[1000];
    memset(payload, 'a', sizeof payload);
    CHECK_OK(mproc_task_arg_int(big, 0));
    CHECK_OK(mproc_task_arg_bytes(big, payload, sizeof payload));
    CHECK_OK(mproc_task_arg_int(big, 0));
    CHECK_RC(mproc_pool_apply_async(pool, big, &f), MPROC_ETOOBIG);
    const mproc_task_t *bigs[2] = {t, big};
    CHECK_RC(mproc_pool_map_async(pool, bigs, 2, 1, futures), MPROC_ETOOBIG);
    CHECK(futures[0] == NULL && futures[1] == NULL);
    /* A result over max_message fails its future only. */
    mproc_task_t *huge = fixture("pool_big_result", "Y(i)");
    CHECK_OK(mproc_task_arg_int(huge, 5000));
    CHECK_RC(mproc_pool_apply(pool, huge, WAIT, &r), MPROC_ETOOBIG);
    CHECK_OK(mproc_pool_apply(pool, t, WAIT, &r));

    /* Join before shutdown; use after shutdown. */
    CHECK_RC(mproc_pool_join(pool, 0), MPROC_EINVAL);
    CHECK_OK(mproc_pool_shutdown(pool));
    CHECK_OK(mproc_pool_shutdown(pool));
    CHECK_RC(mproc_pool_apply_async(pool, t, &f), MPROC_ECLOSED);
    CHECK_RC(mproc_pool_apply(pool, t, WAIT, &r), MPROC_ECLOSED);
    CHECK_OK(mproc_pool_join(pool, WAIT));
    CHECK_OK(mproc_pool_worker_pids(pool, NULL, 0, &n));
    CHECK(n == 0);
    CHECK_OK(mproc_pool_close(pool));
    CHECK_RC(mproc_pool_shutdown(pool), MPROC_EBADHANDLE);
    CHECK_OK(mproc_pool_close(NULL));

    CHECK_OK(mproc_task_close(t));
    CHECK_OK(mproc_task_close(incomplete));
    CHECK_OK(mproc_task_close(big));
    CHECK_OK(mproc_task_close(huge));
    CHECK_OK(mproc_task_close(fn));
}

static void test_close_with_work_pending(void) {
    mproc_pool_t *pool = make_pool(1, MPROC_START_FORK);
    mproc_task_t *slow = fixture("pool_sleep_ms", "i(i)");
    CHECK_OK(mproc_task_arg_int(slow, 10000));
    const mproc_task_t *tasks[3] = {slow, slow, slow};
    mproc_future_t *futures[3];
    CHECK_OK(mproc_pool_map_async(pool, tasks, 3, 1, futures));
    double t0 = now_seconds();
    CHECK_OK(mproc_pool_close(pool));
    CHECK(now_seconds() - t0 < 9.0); /* it did not wait for the tasks */
    for (int k = 0; k < 3; ++k) {
        int code = 0;
        CHECK_OK(mproc_future_exception(futures[k], WAIT, &code));
        CHECK(code == MPROC_ECANCELLED || code == MPROC_EBROKEN);
    }
    CHECK_OK(mproc_futures_close(futures, 3));
    CHECK_OK(mproc_task_close(slow));
}

/* The backend option: what every build can check (the MPI pool itself is tested in
 * tests/mpi/ when mproc is built with MPI). */
static void test_backend_option(void) {
    CHECK(mproc_pool_backend_available(MPROC_BACKEND_LOCAL) == 1);
    CHECK(mproc_pool_backend_available(7) == 0);
    CHECK(mproc_pool_backend_available(-1) == 0);

    mproc_pool_options_t o;
    mproc_pool_t *pool = NULL;
    CHECK_OK(mproc_pool_options_init(&o));
    CHECK(o.backend == MPROC_BACKEND_LOCAL && o.mpi_info == NULL && o.mpi_heartbeat_timeout == 0);
    o.backend = 7;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    CHECK(pool == NULL);
    CHECK(strstr(mproc_last_error(), "backend") != NULL);

    /* MPI takes no start method (checked before the plugin is looked for). */
    CHECK_OK(mproc_pool_options_init(&o));
    o.backend = MPROC_BACKEND_MPI;
    o.start_method = MPROC_START_SPAWN;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    o.start_method = MPROC_START_DEFAULT;
    o.mpi_heartbeat_timeout = -1;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    o.mpi_heartbeat_timeout = 0;
    o.mpi_info = "no equals sign";
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
    o.mpi_info = NULL;

    /* No plugin: a clear MPROC_ENOTFOUND, and the backend is not available. */
    const char *saved = getenv("MPROC_MPI_PLUGIN");
    char *old = saved != NULL ? strdup(saved) : NULL;
    CHECK(setenv("MPROC_MPI_PLUGIN", "/nonexistent/libmproc_mpi.so", 1) == 0);
    /* (Nothing loaded the plugin before in this process: once loaded, it stays.) */
    CHECK(mproc_pool_backend_available(MPROC_BACKEND_MPI) == 0);
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "libmproc_mpi.so") != NULL);
    CHECK(pool == NULL);
    if (old != NULL) {
        CHECK(setenv("MPROC_MPI_PLUGIN", old, 1) == 0);
        free(old);
    } else {
        CHECK(unsetenv("MPROC_MPI_PLUGIN") == 0);
    }

    /* An options struct from before the MPI fields: they take their defaults. */
    CHECK_OK(mproc_pool_options_init(&o));
    o.size = offsetof(mproc_pool_options_t, backend);
    o.backend = 7; /* beyond its size: not read */
    o.processes = 1;
    o.start_method = MPROC_START_FORK;
    CHECK_OK(mproc_pool_create(&o, &pool));
    mproc_task_t *t = add_task(20, 22);
    mproc_result_t r;
    CHECK_OK(mproc_pool_apply(pool, t, WAIT, &r));
    CHECK(r.type == 'i' && r.i == 42);
    CHECK_OK(mproc_task_close(t));
    CHECK_OK(mproc_pool_close(pool));
    o.size = offsetof(mproc_pool_options_t, backend) - 1;
    pool = NULL;
    CHECK_RC(mproc_pool_create(&o, &pool), MPROC_EINVAL);
}

int main(void) {
    RUN(test_apply_in_fork_spawn_and_forkserver_pools);
    RUN(test_fork_pool_runs_function_tasks);
    RUN(test_map_in_order_with_every_chunksize);
    RUN(test_errors_are_per_item);
    RUN(test_initializer_runs_once_per_worker);
    RUN(test_max_tasks_per_child_replaces_workers);
    RUN(test_bad_input);
    RUN(test_close_with_work_pending);
    RUN(test_backend_option);
    return check_report();
}
