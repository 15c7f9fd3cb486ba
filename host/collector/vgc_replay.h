/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_replay.h
 * @brief Threshold tuning for the dashboard: run a device's model artifact over its stored,
 *        labelled recording through the core detector (host/vigil/run.h, the path `vigil eval`
 *        takes) and report, for a threshold, the per-window scores, the events that threshold
 *        would raise and precision / recall / F1 against the labels (host/vigil/metrics.h).
 *
 * The recording and model of device ID are `DIR/ID.csv` (a labelled CSV as `vigil simulate`
 * writes) and `DIR/ID.vgm`, DIR being the collector's `--recordings`. The detector run is
 * cached per device (until either file changes), so trying another threshold only re-runs the
 * decision and the metrics. docs/dashboard.md describes the answer.
 *
 * Thread safety: every function may be called from any thread; calls are serialised on one
 * mutex (the cache).
 */
#ifndef VGC_REPLAY_H
#define VGC_REPLAY_H
#include <microhttpd.h>
#include <stddef.h>

#include "vgc_app.h"
#include "vgc_buf.h"

#define VGC_REPLAY_CACHE          4      /**< devices whose detector run is kept */
#define VGC_REPLAY_POINTS_DEFAULT 2000   /**< window scores returned when `points` is absent */
#define VGC_REPLAY_POINTS_MAX     200000 /**< largest `points` accepted */
#define VGC_REPLAY_RAISED_MAX     500    /**< raised events listed (all are counted) */

/** One replay request, validated. */
typedef struct {
    const char *dir;    /**< the --recordings directory */
    const char *device; /**< a valid device id */
    double threshold;   /**< raw threshold > 0, or 0 for the model's own */
    long points;        /**< most window scores returned (peaks kept); 0 = every window */
} vgc_replay_req_t;

/**
 * @brief Compute the replay answer (a JSON object) for @p req into @p out.
 * @param[out] out  JSON on success; untouched otherwise
 * @param[out] err  on failure, a message naming the field or file
 * @return the HTTP status: 200 ok; 404 no recording or model for the device; 422 the
 *         recording or model cannot be used (unreadable, no label column, another sampling
 *         rate, a waveform model); 500 out of memory
 */
unsigned vgc_replay_compute(const vgc_replay_req_t *req, vgc_buf_t *out, char *err, size_t errlen);

/**
 * @brief Answer `GET /api/replay?device=ID[&threshold=T][&points=N]` (authorisation is the
 *        caller's). 400 with `{"error":"FIELD: ..."}` for a missing or bad argument.
 */
enum MHD_Result vgc_replay_serve(vgc_app_t *a, struct MHD_Connection *c);

/** @brief 0 when @p dir is a directory (checked at start so a typo shows at once), else -1. */
int vgc_replay_dir_ok(const char *dir);

/** @brief Drop every cached run (the collector calls it as it stops). */
void vgc_replay_cleanup(void);
#endif
