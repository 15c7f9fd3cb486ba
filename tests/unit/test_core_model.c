/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of core/src/vg_model.c: vg_model_parse() against docs/model-format.md, with
 * artifacts written byte by byte by tests/unit/vg_test_artifact.c (its own CRC and writer),
 * plus vg_model_param_count(), vg_model_scratch_size() and vg_model_score().
 *
 * Artifacts that must be refused are parsed from a malloc'd copy of exactly their length, so
 * AddressSanitizer reports any read past the end; accepted mutants are also scored.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vg_test_artifact.h"
#include "vigil/vigil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BUF_CAP  (600u * 1024u)

/* Doubles equal within eps; prints both values on failure. */
#define assert_near(a, b, eps) near__check((a), (b), (eps), #a, __FILE__, __LINE__)
static void near__check(double a, double b, double eps, const char *what, const char *file,
                        int line)
{
    if (fabs(a - b) <= eps)
        return;
    print_error("%s:%d: %s = %.9g, expected %.9g (eps %g)\n", file, line, what, a, b, eps);
    fail();
}

/* 8-aligned scratch buffers for building artifacts. */
static union {
    uint64_t align;
    uint8_t b[BUF_CAP];
} g_art, g_work;

/* ---- fixtures ---------------------------------------------------------------------------- */

static const uint8_t CH3[] = {0, 0, 1};
static const uint8_t ID3[] = {VG_FEAT_MEAN, VG_FEAT_STD, VG_FEAT_LAST};
static const float NORM3[] = {20.0f, 0.5f, 1.0f, 2.0f, -3.0f, 0.25f};

static vgt_pipe_t pipe3(void)
{
    vgt_pipe_t p = {10.0f, 2, 8, 4, 3, VG_NORM_ZSCORE, 250, CH3, ID3, NORM3, 3.0f, 2, 3, NULL};
    return p;
}

static const vgt_layer_t AE_LAYERS[] = {{3, 2, VG_ACT_RELU}, {2, 3, VG_ACT_LINEAR}};
static const float AE_PARAMS[] = {
    /* layer 0: W[2][3], b[2] */
    0.5f,
    -0.25f,
    1.0f,
    0.125f,
    0.75f,
    -0.5f,
    0.1f,
    -0.2f,
    /* layer 1: W[3][2], b[3] */
    1.0f,
    0.0f,
    -1.0f,
    0.5f,
    0.25f,
    0.25f,
    0.0f,
    0.3f,
    -0.3f,
};

/* Two trees over 3 features. Tree 0: x0 < 0.5 ? leaf 1 : leaf 2. Tree 1 (5 nodes):
 * x1 < 0 ? (x2 < 1 ? leaf 3 : leaf 2.5) : leaf 1.5. */
static const uint32_t IF_ROOTS[] = {0, 3};
static const vgt_node_t IF_NODES[] = {
    {0.5f, 0, 2}, {1.0f, 0xFFFF, 0}, {2.0f, 0xFFFF, 0}, {0.0f, 1, 4},
    {1.0f, 2, 3}, {3.0f, 0xFFFF, 0}, {2.5f, 0xFFFF, 0}, {1.5f, 0xFFFF, 0},
};

enum { K_ZSCORE, K_AE, K_IFOREST, K_COUNT };

static size_t build_kind(int kind, uint8_t *buf, size_t cap, const char *meta)
{
    vgt_pipe_t p = pipe3();
    p.meta = meta;
    switch (kind) {
    case K_ZSCORE: return vgt_build_zscore(buf, cap, &p, 0.05f);
    case K_AE: return vgt_build_ae(buf, cap, &p, 2, AE_LAYERS, AE_PARAMS);
    default: return vgt_build_iforest(buf, cap, &p, 2, IF_ROOTS, NELEM(IF_NODES), IF_NODES, 2.0f);
    }
}

/* Parse a copy of exactly @p n bytes (malloc is at least 8-aligned); when accepted, check
 * every pointer lies inside the artifact and score a few vectors through it. */
static vg_status_t parse_exact(const uint8_t *a, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n)
        memcpy(c, a, n);
    vg_model_t m;
    vg_status_t s = vg_model_parse(&m, c, n);
    if (s == VG_OK) {
        const uint8_t *lo = c, *hi = c + m.size;
        assert_true(m.size <= n);
        assert_true((const uint8_t *)m.feats >= lo);
        assert_true((const uint8_t *)(m.feats + m.n_features) <= hi);
        assert_true((const uint8_t *)m.norm >= lo);
        assert_true((const uint8_t *)(m.norm + 2 * m.n_features) <= hi);
        if (m.kind == VG_KIND_AUTOENCODER) {
            assert_true((const uint8_t *)(m.u.ae.layers + m.u.ae.n_layers) <= hi);
            assert_true((const uint8_t *)(m.u.ae.params + vg_model_param_count(&m)) <= hi);
        }
        if (m.kind == VG_KIND_IFOREST) {
            assert_true((const uint8_t *)(m.u.iforest.roots + m.u.iforest.n_trees) <= hi);
            assert_true((const uint8_t *)(m.u.iforest.nodes + m.u.iforest.n_nodes) <= hi);
        }
        float x[VG_MAX_FEATURES], contrib[VG_MAX_FEATURES], recon[VG_MAX_FEATURES], raw;
        float scratch[2 * VG_MAX_UNITS];
        assert_true(vg_model_scratch_size(&m) <= sizeof scratch);
        const float probes[] = {0.0f, -1.0f, 2.5f, 1e6f, -INFINITY};
        for (size_t p = 0; p < NELEM(probes); p++) {
            for (unsigned i = 0; i < m.n_features; i++)
                x[i] = probes[p] * (float)(i + 1);
            vg_model_score(&m, x, &raw, contrib, recon, scratch);
        }
    }
    free(c);
    return s;
}

/* Copy of the base artifact of @p kind into g_work; returns its length. */
static size_t work_copy(int kind)
{
    size_t n = build_kind(kind, g_art.b, sizeof g_art.b, NULL);
    assert_true(n > 0);
    memcpy(g_work.b, g_art.b, n);
    return n;
}

static uint32_t sect_off(const uint8_t *buf, size_t n, uint32_t tag)
{
    uint32_t off = 0;
    assert_true(vgt_find_section(buf, n, tag, &off, NULL) >= 0);
    return off;
}

/* Expected status of a patched artifact: a specific status, or ANY_ERR for "refused". */
#define ANY_ERR ((vg_status_t)1)
static void expect_status(vg_status_t got, vg_status_t want)
{
    if (want == ANY_ERR)
        assert_int_not_equal(got, VG_OK);
    else
        assert_int_equal(got, want);
}

/* Patch a field of the base artifact, fix the CRC, expect @p want. */
static void expect_patch16(int kind, uint32_t tag, uint32_t rel, uint16_t v, vg_status_t want)
{
    size_t n = work_copy(kind);
    vgt_put16(g_work.b + sect_off(g_work.b, n, tag) + rel, v);
    vgt_fix_crc(g_work.b, n);
    vg_status_t s = parse_exact(g_work.b, n);
    if (want == ANY_ERR ? s == VG_OK : s != want)
        print_error("kind %d tag %08x +%u = 0x%04x: got %d, want %d\n", kind, (unsigned)tag,
                    (unsigned)rel, (unsigned)v, s, want);
    expect_status(s, want);
}

