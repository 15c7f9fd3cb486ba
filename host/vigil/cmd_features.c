/* SPDX-License-Identifier: MIT */
/* vigil features: the feature matrix a model sees, for other tools (and the sklearn bench). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "pq_host.h"

#define CMD "features"

static const char usage_text[] =
    "Usage: vigil features -m MODEL -i FILE.csv -o OUT.csv [--stride N] [--raw]\n"
    "\n"
    "Writes one row per window, computed by the core frontend with the model's window,\n"
    "features and normalisation: timestamp (of the window's last sample), one column per\n"
    "feature (channel.feature), the model's raw score of the window, and label = 1 when any\n"
    "row in the window is labelled.\n"
    "Windows failing the model's missing-sample policy are left out.\n"
    "Waveform (power-quality) models: one row per window of a stream (every hop of cycles\n"
    "the model was trained with) or per segment of snippets, with the features named\n"
    "quantity.aggregate and the window's or segment's class; the file's rate and\n"
    "fundamental are checked against the model's as `vigil detect` does.\n"
    "\n"
    "  -m, --model MODEL\n"
    "  -i, --input FILE\n"
    "  -o, --output FILE    (\"-\" = standard output)\n"
    "      --stride N       samples between windows (default: the model's hop; slow-sensor\n"
    "                       models only)\n"
    "      --raw            features before normalisation\n"
    "  -h, --help\n";

/* Waveform models: one row per window (per segment for snippets), the features named
 * quantity.aggregate, then the label: the segment's or window's class. */
static int features_wave(const vgh_model_file_t *mf, const char *model, vgh_dataset_t *ds,
                         const char *in, const char *out)
{
    const vg_model_t *m = &mf->m;
    vg_pq_cfg_t cfg = vg_pq_cfg_from_model(m);
    float *X;
    uint16_t *y;
    size_t n;
    char err[1024];
    if (vgh_pq_check_head(m, ds, in, model, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    if (vgh_pq_windows(&cfg, ds, &X, &y, &n, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", in, err);
    FILE *fo = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!fo) {
        free(X);
        free(y);
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot write", out);
    }
    for (uint16_t k = 0; k < m->n_features; k++)
        fprintf(fo, "%s%s.%s", k ? "," : "", vg_pq_qty_name(m->feats[k].channel),
                vg_pq_agg_name(m->feats[k].feature));
    fprintf(fo, ",class\n");
    for (size_t i = 0; i < n; i++) {
        for (uint16_t k = 0; k < m->n_features; k++)
            fprintf(fo, "%s%.9g", k ? "," : "", (double)X[i * m->n_features + k]);
        fprintf(fo, ",%u\n", y[i]);
    }
    free(X);
    free(y);
    if (fo != stdout && fclose(fo) != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: write failed", out);
    return VGH_EXIT_OK;
}

int vgh_cmd_features(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"input", required_argument, 0, 'i'},
                                       {"output", required_argument, 0, 'o'},
                                       {"stride", required_argument, 0, 's'},
                                       {"raw", no_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL, *in = NULL, *out = NULL;
    unsigned long stride = 0;
    int raw = 0, c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:i:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 's':
            if (vgh_opt_uint(CMD, "--stride", optarg, 1, VG_MAX_WINDOW, &stride) != 0)
                return VGH_EXIT_USAGE;
            break;
        case 'r': raw = 1; break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!model || !in || !out)
        return vgh_usage(CMD, "need -m MODEL, -i FILE.csv and -o OUT.csv");
    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    vgh_dataset_t ds;
    if (vgh_dataset_load(in, NULL, mf.channels, mf.m.n_channels, mf.m.sample_rate, &ds, err,
                         sizeof err) != 0) {
        vgh_model_free(&mf);
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    }
    const vg_model_t *m = &mf.m;
    if (m->wave.present) {
        int rc = stride ? vgh_usage(CMD, "--stride applies to slow-sensor models; a waveform "
                                         "model's windows come every hop of cycles it was "
                                         "trained with (vigil train --hop-cycles)")
                        : features_wave(&mf, model, &ds, in, out);
        vgh_dataset_free(&ds);
        vgh_model_free(&mf);
        return rc;
    }
    if (stride > m->window)
        stride = m->window;
    vg_frontend_cfg_t cfg = {m->sample_rate, m->n_channels,
                             m->window,      (uint16_t)(stride ? stride : m->hop),
                             m->n_features,  m->feats};
    size_t alen = vg_frontend_arena_size(&cfg);
    void *arena = malloc(alen);
    FILE *fo = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    vg_frontend_t fe;
    int code = VGH_EXIT_OK;
    if (!arena || !fo || vg_frontend_init(&fe, &cfg, arena, alen) != VG_OK) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot write (or out of memory)", out);
        goto done;
    }
    fprintf(fo, "timestamp");
    for (uint16_t k = 0; k < m->n_features; k++)
        fprintf(fo, ",%s.%s", mf.channels[m->feats[k].channel],
                vg_feature_name(m->feats[k].feature));
    fprintf(fo, ",raw,label\n");
    float *scratch = malloc(vg_model_scratch_size(m) + 4);
    if (!scratch) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    size_t labelled = 0;
    float f[VG_MAX_FEATURES];
    for (size_t i = 0; i < ds.n; i++) {
        labelled += ds.label[i];
        if (i >= m->window)
            labelled -= ds.label[i - m->window];
        uint8_t done;
        uint16_t miss;
        vg_frontend_push(&fe, ds.x + i * ds.n_ch, f, &done, &miss);
        if (!done || miss > m->max_missing_pm)
            continue;
        float xn[VG_MAX_FEATURES], score;
        vg_normalise(m->norm, f, xn, m->n_features);
        vg_model_score(m, xn, &score, NULL, NULL, scratch);
        fprintf(fo, "%.3f", ds.t[i]);
        for (uint16_t k = 0; k < m->n_features; k++)
            fprintf(fo, ",%.9g", (double)(raw ? f[k] : xn[k]));
        fprintf(fo, ",%.7g,%d\n", (double)score, labelled ? 1 : 0);
    }
    free(scratch);
done:
    if (fo && fo != stdout && fclose(fo) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: write failed", out);
    free(arena);
    vgh_dataset_free(&ds);
    vgh_model_free(&mf);
    return code;
}
