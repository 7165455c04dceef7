/*
 * test_ingest.c - cmocka unit tests for the pure parts of origin-ingest
 * (tools/): published names, reserved paths (api_path_reserved), URL
 * encoding, the MIME table, the parsers of node answers, the manifest and
 * request bodies, the prune policy (prune.c) and the prune request and
 * answer (api/api_prune.c), and the util.c helpers.
 *
 * For: tools/ functions called directly, through the ingest_core library the
 * origin-ingest binary is built from.
 * Not for: walking, hashing or talking to nodes (tests/integration/ingest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "api.h"
#include "ingest.h"
#include "manifest.h"
#include "mime.h"
#include "naming.h"
#include "prune.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* Digest 01 02 03 ... 20: its first 16 hex digits are "0102030405060708". */
static void seq_digest(unsigned char d[STORE_DIGEST_LEN], unsigned char first)
{
    size_t i;

    for (i = 0; i < STORE_DIGEST_LEN; i++)
        d[i] = (unsigned char)(first + i);
}

#define H16 "0102030405060708"

static void sha256(const char *s, unsigned char out[STORE_DIGEST_LEN])
{
    unsigned int n = 0;

    assert_int_equal(EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(n, STORE_DIGEST_LEN);
}

/* ingest_name_path() must give exactly want (or refuse, want NULL). */
static void check_name(const char *prefix, const char *rel, int keep, const char *want)
{
    unsigned char d[STORE_DIGEST_LEN];
    char err[256] = "";
    char *got;

    seq_digest(d, 1);
    got = ingest_name_path(prefix, rel, d, keep, err, sizeof(err));
    if (want == NULL) {
        if (got != NULL)
            fail_msg("%s: expected a refusal, got %s", rel, got);
        assert_true(strlen(err) > 0);
        return;
    }
    if (got == NULL)
        fail_msg("%s: refused: %s", rel, err);
    assert_string_equal(got, want);
    {
        /* the inverse (origin-ingest manifest) gives rel back */
        char *back = ingest_name_source(prefix, got, d, keep, err, sizeof(err));

        if (back == NULL)
            fail_msg("%s: does not map back: %s", got, err);
        assert_string_equal(back, rel);
        free(back);
    }
    free(got);
}

/* ingest_name_source() must refuse path, with a reason naming it and what. */
static void check_source_refused(const char *prefix, const char *path, int keep, int seq,
                                 const char *why)
{
    unsigned char d[STORE_DIGEST_LEN];
    char err[512] = "";
    char *got;

    seq_digest(d, seq);
    got = ingest_name_source(prefix, path, d, keep, err, sizeof(err));
    if (got != NULL)
        fail_msg("%s: expected a refusal, got %s", path, got);
    if (strstr(err, path) == NULL || strstr(err, why) == NULL)
        fail_msg("%s: reason does not name it and %s: %s", path, why, err);
}

static void test_name_source(void **state)
{
    (void)state;
    /* a name that already holds its own hash: still exact both ways */
    check_name("", "a." H16, 0, "/a." H16 "." H16);
    check_name("", "x." H16 ".css", 0, "/x." H16 "." H16 ".css");
    check_name("/s", "d." H16 "/f", 0, "/s/d." H16 "/f." H16);
    /* not under the prefix */
    check_source_refused("/assets", "/static/app." H16 ".css", 0, 1, "--prefix");
    check_source_refused("/assets", "/assetsx/app." H16 ".css", 0, 1, "--prefix");
    check_source_refused("/assets", "/assets/", 1, 1, "--prefix");
    /* pushed with --keep-names, or the hash of other bytes */
    check_source_refused("", "/css/app.css", 0, 1, "--keep-names");
    check_source_refused("", "/app." H16 ".css", 0, 2, "--keep-names");
    check_source_refused("", "/." H16, 0, 1, "--keep-names");
}

static void test_walk_order(void **state)
{
    (void)state;
    assert_true(ingest_walk_order_cmp("a/b.txt", "a-c.txt") < 0);
    assert_true(ingest_walk_order_cmp("a-c.txt", "a/b.txt") > 0);
    assert_true(ingest_walk_order_cmp("a.css", "a.css.map") < 0);
    assert_true(ingest_walk_order_cmp("B", "a") < 0);
    assert_true(ingest_walk_order_cmp("x/y", "x/y") == 0);
    assert_true(ingest_walk_order_cmp("x/\xc3\xbc", "x/z") > 0);
}

static char *encode(const char *s, size_t len)
{
    struct buf b = {0};

    ingest_url_encode_path(&b, s, len);
    ingest_buf_add(&b, "", 0); /* "" for an empty input too */
    return b.data;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/origind-unit-ingest-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
}

/* Removes every file of tmpdir and tmpdir itself. Returns how many files. */
static size_t clean_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    size_t n = 0;
    char p[512];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
        assert_int_equal(unlink(p), 0);
        n++;
    }
    closedir(d);
    assert_int_equal(rmdir(tmpdir), 0);
    return n;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct buf b = {0};
    char chunk[4096];
    size_t n;

    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ingest_buf_add(&b, chunk, n);
    fclose(f);
    ingest_buf_add(&b, "", 0);
    return b.data;
}

/* ------------------------------------------------------------------ */
/* naming.c                                                             */

static void test_name_hash_before_last_extension(void **state)
{
    (void)state;
    check_name("", "app.css", 0, "/app." H16 ".css");
    check_name("", "app.min.js", 0, "/app.min." H16 ".js");
    check_name("", "dist.tar.gz", 0, "/dist.tar." H16 ".gz");
    check_name("", "a.b", 0, "/a." H16 ".b");
}

static void test_name_no_extension(void **state)
{
    (void)state;
    check_name("", "LICENSE", 0, "/LICENSE." H16);
    check_name("", "bin/run", 0, "/bin/run." H16);
    /* a dot in a directory name is not the file's extension */
    check_name("", "v1.2/readme", 0, "/v1.2/readme." H16);
    /* a trailing dot is no extension */
    check_name("", "odd.", 0, "/odd.." H16);
}

static void test_name_dotfiles(void **state)
{
    (void)state;
    check_name("", ".htaccess", 0, "/.htaccess." H16);
    check_name("", "conf/.env", 0, "/conf/.env." H16);
    check_name("", ".eslintrc.json", 0, "/.eslintrc." H16 ".json");
    check_name("", ".well-known/security.txt", 0, "/.well-known/security." H16 ".txt");
}

static void test_name_nested(void **state)
{
    (void)state;
    check_name("", "css/app.css", 0, "/css/app." H16 ".css");
    check_name("", "a/b/c/d/e.woff2", 0, "/a/b/c/d/e." H16 ".woff2");
    check_name("/assets", "img/logo.v2.png", 0, "/assets/img/logo.v2." H16 ".png");
}

static void test_name_keep_names(void **state)
{
    (void)state;
    check_name("", "css/app.css", 1, "/css/app.css");
    check_name("", "LICENSE", 1, "/LICENSE");
    check_name("", ".htaccess", 1, "/.htaccess");
    check_name("/assets", "css/app.css", 1, "/assets/css/app.css");
    /* still validated */
    check_name("", "a?b.css", 1, NULL);
    check_name("", "bad\xff.css", 1, NULL);
}

static void test_name_prefix(void **state)
{
    struct {
        const char *in, *want; /* want NULL: refused */
    } cases[] = {
        {"", ""},
        {"/", ""},
        {"//", ""},
        {"/assets", "/assets"},
        {"/assets/", "/assets"},
        {"/a/b/c", "/a/b/c"},
        {"/caf\xc3\xa9", "/caf\xc3\xa9"},
        {"assets", NULL},
        {"assets/", NULL},
        {"/a//b", NULL},
        {"/a/../b", NULL},
        {"/a?b", NULL},
        {"/a#b", NULL},
        {"/a\\b", NULL},
        {"/a\x01", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        char *got = ingest_name_prefix(cases[i].in, err, sizeof(err));

        if (cases[i].want == NULL) {
            if (got != NULL)
                fail_msg("prefix '%s' accepted as '%s'", cases[i].in, got);
            assert_true(strlen(err) > 0);
        } else {
            if (got == NULL)
                fail_msg("prefix '%s' refused: %s", cases[i].in, err);
            assert_string_equal(got, cases[i].want);
            free(got);
        }
    }
    /* the normalised prefixes give the expected paths */
    check_name("", "app.js", 0, "/app." H16 ".js");
    check_name("/assets", "app.js", 0, "/assets/app." H16 ".js");
}

static void test_name_spaces_and_utf8(void **state)
{
    (void)state;
    check_name("", "my file.css", 0, "/my file." H16 ".css");
    check_name("", "dir with space/x y", 0, "/dir with space/x y." H16);
    check_name("", "caf\xc3\xa9/na\xc3\xafve.js", 0, "/caf\xc3\xa9/na\xc3\xafve." H16 ".js");
    check_name("", "\xe6\x97\xa5\xe6\x9c\xac.txt", 0, "/\xe6\x97\xa5\xe6\x9c\xac." H16 ".txt");
    check_name("", "\xf0\x9f\x98\x80.png", 0, "/\xf0\x9f\x98\x80." H16 ".png");
    /* a UTF-8 extension is still an extension */
    check_name("", "a.\xc3\xa9", 0, "/a." H16 ".\xc3\xa9");
}

static void test_name_refusals(void **state)
{
    const char *bad[] = {
        "a\x01.css",         /* control character */
        "a\x1f.css",         /* control character */
        "a\x7f.css",         /* DEL */
        "tab\there.css",     /* control character */
        "new\nline.css",     /* control character */
        "a\\b.css",          /* backslash */
        "a?b.css",           /* query */
        "a#b.css",           /* fragment */
        "dir?/a.css",        /* in a directory name */
        "bad\xff.css",       /* not UTF-8 */
        "\xc0\xaf.css",      /* overlong '/' */
        "\xe0\x80\xaf.css",  /* overlong 3-byte */
        "\xed\xa0\x80.css",  /* surrogate */
        "\xe2\x82.css",      /* truncated sequence */
        "\xf4\x90\x80\x80x", /* above U+10FFFF */
        "\xc3",              /* truncated at the end */
        "a//b.css",          /* empty segment */
        "../b.css",          /* dot-dot segment */
    };
    char err[256];
    unsigned char d[STORE_DIGEST_LEN];
    size_t i;
    char *longname;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        check_name("", bad[i], 0, NULL);
        check_name("/assets", bad[i], 1, NULL);
    }
    /* err names the file */
    seq_digest(d, 1);
    assert_null(ingest_name_path("", "a?b.css", d, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "a?b.css"));
    assert_null(ingest_name_path("", "x\xff.css", d, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "UTF-8"));
    /* err may be NULL */
    assert_null(ingest_name_path("", "a#b", d, 0, NULL, 0));

    /* over STORE_PATH_MAX once the hash is in: refused; just under: fine */
    longname = malloc(STORE_PATH_MAX + 1);
    assert_non_null(longname);
    memset(longname, 'x', STORE_PATH_MAX);
    longname[STORE_PATH_MAX - 1 - 17] = '\0'; /* "/" + name + "." + 16 hex = max */
    {
        char *p = ingest_name_path("", longname, d, 0, err, sizeof(err));

        assert_non_null(p);
        assert_int_equal(strlen(p), STORE_PATH_MAX);
        free(p);
    }
    longname[STORE_PATH_MAX - 1 - 17] = 'x';
    longname[STORE_PATH_MAX - 17] = '\0';
    assert_null(ingest_name_path("", longname, d, 0, err, sizeof(err)));
    free(longname);
}

