/* SPDX-License-Identifier: MIT */
/* Unit tests for host/vigil/sim_power.c (cmocka): shapes, class properties measured on the
 * output (RMS, half-cycle RMS, DFT), noise level, stream labels and phase continuity. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cmocka.h>

#include "sim_power.h"

#define ERRLEN 512
#define TWO_PI 6.28318530717958647692

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

typedef int (*gen_fn)(const vgh_simpower_cfg_t *, FILE *, char *, size_t);

/* Run a generator into memory; returns 0/-1 and the malloc'ed text in *buf. */
static int run_mem(gen_fn fn, const vgh_simpower_cfg_t *cfg, char **buf, size_t *len, char *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = open_memstream(buf, len);
    assert_non_null(f);
    int r = fn(cfg, f, err, ERRLEN);
    assert_int_equal(fclose(f), 0);
    return r;
}

/* Parsed CSV: ncol numbers per row, header skipped. */
typedef struct {
    double *x;
    size_t rows, ncol;
} table_t;

static table_t parse(const char *buf, size_t ncol, const char *header)
{
    table_t t = {NULL, 0, ncol};
    size_t hl = strlen(header), cap = 0;
    assert_true(strncmp(buf, header, hl) == 0 && buf[hl] == '\n');
    const char *p = buf + hl + 1;
    while (*p) {
        if (t.rows == cap) {
            cap = cap ? 2 * cap : 4096;
            t.x = realloc(t.x, cap * ncol * sizeof *t.x);
            assert_non_null(t.x);
        }
        for (size_t c = 0; c < ncol; c++) {
            char *end;
            t.x[t.rows * ncol + c] = strtod(p, &end);
            assert_true(end != p);
            assert_int_equal(*end, c + 1 < ncol ? ',' : '\n');
            p = end + 1;
        }
        t.rows++;
    }
    return t;
}

#define AT(t, r, c) ((t).x[(r) * (t).ncol + (c)])

static vgh_simpower_cfg_t clean_cfg(void)
{
    vgh_simpower_cfg_t c;
    vgh_simpower_defaults(&c);
    c.freq_dev = 0.0;
    return c;
}

static void test_determinism(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg;
    vgh_simpower_defaults(&cfg);
    cfg.per_class = 3;
    cfg.snr_db = 20.0;
    cfg.seed = 77;
    char err[ERRLEN] = "", *a, *b, *c;
    size_t la, lb, lc;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &a, &la, err), 0);
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &b, &lb, err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    cfg.seed = 78;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &c, &lc, err), 0);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);

    cfg.seed = 77;
    cfg.minutes = 0.5;
    cfg.events_per_hour = 1200;
    cfg.current = 1;
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &a, &la, err), 0);
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &b, &lb, err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
}

static void test_snippet_shape(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg;
    vgh_simpower_defaults(&cfg);
    cfg.per_class = 4;
    char err[ERRLEN] = "", *buf;
    size_t len;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &buf, &len, err), 0);
    table_t t = parse(buf, 4, "segment,t,v,class");
    const size_t P = 10 * 6400 / 50;
    assert_int_equal(t.rows, 4 * 29 * P);
    unsigned count[30] = {0};
    int sorted = 1;
    for (size_t s = 0; s < 4 * 29; s++) {
        unsigned cls = (unsigned)AT(t, s * P, 3);
        assert_in_range(cls, 1, 29);
        count[cls]++;
        if (s > 0 && cls < (unsigned)AT(t, (s - 1) * P, 3))
            sorted = 0;
        for (size_t j = 0; j < P; j++) {
            size_t r = s * P + j;
            assert_int_equal((size_t)AT(t, r, 0), s);
            assert_true(fabs(AT(t, r, 1) - (double)j / 6400.0) < 1e-6);
            assert_int_equal((unsigned)AT(t, r, 3), cls);
            assert_true(fabs(AT(t, r, 2)) < 3.5);
        }
    }
    for (unsigned k = 1; k <= 29; k++)
        assert_int_equal(count[k], 4);
    assert_false(sorted);
    free(t.x);
    free(buf);

    /* A subset, 60 Hz (P = round(10 * 6400 / 60) = 1067), 3 cycles at 16 kHz. */
    assert_int_equal(vgh_pq_classes_parse("2,3,5-9", &cfg.classes, err, ERRLEN), 0);
    cfg.f0 = 60;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &buf, &len, err), 0);
    t = parse(buf, 4, "segment,t,v,class");
    assert_int_equal(t.rows, 4 * 7 * 1067);
    for (size_t r = 0; r < t.rows; r++) {
        unsigned cls = (unsigned)AT(t, r, 3);
        assert_true(cls == 2 || cls == 3 || (cls >= 5 && cls <= 9));
    }
    free(t.x);
    free(buf);
    cfg.f0 = 50;
    cfg.fs = 16000;
    cfg.cycles = 3;
    cfg.classes = 1u << 16;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &buf, &len, err), 0);
    t = parse(buf, 4, "segment,t,v,class");
    assert_int_equal(t.rows, 4 * 960);
    free(t.x);
    free(buf);
}

