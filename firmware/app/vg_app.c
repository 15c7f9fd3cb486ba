/* SPDX-License-Identifier: MIT */
#include "vg_app.h"

#include <math.h>
#include <string.h>

#include "vg_json.h"

/* docs/power-quality.md's class names (the simulator's, host/vigil/sim_power.c; a unit test
 * keeps the two tables equal). */
static const char *const app__pq_names[30] = {NULL,
                                              "pure",
                                              "sag",
                                              "swell",
                                              "interruption",
                                              "impulse",
                                              "osc_transient",
                                              "harmonics",
                                              "harm_sag",
                                              "harm_swell",
                                              "flicker",
                                              "flicker_sag",
                                              "flicker_swell",
                                              "sag_osc",
                                              "swell_osc",
                                              "sag_harm",
                                              "swell_harm",
                                              "notch",
                                              "harm_sag_flicker",
                                              "harm_swell_flicker",
                                              "sag_harm_flicker",
                                              "swell_harm_flicker",
                                              "sag_harm_osc",
                                              "swell_harm_osc",
                                              "harm_sag_osc",
                                              "harm_swell_osc",
                                              "harm_sag_flicker_osc",
                                              "harm_swell_flicker_osc",
                                              "sag_harm_flicker_osc",
                                              "swell_harm_flicker_osc"};

const char *vg_app_pq_class_name(unsigned cls)
{
    return cls >= 1 && cls <= 29 ? app__pq_names[cls] : NULL;
}

int vg_app_id_valid(const char *id)
{
    if (!id)
        return 0;
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok || n >= VG_APP_ID_MAX)
            return 0;
    }
    return n >= 1;
}

size_t vg_app_hist_len(const vg_model_t *m)
{
    return m->wave.present ? 0u : (size_t)m->window * m->n_channels;
}

/* A forest classifier reports classes; its threshold is the share of trees voting for a
 * disturbance, not a score to re-learn. */
static int app__classifier(const vg_app_t *a)
{
    return vg_model_base_kind(a->cfg.model->kind) == VG_KIND_FOREST;
}

/* Power-quality classes are reported for a multi-class forest on waveforms (a binary forest's
 * labels are normal / disturbed, not the table's numbers). */
static int app__pq_classes(const vg_app_t *a)
{
    const vg_model_t *m = a->cfg.model;
    return m->wave.present && vg_model_base_kind(m->kind) == VG_KIND_FOREST &&
           m->u.forest.n_classes > 2;
}

static size_t app__cpy(char *dst, size_t cap, size_t at, const char *s)
{
    while (*s && at + 1 < cap)
        dst[at++] = *s++;
    if (cap)
        dst[at < cap ? at : cap - 1] = '\0';
    return at;
}

static const char *app__topic(vg_app_t *a, const char *leaf)
{
    size_t n = app__cpy(a->topic, sizeof a->topic, 0, a->base);
    app__cpy(a->topic, sizeof a->topic, n, leaf);
    return a->topic;
}

static void app__note(vg_app_t *a, const char *s1, const char *s2)
{
    if (!a->port->note)
        return;
    char b[200];
    size_t n = app__cpy(b, sizeof b, 0, s1);
    app__cpy(b, sizeof b, n, s2 ? s2 : "");
    a->port->note(a->ctx, b);
}

vg_status_t vg_app_init(vg_app_t *a, const vg_app_cfg_t *cfg, const vg_app_port_t *port, void *ctx,
                        const vg_app_mem_t *mem)
{
    if (!a || !cfg || !port || !mem || !cfg->model || !vg_app_id_valid(cfg->id))
        return VG_ERR_ARG;
    if (!port->wall_ms || !port->mono_ms || !port->led || !port->publish || !port->q_push ||
        !port->q_peek || !port->q_pop || !port->q_count || !port->boot_next)
        return VG_ERR_ARG;
    if (!(cfg->telemetry_hz >= 0.0f) || !(cfg->model->sample_rate > 0.0f))
        return VG_ERR_ARG;
    const vg_model_t *m = cfg->model;
    if (!mem->msg || mem->msg_len < VG_APP_MSG_MIN)
        return VG_ERR_SIZE;
    size_t hl = vg_app_hist_len(m);
    if (hl && (!mem->hist || mem->hist_len < hl))
        return VG_ERR_SIZE;
    if (mem->calib && mem->calib_len < VG_CALIB_MIN_WINDOWS)
        return VG_ERR_SIZE;
    memset(a, 0, sizeof *a);
    a->cfg = *cfg;
    if (!(a->cfg.false_alarms_per_day > 0.0))
        a->cfg.false_alarms_per_day = 0.2;
    a->port = port;
    a->ctx = ctx;
    a->mem = *mem;
    VG_TRY(vg_detector_init(&a->det, m, mem->arena, mem->arena_len));
    size_t n = app__cpy(a->base, sizeof a->base, 0, "vigil/");
    n = app__cpy(a->base, sizeof a->base, n, cfg->id);
    app__cpy(a->base, sizeof a->base, n, "/");
    const uint8_t *b = m->buf + VG_MODEL_CRC_OFFSET;
    a->crc = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    a->t0_mono = port->mono_ms(ctx);
    a->inflight_mid = -1;
    a->xpeak_ch = -1;
    for (unsigned c = 0; c < VG_MAX_CHANNELS; c++)
        a->latest[c] = NAN;
    VG_TRY(port->boot_next(ctx, &a->boot));
    a->ready = 1;
    return VG_OK;
}

