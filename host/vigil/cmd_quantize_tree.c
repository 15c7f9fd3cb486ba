/* SPDX-License-Identifier: MIT */
/* vigil quantize for tree ensembles: an isolation forest (kind 3) or random forest (kind 4)
 * becomes an int16 forest (kind 6 or 7); the float/int16 agreement is measured through the
 * core detector (docs/quantization.md, "Tree ensembles"). Waveform recordings are read a chunk
 * at a time, as train, detect and eval read them (vgh_pq_read_head(), vgh_pq_chunks()): memory
 * holds the features' ranges, counts, a stream's events and the snippets' results, not the
 * rows or the windows. Other recordings are loaded whole (vgh_q_load_data()). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_quantize.h"
#include "pq_compare.h"
#include "pq_host.h"
#include "quantize.h"
#include "quantize_tree.h"

#define CMD "quantize"

/* A data file: a waveform recording read a chunk at a time (ds holds the current chunk), any
 * other one loaded whole (ds holds every row; more is 0, so a pass pushes it once). */
typedef struct {
    const char *path;
    vgh_dataset_reader_t rd;
    vgh_dataset_t ds;
    int more;
} q_file_t;

static void q__close(q_file_t *f)
{
    vgh_dataset_end(&f->rd);
    vgh_dataset_free(&f->ds);
}

/* Open @p path for the model. A waveform recording's first rows are read: its rate is checked
 * as vgh_q_load_data() checks it, then its rate and fundamental as detect and eval check them
 * (60 Hz data for a 50 Hz model is refused). */
static int q__open(q_file_t *f, const vgh_model_file_t *mfile, const char *path, const char *model,
                   char *err, size_t errlen)
{
    const vg_model_t *m = &mfile->m;
    memset(f, 0, sizeof *f);
    f->path = path;
    if (!m->wave.present)
        return vgh_q_load_data(path, mfile, &f->ds, err, errlen);
    if (vgh_dataset_begin(&f->rd, path, NULL, mfile->channels, m->n_channels, m->sample_rate,
                          &f->ds, err, errlen) != 0)
        return -1;
    f->more = vgh_pq_read_head(&f->rd, &f->ds, (double)m->wave.f_nominal, err, errlen);
    if (f->more < 0 || vgh_dataset_set_rate(&f->ds, m->sample_rate, path, err, errlen) != 0 ||
        vgh_q_check_rate(path, m, &f->ds, err, errlen) != 0 ||
        vgh_pq_check_head(m, &f->ds, path, model, err, errlen) != 0) {
        q__close(f);
        return -1;
    }
    return 0;
}

/* Back to the first row for another pass: a loaded file is still whole, a waveform recording
 * is opened again. An exit code; a failure is reported. */
