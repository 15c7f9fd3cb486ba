/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of firmware/app/vg_cmd.c, the parser of `vigil/<id>/cmd` payloads: the protocol's
 * three commands, blanks and member order, unknown fields skipped, and every refusal naming
 * its field; the payload is read through exactly len bytes (no terminator), and the error
 * buffer is cut, never overrun.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vg_cmd.h"

static vg_cmd_t g_c;
static char g_err[160];

/* parse a copy of s that has no terminator (an exact-size heap block) */
static vg_status_t parse(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    vg_status_t st = vg_cmd_parse(p, n, &g_c, g_err, sizeof g_err);
    free(p);
    return st;
}

static void refused(const char *s, const char *field_msg)
{
    assert_int_equal(parse(s), VG_ERR_FORMAT);
    assert_int_equal(g_c.op, VG_CMD_NONE);
    if (strncmp(g_err, field_msg, strlen(field_msg)) != 0) {
        print_error("payload %s\n  error '%s'\n  want  '%s...'\n", s, g_err, field_msg);
        fail();
    }
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(
        parse("{\"v\":1,\"id\":\"c-42\",\"op\":\"set_threshold\",\"threshold\":0.015}"), VG_OK);
    assert_int_equal(g_c.op, VG_CMD_SET_THRESHOLD);
    assert_string_equal(g_c.id, "c-42");
    assert_true(fabsf(g_c.threshold - 0.015f) < 1e-9f);
    assert_string_equal(g_err, "");
    assert_int_equal(parse("{\"v\":1,\"id\":\"c-43\",\"op\":\"recalibrate\",\"seconds\":60}"),
                     VG_OK);
    assert_int_equal(g_c.op, VG_CMD_RECALIBRATE);
    assert_int_equal(g_c.seconds, 60);
    assert_int_equal(parse(" \r\n\t{ \"op\" : \"status\" ,\"v\":1.0e0, \"id\":\"x y\" }\n"), VG_OK);
    assert_int_equal(g_c.op, VG_CMD_STATUS);
    assert_string_equal(g_c.id, "x y");
    assert_string_equal(vg_cmd_op_name(g_c.op), "status");
    /* unknown fields of any shape are skipped */
    assert_int_equal(parse("{\"v\":1,\"future\":{\"a\":[1,-2.5e-3,true,false,null,\"\\u00e9\"]},"
                           "\"id\":\"c\",\"op\":\"status\",\"note\":\"\\\"hi\\\"\"}"),
                     VG_OK);
    /* limits: 64-character id, 86400 s, 6e1 is an integer, a threshold as small as a float */
    assert_int_equal(parse("{\"v\":1,\"id\":\"0123456789012345678901234567890123456789012345678"
                           "901234567890123\",\"op\":\"recalibrate\",\"seconds\":86400}"),
                     VG_OK);
    assert_int_equal(strlen(g_c.id), 64);
    assert_int_equal(parse("{\"v\":1,\"id\":\"c\",\"op\":\"recalibrate\",\"seconds\":6e1}"), VG_OK);
    assert_int_equal(g_c.seconds, 60);
    assert_int_equal(parse("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":1e-44}"),
                     VG_OK);
    assert_int_equal(parse("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":"
                           "123456789012345678901234567890e-30}"),
                     VG_OK);
    assert_true(fabsf(g_c.threshold - 0.12345679f) < 1e-7f);
}

