/*
 * test_admin_body.c - cmocka unit tests for server/admin_body.c, the admin
 * API's JSON body parsers (POST /v1/missing digests, PUT /v1/releases files):
 * canonical bodies take the fast scanner, near-misses (whitespace, reordered
 * or extra keys, escapes, non-ASCII, trailing garbage, empty arrays,
 * upper-case hex) fall back to jansson with the same results, errors carry
 * the HTTP answer's text. Also the GET /v1/blobs cursor parameters
 * (admin_parse_list_params) and the POST /v1/bundle framing
 * (admin_bundle_next). Registered from tests/integration/CMakeLists.txt as
 * server_unit_admin_body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin_body.h"

/* SHA-256 of "" and of "a" */
#define HE "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* HE without its first digit, which is 'e' */
#define HE_TAIL "3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HA      "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"

static unsigned char de[STORE_DIGEST_LEN], da[STORE_DIGEST_LEN];

static int setup(void **state)
{
    (void)state;
    store_sha256("", 0, de);
    store_sha256("a", 1, da);
    return 0;
}

/* A heap copy of exactly strlen(s) bytes (no NUL), so ASan catches a read
 * past the body. Caller frees. */
static char *exact(const char *s, size_t *len)
{
    char *p;

    *len = strlen(s);
    p = malloc(*len > 0 ? *len : 1);
    assert_non_null(p);
    memcpy(p, s, *len);
    return p;
}

/* Parses s as a missing body; returns the error, checks fast/json agreement,
 * and leaves the digests in *d (caller frees) on success. */
static int missing(const char *s, size_t max, int want_fast, unsigned char (**d)[STORE_DIGEST_LEN],
                   size_t *n, char *why)
{
    size_t len, nf = 0, nj = 0;
    char *b = exact(s, &len);
    unsigned char(*f)[STORE_DIGEST_LEN] = NULL, (*j)[STORE_DIGEST_LEN] = NULL;
    char jwhy[ADMIN_WHY_MAX] = "";
    int err, jerr;

    assert_int_equal(admin_parse_missing_fast(b, len, max, &f, &nf) == 0, want_fast);
    jerr = admin_parse_missing_json(b, len, max, &j, &nj, jwhy, sizeof(jwhy));
    why[0] = '\0';
    *d = NULL;
    err = admin_parse_missing(b, len, max, d, n, why, ADMIN_WHY_MAX);
    assert_int_equal(err, jerr);
    if (err == ADMIN_BODY_OK) {
        assert_non_null(*d);
        assert_int_equal(*n, nj);
        if (nj > 0)
            assert_memory_equal(*d, j, nj * STORE_DIGEST_LEN);
        if (want_fast) {
            assert_int_equal(nf, nj);
            if (nf > 0)
                assert_memory_equal(f, j, nf * STORE_DIGEST_LEN);
        }
    } else {
        assert_string_equal(why, jwhy);
    }
    free(f);
    free(j);
    free(b);
    return err;
}

