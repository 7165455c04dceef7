/*
 * cors.h - the public listener's cross-origin policy (CORS and
 * Timing-Allow-Origin), as pure functions.
 *
 * Browsers fetch module scripts, fonts and anything with an integrity=
 * attribute in CORS mode: a page on https://www.example.com that loads
 * https://cdn.example.com/assets/app.js that way sees the bytes only if the
 * answer carries Access-Control-Allow-Origin. Two policies:
 *
 *   any origin (the default)  every answer carries "*" and does not depend
 *                             on the request's Origin: no Vary: Origin, so a
 *                             CDN may key on the path alone.
 *   a list (--cors-origin)    an answer to a listed Origin echoes it; other
 *                             origins (and requests without Origin) get no
 *                             Access-Control-Allow-Origin. Either way the
 *                             answer depends on Origin: Vary: Origin, and the
 *                             CDN must forward Origin and key on it.
 *
 * There is no credentials mode: Access-Control-Allow-Credentials is never
 * sent (public, cookie-less assets need none, and "*" forbids it).
 *
 * Like http.h: no libmicrohttpd type, no allocation, no global state, no
 * I/O; input is (pointer, length), never trusted to be NUL-terminated.
 * Unit tests: tests/unit/test_cors.c.
 */
#ifndef ORIGIND_CORS_H
#define ORIGIND_CORS_H

#include <stddef.h>

/* Most origins a --cors-origin list may hold. */
#define CORS_ORIGINS_MAX 32
/* Longest origin accepted, in the list or in a request's Origin header. */
#define CORS_ORIGIN_MAX 256

/* Header values every answer of the public listener shares (static strings:
 * the hot path adds them without formatting anything). */
#define CORS_ANY           "*"
#define CORS_ALLOW_METHODS "GET, HEAD, OPTIONS"
#define CORS_ALLOW_HEADERS "Range, If-None-Match, If-Modified-Since, If-Range"
#define CORS_EXPOSE_HEADERS                                                                        \
    "Content-Range, Accept-Ranges, Content-Encoding, Content-Length, ETag, Last-Modified"
#define CORS_PREFLIGHT_MAX_AGE "86400"

/* A parsed --cors-origin value. n == 0 means any origin ("*"). The
 * entries point into the string given to cors_policy_parse (borrowed: it
 * must outlive the policy; config.c passes argv or the environment). */
struct cors_policy {
    size_t n;
    struct {
        const char *s;
        size_t len;
    } origin[CORS_ORIGINS_MAX];
};

enum cors_err {
    CORS_OK = 0,
    CORS_EEMPTY,   /* no origin in the list, or an empty element (",,") */
    CORS_ESYNTAX,  /* an element is not scheme://host[:port] */
    CORS_ETOOMANY, /* more than CORS_ORIGINS_MAX elements */
};

/* 1 if s[0..len) is a serialized origin as browsers send it in Origin:
 * a scheme (letter, then letters, digits, '+', '-', '.'), "://", a host (a
 * name of letters, digits, '-', '.', or a bracketed IPv6 literal) and an
 * optional ":port" (1..65535, no leading zero, not the scheme's default 80
 * for http or 443 for https, which browsers omit). No path, query,
 * fragment, user info or trailing slash; at most CORS_ORIGIN_MAX bytes.
 * "null" is not an origin here. 0 otherwise. */
int cors_origin_valid(const char *s, size_t len);

/* Parses a comma-separated list of origins (blanks around each element are
 * ignored) into *out. Writes *out only on success. On failure, if bad and
 * bad_len are not NULL, they are set to the offending element (a slice of
 * list; for CORS_ETOOMANY the first element past the limit).
 * Returns CORS_OK, CORS_EEMPTY, CORS_ESYNTAX or CORS_ETOOMANY. */
int cors_policy_parse(const char *list, size_t len, struct cors_policy *out, const char **bad,
                      size_t *bad_len);

/* What one answer carries. */
struct cors_answer {
    /* Access-Control-Allow-Origin value, NULL for none: CORS_ANY, or the
     * request's own Origin bytes (borrowed from the origin argument) */
    const char *allow_origin;
    size_t allow_origin_len;
    int vary_origin; /* 1: the answer depends on Origin (send Vary: Origin) */
};

/* Decides the headers of an answer to a request whose Origin header is
 * origin[0..origin_len) (origin == NULL: no Origin header). With any origin
 * allowed: CORS_ANY and vary_origin 0, whatever the request sent. With a
 * list: the request's Origin echoed if it equals a listed origin (ASCII
 * case-insensitively: scheme and host are case-insensitive), else no
 * allow_origin; vary_origin 1 in both cases. Always writes *out. */
void cors_decide(const struct cors_policy *p, const char *origin, size_t origin_len,
                 struct cors_answer *out);

/* The Vary value of an answer that depends on Accept-Encoding (ae 1; ae 2:
 * and on Available-Dictionary, a dcz answer) and/or Origin (origin):
 * "Accept-Encoding", "Accept-Encoding, Available-Dictionary", "Origin",
 * either with ", Origin", or NULL when it depends on none. A static string. */
const char *cors_vary(int ae, int origin);

/* A one-line description of a cors_policy_parse error. Static string. */
const char *cors_strerror(int err);

#endif /* ORIGIND_CORS_H */
