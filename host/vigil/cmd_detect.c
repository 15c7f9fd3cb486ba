/* SPDX-License-Identifier: MIT */
/* vigil detect: stream a CSV through the core detector, sample by sample, as a device does. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"

#define CMD "detect"

static const char usage_text[] =
    "Usage: vigil detect -m MODEL -i FILE.csv [-o OUT.csv]\n"
    "\n"
    "Streams FILE through the model's pipeline one row at a time (the code a device runs) and\n"
    "writes one row per input row: timestamp,score,anomaly,raw\n"
    "  score    raw / (raw + threshold): in [0,1], 0.5 at the model's threshold\n"
    "  anomaly  1 while an event is open (threshold with hysteresis)\n"
    "  raw      unscaled score of the latest window; empty before the first window, inf for a\n"
    "           window that failed the missing-sample policy (dropout)\n"
    "The input needs the model's channel columns (see `vigil info`). Missing or NaN values are\n"
    "allowed (dropout policy, docs/detectors.md); time must not go backwards.\n"
    "Waveform (power-quality) models write t,score,anomaly,class per row of a stream, and\n"
    "segment,score,anomaly,class per segment of snippets (a `segment` column); a forest's raw\n"
    "score is the share of its trees voting for a disturbance (threshold 0.5, so score 2/3\n"
    "when every tree does), class the power-quality class (docs/power-quality.md).\n"
    "\n"
    "  -m, --model MODEL   model artifact\n"
    "  -i, --input FILE    input CSV; \"-\" reads standard input; from stdin, a pipe, a FIFO or\n"
    "                      a device each row is written as soon as it is decided\n"
    "  -o, --output FILE   output CSV (default: standard output)\n"
    "      --threshold T   override the model's raw threshold\n"
    "      --exact         print score and raw with 9 significant digits (%.9g): enough to\n"
    "                      give back every bit of the float32 the core computed (used to\n"
    "                      check device images bit for bit, docs/mcu.md)\n"
    "      --events FILE   waveform streams: also write one row per detected event:\n"
    "                      start,end,cycles,class,name,sag_pu,swell_pu,thd_max,peak_pu (sag and\n"
    "                      swell: lowest/highest half-cycle RMS over nominal RMS; peak: largest\n"
    "                      |v| over nominal peak)\n"
    "      --split-events  waveform streams: end an event where the RMS came back when a new\n"
    "                      sag or swell follows (IEC 61000-4-30's rule; docs/power-quality.md,\n"
    "                      \"Two disturbances, two events\"); off by default\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input or model, 2 bad usage, 3 cannot write.\n";

/* A model trained at one rate silently misreads data at another (window length, slope
 * units): compare the median of the first intervals with the model's rate. */
#define RATE_CHECK_ROWS 17

static int check_rate(const double *t, size_t n, float model_rate, const char *in,
                      const char *model, char *err, size_t errlen)
{
    double rate = vgh_infer_rate(t, n);
    if (rate <= 0)
        return 0;
    if (fabs(rate - model_rate) > 0.05 * model_rate) {
        snprintf(err, errlen,
                 "%s: data is sampled at %.4g Hz but model %s expects %.4g Hz; resample the data "
                 "or train a model at this rate",
                 in, rate, model, (double)model_rate);
        return -1;
    }
    return 0;
}

