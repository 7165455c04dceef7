/*
 * node.h - the origind admin-API client of origin-ingest: the phases of a
 * push, verify, manifest and prune, each on every node at once (carried by
 * transport.h: one libcurl multi handle, bounded transfers per node,
 * retries with backoff).
 *
 * Phases (each runs on every node still healthy, concurrently):
 *   ingest_client_probe()    HEAD /v1/releases/<id>: each node's release digest
 *                            (a node holding the build's is then set_unchanged)
 *   ingest_client_missing()  POST /v1/missing with every digest
 *   ingest_client_upload()   POST /v1/bundle for small blobs (+ variants),
 *                            PUT /v1/blobs/<hex>[/br|/gzip] for big ones
 *   ingest_client_publish()  PUT /v1/releases/<id>
 *   ingest_client_verify()   GET /v1/releases/<id>, then POST /v1/missing
 *   ingest_client_get_release()  GET /v1/releases/<id> (manifest)
 *   ingest_client_blob_sizes()   HEAD /v1/blobs/<hex> (manifest --manifest-format full)
 *   ingest_client_list_releases()  GET /v1/releases (prune)
 *   ingest_client_prune()    POST /v1/prune (prune)
 * A node that fails is marked (struct ingest_node.failed) and left out of
 * later phases; the others go on.
 *
 * Requests travel on transport.h: its retries (connection errors and 5xx
 * but 501, 505, 507; backoff with jitter), its API version check (a 2xx is
 * trusted only from a compatible node; another version fails the node) and
 * its way of failing a node hold for every phase.
 *
 * Threads: a client is used by one thread.
 */
#ifndef ORIGIN_INGEST_NODE_H
#define ORIGIN_INGEST_NODE_H

#include "api.h"
#include "ingest.h"

struct ingest_node {
    char *url; /* admin base URL without trailing '/' */

    /* Outcome: 0 healthy, else INGEST_EXIT_NODE / _CONFLICT / _LOCAL. */
    int failed;
    char error[512];      /* why (one line), if failed */
    struct buf conflicts; /* "path (bound to <hex>)\n" lines on 409 */
    size_t nconflicts;
    int published; /* 1: created now, 2: was already there */
    int unchanged; /* holds the build's release already (set_unchanged) */
    /* ingest_client_probe: the release digest the node answered ("": none). */
    char probed[STORE_HEX_LEN + 1];
    size_t verified_files; /* verify: files in the release */
    /* The release digest (api.h) the node reported for the release, by
     * publish or verify; "" if none yet. */
    char digest[STORE_HEX_LEN + 1];

    /* Counters (read by progress between calls). */
    size_t missing;          /* blobs it lacked */
    size_t blobs_sent;       /* identity blobs acknowledged */
    size_t variants_sent;    /* variants acknowledged */
    size_t requests;         /* HTTP requests completed */
    size_t retries;          /* attempts retried */
    uint64_t bytes_sent;     /* request bodies acknowledged */
    uint64_t bytes_planned;  /* upload bytes planned for this node */
    uint64_t bytes_progress; /* bytes handed to the network, retries included */

    unsigned char *lacks; /* per blob of the site: 1 if this node lacks it */
    /* Encodings the node stores (its Origind-Encodings header, api.h): bit
     * STORE_ENC_* set, INGEST_ENC_DCZ for deltas; gzip and br until a node
     * says otherwise (the builds before the header). */
    unsigned encodings;

    /* Measured by libcurl (CURLINFO_SIZE_UPLOAD_T of every finished
     * transfer to this node, request bodies of every kind, retries
     * included): what the runner really sent it. */
    uint64_t bytes_uploaded;

    /* Seed push (tools/seed.c; 0 without --seed-nodes). */
    int seed_role;           /* enum ingest_seed_role */
    size_t fetched;          /* blobs it fetched from other nodes (POST /v1/fetch) */
    size_t fetched_variants; /* variants it fetched with them */
    uint64_t fetched_bytes;  /* their bytes */
    int fetch_refused;       /* it refused the fetch (4xx): the caller uploads directly */
    char fetch_note[300];    /* why it was uploaded to directly ("" if it was not) */
};

