/* process_test.c -- mproc_process_* and friends driven from C: exit codes 0/3/255, -9 for
 * kill, -15 for terminate, join timeouts, is_alive and exitcode over a child's life, pid,
 * names, the daemon flag, the pidfd, close while running, active_children listing and
 * reaping, no zombies, the child's view (current_process, parent_process), cpu_count, a
 * task reference run in a child, bad input for every entry point, and the spawn and
 * forkserver start methods. */
#include "check.h"

#include <poll.h>
#include <sched.h>
#include <stdint.h>

/* ---- Tasks ---------------------------------------------------------------------------- */

static int return_arg(void *arg) {
    return (int)(intptr_t)arg;
}

/* What a child and the test share (MAP_SHARED). */
struct board {
    atomic_int release;
    atomic_int started;
    atomic_int parent_rc;
    atomic_int parent_pid;
    atomic_int own_pid;
    atomic_int name_rc;
    char name[256];
};

/* Announces itself, waits (at most 60 s) for the release, and exits 7. */
static int wait_for_release(void *arg) {
    struct board *b = arg;
    atomic_fetch_add(&b->started, 1);
    double deadline = now_seconds() + 60.0;
    while (atomic_load(&b->release) == 0 && now_seconds() < deadline)
        sleep_seconds(0.001);
    return 7;
}

static int sleep_a_minute(void *arg) {
    (void)arg;
    sleep_seconds(60.0);
    return 0;
}

static int look_around(void *arg) {
    struct board *b = arg;
    int pid = 0;
    atomic_store(&b->name_rc, mproc_current_process(b->name, sizeof b->name, &pid));
    atomic_store(&b->own_pid, pid);
    int parent = 0;
    atomic_store(&b->parent_rc, mproc_parent_process(&parent));
    atomic_store(&b->parent_pid, parent);
    return 0;
}

static mproc_task_t *function_task(mproc_task_fn fn, void *arg) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_from_function(fn, arg, &task));
    return task;
}

/* A started process over fn(arg), with options (NULL: defaults). */
static mproc_process_t *start_process(mproc_task_fn fn, void *arg,
                                      const mproc_process_options_t *opts) {
    mproc_task_t *task = function_task(fn, arg);
    mproc_process_t *p = NULL;
    CHECK_OK(mproc_process_create(task, opts, &p));
    CHECK_OK(mproc_task_close(task)); /* the process keeps its own copy */
    CHECK_OK(mproc_process_start(p));
    return p;
}

static int exit_code_of(mproc_process_t *p) {
    int code = -1000;
    CHECK_OK(mproc_process_exitcode(p, &code));
    return code;
}

/* waitpid says the pid is no child of ours any more: it was reaped. */
static int reaped(int pid) {
    int status = 0;
    return waitpid((pid_t)pid, &status, WNOHANG) < 0 && errno == ECHILD;
}

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

static int contains(const int *pids, size_t n, int pid) {
    for (size_t i = 0; i < n; i++) {
        if (pids[i] == pid) return 1;
    }
    return 0;
}

/* ---- Exit codes ------------------------------------------------------------------------ */

static void exit_codes_are_the_task_result(void) {
    const int codes[] = {0, 3, 255};
    for (int i = 0; i < 3; i++) {
        check_context("exit code %d", codes[i]);
        mproc_process_t *p = start_process(return_arg, (void *)(intptr_t)codes[i], NULL);
        CHECK_OK(mproc_process_join(p, 30.0));
        CHECK(exit_code_of(p) == codes[i]);
        CHECK_OK(mproc_process_close(p));
    }
    /* The low byte of the result, as exit(2) keeps it. */
    mproc_process_t *p = start_process(return_arg, (void *)(intptr_t)(256 + 3), NULL);
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == 3);
    CHECK_OK(mproc_process_close(p));
}

