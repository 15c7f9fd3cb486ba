/* SPDX-License-Identifier: MIT */
/**
 * @file vg_pq.h
 * @brief Power-quality frontend: per-cycle quantities of a voltage (and optional current)
 *        waveform, aggregated over a sliding window of whole cycles, in constant memory.
 *
 * The stream is cut into frames of one nominal cycle, N = round(fs / f_nominal) samples.
 * At each half-frame boundary the one-cycle RMS is refreshed (IEC 61000-4-30 Urms(1/2)).
 * At each frame end the per-cycle quantities below are computed from the frame: harmonic
 * magnitudes by Goertzel at h x f_nominal (IEC 61000-4-7 harmonic order h, up to
 * max_harmonic and Nyquist), THD relative to the fundamental, the non-harmonic residual,
 * peak, crest factor, largest sample-to-sample step, skewness, kurtosis; the frequency from
 * linearly interpolated positive zero crossings of the band-passed fundamental; and, with a
 * current channel, active, reactive and apparent power and power factor. Samples are
 * multiplied by @c scale first (to per-unit). Once @c window_cycles frames are held, every
 * @c hop_cycles frames a window completes and each configured feature, an aggregate (min,
 * max, mean, sd, range) of one per-cycle quantity over the window, is written.
 */
#ifndef VG_PQ_H
#define VG_PQ_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"
#include "vg_sos.h"
#include "vg_status.h"

/** Per-cycle quantities (stored in artifacts: never renumbered). */
typedef enum {
    VG_PQ_RMS = 0,      /**< RMS over the cycle */
    VG_PQ_HRMS_MIN = 1, /**< smaller of the cycle's two half-cycle-refreshed one-cycle RMS */
    VG_PQ_HRMS_MAX = 2, /**< larger of them */
    VG_PQ_PEAK = 3,     /**< largest |v| */
    VG_PQ_CREST = 4,    /**< peak / RMS */
    VG_PQ_FREQ = 5,     /**< Hz, from zero crossings of the band-passed fundamental */
    VG_PQ_H1 = 6,       /**< fundamental amplitude (peak) */
    VG_PQ_THD = 7,      /**< sqrt(sum_{h>=2} Y_h^2) / Y_1 */
    VG_PQ_H3 = 8,       /**< Y_3 / Y_1 */
    VG_PQ_H5 = 9,       /**< Y_5 / Y_1 */
    VG_PQ_H7 = 10,      /**< Y_7 / Y_1 */
    VG_PQ_RESID = 11,   /**< RMS not explained by harmonics 1..H, relative to the fundamental RMS */
    VG_PQ_DMAX = 12,    /**< largest |v[n] - v[n-1]| */
    VG_PQ_SKEW = 13,    /**< sample skewness */
    VG_PQ_KURT = 14,    /**< sample kurtosis (3 for Gaussian, 1.5 for a sine) */
    VG_PQ_HF = 15,      /**< sqrt(Y_6^2 + sum_{h=8..18} Y_h^2) / Y_1: 300-900 Hz at 50 Hz, the
                             oscillatory-transient band, without the 7th harmonic */
    VG_PQ_IRMS = 16,    /**< current RMS (current channel) */
    VG_PQ_P = 17,       /**< active power, mean of v i */
    VG_PQ_Q = 18,       /**< reactive power sqrt(S^2 - P^2) */
    VG_PQ_S = 19,       /**< apparent power Vrms Irms */
    VG_PQ_PF = 20,      /**< power factor P / S */
    VG_PQ_TRANS = 21,   /**< largest matched-filter response of the residual to the standard
                             impulsive transient (1 ms double exponential), over the residual
                             RMS: about 3 for noise alone */
    VG_PQ_RPEAK = 22,   /**< largest |residual| after removing DC and harmonics 1..7 */
    VG_PQ_ODD = 23,     /**< sqrt(Y_3^2 + Y_5^2 + Y_7^2 + Y_9^2) / Y_1: odd harmonics */
    VG_PQ_EVEN = 24,    /**< sqrt(Y_2^2 + Y_4^2 + Y_6^2 + Y_8^2) / Y_1: even ones, which an
                             amplitude step inside the cycle raises as much as odd ones */
    VG_PQ_OT_BAND = 25, /**< sqrt(sum_{h=6..18} Y_h^2) / Y_1: the 300-900 Hz band with the 7th
                             harmonic, where a transient near 350 Hz shows (format minor 3) */
    VG_PQ_OT_SHARE = 26,   /**< sum_{h=6..18} Y_h^2 / sum_{h>=6} Y_h^2 (0 when the latter is 0): a
                                ringing's energy is narrow-band (near 1), a step's or notch's is
                                spread over the higher harmonics (format minor 3) */
    VG_PQ_TRANS_PREV = 27, /**< VG_PQ_TRANS on the residual after removing DC and the
                                harmonics 1..7 predicted from the previous cycles (their
                                phasors averaged, up to VG_PQ_PREV_CYCLES, turned by the measured
                                frequency), not fitted to this cycle: a fit to the cycle absorbs
                                part of a short pulse (about half its energy at 6.4 kHz), the
                                prediction none. Equal to VG_PQ_TRANS for the first cycle after
                                a reset, and 0 unless a configured feature uses it
                                (format minor 4) */
    VG_PQ_COUNT = 28
} vg_pq_qty_t;

