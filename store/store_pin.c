/*
 * store_pin.c - the page-lifetime rule (store.h, Caveats): whether a reader
 * may hand data-file offsets to the kernel (zero copy), how many such
 * readers are in flight, and the pin: a read transaction older than a
 * prune's commit, held until no zero-copy reader is in flight and the grace
 * period passed, so that LMDB reuses no page the kernel may still send.
 *
 * For: store.c's readers and store_prune.c's prunes, which both pass
 * through here. Not for: pruning itself (store_prune.c).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "clock.h"
#include "store_internal.h"

uint64_t store_prune_epoch(const struct store *st)
{
    return atomic_load(&((struct store *)st)->prune_epoch);
}

int store_zero_copy(struct store_reader *r)
{
    struct store *st = r->st;

    if (r->zero_copy)
        return 1;
    if (atomic_load(&st->pruned))
        return 0;
    /* Count first, then look again: a prune that sets the flag after this
     * increment sees the reader in flight; one that set it before is seen
     * by the second look. */
    atomic_fetch_add(&st->zc_inflight, 1);
    if (atomic_load(&st->pruned) || store__prune_marker(r)) {
        atomic_store(&st->pruned, 1);
        atomic_fetch_sub(&st->zc_inflight, 1);
        return 0;
    }
    r->zero_copy = 1;
    return 1;
}

void store__zero_copy_end(struct store_reader *r)
{
    struct store *st = r->st;

    atomic_store(&st->zc_last_end, clock_mono_ns());
    atomic_fetch_sub(&st->zc_inflight, 1);
    r->zero_copy = 0;
}

void store__pin_release(struct store *st, int force)
{
    MDB_txn *pin = NULL;

    pthread_mutex_lock(&st->pin_lock);
    if (st->pin != NULL) {
        uint64_t last = atomic_load(&st->zc_last_end);

        if (force || (atomic_load(&st->zc_inflight) == 0 &&
                      (last == 0 || clock_mono_ns() - last >= st->grace_ns))) {
            pin = st->pin;
            st->pin = NULL;
        }
    }
    pthread_mutex_unlock(&st->pin_lock);
    if (pin != NULL)
        mdb_txn_abort(pin);
}

/* Takes the pin (if none is held) before a prune's write transaction
 * begins, so its snapshot is older than the prune's commit. */
int store__pin_take(struct store *st)
{
    int rc = STORE_OK;

    pthread_mutex_lock(&st->pin_lock);
    if (st->pin == NULL)
        rc = store__map_mdb(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->pin));
    if (rc != STORE_OK)
        st->pin = NULL;
    pthread_mutex_unlock(&st->pin_lock);
    return rc;
}
