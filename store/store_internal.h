/*
 * store_internal.h - declarations shared by the store's own .c files.
 *
 * For: the handle's layout, the fault-injection hooks, the variant decoder
 * and the record helpers that store.c, store_codec.c and store_prune.c share.
 * Not for: anything outside store/ (use store.h).
 */
#ifndef ORIGIND_STORE_INTERNAL_H
#define ORIGIND_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <lmdb.h>

#include "store.h"

#define RELEASE_HEAD_LEN 24   /* created[8] seq[8] count[8], then the entries */
#define PATH_KEY_DIRECT  480u /* paths up to this length are their own key */

struct store_reader {
    struct store *st;
    MDB_txn *txn;
    /* A cursor on the variants DB for store_lookup (opened on first use,
     * renewed with the transaction, closed with the reader): one B-tree
     * descent finds every variant of a digest (their keys are adjacent). */
    MDB_cursor *vcur;
    int vcur_live;             /* vcur belongs to the current txn */
    int zero_copy;             /* store_zero_copy() said yes: counted in zc_inflight */
    struct store_reader *next; /* free list link */
};

struct counters {
    uint64_t blobs, blob_bytes, variants, variant_bytes, paths, releases, seq;
    int64_t last_time;
    char last[STORE_ID_MAX + 1];
    size_t last_len;
};

struct store {
    MDB_env *env;
    MDB_dbi blobs, variants, paths, releases, relorder, meta;
    MDB_dbi tombstones, gone; /* store_prune.c; valid only when has_prune_dbs */
    int has_prune_dbs;        /* 0: a read-only open of a store never opened since */
    MDB_dbi deltas;           /* store_delta.c; valid only when has_deltas */
    int has_deltas;           /* 0: a read-only open of a store no delta-aware build wrote */
    uint64_t max_blob;
    int read_only;
    int fd;
    int lock_fd; /* the writer lock (store_lock.c); -1 when read-only */
    char *dir;
    char *mapaddr; /* base of the memory map: offsets are pointers minus this */
    pthread_mutex_t pool_lock;
    struct store_reader *pool;
    unsigned pool_len;

    /* The page-lifetime rule for zero-copy (store.h, Caveats; store_prune.c). */
    _Atomic int pruned;           /* a prune began in this process, or one was seen */
    _Atomic unsigned zc_inflight; /* readers whose fd offsets may be with the kernel */
    _Atomic uint64_t prune_epoch; /* store_prune_epoch(): bumped after each prune */
    _Atomic uint64_t zc_last_end; /* monotonic ns when the last of them ended */
    uint64_t grace_ns;            /* how long after that the kernel may still read */
    pthread_mutex_t pin_lock;
    MDB_txn *pin; /* a read txn older than the last prune: its freed pages stay */
};

/* Bytes of LMDB's meta page 0 that no commit changes: the page header
 * (16: page number, flags, bounds), mm_magic and mm_version (8). The rest
 * (mm_address, mm_mapsize, the two root databases from byte 40, the last
 * page and txn id) is rewritten by every other commit of any writer. */
#define STORE__META_STABLE_LEN 24

/* 1 if a and b (STORE__META_STABLE_LEN bytes each: the start of the data
 * file and of a candidate mapping) are the same environment's meta page 0,
 * whatever commits happened between the two reads; 0 otherwise. */
int store__meta_same_env(const unsigned char *a, const unsigned char *b);

/* Takes the store's writer lock in dir (store_lock.c) and writes this
 * process's pid into it; *fd_out (written only on success) holds the lock
 * until store__lock_drop(). Returns STORE_OK, STORE_ELOCKED (another open
 * file description holds it: store_holder() names it), STORE_EIO (open,
 * flock, ftruncate or pwrite failed; errno is set, except after a short
 * pwrite), STORE_EINVAL (DIR/writer.lock longer than 4095 bytes). */
