/* thread_test.c -- mproc_thread_* driven from C: the result of a function task and of task
 * references (a double, a string owned by the thread handle), the error of a task that
 * cannot be called, join timeouts, is_alive and result over a thread's life, ident,
 * names, joining itself, close while running, and bad input for every entry point. */
#include "check.h"

#include <stdint.h>
#include <sys/syscall.h>

static int return_arg(void *arg) {
    return (int)(intptr_t)arg;
}

struct gate {
    atomic_int release;
    atomic_int started;
    atomic_ullong tid;
};

/* Records its kernel thread id, waits (at most 60 s) for the release, returns 5. */
static int wait_for_release(void *arg) {
    struct gate *g = arg;
    atomic_store(&g->tid, (unsigned long long)syscall(SYS_gettid));
    atomic_fetch_add(&g->started, 1);
    double deadline = now_seconds() + 60.0;
    while (atomic_load(&g->release) == 0 && now_seconds() < deadline)
        sleep_seconds(0.001);
    return 5;
}

static mproc_thread_t *make_thread(mproc_task_fn fn, void *arg, const char *name) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(fn, arg, &task));
    mproc_thread_t *t = NULL;
    CHECK_OK(mproc_thread_create(task, name, &t));
    CHECK_OK(mproc_task_close(task)); /* the thread keeps its own copy */
    return t;
}

static void keeps_the_result_of_a_function_task(void) {
    mproc_thread_t *t = make_thread(return_arg, (void *)(intptr_t)42, NULL);
    mproc_result_t r;
    memset(&r, 0, sizeof r);
    CHECK_RC(mproc_thread_result(t, &r), MPROC_EEMPTY);
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_join(t, 30.0));
    CHECK_OK(mproc_thread_result(t, &r));
    CHECK(r.type == 'i' && r.i == 42 && r.data == NULL && r.len == 0);
    int alive = 1;
    CHECK_OK(mproc_thread_is_alive(t, &alive));
    CHECK(alive == 0);
    CHECK_OK(mproc_thread_join(t, 0)); /* again */
    CHECK_OK(mproc_thread_close(t));
}

static void keeps_the_results_of_task_references(void) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create("libm.so.6", "cos", "d(d)", &task));
    mproc_thread_t *t = NULL;
    CHECK_RC(mproc_thread_create(task, NULL, &t), MPROC_EINVAL); /* no argument yet */
    CHECK_OK(mproc_task_arg_double(task, 0.0));
    CHECK_OK(mproc_thread_create(task, NULL, &t));
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_join(t, 30.0));
    mproc_result_t r;
    CHECK_OK(mproc_thread_result(t, &r));
    CHECK(r.type == 'd' && r.d == 1.0);
    CHECK_OK(mproc_thread_close(t));

    /* strchr("mproc", 'p'): a string result, kept by the thread handle. */
    CHECK_OK(mproc_task_create("libc.so.6", "strchr", "s(si)", &task));
    CHECK_OK(mproc_task_arg_string(task, "mproc"));
    CHECK_OK(mproc_task_arg_int(task, 'p'));
    CHECK_OK(mproc_thread_create(task, NULL, &t));
    CHECK_OK(mproc_task_close(task)); /* the result must not live in the task */
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_join(t, 30.0));
    CHECK_OK(mproc_thread_result(t, &r));
    CHECK(r.type == 's' && r.len == 4 && r.data != NULL);
    CHECK(r.data != NULL && strcmp((const char *)r.data, "proc") == 0);
    mproc_result_t again;
    CHECK_OK(mproc_thread_result(t, &again));
    CHECK(again.data == r.data); /* the same storage, valid until the handle is closed */
    CHECK_OK(mproc_thread_close(t));
}

static void keeps_the_error_of_a_task_that_cannot_be_called(void) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create("libm.so.6", "mproc_no_such_symbol", "i()", &task));
    mproc_thread_t *t = NULL;
    CHECK_OK(mproc_thread_create(task, NULL, &t));
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_join(t, 30.0));
    mproc_result_t r;
    CHECK_RC(mproc_thread_result(t, &r), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "mproc_no_such_symbol") != NULL);
    CHECK_OK(mproc_thread_close(t));
}

static void join_times_out_while_the_task_runs(void) {
    struct gate g;
    memset(&g, 0, sizeof g);
    mproc_thread_t *t = make_thread(wait_for_release, &g, NULL);
    int alive = -1;
    CHECK_OK(mproc_thread_is_alive(t, &alive));
    CHECK(alive == 0);
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_is_alive(t, &alive));
    CHECK(alive == 1);
    double start = now_seconds();
    CHECK_RC(mproc_thread_join(t, 0.3), MPROC_ETIMEDOUT);
    CHECK(now_seconds() - start >= 0.25);
    CHECK_RC(mproc_thread_join(t, 0), MPROC_ETIMEDOUT);
    mproc_result_t r;
    CHECK_RC(mproc_thread_result(t, &r), MPROC_EEMPTY);
    CHECK_RC(mproc_thread_close(t), MPROC_EINVAL); /* running: nothing freed */
    CHECK(strstr(mproc_last_error(), "running") != NULL);
    atomic_store(&g.release, 1);
    CHECK_OK(mproc_thread_join(t, 30.0));
    CHECK_OK(mproc_thread_is_alive(t, &alive));
    CHECK(alive == 0);
    CHECK_OK(mproc_thread_result(t, &r));
    CHECK(r.type == 'i' && r.i == 5);
    CHECK_OK(mproc_thread_close(t));
}

