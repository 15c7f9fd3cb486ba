/* SPDX-License-Identifier: MIT */
/* The collector's replay (GET /api/replay): a model over a labelled recording at a threshold,
 * with the events it raises and precision/recall; thinning keeps peaks; missing and unusable
 * files are refused with the right status; a changed recording is read again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "artifact.h"
#include "vgc_replay.h"

static char dir[256];

/* A zscore model over the newest sample (window 4, hop 1, 1 Hz): the raw score of a row is
 * |value|, so thresholds pick the spikes exactly. */
static void write_model(const char *name)
{
    vgh_artifact_spec_t s;
    memset(&s, 0, sizeof s);
    s.sample_rate = 1.0f;
    s.n_channels = 1;
    s.window = 4;
    s.hop = 1;
    s.n_features = 1;
    s.feats[0].channel = 0;
    s.feats[0].feature = VG_FEAT_LAST;
    s.norm_kind = VG_NORM_ZSCORE;
    s.norm[0] = 0.0f;
    s.norm[1] = 1.0f;
    s.max_missing_pm = 100;
    s.threshold = 3.0f;
    s.open_after = 1;
    s.close_after = 1;
    s.kind = VG_KIND_ZSCORE;
    s.meta = "channels=value\n";
    uint8_t *buf;
    size_t len;
    char err[256], path[512];
    assert_int_equal(vgh_artifact_build(&s, &buf, &len, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/%s.vgm", dir, name);
    assert_int_equal(vgh_write_file(path, buf, len, err, sizeof err), 0);
    free(buf);
}

/* 200 rows at 1 Hz: labelled spikes of 10 (rows 50-54) and 8 (rows 120-121), an unlabelled
 * 5 at row 170 (a false alarm below threshold 5), noise of 0.1 elsewhere. */
static void write_recording(const char *name, int with_label, int second_spike)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(with_label ? "timestamp,value,label,kind\n" : "timestamp,value\n", f);
    for (int i = 0; i < 200; i++) {
        double v = i % 2 ? 0.1 : -0.1;
        int y = 0;
        if (i >= 50 && i <= 54)
            v = 10, y = 1;
        if (second_spike && i >= 120 && i <= 121)
            v = 8, y = 1;
        if (i == 170)
            v = 5;
        if (with_label)
            fprintf(f, "%d.0,%g,%d,%s\n", 1000 + i, v, y, y ? "spike" : "normal");
        else
            fprintf(f, "%d.0,%g\n", 1000 + i, v);
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vigil-test-replay-%ld", (long)getpid());
    mkdir(dir, 0700);
    write_model("dev-a");
    write_recording("dev-a", 1, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vgc_replay_cleanup();
    const char *files[] = {"dev-a.csv", "dev-a.vgm", "nolab.csv", "nolab.vgm",
                           "bad.csv",   "bad.vgm",   "only.csv"};
    char path[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* Replay and parse; the HTTP status in *code, the error (if any) in err. */
static cJSON *replay(const char *device, double thr, long points, unsigned *code, char *err,
                     size_t errlen)
{
    vgc_replay_req_t q = {.dir = dir, .device = device, .threshold = thr, .points = points};
    vgc_buf_t b = {0};
    err[0] = '\0';
    *code = vgc_replay_compute(&q, &b, err, errlen);
    cJSON *j = *code == 200 ? cJSON_Parse(b.p) : NULL;
    if (*code == 200)
        assert_non_null(j);
    else
        assert_null(b.p);
    vgc_buf_free(&b);
    return j;
}

static double num(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        x = cJSON_GetObjectItemCaseSensitive(x, b);
    assert_true(cJSON_IsNumber(x));
    return x->valuedouble;
}

static void thresholds(void **state)
{
    (void)state;
    unsigned code;
    char err[512];
    /* 0: the model's threshold (3): both spikes and the false alarm. */
    cJSON *j = replay("dev-a", 0, 0, &code, err, sizeof err);
    assert_int_equal(code, 200);
    assert_true(num(j, "threshold", NULL) == 3.0);
    assert_true(num(j, "events", "labelled") == 2);
    assert_true(num(j, "events", "detected") == 2);
    assert_true(num(j, "events", "predicted") == 3);
    assert_true(num(j, "events", "false_alarms") == 1);
    assert_float_equal(num(j, "events", "precision"), 2.0 / 3.0, 1e-6);
    assert_true(num(j, "events", "recall") == 1.0);
    assert_true(num(j, "pointwise", "tp") == 7);
    assert_true(num(j, "pointwise", "fp") == 1);
    const cJSON *raised = cJSON_GetObjectItemCaseSensitive(j, "raised");
    assert_int_equal(cJSON_GetArraySize(raised), 3);
    const cJSON *r0 = cJSON_GetArrayItem(raised, 0), *r2 = cJSON_GetArrayItem(raised, 2);
    assert_true(num(r0, "start", NULL) == 1050.0 && num(r0, "end", NULL) == 1054.0);
    assert_true(num(r0, "peak", NULL) == 10.0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "match")->valuestring, "spike");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r2, "match")));
    /* Every window: rows 3..199. */
    assert_true(num(j, "windows", "count") == 197);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(j, "windows"), "raw")),
                     197);
    cJSON_Delete(j);

    /* 9: only the first spike; the second is missed, no false alarm. */
    j = replay("dev-a", 9, 0, &code, err, sizeof err);
    assert_int_equal(code, 200);
    assert_true(num(j, "events", "predicted") == 1);
    assert_true(num(j, "events", "detected") == 1);
    assert_true(num(j, "events", "precision") == 1.0);
    assert_true(num(j, "events", "recall") == 0.5);
    cJSON_Delete(j);

    /* Above every score: nothing raised, precision undefined (null), recall 0. */
    j = replay("dev-a", 100, 0, &code, err, sizeof err);
    assert_int_equal(code, 200);
    assert_true(num(j, "events", "predicted") == 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "events"), "precision")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "raised")), 0);
    cJSON_Delete(j);
}

