/*
 * node.c - talks to origind admin listeners for origin-ingest (libcurl multi).
 *
 * For: batching the missing check, streaming bundles and big blobs straight
 * from the build directory (pread, no copy of the site in memory), the
 * release listing and the prune request of `prune`, retrying transient
 * failures, and turning each answer into a per-node outcome.
 * Not for: deciding exit codes across nodes or printing (report.c, cmd_*.c),
 * parsing JSON bodies (api/).
 */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <curl/header.h>

#include "api.h"
#include "hash.h"
#include "manifest.h"
#include "tls_client.h"

#define RESP_MAX     (64u << 20) /* largest answer body kept */
#define REC_HDR      (1 + STORE_DIGEST_LEN + 8)
#define BACKOFF_BASE 0.25
#define BACKOFF_CAP  8.0
#define CONNECT_MS   3000L
#define UPLOAD_BUFSZ (512L * 1024)
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

struct item {
    size_t blob;
    int enc;
};

struct req {
    struct req *next;
    struct ingest_client *c;
    size_t node;
    enum req_kind kind;
    char *url;
    const char *method; /* "POST", "PUT", "GET" */
    const struct curl_slist *hdrs;
    /* Body from memory (borrowed unless mem_owned). */
    const char *mem;
    size_t mem_len;
    char *mem_owned;
    /* Body streamed from items: records (bundle) or one raw item. */
    struct item *items;
    size_t nitems;
    int raw;
    uint64_t body_len;
    /* Read state. */
    size_t cur;
    uint64_t cur_off;
    int fd;
    int local_error;
    char local_msg[300];
    /* Answer. */
    struct ingest_buf resp;
    int resp_overflow;
    unsigned attempts;
    double ready_at;
    /* REQ_BLOB_SIZE: the entry it asks about, and the Content-Length answered. */
    size_t idx;
    curl_off_t clen;
    /* REQ_PROBE: the API_RELEASE_DIGEST_HEADER answered ("" if none). */
    char probe_digest[STORE_HEX_LEN + 1];
    CURL *easy;
};

struct ingest_client {
    CURLM *multi;
    struct ingest_site *s;
    struct ingest_client_opts o;
    struct ingest_node *nodes;
    size_t n;
    struct req **pending; /* per node: singly linked list */
    unsigned *active;     /* per node */
    struct curl_slist **hdr_json, **hdr_bundle, **hdr_octet, **hdr_none;
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
    unsigned seed;
    double last_tick;
};

/* ------------------------------------------------------------------ */