static void ident_is_the_kernel_thread_id(void) {
    struct gate g;
    memset(&g, 0, sizeof g);
    mproc_thread_t *t = make_thread(wait_for_release, &g, NULL);
    unsigned long long ident = 0;
    CHECK_RC(mproc_thread_ident(t, &ident), MPROC_EEMPTY);
    CHECK_OK(mproc_thread_start(t));
    CHECK_OK(mproc_thread_ident(t, &ident)); /* known once start returns */
    CHECK(ident != 0 && ident != (unsigned long long)syscall(SYS_gettid));
    CHECK(await_at_least(&g.started, 1, 20.0));
    CHECK(atomic_load(&g.tid) == ident);
    atomic_store(&g.release, 1);
    CHECK_OK(mproc_thread_join(t, 30.0));
    CHECK_OK(mproc_thread_close(t));
}

static void names_default_to_thread_n(void) {
    mproc_thread_t *a = make_thread(return_arg, NULL, NULL);
    mproc_thread_t *named = make_thread(return_arg, NULL, "reader");
    mproc_thread_t *b = make_thread(return_arg, NULL, NULL);
    char name[MPROC_PROCESS_NAME_MAX + 1];
    int na = 0, nb = 0;
    CHECK_OK(mproc_thread_name(a, name, sizeof name));
    CHECK(sscanf(name, "Thread-%d", &na) == 1 && na >= 1);
    CHECK_OK(mproc_thread_name(b, name, sizeof name));
    CHECK(sscanf(name, "Thread-%d", &nb) == 1 && nb == na + 1);
    CHECK_OK(mproc_thread_name(named, name, sizeof name));
    CHECK(strcmp(name, "reader") == 0);
    char tiny[3];
    CHECK_RC(mproc_thread_name(named, tiny, sizeof tiny), MPROC_ETOOBIG);

    char too_long[MPROC_PROCESS_NAME_MAX + 2];
    memset(too_long, 'x', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &task));
    mproc_thread_t *t = NULL;
    CHECK_RC(mproc_thread_create(task, too_long, &t), MPROC_EINVAL);
    CHECK(t == NULL);
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_thread_close(a)); /* never started: fine to close */
    CHECK_OK(mproc_thread_close(named));
    CHECK_OK(mproc_thread_close(b));
}

/* The thread that join_self joins, and what it got. */
static mproc_thread_t *self_thread;
static atomic_int self_join_rc;

static int join_self(void *arg) {
    (void)arg;
    atomic_store(&self_join_rc, mproc_thread_join(self_thread, 1.0));
    return 0;
}

static void joining_itself_is_invalid(void) {
    atomic_store(&self_join_rc, 1);
    self_thread = make_thread(join_self, NULL, NULL);
    CHECK_OK(mproc_thread_start(self_thread));
    CHECK_OK(mproc_thread_join(self_thread, 30.0));
    CHECK(atomic_load(&self_join_rc) == MPROC_EINVAL);
    CHECK_OK(mproc_thread_close(self_thread));
    self_thread = NULL;
}

static void bad_input_to_every_entry_point(void) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &task));
    mproc_task_t *closed_task = NULL;
    CHECK_OK(mproc_task_from_function(return_arg, NULL, &closed_task));
    CHECK_OK(mproc_task_close(closed_task));
    mproc_thread_t *good = NULL, *closed = NULL, *out = NULL;
    CHECK_OK(mproc_thread_create(task, NULL, &good));
    CHECK_OK(mproc_thread_create(task, NULL, &closed));
    CHECK_OK(mproc_thread_close(closed));
    mproc_thread_t *wrong = (mproc_thread_t *)(void *)task;
    mproc_thread_t *bad[] = {NULL, closed, wrong};
    int value = 0;
    unsigned long long ident = 0;
    mproc_result_t r;
    char buf[64];

    CHECK_RC(mproc_thread_create(task, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_create(NULL, NULL, &out), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_create(closed_task, NULL, &out), MPROC_EBADHANDLE);
    CHECK_RC(mproc_thread_create((const mproc_task_t *)(void *)good, NULL, &out), MPROC_EBADHANDLE);
    CHECK(out == NULL);

    for (int i = 0; i < 3; i++) {
        check_context("handle %s", i == 0 ? "NULL" : i == 1 ? "closed" : "of another kind");
        CHECK_RC(mproc_thread_start(bad[i]), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_join(bad[i], 0), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_is_alive(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_ident(bad[i], &ident), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_name(bad[i], buf, sizeof buf), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_result(bad[i], &r), MPROC_EBADHANDLE);
        CHECK_RC(mproc_thread_close(bad[i]), MPROC_EBADHANDLE);
    }
    check_context("%s", "");

    CHECK_RC(mproc_thread_join(good, 1.0), MPROC_EINVAL); /* not started */
    CHECK(strstr(mproc_last_error(), "not started") != NULL);
    CHECK_RC(mproc_thread_join(good, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_thread_is_alive(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_ident(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_thread_name(good, NULL, 64), MPROC_EINVAL);
    CHECK_RC(mproc_thread_result(good, NULL), MPROC_EINVAL);

    CHECK_OK(mproc_thread_start(good));
    CHECK_RC(mproc_thread_start(good), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "started already") != NULL);
    CHECK_OK(mproc_thread_join(good, 30.0));
    CHECK_OK(mproc_thread_close(good));
    CHECK_OK(mproc_task_close(task));
}

int main(void) {
    RUN(keeps_the_result_of_a_function_task);
    RUN(keeps_the_results_of_task_references);
    RUN(keeps_the_error_of_a_task_that_cannot_be_called);
    RUN(join_times_out_while_the_task_runs);
    RUN(ident_is_the_kernel_thread_id);
    RUN(names_default_to_thread_n);
    RUN(joining_itself_is_invalid);
    RUN(bad_input_to_every_entry_point);
    return check_report();
}
