/* connection_test.c -- mproc_pipe and mproc_connection_* driven from C: round trips of
 * every size over duplex and one-way pipes, between threads and processes; a too-small
 * buffer keeps the message; EOF; EPIPE without SIGPIPE; timeouts and poll; close waking a
 * blocked receive; wrapping a descriptor; and bad input for every entry point. */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>

/* Bytes that depend on size and seed, so a message shows where it came from. */
static void fill_pattern(unsigned char *p, size_t size, unsigned seed) {
    uint32_t x = 2463534242u ^ seed ^ (uint32_t)size;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
}

static int has_pattern(const unsigned char *p, size_t size, unsigned seed) {
    unsigned char *want = malloc(size > 0 ? size : 1);
    fill_pattern(want, size, seed);
    int same = memcmp(p, want, size) == 0;
    free(want);
    return same;
}

static const size_t sizes[] = {0, 1, 4, 100, 16384, 16385, 65536, 1000000, 3u << 20};
enum { NSIZES = sizeof sizes / sizeof sizes[0] };

struct sender_arg {
    mproc_connection_t *conn;
    unsigned seed;
};

static void *send_every_size(void *p) {
    struct sender_arg *arg = p;
    for (int i = 0; i < NSIZES; i++) {
        unsigned char *m = malloc(sizes[i] > 0 ? sizes[i] : 1);
        fill_pattern(m, sizes[i], arg->seed + (unsigned)i);
        CHECK_OK(mproc_connection_send_bytes(arg->conn, m, sizes[i], 10.0));
        free(m);
    }
    return NULL;
}

static void receive_every_size(mproc_connection_t *conn, unsigned seed) {
    for (int i = 0; i < NSIZES; i++) {
        void *data = NULL;
        size_t len = 12345;
        if (!CHECK_OK(mproc_connection_recv_bytes_alloc(conn, &data, &len, 10.0))) return;
        CHECK(data != NULL);
        CHECK(len == sizes[i]);
        CHECK(len == sizes[i] && has_pattern(data, len, seed + (unsigned)i));
        CHECK_OK(mproc_free(data));
    }
}

/* ---- Round trips ---------------------------------------------------------------------- */

static void duplex_round_trips_both_ways(void) {
    mproc_connection_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_pipe(1, &a, &b));
    struct sender_arg from_a = {a, 100}, from_b = {b, 200};
    pthread_t ta = start_thread(send_every_size, &from_a);
    pthread_t tb = start_thread(send_every_size, &from_b);
    receive_every_size(b, 100);
    receive_every_size(a, 200);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_OK(mproc_connection_close(a));
    CHECK_OK(mproc_connection_close(b));
}

static void one_way_pipe_carries_every_size(void) {
    mproc_connection_t *r = NULL, *w = NULL;
    CHECK_OK(mproc_pipe(0, &r, &w));
    struct sender_arg arg = {w, 7};
    pthread_t t = start_thread(send_every_size, &arg);
    receive_every_size(r, 7);
    pthread_join(t, NULL);
    CHECK_OK(mproc_connection_close(r));
    CHECK_OK(mproc_connection_close(w));
}

static void one_way_ends_refuse_the_other_direction(void) {
    mproc_connection_t *r = NULL, *w = NULL;
    CHECK_OK(mproc_pipe(0, &r, &w));
    char buf[8];
    size_t len = 0;
    void *data = NULL;
    int ready = 0;
    CHECK_RC(mproc_connection_send_bytes(r, "x", 1, 0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "receive-only") != NULL);
    CHECK_RC(mproc_connection_recv_bytes(w, buf, sizeof buf, &len, 0), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "send-only") != NULL);
    CHECK_RC(mproc_connection_recv_bytes_alloc(w, &data, &len, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_poll(w, 0, &ready), MPROC_EINVAL);
    CHECK_OK(mproc_connection_close(r));
    CHECK_OK(mproc_connection_close(w));
}

