/* SPDX-License-Identifier: MIT */
#include "vg_test_artifact.h"

#include <string.h>

static uint32_t crc_update(uint32_t c, const void *data, size_t len)
{
    /* Reflected CRC-32, polynomial 0x04C11DB7 reversed, init and final xor 0xFFFFFFFF. */
    const uint8_t *p = (const uint8_t *)data;
    c ^= 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            if (c & 1u)
                c = (c >> 1) ^ 0xEDB88320u;
            else
                c >>= 1;
        }
    }
    return c ^ 0xFFFFFFFFu;
}

uint32_t vgt_crc32(const void *data, size_t len)
{
    return crc_update(0, data, len);
}

uint32_t vgt_artifact_crc(const uint8_t *b, size_t total)
{
    /* docs/model-format.md: bytes [0, 12) then [16, total), skipping the CRC field. */
    return crc_update(crc_update(0, b, 12u), b + 16, total - 16u);
}

void vgt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)(v >> 8);
}

void vgt_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)((v >> (8 * i)) & 0xFFu);
}

void vgt_putf(uint8_t *p, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    vgt_put32(p, u);
}

uint16_t vgt_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t vgt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

float vgt_getf(const uint8_t *p)
{
    uint32_t u = vgt_get32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint8_t *w__room(vgt_writer_t *w, size_t n)
{
    if (w->err || n > w->cap - w->len) {
        w->err = 1;
        return NULL;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

void vgt_begin(vgt_writer_t *w, uint8_t *buf, size_t cap, unsigned n_sections)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->n_sections = n_sections;
    w->n_done = 0;
    w->sect_start = 0;
    w->err = n_sections > VGT_MAX_ENTRIES;
    uint8_t *p = w__room(w, VGT_HEADER_SIZE + (size_t)VGT_ENTRY_SIZE * n_sections);
    if (p)
        memset(p, 0, VGT_HEADER_SIZE + (size_t)VGT_ENTRY_SIZE * n_sections);
}

void vgt_w8(vgt_writer_t *w, uint8_t v)
{
    uint8_t *p = w__room(w, 1);
    if (p)
        *p = v;
}

void vgt_w16(vgt_writer_t *w, uint16_t v)
{
    uint8_t *p = w__room(w, 2);
    if (p)
        vgt_put16(p, v);
}

void vgt_w32(vgt_writer_t *w, uint32_t v)
{
    uint8_t *p = w__room(w, 4);
    if (p)
        vgt_put32(p, v);
}

void vgt_wf(vgt_writer_t *w, float v)
{
    uint8_t *p = w__room(w, 4);
    if (p)
        vgt_putf(p, v);
}

void vgt_wbytes(vgt_writer_t *w, const void *src, size_t n)
{
    uint8_t *p = w__room(w, n);
    if (p && n)
        memcpy(p, src, n);
}

void vgt_section_begin(vgt_writer_t *w, uint32_t tag)
{
    if (w->err || w->sect_start || w->n_done >= w->n_sections) {
        w->err = 1;
        return;
    }
    while (w->len % 4u)
        vgt_w8(w, 0);
    if (w->err)
        return;
    uint8_t *e = w->buf + VGT_HEADER_SIZE + (size_t)VGT_ENTRY_SIZE * w->n_done;
    vgt_put32(e, tag);
    vgt_put32(e + 4, (uint32_t)w->len);
    w->sect_start = w->len;
}

void vgt_section_end(vgt_writer_t *w)
{
    if (w->err || !w->sect_start) {
        w->err = 1;
        return;
    }
    uint8_t *e = w->buf + VGT_HEADER_SIZE + (size_t)VGT_ENTRY_SIZE * w->n_done;
    vgt_put32(e + 8, (uint32_t)(w->len - w->sect_start));
    w->n_done++;
    w->sect_start = 0;
}

size_t vgt_end(vgt_writer_t *w)
{
    if (w->err || w->sect_start || w->n_done != w->n_sections)
        return 0;
    uint8_t *b = w->buf;
    vgt_put32(b, VGT_MAGIC);
    vgt_put16(b + 4, 1);
    vgt_put16(b + 6, 0);
    vgt_put32(b + 8, (uint32_t)w->len);
    vgt_put32(b + 16, w->n_sections);
    vgt_put32(b + 12, vgt_artifact_crc(b, w->len));
    return w->len;
}

void vgt_put_pipe(vgt_writer_t *w, const vgt_pipe_t *p)
{
    vgt_section_begin(w, VGT_PIPE);
    vgt_wf(w, p->sample_rate);
    vgt_w16(w, p->n_channels);
    vgt_w16(w, p->window);
    vgt_w16(w, p->hop);
    vgt_w16(w, p->n_features);
    vgt_w16(w, p->norm_kind);
    vgt_w16(w, p->max_missing_pm);
    for (unsigned k = 0; k < p->n_features; k++) {
        vgt_w8(w, p->feat_channel[k]);
        vgt_w8(w, p->feat_id[k]);
        vgt_w16(w, 0);
    }
    for (unsigned k = 0; k < p->n_features; k++) {
        vgt_wf(w, p->norm ? p->norm[2 * k] : 0.0f);
        vgt_wf(w, p->norm ? p->norm[2 * k + 1] : 1.0f);
    }
    vgt_section_end(w);
}

void vgt_put_deci(vgt_writer_t *w, const vgt_pipe_t *p)
{
    vgt_section_begin(w, VGT_DECI);
    vgt_wf(w, p->threshold);
    vgt_w16(w, p->open_after);
    vgt_w16(w, p->close_after);
    vgt_w32(w, 0);
    vgt_section_end(w);
}

void vgt_put_meta(vgt_writer_t *w, const char *text)
{
    vgt_section_begin(w, VGT_META);
    vgt_wbytes(w, text, strlen(text));
    vgt_section_end(w);
}

void vgt_put_modl_zscore(vgt_writer_t *w, float alpha)
{
    vgt_section_begin(w, VGT_MODL);
    vgt_w16(w, 1);
    vgt_w16(w, 0);
    vgt_wf(w, alpha);
    vgt_section_end(w);
}

uint32_t vgt_ae_param_count(uint16_t n_layers, const vgt_layer_t *layers)
{
    uint32_t n = 0;
    for (unsigned l = 0; l < n_layers; l++)
        n += (uint32_t)layers[l].n_in * layers[l].n_out + layers[l].n_out;
    return n;
}

void vgt_put_modl_ae(vgt_writer_t *w, uint16_t n_layers, const vgt_layer_t *layers,
                     const float *params)
{
    vgt_section_begin(w, VGT_MODL);
    vgt_w16(w, 2);
    vgt_w16(w, 0);
    vgt_w16(w, n_layers);
    vgt_w16(w, 0);
    for (unsigned l = 0; l < n_layers; l++) {
        vgt_w16(w, layers[l].n_in);
        vgt_w16(w, layers[l].n_out);
        vgt_w8(w, layers[l].act);
        vgt_w8(w, 0);
        vgt_w8(w, 0);
        vgt_w8(w, 0);
    }
    uint32_t np = vgt_ae_param_count(n_layers, layers);
    for (uint32_t i = 0; i < np; i++)
        vgt_wf(w, params[i]);
    vgt_section_end(w);
}

static void w__pad4(vgt_writer_t *w)
{
    while (w->len % 4u)
        vgt_w8(w, 0);
}

void vgt_put_modl_ae_s8(vgt_writer_t *w, uint16_t n_layers, float in_scale, int32_t in_zp,
                        const vgt_layer_s8_t *layers)
{
    vgt_section_begin(w, VGT_MODL);
    vgt_w16(w, 5);
    vgt_w16(w, 0);
    vgt_w16(w, n_layers);
    vgt_w16(w, 0);
    vgt_wf(w, in_scale);
    vgt_w32(w, (uint32_t)in_zp);
    for (unsigned l = 0; l < n_layers; l++) {
        const vgt_layer_s8_t *L = &layers[l];
        vgt_w16(w, L->n_in);
        vgt_w16(w, L->n_out);
        vgt_w8(w, L->act);
        vgt_w8(w, L->lut);
        vgt_w8(w, (uint8_t)L->pre_zp);
        vgt_w8(w, (uint8_t)L->out_zp);
        vgt_w8(w, (uint8_t)L->act_min);
        vgt_w8(w, (uint8_t)L->act_max);
        vgt_w16(w, 0);
        vgt_wf(w, L->pre_scale);
        vgt_wf(w, L->out_scale);
    }
    for (unsigned l = 0; l < n_layers; l++) {
        const vgt_layer_s8_t *L = &layers[l];
        vgt_wbytes(w, L->w, (size_t)L->n_in * L->n_out);
        w__pad4(w);
        for (unsigned o = 0; o < L->n_out; o++)
            vgt_w32(w, (uint32_t)L->bias[o]);
        for (unsigned o = 0; o < L->n_out; o++)
            vgt_w32(w, (uint32_t)L->mult[o]);
        vgt_wbytes(w, L->shift, L->n_out);
        w__pad4(w);
        if (L->lut)
            vgt_wbytes(w, L->table, 256);
    }
    vgt_section_end(w);
}

void vgt_put_modl_iforest(vgt_writer_t *w, uint16_t n_trees, const uint32_t *roots,
                          uint32_t n_nodes, const vgt_node_t *nodes, float c_norm)
{
    vgt_section_begin(w, VGT_MODL);
    vgt_w16(w, 3);
    vgt_w16(w, 0);
    vgt_w16(w, n_trees);
    vgt_w16(w, 0);
    vgt_w32(w, n_nodes);
    vgt_wf(w, c_norm);
    for (unsigned t = 0; t < n_trees; t++)
        vgt_w32(w, roots[t]);
    for (uint32_t i = 0; i < n_nodes; i++) {
        vgt_wf(w, nodes[i].value);
        vgt_w16(w, nodes[i].feature);
        vgt_w16(w, nodes[i].right);
    }
    vgt_section_end(w);
}

void vgt_put_modl_forest(vgt_writer_t *w, const vgt_forest_t *f)
{
    vgt_section_begin(w, VGT_MODL);
    vgt_w16(w, 4);
    vgt_w16(w, 0);
    vgt_w16(w, f->n_trees);
    vgt_w16(w, f->n_classes);
    vgt_w32(w, f->n_nodes);
    vgt_w16(w, f->normal_class);
    vgt_w16(w, f->reserved);
    for (unsigned t = 0; t < f->n_trees; t++)
        vgt_w32(w, f->roots[t]);
    for (uint32_t i = 0; i < f->n_nodes; i++) {
        vgt_wf(w, f->nodes[i].value);
        vgt_w16(w, f->nodes[i].feature);
        vgt_w16(w, f->nodes[i].cls);
        vgt_w32(w, f->nodes[i].right);
    }
    vgt_section_end(w);
}

static void w__common(vgt_writer_t *w, uint8_t *buf, size_t cap, const vgt_pipe_t *p)
{
    vgt_begin(w, buf, cap, p->meta ? 4u : 3u);
    vgt_put_pipe(w, p);
    vgt_put_deci(w, p);
}

static size_t w__finish(vgt_writer_t *w, const vgt_pipe_t *p)
{
    if (p->meta)
        vgt_put_meta(w, p->meta);
    return vgt_end(w);
}

size_t vgt_build_zscore(uint8_t *buf, size_t cap, const vgt_pipe_t *p, float alpha)
{
    vgt_writer_t w;
    w__common(&w, buf, cap, p);
    vgt_put_modl_zscore(&w, alpha);
    return w__finish(&w, p);
}

size_t vgt_build_ae(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_layers,
                    const vgt_layer_t *layers, const float *params)
{
    vgt_writer_t w;
    w__common(&w, buf, cap, p);
    vgt_put_modl_ae(&w, n_layers, layers, params);
    return w__finish(&w, p);
}

size_t vgt_build_ae_s8(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_layers,
                       float in_scale, int32_t in_zp, const vgt_layer_s8_t *layers)
{
    vgt_writer_t w;
    w__common(&w, buf, cap, p);
    vgt_put_modl_ae_s8(&w, n_layers, in_scale, in_zp, layers);
    return w__finish(&w, p);
}

size_t vgt_build_iforest(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_trees,
                         const uint32_t *roots, uint32_t n_nodes, const vgt_node_t *nodes,
                         float c_norm)
{
    vgt_writer_t w;
    w__common(&w, buf, cap, p);
    vgt_put_modl_iforest(&w, n_trees, roots, n_nodes, nodes, c_norm);
    return w__finish(&w, p);
}

size_t vgt_build_forest(uint8_t *buf, size_t cap, const vgt_pipe_t *p, const vgt_forest_t *f)
{
    vgt_writer_t w;
    w__common(&w, buf, cap, p);
    vgt_put_modl_forest(&w, f);
    return w__finish(&w, p);
}

void vgt_fix_crc(uint8_t *buf, size_t len)
{
    if (len < VGT_HEADER_SIZE)
        return;
    size_t total = vgt_get32(buf + 8);
    if (total > len)
        total = len;
    if (total < 16u)
        total = 16u;
    vgt_put32(buf + 12, vgt_artifact_crc(buf, total));
}

int vgt_find_section(const uint8_t *buf, size_t len, uint32_t tag, uint32_t *off, uint32_t *size)
{
    if (len < VGT_HEADER_SIZE)
        return -1;
    uint32_t n = vgt_get32(buf + 16);
    for (uint32_t i = 0; i < n && i < VGT_MAX_ENTRIES; i++) {
        size_t e = VGT_HEADER_SIZE + (size_t)VGT_ENTRY_SIZE * i;
        if (e + VGT_ENTRY_SIZE > len)
            return -1;
        if (vgt_get32(buf + e) == tag) {
            if (off)
                *off = vgt_get32(buf + e + 4);
            if (size)
                *size = vgt_get32(buf + e + 8);
            return (int)i;
        }
    }
    return -1;
}
