/* SPDX-License-Identifier: MIT */
#include "vigil/vg_frontend.h"

#include <math.h>

#include "vigil/vg_features.h"

size_t vg_frontend_arena_size(const vg_frontend_cfg_t *cfg)
{
    return VG_FRONTEND_ARENA_SIZE(cfg->n_channels, cfg->window);
}

vg_status_t vg_frontend_init(vg_frontend_t *f, const vg_frontend_cfg_t *cfg, void *arena,
                             size_t arena_len)
{
    if (!f || !cfg || !arena || !cfg->feats)
        return VG_ERR_ARG;
    if (!(cfg->sample_rate > 0.0f) || cfg->sample_rate > 1.0e9f)
        return VG_ERR_ARG;
    if (cfg->n_channels == 0 || cfg->n_channels > VG_MAX_CHANNELS)
        return VG_ERR_ARG;
    if (cfg->window == 0 || cfg->window > VG_MAX_WINDOW)
        return VG_ERR_ARG;
    if (cfg->hop == 0 || cfg->hop > cfg->window)
        return VG_ERR_ARG;
    if (cfg->n_features == 0 || cfg->n_features > VG_MAX_FEATURES)
        return VG_ERR_ARG;
    for (uint16_t k = 0; k < cfg->n_features; k++)
        if (cfg->feats[k].channel >= cfg->n_channels || cfg->feats[k].feature >= VG_FEAT_COUNT)
            return VG_ERR_ARG;
    if (((uintptr_t)arena & 3u) != 0)
        return VG_ERR_ALIGN;
    if (arena_len < vg_frontend_arena_size(cfg))
        return VG_ERR_SIZE;

    size_t cw = (size_t)cfg->n_channels * cfg->window;
    uint8_t *p = (uint8_t *)arena;
    f->cfg = *cfg;
    f->dt = 1.0f / cfg->sample_rate;
    f->ring = (float *)(void *)p;
    p += cw * sizeof(float);
    f->hold = (float *)(void *)p;
    p += (size_t)cfg->n_channels * sizeof(float);
    f->n_miss = (uint16_t *)(void *)p;
    p += (size_t)cfg->n_channels * sizeof(uint16_t);
    f->miss = p;
    vg_frontend_reset(f);
    return VG_OK;
}

void vg_frontend_reset(vg_frontend_t *f)
{
    size_t cw = (size_t)f->cfg.n_channels * f->cfg.window;
    for (size_t i = 0; i < cw; i++) {
        f->ring[i] = 0.0f;
        f->miss[i] = 0;
    }
    for (uint16_t c = 0; c < f->cfg.n_channels; c++) {
        f->hold[c] = 0.0f;
        f->n_miss[c] = 0;
    }
    f->head = 0;
    f->filled = 0;
    f->since = 0;
    f->started = 0;
}

unsigned vg_frontend_push(vg_frontend_t *f, const float *x, float *feats, uint8_t *done,
                          uint16_t *missing_pm)
{
    const uint16_t nc = f->cfg.n_channels;
    const uint32_t w = f->cfg.window;
    const uint32_t pos = f->head;
    const int full = f->filled == w;
    unsigned n_missing = 0;

    for (uint16_t c = 0; c < nc; c++) {
        float v = x[c];
        /* The negated comparison is also true for NaN. */
        uint8_t missing = !(fabsf(v) <= VG_SAMPLE_ABS_MAX);
        if (missing) {
            v = f->hold[c];
            n_missing++;
        } else {
            f->hold[c] = v;
        }
        uint8_t *mf = f->miss + (size_t)c * w;
        if (full)
            f->n_miss[c] = (uint16_t)(f->n_miss[c] - mf[pos]);
        f->ring[(size_t)c * w + pos] = v;
        mf[pos] = missing;
        f->n_miss[c] = (uint16_t)(f->n_miss[c] + missing);
    }
    f->head = (uint16_t)(pos + 1u == w ? 0u : pos + 1u);
    if (!full)
        f->filled++;
    f->since++;

    *done = 0;
    if (f->filled < w || (f->started && f->since < f->cfg.hop))
        return n_missing;

    f->since = 0;
    f->started = 1;
    *done = 1;
    uint32_t worst = 0;
    for (uint16_t c = 0; c < nc; c++) {
        int used = 0;
        for (uint16_t k = 0; k < f->cfg.n_features && !used; k++)
            used = f->cfg.feats[k].channel == c;
        if (f->n_miss[c] > worst)
            worst = f->n_miss[c];
        if (!used)
            continue;
        vg_window_stats_t st;
        vg_window_stats(f->ring + (size_t)c * w, w, f->head, f->dt, &st);
        for (uint16_t k = 0; k < f->cfg.n_features; k++)
            if (f->cfg.feats[k].channel == c)
                feats[k] = vg_feature_value(&st, f->cfg.feats[k].feature);
    }
    *missing_pm = (uint16_t)((worst * 1000u + w - 1u) / w);
    return n_missing;
}

void vg_normalise(const float *pairs, const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (in[i] - pairs[2 * i]) * pairs[2 * i + 1];
}
