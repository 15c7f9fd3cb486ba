/* SPDX-License-Identifier: MIT */
/**
 * @file threshold.h
 * @brief Helpers for choosing a detection threshold from training scores.
 *
 * Thread safety: no shared state.
 */
#ifndef VGH_THRESHOLD_H
#define VGH_THRESHOLD_H
#include <stddef.h>

/**
 * @brief Quantile of the non-NaN values of @p v with numpy's default 'linear' method:
 *        the order statistics s[0] <= ... <= s[m-1] are interpolated at h = (m - 1) q,
 *        lerp(s[floor h], s[floor h + 1], h - floor h) computed like numpy's _lerp, so the
 *        result equals float(np.nanquantile(v, q)) for finite float32 input. Where numpy
 *        gives NaN or a wrong sign (an infinite neighbour, b - a overflowing float), this
 *        returns the exact order statistic when h is whole, else the infinite end (NaN
 *        between -inf and +inf), and redoes an overflowing difference in double.
 *
 * @param[in] v values (not modified or reordered; a copy is sorted); NaNs are ignored;
 *              +-inf are ordinary values
 * @param[in] n number of values in @p v
 * @param[in] q quantile in [0, 1]
 * @return the quantile; NaN when @p v is NULL, there is no non-NaN value, q is outside
 *         [0, 1] or NaN, or the copy cannot be allocated
 */
float vgh_quantile(const float *v, size_t n, double q);

/**
 * @brief Threshold leaving probability @p p_exceed per window under an exponential tail fitted
 *        to the training scores above their 90th percentile (peaks over threshold; scale =
 *        mean excess x @p margin, written to @p beta_out). docs/detectors.md, "Thresholds".
 */
float vgh_tail_threshold(const float *scores, size_t m, double p_exceed, double margin,
                         double *beta_out);

#endif
