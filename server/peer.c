/*
 * peer.c - the peers of a running `serve --peer` (peer.h): the sync thread
 * (catch-up until /healthz may say 200, then anti-entropy every
 * --peer-interval), --peers-dns refresh, starting and stopping both peer
 * threads (the heal thread is peer_heal.c's) and the peer metrics.
 *
 * Not for: transfers (peer_client.c), a pass itself (peer_sync.c), healing
 * (peer_heal.c) or serving: the only server state touched is the
 * catching_up flag handed to peers_start().
 *
 * Threads: `serve` runs two threads, the sync thread (here) and the heal
 * thread. Each owns its curl handles; they share only the store
 * (thread-safe), the counters (atomics) and the heal queue (mutex).
 */
#include "peer_internal.h"

#include "api.h"
#include "auth.h"
#include "clock.h"
#include "discover.h"
#include "log.h"
#include "metrics.h"
#include "secret_file.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int peers_ctx(struct peers *p, struct ctx *x, size_t i)
{
    char *tok = NULL;
    size_t tok_len = 0;
    int rc;

    /* the current peer token: SIGHUP may have rotated it since the last pass */
    memset(x, 0, sizeof(*x)); /* callers read and free x even when this fails */
    if (auth_peer_token(p->auth, &tok, &tok_len) != 0)
        return -1;
    rc = peer_ctx_init(x, p->st, p->url[i], p->cfg->peer_cacert, tok, tok_len,
                       (unsigned)p->cfg->peer_jobs, p->cfg->max_blob_bytes, &p->cnt, &p->stop);
    secret_free(tok, tok_len);
    /* a peer that does not answer for --peer-timeout is not waited for
     * (catch-up narrows this to what is left of its budget) */
    if (p->cfg->peer_timeout > 0 && p->cfg->peer_timeout * 1000ULL < LOW_SPEED_SECS * 1000ULL)
        x->stall_max_ms = (long)(p->cfg->peer_timeout * 1000ULL);
    return rc;
}

