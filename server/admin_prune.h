/*
 * admin_prune.h - the admin API's retention answers: POST /v1/prune,
 * GET /v1/tombstones, and the retention part of /v1/status and /metrics.
 *
 * For: server/admin.c, which routes to these and queues what they build.
 * Not for: the policy (which releases to keep is origin-ingest prune's job:
 * a node prunes exactly the ids it is given), HTTP framing or any
 * libmicrohttpd type.
 *
 * Thread-safety: reentrant; the store serialises the prune's write.
 */
#ifndef ORIGIND_ADMIN_PRUNE_H
#define ORIGIND_ADMIN_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api.h"
#include "store.h"

/* The most release ids one POST /v1/prune may name (api.h's limit). */
#define ADMIN_PRUNE_MAX API_PRUNE_MAX
/* GET /v1/tombstones: default and largest page. */
#define ADMIN_TOMBSTONES_DEF 10000
#define ADMIN_TOMBSTONES_MAX 100000

/* POST /v1/prune with body[0..len): the request of api.h
 * (api_prune_request_decode). Prunes (or, dry, reports) those ids in one
 * store_prune() at time now. On return *text is the malloc'd answer (caller
 * frees) of *text_len bytes, NULL only with status 500 (out of memory):
 *   200 the answer of api.h (api_prune_answer_encode);
 *   400 {"error"} for a body not of that shape, a bad or repeated id;
 *   413 over ADMIN_PRUNE_MAX ids; or the store error's status.
 * Returns the HTTP status. */
unsigned admin_prune(struct store *st, const void *body, size_t len, int64_t now, char **text,
                     size_t *text_len);

/* GET /v1/tombstones?after=ID&limit=N: {"tombstones":[{"id","pruned"}],
 * "next":ID|null} in id order (next: pass as after for the next page).
 * after and limit may be NULL (absent). 400 for a bad id or limit. Returns
 * the HTTP status; *out is the answer (caller decrefs; NULL only with
 * status 500, out of memory). */
unsigned admin_tombstones(struct store *st, const char *after, const char *limit, json_t **out);

/* {"tombstones","pruned_blobs","pruned_bytes","gone_paths","free_bytes"}
 * from s (new reference, NULL when out of memory). */
json_t *admin_retention_json(const struct store_stats *s);

/* Appends the retention gauges of s in Prometheus text format to the
 * malloc'd *text of *len bytes (reallocated; stays valid on failure).
 * Returns 0, or -1 when out of memory. */
int admin_retention_metrics(const struct store_stats *s, char **text, size_t *len);

#endif /* ORIGIND_ADMIN_PRUNE_H */