static void expect_patch32(int kind, uint32_t tag, uint32_t rel, uint32_t v, vg_status_t want)
{
    size_t n = work_copy(kind);
    vgt_put32(g_work.b + sect_off(g_work.b, n, tag) + rel, v);
    vgt_fix_crc(g_work.b, n);
    vg_status_t s = parse_exact(g_work.b, n);
    if (want == ANY_ERR ? s == VG_OK : s != want)
        print_error("kind %d tag %08x +%u = 0x%08x: got %d, want %d\n", kind, (unsigned)tag,
                    (unsigned)rel, (unsigned)v, s, want);
    expect_status(s, want);
}

static void expect_patchf(int kind, uint32_t tag, uint32_t rel, float v, vg_status_t want)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    expect_patch32(kind, tag, rel, u, want);
}

/* ---- valid artifacts ------------------------------------------------------------------- */

static void test_builder_crc(void **state)
{
    (void)state;
    assert_int_equal(vgt_crc32("123456789", 9), 0xCBF43926u);
    assert_int_equal(vgt_crc32("", 0), 0u);
    size_t n = work_copy(K_AE);
    assert_int_equal(vgt_get32(g_work.b + 12), vg_model_crc(g_work.b, (uint32_t)n));
    assert_int_equal(vgt_artifact_crc(g_work.b, n), vg_model_crc(g_work.b, (uint32_t)n));
}

static void test_parse_zscore(void **state)
{
    (void)state;
    size_t n = build_kind(K_ZSCORE, g_art.b, sizeof g_art.b, NULL);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_ptr_equal(m.buf, g_art.b);
    assert_int_equal(m.size, n);
    assert_int_equal(m.version_minor, 0);
    assert_true(m.sample_rate == 10.0f);
    assert_int_equal(m.n_channels, 2);
    assert_int_equal(m.window, 8);
    assert_int_equal(m.hop, 4);
    assert_int_equal(m.n_features, 3);
    assert_int_equal(m.norm_kind, VG_NORM_ZSCORE);
    assert_int_equal(m.max_missing_pm, 250);
    for (unsigned k = 0; k < 3; k++) {
        assert_int_equal(m.feats[k].channel, CH3[k]);
        assert_int_equal(m.feats[k].feature, ID3[k]);
        assert_true(m.norm[2 * k] == NORM3[2 * k] && m.norm[2 * k + 1] == NORM3[2 * k + 1]);
    }
    assert_true(m.threshold == 3.0f);
    assert_int_equal(m.open_after, 2);
    assert_int_equal(m.close_after, 3);
    assert_int_equal(m.kind, VG_KIND_ZSCORE);
    assert_true(m.u.zscore.alpha == 0.05f);
    assert_null(m.meta);
    assert_int_equal(m.meta_len, 0);
    /* The buffer may be longer than the artifact. */
    assert_int_equal(vg_model_parse(&m, g_art.b, n + 100), VG_OK);
    assert_int_equal(m.size, n);
}

static void test_parse_ae(void **state)
{
    (void)state;
    size_t n = build_kind(K_AE, g_art.b, sizeof g_art.b, NULL);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(m.kind, VG_KIND_AUTOENCODER);
    assert_int_equal(m.u.ae.n_layers, 2);
    assert_int_equal(m.u.ae.max_units, 3);
    assert_int_equal(m.u.ae.layers[0].n_in, 3);
    assert_int_equal(m.u.ae.layers[0].n_out, 2);
    assert_int_equal(m.u.ae.layers[0].act, VG_ACT_RELU);
    assert_int_equal(m.u.ae.layers[1].n_out, 3);
    for (size_t i = 0; i < NELEM(AE_PARAMS); i++)
        assert_true(m.u.ae.params[i] == AE_PARAMS[i]);
    /* Weights are used in place. */
    const uint8_t *pp = (const uint8_t *)m.u.ae.params;
    assert_true(pp > g_art.b && pp + sizeof AE_PARAMS <= g_art.b + n);
}

static void test_parse_iforest(void **state)
{
    (void)state;
    size_t n = build_kind(K_IFOREST, g_art.b, sizeof g_art.b, NULL);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(m.kind, VG_KIND_IFOREST);
    assert_int_equal(m.u.iforest.n_trees, 2);
    assert_int_equal(m.u.iforest.n_nodes, NELEM(IF_NODES));
    assert_true(m.u.iforest.c_norm == 2.0f);
    assert_int_equal(m.u.iforest.roots[1], 3);
    assert_int_equal(m.u.iforest.nodes[3].feature, 1);
    assert_int_equal(m.u.iforest.nodes[3].right, 4);
    assert_int_equal(m.u.iforest.nodes[1].feature, VG_ITREE_LEAF);
}

static void test_parse_meta(void **state)
{
    (void)state;
    const char *meta = "channels=temp,hum\ncreated_by=test\ntrain_rows=123";
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = build_kind(k, g_art.b, sizeof g_art.b, meta);
        assert_true(n > 0);
        vg_model_t m;
        assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
        assert_non_null(m.meta);
        assert_int_equal(m.meta_len, strlen(meta));
        assert_memory_equal(m.meta, meta, strlen(meta));
        /* META length is odd here, so total_size is not a multiple of 4: still valid. */
        assert_int_equal(parse_exact(g_art.b, n), VG_OK);
    }
}

static void test_parse_unknown_section_skipped(void **state)
{
    (void)state;
    vgt_pipe_t p = pipe3();
    vgt_writer_t w;
    vgt_begin(&w, g_art.b, sizeof g_art.b, 4);
    vgt_section_begin(&w, VGT_TAG('X', 'T', 'R', 'A'));
    vgt_w32(&w, 0xDEADBEEFu);
    vgt_section_end(&w);
    vgt_put_modl_zscore(&w, 0.0f);
    vgt_put_deci(&w, &p);
    vgt_put_pipe(&w, &p);
    size_t n = vgt_end(&w);
    assert_true(n > 0);
    assert_int_equal(parse_exact(g_art.b, n), VG_OK);
    /* A later minor version (with its CRC) is accepted. */
    vgt_put16(g_art.b + 6, 3);
    vgt_fix_crc(g_art.b, n);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(m.version_minor, 3);
}

/* ---- truncation and corruption ------------------------------------------------------------ */

static void test_every_truncation_refused(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = build_kind(k, g_art.b, sizeof g_art.b, "a=b");
        for (size_t len = 0; len < n; len++) {
            /* As is: total_size exceeds the buffer. */
            vg_status_t s = parse_exact(g_art.b, len);
            assert_int_equal(s, VG_ERR_FORMAT);
            /* Consistently truncated: total_size and CRC rewritten to the new length. */
            if (len >= VGT_HEADER_SIZE) {
                memcpy(g_work.b, g_art.b, len);
                vgt_put32(g_work.b + 8, (uint32_t)len);
                vgt_fix_crc(g_work.b, len);
                s = parse_exact(g_work.b, len);
                if (s == VG_OK)
                    print_error("kind %d truncated to %zu of %zu accepted\n", k, len, n);
                assert_int_not_equal(s, VG_OK);
            }
        }
    }
}

static void test_every_bit_flip_refused(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = build_kind(k, g_art.b, sizeof g_art.b, "x=1\n");
        for (size_t byte = 0; byte < n; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(g_work.b, g_art.b, n);
                g_work.b[byte] ^= (uint8_t)(1u << bit);
                vg_model_t m;
                vg_status_t s = vg_model_parse(&m, g_work.b, n);
                if (byte < 4)
                    assert_int_equal(s, VG_ERR_FORMAT); /* magic */
                else if (byte < 6)
                    assert_int_equal(s, VG_ERR_VERSION);
                else if (byte < 8)
                    assert_int_equal(s, VG_ERR_CRC); /* version_minor is covered by the CRC */
                else if (byte < 12)
                    assert_true(s == VG_ERR_FORMAT || s == VG_ERR_CRC); /* total_size */
                else
                    assert_int_equal(s, VG_ERR_CRC); /* CRC field and everything it covers */
            }
        }
    }
}

