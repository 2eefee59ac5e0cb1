/* list_test.c -- mproc_list_* driven from C: Python's negative indexes and slice clamping,
 * insert, pop, set_slice (replace, delete, clear), extend all or nothing, every documented
 * error, a full list, growth, the lock held across calls, and a forked writer. */
#include "check.h"

#include <limits.h>
#include <stdint.h>

/* ---- Helpers -------------------------------------------------------------------------- */

static mproc_list_t *new_list(char *name, size_t len, size_t initial, size_t max) {
    mproc_list_t *l = NULL;
    CHECK_OK(mproc_list_create(test_name(name, len, "list"), initial, max, NULL, &l));
    return l;
}

static void drop_list(mproc_list_t *l, const char *name) {
    CHECK_OK(mproc_list_close(l));
    CHECK_OK(mproc_list_unlink(name));
}

static void append_str(mproc_list_t *l, const char *item) {
    CHECK_OK(mproc_list_append(l, item, strlen(item), 1.0));
}

/* Replaces the list's items by the C strings items[0..n). */
static void fill(mproc_list_t *l, const char *const *items, size_t n) {
    mproc_bytes_t b[16];
    for (size_t i = 0; i < n && i < 16; i++) {
        b[i].data = items[i];
        b[i].len = strlen(items[i]);
    }
    CHECK_OK(mproc_list_set_slice(l, 0, LLONG_MAX, b, n, 1.0));
}

/* The items [start, stop) joined by ',' into buf: "a,b,c" ("" when empty). */
static const char *slice_str(mproc_list_t *l, long long start, long long stop, char *buf,
                             size_t cap) {
    void *data = NULL;
    size_t len = 0, count = 0, offset = 0, item_len = 0, used = 0;
    const void *item = NULL;
    buf[0] = '\0';
    if (!CHECK_OK(mproc_list_slice(l, start, stop, &data, &len, &count, 1.0))) return "<error>";
    size_t seen = 0;
    while (mproc_records_next(data, len, &offset, &item, &item_len) == MPROC_OK) {
        used += (size_t)snprintf(buf + used, cap - used, "%s%.*s", seen > 0 ? "," : "",
                                 (int)item_len, (const char *)item);
        seen++;
    }
    CHECK(seen == count);
    mproc_free(data);
    return buf;
}

static const char *all_str(mproc_list_t *l, char *buf, size_t cap) {
    return slice_str(l, 0, LLONG_MAX, buf, cap);
}

static size_t list_len(mproc_list_t *l) {
    size_t n = (size_t)-1;
    CHECK_OK(mproc_list_len(l, &n, 1.0));
    return n;
}

/* Item `index` as a C string in buf. */
static const char *item_str(mproc_list_t *l, long long index, char *buf, size_t cap) {
    size_t len = 0;
    if (!CHECK_OK(mproc_list_get(l, index, buf, cap - 1, &len, 1.0))) return "<error>";
    buf[len] = '\0';
    return buf;
}

/* ---- Indexes -------------------------------------------------------------------------- */

