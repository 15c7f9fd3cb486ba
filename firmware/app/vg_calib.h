/* SPDX-License-Identifier: MIT */
/**
 * @file vg_calib.h
 * @brief Threshold re-calibration on the device, allocation-free: the extrapolated tail fit
 *        of `vigil train` (docs/detectors.md, "Thresholds"; host/vigil/threshold.c) over the
 *        raw scores of the windows seen during a calibration period.
 *
 * The host trainer keeps every training score; a device cannot (a day at 2 Hz is 86,400
 * windows). Scores go into a caller's buffer; when it is full, every other stored score is
 * dropped and from then on only every second window is kept (then every fourth, ...): a
 * systematic subsample of the period, from which the 90th percentile and the mean excess
 * above it (the two numbers the fit needs) are estimated. With the buffer at least as large
 * as the number of windows, the result equals the trainer's.
 *
 * Thread safety: one calibration per object; no shared state.
 */
#ifndef VG_CALIB_H
#define VG_CALIB_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vg_status.h"

/** Fewest windows a calibration accepts. */
#define VG_CALIB_MIN_WINDOWS 10u

typedef struct {
    float *buf;      /* caller's storage */
    size_t cap, n;   /* capacity and scores stored */
    uint32_t stride; /* every stride-th window is stored */
    uint32_t seen;   /* windows offered (finite scores) */
} vg_calib_t;

/** @brief Start a calibration with @p cap floats of storage (>= VG_CALIB_MIN_WINDOWS). */
vg_status_t vg_calib_init(vg_calib_t *c, float *buf, size_t cap);

/** @brief Offer one window's raw score; NaN and infinities (dropout windows) are left out,
 *         as training leaves out windows that fail the missing-sample policy. */
void vg_calib_add(vg_calib_t *c, float raw);

/** @brief Windows offered so far (finite scores). */
uint32_t vg_calib_windows(const vg_calib_t *c);

/**
 * @brief The threshold of the tail fit (sorts the stored scores in place).
 * @param[in]  p_exceed   target probability per window (false alarms per day / windows per
 *                        day), in (0, 1)
 * @param[in]  margin     multiplies the fitted tail scale (the trainer's --margin, 1)
 * @param[in]  cap_at_max 1 for an isolation forest: at most just below the highest score
 * @param[out] thr        the threshold, finite and > 0
 * @retval VG_OK, VG_ERR_SIZE (fewer than VG_CALIB_MIN_WINDOWS windows), VG_ERR_ARG
 */
vg_status_t vg_calib_threshold(vg_calib_t *c, double p_exceed, double margin, int cap_at_max,
                               float *thr);

/** @brief numpy's linear quantile of @p m sorted finite values (NaN when m is 0). */
float vg_quantile_sorted(const float *s, size_t m, double q);
#endif
