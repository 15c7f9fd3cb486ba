/* SPDX-License-Identifier: MIT */
/* Event fit (pq_evfit.h; docs/power-quality.md, "Event fit"): least-squares features of a
 * detected event from its own samples.
 *
 * The span is the event's rows and VGH_PQ_FIT_BEFORE cycles before them. The detector closes
 * an event after two quiet windows, so the span's last cycles are undisturbed: their
 * fundamental is the reference, and the phase it gained since the span's first cycles gives
 * the frequency. The gate of a sag or swell is where the fundamental's envelope (the
 * waveform demodulated by the reference and smoothed over a cycle) leaves 1 +- FIT_DEV; its
 * two edges are then found to the sample as the split of a local window that two separate
 * harmonic fits explain best. The base model is the harmonics 1, 3, 5, 7 and a constant over
 * the span, plus the same harmonics inside the gate (what a sag, swell or interruption, with
 * or without harmonics of its own, changes). Each test adds columns to it and reports the
 * drop of the residual sum of squares as an F ratio (drop / (RSS after / samples)): a
 * flicker of 8-25 Hz on the gated fundamental (classes 20, 21, 28, 29 against 15, 16, 22,
 * 23), a slow drift of the gated fundamental (polynomial, for gates too short for a flicker
 * period), a flicker on the whole waveform (10-12, 18, 19, 26, 27). Harmonics outside and
 * inside the gate, relative to the fundamental there, tell harmonics throughout from
 * harmonics of the gate only; the base residual's energy in quarter cycles shows a burst. */
#include "pq_evfit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "butter.h"
#include "vigil/vigil.h"

#define FIT_PI 3.14159265358979323846
/* The gate: the envelope beyond 1 +- FIT_DEV of the reference. Sags and swells move it by at
 * least 0.1 pu; the smoothed envelope's noise at 20 dB is a few thousandths. */
#define FIT_DEV 0.07
#define FIT_U   9u /* a constant, and sin, cos of harmonics 1, 3, 5, 7 */
#define FIT_G   8u /* the same harmonics inside the gate */
#define FIT_P   (FIT_U + FIT_G)
#define FIT_PX  (FIT_P + 2u) /* and a burst's two columns (the refit after the search) */
/* Flicker frequencies tried: 8, 9.5, ..., 24.5 Hz (IEEE 1159 / the generator's 8-25 Hz). */
#define FIT_FLICKS      12u
#define FIT_FLICK_LO    8.0
#define FIT_FLICK_STEP  1.5
#define FIT_MAX_EXTRA   3u
#define FIT_LS_FEATURES 7u /* of the least-squares gate (fit__lsfeatures()) */

static const char *const fit_names[VGH_PQ_FIT_FEATURES] = {
    "fit.glen",     "fit.sign",     "fit.runs",      "fit.depth",    "fit.gflick",
    "fit.gpoly",    "fit.flick",    "fit.gharm",     "fit.h3_out",   "fit.h5_out",
    "fit.h7_out",   "fit.h3_in",    "fit.h5_in",     "fit.h7_in",    "fit.ot_peak",
    "fit.ot_in",    "fit.resid",    "fit.band_peak", "fit.band_in",  "fit.osc",
    "fit.osc_hz",   "fit.osc_ms",   "fit.osc_in",    "fit.osc_edge", "fit.osc_8ms",
    "fit.osc_16ms", "fit.osc_32ms", "fit.noise",     "fit.h3_in_r",  "fit.h5_in_r",
    "fit.h7_in_r",  "fit.gharm_r",  "fit.imp_pos",   "fit.imp_neg",  "fit.imp_lse",
    "fit.g35",      "fit.ls_glen",  "fit.ls_depth",  "fit.ls_gharm", "fit.ls_h3_in",
    "fit.ls_h5_in", "fit.ls_h7_in", "fit.ls_g35",    "fit.g35_r",    "fit.ls_gharm_r",
    "fit.ls_g35_r"};

const char *vgh_pq_fit_name(unsigned k)
{
    return k < VGH_PQ_FIT_FEATURES ? fit_names[k] : NULL;
}

int vgh_pq_ring_init(vgh_pq_ring_t *r, double fs, double f0, float scale)
{
    memset(r, 0, sizeof *r);
    if (!(fs > 0.0) || !(f0 > 0.0) || !(fs / f0 >= 7.5) || !(fs / f0 < 65535.0))
        return -1;
    r->frame = (uint32_t)(fs / f0 + 0.5);
    r->cap = r->frame * VGH_PQ_RING_CYCLES;
    r->buf = calloc(r->cap, sizeof *r->buf);
    if (!r->buf)
        return -1;
    r->fs = fs;
    r->f0 = f0;
    r->scale = scale;
    /* The oscillatory-transient band (300-900 Hz at 50 Hz) with a margin; a rate that cannot
     * hold it leaves the band statistics at 0. */
    char err[128];
    if (fs > 2.2 * 1000.0 && vgh_butter(2, VGH_BANDPASS, 250.0, 1000.0, fs, r->ot_sos, NULL, 4,
                                        &r->ot_sections, err, sizeof err) != 0)
        r->ot_sections = 0;
    /* The impulse search's template: the standard impulse exp(-344 t) - exp(-750 t) over 1 ms
     * (the core's matched-filter template, IEEE 1159 "impulsive"), and its norm. */
    size_t m = (size_t)(0.001 * fs + 0.5);
    m = m < 2 ? 2 : m > VGH_PQ_IMP_MAX ? VGH_PQ_IMP_MAX : m;
    double norm = 0.0;
    for (size_t j = 0; j < m; j++) {
        const double tj = (double)j / fs;
        r->imp[j] = exp(-344.0 * tj) - exp(-750.0 * tj);
        norm += r->imp[j] * r->imp[j];
    }
    r->imp_len = m;
    r->imp_norm = sqrt(norm);
    return 0;
}

void vgh_pq_ring_push(vgh_pq_ring_t *r, float v)
{
    /* The detector's test of a valid sample (a negated comparison: NaN fails it too). */
    if (fabsf(v) <= VG_SAMPLE_ABS_MAX)
        r->hold = v * r->scale;
    r->buf[r->n % r->cap] = r->hold;
    r->n++;
}

