/*
 * cors.c - the cross-origin policy of the public listener (see cors.h):
 * origin syntax, the --cors-origin list and the per-answer decision.
 *
 * Not for: adding headers to responses (public.c does, in one place) or
 * reading options (config.c calls cors_policy_parse).
 */
#include "cors.h"

#include "hex.h"

#include <string.h>

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 if a[0..n) and b[0..n) are equal ignoring ASCII case. */
static int ascii_case_equal(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    }
    return 1;
}

int cors_origin_valid(const char *s, size_t len)
{
    size_t i = 0, scheme_len, host_start, port_len;
    unsigned long port = 0;

    if (s == NULL || len == 0 || len > CORS_ORIGIN_MAX || !is_alpha(s[0]))
        return 0;
    while (i < len &&
           (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    scheme_len = i;
    if (len - i < 3 || memcmp(s + i, "://", 3) != 0)
        return 0;
    i += 3;
    host_start = i;
    if (i < len && s[i] == '[') {
        i++;
        while (i < len && (hex_value((unsigned char)s[i]) >= 0 || s[i] == ':' || s[i] == '.'))
            i++;
        if (i >= len || s[i] != ']' || i == host_start + 1)
            return 0;
        i++;
    } else {
        while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '.'))
            i++;
        if (i == host_start)
            return 0;
    }
    if (i == len)
        return 1;
    if (s[i] != ':')
        return 0; /* a path, query, user info or other byte */
    i++;
    port_len = len - i;
    if (port_len == 0 || port_len > 5 || s[i] == '0')
        return 0;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return 0;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    if (port > 65535)
        return 0;
    if ((scheme_len == 4 && ascii_case_equal(s, "http", 4) && port == 80) ||
        (scheme_len == 5 && ascii_case_equal(s, "https", 5) && port == 443))
        return 0;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int cors_policy_parse(const char *list, size_t len, struct cors_policy *out, const char **bad,
                      size_t *bad_len)
{
    struct cors_policy p;
    size_t i = 0;
    int err = CORS_OK;
    const char *e = list;
    size_t elen = 0;

    p.n = 0;
    if (list == NULL)
        len = 0;
    while (i <= len) {
        size_t start = i, end;

        while (i < len && list[i] != ',')
            i++;
        end = i;
        while (start < end && is_blank(list[start]))
            start++;
        while (end > start && is_blank(list[end - 1]))
            end--;
        e = list + start;
        elen = end - start;
        if (elen == 0) {
            err = CORS_EEMPTY;
            goto out;
        }
        if (!cors_origin_valid(e, elen)) {
            err = CORS_ESYNTAX;
            goto out;
        }
        if (p.n == CORS_ORIGINS_MAX) {
            err = CORS_ETOOMANY;
            goto out;
        }
        p.origin[p.n].s = e;
        p.origin[p.n].len = elen;
        p.n++;
        i++; /* past the comma (or past the end) */
    }
out:
    if (err != CORS_OK) {
        if (bad != NULL && bad_len != NULL) {
            *bad = e;
            *bad_len = elen;
        }
        return err;
    }
    *out = p;
    return CORS_OK;
}

void cors_decide(const struct cors_policy *p, const char *origin, size_t origin_len,
                 struct cors_answer *out)
{
    size_t k;

    out->allow_origin = NULL;
    out->allow_origin_len = 0;
    if (p == NULL || p->n == 0) {
        out->allow_origin = CORS_ANY;
        out->allow_origin_len = 1;
        out->vary_origin = 0;
        return;
    }
    out->vary_origin = 1;
    if (origin == NULL)
        return;
    for (k = 0; k < p->n; k++) {
        if (p->origin[k].len == origin_len &&
            ascii_case_equal(p->origin[k].s, origin, origin_len)) {
            out->allow_origin = origin;
            out->allow_origin_len = origin_len;
            return;
        }
    }
}

const char *cors_vary(int ae, int origin)
{
    if (ae == 2 && origin)
        return "Accept-Encoding, Available-Dictionary, Origin";
    if (ae == 2)
        return "Accept-Encoding, Available-Dictionary";
    if (ae && origin)
        return "Accept-Encoding, Origin";
    if (ae)
        return "Accept-Encoding";
    if (origin)
        return "Origin";
    return NULL;
}

const char *cors_strerror(int err)
{
    switch (err) {
    case CORS_OK:
        return "ok";
    case CORS_EEMPTY:
        return "empty origin in the list";
    case CORS_ESYNTAX:
        return "not an origin (scheme://host[:port], no path, no default port)";
    case CORS_ETOOMANY:
        return "too many origins";
    }
    return "unknown error";
}
