/*
 * hash.c - parallel SHA-256 of every file of the build, on the thread pool
 * (pool.c) sized to the online cores.
 *
 * For: hashing every byte (a re-push never trusts size or mtime), recording
 * what was hashed so that a file changing before publish is detected.
 * Not for: naming or deduplicating (naming.c, util.c), the pool itself
 * (pool.c).
 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HASH_BUF (256u << 10)

/* Per-worker hashing state: one digest context, reset for every file (a
 * context and an implicit fetch of SHA-256 per file cost more than hashing
 * a small file), and the read buffer. */
struct hash_worker {
    const EVP_MD *md; /* SHA-256, fetched once (borrowed) */
    EVP_MD_CTX *ctx;
    unsigned char *buf;
};

/* Sets up w with md (NULL: EVP_sha256()). Returns 0, or -1 out of memory. */
static int worker_init(struct hash_worker *w, const EVP_MD *md)
{
    w->md = md != NULL ? md : EVP_sha256();
    w->ctx = EVP_MD_CTX_new();
    w->buf = ingest_xmalloc(HASH_BUF);
    return w->ctx != NULL ? 0 : -1;
}

static void worker_free(struct hash_worker *w)
{
    EVP_MD_CTX_free(w->ctx);
    free(w->buf);
}

/* Hashes the open regular file fd into out with w's context and buffer,
 * reading until EOF. expect is the size fstat gave (a hint: a file of at
 * most the buffer's size is read with one read(2) that also sees EOF).
 * Returns 0 (*size: bytes hashed) or an errno. */
static int hash_fd(int fd, struct hash_worker *w, size_t buflen, uint64_t expect, uint64_t *size,
                   unsigned char out[STORE_DIGEST_LEN])
{
    uint64_t total = 0;
    unsigned int dl = 0;

    if (w->ctx == NULL || EVP_DigestInit_ex(w->ctx, w->md, NULL) != 1)
        return ENOMEM;
    for (;;) {
        /* ask for one byte more than is left: a short read is then EOF */
        size_t want = buflen;
        ssize_t r;

        if (expect >= total && expect - total < buflen)
            want = (size_t)(expect - total) + 1;
        r = read(fd, w->buf, want);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (r == 0)
            break;
        EVP_DigestUpdate(w->ctx, w->buf, (size_t)r);
        total += (uint64_t)r;
        if ((size_t)r < want && total == expect)
            break; /* a regular file reads short only at its end */
    }
    EVP_DigestFinal_ex(w->ctx, out, &dl);
    *size = total;
    return 0;
}

struct hash_ctx {
    struct ingest_site *s;
    struct hash_worker *ws; /* one per pool worker */
    atomic_size_t files;
    atomic_uint_least64_t bytes;
    pthread_mutex_t mu;
    char *err;
    size_t errlen;
    int failed;
    void (*tick)(void *, const struct ingest_hash_progress *);
    void *tick_arg;
};

static void hash_fail(struct hash_ctx *h, const char *rel, const char *what, int e)
{
    pthread_mutex_lock(&h->mu);
    if (!h->failed) {
        ingest_errf(h->err, h->errlen, "%s: %s: %s", rel, what, strerror(e));
        h->failed = 1;
    }
    pthread_mutex_unlock(&h->mu);
}

static int hash_one(void *arg, size_t i, unsigned worker)
{
    struct hash_ctx *h = arg;
    struct ingest_file *f = &h->s->files[i];
    struct stat st;
    uint64_t size = 0;
    int fd, e;

    fd = openat(h->s->root_fd, f->rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        hash_fail(h, f->rel, "cannot open", errno);
        return 1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hash_fail(h, f->rel, "not a regular file", EINVAL);
        close(fd);
        return 1;
    }
    if (st.st_size > (off_t)(1 << 20))
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    e = hash_fd(fd, &h->ws[worker], HASH_BUF, (uint64_t)st.st_size, &size, f->digest);
    close(fd);
    if (e != 0) {
        hash_fail(h, f->rel, "cannot read", e);
        return 1;
    }
    if (size != (uint64_t)st.st_size) {
        hash_fail(h, f->rel, "changed while being hashed", EAGAIN);
        return 1;
    }
    f->size = size;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->mtime = st.st_mtim;
    f->ctime = st.st_ctim;
    atomic_fetch_add(&h->files, 1);
    atomic_fetch_add(&h->bytes, size);
    return 0;
}

