/* SPDX-License-Identifier: MIT */
/* The EVNT section of a power-quality artifact: the event classifier (docs/model-format.md).
 * Outside bytes: read through the core's checked forest reader, fuzzed by
 * tests/fuzz/fuzz_model.c. Depends on the core only. */
#include "pq_evnt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/vg_forest.h"

static uint32_t pq__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

uint16_t vgh_pq_event_n_features(const vg_model_t *m, unsigned layout)
{
    if (vg_model_base_kind(m->kind) != VG_KIND_FOREST || m->u.forest.n_classes <= 2)
        return 0;
    return (uint16_t)(2u * m->u.forest.n_classes + 6u + 2u * m->n_features +
                      (layout >= 2u ? VGH_PQ_FIT_FEATURES_L2 : 0u));
}

/* EVNT body: u16 layout (VGH_PQ_EVNT_LAYOUT), u16 n_features, u32 0, then a forest body as
 * in MODL kind 4 (u16 trees, u16 classes, u32 nodes, u16 normal class, u16 0, roots, nodes).
 * The forest part is checked by the core's own reader, vg_forest_parse(). */
#define PQ__EVNT_HEAD 8u

uint16_t vgh_pq_segment_n_features(const vg_model_t *m, unsigned layout)
{
    if (vg_model_base_kind(m->kind) != VG_KIND_FOREST || !m->wave.present ||
        m->u.forest.n_classes < 2)
        return 0;
    /* the fit's features each layout reads: the first ones of the same fit */
    static const uint16_t fit[VGH_PQ_SEGC_LAYOUT + 1u] = {
        0, VGH_PQ_FIT_FEATURES_S1, VGH_PQ_FIT_FEATURES_S2, VGH_PQ_FIT_FEATURES_S3,
        VGH_PQ_FIT_FEATURES};
    return (uint16_t)(m->n_features + fit[layout < 1u                   ? 1u
                                          : layout > VGH_PQ_SEGC_LAYOUT ? VGH_PQ_SEGC_LAYOUT
                                                                        : layout]);
}

/* The section @p tag (EVNT or SEGC), its layouts 1..max_layout, n_features from nf_of. */
static int pq__section_parse(const vg_model_t *m, uint32_t tag, const char *name, const char *noun,
                             unsigned max_layout, uint16_t (*nf_of)(const vg_model_t *, unsigned),
                             const char *what, vgh_pq_evmodel_t *em, char *err, size_t errlen)
{
    memset(em, 0, sizeof *em);
    /* The core parser has checked the table: ns entries inside the artifact, each section
     * 4-aligned and inside it. */
    const uint8_t *b = (const uint8_t *)m->buf;
    const uint32_t ns = pq__le32(b + 16);
    const uint8_t *body = NULL;
    uint32_t size = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        if (pq__le32(e) != tag)
            continue;
        if (body) {
            snprintf(err, errlen, "%s section: more than one", name);
            return -1;
        }
        body = b + pq__le32(e + 4);
        size = pq__le32(e + 8);
    }
    if (!body)
        return 0;
    if (!nf_of(m, max_layout)) {
        snprintf(err, errlen, "%s section: the model is not a %s", name, what);
        return -1;
    }
    if (size < PQ__EVNT_HEAD) {
        snprintf(err, errlen, "%s section: %u bytes, shorter than its header", name, size);
        return -1;
    }
    const unsigned layout = (unsigned)(body[0] | (body[1] << 8));
    const unsigned nf = (unsigned)(body[2] | (body[3] << 8));
    if (layout < 1u || layout > max_layout) {
        snprintf(err, errlen, "%s section: unknown %s feature layout %u (this build reads 1 to %u)",
                 name, noun, layout, max_layout);
        return -1;
    }
    const uint16_t want = nf_of(m, layout);
    if (nf != want || pq__le32(body + 4) != 0) {
        snprintf(err, errlen,
                 "%s section: %u %s features, the model's layout has %u (or reserved bytes set)",
                 name, nf, noun, want);
        return -1;
    }
    em->forest.n_features = (uint16_t)nf;
    vg_status_t st = vg_forest_parse(&em->forest, body + PQ__EVNT_HEAD, size - PQ__EVNT_HEAD);
    if (st != VG_OK) {
        snprintf(err, errlen, "%s section: malformed %s forest (%s)", name, noun,
                 vg_status_str(st));
        return -1;
    }
    if (em->forest.u.forest.n_classes != m->u.forest.n_classes ||
        em->forest.u.forest.normal_class != m->u.forest.normal_class) {
        snprintf(err, errlen,
                 "%s section: the %s forest has %u classes (normal %u), the model %u (%u)", name,
                 noun, em->forest.u.forest.n_classes, em->forest.u.forest.normal_class,
                 m->u.forest.n_classes, m->u.forest.normal_class);
        return -1;
    }
    em->forest.kind = VG_KIND_FOREST;
    em->layout = (uint16_t)layout;
    em->n_features = (uint16_t)nf;
    em->present = 1;
    return 0;
}

int vgh_pq_evmodel_parse(const vg_model_t *m, vgh_pq_evmodel_t *em, char *err, size_t errlen)
{
    return pq__section_parse(m, VGH_SECT_EVNT, "EVNT", "event", VGH_PQ_EVNT_LAYOUT,
                             vgh_pq_event_n_features, "multi-class waveform forest", em, err,
                             errlen);
}

int vgh_pq_segmodel_parse(const vg_model_t *m, vgh_pq_evmodel_t *em, char *err, size_t errlen)
{
    return pq__section_parse(m, VGH_SECT_SEGC, "SEGC", "segment", VGH_PQ_SEGC_LAYOUT,
                             vgh_pq_segment_n_features, "waveform forest", em, err, errlen);
}

static void pq__put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void pq__put32(uint8_t *p, uint32_t v)
{
    pq__put16(p, v);
    pq__put16(p + 2, v >> 16);
}

int vgh_pq_evmodel_body(uint16_t layout, uint16_t n_features, const vg_tree_node_t *nodes,
                        uint32_t n_nodes, const uint32_t *roots, uint16_t n_trees,
                        uint16_t n_classes, uint16_t normal_class, uint8_t **out, size_t *len)
{
    size_t n = PQ__EVNT_HEAD + 12u + 4u * (size_t)n_trees + 12u * (size_t)n_nodes;
    uint8_t *p = calloc(1, n);
    if (!p)
        return -1;
    pq__put16(p, layout);
    pq__put16(p + 2, n_features);
    uint8_t *f = p + PQ__EVNT_HEAD;
    pq__put16(f, n_trees);
    pq__put16(f + 2, n_classes);
    pq__put32(f + 4, n_nodes);
    pq__put16(f + 8, normal_class);
    for (uint16_t t = 0; t < n_trees; t++)
        pq__put32(f + 12u + 4u * t, roots[t]);
    uint8_t *nd = f + 12u + 4u * (size_t)n_trees;
    for (uint32_t i = 0; i < n_nodes; i++) {
        uint32_t bits;
        memcpy(&bits, &nodes[i].value, 4);
        pq__put32(nd + 12u * i, bits);
        pq__put16(nd + 12u * i + 4u, nodes[i].feature);
        pq__put16(nd + 12u * i + 6u, nodes[i].cls);
        pq__put32(nd + 12u * i + 8u, nodes[i].right);
    }
    *out = p;
    *len = n;
    return 0;
}
