/* SPDX-License-Identifier: MIT */
/* The collector's reader of docs/protocol.md: topics, the four payloads, and commands. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vgc_payload.h"
#include "vgc_scan.h"

static int parse(vgc_kind_t k, const char *s, vgc_msg_t *m, char *err)
{
    memset(m, 0, sizeof *m);
    return vgc_payload_parse(k, s, strlen(s), m, NULL, err, 256);
}

static void topics(void **state)
{
    (void)state;
    char dev[VGC_DEVICE_MAX + 1], err[256];
    vgc_kind_t k;
    assert_int_equal(vgc_topic_parse("vigil/pump-7_a/event", dev, &k, err, sizeof err), 0);
    assert_string_equal(dev, "pump-7_a");
    assert_int_equal(k, VGC_KIND_EVENT);
    assert_int_equal(vgc_topic_parse("vigil/a/status", dev, &k, err, sizeof err), 0);
    assert_int_equal(k, VGC_KIND_STATUS);
    assert_int_equal(vgc_topic_parse("vigil/a/ack", dev, &k, err, sizeof err), 0);
    assert_int_equal(vgc_topic_parse("vigil/a/telemetry", dev, &k, err, sizeof err), 0);
    /* 32 characters is the longest id, 33 too long */
    assert_int_equal(
        vgc_topic_parse("vigil/abcdefghijabcdefghijabcdefghijab/ack", dev, &k, err, sizeof err), 0);
    assert_int_equal(
        vgc_topic_parse("vigil/abcdefghijabcdefghijabcdefghijabc/ack", dev, &k, err, sizeof err),
        -1);
    const char *bad[] = {"vigil/a/cmd",     "vigil//event", "vigil/a b/event", "other/a/event",
                         "vigil/a/event/x", "vigil/a",      "vigil/a.b/event", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vgc_topic_parse(bad[i], dev, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "topic"));
}

static void event_example(void **state)
{
    (void)state;
    vgc_msg_t m;
    char err[256];
    const char *ev = "{\"v\":1,\"boot\":7,\"seq\":57,\"ts\":1763900023500,\"event\":3,\"phase\":"
                     "\"close\",\"t_start\":22.0,\"t_end\":27.5,\"score\":0.93,\"raw\":0.081,"
                     "\"thr\":0.0123,\"kind\":\"autoencoder\",\"class\":null,\"class_name\":null,"
                     "\"magnitude\":{\"peak\":27.9},\"features\":{\"temp.std\":3.1}}";
    assert_int_equal(parse(VGC_KIND_EVENT, ev, &m, err), 0);
    assert_int_equal(m.boot, 7);
    assert_int_equal(m.seq, 57);
    assert_int_equal(m.ts, 1763900023500LL);
    assert_int_equal(m.event, 3);
    assert_int_equal(m.close, 1);
    assert_true(m.t_end == 27.5);
    assert_int_equal(m.cls, -1);
    assert_string_equal(m.model_kind, "autoencoder");
    /* open: t_end null */
    const char *op = "{\"v\":1,\"boot\":7,\"seq\":56,\"ts\":0,\"event\":3,\"phase\":\"open\","
                     "\"t_end\":null,\"score\":0.5,\"class\":2,\"class_name\":\"sag\"}";
    assert_int_equal(parse(VGC_KIND_EVENT, op, &m, err), 0);
    assert_true(isnan(m.t_end));
    assert_int_equal(m.cls, 2);
    assert_string_equal(m.class_name, "sag");
}

