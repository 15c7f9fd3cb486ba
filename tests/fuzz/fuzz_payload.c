/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_payload.c
 * @brief libFuzzer target for everything the collector parses from the network: the first
 *        byte picks the topic kind (s = status, t = telemetry, e = event, a = ack, anything
 *        else its value mod 4), the rest is the payload. Each input is also read as a topic
 *        name and as a command body for POST /api/devices/<id>/cmd. Checks: no crash or
 *        out-of-bounds read (the payload is copied to an exactly sized buffer), a refusal
 *        always says why, an accepted payload's stored text is strict one-line JSON that
 *        parses again with the same identity, and the fast scanner (vgc_scan.h) and the cJSON
 *        reader give the same answer byte for byte.
 *
 * Fuzz: tools/fuzz.sh (clang, libFuzzer, ASan, UBSan). Replay (CTest):
 *   replay_payload tests/fuzz/corpus/payload
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgc_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    vgc_kind_t kind;
    switch (data[0]) {
    case 's': kind = VGC_KIND_STATUS; break;
    case 't': kind = VGC_KIND_TELEMETRY; break;
    case 'e': kind = VGC_KIND_EVENT; break;
    case 'a': kind = VGC_KIND_ACK; break;
    default: kind = (vgc_kind_t)(data[0] % 4); break;
    }
    size_t len = size - 1;
    char *p = malloc(len ? len : 1);
    if (p == NULL)
        return 0;
    memcpy(p, data + 1, len);
    vgc_msg_t m;
    char err[256] = "", *json = NULL;
    memset(&m, 0, sizeof m);
    if (vgc_payload_parse(kind, p, len, &m, &json, err, sizeof err) == 0) {
        if (json == NULL)
            abort();
        for (const char *q = json; *q; q++)
            if (*q == '\n' || *q == '\r')
                abort(); /* one SSE data line, strict JSON */
        vgc_msg_t again;
        char err2[256];
        memset(&again, 0, sizeof again);
        if (vgc_payload_parse(kind, json, strlen(json), &again, NULL, err2, sizeof err2) != 0 ||
            again.boot != m.boot || again.seq != m.seq || again.ts != m.ts)
            abort();
        if (kind != VGC_KIND_STATUS && m.seq < 1)
            abort();
    } else if (err[0] == '\0' || json != NULL) {
        abort();
    }
    vgc_msg_t g;
    char gerr[256] = "", *gjson = NULL;
    memset(&g, 0, sizeof g);
    int grc = vgc_payload_parse_generic(kind, p, len, &g, &gjson, gerr, sizeof gerr);
    if ((grc == 0) != (json != NULL) ||
        (grc == 0 && (memcmp(&g, &m, sizeof g) != 0 || strcmp(gjson, json) != 0)))
        abort();
    vgc_payload_free(gjson);
    vgc_payload_free(json);

    char out[1024], id[VGC_CMD_ID_MAX + 1], cerr[256] = "";
    if (vgc_cmd_build(p, len, "c-fuzz", out, sizeof out, id, sizeof id, cerr, sizeof cerr) == 0) {
        if (strlen(out) >= sizeof out || id[0] == '\0')
            abort();
    } else if (cerr[0] == '\0') {
        abort();
    }

    /* as a topic name */
    char *topic = malloc(len + 1);
    if (topic != NULL) {
        memcpy(topic, p, len);
        topic[len] = '\0';
        char dev[VGC_DEVICE_MAX + 1];
        vgc_kind_t k;
        if (vgc_topic_parse(topic, dev, &k, err, sizeof err) == 0 && !vgc_device_id_ok(dev))
            abort();
        free(topic);
    }
    free(p);
    return 0;
}
