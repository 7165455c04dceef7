/*
 * delta.c - dcz deltas from the previous releases' versions of a file to
 * this push's version (delta.h).
 *
 * For: finding "the same source file" in earlier releases (the family rule
 * of api/api_dict.h, which the node also uses for Use-As-Dictionary),
 * fetching the old bytes from a node, computing and uploading deltas. Not
 * for: the node's check of a delta (store_put_delta) or the bulk upload of
 * blobs and variants (node.c). It speaks to nodes with plain blocking curl
 * calls, one node at a time: a push has a few dozen deltas at most, each a
 * few KiB, and none of it may hold up the blob uploads before it.
 */
#include "delta.h"
#include "compress.h"
#include "pool.h"

#include <curl/curl.h>
#include <curl/header.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "api_dict.h"
#include "tls_client.h"

#define FAMILY_MAX 1100
#define MAX_BODY   (1ull << 30) /* largest answer read from a node (a blob) */

/* One file of an earlier release that can serve as a dictionary. */
struct old_file {
    char family[FAMILY_MAX];
    unsigned char digest[STORE_DIGEST_LEN];
    unsigned age; /* 0: the most recent earlier release */
};

/* One delta to make: a blob of the site and an old blob. */
struct pair {
    size_t blob;
    unsigned char dict[STORE_DIGEST_LEN];
    size_t dict_ix; /* into the fetched dictionaries */
    unsigned char *dcz;
    size_t dcz_len;
};

struct dict_bytes {
    unsigned char digest[STORE_DIGEST_LEN];
    unsigned char *data;
    size_t len;
};

struct delta_ctx {
    struct ingest_site *s;
    const struct ingest_delta_opts *o;
    struct old_file *old;
    size_t nold, capold;
    struct pair *pairs;
    size_t npairs;
    struct dict_bytes *dicts;
    size_t ndicts;
    unsigned age;
    int local_error;
    char *err;
    size_t errlen;
};

/* ------------------------------------------------------------------ */
/* A small blocking client                                              */

static size_t sink_cb(char *p, size_t sz, size_t n, void *arg)
{
    struct buf *b = arg;

    if (b->len + sz * n > MAX_BODY)
        return 0;
    ingest_buf_add(b, p, sz * n);
    return sz * n;
}

/* method (GET or PUT with body[0..blen)) on base + path. Returns the HTTP
 * status (0: no answer, or an incompatible node: why filled), the body in
 * *out (caller frees with ingest_buf_free). */
