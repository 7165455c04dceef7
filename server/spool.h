/*
 * spool.h - an admin request body held until the request is complete:
 * bounded by its Content-Length, in memory when small (SPOOL_MEM_MAX), else
 * in an unlinked temporary file in the store directory that is mapped
 * read-only for the store call. Used by admin.c (filling it) and freed by
 * server.c's completion callback (req_completed_cb).
 *
 * Thread-safety: a spool belongs to one request; nothing is shared.
 */
#ifndef ORIGIND_SPOOL_H
#define ORIGIND_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_MEM_MAX (8u * 1024 * 1024)

struct spool {
    uint64_t expect;    /* Content-Length */
    uint64_t got;       /* bytes added so far */
    unsigned char *mem; /* expect <= SPOOL_MEM_MAX */
    int fd;             /* otherwise: unlinked temp file */
    void *map;          /* mapping of fd after the body is complete */
};

/* Creates a spool for a body of expect bytes; in a temp file under dir
 * (O_TMPFILE, else mkostemp + unlink) if over SPOOL_MEM_MAX. Returns NULL
 * on failure (logged). Caller frees with spool_free(). */
struct spool *spool_new(const char *dir, uint64_t expect);

/* Appends n bytes. Returns 0, or -1 with errno set: EMSGSIZE past expect,
 * or the write error (ENOSPC, ...). */
int spool_add(struct spool *sp, const char *data, size_t n);

/* The got bytes of the body (valid until spool_free). NULL on a mapping
 * error (logged). */
const unsigned char *spool_data(struct spool *sp);

/* Unmaps, closes and frees sp. NULL is a no-op. */
void spool_free(struct spool *sp);

#endif /* ORIGIND_SPOOL_H */
