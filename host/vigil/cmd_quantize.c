/* SPDX-License-Identifier: MIT */
/* vigil quantize: post-training quantization of a model from calibration data, and the
 * float/quantized agreement measured through the core detector (docs/quantization.md). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "metrics.h"
#include "cmd_quantize.h"
#include "quantize.h"
#include "run.h"

#define CMD "quantize"

static const char usage_text[] =
    "Usage: vigil quantize -m MODEL -o MODEL_Q --calibrate FILE.csv [--eval LABELLED.csv]\n"
    "\n"
    "Post-training quantization. An isolation forest or random forest (waveform ones too)\n"
    "becomes an int16 forest: each feature gets an affine int16 quantization from its range\n"
    "over the calibration windows and the trees' thresholds, widened by --margin, and every\n"
    "threshold becomes ceil((t - offset) / scale), so the device quantizes each feature once per\n"
    "window and compares int16s. For forests the calibration windows are all the windows of the\n"
    "file (labelled ones too), and the command also prints the share of (window, tree) pairs\n"
    "reaching the same leaf, and the class accuracy of waveform classifiers (normal vs\n"
    "disturbed for binary ones); waveform recordings are read a chunk at a time, so memory\n"
    "does not grow with their length. An autoencoder becomes an int8 network (symmetric\n"
    "per-channel int8 weights, int8 activations with zero points, int32 biases and\n"
    "accumulators, TFLite's fixed-point requantization; sigmoid and tanh layers become 256-entry\n"
    "tables). Activation ranges are the min/max of each layer over the calibration windows,\n"
    "whose features are computed by the core frontend at every sample position, as training\n"
    "does (windows touching a labelled row are left out). The pipeline, normalisation,\n"
    "threshold and hysteresis are kept. Then both models run through the core detector on the\n"
    "evaluation data (or on the calibration data without --eval) and the command prints the\n"
    "share of windows whose anomaly flag is the same, the point-wise F1 of both (labelled data)\n"
    "and the sizes. See docs/quantization.md.\n"
    "\n"
    "  -m, --model MODEL       float model to quantize (autoencoder, iforest or forest)\n"
    "  -o, --output FILE       quantized model to write\n"
    "      --calibrate FILE    CSV with the model's channels, normal operation, no missing\n"
    "                          values (a file, not standard input: it is read more than once)\n"
    "      --eval FILE         labelled CSV (`label` column) to measure agreement and F1 on\n"
    "      --boundary K        activation ranges also cover each calibration window scaled\n"
    "                          toward the decision threshold, by at most K (default 3; 1 = the\n"
    "                          calibration windows' own min/max, as TFLite); autoencoders\n"
    "      --margin M          forests: widen each feature's range by M x its width on each\n"
    "                          side (default 0.05)\n"
    "  -q, --quiet             print nothing but errors\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input data or model (also: a model kind that cannot be\n"
    "quantized), 2 bad usage, 3 system error.\n";

/* Calibration ranges must come from complete data: refuse missing values, naming the cell. */
int vgh_q_check_complete(const char *path, char *const *names, size_t n_names, char *err,
                         size_t errlen)
{
    vgh_csv_t *c = vgh_csv_open(path, err, errlen);
    if (!c)
        return -1;
    int rc = vgh_csv_next(c, err, errlen);
    if (rc <= 0) {
        if (rc == 0)
            vgh_errf(err, errlen, "%s: no data rows after the header", vgh_csv_name(c));
        vgh_csv_close(c);
        return -1;
    }
    vgh_rows_t rows;
    memset(&rows, 0, sizeof rows);
    if (vgh_colmap_resolve(c, NULL, names, n_names, &rows.map, err, errlen) != 0) {
        vgh_csv_close(c);
        return -1;
    }
    do {
        vgh_row_t row;
        if (vgh_rows_read(&rows, c, &row, err, errlen) != 0) {
            vgh_csv_close(c);
            return -1;
        }
        for (size_t k = 0; k < rows.map.n_ch; k++) {
            if (!isfinite(row.x[k])) {
                const char *cell = vgh_csv_cell(c, (size_t)rows.map.ch_col[k]);
                vgh_errf(err, errlen,
                         "%s:%lu: column '%s': '%.40s' is a missing value; calibration data "
                         "must be complete (the quantization ranges are measured on it)",
                         vgh_csv_name(c), vgh_csv_line(c),
                         vgh_csv_colname(c, (size_t)rows.map.ch_col[k]), cell);
                vgh_csv_close(c);
                return -1;
            }
        }
    } while ((rc = vgh_csv_next(c, err, errlen)) == 1);
    vgh_csv_close(c);
    return rc < 0 ? -1 : 0;
}

