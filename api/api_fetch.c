/*
 * api_fetch.c - the node API's seed-push exchange (see api.h, "POST
 * /v1/fetch"): the canonical encoder and strict decoder of the request
 * (which blobs to pull, from which nodes) and of its answer (what arrived,
 * what could not be got).
 *
 * For: server/admin_fetch.c (decodes the request, encodes the answer) and
 * origin-ingest's seed push (tools/seed.c encodes the request, tools/node.c
 * decodes the answer). Not for: choosing seeds or sources (tools/seed.c),
 * the pull itself (server/peer_fetch.c), or any transport.
 */
#include "api.h"
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int api_fetch_url_valid(const char *url, size_t len)
{
    size_t i, scheme;

    if (url == NULL || len > API_FETCH_URL_MAX)
        return 0;
    if (len > 7 && memcmp(url, "http://", 7) == 0)
        scheme = 7;
    else if (len > 8 && memcmp(url, "https://", 8) == 0)
        scheme = 8;
    else
        return 0;
    for (i = scheme; i < len; i++) {
        unsigned char ch = (unsigned char)url[i];

        /* no space, control byte, DEL or non-ASCII byte; no query or
         * fragment (the node appends API paths to it) */
        if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#' || ch == '\\')
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Request                                                              */

char *api_fetch_request_encode(const char *const *from, size_t nfrom,
                               const unsigned char (*digests)[STORE_DIGEST_LEN],
                               const uint64_t *sizes, const unsigned *variants, size_t n,
                               size_t *len)
{
    json_t *root = json_object(), *src = json_array(), *arr = json_array(), *sz;
    size_t i;

    if (root == NULL || src == NULL || arr == NULL || nfrom == 0 || nfrom > API_FETCH_SOURCES_MAX ||
        json_object_set_new(root, "from", src) != 0) {
        json_decref(root);
        json_decref(src);
        json_decref(arr);
        return NULL;
    }
    if (json_object_set_new(root, "digests", arr) != 0) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    for (i = 0; i < nfrom; i++) {
        if (!api_fetch_url_valid(from[i], strlen(from[i])) ||
            json_array_append_new(src, json_string(from[i])) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    for (i = 0; i < n; i++) {
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(digests[i], hex);
        if (json_array_append_new(arr, json_string(hex)) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    if (variants != NULL) {
        json_t *va = json_array();

        if (va == NULL || json_object_set_new(root, "variants", va) != 0) {
            json_decref(root);
            return NULL;
        }
        for (i = 0; i < n; i++) {
            json_t *names = json_array();
            int enc;

            if (names == NULL || json_array_append_new(va, names) != 0) {
                json_decref(root);
                return NULL;
            }
            for (enc = 1; enc < STORE_ENC_COUNT; enc++) {
                if ((variants[i] & (1u << enc)) &&
                    json_array_append_new(names, json_string(store_encoding_name(enc))) != 0) {
                    json_decref(root);
                    return NULL;
                }
            }
        }
    }
    if (sizes == NULL)
        return api__dump(root, len);
    sz = json_array();
    if (sz == NULL || json_object_set_new(root, "sizes", sz) != 0) {
        json_decref(root);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (json_array_append_new(sz, json_integer((json_int_t)sizes[i])) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return api__dump(root, len);
}

int api_fetch_request_decode(const char *body, size_t len, struct api_fetch_request *out, char *why,
                             size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *src, *arr, *sz, *e;
    const char **from = NULL;
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    uint64_t *sizes = NULL;
    unsigned *vmask = NULL;
    json_t *va;
    size_t i, nfrom, n;
    int rc = -1;

    if (!json_is_object(doc)) {
        api__why(why, why_size,
                 "body must be a JSON object {\"from\":[admin URLs],\"digests\":[hex]}");
        goto fail;
    }
    src = json_object_get(doc, "from");
    arr = json_object_get(doc, "digests");
    sz = json_object_get(doc, "sizes");
    va = json_object_get(doc, "variants");
    if (!json_is_array(src) || !json_is_array(arr) || (sz != NULL && !json_is_array(sz)) ||
        (va != NULL && !json_is_array(va)) ||
        json_object_size(doc) != 2u + (sz != NULL) + (va != NULL)) {
        api__why(why, why_size,
                 "body must be {\"from\":[admin URLs],\"digests\":[hex]} with optional "
                 "\"sizes\":[bytes] and \"variants\":[[names]]");
        goto fail;
    }
    nfrom = json_array_size(src);
    n = json_array_size(arr);
    if (nfrom == 0 || nfrom > API_FETCH_SOURCES_MAX) {
        api__why(why, why_size, "\"from\" must name 1 to %d nodes", API_FETCH_SOURCES_MAX);
        goto fail;
    }
    if (n > API_FETCH_DIGESTS_MAX) {
        api__why(why, why_size, "too many digests in one fetch (at most %d)",
                 API_FETCH_DIGESTS_MAX);
        rc = -2;
        goto fail;
    }
    if ((sz != NULL && json_array_size(sz) != n) || (va != NULL && json_array_size(va) != n)) {
        api__why(why, why_size, "\"sizes\" and \"variants\" must have one entry per digest");
        goto fail;
    }
    from = calloc(nfrom, sizeof(*from));
    digests = malloc((n > 0 ? n : 1) * sizeof(*digests));
    if (sz != NULL)
        sizes = malloc((n > 0 ? n : 1) * sizeof(*sizes));
    if (va != NULL)
        vmask = calloc(n > 0 ? n : 1, sizeof(*vmask));
    if (from == NULL || digests == NULL || (sz != NULL && sizes == NULL) ||
        (va != NULL && vmask == NULL)) {
        api__why(why, why_size, "out of memory");
        rc = -3;
        goto fail;
    }
    json_array_foreach(src, i, e)
    {
        const char *u = json_string_value(e);

        /* a "\u0000" inside would make the C string shorter than the JSON one */
        if (u == NULL || strlen(u) != json_string_length(e) ||
            !api_fetch_url_valid(u, json_string_length(e))) {
            api__why(why, why_size,
                     "every entry of \"from\" must be an http:// or https:// admin URL of at most "
                     "%d bytes, without spaces, query or fragment",
                     API_FETCH_URL_MAX);
            goto fail;
        }
        from[i] = u;
    }
    json_array_foreach(arr, i, e)
    {
        const char *h = json_string_value(e);

        if (h == NULL || store_digest_from_hex(h, json_string_length(e), digests[i]) != STORE_OK) {
            api__why(why, why_size, "every entry of \"digests\" must be 64 hex digits");
            goto fail;
        }
    }
    json_array_foreach(sz, i, e)
    {
        if (!json_is_integer(e) || json_integer_value(e) < 0) {
            api__why(why, why_size, "every entry of \"sizes\" must be an integer >= 0");
            goto fail;
        }
        if (sizes != NULL) /* always, with sz (analyzers do not see it) */
            sizes[i] = (uint64_t)json_integer_value(e);
    }
    json_array_foreach(va, i, e)
    {
        json_t *name;
        size_t k;

        if (!json_is_array(e)) {
            api__why(why, why_size, "every entry of \"variants\" must be an array of names");
            goto fail;
        }
        json_array_foreach(e, k, name)
        {
            int enc = json_is_string(name)
                          ? store_encoding_parse(json_string_value(name), json_string_length(name))
                          : -1;

            if (enc <= STORE_ENC_IDENTITY || enc >= STORE_ENC_COUNT) {
                api__why(why, why_size, "\"variants\" names an unknown encoding");
                goto fail;
            }
            if (vmask != NULL) /* always, with va */
                vmask[i] |= 1u << enc;
        }
    }
    out->from = from;
    out->nfrom = nfrom;
    out->digests = digests;
    out->sizes = sizes;
    out->variants = vmask;
    out->n = n;
    out->doc = doc;
    return 0;
fail:
    free(from);
    free(digests);
    free(sizes);
    free(vmask);
    json_decref(doc);
    return rc;
}

void api_fetch_request_free(struct api_fetch_request *r)
{
    if (r == NULL)
        return;
    free(r->from);
    free(r->digests);
    free(r->sizes);
    free(r->variants);
    json_decref(r->doc);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Answer                                                               */

char *api_fetch_answer_encode(const struct api_fetch_answer *a, size_t *len)
{
    json_t *arr = json_array(), *root;
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < a->nmissing; i++) {
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(a->missing[i], hex);
        if (json_array_append_new(arr, json_string(hex)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    root = json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "fetched", (json_int_t)a->fetched, "variants",
                     (json_int_t)a->variants, "bytes", (json_int_t)a->bytes, "present",
                     (json_int_t)a->present, "bad", (json_int_t)a->bad, "missing", arr);
    return api__dump(root, len);
}

/* A member that must be an integer >= 0. Returns 0 or -1. */
static int count_of(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int api_fetch_answer_decode(const char *body, size_t len, struct api_fetch_answer *out, char *why,
                            size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *arr = json_object_get(doc, "missing"), *e;
    struct api_fetch_answer a;
    size_t i;

    memset(&a, 0, sizeof(a));
    if (!json_is_object(doc) || !json_is_array(arr) || count_of(doc, "fetched", &a.fetched) != 0 ||
        count_of(doc, "variants", &a.variants) != 0 || count_of(doc, "bytes", &a.bytes) != 0 ||
        count_of(doc, "present", &a.present) != 0 || count_of(doc, "bad", &a.bad) != 0) {
        api__why(why, why_size,
                 "fetch answer is not {\"fetched\":n,\"variants\":n,\"bytes\":n,\"present\":n,"
                 "\"bad\":n,\"missing\":[hex]}");
        goto fail;
    }
    a.nmissing = json_array_size(arr);
    a.missing = malloc((a.nmissing > 0 ? a.nmissing : 1) * sizeof(*a.missing));
    if (a.missing == NULL) {
        api__why(why, why_size, "out of memory");
        goto fail;
    }
    json_array_foreach(arr, i, e)
    {
        const char *h = json_string_value(e);

        if (h == NULL ||
            store_digest_from_hex(h, json_string_length(e), a.missing[i]) != STORE_OK) {
            api__why(why, why_size, "fetch answer: \"missing\" entry %zu is not 64 hex digits", i);
            free(a.missing);
            goto fail;
        }
    }
    json_decref(doc);
    *out = a;
    return 0;
fail:
    json_decref(doc);
    return -1;
}

void api_fetch_answer_free(struct api_fetch_answer *a)
{
    if (a == NULL)
        return;
    free(a->missing);
    memset(a, 0, sizeof(*a));
}
