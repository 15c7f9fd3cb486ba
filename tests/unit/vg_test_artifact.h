/* SPDX-License-Identifier: MIT */
/**
 * @file vg_test_artifact.h
 * @brief Byte-level model-artifact builder for tests.
 *
 * Written from docs/model-format.md alone, independently of core/src/vg_model.c: its own
 * little-endian writer and its own bitwise CRC-32, so a test that builds an artifact here and
 * parses it with the core checks the core against the spec rather than against itself.
 *
 * Usage: vgt_begin() reserves the header and a table of @c n_sections entries; each section is
 * written between vgt_section_begin() and vgt_section_end() (it starts 4-aligned, zero padded);
 * vgt_end() fills the header and the CRC and returns the total size (0 on any error, e.g. the
 * buffer was too small). The vgt_build_*() helpers make a complete artifact of each kind.
 * Nothing here validates values: tests use it to write wrong artifacts on purpose.
 */
#ifndef VG_TEST_ARTIFACT_H
#define VG_TEST_ARTIFACT_H
#include <stddef.h>
#include <stdint.h>

#define VGT_MAGIC       0x414D4756u
#define VGT_HEADER_SIZE 32u
#define VGT_ENTRY_SIZE  16u
#define VGT_TAG(a, b, c, d)                                                                        \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define VGT_PIPE VGT_TAG('P', 'I', 'P', 'E')
#define VGT_DECI VGT_TAG('D', 'E', 'C', 'I')
#define VGT_MODL VGT_TAG('M', 'O', 'D', 'L')
#define VGT_META VGT_TAG('M', 'E', 'T', 'A')
/** Most table entries the writer tracks (more than the format allows, to test refusal). */
#define VGT_MAX_ENTRIES 32u

/** Pipeline, decision and metadata of an artifact (PIPE + DECI + optional META). */
typedef struct {
    float sample_rate;
    uint16_t n_channels, window, hop, n_features, norm_kind, max_missing_pm;
    const uint8_t *feat_channel; /**< n_features channel indices */
    const uint8_t *feat_id;      /**< n_features vg_feature_id_t values */
    const float *norm;           /**< 2 * n_features {offset, scale}; NULL writes {0, 1} */
    float threshold;
    uint16_t open_after, close_after;
    const char *meta; /**< NULL: no META section */
} vgt_pipe_t;

typedef struct {
    uint16_t n_in, n_out;
    uint8_t act;
} vgt_layer_t;

typedef struct {
    float value;
    uint16_t feature, right; /**< feature 0xFFFF = leaf */
} vgt_node_t;

/** Random-forest node as written (12 bytes): feature 0xFFFF = leaf voting for @c cls. */
typedef struct {
    float value;
    uint16_t feature, cls;
    uint32_t right;
} vgt_tnode_t;

/** Random-forest MODL fields (kind 4). */
typedef struct {
    uint16_t n_trees, n_classes, normal_class, reserved;
    uint32_t n_nodes;
    const uint32_t *roots;    /**< n_trees */
    const vgt_tnode_t *nodes; /**< n_nodes */
} vgt_forest_t;

/** One int8 layer of a kind-5 autoencoder, as written (docs/model-format.md). */
typedef struct {
    uint16_t n_in, n_out;
    uint8_t act, lut;
    int8_t pre_zp, out_zp, act_min, act_max;
    float pre_scale, out_scale;
    const int8_t *w;     /**< n_out x n_in */
    const int32_t *bias; /**< n_out */
    const int32_t *mult; /**< n_out */
    const int8_t *shift; /**< n_out */
    const int8_t *table; /**< 256 entries, written when lut is 1 */
} vgt_layer_s8_t;

typedef struct {
    uint8_t *buf;
    size_t cap, len;
    unsigned n_sections, n_done;
    size_t sect_start; /**< offset of the open section, or 0 */
    int err;
} vgt_writer_t;

