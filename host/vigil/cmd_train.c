/* SPDX-License-Identifier: MIT */
/* vigil train: learn normalisation, model and threshold from normal data. */
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "metrics.h"
#include "run.h"
#include "threshold.h"
#include "train_ae.h"
#include "train_iforest.h"

#define CMD              "train"
#define DEFAULT_FEATURES "std,slope,adiff"

static const char usage_text[] =
    "Usage: vigil train -i FILE.csv -o MODEL --kind autoencoder|zscore|iforest [options]\n"
    "\n"
    "Learn a detector from normal data. Rows whose label is 1 (when a `label` column exists)\n"
    "and windows touching them are left out. Features are computed by the core's frontend\n"
    "at every sample position (stride 1), normalised, and the model trained on them.\n"
    "\n"
    "Data:\n"
    "  -i, --input FILE        training CSV (\"-\" = stdin)\n"
    "  -o, --output MODEL      model artifact to write\n"
    "      --columns A,B,...   sensor columns (default: every numeric column that is not\n"
    "                          timestamp/time/t, label, kind, class or segment)\n"
    "      --rate HZ           sampling rate when the file has no time column (default 1)\n"
    "Pipeline:\n"
    "      --window N          samples per window (default: 30 s of samples, 8..4096)\n"
    "      --hop H             samples between windows on the device (default window/24)\n"
    "      --features LIST     per-channel features (default " DEFAULT_FEATURES ");\n"
    "                          any of last,mean,std,min,max,slope,diff,range,adiff,maxdiff\n"
    "      --norm zscore|minmax  feature normalisation (default zscore)\n"
    "      --max-missing F     share of missing samples a window may hold before it is\n"
    "                          reported as a dropout (default 0.1)\n"
    "Model:\n"
    "  -k, --kind KIND         autoencoder, zscore or iforest (waveforms: --kind forest, or\n"
    "                          --kind iforest --waveform; see `vigil train --kind forest --help`;\n"
    "                          a stream forest's event classifier: --kind events, a\n"
    "                          snippet forest's segment classifier: --kind segments, see\n"
    "                          `vigil train --kind events --help`)\n"
    "      --hidden A,B,C      autoencoder hidden widths (default 2d,d/2,2d for d features)\n"
    "      --activation NAME   hidden activation: relu, tanh, sigmoid (default relu)\n"
    "      --epochs E          autoencoder epochs (default 200)\n"
    "      --batch B           mini-batch size (default 32)\n"
    "      --lr R              Adam learning rate (default 0.001)\n"
    "      --trees T           isolation forest trees (default 100)\n"
    "      --subsample S       isolation forest subsample size (default 256)\n"
    "      --alpha A           zscore running-baseline EWMA rate per window (default 0: fixed)\n"
    "      --seed S            random seed (default 1)\n"
    "Decision:\n"
    "      --false-alarms F    target false alarms per day of operation (default 0.2): the\n"
    "                          threshold extrapolates an exponential tail fitted to the top\n"
    "                          10% of training scores out to that rate (docs/detectors.md)\n"
    "      --margin M          multiply the fitted tail scale by M (default 1)\n"
    "      --quantile Q        instead: threshold = median + M x (Q-quantile - median)\n"
    "      --threshold T       use this raw threshold instead\n"
    "      --validate FILE     labelled CSV: tune the threshold for the best point-wise F1\n"
    "      --open-after N      windows over the threshold to open an event (default 2)\n"
    "      --close-after M     windows under it to close the event (default: one window\n"
    "                          length, window/hop, at least 4)\n"
    "  -q, --quiet             no progress output\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input data, 2 bad usage, 3 system error.\n";

typedef struct {
    const char *in, *out, *columns, *features, *validate, *hidden;
    int kind, norm, quiet;
    unsigned long window, hop, epochs, batch, trees, subsample, open_after, close_after, seed;
    double rate, max_missing, quantile, margin, threshold, lr, alpha, fa_per_day;
    unsigned act;
} train_opts_t;

static int parse_kind(const char *s)
{
    if (strcmp(s, "autoencoder") == 0 || strcmp(s, "ae") == 0)
        return VG_KIND_AUTOENCODER;
    if (strcmp(s, "zscore") == 0)
        return VG_KIND_ZSCORE;
    if (strcmp(s, "iforest") == 0)
        return VG_KIND_IFOREST;
    return 0;
}

