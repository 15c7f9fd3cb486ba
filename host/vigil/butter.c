/* SPDX-License-Identifier: MIT */
#include "butter.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BT_PI 3.141592653589793238462643383279502884

/* Poles or zeros of one design: at most 2 * order + 1 (a band-pass, plus zpk2sos's pad). */
#define BT_MAXPZ (2u * VGH_BUTTER_MAX_ORDER + 2u)

typedef struct {
    double complex v[BT_MAXPZ];
    size_t n;
} bt_set_t;

static void bt__push(bt_set_t *s, double complex v)
{
    s->v[s->n++] = v;
}

static void bt__del(bt_set_t *s, size_t i)
{
    for (size_t k = i + 1; k < s->n; k++)
        s->v[k - 1] = s->v[k];
    s->n--;
}

static int bt__isreal(double complex v)
{
    return cimag(v) == 0.0; /* numpy.isreal: imaginary part exactly 0 */
}

/* re + i im without arithmetic (CMPLX is missing from some compilers' <complex.h>); C11
 * lays a complex out as an array of its two parts (6.2.5p13), read back through a union. */
static double complex bt__cmplx(double re, double im)
{
    union {
        double part[2];
        double complex z;
    } u = {{re, im}};
    return u.z;
}

/* Complex division as numpy's ufunc does it (Smith's algorithm), not C's (GCC calls
 * __divdc3, whose rounding differs): poles must come out bit-identical to scipy's where
 * zpk2sos meets exact ties, e.g. the mirror-image poles of a band centred on fs/4. */
static double complex bt__div(double complex a, double complex b)
{
    const double ar = creal(a), ai = cimag(a), br = creal(b), bi = cimag(b);
    if (fabs(br) >= fabs(bi)) {
        if (br == 0.0 && bi == 0.0)
            return bt__cmplx(ar / fabs(br), ai / fabs(br));
        const double rat = bi / br, scl = 1.0 / (br + bi * rat);
        return bt__cmplx((ar + ai * rat) * scl, (ai - ar * rat) * scl);
    }
    const double rat = br / bi, scl = 1.0 / (bi + br * rat);
    return bt__cmplx((ar * rat + ai) * scl, (ai * rat - ar) * scl);
}

static double complex bt__prod(const bt_set_t *s, double complex shift, double sgn)
{
    /* prod(shift + sgn * v), left to right like numpy.prod */
    double complex p = 1.0;
    for (size_t i = 0; i < s->n; i++)
        p *= shift + sgn * s->v[i];
    return p;
}

/* ---- zpk2sos(pairing='nearest'), following scipy 1.10 step by step ---- */

