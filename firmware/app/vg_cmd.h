/* SPDX-License-Identifier: MIT */
/**
 * @file vg_cmd.h
 * @brief Parser of the `vigil/<id>/cmd` payloads of docs/protocol.md: one JSON object with
 *        `v`, `id`, `op` and the operation's fields. Strict: the payload must be one valid
 *        JSON object (blanks around it allowed), every known field must have its type and
 *        range, a field may appear once, a field of another operation is refused; fields the
 *        protocol does not define are skipped (readers ignore fields they do not know).
 *        Errors name the field first: "threshold: must be a finite number > 0",
 *        "payload: expected ':' after a name at byte 12".
 *
 * Reads through a bounded cursor; never reads past @p len, needs no terminator, allocates
 * nothing. Fuzzed by tests/fuzz/fuzz_cmd.c.
 */
#ifndef VG_CMD_H
#define VG_CMD_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vg_status.h"

/** Longest payload accepted, bytes. */
#define VG_CMD_MAX_LEN 4096u
/** Longest command id (printable ASCII characters). */
#define VG_CMD_ID_MAX 64u
/** Longest operation name kept for the ack. */
#define VG_CMD_OP_MAX 32u
/** Deepest nesting skipped inside an unknown field's value. */
#define VG_CMD_MAX_DEPTH 16u
/** Range of `recalibrate` seconds. */
#define VG_CMD_SECONDS_MAX 86400u

/** Operations; values are never renumbered. */
typedef enum {
    VG_CMD_NONE = 0, /**< no valid op (see the error) */
    VG_CMD_SET_THRESHOLD = 1,
    VG_CMD_RECALIBRATE = 2,
    VG_CMD_STATUS = 3
} vg_cmd_op_t;

/** A parsed command. On error, @c id and @c op_name hold what could be read (for the ack). */
typedef struct {
    uint8_t op;                 /**< vg_cmd_op_t */
    uint8_t has_id;             /**< @c id is valid */
    uint8_t has_op_name;        /**< @c op_name is valid (a printable string, maybe unknown) */
    uint8_t reserved;           /**< 0 */
    char id[VG_CMD_ID_MAX + 1]; /**< NUL-terminated */
    char op_name[VG_CMD_OP_MAX + 1];
    float threshold;  /**< set_threshold: finite, > 0 */
    uint32_t seconds; /**< recalibrate: 1..VG_CMD_SECONDS_MAX */
} vg_cmd_t;

/**
 * @brief Parse one command payload.
 * @param[in]  payload bytes received (not NUL-terminated; may be NULL when @p len is 0)
 * @param[in]  len     bytes in @p payload
 * @param[out] cmd     the command; on error the id/op read so far
 * @param[out] err     NUL-terminated message naming the field (may be NULL)
 * @param[in]  errlen  bytes of @p err (the message is cut to fit)
 * @retval VG_OK        a valid command
 * @retval VG_ERR_FORMAT not JSON, not an object, a field of the wrong type or out of range,
 *                      unknown op or protocol version, a missing or misplaced field
 * @retval VG_ERR_ARG   @p cmd is NULL
 */
vg_status_t vg_cmd_parse(const char *payload, size_t len, vg_cmd_t *cmd, char *err, size_t errlen);

/** @brief Name of an operation ("set_threshold", ...), NULL for VG_CMD_NONE or unknown. */
const char *vg_cmd_op_name(unsigned op);
#endif
