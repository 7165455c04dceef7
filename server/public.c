/*
 * public.c - the public listener: what CloudFront and the load balancer
 * reach. GET/HEAD of published paths straight from the store's memory map,
 * conditional requests, single byte ranges, br/gzip variants, /healthz, the
 * optional origin secret, and the cross-origin headers (cors.h) on every
 * answer, with OPTIONS preflights.
 *
 * Not for: anything that writes (admin.c), and never a fallback page: an
 * unknown path is a 404 with Cache-Control: no-store.
 *
 * Threading: runs on libmicrohttpd's epoll thread pool; nothing here blocks
 * (store reads are lock-free LMDB snapshots). Responses are queued on the
 * second call of the access handler, never the first: libmicrohttpd 0.9.75
 * otherwise answers with Connection: close (background notes).
 */
#include "server.h"
#include "tls.h"

#include "admin_promote.h"
#include "api.h"
#include "api_dict.h"
#include "cors.h"
#include "http.h"
#include "peer.h"
#include "resp_cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
/* The release document: short, so a CDN absorbs the polling of open tabs
 * and a promotion is seen within seconds (SPEC: at most 15 s). */
#define CACHE_RELEASE_DOC "public, max-age=5"

/* Each connection's libmicrohttpd memory pool: the request line and headers
 * are read into its first half (growable into the rest), the answer's
 * header block is written after them, and libmicrohttpd zeroes all of it
 * after every request. 24 KiB admits about 11.5 KiB of request headers
 * (431 from about 12.2 KiB; nginx and Apache stop at 8 KiB per line) and
 * zeroes a quarter less than the 32 KiB it was, the largest user-space
 * cost of a small answer (tests/bench/RESULTS.md, Serving). libmicrohttpd
 * 0.9.75 closes the connection without an answer when the headers end
 * within ~400 bytes of half the pool (no room left for the answer's
 * headers): 11.8-12.1 KiB here, 7.7-8.1 KiB with a 16 KiB pool. */
#ifndef PUBLIC_POOL_BYTES
#define PUBLIC_POOL_BYTES (24 * 1024)
#endif

/* Adds the cross-origin headers (cors.h) and Vary (vary_ae: the answer
 * depends on Accept-Encoding; 2: and on Available-Dictionary) to resp. In the default any-origin
 * mode these are static strings: nothing is looked up or formatted per request. */
static void public_headers(struct req *r, struct MHD_Connection *c, struct MHD_Response *resp,
                           int vary_ae)
{
    const struct cors_policy *p = &r->srv->cfg->cors;
    const char *origin = NULL, *vary;
    struct cors_answer ca;

    if (p->n != 0)
        origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    cors_decide(p, origin, origin != NULL ? strlen(origin) : 0, &ca);
    if (ca.allow_origin != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, ca.allow_origin);
        MHD_add_response_header(resp, "Timing-Allow-Origin", ca.allow_origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    }
    vary = cors_vary(vary_ae, ca.vary_origin);
    if (vary != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, vary);
}

/* The one place every public answer is queued (but those of the response
 * cache, made here once): public_headers, then req_queue. */
static enum MHD_Result public_queue(struct req *r, struct MHD_Connection *c, unsigned status,
                                    struct MHD_Response *resp, uint64_t body_len, int vary_ae)
{
    if (resp == NULL)
        return MHD_NO;
    public_headers(r, c, resp, vary_ae);
    return req_queue(r, c, status, resp, body_len);
}

/* A one-line text answer (Cache-Control: no-store) through public_queue. */
static enum MHD_Result public_text(struct req *r, struct MHD_Connection *c, unsigned status,
                                   const char *msg)
{
    uint64_t n = 0;
    struct MHD_Response *resp = req_text_response(msg, 1, &n);

    return public_queue(r, c, status, resp, n, 0);
}

/* OPTIONS: 204 with what a CORS preflight needs (the methods and request
 * headers assets may be fetched with, how long the browser may keep the
 * answer) and Allow; no body. */
static enum MHD_Result answer_options(struct req *r, struct MHD_Connection *c)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, CORS_ALLOW_METHODS);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS, CORS_ALLOW_METHODS);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_MAX_AGE, CORS_PREFLIGHT_MAX_AGE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            "public, max-age=" CORS_PREFLIGHT_MAX_AGE);
    return public_queue(r, c, MHD_HTTP_NO_CONTENT, resp, 0, 0);
}