/* Stable insertion sort by key (real part, |imag|): numpy.lexsort((abs(z.imag), z.real)). */
static void bt__sort_re_absim(double complex *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double complex t = v[i];
        size_t j = i;
        while (j > 0 && (creal(v[j - 1]) > creal(t) ||
                         (creal(v[j - 1]) == creal(t) && fabs(cimag(v[j - 1])) > fabs(cimag(t))))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
}

static void bt__sort_absim(double complex *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double complex t = v[i];
        size_t j = i;
        while (j > 0 && fabs(cimag(v[j - 1])) > fabs(cimag(t))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
    }
}

/* scipy's _cplxreal, concatenated: one of each conjugate pair (positive imaginary part,
 * the pair averaged) sorted by real part, then the real values. */
static void bt__cplxreal(bt_set_t *s)
{
    const double tol = 100.0 * DBL_EPSILON;
    double complex zp[BT_MAXPZ], zn[BT_MAXPZ];
    double zr[BT_MAXPZ];
    size_t np = 0, nn = 0, nr = 0;
    bt__sort_re_absim(s->v, s->n);
    for (size_t i = 0; i < s->n; i++) {
        const double complex v = s->v[i];
        if (fabs(cimag(v)) <= tol * cabs(v))
            zr[nr++] = creal(v);
        else if (cimag(v) > 0)
            zp[np++] = v;
        else
            zn[nn++] = v;
    }
    /* Runs of (nearly) equal real parts are sorted by |imag| in each half. A design always
     * has matching halves (np == nn): its poles and zeros come in exact conjugate pairs. */
    size_t i = 0;
    while (i + 1 < np) {
        size_t stop = i;
        while (stop + 1 < np && creal(zp[stop + 1]) - creal(zp[stop]) <= tol * cabs(zp[stop]))
            stop++;
        if (stop > i) {
            bt__sort_absim(zp + i, stop - i + 1);
            bt__sort_absim(zn + i, stop - i + 1);
        }
        i = stop + 1;
    }
    s->n = 0;
    for (size_t k = 0; k < np && k < nn; k++)
        bt__push(s, (zp[k] + conj(zn[k])) / 2.0);
    for (size_t k = 0; k < nr; k++)
        bt__push(s, zr[k]);
}

/* argmin |1 - |p||, first on ties (numpy.argmin) */
static size_t bt__idx_worst(const bt_set_t *p)
{
    size_t best = 0;
    for (size_t i = 1; i < p->n; i++)
        if (fabs(1.0 - cabs(p->v[i])) < fabs(1.0 - cabs(p->v[best])))
            best = i;
    return best;
}

enum { BT_ANY, BT_REAL, BT_COMPLEX };

/* scipy's _nearest_real_complex_idx: the element of the wanted kind nearest to @p to
 * (first on ties, as the stable insertion sort numpy uses for these short arrays). The
 * caller guarantees one exists. */
static size_t bt__nearest(const bt_set_t *z, double complex to, int which)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < z->n; i++) {
        const int r = bt__isreal(z->v[i]);
        if ((which == BT_REAL && !r) || (which == BT_COMPLEX && r))
            continue;
        if (best == SIZE_MAX || cabs(z->v[i] - to) < cabs(z->v[best] - to))
            best = i;
    }
    return best;
}

/* Coefficients of prod (x - r) over up to two roots, highest power first (numpy.poly, real
 * part: the roots given are conjugate-closed). Returns the length (1..3). */
static size_t bt__poly(const double complex *r, size_t nr, double *c)
{
    double complex a[3] = {1.0, 0.0, 0.0};
    for (size_t k = 0; k < nr; k++) {
        /* convolve a (length k + 1) with [1, -r] */
        double complex b[3];
        b[0] = a[0];
        for (size_t j = 1; j <= k; j++)
            b[j] = a[j] + a[j - 1] * -r[k];
        b[k + 1] = a[k] * -r[k];
        for (size_t j = 0; j <= k + 1; j++)
            a[j] = b[j];
    }
    for (size_t j = 0; j <= nr; j++)
        c[j] = creal(a[j]);
    return nr + 1;
}

/* _single_zpksos: b right-aligned in row[0..2], a right-aligned in row[3..5] */
static void bt__section(double *row, const double complex *z, size_t nz, const double complex *p,
                        size_t npl)
{
    double b[3], a[3];
    const size_t lb = bt__poly(z, nz, b), la = bt__poly(p, npl, a);
    for (size_t j = 0; j < 6; j++)
        row[j] = 0.0;
    for (size_t j = 0; j < lb; j++)
        row[3 - lb + j] = b[j];
    for (size_t j = 0; j < la; j++)
        row[6 - la + j] = a[j];
}

static size_t bt__count_real(const bt_set_t *s)
{
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++)
        c += (size_t)bt__isreal(s->v[i]);
    return c;
}

/* zpk2sos for digital filters with len(z) == len(p) (true for every Butterworth design after
 * the bilinear transform). Writes n_sections = (len + 1) / 2 rows. */
