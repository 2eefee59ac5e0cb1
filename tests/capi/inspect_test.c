/* inspect_test.c -- mproc_object_* driven from C: every kind inspected and removed, a
 * queue's counters, a held lock's holder, the size protocol of mproc_object_names, bad
 * arguments, files of garbage, a creator that died or whose pid was recycled, and the
 * number of processes that map an object. */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- Helpers -------------------------------------------------------------------------- */

static int inspect(const char *name, mproc_object_info_t *info) {
    CHECK_OK(mproc_object_info_init(info));
    return mproc_object_inspect(name, info);
}

static void file_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "/dev/shm/mproc.%s", name);
}

/* Writes `len` bytes as the file of object `name`, which must not exist. */
static void write_object_file(const char *name, const void *bytes, size_t len) {
    char path[256];
    file_path(path, sizeof path, name);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (!CHECK(fd >= 0)) return;
    if (len > 0) CHECK(write(fd, bytes, len) == (ssize_t)len);
    close(fd);
}

/* A header that passes the magic and state checks: kind, version and size as given. */
static void header(unsigned char *bytes, uint32_t kind, uint32_t version, uint64_t size) {
    const uint64_t magic = 0x424f00434f52504dull;
    const uint32_t ready = 0x59444552u, header_size = 64;
    const int32_t pid = (int32_t)getpid();
    memcpy(bytes + 0, &magic, 8);
    memcpy(bytes + 8, &ready, 4);
    memcpy(bytes + 12, &version, 4);
    memcpy(bytes + 16, &kind, 4);
    memcpy(bytes + 20, &header_size, 4);
    memcpy(bytes + 24, &size, 8);
    memcpy(bytes + 32, &pid, 4);
}

/* ---- Every kind ----------------------------------------------------------------------- */

enum { kKinds = 11 };

static void every_kind_reports_itself_and_is_removed(void) {
    char names[kKinds][64];
    static const char *const kind_names[kKinds] = {"lock",      "rlock",   "semaphore", "event",
                                                   "condition", "barrier", "queue",     "value",
                                                   "array",     "dict",    "list"};
    for (int i = 0; i < kKinds; ++i)
        test_name(names[i], sizeof names[i], kind_names[i]);
    mproc_lock_t *lock = NULL;
    mproc_rlock_t *rlock = NULL;
    mproc_semaphore_t *sem = NULL;
    mproc_event_t *event = NULL;
    mproc_condition_t *cond = NULL;
    mproc_barrier_t *barrier = NULL;
    mproc_queue_t *queue = NULL;
    mproc_value_t *value = NULL;
    mproc_array_t *array = NULL;
    mproc_dict_t *dict = NULL;
    mproc_list_t *list = NULL;
    int v = 0;
    CHECK_OK(mproc_lock_create(names[0], NULL, &lock));
    CHECK_OK(mproc_rlock_create(names[1], NULL, &rlock));
    CHECK_OK(mproc_semaphore_create(names[2], 1, NULL, &sem));
    CHECK_OK(mproc_event_create(names[3], NULL, &event));
    CHECK_OK(mproc_condition_create(names[4], NULL, &cond));
    CHECK_OK(mproc_barrier_create(names[5], 2, NULL, &barrier));
    CHECK_OK(mproc_queue_create(names[6], 4, 32, NULL, &queue));
    CHECK_OK(mproc_value_create(names[7], 'i', &v, 1, NULL, &value));
    CHECK_OK(mproc_array_create(names[8], 'd', 5, NULL, 0, NULL, &array));
    CHECK_OK(mproc_dict_create(names[9], 0, 0, NULL, &dict));
    CHECK_OK(mproc_list_create(names[10], 0, 0, NULL, &list));

    for (int i = 0; i < kKinds; ++i) {
        check_context("kind %s", kind_names[i]);
        mproc_object_info_t info;
        CHECK_OK(inspect(names[i], &info));
        CHECK(info.size == sizeof info);
        CHECK(strcmp(info.name, names[i]) == 0);
        CHECK(info.kind == i + 1);
        CHECK(strcmp(info.kind_name, kind_names[i]) == 0);
        CHECK(info.status == MPROC_OK);
        CHECK(info.problem[0] == '\0');
        CHECK(info.layout_version == (i + 1 == MPROC_KIND_QUEUE ? 2u : 1u));
        CHECK(info.bytes >= 64);
        CHECK(info.mode == 0600);
        CHECK(info.uid == (unsigned)getuid());
        CHECK(info.creator_pid == (int)getpid());
        CHECK(info.creator_start_time != 0);
        CHECK(info.creator_alive == 1);
        CHECK(info.users == 1);
        CHECK(info.holder_pid == 0);
        CHECK(info.holder_alive == -1);
    }
    check_context("%s", "");
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_rlock_close(rlock));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_event_close(event));
    CHECK_OK(mproc_condition_close(cond));
    CHECK_OK(mproc_barrier_close(barrier));
    CHECK_OK(mproc_queue_close(queue));
    CHECK_OK(mproc_value_close(value));
    CHECK_OK(mproc_array_close(array));
    CHECK_OK(mproc_dict_close(dict));
    CHECK_OK(mproc_list_close(list));

    for (int i = 0; i < kKinds; ++i) {
        check_context("kind %s", kind_names[i]);
        mproc_object_info_t info;
        CHECK_OK(inspect(names[i], &info));
        CHECK(info.users == 0);
        CHECK_OK(mproc_object_remove(names[i]));
        CHECK_RC(mproc_object_remove(names[i]), MPROC_ENOTFOUND);
        CHECK_RC(inspect(names[i], &info), MPROC_ENOTFOUND);
    }
}

