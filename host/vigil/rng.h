/* SPDX-License-Identifier: MIT */
/**
 * @file rng.h
 * @brief Deterministic pseudo-random numbers for simulators and trainers: xoshiro256**
 *        seeded through splitmix64. The same seed gives the same stream on every machine.
 */
#ifndef VGH_RNG_H
#define VGH_RNG_H
#include <stdint.h>

typedef struct {
    uint64_t s[4];
    double spare; /* second normal deviate of the polar method */
    int has_spare;
} vgh_rng_t;

/** @brief Seed the generator (any 64-bit value, 0 included). */
void vgh_rng_seed(vgh_rng_t *r, uint64_t seed);
/** @brief Next raw 64-bit value. */
uint64_t vgh_rng_u64(vgh_rng_t *r);
/** @brief Uniform double in [0, 1). */
double vgh_rng_uniform(vgh_rng_t *r);
/** @brief Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t vgh_rng_below(vgh_rng_t *r, uint64_t n);
/** @brief Standard normal deviate (Marsaglia polar method). */
double vgh_rng_normal(vgh_rng_t *r);
#endif
