/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the int8 path: the fixed-point helpers (vg_fixmath.h), the int8 dense kernel,
 * the int8 autoencoder (MODL kind 5) parser and inference, and the host quantizer.
 *
 * Every integer result is compared bit for bit with a reference written here, separately, in
 * int64 from the definitions in docs/quantization.md: round(a b / 2^31) half up, round(x /
 * 2^e) half away from zero, the dense layer with an int64 accumulator. Seeded random cases
 * print their seed.
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
#include "vg_test_artifact.h"
#include "vigil/vigil.h"

/* ---- references (int64, written from the definitions) ------------------------------------ */

/* floor(n / 2^e) for any int64 n, without relying on >> of negative values */
static int64_t ref_floor_pot(int64_t n, int e)
{
    const int64_t d = (int64_t)1 << e;
    int64_t q = n / d;
    if (n % d != 0 && n < 0)
        q--;
    return q;
}

static int32_t ref_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    /* a b / 2^31, nearest, ties toward +infinity */
    return (int32_t)ref_floor_pot((int64_t)a * b + ((int64_t)1 << 30), 31);
}

static int32_t ref_rdbpot(int32_t x, int e)
{
    if (e == 0)
        return x;
    /* |x| / 2^e rounded half up, sign restored: ties away from zero */
    const int64_t mag = x < 0 ? -(int64_t)x : (int64_t)x;
    const int64_t q = (mag + ((int64_t)1 << (e - 1))) >> e;
    return (int32_t)(x < 0 ? -q : q);
}

static int32_t ref_mbqm(int32_t x, int32_t m, int shift)
{
    int64_t xs = (int64_t)x;
    for (int k = 0; k < shift; k++)
        xs *= 2;
    if (xs > INT32_MAX)
        xs = INT32_MAX;
    if (xs < INT32_MIN)
        xs = INT32_MIN;
    return ref_rdbpot(ref_srdhm((int32_t)xs, m), shift < 0 ? -shift : 0);
}

static void ref_dense(const int8_t *w, const int32_t *bias, const int32_t *mult,
                      const int8_t *shift, const int8_t *in, int8_t *out, int n_in, int n_out,
                      int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi)
{
    for (int o = 0; o < n_out; o++) {
        int64_t acc = bias[o];
        for (int i = 0; i < n_in; i++)
            acc += (int64_t)w[o * n_in + i] * ((int64_t)in[i] - in_zp);
        assert_true(acc >= INT32_MIN && acc <= INT32_MAX);
        int64_t v = (int64_t)ref_mbqm((int32_t)acc, mult[o], shift[o]) + out_zp;
        v = v < lo ? lo : v > hi ? hi : v;
        out[o] = (int8_t)v;
    }
}

/* ---- random numbers ------------------------------------------------------------------------ */

static uint64_t g_rng;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static int32_t rnd_i32(void)
{
    /* mostly random, sometimes an edge value */
    static const int32_t edge[] = {0,
                                   1,
                                   -1,
                                   INT32_MAX,
                                   INT32_MIN,
                                   1 << 30,
                                   -(1 << 30),
                                   (1 << 30) + 1,
                                   INT32_MAX - 1,
                                   INT32_MIN + 1};
    if (rnd() % 8 == 0)
        return edge[rnd() % (sizeof edge / sizeof edge[0])];
    return (int32_t)rnd();
}

static void seed(uint64_t s)
{
    g_rng = s ? s : 1;
    print_message("seed %llu\n", (unsigned long long)s);
}

/* ---- fixed-point helpers ------------------------------------------------------------------- */

