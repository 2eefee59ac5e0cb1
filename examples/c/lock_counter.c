/*
 * lock_counter.c -- the tutorials' "process lock" sample, across processes with mproc.
 *
 * Python original: array = Array('i', 1); array[0] = 10; lock = RLock(); ten processes
 * each take the lock, decrement array[0], sleep, print "say hi", release. Without the lock
 * the read-sleep-write would lose updates; with it the count goes 9, 8, ... 0 exactly.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, usleep */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
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

enum { PROCESSES = 10 };

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[64];
    snprintf(name, sizeof name, "lock_counter-%d", (int)getpid());

    /* The shared "Array('i', 1)": one int in memory every forked child shares. */
    int *array =
        mmap(NULL, sizeof *array, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (array == MAP_FAILED) return 1;
    array[0] = PROCESSES;

    mproc_lock_t *lock;
    CHECK(mproc_lock_create(name, NULL, &lock));
    for (int i = 0; i < PROCESSES; i++) {
        if (fork() == 0) {
            mproc_lock_t *lc; /* a child attaches by name, as any process could */
            CHECK(mproc_lock_open(name, &lc));
            CHECK(mproc_lock_acquire(lc, 10.0));
            int v = array[0];
            usleep(10 * 1000); /* widen the race window the lock closes */
            array[0] = v - 1;
            printf("say hi %d\n", array[0]);
            CHECK(mproc_lock_release(lc));
            CHECK(mproc_lock_close(lc));
            exit(0);
        }
    }
    int failed = 0, status;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;

    CHECK(mproc_lock_close(lock));
    CHECK(mproc_lock_unlink(name));
    printf("final value %d (expected 0), %d failed processes\n", array[0], failed);
    return array[0] == 0 && failed == 0 ? 0 : 1;
}
