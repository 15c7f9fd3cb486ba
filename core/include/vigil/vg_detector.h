/* SPDX-License-Identifier: MIT */
/**
 * @file vg_detector.h
 * @brief The whole pipeline behind one interface: push samples in, get a score and a decision
 *        out. Every detector kind (zscore baseline, autoencoder, isolation forest) runs here,
 *        from a parsed model artifact, on the host and on the device alike.
 *
 * Dropout policy: a window whose share of missing samples on any channel exceeds the model's
 * max_missing_pm is not scored by the model; it counts as over the threshold (raw = +inf,
 * score = 1, result.dropout = 1), so a dead sensor raises an event instead of silently
 * reporting held values. Missing samples never reach running statistics.
 */
#ifndef VG_DETECTOR_H
#define VG_DETECTOR_H
#include <stddef.h>
#include <stdint.h>
#include "vg_decision.h"
#include "vg_frontend.h"
#include "vg_model.h"
#include "vg_pq.h"
#include "vg_status.h"

/** What one pushed sample produced. Scores hold the latest completed window's values. */
typedef struct {
    float raw;           /**< unscaled score of the latest window (0 before the first) */
    float score;         /**< raw / (raw + threshold), in [0, 1]; threshold maps to 0.5 */
    uint8_t window;      /**< 1 if this sample completed a window */
    uint8_t ready;       /**< 1 once any window has completed */
    uint8_t over;        /**< latest window was over the threshold */
    uint8_t anomaly;     /**< an event is open */
    uint8_t event;       /**< vg_event_t transition caused by this sample */
    uint8_t dropout;     /**< latest window failed the missing-sample policy */
    uint8_t n_missing;   /**< missing values in this sample */
    uint8_t top_feature; /**< index of the feature contributing most to the latest window */
    uint8_t cycle;       /**< WAVE pipelines: 1 if this sample completed a cycle */
    uint8_t reserved;    /**< 0; keeps the struct free of padding */
    uint16_t cls;        /**< forests: class voted for the latest window (0 otherwise) */
} vg_result_t;

typedef struct {
    const vg_model_t *m;
#if VG_ENABLE_WAVEFORM
    union {
        vg_frontend_t win; /* slow sensors: windows of samples */
        vg_pq_t pq;        /* WAVE pipelines: windows of cycles */
    } fe;
#else
    struct {
        vg_frontend_t win; /* a build without waveforms reserves no room for their state */
    } fe;
#endif
    vg_decision_t dec;
    float threshold;
    /* One pointer into the arena (RAM is scarce on the smallest parts): the raw features
     * (n_features), then the normalised ones, the contributions and the reconstruction
     * (n_features each), the z-score baseline's running {mean, var} pairs when alpha > 0,
     * then the model's scratch (vg_model_scratch_size()). */
    float *feat;
#if VG_ENABLE_WAVEFORM
    float *cycle; /* WAVE pipelines: VG_PQ_COUNT quantities of the last cycle */
#endif
    vg_result_t last;
} vg_detector_t;

/** @brief Exact arena bytes vg_detector_init() needs for @p m (a multiple of 4). */
size_t vg_detector_arena_size(const vg_model_t *m);

/**
 * @brief Bind a detector to a parsed model and a caller-owned arena.
 * @param[out] d     detector (caller storage; sizeof(vg_detector_t) bytes)
 * @param[in]  m     parsed model; must outlive @p d
 * @param[in]  arena vg_detector_arena_size(m) bytes, 4-aligned
 * @retval VG_OK, VG_ERR_ARG, VG_ERR_SIZE, VG_ERR_ALIGN
 */
vg_status_t vg_detector_init(vg_detector_t *d, const vg_model_t *m, void *arena, size_t arena_len);

/** @brief Back to the state just after init (threshold kept). */
void vg_detector_reset(vg_detector_t *d);

/**
 * @brief Push one sample vector (n_channels values; NaN/inf allowed, see dropout policy).
 * @param[out] r result; never NULL. Not reentrant on the same @p d; ISR-safe otherwise.
 */
void vg_detector_push(vg_detector_t *d, const float *x, vg_result_t *r);

/**
 * @brief Push up to @p n sample vectors (x[k * n_channels + c]); stop after the first one that
 *        completes a window, completes a cycle (WAVE pipelines) or holds a missing value.
 *        Gives bit for bit what as many vg_detector_push() calls give: @p r is the last
 *        sample's result, and every sample before it produced @p quiet (the previous result
 *        with window = cycle = n_missing = 0 and event = VG_EVENT_NONE). On WAVE pipelines
 *        the samples between half cycles run without per-sample calls, branches or state
 *        stores (vg_pq_push_block()): the fast way to feed a stream already in memory.
 * @param[in]  x     n x n_channels values (NaN/inf allowed, as vg_detector_push())
 * @param[in]  n     sample vectors available; 0 consumes nothing and leaves @p r alone
 * @param[out] r     result of the last sample consumed; never NULL
 * @param[out] quiet NULL, or the result of each sample before the last
 * @return samples consumed (1..n; 0 when n is 0). Not reentrant on the same @p d.
 */
size_t vg_detector_push_block(vg_detector_t *d, const float *x, size_t n, vg_result_t *r,
                              vg_result_t *quiet);

/** @brief Change the threshold at run time (e.g. from a command); must be finite and > 0. */
vg_status_t vg_detector_set_threshold(vg_detector_t *d, float threshold);

/** @brief Latest window's raw features, normalised features, per-feature contributions and
 *         reconstruction (n_features each; valid once result.ready). */
const float *vg_detector_features(const vg_detector_t *d);
const float *vg_detector_normalised(const vg_detector_t *d);
const float *vg_detector_contrib(const vg_detector_t *d);
const float *vg_detector_recon(const vg_detector_t *d);
/** @brief WAVE pipelines: the last completed cycle's VG_PQ_COUNT quantities (NULL otherwise,
 *         and always in a build without VG_ENABLE_WAVEFORM). */
const float *vg_detector_cycle(const vg_detector_t *d);
#endif
