/* SPDX-License-Identifier: MIT */
#include "vigil/vg_detector.h"

#include <math.h>

#include "vigil/vg_forest.h"
#include "vigil/vg_tree_s16.h"

/* Running variance floor, in normalised units (training variance = 1). */
#define VG_ZSCORE_MIN_VAR 0.01f

/* A kind a build leaves out (vg_opts.h) is never parsed, so this test is constant there. */
#if VG_ENABLE_ZSCORE
#define DET_RUNNING(m) ((m)->kind == VG_KIND_ZSCORE && (m)->u.zscore.alpha > 0.0f)
#else
#define DET_RUNNING(m) 0
#endif

/* The arrays after the raw features in the arena (vg_detector_t). */
#define DET_NF(d)      ((size_t)(d)->m->n_features)
#define DET_XN(d)      ((d)->feat + DET_NF(d))
#define DET_CONTRIB(d) ((d)->feat + 2u * DET_NF(d))
#define DET_RECON(d)   ((d)->feat + 3u * DET_NF(d))
#define DET_RUN(d)     (DET_RUNNING((d)->m) ? (d)->feat + 4u * DET_NF(d) : (float *)0)
#define DET_SCRATCH(d) ((d)->feat + det__floats((d)->m))

static size_t det__floats(const vg_model_t *m)
{
    size_t nf = m->n_features;
    size_t run = DET_RUNNING(m) ? 2u * nf : 0u;
    return 4u * nf + run;
}

static size_t det__frontend_size(const vg_model_t *m)
{
#if VG_ENABLE_WAVEFORM
    if (m->wave.present) {
        vg_pq_cfg_t c = vg_pq_cfg_from_model(m);
        return vg_pq_arena_size(&c) + VG_PQ_COUNT * sizeof(float);
    }
#endif
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
#if VG_ENABLE_WAVEFORM
    d->cycle = 0;
    if (m->wave.present) {
        vg_pq_cfg_t c = vg_pq_cfg_from_model(m);
        size_t pq = vg_pq_arena_size(&c);
        VG_TRY(vg_pq_init(&d->fe.pq, &c, arena, pq));
        d->cycle = (float *)(void *)((uint8_t *)arena + pq);
    } else
#endif
    {
        vg_frontend_cfg_t cfg = {m->sample_rate, m->n_channels, m->window,
                                 m->hop,         m->n_features, m->feats};
        VG_TRY(vg_frontend_init(&d->fe.win, &cfg, arena, fe));
    }
    float *p = (float *)(void *)((uint8_t *)arena + fe);
    d->m = m;
    d->feat = p;
    d->threshold = m->threshold;
    vg_detector_reset(d);
    return VG_OK;
}

void vg_detector_reset(vg_detector_t *d)
{
    const vg_model_t *m = d->m;
#if VG_ENABLE_WAVEFORM
    if (m->wave.present) {
        vg_pq_reset(&d->fe.pq);
        for (unsigned k = 0; k < VG_PQ_COUNT; k++)
            d->cycle[k] = 0.0f;
    } else
#endif
    {
        vg_frontend_reset(&d->fe.win);
    }
    vg_decision_init(&d->dec, m->open_after, m->close_after);
    float *run = DET_RUN(d);
    for (size_t i = 0; i < 4u * DET_NF(d); i++)
        d->feat[i] = 0.0f; /* raw and normalised features, contributions, reconstruction */
    for (uint16_t i = 0; VG_ENABLE_ZSCORE && run && i < m->n_features; i++) {
        /* Features are normalised by the training statistics: start at mean 0, var 1. */
        run[2 * i] = 0.0f;
        run[2 * i + 1] = 1.0f;
    }
    /* field by field: a zero-initialised struct would pull in the C library's memset */
    d->last.raw = 0.0f;
    d->last.score = 0.0f;
    d->last.window = d->last.ready = d->last.over = d->last.anomaly = 0;
    d->last.event = d->last.dropout = d->last.n_missing = d->last.top_feature = 0;
    d->last.cycle = d->last.reserved = 0;
    d->last.cls = 0;
}

/* Running baseline (approach 1 of the source document): z-scores against an EWMA of the
 * normal windows. Only windows under the threshold update it, so an anomaly cannot teach
 * the baseline that it is normal. */
