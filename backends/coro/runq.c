/*
 * runq.c: the run queues: the global queue, the local queue's slow path
 * and stealing (coro_sched.h has the owner's inline fast path).
 */
#include "coro.h"
GOC_RACE_FILE_BEGIN /* precise build: this file is uninstrumented */
#include "coro_sched.h"

/* ---------------------------------------------------------- run queues -- */

void coro_global_put(coro_task *first, coro_task *last, uint32_t n) {
    goc__lock_acquire(&S.glock);
    chainq_put(&S.gq, first, last, n, false);
    /* seq_cst: W1 of the idle protocol (pairs with I3's load) */
    atomic_store_explicit(&S.gsize, atomic_load_explicit(&S.gsize, memory_order_relaxed) + n,
                          memory_order_seq_cst);
    goc__lock_release(&S.glock);
}

/* Full local queue: moves half of it and t to the global queue (Go's
 * runqputslow). False if a thief raced us (retry the fast path). */
bool coro_runq_put_slow(coro_worker *w, coro_task *t, uint32_t h, uint32_t tl) {
    uint32_t n = (tl - h) / 2;
    coro_task *batch[RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < n; i++)
        batch[i] = atomic_load_explicit(&w->rq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
    /* acq_rel: claims the slots read above (pairs with thieves' CAS). */
    if (!atomic_compare_exchange_strong_explicit(&w->rq_head, &h, h + n, memory_order_acq_rel,
                                                 memory_order_relaxed))
        return false;
    batch[n] = t;
    for (uint32_t i = 0; i < n; i++) batch[i]->next = batch[i + 1];
    coro_global_put(batch[0], t, n + 1);
    return true;
}

/* One step of a thief's patience (runq_grab): a short pause, and every 8th
 * step a sched_yield, so that on an overcommitted machine the waiting thief
 * gives its CPU to the victim it waits for instead of competing with it. */
static void patience_pause(unsigned *it) {
    for (int k = 0; k < 16; k++) goc__cpu_relax();
    if ((++*it & 7u) == 0) sched_yield();
}

/* The thief's memory of its last refusal of a communicating victim's queue
 * (runq_grab): the victim, its queue head then, and since when this thread
 * has seen that head; and when it last refused a victim whose tasks
 * started an operation at least every STEAL_CHAT_GAP_NS (0: the last
 * refusal was not of such a victim). Thread-local: each thief judges for
 * itself. */
static __thread coro_worker *talk_v;
static __thread uint32_t talk_h;
static __thread goc_time talk_since;
static __thread goc_time chat_at;
/* The same for a lone queued task (STEAL_LONE_NS, an experiment). */
static __thread coro_worker *lone_v;
static __thread uint32_t lone_h;
static __thread goc_time lone_since;

/* A thread that refused v's queue within TALK_BACKOFF_NS because v's tasks
 * talk that fast leaves v alone for the rest of that time: it neither
 * watches v (runq_grab) nor, as an idle spinner, counts v's queue as work
 * in sight (find_runnable), so it parks instead of spinning. Each look at
 * v pulls the lines of v's queue and op count, which v writes on every
 * push, pop and operation: a spinner watching a victim it keeps refusing
 * slowed the victim's group (README "Scheduler": ChanProdCons0 0.80x,
 * MPMC 0.83-0.86x, WorkerPool 0.81x without those looks). Liveness is
 * unchanged: a parked thief is woken by the victim's next wakep or by
 * sysmon's look at a queue whose head stands still, and its talk_since
 * keeps counting towards TALK_STEAL_NS. */
/* The same backoff after REFUSE_STREAK refusals of one victim in a row
 * (talk or drain, no steal from anybody in between), at any op rate:
 * REFUSE_BACKOFF_NS, doubling with each further refusal up to
 * REFUSE_BACKOFF_MAX_NS. A group that keeps being refused is one this
 * thief will not take, and every watch of it costs the victim the lines
 * above. A worker pool with short jobs (~390 ns; 4 operations a job look
 * like talk) ran slower at GOC_PROCS=2 than at 1, its thief watching the
 * busy worker 31 % of its time in strings of 100+ refusals; with the
 * backoff it runs at GOC_PROCS=1's speed, and pools whose thieves steal
 * between refusals are unchanged (README "Refusing in a row"). streak_v:
 * the victim refused last (NULL after a steal), streak_n its refusals in
 * a row; the backoff runs from streak_at for streak_len. */
static __thread const coro_worker *streak_v;
static __thread uint32_t streak_n;
static __thread goc_time streak_at, streak_len;

bool coro_steal_backoff(const coro_worker *v, goc_time now) {
    return (chat_at && v == talk_v && now - chat_at < TALK_BACKOFF_NS) ||
           (v == streak_v && now - streak_at < streak_len);
}

/* Counts a refusal of v's queue at now (talk or drain) towards the streak. */
void coro_refuse_note(const coro_worker *v, goc_time now) {
    if (!REFUSE_STREAK) return;
    if (streak_v != v) {
        streak_v = v;
        streak_n = 0;
    }
    if (++streak_n < REFUSE_STREAK) return;
    uint32_t k = streak_n - REFUSE_STREAK;
    goc_time len = k >= 16 ? REFUSE_BACKOFF_MAX_NS : (goc_time)REFUSE_BACKOFF_NS << k;
    streak_len = len < REFUSE_BACKOFF_MAX_NS ? len : REFUSE_BACKOFF_MAX_NS;
    streak_at = now;
    stat_self(ST_REF_STREAK, 1);
}

/* A steal (from any victim) ends the streak. */
void coro_refuse_reset(void) { streak_v = NULL; }

/* Thief: grabs half of v's queue (or its runnext) into out[]. */
uint32_t coro_runq_grab(coro_worker *v, coro_task **out, bool steal_next) {
    /* A worker sysmon replaced (sysmon.c) is stuck in a task: take its
     * queue and runnext at once, without the patience below. */
    bool watched = atomic_load_explicit(&v->state, memory_order_relaxed) == CORO_W_BLOCKED;
    if (watched) steal_next = true;
    for (;;) {
        /* acquire on both: the slots between head and tail were published by
         * v's release/seq_cst store of rq_tail. */
        uint32_t h = atomic_load_explicit(&v->rq_head, memory_order_acquire);
        uint32_t tl = atomic_load_explicit(&v->rq_tail, memory_order_acquire);
        uint32_t n = tl - h;
        n = n - n / 2;
        if (n == 0) {
            if (!steal_next) return 0;
            coro_task *t = atomic_load_explicit(&v->runnext, memory_order_acquire);
            if (t && !watched) {
                /* Go's runqgrab: v is running a task that probably just
                 * readied t and is about to block (a handoff); give v time
                 * to run t itself instead of splitting the pair across
                 * workers. Go waits 3 us; here t is left alone as long as v
                 * keeps handing off (its ready count or runnext changes) or
                 * is between tasks (its scheduler takes runnext first), and
                 * taken once it sat in runnext behind one running task for
                 * RUNNEXT_STEAL_NS: long enough for a producer to fill a
                 * 1024-slot buffer before it blocks and runs its consumer
                 * on the same worker, short against the OS's time slices.
                 * relaxed loads: hints; the CAS below decides. */
                uint64_t r0 = atomic_load_explicit(&v->nready, memory_order_relaxed);
                goc_time until = goc_now() + RUNNEXT_STEAL_NS;
                unsigned it = 0;
                for (;;) {
                    if (!atomic_load_explicit(&v->in_task, memory_order_relaxed) ||
                        atomic_load_explicit(&v->nready, memory_order_relaxed) != r0 ||
                        atomic_load_explicit(&v->runnext, memory_order_relaxed) != t)
                        return 0; /* v is handing off or scheduling: leave it */
                    if (goc_now() >= until) break;
                    patience_pause(&it);
                }
                t = atomic_load_explicit(&v->runnext, memory_order_acquire);
            }
            if (t && atomic_compare_exchange_strong_explicit(&v->runnext, &t, NULL,
                                                             memory_order_acq_rel,
                                                             memory_order_relaxed)) {
                stat_self(ST_STEAL_RN, 1);
                tlog_self(CORO_EV_STEAL_RN, (uint32_t)v->id, 1);
                out[0] = t;
                return 1;
            }
            return 0;
        }
        if (n > RUNQ_SIZE / 2) continue; /* inconsistent h/tl snapshot */
        if (!watched) {
            /* Steal only what v would not get to soon (the placement
             * policy, README "Scheduler"). Tasks queued behind a worker
             * that drains its queue fast are usually partners of what it
             * runs (a pipeline, tasks sharing a channel): the owner gets to
             * them within a few short runs, while stealing them spreads the
             * group over two cores and every operation on their shared
             * channels then moves cache lines (MPMC 4x4: ~3x slower).
             * Tasks that compute make the queue drain slowly, and idle
             * cores should take them at once (Go steals them at once).
             * So: watch v's head for STEAL_WATCH_NS; the drain rate seen
             * (tasks started per ns) gives when v would reach the last
             * queued task. Steal half if that is more than STEAL_DRAIN_NS
             * away (or v started nothing meanwhile), else leave them.
             * The watch reads v's head and tail once, at its end, not at
             * every patience step (STEAL_WATCH_PEEK=1, every ~160 ns): a
             * queue that a busy worker fills and drains on every handoff
             * (a spawn that kicks runnext to the tail, its pop soon after)
             * keeps an idle spinner watching it again and again, and each
             * read pulled the line that v's next push or pop (a locked
             * instruction) then had to take back (SelectTimeout and
             * ContextCancel at GOC_PROCS=2: 0.71-0.74x as long with a read
             * every 640 ns instead of 160, with the vCPUs slow to share a
             * line; 0.96-1.01x when they were not). The price: a queue that
             * drained is seen only at the end, so every watch lasts the
             * whole STEAL_WATCH_NS, and one that drained and filled again
             * meanwhile goes through the rules below instead of ending the
             * watch (README "The spinner's looks").
             * relaxed loads: hints; the CAS below decides. */
            goc_time t0 = goc_now(), now;
            if (coro_steal_backoff(v, t0)) return 0;
            tlog_self(CORO_EV_WATCH, (uint32_t)v->id, 0);
            uint64_t ops0 = atomic_load_explicit(&v->nops, memory_order_relaxed);
            unsigned it = 0;
            uint32_t hn = h, left = 0;
            do {
                patience_pause(&it);
                now = goc_now();
                if (STEAL_WATCH_PEEK || now - t0 >= STEAL_WATCH_NS) {
                    hn = atomic_load_explicit(&v->rq_head, memory_order_relaxed);
                    left = atomic_load_explicit(&v->rq_tail, memory_order_relaxed) - hn;
                    if (left == 0 || left > RUNQ_SIZE) { /* drained (or torn read) */
                        stat_self(ST_WATCH_NS, (uint64_t)(now - t0));
                        tlog_self(CORO_EV_REFUSE, (uint32_t)v->id, CORO_REF_EMPTY);
                        return 0;
                    }
                }
            } while (now - t0 < STEAL_WATCH_NS);
            stat_self(ST_WATCH_NS, (uint64_t)(now - t0));
            /* v's tasks started a channel operation or select at least
             * every STEAL_OP_GAP_NS: they communicate (a producer filling a
             * ring its queued consumers drain, MPMC's tasks on one
             * channel), and however slowly the queue drains, the tasks
             * behind it are probably their partners: spread over two
             * cores, every operation on what they share moves its lines
             * (MPMC 4x4 cap 128: ~25 ns on one core, 80-100 ns over two).
             * Tasks that compute between operations (a worker pool's jobs)
             * start few. A running task that communicates without ever
             * blocking (a select-default poll) must not keep the queue from
             * idle workers for ever: once this thread has refused v's queue
             * with its head at the same place for TALK_STEAL_NS, it takes
             * it. That bound is long (1 ms, sysmon's tick) because a split
             * group does not come back together: MPMC cap 1024, whose
             * consumers drain a full ring for tens of us at a time without
             * switching, ran at 118-219 ns a message at GOC_PROCS=2 with a
             * 50 us bound, 38 ns with 1 ms (README "Scheduler"). */
            uint64_t ops = atomic_load_explicit(&v->nops, memory_order_relaxed) - ops0;
            if (ops * STEAL_OP_GAP_NS >= (uint64_t)(now - t0)) {
                chat_at = ops * STEAL_CHAT_GAP_NS >= (uint64_t)(now - t0) ? now : 0;
                stat_self(ST_REF_TALK, 1);
                if (chat_at) stat_self(ST_REF_CHAT, 1);
                bool same = talk_v == v && talk_h == hn;
                if (!same) {
                    talk_v = v;
                    talk_h = hn;
                    talk_since = now;
                }
                if (!same || now - talk_since < TALK_STEAL_NS) {
                    tlog_self(CORO_EV_REFUSE, (uint32_t)v->id, CORO_REF_TALK);
                    coro_refuse_note(v, now);
                    return 0;
                }
                talk_v = NULL; /* head still for TALK_STEAL_NS: steal */
                stat_self(ST_TALK_STEAL, 1);
            }
            /* STEAL_LONE_NS (0 by default: compiled out): one task queued
             * behind a task that communicated during the watch is probably
             * its partner, readied and kicked from runnext by a newer one;
             * leave it to v that long (same head), then take it. */
            if (STEAL_LONE_NS > 0 && left == 1 && ops) {
                bool same = lone_v == v && lone_h == hn;
                if (!same) {
                    lone_v = v;
                    lone_h = hn;
                    lone_since = now;
                }
                if (!same || now - lone_since < STEAL_LONE_NS) {
                    stat_self(ST_REF_LONE, 1);
                    tlog_self(CORO_EV_REFUSE, (uint32_t)v->id, CORO_REF_LONE);
                    return 0;
                }
                lone_v = NULL;
            }
            uint64_t adv = hn - h;
            if (adv && (uint64_t)left * (uint64_t)(now - t0) <= adv * STEAL_DRAIN_NS) {
                stat_self(ST_REF_DRAIN, 1);
                tlog_self(CORO_EV_REFUSE, (uint32_t)v->id, CORO_REF_DRAIN);
                coro_refuse_note(v, now);
                return 0; /* v reaches them within STEAL_DRAIN_NS: leave them */
            }
            watched = true;
            continue; /* re-read head and tail, then steal */
        }
        for (uint32_t i = 0; i < n; i++)
            out[i] = atomic_load_explicit(&v->rq[(h + i) % RUNQ_SIZE], memory_order_relaxed);
        if (atomic_compare_exchange_strong_explicit(&v->rq_head, &h, h + n, memory_order_acq_rel,
                                                    memory_order_relaxed)) {
            coro_refuse_reset();
            stat_self(ST_STEALS, 1);
            stat_self(ST_STOLEN, n);
            tlog_self(CORO_EV_STEAL, (uint32_t)v->id, n);
            return n;
        }
    }
}

bool coro_runq_empty(coro_worker *w) {
    return atomic_load_explicit(&w->rq_head, memory_order_seq_cst) ==
               atomic_load_explicit(&w->rq_tail, memory_order_seq_cst) &&
           atomic_load_explicit(&w->runnext, memory_order_seq_cst) == NULL;
}

/* Takes from the global queue: one task when max is 1 (the fairness tick),
 * else whole chains (chainq.h) while fewer than Go's share, n / nprocs + 1,
 * are taken and the next chain fits w's local queue (so one chain may take
 * more than the share: up to RUNQ_SIZE + 1, a retiring worker's queue);
 * returns the first and queues the rest locally. Under the lock only chain
 * heads are read: the chains' tasks were mostly last written by another
 * worker, and walking them there made the other workers sleep on the lock
 * (chainq.h). Owner only. */
coro_task *coro_global_get(coro_worker *w, uint32_t max) {
    if (atomic_load_explicit(&S.gsize, memory_order_seq_cst) == 0) return NULL;
    /* room in our queue: thieves only make more (relaxed: our own tail) */
    uint32_t room = RUNQ_SIZE - (atomic_load_explicit(&w->rq_tail, memory_order_relaxed) -
                                 atomic_load_explicit(&w->rq_head, memory_order_acquire));
    if (max > room + 1) max = room + 1;
    goc__lock_acquire(&S.glock);
    uint32_t n = atomic_load_explicit(&S.gsize, memory_order_relaxed);
    if (n == 0) {
        goc__lock_release(&S.glock);
        return NULL;
    }
    uint32_t got;
    coro_task *first = chainq_take(&S.gq, n / (uint32_t)S.nprocs + 1, max, &got);
    atomic_store_explicit(&S.gsize, n - got, memory_order_seq_cst);
    goc__lock_release(&S.glock);
    stat(w, ST_GLOBAL, got);
    tlog(w, CORO_EV_GLOBAL, 0, got);
    coro_chain_walk k = chainq_walk(first, got);
    coro_task *t = chainq_next(&k), *x;
    while ((x = chainq_next(&k))) runq_put_tail(w, x);
    /* W2 for what we queued (W1: runq_put_tail's seq_cst store). gsize
     * dropped before the tasks reached our queue, so a worker going idle in
     * between saw them in neither place (its I3) and parked; and unlike a
     * ready, these pushes wake nobody. Taken under the lock, as before the
     * chains, the pushes came before the gsize store. One seq_cst load when
     * nobody is idle. (Review of the chains change.) */
    if (got > 1) coro_wakep();
    return t;
}

GOC_RACE_FILE_END
