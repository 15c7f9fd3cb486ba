/* SPDX-License-Identifier: MIT */
/* The ESP-IDF port of the device application (firmware/app), docs/esp-idf.md. app_main()
 * brings up NVS (the boot counter), the offline queue (its own NVS partition), the model (the
 * `model` partition, mapped in place, or compiled in), the ADC, the LED, Wi-Fi and MQTT
 * (vge_net.c), then becomes the application task: the one owner of vg_app_t. A periodic
 * esp_timer reads the ADC at the model's rate and queues each sample; network events and
 * commands arrive on their own queues. Every ESP-IDF call is listed in docs/esp-idf.md with
 * the header it was checked against. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "driver/gpio.h"
#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_cali_scheme.h"
#include "esp_adc/adc_oneshot.h"
#include "esp_log.h"
#include "esp_partition.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "nvs.h"
#include "nvs_flash.h"
#include "sdkconfig.h"
#include "soc/soc_caps.h"

#include "vg_app.h"
#include "vge_net.h"
#include "vge_util.h"

#if CONFIG_VIGIL_MODEL_EMBEDDED
#include CONFIG_VIGIL_MODEL_HEADER /* vigil export --c-header ... --name vigil_model */
#endif

#if CONFIG_VIGIL_LED_ACTIVE_LOW
#define VGE_LED_LOW 1
#else
#define VGE_LED_LOW 0
#endif
#if CONFIG_VIGIL_HA_DISCOVERY
#define VGE_HA 1
#else
#define VGE_HA 0
#endif
#if CONFIG_VIGIL_MQTT_CA_EMBED
#define VGE_CA 1
#else
#define VGE_CA 0
#endif

#define VGE_FW         "0.1.0"
#define VGE_MSG_LEN    2048u     /* >= VG_APP_MSG_MIN: the largest queue record */
#define VGE_QUEUE_PART "vgqueue" /* partitions.csv */
#define VGE_MAX_RATE   2000.0    /* oneshot reads from a task timer; see docs/esp-idf.md */
#define VGE_GAP_MAX    4096u     /* most missing samples filled with NaN at once */

static const char *TAG = "vigil";

/* The port's one device state (STYLE.md section 5). */
static struct {
    vg_app_t app;
    vg_model_t model;
    nvs_handle_t qnvs;
    vge_queue_t q;
    QueueHandle_t sampq, netq, cmdq;
    adc_oneshot_unit_handle_t adc;
    adc_cali_handle_t cali[VGE_MAX_ADC];
    int ch[VGE_MAX_ADC], nch;
    float scale, offset;
    uint32_t tick_no;  /* esp_timer task: the next sample's number */
    uint32_t expected; /* application task: the sample number due next */
    double rate;
    int connected, have_ip;
    unsigned failures;
    int64_t retry_at; /* esp_timer_get_time() of the next connection attempt; 0: none */
    char names_buf[160];
    const char *names[VGE_MAX_ADC];
} dev;

static void dev__halt(const char *why) __attribute__((noreturn));
static void dev__halt(const char *why)
{
    ESP_LOGE(TAG, "%s; the device stops here (fix the setting and flash again)", why);
    for (;;)
        vTaskDelay(pdMS_TO_TICKS(60000));
}

/* ---- the offline queue's key-value store: NVS in the vgqueue partition ---- */

static int kv__rc(esp_err_t e)
{
    return e == ESP_OK                       ? VGE_KV_OK
           : e == ESP_ERR_NVS_NOT_FOUND      ? VGE_KV_NOT_FOUND
           : e == ESP_ERR_NVS_INVALID_LENGTH ? VGE_KV_TOO_SMALL
                                             : VGE_KV_ERR;
}

static int kv_get_u32(void *ctx, const char *key, uint32_t *v)
{
    return kv__rc(nvs_get_u32(*(nvs_handle_t *)ctx, key, v));
}

static int kv_set_u32(void *ctx, const char *key, uint32_t v)
{
    return kv__rc(nvs_set_u32(*(nvs_handle_t *)ctx, key, v));
}

static int kv_get_blob(void *ctx, const char *key, void *buf, size_t cap, size_t *len)
{
    size_t n = cap; /* with buf NULL, NVS answers the length */
    int rc = kv__rc(nvs_get_blob(*(nvs_handle_t *)ctx, key, buf, &n));
    *len = n;
    return rc;
}

