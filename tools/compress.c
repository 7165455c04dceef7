/*
 * compress.c - makes the precompressed variants origind serves to clients
 * that accept br, zstd or gzip, on every core, with a cache on the deploy
 * machine; and the zstd encoder the dictionary deltas share (delta.c).
 *
 * For: compressing only blobs some node lacks, never compressing the same
 * bytes twice (cache keyed by digest and encoding).
 * Not for: uploading (node.c) or deciding which types compress
 * (store_type_compressible()).
 */
#include "compress.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <brotli/encode.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#define CACHE_MAGIC     "OIC1"
#define CACHE_MAGIC_LEN 4
#define CACHE_HDR       (CACHE_MAGIC_LEN + STORE_DIGEST_LEN)

char *ingest_compress_default_cache(void)
{
    const char *e = getenv("ORIGIN_INGEST_CACHE");
    struct buf b = {0};

    if (e != NULL && *e != '\0')
        return ingest_xstrdup(e);
    e = getenv("XDG_CACHE_HOME");
    if (e != NULL && *e == '/') {
        ingest_buf_addf(&b, "%s/origin-ingest", e);
        return b.data;
    }
    e = getenv("HOME");
    if (e == NULL || *e == '\0')
        return NULL;
    ingest_buf_addf(&b, "%s/.cache/origin-ingest", e);
    return b.data;
}

static void digest_hex(const unsigned char *d, char out[STORE_HEX_LEN + 1])
{
    store_digest_to_hex(d, out);
}

static void cache_path(struct buf *b, const char *dir, const unsigned char *digest, int enc)
{
    char hex[STORE_HEX_LEN + 1];

    digest_hex(digest, hex);
    ingest_buf_addf(b, "%s/%.2s/%s.%s", dir, hex, hex,
                    enc == STORE_ENC_BR     ? "br"
                    : enc == STORE_ENC_ZSTD ? "zst"
                                            : "gz");
}

/* Reads a cache entry. Returns 1 with *data and *len set (data NULL, len 0: the
 * variant was found not smaller), 0 if absent or damaged. */
static int cache_load(const char *dir, const unsigned char *digest, int enc, unsigned char **data,
                      size_t *len)
{
    struct buf p = {0};
    unsigned char *buf = NULL, sum[STORE_DIGEST_LEN];
    struct stat st;
    size_t got = 0;
    int fd = -1, rc = 0;

    cache_path(&p, dir, digest, enc);
    fd = open(p.data, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < CACHE_HDR)
        goto out;
    buf = ingest_xmalloc((size_t)st.st_size);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r <= 0)
            goto out;
        got += (size_t)r;
    }
    if (memcmp(buf, CACHE_MAGIC, CACHE_MAGIC_LEN) != 0)
        goto out;
    store_sha256(buf + CACHE_HDR, got - CACHE_HDR, sum);
    if (memcmp(sum, buf + CACHE_MAGIC_LEN, STORE_DIGEST_LEN) != 0)
        goto out;
    if (got == CACHE_HDR) {
        *data = NULL;
        *len = 0;
    } else {
        *len = got - CACHE_HDR;
        *data = ingest_xmalloc(*len);
        memcpy(*data, buf + CACHE_HDR, *len);
    }
    rc = 1;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    buf_free(&p);
    return rc;
}

/* Creates dir and every missing parent (mode 0700), like mkdir -p: on a
 * fresh machine neither ~/.cache nor XDG_CACHE_HOME may exist yet.
 * Returns 0 or -1 with errno set. */
static int mkdir_parents(const char *dir)
{
    struct buf b = {0};
    int rc = -1;
    char *s;

    ingest_buf_addf(&b, "%s", dir);
    if (b.data == NULL)
        goto out;
    for (s = b.data + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(b.data, 0700) != 0 && errno != EEXIST)
            goto out;
        *s = '/';
    }
    if (mkdir(b.data, 0700) != 0 && errno != EEXIST)
        goto out;
    rc = 0;
out:
    buf_free(&b);
    return rc;
}

