/* SPDX-License-Identifier: MIT */
/**
 * @file pq_evfit.h
 * @brief Event fit: features of a detected power-quality event taken from its own samples by
 *        least squares (docs/power-quality.md, "Event fit"). The window features see an event
 *        through frames of one nominal cycle that do not line up with its edges; the fit
 *        finds the sag's or swell's gate to the sample, then tests what the disturbance
 *        classes differ by: a flicker on the gated part or on the whole waveform, harmonics
 *        inside the gate or throughout, an oscillatory burst in the residual. Host only: the
 *        event classifier that reads them lives in the EVNT section, which devices skip.
 */
#ifndef VGH_PQ_EVFIT_H
#define VGH_PQ_EVFIT_H
#include <stddef.h>
#include <stdint.h>

/** Features the fit gives a span (vgh_pq_fit_name() names them): the first
 *  VGH_PQ_FIT_FEATURES_L2 are the event features of EVNT layout 2; then the
 *  oscillatory-transient search (docs/power-quality.md, "Segment classifier and the
 *  oscillatory-transient search") up to VGH_PQ_FIT_FEATURES_S1, then the impulse search
 *  ("The impulse search") up to VGH_PQ_FIT_FEATURES_S2, then the gated h3/h5 test and the
 *  least-squares gate's features ("The least-squares gate") up to VGH_PQ_FIT_FEATURES_S3,
 *  then the gated-harmonic tests refitted with the burst found. */
#define VGH_PQ_FIT_FEATURES    46u
#define VGH_PQ_FIT_FEATURES_L2 19u
/** The features of SEGC layout 1: the fit's before the impulse search. */
#define VGH_PQ_FIT_FEATURES_S1 32u
/** The features of SEGC layout 2: the fit's before the gated h3/h5 test (fit.g35). */
#define VGH_PQ_FIT_FEATURES_S2 35u
/** The features of SEGC layout 3: the fit's before the refits with the burst on both gates. */
#define VGH_PQ_FIT_FEATURES_S3 43u
/** Flags of vgh_pq_fit_features(). The fit takes its reference fundamental from the span's
 *  last 4 cycles (VGH_PQ_FIT_TAIL: an event the detector closed after quiet windows), or from
 *  the 2-cycle block nearest 1 pu (VGH_PQ_FIT_SEGMENT: a snippet, whose disturbance may reach
 *  either end). VGH_PQ_FIT_OSC adds the oscillatory-transient search (the features from
 *  VGH_PQ_FIT_FEATURES_L2 on; left 0 without it). */
#define VGH_PQ_FIT_TAIL    0u
#define VGH_PQ_FIT_SEGMENT 1u
#define VGH_PQ_FIT_OSC     2u
/** With VGH_PQ_FIT_SEGMENT: a second gate of the sag or swell, by least squares over the
 *  whole span (docs/power-quality.md, "The least-squares gate"), and the fit.ls_* features
 *  from it; left 0 without it. The other features keep the edge-by-edge gate. */
#define VGH_PQ_FIT_LSGATE 4u
/** Most samples of the impulse search's template: 1 ms up to 64 kHz. */
#define VGH_PQ_IMP_MAX 64u
/** Nominal cycles of samples a ring keeps: an event and its lead-in longer than this is fitted
 *  on its last part. */
#define VGH_PQ_RING_CYCLES 256u
/** Nominal cycles before an event's first row that the fit looks at: the detector opens an
 *  event on the second anomalous window of up to 10 cycles, so the disturbance began up to
 *  about a window before. */
#define VGH_PQ_FIT_BEFORE 12u

/** The last VGH_PQ_RING_CYCLES cycles of a stream's voltage, in per unit. */
typedef struct {
    float *buf;
    uint32_t cap;               /**< samples */
    uint64_t n;                 /**< samples pushed */
    uint32_t frame;             /**< samples per nominal cycle, round(fs / f0) */
    double fs, f0;              /**< Hz */
    float scale;                /**< to per unit (the model's) */
    float hold;                 /**< last valid scaled sample, stored for a missing one */
    double ot_sos[6 * 4];       /**< 4th-order Butterworth band-pass 250-1000 Hz, for bursts */
    size_t ot_sections;         /**< 0 when fs cannot hold that band */
    double imp[VGH_PQ_IMP_MAX]; /**< the standard impulse over 1 ms at fs */
    size_t imp_len;             /**< its samples */
    double imp_norm;            /**< and its norm */
} vgh_pq_ring_t;

/**
 * @brief Allocate a ring for a stream sampled at @p fs with a nominal fundamental @p f0.
 * @retval 0, or -1 when out of memory or the rate gives fewer than 8 samples per cycle.
 */
int vgh_pq_ring_init(vgh_pq_ring_t *r, double fs, double f0, float scale);
/** @brief Append one raw voltage sample; a non-finite one is stored as the last valid one. */
void vgh_pq_ring_push(vgh_pq_ring_t *r, float v);
void vgh_pq_ring_free(vgh_pq_ring_t *r);

/**
 * @brief The fit features of the samples @p first .. @p last (absolute indices, counted from
 *        the ring's first push; clipped to what the ring still holds). Deterministic, finite.
 *        A span shorter than 8 cycles (VGH_PQ_FIT_TAIL) or 3 cycles (VGH_PQ_FIT_SEGMENT), or
 *        without a fundamental to refer to, gives zeros.
 * @param flags VGH_PQ_FIT_TAIL or VGH_PQ_FIT_SEGMENT, and VGH_PQ_FIT_OSC
 * @param[out] out VGH_PQ_FIT_FEATURES values
 * @retval 0, or -1 when out of memory (out is zeroed).
 */
int vgh_pq_fit_features(const vgh_pq_ring_t *r, uint64_t first, uint64_t last, unsigned flags,
                        float *out);

/** @brief "fit.glen", ... for k < VGH_PQ_FIT_FEATURES, else NULL. */
const char *vgh_pq_fit_name(unsigned k);

#endif
