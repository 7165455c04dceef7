/*
 * admin.c - the admin listener: what origin-ingest and peer nodes reach
 * (endpoints in docs/admin-api.md). One route table (routes[]) and its
 * dispatch, bearer-token authentication and scopes on every path, the
 * request body spooled before any handler runs, the response helpers of
 * admin_internal.h, and the status and Prometheus metrics answers.
 *
 * Not for: the handlers of blobs and bundles (admin_blobs.c), releases
 * (admin_releases.c), retention (admin_prune.c), promotions
 * (admin_promote.c) or the seed push (admin_fetch.c); serving the public
 * (public.c). Runs thread-per-connection so that uploads and fsync'ing
 * commits never block the public polling threads.
 *
 * Request bodies are spooled, bounded by Content-Length (required; 411
 * otherwise) checked against a size cap before any byte is read (413):
 * small ones in memory, large ones (over SPOOL_MEM_MAX) in an unlinked
 * temporary file in the store directory, mapped read-only for the store
 * call. A client that goes away mid-body stores nothing.
 */
#include "admin_internal.h"

#include "admin_body.h"
#include "admin_fetch.h"
#include "admin_prune.h"
#include "admin_promote.h"
#include "api.h"
#include "http.h"
#include "peer.h"
#include "resp_cache.h"
#include "spool.h"
#include "tls.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Responses                                                            */

enum MHD_Result admin_reply_text(struct req *r, struct MHD_Connection *c, unsigned status,
                                 const char *type, char *text, size_t len)
{
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return req_queue(r, c, status, resp, len);
}

enum MHD_Result admin_reply_json(struct req *r, struct MHD_Connection *c, unsigned status,
                                 json_t *j)
{
    char *text;
    size_t len;

    if (j == NULL)
        return MHD_NO;
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text == NULL)
        return MHD_NO;
    len = strlen(text);
    return admin_reply_text(r, c, status, "application/json", text, len);
}

enum MHD_Result admin_reply_error(struct req *r, struct MHD_Connection *c, unsigned status,
                                  const char *msg)
{
    return admin_reply_json(r, c, status, json_pack("{s:s}", "error", msg));
}

enum MHD_Result admin_reply_store_err(struct req *r, struct MHD_Connection *c, int err)
{
    return admin_reply_error(r, c, http_status_for_store_err(err), store_strerror(err));
}

/* ------------------------------------------------------------------ */
/* Routing                                                              */

static int prefix(const char *p, size_t len, const char *pre)
{
    size_t n = strlen(pre);

    return len >= n && memcmp(p, pre, n) == 0;
}

unsigned admin_parse_status(int err)
{
    switch (err) {
    case ADMIN_BODY_ETOOBIG:
        return 413;
    case ADMIN_BODY_ENOMEM:
        return 500;
    default:
        return 400;
    }
}

static enum MHD_Result do_status(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    struct store_stats s;
    json_t *j;
    int err = store_stats(srv->st, &s);

    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
    j = json_pack("{s:i,s:s,s:b,s:b,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:I}}", "api",
                  API_VERSION, "version", ORIGIND_VERSION, "draining", atomic_load(&srv->draining),
                  "catching_up", atomic_load(&srv->catching_up), "started",
                  (json_int_t)srv->started, "in_flight", (json_int_t)atomic_load(&srv->in_flight),
                  "store", "blobs", (json_int_t)s.blobs, "blob_bytes", (json_int_t)s.blob_bytes,
                  "variants", (json_int_t)s.variants, "variant_bytes", (json_int_t)s.variant_bytes,
                  "paths", (json_int_t)s.paths, "releases", (json_int_t)s.releases, "last_release",
                  s.last_release, "last_release_time", (json_int_t)s.last_release_time, "map_size",
                  (json_int_t)s.map_size, "map_used", (json_int_t)s.map_used);
    /* dcz deltas: count, and the bytes of the pages they use */
    if (j != NULL) {
        json_t *st = json_object_get(j, "store");

        json_object_set_new(st, "deltas", json_integer((json_int_t)s.deltas));
        json_object_set_new(st, "delta_bytes", json_integer((json_int_t)s.delta_bytes));
    }
    return admin_reply_json(r, c, 200, j);
}

