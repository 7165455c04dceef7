/*
 * peer_internal.h - what the peer files share (private to peer_*.c and
 * peer.c; the public manual is peer.h):
 *
 *   peer_client.c  the HTTP client to one peer: curl easy/multi handles,
 *                  TLS (common/tls_client.h), bounded timeouts, the API
 *                  version check, GET of a body, parallel blob fetches;
 *   peer_sync.c    one pass against one peer (blobs, releases, the peer's
 *                  tombstones) and its resume cursor; `origind sync`;
 *   peer_heal.c    the read-through heal of a public miss (its queue and
 *                  thread);
 *   peer_fetch.c   POST /v1/fetch's pull of listed digests from named
 *                  nodes (the seed push);
 *   peer.c         the peer set of `serve`: the sync thread (catch-up, then
 *                  anti-entropy), --peers-dns refresh, start/stop, metrics.
 *
 * No libmicrohttpd type appears in any of them: the heal hands its result
 * back through the caller's callback (peer.h).
 */
#ifndef ORIGIND_PEER_INTERNAL_H
#define ORIGIND_PEER_INTERNAL_H

#include "buf.h"
#include "config.h"
#include "peer.h"
#include "store.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct auth;

#define PAGE_LIMIT       1000
#define BATCH_BYTES      (64ULL << 20) /* bytes fetched before one batch commit */
#define BATCH_ITEMS      4096
#define JSON_CAP         (256ULL << 20)
#define URL_MAX          1024
#define CONNECT_MS       3000L
#define JSON_TIMEOUT_MS  60000L
#define LOW_SPEED_SECS   30L   /* a transfer below 1 KiB/s this long fails (default) */
#define STALL_MIN_MS     1000L /* the shortest stall allowed, once the budget is spent */
#define HEAL_STALL_MS    1000L /* a heal's transfers: a hanging peer costs about this */
#define HEAL_BUDGET_MS   5000ULL
#define HEAL_QUEUE_MAX   256
#define HEAL_COOLDOWN_MS 1000ULL
#define JOBS_MAX         64
#define PEERS_MAX        CONFIG_PEER_MAX

/* The counters of /metrics (atomics: both threads add to them). */
struct counters {
    atomic_uint_fast64_t runs, blobs, variants, bytes, bad, releases, errors, heals_ok, heals_miss;
    atomic_uint_fast64_t divergence;
    atomic_uint_fast64_t refused;      /* answers refused by the strict decoders */
    atomic_uint_fast64_t incompatible; /* answers from a peer of another API version */
};

/* One blob or variant to fetch. */
struct fetch {
    unsigned char digest[STORE_DIGEST_LEN];
    int enc;
    int optional; /* a 404 is not a failure (variant we only hope for) */
    uint64_t size;
    struct buf body; /* max: the most bytes this blob or variant may take */
    int ok;
    long status; /* the HTTP status answered, 0: no answer (transport error) */
};

/* One pass against one peer; owned by one thread. */
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
    uint64_t deadline_ns; /* 0: none; every transfer ends by then (the heal) */
    uint64_t budget_ns;   /* 0: none; the end of the --peer-timeout catch-up budget:
                             no transfer stalls past it (stall_ms) */
    long stall_max_ms;    /* the longest a transfer may stall; 0: LOW_SPEED_SECS */
    int down;             /* a request timed out or could not connect: no more */
    int progress;
    uint64_t last_progress_ns;
    /* this pass */
    uint64_t listed, fetched, fetched_bytes, vfetched, bad, failed, published, conflicts;
    int incompatible; /* the peer speaks another API version (logged once) */
    /* dcz deltas the peer lists and this store lacks: (target, dictionary)
     * pairs, fetched once the blobs are in (peer_sync.c; malloc'd) */
    unsigned char (*dpend)[2 * STORE_DIGEST_LEN];
    size_t ndpend, capdpend;
    uint64_t dfetched;
};

/* One public miss waiting for a heal. */
struct heal_job {
    peers_heal_fn *fn;
    void *arg;
    char path[STORE_PATH_MAX];
    size_t len;
    int corrupt;
    struct heal_job *next;
};

