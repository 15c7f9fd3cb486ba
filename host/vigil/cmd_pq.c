/* SPDX-License-Identifier: MIT */
/* Power quality: `vigil train --kind forest` on waveforms, and `vigil detect` / `vigil eval`
 * for models with a WAVE pipeline (per-cycle features, random forest, events). */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact.h"
#include "butter.h"
#include "cli.h"
#include "dataset.h"
#include "pq_host.h"
#include "sim_power.h"
#include "threshold.h"
#include "train_forest.h"
#include "train_iforest.h"

#define CMD "train"

/* The impulse rule's default share (docs/power-quality.md, "Impulses and false alarms"). */
#define PQ_IMPULSE_CLASS   5u
#define PQ_IMPULSE_DEFAULT 0.6 /* also in the usage text */

#define PQ_DEFAULT_FEATURES                                                                        \
    "rms.min,rms.max,rms.mean,rms.sd,hrms_min.min,hrms_max.max,hrms_min.range,"                    \
    "hrms_max.range,peak.max,crest.max,h1.min,h1.max,thd.min,thd.max,thd.mean,"                    \
    "h3.max,h5.max,h7.max,resid.max,resid.mean,dmax.max,skew.max,skew.min,kurt.max,"               \
    "kurt.min,hf.max,hf.mean,trans.max,trans.mean,rpeak.max,thd.at_low,thd.at_high,"               \
    "h3.at_low,h3.at_high,h5.at_low,h5.at_high,hf.at_low,hf.at_high,resid.at_low,"                 \
    "resid.at_high,trans.at_low,odd.at_low,even.at_low,odd.at_high,even.at_high,odd.max,"          \
    "even.max,h3.coh,h5.coh,h7.coh,thd.coh,odd.coh,even.coh,odd.coh_low,odd.coh_high,"             \
    "h3.coh_low,h3.coh_high,h1.mdiff,"                                                             \
    "rms.mdiff,hrms_max.mdiff,ot_band.max,ot_band.mean,ot_band.range,ot_band.at_low,"              \
    "ot_share.max,ot_share.mean,ot_share.at_low,ot_share.at_high,trans_prev.max,"                  \
    "trans_prev.mean,h3.coh_in_low,h5.coh_in_low,h3.coh_in_high,h5.coh_in_high"
#define PQ_CURRENT_FEATURES ",irms.min,irms.max,p.mean,pf.min,pf.mean"

static const char usage_text[] =
    "Usage: vigil train -i WAVE.csv -o MODEL --kind forest [options]\n"
    "\n"
    "Random forest over per-cycle power-quality features (docs/power-quality.md). The input is\n"
    "a waveform CSV as `vigil simulate power` writes it: snippets (`segment,t,v,class`: one\n"
    "labelled waveform per segment) or a stream (`t,v[,i],label,class`). Labels come from the\n"
    "`class` column (1 = no disturbance, 2 = sag, ...; see `vigil simulate power --help`).\n"
    "Snippets give one window per segment; a stream gives a window every --hop-cycles, labelled\n"
    "with the disturbance it holds (at least half a cycle of it), else 1.\n"
    "\n"
    "  -i, --input FILE        waveform CSV\n"
    "  -o, --output MODEL      model artifact to write\n"
    "  -k, --kind forest       random forest on labelled windows, or\n"
    "  -k, --kind iforest --waveform\n"
    "                          isolation forest for the case with no labels: trained on the\n"
    "                          windows no disturbance touches (class other than 1, or label\n"
    "                          1, in the window or the 2 cycles before it) when the file has\n"
    "                          a `class` or `label` column, else on all; threshold from the\n"
    "                          training scores' tail (--false-alarms per day), capped at the\n"
    "                          highest training score; events open on 3 windows in a row\n"
    "      --columns V[,I]     voltage (and current) columns (default: the columns named v,\n"
    "                          and i if present; or the only numeric column)\n"
    "      --rate HZ           sampling rate of a file with no time column (t, time or\n"
    "                          timestamp), 1000..1000000\n"
    "      --f0 HZ             nominal frequency, 40..100 (default 50)\n"
    "      --scale S           multiply voltage samples by S to get per-unit (default 1)\n"
    "      --scale-i S         the same for current (default 1)\n"
    "      --cycles K          cycles per window (default: a whole segment for snippets, 10\n"
    "                          for a stream)\n"
    "      --hop-cycles H      cycles between windows on a stream (default 1)\n"
    "      --features LIST     quantity.aggregate list (default: 74 voltage features, 5 more\n"
    "                          with current); quantities rms,hrms_min,hrms_max,peak,crest,freq,\n"
    "                          h1,thd,h3,h5,h7,resid,dmax,skew,kurt,hf,irms,p,q,s,pf,trans,rpeak,\n"
    "                          odd,even,ot_band,ot_share,trans_prev;\n"
    "                          aggregates min,max,mean,sd,range,at_low,at_high,coh,coh_low,\n"
    "                          coh_high,mdiff,coh_in_low,coh_in_high,sd_in_low,sd_in_high\n"
    "      --max-harmonic H    highest harmonic order for THD (default 40, limited by Nyquist)\n"
    "      --binary            two classes: normal (0) against any disturbance (1)\n"
    "      --trees T           (default 100)       --depth D       (default 16)\n"
    "      --subsample S       isolation forest subsample size (default 256)\n"
    "      --false-alarms F    isolation forest: target false alarms per day (default 0.2)\n"
    "      --min-split N       (default 5)         --max-features F (default sqrt of the count)\n"
    "      --balanced          class weights n / (k n_c), as scikit-learn's 'balanced'\n"
    "      --threads N         worker threads (default: all CPUs; the forest is the same)\n"
    "      --seed S            (default 1)\n"
    "      --open-after N      consecutive windows over the threshold to open an event\n"
    "                          (default when a window holds 4 hops or more: 2, for an\n"
    "                          isolation forest 3; else 1)\n"
    "      --impulse-share S   a window whose most-voted disturbance is the impulse (class 5,\n"
    "                          shorter than half a cycle) is over only when more than S of the\n"
    "                          trees vote for a disturbance; 0 = no such rule (default 0.6\n"
    "                          for a stream with classes, 0 for snippets and --binary)\n"
    "  -q, --quiet\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 1 bad input data, 2 bad usage, 3 system error.\n";

