/* SPDX-License-Identifier: MIT */
/* `vigil train --kind events`: the event classifier of a power-quality stream model, a random
 * forest over features of whole detected events (docs/power-quality.md "Event classifier"),
 * stored in the model's EVNT section. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "pq_host.h"
#include "train_forest.h"

#define CMD "train"

_Static_assert(VGH_PQ_EV_MAX_FEATURES <= VGH_RF_MAX_FEATURES,
               "the host forest trainer must take every event feature");

static const char usage_text[] =
    "Usage: vigil train --kind events -m MODEL -i STREAM.csv -o OUT [options]\n"
    "       vigil train --kind segments -m MODEL -i SNIPPETS.csv -o OUT [options]\n"
    "\n"
    "--kind events adds an event classifier to a multi-class power-quality forest trained\n"
    "on a stream (`vigil train --kind forest`). MODEL runs over STREAM.csv (a labelled stream\n"
    "as `vigil simulate power --mode stream` writes it; use another recording than the\n"
    "forest's own, whose windows the forest has learnt by heart); each detected event is\n"
    "described by its trees' vote shares (summed over its windows, and the largest in one\n"
    "window), its length, lowest and highest half-cycle RMS, largest THD and peak, the\n"
    "largest and smallest value of every window feature over it, and a least-squares fit of\n"
    "its own samples (the sag or swell gate to the sample, a flicker on it or throughout,\n"
    "harmonics inside and outside it, bursts in the residual; docs/power-quality.md \"Event\n"
    "fit\"), and labelled with the disturbance overlapping it most. A random forest on these\n"
    "is written into OUT (MODEL with an EVNT section, event feature layout 2), and `vigil\n"
    "detect` / `vigil eval` then take an event's class from it.\n"
    "\n"
    "--kind segments adds a segment classifier to a power-quality forest trained on snippets\n"
    "(`vigil train --kind forest` on a `segment` file). MODEL runs over every segment of\n"
    "SNIPPETS.csv (the forest's own training file will do: the classifier does not see the\n"
    "forest's votes); each segment is described by its last window's features and the same\n"
    "least-squares fit of its own samples as an event's, with the reference taken from the\n"
    "segment's 2-cycle block nearest 1 pu, and a matched search for an oscillatory transient\n"
    "(docs/power-quality.md, \"Segment classifier\"). A random forest on these, labelled\n"
    "with each segment's class, is written into OUT (MODEL with a SEGC section), and `vigil\n"
    "detect` / `vigil eval` on snippets then take a segment's class from it.\n"
    "\n"
    "  -m, --model MODEL       the window model (a waveform forest; multi-class for events)\n"
    "  -i, --input FILE        a labelled stream (events) or labelled snippets (segments)\n"
    "  -o, --output OUT        model to write\n"
    "      --trees T           (default 300)       --depth D (default 0 = unlimited)\n"
    "      --min-split N       (default 2)         --max-features F (default sqrt of the count)\n"
    "      --threads N         worker threads (default: all CPUs; the forest is the same)\n"
    "      --seed S            (default 1)\n"
    "      --split-events      learn from events split at an RMS re-entry (as `vigil detect\n"
    "                          --split-events`; use that option with this model then)\n"
    "  -q, --quiet\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input data or model, 2 bad usage, 3 system error.\n";

typedef struct {
    const char *model, *in, *out;
    unsigned long trees, depth, min_split, max_features, threads, seed;
    int quiet, split, segments;
} ev_opts_t;

static int ev__parse(int argc, char **argv, ev_opts_t *o)
{
    enum { O_KIND = 256, O_TREES, O_DEPTH, O_MINSPLIT, O_MAXF, O_THREADS, O_SEED, O_SPLIT };
    static const struct option lo[] = {{"model", required_argument, 0, 'm'},
                                       {"input", required_argument, 0, 'i'},
                                       {"output", required_argument, 0, 'o'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"trees", required_argument, 0, O_TREES},
                                       {"depth", required_argument, 0, O_DEPTH},
                                       {"min-split", required_argument, 0, O_MINSPLIT},
                                       {"max-features", required_argument, 0, O_MAXF},
                                       {"threads", required_argument, 0, O_THREADS},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"split-events", no_argument, 0, O_SPLIT},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->trees = 300;
    o->depth = 0;
    o->min_split = 2;
    o->seed = 1;
    int c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":m:i:o:k:qh", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'i': o->in = optarg; break;
        case 'o': o->out = optarg; break;
        case 'k':
            if (strcmp(optarg, "segments") == 0)
                o->segments = 1;
            else if (strcmp(optarg, "events") != 0)
                return vgh_usage(CMD, "--kind %s: this is --kind events or segments", optarg);
            break;
        case 'q': o->quiet = 1; break;
        case O_SPLIT: o->split = 1; break;
        case 'h': fputs(usage_text, stdout); return -1;
        case O_TREES: bad = vgh_opt_uint(CMD, "--trees", optarg, 1, VG_MAX_TREES, &o->trees); break;
        case O_DEPTH: bad = vgh_opt_uint(CMD, "--depth", optarg, 0, 64, &o->depth); break;
        case O_MINSPLIT:
            bad = vgh_opt_uint(CMD, "--min-split", optarg, 2, 1000000, &o->min_split);
            break;
        case O_MAXF:
            bad = vgh_opt_uint(CMD, "--max-features", optarg, 1, VGH_PQ_EV_MAX_FEATURES,
                               &o->max_features);
            break;
        case O_THREADS: bad = vgh_opt_uint(CMD, "--threads", optarg, 1, 256, &o->threads); break;
        case O_SEED:
            bad = vgh_opt_uint(CMD, "--seed", optarg, 0, (unsigned long)-1, &o->seed);
            break;
        default: return vgh_bad_option(CMD, c, argv);
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->model || !o->in || !o->out)
        return vgh_usage(CMD, o->segments ? "need -m MODEL, -i SNIPPETS.csv and -o OUT"
                                          : "need -m MODEL, -i STREAM.csv and -o OUT");
    if (o->segments && o->split)
        return vgh_usage(CMD, "--split-events is for --kind events");
    return 0;
}

/* Every segment's features and class (the segments the window forest classified: a dropout
 * window leaves its segment out). */
