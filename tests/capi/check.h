/*
 * check.h -- the tiny test harness of the pure-C ABI tests.
 *
 * Include it first: it sets the feature-test macros that fork, mmap(MAP_ANONYMOUS) and
 * clock_gettime need under -std=c11, and those only work before any system header.
 *
 * CHECK(expr) and CHECK_RC(call, code) count checks and failures; a failure prints
 * file:line, the expression, and mproc_last_error(), and the test goes on, so one run
 * shows every broken behaviour. main() ends with `return check_report();`.
 *
 * Forked children run the same CHECKs and end with child_exit(), which turns their
 * failures into a non-zero exit status that the parent checks with CHECK_CHILD_EXITED.
 * Every wait here is bounded, so a library bug fails a test instead of hanging it.
 */
#ifndef MPROC_TESTS_CAPI_CHECK_H
#define MPROC_TESTS_CAPI_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mproc/mproc.h"

/* Atomic because worker threads run CHECKs too. */
static atomic_int check_count_;
static atomic_int check_failures_;

/* What a table-driven test is on right now ("kind lock, name 'a/b'"); printed with each
 * failure, since the failing expression alone does not say. Set from the main thread. */
static char check_context_[256];

static inline void check_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void check_context(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(check_context_, sizeof check_context_, fmt, ap);
    va_end(ap);
}

/* Reports a failure. `detail` is the thread's mproc_last_error(), copied by the caller
 * before it made any other mproc call: the pointer is only valid until the next one. */
static inline void check_fail_(const char *file, int line, const char *what, const char *detail) {
    atomic_fetch_add(&check_failures_, 1);
    fprintf(stderr, "%s:%d: [pid %d] CHECK failed: %s\n", file, line, (int)getpid(), what);
    if (check_context_[0] != '\0') fprintf(stderr, "    while testing: %s\n", check_context_);
    fprintf(stderr, "    last error: \"%s\"\n", detail);
}

static inline int check_rc_(const char *file, int line, const char *call, int got, int want) {
    atomic_fetch_add(&check_count_, 1);
    if (got == want) return 1;
    char detail[512];
    snprintf(detail, sizeof detail, "%s", mproc_last_error());
    char what[768];
    snprintf(what, sizeof what, "%s returned %d (%s), expected %d (%s)", call, got,
             mproc_errname(got), want, mproc_errname(want));
    check_fail_(file, line, what, detail);
    return 0;
}

static inline int check_(const char *file, int line, const char *what, int ok) {
    atomic_fetch_add(&check_count_, 1);
    if (!ok) {
        char detail[512];
        snprintf(detail, sizeof detail, "%s", mproc_last_error());
        check_fail_(file, line, what, detail);
    }
    return ok;
}

/* Evaluates to 1 if expr holds, else reports it and evaluates to 0. */
#define CHECK(expr) check_(__FILE__, __LINE__, #expr, (expr) ? 1 : 0)

/* An unconditional failure with a message. */
#define FAIL(msg) check_(__FILE__, __LINE__, msg, 0)

/* Evaluates call once and compares its status with the expected MPROC_* code. */
#define CHECK_RC(call, want) check_rc_(__FILE__, __LINE__, #call, (call), (want))
#define CHECK_OK(call) CHECK_RC(call, MPROC_OK)

/* ---- Names ---------------------------------------------------------------------------- */

/* "capi-<pid>-<kind>-<n>": unique per run and per object, so concurrent runs of the tests
 * never collide, and check_report can find whatever a run left in /dev/shm. */
static inline const char *test_name(char *buf, size_t len, const char *kind) {
    static atomic_int counter;
    snprintf(buf, len, "capi-%d-%s-%d", (int)getpid(), kind, atomic_fetch_add(&counter, 1));
    return buf;
}

/* ---- Time ----------------------------------------------------------------------------- */

