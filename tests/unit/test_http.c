/*
 * test_http.c - cmocka unit tests for server/http.c, the pure request
 * parsers (target, If-None-Match, dates, Range, Accept-Encoding, Bearer,
 * secret comparison, log escaping). Registered from
 * tests/integration/CMakeLists.txt as server_unit_http.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static void test_target(void **state)
{
    char out[HTTP_PATH_MAX];
    size_t n = 0;

    assert_int_equal(http_target_path(S("/a/b.css?v=2"), out, sizeof(out), &n), HTTP_TARGET_OK);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "/a/b.css", 8);
    assert_int_equal(http_target_path(S("/a%20b#frag"), out, sizeof(out), &n), HTTP_TARGET_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "/a b", 4);
    assert_int_equal(http_target_path(S("/%2e%2e/etc"), out, sizeof(out), &n), HTTP_TARGET_OK);
    assert_memory_equal(out, "/../etc", 7);
    assert_int_equal(http_target_path(S("http://h:80/x?y"), out, sizeof(out), &n), HTTP_TARGET_OK);
    assert_int_equal(n, 2);
    assert_int_equal(http_target_path(S("/a%00b"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/a%zz"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/a%4"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/a%"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/a%0ab"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("a/b"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("*"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S(""), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/a\x01"), out, sizeof(out), &n), HTTP_TARGET_BAD);
    assert_int_equal(http_target_path(S("/abcdef"), out, 4, &n), HTTP_TARGET_TOO_LONG);
    /* %2F is never an alias of '/' (either case; the query is not the path) */
    assert_int_equal(http_target_path(S("/assets%2Fapp.css"), out, sizeof(out), &n),
                     HTTP_TARGET_SLASH);
    assert_int_equal(http_target_path(S("/a%2fb"), out, sizeof(out), &n), HTTP_TARGET_SLASH);
    assert_int_equal(http_target_path(S("/a/b?x=%2F"), out, sizeof(out), &n), HTTP_TARGET_OK);
}

static void test_unescape(void **state)
{
    char a[] = "/a%20b%00c%zz%4";

    assert_int_equal(http_unescape_inplace(a), strlen("/a b%00c%zz%4"));
    assert_string_equal(a, "/a b%00c%zz%4");
}

static void test_if_none_match(void **state)
{
    const char *e = "\"abc\"";

    assert_true(http_if_none_match(S("\"abc\""), e, 5));
    assert_true(http_if_none_match(S(" * "), e, 5));
    assert_true(http_if_none_match(S("\"x\", W/\"abc\""), e, 5));
    assert_true(http_if_none_match(S("\"x\",\"abc\" "), e, 5));
    assert_false(http_if_none_match(S("\"abcd\""), e, 5));
    assert_false(http_if_none_match(S("abc"), e, 5));
    assert_false(http_if_none_match(S("\"abc"), e, 5));
    assert_false(http_if_none_match(S(""), e, 5));
    assert_false(http_if_none_match(NULL, 0, e, 5));
    assert_false(http_if_none_match(S("\"x\" junk, \"abc\""), e, 5));
}

static void test_dates(void **state)
{
    int64_t t = 0;
    char buf[HTTP_DATE_LEN + 1];

    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 GMT"), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(http_parse_date(S("Sunday, 06-Nov-94 08:49:37 GMT"), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(http_parse_date(S("Sun Nov  6 08:49:37 1994"), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 UTC"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 31 Feb 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 25:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("yesterday"), &t), -1);
    assert_int_equal(http_parse_date(S(""), &t), -1);
    assert_int_equal(http_format_date(784111777, buf), HTTP_DATE_LEN);
    assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_format_date(0, buf);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_format_date(1709210096, buf); /* a leap day */
    assert_string_equal(buf, "Thu, 29 Feb 2024 12:34:56 GMT");
    assert_int_equal(http_parse_date(buf, strlen(buf), &t), 0);
    assert_int_equal(t, 1709210096);
}

/* The edges of the three forms (RFC 9110 section 5.6.7; curl_getdate does
 * the arithmetic behind the shape check). */
