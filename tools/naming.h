/*
 * naming.h - published paths and manifest URLs for the files of a build, and
 * back: the source path a published path was named from.
 */
#ifndef ORIGIN_INGEST_NAMING_H
#define ORIGIN_INGEST_NAMING_H

#include <stddef.h>

#include "ingest.h"

/* Hex digits of SHA-256 put into a hashed name: 16 = 64 bits. */
#define INGEST_NAME_HASH_HEX 16

/* Builds the published path of rel (a '/'-separated path under the build
 * directory) into a new string (caller frees):
 *   prefix + "/" + rel                       with keep_names
 *   prefix + "/" + dir/stem.<16 hex>.ext     otherwise: the hash goes before
 *                                            the last extension of the base name;
 *   a name without an extension, or a dotfile with no other dot
 *   (".htaccess"), or one ending in '.', gets ".<16 hex>" appended.
 * prefix is "" (root) or starts with '/' and has no trailing '/'.
 * Returns NULL (err filled) when the result is not a publishable path
 * (store_path_valid) or is not valid UTF-8 (the admin API speaks JSON). */
char *ingest_name_path(const char *prefix, const char *rel, const unsigned char *digest,
                       int keep_names, char *err, size_t errlen);

/* The inverse of ingest_name_path(): the source path (rel) that published
 * path was named from, given the file's digest, prefix and keep_names as
 * the push had them. Strips prefix + "/" and, unless keep_names, the
 * ".<16 hex>" of the digest where ingest_name_path() put it; the candidate
 * is accepted only if ingest_name_path() gives path back from it (so a
 * round trip is exact). Returns a new string (caller frees) or NULL (err
 * filled: the path is not under prefix, or has no hash segment of digest). */
char *ingest_name_source(const char *prefix, const char *path, const unsigned char *digest,
                         int keep_names, char *err, size_t errlen);

/* The order in which walk visits files: names compared byte-wise within
 * each directory, a directory's files at the directory's name (so "a/b"
 * comes before "a-c"). Returns <0, 0 or >0 like strcmp. */
int ingest_walk_order_cmp(const char *a, const char *b);

/* Normalises a --prefix value: "" and "/" mean the root; a trailing '/' is
 * dropped; a missing leading '/' is an error. Returns a new string (caller
 * frees) or NULL (err filled). */
char *ingest_name_prefix(const char *prefix, char *err, size_t errlen);

/* Percent-encodes path for use in a URL: RFC 3986 unreserved characters,
 * sub-delims, ':', '@' and '/' are kept, every other byte becomes %XX.
 * Appends to out. */
void ingest_url_encode_path(struct buf *out, const char *path, size_t len);

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int ingest_utf8_valid(const char *s, size_t len);

#endif
