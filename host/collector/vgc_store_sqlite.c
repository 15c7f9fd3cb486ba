/* SPDX-License-Identifier: MIT */
/* SQLite backend: WAL journal (readers never block the writer), synchronous=NORMAL (a commit
 * survives the process dying; the last commits before a power cut may not, see
 * docs/collector.md), prepared inserts, one transaction per batch. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "vgc_store.h"

/* Migration N is element N-1. Never edit an applied migration: add the next one. */
static const char migration_1[] =
    "CREATE TABLE devices ("
    " device TEXT PRIMARY KEY, state TEXT, reason TEXT, boot BIGINT, seq BIGINT, ts BIGINT,"
    " fw TEXT, model_kind TEXT, model_crc TEXT, threshold DOUBLE PRECISION, status TEXT,"
    " status_ms BIGINT, first_seen_ms BIGINT NOT NULL);"
    "CREATE TABLE telemetry ("
    " id INTEGER PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, t DOUBLE PRECISION, score DOUBLE PRECISION, raw DOUBLE PRECISION,"
    " thr DOUBLE PRECISION, anomaly INTEGER NOT NULL, payload TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL, UNIQUE (device, boot, seq));"
    "CREATE INDEX telemetry_device_ts ON telemetry(device, ts);"
    "CREATE INDEX telemetry_ts ON telemetry(ts);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, event BIGINT NOT NULL, phase TEXT NOT NULL, t_start DOUBLE PRECISION,"
    " t_end DOUBLE PRECISION, score DOUBLE PRECISION, raw DOUBLE PRECISION,"
    " thr DOUBLE PRECISION, kind TEXT, class INTEGER, class_name TEXT, payload TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL, UNIQUE (device, boot, seq));"
    "CREATE INDEX events_device_ts ON events(device, ts);"
    "CREATE INDEX events_ts ON events(ts);"
    "CREATE TABLE acks ("
    " id INTEGER PRIMARY KEY, device TEXT NOT NULL, boot BIGINT NOT NULL, seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, cmd_id TEXT NOT NULL, op TEXT NOT NULL, ok INTEGER NOT NULL,"
    " error TEXT, payload TEXT NOT NULL, received_ms BIGINT NOT NULL,"
    " UNIQUE (device, boot, seq));"
    "CREATE INDEX acks_device_ts ON acks(device, ts);";

const char *const vgc_sqlite_migrations[] = {migration_1};
const int vgc_sqlite_migrations_n = 1;

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *ins[VGC_KIND_COUNT], *seen;
    vgc_devset_t known;
    /* Checkpoints run on their own connection and thread, once a second: SQLite's automatic
     * checkpoint would run inside a commit and stall it for the fsync (hundreds of ms on a
     * busy disk, measured as the p99 of bench/fleet). */
    sqlite3 *cdb;
    pthread_t ckpt;
    int ckpt_on, ckpt_stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} sq_t;

static void *sq_checkpointer(void *arg)
{
    sq_t *q = arg;
    pthread_mutex_lock(&q->mu);
    while (!q->ckpt_stop) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 1;
        if (pthread_cond_timedwait(&q->cv, &q->mu, &t) != ETIMEDOUT)
            continue;
        pthread_mutex_unlock(&q->mu);
        sqlite3_wal_checkpoint_v2(q->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int sq_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        vgh_errf(err, errlen, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int sq_version(sqlite3 *db, int *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version),0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK) {
        vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    else
        vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int vgc_sqlite_migrate(void *dbp, const char *const *steps, int n, char *err, size_t errlen)
{
    sqlite3 *db = dbp;
    if (sq_exec(db,
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
                " applied_ms BIGINT NOT NULL)",
                err, errlen) != 0)
        return -1;
    for (;;) {
        /* BEGIN IMMEDIATE takes the write lock first: two collectors opening one file apply
         * each migration once. */
        int v;
        if (sq_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
            return -1;
        if (sq_version(db, &v, err, errlen) != 0)
            goto fail;
        if (v > n) {
            vgh_errf(err, errlen,
                     "the database has schema version %d; this collector knows up to %d", v, n);
            sq_exec(db, "ROLLBACK", NULL, 0);
            return -2;
        }
        if (v == n)
            return sq_exec(db, "COMMIT", err, errlen);
        char ins[128];
        snprintf(ins, sizeof ins, "INSERT INTO schema_version VALUES(%d,%lld)", v + 1,
                 (long long)now_ms());
        if (sq_exec(db, steps[v], err, errlen) != 0 || sq_exec(db, ins, err, errlen) != 0 ||
            sq_exec(db, "COMMIT", err, errlen) != 0)
            goto fail;
    }
fail:
    sq_exec(db, "ROLLBACK", NULL, 0);
    return -1;
}

static void sq_close(void *impl)
{
    sq_t *q = impl;
    if (q == NULL)
        return;
    if (q->ckpt_on) {
        pthread_mutex_lock(&q->mu);
        q->ckpt_stop = 1;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->ckpt, NULL);
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->cv);
    }
    sqlite3_close(q->cdb);
    for (int k = 0; k < VGC_KIND_COUNT; k++)
        sqlite3_finalize(q->ins[k]);
    sqlite3_finalize(q->seen);
    sqlite3_close(q->db);
    vgc_devset_free(&q->known);
    free(q);
}

static int sq_ver(void *impl, int *v, char *err, size_t errlen)
{
    return sq_version(((sq_t *)impl)->db, v, err, errlen);
}

static int bind_vals(sqlite3_stmt *st, const vgc_val_t *v, int n)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        switch (v[i].t) {
        case 'i': rc = sqlite3_bind_int64(st, i + 1, v[i].i); break;
        case 'd': rc = sqlite3_bind_double(st, i + 1, v[i].d); break;
        case 's': rc = sqlite3_bind_text(st, i + 1, v[i].s, -1, SQLITE_STATIC); break;
        default: rc = sqlite3_bind_null(st, i + 1); break;
        }
    }
    return rc;
}

