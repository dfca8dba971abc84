/*
 * goc.h: Go's concurrency model in C11. One header, three interchangeable
 * backends (pthread, lockfree, coro) chosen at link time.
 *
 * Conventions (every function below follows them unless it says otherwise):
 *   - Operations return 0 on success or a negative errno value. errno is not
 *     touched by operations.
 *   - Constructors (goc_*_make, goc_after, goc_ctx_*) return NULL on failure
 *     and set errno (EINVAL for bad arguments, ENOMEM when out of memory).
 *   - Bad input (NULL objects, elem_size > GOC_ELEM_MAX, absurd capacities,
 *     negative counts, unknown op codes) returns -EINVAL and changes nothing.
 *   - Blocking calls take an ABSOLUTE deadline on CLOCK_MONOTONIC in ns:
 *       GOC_NEVER (-1, or any negative value)  block until the operation can
 *                                             complete;
 *       GOC_NOW (0)                           try once; -EAGAIN if it would
 *                                             block (Go's select default);
 *       d > 0                                 block until d; -ETIMEDOUT if the
 *                                             operation could not complete by
 *                                             then (a deadline already in the
 *                                             past tries once, then -ETIMEDOUT).
 *     Build deadlines with goc_deadline(ns). A deadline never fires early.
 *   - Semantics are Go's: the Go spec for channels and select, the Go memory
 *     model for happens-before (a send happens before the matching receive
 *     completes; a close before a receive that returns because the channel is
 *     closed; on capacity C the k-th receive before the (k+C)-th send
 *     completes; unlock before the next lock; Done before Wait returns).
 *
 * Every program enters through goc_main(). Tasks are spawned with goc_go().
 * What a task is depends on the backend (goc_backend_name()): an OS thread
 * for "pthread" and "lockfree", a coroutine on an M:N scheduler for "coro".
 *
 * Diagnostics: goc_go() and the blocking calls are also macros that record
 * the caller's file:line, so goc_tasks_report() can say where each live task
 * was spawned and where it is blocked (Go's goroutine dump). Define
 * GOC_NO_CALLSITES before including this header to disable the macros.
 */
#ifndef GOC_GOC_H
#define GOC_GOC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GOC_EXPORT __attribute__((visibility("default")))
#else
#define GOC_EXPORT
#endif

#define GOC_VERSION_MAJOR 0
#define GOC_VERSION_MINOR 1

/* ---------------------------------------------------------------- time -- */

/* Absolute time in nanoseconds on CLOCK_MONOTONIC. */
typedef int64_t goc_time;
#define GOC_NEVER ((goc_time)-1)
#define GOC_NOW ((goc_time)0)

/* Current time. Never 0 or negative on Linux (the monotonic clock starts at
 * boot, and boot is more than a nanosecond ago). */
GOC_EXPORT goc_time goc_now(void);

/* now + ns, saturating at INT64_MAX (which behaves as "never").
 * ns < 0 returns GOC_NEVER. goc_deadline(0) is "now": a timed call with it
 * tries once and returns -ETIMEDOUT, unlike GOC_NOW's -EAGAIN. */
GOC_EXPORT goc_time goc_deadline(int64_t ns);

/* ---------------------------------------------------------------- tasks -- */

/* Runs fn(arg) as the root task and returns when it returns. Other tasks
 * still alive at that point are not waited for (Go: main returning ends the
 * program; here the caller decides; goc_tasks_live() tells).
 * Returns 0; -EINVAL if fn is NULL; -EBUSY if called while a goc_main is
 * already running in this process; -EDEADLK when the runtime found every task
 * asleep with nothing that could wake one (the coro backend's deadlock
 * detector; it prints Go's style of report first); -ENOMEM/-EAGAIN if the
 * runtime could not start. */
GOC_EXPORT int goc_main(void (*fn)(void *), void *arg);

/* Spawns a task running fn(arg). Returns 0; -EINVAL if fn is NULL;
 * -EAGAIN if no thread/stack could be created; -ENOMEM; -ESHUTDOWN when
 * called outside goc_main on a backend that requires the runtime. */
