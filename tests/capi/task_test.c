/* task_test.c -- mproc_task_* driven from C: creation and its bad input, argument kinds
 * and ranges, check, calls of libm's cos, of libc in the running program and of the
 * fixture library's functions (every result kind, data owned by the task), function-pointer
 * tasks, closed and wrong-kind handles, and calls from several threads. */
#include "check.h"

#include <limits.h>
#include <stdint.h>

#ifndef MPROC_TEST_TASKS_LIB
#error "MPROC_TEST_TASKS_LIB: the path of libmproc_test_tasks.so, set by tests/capi/CMakeLists.txt"
#endif

static const char *const lib = MPROC_TEST_TASKS_LIB;

/* The last error contains `part`. */
static int last_error_has(const char *part) {
    return strstr(mproc_last_error(), part) != NULL;
}

/* ---- Creation ------------------------------------------------------------------------ */

static void create_checks_its_input(void) {
    mproc_task_t *t = NULL;
    CHECK_RC(mproc_task_create("libm.so.6", NULL, "d(d)", &t), MPROC_EINVAL);
    CHECK(t == NULL);
    CHECK_RC(mproc_task_create("libm.so.6", "cos", NULL, &t), MPROC_EINVAL);
    CHECK_RC(mproc_task_create("libm.so.6", "cos", "d(d)", NULL), MPROC_EINVAL);
    CHECK_RC(mproc_task_create("libm.so.6", "", "d(d)", &t), MPROC_EINVAL);
    CHECK(t == NULL);

    static const char *const malformed[] = {"",     "d",    "d(",   "d(d",   "(d)",   "x()",
                                            "d(v)", "d(S)", "d(Y)", "d(d) ", "d(d)d", "d(p)"};
    for (size_t k = 0; k < sizeof malformed / sizeof malformed[0]; ++k) {
        check_context("signature \"%s\"", malformed[k]);
        CHECK_RC(mproc_task_create("libm.so.6", "cos", malformed[k], &t), MPROC_EINVAL);
        CHECK(last_error_has("libm.so.6:cos"));
        CHECK(t == NULL);
    }
    check_context("%s", "");
    CHECK_RC(mproc_task_create(NULL, "f", "v(iiiiiiiiiiiiiiiii)", &t), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_create(NULL, "f", "v(iiiiiiiiiiiiiiii)", &t));
    CHECK_OK(mproc_task_close(t));

    char long_name[4098];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_RC(mproc_task_create(long_name, "cos", "d(d)", &t), MPROC_ETOOBIG);
    CHECK_RC(mproc_task_create(NULL, long_name, "d(d)", &t), MPROC_ETOOBIG);
    long_name[4096] = '\0';
    CHECK_OK(mproc_task_create(NULL, long_name, "d(d)", &t));
    CHECK_RC(mproc_task_check(t), MPROC_ENOTFOUND);
    CHECK_OK(mproc_task_close(t));

    /* Nothing is loaded at creation: a missing library is fine until check or call. */
    CHECK_OK(mproc_task_create("/nonexistent/libnothing.so", "f", "v()", &t));
    CHECK_OK(mproc_task_close(t));
}

static int add_one(void *arg) {
    return *(int *)arg + 1;
}

static void function_tasks(void) {
    mproc_task_t *t = NULL;
    int value = 41;
    CHECK_RC(mproc_task_from_function(NULL, &value, &t), MPROC_EINVAL);
    CHECK_RC(mproc_task_from_function(add_one, &value, NULL), MPROC_EINVAL);
    if (!CHECK_OK(mproc_task_from_function(add_one, &value, &t))) return;
    CHECK_OK(mproc_task_check(t));
    /* No arguments of any kind. */
    CHECK_RC(mproc_task_arg_int(t, 1), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_uint(t, 1), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_double(t, 1), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_string(t, "x"), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_bytes(t, "x", 1), MPROC_EINVAL);
    CHECK_OK(mproc_task_clear_args(t));
    mproc_result_t r;
    memset(&r, 0xab, sizeof r);
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'i');
    CHECK(r.i == 42);
    CHECK(r.data == NULL && r.len == 0);
    /* The argument pointer, not a copy of what it pointed to. */
    value = 99;
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.i == 100);
    CHECK_OK(mproc_task_close(t));
}

