/* SPDX-License-Identifier: MIT */
#include "pq_host.h"

#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void vgh_pq_cfg_from_spec(const vgh_artifact_spec_t *s, vg_pq_cfg_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->fs = s->sample_rate;
    cfg->f_nominal = s->f_nominal;
    cfg->scale = s->wave_scale;
    cfg->scale_i = s->wave_scale_i;
    cfg->n_channels = s->n_channels;
    cfg->window_cycles = s->window;
    cfg->hop_cycles = s->hop;
    cfg->max_harmonic = s->max_harmonic;
    cfg->n_features = s->n_features;
    cfg->feats = s->feats;
    cfg->sos = s->sos;
    cfg->n_sos = s->n_sos;
}

unsigned long vgh_pq_segment_cycles(const vgh_dataset_t *ds, uint16_t frame)
{
    size_t len = 0;
    while (len < ds->n && ds->segment[len] == ds->segment[0])
        len++;
    return frame ? (unsigned long)(len / frame) : 0;
}

/* Room for one more element of size elem in *buf (n used of *cap): doubles the capacity. */
static int pq__room(void **buf, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *nb = realloc(*buf, c * elem);
    if (!nb)
        return -1;
    *buf = nb;
    *cap = c;
    return 0;
}

int vgh_pq_mode(const vg_model_t *m)
{
    if (vg_model_base_kind(m->kind) != VG_KIND_FOREST)
        return VGH_PQ_DETECTOR;
    return m->u.forest.n_classes == 2 && m->u.forest.normal_class == 0 ? VGH_PQ_BINARY
                                                                       : VGH_PQ_MULTICLASS;
}

uint16_t vgh_pq_merge(uint16_t cls)
{
    switch (cls) {
    case 20: return 15;
    case 21: return 16;
    case 28: return 22;
    case 29: return 23;
    default: return cls;
    }
}

/* Cycles after a disturbance whose windows still count as touched by it: the band-pass and
 * the features that look back a cycle (trans_prev, the mdiff aggregates) carry it on. */
#define PQ_NEAR_CYCLES 2

/* Power-quality classes the rules here name (docs/power-quality.md's table). */
#define PQ_SAG             2u
#define PQ_INTERRUPTION    4u
#define PQ_INTERRUPTION_PU 0.1f /* IEEE 1159: an interruption is below 0.1 pu */

static int pq__disturbed(const vgh_dataset_t *ds, size_t i)
{
    return ds->has_class ? ds->cls[i] != VGH_PQ_NORMAL_CLASS : ds->label[i] != 0;
}

int vgh_pq_windows(const vg_pq_cfg_t *cfg, const vgh_dataset_t *ds, float **X, uint16_t **y,
                   size_t *n_out, char *err, size_t errlen)
{
    size_t skipped;
    return vgh_pq_windows_policy(cfg, ds, 1000, X, y, n_out, &skipped, err, errlen);
}

int vgh_pq_windows_policy(const vg_pq_cfg_t *cfg, const vgh_dataset_t *ds, uint16_t max_missing_pm,
                          float **X, uint16_t **y, size_t *n_out, size_t *skipped, char *err,
                          size_t errlen)
{
    vgh_pq_win_t w;
    *X = NULL;
    *y = NULL;
    *n_out = 0;
    *skipped = 0;
    if (vgh_pq_win_begin(&w, cfg, max_missing_pm, ds->has_segment, err, errlen) != 0)
        return -1;
    if (vgh_pq_win_push(&w, ds, err, errlen) != 0) {
        vgh_pq_win_free(&w);
        return -1;
    }
    return vgh_pq_win_end(&w, X, y, NULL, n_out, skipped, err, errlen);
}

int vgh_pq_win_begin(vgh_pq_win_t *w, const vg_pq_cfg_t *cfg, uint16_t max_missing_pm, int segments,
                     char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->cfg = cfg;
    w->max_missing_pm = max_missing_pm;
    w->segments = segments;
    w->frame = vg_pq_frame_len(cfg);
    w->span = (size_t)w->frame * cfg->window_cycles;
    w->last = VGH_PQ_NORMAL_CLASS;
    w->since_dist = SIZE_MAX;
    const size_t alen = vg_pq_arena_size(cfg);
    w->arena = malloc(alen);
    w->dist_ring = segments ? NULL : calloc(w->span ? w->span : 1, 1);
    if (!w->arena || (!segments && !w->dist_ring)) {
        vgh_pq_win_free(w);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    vg_status_t st = vg_pq_init(&w->p, cfg, w->arena, alen);
    if (st != VG_OK) {
        vgh_pq_win_free(w);
        snprintf(err, errlen, "invalid waveform pipeline (%s): check --f0, --cycles, the rate",
                 vg_status_str(st));
        return -1;
    }
    return 0;
}

/* One more window, its label and whether a disturbance touches it; F, Y and T grow by
 * doubling. */
static int pq__win_add(vgh_pq_win_t *w, const float *feats, uint16_t label, int touched, char *err,
                       size_t errlen)
{
    const size_t d = w->cfg->n_features;
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 4096;
        float *F = realloc(w->F, nc * d * sizeof(float));
        if (F)
            w->F = F;
        uint16_t *Y = realloc(w->Y, nc * sizeof(uint16_t));
        if (Y)
            w->Y = Y;
        uint8_t *T = realloc(w->T, nc);
        if (T)
            w->T = T;
        if (!F || !Y || !T) {
            snprintf(err, errlen, "out of memory for %zu windows", nc);
            return -1;
        }
        w->cap = nc;
    }
    memcpy(w->F + w->n * d, feats, d * sizeof(float));
    w->T[w->n] = (uint8_t)(touched != 0);
    w->Y[w->n++] = label;
    return 0;
}

/* The segment that just ended: its last window stands for it, as in
 * vgh_pq_classify_segments(); a segment too short for a window is an error naming it. */
static int pq__win_segment_end(vgh_pq_win_t *w, char *err, size_t errlen)
{
    if (!w->in_seg)
        return 0;
    w->in_seg = 0;
    if (!w->got) {
        snprintf(err, errlen,
                 "segment %ld has %zu samples, fewer than a window of %u cycles x %u samples",
                 w->seg, w->seg_len, w->cfg->window_cycles, w->frame);
        return -1;
    }
    w->longer += w->seg_len >= (size_t)w->frame * (w->cfg->window_cycles + 1u);
    if (w->last_miss > w->max_missing_pm) {
        w->skipped++;
        return 0;
    }
    return pq__win_add(w, w->seg_feats, w->seg_cls, w->seg_touch, err, errlen);
}

int vgh_pq_win_push(vgh_pq_win_t *w, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    float feats[VG_MAX_FEATURES];
    const size_t d = w->cfg->n_features;
    if (w->segments) {
        for (size_t i = 0; i < ds->n;) {
            if (!w->in_seg || ds->segment[i] != w->seg) {
                if (pq__win_segment_end(w, err, errlen) != 0)
                    return -1;
                w->in_seg = 1;
                w->seg = ds->segment[i];
                w->seg_cls = ds->cls[i];
                w->seg_touch = 0;
                w->seg_len = 0;
                w->got = 0;
                w->last_miss = 0;
                vg_pq_reset(&w->p);
            }
            size_t end = i;
            while (end < ds->n && ds->segment[end] == w->seg)
                w->seg_touch |= pq__disturbed(ds, end++);
            /* Block pushes: only a block's last sample can complete a window. */
            while (i < end) {
                uint8_t done;
                uint16_t miss;
                size_t k = vg_pq_push_block(&w->p, ds->x + i * ds->n_ch, end - i, feats, &done,
                                            &miss, NULL, NULL);
                w->seg_len += k;
                i += k;
                if (done) {
                    memcpy(w->seg_feats, feats, d * sizeof(float));
                    w->got = 1;
                    w->last_miss = miss;
                }
            }
        }
        return 0;
    }
    for (size_t i = 0; i < ds->n; i++, w->rows++) {
        int di = pq__disturbed(ds, i);
        uint8_t *slot = &w->dist_ring[w->rows % w->span];
        w->dist += (size_t)di;
        if (w->rows >= w->span)
            w->dist -= (size_t)*slot;
        *slot = (uint8_t)di;
        if (di)
            w->since_dist = 0;
        else if (w->since_dist != SIZE_MAX)
            w->since_dist++;
        uint16_t ci = ds->has_class ? ds->cls[i] : 2;
        if (di && (!w->ev_open || ci != w->last))
            w->ev_start = w->rows; /* a new event starts here */
        w->ev_open = di;
        if (di)
            w->last = ci;
        /* Block pushes: only a block's last sample can complete a window. */
        if (i == w->block_end)
            w->block_end = i + vg_pq_push_block(&w->p, ds->x + i * ds->n_ch, ds->n - i, feats,
                                                &w->done, &w->miss, NULL, NULL);
        if (i + 1 != w->block_end || !w->done)
            continue;
        if (w->miss > w->max_missing_pm) {
            w->skipped++;
            continue;
        }
        /* The most recent disturbed row is inside the window whenever dist > 0. The window
         * is labelled with its class when it holds half a cycle of the event, or the whole
         * event (a 1 ms transient never lasts half a cycle). */
        const size_t r = w->rows;
        int whole = w->dist > 0 && !w->ev_open && r + 1 >= w->span && w->ev_start > r + 1 - w->span;
        uint16_t label = w->dist * 2 >= w->frame || whole ? w->last : (uint16_t)VGH_PQ_NORMAL_CLASS;
        int near = w->since_dist < w->span + (size_t)PQ_NEAR_CYCLES * w->frame;
        if (pq__win_add(w, feats, label, near, err, errlen) != 0)
            return -1;
    }
    w->block_end = 0; /* the next chunk starts a new block (the dataset's rows are replaced) */
    return 0;
}