static void node_fail(struct ingest_client *c, size_t ni, int cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void req_free(struct req *r)
{
    if (r == NULL)
        return;
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    if (r->fd >= 0)
        close(r->fd);
    free(r->url);
    free(r->mem_owned);
    free(r->items);
    ingest_buf_free(&r->resp);
    free(r);
}

static struct req *req_new(struct ingest_client *c, size_t ni, enum req_kind kind,
                           const char *method, const char *path)
{
    struct req *r = ingest_xcalloc(1, sizeof(*r));
    struct ingest_buf u = {0};

    r->c = c;
    r->node = ni;
    r->kind = kind;
    r->method = method;
    r->fd = -1;
    ingest_buf_addf(&u, "%s%s", c->nodes[ni].url, path);
    r->url = u.data;
    return r;
}

static void enqueue(struct ingest_client *c, struct req *r, int front)
{
    struct req **p = &c->pending[r->node];

    if (front) {
        r->next = *p;
        *p = r;
        return;
    }
    while (*p != NULL)
        p = &(*p)->next;
    r->next = NULL;
    *p = r;
}

/* ------------------------------------------------------------------ */
/* Streaming bodies                                                     */

static uint64_t item_len(const struct ingest_client *c, const struct item *it)
{
    const struct ingest_blob *b = &c->s->blobs[it->blob];

    return it->enc == STORE_ENC_IDENTITY ? b->size : b->var[it->enc].len;
}

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct req *r = arg;
    struct ingest_client *c = r->c;
    size_t cap = size * nmemb, out = 0;

    while (out < cap && r->cur < r->nitems) {
        const struct item *it = &r->items[r->cur];
        const struct ingest_blob *b = &c->s->blobs[it->blob];
        uint64_t plen = item_len(c, it), hdr = r->raw ? 0 : REC_HDR, off;

        if (r->cur_off < hdr) {
            unsigned char h[REC_HDR];
            size_t k, take;

            h[0] = (unsigned char)it->enc;
            memcpy(h + 1, b->digest, STORE_DIGEST_LEN);
            for (k = 0; k < 8; k++)
                h[1 + STORE_DIGEST_LEN + k] = (unsigned char)(plen >> (56 - 8 * k));
            take = (size_t)(hdr - r->cur_off);
            if (take > cap - out)
                take = cap - out;
            memcpy(buf + out, h + r->cur_off, take);
            out += take;
            r->cur_off += take;
            continue;
        }
        off = r->cur_off - hdr;
        if (off < plen) {
            size_t take = plen - off > cap - out ? cap - out : (size_t)(plen - off);

            if (it->enc != STORE_ENC_IDENTITY) {
                memcpy(buf + out, b->var[it->enc].data + off, take);
            } else {
                const struct ingest_file *f = &c->s->files[b->file];
                ssize_t got;

                if (r->fd < 0) {
                    struct stat st;

                    r->fd =
                        openat(c->s->root_fd, f->rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                    if (r->fd < 0 || fstat(r->fd, &st) != 0 || (uint64_t)st.st_size != plen) {
                        snprintf(r->local_msg, sizeof(r->local_msg),
                                 "%s changed or vanished during the push", f->rel);
                        r->local_error = 1;
                        return CURL_READFUNC_ABORT;
                    }
                }
                got = pread(r->fd, buf + out, take, (off_t)off);
                if (got <= 0) {
                    snprintf(r->local_msg, sizeof(r->local_msg), "%s: %s", f->rel,
                             got < 0 ? strerror(errno) : "shrank during the push");
                    r->local_error = 1;
                    return CURL_READFUNC_ABORT;
                }
                take = (size_t)got;
            }
            out += take;
            r->cur_off += take;
            continue;
        }
        /* Item done. */
        if (r->fd >= 0) {
            close(r->fd);
            r->fd = -1;
        }
        r->cur++;
        r->cur_off = 0;
    }
    c->nodes[r->node].bytes_progress += out;
    return out;
}

static int seek_cb(void *arg, curl_off_t offset, int origin)
{
    struct req *r = arg;

    if (origin != SEEK_SET || offset != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    r->cur = 0;
    r->cur_off = 0;
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct req *r = arg;
    size_t n = size * nmemb;

    if (r->resp.len + n > RESP_MAX) {
        r->resp_overflow = 1;
        return 0;
    }
    ingest_buf_add(&r->resp, data, n);
    return n;
}

/* ------------------------------------------------------------------ */
/* Starting and finishing transfers                                     */

static int start(struct ingest_client *c, struct req *r)
{
    CURL *e = curl_easy_init();

    if (e == NULL)
        return -1;
    r->easy = e;
    ingest_buf_free(&r->resp);
    r->resp_overflow = 0;
    r->local_error = 0;
    r->cur = 0;
    r->cur_off = 0;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                     r->kind == REQ_PRUNE   ? PRUNE_WAIT_S
                     : r->kind == REQ_FETCH ? FETCH_WAIT_S
                                            : 60L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "origin-ingest/" ORIGIND_VERSION);
    tls_client_setopt(e, c->o.cacert);
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        if (strcmp(r->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->items != NULL) {
            curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
            curl_easy_setopt(e, CURLOPT_READDATA, r);
            curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
            curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
            curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFSZ);
        } else {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->mem);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->mem_len);
        }
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        r->easy = NULL;
        return -1;
    }
    c->active[r->node]++;
    return 0;
}

/* Detaches r's transfer from the multi handle (the request stays). */
static void detach(struct ingest_client *c, struct req *r)
{
    if (r->easy == NULL)
        return;
    curl_multi_remove_handle(c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    c->active[r->node]--;
}

static void node_fail(struct ingest_client *c, size_t ni, int cls, const char *fmt, ...)
{
    struct ingest_node *nd = &c->nodes[ni];
    struct req *r, *next;
    va_list ap;

    if (nd->failed) /* keep the first reason */
        goto drop;
    nd->failed = cls;
    va_start(ap, fmt);
    vsnprintf(nd->error, sizeof(nd->error), fmt, ap);
    va_end(ap);
drop:
    for (r = c->pending[ni]; r != NULL; r = next) {
        next = r->next;
        req_free(r);
    }
    c->pending[ni] = NULL;
}

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return 0;
    default:
        return 1;
    }
}

static int retryable_status(long st)
{
    return st >= 500 && st <= 599 && st != 501 && st != 505 && st != 507;
}

static double backoff(struct ingest_client *c, unsigned attempt)
{
    double d = BACKOFF_BASE * pow(2.0, (double)(attempt - 1));
    double j = 0.5 + 0.5 * ((double)rand_r(&c->seed) / (double)RAND_MAX);

    if (d > BACKOFF_CAP)
        d = BACKOFF_CAP;
    return d * j;
}

static const char *kind_name(enum req_kind k)
{
    switch (k) {
    case REQ_MISSING:
    case REQ_VERIFY_MISSING:
        return "missing check";
    case REQ_BUNDLE:
        return "bundle upload";
    case REQ_BLOB:
        return "blob upload";
    case REQ_VARIANT:
        return "variant upload";
    case REQ_PUBLISH:
        return "publish";
    case REQ_GET_RELEASE:
        return "release read";
    case REQ_LIST_RELEASES:
        return "release listing";
    case REQ_PRUNE:
        return "prune";
    case REQ_BLOB_SIZE:
        return "blob size read";
    case REQ_PROBE:
        return "release probe";
    case REQ_EXCHANGE:
        return "request";
    case REQ_FETCH:
        return "fetch from seeds";
    }
    return "request";
}

