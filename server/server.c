/*
 * server.c - glue shared by both listeners: per-request state, the
 * completion callback (access log, metrics, releasing the store reader),
 * response queueing, and the single store-error-to-HTTP-status mapping.
 *
 * Not for: routing or request semantics (public.c, admin.c), parsing
 * (http.c), process lifecycle (main.c).
 */
#include "server.h"

#include "api.h"
#include "clock.h"
#include "http.h"
#include "spool.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/tcp.h>

unsigned http_status_for_store_err(int err)
{
    switch (err) {
    case STORE_OK:
        return MHD_HTTP_OK;
    case STORE_EDIGEST:
    case STORE_EVARIANT:
    case STORE_EMISSING:
        return MHD_HTTP_UNPROCESSABLE_CONTENT; /* 422 */
    case STORE_ECONFLICT:
        return MHD_HTTP_CONFLICT;
    case STORE_EINVAL:
        return MHD_HTTP_BAD_REQUEST;
    case STORE_ETOOBIG:
        return MHD_HTTP_CONTENT_TOO_LARGE; /* 413 */
    case STORE_EFULL:
        return MHD_HTTP_INSUFFICIENT_STORAGE; /* 507 */
    case STORE_ENOTFOUND:
        return MHD_HTTP_NOT_FOUND;
    case STORE_EGONE:
    case STORE_EPRUNED:
        return MHD_HTTP_GONE;
    case STORE_EBUSY:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

void *req_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct listener_ctx *lc = cls;
    struct server *srv = lc->srv;
    struct req *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->srv = srv;
    r->listener = lc->which;
    r->start_ns = clock_mono_ns();
    if (uri == NULL)
        uri = ""; /* no request-target: libmicrohttpd refuses the line later */
    else
        r->target_raw = uri;
    r->target_len = strlen(uri);
    r->target = strdup(uri);
    r->cache = "-";
    if (r->target == NULL) {
        free(r);
        return NULL;
    }
    atomic_fetch_add(&srv->in_flight, 1);
    return r;
}

/* libmicrohttpd 0.9.75 (connection.c, parse_initial_message_line) takes the
 * request-target as the bytes between the method's space and the last space
 * of the line, ends it with a NUL in place, and points the version just past
 * that NUL; the URI callback and the handler then see C strings, so a raw NUL
 * in the target cuts it ("GET /x.css\0.js" was answered as /x.css) and
 * nothing in its API reports the line's length. The version pointer still
 * says where the target ended: a span longer than the C string means a NUL
 * inside it. (Other control bytes survive to http_target_path, which answers
 * 400.) A libmicrohttpd that lays the line out differently makes this test
 * answer 0, never a false 400. */
int req_line_cut(struct req *r, const char *version)
{
    size_t span;
    char *whole;

    if (r->target_raw == NULL || version == NULL || version <= r->target_raw ||
        strncmp(version, "HTTP/", 5) != 0)
        return 0;
    span = (size_t)(version - r->target_raw) - 1;
    if (span <= r->target_len)
        return 0;
    /* a cut target longer than any path is still a cut: 400, logged as cut */
    if (span > HTTP_PATH_MAX * 16)
        return 1;
    whole = malloc(span + 1);
    if (whole != NULL) {
        memcpy(whole, r->target_raw, span);
        whole[span] = '\0';
        free(r->target);
        r->target = whole;
        r->target_len = span;
    }
    return 1;
}

int req_first_call(struct req *r, const char *method, const char *version)
{
    r->method_len = strlen(method);
    if (r->method_len >= sizeof(r->method))
        r->method_len = sizeof(r->method) - 1;
    memcpy(r->method, method, r->method_len);
    r->method[r->method_len] = '\0';
    return req_line_cut(r, version);
}

void server_client_addr(struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    snprintf(out, cap, "-");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ci->client_addr;

        inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)cap);
    } else if (ci->client_addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ci->client_addr;

        inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)cap);
    }
}

