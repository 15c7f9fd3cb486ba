/* SPDX-License-Identifier: MIT */
/**
 * @file vg_sos.h
 * @brief IIR filters as cascades of second-order sections (biquads), float32 reference.
 *
 * A section is scipy's sos row [b0 b1 b2 1 a1 a2] (a0 = 1 is implied):
 *     H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2),
 * and the cascade applies section 0 first, like scipy.signal.sosfilt. Each section runs in
 * transposed direct form II, which keeps 2 state values per section:
 *     y  = b0 x + z0
 *     z0 = (b1 x + z1) - a1 y
 *     z1 = b2 x - a2 y
 * Coefficients come from a design tool (host/vigil/butter.h for Butterworth filters).
 *
 * Hot paths: vg_sos_step_f32() and vg_sos_f32() check nothing (no NULL or count checks) and
 * contain no data-dependent branches. Stability is the designer's business: a section with
 * poles on or outside the unit circle grows without bound.
 *
 * Thread safety: no shared state; a filter (coefficients + state) may be used from an ISR
 * as long as nothing else touches its state at the same time.
 */
#ifndef VG_SOS_H
#define VG_SOS_H
#include <stddef.h>

/** One second-order section; a0 = 1 is implied (scipy row [b0 b1 b2 1 a1 a2]). */
typedef struct {
    float b0, b1, b2, a1, a2;
} vg_biquad_t;

/** Floats of state a cascade of @p n sections needs (2 per section, z0 then z1). */
#define VG_SOS_STATE_LEN(n) (2u * (size_t)(n))

/**
 * @brief Zero the state of a cascade (the filter then starts from rest, like scipy's
 *        sosfilt without zi).
 * @param[out] state      VG_SOS_STATE_LEN(n_sections) floats
 * @param[in]  n_sections number of sections (0 does nothing)
 */
void vg_sos_reset(float *state, size_t n_sections);

/**
 * @brief Filter one sample through the cascade.
 * @param[in]     s          n_sections sections, applied in order
 * @param[in]     n_sections number of sections (0 returns @p x unchanged)
 * @param[in,out] state      VG_SOS_STATE_LEN(n_sections) floats, updated; must not overlap
 *                           @p s
 * @param[in]     x          input sample
 * @return the output sample.
 * Hot path: no checks. Gives bit-for-bit the same outputs and state as vg_sos_f32().
 */
float vg_sos_step_f32(const vg_biquad_t *restrict s, size_t n_sections, float *restrict state,
                      float x);

/**
 * @brief Filter a block of samples through the cascade.
 * @param[in]     s          n_sections sections, applied in order
 * @param[in]     n_sections number of sections (0 copies @p in to @p out)
 * @param[in,out] state      VG_SOS_STATE_LEN(n_sections) floats, updated; consecutive blocks
 *                           continue the same stream; must not overlap @p s, @p in or @p out
 * @param[in]     in         @p len input samples
 * @param[out]    out        @p len output samples; may equal @p in (in place), must not
 *                           overlap it otherwise
 * @param[in]     len        number of samples
 * Hot path: no checks. Runs groups of 2-3 sections over the whole block, with their
 * coefficients and state in registers; the results equal @p len calls of vg_sos_step_f32()
 * exactly, and splitting a stream into blocks of any sizes does not change them.
 */
void vg_sos_f32(const vg_biquad_t *restrict s, size_t n_sections, float *restrict state,
                const float *in, float *out, size_t len);

#endif
