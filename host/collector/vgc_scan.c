/* SPDX-License-Identifier: MIT */
/* A one-pass reader of telemetry and event payloads (vgc_scan.h). Profiling a drain of
 * 200,000 events (bench/fleet) put a fifth of the MQTT thread's time in cJSON: a node, a key
 * copy and a strtod for every field, then a strcmp walk per looked-up field, then the frees.
 * Here a bounded cursor walks the bytes once, keeps pointers to the values of the fields the
 * store needs, skips (but checks) the others, and converts only those numbers.
 *
 * Equivalence with the cJSON reader is by construction: the scanner accepts a subset of what
 * cJSON accepts (JSON's own grammar, no escapes, ASCII, spaces and tabs only, at most 63
 * characters per number as cJSON reads, nesting up to 32), takes the first and only
 * occurrence of each known field as cJSON_GetObjectItemCaseSensitive would, converts numbers
 * with strtod as cJSON does (integers of up to 15 digits directly, which is exact), and
 * applies the same checks; whatever fails any of that is declined, never refused. */
#include "vgc_scan.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_DEPTH_MAX 32                 /* deeper payloads go to cJSON */
#define SCAN_NUM_MAX   63                 /* cJSON reads at most 63 characters of a number */
#define SCAN_INT_MAX   9007199254740991.0 /* as PAYLOAD_INT_MAX in vgc_payload.c */

typedef struct {
    const char *p, *end;
} scan_cur_t;

typedef enum { V_NONE = 0, V_NUM, V_STR, V_TRUE, V_FALSE, V_NULL, V_OBJ, V_ARR } scan_type_t;

typedef struct {
    scan_type_t t;
    const char *p; /* number text or string contents (no quotes) */
    size_t n;
    int numeric; /* object: every member is a number or null */
} scan_val_t;

static int scan_value(scan_cur_t *c, scan_val_t *v, int depth);

static void scan_ws(scan_cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* A string without escapes, control characters or bytes >= 0x80; c->p at the quote. */
static int scan_str(scan_cur_t *c, const char **s, size_t *n)
{
    if (c->p >= c->end || *c->p != '"')
        return -1;
    const char *b = ++c->p;
    for (; c->p < c->end; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            *s = b;
            *n = (size_t)(c->p - b);
            c->p++;
            return 0;
        }
        if (ch < 0x20 || ch >= 0x80 || ch == '\\')
            return -1;
    }
    return -1;
}

static int scan_digits(scan_cur_t *c)
{
    const char *b = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > b;
}

/* A number in JSON's grammar (no leading zeros, no '+', digits after '.' and 'e'). */
static int scan_num(scan_cur_t *c, scan_val_t *v)
{
    const char *b = c->p;
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return -1;
    if (*c->p == '0')
        c->p++;
    else if (!scan_digits(c))
        return -1;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!scan_digits(c))
            return -1;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!scan_digits(c))
            return -1;
    }
    v->t = V_NUM;
    v->p = b;
    v->n = (size_t)(c->p - b);
    return v->n <= SCAN_NUM_MAX ? 0 : -1;
}

static int scan_lit(scan_cur_t *c, const char *word, size_t n, scan_type_t t, scan_val_t *v)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return -1;
    c->p += n;
    v->t = t;
    return 0;
}

/* '{' or '[' at c->p: members until the closing bracket. */
static int scan_compound(scan_cur_t *c, scan_val_t *v, int depth)
{
    int obj = *c->p == '{';
    char close = obj ? '}' : ']';
    if (depth > SCAN_DEPTH_MAX)
        return -1;
    c->p++;
    v->t = obj ? V_OBJ : V_ARR;
    v->numeric = 1;
    scan_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        scan_val_t m = {0};
        scan_ws(c);
        if (obj) {
            const char *k;
            size_t kn;
            if (scan_str(c, &k, &kn) != 0)
                return -1;
            scan_ws(c);
            if (c->p >= c->end || *c->p != ':')
                return -1;
            c->p++;
            scan_ws(c);
        }
        if (scan_value(c, &m, depth) != 0)
            return -1;
        if (m.t != V_NUM && m.t != V_NULL)
            v->numeric = 0;
        scan_ws(c);
        if (c->p >= c->end)
            return -1;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != close)
            return -1;
        c->p++;
        return 0;
    }
}

