/* SPDX-License-Identifier: MIT */
/**
 * @file vg_source.h
 * @brief Where a simulated device's samples come from: the simulators of `vigil simulate`
 *        (temperature, power) streamed as they are generated, a CSV file replayed, or standard
 *        input. Rows are read on a thread into a bounded ring, so the device loop never blocks
 *        on input (it keeps the MQTT connection alive while standard input is idle).
 *
 * Specs (docs/cli.md, `vigil device`):
 *   sim:temperature[:KEY=VALUE...]  keys seed, anomalies, events, minutes, setpoint, noise,
 *                                   daily_amp (as `vigil simulate temperature`)
 *   sim:power[:KEY=VALUE...]        keys seed, snr, classes, minutes, events_per_hour
 *   csv:FILE, or -                  a CSV with the model's channel columns (and a time column)
 */
#ifndef VGP_SOURCE_H
#define VGP_SOURCE_H
#include <stddef.h>

#include "artifact.h"

typedef struct vgp_source vgp_source_t;

/** One sample vector. */
typedef struct {
    double t; /**< seconds: the time column, or row / rate */
    float x[VG_MAX_CHANNELS];
} vgp_row_t;

/**
 * @brief Parse @p spec, check it against the model, and start reading.
 * @retval 0 ok; 2 bad spec (usage); 1 the model and the source do not fit, or the input
 *         cannot be opened; 3 no memory or thread. @p err says why.
 */
int vgp_source_open(vgp_source_t **out, const char *spec, const vgh_model_file_t *mf, char *err,
                    size_t errlen);

/**
 * @brief Take the next row, waiting up to @p timeout_ms (0: do not wait).
 * @retval 1 a row; 0 none yet; -1 the end of the input; -2 an input error (see
 *         vgp_source_error())
 */
int vgp_source_next(vgp_source_t *s, vgp_row_t *row, int timeout_ms);

/** @brief The input error (file:line: column 'NAME': ...), or NULL. */
const char *vgp_source_error(vgp_source_t *s);

/** @brief 1 when rows carry a time column (the rate can be checked against the model). */
int vgp_source_timed(vgp_source_t *s);

/** @brief Stop the threads and free everything (NULL is fine). */
void vgp_source_close(vgp_source_t *s);
#endif
