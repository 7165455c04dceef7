/*
 * api.h - the origind node API, in one place: the paths, the limits, the
 * public paths no release may bind, the API version and how it is stated,
 * the release digest, and the canonical encoders and strict decoders of
 * every admin answer and request. The large request bodies (missing list,
 * release), the cursor parameters and the bundle framing are parsed by
 * admin_body.h beside it.
 *
 * For: server/admin.c, server/admin_prune.c and server/admin_fetch.c (which
 * answer), server/peer.c (which reads a peer's answers) and tools/node.c and
 * tools/seed.c (origin-ingest), so they
 * speak exactly one protocol with one strictness. Not for: HTTP transport (libcurl or
 * libmicrohttpd) or store access; no MHD or curl type here.
 *
 * Versioning. Every admin answer origind writes, error answers and 401
 * included, carries the header API_VERSION_HEADER ("Origind-Api") with the
 * decimal API_VERSION (GET /v1/status also says "api": N). The exceptions are
 * the refusals libmicrohttpd 0.9.75 writes itself before origind sees a
 * request (a Content-Length it cannot parse, "-1" or over 2^64, headers over
 * the connection pool: transmit_error_response() in its connection.c has no
 * hook to add a header); no client of this module sends such a request. A client or peer checks it
 * with api_version_check() before trusting a 2xx body, and on any other answer that carries it; a
 * node without the header speaks version 1 (the builds before this module). Incompatible: any other
 * number. The one-line reason names both versions.
 *
 * Release digest. The SHA-256 of the release's canonical listing: for every
 * file, in ascending byte order of path (memcmp; a prefix sorts first), the
 * bytes
 *     path '\t' sha256-hex '\t' type '\n'
 * where sha256-hex is the 64 lower-case hex digits of the file's blob and
 * type its Content-Type as the path serves it. Paths and types never hold
 * a tab or a newline (store_path_valid, store_type_valid), so the listing is
 * unambiguous. The empty release's digest is SHA-256 of no bytes. The same
 * value, in 64 lower-case hex digits, is what the node API (field "digest"),
 * `push --json` and `verify --json` report. From a shell:
 *     printf '%s\t%s\t%s\n' PATH HEX TYPE ... | LC_ALL=C sort | sha256sum
 *
 * Thread-safety: every function is reentrant (no shared state). Strings
 * handed to callbacks are borrowed for the duration of the call.
 */
#ifndef ORIGIND_API_H
#define ORIGIND_API_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The node API version this build speaks, and the header that states it. */
#define API_VERSION        2
#define API_VERSION_STR    "2" /* API_VERSION as the header's value */
#define API_VERSION_HEADER "Origind-Api"

/* Paths (relative to a node's admin base URL). */
#define API_PATH_MISSING    "/v1/missing"    /* POST */
#define API_PATH_BLOBS      "/v1/blobs"      /* GET listing; /<hex>[/gzip|/br] */
#define API_PATH_BUNDLE     "/v1/bundle"     /* POST */
#define API_PATH_RELEASES   "/v1/releases"   /* GET listing; /<id> GET, HEAD, PUT */
#define API_PATH_STATUS     "/v1/status"     /* GET */
#define API_PATH_METRICS    "/metrics"       /* GET */
#define API_PATH_PRUNE      "/v1/prune"      /* POST */
#define API_PATH_TOMBSTONES "/v1/tombstones" /* GET ?after=<id>&limit=N */
#define API_PATH_FETCH      "/v1/fetch"      /* POST (api_fetch.c) */
#define API_PATH_PROMOTION  "/v1/promotion"  /* GET; POST a record (api_promote.c) */

/* The public listener's release document (api_release_doc). */
#define API_RELEASE_DOC_PATH "/.well-known/origind/release"

/* HEAD /v1/releases/<id> answers 200 with no body and these two headers:
 * the release digest (64 hex, api_release_digest() of what the node holds
 * under the id) and its number of files; 404 if the node has no such
 * release. A push compares the digest with its own: equal means the node
 * already holds exactly this release, complete (a release is only ever
 * visible whole), so it has nothing to send or publish there. Nodes before
 * this header answer HEAD without it: the client then pushes as usual. */
