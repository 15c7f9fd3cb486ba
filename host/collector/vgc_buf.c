/* SPDX-License-Identifier: MIT */
#include "vgc_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(vgc_buf_t *b, size_t more)
{
    if (b->oom)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void vgc_buf_add(vgc_buf_t *b, const char *s, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void vgc_buf_puts(vgc_buf_t *b, const char *s)
{
    vgc_buf_add(b, s, strlen(s));
}

void vgc_buf_printf(vgc_buf_t *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        vgc_buf_add(b, small, (size_t)n);
        return;
    }
    if (buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void vgc_buf_json_str(vgc_buf_t *b, const char *s)
{
    vgc_buf_add(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        vgc_buf_add(b, run, (size_t)(s - run));
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            vgc_buf_add(b, e, 2);
        } else {
            vgc_buf_printf(b, "\\u%04x", c);
        }
        run = s + 1;
    }
    vgc_buf_add(b, run, (size_t)(s - run));
    vgc_buf_add(b, "\"", 1);
}

int vgc_buf_ok(const vgc_buf_t *b)
{
    return !b->oom;
}

void vgc_buf_free(vgc_buf_t *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