/* Writes a cache entry atomically. Returns 0 or -1 (not fatal). */
static int cache_store(const char *dir, const unsigned char *digest, int enc,
                       const unsigned char *data, size_t len)
{
    struct buf p = {0}, tmp = {0};
    unsigned char hdr[CACHE_HDR];
    char hex[STORE_HEX_LEN + 1];
    int fd = -1, rc = -1;
    size_t off;

    digest_hex(digest, hex);
    ingest_buf_addf(&p, "%s/%.2s", dir, hex);
    if (mkdir_parents(dir) != 0)
        goto out;
    if (mkdir(p.data, 0700) != 0 && errno != EEXIST)
        goto out;
    buf_free(&p);
    cache_path(&p, dir, digest, enc);
    ingest_buf_addf(&tmp, "%s.tmp.XXXXXX", p.data);
    fd = mkostemp(tmp.data, O_CLOEXEC);
    if (fd < 0)
        goto out;
    memcpy(hdr, CACHE_MAGIC, CACHE_MAGIC_LEN);
    store_sha256(data, len, hdr + CACHE_MAGIC_LEN);
    if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
        goto out;
    for (off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);

        if (w <= 0)
            goto out;
        off += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp.data, p.data) != 0)
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && tmp.data != NULL)
        unlink(tmp.data);
    buf_free(&p);
    buf_free(&tmp);
    return rc;
}

static int worth_keeping(size_t len, size_t clen)
{
    return clen < len && len - clen >= 32 && clen <= len - len / 20;
}

static int do_gzip(const unsigned char *in, size_t len, unsigned char **out, size_t *olen)
{
    z_stream z;
    unsigned char *buf;
    uLong bound;
    int rc;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    bound = deflateBound(&z, (uLong)len) + 64;
    buf = ingest_xmalloc(bound);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH);
    *olen = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static int do_brotli(const unsigned char *in, size_t len, int text, unsigned char **out,
                     size_t *olen)
{
    /* q11 runs ~0.3 MB/s per core here, q6 ~10 MB/s for ~10% larger output: the best
     * ratio where files are small, bounded time where bytes are many. */
    int quality = len <= (16u << 10) ? 11 : 6;
    int lgwin = len > (4u << 20) ? 24 : BROTLI_DEFAULT_WINDOW;
    size_t cap = BrotliEncoderMaxCompressedSize(len);
    unsigned char *buf;

    if (cap == 0)
        cap = len + 1024;
    buf = ingest_xmalloc(cap);
    *olen = cap;
    if (!BrotliEncoderCompress(quality, lgwin, text ? BROTLI_MODE_TEXT : BROTLI_MODE_GENERIC, len,
                               in, olen, buf)) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

int ingest_zstd_compress(const unsigned char *in, size_t len, const unsigned char *dict,
                         size_t dict_len, int wlog, unsigned char **out, size_t *olen)
{
    /* level 19 runs ~1-2 MB/s per core here: the best ratio where files
     * are small (most JS and CSS), bounded time above 1 MiB */
    int level = len <= (1u << 20) ? 19 : 9;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len), r;
    unsigned char *buf = NULL;
    int rc = -1;

    if (cc == NULL)
        return -1;
    buf = ingest_xmalloc(cap > 0 ? cap : 1);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0)) ||
        (dict != NULL && ZSTD_isError(ZSTD_CCtx_refPrefix(cc, dict, dict_len))))
        goto out;
    r = ZSTD_compress2(cc, buf, cap, in, len);
    if (ZSTD_isError(r))
        goto out;
    *out = buf;
    *olen = r;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    ZSTD_freeCCtx(cc);
    return rc;
}

struct comp_ctx {
    struct ingest_site *s;
    const struct ingest_compress_opts *o;
    size_t *todo; /* blob indices */
    size_t n;
    atomic_size_t done, compressed, hits, kept, cache_errors;
    atomic_uint_least64_t bytes_in;
    pthread_mutex_t mu;
    int failed;
    char *err;
    size_t errlen;
    void (*tick)(void *, size_t, size_t);
    void *tick_arg;
};

static void comp_fail(struct comp_ctx *c, const char *msg, const char *rel)
{
    pthread_mutex_lock(&c->mu);
    if (!c->failed) {
        ingest_errf(c->err, c->errlen, "%s: %s", rel, msg);
        c->failed = 1;
    }
    pthread_mutex_unlock(&c->mu);
}

