/* R34 (coro only, GOC_PROCS=1): two coroutines on one worker race on x with
 * no synchronization. The precise coro build gives each task its own TSan
 * fiber and switches with __tsan_switch_to_fiber_no_sync, so they are
 * distinct "threads" to TSan (the Go model): P. */
#include "race_common.h"

int x;

static void writer(void *p) {
    x = (int)(intptr_t)p;
    goc_yield();
}
static void same_worker(void) {
    rc_go(writer, (void *)1);
    rc_go(writer, (void *)2);
    rc_join();
}
static const rc_case cases[] = {{"same_worker", "P", 0, same_worker}};
RC_MAIN(cases)
