/*
 * store.c - the origind asset store on LMDB: opening (and the writer lock,
 * store_lock.c), the reader pool, putting blobs and variants, publishing
 * releases, reading, stats.
 *
 * For: what the records of the layout below mean. Not for: encoding records
 * (store_record.c), fsck and backup (store_fsck.c), pruning and the page pin
 * (store_prune.c, store_pin.c), pure helpers (store_util.c), decoding
 * variants (store_codec.c), fault points (store_fault.c), or anything HTTP.
 *
 * On-disk layout (named databases in one environment, a directory):
 *   blobs     digest[32]                 -> the raw bytes (contiguous in the map)
 *   variants  digest[32] enc[1]          -> the precompressed bytes; enc 1 gzip,
 *                                           2 br, 3 zstd (3: since 0.2; an older
 *                                           build never serves it, its fsck
 *                                           reports it as not decoding, and its
 *                                           prune leaves it behind)
 *   deltas    see store_delta.c
 *   paths     path key (see store__path_key())  -> digest[32] published[8] type_len[1] type
 *   releases  id                         -> created[8] seq[8] count[8] entries
 *             entry: path_len[2] path digest[32] type_len[1] type, sorted by path
 *   relorder  seq[8] (big-endian)        -> id, so releases list in publish order
 *   meta      "format"                   -> FORMAT_MARKER
 *             "counters"                 -> 8 x u64 then the last release id
 * All integers big-endian. Counters change in the same transaction as the
 * data they count, so stats are always consistent with the contents.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "store_internal.h"

#define FORMAT_MARKER      "origind-store-v1"
#define DEFAULT_MAP_SIZE   (64ull << 30)
#define DEFAULT_READERS    4096u
#define DEFAULT_MAX_BLOB   (1ull << 30)
#define DEFAULT_GRACE_S    60u
#define POOL_KEEP          256u /* ended readers kept for reuse */

/* ------------------------------------------------------------------ */
/* Types                                                                */

struct store_batch {
    struct store *st;
    MDB_txn *txn;
    struct counters c;
    int failed; /* an error that leaves only abort possible */
};

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */

/* Opens (create: creates) every named database in txn. */
static int open_dbis(struct store *st, MDB_txn *txn, unsigned create)
{
    static const char *const names[] = {"blobs",    "variants", "paths",
                                        "releases", "relorder", "meta"};
    MDB_dbi *slots[] = {&st->blobs,    &st->variants, &st->paths,
                        &st->releases, &st->relorder, &st->meta};
    size_t i;
    int rc;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        rc = mdb_dbi_open(txn, names[i], create ? MDB_CREATE : 0, slots[i]);
        if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
            return STORE_ECORRUPT; /* another LMDB application's environment */
        if (rc != MDB_SUCCESS)
            return store__map_mdb(rc);
    }
    return STORE_OK;
}

/* Opens the databases, initialising a fresh environment, and checks the
 * format marker. */
static int open_layout(struct store *st)
{
    MDB_txn *txn = NULL;
    MDB_dbi main_dbi;
    MDB_stat ms;
    MDB_val key = {6, "format"}, val;
    int rc;

    rc = store__map_mdb(mdb_txn_begin(st->env, NULL, st->read_only ? MDB_RDONLY : 0, &txn));
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_dbi_open(txn, NULL, 0, &main_dbi));
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_stat(txn, main_dbi, &ms));
    if (rc != STORE_OK)
        goto out;
    if (ms.ms_entries == 0) {
        struct counters c;

        if (st->read_only) {
            rc = STORE_ECORRUPT; /* empty: not (yet) an origind store */
            goto out;
        }
        rc = open_dbis(st, txn, 1);
        if (rc == STORE_OK)
            rc = store__delta_open(st, txn);
        if (rc != STORE_OK)
            goto out;
        val.mv_data = FORMAT_MARKER;
        val.mv_size = strlen(FORMAT_MARKER);
        rc = store__map_mdb(mdb_put(txn, st->meta, &key, &val, 0));
        if (rc != STORE_OK)
            goto out;
        memset(&c, 0, sizeof(c));
        rc = store__counters_write(st, txn, &c);
        if (rc != STORE_OK)
            goto out;
        rc = store__prune_open(st, txn);
        if (rc != STORE_OK)
            goto out;
    } else {
        rc = open_dbis(st, txn, 0);
        if (rc == STORE_OK)
            rc = store__delta_open(st, txn);
        if (rc != STORE_OK)
            goto out;
        rc = store__prune_open(st, txn);
        if (rc != STORE_OK)
            goto out;
        rc = mdb_get(txn, st->meta, &key, &val);
        if (rc != MDB_SUCCESS || val.mv_size != strlen(FORMAT_MARKER) ||
            memcmp(val.mv_data, FORMAT_MARKER, val.mv_size) != 0) {
            rc = rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? STORE_ECORRUPT : store__map_mdb(rc);
            goto out;
        }
    }
    rc = store__map_mdb(mdb_txn_commit(txn)); /* keeps the dbi handles */
    txn = NULL;
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    return rc;
}

