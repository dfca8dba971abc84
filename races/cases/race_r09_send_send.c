/* R09 RaceChanSendSend: cap 1, two try-sends (select with default); the
 * loser writes the other's variable. A failed try-send synchronizes with
 * nothing: P. */
#include "race_common.h"

int v1, v2;
static goc_chan *c;
static rc_barrier b;

static void sender(void *p) {
    int me = (int)(intptr_t)p, one = 1;
    if (me == 1) v1 = 1;
    else v2 = 1;
    rc_barrier_wait(&b);
    if (goc_chan_send(c, &one, GOC_NOW) == -EAGAIN) {
        if (me == 1) v2 = 2;
        else v1 = 2;
    }
}
static void send_send(void) {
    c = rc_chan(sizeof(int), 1);
    rc_barrier_init(&b, 2);
    rc_go(sender, (void *)(intptr_t)1);
    rc_go(sender, (void *)(intptr_t)2);
    rc_join();
    rc_check(goc_chan_len(c) == 1);
    goc_chan_free(c);
}
static const rc_case cases[] = {{"send_send", "P", 1, send_send}};
RC_MAIN(cases)
