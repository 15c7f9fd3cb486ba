/* SPDX-License-Identifier: MIT */
/* Placeholder until the forest lands: refuses forest artifacts. Replaced by the real parser
 * and inference (docs/model-format.md, kind 4). */
#include "vigil/vg_forest.h"

vg_status_t vg_forest_parse(vg_model_t *m, const uint8_t *body, uint32_t size)
{
    (void)m;
    (void)body;
    (void)size;
    return VG_ERR_UNSUPPORTED;
}

const vg_tree_node_t *vg_tree_leaf(const vg_tree_node_t *tree, const float *x)
{
    uint32_t i = 0;
    while (tree[i].feature != VG_TREE_LEAF)
        i = x[tree[i].feature] < tree[i].value ? i + 1u : tree[i].right;
    return tree + i;
}

uint16_t vg_forest_predict(const vg_model_t *m, const float *x, uint16_t *votes, float *p_anomaly)
{
    (void)m;
    (void)x;
    (void)votes;
    if (p_anomaly)
        *p_anomaly = 0.0f;
    return 0;
}