static void test_srdhm_edges(void **state)
{
    (void)state;
    assert_int_equal(vg_sat_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
    assert_int_equal(vg_sat_rounding_doubling_high_mul(INT32_MAX, INT32_MAX), INT32_MAX - 1);
    assert_int_equal(vg_sat_rounding_doubling_high_mul(INT32_MIN, INT32_MAX), -INT32_MAX);
    /* a multiplier of exactly 2^31 - 1 is (almost) the identity */
    for (int32_t x = -1000; x <= 1000; x++)
        assert_int_equal(vg_sat_rounding_doubling_high_mul(x, INT32_MAX), x);
    assert_int_equal(vg_sat_rounding_doubling_high_mul(INT32_MAX, INT32_MAX),
                     ref_srdhm(INT32_MAX, INT32_MAX));
    /* ties: a b = +-2^30 is exactly +-0.5 */
    assert_int_equal(vg_sat_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
    assert_int_equal(vg_sat_rounding_doubling_high_mul(-(1 << 15), 1 << 15), 0);
    assert_int_equal(vg_sat_rounding_doubling_high_mul(3 << 15, 1 << 15), 2);     /* 1.5 -> 2 */
    assert_int_equal(vg_sat_rounding_doubling_high_mul(-(3 << 15), 1 << 15), -1); /* -1.5 -> -1 */
    assert_int_equal(vg_sat_rounding_doubling_high_mul(0, INT32_MIN), 0);
}

static void test_rdbpot_edges(void **state)
{
    (void)state;
    for (int e = 0; e <= 31; e++) {
        static const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1};
        for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++)
            assert_int_equal(vg_rounding_divide_by_pot(xs[k], e), ref_rdbpot(xs[k], e));
        if (e >= 1 && e <= 30) {
            /* exact ties (2k+1) 2^(e-1) round away from zero */
            const int32_t half = (int32_t)1 << (e - 1);
            assert_int_equal(vg_rounding_divide_by_pot(half, e), 1);
            assert_int_equal(vg_rounding_divide_by_pot(-half, e), -1);
            assert_int_equal(vg_rounding_divide_by_pot(3 * half, e), 2);
            assert_int_equal(vg_rounding_divide_by_pot(-3 * half, e), -2);
            assert_int_equal(vg_rounding_divide_by_pot(half - 1, e), 0);
            assert_int_equal(vg_rounding_divide_by_pot(-half + 1, e), 0);
        }
    }
    assert_int_equal(vg_rounding_divide_by_pot(INT32_MIN, 31), -1);
    assert_int_equal(vg_rounding_divide_by_pot(INT32_MAX, 31), 1);
    assert_int_equal(vg_rounding_divide_by_pot(-5, 1), -3);
    assert_int_equal(vg_asr32(-1, 31), -1);
    assert_int_equal(vg_asr32(INT32_MIN, 31), -1);
    assert_int_equal(vg_asr32(-7, 1), -4);
}

