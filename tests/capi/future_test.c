/* future_test.c -- mproc_future_* and mproc_futures_* driven from C, over futures of a
 * thread pool: results (an int, a string owned by the future), a task's error surfacing
 * through result and exception (missing symbol -> MPROC_ENOTFOUND with its message),
 * running / done / cancelled over a future's life, cancel rules, wait and result timeouts,
 * done-callbacks added before and after done (order, thread, the handle they get),
 * mproc_futures_wait for each return_when with timeouts, mproc_futures_wait_any as
 * as_completed, and bad input for every entry point. */
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

static mproc_future_t *submit_fn(mproc_thread_pool_t *pool, mproc_task_fn fn, void *arg) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(fn, arg, &task));
    mproc_future_t *f = NULL;
    CHECK_OK(mproc_thread_pool_submit(pool, task, &f));
    CHECK_OK(mproc_task_close(task)); /* the pool keeps its own copy */
    return f;
}

static mproc_future_t *submit_add(mproc_thread_pool_t *pool, int a, int b) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create(kLib, "add", "i(ii)", &task));
    CHECK_OK(mproc_task_arg_int(task, a));
    CHECK_OK(mproc_task_arg_int(task, b));
    mproc_future_t *f = NULL;
    CHECK_OK(mproc_thread_pool_submit(pool, task, &f));
    CHECK_OK(mproc_task_close(task));
    return f;
}

static mproc_future_t *submit_missing(mproc_thread_pool_t *pool) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create(kLib, "no_such_function", "i()", &task));
    mproc_future_t *f = NULL;
    CHECK_OK(mproc_thread_pool_submit(pool, task, &f));
    CHECK_OK(mproc_task_close(task));
    return f;
}

/* Polls until the future runs (at most 30 s). */
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

static void results_of_function_and_reference_tasks(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(2, &pool));
    mproc_future_t *f = submit_fn(pool, return_arg, (void *)(intptr_t)42);
    mproc_future_t *g = submit_add(pool, 20, 22);
    mproc_result_t r;
    memset(&r, 0, sizeof r);
    CHECK_OK(mproc_future_result(f, 30.0, &r));
    CHECK(r.type == 'i' && r.i == 42 && r.data == NULL && r.len == 0);
    CHECK_OK(mproc_future_result(g, 30.0, &r));
    CHECK(r.type == 'i' && r.i == 42);
    CHECK_OK(mproc_future_result(g, 0, NULL)); /* success only */
    int v = -1;
    CHECK_OK(mproc_future_done(g, &v));
    CHECK(v == 1);
    CHECK_OK(mproc_future_running(g, &v));
    CHECK(v == 0);
    CHECK_OK(mproc_future_cancelled(g, &v));
    CHECK(v == 0);
    CHECK_OK(mproc_future_exception(g, 0, &v));
    CHECK(v == MPROC_OK);

    /* A string result: data is owned by the future, valid until it is closed. */
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create(kLib, "greet_new", "S(s)", &task));
    CHECK_OK(mproc_task_arg_string(task, "bob"));
    mproc_future_t *s = NULL;
    CHECK_OK(mproc_thread_pool_submit(pool, task, &s));
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_future_result(s, 30.0, &r));
    const void *first = r.data;
    CHECK(r.type == 'S' && r.data != NULL && r.len == strlen("hi bob"));
    CHECK(r.data != NULL && strcmp((const char *)r.data, "hi bob") == 0);
    CHECK_OK(mproc_future_result(s, 30.0, &r));
    CHECK(r.data == first); /* the same outcome every time */
    CHECK_OK(mproc_future_close(s));
    CHECK_OK(mproc_future_close(f));
    CHECK_OK(mproc_future_close(g));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void a_task_error_surfaces_through_the_future(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *f = submit_missing(pool);
    mproc_result_t r;
    CHECK_RC(mproc_future_result(f, 30.0, &r), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "no_such_function") != NULL);
    CHECK(strstr(mproc_last_error(), "task '") != NULL);
    CHECK_RC(mproc_future_result(f, 0, NULL), MPROC_ENOTFOUND); /* every time */
    int code = 0;
    CHECK_OK(mproc_future_exception(f, 30.0, &code));
    CHECK(code == MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "no_such_function") != NULL);
    int done = 0;
    CHECK_OK(mproc_future_wait(f, 0));
    CHECK_OK(mproc_future_done(f, &done));
    CHECK(done == 1);
    CHECK_OK(mproc_future_close(f));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void cancel_only_before_it_runs(void) {
    atomic_int gate = 0;
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *blocker = submit_fn(pool, wait_gate, &gate);
    CHECK(await_running(blocker));
    mproc_future_t *queued = submit_fn(pool, return_arg, NULL);
    int v = -1;
    CHECK_OK(mproc_future_running(queued, &v));
    CHECK(v == 0);
    CHECK_OK(mproc_future_done(queued, &v));
    CHECK(v == 0);
    CHECK_RC(mproc_future_wait(queued, 0), MPROC_ETIMEDOUT);
    CHECK_RC(mproc_future_wait(queued, 0.05), MPROC_ETIMEDOUT);
    CHECK_RC(mproc_future_result(blocker, 0.05, NULL), MPROC_ETIMEDOUT);
    CHECK_RC(mproc_future_exception(blocker, 0, &v), MPROC_ETIMEDOUT);

    int cancelled = -1;
    CHECK_OK(mproc_future_cancel(blocker, &cancelled)); /* running: cannot */
    CHECK(cancelled == 0);
    CHECK_OK(mproc_future_cancel(queued, &cancelled));
    CHECK(cancelled == 1);
    CHECK_OK(mproc_future_cancel(queued, &cancelled)); /* again: 1 */
    CHECK(cancelled == 1);
    CHECK_OK(mproc_future_cancel(queued, NULL));
    CHECK_OK(mproc_future_cancelled(queued, &v));
    CHECK(v == 1);
    CHECK_OK(mproc_future_done(queued, &v));
    CHECK(v == 1);
    CHECK_RC(mproc_future_result(queued, 0, NULL), MPROC_ECANCELLED);
    CHECK_OK(mproc_future_exception(queued, 0, &v));
    CHECK(v == MPROC_ECANCELLED);

    atomic_store(&gate, 1);
    mproc_result_t r;
    CHECK_OK(mproc_future_result(blocker, 30.0, &r));
    CHECK(r.i == 7);
    CHECK_OK(mproc_future_cancel(blocker, &cancelled)); /* finished: cannot */
    CHECK(cancelled == 0);
    CHECK_OK(mproc_future_cancelled(blocker, &v));
    CHECK(v == 0);
    mproc_future_t *list[] = {blocker, queued};
    CHECK_OK(mproc_futures_close(list, 2));
    CHECK(list[0] == NULL && list[1] == NULL);
    CHECK_OK(mproc_thread_pool_close(pool));
}