/* Flip every bit of the body and re-fix the CRC: whatever the parser accepts must be safe to
 * score (ASan checks reads stay inside the exact-size copy). */
static void test_every_bit_flip_with_crc_fixed_is_safe(void **state)
{
    (void)state;
    unsigned accepted = 0, refused = 0;
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = build_kind(k, g_art.b, sizeof g_art.b, NULL);
        for (size_t byte = 16; byte < n; byte++) {
            for (int bit = 0; bit < 8; bit++) {
                memcpy(g_work.b, g_art.b, n);
                g_work.b[byte] ^= (uint8_t)(1u << bit);
                vgt_fix_crc(g_work.b, n);
                if (parse_exact(g_work.b, n) == VG_OK)
                    accepted++;
                else
                    refused++;
            }
        }
    }
    print_message("crc-fixed bit flips: %u accepted (values, reserved), %u refused\n", accepted,
                  refused);
    assert_true(refused > 0);
}

/* ---- header ------------------------------------------------------------------------------ */

static void test_header_errors(void **state)
{
    (void)state;
    vg_model_t m;
    size_t n = work_copy(K_ZSCORE);
    assert_int_equal(vg_model_parse(NULL, g_work.b, n), VG_ERR_ARG);
    assert_int_equal(vg_model_parse(&m, NULL, n), VG_ERR_ARG);
    assert_int_equal(vg_model_parse(&m, g_work.b, 31), VG_ERR_FORMAT);

    /* Alignment: an exact copy one to three bytes off a 4-aligned address. */
    for (unsigned shift = 1; shift < 4; shift++) {
        memcpy(g_work.b + shift, g_art.b, n);
        assert_int_equal(vg_model_parse(&m, g_work.b + shift, n), VG_ERR_ALIGN);
    }
    memcpy(g_work.b + 4, g_art.b, n);
    assert_int_equal(vg_model_parse(&m, g_work.b + 4, n), VG_OK);

    n = work_copy(K_ZSCORE);
    vgt_put32(g_work.b, 0x414D4757u);
    assert_int_equal(vg_model_parse(&m, g_work.b, n), VG_ERR_FORMAT);
    n = work_copy(K_ZSCORE);
    vgt_put32(g_work.b, 0x56474D41u); /* byte-swapped magic */
    assert_int_equal(vg_model_parse(&m, g_work.b, n), VG_ERR_FORMAT);
    for (unsigned v = 0; v < 5; v++) {
        n = work_copy(K_ZSCORE);
        vgt_put16(g_work.b + 4, (uint16_t)v);
        assert_int_equal(vg_model_parse(&m, g_work.b, n), v == 1 ? VG_OK : VG_ERR_VERSION);
    }
    n = work_copy(K_ZSCORE);
    vgt_put16(g_work.b + 4, 0x0100); /* big-endian 1 */
    assert_int_equal(vg_model_parse(&m, g_work.b, n), VG_ERR_VERSION);

    /* total_size */
    const uint32_t totals[] = {0, 16, 31, (uint32_t)n + 1, 0xFFFFFFFFu};
    for (size_t i = 0; i < NELEM(totals); i++) {
        n = work_copy(K_ZSCORE);
        vgt_put32(g_work.b + 8, totals[i]);
        assert_int_equal(parse_exact(g_work.b, n), VG_ERR_FORMAT);
    }
    /* CRC field itself */
    n = work_copy(K_ZSCORE);
    vgt_put32(g_work.b + 12, vgt_get32(g_work.b + 12) + 1u);
    assert_int_equal(vg_model_parse(&m, g_work.b, n), VG_ERR_CRC);
    /* section_count 0, too many, more than the table the file holds; flags */
    const uint32_t counts[] = {0, 17, 0xFFFFFFFFu, 2, 4, 16};
    const vg_status_t want[] = {VG_ERR_FORMAT, VG_ERR_FORMAT, VG_ERR_FORMAT,
                                VG_ERR_FORMAT, VG_ERR_FORMAT, VG_ERR_FORMAT};
    for (size_t i = 0; i < NELEM(counts); i++) {
        n = work_copy(K_ZSCORE);
        vgt_put32(g_work.b + 16, counts[i]);
        vgt_fix_crc(g_work.b, n);
        assert_int_equal(parse_exact(g_work.b, n), want[i]);
    }
    n = work_copy(K_ZSCORE);
    vgt_put32(g_work.b + 20, 1);
    vgt_fix_crc(g_work.b, n);
    assert_int_equal(parse_exact(g_work.b, n), VG_ERR_FORMAT);
}

/* ---- section table ---------------------------------------------------------------------- */

static void expect_entry(uint32_t entry, uint32_t field, uint32_t v, vg_status_t want)
{
    size_t n = work_copy(K_AE);
    vgt_put32(g_work.b + VGT_HEADER_SIZE + VGT_ENTRY_SIZE * entry + field, v);
    vgt_fix_crc(g_work.b, n);
    vg_status_t s = parse_exact(g_work.b, n);
    if (s != want)
        print_error("entry %u field %u = %u: got %d want %d\n", (unsigned)entry, (unsigned)field,
                    (unsigned)v, s, want);
    assert_int_equal(s, want);
}

static void test_section_offsets_and_sizes(void **state)
{
    (void)state;
    size_t n = work_copy(K_AE);
    const uint32_t table_end = VGT_HEADER_SIZE + 3u * VGT_ENTRY_SIZE;
    for (uint32_t e = 0; e < 3; e++) {
        uint32_t off = vgt_get32(g_work.b + VGT_HEADER_SIZE + VGT_ENTRY_SIZE * e + 4);
        /* offset inside the header or the table, unaligned, past the end */
        expect_entry(e, 4, 0, VG_ERR_FORMAT);
        expect_entry(e, 4, 16, VG_ERR_FORMAT);
        expect_entry(e, 4, table_end - 4u, VG_ERR_FORMAT);
        expect_entry(e, 4, off + 1u, VG_ERR_FORMAT);
        expect_entry(e, 4, off + 2u, VG_ERR_FORMAT);
        expect_entry(e, 4, (uint32_t)n + 4u, VG_ERR_FORMAT);
        expect_entry(e, 4, 0xFFFFFFFCu, VG_ERR_FORMAT);
        /* size past the end, and offset + size wrapping around 2^32 */
        expect_entry(e, 8, (uint32_t)n - off + 1u, VG_ERR_FORMAT);
        expect_entry(e, 8, 0xFFFFFFFFu, VG_ERR_FORMAT);
        expect_entry(e, 8, 0u - off, VG_ERR_FORMAT);
    }
    /* A section may end exactly at total_size (the MODL section does). */
    uint32_t moff = 0, msize = 0;
    n = work_copy(K_AE);
    assert_true(vgt_find_section(g_work.b, n, VGT_MODL, &moff, &msize) >= 0);
    assert_int_equal(moff + msize, n);
}

