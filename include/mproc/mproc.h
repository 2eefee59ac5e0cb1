/*
 * mproc.h -- the C ABI of mproc.
 *
 * mproc gives C, C++ and every language with an FFI what Python's multiprocessing and
 * threading give Python. Every object lives in POSIX shared memory and can be attached by
 * name from any process, in any language.
 *
 * Conventions that hold for every function below unless its comment says otherwise:
 *
 *  - Return value: MPROC_OK (0) or a negative MPROC_E* code. Results come back through
 *    out-parameters, which are written only on success. mproc_last_error() then gives
 *    the calling thread's message for its last failure (what, which object, which errno).
 *  - Handles are opaque. A NULL, closed or wrong-kind handle gives MPROC_EBADHANDLE
 *    (best effort after close: the memory of a closed handle may be reused).
 *    Every handle is safe to use from many threads at once.
 *  - Names: 1 to MPROC_NAME_MAX characters from [A-Za-z0-9_.-], not "." or "..".
 *    A bad name is MPROC_EINVAL and never reaches the file system. The object lives in
 *    /dev/shm as "mproc.<name>". Passing NULL as the name of a create call makes an
 *    anonymous object: it gets a unique generated name (see mproc_<kind>_name), is
 *    inherited across fork(), can be opened by that name from any process, and its name is
 *    unlinked when the creating process closes its handle.
 *  - Timeouts are a double in seconds, as in Python: negative waits forever, 0 tries once,
 *    NaN is MPROC_EINVAL. Every call that can block takes one. Closing a handle wakes the
 *    calls blocked on that same handle; they return MPROC_ECLOSED.
 *  - Process death is normal: a Lock or RLock whose owning process died is handed to the
 *    next acquirer with MPROC_EOWNERDEAD (the lock is then held by the caller).
 *  - Creation is atomic: an object is built in an unnamed file and linked under its name
 *    only when ready, so no process ever sees a half-initialised object, and a creator
 *    killed half-way leaves nothing behind.
 *  - Damaged objects: every open checks the object's header and its kind's geometry and
 *    keeps its own copy of what it checked, so a process that later writes garbage into
 *    the shared memory cannot make an index, length or offset reach outside the object.
 *    Garbage found at open is MPROC_EKIND, MPROC_EVERSION or MPROC_ECORRUPT; values no
 *    mproc process writes found by a later call (a queue slot's word or length, a
 *    barrier's guard held for over a second, more arrivals than parties) make that call
 *    return MPROC_ECORRUPT. Never a crash or an out-of-bounds access, with one exception
 *    no check can catch: a process that shrinks an object's file (ftruncate) while others
 *    map it makes their next access past the new end raise SIGBUS. The inside of a Dict's
 *    or List's heap is trusted once its header checks out.
 *  - Linux only (futex). Owners are identified by process id within one pid namespace.
 */
#ifndef MPROC_MPROC_H
#define MPROC_MPROC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(MPROC_STATIC)
#define MPROC_API
#elif defined(MPROC_BUILDING)
#define MPROC_API __attribute__((visibility("default")))
#else
#define MPROC_API
#endif

/* ---- Version ---------------------------------------------------------------------- */

#define MPROC_VERSION_MAJOR 0
#define MPROC_VERSION_MINOR 1
#define MPROC_VERSION_PATCH 0
#define MPROC_VERSION_STRING "0.1.0"
/* One number that grows with every release: major * 10000 + minor * 100 + patch. */
#define MPROC_VERSION_NUMBER \
    (MPROC_VERSION_MAJOR * 10000 + MPROC_VERSION_MINOR * 100 + MPROC_VERSION_PATCH)

/* The version of the library loaded at run time, as "MAJOR.MINOR.PATCH". Never fails;
 * the string is static. Compare with MPROC_VERSION_STRING to detect a header/library
 * mismatch. */
MPROC_API const char *mproc_version(void);

/* The run-time version as MPROC_VERSION_NUMBER computes it. Never fails. */
MPROC_API int mproc_version_number(void);

/* ---- Errors ----------------------------------------------------------------------- */

#define MPROC_OK 0
#define MPROC_EINVAL (-1)      /* an argument is invalid (bad name, NULL out-pointer, NaN) */
#define MPROC_EBADHANDLE (-2)  /* NULL, closed or wrong-kind handle */
#define MPROC_ETIMEDOUT (-3)   /* the timeout passed before the call could complete */
#define MPROC_EEMPTY (-4)      /* nothing to take (non-blocking get on an empty object) */
#define MPROC_EFULL (-5)       /* no room (non-blocking put, too many waiters) */
#define MPROC_ECLOSED (-6)     /* the handle was closed while the call was blocked */
#define MPROC_EOWNERDEAD (-7)  /* acquired, but the previous owner process died holding it */
#define MPROC_ENOTFOUND (-8)   /* no object of that name */
#define MPROC_EEXIST (-9)      /* an object of that name exists already */
#define MPROC_EKIND (-10)      /* the name holds another kind of object, or not an mproc one */
#define MPROC_EVERSION (-11)   /* the name holds an object of another layout version */
#define MPROC_ETOOBIG (-12)    /* a size or value is over its limit, or a buffer too small */
#define MPROC_ENOTOWNER (-13)  /* the caller does not hold the lock (or it is not held) */
#define MPROC_EOVERFLOW (-14)  /* released more times than acquired / counter would overflow */
#define MPROC_EBROKEN (-15)    /* the barrier is broken (aborted, timed out, action failed) */
#define MPROC_ENOMEM (-16)     /* out of memory */
#define MPROC_EPERM (-17)      /* permission denied by the operating system */
#define MPROC_ESYSTEM (-18)    /* another operating-system error; errno in the message */
#define MPROC_EEOF (-19)       /* end of stream: the other end of the connection is closed */
#define MPROC_EPIPE (-20)      /* the other end of the connection is closed: cannot send */
#define MPROC_EFAILED (-21)    /* a child process or task failed (non-zero exit, a signal) */
#define MPROC_ECANCELLED (-22) /* the future was cancelled before its task ran */
#define MPROC_ECORRUPT (-23)   /* the object's shared memory holds impossible values */

/* A static, human-readable sentence for a code ("timed out"). Unknown codes give
 * "unknown error". Never fails, never NULL. */
MPROC_API const char *mproc_strerror(int code);

/* The code's macro name as a static string ("MPROC_ETIMEDOUT"); "MPROC_UNKNOWN" for an
 * unknown code. Never fails, never NULL. */
MPROC_API const char *mproc_errname(int code);

/* The calling thread's message for its last failed mproc call, for example
 * "lock 'jobs': open: no object of that name". Empty string if there was none. The
 * pointer stays valid until the thread's next mproc call. Never NULL. */
MPROC_API const char *mproc_last_error(void);

/* ---- Options for creating objects ------------------------------------------------- */

/* The longest name accepted, in bytes, without the terminating NUL. */
#define MPROC_NAME_MAX 200

/* Option flag: if the name exists already, open it (checking its kind and version)
 * instead of failing with MPROC_EEXIST. The creation arguments (value, parties, lock) of
 * an existing object are not compared. */
#define MPROC_OPEN_EXISTING 0x1u

/* Creation options. Always initialise with mproc_options_init() and then set fields, so
 * that a program built against this header keeps working when fields are added. */
typedef struct mproc_options {
    size_t size;              /* sizeof(mproc_options_t); set by mproc_options_init */
    unsigned int flags;       /* MPROC_OPEN_EXISTING or 0 (the default) */
    unsigned int permissions; /* mode bits of a named object; default 0600 */
} mproc_options_t;

/* Fills *opts with the defaults. MPROC_EINVAL if opts is NULL. Wherever a create call
 * takes `const mproc_options_t *opts`, NULL means the defaults. */
MPROC_API int mproc_options_init(mproc_options_t *opts);

/* ---- Lock ------------------------------------------------------------------------- */
/* A non-recursive lock, like multiprocessing.Lock: any thread of any process may release
 * it once it is held. Uncontended acquire and release make no system call. */

typedef struct mproc_lock mproc_lock_t;

/* Creates a lock (unlocked). name NULL = anonymous. Errors: MPROC_EINVAL (bad name,
 * NULL out), MPROC_EEXIST (unless MPROC_OPEN_EXISTING), MPROC_EKIND/MPROC_EVERSION (with
 * MPROC_OPEN_EXISTING and another object there), MPROC_EPERM, MPROC_ESYSTEM.
 * Ownership: the caller owns *out and closes it with mproc_lock_close. */
MPROC_API int mproc_lock_create(const char *name, const mproc_options_t *opts, mproc_lock_t **out);

/* Opens an existing lock by name. Never blocks: a creator publishes the name only once
 * the object is fully initialised, so an open either finds a ready object or nothing.
 * Errors: MPROC_EINVAL, MPROC_ENOTFOUND, MPROC_EKIND, MPROC_EVERSION, MPROC_EPERM,
 * MPROC_ESYSTEM. Ownership as for create. */
MPROC_API int mproc_lock_open(const char *name, mproc_lock_t **out);

/* Releases the handle (not the lock): wakes calls blocked on this handle with
 * MPROC_ECLOSED, waits for them to leave, then frees it. The shared object lives on while
 * other handles or the name exist. If this process created the object anonymously, its
 * name is unlinked. Errors: MPROC_EBADHANDLE. */
MPROC_API int mproc_lock_close(mproc_lock_t *lock);

/* Removes the name; processes that have the lock open keep using it. Errors: MPROC_EINVAL,
 * MPROC_ENOTFOUND, MPROC_EKIND (the name holds another kind: nothing is removed). */
MPROC_API int mproc_lock_unlink(const char *name);

/* Copies the object's name (without the "mproc." prefix) with its NUL into buf.
 * Errors: MPROC_EBADHANDLE, MPROC_EINVAL (buf NULL), MPROC_ETOOBIG (len too small). */
MPROC_API int mproc_lock_name(const mproc_lock_t *lock, char *buf, size_t len);

/* Acquires the lock. Blocks up to timeout seconds. Returns MPROC_OK, or MPROC_EOWNERDEAD
 * when the lock was taken over from a process that died holding it (the caller now holds
 * it; data it protects may be half-updated). Errors: MPROC_ETIMEDOUT, MPROC_ECLOSED,
 * MPROC_EINVAL (NaN timeout), MPROC_EBADHANDLE. A dead owner is detected within 100 ms. */
MPROC_API int mproc_lock_acquire(mproc_lock_t *lock, double timeout);

/* Releases the lock, waking one waiter if any. Never blocks. Errors: MPROC_ENOTOWNER (the
 * lock is not held), MPROC_EBADHANDLE. */
MPROC_API int mproc_lock_release(mproc_lock_t *lock);

/* *locked = 1 if the lock is held by anyone, else 0. Never blocks. */
MPROC_API int mproc_lock_locked(const mproc_lock_t *lock, int *locked);

/* ---- RLock ------------------------------------------------------------------------ */
/* A recursive lock, like multiprocessing.RLock: the owning thread may acquire it again;
 * it is free once released as many times as acquired; only the owner may release. */

typedef struct mproc_rlock mproc_rlock_t;

/* Create, open, close, unlink, name: as for mproc_lock_*. */
MPROC_API int mproc_rlock_create(const char *name, const mproc_options_t *opts,
                                 mproc_rlock_t **out);
MPROC_API int mproc_rlock_open(const char *name, mproc_rlock_t **out);
MPROC_API int mproc_rlock_close(mproc_rlock_t *rlock);
MPROC_API int mproc_rlock_unlink(const char *name);
MPROC_API int mproc_rlock_name(const mproc_rlock_t *rlock, char *buf, size_t len);

/* Acquires the lock, or adds one level if the calling thread owns it already. Blocking,
 * MPROC_EOWNERDEAD and errors as mproc_lock_acquire; MPROC_EOVERFLOW past 2^32-1 levels. */
MPROC_API int mproc_rlock_acquire(mproc_rlock_t *rlock, double timeout);

/* Drops one level; the lock is free when the count reaches 0. Never blocks.
 * Errors: MPROC_ENOTOWNER (the calling thread does not own it), MPROC_EBADHANDLE. */
MPROC_API int mproc_rlock_release(mproc_rlock_t *rlock);

/* *count = the recursion level if the calling thread owns the lock, else 0. */
MPROC_API int mproc_rlock_count(const mproc_rlock_t *rlock, unsigned int *count);

/* *owned = 1 if the calling thread owns the lock, else 0. */
MPROC_API int mproc_rlock_is_owned(const mproc_rlock_t *rlock, int *owned);