static void recv_into_a_buffer_and_too_small_keeps_the_message(void) {
    mproc_connection_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_pipe(1, &a, &b));
    unsigned char msg[1000];
    fill_pattern(msg, sizeof msg, 3);
    CHECK_OK(mproc_connection_send_bytes(a, msg, sizeof msg, 5.0));
    CHECK_OK(mproc_connection_send_bytes(a, "after", 5, 5.0));
    unsigned char small[10];
    size_t len = 0;
    CHECK_RC(mproc_connection_recv_bytes(b, small, sizeof small, &len, 5.0), MPROC_ETOOBIG);
    CHECK(len == sizeof msg);
    CHECK(strstr(mproc_last_error(), "1000") != NULL);
    len = 0;
    CHECK_RC(mproc_connection_recv_bytes(b, NULL, 0, &len, 0), MPROC_ETOOBIG); /* size probe */
    CHECK(len == sizeof msg);
    int ready = 0;
    CHECK_OK(mproc_connection_poll(b, 0, &ready));
    CHECK(ready == 1);
    unsigned char big[2000];
    CHECK_OK(mproc_connection_recv_bytes(b, big, sizeof big, &len, 5.0));
    CHECK(len == sizeof msg && memcmp(big, msg, sizeof msg) == 0);
    CHECK_OK(mproc_connection_recv_bytes(b, big, sizeof big, &len, 5.0));
    CHECK(len == 5 && memcmp(big, "after", 5) == 0);
    /* A zero-byte message needs no buffer at all. */
    CHECK_OK(mproc_connection_send_bytes(a, NULL, 0, 5.0));
    len = 99;
    CHECK_OK(mproc_connection_recv_bytes(b, NULL, 0, &len, 5.0));
    CHECK(len == 0);
    /* recv_bytes_alloc of zero bytes gives a buffer that mproc_free takes. */
    CHECK_OK(mproc_connection_send_bytes(a, "", 0, 5.0));
    void *data = NULL;
    len = 99;
    CHECK_OK(mproc_connection_recv_bytes_alloc(b, &data, &len, 5.0));
    CHECK(data != NULL && len == 0);
    CHECK_OK(mproc_free(data));
    CHECK_OK(mproc_free(NULL));
    CHECK_OK(mproc_connection_close(a));
    CHECK_OK(mproc_connection_close(b));
}

/* ---- EOF, EPIPE ----------------------------------------------------------------------- */

static void eof_after_the_peer_closes(void) {
    for (int duplex = 0; duplex <= 1; duplex++) {
        check_context("duplex %d", duplex);
        mproc_connection_t *r = NULL, *w = NULL;
        CHECK_OK(mproc_pipe(duplex, &r, &w));
        CHECK_OK(mproc_connection_send_bytes(w, "last", 4, 5.0));
        CHECK_OK(mproc_connection_close(w));
        char buf[16];
        size_t len = 0;
        CHECK_OK(mproc_connection_recv_bytes(r, buf, sizeof buf, &len, 5.0));
        CHECK(len == 4 && memcmp(buf, "last", 4) == 0);
        CHECK_RC(mproc_connection_recv_bytes(r, buf, sizeof buf, &len, 5.0), MPROC_EEOF);
        void *data = NULL;
        CHECK_RC(mproc_connection_recv_bytes_alloc(r, &data, &len, 5.0), MPROC_EEOF);
        CHECK(data == NULL);
        int ready = 0;
        CHECK_OK(mproc_connection_poll(r, 0, &ready));
        CHECK(ready == 1);
        CHECK_OK(mproc_connection_close(r));
    }
}