#if VG_ENABLE_ZSCORE
static void det__zscore_running(vg_detector_t *d, float *raw)
{
    const vg_model_t *m = d->m;
    float *run = DET_RUN(d), *recon = DET_RECON(d), *contrib = DET_CONTRIB(d);
    const float *xn = DET_XN(d);
    float r = 0.0f;
    for (uint16_t i = 0; i < m->n_features; i++) {
        /* On a steady signal the running variance decays toward 0 and any change would look
         * infinite; the floor keeps the running sd at least 0.1 of the training sd. */
        float var = run[2 * i + 1];
        float z =
            fabsf(xn[i] - run[2 * i]) / sqrtf(var > VG_ZSCORE_MIN_VAR ? var : VG_ZSCORE_MIN_VAR);
        contrib[i] = z;
        recon[i] = run[2 * i];
        if (z > r)
            r = z;
    }
    *raw = r;
    if (r <= d->threshold) {
        float a = m->u.zscore.alpha;
        for (uint16_t i = 0; i < m->n_features; i++) {
            float diff = xn[i] - run[2 * i];
            float inc = a * diff;
            run[2 * i] += inc;
            run[2 * i + 1] = (1.0f - a) * (run[2 * i + 1] + diff * inc);
        }
    }
}

#endif

#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
/* One walk of the forest gives both the class and the score. The window is anomalous when
 * most trees vote for some disturbance; then the class is the most-voted disturbance even
 * where "normal" has the plurality, so an anomaly never reports the normal class. */
