/*
 * fuzz_cors.c - libFuzzer driver: the cross-origin policy (server/cors.c).
 *
 * Input: first line = a --cors-origin list, rest = a request's Origin value.
 * Exercises cors_policy_parse, cors_origin_valid and cors_decide, and checks
 * that a parsed list holds only valid origins inside the input, that each
 * listed origin is allowed, and that whatever is echoed into
 * Access-Control-Allow-Origin is "*" or exactly the request's own bytes,
 * and then a valid origin (never a CR, LF or other byte a header must not
 * carry).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cors.h"
#include "fuzz_util.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_cors: property failed: %s (line %d)\n", #c, __LINE__);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0, llen = 0, olen, k;
    const char *l = NULL, *o, *bad = NULL;
    char *list, *origin;
    struct cors_policy p, any = {0};
    struct cors_answer a;
    size_t bad_len = 0;
    int rc;

    if (!fuzz_field(data, size, &pos, &l, &llen))
        return 0;
    o = pos <= size ? (const char *)data + pos : (const char *)data + size;
    olen = pos <= size ? size - pos : 0;
    list = fuzz_exact(l, llen);
    origin = fuzz_exact(o, olen);
    if (list == NULL || origin == NULL)
        goto out;

    cors_decide(&any, origin, olen, &a);
    CHECK(a.allow_origin != NULL && strcmp(a.allow_origin, CORS_ANY) == 0 && !a.vary_origin);

    memset(&p, 0xa5, sizeof(p));
    rc = cors_policy_parse(list, llen, &p, &bad, &bad_len);
    CHECK(rc >= CORS_OK && rc <= CORS_ETOOMANY);
    if (rc != CORS_OK) {
        CHECK(bad >= list && bad + bad_len <= list + llen);
        goto out;
    }
    CHECK(p.n >= 1 && p.n <= CORS_ORIGINS_MAX);
    for (k = 0; k < p.n; k++) {
        CHECK(p.origin[k].s >= list && p.origin[k].s + p.origin[k].len <= list + llen);
        CHECK(cors_origin_valid(p.origin[k].s, p.origin[k].len));
        cors_decide(&p, p.origin[k].s, p.origin[k].len, &a);
        CHECK(a.allow_origin == p.origin[k].s && a.vary_origin);
    }
    cors_decide(&p, origin, olen, &a);
    CHECK(a.vary_origin);
    if (a.allow_origin != NULL) {
        CHECK(a.allow_origin == origin && a.allow_origin_len == olen);
        CHECK(cors_origin_valid(origin, olen));
        CHECK(memchr(origin, '\r', olen) == NULL && memchr(origin, '\n', olen) == NULL);
    }
out:
    free(list);
    free(origin);
    return 0;
}