/* ---- Semaphore and BoundedSemaphore ----------------------------------------------- */
/* A counting semaphore, like multiprocessing.Semaphore. A bounded one (created with
 * mproc_bounded_semaphore_create) refuses to be released above its initial value. */

typedef struct mproc_semaphore mproc_semaphore_t;

/* Creates a semaphore with the given initial value. Errors as mproc_lock_create, and
 * MPROC_ETOOBIG if value > MPROC_SEMAPHORE_VALUE_MAX. */
#define MPROC_SEMAPHORE_VALUE_MAX 0x7fffffffu
MPROC_API int mproc_semaphore_create(const char *name, unsigned int value,
                                     const mproc_options_t *opts, mproc_semaphore_t **out);

/* Creates a bounded semaphore: its value never exceeds the initial value. */
MPROC_API int mproc_bounded_semaphore_create(const char *name, unsigned int value,
                                             const mproc_options_t *opts, mproc_semaphore_t **out);

/* Open (either variant), close, unlink, name: as for mproc_lock_*. */
MPROC_API int mproc_semaphore_open(const char *name, mproc_semaphore_t **out);
MPROC_API int mproc_semaphore_close(mproc_semaphore_t *sem);
MPROC_API int mproc_semaphore_unlink(const char *name);
MPROC_API int mproc_semaphore_name(const mproc_semaphore_t *sem, char *buf, size_t len);

/* Decrements the value, blocking up to timeout seconds while it is 0.
 * Errors: MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE. */
MPROC_API int mproc_semaphore_acquire(mproc_semaphore_t *sem, double timeout);

/* Adds n (>= 1) to the value and wakes up to n waiters. Never blocks. Errors: MPROC_EINVAL
 * (n == 0), MPROC_EOVERFLOW (a bounded semaphore would go above its initial value, or the
 * value above MPROC_SEMAPHORE_VALUE_MAX; the value is unchanged), MPROC_EBADHANDLE. */
MPROC_API int mproc_semaphore_release(mproc_semaphore_t *sem, unsigned int n);

/* *value = the current value (a snapshot). */
MPROC_API int mproc_semaphore_value(const mproc_semaphore_t *sem, unsigned int *value);

/* *bound = the maximum value of a bounded semaphore, or 0 for an unbounded one. */
MPROC_API int mproc_semaphore_bound(const mproc_semaphore_t *sem, unsigned int *bound);

/* ---- Event ------------------------------------------------------------------------ */
/* A flag that processes wait for, like multiprocessing.Event. */

typedef struct mproc_event mproc_event_t;

/* Create (unset), open, close, unlink, name: as for mproc_lock_*. */
MPROC_API int mproc_event_create(const char *name, const mproc_options_t *opts,
                                 mproc_event_t **out);
MPROC_API int mproc_event_open(const char *name, mproc_event_t **out);
MPROC_API int mproc_event_close(mproc_event_t *event);
MPROC_API int mproc_event_unlink(const char *name);
MPROC_API int mproc_event_name(const mproc_event_t *event, char *buf, size_t len);

/* Sets the flag and wakes every waiter. Never blocks; no system call if nobody waits. */
MPROC_API int mproc_event_set(mproc_event_t *event);

/* Clears the flag. Never blocks. */
MPROC_API int mproc_event_clear(mproc_event_t *event);

/* *is_set = 1 if the flag is set, else 0. */
MPROC_API int mproc_event_is_set(const mproc_event_t *event, int *is_set);

/* Returns MPROC_OK once the flag is set (at once if it is). A set that happens while the
 * caller waits is never missed, even if the flag is cleared again at once. Errors:
 * MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE. */
MPROC_API int mproc_event_wait(mproc_event_t *event, double timeout);

/* ---- Condition -------------------------------------------------------------------- */
/* A condition variable, like multiprocessing.Condition, over a Lock, an RLock, or an RLock
 * of its own. The condition records the name of its lock, so mproc_condition_open attaches
 * both. Waiters are woken in arrival order; a waiter whose process died is skipped by
 * notify, so its death never swallows a notification meant for a live waiter. */

typedef struct mproc_condition mproc_condition_t;

/* The most threads, over all processes, that may wait on one condition at once. */
#define MPROC_CONDITION_MAX_WAITERS 1024

/* Creates a condition with an RLock of its own. Errors as mproc_lock_create. */
MPROC_API int mproc_condition_create(const char *name, const mproc_options_t *opts,
                                     mproc_condition_t **out);

/* Creates a condition over an existing Lock / RLock. The caller keeps ownership of the lock
 * handle; the condition opens the lock by name for itself. Errors as mproc_lock_create,
 * MPROC_EBADHANDLE for a bad lock handle. */
MPROC_API int mproc_condition_create_with_lock(const char *name, mproc_lock_t *lock,
                                               const mproc_options_t *opts,
                                               mproc_condition_t **out);
MPROC_API int mproc_condition_create_with_rlock(const char *name, mproc_rlock_t *rlock,
                                                const mproc_options_t *opts,
                                                mproc_condition_t **out);

/* Opens a condition and its lock by name. Errors as mproc_lock_open; MPROC_ENOTFOUND if
 * the condition's lock has been unlinked and its creator closed it. */
MPROC_API int mproc_condition_open(const char *name, mproc_condition_t **out);
MPROC_API int mproc_condition_close(mproc_condition_t *cond);
/* Removes the condition's name (not the name of a lock it was created over). */
MPROC_API int mproc_condition_unlink(const char *name);
MPROC_API int mproc_condition_name(const mproc_condition_t *cond, char *buf, size_t len);

/* Acquire / release the condition's lock: as mproc_lock_* or mproc_rlock_*. */
MPROC_API int mproc_condition_acquire(mproc_condition_t *cond, double timeout);
MPROC_API int mproc_condition_release(mproc_condition_t *cond);

/* Releases the lock (all levels of an RLock), waits until notified or timeout, then
 * re-acquires the lock (waiting as long as that takes) before returning, in every case but
 * MPROC_ECLOSED.
 * Returns MPROC_OK when notified. Errors: MPROC_ENOTOWNER (the caller does not hold the
 * lock: nothing is released), MPROC_ETIMEDOUT, MPROC_ECLOSED (the handle was closed during
 * the wait: returns WITHOUT the lock, which that handle could never release), MPROC_EFULL (more
 * than MPROC_CONDITION_MAX_WAITERS waiters), MPROC_EOWNERDEAD (notified or timed out, and the lock
 * was re-acquired from a process that died holding it), MPROC_EINVAL. */
MPROC_API int mproc_condition_wait(mproc_condition_t *cond, double timeout);

/* A predicate for mproc_condition_wait_for: returns non-zero when the wait is over. */
typedef int (*mproc_predicate_fn)(void *arg);

/* Waits until predicate(arg) returns non-zero, calling it with the lock held, first
 * before waiting (the caller must hold the lock even if the predicate is true at once:
 * MPROC_ENOTOWNER). Returns MPROC_OK once it is true, MPROC_ETIMEDOUT if still false when
 * the timeout passes; other errors as mproc_condition_wait. MPROC_EINVAL if predicate is
 * NULL. */
MPROC_API int mproc_condition_wait_for(mproc_condition_t *cond, mproc_predicate_fn predicate,
                                       void *arg, double timeout);

/* Wakes up to n waiters (the longest waiting first). The caller must hold the lock.
 * Never blocks. Errors: MPROC_ENOTOWNER, MPROC_EBADHANDLE. */
MPROC_API int mproc_condition_notify(mproc_condition_t *cond, unsigned int n);

/* Wakes every waiter. The caller must hold the lock. */
MPROC_API int mproc_condition_notify_all(mproc_condition_t *cond);

/* ---- Barrier ---------------------------------------------------------------------- */
/* A barrier for a fixed number of parties, like threading.Barrier, across processes. */

typedef struct mproc_barrier mproc_barrier_t;

/* The most parties a barrier may have. */
#define MPROC_BARRIER_MAX_PARTIES 0xffffu

/* Creates a barrier for `parties` (1 .. MPROC_BARRIER_MAX_PARTIES) parties. Errors as
 * mproc_lock_create; MPROC_EINVAL for 0 parties, MPROC_ETOOBIG for too many. */
MPROC_API int mproc_barrier_create(const char *name, unsigned int parties,
                                   const mproc_options_t *opts, mproc_barrier_t **out);
MPROC_API int mproc_barrier_open(const char *name, mproc_barrier_t **out);
MPROC_API int mproc_barrier_close(mproc_barrier_t *barrier);
MPROC_API int mproc_barrier_unlink(const char *name);
MPROC_API int mproc_barrier_name(const mproc_barrier_t *barrier, char *buf, size_t len);

/* The action a barrier runs once all parties arrived, before any is released: return 0
 * on success; non-zero breaks the barrier (like an exception in Python's action). */
typedef int (*mproc_barrier_action_fn)(void *arg);

/* Sets this handle's action (NULL for none). The action runs in the process and thread
 * of the last party to arrive, if that party's handle has one. */
MPROC_API int mproc_barrier_set_action(mproc_barrier_t *barrier, mproc_barrier_action_fn action,
                                       void *arg);

/* Waits until all parties have called wait. *index (may be NULL) gets the arrival order
 * 0 .. parties-1. Errors: MPROC_EBROKEN (broken by abort, by a timeout of another party, by
 * a failed action, by a reset while waiting, or by the death of the process running the
 * action), MPROC_ETIMEDOUT (this call timed out; the barrier is now broken, as in Python),
 * MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE, MPROC_ECORRUPT (damaged: see the top of
 * this file). A party that dies after arriving still counts as arrived. */
MPROC_API int mproc_barrier_wait(mproc_barrier_t *barrier, double timeout, unsigned int *index);

/* Returns the barrier to its empty, unbroken state; parties waiting get MPROC_EBROKEN.
 * Errors: MPROC_EBADHANDLE, MPROC_ECORRUPT. */
MPROC_API int mproc_barrier_reset(mproc_barrier_t *barrier);

/* Breaks the barrier: waiters and later callers of wait get MPROC_EBROKEN until reset.
 * Errors: MPROC_EBADHANDLE, MPROC_ECORRUPT. */
MPROC_API int mproc_barrier_abort(mproc_barrier_t *barrier);

MPROC_API int mproc_barrier_parties(const mproc_barrier_t *barrier, unsigned int *parties);
MPROC_API int mproc_barrier_n_waiting(const mproc_barrier_t *barrier, unsigned int *n);
MPROC_API int mproc_barrier_broken(const mproc_barrier_t *barrier, int *broken);

/* ==== Messaging and shared data ===================================================== */

/* ---- Queue, SimpleQueue, JoinableQueue -------------------------------------------- */
/* A bounded multi-producer / multi-consumer queue of byte messages in shared memory, like
 * multiprocessing.Queue but attachable by name from any process and language. It holds up
 * to `maxsize` messages of up to `max_message_size` bytes each (its memory is reserved at
 * creation). Messages come out in the order their puts claimed a place; none is ever
 * truncated.
 *
 * Crash safety: a producer killed inside put never makes a half-written message visible
 * and never wedges the queue (its slot is skipped once its death is seen); a consumer
 * killed inside get never wedges it either. Every message whose put returned MPROC_OK is
 * delivered exactly once, unless the consumer that was taking it died doing so. A death
 * is seen within about 20 ms by a caller that waits on it; processes are named by pid in
 * one pid namespace (a pid reused within that time reads as alive).
 *
 * Speed: put and get take no lock and make no system call unless they must wait (a
 * compare-and-swap claims a slot, tagged with the claimer's pid). A blocked caller spins
 * for about 20 us, then sleeps on a futex. Snapshots (qsize, empty, full, next_size) read
 * a few slots and may be stale at once when others are busy.
 *
 * Timeouts follow Python's queue module: put returns MPROC_EFULL when the queue is still
 * full at the timeout, get returns MPROC_EEMPTY when it is still empty (timeout 0 is
 * put_nowait / get_nowait). */

typedef struct mproc_queue mproc_queue_t;

#define MPROC_QUEUE_MAX_SIZE (1u << 20)    /* most messages a queue holds */
#define MPROC_QUEUE_MAX_MESSAGE (1u << 30) /* largest max_message_size */

/* Creates a queue for `maxsize` (1 .. MPROC_QUEUE_MAX_SIZE) messages of at most
 * `max_message_size` (1 .. MPROC_QUEUE_MAX_MESSAGE) bytes. Errors as mproc_lock_create;
 * MPROC_EINVAL for a zero size, MPROC_ETOOBIG over a limit or over 2^40 bytes in all. */
MPROC_API int mproc_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                                 const mproc_options_t *opts, mproc_queue_t **out);

