/* SPDX-License-Identifier: MIT */
#include "sim_temp.h"

#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define SIMTEMP_PI         3.14159265358979323846
#define SIMTEMP_DAY_S      86400.0
#define SIMTEMP_GUARD_S    600.0 /* normal data before the first event and between events */
#define SIMTEMP_WANDER_SD  0.05  /* degC, stationary sd of the AR(1) wander */
#define SIMTEMP_WANDER_TAU 600.0 /* s, its time constant */
#define SIMTEMP_MAX_ROWS   9007199254740992.0 /* 2^53: row indices stay exact in a double */
#define SIMTEMP_NKINDS     5
#define SIMTEMP_VALID      "spike, drift, stuck, noise, dropout, all, none"

/* Per-kind event duration range in seconds; index i is kind bit 1u << i. */
static const struct {
    const char *name;
    double lo_s, hi_s;
} simtemp__kinds[SIMTEMP_NKINDS] = {
    {"spike", 2.0, 10.0},   {"drift", 600.0, 1200.0}, {"stuck", 60.0, 300.0},
    {"noise", 30.0, 120.0}, {"dropout", 10.0, 60.0},
};

typedef struct {
    uint64_t start, len; /* in samples */
    unsigned kind;       /* index into simtemp__kinds */
    int nan_text;        /* dropout: write "nan" instead of an empty cell */
    double a;            /* spike: jump degC; drift: slope degC/s; noise: sd factor */
    double stuck;        /* stuck: the value held, set at the first sample */
} simtemp__event_t;

int vgh_anomaly_kinds_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
    if (list == NULL || mask == NULL) {
        vgh_errf(err, errlen, "anomaly kinds: no list given");
        return -1;
    }
    unsigned m = 0;
    const char *p = list;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        *mask = 0;
        return 0;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n == 0) {
            vgh_errf(err, errlen, "anomaly kinds: empty name in list (valid: %s)", SIMTEMP_VALID);
            return -1;
        }
        int found = 0;
        for (unsigned k = 0; k < SIMTEMP_NKINDS && !found; k++) {
            if (strlen(simtemp__kinds[k].name) == n && memcmp(simtemp__kinds[k].name, p, n) == 0) {
                m |= 1u << k;
                found = 1;
            }
        }
        if (!found && n == 3 && memcmp(p, "all", 3) == 0) {
            m |= VGH_ANOM_ALL;
            found = 1;
        }
        if (!found && n == 4 && memcmp(p, "none", 4) == 0)
            found = 1;
        if (!found) {
            char shown[44];
            size_t s = n > 40 ? 40 : n;
            for (size_t i = 0; i < s; i++)
                shown[i] = ((unsigned char)p[i] < 0x20u || p[i] == 0x7F) ? '?' : p[i];
            memcpy(shown + s, n > 40 ? "..." : "", n > 40 ? 4u : 1u);
            vgh_errf(err, errlen, "anomaly kinds: unknown kind '%s' (valid: %s)", shown,
                     SIMTEMP_VALID);
            return -1;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *mask = m;
    return 0;
}

const char *vgh_anomaly_kind_name(unsigned bit)
{
    if (bit == 0)
        return "normal";
    for (unsigned k = 0; k < SIMTEMP_NKINDS; k++)
        if (bit == 1u << k)
            return simtemp__kinds[k].name;
    return NULL;
}

void vgh_simtemp_defaults(vgh_simtemp_cfg_t *cfg)
{
    cfg->minutes = 1440.0;
    cfg->rate_hz = 2.0;
    cfg->seed = 1;
    cfg->kinds = VGH_ANOM_ALL;
    cfg->events_per_kind = 0;
    cfg->setpoint = 22.0;
    cfg->daily_amp = 1.5;
    cfg->noise = 0.1;
    cfg->start_epoch = 1767225600.0;
}

static int simtemp__check(const vgh_simtemp_cfg_t *cfg, char *err, size_t errlen)
{
    const struct {
        const char *name;
        double v;
        int positive;
    } f[] = {
        {"minutes", cfg->minutes, 1},   {"rate_hz", cfg->rate_hz, 1},
        {"setpoint", cfg->setpoint, 0}, {"daily_amp", cfg->daily_amp, 0},
        {"noise", cfg->noise, 0},       {"start_epoch", cfg->start_epoch, 0},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (!isfinite(f[i].v) || (f[i].positive && !(f[i].v > 0.0))) {
            vgh_errf(err, errlen, "sim_temperature: %s must be %s (got %g)", f[i].name,
                     f[i].positive ? "a finite number > 0" : "finite", f[i].v);
            return -1;
        }
    }
    if (cfg->noise < 0.0) {
        vgh_errf(err, errlen, "sim_temperature: noise must be >= 0 (got %g)", cfg->noise);
        return -1;
    }
    if (cfg->kinds & ~VGH_ANOM_ALL) {
        vgh_errf(err, errlen, "sim_temperature: kinds has unknown bits 0x%X",
                 cfg->kinds & ~VGH_ANOM_ALL);
        return -1;
    }
    return 0;
}

