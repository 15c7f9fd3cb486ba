/* SPDX-License-Identifier: MIT */
/**
 * @file quantize_tree.h
 * @brief Post-training quantization of tree ensembles: an isolation forest (kind 3) or a
 *        random forest (kind 4) becomes kind 6 or 7, int16 thresholds over per-feature
 *        affine-quantized features (docs/quantization.md, "Tree ensembles").
 */
#ifndef VGH_QUANTIZE_TREE_H
#define VGH_QUANTIZE_TREE_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vigil.h"

/**
 * @brief A feature's quantization from its range [lo, hi] (calibration values and the tree
 *        thresholds of that feature) widened by @p margin × (hi − lo) on each side:
 *        offset = the middle, scale = width / 65534, so the widened range maps into
 *        [−32767, 32767]. An empty range (hi = lo) is given the width max(|lo|, 1) / 1000.
 * @return 0, or -1 when the widened range is not finite in float32
 */
int vgh_tree_qparams(double lo, double hi, double margin, float *offset, float *scale);

/**
 * @brief The int16 threshold of a float threshold @p t: ceil(u) with u = (t − offset) / scale
 *        computed in float32 exactly as vg_quantize_s16() computes it for a feature, clamped
 *        to [−32768, 32767]. A feature value x whose quantized u is an integer k (a grid point)
 *        then goes left exactly when x < t (docs/quantization.md has the proof).
 */
int16_t vgh_threshold_s16(float t, float offset, float scale);

/** What the tree quantizer did. */
typedef struct {
    uint32_t thresholds;     /**< internal nodes */
    uint32_t clamped;        /**< thresholds whose ceil(u) fell outside int16 (clamped) */
    uint32_t leafvals;       /**< isolation forest: distinct leaf path lengths */
    uint16_t empty_features; /**< features with no calibration value and no threshold */
} vgh_tree_qstats_t;

/** Per-feature min/max of calibration windows, gathered a window at a time (a recording's
 *  windows need not be held at once). */
typedef struct {
    uint16_t n_features;
    double lo[VG_MAX_FEATURES], hi[VG_MAX_FEATURES]; /**< +inf / -inf: no finite value yet */
} vgh_tree_ranges_t;

/** @brief Empty ranges for @p n_features (<= VG_MAX_FEATURES) features. */
void vgh_tree_ranges_init(vgh_tree_ranges_t *r, uint16_t n_features);

/** @brief Widen the ranges to one window's n_features normalised features @p x (non-finite
 *         values are ignored). The result does not depend on the windows' order. */
void vgh_tree_ranges_add(vgh_tree_ranges_t *r, const float *x);

/**
 * @brief vgh_quantize_trees() from the calibration windows' ranges @p r (gathered with
 *        vgh_tree_ranges_add()) instead of the windows: the same body for the same windows.
 * @return 0, or -1 with a message in @p err (also when @p r has another feature count)
 */
int vgh_quantize_trees_ranges(const vg_model_t *m, const vgh_tree_ranges_t *r, double margin,
                              uint8_t **body, uint32_t *len, vgh_tree_qstats_t *st, char *err,
                              size_t errlen);

/**
 * @brief Quantize the forest @p m (kind 3 or 4) with calibration rows @p X.
 * @param[in]  m       parsed float forest
 * @param[in]  X       n × n_features normalised features (non-finite values are ignored)
 * @param[in]  n       rows (may be 0: the thresholds alone then set the ranges)
 * @param[in]  margin  >= 0: widening of each range on each side, as a share of its width
 * @param[out] body    malloc'd kind-6/7 MODL body (after the 4-byte kind header); free()
 * @param[out] len     its bytes
 * @param[out] st      statistics, may be NULL
 * @return 0, or -1 with a message in @p err
 */
int vgh_quantize_trees(const vg_model_t *m, const float *X, size_t n, double margin, uint8_t **body,
                       uint32_t *len, vgh_tree_qstats_t *st, char *err, size_t errlen);

/**
 * @brief Share of (row, tree) pairs of @p X that reach the same leaf in the float forest
 *        @p mf and its quantized @p mq (same node order), and rows whose every tree agrees.
 * @param[out] pairs_same, rows_same counts; @p pairs total is n × n_trees
 */
void vgh_tree_leaf_agreement(const vg_model_t *mf, const vg_model_t *mq, const float *X, size_t n,
                             size_t *pairs_same, size_t *rows_same);
#endif
