/*
 * hash.h - hashing the files of a site on the thread pool (pool.h, which
 * this header includes for its callers).
 */
#ifndef ORIGIN_INGEST_HASH_H
#define ORIGIN_INGEST_HASH_H

#include "ingest.h"
#include "pool.h"

/* Progress of ingest_hash_files, readable from another thread. */
struct ingest_hash_progress {
    size_t files;
    uint64_t bytes;
};

/* Hashes every file of s (SHA-256 of all bytes, never trusting size or
 * mtime) with `threads` threads, filling digest, size, dev, ino, mtime and
 * ctime. tick(arg, &progress) runs on the calling thread ~10 times a second.
 * Returns INGEST_EXIT_OK or INGEST_EXIT_LOCAL (err names the file: it cannot
 * be opened or read, is no longer a regular file, or vanished). */
int ingest_hash_files(struct ingest_site *s, unsigned threads,
                      void (*tick)(void *arg, const struct ingest_hash_progress *p), void *arg,
                      char *err, size_t errlen);

/* Re-stats file i and compares it with what was hashed (size, inode, mtime,
 * ctime). Returns 0 if unchanged, -1 (err filled) if changed or gone. */
int ingest_file_unchanged(const struct ingest_site *s, size_t i, char *err, size_t errlen);

/* ingest_file_unchanged() for every file of s, on `threads` threads. Returns
 * 0 if none changed, -1 if one did (err names one: the first in walk order
 * that the workers reached). */
int ingest_files_unchanged(const struct ingest_site *s, unsigned threads, char *err, size_t errlen);

/* Hashes file i again now into out. Returns 0, or -1 if it cannot be read. */
int ingest_file_rehash(const struct ingest_site *s, size_t i, unsigned char out[STORE_DIGEST_LEN]);

#endif