static int on_missing_digest(void *arg, const unsigned char *d)
{
    struct req *r = arg;
    struct ingest_client *c = r->c;
    struct ingest_node *nd = &c->nodes[r->node];
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

/* After a 422 on an upload: did a local file change? Fills msg if so. */
static int local_changed(struct ingest_client *c, const struct req *r, char *msg, size_t len)
{
    size_t i;

    for (i = 0; i < r->nitems; i++) {
        const struct ingest_blob *b = &c->s->blobs[r->items[i].blob];
        unsigned char now[STORE_DIGEST_LEN];

        if (r->items[i].enc != STORE_ENC_IDENTITY)
            continue;
        if (ingest_file_unchanged(c->s, b->file, msg, len) != 0)
            return 1;
        if (ingest_file_rehash(c->s, b->file, now) != 0 ||
            memcmp(now, b->digest, STORE_DIGEST_LEN) != 0) {
            snprintf(msg, len, "%s changed during the push (after it was hashed)",
                     c->s->files[b->file].rel);
            return 1;
        }
    }
    return 0;
}

static void count_items(struct ingest_node *nd, const struct req *r)
{
    size_t i;

    for (i = 0; i < r->nitems; i++) {
        if (r->items[i].enc == STORE_ENC_IDENTITY)
            nd->blobs_sent++;
        else
            nd->variants_sent++;
    }
    nd->bytes_sent += r->body_len;
}

/* A 200 to POST /v1/fetch: what the node still lacks is what it says. */
static void on_fetched(struct ingest_client *c, const struct req *r)
{
    struct ingest_node *nd = &c->nodes[r->node];
    struct api_fetch_answer a;
    char why[API_WHY_MAX];
    size_t i, b;

    if (api_fetch_answer_decode(r->resp.data, r->resp.len, &a, why, sizeof(why)) != 0) {
        node_fail(c, r->node, INGEST_EXIT_NODE, "malformed fetch answer: %s", why);
        return;
    }
    memset(nd->lacks, 0, c->s->nblobs);
    nd->missing = 0;
    for (i = 0; i < a.nmissing; i++) {
        b = ingest_site_find_blob(c->s, a.missing[i]);
        if (b == (size_t)-1) {
            node_fail(c, r->node, INGEST_EXIT_NODE, "fetch answer names a blob not asked for");
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
static void enqueue_verify_missing(struct ingest_client *c, size_t ni, const struct req *r);
static void deliver_release(struct ingest_client *c, const struct req *r);

/* Hands an exchange's answer to the caller (ingest_client_exchange). */
static void deliver_exchange(struct ingest_client *c, const struct req *r, long status)
{
    char why[400] = "";

    if (c->exchange_fn(c->fn_arg, r->node, status, r->resp.data != NULL ? r->resp.data : "",
                       r->resp.len, why, sizeof(why)) != 0)
        node_fail(c, r->node, INGEST_EXIT_NODE, "%s", why[0] ? why : "refused");
}

static int on_listed_release(void *arg, const char *id, int64_t created, uint64_t files)
{
    struct ingest_client *c = arg;

    return c->list_fn(c->fn_arg, c->fn_node, id, created, files);
}

/* Handles a 2xx answer. */
static void on_success(struct ingest_client *c, struct req *r, long status)
{
    struct ingest_node *nd = &c->nodes[r->node];
    char err[200];

    switch (r->kind) {
    case REQ_MISSING:
        if (api_answer_missing(r->resp.data, r->resp.len, on_missing_digest, r, err, sizeof(err)) !=
            0)
            node_fail(c, r->node, INGEST_EXIT_NODE, "malformed missing answer: %s", err);
        break;
    case REQ_BUNDLE:
    case REQ_VARIANT:
        count_items(nd, r);
        break;
    case REQ_BLOB:
        count_items(nd, r);
        enqueue_variants(c, r->node, r->items[0].blob);
        break;
    case REQ_PUBLISH: {
        unsigned char d[STORE_DIGEST_LEN];

        nd->published = status == 201 ? 1 : 2;
        if (api_answer_publish_digest(r->resp.data, r->resp.len, d) == 0)
            store_digest_to_hex(d, nd->digest);
        else
            node_fail(c, r->node, INGEST_EXIT_NODE, "publish answer has no release digest");
        break;
    }
    case REQ_GET_RELEASE:
        if (c->release_fn != NULL)
            deliver_release(c, r);
        else
            enqueue_verify_missing(c, r->node, r);
        break;
    case REQ_PROBE:
        memcpy(nd->probed, r->probe_digest, sizeof(nd->probed));
        break;
    case REQ_EXCHANGE:
        deliver_exchange(c, r, status);
        break;
    case REQ_FETCH:
        on_fetched(c, r);
        break;
    case REQ_BLOB_SIZE:
        if (r->clen < 0)
            node_fail(c, r->node, INGEST_EXIT_NODE, "blob size read: no Content-Length");
        else
            c->sizes[r->idx] = (uint64_t)r->clen;
        break;
    case REQ_LIST_RELEASES: {
        int rc;

        c->fn_node = r->node;
        rc = api_release_list_decode(r->resp.data, r->resp.len, on_listed_release, c, err,
                                     sizeof(err));
        if (rc == -1)
            node_fail(c, r->node, INGEST_EXIT_NODE, "malformed release listing: %s", err);
        else if (rc != 0)
            node_fail(c, r->node, INGEST_EXIT_LOCAL, "out of memory reading the release listing");
        break;
    }
    case REQ_PRUNE: {
        struct api_prune_answer a;

        if (api_prune_answer_decode(r->resp.data, r->resp.len, &a, err, sizeof(err)) != 0) {
            node_fail(c, r->node, INGEST_EXIT_NODE, "malformed prune answer: %s", err);
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
            node_fail(c, r->node, INGEST_EXIT_NODE,
                      "release incomplete: %zu blob(s) missing (first %s)", n, first);
        break;
    }
    }
}

/* Handles a final non-2xx answer (not retried). */
static void on_refusal(struct ingest_client *c, struct req *r, long status)
{
    struct ingest_node *nd = &c->nodes[r->node];
    char why[300], msg[300];

    api_answer_error(r->resp.data, r->resp.len, why, sizeof(why));
    if (status == 401) {
        node_fail(c, r->node, INGEST_EXIT_NODE, "401 unauthorized (wrong token?)");
        return;
    }
    if (r->kind == REQ_PUBLISH && status == 409) {
        size_t n = api_answer_conflicts(r->resp.data, r->resp.len, on_conflict, nd);

        if (n > 0)
            node_fail(c, r->node, INGEST_EXIT_CONFLICT,
                      "409 conflict: %zu path(s) already bound to other bytes", n);
        else
            node_fail(c, r->node, INGEST_EXIT_CONFLICT, "409 conflict: %s", why);
        return;
    }
    if (r->kind == REQ_PUBLISH && status == 422) {
        char first[STORE_HEX_LEN + 1];
        size_t n = api_answer_missing_count(r->resp.data, r->resp.len, first);

        node_fail(c, r->node, INGEST_EXIT_NODE,
                  "422 on publish: node lacks %zu blob(s) (first %s): %s", n, first, why);
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
        node_fail(c, r->node, INGEST_EXIT_NODE, "release %s not found", c->release_id);
        return;
    }
    if ((r->kind == REQ_BUNDLE || r->kind == REQ_BLOB) && status == 422 &&
        local_changed(c, r, msg, sizeof(msg))) {
        node_fail(c, r->node, INGEST_EXIT_LOCAL, "%s", msg);
        return;
    }
    node_fail(c, r->node, INGEST_EXIT_NODE, "%s: HTTP %ld: %s", kind_name(r->kind), status,
              why[0] ? why : "(no reason given)");
}

/* Reads the node's Origind-Encodings header (api.h) into nd->encodings;
 * an answer without it leaves what is known. */
static void note_encodings(CURL *easy, struct ingest_node *nd)
{
    struct curl_header *h = NULL;
    const char *p;
    unsigned m = 0;

    if (curl_easy_header(easy, API_ENCODINGS_HEADER, 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
        h == NULL)
        return;
    for (p = h->value; *p != '\0';) {
        size_t n;
        int enc;

        p += strspn(p, " \t,");
        n = strcspn(p, " \t,");
        if (n == 0)
            break;
        enc = store_encoding_parse(p, n);
        if (enc > STORE_ENC_IDENTITY)
            m |= 1u << enc;
        else if (n == 3 && memcmp(p, "dcz", 3) == 0)
            m |= INGEST_ENC_DCZ;
        p += n;
    }
    nd->encodings = m;
}

static void finish(struct ingest_client *c, struct req *r, CURLcode rc)
{
    struct ingest_node *nd = &c->nodes[r->node];
    long status = 0;
    char why[CURL_ERROR_SIZE + 64];
    int retry = 0;

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    {
        curl_off_t up = 0; /* what went out, whatever the answer */

        if (curl_easy_getinfo(r->easy, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
            nd->bytes_uploaded += (uint64_t)up;
    }
    if (rc == CURLE_OK && status > 0) {
        /* every answer of an origind admin listener states its API version:
         * a 2xx body is trusted only from a compatible node; another answer
         * without the header may come from a proxy in front (handled as
         * usual), with another version it stops here */
        struct curl_header *h = NULL;
        char who[600];

        snprintf(who, sizeof(who), "node %s", nd->url);
        if (curl_easy_header(r->easy, API_VERSION_HEADER, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
            h = NULL;
        if ((h != NULL || (status >= 200 && status <= 299)) &&
            api_version_check(h != NULL ? h->value : NULL, who, why, sizeof(why)) != 0) {
            detach(c, r);
            nd->requests++;
            if (!nd->failed)
                node_fail(c, r->node, INGEST_EXIT_NODE, "%s", why);
            req_free(r);
            return;
        }
    }
    if (rc == CURLE_OK && status >= 200 && status <= 299)
        note_encodings(r->easy, nd);
    r->clen = -1;
    if (r->kind == REQ_BLOB_SIZE)
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &r->clen);
    r->probe_digest[0] = '\0';
    if (r->kind == REQ_PROBE && rc == CURLE_OK) {
        struct curl_header *h = NULL;

        if (curl_easy_header(r->easy, API_RELEASE_DIGEST_HEADER, 0, CURLH_HEADER, -1, &h) ==
                CURLHE_OK &&
            h != NULL && strlen(h->value) == STORE_HEX_LEN)
            memcpy(r->probe_digest, h->value, STORE_HEX_LEN + 1);
    }
    detach(c, r);
    nd->requests++;
    if (nd->failed) {
        req_free(r);
        return;
    }
    if (r->local_error) {
        node_fail(c, r->node, INGEST_EXIT_LOCAL, "%s", r->local_msg);
        req_free(r);
        return;
    }
    if (rc != CURLE_OK) {
        tls_client_strerror(rc, c->o.cacert, why, sizeof(why));
        retry = retryable_curl(rc) && !tls_client_fatal(rc); /* never retried, never downgraded */
    } else if (status >= 200 && status <= 299) {
        on_success(c, r, status);
        req_free(r);
        return;
    } else if (retryable_status(status)) {
        char reason[200];

        api_answer_error(r->resp.data, r->resp.len, reason, sizeof(reason));
        snprintf(why, sizeof(why), "HTTP %ld%s%s", status, reason[0] ? ": " : "", reason);
        retry = 1;
    } else {
        on_refusal(c, r, status);
        req_free(r);
        return;
    }
    if (!retry || r->attempts >= c->o.retries) {
        node_fail(c, r->node, INGEST_EXIT_NODE, "%s failed%s: %s", kind_name(r->kind),
                  retry ? " after retries" : "", why);
        req_free(r);
        return;
    }
    r->attempts++;
    nd->retries++;
    r->ready_at = ingest_now() + backoff(c, r->attempts);
    enqueue(c, r, 1);
}

/* Runs every queued request to completion (or node failure). */
static void run(struct ingest_client *c)
{
    for (;;) {
        double now = ingest_now(), next = now + 0.1;
        int work = 0, running = 0, left = 0, finished = 0;
        size_t ni;
        CURLMsg *m;

        for (ni = 0; ni < c->n; ni++) {
            struct req **p = &c->pending[ni];

            while (*p != NULL) {
                struct req *r = *p;

                if (c->nodes[ni].failed)
                    break;
                if (c->active[ni] >= c->o.jobs)
                    break;
                if (r->ready_at > now) {
                    if (r->ready_at < next)
                        next = r->ready_at;
                    p = &r->next;
                    continue;
                }
                *p = r->next;
                r->next = NULL;
                if (start(c, r) != 0) {
                    req_free(r);
                    node_fail(c, ni, INGEST_EXIT_LOCAL, "cannot start a transfer");
                    break;
                }
            }
            if (c->pending[ni] != NULL || c->active[ni] > 0)
                work = 1;
        }
        if (!work)
            break;
        curl_multi_perform(c->multi, &running);
        while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
            struct req *r = NULL;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            finish(c, r, m->data.result);
            finished++;
        }
        /* A failed node's transfers still running end by themselves; finish() drops them. */
        now = ingest_now();
        if (c->o.tick != NULL && now - c->last_tick >= 0.1) {
            c->last_tick = now;
            c->o.tick(c->o.tick_arg);
        }
        if (finished > 0)
            continue; /* start what became ready, or notice that all is done */
        {
            double wait = next - now;
            int ms = wait <= 0 ? 0 : (int)(wait * 1000.0) + 1;

            if (ms > 100)
                ms = 100;
            curl_multi_poll(c->multi, NULL, 0, ms, NULL);
        }
    }
    if (c->o.tick != NULL)
        c->o.tick(c->o.tick_arg);
}

/* ------------------------------------------------------------------ */
/* Phases                                                               */

static struct curl_slist *headers(const char *token, const char *ctype)
{
    struct curl_slist *h = NULL;
    struct ingest_buf b = {0};

    ingest_buf_addf(&b, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, b.data);
    explicit_bzero(b.data, b.len);
    ingest_buf_free(&b);
    h = curl_slist_append(h, "Expect:");
    if (ctype != NULL) {
        ingest_buf_addf(&b, "Content-Type: %s", ctype);
        h = curl_slist_append(h, b.data);
        ingest_buf_free(&b);
    }
    return h;
}

struct ingest_client *ingest_client_new(const char *const *urls, size_t n, struct ingest_site *s,
                                        const struct ingest_client_opts *o)
{
    struct ingest_client *c;
    size_t i;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    c = ingest_xcalloc(1, sizeof(*c));
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        free(c);
        return NULL;
    }
    c->s = s;
    c->o = *o;
    if (c->o.jobs < 1)
        c->o.jobs = 1;
    if (c->o.bundle_bytes < 4096)
        c->o.bundle_bytes = 4096;
    if (c->o.bundle_files < 1)
        c->o.bundle_files = 1;
    c->n = n;
    c->nodes = ingest_xcalloc(n, sizeof(*c->nodes));
    c->pending = ingest_xcalloc(n, sizeof(*c->pending));
    c->active = ingest_xcalloc(n, sizeof(*c->active));
    c->hdr_json = ingest_xcalloc(n, sizeof(*c->hdr_json));
    c->hdr_bundle = ingest_xcalloc(n, sizeof(*c->hdr_bundle));
    c->hdr_octet = ingest_xcalloc(n, sizeof(*c->hdr_octet));
    c->hdr_none = ingest_xcalloc(n, sizeof(*c->hdr_none));
    for (i = 0; i < n; i++) {
        size_t ul = strlen(urls[i]);

        while (ul > 0 && urls[i][ul - 1] == '/')
            ul--;
        c->nodes[i].url = ingest_xstrndup(urls[i], ul);
        c->nodes[i].lacks = ingest_xcalloc(s->nblobs ? s->nblobs : 1, 1);
        c->nodes[i].encodings = (1u << STORE_ENC_GZIP) | (1u << STORE_ENC_BR);
        c->hdr_json[i] = headers(o->token, "application/json");
        c->hdr_bundle[i] = headers(o->token, "application/x-origind-bundle");
        c->hdr_octet[i] = headers(o->token, "application/octet-stream");
        c->hdr_none[i] = headers(o->token, NULL);
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)(n * c->o.jobs + 4));
    c->seed = (unsigned)getpid() ^ (unsigned)(ingest_now() * 1e6);
    return c;
}

void ingest_client_free(struct ingest_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++) {
        struct req *r, *next;

        for (r = c->pending[i]; r != NULL; r = next) {
            next = r->next;
            req_free(r);
        }
        free(c->nodes[i].url);
        free(c->nodes[i].lacks);
        ingest_buf_free(&c->nodes[i].conflicts);
        curl_slist_free_all(c->hdr_json[i]);
        curl_slist_free_all(c->hdr_bundle[i]);
        curl_slist_free_all(c->hdr_octet[i]);
        curl_slist_free_all(c->hdr_none[i]);
    }
    curl_multi_cleanup(c->multi);
    free(c->nodes);
    free(c->pending);
    free(c->active);
    free(c->hdr_json);
    free(c->hdr_bundle);
    free(c->hdr_octet);
    free(c->hdr_none);
    free(c->shared_body);
    free(c->release_id);
    free(c);
    curl_global_cleanup();
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
            node_fail(c, i, cls, "%s", msg);
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
    struct ingest_buf path = {0};
    size_t i;

    ingest_buf_addf(&path, "%s/%s", API_PATH_RELEASES, id);
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed)
            continue;
        r = req_new(c, i, REQ_PROBE, "HEAD", path.data);
        r->hdrs = c->hdr_none[i];
        enqueue(c, r, 0);
    }
    ingest_buf_free(&path);
    run(c);
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
    size_t i, b, len, ask = 0;
    char *body;

    for (i = 0; i < c->n; i++)
        ask += !c->nodes[i].failed && !c->nodes[i].unchanged;
    body = ask > 0 ? ingest_json_missing_request(c->s, &len) : NULL;
    set_shared(c, body, body != NULL ? len : 0);
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed || c->nodes[i].unchanged)
            continue;
        r = req_new(c, i, REQ_MISSING, "POST", "/v1/missing");
        r->hdrs = c->hdr_json[i];
        r->mem = c->shared_body;
        r->mem_len = c->shared_len;
        enqueue(c, r, 0);
    }
    run(c);
    for (b = 0; b < c->s->nblobs; b++) {
        c->s->blobs[b].needed = 0;
        for (i = 0; i < c->n; i++) {
            if (!c->nodes[i].failed && c->nodes[i].lacks[b])
                c->s->blobs[b].needed = 1;
        }
    }
}

static void enqueue_variants(struct ingest_client *c, size_t ni, size_t blob)
{
    const struct ingest_blob *b = &c->s->blobs[blob];
    char hex[STORE_HEX_LEN + 1];
    int enc;

    store_digest_to_hex(b->digest, hex);
    for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++) {
        struct ingest_buf path = {0};
        struct req *r;

        if (b->var[enc].data == NULL || !(c->nodes[ni].encodings & (1u << enc)))
            continue;
        ingest_buf_addf(&path, "/v1/blobs/%s/%s", hex, store_encoding_name(enc));
        r = req_new(c, ni, REQ_VARIANT, "PUT", path.data);
        ingest_buf_free(&path);
        r->hdrs = c->hdr_octet[ni];
        r->items = ingest_xcalloc(1, sizeof(*r->items));
        r->items[0].blob = blob;
        r->items[0].enc = enc;
        r->nitems = 1;
        r->raw = 1;
        r->body_len = b->var[enc].len;
        enqueue(c, r, 1);
    }
}