static void send_to_a_closed_peer_is_epipe_not_sigpipe(void) {
    for (int duplex = 0; duplex <= 1; duplex++) {
        check_context("duplex %d", duplex);
        mproc_connection_t *r = NULL, *w = NULL;
        CHECK_OK(mproc_pipe(duplex, &r, &w));
        CHECK_OK(mproc_connection_close(r));
        pid_t pid = test_fork();
        if (pid == 0) {
            signal(SIGPIPE, SIG_DFL); /* SIGPIPE would kill the child */
            CHECK_RC(mproc_connection_send_bytes(w, "x", 1, 5.0), MPROC_EPIPE);
            CHECK(strstr(mproc_last_error(), "send") != NULL);
            CHECK_RC(mproc_connection_send_bytes(w, NULL, 0, 0), MPROC_EPIPE);
            child_exit();
        }
        CHECK_CHILD_EXITED(pid);
        CHECK_OK(mproc_connection_close(w));
    }
}

/* ---- Timeouts, poll, close ------------------------------------------------------------ */

static void timeouts_and_poll(void) {
    mproc_connection_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_pipe(1, &a, &b));
    char buf[8];
    size_t len = 0;
    int ready = -1;
    CHECK_RC(mproc_connection_recv_bytes(b, buf, sizeof buf, &len, 0), MPROC_ETIMEDOUT);
    double start = now_seconds();
    CHECK_RC(mproc_connection_recv_bytes(b, buf, sizeof buf, &len, 0.15), MPROC_ETIMEDOUT);
    double waited = now_seconds() - start;
    CHECK(waited >= 0.14 && waited < 3.0);
    CHECK_OK(mproc_connection_poll(b, 0, &ready));
    CHECK(ready == 0);
    start = now_seconds();
    CHECK_OK(mproc_connection_poll(b, 0.1, &ready));
    CHECK(ready == 0);
    CHECK(now_seconds() - start >= 0.09);
    CHECK_OK(mproc_connection_send_bytes(a, "hi", 2, 0));
    CHECK_OK(mproc_connection_poll(b, 5.0, &ready));
    CHECK(ready == 1);
    CHECK_OK(mproc_connection_recv_bytes(b, buf, sizeof buf, &len, 0));
    CHECK(len == 2);
    CHECK_OK(mproc_connection_close(a));
    CHECK_OK(mproc_connection_close(b));
}

struct blocked_arg {
    mproc_connection_t *conn;
    atomic_int started;
    atomic_int rc;
};

static void *receive_forever(void *p) {
    struct blocked_arg *arg = p;
    char buf[8];
    size_t len = 0;
    atomic_store(&arg->started, 1);
    atomic_store(&arg->rc, mproc_connection_recv_bytes(arg->conn, buf, sizeof buf, &len, -1));
    return NULL;
}

static void close_wakes_a_blocked_receive(void) {
    mproc_connection_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_pipe(0, &a, &b));
    struct blocked_arg arg = {a, 0, 1};
    pthread_t t = start_thread(receive_forever, &arg);
    CHECK(await_at_least(&arg.started, 1, 10.0));
    sleep_seconds(0.2);
    CHECK(atomic_load(&arg.rc) == 1);
    double start = now_seconds();
    CHECK_OK(mproc_connection_close(a));
    /* Bounded: if close did not wake it, a message would; the rc check then fails. */
    for (int i = 0; i < 400 && atomic_load(&arg.rc) == 1; i++)
        sleep_seconds(0.005);
    if (atomic_load(&arg.rc) == 1) mproc_connection_send_bytes(b, "x", 1, 1.0);
    pthread_join(t, NULL);
    CHECK_RC(atomic_load(&arg.rc), MPROC_ECLOSED);
    CHECK(now_seconds() - start < 2.0);
    CHECK_OK(mproc_connection_close(b));
}

/* ---- Processes ------------------------------------------------------------------------ */