static void other_examples(void **state)
{
    (void)state;
    vgc_msg_t m;
    char err[256];
    assert_int_equal(
        parse(VGC_KIND_STATUS,
              "{\"v\":1,\"boot\":7,\"seq\":1,\"ts\":1763900000123,\"state\":\"online\",\"fw\":"
              "\"0.1.0\",\"model\":{\"kind\":\"autoencoder\",\"crc\":\"9f3a01c2\",\"rate_hz\":2,"
              "\"threshold\":0.0123},\"uptime_s\":0,\"queued\":0,\"dropped\":0}",
              &m, err),
        0);
    assert_int_equal(m.online, 1);
    assert_true(m.has_seq);
    assert_string_equal(m.model_crc, "9f3a01c2");
    assert_true(fabs(m.threshold - 0.0123) < 1e-12);
    /* every model kind of protocol.md, the int8 autoencoder's the longest name */
    assert_int_equal(
        parse(VGC_KIND_STATUS,
              "{\"v\":1,\"boot\":3,\"seq\":1,\"ts\":1763900000123,\"state\":\"online\",\"fw\":"
              "\"0.1.0\",\"model\":{\"kind\":\"autoencoder-int8\",\"crc\":\"9f3a01c2\","
              "\"rate_hz\":2,\"threshold\":2.8},\"uptime_s\":0,\"queued\":0,\"dropped\":0}",
              &m, err),
        0);
    assert_string_equal(m.model_kind, "autoencoder-int8");
    /* a last will without boot/seq/ts is still a status */
    assert_int_equal(
        parse(VGC_KIND_STATUS, "{\"v\":1,\"state\":\"offline\",\"reason\":\"lost\"}", &m, err), 0);
    assert_int_equal(m.online, 0);
    assert_false(m.has_seq);
    assert_string_equal(m.reason, "lost");
    assert_int_equal(
        parse(VGC_KIND_TELEMETRY,
              "{\"v\":1,\"boot\":7,\"seq\":42,\"ts\":1763900021000,\"t\":20.5,\"values\":{"
              "\"temp\":21.37,\"hum\":null},\"score\":0.31,\"raw\":0.0038,\"thr\":0.0123,"
              "\"anomaly\":true,\"future_field\":[1,2]}",
              &m, err),
        0);
    assert_int_equal(m.anomaly, 1);
    assert_true(m.t == 20.5);
    assert_int_equal(parse(VGC_KIND_ACK,
                           "{\"v\":1,\"boot\":7,\"seq\":60,\"ts\":1763900030000,\"id\":\"c-42\","
                           "\"op\":\"set_threshold\",\"ok\":false,\"error\":\"threshold: must "
                           "be a finite number > 0\"}",
                           &m, err),
                     0);
    assert_string_equal(m.cmd_id, "c-42");
    assert_int_equal(m.ok, 0);
    assert_non_null(strstr(m.error, "finite"));
}