static int kv_set_blob(void *ctx, const char *key, const void *buf, size_t len)
{
    return kv__rc(nvs_set_blob(*(nvs_handle_t *)ctx, key, buf, len));
}

static int kv_erase(void *ctx, const char *key)
{
    return kv__rc(nvs_erase_key(*(nvs_handle_t *)ctx, key));
}

static int kv_commit(void *ctx)
{
    return kv__rc(nvs_commit(*(nvs_handle_t *)ctx));
}

static const vge_kv_ops_t kv_ops = {kv_get_u32,  kv_set_u32, kv_get_blob,
                                    kv_set_blob, kv_erase,   kv_commit};

static esp_err_t dev__nvs_init(const char *part)
{
    esp_err_t e = part ? nvs_flash_init_partition(part) : nvs_flash_init();
    if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_LOGW(TAG, "NVS partition %s unusable (%s): erasing it", part ? part : "nvs",
                 esp_err_to_name(e));
        e = part ? nvs_flash_erase_partition(part) : nvs_flash_erase();
        if (e == ESP_OK)
            e = part ? nvs_flash_init_partition(part) : nvs_flash_init();
    }
    return e;
}

static void dev__queue_open(void)
{
    if (dev__nvs_init(VGE_QUEUE_PART) != ESP_OK ||
        nvs_open_from_partition(VGE_QUEUE_PART, "vq", NVS_READWRITE, &dev.qnvs) != ESP_OK)
        dev__halt("cannot open the queue partition '" VGE_QUEUE_PART "' (partitions.csv)");
    vg_status_t st = vge_queue_open(&dev.q, &kv_ops, &dev.qnvs, CONFIG_VIGIL_QUEUE_MAX);
    if (st == VG_ERR_FORMAT) {
        /* more records than VIGIL_QUEUE_MAX allows: written by another build; start empty */
        ESP_LOGW(TAG, "the offline queue does not fit VIGIL_QUEUE_MAX: emptied");
        if (nvs_erase_all(dev.qnvs) != ESP_OK || nvs_commit(dev.qnvs) != ESP_OK)
            dev__halt("cannot erase the queue");
        st = vge_queue_open(&dev.q, &kv_ops, &dev.qnvs, CONFIG_VIGIL_QUEUE_MAX);
    }
    if (st != VG_OK)
        dev__halt("cannot read the offline queue");
}

/* ---- platform services for firmware/app ---- */