/* api_path_reserved (api/api.c): the one rule the server's publish (422)
 * and origin-ingest's push (exit 2) share. */
static int reserved(const char *p)
{
    return api_path_reserved(p, strlen(p));
}

static void test_path_reserved(void **state)
{
    static const char *const yes[] = {
        "/healthz",
        "/.well-known/origind/",
        "/.well-known/origind/release",
        "/.well-known/origind/a/b.css",
    };
    static const char *const no[] = {
        "",
        "/",
        "/healthz/",
        "/healthz/x",
        "/healthz.css",
        "/healthzz",
        "/healthy",
        "/HEALTHZ",
        "/assets/healthz",
        "healthz",
        "/.well-known/origind",
        "/.well-known/origindx/a",
        "/.well-known/Origind/release",
        "/.well-known/other/x",
        "/assets/.well-known/origind/release",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (reserved(yes[i]) != 1)
            fail_msg("not reserved: %s", yes[i]);
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (reserved(no[i]) != 0)
            fail_msg("reserved: %s", no[i]);
    }
    /* the length is what counts, not a NUL */
    assert_int_equal(api_path_reserved("/healthzXYZ", 8), 1);
    assert_int_equal(api_path_reserved("/healthz", 7), 0);
    assert_int_equal(api_path_reserved("/.well-known/origind/", 20), 0);
    assert_int_equal(api_path_reserved(NULL, 0), 0);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(ingest_utf8_valid("", 0));
    assert_true(ingest_utf8_valid("plain ascii", 11));
    assert_true(ingest_utf8_valid("a\0b", 3)); /* bounded by len, not NUL */
    assert_true(ingest_utf8_valid("\xc2\x80", 2));
    assert_true(ingest_utf8_valid("\xdf\xbf", 2));
    assert_true(ingest_utf8_valid("\xe0\xa0\x80", 3));
    assert_true(ingest_utf8_valid("\xef\xbf\xbf", 3));
    assert_true(ingest_utf8_valid("\xf0\x90\x80\x80", 4));
    assert_true(ingest_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_false(ingest_utf8_valid("\x80", 1));            /* lone continuation */
    assert_false(ingest_utf8_valid("\xc0\x80", 2));        /* overlong NUL */
    assert_false(ingest_utf8_valid("\xc1\xbf", 2));        /* overlong */
    assert_false(ingest_utf8_valid("\xe0\x9f\xbf", 3));    /* overlong */
    assert_false(ingest_utf8_valid("\xf0\x8f\xbf\xbf", 4));
    assert_false(ingest_utf8_valid("\xed\xbf\xbf", 3)); /* surrogate */
    assert_false(ingest_utf8_valid("\xf4\x90\x80\x80", 4));
    assert_false(ingest_utf8_valid("\xf5\x80\x80\x80", 4));
    assert_false(ingest_utf8_valid("\xfe", 1));
    assert_false(ingest_utf8_valid("\xc3\xa9", 1)); /* cut by len */
    assert_false(ingest_utf8_valid("\xe2\x82\xac", 2));
    assert_false(ingest_utf8_valid("\xc3(", 2)); /* bad continuation */
}

/* ------------------------------------------------------------------ */
/* URL encoding                                                         */

static void test_url_encode(void **state)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"/assets/app.0102.css", "/assets/app.0102.css"},
        {"/AZaz09-._~", "/AZaz09-._~"},
        {"/!$&'()*+,;=:@", "/!$&'()*+,;=:@"},
        {"/my file.css", "/my%20file.css"},
        {"/100%.txt", "/100%25.txt"},
        {"/caf\xc3\xa9", "/caf%C3%A9"},
        {"/\"<>[]{}|^`", "/%22%3C%3E%5B%5D%7B%7D%7C%5E%60"},
        {"/a?b#c\\d", "/a%3Fb%23c%5Cd"},
        {"/\x7f\x01\xff", "/%7F%01%FF"},
        {"", ""},
    };
    size_t i;
    char *got;
    struct buf b = {0};

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        got = encode(cases[i].in, strlen(cases[i].in));
        assert_string_equal(got, cases[i].want);
        free(got);
    }
    /* bounded by len: an embedded NUL is a byte like any other */
    got = encode("/a\0b", 4);
    assert_string_equal(got, "/a%00b");
    free(got);
    got = encode("/abc/def", 4);
    assert_string_equal(got, "/abc");
    free(got);
    /* appends */
    ingest_buf_add(&b, "https://cdn.example", 19);
    ingest_url_encode_path(&b, "/x y", 4);
    assert_string_equal(b.data, "https://cdn.example/x%20y");
    assert_int_equal(b.len, strlen(b.data));
    buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* mime.c                                                               */

static int is_text_type(const char *t)
{
    return strncmp(t, "text/", 5) == 0 || strstr(t, "json") != NULL || strstr(t, "xml") != NULL ||
           strstr(t, "javascript") != NULL;
}

