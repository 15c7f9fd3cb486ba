/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include "plots.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLOTS_HIST_BINS 60u
#define PLOTS_PATH_MAX  4096u

/* Colours: one place so the figures stay consistent with each other. */
#define PLOTS_C_SIGNAL "#1f77b4"
#define PLOTS_C_RECON  "#2ca02c"
#define PLOTS_C_PRED   "#d62728"
#define PLOTS_C_LABEL  "#ffd9a8"
#define PLOTS_C_SCORE  "#6a3d9a"
#define PLOTS_C_NORMAL "#1f77b4"

/* Names inside the temporary folder; the script refers to them relative to `dir`. */
static const char *const plots__dat[] = {"signal.dat", "recon.dat", "raw.dat", "pred.dat",
                                         "hist.dat",   "roc.dat",   "feat.dat"};
enum { DAT_SIGNAL, DAT_RECON, DAT_RAW, DAT_PRED, DAT_HIST, DAT_ROC, DAT_FEAT, DAT_COUNT };
#define PLOTS_MAX_FEAT 6

typedef struct {
    const vgh_plot_input_t *in;
    char tmp[PLOTS_PATH_MAX]; /* <dir>/.vgh_plot_XXXXXX */
    const char *tmp_rel;      /* .vgh_plot_XXXXXX, relative to dir */
    size_t bucket;            /* rows per thinning bucket (1 = no thinning) */
    double t0, xmax;          /* first time (s), last time (h from t0) */
    /* score statistics */
    int have_raw;
    double raw_min, raw_max, raw_med, raw_q999;
    /* histogram */
    int have_hist, hist_logx, hist_logy, hist_clipped, have_anom;
    double hist_lo, hist_hi;
    /* operating point of pred against label */
    double op_fpr, op_tpr;
    int have_op;
    size_t npts[DAT_COUNT]; /* points written per data file (0 = file absent or empty) */
} plots_ctx_t;

static int plots__fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static double plots__hours(const plots_ctx_t *c, size_t i)
{
    return (c->in->t[i] - c->t0) / 3600.0;
}

/*
 * Write s as a gnuplot single-quoted string. Inside '...' gnuplot interprets nothing
 * (no backslash escapes, no @macros) except '' for a quote; control characters would
 * end the command, so they become spaces.
 */
static void plots__quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\'')
            fputs("''", f);
        else if (ch < 0x20u || ch == 0x7Fu)
            fputc(' ', f);
        else
            fputc(ch, f);
    }
    fputc('\'', f);
}

/* Quoted path of a data file, relative to the output directory. */
static void plots__quote_dat(FILE *f, const plots_ctx_t *c, int which)
{
    char rel[128];
    snprintf(rel, sizeof rel, "%s/%s", c->tmp_rel, plots__dat[which]);
    plots__quote(f, rel);
}

static FILE *plots__open_dat(const plots_ctx_t *c, int which, char *err, size_t errlen)
{
    char path[PLOTS_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", c->tmp, plots__dat[which]);
    FILE *f = fopen(path, "w");
    if (!f)
        plots__fail(err, errlen, "plots: cannot write '%s': %s", path, strerror(errno));
    return f;
}

static int plots__close(FILE *f, const char *what, char *err, size_t errlen)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return plots__fail(err, errlen, "plots: write error on %s", what);
    return 0;
}

/*
 * One series as "hours value" lines. Unthinned: every finite row, a blank line (a line
 * break for gnuplot) at each run of NaN/inf. Thinned: per bucket the minimum and maximum in
 * row order, so spikes survive; an all-NaN bucket becomes a break. With `mask`, only
 * rows whose mask is set are used and no breaks are written (the series is points).
 */
static size_t plots__series(FILE *f, const plots_ctx_t *c, const float *v, const uint8_t *mask)
{
    size_t n = c->in->n, b = c->bucket, pts = 0;
    int broken = 1;
    for (size_t a = 0; a < n; a += b) {
        size_t e = a + b < n ? a + b : n;
        size_t lo = SIZE_MAX, hi = SIZE_MAX;
        for (size_t i = a; i < e; i++) {
            if (!isfinite(v[i]) || (mask && !mask[i]))
                continue;
            if (lo == SIZE_MAX || v[i] < v[lo])
                lo = i;
            if (hi == SIZE_MAX || v[i] > v[hi])
                hi = i;
        }
        if (lo == SIZE_MAX) {
            if (!mask && !broken)
                fputc('\n', f);
            broken = 1;
            continue;
        }
        size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
        fprintf(f, "%.10g %.9g\n", plots__hours(c, first), (double)v[first]);
        pts++;
        if (second != first) {
            fprintf(f, "%.10g %.9g\n", plots__hours(c, second), (double)v[second]);
            pts++;
        }
        broken = 0;
    }
    return pts;
}

