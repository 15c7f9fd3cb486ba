/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_model.c
 * @brief libFuzzer target for the model artifact parser and everything a parsed model drives.
 *
 * Each input is copied into an exactly sized malloc'd buffer (aligned; AddressSanitizer sees
 * any read past the end) and parsed twice: as is (exercises the size and CRC checks), and
 * with the CRC field recomputed over [16, total_size) when total_size is plausible, so that
 * mutations reach the structure checks behind the CRC. A model that parses must then bind a
 * detector (vg_detector_arena_size() bytes, with guard bytes after it), score a stream of
 * samples including NaN, +-inf and out-of-range values, survive a reset, and keep its
 * documented invariants; any violation aborts.
 *
 * Fuzz (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/include -Ihost/vigil \
 *         tests/fuzz/fuzz_model.c host/vigil/pq_evnt.c \
 *         core/src/vg_[a-z]*.c -o /tmp/fuzz_model && cp -r tests/fuzz/corpus/model
 * /tmp/corpus_model && /tmp/fuzz_model -max_total_time=180 /tmp/corpus_model Replay the corpus
 * without libFuzzer (as CTest does):
 *   gcc -std=c11 -fsanitize=address,undefined -Icore/include -Ihost/vigil tests/fuzz/fuzz_model.c \
 *       host/vigil/pq_evnt.c \
 *       tests/fuzz/replay_main.c core/src/vg_[a-z]*.c -lm -o /tmp/replay_model &&
 *   /tmp/replay_model tests/fuzz/corpus/model
 * The seed corpus is written by tests/fuzz/gen_model_corpus.c.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_evnt.h"
#include "vigil/vg_forest.h"
#include "vigil/vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest arena any valid model needs is about 330 KB (16 channels x 4096 samples). */
#define FUZZ_ARENA_CAP (512u * 1024u)
#define FUZZ_GUARD     32u

static union {
    uint64_t align;
    uint8_t b[FUZZ_ARENA_CAP + FUZZ_GUARD];
} fuzz_arena;

static volatile float fuzz_sink;

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            (fprintf(stderr, "fuzz_model: check failed: %s (line %d)\n", #c, __LINE__), abort());  \
    } while (0)

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static int inside(const void *p, size_t n_bytes, const uint8_t *lo, const uint8_t *hi)
{
    const uint8_t *q = (const uint8_t *)p;
    return q >= lo && q <= hi && n_bytes <= (size_t)(hi - q);
}

static void check_model(const vg_model_t *m, const uint8_t *buf, size_t size)
{
    const uint8_t *hi = buf + m->size;
    CHECK(m->buf == buf && m->size >= 32u && m->size <= size);
    CHECK(m->n_channels >= 1 && m->n_channels <= VG_MAX_CHANNELS);
    CHECK(m->window >= 1 && m->window <= VG_MAX_WINDOW && m->hop >= 1 && m->hop <= m->window);
    CHECK(m->n_features >= 1 && m->n_features <= VG_MAX_FEATURES);
    CHECK(m->threshold > 0.0f && isfinite(m->threshold));
    CHECK(inside(m->feats, 4u * m->n_features, buf, hi));
    CHECK(inside(m->norm, 8u * m->n_features, buf, hi));
    for (unsigned k = 0; k < m->n_features; k++) {
        if (m->wave.present)
            CHECK(m->feats[k].channel < VG_WAVE_QTY_COUNT &&
                  m->feats[k].feature < VG_WAVE_AGG_COUNT);
        else
            CHECK(m->feats[k].channel < m->n_channels && m->feats[k].feature < VG_FEAT_COUNT);
    }
    if (m->wave.present) {
        CHECK(m->n_channels <= 2 && m->wave.n_sos <= VG_PQ_MAX_SOS);
        CHECK(inside(m->wave.sos, 20u * m->wave.n_sos, buf, hi));
    }
    if (m->meta)
        CHECK(inside(m->meta, m->meta_len, buf, hi));
    switch (m->kind) {
    case VG_KIND_ZSCORE: CHECK(m->u.zscore.alpha >= 0.0f && m->u.zscore.alpha <= 1.0f); break;
    case VG_KIND_AUTOENCODER:
        CHECK(m->u.ae.n_layers >= 1 && m->u.ae.n_layers <= VG_MAX_LAYERS);
        CHECK(inside(m->u.ae.layers, 8u * m->u.ae.n_layers, buf, hi));
        CHECK(inside(m->u.ae.params, 4u * (size_t)vg_model_param_count(m), buf, hi));
        CHECK(vg_model_scratch_size(m) <= 2u * VG_MAX_UNITS * sizeof(float));
        break;
    case VG_KIND_AE_S8: {
        const uint16_t nl = m->u.ae8.n_layers;
        CHECK(nl >= 1 && nl <= VG_MAX_LAYERS);
        CHECK(m->u.ae8.in_zp >= -128 && m->u.ae8.in_zp <= 127);
        CHECK(inside(m->u.ae8.layers, 20u * nl, buf, hi));
        uint32_t bytes = 0;
        for (uint16_t l = 0; l < nl; l++) {
            const vg_layer_s8_t *ld = &m->u.ae8.layers[l];
            CHECK(ld->n_in <= VG_MAX_UNITS && ld->n_out <= VG_MAX_UNITS && ld->n_out >= 1);
            CHECK(ld->act_min <= ld->act_max && (ld->lut != 0) == (ld->act >= VG_ACT_SIGMOID));
            vg_ae_s8_arrays_t a;
            vg_ae_s8_arrays(m, l, &a);
            CHECK(inside(a.w, (size_t)ld->n_in * ld->n_out, buf, hi));
            CHECK(inside(a.bias, 4u * ld->n_out, buf, hi) &&
                  inside(a.mult, 4u * ld->n_out, buf, hi));
            CHECK(inside(a.shift, ld->n_out, buf, hi));
            CHECK(!a.lut || inside(a.lut, 256u, buf, hi));
            bytes += vg_ae_s8_block_size(ld);
        }
        CHECK(inside(m->u.ae8.data, bytes, buf, hi));
        /* the int8 network alone on extreme inputs: scratch exactly sized, guards intact */
        const size_t ss = vg_model_scratch_size(m);
        CHECK(ss % 4u == 0 && ss <= FUZZ_ARENA_CAP);
        memset(fuzz_arena.b + ss, 0xA5, FUZZ_GUARD);
        int8_t in[VG_MAX_UNITS], out[VG_MAX_UNITS];
        for (int pass = 0; pass < 3; pass++) {
            for (unsigned k = 0; k < m->n_features; k++)
                in[k] = (int8_t)(pass == 0 ? -128 : pass == 1 ? 127 : (int)(k * 37u % 256u) - 128);
            vg_ae_s8_forward(m, in, out, fuzz_arena.b);
        }
        for (size_t i = 0; i < FUZZ_GUARD; i++)
            CHECK(fuzz_arena.b[ss + i] == 0xA5);
        CHECK(vg_model_param_count(m) > 0);
        break;
    }
    case VG_KIND_IFOREST:
        CHECK(m->u.iforest.n_trees >= 1 && m->u.iforest.n_trees <= VG_MAX_TREES);
        CHECK(inside(m->u.iforest.roots, 4u * m->u.iforest.n_trees, buf, hi));
        CHECK(inside(m->u.iforest.nodes, 8u * (size_t)m->u.iforest.n_nodes, buf, hi));
        CHECK(vg_model_param_count(m) == m->u.iforest.n_nodes);
        break;
    case VG_KIND_FOREST: {
        const uint16_t nt = m->u.forest.n_trees, nc = m->u.forest.n_classes;
        CHECK(nt >= 1 && nt <= VG_MAX_TREES && nc >= 2 && nc <= VG_MAX_CLASSES);
        CHECK(m->u.forest.normal_class < nc);
        CHECK(inside(m->u.forest.roots, 4u * nt, buf, hi));
        CHECK(inside(m->u.forest.nodes, 12u * (size_t)m->u.forest.n_nodes, buf, hi));
        CHECK(vg_model_param_count(m) == m->u.forest.n_nodes);
        /* votes add up to the tree count, the winner has the most, p_anomaly is a share */
        float x[VG_MAX_FEATURES];
        for (int pass = 0; pass < 3; pass++) {
            for (unsigned k = 0; k < m->n_features; k++)
                x[k] = pass == 0 ? 0.0f : pass == 1 ? NAN : (float)((int)(k % 5u) - 2) * 0.7f;
            uint16_t votes[VG_MAX_CLASSES];
            float p = -1.0f;
            const uint16_t c = vg_forest_predict(m, x, votes, &p);
            unsigned sum = 0;
            for (unsigned k = 0; k < nc; k++) {
                sum += votes[k];
                CHECK(votes[k] < votes[c] || (votes[k] == votes[c] && k >= c));
            }
            CHECK(c < nc && sum == nt && p >= 0.0f && p <= 1.0f);
            CHECK(vg_forest_predict(m, x, NULL, NULL) == c);
        }
        break;
    }
    case VG_KIND_IFOREST_S16:
    case VG_KIND_FOREST_S16: {
        /* int16 forests: every array inside the artifact, the scratch exactly sized (guard
         * bytes), and inference on extreme, NaN and saturating inputs */
        const int iso = m->kind == VG_KIND_IFOREST_S16;
        const uint16_t nt = iso ? m->u.iforest.n_trees : m->u.forest.n_trees;
        const uint32_t nn = iso ? m->u.iforest.n_nodes : m->u.forest.n_nodes;
        CHECK(nt >= 1 && nt <= VG_MAX_TREES);
        CHECK(inside(iso ? m->u.iforest.roots : m->u.forest.roots, 4u * nt, buf, hi));
        CHECK(inside(iso ? m->u.iforest.quant : m->u.forest.quant, 8u * m->n_features, buf, hi));
        if (iso)
            CHECK(inside(m->u.iforest.qnodes, 6u * (size_t)nn, buf, hi));
        else
            CHECK(inside(m->u.forest.qnodes, 8u * (size_t)nn, buf, hi) &&
                  m->u.forest.normal_class < m->u.forest.n_classes);
        CHECK(vg_model_param_count(m) == nn);
        const size_t ss = vg_model_scratch_size(m);
        CHECK(ss % 4u == 0 && ss >= 2u * m->n_features && ss <= FUZZ_ARENA_CAP);
        memset(fuzz_arena.b + ss, 0xA5, FUZZ_GUARD);
        float x[VG_MAX_FEATURES];
        for (int pass = 0; pass < 4; pass++) {
            for (unsigned k = 0; k < m->n_features; k++)
                x[k] = pass == 0   ? 0.0f
                       : pass == 1 ? NAN
                       : pass == 2 ? (k & 1u ? 3e38f : -3e38f)
                                   : (float)((int)(k % 5u) - 2) * 0.7f;
            float raw = -1.0f;
            vg_model_score(m, x, &raw, NULL, NULL, (float *)(void *)fuzz_arena.b);
            CHECK(raw >= 0.0f && raw <= 1.0f);
            if (!iso) {
                uint16_t votes[VG_MAX_CLASSES];
                const uint16_t c =
                    vg_forest_s16_predict(m, x, (int16_t *)(void *)fuzz_arena.b, votes, NULL);
                unsigned sum = 0;
                for (unsigned k = 0; k < m->u.forest.n_classes; k++)
                    sum += votes[k];
                CHECK(c < m->u.forest.n_classes && sum == nt);
            }
        }
        for (size_t i = 0; i < FUZZ_GUARD; i++)
            CHECK(fuzz_arena.b[ss + i] == 0xA5);
        break;
    }
    default: abort();
    }
}

static void check_result(const vg_detector_t *d, const vg_result_t *r, const vg_result_t *prev)
{
    CHECK(r->score >= 0.0f && r->score <= 1.0f);
    CHECK(r->window <= 1 && r->ready <= 1 && r->over <= 1 && r->dropout <= 1);
    CHECK(r->event <= VG_EVENT_CLOSE);
    CHECK(r->anomaly == d->dec.open);
    CHECK(r->n_missing <= d->m->n_channels);
    CHECK(r->top_feature < d->m->n_features);
    CHECK(!r->window || r->ready);
    CHECK(!prev->ready || r->ready);
    CHECK(r->event != VG_EVENT_OPEN || (r->anomaly && !prev->anomaly));
    CHECK(r->event != VG_EVENT_CLOSE || (!r->anomaly && prev->anomaly));
    CHECK(r->window || r->event == VG_EVENT_NONE);
    CHECK(!r->dropout || r->over);
}

static float sample_at(const uint8_t *buf, size_t size, uint32_t k, unsigned c)
{
    uint32_t h = k * 16u + c;
    switch ((k * 7u + c * 3u) % 23u) {
    case 5: return NAN;
    case 11: return (c & 1u) ? INFINITY : -INFINITY;
    case 17: return 1.0e13f;
    case 19: return -1.0e12f;
    default: break;
    }
    int8_t b = size ? (int8_t)buf[h % size] : 0;
    return (float)b * 0.37f + (float)k * 0.01f;
}

static void run_detector(const vg_model_t *m, const uint8_t *buf, size_t size)
{
    size_t need = vg_detector_arena_size(m);
    CHECK(need % 4u == 0);
    if (need > FUZZ_ARENA_CAP)
        return;
    memset(fuzz_arena.b + need, 0xA5, FUZZ_GUARD);
    vg_detector_t d;
    CHECK(vg_detector_init(&d, m, fuzz_arena.b, need - 1u) == VG_ERR_SIZE);
    CHECK(vg_detector_init(&d, m, fuzz_arena.b, need) == VG_OK);
    /* ~50 samples, plus enough for a few windows when the window is short; a waveform
     * window is window x frame samples (capped to keep each input fast) */
    uint32_t n = 50u + (m->window <= 256u ? (uint32_t)m->window + 2u * m->hop : 0u);
    if (m->wave.present) {
        uint32_t frame = (uint32_t)(m->sample_rate / m->wave.f_nominal + 0.5f);
        uint32_t want = ((uint32_t)m->window + 2u * m->hop) * frame + 50u;
        n = want < 20000u ? want : 20000u;
    }
    float x[VG_MAX_CHANNELS];
    vg_result_t r, prev;
    memset(&prev, 0, sizeof prev);
    float acc = 0.0f;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t k = 0; k < n; k++) {
            for (unsigned c = 0; c < m->n_channels; c++)
                x[c] = sample_at(buf, size, k + (uint32_t)pass, c);
            vg_detector_push(&d, x, &r);
            check_result(&d, &r, &prev);
            prev = r;
            acc += r.score;
        }
        const float *f = vg_detector_features(&d), *xn = vg_detector_normalised(&d);
        const float *ct = vg_detector_contrib(&d), *rc = vg_detector_recon(&d);
        for (unsigned i = 0; i < m->n_features; i++) {
            /* features of held, in-range samples are always finite */
            CHECK(isfinite(f[i]));
            acc += xn[i] + ct[i] + rc[i];
        }
        vg_detector_reset(&d);
        memset(&prev, 0, sizeof prev);
    }
    (void)vg_detector_set_threshold(&d, m->threshold * 2.0f);
    for (size_t i = 0; i < FUZZ_GUARD; i++)
        CHECK(fuzz_arena.b[need + i] == 0xA5);
    fuzz_sink = acc;
}

