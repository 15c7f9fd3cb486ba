/* SPDX-License-Identifier: MIT */
/**
 * @file vg_app.h
 * @brief The device application, one for every port: samples in, the core detector, the LED,
 *        and the MQTT messages of docs/protocol.md out (status, telemetry, events, acks), with
 *        the offline queue, commands and threshold re-calibration.
 *
 * The port owns the loop, the network and the storage; it calls in:
 *   vg_app_init() once; vg_app_sample() for every sample vector, at the model's rate;
 *   vg_app_will() before each connection attempt (the last will to register);
 *   vg_app_connected() / vg_app_disconnected() on connection changes;
 *   vg_app_published() when the broker acknowledges (or refuses) a QoS 1 message;
 *   vg_app_command() for every message on vg_app_cmd_topic(); vg_app_poll() often (it sends
 *   the queue's head); vg_app_finish() and vg_app_stop() to end.
 * and the application calls out through vg_app_port_t (STYLE.md section 8: an ops table and a
 * context, so several simulated devices can share a process and tests can observe it).
 *
 * Delivery: every event and ack goes through the port's persistent queue and is sent from its
 * head, one at a time, removed when the broker acknowledges it. So they leave in order, those
 * from before a restart first, and a message the broker did not acknowledge is sent again with
 * the same (boot, seq). Telemetry is QoS 0 and only sent while connected; statuses are retained.
 *
 * C99, no allocation, no stdio: the caller gives every buffer (vg_app_mem_t).
 * Thread safety: none; call every function from one thread (or under one lock).
 */
#ifndef VG_APP_H
#define VG_APP_H
#include <stddef.h>
#include <stdint.h>

#include "vg_calib.h"
#include "vg_cmd.h"
#include "vigil/vigil.h"

#define VG_APP_PROTOCOL   1    /**< protocol version `v` */
#define VG_APP_ID_MAX     32   /**< device id: 1-32 of [A-Za-z0-9_-] */
#define VG_APP_TOPIC_MAX  128  /**< longest topic built (HA discovery configs) */
#define VG_APP_MSG_MIN    2048 /**< smallest message buffer: every message fits */
#define VG_APP_EVENT_FEAT 16   /**< most features listed in an event */

/** Queue record kinds: the first byte of a record, then the payload. Never renumbered. */
enum { VG_APP_REC_EVENT = 'e', VG_APP_REC_ACK = 'a' };

/** Platform services. Every function receives the port's @c ctx. */
typedef struct {
    /** Wall clock, milliseconds since the Unix epoch; 0 when the device has no clock yet. */
    uint64_t (*wall_ms)(void *ctx);
    /** Monotonic milliseconds (any origin), for the uptime. */
    uint64_t (*mono_ms)(void *ctx);
    /** Turn the LED on (1) or off (0); called on every change. */
    void (*led)(void *ctx, int on);
    /**
     * Hand a message to the MQTT client. VG_OK when it was accepted for sending (for QoS 1:
     * the broker's acknowledgement will come through vg_app_published() with *msg_id);
     * anything else when it cannot be sent now (not connected, client full).
     */
    vg_status_t (*publish)(void *ctx, const char *topic, const char *payload, size_t len,
                           uint8_t qos, uint8_t retain, int *msg_id);
    /** Append a record to the persistent queue; VG_ERR_SIZE when it is full. */
    vg_status_t (*q_push)(void *ctx, const void *rec, size_t len);
    /** Copy the oldest record into @p buf; VG_ERR_SIZE if it does not fit, VG_ERR_ARG when the
     *  queue is empty. */
    vg_status_t (*q_peek)(void *ctx, void *buf, size_t cap, size_t *len);
    /** Remove the oldest record. */
    vg_status_t (*q_pop)(void *ctx);
    /** Records in the queue. */
    uint32_t (*q_count)(void *ctx);
    /** Read the persistent boot counter, add one, store it, return the new value (>= 1). */
    vg_status_t (*boot_next)(void *ctx, uint32_t *boot);
    /** Optional (NULL): every event and ack message as it is created (the device's log). */
    void (*record)(void *ctx, const char *topic, const char *payload, size_t len);
    /** Optional (NULL): a one-line human-readable note (a refused message, a calibration). */
    void (*note)(void *ctx, const char *text);
} vg_app_port_t;

/** Settings; copied by vg_app_init() except the pointed-to data, which must outlive the app. */
typedef struct {
    const char *id;              /**< device id (1-32 of [A-Za-z0-9_-]) */
    const char *fw;              /**< firmware version for the status */
    const vg_model_t *model;     /**< parsed artifact */
    const char *const *channels; /**< n_channels channel names (NULL: "ch0", "ch1", ...) */
    float telemetry_hz;          /**< telemetry messages per second of sensor time; 0 = none */
    uint8_t ha_discovery;        /**< publish Home Assistant discovery configs on connect */
    double false_alarms_per_day; /**< re-calibration target (the trainer's default: 0.2) */
} vg_app_cfg_t;

/** Caller-owned memory. */
typedef struct {
    void *arena; /**< vg_detector_arena_size(model) bytes, 4-aligned */
    size_t arena_len;
    float *hist; /**< vg_app_hist_len(model) floats (NULL when that is 0) */
    size_t hist_len;
    char *msg; /**< message buffer, >= VG_APP_MSG_MIN bytes */
    size_t msg_len;
    float *calib; /**< scores of a re-calibration (>= VG_CALIB_MIN_WINDOWS), or NULL: the
                       device refuses `recalibrate` */
    size_t calib_len;
} vg_app_mem_t;

