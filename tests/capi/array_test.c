/* array_test.c -- mproc_array_* driven from C: every type code by item and by slice,
 * bounds and bad input, sizes, open by name from a forked child, anonymous arrays, the
 * lock (recursive, raw, owner killed, the tutorials' 5 x 100 counter) and the atomics
 * from threads and processes. */
#include "check.h"

#include <limits.h>
#include <stdint.h>
#include <wchar.h>

enum { LEN = 6 };

/* `init` holds LEN items of `size` bytes; `patch` holds 3. */
static void round_trip(char code, size_t size, const void *init, const void *patch) {
    char name[64];
    mproc_array_t *a = NULL, *again = NULL;
    unsigned char got[8 * LEN], want[8 * LEN], item[8];
    char seen_code = 0;
    size_t itemsize = 0, length = 0;
    check_context("type code '%c'", code);
    if (!CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), code, LEN, init, 1, NULL,
                                     &a))) {
        return;
    }
    CHECK_OK(mproc_array_type(a, &seen_code, &itemsize));
    CHECK(seen_code == code);
    CHECK(itemsize == size);
    CHECK_OK(mproc_array_length(a, &length));
    CHECK(length == LEN);
    for (size_t i = 0; i < LEN; i++) {
        CHECK_OK(mproc_array_get(a, i, item));
        CHECK(memcmp(item, (const unsigned char *)init + i * size, size) == 0);
    }
    /* A slice written through a second handle, read back whole through the first. */
    CHECK_OK(mproc_array_open(name, &again));
    CHECK_OK(mproc_array_set_slice(again, 1, 4, patch));
    memcpy(want, init, LEN * size);
    memcpy(want + size, patch, 3 * size);
    CHECK_OK(mproc_array_get_slice(a, 0, LEN, got));
    CHECK(memcmp(got, want, LEN * size) == 0);
    /* One item, and direct access through the data pointer. */
    CHECK_OK(mproc_array_set(a, LEN - 1, patch));
    CHECK_OK(mproc_array_get(again, LEN - 1, item));
    CHECK(memcmp(item, patch, size) == 0);
    void *data = NULL;
    CHECK_OK(mproc_array_data(again, &data));
    CHECK(data != NULL && ((uintptr_t)data % size) == 0);
    memcpy(want + (LEN - 1) * size, patch, size);
    CHECK(data != NULL && memcmp(data, want, LEN * size) == 0);
    CHECK_OK(mproc_array_close(again));
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
}

#define ROUND_TRIP(code, type, ...)                      \
    do {                                                 \
        type init_[LEN] = {__VA_ARGS__};                 \
        type patch_[3] = {init_[5], init_[4], init_[0]}; \
        round_trip(code, sizeof(type), init_, patch_);   \
    } while (0)

static void every_type_code_round_trips_by_item_and_slice(void) {
    ROUND_TRIP('c', char, 'a', 'b', 'c', 'd', 'e', 'f');
    ROUND_TRIP('b', signed char, -128, -1, 0, 1, 2, 127);
    ROUND_TRIP('B', unsigned char, 0, 1, 2, 3, 128, 255);
    ROUND_TRIP('h', short, SHRT_MIN, -2, 0, 3, 4, SHRT_MAX);
    ROUND_TRIP('H', unsigned short, 0, 1, 2, 3, 40000, USHRT_MAX);
    ROUND_TRIP('i', int, INT_MIN, -1, 0, 1, 5, INT_MAX);
    ROUND_TRIP('I', unsigned int, 0, 1, 2, 3, 3000000000u, UINT_MAX);
    ROUND_TRIP('l', long, LONG_MIN, -1, 0, 1, 1L << 40, LONG_MAX);
    ROUND_TRIP('L', unsigned long, 0, 1, 2, 3, 1UL << 63, ULONG_MAX);
    ROUND_TRIP('q', long long, LLONG_MIN, -5, 0, 5, 6, LLONG_MAX);
    ROUND_TRIP('Q', unsigned long long, 0, 7, 8, 9, 10, ULLONG_MAX);
    ROUND_TRIP('f', float, -1.5f, 0.0f, 0.5f, 1e10f, -1e-10f, 3.25f);
    ROUND_TRIP('d', double, -1e300, 0.0, 0.5, 1e-300, 2.0, 3.141592653589793);
    ROUND_TRIP('u', wchar_t, L'a', L'b', (wchar_t)0xe9, (wchar_t)0x20ac, (wchar_t)0x1F600, 0);
}