/* What the callbacks saw. */
struct calls {
    atomic_int count;    /* slots taken */
    atomic_int finished; /* slots written: wait for this one before reading them */
    int order[8];
    pthread_t thread[8];
    int done_seen[8];
    long long result[8];
};

static struct calls g_calls;

static void record_call(mproc_future_t *f, void *arg) {
    int n = atomic_fetch_add(&g_calls.count, 1);
    if (n >= 8) return;
    g_calls.order[n] = (int)(intptr_t)arg;
    g_calls.thread[n] = pthread_self();
    int done = 0;
    g_calls.done_seen[n] = mproc_future_done(f, &done) == MPROC_OK ? done : -1;
    mproc_result_t r;
    g_calls.result[n] = mproc_future_result(f, 0, &r) == MPROC_OK ? r.i : -1;
    atomic_fetch_add(&g_calls.finished, 1);
}

static void callbacks_run_in_order_once_done(void) {
    memset(&g_calls, 0, sizeof g_calls);
    atomic_int gate = 0;
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *f = submit_fn(pool, wait_gate, &gate);
    CHECK_OK(mproc_future_add_done_callback(f, record_call, (void *)(intptr_t)1));
    CHECK_OK(mproc_future_add_done_callback(f, record_call, (void *)(intptr_t)2));
    CHECK(atomic_load(&g_calls.count) == 0);
    atomic_store(&gate, 1);
    CHECK_OK(mproc_future_wait(f, 30.0));
    CHECK(await_at_least(&g_calls.finished, 2, 30.0));
    CHECK(g_calls.order[0] == 1 && g_calls.order[1] == 2);
    CHECK(!pthread_equal(g_calls.thread[0], pthread_self())); /* the worker ran them */
    CHECK(g_calls.done_seen[0] == 1 && g_calls.result[0] == 7);
    /* Added once done: at once, in this thread. */
    CHECK_OK(mproc_future_add_done_callback(f, record_call, (void *)(intptr_t)3));
    CHECK(atomic_load(&g_calls.count) == 3);
    CHECK(g_calls.order[2] == 3 && pthread_equal(g_calls.thread[2], pthread_self()));
    CHECK(g_calls.result[2] == 7);
    /* A closed handle does not stop its callbacks. */
    atomic_store(&gate, 0);
    mproc_future_t *blocker = submit_fn(pool, wait_gate, &gate);
    CHECK(await_running(blocker));
    mproc_future_t *queued = submit_fn(pool, return_arg, NULL);
    CHECK_OK(mproc_future_add_done_callback(queued, record_call, (void *)(intptr_t)4));
    CHECK_OK(mproc_future_close(queued)); /* closing the handle does not cancel */
    atomic_store(&gate, 1);
    CHECK(await_at_least(&g_calls.finished, 4, 30.0));
    CHECK(g_calls.order[3] == 4 && g_calls.result[3] == 0); /* it ran */
    CHECK_OK(mproc_future_close(blocker));
    CHECK_OK(mproc_future_close(f));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void cancel_runs_callbacks_in_the_cancelling_thread(void) {
    memset(&g_calls, 0, sizeof g_calls);
    atomic_int gate = 0;
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *blocker = submit_fn(pool, wait_gate, &gate);
    CHECK(await_running(blocker));
    mproc_future_t *queued = submit_fn(pool, return_arg, NULL);
    CHECK_OK(mproc_future_add_done_callback(queued, record_call, (void *)(intptr_t)9));
    int cancelled = 0;
    CHECK_OK(mproc_future_cancel(queued, &cancelled));
    CHECK(cancelled == 1);
    CHECK(atomic_load(&g_calls.count) == 1);
    CHECK(g_calls.order[0] == 9 && pthread_equal(g_calls.thread[0], pthread_self()));
    CHECK(g_calls.done_seen[0] == 1 && g_calls.result[0] == -1);
    atomic_store(&gate, 1);
    CHECK_OK(mproc_future_close(queued));
    CHECK_OK(mproc_future_close(blocker));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void futures_wait_for_each_return_when(void) {
    atomic_int gate = 0;
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(2, &pool));
    mproc_future_t *fs[3];
    fs[0] = submit_fn(pool, wait_gate, &gate);
    fs[1] = submit_add(pool, 1, 2);
    CHECK_OK(mproc_future_wait(fs[1], 30.0));
    fs[2] = submit_fn(pool, wait_gate, &gate);
    size_t ndone = 99;
    CHECK_OK(mproc_futures_wait(fs, 3, MPROC_FIRST_COMPLETED, 30.0, &ndone));
    CHECK(ndone == 1);
    CHECK_RC(mproc_futures_wait(fs, 3, MPROC_FIRST_EXCEPTION, 0.05, &ndone), MPROC_ETIMEDOUT);
    CHECK(ndone == 1);
    CHECK_RC(mproc_futures_wait(fs, 3, MPROC_ALL_COMPLETED, 0.05, &ndone), MPROC_ETIMEDOUT);
    CHECK(ndone == 1);
    CHECK_RC(mproc_futures_wait(fs, 3, MPROC_ALL_COMPLETED, 0, NULL), MPROC_ETIMEDOUT);
    atomic_store(&gate, 1);
    CHECK_OK(mproc_futures_wait(fs, 3, MPROC_ALL_COMPLETED, 30.0, &ndone));
    CHECK(ndone == 3);
    CHECK_OK(mproc_futures_wait(fs, 3, MPROC_FIRST_EXCEPTION, 0, &ndone)); /* all done */
    CHECK_OK(mproc_futures_wait(NULL, 0, MPROC_ALL_COMPLETED, 0, &ndone));
    CHECK(ndone == 0);
    CHECK_OK(mproc_futures_close(fs, 3));

    /* FIRST_EXCEPTION returns on a failure while others still run. */
    atomic_store(&gate, 0);
    mproc_future_t *gs[2];
    gs[0] = submit_fn(pool, wait_gate, &gate);
    gs[1] = submit_missing(pool);
    CHECK_OK(mproc_futures_wait(gs, 2, MPROC_FIRST_EXCEPTION, 30.0, &ndone));
    CHECK(ndone == 1);
    int done = 1;
    CHECK_OK(mproc_future_done(gs[0], &done));
    CHECK(done == 0);
    atomic_store(&gate, 1);
    CHECK_OK(mproc_futures_close(gs, 2));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void wait_any_is_as_completed(void) {
    atomic_int gates[3] = {0, 0, 0};
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(3, &pool));
    mproc_future_t *fs[3];
    for (int i = 0; i < 3; ++i)
        fs[i] = submit_fn(pool, wait_gate, &gates[i]);
    size_t index = 99;
    CHECK_RC(mproc_futures_wait_any(fs, 3, 0.02, &index), MPROC_ETIMEDOUT);
    /* Release 2, then 0, then 1: each wait_any finds the one just released. */
    const int order[3] = {2, 0, 1};
    mproc_future_t *left[3] = {fs[0], fs[1], fs[2]};
    size_t n = 3;
    for (int k = 0; k < 3; ++k) {
        atomic_store(&gates[order[k]], 1);
        CHECK_OK(mproc_futures_wait_any(left, n, 30.0, &index));
        CHECK(index < n && left[index] == fs[order[k]]);
        if (index >= n) break;
        for (size_t j = index; j + 1 < n; ++j)
            left[j] = left[j + 1];
        --n;
    }
    CHECK_OK(mproc_futures_wait_any(fs, 3, 0, &index));
    CHECK(index == 0); /* the lowest index of those done */
    CHECK_OK(mproc_futures_close(fs, 3));
    CHECK_OK(mproc_thread_pool_close(pool));
}

static void noop_callback(mproc_future_t *f, void *arg) {
    (void)f;
    (void)arg;
}

static void bad_input(void) {
    mproc_thread_pool_t *pool = NULL;
    CHECK_OK(mproc_thread_pool_create(1, &pool));
    mproc_future_t *f = submit_fn(pool, return_arg, NULL);
    CHECK_OK(mproc_future_wait(f, 30.0));
    int v = 0;
    size_t index = 0;
    mproc_result_t r;
    CHECK_RC(mproc_future_wait(NULL, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_wait(f, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_future_result(f, NAN, &r), MPROC_EINVAL);
    CHECK_RC(mproc_future_exception(f, NAN, &v), MPROC_EINVAL);
    CHECK_RC(mproc_future_exception(f, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_future_done(f, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_future_running(f, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_future_cancelled(f, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_future_done(NULL, &v), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_cancel(NULL, &v), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_result(NULL, 0, &r), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_add_done_callback(f, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_future_add_done_callback(NULL, noop_callback, NULL), MPROC_EBADHANDLE);
    CHECK_OK(mproc_future_close(NULL));

    mproc_future_t *list[2] = {f, NULL};
    CHECK_RC(mproc_futures_wait(list, 2, MPROC_ALL_COMPLETED, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait(NULL, 1, MPROC_ALL_COMPLETED, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait(list, 1, 0, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait(list, 1, 4, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait(list, 1, MPROC_ALL_COMPLETED, NAN, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait_any(list, 0, 0, &index), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait_any(list, 1, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait_any(list, 2, 0, &index), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait_any(NULL, 1, 0, &index), MPROC_EINVAL);
    CHECK_RC(mproc_futures_wait_any(list, 1, NAN, &index), MPROC_EINVAL);
    CHECK_OK(mproc_futures_wait_any(list, 1, 0, &index));
    CHECK(index == 0);

    /* Closed handles. */
    CHECK_OK(mproc_future_close(f));
    CHECK_RC(mproc_future_close(f), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_wait(f, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_done(f, &v), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_result(f, 0, &r), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_exception(f, 0, &v), MPROC_EBADHANDLE);
    CHECK_RC(mproc_future_cancel(f, &v), MPROC_EBADHANDLE);
    CHECK_RC(mproc_futures_wait(list, 1, MPROC_ALL_COMPLETED, 0, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_futures_wait_any(list, 1, 0, &index), MPROC_EBADHANDLE);
    CHECK_RC(mproc_futures_close(list, 2), MPROC_EBADHANDLE);
    CHECK(list[0] == NULL);
    CHECK_OK(mproc_futures_close(NULL, 0));
    /* Another kind of handle. */
    CHECK_RC(mproc_future_wait((mproc_future_t *)(void *)pool, 0), MPROC_EBADHANDLE);
    CHECK_OK(mproc_thread_pool_close(pool));
}

int main(void) {
    RUN(results_of_function_and_reference_tasks);
    RUN(a_task_error_surfaces_through_the_future);
    RUN(cancel_only_before_it_runs);
    RUN(callbacks_run_in_order_once_done);
    RUN(cancel_runs_callbacks_in_the_cancelling_thread);
    RUN(futures_wait_for_each_return_when);
    RUN(wait_any_is_as_completed);
    RUN(bad_input);
    return check_report();
}
