/*
 * compress.h - br, zstd and gzip variants of compressible blobs, cached by
 * digest; the zstd encoder dictionary deltas use too.
 */
#ifndef ORIGIN_INGEST_COMPRESS_H
#define ORIGIN_INGEST_COMPRESS_H

#include "ingest.h"

struct ingest_compress_opts {
    int gzip, br, zstd;    /* which variants to make */
    const char *cache_dir; /* NULL: no cache */
    unsigned threads;
};

struct ingest_compress_stats {
    size_t blobs;        /* blobs considered (needed and compressible) */
    size_t compressed;   /* variants computed now */
    size_t cache_hits;   /* variants (or "not smaller" decisions) read from the cache */
    size_t kept;         /* variants kept (smaller by the margin) */
    uint64_t bytes_in;   /* identity bytes compressed now */
    size_t cache_errors; /* cache entries that could not be written (not fatal) */
};

/* Default cache directory: $ORIGIN_INGEST_CACHE, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/origin-ingest. Caller frees; NULL if no
 * home is known. */
char *ingest_compress_default_cache(void);

/* Fills blob->var[] for every blob with needed && compressible set, using
 * every thread given. A variant is kept only if it saves at least 5% and 32
 * bytes. Results (including "not smaller") are cached in cache_dir as
 * <hex[0:2]>/<hex>.br, .zst or .gz, written atomically (temporary file + rename), and
 * checksummed, so a later push never recompresses the same bytes. The bytes
 * compressed are re-hashed first, so a file that changed since it was hashed
 * is an error, never a wrong variant.
 * Brotli quality 11 up to 16 KiB, 6 above (bounded time); zstd level 19 up
 * to 1 MiB, 9 above, window at most 8 MiB; gzip level 9.
 * Returns INGEST_EXIT_OK or INGEST_EXIT_LOCAL (err filled). */
int ingest_compress(struct ingest_site *s, const struct ingest_compress_opts *o,
                    void (*tick)(void *arg, size_t done, size_t total), void *arg,
                    struct ingest_compress_stats *st, char *err, size_t errlen);

/* Compresses in[0..len) as one zstd frame (no checksum; level 19 up to
 * 1 MiB, 9 above) with a window of at most 2^wlog bytes and, when dict is
 * not NULL, dict[0..dict_len) as raw-content prefix (a dcz delta's frame).
 * Returns 0 with *out (caller frees) and *olen, or -1. */
int ingest_zstd_compress(const unsigned char *in, size_t len, const unsigned char *dict,
                         size_t dict_len, int wlog, unsigned char **out, size_t *olen);

#endif
