/* subprocess_test.c -- mproc_run and mproc_popen_* driven from C: exit statuses, captured
 * output, input, megabytes through cat, MPROC_RUN_CHECK, timeouts that kill and reap,
 * env and cwd, programs that cannot start, signals, poll / wait, the pipe descriptors,
 * communicate, close of a running child, and bad input for every entry point. */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

static int process_exists(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", pid);
    return access(path, F_OK) == 0;
}

static const char *const sh_exit_3[] = {"/bin/sh", "-c", "exit 3", NULL};
static const char *const true_argv[] = {"true", NULL};
static const char *const false_argv[] = {"false", NULL};
static const char *const cat_argv[] = {"cat", NULL};
static const char *const sleep_argv[] = {"sleep", "10", NULL};

/* ---- mproc_run ------------------------------------------------------------------------ */

static void run_reports_exit_status(void) {
    mproc_run_result_t r;
    CHECK_OK(mproc_run(true_argv, NULL, 0, NULL, 0, 30.0, &r));
    CHECK(r.returncode == 0 && r.out == NULL && r.err == NULL);
    CHECK_OK(mproc_run_result_free(&r));
    CHECK_OK(mproc_run(false_argv, NULL, 0, NULL, 0, 30.0, &r));
    CHECK(r.returncode == 1);
    CHECK_OK(mproc_run_result_free(&r));
    CHECK_OK(mproc_run(sh_exit_3, NULL, 0, NULL, 0, 30.0, &r));
    CHECK(r.returncode == 3);
    CHECK_OK(mproc_run_result_free(&r));
    CHECK(r.out == NULL && r.returncode == 0); /* zeroed */
    CHECK_OK(mproc_run_result_free(NULL));
}

static void run_captures_stdout_and_stderr(void) {
    const char *const argv[] = {"/bin/sh", "-c", "printf out; printf err >&2", NULL};
    mproc_run_result_t r;
    CHECK_OK(mproc_run(argv, NULL, MPROC_RUN_CAPTURE, NULL, 0, 30.0, &r));
    CHECK(r.out != NULL && r.out_len == 3 && strcmp(r.out, "out") == 0);
    CHECK(r.err != NULL && r.err_len == 3 && strcmp(r.err, "err") == 0);
    mproc_run_result_free(&r);

    /* Captured but empty: "" (not NULL). */
    CHECK_OK(mproc_run(true_argv, NULL, MPROC_RUN_CAPTURE, NULL, 0, 30.0, &r));
    CHECK(r.out != NULL && r.out_len == 0 && r.out[0] == '\0');
    mproc_run_result_free(&r);

    /* stderr to stdout, through options. */
    const char *const both[] = {"/bin/sh", "-c", "echo a; echo b >&2", NULL};
    mproc_popen_options_t o;
    CHECK_OK(mproc_popen_options_init(&o));
    o.stdout_mode = MPROC_STDIO_PIPE;
    o.stderr_mode = MPROC_STDIO_STDOUT;
    CHECK_OK(mproc_run(both, &o, 0, NULL, 0, 30.0, &r));
    CHECK(r.out != NULL && strcmp(r.out, "a\nb\n") == 0);
    CHECK(r.err == NULL);
    mproc_run_result_free(&r);
}

static void run_feeds_input_through_cat(void) {
    mproc_run_result_t r;
    CHECK_OK(mproc_run(cat_argv, NULL, MPROC_RUN_CAPTURE, "round trip", 10, 30.0, &r));
    CHECK(r.out_len == 10 && r.out != NULL && memcmp(r.out, "round trip", 10) == 0);
    mproc_run_result_free(&r);

    /* 8 MiB both ways at once. */
    size_t size = (size_t)8 << 20;
    unsigned char *big = malloc(size);
    uint32_t x = 12345u;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        big[i] = (unsigned char)(x >> 16);
    }
    CHECK_OK(mproc_run(cat_argv, NULL, MPROC_RUN_CAPTURE, big, size, 60.0, &r));
    CHECK(r.out_len == size && r.out != NULL && memcmp(r.out, big, size) == 0);
    mproc_run_result_free(&r);
    free(big);
}

