/*
 * test_api_fetch.c - cmocka unit tests for api/api_fetch.c, the POST
 * /v1/fetch exchange of the seed push: the request round-trips through its
 * encoder and strict decoder; near-misses (a member missing or extra, a
 * duplicate key, no source or too many, a source that is not an http(s)
 * URL or holds a space, a query, a NUL escape, a digest that is not 64
 * hex) are refused with 400's code; the answer round-trips and a
 * malformed one is refused. Registered from tests/integration/CMakeLists.txt
 * as server_unit_api_fetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"

#define HE "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A heap copy of exactly strlen(s) bytes (no NUL): ASan catches overreads. */
static char *exact(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n > 0 ? n : 1);

    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static int decode(const char *s)
{
    struct api_fetch_request r;
    char why[API_WHY_MAX], *b = exact(s);
    int rc = api_fetch_request_decode(b, strlen(s), &r, why, sizeof(why));

    if (rc == 0)
        api_fetch_request_free(&r);
    else
        assert_true(why[0] != '\0');
    free(b);
    return rc;
}

static void test_request_roundtrip(void **state)
{
    const char *from[] = {"http://10.0.0.1:8081", "https://seed.example:8081/"};
    unsigned char d[2][STORE_DIGEST_LEN];
    const uint64_t sz[2] = {0, 1};
    const unsigned vm[2] = {0, (1u << STORE_ENC_GZIP) | (1u << STORE_ENC_BR)};
    struct api_fetch_request r;
    char why[API_WHY_MAX], *text;
    size_t len = 0;

    (void)state;
    store_sha256("", 0, d[0]);
    store_sha256("a", 1, d[1]);
    text = api_fetch_request_encode(from, 2, (const unsigned char(*)[STORE_DIGEST_LEN])d, NULL,
                                    NULL, 2, &len);
    assert_non_null(text);
    assert_int_equal(api_fetch_request_decode(text, len, &r, why, sizeof(why)), 0);
    assert_int_equal(r.nfrom, 2);
    assert_string_equal(r.from[0], from[0]);
    assert_string_equal(r.from[1], from[1]);
    assert_int_equal(r.n, 2);
    assert_memory_equal(r.digests, d, sizeof(d));
    assert_null(r.sizes);
    api_fetch_request_free(&r);
    free(text);
    /* with sizes */
    text = api_fetch_request_encode(from, 1, (const unsigned char(*)[STORE_DIGEST_LEN])d, sz, vm, 2,
                                    &len);
    assert_non_null(text);
    assert_int_equal(api_fetch_request_decode(text, len, &r, why, sizeof(why)), 0);
    assert_non_null(r.sizes);
    assert_int_equal(r.sizes[0], 0);
    assert_int_equal(r.sizes[1], 1);
    assert_non_null(r.variants);
    assert_int_equal(r.variants[0], 0);
    assert_int_equal(r.variants[1], (1u << STORE_ENC_GZIP) | (1u << STORE_ENC_BR));
    api_fetch_request_free(&r);
    free(text);
    /* no digest at all is a valid (empty) fetch */
    text = api_fetch_request_encode(from, 1, NULL, NULL, NULL, 0, &len);
    assert_non_null(text);
    assert_string_equal(text, "{\"from\":[\"http://10.0.0.1:8081\"],\"digests\":[]}");
    free(text);
    /* a source the API cannot carry is never encoded */
    from[1] = "ftp://x";
    assert_null(api_fetch_request_encode(from, 2, NULL, NULL, NULL, 0, &len));
    assert_null(api_fetch_request_encode(from, 0, NULL, NULL, NULL, 0, &len));
}

