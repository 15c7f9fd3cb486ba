/* SPDX-License-Identifier: MIT */
/* The ESP-IDF port's network glue: Wi-Fi station, esp-mqtt, SNTP. Handlers only translate
 * events and post them to the application task (vge_net.h explains why). docs/esp-idf.md
 * lists every ESP-IDF call made here with the header it was checked against. */
#include "vge_net.h"

#include <stdbool.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_sntp.h"
#include "esp_wifi.h"
#include "mqtt_client.h"
#include "sdkconfig.h"

static const char *TAG = "vigil-net";

#if CONFIG_VIGIL_MQTT_CA_EMBED
/* main/ca.pem, embedded NUL-terminated by EMBED_TXTFILES (main/CMakeLists.txt) */
extern const char vge_ca_pem[] asm("_binary_ca_pem_start");
#endif

/* The port's one network state (STYLE.md section 5). */
static struct {
    esp_mqtt_client_handle_t mqtt;
    esp_mqtt_client_config_t cfg;
    char will_topic[128];
    char will[1024];
    char cmd_topic[128];
    int started, sntp;
} net;

/* Copy a C string into a fixed field that need not end with a NUL (SSID, password). */
static void net__field(uint8_t *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst, src, n < cap ? n : cap);
}

static void net__wifi_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
        esp_wifi_connect();
    } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
        const wifi_event_sta_disconnected_t *d = data;
        ESP_LOGW(TAG, "Wi-Fi disconnected (reason %d); reconnecting", (int)d->reason);
        esp_wifi_connect();
    } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
        vge_ev_t ev = {.kind = VGE_EV_GOT_IP};
        vge_post(&ev);
    }
}

esp_err_t vge_wifi_start(const char *ssid, const char *password)
{
    esp_err_t err = esp_netif_init();
    if (err != ESP_OK)
        return err;
    err = esp_event_loop_create_default();
    if (err != ESP_OK && err != ESP_ERR_INVALID_STATE) /* already created: fine */
        return err;
    if (!esp_netif_create_default_wifi_sta())
        return ESP_FAIL;
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
    if ((err = esp_wifi_init(&init)) != ESP_OK ||
        (err = esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, net__wifi_event,
                                                   NULL, NULL)) != ESP_OK ||
        (err = esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, net__wifi_event,
                                                   NULL, NULL)) != ESP_OK)
        return err;
    wifi_config_t wc;
    memset(&wc, 0, sizeof wc);
    net__field(wc.sta.ssid, sizeof wc.sta.ssid, ssid);
    net__field(wc.sta.password, sizeof wc.sta.password, password);
    wc.sta.threshold.authmode = password[0] ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
    if ((err = esp_wifi_set_mode(WIFI_MODE_STA)) != ESP_OK ||
        (err = esp_wifi_set_config(WIFI_IF_STA, &wc)) != ESP_OK)
        return err;
    return esp_wifi_start();
}

static void net__mqtt_event(void *arg, esp_event_base_t base, int32_t id, void *data)
{
    (void)arg;
    (void)base;
    const esp_mqtt_event_t *e = data;
    vge_ev_t ev;
    memset(&ev, 0, sizeof ev);
    switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_CONNECTED:
        ev.kind = VGE_EV_CONNECTED;
        vge_post(&ev);
        break;
    case MQTT_EVENT_DISCONNECTED: /* also after every failed attempt */
        ev.kind = VGE_EV_DISCONNECTED;
        vge_post(&ev);
        break;
    case MQTT_EVENT_PUBLISHED:
        ev.kind = VGE_EV_PUBLISHED;
        ev.msg_id = e->msg_id;
        vge_post(&ev);
        break;
    case MQTT_EVENT_DATA:
        /* Whole messages on the command topic only: esp-mqtt splits a message longer than its
         * buffer over several events, and no command is that long. */
        if (e->topic_len == (int)strlen(net.cmd_topic) &&
            memcmp(e->topic, net.cmd_topic, (size_t)e->topic_len) == 0 &&
            e->current_data_offset == 0 && e->data_len == e->total_data_len)
            vge_post_cmd(e->data, (size_t)e->data_len);
        break;
    case MQTT_EVENT_ERROR:
        if (e->error_handle && e->error_handle->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED)
            ESP_LOGE(TAG,
                     "the broker refused the connection (code %d): check the user name "
                     "and password",
                     (int)e->error_handle->connect_return_code);
        break;
    default: break;
    }
}

