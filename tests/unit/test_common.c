/*
 * test_common.c - cmocka unit tests for common/'s core (origind_core): hex
 * encoding and decoding, percent-decoding under each flag, the monotonic
 * clock, HOST:PORT splitting, the growable buffer; each with its edge
 * cases (empty input, truncated escapes, odd lengths, bytes >= 0x80, port
 * 0 and 65536, the cap of a buffer).
 *
 * Not for: the callers' own rules (test_http.c, test_store.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "buf.h"
#include "clock.h"
#include "hex.h"
#include "hostport.h"
#include "pct.h"

#define S(s) (s), (sizeof(s) - 1)

static void test_hex_encode(void **state)
{
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof(in) + 1];

    memset(out, 'x', sizeof(out));
    hex_encode(in, sizeof(in), out);
    assert_string_equal(out, "00017f80abff");
    hex_encode(in, 0, out);
    assert_string_equal(out, "");
    assert_int_equal(strlen(hex_lower), 16);
    assert_int_equal(hex_upper[0xb], 'B');
    assert_int_equal(hex_lower[0xb], 'b');
}

static void test_hex_decode(void **state)
{
    unsigned char out[4] = {9, 9, 9, 9};
    int c;

    assert_int_equal(hex_decode(S("00aBfF7f"), out), 0);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 0xab);
    assert_int_equal(out[2], 0xff);
    assert_int_equal(out[3], 0x7f);
    memset(out, 9, sizeof(out));
    assert_int_equal(hex_decode(S(""), out), 0);
    assert_int_equal(out[0], 9);
    /* odd length, a non-digit anywhere, a byte >= 0x80: refused, out untouched */
    assert_int_equal(hex_decode(S("abc"), out), -1);
    assert_int_equal(hex_decode(S("abcg"), out), -1);
    assert_int_equal(hex_decode(S("ab c"), out), -1);
    assert_int_equal(hex_decode(S("\xc3\xa9"), out), -1);
    assert_int_equal(hex_decode("ab\0c", 4, out), -1);
    assert_int_equal(out[0], 9);
    for (c = -1; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;

        assert_int_equal(hex_value(c), want);
    }
    assert_int_equal(hex_value((char)0xe9), -1); /* a negative char */
}

/* pct_decode into a fresh buffer; returns the code, out NUL-terminated on OK. */
static int pct(const char *in, size_t len, unsigned flags, char *out, size_t cap)
{
    size_t n = 12345;
    int rc = pct_decode(in, len, out, cap - 1, flags, &n);

    if (rc == PCT_OK)
        out[n] = '\0';
    else
        assert_int_equal(n, 12345); /* *out_len written only on success */
    return rc;
}

