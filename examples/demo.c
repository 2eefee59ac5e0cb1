/*
 * demo.c -- the classic multiprocessing lessons, done across processes with mproc.
 *
 * Act 1: N forked workers meet at a named Barrier, then take turns, in order, under a
 *        named Lock: each waits on a Condition (over that Lock) until the shared "turn"
 *        counter names it, prints its line, advances the turn and notifies everyone.
 * Act 2: the parent fires an Event "start"; every worker then adds to a shared counter
 *        under the Lock (the result is exact), and "downloads" a file while a Semaphore
 *        lets at most 2 downloads run at once.
 * Act 3: the tutorials' producer / consumer: one process puts 'A', 'B', 'C' into a named
 *        Queue, another opens the queue by name and reads them, in order.
 * Act 4: the tutorials' shared Array: 5 processes each add 1 to a counter in a shared
 *        Array 100 times, under the array's own lock; the result is exactly 500.
 * Act 5: the tutorials' "download two files in parallel", with mproc Processes: two
 *        downloads of 0.4 s and 0.6 s take about 0.6 s together, not 1.0 s.
 * Act 6: a subprocess run with its output captured (mproc_run, like subprocess.run).
 * Act 7: the tutorials' Pool: Pool(4).map over 5 tasks of 0.2 s each, results in order,
 *        in about 0.4 s (two rounds), not 1.0 s.
 * Act 8: the tutorials' Manager().dict(), with no manager process: 10 Processes, one after
 *        the other (start, then join, as the tutorial does), each open a named shared Dict,
 *        set d["num"] = 100 + i and print d.items(); the parent then reads "109".
 *
 * Every object is created by name in the parent and opened by name in the workers, as
 * unrelated processes (in any language) would. Every wait has a timeout.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, usleep, clock_gettime */
#include <mproc/mproc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, ITERATIONS = 10000, MAX_DOWNLOADS = 2 };
static const double TIMEOUT = 10.0; /* seconds, for every wait */

/* Plain data the processes share: an anonymous MAP_SHARED mapping made before fork(). */
struct shared {
    int turn;        /* whose turn it is to print (act 1) */
    long counter;    /* incremented under the lock (act 2) */
    int downloading; /* downloads running now, and the most seen at once */
    int max_downloading;
};
static struct shared *sh;
static pid_t parent;
static char lock_name[64], cond_name[64], barrier_name[64], event_name[64], sem_name[64];
static char queue_name[64], array_name[64], dict_name[64];