/* The fields every message starts with; takes the next sequence number. */
static void app__head(vg_app_t *a, vg_jw_t *w, char *buf, size_t cap)
{
    vg_jw_init(w, buf, cap);
    vg_jw_obj(w);
    vg_jw_key(w, "v");
    vg_jw_int(w, VG_APP_PROTOCOL);
    vg_jw_key(w, "boot");
    vg_jw_uint(w, a->boot);
    vg_jw_key(w, "seq");
    vg_jw_uint(w, ++a->seq);
    vg_jw_key(w, "ts");
    vg_jw_uint(w, a->port->wall_ms(a->ctx));
}

static void app__hex8(uint32_t v, char out[9])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 7; i >= 0; i--) {
        out[i] = hex[v & 15u];
        v >>= 4;
    }
    out[8] = '\0';
}

/* The status, online or offline (reason "lost" or "stop"), into the message buffer. */
static vg_status_t app__status(vg_app_t *a, const char *reason, size_t *len)
{
    vg_jw_t w;
    const vg_model_t *m = a->cfg.model;
    app__head(a, &w, a->mem.msg, a->mem.msg_len);
    vg_jw_key(&w, "state");
    vg_jw_str(&w, reason ? "offline" : "online");
    if (reason) {
        vg_jw_key(&w, "reason");
        vg_jw_str(&w, reason);
    }
    vg_jw_key(&w, "fw");
    vg_jw_str(&w, a->cfg.fw ? a->cfg.fw : "");
    vg_jw_key(&w, "model");
    vg_jw_obj(&w);
    vg_jw_key(&w, "kind");
    vg_jw_str(&w, vg_model_kind_name(m->kind));
    char crc[9];
    app__hex8(a->crc, crc);
    vg_jw_key(&w, "crc");
    vg_jw_str(&w, crc);
    vg_jw_key(&w, "rate_hz");
    vg_jw_num(&w, (double)m->sample_rate, 7);
    vg_jw_key(&w, "threshold");
    vg_jw_num(&w, (double)a->det.threshold, 7);
    vg_jw_end(&w);
    vg_jw_key(&w, "uptime_s");
    vg_jw_uint(&w, (a->port->mono_ms(a->ctx) - a->t0_mono) / 1000u);
    vg_jw_key(&w, "queued");
    vg_jw_uint(&w, a->port->q_count(a->ctx));
    vg_jw_key(&w, "dropped");
    vg_jw_uint(&w, a->dropped);
    vg_jw_key(&w, "refused");
    vg_jw_uint(&w, a->refused);
    vg_jw_end(&w);
    return vg_jw_finish(&w, len);
}

static void app__publish_status(vg_app_t *a)
{
    size_t len;
    if (!a->connected || app__status(a, NULL, &len) != VG_OK)
        return;
    int mid;
    (void)a->port->publish(a->ctx, app__topic(a, "status"), a->mem.msg, len, 1, 1, &mid);
}

vg_status_t vg_app_will(vg_app_t *a, const char **topic, const char **payload, size_t *len)
{
    VG_TRY(app__status(a, "lost", len));
    *topic = app__topic(a, "status");
    *payload = a->mem.msg;
    return VG_OK;
}

/* Records are the kind byte and the payload; the payload is built at msg + 1. */
static void app__enqueue(vg_app_t *a, char kind, vg_jw_t *w)
{
    size_t len;
    if (vg_jw_finish(w, &len) != VG_OK) {
        app__note(a, "message too large for the buffer, not sent: ",
                  kind == VG_APP_REC_EVENT ? "event" : "ack");
        return;
    }
    a->mem.msg[0] = kind;
    const char *leaf = kind == VG_APP_REC_EVENT ? "event" : "ack";
    if (a->port->record)
        a->port->record(a->ctx, app__topic(a, leaf), a->mem.msg + 1, len);
    if (a->port->q_push(a->ctx, a->mem.msg, len + 1) != VG_OK) {
        a->dropped++;
        app__note(a, "queue full, dropped an ", leaf);
        return;
    }
    vg_app_poll(a);
}

