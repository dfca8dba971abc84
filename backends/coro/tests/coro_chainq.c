/*
 * The chain queue under the coro global run queue and the stack-slot pool
 * (backends/coro/chainq.h). White box, one thread: random puts (back and
 * front), single takes and whole-chain takes against a model (an array of
 * chains), checking after every step that each take returns the model's
 * tasks in the model's order, that a take's walk stops after the tasks it
 * took (the last chain taken still points at chains that stay queued), that
 * chainq_take honours want and max, and that head and tail agree with the
 * model when the queue empties.
 */
#include <stdlib.h>

#include "goc_testing.h"

#include "chainq.h"

#define NTASK 4096
#define MAXCH 512

static coro_task tasks[NTASK];
static int next_free;

/* The model: chains front to back, each a run of task indices. */
static struct {
    int first, n; /* tasks[first .. first+n-1], in order */
} model[MAXCH];
static int mhead, mcount; /* circular: model[(mhead + i) % MAXCH] */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static uint32_t model_total(void) {
    uint32_t s = 0;
    for (int i = 0; i < mcount; i++) s += (uint32_t)model[(mhead + i) % MAXCH].n;
    return s;
}

static void put(coro_chainq *q, bool front) {
    int n = 1 + (int)rnd(rnd(4) ? 8 : 140);
    if (next_free + n > NTASK || mcount == MAXCH) return;
    int first = next_free;
    next_free += n;
    for (int i = 0; i < n; i++) {
        /* garbage where the queue must write, as a recycled task has */
        tasks[first + i].next = (coro_task *)(uintptr_t)0x51;
        tasks[first + i].chain_skip = (coro_task *)(uintptr_t)0x52;
        tasks[first + i].chain_n = 0x53;
        if (i) tasks[first + i - 1].next = &tasks[first + i];
    }
    chainq_put(q, &tasks[first], &tasks[first + n - 1], (uint32_t)n, front);
    if (front) {
        mhead = (mhead + MAXCH - 1) % MAXCH;
        model[mhead].first = first;
        model[mhead].n = n;
    } else {
        model[(mhead + mcount) % MAXCH].first = first;
        model[(mhead + mcount) % MAXCH].n = n;
    }
    mcount++;
}

/* Pops the model's next task (front chain's first). */
static int model_pop1(void) {
    int t = model[mhead].first;
    model[mhead].first++;
    if (--model[mhead].n == 0) {
        mhead = (mhead + 1) % MAXCH;
        mcount--;
    }
    return t;
}

static void check_empty(const coro_chainq *q) {
    GT_ASSERT_EQ(q->head == NULL, mcount == 0);
    GT_ASSERT_EQ(q->tail == NULL, mcount == 0);
}

static void take1(coro_chainq *q) {
    if (!mcount) return;
    coro_task *t = chainq_take1(q);
    int want = model_pop1();
    GT_ASSERT_MSG(t == &tasks[want], "take1: task %ld, model %d", (long)(t - tasks), want);
    GT_ASSERT_PTR_EQ(t->next, NULL);
    check_empty(q);
}

static void take(coro_chainq *q) {
    if (!mcount) return;
    uint32_t want = 1 + rnd(300), max = 1 + rnd(300), n = 0;
    uint32_t front = (uint32_t)model[mhead].n;
    coro_task *first = chainq_take(q, want, max, &n);
    /* what the model says must come out: whole chains while fewer than
     * want and the next fits max; one task when the first chain is over max */
    uint32_t expect = 0;
    if (front > max) {
        expect = 1;
    } else {
        for (int i = 0; i < mcount && expect < want; i++) {
            uint32_t c = (uint32_t)model[(mhead + i) % MAXCH].n;
            if (expect + c > max) break;
            expect += c;
        }
    }
    GT_ASSERT_MSG(n == expect, "take(want %u, max %u): %u tasks, model %u", want, max, n, expect);
    coro_chain_walk k = chainq_walk(first, n);
    uint32_t seen = 0;
    for (coro_task *t; (t = chainq_next(&k)); seen++) {
        int m = model_pop1();
        GT_ASSERT_MSG(t == &tasks[m], "take: task %u is %ld, model %d", seen, (long)(t - tasks), m);
    }
    GT_ASSERT_EQ(seen, n);
    GT_ASSERT_PTR_EQ(chainq_next(&k), NULL); /* stays done */
    check_empty(q);
}

static void random_ops(void) {
    long steps = 0;
    for (int round = 0; round < 200; round++) {
        coro_chainq q = {0};
        next_free = 0;
        mhead = mcount = 0;
        while (next_free < NTASK - 200) {
            switch (rnd(6)) {
            case 0:
            case 1: put(&q, false); break;
            case 2: put(&q, true); break;
            case 3: take1(&q); break;
            default: take(&q); break;
            }
            steps++;
        }
        while (mcount) (rnd(2) ? take1 : take)(&q);
        GT_ASSERT_EQ(model_total(), 0);
        check_empty(&q);
    }
    gt_note("%ld random steps in 200 rounds", steps);
}

static void test_main(void) { gt_run("chainq_random_ops", random_ops); }
GT_MAIN(test_main)
