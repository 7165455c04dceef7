/*
 * promote.h - `origin-ingest promote` (tools/promote.c): recording on every
 * node which release is live and the floor, and reading back what the nodes
 * have promoted (for verify and prune --keep-promoted). The options are
 * parsed and checked by opts.c's table; the requests go through
 * node.h; the record's encoding is api.h's.
 *
 * The fleet-wide order (docs/promotion.md): every promotion carries a
 * generation that promote chooses as 1 + the highest generation any node
 * holds, and the promoter's clock (promoted_at) only breaks ties between two
 * promoters that chose the same generation, then the ids
 * (store_promotion_cmp). Nodes adopt a record only if it orders after
 * their own, and peers carry records verbatim, so the fleet converges on
 * the newest one with identical bytes, whichever node's clock is off.
 *
 * Thread-safety: used by one thread.
 */
#ifndef ORIGIN_INGEST_PROMOTE_H
#define ORIGIN_INGEST_PROMOTE_H

#include <stddef.h>

#include "node.h"
#include "store.h"

/* What one node has promoted (ingest_promotions_read). */
struct ingest_promotions {
    int ok;   /* 1: the node answered (below is its state) */
    int old;  /* 1: the node has no promotion endpoint (an older origind) */
    size_t n; /* promotions, newest first; 0: never promoted */
    struct store_promotion hist[STORE_PROMOTION_HISTORY];
};

/* GET /v1/promotion on every healthy node of c into out[node] (an array of
 * as many entries as c has nodes, zeroed here). A node that answers 404
 * (an origind from before promotions) counts as ok, old and never promoted;
 * a malformed answer fails the node. */
void ingest_promotions_read(struct ingest_client *c, struct ingest_promotions *out);

/* The newest current promotion among out[0..n) (store_promotion_cmp), or
 * NULL if no node has promoted anything. Borrowed from out. */
const struct store_promotion *ingest_promotions_newest(const struct ingest_promotions *out,
                                                       size_t n);

/* A checked promote command. */
struct ingest_promote_opts {
    struct ingest_fleet fleet; /* the nodes, token, CA file, retries */
    const char *release;       /* valid release id */
    const char *floor;         /* valid release id, or NULL: none */
};

/* Runs the promotion: every node's promotion and releases are read, the
 * release must be complete with the same digest on every node and the
 * floor present everywhere and not newer; only then the same record goes
 * to every node. Prints one line per node on stdout, each refusal as one
 * line on stderr. Returns INGEST_EXIT_OK (every node recorded it, now or
 * before), INGEST_EXIT_NODE (refused before anything was recorded, or a node
 * failed to record: named; the same command again finishes) or
 * INGEST_EXIT_LOCAL (libcurl could not start). */
int ingest_promote_run(const struct ingest_promote_opts *o);

#endif /* ORIGIN_INGEST_PROMOTE_H */
