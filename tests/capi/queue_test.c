/* queue_test.c -- mproc_queue_*, mproc_simple_queue_create and mproc_joinable_queue_create
 * driven from C: order and sizes, EFULL / EEMPTY / ETOOBIG, zero copy, processes that
 * produce and consume, blocked calls released across processes, task_done / join, close
 * with a blocked caller, anonymous queues, and bad input for every entry point. */
#include "check.h"

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- Helpers -------------------------------------------------------------------------- */

static int put_str(mproc_queue_t *q, const char *s, double timeout) {
    return mproc_queue_put(q, s, strlen(s), timeout);
}

/* Gets a message into buf (cap bytes, NUL added after it if it fits): the status. */
static int get_str(mproc_queue_t *q, char *buf, size_t cap, double timeout) {
    size_t len = 0;
    int rc = mproc_queue_get(q, buf, cap, &len, timeout);
    if (rc == MPROC_OK && len < cap) buf[len] = '\0';
    return rc;
}

/* 1 if the next message is exactly `want`. */
static int next_is(mproc_queue_t *q, const char *want) {
    char buf[256];
    size_t len = 0;
    int rc = mproc_queue_get(q, buf, sizeof buf, &len, 5.0);
    if (!CHECK_OK(rc)) return 0;
    return CHECK(len == strlen(want) && memcmp(buf, want, len) == 0);
}

/* Message i of a stream: `len` bytes that depend on i. */
static void fill_pattern(unsigned char *buf, size_t len, unsigned i) {
    for (size_t k = 0; k < len; k++)
        buf[k] = (unsigned char)((i * 131u + k * 7u + (i >> 8)) & 0xffu);
}

static int shm_file_exists(const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/mproc.%s", name);
    return stat(path, &st) == 0;
}

static size_t qsize_of(mproc_queue_t *q) {
    size_t n = 99999;
    CHECK_OK(mproc_queue_qsize(q, &n));
    return n;
}

/* ---- Checking that a failure is reported (as bad_input_test.c) ------------------------ */

static char sentinel_message[512];

static void plant_sentinel_error(void) {
    char name[64];
    mproc_lock_t *lock = NULL;
    snprintf(name, sizeof name, "capi-%d-sentinel-never-created", (int)getpid());
    mproc_lock_open(name, &lock);
    snprintf(sentinel_message, sizeof sentinel_message, "%s", mproc_last_error());
}

static int check_fails_(const char *file, int line, const char *call, int got, int want) {
    if (!check_rc_(file, line, call, got, want)) return 0;
    char what[768];
    const char *msg = mproc_last_error();
    snprintf(what, sizeof what, "%s set a message of its own", call);
    return check_(file, line, what,
                  msg != NULL && msg[0] != '\0' && strcmp(msg, sentinel_message) != 0);
}

/* The call must return `want` and leave a fresh, non-empty mproc_last_error(). */
#define CHECK_FAILS(call, want)                               \
    do {                                                      \
        plant_sentinel_error();                               \
        int rc_ = (call);                                     \
        check_fails_(__FILE__, __LINE__, #call, rc_, (want)); \
    } while (0)

/* ---- Order, sizes, snapshots ---------------------------------------------------------- */

static void messages_come_out_in_order_with_their_sizes(void) {
    char name[64], buf[128];
    unsigned char big[100], back[100];
    mproc_queue_t *q = NULL;
    size_t len = 0, maxsize = 0, max_message = 0;
    int flag = -1;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 8, 100, NULL, &q));
    CHECK_OK(mproc_queue_maxsize(q, &maxsize, &max_message));
    CHECK(maxsize == 8 && max_message == 100);
    maxsize = 0;
    CHECK_OK(mproc_queue_maxsize(q, &maxsize, NULL)); /* either out-pointer may be NULL */
    CHECK(maxsize == 8);
    CHECK_OK(mproc_queue_maxsize(q, NULL, &max_message));
    CHECK_OK(mproc_queue_empty(q, &flag));
    CHECK(flag == 1);

    fill_pattern(big, sizeof big, 7);
    CHECK_OK(mproc_queue_put(q, NULL, 0, 0)); /* 0 bytes, data NULL allowed */
    CHECK_OK(put_str(q, "a", 0));
    CHECK_OK(mproc_queue_put(q, big, sizeof big, 0)); /* exactly max_message_size */
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "message %d", i);
        CHECK_OK(put_str(q, buf, 0));
    }
    CHECK(qsize_of(q) == 8);
    CHECK_OK(mproc_queue_full(q, &flag));
    CHECK(flag == 1);
    CHECK_OK(mproc_queue_empty(q, &flag));
    CHECK(flag == 0);

    CHECK_OK(mproc_queue_next_size(q, &len));
    CHECK(len == 0);
    len = 99;
    CHECK_OK(mproc_queue_get(q, NULL, 0, &len, 0)); /* a 0-byte message needs no buffer */
    CHECK(len == 0);
    CHECK_OK(mproc_queue_next_size(q, &len));
    CHECK(len == 1);
    CHECK(next_is(q, "a"));
    CHECK_OK(mproc_queue_next_size(q, &len));
    CHECK(len == sizeof big);
    CHECK_OK(mproc_queue_get(q, back, sizeof back, &len, 0));
    CHECK(len == sizeof big && memcmp(back, big, sizeof big) == 0);
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "message %d", i);
        CHECK(next_is(q, buf));
    }
    CHECK(qsize_of(q) == 0);
    CHECK_OK(mproc_queue_full(q, &flag));
    CHECK(flag == 0);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

