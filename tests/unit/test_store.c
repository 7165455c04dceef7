/*
 * test_store.c - cmocka unit tests for store/: every operation of store.h and
 * every refusal it documents, plus map full, fault injection, backup,
 * corruption detection and one writer with several readers.
 *
 * For: the store library on its own, on temporary directories under /tmp.
 * Not for: HTTP behaviour (tests/integration) or kill -9 (tests/crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <brotli/encode.h>
#include <zstd.h>
#include <lmdb.h>
#include <zlib.h>

#include "store.h"
#include "store_internal.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

struct fx {
    char dir[64];
    struct store *st;
};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_tmpdir(char out[64])
{
    snprintf(out, 64, "/tmp/origind-unit-XXXXXX");
    assert_non_null(mkdtemp(out));
}

/* A store in dir/s, opened with opt. */
static int open_fx(void **state, const struct store_options *opt)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    char sdir[128];

    assert_non_null(fx);
    make_tmpdir(fx->dir);
    snprintf(sdir, sizeof(sdir), "%s/s", fx->dir);
    assert_int_equal(store_open(sdir, opt, &fx->st), STORE_OK);
    *state = fx;
    return 0;
}

/* 4 GiB maps: valgrind cannot reserve the 64 GiB default (test_default_map). */
#define TEST_MAP_SIZE (4ull << 30)
static const struct store_options test_opts = {TEST_MAP_SIZE, 0, 0, 0, 0};

static int setup(void **state)
{
    struct store_options o = {0};

    o.map_size = TEST_MAP_SIZE;
    return open_fx(state, &o);
}

static int teardown(void **state)
{
    struct fx *fx = *state;

    store_close(fx->st);
    rm_rf(fx->dir);
    free(fx);
    return 0;
}

/* Deterministic pseudo-random bytes for blob number seed. */
static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    size_t i;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
}

/* Puts blob seed of len bytes; writes its digest. */
static void put_seed(struct store *st, uint64_t seed, size_t len, unsigned char d[32])
{
    unsigned char *buf = malloc(len ? len : 1);
    int created = -1;

    assert_non_null(buf);
    fill(buf, len, seed);
    store_sha256(buf, len, d);
    assert_int_equal(store_put_blob(st, d, buf, len, &created), STORE_OK);
    free(buf);
}

static unsigned char *gzip_bytes(const void *in, size_t len, size_t *out_len)
{
    z_stream zs;
    size_t cap = len + len / 10 + 1024;
    unsigned char *out = malloc(cap);

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static unsigned char *br_bytes(const void *in, size_t len, size_t *out_len)
{
    size_t cap = BrotliEncoderMaxCompressedSize(len) + 16;
    unsigned char *out = malloc(cap);

    *out_len = cap;
    assert_true(BrotliEncoderCompress(2, 22, BROTLI_MODE_GENERIC, len, in, out_len, out));
    return out;
}

static int count_fsck_bad;
static unsigned char last_bad_digest[32];

static void on_bad(void *arg, const unsigned char digest[32], int enc, const char *why)
{
    int *n = arg;

    (*n)++;
    memcpy(last_bad_digest, digest, 32);
    (void)enc;
    (void)why;
}

/* One zstd frame of in[0..len), with dict as raw prefix when not NULL
 * (what origin-ingest makes for a dcz delta). Caller frees. */
static unsigned char *zstd_bytes(const void *in, size_t len, const void *dict, size_t dict_len,
                                 size_t *out_len)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len);
    unsigned char *out = malloc(cap);

    assert_non_null(cc);
    assert_non_null(out);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19)));
    if (dict != NULL)
        assert_false(ZSTD_isError(ZSTD_CCtx_refPrefix(cc, dict, dict_len)));
    *out_len = ZSTD_compress2(cc, out, cap, in, len);
    assert_false(ZSTD_isError(*out_len));
    ZSTD_freeCCtx(cc);
    return out;
}

/* A dcz body: the 40-byte header naming dict, then the frame. Caller frees. */
static unsigned char *dcz_bytes(const void *in, size_t len, const void *dict, size_t dict_len,
                                size_t *out_len)
{
    size_t zlen;
    unsigned char *z = zstd_bytes(in, len, dict, dict_len, &zlen);
    unsigned char *out = malloc(STORE_DCZ_HEADER_LEN + zlen);

    assert_non_null(out);
    memcpy(out, STORE_DCZ_MAGIC, 8);
    store_sha256(dict, dict_len, out + 8);
    memcpy(out + STORE_DCZ_HEADER_LEN, z, zlen);
    free(z);
    *out_len = STORE_DCZ_HEADER_LEN + zlen;
    return out;
}

static void assert_fsck_ok(struct store *st)
{
    int bad = 0;
    uint64_t checked = 0;

    assert_int_equal(store_fsck(st, &checked, on_bad, &bad), STORE_OK);
    assert_int_equal(bad, 0);
}

/* Problems collected from store_publish. */
struct problems {
    int n;
    int kind[64];
    char path[64][STORE_PATH_MAX + 1];
    unsigned char digest[64][32];
};

static void on_problem(void *arg, enum store_problem_kind kind, const char *path, size_t len,
                       const unsigned char digest[32])
{
    struct problems *p = arg;

    if (p->n >= 64)
        return;
    p->kind[p->n] = kind;
    if (path != NULL) {
        memcpy(p->path[p->n], path, len);
        p->path[p->n][len] = '\0';
    } else {
        p->path[p->n][0] = '\0';
    }
    memcpy(p->digest[p->n], digest, 32);
    p->n++;
}

/* Files of a release as store_release_get gives them. */
struct served_files {
    size_t n;
    char type[4][64];
    int64_t published[4];
};

static int collect_served(void *arg, const struct store_file *f)
{
    struct served_files *sv = arg;

    if (sv->n < 4) {
        snprintf(sv->type[sv->n], sizeof(sv->type[0]), "%.*s", (int)f->type_len, f->type);
        sv->published[sv->n] = f->published;
    }
    sv->n++;
    return 0;
}

static struct store_file file_of(const char *path, const unsigned char d[32], const char *type)
{
    struct store_file f;

    memset(&f, 0, sizeof(f));
    f.path = path;
    f.path_len = strlen(path);
    memcpy(f.digest, d, 32);
    f.type = type;
    f.type_len = strlen(type);
    return f;
}

/* ------------------------------------------------------------------ */
/* Pure functions                                                       */

static void test_hex(void **state)
{
    unsigned char d[32], e[32];
    char hex[65];

    (void)state;
    store_sha256("abc", 3, d);
    store_digest_to_hex(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(store_digest_from_hex(hex, 64, e), STORE_OK);
    assert_memory_equal(d, e, 32);
    hex[3] = 'F';
    assert_int_equal(store_digest_from_hex(hex, 64, e), STORE_OK);
    hex[3] = 'g';
    memset(e, 7, 32);
    assert_int_equal(store_digest_from_hex(hex, 64, e), STORE_EINVAL);
    assert_int_equal(e[0], 7); /* untouched on error */
    assert_int_equal(store_digest_from_hex(hex, 63, e), STORE_EINVAL);
    assert_int_equal(store_digest_from_hex(NULL, 64, e), STORE_EINVAL);
}

static void test_strings(void **state)
{
    int i;

    (void)state;
    for (i = STORE_OK; i <= STORE_EFAULT; i++)
        assert_non_null(store_strerror(i));
    assert_non_null(store_strerror(999));
    assert_string_equal(store_encoding_name(STORE_ENC_GZIP), "gzip");
    assert_string_equal(store_encoding_name(STORE_ENC_BR), "br");
    assert_string_equal(store_encoding_name(STORE_ENC_IDENTITY), "identity");
    assert_string_equal(store_encoding_name(STORE_ENC_ZSTD), "zstd");
    assert_null(store_encoding_name(STORE_ENC_COUNT));
    assert_int_equal(store_encoding_parse("zstd", 4), STORE_ENC_ZSTD);
    assert_int_equal(store_encoding_parse("dcz", 3), -1);
    assert_int_equal(store_encoding_parse("br", 2), STORE_ENC_BR);
    assert_int_equal(store_encoding_parse("gzip", 4), STORE_ENC_GZIP);
    assert_int_equal(store_encoding_parse("identity", 8), STORE_ENC_IDENTITY);
    assert_int_equal(store_encoding_parse("gzipx", 4), STORE_ENC_GZIP);
    assert_int_equal(store_encoding_parse("deflate", 7), -1);
    assert_int_equal(store_encoding_parse("", 0), -1);
}

static void test_path_valid(void **state)
{
    static const struct {
        const char *p;
        int ok;
    } cases[] = {
        {"/a", 1},         {"/assets/app.3f2a9c1e5b7d0a41.css", 1},
        {"/a/b c.txt", 1}, {"/caf\xc3\xa9.css", 1},
        {"/a%00b", 1}, /* just bytes */
        {"/%2e%2e/x", 1},  {"/.well-known/x", 1},
        {"/a..b/c", 1},    {"/...", 1},
        {"", 0},           {"/", 0},
        {"a/b", 0},        {"./a", 0},
        {"/a/", 0},        {"//a", 0},
        {"/a//b", 0},      {"/./a", 0},
        {"/a/.", 0},       {"/a/./b", 0},
        {"/../a", 0},      {"/a/..", 0},
        {"/a/../b", 0},    {"/a\\b", 0},
        {"/a\tb", 0},      {"/a\nb", 0},
        {"/a\rb", 0},      {"/a\x7f", 0},
        {"/a\x1b[0m", 0},  {"/a?b", 0},
        {"/a#b", 0},
    };
    char longp[STORE_PATH_MAX + 2];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = store_path_valid(cases[i].p, strlen(cases[i].p));

        if (rc != (cases[i].ok ? STORE_OK : STORE_EINVAL))
            fail_msg("path case %zu \"%s\": got %d", i, cases[i].p, rc);
    }
    assert_int_equal(store_path_valid("/a\0b", 4), STORE_EINVAL); /* NUL byte */
    assert_int_equal(store_path_valid(NULL, 0), STORE_EINVAL);
    longp[0] = '/';
    memset(longp + 1, 'x', sizeof(longp) - 1);
    assert_int_equal(store_path_valid(longp, STORE_PATH_MAX), STORE_OK);
    assert_int_equal(store_path_valid(longp, STORE_PATH_MAX + 1), STORE_EINVAL);
}

static void test_id_type_valid(void **state)
{
    char longid[STORE_ID_MAX + 1];

    (void)state;
    assert_int_equal(store_id_valid("v1.2.3_rc-1", 11), STORE_OK);
    assert_int_equal(store_id_valid("a", 1), STORE_OK);
    assert_int_equal(store_id_valid("...", 3), STORE_OK);
    assert_int_equal(store_id_valid("", 0), STORE_EINVAL);
    assert_int_equal(store_id_valid(".", 1), STORE_EINVAL);
    assert_int_equal(store_id_valid("..", 2), STORE_EINVAL);
    assert_int_equal(store_id_valid("a/b", 3), STORE_EINVAL);
    assert_int_equal(store_id_valid("a b", 3), STORE_EINVAL);
    assert_int_equal(store_id_valid("a\0", 2), STORE_EINVAL);
    assert_int_equal(store_id_valid("r\xc3\xa9", 3), STORE_EINVAL);
    memset(longid, 'a', sizeof(longid));
    assert_int_equal(store_id_valid(longid, STORE_ID_MAX), STORE_OK);
    assert_int_equal(store_id_valid(longid, STORE_ID_MAX + 1), STORE_EINVAL);

    assert_int_equal(store_type_valid("text/css; charset=utf-8", 23), STORE_OK);
    assert_int_equal(store_type_valid("", 0), STORE_EINVAL);
    assert_int_equal(store_type_valid("text/css\r\nX: y", 14), STORE_EINVAL);
    assert_int_equal(store_type_valid("text/\x80", 6), STORE_EINVAL);
    memset(longid, 'a', sizeof(longid));
    assert_int_equal(store_type_valid(longid, STORE_TYPE_MAX + 1), STORE_EINVAL);
}

