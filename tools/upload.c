/*
 * upload.c - the streamed body of an upload to a node (upload.h): items of
 * the site, each a bundle record (admin_bundle_header, then the payload) or
 * raw bytes, identity payloads read from the build directory with pread.
 *
 * For: node.c's uploads. Not for: planning what goes where (node.c) or the
 * transfer itself (transport.c).
 */
#include "upload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_body.h"
#include "hash.h"

#define REC_HDR ADMIN_BUNDLE_HDR_LEN

struct item {
    size_t blob;
    int enc;
};

/* The streamed body of an upload: records (bundle) or one raw item. */
struct ingest_upload {
    const struct ingest_site *s;
    struct item *items;
    size_t nitems, cap;
    int raw;
    /* Read state. */
    size_t cur;
    uint64_t cur_off;
    int fd;
};

static uint64_t item_len(const struct ingest_site *s, const struct item *it)
{
    const struct ingest_blob *b = &s->blobs[it->blob];

    return it->enc == STORE_ENC_IDENTITY ? b->size : b->var[it->enc].len;
}

static ssize_t upload_read(void *arg, char *buf, size_t cap, char *why, size_t why_size)
{
    struct ingest_upload *u = arg;
    const struct ingest_site *s = u->s;
    size_t out = 0;

    while (out < cap && u->cur < u->nitems) {
        const struct item *it = &u->items[u->cur];
        const struct ingest_blob *b = &s->blobs[it->blob];
        uint64_t plen = item_len(s, it), hdr = u->raw ? 0 : REC_HDR, off;

        if (u->cur_off < hdr) {
            unsigned char h[REC_HDR];
            size_t take;

            admin_bundle_header((unsigned)it->enc, b->digest, plen, h);
            take = (size_t)(hdr - u->cur_off);
            if (take > cap - out)
                take = cap - out;
            memcpy(buf + out, h + u->cur_off, take);
            out += take;
            u->cur_off += take;
            continue;
        }
        off = u->cur_off - hdr;
        if (off < plen) {
            size_t take = plen - off > cap - out ? cap - out : (size_t)(plen - off);

            if (it->enc != STORE_ENC_IDENTITY) {
                memcpy(buf + out, b->var[it->enc].data + off, take);
            } else {
                const struct ingest_file *f = &s->files[b->file];
                ssize_t got;

                if (u->fd < 0) {
                    struct stat st;

                    u->fd =
                        openat(s->root_fd, f->rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                    if (u->fd < 0 || fstat(u->fd, &st) != 0 || (uint64_t)st.st_size != plen) {
                        snprintf(why, why_size, "%s changed or vanished during the push", f->rel);
                        return -1;
                    }
                }
                got = pread(u->fd, buf + out, take, (off_t)off);
                if (got <= 0) {
                    snprintf(why, why_size, "%s: %s", f->rel,
                             got < 0 ? strerror(errno) : "shrank during the push");
                    return -1;
                }
                take = (size_t)got;
            }
            out += take;
            u->cur_off += take;
            continue;
        }
        /* Item done. */
        if (u->fd >= 0) {
            close(u->fd);
            u->fd = -1;
        }
        u->cur++;
        u->cur_off = 0;
    }
    return (ssize_t)out;
}

static void upload_rewind(void *arg)
{
    struct ingest_upload *u = arg;

    if (u->fd >= 0) {
        close(u->fd);
        u->fd = -1;
    }
    u->cur = 0;
    u->cur_off = 0;
}

static void upload_free(void *arg)
{
    struct ingest_upload *u = arg;

    free(u->items);
    free(u);
}

const struct ingest_body_ops ingest_upload_ops = {upload_read, upload_rewind, upload_free};

struct ingest_upload *ingest_upload_new(const struct ingest_site *s, int raw)
{
    struct ingest_upload *u = ingest_xcalloc(1, sizeof(*u));

    u->s = s;
    u->raw = raw;
    u->fd = -1;
    return u;
}

uint64_t ingest_upload_add(struct ingest_upload *u, size_t blob, int enc)
{
    struct item *it;

    if (u->nitems == u->cap) {
        u->cap = u->cap ? u->cap * 2 : (u->raw ? 1 : 64);
        u->items = ingest_xrealloc(u->items, u->cap * sizeof(*u->items));
    }
    it = &u->items[u->nitems++];
    it->blob = blob;
    it->enc = enc;
    return (u->raw ? 0 : REC_HDR) + item_len(u->s, it);
}

size_t ingest_upload_items(const struct ingest_upload *u)
{
    return u->nitems;
}

size_t ingest_upload_blob(const struct ingest_upload *u, size_t i)
{
    return u->items[i].blob;
}

void ingest_upload_count(const struct ingest_upload *u, size_t *blobs, size_t *variants)
{
    size_t i;

    *blobs = *variants = 0;
    for (i = 0; i < u->nitems; i++) {
        if (u->items[i].enc == STORE_ENC_IDENTITY)
            (*blobs)++;
        else
            (*variants)++;
    }
}

int ingest_upload_changed(const struct ingest_upload *u, char *msg, size_t len)
{
    const struct ingest_site *s = u->s;
    size_t i;

    for (i = 0; i < u->nitems; i++) {
        const struct ingest_blob *b = &s->blobs[u->items[i].blob];
        unsigned char now[STORE_DIGEST_LEN];

        if (u->items[i].enc != STORE_ENC_IDENTITY)
            continue;
        if (ingest_file_unchanged(s, b->file, msg, len) != 0)
            return 1;
        if (ingest_file_rehash(s, b->file, now) != 0 ||
            memcmp(now, b->digest, STORE_DIGEST_LEN) != 0) {
            snprintf(msg, len, "%s changed during the push (after it was hashed)",
                     s->files[b->file].rel);
            return 1;
        }
    }
    return 0;
}
