/*
 * store_write.c - the store's writes: blobs (hashed before the writer lock
 * is taken), variants and deltas (decoded and compared first), batches of
 * them in one commit, and publishing a release atomically.
 *
 * For: every write that adds data. Not for: opening or readers (store.c),
 * removing data (store_prune.c), record encoding (store_record.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* A batch: one write transaction for many puts (store.h). */
struct store_batch {
    struct store *st;
    MDB_txn *txn;
    struct counters c;
    int failed; /* an error that leaves only abort possible */
};

/* ------------------------------------------------------------------ */
/* Writing blobs and variants                                           */

int store_batch_begin(struct store *st, struct store_batch **out)
{
    struct store_batch *b;
    int rc;

    if (st->read_only)
        return STORE_EIO;
    b = store__alloc(sizeof(*b), &rc);
    if (b == NULL)
        return rc;
    memset(b, 0, sizeof(*b));
    b->st = st;
    rc = store__write_begin(st, &b->txn);
    if (rc != STORE_OK)
        goto out;
    rc = store__counters_read(st, b->txn, &b->c);
out:
    if (rc != STORE_OK) {
        if (b->txn != NULL)
            mdb_txn_abort(b->txn);
        free(b);
        return rc;
    }
    *out = b;
    return STORE_OK;
}

/* Reserves len bytes under key in dbi and copies data there (one copy, into
 * the transaction's pages), then counts the new record in *count and *bytes
 * and sets *created (when not NULL) to 1. On failure the batch is marked
 * failed: it can only be aborted. Returns STORE_OK or the db_put error. */
static int batch_add(struct store_batch *b, MDB_dbi dbi, MDB_val *key, const void *data, size_t len,
                     uint64_t *count, uint64_t *bytes, int *created)
{
    MDB_val val;
    int rc;

    val.mv_size = len;
    val.mv_data = NULL;
    rc = store__db_put(b->txn, dbi, key, &val, MDB_RESERVE);
    if (rc != STORE_OK) {
        b->failed = rc;
        return rc;
    }
    if (len > 0)
        memcpy(val.mv_data, data, len);
    (*count)++;
    *bytes += len;
    if (created != NULL)
        *created = 1;
    return STORE_OK;
}

/* Whether key is already in dbi: STORE_ENOTFOUND when it is not (the caller
 * puts it), STORE_OK when it is (*created, when not NULL, set to 0: a put
 * of what is there is a no-op), or the mapped LMDB error, which marks the
 * batch failed. */
static int batch_absent(struct store_batch *b, MDB_dbi dbi, MDB_val *key, int *created)
{
    MDB_val val;
    int rc = mdb_get(b->txn, dbi, key, &val);

    if (rc == MDB_NOTFOUND)
        return STORE_ENOTFOUND;
    if (rc == MDB_SUCCESS) {
        if (created != NULL)
            *created = 0;
        return STORE_OK;
    }
    b->failed = store__map_mdb(rc);
    return b->failed;
}

/* store_batch_put; verified: the caller has already checked that data
 * hashes to digest (outside the write transaction). */
static int batch_put(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                     const void *data, size_t len, int *created, int verified)
{
    struct store *st = b->st;
    unsigned char got[STORE_DIGEST_LEN];
    MDB_val key = {STORE_DIGEST_LEN, (void *)digest};
    int rc;

    if (b->failed)
        return b->failed;
    if (len > st->max_blob)
        return STORE_ETOOBIG;
    if (data == NULL && len > 0)
        return STORE_EINVAL;
    rc = batch_absent(b, st->blobs, &key, created);
    if (rc != STORE_ENOTFOUND)
        return rc;
    if (!verified) {
        store_sha256(data, len, got);
        if (memcmp(got, digest, STORE_DIGEST_LEN) != 0)
            return STORE_EDIGEST;
    }
    return batch_add(b, st->blobs, &key, data, len, &b->c.blobs, &b->c.blob_bytes, created);
}

int store_batch_put(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                    const void *data, size_t len, int *created)
{
    return batch_put(b, digest, data, len, created, 0);
}

/* store_batch_put_variant; verified_size: the blob size the caller has
 * already decoded data against (outside the write transaction), or
 * UINT64_MAX when it has not. */
