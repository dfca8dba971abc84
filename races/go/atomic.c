/* Go 1.19 runtime/race/testdata/atomic_test.go, ported to goc (go_port.h).
 * sync/atomic is C11 atomics with seq_cst order (Go's atomics are
 * sequentially consistent; TSan models them as acquire/release edges).
 * Not ported: TestNoRaceAtomicCrash, TestNoRaceDeferAtomicStore
 * (README.md). */
#include <stdatomic.h>

#include "go_port.h"

int8_t x1, x2;
int64_t x64;
int32_t x32;
_Atomic int64_t s64;
_Atomic int32_t s32;
_Atomic uint64_t su64;
_Atomic(void *) sptr;
uint64_t a; /* accessed both atomically and plainly (the Race tests) */
int y;
goc_chan *ch, *c;

static void add64_g(void *p) {
    int me = (int)(intptr_t)p, want = me >> 4;
    if ((me & 15) == 1) {
        x1 = 1;
        if (atomic_fetch_add(&s64, 1) + 1 == want) x2 = 1;
    } else {
        x2 = 1;
        if (atomic_fetch_add(&s64, 1) + 1 == want) x1 = 1;
    }
    go_send(ch, 1);
}
static void add64(int want) {
    x1 = x2 = 0;
    atomic_store(&s64, 0);
    ch = go_chan(2);
    rc_go(add64_g, (void *)(intptr_t)(want << 4 | 1));
    rc_go(add64_g, (void *)(intptr_t)(want << 4 | 2));
    go_recv(ch);
    go_recv(ch);
}
static void TestNoRaceAtomicAddInt64(void) { add64(2); }

/* want == 1: the first adder writes the other's variable, unordered with
 * the other's own write; both sides in RC_SERIAL (see go_port.h) */
static void radd64_g(void *p) {
    int me = (int)(intptr_t)p;
    if (me == 1) {
        RC_SERIAL(x1 = 1);
        if (atomic_fetch_add(&s64, 1) + 1 == 1) RC_SERIAL(x2 = 1);
    } else {
        RC_SERIAL(x2 = 1);
        if (atomic_fetch_add(&s64, 1) + 1 == 1) RC_SERIAL(x1 = 1);
    }
    go_send(ch, 1);
}
static void TestRaceAtomicAddInt64(void) {
    x1 = x2 = 0;
    atomic_store(&s64, 0);
    ch = go_chan(2);
    rc_go(radd64_g, (void *)1);
    rc_go(radd64_g, (void *)2);
    go_recv(ch);
    go_recv(ch);
}

static void add32_g(void *p) {
    if (p == NULL) {
        x1 = 1;
        if (atomic_fetch_add(&s32, 1) + 1 == 2) x2 = 1;
    } else {
        x2 = 1;
        if (atomic_fetch_add(&s32, 1) + 1 == 2) x1 = 1;
    }
    go_send(ch, 1);
}
static void TestNoRaceAtomicAddInt32(void) {
    x1 = x2 = 0;
    atomic_store(&s32, 0);
    ch = go_chan(2);
    rc_go(add32_g, NULL);
    rc_go(add32_g, (void *)1);
    go_recv(ch);
    go_recv(ch);
}

static void loadadd32_g(void *p) {
    x64 = 2;
    atomic_fetch_add(&s32, 1);
}
static void TestNoRaceAtomicLoadAddInt32(void) {
    x64 = 0;
    atomic_store(&s32, 0);
    rc_go(loadadd32_g, NULL);
    while (atomic_load(&s32) != 1) goc_yield();
    x64 = 1;
}

static void store32_g(void *p) {
    x64 = 2;
    atomic_store(&s32, 1);
}
static void TestNoRaceAtomicLoadStoreInt32(void) {
    x64 = 0;
    atomic_store(&s32, 0);
    rc_go(store32_g, NULL);
    while (atomic_load(&s32) != 1) goc_yield();
    x64 = 1;
}

static bool cas32(int32_t old, int32_t new) { return atomic_compare_exchange_strong(&s32, &old, new); }
static void TestNoRaceAtomicStoreCASInt32(void) {
    x64 = 0;
    atomic_store(&s32, 0);
    rc_go(store32_g, NULL);
    while (!cas32(1, 0)) goc_yield();
    x64 = 1;
}

static void cas32_g(void *p) {
    x64 = 2;
    rc_check(cas32(0, 1)); /* panic("") */
}
static void TestNoRaceAtomicCASLoadInt32(void) {
    x64 = 0;
    atomic_store(&s32, 0);
    rc_go(cas32_g, NULL);
    while (atomic_load(&s32) != 1) goc_yield();
    x64 = 1;
}

static void TestNoRaceAtomicCASCASInt32(void) {
    x64 = 0;
    atomic_store(&s32, 0);
    rc_go(cas32_g, NULL);
    while (!cas32(1, 0)) goc_yield();
    x64 = 1;
}

