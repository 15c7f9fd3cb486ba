/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of host/vigil/plots.c. Needs gnuplot with the pngcairo terminal.
 * Set VGH_KEEP_PLOTS=1 to keep the output folders (their paths are printed).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "plots.h"
#include "rng.h"

/* A synthetic recording: daily-ish sine with noise, three labelled anomalies. */
typedef struct {
    size_t n;
    double *t;
    float *signal, *recon, *raw;
    uint8_t *pred, *label;
    double *fpr, *tpr;
    size_t n_roc;
    double auc;
    float threshold;
} synth_t;

static void synth_make(synth_t *d, size_t n, double period_s, uint64_t seed, int gaps)
{
    print_message("synth: n %zu, seed %llu\n", n, (unsigned long long)seed);
    vgh_rng_t r;
    vgh_rng_seed(&r, seed);
    d->n = n;
    d->t = malloc(n * sizeof *d->t);
    d->signal = malloc(n * sizeof *d->signal);
    d->recon = malloc(n * sizeof *d->recon);
    d->raw = malloc(n * sizeof *d->raw);
    d->pred = malloc(n);
    d->label = malloc(n);
    assert_true(d->t && d->signal && d->recon && d->raw && d->pred && d->label);
    double ema = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = (double)i / (double)n;
        d->t[i] = 1.7e9 + (double)i * period_s;
        double base = 20.0 + 3.0 * sin(6.283185307179586 * f * 3.0);
        double x = base + 0.25 * vgh_rng_normal(&r);
        uint8_t lab = 0;
        if (f > 0.20 && f < 0.215) { /* spike burst */
            x += 4.0 * vgh_rng_normal(&r);
            lab = 1;
        } else if (f > 0.50 && f < 0.56) { /* level shift */
            x += 2.5;
            lab = 1;
        } else if (f > 0.80 && f < 0.83) { /* stuck sensor */
            x = 21.0 + 0.01 * vgh_rng_normal(&r);
            lab = 1;
        }
        d->signal[i] = (float)x;
        d->recon[i] = (float)(base + 0.15 * (x - base));
        double e = (x - base) * (x - base);
        ema = i ? 0.9 * ema + 0.1 * e : e;
        d->raw[i] = i < 20 ? NAN : (float)ema; /* warm-up: no score yet */
        d->label[i] = lab;
        if (gaps && f > 0.65 && f < 0.68)
            d->signal[i] = d->recon[i] = NAN;
    }
    d->threshold = 0.5f;
    for (size_t i = 0; i < n; i++)
        d->pred[i] = d->raw[i] > d->threshold ? 1u : 0u;
    assert_int_equal(vgh_roc_curve(d->raw, d->label, n, &d->fpr, &d->tpr, &d->n_roc), 0);
    d->auc = vgh_roc_auc(d->raw, d->label, n);
}

static void synth_free(synth_t *d)
{
    free(d->t);
    free(d->signal);
    free(d->recon);
    free(d->raw);
    free(d->pred);
    free(d->label);
    free(d->fpr);
    free(d->tpr);
}

static vgh_plot_input_t synth_input(const synth_t *d, const char *dir, const char *title)
{
    vgh_plot_input_t in;
    memset(&in, 0, sizeof in);
    in.dir = dir;
    in.title = title;
    in.t = d->t;
    in.n = d->n;
    in.signal = d->signal;
    in.recon = d->recon;
    in.raw = d->raw;
    in.pred = d->pred;
    in.label = d->label;
    in.threshold = d->threshold;
    in.fpr = d->fpr;
    in.tpr = d->tpr;
    in.n_roc = d->n_roc;
    in.auc = d->auc;
    return in;
}

static void make_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/vgh_test_plots_XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void check_png(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, f), 8);
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_memory_equal(sig, png, 8);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    fclose(f);
    print_message("%s: %ld bytes\n", path, size);
    assert_true(size > 5 * 1024);
}

/* Only plots.gp and the PNGs remain: the temporary data folder is gone. */
static void check_clean(const char *dir)
{
    char cmd_path[512];
    snprintf(cmd_path, sizeof cmd_path, "%s/plots.gp", dir);
    assert_int_equal(access(cmd_path, R_OK), 0);
    FILE *f = fopen(cmd_path, "r");
    assert_non_null(f);
    char line[4096], tmp[64] = "";
    while (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, ".vgh_plot_");
        if (p) {
            snprintf(tmp, sizeof tmp, "%.16s", p);
            break;
        }
    }
    fclose(f);
    assert_true(tmp[0] != 0);
    snprintf(cmd_path, sizeof cmd_path, "%s/%s", dir, tmp);
    struct stat st;
    assert_int_not_equal(stat(cmd_path, &st), 0);
}

