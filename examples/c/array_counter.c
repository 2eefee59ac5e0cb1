/*
 * array_counter.c -- the tutorials' shared Array counter, across processes with mproc.
 *
 * Python original: arr = Array('i', 1); five processes each run
 * `for _ in range(100): with arr.get_lock(): arr[0] += 1`. The += is a read and a write,
 * so without the lock updates are lost; with the array's own lock the result is exact: 500.
 */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                            \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ != MPROC_OK) {                                                 \
            fprintf(stderr, "%s failed: %s (%s)\n", #call, mproc_errname(rc_), \
                    mproc_last_error());                                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

enum { PROCESSES = 5, ROUNDS = 100 };

int main(void) {
    char name[64];
    snprintf(name, sizeof name, "array_counter-%d", (int)getpid());

    mproc_array_t *arr; /* Array('i', 1) with its lock, zeroed */
    CHECK(mproc_array_create(name, 'i', 1, NULL, 1, NULL, &arr));
    for (int p = 0; p < PROCESSES; p++) {
        if (fork() == 0) {
            mproc_array_t *mine; /* a child attaches by name, as any process could */
            CHECK(mproc_array_open(name, &mine));
            for (int i = 0; i < ROUNDS; i++) {
                int v;
                CHECK(mproc_array_acquire(mine, 10.0)); /* with arr.get_lock(): */
                CHECK(mproc_array_get(mine, 0, &v));
                v += 1; /* arr[0] += 1 */
                CHECK(mproc_array_set(mine, 0, &v));
                CHECK(mproc_array_release(mine));
            }
            CHECK(mproc_array_close(mine));
            exit(0);
        }
    }
    int failed = 0, status, total;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;

    CHECK(mproc_array_get(arr, 0, &total));
    CHECK(mproc_array_close(arr));
    CHECK(mproc_array_unlink(name));
    printf("counter %d (expected %d), %d failed processes\n", total, PROCESSES * ROUNDS, failed);
    return total == PROCESSES * ROUNDS && failed == 0 ? 0 : 1;
}
