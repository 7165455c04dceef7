/*
 * api_dict.c - file families and Use-As-Dictionary (api_dict.h).
 *
 * For: the naming rule shared by origin-ingest push (which earlier version
 * a delta starts from) and the public listener (what Use-As-Dictionary
 * matches). Not for: parsing Available-Dictionary (server/http.c) or
 * computing deltas (tools/delta.c).
 */
#include "api_dict.h"

#include <string.h>

enum dict_kind { DICT_NONE = 0, DICT_SCRIPT, DICT_STYLE, DICT_OTHER };

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ieq(const char *s, size_t len, const char *lit)
{
    size_t i, n = strlen(lit);

    if (len != n)
        return 0;
    for (i = 0; i < n; i++) {
        if (lower((unsigned char)s[i]) != lit[i])
            return 0;
    }
    return 1;
}

/* The kind of a Content-Type (parameters and blanks ignored). */
static enum dict_kind type_kind(const char *t, size_t len)
{
    static const char *const scripts[] = {"text/javascript", "application/javascript",
                                          "application/x-javascript", "application/ecmascript",
                                          "text/ecmascript"};
    size_t end = 0, i;

    if (t == NULL)
        return DICT_NONE;
    while (len > 0 && (t[0] == ' ' || t[0] == '\t')) {
        t++;
        len--;
    }
    while (end < len && t[end] != ';')
        end++;
    while (end > 0 && (t[end - 1] == ' ' || t[end - 1] == '\t'))
        end--;
    for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        if (ieq(t, end, scripts[i]))
            return DICT_SCRIPT;
    }
    if (ieq(t, end, "text/css"))
        return DICT_STYLE;
    if (ieq(t, end, "application/wasm") || ieq(t, end, "application/json") ||
        (end > 17 && ieq(t, 12, "application/") && ieq(t + end - 5, 5, "+json")))
        return DICT_OTHER;
    return DICT_NONE;
}

static int is_lhex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Finds the version token of the base name b[0..n): *at and *tlen. */
static int find_token(const char *b, size_t n, size_t *at, size_t *tlen)
{
    size_t i, start, first_dot = n, dash = n;
    int found = 0, strong;

    /* "stem.<hex>.ext" or "stem.<hex>": the last all-hex part after a dot */
    start = 0;
    for (i = 0; i <= n; i++) {
        if (i == n || b[i] == '.') {
            size_t k, l = i - start;
            int hex = start > 0 && l >= 8 && l <= 64;

            for (k = start; hex && k < i; k++)
                hex = is_lhex((unsigned char)b[k]);
            if (hex) {
                *at = start;
                *tlen = l;
                found = 1;
            }
            start = i + 1;
        }
    }
    if (found)
        return 1;
    /* "name-<hash>.ext": after the last '-' before the first '.' */
    for (i = 0; i < n; i++) {
        if (b[i] == '.') {
            first_dot = i;
            break;
        }
        if (b[i] == '-')
            dash = i;
    }
    if (dash == n || dash == 0)
        return 0;
    start = dash + 1;
    if (first_dot - start < 8 || first_dot - start > 64)
        return 0;
    strong = 0;
    for (i = start; i < first_dot; i++) {
        unsigned char c = (unsigned char)b[i];

        if (!is_word(c))
            return 0;
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
            strong = 1;
    }
    if (!strong)
        return 0;
    *at = start;
    *tlen = first_dot - start;
    return 1;
}

/* Appends path[from..to) to out as URLPattern literal text. Returns the new
 * length, or 0 if a byte cannot be carried (or out is full). */
static size_t put_literal(const char *p, size_t from, size_t to, char *out, size_t o, size_t cap)
{
    size_t i;

    for (i = from; i < to; i++) {
        unsigned char c = (unsigned char)p[i];

        if (strchr("():*+\\{}?", c) != NULL && c != '\0') {
            if (o + 2 >= cap)
                return 0;
            out[o++] = '\\';
            out[o++] = (char)c;
            continue;
        }
        /* what a URL path carries unencoded (RFC 3986 pchar and '/') */
        if (!(is_word(c) || strchr("-.~!$&',;=@/", c) != NULL) || c == '\0')
            return 0;
        if (o + 1 >= cap)
            return 0;
        out[o++] = (char)c;
    }
    return o;
}

size_t api_dict_family(const char *path, size_t len, char *out, size_t cap)
{
    size_t base = 0, i, at, tlen, o;

    if (path == NULL || len == 0 || path[0] != '/' || out == NULL || cap < 2)
        return 0;
    for (i = 0; i < len; i++) {
        if (path[i] == '/')
            base = i + 1;
    }
    if (!find_token(path + base, len - base, &at, &tlen))
        return 0;
    at += base;
    o = put_literal(path, 0, at, out, 0, cap);
    if (o == 0 || o + 1 >= cap)
        return 0;
    out[o++] = '*';
    if (at + tlen < len) {
        o = put_literal(path, at + tlen, len, out, o, cap);
        if (o == 0)
            return 0;
    }
    out[o] = '\0';
    return o;
}

int api_dict_eligible(const char *path, size_t len, const char *type, size_t type_len)
{
    char buf[API_DICT_HEADER_MAX];

    return type_kind(type, type_len) != DICT_NONE && api_dict_family(path, len, buf, sizeof(buf));
}

size_t api_dict_header(const char *path, size_t len, const char *type, size_t type_len, char *out,
                       size_t cap)
{
    static const char pre[] = "match=\"";
    char fam[API_DICT_HEADER_MAX / 2];
    enum dict_kind k = type_kind(type, type_len);
    const char *dest = k == DICT_SCRIPT  ? ", match-dest=(\"script\")"
                       : k == DICT_STYLE ? ", match-dest=(\"style\")"
                                         : "";
    size_t n, i, o;

    if (k == DICT_NONE || out == NULL)
        return 0;
    n = api_dict_family(path, len, fam, sizeof(fam));
    if (n == 0 || cap < sizeof(pre) + 2 * n + strlen(dest) + 2)
        return 0;
    memcpy(out, pre, sizeof(pre) - 1);
    o = sizeof(pre) - 1;
    for (i = 0; i < n; i++) {
        if (fam[i] == '\\' || fam[i] == '"') /* structured-field string escapes */
            out[o++] = '\\';
        out[o++] = fam[i];
    }
    out[o++] = '"';
    memcpy(out + o, dest, strlen(dest));
    o += strlen(dest);
    out[o] = '\0';
    return o;
}