/** @brief CRC-32 (IEEE, reflected, as zlib), bitwise, independent of the core's. */
uint32_t vgt_crc32(const void *data, size_t len);
/** CRC an artifact carries: bytes [0, 12) then [16, total). */
uint32_t vgt_artifact_crc(const uint8_t *b, size_t total);

void vgt_put16(uint8_t *p, uint16_t v);
void vgt_put32(uint8_t *p, uint32_t v);
void vgt_putf(uint8_t *p, float v);
uint16_t vgt_get16(const uint8_t *p);
uint32_t vgt_get32(const uint8_t *p);
float vgt_getf(const uint8_t *p);

/** @brief Start an artifact of @p n_sections table entries (header and table zeroed). */
void vgt_begin(vgt_writer_t *w, uint8_t *buf, size_t cap, unsigned n_sections);
/** @brief Open the next table entry: pad to 4, record tag and offset. */
void vgt_section_begin(vgt_writer_t *w, uint32_t tag);
/** @brief Close the open section: record its size. */
void vgt_section_end(vgt_writer_t *w);
void vgt_w8(vgt_writer_t *w, uint8_t v);
void vgt_w16(vgt_writer_t *w, uint16_t v);
void vgt_w32(vgt_writer_t *w, uint32_t v);
void vgt_wf(vgt_writer_t *w, float v);
void vgt_wbytes(vgt_writer_t *w, const void *p, size_t n);
/** @brief Write the header (magic, 1.0, total, section count) and the CRC; total or 0. */
size_t vgt_end(vgt_writer_t *w);

/** Section bodies (each opens and closes its own section). */
void vgt_put_pipe(vgt_writer_t *w, const vgt_pipe_t *p);
void vgt_put_deci(vgt_writer_t *w, const vgt_pipe_t *p);
void vgt_put_meta(vgt_writer_t *w, const char *text);
void vgt_put_modl_zscore(vgt_writer_t *w, float alpha);
/** @p params: per layer W[n_out][n_in] row-major then b[n_out] (vgt_ae_param_count()). */
void vgt_put_modl_ae(vgt_writer_t *w, uint16_t n_layers, const vgt_layer_t *layers,
                     const float *params);
void vgt_put_modl_iforest(vgt_writer_t *w, uint16_t n_trees, const uint32_t *roots,
                          uint32_t n_nodes, const vgt_node_t *nodes, float c_norm);
void vgt_put_modl_forest(vgt_writer_t *w, const vgt_forest_t *f);
uint32_t vgt_ae_param_count(uint16_t n_layers, const vgt_layer_t *layers);
/** MODL kind 5: head, descriptors, then each layer's arrays, each padded to 4. */
void vgt_put_modl_ae_s8(vgt_writer_t *w, uint16_t n_layers, float in_scale, int32_t in_zp,
                        const vgt_layer_s8_t *layers);

/** Complete artifacts: sections PIPE, DECI, MODL, then META when p->meta. Total or 0. */
size_t vgt_build_zscore(uint8_t *buf, size_t cap, const vgt_pipe_t *p, float alpha);
size_t vgt_build_ae(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_layers,
                    const vgt_layer_t *layers, const float *params);
size_t vgt_build_ae_s8(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_layers,
                       float in_scale, int32_t in_zp, const vgt_layer_s8_t *layers);
size_t vgt_build_iforest(uint8_t *buf, size_t cap, const vgt_pipe_t *p, uint16_t n_trees,
                         const uint32_t *roots, uint32_t n_nodes, const vgt_node_t *nodes,
                         float c_norm);
size_t vgt_build_forest(uint8_t *buf, size_t cap, const vgt_pipe_t *p, const vgt_forest_t *f);

/** @brief Recompute the CRC field after editing bytes (total from the header, clamped). */
void vgt_fix_crc(uint8_t *buf, size_t len);
/**
 * @brief Find the first table entry with @p tag.
 * @return its index (and *off, *size of the section), or -1.
 */
int vgt_find_section(const uint8_t *buf, size_t len, uint32_t tag, uint32_t *off, uint32_t *size);
#endif
