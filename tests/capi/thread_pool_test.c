/* thread_pool_test.c -- mproc_thread_pool_* driven from C: worker counts, FIFO order with
 * one worker, submit after shutdown (MPROC_ECLOSED), shutdown with cancel_pending,
 * shutdown without waiting, map (results in order, the first error in order, a timeout,
 * an incomplete task), many threads submitting at once (exact counts), shutdown and close
 * from one of the pool's own threads (MPROC_EINVAL), and bad input for every entry point. */
#include "check.h"

#include <stdint.h>

static const char *kLib = MPROC_TEST_TASKS_LIB;

static int return_arg(void *arg) {
    return (int)(intptr_t)arg;
}

/* Blocks until *gate is non-zero (at most 60 s); returns 7. */
static int wait_gate(void *arg) {
    atomic_int *gate = arg;
    double deadline = now_seconds() + 60.0;
    while (atomic_load(gate) == 0 && now_seconds() < deadline)
        sleep_seconds(0.001);
    return 7;
}

static atomic_int g_counter;
static int count_one(void *arg) {
    (void)arg;
    atomic_fetch_add(&g_counter, 1);
    return 0;
}

/* The order in which tasks ran (one worker). */
static int g_order[64];
static atomic_int g_order_n;
static int record(void *arg) {
    int n = atomic_fetch_add(&g_order_n, 1);
    if (n < 64) g_order[n] = (int)(intptr_t)arg;
    return 0;
}

static mproc_future_t *submit_fn(mproc_thread_pool_t *pool, mproc_task_fn fn, void *arg) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(fn, arg, &task));
    mproc_future_t *f = NULL;
    CHECK_OK(mproc_thread_pool_submit(pool, task, &f));
    CHECK_OK(mproc_task_close(task));
    return f;
}

static int await_running(mproc_future_t *f) {
    double deadline = now_seconds() + 30.0;
    int running = 0;
    while (now_seconds() < deadline) {
        CHECK_OK(mproc_future_running(f, &running));
        if (running) return 1;
        sleep_seconds(0.001);
    }
    return 0;
}

static void worker_counts(void) {
    mproc_thread_pool_t *pool = NULL;
    int n = 0, cpus = 0;
    CHECK_OK(mproc_thread_pool_create(3, &pool));
    CHECK_OK(mproc_thread_pool_workers(pool, &n));
    CHECK(n == 3);
    CHECK_OK(mproc_thread_pool_close(pool));
    CHECK_OK(mproc_thread_pool_create(0, &pool));
    CHECK_OK(mproc_thread_pool_workers(pool, &n));
    CHECK_OK(mproc_cpu_count(&cpus));
    CHECK(n == cpus);
    CHECK_OK(mproc_thread_pool_close(pool));
    pool = NULL;
    CHECK_RC(mproc_thread_pool_create(-1, &pool), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_create(4097, &pool), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_create(1, NULL), MPROC_EINVAL);
    CHECK(pool == NULL);
}

static void one_worker_runs_tasks_in_order(void) {
    atomic_store(&g_order_n, 0);
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *fs[50];
    for (int i = 0; i < 50; ++i)
        fs[i] = submit_fn(pool, record, (void *)(intptr_t)i);
    CHECK_OK(mproc_thread_pool_close(pool)); /* waits for the queue */
    CHECK(atomic_load(&g_order_n) == 50);
    int in_order = 1;
    for (int i = 0; i < 50; ++i)
        in_order &= g_order[i] == i;
    CHECK(in_order);
    CHECK_OK(mproc_futures_wait(fs, 50, MPROC_ALL_COMPLETED, 0, NULL));
    CHECK_OK(mproc_futures_close(fs, 50));
}