static int ev__segments(const ev_opts_t *o, vgh_model_file_t *mf, float **X, uint16_t **y,
                        size_t *n_out, size_t *n_seg)
{
    char err[1024];
    const vg_model_t *m = &mf->m;
    vgh_dataset_t ds;
    vgh_dataset_reader_t rd;
    memset(&ds, 0, sizeof ds);
    memset(&rd, 0, sizeof rd);
    vgh_pq_seg_t *seg = NULL;
    size_t n = 0;
    int code = VGH_EXIT_OK;
    if (vgh_dataset_begin(&rd, o->in, NULL, mf->channels, m->n_channels, m->sample_rate, &ds, err,
                          sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s (model %s needs it)", err, o->model);
        goto done;
    }
    if (!ds.has_segment || !ds.has_class) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: a segment classifier learns from snippets with `segment` and `class` "
                        "columns (vigil simulate power --mode snippets)",
                        o->in);
        goto done;
    }
    code = vgh_pq_run_segments(CMD, o->model, o->in, m, &rd, &ds, &seg, &n, X);
    if (code != VGH_EXIT_OK)
        goto done;
    *n_seg = n;
    *y = malloc((n + 1) * sizeof **y);
    if (!*y) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    /* the labelled rows, moved up in place; a binary window forest (`--binary`) gets a binary
     * segment classifier, with its labels: 0 normal, 1 any disturbance */
    const uint16_t nf = vgh_pq_segment_n_features(m, VGH_PQ_SEGC_LAYOUT);
    const int binary = vgh_pq_mode(m) == VGH_PQ_BINARY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const uint16_t t = binary ? (uint16_t)(seg[i].truth != VGH_PQ_NORMAL_CLASS) : seg[i].truth;
        if (seg[i].dropout || t >= m->u.forest.n_classes)
            continue;
        memmove(*X + k * nf, *X + i * nf, nf * sizeof(float));
        (*y)[k++] = t;
    }
    *n_out = k;
done:
    free(seg);
    vgh_dataset_end(&rd);
    vgh_dataset_free(&ds);
    return code;
}

/* Train the forest of a host-only stage on X (n x nf, classes y) into *forest (the caller
 * frees it) and write MODEL with it as section tag (feature layout, minimal format minor) to
 * OUT; an exit status. */
static int ev__fit_write(const ev_opts_t *o, const vgh_model_file_t *mf, const float *X,
                         const uint16_t *y, size_t n, uint16_t nf, uint32_t tag, uint16_t layout,
                         uint16_t minor, vgh_rf_t *forest, size_t *nbytes)
{
    const vg_model_t *m = &mf->m;
    char err[1024];
    if (o->max_features > nf)
        return vgh_usage(CMD, "--max-features %lu is more than the %u features", o->max_features,
                         (unsigned)nf);
    vgh_rf_cfg_t rf;
    vgh_rf_defaults(&rf);
    rf.n_trees = (unsigned)o->trees;
    rf.max_depth = (unsigned)o->depth;
    rf.min_split = (unsigned)o->min_split;
    rf.max_features = (unsigned)o->max_features;
    rf.threads = (unsigned)o->threads;
    rf.seed = o->seed;
    if (vgh_rf_train(X, y, n, nf, m->u.forest.n_classes, &rf, forest, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    uint8_t *body = NULL, *bytes = NULL;
    size_t body_len;
    int code = VGH_EXIT_OK;
    if (vgh_pq_evmodel_body(layout, nf, forest->nodes, forest->n_nodes, forest->roots,
                            forest->n_trees, m->u.forest.n_classes, m->u.forest.normal_class, &body,
                            &body_len) != 0)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
    else if (vgh_artifact_set_section(mf->buf, tag, body, body_len, minor, &bytes, nbytes, err,
                                      sizeof err) != 0 ||
             vgh_write_file(o->out, bytes, *nbytes, err, sizeof err) != 0)
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
    free(bytes);
    free(body);
    return code;
}

/* `--kind segments`: the segment classifier, into the SEGC section. */
static int ev__train_segments(const ev_opts_t *o, vgh_model_file_t *mf)
{
    const vg_model_t *m = &mf->m;
    const uint16_t nf = vgh_pq_segment_n_features(m, VGH_PQ_SEGC_LAYOUT);
    if (!nf || m->kind != VG_KIND_FOREST)
        return vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: a segment classifier needs a waveform forest (float, before `vigil "
                        "quantize`); this is %s %s model",
                        o->model, vgh_kind_article(m->kind), vgh_kind_name(m->kind));
    float *X = NULL;
    uint16_t *y = NULL;
    size_t n = 0, n_seg = 0;
    vgh_rf_t forest;
    memset(&forest, 0, sizeof forest);
    int code = ev__segments(o, mf, &X, &y, &n, &n_seg);
    if (code != VGH_EXIT_OK)
        goto done;
    if (n < 2) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %zu labelled segments, too few to learn from",
                        o->in, n);
        goto done;
    }
    size_t nbytes;
    code =
        ev__fit_write(o, mf, X, y, n, nf, VGH_SECT_SEGC, VGH_PQ_SEGC_LAYOUT, 7, &forest, &nbytes);
    if (code != VGH_EXIT_OK)
        goto done;
    if (!o->quiet)
        fprintf(stderr,
                "%zu segments, %zu labelled\ntrained segment forest: %u features, %u trees, %u "
                "nodes\nwrote %s (%zu bytes)\n",
                n_seg, n, nf, forest.n_trees, forest.n_nodes, o->out, nbytes);
