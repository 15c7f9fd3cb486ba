/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for the three ACLE intrinsics the Cortex-M DSP path of vg_dense_s8() uses, so
 * tests/unit/test_dense_dsp.c can run that exact source on x86-64. Written from the Arm
 * architecture reference: SXTB16 sign-extends bytes 0 and 2 into the two halfwords; SXTAB16
 * adds them to the two halfwords of its first operand (each lane modulo 2^16, no carry
 * between lanes); SMLAD adds both halfword products to the accumulator (wrapping; the
 * kernel never overflows).
 * Only this test's include path has this directory; real targets use the compiler's header.
 */
#ifndef VG_TEST_ARM_ACLE_H
#define VG_TEST_ARM_ACLE_H
#include <stdint.h>

static inline int32_t __sxtb16(int32_t x)
{
    const uint32_t u = (uint32_t)x;
    const uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)(u & 0xFFu);
    const uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)((u >> 16) & 0xFFu);
    return (int32_t)(lo | (hi << 16));
}

static inline int32_t __sxtab16(int32_t a, int32_t x)
{
    const uint32_t ua = (uint32_t)a, e = (uint32_t)__sxtb16(x);
    const uint32_t lo = (ua + e) & 0xFFFFu;
    const uint32_t hi = ((ua >> 16) + (e >> 16)) & 0xFFFFu;
    return (int32_t)(lo | (hi << 16));
}

static inline int32_t __smlad(int32_t a, int32_t b, int32_t acc)
{
    const int32_t a0 = (int16_t)(uint16_t)((uint32_t)a & 0xFFFFu);
    const int32_t a1 = (int16_t)(uint16_t)((uint32_t)a >> 16);
    const int32_t b0 = (int16_t)(uint16_t)((uint32_t)b & 0xFFFFu);
    const int32_t b1 = (int16_t)(uint16_t)((uint32_t)b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)(a0 * b0) + (uint32_t)(a1 * b1));
}
#endif