static void run_check_gives_efailed_with_the_result(void) {
    const char *const argv[] = {"/bin/sh", "-c", "echo before; exit 4", NULL};
    mproc_run_result_t r;
    CHECK_RC(mproc_run(argv, NULL, MPROC_RUN_CAPTURE | MPROC_RUN_CHECK, NULL, 0, 30.0, &r),
             MPROC_EFAILED);
    CHECK(r.returncode == 4);
    CHECK(r.out != NULL && strcmp(r.out, "before\n") == 0);
    mproc_run_result_free(&r);
    CHECK_OK(mproc_run(true_argv, NULL, MPROC_RUN_CHECK, NULL, 0, 30.0, &r));
    mproc_run_result_free(&r);
}

static void run_timeout_kills_and_reaps(void) {
    const char *const argv[] = {"/bin/sh", "-c", "echo partial; exec sleep 10", NULL};
    mproc_run_result_t r;
    double start = now_seconds();
    CHECK_RC(mproc_run(argv, NULL, MPROC_RUN_CAPTURE, NULL, 0, 1.0, &r), MPROC_ETIMEDOUT);
    double took = now_seconds() - start;
    CHECK(took >= 0.9 && took < 5.0);
    CHECK(r.returncode == -SIGKILL);
    CHECK(r.out != NULL && strcmp(r.out, "partial\n") == 0);
    mproc_run_result_free(&r);
}

static void run_env_and_cwd(void) {
    const char *const env[] = {"GREETING=hello there", NULL};
    const char *const argv[] = {"/bin/sh", "-c", "echo \"$GREETING\"; pwd", NULL};
    mproc_popen_options_t o;
    CHECK_OK(mproc_popen_options_init(&o));
    o.env = env;
    o.cwd = "/";
    mproc_run_result_t r;
    CHECK_OK(mproc_run(argv, &o, MPROC_RUN_CAPTURE, NULL, 0, 30.0, &r));
    CHECK(r.out != NULL && strcmp(r.out, "hello there\n/\n") == 0);
    mproc_run_result_free(&r);

    o.cwd = "/nonexistent-mproc-cwd";
    CHECK_RC(mproc_run(argv, &o, 0, NULL, 0, 30.0, &r), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "/nonexistent-mproc-cwd") != NULL);
    mproc_run_result_free(&r);
}

static void programs_that_cannot_start(void) {
    const char *const missing[] = {"mproc-no-such-program", NULL};
    mproc_run_result_t r;
    r.returncode = 77;
    CHECK_RC(mproc_run(missing, NULL, MPROC_RUN_CAPTURE, NULL, 0, 30.0, &r), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "mproc-no-such-program") != NULL);
    CHECK(r.returncode == 0 && r.out == NULL && r.err == NULL); /* zeroed: nothing ran */
    mproc_popen_t *p = (mproc_popen_t *)1;
    CHECK_RC(mproc_popen_create(missing, NULL, &p), MPROC_ENOTFOUND);
    CHECK(p == NULL);

    char path[] = "/tmp/mproc-capi-noexec-XXXXXX";
    int fd = mkstemp(path);
    if (CHECK(fd >= 0)) {
        CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
        close(fd);
        chmod(path, 0644);
        const char *const noexec[] = {path, NULL};
        CHECK_RC(mproc_popen_create(noexec, NULL, &p), MPROC_EPERM);
        unlink(path);
    }
    /* No child was left behind by any of these. */
    errno = 0;
    CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

/* ---- Popen ---------------------------------------------------------------------------- */

