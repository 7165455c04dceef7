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

#define FORMAT_MARKER    "origind-store-v1"
#define DEFAULT_MAP_SIZE (64ull << 30)
#define DEFAULT_READERS  4096u
#define DEFAULT_MAX_BLOB (1ull << 30)
#define DEFAULT_GRACE_S  60u
#define POOL_KEEP        256u /* ended readers kept for reuse */

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

/* Ends r's transaction and frees r (its cursor too: a read-only cursor
 * is closed explicitly, before or after its transaction). */
static void reader_free(struct store_reader *r)
{
    mdb_txn_abort(r->txn);
    if (r->vcur != NULL)
        mdb_cursor_close(r->vcur);
    free(r);
}

void store_close(struct store *st)
{
    struct store_reader *r, *next;

    if (st == NULL)
        return;
    store__pin_release(st, 1);
    for (r = st->pool; r != NULL; r = next) {
        next = r->next;
        reader_free(r);
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
            reader_free(r);
            return rc;
        }
        *out = r;
        return STORE_OK;
    }
    r = store__alloc(sizeof(*r), &rc);
    if (r == NULL)
        return rc;
    r->st = st;
    r->vcur = NULL;
    r->vcur_live = 0;
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
    r->vcur_live = 0;
    pthread_mutex_lock(&st->pool_lock);
    if (st->pool_len < POOL_KEEP) {
        r->next = st->pool;
        st->pool = r;
        st->pool_len++;
        r = NULL;
    }
    pthread_mutex_unlock(&st->pool_lock);
    if (r != NULL)
        reader_free(r);
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

/* Fills body[enc] for every variant of digest: one descent to the first
 * key >= digest||GZIP, then NEXT while the digest matches (a digest with no
 * variant costs one descent, not one per encoding). Returns STORE_OK or an
 * error of the cursor. */
static int lookup_variants(struct store_reader *r, const unsigned char *digest,
                           struct store_blob body[STORE_ENC_COUNT])
{
    unsigned char vkey[STORE_DIGEST_LEN + 1];
    MDB_val key = {sizeof(vkey), vkey}, val;
    MDB_cursor_op op = MDB_SET_RANGE;
    const unsigned char *k;
    int rc;

    if (r->vcur == NULL)
        rc = mdb_cursor_open(r->txn, r->st->variants, &r->vcur);
    else if (!r->vcur_live)
        rc = mdb_cursor_renew(r->txn, r->vcur);
    else
        rc = MDB_SUCCESS;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    r->vcur_live = 1;
    memcpy(vkey, digest, STORE_DIGEST_LEN);
    vkey[STORE_DIGEST_LEN] = (unsigned char)STORE_ENC_GZIP;
    for (;; op = MDB_NEXT) {
        rc = mdb_cursor_get(r->vcur, &key, &val, op);
        if (rc == MDB_NOTFOUND)
            return STORE_OK;
        if (rc != MDB_SUCCESS)
            return store__map_mdb(rc);
        k = key.mv_data;
        if (key.mv_size != sizeof(vkey) || memcmp(k, digest, STORE_DIGEST_LEN) != 0)
            return STORE_OK;
        if (k[STORE_DIGEST_LEN] >= STORE_ENC_GZIP && k[STORE_DIGEST_LEN] < STORE_ENC_COUNT)
            fill_blob(r->st, &val, &body[k[STORE_DIGEST_LEN]]);
    }
}

int store_lookup(struct store_reader *r, const char *path, size_t len, struct store_asset *out)
{
    struct store *st = r->st;
    unsigned char kbuf[PATH_KEY_DIRECT];
    struct store_asset a;
    const unsigned char *p;
    MDB_val key, val;
    int rc;

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
    /* variants are served only for compressible types: no variant lookup
     * for an image or font */
    if (store_type_compressible(a.type, a.type_len)) {
        rc = lookup_variants(r, a.digest, a.body);
        if (rc != STORE_OK)
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
    rc = store__cursor_after(cur, after, after != NULL ? STORE_DIGEST_LEN : 0, &key, &val);
    while (rc == MDB_SUCCESS && count < limit) {
        if (key.mv_size == STORE_DIGEST_LEN) {
            count++;
            if (fn(arg, key.mv_data, val.mv_size, variant_mask(r, key.mv_data)) != 0)
                break;
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
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
        return store__release_walk(&val, NULL, NULL, NULL);
    {
        struct served sv = {r, fn, arg};

        return store__release_walk(&val, served_cb, &sv, NULL);
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
            /* absent too: a dangling publish-order entry must not end the
             * listing as if it were complete (MDB_NOTFOUND means "done" below) */
            rc = rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
            break;
        }
        if (fn(arg, val.mv_data, val.mv_size, (int64_t)store__get_u64(rel.mv_data),
               (size_t)store__get_u64((unsigned char *)rel.mv_data + 16)) != 0)
            break;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
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
