/* SPDX-License-Identifier: MIT */
#include "vigil/vg_iforest.h"

/* Compiled only in a build that runs this model kind (vg_opts.h). */
#if VG_ENABLE_IFOREST

#include <math.h>

float vg_iforest_c(float n)
{
    if (n <= 1.0f)
        return 0.0f;
    if (n <= 2.0f)
        return 1.0f;
    float h = logf(n - 1.0f) + 0.5772156649f;
    return 2.0f * h - 2.0f * (n - 1.0f) / n;
}

float vg_itree_path(const vg_itree_node_t *tree, const float *x)
{
    /* Validated at parse: child indices strictly increase, so this loop terminates. */
    uint32_t i = 0;
    while (tree[i].feature != VG_ITREE_LEAF)
        i = x[tree[i].feature] < tree[i].value ? i + 1u : tree[i].right;
    return tree[i].value;
}

float vg_iforest_score(const vg_model_t *m, const float *x)
{
    float sum = 0.0f;
    uint16_t nt = m->u.iforest.n_trees;
    for (uint16_t t = 0; t < nt; t++)
        sum += vg_itree_path(m->u.iforest.nodes + m->u.iforest.roots[t], x);
    float mean = sum / (float)nt;
    return exp2f(-mean / m->u.iforest.c_norm);
}
#else
typedef int vg_iforest_disabled_t; /* ISO C wants a translation unit to declare something */
#endif
