/* SPDX-License-Identifier: MIT */
/* vigil info and vigil export: describe a model; write it as a C header. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "pq_evnt.h"
#include "tflite.h"
#include "cli.h"
#include "vg_device_sizes.h"

static unsigned vgh_le32(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

/* Sections a device never reads: the host's event and segment classifiers (docs/model-format.md,
 * "host only"), and META with --strip-meta. */
static int host_only(uint32_t tag, int drop_meta)
{
    return tag == VGH_SECT_EVNT || tag == VGH_SECT_SEGC || (drop_meta && tag == VG_SECT_META);
}

/* The bytes of the host's classifiers with their table entries: what `vigil export
 * --c-header` leaves out. */
static uint32_t host_section_bytes(const vgh_model_file_t *mf)
{
    const uint8_t *b = mf->buf;
    const uint32_t ns = vgh_le32(b + 16);
    uint32_t n = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        if (host_only(vgh_le32(e), 0))
            n += VG_MODEL_SECTION_ENTRY_SIZE + ((vgh_le32(e + 8) + 3u) & ~3u);
    }
    return n;
}

static const char info_usage[] =
    "Usage: vigil info -m MODEL [--json]\n"
    "\n"
    "Kind, channels, features, window, normalisation, model shape, threshold and hysteresis,\n"
    "parameter count, and the exact memory a device needs: flash = the artifact's bytes (it\n"
    "runs in place), RAM = the parsed model view + the detector struct (measured for\n"
    "Cortex-M by the build) + the detector arena (vg_detector_arena_size()). For slow-sensor\n"
    "models also the minimal image's: a build with this model kind alone and no waveform\n"
    "frontend (docs/mcu.md), RAM = its smaller model view and detector + the arena, flash =\n"
    "the artifact without META (`vigil export --strip-meta`); the image adds the code of the\n"
    "runtime and the stack.\n"
    "\n"
    "  -m, --model MODEL\n"
    "      --json        machine-readable output\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad model, 2 bad usage.\n";

static const char *norm_name(unsigned k)
{
    return k == VG_NORM_ZSCORE ? "zscore" : k == VG_NORM_MINMAX ? "minmax" : "none";
}

static const char *act_name(unsigned a)
{
    static const char *const n[] = {"linear", "relu", "sigmoid", "tanh"};
    return a < 4 ? n[a] : "?";
}

/* sizeof(vg_model_t) on the device in a build with this kind alone (tools/device-sizes.sh) */
static unsigned min_model_view(unsigned kind)
{
    switch (kind) {
    case VG_KIND_ZSCORE: return VG_DEVICE_SIZEOF_MODEL_MIN_ZSCORE;
    case VG_KIND_AUTOENCODER: return VG_DEVICE_SIZEOF_MODEL_MIN_AE_F32;
    case VG_KIND_IFOREST: return VG_DEVICE_SIZEOF_MODEL_MIN_IFOREST;
    case VG_KIND_FOREST: return VG_DEVICE_SIZEOF_MODEL_MIN_FOREST;
    case VG_KIND_IFOREST_S16:
    case VG_KIND_FOREST_S16: return VG_DEVICE_SIZEOF_MODEL_MIN_TREES_S16;
    default: return VG_DEVICE_SIZEOF_MODEL_MIN_AE_S8;
    }
}

/* Samples per nominal cycle, as the core frames them (vg_pq_frame_len()). */
static unsigned samples_per_cycle(const vg_model_t *m)
{
    const vg_pq_cfg_t cfg = vg_pq_cfg_from_model(m);
    return vg_pq_frame_len(&cfg);
}

/* The highest harmonic the core measures: the model's, below the Nyquist limit of a cycle
 * of N samples (harmonics up to (N - 1) / 2, as vg_pq_init() limits them). */
static unsigned harmonics_used(const vg_model_t *m)
{
    const unsigned lim = (samples_per_cycle(m) - 1u) / 2u;
    return m->wave.max_harmonic < lim ? m->wave.max_harmonic : lim;
}

/* One classifier's trees in JSON: {"trees":..,"nodes":..[,"features":..,"layout":..]}. */
static void info__json_forest(const char *name, const vg_model_t *f, int n_features, int layout)
{
    printf(",\"%s\":{\"trees\":%u,\"nodes\":%u", name, f->u.forest.n_trees, f->u.forest.n_nodes);
    if (n_features >= 0)
        printf(",\"features\":%d,\"layout\":%d", n_features, layout);
    printf("}");
}