/* ---- events ---- */

static void app__feature_name(const vg_app_t *a, uint16_t i, char *out, size_t cap)
{
    const vg_model_t *m = a->cfg.model;
    const vg_feat_desc_t *f = &m->feats[i];
    size_t n;
    if (m->wave.present) {
        const char *q = vg_pq_qty_name(f->channel), *g = vg_pq_agg_name(f->feature);
        n = app__cpy(out, cap, 0, q ? q : "?");
        n = app__cpy(out, cap, n, ".");
        app__cpy(out, cap, n, g ? g : "?");
        return;
    }
    char dflt[8] = "ch";
    const char *ch = dflt;
    if (a->cfg.channels && a->cfg.channels[f->channel]) {
        ch = a->cfg.channels[f->channel];
    } else {
        dflt[2] = (char)('0' + f->channel / 10u);
        dflt[3] = (char)('0' + f->channel % 10u);
        dflt[4] = '\0';
    }
    const char *fn = vg_feature_name(f->feature);
    n = app__cpy(out, cap, 0, ch);
    n = app__cpy(out, cap, n, ".");
    app__cpy(out, cap, n, fn ? fn : "?");
}

static const char *app__channel(const vg_app_t *a, unsigned c)
{
    if (a->cfg.channels && a->cfg.channels[c])
        return a->cfg.channels[c];
    return "value";
}

static void app__event_msg(vg_app_t *a, int close)
{
    const vg_model_t *m = a->cfg.model;
    vg_jw_t w;
    app__head(a, &w, a->mem.msg + 1, a->mem.msg_len - 1);
    vg_jw_key(&w, "event");
    vg_jw_uint(&w, a->events);
    vg_jw_key(&w, "phase");
    vg_jw_str(&w, close ? "close" : "open");
    vg_jw_key(&w, "t_start");
    vg_jw_num(&w, a->t_start, 15);
    vg_jw_key(&w, "t_end");
    if (close)
        vg_jw_num(&w, a->t_last, 15);
    else
        vg_jw_null(&w);
    vg_jw_key(&w, "score");
    vg_jw_num(&w, (double)a->peak_score, 6);
    vg_jw_key(&w, "raw");
    vg_jw_num(&w, (double)a->peak_raw, 7);
    vg_jw_key(&w, "thr");
    vg_jw_num(&w, (double)a->det.threshold, 7);
    vg_jw_key(&w, "kind");
    vg_jw_str(&w, vg_model_kind_name(m->kind));
    /* The class: the detector's at the opening; at the close, the soft vote of every tree
     * in every window of the event (as `vigil detect --events`), never the normal class. */
    unsigned cls = 0;
    if (app__pq_classes(a)) {
        if (!close) {
            cls = a->open_cls;
        } else {
            uint32_t best = 0;
            for (uint16_t c = 0; c < m->u.forest.n_classes && c < VG_MAX_CLASSES; c++)
                if (a->votes[c] > best && c != m->u.forest.normal_class) {
                    best = a->votes[c];
                    cls = c;
                }
        }
    }
    const char *cname = vg_app_pq_class_name(cls);
    vg_jw_key(&w, "class");
    if (cname)
        vg_jw_uint(&w, cls);
    else
        vg_jw_null(&w);
    vg_jw_key(&w, "class_name");
    vg_jw_str(&w, cname);
    vg_jw_key(&w, "magnitude");
    vg_jw_obj(&w);
    if (m->wave.present) {
        vg_jw_key(&w, "sag_pu");
        vg_jw_num(&w, isfinite(a->sag) ? (double)a->sag : 1.0, 5);
        vg_jw_key(&w, "swell_pu");
        vg_jw_num(&w, (double)a->swell, 5);
        vg_jw_key(&w, "thd_max");
        vg_jw_num(&w, (double)a->thd_max, 5);
        vg_jw_key(&w, "peak_pu");
        vg_jw_num(&w, (double)a->vpeak, 5);
    } else {
        vg_jw_key(&w, "peak");
        if (a->xpeak_ch >= 0)
            vg_jw_num(&w, (double)a->xpeak, 7);
        else
            vg_jw_null(&w);
        if (m->n_channels > 1 && a->xpeak_ch >= 0) {
            vg_jw_key(&w, "channel");
            vg_jw_str(&w, app__channel(a, (unsigned)a->xpeak_ch));
        }
    }
    vg_jw_end(&w);
    /* At most VG_APP_EVENT_FEAT features: those contributing most to the score. */
    vg_jw_key(&w, "features");
    vg_jw_obj(&w);
    uint16_t nf = m->n_features;
    uint8_t pick[VG_MAX_FEATURES];
    memset(pick, 0, sizeof pick);
    if (nf <= VG_APP_EVENT_FEAT) {
        memset(pick, 1, nf);
    } else {
        for (unsigned k = 0; k < VG_APP_EVENT_FEAT; k++) {
            int best = -1;
            for (uint16_t i = 0; i < nf; i++)
                if (!pick[i] && (best < 0 || a->peak_contrib[i] > a->peak_contrib[best]))
                    best = i;
            pick[best] = 1;
        }
    }
    for (uint16_t i = 0; i < nf; i++) {
        if (!pick[i])
            continue;
        char key[48];
        app__feature_name(a, i, key, sizeof key);
        vg_jw_key(&w, key);
        vg_jw_num(&w, (double)a->peak_feat[i], 6);
    }
    vg_jw_end(&w);
    vg_jw_end(&w);
    app__enqueue(a, VG_APP_REC_EVENT, &w);
}