static void forked_child_echoes_reversed(void) {
    mproc_connection_t *parent = NULL, *child = NULL;
    CHECK_OK(mproc_pipe(1, &parent, &child));
    pid_t pid = test_fork();
    if (pid == 0) {
        CHECK_OK(mproc_connection_close(parent));
        for (;;) {
            void *data = NULL;
            size_t len = 0;
            int rc = mproc_connection_recv_bytes_alloc(child, &data, &len, 20.0);
            if (rc == MPROC_EEOF) break;
            if (!CHECK_OK(rc)) break;
            unsigned char *p = data;
            for (size_t i = 0; i < len / 2; i++) {
                unsigned char c = p[i];
                p[i] = p[len - 1 - i];
                p[len - 1 - i] = c;
            }
            CHECK_OK(mproc_connection_send_bytes(child, data, len, 20.0));
            mproc_free(data);
        }
        CHECK_OK(mproc_connection_close(child));
        child_exit();
    }
    CHECK_OK(mproc_connection_close(child));
    const size_t each[] = {0, 1, 2, 65536, 100000};
    for (size_t k = 0; k < sizeof each / sizeof each[0]; k++) {
        size_t n = each[k];
        unsigned char *m = malloc(n + 1);
        fill_pattern(m, n, 11);
        /* 100000 bytes each way fit in the socket buffers, so no thread is needed. */
        CHECK_OK(mproc_connection_send_bytes(parent, m, n, 10.0));
        void *reply = NULL;
        size_t len = 0;
        if (CHECK_OK(mproc_connection_recv_bytes_alloc(parent, &reply, &len, 10.0))) {
            int same = len == n;
            for (size_t i = 0; same && i < n; i++)
                same = ((unsigned char *)reply)[i] == m[n - 1 - i];
            CHECK(same);
        }
        mproc_free(reply);
        free(m);
    }
    CHECK_OK(mproc_connection_close(parent));
    CHECK_CHILD_EXITED(pid);
}

/* ---- Descriptors ---------------------------------------------------------------------- */

static void from_fd_wraps_and_owns_a_descriptor(void) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    mproc_connection_t *r = NULL, *w = NULL;
    CHECK_RC(mproc_connection_from_fd(fds[0], 0, 0, &r), MPROC_EINVAL); /* no direction */
    CHECK(r == NULL);
    CHECK_RC(mproc_connection_from_fd(fds[0], 1, 1, &r), MPROC_EINVAL); /* read end */
    CHECK_OK(mproc_connection_from_fd(fds[0], 1, 0, &r));
    CHECK_OK(mproc_connection_from_fd(fds[1], 0, 1, &w));
    int fd = -1;
    CHECK_OK(mproc_connection_fileno(r, &fd));
    CHECK(fd == fds[0]);
    CHECK_OK(mproc_connection_fileno(w, &fd));
    CHECK(fd == fds[1]);
    CHECK_OK(mproc_connection_send_bytes(w, "abc", 3, 1.0));
    char buf[8];
    size_t len = 0;
    CHECK_OK(mproc_connection_recv_bytes(r, buf, sizeof buf, &len, 1.0));
    CHECK(len == 3 && memcmp(buf, "abc", 3) == 0);
    CHECK_OK(mproc_connection_close(r));
    CHECK_OK(mproc_connection_close(w));
    CHECK(fcntl(fds[0], F_GETFD) == -1 && errno == EBADF); /* closed with the handle */
    CHECK(fcntl(fds[1], F_GETFD) == -1 && errno == EBADF);
    /* A pipe's descriptors, as the C user sees them, are usable in a poll loop. */
    mproc_connection_t *a = NULL, *b = NULL;
    CHECK_OK(mproc_pipe(1, &a, &b));
    CHECK_OK(mproc_connection_fileno(a, &fd));
    CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
    CHECK_OK(mproc_connection_close(a));
    CHECK_OK(mproc_connection_close(b));
}

/* ---- Bad input ------------------------------------------------------------------------ */

