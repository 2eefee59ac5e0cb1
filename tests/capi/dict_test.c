/* dict_test.c -- mproc_dict_* and mproc_records_next driven from C: keys as C strings and
 * as bytes with NULs, insertion order, every documented error, update all or nothing, a
 * full dict that keeps working, growth to megabytes, the lock held across calls, and
 * other processes reading and writing by name. */
#include "check.h"

#include <limits.h>
#include <stdint.h>

/* ---- Helpers -------------------------------------------------------------------------- */

static mproc_dict_t *new_dict(char *name, size_t len, size_t initial, size_t max) {
    mproc_dict_t *d = NULL;
    CHECK_OK(mproc_dict_create(test_name(name, len, "dict"), initial, max, NULL, &d));
    return d;
}

static void drop_dict(mproc_dict_t *d, const char *name) {
    CHECK_OK(mproc_dict_close(d));
    CHECK_OK(mproc_dict_unlink(name));
}

static void set_str(mproc_dict_t *d, const char *key, const char *value) {
    CHECK_OK(mproc_dict_set(d, key, MPROC_KEY_CSTR, value, strlen(value), 1.0));
}

/* 1 if `key` (a C string) holds exactly the C string `want`. */
static int has_str(mproc_dict_t *d, const char *key, const char *want) {
    char buf[256];
    size_t len = 0;
    if (!CHECK_OK(mproc_dict_get(d, key, MPROC_KEY_CSTR, buf, sizeof buf, &len, 1.0))) return 0;
    return len == strlen(want) && memcmp(buf, want, len) == 0;
}

/* 1 if the snapshot holds exactly the C strings want[0..n). Frees it. */
static int records_are(void *data, size_t len, size_t count, const char *const *want, size_t n) {
    size_t offset = 0, seen = 0, item_len = 0;
    const void *item = NULL;
    int ok = count == n;
    while (mproc_records_next(data, len, &offset, &item, &item_len) == MPROC_OK) {
        if (seen >= n || item_len != strlen(want[seen]) ||
            memcmp(item, want[seen], item_len) != 0) {
            ok = 0;
        }
        seen++;
    }
    mproc_free(data);
    return ok && seen == n && offset == len;
}

static int keys_are(mproc_dict_t *d, const char *const *want, size_t n) {
    void *data = NULL;
    size_t len = 0, count = 0;
    if (!CHECK_OK(mproc_dict_keys(d, &data, &len, &count, 1.0))) return 0;
    return records_are(data, len, count, want, n);
}

static int items_are(mproc_dict_t *d, const char *const *want, size_t n) {
    void *data = NULL;
    size_t len = 0, count = 0;
    if (!CHECK_OK(mproc_dict_items(d, &data, &len, &count, 1.0))) return 0;
    return records_are(data, len, count, want, n);
}

static size_t dict_len(mproc_dict_t *d) {
    size_t n = (size_t)-1;
    CHECK_OK(mproc_dict_len(d, &n, 1.0));
    return n;
}

/* ---- Basics --------------------------------------------------------------------------- */

static void set_get_contains_delete(void) {
    char name[64], buf[64], got_name[MPROC_NAME_MAX + 1];
    size_t len = 0;
    int found = -1;
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    CHECK_OK(mproc_dict_name(d, got_name, sizeof got_name));
    CHECK(strcmp(got_name, name) == 0);
    CHECK(dict_len(d) == 0);
    set_str(d, "alpha", "one");
    set_str(d, "beta", "two");
    CHECK(dict_len(d) == 2);
    CHECK(has_str(d, "alpha", "one"));
    CHECK(has_str(d, "beta", "two"));
    CHECK_OK(mproc_dict_contains(d, "alpha", MPROC_KEY_CSTR, &found, 1.0));
    CHECK(found == 1);
    CHECK_OK(mproc_dict_contains(d, "gamma", MPROC_KEY_CSTR, &found, 1.0));
    CHECK(found == 0);
    /* A key given by length is the same key. */
    CHECK_OK(mproc_dict_get(d, "alpha", 5, buf, sizeof buf, &len, 1.0));
    CHECK(len == 3 && memcmp(buf, "one", 3) == 0);
    /* Replacing a value. */
    set_str(d, "alpha", "uno, longer than before");
    CHECK(has_str(d, "alpha", "uno, longer than before"));
    CHECK(dict_len(d) == 2);
    CHECK_OK(mproc_dict_delete(d, "alpha", MPROC_KEY_CSTR, 1.0));
    CHECK_RC(mproc_dict_get(d, "alpha", MPROC_KEY_CSTR, buf, sizeof buf, &len, 1.0),
             MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "no such key 'alpha'") != NULL);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK_RC(mproc_dict_delete(d, "alpha", MPROC_KEY_CSTR, 1.0), MPROC_ENOTFOUND);
    CHECK(dict_len(d) == 1);
    /* Empty key and empty value. */
    CHECK_OK(mproc_dict_set(d, "", 0, NULL, 0, 1.0));
    CHECK_OK(mproc_dict_get(d, NULL, 0, NULL, 0, &len, 1.0));
    CHECK(len == 0);
    CHECK_OK(mproc_dict_contains(d, "", MPROC_KEY_CSTR, &found, 1.0));
    CHECK(found == 1);
    CHECK_OK(mproc_dict_clear(d, 1.0));
    CHECK(dict_len(d) == 0);
    CHECK_OK(mproc_dict_contains(d, "beta", MPROC_KEY_CSTR, &found, 1.0));
    CHECK(found == 0);
    drop_dict(d, name);
}