/* Normalised features of every complete, unlabelled window at stride 1 (as training). */
static int calib_features(const vg_model_t *m, const vgh_dataset_t *ds, float **out, size_t *n)
{
    vg_frontend_cfg_t cfg = {m->sample_rate, m->n_channels, m->window, 1, m->n_features, m->feats};
    size_t alen = vg_frontend_arena_size(&cfg);
    void *arena = malloc(alen);
    float *F = malloc(ds->n * m->n_features * sizeof(float) + 1);
    vg_frontend_t fe;
    if (!arena || !F || vg_frontend_init(&fe, &cfg, arena, alen) != VG_OK) {
        free(arena);
        free(F);
        return -1;
    }
    size_t k = 0, labelled = 0;
    for (size_t i = 0; i < ds->n; i++) {
        uint8_t done;
        uint16_t miss;
        labelled += ds->label[i];
        if (i >= m->window)
            labelled -= ds->label[i - m->window];
        float *f = F + k * m->n_features;
        vg_frontend_push(&fe, ds->x + i * ds->n_ch, f, &done, &miss);
        if (!done || labelled || miss > m->max_missing_pm)
            continue;
        vg_normalise(m->norm, f, f, m->n_features);
        k++;
    }
    free(arena);
    *out = F;
    *n = k;
    return 0;
}

uint32_t vgh_q_modl_bytes(const vg_model_t *m)
{
    const uint8_t *b = m->buf;
    const uint32_t ns = (uint32_t)b[16] | ((uint32_t)b[17] << 8);
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        uint32_t tag, size;
        memcpy(&tag, e, 4);
        memcpy(&size, e + 8, 4);
        if (tag == VG_SECT_MODL)
            return size;
    }
    return 0;
}

int vgh_q_measure(const vg_model_t *mf, const vg_model_t *mq, const vgh_dataset_t *ds,
                  vgh_q_agreement_t *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    vgh_run_t rf, rq;
    if (vgh_run_model(mf, ds, &rf, err, errlen) != 0)
        return -1;
    if (vgh_run_model(mq, ds, &rq, err, errlen) != 0) {
        vgh_run_free(&rf);
        return -1;
    }
    double sum = 0;
    size_t finite = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (!rf.window[i])
            continue;
        a->windows++;
        a->differ += rf.pred[i] != rq.pred[i];
        const int of = rf.dropout[i] || !(rf.raw[i] <= mf->threshold);
        const int oq = rq.dropout[i] || !(rq.raw[i] <= mq->threshold);
        a->over_differ += of != oq;
        if (isfinite(rf.raw[i]) && isfinite(rq.raw[i])) {
            sum += fabs((double)rq.raw[i] - (double)rf.raw[i]);
            finite++;
        }
    }
    a->mean_abs_diff = finite ? sum / (double)finite : NAN;
    int rc = 0;
    if (ds->has_label) {
        vgh_metrics_t m1, m2;
        double slack = mf->window / (double)mf->sample_rate;
        if (vgh_metrics_compute(ds->t, rf.raw, rf.pred, ds->label, ds->kind, ds->n, slack, &m1,
                                NULL, NULL, err, errlen) != 0 ||
            vgh_metrics_compute(ds->t, rq.raw, rq.pred, ds->label, ds->kind, ds->n, slack, &m2,
                                NULL, NULL, err, errlen) != 0)
            rc = -1;
        a->f1_float = m1.f1;
        a->f1_q = m2.f1;
        a->has_f1 = 1;
    }
    vgh_run_free(&rf);
    vgh_run_free(&rq);
    return rc;
}

