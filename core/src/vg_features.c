/* SPDX-License-Identifier: MIT */
#include "vigil/vg_features.h"

#include <math.h>

static const char *const feature_names[VG_FEAT_COUNT] = {
    "last", "mean", "std", "min", "max", "slope", "diff", "range", "adiff", "maxdiff",
};

const char *vg_feature_name(unsigned id)
{
    return id < VG_FEAT_COUNT ? feature_names[id] : 0;
}

vg_status_t vg_feature_from_name(const char *name, size_t len, unsigned *id)
{
    if (!name || !id)
        return VG_ERR_ARG;
    for (unsigned i = 0; i < VG_FEAT_COUNT; i++) {
        const char *n = feature_names[i];
        size_t k = 0;
        while (k < len && n[k] && n[k] == name[k])
            k++;
        if (k == len && n[k] == '\0') {
            *id = i;
            return VG_OK;
        }
    }
    return VG_ERR_ARG;
}

void vg_window_stats(const float *ring, size_t n, size_t head, float dt, vg_window_stats_t *st)
{
    /* Values are shifted by the oldest sample before summing so that a 4096-sample window of
     * readings near 1e4 keeps its variance in float32 (no catastrophic cancellation). */
    const float x0 = ring[head];
    float sum = 0.0f, mn = x0, mx = x0, asum = 0.0f, maxd = 0.0f, prev = x0, prev2 = x0;
    size_t idx = head;
    for (size_t j = 0; j < n; j++) {
        float v = ring[idx];
        sum += v - x0;
        if (v < mn)
            mn = v;
        if (v > mx)
            mx = v;
        if (j) {
            float ad = fabsf(v - prev);
            asum += ad;
            if (ad > maxd)
                maxd = ad;
        }
        prev2 = prev;
        prev = v;
        if (++idx == n)
            idx = 0;
    }
    const float fn = (float)n;
    const float mean_s = sum / fn;
    const float ibar = 0.5f * (fn - 1.0f);
    float ss = 0.0f, sty = 0.0f;
    idx = head;
    for (size_t j = 0; j < n; j++) {
        float c = ring[idx] - x0 - mean_s;
        ss += c * c;
        sty += ((float)j - ibar) * c;
        if (++idx == n)
            idx = 0;
    }
    /* sum over j of (j - ibar)^2 = n (n^2 - 1) / 12 */
    const float stt = fn * (fn * fn - 1.0f) / 12.0f;
    st->last = prev;
    st->mean = x0 + mean_s;
    st->std = sqrtf(ss / fn);
    st->min = mn;
    st->max = mx;
    st->slope = n > 1 ? sty / (stt * dt) : 0.0f;
    st->diff = n > 1 ? prev - prev2 : 0.0f;
    st->adiff = n > 1 ? asum / (fn - 1.0f) : 0.0f;
    st->maxdiff = maxd;
}

float vg_feature_value(const vg_window_stats_t *st, unsigned id)
{
    switch (id) {
    case VG_FEAT_LAST: return st->last;
    case VG_FEAT_MEAN: return st->mean;
    case VG_FEAT_STD: return st->std;
    case VG_FEAT_MIN: return st->min;
    case VG_FEAT_MAX: return st->max;
    case VG_FEAT_SLOPE: return st->slope;
    case VG_FEAT_DIFF: return st->diff;
    case VG_FEAT_RANGE: return st->max - st->min;
    case VG_FEAT_ADIFF: return st->adiff;
    case VG_FEAT_MAXDIFF: return st->maxdiff;
    default: return 0.0f;
    }
}
