/* R13 RaceChanSendClose / SendSelectClose / CloseSend: a send concurrent
 * with a close is a race in Go (the send reads the channel object, close
 * writes it). Reported only with the strict-object option of the precise
 * build (GOC_TSAN_STRICT=1: send = __tsan_external_read(chan), close =
 * __tsan_external_write(chan)): mode X, informational. */
#include "race_common.h"

static goc_chan *c;
static rc_barrier b;

static void g_send(void *p) {
    int z = 0;
    rc_barrier_wait(&b);
    int r = goc_chan_send(c, &z, GOC_NEVER);
    rc_check(r == 0 || r == -EPIPE);
}
static void g_select_send(void *p) {
    int z = 0;
    goc_chan *never = rc_chan(sizeof(int), 0);
    goc_case k[2] = {{c, GOC_SEND, &z, 0}, {never, GOC_RECV, NULL, 0}};
    rc_barrier_wait(&b);
    int r = goc_select(k, 2, GOC_NEVER);
    rc_check(r == 0);
    goc_chan_free(never);
}
static void g_close(void *p) {
    rc_barrier_wait(&b);
    rc_expect(goc_chan_close(c), 0);
}
static void send_close(void) {
    c = rc_chan(sizeof(int), 10);
    rc_barrier_init(&b, 2);
    rc_go(g_send, NULL);
    rc_barrier_wait(&b);
    rc_expect(goc_chan_close(c), 0);
    rc_join();
    goc_chan_free(c);
}
static void select_send_close(void) {
    c = rc_chan(sizeof(int), 10);
    rc_barrier_init(&b, 2);
    rc_go(g_select_send, NULL);
    rc_barrier_wait(&b);
    rc_expect(goc_chan_close(c), 0);
    rc_join();
    goc_chan_free(c);
}
static void close_send(void) {
    c = rc_chan(sizeof(int), 10);
    rc_barrier_init(&b, 2);
    rc_go(g_close, NULL);
    rc_barrier_wait(&b);
    int z = 0, r = goc_chan_send(c, &z, GOC_NEVER);
    rc_check(r == 0 || r == -EPIPE);
    rc_join();
    goc_chan_free(c);
}
static const rc_case cases[] = {
    {"send_close", "X", 1, send_close},
    {"select_send_close", "X", 1, select_send_close},
    {"close_send", "X", 1, close_send},
};
RC_MAIN(cases)
