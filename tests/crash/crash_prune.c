/*
 * crash_prune.c - the writer and the checker of the prune crash test
 * (crash-prune.sh): kill -9 at any point of a prune must leave a store that
 * opens, passes fsck, and holds each release either whole or pruned.
 *
 * Usage:
 *   crash_prune run DIR ROUND [NAP_IN]
 *                               publishes releases p<ROUND>-0..7 (8 blobs of
 *                               48..112 KiB each, one blob shared by all
 *                               releases of every round, one by two), then
 *                               prunes the first six one at a time; the
 *                               shell kills it at a random moment. It
 *                               announces each phase on stdout (flushed), one
 *                               line each: "publish ID", "published ID" (its
 *                               commit returned), "prune ID", "in-txn ID"
 *                               (from store_prune's callback: inside the
 *                               prune's write transaction, before its
 *                               commit; in the NAP_IN-th prune (1..6, default
 *                               none) it then naps 30 s so that the shell
 *                               kills it there), "pruned ID"
 *                               (the commit returned), "done".
 *   crash_prune check DIR ROUNDS [JOURNAL]
 *                               for every release of rounds 1..ROUNDS:
 *                               either present with every blob and every
 *                               path live, or tombstoned with no record, its
 *                               own blobs gone and its paths gone; the shared
 *                               blob present while any release uses it;
 *                               fsck passes. JOURNAL (the writers' phase
 *                               lines, plus "killed-in-txn ID" lines the
 *                               shell adds for a kill inside a prune) says
 *                               more, by the last line naming each ID: a
 *                               release announced "published" is never
 *                               absent, and tombstoned it has its paths gone
 *                               (bound), not unbound; "pruned" is
 *                               tombstoned; "killed-in-txn" (its prune never
 *                               committed) is whole. Prints counts; exit 1
 *                               on any violation.
 *   crash_prune finish DIR ROUNDS  runs every round's prune again to the end
 *                               (the same prune run again completes); its
 *                               phase lines as for run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define PER_ROUND 8
#define PRUNED    6
#define BLOBS     8
#define MAP_SIZE  (4ull << 30)

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
}

/* The bytes of blob k of release (round, rel); k == BLOBS - 1 is the
 * blob every release shares, k == BLOBS - 2 is shared by pairs. */
static size_t blob_of(int round, int rel, int k, unsigned char *buf)
{
    uint64_t seed;
    size_t len;

    if (k == BLOBS - 1)
        seed = 1;
    else if (k == BLOBS - 2)
        seed = 1000000ull + (uint64_t)round * 100 + (uint64_t)(rel / 2);
    else
        seed = 2000000ull + (uint64_t)round * 1000 + (uint64_t)rel * 10 + (uint64_t)k;
    len = 48 * 1024 + (size_t)(seed % 64) * 1024;
    fill(buf, len, seed);
    return len;
}

static void id_of(int round, int rel, char *out, size_t cap)
{
    snprintf(out, cap, "p%d-%d", round, rel);
}

static void path_of(int round, int rel, int k, char *out, size_t cap)
{
    if (k == BLOBS - 1)
        snprintf(out, cap, "/shared.bin");
    else
        snprintf(out, cap, "/r%d/%d/f%d.bin", round, rel, k);
}

static struct store *open_store(const char *dir)
{
    struct store_options o = {0};
    struct store *st;
    int rc;

    o.map_size = MAP_SIZE;
    rc = store_open(dir, &o, &st);
    if (rc != STORE_OK) {
        fprintf(stderr, "open %s: %s\n", dir, store_strerror(rc));
        exit(1);
    }
    return st;
}

/* One phase line on stdout, flushed at once: the shell reads it while this
 * process may be killed at any moment. */
static void phase(const char *what, const char *id)
{
    printf("%s %s\n", what, id);
    fflush(stdout);
}