static void plots__rect(FILE *f, double x0, double x1, double y0, double y1, const char *style)
{
    fprintf(f, "set object rect from first %.10g, graph %g to first %.10g, graph %g %s\n", x0, y0,
            x1, y1, style);
}

/*
 * Runs of nonzero flags as rectangles spanning [t(start), t(end + 1)) in hours. Runs
 * closer than ~1 px are merged and every span is at least ~2 px wide, so the object
 * count stays near the plot width however much the flags flicker.
 */
static void plots__spans(FILE *f, const plots_ctx_t *c, const uint8_t *flag, double y0, double y1,
                         const char *style)
{
    size_t n = c->in->n;
    double px = (c->xmax > 0.0 ? c->xmax : 1.0 / 3600.0) / 1100.0;
    double cur0 = 0.0, cur1 = 0.0;
    int open = 0;
    for (size_t i = 0; i < n; i++) {
        if (!flag[i] || (i > 0 && flag[i - 1]))
            continue;
        size_t j = i;
        while (j + 1 < n && flag[j + 1])
            j++;
        double x0 = plots__hours(c, i);
        double x1 = plots__hours(c, j + 1 < n ? j + 1 : j);
        if (x1 - x0 < 2.0 * px) {
            double mid = 0.5 * (x0 + x1);
            x0 = mid - px;
            x1 = mid + px;
        }
        if (open && x0 <= cur1 + px) {
            cur1 = x1 > cur1 ? x1 : cur1;
        } else {
            if (open)
                plots__rect(f, cur0, cur1, y0, y1, style);
            cur0 = x0;
            cur1 = x1;
            open = 1;
        }
        i = j;
    }
    if (open)
        plots__rect(f, cur0, cur1, y0, y1, style);
}

static int plots__cmp_float(const void *pa, const void *pb)
{
    float a = *(const float *)pa, b = *(const float *)pb;
    return (a > b) - (a < b);
}

/* Sorted copy of the finite values of v (optionally where label == want). */
static float *plots__sorted(const float *v, size_t n, const uint8_t *label, int want, size_t *count)
{
    float *out = malloc((n ? n : 1u) * sizeof *out);
    size_t m = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && (!label || (label[i] != 0) == want))
            out[m++] = v[i];
    qsort(out, m, sizeof *out, plots__cmp_float);
    *count = m;
    return out;
}

static double plots__quantile(const float *sorted, size_t m, double q)
{
    size_t i = (size_t)(q * (double)(m - 1u) + 0.5);
    return (double)sorted[i < m ? i : m - 1u];
}

/*
 * Histogram of normal scores (train_err, or label-0 rows) against labelled-anomalous
 * rows. A long tail would squash everything into one bin, so the range stops at the
 * 99.9th percentile (and the threshold) and the last bin collects the overflow.
 * Positive scores whose bulk (1st to 99.9th percentile) spans more than three decades
 * (squared errors typically do) get logarithmic bins and a log x axis instead.
 */
