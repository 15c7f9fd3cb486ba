/* SPDX-License-Identifier: MIT */
/* The backend-independent half of the store: which columns each kind writes, the values of a
 * row, the API's list queries (built with only the filters given, so the indexes apply),
 * and the dispatch to SQLite or PostgreSQL. The SQL uses $1.. placeholders, which SQLite
 * reads as named parameters numbered in order of appearance, so one text serves both. */
#include "vgc_store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *const vgc_store_table[VGC_KIND_COUNT] = {"devices", "telemetry", "events", "acks"};

static const char *const cols[VGC_KIND_COUNT] = {
    "device,state,reason,boot,seq,ts,fw,model_kind,model_crc,threshold,status,status_ms,"
    "first_seen_ms",
    "device,boot,seq,ts,t,score,raw,thr,anomaly,payload,received_ms",
    "device,boot,seq,ts,event,phase,t_start,t_end,score,raw,thr,kind,class,class_name,payload,"
    "received_ms",
    "device,boot,seq,ts,cmd_id,op,ok,error,payload,received_ms"};
static const int ncols[VGC_KIND_COUNT] = {13, 11, 16, 10};

static const char *const insert_sql[VGC_KIND_COUNT] = {
    "INSERT INTO devices(device,state,reason,boot,seq,ts,fw,model_kind,model_crc,threshold,"
    "status,status_ms,first_seen_ms) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) "
    "ON CONFLICT(device) DO UPDATE SET state=excluded.state,reason=excluded.reason,"
    "boot=excluded.boot,seq=excluded.seq,ts=excluded.ts,fw=excluded.fw,"
    "model_kind=excluded.model_kind,model_crc=excluded.model_crc,threshold=excluded.threshold,"
    "status=excluded.status,status_ms=excluded.status_ms",
    "INSERT INTO telemetry(device,boot,seq,ts,t,score,raw,thr,anomaly,payload,received_ms) "
    "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT(device,boot,seq) DO NOTHING",
    "INSERT INTO events(device,boot,seq,ts,event,phase,t_start,t_end,score,raw,thr,kind,class,"
    "class_name,payload,received_ms) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,"
    "$16) ON CONFLICT(device,boot,seq) DO NOTHING",
    "INSERT INTO acks(device,boot,seq,ts,cmd_id,op,ok,error,payload,received_ms) "
    "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT(device,boot,seq) DO NOTHING"};

const char vgc_store_seen_sql[] =
    "INSERT INTO devices(device,first_seen_ms) VALUES($1,$2) ON CONFLICT(device) DO NOTHING";

const char *vgc_store_insert_sql(vgc_kind_t kind)
{
    return insert_sql[kind];
}

const char *vgc_store_cols(vgc_kind_t kind, int *n)
{
    *n = ncols[kind];
    return cols[kind];
}

static vgc_val_t vi(int64_t i)
{
    vgc_val_t v = {'i', i, 0, NULL};
    return v;
}
static vgc_val_t vd(double d)
{
    vgc_val_t v = {isfinite(d) ? 'd' : 'n', 0, d, NULL};
    return v;
}
static vgc_val_t vs(const char *s)
{
    vgc_val_t v = {s ? 's' : 'n', 0, 0, s};
    return v;
}
static vgc_val_t vs0(const char *s) /* "" stored as NULL */
{
    return vs(s && s[0] ? s : NULL);
}