/* A SimpleQueue: the same object, for callers that use only put / get / empty / close. */
MPROC_API int mproc_simple_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                                        const mproc_options_t *opts, mproc_queue_t **out);

/* A JoinableQueue: a queue that also counts unfinished tasks (task_done / join). */
MPROC_API int mproc_joinable_queue_create(const char *name, size_t maxsize, size_t max_message_size,
                                          const mproc_options_t *opts, mproc_queue_t **out);

/* Open (any of the three), close, unlink, name: as for mproc_lock_*. */
MPROC_API int mproc_queue_open(const char *name, mproc_queue_t **out);
MPROC_API int mproc_queue_close(mproc_queue_t *queue);
MPROC_API int mproc_queue_unlink(const char *name);
MPROC_API int mproc_queue_name(const mproc_queue_t *queue, char *buf, size_t len);

/* Copies `len` bytes (0 allowed) into the queue as one message. Blocks while the queue is
 * full, up to timeout. Errors: MPROC_EFULL (still full at the timeout), MPROC_ETOOBIG
 * (len > max_message_size), MPROC_ECLOSED, MPROC_EINVAL (data NULL with len > 0, NaN),
 * MPROC_EBADHANDLE, MPROC_ECORRUPT (slot words no mproc process writes). No system call
 * when no consumer sleeps. */
MPROC_API int mproc_queue_put(mproc_queue_t *queue, const void *data, size_t len, double timeout);

/* Takes the oldest message into buf (capacity `cap`); *len = its size. Blocks while the
 * queue is empty, up to timeout. Errors: MPROC_EEMPTY (still empty at the timeout),
 * MPROC_ETOOBIG (cap is smaller than the message: the message stays in the queue and *len
 * tells its size), MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE, MPROC_ECORRUPT (a
 * message length over max_message_size, which no put writes: that slot is dropped). */
MPROC_API int mproc_queue_get(mproc_queue_t *queue, void *buf, size_t cap, size_t *len,
                              double timeout);

/* *len = the size of the message a get would take now, without taking it. Never blocks.
 * Errors: MPROC_EEMPTY, MPROC_ECORRUPT. */
MPROC_API int mproc_queue_next_size(mproc_queue_t *queue, size_t *len);

/* Zero-copy put: *slot = room for `len` bytes inside the queue; write the message there,
 * then publish it with mproc_queue_commit (or drop it with mproc_queue_cancel). Blocks and
 * fails as mproc_queue_put. Consumers behind an unpublished slot wait for it (or skip it if
 * its process dies). */
MPROC_API int mproc_queue_reserve(mproc_queue_t *queue, size_t len, double timeout, void **slot);
MPROC_API int mproc_queue_commit(mproc_queue_t *queue, void *slot);
MPROC_API int mproc_queue_cancel(mproc_queue_t *queue, void *slot);

/* Zero-copy get: *data / *len = the oldest message, in place in shared memory; read it,
 * then give the slot back with mproc_queue_return. Blocks and fails as mproc_queue_get
 * (never MPROC_ETOOBIG). */
MPROC_API int mproc_queue_borrow(mproc_queue_t *queue, double timeout, const void **data,
                                 size_t *len);
MPROC_API int mproc_queue_return(mproc_queue_t *queue, const void *data);

/* The three flavours of queue, as reported by mproc_queue_flavor. */
#define MPROC_QUEUE_PLAIN 0    /* mproc_queue_create */
#define MPROC_QUEUE_SIMPLE 1   /* mproc_simple_queue_create */
#define MPROC_QUEUE_JOINABLE 2 /* mproc_joinable_queue_create */

/* *flavor = which create call made the queue (MPROC_QUEUE_PLAIN, _SIMPLE or _JOINABLE), so
 * that a program that opens a queue by name can tell whether task_done / join apply.
 * Never blocks. Errors: MPROC_EINVAL (flavor NULL), MPROC_EBADHANDLE. */
MPROC_API int mproc_queue_flavor(const mproc_queue_t *queue, int *flavor);

/* Snapshots: the number of messages, whether it is empty / full, and its sizes. */
MPROC_API int mproc_queue_qsize(const mproc_queue_t *queue, size_t *n);
MPROC_API int mproc_queue_empty(const mproc_queue_t *queue, int *empty);
MPROC_API int mproc_queue_full(const mproc_queue_t *queue, int *full);
MPROC_API int mproc_queue_maxsize(const mproc_queue_t *queue, size_t *maxsize,
                                  size_t *max_message_size);

/* JoinableQueue only (MPROC_EKIND on another queue): task_done marks one message taken by
 * get as processed (MPROC_EOVERFLOW if called more times than messages were put); join
 * blocks until every message put has been marked done, up to timeout (MPROC_ETIMEDOUT). */
MPROC_API int mproc_queue_task_done(mproc_queue_t *queue);
MPROC_API int mproc_queue_join(mproc_queue_t *queue, double timeout);

/* ---- Pipe and Connection ---------------------------------------------------------- */
/* A connection between two processes over a socketpair (duplex) or a pipe, like
 * multiprocessing.Pipe. The wire format is CPython's multiprocessing.connection: each
 * message is a 4-byte big-endian signed length followed by the bytes; a message over
 * 2^31-1 bytes is the length -1 followed by an 8-byte big-endian length. So a C program
 * and a Python Connection can talk over the same file descriptor. Connections are file
 * descriptors, not named objects: they are inherited across fork (close-on-exec, as in
 * Python: pass one to an exec'ed program on purpose). Sends never raise SIGPIPE. The
 * descriptor itself stays blocking, so a Python peer sharing it is not disturbed. */

typedef struct mproc_connection mproc_connection_t;

/* Creates a connected pair. duplex != 0: both ends send and receive (socketpair);
 * duplex == 0: *conn1 only receives and *conn2 only sends (pipe), as in Python.
 * Errors: MPROC_EINVAL (NULL out), MPROC_ESYSTEM. The caller owns both handles. */
MPROC_API int mproc_pipe(int duplex, mproc_connection_t **conn1, mproc_connection_t **conn2);

/* Wraps a descriptor that speaks the same framing (for example one inherited from a
 * Python parent). On success takes ownership of fd (close closes it); on failure the
 * caller keeps it. readable / writable say which directions are allowed. Errors:
 * MPROC_EINVAL (bad fd, neither direction, a direction the fd's access mode does not
 * allow, a socket that is not SOCK_STREAM). */
MPROC_API int mproc_connection_from_fd(int fd, int readable, int writable,
                                       mproc_connection_t **out);

/* Closes the descriptor and frees the handle; calls blocked on it return MPROC_ECLOSED. */
MPROC_API int mproc_connection_close(mproc_connection_t *conn);

/* *fd = the connection's descriptor (still owned by the connection), for poll loops. */
MPROC_API int mproc_connection_fileno(const mproc_connection_t *conn, int *fd);

/* Sends one message of `len` bytes. timeout bounds the wait before the first byte goes
 * out; once a message has started it is written whole. Errors: MPROC_EPIPE (the other end
 * is closed), MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL (a receive-only end, data NULL
 * with len > 0), MPROC_EBADHANDLE. */
MPROC_API int mproc_connection_send_bytes(mproc_connection_t *conn, const void *data, size_t len,
                                          double timeout);

/* Receives one message into buf (capacity cap); *len = its size. timeout bounds the wait
 * for the first byte of a message; once a message has started it is read whole. Errors:
 * MPROC_ETOOBIG (cap too small: the message is kept for the next receive, *len tells its
 * size), MPROC_EEOF (the other end closed and nothing is left, or a message was cut short
 * by the end of the stream), MPROC_ESYSTEM (a corrupt length on the wire: the connection
 * stays unusable), MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL (a send-only end),
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_connection_recv_bytes(mproc_connection_t *conn, void *buf, size_t cap,
                                          size_t *len, double timeout);

/* Receives one message into a buffer it allocates: *data (free with mproc_free) and *len.
 * Errors as mproc_connection_recv_bytes (never MPROC_ETOOBIG), MPROC_ENOMEM. */
MPROC_API int mproc_connection_recv_bytes_alloc(mproc_connection_t *conn, void **data, size_t *len,
                                                double timeout);

/* *ready = 1 if a receive would not block (a message or EOF is there), waiting up to
 * timeout for it; else 0. Errors: MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE. */
MPROC_API int mproc_connection_poll(mproc_connection_t *conn, double timeout, int *ready);

/* Frees memory that mproc allocated for the caller (mproc_connection_recv_bytes_alloc).
 * NULL is allowed. Returns MPROC_OK. */
MPROC_API int mproc_free(void *memory);

/* ---- Value and Array -------------------------------------------------------------- */
/* Typed shared memory, like multiprocessing.Value / Array, with Python's type codes:
 * 'c' char, 'b' signed char, 'B' unsigned char, 'h' short, 'H' unsigned short, 'i' int,
 * 'I' unsigned int, 'l' long, 'L' unsigned long, 'q' long long, 'Q' unsigned long long,
 * 'f' float, 'd' double, 'u' wchar_t. Items are passed by pointer to a C object of the
 * item's type. With with_lock != 0 the object carries an RLock (Python's get_lock());
 * without, it is raw (RawValue / RawArray) and the acquire / release calls fail with
 * MPROC_EINVAL. get / set / slices take no lock themselves, as in Python's raw access; the
 * atomic calls are atomic whatever the lock. */

typedef struct mproc_value mproc_value_t;
typedef struct mproc_array mproc_array_t;

/* Creates a Value of the type code, set to *init (NULL: zero). Errors as
 * mproc_lock_create; MPROC_EINVAL for an unknown type code. */
MPROC_API int mproc_value_create(const char *name, char typecode, const void *init, int with_lock,
                                 const mproc_options_t *opts, mproc_value_t **out);
MPROC_API int mproc_value_open(const char *name, mproc_value_t **out);
MPROC_API int mproc_value_close(mproc_value_t *value);
MPROC_API int mproc_value_unlink(const char *name);
MPROC_API int mproc_value_name(const mproc_value_t *value, char *buf, size_t len);
/* *typecode = the type code; *itemsize = the size of one item in bytes (either may be
 * NULL). */
MPROC_API int mproc_value_type(const mproc_value_t *value, char *typecode, size_t *itemsize);
MPROC_API int mproc_value_get(const mproc_value_t *value, void *out);
MPROC_API int mproc_value_set(mproc_value_t *value, const void *in);
/* *ptr = the item in shared memory, for direct (unsynchronised) access. */
MPROC_API int mproc_value_data(mproc_value_t *value, void **ptr);
/* The Value's lock: as mproc_rlock_acquire / release; MPROC_EINVAL for a raw Value. */
MPROC_API int mproc_value_acquire(mproc_value_t *value, double timeout);
MPROC_API int mproc_value_release(mproc_value_t *value);
/* Integer type codes only (else MPROC_EINVAL): atomically adds *delta (of the item's type,
 * wrapping as C unsigned arithmetic does) and stores the value before in *previous (may
 * be NULL); atomically replaces *expected by *desired if equal, *swapped = 1, else
 * *swapped = 0 and *expected = the current value. */
MPROC_API int mproc_value_add(mproc_value_t *value, const void *delta, void *previous);
MPROC_API int mproc_value_compare_exchange(mproc_value_t *value, void *expected,
                                           const void *desired, int *swapped);

/* Creates an Array of `length` (>= 1) items, set from init (length items; NULL: zeros).
 * Errors as mproc_value_create; MPROC_ETOOBIG over 2^40 bytes. */
MPROC_API int mproc_array_create(const char *name, char typecode, size_t length, const void *init,
                                 int with_lock, const mproc_options_t *opts, mproc_array_t **out);
MPROC_API int mproc_array_open(const char *name, mproc_array_t **out);
MPROC_API int mproc_array_close(mproc_array_t *array);
MPROC_API int mproc_array_unlink(const char *name);
MPROC_API int mproc_array_name(const mproc_array_t *array, char *buf, size_t len);
MPROC_API int mproc_array_type(const mproc_array_t *array, char *typecode, size_t *itemsize);
MPROC_API int mproc_array_length(const mproc_array_t *array, size_t *length);
/* One item by index. Errors: MPROC_EINVAL (index >= length, NULL pointer). */
MPROC_API int mproc_array_get(const mproc_array_t *array, size_t index, void *out);
MPROC_API int mproc_array_set(mproc_array_t *array, size_t index, const void *in);
/* Items [start, stop) copied out of / into the array (stop - start items). Errors:
 * MPROC_EINVAL (start > stop or stop > length, NULL pointer with items to copy). */
MPROC_API int mproc_array_get_slice(const mproc_array_t *array, size_t start, size_t stop,
                                    void *out);
