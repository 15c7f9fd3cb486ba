/* SPDX-License-Identifier: MIT */
/**
 * @file sim_temp.h
 * @brief Labelled temperature-sensor simulator: writes a CSV time series with injected
 *        anomalies (spike, drift, stuck, noise, dropout) for training and testing
 *        detectors.
 *
 * Output columns: `timestamp,value,label,kind`. timestamp is seconds since the Unix
 * epoch with 3 decimals, value is degC with 4 decimals (an empty cell, or `nan` for
 * about a third of dropout events, when missing), label is 0/1 and kind is `normal` or
 * the anomaly name.
 *
 * Thread safety: no global state; concurrent calls with different outputs are safe.
 */
#ifndef VGH_SIM_TEMP_H
#define VGH_SIM_TEMP_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Anomaly kinds, one bit each. Values are never renumbered. */
enum {
    VGH_ANOM_SPIKE = 1u << 0,  /**< jump of 3..8 degC (80 % positive) for 2..10 s */
    VGH_ANOM_DRIFT = 1u << 1,  /**< ramp of 0.2..0.5 degC/min for 10..20 min, then back */
    VGH_ANOM_STUCK = 1u << 2,  /**< the reading at the event start repeated for 1..5 min */
    VGH_ANOM_NOISE = 1u << 3,  /**< white noise sd times 5..10 for 30..120 s */
    VGH_ANOM_DROPOUT = 1u << 4 /**< missing values for 10..60 s */
};

/** Mask of every anomaly kind. */
#define VGH_ANOM_ALL 0x1Fu

/**
 * @brief Parse a comma-separated list of anomaly kind names into a mask.
 *
 * Names: spike, drift, stuck, noise, dropout, plus "all" (every kind) and "none" (no
 * kind). Names are case-sensitive; blanks around names are ignored. "" gives 0.
 * @param[in]  list   NUL-terminated list, e.g. "spike,drift".
 * @param[out] mask   Union of the named kinds; unchanged on error.
 * @param[out] err    Message buffer (may be NULL), e.g. "anomaly kinds: unknown kind
 *                    'spkie' (valid: spike, drift, stuck, noise, dropout, all, none)".
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success.
 * @retval -1 unknown or empty name in the list, or NULL argument.
 */
int vgh_anomaly_kinds_parse(const char *list, unsigned *mask, char *err, size_t errlen);

/**
 * @brief Name of one anomaly kind, as written in the `kind` column.
 * @param[in] bit One VGH_ANOM_* value, or 0.
 * @retval name  "spike", "drift", "stuck", "noise", "dropout"; "normal" for 0.
 * @retval NULL  for any other value (several bits, unknown bit).
 */
const char *vgh_anomaly_kind_name(unsigned bit);

/** Simulator settings; start from vgh_simtemp_defaults(). */
typedef struct {
    double minutes;           /**< duration in minutes, > 0 (default 1440) */
    double rate_hz;           /**< samples per second, > 0 (default 2) */
    uint64_t seed;            /**< PRNG seed (default 1) */
    unsigned kinds;           /**< mask of VGH_ANOM_* to inject (default VGH_ANOM_ALL) */
    unsigned events_per_kind; /**< 0 = 6 per simulated day per kind, rounded, at least 1
                                   when the recording is >= 30 minutes (default 0) */
    double setpoint;          /**< mean temperature, degC (default 22.0) */
    double daily_amp;         /**< amplitude of the 24 h sine, degC (default 1.5) */
    double noise;             /**< sensor white noise sd, degC, >= 0 (default 0.1) */
    double start_epoch;       /**< time of the first sample, Unix seconds (default
                                   1767225600 = 2026-01-01T00:00:00Z) */
} vgh_simtemp_cfg_t;

/**
 * @brief Fill @p cfg with the defaults listed in vgh_simtemp_cfg_t.
 * @param[out] cfg Settings to initialise.
 */
void vgh_simtemp_defaults(vgh_simtemp_cfg_t *cfg);

/**
 * @brief Simulate a room temperature sensor and write the labelled CSV to @p out.
 *
 * Rows are written as they are generated: memory is O(number of events), not
 * O(samples). The row count is round(minutes * 60 * rate_hz). Row i has timestamp
 * start_epoch + i / rate_hz.
 *
 * Normal signal: setpoint + daily_amp * sin(2 pi * (UTC time of day) / 86400) + an AR(1)
 * wander (stationary sd 0.05 degC, time constant 10 min) + white noise of sd `noise`.
 *
 * Anomalies: events_per_kind events of each kind in @p cfg->kinds, in random order at
 * random non-overlapping times, none starting in the first 10 minutes and with at least
 * 10 minutes of normal rows between any two; every event ends before the recording
 * does. Event lengths and strengths are drawn per event within the ranges listed at
 * VGH_ANOM_*; when the drawn lengths do not fit but the minimum lengths do, lengths are
 * shortened toward their minimum. A noise event uses 0.1 degC as base sd when
 * `noise` is 0, so that it stays visible. Every row inside an event has label 1 and its
 * kind name; all other rows are `0,normal`.
 *
 * Deterministic: the same @p cfg gives byte-identical output (on one platform; libm
 * differences between platforms can change the last printed digit). The normal signal
 * uses its own PRNG stream, so it does not depend on the anomaly settings.
 * @param[in]  cfg    Settings (all doubles finite).
 * @param[out] out    Output stream (opened for writing).
 * @param[out] err    Message buffer (may be NULL), prefixed "sim_temperature: ".
 * @param[in]  errlen Size of @p err in bytes.
 * @retval 0  success.
 * @retval -1 invalid settings (message names the field), the requested events do not
 *            fit in the duration even at their minimum lengths, out of memory, or a
 *            write error.
 */
int vgh_sim_temperature(const vgh_simtemp_cfg_t *cfg, FILE *out, char *err, size_t errlen);

#endif