static int batch_put_variant(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                             int enc, const void *data, size_t len, int *created,
                             uint64_t verified_size)
{
    struct store *st = b->st;
    unsigned char vkey[STORE_DIGEST_LEN + 1];
    MDB_val key = {STORE_DIGEST_LEN, (void *)digest}, val;
    int rc;

    if (b->failed)
        return b->failed;
    if (enc < STORE_ENC_GZIP || enc >= STORE_ENC_COUNT)
        return STORE_EINVAL;
    if (data == NULL && len > 0)
        return STORE_EINVAL;
    if (len > st->max_blob)
        return STORE_ETOOBIG;
    rc = mdb_get(b->txn, st->blobs, &key, &val);
    if (rc != MDB_SUCCESS) {
        if (rc == MDB_NOTFOUND)
            return STORE_ENOTFOUND;
        b->failed = store__map_mdb(rc);
        return b->failed;
    }
    memcpy(vkey, digest, STORE_DIGEST_LEN);
    vkey[STORE_DIGEST_LEN] = (unsigned char)enc;
    key.mv_data = vkey;
    key.mv_size = sizeof(vkey);
    rc = batch_absent(b, st->variants, &key, created);
    if (rc != STORE_ENOTFOUND)
        return rc;
    if (verified_size == (uint64_t)val.mv_size)
        rc = STORE_OK; /* blobs never change: the check made outside holds */
    else
        rc = store__variant_verify(enc, data, len, val.mv_size, digest);
    if (rc == STORE_EFAULT || rc == STORE_ENOMEM) {
        b->failed = rc;
        return rc;
    }
    if (rc != STORE_OK)
        return rc;
    return batch_add(b, st->variants, &key, data, len, &b->c.variants, &b->c.variant_bytes,
                     created);
}

int store_batch_put_variant(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                            int enc, const void *data, size_t len, int *created)
{
    return batch_put_variant(b, digest, enc, data, len, created, UINT64_MAX);
}

int store_batch_commit(struct store_batch *b)
{
    int rc;

    if (b->failed) {
        rc = b->failed;
        mdb_txn_abort(b->txn);
        goto out;
    }
    rc = store__counters_write(b->st, b->txn, &b->c);
    if (rc != STORE_OK) {
        mdb_txn_abort(b->txn);
        goto out;
    }
    rc = store__txn_commit(b->txn);
out:
    free(b);
    return rc;
}

void store_batch_abort(struct store_batch *b)
{
    if (b == NULL)
        return;
    mdb_txn_abort(b->txn);
    free(b);
}

/* 1 if key is present in dbi, 0 if not, -STORE_* on error; in a short reader. */
static int present(struct store *st, MDB_dbi dbi, const void *k, size_t klen)
{
    struct store_reader *r;
    MDB_val key = {klen, (void *)k}, val;
    int rc;

    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return -rc;
    rc = mdb_get(r->txn, dbi, &key, &val);
    store_reader_end(r);
    if (rc == MDB_SUCCESS)
        return 1;
    if (rc == MDB_NOTFOUND)
        return 0;
    return -store__map_mdb(rc);
}

/* Ends the one-record batch b of store_put_blob/store_put_variant after its
 * put returned rc with created c: aborted on an error or when nothing was
 * created (another writer put it meanwhile), else committed; *created (if
 * not NULL) is written on STORE_OK only. Returns rc, the commit's error, or
 * STORE_OK. */
static int batch_finish(struct store_batch *b, int rc, int c, int *created)
{
    if (rc != STORE_OK || c == 0) {
        store_batch_abort(b);
        if (rc != STORE_OK)
            return rc;
    } else {
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            return rc;
    }
    if (created != NULL)
        *created = c;
    return STORE_OK;
}

