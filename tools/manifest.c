/*
 * manifest.c - the manifest origin-ingest writes (jansson), read by
 * Symfony's json_manifest_path / webpack-manifest-plugin consumers; the
 * site's files as the node API lists them (release digest, release request).
 *
 * Not for: encoding requests or parsing answers (api/).
 */
#include "manifest.h"

#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "naming.h"
#include "outfile.h"
#include "pct.h"

void ingest_sri(const unsigned char *digest, char *out, size_t outlen)
{
    unsigned char b64[48]; /* 44 characters and a NUL for 32 bytes */

    EVP_EncodeBlock(b64, digest, STORE_DIGEST_LEN);
    snprintf(out, outlen, "sha256-%s", (const char *)b64);
}

static char *url_of(const struct ingest_file *f, const char *base)
{
    struct buf b = {0};
    size_t bl = base ? strlen(base) : 0;

    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    ingest_buf_add(&b, base ? base : "", bl);
    ingest_url_encode_path(&b, f->path, strlen(f->path));
    return b.data;
}

char *ingest_manifest_render(const struct ingest_site *s, enum ingest_manifest_format fmt,
                             const char *public_base, size_t *len, char *err, size_t errlen)
{
    json_t *root = json_object();
    char *text = NULL, *withnl = NULL;
    size_t i;

    for (i = 0; i < s->nfiles; i++) {
        const struct ingest_file *f = &s->files[i];
        char *url = url_of(f, public_base);
        json_t *v;

        if (fmt == INGEST_MANIFEST_FULL) {
            char hex[STORE_HEX_LEN + 1], sri[64];

            store_digest_to_hex(f->digest, hex);
            ingest_sri(f->digest, sri, sizeof(sri));
            v = json_pack("{s:s, s:s, s:I, s:s, s:s}", "url", url, "sha256", hex, "size",
                          (json_int_t)f->size, "type", f->type, "integrity", sri);
        } else {
            v = json_string(url);
        }
        free(url);
        /* Names were checked to be UTF-8 when they were named. */
        if (v == NULL || json_object_set_new(root, f->rel, v) != 0) {
            ingest_errf(err, errlen, "cannot put %s into the manifest", f->rel);
            goto out;
        }
    }
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        ingest_errf(err, errlen, "cannot serialise the manifest");
        goto out;
    }
    {
        size_t tl = strlen(text);

        withnl = ingest_xmalloc(tl + 2);
        memcpy(withnl, text, tl);
        withnl[tl] = '\n';
        withnl[tl + 1] = '\0';
        *len = tl + 1;
    }
out:
    free(text);
    json_decref(root);
    return withnl;
}

int ingest_manifest_write(const struct ingest_site *s, const char *path,
                          enum ingest_manifest_format fmt, const char *public_base, char *err,
                          size_t errlen)
{
    size_t len = 0;
    char *text = ingest_manifest_render(s, fmt, public_base, &len, err, errlen);
    int rc;

    if (text == NULL)
        return INGEST_EXIT_LOCAL;
    rc = ingest_outfile_write(path, "manifest", text, len, err, errlen);
    free(text);
    return rc;
}

int64_t ingest_file_published(const struct ingest_file *f, int64_t now)
{
    int64_t t = (int64_t)f->mtime.tv_sec;

    return t < 1 ? 1 : t > now ? now : t;
}

struct store_file *ingest_site_store_files(const struct ingest_site *s, int64_t now)
{
    struct store_file *sf = ingest_xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*sf));
    size_t i;

    for (i = 0; i < s->nfiles; i++) {
        sf[i].path = s->files[i].path;
        sf[i].path_len = strlen(s->files[i].path);
        memcpy(sf[i].digest, s->files[i].digest, STORE_DIGEST_LEN);
        sf[i].type = s->files[i].type;
        sf[i].type_len = strlen(s->files[i].type);
        sf[i].published = ingest_file_published(&s->files[i], now);
    }
    return sf;
}

int ingest_release_digest(const struct ingest_site *s, unsigned char out[STORE_DIGEST_LEN])
{
    struct store_file *sf = ingest_site_store_files(s, (int64_t)time(NULL));
    int rc = api_release_digest(sf, s->nfiles, out);

    free(sf);
    return rc;
}

int ingest_manifest_digest(const char *path, unsigned char out[STORE_DIGEST_LEN], size_t *files,
                           char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *v;
    struct store_file *sf = NULL;
    char **bufs = NULL;
    const char *key;
    size_t n = 0, i;
    int rc = INGEST_EXIT_USAGE;

    if (!json_is_object(root)) {
        ingest_errf(err, errlen, "--manifest %s: not a JSON object (%s)", path, jerr.text);
        goto out;
    }
    sf = ingest_xcalloc(json_object_size(root) + 1, sizeof(*sf));
    bufs = ingest_xcalloc(json_object_size(root) + 1, sizeof(*bufs));
    json_object_foreach(root, key, v)
    {
        const char *url = json_string_value(json_object_get(v, "url"));
        const char *hex = json_string_value(json_object_get(v, "sha256"));
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *p;
        char *d;
        size_t k = 0;

        if (url == NULL || hex == NULL || type == NULL ||
            store_digest_from_hex(hex, strlen(hex), sf[n].digest) != STORE_OK) {
            ingest_errf(err, errlen,
                        "--manifest %s: entry %.200s is not a full manifest entry "
                        "(url, sha256, type): push with --manifest-format full",
                        path, key);
            goto out;
        }
        p = url;
        if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0) {
            p = strchr(strstr(p, "://") + 3, '/');
            if (p == NULL)
                p = "";
        }
        d = bufs[n] = ingest_xmalloc(strlen(p) + 1);
        /* lenient (a stray '%' stays): cannot fail, the output is never longer */
        pct_decode(p, strlen(p), d, strlen(p), 0, &k);
        sf[n].path = d;
        sf[n].path_len = k;
        sf[n].type = type;
        sf[n].type_len = strlen(type);
        n++;
    }
    if (api_release_digest(sf, n, out) != 0) {
        ingest_errf(err, errlen, "--manifest %s: a url or type cannot be a published path", path);
        goto out;
    }
    *files = n;
    rc = INGEST_EXIT_OK;
out:
    for (i = 0; bufs != NULL && i < n + 1; i++)
        free(bufs[i]);
    free(bufs);
    free(sf);
    json_decref(root);
    return rc;
}