/* ---- Per-kind fields ------------------------------------------------------------------ */

static void queue_reports_depth_capacity_puts_gets(void) {
    char name[64];
    mproc_queue_t *queue = NULL;
    mproc_object_info_t info;
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "queue"), 8, 16, NULL, &queue));
    for (int i = 0; i < 5; ++i)
        CHECK_OK(mproc_queue_put(queue, "hello", 5, 5.0));
    char buf[16];
    size_t len = 0;
    for (int i = 0; i < 2; ++i)
        CHECK_OK(mproc_queue_get(queue, buf, sizeof buf, &len, 5.0));
    CHECK_OK(inspect(name, &info));
    CHECK(info.depth == 3);
    CHECK(info.capacity == 8);
    CHECK(info.puts == 5);
    CHECK(info.gets == 2);
    CHECK_OK(mproc_queue_close(queue));
    CHECK_OK(mproc_object_remove(name));
}

static void held_lock_and_semaphore_value(void) {
    char lock_name[64], sem_name[64];
    mproc_lock_t *lock = NULL;
    mproc_semaphore_t *sem = NULL;
    mproc_object_info_t info;
    CHECK_OK(mproc_lock_create(test_name(lock_name, sizeof lock_name, "lock"), NULL, &lock));
    CHECK_OK(mproc_lock_acquire(lock, 0));
    CHECK_OK(inspect(lock_name, &info));
    CHECK(info.holder_pid == (int)getpid());
    CHECK(info.holder_alive == 1);
    CHECK_OK(mproc_lock_release(lock));
    CHECK_OK(inspect(lock_name, &info));
    CHECK(info.holder_pid == 0);

    CHECK_OK(
        mproc_bounded_semaphore_create(test_name(sem_name, sizeof sem_name, "sem"), 3, NULL, &sem));
    CHECK_OK(mproc_semaphore_acquire(sem, 0));
    CHECK_OK(inspect(sem_name, &info));
    CHECK(info.depth == 2);
    CHECK(info.capacity == 3);
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(mproc_semaphore_close(sem));
    CHECK_OK(mproc_object_remove(lock_name));
    CHECK_OK(mproc_object_remove(sem_name));
}

/* ---- Names ---------------------------------------------------------------------------- */

/* 1 if `name` is one of the `len` bytes of NUL-terminated names at buf. */
static int listed(const char *buf, size_t len, const char *name) {
    for (size_t at = 0; at < len; at += strlen(buf + at) + 1) {
        if (strcmp(buf + at, name) == 0) return 1;
    }
    return 0;
}