static enum MHD_Result do_metrics(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    struct store_stats s;
    struct metrics_gauges g;
    struct resp_cache_stats rs;
    char *text = NULL;
    size_t len = 0;
    int err = store_stats(srv->st, &s);

    /* a failed snapshot is a failed scrape, never store gauges of 0 */
    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
    memset(&g, 0, sizeof(g));
    g.blobs = s.blobs;
    g.blob_bytes = s.blob_bytes;
    g.variants = s.variants;
    g.variant_bytes = s.variant_bytes;
    g.paths = s.paths;
    g.releases = s.releases;
    g.map_size = s.map_size;
    g.map_used = s.map_used;
    g.faults_fired = store_faults_fired();
    resp_cache_stats(srv->rcache, &rs);
    g.rcache_hits = rs.hits;
    g.rcache_misses = rs.misses;
    g.rcache_entries = rs.entries;
    g.rcache_bytes = rs.bytes;
    g.draining = atomic_load(&srv->draining);
    g.in_flight = atomic_load(&srv->in_flight);
    if (metrics_render(srv->metrics, &g, &text, &len))
        return admin_reply_error(r, c, 500, "out of memory");
    if (peers_metrics_append(srv->peers, atomic_load(&srv->catching_up), &text, &len) != 0 ||
        peer_fetch_metrics_append(srv->fetch, &text, &len) != 0 ||
        admin_retention_metrics(&s, &text, &len) != 0 ||
        admin_promotion_metrics(srv->st, &text, &len) != 0 ||
        auth_metrics_append(srv->auth, &text, &len) != 0) {
        free(text);
        return admin_reply_error(r, c, 500, "out of memory");
    }
    return admin_reply_text(r, c, 200, "text/plain; version=0.0.4", text, len);
}

/* POST /v1/prune and GET /v1/tombstones: answered by admin_prune.c. */
static enum MHD_Result do_retention(struct req *r, struct MHD_Connection *c, struct target *t)
{
    json_t *j = NULL;
    unsigned status;