/* Deviation of reading x of channel c from its baseline, in baseline deviations. */
static float app__dev(const vg_app_t *a, unsigned c, float x)
{
    if (!a->have_mean[c] || !isfinite(x))
        return -1.0f;
    float sd = sqrtf(a->var[c]);
    float floor = 1e-6f + 1e-6f * fabsf(a->mean[c]);
    return fabsf(x - a->mean[c]) / (sd > floor ? sd : floor);
}

static void app__peak_reading(vg_app_t *a, unsigned c, float x)
{
    float d = app__dev(a, c, x);
    if (d >= 0.0f && (a->xpeak_ch < 0 || d > a->xpeak_dev)) {
        a->xpeak = x;
        a->xpeak_dev = d;
        a->xpeak_ch = (int16_t)c;
    }
}

static void app__window_peak(vg_app_t *a, const vg_result_t *r)
{
    const vg_model_t *m = a->cfg.model;
    /* The score grows with the raw score (and is 1 for NaN and dropout windows). */
    if (!a->have_peak || r->score > a->peak_score) {
        a->have_peak = 1;
        a->peak_raw = r->raw;
        a->peak_score = r->score;
        memcpy(a->peak_feat, vg_detector_features(&a->det), m->n_features * sizeof(float));
        memcpy(a->peak_contrib, vg_detector_contrib(&a->det), m->n_features * sizeof(float));
    }
    if (vg_model_base_kind(m->kind) == VG_KIND_FOREST && r->over && !r->dropout) {
        uint16_t wv[VG_MAX_CLASSES];
        /* int16 forests quantize the features into a local array (kind 7) */
#if VG_ENABLE_TREES_S16
        int16_t q16[VG_MAX_FEATURES];
        if (m->kind == VG_KIND_FOREST_S16)
            vg_forest_s16_predict(m, vg_detector_normalised(&a->det), q16, wv, NULL);
        else
#endif
#if VG_ENABLE_FOREST
            vg_forest_predict(m, vg_detector_normalised(&a->det), wv, NULL);
#else
        memset(wv, 0, sizeof wv);
#endif
        for (uint16_t c = 0; c < m->u.forest.n_classes && c < VG_MAX_CLASSES; c++)
            a->votes[c] += wv[c];
    }
}

/* Waveforms: sag depth and swell height (half-cycle RMS over nominal RMS), THD and peak in
 * per unit, from the last completed cycle (as `vigil detect --events`). */
static void app__cycle_magnitudes(vg_app_t *a)
{
    const float *q = vg_detector_cycle(&a->det);
    const float nominal_rms = 0.70710678f; /* per-unit peak 1: RMS 1/sqrt 2 */
    a->sag = fminf(a->sag, q[VG_PQ_HRMS_MIN] / nominal_rms);
    a->swell = fmaxf(a->swell, q[VG_PQ_HRMS_MAX] / nominal_rms);
    a->thd_max = fmaxf(a->thd_max, q[VG_PQ_THD]);
    a->vpeak = fmaxf(a->vpeak, q[VG_PQ_PEAK]);
}

