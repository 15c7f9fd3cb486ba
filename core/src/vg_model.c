/* SPDX-License-Identifier: MIT */
#include "vigil/vg_model.h"
#include "vg_le.h"

#include <math.h>
#include <string.h>

#include "vigil/vg_ae_s8.h"
#include "vigil/vg_crc32.h"
#include "vigil/vg_dense.h"
#include "vigil/vg_features.h"
#include "vigil/vg_forest.h"
#include "vigil/vg_iforest.h"
#include "vigil/vg_pq.h"
#include "vigil/vg_tree_s16.h"

/* Every field the parser reads (vg_le.h) is naturally aligned: the buffer is 4-aligned,
 * sections start at multiples of 4, and each field at a multiple of its size. */
static int finite_pos(float x)
{
    return x > 0.0f && x <= 3.0e38f;
}

static int all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabsf(v[i]) <= 3.0e38f))
            return 0;
    return 1;
}

typedef struct {
    const uint8_t *p;
    uint32_t size;
} section_t;

static vg_status_t parse_pipe(vg_model_t *m, section_t s)
{
    if (s.size < VG_PIPE_FIXED_SIZE)
        return VG_ERR_FORMAT;
    m->sample_rate = vg_lef32(s.p);
    m->n_channels = vg_le16(s.p + 4);
    m->window = vg_le16(s.p + 6);
    m->hop = vg_le16(s.p + 8);
    m->n_features = vg_le16(s.p + 10);
    m->norm_kind = vg_le16(s.p + 12);
    m->max_missing_pm = vg_le16(s.p + 14);
    if (!finite_pos(m->sample_rate) || m->sample_rate > 1.0e9f)
        return VG_ERR_FORMAT;
    if (m->n_channels == 0 || m->window == 0 || m->hop == 0 || m->hop > m->window ||
        m->n_features == 0 || m->norm_kind > VG_NORM_MINMAX || m->max_missing_pm > 1000u)
        return VG_ERR_FORMAT;
#if VG_ENABLE_WAVEFORM
    if (m->wave.present) {
        /* What vg_pq_init() needs, checked here so a parsed model always runs. */
        float frame = m->sample_rate / m->wave.f_nominal + 0.5f;
        if (m->n_channels > 2 || !(frame >= 8.0f))
            return VG_ERR_FORMAT;
        if (frame >= (float)VG_PQ_MAX_CYCLE + 1.0f || m->window > VG_PQ_MAX_WINDOW)
            return VG_ERR_UNSUPPORTED;
    }
#endif
    if (m->n_channels > VG_MAX_CHANNELS || m->window > VG_MAX_WINDOW ||
        m->n_features > VG_MAX_FEATURES)
        return VG_ERR_UNSUPPORTED;
    if (s.size != VG_PIPE_FIXED_SIZE + 12u * (uint32_t)m->n_features)
        return VG_ERR_FORMAT;
    m->feats = (const vg_feat_desc_t *)(const void *)(s.p + VG_PIPE_FIXED_SIZE);
    m->norm = (const float *)(const void *)(s.p + VG_PIPE_FIXED_SIZE + 4u * m->n_features);
    for (uint16_t k = 0; k < m->n_features; k++) {
        const vg_feat_desc_t *f = &m->feats[k];
        if (VG_ENABLE_WAVEFORM && m->wave.present) {
            /* {quantity, aggregate}; current quantities need the current channel */
            if (f->channel >= VG_WAVE_QTY_COUNT || f->feature >= VG_WAVE_AGG_COUNT ||
                (f->channel >= VG_WAVE_QTY_FIRST_CURRENT &&
                 f->channel <= VG_WAVE_QTY_LAST_CURRENT && m->n_channels < 2))
                return VG_ERR_FORMAT;
        } else if (f->channel >= m->n_channels || f->feature >= VG_FEAT_COUNT) {
            return VG_ERR_FORMAT;
        }
    }
    if (!all_finite(m->norm, 2u * (size_t)m->n_features))
        return VG_ERR_FORMAT;
    return VG_OK;
}

