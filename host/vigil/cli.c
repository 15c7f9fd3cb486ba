/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vgh_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vigil %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'vigil %s --help'.\n", cmd);
    va_end(ap);
    return VGH_EXIT_USAGE;
}

int vgh_bad_option(const char *cmd, int c, char *const *argv)
{
    /* getopt has just stepped over a long option (--x, --x=v), so argv names it; a short
     * one may sit in a bundle (-qx), so optopt names it. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    char short_opt[3] = {'-', (char)optopt, 0};
    if (strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < 128)
        arg = short_opt;
    if (c == ':')
        return vgh_usage(cmd, "option '%s' needs a value", arg);
    return vgh_usage(cmd, "unknown option '%s'", arg);
}

int vgh_fail(const char *cmd, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vigil %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int vgh_opt_double(const char *cmd, const char *opt, const char *s, double lo, double hi,
                   double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v)) {
        vgh_usage(cmd, "option %s: '%s' is not a number", opt, s);
        return -1;
    }
    if (v < lo || v > hi) {
        vgh_usage(cmd, "option %s: %.10g is outside [%.10g, %.10g]", opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int vgh_opt_uint(const char *cmd, const char *opt, const char *s, unsigned long lo,
                 unsigned long hi, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || s[0] == '-') {
        vgh_usage(cmd, "option %s: '%s' is not a whole number", opt, s);
        return -1;
    }
    if (v < lo || v > hi) {
        vgh_usage(cmd, "option %s: %lu is outside [%lu, %lu]", opt, v, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

const char *vgh_json_str(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    for (; *s && o + 7 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(buf + o, len - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
    return buf;
}

void vgh_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
