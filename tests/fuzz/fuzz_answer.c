/*
 * fuzz_answer.c - libFuzzer driver: origin-ingest's reading of node answers
 * (tools/answer.c). A node, or anything pretending to be one, controls these
 * bodies completely.
 *
 * Input: one answer body, given to every parser in answer.h. Asserts that
 * strings handed to callbacks are NUL-terminated within bounds and that the
 * error line fits its buffer and holds no control character.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
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

static int release_cb(void *arg, const char *path, size_t path_len, const unsigned char *digest,
                      const char *type)
{
    volatile unsigned char x = digest[0] ^ digest[STORE_DIGEST_LEN - 1];

    (void)x;
    if (path_len > 0)
        CHECK(path[path_len - 1] == path[path_len - 1]);
    if (type != NULL)
        (void)strlen(type);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = fuzz_exact((const char *)data, size);
    char err[128], line[96], first[STORE_HEX_LEN + 1];
    uint64_t created, present;
    size_t i, n;

    if (body == NULL)
        return 0;
    ingest_answer_missing(body, size, missing_cb, NULL, err, sizeof(err));
    ingest_answer_conflicts(body, size, conflict_cb, NULL);
    first[0] = '\0';
    n = ingest_answer_missing_count(body, size, first);
    if (n > 0 && first[0] != '\0')
        CHECK(strlen(first) <= STORE_HEX_LEN);
    ingest_answer_missing_count(body, size, NULL);
    ingest_answer_error(body, size, line, sizeof(line));
    n = strlen(line);
    CHECK(n < sizeof(line));
    for (i = 0; i < n; i++)
        CHECK((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
    ingest_answer_error(body, size, line, 1);
    CHECK(line[0] == '\0');
    ingest_answer_bundle(body, size, &created, &present);
    ingest_answer_release(body, size, release_cb, NULL, err, sizeof(err));
    free(body);
    return 0;
}