static void test_type_compressible(void **state)
{
    static const struct {
        const char *t;
        int yes;
    } cases[] = {
        {"text/css; charset=utf-8", 1},
        {"text/html", 1},
        {"TEXT/Plain", 1},
        {"application/javascript", 1},
        {"application/json", 1},
        {"application/manifest+json", 1},
        {"application/ld+json;charset=utf-8", 1},
        {"application/atom+xml", 1},
        {"application/xml", 1},
        {"image/svg+xml", 1},
        {"application/wasm", 1},
        {"font/ttf", 1},
        {"font/otf", 1},
        {"application/vnd.ms-fontobject", 1},
        {"image/x-icon", 1},
        {"image/vnd.microsoft.icon", 1},
        {"image/bmp", 1},
        {" application/json ; q", 1},
        {"image/png", 0},
        {"image/jpeg", 0},
        {"font/woff2", 0},
        {"font/woff", 0},
        {"application/octet-stream", 0},
        {"application/+json", 0},
        {"application/zip", 0},
        {"text/", 0},
        {"", 0},
        {"video/mp4", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (store_type_compressible(cases[i].t, strlen(cases[i].t)) != cases[i].yes)
            fail_msg("type case \"%s\"", cases[i].t);
    }
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */

static void test_open_refusals(void **state)
{
    char dir[64], sub[128], file[160];
    struct store *st = NULL;
    struct store_options ro = {0};
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {5, "hello"}, v = {5, "world"};
    int fd;

    (void)state;
    make_tmpdir(dir);
    ro.read_only = 1;
    ro.map_size = TEST_MAP_SIZE;

    /* Read-only on a directory that does not exist. */
    snprintf(sub, sizeof(sub), "%s/none", dir);
    assert_int_not_equal(store_open(sub, &ro, &st), STORE_OK);
    assert_null(st);

    /* Garbage data file. */
    snprintf(sub, sizeof(sub), "%s/garbage", dir);
    assert_int_equal(mkdir(sub, 0750), 0);
    snprintf(file, sizeof(file), "%s/data.mdb", sub);
    fd = open(file, O_WRONLY | O_CREAT, 0640);
    assert_true(fd >= 0);
    {
        unsigned char junk[20000];

        fill(junk, sizeof(junk), 99);
        assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    }
    close(fd);
    assert_int_equal(store_open(sub, &test_opts, &st), STORE_ECORRUPT);

    /* Another application's LMDB environment. */
    snprintf(sub, sizeof(sub), "%s/foreign", dir);
    assert_int_equal(mkdir(sub, 0750), 0);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_open(env, sub, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(store_open(sub, &test_opts, &st), STORE_ECORRUPT);
    assert_int_equal(store_open(sub, &ro, &st), STORE_ECORRUPT);

    /* A regular file where the directory should be. */
    snprintf(sub, sizeof(sub), "%s/afile", dir);
    fd = open(sub, O_WRONLY | O_CREAT, 0640);
    close(fd);
    assert_int_not_equal(store_open(sub, &test_opts, &st), STORE_OK);
    assert_int_equal(store_open(NULL, NULL, &st), STORE_EINVAL);
    assert_null(st);
    rm_rf(dir);
}

/* The body of the read-only child (test_store --read-only-child DIR BLOBS):
 * a fresh process, as LMDB forbids opening one environment twice in a
 * process. Returns its exit code. */
static int read_only_child_main(const char *dir, uint64_t want_blobs)
{
    struct store *ro = NULL;
    struct store_options o = {0};
    struct store_stats s;
    unsigned char d[32];
    int code = 0;

    o.read_only = 1;
    o.map_size = TEST_MAP_SIZE;
    if (store_open(dir, &o, &ro) != STORE_OK)
        return 10;
    if (store_stats(ro, &s) != STORE_OK || s.blobs != want_blobs)
        code = 11;
    if (store_fsck(ro, NULL, NULL, NULL) != STORE_OK)
        code = 12;
    store_sha256("x", 1, d);
    if (store_put_blob(ro, d, "x", 1, NULL) == STORE_OK)
        code = 13; /* writes are refused on a read-only handle */
    if (store_publish(ro, "r", 1, NULL, 0, 1, NULL, NULL, NULL) == STORE_OK)
        code = 14;
    store_close(ro);
    return code;
}

/* This program's path, for the child (/proc/self/exe is valgrind's under valgrind). */
static char self_path[4096];

/* Runs this program as the read-only child beside the live store. */
static int read_only_child(const char *dir, uint64_t want_blobs)
{
    char n[32];
    pid_t pid;
    int status = 0;

    snprintf(n, sizeof(n), "%llu", (unsigned long long)want_blobs);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(self_path, "test_store", "--read-only-child", dir, n, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_read_only_beside_live(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32];

    put_seed(fx->st, 1, 5000, d);
    assert_true(store_data_fd(fx->st) >= 0);
    assert_int_equal(read_only_child(store_dir(fx->st), 1), 0);
    put_seed(fx->st, 2, 100, d);
    assert_int_equal(read_only_child(store_dir(fx->st), 2), 0);
    store_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Blobs                                                                */

static void test_put_get(void **state)
{
    struct fx *fx = *state;
    unsigned char buf[70000], d[32], back[70000];
    struct store_reader *r;
    struct store_blob b;
    int created = -1;

    fill(buf, sizeof(buf), 7);
    store_sha256(buf, sizeof(buf), d);
    assert_int_equal(store_put_blob(fx->st, d, buf, sizeof(buf), &created), STORE_OK);
    assert_int_equal(created, 1);
    /* Again: a no-op that does not even read data. */
    assert_int_equal(store_put_blob(fx->st, d, NULL, sizeof(buf), &created), STORE_OK);
    assert_int_equal(created, 0);
    assert_int_equal(store_put_blob(fx->st, d, buf, sizeof(buf), NULL), STORE_OK);

    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_IDENTITY, &b), STORE_OK);
    assert_int_equal(b.len, sizeof(buf));
    assert_memory_equal(b.data, buf, sizeof(buf));
    /* The same bytes lie contiguous in the data file at offset. */
    assert_int_equal(pread(store_data_fd(fx->st), back, sizeof(back), (off_t)b.offset),
                     (ssize_t)sizeof(back));
    assert_memory_equal(back, buf, sizeof(buf));
    assert_int_equal(store_get_blob(r, d, STORE_ENC_GZIP, &b), STORE_ENOTFOUND);
    assert_int_equal(store_get_blob(r, d, 9, &b), STORE_ENOTFOUND);
    fill(d, 32, 1);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_IDENTITY, &b), STORE_ENOTFOUND);
    store_reader_end(r);
    store_reader_end(NULL);
}

static void test_put_small_offsets(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32][32], buf[3000], back[3000];
    struct store_reader *r;
    struct store_blob b;
    size_t i;

    for (i = 0; i < 32; i++)
        put_seed(fx->st, 100 + i, i * 90, d[i]);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    for (i = 0; i < 32; i++) {
        assert_int_equal(store_get_blob(r, d[i], STORE_ENC_IDENTITY, &b), STORE_OK);
        assert_int_equal(b.len, i * 90);
        fill(buf, i * 90, 100 + i);
        if (i > 0) {
            assert_memory_equal(b.data, buf, i * 90);
            assert_int_equal(pread(store_data_fd(fx->st), back, i * 90, (off_t)b.offset),
                             (ssize_t)(i * 90));
            assert_memory_equal(back, buf, i * 90);
        }
    }
    store_reader_end(r);
}

static void test_put_wrong_digest(void **state)
{
    struct fx *fx = *state;
    unsigned char buf[1000], d[32], miss;
    int created = -1;
    struct store_stats s;

    fill(buf, sizeof(buf), 1);
    store_sha256(buf, sizeof(buf), d);
    buf[10] ^= 1;
    assert_int_equal(store_put_blob(fx->st, d, buf, sizeof(buf), &created), STORE_EDIGEST);
    assert_int_equal(created, -1);
    assert_int_equal(store_missing(fx->st, (const unsigned char(*)[32])d, 1, &miss), STORE_OK);
    assert_int_equal(miss, 1);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.blobs, 0);
}

/* The defaults: a 64 GiB map. Skipped where the address space cannot hold it
 * (valgrind limits its guests to 32 GiB mappings). */
static void test_default_map(void **state)
{
    char dir[64], sub[128];
    struct store *st;
    struct store_stats s;
    int rc;

    (void)state;
    make_tmpdir(dir);
    snprintf(sub, sizeof(sub), "%s/s", dir);
    rc = store_open(sub, NULL, &st);
    if (rc != STORE_OK) {
        rm_rf(dir);
        assert_true(rc == STORE_ENOMEM || rc == STORE_EIO);
        skip();
    }
    assert_int_equal(store_stats(st, &s), STORE_OK);
    assert_int_equal(s.map_size, 64ull << 30);
    store_close(st);
    rm_rf(dir);
}

static void test_put_too_big(void **state)
{
    char dir[64], sub[128];
    struct store_options o = {0};
    struct store *st;
    struct store_batch *b;
    unsigned char buf[2000], d[32];

    (void)state;
    make_tmpdir(dir);
    snprintf(sub, sizeof(sub), "%s/s", dir);
    o.max_blob = 1000;
    o.map_size = TEST_MAP_SIZE;
    assert_int_equal(store_open(sub, &o, &st), STORE_OK);
    fill(buf, sizeof(buf), 1);
    store_sha256(buf, 1001, d);
    assert_int_equal(store_put_blob(st, d, buf, 1001, NULL), STORE_ETOOBIG);
    store_sha256(buf, 1000, d);
    assert_int_equal(store_put_blob(st, d, buf, 1000, NULL), STORE_OK);
    /* In a batch, ETOOBIG leaves the batch usable. */
    assert_int_equal(store_batch_begin(st, &b), STORE_OK);
    store_sha256(buf, 2000, d);
    assert_int_equal(store_batch_put(b, d, buf, 2000, NULL), STORE_ETOOBIG);
    store_sha256(buf, 10, d);
    assert_int_equal(store_batch_put(b, d, buf, 10, NULL), STORE_OK);
    assert_int_equal(store_batch_commit(b), STORE_OK);
    assert_fsck_ok(st);
    store_close(st);
    rm_rf(dir);
}

static void test_put_empty(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32];
    struct store_reader *r;
    struct store_blob b;
    int created = -1;

    store_sha256("", 0, d);
    assert_int_equal(store_put_blob(fx->st, d, "", 0, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_IDENTITY, &b), STORE_OK);
    assert_int_equal(b.len, 0);
    store_reader_end(r);
    assert_fsck_ok(fx->st);
}