static int plots__hist(plots_ctx_t *c, char *err, size_t errlen)
{
    const vgh_plot_input_t *in = c->in;
    size_t nn = 0, na = 0;
    float *norm = in->train_err ? plots__sorted(in->train_err, in->n_train_err, NULL, 0, &nn)
                                : plots__sorted(in->raw, in->n, in->label, 0, &nn);
    float *anom = plots__sorted(in->raw, in->n, in->label, 1, &na);
    if (!norm || !anom) {
        free(norm);
        free(anom);
        return plots__fail(err, errlen, "plots: out of memory (histogram)");
    }
    c->have_hist = nn + na > 0;
    c->have_anom = na > 0;
    if (!c->have_hist) {
        free(norm);
        free(anom);
        return 0;
    }
    double lo = INFINITY, hi = -INFINITY, q_lo = INFINITY, q_hi = -INFINITY;
    for (int set = 0; set < 2; set++) {
        const float *v = set ? anom : norm;
        size_t m = set ? na : nn;
        if (!m)
            continue;
        lo = fmin(lo, v[0]);
        hi = fmax(hi, v[m - 1]);
        q_lo = fmin(q_lo, plots__quantile(v, m, 0.01));
        q_hi = fmax(q_hi, plots__quantile(v, m, 0.999));
    }
    if (isfinite(in->threshold)) {
        lo = fmin(lo, in->threshold);
        hi = fmax(hi, in->threshold);
        q_lo = fmin(q_lo, in->threshold);
        q_hi = fmax(q_hi, in->threshold);
    }
    /* Log bins when the bulk spans three decades; far-out tiny values join bin 0. */
    c->hist_logx = lo > 0.0 && q_hi / q_lo > 1000.0;
    if (c->hist_logx) {
        lo = fmax(log10(lo), log10(q_lo) - 2.0);
        hi = log10(hi);
    } else if (hi - lo > 4.0 * (q_hi - lo) && q_hi > lo) {
        hi = q_hi + 0.05 * (q_hi - lo);
        c->hist_clipped = 1;
    }
    size_t cn[PLOTS_HIST_BINS] = {0}, ca[PLOTS_HIST_BINS] = {0};
    double w = (hi - lo) / PLOTS_HIST_BINS;
    for (int set = 0; set < 2; set++) {
        const float *v = set ? anom : norm;
        size_t m = set ? na : nn, *cnt = set ? ca : cn;
        for (size_t i = 0; i < m; i++) {
            double x = c->hist_logx ? log10((double)v[i]) : (double)v[i];
            double b = floor((x - lo) / w);
            size_t bi = b <= 0.0 ? 0u : (b >= PLOTS_HIST_BINS ? PLOTS_HIST_BINS - 1u : (size_t)b);
            cnt[bi]++;
        }
    }
    free(norm);
    free(anom);
    size_t cmax = 0, cmin = SIZE_MAX;
    for (size_t b = 0; b < PLOTS_HIST_BINS; b++) {
        for (int set = 0; set < 2; set++) {
            size_t v = set ? ca[b] : cn[b];
            cmax = v > cmax ? v : cmax;
            if (v)
                cmin = v < cmin ? v : cmin;
        }
    }
    c->hist_logy = cmax >= 50u * cmin;
    c->hist_lo = c->hist_logx ? pow(10.0, lo) : lo;
    c->hist_hi = c->hist_logx ? pow(10.0, hi) : hi;
    FILE *f = plots__open_dat(c, DAT_HIST, err, errlen);
    if (!f)
        return -1;
    fputs("# bin_low bin_high normal anomalous\n", f);
    for (size_t b = 0; b < PLOTS_HIST_BINS; b++) {
        double e0 = lo + (double)b * w, e1 = lo + (double)(b + 1u) * w;
        if (c->hist_logx) {
            e0 = pow(10.0, e0);
            e1 = pow(10.0, e1);
        }
        fprintf(f, "%.9g %.9g %zu %zu\n", e0, e1, cn[b], ca[b]);
    }
    return plots__close(f, "hist.dat", err, errlen);
}

static int plots__write_series(plots_ctx_t *c, int which, const float *v, const uint8_t *mask,
                               char *err, size_t errlen)
{
    FILE *f = plots__open_dat(c, which, err, errlen);
    if (!f)
        return -1;
    c->npts[which] = plots__series(f, c, v, mask);
    return plots__close(f, plots__dat[which], err, errlen);
}

static int plots__data(plots_ctx_t *c, char *err, size_t errlen)
{
    const vgh_plot_input_t *in = c->in;
    if (plots__write_series(c, DAT_SIGNAL, in->signal, NULL, err, errlen) ||
        (in->recon && plots__write_series(c, DAT_RECON, in->recon, NULL, err, errlen)) ||
        plots__write_series(c, DAT_RAW, in->raw, NULL, err, errlen) ||
        plots__write_series(c, DAT_PRED, in->signal, in->pred, err, errlen))
        return -1;
    if (in->fpr && in->tpr && in->n_roc) {
        FILE *f = plots__open_dat(c, DAT_ROC, err, errlen);
        if (!f)
            return -1;
        for (size_t i = 0; i < in->n_roc; i++)
            fprintf(f, "%.9g %.9g\n", in->fpr[i], in->tpr[i]);
        c->npts[DAT_ROC] = in->n_roc;
        if (plots__close(f, plots__dat[DAT_ROC], err, errlen))
            return -1;
    }
    if (in->n_feat && in->feat && in->feat_recon) {
        /* One row per thinning bucket (its last row): hours, then feature and reconstruction
         * pairs. */
        size_t nf = in->n_feat < PLOTS_MAX_FEAT ? in->n_feat : PLOTS_MAX_FEAT;
        FILE *f = plots__open_dat(c, DAT_FEAT, err, errlen);
        if (!f)
            return -1;
        for (size_t i = 0; i < in->n; i++) {
            if (c->bucket > 1 && (i + 1) % c->bucket != 0 && i + 1 != in->n)
                continue;
            const float *x = in->feat + i * in->n_feat, *r = in->feat_recon + i * in->n_feat;
            if (!isfinite(x[0]))
                continue;
            fprintf(f, "%.9g", plots__hours(c, i));
            for (size_t k = 0; k < nf; k++)
                fprintf(f, " %.7g %.7g", (double)x[k], (double)r[k]);
            fputc('\n', f);
            c->npts[DAT_FEAT]++;
        }
        if (plots__close(f, plots__dat[DAT_FEAT], err, errlen))
            return -1;
    }
    return plots__hist(c, err, errlen);
}