int store__lock_take(const char *dir, int *fd_out);
/* Releases the lock taken by store__lock_take(); -1 is a no-op. */
void store__lock_drop(int fd);

/* 1 if an armed fault at point fires now (its countdown reached zero);
 * always 0 in a build without ORIGIND_TEST_HOOKS (store_fault.c). */
int store__fault_hit(enum store_fault_point point);

/* malloc through the ALLOC fault point. Returns NULL and sets *err to
 * STORE_EFAULT (injected) or STORE_ENOMEM (real failure); caller frees.
 * Inline here so that every caller (and the static analyzer) sees that a
 * NULL always comes with *err set. */
static inline void *store__alloc(size_t n, int *err)
{
    void *p;

    if (store__fault_hit(STORE_FAULT_ALLOC)) {
        *err = STORE_EFAULT;
        return NULL;
    }
    p = malloc(n == 0 ? 1 : n);
    if (p == NULL)
        *err = STORE_ENOMEM;
    return p;
}

#ifdef ORIGIND_TEST_HOOKS
/* Arms fault counters from a spec such as "commit:3" or "write:1,alloc:5".
 * Unknown or malformed items are ignored. Test builds only. */
void store__fault_from_env(const char *spec);
#endif

/* Decodes data (enc: STORE_ENC_GZIP, STORE_ENC_BR or STORE_ENC_ZSTD: one
 * frame, nothing after it, no skippable frame, window <= 8 MiB) in a
 * streaming pass, hashing the output, and checks it is exactly size bytes
 * with SHA-256 digest. Never produces more than size + 1 bytes. Trailing
 * bytes after the compressed stream are refused.
 * Returns STORE_OK, STORE_EVARIANT, STORE_EINVAL (bad enc), STORE_ENOMEM,
 * STORE_EFAULT. */
int store__variant_verify(int enc, const void *data, size_t len, uint64_t size,
                          const unsigned char digest[STORE_DIGEST_LEN]);

/* Checks a dcz delta data[0..len): the 40-byte header (STORE_DCZ_MAGIC and
 * dict_digest), then one zstd frame that, with dict[0..dict_len) as raw
 * prefix, decodes to exactly size bytes with SHA-256 digest. The window may
 * be what RFC 9842 lets a browser decode (8 MiB, or 1.25 x the dictionary,
 * at most 128 MiB). Returns STORE_OK, STORE_EVARIANT, STORE_ENOMEM,
 * STORE_EFAULT. */
int store__delta_verify(const void *data, size_t len, uint64_t size,
                        const unsigned char digest[STORE_DIGEST_LEN], const void *dict,
                        size_t dict_len, const unsigned char dict_digest[STORE_DIGEST_LEN]);

/* store_delta.c: hooks the rest of the store calls. Unless said otherwise
 * they return STORE_OK or a mapped LMDB error (store__map_mdb), and do
 * nothing (STORE_OK) when st->has_deltas is 0. */
/* Opens (creating when writable) the deltas database in txn. Read-only and
 * absent: STORE_OK with has_deltas 0. STORE_ECORRUPT for MDB_INCOMPATIBLE. */
int store__delta_open(struct store *st, MDB_txn *txn);
/* Removes (counts only, when dry) every delta whose target or dictionary
 * removed() says is being removed, and every delta with a malformed key,
 * adding to *count and *bytes (also for those removed before an error). */
int store__delta_prune(struct store *st, MDB_txn *txn,
                       int (*removed)(void *arg, const unsigned char *digest), void *arg, int dry,
                       uint64_t *count, uint64_t *bytes);
/* Decodes every delta against its blobs; bad() per problem (digest: the
 * target, NULL for a malformed key); *checked (not NULL) counts them. Also
 * returns STORE_ENOMEM or STORE_EFAULT from the decoder. */
int store__delta_fsck(struct store_reader *r, uint64_t *checked,
                      void (*bad)(void *arg, const unsigned char *digest, const char *why),
                      void *arg);