typedef struct {
    const char *in, *out, *columns, *features;
    double f0, scale, scale_i, rate;
    unsigned long cycles, hop, max_h, trees, depth, min_split, max_features, threads, seed,
        subsample, open_after;
    double fa_per_day, impulse_share;
    int binary, balanced, quiet, kind, impulse_set;
    const char *forest_only, *iforest_only; /**< the first such option given, for the check */
} pq_opts_t;

static int pq__parse(int argc, char **argv, pq_opts_t *o)
{
    enum {
        O_COLUMNS = 256,
        O_WAVEFORM,
        O_SUB,
        O_FA,
        O_F0,
        O_SCALE,
        O_SCALE_I,
        O_CYCLES,
        O_HOP,
        O_FEATURES,
        O_MAXH,
        O_BINARY,
        O_TREES,
        O_DEPTH,
        O_MINSPLIT,
        O_MAXF,
        O_BALANCED,
        O_THREADS,
        O_SEED,
        O_OPEN,
        O_IMPULSE,
        O_RATE
    };
    static const struct option lo[] = {{"input", required_argument, 0, 'i'},
                                       {"output", required_argument, 0, 'o'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"columns", required_argument, 0, O_COLUMNS},
                                       {"f0", required_argument, 0, O_F0},
                                       {"rate", required_argument, 0, O_RATE},
                                       {"scale", required_argument, 0, O_SCALE},
                                       {"scale-i", required_argument, 0, O_SCALE_I},
                                       {"cycles", required_argument, 0, O_CYCLES},
                                       {"hop-cycles", required_argument, 0, O_HOP},
                                       {"features", required_argument, 0, O_FEATURES},
                                       {"max-harmonic", required_argument, 0, O_MAXH},
                                       {"binary", no_argument, 0, O_BINARY},
                                       {"trees", required_argument, 0, O_TREES},
                                       {"depth", required_argument, 0, O_DEPTH},
                                       {"min-split", required_argument, 0, O_MINSPLIT},
                                       {"max-features", required_argument, 0, O_MAXF},
                                       {"balanced", no_argument, 0, O_BALANCED},
                                       {"threads", required_argument, 0, O_THREADS},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"waveform", no_argument, 0, O_WAVEFORM},
                                       {"subsample", required_argument, 0, O_SUB},
                                       {"false-alarms", required_argument, 0, O_FA},
                                       {"open-after", required_argument, 0, O_OPEN},
                                       {"impulse-share", required_argument, 0, O_IMPULSE},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->f0 = 50;
    o->scale = 1;
    o->scale_i = 1;
    o->hop = 1;
    o->max_h = 40;
    o->trees = 100;
    o->depth = 16;
    o->min_split = 5;
    o->seed = 1;
    o->subsample = 256;
    o->fa_per_day = 0.2;
    o->kind = VG_KIND_FOREST;
    int c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":i:o:k:qh", lo, NULL)) != -1) {
        int bad = 0;
        if (c == O_SUB || c == O_FA)
            o->iforest_only = c == O_SUB ? "--subsample" : "--false-alarms";
        if (!o->forest_only && (c == O_BINARY || c == O_DEPTH || c == O_MINSPLIT || c == O_MAXF ||
                                c == O_BALANCED || c == O_IMPULSE))
            o->forest_only = c == O_BINARY     ? "--binary"
                             : c == O_DEPTH    ? "--depth"
                             : c == O_MINSPLIT ? "--min-split"
                             : c == O_MAXF     ? "--max-features"
                             : c == O_BALANCED ? "--balanced"
                                               : "--impulse-share";
        switch (c) {
        case 'i': o->in = optarg; break;
        case 'o': o->out = optarg; break;
        case 'k':
            if (strcmp(optarg, "forest") == 0)
                o->kind = VG_KIND_FOREST;
            else if (strcmp(optarg, "iforest") == 0)
                o->kind = VG_KIND_IFOREST;
            else
                return vgh_usage(CMD, "--kind %s does not take waveforms; use forest or iforest",
                                 optarg);
            break;
        case O_WAVEFORM: break;
        case O_SUB: bad = vgh_opt_uint(CMD, "--subsample", optarg, 2, 4096, &o->subsample); break;
        case O_FA:
            bad = vgh_opt_double(CMD, "--false-alarms", optarg, 1e-9, 1e6, &o->fa_per_day);
            break;
        case 'q': o->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return -1;
        case O_COLUMNS: o->columns = optarg; break;
        case O_F0: bad = vgh_opt_double(CMD, "--f0", optarg, 40, 100, &o->f0); break;
        case O_RATE: bad = vgh_opt_double(CMD, "--rate", optarg, 1000, 1e6, &o->rate); break;
        case O_SCALE: bad = vgh_opt_double(CMD, "--scale", optarg, 1e-12, 1e12, &o->scale); break;
        case O_SCALE_I:
            bad = vgh_opt_double(CMD, "--scale-i", optarg, 1e-12, 1e12, &o->scale_i);
            break;
        case O_CYCLES:
            bad = vgh_opt_uint(CMD, "--cycles", optarg, 1, VG_PQ_MAX_WINDOW, &o->cycles);
            break;
        case O_HOP:
            bad = vgh_opt_uint(CMD, "--hop-cycles", optarg, 1, VG_PQ_MAX_WINDOW, &o->hop);
            break;
        case O_FEATURES: o->features = optarg; break;
        case O_MAXH: bad = vgh_opt_uint(CMD, "--max-harmonic", optarg, 1, 50, &o->max_h); break;
        case O_BINARY: o->binary = 1; break;
        case O_TREES: bad = vgh_opt_uint(CMD, "--trees", optarg, 1, VG_MAX_TREES, &o->trees); break;
        case O_DEPTH: bad = vgh_opt_uint(CMD, "--depth", optarg, 1, 64, &o->depth); break;
        case O_MINSPLIT:
            bad = vgh_opt_uint(CMD, "--min-split", optarg, 2, 1000000, &o->min_split);
            break;
        case O_MAXF:
            bad = vgh_opt_uint(CMD, "--max-features", optarg, 1, VG_MAX_FEATURES, &o->max_features);
            break;
        case O_BALANCED: o->balanced = 1; break;
        case O_THREADS: bad = vgh_opt_uint(CMD, "--threads", optarg, 1, 256, &o->threads); break;
        case O_SEED:
            bad = vgh_opt_uint(CMD, "--seed", optarg, 0, (unsigned long)-1, &o->seed);
            break;
        case O_OPEN:
            bad = vgh_opt_uint(CMD, "--open-after", optarg, 1, 65535, &o->open_after);
            break;
        case O_IMPULSE:
            bad = vgh_opt_double(CMD, "--impulse-share", optarg, 0.0, 1.0, &o->impulse_share);
            o->impulse_set = 1;
            break;
        default: return vgh_bad_option(CMD, c, argv);
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->in || !o->out)
        return vgh_usage(CMD, "need -i WAVE.csv and -o MODEL");
    if (o->kind == VG_KIND_FOREST && o->iforest_only)
        return vgh_usage(CMD, "%s is for --kind iforest --waveform", o->iforest_only);
    if (o->kind == VG_KIND_IFOREST && o->forest_only)
        return vgh_usage(CMD, "%s is for --kind forest", o->forest_only);
    return 0;
}

