/* SPDX-License-Identifier: MIT */
#include "vge_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VGE_HEAD "head"
#define VGE_TAIL "tail"

void vge_queue_key(uint32_t index, char key[VGE_KEY_MAX])
{
    static const char hex[] = "0123456789abcdef";
    key[0] = 'r';
    for (int i = 0; i < 8; i++)
        key[1 + i] = hex[(index >> (28 - 4 * i)) & 0xFu];
    key[9] = '\0';
}

static int queue__u32(vge_queue_t *q, const char *key, uint32_t *v)
{
    int rc = q->ops->get_u32(q->ctx, key, v);
    if (rc == VGE_KV_NOT_FOUND) {
        *v = 0;
        return VGE_KV_OK;
    }
    return rc;
}

vg_status_t vge_queue_open(vge_queue_t *q, const vge_kv_ops_t *ops, void *ctx, uint32_t max)
{
    if (!q || !ops || !ops->get_u32 || !ops->set_u32 || !ops->get_blob || !ops->set_blob ||
        !ops->erase || !ops->commit || max == 0)
        return VG_ERR_ARG;
    memset(q, 0, sizeof *q);
    q->ops = ops;
    q->ctx = ctx;
    q->max = max;
    if (queue__u32(q, VGE_HEAD, &q->head) != VGE_KV_OK ||
        queue__u32(q, VGE_TAIL, &q->tail) != VGE_KV_OK)
        return VG_ERR_UNSUPPORTED;
    if (q->tail - q->head > max)
        return VG_ERR_FORMAT;
    /* A pop that erased its record but was reset before it stored the head. */
    while (q->head != q->tail) {
        char key[VGE_KEY_MAX];
        size_t len = 0;
        vge_queue_key(q->head, key);
        int rc = ops->get_blob(ctx, key, NULL, 0, &len);
        if (rc == VGE_KV_OK || rc == VGE_KV_TOO_SMALL)
            break;
        if (rc != VGE_KV_NOT_FOUND)
            return VG_ERR_UNSUPPORTED;
        q->head++;
        q->skipped++;
    }
    if (q->skipped &&
        (ops->set_u32(ctx, VGE_HEAD, q->head) != VGE_KV_OK || ops->commit(ctx) != VGE_KV_OK))
        return VG_ERR_UNSUPPORTED;
    return VG_OK;
}

uint32_t vge_queue_count(const vge_queue_t *q)
{
    return q->tail - q->head;
}

vg_status_t vge_queue_push(vge_queue_t *q, const void *rec, size_t len)
{
    if (len == 0)
        return VG_ERR_ARG;
    if (vge_queue_count(q) >= q->max)
        return VG_ERR_SIZE;
    char key[VGE_KEY_MAX];
    vge_queue_key(q->tail, key);
    /* The record first: until the tail moves, it is not in the queue. */
    if (q->ops->set_blob(q->ctx, key, rec, len) != VGE_KV_OK ||
        q->ops->set_u32(q->ctx, VGE_TAIL, q->tail + 1u) != VGE_KV_OK ||
        q->ops->commit(q->ctx) != VGE_KV_OK)
        return VG_ERR_UNSUPPORTED;
    q->tail++;
    return VG_OK;
}

vg_status_t vge_queue_peek(vge_queue_t *q, void *buf, size_t cap, size_t *len)
{
    if (vge_queue_count(q) == 0)
        return VG_ERR_ARG;
    char key[VGE_KEY_MAX];
    vge_queue_key(q->head, key);
    return q->ops->get_blob(q->ctx, key, buf, cap, len) == VGE_KV_OK ? VG_OK : VG_ERR_SIZE;
}

vg_status_t vge_queue_pop(vge_queue_t *q)
{
    if (vge_queue_count(q) == 0)
        return VG_ERR_ARG;
    char key[VGE_KEY_MAX];
    vge_queue_key(q->head, key);
    int rc = q->ops->erase(q->ctx, key);
    if ((rc != VGE_KV_OK && rc != VGE_KV_NOT_FOUND) ||
        q->ops->set_u32(q->ctx, VGE_HEAD, q->head + 1u) != VGE_KV_OK ||
        q->ops->commit(q->ctx) != VGE_KV_OK)
        return VG_ERR_UNSUPPORTED;
    q->head++;
    return VG_OK;
}

static const char *util__space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int vge_parse_channels(const char *s, int *out, int cap, int max_ch)
{
    int n = 0;
    if (!s || !out || cap < 1)
        return -1;
    for (;;) {
        s = util__space(s);
        if (*s < '0' || *s > '9')
            return -1;
        long v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (*s++ - '0');
            if (v > max_ch)
                return -1;
        }
        for (int i = 0; i < n; i++)
            if (out[i] == (int)v)
                return -1;
        if (n == cap)
            return -1;
        out[n++] = (int)v;
        s = util__space(s);
        if (*s == '\0')
            return n;
        if (*s++ != ',')
            return -1;
    }
}

int vge_parse_float(const char *s, float *out)
{
    if (!s || !out)
        return -1;
    s = util__space(s);
    if (*s == '\0')
        return -1;
    char *end = NULL;
    float v = strtof(s, &end);
    if (!end || end == s || *util__space(end) != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

unsigned vge_meta_channels(const char *meta, size_t meta_len, char *buf, size_t cap,
                           const char **names, unsigned n)
{
    static const char key[] = "channels=";
    const size_t klen = sizeof key - 1u;
    if (!meta || !buf || !names || n == 0 || cap == 0)
        return 0;
    for (size_t i = 0; i < meta_len;) {
        size_t e = i;
        while (e < meta_len && meta[e] != '\n')
            e++;
        if (e - i > klen && memcmp(meta + i, key, klen) == 0) {
            size_t p = i + klen, used = 0;
            unsigned found = 0;
            while (p <= e && found < n) {
                size_t q = p;
                while (q < e && meta[q] != ',')
                    q++;
                if (q == p || used + (q - p) + 1u > cap)
                    return 0;
                names[found++] = buf + used;
                memcpy(buf + used, meta + p, q - p);
                used += q - p;
                buf[used++] = '\0';
                p = q + 1u;
            }
            /* exactly n names: p passed the end of the line */
            return found == n && p > e ? n : 0;
        }
        i = e + 1u;
    }
    return 0;
}

static uint32_t util__le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint32_t vge_model_total(const uint8_t hdr[32], uint32_t part_size)
{
    if (!hdr || util__le32(hdr) != 0x414D4756u) /* "VGMA" */
        return 0;
    uint32_t total = util__le32(hdr + 8);
    return total >= 32u && total <= part_size ? total : 0;
}

uint32_t vge_backoff_ms(unsigned failures, uint32_t rnd)
{
    uint32_t base = 1000u << (failures < 3u ? failures : 3u);
    /* base * (0.75 + 0.5 * rnd / 2^32), in integers: base * (3 * 2^31 + rnd) / 2^32 */
    uint64_t f = (uint64_t)3u * 0x80000000u + rnd;
    return (uint32_t)(((uint64_t)base * f) >> 33);
}

uint32_t vge_gap(uint32_t expected, uint32_t index, uint32_t cap)
{
    uint32_t d = index - expected;
    if (d == 0 || d > 0x80000000u)
        return 0;
    return d < cap ? d : cap;
}
