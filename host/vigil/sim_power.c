/* SPDX-License-Identifier: MIT */
/* Power-quality disturbance synthesizer. The class equations and parameter ranges are those of
 * R. Igual et al., "Integral mathematical model of power quality disturbances", ICHQP 2018,
 * written here from the paper's equations (see docs/power-simulation.md). */
#include "sim_power.h"

#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define SP_PI       3.14159265358979323846
#define SP_MAX_ROWS 9007199254740992.0 /* 2^53: row indices stay exact in a double */
#define SP_GAP_CYC  2.0                /* stream: normal cycles before, between, after events */
#define SP_KNOT_S   10.0               /* stream: seconds between frequency knots */
#define SP_OBUF     65536u

/* Components (flags), gate kinds, OT placement and stream window kinds of each class. */
enum { SP_H = 1, SP_H7 = 2, SP_F = 4, SP_IMP = 8, SP_NOTCH = 16 };
enum { SP_G_NONE, SP_G_SAG, SP_G_SWELL, SP_G_INT };
enum { SP_OT_NONE, SP_OT_FREE, SP_OT_IN_GATE };
enum { SP_W_NONE, SP_W_GATE, SP_W_LONG, SP_W_OT, SP_W_IMP };

static const struct {
    const char *name;
    unsigned char gate, ot, win, flags;
} sp__cls[VGH_PQ_NCLASSES + 1] = {
    {NULL, 0, 0, 0, 0},
    {"pure", SP_G_NONE, SP_OT_NONE, SP_W_NONE, 0},
    {"sag", SP_G_SAG, SP_OT_NONE, SP_W_GATE, 0},
    {"swell", SP_G_SWELL, SP_OT_NONE, SP_W_GATE, 0},
    {"interruption", SP_G_INT, SP_OT_NONE, SP_W_GATE, 0},
    {"impulse", SP_G_NONE, SP_OT_NONE, SP_W_IMP, SP_IMP},
    {"osc_transient", SP_G_NONE, SP_OT_FREE, SP_W_OT, 0},
    {"harmonics", SP_G_NONE, SP_OT_NONE, SP_W_LONG, SP_H | SP_H7},
    {"harm_sag", SP_G_SAG, SP_OT_NONE, SP_W_LONG, SP_H},
    {"harm_swell", SP_G_SWELL, SP_OT_NONE, SP_W_LONG, SP_H},
    {"flicker", SP_G_NONE, SP_OT_NONE, SP_W_LONG, SP_F},
    {"flicker_sag", SP_G_SAG, SP_OT_NONE, SP_W_LONG, SP_F},
    {"flicker_swell", SP_G_SWELL, SP_OT_NONE, SP_W_LONG, SP_F},
    {"sag_osc", SP_G_SAG, SP_OT_IN_GATE, SP_W_GATE, 0},
    {"swell_osc", SP_G_SWELL, SP_OT_IN_GATE, SP_W_GATE, 0},
    {"sag_harm", SP_G_SAG, SP_OT_NONE, SP_W_GATE, SP_H},
    {"swell_harm", SP_G_SWELL, SP_OT_NONE, SP_W_GATE, SP_H},
    {"notch", SP_G_NONE, SP_OT_NONE, SP_W_LONG, SP_NOTCH},
    {"harm_sag_flicker", SP_G_SAG, SP_OT_NONE, SP_W_LONG, SP_H | SP_F},
    {"harm_swell_flicker", SP_G_SWELL, SP_OT_NONE, SP_W_LONG, SP_H | SP_F},
    {"sag_harm_flicker", SP_G_SAG, SP_OT_NONE, SP_W_GATE, SP_H | SP_F},
    {"swell_harm_flicker", SP_G_SWELL, SP_OT_NONE, SP_W_GATE, SP_H | SP_F},
    {"sag_harm_osc", SP_G_SAG, SP_OT_IN_GATE, SP_W_GATE, SP_H},
    {"swell_harm_osc", SP_G_SWELL, SP_OT_IN_GATE, SP_W_GATE, SP_H},
    {"harm_sag_osc", SP_G_SAG, SP_OT_FREE, SP_W_LONG, SP_H},
    {"harm_swell_osc", SP_G_SWELL, SP_OT_FREE, SP_W_LONG, SP_H},
    {"harm_sag_flicker_osc", SP_G_SAG, SP_OT_FREE, SP_W_LONG, SP_H | SP_F},
    {"harm_swell_flicker_osc", SP_G_SWELL, SP_OT_FREE, SP_W_LONG, SP_H | SP_F},
    {"sag_harm_flicker_osc", SP_G_SAG, SP_OT_IN_GATE, SP_W_GATE, SP_H | SP_F},
    {"swell_harm_flicker_osc", SP_G_SWELL, SP_OT_IN_GATE, SP_W_GATE, SP_H | SP_F},
};

