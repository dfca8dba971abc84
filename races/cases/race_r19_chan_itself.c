/* R19 RaceChanItself{Send,Recv,Nil,Close,Len,Cap}: the variable holding the
 * channel pointer is reassigned while another task reads it to use the
 * channel: a race on the variable itself, whatever the channel does. */
#include "race_common.h"

static goc_chan *c;            /* the racy variable */
static goc_chan *old_c, *new_c; /* for freeing (read-only copies) */
static rc_barrier b;

enum { OP_SEND, OP_RECV, OP_CLOSE, OP_LEN, OP_CAP };
static void g_use(void *p) {
    int op = (int)(intptr_t)p, z = 0;
    goc_chan *ch = c; /* the racy read */
    rc_barrier_wait(&b);
    switch (op) {
    case OP_SEND: {
        int r = goc_chan_send(ch, &z, GOC_NOW);
        rc_check(r == 0 || r == -EINVAL);
        break;
    }
    case OP_RECV: {
        int r = goc_chan_recv(ch, &z, GOC_NOW);
        rc_check(r == 0 || r == -EAGAIN || r == -EINVAL);
        break;
    }
    case OP_CLOSE: (void)goc_chan_close(ch); break;
    case OP_LEN: (void)goc_chan_len(ch); break;
    case OP_CAP: (void)goc_chan_cap(ch); break;
    }
}
static void run(int op, int make_nil) {
    old_c = rc_chan(sizeof(int), 10);
    new_c = make_nil ? NULL : rc_chan(sizeof(int), 20);
    c = old_c;
    rc_barrier_init(&b, 2);
    rc_go(g_use, (void *)(intptr_t)op);
    c = new_c; /* the racy write */
    rc_barrier_wait(&b);
    rc_join();
    goc_chan_free(old_c);
    goc_chan_free(new_c);
}
static void send_(void) { run(OP_SEND, 0); }
static void recv_(void) { run(OP_RECV, 0); }
static void nil_(void) { run(OP_SEND, 1); }
static void close_(void) { run(OP_CLOSE, 0); }
static void len_(void) { run(OP_LEN, 0); }
static void cap_(void) { run(OP_CAP, 0); }
static const rc_case cases[] = {
    {"send", "N", 0, send_}, {"recv", "N", 0, recv_}, {"nil", "N", 0, nil_},
    {"close", "N", 0, close_}, {"len", "N", 0, len_}, {"cap", "N", 0, cap_},
};
RC_MAIN(cases)
