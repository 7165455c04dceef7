/*
 * peer.h - catching a node up from its peers, keeping it there, and healing
 * misses: the client side of the admin API (docs/admin-api.md).
 *
 * A peer is another node's admin base URL ("http://10.0.0.2:8081"); it is
 * reached with the same bearer token as this node's admin listener
 * (`serve --peer`) or with --token-file (`sync`).
 *
 * What a catch-up pass does, against one peer:
 *   1. pages GET /v1/blobs?after=<cursor>&limit=1000 in digest order; for
 *      each page asks the local store which blobs (and listed br/gzip
 *      variants) it lacks, fetches those with several parallel keep-alive
 *      transfers (GET /v1/blobs/<hex>[/gzip|/br]) and stores them in
 *      bundle-sized batches. The store re-hashes every blob and decodes every
 *      variant: bytes that do not match their digest are refused (counted as
 *      bad; the pass is then incomplete and the next peer is used);
 *   2. GET /v1/releases, and for each release the local store lacks,
 *      GET /v1/releases/<id>, decoded strictly (api_release_decode: every
 *      entry, the count and the release digest; otherwise nothing of it is
 *      published, the reason is logged and origind_peer_refused_total
 *      counts it) and store_publish() it with each path's first publish
 *      time from the peer (so Last-Modified is the same on every node).
 *      Every answer must state this node API version (api.h); a peer of
 *      another version is logged with the one-line reason and nothing is
 *      taken from it. Blobs a release
 *      names that are still missing (pushed to the peer during the pass) are
 *      fetched by digest and the publish retried once.
 *   The cursor is saved in STORE/peer-<hash of URL>.cursor after every
 *   committed page, so an interrupted pass resumes where it stopped; the
 *   missing check makes re-fetching impossible anyway. The file is removed
 *   when a pass completes.
 *
 * Timeouts: a transfer that makes no progress (no connection within 3 s,
 * or under 1 KiB/s) is given up after 30 s (`origind sync`); in `serve`
 * after --peer-timeout if that is shorter, while catching up after what is
 * left of --peer-timeout (at least 1 s; each retry round once it is spent
 * gets --peer-timeout again), and in a heal after 1 s. A peer that timed out
 * is not asked again in the same pass, so a peer that accepts and never
 * answers costs one stall and the next peer is asked in time.
 *
 * Peers are only ever read through their admin API, which never heals from
 * its own peers: a miss cannot loop between nodes.
 *
 * Not for: serving (public.c/admin.c) or anything a peer could make this
 * node trust without re-hashing (every byte goes through the store's checks).
 */
#ifndef ORIGIND_PEER_H
#define ORIGIND_PEER_H

#include "config.h"
#include "store.h"

#include <stdatomic.h>
#include <stddef.h>

struct auth;
struct store;

/* `origind sync --store DIR --from URL --token-file FILE`: one catch-up pass
 * from one peer, progress on stderr, a summary line on stdout. Returns the
 * process exit code: 0 when the pass completed (everything the peer had is
 * here), 1 otherwise (store, token file or peer trouble: logged), 2 when
 * --from is not an http(s) URL of at most 1024 bytes. */
int peer_sync_main(const struct config *cfg);

/* The peers of a running `serve` (opaque). */
struct peers;

/* Starts peering from cfg->peer[] (each may hold several comma-separated
 * URLs) and cfg->peers_dns: a thread that catches up (while *catching_up is
 * 1, /healthz answers 503) and then runs anti-entropy every --peer-interval
 * seconds, and a thread that heals misses. st, cfg, auth (the peer token,
 * read again for every pass) and catching_up must outlive the peers. The
 * caller sets *catching_up to 1 before the listeners start; this clears it
 * when a full pass against at least one peer has completed, or when
 * --peer-timeout passes with no full pass and the local store holds at
 * least one release (an empty store stays 503 until a peer answers).
 * *out is always written: the peers on success (stop with peers_stop()),
 * else NULL. Returns 0 or -1 (a bad --peer URL or a --peers-dns that does
 * not resolve: logged; no memory or no thread: not logged). With no peer at
 * all, *out is NULL and 0 is returned; *catching_up is cleared only when
 * --peer was given but named no URL (with neither --peer nor --peers-dns it
 * is left alone). */
int peers_start(struct store *st, const struct config *cfg, struct auth *auth,
                atomic_int *catching_up, struct peers **out);

/* Stops both threads (a pass in progress is cut short: transfers in flight
 * are aborted from their progress callback), reports every heal still
 * waiting as done (PEERS_HEAL_DONE, from the calling thread), and frees p.
 * Call before the listeners stop (their suspended connections must be
 * resumed first). NULL is a no-op. */
void peers_stop(struct peers *p);

/* What a heal reports to its caller (peers_heal). */
enum peers_heal_event {
    PEERS_HEAL_WAIT, /* queued: from inside peers_heal(), in the caller's thread,
                        before the heal thread can see the job (suspend here) */
    PEERS_HEAL_DONE, /* over: from the heal thread, or from peers_stop(); healed
                        is 1 if the path now resolves locally (resume here) */
};
/* PEERS_HEAL_WAIT is called with the peers' internal lock held: fn must not
 * call back into peers then. PEERS_HEAL_DONE is called with no peers lock
 * held. */
