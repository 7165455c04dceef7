/*
 * store_record.c - the store's record layer: LMDB error codes mapped to
 * store errors, big-endian integers, the key a path is bound under, puts and
 * commits through the fault points, the write transaction's begin and
 * commit, cursor walks from a key on, and the counters record.
 *
 * For: every store file that reads or writes a record (store_internal.h
 * declares these). Not for: what the records mean (store.c, store_prune.c,
 * store_delta.c, store_promote.c), opening the environment (store.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "store_internal.h"

#define COUNTERS_FIXED_LEN (8 * 8)
#define PATH_KEY_PREFIX    447u /* longer: prefix, NUL, SHA-256 of the path */

int store__map_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return STORE_OK;
    case MDB_NOTFOUND:
        return STORE_ENOTFOUND;
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:
        return STORE_EFULL;
    case MDB_READERS_FULL:
    case MDB_MAP_RESIZED:
    case EAGAIN:
    case EBUSY:
        return STORE_EBUSY;
    case ENOMEM:
        return STORE_ENOMEM;
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INCOMPATIBLE:
    case MDB_BAD_VALSIZE:
        return STORE_ECORRUPT;
    default:
        return STORE_EIO;
    }
}

void store__put_u64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t store__get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* The key under which a path is bound: the path itself when short enough for
 * LMDB's key limit, else a prefix, a NUL (never in a valid path) and the
 * path's SHA-256. buf must hold PATH_KEY_DIRECT bytes. */
void store__path_key(const char *path, size_t len, unsigned char *buf, MDB_val *key)
{
    if (len <= PATH_KEY_DIRECT) {
        key->mv_data = (void *)path;
        key->mv_size = len;
        return;
    }
    memcpy(buf, path, PATH_KEY_PREFIX);
    buf[PATH_KEY_PREFIX] = 0;
    store_sha256(path, len, buf + PATH_KEY_PREFIX + 1);
    key->mv_data = buf;
    key->mv_size = PATH_KEY_PREFIX + 1 + STORE_DIGEST_LEN;
}

int store__db_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val, unsigned flags)
{
    if (store__fault_hit(STORE_FAULT_WRITE))
        return STORE_EFAULT;
    return store__map_mdb(mdb_put(txn, dbi, key, val, flags));
}

/* 1 if the filesystem holding env's data file has less than 1 MiB left for
 * this process. LMDB reports a short write as EIO (mdb_page_flush), and a
 * filesystem that fills up mid-write gives exactly that, not ENOSPC. */
static int fs_full(MDB_env *env)
{
    mdb_filehandle_t fd;
    struct statvfs sv;

    if (env == NULL || mdb_env_get_fd(env, &fd) != MDB_SUCCESS || fstatvfs(fd, &sv) != 0)
        return 0;
    return (uint64_t)sv.f_bavail * sv.f_frsize < 1024 * 1024;
}

/* Commits txn (always consumed, even on failure). An I/O error on a full
 * filesystem is STORE_EFULL. */
int store__txn_commit(MDB_txn *txn)
{
    MDB_env *env = mdb_txn_env(txn);
    int rc;

    if (store__fault_hit(STORE_FAULT_COMMIT)) {
        mdb_txn_abort(txn);
        return STORE_EFAULT;
    }
    rc = store__map_mdb(mdb_txn_commit(txn));
    if (rc == STORE_EIO && fs_full(env))
        rc = STORE_EFULL;
    return rc;
}

int store__write_begin(struct store *st, MDB_txn **txn)
{
    store__pin_release(st, 0);
    return store__map_mdb(mdb_txn_begin(st->env, NULL, 0, txn));
}

int store__txn_commit_created(MDB_txn **txn, int *created)
{
    int rc = store__txn_commit(*txn);

    *txn = NULL;
    if (rc == STORE_OK && created != NULL)
        *created = 1;
    return rc;
}

int store__cursor_after(MDB_cursor *cur, const void *after, size_t after_len, MDB_val *key,
                        MDB_val *val)
{
    int rc;

    if (after == NULL || after_len == 0)
        return mdb_cursor_get(cur, key, val, MDB_FIRST);
    key->mv_size = after_len;
    key->mv_data = (void *)after;
    rc = mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && key->mv_size == after_len &&
        memcmp(key->mv_data, after, after_len) == 0)
        rc = mdb_cursor_get(cur, key, val, MDB_NEXT);
    return rc;
}

int store__cursor_close(MDB_cursor *cur, int rc)
{
    mdb_cursor_close(cur);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? STORE_OK : store__map_mdb(rc);
}

