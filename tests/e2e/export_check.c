/* SPDX-License-Identifier: MIT */
/* Firmware-style consumer of an exported header: parse the embedded artifact in place and
 * run the detector on "timestamp,value,..." rows from stdin, printing score,anomaly as
 * `vigil detect` does. Only the core is linked: this is what a device build does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_data.h"
#include "vigil/vigil.h"

static unsigned char arena[1 << 16] __attribute__((aligned(8)));

int main(void)
{
    vg_model_t m;
    vg_detector_t d;
    vg_status_t st = vg_model_parse(&m, temp_model, temp_model_len);
    if (st != VG_OK || vg_detector_arena_size(&m) > sizeof arena ||
        vg_detector_init(&d, &m, arena, sizeof arena) != VG_OK) {
        fprintf(stderr, "cannot load the embedded model: %s\n", vg_status_str(st));
        return 1;
    }
    char line[4096];
    if (!fgets(line, sizeof line, stdin))
        return 1;
    printf("score,anomaly\n");
    while (fgets(line, sizeof line, stdin)) {
        char *comma = strchr(line, ',');
        float x = NAN;
        if (comma && comma[1] != ',' && comma[1] != '\n') {
            char *end;
            x = strtof(comma + 1, &end);
            if (end == comma + 1)
                x = NAN;
        }
        vg_result_t r;
        vg_detector_push(&d, &x, &r);
        printf("%.6f,%d\n", r.ready ? (double)r.score : 0.0, r.anomaly);
    }
    return 0;
}