static void test_date_edges(void **state)
{
    int64_t t = 0;
    char buf[HTTP_DATE_LEN + 1];

    /* optional whitespace around; the oldest and the newest date */
    assert_int_equal(http_parse_date(S(" \tSun, 06 Nov 1994 08:49:37 GMT\t "), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(http_parse_date(S("Thu, 01 Jan 1970 00:00:00 GMT"), &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(http_parse_date(S("Fri, 31 Dec 9999 23:59:59 GMT"), &t), 0);
    assert_int_equal(t, 253402300799);
    http_format_date(253402300799 + 86400, buf); /* clamped */
    assert_string_equal(buf, "Fri, 31 Dec 9999 23:59:59 GMT");
    http_format_date(-1, buf);
    assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
    /* before 1970, including the second curl_getdate reports as 0 */
    assert_int_equal(http_parse_date(S("Wed, 31 Dec 1969 23:59:59 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Wed, 31 Dec 1969 00:00:00 GMT"), &t), -1);
    /* a leap second is the next second, not a refusal */
    assert_int_equal(http_parse_date(S("Thu, 31 Dec 1998 23:59:60 GMT"), &t), 0);
    assert_int_equal(t, 915148800);
    /* 29 February only in a leap year; no day 0 or 32; a year has 4 digits */
    assert_int_equal(http_parse_date(S("Tue, 29 Feb 2000 00:00:00 GMT"), &t), 0);
    assert_int_equal(http_parse_date(S("Wed, 29 Feb 2023 00:00:00 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun Feb 30 08:49:37 1994"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 00 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 32 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 0094 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:60:37 GMT"), &t), -1);
    /* names: a real day and month, case as the grammar writes them */
    assert_int_equal(http_parse_date(S("Xyz, 06 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("sun, 06 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("SUNDAY, 06-Nov-94 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 gmt"), &t), -1);
    /* the layout exactly: two-digit days, single spaces */
    assert_int_equal(http_parse_date(S("Sun, 6 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun,  06 Nov 1994 08:49:37 GMT"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun Nov 6 08:49:37 1994"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun Nov 06 08:49:37 1994"), &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(http_parse_date(S("Sun Nov  16 08:49:37 1994"), &t), -1);
    assert_int_equal(http_parse_date(S("Sunday, 06-Nov-1994 08:49:37 GMT"), &t), -1);
    /* forms curl_getdate alone would take */
    assert_int_equal(http_parse_date(S("1994-11-06T08:49:37Z"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 +0000"), &t), -1);
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37"), &t), -1);
    assert_int_equal(http_parse_date(S("06 Nov 1994 08:49:37 GMT"), &t), -1);
    /* rfc850's two-digit year: over 70 is 19xx, else 20xx (70 is 2070:
     * RFC 9110's 50-year rule gives the same today) */
    assert_int_equal(http_parse_date(S("Friday, 01-Jan-71 00:00:00 GMT"), &t), 0);
    assert_int_equal(t, 31536000);
    assert_int_equal(http_parse_date(S("Saturday, 01-Jan-00 00:00:00 GMT"), &t), 0);
    assert_int_equal(t, 946684800);
    assert_int_equal(http_parse_date(S("Wednesday, 01-Jan-70 00:00:00 GMT"), &t), 0);
    assert_int_equal(t, 3155760000);
    t = 42; /* written only on success */
    assert_int_equal(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 UTC"), &t), -1);
    assert_int_equal(t, 42);
    assert_int_equal(http_parse_date(NULL, 0, &t), -1);
}

static void test_range(void **state)
{
    uint64_t f = 0, l = 0;

    assert_int_equal(http_parse_range(S("bytes=0-9"), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 0 && l == 9);
    assert_int_equal(http_parse_range(S("bytes=90-"), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 90 && l == 99);
    assert_int_equal(http_parse_range(S("bytes=-10"), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 90 && l == 99);
    assert_int_equal(http_parse_range(S("bytes=-1000"), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 0 && l == 99);
    assert_int_equal(http_parse_range(S("bytes=50-1000"), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 50 && l == 99);
    assert_int_equal(http_parse_range(S(" Bytes = 1 - 2 "), 100, &f, &l), HTTP_RANGE_OK);
    assert_true(f == 1 && l == 2);
    assert_int_equal(http_parse_range(S("bytes=100-"), 100, &f, &l), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(http_parse_range(S("bytes=-0"), 100, &f, &l), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(http_parse_range(S("bytes=0-"), 0, &f, &l), HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(http_parse_range(S("bytes=99999999999999999999999-"), 100, &f, &l),
                     HTTP_RANGE_UNSATISFIABLE);
    assert_int_equal(http_parse_range(S("bytes=5-1"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(S("bytes=0-1,5-6"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(S("items=0-1"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(S("bytes=a-b"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(S("bytes=-"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(S("bytes=1"), 100, &f, &l), HTTP_RANGE_NONE);
    assert_int_equal(http_parse_range(NULL, 0, 100, &f, &l), HTTP_RANGE_NONE);
}

static void test_accept_encoding(void **state)
{
    struct http_accept_encoding q;

    http_parse_accept_encoding(S("br,gzip"), &q);
    assert_true(q.br == 1000 && q.gzip == 1000);
    http_parse_accept_encoding(S("gzip;q=0, br;q=0.5"), &q);
    assert_true(q.gzip == 0 && q.br == 500);
    http_parse_accept_encoding(S("gzip ; q=0.000"), &q);
    assert_true(q.gzip == 0 && q.br == 0);
    http_parse_accept_encoding(S("*;q=0.2, br;q=0"), &q);
    assert_true(q.gzip == 200 && q.br == 0);
    http_parse_accept_encoding(S("identity"), &q);
    assert_true(q.gzip == 0 && q.br == 0);
    http_parse_accept_encoding(S("gzip;q=2, br;q=abc, GZIP"), &q);
    assert_true(q.gzip == 1000 && q.br == 0);
    http_parse_accept_encoding(S(""), &q);
    assert_true(q.gzip == 0 && q.br == 0);
    http_parse_accept_encoding(NULL, 0, &q);
    assert_true(q.gzip == 0 && q.br == 0);
    http_parse_accept_encoding(S(";;;,,,;q="), &q);
    assert_true(q.gzip == 0 && q.br == 0);
    /* zstd takes "*"'s q like gzip and br; dcz only when named */
    http_parse_accept_encoding(S("gzip, deflate, br, zstd, dcb, dcz"), &q);
    assert_true(q.gzip == 1000 && q.br == 1000 && q.zstd == 1000 && q.dcz == 1000);
    http_parse_accept_encoding(S("*;q=0.3"), &q);
    assert_true(q.zstd == 300 && q.dcz == 0);
    http_parse_accept_encoding(S("ZSTD;q=0.7, dcz;q=0"), &q);
    assert_true(q.zstd == 700 && q.dcz == 0 && q.br == 0);
}

/* Which stored encoding: the highest q among those stored; ties br, zstd, gzip. */
static void test_choose_encoding(void **state)
{
    struct http_accept_encoding q;
    const unsigned all = 0xf, gz = 1u << 1, br = 1u << 2, zs = 1u << 3;

    http_parse_accept_encoding(S("gzip, deflate, br, zstd"), &q);
    assert_int_equal(http_choose_encoding(&q, all), 2);
    assert_int_equal(http_choose_encoding(&q, 1 | gz | zs), 3);
    assert_int_equal(http_choose_encoding(&q, 1 | gz), 1);
    assert_int_equal(http_choose_encoding(&q, 1), 0);
    http_parse_accept_encoding(S("br;q=0.5, zstd;q=0.6, gzip;q=0.6"), &q);
    assert_int_equal(http_choose_encoding(&q, all), 3);
    assert_int_equal(http_choose_encoding(&q, 1 | br | gz), 1);
    http_parse_accept_encoding(S("zstd;q=0, gzip;q=0, br;q=0"), &q);
    assert_int_equal(http_choose_encoding(&q, all), 0);
    http_parse_accept_encoding(S("dcz"), &q);
    assert_int_equal(http_choose_encoding(&q, all), 0); /* dcz is not a stored variant */
}

static void test_available_dictionary(void **state)
{
    /* SHA-256("abc") */
    static const unsigned char want[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                           0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                           0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                           0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    unsigned char d[32];

    memset(d, 0, sizeof(d));
    assert_int_equal(
        http_parse_available_dictionary(S(":ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"), d), 0);
    assert_memory_equal(d, want, 32);
    memset(d, 0, sizeof(d));
    assert_int_equal(
        http_parse_available_dictionary(S(" \t:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0:  "), d),
        0);
    assert_memory_equal(d, want, 32);
    /* refused: no colons, url-safe alphabet, a parameter, other lengths, bad
     * padding, trailing bits set, hex */
    assert_int_equal(
        http_parse_available_dictionary(S("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="), d), -1);
    assert_int_equal(
        http_parse_available_dictionary(S(":ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=:"), d),
        -1);
    assert_int_equal(
        http_parse_available_dictionary(S(":ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:;a=1"), d),
        -1);
    assert_int_equal(http_parse_available_dictionary(S(":AAAA:"), d), -1);
    assert_int_equal(
        http_parse_available_dictionary(S(":ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0==:"), d),
        -1);
    assert_int_equal(
        http_parse_available_dictionary(S(":ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa1=:"), d),
        -1);
    assert_int_equal(http_parse_available_dictionary(S("::"), d), -1);
    assert_int_equal(http_parse_available_dictionary(S(""), d), -1);
    assert_int_equal(http_parse_available_dictionary(NULL, 0, d), -1);
    assert_int_equal(http_parse_available_dictionary(
                         S("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), d),
                     -1);
}

static void test_bearer(void **state)
{
    const char *t = NULL;
    size_t n = 0;

    assert_int_equal(http_bearer_token(S("Bearer abc"), &t, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(t, "abc", 3);
    assert_int_equal(http_bearer_token(S("  bearer   abc  "), &t, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(http_bearer_token(S("Basic abc"), &t, &n), -1);
    assert_int_equal(http_bearer_token(S("Bearer "), &t, &n), -1);
    assert_int_equal(http_bearer_token(S("Bearerabc"), &t, &n), -1);
    assert_int_equal(http_bearer_token(NULL, 0, &t, &n), -1);
    assert_true(http_secret_equal("abc", 3, "abc", 3));
    assert_false(http_secret_equal("abc", 3, "abd", 3));
    assert_false(http_secret_equal("abc", 3, "abcd", 4));
    assert_false(http_secret_equal("", 0, "a", 1));
}

static void test_log_escape(void **state)
{
    char out[16];

    assert_int_equal(http_log_escape(S("/a b\n"), out, sizeof(out)), 11);
    assert_string_equal(out, "/a\\x20b\\x0a");
    http_log_escape(S("/aaaaaaaaaaaaaaaaaaaaaaaaa"), out, sizeof(out));
    assert_true(strlen(out) < sizeof(out));
    assert_non_null(strstr(out, "..."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_date_edges),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_choose_encoding),
        cmocka_unit_test(test_available_dictionary),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_log_escape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