static void names_lists_objects_with_the_size_protocol(void) {
    char a[64], b[64];
    mproc_event_t *ea = NULL, *eb = NULL;
    CHECK_OK(mproc_event_create(test_name(a, sizeof a, "names"), NULL, &ea));
    CHECK_OK(mproc_event_create(test_name(b, sizeof b, "names"), NULL, &eb));

    size_t len = 0;
    CHECK_RC(mproc_object_names(NULL, 0, &len), MPROC_ETOOBIG);
    CHECK(len >= strlen(a) + strlen(b) + 2);
    CHECK(mproc_last_error()[0] != '\0');
    CHECK_RC(mproc_object_names(NULL, 0, NULL), MPROC_EINVAL);
    CHECK_RC(mproc_object_names(NULL, 5, &len), MPROC_EINVAL);

    /* Other processes may create and remove objects meanwhile: the contract is that
     * ETOOBIG comes exactly when *len > cap, and then buf is untouched. */
    for (int attempt = 0; attempt < 20; ++attempt) {
        size_t cap = len - 1;
        char *small = malloc(cap);
        memset(small, 'x', cap);
        int rc = mproc_object_names(small, cap, &len);
        CHECK(rc == (len > cap ? MPROC_ETOOBIG : MPROC_OK));
        if (rc == MPROC_ETOOBIG) {
            int untouched = 1;
            for (size_t i = 0; i < cap; ++i)
                untouched &= small[i] == 'x';
            CHECK(untouched);
        }
        free(small);

        cap = len + 4096;
        char *buf = malloc(cap);
        rc = mproc_object_names(buf, cap, &len);
        if (rc == MPROC_ETOOBIG) { /* grew by a page meanwhile: try again */
            free(buf);
            continue;
        }
        CHECK_OK(rc);
        CHECK(len <= cap);
        CHECK(listed(buf, len, a));
        CHECK(listed(buf, len, b));
        int sorted = 1;
        const char *previous = NULL;
        for (size_t at = 0; at < len; at += strlen(buf + at) + 1) {
            if (previous != NULL && strcmp(previous, buf + at) >= 0) sorted = 0;
            previous = buf + at;
        }
        CHECK(sorted);
        CHECK(len == 0 || buf[len - 1] == '\0');
        free(buf);
        break;
    }
    CHECK_OK(mproc_event_close(ea));
    CHECK_OK(mproc_event_close(eb));
    CHECK_OK(mproc_object_remove(a));
    CHECK_OK(mproc_object_remove(b));
}

/* ---- Errors --------------------------------------------------------------------------- */

