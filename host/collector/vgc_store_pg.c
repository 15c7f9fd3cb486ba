/* SPDX-License-Identifier: MIT */
/* PostgreSQL backend (libpq). A batch is one transaction of multi-row inserts (up to
 * PG_CHUNK rows per statement) whose RETURNING clause names the rows that were new; the
 * rest were duplicates. Migrations run under a transaction-scoped advisory lock, so several
 * collectors starting against one database apply each migration once. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vgc_store.h"

#define PG_CHUNK    200
#define PG_LOCK_KEY "7626412" /* advisory lock of the migrations ("vgl") */

static const char migration_1[] =
    "CREATE TABLE devices ("
    " device TEXT PRIMARY KEY, state TEXT, reason TEXT, boot BIGINT, seq BIGINT, ts BIGINT,"
    " fw TEXT, model_kind TEXT, model_crc TEXT, threshold DOUBLE PRECISION, status TEXT,"
    " status_ms BIGINT, first_seen_ms BIGINT NOT NULL);"
    "CREATE TABLE telemetry ("
    " id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, t DOUBLE PRECISION, score DOUBLE PRECISION, raw DOUBLE PRECISION,"
    " thr DOUBLE PRECISION, anomaly INTEGER NOT NULL, payload TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL, UNIQUE (device, boot, seq));"
    "CREATE INDEX telemetry_device_ts ON telemetry(device, ts);"
    "CREATE INDEX telemetry_ts ON telemetry(ts);"
    "CREATE TABLE events ("
    " id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, event BIGINT NOT NULL, phase TEXT NOT NULL, t_start DOUBLE PRECISION,"
    " t_end DOUBLE PRECISION, score DOUBLE PRECISION, raw DOUBLE PRECISION,"
    " thr DOUBLE PRECISION, kind TEXT, class INTEGER, class_name TEXT, payload TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL, UNIQUE (device, boot, seq));"
    "CREATE INDEX events_device_ts ON events(device, ts);"
    "CREATE INDEX events_ts ON events(ts);"
    "CREATE TABLE acks ("
    " id BIGSERIAL PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, cmd_id TEXT NOT NULL, op TEXT NOT NULL, ok INTEGER NOT NULL,"
    " error TEXT, payload TEXT NOT NULL, received_ms BIGINT NOT NULL,"
    " UNIQUE (device, boot, seq));"
    "CREATE INDEX acks_device_ts ON acks(device, ts);";

static const char *const migrations[] = {migration_1};
static const int migrations_n = 1;

typedef struct {
    PGconn *c;
    vgc_devset_t known;
} pg_t;

