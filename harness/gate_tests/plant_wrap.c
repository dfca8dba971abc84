/*
 * plant_wrap.c: the wall-clock gate's planted slowdown (harness/gate.py,
 * scripts/stage_gate.sh with GOC_GATE_PLANT=1, harness/gate_tests/).
 *
 * micro_planted-<backend> is the micro catalogue (harness/bench_micro.c,
 * unchanged) linked with -Wl,--wrap=goc_chan_send: every call of
 * goc_chan_send made by the benchmark code goes to __wrap_goc_chan_send
 * below, which does a little extra work and then calls the real
 * send (__real_goc_chan_send, the backend's own function). That is what a
 * careless change to a send path looks like: a fixed cost per send. Rows
 * that send on an uncontended channel (ChanUncontended: about 20 ns per
 * operation) get markedly slower; rows dominated by blocking and wake-ups
 * (ChanSync, MPMC) barely move, and rows without sends not at all, so the
 * gate must both catch the plant and leave the other rows alone.
 *
 * The work is a chain of GOC_GATE_PLANT_WORK dependent multiply-adds in a
 * register (about 4 cycles each); the empty asm makes the value opaque, so
 * the compiler can neither fold nor drop the loop. No memory is touched:
 * a volatile stack variable instead made the cost depend on where ASLR put
 * the stack (store forwarding, 4K aliasing), 3.3 us in one process and
 * 5.9 us in the next, a bimodal plant. The length is set in CMakeLists.txt.
 */
#include <goc/goc.h>

#ifndef GOC_GATE_PLANT_WORK
#define GOC_GATE_PLANT_WORK 32
#endif

int __real_goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline);
int __wrap_goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline);

int __wrap_goc_chan_send(goc_chan *ch, const void *elem, goc_time deadline) {
    unsigned long x = (unsigned long)deadline;
    for (unsigned i = 0; i < GOC_GATE_PLANT_WORK; i++) {
        x = x * 0x9E3779B97F4A7C15ul + i;
        __asm__ volatile("" : "+r"(x));
    }
    __asm__ volatile("" ::"r"(x));
    return __real_goc_chan_send(ch, elem, deadline);
}
