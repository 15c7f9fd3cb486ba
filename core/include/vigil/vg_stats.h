/* SPDX-License-Identifier: MIT */
/** @file vg_stats.h @brief Running statistics: Welford mean/variance and EWMA. */
#ifndef VG_STATS_H
#define VG_STATS_H
#include <stdint.h>

/** Welford accumulator (numerically stable single pass). */
typedef struct {
    uint32_t n;
    double mean, m2;
} vg_welford_t;

void vg_welford_init(vg_welford_t *w);
/** @brief Add a finite sample (NaN/inf are ignored by contract: the caller filters). */
void vg_welford_add(vg_welford_t *w, double x);
/** @brief Population variance (0 when fewer than 2 samples). */
double vg_welford_var(const vg_welford_t *w);

/** Exponentially weighted mean and variance; alpha in (0,1]. */
typedef struct {
    float alpha, mean, var;
    uint8_t primed;
} vg_ewma_t;

void vg_ewma_init(vg_ewma_t *e, float alpha);
/** @brief Set the starting mean and variance (e.g. from training). */
void vg_ewma_seed(vg_ewma_t *e, float mean, float var);
void vg_ewma_add(vg_ewma_t *e, float x);

#endif
