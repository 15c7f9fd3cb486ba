/* SPDX-License-Identifier: MIT */
/*
 * Internal to the core (not installed): the little-endian field readers of the artifact
 * parsers (vg_model.c, vg_forest.c, vg_tree_s16.c, vg_ae_s8.c). The core needs a
 * little-endian target (vg_opts.h), so a field is its bytes as they lie: a fixed-size memcpy,
 * which compilers make one load (on targets with unaligned loads, or where the field is known
 * aligned) or the byte loads the target needs, and never undefined behaviour.
 */
#ifndef VG_LE_H
#define VG_LE_H
#include <stdint.h>
#include <string.h>

static inline uint16_t vg_le16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t vg_le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline float vg_lef32(const uint8_t *p)
{
    float v;
    memcpy(&v, p, sizeof v);
    return v;
}
#endif
