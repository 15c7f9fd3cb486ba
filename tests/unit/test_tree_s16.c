/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the int16 tree ensembles (vg_tree_s16, MODL kinds 6 and 7) and of their host
 * quantizer (quantize_tree.c): feature quantization at its edges, the threshold rounding
 * q_t = ceil((t - offset) / scale) at the boundaries (decisions identical on the grid, and
 * why round() and floor() are off by one), the parser's checks of every field, and float vs
 * int16 forests on random data, and calibration ranges gathered a window at a time. Seeded
 * cases print their seed.
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

#include "artifact.h"
#include "quantize.h"
#include "quantize_tree.h"
#include "vg_test_artifact.h"
#include "vigil/vigil.h"

static uint32_t rng_state;

static void seed(uint32_t s)
{
    rng_state = s ? s : 1u;
    print_message("seed %u\n", s);
}

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static float rndf(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() >> 8) / 16777216.0f;
}

static void test_quantize_s16_edges(void **state)
{
    (void)state;
    assert_int_equal(vg_quantize_s16(0.0f, 0.0f, 1.0f), 0);
    assert_int_equal(vg_quantize_s16(2.5f, 0.0f, 1.0f), 3);   /* half away from zero */
    assert_int_equal(vg_quantize_s16(-2.5f, 0.0f, 1.0f), -3); /* half away from zero */
    assert_int_equal(vg_quantize_s16(2.4999998f, 0.0f, 1.0f), 2);
    assert_int_equal(vg_quantize_s16(0.49999997f, 0.0f, 1.0f), 0); /* where x + 0.5 fails */
    assert_int_equal(vg_quantize_s16(1.0f, 0.5f, 0.25f), 2);
    assert_int_equal(vg_quantize_s16(32767.0f, 0.0f, 1.0f), 32767);
    assert_int_equal(vg_quantize_s16(32767.4f, 0.0f, 1.0f), 32767);
    assert_int_equal(vg_quantize_s16(32766.5f, 0.0f, 1.0f), 32767);
    assert_int_equal(vg_quantize_s16(1e30f, 0.0f, 1.0f), 32767);
    assert_int_equal(vg_quantize_s16(INFINITY, 0.0f, 1.0f), 32767);
    assert_int_equal(vg_quantize_s16(-32768.0f, 0.0f, 1.0f), -32768);
    assert_int_equal(vg_quantize_s16(-32767.5f, 0.0f, 1.0f), -32768);
    assert_int_equal(vg_quantize_s16(-32767.4f, 0.0f, 1.0f), -32767);
    assert_int_equal(vg_quantize_s16(-1e30f, 0.0f, 1.0f), -32768);
    assert_int_equal(vg_quantize_s16(-INFINITY, 0.0f, 1.0f), -32768);
    /* NaN goes right at every node: the largest level */
    assert_int_equal(vg_quantize_s16(NAN, 0.0f, 1.0f), 32767);
    /* the core rounds without libm: compare with roundf on ties and random values */
    seed(99);
    for (int i = 0; i < 200000; i++) {
        float u = i < 65534 ? (float)(i - 32767) + 0.5f : rndf(-32767.4f, 32766.4f);
        if (i % 3 == 0 && i >= 65534)
            u = nextafterf(u, (float)(i & 1) * 2.0f - 1.0f);
        assert_int_equal(vg_quantize_s16(u, 0.0f, 1.0f), (int)roundf(u));
    }
    /* overflow of (x - offset) / scale saturates */
    assert_int_equal(vg_quantize_s16(3e38f, -3e38f, 1e-30f), 32767);
}

/* Every grid point k near the threshold decides as the float comparison does; the one
 * exception is a point with the same float32 quotient u as t (x and t closer than float32
 * resolves x - offset): they quantize alike, and no integer threshold can separate them. */
