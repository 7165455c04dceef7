/*
 * fuzz_answer.c - libFuzzer driver: the node API's decoders of admin answers
 * (api/api.c, api/api_answer.c, api/api_prune.c), what origin-ingest and
 * peers read, and of the prune request (what a node reads). A node,
 * or anything pretending to be one, controls these bodies completely.
 *
 * Input: one answer body, given to every answer decoder in api.h. Asserts
 * that strings handed to callbacks are NUL-terminated within bounds, that
 * the error line fits its buffer and holds no control character, and that
 * a release the strict decoder accepts re-encodes to one it accepts again
 * with the same digest, and that a prune request or answer the strict
 * decoder accepts re-encodes to one it accepts again, equal.
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
            fprintf(stderr, "fuzz_answer: property failed: %s (line %d)\n", #c, __LINE__);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int missing_cb(void *arg, const unsigned char *digest)
{
    volatile unsigned char x = digest[0] ^ digest[STORE_DIGEST_LEN - 1];

    (void)x;
    return 0;
}

static void conflict_cb(void *arg, const char *path, const char *hex)
{
    CHECK(path != NULL);
    (void)strlen(path);
    if (hex != NULL)
        CHECK(strlen(hex) == STORE_HEX_LEN);
}

static int release_list_cb(void *arg, const char *id, int64_t created, uint64_t files)
{
    CHECK(store_id_valid(id, strlen(id)) == STORE_OK);
    CHECK(created >= 0);
    return 0;
}

static void check_release(const char *body, size_t size)
{
    struct api_release r, again;
    char why[API_WHY_MAX], *text;
    size_t len = 0;

    if (api_release_decode(body, size, NULL, &r, why, sizeof(why)) != 0) {
        CHECK(strlen(why) < sizeof(why));
        return;
    }
    text = api_release_encode(r.id, strlen(r.id), r.created, r.files, r.n, &len);
    CHECK(text != NULL);
    CHECK(api_release_decode(text, len, r.id, &again, why, sizeof(why)) == 0);
    CHECK(memcmp(again.digest, r.digest, STORE_DIGEST_LEN) == 0 && again.n == r.n);
    api_release_free(&again);
    free(text);
    api_release_free(&r);
}

static void check_prune(const char *body, size_t size)
{
    struct api_prune_request rq;
    struct api_prune_answer a, again;
    char why[API_WHY_MAX], *text;
    size_t len = 0, i;

    if (api_prune_request_decode(body, size, &rq, why, sizeof(why)) == 0) {
        const char **ids = calloc(rq.n + 1, sizeof(*ids));
        char(*copy)[STORE_ID_MAX + 1] = calloc(rq.n + 1, sizeof(*copy));
        struct api_prune_request rq2;

        CHECK(ids != NULL && copy != NULL);
        for (i = 0; i < rq.n; i++) {
            CHECK(rq.ids[i].len <= STORE_ID_MAX);
            memcpy(copy[i], rq.ids[i].id, rq.ids[i].len);
            ids[i] = copy[i];
        }
        text = api_prune_request_encode(ids, rq.n, rq.dry_run, &len);
        CHECK(text != NULL);
        CHECK(api_prune_request_decode(text, len, &rq2, why, sizeof(why)) == 0);
        CHECK(rq2.n == rq.n && rq2.dry_run == rq.dry_run);
        api_prune_request_free(&rq2);
        free(text);
        free(copy);
        free(ids);
        api_prune_request_free(&rq);
    } else {
        CHECK(strlen(why) < sizeof(why));
    }
    if (api_prune_answer_decode(body, size, &a, why, sizeof(why)) != 0) {
        CHECK(strlen(why) < sizeof(why));
        return;
    }
    text = api_prune_answer_encode(&a, &len);
    CHECK(text != NULL);
    CHECK(api_prune_answer_decode(text, len, &again, why, sizeof(why)) == 0);
    CHECK(again.n == a.n && again.dry_run == a.dry_run &&
          memcmp(&again.tot, &a.tot, sizeof(a.tot)) == 0);
    for (i = 0; i < a.n; i++)
        CHECK(strcmp(again.releases[i].id, a.releases[i].id) == 0 &&
              again.releases[i].state == a.releases[i].state &&
              again.releases[i].bytes == a.releases[i].bytes);
    api_prune_answer_free(&again);
    free(text);
    api_prune_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_exact((const char *)data, size);
    char err[128], line[96], first[STORE_HEX_LEN + 1];
    uint64_t created, present;
    size_t i, n;

    if (body == NULL)
        return 0;
    api_answer_missing(body, size, missing_cb, NULL, err, sizeof(err));
    api_answer_conflicts(body, size, conflict_cb, NULL);
    first[0] = '\0';
    n = api_answer_missing_count(body, size, first);
    if (n > 0 && first[0] != '\0')
        CHECK(strlen(first) <= STORE_HEX_LEN);
    api_answer_missing_count(body, size, NULL);
    api_answer_error(body, size, line, sizeof(line));
    n = strlen(line);
    CHECK(n < sizeof(line));
    for (i = 0; i < n; i++)
        CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
    api_answer_error(body, size, line, 1);
    CHECK(line[0] == '\0');
    api_answer_bundle(body, size, &created, &present);
    check_release(body, size);
    check_prune(body, size);
    api_release_list_decode(body, size, release_list_cb, NULL, err, sizeof(err));
    {
        struct api_blob_entry page[8];
        unsigned char next[STORE_DIGEST_LEN];
        int has_next;

        if (api_blob_page_decode(body, size, NULL, page, 8, &n, &has_next, next, err,
                                 sizeof(err)) == 0)
            CHECK(n <= 8 && (!has_next || memcmp(next, page[n - 1].digest, STORE_DIGEST_LEN) == 0));
    }
    free(body);
    return 0;
}