static void test_mbqm(void **state)
{
    (void)state;
    /* negative shifts, positive shifts (saturating), the largest multiplier */
    assert_int_equal(vg_multiply_by_quantized_multiplier(1000, 1 << 30, 0), 500);
    assert_int_equal(vg_multiply_by_quantized_multiplier(1000, 1 << 30, 1), 1000);
    assert_int_equal(vg_multiply_by_quantized_multiplier(1000, 1 << 30, -3), 63); /* 62.5 -> 63 */
    assert_int_equal(vg_multiply_by_quantized_multiplier(-1000, 1 << 30, -3), -63);
    assert_int_equal(vg_multiply_by_quantized_multiplier(3, INT32_MAX, 0), 3);
    assert_int_equal(vg_multiply_by_quantized_multiplier(INT32_MAX, INT32_MAX, 30), INT32_MAX - 1);
    assert_int_equal(vg_multiply_by_quantized_multiplier(INT32_MIN, INT32_MAX, 30), -INT32_MAX);
    assert_int_equal(vg_multiply_by_quantized_multiplier(12345, INT32_MAX, -31), 0);
    assert_int_equal(vg_multiply_by_quantized_multiplier(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    seed(20261201);
    for (int k = 0; k < 200000; k++) {
        const int32_t x = rnd_i32(), m = rnd_i32();
        const int shift = (int)(rnd() % 62u) - 31;
        const int32_t got = vg_multiply_by_quantized_multiplier(x, m, shift);
        const int32_t want = ref_mbqm(x, m, shift);
        if (got != want) {
            print_error("x %d m %d shift %d: got %d want %d\n", x, m, shift, got, want);
            fail();
        }
        assert_int_equal(vg_sat_rounding_doubling_high_mul(x, m), ref_srdhm(x, m));
    }
}

/* The short form the dense kernel uses (vg_mbqm_acc, vg_fixmath.h) against the int64
 * reference over the whole accumulator range: every shift, extreme and tie accumulators. */
static void check_mbqm_acc(int32_t x, int32_t m, int shift)
{
    const int32_t got = vg_mbqm_acc(x, m, shift), want = ref_mbqm(x, m, shift);
    if (got != want) {
        print_error("acc %d m %d shift %d: got %d want %d\n", x, m, shift, got, want);
        fail();
    }
}

static void test_mbqm_acc(void **state)
{
    (void)state;
    static const int32_t ms[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, 1518500250};
    for (int shift = VG_SHIFT_MIN; shift <= VG_SHIFT_MAX; shift++) {
        for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
            const int32_t edges[] = {
                0, 1, -1, 2, -2, VG_ACC_S8_MAX, -VG_ACC_S8_MAX, 1 << 30, -(1 << 30), 12345, -12345};
            for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++)
                check_mbqm_acc(edges[k], ms[j], shift);
            /* with m = 2^30 the high multiply halves x exactly, so x = (2t + 1) 2^e, and its
             * neighbours, are ties of the final division by 2^e */
            if (shift < 0 && shift > -30) {
                for (int32_t t = -3; t <= 3; t++) {
                    const int32_t tie = (int32_t)((2 * t + 1) * ((int64_t)1 << -shift));
                    for (int32_t d = -1; d <= 1; d++)
                        check_mbqm_acc(tie + d, ms[j], shift);
                }
            }
        }
    }
    seed(20261202);
    for (int k = 0; k < 400000; k++) {
        const int32_t x =
            (int32_t)((int64_t)(rnd() % (2u * (uint32_t)VG_ACC_S8_MAX + 1u)) - VG_ACC_S8_MAX);
        const int32_t small = (int32_t)(rnd() % 200001u) - 100000;
        const int32_t m = (int32_t)(rnd() & 0x7FFFFFFFu);
        const int shift = (int)(rnd() % 62u) - 31;
        check_mbqm_acc(k & 1 ? x : small, m, shift);
    }
}

static void test_rdbpot_random(void **state)
{
    (void)state;
    seed(77);
    for (int k = 0; k < 200000; k++) {
        const int32_t x = rnd_i32();
        const int e = (int)(rnd() % 32u);
        assert_int_equal(vg_rounding_divide_by_pot(x, e), ref_rdbpot(x, e));
    }
}

static void test_quantize_value(void **state)
{
    (void)state;
    assert_int_equal(vg_quantize_s8(0.5f, 1.0f, 0), 1); /* half away from zero */
    assert_int_equal(vg_quantize_s8(-0.5f, 1.0f, 0), -1);
    assert_int_equal(vg_quantize_s8(2.5f, 1.0f, 0), 3);
    assert_int_equal(vg_quantize_s8(-2.5f, 1.0f, 0), -3);
    assert_int_equal(vg_quantize_s8(0.49999997f, 1.0f, 0), 0);
    assert_int_equal(vg_quantize_s8(1.0f, 0.25f, -10), -6);
    assert_int_equal(vg_quantize_s8(1e30f, 0.1f, 5), 127);
    assert_int_equal(vg_quantize_s8(-1e30f, 0.1f, 5), -128);
    assert_int_equal(vg_quantize_s8(INFINITY, 0.1f, 5), 127);
    assert_int_equal(vg_quantize_s8(-INFINITY, 0.1f, 5), -128);
    assert_int_equal(vg_quantize_s8(NAN, 0.1f, 5), 5);
    assert_int_equal(vg_quantize_s8(130.0f, 1.0f, -3), 127);
    assert_int_equal(vg_quantize_s8(-125.0f, 1.0f, -3), -128);
    assert_true(vg_dequantize_s8(-128, 0.5f, -128) == 0.0f);
    assert_true(vg_dequantize_s8(127, 0.5f, -128) == 127.5f);
    int8_t lut[256], x[3] = {-128, 0, 127};
    for (int i = 0; i < 256; i++)
        lut[i] = (int8_t)(127 - i);
    vg_lut_s8(lut, x, 3);
    assert_int_equal(x[0], 127);
    assert_int_equal(x[1], -1);
    assert_int_equal(x[2], -128);
}