int store_put_blob(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], const void *data,
                   size_t len, int *created)
{
    struct store_batch *b;
    int rc, c = 0;

    if (len > st->max_blob)
        return STORE_ETOOBIG;
    /* Already there: answer from a pooled reader, without the writer lock. */
    rc = present(st, st->blobs, digest, STORE_DIGEST_LEN);
    if (rc < 0)
        return -rc;
    if (rc == 1) {
        if (created != NULL)
            *created = 0;
        return STORE_OK;
    }
    /* Hash before taking the writer: a large upload must not hold LMDB's
     * single writer lock (every other writer, heals included) while it is
     * hashed. */
    if (data == NULL && len > 0)
        return STORE_EINVAL;
    {
        unsigned char got[STORE_DIGEST_LEN];

        store_sha256(data, len, got);
        if (memcmp(got, digest, STORE_DIGEST_LEN) != 0)
            return STORE_EDIGEST;
    }
    rc = store_batch_begin(st, &b);
    if (rc != STORE_OK)
        return rc;
    rc = batch_put(b, digest, data, len, &c, 1);
    return batch_finish(b, rc, c, created);
}

int store_put_variant(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                      const void *data, size_t len, int *created)
{
    struct store_batch *b;
    int rc, c = 0;

    uint64_t size = UINT64_MAX;

    if (enc < STORE_ENC_GZIP || enc >= STORE_ENC_COUNT)
        return STORE_EINVAL;
    if (data == NULL && len > 0)
        return STORE_EINVAL;
    if (len > st->max_blob)
        return STORE_ETOOBIG;
    /* Decode before taking the writer (see store_put_blob): the blob's size
     * from a reader, the check here, and the batch only stores. */
    {
        struct store_reader *r;
        struct store_blob blob;

        memset(&blob, 0, sizeof(blob));
        rc = store_reader_begin(st, &r);
        if (rc != STORE_OK)
            return rc;
        rc = store_get_blob(r, digest, STORE_ENC_IDENTITY, &blob);
        if (rc == STORE_OK)
            size = blob.len;
        store_reader_end(r);
        if (rc != STORE_OK)
            return rc;
        rc = store__variant_verify(enc, data, len, size, digest);
        if (rc != STORE_OK)
            return rc;
    }
    rc = store_batch_begin(st, &b);
    if (rc != STORE_OK)
        return rc;
    rc = batch_put_variant(b, digest, enc, data, len, &c, size);
    return batch_finish(b, rc, c, created);
}

int store_missing(struct store *st, const unsigned char (*digests)[STORE_DIGEST_LEN], size_t n,
                  unsigned char *missing)
{
    struct store_reader *r;
    MDB_val key, val;
    size_t i;
    int rc;

    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return rc;
    key.mv_size = STORE_DIGEST_LEN;
    for (i = 0; i < n; i++) {
        key.mv_data = (void *)digests[i];
        rc = mdb_get(r->txn, st->blobs, &key, &val);
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) {
            rc = store__map_mdb(rc);
            goto out;
        }
        missing[i] = rc == MDB_NOTFOUND;
    }
    rc = STORE_OK;