/* The host's readers of the EVNT section (the power-quality event classifier) and the SEGC
 * section (the segment classifier of a snippet model): a malformed one is refused with a
 * message, a valid one has its layout's feature count and votes with exactly its trees on
 * any features, NaN and infinities included. */
static void check_stages(const vg_model_t *m)
{
    static float x[VGH_PQ_EV_MAX_FEATURES];
    static const float probe[] = {0.0f, -1.0f, 1.0f, 1e30f, -INFINITY, INFINITY, NAN};
    for (int segc = 0; segc < 2; segc++) {
        vgh_pq_evmodel_t em;
        char err[256];
        err[0] = '\0';
        const int rc = segc ? vgh_pq_segmodel_parse(m, &em, err, sizeof err)
                            : vgh_pq_evmodel_parse(m, &em, err, sizeof err);
        if (rc != 0) {
            CHECK(err[0] != '\0' && !em.present);
            continue;
        }
        if (!em.present)
            continue;
        const uint16_t want =
            segc ? vgh_pq_segment_n_features(m, em.layout) : vgh_pq_event_n_features(m, em.layout);
        const unsigned max_layout = segc ? VGH_PQ_SEGC_LAYOUT : VGH_PQ_EVNT_LAYOUT;
        CHECK(em.n_features == want && want > 0 && want <= VGH_PQ_EV_MAX_FEATURES &&
              em.layout >= 1 && em.layout <= max_layout);
        for (size_t p = 0; p < sizeof probe / sizeof probe[0]; p++) {
            for (unsigned k = 0; k < em.n_features; k++)
                x[k] = k % 3 == 0 ? probe[p] : (float)k * 0.01f;
            uint16_t votes[VG_MAX_CLASSES];
            uint16_t best = vg_forest_predict(&em.forest, x, votes, NULL);
            uint32_t sum = 0;
            for (unsigned c = 0; c < em.forest.u.forest.n_classes; c++)
                sum += votes[c];
            CHECK(sum == em.forest.u.forest.n_trees && best < em.forest.u.forest.n_classes);
        }
    }
}

