/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_store.h
 * @brief Where the collector keeps device messages: SQLite (a file path) or PostgreSQL
 *        (a `postgresql://` URL). Opening applies pending schema migrations in order.
 *        Writes are whole batches in one transaction; a duplicate (device, boot, seq) is
 *        skipped by the unique key (INSERT ... ON CONFLICT DO NOTHING), so retrying a batch
 *        after an error or a resend from the broker never doubles a row.
 *        One vgc_store_t is used by one thread at a time (callers lock).
 */
#ifndef VGC_STORE_H
#define VGC_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "vgc_buf.h"
#include "vgc_payload.h"

/** One received message on its way to the store. */
typedef struct {
    vgc_msg_t m;
    char *json;          /**< strict JSON of the payload (vgc_payload_parse), owned */
    int64_t received_ms; /**< collector clock when it arrived, ms since the Unix epoch */
} vgc_row_t;

/** Filters of the API's list queries; a zero `has_*` means no filter. */
typedef struct {
    const char *device;       /**< NULL: every device */
    int has_since, has_until; /**< device time `ts`, ms since the epoch: since <= ts < until */
    int64_t since, until;
    int has_class;
    int64_t cls;
    unsigned limit; /**< rows, newest first */
} vgc_query_t;

typedef struct vgc_store vgc_store_t;

/** The newest schema version this build writes (migrations 1..VGC_SCHEMA_VERSION). */
#define VGC_SCHEMA_VERSION 1

/**
 * @brief Open (creating when missing) and migrate the store.
 * @param[in] url  `postgresql://...` or `postgres://...` for PostgreSQL (libpq syntax);
 *                 anything else is a SQLite file (an optional `sqlite:` prefix is dropped)
 * @retval 0 ok; -1 cannot open or migrate (@p err says why); -2 the schema is newer than
 *         this build (refuse to write into it)
 */
int vgc_store_open(const char *url, vgc_store_t **out, char *err, size_t errlen);
/** @brief Close; NULL is fine. */
void vgc_store_close(vgc_store_t *s);
/** @brief "sqlite" or "postgresql". */
const char *vgc_store_backend(const vgc_store_t *s);
/** @brief The schema version in the database. */
int vgc_store_schema_version(vgc_store_t *s, int *version, char *err, size_t errlen);

/**
 * @brief Write @p n rows in one transaction. @p inserted[i] = 1 for a new row, 0 for a
 *        duplicate (status rows always 1: they update the device).
 * @retval 0 committed; -1 rolled back, nothing written (the connection may be gone: close,
 *         reopen and retry the same rows)
 */
int vgc_store_write(vgc_store_t *s, vgc_row_t *const *rows, size_t n, uint8_t *inserted, char *err,
                    size_t errlen);

/** @brief JSON array of devices (`/api/devices`). */
int vgc_store_devices(vgc_store_t *s, vgc_buf_t *out, char *err, size_t errlen);
/** @brief JSON array of the newest rows of @p kind (event, telemetry or ack) matching @p q. */
int vgc_store_list(vgc_store_t *s, vgc_kind_t kind, const vgc_query_t *q, vgc_buf_t *out, char *err,
                   size_t errlen);
/** @brief Number of rows of @p kind (tests and the bench). */
int vgc_store_count(vgc_store_t *s, vgc_kind_t kind, int64_t *n, char *err, size_t errlen);

/* ---- internals shared by the two backends (vgc_store_sqlite.c, vgc_store_pg.c) ---- */

/** A typed SQL value: 'i' int64, 'd' double, 's' text, 'n' NULL. */
typedef struct {
    char t;
    int64_t i;
    double d;
    const char *s;
} vgc_val_t;

#define VGC_COLS_MAX 16 /**< most columns of one insert */
/** Table per kind: devices, telemetry, events, acks. */
extern const char *const vgc_store_table[VGC_KIND_COUNT];
/** The insert statement of one row of @p kind, $1.. placeholders (status: an upsert). */
const char *vgc_store_insert_sql(vgc_kind_t kind);
/** Column list and count of @p kind's insert. */
const char *vgc_store_cols(vgc_kind_t kind, int *ncols);
/** @brief The values of @p r in vgc_store_cols() order; returns their count. */
int vgc_store_values(const vgc_row_t *r, vgc_val_t v[VGC_COLS_MAX]);
/** The statement that records a device first seen in a non-status message: $1 device, $2 ms. */
extern const char vgc_store_seen_sql[];

/** A set of device ids already known to be in the devices table. */
typedef struct {
    char (*ids)[VGC_DEVICE_MAX + 1];
    size_t n, cap;
} vgc_devset_t;
int vgc_devset_has(const vgc_devset_t *s, const char *id);
void vgc_devset_add(vgc_devset_t *s, const char *id);
void vgc_devset_free(vgc_devset_t *s);

/** Backend operations. */
typedef struct {
    const char *name;
    void (*close)(void *impl);
    int (*version)(void *impl, int *v, char *err, size_t errlen);
    int (*write)(void *impl, vgc_row_t *const *rows, size_t n, uint8_t *inserted, char *err,
                 size_t errlen);
    /* Run @p sql (with $1..$n text parameters, NULL = SQL NULL) and append a JSON array with
     * one object per row: columns named in @p cols, the JSON column named "msg" verbatim. */
    int (*query_json)(void *impl, const char *sql, const char *const *params, int nparams,
                      const char *const *cols, const char *types, vgc_buf_t *out, char *err,
                      size_t errlen);
} vgc_store_ops_t;

struct vgc_store {
    const vgc_store_ops_t *ops;
    void *impl;
};

int vgc_store_sqlite_open(const char *path, vgc_store_t *s, char *err, size_t errlen);
int vgc_store_pg_open(const char *url, vgc_store_t *s, char *err, size_t errlen);

/** The SQL of each migration for SQLite, index 0 = migration 1 (exposed for tests). */
extern const char *const vgc_sqlite_migrations[];
extern const int vgc_sqlite_migrations_n;

/**
 * @brief Apply migrations [current+1 .. n] of @p steps to the open SQLite database @p db,
 *        each in its own transaction with its row in schema_version (exposed for tests).
 * @retval 0 ok; -1 error; -2 the database is newer than @p n
 */
int vgc_sqlite_migrate(void *db, const char *const *steps, int n, char *err, size_t errlen);
#endif
