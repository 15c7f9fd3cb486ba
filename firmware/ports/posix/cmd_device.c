/* SPDX-License-Identifier: MIT */
/* vigil device: the POSIX port of the device application (firmware/app), a simulated device on
 * Linux. It supplies the platform services (clocks, the LED on the terminal, MQTT through
 * libmosquitto, the queue file, the boot counter file) and the loop: samples at the model's
 * rate from a source, the network serviced between them. docs/fleet.md, docs/cli.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "artifact.h"
#include "cli.h"
#include "dataset.h"
#include "vg_app.h"
#include "vg_fqueue.h"
#include "vg_source.h"

#define CMD "device"

static const char usage_text[] =
    "Usage: vigil device --id ID --model MODEL --source SRC --broker URL [options]\n"
    "\n"
    "A simulated Vigil device: samples from SRC at the model's rate go through the model's\n"
    "pipeline (the code a microcontroller runs); status, telemetry, events and command acks go\n"
    "to the broker as docs/protocol.md specifies. Events and acks wait in a queue file while the\n"
    "broker is away and are sent in order when it is back. The LED (on while an event is open)\n"
    "is a line on standard error. Every event and ack is also written to standard output as\n"
    "`TOPIC PAYLOAD` (the device's own log).\n"
    "\n"
    "  --id ID               device id: 1-32 of [A-Za-z0-9_-]; MQTT client id and topic level\n"
    "  -m, --model MODEL     model artifact\n"
    "  --source SRC          sim:temperature[:KEY=VALUE...]  keys seed, anomalies (spike,drift,\n"
    "                          stuck,noise,dropout, all, none), events (per kind), minutes\n"
    "                          (default 1440), setpoint, noise, daily_amp\n"
    "                        sim:power[:KEY=VALUE...]  keys seed, snr (dB or inf), classes,\n"
    "                          minutes (default 60), events_per_hour (default 60)\n"
    "                        csv:FILE  a recording with the model's columns;  -  standard input\n"
    "  --broker URL          mqtt://HOST[:PORT] (default port 1883) or mqtts://HOST[:PORT] (TLS,\n"
    "                        default port 8883)\n"
    "  --user U              MQTT user name (default: the id)\n"
    "  --password P          password, or\n"
    "  --password-file F     the first line of F\n"
    "  --cafile CA           CA certificate for TLS (mqtts://; default: the system's CAs)\n"
    "  --state-dir DIR       boot counter and queue files (default $XDG_STATE_HOME/vigil or\n"
    "                        ~/.local/state/vigil): DIR/ID.boot, DIR/ID.queue\n"
    "  --speed X             play the source X times faster than real time (default 1)\n"
    "  --fast                as fast as possible\n"
    "  --telemetry-hz N      telemetry messages per second of sensor time, 0-1000 (default 2;\n"
    "                        0 = none)\n"
    "  --queue-max N         events and acks the queue holds, 1-1000000 (default 1000)\n"
    "  --ha-discovery        publish Home Assistant MQTT discovery configs\n"
    "  --duration S          stop after S seconds of sensor time\n"
    "  --drain S             at the end of the source, wait up to S seconds (default 10) for\n"
    "                        the queue to be delivered, reconnecting if needed\n"
    "  -q, --quiet           no LED or connection lines on standard error\n"
    "  -h, --help\n"
    "\n"
    "Stops at the end of the source, after --duration, or on SIGINT/SIGTERM: an open event is\n"
    "closed, the queue delivered (--drain), the offline status (reason stop) published.\n"
    "Reconnects back off 1, 2, 4, 8 s (+-25 %). A broker that refuses the first connection\n"
    "(bad user name or password, not authorised) ends the device with status 1.\n"
    "\n"
    "Exit status: 0 ok, 1 bad model or input data, or credentials the broker refuses, 2 bad\n"
    "usage, 3 system error (state directory, queue file).\n";

enum { NET_DOWN = 0, NET_CONNECTING = 1, NET_UP = 2 };

typedef struct {
    /* options */
    const char *id, *model_path, *source, *url, *user, *cafile;
    char state_dir[2048];
    char password[512];
    int have_password, fast, ha, quiet;
    double speed, telemetry_hz, duration, drain;
    unsigned long queue_max;
    char host[256];
    int port, tls;
    /* runtime */
    vgh_model_file_t mf;
    int mf_loaded;
    vgp_fqueue_t q;
    char boot_path[2300];
    vg_app_t app;
    void *arena;
    float *hist, *calib;
    char *msg;
    struct mosquitto *mosq;
    int net;
    uint64_t next_attempt, deadline;
    unsigned failures;
    int ever_connected, fatal;
    int stop_mid, stop_acked;
    uint64_t rng;
    unsigned long samples;
} vgp_dev_t;

