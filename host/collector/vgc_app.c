/* SPDX-License-Identifier: MIT */
/* The collector's shared pieces: queue, metrics, live-update hub, logging. */
#include "vgc_app.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t vgc_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void vgc_sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0)
        ;
}

void vgc_log(vgc_app_t *a, const char *fmt, ...)
{
    int64_t now = vgc_now_ms();
    if (now - a->log_window_ms >= 1000) {
        if (a->log_count > 20)
            fprintf(stderr, "vigil collector: (%lld more log lines suppressed)\n",
                    (long long)(a->log_count - 20));
        a->log_window_ms = now;
        a->log_count = 0;
    }
    if (++a->log_count > 20)
        return;
    va_list ap;
    va_start(ap, fmt);
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "vigil collector: %s\n", line);
}

void vgc_row_free(vgc_row_t *r)
{
    if (r == NULL)
        return;
    vgc_payload_free(r->json);
    free(r);
}

/* ---- queue ---- */

int vgc_queue_init(vgc_queue_t *q, long cap)
{
    memset(q, 0, sizeof *q);
    q->rows = calloc((size_t)cap, sizeof *q->rows);
    if (q->rows == NULL)
        return -1;
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    return 0;
}

void vgc_queue_destroy(vgc_queue_t *q)
{
    for (long i = 0; i < q->n; i++)
        vgc_row_free(q->rows[(q->head + i) % q->cap]);
    free(q->rows);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->nonempty);
    pthread_cond_destroy(&q->nonfull);
}

static void deadline_in(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_REALTIME, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

int vgc_queue_push(vgc_queue_t *q, vgc_row_t *r, atomic_int *stop)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap) {
        if (atomic_load(stop)) {
            pthread_mutex_unlock(&q->mu);
            return -1;
        }
        struct timespec t;
        deadline_in(&t, 200);
        pthread_cond_timedwait(&q->nonfull, &q->mu, &t);
    }
    q->rows[(q->head + q->n) % q->cap] = r;
    /* Wake the store thread only when it may be waiting for a first row: a wake-up per
     * message would cost two context switches per message under load. */
    if (q->n++ == 0)
        pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

long vgc_queue_pop(vgc_queue_t *q, vgc_row_t **out, long max, long wait_ms)
{
    pthread_mutex_lock(&q->mu);
    if (q->n == 0 && wait_ms > 0) {
        struct timespec t;
        deadline_in(&t, wait_ms);
        while (q->n == 0)
            if (pthread_cond_timedwait(&q->nonempty, &q->mu, &t) == ETIMEDOUT)
                break;
    }
    long k = q->n < max ? q->n : max;
    for (long i = 0; i < k; i++) {
        out[i] = q->rows[q->head];
        q->head = (q->head + 1) % q->cap;
    }
    q->n -= k;
    if (k > 0)
        pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    return k;
}

/* ---- metrics ---- */

double vgc_metrics_quantile(vgc_metrics_t *m, double q)
{
    uint64_t total = 0;
    for (int i = 0; i < VGC_LAT_BUCKETS; i++)
        total += atomic_load(&m->lat[i]);
    if (total == 0)
        return -1;
    uint64_t want = (uint64_t)(q * (double)total + 0.5), acc = 0;
    if (want < 1)
        want = 1;
    for (int i = 0; i < VGC_LAT_BUCKETS; i++) {
        acc += atomic_load(&m->lat[i]);
        if (acc >= want)
            return i;
    }
    return VGC_LAT_BUCKETS - 1;
}

void vgc_metrics_render(vgc_metrics_t *m, long qcap, vgc_buf_t *o)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } per_kind[] = {
        {"vigil_collector_messages_received_total", "Messages received, by topic kind.",
         offsetof(vgc_metrics_t, received)},
        {"vigil_collector_messages_stored_total", "New rows committed, by topic kind.",
         offsetof(vgc_metrics_t, stored)},
        {"vigil_collector_messages_duplicate_total",
         "Messages whose (device, boot, seq) was already stored.",
         offsetof(vgc_metrics_t, duplicates)},
        {"vigil_collector_messages_malformed_total", "Payloads refused, by topic kind.",
         offsetof(vgc_metrics_t, malformed)},
    };
    for (size_t i = 0; i < sizeof per_kind / sizeof per_kind[0]; i++) {
        atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)m + per_kind[i].off);
        vgc_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n", per_kind[i].name, per_kind[i].help,
                       per_kind[i].name);
        for (int k = 0; k < VGC_KIND_COUNT; k++)
            vgc_buf_printf(o, "%s{kind=\"%s\"} %llu\n", per_kind[i].name,
                           vgc_kind_name((vgc_kind_t)k), (unsigned long long)atomic_load(&c[k]));
    }