static void too_big_messages_and_small_buffers(void) {
    char name[64], buf[16];
    unsigned char over[65] = {0};
    mproc_queue_t *q = NULL;
    size_t len = 0;
    void *slot = NULL;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 4, 64, NULL, &q));
    CHECK_FAILS(mproc_queue_put(q, over, sizeof over, 0), MPROC_ETOOBIG);
    CHECK_FAILS(mproc_queue_put(q, over, sizeof over, -1), MPROC_ETOOBIG);
    CHECK_FAILS(mproc_queue_reserve(q, sizeof over, 0, &slot), MPROC_ETOOBIG);
    CHECK(slot == NULL);
    CHECK(qsize_of(q) == 0);

    CHECK_OK(put_str(q, "twelve bytes", 0));
    CHECK_OK(put_str(q, "then", 0));
    len = 0;
    CHECK_FAILS(mproc_queue_get(q, buf, 5, &len, 0), MPROC_ETOOBIG);
    CHECK(len == 12); /* the message's size, for a retry */
    len = 0;
    CHECK_FAILS(mproc_queue_get(q, NULL, 0, &len, 0), MPROC_ETOOBIG);
    CHECK(len == 12);
    len = 0;
    CHECK_FAILS(mproc_queue_get(q, buf, 11, &len, -1), MPROC_ETOOBIG);
    CHECK(len == 12);
    CHECK(qsize_of(q) == 2); /* the message stayed */
    CHECK_OK(mproc_queue_get(q, buf, 12, &len, 0));
    CHECK(len == 12 && memcmp(buf, "twelve bytes", 12) == 0);
    CHECK(next_is(q, "then"));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

static void full_and_empty_after_their_timeouts(void) {
    char name[64], buf[16];
    mproc_queue_t *q = NULL;
    size_t len = 12345;
    const void *data = NULL;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 2, 8, NULL, &q));

    double start = now_seconds();
    CHECK_FAILS(get_str(q, buf, sizeof buf, 0), MPROC_EEMPTY);
    CHECK(now_seconds() - start < 0.5);
    start = now_seconds();
    CHECK_FAILS(get_str(q, buf, sizeof buf, 0.2), MPROC_EEMPTY);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.19 && waited < 2.0);
    CHECK_FAILS(mproc_queue_get(q, buf, sizeof buf, &len, 0), MPROC_EEMPTY);
    CHECK(len == 12345); /* not written on EEMPTY */
    CHECK_FAILS(mproc_queue_next_size(q, &len), MPROC_EEMPTY);
    CHECK(len == 12345);
    CHECK_FAILS(mproc_queue_borrow(q, 0.05, &data, &len), MPROC_EEMPTY);
    CHECK(data == NULL);

    CHECK_OK(put_str(q, "1", 0));
    CHECK_OK(put_str(q, "2", 0));
    start = now_seconds();
    CHECK_FAILS(put_str(q, "3", 0), MPROC_EFULL);
    CHECK(now_seconds() - start < 0.5);
    start = now_seconds();
    CHECK_FAILS(put_str(q, "3", 0.2), MPROC_EFULL);
    waited = now_seconds() - start;
    CHECK(waited >= 0.19 && waited < 2.0);
    void *slot = NULL;
    CHECK_FAILS(mproc_queue_reserve(q, 1, 0.05, &slot), MPROC_EFULL);
    CHECK(slot == NULL);
    CHECK(qsize_of(q) == 2);
    CHECK(next_is(q, "1"));
    CHECK(next_is(q, "2"));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

/* ---- Zero copy ------------------------------------------------------------------------ */

