/* SPDX-License-Identifier: MIT */
/* Random forest classifier (MODL kind 4): validation of the body in place, and inference.
 * Layout: vg_forest.h and docs/model-format.md. */
#include "vigil/vg_forest.h"
#include "vg_le.h"

/* Compiled only in a build that runs this model kind (vg_opts.h). */
#if VG_ENABLE_FOREST

#include <math.h>

#if VG_MAX_TREES > 65535 || VG_MAX_CLASSES > 65535 || VG_MAX_CLASSES < 2
#error "vote counts and class labels are 16-bit: VG_MAX_TREES, VG_MAX_CLASSES <= 65535"
#endif

/* Counts and fields are read byte by byte (no alignment or endianness assumption); the root
 * and node arrays are used in place (4-aligned: the MODL section is, and every offset inside
 * the body is a multiple of 4). */
#define FOREST__HEAD 12u

#if VG_FOREST_LANES < 1 || VG_FOREST_LANES > 16
#error "VG_FOREST_LANES is 1..16 (vg_opts.h)"
#endif

/*
 * One tree, nodes t[0..n). Termination proof: an internal node i has its left child at i + 1
 * and its right child at right with i + 1 < right < n, so every step of a walk moves to a
 * strictly larger index inside the tree and the walk ends at a leaf in fewer than n steps.
 * Relative indices are u32 and n <= n_nodes < 2^32 / 12, so they always fit.
 */
static vg_status_t forest__check_tree(const vg_tree_node_t *t, uint32_t n, uint16_t n_features,
                                      uint16_t n_classes)
{
    for (uint32_t i = 0; i < n; i++) {
        const float v = t[i].value;
        if (!(fabsf(v) <= 3.0e38f)) /* also NaN */
            return VG_ERR_FORMAT;
        if (t[i].feature == VG_TREE_LEAF) {
            /* value is the share of the leaf's class: informative only, but a share */
            if (t[i].cls >= n_classes || !(v >= 0.0f && v <= 1.0f))
                return VG_ERR_FORMAT;
            continue;
        }
        if (t[i].feature >= n_features || i + 1u >= n || t[i].right <= i + 1u || t[i].right >= n)
            return VG_ERR_FORMAT;
    }
    return VG_OK;
}

vg_status_t vg_forest_parse(vg_model_t *m, const uint8_t *body, uint32_t size)
{
    if (size < FOREST__HEAD)
        return VG_ERR_FORMAT;
    const uint16_t nt = vg_le16(body);
    const uint16_t nc = vg_le16(body + 2);
    const uint32_t nn = vg_le32(body + 4);
    const uint16_t normal = vg_le16(body + 8);
    if (nt == 0 || nc < 2 || nn == 0 || vg_le16(body + 10) != 0)
        return VG_ERR_FORMAT;
    if (nt > VG_MAX_TREES || nc > VG_MAX_CLASSES)
        return VG_ERR_UNSUPPORTED;
    if (normal >= nc)
        return VG_ERR_FORMAT;
    /* size - 12 - 4 nt cannot wrap (checked first); the division keeps 12 nn from wrapping */
    if (size - FOREST__HEAD < 4u * (uint32_t)nt)
        return VG_ERR_FORMAT;
    const uint32_t room = size - FOREST__HEAD - 4u * (uint32_t)nt;
    if (nn > room / 12u || room != 12u * nn)
        return VG_ERR_FORMAT;
    const uint32_t *roots = (const uint32_t *)(const void *)(body + FOREST__HEAD);
    const vg_tree_node_t *nodes =
        (const vg_tree_node_t *)(const void *)(body + FOREST__HEAD + 4u * (uint32_t)nt);
    if (roots[0] != 0)
        return VG_ERR_FORMAT;
    for (uint16_t t = 0; t < nt; t++) {
        const uint32_t end = t + 1u < nt ? roots[t + 1u] : nn;
        if (end <= roots[t] || end > nn)
            return VG_ERR_FORMAT;
        VG_TRY(forest__check_tree(nodes + roots[t], end - roots[t], m->n_features, nc));
    }
    m->u.forest.n_trees = nt;
    m->u.forest.n_classes = nc;
    m->u.forest.normal_class = normal;
    m->u.forest.n_nodes = nn;
    m->u.forest.roots = roots;
    m->u.forest.nodes = nodes;
    return VG_OK;
}