/* Statistics that decide axis scales, and the operating point for the ROC figure. */
static int plots__stats(plots_ctx_t *c, char *err, size_t errlen)
{
    const vgh_plot_input_t *in = c->in;
    size_t m = 0;
    float *v = plots__sorted(in->raw, in->n, NULL, 0, &m);
    if (!v)
        return plots__fail(err, errlen, "plots: out of memory (%zu rows)", in->n);
    c->have_raw = m > 0;
    if (m) {
        c->raw_min = v[0];
        c->raw_max = v[m - 1];
        c->raw_med = plots__quantile(v, m, 0.5);
        c->raw_q999 = plots__quantile(v, m, 0.999);
    }
    free(v);
    size_t tp = 0, fp = 0, pos = 0;
    for (size_t i = 0; i < in->n; i++) {
        pos += in->label[i] ? 1u : 0u;
        if (in->pred[i])
            in->label[i] ? tp++ : fp++;
    }
    c->have_op = pos > 0 && pos < in->n;
    if (c->have_op) {
        c->op_fpr = (double)fp / (double)(in->n - pos);
        c->op_tpr = (double)tp / (double)pos;
    }
    return 0;
}

/* Starts a plot command or continues it with the next element. */
static void plots__elem(FILE *f, int *first)
{
    fputs(*first ? "plot " : ", \\\n     ", f);
    *first = 0;
}