/* Every mproc call is checked: on failure say what, why, and exit non-zero. */
#define CHECK(call)                                                                          \
    do {                                                                                     \
        int rc_ = (call);                                                                    \
        if (rc_ != MPROC_OK) {                                                               \
            fprintf(stderr, "[pid %d] %s:%d: %s failed: %s (%s)\n", (int)getpid(), __FILE__, \
                    __LINE__, #call, mproc_errname(rc_), mproc_last_error());                \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

/* The parent removes the names on every exit path; the workers leave them alone. */
static void unlink_names(void) {
    if (getpid() != parent) return;
    mproc_condition_unlink(cond_name);
    mproc_lock_unlink(lock_name);
    mproc_barrier_unlink(barrier_name);
    mproc_event_unlink(event_name);
    mproc_semaphore_unlink(sem_name);
    mproc_queue_unlink(queue_name);
    mproc_array_unlink(array_name);
    mproc_dict_unlink(dict_name);
}

/* The predicate for mproc_condition_wait_for, called with the lock held. */
static int turn_is(void *want) {
    return sh->turn == *(int *)want;
}

static _Noreturn void worker(int id) {
    mproc_lock_t *lock;
    mproc_condition_t *cond;
    mproc_barrier_t *barrier;
    mproc_event_t *start;
    mproc_semaphore_t *sem;
    unsigned int arrival;
    CHECK(mproc_lock_open(lock_name, &lock));
    CHECK(mproc_condition_open(cond_name, &cond));
    CHECK(mproc_barrier_open(barrier_name, &barrier));
    CHECK(mproc_event_open(event_name, &start));
    CHECK(mproc_semaphore_open(sem_name, &sem));

    /* Act 1: nobody goes on before all are here; then one at a time, in order. */
    CHECK(mproc_barrier_wait(barrier, TIMEOUT, &arrival));
    CHECK(mproc_condition_acquire(cond, TIMEOUT));
    CHECK(mproc_condition_wait_for(cond, turn_is, &id, TIMEOUT));
    printf("  worker %d: my turn (pid %d, arrived %u. at the barrier)\n", id, (int)getpid(),
           arrival + 1);
    sh->turn++;
    CHECK(mproc_condition_notify_all(cond));
    CHECK(mproc_condition_release(cond));

    /* Act 2: wait for the start signal, then count under the lock. */
    CHECK(mproc_event_wait(start, TIMEOUT));
    for (int i = 0; i < ITERATIONS; i++) {
        CHECK(mproc_lock_acquire(lock, TIMEOUT));
        long v = sh->counter; /* a read-modify-write that would lose updates unlocked */
        sh->counter = v + 1;
        CHECK(mproc_lock_release(lock));
    }

    /* ...and download one file, with at most MAX_DOWNLOADS running at once. */
    CHECK(mproc_semaphore_acquire(sem, TIMEOUT));
    CHECK(mproc_lock_acquire(lock, TIMEOUT));
    if (++sh->downloading > sh->max_downloading) sh->max_downloading = sh->downloading;
    printf("  worker %d: downloading file-%d.pdf (%d running)\n", id, id, sh->downloading);
    CHECK(mproc_lock_release(lock));
    usleep(200 * 1000);
    CHECK(mproc_lock_acquire(lock, TIMEOUT));
    sh->downloading--;
    printf("  worker %d: file-%d.pdf done\n", id, id);
    CHECK(mproc_lock_release(lock));
    CHECK(mproc_semaphore_release(sem, 1));

    CHECK(mproc_semaphore_close(sem));
    CHECK(mproc_event_close(start));
    CHECK(mproc_barrier_close(barrier));
    CHECK(mproc_condition_close(cond));
    CHECK(mproc_lock_close(lock));
    exit(0);
}

/* Waits for every child, `seconds` in all (then kills it); returns how many failed. */
static int reap(pid_t *pids, int n, double seconds) {
    int failed = 0;
    for (int i = 0, waited_ms = 0; i < n; i++) {
        int status;
        while (waitpid(pids[i], &status, WNOHANG) == 0) {
            if (waited_ms++ > seconds * 1000) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], &status, 0);
                break;
            }
            usleep(1000);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "worker %d (pid %d) failed\n", i, (int)pids[i]);
            failed++;
        }
    }
    return failed;
}

/* Act 3, the producer: puts 'A', 'B', 'C' and then an empty message meaning "no more". */
static int producer(void) {
    mproc_queue_t *q;
    CHECK(mproc_queue_open(queue_name, &q));
    for (const char *item = "ABC"; *item; item++) {
        CHECK(mproc_queue_put(q, item, 1, TIMEOUT));
        printf("  producer %d: put %c\n", (int)getpid(), *item);
    }
    CHECK(mproc_queue_put(q, "", 0, TIMEOUT));
    CHECK(mproc_queue_close(q));
    return 0;
}

/* Act 3, the consumer: opens the same queue by name and gets until the empty message;
 * exits 0 only if it read A, B, C in that order. */
static int consumer(void) {
    mproc_queue_t *q;
    CHECK(mproc_queue_open(queue_name, &q));
    char got[8] = "";
    size_t n = 0;
    for (;;) {
        char item;
        size_t len;
        CHECK(mproc_queue_get(q, &item, sizeof item, &len, TIMEOUT));
        if (len == 0) break;
        printf("  consumer %d: got %c\n", (int)getpid(), item);
        if (n < sizeof got - 1) got[n++] = item;
    }
    CHECK(mproc_queue_close(q));
    return strcmp(got, "ABC") == 0 ? 0 : 1;
}