static void test_missing_and_duplicate_sections(void **state)
{
    (void)state;
    vgt_pipe_t p = pipe3();
    /* Each of PIPE, DECI, MODL missing. */
    for (int miss = 0; miss < 3; miss++) {
        vgt_writer_t w;
        vgt_begin(&w, g_art.b, sizeof g_art.b, 2);
        if (miss != 0)
            vgt_put_pipe(&w, &p);
        if (miss != 1)
            vgt_put_deci(&w, &p);
        if (miss != 2)
            vgt_put_modl_zscore(&w, 0.0f);
        size_t n = vgt_end(&w);
        assert_true(n > 0);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
        /* Replacing the missing one by META or an unknown tag does not help. */
        vgt_begin(&w, g_art.b, sizeof g_art.b, 3);
        if (miss != 0)
            vgt_put_pipe(&w, &p);
        if (miss != 1)
            vgt_put_deci(&w, &p);
        if (miss != 2)
            vgt_put_modl_zscore(&w, 0.0f);
        vgt_put_meta(&w, "k=v");
        n = vgt_end(&w);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
    }
    /* Each of PIPE, DECI, MODL twice. */
    for (int dup = 0; dup < 3; dup++) {
        vgt_writer_t w;
        vgt_begin(&w, g_art.b, sizeof g_art.b, 4);
        vgt_put_pipe(&w, &p);
        vgt_put_deci(&w, &p);
        vgt_put_modl_zscore(&w, 0.0f);
        if (dup == 0)
            vgt_put_pipe(&w, &p);
        else if (dup == 1)
            vgt_put_deci(&w, &p);
        else
            vgt_put_modl_zscore(&w, 0.0f);
        size_t n = vgt_end(&w);
        assert_true(n > 0);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
    }
    /* The same table entry repeated (two entries pointing at the same bytes). */
    size_t n = work_copy(K_ZSCORE);
    memcpy(g_work.b + VGT_HEADER_SIZE + VGT_ENTRY_SIZE * 2, g_work.b + VGT_HEADER_SIZE, 16);
    vgt_fix_crc(g_work.b, n);
    assert_int_equal(parse_exact(g_work.b, n), VG_ERR_FORMAT);
}

/* ---- PIPE, DECI, MODL fields ------------------------------------------------------------- */

static void test_pipe_fields(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        expect_patchf(k, VGT_PIPE, 0, 0.0f, VG_ERR_FORMAT);
        expect_patchf(k, VGT_PIPE, 0, -10.0f, VG_ERR_FORMAT);
        expect_patchf(k, VGT_PIPE, 0, NAN, VG_ERR_FORMAT);
        expect_patchf(k, VGT_PIPE, 0, INFINITY, VG_ERR_FORMAT);
        expect_patchf(k, VGT_PIPE, 0, 0.001f, VG_OK);
        expect_patch16(k, VGT_PIPE, 4, 0, VG_ERR_FORMAT); /* n_channels */
        expect_patch16(k, VGT_PIPE, 4, VG_MAX_CHANNELS, VG_OK);
        expect_patch16(k, VGT_PIPE, 4, VG_MAX_CHANNELS + 1, VG_ERR_UNSUPPORTED);
        expect_patch16(k, VGT_PIPE, 4, 1, VG_ERR_FORMAT); /* feature 2 reads channel 1 */
        expect_patch16(k, VGT_PIPE, 6, 0, VG_ERR_FORMAT); /* window */
        expect_patch16(k, VGT_PIPE, 6, 3, VG_ERR_FORMAT); /* < hop */
        expect_patch16(k, VGT_PIPE, 6, 4, VG_OK);         /* == hop */
        expect_patch16(k, VGT_PIPE, 6, VG_MAX_WINDOW, VG_OK);
        expect_patch16(k, VGT_PIPE, 6, VG_MAX_WINDOW + 1, VG_ERR_UNSUPPORTED);
        expect_patch16(k, VGT_PIPE, 8, 0, VG_ERR_FORMAT); /* hop */
        expect_patch16(k, VGT_PIPE, 8, 9, VG_ERR_FORMAT);
        expect_patch16(k, VGT_PIPE, 8, 8, VG_OK);
        expect_patch16(k, VGT_PIPE, 8, 1, VG_OK);
        expect_patch16(k, VGT_PIPE, 10, 0, VG_ERR_FORMAT); /* n_features vs section size */
        expect_patch16(k, VGT_PIPE, 10, 2, VG_ERR_FORMAT);
        expect_patch16(k, VGT_PIPE, 10, 4, VG_ERR_FORMAT);
        expect_patch16(k, VGT_PIPE, 12, 2, VG_OK); /* norm_kind */
        expect_patch16(k, VGT_PIPE, 12, 3, VG_ERR_FORMAT);
        expect_patch16(k, VGT_PIPE, 14, 1000, VG_OK); /* max_missing_pm */
        expect_patch16(k, VGT_PIPE, 14, 1001, VG_ERR_FORMAT);
        expect_patch16(k, VGT_PIPE, 14, 0xFFFF, VG_ERR_FORMAT);
        /* feature table: channel >= n_channels, feature id >= VG_FEAT_COUNT */
        for (uint32_t f = 0; f < 3; f++) {
            expect_patch16(k, VGT_PIPE, 16 + 4 * f, (uint16_t)(2 | (VG_FEAT_MEAN << 8)),
                           VG_ERR_FORMAT);
            expect_patch16(k, VGT_PIPE, 16 + 4 * f, (uint16_t)(0 | (VG_FEAT_COUNT << 8)),
                           VG_ERR_FORMAT);
            expect_patch16(k, VGT_PIPE, 16 + 4 * f, (uint16_t)(1 | (VG_FEAT_MAXDIFF << 8)), VG_OK);
        }
        /* normalisation pairs must be finite */
        for (uint32_t i = 0; i < 6; i++) {
            expect_patchf(k, VGT_PIPE, 28 + 4 * i, NAN, VG_ERR_FORMAT);
            expect_patchf(k, VGT_PIPE, 28 + 4 * i, -INFINITY, VG_ERR_FORMAT);
        }
    }
}

/* PIPE with the most features this build allows, and one more. */
static void test_pipe_feature_limits(void **state)
{
    (void)state;
    static uint8_t ch[VG_MAX_FEATURES + 1], id[VG_MAX_FEATURES + 1];
    for (unsigned i = 0; i <= VG_MAX_FEATURES; i++) {
        ch[i] = (uint8_t)(i % 2);
        id[i] = (uint8_t)(i % VG_FEAT_COUNT);
    }
    vgt_pipe_t p = pipe3();
    p.feat_channel = ch;
    p.feat_id = id;
    p.norm = NULL;
    p.n_features = VG_MAX_FEATURES;
    size_t n = vgt_build_zscore(g_art.b, sizeof g_art.b, &p, 0.0f);
    assert_int_equal(parse_exact(g_art.b, n), VG_OK);
    p.n_features = VG_MAX_FEATURES + 1;
    n = vgt_build_zscore(g_art.b, sizeof g_art.b, &p, 0.0f);
    assert_int_equal(parse_exact(g_art.b, n), VG_ERR_UNSUPPORTED);
}

static void test_pipe_size_mismatch(void **state)
{
    (void)state;
    vgt_pipe_t p = pipe3();
    /* PIPE 4 bytes longer than 16 + 12 n, 4 or 12 shorter, or shorter than its fixed part:
     * the section's bytes are cut or padded and its table size is rewritten to match. */
    const int delta[] = {4, -4, -12, -36, -40, -52};
    for (size_t i = 0; i < NELEM(delta); i++) {
        vgt_writer_t w;
        vgt_begin(&w, g_art.b, sizeof g_art.b, 3);
        vgt_put_pipe(&w, &p);
        uint8_t *size_field = w.buf + VGT_HEADER_SIZE + 8;
        uint32_t size = vgt_get32(size_field);
        if (delta[i] > 0)
            vgt_w32(&w, 0);
        else
            w.len -= (size_t)-delta[i];
        vgt_put32(size_field, (uint32_t)((int)size + delta[i]));
        vgt_put_deci(&w, &p);
        vgt_put_modl_zscore(&w, 0.0f);
        size_t n = vgt_end(&w);
        assert_true(n > 0);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
    }
}

