/* SPDX-License-Identifier: MIT */
/* Reads docs/protocol.md payloads with cJSON (the JSON library ESP-IDF also ships). cJSON is
 * given the exact length, so payloads need no terminator and nothing past len is read. Each
 * check names the field it refuses so the log line says what the device got wrong. */
#include "vgc_payload.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vgc_scan.h"

/* Largest integer a double holds exactly: JSON numbers beyond it lose the sequence number. */
#define PAYLOAD_INT_MAX 9007199254740991.0

static const char *const kind_names[VGC_KIND_COUNT] = {"status", "telemetry", "event", "ack"};

const char *vgc_kind_name(vgc_kind_t k)
{
    return (unsigned)k < VGC_KIND_COUNT ? kind_names[k] : "?";
}

int vgc_device_id_ok(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        char c = id[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok || n >= VGC_DEVICE_MAX)
            return 0;
    }
    return n > 0;
}

int vgc_topic_parse(const char *topic, char device[VGC_DEVICE_MAX + 1], vgc_kind_t *kind, char *err,
                    size_t errlen)
{
    if (strncmp(topic, "vigil/", 6) != 0) {
        vgh_errf(err, errlen, "topic: not under vigil/");
        return -1;
    }
    const char *id = topic + 6, *slash = strchr(id, '/');
    size_t n = slash ? (size_t)(slash - id) : 0;
    if (slash == NULL || n == 0 || n > VGC_DEVICE_MAX) {
        vgh_errf(err, errlen, "topic: device id must be 1-%u characters", VGC_DEVICE_MAX);
        return -1;
    }
    char tmp[VGC_DEVICE_MAX + 1];
    memcpy(tmp, id, n);
    tmp[n] = '\0';
    if (!vgc_device_id_ok(tmp)) {
        vgh_errf(err, errlen, "topic: device id must be [A-Za-z0-9_-]");
        return -1;
    }
    for (int k = 0; k < VGC_KIND_COUNT; k++) {
        if (strcmp(slash + 1, kind_names[k]) == 0) {
            memcpy(device, tmp, n + 1);
            *kind = (vgc_kind_t)k;
            return 0;
        }
    }
    vgh_errf(err, errlen, "topic: not a device message topic");
    return -1;
}

/* ---- typed field readers: 0 ok, 1 absent (when allowed), -1 wrong (err set) ---- */

