/* SPDX-License-Identifier: MIT */
/**
 * @file fuzz_evfit.c
 * @brief libFuzzer target for the power-quality fit (host/vigil/pq_evfit.c): the least-squares
 *        model of an event's or a snippet's own samples, which `vigil train --kind
 *        events|segments`, `vigil detect` and `vigil eval` run on samples read from outside
 *        files. Its contract is finite features for any samples, so the target checks that
 *        every feature is finite, besides what ASan and UBSan check.
 *
 * Input: an 8-byte header, then one byte per sample.
 *   - byte 0: flags (bit 0 VGH_PQ_FIT_SEGMENT, bit 1 VGH_PQ_FIT_OSC, bit 2 VGH_PQ_FIT_LSGATE);
 *     bit 3: 60 Hz instead of 50;
 *   - byte 1: the sampling rate, one of eight (8 to 320 samples per cycle, one not a whole
 *     number of samples per cycle);
 *   - byte 2: when its low two bits are 3, a sample byte 0xF0-0xFF is an extreme instead
 *     (0, +-1e12, NaN, inf, the largest float, -2, a subnormal-sized value);
 *   - byte 3: the size of the perturbation each sample byte adds to the waveform (0-4 pu);
 *   - byte 4: the gate's start as a fraction of the span (low 5 bits), and how many times the
 *     body repeats (high 3 bits: 1-8); byte 5: the gate's end; byte 6: the fundamental inside
 *     the gate (0-2 pu); byte 7: a 3rd harmonic inside it (0-0.25 pu).
 * The waveform is a 1 pu sine with that gate, plus the perturbations; the span is the body's
 * length times the repeats, at most 24 cycles, after a lead-in of 2 clean cycles.
 *
 * Fuzz: `make fuzz` (tools/fuzz.sh). Replay without libFuzzer (CI): fuzz_replay.evfit.
 */
#include "pq_evfit.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double fuzz__rates[8] = {400.0,  1000.0, 3200.0,  4000.0,
                                      6400.0, 8000.0, 16000.0, 3001.0};

/** @brief libFuzzer entry point: must never crash, read out of bounds or give a non-finite
 *         feature. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    const unsigned flags = data[0] & 7u;
    const double f0 = (data[0] & 8u) ? 60.0 : 50.0;
    const double fs = fuzz__rates[data[1] & 7u];
    const unsigned mode = data[2] & 3u;
    const double pert = (double)data[3] / 64.0;
    const uint8_t *body = data + 8;
    const size_t nbody = size - 8;
    vgh_pq_ring_t r;
    if (vgh_pq_ring_init(&r, fs, f0, 1.0f) != 0)
        return 0;
    /* up to 24 cycles, so a span fits in the ring and the searches stay fast */
    size_t n = nbody * (1u + (data[4] >> 5));
    const size_t max_n = (size_t)r.frame * 24u;
    if (n > max_n)
        n = max_n;
    const double g0 = (double)(data[4] & 31u) / 31.0, g1 = (double)data[5] / 255.0;
    const double depth = (double)data[6] / 128.0, h3 = (double)data[7] / 1024.0;
    static const float extremes[8] = {0.0f,     1.0e12f, -1.0e12f, NAN,
                                      INFINITY, 3.4e38f, -2.0f,    1.0e-38f};
    /* a lead-in of two cycles that the span leaves out, as an event's ring holds */
    for (uint32_t i = 0; i < 2u * r.frame; i++)
        vgh_pq_ring_push(&r, (float)sin(6.283185307179586 * f0 * (double)i / fs));
    const uint64_t first = r.n;
    for (size_t i = 0; i < n; i++) {
        const double t = (double)(first + i) / fs, u = (double)i / (double)n;
        const int in = u >= g0 && u < g1;
        double v = (in ? depth : 1.0) * sin(6.283185307179586 * f0 * t);
        if (in)
            v += h3 * sin(3.0 * 6.283185307179586 * f0 * t);
        const uint8_t b = body[i % nbody];
        if (mode == 3 && (b & 0xF0u) == 0xF0u)
            vgh_pq_ring_push(&r, extremes[b & 7u]);
        else
            vgh_pq_ring_push(&r, (float)(v + pert * ((double)b - 128.0) / 128.0));
    }
    float out[VGH_PQ_FIT_FEATURES];
    if (vgh_pq_fit_features(&r, first, r.n - 1u, flags, out) == 0) {
        for (unsigned k = 0; k < VGH_PQ_FIT_FEATURES; k++)
            if (!isfinite(out[k]))
                abort();
    }
    vgh_pq_ring_free(&r);
    return 0;
}