/* Half-cycle RMS over consecutive 64-sample windows (6400 Hz, 50 Hz) times sqrt(2). */
static void half_cycle_rms(const table_t *t, size_t r0, size_t P, double *mn, double *mx)
{
    *mn = INFINITY;
    *mx = 0.0;
    for (size_t w = 0; w + 64 <= P; w += 64) {
        double s = 0.0;
        for (size_t j = w; j < w + 64; j++)
            s += AT(*t, r0 + j, 2) * AT(*t, r0 + j, 2);
        double rms = sqrt(2.0 * s / 64.0);
        *mn = fmin(*mn, rms);
        *mx = fmax(*mx, rms);
    }
}

/* Magnitude (peak) of DFT bin k over P samples from row r0. */
static double dft_mag(const table_t *t, size_t r0, size_t P, size_t k)
{
    double re = 0.0, im = 0.0;
    for (size_t j = 0; j < P; j++) {
        double a = TWO_PI * (double)(k * j % P) / (double)P;
        re += AT(*t, r0 + j, 2) * cos(a);
        im -= AT(*t, r0 + j, 2) * sin(a);
    }
    return 2.0 * sqrt(re * re + im * im) / (double)P;
}

/* Largest deviation from the least-squares 50 Hz sinusoid (P = 1280 = 10 cycles). */
static double residual_max(const table_t *t, size_t r0, size_t P)
{
    double re = 0.0, im = 0.0;
    for (size_t j = 0; j < P; j++) {
        double a = TWO_PI * (double)(10 * j % P) / (double)P;
        re += AT(*t, r0 + j, 2) * cos(a);
        im += AT(*t, r0 + j, 2) * sin(a);
    }
    double m = 0.0;
    for (size_t j = 0; j < P; j++) {
        double a = TWO_PI * (double)(10 * j % P) / (double)P;
        double fit = 2.0 / (double)P * (re * cos(a) + im * sin(a));
        m = fmax(m, fabs(AT(*t, r0 + j, 2) - fit));
    }
    return m;
}