static void test_batch(void **state)
{
    struct fx *fx = *state;
    struct store_batch *b;
    unsigned char buf[4096], d[200][32], bad[32], miss[200];
    struct store_stats s;
    int created, i;

    assert_int_equal(store_batch_begin(fx->st, &b), STORE_OK);
    for (i = 0; i < 200; i++) {
        fill(buf, 100 + i, i);
        store_sha256(buf, 100 + i, d[i]);
        assert_int_equal(store_batch_put(b, d[i], buf, 100 + i, &created), STORE_OK);
        assert_int_equal(created, 1);
        if (i == 50) {
            /* A wrong digest inside the batch leaves it usable. */
            memset(bad, 0xab, 32);
            assert_int_equal(store_batch_put(b, bad, buf, 10, NULL), STORE_EDIGEST);
            /* Same digest twice in one batch: the second is a no-op. */
            assert_int_equal(store_batch_put(b, d[i], buf, 100 + i, &created), STORE_OK);
            assert_int_equal(created, 0);
        }
    }
    assert_int_equal(store_batch_commit(b), STORE_OK);
    assert_int_equal(store_missing(fx->st, (const unsigned char(*)[32])d, 200, miss), STORE_OK);
    for (i = 0; i < 200; i++)
        assert_int_equal(miss[i], 0);

    /* An aborted batch leaves nothing. */
    assert_int_equal(store_batch_begin(fx->st, &b), STORE_OK);
    fill(buf, 50, 1000);
    store_sha256(buf, 50, bad);
    assert_int_equal(store_batch_put(b, bad, buf, 50, NULL), STORE_OK);
    store_batch_abort(b);
    store_batch_abort(NULL);
    assert_int_equal(store_missing(fx->st, (const unsigned char(*)[32])bad, 1, miss), STORE_OK);
    assert_int_equal(miss[0], 1);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.blobs, 200);
    assert_fsck_ok(fx->st);
}

/* ------------------------------------------------------------------ */
/* Variants                                                             */

/* zstd: verified by decoding like gzip and br (one frame, nothing after it,
 * a window a browser decodes), served by lookup for a compressible type. */
static void test_zstd_variant(void **state)
{
    struct fx *fx = *state;
    unsigned char text[30000], d[32], *zs, *two, skip[12];
    size_t zs_len, i;
    struct store_reader *r;
    struct store_asset a;
    struct store_file f;
    struct store_stats s;
    int created = -1;

    for (i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("export const x = 1;\n"[i % 20] + (i % 997 == 0));
    store_sha256(text, sizeof(text), d);
    zs = zstd_bytes(text, sizeof(text), NULL, 0, &zs_len);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, zs, zs_len, &created),
                     STORE_ENOTFOUND);
    assert_int_equal(store_put_blob(fx->st, d, text, sizeof(text), NULL), STORE_OK);
    /* truncated, a byte after the frame, two frames, a skippable frame: refused */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, zs, zs_len - 1, &created),
                     STORE_EVARIANT);
    two = malloc(2 * zs_len);
    assert_non_null(two);
    memcpy(two, zs, zs_len);
    two[zs_len] = 0;
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, two, zs_len + 1, &created),
                     STORE_EVARIANT);
    memcpy(two + zs_len, zs, zs_len);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, two, 2 * zs_len, &created),
                     STORE_EVARIANT);
    memcpy(skip,
           "\x50\x2a\x4d\x18\x04\x00\x00\x00"
           "abcd",
           12);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, skip, 12, &created),
                     STORE_EVARIANT);
    /* a frame of other bytes: refused */
    {
        size_t olen;
        unsigned char *other = zstd_bytes(text, sizeof(text) - 1, NULL, 0, &olen);

        assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, other, olen, &created),
                         STORE_EVARIANT);
        free(other);
    }
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, zs, zs_len, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_ZSTD, zs, zs_len, &created), STORE_OK);
    assert_int_equal(created, 0);
    f.path = "/a/app.0123456789abcdef.js";
    f.path_len = strlen(f.path);
    memcpy(f.digest, d, 32);
    f.type = "text/javascript; charset=utf-8";
    f.type_len = strlen(f.type);
    f.published = 0;
    assert_int_equal(store_publish(fx->st, "r1", 2, &f, 1, 1000, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, f.path, f.path_len, &a), STORE_OK);
    assert_int_equal(a.body[STORE_ENC_ZSTD].len, zs_len);
    assert_memory_equal(a.body[STORE_ENC_ZSTD].data, zs, zs_len);
    store_reader_end(r);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.variants, 1);
    assert_fsck_ok(fx->st);
    free(two);
    free(zs);
}

static int on_delta(void *arg, const unsigned char dict[32], uint64_t len)
{
    unsigned char *got = arg;

    memcpy(got, dict, 32);
    (void)len;
    return 0;
}

/* dcz deltas: kept only when they decode, with the dictionary blob, to
 * exactly the target; found by (target, dictionary); gone with either blob
 * when a prune removes it; checked by fsck. */
static void test_deltas(void **state)
{
    struct fx *fx = *state;
    unsigned char v1[40000], v2[40000], v3[40000], d1[32], d2[32], got[32], *dz, *bad;
    size_t dz_len, bad_len, i;
    struct store_reader *r;
    struct store_blob b;
    struct store_stats s;
    struct store_file f[2];
    struct store_id id = {"r1", 2};
    struct store_prune_totals tot;
    int created = -1;

    uint32_t x = 12345;

    /* pseudo-random letters: every match of a delta must come from the
     * dictionary, so a frame made against another one cannot decode */
    for (i = 0; i < sizeof(v1); i++) {
        x = x * 1103515245u + 12345u;
        v1[i] = (unsigned char)('a' + (x >> 16) % 26);
    }
    memcpy(v2, v1, sizeof(v2));
    memcpy(v2 + 20000, "a small change in release 2", 27);
    store_sha256(v1, sizeof(v1), d1);
    store_sha256(v2, sizeof(v2), d2);
    dz = dcz_bytes(v2, sizeof(v2), v1, sizeof(v1), &dz_len);
    assert_true(dz_len < 1000); /* a delta, not a compressed copy */

    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_ENOTFOUND);
    assert_int_equal(store_put_blob(fx->st, d2, v2, sizeof(v2), NULL), STORE_OK);
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_ENOTFOUND);
    assert_int_equal(store_put_blob(fx->st, d1, v1, sizeof(v1), NULL), STORE_OK);
    assert_int_equal(store_put_delta(fx->st, d2, d2, dz, dz_len, &created), STORE_EINVAL);
    /* truncated; header naming another dictionary; frame against another prefix */
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len - 1, &created), STORE_EVARIANT);
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, 20, &created), STORE_EVARIANT);
    bad = malloc(dz_len);
    assert_non_null(bad);
    memcpy(bad, dz, dz_len);
    bad[10] ^= 1;
    assert_int_equal(store_put_delta(fx->st, d2, d1, bad, dz_len, &created), STORE_EVARIANT);
    free(bad);
    /* made against v3 (v2 with another change): the header names v3, and
     * with v1's digest put in, the frame still needs v3's bytes */
    memcpy(v3, v2, sizeof(v3));
    memcpy(v3 + 9000, "another change, in release 3", 28);
    bad = dcz_bytes(v2, sizeof(v2), v3, sizeof(v3), &bad_len);
    assert_int_equal(store_put_delta(fx->st, d2, d1, bad, bad_len, &created), STORE_EVARIANT);
    memcpy(bad + 8, d1, 32);
    assert_int_equal(store_put_delta(fx->st, d2, d1, bad, bad_len, &created), STORE_EVARIANT);
    free(bad);
    /* the delta of v1 from v2 is not one of v2 from v1 */
    bad = dcz_bytes(v1, sizeof(v1), v2, sizeof(v2), &bad_len);
    assert_int_equal(store_put_delta(fx->st, d2, d1, bad, bad_len, &created), STORE_EVARIANT);
    free(bad);

#ifdef ORIGIND_TEST_HOOKS
    /* a failed write or commit stores nothing (then the same put succeeds) */
    store_fault_set(STORE_FAULT_WRITE, 1);
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_EFAULT);
    store_fault_set(STORE_FAULT_COMMIT, 1);
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_EFAULT);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.deltas, 0);
#endif
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_put_delta(fx->st, d2, d1, dz, dz_len, &created), STORE_OK);
    assert_int_equal(created, 0);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_delta(r, d2, d1, &b), STORE_OK);
    assert_int_equal(b.len, dz_len);
    assert_memory_equal(b.data, dz, dz_len);
    assert_int_equal(store_get_delta(r, d1, d2, &b), STORE_ENOTFOUND);
    memset(got, 0, 32);
    assert_int_equal(store_list_deltas(r, d2, on_delta, got), STORE_OK);
    assert_memory_equal(got, d1, 32);
    store_reader_end(r);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.deltas, 1);
    assert_true(s.delta_bytes > 0);
    assert_fsck_ok(fx->st);

    /* release r1 holds v1 (the dictionary), r2 holds v2: pruning r1
     * removes v1 and the delta with it; v2 stays */
    memset(f, 0, sizeof(f));
    f[0].path = "/a/app.1111111111111111.js";
    memcpy(f[0].digest, d1, 32);
    f[1].path = "/a/app.2222222222222222.js";
    memcpy(f[1].digest, d2, 32);
    for (i = 0; i < 2; i++) {
        f[i].path_len = strlen(f[i].path);
        f[i].type = "text/javascript";
        f[i].type_len = strlen(f[i].type);
    }
    assert_int_equal(store_publish(fx->st, "r1", 2, &f[0], 1, 1000, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_publish(fx->st, "r2", 2, &f[1], 1, 1001, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_prune(fx->st, &id, 1, 2000, 1, NULL, NULL, &tot), STORE_OK);
    assert_int_equal(tot.deltas, 1); /* dry run: counted, kept */
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.deltas, 1);
    assert_int_equal(store_prune(fx->st, &id, 1, 2000, 0, NULL, NULL, &tot), STORE_OK);
    assert_int_equal(tot.deltas, 1);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.deltas, 0);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_delta(r, d2, d1, &b), STORE_ENOTFOUND);
    assert_int_equal(store_get_blob(r, d2, STORE_ENC_IDENTITY, &b), STORE_OK);
    store_reader_end(r);
    assert_fsck_ok(fx->st);
    free(dz);
}

