/*
 * store_delta.c - dictionary deltas (RFC 9842 "dcz"): storing a delta from
 * one blob (the dictionary) to another (the target) once it is proven to
 * decode to exactly the target, finding one, listing a target's, and the
 * hooks prune and fsck call.
 *
 * For: the "deltas" database. Not for: decoding (store_codec.c), choosing
 * which deltas to make (origin-ingest push) or negotiating them (public.c).
 *
 * On-disk addition (a named database next to store.c's; an older build
 * never opens it, so it cannot misread it):
 *   deltas  target[32] dict[32]  -> the whole dcz body: the 40-byte header
 *                                   (STORE_DCZ_MAGIC, the dictionary's
 *                                   SHA-256) and one zstd frame
 * The value is exactly what goes on the wire, so a delta is served from the
 * map like any variant.
 */
#include <string.h>

#include "store_internal.h"

#define DELTA_KEY_LEN (2 * STORE_DIGEST_LEN)

int store__delta_open(struct store *st, MDB_txn *txn)
{
    int rc = mdb_dbi_open(txn, "deltas", st->read_only ? 0 : MDB_CREATE, &st->deltas);

    if (rc == MDB_NOTFOUND && st->read_only) {
        st->has_deltas = 0; /* a store no delta-aware build has opened writable */
        return STORE_OK;
    }
    if (rc == MDB_INCOMPATIBLE)
        return STORE_ECORRUPT;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    st->has_deltas = 1;
    return STORE_OK;
}

static void delta_key(const unsigned char *target, const unsigned char *dict,
                      unsigned char buf[DELTA_KEY_LEN], MDB_val *key)
{
    memcpy(buf, target, STORE_DIGEST_LEN);
    memcpy(buf + STORE_DIGEST_LEN, dict, STORE_DIGEST_LEN);
    key->mv_size = DELTA_KEY_LEN;
    key->mv_data = buf;
}

int store_put_delta(struct store *st, const unsigned char target[STORE_DIGEST_LEN],
                    const unsigned char dict[STORE_DIGEST_LEN], const void *data, size_t len,
                    int *created)
{
    struct store_reader *r = NULL;
    struct store_blob tb, db;
    unsigned char kbuf[DELTA_KEY_LEN];
    MDB_txn *txn = NULL;
    MDB_val key, val;
    int rc;

    if (data == NULL || len == 0)
        return STORE_EINVAL;
    if (st->read_only || !st->has_deltas)
        return STORE_EIO;
    if (memcmp(target, dict, STORE_DIGEST_LEN) == 0)
        return STORE_EINVAL; /* a blob is never its own delta */
    if (len > st->max_blob)
        return STORE_ETOOBIG;
    /* Decode before taking the writer, from a reader that keeps both blobs'
     * pages valid meanwhile. */
    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return rc;
    rc = store_get_blob(r, target, STORE_ENC_IDENTITY, &tb);
    if (rc == STORE_OK)
        rc = store_get_blob(r, dict, STORE_ENC_IDENTITY, &db);
    if (rc != STORE_OK)
        goto out;
    delta_key(target, dict, kbuf, &key);
    if (mdb_get(r->txn, st->deltas, &key, &val) == MDB_SUCCESS) {
        if (created != NULL)
            *created = 0; /* verified when it was first put */
        goto out;
    }
    rc = store__delta_verify(data, len, tb.len, target, db.data, db.len, dict);
    store_reader_end(r);
    r = NULL;
    if (rc != STORE_OK)
        goto out;
    rc = store__write_begin(st, &txn);
    if (rc != STORE_OK)
        goto out;
    /* a prune may have removed either blob since the reader began */
    key.mv_size = STORE_DIGEST_LEN;
    key.mv_data = (void *)target;
    rc = mdb_get(txn, st->blobs, &key, &val);
    if (rc == MDB_SUCCESS) {
        key.mv_data = (void *)dict;
        rc = mdb_get(txn, st->blobs, &key, &val);
    }
    if (rc != MDB_SUCCESS) {
        rc = store__map_mdb(rc);
        goto out;
    }
    delta_key(target, dict, kbuf, &key);
    if (mdb_get(txn, st->deltas, &key, &val) == MDB_SUCCESS) { /* another writer, meanwhile */
        if (created != NULL)
            *created = 0;
        rc = STORE_OK;
        goto out;
    }
    val.mv_size = len;
    val.mv_data = (void *)data;
    rc = store__db_put(txn, st->deltas, &key, &val, 0);
    if (rc != STORE_OK)
        goto out;
    rc = store__txn_commit_created(&txn, created);
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    store_reader_end(r);
    return rc;
}