int store__meta_same_env(const unsigned char *a, const unsigned char *b)
{
    return memcmp(a, b, STORE__META_STABLE_LEN) == 0;
}

/* Finds where the data file is mapped in this process. LMDB does not say
 * (mdb_env_info's me_mapaddr is only set with MDB_FIXEDMAP), so read
 * /proc/self/maps for the mapping of fd's inode at file offset 0, then check
 * it against the stable head of the file's first page (meta page 0, which a
 * writer in another process rewrites on every other commit). Returns STORE_OK or STORE_EIO. */
static int find_mapaddr(int fd, char **out)
{
    struct stat sb;
    unsigned char head[STORE__META_STABLE_LEN];
    char line[4352];
    FILE *f;
    int rc = STORE_EIO;

    if (fstat(fd, &sb) != 0 || pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
        return STORE_EIO;
    f = fopen("/proc/self/maps", "re");
    if (f == NULL)
        return STORE_EIO;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line, *e;
        unsigned long long start, off, maj, mnr, ino;

        start = strtoull(p, &e, 16);
        if (*e != '-')
            continue;
        p = strchr(e, ' '); /* skip end address */
        if (p == NULL)
            continue;
        p = strchr(p + 1, ' '); /* skip permissions */
        if (p == NULL)
            continue;
        off = strtoull(p + 1, &e, 16);
        maj = strtoull(e + 1, &e, 16);
        if (*e != ':')
            continue;
        mnr = strtoull(e + 1, &e, 16);
        ino = strtoull(e + 1, &e, 10);
        if (off != 0 || ino != (unsigned long long)sb.st_ino || maj != major(sb.st_dev) ||
            mnr != minor(sb.st_dev))
            continue;
        if (store__meta_same_env((const unsigned char *)(uintptr_t)start, head)) {
            *out = (char *)(uintptr_t)start;
            rc = STORE_OK;
            break;
        }
    }
    fclose(f);
    return rc;
}

