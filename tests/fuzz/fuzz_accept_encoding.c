/*
 * fuzz_accept_encoding.c - libFuzzer driver: Accept-Encoding negotiation and
 * the admin listener's credential parsing.
 *
 * Input: the field value. Exercises http_parse_accept_encoding (q values
 * always 0..1000), http_bearer_token (the token is a non-empty slice of the
 * field) and http_secret_equal (equal exactly when the bytes are equal).
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
            fprintf(stderr, "fuzz_accept_encoding: property failed: %s (line %d)\n", #c,           \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_accept_encoding q;
    const char *tok = NULL;
    size_t tok_len = 0, half = size / 2;
    char *h = fuzz_exact((const char *)data, size);

    if (h == NULL)
        return 0;
    http_parse_accept_encoding(h, size, &q);
    CHECK(q.gzip >= 0 && q.gzip <= 1000 && q.br >= 0 && q.br <= 1000);
    CHECK(q.zstd >= 0 && q.zstd <= 1000 && q.dcz >= 0 && q.dcz <= 1000);
    http_parse_accept_encoding(NULL, 0, &q);
    CHECK(q.gzip == 0 && q.br == 0 && q.zstd == 0 && q.dcz == 0);

    if (http_bearer_token(h, size, &tok, &tok_len) == 0) {
        CHECK(tok_len > 0 && tok >= h && tok + tok_len <= h + size);
        CHECK(http_secret_equal(tok, tok_len, tok, tok_len) == 1);
    }
    CHECK(http_secret_equal(h, half, h + half, size - half) ==
          (half == size - half && memcmp(h, h + half, half) == 0));
    free(h);
    return 0;
}
