/* SPDX-License-Identifier: MIT */
/** @file vg_crc32.h @brief CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), as zlib computes it. */
#ifndef VG_CRC32_H
#define VG_CRC32_H
#include <stddef.h>
#include <stdint.h>

/**
 * @brief Continue a CRC-32 over @p len bytes.
 * @param[in] crc  0 to start, or the value a previous call returned.
 * @param[in] data bytes to add (may be NULL when @p len is 0).
 * @param[in] len  number of bytes.
 * @return the updated CRC. Reentrant; uses no table.
 */
uint32_t vg_crc32(uint32_t crc, const void *data, size_t len);
#endif
