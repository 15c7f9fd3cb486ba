/* SPDX-License-Identifier: MIT */
/**
 * @file metrics.h
 * @brief Host-side evaluation of an anomaly detector on one labelled recording:
 *        point-wise confusion matrix, ROC AUC, best-F1 threshold and event metrics
 *        (detected events, false alarms, detection delay).
 *
 * Every function is O(n log n) or better in time (scores are ordered with an O(n)
 * radix sort) and O(n) in memory, so recordings of several million rows are fine.
 * All functions are reentrant: no global state; heap results belong to the caller.
 *
 * Score convention: higher is more anomalous; NaN means "no score yet" and ranks
 * below every number (-INFINITY included). -0.0f and +0.0f are the same score.
 */
#ifndef VGH_METRICS_H
#define VGH_METRICS_H
#include <stddef.h>
#include <stdint.h>

/** Upper bound on the number of points vgh_roc_curve() returns. */
#define VGH_ROC_MAX_POINTS 2000u

/** Evaluation of one recording. Ratios that are undefined are NaN unless stated. */
typedef struct {
    size_t n, tp, fp, fn, tn; /**< point-wise confusion matrix of p against y */
    double precision;         /**< tp / (tp + fp); 0 when tp + fp == 0 */
    double recall;            /**< tp / (tp + fn); 0 when tp + fn == 0 */
    double f1;                /**< 2tp / (2tp + fp + fn); 0 when the denominator is 0 */
    double auc;               /**< ROC AUC of s vs y (Mann-Whitney, ties 1/2); NaN: one class */
    size_t n_events;          /**< labelled events: maximal runs of y == 1 with the same kind */
    size_t n_detected;        /**< labelled events with a predicted row in [start, end + slack] */
    size_t n_pred_events;     /**< predicted events: maximal runs of p == 1 */
    size_t n_false_alarms;    /**< predicted events overlapping no labelled event (+ slack) */
    double duration_s;        /**< t[n-1] - t[0] + median sample period, seconds */
    double false_alarms_per_day; /**< n_false_alarms * 86400 / duration_s; NaN if 0 s */
    double event_recall;         /**< n_detected / n_events; NaN when there is no labelled event */
    double mean_delay_s;         /**< mean delay over detected events, seconds; NaN if none */
} vgh_metrics_t;

/** One labelled event and how it was detected. */
typedef struct {
    size_t start, end; /**< row indices, inclusive */
    int kind;          /**< k[start] (0 when k was NULL) */
    int detected;      /**< 1 if a predicted row lies in [start, end + slack], else 0 */
    size_t detect_row; /**< first such row; SIZE_MAX when not detected */
    double delay_s;    /**< t[detect_row] - t[start]; NaN when not detected */
} vgh_event_t;

/**
 * @brief Compute all metrics of one labelled recording.
 *
 * Event rules. A labelled event [a, b] extends over the rows after b whose time is
 * <= t[b] + slack_s. It is detected when a row i >= a inside that extension (or inside
 * the event) has p[i] == 1; delay = t[i] - t[a] for the first such i. A predicted event
 * [c, d] is a false alarm when for every labelled event [a, b]: d < a or
 * t[c] > t[b] + slack_s.
 *
 * @param[in]  t       row times, seconds, finite and non-decreasing, length n
 * @param[in]  s       raw scores (higher = more anomalous, NaN = none), length n;
 *                     NULL leaves m->auc NaN
 * @param[in]  p       predicted flags, each 0 or 1, length n
 * @param[in]  y       labels, each 0 or 1, length n
 * @param[in]  k       anomaly kind per row (0 = normal), length n; NULL = one kind
 * @param[in]  n       number of rows, > 0
 * @param[in]  slack_s detection slack after each labelled event, seconds, >= 0
 * @param[out] m       metrics
 * @param[out] events  NULL, or receives a malloc'd array of the labelled events in row
 *                     order (caller free()s; NULL when there are none)
 * @param[out] n_events receives the length of *events; required when events != NULL
 * @param[out] err     message on failure (may be NULL)
 * @param[in]  errlen  size of err in bytes
 * @retval 0  success
 * @retval -1 bad argument (NULL, n == 0, bad time order, flag not 0/1, bad slack) or
 *            out of memory; err says which. *events is NULL and nothing is leaked.
 */
int vgh_metrics_compute(const double *t, const float *s, const uint8_t *p, const uint8_t *y,
                        const int *k, size_t n, double slack_s, vgh_metrics_t *m,
                        vgh_event_t **events, size_t *n_events, char *err, size_t errlen);

/**
 * @brief ROC AUC of scores against labels, equal to the Mann-Whitney U statistic divided
 *        by n_pos * n_neg (tied scores count 1/2), i.e. sklearn's roc_auc_score.
 * @param[in] s scores, length n (NaN = lowest)
 * @param[in] y labels, length n (nonzero = positive)
 * @param[in] n number of rows
 * @return AUC in [0, 1]; NaN if only one class is present, n == 0, a pointer is NULL or
 *         memory runs out.
 */
double vgh_roc_auc(const float *s, const uint8_t *y, size_t n);

/**
 * @brief ROC curve of (s > threshold) swept over all distinct scores, from (0,0) to (1,1).
 *
 * One point per distinct score. When that would exceed VGH_ROC_MAX_POINTS the curve is
 * thinned: a point is kept once fpr + tpr has advanced by 2 / (VGH_ROC_MAX_POINTS - 2)
 * since the last kept one, so the shape is preserved to well under a pixel.
 *
 * @param[in]  s    scores, length n (NaN = lowest)
 * @param[in]  y    labels, length n (nonzero = positive)
 * @param[in]  n    number of rows
 * @param[out] fpr  malloc'd false positive rates, non-decreasing (caller free()s)
 * @param[out] tpr  malloc'd true positive rates, non-decreasing (caller free()s)
 * @param[out] npts number of points, 2 <= npts <= VGH_ROC_MAX_POINTS
 * @retval 0  success
 * @retval -1 NULL argument, n == 0, only one class present, or out of memory;
 *            *fpr and *tpr are NULL.
 */
int vgh_roc_curve(const float *s, const uint8_t *y, size_t n, double **fpr, double **tpr,
                  size_t *npts);

/**
 * @brief Threshold maximising the point-wise F1 of the prediction (s > threshold).
 *
 * Candidates are the distinct non-NaN scores (flagging everything strictly above one)
 * plus the float just below the smallest score (flagging every non-NaN row). NaN rows
 * are never flagged. Among equal F1 the largest candidate wins, so with no positive
 * label the result is the maximum score and F1 = 0.
 *
 * @param[in]  s         scores, length n (NaN = lowest)
 * @param[in]  y         labels, length n (nonzero = positive)
 * @param[in]  n         number of rows, 0 < n < 2^31
 * @param[out] threshold best threshold, in score units
 * @param[out] f1        F1 reached at that threshold
 * @retval 0  success
 * @retval -1 NULL argument, n out of range, every score NaN, or out of memory
 */
int vgh_best_f1(const float *s, const uint8_t *y, size_t n, float *threshold, double *f1);

#endif
