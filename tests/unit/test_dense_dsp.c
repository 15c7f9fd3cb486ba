/* SPDX-License-Identifier: MIT */
/*
 * The Cortex-M DSP-extension path of vg_dense_s8() (SMLAD on reordered int16 inputs) built on
 * the host: core/src/vg_dense.c is compiled into this test as if __ARM_FEATURE_DSP were set,
 * with tests/unit/acle/arm_acle.h standing in for the two intrinsics, its functions renamed
 * *_dsp. Every output must be bit-identical to the portable kernel linked from the core, for
 * every input width 1..64 (all four tail lengths), extreme weights and inputs, every zero point
 * class and clamp. The same source runs under QEMU on a Cortex-M4 with the real instructions.
 */
#define __ARM_FEATURE_DSP 1
#define vg_act_f32        vg_act_f32_dsp
#define vg_dense_f32      vg_dense_f32_dsp
#define vg_dense_s8       vg_dense_s8_dsp
#define vg_lut_s8         vg_lut_s8_dsp
#define vg_quantize_s8    vg_quantize_s8_dsp
#define vg_dequantize_s8  vg_dequantize_s8_dsp
#include "../../core/src/vg_dense.c"
#undef vg_act_f32
#undef vg_dense_f32
#undef vg_dense_s8
#undef vg_lut_s8
#undef vg_quantize_s8
#undef vg_dequantize_s8

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#if !VG_DENSE_S8_DSP
#error "the DSP path was not selected"
#endif

/* The portable kernel, from the core library (its header is already included, renamed). */
void vg_dense_s8(const int8_t *w, const int32_t *bias, const int32_t *mult, const int8_t *shift,
                 const int8_t *in, int8_t *out, uint16_t n_in, uint16_t n_out,
                 const vg_dense_s8_q_t *q, int16_t *scratch);

static uint32_t g_rng = 0x9E3779B9u;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 17;
    g_rng ^= g_rng << 5;
    return g_rng;
}

static void test_dsp_matches_portable(void **state)
{
    (void)state;
    print_message("seed 0x9E3779B9\n");
    int8_t w[64 * 64], in[64], a[64], b[64];
    int32_t bias[64], mult[64];
    int8_t shift[64];
    int16_t s1[VG_DENSE_S8_SCRATCH(64)], s2[VG_DENSE_S8_SCRATCH(64)];
    static const int32_t zps[] = {-128, 127, 0, 5};
    size_t cases = 0;
    for (int n_in = 1; n_in <= 64; n_in++) {
        for (int rep = 0; rep < 40; rep++) {
            const int n_out = 1 + (int)(rnd() % 64u);
            const int extreme = rep % 4 == 0;
            for (int i = 0; i < n_in * n_out; i++)
                w[i] = extreme ? (int8_t)(rnd() & 1 ? 127 : -128) : (int8_t)rnd();
            for (int i = 0; i < n_in; i++)
                in[i] = extreme ? (int8_t)(rnd() & 1 ? 127 : -128) : (int8_t)rnd();
            for (int o = 0; o < n_out; o++) {
                bias[o] = rep % 5 == 0 ? (rnd() & 1 ? (1 << 30) : -(1 << 30))
                                       : (int32_t)(rnd() % 100001u) - 50000;
                mult[o] = rep % 7 == 0 ? INT32_MAX : (int32_t)((1u << 30) + rnd() % (1u << 30));
                shift[o] = (int8_t)((int)(rnd() % 62u) - 31);
            }
            const int32_t in_zp = zps[rnd() % 4], out_zp = zps[rnd() % 4];
            const vg_dense_s8_q_t q = {in_zp, out_zp, rep % 3 == 1 ? out_zp : -128, 127};
            vg_dense_s8(w, bias, mult, shift, in, a, (uint16_t)n_in, (uint16_t)n_out, &q, s1);
            vg_dense_s8_dsp(w, bias, mult, shift, in, b, (uint16_t)n_in, (uint16_t)n_out, &q, s2);
            if (memcmp(a, b, (size_t)n_out) != 0) {
                print_error("n_in %d n_out %d rep %d: DSP path differs\n", n_in, n_out, rep);
                fail();
            }
            cases++;
        }
    }
    print_message("%zu layers identical\n", cases);
    /* unaligned weight rows: n_in = 5 puts every row after the first off 4-byte alignment */
    assert_true(cases == 64u * 40u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dsp_matches_portable)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