static void plots__script_signal(FILE *f, const plots_ctx_t *c)
{
    const vgh_plot_input_t *in = c->in;
    int first = 1;
    fputs("\n# ---- signal.png: signal and reconstruction over raw score ----\n", f);
    fputs("reset\nset output 'signal.png'\n", f);
    fputs("set multiplot\n", f);
    fprintf(f, "set xrange [0:%.10g]\n", c->xmax > 0.0 ? c->xmax : 1.0 / 3600.0);
    fputs("set grid xtics ytics lt 1 lw 1 lc rgb '#e2e2e2'\n", f);
    fputs("set lmargin at screen 0.085\nset rmargin at screen 0.975\n", f);
    fputs("# labelled spans (shaded), predicted spans (red strip along the bottom)\n", f);
    plots__spans(f, c, in->label, 0.0, 1.0,
                 "fc rgb '" PLOTS_C_LABEL "' fs solid 1.0 noborder behind");
    plots__spans(f, c, in->pred, 0.0, 0.03,
                 "fc rgb '" PLOTS_C_PRED "' fs solid 1.0 noborder front");

    fputs("\n# top panel\nset tmargin at screen 0.895\nset bmargin at screen 0.415\n", f);
    fputs("set label 2 ", f);
    plots__quote(f, in->title && *in->title ? in->title : "Vigil evaluation");
    fputs(" at screen 0.53, screen 0.975 center noenhanced font ',15'\n", f);
    fputs("set format x ''\nunset xlabel\nset ylabel 'signal'\n", f);
    fputs("set key at screen 0.085, screen 0.94 left top horizontal reverse Left "
          "samplen 3 maxcols 6 width -2\n",
          f);
    if (!c->npts[DAT_SIGNAL] && !c->npts[DAT_RECON]) {
        fputs("set yrange [0:1]\nset label 1 'no signal data' at graph 0.5, graph 0.5 center\n", f);
        plots__elem(f, &first);
        fputs("NaN notitle", f); /* gnuplot needs one real element besides keyentries */
    }
    plots__elem(f, &first);
    if (c->npts[DAT_SIGNAL])
        plots__quote_dat(f, c, DAT_SIGNAL);
    else
        fputs("keyentry", f);
    fputs(" with lines lw 1.2 lc rgb '" PLOTS_C_SIGNAL "' title 'signal'", f);
    if (c->npts[DAT_RECON]) {
        plots__elem(f, &first);
        plots__quote_dat(f, c, DAT_RECON);
        fputs(" with lines lw 1.2 lc rgb '" PLOTS_C_RECON "' title 'reconstruction'", f);
    }
    plots__elem(f, &first);
    if (c->npts[DAT_PRED])
        plots__quote_dat(f, c, DAT_PRED);
    else
        fputs("keyentry", f);
    fputs(" with points pt 7 ps 0.5 lc rgb '" PLOTS_C_PRED "' title 'predicted anomaly'", f);
    plots__elem(f, &first);
    fputs("keyentry with boxes fs solid 1.0 noborder fc rgb '" PLOTS_C_PRED
          "' title 'predicted span', \\\n"
          "     keyentry with boxes fs solid 1.0 noborder fc rgb '" PLOTS_C_LABEL
          "' title 'labelled anomaly'\n",
          f);

    fputs("unset label 1\nunset label 2\nset yrange [*:*]\n", f);
    fputs("\n# bottom panel\nset tmargin at screen 0.355\nset bmargin at screen 0.085\n", f);
    fputs("set key at screen 0.975, screen 0.405 right top horizontal reverse Left "
          "samplen 3 maxcols 6 width 1\n",
          f);
    fputs("set format x '%g'\nset xlabel 'time since start [h]'\nset ylabel 'raw score'\n", f);
    /*
     * Scores whose bulk spans decades (squared errors) are unreadable on a linear axis:
     * log when the 99.9th percentile (or the threshold) is 100x the median. On a linear
     * axis a few huge outliers would flatten everything, so they run off the top.
     */
    double top = c->raw_q999;
    if (isfinite(in->threshold) && in->threshold > top)
        top = in->threshold;
    int logy = c->have_raw && c->raw_min > 0.0 && c->raw_med > 0.0 && top / c->raw_med > 100.0 &&
               (!isfinite(in->threshold) || in->threshold > 0.0f);
    if (logy)
        fputs("set logscale y\nset format y '10^{%L}'\n", f);
    else if (c->have_raw && c->raw_max - c->raw_min > 4.0 * (top - c->raw_min))
        fprintf(f, "set yrange [*:%.9g]\n", top + 0.25 * (top - c->raw_min));
    first = 1;
    if (!c->npts[DAT_RAW] && !isfinite(in->threshold)) {
        fputs("set yrange [0:1]\nset label 1 'no scores' at graph 0.5, graph 0.5 center\n", f);
        plots__elem(f, &first);
        fputs("NaN notitle", f);
    }
    plots__elem(f, &first);
    if (c->npts[DAT_RAW])
        plots__quote_dat(f, c, DAT_RAW);
    else
        fputs("keyentry", f);
    fprintf(f, " with lines lw 1.2 lc rgb '" PLOTS_C_SCORE "' title '%s'",
            logy ? "raw score (log scale)" : "raw score");
    if (isfinite(in->threshold)) {
        plots__elem(f, &first);
        fprintf(f, "%.9g with lines dt 2 lw 2 lc rgb 'black' title 'threshold %.4g'",
                (double)in->threshold, (double)in->threshold);
    }
    fputs("\nunset multiplot\nset output\n", f);
}

