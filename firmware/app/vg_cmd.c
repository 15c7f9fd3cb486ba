/* SPDX-License-Identifier: MIT */
#include "vg_cmd.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Bounded cursor over the payload: every read checks pos < len. */
typedef struct {
    const char *p;
    size_t len, pos;
} cmd__cur_t;

/* Error message builder: appends until the buffer is full, always NUL-terminated. */
typedef struct {
    char *b;
    size_t cap, n;
} cmd__msg_t;

static void msg__str(cmd__msg_t *m, const char *s)
{
    while (*s && m->n + 1 < m->cap)
        m->b[m->n++] = *s++;
    if (m->cap)
        m->b[m->n] = '\0';
}

static void msg__uint(cmd__msg_t *m, unsigned long v)
{
    char t[24];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    char s[24];
    for (size_t i = 0; i < n; i++)
        s[i] = t[n - 1 - i];
    s[n] = '\0';
    msg__str(m, s);
}

/* Parser state: the first error wins; a syntax error stops the parse. */
typedef struct {
    cmd__cur_t c;
    vg_cmd_t *cmd;
    char *err;
    size_t errlen;
    int failed; /* an error is recorded */
    int syntax; /* ... and it is a syntax error: stop */
    uint8_t seen;
} cmd__p_t;

enum { SEEN_V = 1, SEEN_ID = 2, SEEN_OP = 4, SEEN_THR = 8, SEEN_SEC = 16 };

/* field: message [at byte N]. The first error is kept, except that a syntax error replaces
 * an earlier field's error (a payload that is not JSON is reported as such). */
static void cmd__fail(cmd__p_t *p, const char *field, const char *what, const char *quote, int at,
                      int syntax)
{
    if (p->failed && (p->syntax || !syntax))
        return;
    p->failed = 1;
    p->syntax = syntax;
    if (!p->err || !p->errlen)
        return;
    cmd__msg_t m = {p->err, p->errlen, 0};
    msg__str(&m, field);
    msg__str(&m, ": ");
    msg__str(&m, what);
    if (quote) {
        msg__str(&m, " '");
        msg__str(&m, quote);
        msg__str(&m, "'");
    }
    if (at) {
        msg__str(&m, " at byte ");
        msg__uint(&m, (unsigned long)p->c.pos);
    }
}

static void cmd__syntax(cmd__p_t *p, const char *field, const char *what)
{
    cmd__fail(p, field, what, NULL, 1, 1);
}

static int cur__more(const cmd__cur_t *c)
{
    return c->pos < c->len;
}

static char cur__peek(const cmd__cur_t *c)
{
    return c->pos < c->len ? c->p[c->pos] : '\0';
}

