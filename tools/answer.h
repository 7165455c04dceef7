/*
 * answer.h - parsers for the JSON answers of an origind admin listener.
 *
 * Pure functions over (pointer, length): no I/O, no globals, safe on any
 * input (they are the surface a fuzz driver exercises). Strings handed to
 * callbacks are borrowed for the duration of the call only.
 */
#ifndef ORIGIN_INGEST_ANSWER_H
#define ORIGIN_INGEST_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* {"missing": ["<hex>", ...]}: calls fn(arg, digest) per entry, in order;
 * fn returns 0 to go on. Returns 0, or -1 (err filled) if the body is not
 * that shape or a digest is not 64 hex digits, or fn's non-zero value. */
int ingest_answer_missing(const char *body, size_t len,
                          int (*fn)(void *arg, const unsigned char *digest), void *arg, char *err,
                          size_t errlen);

/* {"error": …, "conflicts": [{"path": "/…", "sha256": "<hex>"}, ...]}:
 * calls fn per conflict (sha256 may be NULL if absent/invalid; path NUL-terminated).
 * Returns the number of conflicts found (0 if none or malformed). */
size_t ingest_answer_conflicts(const char *body, size_t len,
                               void (*fn)(void *arg, const char *path, const char *hex), void *arg);

/* {"missing": [...]} inside an error answer (422 on publish): number of
 * entries, and the first one (hex, NUL-terminated) in first (may be NULL). */
size_t ingest_answer_missing_count(const char *body, size_t len, char first[STORE_HEX_LEN + 1]);

/* The one-line reason of an error answer: its "error" member if the body is
 * a JSON object with one, else the body's first line; control characters
 * replaced, truncated to fit out (always NUL-terminated). */
void ingest_answer_error(const char *body, size_t len, char *out, size_t outlen);

/* {"created": N, "present": N} (a bundle answer). Returns 0 or -1. */
int ingest_answer_bundle(const char *body, size_t len, uint64_t *created, uint64_t *present);

/* {"id": …, "files": [{"path": …, "sha256": …, "type": …}, ...]}: calls
 * fn per file (type may be NULL). Returns 0, -1 if malformed (err filled),
 * or fn's non-zero value. */
int ingest_answer_release(const char *body, size_t len,
                          int (*fn)(void *arg, const char *path, size_t path_len,
                                    const unsigned char *digest, const char *type),
                          void *arg, char *err, size_t errlen);

#endif
