/* SPDX-License-Identifier: MIT */
/* The collector's store on SQLite: migrations applied in order and once, a newer schema
 * refused, duplicates stored once, batches atomic, the API's queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "vgc_store.h"

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "/tmp/vigil-test-store-%ld-%s.sqlite", (long)getpid(), name);
    char side[600];
    unlink(buf);
    snprintf(side, sizeof side, "%s-wal", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", buf);
    unlink(side);
}

static int64_t scalar(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void migrations(void **state)
{
    (void)state;
    char path[512], err[512];
    tmp_path(path, sizeof path, "mig");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* Three steps: the second depends on the first, the third on the second. */
    const char *steps[] = {"CREATE TABLE a(x INTEGER)", "ALTER TABLE a ADD COLUMN y INTEGER",
                           "CREATE INDEX a_y ON a(y)"};
    assert_int_equal(vgc_sqlite_migrate(db, steps, 1, err, sizeof err), 0);
    assert_int_equal(vgc_sqlite_migrate(db, steps, 1, err, sizeof err), 0); /* idempotent */
    assert_int_equal(vgc_sqlite_migrate(db, steps, 3, err, sizeof err), 0); /* 2 and 3 pending */
    sqlite3_close(db);
    assert_int_equal(scalar(path, "SELECT count(*) FROM schema_version"), 3);
    assert_int_equal(scalar(path, "SELECT max(version) FROM schema_version"), 3);
    assert_int_equal(scalar(path, "SELECT count(*) FROM sqlite_master WHERE name='a_y'"), 1);
    /* this build knows fewer migrations than the database has: refused */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(vgc_sqlite_migrate(db, steps, 2, err, sizeof err), -2);
    assert_non_null(strstr(err, "schema version 3"));
    /* a failing migration rolls back and leaves the version where it was */
    const char *broken[] = {steps[0], steps[1], steps[2], "CREATE TABLE a(x)"};
    assert_int_equal(vgc_sqlite_migrate(db, broken, 4, err, sizeof err), -1);
    sqlite3_close(db);
    assert_int_equal(scalar(path, "SELECT max(version) FROM schema_version"), 3);
    tmp_path(path, sizeof path, "mig");
}

static vgc_row_t *row(vgc_kind_t k, const char *dev, int64_t seq)
{
    vgc_row_t *r = calloc(1, sizeof *r);
    r->m.kind = k;
    snprintf(r->m.device, sizeof r->m.device, "%s", dev);
    r->m.boot = 1;
    r->m.seq = seq;
    r->m.ts = 1000 + seq;
    r->m.has_seq = 1;
    r->m.score = 0.5;
    r->m.cls = seq % 2 ? 2 : -1;
    r->m.event = 1;
    r->m.online = 1;
    snprintf(r->m.cmd_id, sizeof r->m.cmd_id, "c-%lld", (long long)seq);
    snprintf(r->m.op, sizeof r->m.op, "status");
    char buf[128];
    snprintf(buf, sizeof buf, "{\"v\":1,\"seq\":%lld}", (long long)seq);
    r->json = malloc(strlen(buf) + 1);
    memcpy(r->json, buf, strlen(buf) + 1);
    r->received_ms = 5;
    return r;
}

static void free_rows(vgc_row_t **r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i]->json);
        free(r[i]);
    }
}

