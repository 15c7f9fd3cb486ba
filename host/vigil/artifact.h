/* SPDX-License-Identifier: MIT */
/**
 * @file artifact.h
 * @brief Writing model artifacts (docs/model-format.md) and loading them from files with
 *        error messages a person can act on.
 */
#ifndef VGH_ARTIFACT_H
#define VGH_ARTIFACT_H
#include <stddef.h>
#include <stdint.h>

#include "outfile.h" /* vgh_write_file(), which writes artifacts */
#include "vigil/vigil.h"

/** Everything an artifact holds, in host memory. Unused model members may be left zero. */
typedef struct {
    float sample_rate;
    uint16_t n_channels, window, hop, n_features, norm_kind, max_missing_pm;
    vg_feat_desc_t feats[VG_MAX_FEATURES];
    float norm[2 * VG_MAX_FEATURES]; /**< {offset, scale} per feature */
    float threshold;
    uint16_t open_after, close_after;
    uint16_t strict_pm, strict_class; /**< forests: vg_model_t's (0, 0 = none; minor 2) */
    uint16_t kind;                    /**< vg_model_kind_t */
    float zscore_alpha;
    /* autoencoder */
    uint16_t n_layers;
    vg_layer_desc_t layers[VG_MAX_LAYERS];
    const float *params;
    size_t n_params;
    /* isolation forest */
    const vg_itree_node_t *nodes;
    uint32_t n_nodes;
    const uint32_t *roots;
    uint16_t n_trees;
    float c_norm;
    /* random forest classifier (kind 4) */
    const vg_tree_node_t *rf_nodes; /**< rf_n_nodes nodes, all trees in pre-order */
    uint32_t rf_n_nodes;
    const uint32_t *rf_roots; /**< rf_n_trees first-node indices, roots[0] = 0, ascending */
    uint16_t rf_n_trees;
    uint16_t n_classes;    /**< labels 0..n_classes-1 */
    uint16_t normal_class; /**< the label meaning "no anomaly" */
    /* waveform pipeline (WAVE section): PIPE window/hop count cycles, features are
     * {quantity, aggregate} (vg_pq.h) */
    int wave;
    float f_nominal, wave_scale, wave_scale_i;
    uint16_t max_harmonic, n_sos;
    const vg_biquad_t *sos;
    /* quantized kinds (VG_KIND_AE_S8, _IFOREST_S16, _FOREST_S16): the MODL body after the kind
     * header, as built by quantize.c (the layout is validated by vg_model_parse() like every other)
     */
    const uint8_t *body;
    uint32_t body_len;
    /* metadata text, "key=value\n" lines */
    const char *meta;
} vgh_artifact_spec_t;

/**
 * @brief Serialise @p s into a new heap buffer (8-aligned), validated by vg_model_parse().
 * @param[out] out  malloc'd bytes (free())
 * @param[out] len  their count
 * @return 0, or -1 with a message in @p err
 */
int vgh_artifact_build(const vgh_artifact_spec_t *s, uint8_t **out, size_t *len, char *err,
                       size_t errlen);

/**
 * @brief A copy of the parsed artifact @p in with section @p tag set to @p body (replaced
 *        when there is one, else added last), its minor version raised to at least
 *        @p min_minor, the CRC recomputed, and validated by vg_model_parse().
 * @param[out] out malloc'd bytes (free()), @param[out] len their count
 */
int vgh_artifact_set_section(const uint8_t *in, uint32_t tag, const void *body, size_t blen,
                             uint16_t min_minor, uint8_t **out, size_t *len, char *err,
                             size_t errlen);

/** @brief The first section tagged @p tag of a parsed artifact and its size, or NULL. */
const uint8_t *vgh_artifact_section(const vg_model_t *m, uint32_t tag, uint32_t *size);

/** A model loaded from disk: the aligned bytes and the core's parsed view of them. */
typedef struct {
    uint8_t *buf;
    size_t len;
    vg_model_t m;
    char *channels[VG_MAX_CHANNELS]; /**< channel (column) names from META, or "ch0".. */
} vgh_model_file_t;

/**
 * @brief Read and validate a model file. Errors name the file and what is wrong with it
 *        (truncated, corrupt, wrong version, not a Vigil model, ...).
 */
int vgh_model_load(const char *path, vgh_model_file_t *mf, char *err, size_t errlen);
void vgh_model_free(vgh_model_file_t *mf);

/** @brief Value of META key @p key (copied into @p out, NUL-terminated); 0 if found, -1 not. */
int vgh_meta_get(const vg_model_t *m, const char *key, char *out, size_t outlen);

/**
 * @brief Append one "key=value" line (printf-style) to a growing META text.
 * @param[in,out] meta NUL-terminated heap text (NULL to start), reallocated
 * @param[in,out] len  its length
 * @return 0, or -1 when out of memory (the text is unchanged)
 */
int vgh_meta_append(char **meta, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Name of a model kind ("zscore", "autoencoder", "iforest", "forest",
 *         "autoencoder-int8", "iforest-int16", "forest-int16") or "unknown". */
const char *vgh_kind_name(unsigned kind);
/** @brief "a" or "an", whichever goes before vgh_kind_name(@p kind) ("an iforest model"). */
const char *vgh_kind_article(unsigned kind);
#endif