/* Fills out->deltas and out->delta_bytes (pages the database uses); zeros
 * without the database. */
int store__delta_stats(struct store *st, MDB_txn *txn, struct store_stats *out);

/* store_record.c: the record layer every store file uses. */
/* Maps an LMDB return code to a STORE_* code (the only place that does):
 * STORE_OK, STORE_ENOTFOUND (MDB_NOTFOUND), STORE_EFULL (MDB_MAP_FULL,
 * ENOSPC, EDQUOT), STORE_EBUSY (MDB_READERS_FULL, MDB_MAP_RESIZED, EAGAIN,
 * EBUSY), STORE_ENOMEM, STORE_ECORRUPT (MDB_INVALID, MDB_VERSION_MISMATCH,
 * MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INCOMPATIBLE, MDB_BAD_VALSIZE), else
 * STORE_EIO (MDB_TXN_FULL, MDB_PANIC, EINVAL, EACCES, EIO, ...). Hence a get
 * or cursor step in an open transaction gives only STORE_ENOTFOUND,
 * STORE_ECORRUPT or STORE_EIO; a cursor open STORE_ENOMEM or STORE_EIO; a
 * put or del STORE_EFULL, STORE_ENOMEM, STORE_ECORRUPT or STORE_EIO (a del
 * also STORE_ENOTFOUND); STORE_EBUSY comes only from beginning or renewing a
 * transaction, opening the environment, or mdb_env_copyfd2's thread. */
int store__map_mdb(int rc);
/* Big-endian u64 at p (8 bytes). */
uint64_t store__get_u64(const unsigned char *p);
void store__put_u64(unsigned char *p, uint64_t v);
/* The paths-DB key of path: the path itself up to PATH_KEY_DIRECT bytes,
 * else a prefix, a NUL and the path's SHA-256; buf holds PATH_KEY_DIRECT
 * bytes and key may point into it or into path. */
void store__path_key(const char *path, size_t len, unsigned char *buf, MDB_val *key);
/* mdb_put through the WRITE fault point (no MDB_NOOVERWRITE: never
 * STORE_ENOTFOUND). Returns STORE_OK, STORE_EFAULT, STORE_EFULL,
 * STORE_ENOMEM, STORE_ECORRUPT or STORE_EIO. */
int store__db_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val, unsigned flags);
/* Commits txn through the COMMIT fault point (txn always consumed); an I/O
 * error on a filesystem with under 1 MiB left is STORE_EFULL. Returns
 * STORE_OK, STORE_EFAULT, STORE_EFULL, STORE_ENOMEM, STORE_ECORRUPT or
 * STORE_EIO. */
int store__txn_commit(MDB_txn *txn);
/* Begins the write transaction *txn (flags 0) after letting go of the page
 * pin (store__pin_release(st, 0)). Returns STORE_OK, or STORE_EBUSY (the
 * map was resized by another process), STORE_ENOMEM or STORE_EIO with *txn
 * not written. */
int store__write_begin(struct store *st, MDB_txn **txn);
/* store__txn_commit(*txn), then *txn = NULL (consumed either way) and, when
 * the commit succeeded and created is not NULL, *created = 1. Returns
 * store__txn_commit's code. */
int store__txn_commit_created(MDB_txn **txn, int *created);
/* Positions cur on the first key after after[0..after_len) (the first key
 * when after is NULL or empty), into *key and *val. Returns the LMDB code
 * (MDB_NOTFOUND: no such key). */
int store__cursor_after(MDB_cursor *cur, const void *after, size_t after_len, MDB_val *key,
                        MDB_val *val);
/* Closes cur at the end of a walk that stopped with LMDB code rc: STORE_OK
 * when rc is MDB_SUCCESS (stopped early) or MDB_NOTFOUND (the end), else
 * rc mapped (store__map_mdb). */
