/* SPDX-License-Identifier: MIT */
/* vigil eval: score a model on a labelled recording, point-wise and event-wise. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "metrics.h"
#include "plots.h"
#include "run.h"

#define CMD "eval"

static const char usage_text[] =
    "Usage: vigil eval -m MODEL -i LABELLED.csv [--json] [--plots DIR]\n"
    "\n"
    "Runs the model over a labelled recording (same core code path as `vigil detect`) and\n"
    "reports: point-wise precision, recall, F1, ROC AUC and the confusion matrix; event-wise\n"
    "recall, false alarms per day and mean detection delay, per anomaly kind; and for each\n"
    "event the channel and feature that contributed most. A predicted event that starts\n"
    "within one window length after a labelled event ends is credited to it (the window still\n"
    "holds the anomaly), not counted as a false alarm.\n"
    "\n"
    "  -m, --model MODEL\n"
    "  -i, --input FILE    CSV with the model's channels and a `label` column (0/1); `kind`\n"
    "                      (optional) names each anomaly\n"
    "      --json          machine-readable report on standard output\n"
    "      --plots DIR     write signal.png, errors.png and roc.png (gnuplot) into DIR, and\n"
    "                      for an autoencoder features.png: each feature and its reconstruction\n"
    "      --threshold T   evaluate with this raw threshold instead of the model's\n"
    "      --events        power-quality stream: event recall, false alarms per hour and class\n"
    "                      accuracy per event (waveform models: a stream gets this report\n"
    "                      with or without it; snippets report accuracy, macro-F1 and the\n"
    "                      confusion matrix, and refuse it)\n"
    "      --split-events  with --events: end an event where the RMS came back when a new sag\n"
    "                      or swell follows (as `vigil detect --split-events`)\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input or model, 2 bad usage, 3 system error (e.g. no gnuplot).\n";

static void jnum(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        printf("null");
}

static double excursion(const vgh_dataset_t *ds, size_t start, size_t at)
{
    /* How far channel 0 had moved from its level before the event when it was detected:
     * mean of the 5 rows up to detection minus the mean of the minute before the start. */
    double before = 0, after = 0;
    size_t nb = 0, na = 0;
    size_t span = (size_t)(60.0 * ds->rate);
    for (size_t i = start > span ? start - span : 0; i < start; i++)
        if (isfinite(ds->x[i * ds->n_ch])) {
            before += ds->x[i * ds->n_ch];
            nb++;
        }
    for (size_t i = at >= 4 ? at - 4 : 0; i <= at; i++)
        if (isfinite(ds->x[i * ds->n_ch])) {
            after += ds->x[i * ds->n_ch];
            na++;
        }
    return nb && na ? fabs(after / (double)na - before / (double)nb) : NAN;
}

/* Row of the highest finite score in [a, b]: its top feature explains the event. */
static size_t peak_row(const vgh_run_t *run, size_t a, size_t b)
{
    size_t best = a;
    float bv = -INFINITY;
    for (size_t i = a; i <= b && i < run->n; i++) {
        float v = run->dropout[i] ? INFINITY : run->raw[i];
        if (v > bv) {
            bv = v;
            best = i;
        }
    }
    return best;
}

static void feature_label(const vgh_model_file_t *mf, const vgh_run_t *run, size_t row, char *out,
                          size_t len)
{
    if (run->dropout[row]) {
        snprintf(out, len, "(missing samples)");
        return;
    }
    const vg_feat_desc_t *f = &mf->m.feats[run->top[row]];
    snprintf(out, len, "%s.%s", mf->channels[f->channel], vg_feature_name(f->feature));
}