/* One disturbance: drawn parameters and gates. Sample indices j count from the window start
 * (the snippet start, or the event start in a stream); every gate is [x0, x1). */
typedef struct {
    unsigned cls;
    uint64_t start, len;              /* stream: event window in recording samples */
    double g;                         /* gated change: -alpha, +beta or -rho; 0 = no gate */
    uint64_t g0, g1;                  /* sag/swell/interruption gate u */
    double a3, a5, a7, th3, th5, th7; /* harmonics */
    double lam, ffw;                  /* flicker depth, 2 pi ff / fs (rad per sample) */
    double ota, otw, otk, otth;       /* OT: beta, 2 pi fn / fs, 1 / (tau fs), theta */
    uint64_t o0, o1;
    double psi, ts; /* impulsive transient: psi, 1 / fs */
    uint64_t i0, i1;
    double nk, nsec, nlo, nhi, nref; /* notch: depth, 2 pi / c, [nlo, nhi) within a sector */
} sp__dist_t;

typedef struct {
    FILE *f;
    size_t n;
    int bad;
    char *buf;
} sp__out_t;

const char *vgh_pq_class_name(unsigned cls)
{
    return cls >= 1 && cls <= VGH_PQ_NCLASSES ? sp__cls[cls].name : NULL;
}

/* Class number from an item of n characters (digits or a name); 0 when unknown. */
static unsigned sp__class_of(const char *p, size_t n)
{
    if (n > 0 && n <= 2 && p[0] >= '0' && p[0] <= '9' && (n == 1 || (p[1] >= '0' && p[1] <= '9')))
        return n == 1 ? (unsigned)(p[0] - '0') : (unsigned)((p[0] - '0') * 10 + (p[1] - '0'));
    for (unsigned c = 1; c <= VGH_PQ_NCLASSES; c++)
        if (strlen(sp__cls[c].name) == n && memcmp(sp__cls[c].name, p, n) == 0)
            return c;
    return 0;
}

int vgh_pq_classes_parse(const char *list, uint32_t *mask, char *err, size_t errlen)
{
    if (list == NULL || mask == NULL) {
        vgh_errf(err, errlen, "--classes: no list given");
        return -1;
    }
    uint32_t m = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        const char *dash = memchr(p, '-', n);
        unsigned lo = 0, hi = 0;
        if (n == 3 && memcmp(p, "all", 3) == 0) {
            lo = 1;
            hi = VGH_PQ_NCLASSES;
        } else if (dash != NULL) {
            lo = sp__class_of(p, (size_t)(dash - p));
            hi = sp__class_of(dash + 1, n - (size_t)(dash - p) - 1);
        } else {
            lo = hi = sp__class_of(p, n);
        }
        if (n == 0 || lo < 1 || hi < lo || hi > VGH_PQ_NCLASSES) {
            int s = n > 40 ? 40 : (int)n;
            vgh_errf(err, errlen,
                     "--classes: %s '%.*s%s' (use numbers 1-%u, ranges like 5-9, class names or "
                     "all)",
                     n == 0                ? "empty item"
                     : hi < lo && lo && hi ? "reversed range"
                                           : "unknown class",
                     s, p, n > 40 ? "..." : "", VGH_PQ_NCLASSES);
            return -1;
        }
        for (unsigned c = lo; c <= hi; c++)
            m |= 1u << (c - 1);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *mask = m;
    return 0;
}

void vgh_simpower_defaults(vgh_simpower_cfg_t *c)
{
    c->fs = 6400.0;
    c->f0 = 50.0;
    c->freq_dev = 0.05;
    c->amp = 1.0;
    c->snr_db = INFINITY;
    c->seed = 1;
    c->classes = 0;
    c->per_class = 100;
    c->cycles = 10;
    c->minutes = 60.0;
    c->events_per_hour = 60.0;
    c->current = 0;
    c->cur_amp = 1.0;
}

static uint32_t sp__mask(const vgh_simpower_cfg_t *c)
{
    return c->classes == 0 ? VGH_PQ_ALL : c->classes;
}

static double sp__uni(vgh_rng_t *r, double a, double b)
{
    return a + (b - a) * vgh_rng_uniform(r);
}

/* A duration in samples, rounded, at least 1. */
static uint64_t sp__ns(double x)
{
    double n = floor(x + 0.5);
    return n < 1.0 ? 1u : (uint64_t)n;
}

/* Longest stream event window of class c, in samples. */
static uint64_t sp__max_window(unsigned c, double fs, double spc)
{
    switch (sp__cls[c].win) {
    case SP_W_GATE: return sp__ns(30.0 * spc);
    case SP_W_LONG: return sp__ns(50.0 * spc);
    case SP_W_OT: return sp__ns(3.0 * spc);
    case SP_W_IMP: return sp__ns(0.001 * fs);
    default: return 0;
    }
}