static int parse_list_uint(const char *s, unsigned *out, size_t max, size_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || v > VG_MAX_UNITS || *n >= max)
            return -1;
        out[(*n)++] = (unsigned)v;
        if (*end == '\0')
            break;
        if (*end != ',')
            return -1;
        s = end + 1;
    }
    return *n ? 0 : -1;
}

static int parse_opts(int argc, char **argv, train_opts_t *o)
{
    enum {
        O_COLUMNS = 256,
        O_RATE,
        O_WINDOW,
        O_HOP,
        O_FEATURES,
        O_NORM,
        O_MAXMISS,
        O_HIDDEN,
        O_ACT,
        O_EPOCHS,
        O_BATCH,
        O_LR,
        O_TREES,
        O_SUB,
        O_ALPHA,
        O_SEED,
        O_QUANT,
        O_MARGIN,
        O_THR,
        O_VALIDATE,
        O_OPEN,
        O_CLOSE,
        O_FA
    };
    static const struct option lo[] = {{"input", required_argument, 0, 'i'},
                                       {"output", required_argument, 0, 'o'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"columns", required_argument, 0, O_COLUMNS},
                                       {"rate", required_argument, 0, O_RATE},
                                       {"window", required_argument, 0, O_WINDOW},
                                       {"hop", required_argument, 0, O_HOP},
                                       {"features", required_argument, 0, O_FEATURES},
                                       {"norm", required_argument, 0, O_NORM},
                                       {"max-missing", required_argument, 0, O_MAXMISS},
                                       {"hidden", required_argument, 0, O_HIDDEN},
                                       {"activation", required_argument, 0, O_ACT},
                                       {"epochs", required_argument, 0, O_EPOCHS},
                                       {"batch", required_argument, 0, O_BATCH},
                                       {"lr", required_argument, 0, O_LR},
                                       {"trees", required_argument, 0, O_TREES},
                                       {"subsample", required_argument, 0, O_SUB},
                                       {"alpha", required_argument, 0, O_ALPHA},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"quantile", required_argument, 0, O_QUANT},
                                       {"margin", required_argument, 0, O_MARGIN},
                                       {"threshold", required_argument, 0, O_THR},
                                       {"false-alarms", required_argument, 0, O_FA},
                                       {"validate", required_argument, 0, O_VALIDATE},
                                       {"open-after", required_argument, 0, O_OPEN},
                                       {"close-after", required_argument, 0, O_CLOSE},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->features = DEFAULT_FEATURES;
    o->norm = VG_NORM_ZSCORE;
    o->epochs = 200;
    o->batch = 32;
    o->lr = 1e-3;
    o->trees = 100;
    o->subsample = 256;
    o->seed = 1;
    o->quantile = 0;
    o->margin = 1.0;
    o->fa_per_day = 0.2;
    o->max_missing = 0.1;
    o->open_after = 2;
    o->act = VG_ACT_RELU;
    int c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":i:o:k:qh", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'i': o->in = optarg; break;
        case 'o': o->out = optarg; break;
        case 'k':
            o->kind = parse_kind(optarg);
            if (!o->kind)
                return vgh_usage(CMD,
                                 "unknown --kind '%s' (autoencoder, zscore, iforest; waveforms: "
                                 "forest, iforest --waveform, events, segments)",
                                 optarg);
            break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return -1;
        case O_COLUMNS: o->columns = optarg; break;
        case O_RATE: bad = vgh_opt_double(CMD, "--rate", optarg, 1e-6, 1e9, &o->rate); break;
        case O_WINDOW:
            bad = vgh_opt_uint(CMD, "--window", optarg, 1, VG_MAX_WINDOW, &o->window);
            break;
        case O_HOP: bad = vgh_opt_uint(CMD, "--hop", optarg, 1, VG_MAX_WINDOW, &o->hop); break;
        case O_FEATURES: o->features = optarg; break;
        case O_NORM:
            if (strcmp(optarg, "zscore") == 0)
                o->norm = VG_NORM_ZSCORE;
            else if (strcmp(optarg, "minmax") == 0)
                o->norm = VG_NORM_MINMAX;
            else
                return vgh_usage(CMD, "unknown --norm '%s' (zscore, minmax)", optarg);
            break;
        case O_MAXMISS:
            bad = vgh_opt_double(CMD, "--max-missing", optarg, 0, 1, &o->max_missing);
            break;
        case O_HIDDEN: o->hidden = optarg; break;
        case O_ACT:
            if (strcmp(optarg, "relu") == 0)
                o->act = VG_ACT_RELU;
            else if (strcmp(optarg, "tanh") == 0)
                o->act = VG_ACT_TANH;
            else if (strcmp(optarg, "sigmoid") == 0)
                o->act = VG_ACT_SIGMOID;
            else
                return vgh_usage(CMD, "unknown --activation '%s' (relu, tanh, sigmoid)", optarg);
            break;
        case O_EPOCHS: bad = vgh_opt_uint(CMD, "--epochs", optarg, 1, 1000000, &o->epochs); break;
        case O_BATCH: bad = vgh_opt_uint(CMD, "--batch", optarg, 1, 1000000, &o->batch); break;
        case O_LR: bad = vgh_opt_double(CMD, "--lr", optarg, 1e-9, 10, &o->lr); break;
        case O_TREES: bad = vgh_opt_uint(CMD, "--trees", optarg, 1, VG_MAX_TREES, &o->trees); break;
        case O_SUB: bad = vgh_opt_uint(CMD, "--subsample", optarg, 2, 4096, &o->subsample); break;
        case O_ALPHA: bad = vgh_opt_double(CMD, "--alpha", optarg, 0, 1, &o->alpha); break;
        case O_SEED:
            bad = vgh_opt_uint(CMD, "--seed", optarg, 0, (unsigned long)-1, &o->seed);
            break;
        case O_QUANT: bad = vgh_opt_double(CMD, "--quantile", optarg, 0.5, 1, &o->quantile); break;
        case O_FA:
            bad = vgh_opt_double(CMD, "--false-alarms", optarg, 1e-9, 1e6, &o->fa_per_day);
            break;
        case O_MARGIN: bad = vgh_opt_double(CMD, "--margin", optarg, 1e-6, 1e6, &o->margin); break;
        case O_THR:
            bad = vgh_opt_double(CMD, "--threshold", optarg, 1e-30, 1e30, &o->threshold);
            break;
        case O_VALIDATE: o->validate = optarg; break;
        case O_OPEN:
            bad = vgh_opt_uint(CMD, "--open-after", optarg, 1, 65535, &o->open_after);
            break;
        case O_CLOSE:
            bad = vgh_opt_uint(CMD, "--close-after", optarg, 1, 65535, &o->close_after);
            break;
        default: return vgh_bad_option(CMD, c, argv);
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->in)
        return vgh_usage(CMD, "missing -i FILE.csv");
    if (!o->out)
        return vgh_usage(CMD, "missing -o MODEL");
    if (!o->kind)
        return vgh_usage(CMD, "missing --kind (autoencoder, zscore, iforest)");
    return 0;
}