static void parse_and_run(const uint8_t *buf, size_t size)
{
    vg_model_t m;
    vg_status_t s = vg_model_parse(&m, buf, size);
    CHECK(vg_status_str(s) != NULL);
    CHECK(s == VG_OK || s == VG_ERR_FORMAT || s == VG_ERR_CRC || s == VG_ERR_VERSION ||
          s == VG_ERR_UNSUPPORTED);
    if (s != VG_OK)
        return;
    check_model(&m, buf, size);
    check_stages(&m);
    (void)vg_model_param_count(&m);
    run_detector(&m, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* calloc: zeroed even when size is 0 (and malloc memory is at least 8-aligned) */
    uint8_t *copy = calloc(size ? size : 1u, 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    parse_and_run(copy, size);
    if (size >= 32u) {
        uint32_t total = rd32(copy + 8);
        if (total >= 32u && total <= size) {
            uint32_t crc = vg_model_crc(copy, total);
            for (int i = 0; i < 4; i++)
                copy[12 + i] = (uint8_t)(crc >> (8 * i));
            parse_and_run(copy, size);
        }
    }
    /* The same bytes one byte off alignment are always refused, before anything is read. */
    uint8_t *odd = malloc(size + 1u);
    if (odd) {
        if (size)
            memcpy(odd + 1, copy, size);
        vg_model_t m;
        CHECK(vg_model_parse(&m, odd + 1, size) == VG_ERR_ALIGN);
        free(odd);
    }
    free(copy);
    return 0;
}
