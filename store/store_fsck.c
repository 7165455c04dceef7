/*
 * store_fsck.c - checking and copying a whole store: store_fsck() re-hashes
 * every blob, decodes every variant and delta, and checks every path,
 * release entry and counter against them, as a sort-merge; store_backup()
 * writes a consistent, compacted copy.
 *
 * For: maintenance that reads the whole environment. Not for: serving or
 * writing records (store.c), pruning (store_prune.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

/* A list of digests that paths or release entries name (fsck_state). */
struct fsck_refs {
    unsigned char (*d)[STORE_DIGEST_LEN];
    size_t n, cap;
};

/* fsck is a sort-merge, so that its cost per blob does not grow with the
 * store (issue 19: per GB, 1.4-1.6x worse at 1M blobs than at 100k, from a
 * search or a B-tree descent per path, entry and variant, each a cache miss
 * once the tree or the array outgrows the caches). The blob walk, in key
 * order, collects every digest and size (sorted for free); the variant walk,
 * in the same key order, merges against it; paths and release entries
 * append the digests they name, which are sorted (radix) and merged once at
 * the end. Every pass is sequential. */
struct fsck_state {
    store_bad_fn bad;
    void *arg;
    uint64_t checked, problems;
    uint64_t blobs, blob_bytes, variants, variant_bytes; /* summed, to check the counters */
    unsigned char (*have)[STORE_DIGEST_LEN];             /* every blob digest, key order */
    uint64_t *have_size;                                 /* and its size */
    size_t nhave, cap;
    size_t vpos;                  /* the variant walk's merge position in have */
    struct fsck_refs paths, rels; /* digests that paths and release entries name */
};

/* Appends d to refs. Returns STORE_OK or STORE_ENOMEM. */
static int fsck_ref_add(struct fsck_refs *refs, const unsigned char *d)
{
    if (refs->n == refs->cap) {
        size_t cap = refs->cap ? refs->cap * 2 : 1024;
        void *p = realloc(refs->d, cap * sizeof(*refs->d));

        if (p == NULL)
            return STORE_ENOMEM;
        refs->d = p;
        refs->cap = cap;
    }
    memcpy(refs->d[refs->n++], d, STORE_DIGEST_LEN);
    return STORE_OK;
}

/* Sorts a[0..n) by memcmp order in place: an American flag sort (MSD radix,
 * in place) on the first byte, then on the second, then insertion sort of
 * each run sharing both (a handful each: SHA-256 digests are uniform). */
static void fsck_sort(unsigned char (*a)[STORE_DIGEST_LEN], size_t n, int byte)
{
    size_t count[256], start[256], next[256], i, b;
    unsigned char tmp[STORE_DIGEST_LEN];

    if (n < 32 || byte == 2) {
        for (i = 1; i < n; i++) {
            size_t j = i;

            memcpy(tmp, a[i], STORE_DIGEST_LEN);
            while (j > 0 && memcmp(a[j - 1], tmp, STORE_DIGEST_LEN) > 0) {
                memcpy(a[j], a[j - 1], STORE_DIGEST_LEN);
                j--;
            }
            memcpy(a[j], tmp, STORE_DIGEST_LEN);
        }
        return;
    }
    memset(count, 0, sizeof(count));
    for (i = 0; i < n; i++)
        count[a[i][byte]]++;
    for (b = 0, i = 0; b < 256; b++) {
        start[b] = next[b] = i;
        i += count[b];
    }
    for (b = 0; b < 256; b++) {
        size_t end = start[b] + count[b];

        while (next[b] < end) {
            unsigned char v = a[next[b]][byte];

            if (v == b) {
                next[b]++;
                continue;
            }
            /* swap it into its bucket; what comes back is placed next */
            memcpy(tmp, a[next[v]], STORE_DIGEST_LEN);
            memcpy(a[next[v]], a[next[b]], STORE_DIGEST_LEN);
            memcpy(a[next[b]], tmp, STORE_DIGEST_LEN);
            next[v]++;
        }
    }
    for (b = 0; b < 256; b++)
        if (count[b] > 1)
            fsck_sort(a + start[b], count[b], byte + 1);
}

static void fsck_bad(struct fsck_state *fs, const unsigned char *digest, int enc, const char *why)
{
    static const unsigned char zero[STORE_DIGEST_LEN];

    fs->problems++;
    if (fs->bad != NULL)
        fs->bad(fs->arg, digest != NULL ? digest : zero, enc, why);
}

/* Sorts refs and reports each entry absent from fs->have (every
 * occurrence) as why. */