MPROC_API int mproc_array_set_slice(mproc_array_t *array, size_t start, size_t stop,
                                    const void *in);
/* *ptr = item 0 in shared memory, for direct (unsynchronised) access to all items. */
MPROC_API int mproc_array_data(mproc_array_t *array, void **ptr);
MPROC_API int mproc_array_acquire(mproc_array_t *array, double timeout);
MPROC_API int mproc_array_release(mproc_array_t *array);
/* As mproc_value_add / compare_exchange, on item `index`. */
MPROC_API int mproc_array_add(mproc_array_t *array, size_t index, const void *delta,
                              void *previous);
MPROC_API int mproc_array_compare_exchange(mproc_array_t *array, size_t index, void *expected,
                                           const void *desired, int *swapped);

/* ==== Tasks, processes, threads, subprocesses ======================================= */

/* ---- Dict and List (shared containers) -------------------------------------------- */
/* The containers of multiprocessing's Manager (dict, list) kept in shared memory itself:
 * every process, in any language, reads and writes them directly by name, with no server.
 * A Dict maps byte-string keys to byte-string values and keeps insertion order (as a
 * Python dict does: setting an existing key keeps its place). A List is a sequence of
 * byte strings. The C ABI stores and returns bytes; bindings encode their own values
 * (the Python package pickles them).
 *
 * Keys: `key` points to `key_len` bytes (any bytes, NUL included), or key_len =
 * MPROC_KEY_CSTR for a NUL-terminated C string. At most MPROC_CONTAINER_MAX_KEY bytes.
 * A list index counts from the start, or from the end when negative (-1 is the last
 * item), as in Python; a slice's start and stop are clamped to the list as Python does.
 *
 * Every call is atomic: it holds the container's lock (a robust recursive lock in the
 * object) for its whole work, so another process sees the container before or after it,
 * never in between. The lock is held only for the call's own work (a copy in, a copy out),
 * so the timeout of a call bounds its wait for other calls and for a group held with
 * mproc_dict_acquire; negative = forever, 0 = fail with MPROC_ETIMEDOUT unless the lock
 * is free now.
 *
 * Crash safety: the object holds two copies of the container (Boost.Interprocess managed
 * memory, offset pointers only) and a phase word. A writer changes copy A, then copy B,
 * recording in the phase word which copy it is changing. A writer killed at any
 * instruction leaves one intact copy: the next caller that takes the lock sees the dead
 * owner, copies the intact copy over the broken one and goes on. So after a crash the
 * container holds either the state before the killed call or the state after it, never a
 * broken structure, and every call keeps working (a call that takes over from a dead
 * writer returns MPROC_OK; only mproc_dict_acquire / mproc_list_acquire report
 * MPROC_EOWNERDEAD, because a group of calls may be half done).
 *
 * Size: each copy starts with `initial_size` bytes and grows, doubling, up to `max_size`
 * (both rounded up to 4 KiB; 0 = MPROC_CONTAINER_DEFAULT_SIZE / _DEFAULT_MAX). The file
 * reserves both copies at max_size, but only the memory in use is allocated. A call that
 * does not fit even at max_size fails with MPROC_EFULL and changes nothing.
 *
 * Results of variable size come back in one of two ways: into the caller's buffer
 * (buf, cap, *len: MPROC_ETOOBIG with *len = the size needed when cap is too small, the
 * container unchanged), or in memory mproc allocates (*data, *len; free with mproc_free).
 * Snapshots of several items are one allocated block of records, each a uint64_t length
 * (native byte order) followed by that many bytes; mproc_records_next walks them. */

typedef struct mproc_dict mproc_dict_t;
typedef struct mproc_list mproc_list_t;

/* A byte string passed in: `len` bytes at `data` (data may be NULL when len is 0). */
typedef struct mproc_bytes {
    const void *data;
    size_t len;
} mproc_bytes_t;

#define MPROC_KEY_CSTR ((size_t)-1)                /* key_len: key is a C string */
#define MPROC_CONTAINER_MAX_KEY (1u << 16)         /* longest key, in bytes */
#define MPROC_CONTAINER_DEFAULT_SIZE (256u << 10)  /* initial bytes per copy: 256 KiB */
#define MPROC_CONTAINER_DEFAULT_MAX (256u << 20)   /* max bytes per copy: 256 MiB */
#define MPROC_CONTAINER_MAX_SIZE ((size_t)1 << 40) /* largest max_size */

/* Creates an empty dict. initial_size and max_size: see "Size" above (0 = defaults);
 * initial_size may not exceed max_size. name NULL = anonymous. Errors as
 * mproc_lock_create; MPROC_EINVAL (initial_size > max_size, NULL out), MPROC_ETOOBIG
 * (max_size over MPROC_CONTAINER_MAX_SIZE, or too small to hold an empty dict: under
 * 16 KiB), MPROC_ENOMEM (no room in /dev/shm for initial_size). With MPROC_OPEN_EXISTING
 * an existing dict is opened whatever its sizes. Ownership: the caller closes *out with
 * mproc_dict_close. */
MPROC_API int mproc_dict_create(const char *name, size_t initial_size, size_t max_size,
                                const mproc_options_t *opts, mproc_dict_t **out);
/* Open, close, unlink, name: as for mproc_lock_*. Opening checks that the object was
 * built with the same container format (MPROC_EVERSION otherwise). */
MPROC_API int mproc_dict_open(const char *name, mproc_dict_t **out);
MPROC_API int mproc_dict_close(mproc_dict_t *dict);
MPROC_API int mproc_dict_unlink(const char *name);
MPROC_API int mproc_dict_name(const mproc_dict_t *dict, char *buf, size_t len);

/* d[key] = value: inserts the key at the end, or replaces the value of an existing key
 * in place. Errors: MPROC_ETOOBIG (key over MPROC_CONTAINER_MAX_KEY), MPROC_EFULL (no room
 * at max_size), MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL (NULL pointer with a
 * non-zero length, NaN timeout), MPROC_EBADHANDLE. */
MPROC_API int mproc_dict_set(mproc_dict_t *dict, const void *key, size_t key_len, const void *value,
                             size_t value_len, double timeout);

/* Copies the value of `key` into buf (capacity cap); *len = its size. Errors:
 * MPROC_ENOTFOUND (no such key), MPROC_ETOOBIG (cap too small; *len = the size needed),
 * MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL, MPROC_EBADHANDLE. */
MPROC_API int mproc_dict_get(mproc_dict_t *dict, const void *key, size_t key_len, void *buf,
                             size_t cap, size_t *len, double timeout);

/* As mproc_dict_get, into memory it allocates: *value (free with mproc_free; never NULL
 * on success, even for an empty value) and *len. Errors as mproc_dict_get (never
 * MPROC_ETOOBIG), MPROC_ENOMEM. */
MPROC_API int mproc_dict_get_alloc(mproc_dict_t *dict, const void *key, size_t key_len,
                                   void **value, size_t *len, double timeout);

/* *found = 1 if the key is in the dict, else 0. Errors as mproc_dict_get. */
MPROC_API int mproc_dict_contains(mproc_dict_t *dict, const void *key, size_t key_len, int *found,
                                  double timeout);

/* dict.setdefault: if the key is absent, inserts it with `value` (*inserted = 1); else
 * leaves it (*inserted = 0). Either way *current / *current_len receive the key's value
 * now, allocated (free with mproc_free); current may be NULL to skip it, inserted may be
 * NULL. Errors as mproc_dict_set, MPROC_ENOMEM. */
MPROC_API int mproc_dict_setdefault(mproc_dict_t *dict, const void *key, size_t key_len,
                                    const void *value, size_t value_len, void **current,
                                    size_t *current_len, int *inserted, double timeout);

/* dict.pop: removes the key and hands its value over in allocated memory (*value, *len;
 * value may be NULL to drop it). Errors: MPROC_ENOTFOUND (nothing is removed), as
 * mproc_dict_get, MPROC_ENOMEM. */
MPROC_API int mproc_dict_pop(mproc_dict_t *dict, const void *key, size_t key_len, void **value,
                             size_t *len, double timeout);

/* del d[key]. Errors: MPROC_ENOTFOUND, as mproc_dict_get. */
MPROC_API int mproc_dict_delete(mproc_dict_t *dict, const void *key, size_t key_len,
                                double timeout);

/* dict.popitem: removes the most recently inserted key; its key and value are allocated
 * (free both with mproc_free; key or value may be NULL to drop it). Errors: MPROC_EEMPTY
 * (the dict is empty), as mproc_dict_get, MPROC_ENOMEM. */
MPROC_API int mproc_dict_popitem(mproc_dict_t *dict, void **key, size_t *key_len, void **value,
                                 size_t *value_len, double timeout);

/* *n = the number of keys. Errors: MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL,
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_dict_len(mproc_dict_t *dict, size_t *n, double timeout);

/* Removes every key. Errors as mproc_dict_len. */
MPROC_API int mproc_dict_clear(mproc_dict_t *dict, double timeout);

/* dict.update: sets n keys at once, in order (a key given twice ends with its last
 * value), all or nothing: on any error nothing is changed. keys and values are arrays of
 * n byte strings (NULL when n is 0); a key's len may be MPROC_KEY_CSTR. Errors as
 * mproc_dict_set. */
MPROC_API int mproc_dict_update(mproc_dict_t *dict, const mproc_bytes_t *keys,
                                const mproc_bytes_t *values, size_t n, double timeout);

/* Snapshots in insertion order, taken atomically: *data (free with mproc_free; NULL when
 * the dict is empty) holds *count records in *len bytes. keys: one record per key.
 * items: two records per key, the key then its value. Errors as mproc_dict_len,
 * MPROC_ENOMEM. */
MPROC_API int mproc_dict_keys(mproc_dict_t *dict, void **data, size_t *len, size_t *count,
                              double timeout);
MPROC_API int mproc_dict_items(mproc_dict_t *dict, void **data, size_t *len, size_t *count,
                               double timeout);

/* Holds the dict's lock across several calls, so they are atomic together (the calls
 * themselves take the same lock again, recursively). Blocking and errors as
 * mproc_rlock_acquire: MPROC_EOWNERDEAD means the lock is held now, and the container is
 * consistent, but a group of calls of the dead owner may be half done. */
MPROC_API int mproc_dict_acquire(mproc_dict_t *dict, double timeout);
MPROC_API int mproc_dict_release(mproc_dict_t *dict);

/* Memory: *capacity = bytes per copy now, *max_size = the most it may grow to, *free =
 * bytes free in the current capacity (any may be NULL). Errors as mproc_dict_len. */
MPROC_API int mproc_dict_memory(mproc_dict_t *dict, size_t *capacity, size_t *max_size,
                                size_t *free, double timeout);

/* Creates an empty list; arguments and errors as mproc_dict_create. */
MPROC_API int mproc_list_create(const char *name, size_t initial_size, size_t max_size,
                                const mproc_options_t *opts, mproc_list_t **out);
MPROC_API int mproc_list_open(const char *name, mproc_list_t **out);
MPROC_API int mproc_list_close(mproc_list_t *list);
MPROC_API int mproc_list_unlink(const char *name);
MPROC_API int mproc_list_name(const mproc_list_t *list, char *buf, size_t len);

/* list.append. Errors: MPROC_EFULL, MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL,
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_list_append(mproc_list_t *list, const void *data, size_t len, double timeout);

/* list.extend: appends n items at once, all or nothing. Errors as mproc_list_append. */
MPROC_API int mproc_list_extend(mproc_list_t *list, const mproc_bytes_t *items, size_t n,
                                double timeout);

/* Copies item `index` into buf; *len = its size. Errors: MPROC_ENOTFOUND (index out of
 * range), MPROC_ETOOBIG (cap too small; *len = the size needed), as mproc_list_append. */
MPROC_API int mproc_list_get(mproc_list_t *list, long long index, void *buf, size_t cap,
                             size_t *len, double timeout);
/* As mproc_list_get, into allocated memory (free with mproc_free). */
MPROC_API int mproc_list_get_alloc(mproc_list_t *list, long long index, void **data, size_t *len,
                                   double timeout);

/* l[index] = data. Errors: MPROC_ENOTFOUND (index out of range), as mproc_list_append. */
MPROC_API int mproc_list_set(mproc_list_t *list, long long index, const void *data, size_t len,
                             double timeout);

/* list.insert: before `index`, clamped to [0, len] as Python does (so any index is
 * valid). Errors as mproc_list_append. */
MPROC_API int mproc_list_insert(mproc_list_t *list, long long index, const void *data, size_t len,
                                double timeout);

