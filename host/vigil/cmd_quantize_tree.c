/* SPDX-License-Identifier: MIT */
/* vigil quantize for tree ensembles: an isolation forest (kind 3) or random forest (kind 4)
 * becomes an int16 forest (kind 6 or 7); the float/int16 agreement is measured through the
 * core detector (docs/quantization.md, "Tree ensembles"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_quantize.h"
#include "pq_host.h"
#include "quantize.h"
#include "quantize_tree.h"

#define CMD "quantize"

/* Normalised features of every completed window that passes the missing-sample policy, as
 * the detector computes them (the waveform frontend too); the detector restarts at each
 * snippet segment, as `vigil eval` does. */
static int tree_windows(const vg_model_t *m, const vgh_dataset_t *ds, float **out, size_t *n)
{
    size_t alen = vg_detector_arena_size(m);
    void *arena = malloc(alen + 4);
    size_t cap = 1024, k = 0;
    float *F = malloc(cap * m->n_features * sizeof(float));
    vg_detector_t d;
    if (!arena || !F || vg_detector_init(&d, m, arena, alen) != VG_OK) {
        free(arena);
        free(F);
        return -1;
    }
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->has_segment && i > 0 && ds->segment[i] != ds->segment[i - 1])
            vg_detector_reset(&d);
        vg_result_t r;
        vg_detector_push(&d, ds->x + i * ds->n_ch, &r);
        if (!r.window || r.dropout)
            continue;
        if (k == cap) {
            float *g = realloc(F, 2 * cap * m->n_features * sizeof(float));
            if (!g) {
                free(arena);
                free(F);
                return -1;
            }
            F = g;
            cap *= 2;
        }
        memcpy(F + k * m->n_features, vg_detector_normalised(&d), m->n_features * sizeof(float));
        k++;
    }
    free(arena);
    *out = F;
    *n = k;
    return 0;
}

/* Waveform snippets: per-segment class agreement and accuracy of both models. */
typedef struct {
    size_t n, differ, flag_differ, right_f, right_q, classified;
    size_t bin_f, bin_q;                    /**< snippets: anomaly flag == (class is not normal) */
    size_t events_f, events_q, events_same; /**< streams: detected events, and identical ones */
} seg_agree_t;

static int seg_measure(const vg_model_t *mf, const vg_model_t *mq, const vgh_dataset_t *ds,
                       seg_agree_t *a, char *err, size_t errlen)
{
    vgh_pq_seg_t *sf = NULL, *sq = NULL;
    size_t nf = 0, nq = 0;
    memset(a, 0, sizeof *a);
    if (vgh_pq_classify_segments(mf, ds, &sf, &nf, err, errlen) != 0)
        return -1;
    if (vgh_pq_classify_segments(mq, ds, &sq, &nq, err, errlen) != 0 || nq != nf) {
        free(sf);
        free(sq);
        return -1;
    }
    for (size_t i = 0; i < nf; i++) {
        a->n++;
        a->differ += sf[i].pred != sq[i].pred;
        a->flag_differ += sf[i].anomaly != sq[i].anomaly;
        if (sf[i].truth) {
            const int dist = sf[i].truth != VGH_PQ_NORMAL_CLASS;
            a->bin_f += sf[i].anomaly == dist;
            a->bin_q += sq[i].anomaly == dist;
            a->classified++;
            a->right_f += sf[i].pred == sf[i].truth;
            a->right_q += sq[i].pred == sq[i].truth;
        }
    }
    free(sf);
    free(sq);
    return 0;
}

/* Waveform stream: per-row class and anomaly flag of both models. */
static int stream_measure(const vg_model_t *mf, const vg_model_t *mq, const vgh_dataset_t *ds,
                          seg_agree_t *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    uint8_t *af = malloc(ds->n + 1), *aq = malloc(ds->n + 1);
    uint16_t *cf = malloc((ds->n + 1) * 2), *cq = malloc((ds->n + 1) * 2);
    vgh_pq_event_t *ef = NULL, *eq = NULL;
    size_t nf = 0, nq = 0;
    int rc = -1;
    if (!(af && aq && cf && cq)) {
        snprintf(err, errlen, "out of memory");
    } else if (vgh_pq_run_stream(mf, ds, NULL, af, cf, &ef, &nf, err, errlen) == 0 &&
               vgh_pq_run_stream(mq, ds, NULL, aq, cq, &eq, &nq, err, errlen) == 0) {
        for (size_t i = 0; i < ds->n; i++) {
            a->n++;
            a->differ += cf[i] != cq[i];
            a->flag_differ += af[i] != aq[i];
        }
        a->events_f = nf;
        a->events_q = nq;
        for (size_t i = 0, j = 0; i < nf && j < nq;) {
            if (ef[i].start == eq[j].start) {
                a->events_same += ef[i].end == eq[j].end && ef[i].cls == eq[j].cls;
                i++;
                j++;
            } else if (ef[i].start < eq[j].start) {
                i++;
            } else {
                j++;
            }
        }
        rc = 0;
    }
    free(ef);
    free(eq);
    free(af);
    free(aq);
    free(cf);
    free(cq);
    return rc;
}

