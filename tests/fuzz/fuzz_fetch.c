/*
 * fuzz_fetch.c - libFuzzer driver: the seed push's POST /v1/fetch exchange
 * (api/api_fetch.c). A node decodes the request (anyone with an admin
 * token writes it); origin-ingest decodes the answer (a node, or anything
 * pretending to be one, writes it).
 *
 * Input: one body, given to both decoders. Asserts that the reason of a
 * refusal fits its buffer, that every source the request decoder accepts
 * is a valid URL and NUL-terminated at its length, and that a request or
 * an answer the strict decoder accepts re-encodes to one it accepts again,
 * equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzz_util.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_fetch: property failed: %s (line %d)\n", #c, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_request(const char *body, size_t size)
{
    struct api_fetch_request r, again;
    char why[API_WHY_MAX], *text;
    size_t len = 0, i;

    if (api_fetch_request_decode(body, size, &r, why, sizeof(why)) != 0) {
        CHECK(strlen(why) < sizeof(why));
        return;
    }
    CHECK(r.nfrom >= 1 && r.nfrom <= API_FETCH_SOURCES_MAX);
    for (i = 0; i < r.nfrom; i++)
        CHECK(api_fetch_url_valid(r.from[i], strlen(r.from[i])));
    text = api_fetch_request_encode(r.from, r.nfrom,
                                    (const unsigned char(*)[STORE_DIGEST_LEN])r.digests, r.sizes,
                                    r.variants, r.n, &len);
    CHECK(text != NULL);
    CHECK(api_fetch_request_decode(text, len, &again, why, sizeof(why)) == 0);
    CHECK(again.nfrom == r.nfrom && again.n == r.n);
    for (i = 0; i < r.nfrom; i++)
        CHECK(strcmp(again.from[i], r.from[i]) == 0);
    CHECK(r.n == 0 || memcmp(again.digests, r.digests, r.n * STORE_DIGEST_LEN) == 0);
    CHECK((r.sizes == NULL) == (again.sizes == NULL));
    CHECK(r.sizes == NULL || r.n == 0 || memcmp(again.sizes, r.sizes, r.n * sizeof(*r.sizes)) == 0);
    CHECK((r.variants == NULL) == (again.variants == NULL));
    CHECK(r.variants == NULL || r.n == 0 ||
          memcmp(again.variants, r.variants, r.n * sizeof(*r.variants)) == 0);
    api_fetch_request_free(&again);
    api_fetch_request_free(&r);
    free(text);
}

static void check_answer(const char *body, size_t size)
{
    struct api_fetch_answer a, again;
    char why[API_WHY_MAX], *text;
    size_t len = 0;

    if (api_fetch_answer_decode(body, size, &a, why, sizeof(why)) != 0) {
        CHECK(strlen(why) < sizeof(why));
        return;
    }
    text = api_fetch_answer_encode(&a, &len);
    CHECK(text != NULL);
    CHECK(api_fetch_answer_decode(text, len, &again, why, sizeof(why)) == 0);
    CHECK(again.fetched == a.fetched && again.variants == a.variants && again.bytes == a.bytes &&
          again.present == a.present && again.bad == a.bad && again.nmissing == a.nmissing);
    CHECK(a.nmissing == 0 || memcmp(again.missing, a.missing, a.nmissing * STORE_DIGEST_LEN) == 0);
    api_fetch_answer_free(&again);
    api_fetch_answer_free(&a);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_exact((const char *)data, size);

    if (body == NULL)
        return 0;
    check_request(body, size);
    check_answer(body, size);
    free(body);
    return 0;
}
