/* SPDX-License-Identifier: MIT */
/* Unit tests for host/vigil/sim_temp.c (cmocka). The output is read back with csv.c. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "sim_temp.h"

#define ERRLEN 512

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* Run the simulator into memory; returns 0/-1 and the malloc'ed text in *buf. */
static int run_mem(const vgh_simtemp_cfg_t *cfg, char **buf, size_t *len, char *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = open_memstream(buf, len);
    assert_non_null(f);
    int r = vgh_sim_temperature(cfg, f, err, ERRLEN);
    assert_int_equal(fclose(f), 0);
    return r;
}

static void test_determinism(void **state)
{
    (void)state;
    vgh_simtemp_cfg_t cfg;
    vgh_simtemp_defaults(&cfg);
    cfg.minutes = 180;
    cfg.seed = 12345;
    char err[ERRLEN] = "", *a, *b, *c;
    size_t la, lb, lc;
    assert_int_equal(run_mem(&cfg, &a, &la, err), 0);
    assert_int_equal(run_mem(&cfg, &b, &lb, err), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    cfg.seed = 12346;
    assert_int_equal(run_mem(&cfg, &c, &lc, err), 0);
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

typedef struct {
    unsigned kind;       /* bit, 0 = normal */
    unsigned long first; /* row index of the first row of the run */
    unsigned long n;     /* rows */
    double v_first, v_last, v_before;
    double sum, sumsq; /* over non-missing values */
    unsigned long nmissing, n_nan_text, n_empty;
    int constant;
} run_t;

static unsigned kind_bit(const char *name)
{
    for (unsigned b = 1; b <= VGH_ANOM_DROPOUT; b <<= 1)
        if (strcmp(vgh_anomaly_kind_name(b), name) == 0)
            return b;
    assert_string_equal(name, "normal");
    return 0;
}

/* Check one finished anomaly run against the ranges of its kind (2 Hz). */
static void check_run(const run_t *r, double noise)
{
    switch (r->kind) {
    case VGH_ANOM_SPIKE:
        assert_in_range(r->n, 4, 20);
        assert_true(fabs(r->v_first - r->v_before) > 2.0);
        break;
    case VGH_ANOM_DRIFT:
        assert_in_range(r->n, 1200, 2400);
        assert_true(fabs(r->v_last - r->v_first) > 1.5); /* >= 0.2 degC/min for 10 min */
        break;
    case VGH_ANOM_STUCK:
        assert_in_range(r->n, 120, 600);
        assert_true(r->constant);
        break;
    case VGH_ANOM_NOISE: {
        assert_in_range(r->n, 60, 240);
        double m = r->sum / (double)r->n;
        double sd = sqrt(r->sumsq / (double)r->n - m * m);
        assert_true(sd > 3.0 * noise);
        break;
    }
    case VGH_ANOM_DROPOUT:
        assert_in_range(r->n, 20, 120);
        assert_int_equal(r->nmissing, r->n);
        assert_true(r->n_nan_text == r->n || r->n_empty == r->n);
        break;
    default: fail_msg("bad kind %u", r->kind);
    }
}

static void check_one_day(uint64_t seed)
{
    vgh_simtemp_cfg_t cfg;
    vgh_simtemp_defaults(&cfg);
    cfg.minutes = 1440;
    cfg.rate_hz = 2;
    cfg.seed = seed;
    print_message("seed %llu\n", (unsigned long long)seed);
    cfg.kinds = VGH_ANOM_ALL;
    char err[ERRLEN] = "", *buf;
    size_t len;
    assert_int_equal(run_mem(&cfg, &buf, &len, err), 0);

    vgh_csv_t *c = vgh_csv_open_mem(buf, len, "sim.csv", err, ERRLEN);
    assert_non_null(c);
    assert_int_equal(vgh_csv_ncols(c), 4);
    assert_string_equal(vgh_csv_colname(c, 0), "timestamp");
    assert_string_equal(vgh_csv_colname(c, 1), "value");
    assert_string_equal(vgh_csv_colname(c, 2), "label");
    assert_string_equal(vgh_csv_colname(c, 3), "kind");

    unsigned long rows = 0, last_end = 0, min_gap = ULONG_MAX, first_start = 0;
    unsigned counts[VGH_ANOM_DROPOUT + 1] = {0};
    unsigned nevents = 0;
    run_t cur = {0};
    double prev_v = NAN, lo = cfg.setpoint - (cfg.daily_amp + 1),
           hi = cfg.setpoint + (cfg.daily_amp + 1);
    int r;
    while ((r = vgh_csv_next(c, err, ERRLEN)) == 1) {
        double ts, v;
        char want_ts[64];
        assert_int_equal(vgh_csv_number(c, 0, &ts, err, ERRLEN), 0);
        snprintf(want_ts, sizeof want_ts, "%.3f", cfg.start_epoch + (double)rows / cfg.rate_hz);
        assert_string_equal(vgh_csv_cell(c, 0), want_ts);
        assert_int_equal(vgh_csv_number(c, 1, &v, err, ERRLEN), 0);
        unsigned kind = kind_bit(vgh_csv_cell(c, 3));
        assert_string_equal(vgh_csv_cell(c, 2), kind ? "1" : "0");
        if (kind == 0) {
            assert_true(!isnan(v));
            assert_true(v > lo && v < hi);
        }
        if (kind != cur.kind || rows == 0) {
            if (cur.kind != 0) {
                check_run(&cur, cfg.noise);
                counts[cur.kind]++;
                nevents++;
                last_end = rows;
            } else if (kind != 0) {
                if (nevents == 0)
                    first_start = rows;
                else if (rows - last_end < min_gap)
                    min_gap = rows - last_end;
            }
            /* Events are separated by normal rows, so two kinds never touch. */
            assert_true(cur.kind == 0 || kind == 0);
            memset(&cur, 0, sizeof cur);
            cur.kind = kind;
            cur.first = rows;
            cur.v_first = v;
            cur.v_before = prev_v;
            cur.constant = 1;
        }
        cur.n++;
        if (isnan(v)) {
            cur.nmissing++;
            cur.n_empty += vgh_csv_cell(c, 1)[0] == '\0';
            cur.n_nan_text += strcmp(vgh_csv_cell(c, 1), "nan") == 0;
        } else {
            if (cur.n > 1 && v != cur.v_last)
                cur.constant = 0;
            cur.v_last = v;
            cur.sum += v;
            cur.sumsq += v * v;
        }
        prev_v = v;
        rows++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(cur.kind, 0); /* every event ends before the recording does */
    assert_int_equal(rows, 1440ul * 60ul * 2ul);
    for (unsigned b = 1; b <= VGH_ANOM_DROPOUT; b <<= 1) {
        if (counts[b] < 5)
            fail_msg("kind %s: %u events", vgh_anomaly_kind_name(b), counts[b]);
    }
    assert_int_equal(nevents, 30);    /* 6 per day per kind */
    assert_true(first_start >= 1200); /* none in the first 10 min */
    assert_true(min_gap >= 1200);     /* >= 10 min of normal rows between events */
    vgh_csv_close(c);
    free(buf);
}

static void test_one_day_all_kinds(void **state)
{
    (void)state;
    const uint64_t seeds[] = {7, 1, 0xDEADBEEFu, UINT64_MAX};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        check_one_day(seeds[i]);
}

static unsigned long count_rows(const vgh_simtemp_cfg_t *cfg, unsigned long *anom)
{
    char err[ERRLEN] = "", *buf;
    size_t len;
    if (run_mem(cfg, &buf, &len, err) != 0)
        fail_msg("%s", err);
    unsigned long n = 0;
    *anom = 0;
    const char *line = buf, *end = buf + len;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        assert_non_null(nl);
        if (n > 0 && !((size_t)(nl - line) > 7 && memcmp(nl - 7, ",normal", 7) == 0))
            (*anom)++;
        n++;
        line = nl + 1;
    }
    free(buf);
    return n - 1; /* minus the header */
}

static void test_row_count_and_defaults(void **state)
{
    (void)state;
    vgh_simtemp_cfg_t cfg;
    vgh_simtemp_defaults(&cfg);
    assert_true(cfg.setpoint == 22.0 && cfg.daily_amp == 1.5 && cfg.noise == 0.1);
    assert_true(cfg.start_epoch == 1767225600.0);
    unsigned long anom;
    cfg.kinds = VGH_ANOM_DRIFT;
    cfg.minutes = 90;
    cfg.rate_hz = 2;
    assert_int_equal(count_rows(&cfg, &anom), 90ul * 60ul * 2ul);
    assert_true(anom > 0);
    cfg.minutes = 45;
    cfg.rate_hz = 0.5;
    assert_int_equal(count_rows(&cfg, &anom), 1350);
    cfg.minutes = 30; /* default: at least 1 event at >= 30 min */
    cfg.rate_hz = 10;
    assert_int_equal(count_rows(&cfg, &anom), 18000);
    assert_in_range(anom, 6000, 12000); /* one drift of 10..20 min */
    cfg.minutes = 29;                   /* round(6 * 29 / 1440) = 0 events */
    assert_int_equal(count_rows(&cfg, &anom), 17400);
    assert_int_equal(anom, 0);
    cfg.kinds = 0;
    cfg.minutes = 1;
    cfg.rate_hz = 100;
    assert_int_equal(count_rows(&cfg, &anom), 6000);
    assert_int_equal(anom, 0);
}

static void test_cfg_errors(void **state)
{
    (void)state;
    vgh_simtemp_cfg_t cfg;
    char err[ERRLEN] = "", *buf;
    size_t len;
    vgh_simtemp_defaults(&cfg);
    cfg.minutes = 30; /* 5 kinds x 1 event + 10 min gaps need about an hour */
    assert_int_equal(run_mem(&cfg, &buf, &len, err), -1);
    assert_contains(err, "sim_temperature: 5 events (1 per kind x 5 kinds) do not fit");
    assert_contains(err, "the recording is 30.0 min");
    free(buf);
    vgh_simtemp_defaults(&cfg);
    cfg.minutes = 120;
    cfg.events_per_kind = 100;
    assert_int_equal(run_mem(&cfg, &buf, &len, err), -1);
    assert_contains(err, "do not fit");
    free(buf);
    struct {
        double *field;
        double value;
        const char *name;
    } bad[] = {
        {&cfg.minutes, 0.0, "minutes"},
        {&cfg.minutes, -5.0, "minutes"},
        {&cfg.rate_hz, NAN, "rate_hz"},
        {&cfg.rate_hz, 0.0, "rate_hz"},
        {&cfg.noise, -0.1, "noise"},
        {&cfg.setpoint, INFINITY, "setpoint"},
        {&cfg.start_epoch, NAN, "start_epoch"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vgh_simtemp_defaults(&cfg);
        *bad[i].field = bad[i].value;
        err[0] = '\0';
        assert_int_equal(run_mem(&cfg, &buf, &len, err), -1);
        assert_contains(err, bad[i].name);
        free(buf);
    }
    vgh_simtemp_defaults(&cfg);
    cfg.kinds = 0x40;
    assert_int_equal(run_mem(&cfg, &buf, &len, err), -1);
    assert_contains(err, "kinds");
    free(buf);
    assert_int_equal(vgh_sim_temperature(NULL, stdout, err, ERRLEN), -1);
    vgh_simtemp_defaults(&cfg);
    assert_int_equal(vgh_sim_temperature(&cfg, NULL, NULL, 0), -1);
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        cfg.minutes = 60;
        cfg.kinds = 0;
        assert_int_equal(vgh_sim_temperature(&cfg, full, err, ERRLEN), -1);
        assert_string_equal(err, "sim_temperature: write error");
        fclose(full);
    }
}

static void test_kinds_parse(void **state)
{
    (void)state;
    char err[ERRLEN] = "";
    unsigned m = 99;
    assert_int_equal(vgh_anomaly_kinds_parse("spike,drift,stuck,noise,dropout", &m, err, ERRLEN),
                     0);
    assert_int_equal(m, VGH_ANOM_ALL);
    assert_int_equal(vgh_anomaly_kinds_parse("all", &m, err, ERRLEN), 0);
    assert_int_equal(m, VGH_ANOM_ALL);
    assert_int_equal(vgh_anomaly_kinds_parse("none", &m, err, ERRLEN), 0);
    assert_int_equal(m, 0);
    m = 99;
    assert_int_equal(vgh_anomaly_kinds_parse("", &m, err, ERRLEN), 0);
    assert_int_equal(m, 0);
    assert_int_equal(vgh_anomaly_kinds_parse(" spike , dropout ", &m, err, ERRLEN), 0);
    assert_int_equal(m, VGH_ANOM_SPIKE | VGH_ANOM_DROPOUT);
    assert_int_equal(vgh_anomaly_kinds_parse("stuck", &m, err, ERRLEN), 0);
    assert_int_equal(m, VGH_ANOM_STUCK);

    m = 77;
    assert_int_equal(vgh_anomaly_kinds_parse("spike,spkie", &m, err, ERRLEN), -1);
    assert_string_equal(err, "anomaly kinds: unknown kind 'spkie' (valid: spike, drift, "
                             "stuck, noise, dropout, all, none)");
    assert_int_equal(m, 77);
    assert_int_equal(vgh_anomaly_kinds_parse("Spike", &m, err, ERRLEN), -1);
    assert_contains(err, "'Spike'");
    assert_int_equal(vgh_anomaly_kinds_parse("spike,,drift", &m, err, ERRLEN), -1);
    assert_contains(err, "empty name");
    assert_int_equal(vgh_anomaly_kinds_parse("drift,", &m, err, ERRLEN), -1);
    assert_int_equal(
        vgh_anomaly_kinds_parse("x123456789012345678901234567890123456789012345678901234567890", &m,
                                err, ERRLEN),
        -1);
    assert_contains(err, "'x123456789012345678901234567890123456789...'");
    assert_int_equal(vgh_anomaly_kinds_parse(NULL, &m, err, ERRLEN), -1);
    assert_int_equal(vgh_anomaly_kinds_parse("spike", NULL, NULL, 0), -1);

    assert_string_equal(vgh_anomaly_kind_name(VGH_ANOM_SPIKE), "spike");
    assert_string_equal(vgh_anomaly_kind_name(VGH_ANOM_DRIFT), "drift");
    assert_string_equal(vgh_anomaly_kind_name(VGH_ANOM_STUCK), "stuck");
    assert_string_equal(vgh_anomaly_kind_name(VGH_ANOM_NOISE), "noise");
    assert_string_equal(vgh_anomaly_kind_name(VGH_ANOM_DROPOUT), "dropout");
    assert_string_equal(vgh_anomaly_kind_name(0), "normal");
    assert_null(vgh_anomaly_kind_name(VGH_ANOM_SPIKE | VGH_ANOM_DRIFT));
    assert_null(vgh_anomaly_kind_name(1u << 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_one_day_all_kinds),
        cmocka_unit_test(test_row_count_and_defaults),
        cmocka_unit_test(test_cfg_errors),
        cmocka_unit_test(test_kinds_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