static void test_mime_table(void **state)
{
    struct {
        const char *name, *want;
    } cases[] = {
        {"a.css", "text/css; charset=utf-8"},
        {"a.js", "text/javascript; charset=utf-8"},
        {"a.mjs", "text/javascript; charset=utf-8"},
        {"a.map", "application/json; charset=utf-8"},
        {"a.js.map", "application/json; charset=utf-8"},
        {"a.json", "application/json; charset=utf-8"},
        {"a.html", "text/html; charset=utf-8"},
        {"a.htm", "text/html; charset=utf-8"},
        {"a.txt", "text/plain; charset=utf-8"},
        {"a.xml", "application/xml; charset=utf-8"},
        {"a.svg", "image/svg+xml; charset=utf-8"},
        {"a.webmanifest", "application/manifest+json; charset=utf-8"},
        {"a.png", "image/png"},
        {"a.jpg", "image/jpeg"},
        {"a.jpeg", "image/jpeg"},
        {"a.gif", "image/gif"},
        {"a.webp", "image/webp"},
        {"a.avif", "image/avif"},
        {"a.ico", "image/vnd.microsoft.icon"},
        {"a.woff", "font/woff"},
        {"a.woff2", "font/woff2"},
        {"a.ttf", "font/ttf"},
        {"a.otf", "font/otf"},
        {"a.eot", "application/vnd.ms-fontobject"},
        {"a.wasm", "application/wasm"},
        {"a.mp4", "video/mp4"},
        {"a.webm", "video/webm"},
        {"a.mp3", "audio/mpeg"},
        {"a.pdf", "application/pdf"},
        {"a.zip", "application/zip"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *t = ingest_mime_type(cases[i].name, strlen(cases[i].name));

        if (strcmp(t, cases[i].want) != 0)
            fail_msg("%s: got '%s', want '%s'", cases[i].name, t, cases[i].want);
        /* charset=utf-8 on text types, and only there */
        assert_int_equal(strstr(t, "charset=utf-8") != NULL, is_text_type(t));
        /* and whatever is returned is a valid store type */
        assert_int_equal(store_type_valid(t, strlen(t)), STORE_OK);
    }
}

static void test_mime_unknown_and_edges(void **state)
{
    const char *octet[] = {
        "a.unknownext", "a.c",          "README", ".htaccess", "dir/.css", "file.", "", ".",
        "css/",         "dir.css/file", "a.cs",   "a.csss",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(octet) / sizeof(octet[0]); i++) {
        const char *t = ingest_mime_type(octet[i], strlen(octet[i]));

        if (strcmp(t, "application/octet-stream") != 0)
            fail_msg("'%s': got '%s'", octet[i], t);
    }
    /* case-insensitive */
    assert_string_equal(ingest_mime_type("APP.CSS", 7), "text/css; charset=utf-8");
    assert_string_equal(ingest_mime_type("x.WoFf2", 7), "font/woff2");
    assert_string_equal(ingest_mime_type("Photo.JPG", 9), "image/jpeg");
    /* a path: only the last segment's extension counts */
    assert_string_equal(ingest_mime_type("js.d/app.css", 12), "text/css; charset=utf-8");
    assert_string_equal(ingest_mime_type("a.css/b", 7), "application/octet-stream");
    /* bounded by len */
    assert_string_equal(ingest_mime_type("app.cssXYZ", 7), "text/css; charset=utf-8");
    assert_string_equal(ingest_mime_type("app.js", 5), "application/octet-stream");
    assert_string_equal(ingest_mime_type(NULL, 0), "application/octet-stream");
}

/* ------------------------------------------------------------------ */
/* answer.c                                                             */

#define HEXA "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define HEXB "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

struct collect {
    size_t n;
    unsigned char digests[4][STORE_DIGEST_LEN];
    size_t stop_at; /* return 7 on this call (1-based); 0 never */
};

static int collect_digest(void *arg, const unsigned char *digest)
{
    struct collect *c = arg;

    if (c->n < 4)
        memcpy(c->digests[c->n], digest, STORE_DIGEST_LEN);
    c->n++;
    return c->stop_at != 0 && c->n == c->stop_at ? 7 : 0;
}

static int missing(const char *body, struct collect *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    return api_answer_missing(body, body ? strlen(body) : 0, collect_digest, c, err, errlen);
}

static void test_answer_missing_good(void **state)
{
    struct collect c;
    unsigned char a[STORE_DIGEST_LEN], ff[STORE_DIGEST_LEN];
    char err[128] = "";

    (void)state;
    seq_digest(a, 1);
    memset(ff, 0xff, sizeof(ff));
    assert_int_equal(missing("{\"missing\": [\"" HEXA "\", \"" HEXB "\"]}", &c, err, 128), 0);
    assert_int_equal(c.n, 2);
    assert_memory_equal(c.digests[0], a, STORE_DIGEST_LEN);
    assert_memory_equal(c.digests[1], ff, STORE_DIGEST_LEN);

    assert_int_equal(missing("{\"missing\":[]}", &c, err, 128), 0);
    assert_int_equal(c.n, 0);
    /* extra members are ignored */
    assert_int_equal(missing("{\"x\":1,\"missing\":[\"" HEXA "\"],\"y\":{\"z\":[1]}}", &c, NULL, 0),
                     0);
    assert_int_equal(c.n, 1);
    /* the length bounds the body: what follows is not read */
    {
        const char *body = "{\"missing\":[]}garbage";

        memset(&c, 0, sizeof(c));
        assert_int_equal(api_answer_missing(body, 14, collect_digest, &c, NULL, 0), 0);
    }
}

static void test_answer_missing_bad(void **state)
{
    const char *bad[] = {
        "",
        "{",
        "{\"missing\": [\"" HEXA "\"",
        "{\"missing\": [\"" HEXA,
        "[]",
        "null",
        "\"missing\"",
        "{}",
        "{\"missing\": null}",
        "{\"missing\": {}}",
        "{\"missing\": \"" HEXA "\"}",
        "{\"missing\": [1]}",
        "{\"missing\": [null]}",
        "{\"missing\": [[\"" HEXA "\"]]}",
        "{\"missing\": [\"" HEXA "0\"]}", /* 65 */
        "{\"missing\": [\"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\"]}", /* 62
                                                                                                */
        "{\"missing\": [\"g102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\"]}",
        "{\"missing\": [\" 102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\"]}",
        "{\"missing\": [\"" HEXA "\"]} trailing",
        "\xff\xfe",
    };
    struct collect c;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (missing(bad[i], &c, err, sizeof(err)) != -1)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(missing(NULL, &c, err, sizeof(err)), -1);
    /* a bad entry after a good one: the good one was seen, the answer refused */
    assert_int_equal(missing("{\"missing\": [\"" HEXA "\", 5]}", &c, err, 128), -1);
    assert_int_equal(c.n, 1);
    /* err may be NULL / 0 */
    assert_int_equal(missing("{", &c, NULL, 0), -1);
    /* the callback stops the walk: its value comes back */
    memset(&c, 0, sizeof(c));
    c.stop_at = 1;
    assert_int_equal(api_answer_missing("{\"missing\":[\"" HEXA "\",\"" HEXB "\"]}",
                                        strlen("{\"missing\":[\"" HEXA "\",\"" HEXB "\"]}"),
                                        collect_digest, &c, err, sizeof(err)),
                     7);
    assert_int_equal(c.n, 1);
    assert_string_equal(err, "answer lists a digest that was not asked about");
}

static void test_answer_missing_huge(void **state)
{
    enum { N = 20000 };
    struct buf b = {0};
    struct collect c;
    size_t i;
    char first[STORE_HEX_LEN + 1];

    (void)state;
    ingest_buf_add(&b, "{\"missing\":[", 12);
    for (i = 0; i < N; i++)
        ingest_buf_addf(&b, "%s\"%064zx\"", i ? "," : "", i);
    ingest_buf_add(&b, "]}", 2);
    memset(&c, 0, sizeof(c));
    assert_int_equal(api_answer_missing(b.data, b.len, collect_digest, &c, NULL, 0), 0);
    assert_int_equal(c.n, N);
    assert_int_equal(api_answer_missing_count(b.data, b.len, first), N);
    assert_string_equal(first, "0000000000000000000000000000000000000000000000000000000000000000");
    /* the same, cut short anywhere: refused, nothing leaked */
    assert_int_equal(api_answer_missing(b.data, b.len - 1, collect_digest, &c, NULL, 0), -1);
    assert_int_equal(api_answer_missing(b.data, b.len / 2, collect_digest, &c, NULL, 0), -1);
    assert_int_equal(api_answer_missing_count(b.data, b.len - 1, first), 0);
    assert_string_equal(first, "");
    buf_free(&b);
}

struct conflicts {
    size_t n;
    size_t len[4]; /* strlen of each path */
    char path[4][64];
    char hex[4][STORE_HEX_LEN + 1]; /* "" for NULL */
};

static void collect_conflict(void *arg, const char *path, const char *hex)
{
    struct conflicts *c = arg;

    assert_non_null(path);
    if (c->n < 4) {
        c->len[c->n] = strlen(path);
        snprintf(c->path[c->n], sizeof(c->path[0]), "%s", path);
        snprintf(c->hex[c->n], sizeof(c->hex[0]), "%s", hex ? hex : "");
    }
    c->n++;
}

static size_t conflicts(const char *body, struct conflicts *c)
{
    memset(c, 0, sizeof(*c));
    return api_answer_conflicts(body, strlen(body), collect_conflict, c);
}

static void test_answer_conflicts(void **state)
{
    struct conflicts c;

    (void)state;
    assert_int_equal(conflicts("{\"error\":\"conflict\",\"conflicts\":["
                               "{\"path\":\"/a.css\",\"sha256\":\"" HEXA "\"},"
                               "{\"path\":\"/b.css\",\"extra\":true},"
                               "{\"path\":\"/c.css\",\"sha256\":5},"
                               "{\"path\":\"/d.css\",\"sha256\":\"abc\"}]}",
                               &c),
                     4);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.path[0], "/a.css");
    assert_string_equal(c.hex[0], HEXA);
    assert_string_equal(c.path[1], "/b.css");
    assert_string_equal(c.hex[1], ""); /* absent */
    assert_string_equal(c.hex[2], ""); /* wrong type */
    assert_string_equal(c.hex[3], ""); /* too short */

    /* 64 characters that are not hex digits are not a digest either */
    assert_int_equal(
        conflicts("{\"conflicts\":[{\"path\":\"/a\",\"sha256\":"
                  "\"\\u001b[31mzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                  "zzzz\"}]}",
                  &c),
        1);
    assert_string_equal(c.hex[0], "");

    /* a node's path reaches the terminal: control characters (C0, DEL, C1
     * as UTF-8) replaced, well-formed UTF-8 kept, cut to STORE_PATH_MAX */
    assert_int_equal(conflicts("{\"conflicts\":[{\"path\":\"/a\\u001b]0;pwned\\u0007b\\n\\r\"},"
                               "{\"path\":\"/\\u009b31m\\u007f\\u0085x\"},"
                               "{\"path\":\"/\u00e9t\u00e9/\u4e2d.css\"}]}",
                               &c),
                     3);
    assert_string_equal(c.path[0], "/a?]0;pwned?b??");
    assert_string_equal(c.path[1], "/??31m???x"); /* a '?' per byte */
    assert_string_equal(c.path[2], "/\u00e9t\u00e9/\u4e2d.css");
    {
        struct buf b = {0};
        size_t i;

        ingest_buf_add(&b, "{\"conflicts\":[{\"path\":\"/", 23);
        for (i = 0; i < 2 * STORE_PATH_MAX; i++)
            ingest_buf_add(&b, "x", 1);
        ingest_buf_add(&b, "\"}]}", 4);
        memset(&c, 0, sizeof(c));
        assert_int_equal(api_answer_conflicts(b.data, b.len, collect_conflict, &c), 1);
        assert_int_equal(c.len[0], STORE_PATH_MAX);
        buf_free(&b);
    }

    /* entries without a string path are skipped */
    assert_int_equal(conflicts("{\"conflicts\":[{\"sha256\":\"" HEXA "\"},{\"path\":7},3,null,"
                               "[\"/x\"],{\"path\":\"/ok\"}]}",
                               &c),
                     1);
    assert_string_equal(c.path[0], "/ok");

    /* malformed: none */
    assert_int_equal(conflicts("", &c), 0);
    assert_int_equal(conflicts("{\"conflicts\":[{\"path\":\"/a\"}", &c), 0);
    assert_int_equal(conflicts("{\"conflicts\":{}}", &c), 0);
    assert_int_equal(conflicts("{\"error\":\"conflict\"}", &c), 0);
    assert_int_equal(conflicts("[{\"path\":\"/a\"}]", &c), 0);
    assert_int_equal(conflicts("not json", &c), 0);
    assert_int_equal(c.n, 0);
    assert_int_equal(api_answer_conflicts(NULL, 0, collect_conflict, &c), 0);

    /* fn may be NULL: only counted */
    {
        const char *b = "{\"conflicts\":[{\"path\":\"/a\"},{\"path\":\"/b\"}]}";

        assert_int_equal(api_answer_conflicts(b, strlen(b), NULL, NULL), 2);
    }
}

