/*
 * http.h - pure HTTP request-parsing helpers for origind's listeners.
 *
 * Every function here is a pure function over (pointer, length) input: no
 * libmicrohttpd type, no allocation, no global state, no I/O. That keeps them
 * unit-testable (tests/unit/test_http.c) and fuzzable (a libFuzzer driver can
 * call each one on arbitrary bytes). None of them trusts NUL termination of
 * its input; all of them accept any byte sequence without undefined
 * behaviour.
 */
#ifndef ORIGIND_HTTP_H
#define ORIGIND_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest decoded request path accepted; longer targets get 414. */
#define HTTP_PATH_MAX 1024
/* IMF-fixdate is exactly 29 characters. */
#define HTTP_DATE_LEN 29

/* ------------------------------------------------------------------ */
/* Request target                                                       */

enum http_target_err {
    HTTP_TARGET_OK = 0,
    HTTP_TARGET_BAD,      /* %00, invalid %-escape, control byte, not origin-form: 400 */
    HTTP_TARGET_TOO_LONG, /* decoded path over the capacity: 414 */
    HTTP_TARGET_SLASH     /* "%2F": never an alias of '/' (SPEC): 404 */
};

/* Extracts the path of a raw request-target (origin-form "/a/b?q", or
 * absolute-form "http://host/a/b"), drops the query string and fragment, and
 * percent-decodes it into out[0..cap). A decoded "%2e%2e" becomes ".." on
 * purpose: the caller validates the decoded path (store_path_valid), so an
 * encoded dot segment is refused exactly like a plain one. Writes *out_len
 * (no NUL is appended) only on success.
 * Returns HTTP_TARGET_OK, HTTP_TARGET_BAD (empty, not starting with '/',
 * "%00", "%" not followed by two hex digits, a byte < 0x20 or 0x7f, decoded
 * or raw), HTTP_TARGET_SLASH (the path holds "%2F" or "%2f": a '/' inside a
 * segment, which no published path can be, and never the same URL as the one
 * with a real '/') or HTTP_TARGET_TOO_LONG. The first problem found wins. */
int http_target_path(const char *target, size_t len, char *out, size_t cap, size_t *out_len);

/* In-place percent-decoding of a NUL-terminated string for libmicrohttpd's
 * unescape callback: decodes every valid "%HH" except "%00" (left as is, so
 * the result never holds a NUL before its end) and leaves invalid escapes
 * untouched. Returns the new length. */
size_t http_unescape_inplace(char *s);

/* ------------------------------------------------------------------ */
/* Conditional requests                                                 */

/* 1 if the If-None-Match field value h[0..len) matches etag (the full tag as
 * sent, quotes included, e.g. "\"abc\""), using the weak comparison RFC 9110
 * prescribes for If-None-Match ("W/" prefixes ignored); also 1 for "*".
 * 0 otherwise, including for a malformed list (the request is then served
 * unconditionally). */
int http_if_none_match(const char *h, size_t len, const char *etag, size_t etag_len);

/* Parses an HTTP-date (IMF-fixdate, obsolete RFC 850 or asctime format,
 * exactly as RFC 9110 writes them, with optional whitespace around) into
 * unix seconds. A two-digit RFC 850 year over 70 is 19xx, else 20xx. Writes
 * *out only on success. Returns 0 on success, -1 if the value is not a
 * valid date in one of those forms, or is before 1970. Thread-safe. */
int http_parse_date(const char *s, size_t len, int64_t *out);

/* Formats unix seconds t as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT")
 * into out (HTTP_DATE_LEN characters and a NUL), with the "C" locale's day
 * and month names (origind never calls setlocale). Times before 1970 or
 * after 9999 are clamped. Returns HTTP_DATE_LEN. Thread-safe. */
size_t http_format_date(int64_t t, char out[HTTP_DATE_LEN + 1]);

/* ------------------------------------------------------------------ */
/* Range                                                                */

