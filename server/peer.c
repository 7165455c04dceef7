/*
 * peer.c - the libcurl client that catches a node up from its peers
 * (`origind sync`, `serve --peer`), keeps it caught up (anti-entropy) and
 * heals public misses by reading through to peers. See peer.h for the
 * algorithm and its guarantees.
 *
 * Not for: trusting a peer. Every blob and variant goes through the store's
 * own verification (store_batch_put re-hashes, store_batch_put_variant
 * decodes); a release is published by store_publish, which refuses
 * conflicts and missing blobs. Not for serving either: the only server
 * state touched is srv->catching_up and the suspended connections handed
 * over by peers_heal().
 *
 * Threads: `serve` runs two threads here, the sync thread (catch-up, then
 * anti-entropy) and the heal thread. Each owns its curl handles; they share
 * only the store (thread-safe), the counters (atomics) and the heal queue
 * (mutex).
 */
#include "peer.h"
#include "peer_tombstones.h"

#include "discover.h"
#include "log.h"
#include "secret_file.h"
#include "server.h"
#include "store.h"
#include "tls_client.h"
#include "api.h"

#include <curl/curl.h>
#include <curl/header.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE_LIMIT       1000
#define BATCH_BYTES      (64ULL << 20) /* bytes fetched before one batch commit */
#define BATCH_ITEMS      4096
#define JSON_CAP         (256ULL << 20)
#define URL_MAX          1024
#define CONNECT_MS       3000L
#define JSON_TIMEOUT_MS  60000L
#define LOW_SPEED_SECS   30L /* a blob transfer below 1 KiB/s this long fails */
#define HEAL_BUDGET_MS   5000ULL
#define HEAL_QUEUE_MAX   256
#define HEAL_COOLDOWN_MS 1000ULL
#define JOBS_MAX         64
#define PEERS_MAX        CONFIG_PEER_MAX

struct counters {
    atomic_uint_fast64_t runs, blobs, variants, bytes, bad, releases, errors, heals_ok, heals_miss;
    atomic_uint_fast64_t divergence;
    atomic_uint_fast64_t refused;      /* answers refused by the strict decoders */
    atomic_uint_fast64_t incompatible; /* answers from a peer of another API version */
};

/* A growing byte buffer that refuses to grow past max. */
struct buf {
    unsigned char *p;
    size_t len, cap, max;
};

/* One blob or variant to fetch. */
struct fetch {
    unsigned char digest[STORE_DIGEST_LEN];
    int enc;
    int optional; /* a 404 is not a failure (variant we only hope for) */
    uint64_t size;
    struct buf body;
    int ok;
};

/* One pass against one peer. */
struct ctx {
    struct store *st;
    const char *base;   /* peer admin URL, no trailing '/' */
    const char *cacert; /* --peer-cacert, NULL: the system's CAs */
    struct curl_slist *hdrs;
    CURL *easy; /* JSON requests (keep-alive) */
    CURLM *multi;
    unsigned jobs;
    uint64_t max_blob;
    struct counters *cnt;
    atomic_int *stop;
    uint64_t deadline_ns; /* 0: none */
    int progress;
    uint64_t last_progress_ns;
    /* this pass */
    uint64_t listed, fetched, fetched_bytes, vfetched, bad, failed, published, conflicts;
    int incompatible; /* the peer speaks another API version (logged once) */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static size_t buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;

    if (n > b->max - b->len)
        return 0; /* over the cap: curl fails the transfer */
    if (b->len + n > b->cap) {
        size_t ncap = b->cap ? b->cap : 16384;
        unsigned char *np;

        while (ncap < b->len + n)
            ncap *= 2;
        if (ncap > b->max)
            ncap = b->max;
        np = realloc(b->p, ncap);
        if (np == NULL)
            return 0;
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return n;
}

static int xfer_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    atomic_int *stop = arg;

    return stop != NULL && atomic_load(stop) ? 1 : 0;
}

/* Milliseconds left before the pass deadline, capped at cap; 1 if passed. */
static long time_left_ms(const struct ctx *x, long cap)
{
    uint64_t now;
    long left;

    if (x->deadline_ns == 0)
        return cap;
    now = now_ns();
    if (now >= x->deadline_ns)
        return 1;
    left = (long)((x->deadline_ns - now) / 1000000ULL) + 1;
    return left < cap ? left : cap;
}

static int expired(const struct ctx *x)
{
    return atomic_load(x->stop) || (x->deadline_ns != 0 && now_ns() >= x->deadline_ns);
}

static void setup_easy(struct ctx *x, CURL *e, const char *url, struct buf *b, long timeout_ms)
{
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, time_left_ms(x, CONNECT_MS));
    if (timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECS);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xfer_cb);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, x->stop);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    tls_client_setopt(e, x->cacert);
}

/* GETs base+rel. Returns 0 for a 200 from a peer of this API version, with
 * the body in *out (caller frees with buf_free), else -1 with *status the
 * HTTP status (0: transport error or another API version; logged). */