static void test_answer_missing_count(void **state)
{
    char first[STORE_HEX_LEN + 1];
    const char *body;

    (void)state;
    body = "{\"error\":\"missing blobs\",\"missing\":[\"" HEXA "\",\"" HEXB "\"]}";
    memset(first, 'x', sizeof(first));
    assert_int_equal(api_answer_missing_count(body, strlen(body), first), 2);
    assert_string_equal(first, HEXA);
    assert_int_equal(api_answer_missing_count(body, strlen(body), NULL), 2);

    /* counted even if the first is not a digest; first is then empty */
    body = "{\"missing\":[5,\"" HEXA "\"]}";
    memset(first, 'x', sizeof(first));
    assert_int_equal(api_answer_missing_count(body, strlen(body), first), 2);
    assert_string_equal(first, "");
    body = "{\"missing\":[\"abc\"]}";
    assert_int_equal(api_answer_missing_count(body, strlen(body), first), 1);
    assert_string_equal(first, "");
    /* 64 characters, not hex: not copied (it is printed in an error line) */
    body =
        "{\"missing\":[\"\\u001b[2Jzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"]}";
    assert_int_equal(api_answer_missing_count(body, strlen(body), first), 1);
    assert_string_equal(first, "");

    body = "{\"missing\":[]}";
    assert_int_equal(api_answer_missing_count(body, strlen(body), first), 0);
    assert_string_equal(first, "");

    /* malformed: 0, first emptied */
    {
        const char *bad[] = {"",
                             "{",
                             "{\"missing\":",
                             "{\"missing\":5}",
                             "[\"" HEXA "\"]",
                             "{\"missing\":[\"" HEXA "\""};
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            memset(first, 'x', sizeof(first));
            assert_int_equal(api_answer_missing_count(bad[i], strlen(bad[i]), first), 0);
            assert_string_equal(first, "");
        }
    }
    assert_int_equal(api_answer_missing_count(NULL, 0, first), 0);
}

static const char *answer_error(const char *body, size_t len, char *out, size_t outlen)
{
    memset(out, 'x', outlen);
    api_answer_error(body, len, out, outlen);
    return out;
}

static void test_answer_error(void **state)
{
    char out[64];
    const char *b;

    (void)state;
    b = "{\"error\":\"path not valid\",\"detail\":1}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "path not valid");
    /* control characters in the message replaced */
    b = "{\"error\":\"a\\nb\\rc\\u001b[31md\\u007f\"}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "a?b?c?[31md?");
    /* jansson refuses \u0000 (no JSON_ALLOW_NUL): the body's first line, sanitised */
    b = "{\"error\":\"a\\u0000b\"}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), b);
    /* not JSON: the first line */
    b = "Bad Gateway\r\n<html>...";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "Bad Gateway");
    b = "line one\nline two";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "line one");
    b = "tab\there";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "tab?here");
    /* C1 controls (CSI as U+009B) and malformed UTF-8 too; good UTF-8 kept */
    b = "{\"error\":\"\\u009b2J\\u0085 \u00e9\u4e2d\"}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "??2J?? \u00e9\u4e2d");
    b = "raw \x9b"
        "2J \xff\xc3 \xc0\xaf \xed\xa0\x80 \xc3\xa9";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "raw ?2J ?? ?? ??? \u00e9");
    /* truncated without splitting a character */
    b = "a\u00e9";
    assert_string_equal(answer_error(b, strlen(b), out, 3), "a");
    assert_string_equal(answer_error(b, strlen(b), out, 4), "a\u00e9");
    /* JSON without a string "error": the body's first line too */
    b = "{\"message\":\"x\"}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "{\"message\":\"x\"}");
    b = "{\n  \"error\": 5\n}";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "{");
    b = "[\"error\"]\nmore";
    assert_string_equal(answer_error(b, strlen(b), out, sizeof(out)), "[\"error\"]");
    /* empty and NULL bodies */
    assert_string_equal(answer_error("", 0, out, sizeof(out)), "");
    assert_string_equal(answer_error(NULL, 0, out, sizeof(out)), "");
    /* bounded by len */
    assert_string_equal(answer_error("abcdef", 3, out, sizeof(out)), "abc");
    /* truncated to outlen, always NUL-terminated */
    b = "{\"error\":\"0123456789\"}";
    assert_string_equal(answer_error(b, strlen(b), out, 5), "0123");
    assert_string_equal(answer_error("0123456789", 10, out, 4), "012");
    assert_string_equal(answer_error("0123456789", 10, out, 1), "");
    /* outlen 0: nothing written */
    out[0] = 'Q';
    api_answer_error("abc", 3, out, 0);
    assert_int_equal(out[0], 'Q');
    /* ... and a parsed JSON body is not leaked (valgrind run) */
    b = "{\"error\":\"x\"}";
    api_answer_error(b, strlen(b), out, 0);
    assert_int_equal(out[0], 'Q');
}

static void test_answer_bundle(void **state)
{
    uint64_t created = 99, present = 99;
    const char *bad[] = {
        "",
        "{",
        "{\"created\": 1, \"present\": 2",
        "[1, 2]",
        "{}",
        "{\"created\": 1}",
        "{\"present\": 1}",
        "{\"created\": \"1\", \"present\": 2}",
        "{\"created\": 1, \"present\": null}",
        "{\"created\": 1.5, \"present\": 2}",
        "{\"created\": -1, \"present\": 2}",
        "{\"created\": 1, \"present\": -9223372036854775808}",
        "{\"created\": 18446744073709551615, \"present\": 0}",
        "{\"created\": true, \"present\": 0}",
    };
    size_t i;
    const char *b;

    (void)state;
    b = "{\"created\": 3, \"present\": 4}";
    assert_int_equal(api_answer_bundle(b, strlen(b), &created, &present), 0);
    assert_int_equal(created, 3);
    assert_int_equal(present, 4);
    b = "{\"present\": 0, \"extra\": [1,2,3], \"created\": 9223372036854775807}";
    assert_int_equal(api_answer_bundle(b, strlen(b), &created, &present), 0);
    assert_true(created == 9223372036854775807ull);
    assert_int_equal(present, 0);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        created = present = 77;
        if (api_answer_bundle(bad[i], strlen(bad[i]), &created, &present) != -1)
            fail_msg("accepted: %s", bad[i]);
        /* outputs written only on success */
        assert_int_equal(created, 77);
        assert_int_equal(present, 77);
    }
    assert_int_equal(api_answer_bundle(NULL, 0, &created, &present), -1);
}

/* api.c: the strict release decoder and the release digest */

static char *encode_two(size_t *len)
{
    unsigned char a[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];
    struct store_file f[2];

    seq_digest(a, 1);
    seq_digest(b, 2);
    memset(f, 0, sizeof(f));
    f[0].path = "/a.css";
    f[0].path_len = 6;
    memcpy(f[0].digest, a, STORE_DIGEST_LEN);
    f[0].type = "text/css";
    f[0].type_len = 8;
    f[0].published = 1700000000;
    f[1].path = "/caf\xc3\xa9";
    f[1].path_len = 6;
    memcpy(f[1].digest, b, STORE_DIGEST_LEN);
    f[1].type = "image/png";
    f[1].type_len = 9;
    f[1].published = 1700000001;
    return api_release_encode("r1", 2, 1700000002, f, 2, len);
}

