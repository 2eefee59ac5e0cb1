/* errors_test.c -- the non-object part of the ABI: mproc_strerror and mproc_errname for
 * every code, mproc_last_error, the version macros against the loaded library, and
 * mproc_options_init. */
#include "check.h"

#include <limits.h>

struct code_name {
    int code;
    const char *name;
};

/* Every code of mproc.h with its macro name, spelled out here so that a renumbered or
 * renamed code fails this test. */
static const struct code_name codes[] = {
    {MPROC_OK, "MPROC_OK"},
    {MPROC_EINVAL, "MPROC_EINVAL"},
    {MPROC_EBADHANDLE, "MPROC_EBADHANDLE"},
    {MPROC_ETIMEDOUT, "MPROC_ETIMEDOUT"},
    {MPROC_EEMPTY, "MPROC_EEMPTY"},
    {MPROC_EFULL, "MPROC_EFULL"},
    {MPROC_ECLOSED, "MPROC_ECLOSED"},
    {MPROC_EOWNERDEAD, "MPROC_EOWNERDEAD"},
    {MPROC_ENOTFOUND, "MPROC_ENOTFOUND"},
    {MPROC_EEXIST, "MPROC_EEXIST"},
    {MPROC_EKIND, "MPROC_EKIND"},
    {MPROC_EVERSION, "MPROC_EVERSION"},
    {MPROC_ETOOBIG, "MPROC_ETOOBIG"},
    {MPROC_ENOTOWNER, "MPROC_ENOTOWNER"},
    {MPROC_EOVERFLOW, "MPROC_EOVERFLOW"},
    {MPROC_EBROKEN, "MPROC_EBROKEN"},
    {MPROC_ENOMEM, "MPROC_ENOMEM"},
    {MPROC_EPERM, "MPROC_EPERM"},
    {MPROC_ESYSTEM, "MPROC_ESYSTEM"},
    {MPROC_EEOF, "MPROC_EEOF"},
    {MPROC_EPIPE, "MPROC_EPIPE"},
    {MPROC_EFAILED, "MPROC_EFAILED"},
    {MPROC_ECANCELLED, "MPROC_ECANCELLED"},
    {MPROC_ECORRUPT, "MPROC_ECORRUPT"},
};
enum { N_CODES = sizeof codes / sizeof codes[0] };

static void codes_are_zero_and_consecutive_negatives(void) {
    for (int i = 0; i < N_CODES; i++)
        CHECK(codes[i].code == -i);
}

static void errname_gives_the_macro_name_of_every_code(void) {
    for (int i = 0; i < N_CODES; i++) {
        const char *name = mproc_errname(codes[i].code);
        if (!CHECK(name != NULL)) continue;
        if (!CHECK(strcmp(name, codes[i].name) == 0)) {
            fprintf(stderr, "    mproc_errname(%d) = \"%s\"\n", codes[i].code, name);
        }
    }
}

static void strerror_gives_a_distinct_sentence_for_every_code(void) {
    for (int i = 0; i < N_CODES; i++) {
        const char *text = mproc_strerror(codes[i].code);
        if (!CHECK(text != NULL)) continue;
        CHECK(text[0] != '\0');
        CHECK(strcmp(text, "unknown error") != 0);
        for (int j = 0; j < i; j++) {
            const char *other = mproc_strerror(codes[j].code);
            if (!CHECK(other == NULL || strcmp(text, other) != 0)) {
                fprintf(stderr, "    codes %d and %d share \"%s\"\n", codes[i].code, codes[j].code,
                        text);
            }
        }
    }
    /* The header's own example. */
    CHECK(strcmp(mproc_strerror(MPROC_ETIMEDOUT), "timed out") == 0);
}

static void unknown_codes_have_fixed_texts(void) {
    const int unknown[] = {1, 42, -(int)N_CODES, -100, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *text = mproc_strerror(unknown[i]);
        const char *name = mproc_errname(unknown[i]);
        CHECK(text != NULL && strcmp(text, "unknown error") == 0);
        CHECK(name != NULL && strcmp(name, "MPROC_UNKNOWN") == 0);
    }
}

/* ---- mproc_last_error ----------------------------------------------------------------- */