done:
    free(X);
    free(y);
    vgh_rf_free(&forest);
    return code;
}

int vgh_cmd_train_events(int argc, char **argv)
{
    ev_opts_t o;
    int rc = ev__parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? VGH_EXIT_OK : rc;
    char err[1024];
    vgh_model_file_t mf;
    if (vgh_model_load(o.model, &mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    const vg_model_t *m = &mf.m;
    int code = VGH_EXIT_OK;
    vgh_pq_stream_t st;
    memset(&st, 0, sizeof st);
    float *X = NULL;
    uint16_t *y = NULL;
    vgh_rf_t forest;
    memset(&forest, 0, sizeof forest);
    if (o.segments) {
        code = ev__train_segments(&o, &mf);
        goto done;
    }
    const uint16_t nf = vgh_pq_event_n_features(m, VGH_PQ_EVNT_LAYOUT);
    if (!m->wave.present || !nf || m->kind != VG_KIND_FOREST) {
        const int binary =
            m->kind == VG_KIND_FOREST && m->wave.present && vgh_pq_mode(m) == VGH_PQ_BINARY;
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: an event classifier needs a multi-class waveform forest (float, "
                        "before `vigil quantize`); this is %s %s%s model",
                        o.model, binary ? "a" : vgh_kind_article(m->kind),
                        binary ? "binary (`--binary`, normal vs disturbed) " : "",
                        vgh_kind_name(m->kind));
        goto done;
    }
    /* Read row by row: a 12-hour stream at 6.4 kHz is 276 M rows, which in memory would take
     * gigabytes; the events and labelled runs take megabytes. */
    if (vgh_pq_stream_events_csv(m, mf.channels, o.in, o.model, o.split ? VGH_PQ_SPLIT_EVENTS : 0u,
                                 &st, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    const vgh_pq_event_t *ev = st.ev;
    const uint16_t *truth = st.truth;
    const size_t nev = st.n_ev;
    X = malloc((nev + 1) * nf * sizeof(float));
    y = malloc((nev + 1) * sizeof *y);
    if (!X || !y) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    /* Events no disturbance explains (false alarms) and events without a voted window teach
     * nothing about classes. */
    size_t n = 0, vote_ok = 0;
    for (size_t e = 0; e < nev; e++) {
        if (!truth[e] || truth[e] == m->u.forest.normal_class || !ev[e].feat ||
            truth[e] >= m->u.forest.n_classes)
            continue;
        memcpy(X + n * nf, ev[e].feat, nf * sizeof(float));
        y[n] = truth[e];
        vote_ok += ev[e].vote_cls == truth[e];
        n++;
    }
    if (n < 2) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: %zu labelled events detected, too few to learn from", o.in, n);
        goto done;
    }
    size_t nbytes;
    code =
        ev__fit_write(&o, &mf, X, y, n, nf, VGH_SECT_EVNT, VGH_PQ_EVNT_LAYOUT, 1, &forest, &nbytes);
    if (code != VGH_EXIT_OK)
        goto done;
    if (!o.quiet)
        fprintf(stderr,
                "%zu events detected, %zu labelled (the windows' soft vote names %.4f of them)\n"
                "trained event forest: %u features, %u trees, %u nodes\nwrote %s (%zu bytes)\n",
                nev, n, (double)vote_ok / (double)n, nf, forest.n_trees, forest.n_nodes, o.out,
                nbytes);
done:
    free(X);
    free(y);
    vgh_rf_free(&forest);
    vgh_pq_stream_free(&st);
    vgh_model_free(&mf);
    return code;
}
