/*
 * store.h - the origind asset store: an append-only, content-addressed
 * LMDB environment keyed by SHA-256.
 *
 * This header is the manual. It is the only interface server/ and tools/ use;
 * no LMDB type or error code leaves store/.
 *
 * What is stored
 *   blobs      SHA-256 digest -> the exact bytes. Written once, never changed.
 *   variants   (digest, encoding) -> precompressed bytes (gzip, br), each
 *              checked on the way in to decode to exactly the blob.
 *   paths      "/assets/app.3f2a9c1e5b7d0a41.css" -> (digest, content type,
 *              first publish time in the fleet, as origin-ingest stamped
 *              it or a peer carried it). Bound once, forever (invariant 2).
 *   releases   release id -> the sorted list of (path, digest, type) it
 *              published. Published atomically (invariant 3).
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
 *     reusing pages freed after it began (harmless here: the store only
 *     grows), and there are at most store_options.max_readers at once.
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
    STORE_EBUSY,     /* too many readers, or the store is locked */
    STORE_EFAULT,    /* failure injected by store_fault_set() (tests only) */
};

/* A static, one-line English description of err. Never NULL. */
const char *store_strerror(int err);

enum store_encoding {
    STORE_ENC_IDENTITY = 0,
    STORE_ENC_GZIP = 1,
    STORE_ENC_BR = 2,
};
#define STORE_ENC_COUNT 3

/* "identity", "gzip", "br"; NULL for an unknown value. */
const char *store_encoding_name(int enc);
/* Parses "gzip"/"br"/"identity" of length len; -1 if unknown. */
int store_encoding_parse(const char *name, size_t len);

/* ------------------------------------------------------------------ */
/* Digests                                                              */

/* SHA-256 of data (OpenSSL EVP). Never fails. */
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
/* A release id: 1..STORE_ID_MAX bytes of [A-Za-z0-9._-], not "." or "..". */
int store_id_valid(const char *id, size_t len);
/* A content type: 1..STORE_TYPE_MAX printable ASCII bytes (0x20..0x7e). */
int store_type_valid(const char *type, size_t len);
/* 1 if responses of this Content-Type should carry Vary: Accept-Encoding and
 * may have br/gzip variants (text/..., JavaScript, JSON, XML, SVG, wasm,
 * uncompressed fonts, ico); 0 otherwise. Parameters (";charset=...") are
 * ignored. */
int store_type_compressible(const char *type, size_t len);

/* ------------------------------------------------------------------ */
/* Opening                                                              */

struct store; /* opaque */

struct store_options {
    uint64_t map_size;    /* capacity in bytes; 0: 64 GiB. Rounded to pages. */
    unsigned max_readers; /* concurrent readers; 0: 4096 */
    uint64_t max_blob;    /* largest blob accepted; 0: 1 GiB */
    int read_only;        /* open without write access (fsck, stats) */
};

/* Opens the store in directory dir, creating the directory (0750) and the
 * environment if needed. opt may be NULL for defaults. On success *out is a
 * handle the caller closes with store_close().
 * Returns STORE_OK, STORE_EIO (cannot create/open; errno kept), STORE_ECORRUPT
 * (not an LMDB environment or not an origind store), STORE_EBUSY, STORE_ENOMEM,
 * STORE_EINVAL. */
int store_open(const char *dir, const struct store_options *opt, struct store **out);

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
 * *created (may be NULL) is 1 if the blob is new, 0 if it was already there.
 * An existing digest is a cheap no-op: it is found before any hashing and the
 * call returns at once without reading data (the stored bytes were verified
 * when they were first put). A new blob is hashed before LMDB's writer lock
 * is taken (a large upload does not block other writers while it hashes).
 * Returns STORE_OK, STORE_EDIGEST, STORE_ETOOBIG (len > max_blob),
 * STORE_EINVAL (data NULL with len > 0), STORE_EFULL, STORE_EIO, STORE_EBUSY
 * (no reader free for the presence check), STORE_ENOMEM, STORE_EFAULT. On
 * error nothing is stored. */
int store_put_blob(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], const void *data,
                   size_t len, int *created);

/* A batch: many blobs (and variants) in one transaction and one sync.
 * Holds LMDB's writer lock from begin to commit/abort: keep it short (have
 * the bytes in hand before beginning). */
