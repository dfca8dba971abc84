/* Per-thread xorshift64* seeded from the process seed (GOC_SEED or clock). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goc_internal.h"

static _Atomic uint64_t process_seed; /* 0 = not chosen yet; set once (CAS) */
static _Atomic uint64_t thread_counter;
static __thread uint64_t rng_state;

uint64_t goc__seed(void) {
    uint64_t s = atomic_load_explicit(&process_seed, memory_order_acquire);
    if (GOC_LIKELY(s)) return s;
    const char *env = getenv("GOC_SEED");
    uint64_t want = 0;
    if (env && *env) want = strtoull(env, NULL, 0);
    if (!want) want = (uint64_t)goc_now() ^ ((uint64_t)getpid() << 32);
    if (!want) want = 0x9e3779b97f4a7c15ull;
    uint64_t expected = 0;
    /* acq_rel: the first chooser publishes; losers read the winner's seed */
    if (!atomic_compare_exchange_strong_explicit(&process_seed, &expected, want, memory_order_acq_rel,
                                                 memory_order_acquire))
        return expected;
    return want;
}

static uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t goc__rand(void) {
    uint64_t x = rng_state;
    if (GOC_UNLIKELY(!x)) {
        uint64_t n = atomic_fetch_add_explicit(&thread_counter, 1, memory_order_relaxed);
        x = splitmix(goc__seed() + n * 0x632be59bd9b4e019ull);
        if (!x) x = 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}
