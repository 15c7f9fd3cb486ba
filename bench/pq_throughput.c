/* SPDX-License-Identifier: MIT */
/*
 * bench/pq_throughput.c: streaming throughput of the power-quality pipeline, one core.
 *
 * Loads a forest model artifact (WAVE pipeline), makes 10 s of a synthetic waveform at the
 * model's rate once (50 Hz nominal sine, 20 dB SNR noise, a few disturbances so the forest
 * walks varied paths), and pushes it round and round through four stages, each timed on its
 * own for about --seconds of wall time:
 *   sos       the model's band-pass alone, vg_sos_step_f32 per sample (as the frontend calls it)
 *   sos_block the same sections with the block kernel vg_sos_f32 (for comparison only)
 *   pq        the frontend without the forest: vg_pq_push
 *   pq_block  the same through vg_pq_push_block (same results, whole signal per call)
 *   detector  the full detector: vg_detector_push (frontend, forest, decision)
 *   detector_block the same through vg_detector_push_block
 * Rates are samples per second of this thread's CPU time (= per core: the program is single
 * threaded) and of wall time. Prints a table and, with --json FILE, the same as JSON.
 *
 * Callgrind mode (bench/pq.sh): --stage S --samples N pushes exactly N samples through one
 * stage and nothing else timed, so (Ir(N2) - Ir(N1)) / (N2 - N1) is the instruction count
 * per sample without the start-up (parse, CRC, waveform synthesis).
 *
 * Host benchmark, not core: it allocates, uses stdio and the clock.
 * Build (bench/pq.sh): cc -O2 -g -DNDEBUG -std=c11 -Icore/include bench/pq_throughput.c with
 * every core/src .c file, -lm.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "vigil/vigil.h"

#define BENCH_SIGNAL_SECONDS 10.0
#define BENCH_GOAL           50.0e6 /* samples per second per core (the goal) */

enum { ST_SOS, ST_SOS_BLOCK, ST_PQ, ST_PQ_BLOCK, ST_DETECTOR, ST_DETECTOR_BLOCK, ST_COUNT };
static const char *const stage_names[ST_COUNT] = {"sos",      "sos_block", "pq",
                                                  "pq_block", "detector",  "detector_block"};
static const char *const stage_desc[ST_COUNT] = {
    "band-pass SOS alone (vg_sos_step_f32)", "band-pass SOS, block kernel (vg_sos_f32)",
    "frontend, no forest (vg_pq_push)",      "frontend, block (vg_pq_push_block)",
    "full detector (vg_detector_push)",      "full detector, block (vg_detector_push_block)"};

/* Everything one run needs: no file-scope mutable state. */
typedef struct {
    vg_model_t m;
    void *model_buf;
    float *sig; /* n_sig samples */
    size_t n_sig;
    vg_pq_cfg_t pq_cfg;
    vg_detector_t det;
    void *det_arena;
    size_t det_arena_len;
    vg_pq_t pq;
    void *pq_arena;
    size_t pq_arena_len;
    float sos_state[VG_SOS_STATE_LEN(VG_PQ_MAX_SOS)];
    float *block_out; /* n_sig samples, for sos_block */
    float feats[VG_MAX_FEATURES];
    float cyc[VG_PQ_COUNT];
    double sink;    /* keeps results alive */
    size_t windows; /* windows completed in the last run */
    size_t disturbed_windows;
} bench_t;

static double now_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long max_rss_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* Deterministic noise: xorshift64* and Box-Muller, seed fixed. */
static double bench_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return ((double)((*s * 2685821657736338717ull) >> 11) + 0.5) / 9007199254740992.0;
}

