/*
 * fuzz_missing_body.c - libFuzzer driver: the missing-digest batch of
 * POST /v1/missing, parsed by server/admin_body.c's admin_parse_missing()
 * (the code server/admin.c runs), then store_missing() against a scratch
 * store holding the SHA-256 of "" and "a".
 *
 * Input: the JSON body. Asserts:
 *  - differential: when the canonical-form scanner admin_parse_missing_fast()
 *    accepts, jansson (admin_parse_missing_json()) accepts the same bytes
 *    with exactly the same digests in the same order;
 *  - admin_parse_missing() accepts exactly when the jansson parser does, with
 *    the same digests (so the fast path never changes an answer);
 *  - a present digest is never reported missing, an absent one always is.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_body.h"
#include "fuzz_util.h"
#include "store.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_missing_body: property failed: %s (line %d)\n", #c, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct store *st;
static unsigned char present[2][STORE_DIGEST_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    st = fuzz_store_open();
    store_sha256("", 0, present[0]);
    store_sha256("a", 1, present[1]);
    CHECK(store_put_blob(st, present[0], "", 0, NULL) == STORE_OK);
    CHECK(store_put_blob(st, present[1], "a", 1, NULL) == STORE_OK);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    unsigned char(*fast)[STORE_DIGEST_LEN] = NULL, (*slow)[STORE_DIGEST_LEN] = NULL;
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    unsigned char *missing = NULL;
    size_t nf = 0, ns = 0, n = 0, i;
    int fast_ok, slow_err, err;
    char why[ADMIN_WHY_MAX];

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);

    /* differential: fast scanner against jansson */
    fast_ok = admin_parse_missing_fast(body, size, ADMIN_MISSING_MAX, &fast, &nf) == 0;
    why[0] = '\0';
    slow_err =
        admin_parse_missing_json(body, size, ADMIN_MISSING_MAX, &slow, &ns, why, sizeof(why));
    if (slow_err != ADMIN_BODY_OK)
        CHECK(why[0] != '\0' && strchr(why, '\n') == NULL);
    if (fast_ok) {
        CHECK(slow_err == ADMIN_BODY_OK);
        CHECK(nf == ns);
        CHECK(nf == 0 || memcmp(fast, slow, nf * sizeof(*fast)) == 0);
    }

    /* the real entry point agrees with jansson */
    err = admin_parse_missing(body, size, ADMIN_MISSING_MAX, &digests, &n, why, sizeof(why));
    CHECK(err == slow_err);
    if (err != ADMIN_BODY_OK)
        goto out; /* 400 / 413 / 500 */
    CHECK(digests != NULL && n == ns);
    CHECK(n == 0 || memcmp(digests, slow, n * sizeof(*digests)) == 0);

    missing = malloc(n > 0 ? n : 1);
    if (missing == NULL)
        goto out;
    CHECK(store_missing(st, (const unsigned char(*)[STORE_DIGEST_LEN])digests, n, missing) ==
          STORE_OK);
    for (i = 0; i < n; i++) {
        int known = memcmp(digests[i], present[0], STORE_DIGEST_LEN) == 0 ||
                    memcmp(digests[i], present[1], STORE_DIGEST_LEN) == 0;

        CHECK(missing[i] == !known);
    }
out:
    free(fast);
    free(slow);
    free(digests);
    free(missing);
    return 0;
}
