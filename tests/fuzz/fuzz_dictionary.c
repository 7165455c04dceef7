/*
 * fuzz_dictionary.c - libFuzzer driver: dictionary transport (RFC 9842).
 *
 * Input: an Available-Dictionary value, a newline, a published path, a
 * newline, a Content-Type. Exercises http_parse_available_dictionary (a
 * success is exactly ':' + the standard base64 of the 32 bytes it wrote
 * (padding optional) + ':', blanks around), api_dict_family and
 * api_dict_header (bounded, NUL-terminated, one unescaped '*', a header
 * only for a path with a family) and http_choose_encoding (the chosen
 * coding is available and has the highest q).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_dict.h"
#include "fuzz_util.h"
#include "http.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_dictionary: property failed: %s (line %d)\n", #c, __LINE__);     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
}

static void check_ad(const char *h, size_t len)
{
    unsigned char d[32], d2[32];
    char enc[64], wrapped[80];
    size_t a = 0, b = len;

    memset(d, 0xAA, sizeof(d));
    if (http_parse_available_dictionary(h, len, d) != 0)
        return;
    while (a < b && (h[a] == ' ' || h[a] == '\t'))
        a++;
    while (b > a && (h[b - 1] == ' ' || h[b - 1] == '\t'))
        b--;
    b64(d, 32, enc);
    CHECK(b - a == 46 || b - a == 45);
    CHECK(h[a] == ':' && h[b - 1] == ':');
    CHECK(memcmp(h + a + 1, enc, 43) == 0);
    CHECK(b - a == 45 || h[a + 44] == '=');
    snprintf(wrapped, sizeof(wrapped), ":%s:", enc);
    CHECK(http_parse_available_dictionary(wrapped, strlen(wrapped), d2) == 0);
    CHECK(memcmp(d, d2, 32) == 0);
}

static void check_family(const char *p, size_t plen, const char *t, size_t tlen)
{
    char fam[1200], hdr[API_DICT_HEADER_MAX];
    size_t n, h, i, stars = 0;

    n = api_dict_family(p, plen, fam, sizeof(fam));
    CHECK(n < sizeof(fam));
    if (n > 0) {
        CHECK(fam[n] == '\0' && strlen(fam) == n && fam[0] == '/');
        for (i = 0; i < n; i++) {
            if (fam[i] == '\\') {
                i++;
                CHECK(i < n);
                continue;
            }
            stars += fam[i] == '*';
            CHECK(fam[i] > 0x20 && fam[i] < 0x7f && fam[i] != '"');
        }
        CHECK(stars == 1);
    }
    h = api_dict_header(p, plen, t, tlen, hdr, sizeof(hdr));
    CHECK(h < sizeof(hdr));
    if (h > 0) {
        CHECK(n > 0 && strlen(hdr) == h && strncmp(hdr, "match=\"", 7) == 0);
        CHECK(api_dict_eligible(p, plen, t, tlen));
    }
    /* a tiny buffer is never overrun */
    CHECK(api_dict_family(p, plen, fam, 3) <= 2);
}

static void check_choose(const char *h, size_t len)
{
    struct http_accept_encoding q;
    unsigned avail;

    http_parse_accept_encoding(h, len, &q);
    CHECK(q.zstd >= 0 && q.zstd <= 1000 && q.dcz >= 0 && q.dcz <= 1000);
    for (avail = 0; avail < 16; avail++) {
        int e = http_choose_encoding(&q, avail | 1u), qe, best = 0;

        CHECK(e >= 0 && e <= 3);
        CHECK(e == 0 || (avail & (1u << e)) != 0);
        qe = e == 0 ? 0 : e == 1 ? q.gzip : e == 2 ? q.br : q.zstd;
        if ((avail & 2u) && q.gzip > best)
            best = q.gzip;
        if ((avail & 4u) && q.br > best)
            best = q.br;
        if ((avail & 8u) && q.zstd > best)
            best = q.zstd;
        CHECK(qe == best);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, l1 = 0, l2 = 0, l3 = 0;
    const char *f1 = NULL, *f2 = NULL, *f3 = NULL;
    char *a, *b, *c;

    fuzz_field(data, size, &pos, &f1, &l1);
    if (!fuzz_field(data, size, &pos, &f2, &l2))
        f2 = "", l2 = 0;
    if (!fuzz_field(data, size, &pos, &f3, &l3))
        f3 = "", l3 = 0;
    a = fuzz_exact(f1 != NULL ? f1 : "", l1);
    b = fuzz_exact(f2, l2);
    c = fuzz_exact(f3, l3);
    if (a != NULL && b != NULL && c != NULL) {
        check_ad(a, l1);
        check_choose(a, l1);
        check_family(b, l2, c, l3);
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
