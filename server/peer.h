/*
 * peer.h - catching a node up from its peers, keeping it there, and healing
 * misses: the client side of the admin API (README "Admin API").
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
 * Peers are only ever read through their admin API, which never heals from
 * its own peers: a miss cannot loop between nodes.
 *
 * Not for: serving (public.c/admin.c) or anything a peer could make this
 * node trust without re-hashing (every byte goes through the store's checks).
 */
#ifndef ORIGIND_PEER_H
#define ORIGIND_PEER_H

#include "config.h"

#include <microhttpd.h>
#include <stddef.h>

struct server;
struct req;

/* `origind sync --store DIR --from URL --token-file FILE`: one catch-up pass
 * from one peer, progress on stderr, a summary line on stdout. Returns the
 * process exit code: 0 when the pass completed (everything the peer had is
 * here), 1 otherwise. */
int peer_sync_main(const struct config *cfg);

/* The peers of a running `serve` (opaque). */
struct peers;

/* Starts peering for srv from cfg->peer[]: a thread that catches up (while
 * srv->catching_up is 1, /healthz answers 503) and then runs anti-entropy
 * every --peer-interval seconds, and a thread that heals misses. The caller
 * sets srv->catching_up to 1 before the listeners start; this clears it when
 * a full pass against at least one peer has completed, or when
 * --peer-timeout passes with no peer reachable and the local store holds at
 * least one release (an empty store stays 503 until a peer answers).
 * *out is written on success; stop with peers_stop(). Returns 0 or -1
 * (logged). With no --peer, *out is NULL and 0 is returned. */
int peers_start(struct server *srv, struct peers **out);

/* Stops both threads (a pass in progress is cut short at its next transfer),
 * resumes every connection still waiting for a heal (it then answers 404),
 * and frees p. Call before MHD_stop_daemon(). NULL is a no-op. */
void peers_stop(struct peers *p);

/* Read-through heal, called from the public access handler when path
 * (decoded, valid) is unknown locally (corrupt = 0) or bound to a blob that
 * is absent (corrupt = 1). On success the connection is suspended and
 * r->heal set to 1; the heal thread fetches from peers (bounded in time),
 * sets r->heal to 2 and resumes the connection, and the handler then looks
 * the path up again. Returns 0 (suspended), or -1 when no heal will be tried
 * (no peers, too many waiting, stopping, or a recent heal found nothing):
 * answer as without peers. p may be NULL (-1). */
int peers_heal(struct peers *p, struct req *r, struct MHD_Connection *c, const char *path,
               size_t len, int corrupt);

/* Appends the peer metrics (Prometheus text) to the malloc'd buffer *text
 * of *len bytes, reallocating it. p may be NULL (catching_up 0, no
 * counters). Returns 0, or -1 on ENOMEM (*text unchanged). */
int peers_metrics_append(struct peers *p, const struct server *srv, char **text, size_t *len);

#endif /* ORIGIND_PEER_H */