/* Act 4: one of 5 adders. Read-modify-write of item 0, safe only under the array's lock. */
static int adder(void) {
    mproc_array_t *a;
    CHECK(mproc_array_open(array_name, &a));
    for (int i = 0; i < 100; i++) {
        CHECK(mproc_array_acquire(a, TIMEOUT));
        int value;
        CHECK(mproc_array_get(a, 0, &value));
        value += 1;
        CHECK(mproc_array_set(a, 0, &value));
        CHECK(mproc_array_release(a));
    }
    CHECK(mproc_array_close(a));
    return 0;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Act 5's task: "downloads" a file (sleeps for its size in tenths of a second). */
static int download(void *tenths) {
    int t = (int)(long)tenths;
    usleep((useconds_t)t * 100000u);
    printf("  downloaded file-%d (%.1f s) in process %d\n", t, t / 10.0, (int)getpid());
    return 0;
}

/* Act 5: two downloads in two Processes at once; 1 if the total is the longest, not the
 * sum. */
static int parallel_downloads(void) {
    const long sizes[2] = {4, 6}; /* tenths of a second */
    mproc_process_t *procs[2];
    double start = now_seconds();
    for (int i = 0; i < 2; i++) {
        mproc_task_t *task;
        CHECK(mproc_task_from_function(download, (void *)sizes[i], &task));
        CHECK(mproc_process_create(task, NULL, &procs[i]));
        CHECK(mproc_task_close(task));
        CHECK(mproc_process_start(procs[i]));
    }
    int codes_ok = 1;
    for (int i = 0; i < 2; i++) {
        int code = -1;
        CHECK(mproc_process_join(procs[i], 60.0));
        CHECK(mproc_process_exitcode(procs[i], &code));
        codes_ok = codes_ok && code == 0;
        CHECK(mproc_process_close(procs[i]));
    }
    double took = now_seconds() - start;
    int ok = codes_ok && took < 0.95; /* the sum would be 1.0 s */
    printf("act 5 %s: both downloads took %.2f s (the longest is 0.6 s, the sum 1.0 s)\n",
           ok ? "done" : "FAILED", took);
    return ok;
}

/* Act 6: subprocess.run(["echo", ...], capture_output=True) in C. */
static int captured_subprocess(void) {
    const char *argv[] = {"echo", "hello from a subprocess", NULL};
    mproc_run_result_t result;
    CHECK(mproc_run(argv, NULL, MPROC_RUN_CAPTURE | MPROC_RUN_CHECK, NULL, 0, 30.0, &result));
    int ok = result.returncode == 0 && result.out != NULL &&
             strcmp(result.out, "hello from a subprocess\n") == 0;
    printf("act 6 %s: `echo` returned %d and printed: %s", ok ? "done" : "FAILED",
           result.returncode, result.out != NULL ? result.out : "(nothing)\n");
    mproc_run_result_free(&result);
    return ok;
}

/* Act 7's task, the tutorials' Pool example: "works" 0.2 s, then returns n squared. */
static int square(void *n) {
    int v = (int)(long)n;
    usleep(200000);
    printf("  square(%d) in pool worker %d\n", v, (int)getpid());
    return v * v;
}

/* Act 7: Pool(4).map(square, range(5)), results in order. 1 if they are right. */
static int pool_map(void) {
    enum { N = 5 };
    mproc_pool_options_t opts;
    CHECK(mproc_pool_options_init(&opts));
    opts.processes = 4;
    mproc_pool_t *pool;
    CHECK(mproc_pool_create(&opts, &pool));
    mproc_task_t *tasks[N];
    mproc_future_t *futures[N];
    for (long i = 0; i < N; i++)
        CHECK(mproc_task_from_function(square, (void *)i, &tasks[i]));
    double start = now_seconds();
    CHECK(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, N, 1, 60.0, futures));
    double took = now_seconds() - start;
    int ok = 1;
    printf("  results in order:");
    for (int i = 0; i < N; i++) {
        mproc_result_t result;
        CHECK(mproc_future_result(futures[i], 0, &result));
        printf(" %lld", result.i);
        ok = ok && result.i == (long long)i * i;
    }
    printf("\n");
    CHECK(mproc_futures_close(futures, N));
    for (int i = 0; i < N; i++)
        CHECK(mproc_task_close(tasks[i]));
    CHECK(mproc_pool_shutdown(pool));
    CHECK(mproc_pool_join(pool, 60.0));
    CHECK(mproc_pool_close(pool));
    ok = ok && took < 0.95; /* one process would take 1.0 s; four take two rounds, 0.4 s */
    printf("act 7 %s: map over 5 tasks on 4 processes took %.2f s (one process: 1.0 s)\n",
           ok ? "done" : "FAILED", took);
    return ok;
}

/* Prints a dict's items as Python prints d.items() of str keys and values:
 * [('num', '105')]. Returns the number of items, or -1 on failure. */
