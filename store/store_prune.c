/*
 * store_prune.c - retention: pruning releases, tombstones, gone paths, and
 * the page-lifetime rule that keeps freed pages off the wire.
 *
 * For: store_prune(), the tombstone listing, the zero-copy permission and
 * the pin that holds freed pages until in-flight zero-copy sends drained,
 * and the small hooks store.c calls (tombstone check on publish, gone check
 * on lookup and fsck). Not for: choosing what to prune (the policy belongs
 * to origin-ingest prune) or anything HTTP.
 *
 * On-disk additions (named databases next to store.c's):
 *   tombstones  id                  -> pruned[8]
 *   gone        path key (path_key) -> pruned[8]
 *   meta        "prunestats"        -> tombstones[8] blobs[8] bytes[8] gone[8]
 *               (present once anything was ever pruned: the marker that
 *               turns zero-copy off for good, see store.h)
 *
 * Why one transaction: the tombstones, the release records, the blobs and
 * variants, the gone marks and every counter change commit together, so a
 * kill -9 leaves each release either whole or pruned, never half.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"

/* ------------------------------------------------------------------ */
/* A set of 32-byte keys (digests, or SHA-256 of paths): open addressing. */

struct dset {
    unsigned char (*k)[STORE_DIGEST_LEN];
    unsigned char *used;
    size_t cap, n;
};

static size_t dset_slot(const struct dset *s, const unsigned char *d)
{
    size_t h = (size_t)store__get_u64(d);

    return h & (s->cap - 1);
}

static int dset_has(const struct dset *s, const unsigned char *d)
{
    size_t i;

    if (s->cap == 0)
        return 0;
    for (i = dset_slot(s, d); s->used[i]; i = (i + 1) & (s->cap - 1)) {
        if (memcmp(s->k[i], d, STORE_DIGEST_LEN) == 0)
            return 1;
    }
    return 0;
}

static int dset_grow(struct dset *s)
{
    struct dset g;
    size_t i;
    int rc = STORE_OK;

    g.cap = s->cap == 0 ? 1024 : s->cap * 2;
    g.n = 0;
    g.k = store__alloc(g.cap * STORE_DIGEST_LEN, &rc);
    if (g.k == NULL)
        return rc;
    g.used = store__alloc(g.cap, &rc);
    if (g.used == NULL) {
        free(g.k);
        return rc;
    }
    memset(g.used, 0, g.cap);
    for (i = 0; i < s->cap; i++) {
        size_t j;

        if (!s->used[i])
            continue;
        for (j = dset_slot(&g, s->k[i]); g.used[j]; j = (j + 1) & (g.cap - 1))
            ;
        memcpy(g.k[j], s->k[i], STORE_DIGEST_LEN);
        g.used[j] = 1;
        g.n++;
    }
    free(s->k);
    free(s->used);
    s->k = g.k;
    s->used = g.used;
    s->cap = g.cap;
    s->n = g.n;
    return STORE_OK;
}

/* Adds d. Returns 1 if added, 0 if it was there, -STORE_* on error. */
static int dset_add(struct dset *s, const unsigned char *d)
{
    size_t i;
    int rc;

    if (dset_has(s, d))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        rc = dset_grow(s);
        if (rc != STORE_OK)
            return -rc;
    }
    for (i = dset_slot(s, d); s->used[i]; i = (i + 1) & (s->cap - 1))
        ;
    memcpy(s->k[i], d, STORE_DIGEST_LEN);
    s->used[i] = 1;
    s->n++;
    return 1;
}

