/* connection_peer.c -- the C end of the Python interop test (python_connection_test.py).
 *
 *   connection_peer echo <read_fd> <write_fd>
 *       Wraps the inherited descriptors (the same one twice: a duplex socket), sends a
 *       greeting of messages of known sizes and content, then answers every message with
 *       its bytes reversed, until the end of the stream. Exit 0 on a clean EOF.
 *   connection_peer epipe <write_fd>
 *       Sends to a pipe whose reading end is closed: exit 0 if that is MPROC_EPIPE and the
 *       process was not killed by SIGPIPE (SIGPIPE is at its default action here).
 *
 * Every receive has a timeout, so a broken peer fails instead of hanging the test. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mproc/mproc.h"

static const size_t greeting_sizes[] = {0, 1, 16384, 16385, 65536, 1u << 20};

static int fail(const char *what, int rc) {
    fprintf(stderr, "connection_peer: %s: %s (%s)\n", what, mproc_errname(rc), mproc_last_error());
    return 1;
}

/* Byte i of the greeting message of `size` bytes; the Python test computes the same. */
static unsigned char greeting_byte(size_t i, size_t size) {
    return (unsigned char)((i * 31 + size) & 0xff);
}

static int echo(int read_fd, int write_fd) {
    mproc_connection_t *in = NULL, *out = NULL;
    int rc;
    if (read_fd == write_fd) {
        rc = mproc_connection_from_fd(read_fd, 1, 1, &in);
        if (rc != MPROC_OK) return fail("from_fd", rc);
        out = in;
    } else {
        rc = mproc_connection_from_fd(read_fd, 1, 0, &in);
        if (rc != MPROC_OK) return fail("from_fd (read)", rc);
        rc = mproc_connection_from_fd(write_fd, 0, 1, &out);
        if (rc != MPROC_OK) return fail("from_fd (write)", rc);
    }
    for (size_t k = 0; k < sizeof greeting_sizes / sizeof greeting_sizes[0]; k++) {
        size_t size = greeting_sizes[k];
        unsigned char *m = malloc(size + 1);
        if (m == NULL) return fail("malloc", MPROC_ENOMEM);
        for (size_t i = 0; i < size; i++)
            m[i] = greeting_byte(i, size);
        rc = mproc_connection_send_bytes(out, m, size, 60.0);
        free(m);
        if (rc != MPROC_OK) return fail("send greeting", rc);
    }
    for (;;) {
        void *data = NULL;
        size_t len = 0;
        rc = mproc_connection_recv_bytes_alloc(in, &data, &len, 60.0);
        if (rc == MPROC_EEOF) break;
        if (rc != MPROC_OK) return fail("receive", rc);
        unsigned char *p = data;
        for (size_t i = 0; i < len / 2; i++) {
            unsigned char c = p[i];
            p[i] = p[len - 1 - i];
            p[len - 1 - i] = c;
        }
        rc = mproc_connection_send_bytes(out, data, len, 60.0);
        mproc_free(data);
        if (rc != MPROC_OK) return fail("send reply", rc);
    }
    if (out != in) mproc_connection_close(out);
    mproc_connection_close(in);
    return 0;
}

static int epipe(int write_fd) {
    signal(SIGPIPE, SIG_DFL);
    mproc_connection_t *out = NULL;
    int rc = mproc_connection_from_fd(write_fd, 0, 1, &out);
    if (rc != MPROC_OK) return fail("from_fd", rc);
    rc = mproc_connection_send_bytes(out, "x", 1, 10.0);
    if (rc != MPROC_EPIPE) return fail("send to a closed reader (want MPROC_EPIPE)", rc);
    mproc_connection_close(out);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "echo") == 0) return echo(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "epipe") == 0) return epipe(atoi(argv[2]));
    fprintf(stderr, "usage: connection_peer echo <read_fd> <write_fd> | epipe <write_fd>\n");
    return 2;
}
