/* SPDX-License-Identifier: MIT */
/**
 * @file vg_features.h
 * @brief Window features for slow sensors, computed from a channel's ring of samples.
 *
 * Feature identifiers are stored in model artifacts: values are never renumbered.
 */
#ifndef VG_FEATURES_H
#define VG_FEATURES_H
#include <stddef.h>
#include <stdint.h>
#include "vg_status.h"

typedef enum {
    VG_FEAT_LAST = 0,    /**< newest sample */
    VG_FEAT_MEAN = 1,    /**< arithmetic mean */
    VG_FEAT_STD = 2,     /**< population standard deviation */
    VG_FEAT_MIN = 3,     /**< minimum */
    VG_FEAT_MAX = 4,     /**< maximum */
    VG_FEAT_SLOPE = 5,   /**< least-squares slope, units per second */
    VG_FEAT_DIFF = 6,    /**< first difference of the two newest samples */
    VG_FEAT_RANGE = 7,   /**< max - min */
    VG_FEAT_ADIFF = 8,   /**< mean absolute first difference */
    VG_FEAT_MAXDIFF = 9, /**< largest absolute first difference */
    VG_FEAT_COUNT = 10
} vg_feature_id_t;

/** @brief Short name of a feature ("mean", "slope", ...), or NULL for an unknown id. */
const char *vg_feature_name(unsigned id);

/** @brief Feature id for a name; VG_ERR_ARG if the name is unknown. */
vg_status_t vg_feature_from_name(const char *name, size_t len, unsigned *id);

/**
 * @brief Statistics of one window, from which every feature is derived in O(1).
 *
 * Filled by vg_window_stats(); one pass over the samples, oldest first.
 */
typedef struct {
    float last, mean, std, min, max, slope, diff, adiff, maxdiff;
} vg_window_stats_t;

/**
 * @brief One pass over a window held in a ring buffer.
 * @param[in]  ring  ring storage of @p n samples
 * @param[in]  n     window length (>= 1)
 * @param[in]  head  index in @p ring of the oldest sample
 * @param[in]  dt    sample period in seconds (> 0), for the slope
 * @param[out] st    statistics
 * Hot path: arguments are not checked beyond debug asserts.
 */
void vg_window_stats(const float *ring, size_t n, size_t head, float dt, vg_window_stats_t *st);

/** @brief Value of feature @p id from window statistics (0 for an unknown id). */
float vg_feature_value(const vg_window_stats_t *st, unsigned id);

#endif
