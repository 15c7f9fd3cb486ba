/* SPDX-License-Identifier: MIT */
#include "vigil/vg_stats.h"

void vg_welford_init(vg_welford_t *w)
{
    w->n = 0;
    w->mean = 0.0;
    w->m2 = 0.0;
}

void vg_welford_add(vg_welford_t *w, double x)
{
    w->n++;
    double delta = x - w->mean;
    w->mean += delta / (double)w->n;
    w->m2 += delta * (x - w->mean);
}

double vg_welford_var(const vg_welford_t *w)
{
    return w->n < 2 ? 0.0 : w->m2 / (double)w->n;
}

void vg_ewma_init(vg_ewma_t *e, float alpha)
{
    e->alpha = alpha;
    e->mean = 0.0f;
    e->var = 0.0f;
    e->primed = 0;
}

void vg_ewma_seed(vg_ewma_t *e, float mean, float var)
{
    e->mean = mean;
    e->var = var;
    e->primed = 1;
}

void vg_ewma_add(vg_ewma_t *e, float x)
{
    if (!e->primed) {
        e->mean = x;
        e->var = 0.0f;
        e->primed = 1;
        return;
    }
    /* West (1979) incremental form: keeps var >= 0 for alpha in (0,1]. */
    float d = x - e->mean;
    float inc = e->alpha * d;
    e->mean += inc;
    e->var = (1.0f - e->alpha) * (e->var + d * inc);
}