/* ---- Arguments ----------------------------------------------------------------------- */

static void arguments_must_match_the_signature(void) {
    mproc_task_t *t = NULL;
    if (!CHECK_OK(mproc_task_create(lib, "bytes_sum", "q(iyi)", &t))) return;
    CHECK_RC(mproc_task_arg_uint(t, 1), MPROC_EINVAL);
    CHECK(last_error_has("argument 1"));
    CHECK_RC(mproc_task_arg_double(t, 1), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_string(t, "x"), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_bytes(t, "x", 1), MPROC_EINVAL);
    CHECK_OK(mproc_task_arg_int(t, 2));
    CHECK_RC(mproc_task_arg_int(t, 2), MPROC_EINVAL); /* y next */
    CHECK_RC(mproc_task_arg_string(t, "x"), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_bytes(t, NULL, 3), MPROC_EINVAL);
    CHECK_OK(mproc_task_arg_bytes(t, "\x01\x02", 2));
    CHECK_OK(mproc_task_arg_int(t, 3));
    CHECK_RC(mproc_task_arg_int(t, 4), MPROC_EINVAL); /* one too many */
    mproc_result_t r;
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'q');
    CHECK(r.i == 2 * 1000000LL + 3 + 1 + 2 + 2 * 1000);
    /* Again with other arguments, and empty bytes given as NULL. */
    CHECK_OK(mproc_task_clear_args(t));
    CHECK_OK(mproc_task_arg_int(t, 0));
    CHECK_OK(mproc_task_arg_bytes(t, NULL, 0));
    CHECK_OK(mproc_task_arg_int(t, 5));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.i == 5);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "len_of", "N(s)", &t));
    CHECK_RC(mproc_task_arg_string(t, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_task_arg_int(t, 1), MPROC_EINVAL);
    CHECK_OK(mproc_task_arg_string(t, "four"));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'N' && r.u == 4 && r.i == 0);
    CHECK_OK(mproc_task_close(t));
}

static void integers_out_of_range_are_too_big(void) {
    mproc_task_t *t = NULL;
    if (!CHECK_OK(mproc_task_create(NULL, "abs", "v(bBhHIf)", &t))) return;
    CHECK_RC(mproc_task_arg_int(t, 300), MPROC_ETOOBIG);
    CHECK(last_error_has("300"));
    CHECK_RC(mproc_task_arg_int(t, -129), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_int(t, -128));
    CHECK_RC(mproc_task_arg_uint(t, 256), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_uint(t, 255));
    CHECK_RC(mproc_task_arg_int(t, SHRT_MAX + 1), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_int(t, SHRT_MIN));
    CHECK_RC(mproc_task_arg_uint(t, USHRT_MAX + 1u), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_uint(t, USHRT_MAX));
    CHECK_RC(mproc_task_arg_uint(t, (unsigned long long)UINT_MAX + 1), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_uint(t, UINT_MAX));
    CHECK_RC(mproc_task_arg_double(t, 1e39), MPROC_ETOOBIG);
    CHECK_OK(mproc_task_arg_double(t, 1e38));
    CHECK_OK(mproc_task_close(t));
}

/* ---- Check and call ------------------------------------------------------------------ */

static void check_finds_missing_libraries_and_symbols(void) {
    mproc_task_t *t = NULL;
    CHECK_OK(mproc_task_create("/nonexistent/libnothing.so", "f", "v()", &t));
    CHECK_RC(mproc_task_check(t), MPROC_ENOTFOUND);
    CHECK(last_error_has("libnothing.so"));
    mproc_result_t r;
    CHECK_RC(mproc_task_call(t, &r), MPROC_ENOTFOUND);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create("libm.so.6", "no_such_function_here", "v()", &t));
    CHECK_RC(mproc_task_check(t), MPROC_ENOTFOUND);
    CHECK(last_error_has("no_such_function_here"));
    CHECK_RC(mproc_task_call(t, &r), MPROC_ENOTFOUND);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "add", "i(ii)", &t));
    CHECK_OK(mproc_task_check(t));
    CHECK_OK(mproc_task_close(t));
}