static int pq__features(const char *list, vgh_artifact_spec_t *s)
{
    s->n_features = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        unsigned q, a;
        if (vg_pq_feature_from_name(p, l, &q, &a) != VG_OK)
            return vgh_usage(CMD,
                             "--features: unknown feature '%.*s' (quantity.aggregate, e.g. "
                             "rms.min; see --help)",
                             (int)l, p);
        if (q >= VG_PQ_IRMS && q <= VG_PQ_PF && s->n_channels < 2)
            return vgh_usage(CMD, "--features: '%.*s' needs a current column", (int)l, p);
        if (s->n_features >= VG_MAX_FEATURES)
            return vgh_usage(CMD, "--features: more than %d features", VG_MAX_FEATURES);
        vg_feat_desc_t *f = &s->feats[s->n_features++];
        f->channel = (uint8_t)q;
        f->feature = (uint8_t)a;
        f->reserved = 0;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/* Isolation forest on the windows no disturbance touches (none in the window or the two
 * cycles before it, vgh_pq_win_end()) when the data is labelled, else on every window; the
 * threshold extrapolates the training scores' tail to the requested false alarms per day,
 * capped at the highest training score (docs/detectors.md). */
static int pq__fit_iforest(const pq_opts_t *o, vgh_artifact_spec_t *s, const float *X,
                           const uint8_t *touched, size_t n, vgh_iforest_t *iso, size_t *n_fit,
                           char *err, size_t errlen)
{
    const size_t d = s->n_features;
    float *N = malloc(n * d * sizeof(float) + 1);
    if (!N) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!touched[i])
            memcpy(N + (m++) * d, X + i * d, d * sizeof(float));
    if (m < 2) {
        free(N);
        snprintf(err, errlen,
                 "only %zu windows without a disturbance (none in the window or the 2 cycles "
                 "before it) to learn normal from",
                 m);
        return -1;
    }
    vgh_if_cfg_t cfg;
    vgh_if_defaults(&cfg);
    cfg.n_trees = (unsigned)o->trees;
    cfg.subsample = (unsigned)o->subsample;
    cfg.seed = o->seed;
    if (vgh_iforest_train(N, m, d, &cfg, iso, err, errlen) != 0) {
        free(N);
        return -1;
    }
    float *sc = malloc(m * sizeof(float));
    if (!sc) {
        free(N);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < m; i++)
        sc[i] = vgh_iforest_score(iso, N + i * d);
    double per_day = 86400.0 * (double)s->f_nominal / s->hop, beta;
    float thr = vgh_tail_threshold(sc, m, o->fa_per_day / per_day, 1.0, &beta);
    /* Points outside the training hull score exactly the hull's extreme score, and a window
     * is over only when strictly above the threshold: cap just below the highest score. */
    float top = nextafterf(vgh_quantile(sc, m, 1.0), 0.0f);
    s->threshold = thr < top ? thr : top;
    free(sc);
    free(N);
    s->nodes = iso->nodes;
    s->n_nodes = iso->n_nodes;
    s->roots = iso->roots;
    s->n_trees = iso->n_trees;
    s->c_norm = iso->c_norm;
    *n_fit = m;
    return 0;
}

/* Without --columns the voltage is the column named `v`, and the current `i` when the file
 * has one (as `vigil simulate power` writes them), whatever else the file holds and in
 * whatever order; a file without `v` may hold one numeric column, the voltage. */