GOC_EXPORT int goc_go(void (*fn)(void *), void *arg);
/* Same, with the spawn site recorded for goc_tasks_report(). */
GOC_EXPORT int goc_go_at(void (*fn)(void *), void *arg, const char *file, int line,
                         const char *fn_name);

/* Lets other tasks run. */
GOC_EXPORT void goc_yield(void);
/* Sleeps until deadline. Returns 0 (also for a past deadline and GOC_NOW);
 * GOC_NEVER sleeps forever. */
GOC_EXPORT int goc_sleep(goc_time deadline);

/* Number of live tasks, the root task of goc_main included. */
GOC_EXPORT size_t goc_tasks_live(void);
/* Writes every live task: id, spawn site (file:line and function), state,
 * and for a blocked task what it waits on (operation, object, call site,
 * for how long). Safe to call from any thread, including a watchdog. */
GOC_EXPORT void goc_tasks_report(FILE *out);

/* "pthread", "lockfree", "coro" (or "busted", the negative control). */
GOC_EXPORT const char *goc_backend_name(void);

/* Human-readable text for a negative errno returned by goc (for example
 * goc_strerror(-EPIPE) == "channel closed"). */
GOC_EXPORT const char *goc_strerror(int err);

/* ------------------------------------------------------------- channels -- */

typedef struct goc_chan goc_chan;

/* Largest element size, like Go's 64 KiB limit on channel elements. */
#define GOC_ELEM_MAX 65535u
/* Largest capacity; larger, or cap * elem_size beyond GOC_CHAN_BYTES_MAX, is
 * -EINVAL (Go: "makechan: size out of range"). */
#define GOC_CAP_MAX ((size_t)1 << 30)
#define GOC_CHAN_BYTES_MAX ((size_t)1 << 40)

/* cap 0 = unbuffered rendezvous; elem_size 0 allowed (Go's chan struct{}).
 * NULL + errno EINVAL on bad sizes, ENOMEM when allocation fails. */
GOC_EXPORT goc_chan *goc_chan_make(size_t elem_size, size_t cap);

/* Copies elem_size bytes from elem into the channel.
 * Unbuffered: returns only when a receiver holds the value.
 * 0; -EPIPE if closed (the value is not queued, the caller keeps it; a send
 * blocked when the channel is closed also returns -EPIPE); -EAGAIN with
 * GOC_NOW when it would block; -ETIMEDOUT; -EINVAL for a NULL channel, or a
 * NULL elem with elem_size > 0. */
GOC_EXPORT int goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline);

/* Receives into elem (elem may be NULL to discard, Go's `<-c`).
 * 0; -EPIPE once the channel is closed and drained (elem is zero-filled, Go's
 * zero value with ok == false); -EAGAIN with GOC_NOW; -ETIMEDOUT; -EINVAL
 * for a NULL channel. */
GOC_EXPORT int goc_chan_recv(goc_chan *ch, void *elem, goc_time deadline);

/* Closes: wakes every blocked receiver (-EPIPE after buffered values are
 * drained) and every blocked sender (-EPIPE). 0; -EPIPE if already closed
 * (state unchanged; of N concurrent closers exactly one gets 0); -EINVAL. */
GOC_EXPORT int goc_chan_close(goc_chan *ch);

/* Go's len and cap; 0 for NULL. len does not take a lock (a racy snapshot,
 * as in Go). */
GOC_EXPORT size_t goc_chan_len(const goc_chan *ch);
GOC_EXPORT size_t goc_chan_cap(const goc_chan *ch);

/* Frees the channel after all users are done. "Done" is judged from the
 * freeing task's side: once an operation has matched (its value was
 * received, its receive returned, the close returned), the backend no longer
 * touches the channel on that operation's behalf, even if the partner task
 * has not returned from its call yet. So "receive the last value, then free"
 * is safe (as destroying a pthread mutex right after unlocking it is).
 * Buffered elements are passed
 * to the destructor set with goc_chan_set_dtor, if any. Freeing a channel
 * that still has blocked tasks is a bug: it is reported on stderr and the
 * channel is leaked rather than freed under them (debug builds abort).
 * Freeing a goc_after channel stops its timer. NULL is a no-op. */