static int q__rewind(q_file_t *f, const vgh_model_file_t *mfile, const char *model)
{
    char err[1024];
    if (!mfile->m.wave.present)
        return VGH_EXIT_OK;
    q__close(f);
    if (q__open(f, mfile, f->path, model, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    return VGH_EXIT_OK;
}

/* The float model's windows: every completed one that passes the missing-sample policy, its
 * normalised features as the detector computes them (the waveform frontend too); the detector
 * restarts at each snippet segment, as `vigil eval` does. Without the int16 model they widen
 * the calibration ranges; with it, each window's trees are compared with the int16 model's. */
typedef struct {
    const vg_model_t *m, *mq; /* mq NULL: the calibration ranges */
    vgh_tree_ranges_t *ranges;
    vg_detector_t d;
    void *arena;
    int in_seg;
    long seg;
    size_t n, pairs_same, rows_same; /* windows; (window, tree) pairs and windows that agree */
} q_win_t;

static int q__win_begin(q_win_t *w, const vg_model_t *m, const vg_model_t *mq,
                        vgh_tree_ranges_t *ranges)
{
    memset(w, 0, sizeof *w);
    w->m = m;
    w->mq = mq;
    w->ranges = ranges;
    const size_t alen = vg_detector_arena_size(m);
    w->arena = malloc(alen + 4);
    if (!w->arena || vg_detector_init(&w->d, m, w->arena, alen) != VG_OK) {
        free(w->arena);
        return -1;
    }
    return 0;
}

static void q__win_add(q_win_t *w, const float *x)
{
    w->n++;
    if (!w->mq) {
        vgh_tree_ranges_add(w->ranges, x);
        return;
    }
    size_t pairs, rows;
    vgh_tree_leaf_agreement(w->m, w->mq, x, 1, &pairs, &rows);
    w->pairs_same += pairs;
    w->rows_same += rows;
}

static void q__win_push(q_win_t *w, const vgh_dataset_t *ds)
{
    for (size_t i = 0; i < ds->n;) {
        size_t end = ds->n;
        if (ds->has_segment) {
            /* a segment may go on from the previous chunk */
            if (w->in_seg && ds->segment[i] != w->seg)
                vg_detector_reset(&w->d);
            w->in_seg = 1;
            w->seg = ds->segment[i];
            end = i;
            while (end < ds->n && ds->segment[end] == w->seg)
                end++;
        }
        /* Block pushes (bit for bit what per-sample pushes give): only a block's last sample
         * can complete a window. */
        while (i < end) {
            vg_result_t r;
            i += vg_detector_push_block(&w->d, ds->x + i * ds->n_ch, end - i, &r, NULL);
            if (r.window && !r.dropout)
                q__win_add(w, vg_detector_normalised(&w->d));
        }
    }
}

typedef struct {
    q_win_t *w;
    vgh_pq_cmp_t *s; /* NULL: the models are not compared on this file */
} q_pass_t;

static int q__pass_push(void *ctx, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    q_pass_t *p = ctx;
    q__win_push(p->w, ds);
    return p->s ? vgh_pq_cmp_push(p->s, ds, err, errlen) : 0;
}

/* One pass over @p f from its first row: its windows into @p w, and with @p s the two models
 * side by side. An exit code; a failure is reported (a bad row names the file and line). */
static int q__pass(q_file_t *f, q_win_t *w, vgh_pq_cmp_t *s)
{
    char err[1024];
    q_pass_t p = {w, s};
    if (vgh_pq_chunks(&f->rd, &f->ds, f->more, q__pass_push, &p, CMD, f->path, err, sizeof err) !=
        0)
        return VGH_EXIT_INPUT;
    return VGH_EXIT_OK;
}

/* The calibration ranges over every window of @p f, and the windows' count. */
static int q__calibrate(q_file_t *f, const vg_model_t *m, vgh_tree_ranges_t *ranges, size_t *n)
{
    q_win_t w;
    vgh_tree_ranges_init(ranges, m->n_features);
    if (q__win_begin(&w, m, NULL, ranges) != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory computing calibration features");
    const int code = q__pass(f, &w, NULL);
    free(w.arena);
    *n = w.n;
    return code;
}

/* What the report and the metadata say. */
typedef struct {
    size_t n_cal, pairs_same, rows_same; /* calibration windows, and their leaf agreement */
    size_t n_ev, ev_pairs, ev_rows;      /* --eval windows, and theirs */
    vgh_tree_qstats_t qs;
    vgh_q_agreement_t a; /* models without WAVE: anomaly flags (and F1) */
    vgh_pq_agree_t g;    /* waveform models: classes or flags per segment or row */
} q_res_t;

/* The leaf agreement on the windows of @p f (@p n windows, @p pairs, @p rows), and with
 * @p measure both models side by side on its rows (into @p g). An exit code; failures are
 * reported (naming the file). */
static int q__compare(q_file_t *f, const vg_model_t *m, const vg_model_t *mq, int measure,
                      size_t *n, size_t *pairs, size_t *rows, vgh_pq_agree_t *g)
{
    char err[1024];
    q_win_t w;
    vgh_pq_cmp_t s;
    if (q__win_begin(&w, m, mq, NULL) != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory computing %s features", f->path);
    if (measure && vgh_pq_cmp_begin(&s, m, mq, f->ds.has_segment, err, sizeof err) != 0) {
        free(w.arena);
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
    }
    int code = q__pass(f, &w, measure ? &s : NULL);
    if (measure && code == VGH_EXIT_OK && vgh_pq_cmp_end(&s, g, err, sizeof err) != 0)
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", f->path, err);
    else if (measure && code != VGH_EXIT_OK)
        vgh_pq_cmp_free(&s);
    free(w.arena);
    *n = w.n;
    *pairs = w.pairs_same;
    *rows = w.rows_same;
    return code;
}

/* The float model's event classifier (EVNT, power-quality streams) and segment classifier
 * (SEGC, snippets) go with it: they read the trees' votes and the window features, which the
 * int16 forest gives alike, and the samples. */
static int q__keep_evnt(const vg_model_t *m, uint8_t **bytes, size_t *nbytes, char *err,
                        size_t errlen)
{
    static const struct {
        uint32_t tag;
        uint16_t minor;
    } keep[] = {{VGH_SECT_EVNT, 1}, {VGH_SECT_SEGC, 7}};
    for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++) {
        uint32_t size;
        const uint8_t *ev = vgh_artifact_section(m, keep[k].tag, &size);
        if (!ev)
            continue;
        uint8_t *out;
        size_t len;
        if (vgh_artifact_set_section(*bytes, keep[k].tag, ev, size, keep[k].minor, &out, &len, err,
                                     errlen) != 0)
            return -1;
        free(*bytes);
        *bytes = out;
        *nbytes = len;
    }
    return 0;
}

static double pct(size_t same, size_t n)
{
    return n ? 100.0 * (double)same / (double)n : NAN;
}

/* How the decision is summed up: classes of a waveform classifier, else anomaly flags, per
 * segment, row or window of the file measured on. */
typedef struct {
    int classes;         /* a waveform isolation forest has no classes: its decision is the flag */
    int on_segments;     /* measured on snippets */
    const char *on_name; /* the file measured on */
    const char *unit, *what;
    size_t n_units;
    double agree;
} q_view_t;

static void q__view(const vg_model_t *m, const q_res_t *r, const char *on_name, int on_segments,
                    q_view_t *v)
{
    /* a binary forest's classes are its flags (0 normal, 1 disturbed): it reports those */
    v->classes =
        m->wave.present && m->kind == VG_KIND_FOREST && vgh_pq_mode(m) == VGH_PQ_MULTICLASS;
    v->on_segments = on_segments;
    v->on_name = on_name;
    v->agree = v->classes        ? pct(r->g.n - r->g.differ, r->g.n)
               : m->wave.present ? pct(r->g.n - r->g.flag_differ, r->g.n)
                                 : pct(r->a.windows - r->a.differ, r->a.windows);
    v->unit = !m->wave.present ? "windows" : on_segments ? "segments" : "rows";
    v->n_units = m->wave.present ? r->g.n : r->a.windows;
    v->what = v->classes ? "class" : "anomaly flag";
}

/* The float model's metadata, then where the int16 one came from. */
static char *q__meta(const vg_model_t *m, const char *model, const char *calib, double margin,
                     const q_res_t *r, const q_view_t *v)
{
    char *meta = NULL;
    size_t meta_len = 0;
    if (m->meta) {
        meta = malloc(m->meta_len + 2);
        if (!meta)
            return NULL;
        memcpy(meta, m->meta, m->meta_len);
        meta_len = m->meta_len;
        if (meta_len && meta[meta_len - 1] != '\n')
            meta[meta_len++] = '\n';
        meta[meta_len] = '\0';
    }
    int ok = vgh_meta_append(&meta, &meta_len, "quantized_from=%s", model) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_calibration=%s", calib) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_windows=%zu", r->n_cal) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_margin=%g", margin) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_agreement=%.4f%% of %zu %s on %s",
                               v->agree, v->n_units, v->unit, v->on_name) == 0;
    if (r->a.has_f1)
        ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_f1=%.4f (float %.4f)", r->a.f1_q,
                                   r->a.f1_float) == 0;
    if (r->g.classified && v->classes)
        ok = ok && vgh_meta_append(&meta, &meta_len, "quantize_accuracy=%.4f (float %.4f)",
                                   (double)r->g.right_q / (double)r->g.classified,
                                   (double)r->g.right_f / (double)r->g.classified) == 0;
    if (!ok) {
        free(meta);
        return NULL;
    }
    return meta;
}

