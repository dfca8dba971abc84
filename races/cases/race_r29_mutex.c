/* R29 (race half): RaceMutex (writes before the lock), RaceMutex2 (two
 * different mutexes), RaceMutexOverwrite (the variable holding the mutex is
 * replaced while another task locks through it). Barriers force both
 * writes into one window before any lock, so the natural build's internal
 * ordering cannot hide them (N). */
#include "race_common.h"

int x;
static goc_mutex *mu, *mu2, *muvar, *mu_old, *mu_new;
static rc_barrier b;

static void rm_g(void *p) {
    int v = (int)(intptr_t)p;
    RC_SERIAL(x = v);
    rc_barrier_wait(&b);
    rc_expect(goc_mutex_lock(mu), 0);
    rc_expect(goc_mutex_unlock(mu), 0);
}
static void race_mutex(void) {
    mu = goc_mutex_make();
    rc_check(mu != NULL);
    rc_barrier_init(&b, 2);
    rc_go(rm_g, (void *)(intptr_t)1);
    rc_go(rm_g, (void *)(intptr_t)2);
    rc_join();
    goc_mutex_free(mu);
}

static void rm2_g(void *p) {
    goc_mutex *m = p == NULL ? mu : mu2;
    rc_expect(goc_mutex_lock(m), 0);
    rc_barrier_wait(&b); /* both hold their (different) mutex */
    RC_SERIAL(x = p == NULL ? 1 : 2);
    rc_expect(goc_mutex_unlock(m), 0);
}
static void race_mutex2(void) {
    mu = goc_mutex_make();
    mu2 = goc_mutex_make();
    rc_check(mu && mu2);
    rc_barrier_init(&b, 2);
    rc_go(rm2_g, NULL);
    rc_go(rm2_g, (void *)1);
    rc_join();
    goc_mutex_free(mu);
    goc_mutex_free(mu2);
}

static void ow_g(void *p) {
    RC_SERIAL(muvar = mu_new); /* mu = sync.Mutex{} */
    rc_barrier_wait(&b);
}
static void race_mutex_overwrite(void) {
    mu_old = goc_mutex_make();
    mu_new = goc_mutex_make();
    rc_check(mu_old && mu_new);
    muvar = mu_old;
    rc_barrier_init(&b, 2);
    rc_go(ow_g, NULL);
    goc_mutex *m;
    RC_SERIAL(m = muvar); /* mu.Lock() reads the variable */
    rc_barrier_wait(&b);
    rc_expect(goc_mutex_lock(m), 0);
    rc_expect(goc_mutex_unlock(m), 0);
    rc_join();
    goc_mutex_free(mu_old);
    goc_mutex_free(mu_new);
}

static const rc_case cases[] = {
    {"race_mutex", "N", 0, race_mutex},
    {"race_mutex2", "N", 0, race_mutex2},
    {"race_mutex_overwrite", "N", 0, race_mutex_overwrite},
};
RC_MAIN(cases)
