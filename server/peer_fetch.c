/*
 * peer_fetch.c - the pull behind POST /v1/fetch (peer.h, "the seed push's
 * pull"): the listed digests this store lacks, with their variants, fetched
 * from named nodes in order, through the catch-up's own transfers and
 * batches (peer_client.c's peer_fetch_many, peer_sync.c's
 * peer_fetch_and_store), and the counters /metrics shows for it.
 *
 * Not for: the HTTP exchange (admin_fetch.c), choosing the sources (the
 * client does: origin-ingest's tools/seed.c), or trusting a byte: the store
 * re-hashes every blob and decodes every variant, whoever sent it.
 *
 * Thread-safety: each call has its own struct ctx (curl handles); the
 * store is thread-safe and the counters are atomics.
 */
#include "peer_internal.h"

#include "auth.h"
#include "log.h"
#include "metrics.h"
#include "secret_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct peer_fetch_stats {
    struct counters cnt; /* blobs, variants, bytes, bad, errors (as a catch-up counts them) */
    atomic_uint_fast64_t requests, unfetched;
    atomic_int stop;
};

struct peer_fetch_stats *peer_fetch_stats_new(void)
{
    return calloc(1, sizeof(struct peer_fetch_stats));
}

void peer_fetch_stats_stop(struct peer_fetch_stats *s)
{
    if (s != NULL)
        atomic_store(&s->stop, 1);
}

void peer_fetch_stats_free(struct peer_fetch_stats *s)
{
    free(s);
}

int peer_fetch_metrics_append(struct peer_fetch_stats *s, char **text, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f;

    if (s == NULL)
        return 0;
    f = open_memstream(&buf, &size);
    if (f == NULL)
        return -1;
    fprintf(f,
            "# HELP origind_fetch_requests_total POST /v1/fetch requests run (seed push).\n"
            "# TYPE origind_fetch_requests_total counter\norigind_fetch_requests_total %llu\n"
            "# HELP origind_fetch_blobs_total Blobs fetched from seed nodes and stored.\n"
            "# TYPE origind_fetch_blobs_total counter\norigind_fetch_blobs_total %llu\n"
            "# HELP origind_fetch_variants_total Variants fetched from seed nodes and stored.\n"
            "# TYPE origind_fetch_variants_total counter\norigind_fetch_variants_total %llu\n"
            "# HELP origind_fetch_bytes_total Bytes of blobs and variants fetched and stored.\n"
            "# TYPE origind_fetch_bytes_total counter\norigind_fetch_bytes_total %llu\n"
            "# HELP origind_fetch_bad_total Seed bytes refused: not their digest or variant.\n"
            "# TYPE origind_fetch_bad_total counter\norigind_fetch_bad_total %llu\n"
            "# HELP origind_fetch_errors_total Failed transfers from seed nodes.\n"
            "# TYPE origind_fetch_errors_total counter\norigind_fetch_errors_total %llu\n"
            "# HELP origind_fetch_unfetched_total Listed digests no source could give.\n"
            "# TYPE origind_fetch_unfetched_total counter\norigind_fetch_unfetched_total %llu\n",
            (unsigned long long)atomic_load(&s->requests),
            (unsigned long long)atomic_load(&s->cnt.blobs),
            (unsigned long long)atomic_load(&s->cnt.variants),
            (unsigned long long)atomic_load(&s->cnt.bytes),
            (unsigned long long)atomic_load(&s->cnt.bad),
            (unsigned long long)atomic_load(&s->cnt.errors),
            (unsigned long long)atomic_load(&s->unfetched));
    return metrics_text_append(f, &buf, &size, text, len);
}

/* 1 if digest i still wants its identity or any variant. */
static int wanted(const unsigned char *want, size_t i)
{
    int enc;

    for (enc = 0; enc < STORE_ENC_COUNT; enc++)
        if (want[i * STORE_ENC_COUNT + (size_t)enc])
            return 1;
    return 0;
}

/* One source's share: every pending (digest, encoding) of the digests
 * [0..n) whose want[i * STORE_ENC_COUNT + enc] is 1, fetched in batches: at
 * most PEER_FETCH_BATCH digests and, with sizes, about BATCH_BYTES of blobs
 * (without sizes at most PEER_FETCH_BATCH_UNSIZED digests, each capped at
 * --max-blob-bytes only). A stored item, or a variant the source answers
 * 404 for, is settled (want cleared); anything else stays wanted for the
 * next source. Returns 0, or -1 if a batch could not be committed. */