static volatile sig_atomic_t dev__signal;

static void dev__on_signal(int sig)
{
    dev__signal = sig;
}

static uint64_t dev__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void dev__say(const vgp_dev_t *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void dev__say(const vgp_dev_t *d, const char *fmt, ...)
{
    if (d->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vigil device %s: ", d->id);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- platform services for firmware/app ---- */

static uint64_t port__wall(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t port__mono(void *ctx)
{
    (void)ctx;
    return dev__mono();
}

static void port__led(void *ctx, int on)
{
    vgp_dev_t *d = ctx;
    dev__say(d, "LED %s", on ? "on  [*] event open" : "off [ ]");
}

static vg_status_t port__publish(void *ctx, const char *topic, const char *payload, size_t len,
                                 uint8_t qos, uint8_t retain, int *msg_id)
{
    vgp_dev_t *d = ctx;
    if (d->net != NET_UP || !d->mosq)
        return VG_ERR_UNSUPPORTED;
    int mid = -1;
    int rc = mosquitto_publish_v5(d->mosq, &mid, topic, (int)len, payload, qos, retain != 0, NULL);
    if (rc != MOSQ_ERR_SUCCESS)
        return VG_ERR_UNSUPPORTED;
    if (msg_id)
        *msg_id = mid;
    return VG_OK;
}

static vg_status_t port__q_push(void *ctx, const void *rec, size_t len)
{
    vgp_dev_t *d = ctx;
    int rc = vgp_fqueue_push(&d->q, rec, len);
    if (rc < 0)
        fprintf(stderr, "vigil device %s: %s: cannot write the queue: %s\n", d->id, d->q.path,
                strerror(errno));
    return rc == 0 ? VG_OK : VG_ERR_SIZE;
}

static vg_status_t port__q_peek(void *ctx, void *buf, size_t cap, size_t *len)
{
    vgp_dev_t *d = ctx;
    int rc = vgp_fqueue_peek(&d->q, buf, cap, len);
    return rc == 0 ? VG_OK : rc == 1 ? VG_ERR_ARG : VG_ERR_SIZE;
}

static vg_status_t port__q_pop(void *ctx)
{
    vgp_dev_t *d = ctx;
    return vgp_fqueue_pop(&d->q) < 0 ? VG_ERR_SIZE : VG_OK;
}

static uint32_t port__q_count(void *ctx)
{
    vgp_dev_t *d = ctx;
    return vgp_fqueue_count(&d->q);
}

/* The boot counter: a decimal number in DIR/ID.boot, replaced atomically. */
static vg_status_t port__boot_next(void *ctx, uint32_t *boot)
{
    vgp_dev_t *d = ctx;
    unsigned long b = 0;
    FILE *f = fopen(d->boot_path, "r");
    if (f) {
        if (fscanf(f, "%lu", &b) != 1)
            b = 0;
        fclose(f);
    }
    b = b >= 0xFFFFFFFEul ? 1 : b + 1;
    char tmp[2400];
    snprintf(tmp, sizeof tmp, "%s.tmp", d->boot_path);
    f = fopen(tmp, "w");
    if (!f)
        return VG_ERR_ARG;
    int ok = fprintf(f, "%lu\n", b) > 0;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, d->boot_path) != 0)
        return VG_ERR_ARG;
    *boot = (uint32_t)b;
    return VG_OK;
}

static void port__record(void *ctx, const char *topic, const char *payload, size_t len)
{
    (void)ctx;
    printf("%s %.*s\n", topic, (int)len, payload);
    fflush(stdout);
}

static void port__note(void *ctx, const char *text)
{
    dev__say(ctx, "%s", text);
}

static const vg_app_port_t dev__port = {port__wall,      port__mono,   port__led,   port__publish,
                                        port__q_push,    port__q_peek, port__q_pop, port__q_count,
                                        port__boot_next, port__record, port__note};

/* ---- MQTT ---- */

static void net__on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                            const mosquitto_property *props)
{
    (void)m;
    (void)flags;
    (void)props;
    vgp_dev_t *d = obj;
    if (rc != 0) {
        /* Credentials or authorisation: retrying cannot fix a first refusal. */
        if (!d->ever_connected &&
            (rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD || rc == MQTT_RC_NOT_AUTHORIZED ||
             rc == MQTT_RC_CLIENTID_NOT_VALID || rc == MQTT_RC_BANNED)) {
            fprintf(stderr,
                    "vigil device: %s: the broker refused device '%s' (user '%s'): %s (MQTT "
                    "reason %d)%s\n",
                    d->url, d->id, d->user, mosquitto_reason_string(rc), rc,
                    rc == MQTT_RC_NOT_AUTHORIZED || rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD
                        ? "; check the user name and password (--user, --password, "
                          "--password-file)"
                        : "");
            d->fatal = 1;
        } else {
            dev__say(d, "the broker refused the connection: %s (MQTT reason %d)",
                     mosquitto_reason_string(rc), rc);
        }
        d->net = NET_DOWN; /* the loop tears the client down */
        return;
    }
    d->net = NET_UP;
    d->failures = 0;
    if (!d->ever_connected || !d->quiet)
        dev__say(d, "connected to %s (boot %u, %u queued)", d->url, vg_app_boot(&d->app),
                 vg_app_queued(&d->app));
    d->ever_connected = 1;
    int mid;
    mosquitto_subscribe_v5(d->mosq, &mid, vg_app_cmd_topic(&d->app), 1, 0, NULL);
    vg_app_connected(&d->app);
}

static void net__on_disconnect(struct mosquitto *m, void *obj, int rc,
                               const mosquitto_property *props)
{
    (void)m;
    (void)props;
    vgp_dev_t *d = obj;
    if (d->net == NET_UP && rc != 0)
        dev__say(d, "connection lost (%s)", mosquitto_strerror(rc));
    if (d->net == NET_UP)
        vg_app_disconnected(&d->app);
    d->net = NET_DOWN;
}

static void net__on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                            const mosquitto_property *props)
{
    (void)m;
    (void)props;
    vgp_dev_t *d = obj;
    if (mid == d->stop_mid)
        d->stop_acked = 1;
    if (reason >= 0x80)
        dev__say(d, "the broker refused message %d: %s (MQTT reason %d)", mid,
                 mosquitto_reason_string(reason), reason);
    vg_app_published(&d->app, mid, reason < 0x80);
}

