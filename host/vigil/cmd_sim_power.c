/* SPDX-License-Identifier: MIT */
/* vigil simulate power: synthetic power-quality waveforms (29 disturbance classes). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sim_power.h"

#define CMD "simulate power"

static const char usage_text[] =
    "Usage: vigil simulate power -o FILE.csv --mode snippets|stream [options]\n"
    "\n"
    "Voltage waveforms with the 29 power-quality disturbance classes of R. Igual, C. Medrano,\n"
    "F.J. Arcega, G. Mantescu, \"Integral mathematical model of power quality disturbances\",\n"
    "18th ICHQP, 2018 (IEEE Xplore 8378902), in pu (peak of the nominal fundamental = 1).\n"
    "Deterministic for a seed. Model, ranges and choices: docs/power-simulation.md.\n"
    "\n"
    "Modes and columns:\n"
    "  snippets  N waveforms per class of C cycles: segment,t,v,class\n"
    "            (segment 0.., t seconds from the segment start, class 1-29; segments are\n"
    "            in a shuffled order, not sorted by class)\n"
    "  stream    one recording with disturbances at random times: t,v,label,class, or\n"
    "            t,v,i,label,class with --current (label 1 inside a disturbance, class its\n"
    "            number there and 1 elsewhere). Durations: sag/swell/interruption 0.5-30\n"
    "            cycles, impulse 1 ms, oscillatory transient 0.5-3 cycles, harmonics/\n"
    "            flicker/notch events 5-50 cycles; at least 2 normal cycles between events.\n"
    "\n"
    "  -o, --output FILE        CSV to write (\"-\" = standard output)\n"
    "      --mode M             snippets or stream (required)\n"
    "      --fs HZ              sampling rate (default 6400; >= 1000 and >= 2.5 x the\n"
    "                           highest component of the classes, 2250 Hz with transients)\n"
    "      --f0 HZ              nominal frequency, 40-100 (default 50)\n"
    "      --freq-dev HZ        random frequency deviation, per waveform in snippets,\n"
    "                           slowly varying in streams (default 0.05)\n"
    "      --amp PU             voltage amplitude (default 1)\n"
    "      --snr DB|inf         white Gaussian noise, dB below the signal power (default\n"
    "                           inf = none; >= -10)\n"
    "      --classes LIST       numbers, ranges, names or all, e.g. 2,3,5-9 (default all)\n"
    "      --seed S             random seed (default 1)\n"
    "  snippets only:\n"
    "      --per-class N        waveforms per class (default 100)\n"
    "      --cycles N           cycles per waveform, 3-100 (default 10)\n"
    "  stream only:\n"
    "      --minutes M          duration (default 60)\n"
    "      --events-per-hour N  disturbances per hour (default 60)\n"
    "      --current            add the current column i: power factor 0.8-1 per recording,\n"
    "                           modest 3rd/5th harmonics, scaled like the voltage\n"
    "                           fundamental during sags, swells, interruptions and flicker\n"
    "      --current-amp PU     current amplitude I (default 1)\n"
    "  -h, --help\n"
    "\n"
    "Classes (name for --classes: description):\n"
    "   1 pure                    no disturbance\n"
    "   2 sag                     0.1-0.9 pu drop      3 swell    0.1-0.8 pu rise\n"
    "   4 interruption            below 0.1 pu         5 impulse  1 ms impulsive transient\n"
    "   6 osc_transient           oscillatory transient, 300-900 Hz\n"
    "   7 harmonics               3rd, 5th, 7th of 0.05-0.15\n"
    "   8 harm_sag   9 harm_swell            harmonics throughout, with a sag/swell\n"
    "  10 flicker   11 flicker_sag  12 flicker_swell   8-25 Hz modulation, 5-10 %\n"
    "  13 sag_osc   14 swell_osc             oscillatory transient inside the sag/swell\n"
    "  15 sag_harm  16 swell_harm            harmonics only inside the sag/swell\n"
    "  17 notch                   1, 2, 4 or 6 notches per cycle, depth 0.1-0.4\n"
    "  18 harm_sag_flicker        19 harm_swell_flicker\n"
    "  20 sag_harm_flicker        21 swell_harm_flicker     (flicker on the gated part)\n"
    "  22 sag_harm_osc            23 swell_harm_osc         (transient inside the event)\n"
    "  24 harm_sag_osc            25 harm_swell_osc         (transient anywhere)\n"
    "  26 harm_sag_flicker_osc    27 harm_swell_flicker_osc\n"
    "  28 sag_harm_flicker_osc    29 swell_harm_flicker_osc\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, 3 cannot write.\n";

int vgh_cmd_simulate_power(int argc, char **argv)
{
    enum {
        O_MODE = 256,
        O_FS,
        O_F0,
        O_FDEV,
        O_AMP,
        O_SNR,
        O_CLASSES,
        O_SEED,
        O_PER,
        O_CYC,
        O_MIN,
        O_EPH,
        O_CUR,
        O_CAMP
    };
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"mode", required_argument, 0, O_MODE},
                                       {"fs", required_argument, 0, O_FS},
                                       {"f0", required_argument, 0, O_F0},
                                       {"freq-dev", required_argument, 0, O_FDEV},
                                       {"amp", required_argument, 0, O_AMP},
                                       {"snr", required_argument, 0, O_SNR},
                                       {"classes", required_argument, 0, O_CLASSES},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"per-class", required_argument, 0, O_PER},
                                       {"cycles", required_argument, 0, O_CYC},
                                       {"minutes", required_argument, 0, O_MIN},
                                       {"events-per-hour", required_argument, 0, O_EPH},
                                       {"current", no_argument, 0, O_CUR},
                                       {"current-amp", required_argument, 0, O_CAMP},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    vgh_simpower_cfg_t cfg;
    vgh_simpower_defaults(&cfg);
    const char *out = NULL, *snip_opt = NULL, *stream_opt = NULL;
    int cur_amp_set = 0;
    int mode = -1;
    char err[512];
    int c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
        unsigned long u;
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        case O_MODE:
            if (strcmp(optarg, "snippets") == 0)
                mode = VGH_SIMPOWER_SNIPPETS;
            else if (strcmp(optarg, "stream") == 0)
                mode = VGH_SIMPOWER_STREAM;
            else
                return vgh_usage(CMD, "--mode: '%s' is not snippets or stream", optarg);
            break;
        case O_FS: bad = vgh_opt_double(CMD, "--fs", optarg, 1000, 1e6, &cfg.fs); break;
        case O_F0: bad = vgh_opt_double(CMD, "--f0", optarg, 40, 100, &cfg.f0); break;
        case O_FDEV: bad = vgh_opt_double(CMD, "--freq-dev", optarg, 0, 2, &cfg.freq_dev); break;
        case O_AMP: bad = vgh_opt_double(CMD, "--amp", optarg, 1e-6, 1e6, &cfg.amp); break;
        case O_SNR:
            if (strcmp(optarg, "inf") == 0 || strcmp(optarg, "INF") == 0)
                cfg.snr_db = INFINITY;
            else
                bad = vgh_opt_double(CMD, "--snr", optarg, -10, 1000, &cfg.snr_db);
            break;
        case O_CLASSES:
            if (vgh_pq_classes_parse(optarg, &cfg.classes, err, sizeof err) != 0)
                return vgh_usage(CMD, "%s", err);
            break;
        case O_SEED:
            bad = vgh_opt_uint(CMD, "--seed", optarg, 0, (unsigned long)-1, &u);
            cfg.seed = u;
            break;
        case O_PER:
            bad = vgh_opt_uint(CMD, "--per-class", optarg, 1, 1000000, &u);
            cfg.per_class = (unsigned)u;
            snip_opt = "--per-class";
            break;
        case O_CYC:
            bad = vgh_opt_uint(CMD, "--cycles", optarg, 3, 100, &u);
            cfg.cycles = (unsigned)u;
            snip_opt = "--cycles";
            break;
        case O_MIN:
            bad = vgh_opt_double(CMD, "--minutes", optarg, 1e-6, 1e7, &cfg.minutes);
            stream_opt = "--minutes";
            break;
        case O_EPH:
            bad = vgh_opt_double(CMD, "--events-per-hour", optarg, 0, 1e5, &cfg.events_per_hour);
            stream_opt = "--events-per-hour";
            break;
        case O_CUR:
            cfg.current = 1;
            stream_opt = "--current";
            break;
        case O_CAMP:
            bad = vgh_opt_double(CMD, "--current-amp", optarg, 1e-6, 1e6, &cfg.cur_amp);
            cur_amp_set = 1;
            stream_opt = "--current-amp";
            break;
        default: return vgh_bad_option(CMD, c, argv);
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!out)
        return vgh_usage(CMD, "missing -o FILE.csv");
    if (mode < 0)
        return vgh_usage(CMD, "missing --mode snippets|stream");
    if (mode == VGH_SIMPOWER_SNIPPETS && stream_opt)
        return vgh_usage(CMD, "%s applies to --mode stream only", stream_opt);
    if (mode == VGH_SIMPOWER_STREAM && snip_opt)
        return vgh_usage(CMD, "%s applies to --mode snippets only", snip_opt);
    if (cur_amp_set && !cfg.current)
        return vgh_usage(CMD, "--current-amp goes with --current");
    if (vgh_simpower_check(&cfg, mode, err, sizeof err) != 0)
        return vgh_usage(CMD, "%s", err);
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!f)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot write", out);
    int rc = mode == VGH_SIMPOWER_STREAM ? vgh_sim_power_stream(&cfg, f, err, sizeof err)
                                         : vgh_sim_power_snippets(&cfg, f, err, sizeof err);
    int closed = f == stdout ? fflush(f) : fclose(f);
    if (rc != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: %s", out, err);
    if (closed != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: write failed", out);
    return VGH_EXIT_OK;
}