void vgh_q_print_agreement(const vgh_q_agreement_t *a, const char *on_name, const char *qname,
                           float threshold)
{
    const double n = (double)a->windows;
    printf("agreement: %.3f %% of %zu windows on %s have the same anomaly flag (%zu differ); "
           "over-threshold decisions %.3f %% equal\n",
           a->windows ? 100.0 * (n - (double)a->differ) / n : NAN, a->windows, on_name, a->differ,
           a->windows ? 100.0 * (n - (double)a->over_differ) / n : NAN);
    printf("score: mean |%s - float| %.4g (threshold %.4g)\n", qname, a->mean_abs_diff,
           (double)threshold);
    if (a->has_f1)
        printf("F1 (point-wise) on %s: float %.4f, %s %.4f, change %+.4f\n", on_name, a->f1_float,
               qname, a->f1_q, a->f1_q - a->f1_float);
}

int vgh_q_check_rate(const char *path, const vg_model_t *m, const vgh_dataset_t *ds, char *err,
                     size_t errlen)
{
    if (ds->has_time && fabs(ds->rate - m->sample_rate) > 0.05 * m->sample_rate) {
        vgh_errf(err, errlen, "%s: data is sampled at %.4g Hz but the model expects %.4g Hz", path,
                 ds->rate, (double)m->sample_rate);
        return -1;
    }
    return 0;
}

int vgh_q_load_data(const char *path, const vgh_model_file_t *mf, vgh_dataset_t *ds, char *err,
                    size_t errlen)
{
    if (vgh_dataset_load(path, NULL, mf->channels, mf->m.n_channels, mf->m.sample_rate, ds, err,
                         errlen) != 0)
        return -1;
    if (vgh_q_check_rate(path, &mf->m, ds, err, errlen) != 0) {
        vgh_dataset_free(ds);
        return -1;
    }
    return 0;
}

