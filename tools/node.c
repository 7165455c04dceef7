/*
 * node.c - the phases of origin-ingest's admin-API client (node.h): what
 * each phase asks every node and what each answer means for that node.
 *
 * For: batching the missing check, planning the uploads (big blobs alone,
 * bundles of small ones, variants after their blob), publish and verify,
 * the release listing and the prune request of `prune`, and turning each
 * answer into a per-node outcome.
 * Not for: streaming upload bodies (upload.c), carrying requests (queues,
 * libcurl, retries: transport.c),
 * deciding exit codes across nodes or printing (report.c, cmd_*.c),
 * encoding or parsing JSON bodies (api/).
 */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_body.h"
#include "api.h"
#include "manifest.h"
#include "transport.h"
#include "upload.h"

#define REC_HDR      ADMIN_BUNDLE_HDR_LEN
#define PRUNE_WAIT_S 900L /* a node answers a prune only once its store is done */
#define FETCH_WAIT_S 900L /* ... and a fetch once what it pulled is committed */

enum req_kind {
    REQ_MISSING,
    REQ_BUNDLE,
    REQ_BLOB,
    REQ_VARIANT,
    REQ_PUBLISH,
    REQ_GET_RELEASE,
    REQ_VERIFY_MISSING,
    REQ_LIST_RELEASES,
    REQ_PRUNE,
    REQ_BLOB_SIZE,
    REQ_PROBE,
    REQ_EXCHANGE, /* ingest_client_exchange(): the answer goes to the caller */
    REQ_FETCH,
};

struct ingest_client {
    struct ingest_transport *t;
    struct ingest_site *s;
    struct ingest_site empty; /* s of ingest_client_reader() */
    struct ingest_client_opts o;
    struct ingest_node *nodes;
    size_t n;
    char *shared_body; /* the body every node gets in the current phase */
    size_t shared_len;
    char *release_id;
    /* The listing and prune phases' callbacks (ingest_client_list_releases, _prune). */
    int (*list_fn)(void *arg, size_t node, const char *id, int64_t created, uint64_t files);
    void (*prune_fn)(void *arg, size_t node, const struct api_prune_answer *a);
    int (*release_fn)(void *arg, size_t node, const struct api_release *r);
    ingest_exchange_fn *exchange_fn;
    uint64_t *sizes; /* ingest_client_blob_sizes() fills it */
    void *fn_arg;
    size_t fn_node; /* the node whose answer is being decoded */
};

/* The upload r streams (NULL for a request with another body). */
static struct ingest_upload *upload_of(const struct ingest_req *r)
{
    return r->body_ops == &ingest_upload_ops ? r->body : NULL;
}

/* What a request of each kind is called in reasons ("bundle upload failed: ..."). */
static const char *const kind_name[] = {
    [REQ_MISSING] = "missing check",
    [REQ_BUNDLE] = "bundle upload",
    [REQ_BLOB] = "blob upload",
    [REQ_VARIANT] = "variant upload",
    [REQ_PUBLISH] = "publish",
    [REQ_GET_RELEASE] = "release read",
    [REQ_VERIFY_MISSING] = "missing check",
    [REQ_LIST_RELEASES] = "release listing",
    [REQ_PRUNE] = "prune",
    [REQ_BLOB_SIZE] = "blob size read",
    [REQ_PROBE] = "release probe",
    [REQ_EXCHANGE] = "request",
    [REQ_FETCH] = "fetch from seeds",
};

/* A request of kind to node ni (named by kind_name in reasons). */
static struct ingest_req *req_new(struct ingest_client *c, size_t ni, enum req_kind kind,
                                  const char *method, const char *path, enum ingest_ctype ctype)
{
    struct ingest_req *r = ingest_req_new(c->t, ni, kind_name[kind], method, path);

    r->kind = (int)kind;
    r->ctype = ctype;
    return r;
}

/* A request of node ni streaming an empty upload (raw: one item alone;
 * else a bundle); the caller adds the items. */
static struct ingest_req *upload_new(struct ingest_client *c, size_t ni, enum req_kind kind,
                                     const char *method, const char *path, int raw)
{
    struct ingest_req *r =
        req_new(c, ni, kind, method, path, raw ? INGEST_CT_OCTET : INGEST_CT_BUNDLE);

    r->body_ops = &ingest_upload_ops;
    r->body = ingest_upload_new(c->s, raw);
    return r;
}

