/*
 * semaphore_downloads.c -- the tutorials' download simulation, with a Semaphore.
 *
 * Python original: download_task(filename) prints "start downloading", sleeps a random
 * 5..10 s, prints "done, took N s"; several Processes download at once. Here five files
 * are downloaded by five processes, and a named Semaphore(2) lets at most two run at
 * once (times are scaled down to tenths of a second).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, usleep */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
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

static const char *files[] = {"python-tutorial.pdf", "programmer-health.pdf", "numpy-guide.pdf",
                              "pandas-notes.pdf", "linux-kernel.tar.xz"};
enum { FILES = 5, AT_ONCE = 2 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[64];
    snprintf(name, sizeof name, "downloads-%d", (int)getpid());
    int *running = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                        -1, 0); /* [0] now, [1] most at once */
    if (running == MAP_FAILED) return 1;

    mproc_semaphore_t *sem;
    CHECK(mproc_semaphore_create(name, AT_ONCE, NULL, &sem));
    double start = now();
    for (int i = 0; i < FILES; i++) {
        if (fork() == 0) {
            mproc_semaphore_t *s;
            CHECK(mproc_semaphore_open(name, &s));
            CHECK(mproc_semaphore_acquire(s, 30.0));
            int n = __atomic_add_fetch(&running[0], 1, __ATOMIC_SEQ_CST);
            int most = __atomic_load_n(&running[1], __ATOMIC_SEQ_CST);
            while (n > most && !__atomic_compare_exchange_n(&running[1], &most, n, 0,
                                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            }
            int tenths = 1 + (getpid() + i) % 3;
            printf("start downloading %s... (%d running)\n", files[i], n);
            usleep(tenths * 100 * 1000);
            printf("%s done! took %.1f s\n", files[i], tenths / 10.0);
            __atomic_sub_fetch(&running[0], 1, __ATOMIC_SEQ_CST);
            CHECK(mproc_semaphore_release(s, 1));
            CHECK(mproc_semaphore_close(s));
            exit(0);
        }
    }
    int failed = 0, status;
    while (wait(&status) > 0)
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;

    printf("total %.2f s, at most %d downloads at once (limit %d)\n", now() - start, running[1],
           AT_ONCE);
    CHECK(mproc_semaphore_close(sem));
    CHECK(mproc_semaphore_unlink(name));
    return failed == 0 && running[1] <= AT_ONCE ? 0 : 1;
}