static void plots__script_errors(FILE *f, const plots_ctx_t *c)
{
    const vgh_plot_input_t *in = c->in;
    fputs("\n# ---- errors.png: raw score histogram ----\n", f);
    fputs("reset\nset output 'errors.png'\n", f);
    fputs("set label 2 ", f);
    char title[512];
    snprintf(title, sizeof title, "Raw score distribution%s%s",
             in->title && *in->title ? " - " : "", in->title ? in->title : "");
    plots__quote(f, title);
    fputs(" at screen 0.53, screen 0.975 center noenhanced font ',15'\n", f);
    fputs("set grid xtics ytics lt 1 lw 1 lc rgb '#e2e2e2'\n", f);
    fputs("set tmargin at screen 0.885\nset bmargin at screen 0.09\n", f);
    fputs("set lmargin at screen 0.085\nset rmargin at screen 0.975\n", f);
    fputs("set key at screen 0.53, screen 0.935 center top horizontal reverse Left "
          "samplen 3 maxcols 6 width 1\n",
          f);
    fputs("set style fill transparent solid 0.55 noborder\n", f);
    fprintf(f, "set ylabel '%s'\n", c->hist_logy ? "rows (log scale)" : "rows");
    if (!c->have_hist) {
        fputs("set xlabel 'raw score'\nset label 1 'no scores to plot' at graph 0.5, graph 0.5 "
              "center font ',16'\nset xrange [0:1]\nset yrange [0:1]\nplot NaN notitle\n",
              f);
        fputs("set output\n", f);
        return;
    }
    if (c->hist_clipped)
        fprintf(f, "set xlabel 'raw score (last bin also holds scores above %.4g)'\n", c->hist_hi);
    else
        fprintf(f, "set xlabel 'raw score%s'\n", c->hist_logx ? " (log scale)" : "");
    if (c->hist_logx)
        fprintf(f, "set logscale x\nset format x '%s'\n",
                c->hist_hi / c->hist_lo > 1e4 ? "10^{%L}" : "%g");
    fprintf(f, "set xrange [%.9g:%.9g]\n", c->hist_lo, c->hist_hi);
    /* Bars are boxxyerror from the bin edges, which works on linear and log axes alike. */
    if (c->hist_logy)
        fputs("set logscale y\nset yrange [0.7:*]\nybase = 0.5\n", f);
    else
        fputs("set yrange [0:*]\nybase = 0\n", f);
    if (isfinite(in->threshold))
        fprintf(f,
                "set arrow 1 from %.9g, graph 0 to %.9g, graph 1 nohead dt 2 lw 2 "
                "lc rgb 'black' front\n",
                (double)in->threshold, (double)in->threshold);
    fputs("plot ", f);
    plots__quote_dat(f, c, DAT_HIST);
    fprintf(f,
            " using (($1+$2)/2):3:1:2:(ybase):($3 > 0 ? $3 : NaN) with boxxyerror "
            "fc rgb '" PLOTS_C_NORMAL "' title '%s'",
            "normal rows");
    if (c->have_anom) {
        fputs(", \\\n     ", f);
        plots__quote_dat(f, c, DAT_HIST);
        fputs(" using (($1+$2)/2):4:1:2:(ybase):($4 > 0 ? $4 : NaN) with boxxyerror "
              "fc rgb '" PLOTS_C_PRED "' title 'labelled anomaly rows'",
              f);
    }
    if (isfinite(in->threshold))
        fprintf(f,
                ", \\\n     keyentry with lines dt 2 lw 2 lc rgb 'black' "
                "title 'threshold %.4g'",
                (double)in->threshold);
    fputs("\nset output\n", f);
}

static void plots__script_roc(FILE *f, const plots_ctx_t *c)
{
    const vgh_plot_input_t *in = c->in;
    fputs("\n# ---- roc.png: ROC curve ----\n", f);
    fputs("reset\nset output 'roc.png'\n", f);
    fputs("set title ", f);
    char title[512];
    snprintf(title, sizeof title, "ROC%s%s", in->title && *in->title ? " - " : "",
             in->title ? in->title : "");
    plots__quote(f, title);
    fputs(" noenhanced font ',15'\n", f);
    fputs("set size ratio -1\nset xrange [0:1]\nset yrange [0:1]\n", f);
    fputs("set xtics 0.1\nset ytics 0.1\nset grid lt 1 lw 1 lc rgb '#e2e2e2'\n", f);
    fputs("set xlabel 'false positive rate'\nset ylabel 'true positive rate'\n", f);
    fputs("set key bottom right reverse Left opaque box lc rgb '#bbbbbb' spacing 1.3\n", f);
    char auc[64];
    if (isnan(in->auc))
        snprintf(auc, sizeof auc, "ROC (AUC n/a)");
    else
        snprintf(auc, sizeof auc, "ROC (AUC = %.4f)", in->auc);
    if (!(in->fpr && in->tpr && in->n_roc))
        fputs("set label 1 'no ROC data (one class only?)' at 0.5, 0.6 center font ',14'\n", f);
    int first = 1;
    if (in->fpr && in->tpr && in->n_roc) {
        plots__elem(f, &first);
        plots__quote_dat(f, c, DAT_ROC);
        fprintf(f, " using 1:2 with lines lw 2.5 lc rgb '" PLOTS_C_SIGNAL "' title '%s'", auc);
    }
    if (c->have_op) {
        plots__elem(f, &first);
        fprintf(f,
                "'+' using (%.9g):(%.9g) every ::0::0 with points pt 7 ps 1.8 "
                "lc rgb '" PLOTS_C_PRED "' title 'operating point (FPR %.3f, TPR %.3f)'",
                c->op_fpr, c->op_tpr, c->op_fpr, c->op_tpr);
    }
    plots__elem(f, &first);
    fputs("x with lines dt 2 lw 1.5 lc rgb '#888888' title 'chance'\nset output\n", f);
}

