/*
 * goc_ctx: Go's context.Context tree, written once on top of the public
 * channel API and the backend's timer service, so every backend gets it.
 *
 * Locking: one process-wide tree lock (tree_lk) guards every parent/child
 * link and every err transition. Context operations are rare next to channel
 * operations, and a single lock removes the parent-versus-child lock-order
 * problem that Go's NOTE in context.go warns about (and the use-after-free of
 * a parent being freed while a child unlinks itself). Under tree_lk we only
 * close channels and stop timers (neither blocks).
 *
 * Invariants (under tree_lk):
 *   - err != 0  <=>  done is closed  <=>  children list is empty and will stay
 *     empty (a child derived later is born canceled and not linked).
 *   - c->parent != NULL  <=>  c is on c->parent's children list.
 *   - the background context is never linked and never canceled.
 */
#include "goc_internal.h"
#include "goc_tsan.h"
/* TSan precise build (goc_tsan.h's race layer): the file is uninstrumented
 * and each tree_lk section is one hidden section (tree_lock .. tree_unlock:
 * two unrelated cancels or derives are not ordered by the lock). The Go
 * edges step out of it: the release store of `err` (-> goc_ctx_err's
 * acquire load, visible) and the close of `done`, a public call whose own
 * edges must be annotated at the caller's depth (goc_hchan.h). */
GOC_RACE_FILE_BEGIN

static void tree_lock(goc__lock *l) {
    GOC_RACE_CALL_BEGIN();
    goc__lock_acquire(l);
}
static void tree_unlock(goc__lock *l) {
    goc__lock_release(l);
    GOC_RACE_CALL_END();
}

struct goc_ctx {
    uint32_t magic;
    bool is_background;         /* set once */
    goc_chan *done;             /* set once at creation; NULL for background */
    goc_time deadline;          /* set once; GOC_NEVER if none */
    _Atomic int err;            /* 0 while live; written once under tree_lk, release */
    goc__timer *timer;          /* guarded by tree_lk; NULL if none */
    struct goc_ctx *parent;     /* guarded by tree_lk */
    struct goc_ctx *children;   /* guarded by tree_lk: first child */
    struct goc_ctx *sib_next;   /* guarded by tree_lk: in parent's list */
    struct goc_ctx *sib_prev;
    struct goc_ctx *work_next;  /* guarded by tree_lk: cancel worklist */
};

static goc__lock tree_lk = GOC__LOCK_INIT;
static struct goc_ctx background = {
    .magic = GOC_MAGIC_CTX, .is_background = true, .deadline = GOC_NEVER};

static bool valid(const goc_ctx *c) { return c && c->magic == GOC_MAGIC_CTX; }

goc_ctx *goc_ctx_background(void) { return &background; }

static void unlink_from_parent(goc_ctx *c) { /* tree_lk held */
    goc_ctx *p = c->parent;
    if (!p) return;
    if (c->sib_prev) c->sib_prev->sib_next = c->sib_next;
    else p->children = c->sib_next;
    if (c->sib_next) c->sib_next->sib_prev = c->sib_prev;
    c->sib_next = c->sib_prev = NULL;
    c->parent = NULL;
}

/* Cancels c and its subtree with err. tree_lk held. Iterative (deep chains
 * must not overflow the stack): a worklist threaded through work_next. */
static void cancel_locked(goc_ctx *c, int err) {
    if (atomic_load_explicit(&c->err, memory_order_relaxed) != 0) return;
    c->work_next = NULL;
    goc_ctx *work = c;
    while (work) {
        goc_ctx *n = work;
        work = n->work_next;
        /* release: pairs with the acquire in goc_ctx_err, so a task that sees
         * err != 0 also sees what the canceler wrote before canceling. */
        GOC_RACE_UNHIDDEN(atomic_store_explicit(&n->err, err, memory_order_release));
        /* the Go edge: cancel -> observed Done */
        if (n->done) GOC_RACE_UNHIDDEN(goc_chan_close(n->done));
        if (n->timer) goc__timer_stop(n->timer); /* internal: stays hidden */
        for (goc_ctx *ch = n->children; ch;) {
            goc_ctx *next = ch->sib_next;
            ch->parent = NULL;
            ch->sib_next = ch->sib_prev = NULL;
            if (atomic_load_explicit(&ch->err, memory_order_relaxed) == 0) {
                ch->work_next = work;
                work = ch;
            }
            ch = next;
        }
        n->children = NULL;
    }
}

