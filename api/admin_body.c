/*
 * admin_body.c - parsing of the admin API's two large JSON bodies
 * ({"digests":[...]} and {"files":[...]}) into digests and store_file
 * entries, with a fast scanner for the canonical form and jansson for the
 * rest; the GET /v1/blobs cursor parameters; the POST /v1/bundle record
 * framing, read and written (contract in admin_body.h).
 *
 * Not for: HTTP answers, store calls, anything libmicrohttpd (admin.c).
 */
#include "admin_body.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *admin_body_strerror(int err)
{
    switch (err) {
    case ADMIN_BODY_OK:
        return "ok";
    case ADMIN_BODY_EINVAL:
        return "malformed body";
    case ADMIN_BODY_ETOOBIG:
        return "too many entries";
    case ADMIN_BODY_ENOMEM:
        return "out of memory";
    default:
        return "unknown error";
    }
}

static void set_why(char *why, size_t why_size, const char *msg)
{
    if (why != NULL && why_size > 0)
        snprintf(why, why_size, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Fast paths                                                           */

/* origin-ingest sends {"digests":[...]} and {"files":[{...},...]} compact,
 * without escapes and in one key order; parsing 20,000 entries of those
 * with jansson (an object, three keys and three strings allocated per
 * entry) was most of a node's time on an unchanged re-push. Measured:
 *   - `perf` of a node during `tests/bench/bench-ingest.sh` (RESULTS.md,
 *     "2026-11-27T20:41Z (perf pass)"): jansson and malloc were 73% of its
 *     CPU; with the scanners the publish of 20,000 files went from 520-670
 *     to 120-133 ms, the missing check of 5,000 from 36-42 to 11-13 ms;
 *   - `build/bin/bench_admin_body 20000 50` (tests/bench/bench_admin_body.c;
 *     2026-12-07, 2 shared cores, load 5.9, RelWithDebInfo): ms per 20,000-
 *     entry body, scanner vs jansson: missing 3.3 vs 47 (14x), release 3.3
 *     vs 123 (37x).
 * The scanners
 * below accept only that canonical subset, where they give exactly what
 * jansson gives (checked by the fuzz drivers' differential property); any
 * other body (whitespace, another key order, escapes, non-ASCII, a bad
 * digest, anything unexpected) makes them return -1 and the caller parses
 * it with jansson, with the same answers. */

/* Expects the literal lit at *p; advances past it. */
static int scan_lit(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return -1;
    *p += n;
    return 0;
}

/* A JSON string of printable ASCII without escapes: sets s/len to its
 * contents (not NUL-terminated) and advances past the closing quote. */
static int scan_plain_string(const char **p, const char *end, const char **s, size_t *len)
{
    const char *q = *p;

    if (q >= end || *q != '"')
        return -1;
    q++;
    *s = q;
    while (q < end && *q != '"') {
        unsigned char ch = (unsigned char)*q;

        if (ch < 0x20 || ch > 0x7e || ch == '\\')
            return -1;
        q++;
    }
    if (q >= end)
        return -1;
    *len = (size_t)(q - *s);
    *p = q + 1;
    return 0;
}

/* An optional ,"published":N member (N: 1..ADMIN_PUBLISHED_MAX, plain
 * decimal digits, no leading zero): sets *v (0 when absent). */
static int scan_published(const char **p, const char *end, int64_t *v)
{
    const char *q;
    int64_t n = 0;

    *v = 0;
    if (scan_lit(p, end, ",\"published\":", 13) != 0)
        return 0; /* absent */
    q = *p;
    if (q >= end || *q < '1' || *q > '9')
        return -1;
    while (q < end && *q >= '0' && *q <= '9') {
        n = n * 10 + (*q - '0');
        if (n > ADMIN_PUBLISHED_MAX)
            return -1;
        q++;
    }
    *p = q;
    *v = n;
    return 0;
}

/* The entries of a canonical array, from p (just past its '[') to the
 * closing "]}" that must end the body at end: entry(&p, end, out, i) scans
 * entry i (at most cap of them) and returns 0, or -1 when it is not
 * canonical. Returns 0 with their number in *n, or -1. */
static int scan_entries(const char *p, const char *end, size_t cap,
                        int (*entry)(const char **p, const char *end, void *out, size_t i),
                        void *out, size_t *n)
{
    size_t i = 0;

    if (p >= end || *p != ']') {
        for (;;) {
            if (i == cap || entry(&p, end, out, i) != 0)
                return -1;
            i++;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            break;
        }
    }
    if (scan_lit(&p, end, "]}", 2) != 0 || p != end)
        return -1;
    *n = i;
    return 0;
}

/* One entry of {"digests":[...]}: "<64 hex>". */
static int scan_digest(const char **p, const char *end, void *out, size_t i)
{
    unsigned char(*d)[STORE_DIGEST_LEN] = out;
    const char *s;
    size_t sl;

    if (scan_plain_string(p, end, &s, &sl) != 0 || store_digest_from_hex(s, sl, d[i]) != STORE_OK)
        return -1;
    return 0;
}

int admin_parse_missing_fast(const char *body, size_t len, size_t max,
                             unsigned char (**digests)[STORE_DIGEST_LEN], size_t *nout)
{
    const char *p = body, *end = body + len;
    unsigned char(*d)[STORE_DIGEST_LEN];
    size_t cap;

    if (scan_lit(&p, end, "{\"digests\":[", 12) != 0)
        return -1;
    cap = len / (STORE_HEX_LEN + 3) + 1; /* each entry takes at least 67 bytes */
    if (cap > max)
        return -1; /* let the general path answer 413 */
    d = malloc(cap * sizeof(*d));
    if (d == NULL)
        return -1;
    if (scan_entries(p, end, cap, scan_digest, d, nout) != 0) {
        free(d);
        return -1;
    }
    *digests = d;
    return 0;
}

/* One entry of {"files":[...]}: {"path":..,"sha256":..,"type":..} with an
 * optional "published" before its '}'. */
static int scan_file(const char **p, const char *end, void *out, size_t i)
{
    struct store_file *f = (struct store_file *)out + i;
    const char *h;
    size_t hl;

    if (scan_lit(p, end, "{\"path\":", 8) != 0 ||
        scan_plain_string(p, end, &f->path, &f->path_len) != 0 ||
        scan_lit(p, end, ",\"sha256\":", 10) != 0 || scan_plain_string(p, end, &h, &hl) != 0 ||
        store_digest_from_hex(h, hl, f->digest) != STORE_OK ||
        scan_lit(p, end, ",\"type\":", 8) != 0 ||
        scan_plain_string(p, end, &f->type, &f->type_len) != 0 ||
        scan_published(p, end, &f->published) != 0 || scan_lit(p, end, "}", 1) != 0)
        return -1;
    return 0;
}

int admin_parse_release_fast(const char *body, size_t len, struct store_file **files, size_t *nout)
{
    const char *p = body, *end = body + len;
    struct store_file *f;
    size_t cap;

    if (scan_lit(&p, end, "{\"files\":[", 10) != 0)
        return -1;
    cap = len / 40 + 1; /* each entry takes more than 100 bytes */
    f = malloc(cap * sizeof(*f));
    if (f == NULL)
        return -1;
    if (scan_entries(p, end, cap, scan_file, f, nout) != 0) {
        free(f);
        return -1;
    }
    *files = f;
    return 0;
}

/* ------------------------------------------------------------------ */
/* General paths (jansson)                                              */

int admin_parse_missing_json(const char *body, size_t len, size_t max,
                             unsigned char (**digests)[STORE_DIGEST_LEN], size_t *nout, char *why,
                             size_t why_size)
{
    json_error_t jerr;
    json_t *doc, *arr, *v;
    unsigned char(*d)[STORE_DIGEST_LEN] = NULL;
    size_t n = 0, i;
    int ret;

    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    arr = doc != NULL ? json_object_get(doc, "digests") : NULL;
    if (!json_is_array(arr)) {
        set_why(why, why_size, "body must be {\"digests\": [\"<hex>\", ...]}");
        ret = ADMIN_BODY_EINVAL;
        goto out;
    }
    n = json_array_size(arr);
    if (n > max) {
        if (why != NULL && why_size > 0)
            snprintf(why, why_size, "at most %zu digests per request", max);
        ret = ADMIN_BODY_ETOOBIG;
        goto out;
    }
    d = malloc((n > 0 ? n : 1) * sizeof(*d));
    if (d == NULL) {
        set_why(why, why_size, "out of memory");
        ret = ADMIN_BODY_ENOMEM;
        goto out;
    }
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) ||
            store_digest_from_hex(json_string_value(v), json_string_length(v), d[i]) != STORE_OK) {
            if (why != NULL && why_size > 0)
                snprintf(why, why_size, "digests[%zu] is not 64 hex digits", i);
            ret = ADMIN_BODY_EINVAL;
            goto out;
        }
    }
    *digests = d;
    *nout = n;
    d = NULL;
    ret = ADMIN_BODY_OK;