static void app__open(vg_app_t *a, double t, const vg_result_t *r)
{
    const vg_model_t *m = a->cfg.model;
    a->open = 1;
    a->events++;
    a->t_start = t;
    a->have_peak = 0;
    a->peak_raw = 0.0f;
    a->peak_score = 0.0f;
    a->open_cls = r->cls;
    memset(a->votes, 0, sizeof a->votes);
    a->sag = INFINITY;
    a->swell = 0.0f;
    a->thd_max = 0.0f;
    a->vpeak = 0.0f;
    if (m->wave.present)
        app__cycle_magnitudes(a); /* the opening message measures the last cycle */
    a->xpeak_ch = -1;
    a->xpeak_dev = 0.0f;
    /* The window that opened the event still holds the readings that made it anomalous (a
     * short spike may be over by the time two windows agree): start from them. */
    if (!m->wave.present && a->mem.hist) {
        uint32_t nch = m->n_channels;
        for (uint32_t k = 0; k < a->hist_fill; k++)
            for (uint32_t c = 0; c < nch; c++)
                app__peak_reading(a, c, a->mem.hist[k * nch + c]);
    }
    app__window_peak(a, r);
    if (!a->led) {
        a->led = 1;
        a->port->led(a->ctx, 1);
    }
    app__event_msg(a, 0);
}

static void app__close(vg_app_t *a)
{
    app__event_msg(a, 1);
    a->open = 0;
    if (a->led) {
        a->led = 0;
        a->port->led(a->ctx, 0);
    }
}

/* ---- acks, commands, re-calibration ---- */

static void app__ack(vg_app_t *a, const char *id, const char *op, int ok, const char *error,
                     const float *threshold)
{
    vg_jw_t w;
    app__head(a, &w, a->mem.msg + 1, a->mem.msg_len - 1);
    vg_jw_key(&w, "id");
    vg_jw_str(&w, id);
    vg_jw_key(&w, "op");
    vg_jw_str(&w, op);
    vg_jw_key(&w, "ok");
    vg_jw_bool(&w, ok);
    vg_jw_key(&w, "error");
    vg_jw_str(&w, ok ? NULL : error);
    if (threshold) {
        vg_jw_key(&w, "threshold");
        vg_jw_num(&w, (double)*threshold, 7);
    }
    vg_jw_end(&w);
    app__enqueue(a, VG_APP_REC_ACK, &w);
}

static double app__windows_per_day(const vg_app_t *a)
{
    const vg_model_t *m = a->cfg.model;
    double per_s = m->wave.present ? (double)m->wave.f_nominal : (double)m->sample_rate;
    return 86400.0 * per_s / (m->hop ? m->hop : 1u);
}

static void app__calib_done(vg_app_t *a, int stopped)
{
    char err[160];
    float thr = 0;
    a->calibrating = 0;
    vg_status_t st = VG_ERR_SIZE;
    if (!stopped) {
        double p = a->cfg.false_alarms_per_day / app__windows_per_day(a);
        if (p >= 1.0)
            p = 0.5;
        st = vg_calib_threshold(&a->cal, p, 1.0,
                                vg_model_base_kind(a->cfg.model->kind) == VG_KIND_IFOREST, &thr);
        if (st == VG_OK)
            st = vg_detector_set_threshold(&a->det, thr);
    }
    if (st == VG_OK) {
        app__ack(a, a->cal_id, "recalibrate", 1, NULL, &thr);
        app__note(a, "recalibrated, id ", a->cal_id);
        app__publish_status(a);
        return;
    }
    size_t n = app__cpy(err, sizeof err, 0, "seconds: ");
    if (stopped) {
        app__cpy(err, sizeof err, n, "the device stopped before the calibration period ended");
    } else {
        n = app__cpy(err, sizeof err, n, "too few windows scored in the period (at least ");
        char d[4] = {(char)('0' + VG_CALIB_MIN_WINDOWS / 10u),
                     (char)('0' + VG_CALIB_MIN_WINDOWS % 10u), 0, 0};
        n = app__cpy(err, sizeof err, n, d);
        app__cpy(err, sizeof err, n, " are needed)");
    }
    app__ack(a, a->cal_id, "recalibrate", 0, err, NULL);
}