static int pg_cmd(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        vgh_errf(err, errlen, "postgresql: %s", PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_version_of(PGconn *c, int *v, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, "SELECT coalesce(max(version),0) FROM schema_version");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok)
        *v = atoi(PQgetvalue(r, 0, 0));
    else
        vgh_errf(err, errlen, "postgresql: %s", PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_migrate(PGconn *c, char *err, size_t errlen)
{
    for (;;) {
        int v;
        if (pg_cmd(c, "BEGIN", err, errlen) != 0)
            return -1;
        if (pg_cmd(c, "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ")", err, errlen) != 0 ||
            pg_cmd(c,
                   "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                   " applied_ms BIGINT NOT NULL)",
                   err, errlen) != 0 ||
            pg_version_of(c, &v, err, errlen) != 0)
            goto fail;
        if (v > migrations_n) {
            vgh_errf(err, errlen,
                     "the database has schema version %d; this collector knows up to %d", v,
                     migrations_n);
            pg_cmd(c, "ROLLBACK", NULL, 0);
            return -2;
        }
        if (v == migrations_n)
            return pg_cmd(c, "COMMIT", err, errlen);
        char ins[160];
        snprintf(ins, sizeof ins,
                 "INSERT INTO schema_version VALUES(%d,"
                 " (extract(epoch from clock_timestamp())*1000)::bigint)",
                 v + 1);
        if (pg_cmd(c, migrations[v], err, errlen) != 0 || pg_cmd(c, ins, err, errlen) != 0 ||
            pg_cmd(c, "COMMIT", err, errlen) != 0)
            goto fail;
    }
fail:
    pg_cmd(c, "ROLLBACK", NULL, 0);
    return -1;
}

/* Notices ("relation already exists, skipping") are not errors: keep stderr for those. */
static void pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_close(void *impl)
{
    pg_t *p = impl;
    if (p == NULL)
        return;
    PQfinish(p->c);
    vgc_devset_free(&p->known);
    free(p);
}

static int pg_ver(void *impl, int *v, char *err, size_t errlen)
{
    return pg_version_of(((pg_t *)impl)->c, v, err, errlen);
}

/* Text form of each value into @p text (32 bytes per value); params point into it. */
static void to_text(const vgc_val_t *v, int n, char (*text)[32], const char **params)
{
    for (int i = 0; i < n; i++) {
        switch (v[i].t) {
        case 'i':
            snprintf(text[i], 32, "%lld", (long long)v[i].i);
            params[i] = text[i];
            break;
        case 'd':
            snprintf(text[i], 32, "%.17g", v[i].d);
            params[i] = text[i];
            break;
        case 's': params[i] = v[i].s; break;
        default: params[i] = NULL; break;
        }
    }
}

/* Insert rows[idx[0..k)] (one kind, not status) with one statement; mark the new ones. */
static int pg_insert_chunk(pg_t *p, vgc_row_t *const *rows, const size_t *idx, size_t k,
                           uint8_t *inserted, char *err, size_t errlen)
{
    vgc_kind_t kind = rows[idx[0]]->m.kind;
    int nc;
    const char *cols = vgc_store_cols(kind, &nc);
    size_t np = k * (size_t)nc;
    const char **params = malloc(np * sizeof *params);
    char(*text)[32] = malloc(np * sizeof *text);
    vgc_buf_t sql = {0};
    int rc = -1;
    if (params == NULL || text == NULL)
        goto done;
    vgc_buf_printf(&sql, "INSERT INTO %s(%s) VALUES", vgc_store_table[kind], cols);
    for (size_t i = 0; i < k; i++) {
        vgc_val_t v[VGC_COLS_MAX];
        int nv = vgc_store_values(rows[idx[i]], v);
        to_text(v, nv, text + i * (size_t)nc, params + i * (size_t)nc);
        vgc_buf_puts(&sql, i ? ",(" : "(");
        for (int c = 0; c < nc; c++)
            vgc_buf_printf(&sql, "%s$%zu", c ? "," : "", i * (size_t)nc + (size_t)c + 1);
        vgc_buf_puts(&sql, ")");
    }
    vgc_buf_puts(&sql, " ON CONFLICT(device,boot,seq) DO NOTHING RETURNING device,boot,seq");
    if (!vgc_buf_ok(&sql))
        goto done;
    PGresult *r = PQexecParams(p->c, sql.p, (int)np, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        vgh_errf(err, errlen, "postgresql: %s", PQerrorMessage(p->c));
        PQclear(r);
        rc = -2;
        goto done;
    }
    for (int t = 0; t < PQntuples(r); t++) {
        const char *dev = PQgetvalue(r, t, 0);
        long long boot = atoll(PQgetvalue(r, t, 1)), seq = atoll(PQgetvalue(r, t, 2));
        for (size_t i = 0; i < k; i++) {
            const vgc_msg_t *m = &rows[idx[i]]->m;
            if (!inserted[idx[i]] && m->boot == boot && m->seq == seq &&
                strcmp(m->device, dev) == 0) {
                inserted[idx[i]] = 1;
                break;
            }
        }
    }
    PQclear(r);
    rc = 0;
done:
    if (rc == -1)
        vgh_errf(err, errlen, "out of memory");
    vgc_buf_free(&sql);
    free(params);
    free(text);
    return rc == 0 ? 0 : -1;
}

static int pg_exec_vals(pg_t *p, const char *sql, const vgc_val_t *v, int n, char *err,
                        size_t errlen)
{
    char text[VGC_COLS_MAX][32];
    const char *params[VGC_COLS_MAX];
    to_text(v, n, text, params);
    PGresult *r = PQexecParams(p->c, sql, n, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        vgh_errf(err, errlen, "postgresql: %s", PQerrorMessage(p->c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int pg_write(void *impl, vgc_row_t *const *rows, size_t n, uint8_t *inserted, char *err,
                    size_t errlen)
{
    pg_t *p = impl;
    size_t *idx = malloc(n * sizeof *idx);
    if (idx == NULL) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    memset(inserted, 0, n);
    if (pg_cmd(p->c, "BEGIN", err, errlen) != 0)
        goto fail;
    for (int kind = VGC_KIND_TELEMETRY; kind < VGC_KIND_COUNT; kind++) {
        size_t k = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && rows[i]->m.kind == (vgc_kind_t)kind)
                idx[k++] = i;
            if (k > 0 && (k == PG_CHUNK || i == n)) {
                if (pg_insert_chunk(p, rows, idx, k, inserted, err, errlen) != 0)
                    goto fail;
                k = 0;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        vgc_val_t v[VGC_COLS_MAX];
        const vgc_row_t *r = rows[i];
        if (r->m.kind == VGC_KIND_STATUS) {
            int nv = vgc_store_values(r, v);
            if (pg_exec_vals(p, vgc_store_insert_sql(VGC_KIND_STATUS), v, nv, err, errlen) != 0)
                goto fail;
            inserted[i] = 1;
        } else if (!vgc_devset_has(&p->known, r->m.device)) {
            v[0] = (vgc_val_t){'s', 0, 0, r->m.device};
            v[1] = (vgc_val_t){'i', r->received_ms, 0, NULL};
            if (pg_exec_vals(p, vgc_store_seen_sql, v, 2, err, errlen) != 0)
                goto fail;
            vgc_devset_add(&p->known, r->m.device); /* undone below if the commit fails */
        }
    }
    if (pg_cmd(p->c, "COMMIT", err, errlen) != 0)
        goto fail;
    free(idx);
    return 0;
fail:
    pg_cmd(p->c, "ROLLBACK", NULL, 0);
    vgc_devset_free(&p->known);
    free(idx);
    return -1;
}

static int pg_query(void *impl, const char *sql, const char *const *params, int np,
                    const char *const *cn, const char *types, vgc_buf_t *out, char *err,
                    size_t errlen)
{
    pg_t *p = impl;
    PGresult *r = PQexecParams(p->c, sql, np, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        vgh_errf(err, errlen, "postgresql: %s", PQerrorMessage(p->c));
        PQclear(r);
        return -1;
    }
    int nc = (int)strlen(types);
    vgc_buf_puts(out, "[");
    for (int t = 0; t < PQntuples(r); t++) {
        vgc_buf_puts(out, t ? ",{" : "{");
        for (int c = 0; c < nc; c++) {
            vgc_buf_printf(out, "%s\"%s\":", c ? "," : "", cn[c]);
            const char *v = PQgetvalue(r, t, c);
            if (PQgetisnull(r, t, c))
                vgc_buf_puts(out, "null");
            else if (types[c] == 't')
                vgc_buf_json_str(out, v);
            else
                vgc_buf_puts(out, v);
        }
        vgc_buf_puts(out, "}");
    }
    vgc_buf_puts(out, "]");
    PQclear(r);
    if (!vgc_buf_ok(out)) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static const vgc_store_ops_t pg_ops = {"postgresql", pg_close, pg_ver, pg_write, pg_query};

int vgc_store_pg_open(const char *url, vgc_store_t *s, char *err, size_t errlen)
{
    pg_t *p = calloc(1, sizeof *p);
    if (p == NULL) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    p->c = PQconnectdb(url);
    if (p->c == NULL || PQstatus(p->c) != CONNECTION_OK) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s", p->c ? PQerrorMessage(p->c) : "out of memory");
        msg[strcspn(msg, "\n")] = '\0';
        vgh_errf(err, errlen, "postgresql: %s", msg);
        pg_close(p);
        return -1;
    }
    PQsetNoticeProcessor(p->c, pg_quiet, NULL);
    pg_cmd(p->c, "SET client_min_messages = warning", NULL, 0);
    int rc = pg_migrate(p->c, err, errlen);
    if (rc != 0) {
        pg_close(p);
        return rc;
    }
    s->ops = &pg_ops;
    s->impl = p;
    return 0;
}