/** The application state (caller storage; fields are private). */
typedef struct {
    vg_app_cfg_t cfg;
    const vg_app_port_t *port;
    void *ctx;
    vg_app_mem_t mem;
    vg_detector_t det;
    char base[VG_APP_ID_MAX + 8]; /* "vigil/<id>/" */
    char topic[VG_APP_TOPIC_MAX];
    uint32_t boot, seq, crc, events;
    uint32_t dropped, refused;
    uint64_t t0_mono;
    uint8_t connected, inflight, led, open, calibrating, finished, ready;
    int inflight_mid;
    double t_last, t_next_tele;
    uint8_t have_t;
    /* the open event */
    double t_start;
    float peak_raw, peak_score;
    uint8_t have_peak;
    uint16_t open_cls;
    float peak_feat[VG_MAX_FEATURES], peak_contrib[VG_MAX_FEATURES];
    uint32_t votes[VG_MAX_CLASSES];
    float sag, swell, thd_max, vpeak; /* waveforms: per-unit magnitudes */
    float xpeak, xpeak_dev;           /* slow sensors: the extreme reading, its deviation */
    int16_t xpeak_ch;
    /* slow sensors: per-channel baseline (EWMA of readings outside events), latest reading,
     * and the last window of readings (mem.hist) */
    float mean[VG_MAX_CHANNELS], var[VG_MAX_CHANNELS], latest[VG_MAX_CHANNELS];
    uint8_t have_mean[VG_MAX_CHANNELS];
    uint32_t hist_pos, hist_fill;
    /* re-calibration */
    vg_calib_t cal;
    char cal_id[VG_CMD_ID_MAX + 1];
    uint32_t cal_left, cal_seconds;
} vg_app_t;

/** @brief Floats of vg_app_mem_t.hist the model needs (window x channels; 0 for waveforms). */
size_t vg_app_hist_len(const vg_model_t *m);

/** @brief 1 when @p id is a valid device id (1-32 characters of [A-Za-z0-9_-]). */
int vg_app_id_valid(const char *id);

/**
 * @brief Start: bind the detector, take the next boot number from the port.
 * @retval VG_OK; VG_ERR_ARG (bad id, NULL, missing port function, bad rate), VG_ERR_SIZE (a
 *         buffer too small), VG_ERR_ALIGN, or the port's boot_next() status
 */
vg_status_t vg_app_init(vg_app_t *a, const vg_app_cfg_t *cfg, const vg_app_port_t *port, void *ctx,
                        const vg_app_mem_t *mem);

/**
 * @brief One sample vector (n_channels values; NaN for a missing reading) taken at sensor
 *        time @p t seconds. Runs the detector, drives the LED, opens and closes events,
 *        sends telemetry, advances a re-calibration. Time must not go backwards.
 */
void vg_app_sample(vg_app_t *a, double t, const float *x);

/**
 * @brief Build the last will for the next connection attempt: `vigil/<id>/status`, offline
 *        with reason "lost", retained, QoS 1. It takes a sequence number (reserved now) and
 *        the current time. The strings are valid until the next call into the app.
 */
vg_status_t vg_app_will(vg_app_t *a, const char **topic, const char **payload, size_t *len);

/** @brief The broker accepted the connection: publish the online status (and the Home
 *         Assistant configs), then start sending the queue. The port subscribes to
 *         vg_app_cmd_topic() itself (QoS 1). */
void vg_app_connected(vg_app_t *a);

/** @brief The connection is gone: stop sending; the unacknowledged queue head is sent again
 *         after the next vg_app_connected(). */
void vg_app_disconnected(vg_app_t *a);

/** @brief The broker answered QoS 1 message @p msg_id: @p ok 1 when accepted, 0 when refused
 *         (MQTT 5 reason >= 0x80: the message is dropped and counted in status `refused`). */
void vg_app_published(vg_app_t *a, int msg_id, int ok);

/** @brief A message on the command topic (any bytes; answered with an ack). */
void vg_app_command(vg_app_t *a, const char *payload, size_t len);

/** @brief Send the queue's head when connected and nothing is in flight. Call it often. */
void vg_app_poll(vg_app_t *a);

/** @brief End of the data: close an open event (t_end = the last sample's time) and refuse a
 *         re-calibration still running. The messages go to the queue; idempotent. */
void vg_app_finish(vg_app_t *a);

/**
 * @brief Publish the offline status with reason "stop" (retained, QoS 1), before the port
 *        disconnects cleanly (which discards the last will).
 * @param[out] msg_id the message to wait for (vg_app_published), or -1
 * @retval VG_OK, or the publish status (not connected)
 */
vg_status_t vg_app_stop(vg_app_t *a, int *msg_id);

/** @brief `vigil/<id>/cmd` */
const char *vg_app_cmd_topic(vg_app_t *a);

/** @brief Records waiting in the queue (the port's count). */
uint32_t vg_app_queued(const vg_app_t *a);
/** @brief 1 when the queue is empty and nothing is in flight. */
int vg_app_idle(const vg_app_t *a);
/** @brief This boot's number, and the counters of the status. */
uint32_t vg_app_boot(const vg_app_t *a);
uint32_t vg_app_dropped(const vg_app_t *a);
uint32_t vg_app_refused(const vg_app_t *a);
/** @brief Threshold in use. */
float vg_app_threshold(const vg_app_t *a);

/** @brief Power-quality class name of docs/power-quality.md ("pure", "sag", ...), NULL outside
 *         1-29. */
const char *vg_app_pq_class_name(unsigned cls);
#endif
