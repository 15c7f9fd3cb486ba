/* SPDX-License-Identifier: MIT */
/* Reference outputs for a .tflite check: loads a Vigil autoencoder artifact with the core's
 * reader, draws N inputs from a fixed generator and prints, as JSON, each input and the
 * core's output: for a float network, normalised feature vectors, the reconstruction and
 * the score (RMS of the difference); for an int8 network (kind 5), int8 input vectors and
 * the int8 outputs of vg_ae_s8_forward(). The browser test feeds the same inputs to
 * TFLite's runtime and compares. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vigil/vg_ae_s8.h"
#include "vigil/vigil.h"

static unsigned char model_buf[1 << 20] __attribute__((aligned(8)));
static float scratch[1 << 14];

static float draw(uint64_t *s)
{
    /* sum of 4 uniforms, centred: roughly normal, wide enough to cross ReLU kinks */
    float acc = 0.0f;
    for (int k = 0; k < 4; k++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        acc += (float)(*s >> 40) / (float)(1u << 24);
    }
    return 1.5f * (acc - 2.0f);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tflite_ref MODEL.vgm N\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t len = fread(model_buf, 1, sizeof model_buf, f);
    fclose(f);
    vg_model_t m;
    vg_status_t st = vg_model_parse(&m, model_buf, len);
    if (st != VG_OK || (m.kind != VG_KIND_AUTOENCODER && m.kind != VG_KIND_AE_S8) ||
        vg_model_scratch_size(&m) > sizeof scratch) {
        fprintf(stderr, "%s: not a usable autoencoder (%s)\n", argv[1], vg_status_str(st));
        return 1;
    }
    int n = atoi(argv[2]);
    unsigned d = m.n_features;
    float x[VG_MAX_FEATURES], rec[VG_MAX_FEATURES];
    uint64_t s = 42;
    if (m.kind == VG_KIND_AE_S8) {
        int8_t xq[VG_MAX_FEATURES], yq[VG_MAX_FEATURES];
        printf("{\"d\":%u,\"dtype\":\"int8\",\"cases\":[", d);
        for (int i = 0; i < n; i++) {
            for (unsigned j = 0; j < d; j++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                xq[j] = (int8_t)(int)((s >> 56) - 128u);
            }
            vg_ae_s8_forward(&m, xq, yq, scratch);
            printf("%s{\"x\":[", i ? ",\n" : "");
            for (unsigned j = 0; j < d; j++)
                printf("%s%d", j ? "," : "", xq[j]);
            printf("],\"y\":[");
            for (unsigned j = 0; j < d; j++)
                printf("%s%d", j ? "," : "", yq[j]);
            printf("]}");
        }
        printf("]}\n");
        return 0;
    }
    printf("{\"d\":%u,\"dtype\":\"float32\",\"cases\":[", d);
    for (int i = 0; i < n; i++) {
        for (unsigned j = 0; j < d; j++)
            x[j] = draw(&s);
        float raw;
        vg_model_score(&m, x, &raw, NULL, rec, scratch);
        printf("%s{\"x\":[", i ? ",\n" : "");
        for (unsigned j = 0; j < d; j++)
            printf("%s%.9g", j ? "," : "", (double)x[j]);
        printf("],\"y\":[");
        for (unsigned j = 0; j < d; j++)
            printf("%s%.9g", j ? "," : "", (double)rec[j]);
        printf("],\"score\":%.9g}", (double)raw);
    }
    printf("]}\n");
    return 0;
}
