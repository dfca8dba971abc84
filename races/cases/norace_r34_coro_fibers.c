/* R34 (coro only, GOC_PROCS=1): the same two coroutines hand x over with a
 * channel: no race. */
#include "race_common.h"

int x;
static goc_chan *c;

static void first(void *p) {
    int t = 1;
    x = 1;
    rc_expect(goc_chan_send(c, &t, GOC_NEVER), 0);
}
static void second(void *p) {
    int t;
    rc_expect(goc_chan_recv(c, &t, GOC_NEVER), 0);
    x = 2;
}
static void handoff(void) {
    c = rc_chan(sizeof(int), 0);
    rc_go(first, NULL);
    rc_go(second, NULL);
    rc_join();
    goc_chan_free(c);
}
static const rc_case cases[] = {{"channel_handoff", "N", 1, handoff}};
RC_MAIN(cases)