static void thinning_keeps_peaks(void **state)
{
    (void)state;
    unsigned code;
    char err[512];
    cJSON *j = replay("dev-a", 0, 10, &code, err, sizeof err);
    assert_int_equal(code, 200);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "windows");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "thinned")));
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(w, "raw"),
                *t = cJSON_GetObjectItemCaseSensitive(w, "t");
    assert_int_equal(cJSON_GetArraySize(raw), 10);
    assert_int_equal(cJSON_GetArraySize(t), 10);
    int tens = 0, eights = 0, fives = 0;
    const cJSON *x;
    double prev = 0;
    cJSON_ArrayForEach(x, raw)
    {
        tens += x->valuedouble == 10.0;
        eights += x->valuedouble == 8.0;
        fives += x->valuedouble == 5.0;
    }
    cJSON_ArrayForEach(x, t)
    {
        assert_true(x->valuedouble > prev); /* in time order */
        prev = x->valuedouble;
    }
    assert_int_equal(tens, 1);
    assert_int_equal(eights, 1);
    assert_int_equal(fives, 1);
    cJSON_Delete(j);
}

static void refusals(void **state)
{
    (void)state;
    unsigned code;
    char err[512];
    assert_null(replay("nobody", 0, 0, &code, err, sizeof err));
    assert_int_equal(code, 404);
    assert_non_null(strstr(err, "nobody.csv"));
    write_recording("only", 1, 1); /* a recording without its model */
    assert_null(replay("only", 0, 0, &code, err, sizeof err));
    assert_int_equal(code, 404);
    assert_non_null(strstr(err, "only.vgm"));

    write_model("nolab");
    write_recording("nolab", 0, 1);
    assert_null(replay("nolab", 0, 0, &code, err, sizeof err));
    assert_int_equal(code, 422);
    assert_non_null(strstr(err, "no 'label' column"));

    /* A corrupt model: refused, and the message names the file but not the directory. */
    write_recording("bad", 1, 1);
    char path[512];
    snprintf(path, sizeof path, "%s/bad.vgm", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a model at all, just text", f);
    fclose(f);
    assert_null(replay("bad", 0, 0, &code, err, sizeof err));
    assert_int_equal(code, 422);
    assert_non_null(strstr(err, "bad.vgm"));
    assert_null(strstr(err, dir));
}

static void changed_recording_is_read_again(void **state)
{
    (void)state;
    unsigned code;
    char err[512];
    cJSON *j = replay("dev-a", 0, 0, &code, err, sizeof err);
    assert_true(num(j, "events", "labelled") == 2);
    cJSON_Delete(j);
    write_recording("dev-a", 1, 0); /* the second spike gone: another size */
    j = replay("dev-a", 0, 0, &code, err, sizeof err);
    assert_int_equal(code, 200);
    assert_true(num(j, "events", "labelled") == 1);
    cJSON_Delete(j);
    write_recording("dev-a", 1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(thresholds),
        cmocka_unit_test(thinning_keeps_peaks),
        cmocka_unit_test(refusals),
        cmocka_unit_test(changed_recording_is_read_again),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
