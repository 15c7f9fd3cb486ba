/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of firmware/app/vg_app.c with a port that records what the application does:
 * status, telemetry and events on the right topics with the protocol's fields, the LED, the
 * queue (one message in flight, in order, sent again after a reconnection, overflow counted),
 * commands and their acks, re-calibration, the last will, and the class-name table (equal to
 * the simulator's). Also vg_calib (the allocation-free tail fit) against the host's.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_power.h"
#include "threshold.h"
#include "vg_app.h"
#include "vg_calib.h"
#include "vg_test_artifact.h"

#define MAXQ 8
#define MAXP 256

typedef struct {
    char topic[128];
    char payload[2048];
    int qos, retain, mid;
} pub_t;

typedef struct {
    int connected, led, led_changes, mid_next;
    pub_t pubs[MAXP];
    int npubs;
    char q[MAXQ][2048];
    size_t qlen[MAXQ];
    int qhead, qn, qmax;
    uint32_t boot;
    int records;
} mock_t;

static uint64_t m_wall(void *c)
{
    (void)c;
    return 1763900000123ull;
}
static uint64_t m_mono(void *c)
{
    (void)c;
    return 5000;
}
static void m_led(void *c, int on)
{
    mock_t *m = c;
    m->led = on;
    m->led_changes++;
}
static vg_status_t m_pub(void *c, const char *t, const char *p, size_t len, uint8_t qos,
                         uint8_t retain, int *mid)
{
    mock_t *m = c;
    if (!m->connected || m->npubs >= MAXP)
        return VG_ERR_UNSUPPORTED;
    pub_t *x = &m->pubs[m->npubs++];
    snprintf(x->topic, sizeof x->topic, "%s", t);
    assert_true(len < sizeof x->payload);
    memcpy(x->payload, p, len);
    x->payload[len] = '\0';
    assert_int_equal(strlen(x->payload), len);
    x->qos = qos;
    x->retain = retain;
    x->mid = ++m->mid_next;
    if (mid)
        *mid = x->mid;
    return VG_OK;
}
static vg_status_t m_push(void *c, const void *r, size_t len)
{
    mock_t *m = c;
    if (m->qn >= m->qmax)
        return VG_ERR_SIZE;
    int i = (m->qhead + m->qn) % MAXQ;
    memcpy(m->q[i], r, len);
    m->qlen[i] = len;
    m->qn++;
    return VG_OK;
}
static vg_status_t m_peek(void *c, void *buf, size_t cap, size_t *len)
{
    mock_t *m = c;
    if (!m->qn)
        return VG_ERR_ARG;
    if (m->qlen[m->qhead] > cap)
        return VG_ERR_SIZE;
    memcpy(buf, m->q[m->qhead], m->qlen[m->qhead]);
    *len = m->qlen[m->qhead];
    return VG_OK;
}
static vg_status_t m_pop(void *c)
{
    mock_t *m = c;
    if (m->qn) {
        m->qhead = (m->qhead + 1) % MAXQ;
        m->qn--;
    }
    return VG_OK;
}
static uint32_t m_count(void *c)
{
    return (uint32_t)((mock_t *)c)->qn;
}
static vg_status_t m_boot(void *c, uint32_t *b)
{
    *b = ++((mock_t *)c)->boot;
    return VG_OK;
}
static void m_record(void *c, const char *t, const char *p, size_t len)
{
    (void)t;
    (void)p;
    (void)len;
    ((mock_t *)c)->records++;
}
static const vg_app_port_t mock_port = {m_wall, m_mono,  m_led,  m_pub,    m_push, m_peek,
                                        m_pop,  m_count, m_boot, m_record, NULL};

typedef union {
    uint64_t align;
    uint8_t b[8192];
} abuf_t;
static abuf_t g_art, g_arena;
static float g_hist[64], g_calib[64];
static char g_msg[4096];
static vg_model_t g_model;
static mock_t g_m;
static vg_app_t g_app;
static const char *const g_channels[] = {"temp"};

/* z-score of the window's std (training mean 0.1, sd 0.05): window 8, hop 2, threshold 3,
 * open after 2, close after 2. */
static void setup_app(int qmax)
{
    static const uint8_t ch[] = {0}, id[] = {VG_FEAT_STD};
    static const float norm[] = {0.1f, 20.0f};
    vgt_pipe_t p = {2.0f, 1, 8, 2, 1, VG_NORM_ZSCORE, 100, ch, id, norm, 3.0f, 2, 2, NULL};
    size_t n = vgt_build_zscore(g_art.b, sizeof g_art.b, &p, 0.0f);
    assert_true(n > 0);
    assert_int_equal(vg_model_parse(&g_model, g_art.b, n), VG_OK);
    memset(&g_m, 0, sizeof g_m);
    g_m.qmax = qmax;
    g_m.boot = 6;
    vg_app_cfg_t cfg = {"dev-1", "0.1.0", &g_model, g_channels, 1.0f, 1, 0.2};
    vg_app_mem_t mem = {
        g_arena.b, vg_detector_arena_size(&g_model), g_hist, 64, g_msg, sizeof g_msg, g_calib, 64};
    assert_int_equal(vg_app_init(&g_app, &cfg, &mock_port, &g_m, &mem), VG_OK);
    assert_int_equal(vg_app_boot(&g_app), 7);
}

static double g_t;
/* n samples of a noisy (amp > 0) or steady signal, 2 Hz */
static void feed(int n, float amp)
{
    for (int i = 0; i < n; i++) {
        float x = 20.0f + ((i & 1) ? amp : -amp) + 0.1f * (float)((i * 7) % 3 - 1);
        vg_app_sample(&g_app, g_t, &x);
        g_t += 0.5;
    }
}

static int count_topic(const char *suffix, const char *needle)
{
    int n = 0;
    for (int i = 0; i < g_m.npubs; i++)
        if (strstr(g_m.pubs[i].topic, suffix) && (!needle || strstr(g_m.pubs[i].payload, needle)))
            n++;
    return n;
}

static const pub_t *last_pub(const char *suffix)
{
    for (int i = g_m.npubs - 1; i >= 0; i--)
        if (strstr(g_m.pubs[i].topic, suffix))
            return &g_m.pubs[i];
    return NULL;
}

static void connect_app(void)
{
    g_m.connected = 1;
    vg_app_connected(&g_app);
}

static void ack_all(void)
{
    /* the broker acknowledges every QoS 1 message, in order */
    for (int i = 0; i < g_m.npubs; i++)
        if (g_m.pubs[i].qos == 1)
            vg_app_published(&g_app, g_m.pubs[i].mid, 1);
}

static void test_status_and_discovery(void **state)
{
    (void)state;
    setup_app(MAXQ);
    const char *t, *p;
    size_t len;
    assert_int_equal(vg_app_will(&g_app, &t, &p, &len), VG_OK);
    assert_string_equal(t, "vigil/dev-1/status");
    assert_non_null(strstr(p, "\"v\":1,\"boot\":7,\"seq\":1,\"ts\":1763900000123,\"state\":"
                              "\"offline\",\"reason\":\"lost\""));
    connect_app();
    const pub_t *s = last_pub("/status");
    assert_non_null(s);
    assert_int_equal(s->qos, 1);
    assert_int_equal(s->retain, 1);
    assert_non_null(strstr(s->payload, "\"seq\":2,"));
    assert_non_null(strstr(s->payload, "\"state\":\"online\",\"fw\":\"0.1.0\",\"model\":{\"kind\":"
                                       "\"zscore\",\"crc\":\""));
    assert_non_null(strstr(s->payload, "\"rate_hz\":2,\"threshold\":3},\"uptime_s\":0,"
                                       "\"queued\":0,\"dropped\":0,\"refused\":0}"));
    assert_int_equal(count_topic("homeassistant/binary_sensor/vigil_dev-1/anomaly/config",
                                 "\"device_class\":\"problem\""),
                     1);
    assert_int_equal(count_topic("homeassistant/sensor/vigil_dev-1/score/config",
                                 "\"availability_topic\":\"vigil/dev-1/status\""),
                     1);
    assert_string_equal(vg_app_cmd_topic(&g_app), "vigil/dev-1/cmd");
}

static void test_event_and_telemetry(void **state)
{
    (void)state;
    setup_app(MAXQ);
    connect_app();
    g_t = 100.0;
    feed(40, 0.0f); /* calm */
    assert_int_equal(g_m.led_changes, 0);
    assert_true(count_topic("/telemetry", "\"values\":{\"temp\":") >= 15);
    const pub_t *tl = last_pub("/telemetry");
    assert_int_equal(tl->qos, 0);
    assert_non_null(strstr(tl->payload, "\"anomaly\":false"));
    feed(12, 3.0f); /* noisy: std far over */
    assert_int_equal(g_m.led, 1);
    assert_int_equal(count_topic("/event", "\"phase\":\"open\""), 1);
    const pub_t *e = last_pub("/event");
    assert_non_null(strstr(e->payload, "\"event\":1,\"phase\":\"open\",\"t_start\":"));
    assert_non_null(strstr(e->payload, "\"t_end\":null"));
    assert_non_null(strstr(e->payload, "\"kind\":\"zscore\",\"class\":null,\"class_name\":null,"
                                       "\"magnitude\":{\"peak\":"));
    assert_non_null(strstr(e->payload, "\"features\":{\"temp.std\":"));
    /* one in flight: the close waits for the open's acknowledgement */
    feed(30, 0.0f);
    assert_int_equal(g_m.led, 0);
    assert_int_equal(count_topic("/event", "\"phase\":\"close\""), 0);
    assert_int_equal(vg_app_queued(&g_app), 2);
    ack_all();
    assert_int_equal(count_topic("/event", "\"phase\":\"close\""), 1);
    ack_all();
    assert_int_equal(vg_app_queued(&g_app), 0);
    assert_true(vg_app_idle(&g_app));
    assert_int_equal(g_m.records, 2);
    /* the peak reading is an extreme of the noisy part: 20 +- 3 (+-0.1) */
    e = last_pub("/event");
    const char *pk = strstr(e->payload, "\"peak\":");
    assert_non_null(pk);
    double peak = atof(pk + 7);
    assert_true(fabs(fabs(peak - 20.0) - 3.0) < 0.2);
}

static void test_queue_offline_overflow_and_resend(void **state)
{
    (void)state;
    setup_app(3);
    g_t = 0;
    feed(40, 0.0f);
    feed(12, 3.0f);
    feed(30, 0.0f); /* event 1: open, close queued */
    feed(12, 3.0f);
    feed(30, 0.0f); /* event 2: open queued, close refused (full) */
    assert_int_equal(vg_app_queued(&g_app), 3);
    assert_int_equal(vg_app_dropped(&g_app), 1);
    assert_int_equal(g_m.npubs, 0); /* nothing while disconnected, telemetry included */
    connect_app();
    assert_non_null(strstr(last_pub("/status")->payload, "\"queued\":3,\"dropped\":1"));
    assert_int_equal(count_topic("/event", NULL), 1);
    /* the connection drops before the acknowledgement: the same message again */
    vg_app_disconnected(&g_app);
    g_m.connected = 0;
    connect_app();
    assert_int_equal(count_topic("/event", NULL), 2);
    assert_string_equal(g_m.pubs[g_m.npubs - 1].payload, last_pub("/event")->payload);
    int first = -1, second = -1;
    for (int i = 0; i < g_m.npubs; i++)
        if (strstr(g_m.pubs[i].topic, "/event"))
            *(first < 0 ? &first : &second) = i;
    assert_string_equal(g_m.pubs[first].payload, g_m.pubs[second].payload);
    /* a refused message (ACL) is dropped and counted, and the queue moves on */
    vg_app_published(&g_app, g_m.pubs[second].mid, 0);
    assert_int_equal(vg_app_refused(&g_app), 1);
    assert_int_equal(vg_app_queued(&g_app), 2);
    assert_int_equal(count_topic("/event", NULL), 3);
}

static const pub_t *last_ack(void)
{
    return last_pub("/ack");
}

static void test_commands(void **state)
{
    (void)state;
    setup_app(MAXQ);
    connect_app();
    g_t = 0;
    feed(20, 0.0f);
    const char *c1 = "{\"v\":1,\"id\":\"c-42\",\"op\":\"set_threshold\",\"threshold\":0.015}";
    vg_app_command(&g_app, c1, strlen(c1));
    assert_non_null(strstr(last_ack()->payload, "\"id\":\"c-42\",\"op\":\"set_threshold\","
                                                "\"ok\":true,\"error\":null}"));
    assert_true(fabsf(vg_app_threshold(&g_app) - 0.015f) < 1e-9f);
    assert_non_null(strstr(last_pub("/status")->payload, "\"threshold\":0.015}"));
    ack_all();
    const char *c2 = "{\"v\":1,\"id\":\"c-43\",\"op\":\"set_threshold\",\"threshold\":0}";
    vg_app_command(&g_app, c2, strlen(c2));
    assert_non_null(strstr(last_ack()->payload,
                           "\"ok\":false,\"error\":\"threshold: must be a finite number > 0\"}"));
    ack_all();
    vg_app_command(&g_app, "{]", 2);
    assert_non_null(strstr(last_ack()->payload, "\"id\":null,\"op\":null,\"ok\":false,"
                                                "\"error\":\"payload: expected a member name"));
    ack_all();
    /* recalibrate over 10 s (20 samples, 10 windows): acked with the new threshold */
    const char *c3 = "{\"v\":1,\"id\":\"r-1\",\"op\":\"recalibrate\",\"seconds\":10}";
    vg_app_command(&g_app, c3, strlen(c3));
    int acks = count_topic("/ack", NULL);
    feed(19, 0.2f);
    for (int i = 0; i < 4; i++)
        ack_all();
    assert_int_equal(count_topic("/ack", NULL), acks);
    feed(1, 0.2f);
    for (int i = 0; i < 4; i++)
        ack_all();
    assert_int_equal(count_topic("/ack", NULL), acks + 1);
    assert_non_null(
        strstr(last_ack()->payload, "\"id\":\"r-1\",\"op\":\"recalibrate\",\"ok\":true"));
    assert_true(vg_app_threshold(&g_app) > 0.015f);
    ack_all();
    /* a calibration cut short by the end is refused */
    vg_app_command(&g_app, c3, strlen(c3));
    feed(4, 0.2f);
    vg_app_finish(&g_app);
    for (int i = 0; i < 4; i++)
        ack_all();
    assert_int_equal(count_topic("/ack", "\"ok\":false,\"error\":\"seconds: the device"), 1);
    int mid;
    assert_int_equal(vg_app_stop(&g_app, &mid), VG_OK);
    assert_non_null(
        strstr(last_pub("/status")->payload, "\"state\":\"offline\",\"reason\":\"stop\""));
}

static void test_class_names_match_simulator(void **state)
{
    (void)state;
    for (unsigned c = 0; c <= 30; c++) {
        const char *a = vg_app_pq_class_name(c), *b = vgh_pq_class_name(c);
        if (!a || !b)
            assert_true(a == b);
        else
            assert_string_equal(a, b);
    }
}

static void test_ids(void **state)
{
    (void)state;
    assert_true(vg_app_id_valid("a"));
    assert_true(vg_app_id_valid("Kitchen_2-b"));
    assert_true(vg_app_id_valid("abcdefghijklmnopqrstuvwxyz012345"));
    assert_false(vg_app_id_valid("abcdefghijklmnopqrstuvwxyz0123456"));
    assert_false(vg_app_id_valid(""));
    assert_false(vg_app_id_valid("a/b"));
    assert_false(vg_app_id_valid("a+"));
    assert_false(vg_app_id_valid(NULL));
}

/* The allocation-free fit equals the host's when every score fits in the buffer, and stays
 * close when it decimates. */
static void test_calib_matches_host(void **state)
{
    (void)state;
    enum { N = 3000 };
    static float s[N], buf[N], small[256];
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        double u = ((x >> 8) & 0xFFFF) / 65536.0 + 1e-6;
        s[i] = (float)(-log(u) * 0.01 + 0.02); /* exponential scores */
    }
    double beta, p = 0.2 / 86400.0;
    float host = vgh_tail_threshold(s, N, p, 1.0, &beta);
    vg_calib_t c;
    assert_int_equal(vg_calib_init(&c, buf, N), VG_OK);
    for (int i = 0; i < N; i++)
        vg_calib_add(&c, s[i]);
    vg_calib_add(&c, INFINITY); /* dropout windows are left out */
    vg_calib_add(&c, NAN);
    float mine;
    assert_int_equal(vg_calib_threshold(&c, p, 1.0, 0, &mine), VG_OK);
    assert_true(fabsf(mine - host) <= 1e-6f * host);
    assert_int_equal(vg_calib_init(&c, small, 256), VG_OK);
    for (int i = 0; i < N; i++)
        vg_calib_add(&c, s[i]);
    assert_int_equal(vg_calib_windows(&c), N);
    assert_int_equal(vg_calib_threshold(&c, p, 1.0, 0, &mine), VG_OK);
    assert_true(fabsf(mine - host) < 0.15f * host);
    assert_int_equal(vg_calib_threshold(&c, p, 1.0, 1, &mine), VG_OK); /* capped at the top */
    assert_true(mine < small[c.n - 1]);
    /* too few windows */
    assert_int_equal(vg_calib_init(&c, small, 256), VG_OK);
    for (int i = 0; i < 9; i++)
        vg_calib_add(&c, 1.0f);
    assert_int_equal(vg_calib_threshold(&c, p, 1.0, 0, &mine), VG_ERR_SIZE);
    assert_int_equal(vg_calib_init(&c, small, 5), VG_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_and_discovery),
        cmocka_unit_test(test_event_and_telemetry),
        cmocka_unit_test(test_queue_offline_overflow_and_resend),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_class_names_match_simulator),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_calib_matches_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