/* C's keywords (C11, and C23's bool, true, false, nullptr, ...): not a symbol's name. */
static int c_keyword(const char *s)
{
    static const char *const kw[] = {"alignas",
                                     "alignof",
                                     "auto",
                                     "bool",
                                     "break",
                                     "case",
                                     "char",
                                     "const",
                                     "constexpr",
                                     "continue",
                                     "default",
                                     "do",
                                     "double",
                                     "else",
                                     "enum",
                                     "extern",
                                     "false",
                                     "float",
                                     "for",
                                     "goto",
                                     "if",
                                     "inline",
                                     "int",
                                     "long",
                                     "nullptr",
                                     "register",
                                     "restrict",
                                     "return",
                                     "short",
                                     "signed",
                                     "sizeof",
                                     "static",
                                     "static_assert",
                                     "struct",
                                     "switch",
                                     "thread_local",
                                     "true",
                                     "typedef",
                                     "typeof",
                                     "typeof_unqual",
                                     "union",
                                     "unsigned",
                                     "void",
                                     "volatile",
                                     "while",
                                     "_Alignas",
                                     "_Alignof",
                                     "_Atomic",
                                     "_BitInt",
                                     "_Bool",
                                     "_Complex",
                                     "_Decimal128",
                                     "_Decimal32",
                                     "_Decimal64",
                                     "_Generic",
                                     "_Imaginary",
                                     "_Noreturn",
                                     "_Static_assert",
                                     "_Thread_local"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(s, kw[i]) == 0)
            return 1;
    return 0;
}

/* `info --json`: the forest's or isolation forest's size and classes, and the host's
 * event and segment classifiers (null when the model has none), as the text shows them. */
static void info__json_trees(const vgh_model_file_t *mf)
{
    const vg_model_t *m = &mf->m;
    const uint16_t base = vg_model_base_kind(m->kind);
    if (base == VG_KIND_IFOREST)
        printf(",\"forest\":{\"trees\":%u,\"nodes\":%u,\"c_psi\":%.9g}", m->u.iforest.n_trees,
               m->u.iforest.n_nodes, (double)m->u.iforest.c_norm);
    if (base != VG_KIND_FOREST)
        return;
    printf(",\"forest\":{\"trees\":%u,\"nodes\":%u,\"classes\":%u,\"normal_class\":%u}",
           m->u.forest.n_trees, m->u.forest.n_nodes, m->u.forest.n_classes,
           m->u.forest.normal_class);
    vgh_pq_evmodel_t em;
    char eerr[256];
    if (vgh_pq_evmodel_parse(m, &em, eerr, sizeof eerr) == 0 && em.present)
        info__json_forest("event_classifier", &em.forest, em.n_features, em.layout);
    else
        printf(",\"event_classifier\":null");
    if (vgh_pq_segmodel_parse(m, &em, eerr, sizeof eerr) == 0 && em.present)
        info__json_forest("segment_classifier", &em.forest, em.n_features, em.layout);
    else
        printf(",\"segment_classifier\":null");
}

