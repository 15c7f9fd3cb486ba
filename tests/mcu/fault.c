/* SPDX-License-Identifier: MIT */
/* An image that crashes: the port's trap handler must end QEMU with a fault code (an
 * undefined instruction: HardFault 3 on Cortex-M, breakpoint cause 3 on RV32, so 103 on
 * both) instead of hanging. */
#include "vg_port.h"

int vg_app_main(void)
{
    __builtin_trap();
}
