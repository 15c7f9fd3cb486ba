/* SPDX-License-Identifier: MIT */
/*
 * The replay application: the model artifact and a recorded stream are compiled into the
 * image (vg_app_model.h from `vigil export --c-header --name vg_app_model`, vg_app_stream.h
 * from vigil-stream-header), and every sample goes through vg_detector_push() exactly as
 * `vigil detect` pushes each CSV row. Each completed window is reported as one line:
 *
 *   w ROW RAW SCORE ANOMALY CLASS DROPOUT
 *
 * ROW the 0-based sample index that completed the window, RAW and SCORE the IEEE-754 bits
 * of the raw and unit scores in hexadecimal (exact), ANOMALY 1 while an event is open,
 * CLASS the forest's class (0 for other models), DROPOUT 1 for a window that failed the
 * missing-sample policy. Between windows a detector's outputs do not change, so these lines
 * determine every row `vigil detect` writes. The last line is
 *
 *   end ROWS WINDOWS STACK_BYTES
 *
 * Build-time switches (all 0/1 or small integers, STYLE.md section 6):
 *   VG_APP_ARENA_BYTES  detector arena, from `vigil info --json` (required)
 *   VG_APP_PRINT        1: the lines above; 0: the minimal image, no output code at all;
 *                       2: the minimal image's loop, then the 'end' line alone (its stack
 *                       high-water mark is taken before any output code runs)
 *   VG_APP_BENCH        0: no markers; 1: each vg_detector_push() between the bench
 *                       markers; 2: each window's model inference, vg_model_score() on the
 *                       window's normalised features (what TFLM's Invoke does), between them
 *
 * Exit codes: 0 done; 2 model refused by vg_model_parse(); 3 arena too small; 4 detector
 * refused the model; 5 the stream's channel count is not the model's; 6 model scratch too
 * small (VG_APP_BENCH 2). Ports exit with 100 and up on a CPU fault (docs/mcu.md).
 */
#include <stdint.h>
#include <string.h>

#include "vg_app_model.h"
#include "vg_app_stream.h"
#include "vg_fmt.h"
#include "vg_port.h"
#include "vigil/vigil.h"

#ifndef VG_APP_ARENA_BYTES
#error "define VG_APP_ARENA_BYTES (vigil info --json: ram_detail.arena)"
#endif
#ifndef VG_APP_PRINT
#define VG_APP_PRINT 1
#endif
#ifndef VG_APP_BENCH
#define VG_APP_BENCH 0
#endif
#if VG_APP_BENCH < 0 || VG_APP_BENCH > 2
#error "VG_APP_BENCH is 0, 1 or 2"
#endif
#if VG_APP_PRINT < 0 || VG_APP_PRINT > 2
#error "VG_APP_PRINT is 0, 1 or 2"
#endif

/* A minimal image has no console and no printing code; its one output is the exit code. */
#define VG_APP_SCRATCH_FLOATS (2u * VG_MAX_UNITS)

/* The application's one singleton (STYLE.md section 5). The arena is sized by the build
 * from the model, so RAM is exactly what `vigil info` predicts plus the stack. */
static struct {
    vg_model_t m;
    vg_detector_t d;
#if VG_APP_BENCH == 2
    float scratch[VG_APP_SCRATCH_FLOATS];
#endif
    uint8_t arena[VG_APP_ARENA_BYTES] __attribute__((aligned(8)));
} app;

void __attribute__((noinline, noipa)) vg_bench_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

void __attribute__((noinline, noipa)) vg_bench_end(void)
{
    __asm__ volatile("" ::: "memory");
}

#if VG_APP_BENCH == 2
/* The model's inference behind one function of its own, so callgrind's --toggle-collect
 * counts these calls and not the detector's own call of vg_model_score(). */
void vg_bench_model(float *raw);
void __attribute__((noinline, noipa)) vg_bench_model(float *raw)
{
    vg_model_score(&app.m, vg_detector_normalised(&app.d), raw, NULL, NULL, app.scratch);
}
#endif

#if VG_APP_PRINT
/* Never inlined: its line buffer must not enlarge vg_app_main's frame (the stack figure of
 * VG_APP_PRINT 2 is the minimal image's). */
static void __attribute__((noinline))
app__line(const char *tag, const uint32_t *v, const uint8_t *hex, size_t n)
{
    char line[96];
    size_t k = strlen(tag);
    memcpy(line, tag, k);
    for (size_t i = 0; i < n; i++) {
        line[k++] = ' ';
        k += hex[i] ? vg_fmt_hex32(line + k, v[i]) : vg_fmt_u32(line + k, v[i]);
    }
    line[k++] = '\n';
    vg_port_write(line, k);
}

#if VG_APP_PRINT == 1
static uint32_t app__bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
#endif
#endif

int vg_app_main(void)
{
    if (vg_model_parse(&app.m, vg_app_model, vg_app_model_len) != VG_OK)
        return 2;
    if (vg_detector_arena_size(&app.m) > sizeof app.arena)
        return 3;
    if (vg_detector_init(&app.d, &app.m, app.arena, sizeof app.arena) != VG_OK)
        return 4;
    if (app.m.n_channels != VG_APP_STREAM_CHANNELS)
        return 5;
#if VG_APP_BENCH == 2
    if (vg_model_scratch_size(&app.m) > sizeof app.scratch)
        return 6;
#endif
    uint32_t windows = 0;
    for (uint32_t row = 0; row < VG_APP_STREAM_ROWS; row++) {
        float x[VG_APP_STREAM_CHANNELS];
        memcpy(x, &vg_app_stream[row * VG_APP_STREAM_CHANNELS], sizeof x);
        vg_result_t r;
#if VG_APP_BENCH == 1
        vg_bench_begin();
        vg_detector_push(&app.d, x, &r);
        vg_bench_end();
#else
        vg_detector_push(&app.d, x, &r);
#endif
        if (!r.window)
            continue;
        windows++;
#if VG_APP_BENCH == 2
        if (!r.dropout) {
            float raw;
            vg_bench_begin();
            vg_bench_model(&raw);
            vg_bench_end();
        }
#endif
#if VG_APP_PRINT == 1
        const uint32_t v[] = {row,   app__bits(r.raw), app__bits(r.score), r.anomaly,
                              r.cls, r.dropout};
        static const uint8_t hex[] = {0, 1, 1, 0, 0, 0};
        app__line("w", v, hex, 6);
#endif
    }
#if VG_APP_PRINT
    const uint32_t stack = (uint32_t)vg_port_stack_used();
    const uint32_t v[] = {VG_APP_STREAM_ROWS, windows, stack};
    static const uint8_t dec[] = {0, 0, 0};
    app__line("end", v, dec, 3);
#else
    (void)windows;
#endif
    return 0;
}