static void kill_and_terminate_give_minus_the_signal(void) {
    mproc_process_t *p = start_process(sleep_a_minute, NULL, NULL);
    CHECK_OK(mproc_process_kill(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == -9);
    CHECK_OK(mproc_process_close(p));

    p = start_process(sleep_a_minute, NULL, NULL);
    CHECK_OK(mproc_process_terminate(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == -15);
    CHECK_OK(mproc_process_close(p));

    p = start_process(sleep_a_minute, NULL, NULL);
    CHECK_OK(mproc_process_send_signal(p, SIGUSR1));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == -SIGUSR1);
    /* Once reaped, signals do nothing (the pid may belong to another process by now). */
    CHECK_OK(mproc_process_kill(p));
    CHECK_OK(mproc_process_close(p));
}

static void a_task_reference_runs_in_the_child(void) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create("libc.so.6", "abs", "i(i)", &task));
    mproc_process_t *p = NULL;
    CHECK_RC(mproc_process_create(task, NULL, &p), MPROC_EINVAL); /* no argument yet */
    CHECK(strstr(mproc_last_error(), "incomplete") != NULL);
    CHECK_OK(mproc_task_arg_int(task, -7));
    CHECK_OK(mproc_process_create(task, NULL, &p));
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_process_start(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == 7);
    CHECK_OK(mproc_process_close(p));
}

/* ---- A child's life --------------------------------------------------------------------- */

static void join_times_out_on_a_running_child(void) {
    struct board *b = shared_alloc(sizeof *b);
    mproc_process_t *p = start_process(wait_for_release, b, NULL);
    double start = now_seconds();
    CHECK_RC(mproc_process_join(p, 0.3), MPROC_ETIMEDOUT);
    CHECK(now_seconds() - start >= 0.25);
    CHECK_RC(mproc_process_join(p, 0), MPROC_ETIMEDOUT);
    int alive = 0;
    CHECK_OK(mproc_process_is_alive(p, &alive));
    CHECK(alive == 1);
    CHECK_OK(mproc_process_kill(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == -9);
    CHECK_OK(mproc_process_close(p));
    shared_free(b, sizeof *b);
}

static void is_alive_exitcode_and_pid_follow_the_child(void) {
    struct board *b = shared_alloc(sizeof *b);
    mproc_task_t *task = function_task(wait_for_release, b);
    mproc_process_t *p = NULL;
    CHECK_OK(mproc_process_create(task, NULL, &p));
    CHECK_OK(mproc_task_close(task));
    int alive = -1, code = -1000, pid = -1;
    CHECK_OK(mproc_process_is_alive(p, &alive));
    CHECK(alive == 0);
    CHECK_RC(mproc_process_exitcode(p, &code), MPROC_EEMPTY);
    CHECK_RC(mproc_process_pid(p, &pid), MPROC_EEMPTY);
    CHECK(code == -1000 && pid == -1); /* out-pointers untouched on failure */

    CHECK_OK(mproc_process_start(p));
    CHECK_OK(mproc_process_pid(p, &pid));
    CHECK(pid > 0 && pid != (int)getpid());
    CHECK_OK(mproc_process_is_alive(p, &alive));
    CHECK(alive == 1);
    CHECK(await_at_least(&b->started, 1, 20.0));
    CHECK_RC(mproc_process_exitcode(p, &code), MPROC_EEMPTY);
    atomic_store(&b->release, 1);
    /* is_alive alone reaps the child: no join needed. */
    double deadline = now_seconds() + 20.0;
    do {
        CHECK_OK(mproc_process_is_alive(p, &alive));
        if (alive) sleep_seconds(0.001);
    } while (alive && now_seconds() < deadline);
    CHECK(alive == 0);
    CHECK(reaped(pid));
    CHECK(exit_code_of(p) == 7);
    int again = 0;
    CHECK_OK(mproc_process_pid(p, &again));
    CHECK(again == pid);
    CHECK_OK(mproc_process_close(p));
    shared_free(b, sizeof *b);
}

static void no_zombie_after_join(void) {
    mproc_process_t *p = start_process(return_arg, NULL, NULL);
    int pid = 0;
    CHECK_OK(mproc_process_pid(p, &pid));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(reaped(pid));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f != NULL) { /* the pid was reused already: then it is not our zombie */
        char line[512] = "";
        CHECK(fgets(line, sizeof line, f) != NULL);
        const char *paren = strrchr(line, ')');
        CHECK(paren == NULL || paren[2] != 'Z');
        fclose(f);
    }
    CHECK_OK(mproc_process_close(p));
}