int store__counters_read(struct store *st, MDB_txn *txn, struct counters *c)
{
    MDB_val key = {8, "counters"}, val;
    const unsigned char *p;
    int rc;

    memset(c, 0, sizeof(*c));
    rc = mdb_get(txn, st->meta, &key, &val);
    if (rc != MDB_SUCCESS)
        return rc == MDB_NOTFOUND ? STORE_ECORRUPT : store__map_mdb(rc);
    if (val.mv_size < COUNTERS_FIXED_LEN || val.mv_size > COUNTERS_FIXED_LEN + STORE_ID_MAX)
        return STORE_ECORRUPT;
    p = val.mv_data;
    c->blobs = store__get_u64(p);
    c->blob_bytes = store__get_u64(p + 8);
    c->variants = store__get_u64(p + 16);
    c->variant_bytes = store__get_u64(p + 24);
    c->paths = store__get_u64(p + 32);
    c->releases = store__get_u64(p + 40);
    c->seq = store__get_u64(p + 48);
    c->last_time = (int64_t)store__get_u64(p + 56);
    c->last_len = val.mv_size - COUNTERS_FIXED_LEN;
    memcpy(c->last, p + COUNTERS_FIXED_LEN, c->last_len);
    c->last[c->last_len] = '\0';
    return STORE_OK;
}

int store__counters_write(struct store *st, MDB_txn *txn, const struct counters *c)
{
    unsigned char buf[COUNTERS_FIXED_LEN + STORE_ID_MAX];
    MDB_val key = {8, "counters"}, val;

    store__put_u64(buf, c->blobs);
    store__put_u64(buf + 8, c->blob_bytes);
    store__put_u64(buf + 16, c->variants);
    store__put_u64(buf + 24, c->variant_bytes);
    store__put_u64(buf + 32, c->paths);
    store__put_u64(buf + 40, c->releases);
    store__put_u64(buf + 48, c->seq);
    store__put_u64(buf + 56, (uint64_t)c->last_time);
    memcpy(buf + COUNTERS_FIXED_LEN, c->last, c->last_len);
    val.mv_data = buf;
    val.mv_size = COUNTERS_FIXED_LEN + c->last_len;
    return store__db_put(txn, st->meta, &key, &val, 0);
}

/* Walks a release record's entries; fn may be NULL (validation only).
 * Returns STORE_OK, STORE_ECORRUPT, or stops early when fn returns non-zero. */
int store__release_walk(const MDB_val *val, store_file_fn fn, void *arg, uint64_t *count)
{
    const unsigned char *p = val->mv_data, *end = p + val->mv_size;
    uint64_t n, i;

    if (val->mv_size < RELEASE_HEAD_LEN)
        return STORE_ECORRUPT;
    n = store__get_u64(p + 16);
    if (count != NULL)
        *count = n;
    p += RELEASE_HEAD_LEN;
    for (i = 0; i < n; i++) {
        struct store_file f;

        f.published = 0;
        if (end - p < 2)
            return STORE_ECORRUPT;
        f.path_len = (size_t)p[0] << 8 | p[1];
        p += 2;
        if ((size_t)(end - p) < f.path_len + STORE_DIGEST_LEN + 1)
            return STORE_ECORRUPT;
        f.path = (const char *)p;
        p += f.path_len;
        memcpy(f.digest, p, STORE_DIGEST_LEN);
        p += STORE_DIGEST_LEN;
        f.type_len = *p++;
        if ((size_t)(end - p) < f.type_len)
            return STORE_ECORRUPT;
        f.type = (const char *)p;
        p += f.type_len;
        if (fn != NULL && fn(arg, &f) != 0)
            return STORE_OK;
    }
    return p == end ? STORE_OK : STORE_ECORRUPT;
}

/* The retention record (meta "prunestats", store_prune.c): tombstones,
 * blobs and bytes reclaimed, gone paths; its presence marks a store that was
 * ever pruned. */
int store__prunestats_read(struct store *st, MDB_txn *txn, uint64_t v[4], int *present)
{
    MDB_val key = {sizeof(PRUNESTATS_KEY) - 1, PRUNESTATS_KEY}, val;
    int rc, i;

    memset(v, 0, 4 * sizeof(v[0]));
    *present = 0;
    rc = mdb_get(txn, st->meta, &key, &val);
    if (rc == MDB_NOTFOUND)
        return STORE_OK;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    if (val.mv_size != PRUNESTATS_LEN)
        return STORE_ECORRUPT;
    for (i = 0; i < 4; i++)
        v[i] = store__get_u64((const unsigned char *)val.mv_data + 8 * i);
    *present = 1;
    return STORE_OK;
}

int store__prunestats_write(struct store *st, MDB_txn *txn, const uint64_t v[4])
{
    unsigned char buf[PRUNESTATS_LEN];
    MDB_val key = {sizeof(PRUNESTATS_KEY) - 1, PRUNESTATS_KEY}, val = {sizeof(buf), buf};
    int i;

    for (i = 0; i < 4; i++)
        store__put_u64(buf + 8 * i, v[i]);
    return store__db_put(txn, st->meta, &key, &val, 0);
}

/* 1 if r's snapshot holds the prune marker (or cannot tell: then say so). */
int store__prune_marker(struct store_reader *r)
{
    uint64_t v[4];
    int present;

    if (store__prunestats_read(r->st, r->txn, v, &present) != STORE_OK)
        return 1;
    return present;
}
