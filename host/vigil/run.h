/* SPDX-License-Identifier: MIT */
/**
 * @file run.h
 * @brief Run a model over a recording through the core detector, row by row, exactly as a
 *        device would, and keep what evaluation and threshold tuning need.
 */
#ifndef VGH_RUN_H
#define VGH_RUN_H
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "vigil/vigil.h"

typedef struct {
    size_t n;
    float *raw;        /**< latest window's raw score per row (NaN before the first window) */
    uint8_t *window;   /**< 1 where a window completed */
    uint8_t *dropout;  /**< latest window failed the missing-sample policy */
    uint8_t *pred;     /**< event open (the detector's decision) */
    uint8_t *top;      /**< feature contributing most to the latest window */
    float *recon;      /**< NaN, or the reconstruction of the plotted feature (see below) */
    int recon_feature; /**< feature index whose reconstruction is in recon, or -1 */
    size_t n_feat;     /**< autoencoders: features per row in feat / feat_recon, else 0 */
    float *feat;       /**< n x n_feat normalised features of the latest window (NaN: none) */
    float *feat_recon; /**< n x n_feat their reconstruction */
} vgh_run_t;

/** @brief Push every row of @p ds through a detector bound to @p m. */
int vgh_run_model(const vg_model_t *m, const vgh_dataset_t *ds, vgh_run_t *run, char *err,
                  size_t errlen);

/**
 * @brief Recompute the decision for another threshold from the stored window scores, with
 *        the model's hysteresis (the same vg_decision code the device runs).
 */
void vgh_run_decide(const vgh_run_t *run, float threshold, uint16_t open_after,
                    uint16_t close_after, uint8_t *pred);

void vgh_run_free(vgh_run_t *run);
#endif