/* Queues one request of kind to every healthy node (and, with
 * skip_unchanged, not marked unchanged), with body[0..len) (borrowed; NULL:
 * none), then runs them all. */
static void to_every_node(struct ingest_client *c, enum req_kind kind, const char *method,
                          const char *path, const char *body, size_t len, int skip_unchanged)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        struct ingest_req *r;

        if (c->nodes[i].failed || (skip_unchanged && c->nodes[i].unchanged))
            continue;
        r = req_new(c, i, kind, method, path, body != NULL ? INGEST_CT_JSON : INGEST_CT_NONE);
        r->mem = body;
        r->mem_len = len;
        if (kind == REQ_PRUNE)
            r->stall_s = PRUNE_WAIT_S;
        ingest_req_queue(c->t, r, 0);
    }
    ingest_transport_run(c->t);
}

static int on_missing_digest(void *arg, const unsigned char *d)
{
    struct ingest_client *c = arg;
    struct ingest_node *nd = &c->nodes[c->fn_node];
    size_t b = ingest_site_find_blob(c->s, d);

    if (b == (size_t)-1)
        return 1;
    if (!nd->lacks[b]) {
        nd->lacks[b] = 1;
        nd->missing++;
    }
    return 0;
}

static void on_conflict(void *arg, const char *path, const char *hex)
{
    struct ingest_node *nd = arg;

    ingest_buf_addf(&nd->conflicts, "%s (bound to %s)\n", path, hex ? hex : "other bytes");
    nd->nconflicts++;
}

static void count_items(struct ingest_node *nd, const struct ingest_req *r)
{
    size_t blobs, variants;

    ingest_upload_count(upload_of(r), &blobs, &variants);
    nd->blobs_sent += blobs;
    nd->variants_sent += variants;
    nd->bytes_sent += r->body_len;
}

/* A 200 to POST /v1/fetch: what the node still lacks is what it says. */
static void on_fetched(struct ingest_client *c, const struct ingest_req *r)
{
    struct ingest_node *nd = &c->nodes[r->node];
    struct api_fetch_answer a;
    char why[API_WHY_MAX];
    size_t i, b;

    if (api_fetch_answer_decode(r->resp.data, r->resp.len, &a, why, sizeof(why)) != 0) {
        ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "malformed fetch answer: %s", why);
        return;
    }
    memset(nd->lacks, 0, c->s->nblobs);
    nd->missing = 0;
    for (i = 0; i < a.nmissing; i++) {
        b = ingest_site_find_blob(c->s, a.missing[i]);
        if (b == (size_t)-1) {
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE,
                                  "fetch answer names a blob not asked for");
            break;
        }
        if (!nd->lacks[b]) {
            nd->lacks[b] = 1;
            nd->missing++;
        }
    }
    nd->fetched += (size_t)a.fetched;
    nd->fetched_variants += (size_t)a.variants;
    nd->fetched_bytes += a.bytes;
    api_fetch_answer_free(&a);
}

static void enqueue_variants(struct ingest_client *c, size_t ni, size_t blob);
static void deliver_release(struct ingest_client *c, const struct ingest_req *r);

/* Hands an exchange's answer to the caller (ingest_client_exchange). */
static void deliver_exchange(struct ingest_client *c, const struct ingest_req *r, long status)
{
    char why[400] = "";

    if (c->exchange_fn(c->fn_arg, r->node, status, r->resp.data != NULL ? r->resp.data : "",
                       r->resp.len, why, sizeof(why)) != 0)
        ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "%s", why[0] ? why : "refused");
}

static int on_listed_release(void *arg, const char *id, int64_t created, uint64_t files)
{
    struct ingest_client *c = arg;

    return c->list_fn(c->fn_arg, c->fn_node, id, created, files);
}