static void plan_uploads(struct ingest_client *c, size_t ni)
{
    struct ingest_node *nd = &c->nodes[ni];
    struct req *bundle = NULL;
    size_t b, cap = 0;
    uint64_t need;
    int enc;

    /* Big blobs alone first (they take longest), then bundles. */
    for (b = 0; b < c->s->nblobs; b++) {
        const struct ingest_blob *bl = &c->s->blobs[b];
        char hex[STORE_HEX_LEN + 1];
        struct ingest_buf path = {0};
        struct req *r;

        if (!nd->lacks[b] || bl->size <= c->o.bundle_bytes)
            continue;
        store_digest_to_hex(bl->digest, hex);
        ingest_buf_addf(&path, "/v1/blobs/%s", hex);
        r = req_new(c, ni, REQ_BLOB, "PUT", path.data);
        ingest_buf_free(&path);
        r->hdrs = c->hdr_octet[ni];
        r->items = ingest_xcalloc(1, sizeof(*r->items));
        r->items[0].blob = b;
        r->items[0].enc = STORE_ENC_IDENTITY;
        r->nitems = 1;
        r->raw = 1;
        r->body_len = bl->size;
        nd->bytes_planned += bl->size;
        for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++)
            nd->bytes_planned += (nd->encodings & (1u << enc)) ? bl->var[enc].len : 0;
        enqueue(c, r, 0);
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
            enqueue(c, bundle, 0);
            bundle = NULL;
        }
        for (enc = 0; enc < STORE_ENC_COUNT; enc++) {
            uint64_t len = enc == STORE_ENC_IDENTITY ? bl->size : bl->var[enc].len;

            if (enc != STORE_ENC_IDENTITY &&
                (bl->var[enc].data == NULL || !(nd->encodings & (1u << enc))))
                continue;
            if (bundle == NULL) {
                bundle = req_new(c, ni, REQ_BUNDLE, "POST", "/v1/bundle");
                bundle->hdrs = c->hdr_bundle[ni];
                cap = 0;
            }
            if (bundle->nitems == cap) {
                cap = cap ? cap * 2 : 64;
                bundle->items = ingest_xrealloc(bundle->items, cap * sizeof(*bundle->items));
            }
            bundle->items[bundle->nitems].blob = b;
            bundle->items[bundle->nitems].enc = enc;
            bundle->nitems++;
            bundle->body_len += REC_HDR + len;
            nd->bytes_planned += REC_HDR + len;
        }
        if (bundle != NULL && bundle->nitems >= c->o.bundle_files) {
            enqueue(c, bundle, 0);
            bundle = NULL;
        }
    }
    if (bundle != NULL)
        enqueue(c, bundle, 0);
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
    run(c);
}

