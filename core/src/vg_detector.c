/* SPDX-License-Identifier: MIT */
#include "vigil/vg_detector.h"

#include <math.h>

#include "vigil/vg_forest.h"

/* Running variance floor, in normalised units (training variance = 1). */
#define VG_ZSCORE_MIN_VAR 0.01f

static size_t det__floats(const vg_model_t *m)
{
    size_t nf = m->n_features;
    size_t run = (m->kind == VG_KIND_ZSCORE && m->u.zscore.alpha > 0.0f) ? 2u * nf : 0u;
    return 4u * nf + run;
}

static size_t det__frontend_size(const vg_model_t *m)
{
    if (m->wave.present) {
        vg_pq_cfg_t c = vg_pq_cfg_from_model(m);
        return vg_pq_arena_size(&c) + VG_PQ_COUNT * sizeof(float);
    }
    vg_frontend_cfg_t cfg = {m->sample_rate, m->n_channels, m->window,
                             m->hop,         m->n_features, m->feats};
    return vg_frontend_arena_size(&cfg);
}

size_t vg_detector_arena_size(const vg_model_t *m)
{
    return det__frontend_size(m) + det__floats(m) * sizeof(float) + vg_model_scratch_size(m);
}

vg_status_t vg_detector_init(vg_detector_t *d, const vg_model_t *m, void *arena, size_t arena_len)
{
    if (!d || !m || !arena)
        return VG_ERR_ARG;
    if (((uintptr_t)arena & 3u) != 0)
        return VG_ERR_ALIGN;
    if (arena_len < vg_detector_arena_size(m))
        return VG_ERR_SIZE;
    size_t fe = det__frontend_size(m);
    d->cycle = 0;
    if (m->wave.present) {
        vg_pq_cfg_t c = vg_pq_cfg_from_model(m);
        size_t pq = vg_pq_arena_size(&c);
        VG_TRY(vg_pq_init(&d->fe.pq, &c, arena, pq));
        d->cycle = (float *)(void *)((uint8_t *)arena + pq);
    } else {
        vg_frontend_cfg_t cfg = {m->sample_rate, m->n_channels, m->window,
                                 m->hop,         m->n_features, m->feats};
        VG_TRY(vg_frontend_init(&d->fe.win, &cfg, arena, fe));
    }
    float *p = (float *)(void *)((uint8_t *)arena + fe);
    size_t nf = m->n_features;
    d->m = m;
    d->feat = p;
    d->xn = p + nf;
    d->contrib = p + 2u * nf;
    d->recon = p + 3u * nf;
    d->run = (m->kind == VG_KIND_ZSCORE && m->u.zscore.alpha > 0.0f) ? p + 4u * nf : 0;
    d->scratch = p + det__floats(m);
    d->threshold = m->threshold;
    vg_detector_reset(d);
    return VG_OK;
}

void vg_detector_reset(vg_detector_t *d)
{
    const vg_model_t *m = d->m;
    if (m->wave.present) {
        vg_pq_reset(&d->fe.pq);
        for (unsigned k = 0; k < VG_PQ_COUNT; k++)
            d->cycle[k] = 0.0f;
    } else {
        vg_frontend_reset(&d->fe.win);
    }
    vg_decision_init(&d->dec, m->open_after, m->close_after);
    for (uint16_t i = 0; i < m->n_features; i++) {
        d->feat[i] = 0.0f;
        d->xn[i] = 0.0f;
        d->contrib[i] = 0.0f;
        d->recon[i] = 0.0f;
        if (d->run) {
            /* Features are normalised by the training statistics: start at mean 0, var 1. */
            d->run[2 * i] = 0.0f;
            d->run[2 * i + 1] = 1.0f;
        }
    }
    vg_result_t z = {0};
    d->last = z;
}

/* Running baseline (approach 1 of the source document): z-scores against an EWMA of the
 * normal windows. Only windows under the threshold update it, so an anomaly cannot teach
 * the baseline that it is normal. */
