/* SPDX-License-Identifier: MIT */
/* Firmware-style consumer of an exported waveform (forest) model: parse the embedded artifact
 * in place, run "segment,t,v,..." snippet rows from stdin through the detector, resetting it
 * at every new segment, and print segment,class for each segment as `vigil detect` decides
 * it: the class of the segment's last window (empty when that window failed the
 * missing-sample policy). Only the core is linked: this is what a device build does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_data.h"
#include "vigil/vigil.h"

static unsigned char arena[1 << 16] __attribute__((aligned(8)));

static void emit(long segment, const vg_result_t *last)
{
    if (segment < 0)
        return;
    if (!last->window) {
        printf("%ld,short\n", segment);
        return;
    }
    if (last->dropout)
        printf("%ld,\n", segment);
    else
        printf("%ld,%u\n", segment, (unsigned)last->cls);
}

int main(void)
{
    vg_model_t m;
    vg_detector_t d;
    vg_status_t st = vg_model_parse(&m, pq_model, pq_model_len);
    if (st != VG_OK || !m.wave.present || vg_detector_arena_size(&m) > sizeof arena ||
        vg_detector_init(&d, &m, arena, sizeof arena) != VG_OK) {
        fprintf(stderr, "cannot load the embedded waveform model: %s\n", vg_status_str(st));
        return 1;
    }
    char line[4096];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    printf("segment,class\n");
    long segment = -1;
    vg_result_t last;
    memset(&last, 0, sizeof last);
    while (fgets(line, sizeof line, stdin)) {
        /* segment,t,v[,class] */
        char *c1 = strchr(line, ',');
        char *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            return 1;
        long sg = strtol(line, NULL, 10);
        if (sg != segment) {
            emit(segment, &last);
            vg_detector_reset(&d);
            memset(&last, 0, sizeof last);
            segment = sg;
        }
        float x = NAN;
        if (c2[1] != ',' && c2[1] != '\n' && c2[1] != '\0') {
            char *end;
            x = strtof(c2 + 1, &end);
            if (end == c2 + 1)
                x = NAN;
        }
        vg_result_t r;
        vg_detector_push(&d, &x, &r);
        if (r.window)
            last = r;
    }
    emit(segment, &last);
    return 0;
}