static int pq__default_columns(vgh_dataset_reader_t *rd, vgh_dataset_t *ds, char *err,
                               size_t errlen)
{
    if (vgh_csv_find(rd->c, "v") < 0) {
        if (ds->n_ch == 1)
            return 0;
        snprintf(err, errlen,
                 "%s: no column named 'v' and %zu numeric columns: name the voltage (and the "
                 "current) with --columns V[,I]",
                 vgh_csv_name(rd->c), ds->n_ch);
        return -1;
    }
    vgh_colmap_t map;
    if (vgh_colmap_resolve(rd->c, vgh_csv_find(rd->c, "i") >= 0 ? "v,i" : "v", NULL, 0, &map, err,
                           errlen) != 0)
        return -1;
    for (size_t k = 0; k < ds->n_ch; k++) {
        free(ds->ch_names[k]);
        ds->ch_names[k] = NULL;
    }
    rd->rows.map = map;
    ds->n_ch = map.n_ch;
    for (size_t k = 0; k < ds->n_ch; k++)
        if (!(ds->ch_names[k] = strdup(vgh_csv_colname(rd->c, (size_t)map.ch_col[k])))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

/* Training's windows, and the fundamentals the model learns (META fundamental_range). */
static int pq__win_push(void *ctx, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    vgh_pq_win_t *w = ctx;
    vgh_pq_f0_range(ds, (double)w->cfg->fs, (double)w->cfg->f_nominal, &w->f_lo, &w->f_hi);
    return vgh_pq_win_push(w, ds, err, errlen);
}

static int pq__segs_push(void *c, const vgh_dataset_t *ds, char *err, size_t errlen)
{
    return vgh_pq_segs_push(c, ds, err, errlen);
}

int vgh_cmd_train_forest(int argc, char **argv)
{
    pq_opts_t o;
    int rc = pq__parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? VGH_EXIT_OK : rc;
    char err[1024];
    vgh_dataset_t ds;
    vgh_dataset_reader_t rd;
    /* The file is read a chunk at a time: the windows' features stay, the rows do not (3 hours
     * at 6.4 kHz are 69 M rows). First the rows that the rate, the fundamental's check and
     * the snippets' length are measured on. */
    if (vgh_dataset_begin(&rd, o.in, o.columns, NULL, 0, o.rate, &ds, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    int more = o.columns ? 0 : pq__default_columns(&rd, &ds, err, sizeof err);
    if (more == 0)
        more = vgh_pq_read_head(&rd, &ds, o.f0, err, sizeof err);
    if (more < 0 || vgh_dataset_set_rate(&ds, o.rate, o.in, err, sizeof err) != 0) {
        vgh_dataset_end(&rd);
        vgh_dataset_free(&ds);
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    }
    int code = VGH_EXIT_OK;
    char *meta = NULL;
    size_t meta_len = 0;
    float *X = NULL;
    uint16_t *y = NULL;
    uint8_t *touched = NULL;
    vgh_rf_t forest;
    memset(&forest, 0, sizeof forest);
    vgh_iforest_t iso;
    memset(&iso, 0, sizeof iso);
    uint8_t *bytes = NULL;
    if (!ds.has_class && o.kind == VG_KIND_FOREST) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: no 'class' column to learn from", o.in);
        goto done;
    }
    if (ds.n_ch < 2 && o.scale_i != 1.0) {
        code = vgh_usage(CMD, "--scale-i scales a current column; %s has none", o.in);
        goto done;
    }
    if (ds.n_ch > 2) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: %zu signal columns; a waveform model takes voltage and at most "
                        "current (choose with --columns)",
                        o.in, ds.n_ch);
        goto done;
    }
    vgh_artifact_spec_t s;
    memset(&s, 0, sizeof s);
    s.kind = (uint16_t)o.kind;
    s.sample_rate = (float)ds.rate;
    s.n_channels = (uint16_t)ds.n_ch;
    s.norm_kind = VG_NORM_NONE;
    s.max_missing_pm = 100;
    s.threshold = 0.5f;
    s.close_after = 2;
    s.wave = 1;
    s.f_nominal = (float)o.f0;
    s.wave_scale = (float)o.scale;
    s.wave_scale_i = (float)o.scale_i;
    s.max_harmonic = (uint16_t)o.max_h;
    char flist[2048];
    snprintf(flist, sizeof flist, "%s%s", PQ_DEFAULT_FEATURES,
             ds.n_ch > 1 ? PQ_CURRENT_FEATURES : "");
    if ((rc = pq__features(o.features ? o.features : flist, &s)) != 0) {
        code = rc;
        goto done;
    }
    if (o.max_features > s.n_features) {
        code = vgh_usage(CMD, "--max-features %lu is more than the %u features", o.max_features,
                         (unsigned)s.n_features);
        goto done;
    }
    for (uint16_t k = 0; k < s.n_features; k++) {
        s.norm[2 * k] = 0.0f;
        s.norm[2 * k + 1] = 1.0f;
    }
    /* The fundamental band-pass of the second source document, 5th order 45-65 Hz at 50 Hz,
     * scaled with the nominal frequency. */
    double sos_d[6 * 5];
    vg_biquad_t sos[5];
    size_t n_sos = 0;
    if (!ds.has_time && o.rate <= 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: no time column (t, time or timestamp): give the sampling rate with "
                        "--rate HZ",
                        o.in);
        goto done;
    }
    if (ds.rate <= 2.6 * o.f0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: sampled at %.6g Hz, too slow to resolve a %.6g Hz fundamental "
                        "(need more than %.6g Hz)",
                        o.in, ds.rate, o.f0, 2.6 * o.f0);
        goto done;
    }
    if (vgh_butter(5, VGH_BANDPASS, 0.9 * o.f0, 1.3 * o.f0, ds.rate, sos_d, sos, 5, &n_sos, err,
                   sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", o.in, err);
        goto done;
    }
    s.sos = sos;
    s.n_sos = (uint16_t)n_sos;

    vg_pq_cfg_t cfg;
    vgh_pq_cfg_from_spec(&s, &cfg);
    uint16_t frame = vg_pq_frame_len(&cfg);
    if (frame < 8) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: %.6g Hz gives %u samples per %.6g Hz cycle; at least 8 are needed",
                        o.in, ds.rate, frame, o.f0);
        goto done;
    }
    if (ds.rate / o.f0 + 0.5 > VG_PQ_MAX_CYCLE) {
        code =
            vgh_fail(CMD, VGH_EXIT_INPUT,
                     "%s: %.6g Hz gives %.0f samples per %.6g Hz cycle; the core takes at most "
                     "%d (%.6g Hz): decimate the recording",
                     o.in, ds.rate, ds.rate / o.f0, o.f0, VG_PQ_MAX_CYCLE, VG_PQ_MAX_CYCLE * o.f0);
        goto done;
    }
    unsigned long cycles = o.cycles;
    if (!cycles)
        cycles = ds.has_segment ? vgh_pq_segment_cycles(&ds, frame) : 10;
    if (cycles < 1) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: segments are shorter than one %.6g Hz cycle",
                        o.in, o.f0);
        goto done;
    }
    if (!ds.has_segment && o.hop > cycles) {
        code =
            vgh_usage(CMD, "--hop-cycles %lu is more than the window's %lu cycles", o.hop, cycles);
        goto done;
    }
    s.window = (uint16_t)cycles;
    s.hop = (uint16_t)(o.hop > cycles ? cycles : o.hop); /* snippets: one window each */
    /* A disturbance shows in every window that holds it, window / hop of them on a stream: two
     * in a row before an event opens cost no detection there and drop the isolated windows a
     * 30 dB stream's noise pushes over (docs/power-quality.md). With fewer than 4 windows per
     * disturbance, or when the user says, as asked. An isolation forest's scores saturate
     * at its most extreme training windows, which the noise of a long stream reaches now and
     * then for a window or two: three in a row (docs/power-quality.md, "No labels"). */
    if (o.open_after)
        s.open_after = (uint16_t)o.open_after;
    else if (s.window / s.hop < 4)
        s.open_after = 1;
    else
        s.open_after = s.kind == VG_KIND_FOREST ? 2 : 3;
    vgh_pq_cfg_from_spec(&s, &cfg);
    /* 60 Hz data under --f0 50 (or the reverse) would train on frames of 1.2 cycles. */
    double f_meas = vgh_pq_measure_f0(&ds, ds.rate, o.f0);
    if (f_meas > 0 && fabs(f_meas - o.f0) > 0.05 * o.f0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT,
                        "%s: fundamental measured at %.4g Hz but --f0 is %.6g Hz (set --f0)", o.in,
                        f_meas, o.f0);
        goto done;
    }

    size_t n = 0, skipped = 0;
    vgh_pq_win_t w;
    if (vgh_pq_win_begin(&w, &cfg, s.max_missing_pm, ds.has_segment, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", o.in, err);
        goto done;
    }
    if (vgh_pq_chunks(&rd, &ds, more, pq__win_push, &w, CMD, o.in, err, sizeof err) != 0) {
        vgh_pq_win_free(&w);
        code = VGH_EXIT_INPUT;
        goto done;
    }
    vgh_dataset_end(&rd);
    const double f_lo = w.f_lo, f_hi = w.f_hi; /* the fundamentals it learns */
    if (vgh_pq_win_end(&w, &X, &y, &touched, &n, &skipped, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", o.in, err);
        goto done;
    }
    if (w.longer) /* the window is the first segments' length (or --cycles) */
        fprintf(stderr,
                "vigil %s: note: %s: %zu segments are longer than the window of %lu cycles; "
                "each is learnt from its last %lu cycles\n",
                CMD, o.in, w.longer, cycles, cycles);
    size_t correct = 0, n_fit = n;
    uint16_t n_classes = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (o.kind == VG_KIND_IFOREST) {
        if (pq__fit_iforest(&o, &s, X, touched, n, &iso, &n_fit, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s: %s", o.in, err);
            goto done;
        }
    } else {
        n_classes = 2;
        size_t per_class[VG_MAX_CLASSES] = {0};
        for (size_t i = 0; i < n; i++) {
            if (o.binary)
                y[i] = y[i] != VGH_PQ_NORMAL_CLASS;
            per_class[y[i]]++;
            if (y[i] + 1u > n_classes)
                n_classes = (uint16_t)(y[i] + 1u);
        }
        size_t present = 0, only = 0;
        for (size_t c = 0; c < n_classes; c++)
            if (per_class[c]) {
                present++;
                only = c;
            }
        if (present < 2) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT,
                            "%s: every window is of class %zu%s: a forest learns to tell classes "
                            "apart and needs two or more (to learn normal alone: --kind iforest "
                            "--waveform)",
                            o.in, only, o.binary ? (only ? " (disturbed)" : " (normal)") : "");
            goto done;
        }
        s.n_classes = n_classes;
        s.normal_class = (uint16_t)(o.binary ? 0u : VGH_PQ_NORMAL_CLASS);
        if (s.normal_class >= n_classes)
            s.n_classes = n_classes = (uint16_t)(s.normal_class + 1u);
        /* The 1 ms impulse is as short as a noise peak: at 30 dB the smallest ones are
         * buried, and a stream's normal windows vote for it now and then. Its windows need
         * a larger share of the trees; the classes a stream must find are untouched. */
        double share = o.impulse_set ? o.impulse_share : ds.has_segment ? 0.0 : PQ_IMPULSE_DEFAULT;
        if (share > 0.0 && !o.binary && n_classes > PQ_IMPULSE_CLASS) {
            s.strict_pm = (uint16_t)(share * 1000.0 + 0.5);
            s.strict_class = s.strict_pm ? (uint16_t)PQ_IMPULSE_CLASS : 0u;
        }

        vgh_rf_cfg_t rf;
        vgh_rf_defaults(&rf);
        rf.n_trees = (unsigned)o.trees;
        rf.max_depth = (unsigned)o.depth;
        rf.min_split = (unsigned)o.min_split;
        rf.max_features = (unsigned)o.max_features;
        rf.balanced = o.balanced ? VGH_RF_BAL_WEIGHTS : VGH_RF_BAL_NONE;
        rf.threads = (unsigned)o.threads;
        rf.seed = o.seed;
        if (vgh_rf_train(X, y, n, s.n_features, n_classes, &rf, &forest, err, sizeof err) != 0) {
            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        s.rf_nodes = forest.nodes;
        s.rf_n_nodes = forest.n_nodes;
        s.rf_roots = forest.roots;
        s.rf_n_trees = forest.n_trees;

        for (size_t i = 0; i < n; i++)
            correct += vgh_rf_predict(&forest, X + i * s.n_features, NULL) == y[i];
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    char chans[256];
    snprintf(chans, sizeof chans, "%s%s%s", ds.ch_names[0], ds.n_ch > 1 ? "," : "",
             ds.n_ch > 1 ? ds.ch_names[1] : "");
    int ok = vgh_meta_append(&meta, &meta_len, "created_by=vigil %s", VIGIL_VERSION) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "channels=%s", chans) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_file=%s", o.in) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_windows=%zu", n) == 0;
    ok = ok && vgh_meta_append(&meta, &meta_len, "train_windows_dropout=%zu", skipped) == 0;
    if (f_lo > 0 && f_hi > 0)
        ok = ok && vgh_meta_append(&meta, &meta_len, "%s=%.4f..%.4f Hz", VGH_PQ_F0_RANGE_KEY, f_lo,
                                   f_hi) == 0;
    if (o.kind == VG_KIND_IFOREST) {
        ok = ok && vgh_meta_append(&meta, &meta_len, "labels=none (isolation forest on %zu %s)",
                                   n_fit, ds.has_class ? "windows of class 1" : "windows") == 0;
        ok = ok && vgh_meta_append(&meta, &meta_len,
                                   "threshold_rule=exponential tail of the training scores at "
                                   "%.3g false alarms per day, capped at the highest score",
                                   o.fa_per_day) == 0;
    } else {
        ok = ok && vgh_meta_append(&meta, &meta_len, "labels=%s",
                                   o.binary ? "binary (0 normal, 1 disturbed)"
                                            : "power-quality classes") == 0;
        ok = ok && vgh_meta_append(&meta, &meta_len, "train_accuracy=%.6f",
                                   n ? (double)correct / (double)n : 0.0) == 0;
        ok = ok && vgh_meta_append(
                       &meta, &meta_len, "threshold_rule=majority of trees vote disturbed%s",
                       s.strict_pm ? "; impulse windows need more than --impulse-share of the trees"
                                   : "") == 0;
    }
    ok = ok && vgh_meta_append(&meta, &meta_len, "seed=%lu", o.seed) == 0;
    if (!ok) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    s.meta = meta;
    size_t nbytes;
    if (vgh_artifact_build(&s, &bytes, &nbytes, err, sizeof err) != 0 ||
        vgh_write_file(o.out, bytes, nbytes, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    if (!o.quiet) {
        if (skipped)
            fprintf(stderr,
                    "left out %zu %s with more than %.1f%% missing samples (dropout policy)\n",
                    skipped, ds.has_segment ? "segments" : "windows", 0.1 * s.max_missing_pm);
        if (o.kind == VG_KIND_IFOREST)
            fprintf(stderr,
                    "trained iforest on %zu of %zu windows of %lu cycles (%u samples per cycle) in "
                    "%.3f s\n%u features, %u trees, threshold %.6g\nwrote %s (%zu bytes)\n",
                    n_fit, n, cycles, frame, secs, s.n_features, iso.n_trees, (double)s.threshold,
                    o.out, nbytes);
        else
            fprintf(stderr,
                    "trained forest on %zu windows of %lu cycles (%u samples per cycle) in %.3f s\n"
                    "%u features, %u classes, %u trees, %u nodes, training accuracy %.4f\n"
                    "wrote %s (%zu bytes)\n",
                    n, cycles, frame, secs, s.n_features, n_classes, forest.n_trees, forest.n_nodes,
                    n ? (double)correct / (double)n : 0.0, o.out, nbytes);
    }
done:
    free(bytes);
    free(meta);
    free(X);
    free(y);
    free(touched);
    vgh_rf_free(&forest);
    vgh_iforest_free(&iso);
    vgh_dataset_end(&rd);
    vgh_dataset_free(&ds);
    return code;
}

/* The model and the recording's header, read with the model's channels (no rows yet). */
static int pq__open(const char *cmd, const char *model_path, const char *in, vgh_model_file_t *mf,
                    vgh_dataset_reader_t *rd, vgh_dataset_t *ds)
{
    char err[1024];
    if (vgh_model_load(model_path, mf, err, sizeof err) != 0)
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s", err);
    vgh_pq_evmodel_t em;
    if (vgh_pq_evmodel_parse(&mf->m, &em, err, sizeof err) != 0 ||
        vgh_pq_segmodel_parse(&mf->m, &em, err, sizeof err) != 0) {
        vgh_model_free(mf);
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s: %s", model_path, err);
    }
    if (vgh_dataset_begin(rd, in, NULL, mf->channels, mf->m.n_channels, mf->m.sample_rate, ds, err,
                          sizeof err) != 0) {
        vgh_model_free(mf);
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s (model %s needs it)", err, model_path);
    }
    return VGH_EXIT_OK;
}

/* Snippets, a chunk at a time: the first rows checked for the model's rate and fundamental,
 * then every segment through the detector (vgh_pq_segs_*). */
int vgh_pq_run_segments(const char *cmd, const char *model_path, const char *in,
                        const vg_model_t *m, vgh_dataset_reader_t *rd, vgh_dataset_t *ds,
                        vgh_pq_seg_t **seg, size_t *n, float **X)
{
    char err[1024];
    int more = vgh_pq_read_head(rd, ds, (double)m->wave.f_nominal, err, sizeof err);
    if (more < 0 || vgh_dataset_set_rate(ds, m->sample_rate, in, err, sizeof err) != 0)
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s", err);
    if (vgh_pq_check_head(m, ds, in, model_path, err, sizeof err) != 0)
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s", err);
    vgh_pq_segs_t c;
    if (vgh_pq_segs_begin(&c, m, err, sizeof err) != 0)
        return vgh_fail(cmd, VGH_EXIT_SYSTEM, "%s", err);
    if (X && vgh_pq_segs_keep(&c, err, sizeof err) != 0) {
        vgh_pq_segs_free(&c);
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s: %s", model_path, err);
    }
    if (vgh_pq_chunks(rd, ds, more, pq__segs_push, &c, cmd, in, err, sizeof err) != 0) {
        vgh_pq_segs_free(&c);
        return VGH_EXIT_INPUT;
    }
    /* the last segment too (its features, its length), before the results are handed over */
    if (vgh_pq_segs_close_last(&c, err, sizeof err) != 0) {
        vgh_pq_segs_free(&c);
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s: %s", in, err);
    }
    if (X) {
        *X = c.X;
        c.X = NULL;
    }
    const size_t longer = c.longer;
    if (vgh_pq_segs_end(&c, seg, n, err, sizeof err) != 0) {
        if (X) {
            free(*X);
            *X = NULL;
        }
        return vgh_fail(cmd, VGH_EXIT_INPUT, "%s: %s", in, err);
    }
    /* A snippet is one window: a longer one is judged on its last window alone. */
    if (longer)
        fprintf(stderr,
                "vigil %s: note: %s: %zu of %zu segments are longer than model %s's window of "
                "%u cycles; each is classified by its last %u cycles\n",
                cmd, in, longer, *n, model_path, m->window, m->window);
    return VGH_EXIT_OK;
}

static void pq__event_row(FILE *f, const vg_model_t *m, const vgh_pq_event_t *e)
{
    fprintf(f, "%.6f,%.6f,%.1f,", e->t_start, e->t_end,
            (e->t_end - e->t_start) * (double)m->wave.f_nominal);
    const int mode = vgh_pq_mode(m);
    if (e->dropout)
        fprintf(f, ",dropout,");
    else if (mode != VGH_PQ_DETECTOR && e->cls)
        fprintf(f, "%u,%s,", e->cls,
                mode == VGH_PQ_BINARY ? "disturbed" : vgh_pq_class_name(e->cls));
    else
        fprintf(f, ",,");
    fprintf(f, "%.4f,%.4f,%.4f,%.4f\n", (double)e->sag_pu, (double)e->swell_pu, (double)e->thd_max,
            (double)e->peak_pu);
}

/* A stream, row by row through the core as a device runs it, from the reader's CSV (its
 * first data row read and waiting): constant memory, and from a pipe or stdin each row and
 * each closed event is written as soon as it is known. The first second is held back to
 * check the sampling rate and the fundamental before anything is written. */
static int pq__detect_stream(const vg_model_t *m, const char *model_path, vgh_dataset_reader_t *rd,
                             const char *in, const char *out, const char *events, int split,
                             int exact)
{
    char err[1024];
    int code = VGH_EXIT_OK, rc = 1;
    FILE *fo = NULL, *fe = NULL;
    void *arena = NULL;
    float *bx = NULL;
    double *bt = NULL;
    vgh_pq_tracker_t tr;
    memset(&tr, 0, sizeof tr); /* vgh_pq_track_free() at the end, started or not */
    vgh_csv_t *csv = rd->c;
    vgh_rows_t rows = rd->rows;
    struct stat st;
    int live = strcmp(in, "-") == 0 || (stat(in, &st) == 0 && !S_ISREG(st.st_mode));
    size_t alen = vg_detector_arena_size(m), hold = (size_t)m->sample_rate;
    if (hold < 64)
        hold = 64;
    if (hold > 65536)
        hold = 65536;
    arena = malloc(alen);
    bx = malloc(hold * m->n_channels * sizeof(float));
    bt = malloc(hold * sizeof(double));
    vg_detector_t d;
    if (!arena || !bx || !bt || vg_detector_init(&d, m, arena, alen) != VG_OK) {
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "cannot start the detector");
        goto done;
    }
    /* Hold the first second back for the rate and fundamental checks. */
    size_t nb = 0;
    do {
        vgh_row_t row;
        if (vgh_rows_read(&rows, csv, &row, err, sizeof err) != 0) {
            code = vgh_fail("detect", VGH_EXIT_INPUT, "%s", err);
            goto done;
        }
        bt[nb] = row.t;
        memcpy(bx + nb * m->n_channels, row.x, m->n_channels * sizeof(float));
        nb++;
    } while (nb < hold && (rc = vgh_csv_next(csv, err, sizeof err)) == 1);
    if (rc < 0) {
        code = vgh_fail("detect", VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    vgh_dataset_t head;
    memset(&head, 0, sizeof head);
    head.n = nb;
    head.n_ch = m->n_channels;
    head.x = bx;
    head.t = bt;
    head.has_time = rows.map.time_col >= 0;
    if (vgh_pq_check_head(m, &head, in, model_path, err, sizeof err) != 0) {
        code = vgh_fail("detect", VGH_EXIT_INPUT, "%s", err);
        goto done;
    }
    fo = out && strcmp(out, "-") != 0 ? fopen(out, "w") : stdout;
    fe = events ? fopen(events, "w") : NULL;
    if (!fo || (events && !fe)) {
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "%s: cannot write", !fo ? out : events);
        goto done;
    }
    fprintf(fo, "t,score,anomaly,class\n");
    if (fe)
        fprintf(fe, "start,end,cycles,class,name,sag_pu,swell_pu,thd_max,peak_pu\n");
    if (vgh_pq_track_start(&tr, m, &d, err, sizeof err) != 0) {
        code = vgh_fail("detect", VGH_EXIT_INPUT, "%s: %s", model_path, err);
        goto done;
    }
    tr.split = split;
    size_t k = 0;
    double last_t = 0;
    int more = rc == 1;
    for (;;) {
        vgh_row_t row;
        const float *x;
        double t;
        if (k < nb) {
            x = bx + k * m->n_channels;
            t = bt[k];
        } else {
            if (!more || (rc = vgh_csv_next(csv, err, sizeof err)) != 1)
                break;
            if (vgh_rows_read(&rows, csv, &row, err, sizeof err) != 0) {
                code = vgh_fail("detect", VGH_EXIT_INPUT, "%s", err);
                break;
            }
            x = row.x;
            t = row.t;
        }
        vg_result_t r;
        vg_detector_push(&d, x, &r);
        fprintf(fo, exact ? "%.6f,%.9g,%u," : "%.6f,%.4f,%u,", t, r.ready ? (double)r.score : 0.0,
                r.anomaly);
        /* Before the first window the class is "normal"; a dropout window has none. */
        if (vg_model_base_kind(m->kind) == VG_KIND_FOREST && !(r.ready && r.dropout))
            fprintf(fo, "%u", r.ready ? r.cls : (unsigned)m->u.forest.normal_class);
        fputc('\n', fo);
        vgh_pq_event_t ev;
        if (vgh_pq_track(&tr, &r, x[0], k, t, &ev) && fe) {
            pq__event_row(fe, m, &ev);
            if (live)
                fflush(fe);
        }
        if (live)
            fflush(fo);
        last_t = t;
        k++;
    }
    if (code == VGH_EXIT_OK && rc < 0)
        code = vgh_fail("detect", VGH_EXIT_INPUT, "%s", err);
    vgh_pq_event_t ev;
    if (code == VGH_EXIT_OK && fe && vgh_pq_track_end(&tr, k ? k - 1 : 0, last_t, &ev))
        pq__event_row(fe, m, &ev);
done:
    if (fo && fo != stdout && fclose(fo) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "%s: write failed", out);
    if (fe && fclose(fe) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "%s: write failed", events);
    if (fo == stdout && fflush(stdout) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "write to standard output failed");
    vgh_pq_track_free(&tr);
    free(arena);
    free(bx);
    free(bt);
    return code;
}

/* Snippets (a `segment` column) are classified per segment from the whole file; streams go
 * row by row. The header tells which. */
int vgh_cmd_detect_pq(const char *model_path, const char *in, const char *out, const char *events,
                      int split, int exact)
{
    vgh_model_file_t mf;
    vgh_dataset_t ds;
    vgh_dataset_reader_t rd;
    int code = pq__open("detect", model_path, in, &mf, &rd, &ds);
    if (code)
        return code;
    FILE *fo = NULL;
    vgh_pq_seg_t *seg = NULL;
    size_t n = 0;
    if (!ds.has_segment) {
        code = pq__detect_stream(&mf.m, model_path, &rd, in, out, events, split, exact);
        goto done;
    }
    if (events) {
        code = vgh_usage("detect", "--events lists the events of a stream; %s has segments", in);
        goto done;
    }
    if (split) {
        code =
            vgh_usage("detect", "--split-events applies to a stream's events; %s has segments", in);
        goto done;
    }
    if (ds.has_segment && (code = vgh_pq_run_segments("detect", model_path, in, &mf.m, &rd, &ds,
                                                      &seg, &n, NULL)) != 0)
        goto done;
    fo = out && strcmp(out, "-") != 0 ? fopen(out, "w") : stdout;
    if (!fo) {
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "%s: cannot write", out);
        goto done;
    }
    if (ds.has_segment) {
        /* A segment whose window failed the missing-sample policy has no class: empty. */
        fprintf(fo, "segment,score,anomaly,class\n");
        for (size_t k = 0; k < n; k++) {
            fprintf(fo, exact ? "%ld,%.9g,%d," : "%ld,%.6f,%d,", seg[k].segment,
                    (double)seg[k].score, seg[k].anomaly);
            if (seg[k].pred != VGH_PQ_NO_CLASS && vg_model_base_kind(mf.m.kind) == VG_KIND_FOREST)
                fprintf(fo, "%u", seg[k].pred);
            fputc('\n', fo);
        }
    }
    if (fo != stdout && fclose(fo) != 0 && code == VGH_EXIT_OK)
        code = vgh_fail("detect", VGH_EXIT_SYSTEM, "%s: write failed", out);
    fo = NULL;
done:
    if (fo && fo != stdout)
        fclose(fo);
    free(seg);
    vgh_dataset_end(&rd);
    vgh_dataset_free(&ds);
    vgh_model_free(&mf);
    return code;
}

int vgh_cmd_eval_pq(const char *model_path, const char *in, int json, int events, int split)
{
    vgh_model_file_t mf;
    vgh_dataset_t ds;
    vgh_dataset_reader_t rd;
    int code = pq__open("eval", model_path, in, &mf, &rd, &ds);
    if (code)
        return code;
    char err[1024];
    if (!ds.has_class) {
        code = vgh_fail("eval", VGH_EXIT_INPUT, "%s: no 'class' column to evaluate against", in);
    } else if (ds.has_segment && !events) {
        vgh_pq_seg_t *seg = NULL;
        size_t n = 0;
        code = vgh_pq_run_segments("eval", model_path, in, &mf.m, &rd, &ds, &seg, &n, NULL);
        if (code == VGH_EXIT_OK)
            vgh_pq_report_segments(stdout, seg, n, vgh_pq_mode(&mf.m), json, model_path, in);
        free(seg);
    } else if (ds.has_segment) {
        code = vgh_fail("eval", VGH_EXIT_USAGE,
                        "%s: --events needs a stream recording (this one has segments)", in);
    } else {
        /* A stream is read a second at a time: memory holds its events and labelled runs. */
        vgh_pq_stream_t st;
        if (vgh_pq_stream_events(&mf.m, &rd, &ds, in, model_path, split ? VGH_PQ_SPLIT_EVENTS : 0u,
                                 &st, err, sizeof err) != 0)
            code = vgh_fail("eval", VGH_EXIT_INPUT, "%s", err);
        else if (vgh_pq_report_events(stdout, &st, &mf.m, json, model_path, in) != 0)
            code = vgh_fail("eval", VGH_EXIT_SYSTEM, "out of memory");
        vgh_pq_stream_free(&st);
    }
    vgh_dataset_end(&rd);
    vgh_dataset_free(&ds);
    vgh_model_free(&mf);
    return code;
}
