/* bad_input_test.c -- every entry point of mproc.h given bad input: NULL and wrong-kind
 * handles, NULL out-pointers, bad names, NaN timeouts, names that hold another kind, missing
 * and existing names, small buffers, out-of-range values. Each must fail with its documented
 * code, set its own mproc_last_error() message, and never crash. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

/* ---- Checking that a failure is reported ---------------------------------------------- */

static char sentinel_message[512];

/* Leaves a known message in mproc_last_error(), so that a failure that does not set its
 * own message is caught (the header: every failure sets the thread's message). */
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

/* ---- The nine create/open/close/unlink/name families, behind one interface ------------ */

/* Adapters give every kind the same signatures, so the checks below run over a table.
 * They pass a NULL out-pointer through unchanged. */
#define ADAPT_COMMON(kind, type)                                     \
    static int kind##_open_(const char *name, void **out) {          \
        type *h = NULL;                                              \
        int rc = mproc_##kind##_open(name, out != NULL ? &h : NULL); \
        if (out != NULL) *out = h;                                   \
        return rc;                                                   \
    }                                                                \
    static int kind##_close_(void *h) {                              \
        return mproc_##kind##_close(h);                              \
    }                                                                \
    static int kind##_unlink_(const char *name) {                    \
        return mproc_##kind##_unlink(name);                          \
    }                                                                \
    static int kind##_name_(const void *h, char *buf, size_t len) {  \
        return mproc_##kind##_name(h, buf, len);                     \
    }

ADAPT_COMMON(lock, mproc_lock_t)
ADAPT_COMMON(rlock, mproc_rlock_t)
ADAPT_COMMON(semaphore, mproc_semaphore_t)
ADAPT_COMMON(event, mproc_event_t)
ADAPT_COMMON(condition, mproc_condition_t)
ADAPT_COMMON(barrier, mproc_barrier_t)
ADAPT_COMMON(dict, mproc_dict_t)
ADAPT_COMMON(list, mproc_list_t)

#define ADAPT_CREATE(label, type, call)                                                     \
    static int label##_create_(const char *name, const mproc_options_t *opts, void **out) { \
        type *h = NULL;                                                                     \
        type **hp = out != NULL ? &h : NULL;                                                \
        int rc = call;                                                                      \
        if (out != NULL) *out = h;                                                          \
        return rc;                                                                          \
    }

ADAPT_CREATE(lock, mproc_lock_t, mproc_lock_create(name, opts, hp))
ADAPT_CREATE(rlock, mproc_rlock_t, mproc_rlock_create(name, opts, hp))
ADAPT_CREATE(semaphore, mproc_semaphore_t, mproc_semaphore_create(name, 1, opts, hp))
ADAPT_CREATE(bounded, mproc_semaphore_t, mproc_bounded_semaphore_create(name, 1, opts, hp))
ADAPT_CREATE(event, mproc_event_t, mproc_event_create(name, opts, hp))
ADAPT_CREATE(condition, mproc_condition_t, mproc_condition_create(name, opts, hp))
ADAPT_CREATE(barrier, mproc_barrier_t, mproc_barrier_create(name, 2, opts, hp))
ADAPT_CREATE(dict, mproc_dict_t, mproc_dict_create(name, 0, 0, opts, hp))
ADAPT_CREATE(list, mproc_list_t, mproc_list_create(name, 0, 0, opts, hp))

struct kind {
    const char *label;
    int object_kind; /* Semaphore and BoundedSemaphore are one kind with one handle type */
    int (*create)(const char *name, const mproc_options_t *opts, void **out);
    int (*open)(const char *name, void **out);
    int (*close)(void *h);
    int (*unlink)(const char *name);
    int (*name)(const void *h, char *buf, size_t len);
};

