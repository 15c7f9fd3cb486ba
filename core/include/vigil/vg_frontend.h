/* SPDX-License-Identifier: MIT */
/**
 * @file vg_frontend.h
 * @brief Windowing over a multichannel sample stream and per-window features.
 *
 * Each channel keeps a ring of the last @c window samples. Once the ring is full, every
 * @c hop samples a window completes and its features are computed.
 *
 * Missing samples (NaN, +-inf, or |x| > VG_SAMPLE_ABS_MAX) never enter the statistics: the
 * channel's last valid value is held in their place and the sample is counted as missing.
 * Before a channel's first valid sample, 0 is held. The frontend reports, per window, the
 * largest fraction of missing samples over the channels (per mille) so the detector can
 * apply the model's dropout policy.
 */
#ifndef VG_FRONTEND_H
#define VG_FRONTEND_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"
#include "vg_status.h"

/** Samples whose magnitude exceeds this are treated as missing (sensor fault, overflow guard). */
#define VG_SAMPLE_ABS_MAX 1.0e12f

typedef struct {
    float sample_rate; /**< Hz, > 0 */
    uint16_t n_channels, window, hop, n_features;
    const vg_feat_desc_t *feats; /**< n_features entries (channel < n_channels) */
} vg_frontend_cfg_t;

/** Bytes of arena a frontend needs (4-aligned): rings, missing flags, held values. */
#define VG_FRONTEND_ARENA_SIZE(ch, win)                                                            \
    ((size_t)(ch) * (win) * sizeof(float) + (size_t)(ch) * sizeof(float) +                         \
     (((size_t)(ch) * (win) + (size_t)(ch)*2u + 3u) & ~(size_t)3u))

typedef struct {
    vg_frontend_cfg_t cfg;
    float dt;
    float *ring;      /* n_channels x window */
    float *hold;      /* n_channels */
    uint8_t *miss;    /* n_channels x window */
    uint16_t *n_miss; /* n_channels, missing samples currently in the ring */
    uint16_t head;    /* ring index of the next write == oldest sample once full */
    uint16_t filled;  /* samples in the ring, <= window (<= VG_MAX_WINDOW, 16-bit) */
    uint16_t since;   /* samples since the last completed window, <= hop */
    uint8_t started;  /* a window has completed since reset */
} vg_frontend_t;

/** @brief VG_FRONTEND_ARENA_SIZE for a configuration. */
size_t vg_frontend_arena_size(const vg_frontend_cfg_t *cfg);

/**
 * @brief Check @p cfg and bind the arena.
 * @retval VG_OK, VG_ERR_ARG (bad config), VG_ERR_SIZE (arena too small), VG_ERR_ALIGN
 */
vg_status_t vg_frontend_init(vg_frontend_t *f, const vg_frontend_cfg_t *cfg, void *arena,
                             size_t arena_len);

/** @brief Forget every sample (keeps configuration and arena). */
void vg_frontend_reset(vg_frontend_t *f);

/**
 * @brief Push one sample vector.
 * @param[in]  x          n_channels values (non-finite = missing)
 * @param[out] feats      n_features raw features, written only when *done is 1
 * @param[out] done       1 when this sample completed a window, else 0
 * @param[out] missing_pm when *done: the largest per-mille share of missing samples in the
 *                        window over all channels
 * @return the number of missing values in @p x (0..n_channels).
 */
unsigned vg_frontend_push(vg_frontend_t *f, const float *x, float *feats, uint8_t *done,
                          uint16_t *missing_pm);

/** @brief Apply stored normalisation: out[i] = (in[i] - pairs[2i]) * pairs[2i+1]. */
void vg_normalise(const float *pairs, const float *in, float *out, size_t n);
#endif
