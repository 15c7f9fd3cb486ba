/* SPDX-License-Identifier: MIT */
/**
 * @file vg_status.h
 * @brief Status codes returned by every fallible core function.
 *
 * Values are explicit and never renumbered: they appear in logs and on the wire.
 */
#ifndef VG_STATUS_H
#define VG_STATUS_H

typedef enum {
    VG_OK = 0,
    VG_ERR_ARG = -1,         /**< NULL pointer or argument out of range */
    VG_ERR_SIZE = -2,        /**< caller buffer too small, or a size field is inconsistent */
    VG_ERR_UNSUPPORTED = -3, /**< valid request this build or model cannot serve */
    VG_ERR_FORMAT = -4,      /**< malformed model artifact (bad magic, offset, count) */
    VG_ERR_CRC = -5,         /**< artifact body checksum mismatch */
    VG_ERR_VERSION = -6,     /**< artifact format version not understood */
    VG_ERR_ALIGN = -7        /**< buffer not aligned to 4 bytes */
} vg_status_t;

/** @brief Human-readable name of a status (static string, never NULL). */
const char *vg_status_str(vg_status_t s);

/** Evaluate @p e once; return its status from the enclosing function if it is not VG_OK. */
#define VG_TRY(e)                                                                                  \
    do {                                                                                           \
        vg_status_t vg_try_s_ = (e);                                                               \
        if (vg_try_s_ != VG_OK)                                                                    \
            return vg_try_s_;                                                                      \
    } while (0)

#endif
