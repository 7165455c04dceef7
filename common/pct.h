/*
 * pct.h - percent-decoding ("%2F" to '/'), with the strictness each caller
 * needs said by flags, never implied.
 *
 * For: request targets (http_target_path: strict, no control bytes, no
 * encoded '/'), query strings as libmicrohttpd hands them to origind
 * (http_unescape_inplace: lenient, "%00" kept as text), the URLs of an
 * origin-ingest manifest (lenient). Not for: splitting a target into path
 * and query (the caller finds where the path ends) or percent-encoding.
 *
 * Pure (libc only), no state: every function may be called from any thread.
 */
#ifndef ORIGIND_PCT_H
#define ORIGIND_PCT_H

#include <stddef.h>

/* What pct_decode() returns. */
enum pct_err {
    PCT_OK = 0,
    PCT_EBAD = -1,     /* PCT_STRICT: a '%' not followed by two hex digits */
    PCT_ECTL = -2,     /* PCT_NO_CTL: a control byte, as it stands or decoded */
    PCT_ESLASH = -3,   /* PCT_NO_SLASH: an encoded '/' ("%2F", "%2f") */
    PCT_ETOOLONG = -4, /* the decoded bytes do not fit in cap */
};

/* Flags of pct_decode(); 0 is the most lenient decoding. */
#define PCT_STRICT   0x1u /* a '%' without two hex digits is PCT_EBAD (else copied as is) */
#define PCT_NO_CTL   0x2u /* a byte < 0x20 or 0x7f, as it stands or decoded ("%00"), is PCT_ECTL */
#define PCT_NO_SLASH 0x4u /* "%2F" is PCT_ESLASH: a decoded '/' would join two path segments */
#define PCT_KEEP_NUL                                                                               \
    0x8u /* "%00" is copied as its three characters (the output stays a C string) */

/* Decodes in[0..len) (need not be NUL-terminated) into out[0..cap): every
 * "%XX" with two hex digits (either case) becomes its byte, every other
 * byte is copied. Bytes are checked one at a time from the left, an escape
 * first for PCT_EBAD, then its decoded byte for PCT_ESLASH, then for
 * PCT_ECTL, then for room (PCT_ETOOLONG): the first byte that fails
 * decides the code. out may be in (decoding in place: the output never
 * overtakes the input); it is not NUL-terminated.
 * Returns PCT_OK with *out_len set, or one of the codes above; on error
 * *out_len is not written and out[0..cap) holds a prefix of the output. */
int pct_decode(const char *in, size_t len, char *out, size_t cap, unsigned flags, size_t *out_len);

#endif /* ORIGIND_PCT_H */