#define COUNTER(name, help, v)                                                                     \
    vgc_buf_printf(o, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n",        \
                   (unsigned long long)(v))
#define GAUGE(name, help, fmt, v)                                                                  \
    vgc_buf_printf(o, "# HELP " name " " help "\n# TYPE " name " gauge\n" name " " fmt "\n", v)
    COUNTER("vigil_collector_bad_topic_total", "Messages on topics that are not a device's.",
            atomic_load(&m->bad_topic));
    COUNTER("vigil_collector_commits_total", "Store transactions committed.",
            atomic_load(&m->commits));
    vgc_buf_printf(o,
                   "# HELP vigil_collector_commit_seconds_total Time spent writing and "
                   "committing.\n# TYPE vigil_collector_commit_seconds_total counter\n"
                   "vigil_collector_commit_seconds_total %.6f\n",
                   (double)atomic_load(&m->commit_us) / 1e6);
    COUNTER("vigil_collector_store_errors_total", "Store transactions that failed (retried).",
            atomic_load(&m->store_errors));
    COUNTER("vigil_collector_mqtt_connects_total", "Successful broker connections.",
            atomic_load(&m->mqtt_connects));
    COUNTER("vigil_collector_commands_sent_total", "Commands published to devices.",
            atomic_load(&m->cmds_sent));
    GAUGE("vigil_collector_queue_depth", "Rows received and not yet committed.", "%lld",
          (long long)atomic_load(&m->queue_depth));
    GAUGE("vigil_collector_queue_capacity", "Rows the queue holds before the broker waits.", "%ld",
          qcap);
    GAUGE("vigil_collector_mqtt_connected", "1 while connected to the broker.", "%d",
          atomic_load(&m->mqtt_up));
    GAUGE("vigil_collector_db_up", "1 while the last store transaction succeeded.", "%d",
          atomic_load(&m->db_up));
    GAUGE("vigil_collector_sse_clients", "Connected /api/stream readers.", "%d",
          atomic_load(&m->sse_clients));
    vgc_buf_puts(o, "# HELP vigil_collector_store_latency_ms Device publish time (ts) to commit, "
                    "ms, since start.\n# TYPE vigil_collector_store_latency_ms summary\n");
    static const double qs[] = {0.5, 0.9, 0.99, 0.999};
    for (size_t i = 0; i < 4; i++)
        vgc_buf_printf(o, "vigil_collector_store_latency_ms{quantile=\"%g\"} %.0f\n", qs[i],
                       vgc_metrics_quantile(m, qs[i]));
    vgc_buf_printf(o,
                   "vigil_collector_store_latency_ms_sum %llu\n"
                   "vigil_collector_store_latency_ms_count %llu\n",
                   (unsigned long long)atomic_load(&m->lat_sum_ms),
                   (unsigned long long)atomic_load(&m->lat_count));
#undef COUNTER
#undef GAUGE
}

/* ---- live-update hub ---- */

void vgc_hub_init(vgc_hub_t *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

void vgc_hub_destroy(vgc_hub_t *h)
{
    for (int i = 0; i < VGC_HUB_RING; i++)
        free(h->ring[i]);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

void vgc_hub_publish(vgc_hub_t *h, const char *name, const char *device, const char *json)
{
    vgc_buf_t b = {0};
    vgc_buf_printf(&b, "event: %s\ndata: {\"device\":", name);
    vgc_buf_json_str(&b, device);
    vgc_buf_printf(&b, ",\"msg\":%s}\n\n", json);
    if (!vgc_buf_ok(&b)) {
        vgc_buf_free(&b);
        return;
    }
    pthread_mutex_lock(&h->mu);
    char **slot = &h->ring[h->next % VGC_HUB_RING];
    free(*slot);
    *slot = b.p;
    h->next++;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void vgc_hub_close(vgc_hub_t *h)
{
    pthread_mutex_lock(&h->mu);
    h->closing = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}
