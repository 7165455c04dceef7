/*
 * api_answer.c - reads the short answers of an origind admin listener
 * (JSON, jansson): the missing list, bundle counts, conflict and error
 * details (see api.h).
 *
 * For: origin-ingest (tools/node.c) and anything else reading those
 * answers. Everything is bounded by the given length and never trusts the
 * body's shape. Not for: releases and listings (strict, in api.c), HTTP,
 * or deciding what an answer means for an exit code.
 */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static void seterr(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

static json_t *load(const char *body, size_t len)
{
    if (body == NULL || len == 0)
        return NULL;
    return json_loadb(body, len, 0, NULL);
}

/* 1 if v is a string of 64 hex digits (what callers may print as a digest:
 * a node must not get control characters onto the user's terminal). */
static int is_hex_digest(const json_t *v)
{
    unsigned char d[STORE_DIGEST_LEN];

    return store_digest_from_hex(json_string_value(v), json_string_length(v), d) == STORE_OK;
}

int api_answer_missing(const char *body, size_t len,
                       int (*fn)(void *arg, const unsigned char *digest), void *arg, char *err,
                       size_t errlen)
{
    json_t *root = load(body, len), *arr, *v;
    size_t i;
    int rc = -1;

    arr = json_is_object(root) ? json_object_get(root, "missing") : NULL;
    if (!json_is_array(arr)) {
        seterr(err, errlen, "answer is not {\"missing\": [...]}");
        goto out;
    }
    json_array_foreach(arr, i, v)
    {
        unsigned char d[STORE_DIGEST_LEN];
        int r;

        if (!json_is_string(v) ||
            store_digest_from_hex(json_string_value(v), json_string_length(v), d) != STORE_OK) {
            seterr(err, errlen, "answer lists something that is not a digest");
            goto out;
        }
        r = fn(arg, d);
        if (r != 0) {
            seterr(err, errlen, "answer lists a digest that was not asked about");
            rc = r;
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

size_t api_answer_conflicts(const char *body, size_t len,
                            void (*fn)(void *arg, const char *path, const char *hex), void *arg)
{
    json_t *root = load(body, len), *arr, *v;
    size_t i, n = 0;

    arr = json_is_object(root) ? json_object_get(root, "conflicts") : NULL;
    if (!json_is_array(arr))
        goto out;
    json_array_foreach(arr, i, v)
    {
        json_t *p = json_object_get(v, "path"), *h = json_object_get(v, "sha256");
        const char *hex = NULL;

        if (!json_is_string(p))
            continue;
        if (json_is_string(h) && is_hex_digest(h))
            hex = json_string_value(h);
        if (fn != NULL)
            fn(arg, json_string_value(p), hex);
        n++;
    }
out:
    json_decref(root);
    return n;
}

size_t api_answer_missing_count(const char *body, size_t len, char first[STORE_HEX_LEN + 1])
{
    json_t *root = load(body, len), *arr, *v;
    size_t n = 0;

    if (first != NULL)
        first[0] = '\0';
    arr = json_is_object(root) ? json_object_get(root, "missing") : NULL;
    if (!json_is_array(arr))
        goto out;
    n = json_array_size(arr);
    v = json_array_get(arr, 0);
    if (first != NULL && json_is_string(v) && is_hex_digest(v))
        memcpy(first, json_string_value(v), STORE_HEX_LEN + 1);
out:
    json_decref(root);
    return n;
}

void api_answer_error(const char *body, size_t len, char *out, size_t outlen)
{
    json_t *root = load(body, len), *e;
    const char *s = body;
    size_t n = len, i, j = 0;
    int first_line = 1; /* the body's first line, unless "error" is a string */

    if (outlen == 0)
        goto out;
    e = json_is_object(root) ? json_object_get(root, "error") : NULL;
    if (json_is_string(e)) {
        s = json_string_value(e);
        n = json_string_length(e);
        first_line = 0;
    }
    for (i = 0; s != NULL && i < n && j + 1 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];

        if (first_line && (c == '\n' || c == '\r'))
            break;
        out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[j] = '\0';
out:
    json_decref(root);
}

int api_answer_bundle(const char *body, size_t len, uint64_t *created, uint64_t *present)
{
    json_t *root = load(body, len), *c, *p;
    int rc = -1;

    if (!json_is_object(root))
        goto out;
    c = json_object_get(root, "created");
    p = json_object_get(root, "present");
    if (!json_is_integer(c) || !json_is_integer(p) || json_integer_value(c) < 0 ||
        json_integer_value(p) < 0)
        goto out;
    *created = (uint64_t)json_integer_value(c);
    *present = (uint64_t)json_integer_value(p);
    rc = 0;
out:
    json_decref(root);
    return rc;
}