/* Handles a 2xx answer. */
static void on_success(struct ingest_client *c, struct ingest_req *r, long status)
{
    struct ingest_node *nd = &c->nodes[r->node];
    char err[200];

    switch (r->kind) {
    case REQ_MISSING:
        c->fn_node = r->node;
        if (api_answer_missing(r->resp.data, r->resp.len, on_missing_digest, c, err, sizeof(err)) !=
            0)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "malformed missing answer: %s",
                                  err);
        break;
    case REQ_BUNDLE:
    case REQ_VARIANT:
        count_items(nd, r);
        break;
    case REQ_BLOB:
        count_items(nd, r);
        enqueue_variants(c, r->node, ingest_upload_blob(upload_of(r), 0));
        break;
    case REQ_PUBLISH: {
        unsigned char d[STORE_DIGEST_LEN];

        nd->published = status == 201 ? 1 : 2;
        if (api_answer_publish_digest(r->resp.data, r->resp.len, d) == 0)
            store_digest_to_hex(d, nd->digest);
        else
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE,
                                  "publish answer has no release digest");
        break;
    }
    case REQ_GET_RELEASE:
        deliver_release(c, r);
        break;
    case REQ_PROBE: {
        const char *v = ingest_req_header(r, API_RELEASE_DIGEST_HEADER);

        nd->probed[0] = '\0';
        if (v != NULL && strlen(v) == STORE_HEX_LEN)
            memcpy(nd->probed, v, STORE_HEX_LEN + 1);
        break;
    }
    case REQ_EXCHANGE:
        deliver_exchange(c, r, status);
        break;
    case REQ_FETCH:
        on_fetched(c, r);
        break;
    case REQ_BLOB_SIZE: {
        int64_t clen = ingest_req_content_length(r);

        if (clen < 0)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE,
                                  "blob size read: no Content-Length");
        else
            c->sizes[r->idx] = (uint64_t)clen;
        break;
    }
    case REQ_LIST_RELEASES: {
        int rc;

        c->fn_node = r->node;
        rc = api_release_list_decode(r->resp.data, r->resp.len, on_listed_release, c, err,
                                     sizeof(err));
        if (rc == -1)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "malformed release listing: %s",
                                  err);
        else if (rc != 0)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_LOCAL,
                                  "out of memory reading the release listing");
        break;
    }
    case REQ_PRUNE: {
        struct api_prune_answer a;

        if (api_prune_answer_decode(r->resp.data, r->resp.len, &a, err, sizeof(err)) != 0) {
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "malformed prune answer: %s",
                                  err);
            break;
        }
        c->prune_fn(c->fn_arg, r->node, &a);
        api_prune_answer_free(&a);
        break;
    }
    case REQ_VERIFY_MISSING: {
        char first[STORE_HEX_LEN + 1];
        size_t n = api_answer_missing_count(r->resp.data, r->resp.len, first);

        if (n > 0)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE,
                                  "release incomplete: %zu blob(s) missing (first %s)", n, first);
        break;
    }
    }
}

/* Handles a final non-2xx answer (not retried). */
static void on_refusal(struct ingest_client *c, struct ingest_req *r, long status)
{
    struct ingest_node *nd = &c->nodes[r->node];
    char why[300], msg[300];

    api_answer_error(r->resp.data, r->resp.len, why, sizeof(why));
    if (status == 401) {
        ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "401 unauthorized (wrong token?)");
        return;
    }
    if (r->kind == REQ_PUBLISH && status == 409) {
        size_t n = api_answer_conflicts(r->resp.data, r->resp.len, on_conflict, nd);

        if (n > 0)
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_CONFLICT,
                                  "409 conflict: %zu path(s) already bound to other bytes", n);
        else
            ingest_transport_fail(c->t, r->node, INGEST_EXIT_CONFLICT, "409 conflict: %s", why);
        return;
    }
    if (r->kind == REQ_PUBLISH && status == 422) {
        char first[STORE_HEX_LEN + 1];
        size_t n = api_answer_missing_count(r->resp.data, r->resp.len, first);

        ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE,
                              "422 on publish: node lacks %zu blob(s) (first %s): %s", n, first,
                              why);
        return;
    }
    if (r->kind == REQ_EXCHANGE) {
        deliver_exchange(c, r, status); /* the caller knows what its refusals mean */
        return;
    }
    if (r->kind == REQ_FETCH) {
        /* a node without /v1/fetch (404), or one that refuses this request:
         * not a failed node, one to upload to directly */
        nd->fetch_refused = 1;
        snprintf(nd->fetch_note, sizeof(nd->fetch_note), "it refused the fetch: HTTP %ld: %.200s",
                 status, why[0] ? why : "(no reason given)");
        return;
    }
    if (r->kind == REQ_PROBE) {
        /* 404 (no such release yet) or anything a proxy or an old node may
         * answer: push as usual; the next phases name real failures */
        return;
    }
    if (r->kind == REQ_GET_RELEASE && status == 404) {
        ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "release %s not found",
                              c->release_id);
        return;
    }
    if ((r->kind == REQ_BUNDLE || r->kind == REQ_BLOB) && status == 422 &&
        ingest_upload_changed(upload_of(r), msg, sizeof(msg))) {
        ingest_transport_fail(c->t, r->node, INGEST_EXIT_LOCAL, "%s", msg);
        return;
    }
    ingest_transport_fail(c->t, r->node, INGEST_EXIT_NODE, "%s: HTTP %ld: %s", kind_name[r->kind],
                          status, why[0] ? why : "(no reason given)");
}