static void test_class_properties(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg = clean_cfg();
    cfg.per_class = 20;
    cfg.seed = 5;
    char err[ERRLEN] = "", *buf;
    size_t len;
    const size_t P = 1280;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &buf, &len, err), 0);
    table_t t = parse(buf, 4, "segment,t,v,class");
    for (size_t s = 0; s < t.rows / P; s++) {
        size_t r0 = s * P;
        unsigned cls = (unsigned)AT(t, r0, 3);
        double mn, mx, res = residual_max(&t, r0, P);
        half_cycle_rms(&t, r0, P, &mn, &mx);
        if (cls == 1)
            assert_true(res < 1e-5);
        else if (res < 0.01)
            fail_msg("segment %zu class %u looks undisturbed (residual %g)", s, cls, res);
        switch (cls) {
        case 1: assert_true(fabs(mn - 1.0) < 1e-5 && fabs(mx - 1.0) < 1e-5); break;
        case 2: /* depth 1 - min in [0.1, 0.9] */
            assert_true(1.0 - mn >= 0.1 - 1e-5 && 1.0 - mn <= 0.9 + 1e-5);
            assert_true(fabs(mx - 1.0) < 1e-5);
            break;
        case 3:
            assert_true(mx >= 1.1 - 1e-5 && mx <= 1.8 + 1e-5);
            assert_true(fabs(mn - 1.0) < 1e-5);
            break;
        case 4: assert_true(mn <= 0.1 + 1e-5); break;
        case 5: assert_true(res < 0.3); break; /* peak 0.2365 psi <= 0.263 pu */
        case 7:
            assert_true(fabs(dft_mag(&t, r0, P, 10) - 1.0) < 1e-4);
            for (size_t h = 3; h <= 7; h += 2) {
                double m = dft_mag(&t, r0, P, 10 * h);
                if (m < 0.05 - 1e-5 || m > 0.15 + 1e-5)
                    fail_msg("segment %zu harmonic %zu magnitude %g", s, h, m);
            }
            break;
        default: break;
        }
    }
    free(t.x);
    free(buf);

    /* Pure class RMS = A / sqrt(2), with A = 2. */
    cfg.amp = 2.0;
    cfg.classes = 1u;
    cfg.per_class = 5;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &buf, &len, err), 0);
    t = parse(buf, 4, "segment,t,v,class");
    for (size_t s = 0; s < 5; s++) {
        double sum = 0.0;
        for (size_t j = 0; j < P; j++)
            sum += AT(t, s * P + j, 2) * AT(t, s * P + j, 2);
        assert_true(fabs(sqrt(sum / (double)P) - 2.0 / sqrt(2.0)) < 1e-5);
    }
    free(t.x);
    free(buf);
}

static void test_snr(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg;
    vgh_simpower_defaults(&cfg);
    cfg.per_class = 10;
    cfg.seed = 99;
    char err[ERRLEN] = "", *b0, *b1;
    size_t l0, l1;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &b0, &l0, err), 0);
    cfg.snr_db = 20.0;
    assert_int_equal(run_mem(vgh_sim_power_snippets, &cfg, &b1, &l1, err), 0);
    table_t c = parse(b0, 4, "segment,t,v,class"), n = parse(b1, 4, "segment,t,v,class");
    assert_int_equal(c.rows, n.rows);
    const size_t P = 1280;
    double mean = 0.0;
    size_t nseg = c.rows / P;
    for (size_t s = 0; s < nseg; s++) {
        double ps = 0.0, pn = 0.0;
        assert_int_equal((unsigned)AT(c, s * P, 3), (unsigned)AT(n, s * P, 3));
        for (size_t j = 0; j < P; j++) {
            double v = AT(c, s * P + j, 2), d = AT(n, s * P + j, 2) - v;
            ps += v * v;
            pn += d * d;
        }
        double ratio = pn / ps / 0.01;
        assert_true(ratio > 0.65 && ratio < 1.35);
        mean += ratio / (double)nseg;
    }
    print_message("mean noise/signal power at 20 dB: %.4f x 0.01\n", mean);
    assert_true(fabs(mean - 1.0) < 0.1);
    free(c.x);
    free(n.x);
    free(b0);
    free(b1);

    /* Stream: noise power relative to A^2 / 2. */
    vgh_simpower_defaults(&cfg);
    cfg.classes = 1u;
    cfg.minutes = 0.1;
    cfg.snr_db = 30.0;
    cfg.amp = 3.0;
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &b0, &l0, err), 0);
    cfg.snr_db = INFINITY;
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &b1, &l1, err), 0);
    c = parse(b1, 4, "t,v,label,class");
    n = parse(b0, 4, "t,v,label,class");
    double pn = 0.0;
    for (size_t r = 0; r < c.rows; r++)
        pn += pow(AT(n, r, 1) - AT(c, r, 1), 2.0) / (double)c.rows;
    assert_true(fabs(pn / (9.0 / 2.0 / 1000.0) - 1.0) < 0.1);
    free(c.x);
    free(n.x);
    free(b0);
    free(b1);
}

