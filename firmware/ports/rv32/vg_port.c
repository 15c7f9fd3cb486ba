/* SPDX-License-Identifier: MIT */
/*
 * RV32IMC port for QEMU's `virt` board (the ESP32-C3's ISA): start-up in C (copy .data and
 * the thread-local block, zero .bss, set tp, paint the stack), console on the ns16550a UART
 * at 0x10000000, exit through the SiFive test finisher at 0x100000.
 */
#include <stdint.h>

#include "vg_port.h"

extern uint32_t vg_data_start[], vg_data_end[], vg_data_load[];
extern uint32_t vg_tls_start[], vg_tdata_end[], vg_tdata_load[], vg_tls_end[];
extern uint32_t vg_bss_start[], vg_bss_end[];
extern uint32_t vg_stack_bottom[], vg_stack_top[];

#define VG_UART_BASE     0x10000000u
#define VG_UART_THR      0u /* transmit holding register */
#define VG_UART_LSR      5u /* line status; bit 5: THR empty */
#define VG_FINISHER      0x00100000u
#define VG_FINISHER_PASS 0x5555u
#define VG_FINISHER_FAIL 0x3333u /* | code << 16 */
#define VG_STACK_PAINT   0xA5A5A5A5u
/* Exit codes of traps: 100 + mcause (2 illegal instruction, 4/6 misaligned access, 5/7
 * access fault, ...). */
#define VG_TRAP_EXIT_BASE 100

void vg_rv32_reset(void) __attribute__((noreturn));
void vg_rv32_trap(uint32_t mcause) __attribute__((noreturn));

static void port__copy(uint32_t *dst, const uint32_t *end, const uint32_t *src)
{
    while (dst < end)
        *dst++ = *src++;
}

static void port__zero(uint32_t *dst, const uint32_t *end)
{
    while (dst < end)
        *dst++ = 0;
}

void vg_rv32_reset(void)
{
    port__copy(vg_data_start, vg_data_end, vg_data_load);
    port__copy(vg_tls_start, vg_tdata_end, vg_tdata_load);
    port__zero(vg_tdata_end, vg_tls_end);
    port__zero(vg_bss_start, vg_bss_end);
    /* Local-exec TLS: tp is the start of the block (RISC-V psABI, no TCB before it). */
    __asm__ volatile("mv tp, %0" : : "r"(vg_tls_start));
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

void vg_port_write(const char *s, size_t n)
{
    volatile uint8_t *uart = (volatile uint8_t *)VG_UART_BASE;
    for (size_t i = 0; i < n; i++) {
        while ((uart[VG_UART_LSR] & 0x20u) == 0)
            ;
        uart[VG_UART_THR] = (uint8_t)s[i];
    }
}

void vg_port_exit(int code)
{
    volatile uint32_t *fin = (volatile uint32_t *)VG_FINISHER;
    *fin = code == 0 ? VG_FINISHER_PASS : ((uint32_t)code << 16) | VG_FINISHER_FAIL;
    for (;;)
        ;
}

void vg_rv32_trap(uint32_t mcause)
{
    vg_port_exit(VG_TRAP_EXIT_BASE + (int)(mcause & 0x3Fu));
}
