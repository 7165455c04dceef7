/*
 * manifest.h - the asset manifest origin-ingest writes for the application,
 * and the site's files as the node API lists them.
 */
#ifndef ORIGIN_INGEST_MANIFEST_H
#define ORIGIN_INGEST_MANIFEST_H

#include "ingest.h"

enum ingest_manifest_format {
    INGEST_MANIFEST_FLAT, /* {"css/app.css": "/assets/css/app.<hash>.css"} */
    INGEST_MANIFEST_FULL, /* {"css/app.css": {"url", "sha256", "size", "type", "integrity"}} */
};

/* Writes the manifest of s to path by outfile.h's rules: "-" is stdout; a
 * symlink is written through to its target; the target is replaced
 * atomically (temporary file in its directory, fsync, rename); anything
 * but a regular file is refused. URLs are public_base (may be NULL or "",
 * a trailing '/' dropped) followed by the percent-encoded published path.
 * Keys are the source paths (relative to DIR), in walk order.
 * Returns INGEST_EXIT_OK, INGEST_EXIT_USAGE (a target refused) or
 * INGEST_EXIT_LOCAL (an I/O error); err filled on failure. */
int ingest_manifest_write(const struct ingest_site *s, const char *path,
                          enum ingest_manifest_format fmt, const char *public_base, char *err,
                          size_t errlen);

/* The text ingest_manifest_write() writes (JSON and a final newline) for s:
 * the one encoder of push --manifest-out and `origin-ingest manifest`.
 * Returns a malloc'd NUL-terminated text with *len set, or NULL (err filled). */
char *ingest_manifest_render(const struct ingest_site *s, enum ingest_manifest_format fmt,
                             const char *public_base, size_t *len, char *err, size_t errlen);

/* The SRI value "sha256-<base64>" of digest into out (at least 52 bytes). */
void ingest_sri(const unsigned char *digest, char *out, size_t outlen);

/* The first-publish time origin-ingest stamps on f: its modification time
 * at hash time, clamped to 1..now. */
int64_t ingest_file_published(const struct ingest_file *f, int64_t now);

/* Every file of s as the node API lists it: published path, digest, type,
 * and published (ingest_file_published() with now); path and type borrowed
 * from s. Returns a malloc'd array of s->nfiles entries (caller frees;
 * never NULL: exits on out of memory). */
struct store_file *ingest_site_store_files(const struct ingest_site *s, int64_t now);

/* The release digest (api.h) of every file of s (published paths, digests,
 * types). Returns 0, or -1 if a path or type cannot be listed. */
int ingest_release_digest(const struct ingest_site *s, unsigned char out[STORE_DIGEST_LEN]);

/* The release digest of the release a full manifest (--manifest-format full)
 * at path describes: each entry's url (scheme and host dropped, percent-
 * decoded) as the path, its sha256 and its type. Returns INGEST_EXIT_OK
 * with *files set to the number of entries, or INGEST_EXIT_USAGE (err
 * filled: unreadable, not a full manifest, an entry without url, sha256 or
 * type). */
int ingest_manifest_digest(const char *path, unsigned char out[STORE_DIGEST_LEN], size_t *files,
                           char *err, size_t errlen);

#endif