/* 1 if the decoded path has an empty-after-slash "." or ".." segment. */
static int has_dot_segment(const char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t j;

        if (p[i] == '/') {
            i++;
            continue;
        }
        j = i;
        while (j < len && p[j] != '/')
            j++;
        if ((j - i == 1 && p[i] == '.') || (j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
            return 1;
        i = j;
    }
    return 0;
}

static enum MHD_Result answer_healthz(struct req *r, struct MHD_Connection *c)
{
    struct store_reader *rd = NULL;

    if (atomic_load(&r->srv->draining))
        return public_text(r, c, MHD_HTTP_SERVICE_UNAVAILABLE, "draining");
    if (atomic_load(&r->srv->catching_up))
        return public_text(r, c, MHD_HTTP_SERVICE_UNAVAILABLE, "catching up");
    if (store_reader_begin(r->srv->st, &rd) != STORE_OK)
        return public_text(r, c, MHD_HTTP_SERVICE_UNAVAILABLE, "store not readable");
    store_reader_end(rd);
    return public_text(r, c, MHD_HTTP_OK, "ok");
}

/* Picks the representation to send: for a compressible type, a stored
 * variant (bit e of variants set: encoding e is stored) the client accepts
 * with the highest q (ties: br, zstd, gzip), else identity. Also the
 * response cache's resp_cache_choose_fn (arg: the connection). */
static int choose_encoding(void *arg, unsigned variants, int compressible)
{
    struct MHD_Connection *c = arg;
    const char *ae;
    struct http_accept_encoding q;

    if (!compressible)
        return STORE_ENC_IDENTITY;
    ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (ae == NULL)
        return STORE_ENC_IDENTITY;
    http_parse_accept_encoding(ae, strlen(ae), &q);
    return http_choose_encoding(&q, variants);
}

/* The dictionary delta to send instead (RFC 9842), if any: the request
 * names dcz in Accept-Encoding and a well-formed Available-Dictionary, the
 * file is eligible (api_dict.h), and the store holds a delta from that
 * dictionary to this blob. Fills *out and *dict and returns 1; 0 for
 * everything else (the usual answer then). */
static int choose_delta(struct req *r, struct MHD_Connection *c, const char *path, size_t path_len,
                        const struct store_asset *a, struct store_blob *out,
                        unsigned char dict[STORE_DIGEST_LEN])
{
    const char *ad = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Available-Dictionary");
    const char *ae;
    struct http_accept_encoding q;

    if (ad == NULL || http_parse_available_dictionary(ad, strlen(ad), dict) != 0)
        return 0;
    ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (ae == NULL)
        return 0;
    http_parse_accept_encoding(ae, strlen(ae), &q);
    if (q.dcz <= 0 || !api_dict_eligible(path, path_len, a->type, a->type_len))
        return 0;
    return store_get_delta(r->reader, a->digest, dict, out) == STORE_OK && out->data != NULL;
}

/* The stored-variants mask of a (see choose_encoding). */
static unsigned asset_variants(const struct store_asset *a)
{
    unsigned v = 0;
    int k;

    for (k = 0; k < STORE_ENC_COUNT; k++) {
        if (a->body[k].data != NULL || k == STORE_ENC_IDENTITY)
            v |= 1U << k;
    }
    return v;
}

/* 1 if the answer to this request may come from, or go into, the response
 * cache: a plain GET/HEAD (no conditional or range header, whose answers
 * differ per request), cross-origin headers that do not depend on the
 * request (the any-origin mode), and not draining (answers then carry
 * Connection: close). */
static int cacheable(const struct req *r, struct MHD_Connection *c)
{
    static const char *const varying[] = {MHD_HTTP_HEADER_RANGE, MHD_HTTP_HEADER_IF_NONE_MATCH,
                                          MHD_HTTP_HEADER_IF_MODIFIED_SINCE,
                                          MHD_HTTP_HEADER_IF_RANGE, "Available-Dictionary"};
    size_t i;

    if (r->srv->rcache == NULL || r->srv->cfg->cors.n != 0 || atomic_load(&r->srv->closing))
        return 0;
    for (i = 0; i < sizeof(varying) / sizeof(varying[0]); i++) {
        if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, varying[i]) != NULL)
            return 0;
    }
    return 1;
}

