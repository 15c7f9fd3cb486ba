/* SPDX-License-Identifier: MIT */
/* Entry of the RV32 image: global and stack pointers, the trap vector, then C. */
    .section .text.vg_start, "ax"
    .globl vg_start
vg_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, vg_stack_top
    la t0, vg_trap_entry
    csrw mtvec, t0
    call vg_rv32_reset
1:  j 1b

/* Any trap (no interrupt is enabled, so an exception: illegal instruction, misaligned or
 * faulting access, ecall, ebreak) ends the program with a code naming the cause. */
    .text
    .balign 4
    .globl vg_trap_entry
vg_trap_entry:
    la sp, vg_stack_top
    csrr a0, mcause
    call vg_rv32_trap
2:  j 2b