#define API_RELEASE_DIGEST_HEADER "Origind-Release-Digest"
#define API_RELEASE_FILES_HEADER  "Origind-Release-Files"

/* Every admin answer also names the encodings the node stores and
 * verifies, beyond identity ("gzip, br, zstd, dcz"): a client sends a node
 * only those (a node from before this header takes gzip and br). dcz is a
 * dictionary delta: PUT/GET /v1/blobs/<target hex>/dcz/<dictionary hex>. */
#define API_ENCODINGS_HEADER "Origind-Encodings"
#define API_ENCODINGS        "gzip, br, zstd, dcz"

/* The bit of "dcz" in what api_encodings_decode() returns. */
#define API_ENC_DCZ (1u << 8)

/* The encodings an API_ENCODINGS_HEADER value names (comma- or
 * space-separated; unknown names ignored): bit 1 << STORE_ENC_* per
 * stored encoding beyond identity, API_ENC_DCZ for dcz. Never fails. */
unsigned api_encodings_decode(const char *value);

/* Room for any reason an api_* function writes (NUL included). */
#define API_WHY_MAX 160

/* The most files a release answer may list (what a decoder accepts). */
#define API_RELEASE_FILES_MAX 10000000

/* ------------------------------------------------------------------ */
/* Reserved paths                                                       */

/* The public listener answers these itself, before any lookup, so no
 * release may bind them: publish answers 422 naming the path, and
 * origin-ingest refuses (exit 2, naming the file) before contacting a node.
 * Reserved: exactly API_RESERVED_HEALTHZ, and every path that starts with
 * API_RESERVED_PREFIX (the trailing '/' included: "/.well-known/origind"
 * itself and "/.well-known/origindx" are not reserved). Compared byte for
 * byte, case-sensitively, on the decoded path as it is published (what
 * store_path_valid checks). */
#define API_RESERVED_HEALTHZ "/healthz"
#define API_RESERVED_PREFIX  "/.well-known/origind/"

/* 1 if path[0..len) (not necessarily NUL-terminated; NULL with len 0 is
 * the empty path) is reserved as above, else 0. Never fails. */
int api_path_reserved(const char *path, size_t len);

/* ------------------------------------------------------------------ */
/* Version                                                              */

/* Checks the value of the API_VERSION_HEADER of an answer (value NULL: the
 * header was absent, i.e. version 1). who names the other side in the
 * reason ("node http://10.0.0.5:8081"). Returns 0 if compatible, or -1 with
 * a NUL-terminated one-line reason in why[0..why_size) (if why is not NULL),
 * e.g. "node http://a:8081 speaks node API 1 (no Origind-Api header), this
 * build speaks 2: upgrade that node". */
