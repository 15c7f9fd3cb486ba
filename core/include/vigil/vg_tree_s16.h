/* SPDX-License-Identifier: MIT */
/**
 * @file vg_tree_s16.h
 * @brief Tree ensembles with int16 thresholds (MODL kinds 6 and 7, docs/model-format.md):
 *        each normalised feature is quantized once per window with its own affine map,
 *        q = clamp(round((x - offset) / scale), -32768, 32767), NaN -> 32767, and every node
 *        compares int16s. Built by `vigil quantize` from a kind-3 or kind-4 model
 *        (docs/quantization.md has the threshold rounding and why it keeps decisions).
 *
 * Kind 6, isolation forest (body, little-endian, every array 4-aligned):
 *   u16 n_trees, u16 n_leafvals, u32 n_nodes, f32 c_norm,
 *   f32 quant[2 n_features] ({offset, scale} per feature), u32 roots[n_trees],
 *   f32 leafvals[n_leafvals] (path lengths), vg_itree_s16_node_t nodes[n_nodes] (6 bytes),
 *   zero padding to a multiple of 4.
 * Kind 7, random forest (body):
 *   u16 n_trees, u16 n_classes, u32 n_nodes, u16 normal_class, u16 reserved (0),
 *   f32 quant[2 n_features], u32 roots[n_trees], vg_tree_s16_node_t nodes[n_nodes] (8 bytes).
 */
#ifndef VG_TREE_S16_H
#define VG_TREE_S16_H
#include <stddef.h>
#include <stdint.h>
#include "vg_model.h"
#include "vg_status.h"

/** Fixed part of the kind-6 and kind-7 bodies, before the quantization table. */
#define VG_IFOREST_S16_HEAD 12u
#define VG_FOREST_S16_HEAD  12u

/**
 * @brief Quantize one normalised feature: round half away from zero of (x - offset) / scale,
 *        clamped to [-32768, 32767]; NaN gives 32767 so it goes right at every node, as the
 *        float comparison x < t (false for NaN) does.
 * @param[in] x       normalised feature
 * @param[in] offset  finite
 * @param[in] scale   finite, > 0
 */
int16_t vg_quantize_s16(float x, float offset, float scale);

/**
 * @brief Quantize @p n features with the {offset, scale} pairs of @p quant into @p q.
 * Hot path: no checks.
 */
void vg_quantize_features_s16(const float *quant, const float *x, int16_t *q, uint16_t n);

/**
 * @brief Validate a kind-6 body and fill m->u.iforest (m->n_features must be set): the
 *        counts, exact body size and zero padding, every {offset, scale} (finite, scale > 0),
 *        c_norm (finite, > 0), every leaf value (finite, >= 0), every child index (after its
 *        parent, inside its tree, trees < 65536 nodes), every feature index < n_features,
 *        every leaf index < n_leafvals, every leaf's threshold 0.
 * @retval VG_OK, VG_ERR_FORMAT, VG_ERR_UNSUPPORTED (counts above VG_MAX_*)
 */
vg_status_t vg_iforest_s16_parse(vg_model_t *m, const uint8_t *body, uint32_t size);

/**
 * @brief Validate a kind-7 body and fill m->u.forest: as vg_forest_parse() plus the
 *        quantization table and the leaf fields (class < n_classes, threshold 0).
 * @retval VG_OK, VG_ERR_FORMAT, VG_ERR_UNSUPPORTED
 */
vg_status_t vg_forest_s16_parse(vg_model_t *m, const uint8_t *body, uint32_t size);

/** @brief Scratch bytes of a kind-6/7 model: its quantized features (a multiple of 4). */
#define VG_TREE_S16_SCRATCH(n_features) ((((size_t)(n_features)) * 2u + 3u) & ~(size_t)3u)

/**
 * @brief Isolation-forest score 2^(-mean path / c_norm) of a parsed kind-6 model.
 * @param[in]  m  parsed model
 * @param[in]  x  n_features normalised features
 * @param[out] q  n_features quantized features (scratch)
 * Hot path: no checks.
 */
float vg_iforest_s16_score(const vg_model_t *m, const float *x, int16_t *q);

/**
 * @brief Majority vote of a parsed kind-7 model (ties: the lowest label), as
 *        vg_forest_predict().
 * @param[in]  m         parsed model
 * @param[in]  x         n_features normalised features
 * @param[out] q         n_features quantized features (scratch)
 * @param[out] votes     NULL, or n_classes vote counts
 * @param[out] p_anomaly NULL, or the share of trees voting a class other than normal_class
 * @return the winning class. Hot path: no checks.
 */
uint16_t vg_forest_s16_predict(const vg_model_t *m, const float *x, int16_t *q, uint16_t *votes,
                               float *p_anomaly);

/** @brief Leaf node index (relative to @p tree) reached by quantized features @p q. */
uint32_t vg_tree_s16_leaf(const vg_tree_s16_node_t *tree, const int16_t *q);

/** @brief Leaf node index (relative to @p tree) reached in an isolation tree. */
uint32_t vg_itree_s16_leaf(const vg_itree_s16_node_t *tree, const int16_t *q);
#endif
