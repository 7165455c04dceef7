/*
 * buf.h - one growable byte buffer, optionally capped.
 *
 * For: bodies read from the network (the peer client's transfers, which
 * must not grow past what was announced) and text built piece by piece
 * (origin-ingest's names, URLs, requests and manifests).
 * Not for: what to do when memory runs out (every function returns an
 * error; the caller decides: origind fails the request, origin-ingest may
 * exit).
 *
 * A struct buf is plain data: zero it ({NULL, 0, 0, MAX} or memset) before
 * the first add, free it with buf_free(). One buffer is for one thread at a
 * time; distinct buffers need no locking.
 */
#ifndef ORIGIND_BUF_H
#define ORIGIND_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* malloc'd, owned by the buffer; NULL until the first add
                 * that succeeds, then always NUL-terminated at data[len] */
    size_t len; /* bytes held, not counting the NUL */
    size_t cap; /* bytes allocated (len + 1 at least once data is set) */
    size_t max; /* the most bytes len may reach; 0: no limit */
};

/* What the functions return. */
enum buf_err {
    BUF_OK = 0,
    BUF_ENOMEM = -1,  /* an allocation failed */
    BUF_EFULL = -2,   /* the bytes would take len past max */
    BUF_EFORMAT = -3, /* vsnprintf refused the format (an invalid conversion or wide character) */
};

/* Appends p[0..n) (n may be 0; p may then be NULL). Returns BUF_OK,
 * BUF_EFULL or BUF_ENOMEM; on error the buffer is unchanged. The growth
 * doubles (so appending is amortised O(1)) but never allocates more than
 * max + 1 bytes when max is set. data may move: pointers into it are valid
 * only until the next add. */
int buf_add(struct buf *b, const void *p, size_t n);

/* Appends printf-formatted text. Returns BUF_OK, BUF_EFORMAT, BUF_EFULL or
 * BUF_ENOMEM; on error the buffer is unchanged. buf_vaddf() is the same
 * with a va_list (which it uses up, as vprintf does). */
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Frees data and empties the buffer (len and cap 0, data NULL); max is
 * kept, so the buffer may be used again. NULL-safe on data. */
void buf_free(struct buf *b);

#endif /* ORIGIND_BUF_H */