static const struct kind kinds[] = {
    {"lock", 0, lock_create_, lock_open_, lock_close_, lock_unlink_, lock_name_},
    {"rlock", 1, rlock_create_, rlock_open_, rlock_close_, rlock_unlink_, rlock_name_},
    {"semaphore", 2, semaphore_create_, semaphore_open_, semaphore_close_, semaphore_unlink_,
     semaphore_name_},
    {"bounded", 2, bounded_create_, semaphore_open_, semaphore_close_, semaphore_unlink_,
     semaphore_name_},
    {"event", 3, event_create_, event_open_, event_close_, event_unlink_, event_name_},
    {"condition", 4, condition_create_, condition_open_, condition_close_, condition_unlink_,
     condition_name_},
    {"barrier", 5, barrier_create_, barrier_open_, barrier_close_, barrier_unlink_, barrier_name_},
    {"dict", 6, dict_create_, dict_open_, dict_close_, dict_unlink_, dict_name_},
    {"list", 7, list_create_, list_open_, list_close_, list_unlink_, list_name_},
};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

/* ---- Names ---------------------------------------------------------------------------- */

static char too_long_name[MPROC_NAME_MAX + 2];

static const char *bad_names[] = {
    "",      ".",     "..",       "a/b",         "../x",  "/abs",        "x/",
    "a b",   " lead", "trail ",   "caf\xc3\xa9", "\xff",  "tab\tx",      "new\nline",
    "star*", "q?",    "back\\sl", "colon:x",     "pct%d", too_long_name,
};
enum { N_BAD_NAMES = sizeof bad_names / sizeof bad_names[0] };

static void make_too_long_name(void) {
    memset(too_long_name, 'n', MPROC_NAME_MAX + 1);
    too_long_name[MPROC_NAME_MAX + 1] = '\0';
}

/* A bad name is refused before it reaches the file system. */
static int shm_file_exists(const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "/dev/shm/mproc.%s", name);
    return stat(path, &st) == 0;
}

static void bad_names_are_invalid_everywhere(void) {
    for (int k = 0; k < N_KINDS; k++) {
        const struct kind *kd = &kinds[k];
        for (int n = 0; n < N_BAD_NAMES; n++) {
            const char *bad = bad_names[n];
            void *h = NULL;
            check_context("%s, name \"%.40s\"%s", kd->label, bad,
                          strlen(bad) > 40 ? "... (too long)" : "");
            CHECK_FAILS(kd->create(bad, NULL, &h), MPROC_EINVAL);
            if (!CHECK(h == NULL)) kd->close(h); /* keep going after a wrong success */
            CHECK_FAILS(kd->open(bad, &h), MPROC_EINVAL);
            CHECK(h == NULL);
            CHECK_FAILS(kd->unlink(bad), MPROC_EINVAL);
            if (bad[0] != '\0' && strchr(bad, '/') == NULL && strlen(bad) < 200) {
                CHECK(!shm_file_exists(bad));
            }
        }
        check_context("%s, NULL name", kd->label);
        CHECK_FAILS(kd->open(NULL, NULL), MPROC_EINVAL);
        void *h = NULL;
        CHECK_FAILS(kd->open(NULL, &h), MPROC_EINVAL);
        CHECK_FAILS(kd->unlink(NULL), MPROC_EINVAL);
    }
}

/* The edges of the valid set: exactly MPROC_NAME_MAX characters, every allowed
 * punctuation character, a leading dot. */
static void names_at_the_edge_of_the_rules_are_accepted(void) {
    char longest[MPROC_NAME_MAX + 1], dotted[64], punct[64];
    int len = snprintf(longest, sizeof longest, "capi-%d-longest-", (int)getpid());
    memset(longest + len, 'L', (size_t)(MPROC_NAME_MAX - len));
    longest[MPROC_NAME_MAX] = '\0';
    snprintf(dotted, sizeof dotted, ".capi-%d-dotted", (int)getpid());
    snprintf(punct, sizeof punct, "capi-%d-Az09_.-..", (int)getpid());
    const char *names[] = {longest, dotted, punct};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mproc_event_t *ev = NULL;
        char back[MPROC_NAME_MAX + 1];
        check_context("name \"%.40s\" (%zu chars)", names[i], strlen(names[i]));
        if (!CHECK_OK(mproc_event_create(names[i], NULL, &ev))) continue;
        CHECK_OK(mproc_event_name(ev, back, sizeof back));
        CHECK(strcmp(back, names[i]) == 0);
        CHECK_OK(mproc_event_close(ev));
        CHECK_OK(mproc_event_unlink(names[i]));
    }
}