int vgh_pq_win_end(vgh_pq_win_t *w, float **X, uint16_t **y, uint8_t **touched, size_t *n_out,
                   size_t *skipped, char *err, size_t errlen)
{
    int rc = w->segments ? pq__win_segment_end(w, err, errlen) : 0;
    if (rc == 0 && !w->segments && w->n == 0 && w->skipped == 0) {
        snprintf(err, errlen, "%zu samples hold no window of %u cycles x %u samples", w->rows,
                 w->cfg->window_cycles, w->frame);
        rc = -1;
    }
    if (rc == 0 && w->n == 0) {
        snprintf(err, errlen,
                 "all %zu %s have more than %.1f%% missing samples (empty or non-finite "
                 "cells): nothing to learn from",
                 w->skipped, w->segments ? "segments" : "windows", 0.1 * w->max_missing_pm);
        rc = -1;
    }
    *skipped = w->skipped;
    if (rc == 0) {
        *X = w->F;
        *y = w->Y;
        *n_out = w->n;
        w->F = NULL;
        w->Y = NULL;
        if (touched) {
            *touched = w->T;
            w->T = NULL;
        }
    }
    vgh_pq_win_free(w);
    return rc;
}

void vgh_pq_win_free(vgh_pq_win_t *w)
{
    free(w->arena);
    free(w->dist_ring);
    free(w->F);
    free(w->Y);
    free(w->T);
    w->arena = NULL;
    w->dist_ring = NULL;
    w->F = NULL;
    w->Y = NULL;
    w->T = NULL;
}

int vgh_pq_classify_segments(const vg_model_t *m, const vgh_dataset_t *ds, vgh_pq_seg_t **out,
                             size_t *n_out, char *err, size_t errlen)
{
    vgh_pq_segs_t c;
    if (vgh_pq_segs_begin(&c, m, err, errlen) != 0)
        return -1;
    if (vgh_pq_segs_push(&c, ds, err, errlen) != 0) {
        vgh_pq_segs_free(&c);
        return -1;
    }
    return vgh_pq_segs_end(&c, out, n_out, err, errlen);
}

static int pq__segs_ring(vgh_pq_segs_t *c, char *err, size_t errlen)
{
    const vg_model_t *m = c->m;
    if (c->ring.buf)
        return 0;
    if (!vgh_pq_segment_n_features(m, VGH_PQ_SEGC_LAYOUT)) {
        snprintf(err, errlen, "a segment classifier needs a waveform forest; this is %s %s model",
                 vgh_kind_article(m->kind), vgh_kind_name(m->kind));
        return -1;
    }
    if (vgh_pq_ring_init(&c->ring, m->sample_rate, m->wave.f_nominal, m->wave.scale) != 0) {
        snprintf(err, errlen, "cannot keep a segment's samples (%g Hz at %g Hz: out of memory?)",
                 (double)m->sample_rate, (double)m->wave.f_nominal);
        return -1;
    }
    return 0;
}

int vgh_pq_segs_begin(vgh_pq_segs_t *c, const vg_model_t *m, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    size_t alen = vg_detector_arena_size(m);
    c->arena = malloc(alen);
    if (!c->arena || vg_detector_init(&c->d, m, c->arena, alen) != VG_OK) {
        vgh_pq_segs_free(c);
        snprintf(err, errlen, "cannot start the detector (out of memory?)");
        return -1;
    }
    if (vgh_pq_segmodel_parse(m, &c->sc, err, errlen) != 0 ||
        (c->sc.present && pq__segs_ring(c, err, errlen) != 0)) {
        vgh_pq_segs_free(c);
        return -1;
    }
    return 0;
}

int vgh_pq_segs_keep(vgh_pq_segs_t *c, char *err, size_t errlen)
{
    c->keep = 1;
    return pq__segs_ring(c, err, errlen);
}

/* The segment features of the open segment (its last window's normalised features, then the
 * fit of its samples: a classifier of an older layout reads their first values) into f. */
static void pq__segs_features(const vgh_pq_segs_t *c, float *f)
{
    const uint16_t nf = c->m->n_features;
    memcpy(f, vg_detector_normalised(&c->d), nf * sizeof *f);
    /* out of memory leaves zeros: the classifier still has the window's features */
    if (c->ring.n > c->seg_first)
        (void)vgh_pq_fit_features(&c->ring, c->seg_first, c->ring.n - 1,
                                  VGH_PQ_FIT_SEGMENT | VGH_PQ_FIT_OSC | VGH_PQ_FIT_LSGATE, f + nf);
    else
        memset(f + nf, 0, VGH_PQ_FIT_FEATURES * sizeof *f);
}

/* A segment whose one-cycle RMS stays below 0.1 pu in every cycle has no voltage: an
 * interruption (IEEE 1159), whatever a segment classifier says; it never saw one (the
 * simulator's interruptions last part of a segment). The window forest's last window of such
 * a segment is already an interruption: the detector says so (vg_detector.c). */
static void pq__segs_dead(const vgh_pq_segs_t *c, vgh_pq_seg_t *g)
{
    const float nominal_rms = 0.70710678f;
    if (g->dropout || !c->seg_cycles || !(c->seg_rms_max < PQ_INTERRUPTION_PU * nominal_rms))
        return;
    const int mode = vgh_pq_mode(c->m);
    g->anomaly = 1;
    if (mode == VGH_PQ_BINARY)
        g->pred = 1;
    else if (mode == VGH_PQ_MULTICLASS && c->m->u.forest.n_classes > PQ_INTERRUPTION)
        g->pred = PQ_INTERRUPTION;
}

/* The segment that just ended: its last window decides; too short for one is an error. */
static int pq__segs_close(vgh_pq_segs_t *c, char *err, size_t errlen)
{
    if (!c->in_seg)
        return 0;
    c->in_seg = 0;
    if (!c->last.window) {
        snprintf(err, errlen,
                 "segment %ld has %zu samples, fewer than the model's window of %u cycles", c->sg,
                 c->seg_len, c->m->window);
        return -1;
    }
    const vg_pq_cfg_t cfg = vg_pq_cfg_from_model(c->m);
    c->longer += c->seg_len >= (size_t)vg_pq_frame_len(&cfg) * (c->m->window + 1u);
    void *buf = c->seg;
    if (pq__room(&buf, c->n, &c->cap, sizeof *c->seg) != 0) {
        snprintf(err, errlen, "out of memory for segments");
        return -1;
    }
    c->seg = buf;
    vgh_pq_seg_t *g = &c->seg[c->n++];
    memset(g, 0, sizeof *g);
    g->segment = c->sg;
    g->truth = c->truth;
    /* A window that failed the missing-sample policy was not classified (its cls is the
     * previous window's): no class. */
    g->pred = c->last.dropout ? (uint16_t)VGH_PQ_NO_CLASS : c->last.cls;
    g->score = c->last.score;
    g->dropout = c->last.dropout;
    g->anomaly = c->last.over;
    if (!c->keep && !(c->sc.present && !c->last.dropout))
        return 0;
    float fbuf[VG_MAX_FEATURES + VGH_PQ_FIT_FEATURES];
    float *f = fbuf;
    if (c->keep) {
        void *x = c->X;
        size_t cap = c->cap_x;
        const size_t nsf = vgh_pq_segment_n_features(c->m, VGH_PQ_SEGC_LAYOUT);
        if (pq__room(&x, c->n - 1, &cap, nsf * sizeof(float)) != 0) {
            snprintf(err, errlen, "out of memory for segment features");
            return -1;
        }
        c->X = x;
        c->cap_x = cap;
        f = c->X + (c->n - 1) * nsf;
    }
    pq__segs_features(c, f);
    if (c->sc.present && !c->last.dropout) {
        /* The segment classifier's vote decides the class, normal included, and the flag is
         * that class against normal; the score is from the share p of its trees voting for a
         * disturbance, not the window forest's, on the scale of every model's score:
         * p / (p + 0.5), 0.5 when half of the trees vote for one. Its classes and normal
         * class are the model's (vgh_pq_segmodel_parse() checks). */
        float p;
        g->pred = vg_forest_predict(&c->sc.forest, f, NULL, &p);
        g->score = p / (p + 0.5f);
        g->anomaly = g->pred != c->m->u.forest.normal_class;
        pq__segs_dead(c, g);
    }
    return 0;
}