/* Phase of the 50 Hz component over 128 samples from row r0 (fundamental = sin(phase)). */
static double phase_at(const table_t *t, size_t r0, size_t col)
{
    double re = 0.0, im = 0.0;
    for (size_t j = 0; j < 128; j++) {
        double a = TWO_PI * (double)j / 128.0;
        re += AT(*t, r0 + j, col) * cos(a);
        im -= AT(*t, r0 + j, col) * sin(a);
    }
    return atan2(im, re) + TWO_PI / 4.0;
}

static double wrap(double x)
{
    return x - TWO_PI * floor(x / TWO_PI + 0.5);
}

static void test_stream_labels_phase(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg = clean_cfg();
    cfg.minutes = 2.0;
    cfg.events_per_hour = 1200.0; /* 40 events */
    cfg.current = 1;
    cfg.seed = 2024;
    char err[ERRLEN] = "", *buf;
    size_t len;
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &buf, &len, err), 0);
    table_t t = parse(buf, 5, "t,v,i,label,class");
    assert_int_equal(t.rows, 2 * 60 * 6400);
    double ph0 = phase_at(&t, 0, 1), w = TWO_PI * 50.0 / 6400.0;
    double pf = cos(wrap(ph0 - phase_at(&t, 0, 2)));
    assert_true(pf >= 0.8 - 1e-4 && pf <= 1.0);
    size_t runs = 0, last_end = 0;
    unsigned seen[30] = {0};
    for (size_t r = 0; r < t.rows;) {
        assert_true(fabs(AT(t, r, 0) - (double)r / 6400.0) < 1e-6);
        if (AT(t, r, 3) == 0.0) {
            assert_int_equal((unsigned)AT(t, r, 4), 1);
            r++;
            continue;
        }
        size_t s = r;
        unsigned cls = (unsigned)AT(t, r, 4);
        assert_in_range(cls, 2, 29);
        while (r < t.rows && AT(t, r, 3) == 1.0) {
            assert_int_equal((unsigned)AT(t, r, 4), cls);
            r++;
        }
        size_t n = r - s;
        seen[cls]++;
        runs++;
        assert_true(s - last_end >= 256 && t.rows - r >= 256); /* 2 cycles of normal */
        last_end = r;
        if (cls == 5)
            assert_int_equal(n, 6); /* 1 ms */
        else if (cls == 6)
            assert_in_range(n, 64, 384);
        else if ((cls >= 2 && cls <= 4) || (cls >= 13 && cls <= 16) || (cls >= 20 && cls <= 23) ||
                 cls >= 28)
            assert_in_range(n, 64, 3840);
        else
            assert_in_range(n, 640, 6400);
        /* The fundamental phase just before and just after the event is the global one. */
        const size_t at[2] = {s - 128, r};
        for (int k = 0; k < 2; k++) {
            double d = wrap(phase_at(&t, at[k], 1) - ph0 - w * (double)at[k]);
            if (fabs(d) > 1e-4)
                fail_msg("class %u event at row %zu: phase off by %g rad", cls, s, d);
        }
    }
    assert_int_equal(runs, 40);
    for (unsigned k = 2; k <= 29; k++)
        assert_true(seen[k] >= 1);
    free(t.x);
    free(buf);
}

