/* SPDX-License-Identifier: MIT */
#include "vg_json.h"

#include <math.h>
#include <string.h>

/* Powers of ten that doubles hold exactly: scaling by one of them rounds once. */
static const double json__p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double json__scale10(double a, int p)
{
    while (p > 22) {
        a *= 1e22;
        p -= 22;
    }
    while (p < -22) {
        a /= 1e22;
        p += 22;
    }
    return p >= 0 ? a * json__p10[p] : a / json__p10[-p];
}

static size_t json__udec(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

size_t vg_json_fmt_num(char *out, size_t cap, double v, unsigned sig)
{
    char b[40];
    size_t n = 0;
    if (!isfinite(v)) {
        memcpy(b, "null", 4);
        n = 4;
    } else if (v == 0.0) {
        b[n++] = '0';
    } else {
        if (sig < 1)
            sig = 1;
        if (sig > 17)
            sig = 17;
        double a = fabs(v);
        int e = (int)floor(log10(a));
        uint64_t lo = 1, m = 0;
        for (unsigned i = 1; i < sig; i++)
            lo *= 10u;
        /* log10 may be off by one near powers of ten, and rounding may carry into a new
         * digit: settle the exponent so that lo <= m < 10 lo. */
        for (int tries = 0; tries < 3; tries++) {
            double s = floor(json__scale10(a, (int)sig - 1 - e) + 0.5);
            if (s >= (double)lo * 10.0) {
                e++;
                continue;
            }
            if (s < (double)lo) {
                e--;
                continue;
            }
            m = (uint64_t)s;
            break;
        }
        if (m == 0) /* could not settle (cannot happen for finite non-zero input) */
            m = lo;
        char d[20];
        size_t nd = json__udec(d, m);
        while (nd > 1 && d[nd - 1] == '0')
            nd--;
        if (v < 0)
            b[n++] = '-';
        if (e >= -5 && e < 15) {
            if (e >= 0) {
                for (int i = 0; i <= e; i++)
                    b[n++] = (size_t)i < nd ? d[i] : '0';
                if (nd > (size_t)e + 1) {
                    b[n++] = '.';
                    for (size_t i = (size_t)e + 1; i < nd; i++)
                        b[n++] = d[i];
                }
            } else {
                b[n++] = '0';
                b[n++] = '.';
                for (int i = 0; i < -e - 1; i++)
                    b[n++] = '0';
                for (size_t i = 0; i < nd; i++)
                    b[n++] = d[i];
            }
        } else {
            b[n++] = d[0];
            if (nd > 1) {
                b[n++] = '.';
                for (size_t i = 1; i < nd; i++)
                    b[n++] = d[i];
            }
            b[n++] = 'e';
            if (e < 0)
                b[n++] = '-';
            n += json__udec(b + n, (uint64_t)(e < 0 ? -e : e));
        }
    }
    if (n + 1 > cap)
        return 0;
    memcpy(out, b, n);
    out[n] = '\0';
    return n;
}

void vg_jw_init(vg_jw_t *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    w->first[0] = 1;
    if (cap == 0)
        w->overflow = 1;
    else
        buf[0] = '\0';
}

static void jw__put(vg_jw_t *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (n + 1 > w->cap - w->len) { /* keep room for the NUL */
        w->overflow = 1;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Before any value: the comma between siblings (none right after a key). */
static void jw__value(vg_jw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        jw__put(w, ",", 1);
    w->first[w->depth] = 0;
}

static void jw__open(vg_jw_t *w, char c)
{
    jw__value(w);
    if (w->depth + 1 >= VG_JW_MAX_DEPTH) {
        w->bad = 1;
        return;
    }
    jw__put(w, &c, 1);
    w->depth++;
    w->first[w->depth] = 1;
    w->close[w->depth] = c == '{' ? '}' : ']';
}

void vg_jw_obj(vg_jw_t *w)
{
    jw__open(w, '{');
}

void vg_jw_arr(vg_jw_t *w)
{
    jw__open(w, '[');
}

void vg_jw_end(vg_jw_t *w)
{
    /* A key without its value, or nothing open, is misuse. */
    if (w->depth == 0 || w->after_key) {
        w->bad = 1;
        return;
    }
    jw__put(w, &w->close[w->depth], 1);
    w->depth--;
}

static void jw__escaped(vg_jw_t *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    jw__put(w, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t k = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            k = 2;
        } else if (c == '\n') {
            esc[0] = '\\';
            esc[1] = 'n';
            k = 2;
        } else if (c == '\r') {
            esc[0] = '\\';
            esc[1] = 'r';
            k = 2;
        } else if (c == '\t') {
            esc[0] = '\\';
            esc[1] = 't';
            k = 2;
        } else if (c < 0x20 || c == 0x7f) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15u];
            k = 6;
        }
        if (k) {
            jw__put(w, s + i - run, run);
            run = 0;
            jw__put(w, esc, k);
        } else {
            run++;
        }
    }
    jw__put(w, s + n - run, run);
    jw__put(w, "\"", 1);
}

void vg_jw_key(vg_jw_t *w, const char *key)
{
    if (w->depth == 0 || w->after_key) {
        w->bad = 1;
        return;
    }
    jw__value(w);
    jw__escaped(w, key, strlen(key));
    jw__put(w, ":", 1);
    w->after_key = 1;
}

void vg_jw_strn(vg_jw_t *w, const char *s, size_t n)
{
    jw__value(w);
    jw__escaped(w, s, n);
}

void vg_jw_str(vg_jw_t *w, const char *s)
{
    if (!s) {
        vg_jw_null(w);
        return;
    }
    vg_jw_strn(w, s, strlen(s));
}

void vg_jw_uint(vg_jw_t *w, uint64_t v)
{
    char b[24];
    jw__value(w);
    jw__put(w, b, json__udec(b, v));
}

void vg_jw_int(vg_jw_t *w, int64_t v)
{
    char b[24];
    jw__value(w);
    size_t n = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        b[n++] = '-';
        u = ~u + 1u; /* |INT64_MIN| without overflow */
    }
    n += json__udec(b + n, u);
    jw__put(w, b, n);
}

void vg_jw_num(vg_jw_t *w, double v, unsigned sig)
{
    char b[40];
    jw__value(w);
    jw__put(w, b, vg_json_fmt_num(b, sizeof b, v, sig));
}

void vg_jw_bool(vg_jw_t *w, int v)
{
    jw__value(w);
    if (v)
        jw__put(w, "true", 4);
    else
        jw__put(w, "false", 5);
}

void vg_jw_null(vg_jw_t *w)
{
    jw__value(w);
    jw__put(w, "null", 4);
}

void vg_jw_raw(vg_jw_t *w, const char *json)
{
    jw__value(w);
    jw__put(w, json, strlen(json));
}

vg_status_t vg_jw_finish(vg_jw_t *w, size_t *len)
{
    if (w->bad || w->depth != 0 || w->after_key)
        return VG_ERR_ARG;
    if (w->overflow)
        return VG_ERR_SIZE;
    if (len)
        *len = w->len;
    return VG_OK;
}
