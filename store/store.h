/*
 * store.h - the origind asset store: an append-only, content-addressed
 * LMDB environment keyed by SHA-256.
 *
 * This header is the manual. It is the only interface server/ and tools/ use;
 * no LMDB type or error code leaves store/.
 *
 * What is stored
 *   blobs      SHA-256 digest -> the exact bytes. Written once, never changed;
 *              removed only by store_prune() once no kept release uses them.
 *   variants   (digest, encoding) -> precompressed bytes (gzip, br, zstd),
 *              each checked on the way in to decode to exactly the blob.
 *   deltas     (target digest, dictionary digest) -> a dictionary-compressed
 *              delta (RFC 9842 "dcz": header + zstd frame with the
 *              dictionary blob as raw prefix), checked on the way in to
 *              decode, with the dictionary blob, to exactly the target.
 *   paths      "/assets/app.3f2a9c1e5b7d0a41.css" -> (digest, content type,
 *              first publish time in the fleet, as origin-ingest stamped
 *              it or a peer carried it). Bound once, forever (invariant 2).
 *   releases   release id -> the sorted list of (path, digest, type) it
 *              published. Published atomically (invariant 3).
 *   tombstones release id -> when it was pruned. A tombstoned id can never be
 *              published again (STORE_EPRUNED), by any path into the store.
 *   gone       paths whose every release was pruned. They stay bound to
 *              their digest; store_lookup() says STORE_EGONE.
 *   promotion  the live release, its digest, the floor and when, plus the
 *              promotions before it (store_promote; store_promote.c).
 *
 * Durability: every successful write call returns only after LMDB has
 * committed and synced (fdatasync). kill -9 at any point loses at most the
 * write that was in flight.
 *
 * Threads: a struct store may be shared by any number of threads. Writers
 * serialise on LMDB's single writer lock (a second writer blocks until the
 * first commits). Readers never block and never block writers. A struct
 * store_reader is used by one thread at a time, but may be ended on a
 * different thread from the one that began it (the environment is opened
 * with MDB_NOTLS), so a server can hold one per in-flight response.
 *
 * Caveats
 *   - A reader pins the snapshot it began with. Pointers it returns stay
 *     valid until store_reader_end(); a reader held for hours keeps LMDB from
 *     reusing pages freed after it began (a prune's freed space waits for
 *     it), and there are at most store_options.max_readers at once.
 *   - Page lifetime rule. store_prune() frees pages and a later write reuses
 *     them; LMDB never reuses a page while a reader older than the freeing
 *     transaction is alive. Hence:
 *       * memory-map pointers (store_blob.data) may be used only while the
 *         reader that returned them is alive. Anything that keeps them longer
 *         -- a response cache, a queued response -- must keep that reader
 *         alive for as long (or copy the bytes). A server that passes them to
 *         a copying send (send/write/TLS) may end the reader once the send
 *         returned: the kernel has its own copy then.
 *       * data-file offsets (store_blob.offset, for sendfile) are read by the
 *         kernel after the send call returned, even after the reader ended.
 *         They may be handed to the kernel only when store_zero_copy() says
 *         so for that reader. It says no once the store has ever been pruned
 *         (and from the moment a prune begins in this process), so a pruned
 *         store serves every byte through a copy. For the readers that were
 *         told yes before, store_prune() keeps a pin: a reader from before
 *         its commit, ended only when no zero-copy reader is in flight and
 *         zero_copy_grace seconds passed since the last one ended (time for
 *         the kernel to drain its socket queues). Until then freed pages are
 *         not reused (the data file may grow).
 *     In one sentence: every page-freeing commit happens in the process that
 *     pins its in-flight zero-copy responses, because only the one process
 *     holding the writer lock (below) can commit at all.
 *   - One writer per store (SPEC invariant 8). A writable store_open() takes
 *     an exclusive lock on DIR/writer.lock (flock(2), with the holder's pid
 *     inside) before LMDB opens, and holds it until store_close(); a second
 *     writable open, in this process or another, fails with STORE_ELOCKED
 *     and store_holder() names the holder. The kernel drops the lock when
 *     the holder exits, kill -9 included. Read-only opens (fsck, stats,
 *     backup) take no lock and may run beside the holder: they never commit.
 *   - Map-size rule between processes: every process that opens a store
 *     must give the same map_size. When another process has grown the map,
 *     LMDB refuses this process's next transaction (MDB_MAP_RESIZED), which
 *     the store reports as STORE_EBUSY and does not retry or resize.
 *   - The map size is the store's capacity. When it is reached, writes fail
 *     with STORE_EFULL and nothing is half-written; reads go on.
 *   - Open a given directory at most once per process (an LMDB rule: closing
 *     a second handle drops the first one's locks). Share one struct store
 *     between threads instead; another process (fsck, stats) may open it.
 *   - A batch (store_batch_*) must be begun, used and ended on one thread
 *     (LMDB write transactions belong to their thread).
 */