/* ---- the dense kernel ---------------------------------------------------------------------- */

#define GUARD 16

static void dense_case(int n_in, int n_out, int32_t in_zp, int32_t out_zp, int32_t lo, int32_t hi,
                       int extreme)
{
    int8_t w[64 * 64], in[64 + GUARD], out[64 + GUARD], want[64];
    int32_t bias[64], mult[64];
    int8_t shift[64];
    int16_t scratch[VG_DENSE_S8_SCRATCH(64)];
    for (int i = 0; i < n_in * n_out; i++)
        w[i] = extreme ? (int8_t)(rnd() & 1 ? 127 : -128) : (int8_t)rnd();
    for (int i = 0; i < n_in; i++)
        in[i] = extreme ? (int8_t)(rnd() & 1 ? 127 : -128) : (int8_t)rnd();
    for (int o = 0; o < n_out; o++) {
        const int32_t bmax = (int32_t)VG_AE_S8_BIAS_MAX;
        bias[o] = rnd() % 4 == 0 ? (rnd() & 1 ? bmax : -bmax) : (int32_t)(rnd() % 200001u) - 100000;
        mult[o] = rnd() % 8 == 0 ? INT32_MAX : (int32_t)((1u << 30) + rnd() % (1u << 30));
        shift[o] = (int8_t)((int)(rnd() % 62u) - 31);
        if (rnd() % 3 == 0)
            shift[o] = (int8_t) - (int)(8 + rnd() % 12u); /* typical: M around 2^-8..2^-20 */
    }
    memset(out + n_out, 0x5A, GUARD);
    const vg_dense_s8_q_t q = {in_zp, out_zp, lo, hi};
    vg_dense_s8(w, bias, mult, shift, in, out, (uint16_t)n_in, (uint16_t)n_out, &q, scratch);
    ref_dense(w, bias, mult, shift, in, want, n_in, n_out, in_zp, out_zp, lo, hi);
    for (int o = 0; o < n_out; o++)
        if (out[o] != want[o]) {
            print_error("n_in %d n_out %d out[%d] = %d, want %d\n", n_in, n_out, o, out[o],
                        want[o]);
            fail();
        }
    for (int k = 0; k < GUARD; k++)
        assert_int_equal((uint8_t)out[n_out + k], 0x5A);
}

static void test_dense_s8(void **state)
{
    (void)state;
    seed(4242);
    static const int32_t zps[] = {-128, 127, 0, -1, 37};
    for (int n_in = 1; n_in <= 64; n_in++) {
        for (int rep = 0; rep < 6; rep++) {
            const int n_out = 1 + (int)(rnd() % 64u);
            const int32_t in_zp = zps[rnd() % 5], out_zp = zps[rnd() % 5];
            int32_t lo = -128, hi = 127;
            if (rep == 1) /* a fused ReLU */
                lo = out_zp;
            if (rep == 2) { /* a narrow clamp */
                lo = -3;
                hi = 4;
            }
            dense_case(n_in, n_out, in_zp, out_zp, lo, hi, rep >= 4);
        }
    }
}

/* ---- the kind-5 artifact ------------------------------------------------------------------- */

static union {
    uint64_t align;
    uint8_t b[64 * 1024];
} g_art;
static union {
    uint64_t align;
    uint8_t b[16 * 1024];
} g_scratch;

static const uint8_t CH2[] = {0, 0};
static const uint8_t ID2[] = {VG_FEAT_STD, VG_FEAT_ADIFF};

static vgt_pipe_t pipe2(void)
{
    vgt_pipe_t p = {2.0f, 1, 8, 2, 2, VG_NORM_ZSCORE, 100, CH2, ID2, NULL, 1.5f, 2, 3, NULL};
    return p;
}

