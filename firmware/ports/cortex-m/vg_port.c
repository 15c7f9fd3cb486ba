/* SPDX-License-Identifier: MIT */
/*
 * Cortex-M console and exit over Arm semihosting (`bkpt 0xab`, r0 = operation, r1 = its
 * argument). QEMU serves it with -semihosting-config enable=on; on a board without a
 * debugger attached the breakpoint would fault, so a real device port replaces this file.
 */
#include <stdint.h>

#include "vg_port.h"

#define VG_SH_WRITE0        0x04u
#define VG_SH_EXIT          0x18u
#define VG_SH_EXIT_EXTENDED 0x20u
#define VG_SH_APP_EXIT      0x20026u /* ADP_Stopped_ApplicationExit */

static uint32_t port__semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void vg_port_write(const char *s, size_t n)
{
    /* SYS_WRITE0 takes a NUL-terminated string: send it in chunks. */
    char buf[65];
    while (n) {
        size_t k = n < sizeof buf - 1u ? n : sizeof buf - 1u;
        for (size_t i = 0; i < k; i++)
            buf[i] = s[i];
        buf[k] = '\0';
        port__semihost(VG_SH_WRITE0, buf);
        s += k;
        n -= k;
    }
}

void vg_port_exit(int code)
{
    /* SYS_EXIT_EXTENDED passes the code through to QEMU's exit status. */
    const uint32_t block[2] = {VG_SH_APP_EXIT, (uint32_t)code};
    port__semihost(VG_SH_EXIT_EXTENDED, block);
    for (;;) /* not reached under QEMU */
        port__semihost(VG_SH_EXIT, (const void *)(uintptr_t)VG_SH_APP_EXIT);
}