/* The transport's answer callback: every final answer of a healthy node. */
static void on_answer(void *arg, struct ingest_req *r, long status)
{
    struct ingest_client *c = arg;

    if (status >= 200 && status <= 299) {
        const char *enc = ingest_req_header(r, API_ENCODINGS_HEADER);

        if (enc != NULL) /* an answer without it leaves what is known */
            c->nodes[r->node].encodings = api_encodings_decode(enc);
        on_success(c, r, status);
    } else {
        on_refusal(c, r, status);
    }
}

/* ------------------------------------------------------------------ */
/* Phases                                                               */

struct ingest_client *ingest_client_reader(const char *const *urls, size_t n, const char *token,
                                           const char *cacert, unsigned jobs, unsigned retries)
{
    struct ingest_client_opts o;

    memset(&o, 0, sizeof(o));
    o.token = token;
    o.cacert = cacert;
    o.jobs = jobs;
    o.retries = retries;
    return ingest_client_new(urls, n, NULL, &o);
}

/* (s NULL: ingest_client_reader's empty site.) */
struct ingest_client *ingest_client_new(const char *const *urls, size_t n, struct ingest_site *s,
                                        const struct ingest_client_opts *o)
{
    struct ingest_client *c = ingest_xcalloc(1, sizeof(*c));
    size_t i;

    c->empty.root_fd = -1;
    if (s == NULL)
        s = &c->empty;
    c->s = s;
    c->o = *o;
    if (c->o.jobs < 1)
        c->o.jobs = 1;
    if (c->o.bundle_bytes < 4096)
        c->o.bundle_bytes = 4096;
    if (c->o.bundle_files < 1)
        c->o.bundle_files = 1;
    c->n = n;
    c->nodes = ingest_xcalloc(n ? n : 1, sizeof(*c->nodes));
    for (i = 0; i < n; i++) {
        size_t ul = strlen(urls[i]);

        while (ul > 0 && urls[i][ul - 1] == '/')
            ul--;
        c->nodes[i].url = ingest_xstrndup(urls[i], ul);
        c->nodes[i].lacks = ingest_xcalloc(s->nblobs ? s->nblobs : 1, 1);
        c->nodes[i].encodings = (1u << STORE_ENC_GZIP) | (1u << STORE_ENC_BR);
    }
    c->t = ingest_transport_new(c->nodes, n, &c->o, on_answer, c);
    if (c->t == NULL) {
        ingest_client_free(c);
        return NULL;
    }
    return c;
}

void ingest_client_free(struct ingest_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    ingest_transport_free(c->t);
    for (i = 0; i < c->n; i++) {
        free(c->nodes[i].url);
        free(c->nodes[i].lacks);
        buf_free(&c->nodes[i].conflicts);
    }
    free(c->nodes);
    free(c->shared_body);
    free(c->release_id);
    free(c);
}

struct ingest_site *ingest_client_site(struct ingest_client *c)
{
    return c->s;
}

struct ingest_node *ingest_client_nodes(struct ingest_client *c, size_t *n)
{
    *n = c->n;
    return c->nodes;
}

void ingest_client_fail_all(struct ingest_client *c, int cls, const char *msg)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (!c->nodes[i].failed)
            ingest_transport_fail(c->t, i, cls, "%s", msg);
    }
}

static void set_shared(struct ingest_client *c, char *body, size_t len)
{
    free(c->shared_body);
    c->shared_body = body;
    c->shared_len = len;
}