    if (r->route == R_PRUNE) {
        const unsigned char *body = spool_data(r->spool);
        char *text = NULL;
        size_t len = 0;

        if (body == NULL)
            return admin_reply_error(r, c, 500, "cannot read the request body");
        status = admin_prune(r->srv->st, body, r->spool->got, (int64_t)time(NULL), &text, &len);
        if (text == NULL)
            return admin_reply_error(r, c, 500, "out of memory");
        return admin_reply_text(r, c, status, "application/json", text, len);
    } else {
        status = admin_tombstones(
            r->srv->st, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"), &j);
    }
    if (j == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_json(r, c, status, j);
}

/* GET and POST /v1/promotion: answered by admin_promote.c. */
static enum MHD_Result do_promotion(struct req *r, struct MHD_Connection *c, struct target *t)
{
    char *text = NULL, subject[STORE_ID_MAX + 1] = "";
    size_t len = 0;
    unsigned status;

    if (r->expect_body) {
        const unsigned char *body = spool_data(r->spool);

        if (body == NULL)
            return admin_reply_error(r, c, 500, "cannot read the request body");
        status = admin_promote(r->srv->st, body, r->spool->got, subject, &text, &len);
        if (subject[0] != '\0')
            audit_note_subject(&r->audit, subject, strlen(subject));
        r->audit.created = status == 201;
        r->audit.present = status == 200;
    } else {
        status = admin_promotion_get(r->srv->st, &text, &len);
    }
    if (text == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, status, "application/json", text, len);
}

/* POST /v1/fetch: answered by admin_fetch.c once what arrived is committed. */
static enum MHD_Result do_fetch(struct req *r, struct MHD_Connection *c, struct target *t)
{
    const unsigned char *body = spool_data(r->spool);
    char *text = NULL;
    size_t len = 0;
    unsigned status;

    if (body == NULL)
        return admin_reply_error(r, c, 500, "cannot read the request body");
    status = admin_fetch(r->srv, body, r->spool->got, &r->audit, &text, &len);
    if (text == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, status, "application/json", text, len);
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* The route table                                                      */

/* A handler: t is the request's parsed target (route_of). */
typedef enum MHD_Result (*route_fn)(struct req *r, struct MHD_Connection *c, struct target *t);

/* Which configured limit caps a route's request body. */
enum body_cap { CAP_JSON = 0, CAP_BLOB, CAP_BUNDLE };

/* One row per endpoint, as redis's command table: everything the dispatch
 * needs to know about a route is here, nowhere else. */
struct route_def {
    const char *path;        /* exact path (API_PATH_*); NULL: parsed by route_of */
    route_fn get;            /* GET and HEAD; NULL: not allowed */
    const char *body_method; /* "PUT" or "POST", the method that carries a body; NULL: none */
    route_fn body;           /* its handler */
    enum body_cap cap;       /* the --max-*-bytes limit of that body */
    const char *action;      /* audit action (audit.h) of a body request, which then needs an
                                admin token; NULL: it only reads (POST /v1/missing) */
};

static const struct route_def routes[] = {
    [R_NONE] = {NULL, NULL, NULL, NULL, CAP_JSON, NULL},
    [R_MISSING] = {API_PATH_MISSING, NULL, "POST", admin_do_missing, CAP_JSON, NULL},
    [R_BLOB] = {NULL, admin_do_get_blob, "PUT", admin_do_put_blob, CAP_BLOB, "upload"},
    [R_VARIANT] = {NULL, admin_do_get_blob, "PUT", admin_do_put_blob, CAP_BLOB, "upload-variant"},
    [R_BLOB_LIST] = {API_PATH_BLOBS, admin_do_list_blobs, NULL, NULL, CAP_JSON, NULL},
    [R_BUNDLE] = {API_PATH_BUNDLE, NULL, "POST", admin_do_bundle, CAP_BUNDLE, "bundle"},
    [R_RELEASE] = {NULL, admin_do_get_release, "PUT", admin_do_put_release, CAP_JSON, "publish"},
    [R_RELEASE_LIST] = {API_PATH_RELEASES, admin_do_list_releases, NULL, NULL, CAP_JSON, NULL},
    [R_STATUS] = {API_PATH_STATUS, do_status, NULL, NULL, CAP_JSON, NULL},
    [R_METRICS] = {API_PATH_METRICS, do_metrics, NULL, NULL, CAP_JSON, NULL},
    [R_PRUNE] = {API_PATH_PRUNE, NULL, "POST", do_retention, CAP_JSON, "prune"},
    [R_TOMBSTONES] = {API_PATH_TOMBSTONES, do_retention, NULL, NULL, CAP_JSON, NULL},
    [R_PROMOTION] = {API_PATH_PROMOTION, do_promotion, "POST", do_promotion, CAP_JSON, "promote"},
    [R_FETCH] = {API_PATH_FETCH, NULL, "POST", do_fetch, CAP_JSON, "fetch"},
};

/* Resolves t->path to a route, filling digest/enc/id. Returns R_NONE for an
 * unknown path, -1 for a known route with a malformed argument. */
static int route_of(struct target *t)
{
    const char *p = t->path;
    size_t len = t->len;

    size_t i;

    for (i = 1; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (routes[i].path != NULL && len == strlen(routes[i].path) &&
            memcmp(p, routes[i].path, len) == 0)
            return (int)i;
    if (prefix(p, len, API_PATH_BLOBS "/")) {
        const char *h = p + sizeof(API_PATH_BLOBS);
        size_t hl = len - sizeof(API_PATH_BLOBS);
        const char *slash = memchr(h, '/', hl);

        if (slash != NULL) {
            size_t el = hl - (size_t)(slash - h) - 1;

            hl = (size_t)(slash - h);
            if (el == 4 + STORE_HEX_LEN && memcmp(slash + 1, "dcz/", 4) == 0) {
                if (store_digest_from_hex(slash + 5, STORE_HEX_LEN, t->dict) != STORE_OK)
                    return -1;
                t->enc = ENC_DCZ;
            } else {
                t->enc = store_encoding_parse(slash + 1, el);
                if (t->enc < STORE_ENC_GZIP || t->enc >= STORE_ENC_COUNT)
                    return -1;
            }
        } else {
            t->enc = STORE_ENC_IDENTITY;
        }
        if (store_digest_from_hex(h, hl, t->digest) != STORE_OK)
            return -1;
        return slash != NULL ? R_VARIANT : R_BLOB;
    }
    if (prefix(p, len, API_PATH_RELEASES "/")) {
        t->id = p + sizeof(API_PATH_RELEASES);
        t->id_len = len - sizeof(API_PATH_RELEASES);
        if (store_id_valid(t->id, t->id_len) != STORE_OK)
            return -1;
        return R_RELEASE;
    }
    return R_NONE;
}

/* The Allow header of a 405 on route d. */
static const char *route_allow(const struct route_def *d)
{
    if (d->get == NULL)
        return d->body_method;
    if (d->body_method == NULL)
        return "GET, HEAD";
    return strcmp(d->body_method, "PUT") == 0 ? "GET, HEAD, PUT" : "GET, HEAD, POST";
}

/* 1 if r's method is allowed on route d. */
static int method_allowed(const struct route_def *d, const struct req *r)
{
    if (req_method_is(r, "GET") || req_method_is(r, "HEAD"))
        return d->get != NULL;
    return d->body_method != NULL && req_method_is(r, d->body_method);
}

/* The body size cap of route d. */
static uint64_t body_cap(const struct server *srv, const struct route_def *d)
{
    switch (d->cap) {
    case CAP_BLOB:
        return srv->cfg->max_blob_bytes;
    case CAP_BUNDLE:
        return srv->cfg->max_bundle_bytes;
    default:
        return srv->cfg->max_json_bytes;
    }
}

/* Queues the fixed JSON answer msg with status and one extra header. */
static enum MHD_Result reply_fixed(struct req *r, struct MHD_Connection *c, unsigned status,
                                   const char *msg, size_t len, const char *hname,
                                   const char *hvalue)
{
    struct MHD_Response *resp;

    resp = MHD_create_response_from_buffer(len, (void *)msg, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, hname, hvalue);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    return req_queue(r, c, status, resp, len);
}

/* Header iterator: counts Content-Length and Transfer-Encoding headers. */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    unsigned *n = cls;

    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0 ||
        strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        (*n)++;
    return MHD_YES;
}

/* First call: authenticate, route, check the announced body. Returns
 * MHD_YES to go on (r->route set), or the result of queueing an error. */
static enum MHD_Result admin_begin(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    const char *cl, *te;
    unsigned framing = 0;
    uint64_t len = 0;
    int route, tr;
    enum auth_scope scope;
    const struct route_def *d;
    enum auth_failure why = AUTH_FAIL_BAD;

    scope = auth_check(
        srv->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        r->audit.fp, &why);
    if (scope == AUTH_SCOPE_NONE) {
        static const char msg[] = "{\"error\":\"missing or wrong bearer token\"}";

        auth_count_failure(srv->auth, why);
        return reply_fixed(r, c, MHD_HTTP_UNAUTHORIZED, msg, sizeof(msg) - 1,
                           MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"origind\"");
    }
    tr = http_target_path(r->target, r->target_len, t->path, sizeof(t->path), &t->len);
    if (tr == HTTP_TARGET_TOO_LONG)
        return admin_reply_error(r, c, 414, "request target too long");
    if (tr == HTTP_TARGET_SLASH)
        return admin_reply_error(r, c, 404, "no such endpoint (%2F is not a path separator)");
    if (tr != HTTP_TARGET_OK)
        return admin_reply_error(r, c, 400, "malformed request target");
    route = route_of(t);
    if (route == R_NONE)
        return admin_reply_error(r, c, 404, "no such endpoint");
    if (route < 0)
        return admin_reply_error(r, c, 400, "malformed digest, encoding or release id in the path");
    d = &routes[route];
    if (!method_allowed(d, r)) {
        struct MHD_Response *resp;
        static const char msg[] = "{\"error\":\"method not allowed\"}";

        resp =
            MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, route_allow(d));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        return req_queue(r, c, MHD_HTTP_METHOD_NOT_ALLOWED, resp, sizeof(msg) - 1);
    }
    r->route = route;
    r->expect_body = d->body_method != NULL && req_method_is(r, d->body_method);
    if (r->expect_body && d->action != NULL) {
        r->audit.action = d->action;
        if (route == R_RELEASE)
            audit_note_subject(&r->audit, t->id, t->id_len);
        else if (route == R_BLOB || route == R_VARIANT)
            audit_note_subject(&r->audit, t->path + sizeof(API_PATH_BLOBS),
                               t->len - sizeof(API_PATH_BLOBS));
        if (scope != AUTH_SCOPE_ADMIN) {
            static const char msg[] = "{\"error\":\"this token may only read\"}";

            auth_count_failure(srv->auth, AUTH_FAIL_SCOPE);
            return reply_fixed(r, c, MHD_HTTP_FORBIDDEN, msg, sizeof(msg) - 1,
                               MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        }
    }
    /* libmicrohttpd frames the body by the first Content-Length it sees;
     * a second one (or a second Transfer-Encoding) means a proxy in front
     * may frame it differently: refuse (RFC 9112 6.3), never guess. */
    if (MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &framing) < 0 || framing > 1)
        return admin_reply_error(r, c, 400, "repeated Content-Length or Transfer-Encoding");
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (cl != NULL) {
        char *end;

        errno = 0;
        len = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || cl[0] == '-')
            return admin_reply_error(r, c, 400, "malformed Content-Length");
    }
    if (!r->expect_body) {
        if (te != NULL || len > 0)
            return admin_reply_error(r, c, 400, "this request carries no body");
        return MHD_YES;
    }
    if (te != NULL || cl == NULL)
        return admin_reply_error(r, c, 411, "Content-Length required (no chunked bodies)");
    if (len > body_cap(srv, d)) {
        if (route == R_BLOB || route == R_VARIANT)
            metrics_upload(srv->metrics, METRICS_UPLOAD_REJECTED, 1);
        return admin_reply_error(r, c, 413, "body over the configured size limit");
    }
    r->spool = spool_new(store_dir(srv->st), len);
    if (r->spool == NULL)
        return admin_reply_error(r, c, 500, "cannot buffer the request body");
    return MHD_YES;
}

static enum MHD_Result admin_access(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **req_cls)
{
    struct req *r = *req_cls;
    struct target t;

