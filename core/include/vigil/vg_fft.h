/* SPDX-License-Identifier: MIT */
/**
 * @file vg_fft.h
 * @brief Spectral analysis, float32 reference: in-place real FFT, Goertzel at an arbitrary
 *        frequency, and total harmonic distortion (THD) as IEC 61000-4-7 defines it.
 *
 * Packed spectrum (the CMSIS-DSP arm_rfft_fast_f32 layout). For n real samples x[0..n-1]
 * and X[k] = sum_j x[j] exp(-2 pi i j k / n) (numpy.fft.rfft, unscaled):
 *     buf[0]      = Re X[0]          (DC; Im X[0] = 0)
 *     buf[1]      = Re X[n/2]        (Nyquist; Im X[n/2] = 0)
 *     buf[2k]     = Re X[k]          k = 1 .. n/2 - 1
 *     buf[2k + 1] = Im X[k]
 * X[n - k] = conj X[k] for the bins not stored.
 *
 * Twiddle factors are computed on the fly: no table in flash or RAM. Within each pass they
 * follow the recurrence w <- w + w (cos d - 1 + i sin d) (Singleton's form, whose small
 * increment keeps the rounding drift low) and are reseeded from cosf()/sinf() every
 * VG_FFT_RESEED steps, so no twiddle is more than 32 recurrence steps from an exact value.
 * Measured twiddle error for every n: at most 3.2e-7 (2.7 ulp at 1; a plain w *= step
 * recurrence reaches 1.5e-4 at n = 65536). The transform then stays within the float32
 * radix-2 bound ||X_computed - X|| <= log2(n) eta ||X|| / (1 - log2(n) eta), eta = mu +
 * gamma_4 (sqrt 2 + mu), mu = 3.2e-7 the twiddle error (Higham, Accuracy and Stability of
 * Numerical Algorithms, Thm 24.2); measured errors are 20-40x below it. Cost: one
 * cosf/sinf pair per 32 twiddles, about n / 16 calls per transform of n points.
 *
 * Thread safety: no shared state; every function is reentrant.
 */
#ifndef VG_FFT_H
#define VG_FFT_H
#include <stddef.h>
#include "vg_status.h"

/** Smallest and largest real FFT length (both powers of two). */
#define VG_FFT_MIN_N 8u
#define VG_FFT_MAX_N 65536u
/** Twiddle recurrence length between exact cosf()/sinf() reseeds. */
#define VG_FFT_RESEED 32u
/** Harmonic order used by vg_thd_f32() when the caller passes max_h = 0 (IEC 61000-4-7). */
#define VG_THD_DEFAULT_MAX_H 40u

/**
 * @brief Forward real FFT, in place.
 * @param[in,out] buf on entry n real samples; on return the packed spectrum (file comment)
 * @param[in]     n   power of two in [VG_FFT_MIN_N, VG_FFT_MAX_N]
 * @retval VG_OK
 * @retval VG_ERR_ARG  @p buf is NULL
 * @retval VG_ERR_SIZE @p n is not a power of two in range (buf untouched)
 */
vg_status_t vg_rfft_f32(float *buf, size_t n);

/**
 * @brief Inverse of vg_rfft_f32(), in place, scaled by 1/n so that
 *        vg_irfft_f32(vg_rfft_f32(x)) == x up to rounding (numpy.fft.irfft).
 * @param[in,out] buf on entry a packed spectrum; on return n real samples
 * @param[in]     n   power of two in [VG_FFT_MIN_N, VG_FFT_MAX_N]
 * @retval VG_OK, VG_ERR_ARG (NULL), VG_ERR_SIZE (bad n; buf untouched)
 */
vg_status_t vg_irfft_f32(float *buf, size_t n);

