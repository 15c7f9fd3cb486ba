/* SPDX-License-Identifier: MIT */
#include "vg_source.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "dataset.h"
#include "sim_power.h"
#include "sim_temp.h"

#define RING_ROWS 8192u

enum { SRC_TEMP = 1, SRC_POWER = 2, SRC_CSV = 3 };

struct vgp_source {
    int kind;
    char path[4096];  /* csv: the file; sims: /dev/fd/N of the pipe's read end */
    char columns[16]; /* sims: the generator's columns */
    const vgh_model_file_t *mf;
    vgh_simtemp_cfg_t temp;
    vgh_simpower_cfg_t power;
    int pipe_w; /* sims: the generator writes here */
    int pipe_r;
    pthread_t reader, gen;
    int reader_on, gen_on;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    vgp_row_t *ring;
    size_t head, n;
    int done, failed, stop, timed, orphan;
    char err[1024];
    char gen_err[512];
    int gen_failed;
};

static int src__kv(vgp_source_t *s, const char *key, const char *val, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double d = strtod(val, &end);
    int num = errno == 0 && end != val && *end == '\0' && isfinite(d);
#define SRC_NUM(lo, hi)                                                                            \
    do {                                                                                           \
        if (!num || d < (lo) || d > (hi)) {                                                        \
            vgh_errf(err, errlen, "--source: %s=%s: expected a number in [%g, %g]", key, val,      \
                     (double)(lo), (double)(hi));                                                  \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    if (s->kind == SRC_TEMP) {
        if (strcmp(key, "seed") == 0) {
            SRC_NUM(0, 1e18);
            s->temp.seed = (uint64_t)d;
        } else if (strcmp(key, "anomalies") == 0) {
            if (vgh_anomaly_kinds_parse(val, &s->temp.kinds, err, errlen) != 0)
                return -1;
        } else if (strcmp(key, "events") == 0) {
            SRC_NUM(0, 100000);
            s->temp.events_per_kind = (unsigned)d;
        } else if (strcmp(key, "minutes") == 0) {
            SRC_NUM(1e-3, 1e7);
            s->temp.minutes = d;
        } else if (strcmp(key, "setpoint") == 0) {
            SRC_NUM(-1e6, 1e6);
            s->temp.setpoint = d;
        } else if (strcmp(key, "noise") == 0) {
            SRC_NUM(0, 1e6);
            s->temp.noise = d;
        } else if (strcmp(key, "daily_amp") == 0) {
            SRC_NUM(0, 1e6);
            s->temp.daily_amp = d;
        } else {
            vgh_errf(err, errlen,
                     "--source sim:temperature: unknown key '%s' (seed, anomalies, events, "
                     "minutes, setpoint, noise, daily_amp)",
                     key);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        SRC_NUM(0, 1e18);
        s->power.seed = (uint64_t)d;
    } else if (strcmp(key, "snr") == 0) {
        if (strcmp(val, "inf") == 0) {
            s->power.snr_db = INFINITY;
        } else {
            SRC_NUM(-10, 1000);
            s->power.snr_db = d;
        }
    } else if (strcmp(key, "classes") == 0) {
        if (vgh_pq_classes_parse(val, &s->power.classes, err, errlen) != 0)
            return -1;
    } else if (strcmp(key, "minutes") == 0) {
        SRC_NUM(1e-3, 1e7);
        s->power.minutes = d;
    } else if (strcmp(key, "events_per_hour") == 0) {
        SRC_NUM(0, 1e5);
        s->power.events_per_hour = d;
    } else {
        vgh_errf(err, errlen,
                 "--source sim:power: unknown key '%s' (seed, snr, classes, minutes, "
                 "events_per_hour)",
                 key);
        return -1;
    }
    return 0;
#undef SRC_NUM
}

/* sim:NAME:k=v:k=v (values may hold commas: anomalies=spike,drift) */
static int src__parse_sim(vgp_source_t *s, const char *spec, char *err, size_t errlen)
{
    char buf[1024];
    if (strlen(spec) >= sizeof buf) {
        vgh_errf(err, errlen, "--source: too long");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", spec + 4);
    char *save = NULL, *tok = strtok_r(buf, ":", &save);
    if (!tok || (strcmp(tok, "temperature") != 0 && strcmp(tok, "power") != 0)) {
        vgh_errf(err, errlen, "--source %s: unknown simulator (sim:temperature, sim:power)", spec);
        return -1;
    }
    s->kind = strcmp(tok, "temperature") == 0 ? SRC_TEMP : SRC_POWER;
    vgh_simtemp_defaults(&s->temp);
    vgh_simpower_defaults(&s->power);
    while ((tok = strtok_r(NULL, ":", &save)) != NULL) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            vgh_errf(err, errlen, "--source %s: '%s' is not KEY=VALUE", spec, tok);
            return -1;
        }
        *eq = '\0';
        if (src__kv(s, tok, eq + 1, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static void *src__gen(void *arg)
{
    vgp_source_t *s = arg;
    FILE *f = fdopen(s->pipe_w, "w");
    if (!f) {
        close(s->pipe_w);
        snprintf(s->gen_err, sizeof s->gen_err, "cannot start the simulator");
        s->gen_failed = 1;
        return NULL;
    }
    int rc = s->kind == SRC_TEMP
                 ? vgh_sim_temperature(&s->temp, f, s->gen_err, sizeof s->gen_err)
                 : vgh_sim_power_stream(&s->power, f, s->gen_err, sizeof s->gen_err);
    if (fclose(f) != 0 && rc == 0)
        rc = -1;
    /* A write error after the reader stopped is the end we asked for. */
    if (rc != 0)
        s->gen_failed = 1;
    return NULL;
}

static void src__free(vgp_source_t *s)
{
    if (s->pipe_r >= 0)
        close(s->pipe_r);
    if (s->ring) {
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
    }
    free(s->ring);
    free(s);
}

static void src__finish(vgp_source_t *s, const char *msg)
{
    pthread_mutex_lock(&s->mu);
    if (msg) {
        snprintf(s->err, sizeof s->err, "%s", msg);
        s->failed = 1;
    }
    s->done = 1;
    int orphan = s->orphan;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (orphan)
        src__free(s); /* vgp_source_close() left it to this thread */
}

static void *src__read(void *arg)
{
    vgp_source_t *s = arg;
    char err[1024];
    const vg_model_t *m = &s->mf->m;
    vgh_csv_t *csv = vgh_csv_open(s->path, err, sizeof err);
    int rc = csv ? vgh_csv_next(csv, err, sizeof err) : -1;
    vgh_rows_t rows;
    memset(&rows, 0, sizeof rows);
    rows.rate = m->sample_rate;
    size_t nrows = 0;
    if (rc == 0)
        snprintf(err, sizeof err, "%s: no data rows after the header", vgh_csv_name(csv));
    if (rc == 1 && vgh_colmap_resolve(csv, s->kind == SRC_CSV ? NULL : s->columns,
                                      s->kind == SRC_CSV ? s->mf->channels : NULL,
                                      s->kind == SRC_CSV ? m->n_channels : 0, &rows.map, err,
                                      sizeof err) != 0) {
        size_t l = strlen(err);
        if (s->kind == SRC_CSV)
            snprintf(err + l, sizeof err - l, " (the model needs it)");
        rc = -1;
    }
    if (rc == 1) {
        pthread_mutex_lock(&s->mu);
        s->timed = rows.map.time_col >= 0;
        pthread_mutex_unlock(&s->mu);
    }
    while (rc == 1) {
        vgh_row_t row;
        if (vgh_rows_read(&rows, csv, &row, err, sizeof err) != 0) {
            rc = -1;
            break;
        }
        pthread_mutex_lock(&s->mu);
        while (s->n == RING_ROWS && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->stop) {
            pthread_mutex_unlock(&s->mu);
            rc = 0;
            break;
        }
        vgp_row_t *r = &s->ring[(s->head + s->n) % RING_ROWS];
        r->t = row.t;
        memcpy(r->x, row.x, sizeof r->x);
        s->n++;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        nrows++;
        rc = vgh_csv_next(csv, err, sizeof err);
    }
    if (csv)
        vgh_csv_close(csv);
    if (s->pipe_r >= 0) {
        /* With no reader left, a generator still writing gets EPIPE and ends. */
        close(s->pipe_r);
        s->pipe_r = -1;
    }
    if (s->gen_on) {
        pthread_join(s->gen, NULL);
        s->gen_on = 0;
        /* The simulator's own error (a bad setting) explains an empty or cut stream. */
        if (s->gen_failed && !s->stop && (rc >= 0 || nrows == 0) && s->gen_err[0]) {
            snprintf(err, sizeof err, "%s", s->gen_err);
            rc = -1;
        }
    }
    src__finish(s, rc < 0 ? err : NULL);
    return NULL;
}

int vgp_source_open(vgp_source_t **out, const char *spec, const vgh_model_file_t *mf, char *err,
                    size_t errlen)
{
    *out = NULL;
    vgp_source_t *s = calloc(1, sizeof *s);
    if (!s) {
        vgh_errf(err, errlen, "out of memory");
        return 3;
    }
    s->mf = mf;
    s->pipe_r = s->pipe_w = -1;
    const vg_model_t *m = &mf->m;
    if (strncmp(spec, "sim:", 4) == 0) {
        if (src__parse_sim(s, spec, err, errlen) != 0) {
            free(s);
            return 2;
        }
        if (s->kind == SRC_TEMP && (m->wave.present || m->n_channels != 1)) {
            vgh_errf(err, errlen,
                     "--source sim:temperature gives one temperature channel; the model is %s",
                     m->wave.present ? "a waveform (power-quality) model: use sim:power"
                                     : "for several channels");
            free(s);
            return 1;
        }
        if (s->kind == SRC_POWER && !m->wave.present) {
            vgh_errf(err, errlen,
                     "--source sim:power gives waveforms; the model is not a waveform "
                     "(power-quality) model: use sim:temperature or csv:FILE");
            free(s);
            return 1;
        }
        if (s->kind == SRC_TEMP) {
            s->temp.rate_hz = m->sample_rate;
            snprintf(s->columns, sizeof s->columns, "value");
        } else {
            s->power.fs = m->sample_rate;
            s->power.f0 = m->wave.f_nominal;
            s->power.current = m->n_channels > 1;
            snprintf(s->columns, sizeof s->columns, "%s", s->power.current ? "v,i" : "v");
            if (vgh_simpower_check(&s->power, VGH_SIMPOWER_STREAM, err, errlen) != 0) {
                free(s);
                return 2;
            }
        }
        int p[2];
        if (pipe(p) != 0) {
            vgh_errf(err, errlen, "cannot make a pipe: %s", strerror(errno));
            free(s);
            return 3;
        }
        s->pipe_r = p[0];
        s->pipe_w = p[1];
        snprintf(s->path, sizeof s->path, "/dev/fd/%d", p[0]);
    } else if (strcmp(spec, "-") == 0 || strncmp(spec, "csv:", 4) == 0) {
        s->kind = SRC_CSV;
        const char *path = strcmp(spec, "-") == 0 ? "-" : spec + 4;
        if (!*path) {
            vgh_errf(err, errlen, "--source csv: needs a file name (csv:FILE)");
            free(s);
            return 2;
        }
        snprintf(s->path, sizeof s->path, "%s", path);
        if (strcmp(path, "-") != 0 && access(path, R_OK) != 0) {
            vgh_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
            free(s);
            return 1;
        }
    } else {
        vgh_errf(err, errlen, "--source '%s': expected sim:temperature, sim:power, csv:FILE or -",
                 spec);
        free(s);
        return 2;
    }
    s->ring = malloc(RING_ROWS * sizeof *s->ring);
    if (!s->ring) {
        vgh_errf(err, errlen, "out of memory");
        vgp_source_close(s);
        return 3;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (s->pipe_w >= 0) {
        if (pthread_create(&s->gen, NULL, src__gen, s) != 0) {
            vgh_errf(err, errlen, "cannot start a thread");
            close(s->pipe_w);
            s->pipe_w = -1;
            vgp_source_close(s);
            return 3;
        }
        s->gen_on = 1;
    }
    if (pthread_create(&s->reader, NULL, src__read, s) != 0) {
        vgh_errf(err, errlen, "cannot start a thread");
        vgp_source_close(s);
        return 3;
    }
    s->reader_on = 1;
    *out = s;
    return 0;
}

int vgp_source_next(vgp_source_t *s, vgp_row_t *row, int timeout_ms)
{
    pthread_mutex_lock(&s->mu);
    if (s->n == 0 && !s->done && timeout_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (s->n == 0 && !s->done)
            if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
                break;
    }
    int rc;
    if (s->n > 0) {
        *row = s->ring[s->head];
        s->head = (s->head + 1) % RING_ROWS;
        s->n--;
        pthread_cond_broadcast(&s->cv);
        rc = 1;
    } else {
        rc = s->done ? (s->failed ? -2 : -1) : 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

const char *vgp_source_error(vgp_source_t *s)
{
    pthread_mutex_lock(&s->mu);
    const char *e = s->failed ? s->err : NULL;
    pthread_mutex_unlock(&s->mu);
    return e;
}

int vgp_source_timed(vgp_source_t *s)
{
    pthread_mutex_lock(&s->mu);
    int t = s->timed;
    pthread_mutex_unlock(&s->mu);
    return t;
}

void vgp_source_close(vgp_source_t *s)
{
    if (!s)
        return;
    if (s->reader_on) {
        pthread_mutex_lock(&s->mu);
        s->stop = 1;
        pthread_cond_broadcast(&s->cv);
        if (!s->done && s->kind == SRC_CSV) {
            /* The reader may be blocked in read() on standard input or a FIFO, which nothing
             * here can interrupt: it frees the source itself when its read returns. */
            s->orphan = 1;
            pthread_mutex_unlock(&s->mu);
            pthread_detach(s->reader);
            return;
        }
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->reader, NULL);
    } else if (s->gen_on) {
        if (s->pipe_r >= 0) {
            close(s->pipe_r);
            s->pipe_r = -1;
        }
        pthread_join(s->gen, NULL);
    }
    src__free(s);
}