/* Feature descriptors: every listed feature for every channel, channel-major. */
static int build_features(const char *list, size_t n_ch, vgh_artifact_spec_t *s)
{
    unsigned ids[VG_FEAT_COUNT];
    size_t nid = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        unsigned id;
        if (vg_feature_from_name(p, l, &id) != VG_OK)
            return vgh_usage(CMD,
                             "--features: unknown feature '%.*s' (last, mean, std, min, "
                             "max, slope, diff, range, adiff, maxdiff)",
                             (int)l, p);
        for (size_t i = 0; i < nid; i++)
            if (ids[i] == id)
                return vgh_usage(CMD, "--features: '%.*s' listed twice", (int)l, p);
        ids[nid++] = id;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n_ch * nid > VG_MAX_FEATURES)
        return vgh_usage(CMD, "%zu channels x %zu features exceeds %d features", n_ch, nid,
                         VG_MAX_FEATURES);
    s->n_features = 0;
    for (size_t c = 0; c < n_ch; c++)
        for (size_t i = 0; i < nid; i++) {
            vg_feat_desc_t *f = &s->feats[s->n_features++];
            f->channel = (uint8_t)c;
            f->feature = (uint8_t)ids[i];
            f->reserved = 0;
        }
    return 0;
}

/* Windows of normal data at every sample position, through the core's own frontend. */
static int extract_windows(const vgh_dataset_t *ds, const vgh_artifact_spec_t *s, float **out,
                           size_t *n_out, size_t *skipped)
{
    vg_frontend_cfg_t cfg = {s->sample_rate, s->n_channels, s->window, 1, s->n_features, s->feats};
    size_t alen = vg_frontend_arena_size(&cfg);
    void *arena = malloc(alen);
    float *F = malloc(ds->n * s->n_features * sizeof(float) + 1);
    if (!arena || !F) {
        free(arena);
        free(F);
        return -1;
    }
    vg_frontend_t fe;
    if (vg_frontend_init(&fe, &cfg, arena, alen) != VG_OK) {
        free(arena);
        free(F);
        return -1;
    }
    size_t m = 0, labelled = 0;
    *skipped = 0;
    for (size_t i = 0; i < ds->n; i++) {
        uint8_t done;
        uint16_t miss;
        /* labelled counts the anomalous rows inside the current window */
        labelled += ds->label[i];
        if (i >= s->window)
            labelled -= ds->label[i - s->window];
        vg_frontend_push(&fe, ds->x + i * ds->n_ch, F + m * s->n_features, &done, &miss);
        if (!done)
            continue;
        if (labelled || miss > s->max_missing_pm) {
            (*skipped)++;
            continue;
        }
        m++;
    }
    free(arena);
    *out = F;
    *n_out = m;
    return 0;
}

