/* SPDX-License-Identifier: MIT */
#include "threshold.h"

#include <math.h>
#include <stdlib.h>

static int th__cmp(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

float vgh_quantile(const float *v, size_t n, double q)
{
    if (v == NULL || !(q >= 0.0 && q <= 1.0))
        return NAN;
    float *s = malloc((n ? n : 1) * sizeof *s);
    if (s == NULL)
        return NAN;
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (!isnan(v[k]))
            s[m++] = v[k];
    float r = NAN;
    if (m > 0) {
        qsort(s, m, sizeof *s, th__cmp);
        const double h = (double)(m - 1) * q;
        const double fl = floor(h);
        const size_t i = (size_t)fl;
        const size_t i1 = i + 1 < m ? i + 1 : m - 1;
        const double t = h - fl;
        const float a = s[i], b = s[i1];
        if (t == 0.0 || a == b) {
            r = a; /* exact order statistic (numpy would give NaN for an infinite one) */
        } else if (isinf(a) || isinf(b)) {
            /* the infinite end is the limit for every t in (0, 1); -inf..+inf is undefined */
            r = isinf(a) && isinf(b) ? NAN : isinf(a) ? a : b;
        } else {
            /* numpy: diff = b - a in the input's precision, then the lerp in double, taken
             * from the upper end when t >= 0.5 (monotone, exact at the ends). A float
             * overflow of b - a (numpy: +-inf) is redone in double. */
            double diff = (double)(b - a);
            if (isinf(diff))
                diff = (double)b - (double)a;
            const double lerp = t >= 0.5 ? (double)b - diff * (1.0 - t) : (double)a + diff * t;
            r = (float)lerp;
        }
    }
    free(s);
    return r;
}