/** Aggregates of a quantity over the window (stored in artifacts: never renumbered). */
typedef enum {
    VG_AGG_MIN = 0,
    VG_AGG_MAX = 1,
    VG_AGG_MEAN = 2,
    VG_AGG_SD = 3,
    VG_AGG_RANGE = 4,
    VG_AGG_AT_LOW = 5,       /**< the value in the cycle with the lowest half-cycle RMS */
    VG_AGG_AT_HIGH = 6,      /**< the value in the cycle with the highest half-cycle RMS */
    VG_AGG_COH = 7,          /**< harmonic quantities (h1, h3, h5, h7, thd, odd, even) measured over
                                  the whole window, IEC 61000-4-7 style, from the mean of the cycles'
                                  harmonic phasors (coherent: noise averages out); others: the mean */
    VG_AGG_COH_LOW = 8,      /**< VG_AGG_COH over the cycles whose RMS dips below the middle of
                                  the window's range: the harmonics inside a sag */
    VG_AGG_COH_HIGH = 9,     /**< the same over the cycles above it: inside a swell */
    VG_AGG_MDIFF = 10,       /**< median of |q[c] - q[c-1]| over consecutive cycles: a modulation
                                  that changes every cycle (flicker), not the two edges of a sag */
    VG_AGG_COH_IN_LOW = 11,  /**< VG_AGG_COH over the cycles wholly inside a dip: both their
                                  half-cycle RMS in the bottom quarter of the window's range, so
                                  no edge of the sag, whose step leaks into every harmonic
                                  (format minor 5) */
    VG_AGG_COH_IN_HIGH = 12, /**< the same over the cycles wholly in the top quarter: inside a
                                  swell (format minor 5) */
    VG_AGG_SD_IN_LOW = 13,   /**< standard deviation over the cycles wholly inside a dip (as
                                  VG_AGG_COH_IN_LOW selects them; 0 for fewer than two): a
                                  modulation of the sag itself (flicker on the gated part), not
                                  its edges (format minor 6) */
    VG_AGG_SD_IN_HIGH = 14,  /**< the same over the cycles wholly in the top quarter: inside a
                                  swell (format minor 6) */
    VG_AGG_COUNT = 15
} vg_pq_agg_t;

/** Harmonics whose per-cycle phasors the ring keeps for VG_AGG_COH. */
#define VG_PQ_COH_H 9
/** Floats per cycle in the window ring: the quantities, the cycle's missing samples, then
 *  the phasors (re, im) of harmonics 1..VG_PQ_COH_H. */