void ingest_client_probe(struct ingest_client *c, const char *id)
{
    struct buf path = {0};

    ingest_buf_addf(&path, "%s/%s", API_PATH_RELEASES, id);
    to_every_node(c, REQ_PROBE, "HEAD", path.data, NULL, 0, 0);
    buf_free(&path);
}

void ingest_client_set_unchanged(struct ingest_client *c, size_t ni,
                                 const char digest[STORE_HEX_LEN + 1])
{
    struct ingest_node *nd = &c->nodes[ni];

    if (nd->failed)
        return;
    nd->unchanged = 1;
    nd->published = 2;
    memcpy(nd->digest, digest, sizeof(nd->digest));
}

void ingest_client_missing(struct ingest_client *c)
{
    size_t i, b, len = 0, ask = 0;
    char *body = NULL;

    for (i = 0; i < c->n; i++)
        ask += !c->nodes[i].failed && !c->nodes[i].unchanged;
    if (ask > 0) {
        unsigned char(*d)[STORE_DIGEST_LEN] = ingest_xcalloc(c->s->nblobs + 1, sizeof(*d));

        for (b = 0; b < c->s->nblobs; b++)
            memcpy(d[b], c->s->blobs[b].digest, STORE_DIGEST_LEN);
        body = api_missing_request_encode(d, c->s->nblobs, &len);
        free(d);
        if (body == NULL)
            ingest_client_fail_all(c, INGEST_EXIT_LOCAL,
                                   "out of memory encoding the missing check");
    }
    set_shared(c, body, len);
    to_every_node(c, REQ_MISSING, "POST", API_PATH_MISSING, c->shared_body, c->shared_len, 1);
    for (b = 0; b < c->s->nblobs; b++) {
        c->s->blobs[b].needed = 0;
        for (i = 0; i < c->n; i++) {
            if (!c->nodes[i].failed && c->nodes[i].lacks[b])
                c->s->blobs[b].needed = 1;
        }
    }
}

/* An upload of one item (blob of the site, encoding enc) alone to node ni. */
static struct ingest_req *upload_one(struct ingest_client *c, size_t ni, enum req_kind kind,
                                     const char *path, size_t blob, int enc)
{
    struct ingest_req *r = upload_new(c, ni, kind, "PUT", path, 1);

    r->body_len = ingest_upload_add(r->body, blob, enc);
    return r;
}

static void enqueue_variants(struct ingest_client *c, size_t ni, size_t blob)
{
    const struct ingest_blob *b = &c->s->blobs[blob];
    char hex[STORE_HEX_LEN + 1];
    int enc;

    store_digest_to_hex(b->digest, hex);
    for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++) {
        struct buf path = {0};

        if (b->var[enc].data == NULL || !(c->nodes[ni].encodings & (1u << enc)))
            continue;
        ingest_buf_addf(&path, "%s/%s/%s", API_PATH_BLOBS, hex, store_encoding_name(enc));
        ingest_req_queue(c->t, upload_one(c, ni, REQ_VARIANT, path.data, blob, enc), 1);
        buf_free(&path);
    }
}