int vgh_cmd_eval(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"input", required_argument, 0, 'i'},
                                       {"json", no_argument, 0, 'j'},
                                       {"plots", required_argument, 0, 'p'},
                                       {"threshold", required_argument, 0, 't'},
                                       {"events", no_argument, 0, 'e'},
                                       {"split-events", no_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL, *in = NULL, *plots = NULL;
    int json = 0, events = 0, split = 0, c;
    double thr = 0;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:i:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': in = optarg; break;
        case 'j': json = 1; break;
        case 'e': events = 1; break;
        case 's': split = 1; break;
        case 'p': plots = optarg; break;
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
        return vgh_usage(CMD, "need -m MODEL and -i LABELLED.csv");
    if (split && !events)
        return vgh_usage(CMD, "--split-events goes with --events");
    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    if (!mf.m.wave.present && events) {
        vgh_model_free(&mf);
        return vgh_usage(CMD, "--events applies to waveform (power-quality) models; a "
                              "slow-sensor model's events are in the report already");
    }
    if (mf.m.wave.present) {
        vgh_model_free(&mf);
        if (thr > 0 || plots)
            return vgh_usage(CMD, "--threshold and --plots do not apply to waveform models");
        return vgh_cmd_eval_pq(model, in, json, events, split);
    }
    vgh_dataset_t ds;
    if (vgh_dataset_load(in, NULL, mf.channels, mf.m.n_channels, mf.m.sample_rate, &ds, err,
                         sizeof err) != 0) {
        vgh_model_free(&mf);
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    }
    int code = VGH_EXIT_OK;
    vgh_run_t run;
    memset(&run, 0, sizeof run);
    vgh_event_t *ev = NULL;
    double *fpr = NULL, *tpr = NULL;
    float *signal = NULL, *normal = NULL;
    if (!ds.has_label) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: no 'label' column to evaluate against", in);
        goto done;
    }
    if (fabs(ds.rate - mf.m.sample_rate) > 0.05 * mf.m.sample_rate) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: data is sampled at %.4g Hz but model %s expects %.4g Hz", in, ds.rate,
                        model, (double)mf.m.sample_rate);
        goto done;
    }
    if (vgh_run_model(&mf.m, &ds, &run, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    float threshold = thr > 0 ? (float)thr : mf.m.threshold;
    if (thr > 0)
        vgh_run_decide(&run, threshold, mf.m.open_after, mf.m.close_after, run.pred);
    double slack = mf.m.window / (double)mf.m.sample_rate;
    vgh_metrics_t mt;
    size_t nev = 0;
    if (vgh_metrics_compute(ds.t, run.raw, run.pred, ds.label, ds.kind, ds.n, slack, &mt, &ev, &nev,
                            err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    /* Per-kind tallies. */
    size_t nk = ds.n_kinds;
    size_t *k_total = calloc(nk + 1, sizeof(size_t)), *k_det = calloc(nk + 1, sizeof(size_t));
    double *k_delay = calloc(nk + 1, sizeof(double));
    if (!k_total || !k_det || !k_delay) {
        free(k_total);
        free(k_det);
        free(k_delay);
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    for (size_t e = 0; e < nev; e++) {
        size_t k = (size_t)ev[e].kind < nk ? (size_t)ev[e].kind : 0;
        k_total[k]++;
        if (ev[e].detected) {
            k_det[k]++;
            k_delay[k] += ev[e].delay_s;
        }
    }
    char feat[128];
    if (json) {
        char jm[1024], jd[1024];
        printf("{\"model\":\"%s\",\"data\":\"%s\",\"rows\":%zu,\"threshold\":",
               vgh_json_str(model, jm, sizeof jm), vgh_json_str(in, jd, sizeof jd), ds.n);
        jnum(threshold);
        printf(",\"pointwise\":{\"precision\":");
        jnum(mt.precision);
        printf(",\"recall\":");
        jnum(mt.recall);
        printf(",\"f1\":");
        jnum(mt.f1);
        printf(",\"auc\":");
        jnum(mt.auc);
        printf(",\"tp\":%zu,\"fp\":%zu,\"fn\":%zu,\"tn\":%zu},", mt.tp, mt.fp, mt.fn, mt.tn);
        printf("\"events\":{\"labelled\":%zu,\"detected\":%zu,\"recall\":", mt.n_events,
               mt.n_detected);
        jnum(mt.event_recall);
        printf(",\"predicted\":%zu,\"false_alarms\":%zu,\"false_alarms_per_day\":",
               mt.n_pred_events, mt.n_false_alarms);
        jnum(mt.false_alarms_per_day);
        printf(",\"mean_delay_s\":");
        jnum(mt.mean_delay_s);
        printf(",\"duration_s\":");
        jnum(mt.duration_s);
        printf("},\"per_kind\":{");
        int first = 1;
        for (size_t k = 1; k < nk; k++) {
            if (!k_total[k])
                continue;
            printf("%s\"%s\":{\"events\":%zu,\"detected\":%zu,\"mean_delay_s\":", first ? "" : ",",
                   ds.kind_names[k], k_total[k], k_det[k]);
            jnum(k_det[k] ? k_delay[k] / (double)k_det[k] : NAN);
            printf("}");
            first = 0;
        }
        printf("},\"event_list\":[");
        for (size_t e = 0; e < nev; e++) {
            size_t k = (size_t)ev[e].kind < nk ? (size_t)ev[e].kind : 0;
            printf("%s{\"kind\":\"%s\",\"start\":%.3f,\"end\":%.3f,\"detected\":%s,\"delay_s\":",
                   e ? "," : "", ds.kind_names[k], ds.t[ev[e].start], ds.t[ev[e].end],
                   ev[e].detected ? "true" : "false");
            jnum(ev[e].delay_s);
            printf(",\"excursion\":");
            jnum(ev[e].detected ? excursion(&ds, ev[e].start, ev[e].detect_row) : NAN);
            if (ev[e].detected) {
                size_t last = ev[e].end;
                while (last + 1 < ds.n && ds.t[last + 1] <= ds.t[ev[e].end] + slack)
                    last++;
                feature_label(&mf, &run, peak_row(&run, ev[e].detect_row, last), feat, sizeof feat);
                printf(",\"top_feature\":\"%s\"", feat);
            }
            printf("}");
        }
        printf("]}\n");
    } else {
        printf("model:       %s (%s, %u features, threshold %.6g)\n", model,
               vgh_kind_name(mf.m.kind), mf.m.n_features, (double)threshold);
        printf("data:        %s (%zu rows, %.3f days, %zu labelled events)\n", in, ds.n,
               mt.duration_s / 86400.0, mt.n_events);
        printf("point-wise:  precision %.4f  recall %.4f  F1 %.4f  ROC AUC %.4f\n", mt.precision,
               mt.recall, mt.f1, mt.auc);
        printf("confusion:   TP %zu  FP %zu  FN %zu  TN %zu\n", mt.tp, mt.fp, mt.fn, mt.tn);
        printf("events:      %zu/%zu detected (recall %.3f), %zu false alarms (%.2f per day), "
               "mean delay %.1f s\n",
               mt.n_detected, mt.n_events, mt.event_recall, mt.n_false_alarms,
               mt.false_alarms_per_day, mt.mean_delay_s);
        for (size_t k = 1; k < nk; k++)
            if (k_total[k])
                printf("  %-10s %zu/%zu detected, mean delay %.1f s\n", ds.kind_names[k], k_det[k],
                       k_total[k], k_det[k] ? k_delay[k] / (double)k_det[k] : NAN);
        printf("%-10s %12s %10s %9s %10s  %s\n", "kind", "start (s)", "length (s)", "detected",
               "delay (s)", "top contributor");
        for (size_t e = 0; e < nev; e++) {
            size_t k = (size_t)ev[e].kind < nk ? (size_t)ev[e].kind : 0;
            feat[0] = '\0';
            if (ev[e].detected)
                feature_label(&mf, &run, peak_row(&run, ev[e].detect_row, ev[e].end), feat,
                              sizeof feat);
            printf("%-10s %12.1f %10.1f %9s %10.1f  %s\n", ds.kind_names[k],
                   ds.t[ev[e].start] - ds.t[0], ds.t[ev[e].end] - ds.t[ev[e].start],
                   ev[e].detected ? "yes" : "NO", ev[e].delay_s, feat);
        }
        /* False alarms with what raised them. */
        for (size_t i = 0; i < ds.n;) {
            if (!run.pred[i] || (i && run.pred[i - 1])) {
                i++;
                continue;
            }
            size_t j = i;
            while (j + 1 < ds.n && run.pred[j + 1])
                j++;
            int overlaps = 0;
            for (size_t e = 0; e < nev && !overlaps; e++)
                overlaps = ds.t[i] <= ds.t[ev[e].end] + slack && ds.t[j] >= ds.t[ev[e].start];
            if (!overlaps) {
                feature_label(&mf, &run, peak_row(&run, i, j), feat, sizeof feat);
                printf("false alarm %12.1f %10.1f %9s %10s  %s\n", ds.t[i] - ds.t[0],
                       ds.t[j] - ds.t[i], "-", "-", feat);
            }
            i = j + 1;
        }
    }
    free(k_total);
    free(k_det);
    free(k_delay);
    if (plots) {
        size_t npts = 0;
        signal = malloc(ds.n * sizeof(float) + 1);
        normal = malloc(ds.n * sizeof(float) + 1);
        if (!signal || !normal) {
            code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory for plots");
            goto done;
        }
        /* A recording with one class has no ROC curve: the plot says so instead. */
        if (vgh_roc_curve(run.raw, ds.label, ds.n, &fpr, &tpr, &npts) != 0)
            npts = 0;
        for (size_t i = 0; i < ds.n; i++)
            signal[i] = ds.x[i * ds.n_ch];
        char title[512];
        snprintf(title, sizeof title, "%s (%s) on %s", model, vgh_kind_name(mf.m.kind), in);
        /* Feature names for features.png ("value.std"). */
        char fname_buf[VG_MAX_FEATURES][96];
        const char *fnames[VG_MAX_FEATURES];
        for (size_t k = 0; k < run.n_feat && k < VG_MAX_FEATURES; k++) {
            const vg_feat_desc_t *fd = &mf.m.feats[k];
            snprintf(fname_buf[k], sizeof fname_buf[k], "%s.%s", mf.channels[fd->channel],
                     vg_feature_name(fd->feature));
            fnames[k] = fname_buf[k];
        }
        /* The "normal" histogram leaves out rows whose window still holds a labelled
         * anomaly (label 0, but within one window after a labelled row). */
        size_t nn = 0, since = SIZE_MAX;
        for (size_t i = 0; i < ds.n; i++) {
            since = ds.label[i] ? 0 : (since == SIZE_MAX ? since : since + 1);
            if (!ds.label[i] && since > mf.m.window && isfinite(run.raw[i]))
                normal[nn++] = run.raw[i];
        }
        vgh_plot_input_t pi = {.dir = plots,
                               .title = title,
                               .t = ds.t,
                               .n = ds.n,
                               .signal = signal,
                               .recon = run.recon_feature >= 0 ? run.recon : NULL,
                               .raw = run.raw,
                               .pred = run.pred,
                               .label = ds.label,
                               .threshold = threshold,
                               .fpr = fpr,
                               .tpr = tpr,
                               .n_roc = npts,
                               .auc = mt.auc,
                               .train_err = normal,
                               .n_train_err = nn,
                               .n_feat = run.n_feat,
                               .feat_names = (const char *const *)fnames,
                               .feat = run.feat,
                               .feat_recon = run.feat_recon};
        if (vgh_plots_write(&pi, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
            goto done;
        }
        fprintf(stderr, "plots: %s/signal.png %s/errors.png %s/roc.png%s%s%s\n", plots, plots,
                plots, run.n_feat ? " " : "", run.n_feat ? plots : "",
                run.n_feat ? "/features.png" : "");
    }
done:
    free(signal);
    free(normal);
    free(fpr);
    free(tpr);
    free(ev);
    vgh_run_free(&run);
    vgh_dataset_free(&ds);
    vgh_model_free(&mf);
    return code;
}
