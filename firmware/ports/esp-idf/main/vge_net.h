/* SPDX-License-Identifier: MIT */
/**
 * @file vge_net.h
 * @brief The ESP-IDF port's network: Wi-Fi station (esp_netif, esp_event), the esp-mqtt
 *        client and SNTP. Events from the Wi-Fi and MQTT tasks are not handled there: they
 *        are posted to the application task (vge_main.c), the one owner of vg_app_t, so the
 *        app needs no lock and never waits on esp-mqtt's lock while esp-mqtt waits on it.
 */
#ifndef VGE_NET_H
#define VGE_NET_H
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

/** What the network tells the application task. */
typedef enum {
    VGE_EV_SAMPLE = 0,    /**< (vge_main.c) a sample vector from the timer */
    VGE_EV_GOT_IP = 1,    /**< Wi-Fi connected and has an address */
    VGE_EV_CONNECTED = 2, /**< the broker accepted the connection */
    VGE_EV_DISCONNECTED = 3,
    VGE_EV_PUBLISHED = 4 /**< PUBACK for msg_id */
} vge_ev_kind_t;

/** Most ADC channels sampled (one per model channel). */
#define VGE_MAX_ADC 4

/** One item of the application task's queue (32 bytes). */
typedef struct {
    uint8_t kind; /* vge_ev_kind_t */
    int32_t msg_id;
    uint32_t index; /* sample number since the timer started */
    float x[VGE_MAX_ADC];
} vge_ev_t;

/** Longest command payload handed to the app (protocol.md's commands are < 200 bytes). */
#define VGE_CMD_MAX 512

/** One command from the MQTT task. */
typedef struct {
    uint16_t len;
    char data[VGE_CMD_MAX];
} vge_cmd_t;

/** @brief Implemented by vge_main.c: queue an event / a command for the application task
 *         (never blocks; a full queue drops it, with a log line). */
void vge_post(const vge_ev_t *ev);
void vge_post_cmd(const char *data, size_t len);

/** @brief Start Wi-Fi in station mode (esp_netif/esp_event must be initialised by the call:
 *         it does it). Reconnects on every disconnection; posts VGE_EV_GOT_IP. */
esp_err_t vge_wifi_start(const char *ssid, const char *password);

/** @brief Create the MQTT client (not started): @p id is client id and, when @p user is empty,
 *         user name; messages on @p cmd_topic are posted with vge_post_cmd(). Auto-reconnect is
 * off: the application task reconnects with its backoff after setting a fresh last will
 * (vge_mqtt_connect). */
esp_err_t vge_mqtt_init(const char *uri, const char *id, const char *user, const char *password,
                        const char *cmd_topic);

/** @brief Register the last will for the next attempt and start (first call) or reconnect. */
esp_err_t vge_mqtt_connect(const char *will_topic, const char *will, size_t will_len);

/** @brief Queue a message in esp-mqtt's outbox (sent by its task). @return msg_id (>= 0, 0 for
 *         QoS 0) or < 0 when refused (outbox full). */
int vge_mqtt_publish(const char *topic, const char *payload, size_t len, int qos, int retain);

/** @brief Subscribe to the command topic (QoS 1), after each VGE_EV_CONNECTED. */
void vge_mqtt_subscribe(void);

/** @brief Start SNTP (CONFIG_VIGIL_SNTP); idempotent. */
void vge_sntp_start(void);
#endif