static void test_variants(void **state)
{
    struct fx *fx = *state;
    unsigned char text[20000], d[32], other_d[32], *gz, *br, *bomb, *junk;
    size_t gz_len, br_len, bomb_len;
    struct store_reader *r;
    struct store_blob b;
    struct store_batch *bt;
    struct store_stats s;
    int created = -1;
    size_t i;

    for (i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("body { color: red; }\n"[i % 21]);
    store_sha256(text, sizeof(text), d);
    gz = gzip_bytes(text, sizeof(text), &gz_len);
    br = br_bytes(text, sizeof(text), &br_len);

    /* Blob missing: ENOTFOUND. */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, gz, gz_len, &created),
                     STORE_ENOTFOUND);
    assert_int_equal(store_put_blob(fx->st, d, text, sizeof(text), NULL), STORE_OK);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_IDENTITY, gz, gz_len, &created),
                     STORE_EINVAL);
    assert_int_equal(store_put_variant(fx->st, d, 7, gz, gz_len, &created), STORE_EINVAL);
    /* Wrong encoding for the bytes. */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_BR, gz, gz_len, &created),
                     STORE_EVARIANT);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, br, br_len, &created),
                     STORE_EVARIANT);
    /* Truncated. */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, gz, gz_len - 5, &created),
                     STORE_EVARIANT);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_BR, br, br_len - 2, &created),
                     STORE_EVARIANT);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, gz, 0, &created), STORE_EVARIANT);
    /* Trailing garbage after a valid stream. */
    junk = malloc(gz_len + br_len + 1);
    memcpy(junk, gz, gz_len);
    junk[gz_len] = 'x';
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, junk, gz_len + 1, &created),
                     STORE_EVARIANT);
    memcpy(junk, gz, gz_len);
    memcpy(junk + gz_len, gz, gz_len > br_len ? br_len : gz_len); /* a second member */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, junk,
                                       gz_len + (gz_len > br_len ? br_len : gz_len), &created),
                     STORE_EVARIANT);
    memcpy(junk, br, br_len);
    junk[br_len] = 0;
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_BR, junk, br_len + 1, &created),
                     STORE_EVARIANT);
    free(junk);
    /* A different text of the same length (right size, wrong digest). */
    {
        unsigned char t2[sizeof(text)], *g2;
        size_t g2_len;

        memcpy(t2, text, sizeof(t2));
        t2[100] = 'X';
        g2 = gzip_bytes(t2, sizeof(t2), &g2_len);
        assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, g2, g2_len, &created),
                         STORE_EVARIANT);
        /* Shorter text: right prefix, wrong size. */
        free(g2);
        g2 = gzip_bytes(text, sizeof(text) - 1, &g2_len);
        assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, g2, g2_len, &created),
                         STORE_EVARIANT);
        free(g2);
    }
    /* A bomb: 16 MiB of zeros claimed for a 100-byte blob of zeros. */
    {
        size_t big = 16u << 20;
        unsigned char *zeros = calloc(1, big);

        store_sha256(zeros, 100, other_d);
        assert_int_equal(store_put_blob(fx->st, other_d, zeros, 100, NULL), STORE_OK);
        bomb = gzip_bytes(zeros, big, &bomb_len);
        assert_true(bomb_len < 40000);
        assert_int_equal(
            store_put_variant(fx->st, other_d, STORE_ENC_GZIP, bomb, bomb_len, &created),
            STORE_EVARIANT);
        free(bomb);
        bomb = br_bytes(zeros, big, &bomb_len);
        assert_int_equal(store_put_variant(fx->st, other_d, STORE_ENC_BR, bomb, bomb_len, &created),
                         STORE_EVARIANT);
        free(bomb);
        free(zeros);
    }
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.variants, 0);

    /* Good ones. */
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, gz, gz_len, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_GZIP, gz, gz_len, &created), STORE_OK);
    assert_int_equal(created, 0);
    assert_int_equal(store_put_variant(fx->st, d, STORE_ENC_BR, br, br_len, &created), STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_GZIP, &b), STORE_OK);
    assert_int_equal(b.len, gz_len);
    assert_memory_equal(b.data, gz, gz_len);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_BR, &b), STORE_OK);
    assert_int_equal(b.len, br_len);
    assert_memory_equal(b.data, br, br_len);
    store_reader_end(r);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.variants, 2);
    assert_int_equal(s.variant_bytes, gz_len + br_len);

    /* In a batch: blob and variant together; a bad variant leaves the batch usable. */
    {
        unsigned char t3[5000], d3[32], *g3;
        size_t g3_len;

        memset(t3, 'a', sizeof(t3));
        store_sha256(t3, sizeof(t3), d3);
        g3 = gzip_bytes(t3, sizeof(t3), &g3_len);
        assert_int_equal(store_batch_begin(fx->st, &bt), STORE_OK);
        assert_int_equal(store_batch_put_variant(bt, d3, STORE_ENC_GZIP, g3, g3_len, NULL),
                         STORE_ENOTFOUND);
        assert_int_equal(store_batch_put(bt, d3, t3, sizeof(t3), NULL), STORE_OK);
        assert_int_equal(store_batch_put_variant(bt, d3, STORE_ENC_GZIP, gz, gz_len, NULL),
                         STORE_EVARIANT);
        assert_int_equal(store_batch_put_variant(bt, d3, STORE_ENC_GZIP, g3, g3_len, &created),
                         STORE_OK);
        assert_int_equal(created, 1);
        assert_int_equal(store_batch_commit(bt), STORE_OK);
        free(g3);
    }
    assert_fsck_ok(fx->st);
    free(gz);
    free(br);
}

/* ------------------------------------------------------------------ */
/* Missing and listing                                                  */

static void test_missing_100k(void **state)
{
    struct fx *fx = *state;
    size_t n = 100000, i, present = 0;
    unsigned char(*ds)[32] = malloc(n * 32);
    unsigned char *miss = malloc(n);
    struct store_batch *b;
    unsigned char buf[64];

    assert_int_equal(store_batch_begin(fx->st, &b), STORE_OK);
    for (i = 0; i < n; i++) {
        fill(buf, sizeof(buf), i);
        if (i % 100 == 0) {
            store_sha256(buf, sizeof(buf), ds[i]);
            assert_int_equal(store_batch_put(b, ds[i], buf, sizeof(buf), NULL), STORE_OK);
        } else {
            memcpy(ds[i], buf, 32); /* random digests: absent */
        }
    }
    assert_int_equal(store_batch_commit(b), STORE_OK);
    assert_int_equal(store_missing(fx->st, (const unsigned char(*)[32])ds, n, miss), STORE_OK);
    for (i = 0; i < n; i++) {
        assert_int_equal(miss[i], i % 100 != 0);
        present += !miss[i];
    }
    assert_int_equal(present, 1000);
    assert_int_equal(store_missing(fx->st, NULL, 0, NULL), STORE_OK);
    free(ds);
    free(miss);
}

struct collect {
    unsigned char (*d)[32];
    uint64_t *size;
    unsigned *var;
    size_t n, cap, stop_at;
};

static int on_blob(void *arg, const unsigned char digest[32], uint64_t size, unsigned variants)
{
    struct collect *c = arg;

    assert_true(c->n < c->cap);
    memcpy(c->d[c->n], digest, 32);
    c->size[c->n] = size;
    c->var[c->n] = variants;
    c->n++;
    return c->stop_at != 0 && c->n >= c->stop_at;
}

static int cmp32(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static void test_list_blobs(void **state)
{
    struct fx *fx = *state;
    size_t n = 2500, i;
    unsigned char(*all)[32] = malloc(n * 32);
    struct collect c;
    struct store_batch *b;
    struct store_reader *r;
    unsigned char buf[300], *gz, after[32];
    size_t gz_len;
    int pages = 0;

    assert_int_equal(store_batch_begin(fx->st, &b), STORE_OK);
    for (i = 0; i < n; i++) {
        fill(buf, 32 + i % 200, i + 5);
        store_sha256(buf, 32 + i % 200, all[i]);
        assert_int_equal(store_batch_put(b, all[i], buf, 32 + i % 200, NULL), STORE_OK);
    }
    assert_int_equal(store_batch_commit(b), STORE_OK);
    fill(buf, 39, 12); /* blob number 7 */
    gz = gzip_bytes(buf, 39, &gz_len);
    assert_int_equal(store_put_variant(fx->st, all[7], STORE_ENC_GZIP, gz, gz_len, NULL), STORE_OK);
    free(gz);
    qsort(all, n, 32, cmp32);

    memset(&c, 0, sizeof(c));
    c.cap = n + 1;
    c.d = malloc(c.cap * 32);
    c.size = malloc(c.cap * sizeof(uint64_t));
    c.var = malloc(c.cap * sizeof(unsigned));
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    /* Page by 1000 with the cursor. */
    for (;;) {
        size_t before = c.n;

        assert_int_equal(store_list_blobs(r, before ? after : NULL, 1000, on_blob, &c), STORE_OK);
        if (c.n == before)
            break;
        assert_true(c.n - before <= 1000);
        memcpy(after, c.d[c.n - 1], 32);
        pages++;
    }
    assert_int_equal(pages, 3);
    assert_int_equal(c.n, n);
    assert_memory_equal(c.d, all, n * 32);
    for (i = 0; i < n; i++) {
        unsigned char d7[32];

        fill(buf, 39, 12);
        store_sha256(buf, 39, d7);
        if (memcmp(c.d[i], d7, 32) == 0) {
            assert_int_equal(c.var[i], 1u << STORE_ENC_GZIP);
            assert_int_equal(c.size[i], 39);
        } else {
            assert_int_equal(c.var[i], 0);
        }
    }
    /* From a digest that is not present: strictly after it. */
    c.n = 0;
    memcpy(after, all[10], 32);
    after[31] ^= 1;
    assert_int_equal(store_list_blobs(r, after, 1, on_blob, &c), STORE_OK);
    assert_int_equal(c.n, 1);
    assert_true(memcmp(c.d[0], after, 32) > 0);
    /* fn can stop early. */
    c.n = 0;
    c.stop_at = 5;
    assert_int_equal(store_list_blobs(r, NULL, 100, on_blob, &c), STORE_OK);
    assert_int_equal(c.n, 5);
    /* After the last one: nothing. */
    c.n = 0;
    c.stop_at = 0;
    assert_int_equal(store_list_blobs(r, all[n - 1], 100, on_blob, &c), STORE_OK);
    assert_int_equal(c.n, 0);
    store_reader_end(r);
    free(c.d);
    free(c.size);
    free(c.var);
    free(all);
}

/* ------------------------------------------------------------------ */
/* Publishing                                                           */

static void test_publish_lookup(void **state)
{
    struct fx *fx = *state;
    unsigned char d1[32], d2[32], text[3000], *gz;
    size_t gz_len;
    struct store_file files[3];
    struct store_reader *r;
    struct store_asset a;
    struct store_stats s;
    int created = -1;
    char longp[1001];

    memset(text, 'q', sizeof(text));
    store_sha256(text, sizeof(text), d1);
    assert_int_equal(store_put_blob(fx->st, d1, text, sizeof(text), NULL), STORE_OK);
    gz = gzip_bytes(text, sizeof(text), &gz_len);
    assert_int_equal(store_put_variant(fx->st, d1, STORE_ENC_GZIP, gz, gz_len, NULL), STORE_OK);
    put_seed(fx->st, 2, 9000, d2);
    longp[0] = '/';
    memset(longp + 1, 'L', sizeof(longp) - 2);
    longp[sizeof(longp) - 1] = '\0';

    files[0] = file_of("/assets/app.css", d1, "text/css; charset=utf-8");
    files[1] = file_of("/assets/logo.png", d2, "image/png");
    files[2] = file_of(longp, d2, "image/png"); /* longer than an LMDB key */
    assert_int_equal(store_publish(fx->st, "r1", 2, files, 3, 1700000000, &created, NULL, NULL),
                     STORE_OK);
    assert_int_equal(created, 1);

    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, "/assets/app.css", 15, &a), STORE_OK);
    assert_memory_equal(a.digest, d1, 32);
    assert_int_equal(a.published, 1700000000);
    assert_int_equal(a.type_len, 23);
    assert_memory_equal(a.type, "text/css; charset=utf-8", 23);
    assert_int_equal(a.body[STORE_ENC_IDENTITY].len, sizeof(text));
    assert_memory_equal(a.body[STORE_ENC_IDENTITY].data, text, sizeof(text));
    assert_int_equal(a.body[STORE_ENC_GZIP].len, gz_len);
    assert_null(a.body[STORE_ENC_BR].data);
    assert_int_equal(a.body[STORE_ENC_BR].len, 0);
    assert_int_equal(store_lookup(r, longp, strlen(longp), &a), STORE_OK);
    assert_memory_equal(a.digest, d2, 32);
    longp[500] = 'M'; /* same prefix, different tail: another key */
    assert_int_equal(store_lookup(r, longp, strlen(longp), &a), STORE_ENOTFOUND);
    assert_int_equal(store_lookup(r, "/assets/app.css?v=1", 19, &a), STORE_ENOTFOUND);
    assert_int_equal(store_lookup(r, "/assets/app.cs", 14, &a), STORE_ENOTFOUND);
    assert_int_equal(store_lookup(r, "/Assets/app.css", 15, &a), STORE_ENOTFOUND);
    assert_int_equal(store_lookup(r, "", 0, &a), STORE_ENOTFOUND);
    store_reader_end(r);

    /* A second release re-binding a path to the same digest keeps the first time. */
    files[0] = file_of("/assets/app.css", d1, "text/plain");
    files[1] = file_of("/assets/new.css", d1, "text/css");
    assert_int_equal(store_publish(fx->st, "r2", 2, files, 2, 1800000000, &created, NULL, NULL),
                     STORE_OK);
    assert_int_equal(created, 1);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, "/assets/app.css", 15, &a), STORE_OK);
    assert_int_equal(a.published, 1700000000);
    assert_memory_equal(a.type, "text/css; charset=utf-8", 23);
    assert_int_equal(store_lookup(r, "/assets/new.css", 15, &a), STORE_OK);
    assert_int_equal(a.published, 1800000000);
    /* the release records what the path serves (first type, first time) */
    {
        struct served_files sv;

        memset(&sv, 0, sizeof(sv));
        assert_int_equal(store_release_get(r, "r2", 2, NULL, collect_served, &sv), STORE_OK);
        assert_int_equal(sv.n, 2);
        assert_string_equal(sv.type[0], "text/css; charset=utf-8");
        assert_int_equal(sv.published[0], 1700000000);
        assert_string_equal(sv.type[1], "text/css");
        assert_int_equal(sv.published[1], 1800000000);
    }
    store_reader_end(r);

    /* A stamped first-publish time (origin-ingest's, or a peer's) binds a new path. */
    files[0] = file_of("/assets/stamped.css", d1, "text/css");
    files[0].published = 1650000000;
    assert_int_equal(store_publish(fx->st, "r3", 2, files, 1, 1900000000, &created, NULL, NULL),
                     STORE_OK);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, "/assets/stamped.css", 19, &a), STORE_OK);
    assert_int_equal(a.published, 1650000000);
    store_reader_end(r);

    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.paths, 5);
    assert_int_equal(s.releases, 3);
    assert_string_equal(s.last_release, "r3");
    assert_int_equal(s.last_release_time, 1900000000);
    assert_fsck_ok(fx->st);
    free(gz);
}