enum http_range_result {
    HTTP_RANGE_NONE = 0,     /* no usable Range: serve the whole representation (200) */
    HTTP_RANGE_OK,           /* a single satisfiable range: 206 with [*first, *last] */
    HTTP_RANGE_UNSATISFIABLE /* 416 with Content-Range: bytes * /size */
};

/* Interprets the Range field value h[0..len) against a representation of
 * size bytes. Handles a single "bytes=" range: "a-b", "a-" and "-n" (suffix);
 * "last" beyond the end is clamped. Other units, multiple ranges and
 * syntactically invalid values give HTTP_RANGE_NONE (the header is ignored,
 * as RFC 9110 allows). A first position at or past the end, a zero-length
 * suffix, or any range of an empty representation give
 * HTTP_RANGE_UNSATISFIABLE. *first and *last are written only for
 * HTTP_RANGE_OK (inclusive byte positions). */
int http_parse_range(const char *h, size_t len, uint64_t size, uint64_t *first, uint64_t *last);

/* ------------------------------------------------------------------ */
/* Content negotiation                                                  */

/* Quality values in thousandths (0..1000) for the codings origind stores. */
struct http_accept_encoding {
    int gzip;
    int br;
    int zstd;
    int dcz; /* RFC 9842 dictionary-compressed zstd: only when listed by name */
};

/* Parses an Accept-Encoding field value h[0..len). A coding listed with
 * q=0 is never acceptable; "*" gives its q to gzip, br and zstd when not
 * listed (never to dcz, which a client must name: it also needs
 * Available-Dictionary); codings not listed without "*" get 0. Malformed
 * elements are skipped. h == NULL (no header) gives 0 for all. Always
 * writes *out. */
void http_parse_accept_encoding(const char *h, size_t len, struct http_accept_encoding *out);

/* Which stored encoding to send: for each candidate e (bit e of avail set,
 * STORE_ENC_* numbering: 1 gzip, 2 br, 3 zstd) its q from *q; the highest
 * q > 0 wins, ties in the order br, zstd, gzip; 0 (identity) when none is
 * acceptable. Pure; identity is always available. */
int http_choose_encoding(const struct http_accept_encoding *q, unsigned avail);

/* Parses an Available-Dictionary field value h[0..len) (RFC 9842: a
 * structured-field byte sequence, ":" base64 ":", holding a SHA-256) into
 * out. Surrounding blanks are allowed, base64 padding optional, and
 * nothing else: parameters, other lengths, other alphabets, bad padding are
 * refused (the request is then answered without a dictionary). Writes out
 * only on success. Returns 0, or -1. */
int http_parse_available_dictionary(const char *h, size_t len, unsigned char out[32]);

/* ------------------------------------------------------------------ */
/* Credentials                                                          */

/* Finds the token in an Authorization field value "Bearer <token>" (scheme
 * case-insensitive, surrounding whitespace ignored). Sets *tok and *tok_len to a
 * slice of h on success. Returns 0, or -1 if h is not a non-empty Bearer
 * credential. */
int http_bearer_token(const char *h, size_t len, const char **tok, size_t *tok_len);

/* Compares two secrets in time independent of their contents: both are
 * hashed with SHA-256 and the digests compared with CRYPTO_memcmp, so neither
 * the position of the first difference nor the secret's length leaks.
 * Returns 1 if equal (same length, same bytes), else 0. */
int http_secret_equal(const void *a, size_t alen, const void *b, size_t blen);

/* ------------------------------------------------------------------ */
/* Logging                                                              */

/* Copies in[0..len) to out for a log line, writing bytes < 0x21, 0x7f and
 * above, '"' and '\\' as "\xHH". Truncates (ending in "...") so that the
 * result and its NUL fit in cap (cap >= 4). Returns the length written. */
size_t http_log_escape(const char *in, size_t len, char *out, size_t cap);

#endif /* ORIGIND_HTTP_H */
