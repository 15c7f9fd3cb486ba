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

/* Peaks over threshold: above u, the training scores' 90th percentile, model the excess as
 * exponential with scale beta (its maximum-likelihood estimate is the mean excess), and put
 * the threshold where the fitted tail leaves probability p_exceed per window:
 * P(S > u + x) = p_u exp(-x / beta). A short recording cannot show the tail a day of windows
 * will reach; the fit extrapolates it. An exponential tail is heavier than a Gaussian one,
 * which errs on the side of fewer false alarms. */
float vgh_tail_threshold(const float *scores, size_t m, double p_exceed, double margin,
                         double *beta_out)
{
    float u = vgh_quantile(scores, m, 0.9);
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        if (scores[i] > u) {
            sum += scores[i] - u;
            k++;
        }
    double beta = k ? sum / (double)k : 0.0;
    if (!(beta > 0))
        beta = fmax(1e-6, 1e-3 * fabs(u));
    beta *= margin;
    *beta_out = beta;
    double pu = (double)k / (double)m;
    if (k == 0 || p_exceed >= pu)
        return vgh_quantile(scores, m, 1.0 - p_exceed);
    return (float)(u + beta * log(pu / p_exceed));
}
