/* SPDX-License-Identifier: MIT */
/**
 * @file vgc_app.h
 * @brief The running collector: configuration, the bounded queue between the MQTT thread and
 *        the store thread, metrics, the live-update hub, and the threads' entry points.
 *
 * Threads: the MQTT thread (vgc_mqtt_run) parses each message and pushes it on the queue,
 * blocking when the queue is full so the broker holds the rest; the store thread
 * (vgc_store_run) writes batches and retries them while the database is away; libmicrohttpd's
 * threads answer HTTP from their own database connection and the hub.
 */
#ifndef VGC_APP_H
#define VGC_APP_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "vgc_buf.h"
#include "vgc_store.h"

#define VGC_LAT_BUCKETS 10002 /**< 1 ms latency buckets 0..10000 ms, then "more" */
#define VGC_HUB_RING    4096  /**< live updates kept for slow readers */

typedef struct {
    atomic_uint_fast64_t received[VGC_KIND_COUNT], stored[VGC_KIND_COUNT],
        duplicates[VGC_KIND_COUNT], malformed[VGC_KIND_COUNT];
    atomic_uint_fast64_t bad_topic;
    atomic_uint_fast64_t commits, commit_us, store_errors, mqtt_connects, cmds_sent;
    atomic_int_fast64_t queue_depth;
    atomic_int mqtt_up, db_up, sse_clients;
    atomic_uint_fast64_t lat[VGC_LAT_BUCKETS]; /* device ts -> commit, ms */
    atomic_uint_fast64_t lat_sum_ms, lat_count;
} vgc_metrics_t;

/** @brief Prometheus text exposition of @p m (queue capacity @p qcap). */
void vgc_metrics_render(vgc_metrics_t *m, long qcap, vgc_buf_t *out);
/** @brief Latency quantile @p q in [0,1] from the histogram, ms; -1 when empty. */
double vgc_metrics_quantile(vgc_metrics_t *m, double q);

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *ring[VGC_HUB_RING]; /**< SSE-framed messages, slot = seq % VGC_HUB_RING */
    uint64_t next;            /**< sequence number of the next message */
    int closing;
} vgc_hub_t;

void vgc_hub_init(vgc_hub_t *h);
void vgc_hub_destroy(vgc_hub_t *h);
/** @brief Broadcast `event: NAME` with data {"device":..,"msg":JSON}. */
void vgc_hub_publish(vgc_hub_t *h, const char *name, const char *device, const char *json);
/** @brief Wake every reader and make them end their streams. */
void vgc_hub_close(vgc_hub_t *h);

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    vgc_row_t **rows;
    long cap, head, n;
} vgc_queue_t;

typedef struct {
    /* configuration */
    const char *host;
    int port;
    const char *user, *password, *cafile, *client_id, *group;
    long session_expiry;
    const char *db_url;
    long commit_ms, batch, queue_cap;
    const char *http_addr; /**< NULL: no HTTP */
    int http_port;
    const char *web_dir, *token;
    const char *recordings_dir; /**< --recordings: DIR/<id>.csv + .vgm for /api/replay */
    int quiet;
    /* state */
    atomic_int stop;      /**< set by the signal handler */
    atomic_int mqtt_stop; /**< tells the MQTT thread to disconnect */
    atomic_int mqtt_done; /**< set by the MQTT thread as it ends */
    vgc_queue_t q;
    vgc_metrics_t met;
    vgc_hub_t hub;
    void *mosq;            /**< struct mosquitto * */
    atomic_int sse_wanted; /**< SSE readers connected: build live updates only then */
    pthread_mutex_t reader_mu;
    vgc_store_t *reader; /**< the HTTP threads' connection (opened lazily) */
    atomic_uint_fast64_t cmd_counter;
    atomic_int_fast64_t log_window_ms, log_count;
} vgc_app_t;

int vgc_queue_init(vgc_queue_t *q, long cap);
void vgc_queue_destroy(vgc_queue_t *q);
/** @brief Push, waiting while full; returns -1 (row not taken) when @p stop is set. */
int vgc_queue_push(vgc_queue_t *q, vgc_row_t *r, atomic_int *stop);
/** @brief Pop up to @p max rows, waiting up to @p wait_ms for the first. */
long vgc_queue_pop(vgc_queue_t *q, vgc_row_t **out, long max, long wait_ms);

int64_t vgc_now_ms(void);
/** @brief Sleep @p ms milliseconds. */
void vgc_sleep_ms(long ms);
/** @brief Rate-limited log line (at most 20 a second) to stderr, prefixed "vigil collector: ". */
void vgc_log(vgc_app_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vgc_row_free(vgc_row_t *r);

/** @brief Create the MQTT client from the configuration (before vgc_mqtt_run). */
int vgc_mqtt_setup(vgc_app_t *a, char *err, size_t errlen);
/** @brief Destroy the MQTT client (after the MQTT thread ended). */
void vgc_mqtt_cleanup(vgc_app_t *a);
/** @brief MQTT thread: connect, subscribe, reconnect with backoff until mqtt_stop. */
void *vgc_mqtt_run(void *app);
/** @brief Publish @p json to vigil/<device>/cmd, QoS 1. @retval 0 queued; -1 not connected. */
int vgc_mqtt_cmd(vgc_app_t *a, const char *device, const char *json);
/** @brief Start the HTTP server; @retval handle, or NULL (@p err says why). */
void *vgc_http_start(vgc_app_t *a, char *err, size_t errlen);
/** @brief The port the server listens on. */
int vgc_http_port(void *h);
void vgc_http_stop(void *h);
#endif
