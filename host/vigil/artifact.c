/* SPDX-License-Identifier: MIT */
#include "artifact.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Little-endian writers: the host may not be little-endian even if every target we ship is. */
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void putf(uint8_t *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    put32(p, u);
}

static uint32_t align4(uint32_t x)
{
    return (x + 3u) & ~3u;
}

const char *vgh_kind_name(unsigned kind)
{
    return vg_model_kind_name(kind);
}

const char *vgh_kind_article(unsigned kind)
{
    const char c = vg_model_kind_name(kind)[0];
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ? "an" : "a";
}

int vgh_artifact_build(const vgh_artifact_spec_t *s, uint8_t **out, size_t *len, char *err,
                       size_t errlen)
{
    uint32_t pipe = VG_PIPE_FIXED_SIZE + 12u * s->n_features;
    uint32_t modl = VG_MODL_FIXED_SIZE;
    switch (s->kind) {
    case VG_KIND_ZSCORE: modl += 4u; break;
    case VG_KIND_AUTOENCODER: modl += 4u + 8u * s->n_layers + 4u * (uint32_t)s->n_params; break;
    case VG_KIND_IFOREST: modl += 12u + 4u * s->n_trees + 8u * s->n_nodes; break;
    case VG_KIND_FOREST:
        /* keeps 12 n_nodes (and the total size) from wrapping 32 bits */
        if (s->rf_n_nodes > 0x0FFFFFFFu) {
            snprintf(err, errlen, "forest of %u nodes is too large for one artifact",
                     s->rf_n_nodes);
            return -1;
        }
        modl += 12u + 4u * s->rf_n_trees + 12u * s->rf_n_nodes;
        break;
    case VG_KIND_AE_S8:
    case VG_KIND_IFOREST_S16:
    case VG_KIND_FOREST_S16:
        if (!s->body || s->body_len > 0x7FFFFFFFu) {
            snprintf(err, errlen, "no quantized model body to write");
            return -1;
        }
        modl += s->body_len;
        break;
    default: snprintf(err, errlen, "unknown model kind %u", s->kind); return -1;
    }
    uint32_t meta = s->meta ? (uint32_t)strlen(s->meta) : 0u;
    uint32_t wave = s->wave ? VG_WAVE_FIXED_SIZE + 20u * s->n_sos : 0u;
    uint32_t nsec = 3u + (meta ? 1u : 0u) + (wave ? 1u : 0u);
    uint32_t off_pipe = VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * nsec;
    uint32_t off_deci = align4(off_pipe + pipe);
    uint32_t off_modl = align4(off_deci + VG_DECI_SIZE);
    uint32_t off_meta = align4(off_modl + modl);
    uint32_t off_wave = align4(off_meta + meta);
    uint32_t total = align4(off_wave + wave);
    uint8_t *b = calloc(1, total);
    if (!b) {
        snprintf(err, errlen, "out of memory building a %u-byte model", total);
        return -1;
    }
    put32(b, VG_MODEL_MAGIC);
    put16(b + 4, VG_MODEL_VERSION_MAJOR);
    /* Minor 2: DECI's strict class, which an older reader would ignore; minor 3: a waveform
     * feature of ot_band or ot_share, which an older reader refuses; minor 4: trans_prev;
     * minor 5: the coh_in_low and coh_in_high aggregates; minor 6: sd_in_low and sd_in_high. */
    uint16_t minor = s->strict_pm ? 2u : VG_MODEL_VERSION_MINOR;
    for (uint16_t k = 0; s->wave && k < s->n_features; k++) {
        const unsigned q = s->feats[k].channel, a = s->feats[k].feature;
        const uint16_t need = a >= VG_AGG_SD_IN_LOW                       ? 6u
                              : a >= VG_AGG_COH_IN_LOW                    ? 5u
                              : q == VG_PQ_TRANS_PREV                     ? 4u
                              : q >= VG_PQ_OT_BAND && q <= VG_PQ_OT_SHARE ? 3u
                                                                          : 0u;
        minor = need > minor ? need : minor;
    }
    put16(b + 6, minor);
    put32(b + 8, total);
    put32(b + 16, nsec);
    /* PIPE, DECI, MODL, then META and WAVE when present (older artifacts keep their bytes). */
    uint32_t tags[5] = {VG_SECT_PIPE, VG_SECT_DECI, VG_SECT_MODL, VG_SECT_META, VG_SECT_WAVE};
    uint32_t offs[5] = {off_pipe, off_deci, off_modl, off_meta, off_wave};
    uint32_t sizes[5] = {pipe, VG_DECI_SIZE, modl, meta, wave};
    if (!meta) {
        tags[3] = tags[4];
        offs[3] = offs[4];
        sizes[3] = sizes[4];
    }
    for (uint32_t i = 0; i < nsec; i++) {
        uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        put32(e, tags[i]);
        put32(e + 4, offs[i]);
        put32(e + 8, sizes[i]);
    }
    uint8_t *p = b + off_pipe;
    putf(p, s->sample_rate);
    put16(p + 4, s->n_channels);
    put16(p + 6, s->window);
    put16(p + 8, s->hop);
    put16(p + 10, s->n_features);
    put16(p + 12, s->norm_kind);
    put16(p + 14, s->max_missing_pm);
    for (uint16_t k = 0; k < s->n_features; k++) {
        p[16u + 4u * k] = s->feats[k].channel;
        p[17u + 4u * k] = s->feats[k].feature;
    }
    for (uint32_t k = 0; k < 2u * s->n_features; k++)
        putf(p + 16u + 4u * s->n_features + 4u * k, s->norm[k]);

    p = b + off_deci;
    putf(p, s->threshold);
    put16(p + 4, s->open_after);
    put16(p + 6, s->close_after);
    put16(p + 8, s->strict_pm);
    put16(p + 10, s->strict_class);

    p = b + off_modl;
    put16(p, s->kind);
    p += VG_MODL_FIXED_SIZE;
    if (s->kind == VG_KIND_ZSCORE) {
        putf(p, s->zscore_alpha);
    } else if (s->kind == VG_KIND_AUTOENCODER) {
        put16(p, s->n_layers);
        for (uint16_t l = 0; l < s->n_layers; l++) {
            put16(p + 4u + 8u * l, s->layers[l].n_in);
            put16(p + 6u + 8u * l, s->layers[l].n_out);
            p[8u + 8u * l] = s->layers[l].act;
        }
        uint8_t *w = p + 4u + 8u * s->n_layers;
        for (size_t i = 0; i < s->n_params; i++)
            putf(w + 4u * i, s->params[i]);
    } else if (s->kind == VG_KIND_AE_S8 || s->kind == VG_KIND_IFOREST_S16 ||
               s->kind == VG_KIND_FOREST_S16) {
        memcpy(p, s->body, s->body_len);
    } else if (s->kind == VG_KIND_FOREST) {
        put16(p, s->rf_n_trees);
        put16(p + 2, s->n_classes);
        put32(p + 4, s->rf_n_nodes);
        put16(p + 8, s->normal_class);
        for (uint16_t t = 0; t < s->rf_n_trees; t++)
            put32(p + 12u + 4u * t, s->rf_roots[t]);
        uint8_t *nd = p + 12u + 4u * s->rf_n_trees;
        for (uint32_t i = 0; i < s->rf_n_nodes; i++) {
            putf(nd + 12u * i, s->rf_nodes[i].value);
            put16(nd + 12u * i + 4u, s->rf_nodes[i].feature);
            put16(nd + 12u * i + 6u, s->rf_nodes[i].cls);
            put32(nd + 12u * i + 8u, s->rf_nodes[i].right);
        }
    } else {
        put16(p, s->n_trees);
        put32(p + 4, s->n_nodes);
        putf(p + 8, s->c_norm);
        for (uint16_t t = 0; t < s->n_trees; t++)
            put32(p + 12u + 4u * t, s->roots[t]);
        uint8_t *nd = p + 12u + 4u * s->n_trees;
        for (uint32_t i = 0; i < s->n_nodes; i++) {
            putf(nd + 8u * i, s->nodes[i].value);
            put16(nd + 8u * i + 4u, s->nodes[i].feature);
            put16(nd + 8u * i + 6u, s->nodes[i].right);
        }
    }
    if (meta)
        memcpy(b + off_meta, s->meta, meta);
    if (wave) {
        uint8_t *w = b + off_wave;
        putf(w, s->f_nominal);
        putf(w + 4, s->wave_scale);
        putf(w + 8, s->wave_scale_i);
        put16(w + 12, s->max_harmonic);
        put16(w + 14, s->n_sos);
        for (uint16_t k = 0; k < s->n_sos; k++) {
            const vg_biquad_t *q = &s->sos[k];
            const float co[5] = {q->b0, q->b1, q->b2, q->a1, q->a2};
            for (int j = 0; j < 5; j++)
                putf(w + VG_WAVE_FIXED_SIZE + 20u * k + 4u * (unsigned)j, co[j]);
        }
    }
    put32(b + VG_MODEL_CRC_OFFSET, vg_model_crc(b, total));

    vg_model_t check;
    vg_status_t st = vg_model_parse(&check, b, total);
    if (st != VG_OK) {
        snprintf(err, errlen, "internal error: the model built does not validate (%s)",
                 vg_status_str(st));
        free(b);
        return -1;
    }
    *out = b;
    *len = total;
    return 0;
}

