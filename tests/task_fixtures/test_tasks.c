/*
 * test_tasks.c -- libmproc_test_tasks.so: functions that the task tests call by name
 * (library path, symbol, signature), one or more per signature code, with results that
 * show a wrong argument type or a lost sign/width at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mproc/mproc.h"

#define EXPORT __attribute__((visibility("default")))

/* ---- integers ---------------------------------------------------------------------- */

EXPORT int add(int a, int b) {
    return a + b;
}
EXPORT signed char sb_neg(signed char x) {
    return (signed char)-x;
}
EXPORT unsigned char ub(unsigned char x) {
    return (unsigned char)(x + 1u); /* 255 -> 0 */
}
EXPORT short sh_twice(short x) {
    return (short)(x * 2);
}
EXPORT unsigned short uh_twice(unsigned short x) {
    return (unsigned short)(x * 2u);
}
EXPORT unsigned int ui_not(unsigned int x) {
    return ~x; /* 0 -> 4294967295: must not come back sign-extended */
}
EXPORT long l_neg(long x) {
    return -x;
}
EXPORT unsigned long ul_half(unsigned long x) {
    return x / 2;
}
EXPORT long long neg(long long x) {
    return -x;
}
EXPORT unsigned long long ull_max(void) {
    return UINT64_MAX;
}
EXPORT ssize_t ssz_dec(ssize_t x) {
    return x - 1;
}
EXPORT size_t len_of(const char *s) {
    return strlen(s);
}
/* Narrow results libffi widens: the sign must survive, and no high garbage. */
EXPORT signed char minus_one_b(void) {
    return -1;
}
EXPORT short minus_one_h(void) {
    return -1;
}
EXPORT unsigned char max_B(void) {
    return 255;
}
EXPORT unsigned short max_H(void) {
    return 65535;
}

/* ---- floating point ------------------------------------------------------------------ */

EXPORT double scale(double x, int factor) {
    return x * factor;
}
EXPORT float halve(float x) {
    return x / 2.0f;
}
/* Floats and doubles interleaved with integers: registers and stack slots both. */
EXPORT double mix(float a, int b, double c, float d) {
    return (double)a + b + c + (double)d;
}

/* ---- strings and bytes ------------------------------------------------------------- */

static char greeting[256];

/* Borrowed ('s'): a static buffer. */
EXPORT const char *greet(const char *name) {
    strcpy(greeting, "hello, ");
    strncat(greeting, name, sizeof greeting - strlen(greeting) - 1);
    return greeting;
}
/* Malloc'ed ('S'): the caller frees it. */
EXPORT char *greet_new(const char *name) {
    size_t n = strlen(name);
    char *s = malloc(n + 4);
    if (s == NULL) return NULL;
    memcpy(s, "hi ", 3);
    memcpy(s + 3, name, n + 1);
    return s;
}
EXPORT const char *null_string(void) {
    return NULL;
}

static unsigned char echoed[1024];

/* Borrowed ('y'): reversed into a static buffer (at most its size). */
EXPORT mproc_bytes_t reverse(const void *data, size_t len) {
    const unsigned char *in = data;
    if (len > sizeof echoed) len = sizeof echoed;
    for (size_t k = 0; k < len; ++k)
        echoed[k] = in[len - 1 - k];
    mproc_bytes_t out = {echoed, len};
    return out;
}
/* Malloc'ed ('Y'): a copy with one byte 0xff appended. */
EXPORT mproc_bytes_t echo_new(const void *data, size_t len) {
    unsigned char *copy = malloc(len + 1);
    mproc_bytes_t out = {NULL, 0};
    if (copy == NULL) return out;
    if (len > 0) memcpy(copy, data, len);
    copy[len] = 0xff;
    out.data = copy;
    out.len = len + 1;
    return out;
}
/* Bytes in, an integer out: the two C parameters of a 'y' argument in the middle of others. */
EXPORT long long bytes_sum(int before, const void *data, size_t len, int after) {
    const unsigned char *in = data;
    long long sum = before * 1000000LL + after;
    for (size_t k = 0; k < len; ++k)
        sum += in[k];
    return sum + (long long)len * 1000;
}
EXPORT mproc_bytes_t null_bytes(void) {
    mproc_bytes_t out = {NULL, 0};
    return out;
}
EXPORT mproc_bytes_t broken_bytes(void) {
    mproc_bytes_t out = {NULL, 5};
    return out;
}

/* ---- no result, and state between calls --------------------------------------------- */

static int counter;

EXPORT void bump(int by) {
    counter += by;
}
EXPORT int counter_value(void) {
    return counter;
}

/* ---- every argument code at once: "d(bBhHiIlLqQnNfdsy)" ------------------------------ */

EXPORT double all16(signed char b, unsigned char B, short h, unsigned short H, int i,
                    unsigned int I, long l, unsigned long L, long long q, unsigned long long Q,
                    ssize_t n, size_t N, float f, double d, const char *s, const void *y,
                    size_t ylen) {
    double sum = (double)b + B + h + H + i + (double)I + (double)l + (double)L + (double)q +
                 (double)Q + (double)n + (double)N + (double)f + d + (double)strlen(s);
    const unsigned char *bytes = y;
    for (size_t k = 0; k < ylen; ++k)
        sum += bytes[k];
    return sum;
}

/* ---- process pool fixtures: slow, crashing and exiting tasks, initializers ------------ */

#include <signal.h>
#include <time.h>
#include <unistd.h>

/* Sleeps `ms` milliseconds and returns ms. */
EXPORT int pool_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
    return ms;
}
/* Dies of SIGKILL: the pool must fail this task only. */
EXPORT int pool_kill_self(void) {
    raise(SIGKILL);
    return -1;
}
/* Leaves the worker with _exit(code) in the middle of a task. */
EXPORT int pool_exit(int code) {
    _exit(code);
}
/* The calling process's pid: which worker ran a task. */
EXPORT int pool_pid(void) {
    return (int)getpid();
}
/* A malloc'ed result of n bytes ('Y'), each byte 'x'. */
EXPORT mproc_bytes_t pool_big_result(int n) {
    mproc_bytes_t out = {NULL, 0};
    unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
    if (p == NULL) return out;
    memset(p, 'x', n > 0 ? (size_t)n : 0);
    out.data = p;
    out.len = n > 0 ? (size_t)n : 0;
    return out;
}

static int pool_init_runs;

/* An initializer that succeeds and counts its runs in this process... */
EXPORT int pool_init_mark(void) {
    ++pool_init_runs;
    return 0;
}
/* ... and a task that says how often it ran here (1 in a worker of such a pool). */
EXPORT int pool_init_runs_here(void) {
    return pool_init_runs;
}
/* Initializers that fail: a non-zero result, SIGKILL, _exit(4). */
EXPORT int pool_init_fail(void) {
    return 7;
}
EXPORT int pool_init_crash(void) {
    raise(SIGKILL);
    return 0;
}
EXPORT int pool_init_exit(void) {
    _exit(4);
}
/* An initializer that takes 2 s: its worker is "starting" long enough to be killed. */
EXPORT int pool_init_slow(void) {
    (void)pool_sleep_ms(2000);
    return 0;
}