static goc_ctx *new_child(goc_ctx *parent, goc_time deadline) {
    if (!valid(parent)) {
        errno = EINVAL;
        return NULL;
    }
    goc_ctx *c = goc__calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    c->done = goc_chan_make(0, 0);
    if (!c->done) {
        goc__free(c);
        errno = ENOMEM;
        return NULL;
    }
    c->magic = GOC_MAGIC_CTX;
    c->deadline = deadline;
    atomic_init(&c->err, 0);
    tree_lock(&tree_lk);
    int perr = atomic_load_explicit(&parent->err, memory_order_relaxed);
    if (perr) {
        cancel_locked(c, perr); /* born canceled, never linked */
    } else if (!parent->is_background) {
        c->parent = parent;
        c->sib_next = parent->children;
        if (parent->children) parent->children->sib_prev = c;
        parent->children = c;
    }
    tree_unlock(&tree_lk);
    return c;
}

goc_ctx *goc_ctx_with_cancel(goc_ctx *parent) {
    return new_child(parent, valid(parent) ? parent->deadline : GOC_NEVER);
}

static void timer_fired(void *arg) {
    goc_ctx *c = arg;
    tree_lock(&tree_lk);
    cancel_locked(c, -ETIMEDOUT);
    unlink_from_parent(c);
    tree_unlock(&tree_lk);
}

goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, goc_time deadline) {
    if (!valid(parent)) {
        errno = EINVAL;
        return NULL;
    }
    if (goc__deadline_kind(deadline) == GOC_DL_NEVER ||
        (parent->deadline != GOC_NEVER && parent->deadline <= deadline))
        return goc_ctx_with_cancel(parent); /* the parent's deadline comes first */
    goc_ctx *c = new_child(parent, deadline);
    if (!c) return NULL;
    if (deadline <= goc_now()) { /* already expired (GOC_NOW included) */
        tree_lock(&tree_lk);
        cancel_locked(c, -ETIMEDOUT);
        unlink_from_parent(c);
        tree_unlock(&tree_lk);
        return c;
    }
    goc__timer *t = goc__timer_start(deadline, timer_fired, c);
    if (!t) {
        goc_ctx_free(c);
        errno = ENOMEM;
        return NULL;
    }
    tree_lock(&tree_lk);
    c->timer = t;
    if (atomic_load_explicit(&c->err, memory_order_relaxed)) goc__timer_stop(t);
    tree_unlock(&tree_lk);
    return c;
}

goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns) {
    return goc_ctx_with_deadline(parent, ns <= 0 ? goc_now() : goc_deadline(ns));
}

goc_chan *goc_ctx_done(goc_ctx *ctx) { return valid(ctx) ? ctx->done : NULL; }

int goc_ctx_err(goc_ctx *ctx) {
    if (!valid(ctx)) return -EINVAL;
    /* acquire: pairs with the release store in cancel_locked */
    return atomic_load_explicit(&ctx->err, memory_order_acquire);
}

goc_time goc_ctx_deadline(goc_ctx *ctx) { return valid(ctx) ? ctx->deadline : GOC_NEVER; }

void goc_ctx_cancel(goc_ctx *ctx) {
    if (!valid(ctx) || ctx->is_background) return;
    tree_lock(&tree_lk);
    cancel_locked(ctx, -ECANCELED);
    unlink_from_parent(ctx);
    tree_unlock(&tree_lk);
}

void goc_ctx_free(goc_ctx *ctx) {
    if (!ctx || ctx == &background) return;
    if (!valid(ctx)) {
        goc__misuse("goc_ctx_free(%p): not a live context (double free?)", (void *)ctx);
        return;
    }
    tree_lock(&tree_lk);
    cancel_locked(ctx, -ECANCELED);
    unlink_from_parent(ctx);
    goc__timer *t = ctx->timer;
    ctx->timer = NULL;
    tree_unlock(&tree_lk);
    if (t) goc__timer_free(t); /* waits for a running timer_fired (it saw err set) */
    goc_chan_free(ctx->done);
    ctx->magic = GOC_MAGIC_DEAD;
    goc__free(ctx);
}

GOC_RACE_FILE_END