int vgh_pq_segs_close_last(vgh_pq_segs_t *c, char *err, size_t errlen)
{
    return pq__segs_close(c, err, errlen);
}

int vgh_pq_segs_push(vgh_pq_segs_t *c, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    for (size_t i = 0; i < ds->n;) {
        if (!c->in_seg || ds->segment[i] != c->sg) {
            if (pq__segs_close(c, err, errlen) != 0)
                return -1;
            c->in_seg = 1;
            c->sg = ds->segment[i];
            c->truth = ds->cls[i];
            c->seg_len = 0;
            c->seg_cycles = 0;
            c->seg_rms_max = 0.0f;
            memset(&c->last, 0, sizeof c->last);
            vg_detector_reset(&c->d);
            c->seg_first = c->ring.n;
        }
        size_t end = i;
        while (end < ds->n && ds->segment[end] == c->sg)
            end++;
        if (c->ring.buf)
            for (size_t k = i; k < end; k++)
                vgh_pq_ring_push(&c->ring, ds->x[k * ds->n_ch]);
        /* Block pushes: only a block's last sample can complete a window. */
        while (i < end) {
            vg_result_t r;
            size_t k = vg_detector_push_block(&c->d, ds->x + i * ds->n_ch, end - i, &r, NULL);
            i += k;
            c->seg_len += k;
            if (r.cycle) {
                const float *q = vg_detector_cycle(&c->d);
                c->seg_rms_max = fmaxf(c->seg_rms_max, q[VG_PQ_HRMS_MAX]);
                c->seg_cycles++;
            }
            if (r.window)
                c->last = r;
        }
    }
    return 0;
}

int vgh_pq_segs_end(vgh_pq_segs_t *c, vgh_pq_seg_t **out, size_t *n_out, char *err, size_t errlen)
{
    int rc = pq__segs_close(c, err, errlen);
    if (rc == 0) {
        if (!c->seg)
            c->seg = calloc(1, sizeof *c->seg);
        if (!c->seg) {
            snprintf(err, errlen, "out of memory for segments");
            rc = -1;
        }
    }
    if (rc == 0) {
        *out = c->seg;
        *n_out = c->n;
        c->seg = NULL;
    }
    vgh_pq_segs_free(c);
    return rc;
}

void vgh_pq_segs_free(vgh_pq_segs_t *c)
{
    free(c->arena);
    free(c->seg);
    free(c->X);
    vgh_pq_ring_free(&c->ring);
    c->arena = NULL;
    c->seg = NULL;
    c->X = NULL;
}

void vgh_pq_report_segments(FILE *f, const vgh_pq_seg_t *seg, size_t n, int mode, int json,
                            const char *model, const char *data)
{
    /* Binary and detector models report normal vs disturbed only. */
    const int binary_model = mode != VGH_PQ_MULTICLASS;
    enum { NC = VG_MAX_CLASSES };
    static size_t conf[NC][NC];
    memset(conf, 0, sizeof conf);
    size_t ok = 0, ok_bin = 0, ok_merged = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t t = seg[i].truth < NC ? seg[i].truth : 0, p = seg[i].pred < NC ? seg[i].pred : 0;
        int t_dist = t != VGH_PQ_NORMAL_CLASS;
        int p_dist = mode == VGH_PQ_DETECTOR
                         ? seg[i].anomaly || seg[i].dropout
                         : seg[i].dropout || (binary_model ? p != 0 : p != VGH_PQ_NORMAL_CLASS);
        ok_bin += t_dist == p_dist;
        if (!binary_model) {
            ok += t == p;
            ok_merged += vgh_pq_merge(t) == vgh_pq_merge(p);
            conf[t][p]++;
        }
    }
    /* Macro-F1 over the classes that occur in the truth. */
    double f1_sum = 0;
    unsigned f1_n = 0;
    for (unsigned c = 0; c < NC && !binary_model; c++) {
        size_t tp = conf[c][c], fp = 0, fn = 0;
        int present = 0;
        for (unsigned o = 0; o < NC; o++) {
            present |= conf[c][o] > 0;
            if (o != c) {
                fp += conf[o][c];
                fn += conf[c][o];
            }
        }
        if (!present)
            continue;
        f1_sum += tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0;
        f1_n++;
    }
    double dn = n ? (double)n : 1.0;
    if (json) {
        char jm[1024], jd[1024];
        fprintf(f, "{\"model\":\"%s\",\"data\":\"%s\",\"segments\":%zu,\"binary_accuracy\":%.6f",
                vgh_json_str(model, jm, sizeof jm), vgh_json_str(data, jd, sizeof jd), n,
                (double)ok_bin / dn);
        if (!binary_model) {
            fprintf(f, ",\"accuracy\":%.6f,\"macro_f1\":%.6f,\"merged_accuracy\":%.6f",
                    (double)ok / dn, f1_n ? f1_sum / f1_n : 0.0, (double)ok_merged / dn);
            fprintf(f, ",\"confusion\":{");
            int first = 1;
            for (unsigned t = 0; t < NC; t++)
                for (unsigned p = 0; p < NC; p++)
                    if (conf[t][p]) {
                        fprintf(f, "%s\"%u->%u\":%zu", first ? "" : ",", t, p, conf[t][p]);
                        first = 0;
                    }
            fprintf(f, "}");
        }
        fprintf(f, "}\n");
        return;
    }
    fprintf(f, "model:     %s\ndata:      %s (%zu segments)\n", model, data, n);
    fprintf(f, "normal vs disturbed accuracy: %.4f\n", (double)ok_bin / dn);
    if (binary_model)
        return;
    fprintf(f,
            "class accuracy: %.4f   macro-F1: %.4f   with 15/20, 16/21, 22/28, 23/29 merged: "
            "%.4f\n",
            (double)ok / dn, f1_n ? f1_sum / f1_n : 0.0, (double)ok_merged / dn);
    fprintf(f, "confusion (rows: true class, columns: predicted; only non-zero rows):\n     ");
    for (unsigned p = 1; p < 30; p++)
        fprintf(f, "%4u", p);
    fprintf(f, "\n");
    for (unsigned t = 0; t < NC; t++) {
        size_t row = 0;
        for (unsigned p = 0; p < NC; p++)
            row += conf[t][p];
        if (!row)
            continue;
        fprintf(f, "%4u ", t);
        for (unsigned p = 1; p < 30; p++) {
            if (conf[t][p])
                fprintf(f, "%4zu", conf[t][p]);
            else
                fprintf(f, "   .");
        }
        fprintf(f, "\n");
    }
}

/* The strongest frequency in [0.6, 1.6] x f_nominal of one block (Hann window, a scan in
 * steps of f_nominal / 400): noise averages out over the block, and unlike zero crossings of
 * a band-passed signal there is no filter transient to wait for in a short snippet. */