static void plan_uploads(struct ingest_client *c, size_t ni)
{
    struct ingest_node *nd = &c->nodes[ni];
    struct ingest_req *bundle = NULL;
    size_t b;
    uint64_t need;
    int enc;

    /* Big blobs alone first (they take longest), then bundles. */
    for (b = 0; b < c->s->nblobs; b++) {
        const struct ingest_blob *bl = &c->s->blobs[b];
        char hex[STORE_HEX_LEN + 1];
        struct buf path = {0};

        if (!nd->lacks[b] || bl->size <= c->o.bundle_bytes)
            continue;
        store_digest_to_hex(bl->digest, hex);
        ingest_buf_addf(&path, "%s/%s", API_PATH_BLOBS, hex);
        ingest_req_queue(c->t, upload_one(c, ni, REQ_BLOB, path.data, b, STORE_ENC_IDENTITY), 0);
        buf_free(&path);
        nd->bytes_planned += bl->size;
        for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++)
            nd->bytes_planned += (nd->encodings & (1u << enc)) ? bl->var[enc].len : 0;
    }
    for (b = 0; b < c->s->nblobs; b++) {
        const struct ingest_blob *bl = &c->s->blobs[b];

        if (!nd->lacks[b] || bl->size > c->o.bundle_bytes)
            continue;
        /* close the bundle before this blob would take it past bundle_bytes:
         * a node keeps a body of up to 8 MiB (the default) in memory and
         * spools a larger one to a temporary file first */
        need = REC_HDR + bl->size;
        for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++)
            need += bl->var[enc].data != NULL && (nd->encodings & (1u << enc))
                        ? REC_HDR + bl->var[enc].len
                        : 0;
        if (bundle != NULL && bundle->body_len + need > c->o.bundle_bytes) {
            ingest_req_queue(c->t, bundle, 0);
            bundle = NULL;
        }
        for (enc = 0; enc < STORE_ENC_COUNT; enc++) {
            uint64_t len = enc == STORE_ENC_IDENTITY ? bl->size : bl->var[enc].len;

            if (enc != STORE_ENC_IDENTITY &&
                (bl->var[enc].data == NULL || !(nd->encodings & (1u << enc))))
                continue;
            if (bundle == NULL)
                bundle = upload_new(c, ni, REQ_BUNDLE, "POST", API_PATH_BUNDLE, 0);
            bundle->body_len += ingest_upload_add(bundle->body, b, enc);
            nd->bytes_planned += REC_HDR + len;
        }
        if (bundle != NULL && ingest_upload_items(bundle->body) >= c->o.bundle_files) {
            ingest_req_queue(c->t, bundle, 0);
            bundle = NULL;
        }
    }
    if (bundle != NULL)
        ingest_req_queue(c->t, bundle, 0);
}

void ingest_client_upload(struct ingest_client *c)
{
    ingest_client_upload_only(c, NULL);
}

void ingest_client_upload_only(struct ingest_client *c, const unsigned char *only)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        if (!c->nodes[i].failed && !c->nodes[i].unchanged && (only == NULL || only[i]))
            plan_uploads(c, i);
    }
    ingest_transport_run(c->t);
}

void ingest_client_fetch(struct ingest_client *c, char *const *bodies, const size_t *lens)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        struct ingest_req *r;

        if (c->nodes[i].failed || bodies[i] == NULL)
            continue;
        r = req_new(c, i, REQ_FETCH, "POST", API_PATH_FETCH, INGEST_CT_JSON);
        r->stall_s = FETCH_WAIT_S;
        r->mem = bodies[i];
        r->mem_len = lens[i];
        ingest_req_queue(c->t, r, 0);
    }
    ingest_transport_run(c->t);
}

void ingest_client_publish(struct ingest_client *c, const char *id)
{
    struct buf path = {0};
    struct store_file *sf;
    size_t i, len = 0, ask = 0;
    char *body;

    for (i = 0; i < c->n; i++)
        ask += !c->nodes[i].failed && !c->nodes[i].unchanged;
    if (ask == 0)
        return;
    /* published stamps each path's first publish time for the whole fleet:
     * the file's modification time (never later than now), so every node,
     * pushed now or later from the same build, binds it with the same
     * Last-Modified; a node that has the path already keeps its own */
    sf = ingest_site_store_files(c->s, (int64_t)time(NULL));
    body = api_release_request_encode(sf, c->s->nfiles, &len);
    free(sf);
    if (body == NULL) {
        ingest_client_fail_all(c, INGEST_EXIT_LOCAL, "cannot encode the release request");
        return;
    }
    set_shared(c, body, len);
    free(c->release_id);
    c->release_id = ingest_xstrdup(id);
    ingest_buf_addf(&path, "%s/%s", API_PATH_RELEASES, id);
    to_every_node(c, REQ_PUBLISH, "PUT", path.data, c->shared_body, c->shared_len, 1);
    buf_free(&path);
}

/* Asks node ni whether it holds every blob of rel (verify's second step). */
static void enqueue_verify_missing(struct ingest_client *c, size_t ni,
                                   const struct api_release *rel)
{
    unsigned char(*d)[STORE_DIGEST_LEN] = ingest_xcalloc(rel->n + 1, sizeof(*d));
    struct ingest_req *r;
    size_t i, len = 0;
    char *body;

    for (i = 0; i < rel->n; i++)
        memcpy(d[i], rel->files[i].digest, STORE_DIGEST_LEN);
    body = api_missing_request_encode(d, rel->n, &len);
    free(d);
    if (body == NULL) {
        ingest_transport_fail(c->t, ni, INGEST_EXIT_LOCAL,
                              "out of memory encoding the missing check");
        return;
    }
    r = req_new(c, ni, REQ_VERIFY_MISSING, "POST", API_PATH_MISSING, INGEST_CT_JSON);
    r->mem_owned = body;
    r->mem = body;
    r->mem_len = len;
    ingest_req_queue(c->t, r, 1);
}