/* What a node is in a seed push. */
enum ingest_seed_role {
    INGEST_ROLE_NONE = 0, /* plain push (or it needed nothing) */
    INGEST_ROLE_SEED,     /* uploaded to by the runner, then a source */
    INGEST_ROLE_FETCHED,  /* fetched everything it lacked from other nodes */
    INGEST_ROLE_DIRECT,   /* a fetcher that fell back to a direct upload */
};

/* Bit of struct ingest_node.encodings: the node takes dcz deltas. */
#define INGEST_ENC_DCZ API_ENC_DCZ

struct ingest_client_opts {
    const char *token;     /* bearer token (borrowed; never printed) */
    const char *cacert;    /* CA file for https:// nodes, NULL: the system's (borrowed) */
    unsigned jobs;         /* parallel transfers per node (>= 1) */
    unsigned retries;      /* retries per request after the first attempt */
    uint64_t bundle_bytes; /* most body bytes of a bundle; larger blobs go alone */
    size_t bundle_files;   /* most records in one bundle */
    /* Called ~10 times a second during network phases (may be NULL). */
    void (*tick)(void *arg);
    void *tick_arg;
};

struct ingest_client; /* opaque */

/* Creates a client for the nodes urls[0..n) over site s (borrowed; must
 * outlive the client). Returns NULL on failure (curl could not start). */
struct ingest_client *ingest_client_new(const char *const *urls, size_t n, struct ingest_site *s,
                                        const struct ingest_client_opts *o);

/* A client for the phases that upload nothing (probe, verify, get_release,
 * blob_sizes, list_releases, prune, exchange) over urls[0..n), with an
 * empty site of its own: token and cacert borrowed (must outlive the
 * client), jobs transfers per node, retries per request. Returns NULL on
 * failure (curl could not start). */
struct ingest_client *ingest_client_reader(const char *const *urls, size_t n, const char *token,
                                           const char *cacert, unsigned jobs, unsigned retries);
void ingest_client_free(struct ingest_client *c);

/* The site the client was made with (borrowed). */
struct ingest_site *ingest_client_site(struct ingest_client *c);

/* The nodes (borrowed, valid until ingest_client_free) and their number. */
struct ingest_node *ingest_client_nodes(struct ingest_client *c, size_t *n);

/* Asks each healthy node for release id's digest (HEAD /v1/releases/<id>,
 * API_RELEASE_DIGEST_HEADER) into node->probed ("" for a 404, an answer
 * without the header, or any failure). Needs no site: push runs it on a
 * client of its own, on a thread of its own, while it hashes. A failure here
 * fails the node in this client only. */
void ingest_client_probe(struct ingest_client *c, const char *id);

/* Marks node ni as already holding the build's release (its probed digest,
 * copied, equals the build's): published = 2, digest set; missing, upload and
 * publish skip it. A release is only ever visible whole, so nothing is left
 * to send there. No-op on a failed node. */
void ingest_client_set_unchanged(struct ingest_client *c, size_t ni,
                                 const char digest[STORE_HEX_LEN + 1]);

/* Asks each node which blobs of s it lacks; sets node->lacks and
 * s->blobs[i].needed for blobs any healthy node lacks. */
void ingest_client_missing(struct ingest_client *c);

/* (Nodes marked unchanged are skipped by missing, upload and publish.) */
/* Uploads to each node what it lacks (with the variants held in s->blobs). */
void ingest_client_upload(struct ingest_client *c);

/* Uploads what it lacks to each node ni with only[ni] != 0 (and healthy,
 * not unchanged); the others are left alone. */
void ingest_client_upload_only(struct ingest_client *c, const unsigned char *only);

/* POSTs bodies[ni] (lens[ni] bytes; api_fetch_request_encode(); NULL: no
 * request to that node) to /v1/fetch of each healthy node, all at once. A
 * node answers once what it fetched is committed, so it has up to 900 s
 * without a byte. On a 200 (api_fetch_answer_decode): node->lacks holds
 * exactly the digests it answered as missing (node->missing their count)
 * and fetched, fetched_variants and fetched_bytes grow. A 4xx but 401 (a
 * node without /v1/fetch answers 404): the node is not failed, but
 * fetch_refused is set and fetch_note says why (the caller uploads to it
 * directly). Connection errors and 5xx are retried, then fail the node
 * (INGEST_EXIT_NODE) like any request; a 401 or an answer that does not
 * decode fails it at once. bodies stay the caller's. */