typedef void peers_heal_fn(void *arg, enum peers_heal_event ev, int healed);

/* Read-through heal, called from the public handler when path (decoded,
 * valid, len bytes) is unknown locally (corrupt = 0) or bound to a blob that
 * is absent (corrupt = 1). Returns 0 when a heal was queued: fn(arg,
 * PEERS_HEAL_WAIT, 0) has been called before it returned, and fn(arg,
 * PEERS_HEAL_DONE, healed) will be called exactly once, later, from another
 * thread, after the heal thread has fetched from the peers (a round takes
 * at most about 5 s, every transfer in it included) or peers_stop() ran;
 * arg must stay valid until then. Returns -1 when no heal will be tried (p
 * NULL, len > STORE_PATH_MAX, no memory, too many waiting, stopping, or an
 * unknown path within a second of a round that found nothing while no round
 * runs): fn is never called; answer as without peers. Thread-safe. */
int peers_heal(struct peers *p, const char *path, size_t len, int corrupt, peers_heal_fn *fn,
               void *arg);

/* Appends the peer metrics (Prometheus text) to the malloc'd buffer *text
 * of *len bytes, reallocating it; catching_up is the gauge's value. p may
 * be NULL (the gauge only, no counters). Returns 0, or -1 on ENOMEM (*text
 * unchanged). Thread-safe. */
int peers_metrics_append(struct peers *p, int catching_up, char **text, size_t *len);

/* ------------------------------------------------------------------ */
/* POST /v1/fetch: the seed push's pull (peer_fetch.c)                  */

/* The counters of every fetch a node ran (opaque; /metrics). */
struct peer_fetch_stats;

/* Allocates zeroed counters (free with peer_fetch_stats_free). NULL on
 * ENOMEM. */
struct peer_fetch_stats *peer_fetch_stats_new(void);
/* Makes every fetch in progress stop soon (its transfers are aborted from
 * their progress callback; what was committed stays). Thread-safe. */
void peer_fetch_stats_stop(struct peer_fetch_stats *s);
/* Frees s (no fetch may still use it). NULL is a no-op. */
void peer_fetch_stats_free(struct peer_fetch_stats *s);
/* Appends origind_fetch_* (Prometheus text) to the malloc'd *text of *len
 * bytes, reallocating it. Returns 0, or -1 on ENOMEM (*text unchanged).
 * s may be NULL (nothing appended). Thread-safe. */
int peer_fetch_metrics_append(struct peer_fetch_stats *s, char **text, size_t *len);

/* What one fetch did (peer_fetch_digests). */
struct peer_fetch_result {
    uint64_t fetched, variants, bytes; /* blobs, variants and their bytes stored now */
    uint64_t present;                  /* listed digests held before the fetch */
    uint64_t bad;                      /* transfers refused: bytes that did not verify */
    uint64_t failed;                   /* transfers that failed otherwise */
};

/* Pulls every digests[i] (i < n) the store lacks, with the variants
 * variants[i] names (a mask of 1 << STORE_ENC_*; variants NULL: every
 * variant, a 404 meaning none), sizes[i] its size when sizes is not NULL
 * (the most bytes taken for it, and what batches are sized by), from the
 * admin URLs from[0..nfrom) (no trailing '/'), in that
 * order: what one source could not give (unreachable, died mid-way, 404,
 * bytes that do not verify) is asked of the next. Transfers are the
 * catch-up's (peer_client.c: --peer-jobs parallel keep-alive GETs of
 * /v1/blobs/<hex>[/<enc>], bearer: the peer token of auth, TLS trusting
 * cfg->peer_cacert, stalls given up after 30 s or --peer-timeout); every
 * blob is re-hashed and every variant decoded by the store, and stored in
 * batches (at most PEER_FETCH_BATCH digests and about 64 MiB of blobs;
 * without sizes, PEER_FETCH_BATCH_UNSIZED digests), each committed before
 * the next starts. Returns 0 once done (also when stopped by
 * peer_fetch_stats_stop), with *res filled and still_missing[i] (n bytes,
 * caller's) set to 1 for each digest the store still lacks; -1 when a batch
 * could not be stored or committed (logged; what was committed before
 * stays) or, not logged, when the store could not be read for the missing
 * check or memory ran out (the peer token copy and curl handles included):
 * then *res counts what was done and still_missing may be partly written.
 * stats must not be NULL. Thread-safe (its own curl handles; several
 * fetches may run at once). */
int peer_fetch_digests(struct store *st, const struct config *cfg, struct auth *auth,
                       struct peer_fetch_stats *stats, const char *const *from, size_t nfrom,
                       const unsigned char (*digests)[STORE_DIGEST_LEN], const uint64_t *sizes,
                       const unsigned *variants, size_t n, unsigned char *still_missing,
                       struct peer_fetch_result *res);

#define PEER_FETCH_BATCH         256
#define PEER_FETCH_BATCH_UNSIZED 16

#endif /* ORIGIND_PEER_H */