static void det__zscore_running(vg_detector_t *d, float *raw)
{
    const vg_model_t *m = d->m;
    float r = 0.0f;
    for (uint16_t i = 0; i < m->n_features; i++) {
        /* On a steady signal the running variance decays toward 0 and any change would look
         * infinite; the floor keeps the running sd at least 0.1 of the training sd. */
        float var = d->run[2 * i + 1];
        float z = fabsf(d->xn[i] - d->run[2 * i]) /
                  sqrtf(var > VG_ZSCORE_MIN_VAR ? var : VG_ZSCORE_MIN_VAR);
        d->contrib[i] = z;
        d->recon[i] = d->run[2 * i];
        if (z > r)
            r = z;
    }
    *raw = r;
    if (r <= d->threshold) {
        float a = m->u.zscore.alpha;
        for (uint16_t i = 0; i < m->n_features; i++) {
            float diff = d->xn[i] - d->run[2 * i];
            float inc = a * diff;
            d->run[2 * i] += inc;
            d->run[2 * i + 1] = (1.0f - a) * (d->run[2 * i + 1] + diff * inc);
        }
    }
}

/* One walk of the forest gives both the class and the score. The window is anomalous when
 * most trees vote for some disturbance; then the class is the most-voted disturbance even
 * where "normal" has the plurality, so an anomaly never reports the normal class. */
static uint16_t det__forest(vg_detector_t *d, float *raw)
{
    const vg_model_t *m = d->m;
    uint16_t votes[VG_MAX_CLASSES];
    uint16_t cls = vg_forest_predict(m, d->xn, votes, raw);
    const uint16_t normal = m->u.forest.normal_class;
    if (cls == normal && !(*raw <= d->threshold)) {
        uint16_t best = 0;
        for (uint16_t c = 0; c < m->u.forest.n_classes; c++)
            if (c != normal && votes[c] > best) {
                best = votes[c];
                cls = c;
            }
    }
    return cls;
}

void vg_detector_push(vg_detector_t *d, const float *x, vg_result_t *r)
{
    const vg_model_t *m = d->m;
    uint8_t done = 0;
    uint16_t missing_pm = 0;
    vg_result_t out = d->last;
    if (m->wave.present) {
        uint8_t cycle = 0;
        unsigned miss = 0;
        for (uint16_t c = 0; c < m->n_channels; c++)
            miss += !(fabsf(x[c]) <= VG_SAMPLE_ABS_MAX);
        vg_pq_push(&d->fe.pq, x, d->feat, &done, &missing_pm, d->cycle, &cycle);
        out.n_missing = (uint8_t)miss;
        out.cycle = cycle;
    } else {
        out.n_missing = (uint8_t)vg_frontend_push(&d->fe.win, x, d->feat, &done, &missing_pm);
    }
    out.window = done;
    out.event = VG_EVENT_NONE;
    if (done) {
        float raw;
        out.ready = 1;
        out.dropout = missing_pm > m->max_missing_pm;
        if (out.dropout) {
            raw = INFINITY;
        } else {
            vg_normalise(m->norm, d->feat, d->xn, m->n_features);
            if (d->run)
                det__zscore_running(d, &raw);
            else if (m->kind == VG_KIND_FOREST)
                out.cls = det__forest(d, &raw);
            else
                vg_model_score(m, d->xn, &raw, d->contrib, d->recon, d->scratch);
        }
        out.raw = raw;
        out.score = vg_score_unit(raw, d->threshold);
        /* NaN (a feature overflowed in the model) counts as over: faults raise alarms. */
        out.over = out.dropout || !(raw <= d->threshold);
        out.event = (uint8_t)vg_decision_step(&d->dec, out.over);
        out.anomaly = d->dec.open;
        if (!out.dropout) {
            uint16_t top = 0;
            for (uint16_t i = 1; i < m->n_features; i++)
                if (d->contrib[i] > d->contrib[top])
                    top = i;
            out.top_feature = (uint8_t)top;
        }
    }
    d->last = out;
    *r = out;
}

vg_status_t vg_detector_set_threshold(vg_detector_t *d, float threshold)
{
    if (!d || !(threshold > 0.0f) || threshold > 3.0e38f)
        return VG_ERR_ARG;
    d->threshold = threshold;
    return VG_OK;
}

const float *vg_detector_features(const vg_detector_t *d)
{
    return d->feat;
}

const float *vg_detector_normalised(const vg_detector_t *d)
{
    return d->xn;
}

const float *vg_detector_contrib(const vg_detector_t *d)
{
    return d->contrib;
}

const float *vg_detector_recon(const vg_detector_t *d)
{
    return d->recon;
}

const float *vg_detector_cycle(const vg_detector_t *d)
{
    return d->cycle;
}