static uint16_t det__forest(vg_detector_t *d, float *raw)
{
    const vg_model_t *m = d->m;
    uint16_t votes[VG_MAX_CLASSES];
    uint16_t cls;
#if VG_ENABLE_TREES_S16
    if (m->kind == VG_KIND_FOREST_S16)
        cls = vg_forest_s16_predict(m, DET_XN(d), (int16_t *)(void *)DET_SCRATCH(d), votes, raw);
    else
#endif
#if VG_ENABLE_FOREST
        cls = vg_forest_predict(m, DET_XN(d), votes, raw);
#else
    cls = 0u; /* not reached: kind 4 does not parse in this build */
#endif
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
#endif

/* A completed window: score it and step the decision. Kept out of line so that its frame and
 * the frontend's are never on the stack together (a device's stack is its deepest path). */
static VG_NOINLINE void det__window(vg_detector_t *d, uint16_t missing_pm)
{
    const vg_model_t *m = d->m;
    vg_result_t *out = &d->last;
    float raw;
    out->ready = 1;
    out->dropout = missing_pm > m->max_missing_pm;
    if (out->dropout) {
        raw = INFINITY;
    } else {
        vg_normalise(m->norm, d->feat, DET_XN(d), m->n_features);
        int scored = 0;
#if VG_ENABLE_ZSCORE
        if (DET_RUNNING(m)) {
            det__zscore_running(d, &raw);
            scored = 1;
        }
#endif
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
        if (!scored && vg_model_base_kind(m->kind) == VG_KIND_FOREST) {
            out->cls = det__forest(d, &raw);
            scored = 1;
        }
#endif
        if (!scored)
            vg_model_score(m, DET_XN(d), &raw, DET_CONTRIB(d), DET_RECON(d), DET_SCRATCH(d));
    }
    float thr = d->threshold;
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
    /* A strict class (a forest's impulse) needs a larger share of the trees (DECI). */
    if (m->strict_pm && !out->dropout && out->cls == m->strict_class) {
        const float strict = 0.001f * (float)m->strict_pm;
        thr = strict > thr ? strict : thr;
    }
#endif
    out->raw = raw;
    out->score = vg_score_unit(raw, thr);
    /* NaN (a feature overflowed in the model) counts as over: faults raise alarms. */
    out->over = out->dropout || !(raw <= thr);
#if VG_ENABLE_WAVEFORM
    /* No voltage in any cycle of the window: an interruption (IEEE 1159: below 0.1 pu),
     * whatever the model says. No training data holds a dead line for a whole window (the
     * simulator's interruptions keep up to 0.1 pu, for at most 30 cycles), and a forest sent
     * it to the normal class. Only the flag and a forest's class change, not raw or score. */
    if (m->wave.present && !out->dropout &&
        vg_pq_ring_max(&d->fe.pq, VG_PQ_HRMS_MAX) < VG_PQ_INTERRUPTION_PU * 0.70710678f) {
        out->over = 1;
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
        if (vg_model_base_kind(m->kind) == VG_KIND_FOREST) {
            const uint16_t normal = m->u.forest.normal_class;
            if (m->u.forest.n_classes == 2 && normal == 0u)
                out->cls = 1u; /* binary: disturbed */
            else if (m->u.forest.n_classes > VG_PQ_CLASS_INTERRUPTION &&
                     normal != VG_PQ_CLASS_INTERRUPTION)
                out->cls = VG_PQ_CLASS_INTERRUPTION;
        }
#endif
    }
#endif
    out->event = (uint8_t)vg_decision_step(&d->dec, out->over);
    out->anomaly = d->dec.open;
    if (!out->dropout) {
        uint16_t top = 0;
        for (uint16_t i = 1; i < m->n_features; i++)
            if (DET_CONTRIB(d)[i] > DET_CONTRIB(d)[top])
                top = i;
        out->top_feature = (uint8_t)top;
    }
}

#if VG_ENABLE_WAVEFORM
/* Missing values in one sample vector (the negated comparison is also true for NaN). */
static unsigned det__missing(const vg_detector_t *d, const float *x)
{
    unsigned miss = 0;
    for (uint16_t c = 0; c < d->m->n_channels; c++)
        miss += !(fabsf(x[c]) <= VG_SAMPLE_ABS_MAX);
    return miss;
}
#endif

void vg_detector_push(vg_detector_t *d, const float *x, vg_result_t *r)
{
    uint8_t done = 0;
    uint16_t missing_pm = 0;
    /* The result is built in place in d->last (no copy on the stack), then handed out. */
    vg_result_t *out = &d->last;
#if VG_ENABLE_WAVEFORM
    const vg_model_t *m = d->m;
    if (m->wave.present) {
        uint8_t cycle = 0;
        unsigned miss = det__missing(d, x);
        vg_pq_push(&d->fe.pq, x, d->feat, &done, &missing_pm, d->cycle, &cycle);
        out->n_missing = (uint8_t)miss;
        out->cycle = cycle;
    } else
#endif
    {
        out->n_missing = (uint8_t)vg_frontend_push(&d->fe.win, x, d->feat, &done, &missing_pm);
    }
    out->window = done;
    out->event = VG_EVENT_NONE;
    if (done)
        det__window(d, missing_pm);
    *r = *out;
}

size_t vg_detector_push_block(vg_detector_t *d, const float *x, size_t n, vg_result_t *r,
                              vg_result_t *quiet)
{
    if (quiet) {
        /* What every sample before the last produces: nothing completed, nothing missing. */
        *quiet = d->last;
        quiet->window = quiet->cycle = quiet->n_missing = 0;
        quiet->event = VG_EVENT_NONE;
    }
    if (n == 0)
        return 0;
#if VG_ENABLE_WAVEFORM
    const vg_model_t *m = d->m;
    if (m->wave.present) {
        vg_result_t *out = &d->last;
        uint8_t done = 0, cycle = 0;
        uint16_t missing_pm = 0;
        size_t k = vg_pq_push_block(&d->fe.pq, x, n, d->feat, &done, &missing_pm, d->cycle, &cycle);
        out->n_missing = (uint8_t)det__missing(d, x + (k - 1u) * m->n_channels);
        out->cycle = cycle;
        out->window = done;
        out->event = VG_EVENT_NONE;
        if (done)
            det__window(d, missing_pm);
        *r = *out;
        return k;
    }
#endif
    /* Windows of samples: one sample at a time, up to a window or a missing value. */
    size_t k = 0;
    do {
        vg_detector_push(d, x + k * d->m->n_channels, r);
        k++;
    } while (k < n && !r->window && !r->n_missing);
    return k;
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
    return DET_XN(d);
}

const float *vg_detector_contrib(const vg_detector_t *d)
{
    return DET_CONTRIB(d);
}

const float *vg_detector_recon(const vg_detector_t *d)
{
    return DET_RECON(d);
}

const float *vg_detector_cycle(const vg_detector_t *d)
{
#if VG_ENABLE_WAVEFORM
    return d->cycle;
#else
    (void)d;
    return 0;
#endif
}