static void submit_after_shutdown_is_closed(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    CHECK_OK(mproc_thread_pool_shutdown(pool, 1, 0));
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &task));
    mproc_future_t *f = NULL;
    CHECK_RC(mproc_thread_pool_submit(pool, task, &f), MPROC_ECLOSED);
    CHECK(f == NULL);
    const mproc_task_t *tasks[1] = {task};
    mproc_future_t *fs[1] = {NULL};
    CHECK_RC(mproc_thread_pool_map(pool, tasks, 1, 1.0, fs), MPROC_ECLOSED);
    CHECK(fs[0] == NULL);
    CHECK_OK(mproc_thread_pool_shutdown(pool, 1, 1)); /* again: fine */
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void shutdown_cancels_pending_and_may_not_wait(void) {
    atomic_int gate = 0;
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *blocker = submit_fn(pool, wait_gate, &gate);
    CHECK(await_running(blocker));
    mproc_future_t *queued[5];
    for (int i = 0; i < 5; ++i)
        queued[i] = submit_fn(pool, return_arg, NULL);
    double t0 = now_seconds();
    CHECK_OK(mproc_thread_pool_shutdown(pool, 0, 1)); /* the task still runs: no wait */
    CHECK(now_seconds() - t0 < 10.0);
    int v = 1;
    CHECK_OK(mproc_future_done(blocker, &v));
    CHECK(v == 0);
    for (int i = 0; i < 5; ++i) {
        CHECK_OK(mproc_future_cancelled(queued[i], &v));
        CHECK(v == 1);
        CHECK_RC(mproc_future_result(queued[i], 0, NULL), MPROC_ECANCELLED);
    }
    atomic_store(&gate, 1);
    CHECK_OK(mproc_thread_pool_shutdown(pool, 1, 0));
    CHECK_OK(mproc_future_done(blocker, &v));
    CHECK(v == 1);
    CHECK_OK(mproc_futures_close(queued, 5));
    CHECK_OK(mproc_future_close(blocker));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void shutdown_without_cancel_runs_the_queue(void) {
    atomic_store(&g_counter, 0);
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(2, &pool));
    mproc_future_t *fs[100];
    for (int i = 0; i < 100; ++i)
        fs[i] = submit_fn(pool, count_one, NULL);
    CHECK_OK(mproc_thread_pool_shutdown(pool, 1, 0));
    CHECK(atomic_load(&g_counter) == 100);
    CHECK_OK(mproc_futures_close(fs, 100));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static mproc_task_t *add_task(int a, int b) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create(kLib, "add", "i(ii)", &task));
    CHECK_OK(mproc_task_arg_int(task, a));
    CHECK_OK(mproc_task_arg_int(task, b));
    return task;
}

static void map_gives_results_in_order_and_the_first_error(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(2, &pool));
    enum { N = 20 };
    mproc_task_t *tasks[N];
    mproc_future_t *fs[N];
    for (int i = 0; i < N; ++i)
        tasks[i] = add_task(i, 100);
    CHECK_OK(mproc_thread_pool_map(pool, (const mproc_task_t *const *)tasks, N, 30.0, fs));
    int ok = 1;
    for (int i = 0; i < N; ++i) {
        mproc_result_t r;
        ok &= mproc_future_result(fs[i], 0, &r) == MPROC_OK && r.i == i + 100;
    }
    CHECK(ok);
    CHECK_OK(mproc_futures_close(fs, N));

    /* Items 5 and 12 fail: the call reports item 5's error. */
    mproc_task_t *missing = NULL, *other = NULL;
    CHECK_OK(mproc_task_create(kLib, "missing_five", "i()", &missing));
    CHECK_OK(mproc_task_create(kLib, "missing_twelve", "i()", &other));
    mproc_task_t *saved5 = tasks[5], *saved12 = tasks[12];
    tasks[5] = missing;
    tasks[12] = other;
    CHECK_RC(mproc_thread_pool_map(pool, (const mproc_task_t *const *)tasks, N, 30.0, fs),
             MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "missing_five") != NULL);
    int all = 1;
    for (int i = 0; i < N; ++i)
        all &= fs[i] != NULL;
    CHECK(all);
    CHECK_OK(mproc_futures_wait(fs, N, MPROC_ALL_COMPLETED, 30.0, NULL));
    int code = 0;
    CHECK_OK(mproc_future_exception(fs[12], 0, &code));
    CHECK(code == MPROC_ENOTFOUND);
    CHECK_OK(mproc_futures_close(fs, N));
    tasks[5] = saved5;
    tasks[12] = saved12;

    /* A timeout: a task that waits for a gate. */
    atomic_int gate = 0;
    mproc_task_t *slow = NULL;
    CHECK_OK(mproc_task_from_function(wait_gate, &gate, &slow));
    const mproc_task_t *two[2] = {tasks[0], slow};
    mproc_future_t *fs2[2];
    CHECK_RC(mproc_thread_pool_map(pool, two, 2, 0.05, fs2), MPROC_ETIMEDOUT);
    CHECK(fs2[0] != NULL && fs2[1] != NULL);
    atomic_store(&gate, 1);
    CHECK_OK(mproc_futures_close(fs2, 2));

    /* An incomplete task: nothing queued, every entry NULL. */
    mproc_task_t *incomplete = NULL;
    CHECK_OK(mproc_task_create(kLib, "add", "i(ii)", &incomplete));
    const mproc_task_t *bad[2] = {tasks[0], incomplete};
    fs2[0] = fs2[1] = (mproc_future_t *)(void *)1;
    CHECK_RC(mproc_thread_pool_map(pool, bad, 2, 1.0, fs2), MPROC_EINVAL);
    CHECK(fs2[0] == NULL && fs2[1] == NULL);
    const mproc_task_t *with_null[2] = {tasks[0], NULL};
    CHECK_RC(mproc_thread_pool_map(pool, with_null, 2, 1.0, fs2), MPROC_EINVAL);
    CHECK_OK(mproc_thread_pool_map(pool, NULL, 0, 1.0, NULL));
    CHECK_RC(mproc_thread_pool_map(pool, NULL, 1, 1.0, fs2), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_map(pool, bad, 1, 1.0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_map(pool, bad, 1, NAN, fs2), MPROC_EINVAL);

    CHECK_OK(mproc_task_close(incomplete));
    CHECK_OK(mproc_task_close(slow));
    CHECK_OK(mproc_task_close(missing));
    CHECK_OK(mproc_task_close(other));
    for (int i = 0; i < N; ++i)
        CHECK_OK(mproc_task_close(tasks[i]));
    CHECK_OK(mproc_thread_pool_close(pool));
}

