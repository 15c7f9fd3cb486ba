/* SPDX-License-Identifier: MIT */
/*
 * Start-up code for a bare-metal Cortex-M (mps2-an386 under QEMU): the vector table, the
 * reset handler (copy .data, zero .bss, paint the stack, enable the FPU) and fault handlers
 * that end the program through semihosting with a code naming the fault, so a crash fails a
 * test instead of hanging it. No C library start-up code is linked (-nostartfiles).
 */
#include <stddef.h>
#include <stdint.h>

#include "vg_port.h"

extern uint32_t vg_data_start[], vg_data_end[], vg_data_load[];
extern uint32_t vg_bss_start[], vg_bss_end[];
extern uint32_t vg_stack_bottom[], vg_stack_top[];

#define VG_STACK_PAINT 0xA5A5A5A5u
/* Exit codes of faults: 100 + the exception number (3 HardFault, 4 MemManage, 5 BusFault,
 * 6 UsageFault, ...), so a test log says what went wrong. */
#define VG_FAULT_EXIT_BASE 100

void vg_reset_handler(void) __attribute__((noreturn));
void vg_fault_handler(void) __attribute__((noreturn));

void vg_reset_handler(void)
{
    /* The FPU must be on before the first float instruction: CPACR CP10 and CP11 full
     * access (bits 20-23), then barriers so the next instruction sees it. Soft-float
     * builds (-mfloat-abi=soft, e.g. Cortex-M0/M3) skip it. */
#if defined(__ARM_FP) && __ARM_FP
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    const uint32_t *src = vg_data_load;
    for (uint32_t *dst = vg_data_start; dst < vg_data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = vg_bss_start; dst < vg_bss_end;)
        *dst++ = 0;
    /* Paint the stack below this frame (64 bytes of margin) for the high-water mark. */
    uintptr_t limit = (uintptr_t)__builtin_frame_address(0) - 64u;
    for (uint32_t *p = vg_stack_bottom; (uintptr_t)p < limit;)
        *p++ = VG_STACK_PAINT;
    vg_port_exit(vg_app_main());
}

size_t vg_port_stack_used(void)
{
    const uint32_t *p = vg_stack_bottom;
    while (p < vg_stack_top && *p == VG_STACK_PAINT)
        p++;
    return (size_t)((const uint8_t *)vg_stack_top - (const uint8_t *)p);
}

void vg_fault_handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    vg_port_exit(VG_FAULT_EXIT_BASE + (int)(ipsr & 0x1FFu));
}

/* 16 system exceptions and VG_PORT_N_IRQ interrupts (none is enabled: any that fires is a
 * fault). 32 covers the an386's peripherals; a program that enables no interrupt at all (the
 * minimal images, docs/mcu.md) can drop their 128 bytes with VG_PORT_N_IRQ=0. */
#ifndef VG_PORT_N_IRQ
#define VG_PORT_N_IRQ 32
#endif
#if VG_PORT_N_IRQ != 0 && VG_PORT_N_IRQ != 32
#error "VG_PORT_N_IRQ is 0 or 32"
#endif
typedef void (*vg_vector_t)(void);
#define VG_F2  vg_fault_handler, vg_fault_handler
#define VG_F4  VG_F2, VG_F2
#define VG_F16 VG_F4, VG_F4, VG_F4, VG_F4
__attribute__((section(".vectors"),
               used)) static const vg_vector_t vg_vectors[16 + VG_PORT_N_IRQ] = {
    (vg_vector_t)(uintptr_t)vg_stack_top,
    vg_reset_handler,
    VG_F2,
    VG_F4,
    VG_F4,
    VG_F4,
#if VG_PORT_N_IRQ
    VG_F16,
    VG_F16,
#endif
};