static void bad_input_to_every_entry_point(void) {
    mproc_connection_t *a = NULL, *b = NULL, *closed = NULL, *spare = NULL;
    CHECK_OK(mproc_pipe(1, &a, &b));
    CHECK_OK(mproc_pipe(1, &closed, &spare));
    CHECK_OK(mproc_connection_close(closed));
    mproc_event_t *event = NULL;
    CHECK_OK(mproc_event_create(NULL, NULL, &event));
    mproc_connection_t *wrong = (mproc_connection_t *)(void *)event;
    mproc_connection_t *bad[] = {NULL, closed, wrong};
    const double nan_timeout = NAN;
    char buf[8];
    size_t len = 0;
    void *data = NULL;
    int fd = 0, ready = 0;

    /* mproc_pipe */
    CHECK_RC(mproc_pipe(1, NULL, &b), MPROC_EINVAL);
    CHECK_RC(mproc_pipe(0, &a, NULL), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "conn2") != NULL);

    /* mproc_connection_from_fd */
    mproc_connection_t *out = NULL;
    CHECK_RC(mproc_connection_from_fd(0, 1, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_connection_from_fd(-1, 1, 1, &out), MPROC_EINVAL);
    CHECK_RC(mproc_connection_from_fd(1000000, 1, 1, &out), MPROC_EINVAL);
    CHECK(out == NULL);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    if (udp >= 0) {
        CHECK_RC(mproc_connection_from_fd(udp, 1, 1, &out), MPROC_EINVAL);
        close(udp); /* not taken on failure */
    }

    for (int i = 0; i < 3; i++) {
        check_context("handle %s", i == 0 ? "NULL" : i == 1 ? "closed" : "of another kind");
        CHECK_RC(mproc_connection_close(bad[i]), MPROC_EBADHANDLE);
        CHECK_RC(mproc_connection_fileno(bad[i], &fd), MPROC_EBADHANDLE);
        CHECK_RC(mproc_connection_send_bytes(bad[i], "x", 1, 0), MPROC_EBADHANDLE);
        CHECK_RC(mproc_connection_recv_bytes(bad[i], buf, sizeof buf, &len, 0), MPROC_EBADHANDLE);
        CHECK_RC(mproc_connection_recv_bytes_alloc(bad[i], &data, &len, 0), MPROC_EBADHANDLE);
        CHECK_RC(mproc_connection_poll(bad[i], 0, &ready), MPROC_EBADHANDLE);
    }
    check_context("%s", "");

    CHECK_RC(mproc_connection_fileno(a, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_connection_send_bytes(a, NULL, 1, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_send_bytes(a, "x", 1, nan_timeout), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes(a, NULL, 8, &len, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes(a, buf, sizeof buf, NULL, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes(a, buf, sizeof buf, &len, nan_timeout), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes_alloc(a, NULL, &len, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes_alloc(a, &data, NULL, 0), MPROC_EINVAL);
    CHECK_RC(mproc_connection_recv_bytes_alloc(a, &data, &len, nan_timeout), MPROC_EINVAL);
    CHECK_RC(mproc_connection_poll(a, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_connection_poll(a, nan_timeout, &ready), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "NaN") != NULL);

    /* Nothing above disturbed the good pair. */
    CHECK_OK(mproc_connection_send_bytes(a, "ok", 2, 1.0));
    CHECK_OK(mproc_connection_recv_bytes(b, buf, sizeof buf, &len, 1.0));
    CHECK(len == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK_RC(mproc_connection_recv_bytes(b, buf, sizeof buf, &len, 0), MPROC_ETIMEDOUT);

    CHECK_OK(mproc_event_close(event));
    CHECK_OK(mproc_connection_close(spare));
    CHECK_OK(mproc_connection_close(a));
    CHECK_OK(mproc_connection_close(b));
}

int main(void) {
    RUN(duplex_round_trips_both_ways);
    RUN(one_way_pipe_carries_every_size);
    RUN(one_way_ends_refuse_the_other_direction);
    RUN(recv_into_a_buffer_and_too_small_keeps_the_message);
    RUN(eof_after_the_peer_closes);
    RUN(send_to_a_closed_peer_is_epipe_not_sigpipe);
    RUN(timeouts_and_poll);
    RUN(close_wakes_a_blocked_receive);
    RUN(forked_child_echoes_reversed);
    RUN(from_fd_wraps_and_owns_a_descriptor);
    RUN(bad_input_to_every_entry_point);
    return check_report();
}