/* The peers of a running `serve` (peer.h's opaque struct peers). */
struct peers {
    struct store *st;
    const struct config *cfg;
    struct auth *auth;
    atomic_int *catching_up; /* the server's flag: /healthz 503 while 1 */
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
    uint64_t last_heal_end; /* clock_mono_ns() at the end of the last round */
    int last_heal_found;    /* that round stored something */
};

/* ---- peer_client.c ---- */

/* 1 when x is stopping or its deadline has passed. */
int peer_expired(const struct ctx *x);

/* Sets x up for the peer at base (no trailing '/'), sending token as the
 * bearer. Returns 0, or -1 out of memory; free with peer_ctx_free() either
 * way. */
int peer_ctx_init(struct ctx *x, struct store *st, const char *base, const char *cacert,
                  const char *token, size_t token_len, unsigned jobs, uint64_t max_blob,
                  struct counters *cnt, atomic_int *stop);
/* Wipes the token and frees x's handles. A zeroed x is a no-op. */
void peer_ctx_free(struct ctx *x);

/* GETs base+rel. Returns 0 for a 200 from a peer of this API version, with
 * the body in *out (caller frees with buf_free(); untouched on -1), else
 * -1 with *status the HTTP status (not logged), or 0 for: x stopping, past
 * its deadline or marked down (nothing sent, not logged), a transport error
 * (logged), another API version (logged once per x). */
int peer_get_body(struct ctx *x, const char *rel, struct buf *out, long *status);

/* get_text for peer_tombstones_sync() (arg: struct ctx). */
int peer_get_text(void *arg, const char *rel, char **body, size_t *len, long *status);

/* A peer answer the strict decoder refused: logged and counted. */
void peer_refused(struct ctx *x, const char *what, const char *why);

/* Fetches every f[0..n) with at most x->jobs transfers at once on keep-alive
 * connections; sets f[i].ok for each 200 whose body fit and f[i].status.
 * A transfer that cannot connect or stalls sets x->down: nothing more is
 * started (the rest count as failed), so a hung peer costs one stall. */
void peer_fetch_many(struct ctx *x, struct fetch *f, size_t n);

/* ---- peer_sync.c ---- */

/* Fetches and stores f[0..n) (re-hashed and decoded by the store), then
 * frees their bodies. Returns 0 or -1 (the batch could not be committed). */
int peer_fetch_and_store(struct ctx *x, struct fetch *f, size_t n);

/* Every release the peer has and the local store lacks: published when
 * publish is 1, only counted otherwise. *missing_out (may be NULL) gets how
 * many were missing before the step. Returns 0 when the peer's list was
 * walked, -1 otherwise. */
int peer_sync_releases(struct ctx *x, int publish, uint64_t *missing_out);

/* A full pass (blobs, then releases). Returns 1 if complete (nothing left
 * that the peer had and this store lacks, nothing refused), 0 if it ran but
 * is incomplete, -1 if the peer could not be reached. */
int peer_sync_pass(struct ctx *x);

/* ---- peer_promote.c ---- */

/* Reads the peer's promotion and adopts it here when it orders after this
 * node's own (and its release is here, complete, with the promoted digest;
 * otherwise a later pass tries again; a record this node refuses is
 * logged). Returns 0, or -1 (peer unreachable, answer refused by the strict
 * decoder, store unreadable). */
int peer_promotion_sync(struct ctx *x);

/* ---- peer.c ---- */

/* A ctx for peer i of p with the current peer token. Returns 0 or -1; x is
 * zeroed first, free it with peer_ctx_free() either way. */
int peers_ctx(struct peers *p, struct ctx *x, size_t i);

/* ---- peer_heal.c ---- */

/* The heal thread (arg: struct peers). Returns when p->stop is set. */
void *peer_heal_thread(void *arg);

/* Reports every job of list as done (fn(arg, PEERS_HEAL_DONE, healed)) and
 * frees it. */
void peer_heal_finish_all(struct peers *p, struct heal_job *list);

#endif /* ORIGIND_PEER_INTERNAL_H */