/* body with the first occurrence of from replaced by to (caller frees) */
static char *replace(const char *body, const char *from, const char *to)
{
    const char *at = strstr(body, from);
    size_t n;
    char *out;

    assert_non_null(at);
    n = strlen(body) - strlen(from) + strlen(to);
    out = malloc(n + 1);
    assert_non_null(out);
    snprintf(out, n + 1, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
    return out;
}

static void test_answer_release(void **state)
{
    struct api_release r;
    unsigned char want[STORE_DIGEST_LEN];
    char why[API_WHY_MAX], hex[STORE_HEX_LEN + 1], *body, *bad;
    const char *const renames[][2] = {
        {"\"sha256\"", "\"sha\""},      {"\"published\"", "\"time\""},
        {"\"count\":2", "\"count\":3"}, {"\"type\":\"text/css\"", "\"type\":\"text/html\""},
        {"\"files\"", "\"file\""},      {"\"id\":\"r1\"", "\"id\":\"r2\""},
    };
    size_t len = 0, i;

    (void)state;
    body = encode_two(&len);
    assert_non_null(body);
    assert_int_equal(api_release_decode(body, len, "r1", &r, why, sizeof(why)), 0);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.id, "r1");
    assert_int_equal(r.created, 1700000002);
    assert_int_equal(r.files[1].published, 1700000001);
    assert_int_equal(r.files[1].path_len, 6);
    /* the documented canonical listing, hashed by hand */
    {
        char listing[512];
        char ha[STORE_HEX_LEN + 1], hb[STORE_HEX_LEN + 1];
        unsigned char a[STORE_DIGEST_LEN], b[STORE_DIGEST_LEN];

        seq_digest(a, 1);
        seq_digest(b, 2);
        store_digest_to_hex(a, ha);
        store_digest_to_hex(b, hb);
        snprintf(listing, sizeof(listing), "/a.css\t%s\ttext/css\n/caf\xc3\xa9\t%s\timage/png\n",
                 ha, hb);
        store_sha256(listing, strlen(listing), want);
        assert_memory_equal(r.digest, want, STORE_DIGEST_LEN);
    }
    api_release_free(&r);

    /* truncated, renamed, recounted, retyped: every one refused */
    for (i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
        bad = replace(body, renames[i][0], renames[i][1]);
        why[0] = '\0';
        if (api_release_decode(bad, strlen(bad), "r1", &r, why, sizeof(why)) != -1)
            fail_msg("accepted: %s", bad);
        assert_true(strlen(why) > 0);
        free(bad);
    }
    assert_int_equal(api_release_decode(body, len - 2, "r1", &r, why, sizeof(why)), -1);
    /* a wrong digest */
    store_digest_to_hex(want, hex);
    hex[0] = hex[0] == '0' ? '1' : '0';
    {
        char dig[STORE_HEX_LEN + 12];
        const char *at = strstr(body, "\"digest\":\"");

        assert_non_null(at);
        snprintf(dig, sizeof(dig), "%.*s", STORE_HEX_LEN + 10, at);
        bad = replace(body, dig, "\"digest\":\"");
        free(bad);
        bad = malloc(len + 1);
        memcpy(bad, body, len + 1);
        bad[(at - body) + 10] = bad[(at - body) + 10] == '0' ? '1' : '0';
        assert_int_equal(api_release_decode(bad, len, "r1", &r, why, sizeof(why)), -1);
        free(bad);
    }
    assert_int_equal(api_release_decode(NULL, 0, NULL, &r, why, sizeof(why)), -1);
    free(body);
}

/* ------------------------------------------------------------------ */
/* manifest.c                                                           */

static void test_sri_known_vector(void **state)
{
    unsigned char d[STORE_DIGEST_LEN];
    char sri[64], small[10];

    (void)state;
    /* SHA-256("abc") = ba7816bf 8f01cfea ..., base64 below */
    sha256("abc", d);
    ingest_sri(d, sri, sizeof(sri));
    assert_string_equal(sri, "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    /* SHA-256("") */
    sha256("", d);
    ingest_sri(d, sri, 52); /* the documented minimum */
    assert_string_equal(sri, "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    /* a short buffer truncates, NUL-terminated */
    ingest_sri(d, small, sizeof(small));
    assert_string_equal(small, "sha256-47");
}

/* A site of three files, as walk + hash + naming leave it. */
static void make_site(struct ingest_site *s)
{
    static const char *rels[] = {"css/app.css", "img/my logo.png", "caf\xc3\xa9/100%.txt"};
    static const char *bodies[] = {"abc", "png bytes", "abc"};
    size_t i;

    memset(s, 0, sizeof(*s));
    s->root_fd = -1;
    s->nfiles = s->cap = 3;
    s->files = ingest_xcalloc(3, sizeof(*s->files));
    for (i = 0; i < 3; i++) {
        struct ingest_file *f = &s->files[i];
        char err[256];

        f->rel = ingest_xstrdup(rels[i]);
        sha256(bodies[i], f->digest);
        f->size = strlen(bodies[i]);
        f->type = ingest_mime_type(f->rel, strlen(f->rel));
        f->path = ingest_name_path("/assets", f->rel, f->digest, 0, err, sizeof(err));
        assert_non_null(f->path);
    }
    assert_int_equal(ingest_site_index_blobs(s), 0);
}

static void test_manifest_flat(void **state)
{
    struct ingest_site s;
    char path[128], err[256] = "", *text;
    json_t *root;
    json_error_t je;
    struct stat st;
    const char *bases[] = {NULL, "", "https://cdn.example.com", "https://cdn.example.com/",
                           "https://cdn.example.com///"};
    size_t i;

    (void)state;
    make_site(&s);
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/manifest.json", tmpdir);
    for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        const char *pre = bases[i] && bases[i][0] ? "https://cdn.example.com" : "";
        char want[256];

        assert_int_equal(
            ingest_manifest_write(&s, path, INGEST_MANIFEST_FLAT, bases[i], err, sizeof(err)),
            INGEST_EXIT_OK);
        text = read_all(path);
        assert_true(strlen(text) > 0);
        assert_int_equal(text[strlen(text) - 1], '\n');
        root = json_loads(text, 0, &je);
        assert_non_null(root);
        assert_int_equal(json_object_size(root), 3);
        /* keys in walk order */
        assert_true(strstr(text, "\"css/app.css\"") < strstr(text, "\"img/my logo.png\""));
        assert_true(strstr(text, "\"img/my logo.png\"") < strstr(text, "\"caf\xc3\xa9/100%.txt\""));

        snprintf(want, sizeof(want), "%s/assets/css/app.ba7816bf8f01cfea.css", pre);
        assert_string_equal(json_string_value(json_object_get(root, "css/app.css")), want);
        snprintf(want, sizeof(want), "%s/assets/img/my%%20logo.%.16s.png", pre,
                 s.files[1].path + strlen("/assets/img/my logo."));
        assert_string_equal(json_string_value(json_object_get(root, "img/my logo.png")), want);
        snprintf(want, sizeof(want), "%s/assets/caf%%C3%%A9/100%%25.ba7816bf8f01cfea.txt", pre);
        assert_string_equal(json_string_value(json_object_get(root, "caf\xc3\xa9/100%.txt")), want);
        json_decref(root);
        free(text);
    }
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* nothing but the manifest left behind (no temporary files) */
    assert_int_equal(clean_tmpdir(), 1);
    ingest_site_free(&s);
}

static void test_manifest_full(void **state)
{
    struct ingest_site s;
    char path[128], err[256] = "", *text;
    json_t *root, *e;
    json_error_t je;
    size_t i;

    (void)state;
    make_site(&s);
    make_tmpdir();
    snprintf(path, sizeof(path), "%s/m.json", tmpdir);
    assert_int_equal(
        ingest_manifest_write(&s, path, INGEST_MANIFEST_FULL, "https://x.test/", err, sizeof(err)),
        INGEST_EXIT_OK);
    text = read_all(path);
    root = json_loads(text, 0, &je);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 3);

    e = json_object_get(root, "css/app.css");
    assert_true(json_is_object(e));
    assert_int_equal(json_object_size(e), 5);
    assert_string_equal(json_string_value(json_object_get(e, "url")),
                        "https://x.test/assets/css/app.ba7816bf8f01cfea.css");
    assert_string_equal(json_string_value(json_object_get(e, "sha256")),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(json_integer_value(json_object_get(e, "size")), 3);
    assert_string_equal(json_string_value(json_object_get(e, "type")), "text/css; charset=utf-8");
    assert_string_equal(json_string_value(json_object_get(e, "integrity")),
                        "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");

    for (i = 0; i < s.nfiles; i++) {
        char hex[STORE_HEX_LEN + 1], sri[64];

        e = json_object_get(root, s.files[i].rel);
        assert_non_null(e);
        store_digest_to_hex(s.files[i].digest, hex);
        ingest_sri(s.files[i].digest, sri, sizeof(sri));
        assert_string_equal(json_string_value(json_object_get(e, "sha256")), hex);
        assert_string_equal(json_string_value(json_object_get(e, "integrity")), sri);
        assert_int_equal(json_integer_value(json_object_get(e, "size")), s.files[i].size);
        assert_string_equal(json_string_value(json_object_get(e, "type")), s.files[i].type);
    }
    e = json_object_get(root, "img/my logo.png");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "image/png");
    json_decref(root);
    free(text);
    assert_int_equal(clean_tmpdir(), 1);
    ingest_site_free(&s);
}

static void test_manifest_errors_and_empty(void **state)
{
    struct ingest_site s, empty;
    char path[160], err[256] = "", *text;

    (void)state;
    make_site(&s);
    make_tmpdir();
    /* a directory that does not exist: local error, err says why */
    snprintf(path, sizeof(path), "%s/no/such/dir/m.json", tmpdir);
    assert_int_equal(ingest_manifest_write(&s, path, INGEST_MANIFEST_FLAT, NULL, err, sizeof(err)),
                     INGEST_EXIT_LOCAL);
    assert_non_null(strstr(err, "m.json"));
    /* the path is a directory: refused (outfile.c) before any temporary
     * file exists, so the directory is left empty */
    snprintf(path, sizeof(path), "%s/d", tmpdir);
    assert_int_equal(mkdir(path, 0755), 0);
    err[0] = '\0';
    assert_int_equal(ingest_manifest_write(&s, path, INGEST_MANIFEST_FULL, NULL, err, sizeof(err)),
                     INGEST_EXIT_USAGE);
    assert_non_null(strstr(err, "a directory"));
    assert_int_equal(rmdir(path), 0);
    /* an empty site: "{}" */
    memset(&empty, 0, sizeof(empty));
    snprintf(path, sizeof(path), "%s/empty.json", tmpdir);
    assert_int_equal(
        ingest_manifest_write(&empty, path, INGEST_MANIFEST_FLAT, NULL, err, sizeof(err)),
        INGEST_EXIT_OK);
    text = read_all(path);
    assert_string_equal(text, "{}\n");
    free(text);
    assert_int_equal(clean_tmpdir(), 1);
    ingest_site_free(&s);
}