/* list.pop(index): removes the item and hands it over in allocated memory (*data, *len;
 * data may be NULL to drop it). Errors: MPROC_ENOTFOUND (index out of range, or the list
 * is empty), as mproc_list_get, MPROC_ENOMEM. */
MPROC_API int mproc_list_pop(mproc_list_t *list, long long index, void **data, size_t *len,
                             double timeout);

/* *n = the number of items. Errors: MPROC_ETIMEDOUT, MPROC_ECLOSED, MPROC_EINVAL,
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_list_len(mproc_list_t *list, size_t *n, double timeout);

/* Snapshot of items [start, stop), clamped as Python slices are (pass 0 and LLONG_MAX
 * for the whole list): records as for mproc_dict_keys. Errors as mproc_list_len,
 * MPROC_ENOMEM. */
MPROC_API int mproc_list_slice(mproc_list_t *list, long long start, long long stop, void **data,
                               size_t *len, size_t *count, double timeout);

/* l[start:stop] = items: replaces the (clamped) range by n items, all or nothing; n = 0
 * deletes the range, and (0, LLONG_MAX, NULL, 0) clears the list. Errors as
 * mproc_list_extend. */
MPROC_API int mproc_list_set_slice(mproc_list_t *list, long long start, long long stop,
                                   const mproc_bytes_t *items, size_t n, double timeout);

/* The list's lock and memory, as mproc_dict_acquire / _release / _memory. */
MPROC_API int mproc_list_acquire(mproc_list_t *list, double timeout);
MPROC_API int mproc_list_release(mproc_list_t *list);
MPROC_API int mproc_list_memory(mproc_list_t *list, size_t *capacity, size_t *max_size,
                                size_t *free, double timeout);

/* Walks a snapshot: on the first call *offset must be 0. Sets *item / *item_len to the next
 * record and advances *offset; returns MPROC_EEMPTY (no output) past the last record.
 * Errors: MPROC_EINVAL (NULL pointer, or a record that runs past `len`: not a snapshot). */
MPROC_API int mproc_records_next(const void *data, size_t len, size_t *offset, const void **item,
                                 size_t *item_len);

/* ---- Tasks ------------------------------------------------------------------------ */
/* A task is what a Process, a Thread or (later) a pool runs. Two forms:
 *
 *  - a function pointer with a void* argument (mproc_task_from_function): valid only in
 *    this process, its threads and its forked children;
 *  - a task reference (mproc_task_create): a library, a symbol and a signature, with
 *    arguments, the way Python pickles a function by module and name. Whoever runs it
 *    dlopen()s the library, dlsym()s the symbol and calls it through libffi, so it can run
 *    in a process started by exec, and the function may be written in any language that
 *    exports a C symbol.
 *
 * Signature grammar: one result code, then the argument codes in parentheses, no spaces:
 * "d(di)" is `double f(double, int)`, "v()" is `void f(void)`. Codes (Python's struct
 * letters where it has one):
 *
 *   v  void (result only)       b  signed char     B  unsigned char
 *   h  short                    H  unsigned short  i  int            I  unsigned int
 *   l  long                     L  unsigned long   q  long long      Q  unsigned long long
 *   n  ssize_t                  N  size_t          f  float          d  double
 *   s  const char *: a NUL-terminated string
 *   y  bytes: as an argument, two C parameters (const void *data, size_t len); as a
 *      result, the function returns an mproc_bytes_t by value
 *   S, Y  results only: as s and y, but the memory came from malloc() and the caller of
 *      the function frees it after copying; s and y results are borrowed (static or
 *      otherwise valid until the function is called again) and copied.
 *
 * At most MPROC_TASK_MAX_ARGS arguments. Strings and bytes arguments are copied into the
 * task when added. */

#define MPROC_TASK_MAX_ARGS 16

typedef struct mproc_task mproc_task_t;

/* The result of a `y` or `Y` task function is an mproc_bytes_t (declared with Dict and
 * List above). */

/* A function-pointer task's function: its int result is the task's result (and the exit
 * code of a Process that runs it). */
typedef int (*mproc_task_fn)(void *arg);

/* Creates a task reference. `library` is a path or a name dlopen() accepts; NULL means
 * dlopen(NULL): the running program's exported symbols (link it with -rdynamic for its own
 * functions) and the libraries in the global scope, such as libc. Nothing is loaded yet (see
 * mproc_task_check). Errors: MPROC_EINVAL (symbol or signature NULL or malformed, with
 * what and where in the message; out NULL), MPROC_ETOOBIG (more than MPROC_TASK_MAX_ARGS
 * arguments, a name over 4096 bytes), MPROC_ENOMEM. Ownership: the caller owns *out and
 * frees it with mproc_task_close. A task is not safe to change from several threads at
 * once; a finished one may be read (and run) by many. */
MPROC_API int mproc_task_create(const char *library, const char *symbol, const char *signature,
                                mproc_task_t **out);

/* Creates a function-pointer task. Its signature reads "i(p)". Errors: MPROC_EINVAL (fn or
 * out NULL), MPROC_ENOMEM. Ownership as mproc_task_create. */
MPROC_API int mproc_task_from_function(mproc_task_fn fn, void *arg, mproc_task_t **out);

/* Frees the task. Errors: MPROC_EBADHANDLE. */
MPROC_API int mproc_task_close(mproc_task_t *task);

/* Append the next argument. Each checks that the signature expects that kind of value
 * next: *_int for b h i l q n, *_uint for B H I L Q N, *_double for f d, *_string for s,
 * *_bytes for y; an integer outside the C type's range, or a finite double beyond a
 * float's for f, is MPROC_ETOOBIG. Errors:
 * MPROC_EINVAL (wrong kind, more arguments than the signature has, NULL string, NULL data
 * with len > 0, a function-pointer task), MPROC_ETOOBIG, MPROC_EBADHANDLE. */
MPROC_API int mproc_task_arg_int(mproc_task_t *task, long long value);
MPROC_API int mproc_task_arg_uint(mproc_task_t *task, unsigned long long value);
MPROC_API int mproc_task_arg_double(mproc_task_t *task, double value);
MPROC_API int mproc_task_arg_string(mproc_task_t *task, const char *value);
MPROC_API int mproc_task_arg_bytes(mproc_task_t *task, const void *data, size_t len);

/* Drops the arguments added so far, to reuse the task with others. Errors:
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_task_clear_args(mproc_task_t *task);

/* Loads the library and looks the symbol up now, in this process, to report a missing
 * one early. Errors: MPROC_ENOTFOUND (no such library, or no such symbol in it; dlerror()
 * in the message), MPROC_EBADHANDLE. A function-pointer task always passes. */
MPROC_API int mproc_task_check(mproc_task_t *task);

/* A task's result, as mproc_task_call (and later Futures) report it. `type` is the result
 * code of the signature ('i' for a function-pointer task, 'v' for none). Integers are in
 * i (signed codes) or u (unsigned codes), floating point in d; s / S / y / Y results are
 * copied to data / len (a string with its NUL, len not counting it); a NULL string, or
 * bytes with NULL data, is data NULL and len 0. */
typedef struct mproc_result {
    char type;
    long long i;
    unsigned long long u;
    double d;
    const void *data; /* owned by the task: valid until the same thread calls it again,
                         or the task is closed */
    size_t len;
} mproc_result_t;

/* Runs the task in the calling thread: loads, looks up and calls it (through libffi for a
 * task reference) and fills *result. Blocks for as long as the function runs. Errors:
 * MPROC_EINVAL (fewer arguments than the signature has, result NULL), MPROC_ENOTFOUND
 * (library or symbol), MPROC_ENOMEM, MPROC_EBADHANDLE. A crash inside the function is the
 * caller's crash: run untrusted functions in a Process. */
MPROC_API int mproc_task_call(mproc_task_t *task, mproc_result_t *result);

/* ---- Process ---------------------------------------------------------------------- */
/* A child process that runs a task, like multiprocessing.Process, started by one of three
 * start methods (multiprocessing's):
 *
 *  - MPROC_START_FORK (the default): the child is a copy of the caller made by fork().
 *    Only the calling thread exists in the child: a program with threads should start
 *    processes before them, as with Python's fork method. Any task works.
 *  - MPROC_START_SPAWN: the child is a fresh program, mproc-worker (installed with the
 *    library in <libexecdir>/mproc, which the library finds from its own directory;
 *    $MPROC_WORKER overrides where it is looked for), which receives the task
 *    reference and runs it. Nothing of the caller is inherited but the environment, the
 *    working directory and descriptors 1 and 2 (stdin is /dev/null): safe from any
 *    thread. Function-pointer tasks are MPROC_EINVAL with it.
 *  - MPROC_START_FORKSERVER: the first such start launches a server, mproc-worker in
 *    server mode (a fresh single-threaded program, as spawn starts); every child is then a
 *    fork of that server, which runs the task reference. Cheaper than spawn after the
 *    first start and safe from any thread; function-pointer tasks are MPROC_EINVAL. The
 *    child has the caller's stdout and stderr of the moment of start, but the environment
 *    and working directory of the server (the caller's when the server started), and
 *    stdin /dev/null. The server relays each child's exit status, and ends (killing its
 *    daemon children) when the process that started it ends, even by SIGKILL: for these
 *    children "the thread that started it" below means the process. If the server itself
 *    dies, its daemon children die, the others run on and their exit status is lost
 *    (exitcode: MPROC_ESYSTEM), and the next start launches a new server. A fork child of
 *    the caller launches a server of its own. mproc_process_fd gives the socket the exit
 *    status arrives on instead of a pidfd (readable at the end; do not read it).
 *
 * The child exits with the task's int result (& 0xff; 0 for a task whose result is not an
 * integer; 1 if the task could not be loaded or called, with the reason on stderr).
 *
 * exitcode follows Python: unset while the child runs, its exit status once it ended, or
 * minus the signal number if a signal killed it. Every started child is reaped (by join,
 * is_alive, exitcode, close, or mproc_active_children), so none stays a zombie. A daemon
 * child is killed (SIGKILL) when the process that started it dies, even by SIGKILL --
 * precisely, when the thread that started it ends (the kernel's PR_SET_PDEATHSIG): start
 * daemons from a thread that lives as long as they should.
 *
 * A Process handle inherited by a fork child can only be closed there (other calls are
 * MPROC_EINVAL): the child it names is its parent's. */

typedef struct mproc_process mproc_process_t;

#define MPROC_START_DEFAULT 0 /* in options: the default of mproc_set_start_method */
#define MPROC_START_FORK 1
#define MPROC_START_SPAWN 2
#define MPROC_START_FORKSERVER 3

/* Sets the start method of processes created with MPROC_START_DEFAULT, as
 * multiprocessing.set_start_method (but it may be set again at any time; MPROC_START_DEFAULT
 * restores fork). Applies to processes started afterwards. Errors: MPROC_EINVAL. */
MPROC_API int mproc_set_start_method(int method);

/* *method = the default start method (MPROC_START_FORK unless set). */
MPROC_API int mproc_get_start_method(int *method);

#define MPROC_PROCESS_NAME_MAX 200

/* Process options. Initialise with mproc_process_options_init, then set fields. */
typedef struct mproc_process_options {
    size_t size;      /* sizeof(mproc_process_options_t); set by mproc_process_options_init */
    const char *name; /* NULL: "Process-N", N counting up from 1 in this process */
    int daemon;       /* 1: killed when its parent dies; default 0 */
    int start_method; /* MPROC_START_*; default MPROC_START_DEFAULT */
} mproc_process_options_t;

MPROC_API int mproc_process_options_init(mproc_process_options_t *opts);

/* Creates a process object for `target` (copied: the caller keeps and closes its task).
 * Not started yet. opts NULL = defaults. Errors: MPROC_EINVAL (target incomplete: fewer
 * arguments than its signature; name over MPROC_PROCESS_NAME_MAX; an unknown start
 * method; a function-pointer task with MPROC_START_SPAWN or MPROC_START_FORKSERVER; out
 * NULL),
 * MPROC_EBADHANDLE (target), MPROC_ENOMEM. Ownership: the caller owns *out and frees it
 * with mproc_process_close. */
MPROC_API int mproc_process_create(const mproc_task_t *target, const mproc_process_options_t *opts,
                                   mproc_process_t **out);

/* Starts the child, with the process's start method (or the default at this moment).
 * Errors: MPROC_EINVAL (started already; a function-pointer task and the spawn or
 * forkserver method), MPROC_ENOTFOUND (spawn, forkserver: no mproc-worker), MPROC_ENOMEM /
 * MPROC_ESYSTEM (fork, spawn or the forkserver failed; errno in the message),
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_process_start(mproc_process_t *process);

/* Waits up to timeout for the child to end, and reaps it. Errors: MPROC_ETIMEDOUT,
 * MPROC_EINVAL (not started), MPROC_EBADHANDLE. */