/* ---- Create, open, close, unlink, name: the common failures ---------------------------- */

static void common_entry_points_check_their_arguments(void) {
    mproc_options_t open_existing;
    CHECK_OK(mproc_options_init(&open_existing));
    open_existing.flags = MPROC_OPEN_EXISTING;

    for (int k = 0; k < N_KINDS; k++) {
        const struct kind *kd = &kinds[k];
        char name[64], buf[MPROC_NAME_MAX + 1];
        void *h = NULL, *h2 = NULL;
        test_name(name, sizeof name, kd->label);
        check_context("%s '%s'", kd->label, name);

        /* A NULL out-pointer fails before anything is created. */
        CHECK_FAILS(kd->create(name, NULL, NULL), MPROC_EINVAL);
        CHECK_FAILS(kd->create(NULL, NULL, NULL), MPROC_EINVAL);
        CHECK_FAILS(kd->open(name, &h2), MPROC_ENOTFOUND);
        CHECK(h2 == NULL);
        CHECK_FAILS(kd->unlink(name), MPROC_ENOTFOUND);

        if (!CHECK_OK(kd->create(name, NULL, &h))) continue;
        CHECK_FAILS(kd->create(name, NULL, &h2), MPROC_EEXIST);
        CHECK(h2 == NULL);
        CHECK_OK(kd->create(name, &open_existing, &h2));
        if (h2 != NULL) CHECK_OK(kd->close(h2));
        CHECK_FAILS(kd->open(name, NULL), MPROC_EINVAL);

        CHECK_FAILS(kd->close(NULL), MPROC_EBADHANDLE);
        CHECK_FAILS(kd->name(NULL, buf, sizeof buf), MPROC_EBADHANDLE);
        CHECK_FAILS(kd->name(h, NULL, sizeof buf), MPROC_EINVAL);
        CHECK_FAILS(kd->name(h, NULL, 0), MPROC_EINVAL);
        CHECK_FAILS(kd->name(h, buf, 0), MPROC_ETOOBIG);
        CHECK_FAILS(kd->name(h, buf, 1), MPROC_ETOOBIG);
        CHECK_FAILS(kd->name(h, buf, strlen(name)), MPROC_ETOOBIG);
        CHECK_OK(kd->name(h, buf, strlen(name) + 1));
        CHECK(strcmp(buf, name) == 0);

        CHECK_OK(kd->close(h));
        CHECK_OK(kd->unlink(name));
        CHECK_FAILS(kd->unlink(name), MPROC_ENOTFOUND);
        CHECK_FAILS(kd->open(name, &h2), MPROC_ENOTFOUND);
    }
}

/* Every pair of kinds: a name that holds kind A is not opened, created over or unlinked
 * as kind B, and A's handle is refused by B's functions without being harmed. */