static void test_request_strict(void **state)
{
    char big[4096];
    size_t off = 0;
    int i;

    (void)state;
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"]}"), 0);
    assert_int_equal(decode("{\"digests\":[],\"from\":[\"https://a:1/x\"]}"), 0);
    assert_int_equal(decode("{\"from\":[\"http://a\"]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"sizes\":[0]}"), 0);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"sizes\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"sizes\":[-1]}"),
                     -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"sizes\":[\"1\"]}"),
                     -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[],\"sizes\":{}}"), -1);
    assert_int_equal(
        decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[[\"br\"]]}"), 0);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[[]]}"),
                     0);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[]}"),
                     -1);
    assert_int_equal(
        decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[[\"identity\"]]}"),
        -1);
    assert_int_equal(
        decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[[\"xz\"]]}"), -1);
    assert_int_equal(
        decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "\"],\"variants\":[\"br\"]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[],\"x\":1}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"from\":[\"http://b\"],\"digests\":[]}"),
                     -1);
    assert_int_equal(decode("{\"from\":[],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":\"http://a\",\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"ftp://a\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a b\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a/?x=1\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\\u0000b\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\\u00e9\"],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[1],\"digests\":[]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"" HE "0\"]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[\"zz\"]}"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[1]}"), -1);
    assert_int_equal(decode("[]"), -1);
    assert_int_equal(decode("{\"from\":[\"http://a\"],\"digests\":[]} x"), -1);
    /* one source more than the limit */
    off += (size_t)snprintf(big + off, sizeof(big) - off, "{\"from\":[");
    for (i = 0; i <= API_FETCH_SOURCES_MAX; i++)
        off += (size_t)snprintf(big + off, sizeof(big) - off, "%s\"http://n%d\"", i ? "," : "", i);
    snprintf(big + off, sizeof(big) - off, "],\"digests\":[]}");
    assert_int_equal(decode(big), -1);
}

static void test_answer(void **state)
{
    struct api_fetch_answer a, b;
    unsigned char m[1][STORE_DIGEST_LEN];
    char why[API_WHY_MAX], *text;
    size_t len = 0;

    (void)state;
    memset(&a, 0, sizeof(a));
    store_sha256("", 0, m[0]);
    a.fetched = 3;
    a.variants = 2;
    a.bytes = 1000;
    a.present = 1;
    a.bad = 4;
    a.missing = m;
    a.nmissing = 1;
    text = api_fetch_answer_encode(&a, &len);
    assert_non_null(text);
    assert_string_equal(text,
                        "{\"fetched\":3,\"variants\":2,\"bytes\":1000,\"present\":1,\"bad\":4,"
                        "\"missing\":[\"" HE "\"]}");
    assert_int_equal(api_fetch_answer_decode(text, len, &b, why, sizeof(why)), 0);
    assert_int_equal(b.fetched, 3);
    assert_int_equal(b.bad, 4);
    assert_int_equal(b.nmissing, 1);
    assert_memory_equal(b.missing[0], m[0], STORE_DIGEST_LEN);
    api_fetch_answer_free(&b);
    free(text);
    text =
        exact("{\"fetched\":-1,\"variants\":0,\"bytes\":0,\"present\":0,\"bad\":0,\"missing\":[]}");
    assert_int_equal(api_fetch_answer_decode(text,
                                             strlen("{\"fetched\":-1,\"variants\":0,\"bytes\":"
                                                    "0,\"present\":0,\"bad\":0,\"missing\":[]}"),
                                             &b, why, sizeof(why)),
                     -1);
    free(text);
    text = exact(
        "{\"fetched\":0,\"variants\":0,\"bytes\":0,\"present\":0,\"bad\":0,\"missing\":[\"x\"]}");
    assert_int_equal(api_fetch_answer_decode(text,
                                             strlen("{\"fetched\":0,\"variants\":0,\"bytes\":0,"
                                                    "\"present\":0,\"bad\":0,\"missing\":[\"x\"]}"),
                                             &b, why, sizeof(why)),
                     -1);
    free(text);
    assert_int_equal(api_fetch_answer_decode("{}", 2, &b, why, sizeof(why)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_roundtrip),
        cmocka_unit_test(test_request_strict),
        cmocka_unit_test(test_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