#define VG_PQ_STRIDE  (VG_PQ_COUNT + 1 + 2 * VG_PQ_COH_H)
#define VG_PQ_PHASORS (VG_PQ_COUNT + 1)

/** Longest frame (samples per nominal cycle). */
#ifndef VG_PQ_MAX_CYCLE
#define VG_PQ_MAX_CYCLE 2048
#endif
/** Most cycles per window. */
#ifndef VG_PQ_MAX_WINDOW
#define VG_PQ_MAX_WINDOW 256
#endif
/** Longest matched-filter template (samples in 1 ms). */
#ifndef VG_PQ_MAX_TEMPLATE
#define VG_PQ_MAX_TEMPLATE 64
#endif
/** Harmonics removed to form the residual. */
#define VG_PQ_RESID_HARMONICS 7
/** Previous cycles whose phasors predict the harmonics VG_PQ_TRANS_PREV removes. */
#define VG_PQ_PREV_CYCLES 4
/** Samples the block push band-passes at a time (a stack buffer of this many floats). */
#ifndef VG_PQ_BLOCK
#define VG_PQ_BLOCK 64
#endif
/** Most band-pass sections. */
#ifndef VG_PQ_MAX_SOS
#define VG_PQ_MAX_SOS 16
#endif

/** @brief Short names ("rms", "thd", ...; "min", "max", ...) or NULL for unknown ids. */
const char *vg_pq_qty_name(unsigned q);
const char *vg_pq_agg_name(unsigned a);
/** @brief Parse "qty.agg" (e.g. "hrms_min.min"); VG_ERR_ARG when unknown. */
vg_status_t vg_pq_feature_from_name(const char *name, size_t len, unsigned *qty, unsigned *agg);

typedef struct {
    float fs;            /**< Hz */
    float f_nominal;     /**< Hz, 40..100 */
    float scale;         /**< voltage samples are multiplied by this (to per-unit), > 0 */
    float scale_i;       /**< current samples likewise (ignored without a current channel) */
    uint16_t n_channels; /**< 1 (voltage) or 2 (voltage, current) */
    uint16_t window_cycles, hop_cycles;
    uint16_t max_harmonic; /**< 1..50; limited further by Nyquist */
    uint16_t n_features;
    const vg_feat_desc_t *feats; /**< {u8 quantity, u8 aggregate, u16 0} */
    const vg_biquad_t *sos;      /**< band-pass isolating the fundamental */
    uint16_t n_sos;
} vg_pq_cfg_t;

typedef struct {
    vg_pq_cfg_t cfg;
    uint16_t n, h_max;        /* frame length, harmonics used */
    float *frame_v, *frame_i; /* n each (frame_i NULL without current) */
    float *fft;               /* n floats when n is a power of two (one FFT per cycle gives
                                 every harmonic), else NULL (Goertzel per harmonic) */
    float *resid2;            /* n floats for the residual of VG_PQ_TRANS_PREV (the FFT buffer,
                                 free by then, when there is one), or NULL when no feature
                                 uses it */
    float *cycles;            /* window_cycles x VG_PQ_COUNT, ring */
    float *sos_state;
    float tmpl[VG_PQ_MAX_TEMPLATE]; /* unit-norm transient template */
    uint16_t n_tmpl;
    uint32_t pos;       /* sample index in the frame */
    uint32_t n_cycles;  /* frames completed (saturating) */
    uint32_t ring_head; /* next ring slot */
    uint32_t since;     /* frames since the last window */
    float ss_half[2];   /* sums of squares of the previous and current half frame */
    float hrms_lo, hrms_hi;
    float prev_f;     /* last band-passed sample */
    float last_cross; /* samples since the last positive crossing (fractional) */
    uint8_t have_cross;
    double period_sum; /* crossing periods (samples) within this frame */
    uint32_t period_count;
    uint32_t miss; /* missing samples in the current frame */
    float freq;    /* last frequency estimate */
    float prev_v;
    float hold_v, hold_i;   /* last samples stored (valid or filled) */
    float hold_v2, hold_i2; /* the ones before */
    uint8_t gap_v, gap_i;   /* in a run of missing samples */
    uint8_t started;
} vg_pq_t;