static void test_missing_fast(void **state)
{
    unsigned char(*d)[STORE_DIGEST_LEN];
    size_t n = 99;
    char why[ADMIN_WHY_MAX];

    (void)state;
    assert_int_equal(
        missing("{\"digests\":[\"" HE "\",\"" HA "\"]}", ADMIN_MISSING_MAX, 1, &d, &n, why),
        ADMIN_BODY_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(d[0], de, STORE_DIGEST_LEN);
    assert_memory_equal(d[1], da, STORE_DIGEST_LEN);
    free(d);
    assert_int_equal(missing("{\"digests\":[]}", ADMIN_MISSING_MAX, 1, &d, &n, why), ADMIN_BODY_OK);
    assert_int_equal(n, 0);
    free(d);
    /* upper-case hex is canonical enough: same digest either way */
    assert_int_equal(
        missing("{\"digests\":[\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA49599"
                "1B7852B855\"]}",
                ADMIN_MISSING_MAX, 1, &d, &n, why),
        ADMIN_BODY_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(d[0], de, STORE_DIGEST_LEN);
    free(d);
}

static void test_missing_fallback(void **state)
{
    unsigned char(*d)[STORE_DIGEST_LEN];
    size_t n = 0;
    char why[ADMIN_WHY_MAX];

    (void)state;
    /* whitespace, extra keys, escapes: jansson, same digests */
    assert_int_equal(
        missing("{ \"digests\" : [ \"" HE "\" ] }\n", ADMIN_MISSING_MAX, 0, &d, &n, why),
        ADMIN_BODY_OK);
    assert_int_equal(n, 1);
    assert_memory_equal(d[0], de, STORE_DIGEST_LEN);
    free(d);
    assert_int_equal(
        missing("{\"x\":1,\"digests\":[\"" HA "\"]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
        ADMIN_BODY_OK);
    assert_memory_equal(d[0], da, STORE_DIGEST_LEN);
    free(d);
    assert_int_equal(
        missing("{\"digests\":[\"" HA "\"],\"x\":1}", ADMIN_MISSING_MAX, 0, &d, &n, why),
        ADMIN_BODY_OK);
    free(d);
    assert_int_equal(
        missing("{\"digests\":[\"\\u0065" HE_TAIL "\"]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
        ADMIN_BODY_OK);
    assert_memory_equal(d[0], de, STORE_DIGEST_LEN);
    free(d);

    /* errors, with the answer's text */
    assert_int_equal(missing("{\"digests\":[\"" HE "\"]}x", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_string_equal(why, "body must be {\"digests\": [\"<hex>\", ...]}");
    assert_int_equal(missing("{\"digests\":[\"" HE "\",]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_int_equal(missing("{\"digests\":[],\"digests\":[]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_int_equal(missing("{\"digests\":{}}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_int_equal(missing("", ADMIN_MISSING_MAX, 0, &d, &n, why), ADMIN_BODY_EINVAL);
    assert_int_equal(
        missing("{\"digests\":[\"" HE "\",\"\xc3\xa9\"]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
        ADMIN_BODY_EINVAL);
    assert_string_equal(why, "digests[1] is not 64 hex digits");
    assert_int_equal(missing("{\"digests\":[\"" HE "\",1]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_string_equal(why, "digests[1] is not 64 hex digits");
    assert_int_equal(missing("{\"digests\":[\"abc\"]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    assert_string_equal(why, "digests[0] is not 64 hex digits");

    /* over the cap: 413 text, whichever path */
    assert_int_equal(missing("{\"digests\":[\"" HE "\",\"" HA "\",\"" HE "\"]}", 2, 0, &d, &n, why),
                     ADMIN_BODY_ETOOBIG);
    assert_string_equal(why, "at most 2 digests per request");
    assert_int_equal(missing("{\"digests\":[1,2,3,4]}", ADMIN_MISSING_MAX, 0, &d, &n, why),
                     ADMIN_BODY_EINVAL);
    {
        size_t len;
        char *b = exact("{\"digests\":[1,2]}", &len);

        assert_int_equal(admin_parse_missing(b, len, 1, &d, &n, why, sizeof(why)),
                         ADMIN_BODY_ETOOBIG);
        assert_string_equal(why, "at most 1 digests per request");
        free(b);
    }
}

/* Parses a release body s; checks fast/json agreement; returns the error and
 * leaves the result in *rel and the body copy in *bp (caller frees both). */
static int release(const char *s, int want_fast, struct admin_release *rel, char **bp, char *why)
{
    size_t len, nf = 0, i;
    char *b = exact(s, &len);
    struct store_file *f = NULL;
    struct admin_release j = {NULL, 0, NULL};
    char jwhy[ADMIN_WHY_MAX] = "";
    int err, jerr;

    assert_int_equal(admin_parse_release_fast(b, len, &f, &nf) == 0, want_fast);
    jerr = admin_parse_release_json(b, len, &j, jwhy, sizeof(jwhy));
    why[0] = '\0';
    memset(rel, 0, sizeof(*rel));
    err = admin_parse_release(b, len, rel, why, ADMIN_WHY_MAX);
    assert_int_equal(err, jerr);
    if (err == ADMIN_BODY_OK) {
        assert_non_null(rel->files);
        assert_int_equal(rel->n, j.n);
        if (want_fast) {
            assert_int_equal(nf, j.n);
            assert_null(rel->doc); /* strings point into the body */
        } else {
            assert_non_null(rel->doc);
        }
        for (i = 0; i < j.n; i++) {
            assert_int_equal(rel->files[i].path_len, j.files[i].path_len);
            assert_memory_equal(rel->files[i].path, j.files[i].path, j.files[i].path_len);
            assert_int_equal(rel->files[i].type_len, j.files[i].type_len);
            assert_memory_equal(rel->files[i].type, j.files[i].type, j.files[i].type_len);
            assert_memory_equal(rel->files[i].digest, j.files[i].digest, STORE_DIGEST_LEN);
            if (want_fast) {
                assert_memory_equal(f[i].path, j.files[i].path, j.files[i].path_len);
                assert_memory_equal(f[i].digest, j.files[i].digest, STORE_DIGEST_LEN);
                assert_true(rel->files[i].path > b && rel->files[i].path < b + len);
            }
        }
    } else {
        assert_string_equal(why, jwhy);
    }
    free(f);
    admin_release_free(&j);
    *bp = b;
    return err;
}

#define ENTRY(p, h, t) "{\"path\":\"" p "\",\"sha256\":\"" h "\",\"type\":\"" t "\"}"

static void test_release_fast(void **state)
{
    struct admin_release rel;
    char *b, why[ADMIN_WHY_MAX];

    (void)state;
    assert_int_equal(release("{\"files\":[" ENTRY("/a.css", HA, "text/css") "," ENTRY(
                                 "/index.html", HE, "text/html; charset=utf-8") "]}",
                             1, &rel, &b, why),
                     ADMIN_BODY_OK);
    assert_int_equal(rel.n, 2);
    assert_int_equal(rel.files[0].path_len, 6);
    assert_memory_equal(rel.files[0].path, "/a.css", 6);
    assert_memory_equal(rel.files[0].digest, da, STORE_DIGEST_LEN);
    assert_int_equal(rel.files[0].type_len, 8);
    assert_memory_equal(rel.files[0].type, "text/css", 8);
    assert_memory_equal(rel.files[1].digest, de, STORE_DIGEST_LEN);
    admin_release_free(&rel);
    assert_null(rel.files);
    admin_release_free(&rel); /* a zeroed struct is a no-op */
    admin_release_free(NULL);
    free(b);

    assert_int_equal(release("{\"files\":[]}", 1, &rel, &b, why), ADMIN_BODY_OK);
    assert_int_equal(rel.n, 0);
    admin_release_free(&rel);
    free(b);
    assert_int_equal(release("{\"files\":[" ENTRY("/u.css",
                                                  "CA978112CA1BBDCAFAC231B39A23DC4DA786EF"
                                                  "F8147C4E72B9807785AFEE48BB",
                                                  "text/css") "]}",
                             1, &rel, &b, why),
                     ADMIN_BODY_OK);
    assert_memory_equal(rel.files[0].digest, da, STORE_DIGEST_LEN);
    admin_release_free(&rel);
    free(b);
}

static void test_release_fallback(void **state)
{
    struct admin_release rel;
    char *b, why[ADMIN_WHY_MAX];

    (void)state;
    assert_int_equal(release("{ \"files\": [ {\"path\": \"/a.css\", \"sha256\": \"" HA
                             "\", \"type\": \"text/css\"} ] }\n",
                             0, &rel, &b, why),
                     ADMIN_BODY_OK);
    assert_int_equal(rel.n, 1);
    assert_memory_equal(rel.files[0].path, "/a.css", 6);
    admin_release_free(&rel);
    free(b);
    assert_int_equal(release("{\"files\":[{\"sha256\":\"" HA
                             "\",\"type\":\"text/css\",\"path\":\"/a.css\"}]}",
                             0, &rel, &b, why),
                     ADMIN_BODY_OK);
    assert_memory_equal(rel.files[0].path, "/a.css", 6);
    assert_memory_equal(rel.files[0].digest, da, STORE_DIGEST_LEN);
    admin_release_free(&rel);
    free(b);
    /* escapes are decoded by jansson; the path points into its document */
    assert_int_equal(
        release("{\"files\":[" ENTRY("\\/\\u0061.css", HA, "text\\/css") "]}", 0, &rel, &b, why),
        ADMIN_BODY_OK);
    assert_int_equal(rel.files[0].path_len, 6);
    assert_memory_equal(rel.files[0].path, "/a.css", 6);
    assert_int_equal(rel.files[0].type_len, 8);
    admin_release_free(&rel);
    free(b);
    /* non-ASCII: UTF-8 bytes as sent (store_publish judges the path) */
    assert_int_equal(
        release("{\"files\":[" ENTRY("/caf\xc3\xa9", HA, "text/html") "]}", 0, &rel, &b, why),
        ADMIN_BODY_OK);
    assert_int_equal(rel.files[0].path_len, 6);
    admin_release_free(&rel);
    free(b);
    assert_int_equal(
        release("{\"files\":[" ENTRY("/a", HA, "t") "],\"note\":null}", 0, &rel, &b, why),
        ADMIN_BODY_OK);
    admin_release_free(&rel);
    free(b);

    /* errors */
    assert_int_equal(release("{\"files\":[" ENTRY("/a", HA, "t") "]}garbage", 0, &rel, &b, why),
                     ADMIN_BODY_EINVAL);
    assert_string_equal(why, "body must be {\"files\": [{\"path\", \"sha256\", \"type\"}]}");
    free(b);
    assert_int_equal(release("[]", 0, &rel, &b, why), ADMIN_BODY_EINVAL);
    free(b);
    assert_int_equal(
        release("{\"files\":[" ENTRY("/a", HA, "t") ",{\"path\":\"/b\",\"sha256\":\"" HE "\"}]}", 0,
                &rel, &b, why),
        ADMIN_BODY_EINVAL);
    assert_string_equal(why, "files[1] needs string path, sha256 (64 hex) and type");
    free(b);
    assert_int_equal(release("{\"files\":[" ENTRY("/a", "00", "t") "]}", 0, &rel, &b, why),
                     ADMIN_BODY_EINVAL);
    assert_string_equal(why, "files[0] needs string path, sha256 (64 hex) and type");
    free(b);
    assert_int_equal(release("{\"files\":[{\"path\":\"/a\",\"path\":\"/b\",\"sha256\":\"" HA
                             "\",\"type\":\"t\"}]}",
                             0, &rel, &b, why),
                     ADMIN_BODY_EINVAL);
    free(b);
}

static void test_list_params(void **state)
{
    unsigned char d[STORE_DIGEST_LEN];
    char why[ADMIN_WHY_MAX];
    size_t limit = 0;
    int has = -1;

    (void)state;
    /* defaults: no after, no limit; an empty after is "from the start" */
    assert_int_equal(admin_parse_list_params(NULL, NULL, d, &has, &limit, why, sizeof(why)),
                     ADMIN_BODY_OK);
    assert_int_equal(has, 0);
    assert_int_equal(limit, ADMIN_LIST_LIMIT_DEF);
    assert_int_equal(admin_parse_list_params("", "1", d, &has, &limit, why, sizeof(why)),
                     ADMIN_BODY_OK);
    assert_int_equal(has, 0);
    assert_int_equal(limit, 1);
    assert_int_equal(admin_parse_list_params(HA, "10000", d, &has, &limit, why, sizeof(why)),
                     ADMIN_BODY_OK);
    assert_int_equal(has, 1);
    assert_memory_equal(d, da, STORE_DIGEST_LEN);
    assert_int_equal(limit, ADMIN_LIST_LIMIT_MAX);

    /* invalid limits */
    static const char *const bad_limits[] = {
        "0", "10001", "", "abc", "5x", "-1", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_limits) / sizeof(bad_limits[0]); i++) {
        why[0] = '\0';
        assert_int_equal(
            admin_parse_list_params(NULL, bad_limits[i], d, &has, &limit, why, sizeof(why)),
            ADMIN_BODY_EINVAL);
        assert_string_equal(why, "limit must be 1..10000");
    }
    /* after not 64 hex digits */
    static const char *const bad_after[] = {HE_TAIL, (HE "0"), ("g" HE_TAIL), "g"};
    for (size_t i = 0; i < sizeof(bad_after) / sizeof(bad_after[0]); i++) {
        why[0] = '\0';
        assert_int_equal(
            admin_parse_list_params(bad_after[i], "5", d, &has, &limit, why, sizeof(why)),
            ADMIN_BODY_EINVAL);
        assert_string_equal(why, "after must be 64 hex digits");
    }
    /* why may be NULL */
    assert_int_equal(admin_parse_list_params("x", NULL, d, &has, &limit, NULL, 0),
                     ADMIN_BODY_EINVAL);
}

/* Appends one bundle record (kind, digest, announced length, then n bytes of
 * data) to buf at *len. */
static void put_record(unsigned char *buf, size_t *len, unsigned kind,
                       const unsigned char digest[STORE_DIGEST_LEN], uint64_t announced,
                       const void *data, size_t n)
{
    int i;

    buf[(*len)++] = (unsigned char)kind;
    memcpy(buf + *len, digest, STORE_DIGEST_LEN);
    *len += STORE_DIGEST_LEN;
    for (i = 7; i >= 0; i--)
        buf[(*len)++] = (unsigned char)(announced >> (8 * i));
    memcpy(buf + *len, data, n);
    *len += n;
}

/* Frames a heap copy of buf[0..len) (so ASan catches a read past it);
 * returns the number of records before the end or the error, the error
 * (-1) or 0 in *last, and the reason in why. */
static size_t frame(const unsigned char *buf, size_t len, int *last, char *why)
{
    unsigned char *b = malloc(len > 0 ? len : 1);
    struct admin_bundle_record rec;
    size_t off = 0, n = 0;
    int got;

    assert_non_null(b);
    memcpy(b, buf, len);
    why[0] = '\0';
    while ((got = admin_bundle_next(b, len, &off, &rec, why, ADMIN_WHY_MAX)) > 0) {
        assert_int_equal(rec.index, n);
        assert_true(rec.data >= b && rec.data + rec.len <= b + len);
        n++;
    }
    *last = got;
    free(b);
    return n;
}

static void test_bundle(void **state)
{
    unsigned char buf[512] = {0};
    struct admin_bundle_record rec;
    char why[ADMIN_WHY_MAX];
    size_t len = 0, off = 0;
    int last;

    (void)state;
    /* zero records: an empty body */
    assert_int_equal(admin_bundle_next(buf, 0, &off, &rec, why, sizeof(why)), 0);
    assert_int_equal(frame(buf, 0, &last, why), 0);
    assert_int_equal(last, 0);

    /* two good records, read field by field */
    put_record(buf, &len, STORE_ENC_IDENTITY, da, 1, "a", 1);
    put_record(buf, &len, STORE_ENC_IDENTITY, de, 0, "", 0);
    off = 0;
    assert_int_equal(admin_bundle_next(buf, len, &off, &rec, why, sizeof(why)), 1);
    assert_int_equal(rec.kind, STORE_ENC_IDENTITY);
    assert_ptr_equal(rec.digest, buf + 1);
    assert_memory_equal(rec.digest, da, STORE_DIGEST_LEN);
    assert_ptr_equal(rec.data, buf + ADMIN_BUNDLE_HDR_LEN);
    assert_int_equal(rec.len, 1);
    assert_int_equal(rec.index, 0);
    assert_int_equal(off, ADMIN_BUNDLE_HDR_LEN + 1);
    assert_int_equal(admin_bundle_next(buf, len, &off, &rec, why, sizeof(why)), 1);
    assert_memory_equal(rec.digest, de, STORE_DIGEST_LEN);
    assert_int_equal(rec.len, 0);
    assert_int_equal(rec.index, 1);
    assert_int_equal(off, len);
    assert_int_equal(admin_bundle_next(buf, len, &off, &rec, why, sizeof(why)), 0);
    assert_int_equal(frame(buf, len, &last, why), 2);
    assert_int_equal(last, 0);

    /* truncated header: a lone byte, then a second record cut short */
    assert_int_equal(frame(buf, 1, &last, why), 0);
    assert_int_equal(last, -1);
    assert_string_equal(why, "record 0: truncated header at offset 0");
    assert_int_equal(frame(buf, ADMIN_BUNDLE_HDR_LEN + 1 + 10, &last, why), 1);
    assert_int_equal(last, -1);
    assert_string_equal(why, "record 1: truncated header at offset 42");

    /* length past the end: announced 2, 1 byte follows; and a huge length */
    len = 0;
    put_record(buf, &len, STORE_ENC_IDENTITY, da, 2, "a", 1);
    assert_int_equal(frame(buf, len, &last, why), 0);
    assert_int_equal(last, -1);
    assert_string_equal(why, "record 0: 2 bytes announced, body ends first");
    len = 0;
    put_record(buf, &len, STORE_ENC_IDENTITY, da, 1, "a", 1);
    put_record(buf, &len, STORE_ENC_GZIP, da, UINT64_MAX, "", 0);
    assert_int_equal(frame(buf, len, &last, why), 1);
    assert_int_equal(last, -1);
    assert_string_equal(why, "record 1: 18446744073709551615 bytes announced, body ends first");

    /* unknown kind (checked before the length) */
    len = 0;
    put_record(buf, &len, STORE_ENC_BR, da, 0, "", 0);
    put_record(buf, &len, STORE_ENC_COUNT, da, 1000, "", 0);
    assert_int_equal(frame(buf, len, &last, why), 1);
    assert_int_equal(last, -1);
    assert_string_equal(why, "record 1: unknown kind 4");

    /* on error *off stays at the bad record; why may be NULL */
    off = 0;
    assert_int_equal(admin_bundle_next(buf, len, &off, &rec, NULL, 0), 1);
    assert_int_equal(admin_bundle_next(buf, len, &off, &rec, NULL, 0), -1);
    assert_int_equal(off, ADMIN_BUNDLE_HDR_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_fast), cmocka_unit_test(test_missing_fallback),
        cmocka_unit_test(test_release_fast), cmocka_unit_test(test_release_fallback),
        cmocka_unit_test(test_list_params),  cmocka_unit_test(test_bundle),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
