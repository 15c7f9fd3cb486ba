/* SPDX-License-Identifier: MIT */
/**
 * @file tflite.h
 * @brief Writing autoencoders as TensorFlow Lite flatbuffers (schema version 3,
 *        tensorflow/lite/schema/schema.fbs), so TFLite and TFLite Micro users can run them.
 *
 * The graph is the network only: input [1, d] float32 = the normalised feature vector
 * (the artifact's PIPE normalisation, (x - offset) * scale, applied by the caller), output
 * [1, d] float32 = its reconstruction. FULLY_CONNECTED operators with ReLU or tanh fused;
 * a sigmoid layer is FULLY_CONNECTED followed by LOGISTIC. The score is the root-mean-
 * square of (output - input), as vg_model_score() computes it (docs/tflite.md).
 */
#ifndef VGH_TFLITE_H
#define VGH_TFLITE_H
#include <stddef.h>
#include <stdint.h>

#include "vigil/vigil.h"

/**
 * @brief Build the flatbuffer for an autoencoder model.
 * @param[in]  m      parsed model (kind VG_KIND_AUTOENCODER)
 * @param[in]  desc   the model description string stored in the file (NUL-terminated)
 * @param[out] out    malloc'd bytes (free())
 * @param[out] len    their count
 * @return 0, or -1 with a message in @p err (a model kind TFLite cannot express, no memory)
 */
int vgh_tflite_build(const vg_model_t *m, const char *desc, uint8_t **out, size_t *len, char *err,
                     size_t errlen);

#endif
