/*
 * event_start.c -- the tutorials' Event: processes block until one of them sets a flag.
 *
 * Python original: workers call event.wait() and stay blocked until the main process,
 * once it is ready, calls event.set(); then they all go at once. Here three processes
 * open a named Event and wait for it; the parent shows that a wait with a timeout gives
 * up when nobody sets the flag, then sets it and every worker starts.
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

enum { WORKERS = 3 };

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char name[64];
    snprintf(name, sizeof name, "event_start-%d", (int)getpid());

    mproc_event_t *start;
    CHECK(mproc_event_create(name, NULL, &start));
    for (int i = 0; i < WORKERS; i++) {
        if (fork() == 0) {
            mproc_event_t *ev;
            CHECK(mproc_event_open(name, &ev));
            printf("worker %d: waiting for the start signal\n", i);
            CHECK(mproc_event_wait(ev, 10.0));
            printf("worker %d: got it, working\n", i);
            CHECK(mproc_event_close(ev));
            exit(0);
        }
    }

    /* Nobody has set the flag yet: a bounded wait gives up with MPROC_ETIMEDOUT. */
    int rc = mproc_event_wait(start, 0.2);
    printf("main: wait(0.2) before set -> %s\n", mproc_errname(rc));
    int ok = rc == MPROC_ETIMEDOUT;

    printf("main: ready, setting the event\n");
    CHECK(mproc_event_set(start));
    int is_set = 0;
    CHECK(mproc_event_is_set(start, &is_set));
    ok = ok && is_set;

    int status;
    while (wait(&status) > 0)
        ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK(mproc_event_close(start));
    CHECK(mproc_event_unlink(name));
    printf("main: all workers done: %s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
}
