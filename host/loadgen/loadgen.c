/* SPDX-License-Identifier: MIT */
/* vigil-loadgen: N simulated devices speaking docs/protocol.md over MQTT 3.1.1, for the
 * collector's tests and bench. One thread drives every connection with poll(). Each device
 * keeps its QoS 1 messages (events) until the broker acknowledges them and, like a device's
 * offline queue, publishes the unacknowledged ones again, in order and with the same
 * (boot, seq), after it reconnects. Every event generated is listed in --sent, so a test can
 * compare the store with what was sent. ts is the wall clock at publish time (ms).
 *
 *   vigil-loadgen --port P --devices N --count C [--rate R] [--kind event|telemetry|mix] ...
 */
#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    int64_t seq;
    int mid; /* 0 when not published on the current connection */
    char *payload;
} pending_t;

typedef struct {
    char id[40];
    struct mosquitto *m;
    int connected; /* CONNACK received */
    int64_t seq, sent, events, next_due_us, retry_at_us;
    pending_t *pend; /* FIFO of unacknowledged events */
    size_t pn, pcap;
    int64_t resent;
} dev_t_;

static struct {
    const char *host, *prefix, *password, *sent_path;
    int port, devices, kind_every; /* every kind_every-th message is an event; 0 = none */
    long count, max_pending;
    double rate; /* messages per second per device, 0 = as fast as possible */
    long boot, timeout_s;
    int quiet, v5;
    FILE *sent;
    int64_t acked, published;
} g;

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void status_payload(dev_t_ *d, const char *state, const char *reason, char *buf, size_t len)
{
    snprintf(buf, len,
             "{\"v\":1,\"boot\":%ld,\"seq\":%lld,\"ts\":%lld,\"state\":\"%s\"%s%s%s,"
             "\"fw\":\"loadgen\",\"model\":{\"kind\":\"zscore\",\"crc\":\"00000000\","
             "\"rate_hz\":%g,\"threshold\":0.0123},\"uptime_s\":0,\"queued\":%zu,\"dropped\":0}",
             g.boot, (long long)++d->seq, (long long)wall_ms(), state,
             reason ? ",\"reason\":\"" : "", reason ? reason : "", reason ? "\"" : "", g.rate,
             d->pn);
}

static void publish_pending(dev_t_ *d, pending_t *p)
{
    char topic[64];
    snprintf(topic, sizeof topic, "vigil/%s/event", d->id);
    int mid = 0;
    if (mosquitto_publish(d->m, &mid, topic, (int)strlen(p->payload), p->payload, 1, false) ==
        MOSQ_ERR_SUCCESS)
        p->mid = mid;
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    dev_t_ *d = obj;
    if (rc != 0) {
        fprintf(stderr, "loadgen: %s: connection refused (%d)\n", d->id, rc);
        return;
    }
    d->connected = 1;
    char buf[512], topic[64];
    status_payload(d, "online", NULL, buf, sizeof buf);
    snprintf(topic, sizeof topic, "vigil/%s/status", d->id);
    mosquitto_publish(m, NULL, topic, (int)strlen(buf), buf, 1, true);
    /* the offline queue first, in order */
    for (size_t i = 0; i < d->pn; i++) {
        d->pend[i].mid = 0;
        publish_pending(d, &d->pend[i]);
        d->resent++;
    }
}

static void on_publish(struct mosquitto *m, void *obj, int mid)
{
    dev_t_ *d = obj;
    (void)m;
    for (size_t i = 0; i < d->pn; i++) {
        if (d->pend[i].mid != mid)
            continue;
        if (g.sent)
            fprintf(g.sent, "%s %ld %lld\n", d->id, g.boot, (long long)d->pend[i].seq);
        free(d->pend[i].payload);
        memmove(&d->pend[i], &d->pend[i + 1], (d->pn - i - 1) * sizeof *d->pend);
        d->pn--;
        g.acked++;
        return;
    }
}

