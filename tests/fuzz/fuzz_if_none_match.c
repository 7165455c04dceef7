/*
 * fuzz_if_none_match.c - libFuzzer driver: If-None-Match and HTTP dates
 * (If-Modified-Since, If-Range).
 *
 * Input: first line = the ETag the server would send, rest = the field value.
 * Exercises http_if_none_match, http_parse_date on the field value, and
 * checks that every date http_format_date writes parses back to the same
 * second (the server compares Last-Modified and If-Modified-Since that way).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_if_none_match: property failed: %s (line %d)\n", #c, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, elen = 0, hlen = 0;
    const char *e = NULL, *h = NULL;
    char *etag, *field, buf[HTTP_DATE_LEN + 1];
    int64_t t = -42, t2;
    int rc;

    if (!fuzz_field(data, size, &pos, &e, &elen))
        return 0;
    h = pos <= size ? (const char *)data + pos : (const char *)data + size;
    hlen = pos <= size ? size - pos : 0;
    etag = fuzz_exact(e, elen);
    field = fuzz_exact(h, hlen);
    if (etag == NULL || field == NULL)
        goto out;
    rc = http_if_none_match(field, hlen, etag, elen);
    CHECK(rc == 0 || rc == 1);
    /* the field against itself as a tag, and the whole input as a field */
    http_if_none_match(etag, elen, field, hlen);
    if (http_parse_date(field, hlen, &t) == 0) {
        CHECK(http_format_date(t, buf) == HTTP_DATE_LEN);
        CHECK(strlen(buf) == HTTP_DATE_LEN);
        if (t >= 0 && t <= 253402300799LL) {
            CHECK(http_parse_date(buf, HTTP_DATE_LEN, &t2) == 0);
            CHECK(t2 == t);
        }
    } else {
        CHECK(t == -42);
    }
    if (hlen >= 8) {
        int64_t v;

        memcpy(&v, h, sizeof(v));
        CHECK(http_format_date(v, buf) == HTTP_DATE_LEN);
        if (v >= 0 && v <= 253402300799LL) {
            CHECK(http_parse_date(buf, HTTP_DATE_LEN, &t2) == 0);
            CHECK(t2 == v);
        }
    }
out:
    free(etag);
    free(field);
    return 0;
}