static void hash_tick(void *arg)
{
    struct hash_ctx *h = arg;
    struct ingest_hash_progress p;

    p.files = atomic_load(&h->files);
    p.bytes = atomic_load(&h->bytes);
    h->tick(h->tick_arg, &p);
}

int ingest_hash_files(struct ingest_site *s, unsigned threads,
                      void (*tick)(void *arg, const struct ingest_hash_progress *p), void *arg,
                      char *err, size_t errlen)
{
    struct hash_ctx h;
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL); /* NULL: EVP_sha256() */
    unsigned t;
    size_t i;
    int r = 0;

    memset(&h, 0, sizeof(h));
    if (threads < 1)
        threads = 1;
    h.s = s;
    h.err = err;
    h.errlen = errlen;
    h.tick = tick;
    h.tick_arg = arg;
    atomic_init(&h.files, 0);
    atomic_init(&h.bytes, 0);
    pthread_mutex_init(&h.mu, NULL);
    h.ws = ingest_xcalloc(threads, sizeof(*h.ws));
    for (t = 0; t < threads; t++) {
        if (worker_init(&h.ws[t], md) != 0)
            r = 1;
    }
    if (r != 0)
        ingest_errf(err, errlen, "out of memory (digest context)");
    else
        r = ingest_pool_run(threads, s->nfiles, hash_one, &h, tick ? hash_tick : NULL, &h);
    for (t = 0; t < threads; t++)
        worker_free(&h.ws[t]);
    free(h.ws);
    EVP_MD_free(md);
    pthread_mutex_destroy(&h.mu);
    if (r != 0)
        return INGEST_EXIT_LOCAL;
    s->bytes = 0;
    for (i = 0; i < s->nfiles; i++)
        s->bytes += s->files[i].size;
    if (tick != NULL)
        hash_tick(&h);
    return INGEST_EXIT_OK;
}

int ingest_file_unchanged(const struct ingest_site *s, size_t i, char *err, size_t errlen)
{
    const struct ingest_file *f = &s->files[i];
    struct stat st;

    if (fstatat(s->root_fd, f->rel, &st, 0) != 0) {
        ingest_errf(err, errlen, "%s: %s (changed during the push)", f->rel, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size || st.st_ino != f->ino ||
        st.st_dev != f->dev || st.st_mtim.tv_sec != f->mtime.tv_sec ||
        st.st_mtim.tv_nsec != f->mtime.tv_nsec || st.st_ctim.tv_sec != f->ctime.tv_sec ||
        st.st_ctim.tv_nsec != f->ctime.tv_nsec) {
        ingest_errf(err, errlen, "%s changed during the push (after it was hashed)", f->rel);
        return -1;
    }
    return 0;
}

struct recheck_ctx {
    const struct ingest_site *s;
    pthread_mutex_t mu;
    size_t first; /* lowest changed index seen */
    char *err;
    size_t errlen;
};

static int recheck_one(void *arg, size_t i, unsigned worker)
{
    struct recheck_ctx *r = arg;
    char msg[600];

    (void)worker;
    if (ingest_file_unchanged(r->s, i, msg, sizeof(msg)) == 0)
        return 0;
    pthread_mutex_lock(&r->mu);
    if (i < r->first) {
        r->first = i;
        ingest_errf(r->err, r->errlen, "%s", msg);
    }
    pthread_mutex_unlock(&r->mu);
    return 1;
}

int ingest_files_unchanged(const struct ingest_site *s, unsigned threads, char *err, size_t errlen)
{
    struct recheck_ctx r;
    int rc;

    r.s = s;
    r.first = (size_t)-1;
    r.err = err;
    r.errlen = errlen;
    pthread_mutex_init(&r.mu, NULL);
    rc = ingest_pool_run(threads, s->nfiles, recheck_one, &r, NULL, NULL);
    pthread_mutex_destroy(&r.mu);
    return rc == 0 ? 0 : -1;
}

int ingest_file_rehash(const struct ingest_site *s, size_t i, unsigned char out[STORE_DIGEST_LEN])
{
    struct hash_worker w;
    struct stat st;
    uint64_t size = 0;
    int fd, rc = -1;

    if (worker_init(&w, NULL) != 0)
        goto out;
    fd = openat(s->root_fd, s->files[i].rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        goto out;
    if (fstat(fd, &st) == 0 && hash_fd(fd, &w, HASH_BUF, (uint64_t)st.st_size, &size, out) == 0)
        rc = 0;
    close(fd);
out:
    worker_free(&w);
    return rc;
}