static void net__on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                            const mosquitto_property *props)
{
    (void)m;
    (void)props;
    vgp_dev_t *d = obj;
    if (strcmp(msg->topic, vg_app_cmd_topic(&d->app)) == 0)
        vg_app_command(&d->app, msg->payload, (size_t)msg->payloadlen);
}

static double dev__rand(vgp_dev_t *d)
{
    d->rng ^= d->rng << 13;
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return (double)(d->rng >> 11) / 9007199254740992.0;
}

/* 1, 2, 4, 8, 8, ... s, each +-25 % (docs/protocol.md). */
static void net__backoff(vgp_dev_t *d)
{
    unsigned k = d->failures < 3 ? d->failures : 3;
    double s = (double)(1u << k) * (0.75 + 0.5 * dev__rand(d));
    d->failures++;
    d->next_attempt = dev__mono() + (uint64_t)(s * 1000.0);
    dev__say(d, "retrying in %.1f s", s);
}

static void net__teardown(vgp_dev_t *d)
{
    if (d->net == NET_UP)
        vg_app_disconnected(&d->app);
    d->net = NET_DOWN;
    if (d->mosq) {
        mosquitto_destroy(d->mosq);
        d->mosq = NULL;
    }
}

/* A new client for each attempt: nothing in flight survives in the library, so the app's
 * queue is the only thing that resends, and the will carries a fresh sequence number. */