int vgh_simpower_check(const vgh_simpower_cfg_t *c, int mode, char *err, size_t errlen)
{
    if (c == NULL || (mode != VGH_SIMPOWER_SNIPPETS && mode != VGH_SIMPOWER_STREAM)) {
        vgh_errf(err, errlen, "sim_power: %s", c == NULL ? "NULL configuration" : "unknown mode");
        return -1;
    }
    const struct {
        const char *name, *unit;
        double v, lo, hi;
        int open_lo;
    } r[] = {
        {"fs", " Hz", c->fs, 1000.0, 1e6, 0},
        {"f0", " Hz", c->f0, 40.0, 100.0, 0},
        {"freq_dev", " Hz", c->freq_dev, 0.0, 2.0, 0},
        {"amp", " pu", c->amp, 0.0, 1e6, 1},
        {"minutes", "", c->minutes, 0.0, 1e7, 1},
        {"events_per_hour", "", c->events_per_hour, 0.0, 1e5, 0},
        {"cur_amp", " pu", c->cur_amp, 0.0, 1e6, 1},
    };
    size_t nr = mode == VGH_SIMPOWER_STREAM ? (c->current ? 7u : 6u) : 4u;
    for (size_t i = 0; i < nr; i++) {
        if (!isfinite(r[i].v) || r[i].v > r[i].hi ||
            (r[i].open_lo ? !(r[i].v > r[i].lo) : r[i].v < r[i].lo)) {
            vgh_errf(err, errlen, "sim_power: %s must be in %s%g, %g] (got %g%s)", r[i].name,
                     r[i].open_lo ? "(" : "[", r[i].lo, r[i].hi, r[i].v, r[i].unit);
            return -1;
        }
    }
    if (isnan(c->snr_db) || (isfinite(c->snr_db) ? c->snr_db < -10.0 : c->snr_db < 0.0)) {
        vgh_errf(err, errlen, "sim_power: snr_db must be >= -10 dB or INFINITY (got %g)",
                 c->snr_db);
        return -1;
    }
    if (c->classes & ~VGH_PQ_ALL) {
        vgh_errf(err, errlen, "sim_power: classes has bits beyond class %u (0x%X)", VGH_PQ_NCLASSES,
                 (unsigned)(c->classes & ~VGH_PQ_ALL));
        return -1;
    }
    uint32_t mask = sp__mask(c);
    double fh = c->f0 + c->freq_dev, fmax = fh;
    const char *what = "fundamental";
    for (unsigned k = 1; k <= VGH_PQ_NCLASSES; k++) {
        if (!(mask & (1u << (k - 1))))
            continue;
        const struct {
            int on;
            double f;
            const char *w;
        } comp[] = {{sp__cls[k].flags & SP_F, fh + 25.0, "flicker sideband"},
                    {sp__cls[k].flags & SP_H, 5.0 * fh, "5th harmonic"},
                    {sp__cls[k].flags & SP_H7, 7.0 * fh, "7th harmonic (class 7)"},
                    {sp__cls[k].ot != SP_OT_NONE, 900.0, "oscillatory transient"}};
        for (size_t i = 0; i < sizeof comp / sizeof comp[0]; i++)
            if (comp[i].on && comp[i].f > fmax) {
                fmax = comp[i].f;
                what = comp[i].w;
            }
    }
    if (c->fs < 2.5 * fmax) {
        vgh_errf(err, errlen,
                 "sim_power: fs %g Hz is below 2.5 x %g Hz = %g Hz, the highest component (%s) "
                 "of the selected classes",
                 c->fs, fmax, 2.5 * fmax, what);
        return -1;
    }
    double spc = c->fs / c->f0;
    if (mode == VGH_SIMPOWER_SNIPPETS) {
        int badc = c->cycles < 3 || c->cycles > 100;
        if (badc || c->per_class < 1 || c->per_class > 1000000) {
            vgh_errf(err, errlen, "sim_power: %s must be in [%s] (got %u)",
                     badc ? "cycles" : "per_class", badc ? "3, 100" : "1, 1000000",
                     badc ? c->cycles : c->per_class);
            return -1;
        }
        return 0;
    }
    double rows = floor(c->minutes * 60.0 * c->fs + 0.5);
    if (rows < 1.0 || rows > SP_MAX_ROWS) {
        vgh_errf(err, errlen, "sim_power: %g min at %g Hz gives %.0f rows (need 1 to 2^53)",
                 c->minutes, c->fs, rows);
        return -1;
    }
    double nev = floor(c->minutes / 60.0 * c->events_per_hour + 0.5);
    uint64_t wmax = 0;
    for (unsigned k = 2; k <= VGH_PQ_NCLASSES; k++)
        if (mask & (1u << (k - 1)) && sp__max_window(k, c->fs, spc) > wmax)
            wmax = sp__max_window(k, c->fs, spc);
    if (nev > 1e7) {
        vgh_errf(err, errlen, "sim_power: %.0f events are too many (at most 1e7)", nev);
        return -1;
    }
    double gap = ceil(SP_GAP_CYC * spc);
    double need = wmax == 0 ? 0.0 : nev * ((double)wmax + gap) + gap;
    if (need > rows) {
        vgh_errf(err, errlen,
                 "sim_power: %.0f events of up to %.3g s with %g cycles of normal signal "
                 "around each need up to %.4g s, but the recording is %.4g s; lower "
                 "events_per_hour or record longer",
                 nev, (double)wmax / c->fs, SP_GAP_CYC, need / c->fs, rows / c->fs);
        return -1;
    }
    return 0;
}

