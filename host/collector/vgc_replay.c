/* SPDX-License-Identifier: MIT */
/* GET /api/replay: a device's model over its labelled recording at another threshold. The
 * detector run, the decision and the metrics are host/vigil's (run.h, metrics.h), the same
 * code `vigil eval --threshold` runs, so the page and the command line agree. */
#include "vgc_replay.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact.h"
#include "dataset.h"
#include "metrics.h"
#include "run.h"
#include "vgc_payload.h"

typedef struct {
    int64_t mtime_ns, size;
} file_id_t;

typedef struct {
    int valid;
    char device[VGC_DEVICE_MAX + 1];
    char dir[1024];
    file_id_t csv, vgm;
    unsigned long used; /* LRU clock */
    vgh_model_file_t mf;
    vgh_dataset_t ds;
    vgh_run_t run;
} entry_t;

/* The one cache of the process (STYLE.md 5: a named static struct). */
static struct {
    pthread_mutex_t mu;
    entry_t e[VGC_REPLAY_CACHE];
    unsigned long clock;
} replay = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void entry_free(entry_t *e)
{
    if (!e->valid)
        return;
    vgh_run_free(&e->run);
    vgh_dataset_free(&e->ds);
    vgh_model_free(&e->mf);
    memset(e, 0, sizeof *e);
}

void vgc_replay_cleanup(void)
{
    pthread_mutex_lock(&replay.mu);
    for (int i = 0; i < VGC_REPLAY_CACHE; i++)
        entry_free(&replay.e[i]);
    pthread_mutex_unlock(&replay.mu);
}

int vgc_replay_dir_ok(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* 0 and the file's identity; -1 missing (ENOENT) or not a file; -2 other error. */
static int file_id(const char *path, file_id_t *id)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR ? -1 : -2;
    if (!S_ISREG(st.st_mode))
        return -1;
    id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    id->size = (int64_t)st.st_size;
    return 0;
}

/* Messages from host/vigil start with the file's path: show the name only, so an answer
 * does not reveal where the server keeps its files. */
static void strip_dir(char *err, const char *dir)
{
    size_t n = strlen(dir);
    if (n > 0 && strncmp(err, dir, n) == 0 && err[n] == '/')
        memmove(err, err + n + 1, strlen(err + n + 1) + 1);
}

/* Load and run a device's recording, or find it in the cache. Called with the mutex held. */
static unsigned entry_get(const vgc_replay_req_t *q, entry_t **out, char *err, size_t errlen)
{
    char csv[1200], vgm[1200];
    snprintf(csv, sizeof csv, "%s/%s.csv", q->dir, q->device);
    snprintf(vgm, sizeof vgm, "%s/%s.vgm", q->dir, q->device);
    file_id_t ic, im;
    int rc = file_id(csv, &ic), rm = file_id(vgm, &im);
    if (rc != 0 || rm != 0) {
        snprintf(err, errlen, "device: no %s for '%s' (the collector's --recordings needs %s.%s)",
                 rc != 0 ? "recording" : "model", q->device, q->device, rc != 0 ? "csv" : "vgm");
        return rc == -2 || rm == -2 ? 500 : 404;
    }
    entry_t *slot = NULL;
    for (int i = 0; i < VGC_REPLAY_CACHE; i++) {
        entry_t *e = &replay.e[i];
        if (e->valid && strcmp(e->device, q->device) == 0 && strcmp(e->dir, q->dir) == 0) {
            if (memcmp(&e->csv, &ic, sizeof ic) == 0 && memcmp(&e->vgm, &im, sizeof im) == 0) {
                e->used = ++replay.clock;
                *out = e;
                return 200;
            }
            entry_free(e); /* a file changed: run again */
        }
    }
    for (int i = 0; i < VGC_REPLAY_CACHE; i++)
        if (slot == NULL || !replay.e[i].valid || (slot->valid && replay.e[i].used < slot->used))
            slot = &replay.e[i];
    entry_free(slot);
    entry_t *e = slot;
    char why[1024];
    if (vgh_model_load(vgm, &e->mf, why, sizeof why) != 0) {
        strip_dir(why, q->dir);
        snprintf(err, errlen, "model: %s", why);
        return 422;
    }
    if (e->mf.m.wave.present) {
        vgh_model_free(&e->mf);
        snprintf(err, errlen,
                 "model: %s.vgm is a waveform model; replay takes slow-sensor models "
                 "(zscore, autoencoder, iforest); use `vigil eval --events` for waveforms",
                 q->device);
        return 422;
    }
    if (vgh_dataset_load(csv, NULL, e->mf.channels, e->mf.m.n_channels, e->mf.m.sample_rate, &e->ds,
                         why, sizeof why) != 0) {
        vgh_model_free(&e->mf);
        strip_dir(why, q->dir);
        snprintf(err, errlen, "recording: %s", why);
        return 422;
    }
    unsigned code = 422;
    if (!e->ds.has_label) {
        snprintf(err, errlen, "recording: %s.csv has no 'label' column to score against",
                 q->device);
        goto fail;
    }
    double want = e->mf.m.sample_rate;
    if (fabs(e->ds.rate - want) > 0.05 * want) {
        snprintf(err, errlen,
                 "recording: %s.csv is sampled at %.4g Hz but the model expects %.4g Hz", q->device,
                 e->ds.rate, want);
        goto fail;
    }
    if (vgh_run_model(&e->mf.m, &e->ds, &e->run, why, sizeof why) != 0) {
        snprintf(err, errlen, "replay: %s", why);
        code = 500;
        goto fail;
    }
    /* Only the scores and flags are needed again: let the plotting arrays go. */
    free(e->run.recon);
    free(e->run.feat);
    free(e->run.feat_recon);
    e->run.recon = e->run.feat = e->run.feat_recon = NULL;
    e->run.n_feat = 0;
    e->valid = 1;
    snprintf(e->device, sizeof e->device, "%s", q->device);
    snprintf(e->dir, sizeof e->dir, "%s", q->dir);
    e->csv = ic;
    e->vgm = im;
    e->used = ++replay.clock;
    *out = e;
    return 200;
fail:
    vgh_dataset_free(&e->ds);
    vgh_model_free(&e->mf);
    memset(e, 0, sizeof *e);
    return code;
}

