/* SPDX-License-Identifier: MIT */
/* vigil simulate: synthetic labelled sensor recordings. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sim_temp.h"

#define CMD "simulate"

static const char usage_text[] =
    "Usage: vigil simulate temperature -o FILE.csv [options]\n"
    "       vigil simulate power -o FILE.csv --mode snippets|stream [options]\n"
    "         (power-quality waveforms; see 'vigil simulate power --help')\n"
    "\n"
    "Normal temperature around a set point (slow daily cycle, slow wander, sensor noise) with\n"
    "labelled anomalies. Columns: timestamp,value,label,kind (label 1 inside an anomaly, kind\n"
    "names it; a missing reading is an empty cell or nan). Deterministic for a seed.\n"
    "\n"
    "  -o, --output FILE     CSV to write (\"-\" = standard output)\n"
    "      --minutes N       duration (default 1440 = one day)\n"
    "      --rate HZ         samples per second (default 2)\n"
    "      --seed S          random seed (default 1)\n"
    "      --anomalies LIST  kinds to inject: spike,drift,stuck,noise,dropout, all or none\n"
    "                        (default none)\n"
    "      --events N        events per kind (default 6 per simulated day, at least 1)\n"
    "      --setpoint C      mean temperature in degC (default 22)\n"
    "      --daily-amp C     amplitude of the daily cycle (default 1.5)\n"
    "      --noise C         sensor noise standard deviation (default 0.1)\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 ok, 2 bad usage, 3 cannot write.\n";

int vgh_cmd_simulate(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            fputs(usage_text, stdout);
            return VGH_EXIT_OK;
        }
        return vgh_usage(CMD, "name the sensor to simulate: temperature");
    }
    if (strcmp(argv[1], "power") == 0)
        return vgh_cmd_simulate_power(argc - 1, argv + 1);
    if (strcmp(argv[1], "temperature") != 0)
        return vgh_usage(CMD, "unknown sensor '%s' (temperature, power)", argv[1]);
    enum { O_MIN = 256, O_RATE, O_SEED, O_ANOM, O_EVENTS, O_SET, O_AMP, O_NOISE };
    static const struct option lo[] = {{"output", required_argument, 0, 'o'},
                                       {"minutes", required_argument, 0, O_MIN},
                                       {"rate", required_argument, 0, O_RATE},
                                       {"seed", required_argument, 0, O_SEED},
                                       {"anomalies", required_argument, 0, O_ANOM},
                                       {"events", required_argument, 0, O_EVENTS},
                                       {"setpoint", required_argument, 0, O_SET},
                                       {"daily-amp", required_argument, 0, O_AMP},
                                       {"noise", required_argument, 0, O_NOISE},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    vgh_simtemp_cfg_t cfg;
    vgh_simtemp_defaults(&cfg);
    cfg.kinds = 0;
    const char *out = NULL;
    char err[512];
    int c;
    optind = 2;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":o:h", lo, NULL)) != -1) {
        unsigned long u;
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        case O_MIN: bad = vgh_opt_double(CMD, "--minutes", optarg, 1e-3, 1e7, &cfg.minutes); break;
        case O_RATE: bad = vgh_opt_double(CMD, "--rate", optarg, 1e-3, 1e5, &cfg.rate_hz); break;
        case O_SEED:
            bad = vgh_opt_uint(CMD, "--seed", optarg, 0, (unsigned long)-1, &u);
            cfg.seed = u;
            break;
        case O_ANOM:
            if (vgh_anomaly_kinds_parse(optarg, &cfg.kinds, err, sizeof err) != 0)
                return vgh_usage(CMD, "--anomalies: %s", err);
            break;
        case O_EVENTS:
            bad = vgh_opt_uint(CMD, "--events", optarg, 1, 100000, &u);
            cfg.events_per_kind = (unsigned)u;
            break;
        case O_SET:
            bad = vgh_opt_double(CMD, "--setpoint", optarg, -1e6, 1e6, &cfg.setpoint);
            break;
        case O_AMP: bad = vgh_opt_double(CMD, "--daily-amp", optarg, 0, 1e6, &cfg.daily_amp); break;
        case O_NOISE: bad = vgh_opt_double(CMD, "--noise", optarg, 0, 1e6, &cfg.noise); break;
        default: return vgh_bad_option(CMD, c, argv);
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!out)
        return vgh_usage(CMD, "missing -o FILE.csv");
    if (cfg.minutes * 60.0 * cfg.rate_hz < 1.0)
        return vgh_usage(CMD, "--minutes %g at --rate %g gives no samples", cfg.minutes,
                         cfg.rate_hz);
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!f)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot write", out);
    int rc = vgh_sim_temperature(&cfg, f, err, sizeof err);
    int closed = f == stdout ? fflush(f) : fclose(f);
    if (rc != 0)
        return vgh_fail(CMD, VGH_EXIT_USAGE, "%s", err);
    if (closed != 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: write failed", out);
    return VGH_EXIT_OK;
}