static uint64_t port__wall(void *ctx)
{
    (void)ctx;
    struct timeval tv;
    if (gettimeofday(&tv, NULL) != 0 || tv.tv_sec < 1600000000) /* not set by SNTP yet */
        return 0;
    return (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
}

static uint64_t port__mono(void *ctx)
{
    (void)ctx;
    return (uint64_t)esp_timer_get_time() / 1000u;
}

static void port__led(void *ctx, int on)
{
    (void)ctx;
    if (CONFIG_VIGIL_LED_GPIO >= 0)
        gpio_set_level((gpio_num_t)CONFIG_VIGIL_LED_GPIO, (uint32_t)((on != 0) ^ VGE_LED_LOW));
}

static vg_status_t port__publish(void *ctx, const char *topic, const char *payload, size_t len,
                                 uint8_t qos, uint8_t retain, int *msg_id)
{
    (void)ctx;
    if (!dev.connected)
        return VG_ERR_UNSUPPORTED;
    int mid = vge_mqtt_publish(topic, payload, len, qos, retain);
    if (mid < 0)
        return VG_ERR_UNSUPPORTED;
    if (msg_id)
        *msg_id = mid;
    return VG_OK;
}

static vg_status_t port__q_push(void *ctx, const void *rec, size_t len)
{
    (void)ctx;
    vg_status_t st = vge_queue_push(&dev.q, rec, len);
    if (st == VG_ERR_UNSUPPORTED)
        ESP_LOGE(TAG, "cannot write the offline queue (NVS partition " VGE_QUEUE_PART " full?)");
    return st == VG_OK ? VG_OK : VG_ERR_SIZE;
}

static vg_status_t port__q_peek(void *ctx, void *buf, size_t cap, size_t *len)
{
    (void)ctx;
    return vge_queue_peek(&dev.q, buf, cap, len);
}

static vg_status_t port__q_pop(void *ctx)
{
    (void)ctx;
    vg_status_t st = vge_queue_pop(&dev.q);
    return st == VG_ERR_UNSUPPORTED ? VG_ERR_SIZE : VG_OK;
}

static uint32_t port__q_count(void *ctx)
{
    (void)ctx;
    return vge_queue_count(&dev.q);
}

/* The boot counter: u32 "boot" in namespace "vigil" of the default NVS partition. */
static vg_status_t port__boot_next(void *ctx, uint32_t *boot)
{
    (void)ctx;
    nvs_handle_t h;
    uint32_t b = 0;
    if (nvs_open("vigil", NVS_READWRITE, &h) != ESP_OK)
        return VG_ERR_ARG;
    esp_err_t e = nvs_get_u32(h, "boot", &b);
    if (e != ESP_OK && e != ESP_ERR_NVS_NOT_FOUND) {
        nvs_close(h);
        return VG_ERR_ARG;
    }
    b = b >= 0xFFFFFFFEu ? 1u : b + 1u;
    e = nvs_set_u32(h, "boot", b);
    if (e == ESP_OK)
        e = nvs_commit(h);
    nvs_close(h);
    if (e != ESP_OK)
        return VG_ERR_ARG;
    *boot = b;
    return VG_OK;
}

static void port__record(void *ctx, const char *topic, const char *payload, size_t len)
{
    (void)ctx;
    ESP_LOGI(TAG, "%s %.*s", topic, (int)len, payload);
}

static void port__note(void *ctx, const char *text)
{
    (void)ctx;
    ESP_LOGW(TAG, "%s", text);
}

static const vg_app_port_t dev__port = {port__wall,      port__mono,   port__led,   port__publish,
                                        port__q_push,    port__q_peek, port__q_pop, port__q_count,
                                        port__boot_next, port__record, port__note};

/* ---- the model ---- */

static vg_status_t dev__model(void)
{
#if CONFIG_VIGIL_MODEL_EMBEDDED
    return vg_model_parse(&dev.model, vigil_model, vigil_model_len);
#elif CONFIG_VIGIL_MODEL_PARTITION
    const esp_partition_t *p =
        esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, "model");
    if (!p)
        dev__halt("no 'model' partition: flash the partition table (idf.py flash)");
    uint8_t hdr[32];
    if (esp_partition_read(p, 0, hdr, sizeof hdr) != ESP_OK)
        dev__halt("cannot read the model partition");
    uint32_t total = vge_model_total(hdr, (uint32_t)p->size);
    if (!total)
        dev__halt("the model partition holds no Vigil model: parttool.py write_partition "
                  "--partition-name model --input MODEL.vgm");
    const void *ptr = NULL;
    esp_partition_mmap_handle_t mh;
    if (esp_partition_mmap(p, 0, total, ESP_PARTITION_MMAP_DATA, &ptr, &mh) != ESP_OK)
        dev__halt("cannot map the model partition");
    if (((uintptr_t)ptr & 3u) != 0) {
        /* vg_model_parse() needs 4-byte alignment. Partitions start on 4 KiB boundaries and
         * the mapping keeps the offset within its page, so this is not expected; if a chip
         * maps otherwise, the model is read into RAM instead. */
        ESP_LOGW(TAG, "model mapped at %p (not 4-aligned): reading it into RAM", ptr);
        esp_partition_munmap(mh);
        void *copy = malloc(total); /* heap blocks are at least 4-aligned */
        if (!copy || esp_partition_read(p, 0, copy, total) != ESP_OK)
            dev__halt("cannot read the model into RAM");
        ptr = copy;
    }
    return vg_model_parse(&dev.model, ptr, total);
#else
#error "choose the model's source (VIGIL_MODEL_SOURCE)"
#endif
}

/* ---- sampling ---- */