MPROC_API int mproc_process_join(mproc_process_t *process, double timeout);

/* *alive = 1 between a successful start and the child's end. Never blocks. */
MPROC_API int mproc_process_is_alive(mproc_process_t *process, int *alive);

/* *exitcode = the child's exit code (see above) and returns MPROC_OK once it ended;
 * MPROC_EEMPTY while it runs or before start (Python's None). Never blocks. MPROC_ESYSTEM
 * if someone else reaped the child (SIGCHLD ignored, a waitpid(-1) elsewhere): it ended,
 * but its status is lost. */
MPROC_API int mproc_process_exitcode(mproc_process_t *process, int *exitcode);

/* *pid = the child's process id once started; MPROC_EEMPTY before. */
MPROC_API int mproc_process_pid(const mproc_process_t *process, int *pid);

/* Copies the process's name with its NUL. Errors as mproc_lock_name. */
MPROC_API int mproc_process_name(const mproc_process_t *process, char *buf, size_t len);

/* *daemon = the daemon flag. */
MPROC_API int mproc_process_daemon(const mproc_process_t *process, int *daemon);

/* Sends SIGTERM (terminate), SIGKILL (kill) or `signum` (1 .. SIGRTMAX) to a started child
 * that has not been reaped; nothing happens if it has already ended. Never blocks.
 * Errors: MPROC_EINVAL (not started; a bad signal number), MPROC_EBADHANDLE. */
MPROC_API int mproc_process_terminate(mproc_process_t *process);
MPROC_API int mproc_process_kill(mproc_process_t *process);
MPROC_API int mproc_process_send_signal(mproc_process_t *process, int signum);

/* *fd = a descriptor that becomes readable when the child ends, for poll(), epoll or an
 * event loop: a pidfd (fork, spawn), or the channel on which the forkserver relays the
 * exit status. It belongs to the process object: do not close it. Errors: MPROC_EINVAL
 * (not started), MPROC_ESYSTEM (fork, spawn: the kernel has no pidfd_open: Linux < 5.3). */
MPROC_API int mproc_process_fd(mproc_process_t *process, int *fd);

/* Frees the object once its child has ended (or was never started). While the child runs
 * it is MPROC_EINVAL and nothing is freed, as Python's close raises ValueError: join or
 * kill it first. Errors: MPROC_EINVAL (running), MPROC_EBADHANDLE. */
MPROC_API int mproc_process_close(mproc_process_t *process);

/* Fills pids[0 .. *n) with the children started through mproc_process_start that are
 * still running, reaping those that ended (multiprocessing.active_children), and reaps
 * finished children of closed Popen objects. *n = how many there are; if more than `cap`,
 * the first `cap` are written and the call returns MPROC_ETOOBIG (with *n set). pids may
 * be NULL with cap 0 to count. Never blocks. */
MPROC_API int mproc_active_children(int *pids, size_t cap, size_t *n);

/* *n = the CPUs this process may run on (its affinity mask), at least 1, as
 * os.process_cpu_count(). Never fails but for n NULL (MPROC_EINVAL). */
MPROC_API int mproc_cpu_count(int *n);

/* The calling process as mproc names it: "MainProcess" in a program, the Process's name
 * in a child started by mproc; *pid = getpid(). Either out-pointer may be NULL.
 * Errors: MPROC_ETOOBIG (buf too small). */
MPROC_API int mproc_current_process(char *name, size_t len, int *pid);

/* *pid = the parent's process id if the caller was started by mproc_process_start, else
 * MPROC_EEMPTY (Python's parent_process() returning None). */
MPROC_API int mproc_parent_process(int *pid);

/* ---- Thread ----------------------------------------------------------------------- */
/* A thread that runs a task, like threading.Thread, for C callers without threads of their
 * own. The task's int result is kept for mproc_thread_result. */

typedef struct mproc_thread mproc_thread_t;

/* Creates (does not start) a thread for `target` (copied). name NULL: "Thread-N".
 * Errors: MPROC_EINVAL (target incomplete, name over MPROC_PROCESS_NAME_MAX, out NULL),
 * MPROC_EBADHANDLE, MPROC_ENOMEM. Ownership: the caller frees *out with
 * mproc_thread_close. */
MPROC_API int mproc_thread_create(const mproc_task_t *target, const char *name,
                                  mproc_thread_t **out);

/* Starts it. Errors: MPROC_EINVAL (started already), MPROC_ESYSTEM (pthread_create). */
MPROC_API int mproc_thread_start(mproc_thread_t *thread);

/* Waits up to timeout for it to finish. Errors: MPROC_ETIMEDOUT, MPROC_EINVAL (not
 * started, or the calling thread is this thread), MPROC_EBADHANDLE. */
MPROC_API int mproc_thread_join(mproc_thread_t *thread, double timeout);

/* *alive = 1 between start and the end of its task. */
MPROC_API int mproc_thread_is_alive(const mproc_thread_t *thread, int *alive);

/* *ident = the kernel thread id (gettid) once started; MPROC_EEMPTY before. */
MPROC_API int mproc_thread_ident(const mproc_thread_t *thread, unsigned long long *ident);

MPROC_API int mproc_thread_name(const mproc_thread_t *thread, char *buf, size_t len);

/* *result = the task's result once the thread finished; MPROC_EEMPTY before. A task that
 * could not be loaded or called leaves that error here instead (its code, and its message
 * in mproc_last_error). */
MPROC_API int mproc_thread_result(const mproc_thread_t *thread, mproc_result_t *result);

/* Frees the object. A started thread must have been joined: a running one is
 * MPROC_EINVAL (nothing freed). Errors: MPROC_EBADHANDLE. */
MPROC_API int mproc_thread_close(mproc_thread_t *thread);

/* ==== Futures and pools ============================================================== */

/* ---- Future ----------------------------------------------------------------------- */
/* The eventual outcome of a task handed to a pool, like concurrent.futures.Future (and
 * multiprocessing's AsyncResult: get = mproc_future_result, ready = mproc_future_done,
 * successful = mproc_future_exception giving MPROC_OK). A future is pending, then running,
 * then finished (with a result or an error), or cancelled before it ran.
 *
 * A future handle is the caller's reference to an outcome that the pool shares: closing
 * the handle does not cancel the task (call mproc_future_cancel for that). A future may be
 * used from many threads at once, but not after it is closed: unlike other handles,
 * closing a future while another thread waits on it is a misuse, not a wake-up. */

typedef struct mproc_future mproc_future_t;

/* A done-callback: called once when the future finishes or is cancelled, with a handle
 * that is valid during the call only (do not close it; it may differ from the caller's). */
typedef void (*mproc_future_callback_fn)(mproc_future_t *future, void *arg);

/* Waits up to timeout for the future to be done (finished or cancelled). Errors:
 * MPROC_ETIMEDOUT, MPROC_EBADHANDLE. A finished task that failed is still MPROC_OK here. */
MPROC_API int mproc_future_wait(mproc_future_t *future, double timeout);

/* *done = 1 once finished or cancelled; *running = 1 while a worker runs it; *cancelled
 * = 1 if it was cancelled. Never block. Errors: MPROC_EINVAL (out NULL), MPROC_EBADHANDLE. */
MPROC_API int mproc_future_done(const mproc_future_t *future, int *done);
MPROC_API int mproc_future_running(const mproc_future_t *future, int *running);
MPROC_API int mproc_future_cancelled(const mproc_future_t *future, int *cancelled);

/* Cancels the task if it has not started: *cancelled = 1, the future is done and its
 * callbacks run. A running or finished task cannot be cancelled (*cancelled = 0), as
 * Future.cancel returning False; an already cancelled one gives 1 again. cancelled may be
 * NULL. Never blocks. Errors: MPROC_EBADHANDLE. */
MPROC_API int mproc_future_cancel(mproc_future_t *future, int *cancelled);

/* Waits up to timeout for the outcome, then: MPROC_OK with *result filled (as
 * mproc_task_call fills it; result->data is owned by the future and stays valid until the
 * future handle is closed), or the task's error -- its code is the return value and
 * mproc_last_error() gives its message, for example MPROC_ENOTFOUND for a missing symbol,
 * MPROC_EBROKEN when the worker process running it died ("killed by signal 9 (SIGKILL)"),
 * MPROC_EFAILED for a function task of a process pool... -- or MPROC_ECANCELLED, or
 * MPROC_ETIMEDOUT (the future is unchanged). result may be NULL to wait for success only.
 * Errors also: MPROC_EBADHANDLE. */
MPROC_API int mproc_future_result(mproc_future_t *future, double timeout, mproc_result_t *result);

/* Waits up to timeout like mproc_future_result, then *code = MPROC_OK if the task
 * succeeded, or its error code (message in mproc_last_error() too), or MPROC_ECANCELLED.
 * Returns MPROC_OK whenever *code was set; MPROC_ETIMEDOUT, MPROC_EINVAL (code NULL),
 * MPROC_EBADHANDLE otherwise. */
MPROC_API int mproc_future_exception(mproc_future_t *future, double timeout, int *code);

/* Adds a done-callback. If the future is done already it is called at once in the caller's
 * thread; otherwise in the thread that completes the future (a pool's worker thread, or its
 * result thread), in the order they were added. A callback must not block for long, and
 * must not wait for other futures of the same thread pool. Errors: MPROC_EINVAL (fn NULL),
 * MPROC_ENOMEM, MPROC_EBADHANDLE. */
MPROC_API int mproc_future_add_done_callback(mproc_future_t *future, mproc_future_callback_fn fn,
                                             void *arg);

/* Releases the caller's handle; the task goes on unless cancelled. NULL is fine. Errors:
 * MPROC_EBADHANDLE. */
MPROC_API int mproc_future_close(mproc_future_t *future);

/* What mproc_futures_wait waits for (concurrent.futures.wait's return_when). */
#define MPROC_FIRST_COMPLETED 1 /* any future done */
#define MPROC_FIRST_EXCEPTION 2 /* any future failed or cancelled, or else all done */
#define MPROC_ALL_COMPLETED 3   /* every future done */

/* Waits up to timeout until the condition holds over futures[0 .. n); *ndone (may be
 * NULL) = how many are done when it returns. n 0 returns at once. Errors: MPROC_ETIMEDOUT
 * (the condition does not hold yet; *ndone is set), MPROC_EINVAL (futures NULL with n > 0,
 * a NULL entry, a bad return_when), MPROC_EBADHANDLE. */
MPROC_API int mproc_futures_wait(mproc_future_t *const *futures, size_t n, int return_when,
                                 double timeout, size_t *ndone);

/* Waits up to timeout for any of futures[0 .. n) to be done and sets *index to the lowest
 * index of one that is. As concurrent.futures.as_completed: take the future out of the
 * set and call again. Errors: MPROC_ETIMEDOUT, MPROC_EINVAL (n 0, a NULL entry, index
 * NULL), MPROC_EBADHANDLE. */
MPROC_API int mproc_futures_wait_any(mproc_future_t *const *futures, size_t n, double timeout,
                                     size_t *index);

/* Closes futures[0 .. n) (NULL entries skipped) and sets every entry to NULL. Returns
 * MPROC_OK, or the first error (MPROC_EBADHANDLE for a closed entry; the others are still
 * closed); MPROC_EINVAL for futures NULL with n > 0. */
MPROC_API int mproc_futures_close(mproc_future_t **futures, size_t n);

/* ---- ThreadPool ------------------------------------------------------------------- */
/* Threads of this process that run tasks, like concurrent.futures.ThreadPoolExecutor.
 * Any task works (function pointers too). Tasks run in the order submitted. */

typedef struct mproc_thread_pool mproc_thread_pool_t;

/* Starts a pool of `workers` threads (0: mproc_cpu_count). Errors: MPROC_EINVAL (workers
 * negative or over 4096, out NULL), MPROC_ESYSTEM (pthread_create), MPROC_ENOMEM.
 * Ownership: the caller frees *out with mproc_thread_pool_close. */
MPROC_API int mproc_thread_pool_create(int workers, mproc_thread_pool_t **out);

/* Queues `task` (copied: the caller keeps and closes it) and returns its future in *out.
 * Never blocks. Errors: MPROC_EINVAL (task incomplete, out NULL), MPROC_ECLOSED (the
 * pool is shut down), MPROC_EBADHANDLE, MPROC_ENOMEM. */
MPROC_API int mproc_thread_pool_submit(mproc_thread_pool_t *pool, const mproc_task_t *task,
                                       mproc_future_t **out);