static int publish(struct store *st, int round, int rel, unsigned char *buf)
{
    struct store_file f[BLOBS];
    char paths[BLOBS][64], id[32];
    int k, rc;

    for (k = 0; k < BLOBS; k++) {
        size_t len = blob_of(round, rel, k, buf);

        store_sha256(buf, len, f[k].digest);
        rc = store_put_blob(st, f[k].digest, buf, len, NULL);
        if (rc != STORE_OK)
            return rc;
        path_of(round, rel, k, paths[k], sizeof(paths[k]));
        f[k].path = paths[k];
        f[k].path_len = strlen(paths[k]);
        f[k].type = "application/octet-stream";
        f[k].type_len = strlen(f[k].type);
    }
    id_of(round, rel, id, sizeof(id));
    phase("publish", id);
    rc = store_publish(st, id, strlen(id), f, BLOBS, 1000 + round, NULL, NULL, NULL);
    if (rc == STORE_OK)
        phase("published", id);
    return rc == STORE_EPRUNED ? STORE_OK : rc; /* a later step already pruned it */
}

/* store_prune's per-id callback, called inside its write transaction before
 * the commit (store_prune: the loop over ids precedes the commit): announces
 * that, then naps 30 s if *arg is set, so that the shell's kill lands there. */
static void in_txn(void *arg, const char *id, size_t id_len, int state, uint64_t blobs,
                   uint64_t variants, uint64_t bytes)
{
    int nap = *(const int *)arg;
    char buf[64];

    (void)state;
    (void)blobs;
    (void)variants;
    (void)bytes;
    snprintf(buf, sizeof(buf), "%.*s", (int)id_len, id);
    phase("in-txn", buf);
    if (nap) {
        struct timespec ts = {30, 0};

        nanosleep(&ts, NULL);
    }
}

static int prune_one(struct store *st, int round, int rel, int nap)
{
    char id[32];
    struct store_id sid;
    int rc;

    id_of(round, rel, id, sizeof(id));
    sid.id = id;
    sid.len = strlen(id);
    phase("prune", id);
    rc = store_prune(st, &sid, 1, 2000, 0, in_txn, &nap, NULL);
    if (rc == STORE_OK)
        phase("pruned", id);
    return rc;
}

static int run(const char *dir, int round, int publish_first, int nap_in)
{
    unsigned char *buf = malloc(128 * 1024);
    struct store *st = open_store(dir);
    int rel, rc = STORE_OK;

    for (rel = 0; publish_first && rc == STORE_OK && rel < PER_ROUND; rel++)
        rc = publish(st, round, rel, buf);
    for (rel = 0; rc == STORE_OK && rel < PRUNED; rel++)
        rc = prune_one(st, round, rel, rel + 1 == nap_in);
    if (rc != STORE_OK)
        fprintf(stderr, "round %d: %s\n", round, store_strerror(rc));
    store_close(st);
    free(buf);
    if (rc == STORE_OK)
        phase("done", "-");
    return rc == STORE_OK ? 0 : 1;
}

/* What the journal says last about id: 0 nothing, else one of J_*; and in
 * *published whether it ever announced the id "published". */
enum { J_NONE, J_PUBLISHED, J_PRUNED, J_KILLED_IN_TXN };

static int journal_of(const char *journal, const char *id, int *published)
{
    FILE *f;
    char line[128], what[32], jid[64];
    int last = J_NONE;

    *published = 0;
    if (journal == NULL)
        return J_NONE;
    f = fopen(journal, "r");
    if (f == NULL) {
        fprintf(stderr, "journal %s: cannot open\n", journal);
        exit(1);
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "%31s %63s", what, jid) != 2 || strcmp(jid, id) != 0)
            continue;
        if (strcmp(what, "published") == 0) {
            *published = 1;
            last = J_PUBLISHED;
        } else if (strcmp(what, "pruned") == 0) {
            last = J_PRUNED;
        } else if (strcmp(what, "killed-in-txn") == 0) {
            last = J_KILLED_IN_TXN;
        }
    }
    fclose(f);
    return last;
}