static void dev__adc(void)
{
    dev.nch = vge_parse_channels(CONFIG_VIGIL_ADC_CHANNELS, dev.ch, VGE_MAX_ADC, 9);
    if (dev.nch < 0)
        dev__halt("VIGIL_ADC_CHANNELS: expected 1-4 channel numbers 0-9, like \"0\" or \"3,4\"");
    adc_unit_t unit = CONFIG_VIGIL_ADC_UNIT == 2 ? ADC_UNIT_2 : ADC_UNIT_1;
    adc_oneshot_unit_init_cfg_t ucfg;
    memset(&ucfg, 0, sizeof ucfg); /* ulp_mode: disabled */
    ucfg.unit_id = unit;
    if (adc_oneshot_new_unit(&ucfg, &dev.adc) != ESP_OK)
        dev__halt("cannot claim the ADC unit");
    adc_oneshot_chan_cfg_t ccfg = {.atten = (adc_atten_t)CONFIG_VIGIL_ADC_ATTEN,
                                   .bitwidth = ADC_BITWIDTH_DEFAULT};
    for (int i = 0; i < dev.nch; i++) {
        if (adc_oneshot_config_channel(dev.adc, (adc_channel_t)dev.ch[i], &ccfg) != ESP_OK)
            dev__halt("cannot configure an ADC channel (VIGIL_ADC_CHANNELS)");
        esp_err_t e = ESP_ERR_NOT_SUPPORTED;
#if ADC_CALI_SCHEME_CURVE_FITTING_SUPPORTED
        adc_cali_curve_fitting_config_t cc;
        memset(&cc, 0, sizeof cc);
        cc.unit_id = unit;
#if SOC_ADC_CALIB_CHAN_COMPENS_SUPPORTED
        cc.chan = (adc_channel_t)dev.ch[i];
#endif
        cc.atten = ccfg.atten;
        cc.bitwidth = ADC_BITWIDTH_DEFAULT;
        e = adc_cali_create_scheme_curve_fitting(&cc, &dev.cali[i]);
#elif ADC_CALI_SCHEME_LINE_FITTING_SUPPORTED
        adc_cali_line_fitting_config_t lc;
        memset(&lc, 0, sizeof lc);
        lc.unit_id = unit;
        lc.atten = ccfg.atten;
        lc.bitwidth = ADC_BITWIDTH_DEFAULT;
#if CONFIG_IDF_TARGET_ESP32
        lc.default_vref = 1100; /* used only when eFuse holds no calibration */
#endif
        e = adc_cali_create_scheme_line_fitting(&lc, &dev.cali[i]);
#endif
        if (e != ESP_OK) {
            dev.cali[i] = NULL;
            ESP_LOGW(TAG,
                     "ADC channel %d: no calibration (%s): raw counts take the place of "
                     "millivolts",
                     dev.ch[i], esp_err_to_name(e));
        }
    }
}

/* esp_timer task: one sample vector, timestamped by its number. */
static void dev__tick(void *arg)
{
    (void)arg;
    vge_ev_t ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = VGE_EV_SAMPLE;
    ev.index = dev.tick_no++;
    for (int i = 0; i < dev.nch; i++) {
        int raw = 0, mv = 0;
        if (adc_oneshot_read(dev.adc, (adc_channel_t)dev.ch[i], &raw) != ESP_OK) {
            ev.x[i] = NAN; /* the detector's missing-sample policy decides */
            continue;
        }
        float v = (float)raw;
        if (dev.cali[i] && adc_cali_raw_to_voltage(dev.cali[i], raw, &mv) == ESP_OK)
            v = (float)mv;
        ev.x[i] = v * dev.scale + dev.offset;
    }
    /* A full queue loses this sample; the application sees the gap and pushes NaN. */
    (void)xQueueSend(dev.sampq, &ev, 0);
}

static void dev__sample(const vge_ev_t *ev)
{
    uint32_t gap = vge_gap(dev.expected, ev->index, VGE_GAP_MAX);
    if (gap) {
        float nan_x[VGE_MAX_ADC] = {NAN, NAN, NAN, NAN};
        ESP_LOGW(TAG, "%u samples lost (the application fell behind)", (unsigned)gap);
        for (uint32_t k = 0; k < gap; k++)
            vg_app_sample(&dev.app, (double)(ev->index - gap + k) / dev.rate, nan_x);
    }
    vg_app_sample(&dev.app, (double)ev->index / dev.rate, ev->x);
    dev.expected = ev->index + 1u;
}

/* ---- events from vge_net.c ---- */

void vge_post(const vge_ev_t *ev)
{
    if (xQueueSend(dev.netq, ev, 0) != pdTRUE)
        ESP_LOGE(TAG, "network event %d lost (queue full)", (int)ev->kind);
}