int vgh_meta_get(const vg_model_t *m, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    const char *p = m->meta, *end = m->meta ? m->meta + m->meta_len : 0;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t vl = (size_t)(le - p) - kl - 1;
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, p + kl + 1, vl);
            out[vl] = '\0';
            return 0;
        }
        p = nl ? nl + 1 : end;
    }
    return -1;
}

static const char *load_hint(vg_status_t st)
{
    switch (st) {
    case VG_ERR_CRC: return "checksum mismatch: the file is corrupt or was cut short";
    case VG_ERR_VERSION:
        return "written by an incompatible Vigil (model format major version is not 1)";
    case VG_ERR_UNSUPPORTED:
        return "uses a model kind or size this build does not support (see docs/model-format.md)";
    case VG_ERR_FORMAT: return "malformed model (a size, offset or count is inconsistent)";
    default: return vg_status_str(st);
    }
}

int vgh_model_load(const char *path, vgh_model_file_t *mf, char *err, size_t errlen)
{
    memset(mf, 0, sizeof *mf);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open model: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0, got;
    uint8_t *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap >= ((size_t)1 << 30)) {
                free(buf);
                buf = NULL;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: model file too large or out of memory", path);
        return -1;
    }
    if (len < VG_MODEL_HEADER_SIZE || memcmp(buf, "VGMA", 4) != 0) {
        snprintf(err, errlen, "%s: not a Vigil model (%s)", path,
                 len < VG_MODEL_HEADER_SIZE ? "file shorter than the 32-byte header"
                                            : "bad magic, expected \"VGMA\"");
        free(buf);
        return -1;
    }
    uint32_t total = (uint32_t)buf[8] | ((uint32_t)buf[9] << 8) | ((uint32_t)buf[10] << 16) |
                     ((uint32_t)buf[11] << 24);
    if (total > len) {
        snprintf(err, errlen, "%s: truncated model: header says %u bytes, file has %zu", path,
                 total, len);
        free(buf);
        return -1;
    }
    vg_status_t st = vg_model_parse(&mf->m, buf, len);
    if (st != VG_OK) {
        snprintf(err, errlen, "%s: %s", path, load_hint(st));
        free(buf);
        return -1;
    }
    mf->buf = buf;
    mf->len = len;
    char names[1024];
    const char *p = vgh_meta_get(&mf->m, "channels", names, sizeof names) == 0 ? names : "";
    for (uint16_t c = 0; c < mf->m.n_channels; c++) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        char def[16];
        if (l == 0) {
            snprintf(def, sizeof def, "ch%u", (unsigned)c);
            mf->channels[c] = strdup(def);
        } else {
            mf->channels[c] = strndup(p, l);
        }
        p = comma ? comma + 1 : p + l;
    }
    return 0;
}

