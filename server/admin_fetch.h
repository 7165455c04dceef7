/*
 * admin_fetch.h - the admin API's seed-push endpoint, POST /v1/fetch
 * (api.h has the request and the answer): pull listed blobs from named
 * nodes, answer once they are committed.
 *
 * For: server/admin.c, which routes to it (write scope, audited as "fetch",
 * body capped by --max-json-bytes) and queues what it builds. Not for: the
 * pull itself (peer_fetch.c), HTTP framing or any libmicrohttpd type.
 *
 * Thread-safety: reentrant; each call pulls with its own curl handles.
 */
#ifndef ORIGIND_ADMIN_FETCH_H
#define ORIGIND_ADMIN_FETCH_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct audit_note;

/* POST /v1/fetch with body[0..len). Decodes the request strictly
 * (api_fetch_request_decode), pulls what the store lacks from the sources
 * (peer_fetch_digests, with srv's peer token and --peer-cacert) and
 * fills audit's counts (created: blobs stored, present: listed digests
 * already held) and subject ("N digests from HOST..."). On return *text
 * is the malloc'd answer (caller frees) of *text_len bytes, NULL only with
 * status 500 (out of memory):
 *   200 api_fetch_answer_encode()'s answer, its "missing" naming every
 *       listed digest still lacking (none of the sources could give it);
 *   400 {"error"} for a body not of that shape or a bad URL or digest;
 *   413 more than API_FETCH_DIGESTS_MAX digests;
 *   500 a batch could not be committed (store full, I/O error: logged).
 * Returns the HTTP status. */
unsigned admin_fetch(struct server *srv, const void *body, size_t len, struct audit_note *audit,
                     char **text, size_t *text_len);

#endif /* ORIGIND_ADMIN_FETCH_H */