out:
    json_decref(doc);
    free(d);
    return ret;
}

int admin_parse_missing(const char *body, size_t len, size_t max,
                        unsigned char (**digests)[STORE_DIGEST_LEN], size_t *n, char *why,
                        size_t why_size)
{
    if (admin_parse_missing_fast(body, len, max, digests, n) == 0)
        return ADMIN_BODY_OK;
    return admin_parse_missing_json(body, len, max, digests, n, why, why_size);
}

int admin_parse_release_json(const char *body, size_t len, struct admin_release *out, char *why,
                             size_t why_size)
{
    json_error_t jerr;
    json_t *doc, *files, *f;
    struct store_file *sf = NULL;
    size_t n = 0, i;
    int ret;

    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    files = doc != NULL ? json_object_get(doc, "files") : NULL;
    if (!json_is_array(files)) {
        set_why(why, why_size, "body must be {\"files\": [{\"path\", \"sha256\", \"type\"}]}");
        ret = ADMIN_BODY_EINVAL;
        goto out;
    }
    n = json_array_size(files);
    sf = calloc(n > 0 ? n : 1, sizeof(*sf));
    if (sf == NULL) {
        set_why(why, why_size, "out of memory");
        ret = ADMIN_BODY_ENOMEM;
        goto out;
    }
    json_array_foreach(files, i, f)
    {
        json_t *p = json_object_get(f, "path"), *h = json_object_get(f, "sha256"),
               *ty = json_object_get(f, "type"), *pub = json_object_get(f, "published");

        if (pub != NULL && (!json_is_integer(pub) || json_integer_value(pub) < 1 ||
                            json_integer_value(pub) > ADMIN_PUBLISHED_MAX)) {
            if (why != NULL && why_size > 0)
                snprintf(why, why_size, "files[%zu].published must be unix seconds >= 1", i);
            ret = ADMIN_BODY_EINVAL;
            goto out;
        }
        sf[i].published = pub != NULL ? (int64_t)json_integer_value(pub) : 0;
        if (!json_is_string(p) || !json_is_string(h) || !json_is_string(ty) ||
            store_digest_from_hex(json_string_value(h), json_string_length(h), sf[i].digest) !=
                STORE_OK) {
            if (why != NULL && why_size > 0)
                snprintf(why, why_size, "files[%zu] needs string path, sha256 (64 hex) and type",
                         i);
            ret = ADMIN_BODY_EINVAL;
            goto out;
        }
        sf[i].path = json_string_value(p);
        sf[i].path_len = json_string_length(p);
        sf[i].type = json_string_value(ty);
        sf[i].type_len = json_string_length(ty);
    }
    out->files = sf;
    out->n = n;
    out->doc = doc;
    sf = NULL;
    doc = NULL;
    ret = ADMIN_BODY_OK;
out:
    json_decref(doc);
    free(sf);
    return ret;
}

