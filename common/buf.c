/*
 * buf.c - the growable byte buffer (buf.h).
 *
 * For: the one growable buffer of the tree. Not for: arenas or buffers
 * shared between threads.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST 256 /* the first allocation, unless more is needed at once */

/* Makes room for n more bytes and the NUL. Returns BUF_OK, BUF_EFULL or
 * BUF_ENOMEM (b unchanged). */
static int grow(struct buf *b, size_t n)
{
    size_t need, ncap;
    char *np;

    if (b->max != 0 && n > b->max - b->len)
        return BUF_EFULL;
    if (n > (size_t)-1 - b->len - 1)
        return BUF_ENOMEM;
    need = b->len + n + 1;
    if (need <= b->cap)
        return BUF_OK;
    ncap = b->cap ? b->cap : BUF_FIRST;
    while (ncap < need)
        ncap = ncap > (size_t)-1 / 2 ? need : ncap * 2;
    if (b->max != 0 && ncap > b->max + 1)
        ncap = b->max + 1;
    np = realloc(b->data, ncap);
    if (np == NULL)
        return BUF_ENOMEM;
    b->data = np;
    b->cap = ncap;
    return BUF_OK;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
    int rc = grow(b, n);

    if (rc != BUF_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return BUF_OK;
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n, rc;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    rc = n < 0 ? BUF_EFORMAT : grow(b, (size_t)n);
    if (rc == BUF_OK) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
