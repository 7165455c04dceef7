/*
 * admin_internal.h - what the admin listener's files share: the routes, the
 * parsed request target, the response helpers and the handlers that
 * admin.c's route table names.
 *
 * For: server/admin.c (route table, dispatch, authentication, spooling),
 * server/admin_blobs.c and server/admin_releases.c (handlers). Not for
 * anything outside the admin listener; admin_prune.h, admin_promote.h and
 * admin_fetch.h stay free of libmicrohttpd and of this header.
 *
 * Thread-safety: the admin listener runs a thread per connection; every
 * function here works on its own request only.
 */
#ifndef ORIGIND_ADMIN_INTERNAL_H
#define ORIGIND_ADMIN_INTERNAL_H

#include "api.h"
#include "http.h"
#include "server.h"

#include <jansson.h>
#include <stddef.h>

/* The admin routes: the index of a row in admin.c's route table, kept in
 * r->route from the first call of a request to its last. */
enum route {
    R_NONE = 0,
    R_MISSING,      /* POST /v1/missing */
    R_BLOB,         /* PUT/GET/HEAD /v1/blobs/<hex> */
    R_VARIANT,      /* PUT/GET/HEAD /v1/blobs/<hex>/<enc>, /v1/blobs/<hex>/dcz/<dict hex> */
    R_BLOB_LIST,    /* GET /v1/blobs */
    R_BUNDLE,       /* POST /v1/bundle */
    R_RELEASE,      /* PUT/GET /v1/releases/<id> */
    R_RELEASE_LIST, /* GET /v1/releases */
    R_STATUS,       /* GET /v1/status */
    R_METRICS,      /* GET /metrics */
    R_PRUNE,        /* POST /v1/prune (admin_prune.c) */
    R_TOMBSTONES,   /* GET /v1/tombstones (admin_prune.c) */
    R_PROMOTION,    /* GET/POST /v1/promotion (admin_promote.c) */
    R_FETCH,        /* POST /v1/fetch (admin_fetch.c) */
};

/* t->enc of a dictionary delta (store_put_delta): not a store encoding; the
 * value api_asset_etag() takes for one. */
#define ENC_DCZ API_ETAG_DCZ

/* A request's decoded path and what admin.c's route_of read from it. */
struct target {
    char path[HTTP_PATH_MAX];
    size_t len;
    unsigned char digest[STORE_DIGEST_LEN];
    int enc;                              /* STORE_ENC_*, or ENC_DCZ */
    unsigned char dict[STORE_DIGEST_LEN]; /* ENC_DCZ: the dictionary's digest */
    const char *id;                       /* into path */
    size_t id_len;
};

/* Responses (admin.c). Each queues its answer with req_queue and returns
 * its result; MHD_NO when the response cannot be built (out of memory). */

/* Queues len bytes of text (malloc'd; takes ownership, freed by
 * libmicrohttpd or here on failure) with Content-Type type and no-store. */
enum MHD_Result admin_reply_text(struct req *r, struct MHD_Connection *c, unsigned status,
                                 const char *type, char *text, size_t len);

/* Queues the JSON value j (takes ownership of j; NULL: MHD_NO). */
enum MHD_Result admin_reply_json(struct req *r, struct MHD_Connection *c, unsigned status,
                                 json_t *j);

/* Queues {"error": msg} with status. */
enum MHD_Result admin_reply_error(struct req *r, struct MHD_Connection *c, unsigned status,
                                  const char *msg);

/* Queues an error for a store failure, with its status from the one mapping
 * (http_status_for_store_err). */
enum MHD_Result admin_reply_store_err(struct req *r, struct MHD_Connection *c, int err);

/* The HTTP status for an admin_parse_* error: 413 (ADMIN_BODY_ETOOBIG),
 * 500 (ADMIN_BODY_ENOMEM), else 400. */
unsigned admin_parse_status(int err);

/* Handlers, called by admin.c's dispatch once the whole request is in: t is
 * the request's parsed target, r->spool the body of a request that carries
 * one (complete, its Content-Length checked). Each queues one answer and
 * returns its result. */

/* admin_blobs.c */
enum MHD_Result admin_do_missing(struct req *r, struct MHD_Connection *c, struct target *t);
/* PUT of a blob (R_BLOB), a variant or a dcz delta (R_VARIANT). */
enum MHD_Result admin_do_put_blob(struct req *r, struct MHD_Connection *c, struct target *t);
/* GET/HEAD of a blob, variant or delta: the body points into the store map,
 * held by r->reader until the response is destroyed. */
enum MHD_Result admin_do_get_blob(struct req *r, struct MHD_Connection *c, struct target *t);
enum MHD_Result admin_do_list_blobs(struct req *r, struct MHD_Connection *c, struct target *t);
enum MHD_Result admin_do_bundle(struct req *r, struct MHD_Connection *c, struct target *t);

/* admin_releases.c */
enum MHD_Result admin_do_put_release(struct req *r, struct MHD_Connection *c, struct target *t);
/* GET (the listing) and HEAD (digest and file count in headers). */
enum MHD_Result admin_do_get_release(struct req *r, struct MHD_Connection *c, struct target *t);
enum MHD_Result admin_do_list_releases(struct req *r, struct MHD_Connection *c, struct target *t);

#endif /* ORIGIND_ADMIN_INTERNAL_H */