static void fit_norm(const float *F, size_t m, vgh_artifact_spec_t *s)
{
    for (uint16_t k = 0; k < s->n_features; k++) {
        vg_welford_t w;
        vg_welford_init(&w);
        double mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < m; i++) {
            double v = F[i * s->n_features + k];
            vg_welford_add(&w, v);
            mn = fmin(mn, v);
            mx = fmax(mx, v);
        }
        double sd = sqrt(vg_welford_var(&w));
        /* A feature constant in training (a stuck test rig, a quantised sensor) would get
         * an infinite scale; floor the spread at 1e-3 of its magnitude (or 1e-6). */
        double floor = fmax(1e-6, 1e-3 * fabs(w.mean));
        if (s->norm_kind == VG_NORM_MINMAX) {
            s->norm[2 * k] = (float)mn;
            s->norm[2 * k + 1] = (float)(1.0 / fmax(mx - mn, floor));
        } else {
            s->norm[2 * k] = (float)w.mean;
            s->norm[2 * k + 1] = (float)(1.0 / fmax(sd, floor));
        }
    }
}

/* Best point-wise F1 over candidate thresholds, replaying the model's hysteresis. */
static float tune_on_validation(const vgh_run_t *run, const vgh_dataset_t *vd,
                                const vgh_artifact_spec_t *s, float start, double *best_f1)
{
    size_t nw = 0;
    float *ws = malloc(run->n * sizeof(float) + 1);
    uint8_t *pred = malloc(run->n + 1);
    if (!ws || !pred) {
        free(ws);
        free(pred);
        *best_f1 = NAN;
        return start;
    }
    for (size_t i = 0; i < run->n; i++)
        if (run->window[i] && isfinite(run->raw[i]))
            ws[nw++] = run->raw[i];
    float best = start;
    *best_f1 = -1;
    for (int q = -1; q < 400; q++) {
        float thr = q < 0 ? start : vgh_quantile(ws, nw, 0.5 + 0.5 * (double)q / 400.0);
        if (!(thr > 0))
            continue;
        vgh_run_decide(run, thr, s->open_after, s->close_after, pred);
        size_t tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < run->n; i++) {
            tp += pred[i] && vd->label[i];
            fp += pred[i] && !vd->label[i];
            fn += !pred[i] && vd->label[i];
        }
        double f1 = tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0;
        if (f1 > *best_f1 || (f1 == *best_f1 && thr > best)) {
            *best_f1 = f1;
            best = thr;
        }
    }
    free(ws);
    free(pred);
    return best;
}

