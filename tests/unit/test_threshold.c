/* SPDX-License-Identifier: MIT */
/* Unit tests of host/vigil/threshold.c against numpy 1.24.2. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "threshold.h"

/*
 * Expected values: float(np.float32(np.nanquantile(a, q))) for float32 arrays a, numpy
 * 1.24.2 (default method 'linear'); "rnd" is (np.random.default_rng(7).normal(size=13) *
 * 10).astype(np.float32).
 */
static const double qs[10] = {0.0, 0.1, 0.25, 0.3, 0.5, 0.6, 0.9, 0.95, 0.99, 1.0};

static const float a3[] = {3.0f, 1.0f, 2.0f};
static const float a3_q[10] = {1.0f,        1.20000005f, 1.5f,       1.60000002f, 2.0f,
                               2.20000005f, 2.79999995f, 2.9000001f, 2.98000002f, 3.0f};

static const float rnd[] = {0.0123015335f, 2.98745537f,  -2.74137855f, -8.90591812f, -4.54670763f,
                            -9.91646576f,  0.601436019f, 13.4021521f,  -4.92206526f, -6.20474911f,
                            4.89842033f,   3.56887007f,  1.05414248f};
static const float rnd_q[10] = {-9.91646576f,  -8.36568451f, -4.92206526f, -4.69685078f,
                                0.0123015335f, 0.691977322f, 4.63251019f,  8.29991341f,
                                12.3817043f,   13.4021521f};

static const float withnan[] = {0.5f,  NAN,         -2.25f,      7.0f,  NAN,
                                1e-3f, 3.29999995f, 3.29999995f, -0.75f};
static const float withnan_q[10] = {-2.25f,      -1.35000002f, -0.374500006f, -0.149199992f, 0.5f,
                                    2.18000007f, 4.78000021f,  5.88999987f,   6.77799988f,   7.0f};

static void check(const float *v, size_t n, const float *want)
{
    float *copy = malloc(n * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, v, n * sizeof *copy);
    for (unsigned k = 0; k < 10; k++) {
        const float got = vgh_quantile(copy, n, qs[k]);
        if (got != want[k])
            print_message("q %.2f: got %.9g want %.9g\n", qs[k], (double)got, (double)want[k]);
        assert_true(got == want[k]);
    }
    assert_memory_equal(copy, v, n * sizeof *copy); /* input untouched, NaNs included */
    free(copy);
}

static void test_numpy_values(void **state)
{
    (void)state;
    check(a3, 3, a3_q);
    check(rnd, 13, rnd_q);
    check(withnan, 9, withnan_q);
}

static void test_single_and_edges(void **state)
{
    (void)state;
    const float one[] = {4.2f};
    for (unsigned k = 0; k < 10; k++)
        assert_true(vgh_quantile(one, 1, qs[k]) == 4.2f);
    const float nan1[] = {NAN, 4.2f, NAN};
    assert_true(vgh_quantile(nan1, 3, 0.7) == 4.2f);
    const float inf[] = {INFINITY, 1.0f, -INFINITY};
    assert_true(vgh_quantile(inf, 3, 0.5) == 1.0f);
    assert_true(vgh_quantile(inf, 3, 0.0) == -INFINITY);
    assert_true(vgh_quantile(inf, 3, 1.0) == INFINITY);
    /* Beyond numpy (which returns NaN or a wrong sign here): limits and no overflow. */
    assert_true(vgh_quantile(inf, 3, 0.25) == -INFINITY);
    assert_true(vgh_quantile(inf, 3, 0.75) == INFINITY);
    assert_true(isnan(vgh_quantile((const float[]){-INFINITY, INFINITY}, 2, 0.5)));
    const float huge[] = {3e38f, -3e38f};
    assert_true(vgh_quantile(huge, 2, 0.5) == 0.0f);
    assert_true(vgh_quantile(huge, 2, 0.75) == 1.5e38f);
    /* Equal neighbours interpolate to themselves; order of input does not matter. */
    const float same[] = {2.0f, 2.0f, 1.0f, 2.0f};
    assert_true(vgh_quantile(same, 4, 0.61) == 2.0f);
    /* Monotone in q over a larger random-ish array. */
    float big[1001];
    for (unsigned k = 0; k < 1001; k++)
        big[k] = (float)((k * 7919u) % 1001u) * 0.5f;
    float prev = -INFINITY;
    for (unsigned k = 0; k <= 100; k++) {
        const float v = vgh_quantile(big, 1001, (double)k / 100.0);
        assert_true(v >= prev);
        prev = v;
    }
    assert_true(vgh_quantile(big, 1001, 0.5) == 250.0f);
    assert_true(vgh_quantile(big, 1001, 0.999) == 499.5f);
}

static void test_nan_results(void **state)
{
    (void)state;
    const float v[] = {1.0f, 2.0f};
    const float allnan[] = {NAN, NAN};
    assert_true(isnan(vgh_quantile(NULL, 2, 0.5)));
    assert_true(isnan(vgh_quantile(v, 0, 0.5)));
    assert_true(isnan(vgh_quantile(allnan, 2, 0.5)));
    assert_true(isnan(vgh_quantile(v, 2, -0.01)));
    assert_true(isnan(vgh_quantile(v, 2, 1.01)));
    assert_true(isnan(vgh_quantile(v, 2, NAN)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_values),
        cmocka_unit_test(test_single_and_edges),
        cmocka_unit_test(test_nan_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