static void binary_keys_with_nuls_are_distinct(void) {
    char name[64], buf[16];
    size_t len = 0;
    const char k1[] = {'a', 0, 'b'}, k2[] = {'a', 0, 'c'}, k3[] = {0};
    const unsigned char value[] = {0, 1, 2, 0, 255};
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    CHECK_OK(mproc_dict_set(d, k1, sizeof k1, "1", 1, 1.0));
    CHECK_OK(mproc_dict_set(d, k2, sizeof k2, "2", 1, 1.0));
    CHECK_OK(mproc_dict_set(d, k3, sizeof k3, value, sizeof value, 1.0));
    CHECK_OK(mproc_dict_set(d, "a", MPROC_KEY_CSTR, "3", 1, 1.0)); /* "a" is not "a\0b" */
    CHECK(dict_len(d) == 4);
    CHECK_OK(mproc_dict_get(d, k2, sizeof k2, buf, sizeof buf, &len, 1.0));
    CHECK(len == 1 && buf[0] == '2');
    CHECK_OK(mproc_dict_get(d, k3, sizeof k3, buf, sizeof buf, &len, 1.0));
    CHECK(len == sizeof value && memcmp(buf, value, sizeof value) == 0);
    CHECK_RC(mproc_dict_get(d, k1, 2, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    /* A binary key is described by its length, not printed. */
    CHECK(strstr(mproc_last_error(), "of 2 bytes") != NULL);
    CHECK_OK(mproc_dict_get(d, "a", 1, buf, sizeof buf, &len, 1.0));
    CHECK(len == 1 && buf[0] == '3');

    /* Keys snapshot: the NULs come back. */
    void *data = NULL;
    size_t total = 0, count = 0, offset = 0, item_len = 0;
    const void *item = NULL;
    CHECK_OK(mproc_dict_keys(d, &data, &total, &count, 1.0));
    CHECK(count == 4);
    CHECK_OK(mproc_records_next(data, total, &offset, &item, &item_len));
    CHECK(item_len == sizeof k1 && memcmp(item, k1, sizeof k1) == 0);
    CHECK_OK(mproc_records_next(data, total, &offset, &item, &item_len));
    CHECK(item_len == sizeof k2 && memcmp(item, k2, sizeof k2) == 0);
    CHECK_OK(mproc_records_next(data, total, &offset, &item, &item_len));
    CHECK(item_len == 1 && ((const char *)item)[0] == 0);
    CHECK_OK(mproc_records_next(data, total, &offset, &item, &item_len));
    CHECK(item_len == 1 && ((const char *)item)[0] == 'a');
    CHECK_RC(mproc_records_next(data, total, &offset, &item, &item_len), MPROC_EEMPTY);
    mproc_free(data);
    drop_dict(d, name);
}

static void insertion_order_is_kept(void) {
    char name[64];
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    set_str(d, "a", "1");
    set_str(d, "b", "2");
    set_str(d, "c", "3");
    const char *const abc[] = {"a", "b", "c"};
    CHECK(keys_are(d, abc, 3));
    /* Replacing keeps the place. */
    set_str(d, "b", "20");
    const char *const items1[] = {"a", "1", "b", "20", "c", "3"};
    CHECK(items_are(d, items1, 6));
    /* Deleting and setting again goes last. */
    CHECK_OK(mproc_dict_delete(d, "a", MPROC_KEY_CSTR, 1.0));
    set_str(d, "a", "10");
    const char *const bca[] = {"b", "c", "a"};
    CHECK(keys_are(d, bca, 3));
    const char *const items2[] = {"b", "20", "c", "3", "a", "10"};
    CHECK(items_are(d, items2, 6));
    /* popitem takes the last inserted. */
    void *k = NULL, *v = NULL;
    size_t klen = 0, vlen = 0;
    CHECK_OK(mproc_dict_popitem(d, &k, &klen, &v, &vlen, 1.0));
    CHECK(klen == 1 && memcmp(k, "a", 1) == 0);
    CHECK(vlen == 2 && memcmp(v, "10", 2) == 0);
    mproc_free(k);
    mproc_free(v);
    CHECK_OK(mproc_dict_popitem(d, NULL, NULL, &v, &vlen, 1.0)); /* key dropped */
    CHECK(vlen == 1 && memcmp(v, "3", 1) == 0);
    mproc_free(v);
    CHECK_OK(mproc_dict_popitem(d, NULL, NULL, NULL, NULL, 1.0));
    CHECK_RC(mproc_dict_popitem(d, &k, &klen, &v, &vlen, 1.0), MPROC_EEMPTY);
    CHECK(strstr(mproc_last_error(), "empty") != NULL);
    /* An empty dict's snapshot is NULL and walks as no records. */
    void *data = (void *)1;
    size_t len = 1, count = 1, offset = 0, item_len = 0;
    const void *item = NULL;
    CHECK_OK(mproc_dict_items(d, &data, &len, &count, 1.0));
    CHECK(data == NULL && len == 0 && count == 0);
    CHECK_RC(mproc_records_next(data, len, &offset, &item, &item_len), MPROC_EEMPTY);
    drop_dict(d, name);
}

static void alloc_calls_hand_over_memory(void) {
    char name[64];
    void *value = NULL, *current = NULL;
    size_t len = 0, current_len = 0;
    int inserted = -1;
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    set_str(d, "k", "value");
    CHECK_OK(mproc_dict_get_alloc(d, "k", MPROC_KEY_CSTR, &value, &len, 1.0));
    CHECK(value != NULL && len == 5 && memcmp(value, "value", 5) == 0);
    mproc_free(value);
    value = NULL;
    CHECK_RC(mproc_dict_get_alloc(d, "nope", MPROC_KEY_CSTR, &value, &len, 1.0), MPROC_ENOTFOUND);
    CHECK(value == NULL);
    /* An empty value still gives memory to free. */
    CHECK_OK(mproc_dict_set(d, "empty", MPROC_KEY_CSTR, NULL, 0, 1.0));
    CHECK_OK(mproc_dict_get_alloc(d, "empty", MPROC_KEY_CSTR, &value, &len, 1.0));
    CHECK(value != NULL && len == 0);
    mproc_free(value);

    /* setdefault: absent, then present. */
    CHECK_OK(mproc_dict_setdefault(d, "sd", MPROC_KEY_CSTR, "first", 5, &current, &current_len,
                                   &inserted, 1.0));
    CHECK(inserted == 1);
    CHECK(current != NULL && current_len == 5 && memcmp(current, "first", 5) == 0);
    mproc_free(current);
    CHECK_OK(mproc_dict_setdefault(d, "sd", MPROC_KEY_CSTR, "second", 6, &current, &current_len,
                                   &inserted, 1.0));
    CHECK(inserted == 0);
    CHECK(current != NULL && current_len == 5 && memcmp(current, "first", 5) == 0);
    mproc_free(current);
    CHECK_OK(mproc_dict_setdefault(d, "sd2", MPROC_KEY_CSTR, "x", 1, NULL, NULL, NULL, 1.0));
    CHECK(has_str(d, "sd2", "x"));

    /* pop hands the value over and removes the key. */
    CHECK_OK(mproc_dict_pop(d, "sd", MPROC_KEY_CSTR, &value, &len, 1.0));
    CHECK(len == 5 && memcmp(value, "first", 5) == 0);
    mproc_free(value);
    CHECK_RC(mproc_dict_pop(d, "sd", MPROC_KEY_CSTR, &value, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_OK(mproc_dict_pop(d, "sd2", MPROC_KEY_CSTR, NULL, NULL, 1.0));
    CHECK(dict_len(d) == 2);
    drop_dict(d, name);
}

static void small_buffer_gives_the_size_needed(void) {
    char name[64], buf[8];
    size_t len = 0;
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    set_str(d, "k", "twelve bytes");
    CHECK_RC(mproc_dict_get(d, "k", MPROC_KEY_CSTR, buf, sizeof buf, &len, 1.0), MPROC_ETOOBIG);
    CHECK(len == 12);
    CHECK(strstr(mproc_last_error(), "12 bytes") != NULL);
    CHECK_RC(mproc_dict_get(d, "k", MPROC_KEY_CSTR, NULL, 0, &len, 1.0), MPROC_ETOOBIG);
    CHECK(len == 12);
    CHECK(has_str(d, "k", "twelve bytes")); /* unchanged */
    char exact[12];
    CHECK_OK(mproc_dict_get(d, "k", MPROC_KEY_CSTR, exact, sizeof exact, &len, 1.0));
    CHECK(len == 12 && memcmp(exact, "twelve bytes", 12) == 0);
    drop_dict(d, name);
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bad_arguments_are_refused(void) {
    char name[64], buf[8];
    size_t len = 0, n = 0;
    int found = 0;
    void *p = NULL;
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0), *other = NULL;
    if (d == NULL) return;
    set_str(d, "k", "v");

    /* Keys. */
    CHECK_RC(mproc_dict_set(d, NULL, 1, "v", 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_set(d, NULL, MPROC_KEY_CSTR, "v", 1, 1.0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "key") != NULL);
    CHECK_RC(mproc_dict_get(d, NULL, MPROC_KEY_CSTR, buf, sizeof buf, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_contains(d, NULL, 3, &found, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_delete(d, NULL, MPROC_KEY_CSTR, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_pop(d, NULL, 2, &p, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_setdefault(d, NULL, 2, "v", 1, NULL, NULL, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_get_alloc(d, NULL, 2, &p, &len, 1.0), MPROC_EINVAL);

    /* The key limit, with the limit in the message. */
    char *big = malloc(MPROC_CONTAINER_MAX_KEY + 2);
    if (!CHECK(big != NULL)) return;
    memset(big, 'k', MPROC_CONTAINER_MAX_KEY + 1);
    big[MPROC_CONTAINER_MAX_KEY + 1] = '\0';
    CHECK_RC(mproc_dict_set(d, big, MPROC_CONTAINER_MAX_KEY + 1, "v", 1, 1.0), MPROC_ETOOBIG);
    CHECK(strstr(mproc_last_error(), "65536") != NULL);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK_RC(mproc_dict_set(d, big, MPROC_KEY_CSTR, "v", 1, 1.0), MPROC_ETOOBIG);
    CHECK_RC(mproc_dict_get(d, big, MPROC_KEY_CSTR, buf, sizeof buf, &len, 1.0), MPROC_ETOOBIG);
    CHECK_RC(mproc_dict_contains(d, big, MPROC_KEY_CSTR, &found, 1.0), MPROC_ETOOBIG);
    /* Exactly the limit is a key. */
    CHECK_OK(mproc_dict_set(d, big, MPROC_CONTAINER_MAX_KEY, "max", 3, 1.0));
    CHECK_OK(mproc_dict_contains(d, big, MPROC_CONTAINER_MAX_KEY, &found, 1.0));
    CHECK(found == 1);
    CHECK_OK(mproc_dict_delete(d, big, MPROC_CONTAINER_MAX_KEY, 1.0));
    free(big);

    /* Values, out-pointers and timeouts. */
    CHECK_RC(mproc_dict_set(d, "k", MPROC_KEY_CSTR, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_set(d, "k", MPROC_KEY_CSTR, "v", 1, NAN), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "NaN") != NULL);
    CHECK_RC(mproc_dict_get(d, "k", MPROC_KEY_CSTR, NULL, 4, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_get(d, "k", MPROC_KEY_CSTR, buf, sizeof buf, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_get_alloc(d, "k", MPROC_KEY_CSTR, NULL, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_get_alloc(d, "k", MPROC_KEY_CSTR, &p, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_contains(d, "k", MPROC_KEY_CSTR, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_pop(d, "k", MPROC_KEY_CSTR, &p, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_popitem(d, &p, NULL, NULL, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_len(d, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_len(d, &n, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_dict_clear(d, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_dict_keys(d, NULL, &len, &n, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_items(d, &p, &len, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_acquire(d, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_dict_memory(d, NULL, NULL, NULL, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_dict_update(d, NULL, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_dict_name(d, buf, 2), MPROC_ETOOBIG);
    /* Nothing above changed the dict. */
    CHECK(dict_len(d) == 1);
    CHECK(has_str(d, "k", "v"));

    /* Sizes. */
    CHECK_RC(mproc_dict_create(NULL, 1 << 20, 1 << 16, NULL, &other), MPROC_EINVAL);
    CHECK_RC(mproc_dict_create(NULL, 4096, 4096, NULL, &other), MPROC_ETOOBIG);
    CHECK_RC(mproc_dict_create(NULL, 16 << 10, MPROC_CONTAINER_MAX_SIZE + 4096, NULL, &other),
             MPROC_ETOOBIG);
    CHECK(other == NULL);
    CHECK_RC(mproc_dict_create(NULL, 0, 0, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_dict_open(NULL, &other), MPROC_EINVAL);
    CHECK_RC(mproc_dict_open(name, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_dict_unlink(NULL), MPROC_EINVAL);
    CHECK_RC(mproc_dict_open("no-such-dict-here", &other), MPROC_ENOTFOUND);
    CHECK_RC(mproc_dict_create("a/b", 0, 0, NULL, &other), MPROC_EINVAL);

    /* Closed handles. */
    CHECK_OK(mproc_dict_open(name, &other));
    CHECK_OK(mproc_dict_close(other));
    CHECK_RC(mproc_dict_set(other, "k", MPROC_KEY_CSTR, "v", 1, 1.0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_dict_len(other, &n, 1.0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_dict_close(other), MPROC_EBADHANDLE);
    CHECK_RC(mproc_dict_get(NULL, "k", 1, buf, sizeof buf, &len, 1.0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_dict_release(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_dict_get((mproc_dict_t *)(void *)name, "k", 1, buf, sizeof buf, &len, 1.0),
             MPROC_EBADHANDLE);
    CHECK(has_str(d, "k", "v")); /* the first handle still works */
    drop_dict(d, name);
}

static void other_kinds_are_refused(void) {
    char name[64], lock_name[64];
    mproc_dict_t *d = NULL;
    mproc_list_t *l = NULL;
    mproc_lock_t *lock = NULL;
    d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    CHECK_RC(mproc_list_open(name, &l), MPROC_EKIND);
    CHECK(l == NULL);
    CHECK_RC(mproc_list_unlink(name), MPROC_EKIND);
    CHECK_RC(mproc_lock_open(name, &lock), MPROC_EKIND);
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_RC(mproc_dict_open(lock_name, &d), MPROC_EKIND);
    CHECK_RC(mproc_dict_unlink(lock_name), MPROC_EKIND);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_lock_unlink(lock_name));
    /* A list handle is not a dict handle. */
    CHECK_OK(mproc_list_create(NULL, 0, 0, NULL, &l));
    CHECK_RC(mproc_dict_clear((mproc_dict_t *)(void *)l, 1.0), MPROC_EBADHANDLE);
    CHECK_OK(mproc_list_close(l));
    drop_dict(d, name);
}

static void open_existing_keeps_the_first_dict(void) {
    char name[64];
    mproc_options_t opts;
    mproc_dict_t *first = NULL, *second = NULL;
    size_t max = 0;
    CHECK_OK(mproc_options_init(&opts));
    opts.flags = MPROC_OPEN_EXISTING;
    first = new_dict(name, sizeof name, 16 << 10, 1 << 20);
    if (first == NULL) return;
    set_str(first, "k", "v");
    CHECK_RC(mproc_dict_create(name, 0, 0, NULL, &second), MPROC_EEXIST);
    CHECK_OK(mproc_dict_create(name, 0, 0, &opts, &second));
    CHECK(has_str(second, "k", "v"));
    CHECK_OK(mproc_dict_memory(second, NULL, &max, NULL, 1.0));
    CHECK(max == 1 << 20);
    CHECK_OK(mproc_dict_close(second));
    drop_dict(first, name);
}

static void records_next_checks_its_input(void) {
    unsigned char blob[8 + 3 + 8];
    uint64_t n = 3, lie = 100;
    size_t offset = 0, item_len = 0;
    const void *item = NULL;
    memcpy(blob, &n, 8);
    memcpy(blob + 8, "abc", 3);
    memcpy(blob + 11, &lie, 8);
    CHECK_RC(mproc_records_next(NULL, 5, &offset, &item, &item_len), MPROC_EINVAL);
    CHECK_RC(mproc_records_next(blob, sizeof blob, NULL, &item, &item_len), MPROC_EINVAL);
    CHECK_RC(mproc_records_next(blob, sizeof blob, &offset, NULL, &item_len), MPROC_EINVAL);
    CHECK_RC(mproc_records_next(blob, sizeof blob, &offset, &item, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_records_next(NULL, 0, &offset, &item, &item_len), MPROC_EEMPTY);
    CHECK_OK(mproc_records_next(blob, sizeof blob, &offset, &item, &item_len));
    CHECK(offset == 11 && item_len == 3 && memcmp(item, "abc", 3) == 0);
    /* The second record claims 100 bytes: not a snapshot. */
    CHECK_RC(mproc_records_next(blob, sizeof blob, &offset, &item, &item_len), MPROC_EINVAL);
    CHECK(offset == 11);
    /* A cut-off length word. */
    CHECK_RC(mproc_records_next(blob, 15, &offset, &item, &item_len), MPROC_EINVAL);
    /* An offset past the end. */
    offset = 40;
    CHECK_RC(mproc_records_next(blob, sizeof blob, &offset, &item, &item_len), MPROC_EINVAL);
    /* A length that would overflow an addition. */
    uint64_t huge = UINT64_MAX - 2;
    memcpy(blob + 11, &huge, 8);
    offset = 11;
    CHECK_RC(mproc_records_next(blob, sizeof blob, &offset, &item, &item_len), MPROC_EINVAL);
}

/* ---- update, full, growth ------------------------------------------------------------- */

static void update_is_all_or_nothing(void) {
    char name[64];
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    set_str(d, "a", "1");
    mproc_bytes_t keys[3], values[3];
    keys[0].data = "b";
    keys[0].len = MPROC_KEY_CSTR;
    values[0].data = "2";
    values[0].len = 1;
    keys[1].data = "a";
    keys[1].len = 1;
    values[1].data = "10";
    values[1].len = 2;
    keys[2].data = "b";
    keys[2].len = 1;
    values[2].data = "20";
    values[2].len = 2;
    CHECK_OK(mproc_dict_update(d, keys, values, 3, 1.0));
    const char *const after[] = {"a", "10", "b", "20"}; /* b twice: the last value */
    CHECK(items_are(d, after, 4));
    CHECK_OK(mproc_dict_update(d, NULL, NULL, 0, 1.0));

    /* A key over the limit among good ones changes nothing. */
    char *big = calloc(MPROC_CONTAINER_MAX_KEY + 1, 1);
    if (!CHECK(big != NULL)) return;
    keys[0].data = "c";
    keys[0].len = 1;
    keys[1].data = big;
    keys[1].len = MPROC_CONTAINER_MAX_KEY + 1;
    keys[2].data = "a";
    keys[2].len = 1;
    values[2].data = "changed";
    values[2].len = 7;
    CHECK_RC(mproc_dict_update(d, keys, values, 3, 1.0), MPROC_ETOOBIG);
    CHECK(strstr(mproc_last_error(), "keys[1]") != NULL);
    CHECK(items_are(d, after, 4));
    /* So does a NULL value with a length, or a NULL C-string key. */
    keys[1].data = "d";
    keys[1].len = 1;
    values[1].data = NULL;
    values[1].len = 4;
    CHECK_RC(mproc_dict_update(d, keys, values, 3, 1.0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "values[1]") != NULL);
    values[1].data = "x";
    values[1].len = 1;
    keys[2].data = NULL;
    keys[2].len = MPROC_KEY_CSTR;
    CHECK_RC(mproc_dict_update(d, keys, values, 3, 1.0), MPROC_EINVAL);
    CHECK(items_are(d, after, 4));
    free(big);
    drop_dict(d, name);
}

static void full_dict_is_unchanged_and_keeps_working(void) {
    char name[64], key[32], value[1024];
    size_t capacity = 0, max = 0, len = 0;
    int rc = MPROC_OK, i = 0;
    mproc_dict_t *d = new_dict(name, sizeof name, 16 << 10, 64 << 10);
    if (d == NULL) return;
    CHECK_OK(mproc_dict_memory(d, &capacity, &max, NULL, 1.0));
    CHECK(capacity == 16 << 10);
    CHECK(max == 64 << 10);
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        memset(value, 'a' + i % 26, sizeof value);
        rc = mproc_dict_set(d, key, MPROC_KEY_CSTR, value, sizeof value, 5.0);
        if (rc != MPROC_OK) break;
    }
    CHECK_RC(rc, MPROC_EFULL);
    CHECK(i > 10 && i < 64); /* 64 KiB holds some, not all, of 1000 KiB */
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK(dict_len(d) == (size_t)i);
    int full_at = i;
    CHECK_OK(mproc_dict_memory(d, &capacity, NULL, NULL, 1.0));
    CHECK(capacity == 64 << 10);
    /* The failing key is absent, the others intact. */
    int found = 1;
    CHECK_OK(mproc_dict_contains(d, key, MPROC_KEY_CSTR, &found, 1.0));
    CHECK(found == 0);
    for (int j = 0; j < full_at; j++) {
        char got[1024];
        snprintf(key, sizeof key, "key-%d", j);
        if (!CHECK_OK(mproc_dict_get(d, key, MPROC_KEY_CSTR, got, sizeof got, &len, 1.0))) break;
        CHECK(len == sizeof got && got[0] == 'a' + j % 26 && got[1023] == 'a' + j % 26);
    }
    /* A failed update of many is all or nothing too. */
    mproc_bytes_t keys[8], values[8];
    char names[8][16];
    for (int j = 0; j < 8; j++) {
        snprintf(names[j], sizeof names[j], "u-%d", j);
        keys[j].data = names[j];
        keys[j].len = MPROC_KEY_CSTR;
        values[j].data = value;
        values[j].len = sizeof value;
    }
    CHECK_RC(mproc_dict_update(d, keys, values, 8, 1.0), MPROC_EFULL);
    CHECK(dict_len(d) == (size_t)full_at);
    /* Deleting makes room again. */
    CHECK_OK(mproc_dict_delete(d, "key-0", MPROC_KEY_CSTR, 1.0));
    CHECK_OK(mproc_dict_delete(d, "key-1", MPROC_KEY_CSTR, 1.0));
    CHECK_OK(mproc_dict_set(d, "again", MPROC_KEY_CSTR, value, sizeof value, 1.0));
    CHECK(dict_len(d) == (size_t)full_at - 1);
    CHECK_OK(mproc_dict_clear(d, 1.0));
    CHECK(dict_len(d) == 0);
    for (int j = 0; j < full_at - 2; j++) {
        snprintf(key, sizeof key, "again-%d", j);
        CHECK_OK(mproc_dict_set(d, key, MPROC_KEY_CSTR, value, sizeof value, 1.0));
    }
    drop_dict(d, name);
}

enum { GROWTH_KEYS = 20000 };

static void grows_from_16_kib_to_megabytes(void) {
    char name[64], key[32], value[200], got[200];
    size_t capacity = 0, first = 0, len = 0;
    mproc_dict_t *d = new_dict(name, sizeof name, 16 << 10, 0);
    if (d == NULL) return;
    CHECK_OK(mproc_dict_memory(d, &first, NULL, NULL, 1.0));
    CHECK(first == 16 << 10);
    for (int i = 0; i < GROWTH_KEYS; i++) {
        snprintf(key, sizeof key, "growth-key-%d", i);
        memset(value, 'A' + i % 26, sizeof value);
        snprintf(value, sizeof value, "%d", i);
        if (!CHECK_OK(
                mproc_dict_set(d, key, MPROC_KEY_CSTR, value, 100 + (size_t)(i % 100), 5.0))) {
            break;
        }
    }
    CHECK(dict_len(d) == GROWTH_KEYS);
    CHECK_OK(mproc_dict_memory(d, &capacity, NULL, NULL, 1.0));
    CHECK(capacity >= (size_t)2 << 20); /* 20000 values of 100..199 bytes: 3 MB and more */
    int bad = 0;
    for (int i = 0; i < GROWTH_KEYS; i++) {
        char want[200];
        snprintf(key, sizeof key, "growth-key-%d", i);
        memset(want, 'A' + i % 26, sizeof want);
        snprintf(want, sizeof want, "%d", i);
        if (mproc_dict_get(d, key, MPROC_KEY_CSTR, got, sizeof got, &len, 1.0) != MPROC_OK ||
            len != 100 + (size_t)(i % 100) || memcmp(got, want, len) != 0) {
            bad++;
        }
    }
    CHECK(bad == 0);
    /* Another handle sees the grown dict. */
    mproc_dict_t *again = NULL;
    CHECK_OK(mproc_dict_open(name, &again));
    CHECK_OK(mproc_dict_get(again, "growth-key-19999", MPROC_KEY_CSTR, got, sizeof got, &len, 1.0));
    CHECK(len == 199 && memcmp(got, "19999", 5) == 0);
    CHECK_OK(mproc_dict_close(again));
    drop_dict(d, name);
}

/* ---- The lock ------------------------------------------------------------------------- */

struct probe {
    mproc_dict_t *d;
    int set_rc;
    int release_rc;
};

static void *set_from_other_thread(void *p) {
    struct probe *probe = p;
    probe->set_rc = mproc_dict_set(probe->d, "t", MPROC_KEY_CSTR, "x", 1, 0.05);
    probe->release_rc = mproc_dict_release(probe->d);
    return NULL;
}

static void acquire_groups_calls(void) {
    char name[64];
    struct probe probe = {NULL, 0, 0};
    size_t len = 0;
    probe.d = new_dict(name, sizeof name, 0, 0);
    if (probe.d == NULL) return;
    CHECK_OK(mproc_dict_acquire(probe.d, 1.0));
    CHECK_OK(mproc_dict_acquire(probe.d, 0)); /* recursive */
    set_str(probe.d, "in", "group");
    CHECK(has_str(probe.d, "in", "group"));
    CHECK_OK(mproc_dict_len(probe.d, &len, 0));
    CHECK(len == 1);
    pthread_t t = start_thread(set_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.set_rc == MPROC_ETIMEDOUT);
    CHECK(probe.release_rc == MPROC_ENOTOWNER);
    CHECK_OK(mproc_dict_release(probe.d));
    CHECK_OK(mproc_dict_release(probe.d));
    CHECK_RC(mproc_dict_release(probe.d), MPROC_ENOTOWNER);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    /* Free again: the other thread's call goes through. */
    t = start_thread(set_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.set_rc == MPROC_OK);
    CHECK(dict_len(probe.d) == 2);
    drop_dict(probe.d, name);
}

struct blocked {
    mproc_dict_t *d;
    atomic_int started;
    int rc;
};

static void *set_forever(void *p) {
    struct blocked *b = p;
    atomic_store(&b->started, 1);
    b->rc = mproc_dict_set(b->d, "k", MPROC_KEY_CSTR, "v", 1, -1.0);
    return NULL;
}

static void close_wakes_a_call_waiting_for_the_lock(void) {
    char name[64];
    struct blocked b;
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    b.rc = 0;
    atomic_store(&b.started, 0);
    CHECK_OK(mproc_dict_open(name, &b.d));
    CHECK_OK(mproc_dict_acquire(d, 1.0));
    pthread_t t = start_thread(set_forever, &b);
    CHECK(await_at_least(&b.started, 1, 10.0));
    sleep_seconds(0.2); /* let it block */
    CHECK_OK(mproc_dict_close(b.d));
    pthread_join(t, NULL);
    CHECK(b.rc == MPROC_ECLOSED);
    CHECK_OK(mproc_dict_release(d));
    CHECK(dict_len(d) == 0);
    drop_dict(d, name);
}

/* ---- Other processes ------------------------------------------------------------------ */

static void forked_child_writes_parent_reads(void) {
    char name[64];
    mproc_dict_t *d = new_dict(name, sizeof name, 16 << 10, 0);
    if (d == NULL) return;
    set_str(d, "from", "parent");
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_dict_t *mine = NULL;
        char key[32];
        if (!CHECK_OK(mproc_dict_open(name, &mine))) child_exit();
        CHECK(has_str(mine, "from", "parent"));
        set_str(mine, "from", "child");
        for (int i = 0; i < 2000; i++) { /* enough to make it grow */
            snprintf(key, sizeof key, "c%d", i);
            CHECK_OK(mproc_dict_set(mine, key, MPROC_KEY_CSTR, key, strlen(key), 5.0));
        }
        CHECK_OK(mproc_dict_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(has_str(d, "from", "child"));
    CHECK(dict_len(d) == 2001);
    CHECK(has_str(d, "c1999", "c1999"));
    size_t capacity = 0;
    CHECK_OK(mproc_dict_memory(d, &capacity, NULL, NULL, 1.0));
    CHECK(capacity > 16 << 10);
    drop_dict(d, name);
}

enum { ROUNDS = 300 };

/* counter += 1 as get + set under the lock: exact only if the group is atomic. */
static int increment(mproc_dict_t *d) {
    char buf[32];
    size_t len = 0;
    long value = 0;
    int rc = mproc_dict_acquire(d, 10.0);
    if (rc != MPROC_OK) return rc;
    rc = mproc_dict_get(d, "counter", MPROC_KEY_CSTR, buf, sizeof buf - 1, &len, 1.0);
    if (rc == MPROC_OK) {
        buf[len] = '\0';
        value = strtol(buf, NULL, 10);
        snprintf(buf, sizeof buf, "%ld", value + 1);
        rc = mproc_dict_set(d, "counter", MPROC_KEY_CSTR, buf, strlen(buf), 1.0);
    }
    mproc_dict_release(d);
    return rc;
}

static void value_shared_with_a_second_process(void) {
    char name[64];
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    set_str(d, "counter", "0");
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_dict_t *mine = NULL;
        if (!CHECK_OK(mproc_dict_open(name, &mine))) child_exit();
        for (int i = 0; i < ROUNDS; i++) {
            if (!CHECK_OK(increment(mine))) break;
        }
        CHECK_OK(mproc_dict_close(mine));
        child_exit();
    }
    for (int i = 0; i < ROUNDS; i++) {
        if (!CHECK_OK(increment(d))) break;
    }
    CHECK_CHILD_EXITED(pid);
    char want[16];
    snprintf(want, sizeof want, "%d", 2 * ROUNDS);
    CHECK(has_str(d, "counter", want));
    drop_dict(d, name);
}

static void group_owner_killed_gives_ownerdead(void) {
    char name[64];
    mproc_dict_t *d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_dict_t *mine = NULL;
        if (!CHECK_OK(mproc_dict_open(name, &mine))) child_exit();
        if (!CHECK_OK(mproc_dict_acquire(mine, 5.0))) child_exit();
        set_str(mine, "half", "done");
        fflush(NULL);
        raise(SIGKILL);
        _exit(0);
    }
    CHECK_CHILD_KILLED(pid, SIGKILL);
    /* A plain call takes over silently; only acquire reports the dead group owner. */
    CHECK(has_str(d, "half", "done"));
    CHECK_OK(mproc_dict_acquire(d, 5.0));
    CHECK_OK(mproc_dict_release(d));
    drop_dict(d, name);

    /* The same, with acquire first. */
    d = new_dict(name, sizeof name, 0, 0);
    if (d == NULL) return;
    pid = test_fork();
    if (pid == 0) {
        if (!CHECK_OK(mproc_dict_acquire(d, 5.0))) child_exit(); /* the inherited handle */
        set_str(d, "half", "done");
        fflush(NULL);
        raise(SIGKILL);
        _exit(0);
    }
    CHECK_CHILD_KILLED(pid, SIGKILL);
    CHECK_RC(mproc_dict_acquire(d, 5.0), MPROC_EOWNERDEAD);
    CHECK(has_str(d, "half", "done"));
    set_str(d, "after", "recovery");
    CHECK(dict_len(d) == 2);
    CHECK_OK(mproc_dict_release(d));
    CHECK_OK(mproc_dict_acquire(d, 0));
    CHECK_OK(mproc_dict_release(d));
    drop_dict(d, name);
}

static void anonymous_dict_is_inherited_by_fork(void) {
    mproc_dict_t *d = NULL;
    CHECK_OK(mproc_dict_create(NULL, 0, 0, NULL, &d));
    if (d == NULL) return;
    pid_t pid = test_fork();
    if (pid == 0) {
        set_str(d, "child", "was here");
        CHECK_OK(mproc_dict_close(d));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(has_str(d, "child", "was here"));
    CHECK_OK(mproc_dict_close(d));
}

int main(void) {
    RUN(set_get_contains_delete);
    RUN(binary_keys_with_nuls_are_distinct);
    RUN(insertion_order_is_kept);
    RUN(alloc_calls_hand_over_memory);
    RUN(small_buffer_gives_the_size_needed);
    RUN(bad_arguments_are_refused);
    RUN(other_kinds_are_refused);
    RUN(open_existing_keeps_the_first_dict);
    RUN(records_next_checks_its_input);
    RUN(update_is_all_or_nothing);
    RUN(full_dict_is_unchanged_and_keeps_working);
    RUN(grows_from_16_kib_to_megabytes);
    RUN(acquire_groups_calls);
    RUN(close_wakes_a_call_waiting_for_the_lock);
    RUN(forked_child_writes_parent_reads);
    RUN(value_shared_with_a_second_process);
    RUN(group_owner_killed_gives_ownerdead);
    RUN(anonymous_dict_is_inherited_by_fork);
    return check_report();
}