/* A 2 -> 5 (tanh, table) -> 3 (ReLU) -> 2 (linear) network with random int8 parameters. */
static int8_t g_w[3][64], g_shift[3][8], g_table[256];
static int32_t g_bias[3][8], g_mult[3][8];

static void layers3(vgt_layer_s8_t *L)
{
    static const uint16_t shape[3][2] = {{2, 5}, {5, 3}, {3, 2}};
    for (int l = 0; l < 3; l++) {
        memset(&L[l], 0, sizeof L[l]);
        L[l].n_in = shape[l][0];
        L[l].n_out = shape[l][1];
        for (int i = 0; i < shape[l][0] * shape[l][1]; i++)
            g_w[l][i] = (int8_t)rnd();
        for (int o = 0; o < shape[l][1]; o++) {
            g_bias[l][o] = (int32_t)(rnd() % 20001u) - 10000;
            g_mult[l][o] = (int32_t)((1u << 30) + rnd() % (1u << 30));
            g_shift[l][o] = (int8_t) - (int)(6 + rnd() % 6u);
        }
        L[l].w = g_w[l];
        L[l].bias = g_bias[l];
        L[l].mult = g_mult[l];
        L[l].shift = g_shift[l];
        L[l].act_min = -128;
        L[l].act_max = 127;
        L[l].pre_scale = L[l].out_scale = 0.05f;
    }
    for (int i = 0; i < 256; i++)
        g_table[i] = (int8_t)((i - 128) / 2);
    L[0].act = VG_ACT_TANH;
    L[0].lut = 1;
    L[0].table = g_table;
    L[0].pre_zp = 3;
    L[0].out_zp = 0;
    L[0].out_scale = 1.0f / 128.0f;
    L[1].act = VG_ACT_RELU;
    L[1].pre_zp = L[1].out_zp = L[1].act_min = -128;
    L[2].act = VG_ACT_LINEAR;
    L[2].pre_zp = L[2].out_zp = 10;
}

static void test_ae_s8_parse_and_run(void **state)
{
    (void)state;
    seed(9);
    vgt_pipe_t p = pipe2();
    vgt_layer_s8_t L[3];
    layers3(L);
    size_t n = vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, 0.1f, -5, L);
    assert_true(n > 0);
    vg_model_t m;
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    assert_int_equal(m.kind, VG_KIND_AE_S8);
    assert_int_equal(vg_model_base_kind(m.kind), VG_KIND_AUTOENCODER);
    assert_int_equal(m.u.ae8.n_layers, 3);
    assert_int_equal(m.u.ae8.max_units, 5);
    assert_int_equal(vg_model_param_count(&m), 2 * 5 + 5 + 5 * 3 + 3 + 3 * 2 + 2);
    assert_true(vg_model_scratch_size(&m) % 4 == 0);
    vg_ae_s8_arrays_t a;
    vg_ae_s8_arrays(&m, 1, &a);
    assert_memory_equal(a.w, g_w[1], 15);
    assert_null(a.lut);
    vg_ae_s8_arrays(&m, 0, &a);
    assert_memory_equal(a.lut, g_table, 256);

    /* the network against the reference, layer by layer */
    for (int k = 0; k < 2000; k++) {
        int8_t in[2] = {(int8_t)rnd(), (int8_t)rnd()}, out[2];
        memset(g_scratch.b, 0xEE, sizeof g_scratch.b);
        vg_ae_s8_forward(&m, in, out, g_scratch.b);
        int8_t h0[5], h1[3], y[2];
        ref_dense(g_w[0], g_bias[0], g_mult[0], g_shift[0], in, h0, 2, 5, -5, 3, -128, 127);
        for (int i = 0; i < 5; i++)
            h0[i] = g_table[h0[i] + 128];
        ref_dense(g_w[1], g_bias[1], g_mult[1], g_shift[1], h0, h1, 5, 3, 0, -128, -128, 127);
        ref_dense(g_w[2], g_bias[2], g_mult[2], g_shift[2], h1, y, 3, 2, -128, 10, -128, 127);
        assert_memory_equal(out, y, 2);
    }
    /* the score: quantize, run, dequantize, RMS error against the float input */
    const float x[2] = {0.73f, -1.2f};
    float raw, contrib[2], recon[2];
    vg_model_score(&m, x, &raw, contrib, recon, (float *)(void *)g_scratch.b);
    int8_t xq[2] = {vg_quantize_s8(x[0], 0.1f, -5), vg_quantize_s8(x[1], 0.1f, -5)}, yq[2];
    assert_int_equal(xq[0], 2);
    assert_int_equal(xq[1], -17);
    vg_ae_s8_forward(&m, xq, yq, g_scratch.b + 4096);
    const float y0 = 0.05f * (float)(yq[0] - 10), y1 = 0.05f * (float)(yq[1] - 10);
    assert_true(recon[0] == y0 && recon[1] == y1);
    const float e = sqrtf((x[0] - y0) * (x[0] - y0) * 0.5f + (x[1] - y1) * (x[1] - y1) * 0.5f);
    assert_true(fabsf(raw - e) <= 1e-6f * e);
    const float xn[2] = {NAN, 0.0f};
    vg_model_score(&m, xn, &raw, NULL, NULL, (float *)(void *)g_scratch.b);
    assert_true(isnan(raw));
}

