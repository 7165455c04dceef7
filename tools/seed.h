/*
 * seed.h - the upload phase of `origin-ingest push --seed-nodes K`: the
 * runner uploads the new blobs to K seed nodes only, and every other node
 * that lacks something pulls it from nodes that have it (POST /v1/fetch,
 * api.h), in rounds that grow the set of sources (a node that has fetched
 * everything serves the next ones: a tree). A node that cannot get
 * everything that way (no source reachable, a source that died or served
 * wrong bytes and no other had it, a node without /v1/fetch) is uploaded to
 * directly, as without seeds. Publishing afterwards is the push's usual
 * phase; nothing here changes what a node verifies or when a release
 * becomes visible.
 *
 * Not for: HTTP (node.c), choosing exit codes or printing (cmd_push.c, report.c).
 */
#ifndef ORIGIN_INGEST_SEED_H
#define ORIGIN_INGEST_SEED_H

#include <stddef.h>

#include "node.h"

/* Sources a fetching node is given at most (api.h's limit). */
#define INGEST_SEED_SOURCES API_FETCH_SOURCES_MAX
/* Nodes one source is the first choice of, per round. */
#define INGEST_SEED_FANOUT 2

/* What a seed upload did. */
struct ingest_seed_report {
    size_t seeds;     /* nodes uploaded to as seeds */
    size_t fetchers;  /* nodes asked to fetch */
    size_t rounds;    /* fetch rounds run */
    size_t fallbacks; /* fetchers then uploaded to directly */
};

/* Runs the upload phase of a push on c (after ingest_client_missing and
 * the compression) with k >= 1 seeds, in place of ingest_client_upload:
 *   1. seeds: the k healthy nodes that lack the fewest blobs (a node that
 *      lacks none costs no upload), skipping nodes marked unchanged;
 *   2. uploads to the seeds what they lack;
 *   3. sources: the seeds that succeeded, and every healthy node that
 *      lacked nothing; while some node lacks blobs, a round asks up to
 *      INGEST_SEED_FANOUT such nodes per source to fetch them, each from
 *      its own first source then every other source (at most
 *      INGEST_SEED_SOURCES); a node that got everything is a source from
 *      the next round on;
 *   4. uploads directly to every fetcher left lacking blobs (or that
 *      refused the fetch), and to every fetcher at all when no seed
 *      succeeded.
 * Node roles and counts are set in each struct ingest_node (seed_role,
 * fetched, fetch_note); a node that fails anywhere is failed as in any
 * phase. *rep (may be NULL) gets the totals. */
void ingest_seed_upload(struct ingest_client *c, unsigned k, struct ingest_seed_report *rep);

#endif /* ORIGIN_INGEST_SEED_H */
