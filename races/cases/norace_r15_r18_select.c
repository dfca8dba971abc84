/* R15 NoRaceSelectReadWriteAsync (the R14 pair forced onto one channel),
 * R18 NoRaceProducerConsumerUnbuffered and NoRaceSelect4 (task queue with a
 * per-task done channel), R21 NoRaceChanMutex / NoRaceSelectMutex (cap-1
 * channel as a mutex), R23 NoRaceChanWaitGroup (cap N/2 channel as a
 * WaitGroup, rule 4), R24 NoRaceElemSize0 (#42598), R25 NoRaceBlocked{,
 * Select}SendSync. */
#include <stdlib.h>

#include "race_common.h"

int x;
static goc_chan *c1, *c2, *queue, *mtx, *aux, *done;

/* R15 */
static void r15_g(void *p) {
    int one = 1;
    goc_case k[2] = {{c1, GOC_SEND, &x, 0}, {c2, GOC_SEND, &one, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    rc_check(r == 0 || r == 1);
}
static void r15_same_chan(void) {
    c1 = rc_chan(sizeof(int), 0);
    c2 = rc_chan(sizeof(int), 0);
    x = 0;
    rc_go(r15_g, NULL);
    int one = 1;
    goc_case k[2] = {{c1, GOC_RECV, &x, 0}, {c2, GOC_SEND, &one, 0}};
    int r = goc_select(k, 2, GOC_NEVER);
    rc_check(r == 0 || r == 1);
    rc_join();
    goc_chan_free(c1);
    goc_chan_free(c2);
}

/* R18: a worker takes tasks {f, done} from an unbuffered queue, runs f and
 * answers on done (cap 1). */
typedef struct {
    void (*f)(void);
    goc_chan *done;
} task;
static void set_x(void) { x = 1; }
static void r18_worker(void *p) {
    int use_select = (int)(intptr_t)p;
    task t;
    if (use_select) {
        goc_case k[2] = {{queue, GOC_RECV, &t, 0}, {aux, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_recv(queue, &t, GOC_NEVER), 0);
    }
    t.f();
    int one = 1;
    rc_expect(goc_chan_send(t.done, &one, GOC_NEVER), 0);
}
static void doit(void (*f)(void), int use_select) {
    task t = {f, rc_chan(sizeof(int), 1)};
    int z;
    if (use_select) {
        goc_case k[2] = {{queue, GOC_SEND, &t, 0}, {aux, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
        goc_case d[2] = {{t.done, GOC_RECV, &z, 0}, {aux, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(d, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_send(queue, &t, GOC_NEVER), 0);
        rc_expect(goc_chan_recv(t.done, &z, GOC_NEVER), 0);
    }
    goc_chan_free(t.done);
}
static void r18(int use_select) {
    queue = rc_chan(sizeof(task), 0);
    aux = rc_chan(0, 0);
    rc_go(r18_worker, (void *)(intptr_t)use_select);
    doit(set_x, use_select);
    rc_check(x == 1);
    x = 0;
    rc_join();
    goc_chan_free(queue);
    goc_chan_free(aux);
}
static void r18_producer_consumer(void) { r18(0); }
static void r18_select4(void) { r18(1); }

/* R21 */
int data;
static void mtx_lock(int sel) {
    if (sel) {
        goc_case k[2] = {{mtx, GOC_SEND, NULL, 0}, {aux, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_send(mtx, NULL, GOC_NEVER), 0);
    }
}
static void mtx_unlock(int sel) {
    if (sel) {
        goc_case k[2] = {{mtx, GOC_RECV, NULL, 0}, {aux, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
    } else {
        rc_expect(goc_chan_recv(mtx, NULL, GOC_NEVER), 0);
    }
}
static void r21_g(void *p) {
    int sel = (int)(intptr_t)p;
    mtx_lock(sel);
    data = 42;
    mtx_unlock(sel);
    rc_expect(goc_chan_send(done, NULL, GOC_NEVER), 0);
}
static void r21(int sel) {
    mtx = rc_chan(0, 1);
    aux = rc_chan(0, 0);
    done = rc_chan(0, 0);
    rc_go(r21_g, (void *)(intptr_t)sel);
    mtx_lock(sel);
    data = 43;
    mtx_unlock(sel);
    rc_expect(goc_chan_recv(done, NULL, GOC_NEVER), 0);
    rc_join();
    goc_chan_free(mtx);
    goc_chan_free(aux);
    goc_chan_free(done);
}
static void r21_chan_mutex(void) { r21(0); }
static void r21_select_mutex(void) { r21(1); }

/* R23: N = 10 tasks, cap 5: task i writes data[i] then receives; main's
 * final cap sends can complete only after every task's receive (rule 4). */
#define R23_N 10
int wgdata[R23_N];
static goc_chan *chan_wg;
static void r23_g(void *p) {
    wgdata[(intptr_t)p] = 42;
    rc_expect(goc_chan_recv(chan_wg, NULL, GOC_NEVER), 0);
}
static void r23_chan_waitgroup(void) {
    chan_wg = rc_chan(0, R23_N / 2);
    for (intptr_t i = 0; i < R23_N; i++) {
        rc_expect(goc_chan_send(chan_wg, NULL, GOC_NEVER), 0);
        rc_go(r23_g, (void *)i);
    }
    for (size_t i = 0; i < goc_chan_cap(chan_wg); i++)
        rc_expect(goc_chan_send(chan_wg, NULL, GOC_NEVER), 0);
    int sum = 0;
    for (int i = 0; i < R23_N; i++) sum += wgdata[i];
    rc_check(sum == 42 * R23_N);
    rc_join();
    for (int i = 0; i < R23_N; i++) wgdata[i] = 0;
    goc_chan_free(chan_wg);
}

/* R24: elem size 0, cap 2, rule 4 through the slot sync bytes. */
int ex, ey;
static goc_chan *c0;
static void r24_gx(void *p) {
    ex += 1;
    rc_expect(goc_chan_recv(c0, NULL, GOC_NEVER), 0);
}
static void r24_gy(void *p) {
    ey += 1;
    rc_expect(goc_chan_recv(c0, NULL, GOC_NEVER), 0);
}
static void r24_elem_size0(void) {
    c0 = rc_chan(0, 2);
    rc_expect(goc_chan_send(c0, NULL, GOC_NEVER), 0);
    rc_expect(goc_chan_send(c0, NULL, GOC_NEVER), 0);
    rc_go(r24_gx, NULL);
    rc_go(r24_gy, NULL);
    rc_expect(goc_chan_send(c0, NULL, GOC_NEVER), 0);
    rc_expect(goc_chan_send(c0, NULL, GOC_NEVER), 0);
    ex += 1;
    ey += 1;
    rc_join();
    goc_chan_free(c0);
}

/* R25: the sender blocks on a full cap-1 channel with a pointer to a value
 * it wrote; after two receives the main task reads through the pointer. */
static void r25_g(void *p) {
    int *i = malloc(sizeof *i);
    rc_check(i != NULL);
    *i = 42;
    rc_expect(goc_chan_send(c1, &i, GOC_NEVER), 0);
}
static void r25(int sel) {
    c1 = rc_chan(sizeof(int *), 1);
    int *nil = NULL, *p = NULL;
    rc_expect(goc_chan_send(c1, &nil, GOC_NEVER), 0);
    rc_go(r25_g, NULL);
    for (int i = 0; i < 3; i++) goc_yield(); /* usually lets it block (optional) */
    rc_expect(goc_chan_recv(c1, &p, GOC_NEVER), 0);
    rc_check(p == NULL);
    if (sel) {
        goc_chan *never = rc_chan(sizeof(int), 0);
        goc_case k[2] = {{c1, GOC_RECV, &p, 0}, {never, GOC_RECV, NULL, 0}};
        rc_expect(goc_select(k, 2, GOC_NEVER), 0);
        goc_chan_free(never);
    } else {
        rc_expect(goc_chan_recv(c1, &p, GOC_NEVER), 0);
    }
    rc_check(*p == 42);
    free(p);
    rc_join();
    goc_chan_free(c1);
}
static void r25_blocked_send(void) { r25(0); }
static void r25_blocked_select_send(void) { r25(1); }

static const rc_case cases[] = {
    {"r15_select_same_chan", "N", 1, r15_same_chan},
    {"r18_producer_consumer", "N", 1, r18_producer_consumer},
    {"r18_select4", "N", 1, r18_select4},
    {"r21_chan_mutex", "N", 1, r21_chan_mutex},
    {"r21_select_mutex", "N", 1, r21_select_mutex},
    {"r23_chan_waitgroup", "N", 1, r23_chan_waitgroup},
    {"r24_elem_size0", "N", 1, r24_elem_size0},
    {"r25_blocked_send", "N", 1, r25_blocked_send},
    {"r25_blocked_select_send", "N", 1, r25_blocked_select_send},
};
RC_MAIN(cases)