/* Adds the validators and caching headers of 200/206/304 (Vary: public_queue),
 * and Use-As-Dictionary when use_dict is not NULL. */
static void add_validators(struct MHD_Response *resp, const char *etag, const char *lastmod,
                           const char *use_dict)
{
    if (use_dict != NULL)
        MHD_add_response_header(resp, "Use-As-Dictionary", use_dict);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, lastmod);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_IMMUTABLE);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff");
}

/* GET/HEAD /.well-known/origind/release: the current promotion as the
 * release document of api.h (the same bytes and ETag on every node that
 * holds the same promotion), 304 on a matching If-None-Match, 404 no-store
 * before any promotion. Cross-origin headers as every answer. */
static enum MHD_Result answer_release_doc(struct req *r, struct MHD_Connection *c)
{
    char doc[1024], etag[API_RELEASE_DOC_ETAG_LEN + 1];
    const char *inm;
    struct MHD_Response *resp;
    size_t len = 0;
    int got = admin_release_doc(r->srv->st, doc, sizeof(doc), &len, etag);
    unsigned status = MHD_HTTP_OK;

    if (got < 0)
        return public_text(r, c, MHD_HTTP_SERVICE_UNAVAILABLE, "store not readable");
    if (got == 0) {
        r->cache = "miss";
        return public_text(r, c, MHD_HTTP_NOT_FOUND, "no release promoted yet");
    }
    r->cache = "hit";
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (inm != NULL && http_if_none_match(inm, strlen(inm), etag, strlen(etag)))
        status = MHD_HTTP_NOT_MODIFIED;
    resp = MHD_create_response_from_buffer(status == MHD_HTTP_OK ? len : 0, doc,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (status == MHD_HTTP_OK)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, CACHE_RELEASE_DOC);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_X_CONTENT_TYPE_OPTIONS, "nosniff");
    return public_queue(r, c, status, resp, status == MHD_HTTP_OK ? len : 0, 0);
}

/* 1 if the request is a conditional GET that the representation satisfies
 * (answer 304). If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2). */
static int not_modified(struct MHD_Connection *c, const char *etag, int64_t published)
{
    const char *inm =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    const char *ims;
    int64_t t;

    if (inm != NULL)
        return http_if_none_match(inm, strlen(inm), etag, strlen(etag));
    ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    if (ims != NULL && http_parse_date(ims, strlen(ims), &t) == 0)
        return published <= t;
    return 0;
}

/* 1 if a Range header should be honoured: no If-Range, or an If-Range that
 * names this exact representation (strong ETag or the Last-Modified date). */
static int if_range_ok(struct MHD_Connection *c, const char *etag, int64_t published)
{
    const char *ir = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_RANGE);
    int64_t t;

    if (ir == NULL)
        return 1;
    if (ir[0] == '"')
        return strcmp(ir, etag) == 0;
    return http_parse_date(ir, strlen(ir), &t) == 0 && t == published;
}

/* 1 if a body of n bytes goes out with sendfile (--sendfile-min/-max).
 * Never over TLS: libmicrohttpd cannot sendfile through GnuTLS, so it would
 * read the file into its pool-sized write buffer and send many small TLS
 * records (issue 27: 100 KiB over HTTPS at 0.35x of nginx); from the map, one
 * gnutls_record_send() takes a whole 16 KiB record at a time. */
static int use_sendfile(const struct server *srv, uint64_t n)
{
    const struct config *cfg = srv->cfg;

    return srv->pub_tls == NULL && cfg->sendfile_min > 0 && n >= cfg->sendfile_min &&
           (cfg->sendfile_max == 0 || n < cfg->sendfile_max);
}

/* A response carrying n bytes of b from byte first on, without copying
 * them here: sendfile from the data file for bodies from --sendfile-min to
 * under --sendfile-max bytes (64 KiB to 1 MiB by default) while the store
 * allows zero-copy for this reader, else the map (libmicrohttpd send()s
 * from it, a copy into the socket). Measured on loopback (RESULTS.md,
 * Serving): sendfile spends a quarter less server CPU at 100 KiB, and at
 * 10 MiB the copy path is 2.6x faster (the server's core reads the map, the
 * client's core copies cache-warm socket buffers). The page lifetime rule (store.h): map
 * bytes stay valid because the request's reader is held until the
 * completion callback, after the last send() returned; file offsets are
 * used only when store_zero_copy() said yes, because the kernel reads them
 * later still. Returns NULL on allocation failure. */