static void test_deci_fields(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        expect_patchf(k, VGT_DECI, 0, 0.0f, VG_ERR_FORMAT);
        expect_patchf(k, VGT_DECI, 0, -0.0f, VG_ERR_FORMAT);
        expect_patchf(k, VGT_DECI, 0, -1.0f, VG_ERR_FORMAT);
        expect_patchf(k, VGT_DECI, 0, NAN, VG_ERR_FORMAT);
        expect_patchf(k, VGT_DECI, 0, INFINITY, VG_ERR_FORMAT);
        expect_patchf(k, VGT_DECI, 0, 1e-30f, VG_OK);
        expect_patch16(k, VGT_DECI, 4, 0, VG_ERR_FORMAT);
        expect_patch16(k, VGT_DECI, 6, 0, VG_ERR_FORMAT);
        expect_patch16(k, VGT_DECI, 4, 0xFFFF, VG_OK);
    }
    /* DECI of 8 and 16 bytes */
    vgt_pipe_t p = pipe3();
    for (int sz = 8; sz <= 16; sz += 8) {
        vgt_writer_t w;
        vgt_begin(&w, g_art.b, sizeof g_art.b, 3);
        vgt_put_pipe(&w, &p);
        vgt_section_begin(&w, VGT_DECI);
        vgt_wf(&w, 1.0f);
        vgt_w16(&w, 1);
        vgt_w16(&w, 1);
        if (sz == 16) {
            vgt_w32(&w, 0);
            vgt_w32(&w, 0);
        }
        vgt_section_end(&w);
        vgt_put_modl_zscore(&w, 0.0f);
        size_t n = vgt_end(&w);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
    }
}

static void test_modl_kind_and_zscore(void **state)
{
    (void)state;
    for (int k = 0; k < K_COUNT; k++) {
        expect_patch16(k, VGT_MODL, 0, 0, VG_ERR_UNSUPPORTED);
        expect_patch16(k, VGT_MODL, 0, VG_KIND_FOREST_S16 + 1, VG_ERR_UNSUPPORTED);
        expect_patch16(k, VGT_MODL, 0, VG_KIND_FOREST, VG_ERR_FORMAT); /* known, wrong body */
        expect_patch16(k, VGT_MODL, 0, 0xFFFF, VG_ERR_UNSUPPORTED);
    }
    /* Changing kind to another known kind makes the body the wrong size. */
    expect_patch16(K_ZSCORE, VGT_MODL, 0, VG_KIND_AUTOENCODER, ANY_ERR);
    expect_patch16(K_ZSCORE, VGT_MODL, 0, VG_KIND_IFOREST, VG_ERR_FORMAT);
    expect_patch16(K_AE, VGT_MODL, 0, VG_KIND_ZSCORE, VG_ERR_FORMAT);
    expect_patch16(K_AE, VGT_MODL, 0, VG_KIND_IFOREST, ANY_ERR);
    expect_patch16(K_IFOREST, VGT_MODL, 0, VG_KIND_ZSCORE, VG_ERR_FORMAT);
    expect_patch16(K_IFOREST, VGT_MODL, 0, VG_KIND_AUTOENCODER, ANY_ERR);
    /* alpha in [0, 1] */
    expect_patchf(K_ZSCORE, VGT_MODL, 4, 0.0f, VG_OK);
    expect_patchf(K_ZSCORE, VGT_MODL, 4, 1.0f, VG_OK);
    expect_patchf(K_ZSCORE, VGT_MODL, 4, -0.01f, VG_ERR_FORMAT);
    expect_patchf(K_ZSCORE, VGT_MODL, 4, 1.01f, VG_ERR_FORMAT);
    expect_patchf(K_ZSCORE, VGT_MODL, 4, NAN, VG_ERR_FORMAT);
    expect_patchf(K_ZSCORE, VGT_MODL, 4, INFINITY, VG_ERR_FORMAT);
    /* MODL shorter than its fixed part, zscore body of 0 and 8 bytes */
    vgt_pipe_t p = pipe3();
    const unsigned sizes[] = {0, 2, 4, 12};
    for (size_t i = 0; i < NELEM(sizes); i++) {
        vgt_writer_t w;
        vgt_begin(&w, g_art.b, sizeof g_art.b, 3);
        vgt_put_pipe(&w, &p);
        vgt_put_deci(&w, &p);
        vgt_section_begin(&w, VGT_MODL);
        if (sizes[i] >= 2)
            vgt_w16(&w, VG_KIND_ZSCORE);
        if (sizes[i] >= 4)
            vgt_w16(&w, 0);
        for (unsigned b = 4; b < sizes[i]; b += 4)
            vgt_wf(&w, 0.0f);
        vgt_section_end(&w);
        size_t n = vgt_end(&w);
        assert_int_equal(parse_exact(g_art.b, n), VG_ERR_FORMAT);
    }
}

/* ---- autoencoder ------------------------------------------------------------------------- */

static vg_status_t parse_ae_layers(uint16_t nf, uint16_t nl, const vgt_layer_t *layers,
                                   const float *params)
{
    static const uint8_t ch[VG_MAX_FEATURES] = {0};
    static const uint8_t id[VG_MAX_FEATURES] = {0};
    vgt_pipe_t p = pipe3();
    p.n_features = nf;
    p.feat_channel = ch;
    p.feat_id = id;
    p.norm = NULL;
    size_t n = vgt_build_ae(g_art.b, sizeof g_art.b, &p, nl, layers, params);
    assert_true(n > 0);
    return parse_exact(g_art.b, n);
}

static float g_params[8u * (VG_MAX_UNITS + 2u) * (VG_MAX_UNITS + 2u)];

static void fill_params(void)
{
    for (size_t i = 0; i < NELEM(g_params); i++)
        g_params[i] = 0.01f * (float)(i % 17);
}

static void test_ae_shapes(void **state)
{
    (void)state;
    fill_params();
    const vgt_layer_t ok[] = {{3, 5, 1}, {5, 2, 2}, {2, 3, 3}};
    assert_int_equal(parse_ae_layers(3, 3, ok, g_params), VG_OK);
    const vgt_layer_t one[] = {{3, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 1, one, g_params), VG_OK);

    const vgt_layer_t first_in[] = {{4, 2, 0}, {2, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, first_in, g_params), VG_ERR_FORMAT);
    const vgt_layer_t no_chain[] = {{3, 2, 0}, {4, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, no_chain, g_params), VG_ERR_FORMAT);
    const vgt_layer_t last_out[] = {{3, 2, 0}, {2, 4, 0}};
    assert_int_equal(parse_ae_layers(3, 2, last_out, g_params), VG_ERR_FORMAT);
    const vgt_layer_t zero_out[] = {{3, 0, 0}, {0, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, zero_out, g_params), VG_ERR_FORMAT);
    const vgt_layer_t bad_act[] = {{3, 2, 4}, {2, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, bad_act, g_params), VG_ERR_FORMAT);
    assert_int_equal(parse_ae_layers(3, 0, ok, g_params), VG_ERR_FORMAT);

    /* widths: VG_MAX_UNITS is fine, one more is unsupported */
    const vgt_layer_t wide[] = {{3, VG_MAX_UNITS, 1}, {VG_MAX_UNITS, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, wide, g_params), VG_OK);
    const vgt_layer_t too_wide[] = {{3, VG_MAX_UNITS + 1, 1}, {VG_MAX_UNITS + 1, 3, 0}};
    assert_int_equal(parse_ae_layers(3, 2, too_wide, g_params), VG_ERR_UNSUPPORTED);
    /* depth: VG_MAX_LAYERS is fine, one more is unsupported */
    vgt_layer_t deep[VG_MAX_LAYERS + 1];
    for (unsigned l = 0; l <= VG_MAX_LAYERS; l++) {
        deep[l].n_in = 3;
        deep[l].n_out = 3;
        deep[l].act = 3;
    }
    assert_int_equal(parse_ae_layers(3, VG_MAX_LAYERS, deep, g_params), VG_OK);
    assert_int_equal(parse_ae_layers(3, VG_MAX_LAYERS + 1, deep, g_params), VG_ERR_UNSUPPORTED);
    /* the widest network, with n_features = VG_MAX_FEATURES */
    vgt_layer_t big[VG_MAX_LAYERS];
    for (unsigned l = 0; l < VG_MAX_LAYERS; l++) {
        big[l].n_in = VG_MAX_FEATURES < VG_MAX_UNITS ? VG_MAX_FEATURES : VG_MAX_UNITS;
        big[l].n_out = big[l].n_in;
        big[l].act = 1;
    }
    assert_int_equal(parse_ae_layers(big[0].n_in, VG_MAX_LAYERS, big, g_params), VG_OK);
}