static void fsck_merge(struct fsck_state *fs, struct fsck_refs *refs, const char *why)
{
    size_t i, j = 0;

    fsck_sort(refs->d, refs->n, 0);
    for (i = 0; i < refs->n; i++) {
        int c = 1;

        while (j < fs->nhave && (c = memcmp(fs->have[j], refs->d[i], STORE_DIGEST_LEN)) < 0)
            j++;
        if (j == fs->nhave || c != 0)
            fsck_bad(fs, refs->d[i], -1, why);
    }
}

/* Calls check(fs, r, key, val) on every record of dbi. */
static int fsck_walk(struct store_reader *r, MDB_dbi dbi, struct fsck_state *fs,
                     int (*check)(struct fsck_state *, struct store_reader *, const MDB_val *,
                                  const MDB_val *))
{
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    rc = mdb_cursor_open(r->txn, dbi, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        int crc = check(fs, r, &key, &val);

        if (crc != STORE_OK) {
            mdb_cursor_close(cur);
            return crc;
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? STORE_OK : store__map_mdb(rc);
}

static int check_blob(struct fsck_state *fs, struct store_reader *r, const MDB_val *key,
                      const MDB_val *val)
{
    unsigned char got[STORE_DIGEST_LEN];
    (void)r;
    fs->checked++;
    fs->blobs++;
    fs->blob_bytes += val->mv_size;
    if (key->mv_size != STORE_DIGEST_LEN) {
        fsck_bad(fs, NULL, STORE_ENC_IDENTITY, "blob key is not a digest");
        return STORE_OK;
    }
    if (fs->nhave == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 1024;
        void *p = realloc(fs->have, cap * sizeof(*fs->have));

        if (p == NULL)
            return STORE_ENOMEM;
        fs->have = p;
        p = realloc(fs->have_size, cap * sizeof(*fs->have_size));
        if (p == NULL)
            return STORE_ENOMEM;
        fs->have_size = p;
        fs->cap = cap;
    }
    fs->have_size[fs->nhave] = val->mv_size;
    memcpy(fs->have[fs->nhave++], key->mv_data, STORE_DIGEST_LEN);
    store_sha256(val->mv_data, val->mv_size, got);
    if (memcmp(got, key->mv_data, STORE_DIGEST_LEN) != 0)
        fsck_bad(fs, key->mv_data, STORE_ENC_IDENTITY, "blob bytes do not hash to its digest");
    return STORE_OK;
}

static int check_variant(struct fsck_state *fs, struct store_reader *r, const MDB_val *key,
                         const MDB_val *val)
{
    const unsigned char *k = key->mv_data;
    int rc = 1, enc;

    (void)r;
    fs->checked++;
    fs->variants++;
    fs->variant_bytes += val->mv_size;
    if (key->mv_size != STORE_DIGEST_LEN + 1) {
        fsck_bad(fs, NULL, -1, "variant key malformed");
        return STORE_OK;
    }
    enc = k[STORE_DIGEST_LEN];
    /* variant keys are digest||enc: the same order as the blob walk's */
    while (fs->vpos < fs->nhave && (rc = memcmp(fs->have[fs->vpos], k, STORE_DIGEST_LEN)) < 0)
        fs->vpos++;
    if (fs->vpos == fs->nhave || rc != 0) {
        fsck_bad(fs, k, enc, "variant of an absent blob");
        return STORE_OK;
    }
    rc = store__variant_verify(enc, val->mv_data, val->mv_size, fs->have_size[fs->vpos], k);
    if (rc == STORE_ENOMEM || rc == STORE_EFAULT)
        return rc;
    if (rc != STORE_OK)
        fsck_bad(fs, k, enc, "variant does not decode to its blob");
    return STORE_OK;
}

/* store__delta_fsck's report: enc -1, like the other non-variant problems. */
static void fsck_bad_delta(void *arg, const unsigned char *digest, const char *why)
{
    fsck_bad(arg, digest, -1, why);
}

static int check_path(struct fsck_state *fs, struct store_reader *r, const MDB_val *key,
                      const MDB_val *val)
{
    const unsigned char *p = val->mv_data;
    int rc;

    fs->checked++;
    if (val->mv_size < STORE_DIGEST_LEN + 9 ||
        val->mv_size != (size_t)STORE_DIGEST_LEN + 9 + p[STORE_DIGEST_LEN + 8]) {
        fsck_bad(fs, NULL, -1, "path binding malformed");
        return STORE_OK;
    }
    rc = store__path_gone(r->st, r->txn, (MDB_val *)key);
    if (rc < 0)
        return -rc;
    if (rc == 1)
        return STORE_OK;                /* pruned: stays bound, its blob may be gone */
    return fsck_ref_add(&fs->paths, p); /* checked by fsck_merge */
}

struct release_check {
    struct fsck_state *fs;
    struct store_reader *r;
    int err;
};

static int check_release_file(void *arg, const struct store_file *f)
{
    struct release_check *rc = arg;

    rc->fs->checked++;
    rc->err = fsck_ref_add(&rc->fs->rels, f->digest); /* checked by fsck_merge */
    return rc->err != STORE_OK;
}

static int check_release(struct fsck_state *fs, struct store_reader *r, const MDB_val *key,
                         const MDB_val *val)
{
    struct release_check rc = {fs, r, STORE_OK};
    int trc;

    trc = store__tombstoned(r->st, r->txn, key->mv_data, key->mv_size);
    if (trc == STORE_EPRUNED)
        fsck_bad(fs, NULL, -1, "a pruned release is still present");
    else if (trc != STORE_OK)
        return trc;
    if (store__release_walk(val, check_release_file, &rc, NULL) != STORE_OK && rc.err == STORE_OK)
        fsck_bad(fs, NULL, -1, "release record malformed");
    return rc.err;
}

int store_fsck(struct store *st, uint64_t *checked, store_bad_fn bad, void *arg)
{
    struct fsck_state fs;
    struct store_reader *r;
    struct counters c;
    int rc;

    memset(&fs, 0, sizeof(fs));
    fs.bad = bad;
    fs.arg = arg;
    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return rc;
    if (store__counters_read(st, r->txn, &c) == STORE_OK && c.blobs > 0 &&
        c.blobs < SIZE_MAX / sizeof(*fs.have)) {
        fs.have = malloc((size_t)c.blobs * sizeof(*fs.have)); /* NULL: grown while walking */
        fs.have_size = malloc((size_t)c.blobs * sizeof(*fs.have_size));
        fs.cap = fs.have != NULL && fs.have_size != NULL ? (size_t)c.blobs : 0;
    }
    rc = fsck_walk(r, st->blobs, &fs, check_blob);
    if (rc == STORE_OK)
        rc = fsck_walk(r, st->variants, &fs, check_variant);
    if (rc == STORE_OK)
        rc = fsck_walk(r, st->paths, &fs, check_path);
    if (rc == STORE_OK)
        rc = fsck_walk(r, st->releases, &fs, check_release);
    if (rc == STORE_OK)
        rc = store__delta_fsck(r, &fs.checked, fsck_bad_delta, &fs);
    if (rc != STORE_OK)
        goto out;
    fsck_merge(&fs, &fs.paths, "path bound to an absent blob");
    fsck_merge(&fs, &fs.rels, "release names an absent blob");
    rc = store__counters_read(st, r->txn, &c);
    if (rc != STORE_OK) {
        fsck_bad(&fs, NULL, -1, "counters missing or malformed");
    } else if (c.blobs != fs.blobs || c.blob_bytes != fs.blob_bytes || c.variants != fs.variants ||
               c.variant_bytes != fs.variant_bytes) {
        fsck_bad(&fs, NULL, -1, "counters disagree with contents");
    }
    if (checked != NULL)
        *checked = fs.checked;
    rc = fs.problems == 0 ? STORE_OK : STORE_ECORRUPT;
out:
    free(fs.have);
    free(fs.have_size);
    free(fs.paths.d);
    free(fs.rels.d);
    store_reader_end(r);
    return rc;
}

int store_backup(struct store *st, const char *path, int fd)
{
    int own = -1, rc;

    if (path != NULL) {
        own = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        if (own < 0)
            return errno == ENOSPC || errno == EDQUOT ? STORE_EFULL : STORE_EIO;
        fd = own;
    }
    if (fd < 0)
        return STORE_EINVAL;
    rc = store__map_mdb(mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT));
    if (rc == STORE_ENOTFOUND)
        rc = STORE_EIO; /* not an answer a copy can give: keep the Returns list true */
    if (rc == STORE_OK && own >= 0 && fsync(own) != 0)
        rc = errno == ENOSPC || errno == EDQUOT ? STORE_EFULL : STORE_EIO;
    if (own >= 0) {
        if (close(own) != 0 && rc == STORE_OK)
            rc = STORE_EIO;
        if (rc != STORE_OK)
            unlink(path);
    }
    return rc;
}