static void popen_pipes_and_communicate(void) {
    mproc_popen_options_t o;
    CHECK_OK(mproc_popen_options_init(&o));
    o.stdin_mode = MPROC_STDIO_PIPE;
    o.stdout_mode = MPROC_STDIO_PIPE;
    o.stderr_mode = MPROC_STDIO_PIPE;
    const char *const argv[] = {"/bin/sh", "-c", "cat; echo done >&2; exit 5", NULL};
    mproc_popen_t *p = NULL;
    if (!CHECK_OK(mproc_popen_create(argv, &o, &p))) return;
    int pid = 0, in = -1, out = -1, err = -1;
    CHECK_OK(mproc_popen_pid(p, &pid));
    CHECK(pid > 0);
    CHECK_OK(mproc_popen_stdin_fd(p, &in));
    CHECK_OK(mproc_popen_stdout_fd(p, &out));
    CHECK_OK(mproc_popen_stderr_fd(p, &err));
    CHECK(in >= 3 && out >= 3 && err >= 3 && in != out && out != err);
    CHECK(write(in, "first ", 6) == 6);
    const char *o_data = NULL, *e_data = NULL;
    size_t o_len = 99, e_len = 99;
    CHECK_OK(mproc_popen_communicate(p, "second", 6, 30.0, &o_data, &o_len, &e_data, &e_len));
    CHECK(o_len == 12 && o_data != NULL && strcmp(o_data, "first second") == 0);
    CHECK(e_len == 5 && e_data != NULL && strcmp(e_data, "done\n") == 0);
    int rc = 0;
    CHECK_OK(mproc_popen_poll(p, &rc));
    CHECK(rc == 5);
    CHECK_OK(mproc_popen_wait(p, 0, &rc));
    CHECK(rc == 5);
    /* The pipes are closed now. */
    CHECK_RC(mproc_popen_stdin_fd(p, &in), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "communicate") != NULL);
    CHECK_RC(mproc_popen_stdout_fd(p, &out), MPROC_EINVAL);
    /* Called again: the same answer. */
    const char *again = NULL;
    CHECK_OK(mproc_popen_communicate(p, NULL, 0, 0, &again, NULL, NULL, NULL));
    CHECK(again == o_data);
    CHECK_OK(mproc_popen_close(p));
}

static void popen_communicate_timeout_then_goes_on(void) {
    mproc_popen_options_t o;
    CHECK_OK(mproc_popen_options_init(&o));
    o.stdout_mode = MPROC_STDIO_PIPE;
    const char *const argv[] = {"/bin/sh", "-c", "echo early; sleep 0.5; echo late", NULL};
    mproc_popen_t *p = NULL;
    if (!CHECK_OK(mproc_popen_create(argv, &o, &p))) return;
    const char *out = NULL, *err = "untouched";
    size_t len = 0;
    CHECK_RC(mproc_popen_communicate(p, NULL, 0, 0.1, &out, &len, &err, NULL), MPROC_ETIMEDOUT);
    CHECK(out == NULL); /* not written on failure */
    CHECK_OK(mproc_popen_communicate(p, NULL, 0, 30.0, &out, &len, &err, NULL));
    CHECK(out != NULL && strcmp(out, "early\nlate\n") == 0);
    CHECK(err == NULL); /* stderr was not a pipe */
    CHECK_OK(mproc_popen_close(p));
}

static void popen_signals_poll_and_wait(void) {
    mproc_popen_t *p = NULL;
    if (!CHECK_OK(mproc_popen_create(sleep_argv, NULL, &p))) return;
    int rc = 4242;
    CHECK_RC(mproc_popen_poll(p, &rc), MPROC_EEMPTY);
    CHECK(rc == 4242);
    double start = now_seconds();
    CHECK_RC(mproc_popen_wait(p, 0.3, &rc), MPROC_ETIMEDOUT);
    double took = now_seconds() - start;
    CHECK(took >= 0.25 && took < 5.0);
    CHECK_OK(mproc_popen_send_signal(p, 0));
    CHECK_OK(mproc_popen_terminate(p));
    CHECK_OK(mproc_popen_wait(p, 10.0, &rc));
    CHECK(rc == -SIGTERM);
    CHECK_OK(mproc_popen_kill(p)); /* reaped: nothing happens */
    CHECK_OK(mproc_popen_close(p));

    CHECK_OK(mproc_popen_create(sleep_argv, NULL, &p));
    CHECK_OK(mproc_popen_kill(p));
    CHECK_OK(mproc_popen_wait(p, -1, &rc));
    CHECK(rc == -SIGKILL);
    CHECK_OK(mproc_popen_close(p));
}