static int simtemp__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t simtemp__samples(double seconds, double rate)
{
    double n = floor(seconds * rate + 0.5);
    return n < 1.0 ? 1u : (uint64_t)n;
}

/* Draw, size and place the events. On success *out holds *nev events sorted by start
 * (NULL when there are none). Placement: with lengths L_i in shuffled order and
 * slack = N - (lead + sum L_i + (K-1) gap), event i starts at
 * lead + sum_{j<i}(L_j + gap) + u_i where u_1 <= ... <= u_K are sorted uniform draws
 * in [0, slack]; consecutive starts are then >= L + gap apart and the last event ends
 * by N. */
static int simtemp__plan(const vgh_simtemp_cfg_t *cfg, uint64_t nrows, vgh_rng_t *rng,
                         simtemp__event_t **out, size_t *nev, char *err, size_t errlen)
{
    *out = NULL;
    *nev = 0;
    double rate = cfg->rate_hz;
    double epk = cfg->events_per_kind;
    if (cfg->events_per_kind == 0) {
        epk = floor(6.0 * cfg->minutes / 1440.0 + 0.5);
        if (epk < 1.0 && cfg->minutes >= 30.0)
            epk = 1.0;
    }
    unsigned nk = 0;
    double need = 0.0;
    for (unsigned k = 0; k < SIMTEMP_NKINDS; k++) {
        if (cfg->kinds & (1u << k)) {
            nk++;
            need += epk * (double)simtemp__samples(simtemp__kinds[k].lo_s, rate);
        }
    }
    double K = epk * nk;
    if (K == 0.0)
        return 0;
    uint64_t gap = (uint64_t)ceil(SIMTEMP_GUARD_S * rate - 1e-9);
    if (gap < 1)
        gap = 1;
    need += (double)gap + (K - 1.0) * (double)gap;
    if (need > (double)nrows) {
        vgh_errf(err, errlen,
                 "sim_temperature: %.0f events (%.0f per kind x %u kinds) do not fit: "
                 "they need at least %.1f min (10 min lead-in, 10 min between events, "
                 "shortest durations) but the recording is %.1f min; lower "
                 "events_per_kind or kinds, or record longer",
                 K, epk, nk, need / rate / 60.0, cfg->minutes);
        return -1;
    }
    size_t n = (size_t)K; /* K <= nrows / 2 here, so it fits memory-sized counts */
    simtemp__event_t *ev = calloc(n, sizeof *ev);
    uint64_t *u = malloc(n * sizeof *u);
    if (ev == NULL || u == NULL) {
        free(ev);
        free(u);
        vgh_errf(err, errlen, "sim_temperature: out of memory for %zu events", n);
        return -1;
    }
    size_t i = 0, per = (size_t)epk;
    for (unsigned k = 0; k < SIMTEMP_NKINDS; k++)
        if (cfg->kinds & (1u << k))
            for (size_t e = 0; e < per; e++)
                ev[i++].kind = k;
    for (size_t j = n; j > 1; j--) { /* Fisher-Yates */
        size_t r = (size_t)vgh_rng_below(rng, j);
        unsigned t = ev[j - 1].kind;
        ev[j - 1].kind = ev[r].kind;
        ev[r].kind = t;
    }
    uint64_t total = gap + (uint64_t)(n - 1) * gap;
    for (i = 0; i < n; i++) {
        simtemp__event_t *e = &ev[i];
        double lo = simtemp__kinds[e->kind].lo_s, hi = simtemp__kinds[e->kind].hi_s;
        e->len = simtemp__samples(lo + (hi - lo) * vgh_rng_uniform(rng), rate);
        total += e->len;
        double sign = vgh_rng_uniform(rng) < 0.5 ? -1.0 : 1.0;
        switch (1u << e->kind) {
        case VGH_ANOM_SPIKE:
            e->a = (vgh_rng_uniform(rng) < 0.8 ? 1.0 : -1.0) * (3.0 + 5.0 * vgh_rng_uniform(rng));
            break;
        case VGH_ANOM_DRIFT: e->a = sign * (0.2 + 0.3 * vgh_rng_uniform(rng)) / 60.0; break;
        case VGH_ANOM_NOISE: e->a = 5.0 + 5.0 * vgh_rng_uniform(rng); break;
        case VGH_ANOM_DROPOUT: e->nan_text = vgh_rng_uniform(rng) < 1.0 / 3.0; break;
        default: break;
        }
    }
    /* The minimum lengths fit (checked above), so shortening toward them always ends. */
    for (i = 0; i < n && total > nrows; i++) {
        uint64_t lmin = simtemp__samples(simtemp__kinds[ev[i].kind].lo_s, rate);
        uint64_t cut = ev[i].len - lmin;
        if (cut > total - nrows)
            cut = total - nrows;
        ev[i].len -= cut;
        total -= cut;
    }
    uint64_t slack = nrows - total;
    for (i = 0; i < n; i++)
        u[i] = vgh_rng_below(rng, slack + 1);
    qsort(u, n, sizeof *u, simtemp__cmp_u64);
    uint64_t pos = gap;
    for (i = 0; i < n; i++) {
        ev[i].start = pos + u[i];
        pos += ev[i].len + gap;
    }
    free(u);
    *out = ev;
    *nev = n;
    return 0;
}