#ifndef ORIGIND_STORE_H
#define ORIGIND_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_DIGEST_LEN 32 /* raw SHA-256 */
#define STORE_HEX_LEN    64 /* lower-case hex, without NUL */
#define STORE_PATH_MAX   1024
#define STORE_TYPE_MAX   128
#define STORE_ID_MAX     128

/* Every fallible store function returns one of these. 0 is success. */
enum store_err {
    STORE_OK = 0,
    STORE_ENOTFOUND, /* no such blob, path or release */
    STORE_EDIGEST,   /* bytes do not hash to the digest they claim */
    STORE_EVARIANT,  /* a variant does not decode to exactly its blob */
    STORE_EMISSING,  /* publish names blobs that are not present */
    STORE_ECONFLICT, /* path or release id already bound to other content */
    STORE_EINVAL,    /* bad argument: path, id, type, size, encoding */
    STORE_ETOOBIG,   /* over a configured size limit */
    STORE_EFULL,     /* map full or disk full: nothing was written */
    STORE_EIO,       /* I/O error from the OS; see errno in the log */
    STORE_ENOMEM,    /* allocation failed */
    STORE_ECORRUPT,  /* the environment is damaged or not an origind store */
    STORE_EBUSY,     /* too many readers, or the map was resized by another process */
    STORE_EFAULT,    /* failure injected by store_fault_set() (tests only) */
    STORE_EGONE,     /* path bound, but every release naming it was pruned */
    STORE_EPRUNED,   /* release id was pruned (tombstone): never published again */
    STORE_ELOCKED,   /* a writable open of a store another process holds */
};

/* A static, one-line English description of err. Never NULL. */
const char *store_strerror(int err);

enum store_encoding {
    STORE_ENC_IDENTITY = 0,
    STORE_ENC_GZIP = 1,
    STORE_ENC_BR = 2,
    STORE_ENC_ZSTD = 3, /* since 0.2: older builds ignore these records (see fsck) */
};
#define STORE_ENC_COUNT 4

/* "identity", "gzip", "br", "zstd"; NULL for an unknown value. */
const char *store_encoding_name(int enc);
/* Parses "gzip"/"br"/"zstd"/"identity" of length len; -1 if unknown. */
int store_encoding_parse(const char *name, size_t len);

/* ------------------------------------------------------------------ */
/* Digests                                                              */

/* SHA-256 of data (OpenSSL EVP). Returns nothing: if OpenSSL fails (no
 * memory for its context) out is all zeros, which no blob's digest is, so a
 * later comparison refuses the bytes (STORE_EDIGEST) instead of accepting. */
void store_sha256(const void *data, size_t len, unsigned char out[STORE_DIGEST_LEN]);
/* Parses exactly 64 hex digits (either case) from hex[0..len). Writes out
 * only on success. Returns STORE_OK or STORE_EINVAL. */
int store_digest_from_hex(const char *hex, size_t len, unsigned char out[STORE_DIGEST_LEN]);
/* Writes 64 lower-case hex digits and a NUL into out. */
void store_digest_to_hex(const unsigned char digest[STORE_DIGEST_LEN], char out[STORE_HEX_LEN + 1]);

/* ------------------------------------------------------------------ */
/* Validation (pure functions; also used by server and ingest)          */

/* A publishable path: starts with '/', at most STORE_PATH_MAX bytes, no
 * empty, "." or ".." segment, no "//", no byte < 0x20 or 0x7f, no '\\', no
 * '?' or '#', and not ending in '/'. Bytes >= 0x80 are allowed (UTF-8 names).
 * Returns STORE_OK or STORE_EINVAL. */
int store_path_valid(const char *path, size_t len);
/* A release id: 1..STORE_ID_MAX bytes of [A-Za-z0-9._-], not "." or "..".
 * Returns STORE_OK or STORE_EINVAL. */
int store_id_valid(const char *id, size_t len);
/* A content type: 1..STORE_TYPE_MAX printable ASCII bytes (0x20..0x7e).
 * Returns STORE_OK or STORE_EINVAL. */
int store_type_valid(const char *type, size_t len);
/* 1 if responses of this Content-Type should carry Vary: Accept-Encoding and
 * may have br/gzip variants (text/..., JavaScript, JSON, XML, SVG, wasm,
 * uncompressed fonts, ico, bmp; case-insensitive); 0 otherwise, and for a
 * NULL type. Parameters (";charset=...") and blanks around the media type
 * are ignored. */
int store_type_compressible(const char *type, size_t len);

/* ------------------------------------------------------------------ */
/* Opening                                                              */

struct store; /* opaque */