int store_open(const char *dir, const struct store_options *opt, struct store **out)
{
    struct store *st = NULL;
    struct store_options o;
#ifdef ORIGIND_TEST_HOOKS
    const char *fault;
#endif
    const char *grace;
    size_t dlen;
    int rc, mrc;

    if (dir == NULL || out == NULL || dir[0] == '\0')
        return STORE_EINVAL;
#ifdef ORIGIND_TEST_HOOKS
    fault = getenv("ORIGIND_FAULT");
    if (fault != NULL)
        store__fault_from_env(fault);
#endif
    memset(&o, 0, sizeof(o));
    if (opt != NULL)
        o = *opt;
    if (o.map_size == 0)
        o.map_size = DEFAULT_MAP_SIZE;
    if (o.max_readers == 0)
        o.max_readers = DEFAULT_READERS;
    if (o.max_blob == 0)
        o.max_blob = DEFAULT_MAX_BLOB;
    if (o.map_size > SIZE_MAX)
        return STORE_EINVAL;

    st = store__alloc(sizeof(*st), &rc);
    if (st == NULL)
        return rc;
    memset(st, 0, sizeof(*st));
    st->max_blob = o.max_blob;
    st->read_only = o.read_only;
    st->fd = -1;
    st->lock_fd = -1;
    st->grace_ns =
        (uint64_t)(o.zero_copy_grace != 0 ? o.zero_copy_grace : DEFAULT_GRACE_S) * 1000000000ull;
    grace = getenv("ORIGIND_ZERO_COPY_GRACE");
    if (o.zero_copy_grace == 0 && grace != NULL && grace[0] >= '0' && grace[0] <= '9')
        st->grace_ns = (uint64_t)strtoul(grace, NULL, 10) * 1000000000ull;
    if (pthread_mutex_init(&st->pool_lock, NULL) != 0) {
        free(st);
        return STORE_ENOMEM;
    }
    if (pthread_mutex_init(&st->pin_lock, NULL) != 0) {
        pthread_mutex_destroy(&st->pool_lock);
        free(st);
        return STORE_ENOMEM;
    }
    dlen = strlen(dir);
    st->dir = store__alloc(dlen + 1, &rc);
    if (st->dir == NULL)
        goto out;
    memcpy(st->dir, dir, dlen + 1);

    if (!o.read_only && mkdir(dir, 0750) != 0 && errno != EEXIST) {
        rc = STORE_EIO;
        goto out;
    }
    /* One writer per store (store_lock.c): before LMDB opens, so a store held
     * by another process is never written, nor even upgraded, by this one. */
    if (!o.read_only) {
        rc = store__lock_take(dir, &st->lock_fd);
        if (rc != STORE_OK)
            goto out;
    }
    rc = store__map_mdb(mdb_env_create(&st->env));
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_env_set_mapsize(st->env, (size_t)o.map_size));
    if (rc == STORE_OK)
        rc = store__map_mdb(mdb_env_set_maxreaders(st->env, o.max_readers));
    if (rc == STORE_OK)
        rc = store__map_mdb(mdb_env_set_maxdbs(st->env, 16));
    if (rc != STORE_OK)
        goto out;
    mrc = mdb_env_open(st->env, dir, MDB_NOTLS | (o.read_only ? MDB_RDONLY : 0), 0640);
    if (mrc != MDB_SUCCESS) {
        rc = store__map_mdb(mrc); /* MDB_INVALID etc: not an LMDB file -> STORE_ECORRUPT */
        goto out;
    }
    rc = open_layout(st);
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_env_get_fd(st->env, &st->fd));
    if (rc != STORE_OK)
        goto out;
    rc = find_mapaddr(st->fd, &st->mapaddr);
    if (rc != STORE_OK)
        goto out;
    *out = st;
    st = NULL;
out:
    if (st != NULL) {
        if (st->env != NULL)
            mdb_env_close(st->env);
        store__lock_drop(st->lock_fd);
        pthread_mutex_destroy(&st->pool_lock);
        pthread_mutex_destroy(&st->pin_lock);
        free(st->dir);
        free(st);
    }
    return rc;
}

void store_close(struct store *st)
{
    struct store_reader *r, *next;

    if (st == NULL)
        return;
    store__pin_release(st, 1);
    for (r = st->pool; r != NULL; r = next) {
        next = r->next;
        mdb_txn_abort(r->txn);
        free(r);
    }
    mdb_env_close(st->env);
    store__lock_drop(st->lock_fd); /* after LMDB: no write can follow it */
    pthread_mutex_destroy(&st->pool_lock);
    pthread_mutex_destroy(&st->pin_lock);
    free(st->dir);
    free(st);
}

const char *store_dir(const struct store *st)
{
    return st->dir;
}

int store_data_fd(const struct store *st)
{
    return st->fd;
}

/* ------------------------------------------------------------------ */
/* Readers                                                              */

int store_reader_begin(struct store *st, struct store_reader **out)
{
    struct store_reader *r;
    int rc;

    pthread_mutex_lock(&st->pool_lock);
    r = st->pool;
    if (r != NULL) {
        st->pool = r->next;
        st->pool_len--;
    }
    pthread_mutex_unlock(&st->pool_lock);

    if (r != NULL) {
        rc = store__map_mdb(mdb_txn_renew(r->txn));
        if (rc != STORE_OK) {
            mdb_txn_abort(r->txn);
            free(r);
            return rc;
        }
        *out = r;
        return STORE_OK;
    }
    r = store__alloc(sizeof(*r), &rc);
    if (r == NULL)
        return rc;
    r->st = st;
    r->zero_copy = 0;
    r->next = NULL;
    rc = store__map_mdb(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &r->txn));
    if (rc != STORE_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return STORE_OK;
}

