/*
 * admin_body.h - parsing of the admin API's request inputs, as pure
 * functions: the two large JSON bodies (the digest batch of POST /v1/missing
 * and the file list of PUT /v1/releases/<id>), the cursor parameters of
 * GET /v1/blobs and the record framing of POST /v1/bundle (read, and the
 * record header written: admin_bundle_header).
 *
 * Part of the node API module (api/, beside api.h, which holds the answers).
 * For: server/admin.c (which maps the results to HTTP answers),
 * tools/upload.c (which writes bundle records), the unit
 * tests (tests/unit/test_admin_body.c) and the fuzz drivers
 * (tests/fuzz/fuzz_missing_body.c, fuzz_release_body.c, fuzz_list_params.c,
 * fuzz_bundle.c).
 * Not for: HTTP, store calls or anything libmicrohttpd; no MHD type here.
 *
 * Each parser first tries a hand-written scanner for the canonical compact
 * form origin-ingest sends (no whitespace, one key order, no escapes,
 * printable ASCII only) and falls back to jansson for any other body. The
 * scanner accepts only bodies where it yields exactly what jansson yields,
 * so accept/reject decisions and results do not depend on which path ran.
 *
 * Thread-safety: every function is reentrant (no shared state).
 */
#ifndef ORIGIND_ADMIN_BODY_H
#define ORIGIND_ADMIN_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* The most digests one POST /v1/missing may carry. */
#define ADMIN_MISSING_MAX 1000000

/* Room for any reason an admin_parse_* function writes (NUL included). */
#define ADMIN_WHY_MAX 96

/* Results of the admin_parse_* functions. */
enum admin_body_err {
    ADMIN_BODY_OK = 0,
    ADMIN_BODY_EINVAL,  /* not the documented shape (HTTP 400) */
    ADMIN_BODY_ETOOBIG, /* more entries than allowed (HTTP 413) */
    ADMIN_BODY_ENOMEM,  /* allocation failed (HTTP 500) */
};

/* A static one-line description of err. */
const char *admin_body_strerror(int err);

/* Parses {"digests": ["<64 hex>", ...]} from body[0..len) (need not be
 * NUL-terminated). At most max digests are accepted (the server passes
 * ADMIN_MISSING_MAX).
 *
 * Returns ADMIN_BODY_OK and sets *digests to a malloc'd array of *n digests
 * in request order (caller frees; non-NULL even when *n == 0), or
 *   ADMIN_BODY_EINVAL  not an object with a "digests" array, or an entry is
 *                      not a string of 64 hex digits;
 *   ADMIN_BODY_ETOOBIG more than max entries;
 *   ADMIN_BODY_ENOMEM  out of memory.
 * On error *digests and *n are untouched and, if why is not NULL, a
 * NUL-terminated one-line reason (the text of the HTTP error answer) is
 * written into why[0..why_size). */
int admin_parse_missing(const char *body, size_t len, size_t max,
                        unsigned char (**digests)[STORE_DIGEST_LEN], size_t *n, char *why,
                        size_t why_size);

/* A parsed release body. files[i].path and .type are not NUL-terminated;
 * they point into the body passed to admin_parse_release() or into a
 * jansson document owned by this struct, so they are valid while that body
 * is and until admin_release_free(). */
struct admin_release {
    struct store_file *files; /* n entries in request order */
    size_t n;
    void *doc; /* private: the jansson document, or NULL */
};

/* The largest "published" time accepted (unix seconds, year 2500). */
#define ADMIN_PUBLISHED_MAX 16725225600LL

/* Parses {"files": [{"path": "..", "sha256": "<64 hex>", "type": "..",
 * "published": N}, ...]} from body[0..len) (need not be NUL-terminated);
 * "published" (the path's first publish time in the fleet, stamped by
 * origin-ingest, 1..ADMIN_PUBLISHED_MAX) is optional and 0 in the result
 * when absent. Only the shape and the digests are checked here; paths and
 * types are validated by store_publish.
 *
 * Returns ADMIN_BODY_OK and fills *out (release it with admin_release_free),
 * or
 *   ADMIN_BODY_EINVAL  not an object with a "files" array, or an entry lacks
 *                      a string path, a 64-hex sha256 or a string type;
 *   ADMIN_BODY_ENOMEM  out of memory.
 * On error *out is untouched and, if why is not NULL, a one-line reason is
 * written into why[0..why_size) as for admin_parse_missing(). */
