/* SPDX-License-Identifier: MIT */
/* HTTP (libmicrohttpd, one thread per connection so a live stream may block): the JSON API,
 * Server-Sent Events, Prometheus metrics, commands, and the dashboard's static files. The
 * API is in docs/api.md. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgc_app.h"
#include "vgc_replay.h"

#define HTTP_BODY_MAX  8192
#define HTTP_LIMIT_MAX 10000u

typedef struct {
    vgc_app_t *a;
    struct MHD_Daemon *d;
    char webroot[PATH_MAX]; /* realpath of --web, "" when none */
} http_t;

typedef struct {
    char body[HTTP_BODY_MAX + 1];
    size_t len;
    int too_big;
} upload_t;

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *type,
                                 const char *text, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (code == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"vigil\"");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
    vgc_buf_t b = {0};
    vgc_buf_puts(&b, "{\"error\":");
    vgc_buf_json_str(&b, msg);
    vgc_buf_puts(&b, "}\n");
    enum MHD_Result r = b.p ? send_text(c, code, "application/json", b.p, b.len)
                            : send_text(c, 500, "text/plain", "", 0);
    vgc_buf_free(&b);
    return r;
}

/* Constant-time comparison: the time taken does not say how much of a guess was right. */
static int token_eq(const char *given, const char *want)
{
    size_t n = strlen(want), m = strlen(given);
    unsigned char d = (unsigned char)(n != m);
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(want[i] ^ (i < m ? given[i] : 0));
    return d == 0;
}

static int authorised(http_t *h, struct MHD_Connection *c)
{
    if (h->a->token == NULL || h->a->token[0] == '\0')
        return 1;
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth && strncmp(auth, "Bearer ", 7) == 0 && token_eq(auth + 7, h->a->token))
        return 1;
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    return q && token_eq(q, h->a->token);
}

/* An optional integer query argument: 0 absent, 1 present (in *v), -1 malformed. */
static int arg_int(struct MHD_Connection *c, const char *name, int64_t lo, int64_t *v)
{
    const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (s == NULL || s[0] == '\0')
        return 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (*end != '\0' || x < lo)
        return -1;
    *v = x;
    return 1;
}

/* Run @p fn against the HTTP threads' own store connection, opening it when needed. */
static enum MHD_Result with_reader(http_t *h, struct MHD_Connection *c, vgc_kind_t kind,
                                   const vgc_query_t *q)
{
    char err[512];
    vgc_buf_t b = {0};
    vgc_app_t *a = h->a;
    pthread_mutex_lock(&a->reader_mu);
    int rc = 0;
    if (a->reader == NULL)
        rc = vgc_store_open(a->db_url, &a->reader, err, sizeof err);
    if (rc == 0)
        rc = q ? vgc_store_list(a->reader, kind, q, &b, err, sizeof err)
               : vgc_store_devices(a->reader, &b, err, sizeof err);
    if (rc != 0 && a->reader) {
        vgc_store_close(a->reader); /* reopened by the next request */
        a->reader = NULL;
    }
    pthread_mutex_unlock(&a->reader_mu);
    enum MHD_Result r;
    if (rc != 0) {
        r = send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, err);
    } else {
        vgc_buf_puts(&b, "\n");
        r = vgc_buf_ok(&b) ? send_text(c, 200, "application/json", b.p, b.len)
                           : send_error(c, 500, "out of memory");
    }
    vgc_buf_free(&b);
    return r;
}

static enum MHD_Result api_list(http_t *h, struct MHD_Connection *c, vgc_kind_t kind)
{
    vgc_query_t q = {0};
    int64_t limit = 100;
    q.device = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "device");
    if (q.device && q.device[0] == '\0')
        q.device = NULL;
    if (q.device && !vgc_device_id_ok(q.device))
        return send_error(c, 400, "device: must be 1-32 characters of [A-Za-z0-9_-]");
    int rs = arg_int(c, "since", INT64_MIN, &q.since),
        ru = arg_int(c, "until", INT64_MIN, &q.until);
    int rc = arg_int(c, "class", 0, &q.cls), rl = arg_int(c, "limit", 1, &limit);
    if (rs < 0 || ru < 0)
        return send_error(c, 400,
                          rs < 0 ? "since: must be an integer (ms since the epoch)"
                                 : "until: must be an integer (ms since the epoch)");
    if (rc < 0)
        return send_error(c, 400, "class: must be an integer >= 0");
    if (rl < 0 || limit > HTTP_LIMIT_MAX)
        return send_error(c, 400, "limit: must be 1-10000");
    q.has_since = rs, q.has_until = ru, q.has_class = rc;
    q.limit = (unsigned)limit;
    return with_reader(h, c, kind, &q);
}

/* ---- Server-Sent Events ---- */