static int get_body(struct ctx *x, const char *rel, struct buf *out, long *status)
{
    char url[URL_MAX + 256], why[API_WHY_MAX], who[URL_MAX + 16];
    struct buf b = {NULL, 0, 0, JSON_CAP};
    struct curl_header *h = NULL;
    CURLcode cc;

    *status = 0;
    if (expired(x))
        return -1;
    snprintf(url, sizeof(url), "%s%s", x->base, rel);
    curl_easy_reset(x->easy);
    setup_easy(x, x->easy, url, &b, time_left_ms(x, JSON_TIMEOUT_MS));
    cc = curl_easy_perform(x->easy);
    if (cc != CURLE_OK) {
        char twhy[512];

        log_warn("peer %s: GET %s: %s", x->base, rel,
                 tls_client_strerror(cc, x->cacert, twhy, sizeof(twhy)));
        goto fail;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, status);
    if (curl_easy_header(x->easy, API_VERSION_HEADER, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        h = NULL;
    snprintf(who, sizeof(who), "peer %s", x->base);
    if ((h != NULL || *status == 200) &&
        api_version_check(h != NULL ? h->value : NULL, who, why, sizeof(why)) != 0) {
        if (!x->incompatible)
            log_error("%s: nothing is taken from it", why);
        x->incompatible = 1;
        atomic_fetch_add(&x->cnt->incompatible, 1);
        *status = 0;
        goto fail;
    }
    if (*status != 200)
        goto fail;
    *out = b;
    return 0;
fail:
    buf_free(&b);
    return -1;
}

/* A peer answer the strict decoder refused: logged and counted. */
static void refused(struct ctx *x, const char *what, const char *why)
{
    log_error("peer %s: %s refused: %s", x->base, what, why);
    atomic_fetch_add(&x->cnt->refused, 1);
    x->failed++;
}

/* get_json for peer_tombstones_sync(), which knows no struct ctx. */
static json_t *ctx_get_json(void *arg, const char *rel, long *status)
{
    struct ctx *x = arg;
    struct buf b;
    json_error_t jerr;
    json_t *doc;

    if (get_body(x, rel, &b, status) != 0)
        return NULL;
    doc = json_loadb((const char *)b.p, b.len, 0, &jerr);
    if (doc == NULL) {
        log_warn("peer %s: GET %s: bad JSON: %s", x->base, rel, jerr.text);
        *status = 0;
    }
    buf_free(&b);
    return doc;
}

/* Fetches every f[0..n) with at most x->jobs transfers at once on keep-alive
 * connections; sets f[i].ok for each 200 whose body fit. */
static void fetch_many(struct ctx *x, struct fetch *f, size_t n)
{
    size_t next = 0, running = 0, k;
    char url[URL_MAX + 160];
    CURL *live[JOBS_MAX] = {NULL};
    int still = 0;

    while ((next < n || running > 0) && !atomic_load(x->stop)) {
        CURLMsg *m;
        int left;

        while (next < n && running < x->jobs) {
            struct fetch *j = &f[next++];
            CURL *e = curl_easy_init();
            char hex[STORE_HEX_LEN + 1];

            if (e == NULL)
                continue;
            store_digest_to_hex(j->digest, hex);
            snprintf(url, sizeof(url), "%s/v1/blobs/%s%s%s", x->base, hex,
                     j->enc == STORE_ENC_IDENTITY ? "" : "/",
                     j->enc == STORE_ENC_IDENTITY ? "" : store_encoding_name(j->enc));
            j->body.len = 0;
            if (j->enc == STORE_ENC_IDENTITY)
                j->body.max = (size_t)j->size;
            else
                j->body.max =
                    (size_t)(j->size * 2 + 65536 < x->max_blob ? j->size * 2 + 65536 : x->max_blob);
            if (j->body.max == 0)
                j->body.max = 1; /* the empty blob: nothing may arrive */
            setup_easy(x, e, url, &j->body, x->deadline_ns ? time_left_ms(x, 3600000L) : 0);
            curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
            curl_multi_add_handle(x->multi, e);
            for (k = 0; k < JOBS_MAX && live[k] != NULL; k++)
                ;
            if (k < JOBS_MAX)
                live[k] = e;
            running++;
        }
        curl_multi_perform(x->multi, &still);
        while ((m = curl_multi_info_read(x->multi, &left)) != NULL) {
            struct fetch *j = NULL;
            long code = 0;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result == CURLE_OK && code == 200) {
                j->ok = 1;
            } else if (!(j->optional && m->data.result == CURLE_OK && code == 404)) {
                char hex[STORE_HEX_LEN + 1];

                store_digest_to_hex(j->digest, hex);
                log_warn("peer %s: GET blob %s%s%s: %s (HTTP %ld)", x->base, hex, j->enc ? "/" : "",
                         j->enc ? store_encoding_name(j->enc) : "",
                         curl_easy_strerror(m->data.result), code);
                x->failed++;
                atomic_fetch_add(&x->cnt->errors, 1);
            }
            for (k = 0; k < JOBS_MAX; k++)
                if (live[k] == m->easy_handle)
                    live[k] = NULL;
            curl_multi_remove_handle(x->multi, m->easy_handle);
            curl_easy_cleanup(m->easy_handle);
            running--;
        }
        if (running > 0)
            curl_multi_poll(x->multi, NULL, 0, 100, NULL);
        if (x->deadline_ns != 0 && now_ns() >= x->deadline_ns + 1000000000ULL)
            break; /* the transfers' own timeouts should have ended them */
    }
    /* stopped early: drop whatever is still in flight */
    for (k = 0; k < JOBS_MAX; k++) {
        if (live[k] == NULL)
            continue;
        curl_multi_remove_handle(x->multi, live[k]);
        curl_easy_cleanup(live[k]);
    }
    x->failed += running;
}

/* Stores the fetched f[0..n) in one batch: identities first, then variants.
 * Bad bytes are refused and counted. Returns 0, or -1 if the batch could not
 * be committed (logged). */
static int store_fetched(struct ctx *x, struct fetch *f, size_t n)
{
    struct store_batch *b = NULL;
    uint64_t blobs = 0, vars = 0, bytes = 0;
    int pass, err;
    size_t i;

    err = store_batch_begin(x->st, &b);
    if (err != STORE_OK) {
        log_error("sync: store batch: %s", store_strerror(err));
        return -1;
    }
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < n; i++) {
            struct fetch *j = &f[i];
            char hex[STORE_HEX_LEN + 1];
            int created = 0;

            if (!j->ok || (pass == 0) != (j->enc == STORE_ENC_IDENTITY))
                continue;
            if (j->enc == STORE_ENC_IDENTITY)
                err = store_batch_put(b, j->digest, j->body.p ? j->body.p : (void *)"", j->body.len,
                                      &created);
            else
                err = store_batch_put_variant(b, j->digest, j->enc,
                                              j->body.p ? j->body.p : (void *)"", j->body.len,
                                              &created);
            if (err == STORE_OK) {
                if (created) {
                    bytes += j->body.len;
                    if (j->enc == STORE_ENC_IDENTITY)
                        blobs++;
                    else
                        vars++;
                }
                continue;
            }
            store_digest_to_hex(j->digest, hex);
            j->ok = 0;
            if (err == STORE_EDIGEST || err == STORE_EVARIANT) {
                log_error("peer %s sent bytes that do not verify as %s%s%s (%s): refused", x->base,
                          hex, j->enc ? "/" : "", j->enc ? store_encoding_name(j->enc) : "",
                          store_strerror(err));
                x->bad++;
                atomic_fetch_add(&x->cnt->bad, 1);
            } else if (err == STORE_ETOOBIG || err == STORE_ENOTFOUND) {
                log_warn("sync: %s%s%s from %s: %s", hex, j->enc ? "/" : "",
                         j->enc ? store_encoding_name(j->enc) : "", x->base, store_strerror(err));
                x->failed++;
            } else {
                log_error("sync: storing %s: %s", hex, store_strerror(err));
                store_batch_abort(b);
                return -1;
            }
        }
    }
    err = store_batch_commit(b);
    if (err != STORE_OK) {
        log_error("sync: store commit: %s", store_strerror(err));
        return -1;
    }
    x->fetched += blobs;
    x->vfetched += vars;
    x->fetched_bytes += bytes;
    atomic_fetch_add(&x->cnt->blobs, blobs);
    atomic_fetch_add(&x->cnt->variants, vars);
    atomic_fetch_add(&x->cnt->bytes, bytes);
    return 0;
}

/* Fetches and stores f[0..n), then frees their bodies. Returns 0 or -1. */
static int fetch_and_store(struct ctx *x, struct fetch *f, size_t n)
{
    size_t i;
    int rc;

    if (n == 0)
        return 0;
    fetch_many(x, f, n);
    rc = store_fetched(x, f, n);
    for (i = 0; i < n; i++)
        buf_free(&f[i].body);
    return rc;
}