static int from_one(struct ctx *x, const unsigned char (*digests)[STORE_DIGEST_LEN],
                    const uint64_t *sizes, size_t n, unsigned char *want, struct fetch *f)
{
    size_t start, end, i, nf;
    int enc;

    for (start = 0; start < n && !peer_expired(x); start = end) {
        size_t most = sizes != NULL ? PEER_FETCH_BATCH : PEER_FETCH_BATCH_UNSIZED;
        uint64_t bytes = 0;

        nf = 0;
        for (i = start; i < n && i - start < most && (i == start || bytes < BATCH_BYTES); i++) {
            uint64_t size = sizes != NULL ? sizes[i] : x->max_blob; /* unknown: the cap only */

            if (!wanted(want, i))
                continue;
            bytes += size;
            for (enc = 0; enc < STORE_ENC_COUNT; enc++) {
                if (!want[i * STORE_ENC_COUNT + (size_t)enc])
                    continue;
                memset(&f[nf], 0, sizeof(f[nf]));
                memcpy(f[nf].digest, digests[i], STORE_DIGEST_LEN);
                f[nf].enc = enc;
                f[nf].optional = enc != STORE_ENC_IDENTITY;
                f[nf].size = size;
                nf++;
            }
        }
        end = i;
        if (nf == 0)
            continue;
        if (peer_fetch_and_store(x, f, nf) != 0)
            return -1;
        /* settle what arrived (ok survives storing only if the store took it);
         * a source that could not be reached or stalled is down for the rest
         * of this fetch (peer_fetch_many starts nothing more on it): a hung
         * seed costs one stall, and its share goes to the next source */
        nf = 0;
        for (i = start; i < end; i++) {
            for (enc = 0; enc < STORE_ENC_COUNT; enc++) {
                unsigned char *w = &want[i * STORE_ENC_COUNT + (size_t)enc];

                if (!*w)
                    continue;
                if (f[nf].ok || (f[nf].optional && f[nf].status == 404))
                    *w = 0;
                nf++;
            }
        }
    }
    return 0;
}

int peer_fetch_digests(struct store *st, const struct config *cfg, struct auth *auth,
                       struct peer_fetch_stats *stats, const char *const *from, size_t nfrom,
                       const unsigned char (*digests)[STORE_DIGEST_LEN], const uint64_t *sizes,
                       const unsigned *variants, size_t n, unsigned char *still_missing,
                       struct peer_fetch_result *res)
{
    unsigned char *want = NULL;
    struct fetch *f = NULL;
    size_t i, s, left = 0;
    int enc, rc = -1;

    memset(res, 0, sizeof(*res));
    atomic_fetch_add(&stats->requests, 1);
    want = calloc(n > 0 ? n : 1, STORE_ENC_COUNT);
    f = calloc(PEER_FETCH_BATCH * STORE_ENC_COUNT, sizeof(*f));
    if (want == NULL || f == NULL)
        goto out;
    if (n > 0 && store_missing(st, digests, n, still_missing) != STORE_OK)
        goto out;
    for (i = 0; i < n; i++) {
        if (!still_missing[i]) {
            res->present++;
            continue;
        }
        left++;
        for (enc = 0; enc < STORE_ENC_COUNT; enc++)
            want[i * STORE_ENC_COUNT + (size_t)enc] =
                enc == STORE_ENC_IDENTITY || variants == NULL || (variants[i] & (1u << enc));
    }
    for (s = 0; s < nfrom && left > 0 && !atomic_load(&stats->stop); s++) {
        struct ctx x;
        char *tok = NULL;
        size_t tok_len = 0;
        int r = -1;

        memset(&x, 0, sizeof(x));
        if (auth_peer_token(auth, &tok, &tok_len) == 0) {
            r = peer_ctx_init(&x, st, from[s], cfg->peer_cacert, tok, tok_len,
                              (unsigned)cfg->peer_jobs, cfg->max_blob_bytes, &stats->cnt,
                              &stats->stop);
            secret_free(tok, tok_len);
        }
        if (cfg->peer_timeout > 0 && cfg->peer_timeout * 1000ULL < LOW_SPEED_SECS * 1000ULL)
            x.stall_max_ms = (long)(cfg->peer_timeout * 1000ULL);
        if (r == 0)
            r = from_one(&x, digests, sizes, n, want, f);
        res->fetched += x.fetched;
        res->variants += x.vfetched;
        res->bytes += x.fetched_bytes;
        res->bad += x.bad;
        res->failed += x.failed;
        log_info("fetch from %s: %llu blobs, %llu variants (%llu bytes), %llu refused, "
                 "%llu failed",
                 from[s], (unsigned long long)x.fetched, (unsigned long long)x.vfetched,
                 (unsigned long long)x.fetched_bytes, (unsigned long long)x.bad,
                 (unsigned long long)x.failed);
        peer_ctx_free(&x);
        if (r != 0)
            goto out;
        left = 0;
        for (i = 0; i < n * STORE_ENC_COUNT; i++)
            left += want[i] != 0;
    }
    /* the store's word, not this loop's bookkeeping */
    if (n > 0 && store_missing(st, digests, n, still_missing) != STORE_OK)
        goto out;
    left = 0;
    for (i = 0; i < n; i++)
        left += still_missing[i] != 0;
    atomic_fetch_add(&stats->unfetched, left);
    rc = 0;
out:
    free(want);
    free(f);
    return rc;
}
