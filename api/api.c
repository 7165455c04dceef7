/*
 * api.c - the node API's reserved paths, encodings header, version check,
 * release digest, the ETag of a stored asset, and the canonical encoders
 * and strict decoders of releases, release and blob listings, the missing
 * answer and the status answer (see api.h).
 *
 * For: every program that speaks the admin API. Not for: request bodies
 * (admin_body.c), the loosely read error details (api_answer.c), or any
 * transport.
 */
#include "api.h"
#include "api_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

void api__why(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || why_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Reserved paths                                                       */

unsigned api_encodings_decode(const char *value)
{
    const char *p = value;
    unsigned m = 0;

    while (*p != '\0') {
        size_t n;
        int enc;

        p += strspn(p, " \t,");
        n = strcspn(p, " \t,");
        if (n == 0)
            break;
        enc = store_encoding_parse(p, n);
        if (enc > STORE_ENC_IDENTITY)
            m |= 1u << enc;
        else if (n == 3 && memcmp(p, "dcz", 3) == 0)
            m |= API_ENC_DCZ;
        p += n;
    }
    return m;
}

int api_path_reserved(const char *path, size_t len)
{
    static const char healthz[] = API_RESERVED_HEALTHZ;
    static const char prefix[] = API_RESERVED_PREFIX;

    if (path == NULL)
        return 0;
    if (len == sizeof(healthz) - 1 && memcmp(path, healthz, len) == 0)
        return 1;
    if (len >= sizeof(prefix) - 1 && memcmp(path, prefix, sizeof(prefix) - 1) == 0)
        return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Version                                                              */

int api_version_check(const char *value, const char *who, char *why, size_t why_size)
{
    char *end = NULL;
    long v;

    if (value == NULL) {
        api__why(why, why_size,
                 "%s speaks node API 1 (no " API_VERSION_HEADER " header), this build speaks %d: "
                 "upgrade that node",
                 who, API_VERSION);
        return -1;
    }
    errno = 0;
    v = strtol(value, &end, 10);
    while (end != NULL && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    if (errno != 0 || end == value || end == NULL || *end != '\0') {
        api__why(why, why_size, "%s states an unreadable node API version: %.32s", who, value);
        return -1;
    }
    if (v != API_VERSION) {
        api__why(why, why_size, "%s speaks node API %ld, this build speaks %d: upgrade the %s", who,
                 v, API_VERSION, v < API_VERSION ? "node" : "client");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Release digest                                                       */

struct api_digest {
    EVP_MD_CTX *md;
    char *last; /* the previous path (malloc'd), for the order check */
    size_t last_len;
    int started;
};

struct api_digest *api_digest_new(void)
{
    struct api_digest *d = calloc(1, sizeof(*d));

    if (d == NULL)
        return NULL;
    d->md = EVP_MD_CTX_new();
    if (d->md == NULL || EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
        api_digest_free(d);
        return NULL;
    }
    return d;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);

    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl ? 1 : 0;
}

static int has_sep(const char *s, size_t n)
{
    return memchr(s, '\t', n) != NULL || memchr(s, '\n', n) != NULL;
}

int api_digest_add(struct api_digest *d, const char *path, size_t path_len,
                   const unsigned char digest[STORE_DIGEST_LEN], const char *type, size_t type_len)
{
    char hex[STORE_HEX_LEN + 1];
    char *np;

    if (path_len == 0 || has_sep(path, path_len) || has_sep(type, type_len))
        return -1;
    if (d->started && cmp_bytes(d->last, d->last_len, path, path_len) >= 0)
        return -1;
    np = realloc(d->last, path_len);
    if (np == NULL)
        return -1;
    memcpy(np, path, path_len);
    d->last = np;
    d->last_len = path_len;
    d->started = 1;
    store_digest_to_hex(digest, hex);
    if (EVP_DigestUpdate(d->md, path, path_len) != 1 || EVP_DigestUpdate(d->md, "\t", 1) != 1 ||
        EVP_DigestUpdate(d->md, hex, STORE_HEX_LEN) != 1 || EVP_DigestUpdate(d->md, "\t", 1) != 1 ||
        EVP_DigestUpdate(d->md, type, type_len) != 1 || EVP_DigestUpdate(d->md, "\n", 1) != 1)
        return -1;
    return 0;
}

void api_digest_final(struct api_digest *d, unsigned char out[STORE_DIGEST_LEN])
{
    unsigned int n = STORE_DIGEST_LEN;

    EVP_DigestFinal_ex(d->md, out, &n);
    api_digest_free(d);
}

void api_digest_free(struct api_digest *d)
{
    if (d == NULL)
        return;
    EVP_MD_CTX_free(d->md);
    free(d->last);
    free(d);
}

static int cmp_file_ptr(const void *pa, const void *pb)
{
    const struct store_file *a = *(const struct store_file *const *)pa;
    const struct store_file *b = *(const struct store_file *const *)pb;

    return cmp_bytes(a->path, a->path_len, b->path, b->path_len);
}

int api_release_digest(const struct store_file *files, size_t n,
                       unsigned char out[STORE_DIGEST_LEN])
{
    const struct store_file **s = malloc((n > 0 ? n : 1) * sizeof(*s));
    struct api_digest *d = api_digest_new();
    size_t i;
    int rc = -1;

    if (s == NULL || d == NULL)
        goto out;
    for (i = 0; i < n; i++)
        s[i] = &files[i];
    qsort(s, n, sizeof(*s), cmp_file_ptr);
    for (i = 0; i < n; i++)
        if (api_digest_add(d, s[i]->path, s[i]->path_len, s[i]->digest, s[i]->type,
                           s[i]->type_len) != 0)
            goto out;
    api_digest_final(d, out);
    d = NULL;
    rc = 0;
out:
    api_digest_free(d);
    free(s);
    return rc;
}

size_t api_asset_etag(const unsigned char digest[STORE_DIGEST_LEN], int enc,
                      const unsigned char *dict, char out[API_ETAG_SIZE])
{
    char hex[STORE_HEX_LEN + 1], dhex[STORE_HEX_LEN + 1];
    int n;

    store_digest_to_hex(digest, hex);
    if (enc == API_ETAG_DCZ && dict != NULL) {
        store_digest_to_hex(dict, dhex);
        n = snprintf(out, API_ETAG_SIZE, "\"%.32s-dcz-%.16s\"", hex, dhex);
    } else {
        n = snprintf(out, API_ETAG_SIZE, "\"%.32s%s\"", hex,
                     enc == STORE_ENC_BR     ? "-br"
                     : enc == STORE_ENC_GZIP ? "-gz"
                     : enc == STORE_ENC_ZSTD ? "-zs"
                     : enc == API_ETAG_DCZ   ? "-dcz"
                                             : "");
    }
    return n > 0 ? (size_t)n : 0;
}

/* ------------------------------------------------------------------ */
/* Encoding helpers                                                     */

/* Dumps j compactly (takes ownership of j). NULL if j is NULL. */
char *api__dump(json_t *j, size_t *len)
{
    char *text;

    if (j == NULL)
        return NULL;
    text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (text != NULL && len != NULL)
        *len = strlen(text);
    return text;
}

/* ------------------------------------------------------------------ */
/* Release                                                              */

char *api_release_encode(const char *id, size_t id_len, int64_t created,
                         const struct store_file *files, size_t n, size_t *len)
{
    struct api_digest *d = api_digest_new();
    unsigned char dg[STORE_DIGEST_LEN];
    char hex[STORE_HEX_LEN + 1], dhex[STORE_HEX_LEN + 1];
    json_t *arr = json_array(), *root = NULL;
    size_t i;

    if (d == NULL || arr == NULL)
        goto fail;
    for (i = 0; i < n; i++) {
        const struct store_file *f = &files[i];

        if (api_digest_add(d, f->path, f->path_len, f->digest, f->type, f->type_len) != 0)
            goto fail;
        store_digest_to_hex(f->digest, hex);
        if (json_array_append_new(arr,
                                  json_pack("{s:s%,s:s,s:s%,s:I}", "path", f->path, f->path_len,
                                            "sha256", hex, "type", f->type, f->type_len,
                                            "published", (json_int_t)f->published)) != 0)
            goto fail;
    }
    api_digest_final(d, dg);
    d = NULL;
    store_digest_to_hex(dg, dhex);
    root = json_pack("{s:s%,s:I,s:s,s:I,s:O}", "id", id, id_len, "created", (json_int_t)created,
                     "digest", dhex, "count", (json_int_t)n, "files", arr);
    json_decref(arr);
    return api__dump(root, len);
fail:
    api_digest_free(d);
    json_decref(arr);
    return NULL;
}

static int hex_member(const json_t *o, const char *key, unsigned char out[STORE_DIGEST_LEN])
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) && store_digest_from_hex(json_string_value(v), json_string_length(v),
                                                      out) == STORE_OK
               ? 0
               : -1;
}

int api_release_decode(const char *body, size_t len, const char *want_id, struct api_release *out,
                       char *why, size_t why_size)
{
    json_t *doc = NULL, *id, *created, *count, *files, *e;
    struct store_file *sf = NULL;
    struct api_digest *d = NULL;
    unsigned char want[STORE_DIGEST_LEN], got[STORE_DIGEST_LEN];
    size_t n, i;

    doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(doc)) {
        api__why(why, why_size, "release answer is not a JSON object");
        goto fail;
    }
    id = json_object_get(doc, "id");
    created = json_object_get(doc, "created");
    count = json_object_get(doc, "count");
    files = json_object_get(doc, "files");
    if (!json_is_string(id) ||
        store_id_valid(json_string_value(id), json_string_length(id)) != STORE_OK ||
        !json_is_integer(created) || json_integer_value(created) < 0 || !json_is_integer(count) ||
        !json_is_array(files) || hex_member(doc, "digest", want) != 0) {
        api__why(why, why_size, "release answer lacks a valid id, created, count, digest or files");
        goto fail;
    }
    if (want_id != NULL && strcmp(want_id, json_string_value(id)) != 0) {
        api__why(why, why_size, "release answer is for another id");
        goto fail;
    }
    n = json_array_size(files);
    if (n > API_RELEASE_FILES_MAX || (json_int_t)n != json_integer_value(count)) {
        api__why(why, why_size, "release answer lists %zu files but its count says %lld", n,
                 (long long)json_integer_value(count));
        goto fail;
    }
    sf = calloc(n > 0 ? n : 1, sizeof(*sf));
    d = api_digest_new();
    if (sf == NULL || d == NULL) {
        api__why(why, why_size, "out of memory");
        goto fail;
    }
    json_array_foreach(files, i, e)
    {
        json_t *p = json_object_get(e, "path"), *t = json_object_get(e, "type"),
               *pub = json_object_get(e, "published");

        if (!json_is_string(p) || !json_is_string(t) || hex_member(e, "sha256", sf[i].digest) ||
            !json_is_integer(pub) || json_integer_value(pub) < 1 ||
            store_path_valid(json_string_value(p), json_string_length(p)) != STORE_OK ||
            store_type_valid(json_string_value(t), json_string_length(t)) != STORE_OK) {
            api__why(why, why_size, "release answer: files[%zu] does not parse", i);
            goto fail;
        }
        sf[i].path = json_string_value(p);
        sf[i].path_len = json_string_length(p);
        sf[i].type = json_string_value(t);
        sf[i].type_len = json_string_length(t);
        sf[i].published = (int64_t)json_integer_value(pub);
        if (api_digest_add(d, sf[i].path, sf[i].path_len, sf[i].digest, sf[i].type,
                           sf[i].type_len) != 0) {
            api__why(why, why_size, "release answer: files[%zu] is out of path order", i);
            goto fail;
        }
    }
    api_digest_final(d, got);
    d = NULL;
    if (memcmp(got, want, STORE_DIGEST_LEN) != 0) {
        api__why(why, why_size, "release answer's digest does not match its files");
        goto fail;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out->id, json_string_value(id), json_string_length(id) + 1);
    out->created = (int64_t)json_integer_value(created);
    memcpy(out->digest, want, STORE_DIGEST_LEN);
    out->files = sf;
    out->n = n;
    out->doc = doc;
    return 0;
fail:
    api_digest_free(d);
    free(sf);
    json_decref(doc);
    return -1;
}

void api_release_free(struct api_release *r)
{
    if (r == NULL)
        return;
    free(r->files);
    json_decref(r->doc);
    r->files = NULL;
    r->doc = NULL;
    r->n = 0;
}

/* ------------------------------------------------------------------ */
/* Listings                                                             */

struct api_list *api_list_begin(const char *key)
{
    struct api_list *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->arr = json_array();
    l->root = json_object();
    if (l->arr == NULL || l->root == NULL || json_object_set(l->root, key, l->arr) != 0) {
        json_decref(l->arr);
        json_decref(l->root);
        free(l);
        return NULL;
    }
    return l;
}

int api_release_list_add(struct api_list *l, const char *id, size_t id_len, int64_t created,
                         uint64_t files)
{
    if (l->failed || json_array_append_new(l->arr, json_pack("{s:s%,s:I,s:I}", "id", id, id_len,
                                                             "created", (json_int_t)created,
                                                             "files", (json_int_t)files)) != 0) {
        l->failed = 1;
        return -1;
    }
    return 0;
}

int api_blob_list_add_deltas(struct api_list *l, const unsigned char (*dicts)[STORE_DIGEST_LEN],
                             size_t n)
{
    json_t *last, *arr;
    size_t i;

    if (l->failed)
        return -1;
    if (n == 0)
        return 0;
    last = json_array_get(l->arr, json_array_size(l->arr) - 1);
    arr = json_array();
    if (last == NULL || arr == NULL)
        goto fail;
    for (i = 0; i < n && i < API_BLOB_DELTAS_MAX; i++) {
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(dicts[i], hex);
        if (json_array_append_new(arr, json_string(hex)) != 0)
            goto fail;
    }
    if (json_object_set_new(last, "deltas", arr) != 0) {
        arr = NULL;
        goto fail;
    }
    return 0;
fail:
    json_decref(arr);
    l->failed = 1;
    return -1;
}

int api_blob_list_add(struct api_list *l, const unsigned char digest[STORE_DIGEST_LEN],
                      uint64_t size, unsigned variants)
{
    char hex[STORE_HEX_LEN + 1];
    json_t *vars = json_array(), *e;

    if (l->failed || vars == NULL)
        goto fail;
    if ((variants & (1u << STORE_ENC_GZIP)) && json_array_append_new(vars, json_string("gzip")))
        goto fail;
    if ((variants & (1u << STORE_ENC_BR)) && json_array_append_new(vars, json_string("br")))
        goto fail;
    store_digest_to_hex(digest, hex);
    e = json_pack("{s:s,s:I,s:O}", "sha256", hex, "size", (json_int_t)size, "variants", vars);
    if (e == NULL)
        goto fail;
    /* zstd in a member of its own: a node from before it refuses a listing
     * that names an unknown variant, and ignores unknown members */
    if ((variants & (1u << STORE_ENC_ZSTD)) &&
        json_object_set_new(e, "extra_variants", json_pack("[s]", "zstd")) != 0) {
        json_decref(e);
        goto fail;
    }
    if (json_array_append_new(l->arr, e) != 0)
        goto fail;
    json_decref(vars);
    return 0;
fail:
    json_decref(vars);
    l->failed = 1;
    return -1;
}

char *api_list_end(struct api_list *l, const unsigned char *next, size_t *len)
{
    char hex[STORE_HEX_LEN + 1];
    json_t *root = l->root;
    int failed = l->failed;

    json_decref(l->arr); /* root holds its own reference */
    free(l);
    if (!failed && next != NULL) {
        store_digest_to_hex(next, hex);
        failed = json_object_set_new(root, "next", json_string(hex)) != 0;
    } else if (!failed && json_object_get(root, "blobs") != NULL) {
        failed = json_object_set_new(root, "next", json_null()) != 0;
    }
    if (failed) {
        json_decref(root);
        return NULL;
    }
    return api__dump(root, len);
}

int api_release_list_decode(const char *body, size_t len,
                            int (*fn)(void *arg, const char *id, int64_t created, uint64_t files),
                            void *arg, char *why, size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *arr = json_is_object(doc) ? json_object_get(doc, "releases") : NULL, *e;
    size_t i;
    int rc = -1;

    if (!json_is_array(arr)) {
        api__why(why, why_size, "release listing is not {\"releases\": [...]}");
        goto out;
    }
    json_array_foreach(arr, i, e)
    {
        json_t *id = json_object_get(e, "id"), *c = json_object_get(e, "created"),
               *f = json_object_get(e, "files");

        if (!json_is_string(id) ||
            store_id_valid(json_string_value(id), json_string_length(id)) != STORE_OK ||
            !json_is_integer(c) || json_integer_value(c) < 0 || !json_is_integer(f) ||
            json_integer_value(f) < 0) {
            api__why(why, why_size, "release listing: releases[%zu] does not parse", i);
            goto out;
        }
    }
    json_array_foreach(arr, i, e)
    {
        int r = fn(arg, json_string_value(json_object_get(e, "id")),
                   (int64_t)json_integer_value(json_object_get(e, "created")),
                   (uint64_t)json_integer_value(json_object_get(e, "files")));

        if (r != 0) {
            rc = r;
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

int api_blob_page_decode(const char *body, size_t len, const unsigned char *after,
                         struct api_blob_entry *out, size_t max, size_t *n, int *has_next,
                         unsigned char next_out[STORE_DIGEST_LEN], char *why, size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *arr = json_is_object(doc) ? json_object_get(doc, "blobs") : NULL, *next, *e;
    size_t i, cnt;
    int rc = -1;

    next = json_is_object(doc) ? json_object_get(doc, "next") : NULL;
    if (!json_is_array(arr) || (!json_is_null(next) && !json_is_string(next))) {
        api__why(why, why_size, "blob listing is not {\"blobs\": [...], \"next\": ...}");
        goto out;
    }
    cnt = json_array_size(arr);
    if (cnt > max) {
        api__why(why, why_size, "blob listing has %zu entries, more than the %zu asked for", cnt,
                 max);
        goto out;
    }
    json_array_foreach(arr, i, e)
    {
        json_t *sz = json_object_get(e, "size"), *vars = json_object_get(e, "variants"), *v;
        const unsigned char *prev = i > 0 ? out[i - 1].digest : after;
        size_t k;

        if (hex_member(e, "sha256", out[i].digest) != 0 || !json_is_integer(sz) ||
            json_integer_value(sz) < 0 || !json_is_array(vars) ||
            (prev != NULL && memcmp(prev, out[i].digest, STORE_DIGEST_LEN) >= 0)) {
            api__why(why, why_size, "blob listing: blobs[%zu] does not parse or is out of order",
                     i);
            goto out;
        }
        out[i].size = (uint64_t)json_integer_value(sz);
        out[i].variants = 0;
        json_array_foreach(vars, k, v)
        {
            int enc = json_is_string(v)
                          ? store_encoding_parse(json_string_value(v), json_string_length(v))
                          : -1;

            if (enc != STORE_ENC_GZIP && enc != STORE_ENC_BR) {
                api__why(why, why_size, "blob listing: blobs[%zu] names an unknown variant", i);
                goto out;
            }
            out[i].variants |= 1u << enc;
        }
        /* deltas: optional, each a digest; more than the maximum are left out */
        out[i].ndeltas = 0;
        vars = json_object_get(e, "deltas");
        if (vars != NULL && !json_is_array(vars)) {
            api__why(why, why_size, "blob listing: blobs[%zu] deltas is not an array", i);
            goto out;
        }
        json_array_foreach(vars, k, v)
        {
            unsigned char dd[STORE_DIGEST_LEN];

            if (!json_is_string(v) ||
                store_digest_from_hex(json_string_value(v), json_string_length(v), dd) !=
                    STORE_OK) {
                api__why(why, why_size, "blob listing: blobs[%zu] deltas[%zu] is not a digest", i,
                         k);
                goto out;
            }
            if (out[i].ndeltas < API_BLOB_DELTAS_MAX)
                memcpy(out[i].deltas[out[i].ndeltas++], dd, STORE_DIGEST_LEN);
        }
        /* variants a node from before them would refuse (see the encoder):
         * names this build does not know are skipped, for the same reason */
        vars = json_object_get(e, "extra_variants");
        if (vars != NULL && !json_is_array(vars)) {
            api__why(why, why_size, "blob listing: blobs[%zu] extra_variants is not an array", i);
            goto out;
        }
        json_array_foreach(vars, k, v)
        {
            int enc = json_is_string(v)
                          ? store_encoding_parse(json_string_value(v), json_string_length(v))
                          : -1;

            if (enc > STORE_ENC_IDENTITY && enc < STORE_ENC_COUNT)
                out[i].variants |= 1u << enc;
        }
    }
    *has_next = 0;
    if (json_is_string(next)) {
        if (cnt == 0 || hex_member(doc, "next", next_out) != 0 ||
            memcmp(next_out, out[cnt - 1].digest, STORE_DIGEST_LEN) != 0) {
            api__why(why, why_size, "blob listing: next is not the last digest listed");
            goto out;
        }
        *has_next = 1;
    }
    *n = cnt;
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Missing and status                                                   */

char *api_missing_encode(const unsigned char (*digests)[STORE_DIGEST_LEN],
                         const unsigned char *missing, size_t n, size_t *len)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; arr != NULL && i < n; i++) {
        char hex[STORE_HEX_LEN + 1];

        if (!missing[i])
            continue;
        store_digest_to_hex(digests[i], hex);
        if (json_array_append_new(arr, json_string(hex)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr != NULL ? api__dump(json_pack("{s:o}", "missing", arr), len) : NULL;
}

int api_answer_publish_digest(const char *body, size_t len, unsigned char out[STORE_DIGEST_LEN])
{
    json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    int rc = json_is_object(doc) ? hex_member(doc, "digest", out) : -1;

    json_decref(doc);
    return rc;
}

int api_status_deltas(const char *body, size_t len, uint64_t *deltas)
{
    json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *s = json_is_object(doc) ? json_object_get(doc, "store") : NULL;
    json_t *d = json_object_get(s, "deltas");
    int rc = -1;

    if (json_is_integer(d) && json_integer_value(d) >= 0) {
        *deltas = (uint64_t)json_integer_value(d);
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

int api_status_decode(const char *body, size_t len, uint64_t *blobs, uint64_t *variants)
{
    json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *s = json_is_object(doc) ? json_object_get(doc, "store") : NULL;
    json_t *b = json_object_get(s, "blobs"), *v = json_object_get(s, "variants");
    int rc = -1;

    if (json_is_integer(b) && json_is_integer(v) && json_integer_value(b) >= 0 &&
        json_integer_value(v) >= 0) {
        *blobs = (uint64_t)json_integer_value(b);
        *variants = (uint64_t)json_integer_value(v);
        rc = 0;
    }
    json_decref(doc);
    return rc;
}