struct store_options {
    uint64_t map_size;        /* capacity in bytes; 0: 64 GiB. Rounded to pages. */
    unsigned max_readers;     /* concurrent readers; 0: 4096 */
    uint64_t max_blob;        /* largest blob accepted; 0: 1 GiB */
    int read_only;            /* open without write access and without the writer
                                 lock (fsck, stats, backup) */
    unsigned zero_copy_grace; /* seconds, see the page lifetime rule; 0: 60, or
                                 ORIGIND_ZERO_COPY_GRACE from the environment */
};

/* Opens the store in directory dir; a writable open creates the directory
 * (0750) and the environment if needed (a read-only open creates nothing).
 * Unless opt->read_only, takes the store's writer lock first (Caveats: one
 * writer per store) and holds it until store_close(). opt may be NULL for
 * defaults. *out is written only on success: a handle the caller closes with
 * store_close().
 * Returns STORE_OK, STORE_ELOCKED (another process, or another handle in this
 * one, holds the writer lock: see store_holder()), STORE_EIO (cannot create
 * or open the directory, the lock file or the environment, or find its
 * mapping), STORE_ECORRUPT (not an LMDB environment or not an origind store,
 * also an empty one opened read-only), STORE_EFULL (disk full while creating
 * it), STORE_EBUSY (no reader slot, or the map was resized by another
 * process), STORE_ENOMEM, STORE_EFAULT (injected allocation failure),
 * STORE_EINVAL (dir NULL or empty, out NULL, map_size over SIZE_MAX, or
 * DIR/writer.lock longer than 4095 bytes). */
int store_open(const char *dir, const struct store_options *opt, struct store **out);

/* Who holds the writer lock of the store in dir: on STORE_OK *pid is the
 * holder's process id (0 if it has not written it yet). Returns STORE_OK,
 * STORE_ENOTFOUND (nobody holds it), STORE_EIO, STORE_EINVAL. Reads only;
 * for an error message after STORE_ELOCKED (the holder may exit between the
 * two calls). */
int store_holder(const char *dir, long *pid);

/* Closes the store. Every reader and batch must have ended. NULL is a no-op. */
void store_close(struct store *st);

/* The directory the store was opened in (borrowed, valid until close). */
const char *store_dir(const struct store *st);

/* The file descriptor of the data file, for sendfile(2) with the offsets
 * returned in struct store_blob. Owned by the store. */
int store_data_fd(const struct store *st);

/* ------------------------------------------------------------------ */
/* Writing blobs                                                        */

/* Stores len bytes at data under digest. The store hashes the bytes itself
 * and refuses them if they do not match. Durable on return.
 * *created (may be NULL), written only on STORE_OK, is 1 if the blob is new,
 * 0 if it was already there.
 * An existing digest is a cheap no-op: it is found before any hashing and the
 * call returns at once without reading data (the stored bytes were verified
 * when they were first put). A new blob is hashed before LMDB's writer lock
 * is taken (a large upload does not block other writers while it hashes).
 * Returns STORE_OK, STORE_EDIGEST, STORE_ETOOBIG (len > max_blob), STORE_EINVAL
 * (data NULL with len > 0, for a blob not yet stored), STORE_EBUSY (no reader
 * free for the presence check, or the map was resized by another process),
 * STORE_EFULL, STORE_EIO (also: opened read-only, for a blob not yet
 * stored), STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT. On error nothing is
 * stored. */
int store_put_blob(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], const void *data,
                   size_t len, int *created);

/* A batch: many blobs (and variants) in one transaction and one sync.
 * Holds LMDB's writer lock from begin to commit/abort: keep it short (have
 * the bytes in hand before beginning). */
struct store_batch; /* opaque */

/* Begins a batch. Returns STORE_OK, STORE_EIO (also: opened read-only),
 * STORE_EBUSY, STORE_ENOMEM, STORE_ECORRUPT (counters unreadable),
 * STORE_EFAULT. */
int store_batch_begin(struct store *st, struct store_batch **out);
/* As store_put_blob, inside the batch (the presence check and the hashing
 * run under the writer lock). Returns STORE_OK, STORE_EDIGEST, STORE_ETOOBIG,
 * STORE_EINVAL (data NULL with len > 0), STORE_EFULL, STORE_EIO,
 * STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT, or the error that failed the
 * batch earlier. On STORE_EDIGEST, STORE_ETOOBIG or STORE_EINVAL the batch
 * stays usable (that blob is simply not added); on any other error the batch
 * can only be aborted. */
int store_batch_put(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                    const void *data, size_t len, int *created);
/* As store_put_variant, inside the batch (the decoding runs under the writer
 * lock); the blob may have been put earlier in the same batch. Returns
 * STORE_OK, STORE_ENOTFOUND (blob not present), STORE_EVARIANT, STORE_EINVAL
 * (bad encoding, or data NULL with len > 0), STORE_ETOOBIG, STORE_EFULL,
 * STORE_EIO, STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT, or the error that
 * failed the batch earlier. STORE_ENOTFOUND, STORE_EVARIANT, STORE_EINVAL and
 * STORE_ETOOBIG leave it usable; any other error leaves only abort. */