static void store_and_query(void **state)
{
    (void)state;
    char path[512], err[512];
    tmp_path(path, sizeof path, "store");
    vgc_store_t *s;
    assert_int_equal(vgc_store_open(path, &s, err, sizeof err), 0);
    assert_string_equal(vgc_store_backend(s), "sqlite");
    int v = 0;
    assert_int_equal(vgc_store_schema_version(s, &v, err, sizeof err), 0);
    assert_int_equal(v, VGC_SCHEMA_VERSION);
    vgc_row_t *rows[6] = {row(VGC_KIND_EVENT, "d1", 1),     row(VGC_KIND_EVENT, "d1", 2),
                          row(VGC_KIND_EVENT, "d1", 1), /* a resend in the same batch */
                          row(VGC_KIND_TELEMETRY, "d2", 3), row(VGC_KIND_ACK, "d1", 4),
                          row(VGC_KIND_STATUS, "d3", 5)};
    uint8_t ins[6];
    assert_int_equal(vgc_store_write(s, rows, 6, ins, err, sizeof err), 0);
    uint8_t want[6] = {1, 1, 0, 1, 1, 1};
    assert_memory_equal(ins, want, 6);
    /* the same batch again (a retry after a lost commit answer): all duplicates */
    assert_int_equal(vgc_store_write(s, rows, 6, ins, err, sizeof err), 0);
    uint8_t again[6] = {0, 0, 0, 0, 0, 1};
    assert_memory_equal(ins, again, 6);
    int64_t n;
    assert_int_equal(vgc_store_count(s, VGC_KIND_EVENT, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    vgc_buf_t b = {0};
    vgc_query_t q = {.device = "d1", .has_class = 1, .cls = 2, .limit = 10};
    assert_int_equal(vgc_store_list(s, VGC_KIND_EVENT, &q, &b, err, sizeof err), 0);
    assert_non_null(strstr(b.p, "\"msg\":{\"v\":1,\"seq\":1}"));
    assert_null(strstr(b.p, "\"seq\":2}"));
    vgc_buf_free(&b);
    vgc_query_t t = {.has_since = 1, .since = 1002, .limit = 10};
    assert_int_equal(vgc_store_list(s, VGC_KIND_EVENT, &t, &b, err, sizeof err), 0);
    assert_string_equal(b.p, "[{\"id\":2,\"device\":\"d1\",\"received_ms\":5,\"msg\":{\"v\":1,"
                             "\"seq\":2}}]");
    vgc_buf_free(&b);
    assert_int_equal(vgc_store_devices(s, &b, err, sizeof err), 0);
    /* d1 and d2 seen in messages, d3 from its status */
    assert_non_null(strstr(b.p, "\"device\":\"d1\""));
    assert_non_null(strstr(b.p, "\"device\":\"d2\""));
    assert_non_null(strstr(b.p, "\"device\":\"d3\",\"state\":\"online\""));
    assert_non_null(strstr(b.p, "\"last_telemetry_ts\":1003"));
    vgc_buf_free(&b);
    vgc_store_close(s);
    /* reopening applies nothing new */
    assert_int_equal(vgc_store_open(path, &s, err, sizeof err), 0);
    vgc_store_close(s);
    assert_int_equal(scalar(path, "SELECT count(*) FROM schema_version"), 1);
    free_rows(rows, 6);
    tmp_path(path, sizeof path, "store");
}

/* A large batch of two kinds: the new/duplicate flags for keys repeated inside the batch and
 * stored by an earlier one, and the whole batch written again. (Kept from an evaluation of
 * 64-row INSERTs, which were slower here: docs/collector.md, performance.) */
static void multi_row_chunks(void **state)
{
    (void)state;
    char path[512], err[512];
    tmp_path(path, sizeof path, "chunks");
    vgc_store_t *s;
    assert_int_equal(vgc_store_open(path, &s, err, sizeof err), 0);
    enum { N = 300 };
    vgc_row_t *rows[N];
    uint8_t ins[N], want[N];
    /* earlier batch: d0 seq 10..19 */
    vgc_row_t *pre[10];
    for (int i = 0; i < 10; i++)
        pre[i] = row(VGC_KIND_TELEMETRY, "d0", 10 + i);
    assert_int_equal(vgc_store_write(s, pre, 10, ins, err, sizeof err), 0);
    int64_t fresh = 0;
    for (int i = 0; i < N; i++) {
        /* telemetry, then events from 200 on; every 7th repeats the row 3 before it; seq 10..19
         * of d0 are already stored */
        vgc_kind_t k = i < 200 ? VGC_KIND_TELEMETRY : VGC_KIND_EVENT;
        const char *dev = i % 2 ? "d1" : "d0";
        int64_t seq = i;
        if (i % 7 == 6 && (i < 200) == (i - 3 < 200)) {
            dev = rows[i - 3]->m.device;
            seq = rows[i - 3]->m.seq;
            want[i] = 0;
        } else {
            want[i] = !(k == VGC_KIND_TELEMETRY && dev[1] == '0' && seq >= 10 && seq < 20);
        }
        rows[i] = row(k, dev, seq);
        fresh += want[i];
    }
    assert_int_equal(vgc_store_write(s, rows, N, ins, err, sizeof err), 0);
    assert_memory_equal(ins, want, N);
    int64_t n = 0, m = 0;
    assert_int_equal(vgc_store_count(s, VGC_KIND_TELEMETRY, &n, err, sizeof err), 0);
    assert_int_equal(vgc_store_count(s, VGC_KIND_EVENT, &m, err, sizeof err), 0);
    assert_int_equal(n + m, fresh + 10);
    /* the whole batch again: all duplicates */
    assert_int_equal(vgc_store_write(s, rows, N, ins, err, sizeof err), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(ins[i], 0);
    vgc_store_close(s);
    free_rows(rows, N);
    free_rows(pre, 10);
    tmp_path(path, sizeof path, "chunks");
}

static void open_errors(void **state)
{
    (void)state;
    char err[512];
    vgc_store_t *s;
    assert_int_equal(vgc_store_open("/nonexistent-dir/x.sqlite", &s, err, sizeof err), -1);
    assert_null(s);
    /* nothing listens on port 1 */
    assert_int_equal(
        vgc_store_open("postgresql://nobody@127.0.0.1:1/x?connect_timeout=2", &s, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "postgresql"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations),
        cmocka_unit_test(store_and_query),
        cmocka_unit_test(multi_row_chunks),
        cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
