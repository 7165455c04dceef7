/*
 * store_promote.c - the promotion record: which release is live on the
 * fleet, the floor, and the recent promotions (store.h, "Promotion").
 *
 * For: store_promote() and store_promotion_get(). Not for: the fleet-wide
 * order of two promotions (store_promotion_cmp, store_util.c: pure, so
 * api/ and origin-ingest call it without LMDB), choosing the generation
 * (origin-ingest promote does), the release digest (api.h; the caller checks
 * it), or anything HTTP.
 *
 * On-disk addition: one key in the meta database, which builds before this
 * one never read (so an older binary opens a promoted store unchanged, and a
 * store without the key has simply never been promoted):
 *   meta "promotion" -> version[1]=1 count[1] then count entries, newest
 *        first: generation[8] promoted_at[8] digest[32] rlen[1] release
 *        flen[1] floor (flen 0: no floor). At most STORE_PROMOTION_HISTORY.
 * Integers big-endian like the rest of the store.
 */
#include <string.h>

#include "store_internal.h"

#define PROMO_KEY     "promotion"
#define PROMO_VERSION 1
#define PROMO_FIXED   (8 + 8 + STORE_DIGEST_LEN + 1 + 1)

/* Decodes the record val into hist[0..max) (newest first); *n gets the
 * number decoded. Returns STORE_OK or STORE_ECORRUPT. */
static int decode(const MDB_val *val, struct store_promotion *hist, size_t max, size_t *n)
{
    const unsigned char *p = val->mv_data, *end = p + val->mv_size;
    size_t count, i, got = 0;

    if (val->mv_size < 2 || p[0] != PROMO_VERSION || p[1] == 0 || p[1] > STORE_PROMOTION_HISTORY)
        return STORE_ECORRUPT;
    count = p[1];
    p += 2;
    for (i = 0; i < count; i++) {
        struct store_promotion e;
        size_t rl, fl;

        if ((size_t)(end - p) < PROMO_FIXED)
            return STORE_ECORRUPT;
        memset(&e, 0, sizeof(e));
        e.generation = store__get_u64(p);
        e.promoted_at = (int64_t)store__get_u64(p + 8);
        memcpy(e.digest, p + 16, STORE_DIGEST_LEN);
        p += 16 + STORE_DIGEST_LEN;
        rl = *p++;
        if (rl == 0 || (size_t)(end - p) < rl + 1 || store_id_valid((const char *)p, rl) != 0)
            return STORE_ECORRUPT;
        memcpy(e.release, p, rl);
        p += rl;
        fl = *p++;
        if ((size_t)(end - p) < fl || (fl > 0 && store_id_valid((const char *)p, fl) != 0))
            return STORE_ECORRUPT;
        memcpy(e.floor, p, fl);
        p += fl;
        if (got < max)
            hist[got++] = e;
    }
    if (p != end)
        return STORE_ECORRUPT;
    *n = got;
    return STORE_OK;
}

/* Reads the history in txn into hist[0..max); *n = 0 when never promoted. */
static int read_txn(struct store *st, MDB_txn *txn, struct store_promotion *hist, size_t max,
                    size_t *n)
{
    MDB_val key = {sizeof(PROMO_KEY) - 1, PROMO_KEY}, val;
    int rc = mdb_get(txn, st->meta, &key, &val);

    if (rc == MDB_NOTFOUND) {
        *n = 0;
        return STORE_OK;
    }
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    return decode(&val, hist, max, n);
}

int store_promotion_get(struct store_reader *r, struct store_promotion *hist, size_t max, size_t *n)
{
    size_t got = 0;
    int rc = read_txn(r->st, r->txn, hist, max, &got);

    if (rc == STORE_OK)
        *n = got;
    return rc;
}

/* The order of release id in this store: its record's created time and
 * publish sequence. Returns STORE_OK, STORE_EPRUNED (tombstone),
 * STORE_ENOTFOUND, STORE_ECORRUPT or a mapped LMDB error. */
static int release_order(struct store *st, MDB_txn *txn, const char *id, uint64_t *created,
                         uint64_t *seq)
{
    MDB_val key = {strlen(id), (void *)id}, val;
    int rc = store__tombstoned(st, txn, id, key.mv_size);

    if (rc != STORE_OK)
        return rc;
    rc = mdb_get(txn, st->releases, &key, &val);
    if (rc != MDB_SUCCESS)
        return store__map_mdb(rc);
    if (val.mv_size < RELEASE_HEAD_LEN)
        return STORE_ECORRUPT;
    *created = store__get_u64(val.mv_data);
    *seq = store__get_u64((const unsigned char *)val.mv_data + 8);
    return STORE_OK;
}