#if VG_ENABLE_WAVEFORM
static vg_status_t parse_wave(vg_model_t *m, section_t s)
{
    if (s.size < VG_WAVE_FIXED_SIZE)
        return VG_ERR_FORMAT;
    m->wave.f_nominal = vg_lef32(s.p);
    m->wave.scale = vg_lef32(s.p + 4);
    m->wave.scale_i = vg_lef32(s.p + 8);
    m->wave.max_harmonic = vg_le16(s.p + 12);
    m->wave.n_sos = vg_le16(s.p + 14);
    /* Scales up to 1e3 keep scaled samples (|x| <= VG_SAMPLE_ABS_MAX) far from overflow in
     * a cycle's sums of squares. */
    if (!(m->wave.f_nominal >= 40.0f && m->wave.f_nominal <= 100.0f) ||
        !finite_pos(m->wave.scale) || !finite_pos(m->wave.scale_i) || m->wave.scale > 1.0e3f ||
        m->wave.scale_i > 1.0e3f || m->wave.max_harmonic < 1 || m->wave.max_harmonic > 50 ||
        m->wave.n_sos > 16)
        return VG_ERR_FORMAT;
    if (s.size != VG_WAVE_FIXED_SIZE + 20u * m->wave.n_sos)
        return VG_ERR_FORMAT;
    m->wave.sos = (const float *)(const void *)(s.p + VG_WAVE_FIXED_SIZE);
    if (!all_finite(m->wave.sos, 5u * (size_t)m->wave.n_sos))
        return VG_ERR_FORMAT;
    m->wave.present = 1;
    return VG_OK;
}
#endif

static vg_status_t parse_deci(vg_model_t *m, section_t s)
{
    if (s.size != VG_DECI_SIZE)
        return VG_ERR_FORMAT;
    m->threshold = vg_lef32(s.p);
    m->open_after = vg_le16(s.p + 4);
    m->close_after = vg_le16(s.p + 6);
    if (!finite_pos(m->threshold) || m->open_after == 0 || m->close_after == 0)
        return VG_ERR_FORMAT;
    uint16_t strict_pm = vg_le16(s.p + 8), strict_class = vg_le16(s.p + 10);
    if (strict_pm > 1000u || (strict_pm == 0 && strict_class != 0))
        return VG_ERR_FORMAT;
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
    m->strict_pm = strict_pm;
    m->strict_class = strict_class;
#else
    if (strict_pm)
        return VG_ERR_UNSUPPORTED; /* only forests have a strict class, and this build has none */
#endif
    return VG_OK;
}

#if VG_ENABLE_AE_F32
static vg_status_t parse_ae(vg_model_t *m, const uint8_t *p, uint32_t size)
{
    if (size < 4)
        return VG_ERR_FORMAT;
    uint16_t nl = vg_le16(p);
    if (nl == 0)
        return VG_ERR_FORMAT;
    if (nl > VG_MAX_LAYERS)
        return VG_ERR_UNSUPPORTED;
    if (size < 4u + 8u * nl)
        return VG_ERR_FORMAT;
    const vg_layer_desc_t *ld = (const vg_layer_desc_t *)(const void *)(p + 4);
    uint32_t n_params = 0;
    uint16_t max_units = m->n_features;
    uint16_t prev = m->n_features;
    for (uint16_t l = 0; l < nl; l++) {
        uint16_t ni = ld[l].n_in, no = ld[l].n_out;
        if (ni != prev || no == 0 || ld[l].act > VG_ACT_TANH)
            return VG_ERR_FORMAT;
        if (!VG_ENABLE_F32_SIGMOID_TANH && ld[l].act > VG_ACT_RELU)
            return VG_ERR_UNSUPPORTED;
        if (no > VG_MAX_UNITS || ni > VG_MAX_UNITS)
            return VG_ERR_UNSUPPORTED;
        if (no > max_units)
            max_units = no;
        n_params += (uint32_t)ni * no + no;
        prev = no;
    }
    if (prev != m->n_features)
        return VG_ERR_FORMAT;
    if (size != 4u + 8u * nl + 4u * n_params)
        return VG_ERR_FORMAT;
    m->u.ae.n_layers = nl;
    m->u.ae.max_units = max_units;
    m->u.ae.layers = ld;
    m->u.ae.params = (const float *)(const void *)(p + 4u + 8u * nl);
    if (!all_finite(m->u.ae.params, n_params))
        return VG_ERR_FORMAT;
    return VG_OK;
}
#endif

#if VG_ENABLE_IFOREST
static vg_status_t check_tree(const vg_itree_node_t *t, uint32_t n, uint16_t n_features)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!(fabsf(t[i].value) <= 3.0e38f))
            return VG_ERR_FORMAT;
        if (t[i].feature == VG_ITREE_LEAF) {
            if (t[i].value < 0.0f) /* a path length; negative would push the score above 1 */
                return VG_ERR_FORMAT;
            continue;
        }
        /* Children strictly after the parent and inside the tree: every walk ends at a leaf. */
        if (t[i].feature >= n_features || i + 1u >= n || t[i].right <= i + 1u || t[i].right >= n)
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