static int sq_write(void *impl, vgc_row_t *const *rows, size_t n, uint8_t *inserted, char *err,
                    size_t errlen)
{
    sq_t *q = impl;
    if (sq_exec(q->db, "BEGIN IMMEDIATE", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const vgc_row_t *r = rows[i];
        vgc_val_t v[VGC_COLS_MAX];
        int nv = vgc_store_values(r, v);
        sqlite3_stmt *st = q->ins[r->m.kind];
        int rc = bind_vals(st, v, nv);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE)
            goto fail;
        inserted[i] = r->m.kind == VGC_KIND_STATUS || sqlite3_changes(q->db) > 0;
        if (r->m.kind != VGC_KIND_STATUS && !vgc_devset_has(&q->known, r->m.device)) {
            vgc_val_t s[2] = {{'s', 0, 0, r->m.device}, {'i', r->received_ms, 0, NULL}};
            rc = bind_vals(q->seen, s, 2);
            if (rc == SQLITE_OK)
                rc = sqlite3_step(q->seen);
            sqlite3_reset(q->seen);
            if (rc != SQLITE_DONE)
                goto fail;
        }
    }
    if (sq_exec(q->db, "COMMIT", err, errlen) != 0) {
        sq_exec(q->db, "ROLLBACK", NULL, 0);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        vgc_devset_add(&q->known, rows[i]->m.device);
    return 0;
fail:
    vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(q->db));
    sq_exec(q->db, "ROLLBACK", NULL, 0);
    return -1;
}

static int is_int(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int sq_query(void *impl, const char *sql, const char *const *params, int np,
                    const char *const *cn, const char *types, vgc_buf_t *out, char *err,
                    size_t errlen)
{
    sq_t *q = impl;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(q->db));
        return -1;
    }
    for (int i = 0; i < np; i++) {
        if (params[i] == NULL)
            sqlite3_bind_null(st, i + 1);
        else if (is_int(params[i]))
            sqlite3_bind_int64(st, i + 1, strtoll(params[i], NULL, 10));
        else
            sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
    }
    vgc_buf_puts(out, "[");
    int rc, row = 0, nc = (int)strlen(types);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        vgc_buf_puts(out, row++ ? ",{" : "{");
        for (int c = 0; c < nc; c++) {
            vgc_buf_printf(out, "%s\"%s\":", c ? "," : "", cn[c]);
            if (sqlite3_column_type(st, c) == SQLITE_NULL) {
                vgc_buf_puts(out, "null");
                continue;
            }
            switch (types[c]) {
            case 'i': vgc_buf_printf(out, "%lld", (long long)sqlite3_column_int64(st, c)); break;
            case 'd': vgc_buf_printf(out, "%.17g", sqlite3_column_double(st, c)); break;
            case 'j': vgc_buf_puts(out, (const char *)sqlite3_column_text(st, c)); break;
            default: vgc_buf_json_str(out, (const char *)sqlite3_column_text(st, c)); break;
            }
        }
        vgc_buf_puts(out, "}");
    }
    vgc_buf_puts(out, "]");
    if (rc != SQLITE_DONE)
        vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(q->db));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && !vgc_buf_ok(out)) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    return rc == SQLITE_DONE ? 0 : -1;
}

static const vgc_store_ops_t sq_ops = {"sqlite", sq_close, sq_ver, sq_write, sq_query};

int vgc_store_sqlite_open(const char *path, vgc_store_t *s, char *err, size_t errlen)
{
    sq_t *q = calloc(1, sizeof *q);
    if (q == NULL) {
        vgh_errf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    if (sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        vgh_errf(err, errlen, "%s: %s", path, q->db ? sqlite3_errmsg(q->db) : "cannot open");
        goto fail;
    }
    sqlite3_busy_timeout(q->db, 10000);
    if (sq_exec(q->db, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
        sq_exec(q->db, "PRAGMA synchronous=NORMAL", err, errlen) != 0)
        goto fail;
    rc = vgc_sqlite_migrate(q->db, vgc_sqlite_migrations, vgc_sqlite_migrations_n, err, errlen);
    if (rc != 0)
        goto fail;
    rc = -1;
    for (int k = 0; k < VGC_KIND_COUNT; k++)
        if (sqlite3_prepare_v2(q->db, vgc_store_insert_sql((vgc_kind_t)k), -1, &q->ins[k], NULL) !=
            SQLITE_OK) {
            vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(q->db));
            goto fail;
        }
    if (sqlite3_prepare_v2(q->db, vgc_store_seen_sql, -1, &q->seen, NULL) != SQLITE_OK) {
        vgh_errf(err, errlen, "sqlite: %s", sqlite3_errmsg(q->db));
        goto fail;
    }
    if (sq_exec(q->db, "PRAGMA wal_autocheckpoint=0", err, errlen) != 0)
        goto fail;
    if (sqlite3_open_v2(path, &q->cdb, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        vgh_errf(err, errlen, "%s: %s", path, q->cdb ? sqlite3_errmsg(q->cdb) : "cannot open");
        goto fail;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pthread_create(&q->ckpt, NULL, sq_checkpointer, q) != 0) {
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->cv);
        vgh_errf(err, errlen, "cannot start the checkpoint thread");
        goto fail;
    }
    q->ckpt_on = 1;
    s->ops = &sq_ops;
    s->impl = q;
    return 0;
fail:
    sq_close(q);
    return rc;
}
