/* SPDX-License-Identifier: MIT */
/**
 * @file vg_fmt.h
 * @brief The few number conversions the device application prints, instead of printf
 *        (newlib's printf alone is larger than the whole detector): unsigned decimal and
 *        32-bit hexadecimal. Floats are printed as their IEEE-754 bits in hexadecimal, which
 *        is exact and needs no float formatting code at all.
 */
#ifndef VG_FMT_H
#define VG_FMT_H
#include <stddef.h>
#include <stdint.h>

/** Longest text vg_fmt_u32() writes ("4294967295"). */
#define VG_FMT_U32_MAX 10u

/** @brief Decimal digits of @p v into @p out (VG_FMT_U32_MAX bytes); returns the count. */
size_t vg_fmt_u32(char *out, uint32_t v);

/** @brief Exactly 8 lower-case hexadecimal digits of @p v into @p out; returns 8. */
size_t vg_fmt_hex32(char *out, uint32_t v);

/** @brief The bits of @p f (IEEE-754 binary32) as vg_fmt_hex32() writes them. */
size_t vg_fmt_f32_bits(char *out, float f);
#endif