enum { kSubmitters = 4, kEach = 1000 };

static void *submitter(void *arg) {
    mproc_thread_pool_t *pool = arg;
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(count_one, NULL, &task));
    mproc_future_t **fs = calloc(kEach, sizeof *fs);
    int ok = 0;
    for (int i = 0; i < kEach; ++i)
        ok += mproc_thread_pool_submit(pool, task, &fs[i]) == MPROC_OK;
    CHECK(ok == kEach);
    CHECK_OK(mproc_futures_wait(fs, kEach, MPROC_ALL_COMPLETED, 60.0, NULL));
    int good = 0;
    for (int i = 0; i < kEach; ++i)
        good += mproc_future_result(fs[i], 0, NULL) == MPROC_OK;
    CHECK(good == kEach);
    CHECK_OK(mproc_futures_close(fs, kEach));
    free(fs);
    CHECK_OK(mproc_task_close(task));
    return NULL;
}

static void many_threads_submit_at_once(void) {
    atomic_store(&g_counter, 0);
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(3, &pool));
    pthread_t threads[kSubmitters];
    for (int i = 0; i < kSubmitters; ++i)
        threads[i] = start_thread(submitter, pool);
    for (int i = 0; i < kSubmitters; ++i)
        pthread_join(threads[i], NULL);
    CHECK(atomic_load(&g_counter) == kSubmitters * kEach);
    CHECK_OK(mproc_thread_pool_close(pool));
}

/* Run by the pool's own worker: shutdown with wait and close must refuse; shutdown without
 * waiting is fine. Returns 0 if all three behaved. */
static int misuse_from_inside(void *arg) {
    mproc_thread_pool_t *pool = arg;
    int bad = 0;
    if (mproc_thread_pool_close(pool) != MPROC_EINVAL) bad |= 1;
    if (mproc_thread_pool_shutdown(pool, 1, 0) != MPROC_EINVAL) bad |= 2;
    if (mproc_thread_pool_shutdown(pool, 0, 0) != MPROC_OK) bad |= 4;
    return bad;
}

static void close_from_a_pool_thread_is_invalid(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *f = submit_fn(pool, misuse_from_inside, pool);
    mproc_result_t r;
    CHECK_OK(mproc_future_result(f, 30.0, &r));
    CHECK(r.i == 0);
    CHECK_OK(mproc_future_close(f));
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &task));
    CHECK_RC(mproc_thread_pool_submit(pool, task, &f), MPROC_ECLOSED); /* it shut down */
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void bad_input(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_task_t *task = NULL, *incomplete = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &task));
    CHECK_OK(mproc_task_create(kLib, "add", "i(ii)", &incomplete));
    mproc_future_t *f = NULL;
    int n = 0;
    CHECK_RC(mproc_thread_pool_submit(pool, incomplete, &f), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "incomplete") != NULL);
    CHECK_RC(mproc_thread_pool_submit(pool, task, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_submit(pool, NULL, &f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_submit(NULL, task, &f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_workers(pool, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_pool_workers(NULL, &n), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_shutdown(NULL, 1, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_close(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_submit((mproc_thread_pool_t *)(void *)task, task, &f),
             MPROC_EBADHANDLE);
    CHECK_OK(mproc_task_close(incomplete));
    CHECK_RC(mproc_thread_pool_submit(pool, incomplete, &f), MPROC_EBADHANDLE); /* closed */
    CHECK_OK(mproc_thread_pool_close(pool));
    CHECK_RC(mproc_thread_pool_close(pool), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_submit(pool, task, &f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_workers(pool, &n), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_shutdown(pool, 0, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_pool_map(pool, NULL, 0, 0, NULL), MPROC_EBADHANDLE);
    CHECK_OK(mproc_task_close(task));
}

int main(void) {
    RUN(worker_counts);
    RUN(one_worker_runs_tasks_in_order);
    RUN(submit_after_shutdown_is_closed);
    RUN(shutdown_cancels_pending_and_may_not_wait);
    RUN(shutdown_without_cancel_runs_the_queue);
    RUN(map_gives_results_in_order_and_the_first_error);
    RUN(many_threads_submit_at_once);
    RUN(close_from_a_pool_thread_is_invalid);
    RUN(bad_input);
    return check_report();
}