static vg_status_t parse_iforest(vg_model_t *m, const uint8_t *p, uint32_t size)
{
    if (size < 12)
        return VG_ERR_FORMAT;
    uint16_t nt = vg_le16(p);
    uint32_t nn = vg_le32(p + 4);
    float c = vg_lef32(p + 8);
    if (nt == 0 || nn == 0 || !finite_pos(c))
        return VG_ERR_FORMAT;
    if (nt > VG_MAX_TREES)
        return VG_ERR_UNSUPPORTED;
    if (nn > (size - 12u) / 8u)
        return VG_ERR_FORMAT;
    if (size != 12u + 4u * nt + 8u * nn)
        return VG_ERR_FORMAT;
    const uint32_t *roots = (const uint32_t *)(const void *)(p + 12);
    const vg_itree_node_t *nodes = (const vg_itree_node_t *)(const void *)(p + 12u + 4u * nt);
    if (roots[0] != 0)
        return VG_ERR_FORMAT;
    for (uint16_t t = 0; t < nt; t++) {
        uint32_t end = t + 1u < nt ? roots[t + 1] : nn;
        if (end <= roots[t] || end > nn || end - roots[t] > 0xFFFFu)
            return VG_ERR_FORMAT;
        VG_TRY(check_tree(nodes + roots[t], end - roots[t], m->n_features));
    }
    m->u.iforest.n_trees = nt;
    m->u.iforest.n_nodes = nn;
    m->u.iforest.c_norm = c;
    m->u.iforest.roots = roots;
    m->u.iforest.nodes = nodes;
    return VG_OK;
}
#endif

static vg_status_t parse_modl(vg_model_t *m, section_t s)
{
    if (s.size < VG_MODL_FIXED_SIZE)
        return VG_ERR_FORMAT;
    m->kind = vg_le16(s.p);
    const uint8_t *p = s.p + VG_MODL_FIXED_SIZE;
    uint32_t size = s.size - VG_MODL_FIXED_SIZE;
    /* A kind this build leaves out (vg_opts.h) is unsupported, like an unknown one. */
    switch (m->kind) {
#if VG_ENABLE_ZSCORE
    case VG_KIND_ZSCORE:
        if (size != 4)
            return VG_ERR_FORMAT;
        m->u.zscore.alpha = vg_lef32(p);
        if (!(m->u.zscore.alpha >= 0.0f && m->u.zscore.alpha <= 1.0f))
            return VG_ERR_FORMAT;
        return VG_OK;
#endif
#if VG_ENABLE_AE_F32
    case VG_KIND_AUTOENCODER: return parse_ae(m, p, size);
#endif
#if VG_ENABLE_IFOREST
    case VG_KIND_IFOREST: return parse_iforest(m, p, size);
#endif
#if VG_ENABLE_FOREST
    case VG_KIND_FOREST: return vg_forest_parse(m, p, size);
#endif
#if VG_ENABLE_AE_S8
    case VG_KIND_AE_S8: return vg_ae_s8_parse(m, p, size);
#endif
#if VG_ENABLE_TREES_S16
    case VG_KIND_IFOREST_S16: return vg_iforest_s16_parse(m, p, size);
    case VG_KIND_FOREST_S16: return vg_forest_s16_parse(m, p, size);
#endif
    default:
        (void)p;
        (void)size;
        return VG_ERR_UNSUPPORTED;
    }
}

uint32_t vg_model_crc(const uint8_t *b, uint32_t total)
{
    /* Everything but the CRC field itself, so the version and size are covered too. */
    uint32_t c = vg_crc32(0, b, VG_MODEL_CRC_OFFSET);
    return vg_crc32(c, b + VG_MODEL_BODY_OFFSET, total - VG_MODEL_BODY_OFFSET);
}