void vg_app_command(vg_app_t *a, const char *payload, size_t len)
{
    vg_cmd_t c;
    char err[160];
    if (vg_cmd_parse(payload, len, &c, err, sizeof err) != VG_OK) {
        app__ack(a, c.has_id ? c.id : NULL, c.has_op_name ? c.op_name : NULL, 0, err, NULL);
        return;
    }
    const char *op = vg_cmd_op_name(c.op);
    switch (c.op) {
    case VG_CMD_SET_THRESHOLD:
        if (app__classifier(a)) {
            app__ack(a, c.id, op, 0,
                     "op: a forest classifier's threshold is its majority vote; it is not set",
                     NULL);
            return;
        }
        if (vg_detector_set_threshold(&a->det, c.threshold) != VG_OK) {
            app__ack(a, c.id, op, 0, "threshold: must be a finite number > 0", NULL);
            return;
        }
        app__ack(a, c.id, op, 1, NULL, NULL);
        app__publish_status(a);
        return;
    case VG_CMD_RECALIBRATE:
        if (app__classifier(a)) {
            app__ack(a, c.id, op, 0,
                     "op: a forest classifier's threshold is its majority vote; it is not "
                     "re-learnt",
                     NULL);
            return;
        }
        if (!a->mem.calib) {
            app__ack(a, c.id, op, 0, "op: this device has no memory for a calibration", NULL);
            return;
        }
        if (a->calibrating) {
            size_t n = app__cpy(err, sizeof err, 0, "op: a calibration is already running (id ");
            n = app__cpy(err, sizeof err, n, a->cal_id);
            app__cpy(err, sizeof err, n, ")");
            app__ack(a, c.id, op, 0, err, NULL);
            return;
        }
        (void)vg_calib_init(&a->cal, a->mem.calib, a->mem.calib_len);
        memcpy(a->cal_id, c.id, sizeof a->cal_id);
        a->cal_seconds = c.seconds;
        {
            double s = (double)c.seconds * (double)a->cfg.model->sample_rate;
            a->cal_left = s >= 4.0e9 ? 4000000000u : (uint32_t)(s + 0.5);
            if (a->cal_left == 0)
                a->cal_left = 1;
        }
        a->calibrating = 1;
        app__note(a, "recalibrating, id ", c.id);
        return; /* acked when the period ends */
    case VG_CMD_STATUS:
        app__ack(a, c.id, op, 1, NULL, NULL);
        app__publish_status(a);
        return;
    default: app__ack(a, c.id, NULL, 0, "op: unknown operation", NULL); return;
    }
}

/* ---- samples ---- */

static void app__telemetry(vg_app_t *a, double t, const vg_result_t *r)
{
    const vg_model_t *m = a->cfg.model;
    vg_jw_t w;
    app__head(a, &w, a->mem.msg, a->mem.msg_len);
    vg_jw_key(&w, "t");
    vg_jw_num(&w, t, 15);
    vg_jw_key(&w, "values");
    vg_jw_obj(&w);
    if (m->wave.present) {
        const float *q = vg_detector_cycle(&a->det);
        vg_jw_key(&w, "rms");
        vg_jw_num(&w, (double)q[VG_PQ_RMS], 6);
        vg_jw_key(&w, "freq");
        vg_jw_num(&w, (double)q[VG_PQ_FREQ], 7);
        vg_jw_key(&w, "thd");
        vg_jw_num(&w, (double)q[VG_PQ_THD], 5);
        if (m->n_channels > 1) {
            vg_jw_key(&w, "irms");
            vg_jw_num(&w, (double)q[VG_PQ_IRMS], 6);
        }
    } else {
        for (unsigned c = 0; c < m->n_channels; c++) {
            vg_jw_key(&w, app__channel(a, c));
            vg_jw_num(&w, (double)a->latest[c], 7);
        }
    }
    vg_jw_end(&w);
    vg_jw_key(&w, "score");
    vg_jw_num(&w, (double)r->score, 6);
    vg_jw_key(&w, "raw");
    vg_jw_num(&w, (double)r->raw, 7);
    vg_jw_key(&w, "thr");
    vg_jw_num(&w, (double)a->det.threshold, 7);
    vg_jw_key(&w, "anomaly");
    vg_jw_bool(&w, r->anomaly);
    vg_jw_end(&w);
    size_t len;
    if (vg_jw_finish(&w, &len) != VG_OK)
        return;
    int mid;
    (void)a->port->publish(a->ctx, app__topic(a, "telemetry"), a->mem.msg, len, 0, 0, &mid);
}

