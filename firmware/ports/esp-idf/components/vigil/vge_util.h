/* SPDX-License-Identifier: MIT */
/**
 * @file vge_util.h
 * @brief The ESP-IDF port's logic that needs no ESP-IDF: the offline queue over a key-value
 *        store (NVS on the device, a table in the unit test), the parsers of the Kconfig
 *        strings, the channel names from the model's META, the model header check of the
 *        `model` partition, the reconnect backoff and the sample gap count. C99, no
 *        allocation; built and unit-tested on the host (tests/unit/test_esp_util.c) and
 *        cross-compiled for RV32IMC in CI, so the ESP-IDF glue (main/) stays thin.
 *
 * Thread safety: none; the port calls all of it from its application task.
 */
#ifndef VGE_UTIL_H
#define VGE_UTIL_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vg_status.h"

/* ---- the offline queue: a bounded FIFO of records in a key-value store ---- */

/** Key-value results of vge_kv_ops_t. */
enum { VGE_KV_OK = 0, VGE_KV_NOT_FOUND = 1, VGE_KV_ERR = -1, VGE_KV_TOO_SMALL = -2 };

/** Longest key the queue uses, with its NUL (NVS allows 15 characters). */
#define VGE_KEY_MAX 16u

/** The store: on ESP-IDF an NVS namespace in its own partition (main/vge_main.c). */
typedef struct {
    int (*get_u32)(void *ctx, const char *key, uint32_t *v);
    int (*set_u32)(void *ctx, const char *key, uint32_t v);
    /** Copy the blob into @p buf (@p cap bytes), its length to *len; VGE_KV_TOO_SMALL when it
     *  does not fit. */
    int (*get_blob)(void *ctx, const char *key, void *buf, size_t cap, size_t *len);
    int (*set_blob)(void *ctx, const char *key, const void *buf, size_t len);
    int (*erase)(void *ctx, const char *key);
    /** Make the writes so far durable. */
    int (*commit)(void *ctx);
} vge_kv_ops_t;

/**
 * The queue: records under keys "r" + 8 hex digits of a running index, the index of the
 * oldest in "head" and one past the newest in "tail" (u32, wrapping). A push writes the
 * record, then the tail; a pop erases the record, then writes the head. A push cut short by
 * a reset leaves a record past the tail, overwritten by the next push; a pop cut short
 * leaves a head whose record is gone, skipped by vge_queue_open(). So the queue never
 * replays a popped record and never loses a pushed one (what NVS commits, it keeps).
 */
typedef struct {
    const vge_kv_ops_t *ops;
    void *ctx;
    uint32_t head, tail, max;
    uint32_t skipped; /* heads without a record, skipped at open */
} vge_queue_t;

/**
 * @brief Read head and tail from the store (0 when absent) and skip popped heads.
 * @param[in] max records the queue holds (pushes beyond are refused), >= 1
 * @retval VG_OK; VG_ERR_ARG (NULL, max 0); VG_ERR_FORMAT (tail - head > max: not a queue
 *         this port wrote; the caller erases the namespace and opens again);
 *         VG_ERR_UNSUPPORTED (a store error)
 */
vg_status_t vge_queue_open(vge_queue_t *q, const vge_kv_ops_t *ops, void *ctx, uint32_t max);
/** @retval VG_OK; VG_ERR_SIZE the queue is full; VG_ERR_UNSUPPORTED a store error */
vg_status_t vge_queue_push(vge_queue_t *q, const void *rec, size_t len);
/** @retval VG_OK; VG_ERR_ARG empty; VG_ERR_SIZE it does not fit in @p cap or a store error */
vg_status_t vge_queue_peek(vge_queue_t *q, void *buf, size_t cap, size_t *len);
/** @retval VG_OK; VG_ERR_ARG empty; VG_ERR_UNSUPPORTED a store error */
vg_status_t vge_queue_pop(vge_queue_t *q);
/** @brief Records in the queue. */
uint32_t vge_queue_count(const vge_queue_t *q);
/** @brief The key of record @p index: "r" and 8 lower-case hex digits. */
void vge_queue_key(uint32_t index, char key[VGE_KEY_MAX]);

/* ---- Kconfig strings, the model, timing ---- */

/**
 * @brief Parse a Kconfig channel list, "6" or "6,7" (spaces allowed around numbers).
 * @param[out] out   the channel numbers, in order
 * @param[in]  cap   entries of @p out
 * @param[in]  max_ch largest channel number allowed
 * @return the count (1..cap), or -1: empty, not a number, > max_ch, a repeat, or more than cap
 */
int vge_parse_channels(const char *s, int *out, int cap, int max_ch);

/** @brief A finite decimal number ("0.1", "-50", "1e-3"); 0 ok, -1 not one. */
int vge_parse_float(const char *s, float *out);

/**
 * @brief The channel names of the model's META (`channels=a,b`), as `vigil train` writes them.
 * @param[in]  meta, meta_len  the META text (not NUL-terminated; may be NULL / 0)
 * @param[out] buf, cap        storage for the names (NUL-terminated)
 * @param[out] names           @p n pointers into @p buf
 * @return @p n when META names exactly @p n channels, else 0 (the app then uses "ch0", ...)
 */
unsigned vge_meta_channels(const char *meta, size_t meta_len, char *buf, size_t cap,
                           const char **names, unsigned n);

/**
 * @brief Check the 32-byte header at the start of the `model` partition: magic "VGMA" and a
 *        total size that fits the partition (vg_model_parse() checks everything else).
 * @return the artifact's total size, or 0 (an erased or foreign partition, or too large)
 */
uint32_t vge_model_total(const uint8_t hdr[32], uint32_t part_size);

/** @brief Reconnect delay after @p failures failed attempts: 1, 2, 4, 8, 8, ... s, times
 *         0.75 + 0.5 * rnd / 2^32 (docs/protocol.md's +-25 %). */
uint32_t vge_backoff_ms(unsigned failures, uint32_t rnd);

/**
 * @brief Samples the timer produced that never reached the application (its queue was full):
 *        the NaN samples to push before sample @p index when @p expected was due.
 * @return index - expected (wrapping), at most @p cap; 0 when index is not ahead
 */
uint32_t vge_gap(uint32_t expected, uint32_t index, uint32_t cap);
#endif
