/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reconstruction worth plotting over the signal: an autoencoder's output for a level
 * feature (last or mean) of channel 0, mapped back to sensor units. */
static int plotted_feature(const vg_model_t *m)
{
    if (vg_model_base_kind(m->kind) != VG_KIND_AUTOENCODER)
        return -1;
    for (uint16_t k = 0; k < m->n_features; k++)
        if (m->feats[k].channel == 0 &&
            (m->feats[k].feature == VG_FEAT_LAST || m->feats[k].feature == VG_FEAT_MEAN))
            return k;
    return -1;
}

int vgh_run_model(const vg_model_t *m, const vgh_dataset_t *ds, vgh_run_t *run, char *err,
                  size_t errlen)
{
    memset(run, 0, sizeof *run);
    size_t n = ds->n;
    run->n = n;
    run->raw = malloc(n * sizeof(float) + 1);
    run->recon = malloc(n * sizeof(float) + 1);
    run->window = calloc(n + 1, 1);
    run->dropout = calloc(n + 1, 1);
    run->pred = calloc(n + 1, 1);
    run->top = calloc(n + 1, 1);
    size_t alen = vg_detector_arena_size(m);
    void *arena = malloc(alen + 4);
    if (!run->raw || !run->recon || !run->window || !run->dropout || !run->pred || !run->top ||
        !arena) {
        free(arena);
        vgh_run_free(run);
        snprintf(err, errlen, "out of memory for %zu rows", n);
        return -1;
    }
    vg_detector_t d;
    vg_status_t st = vg_detector_init(&d, m, arena, alen);
    if (st != VG_OK) {
        free(arena);
        vgh_run_free(run);
        snprintf(err, errlen, "cannot start the detector: %s", vg_status_str(st));
        return -1;
    }
    int rf = plotted_feature(m);
    run->recon_feature = rf;
    if (vg_model_base_kind(m->kind) == VG_KIND_AUTOENCODER) {
        run->n_feat = m->n_features;
        run->feat = malloc(n * run->n_feat * sizeof(float) + 1);
        run->feat_recon = malloc(n * run->n_feat * sizeof(float) + 1);
        if (!run->feat || !run->feat_recon) {
            free(arena);
            vgh_run_free(run);
            snprintf(err, errlen, "out of memory for %zu rows", n);
            return -1;
        }
    }
    float recon = NAN;
    for (size_t i = 0; i < n; i++) {
        vg_result_t r;
        vg_detector_push(&d, ds->x + i * ds->n_ch, &r);
        run->raw[i] = r.ready ? r.raw : NAN;
        run->window[i] = r.window;
        run->dropout[i] = r.dropout;
        run->pred[i] = r.anomaly;
        run->top[i] = r.top_feature;
        if (r.window && rf >= 0) {
            float scale = m->norm[2 * rf + 1];
            recon = r.dropout || scale == 0.0f
                        ? NAN
                        : vg_detector_recon(&d)[rf] / scale + m->norm[2 * rf];
        }
        run->recon[i] = recon;
        for (size_t k = 0; k < run->n_feat; k++) {
            run->feat[i * run->n_feat + k] = r.ready ? vg_detector_normalised(&d)[k] : NAN;
            run->feat_recon[i * run->n_feat + k] = r.ready ? vg_detector_recon(&d)[k] : NAN;
        }
    }
    free(arena);
    return 0;
}

void vgh_run_decide(const vgh_run_t *run, float threshold, uint16_t open_after,
                    uint16_t close_after, uint8_t *pred)
{
    vg_decision_t dec;
    vg_decision_init(&dec, open_after, close_after);
    for (size_t i = 0; i < run->n; i++) {
        if (run->window[i])
            vg_decision_step(&dec, run->dropout[i] || run->raw[i] > threshold);
        pred[i] = dec.open;
    }
}

void vgh_run_free(vgh_run_t *run)
{
    free(run->raw);
    free(run->recon);
    free(run->window);
    free(run->dropout);
    free(run->pred);
    free(run->top);
    free(run->feat);
    free(run->feat_recon);
    memset(run, 0, sizeof *run);
}