static int check_grid(float t, float off, float sc)
{
    const int16_t qt = vgh_threshold_s16(t, off, sc);
    const long c = qt;
    int collapsed = 0;
    for (long k = c - 4; k <= c + 4; k++) {
        if (k < -32768 || k > 32767)
            continue;
        const float x = off + (float)k * sc; /* exact: power-of-two scales below */
        assert_true((x - off) / sc == (float)k);
        if ((x - off) / sc == (t - off) / sc && x != t) {
            collapsed++;
            continue;
        }
        const int left_f = x < t;
        const int left_q = vg_quantize_s16(x, off, sc) < qt;
        if (left_f != left_q)
            print_message("t %.9g off %g sc %g k %ld: float %d int16 %d (q_t %d)\n", (double)t,
                          (double)off, (double)sc, k, left_f, left_q, qt);
        assert_int_equal(left_f, left_q);
    }
    return collapsed;
}

static void test_threshold_rounding_boundaries(void **state)
{
    (void)state;
    const float sc = 0.25f, off = -3.5f;
    /* the collapse: t one ulp above -1.5 = grid point 8, and t - off rounds to 2.0 */
    assert_int_equal(check_grid(nextafterf(-1.5f, 0.0f), off, sc), 1);
    for (int k = -20; k <= 20; k++) {
        const float g = off + (float)k * sc;
        check_grid(g, off, sc);                        /* on a grid point: x = t goes right */
        check_grid(nextafterf(g, INFINITY), off, sc);  /* just above: q_t = k + 1 */
        check_grid(nextafterf(g, -INFINITY), off, sc); /* just below: q_t = k */
        check_grid(g + 0.5f * sc, off, sc);            /* half-way: the tie of round() */
        check_grid(g + 0.3f * sc, off, sc);
        check_grid(g + 0.7f * sc, off, sc);
    }
    /* q_t exactly */
    assert_int_equal(vgh_threshold_s16(off + 2.0f * sc, off, sc), 2);
    assert_int_equal(vgh_threshold_s16(nextafterf(off + 2.0f * sc, INFINITY), off, sc), 3);
    assert_int_equal(vgh_threshold_s16(off + 2.3f * sc, off, sc), 3);
    assert_int_equal(vgh_threshold_s16(off + 2.5f * sc, off, sc), 3);
    assert_int_equal(vgh_threshold_s16(off - 2.5f * sc, off, sc), -2);
    /* The off-by-one of the alternatives, t = 2.3 steps: x = 2 steps < t goes left in float;
     * round(2.3) = 2 would send it right (2 < 2 is false), floor too; ceil = 3 sends it left.
     * And t = 2.0 steps exactly: x = 2 steps is not < t; ceil(2) = 2 sends it right. */
    const float t = off + 2.3f * sc, x2 = off + 2.0f * sc;
    assert_true(x2 < t);
    assert_false(vg_quantize_s16(x2, off, sc) < (int16_t)lroundf((t - off) / sc));
    assert_true(vg_quantize_s16(x2, off, sc) < vgh_threshold_s16(t, off, sc));
    /* clamps: beyond the int16 range */
    assert_int_equal(vgh_threshold_s16(1e9f, 0.0f, 1.0f), 32767);
    assert_int_equal(vgh_threshold_s16(-1e9f, 0.0f, 1.0f), -32768);
    check_grid(off + 32766.6f * sc, off, sc);
    check_grid(off - 32767.6f * sc, off, sc);
    /* grid at the ends of the widened range of a parameter choice */
    float o2, s2;
    assert_int_equal(vgh_tree_qparams(-1.0, 3.0, 0.05, &o2, &s2), 0);
    assert_true(vg_quantize_s16(-1.2f, o2, s2) >= -32767 && vg_quantize_s16(3.2f, o2, s2) <= 32767);
    assert_true(vg_quantize_s16(-1.0f, o2, s2) > -32767 && vg_quantize_s16(3.0f, o2, s2) < 32767);
    assert_int_equal(vgh_tree_qparams(2.0, 2.0, 0.0, &o2, &s2), 0); /* empty range */
    assert_true(s2 > 0.0f && vg_quantize_s16(2.0f, o2, s2) == 0);
    assert_int_equal(vgh_tree_qparams(-1e300, 1e300, 1.0, &o2, &s2), -1);
}