static size_t bt__zpk2sos(bt_set_t *z, bt_set_t *p, double k, double *sos)
{
    const size_t ns = (p->n + 1) / 2;
    if (p->n % 2 == 1) {
        bt__push(p, 0.0);
        bt__push(z, 0.0);
    }
    bt__cplxreal(z);
    bt__cplxreal(p);
    for (size_t si = ns; si-- > 0;) {
        double *row = sos + 6 * si;
        const size_t i1 = bt__idx_worst(p);
        const double complex p1 = p->v[i1];
        bt__del(p, i1);
        if (bt__isreal(p1) && bt__count_real(p) == 0) {
            /* special case (1): last remaining real pole, with the nearest real zero and a
             * pole and zero at the origin */
            const size_t iz = bt__nearest(z, p1, BT_REAL);
            const double complex zz[2] = {z->v[iz], 0.0}, pp[2] = {p1, 0.0};
            bt__del(z, iz);
            bt__section(row, zz, 2, pp, 2);
        } else if (p->n + 1 == z->n && !bt__isreal(p1) && bt__count_real(p) == 1 &&
                   bt__count_real(z) == 1) {
            /* special case (2): one real pole and one real zero left; pair with a complex
             * zero */
            const size_t iz = bt__nearest(z, p1, BT_COMPLEX);
            const double complex zz[2] = {z->v[iz], conj(z->v[iz])}, pp[2] = {p1, conj(p1)};
            bt__del(z, iz);
            bt__section(row, zz, 2, pp, 2);
        } else {
            double complex p2;
            if (bt__isreal(p1)) {
                /* the other real pole closest to the unit circle */
                size_t i2 = SIZE_MAX;
                for (size_t i = 0; i < p->n; i++)
                    if (bt__isreal(p->v[i]) &&
                        (i2 == SIZE_MAX || fabs(1.0 - cabs(p->v[i])) < fabs(1.0 - cabs(p->v[i2]))))
                        i2 = i;
                p2 = p->v[i2];
                bt__del(p, i2);
            } else {
                p2 = conj(p1);
            }
            const double complex pp[2] = {p1, p2};
            if (z->n > 0) {
                const size_t iz = bt__nearest(z, p1, BT_ANY);
                const double complex z1 = z->v[iz];
                bt__del(z, iz);
                if (!bt__isreal(z1)) {
                    const double complex zz[2] = {z1, conj(z1)};
                    bt__section(row, zz, 2, pp, 2);
                } else if (z->n > 0) {
                    const size_t iz2 = bt__nearest(z, p1, BT_REAL);
                    const double complex zz[2] = {z1, z->v[iz2]};
                    bt__del(z, iz2);
                    bt__section(row, zz, 2, pp, 2);
                } else {
                    bt__section(row, &z1, 1, pp, 2);
                }
            } else {
                bt__section(row, 0, 0, pp, 2);
            }
        }
    }
    for (size_t j = 0; j < 3; j++)
        sos[j] *= k;
    return ns;
}

/* ---- design ---- */

size_t vgh_butter_sections(unsigned order, vgh_btype_t btype)
{
    if (order < 1 || order > VGH_BUTTER_MAX_ORDER)
        return 0;
    switch (btype) {
    case VGH_LOWPASS:
    case VGH_HIGHPASS: return (order + 1u) / 2u;
    case VGH_BANDPASS:
    case VGH_BANDSTOP: return order;
    default: return 0;
    }
}

static const char *bt__name(vgh_btype_t t)
{
    switch (t) {
    case VGH_LOWPASS: return "low-pass";
    case VGH_HIGHPASS: return "high-pass";
    case VGH_BANDPASS: return "band-pass";
    case VGH_BANDSTOP: return "band-stop";
    default: return "unknown";
    }
}