int admin_parse_release(const char *body, size_t len, struct admin_release *out, char *why,
                        size_t why_size);

/* Frees what admin_parse_release() allocated and zeroes *rel; NULL and a
 * zeroed struct are no-ops. */
void admin_release_free(struct admin_release *rel);

/* ------------------------------------------------------------------ */
/* GET /v1/blobs?after=<hex>&limit=N                                    */

#define ADMIN_LIST_LIMIT_MAX 10000 /* largest accepted limit */
#define ADMIN_LIST_LIMIT_DEF 1000  /* limit when none is given */

/* Checks the (already unescaped) query arguments after and limit, either of
 * which may be NULL (absent). An absent or empty after means "from the
 * start"; otherwise it must be 64 hex digits. limit, if present, must be a
 * decimal number (as strtoul reads it) in 1..ADMIN_LIST_LIMIT_MAX.
 *
 * Returns ADMIN_BODY_OK and sets *has_after (1 with after_digest filled, or
 * 0) and *limit_out (ADMIN_LIST_LIMIT_DEF when limit is absent), or
 * ADMIN_BODY_EINVAL (HTTP 400) with the reason in why[0..why_size) if why is
 * not NULL; outputs are then unspecified. */
int admin_parse_list_params(const char *after, const char *limit,
                            unsigned char after_digest[STORE_DIGEST_LEN], int *has_after,
                            size_t *limit_out, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* POST /v1/bundle: records kind(1) | sha256(32) | length(8, BE) | bytes */

#define ADMIN_BUNDLE_HDR_LEN (1 + STORE_DIGEST_LEN + 8)

/* Writes the header of a record of kind (enum store_encoding), digest and
 * len payload bytes into out: what origin-ingest streams before each
 * payload. Never fails. */
void admin_bundle_header(unsigned kind, const unsigned char digest[STORE_DIGEST_LEN], uint64_t len,
                         unsigned char out[ADMIN_BUNDLE_HDR_LEN]);

/* One bundle record; digest and data point into the body. */
struct admin_bundle_record {
    unsigned kind;               /* enum store_encoding, < STORE_ENC_COUNT */
    const unsigned char *digest; /* STORE_DIGEST_LEN bytes */
    const unsigned char *data;   /* len bytes */
    size_t len;
    uint64_t index; /* the record's number in the bundle, from 0 */
};

/* Reads the record at *off of body[0..len). Start with *off = 0 and pass
 * the same *rec back on every call (its index numbers the next record; it
 * is not read when *off == 0).
 *
 * Returns 1 with *rec filled and *off moved past the record; 0 when
 * *off == len (no record left; a zero-length body has none); or -1
 * (HTTP 400) when the record at *off has a truncated header, an unknown
 * kind, or announces more bytes than the body has left, with the reason in
 * why[0..why_size) if why is not NULL. Never reads outside body[0..len).
 * Size limits on rec->len are the caller's (413). */
int admin_bundle_next(const unsigned char *body, size_t len, size_t *off,
                      struct admin_bundle_record *rec, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* Internal, exposed for the differential fuzz drivers and unit tests.  */

/* The canonical-form scanners alone. Return 0 and set *digests / *files
 * (malloc'd, caller frees; release paths and types point into body) and *n,
 * or -1 when the body is not in canonical form (or on allocation failure, or
 * for missing when it could hold more than max digests), touching nothing. */
int admin_parse_missing_fast(const char *body, size_t len, size_t max,
                             unsigned char (**digests)[STORE_DIGEST_LEN], size_t *n);
int admin_parse_release_fast(const char *body, size_t len, struct store_file **files, size_t *n);

/* The jansson parsers alone; same contract as admin_parse_missing() and
 * admin_parse_release(). */
int admin_parse_missing_json(const char *body, size_t len, size_t max,
                             unsigned char (**digests)[STORE_DIGEST_LEN], size_t *n, char *why,
                             size_t why_size);
int admin_parse_release_json(const char *body, size_t len, struct admin_release *out, char *why,
                             size_t why_size);

#endif