/* Amplitudes, frequencies and phases of class cls (the same in both modes). */
static void sp__draw_params(sp__dist_t *d, unsigned cls, double fs, vgh_rng_t *r)
{
    memset(d, 0, sizeof *d);
    d->cls = cls;
    switch (sp__cls[cls].gate) {
    case SP_G_SAG: d->g = -sp__uni(r, 0.1, 0.9); break;
    case SP_G_SWELL: d->g = sp__uni(r, 0.1, 0.8); break;
    case SP_G_INT: d->g = -sp__uni(r, 0.9, 1.0); break;
    default: break;
    }
    unsigned fl = sp__cls[cls].flags;
    if (fl & SP_H) {
        d->a3 = sp__uni(r, 0.05, 0.15);
        d->a5 = sp__uni(r, 0.05, 0.15);
        d->th3 = sp__uni(r, -SP_PI, SP_PI);
        d->th5 = sp__uni(r, -SP_PI, SP_PI);
    }
    if (fl & SP_H7) {
        d->a7 = sp__uni(r, 0.05, 0.15);
        d->th7 = sp__uni(r, -SP_PI, SP_PI);
    }
    if (fl & SP_F) {
        d->lam = sp__uni(r, 0.05, 0.1);
        d->ffw = 2.0 * SP_PI * sp__uni(r, 8.0, 25.0) / fs;
    }
    if (sp__cls[cls].ot != SP_OT_NONE) {
        d->ota = sp__uni(r, 0.1, 0.8);
        d->otw = 2.0 * SP_PI * sp__uni(r, 300.0, 900.0) / fs;
        d->otk = 1.0 / (sp__uni(r, 0.008, 0.040) * fs);
        d->otth = sp__uni(r, -SP_PI, SP_PI);
    }
    if (fl & SP_IMP) {
        d->psi = sp__uni(r, 0.222, 1.11);
        d->ts = 1.0 / fs;
    }
    if (fl & SP_NOTCH) {
        static const double cs[4] = {1.0, 2.0, 4.0, 6.0};
        double nc = cs[vgh_rng_below(r, 4)];
        d->nk = sp__uni(r, 0.1, 0.4);
        double w = sp__uni(r, 0.01, 0.05);   /* td - tc, in periods */
        double td = sp__uni(r, w, 1.0 / nc); /* td in [0, T/c] with tc = td - w >= 0 */
        d->nsec = 2.0 * SP_PI / nc;
        d->nlo = 2.0 * SP_PI * (td - w);
        d->nhi = 2.0 * SP_PI * td;
    }
}

/* An OT inside the gate: length U(T/5, gate length) samples, ending within the gate. */
static void sp__ot_in_gate(sp__dist_t *d, double spc, vgh_rng_t *r)
{
    uint64_t lg = d->g1 - d->g0, lo = sp__ns(spc / 5.0);
    if (lo > lg)
        lo = lg;
    uint64_t l = lo + vgh_rng_below(r, lg - lo + 1);
    d->o0 = d->g0 + vgh_rng_below(r, lg - l + 1);
    d->o1 = d->o0 + l;
}

/* Snippet gates (P samples of n cycles), as in the paper: gate U(1, n-1) cycles anywhere,
 * impulse start U(1, n-1) cycles with a 1 ms gate, stand-alone OT U(0.5, n/3.33) cycles. */