static int scan_value(scan_cur_t *c, scan_val_t *v, int depth)
{
    if (c->p >= c->end)
        return -1;
    switch (*c->p) {
    case '"': v->t = V_STR; return scan_str(c, &v->p, &v->n);
    case '{':
    case '[': return scan_compound(c, v, depth + 1);
    case 't': return scan_lit(c, "true", 4, V_TRUE, v);
    case 'f': return scan_lit(c, "false", 5, V_FALSE, v);
    case 'n': return scan_lit(c, "null", 4, V_NULL, v);
    default: return scan_num(c, v);
    }
}

/* The number's value as strtod (and so cJSON) gives it. */
static double scan_double(const scan_val_t *v)
{
    const char *p = v->p;
    size_t n = v->n, i = p[0] == '-' ? 1u : 0u;
    if (n - i <= 15) {
        /* Up to 15 digits is below 2^53: the integer is exact as a double, as strtod's is. */
        int64_t x = 0;
        size_t k = i;
        for (; k < n && p[k] >= '0' && p[k] <= '9'; k++)
            x = x * 10 + (p[k] - '0');
        if (k == n)
            return i ? -(double)x : (double)x;
    }
    char buf[SCAN_NUM_MAX + 1];
    memcpy(buf, p, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

/* As vgc_payload.c's get_* readers: 0 set, 1 absent (optional, or null when optional),
 * -1 wrong. */
static int scan_int(const scan_val_t *v, int required, double lo, int64_t *out)
{
    if (v->t == V_NONE || (!required && v->t == V_NULL))
        return required ? -1 : 1;
    if (v->t != V_NUM)
        return -1;
    double d = scan_double(v);
    if (!isfinite(d) || d != floor(d) || d < lo || d > SCAN_INT_MAX)
        return -1;
    *out = (int64_t)d;
    return 0;
}

static int scan_num_field(const scan_val_t *v, int required, double *out)
{
    *out = NAN;
    if (v->t == V_NONE || (!required && v->t == V_NULL))
        return required ? -1 : 1;
    if (v->t != V_NUM)
        return -1;
    double d = scan_double(v);
    if (!isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static int scan_str_field(const scan_val_t *v, int required, char *out, size_t outlen)
{
    out[0] = '\0';
    if (v->t == V_NONE || (!required && v->t == V_NULL))
        return required ? -1 : 1;
    if (v->t != V_STR || v->n >= outlen)
        return -1;
    memcpy(out, v->p, v->n);
    out[v->n] = '\0';
    return 0;
}

static int scan_numbers(const scan_val_t *v)
{
    if (v->t == V_NONE || v->t == V_NULL)
        return 1;
    return v->t == V_OBJ && v->numeric ? 0 : -1;
}

/* Field tables: the first four are the identity every device message carries. */
enum { F_V, F_BOOT, F_SEQ, F_TS, F_SCORE, F_RAW, F_THR, F_KIND_FIRST };
enum { FT_ANOMALY = F_KIND_FIRST, FT_T, FT_VALUES, FT_N };
enum {
    FE_EVENT = F_KIND_FIRST,
    FE_PHASE,
    FE_T_START,
    FE_T_END,
    FE_CLASS,
    FE_CLASS_NAME,
    FE_KIND,
    FE_MAGNITUDE,
    FE_FEATURES,
    FE_N
};
static const char *const tel_fields[FT_N] = {"v",   "boot", "seq",     "ts", "score",
                                             "raw", "thr",  "anomaly", "t",  "values"};
static const char *const ev_fields[FE_N] = {
    "v",     "boot",    "seq",   "ts",    "score",      "raw",  "thr",       "event",
    "phase", "t_start", "t_end", "class", "class_name", "kind", "magnitude", "features"};

#define SCAN_FIELDS_MAX 16

int vgc_scan_payload(vgc_kind_t kind, const char *data, size_t len, vgc_msg_t *out)
{
    const char *const *names;
    size_t nf;
    if (kind == VGC_KIND_TELEMETRY)
        names = tel_fields, nf = FT_N;
    else if (kind == VGC_KIND_EVENT)
        names = ev_fields, nf = FE_N;
    else
        return 0;
    if (len == 0 || len > VGC_PAYLOAD_MAX)
        return 0;
    scan_val_t f[SCAN_FIELDS_MAX];
    memset(f, 0, sizeof f);
    scan_cur_t c = {data, data + len};
    scan_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return 0;
    c.p++;
    scan_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        return 0; /* {}: "v: missing", said by the cJSON reader */
    }
    for (;;) {
        const char *k;
        size_t kn;
        scan_val_t v = {0};
        scan_ws(&c);
        if (scan_str(&c, &k, &kn) != 0)
            return 0;
        scan_ws(&c);
        if (c.p >= c.end || *c.p != ':')
            return 0;
        c.p++;
        scan_ws(&c);
        if (scan_value(&c, &v, 1) != 0)
            return 0;
        for (size_t i = 0; i < nf; i++) {
            if (strlen(names[i]) == kn && memcmp(names[i], k, kn) == 0) {
                if (f[i].t != V_NONE)
                    return 0; /* twice: cJSON would take the first; let it */
                f[i] = v;
                break;
            }
        }
        scan_ws(&c);
        if (c.p >= c.end)
            return 0;
        if (*c.p == ',') {
            c.p++;
            continue;
        }
        if (*c.p != '}')
            return 0;
        c.p++;
        break;
    }
    scan_ws(&c);
    if (c.p != c.end)
        return 0;

    char device[VGC_DEVICE_MAX + 1];
    memcpy(device, out->device, sizeof device);
    memset(out, 0, sizeof *out);
    memcpy(out->device, device, sizeof device);
    out->kind = kind;
    out->threshold = out->t = out->score = out->raw = out->thr = NAN;
    out->t_start = out->t_end = NAN;
    out->cls = -1;
    int64_t ver;
    if (scan_int(&f[F_V], 1, 0, &ver) != 0 || ver != VGC_PROTOCOL_V ||
        scan_int(&f[F_BOOT], 1, 0, &out->boot) != 0 || scan_int(&f[F_SEQ], 1, 1, &out->seq) != 0 ||
        scan_int(&f[F_TS], 1, 0, &out->ts) != 0)
        return 0;
    out->has_seq = 1;
    if (scan_num_field(&f[F_SCORE], 1, &out->score) < 0 ||
        scan_num_field(&f[F_RAW], 0, &out->raw) < 0 || scan_num_field(&f[F_THR], 0, &out->thr) < 0)
        return 0;
    if (kind == VGC_KIND_TELEMETRY) {
        if (f[FT_ANOMALY].t != V_TRUE && f[FT_ANOMALY].t != V_FALSE)
            return 0;
        out->anomaly = f[FT_ANOMALY].t == V_TRUE;
        if (scan_num_field(&f[FT_T], 0, &out->t) < 0 || scan_numbers(&f[FT_VALUES]) < 0)
            return 0;
        return 1;
    }
    char phase[8];
    if (scan_int(&f[FE_EVENT], 1, 1, &out->event) != 0 ||
        scan_str_field(&f[FE_PHASE], 1, phase, sizeof phase) != 0)
        return 0;
    if (strcmp(phase, "open") != 0 && strcmp(phase, "close") != 0)
        return 0;
    out->close = phase[0] == 'c';
    if (scan_num_field(&f[FE_T_START], 0, &out->t_start) < 0 ||
        scan_num_field(&f[FE_T_END], 0, &out->t_end) < 0 ||
        scan_int(&f[FE_CLASS], 0, 0, &out->cls) < 0 ||
        scan_str_field(&f[FE_CLASS_NAME], 0, out->class_name, sizeof out->class_name) < 0 ||
        scan_str_field(&f[FE_KIND], 0, out->model_kind, sizeof out->model_kind) < 0 ||
        scan_numbers(&f[FE_MAGNITUDE]) < 0 || scan_numbers(&f[FE_FEATURES]) < 0)
        return 0;
    return 1;
}