/* The cursor file of this peer: STORE/peer-<16 hex of sha256(url)>.cursor */
static void cursor_path(const struct ctx *x, char *out, size_t cap)
{
    unsigned char d[STORE_DIGEST_LEN];
    char hex[STORE_HEX_LEN + 1];

    store_sha256(x->base, strlen(x->base), d);
    store_digest_to_hex(d, hex);
    snprintf(out, cap, "%s/peer-%.16s.cursor", store_dir(x->st), hex);
}

static int cursor_load(const struct ctx *x, char hex[STORE_HEX_LEN + 1])
{
    char path[4200], buf[STORE_HEX_LEN + 2];
    unsigned char d[STORE_DIGEST_LEN];
    FILE *f;
    size_t n;

    cursor_path(x, path, sizeof(path));
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n < STORE_HEX_LEN || store_digest_from_hex(buf, STORE_HEX_LEN, d) != STORE_OK)
        return -1;
    memcpy(hex, buf, STORE_HEX_LEN);
    hex[STORE_HEX_LEN] = '\0';
    return 0;
}

static void cursor_save(const struct ctx *x, const char *hex)
{
    char path[4200], tmp[4210];
    FILE *f;

    cursor_path(x, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "we");
    if (f == NULL)
        return;
    fprintf(f, "%s\n", hex);
    if (fclose(f) == 0)
        rename(tmp, path);
}

static void cursor_clear(const struct ctx *x)
{
    char path[4200];

    cursor_path(x, path, sizeof(path));
    unlink(path);
}

static void progress(struct ctx *x, int last)
{
    uint64_t now = now_ns();

    if (!x->progress || (!last && now - x->last_progress_ns < 1000000000ULL))
        return;
    x->last_progress_ns = now;
    fprintf(stderr,
            "origind sync: %llu blobs listed, %llu fetched (%.1f MiB), %llu variants, %llu bad, "
            "%llu failed\n",
            (unsigned long long)x->listed, (unsigned long long)x->fetched,
            (double)x->fetched_bytes / 1048576.0, (unsigned long long)x->vfetched,
            (unsigned long long)x->bad, (unsigned long long)x->failed);
}

/* Step 1 of a pass: every blob and listed variant the peer has and the local
 * store lacks. Returns 0 when the listing was walked to its end, -1 if it
 * was cut short (peer unreachable, store error, stopped). */
static int sync_blobs(struct ctx *x)
{
    char cursor[STORE_HEX_LEN + 1] = "", rel[200];
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    unsigned char *missing = NULL;
    struct fetch *f = NULL;
    int rc = -1;

    digests = malloc(PAGE_LIMIT * sizeof(*digests));
    missing = malloc(PAGE_LIMIT);
    f = calloc(BATCH_ITEMS, sizeof(*f));
    if (digests == NULL || missing == NULL || f == NULL)
        goto out;
    if (cursor_load(x, cursor) == 0)
        log_info("sync from %s: resuming after %.16s...", x->base, cursor);
    for (;;) {
        struct api_blob_entry *page = NULL;
        unsigned char after[STORE_DIGEST_LEN], next_d[STORE_DIGEST_LEN];
        uint64_t sizes[PAGE_LIMIT];
        unsigned vmask[PAGE_LIMIT];
        struct store_reader *rd = NULL;
        size_t n = 0, i, nf = 0;
        uint64_t batch_bytes = 0;
        uint64_t bad_before = x->bad + x->failed;
        struct buf body = {NULL, 0, 0, 0};
        char why[API_WHY_MAX];
        int has_next = 0;
        long status;

        snprintf(rel, sizeof(rel), API_PATH_BLOBS "?limit=%d%s%s", PAGE_LIMIT,
                 cursor[0] ? "&after=" : "", cursor);
        if (get_body(x, rel, &body, &status) != 0) {
            if (status != 0)
                log_warn("peer %s: GET " API_PATH_BLOBS ": HTTP %ld", x->base, status);
            goto out;
        }
        page = malloc(PAGE_LIMIT * sizeof(*page));
        if (page == NULL ||
            (cursor[0] != '\0' &&
             store_digest_from_hex(cursor, STORE_HEX_LEN, after) != STORE_OK) ||
            api_blob_page_decode((const char *)body.p, body.len, cursor[0] ? after : NULL, page,
                                 PAGE_LIMIT, &n, &has_next, next_d, why, sizeof(why)) != 0) {
            if (page != NULL)
                refused(x, "blob listing", why);
            free(page);
            buf_free(&body);
            goto out;
        }
        buf_free(&body);
        for (i = 0; i < n; i++) {
            memcpy(digests[i], page[i].digest, STORE_DIGEST_LEN);
            sizes[i] = page[i].size;
            vmask[i] = page[i].variants;
        }
        free(page);
        x->listed += n;
        if (n > 0 && store_missing(x->st, (const unsigned char(*)[STORE_DIGEST_LEN])digests, n,
                                   missing) != STORE_OK)
            goto out;
        if (store_reader_begin(x->st, &rd) != STORE_OK)
            goto out;
        for (i = 0; i < n; i++) {
            int enc;

            if (sizes[i] > x->max_blob) {
                x->failed++;
                continue;
            }
            for (enc = 0; enc < STORE_ENC_COUNT; enc++) {
                struct store_blob sb;

                if (enc == STORE_ENC_IDENTITY ? !missing[i] : !(vmask[i] & (1u << enc)))
                    continue;
                if (enc != STORE_ENC_IDENTITY && !missing[i] &&
                    store_get_blob(rd, digests[i], enc, &sb) == STORE_OK && sb.data != NULL)
                    continue;
                memset(&f[nf], 0, sizeof(f[nf]));
                memcpy(f[nf].digest, digests[i], STORE_DIGEST_LEN);
                f[nf].enc = enc;
                f[nf].size = sizes[i];
                batch_bytes += sizes[i];
                nf++;
            }
            /* flush between blobs so a blob and its variants share a batch */
            if (nf + STORE_ENC_COUNT > BATCH_ITEMS || batch_bytes >= BATCH_BYTES) {
                store_reader_end(rd);
                rd = NULL;
                if (fetch_and_store(x, f, nf) != 0)
                    goto out;
                nf = 0;
                batch_bytes = 0;
                progress(x, 0);
                if (store_reader_begin(x->st, &rd) != STORE_OK)
                    goto out;
            }
        }
        store_reader_end(rd);
        if (fetch_and_store(x, f, nf) != 0 || atomic_load(x->stop))
            goto out;
        progress(x, 0);
        if (!has_next)
            break;
        store_digest_to_hex(next_d, cursor);
        /* resume point only while nothing failed (a failed blob must be
         * listed again by the next pass) */
        if (x->bad + x->failed == 0 && bad_before == 0)
            cursor_save(x, cursor);
        if (expired(x))
            goto out;
    }
    rc = 0;
out:
    free(digests);
    free(missing);
    free(f);
    return rc;
}