/* The waveform lines of the report: classes or flags, events, accuracies. */
static void q__print_wave(const vgh_pq_agree_t *g, const q_view_t *v)
{
    if (v->classes)
        printf("agreement: %.3f %% of %zu %s on %s have the same %s (%zu differ); "
               "anomaly flag %.3f %% equal\n",
               v->agree, g->n, v->unit, v->on_name, v->what, g->differ,
               pct(g->n - g->flag_differ, g->n));
    else
        printf("agreement: %.3f %% of %zu %s on %s have the same %s (%zu differ)\n", v->agree, g->n,
               v->unit, v->on_name, v->what, g->flag_differ);
    if (!v->on_segments)
        printf("events on %s: float %zu, int16 %zu, %zu identical (rows, class)\n", v->on_name,
               g->events_f, g->events_q, g->events_same);
    if (g->classified && !v->classes)
        printf("normal vs disturbed accuracy on %s: float %.4f, int16 %.4f\n", v->on_name,
               (double)g->bin_f / (double)g->classified, (double)g->bin_q / (double)g->classified);
    if (g->classified && v->classes)
        printf("class accuracy on %s: float %.4f, int16 %.4f, change %+.4f\n", v->on_name,
               (double)g->right_f / (double)g->classified,
               (double)g->right_q / (double)g->classified,
               (double)((long)g->right_q - (long)g->right_f) / (double)g->classified);
}