int store_batch_put_variant(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                            int enc, const void *data, size_t len, int *created);
/* Commits durably and frees b. On error nothing of the batch is stored.
 * Returns STORE_OK, STORE_EFULL, STORE_EIO, STORE_ENOMEM, STORE_ECORRUPT,
 * STORE_EFAULT; when an earlier call failed in a way that leaves only abort
 * possible, that call's error (one of the same) without trying to commit. */
int store_batch_commit(struct store_batch *b);
/* Discards everything in the batch and frees b. NULL is a no-op. */
void store_batch_abort(struct store_batch *b);

/* Stores a precompressed variant (STORE_ENC_GZIP, STORE_ENC_BR or
 * STORE_ENC_ZSTD: one frame, a window of at most 8 MiB) of an existing blob.
 * The store decodes data in a streaming pass, never producing more than the
 * blob's size, and accepts it only if the decoded bytes equal the blob
 * exactly (size and SHA-256). *created as for store_put_blob. The decoding
 * runs before LMDB's writer lock is taken, also when the variant is already
 * stored (data is always checked).
 * Returns STORE_OK, STORE_ENOTFOUND (blob not present), STORE_EVARIANT,
 * STORE_EINVAL (bad encoding, or data NULL with len > 0), STORE_ETOOBIG
 * (len > max_blob), STORE_EBUSY, STORE_EFULL, STORE_EIO (also: opened
 * read-only), STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT. */
int store_put_variant(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                      const void *data, size_t len, int *created);

/* For each of the n digests, sets missing[i] to 1 if the blob is absent and 0
 * if present, in one read transaction. Returns STORE_OK, STORE_EBUSY,
 * STORE_ENOMEM, STORE_EFAULT (reader allocation), STORE_EIO, STORE_ECORRUPT;
 * on error missing[] may be partly written. */
int store_missing(struct store *st, const unsigned char (*digests)[STORE_DIGEST_LEN], size_t n,
                  unsigned char *missing);

/* ------------------------------------------------------------------ */
/* Publishing releases                                                  */

struct store_file {
    const char *path; /* need not be NUL-terminated */
    size_t path_len;
    unsigned char digest[STORE_DIGEST_LEN];
    const char *type; /* Content-Type; need not be NUL-terminated */
    size_t type_len;
    /* Unix seconds of the path's first publish in the fleet. store_publish:
     * the time to bind a new path with (0: its now); a path already bound
     * keeps its own. store_release_get: the path's bound time. */
    int64_t published;
};

enum store_problem_kind {
    STORE_PROBLEM_MISSING,          /* digest not present (path: first path naming it) */
    STORE_PROBLEM_PATH_CONFLICT,    /* path bound to other bytes (digest: the bound one) */
    STORE_PROBLEM_RELEASE_CONFLICT, /* id published before with other content (path NULL) */
    STORE_PROBLEM_BAD_ENTRY,        /* invalid path/type, or a path twice (digest: given) */
};

/* Called once per problem found by store_publish(). path/digest are borrowed
 * for the duration of the call; digest is never NULL (all zeros for
 * RELEASE_CONFLICT), path is NULL for RELEASE_CONFLICT and may be NULL for a
 * BAD_ENTRY whose path was NULL. */
typedef void (*store_problem_fn)(void *arg, enum store_problem_kind kind, const char *path,
                                 size_t path_len, const unsigned char digest[STORE_DIGEST_LEN]);

/* Publishes release id binding every file, atomically: either every path is
 * bound (and the release recorded) in one durable commit, or nothing changes.
 * A new path is bound with its file's published time (now when 0). A path
 * already bound to the same digest is fine: its type and first publish time
 * stay, and the release records the type the path serves, not the one
 * given. Publishing the same id with the same set of (path, digest, type)
 * again, types as the paths serve them, is a no-op (*created = 0). files
 * need not be sorted; a path given twice, even with the same digest and
 * type, is a BAD_ENTRY problem (reported once per extra copy).
 * Every problem is reported through problem (may be NULL) before returning.
 * A path that a prune left gone (STORE_EGONE) is live again when a release
 * binds it to the same digest; another digest is still a conflict.
 * *created (may be NULL) is written only on STORE_OK.
 * Returns STORE_OK, STORE_EINVAL (bad id, files NULL with n > 0, or
 * BAD_ENTRY problems, checked first), STORE_EPRUNED (id has a tombstone;
 * checked once every entry is valid: nothing more reported, nothing changes),
 * STORE_EMISSING (MISSING problems), STORE_ECONFLICT (PATH_CONFLICT or
 * RELEASE_CONFLICT problems; checked only once nothing is missing),
 * STORE_EFULL, STORE_EIO (also: opened read-only), STORE_EBUSY,
 * STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT. */