struct store_batch; /* opaque */

/* Begins a batch. Returns STORE_OK, STORE_EIO, STORE_ENOMEM, STORE_EFAULT. */
int store_batch_begin(struct store *st, struct store_batch **out);
/* As store_put_blob, inside the batch. On STORE_EDIGEST or STORE_ETOOBIG the
 * batch stays usable (that blob is simply not added); on any other error the
 * batch can only be aborted. */
int store_batch_put(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                    const void *data, size_t len, int *created);
/* As store_put_variant, inside the batch; the blob may have been put earlier
 * in the same batch. Same error rule as store_batch_put (STORE_EVARIANT and
 * STORE_ENOTFOUND leave it usable). */
int store_batch_put_variant(struct store_batch *b, const unsigned char digest[STORE_DIGEST_LEN],
                            int enc, const void *data, size_t len, int *created);
/* Commits durably and frees b. On error nothing of the batch is stored.
 * Returns STORE_OK, STORE_EFULL, STORE_EIO, STORE_EFAULT. */
int store_batch_commit(struct store_batch *b);
/* Discards everything in the batch and frees b. NULL is a no-op. */
void store_batch_abort(struct store_batch *b);

/* Stores a precompressed variant (STORE_ENC_GZIP or STORE_ENC_BR) of an
 * existing blob. The store decodes data in a streaming pass, never producing
 * more than the blob's size, and accepts it only if the decoded bytes equal
 * the blob exactly (size and SHA-256). *created as for store_put_blob. The
 * decoding runs before LMDB's writer lock is taken.
 * Returns STORE_OK, STORE_ENOTFOUND (blob not present), STORE_EVARIANT,
 * STORE_EINVAL (bad encoding, data NULL with len > 0), STORE_ETOOBIG,
 * STORE_EFULL, STORE_EIO, STORE_EBUSY, STORE_ENOMEM, STORE_EFAULT. */
int store_put_variant(struct store *st, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                      const void *data, size_t len, int *created);

/* For each of the n digests, sets missing[i] to 1 if the blob is absent and 0
 * if present, in one read transaction. Returns STORE_OK, STORE_EBUSY,
 * STORE_EIO. */
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
 * for the duration of the call. */
typedef void (*store_problem_fn)(void *arg, enum store_problem_kind kind, const char *path,
                                 size_t path_len, const unsigned char digest[STORE_DIGEST_LEN]);

/* Publishes release id binding every file, atomically: either every path is
 * bound (and the release recorded) in one durable commit, or nothing changes.
 * A new path is bound with its file's published time (now when 0). A path
 * already bound to the same digest is fine: its type and first publish time
 * stay, and the release records the type the path serves, not the one
 * given. Publishing the same id with the same set of (path, digest, type)
 * again, types as the paths serve them, is a no-op (*created = 0). files
 * need not be sorted; the same path twice with the same digest and type
 * counts once.
 * Every problem is reported through problem (may be NULL) before returning:
 * Returns STORE_OK, STORE_EINVAL (bad id, or BAD_ENTRY problems),
 * STORE_EMISSING (MISSING problems), STORE_ECONFLICT (PATH_CONFLICT or
 * RELEASE_CONFLICT problems; checked only once nothing is missing),
 * STORE_EFULL, STORE_EIO, STORE_ENOMEM, STORE_EFAULT. */
int store_publish(struct store *st, const char *id, size_t id_len, const struct store_file *files,
                  size_t n, int64_t now, int *created, store_problem_fn problem, void *arg);

/* ------------------------------------------------------------------ */
/* Reading                                                              */

struct store_reader; /* opaque: a consistent snapshot */

/* Begins a reader. Cheap (readers are pooled). Returns STORE_OK,
 * STORE_EBUSY (max_readers in use), STORE_EIO, STORE_ENOMEM. */
int store_reader_begin(struct store *st, struct store_reader **out);
/* Ends the reader; every pointer it returned becomes invalid. NULL: no-op. */
void store_reader_end(struct store_reader *r);

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
    struct store_blob body[STORE_ENC_COUNT]; /* [STORE_ENC_IDENTITY] always set */
};

