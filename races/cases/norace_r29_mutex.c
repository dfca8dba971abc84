/* R29 (no-race half): NoRaceMutex, NoRaceMutexPureHappensBefore,
 * NoRaceMutexSemaphore and NoRaceMutexExampleFromHtml (unlocked by a task
 * other than the locker: goc allows it, as Go does). */
#include "race_common.h"

int x, written;
static goc_mutex *mu;
static goc_chan *ch;

static void m1_g(void *p) {
    int v = (int)(intptr_t)p, t = 1;
    rc_expect(goc_mutex_lock(mu), 0);
    x = v;
    rc_expect(goc_mutex_unlock(mu), 0);
    rc_expect(goc_chan_send(ch, &t, GOC_NEVER), 0);
}
static void mutex_(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    ch = rc_chan(sizeof(int), 2);
    rc_go(m1_g, (void *)(intptr_t)1);
    rc_go(m1_g, (void *)(intptr_t)2);
    int z;
    rc_expect(goc_chan_recv(ch, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(ch, &z, GOC_NEVER), 0);
    rc_join();
    goc_mutex_free(mu);
    goc_chan_free(ch);
}

static void phb_writer(void *p) {
    x = 1;
    rc_expect(goc_mutex_lock(mu), 0);
    written = 1;
    rc_expect(goc_mutex_unlock(mu), 0);
}
static void phb_reader(void *p) {
    rc_expect(goc_mutex_lock(mu), 0);
    while (!written) {
        rc_expect(goc_mutex_unlock(mu), 0);
        goc_yield();
        rc_expect(goc_mutex_lock(mu), 0);
    }
    rc_expect(goc_mutex_unlock(mu), 0);
    x = 1;
}
static void pure_hb(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    written = 0;
    rc_go(phb_writer, NULL);
    rc_go(phb_reader, NULL);
    rc_join();
    goc_mutex_free(mu);
}

static void sem_unlocker(void *p) {
    int t = 1;
    x = 1;
    rc_expect(goc_mutex_unlock(mu), 0); /* unlocks main's lock */
    rc_expect(goc_chan_send(ch, &t, GOC_NEVER), 0);
}
static void sem_locker(void *p) {
    int t = 1;
    rc_expect(goc_mutex_lock(mu), 0);
    x = 2;
    rc_expect(goc_mutex_unlock(mu), 0);
    rc_expect(goc_chan_send(ch, &t, GOC_NEVER), 0);
}
static void semaphore(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    ch = rc_chan(sizeof(int), 2);
    rc_expect(goc_mutex_lock(mu), 0);
    rc_go(sem_unlocker, NULL);
    rc_go(sem_locker, NULL);
    int z;
    rc_expect(goc_chan_recv(ch, &z, GOC_NEVER), 0);
    rc_expect(goc_chan_recv(ch, &z, GOC_NEVER), 0);
    rc_join();
    goc_mutex_free(mu);
    goc_chan_free(ch);
}

const char *a;
static void html_g(void *p) {
    a = "hello, world";
    rc_expect(goc_mutex_unlock(mu), 0);
}
static void example_from_html(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    a = "";
    rc_expect(goc_mutex_lock(mu), 0);
    rc_go(html_g, NULL);
    rc_expect(goc_mutex_lock(mu), 0);
    rc_check(a[0] == 'h');
    rc_expect(goc_mutex_unlock(mu), 0);
    rc_join();
    goc_mutex_free(mu);
}

/* The semaphore and html cases unlock from another task: Go allows it, and
 * so does the natural build's model of goc_mutex (goc_tsan_mu.h), so they
 * are required clean in both builds. */
static const rc_case cases[] = {
    {"mutex", "N", 0, mutex_},
    {"pure_happens_before", "N", 0, pure_hb},
    {"semaphore", "N", 0, semaphore},
    {"example_from_html", "N", 0, example_from_html},
};
RC_MAIN(cases)