int store__cursor_close(MDB_cursor *cur, int rc);
/* The counters record (meta "counters"): read (*c zeroed first; STORE_OK,
 * STORE_ECORRUPT when absent or malformed, or a mapped LMDB error) and
 * written (as store__db_put) in the caller's transaction. */
int store__counters_read(struct store *st, MDB_txn *txn, struct counters *c);
int store__counters_write(struct store *st, MDB_txn *txn, const struct counters *c);
/* The retention record (meta "prunestats", PRUNESTATS_LEN bytes: four u64,
 * tombstones, blobs and bytes reclaimed, gone paths). read: v zeroed and
 * *present 0 first, STORE_OK when absent; STORE_ECORRUPT when malformed, or
 * a mapped LMDB error. write: as store__db_put. */
#define PRUNESTATS_KEY "prunestats"
#define PRUNESTATS_LEN 32
int store__prunestats_read(struct store *st, MDB_txn *txn, uint64_t v[4], int *present);
int store__prunestats_write(struct store *st, MDB_txn *txn, const uint64_t v[4]);
/* 1 if r's snapshot holds the retention record (the store was ever pruned),
 * or if that cannot be read (then zero copy is refused). */
int store__prune_marker(struct store_reader *r);
/* Walks a release record's entries (fn may be NULL; each file's published
 * is 0); *count (may be NULL) gets the entry count from the header, before
 * the walk. Returns STORE_OK (also when fn returned non-zero to stop) or
 * STORE_ECORRUPT (fn may have been called for the entries before). */
int store__release_walk(const MDB_val *val, store_file_fn fn, void *arg, uint64_t *count);

/* store_prune.c: hooks the rest of the store calls. Without the databases
 * (has_prune_dbs 0) each answers as for an empty one. */
/* Opens (creating when writable) the tombstones and gone databases in txn.
 * Read-only and absent: STORE_OK with has_prune_dbs 0. Returns STORE_OK,
 * STORE_ECORRUPT (MDB_INCOMPATIBLE), or a mapped LMDB error. */
int store__prune_open(struct store *st, MDB_txn *txn);
/* STORE_EPRUNED if id has a tombstone, STORE_OK if not (or id_len 0), or a
 * mapped LMDB error (STORE_EIO, STORE_ECORRUPT). */
int store__tombstoned(struct store *st, MDB_txn *txn, const char *id, size_t id_len);
/* 1 if the path under key is marked gone, 0 if not, -STORE_EIO or
 * -STORE_ECORRUPT on error. */
int store__path_gone(struct store *st, MDB_txn *txn, MDB_val *key);
/* Clears the gone mark of the path under key (publish made it live again)
 * and counts it out of the retention record. Returns STORE_OK (also when it
 * was not gone), STORE_EFAULT, STORE_EFULL, STORE_ENOMEM, STORE_ECORRUPT or
 * STORE_EIO. */
int store__path_revive(struct store *st, MDB_txn *txn, MDB_val *key);
/* Fills the prune fields of *out, free_bytes included, from txn (store_stats'
 * read transaction). Returns STORE_OK, STORE_ECORRUPT, STORE_EIO or STORE_ENOMEM. */
int store__prune_stats(struct store *st, MDB_txn *txn, struct store_stats *out);

/* store_pin.c: the page-lifetime rule that readers and prunes share. */
/* Takes the pin (if none is held) before a prune's write transaction begins,
 * so its snapshot is older than the prune's commit. Returns STORE_OK,
 * STORE_EBUSY, STORE_EIO or STORE_ENOMEM (beginning the read transaction). */
int store__pin_take(struct store *st);
/* Ends the pin once no zero-copy reader is in flight and the grace passed
 * (force: now, at close). Called before every write transaction. */
void store__pin_release(struct store *st, int force);
/* Called by store_reader_end() for a reader that answered zero-copy. */
void store__zero_copy_end(struct store_reader *r);

#endif /* ORIGIND_STORE_INTERNAL_H */
