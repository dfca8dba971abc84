/* R07 RaceChanCloseClose: two closers; the loser (EPIPE) writes the
 * winner's variable. A losing close synchronizes with nothing: P. */
#include "race_common.h"

int v1, v2;
static goc_chan *c;
static rc_barrier b;

static void closer(void *p) {
    int me = (int)(intptr_t)p;
    if (me == 1) v1 = 1;
    else v2 = 1;
    rc_barrier_wait(&b); /* both variables written before either close */
    if (goc_chan_close(c) == -EPIPE) {
        if (me == 1) v2 = 2;
        else v1 = 2;
    }
}
static void close_close(void) {
    c = rc_chan(sizeof(int), 0);
    rc_barrier_init(&b, 2);
    rc_go(closer, (void *)(intptr_t)1);
    rc_go(closer, (void *)(intptr_t)2);
    rc_join();
    goc_chan_free(c);
}
static const rc_case cases[] = {{"close_close", "P", 1, close_close}};
RC_MAIN(cases)