int api_version_check(const char *value, const char *who, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* Release digest                                                       */

struct api_digest; /* opaque incremental digest of a canonical listing */

/* Begins a digest. Returns NULL on allocation failure. */
struct api_digest *api_digest_new(void);
/* Adds one file. Files must be added in ascending path order (see above).
 * Returns 0, or -1 if path or type is out of order, holds a tab or newline
 * (the digest is then unusable; api_digest_free it). */
int api_digest_add(struct api_digest *d, const char *path, size_t path_len,
                   const unsigned char digest[STORE_DIGEST_LEN], const char *type, size_t type_len);
/* Writes the digest into out and frees d. */
void api_digest_final(struct api_digest *d, unsigned char out[STORE_DIGEST_LEN]);
/* Frees d without a result. NULL is a no-op. */
void api_digest_free(struct api_digest *d);

/* The digest of files[0..n) in any order (sorted on a copy; files with the
 * same path must not occur). Returns 0, or -1 (out of memory, or an invalid
 * path or type: see api_digest_add). */
int api_release_digest(const struct store_file *files, size_t n,
                       unsigned char out[STORE_DIGEST_LEN]);

/* ------------------------------------------------------------------ */
/* ETags of stored assets                                               */

/* The strong ETag of a stored representation: a fleet contract, since every
 * node behind one load balancer must name the same bytes the same way (the
 * public listener's ETag, If-None-Match and If-Range; the admin listener's
 * blob GET). Quoted, the first 32 hex of digest and the encoding's suffix:
 *   "<32 hex>"            enc STORE_ENC_IDENTITY (or any unknown value)
 *   "<32 hex>-gz"         STORE_ENC_GZIP
 *   "<32 hex>-br"         STORE_ENC_BR
 *   "<32 hex>-zs"         STORE_ENC_ZSTD
 *   "<32 hex>-dcz-<16>"   API_ETAG_DCZ with dict: a dcz delta against the
 *                         dictionary whose first 16 hex follow
 *   "<32 hex>-dcz"        API_ETAG_DCZ with dict NULL (GET /v1/blobs/<hex>/
 *                         dcz/<dict hex> on the admin listener)
 * into out, NUL-terminated. Returns its length. */
#define API_ETAG_DCZ  (-2)
#define API_ETAG_SIZE 56 /* the longest, quotes and NUL included */
size_t api_asset_etag(const unsigned char digest[STORE_DIGEST_LEN], int enc,
                      const unsigned char *dict, char out[API_ETAG_SIZE]);

/* ------------------------------------------------------------------ */
/* GET /v1/releases/<id>                                                */

/* The answer is
 *   {"id":"<id>","created":<unix s>,"digest":"<hex>","count":N,
 *    "files":[{"path":"/..","sha256":"<hex>","type":"..","published":<unix s>},...]}
 * with files in path order; published is the path's first publish time in
 * the fleet (what Last-Modified says). */

/* Encodes that answer for files[0..n) (already in path order, as
 * store_release_get gives them), computing the digest. Returns a malloc'd
 * NUL-terminated text (caller frees) and sets *len, or NULL on allocation
 * failure or when the files are not in strict path order. */
char *api_release_encode(const char *id, size_t id_len, int64_t created,
                         const struct store_file *files, size_t n, size_t *len);

/* A decoded release answer. files[i].path and .type point into the
 * document this struct owns (not NUL-terminated); valid until
 * api_release_free(). */
struct api_release {
    char id[STORE_ID_MAX + 1];
    int64_t created;
    unsigned char digest[STORE_DIGEST_LEN];
    struct store_file *files; /* n entries, path order */
    size_t n;
    void *doc; /* private */
};

/* Strictly decodes a release answer from body[0..len): an object with every
 * member above of the right type, id a valid release id (and equal to
 * want_id when want_id is not NULL), count equal to the number of entries,
 * every entry with a valid path, 64-hex sha256, valid type and published
 * >= 1, paths strictly ascending, and digest equal to the digest of the
 * entries. Unknown members are ignored (the record is extensible).
 * Returns 0 and fills *out (free it with api_release_free), or -1 with a
 * one-line reason in why (out untouched). */
int api_release_decode(const char *body, size_t len, const char *want_id, struct api_release *out,
                       char *why, size_t why_size);
/* Frees what api_release_decode() allocated; NULL or zeroed is a no-op. */
void api_release_free(struct api_release *r);

/* ------------------------------------------------------------------ */
/* GET /v1/releases                                                     */

/* {"releases":[{"id":"..","created":<unix s>,"files":N},...]}
 * oldest first. The encoder is built by the caller with these two calls:
 * api_list_begin() then api_release_list_add() per release, then
 * api_list_end(). */
struct api_list; /* opaque growing answer */

/* Begins an answer whose array member is named key ("releases", "blobs").
 * Returns NULL on allocation failure. */
struct api_list *api_list_begin(const char *key);
/* Appends one release. Returns 0 or -1 (allocation failure: the list is
 * then unusable; api_list_end() returns NULL). */
int api_release_list_add(struct api_list *l, const char *id, size_t id_len, int64_t created,
                         uint64_t files);
/* Appends one blob: digest, size, variants mask ((1 << STORE_ENC_GZIP) |
 * (1 << STORE_ENC_BR) | (1 << STORE_ENC_ZSTD)). gzip and br are listed in
 * "variants", zstd in "extra_variants" (nodes from before zstd refuse
 * unknown names in "variants" and ignore unknown members). Returns 0 or -1
 * as above. */
int api_blob_list_add(struct api_list *l, const unsigned char digest[STORE_DIGEST_LEN],
                      uint64_t size, unsigned variants);
/* Adds "deltas": the dictionaries dicts[0..n) (at most API_BLOB_DELTAS_MAX
 * are listed) to the blob appended last. Returns 0 or -1 as above. */
int api_blob_list_add_deltas(struct api_list *l, const unsigned char (*dicts)[STORE_DIGEST_LEN],
                             size_t n);
/* Ends the answer; next (may be NULL) becomes "next" (hex, or null) for a
 * blob listing (ignored for releases). Frees l. Returns the malloc'd text
 * (caller frees) and *len, or NULL if any append or this call failed. */
char *api_list_end(struct api_list *l, const unsigned char *next, size_t *len);

/* Strictly decodes a release listing: calls fn per release (id valid and
 * NUL-terminated, created and files >= 0) in order. Returns 0, -1 with why
 * (not the shape, or an entry does not parse: nothing is trusted), or fn's
 * non-zero value. */
int api_release_list_decode(const char *body, size_t len,
                            int (*fn)(void *arg, const char *id, int64_t created, uint64_t files),
                            void *arg, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* GET /v1/blobs?after=<hex>&limit=N                                    */

/* {"blobs":[{"sha256":"<hex>","size":N,"variants":["gzip","br"],
 *             "extra_variants":["zstd"],"deltas":["<dictionary hex>",...]}],
 *  "next":"<hex>"|null}, in strictly ascending digest order
 *  ("extra_variants" only when there is one). */

/* The most deltas one blob listing entry names (more are left out: a peer
 * copies those on a later pass, or never, and serves the usual answer). */
#define API_BLOB_DELTAS_MAX 8

struct api_blob_entry {
    unsigned char digest[STORE_DIGEST_LEN];
    uint64_t size;
    /* dictionaries the node holds a dcz delta from to this blob ("deltas") */
    unsigned char deltas[API_BLOB_DELTAS_MAX][STORE_DIGEST_LEN];
    unsigned ndeltas;
    unsigned variants; /* (1 << STORE_ENC_GZIP) | (1 << STORE_ENC_BR) | (1 << STORE_ENC_ZSTD) */
};

/* Strictly decodes a blob page into out[0..max): every entry must parse
 * (digest, size, known variant names), digests strictly ascending and after
 * *after when after is not NULL, at most max entries, next null or equal
 * to the last digest. Returns 0 with *n and *has_next (next digest in
 * next_out) set, or -1 with why. */
int api_blob_page_decode(const char *body, size_t len, const unsigned char *after,
                         struct api_blob_entry *out, size_t max, size_t *n, int *has_next,
                         unsigned char next_out[STORE_DIGEST_LEN], char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* Push requests (api_push.c)                                           */

/* POST /v1/missing asks which of the digests a node lacks:
 *   {"digests":["<hex>",...]}
 * PUT /v1/releases/<id> publishes a release:
 *   {"files":[{"path":"/..","sha256":"<hex>","type":"..","published":<unix s>},...]}
 * (published: the path's first publish time for the fleet; a node that has
 * the path bound already keeps its own). Both are written compact, members
 * in that order: the form admin_body.h's fast scanners take. */

/* Encodes the missing request for digests[0..n) in the order given.
 * Returns malloc'd text (caller frees) and *len, or NULL on allocation
 * failure. */
char *api_missing_request_encode(const unsigned char (*digests)[STORE_DIGEST_LEN], size_t n,
                                 size_t *len);

/* Encodes the release request for files[0..n) in the order given (path,
 * digest, type and published of each). Returns malloc'd text (caller
 * frees) and *len, or NULL on allocation failure or a path or type that is
 * not UTF-8. */
char *api_release_request_encode(const struct store_file *files, size_t n, size_t *len);

/* ------------------------------------------------------------------ */
/* POST /v1/missing answer                                              */

/* Encodes {"missing":["<hex>",...]} for the digests[i] with
 * missing[i] != 0, in order. Returns malloc'd text (caller frees) and
 * *len, or NULL on allocation failure. */
char *api_missing_encode(const unsigned char (*digests)[STORE_DIGEST_LEN],
                         const unsigned char *missing, size_t n, size_t *len);

/* {"missing": ["<hex>", ...]}: calls fn(arg, digest) per entry, in order;
 * fn returns 0 to go on, or non-zero to refuse a digest the caller did not
 * ask about. Returns 0; -1 if the body is not that shape or a digest is not
 * 64 hex digits; or fn's non-zero value. Whenever it does not return 0,
 * why[0..why_size) (if why is not NULL and why_size > 0) holds a one-line
 * reason (for fn's refusal: "answer lists a digest that was not asked
 * about"). Entries before the one that failed have been passed to fn. */
int api_answer_missing(const char *body, size_t len,
                       int (*fn)(void *arg, const unsigned char *digest), void *arg, char *why,
                       size_t why_size);

/* {"error": …, "conflicts": [{"path": "/…", "sha256": "<hex>"}, ...]}:
 * calls fn (if not NULL) per entry whose path is a string, in order; other
 * entries are skipped. path is a NUL-terminated copy of the node's string
 * made safe to print as api_answer_error() makes its reason (anything but
 * printable ASCII and well-formed UTF-8 from U+00A0 up replaced by '?'),
 * cut to STORE_PATH_MAX bytes; hex is the 64 hex digits of sha256, or NULL
 * if absent or not a digest. Both are borrowed for the call. Returns the
 * number of entries passed (0 if none or the body is malformed). */
size_t api_answer_conflicts(const char *body, size_t len,
                            void (*fn)(void *arg, const char *path, const char *hex), void *arg);

/* {"missing": [...]} inside an error answer (422 on publish): number of
 * entries, and the first one (hex, NUL-terminated) in first (may be NULL). */
size_t api_answer_missing_count(const char *body, size_t len, char first[STORE_HEX_LEN + 1]);

/* The one-line reason of an error answer: its "error" member if the body is
 * a JSON object with one, else the body's first line (up to CR or LF); safe
 * to print: every byte that is not printable ASCII or part of well-formed
 * UTF-8 from U+00A0 up (C0 and C1 controls, DEL, malformed UTF-8) replaced
 * by '?'; truncated to fit out without splitting a character (always
 * NUL-terminated when outlen > 0; outlen 0 writes nothing). */
void api_answer_error(const char *body, size_t len, char *out, size_t outlen);

/* {"created": N, "present": N} (a bundle answer). Returns 0 or -1. */
int api_answer_bundle(const char *body, size_t len, uint64_t *created, uint64_t *present);

/* The publish answer {"id":..,"files":N,"created":bool,"digest":"<hex>"}:
 * writes the digest. Returns 0, or -1 if the body has no valid digest. */
int api_answer_publish_digest(const char *body, size_t len, unsigned char out[STORE_DIGEST_LEN]);

/* GET /v1/status: the store's blob and variant counts ("store": {"blobs",
 * "variants"}). Returns 0, or -1 if either is absent or negative. */
int api_status_decode(const char *body, size_t len, uint64_t *blobs, uint64_t *variants);
/* Its dcz delta count ("store": {"deltas"}). Returns 0, or -1 if absent or
 * negative (a node from before deltas). */
int api_status_deltas(const char *body, size_t len, uint64_t *deltas);

/* ------------------------------------------------------------------ */
/* POST /v1/prune (api_prune.c)                                         */

/* The most release ids one prune request may name (more: 413). */
#define API_PRUNE_MAX 100000

/* The request is {"prune":["<id>",...],"dry_run":bool}: a node prunes (or,
 * dry, reports) exactly those ids. */

/* Encodes the request for ids[0..n) (NUL-terminated release ids, in the
 * order given). Returns malloc'd text (caller frees) and *len, or NULL on
 * allocation failure or when an id is not a valid release id. */
char *api_prune_request_encode(const char *const *ids, size_t n, int dry_run, size_t *len);

/* A decoded request: ids[i] point into the document this struct owns (not
 * NUL-terminated); valid until api_prune_request_free(). */
struct api_prune_request {
    struct store_id *ids; /* n entries, in the request's order */
    size_t n;
    int dry_run; /* "dry_run" absent: 0 */
    void *doc;   /* private */
};

/* Strictly decodes a request from body[0..len): an object with exactly the
 * array "prune" and optionally the boolean "dry_run" (no other member, no
 * duplicate key), every entry a valid release id. Repeated ids are not
 * checked here (store_prune refuses them). Returns 0 and fills *out (free
 * it with api_prune_request_free), or with a one-line reason in why (out
 * untouched): -1 not that shape or a bad id (answer 400), -2 more than
 * API_PRUNE_MAX ids (413), -3 out of memory (500). */
int api_prune_request_decode(const char *body, size_t len, struct api_prune_request *out, char *why,
                             size_t why_size);
/* Frees what api_prune_request_decode() allocated; NULL or zeroed is a no-op. */
void api_prune_request_free(struct api_prune_request *r);

/* The 200 answer:
 *   {"dry_run":b,"releases":[{"id","state","blobs","variants","bytes"},...],
 *    "pruned":n,"already":n,"absent":n,"blobs":n,"variants":n,"bytes":n,
 *    "paths_gone":n}
 * releases in the request's order; state is store_prune_state_name()'s. */
struct api_prune_entry {
    char id[STORE_ID_MAX + 1];
    int state; /* enum store_prune_state */
    uint64_t blobs, variants, bytes;
};

struct api_prune_answer {
    int dry_run;
    struct api_prune_entry *releases; /* n entries */
    size_t n;
    struct store_prune_totals tot;
};

/* Encodes a (releases and totals as store_prune() reported them). Returns
 * malloc'd text (caller frees) and *len, or NULL on allocation failure, an
 * invalid id or an unknown state. */
char *api_prune_answer_encode(const struct api_prune_answer *a, size_t *len);

/* Strictly decodes an answer from body[0..len): every member above of the
 * right type (counts integers >= 0), every entry a valid id and a known
 * state, and pruned/already/absent equal to the number of entries in each
 * state. Unknown members are ignored. Returns 0 and fills *out (its
 * releases are malloc'd: free with api_prune_answer_free), or -1 with a
 * one-line reason in why (out untouched). */
int api_prune_answer_decode(const char *body, size_t len, struct api_prune_answer *out, char *why,
                            size_t why_size);
/* Frees what api_prune_answer_decode() allocated; NULL or zeroed is a no-op. */
void api_prune_answer_free(struct api_prune_answer *a);

/* ------------------------------------------------------------------ */
/* GET /v1/tombstones?after=<id>&limit=N (api_prune.c)                  */

/* {"tombstones":[{"id":"<id>","pruned":<unix s>},...],"next":"<id>"|null}
 * in id order; next (the last id, when the page is full) is what to pass
 * as after for the next page. The encoder is api_list_begin("tombstones"),
 * api_tombstone_list_add() per tombstone, then api_tombstone_list_end(). */

/* Appends one tombstone. Returns 0 or -1 (allocation failure: the list is
 * then unusable; api_tombstone_list_end() returns NULL). */
int api_tombstone_list_add(struct api_list *l, const char *id, size_t id_len, int64_t pruned);
/* Ends the answer: "next" is the last id appended when more is non-zero,
 * else null. Frees l. Returns the malloc'd text (caller frees) and *len, or
 * NULL if any append or this call failed. */
char *api_tombstone_list_end(struct api_list *l, int more, size_t *len);

/* A decoded page: ids[i] point into the document this struct owns (not
 * NUL-terminated); valid until api_tombstone_page_free(). */
struct api_tombstone_page {
    struct store_id *ids; /* n entries, in the page's order */
    size_t n;
    char next[STORE_ID_MAX + 1]; /* "" when the listing ends here */
    void *doc;                   /* private */
};

/* Decodes a page from body[0..len): an object whose "tombstones" is an
 * array. Leniently, as peers always read it: an entry without a valid
 * release id is skipped, and a "next" that is not a valid id ends the
 * listing. Returns 0 and fills *out (free it with api_tombstone_page_free),
 * or -1 with a one-line reason in why (not that shape, or out of memory;
 * out untouched). */
int api_tombstone_page_decode(const char *body, size_t len, struct api_tombstone_page *out,
                              char *why, size_t why_size);
/* Frees what api_tombstone_page_decode() allocated; NULL or zeroed is a no-op. */
void api_tombstone_page_free(struct api_tombstone_page *p);

/* ------------------------------------------------------------------ */
/* Promotion (api_promote.c)                                            */

/* A promotion record (struct store_promotion, store.h) on the wire:
 *   {"generation":N,"release":"<id>","digest":"<hex>","floor":"<id>"|null,
 *    "promoted_at":<unix s>}
 * POST /v1/promotion carries one (answer: 201 recorded, 200 already the
 * current one, 409 the node holds a newer one or the floor is newer than the
 * release, 404/410 release not here or pruned, 422 digest differs or floor
 * not here, 400 malformed). GET /v1/promotion answers
 *   {"promotion":<record>|null,"history":[<record>,...]}
 * with the history newest first, its first entry the current one. */

/* Encodes p (valid ids). Returns malloc'd text (caller frees) and *len, or
 * NULL on allocation failure or an invalid id. */
char *api_promotion_encode(const struct store_promotion *p, size_t *len);

/* Strictly decodes one record from body[0..len): exactly those five
 * members, generation and promoted_at integers >= 1, valid ids, 64 hex.
 * Returns 0 and fills *out, or -1 with a one-line reason (out untouched). */
int api_promotion_decode(const char *body, size_t len, struct store_promotion *out, char *why,
                         size_t why_size);

/* Encodes the GET answer for hist[0..n) (newest first; n 0: never
 * promoted). Returns malloc'd text (caller frees), or NULL. */
char *api_promotion_state_encode(const struct store_promotion *hist, size_t n, size_t *len);

/* Strictly decodes a GET answer into hist[0..max) (newest first; more are
 * checked but not kept) and *n: every record decodes, the history is in
 * strictly descending store_promotion_cmp order and starts with the
 * current one (null with an empty history). Returns 0, or -1 with why. */
int api_promotion_state_decode(const char *body, size_t len, struct store_promotion *hist,
                               size_t max, size_t *n, char *why, size_t why_size);

/* The public release document of p, exactly:
 *   {"live":"<id>","digest":"<hex>","floor":"<id>"|null,
 *    "promoted_at":"YYYY-MM-DDTHH:MM:SSZ"}
 * (compact, members in that order, promoted_at in UTC, RFC 3339), into
 * out[0..cap) NUL-terminated with its length in *len, and its strong ETag
 * ("rel-" and 32 hex of the document's SHA-256, quoted) into etag. The same
 * record gives the same bytes on every node. Returns 0, or -1 (cap too
 * small, out of memory, a time gmtime cannot represent). */
#define API_RELEASE_DOC_ETAG_LEN 38
int api_release_doc(const struct store_promotion *p, char *out, size_t cap, size_t *len,
                    char etag[API_RELEASE_DOC_ETAG_LEN + 1]);

/* ------------------------------------------------------------------ */
/* POST /v1/fetch (api_fetch.c)                                         */

/* The seed push (`origin-ingest push --seed-nodes K`). The request
 *   {"from":["<admin URL>",...],"digests":["<hex>",...],"sizes":[N,...],
 *    "variants":[["gzip","br"],[],...]}
 * ("sizes" optional: each digest's blob size, the most bytes the node takes
 * for it and what it sizes its batches by; "variants" optional: the
 * variants to fetch with each blob, without it every variant is asked for
 * and a 404 means none; each as many entries as digests) asks a node to pull the listed blobs it
 * lacks from the named nodes' admin APIs (tried in the order given; a blob one source cannot give
 * is asked of the next), with each blob's stored variants, exactly as a catch-up pass does: every
 * byte re-hashed, every variant decoded, stored in batches. The node answers once all it got is
 * committed:
 *   {"fetched":n,"variants":n,"bytes":n,"present":n,"bad":n,
 *    "missing":["<hex>",...]}
 * fetched/variants/bytes: blobs, variants and their bytes stored now;
 * present: listed digests the node already held; bad: transfers refused
 * because the bytes did not verify; missing: the listed digests the node
 * still lacks (none of the sources could give them), in request order. */

/* Most sources one request may name, most digests, longest source URL. */
#define API_FETCH_SOURCES_MAX 16
#define API_FETCH_DIGESTS_MAX 1000000
#define API_FETCH_URL_MAX     1024

/* 1 if url[0..len) may name a source: http:// or https:// and a host, at
 * most API_FETCH_URL_MAX bytes, no space, control or non-ASCII byte, no
 * '?', '#' or '\\'; 0 otherwise. */
int api_fetch_url_valid(const char *url, size_t len);

/* Encodes the request for from[0..nfrom) (NUL-terminated URLs, 1 to
 * API_FETCH_SOURCES_MAX, each api_fetch_url_valid), digests[0..n),
 * sizes[0..n) (NULL: no "sizes" member) and variants[0..n) (masks of
 * 1 << STORE_ENC_*; NULL: no "variants" member). Returns malloc'd text
 * (caller frees) and *len, or NULL on allocation failure or an invalid
 * source. */
char *api_fetch_request_encode(const char *const *from, size_t nfrom,
                               const unsigned char (*digests)[STORE_DIGEST_LEN],
                               const uint64_t *sizes, const unsigned *variants, size_t n,
                               size_t *len);

/* A decoded request: from[i] are NUL-terminated and point into the document
 * this struct owns; digests is malloc'd. Valid until api_fetch_request_free(). */
struct api_fetch_request {
    const char **from; /* nfrom entries, in the request's order */
    size_t nfrom;
    unsigned char (*digests)[STORE_DIGEST_LEN]; /* n entries, in the request's order */
    uint64_t *sizes;                            /* n entries, or NULL: none given */
    unsigned *variants; /* n masks (1 << STORE_ENC_GZIP ...), or NULL: none given */
    size_t n;
    void *doc; /* private */
};

/* Strictly decodes a request from body[0..len): an object with exactly the
 * arrays "from" (1 to API_FETCH_SOURCES_MAX valid URLs) and "digests" (64
 * hex digits each; repeats allowed), and optionally "sizes" (integers >= 0)
 * and "variants" (arrays of variant names: "gzip", "br"), each as many as
 * digests; no other member. Returns 0 and fills *out (free it with
 * api_fetch_request_free), or with a one-line reason in why (out
 * untouched): -1 not that shape or a bad entry (answer 400), -2 more than
 * API_FETCH_DIGESTS_MAX digests (413), -3 out of memory (500). */
int api_fetch_request_decode(const char *body, size_t len, struct api_fetch_request *out, char *why,
                             size_t why_size);
/* Frees what api_fetch_request_decode() allocated; NULL or zeroed is a no-op. */
void api_fetch_request_free(struct api_fetch_request *r);

/* The answer (see above); missing is malloc'd by the decoder. */
struct api_fetch_answer {
    uint64_t fetched, variants, bytes, present, bad;
    unsigned char (*missing)[STORE_DIGEST_LEN]; /* nmissing entries */
    size_t nmissing;
};

/* Encodes a. Returns malloc'd text (caller frees) and *len, or NULL on
 * allocation failure. */
char *api_fetch_answer_encode(const struct api_fetch_answer *a, size_t *len);

/* Strictly decodes an answer from body[0..len): every member above, counts
 * integers >= 0, every "missing" entry 64 hex digits. Unknown members are
 * ignored. Returns 0 and fills *out (free with api_fetch_answer_free), or
 * -1 with a one-line reason in why (out untouched). */
int api_fetch_answer_decode(const char *body, size_t len, struct api_fetch_answer *out, char *why,
                            size_t why_size);
/* Frees what api_fetch_answer_decode() allocated; NULL or zeroed is a no-op. */
void api_fetch_answer_free(struct api_fetch_answer *a);

#endif /* ORIGIND_API_H */