struct missing_list {
    unsigned char (*d)[STORE_DIGEST_LEN];
    size_t n, cap;
    int other; /* a conflict or bad entry */
};

static void publish_problem(void *arg, enum store_problem_kind kind, const char *path,
                            size_t path_len, const unsigned char digest[STORE_DIGEST_LEN])
{
    struct missing_list *ml = arg;

    if (kind != STORE_PROBLEM_MISSING) {
        ml->other++;
        if (kind == STORE_PROBLEM_PATH_CONFLICT)
            log_error("sync: path %.*s is bound to other bytes here than on the peer",
                      (int)(path_len > 512 ? 512 : path_len), path ? path : "");
        return;
    }
    if (ml->n == ml->cap) {
        size_t ncap = ml->cap ? ml->cap * 2 : 64;
        void *np = realloc(ml->d, ncap * sizeof(*ml->d));

        if (np == NULL)
            return;
        ml->d = np;
        ml->cap = ncap;
    }
    memcpy(ml->d[ml->n++], digest, STORE_DIGEST_LEN);
}

/* Fetches and publishes release id (validated) from the peer. Returns 1 if
 * it was published here, 0 if it already was, -1 on failure (counted). */
static int fetch_release(struct ctx *x, const char *id)
{
    char rel[STORE_ID_MAX + 32], why[API_WHY_MAX];
    struct store_file *sf = NULL;
    struct missing_list ml = {NULL, 0, 0, 0};
    struct fetch *f = NULL;
    struct api_release r;
    struct buf body = {NULL, 0, 0, 0};
    long status;
    size_t n = 0, i;
    int64_t created;
    int err = STORE_EINVAL, attempt, made = 0, rc = -1;

    snprintf(rel, sizeof(rel), API_PATH_RELEASES "/%s", id);
    if (get_body(x, rel, &body, &status) != 0) {
        x->failed++;
        return -1;
    }
    /* strict: every entry parses, the count matches, the digest verifies;
     * else nothing of it is published (the store is append-only: a wrong
     * release could never be corrected) */
    if (api_release_decode((const char *)body.p, body.len, id, &r, why, sizeof(why)) != 0) {
        char what[STORE_ID_MAX + 32];

        snprintf(what, sizeof(what), "release %s", id);
        refused(x, what, why);
        buf_free(&body);
        return -1;
    }
    buf_free(&body);
    sf = r.files;
    n = r.n;
    created = r.created > 0 ? r.created : (int64_t)time(NULL);
    for (attempt = 0; attempt < 2; attempt++) {
        ml.n = 0;
        ml.other = 0;
        err = store_publish(x->st, id, strlen(id), sf, n, created, &made, publish_problem, &ml);
        if (err != STORE_EMISSING || attempt == 1 || ml.n == 0)
            break;
        /* blobs pushed to the peer after our listing passed them */
        f = calloc(ml.n * 3, sizeof(*f));
        if (f == NULL)
            break;
        for (i = 0; i < ml.n * 3; i++) {
            memcpy(f[i].digest, ml.d[i / 3], STORE_DIGEST_LEN);
            f[i].enc = (int)(i % 3);
            f[i].optional = f[i].enc != STORE_ENC_IDENTITY;
            f[i].size = x->max_blob;
        }
        fetch_and_store(x, f, ml.n * 3);
        free(f);
        f = NULL;
    }
    if (err == STORE_OK) {
        rc = made ? 1 : 0;
        if (made) {
            x->published++;
            atomic_fetch_add(&x->cnt->releases, 1);
            log_info("sync: release %s published from %s (%zu files)", id, x->base, n);
        }
    } else {
        if (err == STORE_ECONFLICT) {
            x->conflicts++;
            log_error("sync: release %s from %s conflicts with this store: not published", id,
                      x->base);
        } else {
            log_warn("sync: release %s from %s: %s", id, x->base, store_strerror(err));
        }
        x->failed++;
        atomic_fetch_add(&x->cnt->errors, 1);
    }
    free(ml.d);
    api_release_free(&r);
    return rc;
}

static int local_release_cb(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    json_object_setn_new((json_t *)arg, id, id_len, json_integer((json_int_t)files));
    return 0;
}

/* The local release ids -> file counts (caller decrefs), or NULL. */
static json_t *local_releases(struct store *st)
{
    struct store_reader *rd = NULL;
    json_t *set = json_object();

    if (set == NULL || store_reader_begin(st, &rd) != STORE_OK) {
        json_decref(set);
        return NULL;
    }
    store_release_list(rd, local_release_cb, set);
    store_reader_end(rd);
    if (peer_tombstones_local(st, set) != 0) { /* pruned here: never fetched */
        json_decref(set);
        return NULL;
    }
    return set;
}

/* Step 2 of a pass: every release the peer has and the local store lacks.
 * *missing_out (may be NULL) gets how many were missing before the step.
 * Returns 0 when the peer's list was walked, -1 otherwise. */
struct release_walk {
    struct ctx *x;
    json_t *local; /* id -> file count here */
    int publish;
    uint64_t missing;
    int rc;
};

static int peer_release_cb(void *arg, const char *id, int64_t created, uint64_t files)
{
    struct release_walk *w = arg;
    json_t *have = json_object_get(w->local, id);

    if (have != NULL) { /* -1: a tombstone here (peer_tombstones_local) */
        if (json_integer_value(have) >= 0 && (uint64_t)json_integer_value(have) != files)
            log_error("anti-entropy: release %s has %lld files here and %llu on %s", id,
                      (long long)json_integer_value(have), (unsigned long long)files, w->x->base);
        return 0;
    }
    w->missing++;
    if (w->publish && !expired(w->x) && fetch_release(w->x, id) < 0)
        w->rc = -1;
    return 0;
}

static int sync_releases(struct ctx *x, int publish, uint64_t *missing_out)
{
    struct release_walk w = {x, NULL, publish, 0, 0};
    struct buf body = {NULL, 0, 0, 0};
    char why[API_WHY_MAX];
    long status;

    /* the peer's tombstones first: nothing it pruned comes back here */
    if (peer_tombstones_sync(x->st, x->base, ctx_get_json, x, NULL) != 0)
        w.rc = -1;
    if (get_body(x, API_PATH_RELEASES, &body, &status) != 0) {
        if (status != 0)
            log_warn("peer %s: GET " API_PATH_RELEASES ": HTTP %ld", x->base, status);
        return -1;
    }
    w.local = local_releases(x->st);
    if (w.local == NULL) {
        buf_free(&body);
        return -1;
    }
    if (api_release_list_decode((const char *)body.p, body.len, peer_release_cb, &w, why,
                                sizeof(why)) != 0) {
        refused(x, "release listing", why);
        w.rc = -1;
    }
    json_decref(w.local);
    buf_free(&body);
    if (missing_out != NULL)
        *missing_out = w.missing;
    return expired(x) && publish && w.missing > 0 ? -1 : w.rc;
}

