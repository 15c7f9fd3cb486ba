/* SPDX-License-Identifier: MIT */
#include "vigil/vg_crc32.h"

/* Bitwise CRC-32: no 1 KB table in flash; artifacts are checked once at load, so the
 * 8 shifts per byte are irrelevant next to inference. */
uint32_t vg_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