int vgh_cmd_quantize(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"output", required_argument, 0, 'o'},
                                       {"calibrate", required_argument, 0, 'c'},
                                       {"eval", required_argument, 0, 'e'},
                                       {"boundary", required_argument, 0, 'b'},
                                       {"margin", required_argument, 0, 'g'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL, *out = NULL, *calib = NULL, *eval = NULL;
    int quiet = 0, c;
    double boundary = 3.0, margin = 0.05;
    int boundary_set = 0, margin_set = 0; /* each is for one family of models */
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:o:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (vgh_opt_double(CMD, "--boundary", optarg, 1.0, 100.0, &boundary) != 0)
                return VGH_EXIT_USAGE;
            boundary_set = 1;
            break;
        case 'g':
            if (vgh_opt_double(CMD, "--margin", optarg, 0.0, 10.0, &margin) != 0)
                return VGH_EXIT_USAGE;
            margin_set = 1;
            break;
        case 'm': model = optarg; break;
        case 'o': out = optarg; break;
        case 'c': calib = optarg; break;
        case 'e': eval = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model)
        return vgh_usage(CMD, "missing -m MODEL");
    if (!out)
        return vgh_usage(CMD, "missing -o MODEL_INT8");
    if (!calib)
        return vgh_usage(CMD, "missing --calibrate FILE.csv");
    if (strcmp(calib, "-") == 0)
        return vgh_usage(
            CMD, "--calibrate needs a file, not standard input (it is read more than once)");

    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    const vg_model_t *m = &mf.m;
    const uint16_t base = vg_model_base_kind(m->kind);
    const int trees = base == VG_KIND_IFOREST || base == VG_KIND_FOREST;
    if ((trees && boundary_set) || (base == VG_KIND_AUTOENCODER && margin_set)) {
        vgh_model_free(&mf);
        return vgh_usage(CMD, "%s is for %s", trees ? "--boundary" : "--margin",
                         trees ? "autoencoders" : "forests and isolation forests");
    }
    if (m->kind == VG_KIND_IFOREST || m->kind == VG_KIND_FOREST) {
        int code = vgh_quantize_tree_cmd(&mf, model, out, calib, eval, margin, quiet);
        vgh_model_free(&mf);
        return code;
    }
    if (m->kind != VG_KIND_AUTOENCODER || m->wave.present) {
        const char *why = vg_model_base_kind(m->kind) != m->kind ? "it is already quantized"
                          : m->kind == VG_KIND_ZSCORE
                              ? "a z-score baseline has no weights to quantize (its score is the "
                                "largest |z| of the features)"
                              : "this kind cannot be quantized (see docs/quantization.md)";
        int code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: cannot quantize %s %s model: %s", model,
                            vgh_kind_article(m->kind), vgh_kind_name(m->kind), why);
        vgh_model_free(&mf);
        return code;
    }

    int code = VGH_EXIT_OK;
    vgh_dataset_t cd, ed;
    memset(&cd, 0, sizeof cd);
    memset(&ed, 0, sizeof ed);
    float *F = NULL;
    uint8_t *body = NULL, *bytes = NULL;
    char *meta = NULL;
    size_t meta_len = 0, n_cal = 0, nbytes = 0;
    uint32_t body_len = 0;
    if (vgh_q_check_complete(calib, mf.channels, m->n_channels, err, sizeof err) != 0 ||
        vgh_q_load_data(calib, &mf, &cd, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    if (calib_features(m, &cd, &F, &n_cal) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory computing calibration features");
        goto done;
    }
    if (n_cal == 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: no complete unlabelled window of %u samples to calibrate on", calib,
                        m->window);
        goto done;
    }
    if (eval) {
        if (vgh_q_load_data(eval, &mf, &ed, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        if (!ed.has_label) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --eval needs a 'label' column", eval);
            goto done;
        }
    }
    if (vgh_quantize_ae(m, F, n_cal, boundary, &body, &body_len, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }

    vgh_artifact_spec_t s;
    vg_biquad_t sos[VG_PQ_MAX_SOS];
    vgh_spec_from_model(m, &s, sos);
    s.kind = VG_KIND_AE_S8;
    s.body = body;
    s.body_len = body_len;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    vg_model_t mq;
    if (vg_model_parse(&mq, bytes, nbytes) != VG_OK) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "internal error: the int8 model does not parse");
        goto done;
    }
    const vgh_dataset_t *on = eval ? &ed : &cd;
    const char *on_name = eval ? eval : calib;
    vgh_q_agreement_t a;
    if (vgh_q_measure(m, &mq, on, &a, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    const double agree =
        a.windows ? 100.0 * (double)(a.windows - a.differ) / (double)a.windows : NAN;
    const uint32_t float_size = m->size, float_modl = vgh_q_modl_bytes(m);

    /* The float model's metadata, then where the quantized one came from. */
    if (m->meta) {
        meta = malloc(m->meta_len + 2);
        if (meta) {
            memcpy(meta, m->meta, m->meta_len);
            meta_len = m->meta_len;
            if (meta_len && meta[meta_len - 1] != '\n')
                meta[meta_len++] = '\n';
            meta[meta_len] = '\0';
        }
    }
    int ok = !m->meta || meta;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantized_from=%s", model) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_calibration=%s", calib) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_windows=%zu", n_cal) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_boundary=%g", boundary) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_agreement=%.4f%% of %zu windows on %s",
                               agree, a.windows, on_name) == 0;
    if (a.has_f1)
        ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_f1=%.4f (float %.4f)", a.f1_q,
                                   a.f1_float) == 0;
    if (!ok) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    free(bytes);
    bytes = NULL;
    s.meta = meta;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0 ||
        vgh_write_file(out, bytes, nbytes, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    if (!quiet) {
        printf("quantized %s (%s) to %s (%s), calibrated on %zu windows of %s\n", model,
               vgh_kind_name(m->kind), out, vgh_kind_name(s.kind), n_cal, calib);
        printf("size: float %u bytes, int8 %zu bytes (%.1f %%); model section %u -> %u bytes\n",
               float_size, nbytes, 100.0 * (double)nbytes / (double)float_size, float_modl,
               VG_MODL_FIXED_SIZE + body_len);
        vgh_q_print_agreement(&a, on_name, "int8", m->threshold);
    }
done:
    free(meta);
    free(bytes);
    free(body);
    free(F);
    vgh_dataset_free(&cd);
    vgh_dataset_free(&ed);
    vgh_model_free(&mf);
    return code;
}