/* Sleeps up to ms, waking early when stopping. */
static void nap(struct peers *p, uint64_t ms)
{
    uint64_t end = clock_mono_ns() + ms * 1000000ULL;

    while (!atomic_load(&p->stop) && clock_mono_ns() < end) {
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
    if (peer_sync_releases(&x, 0, &missing) != 0)
        goto out; /* unreachable: logged */
    *divergence += missing;
    run = missing > 0;
    if (!run) {
        /* same releases: still a pass if the peer has more blobs, more
         * variants or more deltas (one that failed to arrive, uploaded
         * later, or not copied by a heal, which copies variants only) */
        struct buf body = {NULL, 0, 0, 0};

        if (peer_get_body(&x, API_PATH_STATUS, &body, &status) == 0) {
            struct store_stats s;
            uint64_t peer_blobs, peer_variants, peer_deltas = 0;

            if (api_status_decode(body.data, body.len, &peer_blobs, &peer_variants) != 0)
                peer_refused(&x, "status", "no store blob and variant counts");
            else if (store_stats(p->st, &s) == STORE_OK &&
                     (peer_blobs > s.blobs || peer_variants > s.variants ||
                      (api_status_deltas(body.data, body.len, &peer_deltas) == 0 &&
                       peer_deltas > s.deltas)))
                run = 1;
            buf_free(&body);
        }
    }
    if (run) {
        int r;

        log_warn("anti-entropy: %s has %llu releases this node lacks%s; catching up", p->url[i],
                 (unsigned long long)missing,
                 missing ? "" : " (and more blobs, variants or deltas)");
        r = peer_sync_pass(&x);
        log_info("anti-entropy from %s: %llu blobs, %llu variants, %llu releases fetched, %s",
                 p->url[i], (unsigned long long)x.fetched, (unsigned long long)x.vfetched,
                 (unsigned long long)x.published, r == 1 ? "complete" : "incomplete");
    }
out:
    peer_ctx_free(&x);
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
    const struct config *cfg = p->cfg;
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
    uint64_t start = clock_mono_ns(), backoff = 1000;
    uint64_t timeout_ns = p->cfg->peer_timeout * 1000000000ULL;
    int warned_empty = 0;
    size_t i;

    while (!atomic_load(&p->stop) && atomic_load(p->catching_up)) {
        int complete = 0, reached = 0;
        /* no transfer of this round stalls past the --peer-timeout budget
         * (once it is spent, each round gets --peer-timeout again) */
        uint64_t budget = timeout_ns == 0                        ? 0
                          : clock_mono_ns() < start + timeout_ns ? start + timeout_ns
                                                                 : clock_mono_ns() + timeout_ns;

        peers_dns_refresh(p);
        for (i = 0; i < p->n && !atomic_load(&p->stop); i++) {
            struct ctx x;
            int r = -1;

            if (atomic_load(&p->gone[i]))
                continue;
            if (peers_ctx(p, &x, i) == 0) {
                x.budget_ns = budget;
                r = peer_sync_pass(&x);
            }
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
            peer_ctx_free(&x);
        }
        if (complete) {
            atomic_store(p->catching_up, 0);
            log_info("caught up with peers in %.1f s: /healthz answers 200",
                     (double)(clock_mono_ns() - start) / 1e9);
            break;
        }
        if (timeout_ns > 0 && clock_mono_ns() - start >= timeout_ns) {
            if (local_release_count(p->st) > 0) {
                atomic_store(p->catching_up, 0);
                log_error("NOT CAUGHT UP: no full pass against any peer in %llu s (%s); serving "
                          "the local store as it is, healing misses and retrying every %llu s",
                          (unsigned long long)p->cfg->peer_timeout,
                          reached ? "peers answered but passes were incomplete"
                                  : "no peer reachable",
                          (unsigned long long)p->cfg->peer_interval);
                break;
            }
            if (!warned_empty) {
                log_error("NOT CAUGHT UP: the store is empty and no peer could be caught up from "
                          "in %llu s; /healthz stays 503 until one can",
                          (unsigned long long)p->cfg->peer_timeout);
                warned_empty = 1;
            }
        }
        nap(p, backoff);
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
    }
    while (!atomic_load(&p->stop)) {
        uint64_t divergence = 0;

        nap(p, p->cfg->peer_interval * 1000ULL);
        if (atomic_load(&p->stop))
            break;
        peers_dns_refresh(p);
        for (i = 0; i < p->n && !atomic_load(&p->stop); i++)
            if (!atomic_load(&p->gone[i]))
                anti_entropy(p, i, &divergence);
        atomic_store(&p->cnt.divergence, divergence);
        if (atomic_load(p->catching_up) && divergence == 0 && local_release_count(p->st) > 0) {
            atomic_store(p->catching_up, 0);
            log_info("caught up with peers (anti-entropy): /healthz answers 200");
        }
    }
    return NULL;
}

int peers_start(struct store *st, const struct config *cfg, struct auth *auth,
                atomic_int *catching_up, struct peers **out)
{
    struct peers *p;
    size_t i;

    *out = NULL;
    if (cfg->n_peer == 0 && cfg->peers_dns == NULL)
        return 0;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -1;
    p->st = st;
    p->cfg = cfg;
    p->auth = auth;
    p->catching_up = catching_up;
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
        atomic_store(p->catching_up, 0);
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
    if (pthread_create(&p->heal_thr, NULL, peer_heal_thread, p) != 0)
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
    peer_heal_finish_all(p, list);
    for (i = 0; i < p->n; i++)
        free(p->url[i]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    free(p);
}

int peers_metrics_append(struct peers *p, int catching_up, char **text, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    if (f == NULL)
        return -1;
    fprintf(f,
            "# HELP origind_catching_up 1 while the node catches up from its peers (/healthz "
            "503).\n# TYPE origind_catching_up gauge\norigind_catching_up %d\n",
            catching_up ? 1 : 0);
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
    return metrics_text_append(f, &buf, &size, text, len);
}