out:
    store_reader_end(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Publishing                                                           */

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int cmp_file_path(const void *pa, const void *pb)
{
    const struct store_file *a = *(const struct store_file *const *)pa;
    const struct store_file *b = *(const struct store_file *const *)pb;

    return cmp_bytes(a->path, a->path_len, b->path, b->path_len);
}

static int cmp_file_digest(const void *pa, const void *pb)
{
    const struct store_file *a = *(const struct store_file *const *)pa;
    const struct store_file *b = *(const struct store_file *const *)pb;
    int c = memcmp(a->digest, b->digest, STORE_DIGEST_LEN);

    return c != 0 ? c : cmp_file_path(pa, pb);
}

static void report(store_problem_fn fn, void *arg, enum store_problem_kind kind, const char *path,
                   size_t len, const unsigned char *digest)
{
    static const unsigned char zero[STORE_DIGEST_LEN];

    if (fn != NULL)
        fn(arg, kind, path, len, digest != NULL ? digest : zero);
}

/* Serialises the sorted, deduplicated entries (the canonical release body). */
static unsigned char *release_entries(const struct store_file *const *f, size_t n, size_t *len,
                                      int *err)
{
    size_t i, total = 0;
    unsigned char *buf, *p;

    for (i = 0; i < n; i++)
        total += 2 + f[i]->path_len + STORE_DIGEST_LEN + 1 + f[i]->type_len;
    buf = store__alloc(total, err);
    if (buf == NULL)
        return NULL;
    p = buf;
    for (i = 0; i < n; i++) {
        *p++ = (unsigned char)(f[i]->path_len >> 8);
        *p++ = (unsigned char)(f[i]->path_len & 0xff);
        memcpy(p, f[i]->path, f[i]->path_len);
        p += f[i]->path_len;
        memcpy(p, f[i]->digest, STORE_DIGEST_LEN);
        p += STORE_DIGEST_LEN;
        *p++ = (unsigned char)f[i]->type_len;
        memcpy(p, f[i]->type, f[i]->type_len);
        p += f[i]->type_len;
    }
    *len = total;
    return buf;
}

/* 1 if release id is already stored with exactly these entries and every
 * blob is present (publishing it again is a no-op), 0 if not (the write
 * path decides), -STORE_* on error. Read-only, in a pooled reader. */
static int republish_check(struct store *st, const char *id, size_t id_len,
                           const struct store_file *const *bydigest, size_t u,
                           const unsigned char *entries, size_t entries_len)
{
    struct store_reader *r;
    MDB_val key = {id_len, (void *)id}, val;
    size_t i;
    int rc;

    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return -rc;
    rc = mdb_get(r->txn, st->releases, &key, &val);
    if (rc != MDB_SUCCESS) {
        rc = rc == MDB_NOTFOUND ? 0 : -store__map_mdb(rc);
        goto out;
    }
    if (val.mv_size != RELEASE_HEAD_LEN + entries_len ||
        store__get_u64((unsigned char *)val.mv_data + 16) != u ||
        (entries_len > 0 &&
         memcmp((unsigned char *)val.mv_data + RELEASE_HEAD_LEN, entries, entries_len) != 0)) {
        rc = 0;
        goto out;
    }
    key.mv_size = STORE_DIGEST_LEN;
    for (i = 0; i < u; i++) {
        if (i > 0 && memcmp(bydigest[i]->digest, bydigest[i - 1]->digest, STORE_DIGEST_LEN) == 0)
            continue;
        key.mv_data = (void *)bydigest[i]->digest;
        rc = mdb_get(r->txn, st->blobs, &key, &val);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            goto out;
        }
        if (rc != MDB_SUCCESS) {
            rc = -store__map_mdb(rc);
            goto out;
        }
    }
    rc = 1;
out:
    store_reader_end(r);
    return rc;
}

