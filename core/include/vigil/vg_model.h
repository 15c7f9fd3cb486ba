/* SPDX-License-Identifier: MIT */
/**
 * @file vg_model.h
 * @brief The model artifact: one little-endian, checksummed file that holds the whole
 *        pipeline, parsed and validated in place (weights are used from the buffer, no copy).
 *
 * The byte layout is specified in docs/model-format.md; the constants below are that spec.
 */
#ifndef VG_MODEL_H
#define VG_MODEL_H
#include <stddef.h>
#include <stdint.h>
#include "vg_opts.h"
#include "vg_status.h"

#define VG_MODEL_MAGIC              0x414D4756u /**< "VGMA" read as little-endian u32 */
#define VG_MODEL_VERSION_MAJOR      1u
#define VG_MODEL_VERSION_MINOR      0u
#define VG_MODEL_HEADER_SIZE        32u
#define VG_MODEL_SECTION_ENTRY_SIZE 16u
#define VG_MODEL_MAX_SECTIONS       16u
#define VG_MODEL_CRC_OFFSET         12u /**< CRC-32 covers bytes [0, 12) then [16, total_size) */
#define VG_MODEL_BODY_OFFSET        16u

/** Section tags: four ASCII characters read as little-endian u32. */
#define VG_TAG(a, b, c, d)                                                                         \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define VG_SECT_PIPE VG_TAG('P', 'I', 'P', 'E')
#define VG_SECT_DECI VG_TAG('D', 'E', 'C', 'I')
#define VG_SECT_MODL VG_TAG('M', 'O', 'D', 'L')
#define VG_SECT_META VG_TAG('M', 'E', 'T', 'A')
#define VG_SECT_WAVE VG_TAG('W', 'A', 'V', 'E')

/** Fixed part of the WAVE section (waveform pipelines), before the band-pass sections. */
#define VG_WAVE_FIXED_SIZE 16u
/** Per-cycle quantities and aggregates a WAVE pipeline's features may name (vg_pq.h). */
#define VG_WAVE_QTY_COUNT         28u
#define VG_WAVE_AGG_COUNT         15u
#define VG_WAVE_QTY_FIRST_CURRENT 16u
#define VG_WAVE_QTY_LAST_CURRENT  20u

/** Fixed part of the PIPE section, in bytes, before the feature table. */
#define VG_PIPE_FIXED_SIZE 16u
/** Fixed part of the MODL section, before the kind-specific body. */
#define VG_MODL_FIXED_SIZE 4u
#define VG_DECI_SIZE       12u

/** Model kinds (MODL.kind); never renumbered. */
typedef enum {
    VG_KIND_ZSCORE = 1,      /**< statistical baseline: max |z| over features */
    VG_KIND_AUTOENCODER = 2, /**< dense autoencoder: root-mean-square reconstruction error */
    VG_KIND_IFOREST = 3,     /**< isolation forest: 2^(-E[h]/c(psi)) */
    VG_KIND_FOREST = 4,      /**< random forest classifier: share of trees not voting normal */
    VG_KIND_AE_S8 = 5,       /**< autoencoder with int8 weights and activations (vg_ae_s8.h) */
    VG_KIND_IFOREST_S16 = 6, /**< isolation forest with int16 thresholds (vg_tree_s16.h) */
    VG_KIND_FOREST_S16 = 7   /**< random forest with int16 thresholds (vg_tree_s16.h) */
} vg_model_kind_t;

/** @brief The float kind a quantized kind approximates (VG_KIND_AE_S8 -> VG_KIND_AUTOENCODER,
 *         VG_KIND_IFOREST_S16 -> VG_KIND_IFOREST, VG_KIND_FOREST_S16 -> VG_KIND_FOREST);
 *         other kinds map to themselves. */
static inline uint16_t vg_model_base_kind(uint16_t kind)
{
    return kind == VG_KIND_AE_S8         ? (uint16_t)VG_KIND_AUTOENCODER
           : kind == VG_KIND_IFOREST_S16 ? (uint16_t)VG_KIND_IFOREST
           : kind == VG_KIND_FOREST_S16  ? (uint16_t)VG_KIND_FOREST
                                         : kind;
}

/** Normalisation kinds (PIPE.norm_kind). Both are stored as (x - offset) * scale. */
typedef enum { VG_NORM_NONE = 0, VG_NORM_ZSCORE = 1, VG_NORM_MINMAX = 2 } vg_norm_kind_t;

/** Activations of dense layers; never renumbered. */
typedef enum { VG_ACT_LINEAR = 0, VG_ACT_RELU = 1, VG_ACT_SIGMOID = 2, VG_ACT_TANH = 3 } vg_act_t;

/** One feature of the pipeline: which channel, which vg_feature_id_t. 4 bytes in the file. */
typedef struct {
    uint8_t channel;
    uint8_t feature;
    uint16_t reserved;
} vg_feat_desc_t;

/** One dense layer's shape in the file (8 bytes). Weights W[out][in] then b[out] follow. */
typedef struct {
    uint16_t n_in;
    uint16_t n_out;
    uint8_t act;
    uint8_t reserved[3];
} vg_layer_desc_t;