static long node_call(const struct ingest_delta_opts *o, const char *base, const char *path,
                      const void *body, size_t blen, struct buf *out, char *why, size_t whylen)
{
    CURL *e = curl_easy_init();
    struct curl_slist *h = NULL;
    struct buf url = {0}, auth = {0};
    struct curl_header *vh = NULL;
    long status = 0;
    CURLcode rc;

    why[0] = '\0';
    if (e == NULL) {
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    ingest_buf_addf(&url, "%s%s", base, path);
    ingest_buf_addf(&auth, "Authorization: Bearer %s", o->token);
    h = curl_slist_append(h, auth.data);
    h = curl_slist_append(h, "Content-Type: application/octet-stream");
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "origin-ingest/" ORIGIND_VERSION);
    tls_client_setopt(e, o->cacert);
    if (body != NULL) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    rc = curl_easy_perform(e);
    if (rc != CURLE_OK) {
        tls_client_strerror(rc, o->cacert, why, whylen);
        goto out;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (curl_easy_header(e, API_VERSION_HEADER, 0, CURLH_HEADER, -1, &vh) != CURLHE_OK)
        vh = NULL;
    if (api_version_check(vh != NULL ? vh->value : NULL, base, why, whylen) != 0)
        status = 0;
out:
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    buf_free(&url);
    explicit_bzero(auth.data, auth.len);
    buf_free(&auth);
    return status;
}

/* ------------------------------------------------------------------ */
/* Earlier releases                                                     */

struct id_list {
    char (*ids)[STORE_ID_MAX + 1];
    size_t n;
    const char *skip;
};

static int on_release(void *arg, const char *id, int64_t created, uint64_t files)
{
    struct id_list *l = arg;

    (void)created;
    (void)files;
    if (strcmp(id, l->skip) == 0)
        return 0;
    l->ids = ingest_xrealloc(l->ids, (l->n + 1) * sizeof(*l->ids));
    snprintf(l->ids[l->n++], STORE_ID_MAX + 1, "%s", id);
    return 0;
}

/* Adds the eligible files of one earlier release (age: how far back). */
static void add_release(struct delta_ctx *c, const struct api_release *rel, unsigned age)
{
    size_t i;

    for (i = 0; i < rel->n; i++) {
        const struct store_file *f = &rel->files[i];
        struct old_file *of;

        if (!api_dict_eligible(f->path, f->path_len, f->type, f->type_len))
            continue;
        if (c->nold == c->capold) {
            c->capold = c->capold ? 2 * c->capold : 64;
            c->old = ingest_xrealloc(c->old, c->capold * sizeof(*c->old));
        }
        of = &c->old[c->nold];
        if (api_dict_family(f->path, f->path_len, of->family, sizeof(of->family)) == 0)
            continue;
        memcpy(of->digest, f->digest, STORE_DIGEST_LEN);
        of->age = age;
        c->nold++;
    }
}

/* Reads the o->back most recent releases (other than this one) from base. */
static int load_old(struct delta_ctx *c, const char *base, char *why, size_t whylen)
{
    struct buf body = {0};
    struct id_list l = {NULL, 0, c->o->release};
    size_t k;
    long st;
    int rc = -1;

    st = node_call(c->o, base, API_PATH_RELEASES, NULL, 0, &body, why, whylen);
    if (st != 200) {
        if (st != 0)
            snprintf(why, whylen, "GET %s: HTTP %ld", API_PATH_RELEASES, st);
        goto out;
    }
    if (api_release_list_decode(body.data, body.len, on_release, &l, why, whylen) != 0)
        goto out;
    for (k = 0; k < l.n && k < c->o->back; k++) {
        struct api_release rel;
        struct buf rb = {0}, path = {0};
        const char *id = l.ids[l.n - 1 - k]; /* newest first */

        ingest_buf_addf(&path, "%s/%s", API_PATH_RELEASES, id);
        st = node_call(c->o, base, path.data, NULL, 0, &rb, why, whylen);
        buf_free(&path);
        if (st == 200 && api_release_decode(rb.data, rb.len, id, &rel, why, whylen) == 0) {
            add_release(c, &rel, (unsigned)k);
            api_release_free(&rel);
        }
        buf_free(&rb);
    }
    rc = 0;
out:
    free(l.ids);
    buf_free(&body);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Pairs, dictionaries, computing                                       */

static void plan_pairs(struct delta_ctx *c)
{
    size_t b, k;

    for (b = 0; b < c->s->nblobs; b++) {
        const struct ingest_blob *bl = &c->s->blobs[b];
        const struct ingest_file *f = &c->s->files[bl->file];
        char fam[FAMILY_MAX];

        if (!bl->needed || f->type == NULL ||
            !api_dict_eligible(f->path, strlen(f->path), f->type, strlen(f->type)) ||
            api_dict_family(f->path, strlen(f->path), fam, sizeof(fam)) == 0)
            continue;
        for (k = 0; k < c->nold; k++) {
            const struct old_file *of = &c->old[k];
            size_t j;
            int dup = 0;

            if (strcmp(of->family, fam) != 0 ||
                memcmp(of->digest, bl->digest, STORE_DIGEST_LEN) == 0)
                continue;
            for (j = 0; j < c->npairs && !dup; j++)
                dup = c->pairs[j].blob == b &&
                      memcmp(c->pairs[j].dict, of->digest, STORE_DIGEST_LEN) == 0;
            if (dup)
                continue;
            c->pairs = ingest_xrealloc(c->pairs, (c->npairs + 1) * sizeof(*c->pairs));
            memset(&c->pairs[c->npairs], 0, sizeof(*c->pairs));
            c->pairs[c->npairs].blob = b;
            memcpy(c->pairs[c->npairs].dict, of->digest, STORE_DIGEST_LEN);
            c->npairs++;
        }
    }
}

/* Fetches every dictionary the pairs name from base; a pair whose
 * dictionary cannot be had is dropped (dict_ix = SIZE_MAX). */
static void fetch_dicts(struct delta_ctx *c, const char *base)
{
    size_t i, j;

    for (i = 0; i < c->npairs; i++) {
        struct pair *p = &c->pairs[i];

        p->dict_ix = SIZE_MAX;
        for (j = 0; j < c->ndicts; j++) {
            if (memcmp(c->dicts[j].digest, p->dict, STORE_DIGEST_LEN) == 0)
                p->dict_ix = j;
        }
        if (p->dict_ix == SIZE_MAX) {
            struct buf body = {0}, path = {0};
            char hex[STORE_HEX_LEN + 1], why[256];
            unsigned char sum[STORE_DIGEST_LEN];
            long st;

            store_digest_to_hex(p->dict, hex);
            ingest_buf_addf(&path, "%s/%s", API_PATH_BLOBS, hex);
            st = node_call(c->o, base, path.data, NULL, 0, &body, why, sizeof(why));
            buf_free(&path);
            store_sha256(body.data, body.len, sum);
            if (st != 200 || memcmp(sum, p->dict, STORE_DIGEST_LEN) != 0) {
                buf_free(&body);
                continue; /* never a delta against bytes that are not the dictionary */
            }
            c->dicts = ingest_xrealloc(c->dicts, (c->ndicts + 1) * sizeof(*c->dicts));
            memcpy(c->dicts[c->ndicts].digest, p->dict, STORE_DIGEST_LEN);
            c->dicts[c->ndicts].data = (unsigned char *)body.data;
            c->dicts[c->ndicts].len = body.len;
            p->dict_ix = c->ndicts++;
        }
    }
}

/* The local bytes of blob b, checked against its digest. Caller frees. */
static unsigned char *read_blob(struct delta_ctx *c, size_t b)
{
    const struct ingest_blob *bl = &c->s->blobs[b];
    const struct ingest_file *f = &c->s->files[bl->file];
    unsigned char *buf = ingest_xmalloc(bl->size ? bl->size : 1), sum[STORE_DIGEST_LEN];
    size_t got = 0;
    int fd = openat(c->s->root_fd, f->rel, O_RDONLY | O_CLOEXEC);

    while (fd >= 0 && got < bl->size) {
        ssize_t r = pread(fd, buf + got, bl->size - got, (off_t)got);

        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (fd >= 0)
        close(fd);
    store_sha256(buf, got, sum);
    if (fd < 0 || got != bl->size || memcmp(sum, bl->digest, STORE_DIGEST_LEN) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The window a delta may use: 1.25 x the dictionary, at least 8 MiB, at
 * most 128 MiB (RFC 9842 section 4), as a power of two. */
static int window_log(size_t dict_len)
{
    unsigned long long need = (unsigned long long)dict_len + dict_len / 4;
    int wlog = 23;

    while (wlog < 27 && (1ull << wlog) < need)
        wlog++;
    return wlog;
}

static int compute_one(void *arg, size_t i, unsigned worker)
{
    struct delta_ctx *c = arg;
    struct pair *p = &c->pairs[i];
    const struct ingest_blob *bl = &c->s->blobs[p->blob];
    const struct dict_bytes *d;
    unsigned char *target, *frame = NULL;
    size_t flen = 0;

    (void)worker;
    if (p->dict_ix == SIZE_MAX)
        return 0;
    d = &c->dicts[p->dict_ix];
    target = read_blob(c, p->blob);
    if (target == NULL) {
        c->local_error = 1;
        ingest_errf(c->err, c->errlen, "%s: changed during the push (after it was hashed)",
                    c->s->files[bl->file].rel);
        return 1;
    }
    if (ingest_zstd_compress(target, bl->size, d->data, d->len, window_log(d->len), &frame,
                             &flen) == 0) {
        p->dcz = ingest_xmalloc(STORE_DCZ_HEADER_LEN + flen);
        memcpy(p->dcz, STORE_DCZ_MAGIC, 8);
        memcpy(p->dcz + 8, d->digest, STORE_DIGEST_LEN);
        memcpy(p->dcz + STORE_DCZ_HEADER_LEN, frame, flen);
        p->dcz_len = STORE_DCZ_HEADER_LEN + flen;
    }
    free(frame);
    free(target);
    return 0;
}

/* The smallest representation of blob b the nodes hold without a delta. */
static size_t best_plain(const struct ingest_blob *bl)
{
    size_t best = (size_t)bl->size;
    int e;

    for (e = STORE_ENC_GZIP; e < STORE_ENC_COUNT; e++) {
        if (bl->var[e].data != NULL && bl->var[e].len < best)
            best = bl->var[e].len;
    }
    return best;
}

int ingest_deltas(struct ingest_site *s, struct ingest_node *nodes, size_t n,
                  const struct ingest_delta_opts *o, void (*warn)(void *arg, const char *msg),
                  void *arg, struct ingest_delta_stats *st, char *err, size_t errlen)
{
    struct delta_ctx c;
    char why[512], msg[800];
    size_t i, k, src = n;
    int rc = INGEST_EXIT_OK;

    memset(st, 0, sizeof(*st));
    memset(&c, 0, sizeof(c));
    if (o->back == 0)
        return INGEST_EXIT_OK;
    for (i = 0; i < n && src == n; i++) {
        if (!nodes[i].failed && !nodes[i].unchanged && (nodes[i].encodings & INGEST_ENC_DCZ))
            src = i;
    }
    if (src == n)
        return INGEST_EXIT_OK; /* no node takes deltas (or none needs this release) */
    c.s = s;
    c.o = o;
    c.err = err;
    c.errlen = errlen;
    if (load_old(&c, nodes[src].url, why, sizeof(why)) != 0) {
        if (warn != NULL) {
            snprintf(msg, sizeof(msg), "warning: no dictionary deltas: %s", why);
            warn(arg, msg);
        }
        goto out;
    }
    plan_pairs(&c);
    st->pairs = c.npairs;
    if (c.npairs == 0)
        goto out;
    fetch_dicts(&c, nodes[src].url);
    if (ingest_pool_run(o->threads ? o->threads : 1, c.npairs, compute_one, &c, NULL, NULL) != 0 ||
        c.local_error) {
        rc = INGEST_EXIT_LOCAL;
        goto out;
    }
    for (k = 0; k < c.npairs; k++) {
        struct pair *p = &c.pairs[k];
        const struct ingest_blob *bl = &s->blobs[p->blob];
        char th[STORE_HEX_LEN + 1], dh[STORE_HEX_LEN + 1];
        size_t plain = best_plain(bl);

        /* worth a Vary: Available-Dictionary only when clearly smaller */
        if (p->dcz == NULL || p->dcz_len >= plain - plain / 10)
            continue;
        st->kept++;
        st->bytes += p->dcz_len;
        st->br_bytes += plain;
        store_digest_to_hex(bl->digest, th);
        store_digest_to_hex(p->dict, dh);
        for (i = 0; i < n; i++) {
            struct buf path = {0}, body = {0};
            long code;

            if (nodes[i].failed || nodes[i].unchanged || !(nodes[i].encodings & INGEST_ENC_DCZ))
                continue;
            ingest_buf_addf(&path, "%s/%s/dcz/%s", API_PATH_BLOBS, th, dh);
            code =
                node_call(o, nodes[i].url, path.data, p->dcz, p->dcz_len, &body, why, sizeof(why));
            if (code == 200 || code == 201) {
                st->sent++;
            } else {
                char reason[200];

                st->refused++;
                if (code != 0) {
                    api_answer_error(body.data, body.len, reason, sizeof(reason));
                    snprintf(why, sizeof(why), "HTTP %ld: %s", code, reason);
                }
                if (warn != NULL) {
                    snprintf(msg, sizeof(msg),
                             "warning: node %s: delta for %s not stored: %s (served without it)",
                             nodes[i].url, s->files[bl->file].rel, why);
                    warn(arg, msg);
                }
            }
            buf_free(&path);
            buf_free(&body);
        }
    }
out:
    for (k = 0; k < c.npairs; k++)
        free(c.pairs[k].dcz);
    for (k = 0; k < c.ndicts; k++)
        free(c.dicts[k].data);
    free(c.pairs);
    free(c.dicts);
    free(c.old);
    return rc;
}