void vgh_model_free(vgh_model_file_t *mf)
{
    for (int c = 0; c < VG_MAX_CHANNELS; c++)
        free(mf->channels[c]);
    free(mf->buf);
    memset(mf, 0, sizeof *mf);
}

int vgh_meta_append(char **meta, size_t *len, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w < 0)
        return -1;
    size_t l = strlen(line);
    char *m = realloc(*meta, *len + l + 2);
    if (!m)
        return -1;
    memcpy(m + *len, line, l);
    m[*len + l] = '\n';
    m[*len + l + 1] = '\0';
    *meta = m;
    *len += l + 1;
    return 0;
}

int vgh_artifact_set_section(const uint8_t *in, uint32_t tag, const void *body, size_t blen,
                             uint16_t min_minor, uint8_t **out, size_t *len, char *err,
                             size_t errlen)
{
    const uint32_t total = (uint32_t)in[8] | ((uint32_t)in[9] << 8) | ((uint32_t)in[10] << 16) |
                           ((uint32_t)in[11] << 24);
    const uint32_t ns = (uint32_t)in[16] | ((uint32_t)in[17] << 8) | ((uint32_t)in[18] << 16) |
                        ((uint32_t)in[19] << 24);
    /* The input was parsed by the core: its table and sections are inside it. */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = in + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        kept += ((uint32_t)e[0] | ((uint32_t)e[1] << 8) | ((uint32_t)e[2] << 16) |
                 ((uint32_t)e[3] << 24)) != tag;
    }
    if (kept + 1u > VG_MODEL_MAX_SECTIONS || blen > 0x7FFFFFFFu ||
        (uint64_t)total + VG_MODEL_SECTION_ENTRY_SIZE + blen + 4u > 0xFFFFFFFFu) {
        snprintf(err, errlen, "the artifact cannot take another section");
        return -1;
    }
    size_t cap = (size_t)total + VG_MODEL_SECTION_ENTRY_SIZE + blen + 8u;
    uint8_t *b = calloc(1, cap);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(b, in, VG_MODEL_HEADER_SIZE);
    uint32_t off = VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * (kept + 1u), k = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = in + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        uint32_t t = (uint32_t)e[0] | ((uint32_t)e[1] << 8) | ((uint32_t)e[2] << 16) |
                     ((uint32_t)e[3] << 24);
        uint32_t o = (uint32_t)e[4] | ((uint32_t)e[5] << 8) | ((uint32_t)e[6] << 16) |
                     ((uint32_t)e[7] << 24);
        uint32_t size = (uint32_t)e[8] | ((uint32_t)e[9] << 8) | ((uint32_t)e[10] << 16) |
                        ((uint32_t)e[11] << 24);
        if (t == tag)
            continue;
        uint8_t *ne = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * k++;
        put32(ne, t);
        put32(ne + 4, off);
        put32(ne + 8, size);
        memcpy(b + off, in + o, size);
        off = align4(off + size);
    }
    uint8_t *ne = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * k;
    put32(ne, tag);
    put32(ne + 4, off);
    put32(ne + 8, (uint32_t)blen);
    memcpy(b + off, body, blen);
    off = align4(off + (uint32_t)blen);
    uint16_t minor = (uint16_t)(in[6] | (in[7] << 8));
    put16(b + 6, minor > min_minor ? minor : min_minor);
    put32(b + 8, off);
    put32(b + 16, kept + 1u);
    put32(b + VG_MODEL_CRC_OFFSET, vg_model_crc(b, off));
    vg_model_t check;
    vg_status_t st = vg_model_parse(&check, b, off);
    if (st != VG_OK) {
        snprintf(err, errlen, "internal error: the model built does not validate (%s)",
                 vg_status_str(st));
        free(b);
        return -1;
    }
    *out = b;
    *len = off;
    return 0;
}

const uint8_t *vgh_artifact_section(const vg_model_t *m, uint32_t tag, uint32_t *size)
{
    /* vg_model_parse() has checked the table: every entry's section is inside the artifact. */
    const uint8_t *b = (const uint8_t *)m->buf;
    const uint32_t ns = (uint32_t)b[16] | ((uint32_t)b[17] << 8) | ((uint32_t)b[18] << 16) |
                        ((uint32_t)b[19] << 24);
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        uint32_t t = (uint32_t)e[0] | ((uint32_t)e[1] << 8) | ((uint32_t)e[2] << 16) |
                     ((uint32_t)e[3] << 24);
        if (t != tag)
            continue;
        *size = (uint32_t)e[8] | ((uint32_t)e[9] << 8) | ((uint32_t)e[10] << 16) |
                ((uint32_t)e[11] << 24);
        return b + ((uint32_t)e[4] | ((uint32_t)e[5] << 8) | ((uint32_t)e[6] << 16) |
                    ((uint32_t)e[7] << 24));
    }
    *size = 0;
    return NULL;
}