/* Looks up a published path (exact bytes, no normalisation). Writes *out only
 * on success. Returns STORE_OK, STORE_ENOTFOUND, STORE_ECORRUPT (bound blob
 * absent: fsck will say so). */
int store_lookup(struct store_reader *r, const char *path, size_t len, struct store_asset *out);

/* One representation of a blob by digest. Returns STORE_OK, STORE_ENOTFOUND. */
int store_get_blob(struct store_reader *r, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                   struct store_blob *out);

/* Lists blobs in digest order, starting strictly after *after (NULL: from the
 * first), calling fn for at most limit of them. variants is a bit mask of
 * (1 << STORE_ENC_GZIP) | (1 << STORE_ENC_BR). fn returns 0 to go on, non-zero
 * to stop. Returns STORE_OK. */
typedef int (*store_blob_fn)(void *arg, const unsigned char digest[STORE_DIGEST_LEN], uint64_t size,
                             unsigned variants);
int store_list_blobs(struct store_reader *r, const unsigned char *after, size_t limit,
                     store_blob_fn fn, void *arg);

/* A release: calls fn once per file in path order, then returns; fn may be
 * NULL (the record is only checked). Each file is given as its path serves
 * it: type and published from the path's binding (a release recorded by an
 * older build may name another type than the path was first bound with).
 * Strings are borrowed until the reader ends. *created (may be NULL) gets
 * the release's publish time on this node. Returns STORE_OK,
 * STORE_ENOTFOUND, STORE_EINVAL (bad id), STORE_ECORRUPT (malformed
 * record). */
typedef int (*store_file_fn)(void *arg, const struct store_file *file);
int store_release_get(struct store_reader *r, const char *id, size_t id_len, int64_t *created,
                      store_file_fn fn, void *arg);

/* Lists releases in publish order (oldest first). Returns STORE_OK. */
typedef int (*store_release_fn)(void *arg, const char *id, size_t id_len, int64_t created,
                                size_t files);
int store_release_list(struct store_reader *r, store_release_fn fn, void *arg);

struct store_stats {
    uint64_t blobs, blob_bytes;       /* identity blobs */
    uint64_t variants, variant_bytes; /* gzip + br */
    uint64_t paths, releases;
    char last_release[STORE_ID_MAX + 1]; /* "" if none */
    int64_t last_release_time;           /* 0 if none */
    uint64_t map_size, map_used;         /* capacity and bytes in use */
};
/* Fills *out from one consistent snapshot. Returns STORE_OK, STORE_EBUSY. */
int store_stats(struct store *st, struct store_stats *out);

/* ------------------------------------------------------------------ */
/* Maintenance                                                          */

/* Re-hashes every blob and decodes every variant. Calls bad (may be NULL)
 * once per blob or variant that does not verify, and for each path whose blob
 * is absent (digest of the path's binding; enc = -1). *checked (may be NULL)
 * gets the number of objects checked. Returns STORE_OK if everything
 * verifies, STORE_ECORRUPT if anything did not, or STORE_EIO/STORE_EBUSY. */
typedef void (*store_bad_fn)(void *arg, const unsigned char digest[STORE_DIGEST_LEN], int enc,
                             const char *why);
int store_fsck(struct store *st, uint64_t *checked, store_bad_fn bad, void *arg);

/* Writes a consistent, compacted copy of the live store to the file at path
 * (created, must not exist) or, when path is NULL, to fd. Readers and writers
 * go on meanwhile. Returns STORE_OK, STORE_EIO, STORE_EFULL. */
int store_backup(struct store *st, const char *path, int fd);

/* ------------------------------------------------------------------ */
/* Fault injection (tests only)                                         */

enum store_fault_point {
    STORE_FAULT_ALLOC,  /* a malloc inside the store */
    STORE_FAULT_WRITE,  /* an LMDB put */
    STORE_FAULT_COMMIT, /* a write transaction's commit */
    STORE_FAULT_COUNT
};
/* Makes the countdown-th call at point fail with STORE_EFAULT (1: the next
 * one); 0 disarms it. Process-wide, thread-safe, one shot. Also armed from the
 * environment at store_open(): ORIGIND_FAULT="commit:3" (alloc|write|commit). */
void store_fault_set(enum store_fault_point point, unsigned countdown);

#endif /* ORIGIND_STORE_H */
