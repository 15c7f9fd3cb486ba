/* SPDX-License-Identifier: MIT */
/**
 * @file train_ae.h
 * @brief Host-side trainer for the dense autoencoder model (mini-batch Adam on MSE).
 *
 * The trained network is stored in exactly the layout the device reads from the MODL
 * section: for each layer in order, W[n_out][n_in] row-major, then b[n_out].
 * Float32 throughout; the training forward pass performs the same float operations in the
 * same order as vgh_net_forward(), so the trained net scores identically on host and device
 * (given the device uses the same plain loop without FMA contraction).
 *
 * Thread safety: no shared state; distinct calls on distinct objects may run concurrently.
 */
#ifndef VGH_TRAIN_AE_H
#define VGH_TRAIN_AE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil/vg_model.h"

/** A dense network as the device reads it. Free with vgh_net_free(). */
typedef struct {
    uint16_t n_layers;                     /**< 1..VG_MAX_LAYERS */
    vg_layer_desc_t layers[VG_MAX_LAYERS]; /**< n_in, n_out, act (vg_act_t) */
    float *params;   /**< heap: per layer W[n_out][n_in] row-major, then b[n_out] */
    size_t n_params; /**< floats in @c params */
} vgh_net_t;

/** Autoencoder training settings. Start from vgh_ae_defaults(). */
typedef struct {
    const unsigned *hidden; /**< hidden layer widths, e.g. {8,3,8}; each 1..VG_MAX_UNITS */
    size_t n_hidden;        /**< entries in @c hidden; 0..VG_MAX_LAYERS-1 (0: one linear layer) */
    unsigned act_hidden;    /**< vg_act_t of hidden layers (default VG_ACT_RELU); output linear */
    unsigned epochs;        /**< passes over the data (default 200); 0 returns the initial net */
    unsigned batch;         /**< mini-batch size (default 32), clipped to n */
    float lr;               /**< Adam step size (default 1e-3); beta1 .9, beta2 .999, eps 1e-8 */
    float l2;               /**< L2 penalty on weights (not biases): adds l2*W to the gradient */
    uint64_t seed;          /**< seeds init and per-epoch shuffles */
    FILE *progress;         /**< NULL = silent; else a '\r'-redrawn progress line */
    /**
     * Early stop (default 0 = off, train exactly @c epochs epochs). When > 0, training stops
     * after @c patience consecutive epochs in which the mean training loss did not fall
     * below (1 - 1e-4) times the best epoch loss seen so far.
     */
    unsigned patience;
} vgh_ae_cfg_t;

/** @brief Fill @p cfg with the defaults above (hidden = NULL, n_hidden = 0, seed = 0). */
void vgh_ae_defaults(vgh_ae_cfg_t *cfg);

/**
 * @brief Train a d -> hidden... -> d autoencoder on @p X with mini-batch Adam on the mean
 *        squared reconstruction error.
 *
 * Weights: Glorot-uniform, bound sqrt(6/(n_in+n_out)) (sqrt(2/(n_in+n_out)) for sigmoid
 * layers, as scikit-learn's MLP), drawn in parameter order; biases 0. Rows are reshuffled
 * every epoch (Fisher-Yates). Everything random comes from one vgh_rng_t seeded with
 * cfg->seed, so a seed gives the same bytes on a given build. The loss minimised per batch
 * is the mean over rows and features of (y - x)^2; Adam's bias correction is folded into
 * the step size as in scikit-learn.
 *
 * @param[in]  X      n rows x d features, row-major, already normalised; all finite
 * @param[in]  n      rows, >= 1
 * @param[in]  d      features, 1..VG_MAX_UNITS
 * @param[in]  cfg    settings (see vgh_ae_cfg_t)
 * @param[out] net    trained network (zeroed first; free with vgh_net_free(), even on error)
 * @param[out] err    NULL or a buffer for a NUL-terminated message on error
 * @param[in]  errlen bytes in @p err
 * @retval 0  ok
 * @retval -1 bad argument (NULL, n == 0, d out of range, non-finite X[row][col], hidden width
 *            out of range, too many layers, bad activation, batch 0, lr <= 0, l2 < 0) or
 *            out of memory; @p err says which
 */
int vgh_ae_train(const float *X, size_t n, size_t d, const vgh_ae_cfg_t *cfg, vgh_net_t *net,
                 char *err, size_t errlen);

/**
 * @brief Forward pass of one row: per layer acc = b[o]; acc += W[o][i]*in[i] for i in order;
 *        out[o] = act(acc). Float32, no FMA contraction (build with -std=c11).
 * @param[in]  net     a valid network (not checked: hot path)
 * @param[in]  x       layers[0].n_in inputs
 * @param[out] y       layers[n_layers-1].n_out outputs; must not alias @p x
 * @param[out] scratch 2 * VG_MAX_UNITS floats
 */
void vgh_net_forward(const vgh_net_t *net, const float *x, float *y, float *scratch);

/**
 * @brief Mean over the d = layers[0].n_in features of (forward(x) - x)^2.
 * @param[in]  net     a valid autoencoder (output width == input width)
 * @param[in]  x       d inputs
 * @param[out] scratch 2 * VG_MAX_UNITS floats, as for vgh_net_forward()
 * @return the reconstruction error (>= 0)
 */
float vgh_ae_error(const vgh_net_t *net, const float *x, float *scratch);

/** @brief Release @p net->params and zero @p net. NULL-safe; safe on a zeroed net. */
void vgh_net_free(vgh_net_t *net);

#endif