static int dev_connect(dev_t_ *d)
{
    d->m = mosquitto_new(d->id, true, d);
    if (d->m == NULL)
        return -1;
    mosquitto_int_option(d->m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_int_option(d->m, MOSQ_OPT_PROTOCOL_VERSION,
                         g.v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_max_inflight_messages_set(d->m, 0);
    mosquitto_connect_callback_set(d->m, on_connect);
    mosquitto_publish_callback_set(d->m, on_publish);
    if (g.password)
        mosquitto_username_pw_set(d->m, d->id, g.password);
    char will[512], topic[64];
    status_payload(d, "offline", "lost", will, sizeof will);
    snprintf(topic, sizeof topic, "vigil/%s/status", d->id);
    mosquitto_will_set(d->m, topic, (int)strlen(will), will, 1, true);
    if (mosquitto_connect(d->m, g.host, g.port, 30) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(d->m);
        d->m = NULL;
        return -1;
    }
    return 0;
}

static void dev_drop(dev_t_ *d, int64_t now)
{
    if (d->m)
        mosquitto_destroy(d->m);
    d->m = NULL;
    d->connected = 0;
    d->retry_at_us = now + 1000000; /* protocol.md: the first retry after 1 s */
}

/* Publish the device's next message. */
static void dev_send(dev_t_ *d)
{
    char buf[768], topic[64];
    int64_t seq = ++d->seq, ts = wall_ms();
    int event = g.kind_every > 0 && (d->sent % g.kind_every) == 0;
    d->sent++;
    g.published++;
    if (!event) {
        double x = 20.0 + (double)(seq % 100) * 0.01;
        snprintf(buf, sizeof buf,
                 "{\"v\":1,\"boot\":%ld,\"seq\":%lld,\"ts\":%lld,\"t\":%.3f,"
                 "\"values\":{\"temp\":%.2f},\"score\":0.31,\"raw\":0.0038,\"thr\":0.0123,"
                 "\"anomaly\":false}",
                 g.boot, (long long)seq, (long long)ts, (double)seq * 0.1, x);
        snprintf(topic, sizeof topic, "vigil/%s/telemetry", d->id);
        mosquitto_publish(d->m, NULL, topic, (int)strlen(buf), buf, 0, false);
        return;
    }
    int64_t e = d->events / 2 + 1;
    int close = (int)(d->events % 2);
    d->events++;
    char tend[32] = "null";
    if (close)
        snprintf(tend, sizeof tend, "%.1f", (double)seq * 0.1);
    snprintf(buf, sizeof buf,
             "{\"v\":1,\"boot\":%ld,\"seq\":%lld,\"ts\":%lld,\"event\":%lld,\"phase\":\"%s\","
             "\"t_start\":%.1f,\"t_end\":%s,\"score\":0.93,\"raw\":0.081,\"thr\":0.0123,"
             "\"kind\":\"autoencoder\",\"class\":null,\"class_name\":null,"
             "\"magnitude\":{\"peak\":27.9},\"features\":{\"temp.std\":3.1,\"temp.slope\":0.8}}",
             g.boot, (long long)seq, (long long)ts, (long long)e, close ? "close" : "open",
             (double)seq * 0.1 - 1.0, tend);
    if (d->pn == d->pcap) {
        size_t cap = d->pcap ? d->pcap * 2 : 64;
        pending_t *p = realloc(d->pend, cap * sizeof *p);
        if (p == NULL) {
            fprintf(stderr, "loadgen: out of memory\n");
            exit(3);
        }
        d->pend = p;
        d->pcap = cap;
    }
    pending_t *p = &d->pend[d->pn++];
    p->seq = seq;
    p->mid = 0;
    p->payload = strdup(buf);
    publish_pending(d, p);
}

static const char usage[] =
    "Usage: vigil-loadgen [--host H] --port P [--devices N] [--prefix ID] [--boot B]\n"
    "       [--count C] [--rate R] [--kind event|telemetry|mix] [--event-every K]\n"
    "       [--max-pending N] [--password P] [--sent FILE] [--timeout S] [--v5] [-q]\n"
    "Publishes C messages per device (R per second per device, 0 = flat out), events at\n"
    "QoS 1 and telemetry at QoS 0, and waits until every event is acknowledged. --sent\n"
    "lists \"device boot seq\" of each event. Exit 0 when every event was acknowledged.\n";

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"host", required_argument, 0, 'H'},
                                       {"port", required_argument, 0, 'p'},
                                       {"devices", required_argument, 0, 'n'},
                                       {"prefix", required_argument, 0, 'x'},
                                       {"boot", required_argument, 0, 'b'},
                                       {"count", required_argument, 0, 'c'},
                                       {"rate", required_argument, 0, 'r'},
                                       {"kind", required_argument, 0, 'k'},
                                       {"event-every", required_argument, 0, 'e'},
                                       {"max-pending", required_argument, 0, 'm'},
                                       {"password", required_argument, 0, 'P'},
                                       {"sent", required_argument, 0, 's'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"v5", no_argument, 0, '5'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    g.host = "127.0.0.1";
    g.prefix = "dev";
    g.devices = 1;
    g.count = 100;
    g.boot = 1;
    g.kind_every = 1;
    g.max_pending = 1000;
    g.timeout_s = 120;
    int c;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        switch (c) {
        case 'H': g.host = optarg; break;
        case 'p': g.port = atoi(optarg); break;
        case 'n': g.devices = atoi(optarg); break;
        case 'x': g.prefix = optarg; break;
        case 'b': g.boot = atol(optarg); break;
        case 'c': g.count = atol(optarg); break;
        case 'r': g.rate = atof(optarg); break;
        case 'k':
            g.kind_every = strcmp(optarg, "event") == 0 ? 1 : strcmp(optarg, "mix") == 0 ? 10 : 0;
            break;
        case 'e': g.kind_every = atoi(optarg); break;
        case 'm': g.max_pending = atol(optarg); break;
        case 'P': g.password = optarg; break;
        case 's': g.sent_path = optarg; break;
        case 't': g.timeout_s = atol(optarg); break;
        case '5': g.v5 = 1; break;
        case 'q': g.quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (g.port <= 0 || g.devices <= 0 || g.count < 0 || g.boot < 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (g.sent_path && (g.sent = fopen(g.sent_path, "w")) == NULL) {
        fprintf(stderr, "loadgen: %s: %s\n", g.sent_path, strerror(errno));
        return 3;
    }
    mosquitto_lib_init();
    dev_t_ *d = calloc((size_t)g.devices, sizeof *d);
    struct pollfd *pf = calloc((size_t)g.devices, sizeof *pf);
    int *pi = calloc((size_t)g.devices, sizeof *pi);
    if (d == NULL || pf == NULL || pi == NULL)
        return 3;
    int64_t t0 = now_us(), interval = g.rate > 0 ? (int64_t)(1e6 / g.rate) : 0;
    for (int i = 0; i < g.devices; i++) {
        snprintf(d[i].id, sizeof d[i].id, "%s%04d", g.prefix, i + 1);
        /* spread the devices' ticks over one interval */
        d[i].next_due_us = t0 + (interval * i) / g.devices;
        if (dev_connect(&d[i]) != 0)
            d[i].retry_at_us = t0 + 1000000;
    }
    int64_t last_misc = 0, deadline = t0 + g.timeout_s * 1000000;
    int done_all = 0;
    while (now_us() < deadline) {
        int64_t now = now_us();
        int busy = 0;
        done_all = 1;
        for (int i = 0; i < g.devices; i++) {
            dev_t_ *v = &d[i];
            if (v->sent < g.count || v->pn > 0)
                done_all = 0;
            if (v->m == NULL) {
                if (now >= v->retry_at_us && dev_connect(v) != 0)
                    v->retry_at_us = now + 1000000;
                continue;
            }
            if (!v->connected)
                continue;
            int burst = interval ? 1 : 50;
            while (burst-- > 0 && v->sent < g.count && now >= v->next_due_us &&
                   (long)v->pn < g.max_pending) {
                dev_send(v);
                v->next_due_us += interval;
                busy = 1;
            }
        }
        if (done_all)
            break;
        int n = 0;
        for (int i = 0; i < g.devices; i++) {
            if (d[i].m == NULL)
                continue;
            pf[n].fd = mosquitto_socket(d[i].m);
            pf[n].events = (short)(POLLIN | (mosquitto_want_write(d[i].m) ? POLLOUT : 0));
            pf[n].revents = 0;
            pi[n++] = i;
        }
        /* Paced runs send in ticks of 2 ms so that polling a thousand sockets does not take
         * the CPU the broker and the collector need; flat-out runs poll without waiting. */
        poll(pf, (nfds_t)n, busy && !interval ? 0 : 2);
        now = now_us();
        for (int k = 0; k < n; k++) {
            dev_t_ *v = &d[pi[k]];
            int rc = MOSQ_ERR_SUCCESS;
            if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
                rc = mosquitto_loop_read(v->m, 100);
            if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(v->m))
                rc = mosquitto_loop_write(v->m, 100);
            if (rc == MOSQ_ERR_SUCCESS && now - last_misc > 1000000)
                rc = mosquitto_loop_misc(v->m);
            if (rc != MOSQ_ERR_SUCCESS)
                dev_drop(v, now);
        }
        if (now - last_misc > 1000000)
            last_misc = now;
    }
    double secs = (double)(now_us() - t0) / 1e6;
    int64_t pending = 0, resent = 0;
    for (int i = 0; i < g.devices; i++) {
        pending += (int64_t)d[i].pn;
        resent += d[i].resent;
        if (d[i].m && d[i].connected) {
            char buf[512], topic[64];
            status_payload(&d[i], "offline", "stop", buf, sizeof buf);
            snprintf(topic, sizeof topic, "vigil/%s/status", d[i].id);
            mosquitto_publish(d[i].m, NULL, topic, (int)strlen(buf), buf, 1, true);
        }
    }
    for (int round = 0; round < 20; round++)
        for (int i = 0; i < g.devices; i++)
            if (d[i].m)
                mosquitto_loop(d[i].m, round == 0 ? 10 : 1, 1);
    for (int i = 0; i < g.devices; i++) {
        if (d[i].m) {
            mosquitto_disconnect(d[i].m);
            mosquitto_loop(d[i].m, 1, 1);
            mosquitto_destroy(d[i].m);
        }
        for (size_t k = 0; k < d[i].pn; k++)
            free(d[i].pend[k].payload);
        free(d[i].pend);
    }
    if (!g.quiet)
        fprintf(stderr,
                "loadgen: %d devices, %lld messages (%lld events acknowledged) in %.2f s = "
                "%.0f msg/s; %lld republished after reconnects, %lld unacknowledged\n",
                g.devices, (long long)g.published, (long long)g.acked, secs,
                (double)g.published / secs, (long long)resent, (long long)pending);
    if (g.sent)
        fclose(g.sent);
    free(d);
    free(pf);
    free(pi);
    mosquitto_lib_cleanup();
    return pending == 0 && done_all ? 0 : 1;
}
