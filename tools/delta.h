/*
 * delta.h - dictionary deltas (RFC 9842 dcz) from earlier releases to this
 * push's files, computed on the deploy machine and uploaded to every node
 * before the release is published.
 */
#ifndef ORIGIN_INGEST_DELTA_H
#define ORIGIN_INGEST_DELTA_H

#include "ingest.h"
#include "node.h"

/* Default of --dict-deltas: how many earlier releases a file gets a delta
 * from (a browser that skipped more releases gets the usual br answer). */
#define INGEST_DELTA_BACK_DEFAULT 2
#define INGEST_DELTA_BACK_MAX     16

struct ingest_delta_opts {
    unsigned back;       /* earlier releases to make deltas from (0: none) */
    const char *release; /* this push's release id (never a dictionary of itself) */
    const char *token;   /* admin bearer token (borrowed, never printed) */
    const char *cacert;  /* CA file for https:// nodes, NULL: the system's */
    unsigned threads;    /* for computing */
};

struct ingest_delta_stats {
    size_t pairs;      /* (file, earlier version) pairs considered */
    size_t kept;       /* deltas smaller than the file's best variant by 10% */
    size_t sent;       /* uploads acknowledged (all nodes together) */
    size_t refused;    /* uploads a node refused (a warning, not a failure) */
    uint64_t bytes;    /* bytes of the kept deltas */
    uint64_t br_bytes; /* what the same files weigh in their best variant */
};

/* For every file of s that some node lacks (blob needed), of an eligible
 * type and family (api_dict.h), finds its versions in the o->back most
 * recent earlier releases (as the first node that takes dcz lists them),
 * fetches those blobs, computes dcz deltas (zstd level 19 with the old
 * bytes as raw prefix, a window RFC 9842 lets browsers decode), keeps
 * those at least 10% smaller than the file's smallest variant, and PUTs
 * them to every healthy node that lists dcz in Origind-Encodings. A node
 * refusing a delta, or none taking them, is reported through warn (may be
 * NULL) and never fails the push: the release is served without them.
 * Returns INGEST_EXIT_OK, or INGEST_EXIT_LOCAL (err filled) when a local
 * file changed since it was hashed. */
int ingest_deltas(struct ingest_site *s, struct ingest_node *nodes, size_t n,
                  const struct ingest_delta_opts *o, void (*warn)(void *arg, const char *msg),
                  void *arg, struct ingest_delta_stats *st, char *err, size_t errlen);

#endif
