/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of core/src/vg_mathf.c: the core's own cos/sin of 2 pi t and e^x against the
 * C library in double precision, in ulps of the float result, on dense grids and at the
 * edges of their ranges. These functions exist so every target computes the same bits
 * (docs/mcu.md); this checks they are also accurate.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "vigil/vg_mathf.h"

/* Error of @p got in ulps of the exact value @p want (for |want| below 2^-20, in ulps of
 * 2^-20 instead: sin near a multiple of pi is computed as an absolute error). */
static double ulps(float got, double want)
{
    double mag = fabs(want) > 0x1p-20 ? fabs(want) : 0x1p-20;
    int e;
    frexp(mag, &e);
    return fabs((double)got - want) / ldexp(1.0, e - 24);
}

static void test_cis2pi(void **state)
{
    (void)state;
    const double two_pi = 6.283185307179586476925;
    double worst = 0;
    for (uint32_t i = 0; i < 1u << 20; i++) {
        float t = (float)i / (float)(1u << 20);
        float c, s;
        vg_cis2pi_f32(t, &c, &s);
        /* The reference takes the float argument's own angle, 2 pi t in double. */
        double ec = ulps(c, cos(two_pi * (double)t)), es = ulps(s, sin(two_pi * (double)t));
        if (ec > worst)
            worst = ec;
        if (es > worst)
            worst = es;
    }
    printf("cis2pi: worst error %.3f ulp over 2^20 turns in [0, 1)\n", worst);
    assert_true(worst <= 2.0);
    float c, s;
    vg_cis2pi_f32(0.0f, &c, &s);
    assert_true(c == 1.0f && s == 0.0f);
    vg_cis2pi_f32(0.25f, &c, &s);
    assert_true(c == 0.0f && s == 1.0f);
    vg_cis2pi_f32(0.5f, &c, &s);
    assert_true(c == -1.0f && s == 0.0f);
}

static void test_exp(void **state)
{
    (void)state;
    double worst = 0;
    for (int32_t i = -870000; i <= 880000; i++) {
        float x = (float)i * 1e-4f;
        double e = ulps(vg_exp_f32(x), exp((double)x));
        if (e > worst)
            worst = e;
    }
    printf("exp: worst error %.3f ulp over [-87, 88] in steps of 1e-4\n", worst);
    assert_true(worst <= 2.0);
    assert_true(vg_exp_f32(0.0f) == 1.0f);
    assert_true(vg_exp_f32(-100.0f) == 0.0f);
    assert_true(isinf(vg_exp_f32(100.0f)));
    assert_true(isnan(vg_exp_f32(NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cis2pi),
        cmocka_unit_test(test_exp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
