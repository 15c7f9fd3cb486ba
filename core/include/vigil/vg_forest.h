/* SPDX-License-Identifier: MIT */
/**
 * @file vg_forest.h
 * @brief Random forest classifier inference over flat pre-order node arrays (MODL kind 4).
 *
 * MODL body (after the 4-byte kind header), little-endian:
 *   u16 n_trees (1..VG_MAX_TREES), u16 n_classes (2..VG_MAX_CLASSES), u32 n_nodes,
 *   u16 normal_class (< n_classes), u16 reserved (0),
 *   u32 roots[n_trees] (roots[0] = 0, strictly ascending, < n_nodes),
 *   vg_tree_node_t nodes[n_nodes] (12 bytes each: f32 value, u16 feature, u16 cls, u32 right).
 * Body size is exactly 12 + 4 n_trees + 12 n_nodes bytes.
 */
#ifndef VG_FOREST_H
#define VG_FOREST_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"
#include "vg_status.h"

/**
 * @brief Validate a forest MODL body and fill m->u.forest (m->n_features must be set).
 * Checks every count, every child index (after its parent, inside its tree), every feature
 * index (< n_features), every leaf class (< n_classes), finite thresholds.
 * @param[in,out] m    model whose PIPE is parsed; on VG_OK, m->u.forest is set
 * @param[in]     body bytes after the 4-byte MODL kind header (4-aligned)
 * @param[in]     size their count
 * @retval VG_OK, VG_ERR_FORMAT, VG_ERR_UNSUPPORTED (counts above VG_MAX_*)
 */
vg_status_t vg_forest_parse(vg_model_t *m, const uint8_t *body, uint32_t size);

/** @brief Leaf reached by @p x in the tree whose first node is @p tree. */
const vg_tree_node_t *vg_tree_leaf(const vg_tree_node_t *tree, const float *x);

/**
 * @brief Classify one feature vector by majority vote (ties: the lowest class label).
 * @param[in]  m      parsed forest model
 * @param[in]  x      n_features (normalised) features
 * @param[out] votes  NULL, or n_classes vote counts
 * @param[out] p_anomaly NULL, or the share of trees voting a class other than normal_class
 * @return the winning class label
 * Hot path: no checks.
 */
uint16_t vg_forest_predict(const vg_model_t *m, const float *x, uint16_t *votes, float *p_anomaly);
#endif