/**
 * One int8 dense layer's descriptor in the file (20 bytes, docs/model-format.md kind 5).
 * The layer requantizes its int32 accumulator to (pre_scale, pre_zp), clamps to
 * [act_min, act_max] (a fused ReLU), and when @c lut is 1 (sigmoid and tanh) maps the
 * result through a 256-entry table to (out_scale, out_zp). Without a table the pre and out
 * quantizations are the same. The next layer's input zero point is this layer's out_zp.
 */
typedef struct {
    uint16_t n_in;
    uint16_t n_out;
    uint8_t act;       /**< vg_act_t */
    uint8_t lut;       /**< 1: a 256-entry int8 activation table follows the layer's arrays */
    int8_t pre_zp;     /**< zero point of the requantized accumulator */
    int8_t out_zp;     /**< zero point of the layer's output */
    int8_t act_min;    /**< clamp of the requantized accumulator */
    int8_t act_max;    /**< act_min <= act_max */
    uint16_t reserved; /**< 0 */
    float pre_scale;   /**< scale of the requantized accumulator (finite, > 0) */
    float out_scale;   /**< scale of the layer's output (finite, > 0) */
} vg_layer_s8_t;

/**
 * Isolation-tree node, 8 bytes, trees stored in pre-order so the left child of node i is
 * i + 1. Internal node: go left when x[feature] < value, else to node @c right (index
 * relative to the tree's first node, always > i). Leaf: feature == VG_ITREE_LEAF and
 * value is the path length credited at that leaf (depth + c(size)).
 */
typedef struct {
    float value;
    uint16_t feature;
    uint16_t right;
} vg_itree_node_t;
#define VG_ITREE_LEAF 0xFFFFu

/**
 * Decision-tree node of a random forest, 12 bytes, trees in pre-order (left child of node i is
 * i + 1). Internal node: go left when x[feature] < value, else to node @c right (relative to
 * the tree's first node, always > i). Leaf: feature == VG_TREE_LEAF, @c cls is the class the
 * leaf votes for and @c value the share of its training samples of that class.
 */
typedef struct {
    float value;
    uint16_t feature;
    uint16_t cls;
    uint32_t right;
} vg_tree_node_t;
#define VG_TREE_LEAF 0xFFFFu

/**
 * Isolation-tree node with an int16 threshold (kind 6), 6 bytes, pre-order as above.
 * Internal node: go left when q[feature] < threshold (q: the quantized features), else to
 * node @c next (relative to the tree's first node, > i). Leaf: feature == VG_ITREE_LEAF,
 * @c next indexes the model's leaf-value table (path lengths), threshold is 0.
 */
typedef struct {
    int16_t threshold;
    uint16_t feature;
    uint16_t next;
} vg_itree_s16_node_t;

/**
 * Decision-tree node with an int16 threshold (kind 7), 8 bytes, pre-order as above.
 * Internal node: go left when q[feature] < threshold, else to node @c next (relative to the
 * tree's first node, > i). Leaf: feature == VG_TREE_LEAF, @c next is the class it votes for,
 * threshold is 0. (The float node's leaf share, informative only, is dropped.)
 */
typedef struct {
    int16_t threshold;
    uint16_t feature;
    uint32_t next;
} vg_tree_s16_node_t;

/** Most classes a forest may vote for (class labels are 0..n_classes-1). */
#ifndef VG_MAX_CLASSES
#define VG_MAX_CLASSES 64
#endif