void ingest_client_fetch(struct ingest_client *c, char *const *bodies, const size_t *lens)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed || bodies[i] == NULL)
            continue;
        r = req_new(c, i, REQ_FETCH, "POST", API_PATH_FETCH);
        r->hdrs = c->hdr_json[i];
        r->mem = bodies[i];
        r->mem_len = lens[i];
        enqueue(c, r, 0);
    }
    run(c);
}

void ingest_client_publish(struct ingest_client *c, const char *id)
{
    struct ingest_buf path = {0};
    size_t i, len, ask = 0;
    char *body;

    for (i = 0; i < c->n; i++)
        ask += !c->nodes[i].failed && !c->nodes[i].unchanged;
    if (ask == 0)
        return;
    body = ingest_json_release_request(c->s, &len);
    set_shared(c, body, len);
    free(c->release_id);
    c->release_id = ingest_xstrdup(id);
    ingest_buf_addf(&path, "/v1/releases/%s", id);
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed || c->nodes[i].unchanged)
            continue;
        r = req_new(c, i, REQ_PUBLISH, "PUT", path.data);
        r->hdrs = c->hdr_json[i];
        r->mem = c->shared_body;
        r->mem_len = c->shared_len;
        enqueue(c, r, 0);
    }
    ingest_buf_free(&path);
    run(c);
}