static void dset_free(struct dset *s)
{
    free(s->k);
    free(s->used);
    memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------ */
/* Hooks for store.c                                                    */

int store__prune_open(struct store *st, MDB_txn *txn)
{
    unsigned flags = st->read_only ? 0 : MDB_CREATE;
    int rc;

    rc = mdb_dbi_open(txn, "tombstones", flags, &st->tombstones);
    if (rc == MDB_SUCCESS)
        rc = mdb_dbi_open(txn, "gone", flags, &st->gone);
    if (rc == MDB_NOTFOUND && st->read_only) {
        st->has_prune_dbs = 0; /* never opened writable since: nothing pruned */
        return STORE_OK;
    }
    if (rc == MDB_INCOMPATIBLE)
        return STORE_ECORRUPT;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    st->has_prune_dbs = 1;
    return STORE_OK;
}

int store__tombstoned(struct store *st, MDB_txn *txn, const char *id, size_t id_len)
{
    MDB_val key = {id_len, (void *)id}, val;
    int rc;

    if (!st->has_prune_dbs || id_len == 0)
        return STORE_OK;
    rc = mdb_get(txn, st->tombstones, &key, &val);
    if (rc == MDB_SUCCESS)
        return STORE_EPRUNED;
    return rc == MDB_NOTFOUND ? STORE_OK : store__map_mdb(rc);
}

int store__path_gone(struct store *st, MDB_txn *txn, MDB_val *key)
{
    MDB_val val;
    int rc;

    if (!st->has_prune_dbs)
        return 0;
    rc = mdb_get(txn, st->gone, key, &val);
    if (rc == MDB_SUCCESS)
        return 1;
    return rc == MDB_NOTFOUND ? 0 : -store__map_mdb(rc);
}

int store__path_revive(struct store *st, MDB_txn *txn, MDB_val *key)
{
    uint64_t v[4];
    int rc, present;

    if (!st->has_prune_dbs)
        return STORE_OK;
    rc = mdb_del(txn, st->gone, key, NULL);
    if (rc == MDB_NOTFOUND)
        return STORE_OK;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = store__prunestats_read(st, txn, v, &present);
    if (rc != STORE_OK)
        return rc;
    if (v[3] > 0)
        v[3]--;
    return store__prunestats_write(st, txn, v);
}

/* Bytes in LMDB's freelist as of txn: pages freed (by prunes) that later
 * writes reuse, or that store_backup() leaves out. The freelist is LMDB's
 * database 0; each record is a page-number list whose first word is its
 * length (lmdb.h, MDB_IDL). */
static int free_bytes(struct store *st, MDB_txn *txn, uint64_t *out)
{
    MDB_cursor *cur;
    MDB_val key, val;
    MDB_stat ms;
    uint64_t pages = 0;
    int rc;

    *out = 0;
    rc = mdb_env_stat(st->env, &ms);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_open(txn, 0, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        size_t n;

        if (val.mv_size >= sizeof(n)) {
            memcpy(&n, val.mv_data, sizeof(n));
            pages += n;
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return store__map_mdb(rc);
    *out = pages * ms.ms_psize;
    return STORE_OK;
}

int store__prune_stats(struct store *st, MDB_txn *txn, struct store_stats *out)
{
    uint64_t v[4];
    int rc, present;

    rc = store__prunestats_read(st, txn, v, &present);
    if (rc != STORE_OK)
        return rc;
    out->tombstones = v[0];
    out->pruned_blobs = v[1];
    out->pruned_bytes = v[2];
    out->gone_paths = v[3];
    return free_bytes(st, txn, &out->free_bytes);
}

/* ------------------------------------------------------------------ */
/* The prune marker and the reuse of freed pages                        */

/* One more (empty) commit right after a prune's. LMDB lets a write reuse
 * the pages freed by transaction T only from T + 2 on; without this, the
 * first push after a prune would grow the file instead of filling the
 * freed space. Best effort: a failure only delays the reuse by one write,
 * so it goes through no fault point and changes nothing anyone reads. */
static void advance(struct store *st)
{
    MDB_val key = {sizeof(PRUNESTATS_KEY) - 1, PRUNESTATS_KEY}, val;
    unsigned char copy[PRUNESTATS_LEN];
    MDB_txn *txn;

    if (mdb_txn_begin(st->env, NULL, 0, &txn) != MDB_SUCCESS)
        return;
    if (mdb_get(txn, st->meta, &key, &val) != MDB_SUCCESS || val.mv_size != sizeof(copy)) {
        mdb_txn_abort(txn);
        return;
    }
    memcpy(copy, val.mv_data, sizeof(copy)); /* val points into the page put rewrites */
    val.mv_data = copy;
    if (mdb_put(txn, st->meta, &key, &val, 0) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return;
    }
    mdb_txn_commit(txn);
}

/* ------------------------------------------------------------------ */
/* Pruning                                                              */

static int cmp_id(const void *pa, const void *pb)
{
    const struct store_id *a = *(const struct store_id *const *)pa;
    const struct store_id *b = *(const struct store_id *const *)pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->id, b->id, n);

    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

struct kept_ctx {
    struct dset *digests, *paths;
    int err;
};

static int kept_file(void *arg, const struct store_file *f)
{
    struct kept_ctx *k = arg;
    unsigned char ph[STORE_DIGEST_LEN];
    int rc;

    rc = dset_add(k->digests, f->digest);
    if (rc >= 0) {
        store_sha256(f->path, f->path_len, ph);
        rc = dset_add(k->paths, ph);
    }
    if (rc < 0) {
        k->err = -rc;
        return 1;
    }
    return 0;
}

/* store__delta_prune's test: is digest one of the blobs this prune removes? */
static int removed_has(void *arg, const unsigned char *digest)
{
    return dset_has(arg, digest);
}

struct drop_ctx {
    struct store *st;
    MDB_txn *txn;
    int dry;
    int64_t now;
    struct dset *kept_d, *kept_p, *removed, *gone_now;
    uint64_t blobs, variants, blob_bytes, variant_bytes, paths_gone; /* this release's share */
    int err;
};

/* Removes (counts, when dry) one stored record of dbi under key. */
static int drop_record(struct drop_ctx *d, MDB_dbi dbi, MDB_val *key, uint64_t *count,
                       uint64_t *bytes)
{
    MDB_val val;
    int rc;

    rc = mdb_get(d->txn, dbi, key, &val);
    if (rc == MDB_NOTFOUND)
        return STORE_OK;
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    (*count)++;
    *bytes += val.mv_size;
    if (!d->dry) {
        rc = mdb_del(d->txn, dbi, key, NULL);
        if (rc != MDB_SUCCESS)
            return store__map_mdb(rc);
    }
    return STORE_OK;
}

static int drop_file(void *arg, const struct store_file *f)
{
    struct drop_ctx *d = arg;
    unsigned char ph[STORE_DIGEST_LEN], vkey[STORE_DIGEST_LEN + 1], kbuf[PATH_KEY_DIRECT];
    MDB_val key;
    int rc = STORE_OK, enc;

    if (!dset_has(d->kept_d, f->digest)) {
        rc = dset_add(d->removed, f->digest);
        if (rc < 0) {
            rc = -rc;
            goto out;
        }
        if (rc == 1) {
            key.mv_size = STORE_DIGEST_LEN;
            key.mv_data = (void *)f->digest;
            rc = drop_record(d, d->st->blobs, &key, &d->blobs, &d->blob_bytes);
            memcpy(vkey, f->digest, STORE_DIGEST_LEN);
            for (enc = STORE_ENC_GZIP; rc == STORE_OK && enc < STORE_ENC_COUNT; enc++) {
                vkey[STORE_DIGEST_LEN] = (unsigned char)enc;
                key.mv_size = sizeof(vkey);
                key.mv_data = vkey;
                rc = drop_record(d, d->st->variants, &key, &d->variants, &d->variant_bytes);
            }
            if (rc != STORE_OK)
                goto out;
        }
    }
    rc = STORE_OK;
    store_sha256(f->path, f->path_len, ph);
    if (!dset_has(d->kept_p, ph)) {
        int fresh = dset_add(d->gone_now, ph); /* 1: first time in this prune */

        if (fresh < 0) {
            rc = -fresh;
            goto out;
        }
        store__path_key(f->path, f->path_len, kbuf, &key);
        rc = fresh ? store__path_gone(d->st, d->txn, &key) : 1;
        if (rc < 0) {
            rc = -rc;
            goto out;
        }
        if (rc == 0) {
            unsigned char t[8];
            MDB_val val = {sizeof(t), t};

            d->paths_gone++;
            store__put_u64(t, (uint64_t)d->now);
            if (!d->dry)
                rc = store__db_put(d->txn, d->st->gone, &key, &val, 0);
        } else {
            rc = STORE_OK;
        }
    }
out:
    if (rc != STORE_OK) {
        d->err = rc;
        return 1;
    }
    return 0;
}

/* Collects the digests and paths of every release not being pruned. */
static int collect_kept(struct store *st, MDB_txn *txn, const struct store_id **sorted, size_t n,
                        struct dset *digests, struct dset *paths)
{
    struct kept_ctx k = {digests, paths, STORE_OK};
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    rc = mdb_cursor_open(txn, st->releases, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == MDB_SUCCESS) {
        struct store_id kid = {key.mv_data, key.mv_size};
        const struct store_id *kp = &kid;

        if (bsearch(&kp, sorted, n, sizeof(*sorted), cmp_id) == NULL) {
            int wrc = store__release_walk(&val, kept_file, &k, NULL);

            if (k.err != STORE_OK || wrc != STORE_OK) {
                mdb_cursor_close(cur);
                return k.err != STORE_OK ? k.err : wrc;
            }
        }
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? STORE_OK : store__map_mdb(rc);
}

/* After pruning the newest release: the counters' "last release" becomes
 * the newest one left (or none). */
static int last_release_again(struct store *st, MDB_txn *txn, struct counters *c)
{
    MDB_cursor *cur;
    MDB_val key, val, rel;
    int rc;

    c->last_len = 0;
    c->last[0] = '\0';
    c->last_time = 0;
    rc = mdb_cursor_open(txn, st->relorder, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
    if (rc == MDB_SUCCESS) {
        if (val.mv_size > STORE_ID_MAX) {
            rc = MDB_CORRUPTED;
        } else {
            rc = mdb_get(txn, st->releases, &val, &rel);
            if (rc == MDB_SUCCESS && rel.mv_size >= RELEASE_HEAD_LEN) {
                memcpy(c->last, val.mv_data, val.mv_size);
                c->last[val.mv_size] = '\0';
                c->last_len = val.mv_size;
                c->last_time = (int64_t)store__get_u64(rel.mv_data);
            } else if (rc == MDB_SUCCESS) {
                rc = MDB_CORRUPTED;
            }
        }
    }
    return store__cursor_close(cur, rc);
}

/* Prunes one id inside txn: tombstone, release record, its blobs, its paths. */
static int prune_one(struct drop_ctx *d, const struct store_id *id, struct counters *c, int *state,
                     int *was_last)
{
    struct store *st = d->st;
    MDB_val key = {id->len, (void *)id->id}, val;
    unsigned char *copy = NULL, t[8];
    int rc;

    rc = store__tombstoned(st, d->txn, id->id, id->len);
    if (rc == STORE_EPRUNED) {
        *state = STORE_PRUNE_ALREADY;
        return STORE_OK;
    }
    if (rc != STORE_OK)
        return rc;
    rc = mdb_get(d->txn, st->releases, &key, &val);
    if (rc == MDB_NOTFOUND) {
        *state = STORE_PRUNE_ABSENT;
        rc = STORE_OK;
    } else if (rc != MDB_SUCCESS) {
        return store__map_mdb(rc);
    } else {
        unsigned char seqkey[8];

        *state = STORE_PRUNE_PRUNED;
        if (val.mv_size < RELEASE_HEAD_LEN)
            return STORE_ECORRUPT;
        /* a private copy: the deletes below may touch the pages val is on */
        copy = store__alloc(val.mv_size, &rc);
        if (copy == NULL)
            return rc;
        memcpy(copy, val.mv_data, val.mv_size);
        val.mv_data = copy;
        rc = store__release_walk(&val, drop_file, d, NULL);
        if (d->err != STORE_OK)
            rc = d->err;
        if (rc != STORE_OK)
            goto out;
        memcpy(seqkey, copy + 8, 8);
        if (!d->dry) {
            MDB_val sk = {sizeof(seqkey), seqkey};

            rc = store__map_mdb(mdb_del(d->txn, st->releases, &key, NULL));
            if (rc == STORE_OK) {
                rc = store__map_mdb(mdb_del(d->txn, st->relorder, &sk, NULL));
                if (rc == STORE_ENOTFOUND)
                    rc = STORE_ECORRUPT;
            }
            if (rc != STORE_OK)
                goto out;
        }
        if (c->releases > 0)
            c->releases--;
        if (id->len == c->last_len && memcmp(id->id, c->last, id->len) == 0)
            *was_last = 1;
    }
    if (!d->dry) {
        MDB_val tv = {sizeof(t), t};

        store__put_u64(t, (uint64_t)d->now);
        rc = store__db_put(d->txn, st->tombstones, &key, &tv, 0);
    }
out:
    free(copy);
    return rc;
}

int store_prune(struct store *st, const struct store_id *ids, size_t n, int64_t now, int dry_run,
                store_prune_fn fn, void *arg, struct store_prune_totals *out)
{
    const struct store_id **sorted = NULL;
    struct dset kept_d = {0}, kept_p = {0}, removed = {0}, gone_now = {0};
    struct store_prune_totals tot;
    struct counters c;
    uint64_t ps[4];
    MDB_txn *txn = NULL;
    size_t i;
    int rc = STORE_OK, present, was_last = 0;

    if (ids == NULL && n > 0)
        return STORE_EINVAL;
    for (i = 0; i < n; i++) {
        if (store_id_valid(ids[i].id, ids[i].len) != STORE_OK)
            return STORE_EINVAL;
    }
    if (!dry_run && (st->read_only || !st->has_prune_dbs))
        return STORE_EIO;
    sorted = store__alloc(n * sizeof(*sorted), &rc);
    if (sorted == NULL)
        return rc;
    for (i = 0; i < n; i++)
        sorted[i] = &ids[i];
    qsort(sorted, n, sizeof(*sorted), cmp_id);
    for (i = 1; i < n; i++) {
        if (cmp_id(&sorted[i - 1], &sorted[i]) == 0) {
            rc = STORE_EINVAL;
            goto out;
        }
    }
    if (!dry_run && n > 0) {
        /* from here on no new zero-copy answer starts in this process */
        atomic_store(&st->pruned, 1);
        rc = store__pin_take(st);
        if (rc != STORE_OK)
            goto out;
    }
    rc = store__map_mdb(mdb_txn_begin(st->env, NULL, dry_run ? MDB_RDONLY : 0, &txn));
    if (rc != STORE_OK)
        goto out;
    rc = store__counters_read(st, txn, &c);
    if (rc == STORE_OK)
        rc = store__prunestats_read(st, txn, ps, &present);
    if (rc == STORE_OK)
        rc = collect_kept(st, txn, sorted, n, &kept_d, &kept_p);
    if (rc != STORE_OK)
        goto out;

    memset(&tot, 0, sizeof(tot));
    for (i = 0; i < n; i++) {
        struct drop_ctx d = {st,        txn, dry_run, now, &kept_d, &kept_p, &removed,
                             &gone_now, 0,   0,       0,   0,       0,       STORE_OK};
        uint64_t bytes;
        int state = STORE_PRUNE_ABSENT;

        rc = prune_one(&d, &ids[i], &c, &state, &was_last);
        if (rc != STORE_OK)
            goto out;
        if (state == STORE_PRUNE_PRUNED)
            tot.pruned++;
        else if (state == STORE_PRUNE_ALREADY)
            tot.already++;
        else
            tot.absent++;
        bytes = d.blob_bytes + d.variant_bytes;
        tot.blobs += d.blobs;
        tot.variants += d.variants;
        tot.bytes += bytes;
        tot.paths_gone += d.paths_gone;
        if (state != STORE_PRUNE_ALREADY)
            ps[0]++;
        ps[1] += d.blobs;
        ps[2] += bytes;
        ps[3] += d.paths_gone;
        c.blobs -= d.blobs;
        c.blob_bytes -= d.blob_bytes;
        c.variants -= d.variants;
        c.variant_bytes -= d.variant_bytes;
        if (fn != NULL)
            fn(arg, ids[i].id, ids[i].len, state, d.blobs, d.variants, bytes);
    }
    /* deltas from or to a removed blob go with it (store_delta.c) */
    if (removed.n > 0) {
        uint64_t dbytes = 0;

        rc = store__delta_prune(st, txn, removed_has, &removed, dry_run, &tot.deltas, &dbytes);
        if (rc != STORE_OK)
            goto out;
        tot.bytes += dbytes;
        ps[2] += dbytes;
    }
    if (!dry_run && tot.pruned + tot.absent > 0) {
        if (was_last)
            rc = last_release_again(st, txn, &c);
        if (rc == STORE_OK)
            rc = store__counters_write(st, txn, &c);
        if (rc == STORE_OK)
            rc = store__prunestats_write(st, txn, ps);
        if (rc != STORE_OK)
            goto out;
        rc = store__txn_commit_created(&txn, NULL);
        if (rc != STORE_OK)
            goto out;
        advance(st);
    }
    if (out != NULL)
        *out = tot;
    rc = STORE_OK;
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (!dry_run && n > 0) /* committed or not: caches made before it are not trusted */
        atomic_fetch_add(&st->prune_epoch, 1);
    dset_free(&kept_d);
    dset_free(&kept_p);
    dset_free(&removed);
    dset_free(&gone_now);
    free(sorted);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reading tombstones                                                   */

int store_tombstone_get(struct store_reader *r, const char *id, size_t id_len, int64_t *pruned)
{
    MDB_val key = {id_len, (void *)id}, val;
    int rc;

    if (store_id_valid(id, id_len) != STORE_OK)
        return STORE_EINVAL;
    if (!r->st->has_prune_dbs)
        return STORE_ENOTFOUND;
    rc = mdb_get(r->txn, r->st->tombstones, &key, &val);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    if (val.mv_size != 8)
        return STORE_ECORRUPT;
    if (pruned != NULL)
        *pruned = (int64_t)store__get_u64(val.mv_data);
    return STORE_OK;
}

int store_tombstone_list(struct store_reader *r, const char *after, size_t after_len, size_t limit,
                         store_tombstone_fn fn, void *arg)
{
    MDB_cursor *cur;
    MDB_val key, val;
    size_t count = 0;
    int rc;

    if (!r->st->has_prune_dbs)
        return STORE_OK;
    rc = mdb_cursor_open(r->txn, r->st->tombstones, &cur);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    rc = store__cursor_after(cur, after, after_len, &key, &val);
    while (rc == MDB_SUCCESS && count < limit) {
        if (val.mv_size != 8) {
            rc = MDB_CORRUPTED;
            break;
        }
        count++;
        if (fn(arg, key.mv_data, key.mv_size, (int64_t)store__get_u64(val.mv_data)) != 0)
            break;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    return store__cursor_close(cur, rc);
}
