/* Peer of test_cross_language.py: a C program that increments one item of a named Array
 * ('i') made by Python, under the Array's own lock (Python's get_lock()).
 *
 *   array_incrementer <array name> <index> <rounds>
 *
 * Each round: acquire the lock, read the item, write it back plus one, release: a plain
 * read-modify-write that only the lock makes safe.
 * Exit status: 0 done, 1 an mproc call failed, 2 bad arguments, 3 not an 'i' array. */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, mproc_array_t *array) {
    fprintf(stderr, "array_incrementer: %s: %s\n", what, mproc_last_error());
    if (array != NULL) mproc_array_close(array);
    return 1;
}

int main(int argc, char **argv) {
    mproc_array_t *array = NULL;
    char typecode = 0;
    size_t index;
    long rounds, i;
    if (argc != 4) {
        fprintf(stderr, "usage: array_incrementer <array name> <index> <rounds>\n");
        return 2;
    }
    index = (size_t)strtoul(argv[2], NULL, 10);
    rounds = strtol(argv[3], NULL, 10);
    if (mproc_array_open(argv[1], &array) != MPROC_OK) return fail("open", NULL);
    if (mproc_array_type(array, &typecode, NULL) != MPROC_OK) return fail("type", array);
    if (typecode != 'i') {
        fprintf(stderr, "array_incrementer: type code '%c', not 'i'\n", typecode);
        mproc_array_close(array);
        return 3;
    }
    for (i = 0; i < rounds; ++i) {
        int item;
        int rc = mproc_array_acquire(array, 60.0);
        if (rc != MPROC_OK && rc != MPROC_EOWNERDEAD) return fail("acquire", array);
        if (mproc_array_get(array, index, &item) != MPROC_OK) return fail("get", array);
        item += 1;
        if (mproc_array_set(array, index, &item) != MPROC_OK) return fail("set", array);
        if (mproc_array_release(array) != MPROC_OK) return fail("release", array);
    }
    if (mproc_array_close(array) != MPROC_OK) return fail("close", NULL);
    return 0;
}
