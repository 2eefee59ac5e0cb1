/* Consumer of an installed mproc (found through pkg-config): a named Lock and Queue, a
 * Process started with fork that talks to its parent through them, and one started with
 * spawn, which runs the installed mproc-worker. argv[1] is the install prefix: the
 * library loaded and the worker run must both come from there. Exits 0 when all is well. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mproc/mproc.h>

#define CHECK(call)                                                                      \
    do {                                                                                 \
        int rc_ = (call);                                                                \
        if (rc_ != MPROC_OK) {                                                           \
            fprintf(stderr, "consumer: %s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call, \
                    mproc_errname(rc_), mproc_last_error());                             \
            exit(1);                                                                     \
        }                                                                                \
    } while (0)

static void fail(const char *what) {
    fprintf(stderr, "consumer: %s\n", what);
    exit(1);
}

struct names {
    char lock[64];
    char queue[64];
};

static const char kMessage[] = "hello from the fork child";

/* The fork child: opens both objects by name and sends a message under the lock. */
static int child(void *arg) {
    const struct names *names = arg;
    mproc_lock_t *lock = NULL;
    mproc_queue_t *queue = NULL;
    if (mproc_lock_open(names->lock, &lock) != MPROC_OK) return 2;
    if (mproc_queue_open(names->queue, &queue) != MPROC_OK) return 3;
    if (mproc_lock_acquire(lock, 10.0) != MPROC_OK) return 4;
    if (mproc_queue_put(queue, kMessage, sizeof kMessage, 10.0) != MPROC_OK) return 5;
    if (mproc_lock_release(lock) != MPROC_OK) return 6;
    mproc_queue_close(queue);
    mproc_lock_close(lock);
    return 42;
}

/* 1 if `path` resolves to a file under the directory `prefix`. */
static int under(const char *path, const char *prefix) {
    char real_path[PATH_MAX], real_prefix[PATH_MAX];
    if (realpath(path, real_path) == NULL || realpath(prefix, real_prefix) == NULL) return 0;
    size_t n = strlen(real_prefix);
    return strncmp(real_path, real_prefix, n) == 0 && real_path[n] == '/';
}

int main(int argc, char **argv) {
    if (argc != 2) fail("usage: consumer <install prefix>");
    const char *prefix = argv[1];
    printf("mproc %s\n", mproc_version());

    Dl_info info;
    if (dladdr((void *)mproc_version, &info) == 0 || info.dli_fname == NULL)
        fail("dladdr(mproc_version) failed");
    printf("library: %s\n", info.dli_fname);
    if (!under(info.dli_fname, prefix)) fail("libmproc was not loaded from the install prefix");

    struct names names;
    snprintf(names.lock, sizeof names.lock, "consumer_c_lock_%ld", (long)getpid());
    snprintf(names.queue, sizeof names.queue, "consumer_c_queue_%ld", (long)getpid());
    mproc_lock_t *lock = NULL;
    mproc_queue_t *queue = NULL;
    CHECK(mproc_lock_create(names.lock, NULL, &lock));
    CHECK(mproc_queue_create(names.queue, 4, 128, NULL, &queue));

    /* fork */
    mproc_task_t *task = NULL;
    mproc_process_t *process = NULL;
    mproc_process_options_t opts;
    CHECK(mproc_task_from_function(child, &names, &task));
    CHECK(mproc_process_options_init(&opts));
    opts.start_method = MPROC_START_FORK;
    CHECK(mproc_process_create(task, &opts, &process));
    CHECK(mproc_process_start(process));
    char buf[128];
    size_t len = 0;
    CHECK(mproc_queue_get(queue, buf, sizeof buf, &len, 30.0));
    if (len != sizeof kMessage || memcmp(buf, kMessage, len) != 0) fail("wrong message");
    CHECK(mproc_process_join(process, 30.0));
    int exitcode = -1;
    CHECK(mproc_process_exitcode(process, &exitcode));
    if (exitcode != 42) {
        fprintf(stderr, "consumer: fork child exit code %d, expected 42\n", exitcode);
        return 1;
    }
    CHECK(mproc_process_close(process));
    CHECK(mproc_task_close(task));
    printf("fork: got \"%s\", exit code %d\n", buf, exitcode);

    /* spawn: sleep(2) in libc, run by mproc-worker, which must be the installed one. */
    CHECK(mproc_task_create("libc.so.6", "sleep", "I(I)", &task));
    CHECK(mproc_task_arg_uint(task, 2));
    opts.start_method = MPROC_START_SPAWN;
    CHECK(mproc_process_create(task, &opts, &process));
    CHECK(mproc_process_start(process));
    int pid = 0;
    CHECK(mproc_process_pid(process, &pid));
    char self[PATH_MAX], exe[PATH_MAX], link[64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) fail("readlink /proc/self/exe");
    self[n] = '\0';
    snprintf(link, sizeof link, "/proc/%d/exe", pid);
    exe[0] = '\0';
    for (int i = 0; i < 150; ++i) { /* until the child has exec'd: 1.5 s at most */
        n = readlink(link, exe, sizeof exe - 1);
        if (n > 0) {
            exe[n] = '\0';
            if (strcmp(exe, self) != 0) break;
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    printf("spawn: the child runs %s\n", exe);
    if (strstr(exe, "mproc-worker") == NULL || !under(exe, prefix))
        fail("the spawned child is not the installed mproc-worker");
    CHECK(mproc_process_join(process, 30.0));
    CHECK(mproc_process_exitcode(process, &exitcode));
    if (exitcode != 0) {
        fprintf(stderr, "consumer: spawn child exit code %d, expected 0\n", exitcode);
        return 1;
    }
    CHECK(mproc_process_close(process));
    CHECK(mproc_task_close(task));

    CHECK(mproc_queue_close(queue));
    CHECK(mproc_lock_close(lock));
    CHECK(mproc_queue_unlink(names.queue));
    CHECK(mproc_lock_unlink(names.lock));
    printf("consumer (C, pkg-config): OK\n");
    return 0;
}