void vge_post_cmd(const char *data, size_t len)
{
    static vge_cmd_t c; /* only the MQTT task posts commands */
    if (len > sizeof c.data) {
        ESP_LOGW(TAG, "a command of %u bytes ignored (at most %u)", (unsigned)len,
                 (unsigned)sizeof c.data);
        return;
    }
    c.len = (uint16_t)len;
    memcpy(c.data, data, len);
    if (xQueueSend(dev.cmdq, &c, 0) != pdTRUE)
        ESP_LOGW(TAG, "a command ignored (queue full)");
}

static void dev__schedule(void)
{
    uint32_t ms = vge_backoff_ms(dev.failures++, esp_random());
    dev.retry_at = esp_timer_get_time() + (int64_t)ms * 1000;
    ESP_LOGI(TAG, "connecting again in %u ms", (unsigned)ms);
}

static void dev__net(const vge_ev_t *ev)
{
    switch ((vge_ev_kind_t)ev->kind) {
    case VGE_EV_GOT_IP:
        vge_sntp_start();
        if (!dev.have_ip)
            dev.retry_at = esp_timer_get_time(); /* the first connection attempt */
        dev.have_ip = 1;
        break;
    case VGE_EV_CONNECTED:
        ESP_LOGI(TAG, "connected (boot %u, %u queued)", (unsigned)vg_app_boot(&dev.app),
                 (unsigned)vg_app_queued(&dev.app));
        dev.connected = 1;
        dev.failures = 0;
        dev.retry_at = 0;
        vge_mqtt_subscribe();
        vg_app_connected(&dev.app);
        break;
    case VGE_EV_DISCONNECTED:
        if (dev.connected) {
            ESP_LOGW(TAG, "connection lost");
            vg_app_disconnected(&dev.app);
        }
        dev.connected = 0;
        dev__schedule();
        break;
    case VGE_EV_PUBLISHED:
        /* esp-mqtt's event carries no MQTT 5 PUBACK reason in every v5 release: a message the
         * broker refuses counts as delivered (docs/esp-idf.md) */
        vg_app_published(&dev.app, (int)ev->msg_id, 1);
        break;
    case VGE_EV_SAMPLE: break;
    }
}

/* A connection attempt when one is due: a fresh last will (it reserves a seq), then start or
 * reconnect the client. */
static void dev__retry(void)
{
    if (!dev.retry_at || !dev.have_ip || esp_timer_get_time() < dev.retry_at)
        return;
    const char *topic, *will;
    size_t len;
    if (vg_app_will(&dev.app, &topic, &will, &len) == VG_OK &&
        vge_mqtt_connect(topic, will, len) == ESP_OK)
        dev.retry_at = 0; /* the outcome arrives as CONNECTED or DISCONNECTED */
    else
        dev__schedule();
}