static void plots__script_features(FILE *f, const plots_ctx_t *c)
{
    const vgh_plot_input_t *in = c->in;
    size_t nf = in->n_feat < PLOTS_MAX_FEAT ? in->n_feat : PLOTS_MAX_FEAT;
    fputs("\n# ---- features.png: each feature and the autoencoder's reconstruction ----\n", f);
    fprintf(f, "reset\nset terminal pngcairo size 1200,%zu enhanced font 'Sans,11' linewidth 1\n",
            220u * nf + 80u);
    fputs("set output 'features.png'\n", f);
    char title[512];
    snprintf(title, sizeof title, "Features and reconstruction%s%s",
             in->title && *in->title ? " - " : "", in->title ? in->title : "");
    fprintf(f, "set multiplot layout %zu,1 title ", nf);
    plots__quote(f, title);
    fputs(" noenhanced font ',14'\n", f);
    fprintf(f, "set xrange [0:%.9g]\nset grid lt 1 lw 1 lc rgb '#e2e2e2'\n",
            c->xmax > 0 ? c->xmax : 1.0);
    fputs("set key top right opaque box lc rgb '#bbbbbb'\nset ylabel 'normalised'\n", f);
    for (size_t k = 0; k < nf; k++) {
        if (k + 1 == nf)
            fputs("set xlabel 'time since start [h]'\n", f);
        fputs("plot ", f);
        plots__quote_dat(f, c, DAT_FEAT);
        fprintf(f, " using 1:%zu with lines lw 1 lc rgb '" PLOTS_C_SIGNAL "' title ", 2 * k + 2);
        plots__quote(f, in->feat_names && in->feat_names[k] ? in->feat_names[k] : "feature");
        fputs(" noenhanced, \\\n     ", f);
        plots__quote_dat(f, c, DAT_FEAT);
        fprintf(f,
                " using 1:%zu with lines lw 1.5 dt 2 lc rgb '" PLOTS_C_RECON "' title "
                "'reconstruction'\n",
                2 * k + 3);
    }
    fputs("unset multiplot\nset output\n", f);
}

static int plots__script(const plots_ctx_t *c, char *err, size_t errlen)
{
    char path[PLOTS_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/plots.gp", c->in->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return plots__fail(err, errlen, "plots: cannot write '%s': %s", path, strerror(errno));
    fputs("# Generated by Vigil (host/vigil/plots.c). Run from this folder: gnuplot plots.gp\n", f);
    fprintf(f, "# Data folder %s/ is temporary and was deleted after plotting.\n", c->tmp_rel);
    fputs("set terminal pngcairo size 1200,800 enhanced font 'Sans,12' linewidth 1\n", f);
    fputs("set encoding utf8\n", f);
    plots__script_signal(f, c);
    plots__script_errors(f, c);
    fputs("set terminal pngcairo size 900,800 enhanced font 'Sans,12' linewidth 1\n", f);
    plots__script_roc(f, c);
    if (c->npts[DAT_FEAT])
        plots__script_features(f, c);
    return plots__close(f, "plots.gp", err, errlen);
}

/* First executable "gnuplot" in $PATH (empty entries mean "."). */
static int plots__find_gnuplot(char *out, size_t outlen)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        int w = len ? snprintf(out, outlen, "%.*s/gnuplot", (int)len, path)
                    : snprintf(out, outlen, "./gnuplot");
        struct stat st;
        if (w > 0 && (size_t)w < outlen && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
            access(out, X_OK) == 0)
            return 0;
        if (!end)
            break;
        path = end + 1;
    }
    return -1;
}

/*
 * fork + execv rather than system(): paths never pass through a shell. The child only
 * calls async-signal-safe functions before execv. gnuplot's stderr is collected through
 * a pipe (read to EOF before waitpid, so a chatty gnuplot cannot block on a full pipe).
 */
static int plots__run(const char *gnuplot, const char *dir, char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds) != 0)
        return plots__fail(err, errlen, "plots: pipe: %s", strerror(errno));
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return plots__fail(err, errlen, "plots: fork: %s", strerror(e));
    }
    if (pid == 0) {
        char *const argv[] = {(char *)"gnuplot", (char *)"plots.gp", NULL};
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        dup2(fds[1], 2);
        if (chdir(dir) != 0)
            _exit(126);
        execv(gnuplot, argv);
        _exit(127);
    }
    close(fds[1]);
    char msg[1024];
    size_t used = 0;
    for (;;) {
        char buf[512];
        ssize_t r = read(fds[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        size_t take = (size_t)r < sizeof msg - 1 - used ? (size_t)r : sizeof msg - 1 - used;
        memcpy(msg + used, buf, take);
        used += take;
    }
    close(fds[0]);
    msg[used] = 0;
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return plots__fail(err, errlen, "plots: waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    while (used && msg[used - 1] == ' ')
        msg[--used] = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 126)
        return plots__fail(err, errlen, "plots: cannot enter '%s'", dir);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !used)
        return plots__fail(err, errlen, "plots: cannot execute %s", gnuplot);
    if (WIFSIGNALED(status))
        return plots__fail(err, errlen, "plots: gnuplot killed by signal %d: %s", WTERMSIG(status),
                           msg);
    return plots__fail(err, errlen, "plots: gnuplot failed (exit %d; script %s/plots.gp): %s",
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir, msg);
}