void vgh_pq_ring_free(vgh_pq_ring_t *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* ---- small dense least squares in double: normal equations, Cholesky ---- */

/* In place: the lower triangle of the p x p matrix a becomes L with L L' = a + ridge. A ridge
 * of 1e-10 of the mean diagonal keeps columns that a short gate makes nearly dependent from
 * stopping the factorisation. Returns -1 for a matrix that is not positive (or not finite). */
static int fit__chol(double *a, unsigned p)
{
    double tr = 0.0;
    for (unsigned i = 0; i < p; i++)
        tr += a[i * p + i];
    const double ridge = 1e-10 * tr / p + 1e-300;
    for (unsigned j = 0; j < p; j++) {
        double d = a[j * p + j] + ridge;
        for (unsigned k = 0; k < j; k++)
            d -= a[j * p + k] * a[j * p + k];
        if (!(d > 0.0) || !isfinite(d))
            return -1;
        d = sqrt(d);
        a[j * p + j] = d;
        for (unsigned i = j + 1; i < p; i++) {
            double s = a[i * p + j];
            for (unsigned k = 0; k < j; k++)
                s -= a[i * p + k] * a[j * p + k];
            a[i * p + j] = s / d;
        }
    }
    return 0;
}

/* z = L^-1 b (forward substitution). */
static void fit__fwd(const double *l, unsigned p, const double *b, double *z)
{
    for (unsigned i = 0; i < p; i++) {
        double s = b[i];
        for (unsigned k = 0; k < i; k++)
            s -= l[i * p + k] * z[k];
        z[i] = s / l[i * p + i];
    }
}

/* x = L'^-1 z (back substitution). */
static void fit__back(const double *l, unsigned p, const double *z, double *x)
{
    for (unsigned i = p; i-- > 0;) {
        double s = z[i];
        for (unsigned k = i + 1; k < p; k++)
            s -= l[k * p + i] * x[k];
        x[i] = s / l[i * p + i];
    }
}

/* The basis at one sample: a rotating phasor of the fundamental (advanced by a fixed angle per
 * sample, in double), harmonics 3, 5, 7 as its powers. */
typedef struct {
    double c, s, dc, ds;
} fit_rot_t;

static void fit__rot(fit_rot_t *q, double w, size_t k0)
{
    q->c = cos(w * (double)k0);
    q->s = sin(w * (double)k0);
    q->dc = cos(w);
    q->ds = sin(w);
}

static void fit__step(fit_rot_t *q)
{
    const double c = q->c * q->dc - q->s * q->ds;
    q->s = q->s * q->dc + q->c * q->ds;
    q->c = c;
}

/* x[0] = 1, then sin and cos of harmonics 1, 3, 5, 7; with gated, the same 8 again times g. */
static void fit__row(const fit_rot_t *q, double g, unsigned p, double *x)
{
    const double c1 = q->c, s1 = q->s;
    const double c2 = c1 * c1 - s1 * s1, s2 = 2.0 * c1 * s1;
    const double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
    const double c5 = c3 * c2 - s3 * s2, s5 = s3 * c2 + c3 * s2;
    const double c7 = c5 * c2 - s5 * s2, s7 = s5 * c2 + c5 * s2;
    x[0] = 1.0;
    x[1] = s1;
    x[2] = c1;
    x[3] = s3;
    x[4] = c3;
    x[5] = s5;
    x[6] = c5;
    x[7] = s7;
    x[8] = c7;
    if (p > FIT_U)
        for (unsigned i = 0; i < FIT_G; i++)
            x[FIT_U + i] = g * x[1 + i];
}

/* Accumulate x x' (lower triangle), x y into m (p x p) and b. */
static void fit__acc(double *m, double *b, const double *x, unsigned p, double y)
{
    for (unsigned i = 0; i < p; i++) {
        b[i] += x[i] * y;
        for (unsigned j = 0; j <= i; j++)
            m[i * p + j] += x[i] * x[j];
    }
}

/* Least squares of y on m's columns from the accumulated lower triangle (destroyed) and b:
 * coefficients into x, the residual sum of squares yy - x'b returned (-1: singular). */
static double fit__solve(double *m, const double *b, double yy, unsigned p, double *x)
{
    double z[FIT_PX];
    if (fit__chol(m, p) != 0)
        return -1.0;
    fit__fwd(m, p, b, z);
    fit__back(m, p, z, x);
    double r = yy;
    for (unsigned i = 0; i < p; i++)
        r -= x[i] * b[i];
    return r > 0.0 ? r : 0.0;
}

/* Harmonics 1, 3, 5, 7 and a constant fitted to seg[a, b) at w radians per sample (the phase
 * counted from sample 0); coefficients into x (FIT_U), RSS returned (-1: singular). */
static double fit__harm(const double *seg, size_t a, size_t b, double w, double *x)
{
    double m[FIT_U * FIT_U] = {0}, bb[FIT_U] = {0}, row[FIT_P], yy = 0.0;
    fit_rot_t q;
    fit__rot(&q, w, a);
    for (size_t k = a; k < b; k++, fit__step(&q)) {
        fit__row(&q, 0.0, FIT_U, row);
        fit__acc(m, bb, row, FIT_U, seg[k]);
        yy += seg[k] * seg[k];
    }
    return fit__solve(m, bb, yy, FIT_U, x);
}

/* Per position of a window: the running sums of x x' (lower triangle), x y and y^2 over the
 * harmonic basis, so that any split's two fits cost one 9 x 9 solve each. */
#define FIT_TRI ((FIT_U * (FIT_U + 1u)) / 2u)
#define FIT_CUM (FIT_TRI + FIT_U + 1u)

static double fit__side(const double *lo, const double *hi)
{
    double m[FIT_U * FIT_U], b[FIT_U], x[FIT_U];
    unsigned t = 0;
    for (unsigned i = 0; i < FIT_U; i++)
        for (unsigned j = 0; j <= i; j++, t++)
            m[i * FIT_U + j] = hi[t] - lo[t];
    for (unsigned i = 0; i < FIT_U; i++)
        b[i] = hi[FIT_TRI + i] - lo[FIT_TRI + i];
    const double r = fit__solve(m, b, hi[FIT_CUM - 1] - lo[FIT_CUM - 1], FIT_U, x);
    return r < 0.0 ? HUGE_VAL : r;
}

/* The split of seg[a, b) within [lo, hi] that two separate harmonic fits, before and after it,
 * explain best: a gate edge to the sample. cum: (b - a + 1) x FIT_CUM doubles of scratch. */
static size_t fit__edge(const double *seg, size_t a, size_t b, size_t lo, size_t hi, double w,
                        size_t min_side, double *cum)
{
    if (b < a + 2 * min_side)
        return lo;
    fit_rot_t q;
    fit__rot(&q, w, a);
    memset(cum, 0, FIT_CUM * sizeof *cum);
    for (size_t k = a; k < b; k++, fit__step(&q)) {
        double row[FIT_P];
        fit__row(&q, 0.0, FIT_U, row);
        const double *prev = cum + (k - a) * FIT_CUM;
        double *cur = cum + (k - a + 1) * FIT_CUM;
        unsigned t = 0;
        for (unsigned i = 0; i < FIT_U; i++)
            for (unsigned j = 0; j <= i; j++, t++)
                cur[t] = prev[t] + row[i] * row[j];
        for (unsigned i = 0; i < FIT_U; i++)
            cur[FIT_TRI + i] = prev[FIT_TRI + i] + row[i] * seg[k];
        cur[FIT_CUM - 1] = prev[FIT_CUM - 1] + seg[k] * seg[k];
    }
    if (lo < a + min_side)
        lo = a + min_side;
    if (hi > b - min_side)
        hi = b - min_side;
    size_t best = lo;
    double best_r = HUGE_VAL;
    const double *end = cum + (b - a) * FIT_CUM;
    for (size_t c = lo; c <= hi; c++) {
        const double *mid = cum + (c - a) * FIT_CUM;
        const double r = fit__side(cum, mid) + fit__side(mid, end);
        if (r < best_r) {
            best_r = r;
            best = c;
        }
    }
    return best;
}

static size_t fit__sub(size_t x, size_t d)
{
    return x > d ? x - d : 0;
}

static size_t fit__min(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t fit__max(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* The RSS of the model of columns idx[0..k) (ascending) of the normal equations Ms (p x p,
 * lower triangle), b, yy; -1 when singular. */
static double fit__subset(const double *Ms, const double *b, double yy, unsigned p,
                          const unsigned *idx, unsigned k)
{
    double m[FIT_P * FIT_P], bs[FIT_P], x[FIT_P];
    for (unsigned i = 0; i < k; i++) {
        bs[i] = b[idx[i]];
        for (unsigned j = 0; j <= i; j++)
            m[i * k + j] = Ms[idx[i] * p + idx[j]];
    }
    return fit__solve(m, bs, yy, k, x);
}

/* How much a gate [a, b) reduces the residual of the span when the fundamental u (unit
 * amplitude, cx and cu: cumulative sums of seg u and u u, n + 1 each) keeps the reference's
 * amplitude amp outside it and takes its own inside: RSS = seg seg - this. Anchoring the
 * outside to the reference makes the gate the side that deviates, where two free amplitudes
 * would fit a gate at an end and its complement alike. */
static double fit__lsval(const double *cx, const double *cu, size_t n, double amp, size_t a,
                         size_t b)
{
    const double xi = cx[b] - cx[a], ui = cu[b] - cu[a];
    const double xo = cx[n] - xi, uo = cu[n] - ui;
    return (ui > 1e-9 ? xi * xi / ui : 0.0) + amp * (2.0 * xo - amp * uo);
}

/* The least-squares gate of a segment (VGH_PQ_FIT_LSGATE): of all gates [gs, ge) at least a
 * quarter cycle long, the one that leaves the smallest residual (fit__lsval()); searched on a
 * grid of N / 16 samples, then each edge to the sample within a grid step of the best. The
 * edge search of fit__edge() fits each edge on its own window and misses shallow sags by a
 * third of a cycle; this fits the whole span at once. */
static void fit__lsgate(const double *seg, const double *u, double amp, size_t n, size_t N,
                        double *cx, double *cu, size_t *gs, size_t *ge)
{
    cx[0] = cu[0] = 0.0;
    for (size_t k = 0; k < n; k++) {
        cx[k + 1] = cx[k] + seg[k] * u[k];
        cu[k + 1] = cu[k] + u[k] * u[k];
    }
    const size_t h = N / 16 > 1 ? N / 16 : 1, lmin = N / 4 > 2 ? N / 4 : 2;
    double best = -HUGE_VAL;
    size_t b0 = *gs, b1 = *ge;
    for (size_t a = 0; a + lmin <= n; a += h)
        for (size_t b = a + lmin;; b += h) {
            if (b > n)
                b = n;
            const double v = fit__lsval(cx, cu, n, amp, a, b);
            if (v > best) {
                best = v;
                b0 = a;
                b1 = b;
            }
            if (b == n)
                break;
        }
    const size_t c0 = b0, c1 = b1;
    for (size_t a = fit__sub(c0, h); a <= c0 + h && a + lmin <= n; a++)
        for (size_t b = fit__max(a + lmin, fit__sub(c1, h)); b <= c1 + h && b <= n; b++) {
            const double v = fit__lsval(cx, cu, n, amp, a, b);
            if (v > best) {
                best = v;
                b0 = a;
                b1 = b;
            }
        }
    *gs = b0;
    *ge = b1;
}

/* The F ratio of dof columns over n samples: r0 the RSS without them, r1 with them. */
static double fit__fratio(double r0, double r1, double dof, size_t n)
{
    return (r0 - r1) / dof / (fmax(r1, 1e-30) / (double)n);
}

/* The tests below on a model of p columns (normal equations Ms, b, yy) whose last two are a
 * burst's at column burst (0: no burst); each writes *out only when its solves succeed. */

/* The gated harmonics 3, 5, 7 left out (of a model with RSS rss): how much worse the fit gets,
 * per column, against the residual per sample. */
static void fit__gharm(const double *Ms, const double *b, double yy, unsigned p, double rss,
                       unsigned burst, size_t n, double *out)
{
    unsigned keep[FIT_PX], k = 0;
    for (unsigned i = 0; i < FIT_U + 2u; i++)
        keep[k++] = i;
    if (burst) {
        keep[k++] = burst;
        keep[k++] = burst + 1u;
    }
    const double rsub = fit__subset(Ms, b, yy, p, keep, k);
    if (rsub >= 0.0)
        *out = fit__fratio(rsub, rss, 6.0, n);
}

/* The gated 3rd and 5th against a model without harmonics outside the gate (the constant, the
 * fundamental, the gated fundamental): 4 degrees of freedom where fit__gharm() spends 6, and
 * pays for 6 more outside (the generator gates no 7th). */
static void fit__g35(const double *Ms, const double *b, double yy, unsigned p, unsigned burst,
                     size_t n, double *out)
{
    unsigned base[FIT_PX], with35[FIT_PX], k0 = 0, k1 = 0;
    static const unsigned head[] = {0, 1, 2, FIT_U, FIT_U + 1u};
    for (unsigned i = 0; i < 5u; i++)
        base[k0++] = with35[k1++] = head[i];
    for (unsigned i = FIT_U + 2u; i < FIT_U + 6u; i++)
        with35[k1++] = i;
    if (burst) {
        base[k0++] = with35[k1++] = burst;
        base[k0++] = with35[k1++] = burst + 1u;
    }
    const double r0 = fit__subset(Ms, b, yy, p, base, k0);
    const double r1 = fit__subset(Ms, b, yy, p, with35, k1);
    if (r0 >= 0.0 && r1 >= 0.0)
        *out = fit__fratio(r0, r1, 4.0, n);
}

/* The amplitudes of harmonics 1, 3, 5, 7 of the solution x of a base model of p columns,
 * outside the gate (ho) and inside it (hi; ho without a gate). */
static void fit__harms(const double *x, unsigned p, double ho[4], double hi[4])
{
    for (unsigned h = 0; h < 4; h++) {
        ho[h] = hypot(x[1 + 2 * h], x[2 + 2 * h]);
        hi[h] = p > FIT_U
                    ? hypot(x[1 + 2 * h] + x[FIT_U + 2 * h], x[2 + 2 * h] + x[FIT_U + 1 + 2 * h])
                    : ho[h];
    }
}

/* The normal equations of the base model of p columns (FIT_U, or FIT_P with the gate
 * [gs, ge)) over the span: M (p x p, lower triangle) and b, zeroed by the caller, and seg seg
 * into *yy. */
static void fit__base(const double *seg, size_t n, double w, size_t gs, size_t ge, unsigned p,
                      double *M, double *b, double *yy)
{
    double row[FIT_P];
    fit_rot_t q;
    fit__rot(&q, w, 0);
    for (size_t k = 0; k < n; k++, fit__step(&q)) {
        fit__row(&q, k >= gs && k < ge ? 1.0 : 0.0, p, row);
        fit__acc(M, b, row, p, seg[k]);
        *yy += seg[k] * seg[k];
    }
}

/* The features of the base model over a gate [gs, ge) (not empty) of the segment: its length
 * in cycles, the fundamental inside relative to outside, fit__gharm(), the 3rd, 5th and 7th
 * inside relative to the fundamental there, fit__g35(). */
static void fit__lsfeatures(const double *seg, size_t n, size_t N, double w, size_t gs, size_t ge,
                            double *v)
{
    double M[FIT_P * FIT_P] = {0}, b[FIT_P] = {0}, x[FIT_P], yy = 0.0;
    fit__base(seg, n, w, gs, ge, FIT_P, M, b, &yy);
    double Ms[FIT_P * FIT_P];
    memcpy(Ms, M, sizeof M);
    const double rss = fit__solve(M, b, yy, FIT_P, x);
    if (rss < 0.0)
        return;
    double ho[4], hi[4];
    fit__harms(x, FIT_P, ho, hi);
    const double h1i = fmax(hi[0], 1e-6);
    v[0] = (double)(ge - gs) / (double)N;
    v[1] = hi[0] / fmax(ho[0], 1e-6);
    fit__gharm(Ms, b, yy, FIT_P, rss, 0, n, &v[2]);
    v[3] = fmin(hi[1] / h1i, 10.0);
    v[4] = fmin(hi[2] / h1i, 10.0);
    v[5] = fmin(hi[3] / h1i, 10.0);
    fit__g35(Ms, b, yy, FIT_P, 0, n, &v[6]);
}

/* A centred moving average of m samples, in place (tmp: n doubles); near the ends the mean of
 * the samples there are. */
static void fit__smooth(double *x, size_t n, size_t m, double *tmp)
{
    const size_t h = m / 2;
    double s = 0.0;
    size_t lo = 0, hi = 0; /* x[lo, hi) summed */
    for (size_t k = 0; k < n; k++) {
        const size_t want_lo = k > h ? k - h : 0, want_hi = k + (m - h) < n ? k + (m - h) : n;
        while (hi < want_hi)
            s += x[hi++];
        while (lo < want_lo)
            s -= x[lo++];
        tmp[k] = s / (double)(hi - lo);
    }
    memcpy(x, tmp, n * sizeof *x);
}

static int fit__cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The energy of x per quarter cycle against its median: the largest (peak) and the mean over
 * the blocks that touch the gate [gs, ge) (in; 0 without a gate). tmp: n / (N / 4) doubles. */
static void fit__bursts(const double *x, size_t n, size_t N, size_t gs, size_t ge, double *tmp,
                        double *peak, double *in_gate)
{
    const size_t qb = N / 4 > 1 ? N / 4 : 1, nb = n / qb;
    *peak = *in_gate = 0.0;
    if (!nb)
        return;
    double mx = 0.0, in = 0.0;
    size_t nin = 0;
    for (size_t i = 0; i < nb; i++) {
        double s = 0.0;
        for (size_t k = i * qb; k < (i + 1) * qb; k++)
            s += x[k] * x[k];
        tmp[i] = s / (double)qb;
        mx = tmp[i] > mx ? tmp[i] : mx;
        if ((i + 1) * qb > gs && i * qb < ge) {
            in += tmp[i];
            nin++;
        }
    }
    qsort(tmp, nb, sizeof *tmp, fit__cmp);
    const double med = tmp[nb / 2] > 1e-30 ? tmp[nb / 2] : 1e-30;
    *peak = mx / med;
    *in_gate = nin ? in / (double)nin / med : 0.0;
}

/* The oscillatory-transient search (classes 6, 13, 14, 22-29: power-quality.md's OT(t), a
 * decaying sinusoid of 300-900 Hz with a time constant of 8-40 ms, over 0.5-3 cycles). */
#define FIT_TAUS      3u
#define FIT_OSC_LO    300.0
#define FIT_OSC_HI    900.0
#define FIT_OSC_STEP  10.0
#define FIT_OSC_CYCLE 3u /* the burst's longest extent, in cycles */
static const double fit_taus[FIT_TAUS] = {0.008, 0.016, 0.032};

typedef struct {
    double stat, hz, ms;      /* the best candidate's statistic, frequency, time constant */
    size_t at;                /* and its first sample */
    double per_tau[FIT_TAUS]; /* the best statistic for each time constant */
    double sigma;             /* the residual's noise level (from its median power) */
} fit_osc_t;

/* The generalised likelihood ratio of a burst A rho^k cos(w k + phi), rho = e^(-1 / (tau fs)),
 * starting at sample s and lasting up to FIT_OSC_CYCLE cycles (L samples), in the residual x:
 * 2 |sum_k x[s + k] a^k|^2 / (sum_k rho^2k sigma^2) for a = rho e^(-i w), which white noise
 * makes a chi-square of 2 degrees of freedom. Every start up to a quarter cycle before the end
 * is tried, for 3 time constants and 300-900 Hz every 10 Hz: each candidate's sums over all
 * starts are one backward recursion, y[s] = x[s] + a y[s + 1], cut at L by subtracting
 * a^L y[s + L]. sigma^2 is the median of x^2 over the median of a chi-square of 1 degree of
 * freedom (0.4549), so the burst itself hardly moves it. tmp: n doubles; yr, yi: n + 1. */
static void fit__osc(const double *x, size_t n, size_t N, double fs, double *tmp, double *yr,
                     double *yi, fit_osc_t *o)
{
    memset(o, 0, sizeof *o);
    const size_t L = FIT_OSC_CYCLE * N, last = n > N / 4 ? n - N / 4 : 0;
    if (!last)
        return;
    for (size_t k = 0; k < n; k++)
        tmp[k] = x[k] * x[k];
    qsort(tmp, n, sizeof *tmp, fit__cmp);
    const double sig2 = fmax(tmp[n / 2] / 0.4549364231195724, 1e-30);
    o->sigma = sqrt(sig2);
    yr[n] = yi[n] = 0.0;
    for (unsigned ti = 0; ti < FIT_TAUS; ti++) {
        const double rho = exp(-1.0 / (fit_taus[ti] * fs)), rho2 = rho * rho;
        const double rhoL = pow(rho, (double)L);
        for (double hz = FIT_OSC_LO; hz <= FIT_OSC_HI + 1e-9 && hz < 0.45 * fs;
             hz += FIT_OSC_STEP) {
            const double w = 2.0 * FIT_PI * hz / fs;
            const double ar = rho * cos(w), ai = -rho * sin(w);
            const double aLr = rhoL * cos(w * (double)L), aLi = -rhoL * sin(w * (double)L);
            for (size_t k = n; k-- > 0;) {
                yr[k] = x[k] + ar * yr[k + 1] - ai * yi[k + 1];
                yi[k] = ar * yi[k + 1] + ai * yr[k + 1];
            }
            /* from the last start back: the template's length m = n - k grows to L */
            double rm = pow(rho2, (double)(n - (last - 1))); /* rho^2m */
            for (size_t k = last; k-- > 0;) {
                double zr = yr[k], zi = yi[k];
                if (n - k > L) {
                    zr -= aLr * yr[k + L] - aLi * yi[k + L];
                    zi -= aLr * yi[k + L] + aLi * yr[k + L];
                } else if (k + 1 < last) {
                    rm *= rho2;
                }
                const double e = (1.0 - rm) / (1.0 - rho2);
                const double st = 2.0 * (zr * zr + zi * zi) / (e * sig2);
                if (st > o->per_tau[ti])
                    o->per_tau[ti] = st;
                if (st > o->stat) {
                    o->stat = st;
                    o->hz = hz;
                    o->ms = 1000.0 * fit_taus[ti];
                    o->at = k;
                }
            }
        }
    }
}

/* The impulsive-transient search: the ring's impulse t (m samples, norm tn) correlated with
 * the residual x at every start and divided by tn and the residual's noise level sigma, so
 * white noise gives a standard normal c[s]. out: the largest c (an impulse that adds to the
 * waveform), the largest -c (one that takes away), and log mean_s exp(max(c[s], 0)^2 / 2), the
 * likelihood ratio of a positive impulse of any size at an unknown start (each start equally
 * likely), which weighs all starts where the largest c sees only one. */
static void fit__impulse(const double *x, size_t n, const double *t, size_t m, double tn,
                         double sigma, double *c, double out[3])
{
    out[0] = out[1] = out[2] = 0.0;
    if (n < m || !(sigma > 0.0))
        return;
    const double g = 1.0 / (tn * sigma);
    const size_t ns = n - m + 1;
    double hi = -HUGE_VAL, lo = HUGE_VAL;
    for (size_t s = 0; s < ns; s++) {
        double v = 0.0;
        for (size_t j = 0; j < m; j++)
            v += x[s + j] * t[j];
        c[s] = v * g;
        hi = c[s] > hi ? c[s] : hi;
        lo = c[s] < lo ? c[s] : lo;
    }
    /* log-mean-exp against the largest term, so nothing overflows */
    const double top = hi > 0.0 ? 0.5 * hi * hi : 0.0;
    double sum = 0.0;
    for (size_t s = 0; s < ns; s++)
        sum += exp((c[s] > 0.0 ? 0.5 * c[s] * c[s] : 0.0) - top);
    out[0] = hi;
    out[1] = -lo;
    out[2] = top + log(sum / (double)ns);
}

/* One fit's state: the span, its base model and residual. */
typedef struct {
    const double *seg, *u;
    const double *res;
    size_t n, gs, ge;
    unsigned p;
    double w, fs;
    const double *chol; /* the base model's Cholesky factor, p x p */
    double rss;
} fit_t;

enum { FIT_X_GFLICK, FIT_X_FLICK, FIT_X_GPOLY };

/* The F ratio of adding m extra columns (kind, and a frequency in Hz or a polynomial degree)
 * to the base model: with W = L^-1 A'E, the drop in RSS is e' (E'E - W'W)^-1 e for e = E' res
 * (res is orthogonal to A). Only samples [k0, k1) carry nonzero extra columns. */
static double fit__f(const fit_t *f, int kind, double par, size_t k0, size_t k1)
{
    const unsigned p = f->p;
    const unsigned m = kind == FIT_X_GPOLY ? (unsigned)par : 2u;
    double B[FIT_P * FIT_MAX_EXTRA] = {0}, C[FIT_MAX_EXTRA * FIT_MAX_EXTRA] = {0};
    double e[FIT_MAX_EXTRA] = {0};
    fit_rot_t q, fl;
    fit__rot(&q, f->w, k0);
    const size_t t0 = kind == FIT_X_FLICK ? 0 : f->gs;
    fit__rot(&fl, 2.0 * FIT_PI * par / f->fs, k0 - t0);
    const double glen = (double)(f->ge - f->gs);
    for (size_t k = k0; k < k1; k++, fit__step(&q), fit__step(&fl)) {
        double row[FIT_P], x[FIT_MAX_EXTRA];
        const double g = k >= f->gs && k < f->ge ? 1.0 : 0.0;
        fit__row(&q, g, p, row);
        if (kind == FIT_X_GPOLY) {
            const double tau = (double)(k - f->gs) / glen;
            double t = 1.0;
            for (unsigned j = 0; j < m; j++) {
                t *= tau;
                x[j] = f->u[k] * t;
            }
        } else {
            x[0] = f->u[k] * fl.s;
            x[1] = f->u[k] * fl.c;
        }
        for (unsigned j = 0; j < m; j++) {
            e[j] += x[j] * f->res[k];
            for (unsigned l = 0; l <= j; l++)
                C[j * m + l] += x[j] * x[l];
            for (unsigned i = 0; i < p; i++)
                B[j * FIT_P + i] += row[i] * x[j];
        }
    }
    double S[FIT_MAX_EXTRA * FIT_MAX_EXTRA], W[FIT_MAX_EXTRA][FIT_P];
    for (unsigned j = 0; j < m; j++)
        fit__fwd(f->chol, p, B + j * FIT_P, W[j]);
    for (unsigned j = 0; j < m; j++)
        for (unsigned l = 0; l <= j; l++) {
            double s = C[j * m + l];
            for (unsigned i = 0; i < p; i++)
                s -= W[j][i] * W[l][i];
            /* columns (nearly) inside the base model's span add nothing testable */
            if (j == l && !(s > 1e-9 * C[j * m + j]))
                return 0.0;
            S[j * m + l] = s;
        }
    double z[FIT_MAX_EXTRA];
    if (fit__chol(S, m) != 0)
        return 0.0;
    fit__fwd(S, m, e, z);
    double drop = 0.0;
    for (unsigned j = 0; j < m; j++)
        drop += z[j] * z[j];
    const double after = f->rss - drop;
    const double denom = (after > 0.0 ? after : 0.0) / (double)f->n;
    return drop / (denom > 1e-30 ? denom : 1e-30);
}

/* The base model (p columns) plus the burst oc found (rho^k cos, rho^k sin from its start,
 * over FIT_OSC_CYCLE cycles), over the span: the harmonics inside the gate into hr (amplitudes
 * of harmonics 1, 3, 5, 7), the gated 3rd, 5th and 7th harmonics' F ratio per column into *gh,
 * and fit__g35()'s test with the burst in both models into *g35 (each left as it is when a
 * solve fails, or without a gate). */
static void fit__refit(const double *seg, size_t n, size_t N, double w, size_t gs, size_t ge,
                       unsigned p, double fs, const fit_osc_t *oc, double *hr, double *gh,
                       double *g35)
{
    if (p <= FIT_U)
        return;
    const unsigned px = p + 2u;
    const size_t L = FIT_OSC_CYCLE * N, b0 = oc->at, b1 = oc->at + L < n ? oc->at + L : n;
    const double rho = exp(-1.0 / (oc->ms / 1000.0 * fs));
    double M[FIT_PX * FIT_PX] = {0}, b[FIT_PX] = {0}, x[FIT_PX], row[FIT_PX], yy = 0.0;
    fit_rot_t q, ob;
    fit__rot(&q, w, 0);
    fit__rot(&ob, 2.0 * FIT_PI * oc->hz / fs, 0);
    double env = 1.0;
    for (size_t k = 0; k < n; k++, fit__step(&q)) {
        fit__row(&q, k >= gs && k < ge ? 1.0 : 0.0, p, row);
        if (k >= b0 && k < b1) {
            row[p] = env * ob.c;
            row[p + 1] = env * ob.s;
            env *= rho;
            fit__step(&ob);
        } else {
            row[p] = row[p + 1] = 0.0;
        }
        fit__acc(M, b, row, px, seg[k]);
        yy += seg[k] * seg[k];
    }
    double Ms[FIT_PX * FIT_PX];
    memcpy(Ms, M, sizeof M);
    fit__g35(Ms, b, yy, px, p, n, g35);
    const double rss = fit__solve(M, b, yy, px, x); /* M is now the Cholesky factor */
    if (rss < 0.0)
        return;
    double ho[4];
    fit__harms(x, p, ho, hr);
    fit__gharm(Ms, b, yy, px, rss, p, n, gh);
}

/* Clamp to a finite, bounded value: the forest compares, so only the order matters, and a
 * degenerate fit must not produce inf or NaN. */
static float fit__out(double v)
{
    if (!(v == v))
        return 0.0f;
    return (float)(v > 1e6 ? 1e6 : v < -1e6 ? -1e6 : v);
}

int vgh_pq_fit_features(const vgh_pq_ring_t *r, uint64_t first, uint64_t last, unsigned flags,
                        float *out)
{
    const int segment = (flags & VGH_PQ_FIT_SEGMENT) != 0, osc = (flags & VGH_PQ_FIT_OSC) != 0;
    const int lsgate = segment && (flags & VGH_PQ_FIT_LSGATE) != 0;
    memset(out, 0, VGH_PQ_FIT_FEATURES * sizeof *out);
    if (!r->buf || last >= r->n || last < first)
        return 0;
    if (r->n - first > r->cap)
        first = r->n - r->cap;
    if (last < first)
        return 0; /* overwritten already */
    const size_t n = (size_t)(last - first + 1), N = r->frame;
    if (n < (segment ? 3u : 8u) * N)
        return 0;
    double *seg = malloc(n * sizeof *seg), *u = malloc(n * sizeof *u);
    double *env = malloc(n * sizeof *env), *tmp = malloc(n * sizeof *tmp);
    double *cum = malloc((5 * N + 2) * FIT_CUM * sizeof *cum);
    /* the burst search's sums; before it, the least-squares gate's */
    const int need_y = osc || lsgate;
    double *yr = need_y ? malloc((n + 1) * sizeof *yr) : NULL;
    double *yi = need_y ? malloc((n + 1) * sizeof *yi) : NULL;
    int rc = 0;
    if (!seg || !u || !env || !tmp || !cum || (need_y && (!yr || !yi))) {
        rc = -1;
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        seg[k] = r->buf[(first + k) % r->cap];

    /* Frequency: the phase the fundamental gained between the first 2 and the last 4 cycles
     * (valid for offsets below fs / (2 x span) Hz: 0.25 Hz for a 2-second span). */
    const double w0 = 2.0 * FIT_PI * r->f0 / r->fs;
    double xh[FIT_U], xt[FIT_U];
    double w = w0;
    /* The reference: the last 4 cycles (tail), or a 2-cycle block of a segment [ra, ra + rl) */
    size_t ra = n - 4 * N, rl = 4 * N;
    if (!segment) {
        if (fit__harm(seg, 0, 2 * N, w0, xh) >= 0.0 &&
            fit__harm(seg, n - 4 * N, n, w0, xt) >= 0.0) {
            double d = atan2(xt[2], xt[1]) - atan2(xh[2], xh[1]);
            d -= 2.0 * FIT_PI * floor((d + FIT_PI) / (2.0 * FIT_PI));
            w = w0 + d / (double)(n - 2 * N - N);
        }
    } else {
        /* The block whose fundamental is nearest 1 pu; the frequency from the phase gained
         * between the first and the last block within 0.03 pu of 1, when there are two. */
        const size_t nb = n / (2 * N);
        size_t best = 0, b0 = nb, b1 = nb;
        double best_d = HUGE_VAL;
        for (size_t i = 0; i < nb; i++) {
            double xb[FIT_U];
            if (fit__harm(seg, 2 * N * i, 2 * N * i + 2 * N, w0, xb) < 0.0)
                continue;
            const double d = fabs(hypot(xb[1], xb[2]) - 1.0);
            if (d < best_d) {
                best_d = d;
                best = i;
            }
            if (d < 0.03) {
                if (b0 == nb) {
                    b0 = i;
                    memcpy(xh, xb, sizeof xh);
                }
                b1 = i;
                memcpy(xt, xb, sizeof xt);
            }
        }
        ra = 2 * N * best;
        rl = 2 * N;
        if (b0 < b1) {
            double d = atan2(xt[2], xt[1]) - atan2(xh[2], xh[1]);
            d -= 2.0 * FIT_PI * floor((d + FIT_PI) / (2.0 * FIT_PI));
            w = w0 + d / (double)(2 * N * (b1 - b0));
        }
    }
    double xr[FIT_U];
    double amp = 0.0;
    if (fit__harm(seg, ra, ra + rl, w, xr) >= 0.0)
        amp = hypot(xr[1], xr[2]);
    if (!(amp > 0.05))
        goto done; /* no fundamental to refer to */

    /* The envelope of the fundamental relative to the reference, smoothed twice over half a
     * cycle (the products of the odd harmonics with the fundamental are even harmonics, which
     * a half-cycle mean removes; an oscillatory transient's leak is a few per cent). */
    {
        fit_rot_t q;
        fit__rot(&q, w, 0);
        for (size_t k = 0; k < n; k++, fit__step(&q)) {
            u[k] = (xr[1] * q.s + xr[2] * q.c) / amp;
            env[k] = 2.0 * seg[k] * u[k] / amp;
        }
    }
    const size_t half = N / 2 > 1 ? N / 2 : 2;
    fit__smooth(env, n, half, tmp);
    fit__smooth(env, n, half, tmp);
    /* An event's gate lies inside its span; a segment's may reach either end. */
    const size_t g_lo = segment ? 0 : N, g_hi = segment ? n : n - N;
    size_t runs = 0, gs = 0, ge = 0;
    for (size_t k = g_lo; k < g_hi;) {
        if (!(fabs(env[k] - 1.0) > FIT_DEV)) {
            k++;
            continue;
        }
        size_t e = k;
        while (e < g_hi && fabs(env[e] - 1.0) > FIT_DEV)
            e++;
        runs++;
        if (e - k > ge - gs) {
            gs = k;
            ge = e;
        }
        k = e;
    }
    double sign = 0.0;
    if (ge > gs) {
        double s = 0.0;
        for (size_t k = gs; k < ge; k++)
            s += env[k] - 1.0;
        sign = s > 0.0 ? 1.0 : -1.0;
        /* Each edge to the sample, twice: the window of one edge ends at the other (or
         * leaves room for two sides of min_side samples). */
        const size_t range = N / 2 + N / 8, min_side = N / 8 > 12 ? N / 8 : 12;
        /* A segment's gate that reaches an end has no edge there. */
        const int open_lo = gs == 0, open_hi = ge == n;
        for (int it = 0; it < 2; it++) {
            if (!open_lo) {
                size_t a = fit__sub(gs, range + N);
                size_t b = fit__min(n, fit__min(gs + range + N, fit__max(ge, gs + 2 * min_side)));
                gs = fit__edge(seg, a, b, fit__sub(gs, range), gs + range, w, min_side, cum);
            }
            if (!open_hi) {
                size_t a =
                    fit__max(fit__sub(ge, range + N), fit__min(gs, fit__sub(ge, 2 * min_side)));
                size_t b = fit__min(n, ge + range + N);
                ge = fit__edge(seg, a, b, fit__sub(ge, range), ge + range, w, min_side, cum);
            }
            if (ge <= gs)
                ge = gs + 1;
        }
    }
    const unsigned p = ge > gs ? FIT_P : FIT_U;
    /* The second gate, by least squares over the whole segment, and what it gives. */
    double lsv[FIT_LS_FEATURES] = {0};
    size_t ls0 = 0, ls1 = n;
    if (lsgate) {
        fit__lsgate(seg, u, amp, n, N, yr, yi, &ls0, &ls1);
        fit__lsfeatures(seg, n, N, w, ls0, ls1, lsv);
    }

    /* The base model over the span and its residual (in env, no longer needed). */
    double M[FIT_P * FIT_P] = {0}, b[FIT_P] = {0}, x[FIT_P], yy = 0.0, row[FIT_P];
    fit__base(seg, n, w, gs, ge, p, M, b, &yy);
    double Ms[FIT_P * FIT_P];
    memcpy(Ms, M, sizeof M);
    const double rss_ne = fit__solve(M, b, yy, p, x); /* M is now the Cholesky factor */
    if (rss_ne < 0.0)
        goto done;
    double *res = env, rss = 0.0;
    {
        fit_rot_t q;
        fit__rot(&q, w, 0);
        for (size_t k = 0; k < n; k++, fit__step(&q)) {
            fit__row(&q, k >= gs && k < ge ? 1.0 : 0.0, p, row);
            double v = seg[k];
            for (unsigned i = 0; i < p; i++)
                v -= x[i] * row[i];
            res[k] = v;
            rss += v * v;
        }
    }
    const fit_t f = {seg, u, res, n, gs, ge, p, w, r->fs, M, rss};
    const double glen = (double)(ge - gs) / (double)N;

    /* Harmonics outside the gate and inside it, relative to the fundamental there. */
    double ho[4], hi[4];
    fit__harms(x, p, ho, hi);
    double gflick = 0.0, gpoly = 0.0, gharm = 0.0, flick = 0.0, g35 = 0.0;
    if (p > FIT_U) {
        for (unsigned j = 0; j < FIT_FLICKS; j++) {
            const double fr = FIT_FLICK_LO + FIT_FLICK_STEP * j;
            const double v = fit__f(&f, FIT_X_GFLICK, fr, gs, ge);
            gflick = v > gflick ? v : gflick;
        }
        const unsigned deg = glen >= 2.0 ? 3u : glen >= 1.0 ? 2u : 1u;
        gpoly = fit__f(&f, FIT_X_GPOLY, (double)deg, gs, ge) / deg;
        fit__gharm(Ms, b, yy, p, rss_ne, 0, n, &gharm);
        fit__g35(Ms, b, yy, p, 0, n, &g35);
    }
    for (unsigned j = 0; j < FIT_FLICKS; j++) {
        const double v = fit__f(&f, FIT_X_FLICK, FIT_FLICK_LO + FIT_FLICK_STEP * j, 0, n);
        flick = v > flick ? v : flick;
    }

    /* Bursts: the residual's energy per quarter cycle against its median, broadband and in
     * the oscillatory-transient band (zero-phase, so a burst stays where it is). */
    double ot_peak = 0.0, ot_in = 0.0, band_peak = 0.0, band_in = 0.0;
    fit__bursts(res, n, N, gs, ge, tmp, &ot_peak, &ot_in);
    if (r->ot_sections && n > 3 * vgh_sosfiltfilt_padlen(r->ot_sos, r->ot_sections)) {
        char err[128];
        if (vgh_sosfiltfilt(r->ot_sos, r->ot_sections, res, u, n, err, sizeof err) == 0)
            fit__bursts(u, n, N, gs, ge, tmp, &band_peak, &band_in);
    }

    /* The oscillatory-transient search on the base residual. */
    fit_osc_t oc;
    memset(&oc, 0, sizeof oc);
    if (osc)
        fit__osc(res, n, N, r->fs, tmp, yr, yi, &oc);
    /* The base model refitted with the burst found (its two columns over its L samples): the
     * harmonics inside the gate and their test again, without the burst's leak into them
     * (a sag with a transient against one with harmonics and a transient). */
    double hr[4] = {hi[0], hi[1], hi[2], hi[3]}, gharm_r = gharm, g35_r = g35;
    if (osc && oc.stat > 0.0)
        fit__refit(seg, n, N, w, gs, ge, p, r->fs, &oc, hr, &gharm_r, &g35_r);
    /* and over the least-squares gate */
    double ls_hr[4], ls_gharm_r = lsv[2], ls_g35_r = lsv[6];
    if (osc && oc.stat > 0.0 && lsgate)
        fit__refit(seg, n, N, w, ls0, ls1, FIT_P, r->fs, &oc, ls_hr, &ls_gharm_r, &ls_g35_r);
    double imp[3] = {0.0, 0.0, 0.0};
    if (osc)
        fit__impulse(res, n, r->imp, r->imp_len, r->imp_norm, oc.sigma, tmp, imp);
    const int has_gate = ge > gs;
    const double q = (double)(N / 4);
    const double osc_in =
        has_gate && (double)oc.at + q >= (double)gs && (double)oc.at <= (double)ge + q ? 1.0 : 0.0;
    double osc_edge = 5.0;
    if (has_gate) {
        const double d0 = fabs((double)oc.at - (double)gs), d1 = fabs((double)oc.at - (double)ge);
        osc_edge = fmin(fmin(d0, d1) / (double)N, 5.0);
    }
    const double h1o = fmax(ho[0], 1e-6), h1i = fmax(hi[0], 1e-6), h1r = fmax(hr[0], 1e-6);
    const double v[VGH_PQ_FIT_FEATURES] = {glen,
                                           sign,
                                           (double)runs,
                                           hi[0] / h1o,
                                           gflick,
                                           gpoly,
                                           flick,
                                           gharm,
                                           ho[1] / h1o,
                                           ho[2] / h1o,
                                           ho[3] / h1o,
                                           fmin(hi[1] / h1i, 10.0),
                                           fmin(hi[2] / h1i, 10.0),
                                           fmin(hi[3] / h1i, 10.0),
                                           ot_peak,
                                           ot_in,
                                           sqrt(rss / (double)n),
                                           band_peak,
                                           band_in,
                                           log10(1.0 + oc.stat),
                                           oc.hz,
                                           oc.ms,
                                           osc_in,
                                           osc_edge,
                                           log10(1.0 + oc.per_tau[0]),
                                           log10(1.0 + oc.per_tau[1]),
                                           log10(1.0 + oc.per_tau[2]),
                                           oc.sigma,
                                           fmin(hr[1] / h1r, 10.0),
                                           fmin(hr[2] / h1r, 10.0),
                                           fmin(hr[3] / h1r, 10.0),
                                           gharm_r,
                                           imp[0],
                                           imp[1],
                                           imp[2],
                                           g35,
                                           lsv[0],
                                           lsv[1],
                                           lsv[2],
                                           lsv[3],
                                           lsv[4],
                                           lsv[5],
                                           lsv[6],
                                           g35_r,
                                           ls_gharm_r,
                                           ls_g35_r};
    const unsigned nout = osc ? VGH_PQ_FIT_FEATURES : VGH_PQ_FIT_FEATURES_L2;
    for (unsigned k = 0; k < nout; k++)
        out[k] = fit__out(v[k]);
done:
    free(seg);
    free(u);
    free(env);
    free(tmp);
    free(cum);
    free(yr);
    free(yi);
    return rc;
}
