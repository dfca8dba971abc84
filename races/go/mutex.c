/* Go 1.19 runtime/race/testdata/mutex_test.go, ported to goc (go_port.h). */
#include "go_port.h"

int16_t x16;
int8_t x8;
int x;
bool written;
const char *a;
goc_mutex *mu, *mu1, *mu2, *mu_var;
goc_chan *ch, *c;

static goc_mutex *mk(void) {
    goc_mutex *m = goc_mutex_make();
    rc_check(m != NULL);
    return m;
}
static void lock(goc_mutex *m) { rc_expect(goc_mutex_lock(m), 0); }
static void unlock(goc_mutex *m) { rc_expect(goc_mutex_unlock(m), 0); }

static void nr_g1(void *p) {
    lock(mu);
    x16 = 1;
    go_send(ch, 1);
    unlock(mu); /* defer mu.Unlock() */
}
static void nr_g2(void *p) {
    lock(mu);
    x16 = 2;
    unlock(mu);
    go_send(ch, 1);
}
static void TestNoRaceMutex(void) {
    mu = mk();
    x16 = 0;
    ch = go_chan(2);
    rc_go(nr_g1, NULL);
    rc_go(nr_g2, NULL);
    go_recv(ch);
    go_recv(ch);
}

static void r_g1(void *p) {
    RC_SERIAL(x16 = 1);
    lock(mu);
    go_send(ch, 1);
    unlock(mu);
}
static void r_g2(void *p) {
    RC_SERIAL(x16 = 2);
    lock(mu);
    unlock(mu);
    go_send(ch, 1);
}
static void TestRaceMutex(void) {
    mu = mk();
    x16 = 0;
    ch = go_chan(2);
    rc_go(r_g1, NULL);
    rc_go(r_g2, NULL);
    go_recv(ch);
    go_recv(ch);
}

static void r2_g1(void *p) {
    lock(mu1);
    RC_SERIAL(x8 = 1);
    go_send(ch, 1);
    unlock(mu1);
}
static void r2_g2(void *p) {
    lock(mu2);
    RC_SERIAL(x8 = 2);
    unlock(mu2);
    go_send(ch, 1);
}
static void TestRaceMutex2(void) {
    mu1 = mk();
    mu2 = mk();
    x8 = 0;
    ch = go_chan(2);
    rc_go(r2_g1, NULL);
    rc_go(r2_g2, NULL);
    go_recv(ch);
    go_recv(ch);
}

static void phb_g1(void *p) {
    x16 = 1;
    lock(mu);
    written = true;
    unlock(mu);
    go_send(ch, 1);
}
static void phb_g2(void *p) {
    go_sleep(100000); /* 100 us */
    lock(mu);
    while (!written) {
        unlock(mu);
        go_sleep(100000);
        lock(mu);
    }
    unlock(mu);
    x16 = 1;
    go_send(ch, 1);
}
static void TestNoRaceMutexPureHappensBefore(void) {
    mu = mk();
    x16 = 0;
    written = false;
    ch = go_chan(2);
    rc_go(phb_g1, NULL);
    rc_go(phb_g2, NULL);
    go_recv(ch);
    go_recv(ch);
}

static void sem_g1(void *p) {
    x = 1;
    unlock(mu); /* unlocks the main task's lock (Go allows it) */
    go_send(ch, 1);
}
static void sem_g2(void *p) {
    lock(mu);
    x = 2;
    unlock(mu);
    go_send(ch, 1);
}
static void TestNoRaceMutexSemaphore(void) {
    mu = mk();
    ch = go_chan(2);
    x = 0;
    lock(mu);
    rc_go(sem_g1, NULL);
    rc_go(sem_g2, NULL);
    go_recv(ch);
    go_recv(ch);
}

/* from doc/go_mem.html */
static void html_g(void *p) {
    a = "hello, world";
    unlock(mu);
}
static void TestNoRaceMutexExampleFromHtml(void) {
    mu = mk();
    a = "";
    lock(mu);
    rc_go(html_g, NULL);
    lock(mu);
    (void)*(const char *volatile *)&a;
    unlock(mu); /* not in Go: lets the mutex be freed */
}

/* mu = sync.Mutex{} writes the mutex while mu.Lock() uses it: in C the
 * variable holding the mutex is overwritten while Lock reads it. */
static void ow_g(void *p) {
    goc_mutex *fresh = p;
    RC_SERIAL(mu_var = fresh);
    go_send(c, 1);
}
static void TestRaceMutexOverwrite(void) {
    c = go_chan(1);
    mu_var = mk();
    goc_mutex *old = mu_var;
    rc_go(ow_g, mk());
    goc_mutex *m;
    RC_SERIAL(m = mu_var); /* mu.Lock() */
    lock(m);
    go_recv(c);
    unlock(m);
    (void)old;
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceMutex, 0),
    GO_RACE(TestRaceMutex),
    GO_RACE(TestRaceMutex2),
    GO_NORACE(TestNoRaceMutexPureHappensBefore, 0),
    GO_NORACE(TestNoRaceMutexSemaphore, 0),
    GO_NORACE(TestNoRaceMutexExampleFromHtml, 0),
    GO_RACE(TestRaceMutexOverwrite),
};
RC_MAIN_GO(cases)