static void without_init_the_items_are_zero(void) {
    mproc_array_t *a = NULL;
    double items[100];
    for (int i = 0; i < 100; i++)
        items[i] = 1.0;
    CHECK_OK(mproc_array_create(NULL, 'd', 100, NULL, 0, NULL, &a));
    CHECK_OK(mproc_array_get_slice(a, 0, 100, items));
    int zeros = 0;
    for (int i = 0; i < 100; i++)
        zeros += items[i] == 0.0;
    CHECK(zeros == 100);
    CHECK_OK(mproc_array_close(a));
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bounds_are_checked(void) {
    char name[64];
    mproc_array_t *a = NULL;
    int item = 9, buf[8] = {0}, swapped = 0;
    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'i', 4, NULL, 1, NULL, &a));
    CHECK_OK(mproc_array_set(a, 3, &item));
    CHECK_RC(mproc_array_get(a, 4, &item), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "out of range") != NULL);
    CHECK_RC(mproc_array_set(a, 4, &item), MPROC_EINVAL);
    CHECK_RC(mproc_array_get(a, SIZE_MAX, &item), MPROC_EINVAL);
    CHECK_RC(mproc_array_add(a, 4, &item, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_compare_exchange(a, 4, &item, &item, &swapped), MPROC_EINVAL);
    /* start > stop, stop > length */
    CHECK_RC(mproc_array_get_slice(a, 3, 2, buf), MPROC_EINVAL);
    CHECK_RC(mproc_array_set_slice(a, 3, 2, buf), MPROC_EINVAL);
    CHECK_RC(mproc_array_get_slice(a, 0, 5, buf), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "slice") != NULL);
    CHECK_RC(mproc_array_set_slice(a, 2, 5, buf), MPROC_EINVAL);
    CHECK_RC(mproc_array_get_slice(a, SIZE_MAX, SIZE_MAX, buf), MPROC_EINVAL);
    /* Empty slices copy nothing and need no buffer; a non-empty one does. */
    CHECK_OK(mproc_array_get_slice(a, 4, 4, NULL));
    CHECK_OK(mproc_array_set_slice(a, 0, 0, NULL));
    CHECK_RC(mproc_array_get_slice(a, 0, 1, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_set_slice(a, 0, 1, NULL), MPROC_EINVAL);
    /* Nothing past a slice is written. */
    buf[2] = -77;
    CHECK_OK(mproc_array_get_slice(a, 2, 4, buf));
    CHECK(buf[0] == 0 && buf[1] == 9 && buf[2] == -77);
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
}

