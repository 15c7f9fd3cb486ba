/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_scan.h
 * @brief The collector's fast reader of the two high-rate payloads (`telemetry`, `event`):
 *        one pass of a bounded cursor over the bytes, no tree, no allocation. It takes only
 *        the plain case: strict one-line JSON (spaces and tabs between tokens), ASCII, no
 *        backslash escape, each known field once, every field valid. Anything else it
 *        declines, and vgc_payload_parse() reads the payload with cJSON, which gives the same
 *        answer on what the scanner takes and names the fault on what it declines
 *        (tests/unit/test_collector_payload.c compares the two).
 */
#ifndef VGC_SCAN_H
#define VGC_SCAN_H
#include <stddef.h>

#include "vgc_payload.h"

/**
 * @brief Read a telemetry or event payload when it is in the plain case.
 * @param[in]  kind  VGC_KIND_TELEMETRY or VGC_KIND_EVENT (other kinds are declined)
 * @param[in]  data  payload bytes (need not be NUL-terminated), @p len of them
 * @param[in,out] out  on 1, filled as vgc_payload_parse() fills it (device kept); on 0,
 *                     partly written: the caller parses again
 * @retval 1 read and valid: the payload is strict JSON and may be stored as received
 * @retval 0 declined: not the plain case, or not valid (the caller reads it with cJSON)
 * Thread-safe; reads nothing outside [data, data + len).
 */
int vgc_scan_payload(vgc_kind_t kind, const char *data, size_t len, vgc_msg_t *out);
#endif
