/*
 * admin_blobs.c - the admin API's blob endpoints (docs/admin-api.md):
 * POST /v1/missing, PUT/GET/HEAD /v1/blobs/<hex> and its variants and dcz
 * deltas, GET /v1/blobs (the listing) and POST /v1/bundle (many blobs and
 * variants in one batch).
 *
 * For: server/admin.c, whose route table calls these once the request is
 * authenticated and its body spooled (admin_internal.h). Not for: routing,
 * authentication or spooling (admin.c), releases (admin_releases.c), the
 * bodies' syntax (api/admin_body.c) or the store's checks of what arrives.
 */
#include "admin_internal.h"

#include "admin_body.h"
#include "api.h"
#include "spool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a variant whose blob this node lacks is told, alone or in a bundle. */
#define VARIANT_NO_BLOB "blob not present: upload the identity bytes first"

/* {"missing":[...]} for the digests flagged in missing (api.h). */
static enum MHD_Result reply_missing(struct req *r, struct MHD_Connection *c,
                                     const unsigned char (*digests)[STORE_DIGEST_LEN],
                                     const unsigned char *missing, size_t n)
{
    size_t len = 0;
    char *text = api_missing_encode(digests, missing, n, &len);

    if (text == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, 200, "application/json", text, len);
}

enum MHD_Result admin_do_missing(struct req *r, struct MHD_Connection *c, struct target *t)
{
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    unsigned char *missing = NULL;
    size_t n;
    int err;
    enum MHD_Result ret;
    char why[ADMIN_WHY_MAX];
    const unsigned char *body = spool_data(r->spool);

    if (body == NULL)
        return admin_reply_error(r, c, 500, "cannot read the request body");
    err = admin_parse_missing((const char *)body, r->spool->got, ADMIN_MISSING_MAX, &digests, &n,
                              why, sizeof(why));
    if (err != ADMIN_BODY_OK) {
        ret = admin_reply_error(r, c, admin_parse_status(err), why);
        goto out;
    }
    missing = malloc(n > 0 ? n : 1);
    if (missing == NULL) {
        ret = admin_reply_error(r, c, 500, "out of memory");
        goto out;
    }
    err = store_missing(r->srv->st, (const unsigned char(*)[STORE_DIGEST_LEN])digests, n, missing);
    if (err != STORE_OK) {
        ret = admin_reply_store_err(r, c, err);
        goto out;
    }
    ret = reply_missing(r, c, (const unsigned char(*)[STORE_DIGEST_LEN])digests, missing, n);
out:
    free(digests);
    free(missing);
    return ret;
}

enum MHD_Result admin_do_put_blob(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct server *srv = r->srv;
    const unsigned char *body = spool_data(r->spool);
    char hex[STORE_HEX_LEN + 1];
    int err, created = 0;
    unsigned status;

    if (body == NULL)
        return admin_reply_error(r, c, 500, "cannot read the request body");
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
            return admin_reply_error(r, c, 422, "target or dictionary blob not present");
        if (err == STORE_ENOTFOUND)
            return admin_reply_error(r, c, status, VARIANT_NO_BLOB);
        if (err == STORE_EVARIANT && t->enc == ENC_DCZ)
            return admin_reply_error(
                r, c, status, "delta does not decode, with its dictionary, to the blob it claims");
        return admin_reply_store_err(r, c, err);
    }
    metrics_upload(srv->metrics, created ? METRICS_UPLOAD_CREATED : METRICS_UPLOAD_PRESENT, 1);
    r->audit.created = created ? 1 : 0;
    r->audit.present = created ? 0 : 1;
    store_digest_to_hex(t->digest, hex);
    return admin_reply_json(r, c, created ? 201 : 200,
                            json_pack("{s:s,s:s,s:I,s:b}", "sha256", hex, "encoding",
                                      t->enc == ENC_DCZ ? "dcz" : store_encoding_name(t->enc),
                                      "size", (json_int_t)r->spool->got, "created", created));
}

/* GET/HEAD of a blob or variant, zero copy from the store map. */
enum MHD_Result admin_do_get_blob(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct store_blob b;
    struct MHD_Response *resp;
    char etag[API_ETAG_SIZE];
    int err;

    err = store_reader_begin(r->srv->st, &r->reader);
    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
    if (t->enc == ENC_DCZ)
        err = store_get_delta(r->reader, t->digest, t->dict, &b);
    else
        err = store_get_blob(r->reader, t->digest, t->enc, &b);
    if (err == STORE_ENOTFOUND || (err == STORE_OK && b.data == NULL))
        return admin_reply_error(r, c, 404, "no such blob or variant");
    if (err != STORE_OK) /* never a 404: peers read 404 as "no such variant" */
        return admin_reply_store_err(r, c, err);
    resp = MHD_create_response_from_buffer(b.len, (void *)b.data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    api_asset_etag(t->digest, t->enc, NULL, etag);
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

enum MHD_Result admin_do_list_blobs(struct req *r, struct MHD_Connection *c, struct target *t)
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
        return admin_reply_error(r, c, 400, why);
    err = store_reader_begin(r->srv->st, &r->reader);
    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
    memset(&bp, 0, sizeof(bp));
    bp.reader = r->reader;
    bp.list = api_list_begin("blobs");
    if (bp.list == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    err = store_list_blobs(r->reader, has_after ? after_d : NULL, limit, list_blob_cb, &bp);
    store_reader_end(r->reader);
    r->reader = NULL;
    if (err != STORE_OK) {
        free(api_list_end(bp.list, NULL, &len));
        return admin_reply_store_err(r, c, err);
    }
    text = api_list_end(bp.list, bp.n == limit ? bp.last : NULL, &len);
    if (text == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, 200, "application/json", text, len);
}

/* POST /v1/bundle: check the framing of the whole body first (400 if it is
 * truncated or malformed), then put every record in one batch: one commit,
 * or nothing. */
enum MHD_Result admin_do_bundle(struct req *r, struct MHD_Connection *c, struct target *t)
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
        return admin_reply_error(r, c, 500, "cannot read the request body");
    while ((got = admin_bundle_next(body, size, &off, &rec, msg, sizeof(msg))) > 0) {
        if (rec.len > srv->cfg->max_blob_bytes) {
            snprintf(msg, sizeof(msg), "record %llu: over --max-blob-bytes",
                     (unsigned long long)rec.index);
            return admin_reply_error(r, c, 413, msg);
        }
    }
    if (got < 0)
        return admin_reply_error(r, c, 400, msg);
    err = store_batch_begin(srv->st, &b);
    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
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
            return admin_reply_json(r, c, status,
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
        return admin_reply_store_err(r, c, err);
    }
    metrics_upload(srv->metrics, METRICS_UPLOAD_CREATED, created);
    metrics_upload(srv->metrics, METRICS_UPLOAD_PRESENT, present);
    r->audit.created = created;
    r->audit.present = present;
    return admin_reply_json(
        r, c, 200,
        json_pack("{s:I,s:I}", "created", (json_int_t)created, "present", (json_int_t)present));
}
