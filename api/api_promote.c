/*
 * api_promote.c - the node API's promotion exchange (see api.h,
 * "Promotion"): the canonical encoder and strict decoder of a promotion
 * record, of GET /v1/promotion's answer, and the exact bytes and ETag of the
 * public release document.
 *
 * For: server/admin_promote.c (decodes the record, encodes the answer),
 * server/peer_promote.c and tools/promote.c (the other way round), and
 * server/public.c (the release document). Not for: the order of two
 * promotions (store_promotion_cmp), choosing the generation (tools/promote.c)
 * or any transport.
 */
#include "api.h"
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* The record p as a new JSON object, or NULL (out of memory, bad id). */
static json_t *record_json(const struct store_promotion *p)
{
    char hex[STORE_HEX_LEN + 1];

    if (store_id_valid(p->release, strlen(p->release)) != STORE_OK ||
        (p->floor[0] != '\0' && store_id_valid(p->floor, strlen(p->floor)) != STORE_OK))
        return NULL;
    store_digest_to_hex(p->digest, hex);
    return json_pack("{s:I,s:s,s:s,s:o,s:I}", "generation", (json_int_t)p->generation, "release",
                     p->release, "digest", hex, "floor",
                     p->floor[0] != '\0' ? json_string(p->floor) : json_null(), "promoted_at",
                     (json_int_t)p->promoted_at);
}

char *api_promotion_encode(const struct store_promotion *p, size_t *len)
{
    return api__dump(record_json(p), len);
}

/* Strictly decodes one record object o into *out. Returns 0 or -1 (why). */
static int record_decode(const json_t *o, struct store_promotion *out, char *why, size_t why_size)
{
    const json_t *gen = json_object_get(o, "generation"), *rel = json_object_get(o, "release");
    const json_t *dg = json_object_get(o, "digest"), *fl = json_object_get(o, "floor");
    const json_t *at = json_object_get(o, "promoted_at");
    struct store_promotion p;

    memset(&p, 0, sizeof(p));
    if (!json_is_object(o) || json_object_size(o) != 5 || !json_is_integer(gen) ||
        json_integer_value(gen) < 1 || !json_is_string(rel) || !json_is_string(dg) ||
        (fl == NULL || (!json_is_null(fl) && !json_is_string(fl))) || !json_is_integer(at) ||
        json_integer_value(at) < 1) {
        api__why(why, why_size,
                 "a promotion is {\"generation\":n>=1,\"release\":id,\"digest\":hex,"
                 "\"floor\":id|null,\"promoted_at\":unix s>=1}");
        return -1;
    }
    if (store_id_valid(json_string_value(rel), json_string_length(rel)) != STORE_OK ||
        (json_is_string(fl) &&
         store_id_valid(json_string_value(fl), json_string_length(fl)) != STORE_OK)) {
        api__why(why, why_size, "promotion: release and floor must be valid release ids");
        return -1;
    }
    if (store_digest_from_hex(json_string_value(dg), json_string_length(dg), p.digest) !=
        STORE_OK) {
        api__why(why, why_size, "promotion: digest must be 64 hex digits");
        return -1;
    }
    p.generation = (uint64_t)json_integer_value(gen);
    p.promoted_at = (int64_t)json_integer_value(at);
    memcpy(p.release, json_string_value(rel), json_string_length(rel) + 1);
    if (json_is_string(fl))
        memcpy(p.floor, json_string_value(fl), json_string_length(fl) + 1);
    *out = p;
    return 0;
}

int api_promotion_decode(const char *body, size_t len, struct store_promotion *out, char *why,
                         size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    int rc;

    if (doc == NULL) {
        api__why(why, why_size, "body must be a JSON promotion object");
        return -1;
    }
    rc = record_decode(doc, out, why, why_size);
    json_decref(doc);
    return rc;
}

char *api_promotion_state_encode(const struct store_promotion *hist, size_t n, size_t *len)
{
    json_t *arr = json_array(), *root;
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (json_array_append_new(arr, record_json(&hist[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    root = json_pack("{s:o,s:o}", "promotion", n > 0 ? record_json(&hist[0]) : json_null(),
                     "history", arr);
    return api__dump(root, len);
}

int api_promotion_state_decode(const char *body, size_t len, struct store_promotion *hist,
                               size_t max, size_t *n, char *why, size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *cur = json_object_get(doc, "promotion"), *arr = json_object_get(doc, "history"), *e;
    struct store_promotion first, prev;
    size_t i, got = 0;
    int rc = -1;

    if (!json_is_object(doc) || cur == NULL || !json_is_array(arr)) {
        api__why(why, why_size, "promotion answer is not {\"promotion\":..,\"history\":[..]}");
        goto out;
    }
    if (json_is_null(cur) != (json_array_size(arr) == 0)) {
        api__why(why, why_size, "promotion answer: current and history disagree");
        goto out;
    }
    if (!json_is_null(cur) && record_decode(cur, &first, why, why_size) != 0)
        goto out;
    json_array_foreach(arr, i, e)
    {
        struct store_promotion p;

        if (record_decode(e, &p, why, why_size) != 0)
            goto out;
        if (i == 0 && store_promotion_cmp(&p, &first) != 0) {
            api__why(why, why_size, "promotion answer: history does not start with the current");
            goto out;
        }
        if (i > 0 && store_promotion_cmp(&p, &prev) >= 0) {
            api__why(why, why_size, "promotion answer: history is not newest first");
            goto out;
        }
        prev = p;
        if (got < max)
            hist[got++] = p;
    }
    *n = got;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

int api_release_doc(const struct store_promotion *p, char *out, size_t cap, size_t *len,
                    char etag[API_RELEASE_DOC_ETAG_LEN + 1])
{
    char hex[STORE_HEX_LEN + 1], at[32];
    unsigned char d[STORE_DIGEST_LEN];
    time_t t = (time_t)p->promoted_at;
    struct tm tm;
    char *text;
    size_t n;
    json_t *j;

    if (gmtime_r(&t, &tm) == NULL || strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return -1;
    store_digest_to_hex(p->digest, hex);
    j = json_pack("{s:s,s:s,s:o,s:s}", "live", p->release, "digest", hex, "floor",
                  p->floor[0] != '\0' ? json_string(p->floor) : json_null(), "promoted_at", at);
    text = api__dump(j, &n);
    if (text == NULL)
        return -1;
    if (n >= cap) {
        free(text);
        return -1;
    }
    memcpy(out, text, n + 1);
    free(text);
    *len = n;
    store_sha256(out, n, d);
    store_digest_to_hex(d, hex);
    snprintf(etag, API_RELEASE_DOC_ETAG_LEN + 1, "\"rel-%.32s\"", hex);
    return 0;
}