int store_publish(struct store *st, const char *id, size_t id_len, const struct store_file *files,
                  size_t n, int64_t now, int *created, store_problem_fn problem, void *arg);

/* ------------------------------------------------------------------ */
/* Reading                                                              */

struct store_reader; /* opaque: a consistent snapshot */

/* Begins a reader. Cheap (readers are pooled). Returns STORE_OK,
 * STORE_EBUSY (max_readers in use, or map resized by another process),
 * STORE_EIO, STORE_ENOMEM, STORE_EFAULT (injected allocation failure). */
int store_reader_begin(struct store *st, struct store_reader **out);
/* Ends the reader; every pointer it returned becomes invalid. NULL: no-op. */
void store_reader_end(struct store_reader *r);
/* 1 if the data-file offsets of r's blobs may be given to the kernel for
 * zero-copy sending (sendfile) -- the store has never been pruned and no
 * prune has begun in this process -- and 0 if the bytes must be sent from
 * the map through a copy. After a 1, r counts as in flight until it ends,
 * and a later prune keeps its freed pages unused until zero_copy_grace
 * seconds after (see Caveats, page lifetime rule). Never fails. */
int store_zero_copy(struct store_reader *r);
/* A number that changes whenever a prune (not a dry run) in this process
 * has committed or failed: a cache of answers made from lookups that began
 * at one value is current while it still returns that value. Prunes by
 * other processes sharing the store are not seen. Never fails. */
uint64_t store_prune_epoch(const struct store *st);

/* Bytes of one representation, straight from the memory map. data is valid
 * until the reader that returned it ends. offset is where the same bytes
 * start in store_data_fd() (they are contiguous there). data is NULL and
 * len 0 when the representation is absent. */
struct store_blob {
    const void *data;
    size_t len;
    uint64_t offset;
};

/* A published path, as served. */
struct store_asset {
    unsigned char digest[STORE_DIGEST_LEN];
    int64_t published; /* unix seconds of first publish */
    const char *type;  /* borrowed from the reader, not NUL-terminated */
    size_t type_len;
    /* [STORE_ENC_IDENTITY] always set; the gzip, br and zstd variants when stored
     * and the type is compressible (store_type_compressible: only those are
     * ever served), else data NULL */
    struct store_blob body[STORE_ENC_COUNT];
};

/* Looks up a published path (exact bytes, no normalisation). Writes *out only
 * on success. Returns STORE_OK, STORE_ENOTFOUND (also for path NULL, len 0 or
 * len > STORE_PATH_MAX), STORE_EGONE (bound, but every release naming it was
 * pruned: the server answers 410), STORE_ECORRUPT (bound blob absent: fsck
 * will say so; or a malformed binding), or a mapped LMDB error (STORE_EIO,
 * STORE_ECORRUPT; STORE_ENOMEM when the reader's variants cursor, opened on
 * its first lookup of a compressible type, cannot be allocated). */
int store_lookup(struct store_reader *r, const char *path, size_t len, struct store_asset *out);

/* One representation of a blob by digest; *out is written only on STORE_OK.
 * Returns STORE_OK, STORE_ENOTFOUND (also for an unknown enc), or a mapped
 * LMDB error (STORE_EIO, STORE_ECORRUPT). */
int store_get_blob(struct store_reader *r, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                   struct store_blob *out);

/* Lists blobs in digest order, starting strictly after *after (NULL: from the
 * first), calling fn for at most limit of them. variants is a bit mask of
 * (1 << STORE_ENC_GZIP) | (1 << STORE_ENC_BR) | (1 << STORE_ENC_ZSTD). fn returns 0 to go on,
 * non-zero to stop. Returns STORE_OK, or a mapped LMDB error (STORE_EIO, STORE_ECORRUPT,
 * STORE_ENOMEM). */
typedef int (*store_blob_fn)(void *arg, const unsigned char digest[STORE_DIGEST_LEN], uint64_t size,
                             unsigned variants);
int store_list_blobs(struct store_reader *r, const unsigned char *after, size_t limit,
                     store_blob_fn fn, void *arg);

/* A release: calls fn once per file in path order, then returns; fn returns
 * non-zero to stop (STORE_OK), and may be NULL (the record is only checked).
 * Each file is given as its path serves it: type and published from the
 * path's binding (a release recorded by an older build may name another type
 * than the path was first bound with). Strings are borrowed until the reader
 * ends. *created (may be NULL) gets the release's publish time on this node,
 * written once the record is found (so also when the walk then finds it
 * malformed: fn may have been called for the entries before). Returns STORE_OK,
 * STORE_ENOTFOUND (also for a pruned id: see store_tombstone_get),
 * STORE_EINVAL (bad id), STORE_ECORRUPT (malformed record), or a mapped LMDB
 * error (STORE_EIO). */