/* Random parameters: a disagreement needs x within one step of t (in quantized units). */
static void test_threshold_rounding_random(void **state)
{
    (void)state;
    seed(4242);
    for (int it = 0; it < 20000; it++) {
        const float off = rndf(-100.0f, 100.0f), sc = rndf(1e-4f, 1.0f);
        const float t = off + rndf(-30000.0f, 30000.0f) * sc;
        const int16_t qt = vgh_threshold_s16(t, off, sc);
        for (int j = 0; j < 8; j++) {
            const float x = t + rndf(-3.0f, 3.0f) * sc;
            if ((x < t) != (vg_quantize_s16(x, off, sc) < qt))
                assert_true(fabsf((x - t) / sc) < 1.0f);
        }
    }
}

/* ---- forests built here, quantized, and the parser's checks ---------------------------- */

static vgh_artifact_spec_t g_spec;
static vg_tree_node_t g_rf[4096];
static vg_itree_node_t g_if[4096];
static uint32_t g_roots[16];

/* A random full tree of the given depth in pre-order at nodes[*n]; returns its size. */
static uint32_t grow(vg_tree_node_t *rf, vg_itree_node_t *itn, uint32_t base, uint32_t *n,
                     int depth, uint16_t nf, uint16_t nc)
{
    const uint32_t i = (*n)++;
    if (depth == 0) {
        if (rf)
            rf[i] = (vg_tree_node_t){1.0f, VG_TREE_LEAF, (uint16_t)(rnd() % nc), 0};
        else
            itn[i] = (vg_itree_node_t){(float)(rnd() % 9u) + 0.5f, VG_ITREE_LEAF, 0};
        return 1;
    }
    const uint16_t f = (uint16_t)(rnd() % nf);
    const float v = rndf(-2.0f, 2.0f);
    grow(rf, itn, base, n, depth - 1, nf, nc);
    const uint32_t right = *n - base;
    grow(rf, itn, base, n, depth - 1, nf, nc);
    if (rf)
        rf[i] = (vg_tree_node_t){v, f, 0, right};
    else
        itn[i] = (vg_itree_node_t){v, f, (uint16_t)right};
    return *n - i;
}

static void spec_forest(int iso, uint16_t nt, int depth)
{
    memset(&g_spec, 0, sizeof g_spec);
    vgh_artifact_spec_t *s = &g_spec;
    s->sample_rate = 1.0f;
    s->n_channels = 1;
    s->window = 8;
    s->hop = 4;
    s->n_features = 4;
    for (int k = 0; k < 4; k++) {
        s->feats[k].feature = (uint8_t)(VG_FEAT_MEAN + k);
        s->norm[2 * k + 1] = 1.0f;
    }
    s->threshold = 0.5f;
    s->open_after = s->close_after = 1;
    uint32_t n = 0;
    for (uint16_t t = 0; t < nt; t++) {
        g_roots[t] = n;
        grow(iso ? NULL : g_rf, g_if, n, &n, depth, 4, 3);
    }
    if (iso) {
        s->kind = VG_KIND_IFOREST;
        s->nodes = g_if;
        s->n_nodes = n;
        s->roots = g_roots;
        s->n_trees = nt;
        s->c_norm = 3.0f;
    } else {
        s->kind = VG_KIND_FOREST;
        s->rf_nodes = g_rf;
        s->rf_n_nodes = n;
        s->rf_roots = g_roots;
        s->rf_n_trees = nt;
        s->n_classes = 3;
        s->normal_class = 0;
    }
}

/* Build the float forest of g_spec, quantize it with X, build the int16 one. */
static void build_pair(const float *X, size_t n, uint8_t **fb, size_t *fn, uint8_t **qb, size_t *qn)
{
    char err[256];
    assert_int_equal(vgh_artifact_build(&g_spec, fb, fn, err, sizeof err), 0);
    vg_model_t mf;
    assert_int_equal(vg_model_parse(&mf, *fb, *fn), VG_OK);
    uint8_t *body;
    uint32_t blen;
    vgh_tree_qstats_t st;
    assert_int_equal(vgh_quantize_trees(&mf, X, n, 0.05, &body, &blen, &st, err, sizeof err), 0);
    assert_int_equal(st.clamped, 0);
    vgh_artifact_spec_t q = g_spec;
    q.kind = (uint16_t)(mf.kind == VG_KIND_IFOREST ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16);
    q.body = body;
    q.body_len = blen;
    assert_int_equal(vgh_artifact_build(&q, qb, qn, err, sizeof err), 0);
    free(body);
}