static void bad_input_is_reported(void) {
    char name[64];
    mproc_array_t *a = NULL, *raw = NULL, *f = NULL;
    mproc_value_t *v = NULL;
    int x = 1, swapped = 0;
    size_t length = 0;
    void *ptr = NULL;

    CHECK_RC(mproc_array_create(test_name(name, sizeof name, "arr"), 'i', 0, NULL, 1, NULL, &a),
             MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "length 0") != NULL);
    CHECK_RC(mproc_array_create(test_name(name, sizeof name, "arr"), 'k', 3, NULL, 1, NULL, &a),
             MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "type code") != NULL);
    CHECK_RC(mproc_array_create(NULL, 'q', SIZE_MAX, NULL, 1, NULL, &a), MPROC_ETOOBIG);
    CHECK_RC(mproc_array_create(NULL, 'd', ((size_t)1 << 40) / 8, NULL, 1, NULL, &a),
             MPROC_ETOOBIG);
    CHECK_RC(mproc_array_create(NULL, 'B', SIZE_MAX / 2 + 2, NULL, 1, NULL, &a), MPROC_ETOOBIG);
    CHECK_RC(mproc_array_create("", 'i', 3, NULL, 1, NULL, &a), MPROC_EINVAL);
    CHECK_RC(mproc_array_create(NULL, 'i', 3, NULL, 1, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_open(NULL, &a), MPROC_EINVAL);
    CHECK_RC(mproc_array_open("no-such-array-here", &a), MPROC_ENOTFOUND);
    CHECK_RC(mproc_array_unlink(NULL), MPROC_EINVAL);

    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'i', 3, NULL, 1, NULL, &a));
    CHECK_OK(mproc_array_create(NULL, 'i', 3, NULL, 0, NULL, &raw));
    CHECK_RC(mproc_array_open(name, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_get(a, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_set(a, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_length(a, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_data(a, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_name(a, NULL, 64), MPROC_EINVAL);
    CHECK_OK(mproc_array_type(a, NULL, NULL));
    CHECK_RC(mproc_array_acquire(a, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_array_add(a, 0, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_array_compare_exchange(a, 0, NULL, &x, &swapped), MPROC_EINVAL);
    CHECK_RC(mproc_array_compare_exchange(a, 0, &x, NULL, &swapped), MPROC_EINVAL);
    CHECK_RC(mproc_array_compare_exchange(a, 0, &x, &x, NULL), MPROC_EINVAL);

    CHECK_RC(mproc_array_acquire(raw, 0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "raw") != NULL);
    CHECK_RC(mproc_array_release(raw), MPROC_EINVAL);

    const char not_integers[] = {'f', 'd', 'c', 'u'};
    for (size_t i = 0; i < sizeof not_integers; i++) {
        check_context("type code '%c'", not_integers[i]);
        double d = 0, e = 1;
        CHECK_OK(mproc_array_create(NULL, not_integers[i], 2, NULL, 1, NULL, &f));
        CHECK_RC(mproc_array_add(f, 0, &d, NULL), MPROC_EINVAL);
        CHECK_RC(mproc_array_compare_exchange(f, 1, &d, &e, &swapped), MPROC_EINVAL);
        CHECK_OK(mproc_array_close(f));
    }
    check_context("%s", "");

    /* An Array is not a Value. */
    CHECK_RC(mproc_value_open(name, &v), MPROC_EKIND);
    CHECK_RC(mproc_value_unlink(name), MPROC_EKIND);

    CHECK_RC(mproc_array_get(NULL, 0, &x), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_length(NULL, &length), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_data(NULL, &ptr), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_get_slice(NULL, 0, 0, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_release(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_add(NULL, 0, &x, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_array_close(NULL), MPROC_EBADHANDLE);
    CHECK_OK(mproc_array_close(raw));
    CHECK_RC(mproc_array_set(raw, 0, &x), MPROC_EBADHANDLE);
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
    CHECK_RC(mproc_array_unlink(name), MPROC_ENOTFOUND);
}

static void a_value_name_is_not_an_array(void) {
    char name[64];
    mproc_value_t *v = NULL;
    mproc_array_t *a = NULL;
    mproc_options_t opts;
    CHECK_OK(mproc_options_init(&opts));
    opts.flags = MPROC_OPEN_EXISTING;
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'i', NULL, 1, NULL, &v));
    CHECK_RC(mproc_array_open(name, &a), MPROC_EKIND);
    CHECK(strstr(mproc_last_error(), "value") != NULL);
    CHECK_RC(mproc_array_create(name, 'i', 1, NULL, 1, &opts, &a), MPROC_EKIND);
    CHECK_RC(mproc_array_unlink(name), MPROC_EKIND);
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
}

static void open_existing_opens_an_array_of_another_length(void) {
    char name[64];
    mproc_array_t *first = NULL, *second = NULL;
    mproc_options_t opts;
    size_t length = 0;
    CHECK_OK(mproc_options_init(&opts));
    opts.flags = MPROC_OPEN_EXISTING;
    CHECK_OK(
        mproc_array_create(test_name(name, sizeof name, "arr"), 'h', 10, NULL, 1, NULL, &first));
    CHECK_OK(mproc_array_create(name, 'h', 3, NULL, 1, &opts, &second));
    CHECK_OK(mproc_array_length(second, &length));
    CHECK(length == 10);
    CHECK_OK(mproc_array_close(second));
    CHECK_OK(mproc_array_close(first));
    CHECK_OK(mproc_array_unlink(name));
}

/* ---- Processes and names -------------------------------------------------------------- */

static void forked_child_opens_by_name_and_writes_a_slice(void) {
    char name[64];
    mproc_array_t *a = NULL;
    const unsigned short init[4] = {1, 2, 3, 4};
    unsigned short now[4] = {0};
    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'H', 4, init, 1, NULL, &a));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_array_t *mine = NULL;
        unsigned short items[4];
        size_t length = 0;
        if (!CHECK_OK(mproc_array_open(name, &mine))) child_exit();
        CHECK_OK(mproc_array_length(mine, &length));
        CHECK(length == 4);
        CHECK_OK(mproc_array_get_slice(mine, 0, 4, items));
        for (int i = 0; i < 4; i++)
            items[i] = (unsigned short)(items[i] * 100);
        CHECK_OK(mproc_array_set_slice(mine, 0, 4, items));
        CHECK_OK(mproc_array_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_array_get_slice(a, 0, 4, now));
    CHECK(now[0] == 100 && now[1] == 200 && now[2] == 300 && now[3] == 400);
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
}

static void anonymous_array_lives_until_its_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_array_t *a = NULL, *again = NULL;
    long long items[3] = {0};
    CHECK_OK(mproc_array_create(NULL, 'q', 3, NULL, 1, NULL, &a));
    CHECK_OK(mproc_array_name(a, name, sizeof name));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_array_t *mine = NULL;
        long long v = -42;
        CHECK_OK(mproc_array_set(a, 2, &v)); /* the inherited handle */
        CHECK_OK(mproc_array_open(name, &mine));
        CHECK_OK(mproc_array_set(mine, 0, &v));
        CHECK_OK(mproc_array_close(mine));
        CHECK_OK(mproc_array_close(a));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_array_get_slice(a, 0, 3, items));
    CHECK(items[0] == -42 && items[1] == 0 && items[2] == -42);
    CHECK_OK(mproc_array_close(a));
    CHECK_RC(mproc_array_open(name, &again), MPROC_ENOTFOUND);
}

/* ---- The lock ------------------------------------------------------------------------- */

struct lock_probe {
    mproc_array_t *a;
    int acquire_rc;
};

static void *try_from_other_thread(void *p) {
    struct lock_probe *probe = p;
    probe->acquire_rc = mproc_array_acquire(probe->a, 0.05);
    return NULL;
}

static void lock_is_recursive(void) {
    struct lock_probe probe = {NULL, 0};
    CHECK_OK(mproc_array_create(NULL, 'i', 2, NULL, 1, NULL, &probe.a));
    CHECK_OK(mproc_array_acquire(probe.a, 0));
    CHECK_OK(mproc_array_acquire(probe.a, 1.0));
    pthread_t t = start_thread(try_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.acquire_rc == MPROC_ETIMEDOUT);
    CHECK_OK(mproc_array_release(probe.a));
    CHECK_OK(mproc_array_release(probe.a));
    CHECK_RC(mproc_array_release(probe.a), MPROC_ENOTOWNER);
    CHECK_OK(mproc_array_close(probe.a));
}

static void lock_owner_killed_gives_ownerdead(void) {
    char name[64];
    mproc_array_t *a = NULL;
    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'i', 2, NULL, 1, NULL, &a));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_array_t *mine = NULL;
        if (!CHECK_OK(mproc_array_open(name, &mine))) child_exit();
        if (!CHECK_OK(mproc_array_acquire(mine, 5.0))) child_exit();
        fflush(NULL);
        raise(SIGKILL);
        _exit(0);
    }
    CHECK_CHILD_KILLED(pid, SIGKILL);
    CHECK_RC(mproc_array_acquire(a, 5.0), MPROC_EOWNERDEAD);
    CHECK_OK(mproc_array_release(a));
    CHECK_OK(mproc_array_acquire(a, 0));
    CHECK_OK(mproc_array_release(a));
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
}