void app_main(void)
{
    if (dev__nvs_init(NULL) != ESP_OK)
        dev__halt("cannot initialise NVS");
    dev__queue_open();
    vg_status_t st = dev__model();
    if (st != VG_OK) {
        ESP_LOGE(TAG, "model refused: %s", vg_status_str(st));
        dev__halt("bad model");
    }
    const vg_model_t *m = &dev.model;
    dev.rate = (double)m->sample_rate;
    if (!(dev.rate > 0.0) || dev.rate > VGE_MAX_RATE)
        dev__halt("the model's sample rate is above what this port samples (2 kHz)");
    if (CONFIG_VIGIL_SAMPLE_RATE_HZ > 0 &&
        fabs(dev.rate - CONFIG_VIGIL_SAMPLE_RATE_HZ) > 0.01 * CONFIG_VIGIL_SAMPLE_RATE_HZ)
        dev__halt("the model's sample rate is not VIGIL_SAMPLE_RATE_HZ");
    float tele = 0;
    if (vge_parse_float(CONFIG_VIGIL_SENSOR_SCALE, &dev.scale) != 0 ||
        vge_parse_float(CONFIG_VIGIL_SENSOR_OFFSET, &dev.offset) != 0 ||
        vge_parse_float(CONFIG_VIGIL_TELEMETRY_HZ, &tele) != 0 || tele < 0)
        dev__halt("VIGIL_SENSOR_SCALE, VIGIL_SENSOR_OFFSET and VIGIL_TELEMETRY_HZ are numbers");
    if (strncmp(CONFIG_VIGIL_MQTT_URI, "mqtts://", 8) == 0 && !VGE_CA)
        dev__halt("an mqtts:// broker needs VIGIL_MQTT_CA_EMBED and main/ca.pem");
    dev__adc();
    if (dev.nch != (int)m->n_channels)
        dev__halt("VIGIL_ADC_CHANNELS lists another number of channels than the model has");
    if (CONFIG_VIGIL_LED_GPIO >= 0) {
        gpio_reset_pin((gpio_num_t)CONFIG_VIGIL_LED_GPIO);
        gpio_set_direction((gpio_num_t)CONFIG_VIGIL_LED_GPIO, GPIO_MODE_OUTPUT);
        gpio_set_level((gpio_num_t)CONFIG_VIGIL_LED_GPIO, VGE_LED_LOW);
    }
    unsigned named = vge_meta_channels(m->meta, m->meta_len, dev.names_buf, sizeof dev.names_buf,
                                       dev.names, (unsigned)dev.nch);
    size_t alen = vg_detector_arena_size(m), hl = vg_app_hist_len(m);
    void *arena = malloc(alen);
    float *hist = hl ? malloc(hl * sizeof(float)) : NULL;
    float *calib = malloc((size_t)CONFIG_VIGIL_CALIB_WINDOWS * sizeof(float));
    char *msg = malloc(VGE_MSG_LEN);
    if (!arena || (hl && !hist) || !calib || !msg)
        dev__halt("out of memory");
    vg_app_cfg_t cfg = {CONFIG_VIGIL_DEVICE_ID,
                        VGE_FW,
                        m,
                        named ? (const char *const *)dev.names : NULL,
                        tele,
                        VGE_HA,
                        0.2};
    vg_app_mem_t mem = {arena, alen,        hist,  hl,
                        msg,   VGE_MSG_LEN, calib, (size_t)CONFIG_VIGIL_CALIB_WINDOWS};
    st = vg_app_init(&dev.app, &cfg, &dev__port, NULL, &mem);
    if (st != VG_OK) {
        ESP_LOGE(TAG, "cannot start the application: %s", vg_status_str(st));
        dev__halt(st == VG_ERR_ARG ? "bad VIGIL_DEVICE_ID or boot counter" : "bad model");
    }
    ESP_LOGI(TAG, "boot %u, model of %u bytes at %.6g Hz, %u queued",
             (unsigned)vg_app_boot(&dev.app), (unsigned)m->size, dev.rate,
             (unsigned)vg_app_queued(&dev.app));
    dev.sampq = xQueueCreate(64, sizeof(vge_ev_t));
    dev.netq = xQueueCreate(16, sizeof(vge_ev_t));
    dev.cmdq = xQueueCreate(2, sizeof(vge_cmd_t));
    if (!dev.sampq || !dev.netq || !dev.cmdq)
        dev__halt("out of memory");
    if (vge_mqtt_init(CONFIG_VIGIL_MQTT_URI, CONFIG_VIGIL_DEVICE_ID, CONFIG_VIGIL_MQTT_USER,
                      CONFIG_VIGIL_MQTT_PASSWORD, vg_app_cmd_topic(&dev.app)) != ESP_OK)
        dev__halt("cannot create the MQTT client (VIGIL_MQTT_URI)");
    if (vge_wifi_start(CONFIG_VIGIL_WIFI_SSID, CONFIG_VIGIL_WIFI_PASSWORD) != ESP_OK)
        dev__halt("cannot start Wi-Fi");
    esp_timer_create_args_t ta = {.callback = dev__tick,
                                  .arg = NULL,
                                  .dispatch_method = ESP_TIMER_TASK,
                                  .name = "vigil-sample",
                                  .skip_unhandled_events = false};
    esp_timer_handle_t timer;
    if (esp_timer_create(&ta, &timer) != ESP_OK ||
        esp_timer_start_periodic(timer, (uint64_t)llround(1e6 / dev.rate)) != ESP_OK)
        dev__halt("cannot start the sampling timer");
    for (;;) {
        vge_ev_t ev;
        if (xQueueReceive(dev.sampq, &ev, pdMS_TO_TICKS(10)) == pdTRUE)
            dev__sample(&ev);
        while (xQueueReceive(dev.netq, &ev, 0) == pdTRUE)
            dev__net(&ev);
        static vge_cmd_t cmd;
        while (xQueueReceive(dev.cmdq, &cmd, 0) == pdTRUE)
            vg_app_command(&dev.app, cmd.data, cmd.len);
        dev__retry();
        vg_app_poll(&dev.app);
    }
}