static void reserve_commit_cancel_borrow_return(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    void *a = NULL, *b = NULL, *c = NULL;
    const void *data = NULL;
    size_t len = 0;
    int local = 0;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 4, 32, NULL, &q));
    CHECK_OK(mproc_queue_reserve(q, 5, 0, &a));
    CHECK_OK(mproc_queue_reserve(q, 3, 0, &b));
    CHECK_OK(mproc_queue_reserve(q, 4, 0, &c));
    CHECK(a != NULL && b != NULL && c != NULL);
    if (a == NULL || b == NULL || c == NULL) return;
    memcpy(a, "first", 5);
    memcpy(b, "bad", 3);
    memcpy(c, "last", 4);
    CHECK_FAILS(mproc_queue_get(q, NULL, 0, &len, 0), MPROC_EEMPTY); /* nothing published */
    CHECK_OK(mproc_queue_commit(q, c));
    CHECK_FAILS(mproc_queue_get(q, NULL, 0, &len, 0), MPROC_EEMPTY); /* the head is not */
    CHECK_OK(mproc_queue_cancel(q, b));
    CHECK_OK(mproc_queue_commit(q, a));

    /* Pointers that are not a slot reserved here and not yet committed. */
    CHECK_FAILS(mproc_queue_commit(q, a), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_cancel(q, a), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_commit(q, b), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_cancel(q, b), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_commit(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_cancel(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_commit(q, &local), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_cancel(q, &local), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_commit(q, (char *)c + 1), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_return(q, a), MPROC_EINVAL); /* published, not borrowed */
    CHECK_FAILS(mproc_queue_return(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_return(q, &local), MPROC_EINVAL);

    CHECK_OK(mproc_queue_borrow(q, 0, &data, &len));
    CHECK(data == a && len == 5 && memcmp(data, "first", 5) == 0);
    CHECK_FAILS(mproc_queue_commit(q, (void *)(uintptr_t)data), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_return(q, (const char *)data + 1), MPROC_EINVAL);
    CHECK_OK(mproc_queue_return(q, data));
    CHECK_FAILS(mproc_queue_return(q, data), MPROC_EINVAL); /* twice */
    /* The head is the cancelled "bad": a get would take "last" now, so next_size must
     * tell its size. */
    len = 0;
    CHECK_OK(mproc_queue_next_size(q, &len));
    CHECK(len == 4);
    CHECK(next_is(q, "last")); /* "bad" was skipped */
    CHECK(qsize_of(q) == 0);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

/* A slot reserved or borrowed by the parent is refused in a child, even through the
 * handle and the mapping it inherited. */
static void slots_of_another_process_are_refused(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    void *slot = NULL;
    const void *data = NULL;
    size_t len = 0;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 4, 16, NULL, &q));
    CHECK_OK(mproc_queue_reserve(q, 2, 0, &slot));
    if (slot == NULL) return;
    memcpy(slot, "hi", 2);
    pid_t pid = test_fork();
    if (pid == 0) {
        CHECK_RC(mproc_queue_commit(q, slot), MPROC_EINVAL);
        CHECK_RC(mproc_queue_cancel(q, slot), MPROC_EINVAL);
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_queue_commit(q, slot));
    CHECK_OK(mproc_queue_borrow(q, 0, &data, &len));
    pid = test_fork();
    if (pid == 0) {
        CHECK_RC(mproc_queue_return(q, data), MPROC_EINVAL);
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_queue_return(q, data));
    CHECK(qsize_of(q) == 0);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

/* ---- Processes ------------------------------------------------------------------------ */

enum { STREAM = 10000, STREAM_MAX = 48 };

/* Capacity 3 and 10,000 messages: the ring wraps thousands of times; the child writes
 * with reserve / commit, the parent reads with get and borrow in turn. */
static void child_producer_parent_consumer_wrap_around(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 3, STREAM_MAX, NULL, &q));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_queue_t *mine = NULL;
        unsigned char msg[STREAM_MAX];
        CHECK_OK(mproc_queue_open(name, &mine));
        for (unsigned i = 0; i < STREAM && mine != NULL; i++) {
            size_t len = i % (STREAM_MAX + 1);
            fill_pattern(msg, len, i);
            if (i % 2 == 0) {
                if (!CHECK_OK(mproc_queue_put(mine, msg, len, 10.0))) break;
            } else {
                void *slot = NULL;
                if (!CHECK_OK(mproc_queue_reserve(mine, len, 10.0, &slot))) break;
                memcpy(slot, msg, len);
                if (!CHECK_OK(mproc_queue_commit(mine, slot))) break;
            }
        }
        CHECK_OK(mproc_queue_close(mine));
        child_exit();
    }
    unsigned char want[STREAM_MAX], got[STREAM_MAX];
    int mismatches = 0;
    for (unsigned i = 0; i < STREAM; i++) {
        size_t want_len = i % (STREAM_MAX + 1), len = 0;
        fill_pattern(want, want_len, i);
        if (i % 3 == 0) {
            const void *data = NULL;
            if (!CHECK_OK(mproc_queue_borrow(q, 10.0, &data, &len))) break;
            if (len != want_len || memcmp(data, want, len) != 0) mismatches++;
            CHECK_OK(mproc_queue_return(q, data));
        } else {
            if (!CHECK_OK(mproc_queue_get(q, got, sizeof got, &len, 10.0))) break;
            if (len != want_len || memcmp(got, want, len) != 0) mismatches++;
        }
    }
    CHECK(mismatches == 0);
    CHECK_CHILD_EXITED(pid);
    CHECK(qsize_of(q) == 0);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
}

static void blocked_get_in_child_is_released_by_parent_put(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    atomic_int *phase = shared_alloc(sizeof(atomic_int));
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 2, 16, NULL, &q));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_queue_t *mine = NULL;
        char buf[16];
        CHECK_OK(mproc_queue_open(name, &mine));
        CHECK_RC(get_str(mine, buf, sizeof buf, 0), MPROC_EEMPTY);
        atomic_store(phase, 1);
        CHECK_OK(get_str(mine, buf, sizeof buf, 20.0));
        CHECK(strcmp(buf, "wake up") == 0);
        atomic_store(phase, 2);
        CHECK_OK(mproc_queue_close(mine));
        child_exit();
    }
    CHECK(await_at_least(phase, 1, 20.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(phase) == 1);
    CHECK_OK(put_str(q, "wake up", 0));
    CHECK(await_at_least(phase, 2, 20.0));
    CHECK_CHILD_EXITED(pid);
    CHECK(qsize_of(q) == 0);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
    shared_free(phase, sizeof(atomic_int));
}