static void test_ae_body_size_and_values(void **state)
{
    (void)state;
    size_t n = work_copy(K_AE);
    uint32_t moff = sect_off(g_work.b, n, VGT_MODL);
    /* layer table longer than the section: n_layers patched up (shapes then fail too) */
    expect_patch16(K_AE, VGT_MODL, 4, 3, VG_ERR_FORMAT);
    expect_patch16(K_AE, VGT_MODL, 4, 0xFFFF, VG_ERR_UNSUPPORTED);
    expect_patch16(K_AE, VGT_MODL, 4, 0, VG_ERR_FORMAT);
    /* every weight and bias: NaN, +inf, -inf refused */
    const uint32_t p0 = 4u + 4u + 8u * 2u;
    for (uint32_t i = 0; i < NELEM(AE_PARAMS); i++) {
        expect_patchf(K_AE, VGT_MODL, p0 + 4 * i, NAN, VG_ERR_FORMAT);
        expect_patchf(K_AE, VGT_MODL, p0 + 4 * i, INFINITY, VG_ERR_FORMAT);
        expect_patchf(K_AE, VGT_MODL, p0 + 4 * i, -INFINITY, VG_ERR_FORMAT);
        expect_patchf(K_AE, VGT_MODL, p0 + 4 * i, -3.0e38f, VG_OK);
    }
    /* one parameter missing / one too many: MODL size rewritten, CRC fixed */
    n = work_copy(K_AE);
    int e = vgt_find_section(g_work.b, n, VGT_MODL, NULL, NULL);
    uint8_t *sz = g_work.b + VGT_HEADER_SIZE + VGT_ENTRY_SIZE * (uint32_t)e + 8;
    uint32_t msize = vgt_get32(sz);
    assert_int_equal(moff + msize, n);
    vgt_put32(sz, msize - 4u);
    vgt_fix_crc(g_work.b, n);
    assert_int_equal(parse_exact(g_work.b, n), VG_ERR_FORMAT);
    n = work_copy(K_AE);
    vgt_put32(g_work.b + n, 0);
    vgt_put32(g_work.b + 8, (uint32_t)n + 4u);
    vgt_put32(sz, msize + 4u);
    vgt_fix_crc(g_work.b, n + 4);
    assert_int_equal(parse_exact(g_work.b, n + 4), VG_ERR_FORMAT);
}

/* ---- isolation forest --------------------------------------------------------------------- */

static vg_status_t parse_forest(uint16_t nt, const uint32_t *roots, uint32_t nn,
                                const vgt_node_t *nodes)
{
    vgt_pipe_t p = pipe3();
    size_t n = vgt_build_iforest(g_art.b, sizeof g_art.b, &p, nt, roots, nn, nodes, 2.0f);
    assert_true(n > 0);
    return parse_exact(g_art.b, n);
}

static void test_iforest_structure(void **state)
{
    (void)state;
    vgt_node_t nodes[NELEM(IF_NODES)];
    memcpy(nodes, IF_NODES, sizeof nodes);
    assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_OK);

    /* right child backwards, onto itself, onto the left child, out of its tree */
    const uint16_t bad_right0[] = {0, 1, 3, 4, 0xFFFE};
    for (size_t i = 0; i < NELEM(bad_right0); i++) {
        memcpy(nodes, IF_NODES, sizeof nodes);
        nodes[0].right = bad_right0[i];
        assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
    }
    /* node 1 of tree 1 (relative index 1): right must be in (2, 5) */
    const uint16_t bad_right1[] = {0, 1, 2, 5, 6};
    for (size_t i = 0; i < NELEM(bad_right1); i++) {
        memcpy(nodes, IF_NODES, sizeof nodes);
        nodes[4].right = bad_right1[i];
        assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
    }
    memcpy(nodes, IF_NODES, sizeof nodes);
    nodes[4].right = 4; /* legal if odd: the right child is the tree's last leaf */
    assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_OK);
    /* an internal node as the last node of a tree (no room for children) */
    memcpy(nodes, IF_NODES, sizeof nodes);
    nodes[2].feature = 0;
    nodes[2].right = 0;
    assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
    memcpy(nodes, IF_NODES, sizeof nodes);
    nodes[7].feature = 1;
    nodes[7].right = 5;
    assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
    /* feature index >= n_features (3), and the largest valid one */
    const uint16_t feats[] = {3, 4, 0xFFFE};
    for (size_t i = 0; i < NELEM(feats); i++) {
        memcpy(nodes, IF_NODES, sizeof nodes);
        nodes[3].feature = feats[i];
        assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
    }
    memcpy(nodes, IF_NODES, sizeof nodes);
    nodes[3].feature = 2;
    assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_OK);
    /* non-finite values in split and leaf nodes */
    const size_t which[] = {0, 1, 5};
    const float bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < NELEM(which); i++) {
        for (size_t j = 0; j < NELEM(bad); j++) {
            memcpy(nodes, IF_NODES, sizeof nodes);
            nodes[which[i]].value = bad[j];
            assert_int_equal(parse_forest(2, IF_ROOTS, 8, nodes), VG_ERR_FORMAT);
        }
    }
    /* roots: roots[0] != 0, not ascending, equal, past the node count */
    const uint32_t r_bad[][2] = {{1, 3}, {0, 0}, {0, 8}, {0, 9}, {3, 0}, {0, 0xFFFFFFFFu}};
    for (size_t i = 0; i < NELEM(r_bad); i++)
        assert_int_equal(parse_forest(2, r_bad[i], 8, IF_NODES), VG_ERR_FORMAT);
    /* a single tree (the first three nodes) */
    const uint32_t r_one[] = {0};
    assert_int_equal(parse_forest(1, r_one, 3, IF_NODES), VG_OK);
}

