/*
 * prune.h - `origin-ingest prune` (tools/prune.c): the fleet-wide retention
 * policy, and the run that applies it. The options are parsed and checked by
 * opts.c's table; the node requests go through node.h.
 *
 * Thread-safety: used by one thread.
 */
#ifndef ORIGIN_INGEST_PRUNE_H
#define ORIGIN_INGEST_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "store.h"

/* Which releases to keep: the union of the sets. */
struct ingest_prune_policy {
    unsigned long long keep_last; /* the N newest; 0: none */
    int64_t newer_than;           /* created within that many seconds; -1: none */
    const char *const *keep;      /* these ids (borrowed, valid release ids) */
    size_t nkeep;
    /* --keep-promoted N: the last N distinct releases promoted (origin-ingest
     * promote) and every release pushed after the newest promotion; 0: none */
    unsigned long long keep_promoted;
};

/* Why a release is kept (ingest_prune_rel.why, a bit mask). The live
 * release and the floor of the newest promotion on the nodes are always
 * kept, whatever the policy. */
enum ingest_keep_why {
    INGEST_KEEP_LAST = 1u << 0,     /* "keep-last" */
    INGEST_KEEP_NEWER = 1u << 1,    /* "newer-than" */
    INGEST_KEEP_ID = 1u << 2,       /* "keep" */
    INGEST_KEEP_PROMOTED = 1u << 3, /* "promoted": one of the last N promoted */
    INGEST_KEEP_AFTER = 1u << 4,    /* "after-promotion": pushed after the newest one */
    INGEST_KEEP_LIVE = 1u << 5,     /* "live": the newest promotion's release */
    INGEST_KEEP_FLOOR = 1u << 6,    /* "floor": the newest promotion's floor */
};
#define INGEST_KEEP_WHY_COUNT 7

/* The name of reason bit i (0 <= i < INGEST_KEEP_WHY_COUNT), as above. */
const char *ingest_keep_why_name(unsigned i);

/* One release of the union of the nodes' listings. */
struct ingest_prune_rel {
    char id[STORE_ID_MAX + 1];
    int64_t created; /* the earliest any node reports */
    int keep;        /* set by ingest_prune_decide */
    unsigned why;    /* enum ingest_keep_why bits, set with keep */
};

/* "90d", "12h", "30m", "45s" -> seconds. Returns -1 if s is not a decimal
 * number followed by one of d, h, m, s, or the seconds overflow int64_t. */
int64_t ingest_prune_duration(const char *s);

/* 1 if p keeps nothing whatever the releases (no set given, or
 * --keep-last 0 alone): such a policy is refused before any node is asked.
 * Else 0. */
int ingest_prune_policy_empty(const struct ingest_prune_policy *p);

/* Adds release id (a valid release id, NUL-terminated) created at created to
 * the union *rels of *n entries (reallocated; caller frees *rels): a new id
 * is appended, a known one keeps the earlier of the two times. Returns 0 or
 * -1 (out of memory: *rels and *n unchanged). */
int ingest_prune_merge(struct ingest_prune_rel **rels, size_t *n, const char *id, int64_t created);

/* Sorts rels[0..n) newest first (created descending, then id descending)
 * and sets each one's keep by p at time now (seconds since the epoch): the
 * keep_last first, every one created after now - newer_than, every id of
 * p->keep. Returns how many are kept. */
size_t ingest_prune_decide(struct ingest_prune_rel *rels, size_t n,
                           const struct ingest_prune_policy *p, int64_t now);

/* Adds the promotion rules to rels[0..n) (as ingest_prune_decide left
 * them): hist[0..nhist) is every promotion any node remembers, newest first
 * (store_promotion_cmp), duplicates allowed. The newest one's release and
 * floor are kept; with p->keep_promoted N, the first N distinct releases of
 * hist and every release created after the newest promotion (after its
 * promoted_at, or after its release was pushed if that is earlier: a build
 * pushed while the live one was verified is a candidate too). Returns how
 * many are kept now. */
size_t ingest_prune_decide_promoted(struct ingest_prune_rel *rels, size_t n,
                                    const struct ingest_prune_policy *p,
                                    const struct store_promotion *hist, size_t nhist);

/* A checked prune command (opts.c validates every field). */
struct ingest_prune_opts {
    struct ingest_fleet fleet;         /* the nodes, token, CA file, retries */
    struct ingest_prune_policy policy; /* not ingest_prune_policy_empty */
    int dry_run, json;
};

/* Runs the prune: every node's releases (all of them, or nothing changes),
 * one prune set from their union, the same set to every node (dry or not),
 * a report per node on stdout (text, or one JSON document with json), the
 * failures on stderr. Returns INGEST_EXIT_OK (every node pruned the set),
 * INGEST_EXIT_USAGE (the policy keeps none of the releases the nodes have),
 * INGEST_EXIT_NODE (a node failed: named; running the same command again
 * finishes) or INGEST_EXIT_LOCAL (libcurl could not start, out of memory). */
int ingest_prune_run(const struct ingest_prune_opts *o);

#endif /* ORIGIN_INGEST_PRUNE_H */