static void net__attempt(vgp_dev_t *d)
{
    d->mosq = mosquitto_new(d->id, true, d);
    if (!d->mosq) {
        dev__say(d, "cannot create an MQTT client");
        net__backoff(d);
        return;
    }
    mosquitto_int_option(d->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(d->mosq, net__on_connect);
    mosquitto_disconnect_v5_callback_set(d->mosq, net__on_disconnect);
    mosquitto_publish_v5_callback_set(d->mosq, net__on_publish);
    mosquitto_message_v5_callback_set(d->mosq, net__on_message);
    mosquitto_username_pw_set(d->mosq, d->user, d->have_password ? d->password : NULL);
    if (d->tls) {
        int rc = mosquitto_tls_set(d->mosq, d->cafile, d->cafile ? NULL : "/etc/ssl/certs", NULL,
                                   NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "vigil device: %s: cannot use it for TLS: %s\n",
                    d->cafile ? d->cafile : "/etc/ssl/certs", mosquitto_strerror(rc));
            d->fatal = 1;
            net__teardown(d);
            return;
        }
    }
    const char *topic, *payload;
    size_t len;
    if (vg_app_will(&d->app, &topic, &payload, &len) == VG_OK)
        mosquitto_will_set_v5(d->mosq, topic, (int)len, payload, 1, true, NULL);
    errno = 0;
    int rc = mosquitto_connect_bind_v5(d->mosq, d->host, d->port, 15, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        dev__say(d, "cannot connect to %s: %s", d->url,
                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        net__teardown(d);
        net__backoff(d);
        return;
    }
    d->net = NET_CONNECTING;
    d->deadline = dev__mono() + 10000u;
}

/* Handle the network for up to wait_ms (sleep when there is no connection). */
static void net__service(vgp_dev_t *d, int wait_ms)
{
    uint64_t now = dev__mono();
    if (!d->mosq) {
        if (now >= d->next_attempt && !d->fatal) {
            net__attempt(d);
            return;
        }
        if (wait_ms > 0) {
            uint64_t until = d->next_attempt > now ? d->next_attempt - now : 0;
            if ((uint64_t)wait_ms < until)
                until = (uint64_t)wait_ms;
            struct timespec ts = {(time_t)(until / 1000u), (long)(until % 1000u) * 1000000L};
            nanosleep(&ts, NULL);
        }
        return;
    }
    int rc = mosquitto_loop(d->mosq, wait_ms, 1);
    if (d->fatal) {
        net__teardown(d);
        return;
    }
    if (rc != MOSQ_ERR_SUCCESS || d->net == NET_DOWN ||
        (d->net == NET_CONNECTING && dev__mono() > d->deadline)) {
        if (d->net == NET_CONNECTING && rc == MOSQ_ERR_SUCCESS)
            dev__say(d, "no answer from %s", d->url);
        else if (d->net == NET_CONNECTING)
            dev__say(d, "cannot connect to %s: %s", d->url,
                     rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        else if (d->net == NET_UP)
            dev__say(d, "connection lost (%s)", mosquitto_strerror(rc));
        net__teardown(d);
        net__backoff(d);
    }
}

/* ---- options ---- */

static int dev__join(char *out, size_t cap, const char *a, const char *b, const char *c);

static int dev__url(vgp_dev_t *d)
{
    const char *u = d->url, *rest;
    if (strncmp(u, "mqtt://", 7) == 0) {
        rest = u + 7;
        d->port = 1883;
    } else if (strncmp(u, "mqtts://", 8) == 0) {
        rest = u + 8;
        d->port = 8883;
        d->tls = 1;
    } else {
        return vgh_usage(CMD, "--broker '%s': expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]",
                         u);
    }
    size_t n = strcspn(rest, ":/");
    if (n == 0 || n >= sizeof d->host)
        return vgh_usage(CMD, "--broker '%s': no host name", u);
    memcpy(d->host, rest, n);
    d->host[n] = '\0';
    rest += n;
    if (*rest == ':') {
        char *end;
        errno = 0;
        long p = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || errno || p < 1 || p > 65535 || (*end && strcmp(end, "/") != 0))
            return vgh_usage(CMD, "--broker '%s': the port must be a number in 1-65535", u);
        d->port = (int)p;
    } else if (*rest && strcmp(rest, "/") != 0) {
        return vgh_usage(CMD, "--broker '%s': unexpected '%s'", u, rest);
    }
    return 0;
}

static int dev__password_file(vgp_dev_t *d, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: cannot open: %s", path, strerror(errno));
    char line[sizeof d->password + 2];
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s:1: no password (the file is empty)", path);
    }
    fclose(f);
    size_t n = strcspn(line, "\r\n");
    if (n >= sizeof d->password)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s:1: password longer than %zu characters", path,
                        sizeof d->password - 1);
    line[n] = '\0';
    memcpy(d->password, line, n + 1);
    d->have_password = 1;
    return 0;
}