static const cJSON *field(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int get_int(const cJSON *o, const char *name, int required, double lo, int64_t *out,
                   char *err, size_t errlen)
{
    const cJSON *f = field(o, name);
    if (f == NULL || (!required && cJSON_IsNull(f))) {
        if (!required)
            return 1;
        vgh_errf(err, errlen, "%s: missing", name);
        return -1;
    }
    double d = cJSON_IsNumber(f) ? f->valuedouble : NAN;
    if (!isfinite(d) || d != floor(d) || d < lo || d > PAYLOAD_INT_MAX) {
        vgh_errf(err, errlen, "%s: must be a whole number >= %.0f", name, lo);
        return -1;
    }
    *out = (int64_t)d;
    return 0;
}

static int get_num(const cJSON *o, const char *name, int required, double *out, char *err,
                   size_t errlen)
{
    const cJSON *f = field(o, name);
    *out = NAN;
    if (f == NULL || (!required && cJSON_IsNull(f))) {
        if (!required)
            return 1;
        vgh_errf(err, errlen, "%s: missing", name);
        return -1;
    }
    if (!cJSON_IsNumber(f) || !isfinite(f->valuedouble)) {
        vgh_errf(err, errlen, "%s: must be a number", name);
        return -1;
    }
    *out = f->valuedouble;
    return 0;
}

static int get_str(const cJSON *o, const char *name, int required, char *out, size_t outlen,
                   char *err, size_t errlen)
{
    const cJSON *f = field(o, name);
    out[0] = '\0';
    if (f == NULL || (!required && cJSON_IsNull(f))) {
        if (!required)
            return 1;
        vgh_errf(err, errlen, "%s: missing", name);
        return -1;
    }
    if (!cJSON_IsString(f) || f->valuestring == NULL) {
        vgh_errf(err, errlen, "%s: must be a string", name);
        return -1;
    }
    size_t n = strlen(f->valuestring);
    if (n >= outlen) {
        vgh_errf(err, errlen, "%s: longer than %zu characters", name, outlen - 1);
        return -1;
    }
    memcpy(out, f->valuestring, n + 1);
    return 0;
}

static int get_bool(const cJSON *o, const char *name, int *out, char *err, size_t errlen)
{
    const cJSON *f = field(o, name);
    if (!cJSON_IsBool(f)) {
        vgh_errf(err, errlen, "%s: %s", name, f ? "must be true or false" : "missing");
        return -1;
    }
    *out = cJSON_IsTrue(f) ? 1 : 0;
    return 0;
}

/* An object whose members are numbers or null (telemetry values, magnitude, features). */
static int get_numbers(const cJSON *o, const char *name, char *err, size_t errlen)
{
    const cJSON *f = field(o, name), *m;
    if (f == NULL || cJSON_IsNull(f))
        return 1;
    if (!cJSON_IsObject(f)) {
        vgh_errf(err, errlen, "%s: must be an object", name);
        return -1;
    }
    cJSON_ArrayForEach(m, f)
    {
        if (!cJSON_IsNumber(m) && !cJSON_IsNull(m)) {
            vgh_errf(err, errlen, "%s.%s: must be a number or null", name,
                     m->string ? m->string : "?");
            return -1;
        }
    }
    return 0;
}

#define CHECK(e)                                                                                   \
    do {                                                                                           \
        if ((e) < 0)                                                                               \
            return -1;                                                                             \
    } while (0)

static int parse_status(const cJSON *o, vgc_msg_t *m, char *err, size_t errlen)
{
    char state[16];
    CHECK(get_str(o, "state", 1, state, sizeof state, err, errlen));
    if (strcmp(state, "online") != 0 && strcmp(state, "offline") != 0) {
        vgh_errf(err, errlen, "state: must be \"online\" or \"offline\"");
        return -1;
    }
    m->online = state[1] == 'n';
    CHECK(get_str(o, "reason", 0, m->reason, sizeof m->reason, err, errlen));
    CHECK(get_str(o, "fw", 0, m->fw, sizeof m->fw, err, errlen));
    const cJSON *model = field(o, "model");
    if (model != NULL && !cJSON_IsNull(model)) {
        if (!cJSON_IsObject(model)) {
            vgh_errf(err, errlen, "model: must be an object");
            return -1;
        }
        if (get_str(model, "kind", 0, m->model_kind, sizeof m->model_kind, err, errlen) < 0 ||
            get_str(model, "crc", 0, m->model_crc, sizeof m->model_crc, err, errlen) < 0 ||
            get_num(model, "threshold", 0, &m->threshold, err, errlen) < 0) {
            char inner[200];
            snprintf(inner, sizeof inner, "%s", err);
            vgh_errf(err, errlen, "model.%s", inner);
            return -1;
        }
    }
    int64_t v;
    const char *counters[] = {"uptime_s", "queued", "dropped"};
    for (size_t i = 0; i < 3; i++)
        CHECK(get_int(o, counters[i], 0, 0, &v, err, errlen));
    return 0;
}

static int parse_telemetry(const cJSON *o, vgc_msg_t *m, char *err, size_t errlen)
{
    CHECK(get_num(o, "score", 1, &m->score, err, errlen));
    CHECK(get_bool(o, "anomaly", &m->anomaly, err, errlen));
    CHECK(get_num(o, "t", 0, &m->t, err, errlen));
    CHECK(get_num(o, "raw", 0, &m->raw, err, errlen));
    CHECK(get_num(o, "thr", 0, &m->thr, err, errlen));
    CHECK(get_numbers(o, "values", err, errlen));
    return 0;
}

static int parse_event(const cJSON *o, vgc_msg_t *m, char *err, size_t errlen)
{
    char phase[8];
    CHECK(get_int(o, "event", 1, 1, &m->event, err, errlen));
    CHECK(get_str(o, "phase", 1, phase, sizeof phase, err, errlen));
    if (strcmp(phase, "open") != 0 && strcmp(phase, "close") != 0) {
        vgh_errf(err, errlen, "phase: must be \"open\" or \"close\"");
        return -1;
    }
    m->close = phase[0] == 'c';
    CHECK(get_num(o, "score", 1, &m->score, err, errlen));
    CHECK(get_num(o, "raw", 0, &m->raw, err, errlen));
    CHECK(get_num(o, "thr", 0, &m->thr, err, errlen));
    CHECK(get_num(o, "t_start", 0, &m->t_start, err, errlen));
    CHECK(get_num(o, "t_end", 0, &m->t_end, err, errlen));
    CHECK(get_int(o, "class", 0, 0, &m->cls, err, errlen));
    CHECK(get_str(o, "class_name", 0, m->class_name, sizeof m->class_name, err, errlen));
    CHECK(get_str(o, "kind", 0, m->model_kind, sizeof m->model_kind, err, errlen));
    CHECK(get_numbers(o, "magnitude", err, errlen));
    CHECK(get_numbers(o, "features", err, errlen));
    return 0;
}

static int parse_ack(const cJSON *o, vgc_msg_t *m, char *err, size_t errlen)
{
    CHECK(get_str(o, "id", 1, m->cmd_id, sizeof m->cmd_id, err, errlen));
    if (m->cmd_id[0] == '\0') {
        vgh_errf(err, errlen, "id: empty");
        return -1;
    }
    CHECK(get_str(o, "op", 1, m->op, sizeof m->op, err, errlen));
    CHECK(get_bool(o, "ok", &m->ok, err, errlen));
    CHECK(get_str(o, "error", 0, m->error, sizeof m->error, err, errlen));
    return 0;
}

/* Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, surrogates
 * or code points past U+10FFFF), or len when all of it is. */
static size_t utf8_bad(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07u;
        } else {
            return i;
        }
        if (len - i <= n)
            return i;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (p[i + k] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return i;
        i += n + 1;
    }
    return len;
}