static int bt__fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bt__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int vgh_butter(unsigned order, vgh_btype_t btype, double f1, double f2, double fs, double *sos,
               vg_biquad_t *bq, size_t cap, size_t *n_sections, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    const size_t ns = vgh_butter_sections(order, btype);
    if (order < 1 || order > VGH_BUTTER_MAX_ORDER)
        return bt__fail(err, errlen, "butter: order %u is outside 1..%u", order,
                        VGH_BUTTER_MAX_ORDER);
    if (ns == 0)
        return bt__fail(err, errlen, "butter: unknown filter type %d", (int)btype);
    if (!sos || !n_sections)
        return bt__fail(err, errlen, "butter: NULL output");
    if (!(fs > 0.0 && fs <= DBL_MAX))
        return bt__fail(err, errlen, "butter: sample rate fs = %g Hz must be finite and > 0", fs);
    const int band = btype == VGH_BANDPASS || btype == VGH_BANDSTOP;
    if (!(f1 > 0.0 && f1 < fs / 2.0))
        return bt__fail(err, errlen,
                        "butter: %s f1 = %g Hz is outside (0, fs/2) = (0, %g) Hz (fs = %g Hz)",
                        band ? "lower band edge" : "cutoff", f1, fs / 2.0, fs);
    if (band && !(f2 > 0.0 && f2 < fs / 2.0))
        return bt__fail(err, errlen,
                        "butter: upper band edge f2 = %g Hz is outside (0, fs/2) = (0, %g) Hz "
                        "(fs = %g Hz)",
                        f2, fs / 2.0, fs);
    if (band && !(f1 < f2))
        return bt__fail(err, errlen,
                        "butter: %s band edges must satisfy f1 < f2, got f1 = %g Hz, f2 = %g Hz",
                        bt__name(btype), f1, f2);
    if (cap < ns)
        return bt__fail(err, errlen, "butter: order %u %s needs %zu sections, room for %zu", order,
                        bt__name(btype), ns, cap);

    /* analog prototype: p = -exp(i pi m / (2N)), m = -N+1, -N+3, ..., N-1; no zeros, k = 1 */
    bt_set_t z = {.n = 0}, p = {.n = 0};
    const int N = (int)order;
    for (int m = -N + 1; m < N; m += 2) {
        /* numpy: (1j pi m) / (2N) divides by multiplying with 1 / (2N) */
        const double th = (BT_PI * (double)m) * (1.0 / (2.0 * (double)N));
        bt__push(&p, -(cos(th) + I * sin(th)));
    }
    double k = 1.0;

    /* pre-warp for the bilinear transform with fs = 2 (frequencies normalised to Nyquist) */
    const double w1 = 4.0 * tan(BT_PI * (2.0 * f1 / fs) / 2.0);
    const double w2 = band ? 4.0 * tan(BT_PI * (2.0 * f2 / fs) / 2.0) : 0.0;
    switch (btype) {
    case VGH_LOWPASS: /* lp2lp_zpk */
        for (size_t i = 0; i < p.n; i++)
            p.v[i] = w1 * p.v[i];
        k *= pow(w1, (double)N);
        break;
    case VGH_HIGHPASS: { /* lp2hp_zpk: k = real(prod(-z) / prod(-p)) with no z, N zeros at 0 */
        const double complex pr = bt__prod(&p, 0.0, -1.0);
        k *= creal(bt__div(1.0, pr));
        for (size_t i = 0; i < p.n; i++)
            p.v[i] = bt__div(w1, p.v[i]);
        for (int i = 0; i < N; i++)
            bt__push(&z, 0.0);
        break;
    }
    case VGH_BANDPASS: { /* lp2bp_zpk */
        const double bw = w2 - w1, wo = sqrt(w1 * w2);
        bt_set_t q = {.n = 0};
        for (size_t i = 0; i < p.n; i++) {
            const double complex pl = p.v[i] * bw / 2.0;
            bt__push(&q, pl + csqrt(pl * pl - wo * wo));
        }
        for (size_t i = 0; i < p.n; i++) {
            const double complex pl = p.v[i] * bw / 2.0;
            bt__push(&q, pl - csqrt(pl * pl - wo * wo));
        }
        p = q;
        for (int i = 0; i < N; i++)
            bt__push(&z, 0.0);
        k *= pow(bw, (double)N);
        break;
    }
    default: { /* VGH_BANDSTOP, lp2bs_zpk */
        const double bw = w2 - w1, wo = sqrt(w1 * w2);
        const double complex pr = bt__prod(&p, 0.0, -1.0);
        k *= creal(bt__div(1.0, pr));
        bt_set_t q = {.n = 0};
        for (size_t i = 0; i < p.n; i++) {
            const double complex ph = bt__div(bw / 2.0, p.v[i]);
            bt__push(&q, ph + csqrt(ph * ph - wo * wo));
        }
        for (size_t i = 0; i < p.n; i++) {
            const double complex ph = bt__div(bw / 2.0, p.v[i]);
            bt__push(&q, ph - csqrt(ph * ph - wo * wo));
        }
        p = q;
        for (int i = 0; i < N; i++)
            bt__push(&z, I * wo);
        for (int i = 0; i < N; i++)
            bt__push(&z, -I * wo);
        break;
    }
    }

    /* bilinear_zpk, fs = 2: s -> (4 + s) / (4 - s); zeros at infinity go to z = -1 */
    const double fs2 = 4.0;
    k *= creal(bt__div(bt__prod(&z, fs2, -1.0), bt__prod(&p, fs2, -1.0)));
    for (size_t i = 0; i < z.n; i++)
        z.v[i] = bt__div(fs2 + z.v[i], fs2 - z.v[i]);
    for (size_t i = 0; i < p.n; i++)
        p.v[i] = bt__div(fs2 + p.v[i], fs2 - p.v[i]);
    while (z.n < p.n)
        bt__push(&z, -1.0);

    *n_sections = bt__zpk2sos(&z, &p, k, sos);
    if (bq)
        return vgh_sos_to_biquads(sos, ns, bq, err, errlen);
    return 0;
}