int admin_parse_release(const char *body, size_t len, struct admin_release *out, char *why,
                        size_t why_size)
{
    struct store_file *sf;
    size_t n;

    if (admin_parse_release_fast(body, len, &sf, &n) == 0) {
        out->files = sf;
        out->n = n;
        out->doc = NULL;
        return ADMIN_BODY_OK;
    }
    return admin_parse_release_json(body, len, out, why, why_size);
}

void admin_release_free(struct admin_release *rel)
{
    if (rel == NULL)
        return;
    free(rel->files);
    json_decref(rel->doc);
    rel->files = NULL;
    rel->n = 0;
    rel->doc = NULL;
}

/* ------------------------------------------------------------------ */
/* GET /v1/blobs parameters                                             */

int admin_parse_list_params(const char *after, const char *limit,
                            unsigned char after_digest[STORE_DIGEST_LEN], int *has_after,
                            size_t *limit_out, char *why, size_t why_size)
{
    unsigned long l = ADMIN_LIST_LIMIT_DEF;

    *has_after = 0;
    if (after != NULL && after[0] != '\0') {
        if (store_digest_from_hex(after, strlen(after), after_digest) != STORE_OK) {
            set_why(why, why_size, "after must be 64 hex digits");
            return ADMIN_BODY_EINVAL;
        }
        *has_after = 1;
    }
    if (limit != NULL) {
        char *end;

        errno = 0;
        l = strtoul(limit, &end, 10);
        if (errno != 0 || end == limit || *end != '\0' || l < 1 || l > ADMIN_LIST_LIMIT_MAX) {
            set_why(why, why_size, "limit must be 1..10000");
            return ADMIN_BODY_EINVAL;
        }
    }
    *limit_out = (size_t)l;
    return ADMIN_BODY_OK;
}