static void enqueue_verify_missing(struct ingest_client *c, size_t ni, const struct req *got)
{
    struct ingest_buf body = {0};
    struct api_release rel;
    char why[API_WHY_MAX];
    struct req *r;
    size_t i;

    if (api_release_decode(got->resp.data, got->resp.len, c->release_id, &rel, why, sizeof(why)) !=
        0) {
        node_fail(c, ni, INGEST_EXIT_NODE, "malformed release answer: %s", why);
        return;
    }
    ingest_buf_add(&body, "{\"digests\":[", 12);
    for (i = 0; i < rel.n; i++) {
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(rel.files[i].digest, hex);
        ingest_buf_addf(&body, "%s\"%s\"", i ? "," : "", hex);
    }
    ingest_buf_add(&body, "]}", 2);
    c->nodes[ni].verified_files = rel.n;
    store_digest_to_hex(rel.digest, c->nodes[ni].digest);
    api_release_free(&rel);
    r = req_new(c, ni, REQ_VERIFY_MISSING, "POST", API_PATH_MISSING);
    r->hdrs = c->hdr_json[ni];
    r->mem_owned = body.data;
    r->mem = body.data;
    r->mem_len = body.len;
    enqueue(c, r, 1);
}

/* GET /v1/releases/<id> on every healthy node; on_success decodes each. */
static void get_release_phase(struct ingest_client *c, const char *id)
{
    struct ingest_buf path = {0};
    size_t i;

    free(c->release_id);
    c->release_id = ingest_xstrdup(id);
    ingest_buf_addf(&path, "/v1/releases/%s", id);
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed)
            continue;
        r = req_new(c, i, REQ_GET_RELEASE, "GET", path.data);
        r->hdrs = c->hdr_none[i];
        enqueue(c, r, 0);
    }
    ingest_buf_free(&path);
    run(c);
}

