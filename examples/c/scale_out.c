/*
 * scale_out.c -- one program, three ways to run its pool: on this host, on MPI ranks it
 * starts itself, or on the ranks mpiexec started.
 *
 *   ./scale_out                         local worker processes
 *   ./scale_out --mpi                   MPI ranks started with MPI_Comm_spawn (dynamic)
 *   mpiexec -n 4 --host a:2,b:2 ./scale_out --mpi
 *                                       rank 0 is the pool, ranks 1-3 its workers (static)
 *
 * The tasks are task references -- libc's abs through "i(i)", library NULL -- because a
 * function pointer means nothing in a process on another host; a reference is looked up
 * by name wherever it runs, the way Python pickles a function by module and name. Only the
 * process that holds the pool prints: the sum of the results and the backend that ran.
 */
#include <mproc/mproc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TASKS = 1000 };

/* "MPROC_EINVAL (...)" for a failed call, then exit: each call here either works or ends
 * the program with a reason. */
static void check(int rc, const char *what) {
    if (rc == MPROC_OK) return;
    fprintf(stderr, "scale_out: %s failed: %s (%s)\n", what, mproc_errname(rc), mproc_last_error());
    exit(1);
}

/* The number of ranks mpiexec started (Open MPI's or MPICH's variable), 1 without it. */
static int mpiexec_ranks(void) {
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (n == NULL) n = getenv("PMI_SIZE");
    return n == NULL ? 1 : atoi(n);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    int mpi = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mpi") == 0) {
            mpi = 1;
        } else {
            fprintf(stderr, "usage: %s [--mpi]\n", argv[0]);
            return 2;
        }
    }
    if (mpi && !mproc_pool_backend_available(MPROC_BACKEND_MPI)) {
        fprintf(stderr,
                "scale_out: no MPI backend (libmproc_mpi.so not found: configure mproc with "
                "-DMPROC_WITH_MPI=ON)\n");
        return 2;
    }

    /* First thing in the program: under mpiexec, ranks 1 .. N-1 stay in this call, serving
     * tasks until rank 0 closes the pool, and then exit. processes 0: one worker per CPU
     * (dynamic), or every other rank (static). */
    mproc_pool_options_t opts;
    check(mproc_pool_options_init(&opts), "mproc_pool_options_init");
    if (mpi) opts.backend = MPROC_BACKEND_MPI;
    mproc_pool_t *pool;
    check(mproc_pool_create(&opts, &pool), "mproc_pool_create");
    int workers = 0;
    check(mproc_pool_processes(pool, &workers), "mproc_pool_processes");
    if (mpi && mpiexec_ranks() > 1 && workers != mpiexec_ranks() - 1) {
        fprintf(stderr, "scale_out: %d worker ranks under mpiexec -n %d, expected %d\n", workers,
                mpiexec_ranks(), mpiexec_ranks() - 1);
        return 1;
    }

    /* abs(-k) for k = 0 .. TASKS-1: the results add up to TASKS * (TASKS - 1) / 2. */
    static mproc_task_t *tasks[TASKS];
    static mproc_future_t *futures[TASKS];
    for (long k = 0; k < TASKS; k++) {
        check(mproc_task_create(NULL, "abs", "i(i)", &tasks[k]), "mproc_task_create");
        check(mproc_task_arg_int(tasks[k], -k), "mproc_task_arg_int");
    }
    /* chunksize 0: automatic, as Python's (TASKS / (4 * workers)). */
    check(mproc_pool_map(pool, (const mproc_task_t *const *)tasks, TASKS, 0, 120.0, futures),
          "mproc_pool_map");
    long long sum = 0;
    for (int k = 0; k < TASKS; k++) {
        mproc_result_t r;
        check(mproc_future_result(futures[k], 0, &r), "mproc_future_result");
        sum += r.i;
    }
    check(mproc_futures_close(futures, TASKS), "mproc_futures_close");
    for (int k = 0; k < TASKS; k++)
        mproc_task_close(tasks[k]);

    /* Pool.close() and join: the workers (and, under mpiexec, the other ranks) exit. */
    check(mproc_pool_shutdown(pool), "mproc_pool_shutdown");
    check(mproc_pool_join(pool, 60.0), "mproc_pool_join");
    check(mproc_pool_close(pool), "mproc_pool_close");

    const char *how = !mpi                  ? "local worker processes"
                      : mpiexec_ranks() > 1 ? "MPI ranks started by mpiexec (static)"
                                            : "MPI ranks it spawned (dynamic)";
    printf("sum of abs(-k) for k < %d: %lld (expected %lld)\n", TASKS, sum,
           (long long)TASKS * (TASKS - 1) / 2);
    printf("backend: %s, %d worker(s)\n", how, workers);
    return sum == (long long)TASKS * (TASKS - 1) / 2 ? 0 : 1;
}