static void test_forests_round_trip(void **state)
{
    (void)state;
    seed(77);
    static float X[2000 * 4];
    for (int i = 0; i < 2000 * 4; i++)
        X[i] = rndf(-2.5f, 2.5f);
    for (int iso = 0; iso <= 1; iso++) {
        spec_forest(iso, 8, 6);
        uint8_t *fb, *qb;
        size_t fn, qn;
        build_pair(X, 2000, &fb, &fn, &qb, &qn);
        vg_model_t mf, mq;
        assert_int_equal(vg_model_parse(&mf, fb, fn), VG_OK);
        assert_int_equal(vg_model_parse(&mq, qb, qn), VG_OK);
        assert_int_equal(mq.kind, iso ? VG_KIND_IFOREST_S16 : VG_KIND_FOREST_S16);
        assert_int_equal(vg_model_base_kind(mq.kind), mf.kind);
        assert_int_equal(vg_model_param_count(&mq), vg_model_param_count(&mf));
        assert_int_equal(vg_model_scratch_size(&mq), 8);
        assert_true(qn < fn);
        size_t pairs, rows, same_score = 0;
        vgh_tree_leaf_agreement(&mf, &mq, X, 2000, &pairs, &rows);
        print_message("%s: %zu of %d (row, tree) pairs and %zu of 2000 rows agree; %zu -> %zu "
                      "bytes\n",
                      iso ? "iforest" : "forest", pairs, 2000 * 8, rows, fn, qn);
        assert_true(pairs >= 2000 * 8 * 999 / 1000);
        float sf[8], sq[8];
        for (int i = 0; i < 2000; i++) {
            float rf, rq;
            vg_model_score(&mf, X + 4 * i, &rf, NULL, NULL, sf);
            vg_model_score(&mq, X + 4 * i, &rq, NULL, NULL, sq);
            same_score += rf == rq;
        }
        assert_true(same_score >= rows); /* every tree at the same leaf: the same bits */
        /* NaN goes right in both */
        float xn[4] = {NAN, NAN, NAN, NAN}, rf, rq;
        vg_model_score(&mf, xn, &rf, NULL, NULL, sf);
        vg_model_score(&mq, xn, &rq, NULL, NULL, sq);
        assert_true(rf == rq);
        free(fb);
        free(qb);
    }
}

/* MODL body of a parsed artifact (writable), and re-check after a patch. */
static uint8_t *modl_body(uint8_t *b, uint32_t *size)
{
    const uint32_t ns = vgt_get32(b + 16);
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VGT_HEADER_SIZE + 16u * i;
        if (vgt_get32(e) == VG_SECT_MODL) {
            *size = vgt_get32(e + 8) - 4u;
            return b + vgt_get32(e + 4) + 4u;
        }
    }
    return NULL;
}

static vg_status_t patched(const uint8_t *orig, size_t n, size_t at, const void *v, size_t vlen)
{
    static union {
        uint64_t a;
        uint8_t b[1 << 16];
    } buf;
    memcpy(buf.b, orig, n);
    uint32_t bs = 0;
    uint8_t *body = modl_body(buf.b, &bs);
    memcpy(body + at, v, vlen);
    vgt_fix_crc(buf.b, n);
    vg_model_t m;
    return vg_model_parse(&m, buf.b, n);
}

