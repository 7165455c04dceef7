/*
 * admin_promote.h - the admin API's promotion answers: GET /v1/promotion
 * (what this node has promoted, with the recent history) and POST
 * /v1/promotion (record one), and the release document of the public
 * listener built from the same record.
 *
 * For: server/admin.c (routes to these and queues what they build),
 * server/public.c (the release document) and server/peer_promote.c (which
 * records a peer's newer promotion through admin_promote_record). Not for:
 * choosing the generation (origin-ingest promote), HTTP framing or any
 * libmicrohttpd type.
 *
 * Thread-safety: reentrant; the store serialises the write.
 */
#ifndef ORIGIND_ADMIN_PROMOTE_H
#define ORIGIND_ADMIN_PROMOTE_H

#include <stddef.h>

#include "api.h"
#include "store.h"

/* GET /v1/promotion: the answer of api.h (api_promotion_state_encode) in
 * *text (malloc'd, caller frees; NULL only with 500). Returns the status. */
unsigned admin_promotion_get(struct store *st, char **text, size_t *text_len);

/* Checks p against this node and records it (store_promote): the release
 * must be here with exactly p's digest (the release digest of api.h), the
 * floor here and not newer. why[0..why_size) gets a one-line reason for any
 * status but 200/201. Returns 201 (recorded), 200 (already the current
 * one), 404 (release not here), 410 (release pruned), 422 (digest differs,
 * floor not here), 409 (the node holds a newer promotion, or the floor is
 * newer than the release), or the store error's status. */
unsigned admin_promote_record(struct store *st, const struct store_promotion *p, char *why,
                              size_t why_size);

/* POST /v1/promotion with body[0..len): decodes the record (400 if it does
 * not), sets subject (>= STORE_ID_MAX + 1 bytes) to its release id for the
 * audit line, and answers admin_promote_record's status with
 * {"release","generation","created"} or {"error"} in *text (malloc'd;
 * NULL only with 500). Returns the status. */
unsigned admin_promote(struct store *st, const void *body, size_t len, char *subject, char **text,
                       size_t *text_len);

/* The release document (api_release_doc) of the current promotion into
 * out[0..cap), its length and ETag. Returns 1 when there is one, 0 when the
 * store was never promoted, -1 on a store error or a cap too small. */
int admin_release_doc(struct store *st, char *out, size_t cap, size_t *len,
                      char etag[API_RELEASE_DOC_ETAG_LEN + 1]);

/* Appends the promotion gauges (origind_promotion_generation and
 * origind_promotion_time_seconds, both 0 when never promoted or the store
 * cannot be read) in Prometheus text format to the malloc'd *text of *len
 * bytes (reallocated; stays valid on failure). Returns 0, or -1 when out of
 * memory. */
int admin_promotion_metrics(struct store *st, char **text, size_t *len);

#endif /* ORIGIND_ADMIN_PROMOTE_H */
