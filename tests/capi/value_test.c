/* value_test.c -- mproc_value_* driven from C: every type code, init and zero, bad input,
 * open by name from a forked child, anonymous values, the lock (recursive, raw, owner
 * killed) and the atomic add / compare-exchange from threads and processes. */
#include "check.h"

#include <limits.h>
#include <stdint.h>
#include <wchar.h>

/* ---- Type codes ----------------------------------------------------------------------- */

/* Creates a Value of `code` set to *init, checks it through a second handle, sets *other. */
static void round_trip(char code, size_t size, const void *init, const void *other) {
    char name[64];
    mproc_value_t *v = NULL, *again = NULL;
    unsigned char got[8], zero[8] = {0};
    char seen_code = 0;
    size_t itemsize = 0;
    check_context("type code '%c'", code);
    if (!CHECK_OK(
            mproc_value_create(test_name(name, sizeof name, "val"), code, init, 1, NULL, &v))) {
        return;
    }
    CHECK_OK(mproc_value_type(v, &seen_code, &itemsize));
    CHECK(seen_code == code);
    CHECK(itemsize == size);
    CHECK_OK(mproc_value_get(v, got));
    CHECK(memcmp(got, init, size) == 0);
    CHECK_OK(mproc_value_open(name, &again));
    CHECK_OK(mproc_value_set(again, other));
    CHECK_OK(mproc_value_get(v, got));
    CHECK(memcmp(got, other, size) == 0);
    void *data = NULL;
    CHECK_OK(mproc_value_data(v, &data));
    CHECK(data != NULL && memcmp(data, other, size) == 0);
    CHECK(((uintptr_t)data % size) == 0);
    CHECK_OK(mproc_value_close(again));
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));

    /* NULL init: the zero of the type. */
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), code, NULL, 0, NULL, &v));
    memset(got, 0xab, sizeof got);
    CHECK_OK(mproc_value_get(v, got));
    CHECK(memcmp(got, zero, size) == 0);
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
}

#define ROUND_TRIP(code, type, a, b)                     \
    do {                                                 \
        type init_ = (a), other_ = (b);                  \
        round_trip(code, sizeof(type), &init_, &other_); \
    } while (0)