static void sp__place_snippet(sp__dist_t *d, unsigned n, double spc, double fs, uint64_t P,
                              vgh_rng_t *r)
{
    double nc = (double)n;
    if (sp__cls[d->cls].gate != SP_G_NONE) {
        uint64_t l = sp__ns(sp__uni(r, 1.0, nc - 1.0) * spc);
        l = l > P ? P : l;
        d->g0 = vgh_rng_below(r, P - l + 1);
        d->g1 = d->g0 + l;
    }
    if (sp__cls[d->cls].ot == SP_OT_FREE) {
        uint64_t l = sp__ns(sp__uni(r, 0.5, nc / 3.33) * spc);
        l = l > P ? P : l;
        d->o0 = vgh_rng_below(r, P - l + 1);
        d->o1 = d->o0 + l;
    } else if (sp__cls[d->cls].ot == SP_OT_IN_GATE) {
        sp__ot_in_gate(d, spc, r);
    }
    if (sp__cls[d->cls].flags & SP_IMP) {
        d->i0 = sp__ns(sp__uni(r, 1.0, nc - 1.0) * spc);
        d->i1 = d->i0 + sp__ns(0.001 * fs);
        d->i1 = d->i1 > P ? P : d->i1;
    }
}

/* Stream window and the gates inside it (see docs/power-simulation.md). */
static void sp__place_stream(sp__dist_t *d, double spc, double fs, vgh_rng_t *r)
{
    switch (sp__cls[d->cls].win) {
    case SP_W_GATE:
        d->len = sp__ns(sp__uni(r, 0.5, 30.0) * spc);
        d->g0 = 0;
        d->g1 = d->len;
        break;
    case SP_W_IMP:
        d->len = sp__ns(0.001 * fs);
        d->i0 = 0;
        d->i1 = d->len;
        break;
    case SP_W_OT:
        d->len = sp__ns(sp__uni(r, 0.5, 3.0) * spc);
        d->o0 = 0;
        d->o1 = d->len;
        break;
    default: {
        d->len = sp__ns(sp__uni(r, 5.0, 50.0) * spc);
        double wc = (double)d->len / spc;
        if (sp__cls[d->cls].gate != SP_G_NONE) {
            uint64_t l = sp__ns(sp__uni(r, 0.5, fmin(30.0, wc - 1.0)) * spc);
            l = l > d->len ? d->len : l;
            d->g0 = vgh_rng_below(r, d->len - l + 1);
            d->g1 = d->g0 + l;
        }
        if (sp__cls[d->cls].ot == SP_OT_FREE) {
            uint64_t l = sp__ns(sp__uni(r, 0.5, 3.0) * spc);
            l = l > d->len ? d->len : l;
            d->o0 = vgh_rng_below(r, d->len - l + 1);
            d->o1 = d->o0 + l;
        }
    } break;
    }
    if (sp__cls[d->cls].ot == SP_OT_IN_GATE)
        sp__ot_in_gate(d, spc, r);
}

/* Sample j of the window, in units of A, for fundamental phase ph (fundamental = sin ph).
 * *m receives the gain applied to the fundamental (used to scale the current). Equations:
 * Igual et al. 2018, with H = sin ph + a3 sin(3ph - th3) + a5 sin(5ph - th5),
 * F = 1 + lam sin(2 pi ff t), gu = g inside the gate u, ot = beta OT(t) inside its gate. */
static double sp__value(const sp__dist_t *d, uint64_t j, double ph, double *m)
{
    unsigned fl = sp__cls[d->cls].flags;
    double s = sin(ph), h = 0.0, F = 1.0, ot = 0.0, gu = 0.0, v;
    if (fl & SP_H)
        h = d->a3 * sin(3.0 * ph - d->th3) + d->a5 * sin(5.0 * ph - d->th5);
    if (fl & SP_F)
        F = 1.0 + d->lam * sin(d->ffw * (double)j);
    if (j >= d->o0 && j < d->o1 && d->ota != 0.0) {
        double x = (double)(j - d->o0);
        ot = d->ota * exp(-x * d->otk) * sin(d->otw * x - d->otth);
    }
    if (j >= d->g0 && j < d->g1)
        gu = d->g;
    double H = s + h;
    *m = 1.0;
    switch (d->cls) {
    case 5: /* s - psi [e^(-750 t) - e^(-344 t)] inside the 1 ms gate (t from its start) */
        v = s;
        if (j >= d->i0 && j < d->i1) {
            double x = (double)(j - d->i0) * d->ts;
            v -= d->psi * (exp(-750.0 * x) - exp(-344.0 * x));
        }
        break;
    case 6: v = s + ot; break;
    case 7: v = H + d->a7 * sin(7.0 * ph - d->th7); break;
    case 10:
        v = s * F;
        *m = F;
        break;
    case 11:
    case 12: /* s [lam sin(2 pi ff t) + (1 + gu)] */
        v = s * (F + gu);
        *m = F + gu;
        break;
    case 15:
    case 16:
    case 22:
    case 23: /* s + H gu (+ beta OT inside the gate) */
        v = s + gu * H + ot;
        *m = 1.0 + gu;
        break;
    case 17: {
        double x = fmod(ph + d->nref, d->nsec);
        x = x < 0.0 ? x + d->nsec : x;
        v = (x >= d->nlo && x < d->nhi) ? s - (s > 0.0 ? d->nk : s < 0.0 ? -d->nk : 0.0) : s;
        break;
    }
    case 18:
    case 19:
    case 26:
    case 27: /* [H (1 + gu) + beta OT] F */
        v = ((1.0 + gu) * H + ot) * F;
        *m = (1.0 + gu) * F;
        break;
    case 20:
    case 21:
    case 28:
    case 29: /* s + (H gu + beta OT) F */
        v = s + (gu * H + ot) * F;
        *m = 1.0 + gu * F;
        break;
    case 8:
    case 9:
    case 24:
    case 25: /* H (1 + gu) + beta OT */
        v = (1.0 + gu) * H + ot;
        *m = 1.0 + gu;
        break;
    default: /* 1 pure; 2, 3, 4 sag, swell, interruption; 13, 14 with OT inside */
        v = (1.0 + gu) * s + ot;
        *m = 1.0 + gu;
        break;
    }
    return v;
}

