/* SPDX-License-Identifier: MIT */
#include "rng.h"

#include <math.h>

static uint64_t rng__splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rng__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void vgh_rng_seed(vgh_rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = rng__splitmix(&x);
    r->spare = 0.0;
    r->has_spare = 0;
}

uint64_t vgh_rng_u64(vgh_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng__rotl(s[1] * 5u, 7) * 9u;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng__rotl(s[3], 45);
    return result;
}

double vgh_rng_uniform(vgh_rng_t *r)
{
    /* 53 random bits scaled into [0, 1) */
    return (double)(vgh_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t vgh_rng_below(vgh_rng_t *r, uint64_t n)
{
    /* Rejection: discard the top partial block so every residue is equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = vgh_rng_u64(r);
    } while (v >= limit);
    return v % n;
}

double vgh_rng_normal(vgh_rng_t *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u, v, s;
    do {
        u = 2.0 * vgh_rng_uniform(r) - 1.0;
        v = 2.0 * vgh_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->spare = v * f;
    r->has_spare = 1;
    return u * f;
}