static void blocked_put_in_child_is_released_by_parent_get(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    atomic_int *phase = shared_alloc(sizeof(atomic_int));
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 1, 16, NULL, &q));
    CHECK_OK(put_str(q, "occupant", 0));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_queue_t *mine = NULL;
        CHECK_OK(mproc_queue_open(name, &mine));
        CHECK_RC(put_str(mine, "late", 0), MPROC_EFULL);
        atomic_store(phase, 1);
        CHECK_OK(put_str(mine, "late", 20.0));
        atomic_store(phase, 2);
        CHECK_OK(mproc_queue_close(mine));
        child_exit();
    }
    CHECK(await_at_least(phase, 1, 20.0));
    sleep_seconds(0.1);
    CHECK(atomic_load(phase) == 1);
    CHECK(next_is(q, "occupant"));
    CHECK(await_at_least(phase, 2, 20.0));
    CHECK_CHILD_EXITED(pid);
    CHECK(next_is(q, "late"));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
    shared_free(phase, sizeof(atomic_int));
}

/* ---- JoinableQueue -------------------------------------------------------------------- */

enum { TASKS = 50 };

static void join_waits_for_a_child_to_finish_the_tasks(void) {
    char name[64];
    mproc_queue_t *q = NULL;
    atomic_int *done = shared_alloc(sizeof(atomic_int));
    CHECK_OK(mproc_joinable_queue_create(test_name(name, sizeof name, "jq"), 4, 16, NULL, &q));
    CHECK_OK(mproc_queue_join(q, 0)); /* nothing put yet */
    CHECK_FAILS(mproc_queue_task_done(q), MPROC_EOVERFLOW);
    CHECK_OK(put_str(q, "first", 0));
    double start = now_seconds();
    CHECK_FAILS(mproc_queue_join(q, 0.1), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.09 && waited < 2.0);

    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_queue_t *mine = NULL;
        char buf[16];
        CHECK_OK(mproc_queue_open(name, &mine));
        for (int i = 0; i < TASKS + 1; i++) {
            if (!CHECK_OK(get_str(mine, buf, sizeof buf, 20.0))) break;
            atomic_fetch_add(done, 1);
            CHECK_OK(mproc_queue_task_done(mine));
        }
        CHECK_RC(mproc_queue_task_done(mine), MPROC_EOVERFLOW);
        CHECK_OK(mproc_queue_close(mine));
        child_exit();
    }
    for (int i = 0; i < TASKS; i++)
        CHECK_OK(put_str(q, "task", 20.0));
    CHECK_OK(mproc_queue_join(q, 20.0));
    CHECK(atomic_load(done) == TASKS + 1);
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_queue_join(q, 0));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
    shared_free(done, sizeof(atomic_int));
}

static void task_done_and_join_need_a_joinable_queue(void) {
    char name[64];
    mproc_queue_t *plain = NULL, *simple = NULL, *opened = NULL;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "q"), 2, 8, NULL, &plain));
    CHECK_OK(put_str(plain, "m", 0));
    CHECK(next_is(plain, "m"));
    CHECK_FAILS(mproc_queue_task_done(plain), MPROC_EKIND);
    CHECK_FAILS(mproc_queue_join(plain, 0), MPROC_EKIND);
    CHECK_FAILS(mproc_queue_join(plain, -1), MPROC_EKIND); /* never blocks */
    CHECK_OK(mproc_queue_open(name, &opened));             /* the kind is in the object */
    CHECK_FAILS(mproc_queue_task_done(opened), MPROC_EKIND);
    CHECK_OK(mproc_queue_close(opened));
    CHECK_OK(mproc_queue_close(plain));
    CHECK_OK(mproc_queue_unlink(name));

    CHECK_OK(mproc_simple_queue_create(test_name(name, sizeof name, "sq"), 2, 8, NULL, &simple));
    CHECK_OK(put_str(simple, "s", 0));
    CHECK(next_is(simple, "s"));
    CHECK_FAILS(mproc_queue_task_done(simple), MPROC_EKIND);
    CHECK_FAILS(mproc_queue_join(simple, 0), MPROC_EKIND);
    CHECK_OK(mproc_queue_close(simple));
    CHECK_OK(mproc_queue_unlink(name));

    CHECK_OK(mproc_joinable_queue_create(test_name(name, sizeof name, "jq"), 2, 8, NULL, &plain));
    CHECK_OK(put_str(plain, "j", 0));
    CHECK_OK(mproc_queue_open(name, &opened));
    CHECK(next_is(opened, "j"));
    CHECK_OK(mproc_queue_task_done(opened)); /* a JoinableQueue, opened by name */
    CHECK_OK(mproc_queue_join(plain, 0));
    CHECK_OK(mproc_queue_close(opened));
    CHECK_OK(mproc_queue_close(plain));
    CHECK_OK(mproc_queue_unlink(name));
}

/* ---- close() with a blocked caller ---------------------------------------------------- */

enum { BLOCK_GET, BLOCK_PUT, BLOCK_JOIN, BLOCK_BORROW, BLOCK_RESERVE };

struct blocked_call {
    mproc_queue_t *q;
    int what;
    atomic_int started;
    atomic_int rc;
    double returned_at;
};

