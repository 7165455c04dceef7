/*
 * peer_sync.c - one catch-up pass against one peer (peer.h has the
 * algorithm): the blob listing walked in digest order with its resume
 * cursor, the missing blobs and variants fetched and stored in batches, the
 * peer's tombstones (peer_tombstones.c), then its releases, strictly decoded
 * and published; and `origind sync`, one such pass from the command line.
 *
 * Not for: trusting a peer. Every blob and variant goes through the store's
 * own verification (store_batch_put re-hashes, store_batch_put_variant
 * decodes); a release is published by store_publish, which refuses
 * conflicts and missing blobs. Transfers are peer_client.c's.
 *
 * Thread-safety: a pass uses its own struct ctx; the store is thread-safe
 * and the counters are atomics.
 */
#include "peer_internal.h"
#include "peer_tombstones.h"

#include "api.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "secret_file.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
                err = store_batch_put(b, j->digest, j->body.data ? j->body.data : (void *)"",
                                      j->body.len, &created);
            else
                err = store_batch_put_variant(b, j->digest, j->enc,
                                              j->body.data ? j->body.data : (void *)"", j->body.len,
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
int peer_fetch_and_store(struct ctx *x, struct fetch *f, size_t n)
{
    size_t i;
    int rc;

    if (n == 0)
        return 0;
    peer_fetch_many(x, f, n);
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
    uint64_t now = clock_mono_ns();

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

/* Remembers the deltas page[0..n) lists that this store lacks: they are
 * fetched after the blobs (a dictionary may come later in digest order). */
static void note_deltas(struct ctx *x, const struct api_blob_entry *page, size_t n)
{
    struct store_reader *rd = NULL;
    size_t i;
    unsigned k;

    if (store_reader_begin(x->st, &rd) != STORE_OK)
        return;
    for (i = 0; i < n; i++) {
        for (k = 0; k < page[i].ndeltas; k++) {
            struct store_blob b;

            if (store_get_delta(rd, page[i].digest, page[i].deltas[k], &b) == STORE_OK)
                continue;
            if (x->ndpend == x->capdpend) {
                size_t ncap = x->capdpend ? 2 * x->capdpend : 64;
                void *np = realloc(x->dpend, ncap * sizeof(*x->dpend));

                if (np == NULL)
                    break;
                x->dpend = np;
                x->capdpend = ncap;
            }
            memcpy(x->dpend[x->ndpend], page[i].digest, STORE_DIGEST_LEN);
            memcpy(x->dpend[x->ndpend] + STORE_DIGEST_LEN, page[i].deltas[k], STORE_DIGEST_LEN);
            x->ndpend++;
        }
    }
    store_reader_end(rd);
}

/* Step 3 of a pass: the deltas noted while listing, each verified by the
 * store against its two blobs (store_put_delta) before it is kept. A
 * delta whose blobs are not both here is skipped (the next pass retries). */
static void sync_deltas(struct ctx *x)
{
    size_t i;

    for (i = 0; i < x->ndpend && !atomic_load(x->stop); i++) {
        char th[STORE_HEX_LEN + 1], dh[STORE_HEX_LEN + 1], rel[200];
        struct buf body = {NULL, 0, 0, 0};
        long status;
        int err, created = 0;

        store_digest_to_hex(x->dpend[i], th);
        store_digest_to_hex(x->dpend[i] + STORE_DIGEST_LEN, dh);
        snprintf(rel, sizeof(rel), API_PATH_BLOBS "/%s/dcz/%s", th, dh);
        if (peer_get_body(x, rel, &body, &status) != 0) {
            if (status != 404) /* pruned there meanwhile: nothing to copy */
                x->failed++;
            continue;
        }
        err = store_put_delta(x->st, x->dpend[i], x->dpend[i] + STORE_DIGEST_LEN, body.data,
                              body.len, &created);
        buf_free(&body);
        if (err == STORE_OK) {
            x->dfetched += created;
        } else if (err == STORE_EVARIANT) {
            log_error("peer %s sent a delta %.16s.../dcz/%.16s... that does not decode: refused",
                      x->base, th, dh);
            x->bad++;
            atomic_fetch_add(&x->cnt->bad, 1);
        } else if (err != STORE_ENOTFOUND) {
            log_warn("sync: delta %.16s.../dcz/%.16s... from %s: %s", th, dh, x->base,
                     store_strerror(err));
            x->failed++;
        }
    }
    free(x->dpend);
    x->dpend = NULL;
    x->ndpend = x->capdpend = 0;
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
        if (peer_get_body(x, rel, &body, &status) != 0) {
            if (status != 0)
                log_warn("peer %s: GET " API_PATH_BLOBS ": HTTP %ld", x->base, status);
            goto out;
        }
        page = malloc(PAGE_LIMIT * sizeof(*page));
        if (page == NULL ||
            (cursor[0] != '\0' &&
             store_digest_from_hex(cursor, STORE_HEX_LEN, after) != STORE_OK) ||
            api_blob_page_decode(body.data, body.len, cursor[0] ? after : NULL, page, PAGE_LIMIT,
                                 &n, &has_next, next_d, why, sizeof(why)) != 0) {
            if (page != NULL)
                peer_refused(x, "blob listing", why);
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
        note_deltas(x, page, n);
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
                if (peer_fetch_and_store(x, f, nf) != 0)
                    goto out;
                nf = 0;
                batch_bytes = 0;
                progress(x, 0);
                if (store_reader_begin(x->st, &rd) != STORE_OK)
                    goto out;
            }
        }
        store_reader_end(rd);
        if (peer_fetch_and_store(x, f, nf) != 0 || atomic_load(x->stop))
            goto out;
        progress(x, 0);
        if (!has_next)
            break;
        store_digest_to_hex(next_d, cursor);
        /* resume point only while nothing failed (a failed blob must be
         * listed again by the next pass) */
        if (x->bad + x->failed == 0 && bad_before == 0)
            cursor_save(x, cursor);
        if (peer_expired(x))
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
    if (peer_get_body(x, rel, &body, &status) != 0) {
        x->failed++;
        return -1;
    }
    /* strict: every entry parses, the count matches, the digest verifies;
     * else nothing of it is published (the store is append-only: a wrong
     * release could never be corrected) */
    if (api_release_decode(body.data, body.len, id, &r, why, sizeof(why)) != 0) {
        char what[STORE_ID_MAX + 32];

        snprintf(what, sizeof(what), "release %s", id);
        peer_refused(x, what, why);
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
        f = calloc(ml.n * STORE_ENC_COUNT, sizeof(*f));
        if (f == NULL)
            break;
        for (i = 0; i < ml.n * STORE_ENC_COUNT; i++) {
            memcpy(f[i].digest, ml.d[i / STORE_ENC_COUNT], STORE_DIGEST_LEN);
            f[i].enc = (int)(i % STORE_ENC_COUNT);
            f[i].optional = f[i].enc != STORE_ENC_IDENTITY;
            f[i].size = x->max_blob;
        }
        peer_fetch_and_store(x, f, ml.n * STORE_ENC_COUNT);
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
    if (w->publish && !peer_expired(w->x) && fetch_release(w->x, id) < 0)
        w->rc = -1;
    return 0;
}

int peer_sync_releases(struct ctx *x, int publish, uint64_t *missing_out)
{
    struct release_walk w = {x, NULL, publish, 0, 0};
    struct buf body = {NULL, 0, 0, 0};
    char why[API_WHY_MAX];
    long status;

    /* the peer's tombstones first: nothing it pruned comes back here */
    if (peer_tombstones_sync(x->st, x->base, peer_get_text, x, NULL) != 0)
        w.rc = -1;
    if (peer_get_body(x, API_PATH_RELEASES, &body, &status) != 0) {
        if (status != 0)
            log_warn("peer %s: GET " API_PATH_RELEASES ": HTTP %ld", x->base, status);
        return -1;
    }
    w.local = local_releases(x->st);
    if (w.local == NULL) {
        buf_free(&body);
        return -1;
    }
    if (api_release_list_decode(body.data, body.len, peer_release_cb, &w, why, sizeof(why)) != 0) {
        peer_refused(x, "release listing", why);
        w.rc = -1;
    }
    json_decref(w.local);
    buf_free(&body);
    /* then the peer's promotion, once its releases are here */
    if (!peer_expired(x) && peer_promotion_sync(x) != 0)
        w.rc = -1;
    if (missing_out != NULL)
        *missing_out = w.missing;
    return peer_expired(x) && publish && w.missing > 0 ? -1 : w.rc;
}

/* A full pass (blobs, then releases): peer_internal.h. */
int peer_sync_pass(struct ctx *x)
{
    int blobs, rels;

    atomic_fetch_add(&x->cnt->runs, 1);
    blobs = sync_blobs(x);
    if (blobs != 0 && x->listed == 0 && x->fetched == 0) {
        free(x->dpend);
        x->dpend = NULL;
        x->ndpend = x->capdpend = 0;
        return -1;
    }
    rels = peer_sync_releases(x, 1, NULL);
    sync_deltas(x);
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
    uint64_t t0 = clock_mono_ns();
    int err, rc = 1, r;

    memset(&cnt, 0, sizeof(cnt));
    memset(&x, 0, sizeof(x));
    blen = strlen(cfg->from);
    if (blen > URL_MAX ||
        (strncmp(cfg->from, "http://", 7) != 0 && strncmp(cfg->from, "https://", 8) != 0)) {
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
    if (err == STORE_ELOCKED) {
        long pid = 0;

        (void)store_holder(cfg->store, &pid);
        log_error("store %s is held by origind serve (pid %ld): a running server catches up by "
                  "itself (serve --peer URL) and prunes through origin-ingest prune; stop it "
                  "first to sync by hand",
                  cfg->store, pid);
        goto out;
    }
    if (err != STORE_OK) {
        log_error("cannot open store %s: %s", cfg->store, store_strerror(err));
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (peer_ctx_init(&x, st, base, cfg->peer_cacert, token, token_len, (unsigned)cfg->peer_jobs,
                      cfg->max_blob_bytes, &cnt, &stop) != 0) {
        log_error("sync: out of memory");
        goto out;
    }
    x.progress = 1;
    r = peer_sync_pass(&x);
    printf("sync from %s: %llu blobs listed, %llu fetched (%llu bytes), %llu variants, "
           "%llu releases published, %llu bad, %llu failed, %llu conflicts in %.1f s: %s\n",
           base, (unsigned long long)x.listed, (unsigned long long)x.fetched,
           (unsigned long long)x.fetched_bytes, (unsigned long long)x.vfetched,
           (unsigned long long)x.published, (unsigned long long)x.bad, (unsigned long long)x.failed,
           (unsigned long long)x.conflicts, (double)(clock_mono_ns() - t0) / 1e9,
           r == 1   ? "complete"
           : r == 0 ? "INCOMPLETE (run it again)"
                    : "peer unreachable");
    rc = r == 1 ? 0 : 1;
out:
    peer_ctx_free(&x);
    store_close(st);
    if (token != NULL) {
        OPENSSL_cleanse(token, token_len);
        free(token);
    }
    return rc;
}