static void test_json_requests(void **state)
{
    struct ingest_site s, empty;
    struct store_file *sf;
    unsigned char d[2][STORE_DIGEST_LEN];
    char *body;
    size_t len = 0, i;
    json_t *root, *files;
    json_error_t je;

    (void)state;
    make_site(&s);
    /* two blobs (two files share "abc"), sorted by digest */
    assert_int_equal(s.nblobs, 2);
    memcpy(d[0], s.blobs[0].digest, STORE_DIGEST_LEN);
    memcpy(d[1], s.blobs[1].digest, STORE_DIGEST_LEN);
    body = api_missing_request_encode(d, 2, &len);
    assert_int_equal(len, strlen(body));
    {
        char hex0[STORE_HEX_LEN + 1], hex1[STORE_HEX_LEN + 1], want[256];

        store_digest_to_hex(s.blobs[0].digest, hex0);
        store_digest_to_hex(s.blobs[1].digest, hex1);
        snprintf(want, sizeof(want), "{\"digests\":[\"%s\",\"%s\"]}", hex0, hex1);
        assert_string_equal(body, want);
    }
    root = json_loads(body, 0, &je);
    assert_non_null(root);
    json_decref(root);
    free(body);

    memset(&empty, 0, sizeof(empty));
    body = api_missing_request_encode(d, 0, &len);
    assert_string_equal(body, "{\"digests\":[]}");
    assert_int_equal(len, 14);
    free(body);

    sf = ingest_site_store_files(&s, (int64_t)time(NULL));
    body = api_release_request_encode(sf, s.nfiles, &len);
    free(sf);
    assert_int_equal(len, strlen(body));
    root = json_loadb(body, len, 0, &je);
    assert_non_null(root);
    files = json_object_get(root, "files");
    assert_int_equal(json_array_size(files), 3);
    for (i = 0; i < 3; i++) {
        json_t *f = json_array_get(files, i);
        char hex[STORE_HEX_LEN + 1];

        store_digest_to_hex(s.files[i].digest, hex);
        assert_int_equal(json_object_size(f), 4);
        assert_string_equal(json_string_value(json_object_get(f, "path")), s.files[i].path);
        assert_string_equal(json_string_value(json_object_get(f, "sha256")), hex);
        assert_string_equal(json_string_value(json_object_get(f, "type")), s.files[i].type);
        /* the first-publish stamp: the file's mtime, never in the future */
        assert_int_equal(json_integer_value(json_object_get(f, "published")),
                         ingest_file_published(&s.files[i], (int64_t)time(NULL)));
        assert_true(json_integer_value(json_object_get(f, "published")) >= 1);
    }
    json_decref(root);
    free(body);
    sf = ingest_site_store_files(&empty, (int64_t)time(NULL));
    body = api_release_request_encode(sf, 0, &len);
    free(sf);
    assert_string_equal(body, "{\"files\":[]}");
    free(body);
    ingest_site_free(&s);
}

/* ------------------------------------------------------------------ */
/* util.c                                                               */

static void test_buf(void **state)
{
    struct buf b = {0};
    char big[3000];
    size_t i;

    (void)state;
    /* adding nothing still gives a NUL-terminated string */
    ingest_buf_add(&b, NULL, 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    /* binary bytes, NUL kept, growth past the first capacity */
    ingest_buf_add(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    for (i = 0; i < 1000; i++)
        ingest_buf_add(&b, "0123456789", 10);
    assert_int_equal(b.len, 10003);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 10003 - 10, "0123456789", 10);
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    buf_free(&b); /* twice is fine */

    /* addf: short, and longer than its 512-byte scratch */
    ingest_buf_addf(&b, "%s=%d;", "x", 42);
    assert_string_equal(b.data, "x=42;");
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ingest_buf_addf(&b, "[%s]", big);
    assert_int_equal(b.len, 5 + 2 + sizeof(big) - 1);
    assert_int_equal(strlen(b.data), b.len);
    assert_int_equal(b.data[5], '[');
    assert_int_equal(b.data[b.len - 1], ']');
    assert_true(b.cap > b.len);
    ingest_buf_addf(&b, "%s", "!");
    assert_int_equal(b.data[b.len - 1], '!');
    assert_int_equal(strlen(b.data), b.len);
    buf_free(&b);
    /* addf on an empty buffer with exactly 511 and 512 characters */
    ingest_buf_addf(&b, "%.511s", big);
    assert_int_equal(b.len, 511);
    buf_free(&b);
    ingest_buf_addf(&b, "%.512s", big);
    assert_int_equal(b.len, 512);
    assert_int_equal(strlen(b.data), 512);
    buf_free(&b);
}

static void test_errf_and_alloc(void **state)
{
    char err[8];
    char *p;

    (void)state;
    ingest_errf(err, sizeof(err), "%s %d", "abc", 12345);
    assert_string_equal(err, "abc 123"); /* truncated */
    ingest_errf(NULL, 0, "%s", "nothing");
    err[0] = 'Q';
    ingest_errf(err, 0, "%s", "nothing");
    assert_int_equal(err[0], 'Q');

    p = ingest_xstrndup("abcdef", 3);
    assert_string_equal(p, "abc");
    free(p);
    p = ingest_xstrdup("");
    assert_string_equal(p, "");
    free(p);
    p = ingest_xmalloc(0);
    assert_non_null(p);
    p = ingest_xrealloc(p, 100);
    assert_non_null(p);
    free(p);
    p = ingest_xcalloc(0, 0);
    assert_non_null(p);
    free(p);
    p = ingest_xcalloc(4, 4);
    assert_memory_equal(p, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    free(p);
}

static void test_human_bytes(void **state)
{
    struct {
        uint64_t n;
        const char *want;
    } cases[] = {
        {0, "0 B"},
        {1, "1 B"},
        {999, "999 B"},
        {1000, "1.0 kB"},
        {1234, "1.2 kB"},
        {999949, "999.9 kB"},
        {999950, "1.0 MB"}, /* never "1000.0 kB" */
        {999999, "1.0 MB"},
        {1000000, "1.0 MB"},
        {1500000, "1.5 MB"},
        {999949999, "999.9 MB"},
        {999950000, "1.00 GB"}, /* never "1000.0 MB" */
        {1000000000, "1.00 GB"},
        {1234567890123ull, "1234.57 GB"},
        {UINT64_MAX, "18446744073.71 GB"},
    };
    char out[32], small[4];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ingest_human_bytes(cases[i].n, out, sizeof(out));

        assert_ptr_equal(got, out);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%llu: got '%s', want '%s'", (unsigned long long)cases[i].n, got,
                     cases[i].want);
    }
    assert_string_equal(ingest_human_bytes(123456, small, sizeof(small)), "123");
}

static void test_site_blobs(void **state)
{
    struct ingest_site s;
    unsigned char d1[STORE_DIGEST_LEN], d2[STORE_DIGEST_LEN], d3[STORE_DIGEST_LEN];
    size_t i;

    (void)state;
    memset(&s, 0, sizeof(s));
    s.files = ingest_xcalloc(4, sizeof(*s.files));
    s.nfiles = s.cap = 4;
    seq_digest(d1, 0x90); /* sorts last */
    seq_digest(d2, 0x10);
    seq_digest(d3, 0x50);
    memcpy(s.files[0].digest, d1, STORE_DIGEST_LEN);
    s.files[0].type = "image/png";
    s.files[0].size = 10;
    memcpy(s.files[1].digest, d2, STORE_DIGEST_LEN);
    s.files[1].type = "image/png";
    s.files[1].size = 20;
    memcpy(s.files[2].digest, d1, STORE_DIGEST_LEN);
    s.files[2].type = "text/css; charset=utf-8"; /* same bytes, compressible type */
    s.files[2].size = 10;
    memcpy(s.files[3].digest, d3, STORE_DIGEST_LEN);
    s.files[3].type = NULL;
    s.files[3].size = 30;
    for (i = 0; i < 4; i++)
        s.files[i].rel = ingest_xstrdup("x");

    assert_int_equal(ingest_site_index_blobs(&s), 0);
    assert_int_equal(s.nblobs, 3);
    assert_memory_equal(s.blobs[0].digest, d2, STORE_DIGEST_LEN);
    assert_memory_equal(s.blobs[1].digest, d3, STORE_DIGEST_LEN);
    assert_memory_equal(s.blobs[2].digest, d1, STORE_DIGEST_LEN);
    assert_int_equal(s.files[0].blob, 2);
    assert_int_equal(s.files[1].blob, 0);
    assert_int_equal(s.files[2].blob, 2);
    assert_int_equal(s.files[3].blob, 1);
    assert_int_equal(s.blobs[2].file, 0); /* the first file holding it */
    assert_int_equal(s.blobs[2].size, 10);
    assert_int_equal(s.blobs[2].compressible, 1);
    assert_int_equal(s.blobs[0].compressible, 0);
    assert_int_equal(s.blobs[1].compressible, 0);

    assert_int_equal(ingest_site_find_blob(&s, d1), 2);
    assert_int_equal(ingest_site_find_blob(&s, d2), 0);
    assert_int_equal(ingest_site_find_blob(&s, d3), 1);
    seq_digest(d3, 0x51);
    assert_true(ingest_site_find_blob(&s, d3) == (size_t)-1);
    memset(d3, 0, sizeof(d3));
    assert_true(ingest_site_find_blob(&s, d3) == (size_t)-1);
    memset(d3, 0xff, sizeof(d3));
    assert_true(ingest_site_find_blob(&s, d3) == (size_t)-1);

    /* re-indexing replaces the old index */
    assert_int_equal(ingest_site_index_blobs(&s), 0);
    assert_int_equal(s.nblobs, 3);

    /* variants are owned and freed by the site */
    s.blobs[0].var[STORE_ENC_GZIP].data = ingest_xmalloc(8);
    s.blobs[0].var[STORE_ENC_GZIP].len = 8;
    ingest_site_free(&s);
    assert_int_equal(s.nfiles, 0);
    assert_null(s.files);
    assert_null(s.blobs);
    assert_int_equal(s.root_fd, -1);

    /* an empty site */
    memset(&s, 0, sizeof(s));
    assert_int_equal(ingest_site_index_blobs(&s), 0);
    assert_int_equal(s.nblobs, 0);
    assert_true(ingest_site_find_blob(&s, d1) == (size_t)-1);
    ingest_site_free(&s);
}