int vgc_store_values(const vgc_row_t *r, vgc_val_t v[VGC_COLS_MAX])
{
    const vgc_msg_t *m = &r->m;
    int n = 0;
    v[n++] = vs(m->device);
    switch (m->kind) {
    case VGC_KIND_STATUS:
        v[n++] = vs(m->online ? "online" : "offline");
        v[n++] = vs0(m->reason);
        v[n++] = m->has_seq ? vi(m->boot) : vs(NULL);
        v[n++] = m->has_seq ? vi(m->seq) : vs(NULL);
        v[n++] = m->has_seq ? vi(m->ts) : vs(NULL);
        v[n++] = vs0(m->fw);
        v[n++] = vs0(m->model_kind);
        v[n++] = vs0(m->model_crc);
        v[n++] = vd(m->threshold);
        v[n++] = vs(r->json);
        v[n++] = vi(r->received_ms);
        v[n++] = vi(r->received_ms);
        break;
    case VGC_KIND_TELEMETRY:
        v[n++] = vi(m->boot);
        v[n++] = vi(m->seq);
        v[n++] = vi(m->ts);
        v[n++] = vd(m->t);
        v[n++] = vd(m->score);
        v[n++] = vd(m->raw);
        v[n++] = vd(m->thr);
        v[n++] = vi(m->anomaly);
        v[n++] = vs(r->json);
        v[n++] = vi(r->received_ms);
        break;
    case VGC_KIND_EVENT:
        v[n++] = vi(m->boot);
        v[n++] = vi(m->seq);
        v[n++] = vi(m->ts);
        v[n++] = vi(m->event);
        v[n++] = vs(m->close ? "close" : "open");
        v[n++] = vd(m->t_start);
        v[n++] = vd(m->t_end);
        v[n++] = vd(m->score);
        v[n++] = vd(m->raw);
        v[n++] = vd(m->thr);
        v[n++] = vs0(m->model_kind);
        v[n++] = m->cls >= 0 ? vi(m->cls) : vs(NULL);
        v[n++] = vs0(m->class_name);
        v[n++] = vs(r->json);
        v[n++] = vi(r->received_ms);
        break;
    case VGC_KIND_ACK:
        v[n++] = vi(m->boot);
        v[n++] = vi(m->seq);
        v[n++] = vi(m->ts);
        v[n++] = vs(m->cmd_id);
        v[n++] = vs(m->op);
        v[n++] = vi(m->ok);
        v[n++] = vs0(m->error);
        v[n++] = vs(r->json);
        v[n++] = vi(r->received_ms);
        break;
    default: break;
    }
    return n;
}

/* ---- device set: open addressing, FNV-1a ---- */

static size_t devset_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

int vgc_devset_has(const vgc_devset_t *s, const char *id)
{
    if (s->cap == 0)
        return 0;
    for (size_t i = devset_hash(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->ids[i][0] == '\0')
            return 0;
        if (strcmp(s->ids[i], id) == 0)
            return 1;
    }
}

void vgc_devset_add(vgc_devset_t *s, const char *id)
{
    if (vgc_devset_has(s, id))
        return;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        vgc_devset_t g = {calloc(cap, sizeof *g.ids), 0, cap};
        if (g.ids == NULL)
            return; /* only an optimisation: the insert is repeated next time */
        for (size_t i = 0; i < s->cap; i++)
            if (s->ids[i][0])
                vgc_devset_add(&g, s->ids[i]);
        free(s->ids);
        *s = g;
    }
    size_t i = devset_hash(id) & (s->cap - 1);
    while (s->ids[i][0] != '\0')
        i = (i + 1) & (s->cap - 1);
    snprintf(s->ids[i], sizeof s->ids[i], "%s", id);
    s->n++;
}

void vgc_devset_free(vgc_devset_t *s)
{
    free(s->ids);
    memset(s, 0, sizeof *s);
}

/* ---- dispatch ---- */