int vgh_cmd_info(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL;
    int json = 0, c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'j': json = 1; break;
        case 'h': fputs(info_usage, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option("info", c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage("info", "unexpected argument '%s'", argv[optind]);
    if (!model)
        return vgh_usage("info", "need -m MODEL");
    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail("info", VGH_EXIT_INPUT, "%s", err);
    const vg_model_t *m = &mf.m;
    size_t arena = vg_detector_arena_size(m);
    size_t ram = VG_DEVICE_SIZEOF_MODEL + VG_DEVICE_SIZEOF_DETECTOR + arena;
    size_t ram_min = min_model_view(m->kind) + VG_DEVICE_SIZEOF_DETECTOR_MIN + arena;
    /* what `vigil export --strip-meta` writes: one table entry and the padded META less */
    uint32_t flash_min =
        m->meta ? m->size - VG_MODEL_SECTION_ENTRY_SIZE - ((m->meta_len + 3u) & ~3u) : m->size;
    /* what a device holds: `vigil export --c-header` leaves out the host's classifiers */
    const uint32_t host = host_section_bytes(&mf);
    char rule[256] = "";
    vgh_meta_get(m, "threshold_rule", rule, sizeof rule);
    if (json) {
        char jm[1024], jc[512];
        printf("{\"model\":\"%s\",\"kind\":\"%s\",\"format\":\"%u.%u\",\"sample_rate\":%.9g,"
               "\"channels\":[",
               vgh_json_str(model, jm, sizeof jm), vgh_kind_name(m->kind), VG_MODEL_VERSION_MAJOR,
               m->version_minor, (double)m->sample_rate);
        for (uint16_t ch = 0; ch < m->n_channels; ch++)
            printf("%s\"%s\"", ch ? "," : "", vgh_json_str(mf.channels[ch], jc, sizeof jc));
        printf("],\"window\":%u,\"hop\":%u,\"features\":[", m->window, m->hop);
        for (uint16_t k = 0; k < m->n_features; k++) {
            if (m->wave.present)
                printf("%s\"%s.%s\"", k ? "," : "", vg_pq_qty_name(m->feats[k].channel),
                       vg_pq_agg_name(m->feats[k].feature));
            else
                printf("%s\"%s.%s\"", k ? "," : "",
                       vgh_json_str(mf.channels[m->feats[k].channel], jc, sizeof jc),
                       vg_feature_name(m->feats[k].feature));
        }
        printf("],\"dtype\":\"%s\",\"normalisation\":\"%s\",\"threshold\":%.9g,\"open_after\":%u,"
               "\"close_after\":%u,\"strict_class\":%u,\"strict_share\":%.3f,\"max_missing\":%.3f,"
               "\"params\":%u,\"flash_bytes\":%u,\"device_flash_bytes\":%u,"
               "\"ram_bytes\":%zu,\"ram_detail\":{\"model_view\":%u,\"detector\":%u,"
               "\"arena\":%zu},\"ram_target\":\"%s\"",
               m->kind == VG_KIND_AE_S8                                          ? "int8"
               : m->kind == VG_KIND_IFOREST_S16 || m->kind == VG_KIND_FOREST_S16 ? "int16"
                                                                                 : "float32",
               norm_name(m->norm_kind), (double)m->threshold, m->open_after, m->close_after,
               m->strict_class, m->strict_pm / 1000.0, m->max_missing_pm / 1000.0,
               vg_model_param_count(m), m->size, m->size - host, ram, VG_DEVICE_SIZEOF_MODEL,
               VG_DEVICE_SIZEOF_DETECTOR, arena, VG_DEVICE_TARGET);
        if (!m->wave.present)
            printf(",\"min_artifact\":%u,\"min_ram\":%zu,\"min_model_view\":%u,"
                   "\"min_detector\":%u",
                   flash_min, ram_min, min_model_view(m->kind), VG_DEVICE_SIZEOF_DETECTOR_MIN);
        else
            printf(",\"waveform\":{\"f_nominal\":%.9g,\"samples_per_cycle\":%u,"
                   "\"max_harmonic\":%u,\"bandpass_sections\":%u}",
                   (double)m->wave.f_nominal, samples_per_cycle(m), harmonics_used(m),
                   m->wave.n_sos);
        info__json_trees(&mf);
        printf("}\n");
        vgh_model_free(&mf);
        return VGH_EXIT_OK;
    }
    printf("model:        %s (format %u.%u)\n", model, VG_MODEL_VERSION_MAJOR, m->version_minor);
    printf("kind:         %s\n", vgh_kind_name(m->kind));
    printf("channels:     ");
    for (uint16_t ch = 0; ch < m->n_channels; ch++)
        printf("%s%s", ch ? ", " : "", mf.channels[ch]);
    printf("\nsample rate:  %g Hz\n", (double)m->sample_rate);
    if (m->wave.present) {
        printf("waveform:     %g Hz nominal, %u samples per cycle, harmonics to %u%s, %u "
               "band-pass sections\n",
               (double)m->wave.f_nominal, samples_per_cycle(m), harmonics_used(m),
               harmonics_used(m) < m->wave.max_harmonic ? " (the Nyquist limit)" : "",
               m->wave.n_sos);
        printf("window:       %u cycles, hop %u cycles\n", m->window, m->hop);
        printf("features:     %u:", m->n_features);
        for (uint16_t k = 0; k < m->n_features; k++)
            printf(" %s.%s", vg_pq_qty_name(m->feats[k].channel),
                   vg_pq_agg_name(m->feats[k].feature));
    } else {
        printf("window:       %u samples (%g s), hop %u (%g s)\n", m->window,
               m->window / (double)m->sample_rate, m->hop, m->hop / (double)m->sample_rate);
        printf("features:     %u:", m->n_features);
        for (uint16_t k = 0; k < m->n_features; k++)
            printf(" %s.%s", mf.channels[m->feats[k].channel],
                   vg_feature_name(m->feats[k].feature));
    }
    printf("\nnormalise:    %s\n", norm_name(m->norm_kind));
    if (m->kind == VG_KIND_AUTOENCODER) {
        printf("network:      %u", m->u.ae.layers[0].n_in);
        for (uint16_t l = 0; l < m->u.ae.n_layers; l++)
            printf(" -> %u %s", m->u.ae.layers[l].n_out, act_name(m->u.ae.layers[l].act));
        printf("\n");
    } else if (m->kind == VG_KIND_AE_S8) {
        printf("network:      int8, input scale %.6g zero point %d; %u", (double)m->u.ae8.in_scale,
               (int)m->u.ae8.in_zp, m->u.ae8.layers[0].n_in);
        for (uint16_t l = 0; l < m->u.ae8.n_layers; l++)
            printf(" -> %u %s%s", m->u.ae8.layers[l].n_out, act_name(m->u.ae8.layers[l].act),
                   m->u.ae8.layers[l].lut ? " (table)" : "");
        printf("\n");
        for (uint16_t l = 0; l < m->u.ae8.n_layers; l++) {
            const vg_layer_s8_t *ld = &m->u.ae8.layers[l];
            printf("  layer %u:    int8 weights per channel, output scale %.6g zero point %d, "
                   "clamp [%d, %d]\n",
                   l, (double)ld->out_scale, ld->out_zp, ld->act_min, ld->act_max);
        }
    } else if (m->kind == VG_KIND_IFOREST) {
        printf("forest:       %u trees, %u nodes, c(psi) %.4g\n", m->u.iforest.n_trees,
               m->u.iforest.n_nodes, (double)m->u.iforest.c_norm);
    } else if (m->kind == VG_KIND_FOREST) {
        printf("forest:       %u trees, %u nodes, %u classes (normal class %u)\n",
               m->u.forest.n_trees, m->u.forest.n_nodes, m->u.forest.n_classes,
               m->u.forest.normal_class);
    } else if (m->kind == VG_KIND_IFOREST_S16) {
        printf("forest:       %u trees, %u nodes (6 bytes, int16 thresholds), c(psi) %.4g\n",
               m->u.iforest.n_trees, m->u.iforest.n_nodes, (double)m->u.iforest.c_norm);
        printf("quantized:    each feature to int16, q = round((x - offset) / scale)\n");
    } else if (m->kind == VG_KIND_FOREST_S16) {
        printf("forest:       %u trees, %u nodes (8 bytes, int16 thresholds), %u classes (normal "
               "class %u)\n",
               m->u.forest.n_trees, m->u.forest.n_nodes, m->u.forest.n_classes,
               m->u.forest.normal_class);
        printf("quantized:    each feature to int16, q = round((x - offset) / scale)\n");
    } else {
        printf("baseline:     max |z| over features, running EWMA alpha %g\n",
               (double)m->u.zscore.alpha);
    }
    if (vg_model_base_kind(m->kind) == VG_KIND_FOREST) {
        vgh_pq_evmodel_t em;
        char eerr[256];
        if (vgh_pq_evmodel_parse(m, &em, eerr, sizeof eerr) != 0)
            printf("events:       %s\n", eerr);
        else if (em.present)
            printf("events:       event classifier (EVNT, host only): %u trees, %u nodes over %u "
                   "event features (layout %u%s)\n",
                   em.forest.u.forest.n_trees, em.forest.u.forest.n_nodes, em.n_features, em.layout,
                   em.layout >= 2u ? ", with the event fit" : "");
        if (vgh_pq_segmodel_parse(m, &em, eerr, sizeof eerr) != 0)
            printf("segments:     %s\n", eerr);
        else if (em.present)
            printf("segments:     segment classifier (SEGC, host only): %u trees, %u nodes over %u "
                   "segment features (layout %u)\n",
                   em.forest.u.forest.n_trees, em.forest.u.forest.n_nodes, em.n_features,
                   em.layout);
    }
    printf("threshold:    %.6g raw (%s)\n", (double)m->threshold, rule[0] ? rule : "-");
    printf("hysteresis:   open after %u windows over, close after %u under\n", m->open_after,
           m->close_after);
    if (m->strict_pm)
        printf("strict class: a window voted class %u is over only when more than %.3f of the "
               "trees vote disturbed\n",
               m->strict_class, m->strict_pm / 1000.0);
    printf("dropout:      a window with > %.1f%% missing samples raises an alarm\n",
           m->max_missing_pm / 10.0);
    printf("parameters:   %u\n", vg_model_param_count(m));
    if (host)
        printf("flash:        %u bytes on a device (the artifact, used in place, without the "
               "host-only classifier's %u bytes, as `vigil export --c-header` writes it); %u "
               "bytes here\n",
               m->size - host, host, m->size);
    else
        printf("flash:        %u bytes (the artifact, used in place)\n", m->size);
    printf("RAM:          %zu bytes = model view %u + detector %u + arena %zu (%s)\n", ram,
           VG_DEVICE_SIZEOF_MODEL, VG_DEVICE_SIZEOF_DETECTOR, arena, VG_DEVICE_TARGET);
    if (!m->wave.present)
        printf("minimal:      flash %u bytes (the artifact without META) + the runtime's code; RAM "
               "%zu bytes = model view %u + detector %u + arena %zu + the stack (a build with "
               "this kind alone, docs/mcu.md)\n",
               flash_min, ram_min, min_model_view(m->kind), VG_DEVICE_SIZEOF_DETECTOR_MIN, arena);
    vgh_model_free(&mf);
    return VGH_EXIT_OK;
}

static const char export_usage[] =
    "Usage: vigil export -m MODEL --c-header FILE.h [--name SYMBOL] [--strip-meta]\n"
    "       vigil export -m MODEL --tflite FILE.tflite\n"
    "\n"
    "--c-header writes the artifact as a C array (8-byte aligned, as vg_model_parse() needs)\n"
    "and its length: `const unsigned char SYMBOL[]` and `const unsigned int SYMBOL_len`. The\n"
    "core reads it in place with vg_model_parse(&m, SYMBOL, SYMBOL_len).\n"
    "--tflite writes an autoencoder's network (float32, or int8 after `vigil quantize`) as a\n"
    "TensorFlow Lite flatbuffer for TFLite and TFLite Micro: input [1, d] = the normalised\n"
    "features, output [1, d] = their reconstruction; the score is the RMS of their\n"
    "difference (docs/tflite.md).\n"
    "\n"
    "  -m, --model MODEL\n"
    "      --c-header FILE   header to write\n"
    "      --name SYMBOL     C identifier (default vigil_model_data)\n"
    "      --strip-meta      leave out the META section (the host's description: training file,\n"
    "                        metrics, channel names), which devices never read; the other\n"
    "                        sections are the same bytes, the CRC is recomputed\n"
    "      --tflite FILE     .tflite file to write\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad model, 2 bad usage, 3 cannot write.\n";

static int export_tflite(const char *model, const char *path, const char *header)
{
    if (header)
        return vgh_usage("export", "--tflite and --c-header are separate runs");
    char err[1024], desc[256];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail("export", VGH_EXIT_INPUT, "%s", err);
    snprintf(desc, sizeof desc,
             "Vigil %s %s %08x: input = normalised features, output = reconstruction",
             VIGIL_VERSION, vgh_kind_name(mf.m.kind), vgh_le32(mf.m.buf + VG_MODEL_CRC_OFFSET));
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = vgh_tflite_build(&mf.m, desc, &buf, &len, err, sizeof err);
    vgh_model_free(&mf);
    if (rc != 0)
        return vgh_fail("export", VGH_EXIT_INPUT, "%s: %s", model, err);
    rc = vgh_write_file(path, buf, len, err, sizeof err);
    free(buf);
    if (rc != 0)
        return vgh_fail("export", VGH_EXIT_SYSTEM, "%s", err);
    return VGH_EXIT_OK;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* The artifact without the host-only sections (and META when drop_meta). The other sections
 * keep their bytes and their order; the section table and offsets are rebuilt, the CRC
 * recomputed, and the result is parsed again by the core, so what is exported is a valid
 * artifact of the same model. Without anything to leave out the artifact is untouched. */
static int strip_sections(vgh_model_file_t *mf, int drop_meta, char *err, size_t errlen)
{
    const uint8_t *b = mf->buf;
    const uint32_t ns = vgh_le32(b + 16);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < ns; i++)
        kept += !host_only(vgh_le32(b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i),
                           drop_meta);
    if (kept == ns)
        return 0;
    uint8_t *out = calloc(1, mf->m.size);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(out, b, VG_MODEL_HEADER_SIZE);
    uint32_t off = VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * kept, k = 0;
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = b + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * i;
        const uint32_t tag = vgh_le32(e), o = vgh_le32(e + 4), size = vgh_le32(e + 8);
        if (host_only(tag, drop_meta))
            continue;
        uint8_t *ne = out + VG_MODEL_HEADER_SIZE + VG_MODEL_SECTION_ENTRY_SIZE * k++;
        put32(ne, tag);
        put32(ne + 4, off);
        put32(ne + 8, size);
        memcpy(out + off, b + o, size);
        off += (size + 3u) & ~3u;
    }
    put32(out + 8, off);
    put32(out + 16, kept);
    put32(out + VG_MODEL_CRC_OFFSET, vg_model_crc(out, off));
    memcpy(mf->buf, out, off);
    free(out);
    vg_status_t st = vg_model_parse(&mf->m, mf->buf, off);
    if (st != VG_OK) {
        snprintf(err, errlen, "the artifact without %s does not parse: %s",
                 drop_meta ? "META and the host-only sections" : "the host-only sections",
                 vg_status_str(st));
        return -1;
    }
    return 0;
}

int vgh_cmd_export(int argc, char **argv)
{
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"c-header", required_argument, 0, 'c'},
                                       {"name", required_argument, 0, 'n'},
                                       {"tflite", required_argument, 0, 't'},
                                       {"strip-meta", no_argument, 0, 's'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *model = NULL, *header = NULL, *tfl = NULL, *name = "vigil_model_data";
    int c, strip = 0;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'c': header = optarg; break;
        case 'n': name = optarg; break;
        case 't': tfl = optarg; break;
        case 's': strip = 1; break;
        case 'h': fputs(export_usage, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option("export", c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage("export", "unexpected argument '%s'", argv[optind]);
    if (!model || (!header && !tfl))
        return vgh_usage("export", "need -m MODEL and --c-header FILE.h or --tflite FILE");
    if (tfl && strip)
        return vgh_usage("export", "--strip-meta applies to --c-header");
    if (tfl)
        return export_tflite(model, tfl, header);
    int ident = isalpha((unsigned char)name[0]) || name[0] == '_';
    for (const char *p = name; *p && ident; p++)
        ident = isalnum((unsigned char)*p) || *p == '_';
    if (!ident)
        return vgh_usage("export", "--name '%s' is not a C identifier", name);
    if (c_keyword(name))
        return vgh_usage("export", "--name '%s' is a C keyword", name);
    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(model, &mf, err, sizeof err) != 0)
        return vgh_fail("export", VGH_EXIT_INPUT, "%s", err);
    /* A device skips the host's classifiers (EVNT, SEGC): they would only take its flash. */
    const uint32_t host = host_section_bytes(&mf);
    if (strip_sections(&mf, strip, err, sizeof err) != 0) {
        vgh_model_free(&mf);
        return vgh_fail("export", VGH_EXIT_INPUT, "%s: %s", model, err);
    }
    if (host)
        fprintf(stderr,
                "vigil export: %s: left out the host-only event or segment classifier (%u "
                "bytes), which devices skip\n",
                model, host);
    /* at most ", " or ",\n    " plus "0xNN" per byte: 10 characters */
    size_t cap = (size_t)mf.m.size * 10 + 4096, used = 0;
    char *text = malloc(cap);
    if (!text) {
        vgh_model_free(&mf);
        return vgh_fail("export", VGH_EXIT_SYSTEM, "out of memory");
    }
    used += (size_t)snprintf(text + used, cap - used,
                             "/* Generated by `vigil export` from %s: %s %s model, %u bytes.\n"
                             " * Load with vg_model_parse(&model, %s, %s_len). Do not edit. */\n"
                             "#ifndef VIGIL_MODEL_%s_H\n#define VIGIL_MODEL_%s_H\n\n"
                             "#if defined(__GNUC__) || defined(__clang__)\n"
                             "__attribute__((aligned(8)))\n#endif\n"
                             "const unsigned char %s[%u] = {",
                             model, vgh_kind_article(mf.m.kind), vgh_kind_name(mf.m.kind),
                             mf.m.size, name, name, name, name, name, mf.m.size);
    for (uint32_t i = 0; i < mf.m.size; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s%s0x%02x", i ? "," : "",
                                 i % 12 ? " " : "\n    ", mf.buf[i]);
    used += (size_t)snprintf(text + used, cap - used,
                             "\n};\nconst unsigned int %s_len = %uu;\n\n#endif\n", name, mf.m.size);
    int rc = vgh_write_file(header, text, used, err, sizeof err);
    free(text);
    vgh_model_free(&mf);
    if (rc != 0)
        return vgh_fail("export", VGH_EXIT_SYSTEM, "%s", err);
    return VGH_EXIT_OK;
}