static inline double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_seconds(double s) {
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- Memory shared with forked children ------------------------------------------------ */

/* Zeroed MAP_SHARED|MAP_ANONYMOUS memory: counters and flags that the test itself (not the
 * library under test) uses to coordinate with its children. */
static inline void *shared_alloc(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

static inline void shared_free(void *p, size_t size) {
    munmap(p, size);
}

/* Polls until *value >= want; 1 if it got there within timeout seconds. */
static inline int await_at_least(atomic_int *value, int want, double timeout) {
    double deadline = now_seconds() + timeout;
    while (atomic_load(value) < want) {
        if (now_seconds() > deadline) return 0;
        sleep_seconds(0.001);
    }
    return 1;
}

/* ---- Children ------------------------------------------------------------------------- */

/* fork() after flushing stdio, so buffered output is not printed twice. The child starts
 * with no failures of its own: its exit status must not repeat the parent's earlier ones. */
static inline pid_t test_fork(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) atomic_store(&check_failures_, 0);
    return pid;
}

/* Ends a forked child: exit status 0 if all its CHECKs passed. _exit, so the parent's
 * atexit handlers and stdio buffers are not run twice. */
static inline void child_exit(void) {
    fflush(NULL);
    _exit(atomic_load(&check_failures_) == 0 ? 0 : 1);
}

/* Waits up to timeout seconds for the child; kills it if it is still running then (a hang
 * becomes a failure). Returns the wait status, or -1 if it had to be killed. */
static inline int wait_child(pid_t pid, double timeout) {
    double deadline = now_seconds() + timeout;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return -1;
        }
        if (now_seconds() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "child %d still running after %.1f s: killed\n", (int)pid, timeout);
            return -1;
        }
        sleep_seconds(0.002);
    }
}

/* The child must exit normally with status 0 within 30 s. */
#define CHECK_CHILD_EXITED(pid)                                      \
    do {                                                             \
        int st_ = wait_child((pid), 30.0);                           \
        CHECK(st_ != -1 && WIFEXITED(st_) && WEXITSTATUS(st_) == 0); \
    } while (0)

/* The child must have been killed by signal sig within 30 s. */
#define CHECK_CHILD_KILLED(pid, sig)                                    \
    do {                                                                \
        int st_ = wait_child((pid), 30.0);                              \
        CHECK(st_ != -1 && WIFSIGNALED(st_) && WTERMSIG(st_) == (sig)); \
    } while (0)

/* ---- Threads -------------------------------------------------------------------------- */

static inline pthread_t start_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    int err = pthread_create(&t, NULL, fn, arg);
    if (err != 0) {
        fprintf(stderr, "pthread_create: %s\n", strerror(err));
        exit(2);
    }
    return t;
}

/* ---- Running and reporting ------------------------------------------------------------ */

#define RUN(test)                                                                                \
    do {                                                                                         \
        int before_ = atomic_load(&check_failures_);                                             \
        check_context_[0] = '\0';                                                                \
        test();                                                                                  \
        check_context_[0] = '\0';                                                                \
        printf("%-68s %s\n", #test, atomic_load(&check_failures_) == before_ ? "ok" : "FAILED"); \
        fflush(stdout);                                                                          \
    } while (0)

/* Whatever this run created by name must be gone from /dev/shm by the end. */
static inline void check_no_leftovers(void) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "mproc.capi-%d-", (int)getpid());
    DIR *dir = opendir("/dev/shm");
    if (dir == NULL) return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            fprintf(stderr, "left in /dev/shm: %s\n", e->d_name);
            FAIL("a named object was left in /dev/shm");
        }
    }
    closedir(dir);
}

static inline int check_report(void) {
    check_no_leftovers();
    int failures = atomic_load(&check_failures_);
    printf("%d checks, %d failed\n", atomic_load(&check_count_), failures);
    return failures == 0 ? 0 : 1;
}

#endif /* MPROC_TESTS_CAPI_CHECK_H */