static void *run_blocked_call(void *p) {
    struct blocked_call *call = p;
    char buf[16];
    size_t len = 0;
    const void *data = NULL;
    void *slot = NULL;
    int rc = 1;
    atomic_store(&call->started, 1);
    switch (call->what) {
        case BLOCK_GET:
            rc = mproc_queue_get(call->q, buf, sizeof buf, &len, -1);
            break;
        case BLOCK_PUT:
            rc = put_str(call->q, "blocked", -1);
            break;
        case BLOCK_JOIN:
            rc = mproc_queue_join(call->q, -1);
            break;
        case BLOCK_BORROW:
            rc = mproc_queue_borrow(call->q, -1, &data, &len);
            break;
        case BLOCK_RESERVE:
            rc = mproc_queue_reserve(call->q, 4, -1, &slot);
            break;
    }
    call->returned_at = now_seconds();
    atomic_store(&call->rc, rc);
    return NULL;
}

/* Blocks one call on a second handle, closes that handle, and expects MPROC_ECLOSED
 * within 2 s. If close fails to wake it, the keeper handle releases it after 10 s. */
static void close_wakes(int what, const char *label) {
    char name[64];
    mproc_queue_t *keeper = NULL;
    struct blocked_call call = {.what = what};
    atomic_init(&call.rc, 1);
    check_context("blocked %s", label);
    CHECK_OK(mproc_joinable_queue_create(test_name(name, sizeof name, "jq"), 1, 8, NULL, &keeper));
    if (what == BLOCK_PUT || what == BLOCK_JOIN || what == BLOCK_RESERVE) {
        CHECK_OK(put_str(keeper, "full", 0)); /* full, and one task unfinished */
    }
    CHECK_OK(mproc_queue_open(name, &call.q));
    pthread_t t = start_thread(run_blocked_call, &call);
    CHECK(await_at_least(&call.started, 1, 10.0));
    sleep_seconds(0.2);
    CHECK(atomic_load(&call.rc) == 1); /* still blocked */
    double closed_at = now_seconds();
    CHECK_OK(mproc_queue_close(call.q));
    double deadline = now_seconds() + 10.0;
    while (atomic_load(&call.rc) == 1 && now_seconds() < deadline)
        sleep_seconds(0.001);
    if (atomic_load(&call.rc) == 1) {
        FAIL("close did not wake the blocked call within 10 s");
        char buf[8];
        get_str(keeper, buf, sizeof buf, 0);
        mproc_queue_task_done(keeper);
        put_str(keeper, "x", 0);
    }
    pthread_join(t, NULL);
    CHECK_RC(atomic_load(&call.rc), MPROC_ECLOSED);
    CHECK(call.returned_at - closed_at < 2.0);
    /* The keeper's handle is untouched. */
    size_t n = qsize_of(keeper);
    CHECK(n == ((what == BLOCK_PUT || what == BLOCK_JOIN || what == BLOCK_RESERVE) ? 1u : 0u));
    CHECK_OK(mproc_queue_close(keeper));
    CHECK_OK(mproc_queue_unlink(name));
}

static void close_wakes_blocked_calls(void) {
    close_wakes(BLOCK_GET, "get");
    close_wakes(BLOCK_PUT, "put");
    close_wakes(BLOCK_JOIN, "join");
    close_wakes(BLOCK_BORROW, "borrow");
    close_wakes(BLOCK_RESERVE, "reserve");
}

/* ---- Anonymous queues ----------------------------------------------------------------- */

static void anonymous_queue_is_reachable_by_its_name_until_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_queue_t *q = NULL, *again = NULL;
    CHECK_OK(mproc_queue_create(NULL, 4, 16, NULL, &q));
    CHECK_OK(mproc_queue_name(q, name, sizeof name));
    CHECK(strlen(name) >= 1);
    CHECK(shm_file_exists(name));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_queue_t *mine = NULL;
        CHECK_OK(mproc_queue_open(name, &mine));
        CHECK_OK(put_str(mine, "by name", 5.0));
        CHECK_OK(mproc_queue_close(mine));
        CHECK_OK(put_str(q, "inherited", 5.0)); /* the inherited handle */
        CHECK_OK(mproc_queue_close(q));         /* does not remove the parent's name */
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(next_is(q, "by name"));
    CHECK(next_is(q, "inherited"));
    CHECK_OK(mproc_queue_open(name, &again));
    if (again != NULL) CHECK_OK(mproc_queue_close(again));
    CHECK_OK(mproc_queue_close(q));
    CHECK_RC(mproc_queue_open(name, &again), MPROC_ENOTFOUND);
    CHECK(!shm_file_exists(name));

    /* The other two flavours can be anonymous too. */
    CHECK_OK(mproc_simple_queue_create(NULL, 1, 1, NULL, &q));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_joinable_queue_create(NULL, 1, 1, NULL, &q));
    CHECK_OK(mproc_queue_close(q));
}

/* ---- Creation: sizes, names, existing names ------------------------------------------- */

typedef int (*create_fn)(const char *, size_t, size_t, const mproc_options_t *, mproc_queue_t **);

static const struct {
    const char *label;
    create_fn create;
} creators[] = {
    {"queue", mproc_queue_create},
    {"simple_queue", mproc_simple_queue_create},
    {"joinable_queue", mproc_joinable_queue_create},
};
enum { N_CREATORS = sizeof creators / sizeof creators[0] };