int store_promotion_check(struct store_reader *r, const struct store_promotion *p)
{
    uint64_t rc_t = 0, rc_s = 0, fl_t = 0, fl_s = 0;
    int rc;

    if (store_id_valid(p->release, strlen(p->release)) != STORE_OK ||
        (p->floor[0] != '\0' && store_id_valid(p->floor, strlen(p->floor)) != STORE_OK))
        return STORE_EINVAL;
    rc = release_order(r->st, r->txn, p->release, &rc_t, &rc_s);
    if (rc != STORE_OK || p->floor[0] == '\0')
        return rc;
    rc = release_order(r->st, r->txn, p->floor, &fl_t, &fl_s);
    if (rc == STORE_ENOTFOUND || rc == STORE_EPRUNED)
        return STORE_EMISSING;
    if (rc != STORE_OK)
        return rc;
    if (fl_t > rc_t || (fl_t == rc_t && fl_s > rc_s))
        return STORE_ECONFLICT;
    return STORE_OK;
}

static size_t encode_entry(unsigned char *out, const struct store_promotion *e)
{
    size_t rl = strlen(e->release), fl = strlen(e->floor);

    store__put_u64(out, e->generation);
    store__put_u64(out + 8, (uint64_t)e->promoted_at);
    memcpy(out + 16, e->digest, STORE_DIGEST_LEN);
    out[16 + STORE_DIGEST_LEN] = (unsigned char)rl;
    memcpy(out + 17 + STORE_DIGEST_LEN, e->release, rl);
    out[17 + STORE_DIGEST_LEN + rl] = (unsigned char)fl;
    memcpy(out + 18 + STORE_DIGEST_LEN + rl, e->floor, fl);
    return PROMO_FIXED + rl + fl;
}

int store_promote(struct store *st, const struct store_promotion *p, int *created)
{
    struct store_promotion *hist = NULL;
    struct store_reader view;
    unsigned char *buf = NULL;
    MDB_txn *txn = NULL;
    MDB_val key = {sizeof(PROMO_KEY) - 1, PROMO_KEY}, val;
    size_t n = 0, i, len, keep;
    int rc;

    if (st->read_only)
        return STORE_EIO;
    if (p->generation == 0 || p->promoted_at <= 0)
        return STORE_EINVAL;
    hist = store__alloc(STORE_PROMOTION_HISTORY * sizeof(*hist), &rc);
    if (hist == NULL)
        return rc;
    buf = store__alloc(2 + STORE_PROMOTION_HISTORY * (PROMO_FIXED + 2 * STORE_ID_MAX), &rc);
    if (buf == NULL)
        goto out;
    rc = store__write_begin(st, &txn);
    if (rc != STORE_OK)
        goto out;
    rc = read_txn(st, txn, hist, STORE_PROMOTION_HISTORY, &n);
    if (rc != STORE_OK)
        goto out;
    if (n > 0) {
        int c = store_promotion_cmp(p, &hist[0]);

        if (c == 0) { /* the same promotion again: nothing to do */
            if (created != NULL)
                *created = 0;
            goto out;
        }
        if (c < 0) {
            rc = STORE_ECONFLICT; /* an older promotion: the newer one stays */
            goto out;
        }
    }
    memset(&view, 0, sizeof(view));
    view.st = st;
    view.txn = txn;
    rc = store_promotion_check(&view, p);
    if (rc != STORE_OK)
        goto out;
    keep = n < STORE_PROMOTION_HISTORY ? n : STORE_PROMOTION_HISTORY - 1;
    buf[0] = PROMO_VERSION;
    buf[1] = (unsigned char)(keep + 1);
    len = 2 + encode_entry(buf + 2, p);
    for (i = 0; i < keep; i++)
        len += encode_entry(buf + len, &hist[i]);
    val.mv_data = buf;
    val.mv_size = len;
    rc = store__db_put(txn, st->meta, &key, &val, 0);
    if (rc != STORE_OK)
        goto out;
    rc = store__txn_commit_created(&txn, created);
out:
    if (txn != NULL)
        mdb_txn_abort(txn);
    free(buf);
    free(hist);
    return rc;
}