static void jnum(vgc_buf_t *b, double v)
{
    if (isfinite(v))
        vgc_buf_printf(b, "%.7g", v);
    else
        vgc_buf_puts(b, "null");
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : NAN;
}

static double f1_of(double p, double r)
{
    return isfinite(p) && isfinite(r) && p + r > 0 ? 2 * p * r / (p + r) : NAN;
}

/* The window scores, at most q->points of them: each bucket of consecutive windows is
 * represented by its highest score, so no peak that crosses a threshold is lost. */
static void put_windows(vgc_buf_t *b, const entry_t *e, long points)
{
    const vgh_run_t *run = &e->run;
    size_t count = 0;
    for (size_t i = 0; i < run->n; i++)
        count += run->window[i];
    size_t buckets = points > 0 && count > (size_t)points ? (size_t)points : count;
    vgc_buf_printf(b, "\"windows\":{\"count\":%zu,\"thinned\":%s,\"t\":[", count,
                   buckets < count ? "true" : "false");
    vgc_buf_t raw = {0};
    size_t w = 0, bucket = 0, best_i = SIZE_MAX;
    float best = NAN;
    for (size_t i = 0; i < run->n && bucket < buckets; i++) {
        if (!run->window[i])
            continue;
        if (best_i == SIZE_MAX || (isfinite(run->raw[i]) && !(run->raw[i] <= best))) {
            best_i = i;
            best = run->raw[i];
        }
        w++;
        if (w * buckets >= (bucket + 1) * count) { /* the bucket's last window */
            vgc_buf_printf(b, "%s%.3f", bucket ? "," : "", e->ds.t[best_i]);
            if (bucket)
                vgc_buf_puts(&raw, ",");
            jnum(&raw, best);
            bucket++;
            best_i = SIZE_MAX;
            best = NAN;
        }
    }
    vgc_buf_puts(b, "],\"raw\":[");
    if (raw.p)
        vgc_buf_add(b, raw.p, raw.len);
    if (!vgc_buf_ok(&raw))
        b->oom = 1;
    vgc_buf_free(&raw);
    vgc_buf_puts(b, "]}");
}

/* A labelled event's kind name ("anomaly" when the recording has no kind column). */
static const char *kind_name(const vgh_dataset_t *ds, int kind)
{
    if (ds->kind_names == NULL || ds->n_kinds == 0)
        return "anomaly";
    return ds->kind_names[kind >= 0 && (size_t)kind < ds->n_kinds ? (size_t)kind : 0];
}

/* The events the threshold raises (runs of the decision), each with its peak score and the
 * labelled event it overlaps (with the same slack as the metrics), if any. */
