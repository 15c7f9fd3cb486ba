/* SPDX-License-Identifier: MIT */
/**
 * @file pq_compare.h
 * @brief Two waveform models side by side (a float model and its quantized one) over a
 *        recording fed a chunk of rows at a time: per segment of snippets, or per row of a
 *        stream with the stream's events. Memory holds the snippets' results or the events,
 *        and one chunk's per-row results, not the recording (`vigil quantize`).
 */
#ifndef VGH_PQ_COMPARE_H
#define VGH_PQ_COMPARE_H
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "pq_host.h"
#include "vigil/vigil.h"

/** How far model f and model q agree on a recording. */
typedef struct {
    size_t n;                /**< segments (snippets) or rows (a stream) */
    size_t differ;           /**< ... whose class differs (VGH_PQ_NO_CLASS counts as a class) */
    size_t flag_differ;      /**< ... whose anomaly flag differs */
    size_t classified;       /**< snippets with a class (truth > 0) */
    size_t right_f, right_q; /**< ... whose class each model names */
    size_t bin_f, bin_q;     /**< ... whose anomaly flag each model sets exactly when the class
                                  is not normal */
    size_t events_f, events_q, events_same; /**< a stream: each model's events, and those with
                                                 the same first row, last row and class */
} vgh_pq_agree_t;

/** The comparison's state (private: use the API). */
typedef struct {
    int segments;
    vgh_pq_segs_t sf, sq;   /* snippets */
    vgh_pq_runner_t rf, rq; /* a stream */
    uint8_t *af, *aq;       /* a stream chunk's anomaly flags and classes, per row */
    uint16_t *cf, *cq;
    size_t cap;
    vgh_pq_agree_t g;
} vgh_pq_cmp_t;

/**
 * @brief Start comparing waveform models @p mf and @p mq (same pipeline).
 * @param segments  1 for snippets (a `segment` column: the detectors restart at each), 0 for
 *                  a stream
 * @return 0, or -1 with @p err (a detector cannot start, a malformed EVNT section)
 */
int vgh_pq_cmp_begin(vgh_pq_cmp_t *c, const vg_model_t *mf, const vg_model_t *mq, int segments,
                     char *err, size_t errlen);

/** @brief Feed the recording's next rows to both models (a segment may go on in the next
 *         chunk); -1 with @p err (a segment too short for a window, out of memory). */
int vgh_pq_cmp_push(vgh_pq_cmp_t *c, const vgh_dataset_t *ds, char *err, size_t errlen);

/** @brief The last segment or the events still open, then the counts into @p a; @p c is freed
 *         either way. -1 with @p err (the last segment too short, out of memory). */
int vgh_pq_cmp_end(vgh_pq_cmp_t *c, vgh_pq_agree_t *a, char *err, size_t errlen);

/** @brief Free what @p c holds (after an error of vgh_pq_cmp_push()). */
void vgh_pq_cmp_free(vgh_pq_cmp_t *c);
#endif