static void remove_outputs(const char *dir)
{
    if (getenv("VGH_KEEP_PLOTS")) {
        print_message("kept %s\n", dir);
        return;
    }
    static const char *const names[] = {"signal.png", "errors.png", "roc.png", "plots.gp"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void write_and_check(const vgh_plot_input_t *in)
{
    char err[512] = "";
    int rc = vgh_plots_write(in, err, sizeof err);
    if (rc != 0)
        print_error("vgh_plots_write: %s\n", err);
    assert_int_equal(rc, 0);
    check_png(in->dir, "signal.png");
    check_png(in->dir, "errors.png");
    check_png(in->dir, "roc.png");
    check_clean(in->dir);
}

static void test_small(void **state)
{
    (void)state;
    char base[64], dir[128];
    make_tmpdir(base, sizeof base);
    snprintf(dir, sizeof dir, "%s/out", base); /* created by vgh_plots_write */
    synth_t d;
    synth_make(&d, 3000, 10.0, 1u, 0);
    vgh_plot_input_t in = synth_input(&d, dir, "ae_v2 on pump_07.csv (it's a test)");
    write_and_check(&in);
    remove_outputs(dir);
    if (!getenv("VGH_KEEP_PLOTS"))
        rmdir(base);
    synth_free(&d);
}

/* > VGH_PLOT_MAX_ROWS rows with a NaN gap: thinned path, training histogram. */
static void test_long_thinned(void **state)
{
    (void)state;
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    synth_t d;
    synth_make(&d, 300000, 1.0, 2u, 1);
    /* a single-row prediction far from anything: must still be drawn */
    d.pred[123457] = 1;
    float train[5000];
    vgh_rng_t r;
    vgh_rng_seed(&r, 3u);
    for (size_t i = 0; i < 5000; i++) {
        double z = 0.25 * vgh_rng_normal(&r);
        train[i] = (float)(z * z);
    }
    vgh_plot_input_t in = synth_input(&d, dir, "long recording, thinned");
    in.recon = NULL;
    in.train_err = train;
    in.n_train_err = 5000;
    write_and_check(&in);
    remove_outputs(dir);
    synth_free(&d);
}

/* Degenerate inputs still give three figures: no ROC, no scores, one class. */
static void test_degenerate(void **state)
{
    (void)state;
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    synth_t d;
    synth_make(&d, 500, 60.0, 4u, 0);
    for (size_t i = 0; i < d.n; i++) {
        d.raw[i] = NAN;
        d.label[i] = 0;
        d.pred[i] = 0;
    }
    vgh_plot_input_t in = synth_input(&d, dir, NULL);
    in.fpr = in.tpr = NULL;
    in.n_roc = 0;
    in.auc = NAN;
    in.threshold = NAN;
    write_and_check(&in);
    remove_outputs(dir);
    synth_free(&d);
}

static void test_errors(void **state)
{
    (void)state;
    char base[64], file[128], dir[192];
    make_tmpdir(base, sizeof base);
    /* A regular file as parent: unwritable even for root. */
    snprintf(file, sizeof file, "%s/not_a_dir", base);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/out", file);
    synth_t d;
    synth_make(&d, 200, 1.0, 5u, 0);
    vgh_plot_input_t in = synth_input(&d, dir, "x");
    char err[512] = "";
    assert_int_equal(vgh_plots_write(&in, err, sizeof err), -1);
    print_message("expected error: %s\n", err);
    assert_non_null(strstr(err, "cannot create directory"));
    /* the output "directory" is a regular file */
    in.dir = file;
    err[0] = 0;
    assert_int_equal(vgh_plots_write(&in, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a directory"));

    /* gnuplot missing from PATH */
    in.dir = base;
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", base, 1);
    err[0] = 0;
    int rc_missing = vgh_plots_write(&in, err, sizeof err);
    char err_missing[512];
    snprintf(err_missing, sizeof err_missing, "%s", err);

    /* gnuplot that fails: its stderr and exit status reach err; temp data is removed */
    char fake[128];
    snprintf(fake, sizeof fake, "%s/gnuplot", base);
    f = fopen(fake, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\necho '\"plots.gp\" line 7: boom' >&2\nexit 3\n", f);
    fclose(f);
    assert_int_equal(chmod(fake, 0755), 0);
    err[0] = 0;
    int rc_fail = vgh_plots_write(&in, err, sizeof err);
    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    free(saved);

    assert_int_equal(rc_missing, -1);
    assert_string_equal(err_missing, "gnuplot not found; install gnuplot-nox");
    print_message("expected error: %s\n", err);
    assert_int_equal(rc_fail, -1);
    assert_non_null(strstr(err, "exit 3"));
    assert_non_null(strstr(err, "line 7: boom"));
    check_clean(base);
    unlink(fake);
    char gp[128];
    snprintf(gp, sizeof gp, "%s/plots.gp", base);
    unlink(gp);

    /* bad arguments */
    assert_int_equal(vgh_plots_write(NULL, err, sizeof err), -1);
    vgh_plot_input_t bad = in;
    bad.raw = NULL;
    err[0] = 0;
    assert_int_equal(vgh_plots_write(&bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "required"));
    bad = in;
    bad.n = 0;
    assert_int_equal(vgh_plots_write(&bad, NULL, 0), -1);
    double t2[2] = {1.0, 0.0};
    bad = in;
    bad.t = t2;
    bad.n = 2;
    err[0] = 0;
    assert_int_equal(vgh_plots_write(&bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "row 1"));

    unlink(file);
    rmdir(base);
    synth_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small),
        cmocka_unit_test(test_long_thinned),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