/* 1 when @p p (already accepted by cJSON, valid UTF-8) is strict RFC 8259 JSON on one line:
 * numbers in JSON's grammar (cJSON also takes "+1", "01", "1."), no raw control characters
 * in strings, known escapes only, no line breaks (the text becomes an SSE data line). Such
 * text is stored as received; anything else is re-serialised by cJSON, which costs about
 * four times the parse. */
static int strict_json(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"') {
            for (i++; i < n && p[i] != '"'; i++) {
                if ((unsigned char)p[i] < 0x20)
                    return 0;
                if (p[i] == '\\') {
                    if (++i >= n || p[i] == '\0' || strchr("\"\\/bfnrtu", p[i]) == NULL)
                        return 0;
                    if (p[i] == 'u')
                        for (int k = 0; k < 4; k++)
                            if (++i >= n || p[i] == '\0' || !strchr("0123456789abcdefABCDEF", p[i]))
                                return 0;
                }
            }
            if (i >= n)
                return 0;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (c == '-' && ++i >= n)
                return 0;
            if (p[i] == '0') {
                if (++i < n && p[i] >= '0' && p[i] <= '9')
                    return 0; /* leading zero */
            } else if (p[i] >= '1' && p[i] <= '9') {
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
            } else {
                return 0;
            }
            if (i < n && p[i] == '.') {
                size_t d = ++i;
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
                if (i == d)
                    return 0;
            }
            if (i < n && (p[i] == 'e' || p[i] == 'E')) {
                if (++i < n && (p[i] == '+' || p[i] == '-'))
                    i++;
                size_t d = i;
                while (i < n && p[i] >= '0' && p[i] <= '9')
                    i++;
                if (i == d)
                    return 0;
            }
        } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',' ||
                   c == ' ' || c == '\t') {
            i++;
        } else if (n - i >= 4 && (memcmp(p + i, "true", 4) == 0 || memcmp(p + i, "null", 4) == 0)) {
            i += 4;
        } else if (n - i >= 5 && memcmp(p + i, "false", 5) == 0) {
            i += 5;
        } else {
            return 0; /* line breaks and anything cJSON tolerates beyond JSON */
        }
    }
    return 1;
}