static long print_items(const char *label, mproc_dict_t *dict) {
    void *data;
    size_t len, count, offset = 0;
    CHECK(mproc_dict_items(dict, &data, &len, &count, TIMEOUT));
    printf("%s[", label);
    for (size_t i = 0; i < count; i += 2) {
        const void *key, *value;
        size_t key_len, value_len;
        CHECK(mproc_records_next(data, len, &offset, &key, &key_len));
        CHECK(mproc_records_next(data, len, &offset, &value, &value_len));
        printf("%s('%.*s', '%.*s')", i == 0 ? "" : ", ", (int)key_len, (const char *)key,
               (int)value_len, (const char *)value);
    }
    printf("]\n");
    mproc_free(data);
    return (long)(count / 2);
}

/* 1 if the dict holds exactly one item, "num", whose value is `want`. */
static int holds_only_num(mproc_dict_t *dict, const char *want) {
    char value[16];
    size_t n, len;
    CHECK(mproc_dict_len(dict, &n, TIMEOUT));
    if (n != 1) return 0;
    int rc = mproc_dict_get(dict, "num", MPROC_KEY_CSTR, value, sizeof value, &len, TIMEOUT);
    return rc == MPROC_OK && len == strlen(want) && memcmp(value, want, len) == 0;
}

/* Act 8's task, the tutorials' func(i, dic): dic["num"] = 100 + i; print(dic.items()).
 * The number is stored as text, so any language reads it back as "105". Exits 0 only if
 * the dict it prints holds just its own number: the previous process's value was
 * replaced in place, not added. */
static int set_num(void *i) {
    mproc_dict_t *dict;
    char value[16], label[64];
    snprintf(value, sizeof value, "%d", 100 + (int)(long)i);
    snprintf(label, sizeof label, "  process %ld (pid %d): d.items() = ", (long)i, (int)getpid());
    CHECK(mproc_dict_open(dict_name, &dict));
    CHECK(mproc_dict_set(dict, "num", MPROC_KEY_CSTR, value, strlen(value), TIMEOUT));
    print_items(label, dict);
    int ok = holds_only_num(dict, value);
    CHECK(mproc_dict_close(dict));
    return ok ? 0 : 1;
}

/* Act 8: for i in range(10): Process(target=func, args=(i, dic)), start, join -- one
 * after the other, as the tutorial does, so the last one's "109" is what remains. 1 if
 * every process succeeded and the parent reads exactly [('num', '109')]. */