static int sp__out_open(sp__out_t *o, FILE *f)
{
    o->f = f;
    o->n = 0;
    o->bad = 0;
    o->buf = malloc(SP_OBUF);
    return o->buf == NULL ? -1 : 0;
}

static void sp__flush(sp__out_t *o)
{
    if (o->n > 0 && fwrite(o->buf, 1, o->n, o->f) != o->n)
        o->bad = 1;
    o->n = 0;
}

/* Room for one row (rows are far shorter than 256 bytes). */
static char *sp__row(sp__out_t *o)
{
    if (o->n > SP_OBUF - 256u)
        sp__flush(o);
    return o->buf + o->n;
}

static void sp__end_row(sp__out_t *o, char *p)
{
    *p++ = '\n';
    o->n = (size_t)(p - o->buf);
}

static char *sp__u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v > 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

/* v with 6 decimals, like "%.6f" but without "-0.000000" and much faster than printf. */
static char *sp__fix6(char *p, double v)
{
    double s = v * 1e6;
    if (!(fabs(s) < 9.0e18)) {
        int k = snprintf(p, 64, "%.6g", v);
        return p + (k < 0 ? 0 : k > 63 ? 63 : k);
    }
    long long q = llround(s);
    if (q < 0) {
        *p++ = '-';
        q = -q;
    }
    uint64_t uq = (uint64_t)q, fr = uq % 1000000u;
    p = sp__u64(p, uq / 1000000u);
    *p++ = '.';
    for (int k = 5; k >= 0; k--) {
        p[k] = (char)('0' + fr % 10u);
        fr /= 10u;
    }
    return p + 6;
}

