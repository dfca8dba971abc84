/*
 * Conformance C24, C25 (TESTING.md (a)): destruction and exit paths.
 *   C24 destruction  crossbeam-channel tests/array.rs drops, drop_unreceived,
 *                    stack_overflow (iterative destroy of a huge queue)
 *   C25 exit_paths   crossbeam-channel tests/thread_locals.rs: channel ops in a
 *                    pthread key destructor and in an atexit handler
 */
#include "goc_testing.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------- C24 -- */

/* Elements are owning pointers; the destructor frees them and counts. */
static atomic_long dtor_calls; /* relaxed: read by the root after goc_chan_free returned */
static atomic_long live_objs;  /* relaxed: same */

static void *obj_new(long v) {
    long *p = malloc(sizeof *p);
    GT_ASSERT_NOT_NULL(p);
    *p = v;
    atomic_fetch_add_explicit(&live_objs, 1, memory_order_relaxed);
    return p;
}
static void obj_free(void *p) {
    free(p);
    atomic_fetch_sub_explicit(&live_objs, 1, memory_order_relaxed);
}
static void dtor(void *elem) {
    void *p;
    memcpy(&p, elem, sizeof p);
    obj_free(p);
    atomic_fetch_add_explicit(&dtor_calls, 1, memory_order_relaxed);
}
static void count_dtor(void *elem) {
    (void)elem;
    atomic_fetch_add_explicit(&dtor_calls, 1, memory_order_relaxed);
}

static void c24_destruction(void) {
    int runs = (int)gt_n(100, 100);
    long total_left = 0;
    for (int run = 0; run < runs; run++) {
        size_t cap = 1 + gt_rand_n(64);
        goc_chan *ch = goc_chan_make(sizeof(void *), cap);
        GT_ASSERT_NOT_NULL(ch);
        GT_ASSERT_OK(goc_chan_set_dtor(ch, dtor));
        atomic_store_explicit(&dtor_calls, 0, memory_order_relaxed);
        long next_in = 0, next_out = 0;
        int steps = (int)gt_rand_n(gt_long() ? 10000 : 1000);
        for (int s = 0; s < steps; s++) {
            if (gt_rand_n(2)) {
                void *p = obj_new(next_in);
                int rc = goc_chan_send(ch, &p, GOC_NOW);
                if (rc == 0) {
                    next_in++;
                } else {
                    GT_ASSERT_ERR(rc, -EAGAIN); /* full: the value stays ours */
                    obj_free(p);
                }
            } else {
                void *p = NULL;
                int rc = goc_chan_recv(ch, &p, GOC_NOW);
                if (rc == 0) {
                    GT_ASSERT_EQ(*(long *)p, next_out);
                    next_out++;
                    obj_free(p);
                } else {
                    GT_ASSERT_ERR(rc, -EAGAIN);
                }
            }
        }
        long left = next_in - next_out;
        GT_ASSERT_UEQ(goc_chan_len(ch), (size_t)left);
        if (run % 3 == 0) GT_ASSERT_OK(goc_chan_close(ch)); /* closed or not: same */
        goc_chan_free(ch);
        GT_ASSERT_MSG(atomic_load_explicit(&dtor_calls, memory_order_relaxed) == left,
                      "run %d: %ld leftovers, destructor called %ld times", run, left,
                      atomic_load_explicit(&dtor_calls, memory_order_relaxed));
        GT_ASSERT_EQ(atomic_load_explicit(&live_objs, memory_order_relaxed), 0);
        total_left += left;
    }
    /* unbuffered and drained channels: no destructor call */
    goc_chan *u = goc_chan_make(sizeof(void *), 0);
    GT_ASSERT_NOT_NULL(u);
    GT_ASSERT_OK(goc_chan_set_dtor(u, dtor));
    atomic_store_explicit(&dtor_calls, 0, memory_order_relaxed);
    goc_chan_free(u);
    GT_ASSERT_EQ(atomic_load_explicit(&dtor_calls, memory_order_relaxed), 0);
    /* zero-size elements: the destructor still runs once per element */
    goc_chan *z = goc_chan_make(0, 10);
    GT_ASSERT_NOT_NULL(z);
    GT_ASSERT_OK(goc_chan_set_dtor(z, count_dtor));
    for (int i = 0; i < 7; i++) GT_ASSERT_OK(goc_chan_send(z, NULL, GOC_NOW));
    goc_chan_free(z);
    GT_ASSERT_EQ(atomic_load_explicit(&dtor_calls, memory_order_relaxed), 7);

    /* a huge queue is destroyed iteratively (no recursion, no stack
     * overflow) and every element gets its destructor call */
    long big = gt_n(1000000, 1000000);
    goc_chan *h = goc_chan_make(sizeof(int64_t), (size_t)big);
    GT_ASSERT_NOT_NULL(h);
    GT_ASSERT_OK(goc_chan_set_dtor(h, count_dtor));
    for (int64_t i = 0; i < big; i++) GT_ASSERT_OK(goc_chan_send(h, &i, GOC_NOW));
    atomic_store_explicit(&dtor_calls, 0, memory_order_relaxed);
    goc_chan_free(h);
    GT_ASSERT_EQ(atomic_load_explicit(&dtor_calls, memory_order_relaxed), big);
    gt_note("C24: %d random runs (%ld leftovers destroyed), %ld-element queue destroyed", runs, total_left,
            big);
}