/* ------------------------------------------------------------------ */
/* POST /v1/bundle framing                                              */

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void admin_bundle_header(unsigned kind, const unsigned char digest[STORE_DIGEST_LEN], uint64_t len,
                         unsigned char out[ADMIN_BUNDLE_HDR_LEN])
{
    size_t k;

    out[0] = (unsigned char)kind;
    memcpy(out + 1, digest, STORE_DIGEST_LEN);
    for (k = 0; k < 8; k++)
        out[1 + STORE_DIGEST_LEN + k] = (unsigned char)(len >> (56 - 8 * k));
}

int admin_bundle_next(const unsigned char *body, size_t len, size_t *off,
                      struct admin_bundle_record *rec, char *why, size_t why_size)
{
    size_t o = *off;
    uint64_t index = o == 0 ? 0 : rec->index + 1, n;

    if (o >= len)
        return 0;
    if (len - o < ADMIN_BUNDLE_HDR_LEN) {
        if (why != NULL && why_size > 0)
            snprintf(why, why_size, "record %llu: truncated header at offset %llu",
                     (unsigned long long)index, (unsigned long long)o);
        return -1;
    }
    n = be64(body + o + 1 + STORE_DIGEST_LEN);
    if (body[o] >= STORE_ENC_COUNT) {
        if (why != NULL && why_size > 0)
            snprintf(why, why_size, "record %llu: unknown kind %u", (unsigned long long)index,
                     body[o]);
        return -1;
    }
    if (n > len - o - ADMIN_BUNDLE_HDR_LEN) {
        if (why != NULL && why_size > 0)
            snprintf(why, why_size, "record %llu: %llu bytes announced, body ends first",
                     (unsigned long long)index, (unsigned long long)n);
        return -1;
    }
    rec->kind = body[o];
    rec->digest = body + o + 1;
    rec->data = body + o + ADMIN_BUNDLE_HDR_LEN;
    rec->len = (size_t)n;
    rec->index = index;
    *off = o + ADMIN_BUNDLE_HDR_LEN + (size_t)n;
    return 1;
}