static void other_kinds_are_refused_by_name_and_by_handle(void) {
    mproc_options_t open_existing;
    CHECK_OK(mproc_options_init(&open_existing));
    open_existing.flags = MPROC_OPEN_EXISTING;

    for (int a = 0; a < N_KINDS; a++) {
        const struct kind *ka = &kinds[a];
        char name[64], buf[MPROC_NAME_MAX + 1];
        void *ha = NULL;
        test_name(name, sizeof name, ka->label);
        check_context("%s '%s'", ka->label, name);
        if (!CHECK_OK(ka->create(name, NULL, &ha))) continue;
        for (int b = 0; b < N_KINDS; b++) {
            const struct kind *kb = &kinds[b];
            void *hb = NULL;
            if (kb->object_kind == ka->object_kind) continue;
            check_context("%s '%s' used as %s", ka->label, name, kb->label);
            CHECK_FAILS(kb->open(name, &hb), MPROC_EKIND);
            CHECK(hb == NULL);
            CHECK_FAILS(kb->create(name, NULL, &hb), MPROC_EEXIST);
            CHECK_FAILS(kb->create(name, &open_existing, &hb), MPROC_EKIND);
            CHECK(hb == NULL);
            CHECK_FAILS(kb->unlink(name), MPROC_EKIND);
            CHECK(shm_file_exists(name)); /* nothing was removed */
            CHECK_FAILS(kb->name(ha, buf, sizeof buf), MPROC_EBADHANDLE);
            CHECK_FAILS(kb->close(ha), MPROC_EBADHANDLE);
        }
        check_context("%s '%s' after the other kinds", ka->label, name);
        /* Still there, and the handle still works. */
        void *again = NULL;
        CHECK_OK(ka->open(name, &again));
        if (again != NULL) CHECK_OK(ka->close(again));
        CHECK_OK(ka->name(ha, buf, sizeof buf));
        CHECK_OK(ka->close(ha));
        CHECK_OK(ka->unlink(name));
    }
}