/* Every way a kind-5 body can be wrong behind a valid CRC is refused. */
static void test_ae_s8_refused(void **state)
{
    (void)state;
    seed(10);
    vgt_pipe_t p = pipe2();
    vgt_layer_s8_t L[3];
    vg_model_t m;
    struct {
        const char *what;
        int layer;
        int field;
        vg_status_t want;
    } cases[] = {
        {"act_min > act_max", 2, 0, VG_ERR_FORMAT},
        {"table missing on tanh", 0, 1, VG_ERR_FORMAT},
        {"pre != out zp", 2, 2, VG_ERR_FORMAT},
        {"bias too large", 1, 3, VG_ERR_FORMAT},
        {"negative multiplier", 1, 4, VG_ERR_FORMAT},
        {"shift 31", 2, 5, VG_ERR_FORMAT},
        {"shift -32", 2, 6, VG_ERR_FORMAT},
        {"zero scale", 1, 7, VG_ERR_FORMAT},
        {"activation 4", 1, 8, VG_ERR_FORMAT},
        {"table on ReLU", 1, 9, VG_ERR_FORMAT},
        {"NaN scale", 0, 10, VG_ERR_FORMAT},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        layers3(L);
        vgt_layer_s8_t *l = &L[cases[c].layer];
        int32_t big[8], neg[8];
        int8_t sh[8];
        memcpy(big, l->bias, sizeof big);
        memcpy(neg, l->mult, sizeof neg);
        memcpy(sh, l->shift, sizeof sh);
        switch (cases[c].field) {
        case 0: l->act_min = 5, l->act_max = 4; break;
        case 1: l->lut = 0; break;
        case 2: l->out_zp = 11; break;
        case 3: big[0] = (int32_t)VG_AE_S8_BIAS_MAX + 1, l->bias = big; break;
        case 4: neg[1] = -1, l->mult = neg; break;
        case 5: sh[0] = 31, l->shift = sh; break;
        case 6: sh[0] = -32, l->shift = sh; break;
        case 7: l->pre_scale = l->out_scale = 0.0f; break;
        case 8: l->act = 4; break;
        case 9: l->lut = 1, l->table = g_table; break;
        case 10: l->pre_scale = NAN; break;
        }
        size_t n = vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, 0.1f, -5, L);
        assert_true(n > 0);
        vg_status_t s = vg_model_parse(&m, g_art.b, n);
        if (s != cases[c].want) {
            print_error("%s: status %d\n", cases[c].what, s);
            fail();
        }
    }
    layers3(L);
    /* input zero point, scale, layer count, chaining, output width */
    assert_int_equal(
        vg_model_parse(&m, g_art.b, vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, 0.1f, 128, L)),
        VG_ERR_FORMAT);
    assert_int_equal(
        vg_model_parse(&m, g_art.b, vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, -0.1f, 0, L)),
        VG_ERR_FORMAT);
    assert_int_equal(
        vg_model_parse(&m, g_art.b, vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 2, 0.1f, 0, L)),
        VG_ERR_FORMAT);
    assert_int_equal(
        vg_model_parse(&m, g_art.b, vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 0, 0.1f, 0, L)),
        VG_ERR_FORMAT);
    L[1].n_in = 4;
    assert_int_equal(
        vg_model_parse(&m, g_art.b, vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, 0.1f, 0, L)),
        VG_ERR_FORMAT);
    /* every truncation of the MODL body (CRC fixed, sizes shrunk) is refused */
    layers3(L);
    size_t n = vgt_build_ae_s8(g_art.b, sizeof g_art.b, &p, 3, 0.1f, 0, L);
    uint32_t off, size;
    assert_true(vgt_find_section(g_art.b, n, VGT_MODL, &off, &size) >= 0);
    for (uint32_t cut = 1; cut <= size - 4; cut++) {
        int idx = vgt_find_section(g_art.b, n, VGT_MODL, &off, &size);
        uint8_t *e = g_art.b + VGT_HEADER_SIZE + VGT_ENTRY_SIZE * (unsigned)idx;
        vgt_put32(e + 8, size - cut);
        vgt_fix_crc(g_art.b, n);
        assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_ERR_FORMAT);
        vgt_put32(e + 8, size);
    }
    vgt_fix_crc(g_art.b, n);
    assert_int_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
    /* a single bit flip anywhere is caught by the CRC */
    for (size_t i = 0; i < n; i += 7) {
        g_art.b[i] ^= 0x04;
        assert_int_not_equal(vg_model_parse(&m, g_art.b, n), VG_OK);
        g_art.b[i] ^= 0x04;
    }
}

