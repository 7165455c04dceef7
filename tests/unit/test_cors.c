/*
 * test_cors.c - cmocka unit tests for server/cors.c, the public listener's
 * cross-origin policy: origin syntax, --cors-origin lists, the per-answer
 * decision and the Vary value. Registered from
 * tests/integration/CMakeLists.txt as server_unit_cors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cors.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_origin_valid(void **state)
{
    char big[CORS_ORIGIN_MAX + 2];

    assert_true(cors_origin_valid(S("https://www.example.com")));
    assert_true(cors_origin_valid(S("http://127.0.0.1:8088")));
    assert_true(cors_origin_valid(S("http://[::1]:3000")));
    assert_true(cors_origin_valid(S("https://a.example:8443")));
    assert_true(cors_origin_valid(S("chrome-extension://abcdef")));
    assert_true(cors_origin_valid(S("http://localhost:65535")));
    /* a path, even "/", a query, user info, a fragment */
    assert_false(cors_origin_valid(S("https://www.example.com/")));
    assert_false(cors_origin_valid(S("https://www.example.com/app")));
    assert_false(cors_origin_valid(S("https://www.example.com?x")));
    assert_false(cors_origin_valid(S("https://u@www.example.com")));
    assert_false(cors_origin_valid(S("https://www.example.com#f")));
    /* no scheme, no host, bad ports */
    assert_false(cors_origin_valid(S("www.example.com")));
    assert_false(cors_origin_valid(S("//www.example.com")));
    assert_false(cors_origin_valid(S("https://")));
    assert_false(cors_origin_valid(S("1http://a")));
    assert_false(cors_origin_valid(S("https://a:")));
    assert_false(cors_origin_valid(S("https://a:0")));
    assert_false(cors_origin_valid(S("https://a:08080")));
    assert_false(cors_origin_valid(S("https://a:65536")));
    assert_false(cors_origin_valid(S("https://a:123456")));
    assert_false(cors_origin_valid(S("https://a:8x")));
    assert_false(cors_origin_valid(S("http://[::1")));
    assert_false(cors_origin_valid(S("http://[]")));
    /* default ports: browsers never send them */
    assert_false(cors_origin_valid(S("https://a.example:443")));
    assert_false(cors_origin_valid(S("http://a.example:80")));
    assert_true(cors_origin_valid(S("http://a.example:443")));
    /* "null", "*", blanks, bytes */
    assert_false(cors_origin_valid(S("null")));
    assert_false(cors_origin_valid(S("*")));
    assert_false(cors_origin_valid(S("https://a b")));
    assert_false(cors_origin_valid(S("https://a\r\nX-Evil: 1")));
    assert_false(cors_origin_valid("https://a\0b", 11));
    assert_false(cors_origin_valid(NULL, 0));
    assert_false(cors_origin_valid("", 0));
    /* length cap */
    memset(big, 'a', sizeof(big));
    memcpy(big, "https://", 8);
    assert_true(cors_origin_valid(big, CORS_ORIGIN_MAX));
    assert_false(cors_origin_valid(big, CORS_ORIGIN_MAX + 1));
}