int vgh_cmd_train(int argc, char **argv)
{
    /* Random forests learn from labelled waveforms: their own options (cmd_pq.c). */
    for (int a = 1; a + 1 < argc; a++)
        if ((strcmp(argv[a], "--kind") == 0 || strcmp(argv[a], "-k") == 0) &&
            strcmp(argv[a + 1], "forest") == 0)
            return vgh_cmd_train_forest(argc, argv);
    /* The event classifier of a power-quality stream model (cmd_pq_events.c). */
    /* ... and the segment classifier of a snippet model (the same file). */
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--kind=events") == 0 || strcmp(argv[a], "--kind=segments") == 0 ||
            ((strcmp(argv[a], "--kind") == 0 || strcmp(argv[a], "-k") == 0) && a + 1 < argc &&
             (strcmp(argv[a + 1], "events") == 0 || strcmp(argv[a + 1], "segments") == 0)))
            return vgh_cmd_train_events(argc, argv);
    for (int a = 1; a < argc; a++)
        if (strcmp(argv[a], "--kind=forest") == 0 || strcmp(argv[a], "--waveform") == 0)
            return vgh_cmd_train_forest(argc, argv);
    train_opts_t o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? VGH_EXIT_OK : rc;
    char err[1024];
    vgh_dataset_t ds;
    if (vgh_dataset_load(o.in, o.columns, NULL, 0, o.rate, &ds, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);

    vgh_artifact_spec_t s;
    memset(&s, 0, sizeof s);
    s.kind = (uint16_t)o.kind;
    s.sample_rate = (float)ds.rate;
    s.n_channels = (uint16_t)ds.n_ch;
    unsigned long win = o.window ? o.window : (unsigned long)lround(30.0 * ds.rate);
    if (!o.window)
        win = win < 8 ? 8 : win > VG_MAX_WINDOW ? VG_MAX_WINDOW : win;
    unsigned long hop = o.hop ? o.hop : (win / 24 ? win / 24 : 1);
    if (hop > win) {
        vgh_dataset_free(&ds);
        return vgh_usage(CMD, "--hop %lu is longer than the window (%lu)", hop, win);
    }
    s.window = (uint16_t)win;
    s.hop = (uint16_t)hop;
    s.norm_kind = (uint16_t)o.norm;
    s.max_missing_pm = (uint16_t)lround(o.max_missing * 1000.0);
    s.open_after = (uint16_t)o.open_after;
    if (!o.close_after)
        o.close_after = win / hop > 4 ? win / hop : 4;
    s.close_after = (uint16_t)(o.close_after > 65535 ? 65535 : o.close_after);
    s.zscore_alpha = (float)o.alpha;
    if ((rc = build_features(o.features, ds.n_ch, &s)) != 0) {
        vgh_dataset_free(&ds);
        return rc;
    }
    if (ds.n < win) {
        vgh_dataset_free(&ds);
        return vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: %zu rows is less than one window (%lu samples); use --window", o.in,
                        ds.n, win);
    }

    float *F = NULL;
    size_t m = 0, skipped = 0;
    if (extract_windows(&ds, &s, &F, &m, &skipped) != 0) {
        vgh_dataset_free(&ds);
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory extracting windows");
    }
    if (m < 2) {
        free(F);
        vgh_dataset_free(&ds);
        return vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: only %zu normal windows of %lu samples (%zu skipped for labels or "
                        "missing samples); need more normal data",
                        o.in, m, win, skipped);
    }
    fit_norm(F, m, &s);
    for (size_t i = 0; i < m; i++)
        vg_normalise(s.norm, F + i * s.n_features, F + i * s.n_features, s.n_features);

    clock_t t0 = clock();
    vgh_net_t net;
    vgh_iforest_t forest;
    memset(&net, 0, sizeof net);
    memset(&forest, 0, sizeof forest);
    char *meta = NULL;
    size_t meta_len = 0;
    int exit_code = VGH_EXIT_OK;
    double final_loss = NAN;
    if (o.kind == VG_KIND_AUTOENCODER) {
        unsigned hidden[VG_MAX_LAYERS];
        size_t nh = 0;
        if (o.hidden) {
            if (parse_list_uint(o.hidden, hidden, VG_MAX_LAYERS - 1, &nh) != 0) {
                exit_code = vgh_usage(CMD, "--hidden '%s': give 1-%d widths of 1-%d units",
                                      o.hidden, VG_MAX_LAYERS - 1, VG_MAX_UNITS);
                goto done;
            }
        } else {
            unsigned d = s.n_features;
            unsigned wide = d * 2 < 8 ? 8 : d * 2 > VG_MAX_UNITS ? VG_MAX_UNITS : d * 2;
            unsigned narrow = d / 2 ? d / 2 : 1;
            hidden[0] = wide;
            hidden[1] = narrow;
            hidden[2] = wide;
            nh = d >= 2 ? 3 : 1;
        }
        vgh_ae_cfg_t cfg;
        vgh_ae_defaults(&cfg);
        cfg.hidden = hidden;
        cfg.n_hidden = nh;
        cfg.act_hidden = o.act;
        cfg.epochs = (unsigned)o.epochs;
        cfg.batch = (unsigned)o.batch;
        cfg.lr = (float)o.lr;
        cfg.seed = o.seed;
        /* The bar redraws with \r: only on a terminal, never into logs. */
        cfg.progress = o.quiet || !isatty(fileno(stderr)) ? NULL : stderr;
        if (vgh_ae_train(F, m, s.n_features, &cfg, &net, err, sizeof err) != 0) {
            exit_code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        s.n_layers = net.n_layers;
        memcpy(s.layers, net.layers, sizeof s.layers);
        s.params = net.params;
        s.n_params = net.n_params;
        float scratch[2 * VG_MAX_UNITS];
        double sum = 0;
        for (size_t i = 0; i < m; i++)
            sum += vgh_ae_error(&net, F + i * s.n_features, scratch);
        final_loss = sum / (double)m;
    } else if (o.kind == VG_KIND_IFOREST) {
        vgh_if_cfg_t cfg;
        vgh_if_defaults(&cfg);
        cfg.n_trees = (unsigned)o.trees;
        cfg.subsample = (unsigned)o.subsample;
        cfg.seed = o.seed;
        if (vgh_iforest_train(F, m, s.n_features, &cfg, &forest, err, sizeof err) != 0) {
            exit_code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        s.nodes = forest.nodes;
        s.n_nodes = forest.n_nodes;
        s.roots = forest.roots;
        s.n_trees = forest.n_trees;
        s.c_norm = forest.c_norm;
    }
    double train_s = (double)(clock() - t0) / CLOCKS_PER_SEC;

    /* Training scores through the core's own scoring of a provisional artifact. */
    s.threshold = 1.0f;
    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0) {
        exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    vg_model_t pm;
    vg_model_parse(&pm, bytes, nbytes);
    float *scores = malloc(m * sizeof(float));
    float *scratch = malloc(vg_model_scratch_size(&pm) + 4);
    if (!scores || !scratch) {
        free(scores);
        free(scratch);
        free(bytes);
        exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        vg_model_score(&pm, F + i * s.n_features, &scores[i], NULL, NULL, scratch);
    free(scratch);
    float q50 = vgh_quantile(scores, m, 0.5), q99 = vgh_quantile(scores, m, 0.99);
    float qmax = vgh_quantile(scores, m, 1.0);
    char rule[256];
    float thr;
    if (o.quantile > 0) {
        /* The margin stretches the spread above the median, not the score itself, so it
         * means the same for scores that start at 0 (RMS error, |z|) and for scores that
         * do not (isolation forest, around 0.4-0.5 for normal data). */
        thr = (float)(q50 + o.margin * (vgh_quantile(scores, m, o.quantile) - q50));
        snprintf(rule, sizeof rule,
                 "median + %.6g x (quantile %.6g - median) of %zu training windows", o.margin,
                 o.quantile, m);
    } else {
        double per_day = 86400.0 * (double)s.sample_rate / s.hop;
        double beta;
        thr = vgh_tail_threshold(scores, m, o.fa_per_day / per_day, o.margin, &beta);
        snprintf(rule, sizeof rule,
                 "exponential tail (scale %.4g) of %zu training windows, extrapolated to %.3g "
                 "false alarms per day",
                 beta, m, o.fa_per_day);
    }
    if (o.kind == VG_KIND_IFOREST && o.quantile <= 0 && thr >= qmax) {
        /* An isolation forest cannot score beyond its training hull: points far outside
         * get the same short paths as the most extreme training points, so an extrapolated
         * threshold above the highest training score could never fire. */
        thr = nextafterf(qmax, 0.0f); /* out-of-hull points score exactly qmax: be below it */
        snprintf(rule, sizeof rule,
                 "highest score of %zu training windows (an isolation forest's score does not "
                 "extrapolate)",
                 m);
    }
    if (!(thr > 0))
        thr = qmax > 0 ? qmax : 1e-6f;
    if (o.threshold > 0) {
        thr = (float)o.threshold;
        snprintf(rule, sizeof rule, "given on the command line");
    }
    free(scores);

    if (o.validate) {
        vgh_dataset_t vd;
        if (vgh_dataset_load(o.validate, NULL, ds.ch_names, ds.n_ch, ds.rate, &vd, err,
                             sizeof err) != 0) {
            free(bytes);
            exit_code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        if (!vd.has_label) {
            vgh_dataset_free(&vd);
            free(bytes);
            exit_code =
                vgh_fail(CMD, VGH_EXIT_INPUT, "%s: --validate needs a 'label' column", o.validate);
            goto done;
        }
        size_t anomalous = 0;
        for (size_t i = 0; i < vd.n; i++)
            anomalous += vd.label[i];
        if (anomalous == 0) {
            vgh_dataset_free(&vd);
            free(bytes);
            exit_code =
                vgh_fail(CMD, VGH_EXIT_INPUT,
                         "%s: --validate needs labelled anomalies (every label is 0)", o.validate);
            goto done;
        }
        vgh_run_t run;
        if (vgh_run_model(&pm, &vd, &run, err, sizeof err) != 0) {
            vgh_dataset_free(&vd);
            free(bytes);
            exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
            goto done;
        }
        double f1;
        thr = tune_on_validation(&run, &vd, &s, thr, &f1);
        snprintf(rule, sizeof rule, "best point-wise F1 %.4f on %s", f1, o.validate);
        vgh_run_free(&run);
        vgh_dataset_free(&vd);
    }
    free(bytes);
    s.threshold = thr;

    int ok = vgh_meta_append(&meta, &meta_len, "created_by=vigil %s", VIGIL_VERSION) == 0;
    char chans[1024] = "";
    for (size_t c = 0; c < ds.n_ch; c++) {
        strncat(chans, c ? "," : "", sizeof chans - strlen(chans) - 1);
        strncat(chans, ds.ch_names[c], sizeof chans - strlen(chans) - 1);
    }
    ok = ok && vgh_meta_append(&meta, &meta_len, "channels=%s", chans) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_file=%s", o.in) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_rows=%zu", ds.n) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_windows=%zu", m) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "threshold_rule=%s", rule) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_score_median=%.6g", (double)q50) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_score_q99=%.6g", (double)q99) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_score_max=%.6g", (double)qmax) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "seed=%lu", o.seed) == 0;
    if (o.kind == VG_KIND_AUTOENCODER)
        ok = ok && vgh_meta_append(&meta, &meta_len, "epochs=%lu\nfinal_loss=%.6g", o.epochs,
                                   final_loss) == 0;
    if (!ok) {
        exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    s.meta = meta;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0) {
        exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    if (vgh_write_file(o.out, bytes, nbytes, err, sizeof err) != 0) {
        free(bytes);
        exit_code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    free(bytes);
    if (!o.quiet)
        fprintf(stderr,
                "trained %s on %zu windows of %u samples (%zu skipped) from %zu rows in %.3f s\n"
                "features: %u (%zu channels), threshold %.6g (%s)\nwrote %s (%zu bytes)\n",
                vgh_kind_name(s.kind), m, s.window, skipped, ds.n, train_s, s.n_features, ds.n_ch,
                (double)thr, rule, o.out, nbytes);
done:
    free(meta);
    free(F);
    vgh_net_free(&net);
    vgh_iforest_free(&forest);
    vgh_dataset_free(&ds);
    return exit_code;
}
