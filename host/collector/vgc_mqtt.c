/* SPDX-License-Identifier: MIT */
/* The collector's MQTT side (libmosquitto, MQTT v5). A persistent session (clean start off,
 * session expiry --session-expiry) makes the broker keep QoS 1 messages while the collector
 * is away; they arrive after it reconnects. libmosquitto 2.0 sends PUBACK before it calls
 * on_message (no manual acknowledgement in 2.0.11), so a message is the collector's once the
 * callback runs: it is parsed and queued there, and the queue blocks when full so that the
 * broker, not the collector's memory, holds the excess (docs/collector.md, durability). */
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vgc_app.h"

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    vgc_app_t *a = obj;
    (void)props;
    if (rc != 0) {
        vgc_log(a, "broker refused the connection: %s", mosquitto_reason_string(rc));
        return;
    }
    static const char *const kinds[] = {"telemetry", "event", "ack"};
    char topics[4][200];
    char *subs[4];
    snprintf(topics[0], sizeof topics[0], "vigil/+/status");
    for (int i = 0; i < 3; i++) {
        if (a->group)
            snprintf(topics[i + 1], sizeof topics[i + 1], "$share/%s/vigil/+/%s", a->group,
                     kinds[i]);
        else
            snprintf(topics[i + 1], sizeof topics[i + 1], "vigil/+/%s", kinds[i]);
    }
    for (int i = 0; i < 4; i++)
        subs[i] = topics[i];
    int src = mosquitto_subscribe_multiple(mosq, NULL, 4, subs, 1, 0, NULL);
    if (src != MOSQ_ERR_SUCCESS) {
        vgc_log(a, "subscribe failed: %s", mosquitto_strerror(src));
        return;
    }
    atomic_store(&a->met.mqtt_up, 1);
    atomic_fetch_add(&a->met.mqtt_connects, 1);
    if (!a->quiet)
        vgc_log(a, "connected to %s:%d (%s session)", a->host, a->port,
                (flags & 1) ? "resumed" : "new");
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    vgc_app_t *a = obj;
    (void)mosq;
    (void)props;
    char err[256];
    vgc_row_t *r = calloc(1, sizeof *r);
    if (r == NULL) {
        vgc_log(a, "out of memory: message on %s not stored", msg->topic);
        return;
    }
    r->received_ms = vgc_now_ms();
    vgc_kind_t kind;
    if (vgc_topic_parse(msg->topic, r->m.device, &kind, err, sizeof err) != 0) {
        atomic_fetch_add(&a->met.bad_topic, 1);
        vgc_log(a, "malformed: %s: %s", msg->topic, err);
        free(r);
        return;
    }
    atomic_fetch_add(&a->met.received[kind], 1);
    if (vgc_payload_parse(kind, msg->payload, (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0),
                          &r->m, &r->json, err, sizeof err) != 0) {
        atomic_fetch_add(&a->met.malformed[kind], 1);
        vgc_log(a, "malformed: %s: %s", msg->topic, err);
        free(r);
        return;
    }
    atomic_fetch_add(&a->met.queue_depth, 1);
    if (vgc_queue_push(&a->q, r, &a->stop) != 0) {
        /* Stopping with a full queue and a database that does not come back. */
        atomic_fetch_sub(&a->met.queue_depth, 1);
        vgc_log(a, "stopping: %s seq %lld not stored", msg->topic, (long long)r->m.seq);
        vgc_row_free(r);
    }
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    vgc_app_t *a = obj;
    (void)mosq;
    (void)props;
    atomic_store(&a->met.mqtt_up, 0);
    if (!atomic_load(&a->mqtt_stop))
        vgc_log(a, "lost the broker (%s); reconnecting", mosquitto_reason_string(rc));
}

/* Sleep @p ms unless told to stop. */
static void nap(vgc_app_t *a, long ms)
{
    for (long t = 0; t < ms && !atomic_load(&a->mqtt_stop); t += 50)
        vgc_sleep_ms(50);
}