static void plots__cleanup(const plots_ctx_t *c)
{
    if (!c->tmp[0])
        return;
    char path[PLOTS_PATH_MAX + 32];
    for (int i = 0; i < DAT_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s", c->tmp, plots__dat[i]);
        unlink(path);
    }
    rmdir(c->tmp);
}

static int plots__check_png(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[PLOTS_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0)
        return plots__fail(err, errlen, "plots: gnuplot did not write '%s'", path);
    return 0;
}

static int plots__validate(const vgh_plot_input_t *in, char *err, size_t errlen)
{
    if (!in || !in->dir || !*in->dir)
        return plots__fail(err, errlen, "plots: no input or output directory");
    if (strlen(in->dir) > PLOTS_PATH_MAX - 64u)
        return plots__fail(err, errlen, "plots: output directory path too long");
    if (!in->t || !in->signal || !in->raw || !in->pred || !in->label || in->n == 0)
        return plots__fail(err, errlen, "plots: t, signal, raw, pred and label are required");
    if (in->n_train_err && !in->train_err)
        return plots__fail(err, errlen, "plots: n_train_err without train_err");
    for (size_t i = 0; i < in->n; i++) {
        if (!isfinite(in->t[i]) || (i && in->t[i] < in->t[i - 1]))
            return plots__fail(err, errlen, "plots: row %zu: time not finite/non-decreasing", i);
    }
    return 0;
}

int vgh_plots_write(const vgh_plot_input_t *in, char *err, size_t errlen)
{
    if (plots__validate(in, err, errlen))
        return -1;
    if (mkdir(in->dir, 0777) != 0 && errno != EEXIST)
        return plots__fail(err, errlen, "plots: cannot create directory '%s': %s", in->dir,
                           strerror(errno));
    struct stat st;
    if (stat(in->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return plots__fail(err, errlen, "plots: '%s' is not a directory", in->dir);
    char gnuplot[PLOTS_PATH_MAX];
    if (plots__find_gnuplot(gnuplot, sizeof gnuplot) != 0)
        return plots__fail(err, errlen, "gnuplot not found; install gnuplot-nox");

    plots_ctx_t c;
    memset(&c, 0, sizeof c);
    c.in = in;
    int w = snprintf(c.tmp, sizeof c.tmp, "%s/.vgh_plot_XXXXXX", in->dir);
    if (w < 0 || (size_t)w >= sizeof c.tmp || !mkdtemp(c.tmp)) {
        int e = errno;
        c.tmp[0] = 0;
        return plots__fail(err, errlen, "plots: cannot write in '%s': %s", in->dir, strerror(e));
    }
    c.tmp_rel = strrchr(c.tmp, '/') + 1;
    c.t0 = in->t[0];
    c.xmax = (in->t[in->n - 1] - in->t[0]) / 3600.0;
    c.bucket = in->n > VGH_PLOT_MAX_ROWS ? (in->n + VGH_PLOT_BUCKETS - 1u) / VGH_PLOT_BUCKETS : 1u;

    /* Stale figures from an earlier run must not pass the final existence check. */
    static const char *const png[] = {"signal.png", "errors.png", "roc.png", "features.png"};
    char path[PLOTS_PATH_MAX + 16];
    for (size_t i = 0; i < sizeof png / sizeof png[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", in->dir, png[i]);
        unlink(path);
    }
    int rc = plots__stats(&c, err, errlen);
    if (rc == 0)
        rc = plots__data(&c, err, errlen);
    if (rc == 0)
        rc = plots__script(&c, err, errlen);
    if (rc == 0)
        rc = plots__run(gnuplot, in->dir, err, errlen);
    plots__cleanup(&c);
    for (size_t i = 0; rc == 0 && i < sizeof png / sizeof png[0]; i++)
        if (i < 3 || c.npts[DAT_FEAT])
            rc = plots__check_png(in->dir, png[i], err, errlen);
    return rc;
}