typedef int (*store_file_fn)(void *arg, const struct store_file *file);
int store_release_get(struct store_reader *r, const char *id, size_t id_len, int64_t *created,
                      store_file_fn fn, void *arg);

/* Lists releases in publish order (oldest first); fn returns non-zero to
 * stop. Returns STORE_OK, STORE_ECORRUPT (a publish-order entry whose release
 * record is absent or malformed; fn was called for those before it), or a
 * mapped LMDB error (STORE_EIO, STORE_ECORRUPT, STORE_ENOMEM). */
typedef int (*store_release_fn)(void *arg, const char *id, size_t id_len, int64_t created,
                                size_t files);
int store_release_list(struct store_reader *r, store_release_fn fn, void *arg);

struct store_stats {
    uint64_t blobs, blob_bytes;       /* identity blobs */
    uint64_t variants, variant_bytes; /* gzip + br + zstd (deltas: below) */
    uint64_t paths, releases;
    char last_release[STORE_ID_MAX + 1]; /* "" if none */
    int64_t last_release_time;           /* 0 if none */
    uint64_t map_size, map_used;         /* capacity and bytes in use */
    uint64_t tombstones;                 /* releases pruned (ids that stay refused) */
    uint64_t pruned_blobs, pruned_bytes; /* blobs and bytes (with variants) reclaimed */
    uint64_t gone_paths;                 /* paths answering STORE_EGONE */
    uint64_t free_bytes;                 /* freed pages in the data file: reused by later
                                            writes, left out by store_backup() */
    uint64_t deltas, delta_bytes;        /* dcz deltas, and the bytes of the pages they use */
    int durable; /* 1: the environment syncs every commit (none of MDB_NOSYNC,
                  * MDB_NOMETASYNC, MDB_MAPASYNC is set); 0 otherwise */
};
/* Fills *out from one consistent snapshot; *out is written only on
 * STORE_OK. Returns STORE_OK, STORE_EBUSY, STORE_ENOMEM, STORE_EFAULT,
 * STORE_ECORRUPT (counters unreadable), STORE_EIO. */
int store_stats(struct store *st, struct store_stats *out);

/* ------------------------------------------------------------------ */
/* Dictionary deltas (store_delta.c; RFC 9842 "dcz")                    */

/* Every stored delta starts with this 8-byte sequence (a zstd skippable
 * frame of 32 bytes), then the dictionary's SHA-256, then one zstd frame
 * compressed with the dictionary blob as raw-content prefix
 * (ZSTD_CCtx_refPrefix). The whole is the response body of
 * Content-Encoding: dcz. */
#define STORE_DCZ_MAGIC      "\x5e\x2a\x4d\x18\x20\x00\x00\x00"
#define STORE_DCZ_HEADER_LEN (8 + STORE_DIGEST_LEN)

/* Stores data[0..len), a dcz delta from blob dict to blob target, after
 * checking it: both blobs present, the header names dict, and the frame
 * decodes (with dict's bytes as prefix, bounded by target's size) to
 * exactly target. The decoding runs before LMDB's writer lock is taken.
 * *created (may be NULL) as for store_put_blob. Durable on return.
 * Returns STORE_OK, STORE_ENOTFOUND (target or dictionary blob absent),
 * STORE_EVARIANT (does not decode to target), STORE_EINVAL (empty data, or
 * target == dict), STORE_ETOOBIG (len > max_blob), STORE_EBUSY,
 * STORE_EFULL, STORE_EIO (also: opened read-only), STORE_ENOMEM,
 * STORE_ECORRUPT, STORE_EFAULT. */
int store_put_delta(struct store *st, const unsigned char target[STORE_DIGEST_LEN],
                    const unsigned char dict[STORE_DIGEST_LEN], const void *data, size_t len,
                    int *created);

/* The delta from dict to target, as stored (header included: the dcz body).
 * *out is written only on STORE_OK; out->data is valid until r ends;
 * out->offset as in store_blob. Returns STORE_OK, STORE_ENOTFOUND, or a
 * mapped LMDB error (STORE_EIO, STORE_ECORRUPT). */
int store_get_delta(struct store_reader *r, const unsigned char target[STORE_DIGEST_LEN],
                    const unsigned char dict[STORE_DIGEST_LEN], struct store_blob *out);

/* Calls fn once per delta held for target (dictionary digest and the
 * delta's length, in dictionary order); fn returns non-zero to stop.
 * Returns STORE_OK, or a mapped LMDB error (STORE_EIO, STORE_ECORRUPT,
 * STORE_ENOMEM). */
