/* SPDX-License-Identifier: MIT */
/* The device application on the build machine (x86-64): stdout for the console, exit() for
 * the status. Used to count x86-64 instructions with callgrind and as the same-code reference
 * of the emulated images. */
#include <stdio.h>
#include <stdlib.h>

#include "vg_port.h"

void vg_port_write(const char *s, size_t n)
{
    fwrite(s, 1, n, stdout);
}

void vg_port_exit(int code)
{
    fflush(stdout);
    exit(code);
}

size_t vg_port_stack_used(void)
{
    return 0;
}

int main(void)
{
    vg_port_exit(vg_app_main());
}
