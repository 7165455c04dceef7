/*
 * naming.c - how a file of the build becomes a published path and a URL.
 *
 * For: inserting the content hash into names (and taking it out again:
 * ingest_name_source, for `origin-ingest manifest`), validating the result
 * against the store's path rules, percent-encoding for manifests, walk order.
 * Not for: hashing (hash.c) or choosing types (mime.c).
 */
#include "naming.h"

#include "hex.h"

#include <stdlib.h>
#include <string.h>

int ingest_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned c = s[i];
        size_t n, k;
        unsigned cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n > len - i - 1) /* truncated sequence */
            return 0;
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += n + 1;
    }
    return 1;
}

char *ingest_name_prefix(const char *prefix, char *err, size_t errlen)
{
    size_t len = strlen(prefix);

    if (len > 0 && prefix[0] != '/') {
        ingest_errf(err, errlen, "--prefix must start with '/': %s", prefix);
        return NULL;
    }
    while (len > 0 && prefix[len - 1] == '/')
        len--;
    if (len > 0 && store_path_valid(prefix, len) != STORE_OK) {
        ingest_errf(err, errlen, "--prefix is not a valid path: %s", prefix);
        return NULL;
    }
    return ingest_xstrndup(prefix, len);
}

/* Where the last name of rel[0..rlen) starts (*base) and where its last
 * '.' is (*dot; (size_t)-1: it has none). */
static void last_name(const char *rel, size_t rlen, size_t *base, size_t *dot)
{
    size_t i;

    *base = 0;
    *dot = (size_t)-1;
    for (i = 0; i < rlen; i++) {
        if (rel[i] == '/') {
            *base = i + 1;
            *dot = (size_t)-1;
        } else if (rel[i] == '.') {
            *dot = i;
        }
    }
}

char *ingest_name_path(const char *prefix, const char *rel, const unsigned char *digest,
                       int keep_names, char *err, size_t errlen)
{
    struct buf b = {0};
    size_t rlen = strlen(rel), base = 0, dot = (size_t)-1;

    ingest_buf_add(&b, prefix, strlen(prefix));
    ingest_buf_add(&b, "/", 1);
    if (keep_names) {
        ingest_buf_add(&b, rel, rlen);
    } else {
        char hex[INGEST_NAME_HASH_HEX + 1];

        hex_encode(digest, INGEST_NAME_HASH_HEX / 2, hex);
        last_name(rel, rlen, &base, &dot);
        if (dot == (size_t)-1 || dot == base || dot + 1 >= rlen) {
            ingest_buf_add(&b, rel, rlen);
            ingest_buf_add(&b, ".", 1);
            ingest_buf_add(&b, hex, INGEST_NAME_HASH_HEX);
        } else {
            ingest_buf_add(&b, rel, dot + 1);
            ingest_buf_add(&b, hex, INGEST_NAME_HASH_HEX);
            ingest_buf_add(&b, rel + dot, rlen - dot);
        }
    }
    if (!ingest_utf8_valid(b.data, b.len)) {
        ingest_errf(err, errlen, "file name is not valid UTF-8, cannot be published: %s", rel);
        goto fail;
    }
    if (store_path_valid(b.data, b.len) != STORE_OK) {
        ingest_errf(err, errlen,
                    "file name cannot be published (control character, '\\', '?', '#', "
                    "or over %d bytes): %s",
                    STORE_PATH_MAX, rel);
        goto fail;
    }
    return b.data;
fail:
    buf_free(&b);
    return NULL;
}

/* 1 if ingest_name_path(prefix, rel, ...) is exactly path. */
static int names_back(const char *prefix, const char *rel, const unsigned char *digest,
                      int keep_names, const char *path)
{
    char e[8], *fwd = ingest_name_path(prefix, rel, digest, keep_names, e, sizeof(e));
    int same = fwd != NULL && strcmp(fwd, path) == 0;

    free(fwd);
    return same;
}

char *ingest_name_source(const char *prefix, const char *path, const unsigned char *digest,
                         int keep_names, char *err, size_t errlen)
{
    size_t pl = strlen(prefix), rlen, base = 0, dot = (size_t)-1;
    const char *rel;
    char seg[INGEST_NAME_HASH_HEX + 2], *cand;

    if (strncmp(path, prefix, pl) != 0 || path[pl] != '/' || path[pl + 1] == '\0') {
        ingest_errf(err, errlen,
                    "published path %s is not under --prefix %s (give the --prefix it was "
                    "pushed with)",
                    path, *prefix ? prefix : "/");
        return NULL;
    }
    rel = path + pl + 1;
    rlen = strlen(rel);
    if (keep_names)
        return ingest_xstrdup(rel);
    seg[0] = '.';
    hex_encode(digest, INGEST_NAME_HASH_HEX / 2, seg + 1);
    last_name(rel, rlen, &base, &dot);
    /* stem.<hex>.ext: the hash segment just before the last extension */
    if (dot != (size_t)-1 && dot >= base + INGEST_NAME_HASH_HEX + 1 &&
        memcmp(rel + dot - INGEST_NAME_HASH_HEX - 1, seg, INGEST_NAME_HASH_HEX + 1) == 0) {
        struct buf b = {0};

        ingest_buf_add(&b, rel, dot - INGEST_NAME_HASH_HEX - 1);
        ingest_buf_add(&b, rel + dot, rlen - dot + 1);
        cand = b.data;
        if (names_back(prefix, cand, digest, 0, path))
            return cand;
        free(cand);
    }
    /* name.<hex>: no extension, a dotfile, or a name ending in '.' */
    if (rlen > INGEST_NAME_HASH_HEX + 1 &&
        memcmp(rel + rlen - INGEST_NAME_HASH_HEX - 1, seg, INGEST_NAME_HASH_HEX + 1) == 0) {
        cand = ingest_xstrndup(rel, rlen - INGEST_NAME_HASH_HEX - 1);
        if (names_back(prefix, cand, digest, 0, path))
            return cand;
        free(cand);
    }
    ingest_errf(err, errlen,
                "published path %s has no content-hash segment %s of its file in its name "
                "(pushed with --keep-names? then give --keep-names)",
                path, seg);
    return NULL;
}

/* A byte's rank in walk order: the end of a name sorts before every byte. */
static int walk_rank(unsigned char c)
{
    return c == '\0' ? 0 : c == '/' ? 1 : (int)c + 2;
}

int ingest_walk_order_cmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

    while (*x != '\0' && *x == *y) {
        x++;
        y++;
    }
    return walk_rank(*x) - walk_rank(*y);
}

void ingest_url_encode_path(struct buf *out, const char *path, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        char enc[3];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~!$&'()*+,;=:@/", c) != NULL) {
            if (c != '\0') {
                ingest_buf_add(out, &path[i], 1);
                continue;
            }
        }
        enc[0] = '%';
        enc[1] = hex_upper[c >> 4];
        enc[2] = hex_upper[c & 15];
        ingest_buf_add(out, enc, 3);
    }
}