int vgh_sim_temperature(const vgh_simtemp_cfg_t *cfg, FILE *out, char *err, size_t errlen)
{
    if (cfg == NULL || out == NULL) {
        vgh_errf(err, errlen, "sim_temperature: NULL %s", cfg == NULL ? "cfg" : "out");
        return -1;
    }
    if (simtemp__check(cfg, err, errlen) != 0)
        return -1;
    double rate = cfg->rate_hz;
    double nrows_d = floor(cfg->minutes * 60.0 * rate + 0.5);
    if (nrows_d < 1.0 || nrows_d > SIMTEMP_MAX_ROWS) {
        vgh_errf(err, errlen,
                 "sim_temperature: %g min at %g Hz gives %.0f rows (need 1 to "
                 "2^53)",
                 cfg->minutes, rate, nrows_d);
        return -1;
    }
    uint64_t nrows = (uint64_t)nrows_d;

    /* Two independent streams: events, and the normal signal (whose draws per row are
     * the same whatever the events are). */
    vgh_rng_t seeder, rng_ev, rng_sig;
    vgh_rng_seed(&seeder, cfg->seed);
    vgh_rng_seed(&rng_ev, vgh_rng_u64(&seeder));
    vgh_rng_seed(&rng_sig, vgh_rng_u64(&seeder));

    simtemp__event_t *ev = NULL;
    size_t nev = 0, k = 0;
    if (simtemp__plan(cfg, nrows, &rng_ev, &ev, &nev, err, errlen) != 0)
        return -1;

    double dt = 1.0 / rate;
    double phi = exp(-dt / SIMTEMP_WANDER_TAU);
    double innov = SIMTEMP_WANDER_SD * sqrt(1.0 - phi * phi);
    double wander = SIMTEMP_WANDER_SD * vgh_rng_normal(&rng_sig);
    double noise_ev = cfg->noise > 0.0 ? cfg->noise : 0.1;
    int bad = fprintf(out, "timestamp,value,label,kind\n") < 0;

    for (uint64_t i = 0; i < nrows && !bad; i++) {
        double ts = cfg->start_epoch + (double)i / rate;
        double tod = fmod(ts, SIMTEMP_DAY_S);
        if (tod < 0.0)
            tod += SIMTEMP_DAY_S;
        double base =
            cfg->setpoint + cfg->daily_amp * sin(2.0 * SIMTEMP_PI * tod / SIMTEMP_DAY_S) + wander;
        double z = vgh_rng_normal(&rng_sig);
        double v = base + cfg->noise * z;
        const char *missing = NULL;
        unsigned kind = 0;

        while (k < nev && i >= ev[k].start + ev[k].len)
            k++;
        if (k < nev && i >= ev[k].start) {
            simtemp__event_t *e = &ev[k];
            kind = 1u << e->kind;
            switch (kind) {
            case VGH_ANOM_SPIKE: v += e->a; break;
            case VGH_ANOM_DRIFT: v += e->a * (double)(i - e->start + 1) / rate; break;
            case VGH_ANOM_STUCK:
                if (i == e->start)
                    e->stuck = v;
                v = e->stuck;
                break;
            case VGH_ANOM_NOISE: v = base + e->a * noise_ev * z; break;
            default: /* dropout */ missing = e->nan_text ? "nan" : ""; break;
            }
        }
        wander = phi * wander + innov * vgh_rng_normal(&rng_sig);

        if (fabs(v) < 5e-5)
            v = 0.0; /* no "-0.0000" */
        if (missing != NULL)
            bad = fprintf(out, "%.3f,%s,%d,%s\n", ts, missing, kind != 0,
                          vgh_anomaly_kind_name(kind)) < 0;
        else
            bad = fprintf(out, "%.3f,%.4f,%d,%s\n", ts, v, kind != 0, vgh_anomaly_kind_name(kind)) <
                  0;
    }
    free(ev);
    if (bad || fflush(out) != 0 || ferror(out)) {
        vgh_errf(err, errlen, "sim_temperature: write error");
        return -1;
    }
    return 0;
}