void ingest_client_fetch(struct ingest_client *c, char *const *bodies, const size_t *lens);

/* Publishes release id on each node (body: api_release_request_encode() of
 * every file of the site, published stamped with ingest_file_published()). */
void ingest_client_publish(struct ingest_client *c, const char *id);

/* Checks that each node has release id complete. */
void ingest_client_verify(struct ingest_client *c, const char *id);

/* Reads release id from each healthy node (GET /v1/releases/<id>, strictly
 * decoded by api_release_decode; 404: the node fails with "release ID not
 * found") and calls fn(arg, node index, release) per node whose answer
 * decodes (release borrowed for the call; node->digest and ->verified_files
 * set). fn returns 0 to go on; non-zero fails that node (INGEST_EXIT_LOCAL). */
void ingest_client_get_release(struct ingest_client *c, const char *id,
                               int (*fn)(void *arg, size_t node, const struct api_release *r),
                               void *arg);

/* The size of each blob digests[i * STORE_DIGEST_LEN ..] (i < n) as node ni
 * states it (HEAD /v1/blobs/<hex>, Content-Length) into sizes[i]. A blob the
 * node lacks or an answer without Content-Length fails the node. */
void ingest_client_blob_sizes(struct ingest_client *c, size_t ni, const unsigned char *digests,
                              size_t n, uint64_t *sizes);

/* Lists the releases of each healthy node (GET /v1/releases, strictly
 * decoded by api_release_list_decode). For each node whose listing decodes,
 * calls fn(arg, node index, id, created, files) per release, in the node's
 * order (id borrowed for the call); a node whose listing does not decode is
 * failed (INGEST_EXIT_NODE, "malformed release listing: ...") before fn sees
 * any of its releases. fn returns 0 to go on; non-zero fails that node with
 * INGEST_EXIT_LOCAL (fn may then have seen part of its list). */
void ingest_client_list_releases(struct ingest_client *c,
                                 int (*fn)(void *arg, size_t node, const char *id, int64_t created,
                                           uint64_t files),
                                 void *arg);

/* POSTs body[0..len) (api_prune_request_encode(); borrowed until return)
 * to /v1/prune of each healthy node and calls fn(arg, node index, answer)
 * with each node's answer, strictly decoded by api_prune_answer_decode
 * (borrowed for the call). A node that answers otherwise is failed
 * (INGEST_EXIT_NODE) and fn is not called for it. A node has up to 900 s
 * without a byte to answer (it answers once its store is done). */
void ingest_client_prune(struct ingest_client *c, const char *body, size_t len,
                         void (*fn)(void *arg, size_t node, const struct api_prune_answer *a),
                         void *arg);

/* One request to every healthy node: method (static string) to path (under
 * the node's admin URL) with body[0..len) as JSON (NULL: no body; borrowed
 * until return), retried as every request (connection errors, 5xx but 501,
 * 505, 507). The final answer of each node that is not retried (2xx, 4xx,
 * 501, 505, 507) goes to fn(arg, node index, status,
 * body, body_len, why, why_size) (body borrowed for the call, never NULL);
 * fn returns 0 to accept it, or non-zero after writing a one-line reason
 * into why: the node is then failed with INGEST_EXIT_NODE and that reason.
 * A node that fails otherwise (unreachable, 5xx after retries, 401,
 * another API version) is failed as in every phase and fn is not called. */
typedef int ingest_exchange_fn(void *arg, size_t node, long status, const char *body, size_t len,
                               char *why, size_t why_size);
void ingest_client_exchange(struct ingest_client *c, const char *method, const char *path,
                            const char *body, size_t len, ingest_exchange_fn *fn, void *arg);

/* Marks every healthy node failed with class and message (used when a local
 * error stops the push before publishing). */
void ingest_client_fail_all(struct ingest_client *c, int cls, const char *msg);

#endif
