/*
 * lin_check.c: the exhaustive linearizability search of lin_check.h.
 *
 * State of the search: `mask` (operations already linearized), the model's
 * closed flag and buffer (values stored as the index of the send that put
 * them there). Key = mask | closed | len | buffer, at most 16 + 1 + 2 + 3*5
 * bits. Every state is explored at most once (a state that was explored and
 * failed fails again: the remaining operations and their intervals are the
 * same), so the search is bounded by 2^n * (model states) steps.
 */
#include "lin_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_BITS 16
#define MEMO_SIZE (1u << MEMO_BITS)

struct search {
    int cap, n;
    const struct lin_op *ops;
    int send_of[LIN_MAX_OPS]; /* recv with rc 0: index of the send of its value */
    uint64_t *memo;           /* open addressing; 0 = empty; keys have bit 63 set */
    unsigned *used;           /* indices of the filled entries (to clear them) */
    unsigned memo_used;
    bool memo_full;
    int best;                 /* most operations linearized on one path */
    uint32_t best_mask;
};

static uint64_t key_of(uint32_t mask, int closed, int len, const int *buf) {
    uint64_t k = (uint64_t)1 << 63 | mask | (uint64_t)closed << 16 | (uint64_t)len << 17;
    for (int i = 0; i < len; i++) k |= (uint64_t)(buf[i] & 31) << (19 + 5 * i);
    return k;
}

static uint64_t hash64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* true if key was already in the set; inserts it otherwise. */
static bool memo_seen(struct search *s, uint64_t key, bool insert) {
    unsigned i = (unsigned)hash64(key) & (MEMO_SIZE - 1);
    for (;;) {
        if (s->memo[i] == key) return true;
        if (s->memo[i] == 0) break;
        i = (i + 1) & (MEMO_SIZE - 1);
    }
    if (insert) {
        if (s->memo_used + 1 >= MEMO_SIZE * 3 / 4) {
            s->memo_full = true; /* keep searching, just without memory */
            return false;
        }
        s->memo[i] = key;
        s->used[s->memo_used++] = i;
    }
    return false;
}

static bool dfs(struct search *s, uint32_t mask, int closed, int len, int *buf) {
    const uint32_t all = (s->n == 32) ? 0xffffffffu : ((1u << s->n) - 1);
    if (mask == all) return true;
    int done = __builtin_popcount(mask);
    if (done > s->best) {
        s->best = done;
        s->best_mask = mask;
    }
    uint64_t key = key_of(mask, closed, len, buf);
    if (memo_seen(s, key, false)) return false;
    /* An operation may go next only if it was invoked before every
     * operation still to linearize had responded. */
    int64_t minresp = INT64_MAX;
    for (int j = 0; j < s->n; j++)
        if (!(mask & (1u << j)) && s->ops[j].resp < minresp) minresp = s->ops[j].resp;
    for (int i = 0; i < s->n; i++) {
        if (mask & (1u << i)) continue;
        const struct lin_op *o = &s->ops[i];
        if (o->inv > minresp) continue;
        uint32_t m = mask | (1u << i);
        bool failed_try = o->rc == -EAGAIN || o->rc == -ETIMEDOUT;
        switch (o->kind) {
        case LIN_CLOSE:
            if (o->rc == 0 && !closed) {
                if (dfs(s, m, 1, len, buf)) return true;
            } else if (o->rc == -EPIPE && closed) {
                if (dfs(s, m, closed, len, buf)) return true;
            }
            break;
        case LIN_SEND:
            if (o->rc == -EPIPE) {
                if (closed && dfs(s, m, closed, len, buf)) return true;
            } else if (failed_try) {
                if (!closed && (s->cap == 0 || len == s->cap) && dfs(s, m, closed, len, buf)) return true;
            } else if (o->rc == 0 && !closed) {
                if (s->cap > 0) {
                    if (len < s->cap) {
                        buf[len] = i;
                        if (dfs(s, m, closed, len + 1, buf)) return true;
                    }
                } else {
                    /* rendezvous: the receive that got this value goes at
                     * the same instant, so it must be a candidate too */
                    for (int r = 0; r < s->n; r++) {
                        const struct lin_op *q = &s->ops[r];
                        if ((mask & (1u << r)) || q->kind != LIN_RECV || q->rc != 0 || s->send_of[r] != i ||
                            q->inv > minresp)
                            continue;
                        if (dfs(s, m | (1u << r), closed, len, buf)) return true;
                    }
                }
            }
            break;
        case LIN_RECV:
            if (o->rc == -EPIPE) {
                if (closed && len == 0 && dfs(s, m, closed, len, buf)) return true;
            } else if (failed_try) {
                if (!closed && len == 0 && dfs(s, m, closed, len, buf)) return true;
            } else if (o->rc == 0 && s->cap > 0 && len > 0 && buf[0] == s->send_of[i]) {
                int saved[LIN_MAX_CAP];
                memcpy(saved, buf, sizeof saved);
                memmove(buf, buf + 1, sizeof(int) * (size_t)(len - 1));
                bool ok = dfs(s, m, closed, len - 1, buf);
                memcpy(buf, saved, sizeof saved);
                if (ok) return true;
            }
            /* cap 0 receives are linearized with their send */
            break;
        }
    }
    memo_seen(s, key, true);
    return false;
}