static void test_stream_gain(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg = clean_cfg();
    cfg.minutes = 1.0;
    cfg.events_per_hour = 1800.0;
    cfg.classes = 0x7u << 1; /* sag, swell, interruption */
    cfg.current = 1;
    char err[ERRLEN] = "", *buf;
    size_t len;
    assert_int_equal(run_mem(vgh_sim_power_stream, &cfg, &buf, &len, err), 0);
    table_t t = parse(buf, 5, "t,v,i,label,class");
    double ph0 = phase_at(&t, 0, 1), w = TWO_PI * 50.0 / 6400.0;
    double lo = INFINITY, hi = -INFINITY;
    unsigned cls = 0;
    for (size_t r = 0; r <= t.rows; r++) {
        int in = r < t.rows && AT(t, r, 3) == 1.0;
        if (cls != 0 && (!in || (unsigned)AT(t, r, 4) != cls)) { /* end of a run */
            assert_true(hi - lo < 1e-4);
            if (cls == 2)
                assert_true(lo >= 0.1 - 1e-4 && hi <= 0.9 + 1e-4);
            else if (cls == 3)
                assert_true(lo >= 1.1 - 1e-4 && hi <= 1.8 + 1e-4);
            else
                assert_true(hi <= 0.1 + 1e-4);
            cls = 0;
        }
        if (r == t.rows)
            break;
        double s = sin(ph0 + w * (double)r);
        if (in && cls == 0) {
            cls = (unsigned)AT(t, r, 4);
            lo = INFINITY;
            hi = -INFINITY;
        }
        if (fabs(s) < 0.3)
            continue;
        double g = AT(t, r, 1) / s;
        if (in) {
            lo = fmin(lo, g);
            hi = fmax(hi, g);
        } else if (fabs(g - 1.0) > 1e-4) {
            fail_msg("row %zu outside events: gain %g", r, g);
        }
    }
    free(t.x);
    free(buf);
}

static void test_stream_memory(void **state)
{
    (void)state;
    vgh_simpower_cfg_t cfg;
    vgh_simpower_defaults(&cfg);
    cfg.minutes = 10.0;
    cfg.snr_db = 30.0;
    cfg.current = 1;
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    struct rusage ru0, ru1;
    struct timespec t0, t1;
    getrusage(RUSAGE_SELF, &ru0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[ERRLEN] = "";
    assert_int_equal(vgh_sim_power_stream(&cfg, f, err, ERRLEN), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &ru1);
    fclose(f);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    long grow_kb = ru1.ru_maxrss - ru0.ru_maxrss;
    print_message("10 min stream (3.84 M rows): %.2f s, peak RSS grew %ld kB\n", s, grow_kb);
    assert_true(grow_kb < 16 * 1024); /* O(samples) would be > 30 MB for the doubles alone */
    assert_true(s < 120.0);
}

static void test_bad_config(void **state)
{
    (void)state;
    char err[ERRLEN];
    vgh_simpower_cfg_t c;
    const struct {
        int field;
        double v;
        const char *msg;
    } bad[] = {
        {0, 999.0, "fs must be"},
        {1, 39.0, "f0 must be"},
        {1, 101.0, "f0 must be"},
        {2, -0.1, "freq_dev must be"},
        {3, 0.0, "amp must be"},
        {4, -11.0, "snr_db"},
        {4, NAN, "snr_db"},
        {4, -INFINITY, "snr_db"},
        {5, 2.0, "cycles must be"},
        {6, 0.0, "per_class must be"},
        {7, 2000.0, "highest component"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vgh_simpower_defaults(&c);
        switch (bad[i].field) {
        case 0: c.fs = bad[i].v; break;
        case 1: c.f0 = bad[i].v; break;
        case 2: c.freq_dev = bad[i].v; break;
        case 3: c.amp = bad[i].v; break;
        case 4: c.snr_db = bad[i].v; break;
        case 5: c.cycles = (unsigned)bad[i].v; break;
        case 6: c.per_class = (unsigned)bad[i].v; break;
        default: c.fs = bad[i].v; break;
        }
        err[0] = '\0';
        assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_SNIPPETS, err, ERRLEN), -1);
        assert_contains(err, bad[i].msg);
        err[0] = '\0';
        assert_int_equal(vgh_sim_power_snippets(&c, stdout, err, ERRLEN), -1);
        assert_contains(err, bad[i].msg);
    }
    /* 2000 Hz is fine without transients or harmonics; 2250 Hz with them. */
    vgh_simpower_defaults(&c);
    c.fs = 2000.0;
    c.classes = 0x7u << 1;
    assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_SNIPPETS, err, ERRLEN), 0);
    c.classes = 0;
    c.fs = 2250.0;
    assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_STREAM, err, ERRLEN), 0);
    c.classes = 1u << 29;
    assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_SNIPPETS, err, ERRLEN), -1);
    assert_contains(err, "classes");
    vgh_simpower_defaults(&c);
    c.minutes = 0.0;
    assert_int_equal(vgh_sim_power_stream(&c, stdout, err, ERRLEN), -1);
    assert_contains(err, "minutes must be");
    c.minutes = 0.05;
    c.events_per_hour = 6000.0; /* 5 events of up to 1 s in 3 s */
    assert_int_equal(vgh_sim_power_stream(&c, stdout, err, ERRLEN), -1);
    assert_contains(err, "record longer");
    c.events_per_hour = -1.0;
    assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_STREAM, err, ERRLEN), -1);
    assert_contains(err, "events_per_hour");
    c.events_per_hour = 60.0;
    c.current = 1;
    c.cur_amp = 0.0;
    assert_int_equal(vgh_simpower_check(&c, VGH_SIMPOWER_STREAM, err, ERRLEN), -1);
    assert_contains(err, "cur_amp");
    assert_int_equal(vgh_simpower_check(&c, 7, err, ERRLEN), -1);
    assert_int_equal(vgh_simpower_check(NULL, VGH_SIMPOWER_STREAM, err, ERRLEN), -1);
    vgh_simpower_defaults(&c);
    assert_int_equal(vgh_sim_power_stream(&c, NULL, err, ERRLEN), -1);
    assert_contains(err, "NULL");
    assert_int_equal(vgh_sim_power_snippets(NULL, stdout, NULL, 0), -1);
}