int vgh_sos_to_biquads(const double *sos, size_t n_sections, vg_biquad_t *bq, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < n_sections; i++) {
        const double *r = sos + 6 * i;
        if (r[3] != 1.0) {
            return bt__fail(err, errlen, "section %zu has a0 = %g; float sections need a0 = 1", i,
                            r[3]);
        }
        for (size_t j = 0; j < 6; j++) {
            if (!(fabs(r[j]) <= FLT_MAX)) {
                return bt__fail(err, errlen,
                                "section %zu coefficient %zu = %g does not fit a float", i, j,
                                r[j]);
            }
        }
        bq[i].b0 = (float)r[0];
        bq[i].b1 = (float)r[1];
        bq[i].b2 = (float)r[2];
        bq[i].a1 = (float)r[4];
        bq[i].a2 = (float)r[5];
    }
    return 0;
}

/* ---- filtering ---- */

void vgh_sosfilt(const double *sos, size_t n_sections, double *zi, const double *x, double *y,
                 size_t n)
{
    double zero[2 * VGH_BUTTER_MAX_SECTIONS] = {0};
    double *st = zi;
    if (!st) {
        /* start from rest; filters longer than the design maximum keep their state here */
        st = n_sections <= VGH_BUTTER_MAX_SECTIONS ? zero : calloc(2 * n_sections, sizeof *st);
        if (!st)
            return;
    }
    /* scipy/signal/_sosfilt.pyx, same expressions in the same order */
    for (size_t i = 0; i < n; i++) {
        double xc = x[i];
        for (size_t s = 0; s < n_sections; s++) {
            const double *c = sos + 6 * s;
            double *z = st + 2 * s;
            const double xn = c[0] * xc + z[0];
            z[0] = c[1] * xc - c[4] * xn + z[1];
            z[1] = c[2] * xc - c[5] * xn;
            xc = xn;
        }
        y[i] = xc;
    }
    if (st != zi && st != zero)
        free(st);
}

void vgh_sosfilt_zi(const double *sos, size_t n_sections, double *zi)
{
    /* lfilter_zi per section solves (I - A^T) z = B for the companion matrix A of
     * [1 a1 a2]: [[1 + a1, -1], [a2, 1]] z = [b1 - a1 b0, b2 - a2 b0], here by Gaussian
     * elimination with partial pivoting (LAPACK's gesv picks the same pivot); each section's
     * state is scaled by the DC gain of the sections before it. */
    double scale = 1.0;
    for (size_t s = 0; s < n_sections; s++) {
        const double *c = sos + 6 * s;
        const double b0 = c[0] / c[3], b1 = c[1] / c[3], b2 = c[2] / c[3];
        const double a1 = c[4] / c[3], a2 = c[5] / c[3];
        double m00 = 1.0 + a1, m01 = -1.0, m10 = a2, m11 = 1.0;
        double r0 = b1 - a1 * b0, r1 = b2 - a2 * b0;
        if (fabs(m10) > fabs(m00)) { /* row swap */
            const double t0 = m00, t1 = m01, tr = r0;
            m00 = m10;
            m01 = m11;
            r0 = r1;
            m10 = t0;
            m11 = t1;
            r1 = tr;
        }
        const double l = m10 / m00;
        const double u11 = m11 - l * m01;
        const double z1 = (r1 - l * r0) / u11;
        const double z0 = (r0 - m01 * z1) / m00;
        zi[2 * s] = scale * z0;
        zi[2 * s + 1] = scale * z1;
        scale *= (c[0] + c[1] + c[2]) / (c[3] + c[4] + c[5]);
    }
}

