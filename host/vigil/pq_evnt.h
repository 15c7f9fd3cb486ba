/* SPDX-License-Identifier: MIT */
/**
 * @file pq_evnt.h
 * @brief The event classifier of a power-quality stream model: the artifact's optional EVNT
 *        section (docs/model-format.md), read and written on the host. Cores and devices
 *        skip it like any section they do not know.
 */
#ifndef VGH_PQ_EVNT_H
#define VGH_PQ_EVNT_H
#include <stddef.h>
#include <stdint.h>

#include "pq_evfit.h"
#include "vigil/vigil.h"

/** Section of an artifact holding the event classifier (docs/model-format.md): host only,
 *  cores and devices skip it like any unknown section. */
#define VGH_SECT_EVNT VG_TAG('E', 'V', 'N', 'T')
/** Layout version of the EVNT section's event features (vgh_pq_event_features()) that
 *  `vigil train --kind events` writes: 2 appends the event fit's features (pq_evfit.h) to
 *  layout 1's. Models with layout 1 are still read and run. */
#define VGH_PQ_EVNT_LAYOUT 2u
/** Most event features: votes and peaks per class, 6 event quantities, the largest and
 *  smallest value of every window feature over the event, the event fit's. */
#define VGH_PQ_EV_MAX_FEATURES                                                                     \
    (2u * VG_MAX_CLASSES + 6u + 2u * VG_MAX_FEATURES + VGH_PQ_FIT_FEATURES)

/** Section of a snippet model holding the segment classifier (docs/model-format.md,
 *  `vigil train --kind segments`): host only, like EVNT. */
#define VGH_SECT_SEGC VG_TAG('S', 'E', 'G', 'C')
/** Layout of the SEGC section's segment features (vgh_pq_segment_n_features()) that `vigil
 *  train --kind segments` writes: the last window's normalised features, then the fit of the
 *  segment's samples (VGH_PQ_FIT_SEGMENT | VGH_PQ_FIT_OSC): its first VGH_PQ_FIT_FEATURES_S1 in
 *  layout 1, VGH_PQ_FIT_FEATURES_S2 (the impulse search too) in layout 2,
 *  VGH_PQ_FIT_FEATURES_S3 in layout 3 (the gated h3/h5 test and the least-squares gate's, with
 *  VGH_PQ_FIT_LSGATE), all VGH_PQ_FIT_FEATURES in layout 4 (those tests refitted with the
 *  burst). The first features of the fit are the same in every layout, so models of older
 *  layouts are still read and run unchanged. */
#define VGH_PQ_SEGC_LAYOUT 4u

/** The event classifier of an artifact (or its segment classifier): a random forest over
 *  event (segment) features, parsed in place from the EVNT (SEGC) section by the core's forest
 *  reader. */
typedef struct {
    int present;
    uint16_t layout;     /**< 1 .. VGH_PQ_EVNT_LAYOUT (1 .. VGH_PQ_SEGC_LAYOUT) */
    uint16_t n_features; /**< vgh_pq_event_n_features() of the model for that layout */
    vg_model_t forest;   /**< only n_features and u.forest are set */
} vgh_pq_evmodel_t;

/** @brief Event features of a multi-class waveform forest @p m in layout @p layout (1 or 2;
 *         0 for other models). */
uint16_t vgh_pq_event_n_features(const vg_model_t *m, unsigned layout);

/**
 * @brief Find and check the EVNT section of a parsed artifact.
 * @return 0 (em->present says whether there is one), or -1 with the reason in @p err when
 *         the section is malformed or does not fit the model.
 */
int vgh_pq_evmodel_parse(const vg_model_t *m, vgh_pq_evmodel_t *em, char *err, size_t errlen);

/** @brief Segment features of a waveform forest @p m with two classes or more in SEGC layout
 *         @p layout (1 or 2; 0 for other models): its window features and the fit's. */
uint16_t vgh_pq_segment_n_features(const vg_model_t *m, unsigned layout);

/**
 * @brief Find and check the SEGC section of a parsed artifact, as vgh_pq_evmodel_parse().
 */
int vgh_pq_segmodel_parse(const vg_model_t *m, vgh_pq_evmodel_t *em, char *err, size_t errlen);

/**
 * @brief The EVNT (or SEGC) section body for a trained forest (malloc'd, *len bytes), with
 *        feature layout @p layout.
 */
int vgh_pq_evmodel_body(uint16_t layout, uint16_t n_features, const vg_tree_node_t *nodes,
                        uint32_t n_nodes, const uint32_t *roots, uint16_t n_trees,
                        uint16_t n_classes, uint16_t normal_class, uint8_t **out, size_t *len);

#endif