void vg_app_sample(vg_app_t *a, double t, const float *x)
{
    const vg_model_t *m = a->cfg.model;
    if (a->finished)
        return;
    vg_result_t r;
    vg_detector_push(&a->det, x, &r);
    a->t_last = t;
    /* slow sensors: the latest readings and the window's history */
    if (!m->wave.present) {
        uint32_t nch = m->n_channels;
        for (uint32_t c = 0; c < nch; c++)
            a->latest[c] = x[c];
        if (a->mem.hist) {
            memcpy(a->mem.hist + (size_t)a->hist_pos * nch, x, nch * sizeof(float));
            a->hist_pos = (a->hist_pos + 1u) % m->window;
            if (a->hist_fill < m->window)
                a->hist_fill++;
        }
    }
    if (r.window && a->open && r.event != VG_EVENT_CLOSE)
        app__window_peak(a, &r);
    if (a->open && !m->wave.present)
        for (unsigned c = 0; c < m->n_channels; c++)
            app__peak_reading(a, c, x[c]);
    if (a->open && r.cycle)
        app__cycle_magnitudes(a);
    if (r.event == VG_EVENT_OPEN)
        app__open(a, t, &r);
    else if (r.event == VG_EVENT_CLOSE && a->open)
        app__close(a);
    /* The baseline of readings follows normal data only. */
    if (!m->wave.present && !a->open && !r.over) {
        float alpha = 1.0f / (float)(m->window ? m->window : 1u);
        for (unsigned c = 0; c < m->n_channels; c++) {
            if (!isfinite(x[c]) || !(fabsf(x[c]) <= VG_SAMPLE_ABS_MAX))
                continue;
            if (!a->have_mean[c]) {
                a->mean[c] = x[c];
                a->var[c] = 0.0f;
                a->have_mean[c] = 1;
                continue;
            }
            float d = x[c] - a->mean[c];
            a->mean[c] += alpha * d;
            a->var[c] = (1.0f - alpha) * (a->var[c] + alpha * d * d);
        }
    }
    if (a->calibrating) {
        if (r.window && !r.dropout)
            vg_calib_add(&a->cal, r.raw);
        if (--a->cal_left == 0)
            app__calib_done(a, 0);
    }
    if (a->cfg.telemetry_hz > 0.0f) {
        double period = 1.0 / (double)a->cfg.telemetry_hz;
        if (!a->have_t) {
            a->t_next_tele = t;
            a->have_t = 1;
        }
        if (t >= a->t_next_tele) {
            a->t_next_tele += period;
            if (a->t_next_tele <= t)
                a->t_next_tele = t + period;
            if (a->connected)
                app__telemetry(a, t, &r);
        }
    }
}

/* ---- connection and queue ---- */

static void app__ha_config(vg_app_t *a, int binary)
{
    const char *id = a->cfg.id;
    vg_jw_t w;
    char b[160];
    size_t n;
    vg_jw_init(&w, a->mem.msg, a->mem.msg_len);
    vg_jw_obj(&w);
    n = app__cpy(b, sizeof b, 0, "Vigil ");
    n = app__cpy(b, sizeof b, n, id);
    app__cpy(b, sizeof b, n, binary ? " anomaly" : " score");
    vg_jw_key(&w, "name");
    vg_jw_str(&w, b);
    n = app__cpy(b, sizeof b, 0, "vigil_");
    n = app__cpy(b, sizeof b, n, id);
    app__cpy(b, sizeof b, n, binary ? "_anomaly" : "_score");
    vg_jw_key(&w, "unique_id");
    vg_jw_str(&w, b);
    if (binary) {
        vg_jw_key(&w, "device_class");
        vg_jw_str(&w, "problem");
    }
    vg_jw_key(&w, "state_topic");
    vg_jw_str(&w, app__topic(a, "telemetry"));
    vg_jw_key(&w, "value_template");
    vg_jw_str(&w,
              binary ? "{{ 'ON' if value_json.anomaly else 'OFF' }}" : "{{ value_json.score }}");
    if (!binary) {
        vg_jw_key(&w, "state_class");
        vg_jw_str(&w, "measurement");
    }
    vg_jw_key(&w, "availability_topic");
    vg_jw_str(&w, app__topic(a, "status"));
    vg_jw_key(&w, "availability_template");
    vg_jw_str(&w, "{{ value_json.state }}");
    vg_jw_key(&w, "payload_available");
    vg_jw_str(&w, "online");
    vg_jw_key(&w, "payload_not_available");
    vg_jw_str(&w, "offline");
    vg_jw_key(&w, "device");
    vg_jw_obj(&w);
    n = app__cpy(b, sizeof b, 0, "vigil_");
    app__cpy(b, sizeof b, n, id);
    vg_jw_key(&w, "identifiers");
    vg_jw_arr(&w);
    vg_jw_str(&w, b);
    vg_jw_end(&w);
    n = app__cpy(b, sizeof b, 0, "Vigil ");
    app__cpy(b, sizeof b, n, id);
    vg_jw_key(&w, "name");
    vg_jw_str(&w, b);
    vg_jw_key(&w, "manufacturer");
    vg_jw_str(&w, "Vigil");
    vg_jw_key(&w, "model");
    vg_jw_str(&w, vg_model_kind_name(a->cfg.model->kind));
    vg_jw_key(&w, "sw_version");
    vg_jw_str(&w, a->cfg.fw ? a->cfg.fw : "");
    vg_jw_end(&w);
    vg_jw_end(&w);
    size_t len;
    if (vg_jw_finish(&w, &len) != VG_OK)
        return;
    n = app__cpy(a->topic, sizeof a->topic, 0, "homeassistant/");
    n = app__cpy(a->topic, sizeof a->topic, n, binary ? "binary_sensor" : "sensor");
    n = app__cpy(a->topic, sizeof a->topic, n, "/vigil_");
    n = app__cpy(a->topic, sizeof a->topic, n, id);
    app__cpy(a->topic, sizeof a->topic, n, binary ? "/anomaly/config" : "/score/config");
    int mid;
    (void)a->port->publish(a->ctx, a->topic, a->mem.msg, len, 1, 1, &mid);
}