/** Parsed view of an artifact. Every pointer points into the caller's buffer. */
typedef struct {
    const uint8_t *buf;
    uint32_t size;
    uint16_t version_minor;
    /* PIPE */
    float sample_rate;
    uint16_t n_channels, window, hop, n_features;
    uint16_t norm_kind;
    uint16_t max_missing_pm;     /**< a window with more than this many per mille missing samples
                                      is reported as a dropout */
    const vg_feat_desc_t *feats; /**< n_features entries */
    const float *norm;           /**< n_features pairs {offset, scale} */
    /* DECI */
    float threshold;
    uint16_t open_after, close_after;
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
    uint16_t strict_pm;    /**< forests (minor 2): 0, or a window whose most-voted disturbance is
                                strict_class is over only when more than strict_pm per mille of
                                the trees vote disturbed (and more than the threshold) */
    uint16_t strict_class; /**< 0 when strict_pm is 0 */
#endif
    /* MODL */
    uint16_t kind;
    union {
        /* Only the kinds this build runs (vg_opts.h): the view is RAM on a device. */
#if VG_ENABLE_ZSCORE
        struct {
            float alpha; /**< EWMA rate of the running baseline; 0 keeps training stats */
        } zscore;
#endif
#if VG_ENABLE_AE_F32
        struct {
            uint16_t n_layers;
            uint16_t max_units; /**< widest layer, for scratch sizing */
            const vg_layer_desc_t *layers;
            const float *params; /**< all layers' W then b, in layer order */
        } ae;
#endif
#if VG_ENABLE_AE_S8
        struct {
            uint16_t n_layers;
            uint16_t max_units; /**< widest layer (inputs included), for scratch sizing */
            float in_scale;     /**< quantization of the normalised features */
            int32_t in_zp;      /**< -128..127 */
            const vg_layer_s8_t *layers;
            const uint8_t *data; /**< first layer's arrays (see vg_ae_s8_arrays()) */
        } ae8;
#endif
#if VG_ENABLE_IFOREST || VG_ENABLE_TREES_S16
        /* kinds 3 and 6 (6: nodes is NULL, the int16 fields are set) */
        struct {
            uint16_t n_trees;
            uint32_t n_nodes;
            float c_norm;          /**< c(psi): average path length of the subsample size */
            const uint32_t *roots; /**< n_trees first-node indices, ascending, roots[0] == 0 */
            const vg_itree_node_t *nodes;
#if VG_ENABLE_TREES_S16
            const float *quant; /**< kind 6: n_features {offset, scale} */
            const float *leafvals;
            const vg_itree_s16_node_t *qnodes;
#endif
        } iforest;
#endif
#if VG_ENABLE_FOREST || VG_ENABLE_TREES_S16
        /* kinds 4 and 7 (7: nodes is NULL, the int16 fields are set) */
        struct {
            uint16_t n_trees;
            uint16_t n_classes;    /**< labels 0..n_classes-1 */
            uint16_t normal_class; /**< the label meaning "no anomaly" */
            uint32_t n_nodes;
            const uint32_t *roots; /**< n_trees first-node indices, ascending, roots[0] == 0 */
            const vg_tree_node_t *nodes;
#if VG_ENABLE_TREES_S16
            const float *quant; /**< kind 7: n_features {offset, scale} */
            const vg_tree_s16_node_t *qnodes;
#endif
        } forest;
#endif
    } u;
    /* WAVE (optional): present for power-quality waveform pipelines. Then PIPE's window and
     * hop count cycles and each feature is {u8 quantity, u8 aggregate} (vg_pq.h). */
    struct {
        uint8_t present; /**< always 0 in a build without VG_ENABLE_WAVEFORM */
#if VG_ENABLE_WAVEFORM
        uint16_t max_harmonic, n_sos;
        float f_nominal, scale, scale_i;
        const float *sos; /**< n_sos x {b0, b1, b2, a1, a2}: the fundamental band-pass */
#endif
    } wave;
    /* META (optional; UTF-8 "key=value\n" lines, not NUL-terminated) */
    const char *meta;
    uint32_t meta_len;
} vg_model_t;

/** @brief CRC-32 an artifact must carry at VG_MODEL_CRC_OFFSET: bytes [0, 12) then
 *         [16, total). @p b holds at least @p total >= 16 bytes. */
uint32_t vg_model_crc(const uint8_t *b, uint32_t total);

/**
 * @brief Parse and fully validate an artifact in place.
 *
 * Checks magic, version, total size against @p len, the CRC-32 of the body, every section
 * offset/size against the buffer, every count against the VG_MAX_* limits, layer shape
 * chaining, and every tree node's child index and feature index. After VG_OK, inference
 * from @p m never reads outside the buffer.
 *
 * @param[out] m   parsed view (pointers into @p buf; keep @p buf alive and unchanged); after
 *                 an error its contents are unspecified
 * @param[in]  buf artifact bytes, 4-byte aligned
 * @param[in]  len bytes available in @p buf (may exceed the artifact's total size)
 * @retval VG_OK, VG_ERR_ARG, VG_ERR_ALIGN, VG_ERR_FORMAT, VG_ERR_VERSION, VG_ERR_CRC,
 *         VG_ERR_UNSUPPORTED (a model kind or limit this build lacks)
 */
vg_status_t vg_model_parse(vg_model_t *m, const void *buf, size_t len);

/** @brief Number of trainable parameters (weights, biases, tree nodes, baseline stats). */
uint32_t vg_model_param_count(const vg_model_t *m);

/** @brief Bytes of scratch vg_model_score() needs for this model (a multiple of 4). */
size_t vg_model_scratch_size(const vg_model_t *m);

/**
 * @brief Anomaly score of one normalised feature vector (stateless models: the zscore
 *        baseline scores against its training statistics, i.e. the normalisation).
 * @param[in]  m        parsed model
 * @param[in]  x        n_features normalised features
 * @param[out] raw      unscaled score (>= 0; larger is more anomalous)
 * @param[out] contrib  NULL, or n_features per-feature contributions to the score
 * @param[out] recon    NULL, or n_features reconstruction (autoencoder only; else copies x)
 * @param[in]  scratch  vg_model_scratch_size() bytes, 4-aligned
 * Hot path: arguments are assumed valid (the model was parsed).
 */
void vg_model_score(const vg_model_t *m, const float *x, float *raw, float *contrib, float *recon,
                    float *scratch);

/** @brief The model kind's name as docs/protocol.md and `vigil info` spell it ("unknown" for
 *         a number this build does not know). */
const char *vg_model_kind_name(unsigned kind);

#endif