static void q__print(const vg_model_t *m, const char *model, const char *out, const char *calib,
                     const char *eval, double margin, size_t nbytes, uint32_t body_len,
                     const q_res_t *r, const q_view_t *v)
{
    const int iso = m->kind == VG_KIND_IFOREST;
    const uint16_t qkind = (uint16_t)(iso ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16);
    const uint32_t nn = iso ? m->u.iforest.n_nodes : m->u.forest.n_nodes;
    const size_t nt = iso ? m->u.iforest.n_trees : m->u.forest.n_trees;
    printf("quantized %s (%s) to %s (%s), calibrated on %zu windows of %s\n", model,
           vgh_kind_name(m->kind), out, vgh_kind_name(qkind), r->n_cal, calib);
    printf("size: float %u bytes, int16 %zu bytes (%.1f %%); model section %u -> %u bytes "
           "(%u nodes of %u -> %u bytes%s)\n",
           m->size, nbytes, 100.0 * (double)nbytes / (double)m->size, vgh_q_modl_bytes(m),
           VG_MODL_FIXED_SIZE + body_len, nn, iso ? 8u : 12u, iso ? 6u : 8u,
           iso ? ", leaf path lengths in a table" : "");
    printf("features: %u quantized to int16, range margin %g; %u thresholds, %u clamped",
           m->n_features, margin, r->qs.thresholds, r->qs.clamped);
    if (iso)
        printf("; %u distinct leaf values", r->qs.leafvals);
    printf("\n");
    printf("tree decisions: %.4f %% of %zu (window, tree) pairs reach the same leaf on the "
           "calibration windows (%.3f %% of windows in every tree)\n",
           pct(r->pairs_same, r->n_cal * nt), r->n_cal * nt, pct(r->rows_same, r->n_cal));
    if (eval)
        printf("tree decisions: %.4f %% of %zu (window, tree) pairs reach the same leaf on "
               "%s\n",
               pct(r->ev_pairs, r->n_ev * nt), r->n_ev * nt, eval);
    if (!m->wave.present)
        vgh_q_print_agreement(&r->a, v->on_name, "int16", m->threshold);
    else
        q__print_wave(&r->g, v);
}

/* The int16 model: quantized from the ranges, built with the float model's pipeline and
 * EVNT, and parsed into @p mq (which points into *bytes). An exit code; failures reported. */