static void test_classes(void **state)
{
    (void)state;
    char err[ERRLEN];
    uint32_t m = 0;
    assert_int_equal(vgh_pq_classes_parse("all", &m, err, ERRLEN), 0);
    assert_int_equal(m, VGH_PQ_ALL);
    assert_int_equal(vgh_pq_classes_parse("2,3,5-9", &m, err, ERRLEN), 0);
    assert_int_equal(m, 0x1F6u);
    assert_int_equal(vgh_pq_classes_parse(" sag , swell,29 ", &m, err, ERRLEN), 0);
    assert_int_equal(m, 0x6u | (1u << 28));
    assert_int_equal(vgh_pq_classes_parse("pure-interruption", &m, err, ERRLEN), 0);
    assert_int_equal(m, 0xFu);
    const char *badl[] = {"", "0", "30", "9-3", "foo", "2,", "1-", "-3", "123"};
    for (size_t i = 0; i < sizeof badl / sizeof badl[0]; i++) {
        m = 7;
        err[0] = '\0';
        assert_int_equal(vgh_pq_classes_parse(badl[i], &m, err, ERRLEN), -1);
        assert_int_equal(m, 7);
        assert_contains(err, "classes: ");
    }
    assert_int_equal(vgh_pq_classes_parse("9-3", &m, err, ERRLEN), -1);
    assert_contains(err, "reversed range");
    assert_int_equal(vgh_pq_classes_parse(NULL, &m, err, ERRLEN), -1);
    assert_int_equal(vgh_pq_classes_parse("1", NULL, NULL, 0), -1);

    assert_string_equal(vgh_pq_class_name(1), "pure");
    assert_string_equal(vgh_pq_class_name(2), "sag");
    assert_string_equal(vgh_pq_class_name(17), "notch");
    assert_string_equal(vgh_pq_class_name(29), "swell_harm_flicker_osc");
    assert_null(vgh_pq_class_name(0));
    assert_null(vgh_pq_class_name(30));
    for (unsigned c = 1; c <= VGH_PQ_NCLASSES; c++) {
        assert_int_equal(vgh_pq_classes_parse(vgh_pq_class_name(c), &m, err, ERRLEN), 0);
        assert_int_equal(m, 1u << (c - 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First, so that the peak RSS it measures is not that of the other tests. */
        cmocka_unit_test(test_stream_memory), cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_snippet_shape), cmocka_unit_test(test_class_properties),
        cmocka_unit_test(test_snr),           cmocka_unit_test(test_stream_labels_phase),
        cmocka_unit_test(test_stream_gain),   cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
