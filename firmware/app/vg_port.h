/* SPDX-License-Identifier: MIT */
/**
 * @file vg_port.h
 * @brief What the device application needs from a port (STYLE.md section 8: one instance,
 *        plain functions bound at link time). Each firmware/ports/<target>/ provides these
 *        and calls vg_app_main() after its start-up code.
 */
#ifndef VG_PORT_H
#define VG_PORT_H
#include <stddef.h>

/**
 * @brief Write @p n bytes to the console (semihosting, UART or stdout). Blocking; the bytes
 *        need no terminating NUL. A port without a console does nothing.
 */
void vg_port_write(const char *s, size_t n);

/**
 * @brief End the program with @p code (0 success) as the emulator's or process's exit
 *        status: semihosting SYS_EXIT_EXTENDED, the virt test finisher, or exit().
 */
void vg_port_exit(int code) __attribute__((noreturn));

/** @brief Bytes of stack touched so far (high-water mark of the painted stack; 0 when the
 *         port cannot tell). */
size_t vg_port_stack_used(void);

/** @brief The application: returns the exit code the port passes to vg_port_exit(). */
int vg_app_main(void);

/**
 * Markers for instruction counting (tools/qemu-icount, callgrind): the work between a call
 * to vg_bench_begin() and the next vg_bench_end() is what is counted. Never inlined, never
 * removed, so their addresses exist in every image.
 */
void vg_bench_begin(void);
void vg_bench_end(void);
#endif
