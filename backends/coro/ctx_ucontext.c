/*
 * ctx_ucontext.c: the portable fallback context switch (ucontext(3)), for
 * targets without a hand-written switch, or -DGOC_CORO_UCONTEXT=ON.
 * swapcontext also saves and restores the signal mask (a system call), so
 * it is an order of magnitude slower than ctx_x86_64.S; the semantics are
 * the same.
 */
#include <stdint.h>

#include "coro.h"

/* makecontext passes int arguments only: split the two pointers. */
static void uc_entry(unsigned fn_hi, unsigned fn_lo, unsigned arg_hi, unsigned arg_lo) {
    void (*fn)(void *) = (void (*)(void *))(((uintptr_t)fn_hi << 32) | fn_lo);
    void *arg = (void *)(((uintptr_t)arg_hi << 32) | arg_lo);
    fn(arg);
    __builtin_trap(); /* entries never return */
}

void coro_cctx_make(coro_cctx *c, void *lo, size_t size, void (*entry)(void *), void *arg) {
    if (getcontext(&c->uc) != 0) goc__fatal("getcontext failed");
    c->uc.uc_stack.ss_sp = lo;
    c->uc.uc_stack.ss_size = size;
    c->uc.uc_link = NULL;
    uintptr_t f = (uintptr_t)entry, a = (uintptr_t)arg;
    makecontext(&c->uc, (void (*)(void))uc_entry, 4, (unsigned)(f >> 32), (unsigned)f,
                (unsigned)(a >> 32), (unsigned)a);
}

void coro_cctx_switch(coro_cctx *from, coro_cctx *to) {
    if (swapcontext(&from->uc, &to->uc) != 0) goc__fatal("swapcontext failed");
}