static void put_raised(vgc_buf_t *b, const entry_t *e, const uint8_t *pred, const vgh_event_t *ev,
                       size_t nev, double slack)
{
    const vgh_dataset_t *ds = &e->ds;
    size_t listed = 0, total = 0;
    vgc_buf_puts(b, "\"raised\":[");
    for (size_t i = 0; i < ds->n;) {
        if (!pred[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < ds->n && pred[j + 1])
            j++;
        total++;
        if (listed < VGC_REPLAY_RAISED_MAX) {
            float peak = NAN;
            for (size_t k = i; k <= j; k++)
                if (isfinite(e->run.raw[k]) && !(e->run.raw[k] <= peak))
                    peak = e->run.raw[k];
            const char *match = NULL;
            for (size_t k = 0; k < nev && match == NULL; k++)
                if (ds->t[i] <= ds->t[ev[k].end] + slack && ds->t[j] >= ds->t[ev[k].start])
                    match = kind_name(ds, ev[k].kind);
            vgc_buf_printf(b, "%s{\"start\":%.3f,\"end\":%.3f,\"peak\":", listed ? "," : "",
                           ds->t[i], ds->t[j]);
            jnum(b, peak);
            vgc_buf_puts(b, ",\"match\":");
            if (match)
                vgc_buf_json_str(b, match);
            else
                vgc_buf_puts(b, "null");
            vgc_buf_puts(b, "}");
            listed++;
        }
        i = j + 1;
    }
    vgc_buf_printf(b, "],\"raised_total\":%zu", total);
}

static void put_answer(vgc_buf_t *b, const vgc_replay_req_t *q, const entry_t *e, float thr,
                       const uint8_t *pred, const vgh_metrics_t *mt, const vgh_event_t *ev,
                       size_t nev, double slack)
{
    const vgh_dataset_t *ds = &e->ds;
    const vg_model_t *m = &e->mf.m;
    uint32_t crc = (uint32_t)e->mf.buf[12] | (uint32_t)e->mf.buf[13] << 8 |
                   (uint32_t)e->mf.buf[14] << 16 | (uint32_t)e->mf.buf[15] << 24;
    vgc_buf_puts(b, "{\"device\":");
    vgc_buf_json_str(b, q->device);
    vgc_buf_printf(b,
                   ",\"recording\":{\"file\":\"%s.csv\",\"rows\":%zu,\"t0\":%.3f,"
                   "\"duration_s\":",
                   q->device, ds->n, ds->t[0]);
    jnum(b, mt->duration_s);
    vgc_buf_puts(b, ",\"rate_hz\":");
    jnum(b, ds->rate);
    vgc_buf_printf(b,
                   "},\"model\":{\"file\":\"%s.vgm\",\"kind\":\"%s\",\"crc\":\"%08x\","
                   "\"threshold\":",
                   q->device, vgh_kind_name(m->kind), crc);
    jnum(b, m->threshold);
    vgc_buf_printf(b, ",\"window\":%u,\"hop\":%u,\"open_after\":%u,\"close_after\":%u},", m->window,
                   m->hop, m->open_after, m->close_after);
    vgc_buf_puts(b, "\"threshold\":");
    jnum(b, thr);
    vgc_buf_puts(b, ",\"pointwise\":{\"precision\":");
    jnum(b, mt->precision);
    vgc_buf_puts(b, ",\"recall\":");
    jnum(b, mt->recall);
    vgc_buf_puts(b, ",\"f1\":");
    jnum(b, mt->f1);
    vgc_buf_puts(b, ",\"auc\":");
    jnum(b, mt->auc);
    vgc_buf_printf(b, ",\"tp\":%zu,\"fp\":%zu,\"fn\":%zu,\"tn\":%zu},", mt->tp, mt->fp, mt->fn,
                   mt->tn);
    /* Event-level precision: the share of raised events that overlap a labelled one. */
    double ep = ratio(mt->n_pred_events - mt->n_false_alarms, mt->n_pred_events);
    vgc_buf_printf(b,
                   "\"events\":{\"labelled\":%zu,\"detected\":%zu,\"predicted\":%zu,"
                   "\"false_alarms\":%zu,\"precision\":",
                   mt->n_events, mt->n_detected, mt->n_pred_events, mt->n_false_alarms);
    jnum(b, ep);
    vgc_buf_puts(b, ",\"recall\":");
    jnum(b, mt->event_recall);
    vgc_buf_puts(b, ",\"f1\":");
    jnum(b, f1_of(ep, mt->event_recall));
    vgc_buf_puts(b, ",\"false_alarms_per_day\":");
    jnum(b, mt->false_alarms_per_day);
    vgc_buf_puts(b, ",\"mean_delay_s\":");
    jnum(b, mt->mean_delay_s);
    vgc_buf_puts(b, "},\"labelled\":[");
    for (size_t k = 0; k < nev; k++) {
        vgc_buf_printf(b, "%s{\"kind\":", k ? "," : "");
        vgc_buf_json_str(b, kind_name(ds, ev[k].kind));
        vgc_buf_printf(b, ",\"start\":%.3f,\"end\":%.3f,\"detected\":%s,\"delay_s\":",
                       ds->t[ev[k].start], ds->t[ev[k].end], ev[k].detected ? "true" : "false");
        jnum(b, ev[k].delay_s);
        vgc_buf_puts(b, "}");
    }
    vgc_buf_puts(b, "],");
    put_raised(b, e, pred, ev, nev, slack);
    vgc_buf_puts(b, ",");
    put_windows(b, e, q->points);
    vgc_buf_puts(b, "}\n");
}

unsigned vgc_replay_compute(const vgc_replay_req_t *q, vgc_buf_t *out, char *err, size_t errlen)
{
    pthread_mutex_lock(&replay.mu);
    entry_t *e = NULL;
    unsigned code = entry_get(q, &e, err, errlen);
    if (code != 200) {
        pthread_mutex_unlock(&replay.mu);
        return code;
    }
    const vg_model_t *m = &e->mf.m;
    float thr = q->threshold > 0 ? (float)q->threshold : m->threshold;
    uint8_t *pred = malloc(e->run.n + 1);
    vgh_event_t *ev = NULL;
    size_t nev = 0;
    vgh_metrics_t mt;
    double slack = m->window / (double)m->sample_rate; /* as vigil eval credits late alarms */
    code = 500;
    if (pred == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    vgh_run_decide(&e->run, thr, m->open_after, m->close_after, pred);
    char why[512];
    if (vgh_metrics_compute(e->ds.t, e->run.raw, pred, e->ds.label, e->ds.kind, e->ds.n, slack, &mt,
                            &ev, &nev, why, sizeof why) != 0) {
        snprintf(err, errlen, "recording: %s", why);
        code = 422;
        goto done;
    }
    vgc_buf_t b = {0};
    put_answer(&b, q, e, thr, pred, &mt, ev, nev, slack);
    if (!vgc_buf_ok(&b)) {
        vgc_buf_free(&b);
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    vgc_buf_add(out, b.p, b.len);
    vgc_buf_free(&b);
    code = 200;
done:
    pthread_mutex_unlock(&replay.mu);
    free(pred);
    free(ev);
    return code;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *json, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)json, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
    vgc_buf_t b = {0};
    vgc_buf_puts(&b, "{\"error\":");
    vgc_buf_json_str(&b, msg);
    vgc_buf_puts(&b, "}\n");
    enum MHD_Result r =
        vgc_buf_ok(&b) ? reply(c, code, b.p, b.len) : reply(c, 500, "{\"error\":\"oom\"}\n", 16);
    vgc_buf_free(&b);
    return r;
}

enum MHD_Result vgc_replay_serve(vgc_app_t *a, struct MHD_Connection *c)
{
    vgc_replay_req_t q = {.dir = a->recordings_dir, .points = VGC_REPLAY_POINTS_DEFAULT};
    q.device = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "device");
    const char *ts = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "threshold");
    const char *ps = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "points");
    if (q.device == NULL || q.device[0] == '\0')
        return reply_error(c, 400, "device: required (a device id)");
    if (!vgc_device_id_ok(q.device))
        return reply_error(c, 400, "device: must be 1-32 characters of [A-Za-z0-9_-]");
    if (ts != NULL && ts[0] != '\0') {
        char *end;
        errno = 0;
        q.threshold = strtod(ts, &end);
        /* The detector compares floats: the range keeps the value a normal float. */
        if (*end != '\0' || errno == ERANGE || !isfinite(q.threshold) || !(q.threshold > 0) ||
            q.threshold < 1e-30 || q.threshold > 1e30)
            return reply_error(c, 400, "threshold: must be a finite number > 0 (1e-30 to 1e30)");
    }
    if (ps != NULL && ps[0] != '\0') {
        char *end;
        long v = strtol(ps, &end, 10);
        if (*end != '\0' || v < 0 || v > VGC_REPLAY_POINTS_MAX)
            return reply_error(c, 400, "points: must be an integer 0-200000 (0: every window)");
        q.points = v;
    }
    if (q.dir == NULL)
        return reply_error(c, 404, "replay: the collector runs without --recordings DIR");
    char err[1536];
    vgc_buf_t b = {0};
    unsigned code = vgc_replay_compute(&q, &b, err, sizeof err);
    enum MHD_Result r = code == 200 ? reply(c, 200, b.p, b.len) : reply_error(c, code, err);
    vgc_buf_free(&b);
    return r;
}