static void test_parser_checks(void **state)
{
    (void)state;
    seed(5);
    static float X[200 * 4];
    for (int i = 0; i < 200 * 4; i++)
        X[i] = rndf(-2.5f, 2.5f);
    const float zero = 0.0f, nan = NAN, inf = INFINITY, neg = -1.0f;
    const uint16_t u0 = 0, big = 60000, leaf = 0xFFFF, four = 4;
    const int16_t one = 1;
    const uint32_t u32big = 7;
    for (int iso = 0; iso <= 1; iso++) {
        spec_forest(iso, 2, 3); /* 2 trees of 15 nodes */
        uint8_t *fb, *qb;
        size_t fn, qn;
        build_pair(X, 200, &fb, &fn, &qb, &qn);
        uint32_t bs = 0;
        uint8_t *body = modl_body(qb, &bs);
        const size_t head = 12, quant = head, roots = quant + 32;
        const size_t leafv = roots + 8, nl = iso ? vgt_get16(body + 2) : 0;
        const size_t nodes = iso ? leafv + 4 * nl : roots + 8, ns = iso ? 6 : 8;
        assert_int_equal(patched(qb, qn, 0, &u0, 2), VG_ERR_FORMAT);           /* no trees */
        assert_int_equal(patched(qb, qn, 4, &u32big, 4), VG_ERR_FORMAT);       /* n_nodes vs size */
        assert_int_equal(patched(qb, qn, quant + 4, &zero, 4), VG_ERR_FORMAT); /* scale 0 */
        assert_int_equal(patched(qb, qn, quant + 12, &neg, 4), VG_ERR_FORMAT); /* scale < 0 */
        assert_int_equal(patched(qb, qn, quant + 4, &nan, 4), VG_ERR_FORMAT);  /* scale NaN */
        assert_int_equal(patched(qb, qn, quant + 20, &inf, 4), VG_ERR_FORMAT); /* scale inf */
        assert_int_equal(patched(qb, qn, quant + 24, &inf, 4), VG_ERR_FORMAT); /* offset inf */
        assert_int_equal(patched(qb, qn, quant, &nan, 4), VG_ERR_FORMAT);      /* offset NaN */
        assert_int_equal(patched(qb, qn, roots, &u32big, 4), VG_ERR_FORMAT);   /* roots[0] != 0 */
        const uint32_t r1 = 0;
        assert_int_equal(patched(qb, qn, roots + 4, &r1, 4), VG_ERR_FORMAT); /* not ascending */
        /* node 0 (internal): feature out of range, right child backwards / out of the tree */
        assert_int_equal(patched(qb, qn, nodes + 2, &four, 2), VG_ERR_FORMAT);
        assert_int_equal(patched(qb, qn, nodes + 4, &one, 2), VG_ERR_FORMAT);
        assert_int_equal(patched(qb, qn, nodes + 4, &big, 2), VG_ERR_FORMAT);
        /* node 3 is the first leaf (depth 3): its index / class, its threshold */
        assert_int_equal(vgt_get16(body + nodes + 3 * ns + 2), VG_TREE_LEAF);
        const uint16_t bad_leaf = iso ? (uint16_t)nl : 3;
        assert_int_equal(patched(qb, qn, nodes + 3 * ns + 4, &bad_leaf, 2), VG_ERR_FORMAT);
        assert_int_equal(patched(qb, qn, nodes + 3 * ns, &one, 2), VG_ERR_FORMAT);
        /* the last node as an internal node: no room for its children */
        assert_int_equal(patched(qb, qn, nodes + 29 * ns + 2, &u0, 2), VG_ERR_FORMAT);
        assert_int_equal(patched(qb, qn, nodes + 3 * ns + 2, &leaf, 2), VG_OK); /* unchanged */
        if (iso) {
            assert_int_equal(patched(qb, qn, 2, &u0, 2), VG_ERR_FORMAT); /* no leaf values */
            assert_int_equal(patched(qb, qn, leafv, &neg, 4), VG_ERR_FORMAT);
            assert_int_equal(patched(qb, qn, leafv, &nan, 4), VG_ERR_FORMAT);
            assert_int_equal(patched(qb, qn, 8, &zero, 4), VG_ERR_FORMAT); /* c_norm */
            const uint8_t pad = 1; /* 30 nodes of 6 bytes end 4-aligned + 0: no padding; */
            if (bs > nodes + 30 * ns)
                assert_int_equal(patched(qb, qn, nodes + 30 * ns, &pad, 1), VG_ERR_FORMAT);
        } else {
            assert_int_equal(patched(qb, qn, 2, &one, 2), VG_ERR_FORMAT); /* 1 class */
            const uint16_t normal = 3;
            assert_int_equal(patched(qb, qn, 8, &normal, 2), VG_ERR_FORMAT);
            assert_int_equal(patched(qb, qn, 10, &one, 2), VG_ERR_FORMAT); /* reserved */
        }
        /* truncated body: the section shrinks by 4 bytes */
        {
            static union {
                uint64_t a;
                uint8_t b[1 << 16];
            } t;
            memcpy(t.b, qb, qn);
            const uint32_t nsec = vgt_get32(t.b + 16);
            for (uint32_t i = 0; i < nsec; i++) {
                uint8_t *e = t.b + VGT_HEADER_SIZE + 16u * i;
                if (vgt_get32(e) == VG_SECT_MODL)
                    vgt_put32(e + 8, vgt_get32(e + 8) - 4u);
            }
            vgt_fix_crc(t.b, qn);
            vg_model_t m;
            assert_int_equal(vg_model_parse(&m, t.b, qn), VG_ERR_FORMAT);
        }
        free(fb);
        free(qb);
    }
}