/* ---- the host quantizer -------------------------------------------------------------------- */

static void test_quantize_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    vgh_quantize_multiplier(1.0, &m, &s);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 1);
    vgh_quantize_multiplier(0.5, &m, &s);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 0);
    vgh_quantize_multiplier(1.0 - 1e-12, &m, &s); /* rounds up to 1.0: renormalised */
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 1);
    vgh_quantize_multiplier(0.75 * ldexp(1.0, -10), &m, &s);
    assert_int_equal(m, 3 << 29);
    assert_int_equal(s, -10);
    vgh_quantize_multiplier(0.0, &m, &s);
    assert_int_equal(m, 0);
    assert_int_equal(s, 0);
    vgh_quantize_multiplier(1e-20, &m, &s);
    assert_int_equal(m, 0);
    vgh_quantize_multiplier(1e20, &m, &s);
    assert_int_equal(m, INT32_MAX);
    assert_int_equal(s, VG_SHIFT_MAX);
    /* the multiplier applied through the kernel helper approximates the real product */
    vgh_quantize_multiplier(0.0123, &m, &s);
    assert_int_equal(vg_multiply_by_quantized_multiplier(100000, m, s), 1230);
    vgh_qparams_t q = vgh_choose_qparams(-1.0, 3.0);
    assert_true(fabsf(q.scale - 4.0f / 255.0f) < 1e-7f);
    assert_int_equal(q.zp, -64);
    q = vgh_choose_qparams(0.5, 2.0); /* widened to hold 0 */
    assert_int_equal(q.zp, -128);
    q = vgh_choose_qparams(-2.0, -1.0);
    assert_int_equal(q.zp, 127);
    q = vgh_choose_qparams(0.0, 0.0);
    assert_true(q.scale > 0.0f);
}

/* Quantize a float autoencoder built here: the kind-5 result parses, keeps the pipeline and
 * the decision, and scores close to the float model on data like the calibration data. */