static void test_publish_path_conflict(void **state)
{
    struct fx *fx = *state;
    unsigned char d1[32], d2[32];
    struct store_file files[3];
    struct store_reader *r;
    struct store_asset a;
    struct problems p;
    struct store_stats s;
    int created = -1;

    put_seed(fx->st, 1, 100, d1);
    put_seed(fx->st, 2, 100, d2);
    files[0] = file_of("/a.css", d1, "text/css");
    files[1] = file_of("/b.css", d1, "text/css");
    assert_int_equal(store_publish(fx->st, "r1", 2, files, 2, 1, &created, NULL, NULL), STORE_OK);

    memset(&p, 0, sizeof(p));
    files[0] = file_of("/new.css", d2, "text/css");
    files[1] = file_of("/b.css", d2, "text/css");
    files[2] = file_of("/a.css", d2, "text/css");
    created = -1;
    assert_int_equal(store_publish(fx->st, "r2", 2, files, 3, 2, &created, on_problem, &p),
                     STORE_ECONFLICT);
    assert_int_equal(created, -1);
    assert_int_equal(p.n, 2); /* all conflicts, in path order */
    assert_int_equal(p.kind[0], STORE_PROBLEM_PATH_CONFLICT);
    assert_string_equal(p.path[0], "/a.css");
    assert_memory_equal(p.digest[0], d1, 32); /* the bound digest */
    assert_int_equal(p.kind[1], STORE_PROBLEM_PATH_CONFLICT);
    assert_string_equal(p.path[1], "/b.css");
    /* Atomic: /new.css was not bound, r2 not recorded. */
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, "/new.css", 8, &a), STORE_ENOTFOUND);
    assert_int_equal(store_release_get(r, "r2", 2, NULL, NULL, NULL), STORE_ENOTFOUND);
    store_reader_end(r);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.paths, 2);
    assert_int_equal(s.releases, 1);
    /* NULL callback: same answer. */
    assert_int_equal(store_publish(fx->st, "r2", 2, files, 3, 2, NULL, NULL, NULL),
                     STORE_ECONFLICT);
}

static void test_publish_missing(void **state)
{
    struct fx *fx = *state;
    unsigned char d1[32], m1[32], m2[32];
    struct store_file files[4];
    struct store_reader *r;
    struct store_asset a;
    struct problems p;
    int created = -1, i, seen1 = 0, seen2 = 0;

    put_seed(fx->st, 1, 100, d1);
    memset(m1, 0x11, 32);
    memset(m2, 0x22, 32);
    files[0] = file_of("/z.js", m1, "text/javascript");
    files[1] = file_of("/ok.js", d1, "text/javascript");
    files[2] = file_of("/m2.js", m2, "text/javascript");
    files[3] = file_of("/a.js", m1, "text/javascript"); /* m1 named twice */
    memset(&p, 0, sizeof(p));
    assert_int_equal(store_publish(fx->st, "r1", 2, files, 4, 1, &created, on_problem, &p),
                     STORE_EMISSING);
    assert_int_equal(p.n, 2); /* each missing digest once */
    for (i = 0; i < p.n; i++) {
        assert_int_equal(p.kind[i], STORE_PROBLEM_MISSING);
        if (memcmp(p.digest[i], m1, 32) == 0) {
            seen1++;
            assert_string_equal(p.path[i], "/a.js"); /* its first path */
        }
        if (memcmp(p.digest[i], m2, 32) == 0) {
            seen2++;
            assert_string_equal(p.path[i], "/m2.js");
        }
    }
    assert_int_equal(seen1, 1);
    assert_int_equal(seen2, 1);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_lookup(r, "/ok.js", 6, &a), STORE_ENOTFOUND);
    assert_int_equal(store_release_get(r, "r1", 2, NULL, NULL, NULL), STORE_ENOTFOUND);
    store_reader_end(r);
    /* Other bytes cannot stand in for a missing digest. */
    assert_int_equal(store_put_blob(fx->st, m1, "x", 1, NULL), STORE_EDIGEST);
}

static void test_publish_release_conflict_and_noop(void **state)
{
    struct fx *fx = *state;
    unsigned char d1[32], d2[32];
    struct store_file files[4], again[5];
    struct problems p;
    struct store_stats s;
    int created = -1;

    put_seed(fx->st, 1, 100, d1);
    put_seed(fx->st, 2, 100, d2);
    files[0] = file_of("/b.css", d1, "text/css");
    files[1] = file_of("/a.css", d2, "text/css");
    assert_int_equal(store_publish(fx->st, "v1", 2, files, 2, 10, &created, NULL, NULL), STORE_OK);
    assert_int_equal(created, 1);

    /* Same content, other order: a no-op. */
    again[0] = file_of("/a.css", d2, "text/css");
    again[1] = file_of("/b.css", d1, "text/css");
    again[2] = file_of("/a.css", d2, "text/css");
    assert_int_equal(store_publish(fx->st, "v1", 2, again, 2, 20, &created, NULL, NULL), STORE_OK);
    assert_int_equal(created, 0);
    /* An identical duplicate is a bad entry, named once (issue 23: it was
     * accepted and counted twice in the answer). */
    memset(&p, 0, sizeof(p));
    assert_int_equal(store_publish(fx->st, "v1", 2, again, 3, 20, &created, on_problem, &p),
                     STORE_EINVAL);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.kind[0], STORE_PROBLEM_BAD_ENTRY);
    assert_string_equal(p.path[0], "/a.css");
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.releases, 1);
    assert_int_equal(s.last_release_time, 10);

    /* Same id, fewer files: a release conflict. */
    memset(&p, 0, sizeof(p));
    assert_int_equal(store_publish(fx->st, "v1", 2, again, 1, 30, &created, on_problem, &p),
                     STORE_ECONFLICT);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.kind[0], STORE_PROBLEM_RELEASE_CONFLICT);
    /* Same id, other type for a bound path: the path keeps its first type
     * and the release records what it serves, so this is the same release. */
    memset(&p, 0, sizeof(p));
    again[0] = file_of("/a.css", d2, "text/plain");
    assert_int_equal(store_publish(fx->st, "v1", 2, again, 2, 30, &created, on_problem, &p),
                     STORE_OK);
    assert_int_equal(created, 0);
    assert_int_equal(p.n, 0);
    /* Same id, a path bound elsewhere: both reported. */
    memset(&p, 0, sizeof(p));
    again[0] = file_of("/a.css", d1, "text/css");
    assert_int_equal(store_publish(fx->st, "v1", 2, again, 2, 30, &created, on_problem, &p),
                     STORE_ECONFLICT);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.kind[0], STORE_PROBLEM_PATH_CONFLICT);
    assert_int_equal(p.kind[1], STORE_PROBLEM_RELEASE_CONFLICT);
    assert_null(NULL);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.releases, 1);
    assert_int_equal(s.paths, 2);
    /* An empty release is allowed, and is a release. */
    assert_int_equal(store_publish(fx->st, "empty", 5, NULL, 0, 40, &created, NULL, NULL),
                     STORE_OK);
    assert_int_equal(created, 1);
    assert_fsck_ok(fx->st);
}

static void test_publish_bad_entries(void **state)
{
    struct fx *fx = *state;
    unsigned char d1[32], d2[32];
    struct store_file files[6];
    struct problems p;
    struct store_stats s;
    int created = -1;

    put_seed(fx->st, 1, 100, d1);
    put_seed(fx->st, 2, 100, d2);
    files[0] = file_of("/ok.css", d1, "text/css");
    files[1] = file_of("/../etc/passwd", d1, "text/css");
    files[2] = file_of("/x.css", d1, "text/css\r\nSet-Cookie: a");
    files[3] = file_of("/dup.css", d1, "text/css");
    files[4] = file_of("/dup.css", d2, "text/css"); /* same path, other digest */
    files[5] = file_of("relative.css", d1, "text/css");
    memset(&p, 0, sizeof(p));
    assert_int_equal(store_publish(fx->st, "r1", 2, files, 6, 1, &created, on_problem, &p),
                     STORE_EINVAL);
    assert_int_equal(p.n, 4);
    for (int i = 0; i < p.n; i++)
        assert_int_equal(p.kind[i], STORE_PROBLEM_BAD_ENTRY);
    /* Same path twice with other types is a conflicting duplicate too. */
    files[4] = file_of("/dup.css", d1, "text/plain");
    memset(&p, 0, sizeof(p));
    assert_int_equal(store_publish(fx->st, "r1", 2, files + 3, 2, 1, &created, on_problem, &p),
                     STORE_EINVAL);
    assert_int_equal(p.n, 1);
    assert_string_equal(p.path[0], "/dup.css");
    /* Bad ids. */
    assert_int_equal(store_publish(fx->st, "", 0, files, 1, 1, &created, NULL, NULL), STORE_EINVAL);
    assert_int_equal(store_publish(fx->st, "..", 2, files, 1, 1, &created, NULL, NULL),
                     STORE_EINVAL);
    assert_int_equal(store_publish(fx->st, "a/b", 3, files, 1, 1, &created, NULL, NULL),
                     STORE_EINVAL);
    assert_int_equal(store_publish(fx->st, "r1", 2, NULL, 1, 1, &created, NULL, NULL),
                     STORE_EINVAL);
    assert_int_equal(created, -1);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.paths, 0);
    assert_int_equal(s.releases, 0);
}