int store_get_delta(struct store_reader *r, const unsigned char target[STORE_DIGEST_LEN],
                    const unsigned char dict[STORE_DIGEST_LEN], struct store_blob *out)
{
    struct store *st = r->st;
    unsigned char kbuf[DELTA_KEY_LEN];
    MDB_val key, val;
    int rc;

    if (!st->has_deltas)
        return STORE_ENOTFOUND;
    delta_key(target, dict, kbuf, &key);
    rc = mdb_get(r->txn, st->deltas, &key, &val);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    out->data = val.mv_data;
    out->len = val.mv_size;
    out->offset = (uint64_t)((const char *)val.mv_data - st->mapaddr);
    return STORE_OK;
}

int store_list_deltas(struct store_reader *r, const unsigned char target[STORE_DIGEST_LEN],
                      store_delta_fn fn, void *arg)
{
    struct store *st = r->st;
    unsigned char kbuf[DELTA_KEY_LEN];
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if (!st->has_deltas)
        return STORE_OK;
    rc = mdb_cursor_open(r->txn, st->deltas, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    memcpy(kbuf, target, STORE_DIGEST_LEN);
    memset(kbuf + STORE_DIGEST_LEN, 0, STORE_DIGEST_LEN);
    key.mv_size = DELTA_KEY_LEN;
    key.mv_data = kbuf;
    rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    while (rc == MDB_SUCCESS && key.mv_size == DELTA_KEY_LEN &&
           memcmp(key.mv_data, target, STORE_DIGEST_LEN) == 0) {
        if (fn(arg, (const unsigned char *)key.mv_data + STORE_DIGEST_LEN, val.mv_size) != 0)
            break;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
}

int store__delta_prune(struct store *st, MDB_txn *txn,
                       int (*removed)(void *arg, const unsigned char *digest), void *arg, int dry,
                       uint64_t *count, uint64_t *bytes)
{
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if (!st->has_deltas)
        return STORE_OK;
    rc = mdb_cursor_open(txn, st->deltas, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        const unsigned char *k = key.mv_data;

        if (key.mv_size != DELTA_KEY_LEN || removed(arg, k) || removed(arg, k + STORE_DIGEST_LEN)) {
            (*count)++;
            *bytes += val.mv_size;
            if (!dry) {
                rc = mdb_cursor_del(cur, 0);
                if (rc != MDB_SUCCESS)
                    break;
            }
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
}

int store__delta_fsck(struct store_reader *r, uint64_t *checked,
                      void (*bad)(void *arg, const unsigned char *digest, const char *why),
                      void *arg)
{
    struct store *st = r->st;
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if (!st->has_deltas)
        return STORE_OK;
    rc = mdb_cursor_open(r->txn, st->deltas, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        const unsigned char *k = key.mv_data;
        struct store_blob tb, db;
        int vrc;

        (*checked)++;
        if (key.mv_size != DELTA_KEY_LEN) {
            bad(arg, NULL, "delta key malformed");
        } else if (store_get_blob(r, k, STORE_ENC_IDENTITY, &tb) != STORE_OK ||
                   store_get_blob(r, k + STORE_DIGEST_LEN, STORE_ENC_IDENTITY, &db) != STORE_OK) {
            bad(arg, k, "delta whose target or dictionary blob is absent");
        } else {
            vrc = store__delta_verify(val.mv_data, val.mv_size, tb.len, k, db.data, db.len,
                                      k + STORE_DIGEST_LEN);
            if (vrc == STORE_ENOMEM || vrc == STORE_EFAULT) {
                mdb_cursor_close(cur);
                return vrc;
            }
            if (vrc != STORE_OK)
                bad(arg, k, "delta does not decode to its target with its dictionary");
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
}

int store__delta_stats(struct store *st, MDB_txn *txn, struct store_stats *out)
{
    MDB_stat ms;
    int rc;

    out->deltas = 0;
    out->delta_bytes = 0;
    if (!st->has_deltas)
        return STORE_OK;
    rc = mdb_stat(txn, st->deltas, &ms);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    out->deltas = ms.ms_entries;
    out->delta_bytes =
        (uint64_t)ms.ms_psize * (ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages);
    return STORE_OK;
}
