/* R11 RaceChanWrongSend: cap 2, two senders; the receiver takes one value
 * and writes the OTHER sender's variable (it synchronized only with the
 * sender of the value it got).
 * R12 RaceChanWrongClose: cap 1, a value and a later close; the receiver
 * gets the value (ok == true) but writes the closer's variable.
 * The natural build's channel mutex orders both senders / the close before
 * the receive: P. Barriers only fix the schedule. */
#include "race_common.h"

int v1, v2;
static goc_chan *c;
static rc_barrier b1, b2;

static void wrong_sender(void *p) {
    int me = (int)(intptr_t)p;
    if (me == 1) v1 = 1;
    else v2 = 2;
    rc_expect(goc_chan_send(c, &me, GOC_NEVER), 0);
    rc_barrier_wait(&b1);
}
static void wrong_send(void) {
    c = rc_chan(sizeof(int), 2);
    rc_barrier_init(&b1, 3);
    rc_go(wrong_sender, (void *)(intptr_t)1);
    rc_go(wrong_sender, (void *)(intptr_t)2);
    rc_barrier_wait(&b1); /* both values are in the buffer */
    int got;
    rc_expect(goc_chan_recv(c, &got, GOC_NEVER), 0);
    if (got == 1) v2 = 3;
    else v1 = 3;
    rc_join();
    goc_chan_free(c);
}

static void wc_sender(void *p) {
    int one = 1;
    v1 = 1;
    rc_expect(goc_chan_send(c, &one, GOC_NEVER), 0);
    rc_barrier_wait(&b1);
}
static void wc_closer(void *p) {
    rc_barrier_wait(&b1); /* the value is queued */
    v2 = 2;
    rc_expect(goc_chan_close(c), 0);
    rc_barrier_wait(&b2);
}
static void wrong_close(void) {
    c = rc_chan(sizeof(int), 1);
    rc_barrier_init(&b1, 3);
    rc_barrier_init(&b2, 2);
    rc_go(wc_sender, NULL);
    rc_go(wc_closer, NULL);
    rc_barrier_wait(&b1);
    rc_barrier_wait(&b2); /* closed, value still buffered */
    int got = 0;
    int who = goc_chan_recv(c, &got, GOC_NEVER) == 0; /* _, who := <-c */
    rc_check(who && got == 1);
    if (who) v2 = 2; /* believes the sender, not the closer, wrote last */
    else v1 = 2;
    rc_join();
    goc_chan_free(c);
}

static const rc_case cases[] = {
    {"r11_wrong_send", "P", 1, wrong_send},
    {"r12_wrong_close", "P", 1, wrong_close},
};
RC_MAIN(cases)