vg_status_t vg_model_parse(vg_model_t *m, const void *buf, size_t len)
{
    if (!m || !buf)
        return VG_ERR_ARG;
    if (((uintptr_t)buf & 3u) != 0)
        return VG_ERR_ALIGN;
    const uint8_t *b = (const uint8_t *)buf;
    if (len < VG_MODEL_HEADER_SIZE || vg_le32(b) != VG_MODEL_MAGIC)
        return VG_ERR_FORMAT;
    if (vg_le16(b + 4) != VG_MODEL_VERSION_MAJOR)
        return VG_ERR_VERSION;
    uint32_t total = vg_le32(b + 8);
    if (total < VG_MODEL_HEADER_SIZE || total > len)
        return VG_ERR_FORMAT;
    if (vg_model_crc(b, total) != vg_le32(b + VG_MODEL_CRC_OFFSET))
        return VG_ERR_CRC;
    uint32_t ns = vg_le32(b + 16);
    if (ns == 0 || ns > VG_MODEL_MAX_SECTIONS || vg_le32(b + 20) != 0)
        return VG_ERR_FORMAT;
    uint32_t table_end = VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * ns;
    if (table_end > total)
        return VG_ERR_FORMAT;

    section_t pipe = {0, 0}, deci = {0, 0}, modl = {0, 0}, meta = {0, 0}, wave = {0, 0};
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        uint32_t tag = vg_le32(e), off = vg_le32(e + 4), size = vg_le32(e + 8);
        if (off < table_end || off > total || size > total - off || (off & 3u) != 0)
            return VG_ERR_FORMAT;
        section_t *dst = tag == VG_SECT_PIPE   ? &pipe
                         : tag == VG_SECT_DECI ? &deci
                         : tag == VG_SECT_MODL ? &modl
                         : tag == VG_SECT_META ? &meta
                         : tag == VG_SECT_WAVE ? &wave
                                               : 0;
        if (!dst)
            continue; /* unknown sections are skipped: newer minor versions may add some */
        if (dst->p)
            return VG_ERR_FORMAT;
        dst->p = b + off;
        dst->size = size;
    }
    if (!pipe.p || !deci.p || !modl.p)
        return VG_ERR_FORMAT;

    /* Parsed straight into *m: a copy on the stack would be the deepest frame of a small
     * device's start-up. On failure *m holds a partial view and must not be used. */
    vg_model_t *t = m;
    t->buf = b;
    t->size = total;
    t->version_minor = vg_le16(b + 6);
    t->wave.present = 0;
#if VG_ENABLE_WAVEFORM
    if (wave.p)
        VG_TRY(parse_wave(t, wave));
#else
    if (wave.p)
        return VG_ERR_UNSUPPORTED; /* a waveform pipeline, and this build has no frontend for it */
#endif
    VG_TRY(parse_pipe(t, pipe));
    VG_TRY(parse_deci(t, deci));
    VG_TRY(parse_modl(t, modl));
    /* The strict class is a forest's disturbance class. */
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
    if (t->strict_pm &&
        (vg_model_base_kind(t->kind) != VG_KIND_FOREST ||
         t->strict_class >= t->u.forest.n_classes || t->strict_class == t->u.forest.normal_class))
        return VG_ERR_FORMAT;
#endif
    t->meta = meta.p ? (const char *)meta.p : 0;
    t->meta_len = meta.size;
    return VG_OK;
}

uint32_t vg_model_param_count(const vg_model_t *m)
{
    switch (m->kind) {
    case VG_KIND_ZSCORE: return 2u * m->n_features;
#if VG_ENABLE_AE_F32
    case VG_KIND_AUTOENCODER: {
        uint32_t n = 0;
        for (uint16_t l = 0; l < m->u.ae.n_layers; l++)
            n += (uint32_t)m->u.ae.layers[l].n_in * m->u.ae.layers[l].n_out +
                 m->u.ae.layers[l].n_out;
        return n;
    }
#endif
#if VG_ENABLE_AE_S8
    case VG_KIND_AE_S8: {
        uint32_t n = 0;
        for (uint16_t l = 0; l < m->u.ae8.n_layers; l++)
            n += (uint32_t)m->u.ae8.layers[l].n_in * m->u.ae8.layers[l].n_out +
                 m->u.ae8.layers[l].n_out;
        return n;
    }
#endif
#if VG_ENABLE_IFOREST
    case VG_KIND_IFOREST: return m->u.iforest.n_nodes;
#endif
#if VG_ENABLE_FOREST
    case VG_KIND_FOREST: return m->u.forest.n_nodes;
#endif
#if VG_ENABLE_TREES_S16
    case VG_KIND_IFOREST_S16: return m->u.iforest.n_nodes;
    case VG_KIND_FOREST_S16: return m->u.forest.n_nodes;
#endif
    default: return 0;
    }
}

