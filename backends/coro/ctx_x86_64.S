/*
 * ctx_x86_64.S: the coro context switch for x86-64 (System V AMD64 ABI).
 *
 * ABI reference (System V AMD64 psABI 1.0, section 3.2.1 and 3.2.3):
 *   callee-saved:   rbx, rbp, r12, r13, r14, r15, rsp
 *   also preserved: the control bits of MXCSR and the x87 control word
 *                   (rounding mode, exception masks, precision) are
 *                   "callee-saved"; status bits are not.
 * Everything else is caller-saved, so a switch that is a plain function call
 * needs to save only these. The direction flag is clear at every call.
 *
 * void goc__coro_switch(void **save_sp, void *load_sp)
 *   pushes the callee-saved state on the current stack, stores rsp in
 *   *save_sp, loads load_sp, pops the state saved there and returns into the
 *   other context.
 *
 * Saved frame, at the saved stack pointer (offsets in bytes):
 *
 *   offset  size  content
 *   ------  ----  -----------------------------------------------
 *        0     4  MXCSR                      (stmxcsr / ldmxcsr)
 *        4     2  x87 control word           (fnstcw / fldcw)
 *        6     2  padding
 *        8     8  r15
 *       16     8  r14
 *       24     8  r13
 *       32     8  r12
 *       40     8  rbx
 *       48     8  rbp
 *       56     8  return address             (ret)
 *   total 64 bytes.
 *
 * A new context (coro_cctx_make in sched.c) is a hand-built frame of this
 * layout whose return address is goc__coro_trampoline, r12 = argument,
 * r13 = entry function, MXCSR = 0x1f80 and x87 CW = 0x037f (the ABI's
 * initial values), placed so that rsp is 16-byte aligned at the call in the
 * trampoline.
 */
    .text

    .globl  goc__coro_switch
    .hidden goc__coro_switch
    .type   goc__coro_switch, @function
    .p2align 4
goc__coro_switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)        /* save: the frame above is now the saved context */
    movq    %rsi, %rsp          /* load: switch stacks (the switch itself) */
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   goc__coro_switch, .-goc__coro_switch

/* First code of every task: entry(arg) with r13 = entry, r12 = arg. The
 * entry never returns (it ends with a switch away); ud2 traps if it does.
 * rip is marked undefined so that debuggers and unwinders stop here. */
    .globl  goc__coro_trampoline
    .hidden goc__coro_trampoline
    .type   goc__coro_trampoline, @function
    .p2align 4
goc__coro_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   goc__coro_trampoline, .-goc__coro_trampoline

    .section .note.GNU-stack,"",@progbits