static void indexes_count_from_either_end(void) {
    char name[64], buf[256], got_name[MPROC_NAME_MAX + 1];
    size_t len = 0;
    mproc_list_t *l = new_list(name, sizeof name, 0, 0);
    if (l == NULL) return;
    CHECK_OK(mproc_list_name(l, got_name, sizeof got_name));
    CHECK(strcmp(got_name, name) == 0);
    CHECK(list_len(l) == 0);
    CHECK_RC(mproc_list_get(l, 0, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_get(l, -1, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    append_str(l, "a");
    append_str(l, "b");
    append_str(l, "c");
    CHECK(list_len(l) == 3);
    CHECK(strcmp(item_str(l, 0, buf, sizeof buf), "a") == 0);
    CHECK(strcmp(item_str(l, 2, buf, sizeof buf), "c") == 0);
    CHECK(strcmp(item_str(l, -1, buf, sizeof buf), "c") == 0);
    CHECK(strcmp(item_str(l, -3, buf, sizeof buf), "a") == 0);
    CHECK_RC(mproc_list_get(l, 3, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), "index 3 out of range") != NULL);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK_RC(mproc_list_get(l, -4, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_get(l, LLONG_MIN, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_get(l, LLONG_MAX, buf, sizeof buf, &len, 1.0), MPROC_ENOTFOUND);

    /* set */
    CHECK_OK(mproc_list_set(l, -2, "B", 1, 1.0));
    CHECK_OK(mproc_list_set(l, 0, "a longer item than before", 25, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a longer item than before,B,c") == 0);
    CHECK_RC(mproc_list_set(l, 3, "x", 1, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_set(l, -4, "x", 1, 1.0), MPROC_ENOTFOUND);
    CHECK_OK(mproc_list_set(l, 0, "a", 1, 1.0));

    /* insert clamps as Python does. */
    CHECK_OK(mproc_list_insert(l, 1, "i1", 2, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,i1,B,c") == 0);
    CHECK_OK(mproc_list_insert(l, -1, "i2", 2, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,i1,B,i2,c") == 0);
    CHECK_OK(mproc_list_insert(l, -100, "first", 5, 1.0));
    CHECK_OK(mproc_list_insert(l, 100, "last", 4, 1.0));
    CHECK_OK(mproc_list_insert(l, LLONG_MIN, "min", 3, 1.0));
    CHECK_OK(mproc_list_insert(l, LLONG_MAX, "max", 3, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "min,first,a,i1,B,i2,c,last,max") == 0);

    /* pop */
    void *data = NULL;
    CHECK_OK(mproc_list_pop(l, -1, &data, &len, 1.0));
    CHECK(len == 3 && memcmp(data, "max", 3) == 0);
    mproc_free(data);
    CHECK_OK(mproc_list_pop(l, 0, &data, &len, 1.0));
    CHECK(len == 3 && memcmp(data, "min", 3) == 0);
    mproc_free(data);
    CHECK_OK(mproc_list_pop(l, 2, NULL, NULL, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "first,a,B,i2,c,last") == 0);
    CHECK_RC(mproc_list_pop(l, 6, &data, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_pop(l, -7, &data, &len, 1.0), MPROC_ENOTFOUND);
    CHECK(list_len(l) == 6);
    while (list_len(l) > 0)
        CHECK_OK(mproc_list_pop(l, -1, NULL, NULL, 1.0));
    CHECK_RC(mproc_list_pop(l, -1, &data, &len, 1.0), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_pop(l, 0, NULL, NULL, 1.0), MPROC_ENOTFOUND);
    drop_list(l, name);
}

static void items_are_bytes(void) {
    char name[64], buf[16];
    size_t len = 0;
    const unsigned char bin[] = {0, 'x', 0, 255};
    mproc_list_t *l = new_list(name, sizeof name, 0, 0);
    if (l == NULL) return;
    CHECK_OK(mproc_list_append(l, bin, sizeof bin, 1.0));
    CHECK_OK(mproc_list_append(l, NULL, 0, 1.0));
    CHECK_OK(mproc_list_get(l, 0, buf, sizeof buf, &len, 1.0));
    CHECK(len == sizeof bin && memcmp(buf, bin, sizeof bin) == 0);
    CHECK_OK(mproc_list_get(l, 1, NULL, 0, &len, 1.0));
    CHECK(len == 0);
    void *data = NULL;
    CHECK_OK(mproc_list_get_alloc(l, 1, &data, &len, 1.0));
    CHECK(data != NULL && len == 0); /* never NULL, even empty */
    mproc_free(data);
    CHECK_OK(mproc_list_get_alloc(l, -2, &data, &len, 1.0));
    CHECK(len == sizeof bin && memcmp(data, bin, sizeof bin) == 0);
    mproc_free(data);
    data = NULL;
    CHECK_RC(mproc_list_get_alloc(l, 2, &data, &len, 1.0), MPROC_ENOTFOUND);
    CHECK(data == NULL);
    /* A small buffer: the size needed, nothing taken. */
    char small[2];
    CHECK_RC(mproc_list_get(l, 0, small, sizeof small, &len, 1.0), MPROC_ETOOBIG);
    CHECK(len == sizeof bin);
    CHECK_RC(mproc_list_get(l, 0, NULL, 0, &len, 1.0), MPROC_ETOOBIG);
    CHECK(len == sizeof bin);
    CHECK(list_len(l) == 2);
    drop_list(l, name);
}

/* ---- Slices --------------------------------------------------------------------------- */

static void slices_clamp_as_python_does(void) {
    char name[64], buf[256];
    const char *const abcde[] = {"a", "b", "c", "d", "e"};
    mproc_list_t *l = new_list(name, sizeof name, 0, 0);
    if (l == NULL) return;
    fill(l, abcde, 5);
    CHECK(strcmp(slice_str(l, 0, LLONG_MAX, buf, sizeof buf), "a,b,c,d,e") == 0);
    CHECK(strcmp(slice_str(l, LLONG_MIN, LLONG_MAX, buf, sizeof buf), "a,b,c,d,e") == 0);
    CHECK(strcmp(slice_str(l, 1, 3, buf, sizeof buf), "b,c") == 0);
    CHECK(strcmp(slice_str(l, -2, LLONG_MAX, buf, sizeof buf), "d,e") == 0);
    CHECK(strcmp(slice_str(l, 0, -1, buf, sizeof buf), "a,b,c,d") == 0);
    CHECK(strcmp(slice_str(l, -100, 2, buf, sizeof buf), "a,b") == 0);
    CHECK(strcmp(slice_str(l, 3, 100, buf, sizeof buf), "d,e") == 0);
    CHECK(strcmp(slice_str(l, 4, 2, buf, sizeof buf), "") == 0);
    CHECK(strcmp(slice_str(l, 5, LLONG_MAX, buf, sizeof buf), "") == 0);
    CHECK(strcmp(slice_str(l, -1, -2, buf, sizeof buf), "") == 0);
    /* An empty slice is NULL. */
    void *data = (void *)1;
    size_t len = 1, count = 1;
    CHECK_OK(mproc_list_slice(l, 2, 2, &data, &len, &count, 1.0));
    CHECK(data == NULL && len == 0 && count == 0);
    drop_list(l, name);
}

static void set_slice_replaces_deletes_and_clears(void) {
    char name[64], buf[256];
    const char *const abcde[] = {"a", "b", "c", "d", "e"};
    mproc_bytes_t xyz[3] = {{"x", 1}, {"y", 1}, {"z", 1}};
    mproc_list_t *l = new_list(name, sizeof name, 0, 0);
    if (l == NULL) return;
    fill(l, abcde, 5);
    /* Replace two by three. */
    CHECK_OK(mproc_list_set_slice(l, 1, 3, xyz, 3, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,x,y,z,d,e") == 0);
    /* Replace three by one, with negative bounds. */
    CHECK_OK(mproc_list_set_slice(l, -5, -2, xyz, 1, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,x,d,e") == 0);
    /* Delete a range. */
    CHECK_OK(mproc_list_set_slice(l, 1, 3, NULL, 0, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,e") == 0);
    /* An empty range inserts; stop before start is an empty range at start. */
    CHECK_OK(mproc_list_set_slice(l, 1, 1, xyz, 2, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,x,y,e") == 0);
    CHECK_OK(mproc_list_set_slice(l, 3, 0, xyz + 2, 1, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,x,y,z,e") == 0);
    /* Past the end appends. */
    CHECK_OK(mproc_list_set_slice(l, 100, 200, xyz, 1, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,x,y,z,e,x") == 0);
    /* Clear. */
    CHECK_OK(mproc_list_set_slice(l, 0, LLONG_MAX, NULL, 0, 1.0));
    CHECK(list_len(l) == 0);
    CHECK_OK(mproc_list_set_slice(l, 0, LLONG_MAX, NULL, 0, 1.0)); /* clearing empty is fine */

    /* All or nothing: a NULL item with a length changes nothing. */
    fill(l, abcde, 5);
    mproc_bytes_t bad[2] = {{"ok", 2}, {NULL, 3}};
    CHECK_RC(mproc_list_set_slice(l, 0, 2, bad, 2, 1.0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "items[1]") != NULL);
    CHECK_RC(mproc_list_set_slice(l, 0, 2, NULL, 2, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_extend(l, bad, 2, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_extend(l, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,b,c,d,e") == 0);
    /* extend */
    CHECK_OK(mproc_list_extend(l, xyz, 3, 1.0));
    CHECK_OK(mproc_list_extend(l, NULL, 0, 1.0));
    CHECK(strcmp(all_str(l, buf, sizeof buf), "a,b,c,d,e,x,y,z") == 0);
    drop_list(l, name);
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bad_arguments_are_refused(void) {
    char name[64], dict_name[64], buf[8];
    size_t len = 0, n = 0;
    void *p = NULL;
    mproc_list_t *l = new_list(name, sizeof name, 0, 0), *other = NULL;
    mproc_dict_t *d = NULL;
    if (l == NULL) return;
    append_str(l, "v");
    CHECK_RC(mproc_list_append(l, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_append(l, "x", 1, NAN), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "NaN") != NULL);
    CHECK_RC(mproc_list_set(l, 0, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_insert(l, 0, NULL, 1, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_get(l, 0, NULL, 4, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_get(l, 0, buf, sizeof buf, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_get_alloc(l, 0, NULL, &len, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_get_alloc(l, 0, &p, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_pop(l, 0, &p, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_len(l, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_len(l, &n, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_list_slice(l, 0, 1, NULL, &len, &n, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_slice(l, 0, 1, &p, NULL, &n, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_slice(l, 0, 1, &p, &len, NULL, 1.0), MPROC_EINVAL);
    CHECK_RC(mproc_list_set_slice(l, 0, 1, NULL, 0, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_list_acquire(l, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_list_memory(l, NULL, NULL, NULL, NAN), MPROC_EINVAL);
    CHECK_RC(mproc_list_name(l, buf, 2), MPROC_ETOOBIG);
    CHECK(list_len(l) == 1); /* nothing above changed it */

    CHECK_RC(mproc_list_create(NULL, 1 << 20, 1 << 16, NULL, &other), MPROC_EINVAL);
    CHECK_RC(mproc_list_create(NULL, 4096, 4096, NULL, &other), MPROC_ETOOBIG);
    CHECK_RC(mproc_list_create(NULL, 16 << 10, MPROC_CONTAINER_MAX_SIZE + 4096, NULL, &other),
             MPROC_ETOOBIG);
    CHECK_RC(mproc_list_create(NULL, 0, 0, NULL, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_list_open(NULL, &other), MPROC_EINVAL);
    CHECK_RC(mproc_list_open("no-such-list-here", &other), MPROC_ENOTFOUND);
    CHECK_RC(mproc_list_unlink(NULL), MPROC_EINVAL);
    CHECK(other == NULL);

    /* A list name is not a dict, and a dict name is not a list. */
    CHECK_RC(mproc_dict_open(name, &d), MPROC_EKIND);
    CHECK_OK(mproc_dict_create(test_name(dict_name, sizeof dict_name, "dict"), 0, 0, NULL, &d));
    CHECK_RC(mproc_list_open(dict_name, &other), MPROC_EKIND);
    CHECK_RC(mproc_list_append((mproc_list_t *)(void *)d, "x", 1, 1.0), MPROC_EBADHANDLE);
    CHECK_OK(mproc_dict_close(d));
    CHECK_OK(mproc_dict_unlink(dict_name));

    /* Closed handles. */
    CHECK_OK(mproc_list_open(name, &other));
    CHECK_OK(mproc_list_close(other));
    CHECK_RC(mproc_list_append(other, "x", 1, 1.0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_list_len(other, &n, 1.0), MPROC_EBADHANDLE);
    CHECK_RC(mproc_list_close(other), MPROC_EBADHANDLE);
    CHECK_RC(mproc_list_release(NULL), MPROC_EBADHANDLE);
    CHECK_RC(mproc_list_slice(NULL, 0, 1, &p, &len, &n, 1.0), MPROC_EBADHANDLE);
    CHECK(list_len(l) == 1);
    drop_list(l, name);
}

/* ---- Full, growth --------------------------------------------------------------------- */

static void full_list_is_unchanged_and_keeps_working(void) {
    char name[64], item[1024], buf[2048];
    size_t capacity = 0, max = 0, n = 0;
    int rc = MPROC_OK, i = 0;
    mproc_list_t *l = new_list(name, sizeof name, 16 << 10, 64 << 10);
    if (l == NULL) return;
    for (i = 0; i < 1000; i++) {
        memset(item, 'a' + i % 26, sizeof item);
        rc = mproc_list_append(l, item, sizeof item, 5.0);
        if (rc != MPROC_OK) break;
    }
    CHECK_RC(rc, MPROC_EFULL);
    CHECK(i > 10 && i < 64);
    CHECK(list_len(l) == (size_t)i);
    CHECK_OK(mproc_list_memory(l, &capacity, &max, NULL, 1.0));
    CHECK(capacity == 64 << 10 && max == 64 << 10);
    mproc_bytes_t many[4] = {
        {item, sizeof item}, {item, sizeof item}, {item, sizeof item}, {item, sizeof item}};
    CHECK_RC(mproc_list_extend(l, many, 4, 1.0), MPROC_EFULL);
    CHECK_RC(mproc_list_set_slice(l, 0, 1, many, 4, 1.0), MPROC_EFULL);
    CHECK(list_len(l) == (size_t)i);
    for (int j = 0; j < i; j++) {
        if (!CHECK_OK(mproc_list_get(l, j, buf, sizeof buf, &n, 1.0))) break;
        CHECK(n == sizeof item && buf[0] == 'a' + j % 26);
    }
    CHECK_OK(mproc_list_pop(l, 0, NULL, NULL, 1.0));
    CHECK_OK(mproc_list_append(l, item, sizeof item, 1.0));
    CHECK(list_len(l) == (size_t)i);
    drop_list(l, name);
}

enum { GROWTH_ITEMS = 20000 };

static void grows_from_16_kib_to_megabytes(void) {
    char name[64], item[200], got[200];
    size_t capacity = 0, len = 0;
    mproc_list_t *l = new_list(name, sizeof name, 16 << 10, 0);
    if (l == NULL) return;
    for (int i = 0; i < GROWTH_ITEMS; i++) {
        memset(item, 'A' + i % 26, sizeof item);
        snprintf(item, sizeof item, "%d", i);
        if (!CHECK_OK(mproc_list_append(l, item, 100 + (size_t)(i % 100), 5.0))) break;
    }
    CHECK(list_len(l) == GROWTH_ITEMS);
    CHECK_OK(mproc_list_memory(l, &capacity, NULL, NULL, 1.0));
    CHECK(capacity >= (size_t)2 << 20);
    int bad = 0;
    for (int i = 0; i < GROWTH_ITEMS; i++) {
        memset(item, 'A' + i % 26, sizeof item);
        snprintf(item, sizeof item, "%d", i);
        if (mproc_list_get(l, i, got, sizeof got, &len, 1.0) != MPROC_OK ||
            len != 100 + (size_t)(i % 100) || memcmp(got, item, len) != 0) {
            bad++;
        }
    }
    CHECK(bad == 0);
    drop_list(l, name);
}

/* ---- The lock and other processes ----------------------------------------------------- */

struct probe {
    mproc_list_t *l;
    int append_rc;
};

static void *append_from_other_thread(void *p) {
    struct probe *probe = p;
    probe->append_rc = mproc_list_append(probe->l, "t", 1, 0.05);
    return NULL;
}

static void acquire_groups_calls(void) {
    char name[64], buf[64];
    struct probe probe = {NULL, 0};
    probe.l = new_list(name, sizeof name, 0, 0);
    if (probe.l == NULL) return;
    CHECK_OK(mproc_list_acquire(probe.l, 1.0));
    CHECK_OK(mproc_list_acquire(probe.l, 0));
    append_str(probe.l, "in");
    CHECK(strcmp(item_str(probe.l, 0, buf, sizeof buf), "in") == 0);
    pthread_t t = start_thread(append_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.append_rc == MPROC_ETIMEDOUT);
    CHECK_OK(mproc_list_release(probe.l));
    CHECK_OK(mproc_list_release(probe.l));
    CHECK_RC(mproc_list_release(probe.l), MPROC_ENOTOWNER);
    t = start_thread(append_from_other_thread, &probe);
    pthread_join(t, NULL);
    CHECK(probe.append_rc == MPROC_OK);
    CHECK(list_len(probe.l) == 2);
    drop_list(probe.l, name);
}

static void forked_child_writes_parent_reads(void) {
    char name[64], buf[64];
    mproc_list_t *l = new_list(name, sizeof name, 16 << 10, 0);
    if (l == NULL) return;
    append_str(l, "parent");
    pid_t pid = test_fork();
    if (pid == 0) {
        mproc_list_t *mine = NULL;
        char item[32];
        if (!CHECK_OK(mproc_list_open(name, &mine))) child_exit();
        CHECK(strcmp(item_str(mine, 0, buf, sizeof buf), "parent") == 0);
        for (int i = 0; i < 2000; i++) {
            snprintf(item, sizeof item, "c%d", i);
            CHECK_OK(mproc_list_append(mine, item, strlen(item), 5.0));
        }
        CHECK_OK(mproc_list_set(mine, 0, "child", 5, 5.0));
        CHECK_OK(mproc_list_close(mine));
        child_exit();
    }
    CHECK_CHILD_EXITED(pid);
    CHECK(list_len(l) == 2001);
    CHECK(strcmp(item_str(l, 0, buf, sizeof buf), "child") == 0);
    CHECK(strcmp(item_str(l, -1, buf, sizeof buf), "c1999") == 0);
    drop_list(l, name);
}

int main(void) {
    RUN(indexes_count_from_either_end);
    RUN(items_are_bytes);
    RUN(slices_clamp_as_python_does);
    RUN(set_slice_replaces_deletes_and_clears);
    RUN(bad_arguments_are_refused);
    RUN(full_list_is_unchanged_and_keeps_working);
    RUN(grows_from_16_kib_to_megabytes);
    RUN(acquire_groups_calls);
    RUN(forked_child_writes_parent_reads);
    return check_report();
}