void ingest_client_verify(struct ingest_client *c, const char *id)
{
    get_release_phase(c, id);
}

static void deliver_release(struct ingest_client *c, const struct req *got)
{
    struct api_release rel;
    char why[API_WHY_MAX];
    int rc;

    if (api_release_decode(got->resp.data, got->resp.len, c->release_id, &rel, why, sizeof(why)) !=
        0) {
        node_fail(c, got->node, INGEST_EXIT_NODE, "malformed release answer: %s", why);
        return;
    }
    c->nodes[got->node].verified_files = rel.n;
    store_digest_to_hex(rel.digest, c->nodes[got->node].digest);
    rc = c->release_fn(c->fn_arg, got->node, &rel);
    api_release_free(&rel);
    if (rc != 0)
        node_fail(c, got->node, INGEST_EXIT_LOCAL, "out of memory reading the release");
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
        struct req *r;

        store_digest_to_hex(digests + i * STORE_DIGEST_LEN, hex);
        snprintf(path, sizeof(path), "%s/%s", API_PATH_BLOBS, hex);
        r = req_new(c, ni, REQ_BLOB_SIZE, "HEAD", path);
        r->hdrs = c->hdr_none[ni];
        r->idx = i;
        enqueue(c, r, 0);
    }
    run(c);
    c->sizes = NULL;
}