void req_completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct server *srv = ((struct listener_ctx *)cls)->srv;
    struct req *r = *req_cls;
    uint64_t dur_us;
    char remote[INET6_ADDRSTRLEN + 1];
    struct access_record rec;
    const char *path;
    size_t path_len;

    if (r == NULL)
        return;
    *req_cls = NULL;
    dur_us = (clock_mono_ns() - r->start_ns) / 1000;
    if (r->status == 0)
        r->status = 499; /* closed before any response: logged as such, like nginx */
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && r->status < 400)
        r->cache = "aborted";
    metrics_request(srv->metrics, r->listener, r->status, r->bytes, dur_us);
    if (srv->alog != NULL) {
        /* log the path without its query string */
        path = r->target;
        path_len = r->target_len;
        if (memchr(path, '?', path_len) != NULL)
            path_len = (size_t)((const char *)memchr(path, '?', path_len) - path);
        server_client_addr(c, remote, sizeof(remote));
        rec.listener = r->listener == METRICS_ADMIN ? "admin" : "public";
        rec.remote = remote;
        rec.method = r->method_len > 0 ? r->method : "-";
        rec.method_len = r->method_len > 0 ? r->method_len : 1;
        rec.path = path;
        rec.path_len = path_len;
        rec.status = r->status;
        rec.bytes = r->bytes;
        rec.duration_us = dur_us;
        rec.cache = r->cache;
        access_log_write(srv->alog, &rec);
    }
    store_reader_end(r->reader);
    spool_free(r->spool);
    free(r->target);
    free(r);
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* Bounds what one connection may queue in the kernel (config.h): with
 * unbounded queues a fast reader of one large answer kept the event loop
 * and the CPU caches busy and other connections waited over 2 s (wrk
 * timeouts at 10 MiB); measured in tests/bench/RESULTS.md, Serving. A
 * refusal by the kernel is harmless (the defaults stay). */
static void conn_tune(struct server *srv, int fd)
{
    int v;

    if (srv->cfg->tcp_notsent_lowat > 0) {
        v = (int)srv->cfg->tcp_notsent_lowat;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v, sizeof(v));
    }
    if (srv->cfg->send_buffer > 0) {
        v = (int)srv->cfg->send_buffer;
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    }
}

struct conn_node {
    int fd;
    struct conn_node *prev, *next;
};

void conn_notify_cb(void *cls, struct MHD_Connection *c, void **socket_ctx,
                    enum MHD_ConnectionNotificationCode code)
{
    struct server *srv = cls;
    struct conn_node *n;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        n = calloc(1, sizeof(*n));
        if (n == NULL || ci == NULL) {
            free(n);
            *socket_ctx = NULL;
            return;
        }
        n->fd = ci->connect_fd;
        conn_tune(srv, n->fd);
        pthread_mutex_lock(&srv->conns_lock);
        n->next = srv->conns;
        if (srv->conns != NULL)
            srv->conns->prev = n;
        srv->conns = n;
        pthread_mutex_unlock(&srv->conns_lock);
        *socket_ctx = n;
        return;
    }
    n = *socket_ctx;
    if (n == NULL)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        srv->conns = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    pthread_mutex_unlock(&srv->conns_lock);
    free(n);
    *socket_ctx = NULL;
}

uint64_t server_unacked_bytes(struct server *srv)
{
    struct conn_node *n;
    uint64_t total = 0;

    pthread_mutex_lock(&srv->conns_lock);
    for (n = srv->conns; n != NULL; n = n->next) {
        int q = 0;

        if (ioctl(n->fd, SIOCOUTQ, &q) == 0 && q > 0)
            total += (uint64_t)q;
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return total;
}

size_t req_unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
    return http_unescape_inplace(s);
}

void server_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_debug("libmicrohttpd: %s", line);
}

int req_method_is(const struct req *r, const char *m)
{
    return strcmp(r->method, m) == 0;
}

enum MHD_Result req_queue_ref(struct req *r, struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *resp, uint64_t body_len)
{
    enum MHD_Result ret;

    if (resp == NULL)
        return MHD_NO;
    if (atomic_load(&r->srv->closing))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (r->listener == METRICS_ADMIN) { /* every admin answer states the API version */
        MHD_add_response_header(resp, API_VERSION_HEADER, API_VERSION_STR);
        MHD_add_response_header(resp, API_ENCODINGS_HEADER, API_ENCODINGS);
    }
    ret = MHD_queue_response(c, status, resp);
    if (ret == MHD_YES) {
        r->status = status;
        r->bytes = req_method_is(r, "HEAD") ? 0 : body_len;
    }
    return ret;
}

enum MHD_Result req_queue(struct req *r, struct MHD_Connection *c, unsigned status,
                          struct MHD_Response *resp, uint64_t body_len)
{
    enum MHD_Result ret = req_queue_ref(r, c, status, resp, body_len);

    if (resp != NULL)
        MHD_destroy_response(resp);
    return ret;
}

struct MHD_Response *req_text_response(const char *msg, int no_store, uint64_t *body_len)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "%s\n", msg);
    struct MHD_Response *resp;

    if (n < 0)
        return NULL;
    if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    resp = MHD_create_response_from_buffer((size_t)n, buf, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff");
    if (no_store)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    *body_len = (uint64_t)n;
    return resp;
}

enum MHD_Result req_text(struct req *r, struct MHD_Connection *c, unsigned status, const char *msg,
                         int no_store)
{
    uint64_t n = 0;
    struct MHD_Response *resp = req_text_response(msg, no_store, &n);

    if (resp == NULL)
        return MHD_NO;
    return req_queue(r, c, status, resp, n);
}