static void calls_cos_in_libm(void) {
    mproc_task_t *t = NULL;
    if (!CHECK_OK(mproc_task_create("libm.so.6", "cos", "d(d)", &t))) return;
    CHECK_OK(mproc_task_check(t));
    mproc_result_t r;
    CHECK_RC(mproc_task_call(t, &r), MPROC_EINVAL); /* no argument yet */
    CHECK_OK(mproc_task_arg_double(t, 0.0));
    CHECK_RC(mproc_task_call(t, NULL), MPROC_EINVAL);
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'd');
    CHECK(r.d == 1.0);
    CHECK_OK(mproc_task_clear_args(t));
    CHECK_OK(mproc_task_arg_double(t, 3.14159265358979323846));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(fabs(r.d + 1.0) < 1e-12);
    CHECK_OK(mproc_task_close(t));
}

static void calls_the_running_program(void) {
    mproc_task_t *t = NULL;
    if (!CHECK_OK(mproc_task_create(NULL, "abs", "i(i)", &t))) return;
    CHECK_OK(mproc_task_arg_int(t, -12));
    mproc_result_t r;
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'i' && r.i == 12);
    CHECK_OK(mproc_task_close(t));
}

static void calls_fixture_functions(void) {
    mproc_task_t *t = NULL;
    mproc_result_t r;

    /* Integers and floats. */
    CHECK_OK(mproc_task_create(lib, "add", "i(ii)", &t));
    CHECK_OK(mproc_task_arg_int(t, 40));
    CHECK_OK(mproc_task_arg_int(t, 2));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'i' && r.i == 42);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "ub", "B(B)", &t));
    CHECK_OK(mproc_task_arg_uint(t, 255));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'B' && r.u == 0);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "minus_one_b", "b()", &t));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'b' && r.i == -1);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "halve", "f(f)", &t));
    CHECK_OK(mproc_task_arg_double(t, 5.0));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'f' && r.d == 2.5);
    CHECK_OK(mproc_task_close(t));

    /* A borrowed string: copied into the task, NUL-terminated. */
    CHECK_OK(mproc_task_create(lib, "greet", "s(s)", &t));
    CHECK_OK(mproc_task_arg_string(t, "C"));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 's' && r.len == 8 && r.data != NULL);
    CHECK(r.data != NULL && strcmp((const char *)r.data, "hello, C") == 0);
    CHECK_OK(mproc_task_close(t));

    /* A malloc'ed string (freed by the call). */
    CHECK_OK(mproc_task_create(lib, "greet_new", "S(s)", &t));
    CHECK_OK(mproc_task_arg_string(t, "you"));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'S' && r.len == 6);
    CHECK(r.data != NULL && strcmp((const char *)r.data, "hi you") == 0);
    CHECK_OK(mproc_task_close(t));

    /* NULL string: data NULL. */
    CHECK_OK(mproc_task_create(lib, "null_string", "s()", &t));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 's' && r.data == NULL && r.len == 0);
    CHECK_OK(mproc_task_close(t));

    /* Bytes both ways; the data stays valid until the next call. */
    CHECK_OK(mproc_task_create(lib, "reverse", "y(y)", &t));
    CHECK_OK(mproc_task_arg_bytes(t, "abc\0d", 5));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'y' && r.len == 5);
    CHECK(r.data != NULL && memcmp(r.data, "d\0cba", 5) == 0);
    mproc_result_t first = r;
    CHECK_OK(mproc_task_clear_args(t));
    CHECK_OK(mproc_task_arg_bytes(t, "xy", 2));
    CHECK(memcmp(first.data, "d\0cba", 5) == 0); /* untouched by argument changes */
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.len == 2 && memcmp(r.data, "yx", 2) == 0);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "echo_new", "Y(y)", &t));
    CHECK_OK(mproc_task_arg_bytes(t, "\x00\x01", 2));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'Y' && r.len == 3);
    CHECK(r.data != NULL && memcmp(r.data, "\x00\x01\xff", 3) == 0);
    CHECK_OK(mproc_task_close(t));

    CHECK_OK(mproc_task_create(lib, "broken_bytes", "y()", &t));
    CHECK_RC(mproc_task_call(t, &r), MPROC_EINVAL);
    CHECK_OK(mproc_task_close(t));

    /* No result. */
    CHECK_OK(mproc_task_create(lib, "bump", "v(i)", &t));
    CHECK_OK(mproc_task_arg_int(t, 1));
    CHECK_OK(mproc_task_call(t, &r));
    CHECK(r.type == 'v' && r.data == NULL && r.len == 0);
    CHECK_OK(mproc_task_close(t));
}