/* Forked children wait at a start line so that they really run at the same time. */
static void start_line_wait(atomic_int *line) {
    atomic_fetch_add(&line[0], 1);
    double deadline = now_seconds() + 20.0;
    while (atomic_load(&line[1]) == 0 && now_seconds() < deadline) {
    }
}

static void start_line_release(atomic_int *line, int n) {
    CHECK(await_at_least(&line[0], n, 20.0));
    atomic_store(&line[1], 1);
}

/* The tutorials' shared counter: 5 processes each add 1 to an item 100 times with a get
 * and a set (not atomic) under the array's lock. Nothing is lost. */
static void five_processes_counting_under_the_lock_get_500(void) {
    enum { PROCESSES = 5, ROUNDS = 100 };
    char name[64];
    mproc_array_t *a = NULL;
    pid_t pids[PROCESSES];
    atomic_int *line = shared_alloc(2 * sizeof(atomic_int));
    int items[2] = {0};
    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'i', 2, NULL, 1, NULL, &a));
    for (int p = 0; p < PROCESSES; p++) {
        pids[p] = test_fork();
        if (pids[p] == 0) {
            mproc_array_t *mine = NULL;
            if (!CHECK_OK(mproc_array_open(name, &mine))) child_exit();
            start_line_wait(line);
            for (int i = 0; i < ROUNDS; i++) {
                int v = 0;
                if (!CHECK_OK(mproc_array_acquire(mine, 10.0))) break;
                CHECK_OK(mproc_array_get(mine, 1, &v));
                if (i % 8 == 0) sched_yield(); /* widen the window the lock closes */
                v += 1;
                CHECK_OK(mproc_array_set(mine, 1, &v));
                CHECK_OK(mproc_array_release(mine));
            }
            CHECK_OK(mproc_array_close(mine));
            child_exit();
        }
    }
    start_line_release(line, PROCESSES);
    for (int p = 0; p < PROCESSES; p++)
        CHECK_CHILD_EXITED(pids[p]);
    CHECK_OK(mproc_array_get_slice(a, 0, 2, items));
    CHECK(items[0] == 0);
    CHECK(items[1] == PROCESSES * ROUNDS);
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
    shared_free(line, 2 * sizeof(atomic_int));
}