size_t vg_model_scratch_size(const vg_model_t *m)
{
#if VG_ENABLE_AE_S8
    if (m->kind == VG_KIND_AE_S8)
        return vg_ae_s8_scratch_size(m);
#endif
#if VG_ENABLE_AE_F32
    if (m->kind == VG_KIND_AUTOENCODER)
        return 2u * m->u.ae.max_units * sizeof(float);
#endif
#if VG_ENABLE_TREES_S16
    if (m->kind == VG_KIND_IFOREST_S16 || m->kind == VG_KIND_FOREST_S16)
        return VG_TREE_S16_SCRATCH(m->n_features);
#endif
    (void)m;
    return 0u;
}

#if VG_ENABLE_AE_F32
static float score_ae(const vg_model_t *m, const float *x, float *contrib, float *recon,
                      float *scratch)
{
    /* Ping-pong between two halves of the scratch; the last layer writes its output there
     * too, so recon may be NULL. */
    float *bufs[2] = {scratch, scratch + m->u.ae.max_units};
    const float *in = x;
    const float *w = m->u.ae.params;
    float *out = bufs[0];
    for (uint16_t l = 0; l < m->u.ae.n_layers; l++) {
        const vg_layer_desc_t *ld = &m->u.ae.layers[l];
        const float *b = w + (size_t)ld->n_in * ld->n_out;
        out = bufs[l & 1u];
        vg_dense_f32(w, b, in, out, ld->n_in, ld->n_out, ld->act);
        w = b + ld->n_out;
        in = out;
    }
    /* Root-mean-square error: the source document's ||x - x'|| scaled by 1/sqrt(d), so the
     * score is in the units of the normalised features, like the z-score baseline's. */
    float sum = 0.0f;
    const float inv = 1.0f / (float)m->n_features;
    for (uint16_t i = 0; i < m->n_features; i++) {
        float d = x[i] - out[i];
        float e = d * d * inv;
        sum += e;
        if (contrib)
            contrib[i] = e;
        if (recon)
            recon[i] = out[i];
    }
    return sqrtf(sum);
}
#endif

void vg_model_score(const vg_model_t *m, const float *x, float *raw, float *contrib, float *recon,
                    float *scratch)
{
    /* Kinds this build leaves out (vg_opts.h) are never parsed: their branches are dead. */
    float r = 0.0f;
#if VG_ENABLE_AE_F32
    if (m->kind == VG_KIND_AUTOENCODER) {
        *raw = score_ae(m, x, contrib, recon, scratch);
        return;
    }
#endif
#if VG_ENABLE_AE_S8
    if (m->kind == VG_KIND_AE_S8) {
        *raw = vg_ae_s8_score(m, x, contrib, recon, scratch);
        return;
    }
#endif
#if VG_ENABLE_TREES_S16
    /* The scratch is 4-aligned and holds n_features int16 (vg_model_scratch_size()). */
    if (m->kind == VG_KIND_IFOREST_S16)
        r = vg_iforest_s16_score(m, x, (int16_t *)(void *)scratch);
    if (m->kind == VG_KIND_FOREST_S16)
        (void)vg_forest_s16_predict(m, x, (int16_t *)(void *)scratch, NULL, &r);
#endif
    (void)scratch;
#if VG_ENABLE_IFOREST
    if (m->kind == VG_KIND_IFOREST)
        r = vg_iforest_score(m, x);
#endif
#if VG_ENABLE_FOREST
    if (m->kind == VG_KIND_FOREST)
        (void)vg_forest_predict(m, x, NULL, &r);
#endif
    for (uint16_t i = 0;
         (VG_ENABLE_ZSCORE || VG_ENABLE_IFOREST || VG_ENABLE_FOREST || VG_ENABLE_TREES_S16) &&
         i < m->n_features;
         i++) {
        /* zscore: the score is the largest |z|; iforest: |z| shows which feature moved. */
        float a = fabsf(x[i]);
        if (m->kind == VG_KIND_ZSCORE && a > r)
            r = a;
        if (contrib)
            contrib[i] = a;
        if (recon)
            recon[i] = x[i];
    }
    *raw = r;
}

const char *vg_model_kind_name(unsigned kind)
{
    switch (kind) {
    case VG_KIND_ZSCORE: return "zscore";
    case VG_KIND_AUTOENCODER: return "autoencoder";
    case VG_KIND_IFOREST: return "iforest";
    case VG_KIND_FOREST: return "forest";
    case VG_KIND_AE_S8: return "autoencoder-int8";
    case VG_KIND_IFOREST_S16: return "iforest-int16";
    case VG_KIND_FOREST_S16: return "forest-int16";
    default: return "unknown";
    }
}