static int manager_dict(void) {
    enum { N = 10 };
    mproc_dict_t *dict;
    CHECK(mproc_dict_create(dict_name, 0, 0, NULL, &dict));
    int codes_ok = 1;
    for (long i = 0; i < N; i++) {
        mproc_task_t *task;
        mproc_process_t *proc;
        int code = -1;
        CHECK(mproc_task_from_function(set_num, (void *)i, &task));
        CHECK(mproc_process_create(task, NULL, &proc));
        CHECK(mproc_task_close(task));
        CHECK(mproc_process_start(proc));
        CHECK(mproc_process_join(proc, 60.0));
        CHECK(mproc_process_exitcode(proc, &code));
        CHECK(mproc_process_close(proc));
        codes_ok = codes_ok && code == 0;
    }
    long items = print_items("  parent: d.items() = ", dict);
    char last[16] = "(none)";
    size_t len = 0;
    if (mproc_dict_get(dict, "num", MPROC_KEY_CSTR, last, sizeof last - 1, &len, TIMEOUT) ==
        MPROC_OK)
        last[len] = '\0';
    int ok = codes_ok && items == 1 && strcmp(last, "109") == 0;
    printf(
        "act 8 %s: %d processes set d[\"num\"] in turn (%s); %ld item(s) left, num = %s "
        "(expected 1, num = 109)\n",
        ok ? "done" : "FAILED", N, codes_ok ? "all exited 0" : "some FAILED", items, last);
    CHECK(mproc_dict_close(dict));
    return ok;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep lines whole when several processes print */
    parent = getpid();
    snprintf(lock_name, sizeof lock_name, "demo-%d-lock", (int)parent);
    snprintf(cond_name, sizeof cond_name, "demo-%d-turn", (int)parent);
    snprintf(barrier_name, sizeof barrier_name, "demo-%d-barrier", (int)parent);
    snprintf(event_name, sizeof event_name, "demo-%d-start", (int)parent);
    snprintf(sem_name, sizeof sem_name, "demo-%d-downloads", (int)parent);
    snprintf(queue_name, sizeof queue_name, "demo-%d-queue", (int)parent);
    snprintf(array_name, sizeof array_name, "demo-%d-array", (int)parent);
    snprintf(dict_name, sizeof dict_name, "demo-%d-dict", (int)parent);
    atexit(unlink_names);

    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }

    mproc_lock_t *lock;
    mproc_condition_t *cond;
    mproc_barrier_t *barrier;
    mproc_event_t *start;
    mproc_semaphore_t *sem;
    CHECK(mproc_lock_create(lock_name, NULL, &lock));
    CHECK(mproc_condition_create_with_lock(cond_name, lock, NULL, &cond));
    CHECK(mproc_barrier_create(barrier_name, WORKERS, NULL, &barrier));
    CHECK(mproc_event_create(event_name, NULL, &start));
    CHECK(mproc_semaphore_create(sem_name, MAX_DOWNLOADS, NULL, &sem));
    printf("mproc %s demo: %d worker processes, objects named demo-%d-*\n", mproc_version(),
           WORKERS, (int)parent);

    printf("act 1: barrier, then turns in order under a lock + condition\n");
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        fflush(stdout);
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pids[i] == 0) worker(i); /* never returns */
    }
    int everyone = WORKERS; /* the parent waits, like the workers, for the turn to pass N */
    CHECK(mproc_condition_acquire(cond, TIMEOUT));
    CHECK(mproc_condition_wait_for(cond, turn_is, &everyone, TIMEOUT));
    CHECK(mproc_condition_release(cond));
    printf("act 1 done: all %d workers took their turn in order\n", WORKERS);

    printf("act 2: event \"start\" -> counter under the lock, downloads under a semaphore(%d)\n",
           MAX_DOWNLOADS);
    CHECK(mproc_event_set(start));
    int failed = reap(pids, WORKERS, 60.0);

    printf("counter = %ld (expected %d), at most %d downloads at once (limit %d)\n", sh->counter,
           WORKERS * ITERATIONS, sh->max_downloading, MAX_DOWNLOADS);
    int ok = failed == 0 && sh->counter == (long)WORKERS * ITERATIONS && sh->max_downloading >= 1 &&
             sh->max_downloading <= MAX_DOWNLOADS;

    printf("act 3: producer / consumer over a named queue\n");
    mproc_queue_t *queue;
    CHECK(mproc_queue_create(queue_name, 2, 1, NULL, &queue)); /* room for 2 one-byte items */
    pid_t pair[2];
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        pair[i] = fork();
        if (pair[i] < 0) {
            perror("fork");
            return 1;
        }
        if (pair[i] == 0) _exit(i == 0 ? producer() : consumer());
    }
    int queue_failed = reap(pair, 2, 60.0);
    printf("act 3 %s: the consumer read A, B, C in order\n", queue_failed ? "FAILED" : "done");
    ok = ok && queue_failed == 0;
    CHECK(mproc_queue_close(queue));

    printf("act 4: 5 processes add 100 each to a shared Array under its lock\n");
    mproc_array_t *array;
    const int zeros[2] = {0, 0};
    CHECK(mproc_array_create(array_name, 'i', 2, zeros, 1, NULL, &array));
    pid_t adders[5];
    for (int i = 0; i < 5; i++) {
        fflush(stdout);
        adders[i] = fork();
        if (adders[i] < 0) {
            perror("fork");
            return 1;
        }
        if (adders[i] == 0) _exit(adder());
    }
    int adders_failed = reap(adders, 5, 60.0);
    int total = -1;
    CHECK(mproc_array_get(array, 0, &total));
    printf("act 4 %s: array[0] = %d (expected 500)\n",
           adders_failed == 0 && total == 500 ? "done" : "FAILED", total);
    ok = ok && adders_failed == 0 && total == 500;
    CHECK(mproc_array_close(array));

    printf("act 5: two downloads in parallel, one Process each\n");
    ok = parallel_downloads() && ok;
    printf("act 6: a subprocess with its output captured\n");
    ok = captured_subprocess() && ok;
    printf("act 7: Pool(4).map(square, range(5))\n");
    ok = pool_map() && ok;
    printf("act 8: Manager().dict() without a manager: 10 processes set d[\"num\"] = 100 + i\n");
    ok = manager_dict() && ok;

    CHECK(mproc_semaphore_close(sem));
    CHECK(mproc_event_close(start));
    CHECK(mproc_barrier_close(barrier));
    CHECK(mproc_condition_close(cond));
    CHECK(mproc_lock_close(lock));
    printf(ok ? "demo OK\n" : "demo FAILED\n");
    return ok ? 0 : 1;
}
