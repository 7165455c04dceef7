/*
 * fuzz_util.h - small helpers shared by the fuzz drivers (header only).
 *
 * For: splitting one fuzz input into several fields, and a scratch store in
 * a private temporary directory for drivers that exercise store calls.
 * Not for: anything outside tests/fuzz.
 */
#ifndef ORIGIND_FUZZ_UTIL_H
#define ORIGIND_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

/* Takes the bytes of data[*pos..size) up to the next '\n' (or the end) as one
 * field. Returns 0 when the input is exhausted. */
static inline int fuzz_field(const uint8_t *data, size_t size, size_t *pos, const char **f,
                             size_t *flen)
{
    const uint8_t *nl;

    if (*pos > size)
        return 0;
    *f = (const char *)data + *pos;
    nl = memchr(data + *pos, '\n', size - *pos);
    *flen = nl != NULL ? (size_t)(nl - (data + *pos)) : size - *pos;
    *pos += *flen + 1;
    return 1;
}

/* A heap copy of s[0..len) with exactly len bytes (no NUL): ASan catches any
 * read past the end, which a NUL-terminated copy would hide. Caller frees. */
static inline char *fuzz_exact(const char *s, size_t len)
{
    char *p = malloc(len > 0 ? len : 1);

    if (p != NULL && len > 0)
        memcpy(p, s, len);
    return p;
}

/* A NUL-terminated heap copy. Caller frees. */
static inline char *fuzz_cstr(const char *s, size_t len)
{
    char *p = malloc(len + 1);

    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch store's directory (one per process). */
static inline char *fuzz_store_dir_buf(void)
{
    static char dir[256];

    return dir;
}

static inline void fuzz_store_cleanup(void)
{
    char p[320];
    const char *fuzz_store_dir = fuzz_store_dir_buf();

    if (fuzz_store_dir[0] == '\0')
        return;
    snprintf(p, sizeof(p), "%s/data.mdb", fuzz_store_dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", fuzz_store_dir);
    unlink(p);
    rmdir(fuzz_store_dir);
}

/* Opens a scratch store (64 MiB map) in a fresh temporary directory under
 * $FUZZ_STORE_TMP, /dev/shm or /tmp, removed at exit. Aborts on failure
 * (a driver cannot run without it). */
static inline struct store *fuzz_store_open(void)
{
    struct store_options opt = {.map_size = 64u << 20, .max_readers = 16, .max_blob = 1u << 20};
    struct store *st = NULL;
    const char *base = getenv("FUZZ_STORE_TMP");
    char *fuzz_store_dir = fuzz_store_dir_buf();

    if (base == NULL)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_store_dir, 256, "%s/origind-fuzz.XXXXXX", base);
    if (mkdtemp(fuzz_store_dir) == NULL || store_open(fuzz_store_dir, &opt, &st) != STORE_OK) {
        fprintf(stderr, "fuzz: cannot open a scratch store in %s\n", base);
        abort();
    }
    atexit(fuzz_store_cleanup);
    return st;
}

#endif