typedef struct {
    http_t *h;
    uint64_t pos;
    vgc_buf_t pend;
    size_t off;
} sse_t;

static ssize_t sse_read(void *cls, uint64_t at, char *buf, size_t max)
{
    sse_t *s = cls;
    vgc_hub_t *hub = &s->h->a->hub;
    (void)at;
    if (s->off >= s->pend.len) {
        s->pend.len = 0;
        s->off = 0;
        pthread_mutex_lock(&hub->mu);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_sec += 15;
        while (s->pos == hub->next && !hub->closing)
            if (pthread_cond_timedwait(&hub->cv, &hub->mu, &t) != 0)
                break;
        if (hub->closing) {
            pthread_mutex_unlock(&hub->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (hub->next - s->pos > VGC_HUB_RING) {
            vgc_buf_printf(&s->pend, ": %llu updates skipped (reader too slow)\n\n",
                           (unsigned long long)(hub->next - VGC_HUB_RING - s->pos));
            s->pos = hub->next - VGC_HUB_RING;
        }
        for (; s->pos < hub->next && s->pend.len < 65536; s->pos++)
            vgc_buf_puts(&s->pend, hub->ring[s->pos % VGC_HUB_RING]);
        pthread_mutex_unlock(&hub->mu);
        if (s->pend.len == 0)
            vgc_buf_puts(&s->pend, ": keep-alive\n\n");
        if (!vgc_buf_ok(&s->pend))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = s->pend.len - s->off < max ? s->pend.len - s->off : max;
    memcpy(buf, s->pend.p + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    sse_t *s = cls;
    atomic_fetch_sub(&s->h->a->met.sse_clients, 1);
    atomic_fetch_sub(&s->h->a->sse_wanted, 1);
    vgc_buf_free(&s->pend);
    free(s);
}

static enum MHD_Result api_stream(http_t *h, struct MHD_Connection *c)
{
    sse_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return send_error(c, 500, "out of memory");
    s->h = h;
    pthread_mutex_lock(&h->a->hub.mu);
    s->pos = h->a->hub.next;
    pthread_mutex_unlock(&h->a->hub.mu);
    vgc_buf_puts(&s->pend, "retry: 2000\n: connected\n\n");
    atomic_fetch_add(&h->a->met.sse_clients, 1);
    atomic_fetch_add(&h->a->sse_wanted, 1);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, s, sse_free);
    if (r == NULL) {
        sse_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- commands ---- */

static enum MHD_Result api_cmd(http_t *h, struct MHD_Connection *c, const char *device,
                               const upload_t *u)
{
    char err[256], json[VGC_PAYLOAD_MAX < 4096 ? VGC_PAYLOAD_MAX : 4096], id[VGC_CMD_ID_MAX + 1],
        def[48];
    if (!vgc_device_id_ok(device))
        return send_error(c, 400, "device: must be 1-32 characters of [A-Za-z0-9_-]");
    if (u->too_big)
        return send_error(c, 413, "command: body longer than 8192 bytes");
    snprintf(def, sizeof def, "c-%lld-%llu", (long long)vgc_now_ms(),
             (unsigned long long)atomic_fetch_add(&h->a->cmd_counter, 1));
    if (vgc_cmd_build(u->body, u->len, def, json, sizeof json, id, sizeof id, err, sizeof err) != 0)
        return send_error(c, 400, err);
    if (vgc_mqtt_cmd(h->a, device, json) != 0)
        return send_error(c, 503, "not connected to the broker");
    vgc_buf_t b = {0};
    vgc_buf_puts(&b, "{\"id\":");
    vgc_buf_json_str(&b, id);
    vgc_buf_printf(&b, ",\"topic\":\"vigil/%s/cmd\",\"cmd\":%s}\n", device, json);
    enum MHD_Result r = vgc_buf_ok(&b) ? send_text(c, 202, "application/json", b.p, b.len)
                                       : send_error(c, 500, "out of memory");
    vgc_buf_free(&b);
    return r;
}

/* ---- static files ---- */

static const char *mime_of(const char *path)
{
    static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                         {".js", "text/javascript; charset=utf-8"},
                                         {".mjs", "text/javascript; charset=utf-8"},
                                         {".css", "text/css; charset=utf-8"},
                                         {".json", "application/json"},
                                         {".svg", "image/svg+xml"},
                                         {".png", "image/png"},
                                         {".ico", "image/x-icon"},
                                         {".txt", "text/plain; charset=utf-8"},
                                         {".map", "application/json"},
                                         {".woff2", "font/woff2"},
                                         {".wasm", "application/wasm"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* A URL path is served only when it has no "." or ".." segment, no backslash and no
 * control character, and when its real path (symbolic links resolved) is inside --web. */
static enum MHD_Result serve_file(http_t *h, struct MHD_Connection *c, const char *url)
{
    if (h->webroot[0] == '\0')
        return send_error(c, 404, "not found");
    if (url[0] != '/' || strlen(url) > 1024)
        return send_error(c, 403, "refused");
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == '\\')
            return send_error(c, 403, "refused");
    for (const char *seg = url; seg; seg = strchr(seg + 1, '/')) {
        const char *s = seg + 1;
        size_t n = strcspn(s, "/");
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return send_error(c, 403, "refused");
    }
    char path[PATH_MAX + 1100], real[PATH_MAX];
    snprintf(path, sizeof path, "%s%s%s", h->webroot, url,
             url[strlen(url) - 1] == '/' ? "index.html" : "");
    if (realpath(path, real) == NULL)
        return send_error(c, 404, "not found");
    size_t rl = strlen(h->webroot);
    if (strncmp(real, h->webroot, rl) != 0 || real[rl] != '/')
        return send_error(c, 403, "refused");
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_error(c, 404, "not found");
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (r == NULL) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", mime_of(real));
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_len, void **con_cls)
{
    http_t *h = cls;
    (void)version;
    int post = strcmp(method, "POST") == 0;
    if (post) {
        upload_t *u = *con_cls;
        if (u == NULL) {
            u = calloc(1, sizeof *u);
            if (u == NULL)
                return MHD_NO;
            *con_cls = u;
            return MHD_YES;
        }
        if (*data_len > 0) {
            if (u->len + *data_len > HTTP_BODY_MAX)
                u->too_big = 1;
            else
                memcpy(u->body + u->len, data, *data_len), u->len += *data_len;
            *data_len = 0;
            return MHD_YES;
        }
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
    }
    int api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0;
    if (api && !authorised(h, c))
        return send_error(c, MHD_HTTP_UNAUTHORIZED, "token required");
    if (post) {
        const char *p = url + 13; /* after "/api/devices/" */
        size_t n = strlen(url);
        if (strncmp(url, "/api/devices/", 13) == 0 && n > 17 && strcmp(url + n - 4, "/cmd") == 0) {
            char dev[64];
            size_t dl = (size_t)(url + n - 4 - p);
            if (dl >= sizeof dev)
                return send_error(c, 400, "device: too long");
            memcpy(dev, p, dl);
            dev[dl] = '\0';
            return api_cmd(h, c, dev, *con_cls);
        }
        return send_error(c, 404, "not found");
    }
    if (strcmp(url, "/api/devices") == 0)
        return with_reader(h, c, VGC_KIND_STATUS, NULL);
    if (strcmp(url, "/api/events") == 0)
        return api_list(h, c, VGC_KIND_EVENT);
    if (strcmp(url, "/api/telemetry") == 0)
        return api_list(h, c, VGC_KIND_TELEMETRY);
    if (strcmp(url, "/api/acks") == 0)
        return api_list(h, c, VGC_KIND_ACK);
    if (strcmp(url, "/api/stream") == 0)
        return api_stream(h, c);
    if (strcmp(url, "/api/replay") == 0)
        return vgc_replay_serve(h->a, c);
    if (strcmp(url, "/metrics") == 0) {
        vgc_buf_t b = {0};
        vgc_metrics_render(&h->a->met, h->a->queue_cap, &b);
        enum MHD_Result r = vgc_buf_ok(&b)
                                ? send_text(c, 200, "text/plain; version=0.0.4", b.p, b.len)
                                : send_error(c, 500, "out of memory");
        vgc_buf_free(&b);
        return r;
    }
    if (api)
        return send_error(c, 404, "not found");
    return serve_file(h, c, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

void *vgc_http_start(vgc_app_t *a, char *err, size_t errlen)
{
    http_t *h = calloc(1, sizeof *h);
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->a = a;
    if (a->web_dir && realpath(a->web_dir, h->webroot) == NULL) {
        snprintf(err, errlen, "--web %s: no such directory", a->web_dir);
        free(h);
        return NULL;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)a->http_port);
    if (inet_pton(AF_INET, a->http_addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "--http %s: not an IPv4 address", a->http_addr);
        free(h);
        return NULL;
    }
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                MHD_USE_INTERNAL_POLLING_THREAD,
                            0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_LIMIT,
                            128u, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
    if (h->d == NULL) {
        snprintf(err, errlen, "cannot listen on %s:%d", a->http_addr, a->http_port);
        free(h);
        return NULL;
    }
    return h;
}

int vgc_http_port(void *hp)
{
    http_t *h = hp;
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : -1;
}

void vgc_http_stop(void *hp)
{
    http_t *h = hp;
    if (h == NULL)
        return;
    vgc_hub_close(&h->a->hub);
    MHD_stop_daemon(h->d);
    vgc_replay_cleanup();
    free(h);
}
