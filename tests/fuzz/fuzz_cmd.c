/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_cmd.c
 * @brief libFuzzer target for the device's command parser (firmware/app/vg_cmd.c): parse the
 *        input as a `vigil/<id>/cmd` payload, check what a parse promises (a valid command has
 *        an op, an id of 1-64 printable characters and its op's field in range; an error names
 *        a field and is NUL-terminated within the buffer), and feed the ack through the JSON
 *        writer as the device does.
 *
 * Replayed on tests/fuzz/corpus/cmd by `make test`; fuzzed by tools/fuzz.sh.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vg_cmd.h"
#include "vg_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int printable(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so a read past the end is caught by ASan */
    char *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    vg_cmd_t c;
    char err[96];
    memset(err, 'x', sizeof err);
    vg_status_t st = vg_cmd_parse(p, size, &c, err, sizeof err);
    if (memchr(err, '\0', sizeof err) == NULL)
        abort();
    if (st == VG_OK) {
        if (c.op < VG_CMD_SET_THRESHOLD || c.op > VG_CMD_STATUS || !c.has_id || !c.id[0] ||
            strlen(c.id) > VG_CMD_ID_MAX || !printable(c.id) || err[0])
            abort();
        if (c.op == VG_CMD_SET_THRESHOLD && !(c.threshold > 0.0f && isfinite(c.threshold)))
            abort();
        if (c.op == VG_CMD_RECALIBRATE && (c.seconds < 1 || c.seconds > VG_CMD_SECONDS_MAX))
            abort();
    } else {
        if (st != VG_ERR_FORMAT || !strchr(err, ':') || c.op != VG_CMD_NONE)
            abort();
        if (c.has_id && (!c.id[0] || !printable(c.id)))
            abort();
    }
    /* the ack, as the device writes it */
    char out[512];
    vg_jw_t w;
    vg_jw_init(&w, out, sizeof out);
    vg_jw_obj(&w);
    vg_jw_key(&w, "id");
    vg_jw_str(&w, c.has_id ? c.id : NULL);
    vg_jw_key(&w, "op");
    vg_jw_str(&w, c.has_op_name ? c.op_name : NULL);
    vg_jw_key(&w, "error");
    vg_jw_str(&w, st == VG_OK ? NULL : err);
    vg_jw_key(&w, "threshold");
    vg_jw_num(&w, (double)c.threshold, 7);
    vg_jw_end(&w);
    size_t len;
    if (vg_jw_finish(&w, &len) != VG_OK || strlen(out) != len)
        abort();
    /* the ack must itself parse as JSON's shape: re-parse as a command gives a field error,
     * never a syntax error (it is an object with known and unknown fields) */
    vg_cmd_t again;
    (void)vg_cmd_parse(out, len, &again, err, sizeof err);
    if (strncmp(err, "payload:", 8) == 0)
        abort();
    free(p);
    return 0;
}