int vgc_store_open(const char *url, vgc_store_t **out, char *err, size_t errlen)
{
    *out = NULL;
    vgc_store_t *s = calloc(1, sizeof *s);
    if (s == NULL) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    int rc;
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        rc = vgc_store_pg_open(url, s, err, errlen);
    else
        rc = vgc_store_sqlite_open(strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url, s, err, errlen);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void vgc_store_close(vgc_store_t *s)
{
    if (s == NULL)
        return;
    s->ops->close(s->impl);
    free(s);
}

const char *vgc_store_backend(const vgc_store_t *s)
{
    return s->ops->name;
}

int vgc_store_schema_version(vgc_store_t *s, int *version, char *err, size_t errlen)
{
    return s->ops->version(s->impl, version, err, errlen);
}

int vgc_store_write(vgc_store_t *s, vgc_row_t *const *rows, size_t n, uint8_t *inserted, char *err,
                    size_t errlen)
{
    return n == 0 ? 0 : s->ops->write(s->impl, rows, n, inserted, err, errlen);
}

int vgc_store_devices(vgc_store_t *s, vgc_buf_t *out, char *err, size_t errlen)
{
    static const char *const c[] = {"device",
                                    "state",
                                    "reason",
                                    "boot",
                                    "seq",
                                    "ts",
                                    "fw",
                                    "model_kind",
                                    "model_crc",
                                    "threshold",
                                    "status_ms",
                                    "first_seen_ms",
                                    "last_telemetry_ts",
                                    "msg"};
    return s->ops->query_json(
        s->impl,
        "SELECT device,state,reason,boot,seq,ts,fw,model_kind,model_crc,threshold,status_ms,"
        "first_seen_ms,(SELECT max(t.ts) FROM telemetry t WHERE t.device=d.device),status "
        "FROM devices d ORDER BY device",
        NULL, 0, c, "tttiiitttdiiij", out, err, errlen);
}

int vgc_store_list(vgc_store_t *s, vgc_kind_t kind, const vgc_query_t *q, vgc_buf_t *out, char *err,
                   size_t errlen)
{
    static const char *const c[] = {"id", "device", "received_ms", "msg"};
    if (kind == VGC_KIND_STATUS || (unsigned)kind >= VGC_KIND_COUNT) {
        vgh_errf(err, errlen, "no list of that kind");
        return -1;
    }
    char sql[512], nums[4][24];
    const char *params[5];
    int np = 0;
    size_t o =
        (size_t)snprintf(sql, sizeof sql, "SELECT id,device,received_ms,payload FROM %s WHERE 1=1",
                         vgc_store_table[kind]);
    if (q->device) {
        params[np++] = q->device;
        o += (size_t)snprintf(sql + o, sizeof sql - o, " AND device=$%d", np);
    }
    if (q->has_since) {
        snprintf(nums[0], sizeof nums[0], "%lld", (long long)q->since);
        params[np++] = nums[0];
        o += (size_t)snprintf(sql + o, sizeof sql - o, " AND ts>=$%d", np);
    }
    if (q->has_until) {
        snprintf(nums[1], sizeof nums[1], "%lld", (long long)q->until);
        params[np++] = nums[1];
        o += (size_t)snprintf(sql + o, sizeof sql - o, " AND ts<$%d", np);
    }
    if (q->has_class && kind == VGC_KIND_EVENT) {
        snprintf(nums[2], sizeof nums[2], "%lld", (long long)q->cls);
        params[np++] = nums[2];
        o += (size_t)snprintf(sql + o, sizeof sql - o, " AND class=$%d", np);
    }
    snprintf(nums[3], sizeof nums[3], "%u", q->limit);
    params[np++] = nums[3];
    snprintf(sql + o, sizeof sql - o, " ORDER BY ts DESC,id DESC LIMIT $%d", np);
    return s->ops->query_json(s->impl, sql, params, np, c, "itij", out, err, errlen);
}

int vgc_store_count(vgc_store_t *s, vgc_kind_t kind, int64_t *n, char *err, size_t errlen)
{
    static const char *const c[] = {"n"};
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", vgc_store_table[kind]);
    vgc_buf_t b = {0};
    int rc = s->ops->query_json(s->impl, sql, NULL, 0, c, "i", &b, err, errlen);
    long long v = -1;
    if (rc == 0 && (b.p == NULL || sscanf(b.p, "[{\"n\":%lld", &v) != 1)) {
        vgh_errf(err, errlen, "count: unexpected answer");
        rc = -1;
    }
    *n = v;
    vgc_buf_free(&b);
    return rc;
}