GOC_EXPORT void goc_chan_free(goc_chan *ch);

/* Extension: dtor(elem) is called once for every element still buffered when
 * the channel is freed (channels of owning pointers, crossbeam's drop
 * semantics). Set it before the channel is shared. 0 or -EINVAL. */
GOC_EXPORT int goc_chan_set_dtor(goc_chan *ch, void (*dtor)(void *elem));

/* --------------------------------------------------------------- select -- */

enum { GOC_SEND = 1, GOC_RECV = 2 };

/* One select clause. ch == NULL disables the clause (Go's nil channel).
 * op is GOC_SEND (elem points to the value to send) or GOC_RECV (elem
 * receives the value, NULL to discard). err is an output: 0, or -EPIPE when
 * the clause fired because the channel is closed (for GOC_RECV elem is then
 * zero-filled; for GOC_SEND the value was not sent). */
typedef struct goc_case {
    goc_chan *ch;
    int op;
    void *elem;
    int err;
} goc_case;

/* Largest number of clauses in one select. */
#define GOC_SELECT_MAX 4096u

/* Go's select. Returns the index of the clause that fired (exactly one
 * fires; among several ready clauses the choice is uniformly random);
 * -EAGAIN with GOC_NOW when none is ready (Go's default); -ETIMEDOUT at the
 * deadline; -EINVAL when cases is NULL with n > 0, n > GOC_SELECT_MAX, or an
 * op code is unknown (nothing is changed then). A select with no enabled
 * clause blocks until its deadline (forever with GOC_NEVER: Go's select{}).
 * The same channel may appear in several clauses, with send and receive; a
 * select never matches its own send with its own receive. Receive buffers of
 * clauses that did not fire are not written. */
GOC_EXPORT int goc_select(goc_case *cases, size_t n, goc_time deadline);

/* Go's time.After: a cap-1 channel of goc_time that receives the fire time
 * (goc_now() at firing) once, ns from now (ns <= 0: fires at once). Freeing
 * the channel stops the timer. NULL + errno ENOMEM. */
GOC_EXPORT goc_chan *goc_after(int64_t ns);

/* ------------------------------------------------------------------ sync -- */

typedef struct goc_mutex goc_mutex;

/* sync.Mutex: lock parks the task (coroutine or thread). A mutex may be
 * unlocked by a task other than the one that locked it (Go semantics).
 * lock: 0 or -EINVAL. trylock: 0, -EBUSY if held, -EINVAL.
 * unlock: 0; -EPERM if not locked (Go: fatal "unlock of unlocked mutex";
 * debug builds abort); -EINVAL. free: NULL is a no-op. */
GOC_EXPORT goc_mutex *goc_mutex_make(void);
GOC_EXPORT int goc_mutex_lock(goc_mutex *mu);
GOC_EXPORT int goc_mutex_trylock(goc_mutex *mu);
GOC_EXPORT int goc_mutex_unlock(goc_mutex *mu);
GOC_EXPORT void goc_mutex_free(goc_mutex *mu);

typedef struct goc_wg goc_wg;

/* Largest WaitGroup counter: Go's is 32 bits wide (a larger one panics). */
#define GOC_WG_MAX ((int64_t)INT32_MAX)

/* sync.WaitGroup. add: 0; -EINVAL for NULL, or if the counter would become
 * negative (Go panics; the counter is left unchanged); -EOVERFLOW if it
 * would exceed GOC_WG_MAX (any delta, INT64_MAX included; the counter is
 * left unchanged). done == add(-1).
 * wait: 0 when the counter is zero; -EAGAIN with GOC_NOW; -ETIMEDOUT.
 * A WaitGroup may be reused once a Wait has returned. */
GOC_EXPORT goc_wg *goc_wg_make(void);
GOC_EXPORT int goc_wg_add(goc_wg *wg, int64_t delta);
GOC_EXPORT int goc_wg_done(goc_wg *wg);
GOC_EXPORT int goc_wg_wait(goc_wg *wg, goc_time deadline);
GOC_EXPORT void goc_wg_free(goc_wg *wg);

