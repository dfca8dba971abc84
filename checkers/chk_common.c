/* chk_common.c: see chk_common.h. */
#include "chk_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool env_on(const char *name) {
    const char *e = getenv(name);
    return e && *e && *e != '0';
}

static long num(const char *opt, const char *v) {
    char *end = NULL;
    long x = v ? strtol(v, &end, 0) : -1;
    if (!v || !*v || *end || x < 0) {
        fprintf(stderr, "%s needs a non-negative number\n", opt);
        exit(2);
    }
    return x;
}

void chk_parse(int argc, char **argv, double default_s, double sanitized_s, struct chk_args *a) {
#ifdef GOC_SANITIZED
    a->seconds = sanitized_s;
#else
    a->seconds = default_s;
    (void)sanitized_s;
#endif
    const char *e = getenv("GOC_CHECK_SECONDS");
    if (e && atof(e) > 0) a->seconds = atof(e);
    bool lng = env_on("GOC_TEST_LONG");
    a->first = 0;
    a->count = -1;
    a->repeat = 1;
    a->argv0 = argv[0];
    a->nextra = 0;
    a->extra = calloc((size_t)argc + 1, sizeof *a->extra);
    if (!a->extra) exit(2);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--seconds")) {
            if (i + 1 >= argc || atof(argv[i + 1]) <= 0) {
                fprintf(stderr, "--seconds needs a positive number\n");
                exit(2);
            }
            a->seconds = atof(argv[++i]);
        } else if (!strcmp(o, "--long")) {
            lng = true;
        } else if (!strcmp(o, "--first")) {
            a->first = num(o, i + 1 < argc ? argv[++i] : NULL);
        } else if (!strcmp(o, "--count")) {
            a->count = num(o, i + 1 < argc ? argv[++i] : NULL);
        } else if (!strcmp(o, "--repeat")) {
            a->repeat = num(o, i + 1 < argc ? argv[++i] : NULL);
            if (a->repeat < 1) a->repeat = 1;
        } else {
            a->extra[a->nextra++] = argv[i];
        }
    }
    if (lng) a->seconds *= 20;
    if (!getenv("GOC_TEST_TIMEOUT")) {
        char t[32];
        snprintf(t, sizeof t, "%.0f", a->seconds + 120);
        setenv("GOC_TEST_TIMEOUT", t, 1);
    }
}

uint64_t chk_mix(uint64_t seed, uint64_t i) {
    uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z ? z : 1;
}

/* ------------------------------------------------------- perturbation -- */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PERTURB_SLOTS 64
/* Target thread ids, 0 = empty. Written by the tasks (relaxed: a stale or
 * reused id only means the signal hits another thread of this process or
 * none, see below), read by the perturber. */
static _Atomic int p_tid[PERTURB_SLOTS];
static _Atomic int p_stop;
static pthread_t p_thread;
static bool p_running;
static unsigned p_period_us, p_stall_us;
static _Atomic unsigned p_stall_now; /* the stall of the next delivery, in us */
static _Atomic int p_nslots;         /* highest registered slot + 1 */

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_urg(int sig) {
    (void)sig;
    int saved = errno;
    /* relaxed: any value is a fine stall */
    int64_t end = mono_ns() + (int64_t)atomic_load_explicit(&p_stall_now, memory_order_relaxed) * 1000;
    while (mono_ns() < end) {
    }
    errno = saved;
}

static void *perturber(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "chk-perturber"); /* difftest's failure reports name threads */
    uint64_t r = (uint64_t)mono_ns() | 1;
    pid_t pid = getpid();
    while (!atomic_load_explicit(&p_stop, memory_order_relaxed)) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        struct timespec ts = {0, (long)(r % (2 * p_period_us + 1)) * 1000};
        nanosleep(&ts, NULL);
        int n = atomic_load_explicit(&p_nslots, memory_order_relaxed);
        if (n <= 0) continue;
        int tid = atomic_load_explicit(&p_tid[(r >> 20) % (unsigned)n], memory_order_relaxed);
        if (!tid) continue;
        atomic_store_explicit(&p_stall_now, (unsigned)((r >> 32) % (p_stall_us + 1)), memory_order_relaxed);
        /* tgkill with our pid: a thread id that was reused outside this
         * process can never be hit */
        syscall(SYS_tgkill, pid, tid, SIGURG);
    }
    return NULL;
}

void chk_perturb_start(unsigned period_us, unsigned max_stall_us) {
    if (p_running) return;
    /* GOC_CHECK_PERTURB="period_us,max_stall_us" overrides the checker's choice */
    const char *e = getenv("GOC_CHECK_PERTURB");
    unsigned a, b;
    if (e && sscanf(e, "%u,%u", &a, &b) == 2) period_us = a, max_stall_us = b;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_urg;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, NULL);
    p_period_us = period_us ? period_us : 1;
    p_stall_us = max_stall_us;
    atomic_store(&p_stop, 0);
    if (pthread_create(&p_thread, NULL, perturber, NULL) == 0) p_running = true;
}

void chk_perturb_register(int slot) {
    /* no per-thread cache: a coro task runs on several workers, and in the
     * precise TSan build a task's access to its worker's TLS is reported
     * against the worker's TLS initialization (fiber switches are hidden) */
    int my_tid = (int)syscall(SYS_gettid);
    slot %= PERTURB_SLOTS;
    atomic_store_explicit(&p_tid[slot], my_tid, memory_order_relaxed);
    int n = atomic_load_explicit(&p_nslots, memory_order_relaxed);
    while (n < slot + 1 &&
           !atomic_compare_exchange_weak_explicit(&p_nslots, &n, slot + 1, memory_order_relaxed, memory_order_relaxed)) {
    }
}

void chk_perturb_stop(void) {
    if (!p_running) return;
    atomic_store(&p_stop, 1);
    pthread_join(p_thread, NULL);
    p_running = false;
    for (int i = 0; i < PERTURB_SLOTS; i++) atomic_store_explicit(&p_tid[i], 0, memory_order_relaxed);
    atomic_store_explicit(&p_nslots, 0, memory_order_relaxed);
}