/* Submits tasks[0 .. n) and waits up to timeout for them in order, like Executor.map with
 * a result for each item: futures[i] receives the future of tasks[i] (the caller closes
 * them, also on failure) and the results are read with mproc_future_result. Returns
 * MPROC_OK when all succeeded, else the error of the first failed task in order (its
 * message in mproc_last_error(); as Python's map, later tasks are not waited for), or
 * MPROC_ETIMEDOUT. If a submission fails, the futures
 * made so far are cancelled and closed, every entry is NULL, and that error is returned.
 * Errors also: MPROC_EINVAL (tasks or futures NULL with n > 0), MPROC_ECLOSED. */
MPROC_API int mproc_thread_pool_map(mproc_thread_pool_t *pool, const mproc_task_t *const *tasks,
                                    size_t n, double timeout, mproc_future_t **futures);

/* Stops accepting tasks (later submits are MPROC_ECLOSED). cancel_pending 1 cancels the
 * tasks not started yet. wait 1 waits for the running and remaining tasks and for the
 * threads to end; wait 0 returns at once. Calling it again is fine. Errors:
 * MPROC_EINVAL (wait from one of the pool's own threads), MPROC_EBADHANDLE. */
MPROC_API int mproc_thread_pool_shutdown(mproc_thread_pool_t *pool, int wait, int cancel_pending);

/* *workers = the number of threads. */
MPROC_API int mproc_thread_pool_workers(const mproc_thread_pool_t *pool, int *workers);

/* Shuts the pool down (wait 1, cancel_pending 0) and frees it. Errors: MPROC_EINVAL
 * (called from one of its own threads; nothing freed), MPROC_EBADHANDLE. */
MPROC_API int mproc_thread_pool_close(mproc_thread_pool_t *pool);

/* ---- ProcessPool ------------------------------------------------------------------ */
/* Worker processes that run tasks, like multiprocessing.Pool. Tasks and results travel
 * over mproc queues; each worker takes tasks from its own queue, so the pool always knows
 * which task a worker holds.
 *
 * Start methods: with MPROC_START_FORK the workers are forks of the pool's result thread
 * (tasks may be function pointers); with MPROC_START_SPAWN or MPROC_START_FORKSERVER they
 * are fresh programs and tasks must be task references. Workers are daemons: they die
 * with the pool's process.
 *
 * Failure. When a worker dies (killed, crashed, or exited inside a task), the task it was
 * running fails with MPROC_EBROKEN and a message that names the worker, the signal or exit
 * status and the task; the tasks it had not started go to other workers; a replacement
 * worker starts; every other task completes. A worker killed while it starts, before it
 * took a task, is replaced too. An initializer that fails makes the pool broken, as
 * concurrent.futures does: every pending and later task fails with MPROC_EBROKEN (the
 * initializer's failure in the message); so do 5 workers in a row that die before they
 * are ready (crash in the initializer, or a start that always fails). No call waits for ever for a
 * dead worker. A task that fails normally (missing symbol, ...) fails its future only.
 *
 * apply, map, starmap, imap, imap_unordered. A C task carries its own arguments, so
 * starmap is map; imap is reading the futures of map_async in order, and imap_unordered
 * is mproc_futures_wait_any over them.
 *
 * Scaling out: the MPI backend (backend = MPROC_BACKEND_MPI). The workers are MPI ranks,
 * on this host or others, and run task references only (a function pointer means nothing
 * on another host: MPROC_EINVAL). Every call below works the same; futures, chunksize,
 * shutdown, terminate and join too. Available when mproc was built with MPROC_WITH_MPI
 * (mproc_pool_backend_available says); libmproc itself never links MPI: it loads the
 * plugin libmproc_mpi.so on first use. Two ways to start, chosen by how the program runs:
 *  - dynamic: a program not started by mpiexec (or with one rank) spawns `processes`
 *    workers (0: mproc_cpu_count) with MPI_Comm_spawn, running mproc-mpi-worker;
 *    placement follows MPI: mpi_info passes MPI_Info keys such as "host=a,b" or
 *    "hostfile=hosts", and Open MPI's own environment (OMPI_MCA_*) applies;
 *  - static: under `mpiexec -n N program`, rank 0 is the pool and ranks 1 .. N-1 are its
 *    workers (processes must be 0 or N-1). In ranks 1 .. N-1, mproc_pool_create does not
 *    return: the process serves tasks until the pool is closed, then exits with status 0.
 *    So create the pool before the program does anything else. `mpiexec -n 1 program :
 *    -n 3 mproc-mpi-worker` works too.
 * Each worker rank runs its tasks in one local spawned mproc-worker, so a task that
 * crashes fails with MPROC_EBROKEN (the message names the rank, host and signal) and only
 * the local worker is replaced. A rank that falls silent for mpi_heartbeat_timeout
 * seconds (killed, host down) is lost: the tasks it held without results fail with
 * MPROC_EBROKEN (naming the rank and host), the ones queued go to other ranks, and the
 * lost rank is not replaced; with every rank lost the pool is broken. No call waits for
 * ever. What MPI cannot recover: Open MPI aborts every rank of a job when one of them dies
 * (a spawned job's other workers; under mpiexec, the whole program including rank 0), and
 * MPI can be initialised once per process: the backend leaves MPI initialised until the
 * process exits. Shared-memory objects (queues, locks, Dict ...) are per host; only the
 * pool's tasks and results cross hosts. mproc_pool_worker_pids gives no pids for an MPI
 * pool (they are other hosts' pids). Environment: Open MPI refuses to spawn more workers
 * than the host has cores unless OMPI_MCA_rmaps_base_oversubscribe=1 (or a hostfile
 * gives slots), and refuses to run as root without OMPI_ALLOW_RUN_AS_ROOT=1 and
 * OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; MPROC_MPI_PLUGIN and MPROC_MPI_WORKER name the
 * plugin and mproc-mpi-worker when they are not next to libmproc; MPROC_MPI_TRACE=1
 * prints the transport's events on stderr. */

typedef struct mproc_pool mproc_pool_t;

#define MPROC_BACKEND_LOCAL 0 /* worker processes on this host (default) */
#define MPROC_BACKEND_MPI 1   /* worker ranks through MPI */

typedef struct mproc_pool_options {
    size_t size;      /* sizeof(mproc_pool_options_t); set by mproc_pool_options_init */
    int processes;    /* 0 (default): mproc_cpu_count */
    int start_method; /* MPROC_START_*; default MPROC_START_DEFAULT */
    const mproc_task_t *initializer;   /* run by each worker before its first task; NULL none.
                                          Copied at create. A failure (error, or a non-zero
                                          int result) breaks the pool. */
    unsigned long max_tasks_per_child; /* a worker is replaced after this many tasks; 0
                                          (default) never */
    size_t max_message; /* the largest encoded task or result, in bytes; default 65536.
                           A bigger task is MPROC_ETOOBIG at submit; a bigger result fails
                           its future with MPROC_ETOOBIG. */
    /* MPROC_BACKEND_LOCAL (default) or MPROC_BACKEND_MPI; with MPI, start_method must stay
     * MPROC_START_DEFAULT. */
    int backend;
    /* MPI, dynamic start: MPI_Info keys for MPI_Comm_spawn as "key=value;key=value"
     * ("host=a,b", "hostfile=f"); NULL none. Copied at create. */
    const char *mpi_info;
    /* MPI: seconds of silence after which a worker rank is lost; 0 (default): 10. */
    double mpi_heartbeat_timeout;
} mproc_pool_options_t;

MPROC_API int mproc_pool_options_init(mproc_pool_options_t *opts);

/* 1 if pools of `backend` can be made here (MPROC_BACKEND_MPI: the plugin libmproc_mpi.so
 * is found and loads), else 0 (also for an unknown backend). Never fails. */
MPROC_API int mproc_pool_backend_available(int backend);

/* Starts the workers. opts NULL = defaults. Errors: MPROC_EINVAL (processes negative or
 * over 1024, a bad start method, a function-pointer initializer with spawn, forkserver or
 * MPI, an incomplete initializer, max_message under 64 or over 64 MiB, an unknown
 * backend, a start method with MPI, a malformed mpi_info, a negative heartbeat timeout,
 * static MPI start with processes not 0 or N-1, out NULL), MPROC_ENOTFOUND (spawn: no
 * mproc-worker; MPI: no plugin or no mproc-mpi-worker), MPROC_ESYSTEM (MPI failed: its
 * message), MPROC_ENOMEM. Under mpiexec, in ranks 1 .. N-1, an MPI pool's create does not
 * return (see "Scaling out" above). Ownership: the caller frees *out with
 * mproc_pool_close. */
MPROC_API int mproc_pool_create(const mproc_pool_options_t *opts, mproc_pool_t **out);

/* Queues `task` (copied) and returns its future (Pool.apply_async). Never blocks.
 * Errors: MPROC_EINVAL (task incomplete; a function-pointer task in a spawn or forkserver
 * pool; out NULL), MPROC_ETOOBIG (over max_message), MPROC_ECLOSED (after shutdown or
 * terminate), MPROC_EBROKEN (the pool is broken), MPROC_EBADHANDLE, MPROC_ENOMEM. */
MPROC_API int mproc_pool_apply_async(mproc_pool_t *pool, const mproc_task_t *task,
                                     mproc_future_t **out);

/* Runs `task` in a worker and waits up to timeout for it (Pool.apply): MPROC_OK with
 * *result filled, its data valid until the calling thread's next mproc_pool_apply, or the
 * task's error as mproc_future_result gives it, or MPROC_ETIMEDOUT (the task goes on).
 * Errors also as mproc_pool_apply_async. */
MPROC_API int mproc_pool_apply(mproc_pool_t *pool, const mproc_task_t *task, double timeout,
                               mproc_result_t *result);

/* Queues tasks[0 .. n) in chunks of `chunksize` tasks per message (0: automatic, as
 * Python: n / (4 * processes), rounded up, at least 1), and fills futures[i] with the
 * future of tasks[i] (Pool.map_async, one future per item). The caller closes them. On
 * failure nothing is queued and every entry is NULL. Errors: as mproc_pool_apply_async, and
 * MPROC_EINVAL (tasks or futures NULL with n > 0). */
MPROC_API int mproc_pool_map_async(mproc_pool_t *pool, const mproc_task_t *const *tasks, size_t n,
                                   size_t chunksize, mproc_future_t **futures);

/* mproc_pool_map_async, then waits up to timeout for every future (Pool.map): MPROC_OK when
 * all succeeded, else the error of the first failed item in order, or MPROC_ETIMEDOUT.
 * futures is filled as by map_async whenever the tasks were queued (the caller closes
 * them). */
MPROC_API int mproc_pool_map(mproc_pool_t *pool, const mproc_task_t *const *tasks, size_t n,
                             size_t chunksize, double timeout, mproc_future_t **futures);

/* Pool.close: no more tasks (MPROC_ECLOSED); queued tasks still run, then the workers
 * exit. Never blocks. Calling it again is fine. */
MPROC_API int mproc_pool_shutdown(mproc_pool_t *pool);

/* Pool.terminate: kills the workers (SIGKILL) now. Tasks not started are cancelled
 * (MPROC_ECANCELLED); running ones fail with MPROC_EBROKEN. Blocks until the workers are
 * reaped. */
MPROC_API int mproc_pool_terminate(mproc_pool_t *pool);

/* Pool.join: waits up to timeout for the workers to exit after shutdown or terminate.
 * Errors: MPROC_EINVAL (the pool still accepts tasks: shut it down first),
 * MPROC_ETIMEDOUT, MPROC_EBADHANDLE. */
MPROC_API int mproc_pool_join(mproc_pool_t *pool, double timeout);

/* *processes = the number of workers the pool keeps. */
MPROC_API int mproc_pool_processes(const mproc_pool_t *pool, int *processes);

/* Fills pids[0 .. *n) with the worker processes alive now (errors and capacity as
 * mproc_active_children). For monitoring and tests. */
MPROC_API int mproc_pool_worker_pids(mproc_pool_t *pool, int *pids, size_t cap, size_t *n);

/* Terminates the pool if it was not joined (as leaving Python's `with Pool()` does) and
 * frees it. Futures still open stay valid: those not done are cancelled or fail with
 * MPROC_EBROKEN. NULL is fine. Errors: MPROC_EBADHANDLE. */
MPROC_API int mproc_pool_close(mproc_pool_t *pool);

/* Internal: the main loop of a process pool's worker. Spawn and forkserver pools start
 * their workers as the task reference (NULL, "mproc_pool_worker_main", "i(y)"), which
 * mproc-worker resolves in itself; `config` is the pool's encoded description of the
 * worker. Not for direct use: it returns 1 for a malformed config, else the worker's
 * exit code when the pool lets it go. */
