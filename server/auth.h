/*
 * auth.h - who may do what on the admin listener: the bearer tokens, their
 * scopes, their fingerprints, and rotating them without a restart.
 *
 * Three files (all read with common/secret_file.h's rules: one token a
 * line, blank lines and '#' comments ignored):
 *   --admin-token-file  tokens with full rights (uploads, publish, prune,
 *                       and everything a read token may do); several at
 *                       once allow rotation: add the new one, move the
 *                       pipeline, remove the old one;
 *   --read-token-file   tokens that may only read: listings, blobs,
 *                       releases, the missing check, status, metrics;
 *   --peer-token-file   the one token this node sends to its peers
 *                       (default: the first token of --admin-token-file).
 * auth_reload() (SIGHUP) reads them again; a file that fails to read or
 * parse leaves the previous set in force (the reason is logged).
 *
 * Only SHA-256 digests of the admin and read tokens are kept in memory. A
 * presented token is hashed and compared with every known digest with
 * CRYPTO_memcmp, without stopping at a match, so the time taken does not
 * depend on which token (if any) matched or on how much of one did.
 *
 * A token's fingerprint is the first 8 hex digits of its SHA-256: enough to
 * tell the tokens of one fleet apart in an audit line, useless for
 * guessing the token.
 *
 * Thread-safety: every function may be called from any thread; a reload
 * swaps the sets under a lock. Not for: HTTP (admin.c decides the status
 * codes) or logging requests (audit.c).
 */
#ifndef ORIGIND_AUTH_H
#define ORIGIND_AUTH_H

#include <stddef.h>

struct auth; /* opaque */

#define AUTH_FP_LEN 8 /* hex digits of a fingerprint */

/* What a presented credential may do. */
enum auth_scope {
    AUTH_SCOPE_NONE = 0, /* no valid token */
    AUTH_SCOPE_READ,     /* a --read-token-file token */
    AUTH_SCOPE_ADMIN,    /* an --admin-token-file token */
};

/* Why a request was refused, for /metrics. */
enum auth_failure {
    AUTH_FAIL_MISSING = 0, /* no Authorization header, or not "Bearer <token>" */
    AUTH_FAIL_BAD,         /* a bearer token that is no known token */
    AUTH_FAIL_SCOPE,       /* a read token on a write (403) */
    AUTH_FAIL_COUNT
};

/* The files auth_open() reads; borrowed for the life of the struct auth. */
struct auth_files {
    const char *admin; /* required */
    const char *read;  /* NULL: no read tokens */
    const char *peer;  /* NULL: send the first admin token to peers */
};

/* Reads the files (paths borrowed, must outlive *out). Returns 0 and *out
 * (free with auth_close), or -1 with the reason logged (a file that fails
 * to read or parse; some out-of-memory failures are not logged). */
int auth_open(const struct auth_files *files, struct auth **out);

/* Reads every file again. All must read and parse, else nothing changes
 * and -1 is returned (the reason logged); on success 0, and the new sets
 * are in force for every request that starts after this returns. */
int auth_reload(struct auth *a);

/* Checks an Authorization header value (NULL: absent). Returns the scope
 * of the token; for a known token fp[0..AUTH_FP_LEN] gets its fingerprint
 * (NUL-terminated), otherwise "-". For AUTH_SCOPE_NONE, *why (may be NULL)
 * says whether the token was missing or bad. Never logs. */
enum auth_scope auth_check(struct auth *a, const char *header, char fp[AUTH_FP_LEN + 1],
                           enum auth_failure *why);

/* Counts one refused request for /metrics. */
void auth_count_failure(struct auth *a, enum auth_failure why);

/* A copy of the token to send to peers. On success *tok is malloc'd (the
 * caller releases it with secret_free()), *len its length, and 0 is
 * returned; -1 on ENOMEM (*tok NULL, *len untouched). */
int auth_peer_token(struct auth *a, char **tok, size_t *len);

/* Appends origind_admin_auth_failures_total{reason=...} (Prometheus text) to
 * the malloc'd buffer *text of *len bytes, reallocating it. Returns 0, or
 * -1 on ENOMEM (*text unchanged). a may be NULL (nothing appended). */
int auth_metrics_append(struct auth *a, char **text, size_t *len);

/* Wipes and frees a. NULL is a no-op. */
void auth_close(struct auth *a);

/* Reads a file holding exactly one token or secret (common/secret_file.h's
 * rules, secret_file_read_one), logging why on failure (what names it:
 * "token", "origin secret") and warning when others may read it. On
 * success *out is malloc'd and NUL-terminated, *out_len its length (release
 * with secret_free()). Returns 0 or -1 (the value is never logged). For
 * `sync --token-file` and --origin-secret-file. */
int auth_read_secret_file(const char *path, const char *what, char **out, size_t *out_len);

#endif /* ORIGIND_AUTH_H */