static void test_policy_parse(void **state)
{
    struct cors_policy p;
    const char *bad = NULL;
    size_t bad_len = 0;
    static const char list[] = " https://a.example ,http://127.0.0.1:8088,https://b.example";
    char many[CORS_ORIGINS_MAX * 16 + 32];
    size_t k, n = 0;

    assert_int_equal(cors_policy_parse(S(list), &p, &bad, &bad_len), CORS_OK);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.origin[0].len, strlen("https://a.example"));
    assert_memory_equal(p.origin[0].s, "https://a.example", p.origin[0].len);
    assert_memory_equal(p.origin[1].s, "http://127.0.0.1:8088", p.origin[1].len);
    assert_int_equal(p.origin[2].len, strlen("https://b.example"));

    assert_int_equal(cors_policy_parse(S("https://a.example"), &p, NULL, NULL), CORS_OK);
    assert_int_equal(p.n, 1);

    /* errors leave *out alone and point at the element */
    p.n = 7;
    assert_int_equal(
        cors_policy_parse(S("https://a.example,https://b.example/x"), &p, &bad, &bad_len),
        CORS_ESYNTAX);
    assert_int_equal(p.n, 7);
    assert_int_equal(bad_len, strlen("https://b.example/x"));
    assert_memory_equal(bad, "https://b.example/x", bad_len);
    assert_int_equal(
        cors_policy_parse(S("https://a.example,,https://b.example"), &p, &bad, &bad_len),
        CORS_EEMPTY);
    assert_int_equal(cors_policy_parse(S("https://a.example,"), &p, &bad, &bad_len), CORS_EEMPTY);
    assert_int_equal(cors_policy_parse(S(""), &p, &bad, &bad_len), CORS_EEMPTY);
    assert_int_equal(cors_policy_parse(S("  "), &p, &bad, &bad_len), CORS_EEMPTY);
    assert_int_equal(cors_policy_parse(NULL, 0, &p, &bad, &bad_len), CORS_EEMPTY);
    assert_int_equal(cors_policy_parse(S("*"), &p, &bad, &bad_len), CORS_ESYNTAX);
    assert_int_equal(p.n, 7);

    /* CORS_ORIGINS_MAX origins fit, one more does not */
    for (k = 0; k < CORS_ORIGINS_MAX; k++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "%shttp://h%zu", k ? "," : "", k);
    assert_int_equal(cors_policy_parse(many, n, &p, &bad, &bad_len), CORS_OK);
    assert_int_equal(p.n, CORS_ORIGINS_MAX);
    n += (size_t)snprintf(many + n, sizeof(many) - n, ",http://extra");
    assert_int_equal(cors_policy_parse(many, n, &p, &bad, &bad_len), CORS_ETOOMANY);
    assert_memory_equal(bad, "http://extra", bad_len);
    assert_string_equal(cors_strerror(CORS_ETOOMANY), "too many origins");
}

static void test_decide(void **state)
{
    struct cors_policy any = {0}, list;
    struct cors_answer a;
    static const char site[] = "https://www.example.com";

    /* any origin: "*", whatever was sent, and no Vary: Origin */
    cors_decide(&any, NULL, 0, &a);
    assert_string_equal(a.allow_origin, "*");
    assert_int_equal(a.allow_origin_len, 1);
    assert_int_equal(a.vary_origin, 0);
    cors_decide(&any, S(site), &a);
    assert_string_equal(a.allow_origin, "*");
    assert_int_equal(a.vary_origin, 0);
    cors_decide(NULL, S(site), &a);
    assert_string_equal(a.allow_origin, "*");

    assert_int_equal(
        cors_policy_parse(S("https://www.example.com,http://127.0.0.1:8088"), &list, NULL, NULL),
        CORS_OK);
    /* a listed origin is echoed: the request's own bytes */
    cors_decide(&list, S(site), &a);
    assert_ptr_equal(a.allow_origin, site);
    assert_int_equal(a.allow_origin_len, sizeof(site) - 1);
    assert_int_equal(a.vary_origin, 1);
    cors_decide(&list, S("HTTPS://WWW.Example.COM"), &a);
    assert_non_null(a.allow_origin);
    assert_memory_equal(a.allow_origin, "HTTPS://WWW.Example.COM", a.allow_origin_len);
    cors_decide(&list, S("http://127.0.0.1:8088"), &a);
    assert_non_null(a.allow_origin);
    /* not listed, a prefix, longer, other port, absent: no ACAO, still Vary */
    cors_decide(&list, S("https://other.example"), &a);
    assert_null(a.allow_origin);
    assert_int_equal(a.vary_origin, 1);
    cors_decide(&list, S("https://www.example.co"), &a);
    assert_null(a.allow_origin);
    cors_decide(&list, S("https://www.example.com.evil"), &a);
    assert_null(a.allow_origin);
    cors_decide(&list, S("http://127.0.0.1:8089"), &a);
    assert_null(a.allow_origin);
    cors_decide(&list, S("null"), &a);
    assert_null(a.allow_origin);
    cors_decide(&list, NULL, 0, &a);
    assert_null(a.allow_origin);
    assert_int_equal(a.vary_origin, 1);
}

static void test_vary(void **state)
{
    assert_null(cors_vary(0, 0));
    assert_string_equal(cors_vary(1, 0), "Accept-Encoding");
    assert_string_equal(cors_vary(0, 1), "Origin");
    assert_string_equal(cors_vary(1, 1), "Accept-Encoding, Origin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin_valid),
        cmocka_unit_test(test_policy_parse),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_vary),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