static void create_checks_sizes_and_names(void) {
    char too_long[MPROC_NAME_MAX + 2];
    memset(too_long, 'n', MPROC_NAME_MAX + 1);
    too_long[MPROC_NAME_MAX + 1] = '\0';
    const char *bad_names[] = {"", ".", "..", "a/b", "/abs", "a b", "star*", too_long};
    enum { N_BAD = sizeof bad_names / sizeof bad_names[0] };
    mproc_options_t open_existing;
    CHECK_OK(mproc_options_init(&open_existing));
    open_existing.flags = MPROC_OPEN_EXISTING;

    for (int k = 0; k < N_CREATORS; k++) {
        create_fn create = creators[k].create;
        char name[64];
        mproc_queue_t *q = NULL, *q2 = NULL;
        test_name(name, sizeof name, "create");
        check_context("%s '%s'", creators[k].label, name);
        CHECK_FAILS(create(name, 4, 8, NULL, NULL), MPROC_EINVAL);
        CHECK_FAILS(create(NULL, 4, 8, NULL, NULL), MPROC_EINVAL);
        CHECK_FAILS(create(name, 0, 8, NULL, &q), MPROC_EINVAL);
        CHECK_FAILS(create(name, 4, 0, NULL, &q), MPROC_EINVAL);
        CHECK_FAILS(create(name, 0, 0, NULL, &q), MPROC_EINVAL);
        CHECK_FAILS(create(name, (size_t)MPROC_QUEUE_MAX_SIZE + 1, 8, NULL, &q), MPROC_ETOOBIG);
        CHECK_FAILS(create(name, 4, (size_t)MPROC_QUEUE_MAX_MESSAGE + 1, NULL, &q), MPROC_ETOOBIG);
        CHECK_FAILS(create(name, SIZE_MAX, SIZE_MAX, NULL, &q), MPROC_ETOOBIG);
        /* Each limit alone is fine, both together are over 2^40 bytes. */
        CHECK_FAILS(create(name, MPROC_QUEUE_MAX_SIZE, MPROC_QUEUE_MAX_MESSAGE, NULL, &q),
                    MPROC_ETOOBIG);
        CHECK(q == NULL);
        CHECK(!shm_file_exists(name));
        for (int n = 0; n < N_BAD; n++) {
            check_context("%s, name \"%.40s\"", creators[k].label, bad_names[n]);
            CHECK_FAILS(create(bad_names[n], 4, 8, NULL, &q), MPROC_EINVAL);
            CHECK(q == NULL);
        }
        check_context("%s '%s'", creators[k].label, name);

        /* The limits themselves are accepted (a small other dimension keeps it cheap). */
        if (CHECK_OK(create(name, 1, MPROC_QUEUE_MAX_MESSAGE, NULL, &q))) {
            CHECK_OK(mproc_queue_close(q));
            CHECK_OK(mproc_queue_unlink(name));
        }
        if (CHECK_OK(create(name, MPROC_QUEUE_MAX_SIZE, 1, NULL, &q))) {
            CHECK_OK(mproc_queue_close(q));
            CHECK_OK(mproc_queue_unlink(name));
        }

        if (!CHECK_OK(create(name, 4, 8, NULL, &q))) continue;
        CHECK_FAILS(create(name, 4, 8, NULL, &q2), MPROC_EEXIST);
        CHECK(q2 == NULL);
        CHECK_OK(create(name, 4, 8, &open_existing, &q2));
        if (q2 != NULL) {
            CHECK_OK(put_str(q2, "shared", 0));
            CHECK(next_is(q, "shared"));
            CHECK_OK(mproc_queue_close(q2));
        }
        CHECK_OK(mproc_queue_close(q));
        CHECK_OK(mproc_queue_unlink(name));
    }
}

/* Each create call's flavour is in the object: reported on the creator's handle, on a
 * handle opened by name, and on one from a create call of another flavour with
 * MPROC_OPEN_EXISTING (which attaches to the queue as it is). */