static void cascas2_g(void *p) {
    if (p == NULL) {
        x1 = 1;
        if (!cas32(0, 1)) x2 = 1;
    } else {
        x2 = 1;
        if (!cas32(0, 1)) x1 = 1;
    }
    go_send(ch, 1);
}
static void TestNoRaceAtomicCASCASInt32_2(void) {
    x1 = x2 = 0;
    atomic_store(&s32, 0);
    ch = go_chan(2);
    rc_go(cascas2_g, NULL);
    rc_go(cascas2_g, (void *)1);
    go_recv(ch);
    go_recv(ch);
}

static void load64_g(void *p) {
    x32 = 2;
    atomic_fetch_add(&s64, 1);
}
static void TestNoRaceAtomicLoadInt64(void) {
    x32 = 0;
    atomic_store(&s64, 0);
    rc_go(load64_g, NULL);
    while (atomic_load(&s64) != 1) goc_yield();
    x32 = 1;
}

static bool casu64(uint64_t old, uint64_t new) { return atomic_compare_exchange_strong(&su64, &old, new); }
static void casu64_g(void *p) {
    x64 = 2;
    rc_check(casu64(0, 1));
}
static void TestNoRaceAtomicCASCASUInt64(void) {
    x64 = 0;
    atomic_store(&su64, 0);
    rc_go(casu64_g, NULL);
    while (!casu64(1, 0)) goc_yield();
    x64 = 1;
}

static void ptr_g(void *p) {
    x64 = 2;
    atomic_store(&sptr, p);
}
static void TestNoRaceAtomicLoadStorePointer(void) {
    x64 = 0;
    atomic_store(&sptr, NULL);
    y = 2;
    void *p = &y;
    rc_go(ptr_g, p);
    while (atomic_load(&sptr) != p) goc_yield();
    x64 = 1;
}

static void storeu64_g(void *p) {
    x64 = 2;
    atomic_store(&su64, 1);
}
static void TestNoRaceAtomicStoreCASUint64(void) {
    x64 = 0;
    atomic_store(&su64, 0);
    rc_go(storeu64_g, NULL);
    while (!casu64(1, 0)) goc_yield();
    x64 = 1;
}

/* a: atomic on one side, plain on the other */
static _Atomic uint64_t *aa(void) { return (_Atomic uint64_t *)&a; }
static void storeload_g(void *p) {
    RC_SERIAL(atomic_store(aa(), 1));
    go_send(c, 1);
}
static void TestRaceAtomicStoreLoad(void) {
    c = go_chan(0);
    a = 0;
    rc_go(storeload_g, NULL);
    RC_SERIAL((void)*(volatile uint64_t *)&a);
    go_recv(c);
}

static void loadstore_g(void *p) {
    RC_SERIAL((void)atomic_load(aa()));
    go_send(c, 1);
}
static void TestRaceAtomicLoadStore(void) {
    c = go_chan(0);
    a = 0;
    rc_go(loadstore_g, NULL);
    RC_SERIAL(a = 1);
    go_recv(c);
}

static void addu64_g(void *p) {
    RC_SERIAL(atomic_fetch_add(aa(), 1));
    go_send(c, 1);
}
static void TestRaceAtomicAddLoad(void) {
    c = go_chan(0);
    a = 0;
    rc_go(addu64_g, NULL);
    RC_SERIAL((void)*(volatile uint64_t *)&a);
    go_recv(c);
}

static void TestRaceAtomicAddStore(void) {
    c = go_chan(0);
    a = 0;
    rc_go(addu64_g, NULL);
    RC_SERIAL(a = 42);
    go_recv(c);
}

static const rc_case cases[] = {
    GO_NORACE(TestNoRaceAtomicAddInt64, 0),
    GO_RACE(TestRaceAtomicAddInt64),
    GO_NORACE(TestNoRaceAtomicAddInt32, 0),
    GO_NORACE(TestNoRaceAtomicLoadAddInt32, 0),
    GO_NORACE(TestNoRaceAtomicLoadStoreInt32, 0),
    GO_NORACE(TestNoRaceAtomicStoreCASInt32, 0),
    GO_NORACE(TestNoRaceAtomicCASLoadInt32, 0),
    GO_NORACE(TestNoRaceAtomicCASCASInt32, 0),
    GO_NORACE(TestNoRaceAtomicCASCASInt32_2, 0),
    GO_NORACE(TestNoRaceAtomicLoadInt64, 0),
    GO_NORACE(TestNoRaceAtomicCASCASUInt64, 0),
    GO_NORACE(TestNoRaceAtomicLoadStorePointer, 0),
    GO_NORACE(TestNoRaceAtomicStoreCASUint64, 0),
    GO_RACE(TestRaceAtomicStoreLoad),
    GO_RACE(TestRaceAtomicLoadStore),
    GO_RACE(TestRaceAtomicAddLoad),
    GO_RACE(TestRaceAtomicAddStore),
};
RC_MAIN_GO(cases)