static const char *kind_name(int k) { return k == LIN_SEND ? "send" : k == LIN_RECV ? "recv" : "close"; }
static const char *mode_name(const struct lin_op *o) {
    return o->kind == LIN_CLOSE ? "" : o->mode == LIN_TRY ? "try" : o->mode == LIN_TIMED ? "timed" : "block";
}
static const char *rc_name(int rc) {
    switch (rc) {
    case 0: return "ok";
    case -EPIPE: return "EPIPE";
    case -EAGAIN: return "EAGAIN";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EINVAL: return "EINVAL";
    default: return "?";
    }
}

bool lin_check(int cap, const struct lin_op *ops, int n, char *why, size_t whylen) {
    char dummy[8];
    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    why[0] = 0;
    if (n < 0 || n > LIN_MAX_OPS || cap < 0 || cap > LIN_MAX_CAP) {
        snprintf(why, whylen, "history out of range (n %d, cap %d)", n, cap);
        return false;
    }
    struct search s = {.cap = cap, .n = n, .ops = ops};
    int closes_ok = 0;
    for (int i = 0; i < n; i++) {
        const struct lin_op *o = &ops[i];
        s.send_of[i] = -1;
        if (o->resp < o->inv) {
            snprintf(why, whylen, "op %d responded before it was invoked", i);
            return false;
        }
        if (o->kind == LIN_CLOSE && o->rc == 0) closes_ok++;
        if ((o->kind == LIN_SEND || o->kind == LIN_RECV) && o->mode == LIN_BLOCK && o->rc == -EAGAIN) {
            snprintf(why, whylen, "op %d: a blocking %s returned EAGAIN", i, kind_name(o->kind));
            return false;
        }
        if (o->rc != 0 && o->rc != -EPIPE && o->rc != -EAGAIN && o->rc != -ETIMEDOUT) {
            snprintf(why, whylen, "op %d: unexpected result %d", i, o->rc);
            return false;
        }
        if (o->kind != LIN_RECV || o->rc != 0) continue;
        for (int j = 0; j < n; j++)
            if (ops[j].kind == LIN_SEND && ops[j].val == o->val) s.send_of[i] = j;
        if (s.send_of[i] < 0) {
            snprintf(why, whylen, "op %d received %" PRIu64 ", a value nobody sent", i, o->val);
            return false;
        }
        if (ops[s.send_of[i]].rc != 0) {
            snprintf(why, whylen, "op %d received %" PRIu64 ", whose send (op %d) returned %s", i, o->val,
                     s.send_of[i], rc_name(ops[s.send_of[i]].rc));
            return false;
        }
        for (int j = 0; j < i; j++)
            if (ops[j].kind == LIN_RECV && ops[j].rc == 0 && ops[j].val == o->val) {
                snprintf(why, whylen, "value %" PRIu64 " received twice (ops %d and %d)", o->val, j, i);
                return false;
            }
    }
    if (closes_ok > 1) {
        snprintf(why, whylen, "%d closes returned 0", closes_ok);
        return false;
    }
    if (cap == 0)
        for (int i = 0; i < n; i++)
            if (ops[i].kind == LIN_SEND && ops[i].rc == 0) {
                bool got = false;
                for (int j = 0; j < n; j++) got |= s.send_of[j] == i;
                if (!got) {
                    snprintf(why, whylen, "unbuffered send op %d returned 0 but no receive got %" PRIu64, i,
                             ops[i].val);
                    return false;
                }
            }
    /* The table is too large for a coroutine's stack: one for the process
     * (lin_check is not reentrant: one caller at a time), allocated once
     * (zeroed, reachable from a global for LSan), and only the filled
     * entries are cleared after use. */
    static uint64_t *memo;
    static unsigned *used;
    if (!memo) {
        memo = calloc(MEMO_SIZE, sizeof *memo);
        used = calloc(MEMO_SIZE, sizeof *used);
        if (!memo || !used) {
            snprintf(why, whylen, "out of memory");
            return false;
        }
    }
    s.memo = memo;
    s.used = used;
    int buf[LIN_MAX_CAP] = {0};
    bool ok = dfs(&s, 0, 0, 0, buf);
    for (unsigned k = 0; k < s.memo_used; k++) memo[used[k]] = 0;
    if (ok) return true;
    int off = snprintf(why, whylen, "no linearization: at most %d of %d ops ordered (e.g. {", s.best, n);
    for (int i = 0; i < n && off > 0 && (size_t)off < whylen; i++)
        if (s.best_mask & (1u << i)) off += snprintf(why + off, whylen - (size_t)off, " %d", i);
    if (off > 0 && (size_t)off < whylen) snprintf(why + off, whylen - (size_t)off, " } first)");
    return false;
}

void lin_print(FILE *out, int cap, const struct lin_op *ops, int n) {
    int64_t t0 = INT64_MAX;
    for (int i = 0; i < n; i++)
        if (ops[i].inv < t0) t0 = ops[i].inv;
    fprintf(out, "  history on one channel of capacity %d (times in us from the first invocation):\n", cap);
    for (int i = 0; i < n; i++) {
        const struct lin_op *o = &ops[i];
        char v[32] = "";
        if (o->kind == LIN_SEND || (o->kind == LIN_RECV && o->rc == 0))
            snprintf(v, sizeof v, " %" PRIu64, o->val);
        fprintf(out, "  op %2d task %d  [%10.3f, %10.3f]  %-5s %-5s%-4s -> %s\n", i, o->task, (o->inv - t0) / 1e3,
                (o->resp - t0) / 1e3, mode_name(o), kind_name(o->kind), v, rc_name(o->rc));
    }
}
