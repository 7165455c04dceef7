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

#include <stdint.h>
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

/* The length of the well-formed UTF-8 character at p[0..n) if it encodes a
 * code point from U+00A0 up (not a C1 control, not overlong, not a
 * surrogate), else 0. */
static size_t utf8_printable_len(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint32_t cp;
    size_t len, k;

    if (u[0] >= 0xc2 && u[0] <= 0xdf) {
        len = 2;
        cp = u[0] & 0x1f;
    } else if (u[0] >= 0xe0 && u[0] <= 0xef) {
        len = 3;
        cp = u[0] & 0x0f;
    } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
        len = 4;
        cp = u[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (k = 1; k < len; k++) {
        if ((u[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (u[k] & 0x3f);
    }
    if (cp < 0xa0 || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return len;
}

/* Copies s[0..n) into out[0..outlen) (outlen >= 1) as text that is safe on
 * a terminal: printable ASCII and well-formed UTF-8 from U+00A0 up pass;
 * every other byte (C0 controls, DEL, C1 controls in either form, bytes
 * that are not well-formed UTF-8) becomes '?'. Stops before the first CR
 * or LF when first_line. Truncates to fit without splitting a character;
 * always NUL-terminates. */
static void printable(const char *s, size_t n, int first_line, char *out, size_t outlen)
{
    size_t i = 0, j = 0;

    while (s != NULL && i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len;

        if (first_line && (c == '\n' || c == '\r'))
            break;
        len = c >= 0x20 && c < 0x7f ? 1 : utf8_printable_len(s + i, n - i);
        if (j + (len ? len : 1) >= outlen)
            break;
        if (len == 0) {
            out[j++] = '?';
            i++;
        } else {
            memcpy(out + j, s + i, len);
            j += len;
            i += len;
        }
    }
    out[j] = '\0';
}

int api_answer_missing(const char *body, size_t len,
                       int (*fn)(void *arg, const unsigned char *digest), void *arg, char *why,
                       size_t why_size)
{
    json_t *root = load(body, len), *arr, *v;
    size_t i;
    int rc = -1;

    arr = json_is_object(root) ? json_object_get(root, "missing") : NULL;
    if (!json_is_array(arr)) {
        seterr(why, why_size, "answer is not {\"missing\": [...]}");
        goto out;
    }
    json_array_foreach(arr, i, v)
    {
        unsigned char d[STORE_DIGEST_LEN];
        int r;

        if (!json_is_string(v) ||
            store_digest_from_hex(json_string_value(v), json_string_length(v), d) != STORE_OK) {
            seterr(why, why_size, "answer lists something that is not a digest");
            goto out;
        }
        r = fn(arg, d);
        if (r != 0) {
            seterr(why, why_size, "answer lists a digest that was not asked about");
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
        char path[STORE_PATH_MAX + 1]; /* a node's bytes, made safe to print */

        if (!json_is_string(p))
            continue;
        if (json_is_string(h) && is_hex_digest(h))
            hex = json_string_value(h);
        if (fn != NULL) {
            printable(json_string_value(p), json_string_length(p), 0, path, sizeof(path));
            fn(arg, path, hex);
        }
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
    size_t n = len;
    int first_line = 1; /* the body's first line, unless "error" is a string */

    if (outlen == 0)
        goto out;
    e = json_is_object(root) ? json_object_get(root, "error") : NULL;
    if (json_is_string(e)) {
        s = json_string_value(e);
        n = json_string_length(e);
        first_line = 0;
    }
    printable(s, n, first_line, out, outlen);
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