static void test_quantize_round_trip(void **state)
{
    (void)state;
    seed(31);
    static const uint8_t acts[] = {VG_ACT_RELU, VG_ACT_TANH, VG_ACT_SIGMOID};
    for (size_t ai = 0; ai < sizeof acts; ai++) {
        vgh_artifact_spec_t s;
        memset(&s, 0, sizeof s);
        s.sample_rate = 2.0f;
        s.n_channels = 1;
        s.window = 8;
        s.hop = 2;
        s.n_features = 3;
        s.norm_kind = VG_NORM_ZSCORE;
        s.max_missing_pm = 100;
        for (int k = 0; k < 3; k++) {
            s.feats[k].feature = (uint8_t)(VG_FEAT_STD + k);
            s.norm[2 * k] = 0.0f;
            s.norm[2 * k + 1] = 1.0f;
        }
        s.threshold = 1.0f;
        s.open_after = 2;
        s.close_after = 4;
        s.kind = VG_KIND_AUTOENCODER;
        s.n_layers = 2;
        s.layers[0] = (vg_layer_desc_t){3, 6, acts[ai], {0, 0, 0}};
        s.layers[1] = (vg_layer_desc_t){6, 3, VG_ACT_LINEAR, {0, 0, 0}};
        float params[3 * 6 + 6 + 6 * 3 + 3];
        for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
            params[i] = ((float)(rnd() % 2001u) - 1000.0f) / 1000.0f;
        s.params = params;
        s.n_params = sizeof params / sizeof params[0];
        uint8_t *fbytes, *qbytes, *body;
        size_t fn, qn;
        uint32_t blen;
        char err[256];
        assert_int_equal(vgh_artifact_build(&s, &fbytes, &fn, err, sizeof err), 0);
        vg_model_t mf, mq;
        assert_int_equal(vg_model_parse(&mf, fbytes, fn), VG_OK);
        float X[500 * 3];
        for (int i = 0; i < 500 * 3; i++)
            X[i] = ((float)(rnd() % 2001u) - 1000.0f) / 500.0f;
        assert_int_equal(vgh_quantize_ae(&mf, X, 500, 3.0, &body, &blen, err, sizeof err), 0);
        s.kind = VG_KIND_AE_S8;
        s.body = body;
        s.body_len = blen;
        assert_int_equal(vgh_artifact_build(&s, &qbytes, &qn, err, sizeof err), 0);
        assert_int_equal(vg_model_parse(&mq, qbytes, qn), VG_OK);
        assert_int_equal(mq.kind, VG_KIND_AE_S8);
        assert_int_equal(mq.u.ae8.layers[0].lut, acts[ai] != VG_ACT_RELU);
        assert_true(mq.threshold == mf.threshold && mq.window == mf.window);
        assert_memory_equal(mq.norm, mf.norm, 6 * sizeof(float));
        double worst = 0;
        float sf[64], sq[4096 / 4];
        for (int i = 0; i < 500; i++) {
            float rf, rq, recf[3], recq[3];
            vg_model_score(&mf, X + 3 * i, &rf, NULL, recf, sf);
            vg_model_score(&mq, X + 3 * i, &rq, NULL, recq, sq);
            for (int k = 0; k < 3; k++)
                worst = fmax(worst, fabs((double)recf[k] - recq[k]));
        }
        /* a few output steps of the int8 network: quantization error, not a wrong layout */
        const double step = mq.u.ae8.layers[1].out_scale;
        print_message("activation %u: worst reconstruction difference %.4f (%.1f output steps)\n",
                      acts[ai], worst, worst / step);
        assert_true(worst < 12.0 * step);
        free(fbytes);
        free(qbytes);
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srdhm_edges),
        cmocka_unit_test(test_rdbpot_edges),
        cmocka_unit_test(test_mbqm),
        cmocka_unit_test(test_mbqm_acc),
        cmocka_unit_test(test_rdbpot_random),
        cmocka_unit_test(test_quantize_value),
        cmocka_unit_test(test_dense_s8),
        cmocka_unit_test(test_ae_s8_parse_and_run),
        cmocka_unit_test(test_ae_s8_refused),
        cmocka_unit_test(test_quantize_multiplier),
        cmocka_unit_test(test_quantize_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