const vg_tree_node_t *vg_tree_leaf(const vg_tree_node_t *tree, const float *x)
{
    /* NaN compares false, so it goes right: the same rule as the isolation forest. A node
     * pointer rather than an index: the left step is one add, and no step recomputes the
     * address from the tree's base and an index. */
    const vg_tree_node_t *nd = tree;
    while (nd->feature != VG_TREE_LEAF)
        nd = x[nd->feature] < nd->value ? nd + 1 : tree + nd->right;
    return nd;
}

#if VG_FOREST_LANES > 1
/* The walks of vg_forest_predict() in lanes: adds each of the nt trees' vote to v.
 * VG_FOREST_LANES trees are walked at once, each lane taking the next tree when its own reaches
 * a leaf. One tree at a time, every step waits for the node it chose (a load that misses L1 on
 * a large model) and every other step mispredicts; walks in lanes are independent, so their
 * loads overlap, and the child is chosen with a mask, not a branch. Each walk takes the steps
 * of vg_tree_leaf() and votes are counts, so the result is the same; bench/README.md has the
 * figures. */
static void forest__lanes(const vg_tree_node_t *nodes, const uint32_t *roots, uint16_t nt,
                          const float *x, uint16_t *v)
{
    const vg_tree_node_t *at[VG_FOREST_LANES], *root[VG_FOREST_LANES];
    uint16_t next = 0;
    unsigned live = 0;
    while (live < VG_FOREST_LANES && next < nt) {
        root[live] = at[live] = nodes + roots[next++];
        live++;
    }
    while (live) {
        for (unsigned i = 0; i < live;) {
            const vg_tree_node_t *n = at[i];
            if (n->feature == VG_TREE_LEAF) {
                v[n->cls]++;
                if (next < nt) {
                    root[i] = at[i] = nodes + roots[next++];
                    i++;
                } else {
                    /* the last lane moves here; i is walked again */
                    live--;
                    at[i] = at[live];
                    root[i] = root[live];
                }
                continue;
            }
            /* all ones when x goes left (NaN goes right, as in vg_tree_leaf()); the lanes hold
             * node addresses, so a step does not rebuild one from the base and an index */
            const uintptr_t left = (uintptr_t)0 - (uintptr_t)(x[n->feature] < n->value);
            const uintptr_t l = (uintptr_t)(n + 1), r = (uintptr_t)(root[i] + n->right);
            at[i] = (const vg_tree_node_t *)(r ^ ((l ^ r) & left));
            i++;
        }
    }
}
#endif

uint16_t vg_forest_predict(const vg_model_t *m, const float *x, uint16_t *votes, float *p_anomaly)
{
    uint16_t local[VG_MAX_CLASSES];
    uint16_t *v = votes ? votes : local;
    const uint16_t nc = m->u.forest.n_classes, nt = m->u.forest.n_trees;
    const vg_tree_node_t *nodes = m->u.forest.nodes;
    const uint32_t *roots = m->u.forest.roots;
    for (uint16_t c = 0; c < nc; c++)
        v[c] = 0;
    /* A forest that fits the caches is walked one tree at a time (VG_FOREST_LANES_MIN_NODES);
     * a larger one in lanes. The walks and the votes are the same. */
    int lanes = 0;
#if VG_FOREST_LANES > 1
    lanes = m->u.forest.n_nodes >= VG_FOREST_LANES_MIN_NODES;
    if (lanes)
        forest__lanes(nodes, roots, nt, x, v);
#endif
    if (!lanes)
        for (uint16_t t = 0; t < nt; t++)
            v[vg_tree_leaf(nodes + roots[t], x)->cls]++;
    /* Strictly greater: on a tie the lowest label wins. nt <= VG_MAX_TREES fits u16. */
    uint16_t best = 0;
    for (uint16_t c = 1; c < nc; c++)
        if (v[c] > v[best])
            best = c;
    if (p_anomaly)
        *p_anomaly = (float)(nt - v[m->u.forest.normal_class]) / (float)nt;
    return best;
}
#else
typedef int vg_forest_disabled_t; /* ISO C wants a translation unit to declare something */
#endif