size_t vgh_sosfiltfilt_padlen(const double *sos, size_t n_sections)
{
    size_t zb = 0, za = 0;
    for (size_t s = 0; s < n_sections; s++) {
        zb += sos[6 * s + 2] == 0.0;
        za += sos[6 * s + 5] == 0.0;
    }
    return 3 * (2 * n_sections + 1 - (zb < za ? zb : za));
}

int vgh_sosfiltfilt(const double *sos, size_t n_sections, const double *x, double *y, size_t n,
                    char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    for (size_t s = 0; s < n_sections; s++) {
        if (sos[6 * s + 3] != 1.0) {
            return bt__fail(err, errlen, "sosfiltfilt: section %zu has a0 = %g, expected 1", s,
                            sos[6 * s + 3]);
        }
    }
    const size_t edge = vgh_sosfiltfilt_padlen(sos, n_sections);
    if (n <= edge) {
        return bt__fail(err, errlen,
                        "sosfiltfilt: the input has %zu samples; it must be longer than padlen "
                        "= %zu",
                        n, edge);
    }
    const size_t m = n + 2 * edge;
    double *ext = malloc(m * sizeof *ext);
    double *zi = malloc((2 * n_sections + 1) * sizeof *zi);
    double *z = malloc((2 * n_sections + 1) * sizeof *z);
    if (!ext || !zi || !z) {
        free(ext);
        free(zi);
        free(z);
        return bt__fail(err, errlen, "sosfiltfilt: out of memory for %zu samples", m);
    }
    /* odd extension: 2 x[0] - x[edge..1], x, 2 x[n-1] - x[n-2..n-1-edge] */
    for (size_t i = 0; i < edge; i++)
        ext[i] = 2.0 * x[0] - x[edge - i];
    for (size_t i = 0; i < n; i++)
        ext[edge + i] = x[i];
    for (size_t i = 0; i < edge; i++)
        ext[edge + n + i] = 2.0 * x[n - 1] - x[n - 2 - i];
    vgh_sosfilt_zi(sos, n_sections, zi);

    for (size_t j = 0; j < 2 * n_sections; j++)
        z[j] = zi[j] * ext[0];
    vgh_sosfilt(sos, n_sections, z, ext, ext, m);
    /* backward pass over the reversed signal, from zi * (last forward output) */
    for (size_t i = 0; i < m / 2; i++) {
        const double t = ext[i];
        ext[i] = ext[m - 1 - i];
        ext[m - 1 - i] = t;
    }
    for (size_t j = 0; j < 2 * n_sections; j++)
        z[j] = zi[j] * ext[0];
    vgh_sosfilt(sos, n_sections, z, ext, ext, m);
    for (size_t i = 0; i < n; i++)
        y[i] = ext[m - 1 - edge - i];
    free(ext);
    free(zi);
    free(z);
    return 0;
}

void vgh_sosfreqz(const double *sos, size_t n_sections, double f, double fs, double *re, double *im)
{
    const double w = 2.0 * BT_PI * f / fs;
    const double complex e1 = cexp(-I * w), e2 = e1 * e1;
    double complex h = 1.0;
    for (size_t s = 0; s < n_sections; s++) {
        const double *c = sos + 6 * s;
        h *= (c[0] + c[1] * e1 + c[2] * e2) / (c[3] + c[4] * e1 + c[5] * e2);
    }
    *re = creal(h);
    *im = cimag(h);
}
