/* SPDX-License-Identifier: MIT */
/* vigil collector: MQTT -> store, with the HTTP API (docs/collector.md, docs/api.md). The
 * main thread is the store thread: it writes batches, and when a write fails it keeps the
 * batch, reconnects with backoff and writes it again (the unique key makes that safe). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vgc_app.h"
#include "vgc_replay.h"

#define CMD "collector"

static const char usage_text[] =
    "Usage: vigil collector [--broker HOST:PORT] [--db FILE.sqlite|postgresql://...]\n"
    "                       [--http ADDR:PORT|off] [--web DIR] [--token T] [--group NAME] ...\n"
    "\n"
    "Subscribes to every device's status, telemetry, event and ack (docs/protocol.md) and\n"
    "stores them, each (device, boot, seq) once; serves the JSON API, live updates,\n"
    "Prometheus metrics and the dashboard over HTTP (docs/collector.md, docs/api.md).\n"
    "Stops cleanly on SIGINT or SIGTERM, committing what it received.\n"
    "\n"
    "MQTT (v5, persistent session):\n"
    "      --broker HOST:PORT   default 127.0.0.1:1883\n"
    "      --user NAME          broker user name\n"
    "      --password P         broker password (or env VIGIL_MQTT_PASSWORD)\n"
    "      --cafile FILE        TLS with this CA\n"
    "      --client-id ID       default vigil-collector (with --group: vigil-collector-NAME);\n"
    "                           several collectors need distinct ids, each kept across restarts\n"
    "      --group NAME         share events, telemetry and acks with the group's other\n"
    "                           collectors ($share/NAME/...); status goes to all\n"
    "      --session-expiry S   seconds the broker keeps queueing while away (default 604800)\n"
    "Store:\n"
    "      --db URL             SQLite file (default vigil.sqlite) or postgresql://...\n"
    "      --commit-ms N        longest a row waits for its transaction (default 10)\n"
    "      --batch N            most rows per transaction (default 5000)\n"
    "      --queue N            rows held in memory before the broker is made to wait\n"
    "                           (default 100000)\n"
    "HTTP:\n"
    "      --http ADDR:PORT     default 127.0.0.1:8080; \"off\" for none; port 0 picks one\n"
    "      --web DIR            serve the dashboard's files from DIR\n"
    "      --recordings DIR     labelled recordings DIR/<id>.csv and models DIR/<id>.vgm\n"
    "                           for the dashboard's threshold tuning (/api/replay)\n"
    "      --token T            required by /api and /metrics (or env VIGIL_TOKEN);\n"
    "                           mandatory when ADDR is not a loopback address\n"
    "  -q, --quiet              only errors on stderr\n"
    "  -h, --help\n"
    "\n"
    "Exit status: 0 stopped by a signal with everything committed, 1 the database's schema\n"
    "is newer than this program, 2 bad usage, 3 cannot open the database or listen, or rows\n"
    "left uncommitted at exit.\n";

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
}

static int split_hostport(const char *s, char *host, size_t hl, int *port)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || (size_t)(colon - s) >= hl)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || p < 0 || p > 65535)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (int)p;
    return 0;
}

static void account(vgc_app_t *a, vgc_row_t **rows, long n, const uint8_t *ins)
{
    int64_t now = vgc_now_ms();
    int live = atomic_load(&a->sse_wanted) > 0;
    for (long i = 0; i < n; i++) {
        vgc_row_t *r = rows[i];
        if (!ins[i]) {
            atomic_fetch_add(&a->met.duplicates[r->m.kind], 1);
            continue;
        }
        atomic_fetch_add(&a->met.stored[r->m.kind], 1);
        if (r->m.ts > 0 && r->m.kind != VGC_KIND_STATUS) {
            int64_t l = now - r->m.ts;
            l = l < 0 ? 0 : l > VGC_LAT_BUCKETS - 1 ? VGC_LAT_BUCKETS - 1 : l;
            atomic_fetch_add(&a->met.lat[l], 1);
            atomic_fetch_add(&a->met.lat_sum_ms, (uint64_t)l);
            atomic_fetch_add(&a->met.lat_count, 1);
        }
        if (live)
            vgc_hub_publish(&a->hub, vgc_kind_name(r->m.kind), r->m.device, r->json);
    }
}

/* The store loop; returns the exit status. */
static int store_loop(vgc_app_t *a, vgc_store_t *st, pthread_t mqtt, int *mqtt_joined)
{
    vgc_row_t **rows = malloc((size_t)a->batch * sizeof *rows);
    uint8_t *ins = malloc((size_t)a->batch);
    if (rows == NULL || ins == NULL) {
        free(rows);
        free(ins);
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
    }
    long n = 0, backoff = 250;
    int64_t stop_at = 0;
    char err[512];
    for (;;) {
        if (signals_seen && stop_at == 0) {
            stop_at = vgc_now_ms();
            atomic_store(&a->mqtt_stop, 1);
            if (!a->quiet)
                vgc_log(a, "stopping: committing what was received");
        }
        if (stop_at && !*mqtt_joined) {
            /* The MQTT thread ends after its disconnect unless it is blocked on a full queue,
             * which the writes below empty. */
            if (atomic_load(&a->mqtt_done)) {
                pthread_join(mqtt, NULL);
                *mqtt_joined = 1;
            }
        }
        if (stop_at && (signals_seen > 1 || vgc_now_ms() - stop_at > 30000))
            atomic_store(&a->stop, 1); /* give up: unblocks the MQTT thread */
        if (n == 0) {
            n = vgc_queue_pop(&a->q, rows, a->batch, 100);
            if (n == 0) {
                if (stop_at && *mqtt_joined)
                    break;
                if (atomic_load(&a->stop) && *mqtt_joined)
                    break;
                continue;
            }
            /* Let the transaction gather rows until the first has waited commit_ms (the
             * queue does not signal each row), unless the batch is already full. */
            if (n < a->batch && a->commit_ms > 0) {
                long left = (long)(rows[0]->received_ms + a->commit_ms - vgc_now_ms());
                if (left > 0)
                    vgc_sleep_ms(left);
                n += vgc_queue_pop(&a->q, rows + n, a->batch - n, 0);
            }
        }
        if (atomic_load(&a->stop) && *mqtt_joined && st == NULL)
            break;
        if (st == NULL && vgc_store_open(a->db_url, &st, err, sizeof err) != 0) {
            vgc_log(a, "database still unavailable (%s); %ld rows held, retrying", err,
                    (long)atomic_load(&a->met.queue_depth));
            st = NULL;
            vgc_sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        int64_t t0 = vgc_now_ms();
        struct timespec c0, c1;
        clock_gettime(CLOCK_MONOTONIC, &c0);
        if (vgc_store_write(st, rows, (size_t)n, ins, err, sizeof err) != 0) {
            atomic_fetch_add(&a->met.store_errors, 1);
            atomic_store(&a->met.db_up, 0);
            vgc_log(a, "store failed (%s); keeping %ld rows and reconnecting", err, n);
            vgc_store_close(st);
            st = NULL;
            vgc_sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        (void)t0;
        clock_gettime(CLOCK_MONOTONIC, &c1);
        atomic_fetch_add(&a->met.commit_us, (uint64_t)((c1.tv_sec - c0.tv_sec) * 1000000 +
                                                       (c1.tv_nsec - c0.tv_nsec) / 1000));
        atomic_fetch_add(&a->met.commits, 1);
        if (!atomic_load(&a->met.db_up) && atomic_load(&a->met.store_errors) > 0)
            vgc_log(a, "database back; stored the held rows");
        atomic_store(&a->met.db_up, 1);
        backoff = 250;
        account(a, rows, n, ins);
        atomic_fetch_sub(&a->met.queue_depth, n);
        for (long i = 0; i < n; i++)
            vgc_row_free(rows[i]);
        n = 0;
    }
    long lost = n + (long)a->q.n;
    for (long i = 0; i < n; i++)
        vgc_row_free(rows[i]);
    free(rows);
    free(ins);
    vgc_store_close(st);
    if (lost > 0)
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "stopped with %ld rows not stored", lost);
    return VGH_EXIT_OK;
}

int vgh_cmd_collector(int argc, char **argv)
{
    static const struct option lo[] = {{"broker", required_argument, 0, 'b'},
                                       {"user", required_argument, 0, 'u'},
                                       {"password", required_argument, 0, 'P'},
                                       {"cafile", required_argument, 0, 'C'},
                                       {"client-id", required_argument, 0, 'i'},
                                       {"group", required_argument, 0, 'g'},
                                       {"session-expiry", required_argument, 0, 'S'},
                                       {"db", required_argument, 0, 'd'},
                                       {"commit-ms", required_argument, 0, 'c'},
                                       {"batch", required_argument, 0, 'B'},
                                       {"queue", required_argument, 0, 'Q'},
                                       {"http", required_argument, 0, 'H'},
                                       {"web", required_argument, 0, 'w'},
                                       {"recordings", required_argument, 0, 'R'},
                                       {"token", required_argument, 0, 't'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    static vgc_app_t app; /* one collector per process: the signal flag is the only link */
    vgc_app_t *a = &app;
    memset(a, 0, sizeof *a);
    char host[256] = "127.0.0.1", http_host[64] = "127.0.0.1", client_id[128];
    const char *http = "127.0.0.1:8080";
    unsigned long v;
    a->port = 1883;
    a->session_expiry = 604800;
    a->db_url = "vigil.sqlite";
    a->commit_ms = 10;
    a->batch = 5000;
    a->queue_cap = 100000;
    a->password = getenv("VIGIL_MQTT_PASSWORD");
    a->token = getenv("VIGIL_TOKEN");
    int c;
    optind = 1;
    opterr = 0; /* vgh_bad_option() says what is wrong */
    while ((c = getopt_long(argc, argv, ":qh", lo, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (split_hostport(optarg, host, sizeof host, &a->port) != 0 || a->port == 0)
                return vgh_usage(CMD, "option --broker: '%s' is not HOST:PORT", optarg);
            break;
        case 'u': a->user = optarg; break;
        case 'P': a->password = optarg; break;
        case 'C': a->cafile = optarg; break;
        case 'i': a->client_id = optarg; break;
        case 'g':
            if (optarg[0] == '\0' || strpbrk(optarg, "/+#") != NULL)
                return vgh_usage(CMD, "option --group: '%s' may not be empty or hold / + #",
                                 optarg);
            a->group = optarg;
            break;
        case 'S':
            if (vgh_opt_uint(CMD, "--session-expiry", optarg, 0, 4294967295ul, &v) != 0)
                return VGH_EXIT_USAGE;
            a->session_expiry = (long)v;
            break;
        case 'd': a->db_url = optarg; break;
        case 'c':
            if (vgh_opt_uint(CMD, "--commit-ms", optarg, 0, 60000, &v) != 0)
                return VGH_EXIT_USAGE;
            a->commit_ms = (long)v;
            break;
        case 'B':
            if (vgh_opt_uint(CMD, "--batch", optarg, 1, 1000000, &v) != 0)
                return VGH_EXIT_USAGE;
            a->batch = (long)v;
            break;
        case 'Q':
            if (vgh_opt_uint(CMD, "--queue", optarg, 1, 100000000, &v) != 0)
                return VGH_EXIT_USAGE;
            a->queue_cap = (long)v;
            break;
        case 'H': http = optarg; break;
        case 'w': a->web_dir = optarg; break;
        case 'R': a->recordings_dir = optarg; break;
        case 't': a->token = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': fputs(usage_text, stdout); return VGH_EXIT_OK;
        default: return vgh_bad_option(CMD, c, argv);
        }
    }
    if (optind < argc)
        return vgh_usage(CMD, "unexpected argument '%s'", argv[optind]);
    a->host = host;
    if (a->client_id == NULL) {
        snprintf(client_id, sizeof client_id, "vigil-collector%s%s", a->group ? "-" : "",
                 a->group ? a->group : "");
        a->client_id = client_id;
    }
    if (strcmp(http, "off") != 0) {
        if (split_hostport(http, http_host, sizeof http_host, &a->http_port) != 0)
            return vgh_usage(CMD, "option --http: '%s' is not ADDR:PORT", http);
        if (strcmp(http_host, "localhost") == 0)
            snprintf(http_host, sizeof http_host, "127.0.0.1");
        a->http_addr = http_host;
        if (strncmp(http_host, "127.", 4) != 0 && (a->token == NULL || a->token[0] == '\0'))
            return vgh_usage(CMD, "--http %s is beyond loopback: give --token (or VIGIL_TOKEN)",
                             http);
    }
    if (a->web_dir && a->http_addr == NULL)
        return vgh_usage(CMD, "--web needs --http");
    if (a->recordings_dir && vgc_replay_dir_ok(a->recordings_dir) != 0)
        return vgh_usage(CMD, "option --recordings: '%s' is not a directory", a->recordings_dir);

    char err[512];
    vgc_store_t *st = NULL;
    int rc = vgc_store_open(a->db_url, &st, err, sizeof err);
    if (rc != 0)
        return vgh_fail(CMD, rc == -2 ? VGH_EXIT_INPUT : VGH_EXIT_SYSTEM, "%s: %s", a->db_url, err);
    int ver = 0;
    vgc_store_schema_version(st, &ver, err, sizeof err);
    if (vgc_queue_init(&a->q, a->queue_cap) != 0) {
        vgc_store_close(st);
        return vgh_fail(CMD, VGH_EXIT_SYSTEM, "out of memory");
    }
    vgc_hub_init(&a->hub);
    pthread_mutex_init(&a->reader_mu, NULL);
    atomic_store(&a->met.db_up, 1);
    void *httpd = NULL;
    int status = VGH_EXIT_SYSTEM;
    if (a->http_addr && (httpd = vgc_http_start(a, err, sizeof err)) == NULL) {
        vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto out;
    }
    if (vgc_mqtt_setup(a, err, sizeof err) != 0) {
        vgh_fail(CMD, VGH_EXIT_SYSTEM, "%s", err);
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!a->quiet) {
        fprintf(stderr, "vigil collector: storing into %s %s (schema %d)\n", vgc_store_backend(st),
                a->db_url, ver);
        if (httpd)
            fprintf(stderr, "vigil collector: http on %s:%d\n", a->http_addr, vgc_http_port(httpd));
    }
    pthread_t mqtt;
    int joined = 0;
    if (pthread_create(&mqtt, NULL, vgc_mqtt_run, a) != 0) {
        vgh_fail(CMD, VGH_EXIT_SYSTEM, "cannot start the MQTT thread");
        vgc_mqtt_cleanup(a);
        goto out;
    }
    status = store_loop(a, st, mqtt, &joined);
    st = NULL;
    if (!joined) {
        atomic_store(&a->mqtt_stop, 1);
        atomic_store(&a->stop, 1);
        pthread_join(mqtt, NULL);
    }
    vgc_mqtt_cleanup(a);
out:
    vgc_http_stop(httpd);
    vgc_store_close(st);
    vgc_store_close(a->reader);
    vgc_queue_destroy(&a->q);
    vgc_hub_destroy(&a->hub);
    pthread_mutex_destroy(&a->reader_mu);
    return status;
}
