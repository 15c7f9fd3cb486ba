/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_payload.h
 * @brief The collector's reader of docs/protocol.md: topic names and the JSON payloads of
 *        `status`, `telemetry`, `event` and `ack`. Pure functions, thread-safe, no I/O.
 */
#ifndef VGC_PAYLOAD_H
#define VGC_PAYLOAD_H
#include <stddef.h>
#include <stdint.h>

/** What a device topic carries. Values are stored in metrics and never renumbered. */
typedef enum {
    VGC_KIND_STATUS = 0,
    VGC_KIND_TELEMETRY = 1,
    VGC_KIND_EVENT = 2,
    VGC_KIND_ACK = 3,
    VGC_KIND_COUNT = 4
} vgc_kind_t;

#define VGC_DEVICE_MAX  32u    /**< longest device id (protocol.md) */
#define VGC_PAYLOAD_MAX 65536u /**< longest payload the collector accepts, bytes */
#define VGC_CMD_ID_MAX  64u    /**< longest command id (protocol.md) */
#define VGC_PROTOCOL_V  1      /**< the protocol version this reader understands */

/** One device message, as read. Strings are NUL-terminated and truncated to fit only where
 *  the protocol bounds them (longer values are refused as malformed). */
typedef struct {
    vgc_kind_t kind;
    char device[VGC_DEVICE_MAX + 1];
    int has_seq; /**< status only: 0 when boot/seq/ts were absent */
    int64_t boot, seq, ts;
    /* status */
    int online;      /**< 1 online, 0 offline */
    char reason[16]; /**< offline reason ("lost", "stop") or "" */
    char fw[32];
    char model_kind[32]; /* protocol.md model kinds, "autoencoder-int8" the longest */
    char model_crc[16];
    double threshold; /**< model.threshold, NAN when absent */
    /* telemetry and event */
    double t, score, raw, thr; /**< NAN when absent */
    int anomaly;               /**< telemetry: 0/1 */
    /* event */
    int64_t event;         /**< event number within the boot, >= 1 */
    int close;             /**< 0 open, 1 close */
    double t_start, t_end; /**< NAN when null or absent */
    int64_t cls;           /**< power-quality class, -1 when null */
    char class_name[32];
    /* ack */
    char cmd_id[VGC_CMD_ID_MAX + 1];
    char op[32];
    int ok;
    char error[256];
} vgc_msg_t;

/** @brief Name of a kind as in topics and metrics ("status", ...); "?" when out of range. */
const char *vgc_kind_name(vgc_kind_t k);

/**
 * @brief Split `vigil/<id>/<kind>` into the device id and the kind.
 * @param[in]  topic  NUL-terminated topic name
 * @param[out] device VGC_DEVICE_MAX + 1 bytes
 * @param[out] kind   the topic's kind
 * @retval 0 a device topic the collector reads; -1 anything else (@p err names the part)
 */
int vgc_topic_parse(const char *topic, char device[VGC_DEVICE_MAX + 1], vgc_kind_t *kind, char *err,
                    size_t errlen);

/** @brief 1 when @p id is a protocol device id (1-32 of [A-Za-z0-9_-]), else 0. */
int vgc_device_id_ok(const char *id);

/**
 * @brief Parse and validate one payload of kind @p kind.
 * @param[in]  data  payload bytes (need not be NUL-terminated), @p len of them
 * @param[out] out   filled on success (device is left as it was: it comes from the topic)
 * @param[out] json  NULL, or on success the payload re-serialised as strict, compact JSON
 *                   (what the store keeps and the API serves); free with vgc_payload_free()
 * @param[out] err   on failure, "FIELD: what is wrong"
 * @retval 0 valid; -1 malformed (nothing to store)
 */
int vgc_payload_parse(vgc_kind_t kind, const void *data, size_t len, vgc_msg_t *out, char **json,
                      char *err, size_t errlen);

/**
 * @brief vgc_payload_parse() with cJSON only: the reader it falls back on when the fast
 *        scanner (vgc_scan.h) declines a payload. Same parameters and results; exposed so
 *        that tests compare the two readers.
 */
int vgc_payload_parse_generic(vgc_kind_t kind, const void *data, size_t len, vgc_msg_t *out,
                              char **json, char *err, size_t errlen);

/** @brief Free the text vgc_payload_parse() returned in @p json (NULL is fine). */
void vgc_payload_free(char *json);

/**
 * @brief Validate a command body for `vigil/<id>/cmd` (protocol.md `cmd`) and write the
 *        message to publish: `v` set to 1 and `id` set to @p default_id when absent.
 * @param[out] out  NUL-terminated JSON, @p outlen bytes
 * @retval 0 valid; -1 refused (@p err names the field)
 */
int vgc_cmd_build(const void *body, size_t len, const char *default_id, char *out, size_t outlen,
                  char *cmd_id, size_t idlen, char *err, size_t errlen);
#endif