/* Parse exactly [data, data + len) as one JSON object; trailing white space is allowed. */
static cJSON *parse_object(const void *data, size_t len, char *err, size_t errlen)
{
    if (len == 0) {
        vgh_errf(err, errlen, "payload: empty");
        return NULL;
    }
    if (len > VGC_PAYLOAD_MAX) {
        vgh_errf(err, errlen, "payload: longer than %u bytes", VGC_PAYLOAD_MAX);
        return NULL;
    }
    const char *p = data, *end = NULL;
    size_t bad = utf8_bad(data, len);
    if (bad < len) {
        vgh_errf(err, errlen, "payload: not UTF-8 (byte %zu)", bad);
        return NULL;
    }
    cJSON *o = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (o == NULL) {
        size_t at = end && end >= p && end <= p + len ? (size_t)(end - p) : 0;
        vgh_errf(err, errlen, "payload: not JSON (byte %zu)", at);
        return NULL;
    }
    size_t used = end && end >= p && end <= p + len ? (size_t)(end - p) : len;
    for (; used < len; used++) {
        char c = p[used];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            vgh_errf(err, errlen, "payload: bytes after the JSON object (byte %zu)", used);
            cJSON_Delete(o);
            return NULL;
        }
    }
    if (!cJSON_IsObject(o)) {
        vgh_errf(err, errlen, "payload: not a JSON object");
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int vgc_payload_parse(vgc_kind_t kind, const void *data, size_t len, vgc_msg_t *out, char **json,
                      char *err, size_t errlen)
{
    if (json != NULL)
        *json = NULL;
    /* Telemetry and events in the plain case (vgc_scan.h): strict JSON, kept as received. */
    if (vgc_scan_payload(kind, data, len, out) == 1) {
        if (json == NULL)
            return 0;
        *json = cJSON_malloc(len + 1);
        if (*json == NULL) {
            vgh_errf(err, errlen, "payload: out of memory");
            return -1;
        }
        memcpy(*json, data, len);
        (*json)[len] = '\0';
        return 0;
    }
    return vgc_payload_parse_generic(kind, data, len, out, json, err, errlen);
}

int vgc_payload_parse_generic(vgc_kind_t kind, const void *data, size_t len, vgc_msg_t *out,
                              char **json, char *err, size_t errlen)
{
    if (json != NULL)
        *json = NULL;
    char device[VGC_DEVICE_MAX + 1];
    memcpy(device, out->device, sizeof device);
    memset(out, 0, sizeof *out);
    memcpy(out->device, device, sizeof device);
    out->kind = kind;
    out->threshold = out->t = out->score = out->raw = out->thr = NAN;
    out->t_start = out->t_end = NAN;
    out->cls = -1;
    if ((unsigned)kind >= VGC_KIND_COUNT) {
        vgh_errf(err, errlen, "topic: unknown kind");
        return -1;
    }
    cJSON *o = parse_object(data, len, err, errlen);
    if (o == NULL)
        return -1;
    int rc = -1;
    int64_t v;
    /* status may come without boot/seq/ts (a last will written before the device had them):
     * it only updates the device's state and needs no identity for duplicates. */
    int need = kind != VGC_KIND_STATUS;
    if (get_int(o, "v", 1, 0, &v, err, errlen) != 0)
        goto done;
    if (v != VGC_PROTOCOL_V) {
        vgh_errf(err, errlen, "v: version %lld is not understood (this collector reads %d)",
                 (long long)v, VGC_PROTOCOL_V);
        goto done;
    }
    int a = get_int(o, "boot", need, 0, &out->boot, err, errlen);
    if (a < 0)
        goto done;
    int b = get_int(o, "seq", need, 1, &out->seq, err, errlen);
    if (b < 0)
        goto done;
    if (get_int(o, "ts", need, 0, &out->ts, err, errlen) < 0)
        goto done;
    out->has_seq = a == 0 && b == 0;
    switch (kind) {
    case VGC_KIND_STATUS: rc = parse_status(o, out, err, errlen); break;
    case VGC_KIND_TELEMETRY: rc = parse_telemetry(o, out, err, errlen); break;
    case VGC_KIND_EVENT: rc = parse_event(o, out, err, errlen); break;
    case VGC_KIND_ACK: rc = parse_ack(o, out, err, errlen); break;
    default: break;
    }
    if (rc == 0 && json != NULL && strict_json(data, len)) {
        *json = cJSON_malloc(len + 1);
        if (*json != NULL) {
            memcpy(*json, data, len);
            (*json)[len] = '\0';
        }
    } else if (rc == 0 && json != NULL) {
        *json = cJSON_PrintUnformatted(o);
    }
    if (rc == 0 && json != NULL) {
        if (*json == NULL) {
            vgh_errf(err, errlen, "payload: out of memory");
            rc = -1;
        }
    }
done:
    cJSON_Delete(o);
    return rc;
}

static int cmd_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VGC_CMD_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int vgc_cmd_build(const void *body, size_t len, const char *default_id, char *out, size_t outlen,
                  char *cmd_id, size_t idlen, char *err, size_t errlen)
{
    cJSON *o = parse_object(body, len, err, errlen);
    if (o == NULL)
        return -1;
    int rc = -1;
    char op[32], id[VGC_CMD_ID_MAX + 2];
    int64_t v;
    double thr;
    char *text = NULL;
    cJSON *out_obj = NULL;
    int hv = get_int(o, "v", 0, 0, &v, err, errlen);
    if (hv < 0 || (hv == 0 && v != VGC_PROTOCOL_V)) {
        if (hv == 0)
            vgh_errf(err, errlen, "v: must be %d", VGC_PROTOCOL_V);
        goto done;
    }
    int hid = get_str(o, "id", 0, id, sizeof id, err, errlen);
    if (hid < 0)
        goto done;
    if (hid == 1)
        snprintf(id, sizeof id, "%s", default_id);
    if (!cmd_id_ok(id)) {
        vgh_errf(err, errlen, "id: must be 1-%u printable characters", VGC_CMD_ID_MAX);
        goto done;
    }
    if (get_str(o, "op", 1, op, sizeof op, err, errlen) != 0)
        goto done;
    if (strcmp(op, "set_threshold") == 0) {
        if (get_num(o, "threshold", 1, &thr, err, errlen) != 0)
            goto done;
        if (!(thr > 0)) {
            vgh_errf(err, errlen, "threshold: must be a finite number > 0");
            goto done;
        }
    } else if (strcmp(op, "recalibrate") == 0) {
        if (get_int(o, "seconds", 1, 1, &v, err, errlen) != 0)
            goto done;
        if (v > 86400) {
            vgh_errf(err, errlen, "seconds: must be 1-86400");
            goto done;
        }
    } else if (strcmp(op, "status") != 0) {
        vgh_errf(err, errlen, "op: must be set_threshold, recalibrate or status");
        goto done;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "v");
    cJSON_DeleteItemFromObjectCaseSensitive(o, "id");
    /* v and id first, as in protocol.md's examples, then the sender's fields in order. */
    out_obj = cJSON_CreateObject();
    if (out_obj == NULL || cJSON_AddNumberToObject(out_obj, "v", VGC_PROTOCOL_V) == NULL ||
        cJSON_AddStringToObject(out_obj, "id", id) == NULL) {
        vgh_errf(err, errlen, "out of memory");
        goto done;
    }
    while (o->child != NULL) {
        cJSON *item = cJSON_DetachItemViaPointer(o, o->child);
        cJSON_AddItemToObject(out_obj, item->string, item);
    }
    text = cJSON_PrintUnformatted(out_obj);
    if (text == NULL || strlen(text) + 1 > outlen) {
        vgh_errf(err, errlen, "command: longer than %zu bytes", outlen - 1);
        goto done;
    }
    memcpy(out, text, strlen(text) + 1);
    snprintf(cmd_id, idlen, "%s", id);
    rc = 0;
done:
    cJSON_free(text);
    cJSON_Delete(out_obj);
    cJSON_Delete(o);
    return rc;
}

void vgc_payload_free(char *json)
{
    cJSON_free(json);
}
