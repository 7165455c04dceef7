/*
 * http.c - pure parsers for the parts of an HTTP request origind interprets
 * itself: the request target, If-None-Match, HTTP dates, Range,
 * Accept-Encoding, Bearer credentials; plus constant-time secret comparison
 * and log escaping.
 *
 * Not for: anything that touches libmicrohttpd, the store or a socket. The
 * listeners (public.c, admin.c) call these; fuzz drivers call them directly.
 * (libcurl is used for one pure function only: curl_getdate.)
 */
#include "http.h"

#include "hex.h"
#include "pct.h"

#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* 1 if s[0..len) equals the lower-case word w, ignoring case. */
static int word_eq(const char *s, size_t len, const char *w)
{
    size_t i;

    if (strlen(w) != len)
        return 0;
    for (i = 0; i < len; i++) {
        if (lower((unsigned char)s[i]) != w[i])
            return 0;
    }
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims optional whitespace from both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_ows((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ows((*s)[*len - 1]))
        (*len)--;
}

/* ------------------------------------------------------------------ */

int http_target_path(const char *target, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t i = 0, end, n = 0;

    if (len >= 7 && (memcmp(target, "http://", 7) == 0 || memcmp(target, "HTTP://", 7) == 0))
        i = 7;
    else if (len >= 8 && (memcmp(target, "https://", 8) == 0 || memcmp(target, "HTTPS://", 8) == 0))
        i = 8;
    if (i > 0) {
        /* absolute-form: skip the authority */
        while (i < len && target[i] != '/' && target[i] != '?' && target[i] != '#')
            i++;
    }
    if (i >= len || target[i] != '/')
        return HTTP_TARGET_BAD;
    /* the path ends at the query or fragment (an escape cut there is bad) */
    end = i;
    while (end < len && target[end] != '?' && target[end] != '#')
        end++;
    switch (pct_decode(target + i, end - i, out, cap, PCT_STRICT | PCT_NO_CTL | PCT_NO_SLASH, &n)) {
    case PCT_OK:
        *out_len = n;
        return HTTP_TARGET_OK;
    case PCT_ESLASH:
        return HTTP_TARGET_SLASH;
    case PCT_ETOOLONG:
        return HTTP_TARGET_TOO_LONG;
    default:
        return HTTP_TARGET_BAD;
    }
}

size_t http_unescape_inplace(char *s)
{
    size_t len = strlen(s), n = 0;

    /* lenient: cannot fail (in place, no control check, cap = len) */
    pct_decode(s, len, s, len, PCT_KEEP_NUL, &n);
    s[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------ */

int http_if_none_match(const char *h, size_t len, const char *etag, size_t etag_len)
{
    size_t i = 0;
    const char *tag = etag;
    size_t tag_len = etag_len;
    const char *s = h;
    size_t slen = len;

    if (h == NULL)
        return 0;
    trim(&s, &slen);
    if (slen == 1 && s[0] == '*')
        return 1;
    /* compare opaque tags without any W/ prefix on ours */
    if (tag_len >= 2 && tag[0] == 'W' && tag[1] == '/') {
        tag += 2;
        tag_len -= 2;
    }
    while (i < slen) {
        size_t start;

        while (i < slen && (is_ows(s[i]) || s[i] == ','))
            i++;
        if (i >= slen)
            break;
        if (i + 1 < slen && s[i] == 'W' && s[i + 1] == '/')
            i += 2;
        if (i >= slen || s[i] != '"')
            return 0; /* malformed */
        start = i++;
        while (i < slen && s[i] != '"')
            i++;
        if (i >= slen)
            return 0; /* unterminated */
        i++;
        if (i - start == tag_len && memcmp(s + start, tag, tag_len) == 0)
            return 1;
        while (i < slen && is_ows(s[i]))
            i++;
        if (i < slen && s[i] != ',')
            return 0;
    }
    return 0;
}

/* HTTP dates (RFC 9110 section 5.6.7): formatted by strftime(3), parsed by
 * libcurl's curl_getdate(3) behind a shape check that admits exactly the
 * three forms a recipient must accept, case-sensitive as the grammar is:
 *   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
 *   rfc850-date  Sunday, 06-Nov-94 08:49:37 GMT
 *   asctime      Sun Nov  6 08:49:37 1994
 * (curl_getdate alone takes many more: ISO dates, other zones, no zone).
 * strftime's %a and %b, and the day and month names, are the "C" locale's:
 * origind never calls setlocale(3).
 * Cost, measured 2026-12-07 (10^6 calls on "Sun, 06 Nov 1994 08:49:37 GMT",
 * gcc -O2, 2 shared cores at load 7.7): http_parse_date 2.5 us, 1.6 us of
 * it curl_getdate; the hand-written parser this replaced took 54-65 ns.
 * Taken anyway: a date is parsed only for If-Modified-Since without
 * If-None-Match (origind always sends an ETag, which browsers send back)
 * and for an If-Range holding a date. http_format_date (gmtime_r and
 * strftime) takes 0.2 us, once per response-cache miss. */

/* 1 if s[0..len) has the shape pat: 'D' a digit, 'A' an upper-case and 'a' a
 * lower-case ASCII letter, 'W' one or more lower-case letters, '_' a space
 * or a digit, any other byte itself. */
static int date_shape(const char *s, size_t len, const char *pat)
{
    size_t i = 0;

    for (; *pat != '\0'; pat++) {
        char c;
        int ok;

        if (*pat == 'W') {
            size_t from = i;

            while (i < len && s[i] >= 'a' && s[i] <= 'z')
                i++;
            if (i == from)
                return 0;
            continue;
        }
        if (i >= len)
            return 0;
        c = s[i++];
        switch (*pat) {
        case 'D':
            ok = c >= '0' && c <= '9';
            break;
        case 'A':
            ok = c >= 'A' && c <= 'Z';
            break;
        case 'a':
            ok = c >= 'a' && c <= 'z';
            break;
        case '_':
            ok = c == ' ' || (c >= '0' && c <= '9');
            break;
        default:
            ok = c == *pat;
            break;
        }
        if (!ok)
            return 0;
    }
    return i == len;
}

/* The number of the two characters at p ('_' shape: a space counts 0). */
static int two_digits(const char *p)
{
    return (p[0] == ' ' ? 0 : p[0] - '0') * 10 + (p[1] - '0');
}

size_t http_format_date(int64_t t, char out[HTTP_DATE_LEN + 1])
{
    const int64_t max = 253402300799; /* 9999-12-31 23:59:59 */
    time_t tt = (time_t)(t < 0 ? 0 : t > max ? max : t);
    struct tm tm;

    gmtime_r(&tt, &tm);
    return strftime(out, HTTP_DATE_LEN + 1, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

int http_parse_date(const char *s, size_t len, int64_t *out)
{
    char buf[40];
    size_t day, sec, year;
    int ydigits;
    time_t t, minute;
    struct tm tm;

    if (s == NULL)
        return -1;
    trim(&s, &len);
    if (len >= sizeof(buf))
        return -1;
    if (date_shape(s, len, "Aaa, DD Aaa DDDD DD:DD:DD GMT")) {
        day = 5;
        year = 12;
        ydigits = 4;
        sec = len - 6;
    } else if (date_shape(s, len, "AW, DD-Aaa-DD DD:DD:DD GMT")) {
        day = (size_t)((const char *)memchr(s, ',', len) - s) + 2;
        year = day + 7;
        ydigits = 2;
        sec = len - 6;
    } else if (date_shape(s, len, "Aaa Aaa _D DD:DD:DD DDDD")) {
        day = 8;
        year = len - 4;
        ydigits = 4;
        sec = len - 7;
    } else {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* curl_getdate checks the names and the ranges (hour 0-23, minute 0-59,
     * second 0-60, day 1-31) and reads a two-digit year over 70 as 19xx,
     * else 20xx; -1 is "unparsed" */
    t = curl_getdate(buf, NULL);
    if (t == -1)
        return -1;
    /* What curl_getdate normalises or reads loosely comes back as another
     * date: a day the month lacks (31 Feb is 3 Mar), a four-digit year
     * under 100 (0094 is 1994); and before 1970 (curl_getdate turns the
     * last second of 1969 into 0) is refused. The minute is compared, so
     * that a leap second (:60) is not taken for the next day. */
    minute = t - two_digits(s + sec);
    if (gmtime_r(&minute, &tm) == NULL || tm.tm_mday != two_digits(s + day) ||
        tm.tm_year + 1900 < 1970 ||
        (ydigits == 4 ? tm.tm_year + 1900 != two_digits(s + year) * 100 + two_digits(s + year + 2)
                      : (tm.tm_year + 1900) % 100 != two_digits(s + year)))
        return -1;
    *out = (int64_t)t;
    return 0;
}

/* ------------------------------------------------------------------ */

/* Parses decimal digits s[0..len) (non-empty) into *v, saturating at
 * UINT64_MAX. Returns -1 on a non-digit. */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned dgt;

        if (s[i] < '0' || s[i] > '9')
            return -1;
        dgt = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - dgt) / 10)
            x = UINT64_MAX;
        else
            x = x * 10 + dgt;
    }
    *v = x;
    return 0;
}

int http_parse_range(const char *h, size_t len, uint64_t size, uint64_t *first, uint64_t *last)
{
    const char *s = h, *dash;
    size_t slen = len, i;
    uint64_t a, b;

    if (h == NULL)
        return HTTP_RANGE_NONE;
    trim(&s, &slen);
    if (slen < 6 || !word_eq(s, 5, "bytes"))
        return HTTP_RANGE_NONE;
    s += 5;
    slen -= 5;
    trim(&s, &slen);
    if (slen == 0 || s[0] != '=')
        return HTTP_RANGE_NONE;
    s++;
    slen--;
    trim(&s, &slen);
    for (i = 0; i < slen; i++) {
        if (s[i] == ',')
            return HTTP_RANGE_NONE; /* several ranges: the whole 200 */
    }
    dash = memchr(s, '-', slen);
    if (dash == NULL)
        return HTTP_RANGE_NONE;
    {
        const char *l = s, *r = dash + 1;
        size_t llen = (size_t)(dash - s), rlen = slen - llen - 1;

        trim(&l, &llen);
        trim(&r, &rlen);
        if (llen == 0) {
            /* suffix: the last b bytes */
            if (parse_u64(r, rlen, &b))
                return HTTP_RANGE_NONE;
            if (b == 0 || size == 0)
                return HTTP_RANGE_UNSATISFIABLE;
            *first = b >= size ? 0 : size - b;
            *last = size - 1;
            return HTTP_RANGE_OK;
        }
        if (parse_u64(l, llen, &a))
            return HTTP_RANGE_NONE;
        if (rlen == 0) {
            b = UINT64_MAX;
        } else {
            if (parse_u64(r, rlen, &b))
                return HTTP_RANGE_NONE;
            if (b < a)
                return HTTP_RANGE_NONE; /* invalid: ignored */
        }
        if (a >= size)
            return HTTP_RANGE_UNSATISFIABLE;
        *first = a;
        *last = b >= size ? size - 1 : b;
        return HTTP_RANGE_OK;
    }
}

/* ------------------------------------------------------------------ */

/* Parses a qvalue ("0", "0.5", "1", "1.000") into thousandths; -1 if bad. */
static int parse_qvalue(const char *s, size_t len)
{
    int q = 0;
    size_t i, digits = 0;

    if (len == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    if (len == 1)
        return q;
    if (s[1] != '.' || len > 5)
        return -1;
    for (i = 2; i < len; i++) {
        static const int scale[3] = {100, 10, 1};

        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * scale[digits++];
    }
    return q > 1000 ? -1 : q;
}

void http_parse_accept_encoding(const char *h, size_t len, struct http_accept_encoding *out)
{
    int gzip = -1, br = -1, zstd = -1, dcz = -1, star = -1;
    size_t i = 0;

    while (h != NULL && i < len) {
        size_t start = i, end, semi;
        const char *name, *params;
        size_t name_len, params_len;
        int q = 1000;

        while (i < len && h[i] != ',')
            i++;
        end = i++;
        semi = start;
        while (semi < end && h[semi] != ';')
            semi++;
        name = h + start;
        name_len = semi - start;
        trim(&name, &name_len);
        params = h + semi;
        params_len = end - semi;
        while (params_len > 0 && params[0] == ';') {
            /* one parameter: up to the next ';' */
            const char *p = params + 1, *v;
            size_t plen = 0, vlen;

            while (plen < params_len - 1 && p[plen] != ';')
                plen++;
            params = p + plen;
            params_len -= plen + 1;
            trim(&p, &plen);
            if (plen >= 2 && lower((unsigned char)p[0]) == 'q' && (p[1] == '=' || is_ows(p[1]))) {
                v = memchr(p, '=', plen);
                if (v == NULL)
                    continue;
                v++;
                vlen = plen - (size_t)(v - p);
                trim(&v, &vlen);
                q = parse_qvalue(v, vlen);
            }
        }
        if (q < 0 || name_len == 0)
            continue; /* malformed element: skipped */
        if (word_eq(name, name_len, "gzip") || word_eq(name, name_len, "x-gzip"))
            gzip = q > gzip ? q : gzip;
        else if (word_eq(name, name_len, "br"))
            br = q > br ? q : br;
        else if (word_eq(name, name_len, "zstd"))
            zstd = q > zstd ? q : zstd;
        else if (word_eq(name, name_len, "dcz"))
            dcz = q > dcz ? q : dcz;
        else if (name_len == 1 && name[0] == '*')
            star = q;
    }
    out->gzip = gzip >= 0 ? gzip : (star >= 0 ? star : 0);
    out->br = br >= 0 ? br : (star >= 0 ? star : 0);
    out->zstd = zstd >= 0 ? zstd : (star >= 0 ? star : 0);
    out->dcz = dcz >= 0 ? dcz : 0;
}

int http_choose_encoding(const struct http_accept_encoding *q, unsigned avail)
{
    /* STORE_ENC_* numbers (store.h), in tie order: the first best q wins */
    static const int order[] = {2 /* br */, 3 /* zstd */, 1 /* gzip */};
    int best = 0, best_q = 0;
    size_t i;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int e = order[i], qe = e == 2 ? q->br : e == 3 ? q->zstd : q->gzip;

        if ((avail & (1u << e)) != 0 && qe > best_q) {
            best = e;
            best_q = qe;
        }
    }
    return best;
}

/* The value of a base64 digit (standard alphabet), or -1. */
static int b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int http_parse_available_dictionary(const char *h, size_t len, unsigned char out[32])
{
    unsigned char buf[33];
    size_t n = 0, i, b64_len;
    uint32_t acc = 0;
    int bits = 0;

    if (h == NULL)
        return -1;
    trim(&h, &len);
    if (len < 2 || h[0] != ':' || h[len - 1] != ':')
        return -1;
    h++;
    len -= 2;
    /* 32 bytes: 43 digits, then one '=' (RFC 8941 senders pad; accept both) */
    b64_len = len;
    if (b64_len == 44 && h[43] == '=')
        b64_len = 43;
    if (b64_len != 43)
        return -1;
    for (i = 0; i < b64_len; i++) {
        int d = b64_digit((unsigned char)h[i]);

        if (d < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= sizeof(buf))
                return -1;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* 43 digits = 258 bits: 32 bytes and 2 leftover bits, which must be 0 */
    if (n != 32 || (acc & ((1u << bits) - 1)) != 0)
        return -1;
    memcpy(out, buf, 32);
    return 0;
}

/* ------------------------------------------------------------------ */

int http_bearer_token(const char *h, size_t len, const char **tok, size_t *tok_len)
{
    const char *s = h;
    size_t slen = len;

    if (h == NULL)
        return -1;
    trim(&s, &slen);
    if (slen < 8 || !word_eq(s, 6, "bearer") || !is_ows(s[6]))
        return -1;
    s += 7;
    slen -= 7;
    trim(&s, &slen);
    if (slen == 0)
        return -1;
    *tok = s;
    *tok_len = slen;
    return 0;
}

int http_secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
    int same;

    SHA256(a, alen, da);
    SHA256(b, blen, db);
    same = CRYPTO_memcmp(da, db, sizeof(da)) == 0;
    OPENSSL_cleanse(da, sizeof(da));
    OPENSSL_cleanse(db, sizeof(db));
    return same && alen == blen;
}

/* ------------------------------------------------------------------ */

size_t http_log_escape(const char *in, size_t len, char *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int esc = c < 0x21 || c >= 0x7f || c == '"' || c == '\\';
        size_t need = esc ? 4 : 1;

        if (n + need + 1 > cap - 3) {
            /* keep room for "..." and the NUL */
            if (i < len) {
                memcpy(out + n, "...", 3);
                n += 3;
            }
            break;
        }
        if (esc) {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex_lower[c >> 4];
            out[n++] = hex_lower[c & 15];
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
    return n;
}