static void *last_error_of_fresh_thread(void *p) {
    const char **out = p;
    static char copy[512];
    snprintf(copy, sizeof copy, "%s", mproc_last_error());
    *out = copy;
    return NULL;
}

static void last_error_is_empty_in_a_thread_without_failures(void) {
    const char *seen = NULL;
    /* Fail in this thread first: the other thread must not see it. */
    mproc_lock_t *lock = NULL;
    CHECK_RC(mproc_lock_open("capi-no-such-lock-for-last-error", &lock), MPROC_ENOTFOUND);
    pthread_join(start_thread(last_error_of_fresh_thread, &seen), NULL);
    CHECK(seen != NULL && seen[0] == '\0');
}

static void last_error_names_the_failure_and_the_object(void) {
    char name[64];
    mproc_event_t *ev = NULL;
    test_name(name, sizeof name, "missing");
    CHECK_RC(mproc_event_open(name, &ev), MPROC_ENOTFOUND);
    const char *msg = mproc_last_error();
    CHECK(msg != NULL);
    if (msg != NULL) {
        if (!CHECK(strstr(msg, name) != NULL)) fprintf(stderr, "    message: \"%s\"\n", msg);
    }
    /* A different failure replaces it. */
    CHECK_RC(mproc_event_open("a/b", &ev), MPROC_EINVAL);
    msg = mproc_last_error();
    CHECK(msg != NULL && msg[0] != '\0' && strstr(msg, name) == NULL);
}

static void *fail_in_thread(void *p) {
    char *copy = p;
    mproc_semaphore_t *sem = NULL;
    CHECK_RC(mproc_semaphore_open("capi-thread-local-error", &sem), MPROC_ENOTFOUND);
    snprintf(copy, 512, "%s", mproc_last_error());
    return NULL;
}

static void last_error_is_per_thread(void) {
    char theirs[512] = "";
    mproc_barrier_t *b = NULL;
    CHECK_RC(mproc_barrier_create("bad name", 2, NULL, &b), MPROC_EINVAL);
    char mine[512];
    snprintf(mine, sizeof mine, "%s", mproc_last_error());
    pthread_join(start_thread(fail_in_thread, theirs), NULL);
    CHECK(strcmp(mproc_last_error(), mine) == 0); /* untouched by the other thread */
    CHECK(theirs[0] != '\0');
    CHECK(strcmp(theirs, mine) != 0);
}

/* ---- Version -------------------------------------------------------------------------- */

static void version_macros_match_the_loaded_library(void) {
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", MPROC_VERSION_MAJOR, MPROC_VERSION_MINOR,
             MPROC_VERSION_PATCH);
    CHECK(strcmp(MPROC_VERSION_STRING, expected) == 0);
    CHECK(MPROC_VERSION_NUMBER ==
          MPROC_VERSION_MAJOR * 10000 + MPROC_VERSION_MINOR * 100 + MPROC_VERSION_PATCH);
    const char *v = mproc_version();
    CHECK(v != NULL && strcmp(v, MPROC_VERSION_STRING) == 0);
    CHECK(mproc_version_number() == MPROC_VERSION_NUMBER);
    CHECK(mproc_version() == v); /* static: the same pointer every time */
}

/* ---- Options -------------------------------------------------------------------------- */

static void options_init_fills_the_defaults(void) {
    mproc_options_t opts;
    memset(&opts, 0xa5, sizeof opts);
    CHECK_OK(mproc_options_init(&opts));
    CHECK(opts.size == sizeof(mproc_options_t));
    CHECK(opts.flags == 0);
    CHECK(opts.permissions == 0600);
    CHECK_RC(mproc_options_init(NULL), MPROC_EINVAL);
    CHECK(mproc_last_error()[0] != '\0');
}

int main(void) {
    RUN(codes_are_zero_and_consecutive_negatives);
    RUN(errname_gives_the_macro_name_of_every_code);
    RUN(strerror_gives_a_distinct_sentence_for_every_code);
    RUN(unknown_codes_have_fixed_texts);
    RUN(last_error_is_empty_in_a_thread_without_failures);
    RUN(last_error_names_the_failure_and_the_object);
    RUN(last_error_is_per_thread);
    RUN(version_macros_match_the_loaded_library);
    RUN(options_init_fills_the_defaults);
    return check_report();
}
