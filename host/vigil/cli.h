/* SPDX-License-Identifier: MIT */
/**
 * @file cli.h
 * @brief The `vigil` subcommands and what they share: exit codes, error reporting, option
 *        value parsing. Exit codes are documented in docs/cli.md and never change meaning.
 */
#ifndef VGH_CLI_H
#define VGH_CLI_H
#include <stddef.h>
#include <stdint.h>

enum {
    VGH_EXIT_OK = 0,    /**< success */
    VGH_EXIT_INPUT = 1, /**< bad input: data file, model file or their contents */
    VGH_EXIT_USAGE = 2, /**< bad command line */
    VGH_EXIT_SYSTEM = 3 /**< the system failed us: cannot write, out of memory, tool missing */
};

/** Print "vigil CMD: message" and "Try 'vigil CMD --help'." to stderr; returns VGH_EXIT_USAGE. */
int vgh_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** An option getopt_long() refused (@p c is ':' for a missing value, with ':' leading the
 *  option string and opterr 0): "unknown option '--x'" or "option '--x' needs a value", as
 *  vgh_usage() prints; returns VGH_EXIT_USAGE. */
int vgh_bad_option(const char *cmd, int c, char *const *argv);
/** Print "vigil CMD: message" to stderr and return @p code. */
int vgh_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Parse a number for option @p opt within [lo, hi]; on error prints a usage message. */
int vgh_opt_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                   double *out);
/** @brief printf into an error buffer (nothing when @p err is NULL or @p errlen is 0). */
void vgh_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/**
 * @brief @p s as the inside of a JSON string (quotes, backslashes and control characters
 *        escaped; truncated to fit) in @p buf; returns @p buf.
 */
const char *vgh_json_str(const char *s, char *buf, size_t len);

int vgh_opt_uint(const char *cmd, const char *opt, const char *s, unsigned long lo,
                 unsigned long hi, unsigned long *out);

int vgh_cmd_simulate(int argc, char **argv);
int vgh_cmd_simulate_power(int argc, char **argv); /* argv[0] = "power" */
int vgh_cmd_train(int argc, char **argv);
int vgh_cmd_train_forest(int argc, char **argv);
int vgh_cmd_train_events(int argc, char **argv);
/* split: --split-events (VGH_PQ_SPLIT_EVENTS, pq_host.h); exact: scores with %.9g */
int vgh_cmd_detect_pq(const char *model_path, const char *in, const char *out, const char *events,
                      int split, int exact);
int vgh_cmd_eval_pq(const char *model_path, const char *in, int json, int events, int split);
int vgh_cmd_detect(int argc, char **argv);
int vgh_cmd_eval(int argc, char **argv);
int vgh_cmd_export(int argc, char **argv);
int vgh_cmd_info(int argc, char **argv);
int vgh_cmd_features(int argc, char **argv);
int vgh_cmd_quantize(int argc, char **argv);
/* firmware/ports/posix/cmd_device.c: the simulated device */
int vgh_cmd_device(int argc, char **argv);
int vgh_cmd_collector(int argc, char **argv); /* host/collector/cmd_collector.c */
#endif