void store_reader_end(struct store_reader *r)
{
    struct store *st;

    if (r == NULL)
        return;
    st = r->st;
    if (r->zero_copy)
        store__zero_copy_end(r);
    mdb_txn_reset(r->txn);
    pthread_mutex_lock(&st->pool_lock);
    if (st->pool_len < POOL_KEEP) {
        r->next = st->pool;
        st->pool = r;
        st->pool_len++;
        r = NULL;
    }
    pthread_mutex_unlock(&st->pool_lock);
    if (r != NULL) {
        mdb_txn_abort(r->txn);
        free(r);
    }
}

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
    store__pin_release(st, 0);
    rc = store__map_mdb(mdb_txn_begin(st->env, NULL, 0, &b->txn));
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
 * the transaction's pages). On failure the batch is marked failed: it can
 * only be aborted. Returns STORE_OK or the db_put error. */
static int batch_reserve_copy(struct store_batch *b, MDB_dbi dbi, MDB_val *key, const void *data,
                              size_t len)
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
    return STORE_OK;
}

/* store_batch_put; verified: the caller has already checked that data
 * hashes to digest (outside the write transaction). */
static int batch_put(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                     const void *data, size_t len, int *created, int verified)
{
    struct store *st = b->st;
    unsigned char got[STORE_DIGEST_LEN];
    MDB_val key = {STORE_DIGEST_LEN, (void *)digest}, val;
    int rc;

    if (b->failed)
        return b->failed;
    if (len > st->max_blob)
        return STORE_ETOOBIG;
    if (data == NULL && len > 0)
        return STORE_EINVAL;
    rc = mdb_get(b->txn, st->blobs, &key, &val);
    if (rc == MDB_SUCCESS) {
        if (created != NULL)
            *created = 0;
        return STORE_OK;
    }
    if (rc != MDB_NOTFOUND) {
        b->failed = store__map_mdb(rc);
        return b->failed;
    }
    if (!verified) {
        store_sha256(data, len, got);
        if (memcmp(got, digest, STORE_DIGEST_LEN) != 0)
            return STORE_EDIGEST;
    }
    rc = batch_reserve_copy(b, st->blobs, &key, data, len);
    if (rc != STORE_OK)
        return rc;
    b->c.blobs++;
    b->c.blob_bytes += len;
    if (created != NULL)
        *created = 1;
    return STORE_OK;
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
    {
        MDB_val existing;

        rc = mdb_get(b->txn, st->variants, &key, &existing);
        if (rc == MDB_SUCCESS) {
            if (created != NULL)
                *created = 0;
            return STORE_OK;
        }
        if (rc != MDB_NOTFOUND) {
            b->failed = store__map_mdb(rc);
            return b->failed;
        }
    }
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
    rc = batch_reserve_copy(b, st->variants, &key, data, len);
    if (rc != STORE_OK)
        return rc;
    b->c.variants++;
    b->c.variant_bytes += len;
    if (created != NULL)
        *created = 1;
    return STORE_OK;
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
    if (rc != STORE_OK) {
        store_batch_abort(b);
        return rc;
    }
    if (c == 0) {
        store_batch_abort(b); /* another writer put it meanwhile */
    } else {
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            return rc;
    }
    if (created != NULL)
        *created = c;
    return STORE_OK;
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
    if (rc != STORE_OK) {
        store_batch_abort(b);
        return rc;
    }
    if (c == 0) {
        store_batch_abort(b);
    } else {
        rc = store_batch_commit(b);
        if (rc != STORE_OK)
            return rc;
    }
    if (created != NULL)
        *created = c;
    return STORE_OK;
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

    store__pin_release(st, 0);
    rc = store__map_mdb(mdb_txn_begin(st->env, NULL, 0, &txn));
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
    rc = store__txn_commit(txn);
    txn = NULL;
    if (rc == STORE_OK && created != NULL)
        *created = 1;
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

/* ------------------------------------------------------------------ */
/* Reading                                                              */

static void fill_blob(const struct store *st, const MDB_val *val, struct store_blob *out)
{
    out->data = val->mv_data;
    out->len = val->mv_size;
    out->offset = (uint64_t)((const char *)val->mv_data - st->mapaddr);
}

int store_get_blob(struct store_reader *r, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                   struct store_blob *out)
{
    struct store *st = r->st;
    unsigned char vkey[STORE_DIGEST_LEN + 1];
    MDB_val key, val;
    int rc;

    if (enc == STORE_ENC_IDENTITY) {
        key.mv_size = STORE_DIGEST_LEN;
        key.mv_data = (void *)digest;
        rc = mdb_get(r->txn, st->blobs, &key, &val);
    } else if (enc >= STORE_ENC_GZIP && enc < STORE_ENC_COUNT) {
        memcpy(vkey, digest, STORE_DIGEST_LEN);
        vkey[STORE_DIGEST_LEN] = (unsigned char)enc;
        key.mv_size = sizeof(vkey);
        key.mv_data = vkey;
        rc = mdb_get(r->txn, st->variants, &key, &val);
    } else {
        return STORE_ENOTFOUND;
    }
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    fill_blob(st, &val, out);
    return STORE_OK;
}

int store_lookup(struct store_reader *r, const char *path, size_t len, struct store_asset *out)
{
    struct store *st = r->st;
    unsigned char kbuf[PATH_KEY_DIRECT];
    struct store_asset a;
    const unsigned char *p;
    MDB_val key, val;
    int rc, enc;

    if (path == NULL || len == 0 || len > STORE_PATH_MAX)
        return STORE_ENOTFOUND;
    store__path_key(path, len, kbuf, &key);
    rc = mdb_get(r->txn, st->paths, &key, &val);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    p = val.mv_data;
    if (val.mv_size < STORE_DIGEST_LEN + 9 ||
        val.mv_size != (size_t)STORE_DIGEST_LEN + 9 + p[STORE_DIGEST_LEN + 8])
        return STORE_ECORRUPT;
    rc = store__path_gone(st, r->txn, &key);
    if (rc != 0)
        return rc > 0 ? STORE_EGONE : -rc;
    memset(&a, 0, sizeof(a));
    memcpy(a.digest, p, STORE_DIGEST_LEN);
    a.published = (int64_t)store__get_u64(p + STORE_DIGEST_LEN);
    a.type_len = p[STORE_DIGEST_LEN + 8];
    a.type = (const char *)p + STORE_DIGEST_LEN + 9;
    rc = store_get_blob(r, a.digest, STORE_ENC_IDENTITY, &a.body[STORE_ENC_IDENTITY]);
    if (rc == STORE_ENOTFOUND)
        return STORE_ECORRUPT;
    if (rc != STORE_OK)
        return rc;
    /* variants are served only for compressible types: two B-tree descents
     * saved per lookup of an image or font */
    for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT && store_type_compressible(a.type, a.type_len);
         enc++) {
        rc = store_get_blob(r, a.digest, enc, &a.body[enc]);
        if (rc != STORE_OK && rc != STORE_ENOTFOUND)
            return rc;
    }
    *out = a;
    return STORE_OK;
}