static void test_iforest_counts(void **state)
{
    (void)state;
    /* n_trees 0 and n_nodes 0 / inconsistent / huge: header fields patched */
    expect_patch16(K_IFOREST, VGT_MODL, 4, 0, VG_ERR_FORMAT);
    expect_patch16(K_IFOREST, VGT_MODL, 4, 1, VG_ERR_FORMAT); /* body size then wrong */
    expect_patch16(K_IFOREST, VGT_MODL, 4, VG_MAX_TREES + 1, VG_ERR_UNSUPPORTED);
    expect_patch32(K_IFOREST, VGT_MODL, 8, 0, VG_ERR_FORMAT);
    expect_patch32(K_IFOREST, VGT_MODL, 8, 7, VG_ERR_FORMAT);
    expect_patch32(K_IFOREST, VGT_MODL, 8, 9, VG_ERR_FORMAT);
    expect_patch32(K_IFOREST, VGT_MODL, 8, 0x20000001u, VG_ERR_FORMAT); /* 8 n wraps to 8 */
    expect_patch32(K_IFOREST, VGT_MODL, 8, 0xFFFFFFFFu, VG_ERR_FORMAT);
    expect_patchf(K_IFOREST, VGT_MODL, 12, 0.0f, VG_ERR_FORMAT); /* c_norm */
    expect_patchf(K_IFOREST, VGT_MODL, 12, -1.0f, VG_ERR_FORMAT);
    expect_patchf(K_IFOREST, VGT_MODL, 12, NAN, VG_ERR_FORMAT);
    expect_patchf(K_IFOREST, VGT_MODL, 12, INFINITY, VG_ERR_FORMAT);

    /* VG_MAX_TREES single-leaf trees are fine, one more is unsupported */
    static uint32_t roots[VG_MAX_TREES + 1];
    static vgt_node_t leaves[VG_MAX_TREES + 1];
    for (uint32_t t = 0; t <= VG_MAX_TREES; t++) {
        roots[t] = t;
        leaves[t].value = 1.0f;
        leaves[t].feature = 0xFFFF;
        leaves[t].right = 0;
    }
    assert_int_equal(parse_forest(VG_MAX_TREES, roots, VG_MAX_TREES, leaves), VG_OK);
    assert_int_equal(parse_forest(VG_MAX_TREES + 1, roots, VG_MAX_TREES + 1, leaves),
                     VG_ERR_UNSUPPORTED);
}

/* A tree of 65535 nodes is the largest a u16 right index can address; 65536 is refused. */
static void test_iforest_tree_size_limit(void **state)
{
    (void)state;
    const uint32_t big = 65536;
    vgt_node_t *nodes = malloc(sizeof *nodes * big);
    assert_non_null(nodes);
    /* a left spine: node i splits on feature 0, right child is the tree's last node */
    for (uint32_t n = 65535; n <= big; n++) {
        for (uint32_t i = 0; i < n; i++) {
            nodes[i].value = i + 2 < n ? (float)i : 1.0f;
            nodes[i].feature = i + 2 < n ? 0 : 0xFFFF;
            nodes[i].right = i + 2 < n ? (uint16_t)(n - 1 > 0xFFFF ? 0xFFFF : n - 1) : 0;
        }
        const uint32_t root = 0;
        vgt_pipe_t p = pipe3();
        size_t len = vgt_build_iforest(g_art.b, sizeof g_art.b, &p, 1, &root, n, nodes, 2.0f);
        assert_true(len > 0);
        vg_model_t m;
        vg_status_t s = vg_model_parse(&m, g_art.b, len);
        assert_int_equal(s, n <= 0xFFFF ? VG_OK : VG_ERR_FORMAT);
        if (s == VG_OK) {
            /* x0 = -1 walks the whole left spine to the leaf at n - 2 (path 1). */
            float x[3] = {-1.0f, 0, 0}, raw;
            vg_model_score(&m, x, &raw, NULL, NULL, NULL);
            assert_near(raw, pow(2.0, -0.5), 1e-6);
        }
    }
    free(nodes);
}

/* ---- param count, scratch size, scoring ---------------------------------------------------- */

static void test_param_count_and_scratch(void **state)
{
    (void)state;
    vg_model_t m;
    size_t n = build_kind(K_ZSCORE, g_art.b, sizeof g_art.b, NULL);
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(vg_model_param_count(&m), 6); /* mean and sd per feature */
    assert_int_equal(vg_model_scratch_size(&m), 0);
    n = build_kind(K_AE, g_art.b, sizeof g_art.b, NULL);
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(vg_model_param_count(&m), 3 * 2 + 2 + 2 * 3 + 3);
    assert_int_equal(vg_model_scratch_size(&m), 2 * 3 * sizeof(float));
    n = build_kind(K_IFOREST, g_art.b, sizeof g_art.b, NULL);
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(vg_model_param_count(&m), 8);
    assert_int_equal(vg_model_scratch_size(&m), 0);
    /* wide hidden layer: scratch is two buffers of the widest layer */
    fill_params();
    const vgt_layer_t wide[] = {{3, 40, 1}, {40, 7, 1}, {7, 3, 0}};
    vgt_pipe_t p = pipe3();
    n = vgt_build_ae(g_art.b, sizeof g_art.b, &p, 3, wide, g_params);
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(vg_model_param_count(&m), 3 * 40 + 40 + 40 * 7 + 7 + 7 * 3 + 3);
    assert_int_equal(m.u.ae.max_units, 40);
    assert_int_equal(vg_model_scratch_size(&m), 2 * 40 * sizeof(float));
}

static void test_score_ae_hand(void **state)
{
    (void)state;
    /* 2 -> 1 -> 2, linear: h = 0.5 x0 + 0.5 x1 + 1; out = (h - 1, 2 h + 0.5).
     * x = (3, 1): h = 3, out = (2, 6.5), err = (1, -5.5), e = err^2 / 2 = (0.5, 15.125);
     * raw is the root-mean-square error sqrt(0.5 + 15.125). */
    static const uint8_t ch[] = {0, 0}, id[] = {VG_FEAT_MEAN, VG_FEAT_STD};
    const vgt_layer_t layers[] = {{2, 1, VG_ACT_LINEAR}, {1, 2, VG_ACT_LINEAR}};
    const float params[] = {0.5f, 0.5f, 1.0f, 1.0f, 2.0f, -1.0f, 0.5f};
    vgt_pipe_t p = pipe3();
    p.n_features = 2;
    p.feat_channel = ch;
    p.feat_id = id;
    p.norm = NULL;
    size_t n = vgt_build_ae(g_art.b, sizeof g_art.b, &p, 2, layers, params);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(vg_model_scratch_size(&m), 2 * 2 * sizeof(float));
    float scratch[4 + 1], raw = -1, contrib[2], recon[2];
    scratch[4] = 12345.0f; /* guard just past the scratch */
    const float x[2] = {3.0f, 1.0f};
    vg_model_score(&m, x, &raw, contrib, recon, scratch);
    assert_true(raw == sqrtf(15.625f));
    assert_true(contrib[0] == 0.5f && contrib[1] == 15.125f);
    assert_true(recon[0] == 2.0f && recon[1] == 6.5f);
    assert_true(scratch[4] == 12345.0f);
    /* contrib and recon may be NULL */
    raw = -1;
    vg_model_score(&m, x, &raw, NULL, NULL, scratch);
    assert_true(raw == sqrtf(15.625f));
    /* another point: the contributions are the squared errors / n (they sum to raw^2) */
    const float x2[2] = {-7.25f, 0.125f};
    vg_model_score(&m, x2, &raw, contrib, recon, scratch);
    double h = 0.5 * -7.25 + 0.5 * 0.125 + 1.0;
    double e0 = (-7.25 - (h - 1)) * (-7.25 - (h - 1)) / 2, e1 = (0.125 - (2 * h + 0.5));
    e1 = e1 * e1 / 2;
    assert_near(contrib[0], e0, 1e-6 * e0);
    assert_near(contrib[1], e1, 1e-6 * e1);
    assert_near(raw, sqrt(e0 + e1), 1e-6 * sqrt(e0 + e1));
    assert_near((double)raw * raw, (double)contrib[0] + contrib[1], 1e-6 * (e0 + e1));
    /* a perfect reconstruction scores 0: the fixed point x = out(x) is h = 1.5 h + 0.75,
     * h = -1.5, x = (-2.5, -2.5) */
    const float x3[2] = {-2.5f, -2.5f};
    vg_model_score(&m, x3, &raw, contrib, recon, scratch);
    assert_true(raw == 0.0f && contrib[0] == 0.0f && contrib[1] == 0.0f);
}