struct rel_seen {
    int n;
    char id[8][16];
    int64_t created[8];
    size_t files[8];
    char path[8][32];
    int nfiles;
};

static int on_release(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    struct rel_seen *s = arg;

    memcpy(s->id[s->n], id, id_len);
    s->id[s->n][id_len] = '\0';
    s->created[s->n] = created;
    s->files[s->n] = files;
    s->n++;
    return 0;
}

static int on_file(void *arg, const struct store_file *f)
{
    struct rel_seen *s = arg;

    memcpy(s->path[s->nfiles], f->path, f->path_len);
    s->path[s->nfiles][f->path_len] = '\0';
    s->nfiles++;
    return 0;
}

static int stop_file(void *arg, const struct store_file *f)
{
    (void)f;
    ++*(int *)arg;
    return 1;
}

static void test_release_get_list(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32];
    struct store_file files[3];
    struct store_reader *r;
    struct rel_seen s;
    int64_t created = 0;
    int stops = 0;

    put_seed(fx->st, 1, 10, d);
    files[0] = file_of("/c", d, "text/plain");
    files[1] = file_of("/a", d, "text/plain");
    files[2] = file_of("/b", d, "text/plain");
    assert_int_equal(store_publish(fx->st, "zeta", 4, files, 3, 300, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_publish(fx->st, "alpha", 5, files, 1, 100, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_publish(fx->st, "mid", 3, files + 1, 2, 200, NULL, NULL, NULL),
                     STORE_OK);

    memset(&s, 0, sizeof(s));
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_release_list(r, on_release, &s), STORE_OK);
    assert_int_equal(s.n, 3); /* publish order, not id order nor time order */
    assert_string_equal(s.id[0], "zeta");
    assert_string_equal(s.id[1], "alpha");
    assert_string_equal(s.id[2], "mid");
    assert_int_equal(s.created[0], 300);
    assert_int_equal(s.files[0], 3);
    assert_int_equal(s.files[1], 1);
    assert_int_equal(s.files[2], 2);
    assert_int_equal(store_release_get(r, "zeta", 4, &created, on_file, &s), STORE_OK);
    assert_int_equal(created, 300);
    assert_int_equal(s.nfiles, 3);
    assert_string_equal(s.path[0], "/a"); /* path order */
    assert_string_equal(s.path[1], "/b");
    assert_string_equal(s.path[2], "/c");
    assert_int_equal(store_release_get(r, "zeta", 4, NULL, stop_file, &stops), STORE_OK);
    assert_int_equal(stops, 1);
    assert_int_equal(store_release_get(r, "nope", 4, &created, on_file, &s), STORE_ENOTFOUND);
    assert_int_equal(store_release_get(r, "no/pe", 5, &created, on_file, &s), STORE_EINVAL);
    store_reader_end(r);
}

static void test_stats(void **state)
{
    struct fx *fx = *state;
    struct store_stats s;
    unsigned char d[32];
    struct store_file f;
    int i;

    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.blobs, 0);
    assert_string_equal(s.last_release, "");
    assert_int_equal(s.last_release_time, 0);
    assert_int_equal(s.map_size, TEST_MAP_SIZE);
    assert_true(s.map_used > 0);
    /* README "every write commits durably": store_open never sets MDB_NOSYNC,
     * MDB_NOMETASYNC or MDB_MAPASYNC */
    assert_int_equal(s.durable, 1);
    for (i = 0; i < 10; i++)
        put_seed(fx->st, i, 1000 * (i + 1), d);
    put_seed(fx->st, 3, 4000, d); /* again: not counted */
    f = file_of("/x", d, "text/plain");
    assert_int_equal(store_publish(fx->st, "r", 1, &f, 1, 5, NULL, NULL, NULL), STORE_OK);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.blobs, 10);
    assert_int_equal(s.blob_bytes, 55000);
    assert_int_equal(s.variants, 0);
    assert_int_equal(s.paths, 1);
    assert_int_equal(s.releases, 1);
    assert_string_equal(s.last_release, "r");
    assert_int_equal(s.last_release_time, 5);
    assert_true(s.map_used >= 55000);
}

/* ------------------------------------------------------------------ */
/* Failure modes                                                        */

static void test_map_full(void **state)
{
    char dir[64], sub[128];
    struct store_options o = {0};
    struct store *st;
    struct store_stats s;
    struct store_reader *r;
    struct store_blob b;
    unsigned char buf[65536], d[64][32];
    int i, n = 0, rc = STORE_OK;

    (void)state;
    make_tmpdir(dir);
    snprintf(sub, sizeof(sub), "%s/s", dir);
    o.map_size = 1u << 20;
    assert_int_equal(store_open(sub, &o, &st), STORE_OK);
    for (i = 0; i < 64; i++) {
        fill(buf, sizeof(buf), i);
        store_sha256(buf, sizeof(buf), d[i]);
        rc = store_put_blob(st, d[i], buf, sizeof(buf), NULL);
        if (rc != STORE_OK)
            break;
        n++;
    }
    assert_int_equal(rc, STORE_EFULL);
    assert_true(n >= 5);
    /* Still readable, earlier data intact, the failed blob absent. */
    assert_int_equal(store_stats(st, &s), STORE_OK);
    assert_int_equal(s.blobs, n);
    assert_int_equal(store_reader_begin(st, &r), STORE_OK);
    for (i = 0; i < n; i++) {
        fill(buf, sizeof(buf), i);
        assert_int_equal(store_get_blob(r, d[i], STORE_ENC_IDENTITY, &b), STORE_OK);
        assert_memory_equal(b.data, buf, sizeof(buf));
    }
    assert_int_equal(store_get_blob(r, d[n], STORE_ENC_IDENTITY, &b), STORE_ENOTFOUND);
    store_reader_end(r);
    assert_fsck_ok(st);
    /* A batch that overflows also fails as a whole. */
    {
        struct store_batch *bt;
        unsigned char small[32];
        int brc = STORE_OK;

        assert_int_equal(store_batch_begin(st, &bt), STORE_OK);
        for (i = 0; i < 64 && brc == STORE_OK; i++) {
            fill(buf, sizeof(buf), 1000 + i);
            store_sha256(buf, sizeof(buf), small);
            brc = store_batch_put(bt, small, buf, sizeof(buf), NULL);
        }
        if (brc == STORE_OK)
            brc = store_batch_commit(bt);
        else
            assert_int_equal(store_batch_commit(bt), STORE_EFULL);
        assert_int_equal(brc, STORE_EFULL);
    }
    assert_int_equal(store_stats(st, &s), STORE_OK);
    assert_int_equal(s.blobs, n);
    /* Small writes may still fit. */
    put_seed(st, 5000, 10, d[0]);
    assert_fsck_ok(st);
    store_close(st);
    /* Reopens fine. */
    assert_int_equal(store_open(sub, &o, &st), STORE_OK);
    assert_fsck_ok(st);
    store_close(st);
    rm_rf(dir);
}

#ifdef ORIGIND_TEST_HOOKS
/* Fault injection (store_fault_set) exists only in builds with the test
 * hooks: these helpers and test_fault_injection are compiled, and the test
 * registered, only there (a Release build has neither). */

/* One complete workload: a batch of blobs and a variant, then a release. */
static int workload(struct store *st, int round, int *stage)
{
    struct store_batch *b = NULL;
    unsigned char buf[8000], d[4][32], *gz;
    struct store_file files[4];
    size_t gz_len;
    char paths[4][32];
    int i, rc;

    *stage = 0;
    for (i = 0; i < 4; i++) {
        fill(buf, 2000 * (i + 1), 10 * round + i);
        store_sha256(buf, 2000 * (i + 1), d[i]);
    }
    rc = store_batch_begin(st, &b);
    if (rc != STORE_OK)
        return rc;
    for (i = 0; i < 4; i++) {
        fill(buf, 2000 * (i + 1), 10 * round + i);
        rc = store_batch_put(b, d[i], buf, 2000 * (i + 1), NULL);
        if (rc != STORE_OK) {
            store_batch_abort(b);
            return rc;
        }
    }
    fill(buf, 2000, 10 * round);
    gz = gzip_bytes(buf, 2000, &gz_len);
    rc = store_batch_put_variant(b, d[0], STORE_ENC_GZIP, gz, gz_len, NULL);
    free(gz);
    if (rc != STORE_OK) {
        store_batch_abort(b);
        return rc;
    }
    rc = store_batch_commit(b);
    if (rc != STORE_OK)
        return rc;
    *stage = 1;
    for (i = 0; i < 4; i++) {
        snprintf(paths[i], sizeof(paths[i]), "/r%d/f%d.bin", round, i);
        files[i] = file_of(paths[i], d[i], "application/octet-stream");
    }
    snprintf(paths[0], sizeof(paths[0]), "/r%d/f0.bin", round);
    {
        char id[16];

        snprintf(id, sizeof(id), "rel%d", round);
        rc = store_publish(st, id, strlen(id), files, 4, 1000 + round, NULL, NULL, NULL);
    }
    return rc;
}

/* After a failed workload: either none or all of each stage is there. */
static void check_workload_atomic(struct store *st, int round)
{
    unsigned char buf[8000], d[4][32], miss[4];
    struct store_reader *r;
    char id[16];
    int i, nmiss = 0, rrc;

    for (i = 0; i < 4; i++) {
        fill(buf, 2000 * (i + 1), 10 * round + i);
        store_sha256(buf, 2000 * (i + 1), d[i]);
    }
    assert_int_equal(store_missing(st, (const unsigned char(*)[32])d, 4, miss), STORE_OK);
    for (i = 0; i < 4; i++)
        nmiss += miss[i];
    assert_true(nmiss == 0 || nmiss == 4);
    snprintf(id, sizeof(id), "rel%d", round);
    assert_int_equal(store_reader_begin(st, &r), STORE_OK);
    rrc = store_release_get(r, id, strlen(id), NULL, NULL, NULL);
    for (i = 0; i < 4; i++) {
        char path[32];
        struct store_asset a;

        snprintf(path, sizeof(path), "/r%d/f%d.bin", round, i);
        assert_int_equal(store_lookup(r, path, strlen(path), &a),
                         rrc == STORE_OK ? STORE_OK : STORE_ENOTFOUND);
    }
    store_reader_end(r);
    assert_fsck_ok(st);
}

