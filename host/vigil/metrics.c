/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int metrics__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/*
 * Order-preserving map of a float onto uint32: a < b (as floats) <=> key(a) < key(b),
 * equal floats share a key (-0 is folded onto +0), and every NaN maps to 0, below the
 * key of -INFINITY (0x007FFFFF). Keys of real numbers are never 0.
 */
static uint32_t metrics__key(float v)
{
    if (isnan(v))
        return 0u;
    if (v == 0.0f)
        v = 0.0f;
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

static float metrics__unkey(uint32_t key)
{
    uint32_t b = (key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key;
    float v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/*
 * Ascending order of the rows by score, as a malloc'd array of (key << 32 | label).
 * LSD radix sort on the four key bytes: O(n), stable, no comparator corner cases.
 */
static uint64_t *metrics__sorted(const float *s, const uint8_t *y, size_t n)
{
    uint64_t *a = malloc(n * sizeof *a);
    uint64_t *b = malloc(n * sizeof *b);
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = ((uint64_t)metrics__key(s[i]) << 32) | (y[i] ? 1u : 0u);
    for (unsigned shift = 32; shift < 64; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xFFu) + 1]++;
        if (count[((a[0] >> shift) & 0xFFu) + 1] == n)
            continue; /* every row has this byte: pass would be the identity */
        for (size_t d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++)
            b[count[(a[i] >> shift) & 0xFFu]++] = a[i];
        uint64_t *tmp = a;
        a = b;
        b = tmp;
    }
    free(b);
    return a;
}

/* Length of the run of equal keys starting at a[i]; adds its labels to *pos / *neg. */
static size_t metrics__group(const uint64_t *a, size_t n, size_t i, size_t *pos, size_t *neg)
{
    uint32_t key = (uint32_t)(a[i] >> 32);
    size_t j = i;
    size_t p = 0;
    while (j < n && (uint32_t)(a[j] >> 32) == key) {
        p += (size_t)(a[j] & 1u);
        j++;
    }
    *pos = p;
    *neg = (j - i) - p;
    return j - i;
}

/* 0 on success (auc NaN for one class), -1 out of memory. */
static int metrics__auc(const float *s, const uint8_t *y, size_t n, double *auc)
{
    *auc = NAN;
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += y[i] ? 1u : 0u;
    size_t nneg = n - npos;
    if (npos == 0 || nneg == 0)
        return 0;
    uint64_t *a = metrics__sorted(s, y, n);
    if (!a)
        return -1;
    /*
     * Twice the Mann-Whitney U, kept as an exact integer: each positive scores 2 per
     * negative strictly below it and 1 per tied negative. Bounded by 2*npos*nneg
     * <= n^2 / 2, which fits in 64 bits for any n below 6e9.
     */
    uint64_t u2 = 0, neg_below = 0;
    for (size_t i = 0; i < n;) {
        size_t gp, gn;
        i += metrics__group(a, n, i, &gp, &gn);
        u2 += (uint64_t)gp * (2u * neg_below + gn);
        neg_below += gn;
    }
    free(a);
    *auc = (double)u2 / (2.0 * (double)npos * (double)nneg);
    return 0;
}

double vgh_roc_auc(const float *s, const uint8_t *y, size_t n)
{
    double auc = NAN;
    if (!s || !y || n == 0)
        return NAN;
    if (metrics__auc(s, y, n, &auc) != 0)
        return NAN;
    return auc;
}

int vgh_roc_curve(const float *s, const uint8_t *y, size_t n, double **fpr, double **tpr,
                  size_t *npts)
{
    if (fpr)
        *fpr = NULL;
    if (tpr)
        *tpr = NULL;
    if (npts)
        *npts = 0;
    if (!s || !y || n == 0 || !fpr || !tpr || !npts)
        return -1;
    size_t P = 0;
    for (size_t i = 0; i < n; i++)
        P += y[i] ? 1u : 0u;
    size_t N = n - P;
    if (P == 0 || N == 0)
        return -1;
    uint64_t *a = metrics__sorted(s, y, n);
    if (!a)
        return -1;
    size_t groups = 0;
    for (size_t i = 0; i < n; groups++) {
        size_t gp, gn;
        i += metrics__group(a, n, i, &gp, &gn);
    }
    size_t cap = groups + 1 < VGH_ROC_MAX_POINTS ? groups + 1 : VGH_ROC_MAX_POINTS;
    double *fx = malloc(cap * sizeof *fx);
    double *ty = malloc(cap * sizeof *ty);
    if (!fx || !ty) {
        free(a);
        free(fx);
        free(ty);
        return -1;
    }
    /*
     * Thinning keeps a point once fpr + tpr (which rises monotonically from 0 to 2) has
     * grown by `step` since the last kept point: at most 2/step = MAX-2 interior points,
     * plus (0,0) and (1,1).
     */
    int thin = groups + 1 > VGH_ROC_MAX_POINTS;
    double step = 2.0 / (double)(VGH_ROC_MAX_POINTS - 2u);
    size_t m = 0, tp = 0, fp = 0;
    fx[m] = 0.0;
    ty[m] = 0.0;
    m++;
    double last = 0.0;
    /* Descending scores: walk the ascending array from the end, group by group. */
    for (size_t end = n; end > 0;) {
        uint32_t key = (uint32_t)(a[end - 1] >> 32);
        while (end > 0 && (uint32_t)(a[end - 1] >> 32) == key) {
            if (a[end - 1] & 1u)
                tp++;
            else
                fp++;
            end--;
        }
        double x = (double)fp / (double)N, yv = (double)tp / (double)P;
        if (end == 0 || !thin || x + yv - last >= step) {
            fx[m] = x;
            ty[m] = yv;
            m++;
            last = x + yv;
        }
    }
    free(a);
    *fpr = fx;
    *tpr = ty;
    *npts = m;
    return 0;
}

/* F1 = 2tp / (2tp + fp + fn) compared as exact fractions: a > b? (n < 2^31: no overflow) */
static int metrics__f1_greater(uint64_t num_a, uint64_t den_a, uint64_t num_b, uint64_t den_b)
{
    if (den_a == 0)
        return 0;
    if (den_b == 0)
        return num_a > 0;
    return num_a * den_b > num_b * den_a;
}

int vgh_best_f1(const float *s, const uint8_t *y, size_t n, float *threshold, double *f1)
{
    if (!s || !y || !threshold || !f1 || n == 0 || (uint64_t)n >= (1ull << 31))
        return -1;
    size_t P = 0;
    for (size_t i = 0; i < n; i++)
        P += y[i] ? 1u : 0u;
    uint64_t *a = metrics__sorted(s, y, n);
    if (!a)
        return -1;
    if ((uint32_t)(a[n - 1] >> 32) == 0u) {
        free(a);
        return -1; /* every score is NaN */
    }
    /* Candidate t = max score flags nothing: F1 = 0 (0/0 counts as 0). */
    float best_t = metrics__unkey((uint32_t)(a[n - 1] >> 32));
    uint64_t best_num = 0, best_den = 0;
    uint64_t tp = 0, fp = 0;
    for (size_t end = n; end > 0;) {
        uint32_t key = (uint32_t)(a[end - 1] >> 32);
        if (key == 0u)
            break; /* NaN rows are never flagged */
        float v = metrics__unkey(key);
        while (end > 0 && (uint32_t)(a[end - 1] >> 32) == key) {
            if (a[end - 1] & 1u)
                tp++;
            else
                fp++;
            end--;
        }
        /* Everything >= v is flagged: the largest t doing that is the next lower score. */
        float t;
        if (end > 0 && (uint32_t)(a[end - 1] >> 32) != 0u)
            t = metrics__unkey((uint32_t)(a[end - 1] >> 32));
        else if (v > -INFINITY)
            t = nextafterf(v, -INFINITY);
        else
            break; /* no float t has -INFINITY > t: these rows cannot be flagged */
        uint64_t num = 2u * tp, den = 2u * tp + fp + (P - tp);
        if (metrics__f1_greater(num, den, best_num, best_den)) {
            best_num = num;
            best_den = den;
            best_t = t;
        }
    }
    free(a);
    *threshold = best_t;
    *f1 = best_den ? (double)best_num / (double)best_den : 0.0;
    return 0;
}

static int metrics__cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Median of t[i+1] - t[i]; 0 for a single row. -1 out of memory. */
static int metrics__median_period(const double *t, size_t n, double *out)
{
    *out = 0.0;
    if (n < 2)
        return 0;
    size_t nd = n - 1;
    double *d = malloc(nd * sizeof *d);
    if (!d)
        return -1;
    for (size_t i = 0; i < nd; i++)
        d[i] = t[i + 1] - t[i];
    qsort(d, nd, sizeof *d, metrics__cmp_double);
    *out = (nd % 2) ? d[nd / 2] : 0.5 * (d[nd / 2 - 1] + d[nd / 2]);
    free(d);
    return 0;
}

static double metrics__ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

int vgh_metrics_compute(const double *t, const float *s, const uint8_t *p, const uint8_t *y,
                        const int *k, size_t n, double slack_s, vgh_metrics_t *m,
                        vgh_event_t **events, size_t *n_events, char *err, size_t errlen)
{
    if (events)
        *events = NULL;
    if (n_events)
        *n_events = 0;
    if (!t || !p || !y || !m || (events && !n_events))
        return metrics__fail(err, errlen, "metrics: NULL argument");
    if (n == 0)
        return metrics__fail(err, errlen, "metrics: no rows");
    if (!(slack_s >= 0.0) || !isfinite(slack_s))
        return metrics__fail(err, errlen, "metrics: slack %g s is not a finite value >= 0",
                             slack_s);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t[i]))
            return metrics__fail(err, errlen, "metrics: row %zu: time is not finite", i);
        if (i > 0 && t[i] < t[i - 1])
            return metrics__fail(err, errlen, "metrics: row %zu: time %.9g s < previous %.9g s", i,
                                 t[i], t[i - 1]);
        if (p[i] > 1u || y[i] > 1u)
            return metrics__fail(err, errlen, "metrics: row %zu: flag %s = %u, expected 0 or 1", i,
                                 p[i] > 1u ? "p" : "y", (unsigned)(p[i] > 1u ? p[i] : y[i]));
    }
    memset(m, 0, sizeof *m);
    m->n = n;
    for (size_t i = 0; i < n; i++) {
        if (p[i] && y[i])
            m->tp++;
        else if (p[i])
            m->fp++;
        else if (y[i])
            m->fn++;
        else
            m->tn++;
    }
    m->precision = metrics__ratio(m->tp, m->tp + m->fp);
    m->recall = metrics__ratio(m->tp, m->tp + m->fn);
    m->f1 = metrics__ratio(2u * m->tp, 2u * m->tp + m->fp + m->fn);
    m->auc = NAN;
    if (s && metrics__auc(s, y, n, &m->auc) != 0)
        return metrics__fail(err, errlen, "metrics: out of memory (AUC of %zu rows)", n);
    double period;
    if (metrics__median_period(t, n, &period) != 0)
        return metrics__fail(err, errlen, "metrics: out of memory (%zu rows)", n);
    m->duration_s = t[n - 1] - t[0] + period;
    m->false_alarms_per_day = NAN;
    m->event_recall = NAN;
    m->mean_delay_s = NAN;

    /* Labelled events: maximal runs of y == 1 with constant kind. */
    size_t ne = 0;
    for (size_t i = 0; i < n; i++)
        if (y[i] && (i == 0 || !y[i - 1] || (k && k[i] != k[i - 1])))
            ne++;
    vgh_event_t *ev = NULL;
    if (ne) {
        ev = malloc(ne * sizeof *ev);
        if (!ev)
            return metrics__fail(err, errlen, "metrics: out of memory (%zu events)", ne);
    }
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        if (!y[i] || !(i == 0 || !y[i - 1] || (k && k[i] != k[i - 1])))
            continue;
        size_t j = i;
        while (j + 1 < n && y[j + 1] && !(k && k[j + 1] != k[i]))
            j++;
        ev[e].start = i;
        ev[e].end = j;
        ev[e].kind = k ? k[i] : 0;
        ev[e].detected = 0;
        ev[e].detect_row = SIZE_MAX;
        ev[e].delay_s = NAN;
        e++;
        i = j;
    }

    /*
     * Detection: the first predicted row at or after an event's start. Starts increase,
     * so one forward cursor serves every event: O(n + events).
     */
    double delay_sum = 0.0;
    size_t q = 0;
    for (e = 0; e < ne; e++) {
        if (q < ev[e].start)
            q = ev[e].start;
        while (q < n && !p[q])
            q++;
        if (q < n && t[q] <= t[ev[e].end] + slack_s) {
            ev[e].detected = 1;
            ev[e].detect_row = q;
            ev[e].delay_s = t[q] - t[ev[e].start];
            delay_sum += ev[e].delay_s;
            m->n_detected++;
        }
    }

    /*
     * False alarms. Among the labelled events starting at or before a predicted run's
     * last row d, the latest one has the largest end time (events are disjoint and in
     * order), so it alone decides whether [c, d] overlaps some extended event.
     */
    size_t last = 0; /* number of events with start <= current d */
    for (size_t i = 0; i < n; i++) {
        if (!p[i] || (i > 0 && p[i - 1]))
            continue;
        size_t c = i, d = i;
        while (d + 1 < n && p[d + 1])
            d++;
        m->n_pred_events++;
        while (last < ne && ev[last].start <= d)
            last++;
        if (last == 0 || t[c] > t[ev[last - 1].end] + slack_s)
            m->n_false_alarms++;
        i = d;
    }

    m->n_events = ne;
    if (m->duration_s > 0.0)
        m->false_alarms_per_day = (double)m->n_false_alarms * 86400.0 / m->duration_s;
    if (ne)
        m->event_recall = (double)m->n_detected / (double)ne;
    if (m->n_detected)
        m->mean_delay_s = delay_sum / (double)m->n_detected;
    if (events) {
        *events = ev;
        *n_events = ne;
    } else {
        free(ev);
    }
    return 0;
}