int store_publish(struct store *st, const char *id, size_t id_len, const struct store_file *files,
                  size_t n, int64_t now, int *created, store_problem_fn problem, void *arg)
{
    const struct store_file **sorted = NULL, **bydigest = NULL, **effp = NULL;
    struct store_file *eff = NULL;
    unsigned char *isnew = NULL, *entries = NULL, *relval = NULL;
    size_t i, u = 0, m = 0, entries_len = 0, nmissing = 0, nconflict = 0, nnew = 0;
    struct counters c;
    MDB_txn *txn = NULL;
    MDB_val key, val;
    int rc, bad = 0, relconflict = 0, retyped = 0;

    if (store_id_valid(id, id_len) != STORE_OK || (files == NULL && n > 0))
        return STORE_EINVAL;
    if (st->read_only)
        return STORE_EIO;
    sorted = store__alloc(n * sizeof(*sorted), &rc);
    if (sorted == NULL)
        goto out;

    /* 1. Every entry valid; sorted by path; a path given twice is a bad entry. */
    for (i = 0; i < n; i++) {
        const struct store_file *f = &files[i];

        if (store_path_valid(f->path, f->path_len) != STORE_OK ||
            store_type_valid(f->type, f->type_len) != STORE_OK) {
            report(problem, arg, STORE_PROBLEM_BAD_ENTRY, f->path, f->path ? f->path_len : 0,
                   f->digest);
            bad = 1;
            continue;
        }
        sorted[m++] = f;
    }
    qsort(sorted, m, sizeof(*sorted), cmp_file_path);
    for (i = 0; i < m; i++) {
        if (u > 0 && cmp_file_path(&sorted[i], &sorted[u - 1]) == 0) {
            report(problem, arg, STORE_PROBLEM_BAD_ENTRY, sorted[i]->path, sorted[i]->path_len,
                   sorted[i]->digest);
            bad = 1;
            continue;
        }
        sorted[u++] = sorted[i];
    }
    if (bad) {
        rc = STORE_EINVAL;
        goto out;
    }
    entries = release_entries(sorted, u, &entries_len, &rc);
    if (entries == NULL)
        goto out;
    bydigest = store__alloc(u * sizeof(*bydigest), &rc);
    if (bydigest == NULL)
        goto out;
    isnew = store__alloc(u, &rc);
    if (isnew == NULL)
        goto out;
    eff = store__alloc((u > 0 ? u : 1) * sizeof(*eff), &rc);
    if (eff == NULL)
        goto out;
    effp = store__alloc((u > 0 ? u : 1) * sizeof(*effp), &rc);
    if (effp == NULL)
        goto out;
    for (i = 0; i < u; i++)
        eff[i] = *sorted[i];

    if (u > 0)
        memcpy(bydigest, sorted, u * sizeof(*bydigest));
    qsort(bydigest, u, sizeof(*bydigest), cmp_file_digest);

    /* Republishing an identical release (every re-push does) is answered
     * from a read transaction: no writer lock, no write transaction. */
    rc = republish_check(st, id, id_len, bydigest, u, entries, entries_len);
    if (rc < 0) {
        rc = -rc;
        goto out;
    }
    if (rc == 1) {
        if (created != NULL)
            *created = 0;
        rc = STORE_OK;
        goto out;
    }

    rc = store__write_begin(st, &txn);
    if (rc != STORE_OK)
        goto out;
    /* A pruned release id never comes back, whoever publishes it. */
    rc = store__tombstoned(st, txn, id, id_len);
    if (rc != STORE_OK)
        goto out;

    /* 2. Every blob present: report each missing digest once, with its first path. */
    for (i = 0; i < u; i++) {
        if (i > 0 && memcmp(bydigest[i]->digest, bydigest[i - 1]->digest, STORE_DIGEST_LEN) == 0)
            continue;
        key.mv_size = STORE_DIGEST_LEN;
        key.mv_data = (void *)bydigest[i]->digest;
        rc = mdb_get(txn, st->blobs, &key, &val);
        if (rc == MDB_NOTFOUND) {
            report(problem, arg, STORE_PROBLEM_MISSING, bydigest[i]->path, bydigest[i]->path_len,
                   bydigest[i]->digest);
            nmissing++;
        } else if (rc != MDB_SUCCESS) {
            rc = store__map_mdb(rc);
            goto out;
        }
    }
    if (nmissing > 0) {
        rc = STORE_EMISSING;
        goto out;
    }

    /* 3. Paths: bound to the same digest is fine, to another is a conflict.
     * A bound path keeps its first type: the release records that type
     * (what the path serves), so the entries are rebuilt if one differs. */
    for (i = 0; i < u; i++) {
        unsigned char kbuf[PATH_KEY_DIRECT];

        store__path_key(sorted[i]->path, sorted[i]->path_len, kbuf, &key);
        rc = mdb_get(txn, st->paths, &key, &val);
        if (rc == MDB_NOTFOUND) {
            isnew[i] = 1;
            nnew++;
            continue;
        }
        if (rc != MDB_SUCCESS) {
            rc = store__map_mdb(rc);
            goto out;
        }
        isnew[i] = 0;
        if (val.mv_size < STORE_DIGEST_LEN + 9) {
            rc = STORE_ECORRUPT;
            goto out;
        }
        if (memcmp(val.mv_data, sorted[i]->digest, STORE_DIGEST_LEN) != 0) {
            report(problem, arg, STORE_PROBLEM_PATH_CONFLICT, sorted[i]->path, sorted[i]->path_len,
                   val.mv_data);
            nconflict++;
            continue;
        }
        {
            const unsigned char *pv = val.mv_data;
            size_t tl = pv[STORE_DIGEST_LEN + 8];

            if (val.mv_size != STORE_DIGEST_LEN + 9 + tl) {
                rc = STORE_ECORRUPT;
                goto out;
            }
            if (cmp_bytes(sorted[i]->type, sorted[i]->type_len,
                          (const char *)pv + STORE_DIGEST_LEN + 9, tl) != 0) {
                eff[i].type = (const char *)pv + STORE_DIGEST_LEN + 9;
                eff[i].type_len = tl;
                retyped = 1;
            }
        }
    }
    if (retyped && nconflict == 0) {
        for (i = 0; i < u; i++)
            effp[i] = &eff[i];
        free(entries);
        entries = release_entries(effp, u, &entries_len, &rc);
        if (entries == NULL)
            goto out;
    }
    /* 4. The release id: identical content is a no-op, other content a conflict. */
    key.mv_size = id_len;
    key.mv_data = (void *)id;
    rc = mdb_get(txn, st->releases, &key, &val);
    if (rc == MDB_SUCCESS) {
        if (val.mv_size == RELEASE_HEAD_LEN + entries_len &&
            store__get_u64((unsigned char *)val.mv_data + 16) == u &&
            (entries_len == 0 ||
             memcmp((unsigned char *)val.mv_data + RELEASE_HEAD_LEN, entries, entries_len) == 0)) {
            if (created != NULL)
                *created = 0;
            rc = STORE_OK;
            goto out;
        }
        relconflict = 1;
    } else if (rc != MDB_NOTFOUND) {
        rc = store__map_mdb(rc);
        goto out;
    }

    if (relconflict)
        report(problem, arg, STORE_PROBLEM_RELEASE_CONFLICT, NULL, 0, NULL);
    if (nconflict > 0 || relconflict) {
        rc = STORE_ECONFLICT;
        goto out;
    }

    /* 5. Write: new paths, the release, its place in publish order, counters. */
    rc = store__counters_read(st, txn, &c);
    if (rc != STORE_OK)
        goto out;
    for (i = 0; i < u; i++) {
        unsigned char kbuf[PATH_KEY_DIRECT];
        unsigned char pval[STORE_DIGEST_LEN + 9 + STORE_TYPE_MAX];

        store__path_key(sorted[i]->path, sorted[i]->path_len, kbuf, &key);
        if (!isnew[i]) {
            /* same digest: a path gone by a prune is live again */
            rc = store__path_revive(st, txn, &key);
            if (rc != STORE_OK)
                goto out;
            continue;
        }
        memcpy(pval, sorted[i]->digest, STORE_DIGEST_LEN);
        store__put_u64(pval + STORE_DIGEST_LEN,
                       (uint64_t)(sorted[i]->published > 0 ? sorted[i]->published : now));
        pval[STORE_DIGEST_LEN + 8] = (unsigned char)sorted[i]->type_len;
        memcpy(pval + STORE_DIGEST_LEN + 9, sorted[i]->type, sorted[i]->type_len);
        val.mv_data = pval;
        val.mv_size = STORE_DIGEST_LEN + 9 + sorted[i]->type_len;
        rc = store__db_put(txn, st->paths, &key, &val, 0);
        if (rc != STORE_OK)
            goto out;
    }
    c.seq++;
    key.mv_size = id_len;
    key.mv_data = (void *)id;
    val.mv_size = RELEASE_HEAD_LEN + entries_len;
    val.mv_data = NULL;
    rc = store__db_put(txn, st->releases, &key, &val, MDB_RESERVE);
    if (rc != STORE_OK)
        goto out;
    relval = val.mv_data;
    store__put_u64(relval, (uint64_t)now);
    store__put_u64(relval + 8, c.seq);
    store__put_u64(relval + 16, u);
    if (entries_len > 0)
        memcpy(relval + RELEASE_HEAD_LEN, entries, entries_len);
    {
        unsigned char seqkey[8];

        store__put_u64(seqkey, c.seq);
        key.mv_size = 8;
        key.mv_data = seqkey;
        val.mv_size = id_len;
        val.mv_data = (void *)id;
        rc = store__db_put(txn, st->relorder, &key, &val, 0);
        if (rc != STORE_OK)
            goto out;
    }
    c.paths += nnew;
    c.releases++;
    c.last_time = now;
    memcpy(c.last, id, id_len);
    c.last[id_len] = '\0';
    c.last_len = id_len;
    rc = store__counters_write(st, txn, &c);
    if (rc != STORE_OK)
        goto out;
    rc = store__txn_commit_created(&txn, created);
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    free(sorted);
    free(bydigest);
    free(isnew);
    free(eff);
    free(effp);
    free(entries);
    return rc;
}