esp_err_t vge_mqtt_init(const char *uri, const char *id, const char *user, const char *password,
                        const char *cmd_topic)
{
    size_t n = strlen(cmd_topic);
    if (n >= sizeof net.cmd_topic)
        return ESP_ERR_INVALID_SIZE;
    memcpy(net.cmd_topic, cmd_topic, n + 1u);
    memset(&net.cfg, 0, sizeof net.cfg);
    net.cfg.broker.address.uri = uri;
#if CONFIG_VIGIL_MQTT_CA_EMBED
    net.cfg.broker.verification.certificate = vge_ca_pem; /* PEM: length 0 */
#endif
    net.cfg.credentials.client_id = id;
    net.cfg.credentials.username = user[0] ? user : id;
    net.cfg.credentials.authentication.password = password[0] ? password : NULL;
    net.cfg.session.keepalive = 15;
#if CONFIG_VIGIL_MQTT_V5
    net.cfg.session.protocol_ver = MQTT_PROTOCOL_V_5;
#else
    net.cfg.session.protocol_ver = MQTT_PROTOCOL_V_3_1_1;
#endif
    net.cfg.session.last_will.qos = 1;
    net.cfg.session.last_will.retain = 1;
    /* The application reconnects, with docs/protocol.md's backoff and a fresh will. */
    net.cfg.network.disable_auto_reconnect = true;
    net.mqtt = esp_mqtt_client_init(&net.cfg);
    if (!net.mqtt)
        return ESP_FAIL;
    return esp_mqtt_client_register_event(net.mqtt, MQTT_EVENT_ANY, net__mqtt_event, NULL);
}

esp_err_t vge_mqtt_connect(const char *will_topic, const char *will, size_t will_len)
{
    size_t tl = strlen(will_topic);
    if (tl >= sizeof net.will_topic || will_len > sizeof net.will || will_len == 0)
        return ESP_ERR_INVALID_SIZE;
    memcpy(net.will_topic, will_topic, tl + 1u);
    memcpy(net.will, will, will_len);
    net.cfg.session.last_will.topic = net.will_topic;
    net.cfg.session.last_will.msg = net.will;
    net.cfg.session.last_will.msg_len = (int)will_len;
    /* esp_mqtt_set_config() copies the will into the client; it is used by the next CONNECT */
    esp_err_t err = esp_mqtt_set_config(net.mqtt, &net.cfg);
    if (err != ESP_OK)
        return err;
    if (!net.started) {
        err = esp_mqtt_client_start(net.mqtt);
        net.started = err == ESP_OK;
        return err;
    }
    return esp_mqtt_client_reconnect(net.mqtt); /* ESP_FAIL while an attempt is running */
}

int vge_mqtt_publish(const char *topic, const char *payload, size_t len, int qos, int retain)
{
    /* enqueue, not publish: it never blocks the sampling loop on the network (esp-mqtt's task
     * sends it); store = true so QoS 0 telemetry is queued too */
    return esp_mqtt_client_enqueue(net.mqtt, topic, payload, (int)len, qos, retain, true);
}

void vge_mqtt_subscribe(void)
{
    if (esp_mqtt_client_subscribe(net.mqtt, (const char *)net.cmd_topic, 1) < 0)
        ESP_LOGW(TAG, "cannot subscribe to %s", net.cmd_topic);
}

void vge_sntp_start(void)
{
#if CONFIG_VIGIL_SNTP
    if (net.sntp)
        return;
    net.sntp = 1;
    esp_sntp_setoperatingmode(ESP_SNTP_OPMODE_POLL);
    esp_sntp_setservername(0, CONFIG_VIGIL_SNTP_SERVER);
    esp_sntp_init();
#endif
}