static void bad_arguments_are_einval(void) {
    char name[64];
    mproc_object_info_t info;
    test_name(name, sizeof name, "missing");
    CHECK_RC(mproc_object_info_init(NULL), MPROC_EINVAL);
    CHECK_OK(mproc_object_info_init(&info));
    CHECK_RC(mproc_object_inspect(NULL, &info), MPROC_EINVAL);
    CHECK_RC(mproc_object_inspect(name, NULL), MPROC_EINVAL);
    memset(&info, 0, sizeof info);
    CHECK_RC(mproc_object_inspect(name, &info), MPROC_EINVAL);
    CHECK(strstr(mproc_last_error(), "mproc_object_info_init") != NULL);
    info.size = sizeof info - 1;
    CHECK_RC(mproc_object_inspect(name, &info), MPROC_EINVAL);
    info.size = (size_t)1 << 20;
    CHECK_RC(mproc_object_inspect(name, &info), MPROC_EINVAL);

    CHECK_RC(inspect(name, &info), MPROC_ENOTFOUND);
    CHECK(strstr(mproc_last_error(), name) != NULL);
    CHECK_RC(mproc_object_remove(name), MPROC_ENOTFOUND);
    CHECK_RC(mproc_object_remove(NULL), MPROC_EINVAL);
    static const char *const bad[] = {"", ".", "..", "a/b", "../etc", "with space"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
        check_context("name '%s'", bad[i]);
        CHECK_RC(inspect(bad[i], &info), MPROC_EINVAL);
        CHECK_RC(mproc_object_remove(bad[i]), MPROC_EINVAL);
    }
    char long_name[MPROC_NAME_MAX + 2];
    memset(long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_RC(inspect(long_name, &info), MPROC_EINVAL);
}

/* ---- Garbage -------------------------------------------------------------------------- */

static void garbage_files_say_what_is_wrong(void) {
    static unsigned char bytes[4096];
    struct {
        const char *what;
        size_t len;
        uint32_t kind, version;
        uint64_t size;
        int with_header;
        int status, reported_kind;
    } cases[] = {
        {"too short", 10, 0, 0, 0, 0, MPROC_EKIND, 0},
        {"bad magic", 4096, 0, 0, 0, 0, MPROC_EKIND, 0},
        {"other version", 4096, MPROC_KIND_ARRAY, 42, 4096, 1, MPROC_EVERSION, MPROC_KIND_ARRAY},
        {"unknown kind", 4096, 99, 1, 4096, 1, MPROC_EKIND, 0},
        {"size over the file", 4096, MPROC_KIND_ARRAY, 1, 1u << 20, 1, MPROC_ECORRUPT,
         MPROC_KIND_ARRAY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        check_context("%s", cases[i].what);
        char name[64];
        test_name(name, sizeof name, "garbage");
        memset(bytes, 0x5a, sizeof bytes);
        if (cases[i].with_header) header(bytes, cases[i].kind, cases[i].version, cases[i].size);
        write_object_file(name, bytes, cases[i].len);
        mproc_object_info_t info;
        CHECK_OK(inspect(name, &info));
        CHECK(info.status == cases[i].status);
        CHECK(info.problem[0] != '\0');
        CHECK(info.kind == cases[i].reported_kind);
        if (cases[i].reported_kind == 0) CHECK(strcmp(info.kind_name, "unknown") == 0);
        CHECK(info.bytes == cases[i].len);
        CHECK(info.users == 0);
        CHECK_OK(mproc_object_remove(name));
    }
}

/* ---- Creators and users --------------------------------------------------------------- */

static void a_creator_that_exited_is_dead(void) {
    char name[64];
    test_name(name, sizeof name, "orphan");
    pid_t child = test_fork();
    if (child == 0) {
        mproc_event_t *event = NULL;
        CHECK_OK(mproc_event_create(name, NULL, &event));
        CHECK_OK(mproc_event_close(event));
        child_exit();
    }
    CHECK_CHILD_EXITED(child);
    mproc_object_info_t info;
    CHECK_OK(inspect(name, &info));
    CHECK(info.creator_pid == (int)child);
    CHECK(info.creator_alive == 0);
    CHECK_OK(mproc_object_remove(name));
}

static void a_recycled_creator_pid_is_dead(void) {
    char name[64], path[256];
    mproc_lock_t *lock = NULL;
    mproc_object_info_t info;
    CHECK_OK(mproc_lock_create(test_name(name, sizeof name, "recycled"), NULL, &lock));
    CHECK_OK(mproc_lock_close(lock));
    CHECK_OK(inspect(name, &info));
    CHECK(info.creator_alive == 1);
    /* Our pid, but another start time: the process that made it is gone. */
    uint64_t other = info.creator_start_time + 1;
    file_path(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK(pwrite(fd, &other, sizeof other, 40) == (ssize_t)sizeof other);
    close(fd);
    CHECK_OK(inspect(name, &info));
    CHECK(info.creator_pid == (int)getpid());
    CHECK(info.creator_start_time == other);
    CHECK(info.creator_alive == 0);
    CHECK_OK(mproc_object_remove(name));
}

static void users_counts_the_processes_that_map_it(void) {
    char name[64];
    mproc_queue_t *queue = NULL;
    mproc_object_info_t info;
    atomic_int *flags = shared_alloc(2 * sizeof(atomic_int)); /* [0] opened, [1] leave */
    CHECK_OK(mproc_queue_create(test_name(name, sizeof name, "users"), 2, 8, NULL, &queue));
    CHECK_OK(mproc_queue_close(queue));
    CHECK_OK(inspect(name, &info));
    CHECK(info.users == 0);
    pid_t child = test_fork();
    if (child == 0) {
        mproc_queue_t *mine = NULL;
        CHECK_OK(mproc_queue_open(name, &mine));
        atomic_store(&flags[0], 1);
        CHECK(await_at_least(&flags[1], 1, 30.0));
        CHECK_OK(mproc_queue_close(mine));
        child_exit();
    }
    CHECK(await_at_least(&flags[0], 1, 30.0));
    CHECK_OK(inspect(name, &info));
    CHECK(info.users == 1);
    CHECK_OK(mproc_queue_open(name, &queue));
    CHECK_OK(inspect(name, &info));
    CHECK(info.users == 2);
    CHECK_OK(mproc_queue_close(queue));
    atomic_store(&flags[1], 1);
    CHECK_CHILD_EXITED(child);
    CHECK_OK(inspect(name, &info));
    CHECK(info.users == 0);
    CHECK_OK(mproc_object_remove(name));
    shared_free(flags, 2 * sizeof(atomic_int));
}

int main(void) {
    RUN(every_kind_reports_itself_and_is_removed);
    RUN(queue_reports_depth_capacity_puts_gets);
    RUN(held_lock_and_semaphore_value);
    RUN(names_lists_objects_with_the_size_protocol);
    RUN(bad_arguments_are_einval);
    RUN(garbage_files_say_what_is_wrong);
    RUN(a_creator_that_exited_is_dead);
    RUN(a_recycled_creator_pid_is_dead);
    RUN(users_counts_the_processes_that_map_it);
    return check_report();
}