static void the_fd_becomes_readable_when_the_child_ends(void) {
    struct board *b = shared_alloc(sizeof *b);
    mproc_task_t *task = function_task(wait_for_release, b);
    mproc_process_t *p = NULL;
    CHECK_OK(mproc_process_create(task, NULL, &p));
    CHECK_OK(mproc_task_close(task));
    int fd = -1;
    CHECK_RC(mproc_process_fd(p, &fd), MPROC_EINVAL); /* not started */
    CHECK_OK(mproc_process_start(p));
    CHECK_OK(mproc_process_fd(p, &fd));
    CHECK(fd >= 0);
    CHECK(!readable(fd, 0));
    atomic_store(&b->release, 1);
    CHECK(readable(fd, 20000));
    CHECK_OK(mproc_process_join(p, 0)); /* it has ended: no wait */
    CHECK(exit_code_of(p) == 7);
    CHECK_OK(mproc_process_close(p));
    shared_free(b, sizeof *b);
}

static void close_of_a_running_child_is_refused(void) {
    mproc_process_t *p = start_process(sleep_a_minute, NULL, NULL);
    CHECK_RC(mproc_process_close(p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "running") != NULL);
    int alive = 0;
    CHECK_OK(mproc_process_is_alive(p, &alive)); /* nothing was freed */
    CHECK(alive == 1);
    CHECK_OK(mproc_process_kill(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK_OK(mproc_process_close(p));

    /* An ended child that nobody joined: close reaps it. */
    p = start_process(return_arg, NULL, NULL);
    int pid = 0, fd = -1;
    CHECK_OK(mproc_process_pid(p, &pid));
    CHECK_OK(mproc_process_fd(p, &fd));
    CHECK(readable(fd, 20000));
    CHECK_OK(mproc_process_close(p));
    CHECK(reaped(pid));

    /* Never started: nothing to wait for. */
    mproc_task_t *task = function_task(return_arg, NULL);
    CHECK_OK(mproc_process_create(task, NULL, &p));
    CHECK_OK(mproc_task_close(task));
    CHECK_OK(mproc_process_close(p));
}

/* ---- Names and options ------------------------------------------------------------------ */

static void names_and_the_daemon_flag(void) {
    mproc_task_t *task = function_task(return_arg, NULL);
    mproc_process_t *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(mproc_process_create(task, NULL, &a));
    mproc_process_options_t opts;
    CHECK_OK(mproc_process_options_init(&opts));
    CHECK(opts.size == sizeof opts && opts.name == NULL && opts.daemon == 0);
    CHECK_OK(mproc_process_create(task, &opts, &b));
    char name[MPROC_PROCESS_NAME_MAX + 1];
    int na = 0, nb = 0;
    CHECK_OK(mproc_process_name(a, name, sizeof name));
    CHECK(sscanf(name, "Process-%d", &na) == 1 && na >= 1);
    CHECK_OK(mproc_process_name(b, name, sizeof name));
    CHECK(sscanf(name, "Process-%d", &nb) == 1 && nb == na + 1);
    char tiny[4];
    CHECK_RC(mproc_process_name(a, tiny, sizeof tiny), MPROC_ETOOBIG);

    opts.name = "worker";
    opts.daemon = 1;
    CHECK_OK(mproc_process_create(task, &opts, &c));
    CHECK_OK(mproc_process_name(c, name, sizeof name));
    CHECK(strcmp(name, "worker") == 0);
    int daemon = -1;
    CHECK_OK(mproc_process_daemon(c, &daemon));
    CHECK(daemon == 1);
    CHECK_OK(mproc_process_daemon(a, &daemon));
    CHECK(daemon == 0);

    char longest[MPROC_PROCESS_NAME_MAX + 2];
    memset(longest, 'n', sizeof longest);
    longest[MPROC_PROCESS_NAME_MAX] = '\0';
    mproc_process_t *d = NULL;
    opts.name = longest;
    CHECK_OK(mproc_process_create(task, &opts, &d));
    CHECK_OK(mproc_process_close(d));
    longest[MPROC_PROCESS_NAME_MAX] = 'n';
    longest[MPROC_PROCESS_NAME_MAX + 1] = '\0';
    d = NULL;
    CHECK_RC(mproc_process_create(task, &opts, &d), MPROC_EINVAL);
    CHECK(d == NULL);

    CHECK_OK(mproc_process_close(a));
    CHECK_OK(mproc_process_close(b));
    CHECK_OK(mproc_process_close(c));
    CHECK_OK(mproc_task_close(task));
}

/* ---- The registry ----------------------------------------------------------------------- */

static void active_children_lists_then_reaps(void) {
    struct board *b = shared_alloc(sizeof *b);
    mproc_process_t *p1 = start_process(wait_for_release, b, NULL);
    mproc_process_t *p2 = start_process(wait_for_release, b, NULL);
    int pid1 = 0, pid2 = 0;
    CHECK_OK(mproc_process_pid(p1, &pid1));
    CHECK_OK(mproc_process_pid(p2, &pid2));

    size_t n = 0;
    CHECK_RC(mproc_active_children(NULL, 0, &n), MPROC_ETOOBIG); /* counting */
    CHECK(n == 2);
    int pids[64];
    CHECK_OK(mproc_active_children(pids, 64, &n));
    CHECK(contains(pids, n, pid1) && contains(pids, n, pid2));
    int one[1] = {0};
    size_t total = 0;
    CHECK_RC(mproc_active_children(one, 1, &total), MPROC_ETOOBIG);
    CHECK(total == n);
    CHECK(one[0] == pid1 || one[0] == pid2);

    atomic_store(&b->release, 1);
    int fd1 = -1, fd2 = -1;
    CHECK_OK(mproc_process_fd(p1, &fd1));
    CHECK_OK(mproc_process_fd(p2, &fd2));
    CHECK(readable(fd1, 20000) && readable(fd2, 20000));
    CHECK_OK(mproc_active_children(pids, 64, &n));
    CHECK(!contains(pids, n, pid1) && !contains(pids, n, pid2));
    CHECK(reaped(pid1) && reaped(pid2));
    /* The reap kept the exit codes for the process objects. */
    CHECK(exit_code_of(p1) == 7 && exit_code_of(p2) == 7);
    CHECK_OK(mproc_process_close(p1));
    CHECK_OK(mproc_process_close(p2));
    shared_free(b, sizeof *b);
}

/* ---- The child's view ------------------------------------------------------------------- */

static void the_child_knows_its_name_and_parent(void) {
    char name[64];
    int pid = 0, parent = -1;
    CHECK_OK(mproc_current_process(name, sizeof name, &pid));
    CHECK(strcmp(name, "MainProcess") == 0);
    CHECK(pid == (int)getpid());
    CHECK_OK(mproc_current_process(NULL, 0, NULL));
    CHECK_RC(mproc_current_process(name, 4, &pid), MPROC_ETOOBIG);
    CHECK_RC(mproc_parent_process(&parent), MPROC_EEMPTY);
    CHECK(parent == -1);

    struct board *b = shared_alloc(sizeof *b);
    mproc_process_options_t opts;
    CHECK_OK(mproc_process_options_init(&opts));
    opts.name = "explorer";
    mproc_process_t *p = start_process(look_around, b, &opts);
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == 0);
    int child = 0;
    CHECK_OK(mproc_process_pid(p, &child));
    CHECK(atomic_load(&b->name_rc) == MPROC_OK);
    CHECK(strcmp(b->name, "explorer") == 0);
    CHECK(atomic_load(&b->own_pid) == child);
    CHECK(atomic_load(&b->parent_rc) == MPROC_OK);
    CHECK(atomic_load(&b->parent_pid) == (int)getpid());
    CHECK_OK(mproc_process_close(p));
    shared_free(b, sizeof *b);
}

static void cpu_count_is_the_affinity_mask(void) {
    int n = 0;
    CHECK_OK(mproc_cpu_count(&n));
    CHECK(n >= 1);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (CHECK(sched_getaffinity(0, sizeof set, &set) == 0)) CHECK(n == CPU_COUNT(&set));
    CHECK_RC(mproc_cpu_count(NULL), MPROC_EINVAL);
}

/* ---- Bad input -------------------------------------------------------------------------- */

static void bad_input_to_every_entry_point(void) {
    mproc_task_t *task = function_task(sleep_a_minute, NULL);
    mproc_task_t *closed_task = function_task(return_arg, NULL);
    CHECK_OK(mproc_task_close(closed_task));
    mproc_process_t *good = NULL, *closed = NULL, *out = NULL;
    CHECK_OK(mproc_process_create(task, NULL, &good));
    CHECK_OK(mproc_process_create(task, NULL, &closed));
    CHECK_OK(mproc_process_close(closed));
    mproc_process_t *wrong = (mproc_process_t *)(void *)task;
    mproc_process_t *bad[] = {NULL, closed, wrong};
    int value = 0;
    size_t n = 0;
    char buf[64];

    CHECK_RC(mproc_process_options_init(NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_create(task, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_create(NULL, NULL, &out), MPROC_EBADHANDLE);
    CHECK_RC(mproc_process_create(closed_task, NULL, &out), MPROC_EBADHANDLE);
    CHECK_RC(mproc_process_create((const mproc_task_t *)(void *)good, NULL, &out),
             MPROC_EBADHANDLE);
    mproc_process_options_t raw;
    memset(&raw, 0, sizeof raw); /* not initialised */
    CHECK_RC(mproc_process_create(task, &raw, &out), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "mproc_process_options_init") != NULL);
    CHECK(out == NULL);

    for (int i = 0; i < 3; i++) {
        check_context("handle %s", i == 0 ? "NULL" : i == 1 ? "closed" : "of another kind");
        CHECK_RC(mproc_process_start(bad[i]), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_join(bad[i], 0), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_is_alive(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_exitcode(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_pid(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_name(bad[i], buf, sizeof buf), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_daemon(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_terminate(bad[i]), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_kill(bad[i]), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_send_signal(bad[i], SIGTERM), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_fd(bad[i], &value), MPROC_EBADHANDLE);
        CHECK_RC(mproc_process_close(bad[i]), MPROC_EBADHANDLE);
    }
    check_context("%s", "");

    /* Not started yet. */
    CHECK_RC(mproc_process_join(good, 1.0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "not started") != NULL);
    CHECK_RC(mproc_process_terminate(good), MPROC_EINVAL);
    CHECK_RC(mproc_process_kill(good), MPROC_EINVAL);
    CHECK_RC(mproc_process_send_signal(good, SIGTERM), MPROC_EINVAL);
    CHECK_RC(mproc_process_fd(good, &value), MPROC_EINVAL);

    /* NULL out-pointers and buffers, NaN. */
    CHECK_RC(mproc_process_is_alive(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_exitcode(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_pid(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_name(good, NULL, 64), MPROC_EINVAL);
    CHECK_RC(mproc_process_daemon(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_fd(good, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_process_join(good, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_active_children(NULL, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_active_children(NULL, 4, &n), MPROC_EINVAL);
    CHECK_RC(mproc_parent_process(NULL), MPROC_EINVAL);

    /* Started: twice is an error, and so are bad signal numbers. */
    CHECK_OK(mproc_process_start(good));
    CHECK_RC(mproc_process_start(good), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "started already") != NULL);
    const int bad_signals[] = {0, -1, 65, 1000};
    for (int i = 0; i < 4; i++) {
        check_context("signal %d", bad_signals[i]);
        CHECK_RC(mproc_process_send_signal(good, bad_signals[i]), MPROC_EINVAL);
    }
    check_context("%s", "");
    CHECK_RC(mproc_process_join(good, NAN), MPROC_EINVAL);
    int alive = 0;
    CHECK_OK(mproc_process_is_alive(good, &alive)); /* none of that reached it */
    CHECK(alive == 1);
    CHECK_OK(mproc_process_kill(good));
    CHECK_OK(mproc_process_join(good, 30.0));
    CHECK_OK(mproc_process_close(good));
    CHECK_OK(mproc_task_close(task));
}

/* The spawn start method: a task reference runs in mproc-worker; a function task is
 * refused at create (explicit method) or at start (through the default). */
static void the_spawn_start_method(void) {
    int method = -1;
    CHECK_OK(mproc_get_start_method(&method));
    CHECK(method == MPROC_START_FORK);
    CHECK_RC(mproc_set_start_method(5), MPROC_EINVAL);
    CHECK_RC(mproc_get_start_method(NULL), MPROC_EINVAL);

    mproc_task_t *abs_task = NULL;
    CHECK_OK(mproc_task_create("libc.so.6", "abs", "i(i)", &abs_task));
    CHECK_OK(mproc_task_arg_int(abs_task, -11));
    mproc_process_options_t opts;
    CHECK_OK(mproc_process_options_init(&opts));
    CHECK(opts.start_method == MPROC_START_DEFAULT);
    opts.start_method = MPROC_START_SPAWN;
    mproc_process_t *p = NULL;
    CHECK_OK(mproc_process_create(abs_task, &opts, &p));
    CHECK_OK(mproc_process_start(p));
    CHECK_OK(mproc_process_join(p, 30.0));
    CHECK(exit_code_of(p) == 11);
    CHECK_OK(mproc_process_close(p));

    opts.start_method = 9;
    CHECK_RC(mproc_process_create(abs_task, &opts, &p), MPROC_EINVAL);

    mproc_task_t *fn = function_task(return_arg, NULL);
    opts.start_method = MPROC_START_SPAWN;
    CHECK_RC(mproc_process_create(fn, &opts, &p), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "function") != NULL);

    CHECK_OK(mproc_set_start_method(MPROC_START_SPAWN));
    CHECK_OK(mproc_get_start_method(&method));
    CHECK(method == MPROC_START_SPAWN);
    mproc_process_t *q = NULL;
    CHECK_OK(mproc_process_create(fn, NULL, &q));
    CHECK_RC(mproc_process_start(q), MPROC_EINVAL);
    CHECK_OK(mproc_process_close(q));
    mproc_process_t *r = NULL;
    CHECK_OK(mproc_process_create(abs_task, NULL, &r));
    CHECK_OK(mproc_process_start(r));
    CHECK_OK(mproc_process_join(r, 30.0));
    CHECK(exit_code_of(r) == 11);
    CHECK_OK(mproc_process_close(r));
    CHECK_OK(mproc_set_start_method(MPROC_START_DEFAULT));
    CHECK_OK(mproc_get_start_method(&method));
    CHECK(method == MPROC_START_FORK);
    CHECK_OK(mproc_task_close(fn));
    CHECK_OK(mproc_task_close(abs_task));
}

/* The parent's pid of `pid` (field 4 of /proc/PID/stat), or 0. */
static int parent_of(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    char buf[512] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    char state = 0;
    int ppid = 0;
    if (paren == NULL || sscanf(paren + 1, " %c %d", &state, &ppid) != 2) return 0;
    return ppid;
}

static mproc_process_t *forkserver_process(const char *library, const char *symbol,
                                           const char *signature, long long arg, const char *name) {
    mproc_task_t *task = NULL;
    CHECK_OK(mproc_task_create(library, symbol, signature, &task));
    if (signature[2] == 'I') {
        CHECK_OK(mproc_task_arg_uint(task, (unsigned long long)arg));
    } else if (signature[2] == 'i') {
        CHECK_OK(mproc_task_arg_int(task, arg));
    }
    mproc_process_options_t opts;
    CHECK_OK(mproc_process_options_init(&opts));
    opts.start_method = MPROC_START_FORKSERVER;
    opts.name = name;
    mproc_process_t *p = NULL;
    CHECK_OK(mproc_process_create(task, &opts, &p));
    CHECK_OK(mproc_task_close(task));
    return p;
}

/* The forkserver start method: children are forks of a server that is our child; exit
 * codes, kill and terminate, join timeouts, is_alive, the fd; the name reaches the child
 * (its failure message, on our stderr of the moment); function tasks refused; the default
 * method. */
static void the_forkserver_start_method(void) {
    mproc_process_t *p = forkserver_process("libc.so.6", "abs", "i(i)", -11, NULL);
    CHECK_OK(mproc_process_start(p));
    CHECK_OK(mproc_process_join(p, 60.0));
    CHECK(exit_code_of(p) == 11);
    CHECK_OK(mproc_process_close(p));

    /* A running child: its parent is the server, whose parent is us. */
    mproc_process_t *s = forkserver_process("libc.so.6", "sleep", "I(I)", 60, "fs-sleeper");
    int fd = -1;
    CHECK_RC(mproc_process_fd(s, &fd), MPROC_EINVAL);
    CHECK_OK(mproc_process_start(s));
    int pid = 0;
    CHECK_OK(mproc_process_pid(s, &pid));
    const int server = parent_of(pid);
    CHECK(server > 1 && server != (int)getpid());
    CHECK(parent_of(server) == (int)getpid());
    size_t n = 0;
    int pids[64];
    CHECK_OK(mproc_active_children(pids, 64, &n));
    CHECK(contains(pids, n, pid));
    CHECK(!contains(pids, n, server));
    int alive = 0;
    CHECK_OK(mproc_process_is_alive(s, &alive));
    CHECK(alive == 1);
    int code = 0;
    CHECK_RC(mproc_process_exitcode(s, &code), MPROC_EEMPTY);
    CHECK_RC(mproc_process_join(s, 0.2), MPROC_ETIMEDOUT);
    CHECK_OK(mproc_process_fd(s, &fd));
    CHECK(fd >= 0 && !readable(fd, 0));
    CHECK_RC(mproc_process_close(s), MPROC_EINVAL);
    CHECK_OK(mproc_process_kill(s));
    CHECK(readable(fd, 30000));
    CHECK_OK(mproc_process_join(s, 60.0));
    CHECK(exit_code_of(s) == -9);
    CHECK_OK(mproc_process_is_alive(s, &alive));
    CHECK(alive == 0);
    CHECK_OK(mproc_process_kill(s)); /* ended: nothing happens */
    CHECK_OK(mproc_process_close(s));

    mproc_process_t *t = forkserver_process("libc.so.6", "sleep", "I(I)", 60, NULL);
    CHECK_OK(mproc_process_start(t));
    CHECK_OK(mproc_process_terminate(t));
    CHECK_OK(mproc_process_join(t, 60.0));
    CHECK(exit_code_of(t) == -15);
    CHECK_OK(mproc_process_close(t));

    /* The child's name, in its failure message on the stderr we have at start. */
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    mproc_process_t *lost =
        forkserver_process(MPROC_TEST_TASKS_LIB, "no_such_function", "i()", 0, "fs-named");
    CHECK_OK(mproc_process_start(lost));
    dup2(saved, STDERR_FILENO);
    close(saved);
    CHECK_OK(mproc_process_join(lost, 60.0));
    CHECK(exit_code_of(lost) == 1);
    CHECK_OK(mproc_process_close(lost));
    char text[2048] = {0};
    size_t got = 0;
    double deadline = now_seconds() + 20.0;
    while (strstr(text, "no_such_function") == NULL && now_seconds() < deadline &&
           got < sizeof text - 1) {
        if (!readable(fds[0], 100)) continue;
        ssize_t r = read(fds[0], text + got, sizeof text - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fds[0]);
    CHECK(strstr(text, "mproc: process 'fs-named': ") != NULL);

    /* Function tasks: refused at create, or at start through the default. */
    mproc_task_t *fn = function_task(return_arg, NULL);
    mproc_process_options_t opts;
    CHECK_OK(mproc_process_options_init(&opts));
    opts.start_method = MPROC_START_FORKSERVER;
    mproc_process_t *q = NULL;
    CHECK_RC(mproc_process_create(fn, &opts, &q), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "function") != NULL);
    CHECK_OK(mproc_set_start_method(MPROC_START_FORKSERVER));
    int method = -1;
    CHECK_OK(mproc_get_start_method(&method));
    CHECK(method == MPROC_START_FORKSERVER);
    CHECK_OK(mproc_process_create(fn, NULL, &q));
    CHECK_RC(mproc_process_start(q), MPROC_EINVAL);
    CHECK_OK(mproc_process_close(q));
    mproc_task_t *abs_task = NULL;
    CHECK_OK(mproc_task_create("libc.so.6", "abs", "i(i)", &abs_task));
    CHECK_OK(mproc_task_arg_int(abs_task, -13));
    mproc_process_t *r = NULL;
    CHECK_OK(mproc_process_create(abs_task, NULL, &r));
    CHECK_OK(mproc_process_start(r));
    CHECK_OK(mproc_set_start_method(MPROC_START_DEFAULT));
    CHECK_OK(mproc_process_join(r, 60.0));
    CHECK(exit_code_of(r) == 13);
    CHECK_OK(mproc_process_close(r));
    CHECK_OK(mproc_task_close(abs_task));
    CHECK_OK(mproc_task_close(fn));
}

int main(void) {
    RUN(exit_codes_are_the_task_result);
    RUN(kill_and_terminate_give_minus_the_signal);
    RUN(a_task_reference_runs_in_the_child);
    RUN(join_times_out_on_a_running_child);
    RUN(is_alive_exitcode_and_pid_follow_the_child);
    RUN(no_zombie_after_join);
    RUN(the_fd_becomes_readable_when_the_child_ends);
    RUN(close_of_a_running_child_is_refused);
    RUN(names_and_the_daemon_flag);
    RUN(active_children_lists_then_reaps);
    RUN(the_child_knows_its_name_and_parent);
    RUN(cpu_count_is_the_affinity_mask);
    RUN(bad_input_to_every_entry_point);
    RUN(the_spawn_start_method);
    RUN(the_forkserver_start_method);
    return check_report();
}