/* ---- Handles ------------------------------------------------------------------------- */

static void null_closed_and_wrong_handles(void) {
    mproc_result_t r;
    mproc_task_t *t = NULL;
    CHECK_RC(mproc_task_close(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_int(NULL, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_uint(NULL, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_double(NULL, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_string(NULL, "x"), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_string(NULL, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_bytes(NULL, "x", 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_clear_args(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_check(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_call(NULL, &r), MPROC_EBADHANDLE);

    if (!CHECK_OK(mproc_task_create(lib, "add", "i(ii)", &t))) return;
    CHECK_OK(mproc_task_close(t));
    CHECK_RC(mproc_task_close(t), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_int(t, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_uint(t, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_double(t, 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_string(t, "x"), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_arg_bytes(t, "x", 1), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_clear_args(t), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_check(t), MPROC_EBADHANDLE);
    CHECK_RC(mproc_task_call(t, &r), MPROC_EBADHANDLE);

    /* Another kind's handle. */
    mproc_event_t *e = NULL;
    if (CHECK_OK(mproc_event_create(NULL, NULL, &e))) {
        mproc_task_t *wrong = (mproc_task_t *)(void *)e;
        CHECK_RC(mproc_task_arg_int(wrong, 1), MPROC_EBADHANDLE);
        CHECK_RC(mproc_task_check(wrong), MPROC_EBADHANDLE);
        CHECK_RC(mproc_task_call(wrong, &r), MPROC_EBADHANDLE);
        CHECK_RC(mproc_task_close(wrong), MPROC_EBADHANDLE);
        CHECK_OK(mproc_event_close(e));
    }
}

/* ---- Threads ------------------------------------------------------------------------- */

enum { N_THREADS = 4, N_CALLS = 300 };

static mproc_task_t *shared_task;
static atomic_int thread_failures;

/* Each thread's result data stays its own until its next call, while others call too. */
static void *call_echo(void *arg) {
    (void)arg;
    for (int n = 0; n < N_CALLS; ++n) {
        mproc_result_t r;
        if (mproc_task_call(shared_task, &r) != MPROC_OK || r.len != 4 ||
            memcmp(r.data, "abc\xff", 4) != 0) {
            atomic_fetch_add(&thread_failures, 1);
        }
    }
    return NULL;
}

static void threads_call_one_task(void) {
    if (!CHECK_OK(mproc_task_create(lib, "echo_new", "Y(y)", &shared_task))) return;
    CHECK_OK(mproc_task_arg_bytes(shared_task, "abc", 3));
    pthread_t threads[N_THREADS];
    for (int k = 0; k < N_THREADS; ++k)
        CHECK(pthread_create(&threads[k], NULL, call_echo, NULL) == 0);
    for (int k = 0; k < N_THREADS; ++k)
        pthread_join(threads[k], NULL);
    CHECK(atomic_load(&thread_failures) == 0);
    CHECK_OK(mproc_task_close(shared_task));
}

int main(void) {
    RUN(create_checks_its_input);
    RUN(function_tasks);
    RUN(arguments_must_match_the_signature);
    RUN(integers_out_of_range_are_too_big);
    RUN(check_finds_missing_libraries_and_symbols);
    RUN(calls_cos_in_libm);
    RUN(calls_the_running_program);
    RUN(calls_fixture_functions);
    RUN(null_closed_and_wrong_handles);
    RUN(threads_call_one_task);
    return check_report();
}