int vgh_cmd_detect(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"input", required_argument, 0, 'i'},
                                       {"output", required_argument, 0, 'o'},
                                       {"threshold", required_argument, 0, 't'},
                                       {"events", required_argument, 0, 'e'},
                                       {"exact", no_argument, 0, 'x'},
                                       {"split-events", no_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL, *in = NULL, *out = NULL, *events = NULL;
    double thr = 0;
    int c, exact = 0, split = 0;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:i:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'x': exact = 1; break;
        case 's': split = 1; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'e': events = optarg; break;
        case 't':
            if (vgh_opt_double(CMD, "--threshold", optarg, 1e-30, 1e30, &thr) != 0)
                return VGH_EXIT_USAGE;
            break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model || !in)
        return vgh_usage(CMD, "need -m MODEL and -i FILE.csv");

    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    if (mf.m.wave.present) {
        vgh_model_free(&mf);
        if (thr > 0)
            return vgh_usage(CMD, "--threshold does not apply to waveform models (a forest's "
                                  "window is anomalous when most trees vote for a disturbance; "
                                  "an isolation forest's threshold is set when it is trained)");
        return vgh_cmd_detect_pq(model, in, out, events, split, exact);
    }
    if (events || split) {
        vgh_model_free(&mf);
        return vgh_usage(CMD, "%s applies to waveform (power-quality) models",
                         events ? "--events" : "--split-events");
    }
    int code = VGH_EXIT_OK;
    vgh_csv_t *csv = vgh_csv_open(in, err, sizeof err);
    FILE *fo = NULL;
    void *arena = NULL;
    if (!csv) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    int rc = vgh_csv_next(csv, err, sizeof err);
    if (rc <= 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", rc == 0 ? "no data rows after the header" : err);
        goto done;
    }
    vgh_rows_t rows;
    memset(&rows, 0, sizeof rows);
    rows.rate = mf.m.sample_rate;
    if (vgh_colmap_resolve(csv, NULL, mf.channels, mf.m.n_channels, &rows.map, err, sizeof err) !=
        0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s (model %s needs it)", err, model);
        goto done;
    }
    fo = out && strcmp(out, "-") != 0 ? fopen(out, "w") : stdout;
    if (!fo) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot write", out);
        goto done;
    }
    /* Standard input, a pipe, a FIFO or a device: write each row as it is decided. */
    struct stat st;
    int live = strcmp(in, "-") == 0 || (stat(in, &st) == 0 && !S_ISREG(st.st_mode));
    size_t alen = vg_detector_arena_size(&mf.m);
    arena = malloc(alen);
    vg_detector_t d;
    if (!arena || vg_detector_init(&d, &mf.m, arena, alen) != VG_OK) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "cannot start the detector");
        goto done;
    }
    if (thr > 0)
        vg_detector_set_threshold(&d, (float)thr);
    fprintf(fo, "timestamp,score,anomaly,raw\n");
    double tbuf[RATE_CHECK_ROWS];
    size_t nt = 0;
    do {
        vgh_row_t row;
        if (vgh_rows_read(&rows, csv, &row, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            break;
        }
        if (rows.map.time_col >= 0 && nt < RATE_CHECK_ROWS) {
            tbuf[nt++] = row.t;
            if (nt == RATE_CHECK_ROWS &&
                check_rate(tbuf, nt, mf.m.sample_rate, in, model, err, sizeof err) != 0) {
                code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
                break;
            }
        }
        vg_result_t r;
        vg_detector_push(&d, row.x, &r);
        if (!r.ready)
            fprintf(fo, "%.3f,0.000000,0,\n", row.t);
        else if (exact)
            fprintf(fo, "%.3f,%.9g,%d,%.9g\n", row.t, (double)r.score, r.anomaly, (double)r.raw);
        else
            fprintf(fo, "%.3f,%.6f,%d,%.6g\n", row.t, (double)r.score, r.anomaly, (double)r.raw);
        if (live)
            fflush(fo);
    } while ((rc = vgh_csv_next(csv, err, sizeof err)) == 1);
    if (code == VGH_EXIT_OK && rc < 0)
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    if (fo != stdout && fclose(fo) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: write failed", out);
    else if (fo == stdout && fflush(stdout) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "write to standard output failed");
    fo = NULL;
done:
    if (fo && fo != stdout)
        fclose(fo);
    free(arena);
    if (csv)
        vgh_csv_close(csv);
    vgh_model_free(&mf);
    return code;
}