void ingest_client_list_releases(struct ingest_client *c,
                                 int (*fn)(void *arg, size_t node, const char *id, int64_t created,
                                           uint64_t files),
                                 void *arg)
{
    size_t i;

    c->list_fn = fn;
    c->fn_arg = arg;
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed)
            continue;
        r = req_new(c, i, REQ_LIST_RELEASES, "GET", API_PATH_RELEASES);
        r->hdrs = c->hdr_none[i];
        enqueue(c, r, 0);
    }
    run(c);
    c->list_fn = NULL;
}

void ingest_client_prune(struct ingest_client *c, const char *body, size_t len,
                         void (*fn)(void *arg, size_t node, const struct api_prune_answer *a),
                         void *arg)
{
    size_t i;

    c->prune_fn = fn;
    c->fn_arg = arg;
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed)
            continue;
        r = req_new(c, i, REQ_PRUNE, "POST", API_PATH_PRUNE);
        r->hdrs = c->hdr_json[i];
        r->mem = body;
        r->mem_len = len;
        enqueue(c, r, 0);
    }
    run(c);
    c->prune_fn = NULL;
}

void ingest_client_exchange(struct ingest_client *c, const char *method, const char *path,
                            const char *body, size_t len, ingest_exchange_fn *fn, void *arg)
{
    size_t i;

    c->exchange_fn = fn;
    c->fn_arg = arg;
    for (i = 0; i < c->n; i++) {
        struct req *r;

        if (c->nodes[i].failed)
            continue;
        r = req_new(c, i, REQ_EXCHANGE, method, path);
        r->hdrs = body != NULL ? c->hdr_json[i] : c->hdr_none[i];
        r->mem = body;
        r->mem_len = len;
        enqueue(c, r, 0);
    }
    run(c);
    c->exchange_fn = NULL;
}