static void every_type_code_round_trips(void) {
    ROUND_TRIP('c', char, 'x', 'y');
    ROUND_TRIP('b', signed char, -7, 99);
    ROUND_TRIP('B', unsigned char, 255, 1);
    ROUND_TRIP('h', short, SHRT_MIN, 1234);
    ROUND_TRIP('H', unsigned short, USHRT_MAX, 2);
    ROUND_TRIP('i', int, INT_MIN, 42);
    ROUND_TRIP('I', unsigned int, UINT_MAX, 3);
    ROUND_TRIP('l', long, LONG_MIN, 1L << 40);
    ROUND_TRIP('L', unsigned long, ULONG_MAX, 4);
    ROUND_TRIP('q', long long, -1, LLONG_MAX);
    ROUND_TRIP('Q', unsigned long long, ULLONG_MAX, 5);
    ROUND_TRIP('f', float, 1.5f, -0.125f);
    ROUND_TRIP('d', double, 3.14159, -2e-300);
    ROUND_TRIP('u', wchar_t, L'z', (wchar_t)0x1F600);
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bad_input_is_reported(void) {
    char name[64], other[64];
    mproc_value_t *v = NULL, *raw = NULL, *dbl = NULL;
    mproc_array_t *a = NULL;
    int x = 1, swapped = 0;
    void *ptr = NULL;

    const char bad_codes[] = {'x', 'p', 'e', '?', 0, 'Z'};
    for (size_t i = 0; i < sizeof bad_codes; i++) {
        check_context("type code %d", bad_codes[i]);
        CHECK_RC(mproc_value_create(test_name(name, sizeof name, "val"), bad_codes[i], NULL, 1,
                                    NULL, &v),
                 MPROC_EINVAL);
        CHECK(strstr(mproc_last_error(), "type code") != NULL);
    }
    check_context("%s", "");
    CHECK_RC(mproc_value_create("", 'i', NULL, 1, NULL, &v), MPROC_EINVAL);
    CHECK_RC(mproc_value_create("a/b", 'i', NULL, 1, NULL, &v), MPROC_EINVAL);
    CHECK_RC(mproc_value_create(test_name(name, sizeof name, "val"), 'i', NULL, 1, NULL, NULL),
             MPROC_EINVAL);
    CHECK_RC(mproc_value_open(NULL, &v), MPROC_EINVAL);
    CHECK_RC(mproc_value_open("no-such-value-here", &v), MPROC_ENOTFOUND);
    CHECK_RC(mproc_value_unlink(NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_unlink("no-such-value-here"), MPROC_ENOTFOUND);

    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'i', NULL, 1, NULL, &v));
    CHECK_OK(mproc_value_create(test_name(other, sizeof other, "val"), 'i', NULL, 0, NULL, &raw));
    CHECK_RC(mproc_value_open(name, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_get(v, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_set(v, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_data(v, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_name(v, NULL, 10), MPROC_EINVAL);
    CHECK_RC(mproc_value_name(v, name, 2), MPROC_ETOOBIG);
    CHECK_OK(mproc_value_type(v, NULL, NULL));
    CHECK_RC(mproc_value_acquire(v, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_value_add(v, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_value_compare_exchange(v, NULL, &x, &swapped), MPROC_EINVAL);
    CHECK_RC(mproc_value_compare_exchange(v, &x, NULL, &swapped), MPROC_EINVAL);
    CHECK_RC(mproc_value_compare_exchange(v, &x, &x, NULL), MPROC_EINVAL);

    /* A raw value has no lock. */
    CHECK_RC(mproc_value_acquire(raw, 1.0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "raw") != NULL);
    CHECK_RC(mproc_value_release(raw), MPROC_EINVAL);
    CHECK_OK(mproc_value_add(raw, &x, NULL)); /* the atomics need no lock */

    /* Not an integer type: no atomics. */
    const char not_integers[] = {'f', 'd', 'c', 'u'};
    for (size_t i = 0; i < sizeof not_integers; i++) {
        check_context("type code '%c'", not_integers[i]);
        double buf = 0, want = 1;
        CHECK_OK(mproc_value_create(NULL, not_integers[i], NULL, 1, NULL, &dbl));
        CHECK_RC(mproc_value_add(dbl, &buf, NULL), MPROC_EINVAL);
        CHECK(strstr(mproc_last_error(), "integer") != NULL);
        CHECK_RC(mproc_value_compare_exchange(dbl, &buf, &want, &swapped), MPROC_EINVAL);
        CHECK_OK(mproc_value_close(dbl));
    }
    check_context("%s", "");

    /* Kinds: a Value is not an Array, and the other way round. */
    CHECK_RC(mproc_array_open(name, &a), MPROC_EKIND);
    CHECK(strstr(mproc_last_error(), "value") != NULL);
    CHECK_RC(mproc_array_unlink(name), MPROC_EKIND);
    CHECK_RC(mproc_lock_unlink(name), MPROC_EKIND);
    mproc_array_t *arr = NULL;
    char arr_name[64];
    CHECK_OK(mproc_array_create(test_name(arr_name, sizeof arr_name, "arr"), 'i', 2, NULL, 1, NULL,
                                &arr));
    CHECK_RC(mproc_value_open(arr_name, &dbl), MPROC_EKIND);
    CHECK_RC(mproc_value_unlink(arr_name), MPROC_EKIND);
    CHECK_OK(mproc_array_close(arr));
    CHECK_OK(mproc_array_unlink(arr_name));

    /* Wrong or closed handles. */
    CHECK_RC(mproc_value_get(NULL, &x), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_set(NULL, &x), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_release(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_add(NULL, &x, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_compare_exchange(NULL, &x, &x, &swapped), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_type(NULL, NULL, NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_data(NULL, &ptr), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_close(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_get((mproc_value_t *)(void *)arr_name, &x), MPROC_EBADHANDLE);

    CHECK_OK(mproc_value_close(raw));
    CHECK_RC(mproc_value_get(raw, &x), MPROC_EBADHANDLE);
    CHECK_RC(mproc_value_close(raw), MPROC_EBADHANDLE);
    CHECK_OK(mproc_value_unlink(other));
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
    CHECK_RC(mproc_value_unlink(name), MPROC_ENOTFOUND);
}

static void open_existing_opens_the_first_value(void) {
    char name[64];
    mproc_value_t *first = NULL, *second = NULL;
    mproc_options_t opts;
    int five = 5, seen = 0;
    double other = 2.0;
    char code = 0;
    CHECK_OK(mproc_options_init(&opts));
    opts.flags = MPROC_OPEN_EXISTING;
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'i', &five, 1, NULL, &first));
    CHECK_RC(mproc_value_create(name, 'i', &five, 1, NULL, &second), MPROC_EEXIST);
    CHECK_OK(mproc_value_create(name, 'd', &other, 0, &opts, &second));
    CHECK_OK(mproc_value_type(second, &code, NULL));
    CHECK(code == 'i');
    CHECK_OK(mproc_value_get(second, &seen));
    CHECK(seen == 5);
    CHECK_OK(mproc_value_acquire(second, 0)); /* the first one's lock */
    CHECK_OK(mproc_value_release(second));
    CHECK_OK(mproc_value_close(second));
    CHECK_OK(mproc_value_close(first));
    CHECK_OK(mproc_value_unlink(name));
}

/* ---- Processes and names -------------------------------------------------------------- */

static void forked_child_opens_by_name_and_sets(void) {
    char name[64];
    mproc_value_t *v = NULL;
    double init = 1.25, seen = 0;
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'd', &init, 1, NULL, &v));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_value_t *mine = NULL;
        double got = 0, next = 0;
        if (!CHECK_OK(mproc_value_open(name, &mine))) child_exit();
        CHECK_OK(mproc_value_get(mine, &got));
        CHECK(got == 1.25);
        next = got * 8;
        CHECK_OK(mproc_value_set(mine, &next));
        CHECK_OK(mproc_value_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_value_get(v, &seen));
    CHECK(seen == 10.0);
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
}

static void anonymous_value_lives_until_its_creator_closes(void) {
    char name[MPROC_NAME_MAX + 1];
    mproc_value_t *v = NULL, *again = NULL;
    long long seen = 0;
    CHECK_OK(mproc_value_create(NULL, 'q', NULL, 1, NULL, &v));
    CHECK_OK(mproc_value_name(v, name, sizeof name));
    CHECK(strlen(name) >= 1);
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_value_t *mine = NULL;
        long long big = 1LL << 50;
        CHECK_OK(mproc_value_set(v, &big)); /* the inherited handle */
        CHECK_OK(mproc_value_open(name, &mine));
        CHECK_OK(mproc_value_add(mine, &big, NULL));
        CHECK_OK(mproc_value_close(mine));
        CHECK_OK(mproc_value_close(v)); /* not the creator: the name stays */
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK_OK(mproc_value_open(name, &again));
    CHECK_OK(mproc_value_get(again, &seen));
    CHECK(seen == 1LL << 51);
    CHECK_OK(mproc_value_close(again));
    CHECK_OK(mproc_value_close(v));
    CHECK_RC(mproc_value_open(name, &again), MPROC_ENOTFOUND);
}

/* ---- The lock ------------------------------------------------------------------------- */

struct lock_probe {
    mproc_value_t *v;
    int acquire_rc;
    int release_rc;
};

static void *try_from_other_thread(void *p) {
    struct lock_probe *probe = p;
    probe->acquire_rc = mproc_value_acquire(probe->v, 0.05);
    probe->release_rc = mproc_value_release(probe->v);
    return NULL;
}

static void lock_is_recursive_and_owned_by_a_thread(void) {
    char name[64];
    struct lock_probe probe = {NULL, 0, 0};
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'i', NULL, 1, NULL, &probe.v));
    CHECK_OK(mproc_value_acquire(probe.v, 0));
    CHECK_OK(mproc_value_acquire(probe.v, 0));
    CHECK_OK(mproc_value_acquire(probe.v, -1));
    pthread_t t = start_thread(try_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.acquire_rc == MPROC_ETIMEDOUT);
    CHECK(probe.release_rc == MPROC_ENOTOWNER);
    CHECK_OK(mproc_value_release(probe.v));
    CHECK_OK(mproc_value_release(probe.v));
    CHECK_OK(mproc_value_release(probe.v));
    CHECK_RC(mproc_value_release(probe.v), MPROC_ENOTOWNER);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK_OK(mproc_value_close(probe.v));
    CHECK_OK(mproc_value_unlink(name));
}

static void lock_owner_killed_gives_ownerdead(void) {
    char name[64];
    mproc_value_t *v = NULL;
    int seen = 0;
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'i', NULL, 1, NULL, &v));
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_value_t *mine = NULL;
        int half = 21;
        if (!CHECK_OK(mproc_value_open(name, &mine))) child_exit();
        if (!CHECK_OK(mproc_value_acquire(mine, 5.0))) child_exit();
        CHECK_OK(mproc_value_set(mine, &half));
        fflush(NULL);
        raise(SIGKILL);
        _exit(0);
    }
    CHECK_CHILD_KILLED(pid, SIGKILL);
    CHECK_RC(mproc_value_acquire(v, 5.0), MPROC_EOWNERDEAD);
    CHECK_OK(mproc_value_get(v, &seen));
    CHECK(seen == 21);
    CHECK_OK(mproc_value_release(v));
    CHECK_OK(mproc_value_acquire(v, 0));
    CHECK_OK(mproc_value_release(v));
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
}

/* ---- Atomics -------------------------------------------------------------------------- */

static void add_wraps_and_returns_the_previous_value(void) {
    mproc_value_t *v = NULL;
    unsigned char u8 = 250, d8 = 10, before8 = 0, now8 = 0;
    CHECK_OK(mproc_value_create(NULL, 'B', &u8, 0, NULL, &v));
    CHECK_OK(mproc_value_add(v, &d8, &before8));
    CHECK_OK(mproc_value_get(v, &now8));
    CHECK(before8 == 250 && now8 == 4);
    CHECK_OK(mproc_value_close(v));

    int imax = INT_MAX, one = 1, now = 0;
    CHECK_OK(mproc_value_create(NULL, 'i', &imax, 0, NULL, &v));
    CHECK_OK(mproc_value_add(v, &one, NULL));
    CHECK_OK(mproc_value_get(v, &now));
    CHECK(now == INT_MIN);
    CHECK_OK(mproc_value_close(v));

    short s = 5, minus = -8, snow = 0;
    CHECK_OK(mproc_value_create(NULL, 'h', &s, 0, NULL, &v));
    CHECK_OK(mproc_value_add(v, &minus, NULL));
    CHECK_OK(mproc_value_get(v, &snow));
    CHECK(snow == -3);
    CHECK_OK(mproc_value_close(v));
}

static void compare_exchange_swaps_only_when_equal(void) {
    mproc_value_t *v = NULL;
    long init = -1, expected = -1, desired = 7, now = 0;
    int swapped = -1;
    CHECK_OK(mproc_value_create(NULL, 'l', &init, 1, NULL, &v));
    CHECK_OK(mproc_value_compare_exchange(v, &expected, &desired, &swapped));
    CHECK(swapped == 1);
    CHECK(expected == -1);
    CHECK_OK(mproc_value_get(v, &now));
    CHECK(now == 7);
    expected = -1;
    desired = 9;
    CHECK_OK(mproc_value_compare_exchange(v, &expected, &desired, &swapped));
    CHECK(swapped == 0);
    CHECK(expected == 7);
    CHECK_OK(mproc_value_get(v, &now));
    CHECK(now == 7);
    CHECK_OK(mproc_value_close(v));
}

enum { WORKERS = 4, ADDS = 100000 };

static void *add_many(void *p) {
    mproc_value_t *v = p;
    long long one = 1;
    for (int i = 0; i < ADDS; i++) {
        if (mproc_value_add(v, &one, NULL) != MPROC_OK) {
            FAIL("mproc_value_add");
            break;
        }
    }
    return NULL;
}

static void atomic_add_from_four_threads_is_exact(void) {
    mproc_value_t *v = NULL;
    pthread_t threads[WORKERS];
    long long total = 0;
    CHECK_OK(mproc_value_create(NULL, 'q', NULL, 0, NULL, &v));
    for (int i = 0; i < WORKERS; i++)
        threads[i] = start_thread(add_many, v);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(threads[i], NULL);
    CHECK_OK(mproc_value_get(v, &total));
    CHECK(total == (long long)WORKERS * ADDS);
    CHECK_OK(mproc_value_close(v));
}

static void atomic_add_from_four_processes_is_exact(void) {
    char name[64];
    mproc_value_t *v = NULL;
    pid_t pids[WORKERS];
    atomic_int *line = shared_alloc(2 * sizeof(atomic_int)); /* ready, go */
    unsigned int total = 0;
    CHECK_OK(mproc_value_create(test_name(name, sizeof name, "val"), 'I', NULL, 0, NULL, &v));
    for (int p = 0; p < WORKERS; p++) {
        pids[p] = test_fork();
        if (pids[p] == 0) {
            mproc_value_t *mine = NULL;
            unsigned int one = 1;
            if (!CHECK_OK(mproc_value_open(name, &mine))) child_exit();
            atomic_fetch_add(&line[0], 1);
            double deadline = now_seconds() + 20.0;
            while (atomic_load(&line[1]) == 0 && now_seconds() < deadline) {
            }
            for (int i = 0; i < ADDS; i++) {
                if (!CHECK_OK(mproc_value_add(mine, &one, NULL))) break;
            }
            CHECK_OK(mproc_value_close(mine));
            child_exit();
        }
    }
    CHECK(await_at_least(&line[0], WORKERS, 20.0));
    atomic_store(&line[1], 1);
    for (int p = 0; p < WORKERS; p++)
        CHECK_CHILD_EXITED(pids[p]);
    CHECK_OK(mproc_value_get(v, &total));
    CHECK(total == (unsigned int)WORKERS * ADDS);
    CHECK_OK(mproc_value_close(v));
    CHECK_OK(mproc_value_unlink(name));
    shared_free(line, 2 * sizeof(atomic_int));
}

int main(void) {
    RUN(every_type_code_round_trips);
    RUN(bad_input_is_reported);
    RUN(open_existing_opens_the_first_value);
    RUN(forked_child_opens_by_name_and_sets);
    RUN(anonymous_value_lives_until_its_creator_closes);
    RUN(lock_is_recursive_and_owned_by_a_thread);
    RUN(lock_owner_killed_gives_ownerdead);
    RUN(add_wraps_and_returns_the_previous_value);
    RUN(compare_exchange_swaps_only_when_equal);
    RUN(atomic_add_from_four_threads_is_exact);
    RUN(atomic_add_from_four_processes_is_exact);
    return check_report();
}