/* ------------------------------------------------------------------ */
/* prune: the policy (prune.c)                                          */

static void test_prune_duration(void **state)
{
    (void)state;
    assert_int_equal(ingest_prune_duration("90d"), 90 * 86400);
    assert_int_equal(ingest_prune_duration("12h"), 12 * 3600);
    assert_int_equal(ingest_prune_duration("30m"), 1800);
    assert_int_equal(ingest_prune_duration("45s"), 45);
    assert_int_equal(ingest_prune_duration("0s"), 0);
    assert_int_equal(ingest_prune_duration("90"), -1);
    assert_int_equal(ingest_prune_duration("d"), -1);
    assert_int_equal(ingest_prune_duration("-1d"), -1);
    assert_int_equal(ingest_prune_duration(" 1d"), -1);
    assert_int_equal(ingest_prune_duration("1w"), -1);
    assert_int_equal(ingest_prune_duration("1dd"), -1);
    assert_int_equal(ingest_prune_duration("999999999999999999d"), -1);
}

static void test_prune_policy_empty(void **state)
{
    const char *keep[] = {"r1"};
    struct ingest_prune_policy p = {0, -1, NULL, 0, 0};

    (void)state;
    assert_int_equal(ingest_prune_policy_empty(&p), 1); /* nothing given */
    p.keep_last = 1;
    assert_int_equal(ingest_prune_policy_empty(&p), 0);
    p.keep_last = 0; /* --keep-last 0 alone keeps nothing */
    assert_int_equal(ingest_prune_policy_empty(&p), 1);
    p.newer_than = 0;
    assert_int_equal(ingest_prune_policy_empty(&p), 0);
    p.newer_than = -1;
    p.keep = keep;
    p.nkeep = 1;
    assert_int_equal(ingest_prune_policy_empty(&p), 0);
}

static int prune_kept(const struct ingest_prune_rel *rels, size_t n, const char *id)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(rels[i].id, id) == 0)
            return rels[i].keep;
    fail_msg("%s not in the union", id);
    return -1;
}

static struct store_promotion promoted(uint64_t gen, int64_t at, const char *rel, const char *floor)
{
    struct store_promotion x;

    memset(&x, 0, sizeof(x));
    x.generation = gen;
    x.promoted_at = at;
    snprintf(x.release, sizeof(x.release), "%s", rel);
    snprintf(x.floor, sizeof(x.floor), "%s", floor);
    return x;
}

/* --keep-promoted: the last N distinct promoted releases, everything pushed
 * after the newest promotion, and always the live release and its floor. */
static void test_prune_decide_promoted(void **state)
{
    struct ingest_prune_rel *rels = NULL;
    struct ingest_prune_policy p = {0, -1, NULL, 0, 0};
    struct store_promotion hist[4];
    size_t n = 0, i;
    const char *ids[] = {"r1", "r2", "r3", "s4", "s5", "s6", "r7", "s8"};

    (void)state;
    for (i = 0; i < 8; i++)
        assert_int_equal(ingest_prune_merge(&rels, &n, ids[i], 100 * (int64_t)(i + 1)), 0);
    /* promoted r1, r2, r3 and r7 (r3 twice), newest first; r7 at 750 with floor r3 */
    hist[0] = promoted(5, 750, "r7", "r3");
    hist[1] = promoted(4, 450, "r3", "");
    hist[2] = promoted(3, 350, "r2", "");
    hist[3] = promoted(2, 340, "r3", "");
    p.keep_last = 1; /* s8, the newest */
    ingest_prune_decide(rels, n, &p, 1000);
    /* without --keep-promoted: only keep-last, the live release and the floor */
    assert_int_equal(ingest_prune_decide_promoted(rels, n, &p, hist, 4), 3);
    assert_int_equal(prune_kept(rels, n, "s8"), 1);
    assert_int_equal(prune_kept(rels, n, "r7"), 1);
    assert_int_equal(prune_kept(rels, n, "r3"), 1);
    assert_int_equal(prune_kept(rels, n, "s6"), 0);
    for (i = 0; i < n; i++)
        if (strcmp(rels[i].id, "r3") == 0)
            assert_int_equal(rels[i].why, INGEST_KEEP_FLOOR);
    /* --keep-promoted 3: r7, r3, r2 (r3 counted once) and all pushed after r7 */
    p.keep_promoted = 3;
    ingest_prune_decide(rels, n, &p, 1000);
    assert_int_equal(ingest_prune_decide_promoted(rels, n, &p, hist, 4), 4);
    assert_int_equal(prune_kept(rels, n, "r2"), 1);
    assert_int_equal(prune_kept(rels, n, "r1"), 0);
    assert_int_equal(prune_kept(rels, n, "s4"), 0); /* staging builds never promoted */
    assert_int_equal(prune_kept(rels, n, "s6"), 0);
    for (i = 0; i < n; i++)
        if (strcmp(rels[i].id, "s8") == 0)
            assert_int_equal(rels[i].why, INGEST_KEEP_LAST | INGEST_KEEP_AFTER);
    /* no promotion anywhere: nothing added */
    ingest_prune_decide(rels, n, &p, 1000);
    assert_int_equal(ingest_prune_decide_promoted(rels, n, &p, hist, 0), 1);
    assert_string_equal(ingest_keep_why_name(6), "floor");
    free(rels);
}

static void test_prune_decide(void **state)
{
    const int64_t now = 1000000;
    const char *keep[] = {"old", "not-on-any-node"};
    struct ingest_prune_rel *rels = NULL;
    struct ingest_prune_policy p = {0, -1, NULL, 0, 0};
    size_t n = 0;

    (void)state;
    /* two nodes' lists: "mid" on both (the earliest time counts), the
     * others on one each */
    assert_int_equal(ingest_prune_merge(&rels, &n, "old", now - 10 * 86400), 0);
    assert_int_equal(ingest_prune_merge(&rels, &n, "mid", now - 3 * 86400), 0);
    assert_int_equal(ingest_prune_merge(&rels, &n, "new", now - 60), 0);
    assert_int_equal(ingest_prune_merge(&rels, &n, "mid", now - 5 * 86400), 0);
    assert_int_equal(ingest_prune_merge(&rels, &n, "mid", now - 4 * 86400), 0);
    assert_int_equal(ingest_prune_merge(&rels, &n, "newest", now - 1), 0);
    assert_int_equal(n, 4);

    /* keep-last alone: the N newest of the union */
    p.keep_last = 2;
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 2);
    assert_string_equal(rels[0].id, "newest");
    assert_string_equal(rels[1].id, "new");
    assert_string_equal(rels[2].id, "mid");
    assert_int_equal(rels[2].created, now - 5 * 86400);
    assert_int_equal(prune_kept(rels, n, "newest"), 1);
    assert_int_equal(prune_kept(rels, n, "new"), 1);
    assert_int_equal(prune_kept(rels, n, "mid"), 0);
    assert_int_equal(prune_kept(rels, n, "old"), 0);

    /* newer-than alone: strictly within the window */
    p.keep_last = 0;
    p.newer_than = 5 * 86400; /* "mid" is exactly 5 days old: goes */
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 2);
    assert_int_equal(prune_kept(rels, n, "mid"), 0);
    p.newer_than = 5 * 86400 + 1;
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 3);
    assert_int_equal(prune_kept(rels, n, "mid"), 1);

    /* the union: keep-last 1 + newer-than 1 day + --keep old */
    p.keep_last = 1;
    p.newer_than = 86400;
    p.keep = keep;
    p.nkeep = 2;
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 3);
    assert_int_equal(prune_kept(rels, n, "newest"), 1);
    assert_int_equal(prune_kept(rels, n, "new"), 1);
    assert_int_equal(prune_kept(rels, n, "mid"), 0);
    assert_int_equal(prune_kept(rels, n, "old"), 1);

    /* a policy that keeps none of the nodes' releases: 0 kept (refused by the run) */
    p.keep_last = 0;
    p.newer_than = -1;
    p.keep = keep + 1;
    p.nkeep = 1;
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 0);

    /* keep-last larger than the union keeps all */
    p.keep_last = 100;
    assert_int_equal(ingest_prune_decide(rels, n, &p, now), 4);
    free(rels);
}

/* ------------------------------------------------------------------ */
/* prune: the request and answer (api/api_prune.c)                      */