/**
 * @brief Amplitude of the sinusoid at one frequency, by Goertzel's recurrence in Reinsch's
 *        form (accurate near 0 and near Nyquist, where the plain form loses digits).
 *
 * With X = sum_{j=0}^{n-1} x[j] exp(-2 pi i f j) (the DFT at f = @p cycles_per_sample),
 * returns 2 |X| / n: the amplitude A of x[j] = A cos(2 pi f j + phi) when the window holds
 * a whole number of its periods, exactly what vg_rfft_f32() gives at bin k for f = k / n.
 * Otherwise the value includes spectral leakage from every component of x. At f = 0 or
 * f = 0.5 the result is twice the component's amplitude (the formula is for sinusoids).
 * Accuracy: the error of 2 X / n stays below the recursive-summation bound 2 u sum|x[j]|
 * (u = 2^-24); measured at most 6 % of it for n <= 65536 and f in [0, 0.5] (1 % for
 * n >= 1024), e.g. about 1e-6 of a unit sinusoid's amplitude over 1280 samples.
 *
 * @param[in]  x                 n samples
 * @param[in]  n                 number of samples (0 gives 0)
 * @param[in]  cycles_per_sample f = frequency / sample rate, in [0, 0.5] (not checked)
 * @param[out] re                NULL, or Re of the complex amplitude 2 X / n
 *                               (A cos phi for the cosine above, phase at j = 0)
 * @param[out] im                NULL, or Im of 2 X / n (A sin phi)
 * @return 2 |X| / n. Hot path: no checks beyond n = 0.
 */
float vg_goertzel_f32(const float *x, size_t n, float cycles_per_sample, float *re, float *im);

/**
 * @brief Number of harmonic orders vg_thd_f32() evaluates (fundamental included):
 *        H = min(max_h (VG_THD_DEFAULT_MAX_H when 0), floor((fs / 2) / f0)).
 * @return H, or 0 when fs or f0 is not finite and positive or f0 >= fs / 2.
 */
unsigned vg_thd_orders(float fs, float f0, unsigned max_h);

/**
 * @brief Total harmonic distortion, IEC 61000-4-7:
 *        THD = sqrt(sum_{h=2}^{H} Y_h^2) / Y_1,
 *        Y_h = vg_goertzel_f32(x, n, h f0 / fs) (harmonic component amplitudes at exact
 *        multiples of the given fundamental, not harmonic groups), H = vg_thd_orders().
 *
 * Pass the measured fundamental frequency as @p f0 and a window of (close to) an integer
 * number of its cycles: the standard's 10 cycles at 50 Hz, 12 at 60 Hz. No window function
 * is applied, so a fractional number of cycles lets every component leak into the others'
 * estimates: for a waveform with 10 % / 7 % / 4 % 3rd / 5th / 7th harmonics at 6400 Hz, a
 * window of 9.96 cycles shifts THD by 0.18 % (relative), 10.5 cycles by 1.7 %, 10.25 cycles
 * by 13 %; 10.004 cycles (50.2 Hz over 1275 samples, f0 = 50.2 passed) by 2e-5.
 *
 * @param[in]  x     n samples
 * @param[in]  n     number of samples: at least one fundamental cycle (n f0 >= fs)
 * @param[in]  fs    sample rate, Hz (> 0)
 * @param[in]  f0    fundamental, Hz: 0 < f0 < fs / 2
 * @param[in]  max_h highest harmonic order; 0 means VG_THD_DEFAULT_MAX_H (40)
 * @param[out] thd   THD as a ratio (0.05 = 5 %); 0 when H = 1
 * @param[out] mags  NULL, or room for max_h floats (VG_THD_DEFAULT_MAX_H when max_h = 0);
 *                   the first H are written: mags[h - 1] = Y_h, mags[0] the fundamental
 * @retval VG_OK
 * @retval VG_ERR_ARG @p x or @p thd NULL; fs, f0 not finite; f0 <= 0 or f0 >= fs / 2;
 *                    n f0 < fs (under one cycle); fundamental amplitude 0 (nothing to
 *                    divide by). Outputs are untouched on error.
 * Thread safety: reentrant.
 */
vg_status_t vg_thd_f32(const float *x, size_t n, float fs, float f0, unsigned max_h, float *thd,
                       float *mags);

#endif