static void test_refused(void **state)
{
    (void)state;
    refused("", "payload: empty");
    refused("   ", "payload: empty");
    refused("not json", "payload: expected a JSON object");
    refused("[1]", "payload: expected a JSON object");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"status\"} x", "payload: text after the JSON object");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"status\",}", "payload: expected a member name");
    refused("{\"v\":1 \"id\":\"c\"}", "payload: expected ',' or '}'");
    refused("{\"v\":1,\"id\":\"c", "id: unterminated string");
    refused("{\"v\" 1}", "v: expected ':'");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":1.2.3}",
            "threshold: unexpected text after the value");
    refused("{\"v\":01}", "v: leading zero");
    refused("{\"v\":1.}", "v: no digits after the decimal point");
    refused("{\"v\":1e}", "v: no digits in the exponent");
    refused("{\"v\":-}", "v: not a number");
    refused("{\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}", "payload: nested too deeply");
    refused("{\"x\":tru}", "payload: not a JSON value");
    refused("{\"v\":1,\"id\":\"\\ud800\",\"op\":\"status\"}", "id: unpaired surrogate");
    refused("{\"v\":1,\"id\":\"\\x\"}", "id: bad escape");
    refused("{\"v\":1,\"id\":\"a\tb\"}", "id: control character");
    /* fields */
    refused("{\"v\":2,\"id\":\"c\",\"op\":\"status\"}", "v: protocol version not supported");
    refused("{\"v\":\"1\",\"id\":\"c\",\"op\":\"status\"}", "v: must be the protocol version");
    refused("{\"id\":\"c\",\"op\":\"status\"}", "v: missing");
    refused("{\"v\":1,\"op\":\"status\"}", "id: missing");
    refused("{\"v\":1,\"id\":\"c\"}", "op: missing");
    refused("{\"v\":1,\"id\":\"\",\"op\":\"status\"}", "id: must be a string of 1-64");
    refused("{\"v\":1,\"id\":\"\\u00e9\",\"op\":\"status\"}", "id: must be a string of 1-64");
    refused("{\"v\":1,\"id\":7,\"op\":\"status\"}", "id: must be a string");
    refused("{\"v\":1,\"id\":\"0123456789012345678901234567890123456789012345678901234567890123"
            "4\",\"op\":\"status\"}",
            "id: must be a string of 1-64");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"reboot\"}", "op: unknown operation 'reboot'");
    refused("{\"v\":1,\"id\":\"c\",\"op\":null}", "op: must be a string");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\"}", "threshold: missing");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":0}",
            "threshold: must be a finite number > 0");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":-0.5}",
            "threshold: must be a finite number > 0");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":1e39}",
            "threshold: must be a finite number > 0");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":1e-50}",
            "threshold: must be a finite number > 0");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":\"0.5\"}",
            "threshold: must be a finite number > 0");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"recalibrate\"}", "seconds: missing");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"recalibrate\",\"seconds\":0}",
            "seconds: must be an integer from 1 to 86400");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"recalibrate\",\"seconds\":86401}",
            "seconds: must be an integer from 1 to 86400");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"recalibrate\",\"seconds\":1.5}",
            "seconds: must be an integer from 1 to 86400");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"status\",\"threshold\":1}",
            "threshold: only set_threshold takes it");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"status\",\"seconds\":1}",
            "seconds: only recalibrate takes it");
    refused("{\"v\":1,\"id\":\"c\",\"op\":\"status\",\"v\":1}", "v: given more than once");
    /* what the ack can echo: the first id, the op as given */
    refused("{\"v\":1,\"id\":\"first\",\"op\":\"explode\",\"id\":\"second\"}",
            "op: unknown operation 'explode'");
    assert_true(g_c.has_id);
    assert_string_equal(g_c.id, "first");
    assert_true(g_c.has_op_name);
    assert_string_equal(g_c.op_name, "explode");
    /* a syntax error outranks an earlier field error */
    refused("{\"v\":9,\"id\":\"c\"", "payload: expected ',' or '}'");
    char big[VG_CMD_MAX_LEN + 2];
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    refused(big, "payload: longer than 4096 bytes");
}

static void test_error_buffer(void **state)
{
    (void)state;
    const char *s = "{\"v\":1,\"id\":\"c\",\"op\":\"set_threshold\",\"threshold\":0}";
    char small[12];
    memset(small, 'x', sizeof small);
    vg_cmd_t c;
    assert_int_equal(vg_cmd_parse(s, strlen(s), &c, small, 10), VG_ERR_FORMAT);
    assert_string_equal(small, "threshold");
    assert_int_equal(small[10], 'x');
    assert_int_equal(vg_cmd_parse(s, strlen(s), &c, NULL, 0), VG_ERR_FORMAT);
    assert_int_equal(vg_cmd_parse(NULL, 0, &c, small, sizeof small), VG_ERR_FORMAT);
    assert_int_equal(vg_cmd_parse(s, strlen(s), NULL, small, sizeof small), VG_ERR_ARG);
    /* a prefix of a valid payload is never valid */
    const char *ok = "{\"v\":1,\"id\":\"c-1\",\"op\":\"recalibrate\",\"seconds\":60}";
    for (size_t n = 0; n < strlen(ok); n++)
        assert_int_equal(vg_cmd_parse(ok, n, &c, small, sizeof small), VG_ERR_FORMAT);
    assert_int_equal(vg_cmd_parse(ok, strlen(ok), &c, small, sizeof small), VG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
