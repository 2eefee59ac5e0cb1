/* Peer of test_containers.py: a C program that writes raw bytes into a named Dict and
 * List made by Python, and reads back what Python stored with set_bytes / append_bytes.
 *
 *   dict_writer <dict name> <list name> <n>
 *
 * Dict: "num" (a C string key, the same key as Python's str "num") = "c-num";
 * "c<i>" = "v<i>" for i < n; the non-UTF-8 key "\xff\x01" = "raw"; then "a" and "b" in
 * one mproc_dict_update. Prints the value of Python's key "py" on stdout.
 * List: appends "item<i>" for i < n; prints item 0 (Python's) on the next line.
 * Exit status: 0 done, 1 an mproc call failed, 2 bad arguments. */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "dict_writer: %s: %s\n", what, mproc_last_error());
    return 1;
}

int main(int argc, char **argv) {
    mproc_dict_t *dict = NULL;
    mproc_list_t *list = NULL;
    char key[32], value[32], buf[256];
    size_t len = 0;
    long n, i;
    if (argc != 4) {
        fprintf(stderr, "usage: dict_writer <dict name> <list name> <n>\n");
        return 2;
    }
    n = strtol(argv[3], NULL, 10);
    if (mproc_dict_open(argv[1], &dict) != MPROC_OK) return fail("dict open");
    if (mproc_list_open(argv[2], &list) != MPROC_OK) return fail("list open");
    if (mproc_dict_set(dict, "num", MPROC_KEY_CSTR, "c-num", 5, 60.0) != MPROC_OK)
        return fail("set num");
    for (i = 0; i < n; ++i) {
        snprintf(key, sizeof key, "c%ld", i);
        snprintf(value, sizeof value, "v%ld", i);
        if (mproc_dict_set(dict, key, MPROC_KEY_CSTR, value, strlen(value), 60.0) != MPROC_OK)
            return fail("set");
        snprintf(value, sizeof value, "item%ld", i);
        if (mproc_list_append(list, value, strlen(value), 60.0) != MPROC_OK) return fail("append");
    }
    if (mproc_dict_set(dict, "\xff\x01", 2, "raw", 3, 60.0) != MPROC_OK) return fail("raw key");
    {
        mproc_bytes_t keys[2] = {{"a", MPROC_KEY_CSTR}, {"b", 1}};
        mproc_bytes_t values[2] = {{"1", 1}, {"22", 2}};
        if (mproc_dict_update(dict, keys, values, 2, 60.0) != MPROC_OK) return fail("update");
    }
    if (mproc_dict_get(dict, "py", MPROC_KEY_CSTR, buf, sizeof buf - 1, &len, 60.0) != MPROC_OK)
        return fail("get py");
    buf[len] = '\0';
    printf("%s\n", buf);
    if (mproc_list_get(list, 0, buf, sizeof buf - 1, &len, 60.0) != MPROC_OK)
        return fail("list get");
    buf[len] = '\0';
    printf("%s\n", buf);
    if (mproc_list_close(list) != MPROC_OK) return fail("list close");
    if (mproc_dict_close(dict) != MPROC_OK) return fail("dict close");
    return 0;
}
