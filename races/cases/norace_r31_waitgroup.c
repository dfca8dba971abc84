/* R31 (no-race half): Go's waitgroup_test.go NoRaceWaitGroup, NoRaceWaitGroup2,
 * NoRaceWaitGroupMultipleWait 1-3, NoRaceWaitGroupTransitive,
 * NoRaceWaitGroupReuse 1-2, NoRaceWaitGroupConcurrentAdd: Done happens
 * before the Wait that it releases returns. */
#include "race_common.h"

#define P 3
int x, y, data[P];
static goc_wg *wg;
static goc_chan *c, *done;

static void mkwg(void) {
    wg = goc_wg_make();
    rc_check(wg != NULL);
}

static void w1_g(void *p) {
    x = (int)(intptr_t)p;
    rc_expect(goc_wg_done(wg), 0);
}
static void waitgroup(void) { /* n = 1 writer, then Wait */
    mkwg();
    rc_expect(goc_wg_add(wg, 1), 0);
    rc_go(w1_g, (void *)1);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_join();
    goc_wg_free(wg);
}
static void waitgroup2(void) { /* writer; Wait; x = 2 */
    mkwg();
    rc_expect(goc_wg_add(wg, 1), 0);
    rc_go(w1_g, (void *)1);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    x = 2;
    rc_join();
    goc_wg_free(wg);
}

static void mw_g(void *p) {
    int t = 1;
    if (p) rc_expect(goc_wg_done(wg), 0);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_expect(goc_chan_send(c, &t, GOC_NEVER), 0);
}
static void multiple_wait(int with_add) {
    mkwg();
    c = rc_chan(sizeof(int), 2);
    if (with_add) rc_expect(goc_wg_add(wg, 2), 0);
    rc_go(mw_g, (void *)(intptr_t)with_add);
    rc_go(mw_g, (void *)(intptr_t)with_add);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    int z;
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_join();
    goc_wg_free(wg);
    goc_chan_free(c);
}
static void multiple_wait1(void) { multiple_wait(0); }
static void multiple_wait2(void) { multiple_wait(1); }

static void mw3_writer(void *p) {
    data[(intptr_t)p] = 42;
    rc_expect(goc_wg_done(wg), 0);
}
static void mw3_reader(void *p) {
    int t = 1;
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    for (int i = 0; i < P; i++) rc_check(data[i] == 42);
    rc_expect(goc_chan_send(done, &t, GOC_NEVER), 0);
}
static void multiple_wait3(void) {
    mkwg();
    done = rc_chan(sizeof(int), P);
    rc_expect(goc_wg_add(wg, P), 0);
    for (intptr_t i = 0; i < P; i++) rc_go(mw3_writer, (void *)i);
    for (int i = 0; i < P; i++) rc_go(mw3_reader, NULL);
    int z;
    for (int i = 0; i < P; i++) rc_expect(goc_chan_recv(done, &z, GOC_NEVER), 0);
    rc_join();
    for (int i = 0; i < P; i++) data[i] = 0;
    goc_wg_free(wg);
    goc_chan_free(done);
}

static void tr_x(void *p) {
    x = 42;
    rc_expect(goc_wg_done(wg), 0);
}
static void tr_y(void *p) {
    goc_yield();
    y = 42;
    rc_expect(goc_wg_done(wg), 0);
}
static void transitive(void) {
    mkwg();
    rc_expect(goc_wg_add(wg, 2), 0);
    rc_go(tr_x, NULL);
    rc_go(tr_y, NULL);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_check(x == 42 && y == 42);
    rc_join();
    x = y = 0;
    goc_wg_free(wg);
}

static void reuse_g(void *p) {
    data[(intptr_t)p]++;
    rc_expect(goc_wg_done(wg), 0);
}
static void reuse_waiter(void *p) {
    int t = 1;
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    for (int i = 0; i < P; i++) data[i]++;
    rc_expect(goc_chan_send(done, &t, GOC_NEVER), 0);
}
static void reuse(int second_waiter) {
    mkwg();
    for (int t = 0; t < 3; t++) {
        rc_expect(goc_wg_add(wg, P), 0);
        for (intptr_t i = 0; i < P; i++) rc_go(reuse_g, (void *)i);
        if (second_waiter) {
            done = rc_chan(sizeof(int), 0);
            rc_go(reuse_waiter, NULL);
        }
        rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
        if (second_waiter) {
            int z;
            rc_expect(goc_chan_recv(done, &z, GOC_NEVER), 0);
            goc_chan_free(done);
        }
        for (int i = 0; i < P; i++) data[i]++;
    }
    for (int i = 0; i < P; i++) rc_check(data[i] == (second_waiter ? 9 : 6));
    rc_join();
    for (int i = 0; i < P; i++) data[i] = 0;
    goc_wg_free(wg);
}
static void reuse1(void) { reuse(0); }
static void reuse2(void) { reuse(1); }

static void ca_g(void *p) {
    int t = 1;
    rc_expect(goc_wg_add(wg, 1), 0);
    rc_expect(goc_chan_send(c, &t, GOC_NEVER), 0);
    rc_expect(goc_wg_done(wg), 0);
}
static void concurrent_add(void) {
    mkwg();
    c = rc_chan(sizeof(int), 4);
    for (int i = 0; i < 4; i++) rc_go(ca_g, NULL);
    int z;
    for (int i = 0; i < 4; i++) rc_expect(goc_chan_recv(c, &z, GOC_NEVER), 0);
    rc_expect(goc_wg_wait(wg, GOC_NEVER), 0);
    rc_join();
    goc_wg_free(wg);
    goc_chan_free(c);
}

static const rc_case cases[] = {
    {"waitgroup", "N", 0, waitgroup},
    {"waitgroup2", "N", 0, waitgroup2},
    {"multiple_wait1", "N", 1, multiple_wait1},
    {"multiple_wait2", "N", 1, multiple_wait2},
    {"multiple_wait3", "N", 1, multiple_wait3},
    {"transitive", "N", 0, transitive},
    {"reuse1", "N", 0, reuse1},
    {"reuse2", "N", 1, reuse2},
    {"concurrent_add", "N", 1, concurrent_add},
};
RC_MAIN(cases)