void vg_app_connected(vg_app_t *a)
{
    a->connected = 1;
    a->inflight = 0;
    app__publish_status(a);
    if (a->cfg.ha_discovery) {
        app__ha_config(a, 1);
        app__ha_config(a, 0);
    }
    vg_app_poll(a);
}

void vg_app_disconnected(vg_app_t *a)
{
    a->connected = 0;
    a->inflight = 0;
    a->inflight_mid = -1;
}

void vg_app_poll(vg_app_t *a)
{
    /* One record in flight: the queue is the order, and a record leaves it only when the
     * broker has it. */
    while (a->connected && !a->inflight && a->port->q_count(a->ctx) > 0) {
        size_t len = 0;
        vg_status_t st = a->port->q_peek(a->ctx, a->mem.msg, a->mem.msg_len - 1, &len);
        if (st != VG_OK || len < 1 ||
            (a->mem.msg[0] != VG_APP_REC_EVENT && a->mem.msg[0] != VG_APP_REC_ACK)) {
            /* A record this build cannot read (cut, or from something else): drop it rather
             * than block the queue forever. */
            (void)a->port->q_pop(a->ctx);
            a->dropped++;
            app__note(a, "dropped an unreadable queue record", NULL);
            continue;
        }
        a->mem.msg[len] = '\0';
        const char *topic = app__topic(a, a->mem.msg[0] == VG_APP_REC_EVENT ? "event" : "ack");
        int mid = -1;
        if (a->port->publish(a->ctx, topic, a->mem.msg + 1, len - 1, 1, 0, &mid) != VG_OK)
            return; /* not now; tried again on the next poll */
        a->inflight = 1;
        a->inflight_mid = mid;
    }
}

void vg_app_published(vg_app_t *a, int msg_id, int ok)
{
    if (!a->inflight || msg_id != a->inflight_mid)
        return; /* a status or a discovery config */
    (void)a->port->q_pop(a->ctx);
    a->inflight = 0;
    a->inflight_mid = -1;
    if (!ok) {
        a->refused++;
        app__note(a, "the broker refused a queued message (not authorised?); dropped it", NULL);
    }
    vg_app_poll(a);
}

void vg_app_finish(vg_app_t *a)
{
    if (a->finished)
        return;
    if (a->open)
        app__close(a);
    if (a->calibrating)
        app__calib_done(a, 1);
    a->finished = 1;
}

vg_status_t vg_app_stop(vg_app_t *a, int *msg_id)
{
    size_t len;
    *msg_id = -1;
    VG_TRY(app__status(a, "stop", &len));
    return a->port->publish(a->ctx, app__topic(a, "status"), a->mem.msg, len, 1, 1, msg_id);
}

const char *vg_app_cmd_topic(vg_app_t *a)
{
    return app__topic(a, "cmd");
}

uint32_t vg_app_queued(const vg_app_t *a)
{
    return a->port->q_count(a->ctx);
}

int vg_app_idle(const vg_app_t *a)
{
    return !a->inflight && a->port->q_count(a->ctx) == 0;
}

uint32_t vg_app_boot(const vg_app_t *a)
{
    return a->boot;
}

uint32_t vg_app_dropped(const vg_app_t *a)
{
    return a->dropped;
}

uint32_t vg_app_refused(const vg_app_t *a)
{
    return a->refused;
}

float vg_app_threshold(const vg_app_t *a)
{
    return a->det.threshold;
}