static double pq__block_f0(const float *x, size_t stride, size_t n, double fs, double f_nominal,
                           double *buf)
{
    double mean = 0;
    for (size_t k = 0; k < n; k++)
        mean += (double)x[k * stride];
    mean /= (double)n;
    for (size_t k = 0; k < n; k++)
        buf[k] = ((double)x[k * stride] - mean) *
                 (0.5 - 0.5 * cos(6.283185307179586 * (double)k / (double)n));
    double best_f = 0, best_p = -1;
    for (int j = 0; j <= 400; j++) {
        double f = f_nominal * (0.6 + 0.0025 * j);
        if (f >= 0.5 * fs)
            break;
        double w = 2 * cos(6.283185307179586 * f / fs), s1 = 0, s2 = 0;
        for (size_t k = 0; k < n; k++) {
            double s0 = buf[k] + w * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        double p = s1 * s1 + s2 * s2 - w * s1 * s2;
        if (p > best_p) {
            best_p = p;
            best_f = f;
        }
    }
    return best_f;
}

/* The fundamental of each block (up to PQ_F0_BLOCKS of them) into f, sorted; their count. */
#define PQ_F0_BLOCKS 24
static size_t pq__block_f0s(const vgh_dataset_t *ds, double fs, double f_nominal, double *f)
{
    size_t nf = 0;
    if (!(fs > 0) || !(f_nominal > 0) || fs < 4 * f_nominal || ds->n == 0)
        return 0;
    const size_t cycle = (size_t)(fs / f_nominal + 0.5), max_len = 10 * cycle;
    double *buf = malloc(max_len * sizeof *buf);
    if (!buf)
        return 0;
    /* Blocks: each segment's first 10 nominal cycles, or a stream's successive 10 cycles;
     * those without a voltage to speak of (RMS below a tenth of the strongest block's: an
     * outage, a dead snippet) have no fundamental to measure. */
    size_t at[PQ_F0_BLOCKS], len[PQ_F0_BLOCKS], nb = 0;
    double rms[PQ_F0_BLOCKS], top = 0.0;
    for (size_t i = 0; i < ds->n && nb < PQ_F0_BLOCKS;) {
        size_t j = i;
        int missing = 0;
        double ss = 0.0;
        while (j < ds->n && j - i < max_len &&
               (!ds->has_segment || ds->segment[j] == ds->segment[i])) {
            const float x = ds->x[j * ds->n_ch];
            missing |= !(fabsf(x) <= VG_SAMPLE_ABS_MAX);
            ss += missing ? 0.0 : (double)x * (double)x;
            j++;
        }
        if (!missing && j - i >= 2 * cycle) {
            at[nb] = i;
            len[nb] = j - i;
            rms[nb] = sqrt(ss / (double)(j - i));
            top = fmax(top, rms[nb++]);
        }
        if (ds->has_segment)
            while (j < ds->n && ds->segment[j] == ds->segment[i])
                j++;
        i = j;
    }
    for (size_t b = 0; b < nb; b++)
        if (rms[b] > 0.1 * top)
            f[nf++] = pq__block_f0(ds->x + at[b] * ds->n_ch, ds->n_ch, len[b], fs, f_nominal, buf);
    free(buf);
    for (size_t i = 1; i < nf; i++) {
        double x = f[i];
        size_t j = i;
        for (; j > 0 && f[j - 1] > x; j--)
            f[j] = f[j - 1];
        f[j] = x;
    }
    return nf;
}

double vgh_pq_measure_f0(const vgh_dataset_t *ds, double fs, double f_nominal)
{
    double f[PQ_F0_BLOCKS];
    size_t nf = pq__block_f0s(ds, fs, f_nominal, f);
    return nf ? f[nf / 2] : 0.0;
}

void vgh_pq_f0_range(const vgh_dataset_t *ds, double fs, double f_nominal, double *lo, double *hi)
{
    /* The quartiles of the blocks: one block's estimate (to f_nominal / 400) strays with the
     * noise and with a disturbance in it; a chunk's spread of frequencies does not. */
    double f[PQ_F0_BLOCKS];
    size_t nf = pq__block_f0s(ds, fs, f_nominal, f);
    if (!nf)
        return;
    const double q1 = f[nf / 4], q3 = f[(3 * nf) / 4 < nf ? (3 * nf) / 4 : nf - 1];
    if (!(*lo > 0) || q1 < *lo)
        *lo = q1;
    if (!(*hi > 0) || q3 > *hi)
        *hi = q3;
}

int vgh_pq_track_start(vgh_pq_tracker_t *t, const vg_model_t *m, const vg_detector_t *d, char *err,
                       size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->d = d;
    if (vgh_pq_evmodel_parse(m, &t->em, err, errlen) != 0)
        return -1;
    if (m->wave.present && vgh_pq_event_n_features(m, VGH_PQ_EVNT_LAYOUT) &&
        vgh_pq_ring_init(&t->ring, m->sample_rate, m->wave.f_nominal, m->wave.scale) != 0) {
        snprintf(err, errlen, "out of memory for the event fit's samples");
        return -1;
    }
    return 0;
}

void vgh_pq_track_free(vgh_pq_tracker_t *t)
{
    vgh_pq_ring_free(&t->ring);
}

/* The event fit of the current event: its rows and VGH_PQ_FIT_BEFORE cycles before them, as
 * sample indices of the ring (the row of the last sample pushed is t->row). */
static void pq__fit(const vgh_pq_tracker_t *t, float *f)
{
    const uint64_t now = t->ring.n - 1u, before = (uint64_t)VGH_PQ_FIT_BEFORE * t->ring.frame;
    const uint64_t back_start = (uint64_t)(t->row - t->cur.start),
                   back_end = (uint64_t)(t->row - t->cur.end);
    if (back_start > now || back_end > back_start) {
        memset(f, 0, VGH_PQ_FIT_FEATURES_L2 * sizeof *f);
        return;
    }
    const uint64_t first = now - back_start, start = first > before ? first - before : 0;
    /* out of memory leaves zeros: the classifier still has every other feature */
    float all[VGH_PQ_FIT_FEATURES];
    (void)vgh_pq_fit_features(&t->ring, start, now - back_end, VGH_PQ_FIT_TAIL, all);
    memcpy(f, all, VGH_PQ_FIT_FEATURES_L2 * sizeof *f);
}

void vgh_pq_event_features(const vgh_pq_tracker_t *t, float *f)
{
    const vg_model_t *m = t->m;
    const uint16_t nc = m->u.forest.n_classes, nf = m->n_features;
    uint64_t total = 0;
    for (uint16_t c = 0; c < nc; c++)
        total += t->votes[c];
    const double tot = total ? (double)total : 1.0;
    size_t k = 0;
    for (uint16_t c = 0; c < nc; c++)
        f[k++] = (float)((double)t->votes[c] / tot);
    for (uint16_t c = 0; c < nc; c++)
        f[k++] = (float)t->peak[c] / (float)m->u.forest.n_trees;
    f[k++] = (float)t->n_cycles;
    f[k++] = (float)t->n_windows;
    f[k++] = t->cur.sag_pu;
    f[k++] = t->cur.swell_pu;
    f[k++] = t->cur.thd_max;
    f[k++] = t->cur.peak_pu;
    for (uint16_t j = 0; j < nf; j++)
        f[k++] = t->n_windows ? t->fmax[j] : 0.0f;
    for (uint16_t j = 0; j < nf; j++)
        f[k++] = t->n_windows ? t->fmin[j] : 0.0f;
    if (t->ring.buf && t->ring.n && (t->keep_features || (t->em.present && t->em.layout >= 2u)))
        pq__fit(t, f + k);
    else
        memset(f + k, 0, VGH_PQ_FIT_FEATURES_L2 * sizeof *f);
}

/* The class that adds an oscillatory transient to class @p c (power-quality.md's table), or 0. */
static uint16_t pq__with_ot(uint16_t c)
{
    switch (c) {
    case 2: return 13;
    case 3: return 14;
    case 8: return 24;
    case 9: return 25;
    case 15: return 22;
    case 16: return 23;
    case 18: return 26;
    case 19: return 27;
    case 20: return 28;
    case 21: return 29;
    default: return 0;
    }
}

/* The sag class of a swell class and the reverse (11/12 flicker, 2/3 and every pair whose
 * equations differ only by -alpha u against +beta u), or 0. */
static uint16_t pq__sag_swell_twin(uint16_t c)
{
    static const uint16_t sag[] = {2, 8, 11, 13, 15, 18, 20, 22, 24, 26, 28};
    for (unsigned i = 0; i < sizeof sag / sizeof sag[0]; i++) {
        if (c == sag[i])
            return (uint16_t)(c + 1);
        if (c == sag[i] + 1)
            return sag[i];
    }
    return 0;
}

/* The class of a closed event. With an event classifier (EVNT section): its vote over the
 * event's features, never the normal class. Without one: the soft vote, never the normal
 * class; then, because an
 * oscillatory transient lasts a fraction of the sag or swell it sits in (U(T/5, the event)),
 * the windows that do not hold it vote for the class without it and outnumber those that do:
 * an event whose class has an "+ oscillatory transient" variant takes that variant when
 * more than 70 % of the trees voted for it in one window. (0.6 and 0.7 tied best on a 1-hour
 * validation stream, seed 23; docs/power-quality.md has the figures.) */
static void pq__track_close(vgh_pq_tracker_t *t, size_t row, double time)
{
    const vg_model_t *m = t->m;
    vgh_pq_event_t *cur = &t->cur;
    t->open = 0;
    cur->end = row;
    cur->t_end = time;
    uint32_t best = 0;
    cur->cls = 0; /* no class: a detector model, or only dropout windows */
    for (uint16_t c = 0; c < VG_MAX_CLASSES && vg_model_base_kind(m->kind) == VG_KIND_FOREST; c++)
        if (t->votes[c] > best && c != m->u.forest.normal_class) {
            best = t->votes[c];
            cur->cls = c;
        }
    /* A gap in the data: the windows around it vote for whatever a cut waveform looks like. */
    cur->dropout = cur->n_dropout > 0 && cur->n_dropout >= t->n_over;
    if (cur->dropout)
        cur->cls = 0;
    cur->vote_cls = cur->cls;
    if (!isfinite(cur->sag_pu))
        cur->sag_pu = 1.0f;
    cur->feat = NULL;
    if (vgh_pq_event_n_features(m, VGH_PQ_EVNT_LAYOUT) &&
        (t->keep_features || (t->em.present && cur->cls))) {
        vgh_pq_event_features(t, t->feat);
        cur->feat = t->feat;
    }
    if (cur->dropout)
        return;
    if (t->em.present && cur->cls) {
        uint16_t ev[VG_MAX_CLASSES];
        vg_forest_predict(&t->em.forest, t->feat, ev, NULL);
        uint16_t bv = 0;
        for (uint16_t c = 0; c < m->u.forest.n_classes; c++)
            if (ev[c] > bv && c != m->u.forest.normal_class) {
                bv = ev[c];
                cur->cls = c;
            }
        return; /* it learnt what the rules below say (its features hold the RMS extremes) */
    }
    uint16_t ot = vg_model_base_kind(m->kind) == VG_KIND_FOREST ? pq__with_ot(cur->cls) : 0;
    if (ot && ot < m->u.forest.n_classes && t->peak[ot] > 0.7 * m->u.forest.n_trees)
        cur->cls = ot;
    /* IEEE 1159's definitions decide between a class and its sag/swell twin when the
     * measured RMS leaves no doubt: a "sag" whose RMS never fell below 0.9 pu but rose above
     * 1.1 pu is the swell twin, and the reverse. */
    uint16_t twin = pq__sag_swell_twin(cur->cls);
    if (twin && twin < VG_MAX_CLASSES && vg_model_base_kind(m->kind) == VG_KIND_FOREST &&
        twin < m->u.forest.n_classes) {
        int is_sag = twin > cur->cls;
        if (is_sag && cur->sag_pu >= 0.9f && cur->swell_pu > 1.1f)
            cur->cls = twin;
        else if (!is_sag && cur->swell_pu <= 1.1f && cur->sag_pu < 0.9f)
            cur->cls = twin;
    }
    /* IEEE 1159: below 0.1 pu a sag is an interruption. The simulator's interruptions last
     * at most 30 cycles, so the windows of a longer outage vote for the sag they resemble. */
    if (cur->cls == PQ_SAG && cur->sag_pu < PQ_INTERRUPTION_PU &&
        vgh_pq_mode(m) == VGH_PQ_MULTICLASS && m->u.forest.n_classes > PQ_INTERRUPTION)
        cur->cls = PQ_INTERRUPTION;
    /* Harmonics (7) and flicker (10) alone keep the RMS within 1 +- 0.1 pu (alpha3,5,7 <=
     * 0.15 add at most 3 %, lambda <= 0.1 modulates by 10 %): beyond 0.85 or 1.15 pu the
     * event holds a sag or a swell too. */
    if ((cur->cls == 7 || cur->cls == 10) && vg_model_base_kind(m->kind) == VG_KIND_FOREST &&
        m->u.forest.n_classes > 12) {
        uint16_t sag = cur->cls == 7 ? 8 : 11;
        if (cur->sag_pu < 0.85f && cur->swell_pu <= 1.1f)
            cur->cls = sag;
        else if (cur->swell_pu > 1.15f && cur->sag_pu >= 0.9f)
            cur->cls = (uint16_t)(sag + 1);
    }
}

/* The accumulators of the windows' votes and features, emptied. */
static void pq__track_clear(vgh_pq_tracker_t *t)
{
    memset(t->votes, 0, sizeof t->votes);
    memset(t->peak, 0, sizeof t->peak);
    t->n_windows = 0;
    for (uint16_t j = 0; j < VG_MAX_FEATURES; j++) {
        t->fmax[j] = -INFINITY;
        t->fmin[j] = INFINITY;
    }
}

/* A new event from @p row on, its accumulators empty. */
static void pq__track_open(vgh_pq_tracker_t *t, size_t row, double time)
{
    vgh_pq_event_t *cur = &t->cur;
    t->open = 1;
    memset(cur, 0, sizeof *cur);
    pq__track_clear(t);
    t->n_cycles = 0;
    t->n_over = 0;
    t->rms_out = 0;
    t->calm = 0;
    t->clean_from = 0;
    cur->start = row;
    cur->t_start = time;
    cur->sag_pu = INFINITY;
    cur->swell_pu = 0.0f;
}

/* IEC 61000-4-30 ends an RMS event when the RMS comes back inside its band (with hysteresis);
 * the detector's windows of several cycles do not, so two sags a few cycles apart made one
 * event. A cycle of @p q outside 0.9-1.1 pu, after VGH_PQ_SPLIT_CALM calm cycles (0.92-1.08
 * pu, no 3rd, 5th or 7th harmonic of 3.5 % or more: harmonics or an oscillatory transient
 * raising the RMS inside one disturbance must not split it) that followed such a cycle in the
 * open event, closes the event where the calm run began and opens another here: 1 and the
 * first part in @p done. */
static int pq__track_split(vgh_pq_tracker_t *t, const float *q, size_t row, double time,
                           vgh_pq_event_t *done)
{
    const float nominal_rms = 0.70710678f;
    const float lo = q[VG_PQ_HRMS_MIN] / nominal_rms, hi = q[VG_PQ_HRMS_MAX] / nominal_rms;
    const int out = lo < 0.9f || hi > 1.1f;
    const float harm = fmaxf(q[VG_PQ_H3], fmaxf(q[VG_PQ_H5], q[VG_PQ_H7]));
    const int calm = lo >= 0.92f && hi <= 1.08f && harm < 0.035f;
    int split = 0;
    if (out && t->rms_out && t->calm >= VGH_PQ_SPLIT_CALM) {
        const uint64_t clean_from = t->calm_cyc; /* >= 1: cycles count from 1 */
        pq__track_close(t, t->calm_row, t->calm_time);
        *done = t->cur;
        pq__track_open(t, row, time);
        /* Windows of up to window_cycles still hold the first part: until one starts in the
         * calm run, the second part counts them, then starts afresh. */
        t->clean_from = clean_from;
        split = 1;
    }
    if (out) {
        t->rms_out = 1;
        t->calm = 0;
    } else if (calm) {
        if (!t->calm++) {
            t->calm_row = row;
            t->calm_time = time;
            t->calm_cyc = t->cyc;
        }
    } else {
        t->calm = 0; /* between the thresholds: the RMS event goes on */
    }
    return split;
}

int vgh_pq_track(vgh_pq_tracker_t *t, const vg_result_t *r, float v, size_t row, double time,
                 vgh_pq_event_t *done)
{
    const vg_model_t *m = t->m;
    if (t->ring.buf)
        vgh_pq_ring_push(&t->ring, v);
    t->row = row;
    const float nominal_rms = 0.70710678f, nominal_peak = 1.0f;
    vgh_pq_event_t *cur = &t->cur;
    int split = 0;
    if (r->cycle)
        t->cyc++;
    if (r->event == VG_EVENT_OPEN)
        pq__track_open(t, row, time);
    if (t->split && t->open && r->cycle && r->event != VG_EVENT_CLOSE)
        split = pq__track_split(t, vg_detector_cycle(t->d), row, time, done);
    if (t->open) {
        /* The first window of the second part of a split that holds none of the first. */
        if (t->clean_from && r->window && t->cyc + 1u >= t->clean_from + t->m->window) {
            pq__track_clear(t);
            t->clean_from = 0;
        }
        if (r->window && r->over) {
            if (r->dropout)
                cur->n_dropout++;
            else
                t->n_over++;
        }
        /* A window that failed the missing-sample policy has no class of its own. */
        if (r->window && r->over && !r->dropout && vg_model_base_kind(m->kind) == VG_KIND_FOREST) {
            /* Soft voting over time: every tree's vote in every window of the event, so the
             * windows that hold the whole disturbance weigh most. */
            uint16_t wv[VG_MAX_CLASSES];
            /* int16 forests quantize the features into a local array (kind 7) */
#if VG_ENABLE_TREES_S16
            int16_t q16[VG_MAX_FEATURES];
            if (m->kind == VG_KIND_FOREST_S16)
                vg_forest_s16_predict(m, vg_detector_normalised(t->d), q16, wv, NULL);
            else
#endif
#if VG_ENABLE_FOREST
                vg_forest_predict(m, vg_detector_normalised(t->d), wv, NULL);
#else
            memset(wv, 0, sizeof wv);
#endif
            /* A window with no voltage is the class the detector gave it (an interruption,
             * vg_detector.c), with every tree: the trees never saw one and vote normal. */
            if (vg_pq_ring_max(&t->d->fe.pq, VG_PQ_HRMS_MAX) <
                VG_PQ_INTERRUPTION_PU * 0.70710678f) {
                memset(wv, 0, sizeof wv);
                wv[r->cls < VG_MAX_CLASSES ? r->cls : 0] = m->u.forest.n_trees;
            }
            for (uint16_t c = 0; c < m->u.forest.n_classes; c++) {
                t->votes[c] += wv[c];
                t->peak[c] = wv[c] > t->peak[c] ? wv[c] : t->peak[c];
            }
            const float *x = vg_detector_normalised(t->d);
            for (uint16_t j = 0; j < m->n_features; j++) {
                t->fmax[j] = x[j] > t->fmax[j] ? x[j] : t->fmax[j];
                t->fmin[j] = x[j] < t->fmin[j] ? x[j] : t->fmin[j];
            }
            t->n_windows++;
        }
        if (r->cycle) {
            t->n_cycles++;
            const float *q = vg_detector_cycle(t->d);
            cur->sag_pu = fminf(cur->sag_pu, q[VG_PQ_HRMS_MIN] / nominal_rms);
            cur->swell_pu = fmaxf(cur->swell_pu, q[VG_PQ_HRMS_MAX] / nominal_rms);
            cur->thd_max = fmaxf(cur->thd_max, q[VG_PQ_THD]);
            cur->peak_pu = fmaxf(cur->peak_pu, q[VG_PQ_PEAK] / nominal_peak);
        }
    }
    if (t->open && r->event == VG_EVENT_CLOSE) {
        pq__track_close(t, row, time);
        *done = *cur;
        return 1;
    }
    return split;
}

int vgh_pq_track_end(vgh_pq_tracker_t *t, size_t row, double time, vgh_pq_event_t *done)
{
    if (!t->open)
        return 0;
    pq__track_close(t, row, time);
    *done = t->cur;
    return 1;
}

void vgh_pq_events_free(vgh_pq_event_t *ev, size_t n)
{
    for (size_t i = 0; ev && i < n; i++)
        free(ev[i].feat);
    free(ev);
}

/* How far beyond the fundamentals a model learnt (a share of nominal) its results hold. */
#define PQ_F0_SLACK 0.005

int vgh_pq_check_head(const vg_model_t *m, const vgh_dataset_t *ds, const char *path,
                      const char *model, char *err, size_t errlen)
{
    const double rate = ds->has_time ? vgh_infer_rate(ds->t, ds->n) : 0.0;
    if (rate > 0 && fabs(rate - m->sample_rate) > 0.01 * m->sample_rate) {
        snprintf(err, errlen, "%s: data is sampled at %.6g Hz but model %s expects %.6g Hz", path,
                 rate, model, (double)m->sample_rate);
        return -1;
    }
    const double f0 = (double)m->wave.f_nominal;
    const double f = vgh_pq_measure_f0(ds, (double)m->sample_rate, f0);
    if (f > 0 && fabs(f - f0) > 0.05 * f0) {
        snprintf(err, errlen, "%s: fundamental measured at %.4g Hz but model %s expects %.6g Hz",
                 path, f, model, f0);
        return -1;
    }
    /* Within 5 % it is the model's grid, but a model flags much of a recording whose
     * fundamental is 0.5 % or more beyond the ones it was trained on (a default-trained model,
     * 50 +- 0.05 Hz: none at 50.3 Hz, hundreds of false alarms an hour at 50.5;
     * docs/power-quality.md): said, not refused. Models from before the range was kept in
     * META were trained on their nominal frequency. */
    double lo = f0, hi = f0;
    char range[64];
    if (vgh_meta_get(m, VGH_PQ_F0_RANGE_KEY, range, sizeof range) == 0 &&
        sscanf(range, "%lf..%lf", &lo, &hi) != 2)
        lo = hi = f0;
    char learnt[64];
    if (hi > lo)
        snprintf(learnt, sizeof learnt, "%.4g to %.4g Hz", lo, hi);
    else
        snprintf(learnt, sizeof learnt, "%.4g Hz", lo);
    if (f > 0 && (f < lo - PQ_F0_SLACK * f0 || f > hi + PQ_F0_SLACK * f0))
        fprintf(stderr,
                "vigil: note: %s: fundamental measured at %.4g Hz; model %s learnt %s and may "
                "flag much of this recording (train on data with such frequencies, e.g. `vigil "
                "simulate power --freq-dev`)\n",
                path, f, model, learnt);
    return 0;
}

int vgh_pq_read_head(vgh_dataset_reader_t *rd, vgh_dataset_t *ds, double f0, char *err,
                     size_t errlen)
{
    int more = vgh_dataset_read(rd, ds, 10001, err, errlen);
    size_t need = 0;
    if (more == 1 && !ds->has_segment) {
        const double rate = ds->has_time ? vgh_infer_rate(ds->t, ds->n) : 1.0;
        const double rows = rate > 0 && f0 > 0 ? 480.0 * rate / f0 + 1.0 : 0.0;
        need = rows < 1e8 ? (size_t)rows : 100000000u;
    }
    while (more == 1 && ds->n < need)
        more = vgh_dataset_read(rd, ds, need - ds->n, err, errlen);
    for (size_t starts = 0, i = 0; more == 1 && ds->has_segment;) {
        for (; i < ds->n; i++)
            starts += i == 0 || ds->segment[i] != ds->segment[i - 1];
        if (starts > 48)
            break;
        more = vgh_dataset_read(rd, ds, 8192, err, errlen);
    }
    return more;
}

int vgh_pq_chunks(vgh_dataset_reader_t *rd, vgh_dataset_t *ds, int more, vgh_pq_push_fn push,
                  void *ctx, const char *cmd, const char *in, char *err, size_t errlen)
{
    int bad = push(ctx, ds, err, errlen) != 0;
    while (!bad && more == 1) {
        ds->n = 0;
        more = vgh_dataset_read(rd, ds, VGH_PQ_CHUNK_ROWS, err, errlen);
        bad = more < 0 || push(ctx, ds, err, errlen) != 0;
    }
    if (!bad)
        return 0;
    if (more < 0)
        vgh_fail(cmd, VGH_EXIT_INPUT, "%s", err);
    else
        vgh_fail(cmd, VGH_EXIT_INPUT, "%s: %s", in, err);
    return -1;
}

int vgh_pq_runner_begin(vgh_pq_runner_t *r, const vg_model_t *m, unsigned flags, char *err,
                        size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->nef = (flags & VGH_PQ_KEEP_FEATURES) ? vgh_pq_event_n_features(m, VGH_PQ_EVNT_LAYOUT) : 0;
    const size_t alen = vg_detector_arena_size(m);
    r->arena = malloc(alen);
    r->tr = calloc(1, sizeof *r->tr); /* zeroed: vgh_pq_runner_free() frees what it holds */
    if (!r->arena || !r->tr || vg_detector_init(&r->d, m, r->arena, alen) != VG_OK) {
        vgh_pq_runner_free(r);
        snprintf(err, errlen, "cannot start the detector (out of memory?)");
        return -1;
    }
    if (vgh_pq_track_start(r->tr, m, &r->d, err, errlen) != 0) {
        vgh_pq_runner_free(r);
        return -1;
    }
    r->tr->keep_features = (flags & VGH_PQ_KEEP_FEATURES) != 0;
    r->tr->split = (flags & VGH_PQ_SPLIT_EVENTS) != 0;
    return 0;
}

/* A closed event joins the list, with a copy of its features when they are kept. */
static int pq__add_event(vgh_pq_runner_t *r, const vgh_pq_event_t *done)
{
    void *buf = r->ev;
    int bad = pq__room(&buf, r->n_ev, &r->cap_ev, sizeof *r->ev);
    r->ev = buf;
    if (bad)
        return -1;
    float *kept = NULL;
    if (done->feat && r->nef) {
        kept = malloc(r->nef * sizeof(float));
        if (!kept)
            return -1;
        memcpy(kept, done->feat, r->nef * sizeof(float));
    }
    r->ev[r->n_ev] = *done;
    r->ev[r->n_ev++].feat = kept;
    return 0;
}

int vgh_pq_runner_push(vgh_pq_runner_t *r, const vgh_dataset_t *ds, float *score, uint8_t *anomaly,
                       uint16_t *cls, char *err, size_t errlen)
{
    /* Block pushes: each block's samples before its last produced `quiet`, the last one
     * `last`, exactly as per-sample pushes would. A block ends at the sample that completes a
     * cycle or window, so the tracker reads the detector's cycle and window state exactly when
     * a per-sample push would have left it. A chunk's end ends a block: the next chunk goes on
     * from the same detector state. */
    vg_result_t last, quiet;
    size_t block_end = 0;
    for (size_t i = 0; i < ds->n; i++, r->row++) {
        if (i == block_end)
            block_end =
                i + vg_detector_push_block(&r->d, ds->x + i * ds->n_ch, ds->n - i, &last, &quiet);
        const vg_result_t res = i + 1 == block_end ? last : quiet;
        if (score)
            score[i] = res.ready ? res.score : 0.0f;
        if (anomaly)
            anomaly[i] = res.anomaly;
        if (cls)
            cls[i] = !res.ready    ? (uint16_t)VGH_PQ_NORMAL_CLASS
                     : res.dropout ? (uint16_t)VGH_PQ_NO_CLASS
                                   : res.cls;
        vgh_pq_event_t done;
        if (vgh_pq_track(r->tr, &res, ds->x[i * ds->n_ch], r->row, ds->t[i], &done) &&
            pq__add_event(r, &done) != 0) {
            snprintf(err, errlen, "out of memory for events");
            return -1;
        }
    }
    if (ds->n)
        r->last_t = ds->t[ds->n - 1];
    return 0;
}

int vgh_pq_runner_end(vgh_pq_runner_t *r, vgh_pq_event_t **events, size_t *n_events, char *err,
                      size_t errlen)
{
    /* An event still open closes at the last row, as if the input had closed it there. */
    vgh_pq_event_t done;
    int rc = 0;
    if (r->row && vgh_pq_track_end(r->tr, r->row - 1, r->last_t, &done) &&
        pq__add_event(r, &done) != 0) {
        snprintf(err, errlen, "out of memory for events");
        rc = -1;
    }
    if (rc == 0) {
        *events = r->ev;
        *n_events = r->n_ev;
        r->ev = NULL;
        r->n_ev = 0;
    }
    vgh_pq_runner_free(r);
    return rc;
}

void vgh_pq_runner_free(vgh_pq_runner_t *r)
{
    vgh_pq_events_free(r->ev, r->n_ev);
    if (r->tr)
        vgh_pq_track_free(r->tr);
    free(r->tr);
    free(r->arena);
    r->ev = NULL;
    r->n_ev = 0;
    r->tr = NULL;
    r->arena = NULL;
}

int vgh_pq_run_stream(const vg_model_t *m, const vgh_dataset_t *ds, float *score, uint8_t *anomaly,
                      uint16_t *cls, vgh_pq_event_t **events, size_t *n_events, char *err,
                      size_t errlen)
{
    vgh_pq_runner_t r;
    if (vgh_pq_runner_begin(&r, m, 0, err, errlen) != 0)
        return -1;
    if (vgh_pq_runner_push(&r, ds, score, anomaly, cls, err, errlen) != 0) {
        vgh_pq_runner_free(&r);
        return -1;
    }
    return vgh_pq_runner_end(&r, events, n_events, err, errlen);
}

/* The class of the labelled run overlapping each event most (0 for none): runs and events are
 * both in time order, so one pass with a moving start. */
static uint16_t *pq__truth(const vgh_pq_run_t *runs, size_t n_runs, const vg_model_t *m,
                           const vgh_pq_event_t *ev, size_t n_ev)
{
    const double slack = (double)m->window / (double)m->wave.f_nominal + 0.05;
    uint16_t *truth = calloc(n_ev + 1, sizeof *truth);
    double *ov = calloc(n_ev + 1, sizeof *ov); /* the overlap behind truth[e] */
    if (!truth || !ov) {
        free(truth);
        free(ov);
        return NULL;
    }
    size_t e0 = 0;
    for (size_t k = 0; k < n_runs; k++) {
        const double t0 = runs[k].t0, t1 = runs[k].t1 + 1.0 / (double)m->sample_rate + slack;
        while (e0 < n_ev && ev[e0].t_end < t0)
            e0++;
        for (size_t e = e0; e < n_ev && ev[e].t_start <= t1; e++) {
            double a = fmax(t0, ev[e].t_start), b = fmin(t1, ev[e].t_end);
            if (b >= a && (truth[e] == 0 || b - a > ov[e])) {
                truth[e] = runs[k].cls;
                ov[e] = b - a;
            }
        }
    }
    free(ov);
    return truth;
}

/* The labelled runs of a stream so far, and the one still open. */
typedef struct {
    vgh_pq_run_t *v, cur;
    size_t n, cap;
    int open;
} pq_runs_t;

static int pq__add_run(pq_runs_t *s)
{
    void *buf = s->v;
    int bad = pq__room(&buf, s->n, &s->cap, sizeof *s->v);
    s->v = buf;
    if (bad)
        return -1;
    s->v[s->n++] = s->cur;
    return 0;
}

/* The labelled runs in a chunk: consecutive disturbed rows of one class. */
static int pq__runs_push(pq_runs_t *s, const vgh_dataset_t *ds)
{
    for (size_t i = 0; i < ds->n && ds->has_class; i++) {
        const uint16_t c = ds->cls[i];
        if (c != VGH_PQ_NORMAL_CLASS && s->open && c == s->cur.cls) {
            s->cur.t1 = ds->t[i];
            continue;
        }
        if (s->open && pq__add_run(s) != 0)
            return -1;
        s->open = c != VGH_PQ_NORMAL_CLASS;
        s->cur.t0 = s->cur.t1 = ds->t[i];
        s->cur.cls = c;
    }
    return 0;
}

int vgh_pq_stream_events(const vg_model_t *m, vgh_dataset_reader_t *rd, vgh_dataset_t *ds,
                         const char *path, const char *model, unsigned flags, vgh_pq_stream_t *out,
                         char *err, size_t errlen)
{
    pq_runs_t runs;
    vgh_pq_runner_t rn;
    memset(&runs, 0, sizeof runs);
    memset(out, 0, sizeof *out);
    int more = 1;
    /* Rows are read and pushed a second at a time (within 64..65536 rows). */
    size_t hold = (size_t)m->sample_rate;
    hold = hold < 64 ? 64 : hold > 65536 ? 65536 : hold;
    if (vgh_pq_runner_begin(&rn, m, flags, err, errlen) != 0)
        return -1;
    for (int first = 1; more == 1; first = 0) {
        ds->n = 0;
        if ((more = vgh_dataset_read(rd, ds, hold, err, errlen)) < 0)
            goto fail;
        if (first && vgh_pq_check_head(m, ds, path, model, err, errlen) != 0)
            goto fail;
        if (first && ds->n)
            out->t_first = ds->t[0];
        if (ds->n)
            out->t_last = ds->t[ds->n - 1];
        if (pq__runs_push(&runs, ds) != 0) {
            snprintf(err, errlen, "out of memory for labelled runs");
            goto fail;
        }
        if (vgh_pq_runner_push(&rn, ds, NULL, NULL, NULL, err, errlen) != 0)
            goto fail;
    }
    if (runs.open && pq__add_run(&runs) != 0) {
        snprintf(err, errlen, "out of memory for labelled runs");
        goto fail;
    }
    out->rows = rn.row;
    if (vgh_pq_runner_end(&rn, &out->ev, &out->n_ev, err, errlen) != 0) {
        free(runs.v);
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->runs = runs.v;
    out->n_runs = runs.n;
    return 0;
fail:
    vgh_pq_runner_free(&rn);
    free(runs.v);
    return -1;
}

void vgh_pq_stream_free(vgh_pq_stream_t *o)
{
    vgh_pq_events_free(o->ev, o->n_ev);
    free(o->runs);
    free(o->truth);
    memset(o, 0, sizeof *o);
}

int vgh_pq_stream_events_csv(const vg_model_t *m, char *const *channels, const char *path,
                             const char *model, unsigned flags, vgh_pq_stream_t *out, char *err,
                             size_t errlen)
{
    vgh_dataset_t ds;
    vgh_dataset_reader_t rd;
    memset(out, 0, sizeof *out);
    if (vgh_dataset_begin(&rd, path, NULL, channels, m->n_channels, m->sample_rate, &ds, err,
                          errlen) != 0) {
        size_t len = strlen(err);
        snprintf(err + len, errlen - len, " (model %s needs it)", model);
        return -1;
    }
    int rc = -1;
    if (!ds.has_class || ds.has_segment)
        snprintf(err, errlen, "%s: %s", path,
                 ds.has_segment ? "snippets (a segment column): events need a stream"
                                : "no 'class' column to learn from");
    else if (vgh_pq_stream_events(m, &rd, &ds, path, model, flags | VGH_PQ_KEEP_FEATURES, out, err,
                                  errlen) == 0) {
        out->truth = pq__truth(out->runs, out->n_runs, m, out->ev, out->n_ev);
        if (out->truth)
            rc = 0;
        else
            snprintf(err, errlen, "out of memory");
    }
    if (rc != 0)
        vgh_pq_stream_free(out);
    vgh_dataset_end(&rd);
    vgh_dataset_free(&ds);
    return rc;
}

int vgh_pq_report_events(FILE *f, const vgh_pq_stream_t *st, const vg_model_t *m, int json,
                         const char *model, const char *data)
{
    const vgh_pq_event_t *ev = st->ev;
    const size_t n_ev = st->n_ev;
    /* Slack: a window still holds a disturbance for one window length after it ends. */
    const double slack = (double)m->window / (double)m->wave.f_nominal + 0.05;
    const double half_cycle = 0.5 / (double)m->wave.f_nominal;
    size_t labelled = 0, long_enough = 0, found = 0, found_long = 0, class_ok = 0,
           class_ok_merged = 0, false_alarms = 0, dropouts = 0;
    uint8_t *matched = calloc(n_ev + 1, 1);
    if (!matched)
        return -1;
    if (!json)
        fprintf(f, "%-6s %10s %9s %6s %6s %9s\n", "class", "start (s)", "length", "found", "as",
                "magnitude");
    for (size_t k = 0; k < st->n_runs; k++) {
        const uint16_t c = st->runs[k].cls;
        const double t0 = st->runs[k].t0, t1 = st->runs[k].t1 + 1.0 / (double)m->sample_rate;
        int is_long = t1 - t0 >= half_cycle - 1e-9;
        labelled++;
        long_enough += (size_t)is_long;
        /* The predicted event overlapping [t0, t1 + slack] the most. */
        size_t best = SIZE_MAX;
        double best_ov = 0;
        for (size_t e = 0; e < n_ev; e++) {
            double a = fmax(t0, ev[e].t_start), b = fmin(t1 + slack, ev[e].t_end);
            if (b >= a && (best == SIZE_MAX || b - a > best_ov)) {
                best = e;
                best_ov = b - a;
            }
        }
        if (best != SIZE_MAX) {
            matched[best] = 1;
            found++;
            found_long += (size_t)is_long;
            class_ok += ev[best].cls == c;
            class_ok_merged += vgh_pq_merge(ev[best].cls) == vgh_pq_merge(c);
        }
        if (!json && best != SIZE_MAX)
            fprintf(f, "%-6u %10.3f %8.1fc %6s %6u  sag %.2f swell %.2f thd %.3f peak %.2f\n", c,
                    t0 - st->t_first, (t1 - t0) * (double)m->wave.f_nominal, "yes", ev[best].cls,
                    (double)ev[best].sag_pu, (double)ev[best].swell_pu, (double)ev[best].thd_max,
                    (double)ev[best].peak_pu);
        else if (!json) /* missed: no magnitudes (not nan) */
            fprintf(f, "%-6u %10.3f %8.1fc %6s %6s\n", c, t0 - st->t_first,
                    (t1 - t0) * (double)m->wave.f_nominal, "NO", "-");
    }
    /* A predicted event that no labelled disturbance explains (within the slack either side,
     * since one event may cover two close disturbances) is a false alarm. */
    for (size_t e = 0; e < n_ev; e++) {
        if (matched[e])
            continue;
        int near = 0;
        for (size_t k = 0; k < st->n_runs && !near; k++)
            near = st->runs[k].t1 >= ev[e].t_start - slack && st->runs[k].t0 <= ev[e].t_end + slack;
        false_alarms += (size_t)!near;
        dropouts += (size_t)(!near && ev[e].dropout);
    }
    /* Counting events alone, one event over the whole recording would find everything with
     * no false alarm: also the time the events hold outside every labelled disturbance (and
     * its slack either side), against the recording's time outside them. */
    double outside = 0.0, disturbed = 0.0;
    for (size_t e = 0, k0 = 0; e < n_ev; e++) {
        const double a = ev[e].t_start, b = ev[e].t_end;
        if (!(b > a))
            continue;
        while (k0 < st->n_runs && st->runs[k0].t1 + slack < a)
            k0++;
        double covered = 0.0, cur = a;
        for (size_t k = k0; k < st->n_runs && st->runs[k].t0 - slack <= b; k++) {
            double lo = fmax(st->runs[k].t0 - slack, cur), hi = fmin(st->runs[k].t1 + slack, b);
            if (hi > lo) {
                covered += hi - lo;
                cur = hi;
            }
        }
        outside += (b - a) - covered;
    }
    for (size_t k = 0; k < st->n_runs; k++)
        disturbed += st->runs[k].t1 + 1.0 / (double)m->sample_rate - st->runs[k].t0;
    free(matched);
    double hours = st->rows > 1 ? (st->t_last - st->t_first) / 3600.0 : 0.0;
    const double calm = hours * 3600.0 - disturbed;
    const double share = calm > 0.0 ? outside / calm : 0.0;
    double dl = labelled ? (double)labelled : 1.0, df = found ? (double)found : 1.0;
    /* Detector models (isolation forest) and binary forests name no class: their class
     * accuracy is undefined. */
    const int mode = vgh_pq_mode(m), classes = mode == VGH_PQ_MULTICLASS;
    /* With no event found (or none labelled) there is nothing to take a share of: null. */
    char acc[64] = "null", accm[64] = "null", recall[64] = "null";
    if (labelled)
        snprintf(recall, sizeof recall, "%.6f", (double)found / dl);
    if (classes && found) {
        snprintf(acc, sizeof acc, "%.6f", (double)class_ok / df);
        snprintf(accm, sizeof accm, "%.6f", (double)class_ok_merged / df);
    }
    char jm[1024], jd[1024];
    if (json) {
        fprintf(f,
                "{\"model\":\"%s\",\"data\":\"%s\",\"hours\":%.6f,\"labelled\":%zu,"
                "\"longer_than_half_cycle\":%zu,\"found\":%zu,\"found_longer_than_half_cycle\":%zu,"
                "\"event_recall\":%s,\"predicted\":%zu,\"false_alarms\":%zu,"
                "\"false_alarms_per_hour\":%.6f,\"dropout_false_alarms\":%zu,"
                "\"flagged_outside_s\":%.6f,"
                "\"flagged_outside_share\":%.6f,\"class_accuracy\":%s,"
                "\"class_accuracy_merged\":%s}\n",
                vgh_json_str(model, jm, sizeof jm), vgh_json_str(data, jd, sizeof jd), hours,
                labelled, long_enough, found, found_long, recall, n_ev, false_alarms,
                hours > 0 ? (double)false_alarms / hours : 0.0, dropouts, outside, share, acc,
                accm);
    } else {
        fprintf(f,
                "events: %zu/%zu found (%zu/%zu longer than half a cycle), %zu false alarms "
                "(%.2f per hour over %.2f h)\n",
                found, labelled, found_long, long_enough, false_alarms,
                hours > 0 ? (double)false_alarms / hours : 0.0, hours);
        if (dropouts)
            fprintf(f, "of the false alarms, %zu are gaps in the data (dropout: missing samples)\n",
                    dropouts);
        fprintf(f,
                "time flagged outside the disturbances: %.3f s, %.4f %% of the %.1f s without "
                "one\n",
                outside, 100.0 * share, calm);
        if (classes && found)
            fprintf(f,
                    "class accuracy per found event: %s (%s with the near-identical pairs "
                    "merged)\n",
                    acc, accm);
        else if (classes)
            fprintf(f, "class accuracy per found event: none found\n");
        else
            fprintf(f, "class: not reported (%s detects, it does not classify)\n",
                    mode == VGH_PQ_BINARY ? "a binary (--binary) forest" : "an isolation forest");
    }
    return 0;
}
