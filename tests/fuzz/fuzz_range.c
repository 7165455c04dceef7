/*
 * fuzz_range.c - libFuzzer driver: the Range header (http_parse_range).
 *
 * Input: 8 bytes of representation size (big-endian; also tried small), then
 * the Range field value. Asserts that HTTP_RANGE_OK always gives
 * first <= last < size, so the public listener's zero-copy slice of the map
 * (body + first, last - first + 1 bytes) stays inside the blob.
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
            fprintf(stderr, "fuzz_range: property failed: %s (line %d)\n", #c, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void one(const char *h, size_t len, uint64_t size)
{
    uint64_t first = 777, last = 777;
    int rc = http_parse_range(h, len, size, &first, &last);

    CHECK(rc == HTTP_RANGE_NONE || rc == HTTP_RANGE_OK || rc == HTTP_RANGE_UNSATISFIABLE);
    if (rc == HTTP_RANGE_OK)
        CHECK(size > 0 && first <= last && last < size);
    else
        CHECK(first == 777 && last == 777);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t n = 0;
    size_t i;
    char *h;

    if (size < 8)
        return 0;
    for (i = 0; i < 8; i++)
        n = (n << 8) | data[i];
    h = fuzz_exact((const char *)data + 8, size - 8);
    if (h == NULL)
        return 0;
    one(h, size - 8, n);
    one(h, size - 8, n % 4096);
    one(h, size - 8, 0);
    one(h, size - 8, 1);
    one(h, size - 8, UINT64_MAX);
    free(h);
    return 0;
}