static void flavor_is_the_creators_and_survives_open(void) {
    static const int flavors[N_CREATORS] = {MPROC_QUEUE_PLAIN, MPROC_QUEUE_SIMPLE,
                                            MPROC_QUEUE_JOINABLE};
    mproc_options_t open_existing;
    CHECK_OK(mproc_options_init(&open_existing));
    open_existing.flags = MPROC_OPEN_EXISTING;
    CHECK(MPROC_QUEUE_PLAIN != MPROC_QUEUE_SIMPLE && MPROC_QUEUE_SIMPLE != MPROC_QUEUE_JOINABLE &&
          MPROC_QUEUE_PLAIN != MPROC_QUEUE_JOINABLE);

    for (int k = 0; k < N_CREATORS; k++) {
        char name[64];
        mproc_queue_t *q = NULL, *opened = NULL, *other = NULL;
        int flavor = -1;
        test_name(name, sizeof name, "flavor");
        check_context("%s '%s'", creators[k].label, name);
        if (!CHECK_OK(creators[k].create(name, 2, 8, NULL, &q))) continue;
        CHECK_OK(mproc_queue_flavor(q, &flavor));
        CHECK(flavor == flavors[k]);

        flavor = -1;
        CHECK_OK(mproc_queue_open(name, &opened));
        CHECK_OK(mproc_queue_flavor(opened, &flavor));
        CHECK(flavor == flavors[k]);

        flavor = -1;
        CHECK_OK(creators[(k + 1) % N_CREATORS].create(name, 2, 8, &open_existing, &other));
        CHECK_OK(mproc_queue_flavor(other, &flavor));
        CHECK(flavor == flavors[k]);

        CHECK_FAILS(mproc_queue_flavor(q, NULL), MPROC_EINVAL);
        if (other != NULL) CHECK_OK(mproc_queue_close(other));
        if (opened != NULL) CHECK_OK(mproc_queue_close(opened));
        CHECK_OK(mproc_queue_close(q));
        CHECK_OK(mproc_queue_unlink(name));
    }
    check_context("%s", "");

    /* An anonymous queue has its flavour too. */
    mproc_queue_t *anon = NULL;
    int flavor = -1;
    CHECK_OK(mproc_joinable_queue_create(NULL, 1, 1, NULL, &anon));
    CHECK_OK(mproc_queue_flavor(anon, &flavor));
    CHECK(flavor == MPROC_QUEUE_JOINABLE);
    CHECK_OK(mproc_queue_close(anon));
}

/* ---- Bad input for every entry point -------------------------------------------------- */

