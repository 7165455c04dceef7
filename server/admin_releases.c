/*
 * admin_releases.c - the admin API's release endpoints (docs/admin-api.md):
 * PUT /v1/releases/<id> (atomic publish), GET/HEAD /v1/releases/<id> (the
 * listing, or its digest in headers) and GET /v1/releases.
 *
 * For: server/admin.c, whose route table calls these once the request is
 * authenticated and its body spooled (admin_internal.h). Not for: routing,
 * authentication or spooling (admin.c), blobs (admin_blobs.c), promotions
 * (admin_promote.c), the body's syntax (api/admin_body.c) or the release
 * digest's definition (api/api.c).
 */
#include "admin_internal.h"

#include "admin_body.h"
#include "api.h"
#include "spool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

enum MHD_Result admin_do_put_release(struct req *r, struct MHD_Connection *c, struct target *t)
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
        ret = admin_reply_error(r, c, 500, "out of memory");
        goto out;
    }
    err = admin_parse_release((const char *)body, r->spool->got, &rel, why, sizeof(why));
    if (err != ADMIN_BODY_OK) {
        ret = admin_reply_error(r, c, admin_parse_status(err), why);
        goto out;
    }
    n = rel.n;
    reserved = reserved_paths(&rel);
    if (reserved == NULL || json_array_size(reserved) > 0) {
        ret = reserved == NULL
                  ? admin_reply_error(r, c, 500, "out of memory")
                  : admin_reply_json(r, c, 422,
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
            ret = admin_reply_store_err(r, c, err);
            break;
        }
        store_digest_to_hex(rr.digest, dhex);
        release_read_free(&rr);
        r->audit.created = created ? 1 : 0;
        r->audit.present = created ? 0 : 1;
        ret = admin_reply_json(r, c, created ? 201 : 200,
                               json_pack("{s:s%,s:I,s:b,s:s}", "id", t->id, t->id_len, "files",
                                         (json_int_t)n, "created", created, "digest", dhex));
        break;
    }
    case STORE_EMISSING:
        ret = admin_reply_json(
            r, c, http_status_for_store_err(err),
            json_pack("{s:s,s:O}", "error", "blobs missing on this node", "missing", pp.missing));
        break;
    case STORE_ECONFLICT:
        ret = admin_reply_json(r, c, http_status_for_store_err(err),
                               json_pack("{s:s,s:O}", "error",
                                         pp.release_conflict
                                             ? "release id already published with other content"
                                             : "paths already bound to other content",
                                         "conflicts", pp.conflicts));
        break;
    case STORE_EINVAL:
        ret = admin_reply_json(r, c, http_status_for_store_err(err),
                               json_pack("{s:s,s:O}", "error",
                                         "invalid entries (path, type, or a path given twice)",
                                         "bad", pp.bad));
        break;
    default:
        ret = admin_reply_store_err(r, c, err);
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
        return admin_reply_store_err(r, c, err);
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, API_RELEASE_DIGEST_HEADER, dhex);
    MHD_add_response_header(resp, API_RELEASE_FILES_HEADER, files);
    return req_queue(r, c, 200, resp, 0);
}

enum MHD_Result admin_do_get_release(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct release_read rr;
    char *text;
    size_t len = 0;
    int err = release_read(r->srv->st, t->id, t->id_len, &rr);

    if (err == STORE_ENOTFOUND)
        return admin_reply_error(r, c, 404, "no such release");
    if (err != STORE_OK)
        return admin_reply_store_err(r, c, err);
    if (req_method_is(r, "HEAD"))
        return reply_release_head(r, c, &rr);
    text = api_release_encode(t->id, t->id_len, rr.created, rr.files, rr.n, &len);
    release_read_free(&rr);
    if (text == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, 200, "application/json", text, len);
}

static int release_list_cb(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    return api_release_list_add(arg, id, id_len, created, files) != 0;
}

enum MHD_Result admin_do_list_releases(struct req *r, struct MHD_Connection *c, struct target *t)
{
    struct api_list *l = api_list_begin("releases");
    struct store_reader *rd = NULL;
    char *text;
    size_t len = 0;
    int err;

    if (l == NULL)
        return admin_reply_error(r, c, 500, "out of memory");
    err = store_reader_begin(r->srv->st, &rd);
    if (err == STORE_OK)
        err = store_release_list(rd, release_list_cb, l);
    store_reader_end(rd);
    text = api_list_end(l, NULL, &len);
    if (err != STORE_OK) {
        free(text);
        return admin_reply_store_err(r, c, err);
    }
    if (text == NULL) /* an append failed: never a truncated 200 */
        return admin_reply_error(r, c, 500, "out of memory");
    return admin_reply_text(r, c, 200, "application/json", text, len);
}