/* The float model's event classifier (EVNT, power-quality streams) goes with it: it reads
 * the trees' votes and the window features, which the int16 forest gives alike. */
static int q__keep_evnt(const vg_model_t *m, uint8_t **bytes, size_t *nbytes, char *err,
                        size_t errlen)
{
    uint32_t size;
    const uint8_t *ev = vgh_artifact_section(m, VGH_SECT_EVNT, &size);
    if (!ev)
        return 0;
    uint8_t *out;
    size_t len;
    if (vgh_artifact_set_section(*bytes, VGH_SECT_EVNT, ev, size, 1, &out, &len, err, errlen) != 0)
        return -1;
    free(*bytes);
    *bytes = out;
    *nbytes = len;
    return 0;
}

static double pct(size_t same, size_t n)
{
    return n ? 100.0 * (double)same / (double)n : NAN;
}

int vgh_quantize_tree_cmd(const vgh_model_file_t *mfile, const char *model, const char *out,
                          const char *calib, const char *eval, double margin, int quiet)
{
    const vg_model_t *m = &mfile->m;
    const uint16_t qkind =
        (uint16_t)(m->kind == VG_KIND_IFOREST ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16);
    int code = VGH_EXIT_OK;
    char err[1024];
    vgh_dataset_t cd, ed;
    memset(&cd, 0, sizeof cd);
    memset(&ed, 0, sizeof ed);
    float *F = NULL, *E = NULL;
    uint8_t *body = NULL, *bytes = NULL;
    char *meta = NULL;
    size_t meta_len = 0, n_cal = 0, n_ev = 0, nbytes = 0;
    uint32_t body_len = 0;
    if (vgh_q_check_complete(calib, mfile->channels, m->n_channels, err, sizeof err) != 0 ||
        vgh_q_load_data(calib, mfile, &cd, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    if (tree_windows(m, &cd, &F, &n_cal) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory computing calibration features");
        goto done;
    }
    if (n_cal == 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: no complete window of %u %s to calibrate on",
                        calib, m->window, m->wave.present ? "cycles" : "samples");
        goto done;
    }
    if (eval) {
        if (vgh_q_load_data(eval, mfile, &ed, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        if (!m->wave.present && !ed.has_label) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --eval needs a 'label' column", eval);
            goto done;
        }
        if (m->wave.present && m->kind == VG_KIND_FOREST && !ed.has_class && ed.has_segment) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --eval snippets need a 'class' column", eval);
            goto done;
        }
    }
    vgh_tree_qstats_t qs;
    if (vgh_quantize_trees(m, F, n_cal, margin, &body, &body_len, &qs, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", model, err);
        goto done;
    }
    vgh_artifact_spec_t s;
    vg_biquad_t sos[VG_PQ_MAX_SOS];
    vgh_spec_from_model(m, &s, sos);
    s.kind = qkind;
    s.body = body;
    s.body_len = body_len;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0 ||
        q__keep_evnt(m, &bytes, &nbytes, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    vg_model_t mq;
    if (vg_model_parse(&mq, bytes, nbytes) != VG_OK) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "internal error: the int16 model does not parse");
        goto done;
    }
    /* Tree by tree: the same leaf for the same window, on the calibration (and eval) windows. */
    const size_t nt = m->kind == VG_KIND_IFOREST ? m->u.iforest.n_trees : m->u.forest.n_trees;
    size_t pairs_same, rows_same;
    vgh_tree_leaf_agreement(m, &mq, F, n_cal, &pairs_same, &rows_same);
    const vgh_dataset_t *on = eval ? &ed : &cd;
    const char *on_name = eval ? eval : calib;
    size_t ev_pairs = 0, ev_rows = 0;
    if (eval) {
        if (tree_windows(m, &ed, &E, &n_ev) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory computing evaluation features");
            goto done;
        }
        vgh_tree_leaf_agreement(m, &mq, E, n_ev, &ev_pairs, &ev_rows);
    }
    /* The decision through the detector: anomaly flags (and F1), or waveform classes. */
    vgh_q_agreement_t a;
    seg_agree_t g;
    memset(&a, 0, sizeof a);
    memset(&g, 0, sizeof g);
    int rc;
    if (!m->wave.present)
        rc = vgh_q_measure(m, &mq, on, &a, err, sizeof err);
    else if (on->has_segment)
        rc = seg_measure(m, &mq, on, &g, err, sizeof err);
    else
        rc = stream_measure(m, &mq, on, &g, err, sizeof err);
    if (rc != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    /* A waveform isolation forest has no classes: its decision is the anomaly flag. */
    const int classes = m->wave.present && m->kind == VG_KIND_FOREST;
    const double agree = classes           ? pct(g.n - g.differ, g.n)
                         : m->wave.present ? pct(g.n - g.flag_differ, g.n)
                                           : pct(a.windows - a.differ, a.windows);
    const char *unit = !m->wave.present ? "windows" : on->has_segment ? "segments" : "rows";
    const size_t n_units = m->wave.present ? g.n : a.windows;
    const char *what = classes ? "class" : "anomaly flag";

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
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_margin=%g", margin) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_agreement=%.4f%% of %zu %s on %s", agree,
                               n_units, unit, on_name) == 0;
    if (a.has_f1)
        ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_f1=%.4f (float %.4f)", a.f1_q,
                                   a.f1_float) == 0;
    if (g.classified && classes)
        ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_accuracy=%.4f (float %.4f)",
                                   (double)g.right_q / (double)g.classified,
                                   (double)g.right_f / (double)g.classified) == 0;
    if (!ok) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    free(bytes);
    bytes = NULL;
    s.meta = meta;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0 ||
        q__keep_evnt(m, &bytes, &nbytes, err, sizeof err) != 0 ||
        vgh_write_file(out, bytes, nbytes, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    if (!quiet) {
        const uint32_t nn = m->kind == VG_KIND_IFOREST ? m->u.iforest.n_nodes : m->u.forest.n_nodes;
        printf("quantized %s (%s) to %s (%s), calibrated on %zu windows of %s\n", model,
               vgh_kind_name(m->kind), out, vgh_kind_name(qkind), n_cal, calib);
        printf("size: float %u bytes, int16 %zu bytes (%.1f %%); model section %u -> %u bytes "
               "(%u nodes of %u -> %u bytes%s)\n",
               m->size, nbytes, 100.0 * (double)nbytes / (double)m->size, vgh_q_modl_bytes(m),
               VG_MODL_FIXED_SIZE + body_len, nn, m->kind == VG_KIND_IFOREST ? 8u : 12u,
               m->kind == VG_KIND_IFOREST ? 6u : 8u,
               m->kind == VG_KIND_IFOREST ? ", leaf path lengths in a table" : "");
        printf("features: %u quantized to int16, range margin %g; %u thresholds, %u clamped",
               m->n_features, margin, qs.thresholds, qs.clamped);
        if (m->kind == VG_KIND_IFOREST)
            printf("; %u distinct leaf values", qs.leafvals);
        printf("\n");
        printf("tree decisions: %.4f %% of %zu (window, tree) pairs reach the same leaf on the "
               "calibration windows (%.3f %% of windows in every tree)\n",
               pct(pairs_same, n_cal * nt), n_cal * nt, pct(rows_same, n_cal));
        if (eval)
            printf("tree decisions: %.4f %% of %zu (window, tree) pairs reach the same leaf on "
                   "%s\n",
                   pct(ev_pairs, n_ev * nt), n_ev * nt, eval);
        if (!m->wave.present) {
            vgh_q_print_agreement(&a, on_name, "int16", m->threshold);
        } else {
            if (classes)
                printf("agreement: %.3f %% of %zu %s on %s have the same %s (%zu differ); "
                       "anomaly flag %.3f %% equal\n",
                       agree, g.n, unit, on_name, what, g.differ, pct(g.n - g.flag_differ, g.n));
            else
                printf("agreement: %.3f %% of %zu %s on %s have the same %s (%zu differ)\n", agree,
                       g.n, unit, on_name, what, g.flag_differ);
            if (!on->has_segment)
                printf("events on %s: float %zu, int16 %zu, %zu identical (rows, class)\n", on_name,
                       g.events_f, g.events_q, g.events_same);
            if (g.classified && !classes)
                printf("normal vs disturbed accuracy on %s: float %.4f, int16 %.4f\n", on_name,
                       (double)g.bin_f / (double)g.classified,
                       (double)g.bin_q / (double)g.classified);
            if (g.classified && classes)
                printf("class accuracy on %s: float %.4f, int16 %.4f, change %+.4f\n", on_name,
                       (double)g.right_f / (double)g.classified,
                       (double)g.right_q / (double)g.classified,
                       (double)((long)g.right_q - (long)g.right_f) / (double)g.classified);
        }
    }
done:
    free(meta);
    free(bytes);
    free(body);
    free(F);
    free(E);
    vgh_dataset_free(&cd);
    vgh_dataset_free(&ed);
    return code;
}
