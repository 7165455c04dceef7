/*
 * test_api_dict.c - unit tests of api/api_dict.c: file families (which
 * published paths are versions of one another) and Use-As-Dictionary; and
 * of api_asset_etag (api.c), the ETags of variants and dcz deltas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api.h"
#include "api_dict.h"

#define S(lit) lit, sizeof(lit) - 1

static void expect_family(const char *path, const char *want)
{
    char out[256];
    size_t n = api_dict_family(path, strlen(path), out, sizeof(out));

    if (want == NULL) {
        assert_int_equal(n, 0);
        return;
    }
    assert_int_equal(n, strlen(want));
    assert_string_equal(out, want);
}

static void test_family(void **state)
{
    (void)state;
    /* origind's own names: 16 hex before the extension (any 8..64) */
    expect_family("/assets/css/app.3f2a9c1e5b7d0a41.css", "/assets/css/app.*.css");
    expect_family("/assets/js/vendor.min.3f2a9c1e5b7d0a41.js", "/assets/js/vendor.min.*.js");
    expect_family("/assets/LICENSE.3f2a9c1e5b7d0a41", "/assets/LICENSE.*");
    expect_family("/a/b.0123456789abcdef0123.js", "/a/b.*.js"); /* webpack's 20 */
    /* bundlers' name-<hash>.ext */
    expect_family("/assets/index-DiwrgTda.js", "/assets/index-*.js");
    expect_family("/assets/vendor-react-B4x_9kQz.js", "/assets/vendor-react-*.js");
    expect_family("/assets/chunk-1a2b3c4d.min.js", "/assets/chunk-*.min.js");
    /* URLPattern syntax in the rest is escaped */
    expect_family("/a(1)/x+y:z.3f2a9c1e5b7d0a41.js", "/a\\(1\\)/x\\+y\\:z.*.js");
    /* no version token, or one a URL would carry percent-encoded: none */
    expect_family("/assets/app.js", NULL);
    expect_family("/assets/app-component.js", NULL);    /* a word, not a hash */
    expect_family("/assets/3f2a9c1e5b7d0a41.js", NULL); /* the stem itself */
    expect_family("/assets/app.3F2A9C1E5B7D0A41.js", NULL);
    expect_family("/assets/app.3f2a9c1.js", NULL);            /* too short */
    expect_family("/a b/app.3f2a9c1e5b7d0a41.js", NULL);      /* a space */
    expect_family("/\xc3\xa9/app.3f2a9c1e5b7d0a41.js", NULL); /* UTF-8 */
    expect_family("/a/\"q\".3f2a9c1e5b7d0a41.js", NULL);
    expect_family("", NULL);
    expect_family("app.3f2a9c1e5b7d0a41.js", NULL);
}

static void test_header(void **state)
{
    char out[API_DICT_HEADER_MAX];
    size_t n;

    (void)state;
    n = api_dict_header(S("/assets/app.3f2a9c1e5b7d0a41.js"), S("text/javascript; charset=utf-8"),
                        out, sizeof(out));
    assert_int_equal(n, strlen(out));
    assert_string_equal(out, "match=\"/assets/app.*.js\", match-dest=(\"script\")");
    api_dict_header(S("/s.3f2a9c1e5b7d0a41.css"), S("TEXT/CSS"), out, sizeof(out));
    assert_string_equal(out, "match=\"/s.*.css\", match-dest=(\"style\")");
    api_dict_header(S("/m.3f2a9c1e5b7d0a41.wasm"), S("application/wasm"), out, sizeof(out));
    assert_string_equal(out, "match=\"/m.*.wasm\"");
    api_dict_header(S("/x(1).3f2a9c1e5b7d0a41.json"), S("application/manifest+json"), out,
                    sizeof(out));
    assert_string_equal(out, "match=\"/x\\\\(1\\\\).*.json\""); /* sf-string escapes the '\' */
    /* not eligible: other types, no family, too small a buffer */
    assert_int_equal(
        api_dict_header(S("/i.3f2a9c1e5b7d0a41.png"), S("image/png"), out, sizeof(out)), 0);
    assert_int_equal(
        api_dict_header(S("/i.3f2a9c1e5b7d0a41.html"), S("text/html"), out, sizeof(out)), 0);
    assert_int_equal(api_dict_header(S("/app.js"), S("text/javascript"), out, sizeof(out)), 0);
    assert_int_equal(api_dict_header(S("/app.3f2a9c1e5b7d0a41.js"), S("text/javascript"), out, 10),
                     0);
    assert_true(api_dict_eligible(S("/app.3f2a9c1e5b7d0a41.js"), S("application/javascript")));
    assert_false(api_dict_eligible(S("/app.3f2a9c1e5b7d0a41.js"), S("text/plain")));
}

static void test_etag(void **state)
{
    static const struct {
        int enc;
        int with_dict;
        const char *suffix;
    } cases[] = {
        {STORE_ENC_IDENTITY, 0, ""}, {STORE_ENC_GZIP, 0, "-gz"},
        {STORE_ENC_BR, 0, "-br"},    {STORE_ENC_ZSTD, 0, "-zs"},
        {API_ETAG_DCZ, 0, "-dcz"},   {API_ETAG_DCZ, 1, "-dcz-f0f1f2f3f4f5f6f7"},
    };
    unsigned char d[STORE_DIGEST_LEN], dict[STORE_DIGEST_LEN];
    char out[API_ETAG_SIZE], want[API_ETAG_SIZE];
    size_t i;

    (void)state;
    for (i = 0; i < STORE_DIGEST_LEN; i++) {
        d[i] = (unsigned char)i;
        dict[i] = (unsigned char)(0xf0 + i % 16);
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(want, sizeof(want), "\"000102030405060708090a0b0c0d0e0f%s\"", cases[i].suffix);
        assert_int_equal(api_asset_etag(d, cases[i].enc, cases[i].with_dict ? dict : NULL, out),
                         strlen(want));
        assert_string_equal(out, want);
    }
    assert_int_equal(strlen(out) + 1, API_ETAG_SIZE); /* the longest fits exactly */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_etag),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