static void test_pct_lenient(void **state)
{
    char out[64];

    assert_int_equal(pct(S("/a%20b%2Fc%2fd"), 0, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "/a b/c/d");
    /* malformed escapes are copied as they stand */
    assert_int_equal(pct(S("%zz%4%"), 0, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "%zz%4%");
    assert_int_equal(pct(S("%4g%g4"), 0, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "%4g%g4");
    assert_int_equal(pct(S(""), 0, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "");
    /* %00 decodes, unless kept */
    assert_int_equal(pct(S("a%00b"), 0, out, sizeof(out)), PCT_OK);
    assert_memory_equal(out, "a\0b", 3);
    assert_int_equal(pct(S("a%00b%41"), PCT_KEEP_NUL, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "a%00bA");
    /* bytes >= 0x80, as they stand or decoded, are not control bytes */
    assert_int_equal(pct(S("\xc3%A9"), PCT_NO_CTL, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "\xc3\xa9");
    /* an escape at the end of the input; not read past len */
    assert_int_equal(pct("%41%42", 5, 0, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "A%4");
}

static void test_pct_strict(void **state)
{
    const unsigned all = PCT_STRICT | PCT_NO_CTL | PCT_NO_SLASH;
    char out[64], in[] = "/x%41%25y";
    size_t n;

    assert_int_equal(pct(S("/a%41b"), all, out, sizeof(out)), PCT_OK);
    assert_string_equal(out, "/aAb");
    assert_int_equal(pct(S("%"), PCT_STRICT, out, sizeof(out)), PCT_EBAD);
    assert_int_equal(pct(S("%4"), PCT_STRICT, out, sizeof(out)), PCT_EBAD);
    assert_int_equal(pct(S("%4x"), PCT_STRICT, out, sizeof(out)), PCT_EBAD);
    assert_int_equal(pct(S("%x4"), PCT_STRICT, out, sizeof(out)), PCT_EBAD);
    assert_int_equal(pct(S("a%2F"), PCT_NO_SLASH, out, sizeof(out)), PCT_ESLASH);
    assert_int_equal(pct(S("a%2f"), PCT_NO_SLASH, out, sizeof(out)), PCT_ESLASH);
    assert_int_equal(pct(S("a/b"), PCT_NO_SLASH, out, sizeof(out)), PCT_OK);
    assert_int_equal(pct(S("a%00"), PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("a%1f"), PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("a%7F"), PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("a\x01"), PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("a\x7f"), PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct("a\0", 2, PCT_NO_CTL, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("a%20"), PCT_NO_CTL, out, sizeof(out)), PCT_OK);
    /* the first failing byte decides */
    assert_int_equal(pct(S("%2F\x01"), all, out, sizeof(out)), PCT_ESLASH);
    assert_int_equal(pct(S("\x01%2F"), all, out, sizeof(out)), PCT_ECTL);
    assert_int_equal(pct(S("%zz%2F"), all, out, sizeof(out)), PCT_EBAD);
    /* room: exactly cap fits, one more does not */
    assert_int_equal(pct_decode(S("ab%41"), out, 3, all, &n), PCT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(pct_decode(S("ab%41c"), out, 3, all, &n), PCT_ETOOLONG);
    assert_int_equal(pct_decode(S(""), out, 0, all, &n), PCT_OK);
    assert_int_equal(n, 0);
    /* in place */
    assert_int_equal(pct_decode(in, strlen(in), in, strlen(in), all, &n), PCT_OK);
    in[n] = '\0';
    assert_string_equal(in, "/xA%y");
}

static void test_clock(void **state)
{
    uint64_t ns = clock_mono_ns(), us = clock_mono_us(), ms = clock_mono_ms();
    double s = clock_mono_s();
    uint64_t ns2;

    assert_true(ns > 0);
    assert_true(us >= ns / 1000);
    assert_true(ms >= ns / 1000000);
    assert_true(s >= (double)(ns / 1000000000));
    ns2 = clock_mono_ns();
    assert_true(ns2 >= ns); /* never backwards */
    assert_true(clock_mono_ms() >= ms);
    assert_true(clock_mono_s() >= s);
}

/* hostport_split of a C string. */
static int split(const char *s, unsigned flags, struct hostport *hp)
{
    return hostport_split(s, strlen(s), flags, hp);
}

#define HOST_IS(hp, want)                                                                          \
    do {                                                                                           \
        assert_int_equal((hp).host_len, strlen(want));                                             \
        assert_memory_equal((hp).host, (want), strlen(want));                                      \
    } while (0)

static void test_hostport(void **state)
{
    struct hostport hp;

    assert_int_equal(split("example.com:8443", 0, &hp), 0);
    HOST_IS(hp, "example.com");
    assert_int_equal(hp.port_num, 8443);
    assert_int_equal(hp.port_len, 4);
    assert_memory_equal(hp.port, "8443", 4);
    assert_int_equal(hp.bracketed, 0);
    assert_int_equal(split("[::1]:80", 0, &hp), 0);
    HOST_IS(hp, "::1");
    assert_int_equal(hp.port_num, 80);
    assert_int_equal(hp.bracketed, 1);
    /* the last ':' splits an unbracketed string */
    assert_int_equal(split("::1:80", 0, &hp), 0);
    HOST_IS(hp, "::1");
    /* leading zeros are kept as written */
    assert_int_equal(split("h:0080", 0, &hp), 0);
    assert_int_equal(hp.port_num, 80);
    assert_int_equal(hp.port_len, 4);
    assert_int_equal(split("h:0000000000000000000000080", 0, &hp), 0);
    assert_int_equal(hp.port_num, 80);
    assert_int_equal(split("h:65535", 0, &hp), 0);
    assert_int_equal(hp.port_num, 65535);
    /* port 0 only when asked for */
    assert_int_equal(split("h:0", 0, &hp), -1);
    assert_int_equal(split("h:000", 0, &hp), -1);
    assert_int_equal(split("127.0.0.1:0", HOSTPORT_PORT_ZERO, &hp), 0);
    assert_int_equal(hp.port_num, 0);
    /* refused */
    memset(&hp, 0x5a, sizeof(hp));
    assert_int_equal(split("h:65536", 0, &hp), -1);
    assert_int_equal(split("h:99999999999999999999999", 0, &hp), -1);
    assert_int_equal(split("h", 0, &hp), -1);
    assert_int_equal(split("h:", 0, &hp), -1);
    assert_int_equal(split(":80", 0, &hp), -1);
    assert_int_equal(split("", 0, &hp), -1);
    assert_int_equal(split("h:8a", 0, &hp), -1);
    assert_int_equal(split("h:+80", 0, &hp), -1);
    assert_int_equal(split("h: 80", 0, &hp), -1);
    assert_int_equal(split("h:80 ", 0, &hp), -1);
    assert_int_equal(split("h:-1", 0, &hp), -1);
    assert_int_equal(split("h:80k", HOSTPORT_PORT_ZERO, &hp), -1);
    assert_int_equal(split("[::1]", 0, &hp), -1);
    assert_int_equal(split("[::1]:", 0, &hp), -1);
    assert_int_equal(split("[::1]80", 0, &hp), -1);
    assert_int_equal(split("[]:80", 0, &hp), -1);
    assert_int_equal(split("[::1:80", 0, &hp), -1);
    assert_int_equal(split("[a]b]:80", 0, &hp), -1);
    assert_int_equal(hostport_split(NULL, 0, 0, &hp), -1);
    assert_int_equal(hp.port_num, 0x5a5a5a5a); /* not written on failure */
    /* not read past len */
    assert_int_equal(hostport_split("h:80", 3, 0, &hp), 0);
    assert_int_equal(hp.port_num, 8);
    assert_int_equal(hostport_split("[::1]:80", 5, 0, &hp), -1);
    /* what the caller checks: the host may hold anything but be empty */
    assert_int_equal(split("a]:80", 0, &hp), 0);
    HOST_IS(hp, "a]");
}

static void test_buf(void **state)
{
    struct buf b = {NULL, 0, 0, 0};
    char big[1000];
    size_t i;

    assert_int_equal(buf_add(&b, "abc", 3), BUF_OK);
    assert_string_equal(b.data, "abc");
    assert_int_equal(b.len, 3);
    assert_int_equal(buf_add(&b, NULL, 0), BUF_OK);
    assert_int_equal(b.len, 3);
    memset(big, 'x', sizeof(big));
    for (i = 0; i < 100; i++)
        assert_int_equal(buf_add(&b, big, sizeof(big)), BUF_OK);
    assert_int_equal(b.len, 3 + 100 * sizeof(big));
    assert_int_equal(b.data[b.len], '\0');
    assert_true(b.cap > b.len);
    assert_int_equal(buf_addf(&b, "-%d-%s", 42, "z"), BUF_OK);
    assert_string_equal(b.data + 3 + 100 * sizeof(big), "-42-z");
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b); /* twice is fine */

    /* an empty add allocates (data is a C string from then on) */
    assert_int_equal(buf_add(&b, "", 0), BUF_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    /* a long formatted string */
    assert_int_equal(buf_addf(&b, "%.*s", 900, big), BUF_OK);
    assert_int_equal(b.len, 900);
    /* a wide character the C locale cannot convert: refused, nothing added */
    assert_int_equal(buf_addf(&b, "%ls", L"\x100"), BUF_EFORMAT);
    assert_int_equal(b.len, 900);
    assert_int_equal(b.data[900], '\0');
    buf_free(&b);
}

static void test_buf_max(void **state)
{
    struct buf b = {NULL, 0, 0, 5};

    assert_int_equal(buf_add(&b, "abc", 3), BUF_OK);
    assert_int_equal(buf_add(&b, "def", 3), BUF_EFULL);
    assert_string_equal(b.data, "abc"); /* unchanged */
    assert_int_equal(buf_addf(&b, "%s", "def"), BUF_EFULL);
    assert_int_equal(b.len, 3);
    assert_int_equal(buf_add(&b, "de", 2), BUF_OK);
    assert_string_equal(b.data, "abcde");
    assert_true(b.cap <= 6); /* never more than max + 1 */
    assert_int_equal(buf_add(&b, "f", 1), BUF_EFULL);
    assert_int_equal(buf_add(&b, NULL, 0), BUF_OK);
    buf_free(&b);
    assert_int_equal(b.max, 5); /* kept */
    assert_int_equal(buf_add(&b, "abcdef", 6), BUF_EFULL);
    assert_null(b.data);
    assert_int_equal(buf_add(&b, (const char *)NULL, (size_t)-1), BUF_EFULL);
    b.max = 0;
    assert_int_equal(buf_add(&b, "a", 1), BUF_OK);
    assert_int_equal(buf_add(&b, (const char *)NULL, (size_t)-1), BUF_ENOMEM);
    assert_string_equal(b.data, "a");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_encode),  cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_pct_lenient), cmocka_unit_test(test_pct_strict),
        cmocka_unit_test(test_clock),       cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_buf),         cmocka_unit_test(test_buf_max),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