static int ctx_init(struct ctx *x, struct store *st, const char *base, const char *cacert,
                    const char *token, size_t token_len, unsigned jobs, uint64_t max_blob,
                    struct counters *cnt, atomic_int *stop)
{
    char hdr[4200];

    memset(x, 0, sizeof(*x));
    x->st = st;
    x->base = base;
    x->cacert = cacert;
    x->jobs = jobs == 0 ? 1 : jobs > JOBS_MAX ? JOBS_MAX : jobs;
    x->max_blob = max_blob;
    x->cnt = cnt;
    x->stop = stop;
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %.*s", (int)token_len, token);
    x->hdrs = curl_slist_append(NULL, hdr);
    OPENSSL_cleanse(hdr, sizeof(hdr));
    x->easy = curl_easy_init();
    x->multi = curl_multi_init();
    if (x->hdrs == NULL || x->easy == NULL || x->multi == NULL)
        return -1;
    curl_multi_setopt(x->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)x->jobs);
    return 0;
}

static void ctx_free(struct ctx *x)
{
    struct curl_slist *h;

    /* the header holds the token: wipe it before curl frees it */
    for (h = x->hdrs; h != NULL; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(x->hdrs);
    curl_easy_cleanup(x->easy);
    curl_multi_cleanup(x->multi);
    x->hdrs = NULL;
    x->easy = NULL;
    x->multi = NULL;
}

/* A full pass (blobs, then releases). Returns 1 if complete (nothing left
 * that the peer had and this store lacks, nothing refused), 0 if it ran but
 * is incomplete, -1 if the peer could not be reached. */
static int sync_pass(struct ctx *x)
{
    int blobs, rels;

    atomic_fetch_add(&x->cnt->runs, 1);
    blobs = sync_blobs(x);
    if (blobs != 0 && x->listed == 0 && x->fetched == 0)
        return -1;
    rels = sync_releases(x, 1, NULL);
    progress(x, 1);
    if (blobs == 0 && rels == 0 && x->bad == 0 && x->failed == 0 && x->conflicts == 0) {
        cursor_clear(x);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* origind sync                                                         */

int peer_sync_main(const struct config *cfg)
{
    struct store_options so;
    struct store *st = NULL;
    struct counters cnt;
    struct ctx x;
    atomic_int stop = 0;
    char *token = NULL, base[URL_MAX + 1];
    size_t token_len = 0, blen;
    uint64_t t0 = now_ns();
    int err, rc = 1, r;

    memset(&cnt, 0, sizeof(cnt));
    memset(&x, 0, sizeof(x));
    blen = strlen(cfg->from);
    if (blen > URL_MAX || (strncmp(cfg->from, "http://", 7) && strncmp(cfg->from, "https://", 8))) {
        log_error("--from must be an http:// or https:// admin URL of at most %d bytes", URL_MAX);
        return 2;
    }
    memcpy(base, cfg->from, blen + 1);
    while (blen > 0 && base[blen - 1] == '/')
        base[--blen] = '\0';
    if (auth_read_secret_file(cfg->token_file, "token", &token, &token_len) != 0)
        return 1;
    memset(&so, 0, sizeof(so));
    so.map_size = cfg->map_size;
    so.max_readers = (unsigned)cfg->max_readers;
    so.max_blob = cfg->max_blob_bytes;
    err = store_open(cfg->store, &so, &st);
    if (err != STORE_OK) {
        log_error("cannot open store %s: %s", cfg->store, store_strerror(err));
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (ctx_init(&x, st, base, cfg->peer_cacert, token, token_len, (unsigned)cfg->peer_jobs,
                 cfg->max_blob_bytes, &cnt, &stop) != 0) {
        log_error("sync: out of memory");
        goto out;
    }
    x.progress = 1;
    r = sync_pass(&x);
    printf("sync from %s: %llu blobs listed, %llu fetched (%llu bytes), %llu variants, "
           "%llu releases published, %llu bad, %llu failed, %llu conflicts in %.1f s: %s\n",
           base, (unsigned long long)x.listed, (unsigned long long)x.fetched,
           (unsigned long long)x.fetched_bytes, (unsigned long long)x.vfetched,
           (unsigned long long)x.published, (unsigned long long)x.bad, (unsigned long long)x.failed,
           (unsigned long long)x.conflicts, (double)(now_ns() - t0) / 1e9,
           r == 1   ? "complete"
           : r == 0 ? "INCOMPLETE (run it again)"
                    : "peer unreachable");
    rc = r == 1 ? 0 : 1;
out:
    ctx_free(&x);
    store_close(st);
    if (token != NULL) {
        OPENSSL_cleanse(token, token_len);
        free(token);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* serve --peer                                                         */

struct heal_job {
    struct req *r;
    struct MHD_Connection *c;
    char path[STORE_PATH_MAX];
    size_t len;
    int corrupt;
    struct heal_job *next;
};

struct peers {
    struct server *srv;
    char *url[PEERS_MAX];
    atomic_size_t n;            /* url[0..n) are set; --peers-dns appends while running */
    atomic_int gone[PEERS_MAX]; /* found by --peers-dns, absent from its last answer: skipped */
    size_t n_static;            /* url[0..n_static) came from --peer */
    int dns_full_warned;
    struct counters cnt;
    atomic_int stop;
    pthread_t sync_thr, heal_thr;
    int sync_started, heal_started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct heal_job *queue;
    size_t queued;
    int healing;            /* a heal round is running */
    uint64_t last_heal_end; /* now_ns() at the end of the last round */
    int last_heal_found;    /* that round stored something */
};

static int peers_ctx(struct peers *p, struct ctx *x, size_t i)
{
    const struct server *srv = p->srv;
    char *tok = NULL;
    size_t tok_len = 0;
    int rc;

    /* the current peer token: SIGHUP may have rotated it since the last pass */
    memset(x, 0, sizeof(*x)); /* callers read and free x even when this fails */
    if (auth_peer_token(srv->auth, &tok, &tok_len) != 0)
        return -1;
    rc = ctx_init(x, srv->st, p->url[i], srv->cfg->peer_cacert, tok, tok_len,
                  (unsigned)srv->cfg->peer_jobs, srv->cfg->max_blob_bytes, &p->cnt, &p->stop);
    secret_free(tok, tok_len);
    return rc;
}

/* Sleeps up to ms, waking early when stopping. */
static void nap(struct peers *p, uint64_t ms)
{
    uint64_t end = now_ns() + ms * 1000000ULL;

    while (!atomic_load(&p->stop) && now_ns() < end) {
        struct timespec ts = {0, 100 * 1000000L};

        nanosleep(&ts, NULL);
    }
}

static uint64_t local_release_count(struct store *st)
{
    struct store_stats s;

    return store_stats(st, &s) == STORE_OK ? s.releases : 0;
}

/* One anti-entropy check against peer i: release ids and counts first, then
 * the blob count; a pass only when they differ. Adds the releases missing
 * here to *divergence. */
static void anti_entropy(struct peers *p, size_t i, uint64_t *divergence)
{
    struct ctx x;
    uint64_t missing = 0;
    long status;
    int run = 0;

    if (peers_ctx(p, &x, i) != 0)
        goto out;
    if (sync_releases(&x, 0, &missing) != 0)
        goto out; /* unreachable: logged */
    *divergence += missing;
    run = missing > 0;
    if (!run) {
        /* same releases: still a pass if the peer has more blobs, or more
         * variants (one that failed to arrive, or uploaded later) */
        struct buf body = {NULL, 0, 0, 0};

        if (get_body(&x, API_PATH_STATUS, &body, &status) == 0) {
            struct store_stats s;
            uint64_t peer_blobs, peer_variants;

            if (api_status_decode((const char *)body.p, body.len, &peer_blobs, &peer_variants) != 0)
                refused(&x, "status", "no store blob and variant counts");
            else if (store_stats(p->srv->st, &s) == STORE_OK &&
                     (peer_blobs > s.blobs || peer_variants > s.variants))
                run = 1;
            buf_free(&body);
        }
    }
    if (run) {
        int r;

        log_warn("anti-entropy: %s has %llu releases this node lacks%s; catching up", p->url[i],
                 (unsigned long long)missing, missing ? "" : " (and more blobs or variants)");
        r = sync_pass(&x);
        log_info("anti-entropy from %s: %llu blobs, %llu variants, %llu releases fetched, %s",
                 p->url[i], (unsigned long long)x.fetched, (unsigned long long)x.vfetched,
                 (unsigned long long)x.published, r == 1 ? "complete" : "incomplete");
    }
out:
    ctx_free(&x);
}

/* --peers-dns: resolves the name again and merges the answer into url[]
 * (new addresses appended, absent ones marked gone, returning ones
 * revived). Only the sync thread calls it; readers see url[i] before n. */
/* The scheme of the nodes --peers-dns names: a fleet whose admin listeners
 * speak TLS (this node's does, or --peer-cacert is given) is https. */
static const char *peers_dns_scheme(const struct config *cfg)
{
    return cfg->admin_tls_cert != NULL || cfg->peer_cacert != NULL ? "https" : "http";
}

static void peers_dns_refresh(struct peers *p)
{
    const struct config *cfg = p->srv->cfg;
    struct discover_list dl;
    char err[300];
    size_t i, j, n = atomic_load(&p->n);

    if (cfg->peers_dns == NULL)
        return;
    if (discover_resolve(cfg->peers_dns, peers_dns_scheme(cfg), cfg->admin_listen, &dl, err,
                         sizeof(err)) != 0) {
        log_warn("--peers-dns: %s (keeping the %zu peers known)", err, n);
        return;
    }
    for (i = 0; i < n; i++) {
        int listed = 0;

        for (j = 0; j < dl.n && !listed; j++)
            listed = strcmp(p->url[i], dl.url[j]) == 0;
        if (i >= p->n_static)
            atomic_store(&p->gone[i], !listed);
    }
    for (j = 0; j < dl.n; j++) {
        for (i = 0; i < n && strcmp(p->url[i], dl.url[j]) != 0; i++)
            ;
        if (i < n)
            continue;
        if (n == PEERS_MAX) {
            if (!p->dns_full_warned)
                log_warn("--peers-dns: more than %d peers; %s and later ones left out", PEERS_MAX,
                         dl.url[j]);
            p->dns_full_warned = 1;
            continue;
        }
        p->url[n] = strdup(dl.url[j]);
        if (p->url[n] == NULL)
            break;
        log_info("--peers-dns %s: new peer %s", cfg->peers_dns, p->url[n]);
        atomic_store(&p->n, ++n);
    }
    discover_list_free(&dl);
}

static void *sync_thread(void *arg)
{
    struct peers *p = arg;
    struct server *srv = p->srv;
    uint64_t start = now_ns(), backoff = 1000;
    uint64_t timeout_ns = srv->cfg->peer_timeout * 1000000000ULL;
    int warned_empty = 0;
    size_t i;

    while (!atomic_load(&p->stop) && atomic_load(&srv->catching_up)) {
        int complete = 0, reached = 0;

        peers_dns_refresh(p);
        for (i = 0; i < p->n && !atomic_load(&p->stop); i++) {
            struct ctx x;
            int r = -1;

            if (atomic_load(&p->gone[i]))
                continue;
            if (peers_ctx(p, &x, i) == 0)
                r = sync_pass(&x);
            if (r >= 0)
                reached = 1;
            if (r == 1)
                complete = 1;
            log_info("catch-up from %s: %llu blobs listed, %llu fetched (%llu bytes), "
                     "%llu variants, %llu releases, %llu bad: %s",
                     p->url[i], (unsigned long long)x.listed, (unsigned long long)x.fetched,
                     (unsigned long long)x.fetched_bytes, (unsigned long long)x.vfetched,
                     (unsigned long long)x.published, (unsigned long long)x.bad,
                     r == 1   ? "complete"
                     : r == 0 ? "incomplete"
                              : "unreachable");
            ctx_free(&x);
        }
        if (complete) {
            atomic_store(&srv->catching_up, 0);
            log_info("caught up with peers in %.1f s: /healthz answers 200",
                     (double)(now_ns() - start) / 1e9);
            break;
        }
        if (timeout_ns > 0 && now_ns() - start >= timeout_ns) {
            if (local_release_count(srv->st) > 0) {
                atomic_store(&srv->catching_up, 0);
                log_error("NOT CAUGHT UP: no full pass against any peer in %llu s (%s); serving "
                          "the local store as it is, healing misses and retrying every %llu s",
                          (unsigned long long)srv->cfg->peer_timeout,
                          reached ? "peers answered but passes were incomplete"
                                  : "no peer reachable",
                          (unsigned long long)srv->cfg->peer_interval);
                break;
            }
            if (!warned_empty) {
                log_error("NOT CAUGHT UP: the store is empty and no peer could be caught up from "
                          "in %llu s; /healthz stays 503 until one can",
                          (unsigned long long)srv->cfg->peer_timeout);
                warned_empty = 1;
            }
        }
        nap(p, backoff);
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
    }
    while (!atomic_load(&p->stop)) {
        uint64_t divergence = 0;

        nap(p, srv->cfg->peer_interval * 1000ULL);
        if (atomic_load(&p->stop))
            break;
        peers_dns_refresh(p);
        for (i = 0; i < p->n && !atomic_load(&p->stop); i++)
            if (!atomic_load(&p->gone[i]))
                anti_entropy(p, i, &divergence);
        atomic_store(&p->cnt.divergence, divergence);
        if (atomic_load(&srv->catching_up) && divergence == 0 && local_release_count(srv->st) > 0) {
            atomic_store(&srv->catching_up, 0);
            log_info("caught up with peers (anti-entropy): /healthz answers 200");
        }
    }
    return NULL;
}

/* The digest bound to path, found by walking the local releases (only for
 * the rare bound-but-absent case). Returns 0 or -1. */
struct find_path {
    const char *path;
    size_t len;
    unsigned char digest[STORE_DIGEST_LEN];
    int found;
};

static int find_file_cb(void *arg, const struct store_file *file)
{
    struct find_path *fp = arg;

    if (file->path_len == fp->len && memcmp(file->path, fp->path, fp->len) == 0) {
        memcpy(fp->digest, file->digest, STORE_DIGEST_LEN);
        fp->found = 1;
        return 1;
    }
    return 0;
}

static int collect_id_cb(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    json_array_append_new((json_t *)arg, json_stringn(id, id_len));
    return 0;
}

static int bound_digest(struct store *st, const char *path, size_t len,
                        unsigned char out[STORE_DIGEST_LEN])
{
    struct store_reader *rd = NULL;
    struct find_path fp;
    json_t *ids = json_array(), *v;
    size_t i;

    memset(&fp, 0, sizeof(fp));
    fp.path = path;
    fp.len = len;
    if (ids == NULL || store_reader_begin(st, &rd) != STORE_OK) {
        json_decref(ids);
        return -1;
    }
    store_release_list(rd, collect_id_cb, ids);
    /* newest first: a missing blob most likely belongs to a recent release */
    for (i = json_array_size(ids); i > 0 && !fp.found; i--) {
        v = json_array_get(ids, i - 1);
        store_release_get(rd, json_string_value(v), json_string_length(v), NULL, find_file_cb, &fp);
    }
    store_reader_end(rd);
    json_decref(ids);
    if (!fp.found)
        return -1;
    memcpy(out, fp.digest, STORE_DIGEST_LEN);
    return 0;
}

static int path_ok(struct store *st, const char *path, size_t len)
{
    struct store_reader *rd = NULL;
    struct store_asset a;
    int err;

    if (store_reader_begin(st, &rd) != STORE_OK)
        return 0;
    err = store_lookup(rd, path, len, &a);
    store_reader_end(rd);
    return err == STORE_OK;
}

/* One heal round for the jobs in list: bound-but-absent blobs by digest,
 * unknown paths by fetching the releases this node lacks, peer by peer,
 * until every path resolves or the budget is spent. Returns 1 if anything
 * was stored. */
static int heal_round(struct peers *p, struct heal_job *list)
{
    struct store *st = p->srv->st;
    uint64_t deadline = now_ns() + HEAL_BUDGET_MS * 1000000ULL;
    struct heal_job *j;
    int stored = 0;
    size_t i;

    for (i = 0; i < p->n; i++) {
        struct ctx x;
        int pending = 0;

        if (atomic_load(&p->gone[i]))
            continue;
        for (j = list; j != NULL; j = j->next)
            if (!path_ok(st, j->path, j->len))
                pending = 1;
        if (!pending || now_ns() >= deadline || atomic_load(&p->stop))
            break;
        if (peers_ctx(p, &x, i) != 0) {
            ctx_free(&x);
            continue;
        }
        x.deadline_ns = deadline;
        for (j = list; j != NULL; j = j->next) {
            struct fetch f[STORE_ENC_COUNT];
            unsigned char d[STORE_DIGEST_LEN];
            int k;

            if (!j->corrupt || path_ok(st, j->path, j->len) ||
                bound_digest(st, j->path, j->len, d) != 0)
                continue;
            memset(f, 0, sizeof(f));
            for (k = 0; k < STORE_ENC_COUNT; k++) {
                memcpy(f[k].digest, d, STORE_DIGEST_LEN);
                f[k].enc = k;
                f[k].optional = k != STORE_ENC_IDENTITY;
                f[k].size = x.max_blob;
            }
            fetch_and_store(&x, f, STORE_ENC_COUNT);
        }
        for (j = list; j != NULL; j = j->next) {
            if (!j->corrupt && !path_ok(st, j->path, j->len)) {
                sync_releases(&x, 1, NULL);
                break;
            }
        }
        if (x.fetched + x.vfetched + x.published > 0)
            stored = 1;
        if (x.bad > 0)
            log_warn("heal: refused %llu bad blobs from %s; trying the next peer",
                     (unsigned long long)x.bad, p->url[i]);
        ctx_free(&x);
    }
    for (j = list; j != NULL; j = j->next) {
        if (path_ok(st, j->path, j->len))
            atomic_fetch_add(&p->cnt.heals_ok, 1);
        else
            atomic_fetch_add(&p->cnt.heals_miss, 1);
    }
    return stored;
}

static void resume_all(struct heal_job *list)
{
    while (list != NULL) {
        struct heal_job *next = list->next;

        list->r->heal = 2;
        MHD_resume_connection(list->c);
        free(list);
        list = next;
    }
}

static void *heal_thread(void *arg)
{
    struct peers *p = arg;

    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stop)) {
        struct heal_job *list;
        int found;

        if (p->queue == NULL) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        list = p->queue;
        p->queue = NULL;
        p->queued = 0;
        p->healing = 1;
        pthread_mutex_unlock(&p->lock);
        found = heal_round(p, list);
        resume_all(list);
        pthread_mutex_lock(&p->lock);
        p->healing = 0;
        p->last_heal_end = now_ns();
        p->last_heal_found = found;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int peers_heal(struct peers *p, struct req *r, struct MHD_Connection *c, const char *path,
               size_t len, int corrupt)
{
    struct heal_job *j;

    if (p == NULL || len > STORE_PATH_MAX)
        return -1;
    j = calloc(1, sizeof(*j));
    if (j == NULL)
        return -1;
    j->r = r;
    j->c = c;
    memcpy(j->path, path, len);
    j->len = len;
    j->corrupt = corrupt;
    pthread_mutex_lock(&p->lock);
    /* an unknown path right after a round that found nothing new: answer
     * the 404 at once (a scan of random names must not keep peers busy) */
    if (atomic_load(&p->stop) || p->queued >= HEAL_QUEUE_MAX ||
        (!corrupt && !p->healing && p->last_heal_end != 0 && !p->last_heal_found &&
         now_ns() - p->last_heal_end < HEAL_COOLDOWN_MS * 1000000ULL)) {
        pthread_mutex_unlock(&p->lock);
        free(j);
        return -1;
    }
    r->heal = 1;
    MHD_suspend_connection(c);
    j->next = p->queue;
    p->queue = j;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int peers_start(struct server *srv, struct peers **out)
{
    const struct config *cfg = srv->cfg;
    struct peers *p;
    size_t i;

    *out = NULL;
    if (cfg->n_peer == 0 && cfg->peers_dns == NULL)
        return 0;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    p->srv = srv;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    /* each --peer may hold several comma-separated URLs (ORIGIND_PEERS) */
    for (i = 0; i < cfg->n_peer; i++) {
        const char *s = cfg->peer[i];

        while (*s != '\0') {
            size_t n = strcspn(s, ", ");

            while (n > 0 && s[n - 1] == '/')
                n--;
            if (n > 0) {
                if (p->n == PEERS_MAX || n > URL_MAX ||
                    (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)) {
                    log_error("--peer: '%.*s' is not an http(s) admin URL (at most %d peers)",
                              (int)(n > 200 ? 200 : n), s, PEERS_MAX);
                    goto fail;
                }
                p->url[p->n] = strndup(s, n);
                if (p->url[p->n] == NULL)
                    goto fail;
                p->n++;
            }
            s += strcspn(s, ", ");
            s += strspn(s, ", /");
        }
    }
    p->n_static = p->n;
    if (p->n == 0 && cfg->peers_dns == NULL) {
        atomic_store(&srv->catching_up, 0);
        goto fail_quiet;
    }
    if (cfg->peers_dns != NULL) {
        struct discover_list dl;
        char err[300];

        /* a name that does not resolve is a configuration error at start */
        if (discover_resolve(cfg->peers_dns, peers_dns_scheme(cfg), cfg->admin_listen, &dl, err,
                             sizeof(err)) != 0) {
            log_error("--peers-dns: %s", err);
            goto fail;
        }
        discover_list_free(&dl);
        peers_dns_refresh(p);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (pthread_create(&p->heal_thr, NULL, heal_thread, p) != 0)
        goto fail;
    p->heal_started = 1;
    if (pthread_create(&p->sync_thr, NULL, sync_thread, p) != 0)
        goto fail;
    p->sync_started = 1;
    log_info("catching up from %zu peer%s%s%s (/healthz answers 503 until done); anti-entropy "
             "every %llu s",
             (size_t)p->n, p->n == 1 ? "" : "s", cfg->peers_dns ? " found by --peers-dns " : "",
             cfg->peers_dns ? cfg->peers_dns : "", (unsigned long long)cfg->peer_interval);
    *out = p;
    return 0;
fail:
    peers_stop(p);
    return -1;
fail_quiet:
    peers_stop(p);
    return 0;
}

void peers_stop(struct peers *p)
{
    size_t i;
    struct heal_job *list;

    if (p == NULL)
        return;
    atomic_store(&p->stop, 1);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (p->heal_started)
        pthread_join(p->heal_thr, NULL);
    if (p->sync_started)
        pthread_join(p->sync_thr, NULL);
    pthread_mutex_lock(&p->lock);
    list = p->queue;
    p->queue = NULL;
    pthread_mutex_unlock(&p->lock);
    resume_all(list);
    for (i = 0; i < p->n; i++)
        free(p->url[i]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}

int peers_metrics_append(struct peers *p, const struct server *srv, char **text, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    char *np;

    if (f == NULL)
        return -1;
    fprintf(f,
            "# HELP origind_catching_up 1 while the node catches up from its peers (/healthz "
            "503).\n# TYPE origind_catching_up gauge\norigind_catching_up %d\n",
            atomic_load(&srv->catching_up) ? 1 : 0);
    if (p != NULL) {
        fprintf(f,
                "# HELP origind_peer_peers Peers configured.\n"
                "# TYPE origind_peer_peers gauge\norigind_peer_peers %zu\n"
                "# HELP origind_peer_sync_runs_total Catch-up passes run (one per peer).\n"
                "# TYPE origind_peer_sync_runs_total counter\norigind_peer_sync_runs_total %llu\n"
                "# HELP origind_peer_blobs_fetched_total Blobs fetched from peers and stored.\n"
                "# TYPE origind_peer_blobs_fetched_total counter\n"
                "origind_peer_blobs_fetched_total %llu\n"
                "# HELP origind_peer_variants_fetched_total Variants fetched from peers.\n"
                "# TYPE origind_peer_variants_fetched_total counter\n"
                "origind_peer_variants_fetched_total %llu\n"
                "# HELP origind_peer_bytes_fetched_total Bytes of blobs and variants stored.\n"
                "# TYPE origind_peer_bytes_fetched_total counter\n"
                "origind_peer_bytes_fetched_total %llu\n"
                "# HELP origind_peer_bad_blobs_total Peer bytes refused: not their digest.\n"
                "# TYPE origind_peer_bad_blobs_total counter\norigind_peer_bad_blobs_total %llu\n"
                "# HELP origind_peer_releases_fetched_total Releases published from peers.\n"
                "# TYPE origind_peer_releases_fetched_total counter\n"
                "origind_peer_releases_fetched_total %llu\n"
                "# HELP origind_peer_errors_total Failed peer transfers and publishes.\n"
                "# TYPE origind_peer_errors_total counter\norigind_peer_errors_total %llu\n"
                "# HELP origind_peer_divergence Releases peers have that this node lacked at "
                "the last anti-entropy check.\n"
                "# TYPE origind_peer_divergence gauge\norigind_peer_divergence %llu\n"
                "# HELP origind_peer_refused_total Peer answers refused by the strict node-API "
                "decoders (nothing of them published).\n"
                "# TYPE origind_peer_refused_total counter\norigind_peer_refused_total %llu\n"
                "# HELP origind_peer_incompatible_total Peer answers of another node-API "
                "version.\n"
                "# TYPE origind_peer_incompatible_total counter\n"
                "origind_peer_incompatible_total %llu\n"
                "# HELP origind_peer_heals_total Public misses read through to peers.\n"
                "# TYPE origind_peer_heals_total counter\n"
                "origind_peer_heals_total{result=\"healed\"} %llu\n"
                "origind_peer_heals_total{result=\"miss\"} %llu\n",
                (size_t)atomic_load(&p->n), (unsigned long long)atomic_load(&p->cnt.runs),
                (unsigned long long)atomic_load(&p->cnt.blobs),
                (unsigned long long)atomic_load(&p->cnt.variants),
                (unsigned long long)atomic_load(&p->cnt.bytes),
                (unsigned long long)atomic_load(&p->cnt.bad),
                (unsigned long long)atomic_load(&p->cnt.releases),
                (unsigned long long)atomic_load(&p->cnt.errors),
                (unsigned long long)atomic_load(&p->cnt.divergence),
                (unsigned long long)atomic_load(&p->cnt.refused),
                (unsigned long long)atomic_load(&p->cnt.incompatible),
                (unsigned long long)atomic_load(&p->cnt.heals_ok),
                (unsigned long long)atomic_load(&p->cnt.heals_miss));
    }
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    np = realloc(*text, *len + size + 1);
    if (np == NULL) {
        free(buf);
        return -1;
    }
    memcpy(np + *len, buf, size);
    *len += size;
    np[*len] = '\0';
    *text = np;
    free(buf);
    return 0;
}
