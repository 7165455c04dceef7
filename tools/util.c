/*
 * util.c - small helpers shared by the origin-ingest modules: allocation that
 * exits on failure, appending to a buffer (common/buf.h) or exiting, the
 * site's blob index.
 *
 * Not for: anything that does I/O beyond stderr messages.
 */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ingest_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void oom(void)
{
    fputs("origin-ingest: out of memory\n", stderr);
    exit(INGEST_EXIT_LOCAL);
}

void *ingest_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom();
    return p;
}

void *ingest_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        oom();
    return p;
}

void *ingest_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        oom();
    return q;
}

char *ingest_xstrdup(const char *s)
{
    return ingest_xstrndup(s, strlen(s));
}

char *ingest_xstrndup(const char *s, size_t n)
{
    char *p = ingest_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void ingest_buf_add(struct buf *b, const void *p, size_t n)
{
    if (buf_add(b, p, n) != BUF_OK)
        oom();
}

void ingest_buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    if (rc != BUF_OK && rc != BUF_EFORMAT)
        oom();
}

const char *ingest_human_bytes(uint64_t n, char *out, size_t outlen)
{
    /* Unit thresholds are where the rounded value would reach 1000.0
     * (999950 B would print "1000.0 kB"): the next unit says it better. */
    if (n < 1000)
        snprintf(out, outlen, "%llu B", (unsigned long long)n);
    else if (n < 999950)
        snprintf(out, outlen, "%.1f kB", (double)n / 1e3);
    else if (n < 999950000ull)
        snprintf(out, outlen, "%.1f MB", (double)n / 1e6);
    else
        snprintf(out, outlen, "%.2f GB", (double)n / 1e9);
    return out;
}

void ingest_site_free(struct ingest_site *s)
{
    size_t i;
    int e;

    for (i = 0; i < s->nfiles; i++) {
        free(s->files[i].rel);
        free(s->files[i].path);
    }
    free(s->files);
    for (i = 0; i < s->nblobs; i++) {
        for (e = 0; e < STORE_ENC_COUNT; e++)
            free(s->blobs[i].var[e].data);
    }
    free(s->blobs);
    free(s->root);
    memset(s, 0, sizeof(*s));
    s->root_fd = -1;
}

static int cmp_by_digest(const void *a, const void *b, void *arg)
{
    const struct ingest_file *files = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = memcmp(files[i].digest, files[j].digest, STORE_DIGEST_LEN);

    if (c != 0)
        return c;
    return i < j ? -1 : i > j;
}

int ingest_site_index_blobs(struct ingest_site *s)
{
    size_t *order, i, n = 0;

    order = ingest_xcalloc(s->nfiles, sizeof(*order));
    for (i = 0; i < s->nfiles; i++)
        order[i] = i;
    qsort_r(order, s->nfiles, sizeof(*order), cmp_by_digest, s->files);
    free(s->blobs);
    s->blobs = ingest_xcalloc(s->nfiles, sizeof(*s->blobs));
    for (i = 0; i < s->nfiles; i++) {
        struct ingest_file *f = &s->files[order[i]];

        if (n == 0 || memcmp(s->blobs[n - 1].digest, f->digest, STORE_DIGEST_LEN) != 0) {
            memcpy(s->blobs[n].digest, f->digest, STORE_DIGEST_LEN);
            s->blobs[n].size = f->size;
            s->blobs[n].file = order[i];
            n++;
        }
        f->blob = n - 1;
        if (f->type != NULL && store_type_compressible(f->type, strlen(f->type)))
            s->blobs[n - 1].compressible = 1;
    }
    s->nblobs = n;
    free(order);
    return 0;
}

size_t ingest_site_find_blob(const struct ingest_site *s, const unsigned char *digest)
{
    size_t lo = 0, hi = s->nblobs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(s->blobs[mid].digest, digest, STORE_DIGEST_LEN);

        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}
