/* SPDX-License-Identifier: MIT */
/**
 * @file butter.h
 * @brief Butterworth IIR design as second-order sections, and zero-phase filtering, in
 *        double precision, following scipy.signal (1.10):
 *   vgh_butter()      == butter(N, Wn, btype, fs=fs, output='sos')
 *   vgh_sosfilt()     == sosfilt(sos, x, zi=zi)
 *   vgh_sosfilt_zi()  == sosfilt_zi(sos)
 *   vgh_sosfiltfilt() == sosfiltfilt(sos, x)  (padtype 'odd', default padlen)
 *   vgh_sosfreqz()    == sosfreqz(sos, worN=[f], fs=fs)
 *
 * The design repeats scipy's steps: analog prototype buttap, pre-warping 4 tan(pi Wn / 2),
 * lp2lp/lp2hp/lp2bp/lp2bs_zpk, bilinear_zpk with fs = 2, then zpk2sos with
 * pairing='nearest' (the same conjugate sorting as _cplxreal, the same "pole closest to the
 * unit circle goes last" order and zero pairing, the gain in section 0), with numpy's
 * complex division, so the poles are usually bit-identical to scipy's. The sections then come
 * out in scipy's order and the coefficients agree to rounding, not only the cascade's
 * response: over 1931 random designs (orders 1..20, all four types, fs 1 kHz to 48 kHz)
 * every design had scipy's sections in scipy's order, coefficients within 2.5e-13 of their
 * row's largest, responses within 5e-12 relative (the tests allow 1e-10 and 1e-6).
 * Exception: a band-pass/stop band symmetric about fs/4 (f1 + f2 = fs/2) has mirror-image
 * poles p, -conj(p) of equal |p|, and which goes first is decided by last-bit rounding
 * (numpy's SIMD tan differs from libm's by an ulp), so the same sections may come out in
 * another order (and the gain, kept in section 0, moves with it); the response still
 * matches scipy's.
 *
 * SOS layout: n_sections rows of 6 doubles, scipy's [b0 b1 b2 a0 a1 a2] with a0 = 1,
 * row-major in one flat array (sos[6 i + j]). vg_biquad_t (core/include/vigil/vg_sos.h)
 * is the float row without a0.
 *
 * Errors: functions returning int give 0 on success, -1 on failure with a message naming
 * the offending values in @p err (always NUL-terminated when errlen > 0).
 * Thread safety: no shared state.
 */
#ifndef VGH_BUTTER_H
#define VGH_BUTTER_H
#include <stddef.h>

#include "vigil/vg_sos.h"

/** Highest Butterworth order vgh_butter() designs. */
#define VGH_BUTTER_MAX_ORDER 20u
/** Most sections any design needs (band-pass / band-stop of order VGH_BUTTER_MAX_ORDER). */
#define VGH_BUTTER_MAX_SECTIONS VGH_BUTTER_MAX_ORDER

typedef enum { VGH_LOWPASS = 0, VGH_HIGHPASS = 1, VGH_BANDPASS = 2, VGH_BANDSTOP = 3 } vgh_btype_t;

/**
 * @brief Sections vgh_butter() produces: (order + 1) / 2 for low- and high-pass, order for
 *        band-pass and band-stop (the filter's order doubles); 0 for an invalid request.
 */
size_t vgh_butter_sections(unsigned order, vgh_btype_t btype);

/**
 * @brief Digital Butterworth filter as second-order sections.
 * @param[in]  order       1 .. VGH_BUTTER_MAX_ORDER
 * @param[in]  btype       VGH_LOWPASS, VGH_HIGHPASS, VGH_BANDPASS or VGH_BANDSTOP
 * @param[in]  f1          cutoff (low/high-pass) or lower band edge, Hz (-3 dB point)
 * @param[in]  f2          upper band edge, Hz, for band-pass/stop; ignored otherwise
 * @param[in]  fs          sample rate, Hz (finite, > 0); cutoffs must lie in (0, fs/2)
 *                         and f1 < f2
 * @param[out] sos         6 * cap doubles; the first 6 * *n_sections are written
 * @param[out] bq          NULL, or cap float sections: the same filter for the core
 * @param[in]  cap         sections available in @p sos (and @p bq)
 * @param[out] n_sections  vgh_butter_sections(order, btype)
 * @param[out] err,errlen  message buffer
 * @return 0, or -1 (bad order/type, cutoffs out of range or unordered, cap too small, or a
 *         coefficient overflowing float in @p bq).
 */
int vgh_butter(unsigned order, vgh_btype_t btype, double f1, double f2, double fs, double *sos,
               vg_biquad_t *bq, size_t cap, size_t *n_sections, char *err, size_t errlen);

/**
 * @brief Round double sections to float ones (a0 dropped).
 * @return 0, or -1 when a row has a0 != 1 or a coefficient is not finite in float.
 */
int vgh_sos_to_biquads(const double *sos, size_t n_sections, vg_biquad_t *bq, char *err,
                       size_t errlen);

/**
 * @brief Causal filtering, scipy.signal.sosfilt (same operation order, so results agree to
 *        the last bits without FMA contraction).
 * @param[in]     sos        n_sections rows (a0 = 1 assumed, not read)
 * @param[in,out] zi         NULL to start from rest, or 2 * n_sections doubles of state
 *                           (scipy's zi[s] = (z0, z1)): initial on entry, final on return
 * @param[in]     x          n samples
 * @param[out]    y          n samples; may equal @p x
 */
void vgh_sosfilt(const double *sos, size_t n_sections, double *zi, const double *x, double *y,
                 size_t n);

/**
 * @brief Steady-state state for a unit step, scipy.signal.sosfilt_zi: filtering a constant
 *        c from state c * zi gives c * H(1) at once, without a transient.
 * @param[out] zi 2 * n_sections doubles
 */
void vgh_sosfilt_zi(const double *sos, size_t n_sections, double *zi);

/**
 * @brief Default padlen of sosfiltfilt: 3 (2 n_sections + 1 - min(#{b2 = 0}, #{a2 = 0})).
 */
size_t vgh_sosfiltfilt_padlen(const double *sos, size_t n_sections);

/**
 * @brief Zero-phase forward-backward filtering, scipy.signal.sosfiltfilt with padtype 'odd'
 *        and the default padlen: x is extended at both ends by padlen samples of odd
 *        reflection about its end points, filtered forward from sosfilt_zi * ext[0], then
 *        backward from sosfilt_zi * (last forward output), and cut back to n samples.
 * @param[in]  x       n samples, n > vgh_sosfiltfilt_padlen()
 * @param[out] y       n samples; may equal @p x
 * @return 0, or -1 (n too short, a0 != 1, out of memory).
 */
int vgh_sosfiltfilt(const double *sos, size_t n_sections, const double *x, double *y, size_t n,
                    char *err, size_t errlen);

/**
 * @brief Complex frequency response of the cascade at @p f Hz:
 *        H(exp(i w)) = prod_s (b0 + b1 e^-iw + b2 e^-2iw) / (a0 + a1 e^-iw + a2 e^-2iw),
 *        w = 2 pi f / fs.
 */
void vgh_sosfreqz(const double *sos, size_t n_sections, double f, double fs, double *re,
                  double *im);

#endif
