/*
 * api_internal.h - helpers the api/ files share; not part of the API (no
 * program outside api/ includes it).
 */
#ifndef ORIGIND_API_INTERNAL_H
#define ORIGIND_API_INTERNAL_H

#include <jansson.h>
#include <stddef.h>

/* Writes a one-line reason into why[0..why_size) (printf format); a NULL
 * why or a zero size is a no-op. */
void api__why(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Dumps j compactly in insertion order and takes ownership of j. Returns a
 * malloc'd NUL-terminated text (caller frees) and sets *len (may be NULL),
 * or NULL if j is NULL or on allocation failure. */
char *api__dump(json_t *j, size_t *len);

/* A growing listing (api_list_begin): root holds arr under the key; failed
 * once an append failed (api_list_end then returns NULL). */
struct api_list {
    json_t *root, *arr;
    int failed;
};

#endif /* ORIGIND_API_INTERNAL_H */