/* ---- Atomics -------------------------------------------------------------------------- */

enum { WORKERS = 4, ADDS = 100000 };

struct adder {
    mproc_array_t *a;
    size_t index;
};

static void *add_many(void *p) {
    struct adder *arg = p;
    unsigned long long one = 1;
    for (int i = 0; i < ADDS; i++) {
        if (mproc_array_add(arg->a, 0, &one, NULL) != MPROC_OK ||
            mproc_array_add(arg->a, arg->index, &one, NULL) != MPROC_OK) {
            FAIL("mproc_array_add");
            break;
        }
    }
    return NULL;
}

static void atomic_add_from_four_threads_is_exact(void) {
    mproc_array_t *a = NULL;
    pthread_t threads[WORKERS];
    struct adder args[WORKERS];
    unsigned long long items[WORKERS + 1];
    CHECK_OK(mproc_array_create(NULL, 'Q', WORKERS + 1, NULL, 0, NULL, &a));
    for (int i = 0; i < WORKERS; i++) {
        args[i].a = a;
        args[i].index = (size_t)i + 1;
        threads[i] = start_thread(add_many, &args[i]);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(threads[i], NULL);
    CHECK_OK(mproc_array_get_slice(a, 0, WORKERS + 1, items));
    CHECK(items[0] == (unsigned long long)WORKERS * ADDS);
    for (int i = 1; i <= WORKERS; i++)
        CHECK(items[i] == ADDS);
    CHECK_OK(mproc_array_close(a));
}

static void atomic_add_from_four_processes_is_exact(void) {
    char name[64];
    mproc_array_t *a = NULL;
    pid_t pids[WORKERS];
    atomic_int *line = shared_alloc(2 * sizeof(atomic_int));
    short items[2] = {0};
    CHECK_OK(mproc_array_create(test_name(name, sizeof name, "arr"), 'h', 2, NULL, 0, NULL, &a));
    for (int p = 0; p < WORKERS; p++) {
        pids[p] = test_fork();
        if (pids[p] == 0) {
            mproc_array_t *mine = NULL;
            short one = 1, minus = -1;
            if (!CHECK_OK(mproc_array_open(name, &mine))) child_exit();
            start_line_wait(line);
            for (int i = 0; i < 5000; i++) {
                if (!CHECK_OK(mproc_array_add(mine, 0, &one, NULL))) break;
                if (!CHECK_OK(mproc_array_add(mine, 1, &minus, NULL))) break;
            }
            CHECK_OK(mproc_array_close(mine));
            child_exit();
        }
    }
    start_line_release(line, WORKERS);
    for (int p = 0; p < WORKERS; p++)
        CHECK_CHILD_EXITED(pids[p]);
    CHECK_OK(mproc_array_get_slice(a, 0, 2, items));
    CHECK(items[0] == 20000);
    CHECK(items[1] == -20000);
    CHECK_OK(mproc_array_close(a));
    CHECK_OK(mproc_array_unlink(name));
    shared_free(line, 2 * sizeof(atomic_int));
}

static void compare_exchange_on_one_item(void) {
    mproc_array_t *a = NULL;
    const int init[3] = {5, 5, 5};
    int expected = 5, desired = 6, items[3], swapped = -1;
    CHECK_OK(mproc_array_create(NULL, 'i', 3, init, 1, NULL, &a));
    CHECK_OK(mproc_array_compare_exchange(a, 1, &expected, &desired, &swapped));
    CHECK(swapped == 1 && expected == 5);
    CHECK_OK(mproc_array_compare_exchange(a, 1, &expected, &desired, &swapped));
    CHECK(swapped == 0 && expected == 6);
    CHECK_OK(mproc_array_get_slice(a, 0, 3, items));
    CHECK(items[0] == 5 && items[1] == 6 && items[2] == 5);
    CHECK_OK(mproc_array_close(a));
}

int main(void) {
    RUN(every_type_code_round_trips_by_item_and_slice);
    RUN(without_init_the_items_are_zero);
    RUN(bounds_are_checked);
    RUN(bad_input_is_reported);
    RUN(a_value_name_is_not_an_array);
    RUN(open_existing_opens_an_array_of_another_length);
    RUN(forked_child_opens_by_name_and_writes_a_slice);
    RUN(anonymous_array_lives_until_its_creator_closes);
    RUN(lock_is_recursive);
    RUN(lock_owner_killed_gives_ownerdead);
    RUN(five_processes_counting_under_the_lock_get_500);
    RUN(atomic_add_from_four_threads_is_exact);
    RUN(atomic_add_from_four_processes_is_exact);
    RUN(compare_exchange_on_one_item);
    return check_report();
}