/* GET /v1/releases/<id> on every healthy node; on_success decodes each. */
static void get_release_phase(struct ingest_client *c, const char *id)
{
    struct buf path = {0};

    free(c->release_id);
    c->release_id = ingest_xstrdup(id);
    ingest_buf_addf(&path, "%s/%s", API_PATH_RELEASES, id);
    to_every_node(c, REQ_GET_RELEASE, "GET", path.data, NULL, 0, 0);
    buf_free(&path);
}

void ingest_client_verify(struct ingest_client *c, const char *id)
{
    get_release_phase(c, id);
}

/* A 2xx to GET /v1/releases/<id>: to the caller (get_release), or on to
 * the missing check (verify). */
static void deliver_release(struct ingest_client *c, const struct ingest_req *got)
{
    struct api_release rel;
    char why[API_WHY_MAX];

    if (api_release_decode(got->resp.data, got->resp.len, c->release_id, &rel, why, sizeof(why)) !=
        0) {
        ingest_transport_fail(c->t, got->node, INGEST_EXIT_NODE, "malformed release answer: %s",
                              why);
        return;
    }
    c->nodes[got->node].verified_files = rel.n;
    store_digest_to_hex(rel.digest, c->nodes[got->node].digest);
    if (c->release_fn == NULL)
        enqueue_verify_missing(c, got->node, &rel);
    else if (c->release_fn(c->fn_arg, got->node, &rel) != 0)
        ingest_transport_fail(c->t, got->node, INGEST_EXIT_LOCAL,
                              "out of memory reading the release");
    api_release_free(&rel);
}

void ingest_client_get_release(struct ingest_client *c, const char *id,
                               int (*fn)(void *arg, size_t node, const struct api_release *r),
                               void *arg)
{
    c->release_fn = fn;
    c->fn_arg = arg;
    get_release_phase(c, id);
    c->release_fn = NULL;
}

void ingest_client_blob_sizes(struct ingest_client *c, size_t ni, const unsigned char *digests,
                              size_t n, uint64_t *sizes)
{
    size_t i;

    c->sizes = sizes;
    for (i = 0; i < n && !c->nodes[ni].failed; i++) {
        char hex[STORE_HEX_LEN + 1], path[sizeof(API_PATH_BLOBS) + STORE_HEX_LEN + 2];
        struct ingest_req *r;

        store_digest_to_hex(digests + i * STORE_DIGEST_LEN, hex);
        snprintf(path, sizeof(path), "%s/%s", API_PATH_BLOBS, hex);
        r = req_new(c, ni, REQ_BLOB_SIZE, "HEAD", path, INGEST_CT_NONE);
        r->idx = i;
        ingest_req_queue(c->t, r, 0);
    }
    ingest_transport_run(c->t);
    c->sizes = NULL;
}

void ingest_client_list_releases(struct ingest_client *c,
                                 int (*fn)(void *arg, size_t node, const char *id, int64_t created,
                                           uint64_t files),
                                 void *arg)
{
    c->list_fn = fn;
    c->fn_arg = arg;
    to_every_node(c, REQ_LIST_RELEASES, "GET", API_PATH_RELEASES, NULL, 0, 0);
    c->list_fn = NULL;
}

void ingest_client_prune(struct ingest_client *c, const char *body, size_t len,
                         void (*fn)(void *arg, size_t node, const struct api_prune_answer *a),
                         void *arg)
{
    c->prune_fn = fn;
    c->fn_arg = arg;
    to_every_node(c, REQ_PRUNE, "POST", API_PATH_PRUNE, body, len, 0);
    c->prune_fn = NULL;
}

void ingest_client_exchange(struct ingest_client *c, const char *method, const char *path,
                            const char *body, size_t len, ingest_exchange_fn *fn, void *arg)
{
    c->exchange_fn = fn;
    c->fn_arg = arg;
    to_every_node(c, REQ_EXCHANGE, method, path, body, len, 0);
    c->exchange_fn = NULL;
}