static char *sp__field(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

/* Noise power divisor 10^(snr/10), or 0 for no noise. */
static double sp__snr_div(double snr_db)
{
    return isfinite(snr_db) ? pow(10.0, snr_db / 10.0) : 0.0;
}

static int sp__finish(sp__out_t *o, char *err, size_t errlen)
{
    sp__flush(o);
    free(o->buf);
    if (o->bad || fflush(o->f) != 0 || ferror(o->f)) {
        vgh_errf(err, errlen, "sim_power: write error");
        return -1;
    }
    return 0;
}

int vgh_sim_power_snippets(const vgh_simpower_cfg_t *c, FILE *out, char *err, size_t errlen)
{
    if (out == NULL) {
        vgh_errf(err, errlen, "sim_power: NULL output");
        return -1;
    }
    if (vgh_simpower_check(c, VGH_SIMPOWER_SNIPPETS, err, errlen) != 0)
        return -1;
    uint32_t mask = sp__mask(c);
    size_t nsel = 0;
    for (unsigned k = 1; k <= VGH_PQ_NCLASSES; k++)
        nsel += (mask >> (k - 1)) & 1u;
    size_t nseg = (size_t)c->per_class * nsel;
    double spc = c->fs / c->f0;
    uint64_t P = sp__ns((double)c->cycles * spc);
    unsigned char *order = malloc(nseg);
    double *buf = malloc((size_t)P * sizeof *buf);
    sp__out_t o = {0};
    if (order == NULL || buf == NULL || sp__out_open(&o, out) != 0) {
        free(order);
        free(buf);
        vgh_errf(err, errlen, "sim_power: out of memory for %zu segments of %llu samples", nseg,
                 (unsigned long long)P);
        return -1;
    }
    size_t n = 0;
    for (unsigned k = 1; k <= VGH_PQ_NCLASSES; k++)
        for (unsigned i = 0; i < c->per_class && (mask & (1u << (k - 1))); i++)
            order[n++] = (unsigned char)k;
    /* Streams: the order, then two per segment (waveform, noise), so segment s looks the
     * same whatever the noise setting. */
    vgh_rng_t seeder, rord, rw, rn;
    vgh_rng_seed(&seeder, c->seed);
    vgh_rng_seed(&rord, vgh_rng_u64(&seeder));
    for (size_t j = nseg; j > 1; j--) { /* Fisher-Yates */
        size_t r = (size_t)vgh_rng_below(&rord, j);
        unsigned char t = order[j - 1];
        order[j - 1] = order[r];
        order[r] = t;
    }
    double div = sp__snr_div(c->snr_db);
    char *p = sp__row(&o);
    sp__end_row(&o, sp__field(p, "segment,t,v,class"));
    for (size_t s = 0; s < nseg && !o.bad; s++) {
        vgh_rng_seed(&rw, vgh_rng_u64(&seeder));
        vgh_rng_seed(&rn, vgh_rng_u64(&seeder));
        unsigned cls = order[s];
        double f = c->f0 + c->freq_dev * (2.0 * vgh_rng_uniform(&rw) - 1.0);
        double phi = sp__uni(&rw, -SP_PI, SP_PI);
        sp__dist_t d;
        sp__draw_params(&d, cls, c->fs, &rw);
        d.nref = phi; /* notches at tc + m T / c from t = 0, as in the paper */
        sp__place_snippet(&d, c->cycles, spc, c->fs, P, &rw);
        double w = 2.0 * SP_PI * f / c->fs, pw = 0.0, m;
        for (uint64_t j = 0; j < P; j++) {
            buf[j] = c->amp * sp__value(&d, j, w * (double)j - phi, &m);
            pw += buf[j] * buf[j];
        }
        double sd = div > 0.0 ? sqrt(pw / (double)P / div) : 0.0;
        char cl[4];
        *sp__u64(cl, cls) = '\0';
        for (uint64_t j = 0; j < P; j++) {
            double v = buf[j] + (sd > 0.0 ? sd * vgh_rng_normal(&rn) : 0.0);
            p = sp__row(&o);
            p = sp__u64(p, s);
            *p++ = ',';
            p = sp__fix6(p, (double)j / c->fs);
            *p++ = ',';
            p = sp__fix6(p, v);
            *p++ = ',';
            sp__end_row(&o, sp__field(p, cl));
        }
    }
    free(order);
    free(buf);
    return sp__finish(&o, err, errlen);
}

static int sp__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Draw the events (classes in turn, shuffled), their windows, and place them: with
 * slack = N - (sum len + (K + 1) gap), event i starts at gap + sum_{j<i}(len_j + gap) + u_i
 * with sorted uniform u_i in [0, slack]. vgh_simpower_check() made slack >= 0 certain. */
static int sp__plan(const vgh_simpower_cfg_t *c, uint64_t N, vgh_rng_t *r, sp__dist_t **out,
                    size_t *nout)
{
    uint32_t mask = sp__mask(c);
    unsigned sel[VGH_PQ_NCLASSES], nk = 0;
    for (unsigned k = 2; k <= VGH_PQ_NCLASSES; k++)
        if (mask & (1u << (k - 1)))
            sel[nk++] = k;
    size_t nev = nk == 0 ? 0 : (size_t)floor(c->minutes / 60.0 * c->events_per_hour + 0.5);
    *out = NULL;
    *nout = 0;
    if (nev == 0)
        return 0;
    sp__dist_t *ev = malloc(nev * sizeof *ev);
    uint64_t *u = malloc(nev * sizeof *u);
    unsigned *cl = malloc(nev * sizeof *cl);
    if (ev == NULL || u == NULL || cl == NULL) {
        free(ev);
        free(u);
        free(cl);
        return -1;
    }
    for (size_t i = 0; i < nev; i++)
        cl[i] = sel[i % nk];
    for (size_t j = nev; j > 1; j--) {
        size_t k = (size_t)vgh_rng_below(r, j);
        unsigned t = cl[j - 1];
        cl[j - 1] = cl[k];
        cl[k] = t;
    }
    double spc = c->fs / c->f0;
    uint64_t gap = (uint64_t)ceil(SP_GAP_CYC * spc), total = gap;
    for (size_t i = 0; i < nev; i++) {
        sp__draw_params(&ev[i], cl[i], c->fs, r);
        sp__place_stream(&ev[i], spc, c->fs, r);
        ev[i].nref = sp__uni(r, -SP_PI, SP_PI);
        total += ev[i].len + gap;
    }
    uint64_t slack = N - total;
    for (size_t i = 0; i < nev; i++)
        u[i] = vgh_rng_below(r, slack + 1);
    qsort(u, nev, sizeof *u, sp__cmp_u64);
    uint64_t pos = gap;
    for (size_t i = 0; i < nev; i++) {
        ev[i].start = pos + u[i];
        pos += ev[i].len + gap;
    }
    free(u);
    free(cl);
    *out = ev;
    *nout = nev;
    return 0;
}

int vgh_sim_power_stream(const vgh_simpower_cfg_t *c, FILE *out, char *err, size_t errlen)
{
    if (out == NULL) {
        vgh_errf(err, errlen, "sim_power: NULL output");
        return -1;
    }
    if (vgh_simpower_check(c, VGH_SIMPOWER_STREAM, err, errlen) != 0)
        return -1;
    uint64_t N = (uint64_t)floor(c->minutes * 60.0 * c->fs + 0.5);
    /* Independent streams: events, frequency, noise, current parameters. */
    vgh_rng_t seeder, rplan, rfreq, rnoise, rcur;
    vgh_rng_seed(&seeder, c->seed);
    vgh_rng_seed(&rplan, vgh_rng_u64(&seeder));
    vgh_rng_seed(&rfreq, vgh_rng_u64(&seeder));
    vgh_rng_seed(&rnoise, vgh_rng_u64(&seeder));
    vgh_rng_seed(&rcur, vgh_rng_u64(&seeder));
    sp__dist_t *ev = NULL;
    size_t nev = 0, k = 0;
    sp__out_t o = {0};
    if (sp__plan(c, N, &rplan, &ev, &nev) != 0 || sp__out_open(&o, out) != 0) {
        free(ev);
        vgh_errf(err, errlen, "sim_power: out of memory");
        return -1;
    }
    /* Current: power factor cos(theta) in [0.8, 1] (lagging), modest 3rd and 5th. */
    double th = acos(sp__uni(&rcur, 0.8, 1.0)), c3 = sp__uni(&rcur, 0.02, 0.08);
    double c5 = sp__uni(&rcur, 0.01, 0.05), p3 = sp__uni(&rcur, -SP_PI, SP_PI);
    double p5 = sp__uni(&rcur, -SP_PI, SP_PI);
    /* Frequency: linear between knots f0 + U(-dev, dev) every SP_KNOT_S seconds, drawn
     * independently of the events so that no frequency change marks an event boundary. */
    double ph = sp__uni(&rfreq, -SP_PI, SP_PI);
    uint64_t K = sp__ns(SP_KNOT_S * c->fs), kpos = 0;
    double fa = c->f0 + c->freq_dev * (2.0 * vgh_rng_uniform(&rfreq) - 1.0);
    double fb = c->f0 + c->freq_dev * (2.0 * vgh_rng_uniform(&rfreq) - 1.0);
    double div = sp__snr_div(c->snr_db);
    double sdv = div > 0.0 ? c->amp / sqrt(2.0 * div) : 0.0;
    double sdi = div > 0.0 ? c->cur_amp / sqrt(2.0 * div) : 0.0;
    char *p = sp__row(&o);
    sp__end_row(&o, sp__field(p, c->current ? "t,v,i,label,class" : "t,v,label,class"));
    for (uint64_t i = 0; i < N && !o.bad; i++) {
        while (k < nev && i >= ev[k].start + ev[k].len)
            k++;
        const sp__dist_t *d = k < nev && i >= ev[k].start ? &ev[k] : NULL;
        double m = 1.0;
        double v = c->amp * (d ? sp__value(d, i - d->start, ph, &m) : sin(ph));
        if (sdv > 0.0)
            v += sdv * vgh_rng_normal(&rnoise);
        p = sp__row(&o);
        p = sp__fix6(p, (double)i / c->fs);
        *p++ = ',';
        p = sp__fix6(p, v);
        *p++ = ',';
        if (c->current) {
            double q = ph - th;
            double cur =
                c->cur_amp * m * (sin(q) + c3 * sin(3.0 * q - p3) + c5 * sin(5.0 * q - p5));
            if (sdi > 0.0)
                cur += sdi * vgh_rng_normal(&rnoise);
            p = sp__fix6(p, cur);
            *p++ = ',';
        }
        if (d) {
            p = sp__field(p, "1,");
            p = sp__u64(p, d->cls);
        } else {
            p = sp__field(p, "0,1");
        }
        sp__end_row(&o, p);
        double f = fa + (fb - fa) * (double)(i - kpos) / (double)K;
        ph += 2.0 * SP_PI * f / c->fs;
        if (ph >= SP_PI)
            ph -= 2.0 * SP_PI;
        if (i + 1 - kpos == K) {
            fa = fb;
            fb = c->f0 + c->freq_dev * (2.0 * vgh_rng_uniform(&rfreq) - 1.0);
            kpos += K;
        }
    }
    free(ev);
    return sp__finish(&o, err, errlen);
}