/* Each refusal names the field. */
static void refusals(void **state)
{
    (void)state;
    static const struct {
        vgc_kind_t k;
        const char *payload, *field;
    } cases[] = {
        {VGC_KIND_EVENT, "", "payload: empty"},
        {VGC_KIND_EVENT, "{", "payload: not JSON"},
        {VGC_KIND_EVENT, "{} {}", "payload: bytes after"},
        {VGC_KIND_EVENT, "\"x\"", "payload: not a JSON object"},
        {VGC_KIND_EVENT, "{\"boot\":1,\"seq\":1,\"ts\":1}", "v: missing"},
        {VGC_KIND_EVENT, "{\"v\":2}", "v: version 2"},
        {VGC_KIND_EVENT, "{\"v\":1,\"seq\":1,\"ts\":1}", "boot: missing"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":1,\"seq\":0,\"ts\":1}", "seq: must be"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":1,\"seq\":1.5,\"ts\":1}", "seq: must be"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":1,\"seq\":1e300,\"ts\":1}", "seq: must be"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":-5}", "ts: must be"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"event\":1,\"phase\":\"x\"}",
         "phase:"},
        {VGC_KIND_EVENT,
         "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"event\":1,\"phase\":\"open\",\"score\":1,"
         "\"class\":\"sag\"}",
         "class:"},
        {VGC_KIND_EVENT,
         "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"event\":1,\"phase\":\"open\",\"score\":1,"
         "\"features\":{\"a\":\"b\"}}",
         "features.a:"},
        {VGC_KIND_TELEMETRY, "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"score\":1}", "anomaly:"},
        {VGC_KIND_TELEMETRY,
         "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"score\":1,\"anomaly\":false,\"values\":[]}",
         "values:"},
        {VGC_KIND_STATUS, "{\"v\":1}", "state: missing"},
        {VGC_KIND_STATUS, "{\"v\":1,\"state\":\"online\",\"fw\":7}", "fw:"},
        {VGC_KIND_STATUS, "{\"v\":1,\"state\":\"online\",\"model\":{\"crc\":1}}", "model.crc:"},
        {VGC_KIND_ACK, "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"id\":\"\",\"op\":\"s\",\"ok\":1}",
         "id:"},
        {VGC_KIND_ACK, "{\"v\":1,\"boot\":1,\"seq\":1,\"ts\":1,\"id\":\"c\",\"ok\":true}", "op:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vgc_msg_t m;
        char err[256] = "";
        if (parse(cases[i].k, cases[i].payload, &m, err) != -1 ||
            strstr(err, cases[i].field) == NULL)
            fail_msg("case %zu '%s': err '%s', want '%s'", i, cases[i].payload, err,
                     cases[i].field);
    }
}

static void bytes(void **state)
{
    (void)state;
    vgc_msg_t m;
    char err[256];
    /* not NUL-terminated: exactly len bytes are read */
    const char full[] = "{\"v\":1,\"state\":\"online\"}GARBAGE";
    char *exact = malloc(24);
    memcpy(exact, full, 24);
    memset(&m, 0, sizeof m);
    assert_int_equal(vgc_payload_parse(VGC_KIND_STATUS, exact, 24, &m, NULL, err, sizeof err), 0);
    free(exact);
    const char bad_utf8[] = "{\"v\":1,\"state\":\"online\",\"fw\":\"\xc3\x28\"}";
    assert_int_equal(parse(VGC_KIND_STATUS, bad_utf8, &m, err), -1);
    assert_non_null(strstr(err, "UTF-8"));
    const char ok_utf8[] = "{\"v\":1,\"state\":\"online\",\"fw\":\"\xc3\xa9\"}";
    assert_int_equal(parse(VGC_KIND_STATUS, ok_utf8, &m, err), 0);
    /* strict JSON re-serialisation: raw control characters escaped */
    char *json = NULL;
    const char ctl[] = "{\"v\":1,\"state\":\"online\",\"fw\":\"a\x01z\"}";
    memset(&m, 0, sizeof m);
    if (vgc_payload_parse(VGC_KIND_STATUS, ctl, strlen(ctl), &m, &json, err, sizeof err) == 0) {
        assert_non_null(json);
        for (const char *p = json; *p; p++)
            assert_true((unsigned char)*p >= 0x20);
    }
    vgc_payload_free(json);
    /* payload too long */
    size_t big = VGC_PAYLOAD_MAX + 1;
    char *b = malloc(big);
    memset(b, ' ', big);
    b[0] = '{';
    b[big - 1] = '}';
    assert_int_equal(vgc_payload_parse(VGC_KIND_STATUS, b, big, &m, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer"));
    free(b);
}

static void commands(void **state)
{
    (void)state;
    char out[1024], id[80], err[256];
    const char *c = "{\"op\":\"set_threshold\",\"threshold\":0.015}";
    assert_int_equal(
        vgc_cmd_build(c, strlen(c), "c-1", out, sizeof out, id, sizeof id, err, sizeof err), 0);
    assert_string_equal(out,
                        "{\"v\":1,\"id\":\"c-1\",\"op\":\"set_threshold\",\"threshold\":0.015}");
    assert_string_equal(id, "c-1");
    c = "{\"v\":1,\"id\":\"mine\",\"op\":\"recalibrate\",\"seconds\":60}";
    assert_int_equal(
        vgc_cmd_build(c, strlen(c), "c-2", out, sizeof out, id, sizeof id, err, sizeof err), 0);
    assert_string_equal(id, "mine");
    static const char *const bad[] = {"{\"op\":\"set_threshold\",\"threshold\":0}",
                                      "{\"op\":\"set_threshold\"}",
                                      "{\"op\":\"recalibrate\",\"seconds\":86401}",
                                      "{\"op\":\"reboot\"}",
                                      "{\"v\":2,\"op\":\"status\"}",
                                      "{\"id\":\"\",\"op\":\"status\"}",
                                      "{\"id\":7}",
                                      "[]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(vgc_cmd_build(bad[i], strlen(bad[i]), "c", out, sizeof out, id, sizeof id,
                                       err, sizeof err),
                         -1);
    /* output buffer too small */
    c = "{\"op\":\"status\"}";
    assert_int_equal(vgc_cmd_build(c, strlen(c), "c-3", out, 10, id, sizeof id, err, sizeof err),
                     -1);
}

/* The fast scanner (vgc_scan.h) and the cJSON reader give the same answer: the same status,
 * the same message byte for byte, the same stored text; seeded mutations of plain payloads
 * (byte changes, insertions, deletions with JSON's own characters) cover the edges. */
static int same_answer(vgc_kind_t k, const char *p, size_t n, int *scanned)
{
    vgc_msg_t a, b, c;
    char ea[256] = "", eb[256] = "", *ja = NULL, *jb = NULL;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    int ra = vgc_payload_parse(k, p, n, &a, &ja, ea, sizeof ea);
    int rb = vgc_payload_parse_generic(k, p, n, &b, &jb, eb, sizeof eb);
    int ok = ra == rb && (ra != 0 || (memcmp(&a, &b, sizeof a) == 0 && strcmp(ja, jb) == 0));
    if (vgc_scan_payload(k, p, n, &c) == 1) {
        (*scanned)++;
        ok = ok && rb == 0 && memcmp(&c, &b, sizeof c) == 0;
    }
    if (!ok)
        print_error("readers differ on %s payload (%zu bytes): %.*s\n", vgc_kind_name(k), n, (int)n,
                    p);
    vgc_payload_free(ja);
    vgc_payload_free(jb);
    return ok;
}

static void scanner_matches_cjson(void **state)
{
    (void)state;
    static const struct {
        vgc_kind_t k;
        const char *p;
    } base[] = {
        {VGC_KIND_TELEMETRY, "{\"v\":1,\"boot\":7,\"seq\":42,\"ts\":1763900021000,\"t\":20.5,"
                             "\"values\":{\"temp\":21.37},"
                             "\"score\":0.31,\"raw\":0.0038,\"thr\":0.0123,\"anomaly\":false}"},
        {VGC_KIND_TELEMETRY, "{\"v\":1,\"boot\":0,\"seq\":1,\"ts\":0,\"score\":-0,\"anomaly\":true,"
                             "\"t\":null,\"values\":{\"rms\":null,\"freq\":5e1,\"thd\":1E-2}}"},
        {VGC_KIND_TELEMETRY, " {\"v\":1.0,\"boot\":3,\"seq\":9007199254740991,\"ts\":12,"
                             "\"score\":1,\"anomaly\":false,\"x\":[1,[2,{}],\"s\",true]}\t"},
        {VGC_KIND_EVENT,
         "{\"v\":1,\"boot\":7,\"seq\":57,\"ts\":1763900023500,\"event\":3,\"phase\":\"close\","
         "\"t_start\":22.0,\"t_end\":27.5,\"score\":0.93,\"raw\":0.081,\"thr\":0.0123,"
         "\"kind\":\"autoencoder\",\"class\":null,\"class_name\":null,"
         "\"magnitude\":{\"peak\":27.9},\"features\":{\"temp.std\":3.1,\"temp.slope\":0.8}}"},
        {VGC_KIND_EVENT, "{\"v\":1,\"boot\":2,\"seq\":5,\"ts\":1,\"event\":1,\"phase\":\"open\","
                         "\"t_start\":1.5,\"t_end\":null,\"score\":0.7,\"raw\":1e300,\"thr\":0.5,"
                         "\"kind\":\"forest\",\"class\":2,\"class_name\":\"sag\","
                         "\"magnitude\":{\"sag_pu\":0.61},\"features\":{}}"},
    };
    static const char alphabet[] = "{}[]:,\"\\ \t\n-+.eE0123456789truefalsenull\x01\xc3\xa9";
    unsigned seed = 20261123u;
    print_message("scanner vs cJSON: seed %u\n", seed);
    srand(seed);
    int scanned = 0, cases = 0;
    char buf[1024];
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        size_t n0 = strlen(base[i].p);
        assert_true(same_answer(base[i].k, base[i].p, n0, &scanned));
        cases++;
        for (int r = 0; r < 4000; r++) {
            memcpy(buf, base[i].p, n0);
            size_t n = n0;
            for (int e = 1 + rand() % 3; e > 0; e--) {
                size_t at = (size_t)rand() % n;
                char ch = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
                int op = rand() % 3;
                if (op == 0) {
                    buf[at] = ch;
                } else if (op == 1 && n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = ch;
                    n++;
                } else if (n > 1) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
            }
            assert_true(same_answer(base[i].k, buf, n, &scanned));
            cases++;
        }
    }
    print_message("scanner vs cJSON: %d payloads, %d read by the scanner\n", cases, scanned);
    assert_true(scanned > cases / 20);
    /* other kinds are always the cJSON reader's */
    vgc_msg_t m;
    const char *st = "{\"v\":1,\"state\":\"online\"}";
    assert_int_equal(vgc_scan_payload(VGC_KIND_STATUS, st, strlen(st), &m), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topics),
        cmocka_unit_test(event_example),
        cmocka_unit_test(other_examples),
        cmocka_unit_test(refusals),
        cmocka_unit_test(bytes),
        cmocka_unit_test(commands),
        cmocka_unit_test(scanner_matches_cjson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
