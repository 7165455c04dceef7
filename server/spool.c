/*
 * spool.c - admin request bodies held until complete (spool.h).
 */
#include "spool.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Creates a spool for a body of expect bytes; in a temp file under dir if
 * large. Returns NULL on failure (logged). Caller frees with spool_free(). */
struct spool *spool_new(const char *dir, uint64_t expect)
{
    struct spool *sp = calloc(1, sizeof(*sp));

    if (sp == NULL)
        return NULL;
    sp->fd = -1;
    sp->expect = expect;
    if (expect <= SPOOL_MEM_MAX) {
        sp->mem = malloc(expect > 0 ? expect : 1);
        if (sp->mem == NULL)
            goto fail;
        return sp;
    }
    sp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (sp->fd < 0) {
        char tmpl[4096];

        snprintf(tmpl, sizeof(tmpl), "%s/.upload.XXXXXX", dir);
        sp->fd = mkostemp(tmpl, O_CLOEXEC);
        if (sp->fd < 0) {
            log_error("admin: cannot create a spool file in %s: %s", dir, strerror(errno));
            goto fail;
        }
        unlink(tmpl);
    }
    return sp;
fail:
    free(sp->mem);
    free(sp);
    return NULL;
}

void spool_free(struct spool *sp)
{
    if (sp == NULL)
        return;
    if (sp->map != NULL && sp->map != MAP_FAILED)
        munmap(sp->map, sp->got);
    if (sp->fd >= 0)
        close(sp->fd);
    free(sp->mem);
    free(sp);
}

/* Appends n bytes; returns 0, or -1 on overflow past expect or a write
 * error (errno set). */
int spool_add(struct spool *sp, const char *data, size_t n)
{
    if (n > sp->expect - sp->got) {
        errno = EMSGSIZE;
        return -1;
    }
    if (sp->mem != NULL) {
        memcpy(sp->mem + sp->got, data, n);
    } else {
        size_t off = 0;

        while (off < n) {
            ssize_t w = pwrite(sp->fd, data + off, n - off, (off_t)(sp->got + off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            off += (size_t)w;
        }
    }
    sp->got += n;
    return 0;
}

/* The complete body (valid until spool_free). NULL on a mapping error. */
const unsigned char *spool_data(struct spool *sp)
{
    if (sp->mem != NULL)
        return sp->mem;
    if (sp->map == NULL) {
        sp->map = mmap(NULL, sp->got, PROT_READ, MAP_PRIVATE, sp->fd, 0);
        if (sp->map == MAP_FAILED) {
            log_error("admin: cannot map a spool file: %s", strerror(errno));
            return NULL;
        }
    }
    return sp->map;
}
