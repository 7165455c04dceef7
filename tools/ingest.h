/*
 * ingest.h - shared types of origin-ingest: the site being pushed (files and
 * unique blobs), exit codes, and small helpers every tools/ module uses.
 *
 * Not for: talking to nodes (node.h), walking (walk.h), naming (naming.h).
 *
 * Ownership: a struct ingest_site owns every string and buffer reachable from
 * it; ingest_site_free() releases them all.
 */
#ifndef ORIGIN_INGEST_H
#define ORIGIN_INGEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "store.h"

/* Exit codes of origin-ingest (documented in --help). */
enum ingest_exit {
    INGEST_EXIT_OK = 0,
    INGEST_EXIT_USAGE = 2,    /* bad command line or environment */
    INGEST_EXIT_CONFLICT = 3, /* a path is already bound to other bytes on a node */
    INGEST_EXIT_NODE = 4,     /* a node unreachable, failing after retries, or refusing */
    INGEST_EXIT_LOCAL = 5,    /* local I/O error, unpublishable or changing file */
    INGEST_EXIT_THROUGH = 6,  /* verify --through: the CDN served a file wrong (or not in time) */
};

/* The nodes a command talks to, and how (every pointer borrowed). */
struct ingest_fleet {
    const char *const *nodes; /* admin base URLs, http:// or https:// */
    size_t nnodes;            /* >= 1 */
    const char *token;        /* bearer token (never printed) */
    const char *cacert;       /* CA file for https:// nodes, NULL: the system's */
    unsigned retries;         /* retries of a request (transport.h's rules) */
};

/* One regular file of the build directory. */
struct ingest_file {
    char *rel;        /* path under DIR, '/'-separated, raw bytes, NUL-terminated */
    char *path;       /* published path ("/assets/css/app.<hash>.css"), after naming */
    const char *type; /* Content-Type, static string from mime.c */
    uint64_t size;    /* at hash time */
    dev_t dev;        /* identity and times at hash time, to detect changes */
    ino_t ino;
    struct timespec mtime, ctime;
    unsigned char digest[STORE_DIGEST_LEN];
    size_t blob; /* index into site->blobs */
};

/* A precompressed variant held in memory (data NULL: none, not smaller). */
struct ingest_variant {
    unsigned char *data;
    size_t len;
};

/* One distinct content (several files may share it). */
struct ingest_blob {
    unsigned char digest[STORE_DIGEST_LEN];
    uint64_t size;
    size_t file;      /* index of one file holding these bytes */
    int compressible; /* some file with these bytes has a compressible type */
    int needed;       /* at least one node lacks it */
    struct ingest_variant var[STORE_ENC_COUNT]; /* [STORE_ENC_GZIP], [STORE_ENC_BR] */
};

struct ingest_site {
    char *root;  /* DIR as given */
    int root_fd; /* open directory, files are opened relative to it */
    struct ingest_file *files;
    size_t nfiles, cap;
    struct ingest_blob *blobs;
    size_t nblobs;
    uint64_t bytes;         /* sum of file sizes */
    size_t hidden_skipped;  /* dotfiles / dot-directories not published */
    size_t special_skipped; /* fifos, sockets, devices */
};

/* Frees everything the site owns (not the struct itself). */
void ingest_site_free(struct ingest_site *s);

/* Groups files by digest into s->blobs (sorted by digest) and sets each
 * file's blob index. Returns 0, or -1 on allocation failure. */
int ingest_site_index_blobs(struct ingest_site *s);

/* Index of the blob with this digest in s->blobs, or (size_t)-1. */
size_t ingest_site_find_blob(const struct ingest_site *s, const unsigned char *digest);

/* snprintf into err[errlen] that never fails loudly (truncates). */
void ingest_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Allocation helpers that exit(INGEST_EXIT_LOCAL) with a message on failure:
 * origin-ingest is a CLI, and running out of memory is a local error. */
void *ingest_xmalloc(size_t n);
void *ingest_xcalloc(size_t n, size_t size);
void *ingest_xrealloc(void *p, size_t n);
char *ingest_xstrdup(const char *s);
char *ingest_xstrndup(const char *s, size_t n);

/* origin-ingest's growable buffers are common/buf.h's struct buf (zeroed
 * before use, no max, freed with buf_free()). These append as buf_add()
 * and buf_addf() do, and exit with INGEST_EXIT_LOCAL when memory runs out,
 * as ingest_xmalloc() does; a format vsnprintf refuses adds nothing. */
void ingest_buf_add(struct buf *b, const void *p, size_t n);
void ingest_buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Human-readable byte count into out ("12.3 MB"). Returns out. */
const char *ingest_human_bytes(uint64_t n, char *out, size_t outlen);

#endif /* ORIGIN_INGEST_H */