static int dev__parse(int argc, char **argv, vgp_dev_t *d)
{
    enum {
        O_ID = 256,
        O_SOURCE,
        O_BROKER,
        O_USER,
        O_PASSWORD,
        O_PASSWORD_FILE,
        O_CAFILE,
        O_STATE,
        O_SPEED,
        O_FAST,
        O_TELE,
        O_QMAX,
        O_HA,
        O_DURATION,
        O_DRAIN
    };
    static const struct option lo[] = {{"id", required_argument, 0, O_ID},
                                       {"model", required_argument, 0, 'm'},
                                       {"source", required_argument, 0, O_SOURCE},
                                       {"broker", required_argument, 0, O_BROKER},
                                       {"user", required_argument, 0, O_USER},
                                       {"password", required_argument, 0, O_PASSWORD},
                                       {"password-file", required_argument, 0, O_PASSWORD_FILE},
                                       {"cafile", required_argument, 0, O_CAFILE},
                                       {"state-dir", required_argument, 0, O_STATE},
                                       {"speed", required_argument, 0, O_SPEED},
                                       {"fast", no_argument, 0, O_FAST},
                                       {"telemetry-hz", required_argument, 0, O_TELE},
                                       {"queue-max", required_argument, 0, O_QMAX},
                                       {"ha-discovery", no_argument, 0, O_HA},
                                       {"duration", required_argument, 0, O_DURATION},
                                       {"drain", required_argument, 0, O_DRAIN},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *pwfile = NULL, *state = NULL;
    d->speed = 1;
    d->telemetry_hz = 2;
    d->queue_max = 1000;
    d->drain = 10;
    int c, speed_given = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:qh", lo, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_ID: d->id = optarg; break;
        case 'm': d->model_path = optarg; break;
        case O_SOURCE: d->source = optarg; break;
        case O_BROKER: d->url = optarg; break;
        case O_USER: d->user = optarg; break;
        case O_PASSWORD:
            if (strlen(optarg) >= sizeof d->password)
                return vgh_usage(CMD, "--password: longer than %zu characters",
                                 sizeof d->password - 1);
            snprintf(d->password, sizeof d->password, "%s", optarg);
            d->have_password = 1;
            break;
        case O_PASSWORD_FILE: pwfile = optarg; break;
        case O_CAFILE: d->cafile = optarg; break;
        case O_STATE: state = optarg; break;
        case O_SPEED:
            bad = vgh_opt_double(CMD, "--speed", optarg, 1e-3, 1e9, &d->speed);
            speed_given = 1;
            break;
        case O_FAST: d->fast = 1; break;
        case O_TELE:
            bad = vgh_opt_double(CMD, "--telemetry-hz", optarg, 0, 1000, &d->telemetry_hz);
            break;
        case O_QMAX:
            bad = vgh_opt_uint(CMD, "--queue-max", optarg, 1, 1000000, &d->queue_max);
            break;
        case O_HA: d->ha = 1; break;
        case O_DURATION:
            bad = vgh_opt_double(CMD, "--duration", optarg, 1e-3, 1e12, &d->duration);
            break;
        case O_DRAIN: bad = vgh_opt_double(CMD, "--drain", optarg, 0, 86400, &d->drain); break;
        case 'q': d->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return -1;
        default: return vgh_usage(CMD, "unknown option");
        }
        if (bad)
            return VGH_EXIT_USAGE;
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    if (!d->id || !d->model_path || !d->source || !d->url)
        return vgh_usage(CMD, "need --id ID, --model MODEL, --source SRC and --broker URL");
    if (!vg_app_id_valid(d->id))
        return vgh_usage(CMD, "--id '%s': 1-32 characters of A-Z, a-z, 0-9, '_' and '-'", d->id);
    if (d->fast && speed_given)
        return vgh_usage(CMD, "--fast and --speed exclude each other");
    if (pwfile && d->have_password)
        return vgh_usage(CMD, "--password and --password-file exclude each other");
    int rc = dev__url(d);
    if (rc)
        return rc;
    if (d->cafile && !d->tls)
        return vgh_usage(CMD, "--cafile needs an mqtts:// broker URL");
    if (!d->user)
        d->user = d->id;
    if (pwfile && (rc = dev__password_file(d, pwfile)) != 0)
        return rc;
    if (d->cafile && access(d->cafile, R_OK) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s: cannot read the CA file: %s", d->cafile,
                        strerror(errno));
    const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (state)
        rc = dev__join(d->state_dir, sizeof d->state_dir, state, "", "");
    else if (x && *x)
        rc = dev__join(d->state_dir, sizeof d->state_dir, x, "/vigil", "");
    else
        rc = dev__join(d->state_dir, sizeof d->state_dir, home && *home ? home : ".",
                       "/.local/state/vigil", "");
    if (rc != 0)
        return vgh_usage(CMD, "--state-dir: path too long");
    return 0;
}