/** @brief The frontend configuration of a parsed model with a WAVE section. */
vg_pq_cfg_t vg_pq_cfg_from_model(const vg_model_t *m);

/** @brief Arena bytes for a configuration (4-aligned floats). */
size_t vg_pq_arena_size(const vg_pq_cfg_t *cfg);
/** @brief Samples per frame: round(fs / f_nominal). */
uint16_t vg_pq_frame_len(const vg_pq_cfg_t *cfg);

/**
 * @brief Check @p cfg and bind the arena.
 * @retval VG_OK; VG_ERR_ARG for a configuration that cannot work (fs that cannot resolve
 *         the fundamental: fewer than 8 samples per cycle; f_nominal outside 40..100 Hz;
 *         unknown quantity or aggregate; a current quantity without a current channel);
 *         VG_ERR_SIZE, VG_ERR_ALIGN for the arena.
 */
vg_status_t vg_pq_init(vg_pq_t *p, const vg_pq_cfg_t *cfg, void *arena, size_t arena_len);
void vg_pq_reset(vg_pq_t *p);

/**
 * @brief Push one sample vector (voltage, then current if configured). A non-finite sample
 *        (or |x| > VG_SAMPLE_ABS_MAX) is counted as missing and filled: the first of a run
 *        by linear extrapolation from the two samples before it (on a sampled sine that
 *        errs by about (2 pi f0 / fs)^2 of the amplitude, where holding the last value would
 *        leave a step that looks like a transient), the rest of the run by holding that
 *        value (a long gap fails the dropout policy anyway). Nothing non-finite is stored.
 * @param[out] feats n_features window features, written when *done is 1
 * @param[out] done  1 when this sample completed a window
 * @param[out] missing_pm when *done: per mille of the window's samples that were missing
 * @param[out] cyc   NULL, or VG_PQ_COUNT quantities of the last completed cycle, written
 *                   when *cycle_done is 1 (for event magnitudes)
 * @param[out] cycle_done 1 when this sample completed a cycle
 */
void vg_pq_push(vg_pq_t *p, const float *x, float *feats, uint8_t *done, uint16_t *missing_pm,
                float *cyc, uint8_t *cycle_done);

/**
 * @brief Push up to @p n sample vectors (x[k * n_channels + c]); stop after the first one
 *        that completes a cycle or holds a missing value. The state, and the outputs for the
 *        last sample consumed, are bit for bit those of as many vg_pq_push() calls; every
 *        sample before the last completed nothing (vg_pq_push() would have given
 *        *done = *cycle_done = 0). Inside a half cycle no per-sample call, branch or state
 *        store is left, which is what makes it faster. (Both APIs run the frequency
 *        tracker's band-pass once per half cycle, over the frame, with the block kernel.)
 * @param[in] x     n x n_channels values
 * @param[in] n     sample vectors available (0 consumes nothing)
 * @param[out] feats, done, missing_pm, cyc, cycle_done as vg_pq_push(), for the last sample
 * @return samples consumed: n, or fewer when a cycle completed or a value was missing.
 * Hot path: no checks beyond vg_pq_push()'s.
 */
size_t vg_pq_push_block(vg_pq_t *p, const float *x, size_t n, float *feats, uint8_t *done,
                        uint16_t *missing_pm, float *cyc, uint8_t *cycle_done);

/**
 * @brief The largest value of cycle quantity @p q (vg_pq_qty_t) over the cycles of the
 *        window ring (the last window_cycles cycles once that many are done; 0 before any).
 */
float vg_pq_ring_max(const vg_pq_t *p, unsigned q);

/** Power-quality class numbers (docs/power-quality.md's table) that the core names. */
#define VG_PQ_CLASS_INTERRUPTION 4u
/** IEEE 1159: an interruption is below 0.1 pu (of the nominal RMS). */
#define VG_PQ_INTERRUPTION_PU 0.1f
#endif