int vgc_mqtt_cmd(vgc_app_t *a, const char *device, const char *json)
{
    char topic[64];
    snprintf(topic, sizeof topic, "vigil/%s/cmd", device);
    if (!atomic_load(&a->met.mqtt_up))
        return -1;
    int rc = mosquitto_publish_v5(a->mosq, NULL, topic, (int)strlen(json), json, 1, false, NULL);
    if (rc != MOSQ_ERR_SUCCESS)
        return -1;
    atomic_fetch_add(&a->met.cmds_sent, 1);
    return 0;
}

/* Reconnect quickly at first: Mosquitto 2.0.11 does not queue for a session restored from
 * its persistence file until that client is back (observed; docs/collector.md), and devices
 * retry after 1 s, so the collector should be there first. 20 tries 250 ms apart, then
 * doubling to 8 s. */
static long next_backoff(int tries)
{
    if (tries < 20)
        return 250;
    long b = 500L << (tries - 20 < 4 ? tries - 20 : 4);
    return b;
}

void *vgc_mqtt_run(void *arg)
{
    vgc_app_t *a = arg;
    struct mosquitto *mosq = a->mosq;
    int tries = 0;
    while (!atomic_load(&a->mqtt_stop)) {
        mosquitto_property *props = NULL;
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     (uint32_t)a->session_expiry);
        int rc = mosquitto_connect_bind_v5(mosq, a->host, a->port, 30, NULL, props);
        mosquitto_property_free_all(&props);
        if (rc != MOSQ_ERR_SUCCESS) {
            long b = next_backoff(tries++);
            if (tries == 1 || b > 250)
                vgc_log(a, "cannot reach the broker at %s:%d (%s); retrying every %.2f s", a->host,
                        a->port,
                        rc == MOSQ_ERR_ERRNO ? "connection failed" : mosquitto_strerror(rc),
                        (double)b / 1000.0);
            nap(a, b);
            continue;
        }
        while (!atomic_load(&a->mqtt_stop)) {
            rc = mosquitto_loop(mosq, 100, 1);
            if (rc != MOSQ_ERR_SUCCESS)
                break;
            if (atomic_load(&a->met.mqtt_up))
                tries = 0;
        }
        if (atomic_load(&a->mqtt_stop)) {
            /* Keep the session: the broker queues for us until we are back. */
            mosquitto_disconnect_v5(mosq, 0, NULL);
            for (int i = 0; i < 10 && mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS; i++)
                ;
            break;
        }
        atomic_store(&a->met.mqtt_up, 0);
        nap(a, next_backoff(tries++));
    }
    atomic_store(&a->met.mqtt_up, 0);
    atomic_store(&a->mqtt_done, 1);
    return NULL;
}

int vgc_mqtt_setup(vgc_app_t *a, char *err, size_t errlen)
{
    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(a->client_id, false, a);
    if (mosq == NULL) {
        snprintf(err, errlen, "cannot create the MQTT client");
        return -1;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_int_option(mosq, MOSQ_OPT_RECEIVE_MAXIMUM, 1000);
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_threaded_set(mosq, true);
    if (a->user && mosquitto_username_pw_set(mosq, a->user, a->password) != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "bad user name or password");
        mosquitto_destroy(mosq);
        return -1;
    }
    if (a->cafile) {
        int rc = mosquitto_tls_set(mosq, a->cafile, NULL, NULL, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "%s: %s", a->cafile, mosquitto_strerror(rc));
            mosquitto_destroy(mosq);
            return -1;
        }
    }
    mosquitto_connect_v5_callback_set(mosq, on_connect);
    mosquitto_message_v5_callback_set(mosq, on_message);
    mosquitto_disconnect_v5_callback_set(mosq, on_disconnect);
    a->mosq = mosq;
    return 0;
}

void vgc_mqtt_cleanup(vgc_app_t *a)
{
    if (a->mosq)
        mosquitto_destroy(a->mosq);
    a->mosq = NULL;
    mosquitto_lib_cleanup();
}