static double bench_gauss(uint64_t *s)
{
    double u1 = bench_uniform(s), u2 = bench_uniform(s);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* 10 s of 1 pu 50 Hz (the model's nominal) plus white noise 20 dB below the sine's power,
 * with a sag, a swell, a burst of harmonics and an impulse in each 10 s, so windows are not
 * all alike. */
static int make_signal(bench_t *b)
{
    const double fs = b->m.sample_rate, f0 = b->m.wave.f_nominal;
    b->n_sig = (size_t)(BENCH_SIGNAL_SECONDS * fs + 0.5);
    b->sig = malloc(b->n_sig * sizeof *b->sig);
    b->block_out = malloc(b->n_sig * sizeof *b->block_out);
    if (!b->sig || !b->block_out)
        return -1;
    const double sd = sqrt(0.5 / pow(10.0, 20.0 / 10.0));
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (size_t k = 0; k < b->n_sig; k++) {
        double t = (double)k / fs, w = 6.283185307179586 * f0 * t;
        double amp = 1.0, v;
        if (t >= 1.0 && t < 1.1)
            amp = 0.5; /* sag, 5 cycles */
        else if (t >= 3.0 && t < 3.2)
            amp = 1.4; /* swell */
        v = amp * sin(w);
        if (t >= 5.0 && t < 5.4)
            v += 0.1 * sin(3.0 * w) + 0.08 * sin(5.0 * w); /* harmonics */
        if (t >= 7.0 && t < 7.001)
            v += 0.8 * (exp(-344.0 * (t - 7.0)) - exp(-750.0 * (t - 7.0))) / 0.33; /* impulse */
        b->sig[k] = (float)(v + sd * bench_gauss(&seed));
    }
    return 0;
}

static int load_model(bench_t *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "pq_throughput: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return -1;
    }
    long len = ftell(f);
    rewind(f);
    if (len <= 0) {
        fclose(f);
        fprintf(stderr, "pq_throughput: %s is empty\n", path);
        return -1;
    }
    /* The artifact is parsed in place: 4-byte alignment is required (16 is plenty). */
    size_t cap = ((size_t)len + 15u) & ~(size_t)15u;
    b->model_buf = aligned_alloc(16, cap);
    if (!b->model_buf || fread(b->model_buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        fprintf(stderr, "pq_throughput: cannot read %s\n", path);
        return -1;
    }
    fclose(f);
    vg_status_t s = vg_model_parse(&b->m, b->model_buf, (size_t)len);
    if (s != VG_OK) {
        fprintf(stderr, "pq_throughput: %s: %s\n", path, vg_status_str(s));
        return -1;
    }
    if (!b->m.wave.present || b->m.kind != VG_KIND_FOREST) {
        fprintf(stderr, "pq_throughput: %s is not a power-quality forest model\n", path);
        return -1;
    }
    return 0;
}

static int init_stages(bench_t *b)
{
    if (b->m.n_channels != 1) {
        fprintf(stderr, "pq_throughput: only voltage-only models (1 channel) are supported\n");
        return -1;
    }
    b->pq_cfg = vg_pq_cfg_from_model(&b->m);
    b->det_arena_len = vg_detector_arena_size(&b->m);
    b->pq_arena_len = vg_pq_arena_size(&b->pq_cfg);
    b->det_arena = aligned_alloc(16, (b->det_arena_len + 15u) & ~(size_t)15u);
    b->pq_arena = aligned_alloc(16, (b->pq_arena_len + 15u) & ~(size_t)15u);
    if (!b->det_arena || !b->pq_arena)
        return -1;
    vg_status_t s = vg_detector_init(&b->det, &b->m, b->det_arena, b->det_arena_len);
    if (s == VG_OK)
        s = vg_pq_init(&b->pq, &b->pq_cfg, b->pq_arena, b->pq_arena_len);
    if (s != VG_OK) {
        fprintf(stderr, "pq_throughput: init: %s\n", vg_status_str(s));
        return -1;
    }
    vg_sos_reset(b->sos_state, b->pq_cfg.n_sos);
    return 0;
}

/* Push n samples (from signal position *pos, wrapping) through one stage. */
static void run_stage(bench_t *b, int stage, size_t n, size_t *pos)
{
    const vg_biquad_t *sos = b->pq_cfg.sos;
    const size_t n_sos = b->pq_cfg.n_sos;
    double sink = 0.0;
    size_t windows = 0, disturbed = 0;
    while (n > 0) {
        size_t chunk = b->n_sig - *pos < n ? b->n_sig - *pos : n;
        const float *x = b->sig + *pos;
        switch (stage) {
        case ST_SOS: {
            float acc = 0.0f;
            for (size_t k = 0; k < chunk; k++)
                acc += vg_sos_step_f32(sos, n_sos, b->sos_state, x[k]);
            sink += (double)acc;
            break;
        }
        case ST_SOS_BLOCK:
            vg_sos_f32(sos, n_sos, b->sos_state, x, b->block_out, chunk);
            sink += (double)b->block_out[chunk - 1];
            break;
        case ST_PQ:
            for (size_t k = 0; k < chunk; k++) {
                uint8_t done, cdone;
                uint16_t miss;
                vg_pq_push(&b->pq, x + k, b->feats, &done, &miss, b->cyc, &cdone);
                if (done) {
                    windows++;
                    sink += (double)b->feats[0];
                }
            }
            break;
        case ST_PQ_BLOCK:
            for (size_t k = 0; k < chunk;) {
                uint8_t done, cdone;
                uint16_t miss;
                k += vg_pq_push_block(&b->pq, x + k, chunk - k, b->feats, &done, &miss, b->cyc,
                                      &cdone);
                if (done) {
                    windows++;
                    sink += (double)b->feats[0];
                }
            }
            break;
        case ST_DETECTOR:
            for (size_t k = 0; k < chunk; k++) {
                vg_result_t r;
                vg_detector_push(&b->det, x + k, &r);
                if (r.window) {
                    windows++;
                    disturbed += r.over;
                    sink += (double)r.cls;
                }
            }
            break;
        default:
            for (size_t k = 0; k < chunk;) {
                vg_result_t r;
                k += vg_detector_push_block(&b->det, x + k, chunk - k, &r, NULL);
                if (r.window) {
                    windows++;
                    disturbed += r.over;
                    sink += (double)r.cls;
                }
            }
            break;
        }
        *pos += chunk;
        if (*pos == b->n_sig)
            *pos = 0;
        n -= chunk;
    }
    b->sink += sink;
    b->windows += windows;
    b->disturbed_windows += disturbed;
}

typedef struct {
    double samples, cpu_s, wall_s, per_core, per_wall;
    size_t windows, disturbed;
} stage_result_t;

/* Warm up on one signal length, then push whole signal lengths until `seconds` of wall time
 * have passed. */
static stage_result_t time_stage(bench_t *b, int stage, double seconds)
{
    stage_result_t r;
    size_t pos = 0;
    run_stage(b, stage, b->n_sig, &pos);
    b->windows = b->disturbed_windows = 0;
    double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w1, c1;
    size_t reps = 0;
    do {
        run_stage(b, stage, b->n_sig, &pos);
        reps++;
        w1 = now_s(CLOCK_MONOTONIC);
    } while (w1 - w0 < seconds);
    c1 = now_s(CLOCK_THREAD_CPUTIME_ID);
    r.samples = (double)reps * (double)b->n_sig;
    r.wall_s = w1 - w0;
    r.cpu_s = c1 - c0;
    r.per_core = r.samples / r.cpu_s;
    r.per_wall = r.samples / r.wall_s;
    r.windows = b->windows;
    r.disturbed = b->disturbed_windows;
    return r;
}

/* The forest alone: vg_forest_predict (trees walked in lanes when the forest is large enough,
 * vg_forest.c) against the peer it replaced, one tree at a time with vg_tree_leaf, on the feature
 * vectors of every window of the signal. The two are timed alternately, 5 rounds, best of each; the
 * votes are compared first (they must be equal). forest_compare() fills a forest_cmp_t and returns
 * 0, or -1 when the votes differ, memory runs out or there is no window. */
typedef struct {
    double ours_us, peer_us; /* per window */
    size_t windows;
} forest_cmp_t;

static uint16_t peer_predict(const vg_model_t *m, const float *x, uint16_t *v)
{
    for (uint16_t c = 0; c < m->u.forest.n_classes; c++)
        v[c] = 0;
    for (uint16_t t = 0; t < m->u.forest.n_trees; t++)
        v[vg_tree_leaf(m->u.forest.nodes + m->u.forest.roots[t], x)->cls]++;
    return v[0];
}

static int forest_compare(bench_t *b, forest_cmp_t *out)
{
    const size_t nf = b->m.n_features, cap = b->n_sig / vg_pq_frame_len(&b->pq_cfg) + 1u;
    float *xs = malloc(cap * nf * sizeof *xs);
    if (!xs)
        return -1;
    size_t nw = 0;
    vg_pq_reset(&b->pq);
    for (size_t k = 0; k < b->n_sig && nw < cap;) {
        uint8_t done = 0;
        uint16_t miss = 0;
        k += vg_pq_push_block(&b->pq, b->sig + k, b->n_sig - k, b->feats, &done, &miss, NULL, NULL);
        if (done)
            memcpy(xs + nw++ * nf, b->feats, nf * sizeof *xs);
    }
    uint16_t va[VG_MAX_CLASSES], vb[VG_MAX_CLASSES];
    for (size_t w = 0; w < nw; w++) {
        (void)vg_forest_predict(&b->m, xs + w * nf, va, NULL);
        (void)peer_predict(&b->m, xs + w * nf, vb);
        if (memcmp(va, vb, b->m.u.forest.n_classes * sizeof va[0]) != 0) {
            fprintf(stderr, "pq_throughput: forest votes differ from the peer's at window %zu\n",
                    w);
            free(xs);
            return -1;
        }
    }
    double best[2] = {1e30, 1e30};
    for (int round = 0; round < 5; round++)
        for (int which = 0; which < 2; which++) {
            const double c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
            for (int rep = 0; rep < 4; rep++)
                for (size_t w = 0; w < nw; w++)
                    b->sink += which ? peer_predict(&b->m, xs + w * nf, vb)
                                     : vg_forest_predict(&b->m, xs + w * nf, va, NULL);
            const double dt = (now_s(CLOCK_THREAD_CPUTIME_ID) - c0) / (4.0 * (double)nw);
            best[which] = dt < best[which] ? dt : best[which];
        }
    free(xs);
    out->ours_us = best[0] * 1e6;
    out->peer_us = best[1] * 1e6;
    out->windows = nw;
    return nw ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "Usage: pq_throughput MODEL.vgm [--seconds S] [--json FILE]\n"
                    "       pq_throughput MODEL.vgm --stage sos|sos_block|pq|pq_block|detector|"
                    "detector_block --samples N\n");
}

int main(int argc, char **argv)
{
    const char *model = 0, *json = 0;
    double seconds = 2.5;
    int stage = -1;
    long long samples = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--stage") && i + 1 < argc) {
            const char *s = argv[++i];
            for (int k = 0; k < ST_COUNT; k++)
                if (!strcmp(s, stage_names[k]))
                    stage = k;
            if (stage < 0) {
                usage();
                return 2;
            }
        } else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            usage();
            return 2;
        }
    }
    if (!model || !(seconds > 0.0) || (stage >= 0) != (samples >= 0)) {
        usage();
        return 2;
    }
    bench_t *b = calloc(1, sizeof *b);
    if (!b || load_model(b, model) != 0 || make_signal(b) != 0 || init_stages(b) != 0)
        return 1;

    if (stage >= 0) {
        size_t pos = 0;
        run_stage(b, stage, (size_t)samples, &pos);
        printf("stage %s: %lld samples, %zu windows (sink %g)\n", stage_names[stage], samples,
               b->windows, b->sink);
        return 0;
    }

    const vg_model_t *m = &b->m;
    unsigned frame = vg_pq_frame_len(&b->pq_cfg);
    printf("model %s: %u trees, %lu nodes, %u features, window %u cycles, hop %u, %u samples "
           "per cycle, %u band-pass sections, harmonics to %u\n",
           model, m->u.forest.n_trees, (unsigned long)m->u.forest.n_nodes, m->n_features, m->window,
           m->hop, frame, m->wave.n_sos, m->wave.max_harmonic);
    printf("signal: %.0f s at %.2f Hz (%zu samples) in memory, reused; each stage timed for "
           "about %.1f s\n",
           BENCH_SIGNAL_SECONDS, (double)m->sample_rate, b->n_sig, seconds);
    long rss0 = max_rss_kb();
    stage_result_t res[ST_COUNT];
    for (int s = 0; s < ST_COUNT; s++)
        res[s] = time_stage(b, s, seconds);
    long rss1 = max_rss_kb();

    printf("%-46s %14s %14s %9s %9s\n", "stage", "samples/s/core", "samples/s wall", "ns/sample",
           "vs 50M");
    for (int s = 0; s < ST_COUNT; s++)
        printf("%-46s %13.2fM %13.2fM %9.2f %8.3fx\n", stage_desc[s], res[s].per_core / 1e6,
               res[s].per_wall / 1e6, 1e9 / res[s].per_core, res[s].per_core / BENCH_GOAL);
    printf("detector: %zu windows in the timed run, %zu over the threshold (disturbed)\n",
           res[ST_DETECTOR].windows, res[ST_DETECTOR].disturbed);
    printf("memory per stream: detector arena %zu B + vg_detector_t %zu B = %zu B (fixed at "
           "init; core never allocates); frontend alone: arena %zu B + vg_pq_t %zu B; model "
           "%u B used in place (shared by streams); max RSS %ld kB before timing, %ld kB after "
           "%.0f M samples\n",
           b->det_arena_len, sizeof(vg_detector_t), b->det_arena_len + sizeof(vg_detector_t),
           b->pq_arena_len, sizeof(vg_pq_t), m->size, rss0, rss1, res[ST_DETECTOR].samples / 1e6);
    printf("block API against per-sample API, same run: frontend %.2fx, full detector %.2fx\n",
           res[ST_PQ_BLOCK].per_core / res[ST_PQ].per_core,
           res[ST_DETECTOR_BLOCK].per_core / res[ST_DETECTOR].per_core);
    forest_cmp_t fc;
    if (forest_compare(b, &fc) != 0)
        return 1;
    printf("forest alone, %zu windows: vg_forest_predict (%s) %.2f us per window, one tree at a "
           "time (vg_tree_leaf) %.2f us: %.2fx faster\n",
           fc.windows,
           VG_FOREST_LANES > 1 && m->u.forest.n_nodes >= VG_FOREST_LANES_MIN_NODES
               ? "in lanes"
               : "one tree at a time: fewer nodes than VG_FOREST_LANES_MIN_NODES",
           fc.ours_us, fc.peer_us, fc.peer_us / fc.ours_us);
    /* The verdict is the faster of the two detector APIs (they give the same results). */
    const int best = res[ST_DETECTOR_BLOCK].per_core > res[ST_DETECTOR].per_core ? ST_DETECTOR_BLOCK
                                                                                 : ST_DETECTOR;
    const double full = res[best].per_core;
    printf("VERDICT throughput %s: full detector (%s) %.2f M samples/s per core = %.3fx the goal "
           "of %.0f M\n",
           full >= BENCH_GOAL ? "MET" : "MISSED", stage_names[best], full / 1e6, full / BENCH_GOAL,
           BENCH_GOAL / 1e6);

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            fprintf(stderr, "pq_throughput: cannot write %s\n", json);
            return 1;
        }
        fprintf(f,
                "{\"model\":\"%s\",\"trees\":%u,\"nodes\":%lu,\"features\":%u,\"window_cycles\":%u,"
                "\"hop_cycles\":%u,\"samples_per_cycle\":%u,\"n_sos\":%u,\"sample_rate\":%.6g,"
                "\"signal_samples\":%zu,\"goal_samples_per_s\":%.0f,\"stages\":{",
                model, m->u.forest.n_trees, (unsigned long)m->u.forest.n_nodes, m->n_features,
                m->window, m->hop, frame, m->wave.n_sos, (double)m->sample_rate, b->n_sig,
                BENCH_GOAL);
        for (int s = 0; s < ST_COUNT; s++)
            fprintf(
                f,
                "%s\"%s\":{\"samples\":%.0f,\"cpu_s\":%.6f,\"wall_s\":%.6f,"
                "\"samples_per_s_core\":%.1f,\"samples_per_s_wall\":%.1f,\"ratio_to_goal\":%.5f}",
                s ? "," : "", stage_names[s], res[s].samples, res[s].cpu_s, res[s].wall_s,
                res[s].per_core, res[s].per_wall, res[s].per_core / BENCH_GOAL);
        fprintf(f,
                "},\"detector_arena_bytes\":%zu,\"detector_struct_bytes\":%zu,"
                "\"pq_arena_bytes\":%zu,\"pq_struct_bytes\":%zu,\"model_bytes\":%u,"
                "\"max_rss_kb_before\":%ld,\"max_rss_kb_after\":%ld,\"forest_us_per_window\":%.4f,"
                "\"forest_one_tree_at_a_time_us_per_window\":%.4f,\"goal_met\":%s}\n",
                b->det_arena_len, sizeof(vg_detector_t), b->pq_arena_len, sizeof(vg_pq_t), m->size,
                rss0, rss1, fc.ours_us, fc.peer_us, full >= BENCH_GOAL ? "true" : "false");
        fclose(f);
    }
    /* b->sink is printed so no stage's work can be optimised away. */
    fprintf(stderr, "pq_throughput: sink %g\n", b->sink);
    return 0;
}
