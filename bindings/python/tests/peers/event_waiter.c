/* Peer of test_cross_language.py: a C program that waits for a named Event set by Python.
 *
 *   event_waiter <event name> <timeout seconds>
 *
 * Opens the event, prints "ready" (flushed) and waits up to the timeout.
 * Exit status: 0 the event was set within the timeout, 3 timed out, 1 an mproc call
 * failed, 2 bad arguments. */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    mproc_event_t *event = NULL;
    double timeout;
    int rc;
    if (argc != 3) {
        fprintf(stderr, "usage: event_waiter <event name> <timeout seconds>\n");
        return 2;
    }
    timeout = strtod(argv[2], NULL);
    if (mproc_event_open(argv[1], &event) != MPROC_OK) {
        fprintf(stderr, "event_waiter: open: %s\n", mproc_last_error());
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    rc = mproc_event_wait(event, timeout);
    if (rc != MPROC_OK && rc != MPROC_ETIMEDOUT) {
        fprintf(stderr, "event_waiter: wait: %s\n", mproc_last_error());
    }
    mproc_event_close(event);
    if (rc == MPROC_OK) return 0;
    return rc == MPROC_ETIMEDOUT ? 3 : 1;
}