typedef int (*store_delta_fn)(void *arg, const unsigned char dict[STORE_DIGEST_LEN], uint64_t len);
int store_list_deltas(struct store_reader *r, const unsigned char target[STORE_DIGEST_LEN],
                      store_delta_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Retention (store_prune.c)                                            */

struct store_id {
    const char *id; /* need not be NUL-terminated */
    size_t len;
};

enum store_prune_state {
    STORE_PRUNE_PRUNED = 0, /* the release was here: removed, tombstoned */
    STORE_PRUNE_ALREADY,    /* tombstoned earlier: nothing to do */
    STORE_PRUNE_ABSENT,     /* never here: tombstoned so no peer brings it */
};
/* "pruned", "already", "absent"; NULL for an unknown value. */
const char *store_prune_state_name(int state);

/* Called once per id, in the order given: its state, and the blobs, variants
 * and bytes (blobs + variants) removed on its account (a blob two pruned
 * releases shared counts for the first). id is borrowed for the call. */
typedef void (*store_prune_fn)(void *arg, const char *id, size_t id_len, int state, uint64_t blobs,
                               uint64_t variants, uint64_t bytes);

struct store_prune_totals {
    uint64_t pruned, already, absent; /* ids by state */
    uint64_t blobs, variants, bytes, paths_gone;
    uint64_t deltas; /* dcz deltas removed with their target or dictionary (bytes: in bytes) */
};

/* Prunes the n releases ids in one durable write transaction: each present
 * one is removed and every id gets a tombstone; a blob (and its variants) is
 * removed when a pruned release names it and no kept release does (blobs no
 * release names -- an upload whose publish has not come yet -- are left
 * alone), and with it every delta whose target or dictionary it is; a path no kept release names is
 * marked gone, and stays bound. kill -9 at any point leaves the store before or after the whole
 * prune. Running the same prune again is a no-op (every id "already"). With dry_run nothing
 * changes: the same answers from a read transaction. fn (may be NULL) is called per id, before the
 * commit (a failed commit means none of it happened); *out (may be NULL) gets the totals on
 * success. Pruning every release is allowed (the policy is the caller's). Returns STORE_OK,
 * STORE_EINVAL (bad or repeated id, or ids NULL with n > 0), STORE_EIO (also: opened read-only and
 * not dry_run), STORE_EBUSY, STORE_EFULL, STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT. */
int store_prune(struct store *st, const struct store_id *ids, size_t n, int64_t now, int dry_run,
                store_prune_fn fn, void *arg, struct store_prune_totals *out);

/* Lists tombstones in id order, starting strictly after after (NULL or
 * after_len 0: from the first), calling fn for at most limit of them; fn
 * returns non-zero to stop. Returns STORE_OK, STORE_ECORRUPT (a malformed
 * tombstone), or a mapped LMDB error (STORE_EIO, STORE_ECORRUPT,
 * STORE_ENOMEM). */
typedef int (*store_tombstone_fn)(void *arg, const char *id, size_t id_len, int64_t pruned);
int store_tombstone_list(struct store_reader *r, const char *after, size_t after_len, size_t limit,
                         store_tombstone_fn fn, void *arg);
/* STORE_OK and *pruned (may be NULL) when id has a tombstone; STORE_ENOTFOUND
 * when not; STORE_EINVAL (bad id), STORE_ECORRUPT (malformed tombstone), or a
 * mapped LMDB error (STORE_EIO, STORE_ECORRUPT). *pruned is written only on
 * STORE_OK. */
int store_tombstone_get(struct store_reader *r, const char *id, size_t id_len, int64_t *pruned);

/* ------------------------------------------------------------------ */
/* Promotion (store_promote.c)                                          */

/* Which release is live on the fleet. origin-ingest promote chooses every
 * field and sends the same record to every node; peers carry it verbatim,
 * so every node holds the same bytes (and the release document built from
 * them is identical everywhere). */
struct store_promotion {
    /* The fleet-wide order: origin-ingest picks max(generation on every
     * node) + 1; store_promotion_cmp breaks ties. Never 0 in a record. */
    uint64_t generation;
    int64_t promoted_at;                    /* unix seconds, origin-ingest's clock */
    unsigned char digest[STORE_DIGEST_LEN]; /* the release digest (api.h) of release */
    char release[STORE_ID_MAX + 1];         /* the live release, NUL-terminated */
    char floor[STORE_ID_MAX + 1];           /* the oldest release a tab may run; "" none */
};

/* How many promotions a store remembers (newest first; older ones fall off). */
#define STORE_PROMOTION_HISTORY 64

/* The fleet-wide order of two promotions: by generation, then promoted_at,
 * then release id, floor id and digest bytes (so two promoters that picked
 * the same generation still order the same way on every node, and no node's
 * clock takes part). Returns <0, 0 (the same promotion) or >0. */
int store_promotion_cmp(const struct store_promotion *a, const struct store_promotion *b);

/* Reads the promotions recorded here, newest first, into hist[0..max) and
 * their number into *n (0: never promoted; hist[0] is the current one).
 * Returns STORE_OK, STORE_ECORRUPT (malformed record), or a mapped LMDB
 * error (STORE_EIO, STORE_ECORRUPT). *n is written only on success; hist may
 * be partly written on STORE_ECORRUPT. */
int store_promotion_get(struct store_reader *r, struct store_promotion *hist, size_t max,
                        size_t *n);

/* Checks p against what r sees: its release is here (STORE_ENOTFOUND, or
 * STORE_EPRUNED when it has a tombstone), its floor (if any) is here
 * (STORE_EMISSING otherwise) and was published here no later than the
 * release (by publish time, then publish order; STORE_ECONFLICT if later).
 * The release digest is not checked (api.h computes it; the caller compares).
 * Returns STORE_OK, those, STORE_EINVAL (bad id), STORE_ECORRUPT, STORE_EIO. */
int store_promotion_check(struct store_reader *r, const struct store_promotion *p);

/* Records p durably if it orders after the current promotion
 * (store_promotion_cmp): *created (may be NULL) = 1. The same promotion
 * again is a no-op (*created = 0). In the same write transaction the checks
 * of store_promotion_check are made again, so a prune cannot slip between.
 * Returns STORE_OK, STORE_ECONFLICT (p orders before the current one: the
 * newer stays; or its floor is newer than its release), STORE_ENOTFOUND,
 * STORE_EPRUNED, STORE_EMISSING (floor), STORE_EINVAL (generation 0,
 * promoted_at <= 0, bad id), STORE_EIO (also: opened read-only), STORE_EBUSY,
 * STORE_EFULL, STORE_ENOMEM, STORE_ECORRUPT, STORE_EFAULT. Nothing changes
 * on error. */
int store_promote(struct store *st, const struct store_promotion *p, int *created);

/* ------------------------------------------------------------------ */
/* Maintenance                                                          */

/* Re-hashes every blob and decodes every variant and delta. Calls bad (may
 * be NULL) once per problem: a blob or variant that does not verify, or a
 * variant of an absent blob (enc: its encoding); with enc = -1, a path or
 * release entry naming an absent blob (digest: the one named; a gone path
 * needs no blob), a delta that lacks a blob or does not decode (digest: its
 * target), a release that has a tombstone too, counters that disagree, and a
 * malformed key or record (digest all zeros where there is none; enc 0 for a
 * blob key). *checked (may be NULL) gets the number of objects checked when the
 * walk finished (STORE_OK, or STORE_ECORRUPT after bad calls). Returns
 * STORE_OK if everything verifies, STORE_ECORRUPT if anything did not (or
 * LMDB met a damaged page: then bad is not called), or STORE_EIO,
 * STORE_EBUSY, STORE_ENOMEM, STORE_EFAULT. */
typedef void (*store_bad_fn)(void *arg, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                             const char *why);
int store_fsck(struct store *st, uint64_t *checked, store_bad_fn bad, void *arg);

/* Writes a consistent, compacted copy of the live store to the file at path
 * (created, must not exist) or, when path is NULL, to fd. Readers and writers
 * go on meanwhile. Tombstones and gone marks are copied; pruned blobs are
 * not (the copy is as small as the kept data). Returns STORE_OK, STORE_EIO
 * (also: path exists), STORE_EFULL, STORE_EBUSY (max_readers in use, the map
 * was resized by another process, or no thread for the copy), STORE_ENOMEM,
 * STORE_ECORRUPT (LMDB found a damaged page while copying), STORE_EINVAL
 * (path NULL and fd < 0).
 * A failed copy to path removes the partial file. */
int store_backup(struct store *st, const char *path, int fd);

/* ------------------------------------------------------------------ */
/* Fault injection (test builds only)                                   */

enum store_fault_point {
    STORE_FAULT_ALLOC,  /* a malloc inside the store */
    STORE_FAULT_WRITE,  /* an LMDB put */
    STORE_FAULT_COMMIT, /* a write transaction's commit */
    STORE_FAULT_COUNT
};

/* 1 if this library was built with its test hooks (CMake option
 * ORIGIND_TEST_HOOKS, which defines ORIGIND_TEST_HOOKS for its users), 0 in
 * a release build, where no fault can be armed at all: ORIGIND_FAULT is not
 * even read. Programs refuse to start when ORIGIND_FAULT is set and this is
 * 0, so that nobody believes a fault is armed when it is not. */
int store_test_hooks(void);

#ifdef ORIGIND_TEST_HOOKS
/* Makes the countdown-th call at point fail with STORE_EFAULT (1: the next
 * one); 0 disarms it. Process-wide, thread-safe, one shot. Also armed from the
 * environment at store_open(): ORIGIND_FAULT="commit:3" (alloc|write|commit).
 * Exists only in test builds. */
void store_fault_set(enum store_fault_point point, unsigned countdown);
#endif
/* How many armed faults have fired in this process so far (any point);
 * always 0 in a build without test hooks. Thread-safe; never fails. */
uint64_t store_faults_fired(void);

#endif /* ORIGIND_STORE_H */