static void test_tombstone_page(void **state)
{
    struct api_list *l = api_list_begin("tombstones");
    struct api_tombstone_page pg;
    char why[API_WHY_MAX], *text;
    size_t len = 0;

    (void)state;
    assert_non_null(l);
    assert_int_equal(api_tombstone_list_add(l, "r1", 2, 1700000000), 0);
    assert_int_equal(api_tombstone_list_add(l, "r2", 2, 1700000001), 0);
    text = api_tombstone_list_end(l, 1, &len);
    assert_string_equal(text, "{\"tombstones\":[{\"id\":\"r1\",\"pruned\":1700000000},"
                              "{\"id\":\"r2\",\"pruned\":1700000001}],\"next\":\"r2\"}");
    assert_int_equal(len, strlen(text));
    assert_int_equal(api_tombstone_page_decode(text, len, &pg, why, sizeof(why)), 0);
    assert_int_equal(pg.n, 2);
    assert_memory_equal(pg.ids[1].id, "r2", 2);
    assert_string_equal(pg.next, "r2");
    api_tombstone_page_free(&pg);
    free(text);
    /* the last page; an entry without a valid id is skipped */
    l = api_list_begin("tombstones");
    text = api_tombstone_list_end(l, 0, &len);
    assert_string_equal(text, "{\"tombstones\":[],\"next\":null}");
    free(text);
    text = "{\"tombstones\":[{\"id\":\"a/b\"},{\"id\":\"ok\"}],\"next\":7}";
    assert_int_equal(api_tombstone_page_decode(text, strlen(text), &pg, why, sizeof(why)), 0);
    assert_int_equal(pg.n, 1);
    assert_string_equal(pg.next, "");
    api_tombstone_page_free(&pg);
    assert_int_equal(api_tombstone_page_decode("{}", 2, &pg, why, sizeof(why)), -1);
    assert_int_equal(api_tombstone_page_decode("[", 1, &pg, why, sizeof(why)), -1);
}

static void test_prune_request(void **state)
{
    const char *ids[] = {"r1", "r-2.x"};
    const char *bad_id[] = {"no/slash"};
    struct api_prune_request rq;
    char why[API_WHY_MAX], *text, big[64];
    size_t len, i;
    json_t *arr;

    (void)state;
    text = api_prune_request_encode(ids, 2, 1, &len);
    assert_non_null(text);
    assert_string_equal(text, "{\"prune\":[\"r1\",\"r-2.x\"],\"dry_run\":true}");
    assert_int_equal(len, strlen(text));
    assert_int_equal(api_prune_request_decode(text, len, &rq, why, sizeof(why)), 0);
    assert_int_equal(rq.n, 2);
    assert_int_equal(rq.dry_run, 1);
    assert_int_equal(rq.ids[1].len, 5);
    assert_memory_equal(rq.ids[1].id, "r-2.x", 5);
    api_prune_request_free(&rq);
    api_prune_request_free(&rq); /* zeroed: a no-op */
    free(text);
    assert_null(api_prune_request_encode(bad_id, 1, 0, &len));

    assert_int_equal(api_prune_request_decode("{\"prune\":[]}", 12, &rq, why, sizeof(why)), 0);
    assert_int_equal(rq.n, 0);
    assert_int_equal(rq.dry_run, 0);
    api_prune_request_free(&rq);
#define BAD(body)                                                                                  \
    assert_int_equal(api_prune_request_decode(body, strlen(body), &rq, why, sizeof(why)), -1)
    BAD("");
    BAD("[]");
    BAD("{}");
    BAD("{\"prune\":\"r1\"}");
    BAD("{\"prune\":[\"r1\"],\"dry_run\":1}");
    BAD("{\"prune\":[\"r1\"],\"extra\":true}");
    BAD("{\"prune\":[\"r1\"],\"prune\":[\"r2\"]}");
    BAD("{\"prune\":[\"bad id\"]}");
    BAD("{\"prune\":[7]}");
#undef BAD
    assert_non_null(strstr(why, "valid release id"));
    arr = json_array();
    for (i = 0; i <= API_PRUNE_MAX; i++) {
        snprintf(big, sizeof(big), "r%zu", i);
        json_array_append_new(arr, json_string(big));
    }
    {
        json_t *doc = json_pack("{s:o}", "prune", arr);

        text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
    }
    assert_int_equal(api_prune_request_decode(text, strlen(text), &rq, why, sizeof(why)), -2);
    assert_string_equal(why, "too many release ids in one prune");
    free(text);
}

static void test_prune_answer(void **state)
{
    struct api_prune_entry e[2] = {{"r1", STORE_PRUNE_PRUNED, 3, 2, 500},
                                   {"gone", STORE_PRUNE_ABSENT, 0, 0, 0}};
    struct api_prune_answer a, got;
    char why[API_WHY_MAX], *text;
    size_t len;

    (void)state;
    memset(&a, 0, sizeof(a));
    a.dry_run = 0;
    a.releases = e;
    a.n = 2;
    a.tot.pruned = 1;
    a.tot.absent = 1;
    a.tot.blobs = 3;
    a.tot.variants = 2;
    a.tot.bytes = 500;
    a.tot.paths_gone = 4;
    text = api_prune_answer_encode(&a, &len);
    assert_non_null(text);
    assert_string_equal(text,
                        "{\"dry_run\":false,\"releases\":[{\"id\":\"r1\",\"state\":\"pruned\","
                        "\"blobs\":3,\"variants\":2,\"bytes\":500},{\"id\":\"gone\","
                        "\"state\":\"absent\",\"blobs\":0,\"variants\":0,\"bytes\":0}],"
                        "\"pruned\":1,\"already\":0,\"absent\":1,\"blobs\":3,\"variants\":2,"
                        "\"bytes\":500,\"paths_gone\":4}");
    assert_int_equal(api_prune_answer_decode(text, len, &got, why, sizeof(why)), 0);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.releases[0].id, "r1");
    assert_int_equal(got.releases[0].state, STORE_PRUNE_PRUNED);
    assert_int_equal(got.releases[0].bytes, 500);
    assert_int_equal(got.releases[1].state, STORE_PRUNE_ABSENT);
    assert_int_equal(got.tot.paths_gone, 4);
    assert_int_equal(got.dry_run, 0);
    api_prune_answer_free(&got);
    free(text);
    e[1].state = 7; /* unknown state: not encoded */
    assert_null(api_prune_answer_encode(&a, &len));
#define BAD(body)                                                                                  \
    assert_int_equal(api_prune_answer_decode(body, strlen(body), &got, why, sizeof(why)), -1)
    BAD("{}");
    BAD("{\"dry_run\":true,\"releases\":[],\"pruned\":0,\"already\":0,\"absent\":0,"
        "\"blobs\":0,\"variants\":0,\"bytes\":0}"); /* no paths_gone */
    BAD("{\"dry_run\":true,\"releases\":[],\"pruned\":-1,\"already\":0,\"absent\":0,"
        "\"blobs\":0,\"variants\":0,\"bytes\":0,\"paths_gone\":0}");
    BAD("{\"dry_run\":true,\"releases\":[{\"id\":\"r1\",\"state\":\"eaten\",\"blobs\":0,"
        "\"variants\":0,\"bytes\":0}],\"pruned\":1,\"already\":0,\"absent\":0,"
        "\"blobs\":0,\"variants\":0,\"bytes\":0,\"paths_gone\":0}");
    BAD("{\"dry_run\":true,\"releases\":[{\"id\":\"r 1\",\"state\":\"pruned\",\"blobs\":0,"
        "\"variants\":0,\"bytes\":0}],\"pruned\":1,\"already\":0,\"absent\":0,"
        "\"blobs\":0,\"variants\":0,\"bytes\":0,\"paths_gone\":0}");
    /* the totals must match the entries */
    BAD("{\"dry_run\":true,\"releases\":[{\"id\":\"r1\",\"state\":\"pruned\",\"blobs\":0,"
        "\"variants\":0,\"bytes\":0}],\"pruned\":0,\"already\":1,\"absent\":0,"
        "\"blobs\":0,\"variants\":0,\"bytes\":0,\"paths_gone\":0}");
#undef BAD
    assert_non_null(strstr(why, "totals"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_hash_before_last_extension),
        cmocka_unit_test(test_name_no_extension),
        cmocka_unit_test(test_name_dotfiles),
        cmocka_unit_test(test_name_nested),
        cmocka_unit_test(test_name_keep_names),
        cmocka_unit_test(test_name_prefix),
        cmocka_unit_test(test_name_spaces_and_utf8),
        cmocka_unit_test(test_name_refusals),
        cmocka_unit_test(test_name_source),
        cmocka_unit_test(test_walk_order),
        cmocka_unit_test(test_path_reserved),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_mime_table),
        cmocka_unit_test(test_mime_unknown_and_edges),
        cmocka_unit_test(test_answer_missing_good),
        cmocka_unit_test(test_answer_missing_bad),
        cmocka_unit_test(test_answer_missing_huge),
        cmocka_unit_test(test_answer_conflicts),
        cmocka_unit_test(test_answer_missing_count),
        cmocka_unit_test(test_answer_error),
        cmocka_unit_test(test_answer_bundle),
        cmocka_unit_test(test_answer_release),
        cmocka_unit_test(test_sri_known_vector),
        cmocka_unit_test(test_manifest_flat),
        cmocka_unit_test(test_manifest_full),
        cmocka_unit_test(test_manifest_errors_and_empty),
        cmocka_unit_test(test_json_requests),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_errf_and_alloc),
        cmocka_unit_test(test_human_bytes),
        cmocka_unit_test(test_site_blobs),
        cmocka_unit_test(test_prune_duration),
        cmocka_unit_test(test_prune_policy_empty),
        cmocka_unit_test(test_prune_decide),
        cmocka_unit_test(test_prune_decide_promoted),
        cmocka_unit_test(test_prune_request),
        cmocka_unit_test(test_tombstone_page),
        cmocka_unit_test(test_prune_answer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
