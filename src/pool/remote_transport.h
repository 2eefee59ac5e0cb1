/* The seam between a remote process pool (RemotePool, in libmproc) and the library that
 * carries its messages between hosts (libmproc_mpi.so, built only with MPROC_WITH_MPI).
 * libmproc never links MPI: it dlopens the plugin and calls it only through this table,
 * so plain C types cross the boundary and neither side throws into the other.
 *
 * Messages are opaque byte strings (the process pool's wire format, pool_wire.hpp); the
 * transport delivers each message whole, in order per (sender, receiver) pair, or reports
 * the peer lost. It also keeps the liveness of peers (heartbeats): a peer that has sent
 * nothing, not even a heartbeat, for `heartbeat_timeout` seconds is reported lost once.
 *
 * Two roles. In a pool's process, peers are the workers 0 .. workers-1. In a worker
 * process (mproc-mpi-worker, or a rank > 0 that called mproc_pool_create under mpiexec),
 * there is one peer, 0: the pool.
 *
 * Threads: poll() is called by one thread at a time; send() may be called from any thread
 * at any time, also during a poll() (the plugin serialises its MPI calls). close() is
 * called once, by the thread that polls, after which the table is not used again. */
#ifndef MPROC_REMOTE_TRANSPORT_H
#define MPROC_REMOTE_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this file changes shape; the plugin refuses another version. */
#define MPROC_REMOTE_ABI 1

/* The symbol libmproc looks up in the plugin (mproc_remote_open_fn). */
#define MPROC_REMOTE_OPEN_SYMBOL "mproc_mpi_transport_open"

enum mproc_remote_role {
    MPROC_REMOTE_POOL = 0,   /* this process is the pool */
    MPROC_REMOTE_WORKER = 1, /* this process is a worker */
};

typedef struct mproc_remote_options {
    uint32_t abi; /* MPROC_REMOTE_ABI */
    int workers;  /* pool, dynamic start: how many workers to spawn (> 0). Static start
                     (under mpiexec with more than one rank): 0, or the number of other
                     ranks; anything else is an error. */
    const char *worker_program; /* dynamic start: the program to spawn (mproc-mpi-worker) */
    const char *info;           /* dynamic start: MPI_Info for MPI_Comm_spawn, as
                                   "key=value;key=value" (e.g. "host=a,b"); NULL or "" none */
    double heartbeat_interval;  /* seconds between heartbeats (> 0) */
    double heartbeat_timeout;   /* seconds of silence after which a peer is lost (> interval) */
} mproc_remote_options_t;

enum mproc_remote_event_kind {
    MPROC_REMOTE_NONE = 0,    /* the timeout passed */
    MPROC_REMOTE_MESSAGE = 1, /* data/len: a message from `peer` */
    MPROC_REMOTE_LOST = 2,    /* `peer` is lost (text: why); reported once per peer */
};

typedef struct mproc_remote_event {
    int kind;         /* mproc_remote_event_kind */
    int peer;         /* which peer */
    const void *data; /* MESSAGE: valid until the next poll() */
    size_t len;
    const char *text; /* LOST: why, e.g. "no heartbeat for 10.0 s"; valid until the next poll() */
} mproc_remote_event_t;

typedef struct mproc_remote_transport mproc_remote_transport_t;
struct mproc_remote_transport {
    uint32_t abi;  /* MPROC_REMOTE_ABI */
    int role;      /* mproc_remote_role */
    int peers;     /* pool: the number of workers; worker: 1 */
    int self_rank; /* this process's rank in its world (for messages) */
    void *self;    /* the plugin's state */

    /* Where a peer runs, for messages: "rank 3 on host b (pid 1234)". Valid as long as
     * the transport. */
    const char *(*describe)(mproc_remote_transport_t *t, int peer);
    /* Queues a copy of the message for `peer` and returns at once: 0, or -1 when the peer
     * is lost or out of range (nothing is sent). Any thread. */
    int (*send)(mproc_remote_transport_t *t, int peer, const void *data, size_t len);
    /* Waits up to `timeout` seconds (0: just look) for the next event and fills *event.
     * Returns 0, or -1 on a transport failure (last_error says what; the caller treats
     * every peer as lost). Sends due heartbeats as a side effect, so the owner calls it at
     * least every heartbeat_interval. */
    int (*poll)(mproc_remote_transport_t *t, double timeout, mproc_remote_event_t *event);
    /* Breaks a poll() that is waiting, from another thread (after a send, say). */
    void (*wake)(mproc_remote_transport_t *t);
    /* The last failure of this transport, as text. */
    const char *(*last_error)(mproc_remote_transport_t *t);
    /* Ends the transport and frees it. graceful != 0: the peers were told to stop; wait
     * (bounded, a few seconds) for queued sends, then disconnect. graceful == 0, or a peer
     * was lost: abandon the peers without any call that could hang on them. Never blocks
     * for ever. In a worker process it also finalises MPI if the plugin initialised it. */
    void (*close)(mproc_remote_transport_t *t, int graceful);
};

/* Opens the transport in the role this process has: a process that is a rank > 0 of a
 * static start (mpiexec -n N), or that was spawned by a pool, gets MPROC_REMOTE_WORKER;
 * any other process gets MPROC_REMOTE_POOL (and spawns its workers, or takes the other
 * ranks as workers). Initialises MPI (MPI_THREAD_MULTIPLE asked) unless the program did.
 * Returns 0 and *out, or -1 with a message in err[0 .. errcap). */
typedef int (*mproc_remote_open_fn)(const mproc_remote_options_t *options,
                                    mproc_remote_transport_t **out, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif

#endif /* MPROC_REMOTE_TRANSPORT_H */