/* ------------------------------------------------------------- C25 -- */

static pthread_key_t key;
static goc_chan *exit_ch; /* used by the key destructor and the atexit handler */
static atomic_int key_dtor_ran;

static void key_dtor(void *v) {
    (void)v;
    /* a thread that is exiting: channel ops must not crash */
    int64_t x = 5;
    int rc = goc_chan_send(exit_ch, &x, GOC_NOW);
    if (rc != 0) GT_FAIL("send in a key destructor: %s", gt_errname(rc));
    rc = goc_chan_recv(exit_ch, &x, GOC_NOW);
    if (rc != 0 || x != 5) GT_FAIL("recv in a key destructor: %s", gt_errname(rc));
    gt_set(&key_dtor_ran);
}
static void *plain_thread(void *arg) {
    (void)arg;
    pthread_setspecific(key, (void *)1);
    return NULL;
}
static void at_exit(void) {
    /* after goc_main returned: plain, try and select ops, close, free */
    int64_t x = 9;
    int rc = goc_chan_send(exit_ch, &x, GOC_NOW);
    if (rc != 0) {
        fprintf(stderr, "FAIL: send in an atexit handler: %s\n", gt_errname(rc));
        _exit(1);
    }
    goc_case c[1] = {{exit_ch, GOC_RECV, &x, 0}};
    rc = goc_select(c, 1, GOC_NOW);
    if (rc != 0 || x != 9) {
        fprintf(stderr, "FAIL: select in an atexit handler: %s\n", gt_errname(rc));
        _exit(1);
    }
    if (goc_chan_close(exit_ch) != 0 || goc_chan_recv(exit_ch, &x, GOC_NEVER) != -EPIPE) {
        fprintf(stderr, "FAIL: close/recv in an atexit handler\n");
        _exit(1);
    }
    goc_chan_free(exit_ch);
    printf("# C25: channel ops in the atexit handler ok\n");
    fflush(stdout);
}

static void c25_exit_paths(void) {
    exit_ch = goc_chan_make(sizeof(int64_t), 4);
    GT_ASSERT_NOT_NULL(exit_ch);
    GT_ASSERT_EQ(pthread_key_create(&key, key_dtor), 0);
    pthread_t t;
    GT_ASSERT_EQ(pthread_create(&t, NULL, plain_thread, NULL), 0);
    GT_ASSERT_EQ(pthread_join(t, NULL), 0);
    GT_ASSERT(gt_wait_flag(&key_dtor_ran, 1000000000));
    pthread_key_delete(key);
    GT_ASSERT_EQ(atexit(at_exit), 0);
}

static void test_main(void) {
    gt_run("C24_destruction", c24_destruction);
    gt_run("C25_exit_paths", c25_exit_paths);
}

GT_MAIN(test_main)