static void test_fault_injection(void **state)
{
    struct fx *fx = *state;
    int point, round = 0;

    for (point = 0; point < STORE_FAULT_COUNT; point++) {
        unsigned n;
        int fired = 0;

        round++;
        for (n = 1; n < 200; n++) {
            int stage, rc;
            uint64_t before = store_faults_fired();

            store_fault_set((enum store_fault_point)point, n);
            rc = workload(fx->st, round, &stage);
            store_fault_set((enum store_fault_point)point, 0);
            if (rc != STORE_OK && rc != STORE_EFAULT)
                fail_msg("point %d countdown %u: %s", point, n, store_strerror(rc));
            /* the store reports a fault exactly when one fired */
            assert_int_equal(store_faults_fired() - before, rc == STORE_EFAULT ? 1 : 0);
            check_workload_atomic(fx->st, round);
            if (rc == STORE_OK)
                break;
            assert_int_equal(rc, STORE_EFAULT);
            fired++;
        }
        assert_true(n < 200);
        assert_true(fired >= 1);
    }
    /* Armed from the environment at open (another store: LMDB forbids opening
     * one environment twice in a process). */
    {
        struct store *st2;
        unsigned char d[32];
        unsigned char buf[100];
        char other[128];

        struct store_options o = {0};

        o.map_size = TEST_MAP_SIZE;
        snprintf(other, sizeof(other), "%s/other", fx->dir);
        setenv("ORIGIND_FAULT", "commit:1", 1);
        assert_int_equal(store_open(other, &o, &st2), STORE_OK);
        unsetenv("ORIGIND_FAULT");
        fill(buf, sizeof(buf), 4242);
        store_sha256(buf, sizeof(buf), d);
        assert_int_equal(store_put_blob(st2, d, buf, sizeof(buf), NULL), STORE_EFAULT);
        assert_int_equal(store_put_blob(st2, d, buf, sizeof(buf), NULL), STORE_OK); /* one shot */
        store_close(st2);
        setenv("ORIGIND_FAULT", "bogus:1,write:x,alloc:", 1);
        assert_int_equal(store_open(other, &o, &st2), STORE_OK);
        unsetenv("ORIGIND_FAULT");
        store_close(st2);
    }
    assert_fsck_ok(fx->st);
}
#endif /* ORIGIND_TEST_HOOKS */

/* store_stats writes *out only on success: a damaged retention record
 * (read after the counters) is STORE_ECORRUPT and leaves *out as it was
 * (it used to be half filled). */
static void test_stats_out_on_success(void **state)
{
    struct fx *fx = *state;
    struct store_stats s, before;
    char sdir[128];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {10, "prunestats"}, v = {5, "short"};

    snprintf(sdir, sizeof(sdir), "%s/s", fx->dir);
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)TEST_MAP_SIZE), 0);
    assert_int_equal(mdb_env_open(env, sdir, 0, 0640), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(store_open(sdir, &test_opts, &fx->st), STORE_OK);
    memset(&s, 0xab, sizeof(s));
    before = s;
    assert_int_equal(store_stats(fx->st, &s), STORE_ECORRUPT);
    assert_memory_equal(&s, &before, sizeof(s));
}

/* One writer per store: a second writable open of a held store, in this
 * process or any other, is STORE_ELOCKED and store_holder() names this pid;
 * a read-only open runs beside it; the lock goes with the handle. */
static void test_writer_lock(void **state)
{
    struct fx *fx = *state;
    struct store_options ro = test_opts;
    struct store *second = NULL, *reader = NULL;
    char sdir[128];
    long pid = -1;
    struct store_stats s;

    snprintf(sdir, sizeof(sdir), "%s/s", fx->dir);
    assert_int_equal(store_open(sdir, &test_opts, &second), STORE_ELOCKED);
    assert_null(second);
    assert_int_equal(store_holder(sdir, &pid), STORE_OK);
    assert_int_equal(pid, (long)getpid());
    assert_string_equal(store_strerror(STORE_ELOCKED),
                        "store held by another process (one writer per store)");

    ro.read_only = 1;
    assert_int_equal(store_open(sdir, &ro, &reader), STORE_OK);
    assert_int_equal(store_stats(reader, &s), STORE_OK);
    store_close(reader);
    /* closing the reader did not drop the writer's lock */
    assert_int_equal(store_open(sdir, &test_opts, &second), STORE_ELOCKED);

    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(store_holder(sdir, &pid), STORE_ENOTFOUND);
    assert_int_equal(store_open(sdir, &test_opts, &fx->st), STORE_OK);
    assert_int_equal(store_holder(NULL, &pid), STORE_EINVAL);
}

static void test_backup(void **state)
{
    struct fx *fx = *state;
    struct store_stats s1, s2;
    struct store *copy;
    char out[160], dir2[128], path[200];
    unsigned char d[32];
    struct store_file f;
    int i;

    for (i = 0; i < 50; i++)
        put_seed(fx->st, i, 100 * i + 1, d);
    f = file_of("/x.bin", d, "application/octet-stream");
    assert_int_equal(store_publish(fx->st, "b1", 2, &f, 1, 77, NULL, NULL, NULL), STORE_OK);
    snprintf(out, sizeof(out), "%s/backup.mdb", fx->dir);
    assert_int_equal(store_backup(fx->st, out, -1), STORE_OK);
    /* The target must not exist. */
    assert_int_equal(store_backup(fx->st, out, -1), STORE_EIO);
    snprintf(dir2, sizeof(dir2), "%s/restored", fx->dir);
    assert_int_equal(mkdir(dir2, 0750), 0);
    snprintf(path, sizeof(path), "%s/data.mdb", dir2);
    assert_int_equal(rename(out, path), 0);
    assert_int_equal(store_open(dir2, &test_opts, &copy), STORE_OK);
    assert_fsck_ok(copy);
    assert_int_equal(store_stats(fx->st, &s1), STORE_OK);
    assert_int_equal(store_stats(copy, &s2), STORE_OK);
    assert_int_equal(s1.blobs, s2.blobs);
    assert_int_equal(s1.blob_bytes, s2.blob_bytes);
    assert_int_equal(s1.paths, s2.paths);
    assert_int_equal(s1.releases, s2.releases);
    assert_string_equal(s1.last_release, s2.last_release);
    store_close(copy);
    /* To a file descriptor. */
    {
        int fd;

        snprintf(out, sizeof(out), "%s/backup2.mdb", fx->dir);
        fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0640);
        assert_true(fd >= 0);
        assert_int_equal(store_backup(fx->st, NULL, fd), STORE_OK);
        close(fd);
    }
}

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0640), rc = 0;

    if (in < 0 || out < 0)
        rc = -1;
    while (rc == 0 && (n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n)
            rc = -1;
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/* fsck checks paths and release entries against the digests of the blobs
 * walk (issue 19: no B-tree descent per entry). With 300 blobs published
 * and the smallest, the largest and a middle digest deleted behind the
 * store's back, it must name exactly those three, once as a path and once
 * as a release entry each, and nothing else but the counters. */
struct absent_seen {
    int paths, entries, other;
    unsigned char d[8][32];
    int nd;
};

static void on_absent(void *arg, const unsigned char digest[32], int enc, const char *why)
{
    struct absent_seen *a = arg;

    (void)enc;
    if (strcmp(why, "path bound to an absent blob") == 0)
        a->paths++;
    else if (strcmp(why, "release names an absent blob") == 0)
        a->entries++;
    else if (strcmp(why, "counters disagree with contents") != 0)
        a->other++;
    if (strstr(why, "absent") != NULL && a->nd < 8)
        memcpy(a->d[a->nd++], digest, 32);
}

static int cmp_digest(const void *x, const void *y)
{
    return memcmp(x, y, 32);
}

static void test_fsck_absent_blob(void **state)
{
    struct fx *fx = *state;
    enum { N = 300 };
    static unsigned char d[N][32], sorted[N][32];
    static char names[N][32];
    static struct store_file files[N];
    struct absent_seen seen;
    MDB_txn *txn;
    int created, i, k;
    const int gone[3] = {0, N / 2, N - 1}; /* indexes into sorted[] */

    for (i = 0; i < N; i++) {
        put_seed(fx->st, 1000 + (uint64_t)i, 100 + (size_t)i, d[i]);
        snprintf(names[i], sizeof(names[i]), "/assets/f%d.css", i);
        files[i] = file_of(names[i], d[i], "text/css");
    }
    assert_int_equal(store_publish(fx->st, "r1", 2, files, N, 1, &created, NULL, NULL), STORE_OK);
    assert_fsck_ok(fx->st);
    memcpy(sorted, d, sizeof(d));
    qsort(sorted, N, 32, cmp_digest);
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, 0, &txn), MDB_SUCCESS);
    for (k = 0; k < 3; k++) {
        MDB_val key = {32, sorted[gone[k]]};

        assert_int_equal(mdb_del(txn, fx->st->blobs, &key, NULL), MDB_SUCCESS);
    }
    assert_int_equal(mdb_txn_commit(txn), MDB_SUCCESS);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(store_fsck(fx->st, NULL, on_absent, &seen), STORE_ECORRUPT);
    assert_int_equal(seen.paths, 3);
    assert_int_equal(seen.entries, 3);
    assert_int_equal(seen.other, 0);
    for (k = 0; k < 3; k++) {
        int hits = 0, j;

        for (j = 0; j < seen.nd; j++)
            hits += memcmp(seen.d[j], sorted[gone[k]], 32) == 0;
        assert_int_equal(hits, 2);
    }
}

/* fsck merges the variant walk against the blob walk (both in digest
 * order): every variant of a present blob verifies against that blob's
 * size, and a variant whose blob is gone is named, whatever its place. */
static void count_variant_absent(void *arg, const unsigned char *digest, int enc, const char *why)
{
    int *n = arg;

    (void)digest;
    (void)enc;
    if (strcmp(why, "variant of an absent blob") == 0)
        (*n)++;
}

static void test_fsck_variant_merge(void **state)
{
    struct fx *fx = *state;
    enum { N = 200 };
    static unsigned char d[N][32];
    unsigned char buf[2000], *gz;
    MDB_txn *txn;
    size_t gz_len;
    int i, created, absent = 0, gone = 0;

    for (i = 0; i < N; i++) {
        put_seed(fx->st, 5000 + (uint64_t)i, 300 + (size_t)i, d[i]);
        if (i % 3 != 0)
            continue;
        fill(buf, 300 + (size_t)i, 5000 + (uint64_t)i);
        gz = gzip_bytes(buf, 300 + (size_t)i, &gz_len);
        assert_int_equal(store_put_variant(fx->st, d[i], STORE_ENC_GZIP, gz, gz_len, &created),
                         STORE_OK);
        free(gz);
    }
    assert_fsck_ok(fx->st);
    /* remove two blobs that have a variant, and one that has none */
    assert_int_equal(mdb_txn_begin(fx->st->env, NULL, 0, &txn), MDB_SUCCESS);
    for (i = 0; i < N && gone < 3; i++) {
        MDB_val key = {32, d[i]};

        if ((gone < 2 && i % 3 == 0 && i > 0) || (gone == 2 && i % 3 == 1)) {
            assert_int_equal(mdb_del(txn, fx->st->blobs, &key, NULL), MDB_SUCCESS);
            gone++;
        }
    }
    assert_int_equal(mdb_txn_commit(txn), MDB_SUCCESS);
    assert_int_equal(store_fsck(fx->st, NULL, count_variant_absent, &absent), STORE_ECORRUPT);
    assert_int_equal(absent, 2);
}

static void test_fsck_corruption(void **state)
{
    struct fx *fx = *state;
    unsigned char d[32], other[32], byte;
    char from[160], dir2[128], to[200];
    struct store_reader *r;
    struct store_blob b;
    struct store *copy;
    uint64_t offset;
    int fd, bad = 0;

    put_seed(fx->st, 1, 1000, other);
    put_seed(fx->st, 2, 20000, d);
    put_seed(fx->st, 3, 300, other);
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(store_get_blob(r, d, STORE_ENC_IDENTITY, &b), STORE_OK);
    offset = b.offset + 12345;
    store_reader_end(r);

    snprintf(from, sizeof(from), "%s/data.mdb", store_dir(fx->st));
    snprintf(dir2, sizeof(dir2), "%s/copy", fx->dir);
    assert_int_equal(mkdir(dir2, 0750), 0);
    snprintf(to, sizeof(to), "%s/data.mdb", dir2);
    assert_int_equal(copy_file(from, to), 0);
    fd = open(to, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &byte, 1, (off_t)offset), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, (off_t)offset), 1);
    close(fd);

    assert_int_equal(store_open(dir2, &test_opts, &copy), STORE_OK);
    memset(last_bad_digest, 0, 32);
    assert_int_equal(store_fsck(copy, NULL, on_bad, &bad), STORE_ECORRUPT);
    assert_int_equal(bad, 1);
    assert_memory_equal(last_bad_digest, d, 32);
    store_close(copy);
    assert_fsck_ok(fx->st);
    (void)count_fsck_bad;
}