static void cur__ws(cmd__cur_t *c)
{
    while (c->pos < c->len) {
        char ch = c->p[c->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r')
            break;
        c->pos++;
    }
}

static int cmd__hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One \uXXXX code unit after the "\u"; -1 when malformed. */
static long cmd__u4(cmd__cur_t *c)
{
    if (c->len - c->pos < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = cmd__hex(c->p[c->pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    c->pos += 4;
    return v;
}

/* A string at the cursor (which is on the opening quote). Decoded into out (cap bytes with
 * the NUL; NULL to skip); *n is the decoded length, *cut set when it did not fit; *ascii
 * cleared when a character is not printable ASCII. Returns 0, or -1 after a syntax error. */
static int cmd__string(cmd__p_t *p, const char *field, char *out, size_t cap, size_t *n, int *cut,
                       int *ascii)
{
    cmd__cur_t *c = &p->c;
    size_t k = 0;
    *cut = 0;
    *ascii = 1;
    c->pos++; /* the quote */
    for (;;) {
        if (!cur__more(c)) {
            cmd__syntax(p, field, "unterminated string");
            return -1;
        }
        unsigned char ch = (unsigned char)c->p[c->pos];
        unsigned char enc[4];
        size_t ne = 1;
        if (ch == '"') {
            c->pos++;
            break;
        }
        if (ch < 0x20) {
            cmd__syntax(p, field, "control character in a string");
            return -1;
        }
        if (ch == '\\') {
            c->pos++;
            char e = cur__peek(c);
            if (!cur__more(c)) {
                cmd__syntax(p, field, "unterminated string");
                return -1;
            }
            c->pos++;
            switch (e) {
            case '"': enc[0] = '"'; break;
            case '\\': enc[0] = '\\'; break;
            case '/': enc[0] = '/'; break;
            case 'b': enc[0] = '\b'; break;
            case 'f': enc[0] = '\f'; break;
            case 'n': enc[0] = '\n'; break;
            case 'r': enc[0] = '\r'; break;
            case 't': enc[0] = '\t'; break;
            case 'u': {
                long u = cmd__u4(c);
                if (u < 0) {
                    cmd__syntax(p, field, "bad \\u escape");
                    return -1;
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    /* a high surrogate must be followed by \u and a low one */
                    long lo = -1;
                    if (c->len - c->pos >= 2 && c->p[c->pos] == '\\' && c->p[c->pos + 1] == 'u') {
                        c->pos += 2;
                        lo = cmd__u4(c);
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        cmd__syntax(p, field, "unpaired surrogate in a \\u escape");
                        return -1;
                    }
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    cmd__syntax(p, field, "unpaired surrogate in a \\u escape");
                    return -1;
                }
                if (u < 0x80) {
                    enc[0] = (unsigned char)u;
                } else if (u < 0x800) {
                    enc[0] = (unsigned char)(0xC0 | (u >> 6));
                    enc[1] = (unsigned char)(0x80 | (u & 0x3F));
                    ne = 2;
                } else if (u < 0x10000) {
                    enc[0] = (unsigned char)(0xE0 | (u >> 12));
                    enc[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    enc[2] = (unsigned char)(0x80 | (u & 0x3F));
                    ne = 3;
                } else {
                    enc[0] = (unsigned char)(0xF0 | (u >> 18));
                    enc[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
                    enc[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
                    enc[3] = (unsigned char)(0x80 | (u & 0x3F));
                    ne = 4;
                }
                break;
            }
            default: cmd__syntax(p, field, "bad escape in a string"); return -1;
            }
        } else {
            enc[0] = ch;
            c->pos++;
        }
        for (size_t i = 0; i < ne; i++) {
            if (enc[i] < 0x20 || enc[i] > 0x7E)
                *ascii = 0;
            if (out && k + 1 < cap)
                out[k] = (char)enc[i];
            else
                *cut = 1;
            k++;
        }
    }
    if (out && cap) {
        size_t end = k < cap ? k : cap - 1;
        out[end] = '\0';
    }
    *n = k;
    return 0;
}

/* A JSON number at the cursor. *val its value (decimal digits beyond the 19th are only
 * counted, so the value is within 1e-18 relative of the text); *integral when the value is a
 * whole number. Returns 0, or -1 after a syntax error. */
static int cmd__number(cmd__p_t *p, const char *field, double *val)
{
    cmd__cur_t *c = &p->c;
    int neg = 0;
    uint64_t mant = 0;
    int digits = 0;
    long exp10 = 0;
    if (cur__peek(c) == '-') {
        neg = 1;
        c->pos++;
    }
    char ch = cur__peek(c);
    if (!cur__more(c) || ch < '0' || ch > '9') {
        cmd__syntax(p, field, "not a number");
        return -1;
    }
    if (ch == '0') {
        c->pos++;
        ch = cur__peek(c);
        if (cur__more(c) && ch >= '0' && ch <= '9') {
            cmd__syntax(p, field, "leading zero in a number");
            return -1;
        }
    } else {
        while (cur__more(c) && (ch = cur__peek(c)) >= '0' && ch <= '9') {
            if (digits < 19) {
                mant = mant * 10u + (uint64_t)(ch - '0');
                digits++;
            } else {
                exp10++;
            }
            c->pos++;
        }
    }
    if (cur__peek(c) == '.' && cur__more(c)) {
        c->pos++;
        int any = 0;
        while (cur__more(c) && (ch = cur__peek(c)) >= '0' && ch <= '9') {
            if (digits < 19 && !(mant == 0 && ch == '0' && digits == 0)) {
                mant = mant * 10u + (uint64_t)(ch - '0');
                digits++;
                exp10--;
            } else if (mant == 0 && digits == 0) {
                exp10--; /* leading zeros of a fraction */
            }
            any = 1;
            c->pos++;
        }
        if (!any) {
            cmd__syntax(p, field, "no digits after the decimal point");
            return -1;
        }
    }
    ch = cur__peek(c);
    if (cur__more(c) && (ch == 'e' || ch == 'E')) {
        c->pos++;
        int eneg = 0;
        long e = 0;
        ch = cur__peek(c);
        if (cur__more(c) && (ch == '+' || ch == '-')) {
            eneg = ch == '-';
            c->pos++;
        }
        int any = 0;
        while (cur__more(c) && (ch = cur__peek(c)) >= '0' && ch <= '9') {
            if (e < 100000)
                e = e * 10 + (ch - '0');
            any = 1;
            c->pos++;
        }
        if (!any) {
            cmd__syntax(p, field, "no digits in the exponent");
            return -1;
        }
        exp10 += eneg ? -e : e;
    }
    double v = (double)mant;
    if (mant != 0) {
        if (exp10 > 400)
            v = HUGE_VAL;
        else if (exp10 < -400)
            v = 0.0;
        else {
            long e = exp10;
            while (e > 0) {
                long s = e > 22 ? 22 : e;
                v *= pow(10.0, (double)s);
                e -= s;
            }
            while (e < 0) {
                long s = e < -22 ? 22 : -e;
                v /= pow(10.0, (double)s);
                e += s;
            }
        }
    }
    *val = neg ? -v : v;
    return 0;
}

/* Skip any JSON value (an unknown field's). */
static int cmd__skip(cmd__p_t *p, const char *field, unsigned depth)
{
    cmd__cur_t *c = &p->c;
    char ch = cur__peek(c);
    if (!cur__more(c)) {
        cmd__syntax(p, field, "missing value");
        return -1;
    }
    if (ch == '"') {
        size_t n;
        int cut, ascii;
        return cmd__string(p, field, NULL, 0, &n, &cut, &ascii);
    }
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        double v;
        return cmd__number(p, field, &v);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t l = strlen(words[i]);
        if (c->len - c->pos >= l && memcmp(c->p + c->pos, words[i], l) == 0) {
            c->pos += l;
            return 0;
        }
    }
    if (ch != '{' && ch != '[') {
        cmd__syntax(p, field, "not a JSON value");
        return -1;
    }
    if (depth >= VG_CMD_MAX_DEPTH) {
        cmd__syntax(p, field, "nested too deeply");
        return -1;
    }
    char close = ch == '{' ? '}' : ']';
    c->pos++;
    cur__ws(c);
    if (cur__peek(c) == close && cur__more(c)) {
        c->pos++;
        return 0;
    }
    for (;;) {
        cur__ws(c);
        if (close == '}') {
            if (cur__peek(c) != '"' || !cur__more(c)) {
                cmd__syntax(p, field, "expected a member name");
                return -1;
            }
            size_t n;
            int cut, ascii;
            if (cmd__string(p, field, NULL, 0, &n, &cut, &ascii) != 0)
                return -1;
            cur__ws(c);
            if (cur__peek(c) != ':' || !cur__more(c)) {
                cmd__syntax(p, field, "expected ':' after a name");
                return -1;
            }
            c->pos++;
            cur__ws(c);
        }
        if (cmd__skip(p, field, depth + 1) != 0)
            return -1;
        cur__ws(c);
        ch = cur__peek(c);
        if (cur__more(c) && ch == ',') {
            c->pos++;
            continue;
        }
        if (cur__more(c) && ch == close) {
            c->pos++;
            return 0;
        }
        cmd__syntax(p, field, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
        return -1;
    }
}

static const char *const cmd__ops[] = {NULL, "set_threshold", "recalibrate", "status"};

const char *vg_cmd_op_name(unsigned op)
{
    return op >= 1 && op <= 3 ? cmd__ops[op] : NULL;
}

/* The value of one member named key. */
static int cmd__member(cmd__p_t *p, const char *key, int known_key)
{
    cmd__cur_t *c = &p->c;
    vg_cmd_t *cmd = p->cmd;
    static const char *const names[] = {"v", "id", "op", "threshold", "seconds"};
    int which = -1;
    for (int i = 0; i < 5 && known_key; i++)
        if (strcmp(key, names[i]) == 0)
            which = i;
    if (which < 0)
        return cmd__skip(p, "payload", 0);
    uint8_t bit = (uint8_t)(1u << which);
    if (p->seen & bit)
        cmd__fail(p, key, "given more than once", NULL, 0, 0);
    p->seen |= bit;
    char ch = cur__peek(c);
    int is_num = cur__more(c) && (ch == '-' || (ch >= '0' && ch <= '9'));
    int is_str = cur__more(c) && ch == '"';
    double v = 0;
    switch (which) {
    case 0: /* v */
        if (!is_num) {
            cmd__fail(p, "v", "must be the protocol version, the integer 1", NULL, 0, 0);
            return cmd__skip(p, "v", 0);
        }
        if (cmd__number(p, "v", &v) != 0)
            return -1;
        if (v != 1.0)
            cmd__fail(p, "v", "protocol version not supported (this device speaks 1)", NULL, 0, 0);
        return 0;
    case 1: { /* id */
        if (!is_str) {
            cmd__fail(p, "id", "must be a string of 1-64 printable characters", NULL, 0, 0);
            return cmd__skip(p, "id", 0);
        }
        char id[VG_CMD_ID_MAX + 1];
        size_t n;
        int cut, ascii;
        if (cmd__string(p, "id", id, sizeof id, &n, &cut, &ascii) != 0)
            return -1;
        if (n == 0 || cut || !ascii) {
            cmd__fail(p, "id", "must be a string of 1-64 printable characters", NULL, 0, 0);
            return 0;
        }
        if (!cmd->has_id) { /* a repeated id is an error; the ack echoes the first */
            memcpy(cmd->id, id, n + 1);
            cmd->has_id = 1;
        }
        return 0;
    }
    case 2: { /* op */
        if (!is_str) {
            cmd__fail(p, "op", "must be a string (set_threshold, recalibrate, status)", NULL, 0, 0);
            return cmd__skip(p, "op", 0);
        }
        char op[VG_CMD_OP_MAX + 1];
        size_t n;
        int cut, ascii;
        if (cmd__string(p, "op", op, sizeof op, &n, &cut, &ascii) != 0)
            return -1;
        if (n == 0 || cut || !ascii) {
            cmd__fail(p, "op", "unknown operation (set_threshold, recalibrate, status)", NULL, 0,
                      0);
            return 0;
        }
        memcpy(cmd->op_name, op, n + 1);
        cmd->has_op_name = 1;
        for (unsigned k = 1; k <= 3; k++)
            if (strcmp(op, cmd__ops[k]) == 0)
                cmd->op = (uint8_t)k;
        if (cmd->op == VG_CMD_NONE)
            cmd__fail(p, "op", "unknown operation", op, 0, 0);
        return 0;
    }
    case 3: /* threshold */
        if (!is_num) {
            cmd__fail(p, "threshold", "must be a finite number > 0", NULL, 0, 0);
            return cmd__skip(p, "threshold", 0);
        }
        if (cmd__number(p, "threshold", &v) != 0)
            return -1;
        /* The detector keeps the threshold as a float: it must be one, and not round to 0. */
        if (!(v > 0.0) || !(v <= (double)FLT_MAX) || !((float)v > 0.0f))
            cmd__fail(p, "threshold", "must be a finite number > 0", NULL, 0, 0);
        else
            cmd->threshold = (float)v;
        return 0;
    default: /* seconds */
        if (!is_num) {
            cmd__fail(p, "seconds", "must be an integer from 1 to 86400", NULL, 0, 0);
            return cmd__skip(p, "seconds", 0);
        }
        if (cmd__number(p, "seconds", &v) != 0)
            return -1;
        if (!(v >= 1.0 && v <= (double)VG_CMD_SECONDS_MAX) || v != floor(v))
            cmd__fail(p, "seconds", "must be an integer from 1 to 86400", NULL, 0, 0);
        else
            cmd->seconds = (uint32_t)v;
        return 0;
    }
}

static vg_status_t cmd__parse(const char *payload, size_t len, vg_cmd_t *cmd, char *err,
                              size_t errlen)
{
    memset(cmd, 0, sizeof *cmd);
    if (err && errlen)
        err[0] = '\0';
    cmd__p_t p;
    memset(&p, 0, sizeof p);
    p.c.p = payload;
    p.c.len = payload ? len : 0;
    p.cmd = cmd;
    p.err = err;
    p.errlen = errlen;
    cmd__cur_t *c = &p.c;
    if (len > VG_CMD_MAX_LEN) {
        cmd__fail(&p, "payload", "longer than 4096 bytes", NULL, 0, 1);
        return VG_ERR_FORMAT;
    }
    cur__ws(c);
    if (!cur__more(c)) {
        cmd__fail(&p, "payload", "empty (expected a JSON object)", NULL, 0, 1);
        return VG_ERR_FORMAT;
    }
    if (cur__peek(c) != '{') {
        cmd__syntax(&p, "payload", "expected a JSON object '{'");
        return VG_ERR_FORMAT;
    }
    c->pos++;
    cur__ws(c);
    if (cur__more(c) && cur__peek(c) == '}') {
        c->pos++;
    } else {
        for (;;) {
            cur__ws(c);
            if (!cur__more(c) || cur__peek(c) != '"') {
                cmd__syntax(&p, "payload", "expected a member name");
                return VG_ERR_FORMAT;
            }
            char key[16];
            size_t n;
            int cut, ascii;
            if (cmd__string(&p, "payload", key, sizeof key, &n, &cut, &ascii) != 0)
                return VG_ERR_FORMAT;
            /* A name with a NUL inside, or longer than any known one, is unknown. */
            int known = !cut && strlen(key) == n;
            cur__ws(c);
            if (!cur__more(c) || cur__peek(c) != ':') {
                cmd__syntax(&p, known ? key : "payload", "expected ':' after the name");
                return VG_ERR_FORMAT;
            }
            c->pos++;
            cur__ws(c);
            if (!cur__more(c)) {
                cmd__syntax(&p, known ? key : "payload", "missing value");
                return VG_ERR_FORMAT;
            }
            if (cmd__member(&p, key, known) != 0)
                return VG_ERR_FORMAT;
            size_t after = c->pos;
            cur__ws(c);
            char ch = cur__peek(c);
            if (cur__more(c) && ch == ',') {
                c->pos++;
                continue;
            }
            if (cur__more(c) && ch == '}') {
                c->pos++;
                break;
            }
            /* Text glued to a value ("1.2.3", "0x10") belongs to that field. */
            if (cur__more(c) && known && c->pos == after)
                cmd__syntax(&p, key, "unexpected text after the value");
            else
                cmd__syntax(&p, "payload", "expected ',' or '}'");
            return VG_ERR_FORMAT;
        }
    }
    cur__ws(c);
    if (cur__more(c)) {
        cmd__syntax(&p, "payload", "text after the JSON object");
        return VG_ERR_FORMAT;
    }
    if (p.failed)
        return VG_ERR_FORMAT;
    if (!(p.seen & SEEN_V))
        cmd__fail(&p, "v", "missing (the protocol version, 1)", NULL, 0, 0);
    else if (!(p.seen & SEEN_ID))
        cmd__fail(&p, "id", "missing", NULL, 0, 0);
    else if (!(p.seen & SEEN_OP))
        cmd__fail(&p, "op", "missing (set_threshold, recalibrate, status)", NULL, 0, 0);
    else if (cmd->op == VG_CMD_SET_THRESHOLD && !(p.seen & SEEN_THR))
        cmd__fail(&p, "threshold", "missing (set_threshold needs it)", NULL, 0, 0);
    else if (cmd->op == VG_CMD_RECALIBRATE && !(p.seen & SEEN_SEC))
        cmd__fail(&p, "seconds", "missing (recalibrate needs it)", NULL, 0, 0);
    else if (cmd->op != VG_CMD_SET_THRESHOLD && (p.seen & SEEN_THR))
        cmd__fail(&p, "threshold", "only set_threshold takes it", NULL, 0, 0);
    else if (cmd->op != VG_CMD_RECALIBRATE && (p.seen & SEEN_SEC))
        cmd__fail(&p, "seconds", "only recalibrate takes it", NULL, 0, 0);
    return p.failed ? VG_ERR_FORMAT : VG_OK;
}

vg_status_t vg_cmd_parse(const char *payload, size_t len, vg_cmd_t *cmd, char *err, size_t errlen)
{
    if (!cmd)
        return VG_ERR_ARG;
    vg_status_t st = cmd__parse(payload, len, cmd, err, errlen);
    if (st != VG_OK)
        cmd->op = VG_CMD_NONE; /* nothing of a refused command is acted on */
    return st;
}