static unsigned variant_mask(struct store_reader *r, const unsigned char *digest)
{
    unsigned char vkey[STORE_DIGEST_LEN + 1];
    MDB_val key = {sizeof(vkey), vkey}, val;
    unsigned mask = 0;
    int enc;

    memcpy(vkey, digest, STORE_DIGEST_LEN);
    for (enc = STORE_ENC_GZIP; enc < STORE_ENC_COUNT; enc++) {
        vkey[STORE_DIGEST_LEN] = (unsigned char)enc;
        if (mdb_get(r->txn, r->st->variants, &key, &val) == MDB_SUCCESS)
            mask |= 1u << enc;
    }
    return mask;
}

int store_list_blobs(struct store_reader *r, const unsigned char *after, size_t limit,
                     store_blob_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val key, val;
    size_t count = 0;
    int rc;

    rc = mdb_cursor_open(r->txn, r->st->blobs, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    if (after != NULL) {
        key.mv_size = STORE_DIGEST_LEN;
        key.mv_data = (void *)after;
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
        if (rc == MDB_SUCCESS && key.mv_size == STORE_DIGEST_LEN &&
            memcmp(key.mv_data, after, STORE_DIGEST_LEN) == 0)
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    }
    while (rc == MDB_SUCCESS && count < limit) {
        if (key.mv_size == STORE_DIGEST_LEN) {
            count++;
            if (fn(arg, key.mv_data, val.mv_size, variant_mask(r, key.mv_data)) != 0)
                break;
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return store__map_mdb(rc);
    return STORE_OK;
}

/* Walks a release record's entries; fn may be NULL (validation only).
 * Returns STORE_OK, STORE_ECORRUPT, or stops early when fn returns non-zero. */
static int release_walk(const MDB_val *val, store_file_fn fn, void *arg, uint64_t *count)
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

int store__release_walk(const MDB_val *val, store_file_fn fn, void *arg, uint64_t *count)
{
    return release_walk(val, fn, arg, count);
}

/* store_release_get's view: each entry as its path serves it (the path's
 * bound type and first publish time; releases written before types were
 * pinned at publish may name another type than the path serves). */
struct served {
    struct store_reader *r;
    store_file_fn fn;
    void *arg;
};

static int served_cb(void *arg, const struct store_file *file)
{
    struct served *sv = arg;
    struct store_file f = *file;
    unsigned char kbuf[PATH_KEY_DIRECT];
    MDB_val key, val;

    store__path_key(f.path, f.path_len, kbuf, &key);
    if (mdb_get(sv->r->txn, sv->r->st->paths, &key, &val) == MDB_SUCCESS &&
        val.mv_size >= STORE_DIGEST_LEN + 9) {
        const unsigned char *p = val.mv_data;
        size_t tl = p[STORE_DIGEST_LEN + 8];

        if (val.mv_size == STORE_DIGEST_LEN + 9 + tl &&
            memcmp(p, f.digest, STORE_DIGEST_LEN) == 0) {
            f.published = (int64_t)store__get_u64(p + STORE_DIGEST_LEN);
            f.type = (const char *)p + STORE_DIGEST_LEN + 9;
            f.type_len = tl;
        }
    }
    return sv->fn(sv->arg, &f);
}

int store_release_get(struct store_reader *r, const char *id, size_t id_len, int64_t *created,
                      store_file_fn fn, void *arg)
{
    MDB_val key = {id_len, (void *)id}, val;
    int rc;

    if (store_id_valid(id, id_len) != STORE_OK)
        return STORE_EINVAL;
    rc = mdb_get(r->txn, r->st->releases, &key, &val);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    if (val.mv_size < RELEASE_HEAD_LEN)
        return STORE_ECORRUPT;
    if (created != NULL)
        *created = (int64_t)store__get_u64(val.mv_data);
    if (fn == NULL)
        return release_walk(&val, NULL, NULL, NULL);
    {
        struct served sv = {r, fn, arg};

        return release_walk(&val, served_cb, &sv, NULL);
    }
}

int store_release_list(struct store_reader *r, store_release_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val key, val, rel;
    int rc;

    rc = mdb_cursor_open(r->txn, r->st->relorder, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        rc = mdb_get(r->txn, r->st->releases, &val, &rel);
        if (rc != MDB_SUCCESS || rel.mv_size < RELEASE_HEAD_LEN) {
            rc = rc == MDB_SUCCESS ? MDB_CORRUPTED : rc;
            break;
        }
        if (fn(arg, val.mv_data, val.mv_size, (int64_t)store__get_u64(rel.mv_data),
               (size_t)store__get_u64((unsigned char *)rel.mv_data + 16)) != 0)
            break;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return store__map_mdb(rc);
    return STORE_OK;
}

int store_stats(struct store *st, struct store_stats *out)
{
    struct store_reader *r;
    struct store_stats s;
    struct counters c;
    MDB_envinfo info;
    MDB_stat ms;
    unsigned flags;
    int rc;

    rc = store_reader_begin(st, &r);
    if (rc != STORE_OK)
        return rc;
    rc = store__counters_read(st, r->txn, &c);
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_env_info(st->env, &info));
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_env_stat(st->env, &ms));
    if (rc != STORE_OK)
        goto out;
    rc = store__map_mdb(mdb_env_get_flags(st->env, &flags));
    if (rc != STORE_OK)
        goto out;
    memset(&s, 0, sizeof(s));
    s.blobs = c.blobs;
    s.blob_bytes = c.blob_bytes;
    s.variants = c.variants;
    s.variant_bytes = c.variant_bytes;
    s.paths = c.paths;
    s.releases = c.releases;
    memcpy(s.last_release, c.last, c.last_len + 1);
    s.last_release_time = c.last_time;
    s.map_size = info.me_mapsize;
    s.map_used = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
    s.durable = (flags & (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC)) == 0;
    rc = store__prune_stats(st, r->txn, &s);
    if (rc == STORE_OK)
        rc = store__delta_stats(st, r->txn, &s);
    if (rc == STORE_OK)
        *out = s; /* written only on success */
out:
    store_reader_end(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Maintenance                                                          */

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
    if (release_walk(val, check_release_file, &rc, NULL) != STORE_OK && rc.err == STORE_OK)
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