static void test_reader_pool(void **state)
{
    struct fx *fx = *state;
    struct store_reader *rs[20000];
    int i, n = 0, rc = STORE_OK;

    for (i = 0; i < 10000; i++) {
        assert_int_equal(store_reader_begin(fx->st, &rs[0]), STORE_OK);
        store_reader_end(rs[0]);
    }
    /* Readers full: STORE_EBUSY, then fine again after ending some. */
    {
        char dir[64], sub[128];
        struct store_options o = {0};
        struct store *st;

        make_tmpdir(dir);
        snprintf(sub, sizeof(sub), "%s/s", dir);
        o.max_readers = 4;
        o.map_size = TEST_MAP_SIZE;
        assert_int_equal(store_open(sub, &o, &st), STORE_OK);
        for (n = 0; n < 20000; n++) {
            rc = store_reader_begin(st, &rs[n]);
            if (rc != STORE_OK)
                break;
        }
        assert_int_equal(rc, STORE_EBUSY);
        assert_true(n >= 4 && n < 1000);
        store_reader_end(rs[--n]);
        assert_int_equal(store_reader_begin(st, &rs[n]), STORE_OK);
        n++;
        for (i = 0; i < n; i++)
            store_reader_end(rs[i]);
        store_close(st);
        rm_rf(dir);
    }
}

/* ------------------------------------------------------------------ */
/* One writer, several readers                                          */

#define CONC_BLOBS   1500
#define CONC_READERS 3

struct conc {
    struct store *st;
    _Atomic int done;
    _Atomic long verified;
    _Atomic int published; /* releases published so far */
    _Atomic int errors;
};

static void *conc_writer(void *arg)
{
    struct conc *c = arg;
    unsigned char buf[6000], d[32];
    int i, rel = 0;

    for (i = 0; i < CONC_BLOBS; i += 50) {
        struct store_batch *b;
        struct store_file files[50];
        char paths[50][32], id[16];
        unsigned char ds[50][32];
        int j;

        if (store_batch_begin(c->st, &b) != STORE_OK) {
            c->errors++;
            break;
        }
        for (j = 0; j < 50; j++) {
            size_t len = 100 + (size_t)((i + j) * 37 % 5900);

            fill(buf, len, 77000 + i + j);
            store_sha256(buf, len, d);
            memcpy(ds[j], d, 32);
            if (store_batch_put(b, d, buf, len, NULL) != STORE_OK)
                c->errors++;
            snprintf(paths[j], sizeof(paths[j]), "/c/%d.bin", i + j);
            files[j] = file_of(paths[j], ds[j], "application/octet-stream");
        }
        if (store_batch_commit(b) != STORE_OK)
            c->errors++;
        snprintf(id, sizeof(id), "c%d", rel);
        if (store_publish(c->st, id, strlen(id), files, 50, rel, NULL, NULL, NULL) != STORE_OK)
            c->errors++;
        rel++;
        c->published = rel;
    }
    c->done = 1;
    return NULL;
}

static int conc_verify_blob(void *arg, const unsigned char digest[32], uint64_t size,
                            unsigned variants)
{
    struct store_reader *r = arg;
    struct store_blob b;
    unsigned char got[32];

    (void)variants;
    if (store_get_blob(r, digest, STORE_ENC_IDENTITY, &b) != STORE_OK || b.len != size)
        return 1;
    store_sha256(b.data, b.len, got);
    return memcmp(got, digest, 32) != 0;
}

static void *conc_reader(void *arg)
{
    struct conc *c = arg;
    unsigned seed = (unsigned)(uintptr_t)&seed;

    while (!c->done) {
        struct store_reader *r;
        int rels = c->published, k;

        if (store_reader_begin(c->st, &r) != STORE_OK) {
            c->errors++;
            break;
        }
        /* Every path of every release published before we began resolves and verifies. */
        for (k = 0; k < 20 && rels > 0; k++) {
            int idx = (int)(rand_r(&seed) % (unsigned)(rels * 50));
            char path[32];
            struct store_asset a;
            unsigned char got[32];

            snprintf(path, sizeof(path), "/c/%d.bin", idx);
            if (store_lookup(r, path, strlen(path), &a) != STORE_OK) {
                c->errors++;
                continue;
            }
            store_sha256(a.body[0].data, a.body[0].len, got);
            if (memcmp(got, a.digest, 32) != 0)
                c->errors++;
            else
                c->verified++;
        }
        {
            unsigned char after[32];

            fill(after, 32, rand_r(&seed));
            if (store_list_blobs(r, after, 30, conc_verify_blob, r) != STORE_OK)
                c->errors++;
        }
        store_reader_end(r);
        usleep(200); /* let the writer run (valgrind runs one thread at a time) */
    }
    return NULL;
}

static void *end_elsewhere(void *arg)
{
    store_reader_end(arg);
    return NULL;
}

static void test_concurrent(void **state)
{
    struct fx *fx = *state;
    pthread_t w, rd[CONC_READERS], t;
    struct conc c;
    struct store_reader *r;
    struct store_stats s;
    int i;

    memset(&c, 0, sizeof(c));
    c.st = fx->st;
    assert_int_equal(pthread_create(&w, NULL, conc_writer, &c), 0);
    for (i = 0; i < CONC_READERS; i++)
        assert_int_equal(pthread_create(&rd[i], NULL, conc_reader, &c), 0);
    /* A reader begun here and ended on another thread (MDB_NOTLS). */
    assert_int_equal(store_reader_begin(fx->st, &r), STORE_OK);
    assert_int_equal(pthread_create(&t, NULL, end_elsewhere, r), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(pthread_join(w, NULL), 0);
    for (i = 0; i < CONC_READERS; i++)
        assert_int_equal(pthread_join(rd[i], NULL), 0);
    assert_int_equal(c.errors, 0);
    assert_true(c.verified > 0);
    assert_int_equal(store_stats(fx->st, &s), STORE_OK);
    assert_int_equal(s.blobs, CONC_BLOBS);
    assert_int_equal(s.releases, CONC_BLOBS / 50);
    assert_fsck_ok(fx->st);
}

/* store_open (of fsck, stats, backup, sync) finds its map by comparing the
 * data file's first page with the mapping; a live writer rewrites meta
 * page 0 on every other commit, so only its stable head may be compared. */
static void test_meta_head_stable_across_commits(void **state)
{
    struct fx *fx = *state;
    unsigned char before[64], after[64], d[32];
    char path[4200];
    int fd, i, changed = 0;

    snprintf(path, sizeof(path), "%s/s/data.mdb", fx->dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, before, sizeof(before), 0), (ssize_t)sizeof(before));
    for (i = 0; i < 4 && !changed; i++) {
        put_seed(fx->st, 100 + (uint64_t)i, 64, d); /* one commit each */
        assert_int_equal(pread(fd, after, sizeof(after), 0), (ssize_t)sizeof(after));
        changed = memcmp(before + 40, after + 40, 24) != 0;
    }
    close(fd);
    assert_true(changed); /* the hazard is real: bytes 40-63 moved */
    assert_true(store__meta_same_env(before, after));
    after[20] ^= 1; /* mm_version: another format */
    assert_false(store__meta_same_env(before, after));
}

/* Uploads are verified before the writer lock: a bad blob or variant is
 * refused while another writer holds the lock (before, they queued behind
 * it: 256 MiB of hashing blocked every other writer, heals included). */
struct side_put {
    struct store *st;
    unsigned char digest[32];
    const unsigned char *data;
    size_t len;
    int enc; /* STORE_ENC_IDENTITY: a blob */
    _Atomic int done;
    int rc;
};

static void *side_put_thread(void *arg)
{
    struct side_put *sp = arg;

    if (sp->enc == STORE_ENC_IDENTITY)
        sp->rc = store_put_blob(sp->st, sp->digest, sp->data, sp->len, NULL);
    else
        sp->rc = store_put_variant(sp->st, sp->digest, sp->enc, sp->data, sp->len, NULL);
    atomic_store(&sp->done, 1);
    return NULL;
}

/* Runs sp on another thread while this one holds a write batch; returns
 * whether it finished within 2 s, the lock still held. */
static int finishes_beside_writer(struct store *st, struct side_put *sp)
{
    struct store_batch *b = NULL;
    pthread_t t;
    int i, done = 0;

    assert_int_equal(store_batch_begin(st, &b), STORE_OK);
    assert_int_equal(pthread_create(&t, NULL, side_put_thread, sp), 0);
    for (i = 0; i < 200 && !done; i++) {
        struct timespec ts = {0, 10 * 1000000L};

        nanosleep(&ts, NULL);
        done = atomic_load(&sp->done);
    }
    store_batch_abort(b);
    pthread_join(t, NULL);
    return done;
}

static void test_verify_before_writer(void **state)
{
    struct fx *fx = *state;
    size_t len = 4u << 20;
    unsigned char *data = malloc(len), d[32];
    struct side_put sp;

    assert_non_null(data);
    memset(data, 'a', len);
    put_seed(fx->st, 7, 1000, d);

    memset(&sp, 0, sizeof(sp));
    sp.st = fx->st;
    memset(sp.digest, 0x5a, 32); /* not the bytes' digest */
    sp.data = data;
    sp.len = len;
    sp.enc = STORE_ENC_IDENTITY;
    assert_true(finishes_beside_writer(fx->st, &sp));
    assert_int_equal(sp.rc, STORE_EDIGEST);

    memset(&sp, 0, sizeof(sp));
    sp.st = fx->st;
    memcpy(sp.digest, d, 32);
    sp.data = data; /* not gzip at all */
    sp.len = 4096;
    sp.enc = STORE_ENC_GZIP;
    assert_true(finishes_beside_writer(fx->st, &sp));
    assert_int_equal(sp.rc, STORE_EVARIANT);
    free(data);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_path_valid),
        cmocka_unit_test(test_id_type_valid),
        cmocka_unit_test(test_type_compressible),
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test_setup_teardown(test_read_only_beside_live, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_head_stable_across_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_before_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_small_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_wrong_digest, setup, teardown),
        cmocka_unit_test(test_default_map),
        cmocka_unit_test(test_put_too_big),
        cmocka_unit_test_setup_teardown(test_put_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_100k, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_path_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_release_conflict_and_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish_bad_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_get_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test(test_map_full),
#ifdef ORIGIND_TEST_HOOKS
        cmocka_unit_test_setup_teardown(test_fault_injection, setup, teardown),
#endif
        cmocka_unit_test_setup_teardown(test_writer_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_out_on_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_variant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsck_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsck_absent_blob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsck_variant_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
    };

    if (realpath(argv[0], self_path) == NULL)
        snprintf(self_path, sizeof(self_path), "%s", argv[0]);
    if (argc == 4 && strcmp(argv[1], "--read-only-child") == 0)
        return read_only_child_main(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 2) /* run only the tests whose name matches (ctest unit_store_concurrent) */
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