static void close_of_a_running_child_reaps_it_later(void) {
    mproc_popen_t *p = NULL;
    if (!CHECK_OK(mproc_popen_create(sleep_argv, NULL, &p))) return;
    int pid = 0;
    CHECK_OK(mproc_popen_pid(p, &pid));
    CHECK_OK(mproc_popen_close(p));
    CHECK(process_exists(pid)); /* not killed */
    kill(pid, SIGKILL);
    /* The next start sweeps the reap-later list: the zombie goes. */
    double deadline = now_seconds() + 10.0;
    mproc_run_result_t r;
    do {
        sleep_seconds(0.01);
        CHECK_OK(mproc_run(true_argv, NULL, 0, NULL, 0, 30.0, &r));
        mproc_run_result_free(&r);
    } while (process_exists(pid) && now_seconds() < deadline);
    CHECK(!process_exists(pid));
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bad_input_to_every_entry_point(void) {
    const double nan_timeout = NAN;
    const char *const empty[] = {NULL};
    mproc_popen_t *p = (mproc_popen_t *)1;
    mproc_popen_options_t o;
    mproc_run_result_t r;
    int v = 0;

    CHECK_RC(mproc_popen_options_init(NULL), MPROC_EINVAL);
    CHECK_OK(mproc_popen_options_init(&o));
    CHECK(o.size == sizeof o && o.stdin_mode == MPROC_STDIO_INHERIT && o.stdout_fd == -1 &&
          o.env == NULL && o.cwd == NULL);

    /* argv */
    CHECK_RC(mproc_popen_create(NULL, NULL, &p), MPROC_EINVAL);
    CHECK(p == NULL);
    CHECK(strstr(mproc_last_error(), "argv") != NULL);
    CHECK_RC(mproc_popen_create(empty, NULL, &p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "empty") != NULL);
    CHECK_RC(mproc_popen_create(true_argv, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_run(NULL, NULL, 0, NULL, 0, 1.0, &r), MPROC_EINVAL);
    CHECK_RC(mproc_run(empty, NULL, 0, NULL, 0, 1.0, &r), MPROC_EINVAL);
    CHECK_RC(mproc_run(true_argv, NULL, 0, NULL, 0, 1.0, NULL), MPROC_EINVAL);

    /* options */
    mproc_popen_options_t bad = o;
    bad.size = 0;
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "mproc_popen_options_init") != NULL);
    bad = o;
    bad.stdout_mode = 7;
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    bad = o;
    bad.stdin_mode = -1;
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    bad = o;
    bad.stdout_mode = MPROC_STDIO_STDOUT;
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "stderr only") != NULL);
    bad = o;
    bad.stdin_mode = MPROC_STDIO_STDOUT;
    CHECK_RC(mproc_run(true_argv, &bad, 0, NULL, 0, 1.0, &r), MPROC_EINVAL);
    bad = o;
    bad.stderr_mode = MPROC_STDIO_FD; /* stderr_fd still -1 */
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    bad.stderr_fd = 987654; /* not open */
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "987654") != NULL);
    const char *const bad_env[] = {"NO_EQUALS_SIGN", NULL};
    bad = o;
    bad.env = bad_env;
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    bad = o;
    bad.cwd = "";
    CHECK_RC(mproc_popen_create(true_argv, &bad, &p), MPROC_EINVAL);
    CHECK(p == NULL);

    /* mproc_run's own arguments */
    CHECK_RC(mproc_run(true_argv, NULL, 0x80u, NULL, 0, 1.0, &r), MPROC_EINVAL);
    CHECK_RC(mproc_run(true_argv, NULL, 0, NULL, 5, 1.0, &r), MPROC_EINVAL);
    CHECK_RC(mproc_run(true_argv, NULL, 0, NULL, 0, nan_timeout, &r), MPROC_EINVAL);
    CHECK(r.out == NULL && r.err == NULL);

    /* A good handle given bad arguments. */
    mproc_popen_t *good = NULL;
    if (!CHECK_OK(mproc_popen_create(true_argv, NULL, &good))) return;
    CHECK_RC(mproc_popen_pid(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_popen_poll(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_popen_wait(good, 1.0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_popen_wait(good, nan_timeout, &v), MPROC_EINVAL);
    CHECK_RC(mproc_popen_send_signal(good, -3), MPROC_EINVAL);
    CHECK_RC(mproc_popen_send_signal(good, 100000), MPROC_EINVAL);
    CHECK_RC(mproc_popen_stdin_fd(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_popen_stdin_fd(good, &v), MPROC_EINVAL); /* not a pipe */
    CHECK(strstr(mproc_last_error(), "not a pipe") != NULL);
    CHECK_RC(mproc_popen_stdout_fd(good, &v), MPROC_EINVAL);
    CHECK_RC(mproc_popen_stderr_fd(good, &v), MPROC_EINVAL);
    CHECK_RC(mproc_popen_communicate(good, NULL, 3, 1.0, NULL, NULL, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_popen_communicate(good, "x", 1, 1.0, NULL, NULL, NULL, NULL), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "stdin") != NULL);
    CHECK_RC(mproc_popen_communicate(good, NULL, 0, nan_timeout, NULL, NULL, NULL, NULL),
             MPROC_EINVAL);
    CHECK_OK(mproc_popen_wait(good, 30.0, &v));
    CHECK(v == 0);

    /* NULL, closed and wrong-kind handles. */
    mproc_popen_t *closed = NULL;
    CHECK_OK(mproc_popen_create(true_argv, NULL, &closed));
    CHECK_OK(mproc_popen_close(closed));
    mproc_event_t *event = NULL;
    CHECK_OK(mproc_event_create(NULL, NULL, &event));
    mproc_popen_t *wrong = (mproc_popen_t *)(void *)event;
    mproc_popen_t *handles[] = {NULL, closed, wrong};
    for (int i = 0; i < 3; i++) {
        check_context("handle %s", i == 0 ? "NULL" : i == 1 ? "closed" : "of another kind");
        mproc_popen_t *h = handles[i];
        CHECK_RC(mproc_popen_pid(h, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_poll(h, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_wait(h, 0, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_send_signal(h, SIGTERM), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_terminate(h), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_kill(h), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_stdin_fd(h, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_stdout_fd(h, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_stderr_fd(h, &v), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_communicate(h, NULL, 0, 0, NULL, NULL, NULL, NULL), MPROC_EBADHANDLE);
        CHECK_RC(mproc_popen_close(h), MPROC_EBADHANDLE);
    }
    check_context("%s", "");
    CHECK_OK(mproc_event_close(event));
    CHECK_OK(mproc_popen_close(good));
}

int main(void) {
    RUN(run_reports_exit_status);
    RUN(run_captures_stdout_and_stderr);
    RUN(run_feeds_input_through_cat);
    RUN(run_check_gives_efailed_with_the_result);
    RUN(run_timeout_kills_and_reaps);
    RUN(run_env_and_cwd);
    RUN(programs_that_cannot_start);
    RUN(popen_pipes_and_communicate);
    RUN(popen_communicate_timeout_then_goes_on);
    RUN(popen_signals_poll_and_wait);
    RUN(close_of_a_running_child_reaps_it_later);
    RUN(bad_input_to_every_entry_point);
    return check_report();
}
