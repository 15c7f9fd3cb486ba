/* SPDX-License-Identifier: MIT */
/**
 * @file plots.h
 * @brief PNG figures of one evaluated recording, drawn by an external gnuplot with the
 *        pngcairo terminal (tested with 5.4; Debian/Ubuntu package gnuplot-nox).
 *
 * vgh_plots_write() produces in the output directory:
 *  - signal.png  top: signal, reconstruction, predicted rows (red), labelled spans
 *                (shaded); bottom: raw score and threshold; x in hours from the start
 *  - errors.png  histogram of raw scores, normal vs labelled-anomalous rows, threshold
 *  - roc.png     ROC curve, chance diagonal, AUC and the operating point of `pred`
 *  - plots.gp    the gnuplot script, kept so the figures can be restyled. It reads its
 *                data from a temporary folder that is deleted afterwards, so re-running
 *                it needs that data to be written again.
 *
 * Recordings longer than VGH_PLOT_MAX_ROWS rows are thinned to min/max pairs per
 * bucket (VGH_PLOT_BUCKETS buckets); labelled and predicted spans are computed on
 * every row and drawn at least a couple of pixels wide, so none disappears.
 */
#ifndef VGH_PLOTS_H
#define VGH_PLOTS_H
#include <stddef.h>
#include <stdint.h>

/** Recordings with more rows than this are thinned before plotting. */
#define VGH_PLOT_MAX_ROWS 20000u
/** Number of min/max buckets a thinned series is reduced to. */
#define VGH_PLOT_BUCKETS 4000u

/** Everything the figures show. Arrays are borrowed, not copied. */
typedef struct {
    const char *dir;        /**< output directory; created (one level) if missing */
    const char *title;      /**< model/file description used in titles; NULL = none */
    const double *t;        /**< row times, seconds, finite and non-decreasing, length n */
    size_t n;               /**< number of rows, > 0 */
    const float *signal;    /**< sensor value per row (NaN = missing, drawn as a gap) */
    const float *recon;     /**< NULL, or reconstruction per row (NaN where none) */
    const float *raw;       /**< raw anomaly score per row (NaN where none) */
    const uint8_t *pred;    /**< predicted anomalous flag per row (nonzero = anomalous) */
    const uint8_t *label;   /**< labelled anomalous flag per row (nonzero = anomalous) */
    float threshold;        /**< decision threshold in raw units; NaN = not drawn */
    const double *fpr;      /**< NULL, or ROC false positive rates, length n_roc */
    const double *tpr;      /**< NULL, or ROC true positive rates, length n_roc */
    size_t n_roc;           /**< ROC points; 0 draws an empty ROC panel with a note */
    double auc;             /**< ROC AUC shown in the key (NaN = "n/a") */
    const float *train_err; /**< NULL, or the normal scores to histogram (e.g. label-0
                                 rows away from anomalies); NULL uses every label-0 row */
    size_t n_train_err;     /**< length of train_err */
    /* features.png (autoencoders): each model feature and its reconstruction over time */
    size_t n_feat;                  /**< 0 = no features.png; at most 6 are drawn */
    const char *const *feat_names;  /**< n_feat names ("value.std") */
    const float *feat, *feat_recon; /**< n x n_feat, row-major, normalised; NaN = no window */
} vgh_plot_input_t;

/**
 * @brief Write signal.png, errors.png, roc.png and plots.gp into in->dir.
 *
 * Runs gnuplot (searched in $PATH) with fork/execv in in->dir, so no shell ever sees
 * a path. Blocks until gnuplot exits. Not async-signal-safe; thread-safe as long as
 * two calls do not share an output directory (the process working directory is not
 * changed).
 *
 * @param[in]  in     figure data (see vgh_plot_input_t)
 * @param[out] err    message on failure (may be NULL), e.g. "gnuplot not found;
 *                    install gnuplot-nox" or gnuplot's own error output
 * @param[in]  errlen size of err in bytes
 * @retval 0  the three PNG files were written
 * @retval -1 bad input, directory not writable, gnuplot missing or failing, or out of
 *            memory; temporary data files are removed in every case
 */
int vgh_plots_write(const vgh_plot_input_t *in, char *err, size_t errlen);

#endif
