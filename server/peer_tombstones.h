/*
 * peer_tombstones.h - tombstones travel between peers: before a sync pass
 * looks at a peer's releases, this node takes over the peer's tombstones
 * (the releases it pruned), so catch-up, heal and anti-entropy never bring
 * a pruned release back, and a prune on one node reaches the fleet.
 *
 * For: server/peer_sync.c (one call at the start of its release step).
 * Not for: the HTTP client itself (peer_client.c's, passed in as get), the prune
 * (store_prune), or choosing what to prune.
 */
#ifndef ORIGIND_PEER_TOMBSTONES_H
#define ORIGIND_PEER_TOMBSTONES_H

#include <stdint.h>

#include <jansson.h>

#include "store.h"

/* GETs rel (a path under the peer's admin URL). Returns 0 for a 200 answer
 * with its malloc'd body in *body (caller frees; NULL when empty) and its
 * length in *len, or -1 with *status set (0: no answer). */
typedef int (*peer_get_text_fn)(void *arg, const char *rel, char **body, size_t *len, long *status);

/* Walks GET /v1/tombstones of the peer (named peer, for the log) page by
 * page and prunes here, in one store_prune() per page, every id that has no
 * tombstone here yet. *applied (may be NULL) gets how many were new here.
 * A peer without the endpoint (404: an older origind) counts as having none.
 * Returns 0 when the list was walked, -1 otherwise (logged). */
int peer_tombstones_sync(struct store *st, const char *peer, peer_get_text_fn get, void *arg,
                         uint64_t *applied);

/* Adds every local tombstone's id to the object set, with the value -1
 * (peer_sync.c's map of local releases: a tombstoned id counts as "have", never
 * to be fetched). Returns 0 or -1. */
int peer_tombstones_local(struct store *st, json_t *set);

#endif /* ORIGIND_PEER_TOMBSTONES_H */