/* --------------------------------------------------------------- context -- */

typedef struct goc_ctx goc_ctx;

/* context.Context. Background is a process-wide singleton that is never
 * canceled: its done channel is NULL (Go's nil: a select clause on it never
 * fires), err is 0, cancel and free are no-ops.
 * with_cancel/with_timeout/with_deadline derive a child: canceling a parent
 * cancels its children (depth first); canceling a child leaves the parent.
 * A child of a canceled parent is born canceled. NULL parent: NULL + EINVAL.
 * with_deadline keeps the parent's deadline when it is earlier; a deadline
 * already past gives a context born with -ETIMEDOUT. */
GOC_EXPORT goc_ctx *goc_ctx_background(void);
GOC_EXPORT goc_ctx *goc_ctx_with_cancel(goc_ctx *parent);
GOC_EXPORT goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns);
GOC_EXPORT goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, goc_time deadline);
/* Channel closed when the context is canceled (elem_size 0). Owned by ctx. */
GOC_EXPORT goc_chan *goc_ctx_done(goc_ctx *ctx);
/* 0 while live; -ECANCELED after cancel; -ETIMEDOUT after the deadline;
 * -EINVAL for NULL. The first cause wins and is sticky. */
GOC_EXPORT int goc_ctx_err(goc_ctx *ctx);
/* Cancels ctx and its descendants (idempotent; NULL is a no-op). */
GOC_EXPORT void goc_ctx_cancel(goc_ctx *ctx);
/* Cancels (if still live), unlinks from the parent and frees. Descendants
 * stay valid (they are canceled and must be freed by their owners). Like
 * goc_chan_free, only once nobody waits on goc_ctx_done(ctx) any more. */
GOC_EXPORT void goc_ctx_free(goc_ctx *ctx);
/* Extension: the deadline of ctx, or GOC_NEVER. */
GOC_EXPORT goc_time goc_ctx_deadline(goc_ctx *ctx);

/* ------------------------------------------------------------------- I/O -- */

enum { GOC_READ = 1, GOC_WRITE = 2 };

/* Waits until fd is readable (GOC_READ) and/or writable (GOC_WRITE); errors
 * and hang-ups count as ready so the next read/write reports them.
 * 0; -EAGAIN with GOC_NOW; -ETIMEDOUT; -EINVAL for fd < 0 or bad events;
 * -EBADF for a closed fd. On coro it parks the task on the netpoller (epoll);
 * on the thread backends it blocks the thread in poll(2). */
GOC_EXPORT int goc_fd_wait(int fd, int events, goc_time deadline);

/* ------------------------------------------------------------ call sites -- */

/* The call site of the blocking call in progress on this thread, set by the
 * macros below just before the call; the backends copy it into the task's
 * record when it blocks. */
extern __thread const char *goc__callsite;

#ifndef GOC_NO_CALLSITES
#define GOC__STR2(x) #x
#define GOC__STR(x) GOC__STR2(x)
#define GOC__SITE __FILE__ ":" GOC__STR(__LINE__)
#define goc_go(fn, arg) goc_go_at((fn), (arg), __FILE__, __LINE__, #fn)
#define goc_chan_send(ch, e, d) (goc__callsite = GOC__SITE, (goc_chan_send)((ch), (e), (d)))
#define goc_chan_recv(ch, e, d) (goc__callsite = GOC__SITE, (goc_chan_recv)((ch), (e), (d)))
#define goc_select(c, n, d) (goc__callsite = GOC__SITE, (goc_select)((c), (n), (d)))
#define goc_sleep(d) (goc__callsite = GOC__SITE, (goc_sleep)(d))
#define goc_mutex_lock(m) (goc__callsite = GOC__SITE, (goc_mutex_lock)(m))
#define goc_wg_wait(w, d) (goc__callsite = GOC__SITE, (goc_wg_wait)((w), (d)))
#define goc_fd_wait(fd, ev, d) (goc__callsite = GOC__SITE, (goc_fd_wait)((fd), (ev), (d)))
#endif

#ifdef __cplusplus
}
#endif
#endif /* GOC_GOC_H */
