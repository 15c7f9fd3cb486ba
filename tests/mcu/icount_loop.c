/* SPDX-License-Identifier: MIT */
/*
 * The instruction-count plugin's known answer: a counted loop written in assembly, so the
 * number of instructions is fixed by construction, between the bench markers. For a loop of
 * n iterations a span holds 2n + 3 instructions: the marker's return, the loop counter's
 * set-up, n decrements and n branches, and the call of vg_bench_end. Runs n = 1000, then
 * n = 1: spans 2003 and 5.
 */
#include <stdint.h>

#include "vg_port.h"

void __attribute__((noinline, noipa)) vg_bench_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

void __attribute__((noinline, noipa)) vg_bench_end(void)
{
    __asm__ volatile("" ::: "memory");
}

void vg_icount_run(uint32_t n);

#if defined(__arm__)
__asm__(".text\n"
        ".thumb\n"
        ".syntax unified\n"
        ".balign 4\n"
        ".global vg_icount_run\n"
        ".thumb_func\n"
        "vg_icount_run:\n"
        "    push {r4, lr}\n"
        "    mov r4, r0\n"
        "    bl vg_bench_begin\n"
        "    mov r0, r4\n"
        "1:  subs r0, r0, #1\n"
        "    bne 1b\n"
        "    bl vg_bench_end\n"
        "    pop {r4, pc}\n");
#elif defined(__riscv)
__asm__(".text\n"
        ".balign 4\n"
        ".global vg_icount_run\n"
        "vg_icount_run:\n"
        "    addi sp, sp, -16\n"
        "    sw ra, 12(sp)\n"
        "    sw s0, 8(sp)\n"
        "    mv s0, a0\n"
        "    jal vg_bench_begin\n"
        "    mv a0, s0\n"
        "1:  addi a0, a0, -1\n"
        "    bnez a0, 1b\n"
        "    jal vg_bench_end\n"
        "    lw s0, 8(sp)\n"
        "    lw ra, 12(sp)\n"
        "    addi sp, sp, 16\n"
        "    ret\n");
#else
#error "icount_loop.c is for the Cortex-M and RV32 images"
#endif

int vg_app_main(void)
{
    vg_icount_run(1000);
    vg_icount_run(1);
    return 0;
}