    if (r == NULL)
        return MHD_NO;
    memset(&t, 0, sizeof(t));
    r->calls++;
    if (r->calls == 1) {
        if (req_first_call(r, method, version))
            return admin_reply_error(r, c, 400, "NUL byte in the request line");
        return admin_begin(r, c, &t);
    }
    if (*upload_data_size != 0) {
        if (r->spool != NULL && !r->body_error &&
            spool_add(r->spool, upload_data, *upload_data_size) != 0) {
            r->body_error = errno == ENOSPC ? 507 : errno == EMSGSIZE ? 400 : 500;
            log_warn("admin: spooling a request body: %s", strerror(errno));
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES;
    /* the whole request is in: route again (cheap) and answer */
    if (http_target_path(r->target, r->target_len, t.path, sizeof(t.path), &t.len) !=
            HTTP_TARGET_OK ||
        route_of(&t) != r->route)
        return admin_reply_error(r, c, 500, "internal routing error");
    if (r->body_error)
        return admin_reply_error(r, c, (unsigned)r->body_error,
                                 r->body_error == 507
                                     ? "store full: no space left to receive the body"
                                 : r->body_error == 400 ? "body longer than its Content-Length"
                                                        : "could not receive the request body");
    if (r->spool != NULL && r->spool->got != r->spool->expect)
        return admin_reply_error(r, c, 400, "body shorter than its Content-Length");
    if (r->route <= R_NONE || (size_t)r->route >= sizeof(routes) / sizeof(routes[0]))
        return admin_reply_error(r, c, 404, "no such endpoint");
    return r->expect_body ? routes[r->route].body(r, c, &t) : routes[r->route].get(r, c, &t);
}

/* MHD_OPTION_NOTIFY_COMPLETED of the admin listener: the audit line of a
 * write (whatever its outcome), then the shared completion. */
static void admin_completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
                               enum MHD_RequestTerminationCode toe)
{
    struct req *r = *req_cls;