/* Ranges gathered a window at a time, in any order and split anyhow (as `vigil quantize` reads
 * a recording a chunk at a time), give the body the windows give at once; the leaf agreement
 * summed window by window is the agreement over all of them. */
static void test_ranges_streamed(void **state)
{
    (void)state;
    seed(91);
    enum { N = 1500 };
    static float X[N * 4];
    for (int i = 0; i < N * 4; i++)
        X[i] = i % 97 == 0 ? NAN : i % 89 == 0 ? INFINITY : rndf(-3.0f, 2.0f);
    for (int iso = 0; iso <= 1; iso++) {
        spec_forest(iso, 6, 5);
        uint8_t *fb, *qb;
        size_t fn, qn;
        build_pair(X, N, &fb, &fn, &qb, &qn);
        vg_model_t mf, mq;
        assert_int_equal(vg_model_parse(&mf, fb, fn), VG_OK);
        assert_int_equal(vg_model_parse(&mq, qb, qn), VG_OK);
        char err[128];
        uint8_t *whole, *streamed;
        uint32_t wl, sl;
        vgh_tree_qstats_t ws, ss;
        assert_int_equal(vgh_quantize_trees(&mf, X, N, 0.05, &whole, &wl, &ws, err, sizeof err), 0);
        vgh_tree_ranges_t r;
        vgh_tree_ranges_init(&r, 4);
        for (int i = N - 1; i >= 0; i--) /* backwards */
            vgh_tree_ranges_add(&r, X + 4 * i);
        assert_int_equal(
            vgh_quantize_trees_ranges(&mf, &r, 0.05, &streamed, &sl, &ss, err, sizeof err), 0);
        assert_int_equal(wl, sl);
        assert_memory_equal(whole, streamed, wl);
        assert_memory_equal(&ws, &ss, sizeof ws);
        size_t pairs, rows, sum_pairs = 0, sum_rows = 0;
        vgh_tree_leaf_agreement(&mf, &mq, X, N, &pairs, &rows);
        for (size_t i = 0; i < N;) {
            size_t k = 1u + rnd() % 200u, p1, r1;
            k = k < N - i ? k : N - i;
            vgh_tree_leaf_agreement(&mf, &mq, X + 4 * i, k, &p1, &r1);
            sum_pairs += p1;
            sum_rows += r1;
            i += k;
        }
        assert_int_equal(pairs, sum_pairs);
        assert_int_equal(rows, sum_rows);
        /* ranges of another feature count are refused */
        vgh_tree_ranges_init(&r, 3);
        uint8_t *none = NULL;
        assert_int_equal(
            vgh_quantize_trees_ranges(&mf, &r, 0.05, &none, &sl, NULL, err, sizeof err), -1);
        assert_non_null(strstr(err, "3 features"));
        assert_null(none);
        free(whole);
        free(streamed);
        free(fb);
        free(qb);
    }
}

/* The quantizer refuses what it cannot do, with a message. */
static void test_quantizer_refuses(void **state)
{
    (void)state;
    vg_model_t m;
    memset(&m, 0, sizeof m);
    m.kind = VG_KIND_ZSCORE;
    uint8_t *body;
    uint32_t blen;
    char err[128] = "";
    assert_int_equal(vgh_quantize_trees(&m, NULL, 0, 0.05, &body, &blen, NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "not a tree ensemble"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantize_s16_edges),
        cmocka_unit_test(test_threshold_rounding_boundaries),
        cmocka_unit_test(test_threshold_rounding_random),
        cmocka_unit_test(test_forests_round_trip),
        cmocka_unit_test(test_parser_checks),
        cmocka_unit_test(test_quantizer_refuses),
        cmocka_unit_test(test_ranges_streamed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