/* Double-precision reference of a random AE; seeded property test. */
static double ref_act(double x, unsigned act)
{
    switch (act) {
    case 1: return x > 0 ? x : 0;
    case 2: return 1.0 / (1.0 + exp(-x));
    case 3: return tanh(x);
    default: return x;
    }
}

static uint32_t g_rng;
static uint32_t rng_next(void)
{
    /* xorshift32 */
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return g_rng;
}
static float rng_unit(void)
{
    return (float)(rng_next() >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void test_score_ae_random_vs_double(void **state)
{
    (void)state;
    const uint32_t seed = 0xC0FFEE01u;
    print_message("seed 0x%08x\n", (unsigned)seed);
    g_rng = seed;
    static uint8_t ch[VG_MAX_FEATURES], id[VG_MAX_FEATURES];
    for (int trial = 0; trial < 50; trial++) {
        uint16_t nf = (uint16_t)(1 + rng_next() % 12);
        uint16_t nl = (uint16_t)(1 + rng_next() % VG_MAX_LAYERS);
        vgt_layer_t layers[VG_MAX_LAYERS];
        uint16_t prev = nf;
        for (unsigned l = 0; l < nl; l++) {
            layers[l].n_in = prev;
            layers[l].n_out = l + 1 == nl ? nf : (uint16_t)(1 + rng_next() % VG_MAX_UNITS);
            layers[l].act = (uint8_t)(rng_next() % 4);
            prev = layers[l].n_out;
        }
        uint32_t np = vgt_ae_param_count(nl, layers);
        for (uint32_t i = 0; i < np; i++)
            g_params[i] = rng_unit() * 0.3f;
        vgt_pipe_t p = pipe3();
        p.n_features = nf;
        p.feat_channel = ch;
        p.feat_id = id;
        p.norm = NULL;
        size_t n = vgt_build_ae(g_art.b, sizeof g_art.b, &p, nl, layers, g_params);
        vg_model_t m;
        assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
        float x[VG_MAX_FEATURES], raw, contrib[VG_MAX_FEATURES], recon[VG_MAX_FEATURES];
        float scratch[2 * VG_MAX_UNITS];
        for (unsigned i = 0; i < nf; i++)
            x[i] = rng_unit() * 3.0f;
        vg_model_score(&m, x, &raw, contrib, recon, scratch);
        double a[VG_MAX_UNITS], b[VG_MAX_UNITS];
        for (unsigned i = 0; i < nf; i++)
            a[i] = x[i];
        const float *w = g_params;
        for (unsigned l = 0; l < nl; l++) {
            const float *bias = w + (size_t)layers[l].n_in * layers[l].n_out;
            for (unsigned o = 0; o < layers[l].n_out; o++) {
                double acc = bias[o];
                for (unsigned i = 0; i < layers[l].n_in; i++)
                    acc += (double)w[o * layers[l].n_in + i] * a[i];
                b[o] = ref_act(acc, layers[l].act);
            }
            w = bias + layers[l].n_out;
            memcpy(a, b, sizeof(double) * layers[l].n_out);
        }
        double sum = 0;
        for (unsigned i = 0; i < nf; i++) {
            double d = x[i] - a[i];
            sum += d * d / nf;
            /* float32 dot products of <= 65 terms of magnitude <= ~3: a few 1e-6 absolute */
            assert_near(recon[i], a[i], 2e-5 * (1.0 + fabs(a[i])));
            assert_near(contrib[i], d * d / nf, 1e-4 * (1.0 + d * d / nf));
        }
        /* raw is the root-mean-square reconstruction error */
        assert_near(raw, sqrt(sum), 1e-4 * (1.0 + sqrt(sum)));
    }
}

static void test_score_iforest_hand(void **state)
{
    (void)state;
    size_t n = build_kind(K_IFOREST, g_art.b, sizeof g_art.b, NULL);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    struct {
        float x[3];
        double mean_path;
    } cases[] = {
        {{0.0f, -1.0f, 0.0f}, (1.0 + 3.0) / 2}, /* left, left-left */
        {{1.0f, 5.0f, 0.0f}, (2.0 + 1.5) / 2},  /* right, right */
        {{2.0f, -1.0f, 2.0f}, (2.0 + 2.5) / 2}, /* right, left-right */
        {{0.5f, 0.0f, 1.0f}, (2.0 + 1.5) / 2},  /* equal to the split value goes right */
        {{-INFINITY, -1.0f, INFINITY}, (1.0 + 2.5) / 2},
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        float raw = -1, contrib[3], recon[3];
        vg_model_score(&m, cases[i].x, &raw, contrib, recon, NULL);
        assert_near(raw, pow(2.0, -cases[i].mean_path / 2.0), 1e-6);
        for (unsigned k = 0; k < 3; k++) {
            assert_true(contrib[k] == fabsf(cases[i].x[k]));
            assert_true(recon[k] == cases[i].x[k]);
        }
        assert_near(vg_itree_path(m.u.iforest.nodes, cases[i].x), cases[i].x[0] < 0.5f ? 1.0 : 2.0,
                    0);
    }
    float raw;
    const float x[3] = {0, -1, 0};
    vg_model_score(&m, x, &raw, NULL, NULL, NULL);
    assert_true(raw == 0.5f);
}

static void test_score_zscore(void **state)
{
    (void)state;
    size_t n = build_kind(K_ZSCORE, g_art.b, sizeof g_art.b, NULL);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    const float x[3] = {1.5f, -4.25f, 0.5f};
    float raw = -1, contrib[3], recon[3];
    vg_model_score(&m, x, &raw, contrib, recon, NULL);
    assert_true(raw == 4.25f);
    assert_true(contrib[0] == 1.5f && contrib[1] == 4.25f && contrib[2] == 0.5f);
    assert_true(recon[0] == x[0] && recon[1] == x[1] && recon[2] == x[2]);
    const float zero[3] = {0, 0, 0};
    vg_model_score(&m, zero, &raw, NULL, NULL, NULL);
    assert_true(raw == 0.0f);
    const float neg[3] = {-0.0f, -7.0f, 6.999f};
    vg_model_score(&m, neg, &raw, contrib, NULL, NULL);
    assert_true(raw == 7.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builder_crc),
        cmocka_unit_test(test_parse_zscore),
        cmocka_unit_test(test_parse_ae),
        cmocka_unit_test(test_parse_iforest),
        cmocka_unit_test(test_parse_meta),
        cmocka_unit_test(test_parse_unknown_section_skipped),
        cmocka_unit_test(test_every_truncation_refused),
        cmocka_unit_test(test_every_bit_flip_refused),
        cmocka_unit_test(test_every_bit_flip_with_crc_fixed_is_safe),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_section_offsets_and_sizes),
        cmocka_unit_test(test_missing_and_duplicate_sections),
        cmocka_unit_test(test_pipe_fields),
        cmocka_unit_test(test_pipe_feature_limits),
        cmocka_unit_test(test_pipe_size_mismatch),
        cmocka_unit_test(test_deci_fields),
        cmocka_unit_test(test_modl_kind_and_zscore),
        cmocka_unit_test(test_ae_shapes),
        cmocka_unit_test(test_ae_body_size_and_values),
        cmocka_unit_test(test_iforest_structure),
        cmocka_unit_test(test_iforest_counts),
        cmocka_unit_test(test_iforest_tree_size_limit),
        cmocka_unit_test(test_param_count_and_scratch),
        cmocka_unit_test(test_score_ae_hand),
        cmocka_unit_test(test_score_ae_random_vs_double),
        cmocka_unit_test(test_score_iforest_hand),
        cmocka_unit_test(test_score_zscore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