MPROC_API int mproc_pool_worker_main(const void *config, size_t len);

/* ---- Subprocess ------------------------------------------------------------------- */
/* Running programs, like Python's subprocess: mproc_run for the common case, and Popen
 * for control. Programs are started with posix_spawn (searching PATH when argv[0] has no
 * '/'); a program that cannot be started is an error of the call (MPROC_ENOTFOUND,
 * MPROC_EPERM), never a child that exits 127. Children never inherit descriptors other
 * than 0, 1 and 2. SIGPIPE is not raised in the caller when a child stops reading. */

typedef struct mproc_popen mproc_popen_t;

/* What a child's stdin, stdout or stderr is. */
#define MPROC_STDIO_INHERIT 0 /* the caller's own (the default) */
#define MPROC_STDIO_PIPE 1    /* a pipe to the caller (mproc_popen_*_fd, communicate) */
#define MPROC_STDIO_DEVNULL 2 /* /dev/null */
#define MPROC_STDIO_FD 3      /* the descriptor in the matching *_fd field */
#define MPROC_STDIO_STDOUT 4  /* stderr only: to wherever stdout goes (2>&1) */

typedef struct mproc_popen_options {
    size_t size;                              /* set by mproc_popen_options_init */
    int stdin_mode, stdout_mode, stderr_mode; /* MPROC_STDIO_*; default INHERIT */
    int stdin_fd, stdout_fd, stderr_fd;       /* for MPROC_STDIO_FD */
    const char *const *env; /* NULL-terminated "NAME=value" list; NULL: the caller's */
    const char *cwd;        /* working directory of the child; NULL: the caller's */
} mproc_popen_options_t;

MPROC_API int mproc_popen_options_init(mproc_popen_options_t *opts);

/* Starts argv[0] with arguments argv (NULL-terminated). opts NULL = defaults. Errors:
 * MPROC_EINVAL (argv NULL or empty, a bad mode or descriptor), MPROC_ENOTFOUND (no such
 * program, or cwd does not exist), MPROC_EPERM (not executable), MPROC_ESYSTEM,
 * MPROC_ENOMEM. Ownership: the caller frees *out with mproc_popen_close. */
MPROC_API int mproc_popen_create(const char *const *argv, const mproc_popen_options_t *opts,
                                 mproc_popen_t **out);

MPROC_API int mproc_popen_pid(const mproc_popen_t *popen, int *pid);

/* *returncode = the exit status, or minus the signal number, once the child ended
 * (MPROC_OK); MPROC_EEMPTY while it runs. poll never blocks; wait blocks up to timeout
 * (MPROC_ETIMEDOUT). Both reap the child. */
MPROC_API int mproc_popen_poll(mproc_popen_t *popen, int *returncode);
MPROC_API int mproc_popen_wait(mproc_popen_t *popen, double timeout, int *returncode);

/* Sends `signum`, SIGTERM or SIGKILL; nothing happens once the child has been reaped. */
MPROC_API int mproc_popen_send_signal(mproc_popen_t *popen, int signum);
MPROC_API int mproc_popen_terminate(mproc_popen_t *popen);
MPROC_API int mproc_popen_kill(mproc_popen_t *popen);

/* *fd = the caller's end of the child's stdin / stdout / stderr pipe (MPROC_STDIO_PIPE);
 * owned by the Popen object. Errors: MPROC_EINVAL (that stream is not a pipe, or it was
 * closed by communicate). */
MPROC_API int mproc_popen_stdin_fd(const mproc_popen_t *popen, int *fd);
MPROC_API int mproc_popen_stdout_fd(const mproc_popen_t *popen, int *fd);
MPROC_API int mproc_popen_stderr_fd(const mproc_popen_t *popen, int *fd);

/* Writes `input` (len bytes; NULL/0 for none) to the child's stdin pipe and closes it,
 * reads its stdout and stderr pipes to their end, all at once (poll), so it never
 * deadlocks whatever the sizes, then waits for the child. Up to timeout in all: at the
 * timeout returns MPROC_ETIMEDOUT and the child keeps running (as in Python, call again
 * or kill it; what was read so far is kept and returned by the next call). On MPROC_OK,
 * *out / *out_len and *err / *err_len (each may be NULL) point to everything the child
 * wrote to each pipe (NULL, 0 for a stream that is not a pipe), owned by the Popen object
 * until it is closed, and NUL-terminated for convenience. Errors: MPROC_EINVAL (input
 * given but stdin is not a pipe), MPROC_ETIMEDOUT, MPROC_ESYSTEM, MPROC_EBADHANDLE. */
MPROC_API int mproc_popen_communicate(mproc_popen_t *popen, const void *input, size_t len,
                                      double timeout, const char **out, size_t *out_len,
                                      const char **err, size_t *err_len);

/* Closes the pipes and frees the object. A child still running is not killed; it is
 * reaped later by mproc_active_children, never left a zombie for long. */
MPROC_API int mproc_popen_close(mproc_popen_t *popen);

/* The result of mproc_run. Free its buffers with mproc_run_result_free. */
typedef struct mproc_run_result {
    int returncode; /* exit status, or minus the signal number */
    char *out;      /* captured stdout (NUL-terminated), or NULL if not captured */
    size_t out_len;
    char *err; /* captured stderr, or NULL */
    size_t err_len;
} mproc_run_result_t;

/* Flags for mproc_run. */
#define MPROC_RUN_CAPTURE 0x1u /* stdout and stderr to pipes, returned in the result */
#define MPROC_RUN_CHECK 0x2u   /* a non-zero returncode is MPROC_EFAILED */

/* Runs argv to completion, like subprocess.run: starts it with opts (NULL = defaults;
 * MPROC_RUN_CAPTURE overrides stdout and stderr with pipes; a non-NULL input makes stdin
 * a pipe), feeds `input`, collects output and waits, up to timeout. At the timeout the
 * child is killed and reaped and MPROC_ETIMEDOUT returned (result holds what was read).
 * Errors: as mproc_popen_create, MPROC_ETIMEDOUT, MPROC_EFAILED (MPROC_RUN_CHECK and a
 * non-zero returncode; result is filled). The result is filled (and must be freed) whenever
 * the child was started. */
MPROC_API int mproc_run(const char *const *argv, const mproc_popen_options_t *opts,
                        unsigned int flags, const void *input, size_t len, double timeout,
                        mproc_run_result_t *result);

/* Frees the buffers of a result and zeroes it. NULL is fine. Always MPROC_OK. */
MPROC_API int mproc_run_result_free(mproc_run_result_t *result);

/* ==== Operating: listing, inspecting and removing objects ========================== */

/* Objects live in /dev/shm until their name is removed, so they outlive the processes
 * that made them. These calls see every object of the machine's /dev/shm by name, of any
 * kind, without opening it as that kind: they map the file read-only, take no lock, wake
 * nobody and repair nothing, so they are safe on an object another process is using and
 * on a file whose contents are garbage. The `mproc` command-line tool (mproc ls, show,
 * rm, gc) is built on them. */

/* Kinds, as mproc_object_info_t.kind reports them (the numbers of the shared header). */
#define MPROC_KIND_UNKNOWN 0 /* not a valid mproc object: see status and problem */
#define MPROC_KIND_LOCK 1
#define MPROC_KIND_RLOCK 2
#define MPROC_KIND_SEMAPHORE 3
#define MPROC_KIND_EVENT 4
#define MPROC_KIND_CONDITION 5
#define MPROC_KIND_BARRIER 6
#define MPROC_KIND_QUEUE 7
#define MPROC_KIND_VALUE 8
#define MPROC_KIND_ARRAY 9
#define MPROC_KIND_DICT 10
#define MPROC_KIND_LIST 11

/* What mproc_object_inspect reports. Liveness fields are 1 (alive), 0 (dead) or -1
 * (cannot tell: another pid namespace, /proc unreadable). A process is named by its pid
 * and its start time, so a pid the kernel recycled for a new process reads as dead.
 *
 * depth and capacity by kind (0 where not listed):
 *   queue       depth = messages in it (exact when nobody is using it), capacity = maxsize
 *   semaphore   depth = its value, capacity = the bound of a BoundedSemaphore (0: none)
 *   event       depth = 1 if set
 *   barrier     depth = threads waiting now, capacity = parties
 *   value/array capacity = number of items
 *   dict/list   depth = number of items, capacity = the maximum size in bytes
 *
 * Counters (kept by the library in the object, bumped on slow paths only, so they cost
 * nothing on uncontended calls; waits, timeouts and owner_dead count modulo 2^32):
 *   puts        queue: messages put; dict/list: calls that changed it
 *   gets        queue: messages taken
 *   waits       calls that found the object busy (or empty, or full) and had to wait
 *   timeouts    calls that returned at their timeout (a failed try-once call included)
 *   owner_dead  takeovers from a process that died: a lock acquired from a dead owner
 *               (a Lock's or RLock's MPROC_EOWNERDEAD; the lock of a condition, a
 *               value/array or a dict/list, which a dead writer's container is repaired
 *               after), a queue slot whose producer or consumer died, a barrier whose
 *               action runner died */
typedef struct mproc_object_info {
    size_t size;                   /* sizeof(mproc_object_info_t); set by mproc_object_info_init */
    char name[MPROC_NAME_MAX + 1]; /* without the "mproc." prefix of the file */
    int kind;                      /* MPROC_KIND_* */
    char kind_name[16];            /* "lock", "queue", ..., "unknown" */
    int status;                    /* MPROC_OK: the header checks out. Else why the object cannot be
                                      used: MPROC_EKIND (not an mproc object: bad magic, unknown kind,
                                      too short, not initialised), MPROC_EVERSION (another layout
                                      version), MPROC_ECORRUPT (fields out of range) */
    char problem[160];             /* status != MPROC_OK: what is wrong, in words; else "" */
    unsigned int layout_version;
    unsigned long long bytes;              /* the file's size */
    unsigned int mode;                     /* the file's permission bits (st_mode & 07777) */
    unsigned int uid;                      /* the file's owner */
    int creator_pid;                       /* 0 if unknown */
    unsigned long long creator_start_time; /* clock ticks after boot; 0 if unknown */
    int creator_alive;
    int users;        /* processes that have the object open now (the caller too), from the
                         writable mappings in /proc/<pid>/maps (inspectors map read-only
                         and do not count); a lower bound: processes of other users are
                         not seen. -1 if /proc could not be read */
    int holder_pid;   /* lock, rlock, condition (its own lock), value/array, dict/list and
                         barrier (its short internal guard): the process that holds the
                         lock, 0 if free */
    int holder_alive; /* of holder_pid; -1 when holder_pid is 0 */
    unsigned long long depth;
    unsigned long long capacity;
    unsigned long long puts;
    unsigned long long gets;
    unsigned long long waits;
    unsigned long long timeouts;
    unsigned long long owner_dead;
} mproc_object_info_t;

/* Zeroes *info and sets info->size. Errors: MPROC_EINVAL (info NULL). */
MPROC_API int mproc_object_info_init(mproc_object_info_t *info);

/* Fills *info for the object called `name`, whatever its kind, and whether or not its
 * contents are valid (a garbage file is MPROC_OK with info->status saying what is wrong:
 * only the checks that passed filled the fields after it). Non-blocking: reads the file
 * and /proc, takes no lock, changes nothing. info->size must be set (mproc_object_info_init).
 * Errors: MPROC_EINVAL (bad name, info NULL or info->size too small), MPROC_ENOTFOUND,
 * MPROC_EPERM (the file cannot be read), MPROC_ESYSTEM. */
MPROC_API int mproc_object_inspect(const char *name, mproc_object_info_t *info);

/* The names of the objects in /dev/shm (the files "mproc.<name>" whose name is valid), in
 * byte order, as consecutive NUL-terminated strings: *len = the bytes they take. If cap is
 * too small nothing is written to buf, *len tells the size needed and the call returns
 * MPROC_ETOOBIG. buf may be NULL with cap 0 to ask for the size. The list is a snapshot:
 * a name may be gone when it is inspected. Errors: MPROC_EINVAL (len NULL), MPROC_ETOOBIG,
 * MPROC_ESYSTEM. */
MPROC_API int mproc_object_names(char *buf, size_t cap, size_t *len);

/* Removes the name of an object, whatever it holds (any kind, another layout version, a
 * damaged object): what `mproc rm` does. Processes that have it open keep using it; the
 * memory is freed when the last one closes it. Errors: MPROC_EINVAL (bad name),
 * MPROC_ENOTFOUND, MPROC_EPERM, MPROC_ESYSTEM. */
MPROC_API int mproc_object_remove(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MPROC_MPROC_H */