    if (r != NULL && r->audit.action != NULL) {
        char client[64];
        unsigned status = r->status != 0 ? r->status : 499;

        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && status < 400)
            status = 499;
        server_client_addr(c, client, sizeof(client));
        audit_write(&r->audit, client, status);
    }
    req_completed_cb(cls, c, req_cls, toe);
}

int admin_start(struct server *srv, int fd)
{
    const struct config *cfg = srv->cfg;

    srv->admin_d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG | tls_mhd_flags(srv->admin_tls),
        0, NULL, NULL, admin_access, srv, MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, srv,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->admin_max_connections,
        /* one client address may hold at most half the slots: unauthenticated
         * slow connections from one host cannot lock the pipeline out */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(cfg->admin_max_connections > 8 ? cfg->admin_max_connections / 2 : 4),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)1024 * 1024, MHD_OPTION_URI_LOG_CALLBACK,
        req_uri_cb, &srv->lctx[METRICS_ADMIN], MHD_OPTION_NOTIFY_COMPLETED, admin_completed_cb,
        &srv->lctx[METRICS_ADMIN], MHD_OPTION_ARRAY, tls_mhd_options(srv->admin_tls),
        MHD_OPTION_UNESCAPE_CALLBACK, req_unescape_cb, srv, MHD_OPTION_NOTIFY_CONNECTION,
        conn_notify_cb, srv, MHD_OPTION_END);
    if (srv->admin_d == NULL) {
        log_error("cannot start the admin listener");
        return -1;
    }
    return 0;
}
