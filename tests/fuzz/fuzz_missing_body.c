/*
 * fuzz_missing_body.c - libFuzzer driver: the missing-digest batch of
 * POST /v1/missing, parsed the way server/admin.c's do_missing() does it
 * (static there; mirrored step by step, see tests/fuzz/README.md), then
 * store_missing() against a scratch store holding the SHA-256 of "" and "a".
 *
 * Input: the JSON body. Asserts that a present digest is never reported
 * missing and that the answer is built in request order.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "store.h"

#define MISSING_MAX 1000000

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
    json_error_t jerr;
    json_t *doc, *arr, *out = NULL, *v;
    unsigned char(*digests)[STORE_DIGEST_LEN] = NULL;
    unsigned char *missing = NULL;
    size_t n, i;

    if (st == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    arr = doc != NULL ? json_object_get(doc, "digests") : NULL;
    if (!json_is_array(arr))
        goto out; /* 400 */
    n = json_array_size(arr);
    if (n > MISSING_MAX)
        goto out; /* 413 */
    digests = malloc((n > 0 ? n : 1) * sizeof(*digests));
    missing = malloc(n > 0 ? n : 1);
    if (digests == NULL || missing == NULL)
        goto out;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || store_digest_from_hex(json_string_value(v), json_string_length(v),
                                                        digests[i]) != STORE_OK)
            goto out; /* 400 */
    }
    CHECK(store_missing(st, (const unsigned char(*)[STORE_DIGEST_LEN])digests, n, missing) ==
          STORE_OK);
    out = json_array();
    for (i = 0; i < n && out != NULL; i++) {
        int known = memcmp(digests[i], present[0], STORE_DIGEST_LEN) == 0 ||
                    memcmp(digests[i], present[1], STORE_DIGEST_LEN) == 0;

        CHECK(missing[i] == !known);
        if (missing[i]) {
            char hex[STORE_HEX_LEN + 1];

            store_digest_to_hex(digests[i], hex);
            json_array_append_new(out, json_string(hex));
        }
    }
out:
    json_decref(out);
    json_decref(doc);
    free(digests);
    free(missing);
    return 0;
}
