/* SPDX-License-Identifier: MIT */
#include "vigil/vg_mathf.h"

#include <math.h>
#include <stdint.h>

#define MATHF_TWO_PI 6.28318530717958647692f

/* sin and cos on [0, pi/4] by their Taylor series to x^9 and x^10: the first term left out
 * is below 2e-9 there, a fraction of an ulp, so the error is the Horner rounding (~1 ulp). */
static float mathf__sin(float x)
{
    const float x2 = x * x;
    return x +
           x * x2 *
               (-1.6666667e-1f + x2 * (8.3333333e-3f + x2 * (-1.9841270e-4f + x2 * 2.7557319e-6f)));
}

static float mathf__cos(float x)
{
    const float x2 = x * x;
    return 1.0f +
           x2 * (-0.5f + x2 * (4.1666667e-2f +
                               x2 * (-1.3888889e-3f + x2 * (2.4801587e-5f + x2 * -2.7557319e-7f))));
}

/* The argument is reduced to [0, 1/8] turn by quadrant and octant symmetry; t - 1/4 (for
 * t >= 1/4) and 1/4 - t (t > 1/8, Sterbenz) are exact in float, so the angle is off by one
 * rounding of 2 pi t plus float(2 pi)'s relative error 3e-8: about 5e-8 rad. */
void vg_cis2pi_f32(float t, float *c, float *s)
{
    unsigned q = 0;
    while (t >= 0.25f) {
        t -= 0.25f;
        q++;
    }
    float cr, sr;
    if (t > 0.125f) {
        const float a = MATHF_TWO_PI * (0.25f - t);
        cr = mathf__sin(a);
        sr = mathf__cos(a);
    } else {
        const float a = MATHF_TWO_PI * t;
        cr = mathf__cos(a);
        sr = mathf__sin(a);
    }
    const float qc[4] = {cr, -sr, -cr, sr}, qs[4] = {sr, cr, -sr, -cr};
    *c = qc[q & 3u];
    *s = qs[q & 3u];
}

/* e^x = 2^k e^r with k = round(x / ln 2) and r = x - k ln 2 in [-ln2/2, ln2/2]; ln 2 is split
 * in a high part with 16 significant bits (k * LN2_HI is exact for |k| < 256) and the rest
 * (Cody and Waite). e^r by its Taylor series to r^7 (next term < 5e-9 relative), then 2^k
 * is put in the exponent bits: exact. */
float vg_exp_f32(float x)
{
    if (x != x)
        return x;
    if (x > 88.0f)
        return INFINITY;
    if (x < -87.0f)
        return 0.0f;
    const float t = x * 1.44269504f;
    const int k = (int)(t < 0.0f ? t - 0.5f : t + 0.5f);
    const float LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    const float r = (x - (float)k * LN2_HI) - (float)k * LN2_LO;
    const float p =
        1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f +
                                            r * (4.1666667e-2f +
                                                 r * (8.3333333e-3f +
                                                      r * (1.3888889e-3f + r * 1.9841270e-4f))))));
    /* 2^k for k in [-126, 127] built from its bits; e^-87 needs k = -126 at most */
    union {
        uint32_t u;
        float f;
    } scale;
    scale.u = (uint32_t)(k + 127) << 23;
    return p * scale.f;
}
