/* SPDX-License-Identifier: MIT */
#include "vg_fmt.h"

#include <string.h>

size_t vg_fmt_u32(char *out, uint32_t v)
{
    char tmp[VG_FMT_U32_MAX];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1u - i];
    return n;
}

size_t vg_fmt_hex32(char *out, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--) {
        out[i] = digits[v & 0xFu];
        v >>= 4;
    }
    return 8;
}

size_t vg_fmt_f32_bits(char *out, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u); /* the defined way to read a float's bits */
    return vg_fmt_hex32(out, u);
}
