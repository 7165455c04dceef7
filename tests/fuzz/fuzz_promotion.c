/*
 * fuzz_promotion.c - libFuzzer driver: the node API's promotion decoders
 * (api/api_promote.c): a promotion record (what POST /v1/promotion reads
 * from origin-ingest) and the GET /v1/promotion answer (what origin-ingest
 * and every peer read from a node, or from anything pretending to be one).
 *
 * Input: one body, given to both decoders. Asserts that a record the strict
 * decoder accepts re-encodes to one it accepts again, equal
 * (store_promotion_cmp); that a decoded answer's history holds at most max
 * entries, newest first, each one giving a release document of the exact
 * shape with a strong ETag; and that nothing is written on a refusal.
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
            fprintf(stderr, "fuzz_promotion: property failed: %s (line %d)\n", #c, __LINE__);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX 4

static void doc_ok(const struct store_promotion *p)
{
    char doc[1024], etag[API_RELEASE_DOC_ETAG_LEN + 1];
    size_t len = 0;

    if (api_release_doc(p, doc, sizeof(doc), &len, etag) != 0)
        return; /* a time gmtime cannot represent */
    CHECK(len == strlen(doc));
    CHECK(strncmp(doc, "{\"live\":\"", 9) == 0);
    CHECK(strstr(doc, "\",\"digest\":\"") != NULL);
    CHECK(strlen(etag) == API_RELEASE_DOC_ETAG_LEN && etag[0] == '"' &&
          etag[API_RELEASE_DOC_ETAG_LEN - 1] == '"');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct store_promotion p, q, hist[MAX];
    char why[API_WHY_MAX];
    size_t n = 99, len = 0, i;
    char *text;

    memset(&p, 0x5a, sizeof(p));
    if (api_promotion_decode((const char *)data, size, &p, why, sizeof(why)) == 0) {
        CHECK(p.generation >= 1 && p.promoted_at >= 1);
        CHECK(store_id_valid(p.release, strlen(p.release)) == STORE_OK);
        text = api_promotion_encode(&p, &len);
        CHECK(text != NULL);
        CHECK(api_promotion_decode(text, len, &q, why, sizeof(why)) == 0);
        CHECK(store_promotion_cmp(&p, &q) == 0);
        free(text);
        doc_ok(&p);
    } else {
        CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    }
    if (api_promotion_state_decode((const char *)data, size, hist, MAX, &n, why, sizeof(why)) ==
        0) {
        CHECK(n <= MAX);
        for (i = 0; i < n; i++) {
            if (i > 0)
                CHECK(store_promotion_cmp(&hist[i - 1], &hist[i]) > 0);
            doc_ok(&hist[i]);
        }
    } else {
        CHECK(n == 99);
    }
    return 0;
}
