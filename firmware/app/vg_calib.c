/* SPDX-License-Identifier: MIT */
#include "vg_calib.h"

#include <math.h>

vg_status_t vg_calib_init(vg_calib_t *c, float *buf, size_t cap)
{
    if (!c || !buf || cap < VG_CALIB_MIN_WINDOWS)
        return VG_ERR_ARG;
    c->buf = buf;
    c->cap = cap;
    c->n = 0;
    c->stride = 1;
    c->seen = 0;
    return VG_OK;
}

void vg_calib_add(vg_calib_t *c, float raw)
{
    if (!isfinite(raw))
        return;
    if (c->seen % c->stride == 0) {
        if (c->n == c->cap) {
            /* Stored scores are windows 0, s, 2s, ...: keep 0, 2s, 4s, ... */
            size_t k = 0;
            for (size_t i = 0; i < c->n; i += 2)
                c->buf[k++] = c->buf[i];
            c->n = k;
            c->stride *= 2u;
        }
        if (c->seen % c->stride == 0)
            c->buf[c->n++] = raw;
    }
    c->seen++;
}

uint32_t vg_calib_windows(const vg_calib_t *c)
{
    return c->seen;
}

static void calib__sift(float *a, size_t start, size_t end)
{
    size_t root = start;
    while (2 * root + 1 <= end) {
        size_t child = 2 * root + 1, sw = root;
        if (a[sw] < a[child])
            sw = child;
        if (child + 1 <= end && a[sw] < a[child + 1])
            sw = child + 1;
        if (sw == root)
            return;
        float t = a[root];
        a[root] = a[sw];
        a[sw] = t;
        root = sw;
    }
}

/* Heapsort: in place, O(n log n), no recursion, no allocation. */
static void calib__sort(float *a, size_t n)
{
    if (n < 2)
        return;
    for (size_t s = (n - 2) / 2 + 1; s-- > 0;)
        calib__sift(a, s, n - 1);
    for (size_t end = n - 1; end > 0; end--) {
        float t = a[0];
        a[0] = a[end];
        a[end] = t;
        calib__sift(a, 0, end - 1);
    }
}

float vg_quantile_sorted(const float *s, size_t m, double q)
{
    if (m == 0)
        return NAN;
    const double h = (double)(m - 1) * q;
    const double fl = floor(h);
    const size_t i = (size_t)fl;
    const size_t i1 = i + 1 < m ? i + 1 : m - 1;
    const double t = h - fl;
    const float a = s[i], b = s[i1];
    if (t == 0.0 || a == b)
        return a;
    /* numpy's lerp: the difference in the input's precision, from the nearer end */
    const double diff = (double)(b - a);
    return (float)(t >= 0.5 ? (double)b - diff * (1.0 - t) : (double)a + diff * t);
}

vg_status_t vg_calib_threshold(vg_calib_t *c, double p_exceed, double margin, int cap_at_max,
                               float *thr)
{
    if (!c || !thr || !(p_exceed > 0.0 && p_exceed < 1.0) || !(margin > 0.0))
        return VG_ERR_ARG;
    if (c->seen < VG_CALIB_MIN_WINDOWS || c->n < VG_CALIB_MIN_WINDOWS)
        return VG_ERR_SIZE;
    const size_t m = c->n;
    calib__sort(c->buf, m);
    const float u = vg_quantile_sorted(c->buf, m, 0.9);
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (c->buf[i] > u) {
            sum += (double)(c->buf[i] - u);
            k++;
        }
    double beta = k ? sum / (double)k : 0.0;
    if (!(beta > 0))
        beta = fmax(1e-6, 1e-3 * fabs((double)u));
    beta *= margin;
    const double pu = (double)k / (double)m;
    float t;
    if (k == 0 || p_exceed >= pu)
        t = vg_quantile_sorted(c->buf, m, 1.0 - p_exceed);
    else
        t = (float)((double)u + beta * log(pu / p_exceed));
    const float top = c->buf[m - 1];
    if (cap_at_max && t >= top)
        t = nextafterf(top, 0.0f); /* out-of-hull points score exactly the top */
    if (!(t > 0.0f) || !isfinite(t))
        t = top > 0.0f ? top : 1e-6f;
    *thr = t;
    return VG_OK;
}