static int check(const char *dir, int rounds, const char *journal)
{
    unsigned char *buf = malloc(128 * 1024);
    struct store *st = open_store(dir);
    struct store_reader *r;
    int round, rel, k, bad = 0, whole = 0, pruned = 0, absent = 0, rc;
    uint64_t checked = 0;

    rc = store_fsck(st, &checked, NULL, NULL);
    if (rc != STORE_OK) {
        printf("fsck: %s\n", store_strerror(rc));
        bad++;
    }
    if (store_reader_begin(st, &r) != STORE_OK) {
        printf("no reader\n");
        return 1;
    }
    for (round = 1; round <= rounds; round++) {
        for (rel = 0; rel < PER_ROUND; rel++) {
            char id[32];
            int has_rel, tomb, said, published;

            id_of(round, rel, id, sizeof(id));
            has_rel = store_release_get(r, id, strlen(id), NULL, NULL, NULL) == STORE_OK;
            tomb = store_tombstone_get(r, id, strlen(id), NULL) == STORE_OK;
            said = journal_of(journal, id, &published);
            if (has_rel && tomb) {
                printf("%s: both a release and a tombstone\n", id);
                bad++;
            }
            if (said == J_PRUNED && !tomb) {
                printf("%s: its prune returned, yet no tombstone\n", id);
                bad++;
            }
            if (said == J_KILLED_IN_TXN && !has_rel) {
                printf("%s: killed inside its prune transaction, yet not whole\n", id);
                bad++;
            }
            if (!has_rel && !tomb) {
                if (published) {
                    printf("%s: its publish returned, yet no release and no tombstone\n", id);
                    bad++;
                }
                absent++; /* killed before it was published */
                continue;
            }
            if (has_rel) {
                whole++;
            } else {
                /* tombstoned: pruned after its publish (paths gone), or
                 * killed before its publish and tombstoned as absent by
                 * the finish (paths never bound; uploads left alone). The
                 * second only if its publish never returned: a published
                 * release's paths stay bound (gone), never unbound. */
                int unbound = 0;

                for (k = 0; k < BLOBS - 2; k++) {
                    char pk[64];
                    struct store_asset ak;

                    path_of(round, rel, k, pk, sizeof(pk));
                    unbound += store_lookup(r, pk, strlen(pk), &ak) == STORE_ENOTFOUND;
                }
                if (unbound > 0 && (published || unbound != BLOBS - 2)) {
                    printf("%s: tombstoned with %d of %d paths unbound (published: %s)\n", id,
                           unbound, BLOBS - 2, published ? "yes" : "no");
                    bad++;
                    continue;
                }
                if (unbound > 0) {
                    absent++;
                    continue;
                }
                pruned++;
            }
            for (k = 0; k < BLOBS; k++) {
                unsigned char d[STORE_DIGEST_LEN];
                char path[64];
                struct store_asset a;
                struct store_blob b;
                size_t len = blob_of(round, rel, k, buf);
                int lrc, brc;

                store_sha256(buf, len, d);
                path_of(round, rel, k, path, sizeof(path));
                lrc = store_lookup(r, path, strlen(path), &a);
                brc = store_get_blob(r, d, STORE_ENC_IDENTITY, &b);
                if (has_rel && (lrc != STORE_OK || brc != STORE_OK)) {
                    printf("%s: whole release with %s %s / blob %s\n", id, path,
                           store_strerror(lrc), store_strerror(brc));
                    bad++;
                }
                if (!has_rel && k < BLOBS - 2 && (lrc != STORE_EGONE || brc != STORE_ENOTFOUND)) {
                    printf("%s: pruned release with %s %s / blob %s\n", id, path,
                           store_strerror(lrc), store_strerror(brc));
                    bad++;
                }
            }
        }
    }
    store_reader_end(r);
    store_close(st);
    free(buf);
    printf("%d whole, %d pruned, %d never published, %llu objects checked, %d problems\n", whole,
           pruned, absent, (unsigned long long)checked, bad);
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int n;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: crash_prune run|check|finish DIR N [NAP_MS|JOURNAL]\n");
        return 2;
    }
    n = (int)strtol(argv[3], NULL, 10);
    if (strcmp(argv[1], "run") == 0)
        return run(argv[2], n, 1, argc == 5 ? (int)strtol(argv[4], NULL, 10) : 0);
    if (strcmp(argv[1], "check") == 0)
        return check(argv[2], n, argc == 5 ? argv[4] : NULL);
    if (strcmp(argv[1], "finish") == 0) {
        int round, rc = 0;

        for (round = 1; round <= n && rc == 0; round++)
            rc = run(argv[2], round, 0, 0);
        return rc;
    }
    return 2;
}