/* a + b + c into out; -1 when it does not fit */
static int dev__join(char *out, size_t cap, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    if (la + lb + lc >= cap)
        return -1;
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc + 1);
    return 0;
}

/* mkdir -p */
static int dev__mkdirs(const char *path)
{
    char p[2048];
    size_t n = strlen(path);
    if (n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(p, path, n + 1);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* ---- the loop ---- */

#define RATE_CHECK_ROWS 17

static int dev__run(vgp_dev_t *d, vgp_source_t *src)
{
    const vg_model_t *m = &d->mf.m;
    vgp_row_t row;
    int have_row = 0, have_first = 0, code = VGH_EXIT_OK, ended = 0;
    double t0 = 0, tbuf[RATE_CHECK_ROWS];
    size_t nt = 0;
    uint64_t w0 = 0;
    while (!dev__signal && !d->fatal && !ended) {
        int wait_ms = 10;
        /* as many due samples as are there, between network checks */
        for (int burst = 0; burst < 512 && !ended; burst++) {
            if (!have_row) {
                int rc = vgp_source_next(src, &row, 0);
                if (rc == 1) {
                    have_row = 1;
                } else {
                    if (rc < 0) {
                        ended = 1;
                        if (rc == -2)
                            code = vgh_fail(CMD, VGH_EXIT_INPUT, "%s", vgp_source_error(src));
                    }
                    break;
                }
            }
            uint64_t now = dev__mono();
            if (!have_first) {
                t0 = row.t;
                w0 = now;
                have_first = 1;
            }
            if (d->duration > 0 && row.t - t0 >= d->duration) {
                ended = 1;
                break;
            }
            if (!d->fast) {
                double due = (double)w0 + (row.t - t0) * 1000.0 / d->speed;
                if ((double)now < due) {
                    double w = due - (double)now;
                    wait_ms = w > 50 ? 50 : (int)w + 1;
                    break;
                }
            }
            /* A model's window length and slope units hold at its rate only. */
            if (nt < RATE_CHECK_ROWS && vgp_source_timed(src)) {
                tbuf[nt++] = row.t;
                double rate = nt == RATE_CHECK_ROWS ? vgh_infer_rate(tbuf, nt) : 0;
                double tol = m->wave.present ? 0.01 : 0.05;
                if (rate > 0 && fabs(rate - m->sample_rate) > tol * m->sample_rate) {
                    code = vgh_fail(CMD, VGH_EXIT_INPUT,
                                    "%s: data is sampled at %.6g Hz but model %s expects %.6g Hz",
                                    d->source, rate, d->model_path, (double)m->sample_rate);
                    ended = 1;
                    break;
                }
            }
            vg_app_sample(&d->app, row.t, row.x);
            d->samples++;
            have_row = 0;
            wait_ms = 0;
        }
        net__service(d, wait_ms);
        vg_app_poll(&d->app);
    }
    return code;
}

/* After the data: deliver the queue (reconnecting) for up to `limit` seconds. */
static void dev__drain(vgp_dev_t *d, double limit)
{
    uint64_t end = dev__mono() + (uint64_t)(limit * 1000.0);
    if (!vg_app_idle(&d->app))
        dev__say(d, "delivering %u queued messages (up to %.0f s)", vg_app_queued(&d->app), limit);
    while (!d->fatal && !vg_app_idle(&d->app) && dev__mono() < end) {
        if (dev__signal && limit > 2)
            break; /* a signal during a long drain: stop now */
        net__service(d, 20);
        vg_app_poll(&d->app);
    }
}

static void dev__stop_status(vgp_dev_t *d)
{
    if (d->net != NET_UP)
        return;
    d->stop_acked = 0;
    if (vg_app_stop(&d->app, &d->stop_mid) != VG_OK)
        return;
    uint64_t end = dev__mono() + 2000u;
    while (!d->stop_acked && d->net == NET_UP && dev__mono() < end)
        mosquitto_loop(d->mosq, 20, 1);
    /* A normal disconnection: the broker discards the last will. */
    mosquitto_disconnect_v5(d->mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
    for (int i = 0; i < 5 && d->mosq; i++)
        mosquitto_loop(d->mosq, 10, 1);
}

int vgh_cmd_device(int argc, char **argv)
{
    static vgp_dev_t dev; /* large (the app state); one device per process */
    vgp_dev_t *d = &dev;
    memset(d, 0, sizeof *d);
    d->q.fd = -1;
    d->stop_mid = -1;
    int rc = dev__parse(argc, argv, d);
    if (rc != 0)
        return rc < 0 ? VGH_EXIT_OK : rc;
    char err[1024];
    int code = VGH_EXIT_OK;
    vgp_source_t *src = NULL;
    if (vgh_model_load(d->model_path, &d->mf, err, sizeof err) != 0)
        return vgh_fail(CMD, VGH_EXIT_INPUT, "%s", err);
    d->mf_loaded = 1;
    const vg_model_t *m = &d->mf.m;
    if (dev__mkdirs(d->state_dir) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s: cannot create the state directory: %s",
                        d->state_dir, strerror(errno));
        goto done;
    }
    char qpath[2300], dir[2100];
    if (dev__join(dir, sizeof dir, d->state_dir, "/", d->id) != 0 ||
        dev__join(qpath, sizeof qpath, dir, ".queue", "") != 0 ||
        dev__join(d->boot_path, sizeof d->boot_path, dir, ".boot", "") != 0) {
        code = vgh_usage(CMD, "--state-dir: path too long");
        goto done;
    }
    if (vgp_fqueue_open(&d->q, qpath, (uint32_t)d->queue_max, err, sizeof err) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto done;
    }
    if (flock(d->q.fd, LOCK_EX | LOCK_NB) != 0) {
        code = vgh_fail(CMD, VGH_EXIT_USAGE,
                        "another vigil device runs as '%s' with state directory %s", d->id,
                        d->state_dir);
        goto done;
    }
    if (d->q.discarded)
        fprintf(stderr, "vigil device %s: %s: cut a torn record at the end of the queue\n", d->id,
                qpath);
    size_t alen = vg_detector_arena_size(m), hl = vg_app_hist_len(m), cl = 8192;
    d->arena = malloc(alen);
    d->hist = malloc((hl ? hl : 1) * sizeof(float));
    d->calib = malloc(cl * sizeof(float));
    d->msg = malloc(4096);
    if (!d->arena || !d->hist || !d->calib || !d->msg) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
        goto done;
    }
    vg_app_cfg_t cfg = {d->id,
                        VIGIL_VERSION,
                        m,
                        (const char *const *)d->mf.channels,
                        (float)d->telemetry_hz,
                        (uint8_t)d->ha,
                        0.2};
    vg_app_mem_t mem = {d->arena, alen, d->hist, hl, d->msg, 4096, d->calib, cl};
    vg_status_t st = vg_app_init(&d->app, &cfg, &dev__port, d, &mem);
    if (st != VG_OK) {
        code = vgh_fail(CMD, VGH_EXIT_SYSTEM, "cannot start the device (%s: %s)",
                        st == VG_ERR_ARG ? d->boot_path : "model", vg_status_str(st));
        goto done;
    }
    rc = vgp_source_open(&src, d->source, &d->mf, err, sizeof err);
    if (rc != 0) {
        code = rc == 2 ? vgh_usage(CMD, "%s", err) : vgh_fail(CMD, rc, "%s", err);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = dev__on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    d->rng = (uint64_t)port__wall(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
    if (!d->rng)
        d->rng = 1;
    mosquitto_lib_init();
    dev__say(d, "boot %u, model %s (%s), %u queued from earlier", vg_app_boot(&d->app),
             d->model_path, m->wave.present ? "waveform" : "slow sensor", vg_app_queued(&d->app));
    /* Give the first connection a moment (a TLS handshake takes a few round trips), so a
     * fast simulation does not run through its data before anyone can see it. A refused TCP
     * connection (broker down) ends the wait at once. */
    uint64_t until = dev__mono() + 5000u;
    while (!dev__signal && !d->fatal && d->net != NET_UP && d->failures == 0 && dev__mono() < until)
        net__service(d, 20);
    code = d->fatal ? VGH_EXIT_INPUT : dev__run(d, src);
    vg_app_finish(&d->app);
    if (!d->fatal)
        dev__drain(d, dev__signal ? 2.0 : d->drain);
    if (!d->fatal)
        dev__stop_status(d);
    net__teardown(d);
    mosquitto_lib_cleanup();
    if (d->fatal && code == VGH_EXIT_OK)
        code = VGH_EXIT_INPUT;
    dev__say(d, "stopped%s: %lu samples, %u events, %u dropped, %u refused, %u still queued in %s",
             dev__signal ? " by a signal" : "", d->samples, d->app.events, vg_app_dropped(&d->app),
             vg_app_refused(&d->app), vg_app_queued(&d->app), qpath);
done:
    vgp_source_close(src);
    vgp_fqueue_close(&d->q);
    free(d->arena);
    free(d->hist);
    free(d->calib);
    free(d->msg);
    if (d->mf_loaded)
        vgh_model_free(&d->mf);
    return code;
}