static struct MHD_Response *body_response(struct server *srv, struct store_reader *rd,
                                          const struct store_blob *b, uint64_t first, size_t n)
{
    struct MHD_Response *resp;
    int fd;

    if (use_sendfile(srv, n) && store_zero_copy(rd)) {
        /* libmicrohttpd closes the descriptor it is given */
        fd = dup(store_data_fd(srv->st));
        if (fd >= 0) {
            resp = MHD_create_response_from_fd_at_offset64(n, fd, b->offset + first);
            if (resp != NULL)
                return resp;
            close(fd);
        }
    }
    return MHD_create_response_from_buffer(n, (char *)b->data + first, MHD_RESPMEM_PERSISTENT);
}

/* The body reader of a HEAD-only answer (resp_cache.h): libmicrohttpd never
 * reads a HEAD answer's body, so this is never called; if it were, the
 * connection is cut rather than sent wrong bytes. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

/* peers_heal's callback: suspends the connection while the heal is queued
 * (in this handler's thread) and resumes it when the heal is over (from the
 * heal thread, or peers_stop() before the daemons stop); the handler then
 * runs again and looks the path up once more. */
static void heal_cb(void *arg, enum peers_heal_event ev, int healed)
{
    struct req *r = arg;

    (void)healed; /* the second lookup tells */
    if (ev == PEERS_HEAL_WAIT) {
        r->heal = 1;
        MHD_suspend_connection(r->heal_conn);
    } else {
        r->heal = 2;
        MHD_resume_connection(r->heal_conn);
    }
}

