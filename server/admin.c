/*
 * admin.c - the admin listener: what origin-ingest and peer nodes reach
 * (endpoints in docs/admin-api.md). Bearer-token authentication on
 * every path, streamed and verified uploads, bundles, atomic release
 * publishing, release and blob listings, status and Prometheus metrics.
 *
 * Not for: serving the public (public.c). Runs thread-per-connection so that
 * uploads and fsync'ing commits never block the public polling threads.
 *
 * Request bodies are spooled, bounded by Content-Length (required; 411
 * otherwise) checked against a size cap before any byte is read (413):
 * small ones in memory, large ones (over SPOOL_MEM_MAX) in an unlinked
 * temporary file in the store directory, mapped read-only for the store
 * call. A client that goes away mid-body stores nothing.
 */
#include "server.h"

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* What a variant whose blob this node lacks is told, alone or in a bundle. */
#define VARIANT_NO_BLOB "blob not present: upload the identity bytes first"

/* ------------------------------------------------------------------ */
/* Responses                                                            */

/* Queues len bytes of text (malloc'd; takes ownership, freed by
 * libmicrohttpd or here on failure) with Content-Type type and no-store. */
static enum MHD_Result reply_text_owned(struct req *r, struct MHD_Connection *c, unsigned status,
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

/* Queues the JSON value j (takes ownership of j). */
static enum MHD_Result reply_json(struct req *r, struct MHD_Connection *c, unsigned status,
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
    return reply_text_owned(r, c, status, "application/json", text, len);
}

/* Queues {"error": msg} with status. */
static enum MHD_Result reply_error(struct req *r, struct MHD_Connection *c, unsigned status,
                                   const char *msg)
{
    return reply_json(r, c, status, json_pack("{s:s}", "error", msg));
}

/* Queues an error for a store failure, with its status from the one mapping. */
static enum MHD_Result reply_store_err(struct req *r, struct MHD_Connection *c, int err)
{
    return reply_error(r, c, http_status_for_store_err(err), store_strerror(err));
}

/* ------------------------------------------------------------------ */
/* Routing                                                              */

enum route {
    R_NONE = 0,
    R_MISSING,      /* POST /v1/missing */
    R_BLOB,         /* PUT/GET/HEAD /v1/blobs/<hex> */
    R_VARIANT,      /* PUT/GET/HEAD /v1/blobs/<hex>/<enc>, /v1/blobs/<hex>/dcz/<dict hex> */
    R_BLOB_LIST,    /* GET /v1/blobs */
    R_BUNDLE,       /* POST /v1/bundle */
    R_RELEASE,      /* PUT/GET /v1/releases/<id> */
    R_RELEASE_LIST, /* GET /v1/releases */
    R_STATUS,       /* GET /v1/status */
    R_METRICS,      /* GET /metrics */
    R_PRUNE,        /* POST /v1/prune (admin_prune.c) */
    R_TOMBSTONES,   /* GET /v1/tombstones (admin_prune.c) */
    R_PROMOTION,    /* GET/POST /v1/promotion (admin_promote.c) */
    R_FETCH,        /* POST /v1/fetch (admin_fetch.c) */
};

struct target {
    char path[HTTP_PATH_MAX];
    size_t len;
    unsigned char digest[STORE_DIGEST_LEN];
    int enc;                              /* STORE_ENC_*, or ENC_DCZ */
    unsigned char dict[STORE_DIGEST_LEN]; /* ENC_DCZ: the dictionary's digest */
    const char *id;                       /* into path */
    size_t id_len;
};

static int prefix(const char *p, size_t len, const char *pre)
{
    size_t n = strlen(pre);

    return len >= n && memcmp(p, pre, n) == 0;
}

/* t->enc of a dictionary delta (store_put_delta): not a store encoding. */
#define ENC_DCZ (-2)

/* {"missing":[...]} for the digests flagged in missing (api.h). */
static enum MHD_Result reply_missing(struct req *r, struct MHD_Connection *c,
                                     const unsigned char (*digests)[STORE_DIGEST_LEN],
                                     const unsigned char *missing, size_t n)
{
    size_t len = 0;
    char *text = api_missing_encode(digests, missing, n, &len);

    if (text == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, 200, "application/json", text, len);
}

/* ------------------------------------------------------------------ */
/* Handlers                                                             */

/* The HTTP status for an admin_parse_* error. */
static unsigned body_status(int err)
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

static enum MHD_Result do_missing(struct req *r, struct MHD_Connection *c, struct target *t)
{
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    unsigned char *missing = NULL;
    size_t n;
    int err;
    enum MHD_Result ret;
    char why[ADMIN_WHY_MAX];
    const unsigned char *body = spool_data(r->spool);

    if (body == NULL)
        return reply_error(r, c, 500, "cannot read the request body");
    err = admin_parse_missing((const char *)body, r->spool->got, ADMIN_MISSING_MAX, &digests, &n,
                              why, sizeof(why));
    if (err != ADMIN_BODY_OK) {
        ret = reply_error(r, c, body_status(err), why);
        goto out;
    }
    missing = malloc(n > 0 ? n : 1);
    if (missing == NULL) {
        ret = reply_error(r, c, 500, "out of memory");
        goto out;
    }
    err = store_missing(r->srv->st, (const unsigned char(*)[STORE_DIGEST_LEN])digests, n, missing);
    if (err != STORE_OK) {
        ret = reply_store_err(r, c, err);
        goto out;
    }
    ret = reply_missing(r, c, (const unsigned char(*)[STORE_DIGEST_LEN])digests, missing, n);
out:
    free(digests);
    free(missing);
    return ret;
}

static enum MHD_Result do_put_blob(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    const unsigned char *body = spool_data(r->spool);
    char hex[STORE_HEX_LEN + 1];
    int err, created = 0;
    unsigned status;

    if (body == NULL)
        return reply_error(r, c, 500, "cannot read the request body");
    if (r->route == R_BLOB)
        err = store_put_blob(srv->st, t->digest, body, r->spool->got, &created);
    else if (t->enc == ENC_DCZ)
        err = store_put_delta(srv->st, t->digest, t->dict, body, r->spool->got, &created);
    else
        err = store_put_variant(srv->st, t->digest, t->enc, body, r->spool->got, &created);
    if (err != STORE_OK) {
        status = http_status_for_store_err(err);
        metrics_upload(srv->metrics, status < 500 ? METRICS_UPLOAD_REJECTED : METRICS_UPLOAD_FAILED,
                       1);
        if (err == STORE_ENOTFOUND && t->enc == ENC_DCZ) /* a delta nobody can check: 422 */
            return reply_error(r, c, 422, "target or dictionary blob not present");
        if (err == STORE_ENOTFOUND)
            return reply_error(r, c, status, VARIANT_NO_BLOB);
        if (err == STORE_EVARIANT && t->enc == ENC_DCZ)
            return reply_error(r, c, status,
                               "delta does not decode, with its dictionary, to the blob it claims");
        return reply_store_err(r, c, err);
    }
    metrics_upload(srv->metrics, created ? METRICS_UPLOAD_CREATED : METRICS_UPLOAD_PRESENT, 1);
    r->audit.created = created ? 1 : 0;
    r->audit.present = created ? 0 : 1;
    store_digest_to_hex(t->digest, hex);
    return reply_json(r, c, created ? 201 : 200,
                      json_pack("{s:s,s:s,s:I,s:b}", "sha256", hex, "encoding",
                                t->enc == ENC_DCZ ? "dcz" : store_encoding_name(t->enc), "size",
                                (json_int_t)r->spool->got, "created", created));
}

/* GET/HEAD of a blob or variant, zero copy from the store map. */
static enum MHD_Result do_get_blob(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct store_blob b;
    struct MHD_Response *resp;
    char hex[STORE_HEX_LEN + 1], etag[STORE_HEX_LEN + 8];
    int err;

    err = store_reader_begin(r->srv->st, &r->reader);
    if (err != STORE_OK)
        return reply_store_err(r, c, err);
    if (t->enc == ENC_DCZ)
        err = store_get_delta(r->reader, t->digest, t->dict, &b);
    else
        err = store_get_blob(r->reader, t->digest, t->enc, &b);
    if (err == STORE_ENOTFOUND || (err == STORE_OK && b.data == NULL))
        return reply_error(r, c, 404, "no such blob or variant");
    if (err != STORE_OK) /* never a 404: peers read 404 as "no such variant" */
        return reply_store_err(r, c, err);
    resp = MHD_create_response_from_buffer(b.len, (void *)b.data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    store_digest_to_hex(t->digest, hex);
    snprintf(etag, sizeof(etag), "\"%.32s%s\"", hex,
             t->enc == STORE_ENC_BR     ? "-br"
             : t->enc == STORE_ENC_GZIP ? "-gz"
             : t->enc == STORE_ENC_ZSTD ? "-zs"
             : t->enc == ENC_DCZ        ? "-dcz"
                                        : "");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    if (t->enc != STORE_ENC_IDENTITY)
        MHD_add_response_header(resp, "X-Origind-Encoding",
                                t->enc == ENC_DCZ ? "dcz" : store_encoding_name(t->enc));
    return req_queue(r, c, 200, resp, b.len);
}

struct blob_page {
    struct store_reader *reader;
    struct api_list *list;
    unsigned char dicts[API_BLOB_DELTAS_MAX][STORE_DIGEST_LEN];
    size_t ndicts;
    unsigned char last[STORE_DIGEST_LEN];
    size_t n;
};

/* The dictionaries of one blob's deltas, for its listing entry. */
static int list_delta_cb(void *arg, const unsigned char dict[STORE_DIGEST_LEN], uint64_t len)
{
    struct blob_page *bp = arg;

    (void)len;
    memcpy(bp->dicts[bp->ndicts++], dict, STORE_DIGEST_LEN);
    return bp->ndicts == API_BLOB_DELTAS_MAX;
}

static int list_blob_cb(void *arg, const unsigned char digest[STORE_DIGEST_LEN], uint64_t size,
                        unsigned variants)
{
    struct blob_page *bp = arg;

    if (api_blob_list_add(bp->list, digest, size, variants) != 0)
        return 1; /* api_list_end() then fails: never a truncated 200 */
    bp->ndicts = 0;
    if (store_list_deltas(bp->reader, digest, list_delta_cb, bp) != STORE_OK ||
        api_blob_list_add_deltas(bp->list, (const unsigned char(*)[STORE_DIGEST_LEN])bp->dicts,
                                 bp->ndicts) != 0)
        return 1;
    memcpy(bp->last, digest, STORE_DIGEST_LEN);
    bp->n++;
    return 0;
}

static enum MHD_Result do_list_blobs(struct req *r, struct MHD_Connection *c, struct target *t)
{
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    const char *limit_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    unsigned char after_d[STORE_DIGEST_LEN];
    char why[ADMIN_WHY_MAX], *text;
    struct blob_page bp;
    size_t limit, len = 0;
    int has_after;
    int err;

    if (admin_parse_list_params(after, limit_s, after_d, &has_after, &limit, why, sizeof(why)) !=
        ADMIN_BODY_OK)
        return reply_error(r, c, 400, why);
    err = store_reader_begin(r->srv->st, &r->reader);
    if (err != STORE_OK)
        return reply_store_err(r, c, err);
    memset(&bp, 0, sizeof(bp));
    bp.reader = r->reader;
    bp.list = api_list_begin("blobs");
    if (bp.list == NULL)
        return reply_error(r, c, 500, "out of memory");
    err = store_list_blobs(r->reader, has_after ? after_d : NULL, limit, list_blob_cb, &bp);
    store_reader_end(r->reader);
    r->reader = NULL;
    if (err != STORE_OK) {
        free(api_list_end(bp.list, NULL, &len));
        return reply_store_err(r, c, err);
    }
    text = api_list_end(bp.list, bp.n == limit ? bp.last : NULL, &len);
    if (text == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, 200, "application/json", text, len);
}

/* Problems reported by store_publish, gathered for the answer. */
struct publish_problems {
    json_t *missing, *conflicts, *bad;
    int release_conflict;
};

static void publish_problem_cb(void *arg, enum store_problem_kind kind, const char *path,
                               size_t path_len, const unsigned char digest[STORE_DIGEST_LEN])
{
    struct publish_problems *pp = arg;
    char hex[STORE_HEX_LEN + 1] = "";

    if (digest != NULL)
        store_digest_to_hex(digest, hex);
    switch (kind) {
    case STORE_PROBLEM_MISSING:
        json_array_append_new(pp->missing, json_string(hex));
        break;
    case STORE_PROBLEM_PATH_CONFLICT:
        json_array_append_new(pp->conflicts, json_pack("{s:s%,s:s}", "path", path ? path : "",
                                                       path ? path_len : 0, "sha256", hex));
        break;
    case STORE_PROBLEM_RELEASE_CONFLICT:
        pp->release_conflict = 1;
        break;
    case STORE_PROBLEM_BAD_ENTRY:
        json_array_append_new(pp->bad, json_pack("{s:s%,s:s}", "path", path ? path : "",
                                                 path ? path_len : 0, "sha256", hex));
        break;
    }
}

/* A release read into owned memory (the reader is ended): files in path
 * order, paths and types copied. */
struct release_read {
    int64_t created;
    struct store_file *files;
    size_t n, cap;
    unsigned char digest[STORE_DIGEST_LEN]; /* filled by the caller */
    int failed;
};

static int release_read_cb(void *arg, const struct store_file *file)
{
    struct release_read *rr = arg;
    struct store_file *f;
    char *p;

    if (rr->n == rr->cap) {
        size_t ncap = rr->cap ? rr->cap * 2 : 64;
        void *np = realloc(rr->files, ncap * sizeof(*rr->files));

        if (np == NULL) {
            rr->failed = 1;
            return 1;
        }
        rr->files = np;
        rr->cap = ncap;
    }
    p = malloc(file->path_len + file->type_len + 1);
    if (p == NULL) {
        rr->failed = 1;
        return 1;
    }
    f = &rr->files[rr->n++];
    *f = *file;
    memcpy(p, file->path, file->path_len);
    memcpy(p + file->path_len, file->type, file->type_len);
    f->path = p;
    f->type = p + file->path_len;
    return 0;
}

static void release_read_free(struct release_read *rr)
{
    size_t i;

    for (i = 0; i < rr->n; i++)
        free((void *)rr->files[i].path);
    free(rr->files);
    memset(rr, 0, sizeof(*rr));
}

/* Reads release id. Returns STORE_OK (free *rr with release_read_free),
 * STORE_ENOTFOUND, STORE_ENOMEM or the store's error (*rr then empty). */
static int release_read(struct store *st, const char *id, size_t id_len, struct release_read *rr)
{
    struct store_reader *rd = NULL;
    int err;

    memset(rr, 0, sizeof(*rr));
    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_release_get(rd, id, id_len, &rr->created, release_read_cb, rr);
    store_reader_end(rd);
    if (err == STORE_OK && rr->failed)
        err = STORE_ENOMEM;
    if (err != STORE_OK)
        release_read_free(rr);
    return err;
}

/* The paths of rel that no release may bind (api_path_reserved: the public
 * listener answers them itself), as a JSON array (caller decrefs); NULL if out
 * of memory. */
static json_t *reserved_paths(const struct admin_release *rel)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; a != NULL && i < rel->n; i++) {
        if (api_path_reserved(rel->files[i].path, rel->files[i].path_len) &&
            json_array_append_new(a, json_stringn(rel->files[i].path, rel->files[i].path_len)) !=
                0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

static enum MHD_Result do_put_release(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct admin_release rel = {NULL, 0, NULL};
    struct publish_problems pp = {json_array(), json_array(), json_array(), 0};
    json_t *reserved = NULL;
    const unsigned char *body = spool_data(r->spool);
    size_t n;
    int err, created = 0;
    enum MHD_Result ret;
    char why[ADMIN_WHY_MAX];

    if (body == NULL || pp.missing == NULL || pp.conflicts == NULL || pp.bad == NULL) {
        ret = reply_error(r, c, 500, "out of memory");
        goto out;
    }
    err = admin_parse_release((const char *)body, r->spool->got, &rel, why, sizeof(why));
    if (err != ADMIN_BODY_OK) {
        ret = reply_error(r, c, body_status(err), why);
        goto out;
    }
    n = rel.n;
    reserved = reserved_paths(&rel);
    if (reserved == NULL || json_array_size(reserved) > 0) {
        ret = reserved == NULL
                  ? reply_error(r, c, 500, "out of memory")
                  : reply_json(r, c, 422,
                               json_pack("{s:s,s:O}", "error",
                                         "reserved paths: the server answers them itself",
                                         "reserved", reserved));
        goto out;
    }
    err = store_publish(r->srv->st, t->id, t->id_len, rel.files, n, (int64_t)time(NULL), &created,
                        publish_problem_cb, &pp);
    switch (err) {
    case STORE_OK: {
        /* the digest of what this node now holds under the id (a path bound
         * before keeps its first type, so it can differ from the request's) */
        struct release_read rr;
        char dhex[STORE_HEX_LEN + 1];

        err = release_read(r->srv->st, t->id, t->id_len, &rr);
        if (err == STORE_OK && api_release_digest(rr.files, rr.n, rr.digest) != 0)
            err = STORE_ENOMEM;
        if (err != STORE_OK) {
            release_read_free(&rr);
            ret = reply_store_err(r, c, err);
            break;
        }
        store_digest_to_hex(rr.digest, dhex);
        release_read_free(&rr);
        r->audit.created = created ? 1 : 0;
        r->audit.present = created ? 0 : 1;
        ret = reply_json(r, c, created ? 201 : 200,
                         json_pack("{s:s%,s:I,s:b,s:s}", "id", t->id, t->id_len, "files",
                                   (json_int_t)n, "created", created, "digest", dhex));
        break;
    }
    case STORE_EMISSING:
        ret = reply_json(
            r, c, http_status_for_store_err(err),
            json_pack("{s:s,s:O}", "error", "blobs missing on this node", "missing", pp.missing));
        break;
    case STORE_ECONFLICT:
        ret = reply_json(r, c, http_status_for_store_err(err),
                         json_pack("{s:s,s:O}", "error",
                                   pp.release_conflict
                                       ? "release id already published with other content"
                                       : "paths already bound to other content",
                                   "conflicts", pp.conflicts));
        break;
    case STORE_EINVAL:
        ret = reply_json(r, c, http_status_for_store_err(err),
                         json_pack("{s:s,s:O}", "error",
                                   "invalid entries (path, type, or a path given twice)", "bad",
                                   pp.bad));
        break;
    default:
        ret = reply_store_err(r, c, err);
        break;
    }
out:
    json_decref(reserved);
    json_decref(pp.missing);
    json_decref(pp.conflicts);
    json_decref(pp.bad);
    admin_release_free(&rel);
    return ret;
}

/* HEAD /v1/releases/<id>: the release digest and file count in headers
 * (api.h), no listing built: what a push asks before sending anything. */
static enum MHD_Result reply_release_head(struct req *r, struct MHD_Connection *c,
                                          struct release_read *rr)
{
    struct MHD_Response *resp;
    char dhex[STORE_HEX_LEN + 1], files[24];
    int err = api_release_digest(rr->files, rr->n, rr->digest) != 0 ? STORE_ENOMEM : STORE_OK;

    snprintf(files, sizeof(files), "%zu", rr->n);
    store_digest_to_hex(rr->digest, dhex);
    release_read_free(rr);
    if (err != STORE_OK)
        return reply_store_err(r, c, err);
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, API_RELEASE_DIGEST_HEADER, dhex);
    MHD_add_response_header(resp, API_RELEASE_FILES_HEADER, files);
    return req_queue(r, c, 200, resp, 0);
}

static enum MHD_Result do_get_release(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct release_read rr;
    char *text;
    size_t len = 0;
    int err = release_read(r->srv->st, t->id, t->id_len, &rr);

    if (err == STORE_ENOTFOUND)
        return reply_error(r, c, 404, "no such release");
    if (err != STORE_OK)
        return reply_store_err(r, c, err);
    if (req_method_is(r, "HEAD"))
        return reply_release_head(r, c, &rr);
    text = api_release_encode(t->id, t->id_len, rr.created, rr.files, rr.n, &len);
    release_read_free(&rr);
    if (text == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, 200, "application/json", text, len);
}

static int release_list_cb(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    return api_release_list_add(arg, id, id_len, created, files) != 0;
}

static enum MHD_Result do_list_releases(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct api_list *l = api_list_begin("releases");
    struct store_reader *rd = NULL;
    char *text;
    size_t len = 0;
    int err;

    if (l == NULL)
        return reply_error(r, c, 500, "out of memory");
    err = store_reader_begin(r->srv->st, &rd);
    if (err == STORE_OK)
        err = store_release_list(rd, release_list_cb, l);
    store_reader_end(rd);
    text = api_list_end(l, NULL, &len);
    if (err != STORE_OK) {
        free(text);
        return reply_store_err(r, c, err);
    }
    if (text == NULL) /* an append failed: never a truncated 200 */
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, 200, "application/json", text, len);
}

static enum MHD_Result do_status(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    struct store_stats s;
    json_t *j;
    int err = store_stats(srv->st, &s);

    if (err != STORE_OK)
        return reply_store_err(r, c, err);
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
    return reply_json(r, c, 200, j);
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
        return reply_store_err(r, c, err);
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
        return reply_error(r, c, 500, "out of memory");
    if (peers_metrics_append(srv->peers, atomic_load(&srv->catching_up), &text, &len) != 0 ||
        peer_fetch_metrics_append(srv->fetch, &text, &len) != 0 ||
        admin_retention_metrics(&s, &text, &len) != 0 ||
        admin_promotion_metrics(srv->st, &text, &len) != 0 ||
        auth_metrics_append(srv->auth, &text, &len) != 0) {
        free(text);
        return reply_error(r, c, 500, "out of memory");
    }
    return reply_text_owned(r, c, 200, "text/plain; version=0.0.4", text, len);
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
            return reply_error(r, c, 500, "cannot read the request body");
        status = admin_prune(r->srv->st, body, r->spool->got, (int64_t)time(NULL), &text, &len);
        if (text == NULL)
            return reply_error(r, c, 500, "out of memory");
        return reply_text_owned(r, c, status, "application/json", text, len);
    } else {
        status = admin_tombstones(
            r->srv->st, MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after"),
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"), &j);
    }
    if (j == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_json(r, c, status, j);
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
            return reply_error(r, c, 500, "cannot read the request body");
        status = admin_promote(r->srv->st, body, r->spool->got, subject, &text, &len);
        if (subject[0] != '\0')
            audit_note_subject(&r->audit, subject, strlen(subject));
        r->audit.created = status == 201;
        r->audit.present = status == 200;
    } else {
        status = admin_promotion_get(r->srv->st, &text, &len);
    }
    if (text == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, status, "application/json", text, len);
}

/* POST /v1/fetch: answered by admin_fetch.c once what arrived is committed. */
static enum MHD_Result do_fetch(struct req *r, struct MHD_Connection *c, struct target *t)
{
    const unsigned char *body = spool_data(r->spool);
    char *text = NULL;
    size_t len = 0;
    unsigned status;

    if (body == NULL)
        return reply_error(r, c, 500, "cannot read the request body");
    status = admin_fetch(r->srv, body, r->spool->got, &r->audit, &text, &len);
    if (text == NULL)
        return reply_error(r, c, 500, "out of memory");
    return reply_text_owned(r, c, status, "application/json", text, len);
}

/* POST /v1/bundle: check the framing of the whole body first (400 if it is
 * truncated or malformed), then put every record in one batch: one commit,
 * or nothing. */
static enum MHD_Result do_bundle(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    const unsigned char *body = spool_data(r->spool);
    size_t size = (size_t)r->spool->got, off = 0;
    uint64_t created = 0, present = 0, index = 0;
    struct admin_bundle_record rec;
    struct store_batch *b = NULL;
    char msg[200], hex[STORE_HEX_LEN + 1];
    int err, got;

    if (body == NULL)
        return reply_error(r, c, 500, "cannot read the request body");
    while ((got = admin_bundle_next(body, size, &off, &rec, msg, sizeof(msg))) > 0) {
        if (rec.len > srv->cfg->max_blob_bytes) {
            snprintf(msg, sizeof(msg), "record %llu: over --max-blob-bytes",
                     (unsigned long long)rec.index);
            return reply_error(r, c, 413, msg);
        }
    }
    if (got < 0)
        return reply_error(r, c, 400, msg);
    err = store_batch_begin(srv->st, &b);
    if (err != STORE_OK)
        return reply_store_err(r, c, err);
    off = 0;
    while (admin_bundle_next(body, size, &off, &rec, NULL, 0) > 0) {
        int kind = (int)rec.kind, made = 0;
        const unsigned char *digest = rec.digest;

        index = rec.index;
        if (kind == STORE_ENC_IDENTITY)
            err = store_batch_put(b, digest, rec.data, rec.len, &made);
        else
            err = store_batch_put_variant(b, digest, kind, rec.data, rec.len, &made);
        if (err != STORE_OK) {
            unsigned status;
            const char *why = store_strerror(err);

            store_batch_abort(b);
            if (err == STORE_ENOTFOUND) {
                err = STORE_EMISSING; /* a variant whose blob is in neither store nor bundle */
                why = VARIANT_NO_BLOB " (in this bundle or before)";
            }
            status = http_status_for_store_err(err);
            metrics_upload(srv->metrics,
                           status < 500 ? METRICS_UPLOAD_REJECTED : METRICS_UPLOAD_FAILED, 1);
            store_digest_to_hex(digest, hex);
            snprintf(msg, sizeof(msg), "record %llu (%s %s): %s", (unsigned long long)index,
                     store_encoding_name(kind), hex, why);
            return reply_json(r, c, status,
                              json_pack("{s:s,s:I,s:s,s:s}", "error", msg, "index",
                                        (json_int_t)index, "sha256", hex, "kind",
                                        store_encoding_name(kind)));
        }
        if (made)
            created++;
        else
            present++;
        index++;
    }
    err = store_batch_commit(b);
    if (err != STORE_OK) {
        metrics_upload(srv->metrics, METRICS_UPLOAD_FAILED, index);
        return reply_store_err(r, c, err);
    }
    metrics_upload(srv->metrics, METRICS_UPLOAD_CREATED, created);
    metrics_upload(srv->metrics, METRICS_UPLOAD_PRESENT, present);
    r->audit.created = created;
    r->audit.present = present;
    return reply_json(
        r, c, 200,
        json_pack("{s:I,s:I}", "created", (json_int_t)created, "present", (json_int_t)present));
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
    [R_MISSING] = {API_PATH_MISSING, NULL, "POST", do_missing, CAP_JSON, NULL},
    [R_BLOB] = {NULL, do_get_blob, "PUT", do_put_blob, CAP_BLOB, "upload"},
    [R_VARIANT] = {NULL, do_get_blob, "PUT", do_put_blob, CAP_BLOB, "upload-variant"},
    [R_BLOB_LIST] = {API_PATH_BLOBS, do_list_blobs, NULL, NULL, CAP_JSON, NULL},
    [R_BUNDLE] = {API_PATH_BUNDLE, NULL, "POST", do_bundle, CAP_BUNDLE, "bundle"},
    [R_RELEASE] = {NULL, do_get_release, "PUT", do_put_release, CAP_JSON, "publish"},
    [R_RELEASE_LIST] = {API_PATH_RELEASES, do_list_releases, NULL, NULL, CAP_JSON, NULL},
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
        return reply_error(r, c, 414, "request target too long");
    if (tr == HTTP_TARGET_SLASH)
        return reply_error(r, c, 404, "no such endpoint (%2F is not a path separator)");
    if (tr != HTTP_TARGET_OK)
        return reply_error(r, c, 400, "malformed request target");
    route = route_of(t);
    if (route == R_NONE)
        return reply_error(r, c, 404, "no such endpoint");
    if (route < 0)
        return reply_error(r, c, 400, "malformed digest, encoding or release id in the path");
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
        return reply_error(r, c, 400, "repeated Content-Length or Transfer-Encoding");
    cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (cl != NULL) {
        char *end;

        errno = 0;
        len = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || cl[0] == '-')
            return reply_error(r, c, 400, "malformed Content-Length");
    }
    if (!r->expect_body) {
        if (te != NULL || len > 0)
            return reply_error(r, c, 400, "this request carries no body");
        return MHD_YES;
    }
    if (te != NULL || cl == NULL)
        return reply_error(r, c, 411, "Content-Length required (no chunked bodies)");
    if (len > body_cap(srv, d)) {
        if (route == R_BLOB || route == R_VARIANT)
            metrics_upload(srv->metrics, METRICS_UPLOAD_REJECTED, 1);
        return reply_error(r, c, 413, "body over the configured size limit");
    }
    r->spool = spool_new(store_dir(srv->st), len);
    if (r->spool == NULL)
        return reply_error(r, c, 500, "cannot buffer the request body");
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
        r->method_len = strlen(method);
        if (r->method_len >= sizeof(r->method))
            r->method_len = sizeof(r->method) - 1;
        memcpy(r->method, method, r->method_len);
        r->method[r->method_len] = '\0';
        if (req_line_cut(r, version))
            return reply_error(r, c, 400, "NUL byte in the request line");
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
        return reply_error(r, c, 500, "internal routing error");
    if (r->body_error)
        return reply_error(r, c, (unsigned)r->body_error,
                           r->body_error == 507   ? "store full: no space left to receive the body"
                           : r->body_error == 400 ? "body longer than its Content-Length"
                                                  : "could not receive the request body");
    if (r->spool != NULL && r->spool->got != r->spool->expect)
        return reply_error(r, c, 400, "body shorter than its Content-Length");
    if (r->route <= R_NONE || (size_t)r->route >= sizeof(routes) / sizeof(routes[0]))
        return reply_error(r, c, 404, "no such endpoint");
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
