/* SPDX-License-Identifier: MIT */
/**
 * @file cmd_quantize.h
 * @brief Parts of `vigil quantize` shared by its autoencoder (cmd_quantize.c) and tree
 *        ensemble (cmd_quantize_tree.c) paths.
 */
#ifndef VGH_CMD_QUANTIZE_H
#define VGH_CMD_QUANTIZE_H
#include <stddef.h>
#include <stdint.h>

#include "artifact.h"
#include "dataset.h"

/** @brief Refuse a calibration file with a missing or non-finite cell, naming it. */
int vgh_q_check_complete(const char *path, char *const *names, size_t n_names, char *err,
                         size_t errlen);

/** @brief Refuse @p ds (its rate set as vgh_dataset_load() sets it) when it has a time column
 *         and its rate is more than 5 % off the model's, naming @p path. */
int vgh_q_check_rate(const char *path, const vg_model_t *m, const vgh_dataset_t *ds, char *err,
                     size_t errlen);

/** @brief Load a data file for the model (its channels; its rate checked within 5 %). */
int vgh_q_load_data(const char *path, const vgh_model_file_t *mf, vgh_dataset_t *ds, char *err,
                    size_t errlen);

/** @brief Bytes of the MODL section of a parsed artifact. */
uint32_t vgh_q_modl_bytes(const vg_model_t *m);

/** Float vs quantized on one recording, through the core detector. */
typedef struct {
    size_t windows, differ, over_differ;
    double f1_float, f1_q, mean_abs_diff;
    int has_f1;
} vgh_q_agreement_t;

/** @brief Run both models over @p ds and compare their anomaly flags (and F1 when labelled). */
int vgh_q_measure(const vg_model_t *mf, const vg_model_t *mq, const vgh_dataset_t *ds,
                  vgh_q_agreement_t *a, char *err, size_t errlen);

/** @brief Print the agreement, score and F1 lines of @p a (@p qname: "int8" or "int16"). */
void vgh_q_print_agreement(const vgh_q_agreement_t *a, const char *on_name, const char *qname,
                           float threshold);

/**
 * @brief `vigil quantize` for an isolation forest or random forest (kind 3 or 4): writes the
 *        int16 model (kind 6 or 7) and prints the agreement. @return a VGH_EXIT_* code
 */
int vgh_quantize_tree_cmd(const vgh_model_file_t *mf, const char *model, const char *out,
                          const char *calib, const char *eval, double margin, int quiet);
#endif