/* Reads the whole identity of blob b and checks its digest. Caller frees. */
static unsigned char *read_identity(struct comp_ctx *c, struct ingest_blob *b)
{
    const struct ingest_file *f = &c->s->files[b->file];
    unsigned char *buf = ingest_xmalloc(b->size), sum[STORE_DIGEST_LEN];
    size_t got = 0;
    int fd;

    fd = openat(c->s->root_fd, f->rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        comp_fail(c, strerror(errno), f->rel);
        goto fail;
    }
    while (got < b->size) {
        ssize_t r = pread(fd, buf + got, b->size - got, (off_t)got);

        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    store_sha256(buf, got, sum);
    if (got != b->size || memcmp(sum, b->digest, STORE_DIGEST_LEN) != 0) {
        comp_fail(c, "changed during the push (after it was hashed)", f->rel);
        goto fail;
    }
    return buf;
fail:
    free(buf);
    return NULL;
}

static int comp_one(void *arg, size_t i, unsigned worker)
{
    struct comp_ctx *c = arg;
    struct ingest_blob *b = &c->s->blobs[c->todo[i]];
    const char *type = c->s->files[b->file].type;
    int text = type != NULL && strncmp(type, "text/", 5) == 0;
    unsigned char *id = NULL;
    int encs[3], ne = 0, k, rc = 0;

    if (c->o->br)
        encs[ne++] = STORE_ENC_BR;
    if (c->o->zstd)
        encs[ne++] = STORE_ENC_ZSTD;
    if (c->o->gzip)
        encs[ne++] = STORE_ENC_GZIP;
    for (k = 0; k < ne; k++) {
        int enc = encs[k];
        unsigned char *out = NULL;
        size_t olen = 0;

        if (c->o->cache_dir != NULL && cache_load(c->o->cache_dir, b->digest, enc, &out, &olen)) {
            atomic_fetch_add(&c->hits, 1);
        } else {
            if (id == NULL) {
                id = read_identity(c, b);
                if (id == NULL) {
                    rc = 1;
                    goto out;
                }
                atomic_fetch_add(&c->bytes_in, b->size);
            }
            /* zstd: at most an 8 MiB window, what RFC 9659 lets a browser need */
            if ((enc == STORE_ENC_BR ? do_brotli(id, b->size, text, &out, &olen)
                 : enc == STORE_ENC_ZSTD
                     ? ingest_zstd_compress(id, b->size, NULL, 0, 23, &out, &olen)
                     : do_gzip(id, b->size, &out, &olen)) != 0) {
                comp_fail(c, "compression failed", c->s->files[b->file].rel);
                rc = 1;
                goto out;
            }
            atomic_fetch_add(&c->compressed, 1);
            if (!worth_keeping(b->size, olen)) {
                free(out);
                out = NULL;
                olen = 0;
            }
            if (c->o->cache_dir != NULL &&
                cache_store(c->o->cache_dir, b->digest, enc, out, olen) != 0)
                atomic_fetch_add(&c->cache_errors, 1);
        }
        if (out != NULL && !worth_keeping(b->size, olen)) {
            free(out);
            out = NULL;
            olen = 0;
        }
        free(b->var[enc].data);
        b->var[enc].data = out;
        b->var[enc].len = olen;
        if (out != NULL)
            atomic_fetch_add(&c->kept, 1);
    }
out:
    free(id);
    atomic_fetch_add(&c->done, 1);
    return rc;
}

static int cmp_size_desc(const void *a, const void *b, void *arg)
{
    const struct ingest_blob *blobs = arg;
    uint64_t x = blobs[*(const size_t *)a].size, y = blobs[*(const size_t *)b].size;

    return x > y ? -1 : x < y;
}

static void comp_tick(void *arg)
{
    struct comp_ctx *c = arg;

    c->tick(c->tick_arg, atomic_load(&c->done), c->n);
}

int ingest_compress(struct ingest_site *s, const struct ingest_compress_opts *o,
                    void (*tick)(void *arg, size_t done, size_t total), void *arg,
                    struct ingest_compress_stats *st, char *err, size_t errlen)
{
    struct comp_ctx c;
    size_t i;
    int r;

    memset(&c, 0, sizeof(c));
    memset(st, 0, sizeof(*st));
    if (!o->gzip && !o->br && !o->zstd)
        return INGEST_EXIT_OK;
    c.s = s;
    c.o = o;
    c.err = err;
    c.errlen = errlen;
    c.tick = tick;
    c.tick_arg = arg;
    pthread_mutex_init(&c.mu, NULL);
    c.todo = ingest_xcalloc(s->nblobs, sizeof(*c.todo));
    for (i = 0; i < s->nblobs; i++) {
        if (s->blobs[i].needed && s->blobs[i].compressible && s->blobs[i].size >= 64)
            c.todo[c.n++] = i;
    }
    /* Biggest first: the slowest jobs start early and the tail stays short. */
    qsort_r(c.todo, c.n, sizeof(*c.todo), cmp_size_desc, s->blobs);
    r = ingest_pool_run(o->threads, c.n, comp_one, &c, tick ? comp_tick : NULL, &c);
    st->blobs = c.n;
    st->compressed = atomic_load(&c.compressed);
    st->cache_hits = atomic_load(&c.hits);
    st->kept = atomic_load(&c.kept);
    st->bytes_in = atomic_load(&c.bytes_in);
    st->cache_errors = atomic_load(&c.cache_errors);
    free(c.todo);
    pthread_mutex_destroy(&c.mu);
    return r == 0 ? INGEST_EXIT_OK : INGEST_EXIT_LOCAL;
}