static int q__build(const vg_model_t *m, const char *model, const vgh_tree_ranges_t *ranges,
                    double margin, vgh_artifact_spec_t *s, vg_biquad_t *sos, uint8_t **body,
                    uint32_t *body_len, uint8_t **bytes, size_t *nbytes, vg_model_t *mq,
                    vgh_tree_qstats_t *qs)
{
    char err[1024];
    if (vgh_quantize_trees_ranges(m, ranges, margin, body, body_len, qs, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", model, err);
    vgh_spec_from_model(m, s, sos);
    s->kind = (uint16_t)(m->kind == VG_KIND_IFOREST ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16);
    s->body = *body;
    s->body_len = *body_len;
    if (vgh_artifact_build(s, bytes, nbytes, err, sizeof err) != 0 ||
        q__keep_evnt(m, bytes, nbytes, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
    if (vg_model_parse(mq, *bytes, *nbytes) != VG_OK)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "internal error: the int16 model does not parse");
    return VGH_EXIT_OK;
}

/* Open the --eval file and check its columns for the model. An exit code; failures reported. */
static int q__open_eval(q_file_t *f, const vgh_model_file_t *mfile, const char *eval,
                        const char *model)
{
    char err[1024];
    const vg_model_t *m = &mfile->m;
    if (q__open(f, mfile, eval, model, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    if (!m->wave.present && !f->ds.has_label)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --eval needs a 'label' column", eval);
    if (m->wave.present && m->kind == VG_KIND_FOREST && !f->ds.has_class && f->ds.has_segment)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --eval snippets need a 'class' column", eval);
    return VGH_EXIT_OK;
}

/* Both models on the calibration windows and on --eval's (or the calibration file's) rows.
 * The calibration file is read a second time (it is a file: --calibrate - is refused) rather
 * than its windows kept from the first pass: the int16 model exists only once every window's
 * range is known, and keeping every window's features would grow with the recording (74
 * floats a window, 50 windows a second for a 50 Hz stream at a hop of one cycle). */
static int q__agreement(const vgh_model_file_t *mfile, const char *model, const vg_model_t *mq,
                        q_file_t *cf, q_file_t *ef, q_res_t *r)
{
    char err[1024];
    const vg_model_t *m = &mfile->m;
    const int wave = m->wave.present;
    size_t n2 = 0;
    int code = q__rewind(cf, mfile, model);
    if (code == VGH_EXIT_OK)
        code = q__compare(cf, m, mq, wave && !ef, &n2, &r->pairs_same, &r->rows_same, &r->g);
    if (code == VGH_EXIT_OK && n2 != r->n_cal)
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: %zu windows on the second reading, %zu on the first (did the "
                        "file change?)",
                        cf->path, n2, r->n_cal);
    if (code == VGH_EXIT_OK && ef)
        code = q__compare(ef, m, mq, wave, &r->n_ev, &r->ev_pairs, &r->ev_rows, &r->g);
    if (code == VGH_EXIT_OK && !wave &&
        vgh_q_measure(m, mq, ef ? &ef->ds : &cf->ds, &r->a, err, sizeof err) != 0)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
    return code;
}

int vgh_quantize_tree_cmd(const vgh_model_file_t *mfile, const char *model, const char *out,
                          const char *calib, const char *eval, double margin, int quiet)
{
    const vg_model_t *m = &mfile->m;
    char err[1024];
    q_file_t cf, ef;
    memset(&cf, 0, sizeof cf);
    memset(&ef, 0, sizeof ef);
    uint8_t *body = NULL, *bytes = NULL;
    char *meta = NULL;
    size_t nbytes = 0;
    uint32_t body_len = 0;
    q_res_t r;
    memset(&r, 0, sizeof r);
    vgh_tree_ranges_t ranges;
    vgh_artifact_spec_t s;
    vg_biquad_t sos[VG_PQ_MAX_SOS];
    vg_model_t mq;
    int code;
    if (vgh_q_check_complete(calib, mfile->channels, m->n_channels, err, sizeof err) != 0 ||
        q__open(&cf, mfile, calib, model, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    if ((code = q__calibrate(&cf, m, &ranges, &r.n_cal)) != VGH_EXIT_OK)
        goto done;
    if (r.n_cal == 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: no complete window of %u %s to calibrate on",
                        calib, m->window, m->wave.present ? "cycles" : "samples");
        goto done;
    }
    if ((eval && (code = q__open_eval(&ef, mfile, eval, model)) != VGH_EXIT_OK) ||
        (code = q__build(m, model, &ranges, margin, &s, sos, &body, &body_len, &bytes, &nbytes, &mq,
                         &r.qs)) != VGH_EXIT_OK ||
        (code = q__agreement(mfile, model, &mq, &cf, eval ? &ef : NULL, &r)) != VGH_EXIT_OK)
        goto done;
    q_view_t v;
    q__view(m, &r, eval ? eval : calib, (eval ? &ef : &cf)->ds.has_segment, &v);
    if (!(meta = q__meta(m, model, calib, margin, &r, &v))) {
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
    if (!quiet)
        q__print(m, model, out, calib, eval, margin, nbytes, body_len, &r, &v);
done:
    free(meta);
    free(bytes);
    free(body);
    q__close(&cf);
    q__close(&ef);
    return code;
}
