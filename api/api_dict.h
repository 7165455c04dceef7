/*
 * api_dict.h - which published files are versions of one another, for
 * dictionary transport (RFC 9842): the rule origin-ingest push uses to find
 * "the same source file" in earlier releases and the node uses to write
 * Use-As-Dictionary, in one place so the two can never disagree.
 *
 * A file's family is its published path with its version token replaced by
 * '*': origind's own hashed names ("dir/app.3f2a9c1e5b7d0a41.css" ->
 * "dir/app.*.css"; any 8 to 64 lower-case hex digits between dots, the last
 * such part of the base name), else a bundler's "name-<hash>.ext"
 * ("assets/index-DiwrgTda.js" -> "assets/index-*.js": 8 to 64 characters
 * of [A-Za-z0-9_] after the base name's last '-', before its first '.',
 * holding at least one digit or upper-case letter). A path with neither has
 * no family (it is not versioned by name) and never takes part.
 *
 * Pure functions over (pointer, length); no allocation.
 */
#ifndef ORIGIND_API_DICT_H
#define ORIGIND_API_DICT_H

#include <stddef.h>

/* Room for any Use-As-Dictionary value api_dict_header() writes. */
#define API_DICT_HEADER_MAX 2200

/* Writes the family of path[0..len) into out[0..cap) as a URLPattern
 * pathname (the version token as '*', the pattern syntax characters
 * "():*+\\{}?" of the rest escaped with '\\'), NUL-terminated. Returns its
 * length, or 0 when the path has no family, holds a byte that a URL would
 * carry percent-encoded (the pattern would not match it), or does not fit. */
size_t api_dict_family(const char *path, size_t len, char *out, size_t cap);

/* 1 if path[0..len) with Content-Type type[0..type_len) may serve as and be
 * sent as a dictionary delta: a type that changes a little per release
 * (JavaScript, CSS, wasm, JSON) and a path with a family; else 0. */
int api_dict_eligible(const char *path, size_t len, const char *type, size_t type_len);

/* Writes the Use-As-Dictionary field value for path (of Content-Type type)
 * into out[0..cap): match="<family>" as a structured-field string, and
 * match-dest=("script") for JavaScript or ("style") for CSS. Returns its
 * length, or 0 when the file is not eligible or it does not fit. */
size_t api_dict_header(const char *path, size_t len, const char *type, size_t type_len, char *out,
                       size_t cap);

#endif /* ORIGIND_API_DICT_H */