static enum MHD_Result answer_asset(struct req *r, struct MHD_Connection *c, const char *path,
                                    size_t path_len)
{
    struct server *srv = r->srv;
    struct store_asset a;
    char etag[API_ETAG_SIZE], lastmod[HTTP_DATE_LEN + 1], type[STORE_TYPE_MAX + 1];
    char crange[80], use_dict[API_DICT_HEADER_MAX];
    unsigned char dict[STORE_DIGEST_LEN];
    const char *range, *ud = NULL;
    struct MHD_Response *resp;
    const struct store_blob *body;
    struct store_blob delta;
    int vary;
    uint64_t first = 0, last = 0, epoch = store_prune_epoch(srv->st), n_cached = 0;
    int err, enc, compressible, rr = HTTP_RANGE_NONE, cache_it, head_only = 0;
    int head = req_method_is(r, "HEAD");
    size_t tlen;

    cache_it = cacheable(r, c);
    if (cache_it) {
        int q = resp_cache_queue(srv->rcache, c, path, path_len, head, epoch, r->start_ns,
                                 choose_encoding, c, &n_cached);

        if (q != 0) {
            if (q < 0)
                return MHD_NO;
            r->cache = "hit";
            r->status = MHD_HTTP_OK;
            r->bytes = req_method_is(r, "HEAD") ? 0 : n_cached;
            return MHD_YES;
        }
    }
    if (cache_it) /* a miss: cached only once the path is seen to be hot */
        cache_it = resp_cache_admit(srv->rcache, path, path_len);
    err = store_reader_begin(srv->st, &r->reader);
    if (err != STORE_OK) {
        log_warn("public: store reader: %s", store_strerror(err));
        return public_text(r, c, http_status_for_store_err(err), "store busy");
    }
    err = store_lookup(r->reader, path, path_len, &a);
    if ((err == STORE_ENOTFOUND || err == STORE_ECORRUPT) && srv->peers != NULL && r->heal == 0) {
        /* read through to the peers: the connection is suspended until the
         * heal thread has fetched, verified and stored (peer_heal.c), then this
         * handler runs again and looks up once more */
        store_reader_end(r->reader);
        r->reader = NULL;
        r->heal_conn = c;
        if (peers_heal(srv->peers, path, path_len, err == STORE_ECORRUPT, heal_cb, r) == 0)
            return MHD_YES;
    }
    if (err == STORE_EGONE) {
        /* every release naming it was pruned; never healed from a peer */
        r->cache = "gone";
        return public_text(r, c, MHD_HTTP_GONE, "gone");
    }
    if (err == STORE_ENOTFOUND || (err == STORE_ECORRUPT && r->heal != 0)) {
        r->cache = "miss";
        return public_text(r, c, MHD_HTTP_NOT_FOUND, "not found");
    }
    if (err != STORE_OK) {
        log_error("public: lookup: %s", store_strerror(err));
        return public_text(r, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
    }
    r->cache = "hit";
    tlen = a.type_len < STORE_TYPE_MAX ? a.type_len : STORE_TYPE_MAX;
    memcpy(type, a.type, tlen);
    type[tlen] = '\0';
    compressible = store_type_compressible(a.type, a.type_len);
    vary = compressible;
    if (compressible &&
        api_dict_header(path, path_len, a.type, a.type_len, use_dict, sizeof(use_dict)) > 0)
        ud = use_dict;
    if (ud != NULL && choose_delta(r, c, path, path_len, &a, &delta, dict)) {
        enc = -1; /* dcz: never cached, its own ETag, Vary names both headers */
        body = &delta;
        cache_it = 0;
        vary = 2;
        api_asset_etag(a.digest, API_ETAG_DCZ, dict, etag);
    } else {
        enc = choose_encoding(c, asset_variants(&a), compressible);
        body = &a.body[enc];
        api_asset_etag(a.digest, enc, NULL, etag);
    }
    http_format_date(a.published, lastmod);

    if (not_modified(c, etag, a.published)) {
        /* sized like the 200 (libmicrohttpd sends a 304 without a body but
         * with this Content-Length, which RFC 9110 allows only when it
         * equals the representation's length) */
        resp =
            MHD_create_response_from_buffer(body->len, (void *)body->data, MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
        add_validators(resp, etag, lastmod, ud);
        return public_queue(r, c, MHD_HTTP_NOT_MODIFIED, resp, 0, vary);
    }
    range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    if (range != NULL && if_range_ok(c, etag, a.published))
        rr = http_parse_range(range, strlen(range), body->len, &first, &last);
    if (rr == HTTP_RANGE_UNSATISFIABLE) {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
        snprintf(crange, sizeof(crange), "bytes */%zu", body->len);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
        return public_queue(r, c, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, 0, vary);
    }
    if (rr == HTTP_RANGE_OK) {
        size_t n = (size_t)(last - first + 1);

        resp = body_response(srv, r->reader, body, first, n);
        if (resp == NULL)
            return MHD_NO;
        snprintf(crange, sizeof(crange), "bytes %llu-%llu/%zu", (unsigned long long)first,
                 (unsigned long long)last, body->len);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
    } else if (cache_it && head) {
        /* for the cache, whatever the size: its body is never read */
        resp = MHD_create_response_from_callback(body->len, 4096, no_body, NULL, NULL);
        if (resp == NULL)
            return MHD_NO;
        head_only = 1;
    } else if (cache_it && body->len <= RESP_CACHE_MAX_BODY && !use_sendfile(srv, body->len)) {
        /* a private copy: the cached answer outlives this reader */
        resp =
            MHD_create_response_from_buffer(body->len, (void *)body->data, MHD_RESPMEM_MUST_COPY);
        if (resp == NULL)
            return MHD_NO;
    } else {
        cache_it = 0;
        resp = body_response(srv, r->reader, body, 0, body->len);
        if (resp == NULL)
            return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (enc != STORE_ENC_IDENTITY)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                enc < 0 ? "dcz" : store_encoding_name(enc));
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    add_validators(resp, etag, lastmod, ud);
    if (rr == HTTP_RANGE_OK)
        return public_queue(r, c, MHD_HTTP_PARTIAL_CONTENT, resp, last - first + 1, vary);
    if (cache_it) {
        enum MHD_Result ret;

        public_headers(r, c, resp, compressible);
        ret = req_queue_ref(r, c, MHD_HTTP_OK, resp, body->len);
        resp_cache_put(srv->rcache, path, path_len, enc, head_only, asset_variants(&a),
                       compressible, epoch, r->start_ns, resp, body->len);
        return ret;
    }
    return public_queue(r, c, MHD_HTTP_OK, resp, body->len, vary);
}

/* 1 if the request announces a body (Content-Length > 0 or chunked). */
static int has_body(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

    return te != NULL || (cl != NULL && strspn(cl, "0") != strlen(cl));
}

static enum MHD_Result public_access(void *cls, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_data_size,
                                     void **req_cls)
{
    struct server *srv = cls;
    struct req *r = *req_cls;
    char path[HTTP_PATH_MAX];
    size_t path_len = 0;
    int tr;

    if (r == NULL)
        return MHD_NO;
    r->calls++;
    if (r->calls == 1) {
        if (req_first_call(r, method, version))
            return public_text(r, c, MHD_HTTP_BAD_REQUEST, "NUL byte in the request line");
        /* Requests with a body are refused at once: queueing early makes
         * libmicrohttpd skip the body and close the connection. */
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
            strcmp(method, "OPTIONS") != 0) {
            struct MHD_Response *resp;
            static const char msg[] = "method not allowed\n";

            resp = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
                                                   MHD_RESPMEM_PERSISTENT);
            if (resp == NULL)
                return MHD_NO;
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, CORS_ALLOW_METHODS);
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    "text/plain; charset=utf-8");
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
            return public_queue(r, c, MHD_HTTP_METHOD_NOT_ALLOWED, resp, sizeof(msg) - 1, 0);
        }
        if (has_body(c))
            return public_text(r, c, MHD_HTTP_BAD_REQUEST,
                               "a GET, HEAD or OPTIONS carries no body");
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* not expected; refused above */
        return MHD_YES;
    }
    if (r->status != 0)
        return MHD_YES;

    tr = http_target_path(r->target, r->target_len, path, sizeof(path), &path_len);
    if (tr == HTTP_TARGET_TOO_LONG)
        return public_text(r, c, MHD_HTTP_URI_TOO_LONG, "request target too long");
    if (tr == HTTP_TARGET_SLASH) {
        r->cache = "miss";
        return public_text(r, c, MHD_HTTP_NOT_FOUND, "not found (%2F is not a path separator)");
    }
    if (tr != HTTP_TARGET_OK)
        return public_text(r, c, MHD_HTTP_BAD_REQUEST, "malformed request target");
    if (path_len == 8 && memcmp(path, "/healthz", 8) == 0)
        return answer_healthz(r, c);
    if (srv->origin_secret != NULL) {
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Origin-Verify");

        if (v == NULL ||
            !http_secret_equal(v, strlen(v), srv->origin_secret, srv->origin_secret_len))
            return public_text(r, c, MHD_HTTP_FORBIDDEN, "forbidden");
    }
    if (req_method_is(r, "OPTIONS"))
        return answer_options(r, c);
    if (path_len == sizeof(API_RELEASE_DOC_PATH) - 1 &&
        memcmp(path, API_RELEASE_DOC_PATH, path_len) == 0)
        return answer_release_doc(r, c);
    if (has_dot_segment(path, path_len) || memchr(path, '\\', path_len) != NULL)
        return public_text(r, c, MHD_HTTP_BAD_REQUEST, "malformed path");
    if (store_path_valid(path, path_len) != STORE_OK) {
        r->cache = "miss";
        return public_text(r, c, MHD_HTTP_NOT_FOUND, "not found");
    }
    return answer_asset(r, c, path, path_len);
}

int public_start(struct server *srv, int fd)
{
    const struct config *cfg = srv->cfg;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME | /* read-through heal (peer_heal.c) */
                     tls_mhd_flags(srv->pub_tls);
    unsigned threads = (unsigned)cfg->threads;

    srv->public_d = MHD_start_daemon(
        flags, 0, NULL, NULL, public_access, srv, MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, srv,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->connection_timeout, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)PUBLIC_POOL_BYTES, MHD_OPTION_URI_LOG_CALLBACK, req_uri_cb,
        &srv->lctx[METRICS_PUBLIC], MHD_OPTION_NOTIFY_COMPLETED, req_completed_cb,
        &srv->lctx[METRICS_PUBLIC], MHD_OPTION_UNESCAPE_CALLBACK, req_unescape_cb, srv,
        MHD_OPTION_NOTIFY_CONNECTION, conn_notify_cb, srv, MHD_OPTION_EXTERNAL_LOGGER,
        server_mhd_log, srv, MHD_OPTION_ARRAY, tls_mhd_options(srv->pub_tls), MHD_OPTION_END);
    if (srv->public_d == NULL) {
        log_error("cannot start the public listener");
        return -1;
    }
    return 0;
}