/* A file under the mproc prefix that is not an mproc object is "another kind". */
static void foreign_segment_is_wrong_kind(void) {
    char name[64], path[128], junk[4096];
    test_name(name, sizeof name, "foreign");
    snprintf(path, sizeof path, "/dev/shm/mproc.%s", name);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (!CHECK(fd >= 0)) return;
    memset(junk, 0xab, sizeof junk);
    CHECK(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    close(fd);
    for (int k = 0; k < N_KINDS; k++) {
        void *h = NULL;
        check_context("%s over a foreign segment", kinds[k].label);
        CHECK_FAILS(kinds[k].open(name, &h), MPROC_EKIND);
        CHECK(h == NULL);
        CHECK_FAILS(kinds[k].unlink(name), MPROC_EKIND);
        CHECK(shm_file_exists(name));
    }
    unlink(path);
}

/* ---- Per-kind entry points ------------------------------------------------------------ */

/* A live handle of some other kind, to pass where a lock (etc.) is expected. */
static mproc_event_t *stranger;

static void lock_entry_points_check_their_arguments(void) {
    mproc_lock_t *lock = NULL;
    mproc_lock_t *wrong = (mproc_lock_t *)(void *)stranger;
    int locked = 0;
    CHECK_OK(mproc_lock_create(NULL, NULL, &lock));
    CHECK_FAILS(mproc_lock_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_acquire(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_acquire(lock, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_lock_acquire(lock, -NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_lock_release(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_release(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_locked(NULL, &locked), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_locked(wrong, &locked), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_lock_locked(lock, NULL), MPROC_EINVAL);
    /* The NaN acquire took nothing. */
    CHECK_OK(mproc_lock_locked(lock, &locked));
    if (!CHECK(locked == 0)) mproc_lock_release(lock);
    CHECK_OK(mproc_lock_close(lock));
}

static void rlock_entry_points_check_their_arguments(void) {
    mproc_rlock_t *rl = NULL;
    mproc_rlock_t *wrong = (mproc_rlock_t *)(void *)stranger;
    unsigned int count = 0;
    int owned = 0;
    CHECK_OK(mproc_rlock_create(NULL, NULL, &rl));
    CHECK_FAILS(mproc_rlock_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_acquire(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_acquire(rl, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_rlock_release(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_release(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_count(NULL, &count), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_count(wrong, &count), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_count(rl, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_rlock_is_owned(NULL, &owned), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_is_owned(wrong, &owned), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_rlock_is_owned(rl, NULL), MPROC_EINVAL);
    /* Same with the lock held: the NaN acquire adds no level. */
    CHECK_OK(mproc_rlock_acquire(rl, 0));
    CHECK_FAILS(mproc_rlock_acquire(rl, NAN), MPROC_EINVAL);
    CHECK_OK(mproc_rlock_count(rl, &count));
    CHECK(count == 1);
    CHECK_OK(mproc_rlock_release(rl));
    CHECK_OK(mproc_rlock_close(rl));
}

static void semaphore_entry_points_check_their_arguments(void) {
    mproc_semaphore_t *sem = NULL, *none = NULL;
    mproc_semaphore_t *wrong = (mproc_semaphore_t *)(void *)stranger;
    unsigned int value = 0;
    char name[64];

    /* Values above the maximum, for both variants. */
    CHECK_FAILS(mproc_semaphore_create(test_name(name, sizeof name, "sem"),
                                       MPROC_SEMAPHORE_VALUE_MAX + 1u, NULL, &none),
                MPROC_ETOOBIG);
    CHECK_FAILS(mproc_semaphore_create(NULL, UINT_MAX, NULL, &none), MPROC_ETOOBIG);
    CHECK_FAILS(mproc_bounded_semaphore_create(test_name(name, sizeof name, "bsem"),
                                               MPROC_SEMAPHORE_VALUE_MAX + 1u, NULL, &none),
                MPROC_ETOOBIG);
    CHECK_FAILS(mproc_bounded_semaphore_create(NULL, UINT_MAX, NULL, &none), MPROC_ETOOBIG);
    CHECK(none == NULL);
    CHECK(!shm_file_exists(name));

    CHECK_OK(mproc_semaphore_create(NULL, 1, NULL, &sem));
    CHECK_FAILS(mproc_semaphore_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_acquire(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_acquire(sem, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_semaphore_release(NULL, 1), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_release(wrong, 1), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_release(sem, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_semaphore_value(NULL, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_value(wrong, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_value(sem, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_semaphore_bound(NULL, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_bound(wrong, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_semaphore_bound(sem, NULL), MPROC_EINVAL);
    /* Nothing above changed the value. */
    CHECK_OK(mproc_semaphore_value(sem, &value));
    CHECK(value == 1);
    CHECK_OK(mproc_semaphore_close(sem));
}

static void event_entry_points_check_their_arguments(void) {
    mproc_event_t *ev = NULL;
    mproc_lock_t *lock = NULL;
    int set = 0;
    /* Here the stranger is a lock: the shared stranger is an event. */
    CHECK_OK(mproc_lock_create(NULL, NULL, &lock));
    mproc_event_t *wrong = (mproc_event_t *)(void *)lock;
    CHECK_OK(mproc_event_create(NULL, NULL, &ev));
    CHECK_FAILS(mproc_event_set(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_set(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_clear(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_clear(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_is_set(NULL, &set), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_is_set(wrong, &set), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_is_set(ev, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_event_wait(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_wait(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_event_wait(ev, NAN), MPROC_EINVAL);
    /* NaN is refused even when the flag is set and the wait would return at once. */
    CHECK_OK(mproc_event_set(ev));
    CHECK_FAILS(mproc_event_wait(ev, NAN), MPROC_EINVAL);
    CHECK_OK(mproc_event_close(ev));
    CHECK_OK(mproc_lock_close(lock));
}

static int never(void *arg) {
    (void)arg;
    return 0;
}

static void condition_entry_points_check_their_arguments(void) {
    mproc_condition_t *cond = NULL, *none = NULL;
    mproc_condition_t *wrong = (mproc_condition_t *)(void *)stranger;
    mproc_lock_t *lock = NULL;
    mproc_rlock_t *rl = NULL;
    char name[64];
    CHECK_OK(mproc_lock_create(NULL, NULL, &lock));
    CHECK_OK(mproc_rlock_create(NULL, NULL, &rl));

    /* The create variants over an existing lock. */
    test_name(name, sizeof name, "cond");
    CHECK_FAILS(mproc_condition_create_with_lock(name, NULL, NULL, &none), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_create_with_lock(name, (mproc_lock_t *)(void *)rl, NULL, &none),
                MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_create_with_lock(name, lock, NULL, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_create_with_lock("a/b", lock, NULL, &none), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_create_with_rlock(name, NULL, NULL, &none), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_create_with_rlock(name, (mproc_rlock_t *)(void *)lock, NULL, &none),
                MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_create_with_rlock(name, rl, NULL, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_create_with_rlock("..", rl, NULL, &none), MPROC_EINVAL);
    CHECK(none == NULL);
    CHECK(!shm_file_exists(name));

    CHECK_OK(mproc_condition_create(NULL, NULL, &cond));
    CHECK_FAILS(mproc_condition_acquire(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_acquire(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_acquire(cond, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_release(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_release(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_wait(NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_wait(wrong, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_wait_for(NULL, never, NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_wait_for(wrong, never, NULL, 0), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_notify(NULL, 1), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_notify(wrong, 1), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_notify_all(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_condition_notify_all(wrong), MPROC_EBADHANDLE);
    /* With the lock held, so that ownership is not what fails. */
    CHECK_OK(mproc_condition_acquire(cond, 0));
    CHECK_FAILS(mproc_condition_wait(cond, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_wait_for(cond, NULL, NULL, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_condition_wait_for(cond, never, NULL, NAN), MPROC_EINVAL);
    /* None of them released the lock: exactly one level to release. */
    CHECK_OK(mproc_condition_release(cond));
    CHECK_RC(mproc_condition_release(cond), MPROC_ENOTOWNER);
    CHECK_OK(mproc_condition_close(cond));

    /* Over a plain Lock that is free, NaN is refused too, and takes nothing. */
    int locked = 0;
    CHECK_OK(mproc_condition_create_with_lock(NULL, lock, NULL, &cond));
    CHECK_FAILS(mproc_condition_acquire(cond, NAN), MPROC_EINVAL);
    CHECK_OK(mproc_lock_locked(lock, &locked));
    if (!CHECK(locked == 0)) mproc_lock_release(lock);
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_rlock_close(rl));
    CHECK_OK(mproc_lock_close(lock));
}

static int nothing_to_do(void *arg) {
    (void)arg;
    return 0;
}

static void barrier_entry_points_check_their_arguments(void) {
    mproc_barrier_t *b = NULL, *none = NULL;
    mproc_barrier_t *wrong = (mproc_barrier_t *)(void *)stranger;
    unsigned int value = 0, index = 0;
    int broken = 0;
    char name[64];

    CHECK_FAILS(mproc_barrier_create(test_name(name, sizeof name, "barrier"), 0, NULL, &none),
                MPROC_EINVAL);
    CHECK_FAILS(mproc_barrier_create(name, MPROC_BARRIER_MAX_PARTIES + 1u, NULL, &none),
                MPROC_ETOOBIG);
    CHECK_FAILS(mproc_barrier_create(NULL, UINT_MAX, NULL, &none), MPROC_ETOOBIG);
    CHECK(none == NULL);
    CHECK(!shm_file_exists(name));
    /* A one-party barrier would trip at once: NaN is still refused, and nothing trips. */
    CHECK_OK(mproc_barrier_create(NULL, 1, NULL, &b));
    CHECK_FAILS(mproc_barrier_wait(b, NAN, NULL), MPROC_EINVAL);
    CHECK_OK(mproc_barrier_close(b));
    /* The largest party count is accepted. */
    CHECK_OK(mproc_barrier_create(NULL, MPROC_BARRIER_MAX_PARTIES, NULL, &b));
    CHECK_OK(mproc_barrier_parties(b, &value));
    CHECK(value == MPROC_BARRIER_MAX_PARTIES);
    CHECK_OK(mproc_barrier_close(b));

    CHECK_OK(mproc_barrier_create(NULL, 2, NULL, &b));
    CHECK_FAILS(mproc_barrier_set_action(NULL, nothing_to_do, NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_set_action(wrong, nothing_to_do, NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_wait(NULL, 0, &index), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_wait(wrong, 0, &index), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_wait(b, NAN, &index), MPROC_EINVAL);
    CHECK_FAILS(mproc_barrier_wait(b, NAN, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_barrier_reset(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_reset(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_abort(NULL), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_abort(wrong), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_parties(NULL, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_parties(wrong, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_parties(b, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_barrier_n_waiting(NULL, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_n_waiting(wrong, &value), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_n_waiting(b, NULL), MPROC_EINVAL);
    CHECK_FAILS(mproc_barrier_broken(NULL, &broken), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_broken(wrong, &broken), MPROC_EBADHANDLE);
    CHECK_FAILS(mproc_barrier_broken(b, NULL), MPROC_EINVAL);
    /* A NaN wait neither arrived nor broke the barrier. */
    CHECK_OK(mproc_barrier_n_waiting(b, &value));
    CHECK(value == 0);
    CHECK_OK(mproc_barrier_broken(b, &broken));
    CHECK(broken == 0);
    CHECK_OK(mproc_barrier_close(b));
}

static void dict_entry_points_check_their_arguments(void) {
    mproc_dict_t *d = NULL;
    mproc_dict_t *wrong = (mproc_dict_t *)(void *)stranger;
    char buf[8];
    size_t len = 0, n = 0;
    int found = 0;
    void *p = NULL;
    mproc_bytes_t key = {"k", 1};
    CHECK_OK(mproc_dict_create(NULL, 0, 0, NULL, &d));
    mproc_dict_t *handles[] = {NULL, wrong};
    for (int i = 0; i < 2; i++) {
        mproc_dict_t *h = handles[i];
        check_context("dict handle %s", i == 0 ? "NULL" : "of another kind");
        CHECK_FAILS(mproc_dict_set(h, "k", 1, "v", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_get(h, "k", 1, buf, sizeof buf, &len, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_get_alloc(h, "k", 1, &p, &len, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_contains(h, "k", 1, &found, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_setdefault(h, "k", 1, "v", 1, NULL, NULL, NULL, 0),
                    MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_pop(h, "k", 1, NULL, NULL, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_delete(h, "k", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_popitem(h, NULL, NULL, NULL, NULL, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_len(h, &n, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_clear(h, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_update(h, &key, &key, 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_keys(h, &p, &len, &n, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_items(h, &p, &len, &n, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_acquire(h, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_release(h), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_dict_memory(h, &n, NULL, NULL, 0), MPROC_EBADHANDLE);
    }
    check_context("%s", "");
    CHECK_FAILS(mproc_dict_set(d, NULL, 1, "v", 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_set(d, NULL, MPROC_KEY_CSTR, "v", 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_set(d, "k", 1, NULL, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_set(d, "k", 1, "v", 1, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_set(d, "k", (size_t)MPROC_CONTAINER_MAX_KEY + 1, "v", 1, 0),
                MPROC_ETOOBIG);
    CHECK_FAILS(mproc_dict_get(d, "k", 1, buf, sizeof buf, NULL, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_get(d, "k", 1, buf, sizeof buf, &len, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_dict_pop(d, "k", 1, &p, &len, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_dict_delete(d, "k", 1, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_dict_popitem(d, &p, &len, NULL, NULL, 0), MPROC_EEMPTY);
    CHECK_FAILS(mproc_dict_len(d, NULL, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_keys(d, NULL, &len, &n, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_update(d, NULL, &key, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_dict_release(d), MPROC_ENOTOWNER);
    CHECK_FAILS(mproc_records_next(NULL, 1, &len, (const void **)&p, &n), MPROC_EINVAL);
    CHECK_OK(mproc_dict_len(d, &n, 0));
    CHECK(n == 0);
    CHECK_OK(mproc_dict_close(d));
}

static void list_entry_points_check_their_arguments(void) {
    mproc_list_t *l = NULL;
    mproc_list_t *wrong = (mproc_list_t *)(void *)stranger;
    char buf[8];
    size_t len = 0, n = 0;
    void *p = NULL;
    mproc_bytes_t item = {"i", 1};
    CHECK_OK(mproc_list_create(NULL, 0, 0, NULL, &l));
    mproc_list_t *handles[] = {NULL, wrong};
    for (int i = 0; i < 2; i++) {
        mproc_list_t *h = handles[i];
        check_context("list handle %s", i == 0 ? "NULL" : "of another kind");
        CHECK_FAILS(mproc_list_append(h, "v", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_extend(h, &item, 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_get(h, 0, buf, sizeof buf, &len, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_get_alloc(h, 0, &p, &len, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_set(h, 0, "v", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_insert(h, 0, "v", 1, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_pop(h, -1, NULL, NULL, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_len(h, &n, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_slice(h, 0, 1, &p, &len, &n, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_set_slice(h, 0, 1, NULL, 0, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_acquire(h, 0), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_release(h), MPROC_EBADHANDLE);
        CHECK_FAILS(mproc_list_memory(h, &n, NULL, NULL, 0), MPROC_EBADHANDLE);
    }
    check_context("%s", "");
    CHECK_FAILS(mproc_list_append(l, NULL, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_append(l, "v", 1, NAN), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_extend(l, NULL, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_get(l, 0, buf, sizeof buf, &len, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_list_get(l, 0, NULL, 1, &len, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_set(l, 0, "v", 1, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_list_pop(l, -1, NULL, NULL, 0), MPROC_ENOTFOUND);
    CHECK_FAILS(mproc_list_slice(l, 0, 1, NULL, &len, &n, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_set_slice(l, 0, 1, NULL, 1, 0), MPROC_EINVAL);
    CHECK_FAILS(mproc_list_release(l), MPROC_ENOTOWNER);
    CHECK_OK(mproc_list_len(l, &n, 0));
    CHECK(n == 0);
    CHECK_OK(mproc_list_close(l));
}

static void options_init_refuses_null(void) {
    CHECK_FAILS(mproc_options_init(NULL), MPROC_EINVAL);
}

/* The functions that never fail accept anything. */
static void never_failing_functions_accept_any_input(void) {
    const int codes[] = {0, 1, -1, -18, -19, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        CHECK(mproc_strerror(codes[i]) != NULL);
        CHECK(mproc_errname(codes[i]) != NULL);
    }
    CHECK(mproc_last_error() != NULL);
    CHECK(mproc_version() != NULL);
    CHECK(mproc_version_number() >= 0);
}

int main(void) {
    make_too_long_name();
    CHECK_OK(mproc_event_create(NULL, NULL, &stranger));
    RUN(bad_names_are_invalid_everywhere);
    RUN(names_at_the_edge_of_the_rules_are_accepted);
    RUN(common_entry_points_check_their_arguments);
    RUN(other_kinds_are_refused_by_name_and_by_handle);
    RUN(foreign_segment_is_wrong_kind);
    RUN(lock_entry_points_check_their_arguments);
    RUN(rlock_entry_points_check_their_arguments);
    RUN(semaphore_entry_points_check_their_arguments);
    RUN(event_entry_points_check_their_arguments);
    RUN(condition_entry_points_check_their_arguments);
    RUN(barrier_entry_points_check_their_arguments);
    RUN(dict_entry_points_check_their_arguments);
    RUN(list_entry_points_check_their_arguments);
    RUN(options_init_refuses_null);
    RUN(never_failing_functions_accept_any_input);
    CHECK_OK(mproc_event_close(stranger));
    return check_report();
}