static void names_and_handles_are_checked(void) {
    char name[64], buf[MPROC_NAME_MAX + 1];
    mproc_queue_t *q = NULL, *h = NULL;
    const char *bad_names[] = {"", ".", "..", "a/b", "../x", "a b", "new\nline"};
    enum { N_BAD = sizeof bad_names / sizeof bad_names[0] };

    for (int n = 0; n < N_BAD; n++) {
        check_context("name \"%s\"", bad_names[n]);
        CHECK_FAILS(mproc_queue_open(bad_names[n], &h), MPROC_EINVAL);
        CHECK(h == NULL);
        CHECK_FAILS(mproc_queue_unlink(bad_names[n]), MPROC_EINVAL);
    }
    check_context("NULL name");
    CHECK_FAILS(mproc_queue_open(NULL, &h), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_unlink(NULL), MPROC_EINVAL);
    check_context("%s", "");

    test_name(name, sizeof name, "q");
    CHECK_FAILS(mproc_queue_open(name, &h), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_queue_unlink(name), MPROC_ENOTFOUND);
    CHECK_OK(mproc_queue_create(name, 2, 8, NULL, &q));
    CHECK_FAILS(mproc_queue_open(name, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_name(NULL, buf, sizeof buf), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_queue_name(q, NULL, sizeof buf), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_name(q, buf, strlen(name)), MPROC_ETOOBIG);
    CHECK_OK(mproc_queue_name(q, buf, strlen(name) + 1));
    CHECK(strcmp(buf, name) == 0);
    CHECK_FAILS(mproc_queue_close(NULL), MPROC_EBADHANDLE);
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
    CHECK_FAILS(mproc_queue_unlink(name), MPROC_ENOTFOUND);
}

/* NULL, wrong-kind and closed handles, NULL pointers and NaN timeouts, on every call. */
static void every_entry_point_checks_its_arguments(void) {
    char name[64], buf[16];
    mproc_queue_t *q = NULL, *closed = NULL;
    mproc_lock_t *lock = NULL;
    size_t len = 0, n = 0;
    int flag = 0;
    void *slot = NULL;
    const void *data = NULL;
    CHECK_OK(mproc_lock_create(NULL, NULL, &lock));
    CHECK_OK(mproc_joinable_queue_create(test_name(name, sizeof name, "jq"), 4, 8, NULL, &q));
    CHECK_OK(mproc_queue_open(name, &closed));
    CHECK_OK(mproc_queue_close(closed)); /* a closed handle: quarantined, so safe to pass */
    mproc_queue_t *wrong = (mproc_queue_t *)(void *)lock;
    mproc_queue_t *bad_handles[] = {NULL, wrong, closed};
    const char *bad_labels[] = {"NULL handle", "a lock's handle", "a closed handle"};

    for (int b = 0; b < 3; b++) {
        mproc_queue_t *h = bad_handles[b];
        check_context("%s", bad_labels[b]);
        CHECK_FAILS(mproc_queue_close(h), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_name(h, buf, sizeof buf), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_put(h, "x", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_get(h, buf, sizeof buf, &len, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_next_size(h, &len), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_reserve(h, 1, 0, &slot), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_commit(h, buf), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_cancel(h, buf), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_borrow(h, 0, &data, &len), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_return(h, buf), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_qsize(h, &n), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_empty(h, &flag), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_full(h, &flag), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_maxsize(h, &n, &len), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_flavor(h, &flag), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_task_done(h), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_queue_join(h, 0), MPROC_EBADHANDLE);
        /* A bad handle is reported before bad arguments. */
        CHECK_FAILS(mproc_queue_get(h, NULL, 5, NULL, NAN), MPROC_EBADHANDLE);
    }
    check_context("%s", "");
    /* The lock was not harmed by being passed as a queue. */
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_release(lock));

    /* NULL pointers. */
    CHECK_FAILS(mproc_queue_put(q, NULL, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_put(q, NULL, SIZE_MAX, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_get(q, NULL, 1, &len, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_get(q, buf, sizeof buf, NULL, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_next_size(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_reserve(q, 1, 0, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_commit(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_cancel(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_borrow(q, 0, NULL, &len), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_borrow(q, 0, &data, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_return(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_qsize(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_empty(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_full(q, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_maxsize(q, NULL, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_queue_flavor(q, NULL), MPROC_EINVAL);
    CHECK(qsize_of(q) == 0); /* nothing above put anything */

    /* NaN timeouts, on an empty queue and on one with a message (where the call would
     * succeed at once): refused either way, and nothing is taken or added. */
    for (int round = 0; round < 2; round++) {
        check_context("NaN timeouts, round %d", round);
        CHECK_FAILS(mproc_queue_put(q, "x", 1, NAN), MPROC_EINVAL);
        CHECK_FAILS(mproc_queue_put(q, "x", 1, -NAN), MPROC_EINVAL);
        CHECK_FAILS(mproc_queue_get(q, buf, sizeof buf, &len, NAN), MPROC_EINVAL);
        CHECK_FAILS(mproc_queue_reserve(q, 1, NAN, &slot), MPROC_EINVAL);
        CHECK_FAILS(mproc_queue_borrow(q, NAN, &data, &len), MPROC_EINVAL);
        CHECK_FAILS(mproc_queue_join(q, NAN), MPROC_EINVAL);
        CHECK(qsize_of(q) == (size_t)round);
        if (round == 0) CHECK_OK(put_str(q, "m", 0));
    }
    check_context("%s", "");
    /* Infinite timeouts are valid ("forever"); with a message there, they return at once. */
    CHECK_OK(mproc_queue_get(q, buf, sizeof buf, &len, INFINITY));
    CHECK_OK(mproc_queue_put(q, "i", 1, INFINITY));
    CHECK_OK(mproc_queue_get(q, buf, sizeof buf, &len, -INFINITY));
    CHECK_OK(mproc_queue_task_done(q));
    CHECK_OK(mproc_queue_task_done(q));
    CHECK_OK(mproc_queue_join(q, INFINITY));

    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(name));
    CHECK_OK(mproc_lock_close(lock));
}

/* A name that holds another kind of object is not a queue, and the other way round. */
static void other_kinds_are_refused(void) {
    char lock_name[64], queue_name[64];
    mproc_lock_t *lock = NULL, *as_lock = NULL;
    mproc_queue_t *q = NULL, *as_queue = NULL;
    mproc_options_t open_existing;
    CHECK_OK(mproc_options_init(&open_existing));
    open_existing.flags = MPROC_OPEN_EXISTING;
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(mproc_queue_create(test_name(queue_name, sizeof queue_name, "q"), 2, 8, NULL, &q));

    CHECK_FAILS(mproc_queue_open(lock_name, &as_queue), MPROC_EKIND);
    CHECK(as_queue == NULL);
    CHECK_FAILS(mproc_queue_create(lock_name, 2, 8, NULL, &as_queue), MPROC_EEXIST);
    CHECK_FAILS(mproc_queue_create(lock_name, 2, 8, &open_existing, &as_queue), MPROC_EKIND);
    CHECK_FAILS(mproc_joinable_queue_create(lock_name, 2, 8, &open_existing, &as_queue),
                MPROC_EKIND);
    CHECK(as_queue == NULL);
    CHECK_FAILS(mproc_queue_unlink(lock_name), MPROC_EKIND);
    CHECK(shm_file_exists(lock_name));

    CHECK_FAILS(mproc_lock_open(queue_name, &as_lock), MPROC_EKIND);
    CHECK(as_lock == NULL);
    CHECK_FAILS(mproc_lock_unlink(queue_name), MPROC_EKIND);
    CHECK(shm_file_exists(queue_name));
    /* A queue's handle given to a lock call. */
    CHECK_FAILS(mproc_lock_acquire((mproc_lock_t *)(void *)q, 0), MPROC_EBADHANDLE);

    /* Both still work. */
    CHECK_OK(put_str(q, "ok", 0));
    CHECK(next_is(q, "ok"));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(mproc_queue_close(q));
    CHECK_OK(mproc_queue_unlink(queue_name));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(lock_name));
}

int main(void) {
    RUN(messages_come_out_in_order_with_their_sizes);
    RUN(too_big_messages_and_small_buffers);
    RUN(full_and_empty_after_their_timeouts);
    RUN(reserve_commit_cancel_borrow_return);
    RUN(slots_of_another_process_are_refused);
    RUN(child_producer_parent_consumer_wrap_around);
    RUN(blocked_get_in_child_is_released_by_parent_put);
    RUN(blocked_put_in_child_is_released_by_parent_get);
    RUN(join_waits_for_a_child_to_finish_the_tasks);
    RUN(task_done_and_join_need_a_joinable_queue);
    RUN(close_wakes_blocked_calls);
    RUN(anonymous_queue_is_reachable_by_its_name_until_creator_closes);
    RUN(create_checks_sizes_and_names);
    RUN(flavor_is_the_creators_and_survives_open);
    RUN(names_and_handles_are_checked);
    RUN(every_entry_point_checks_its_arguments);
    RUN(other_kinds_are_refused);
    return check_report();
}
