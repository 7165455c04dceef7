/*
 * test_secret_file.c - cmocka unit tests for common/secret_file.c, the one
 * token/secret-file reader: lines, comments, blanks and CRLF; what is
 * refused (a byte that cannot go in a header, an over-long token, too many
 * tokens, no token, an oversized file) with SECRET_EFORMAT and a reason that
 * names the line but never the content; SECRET_EIO for a missing file; the
 * permission flag; secret_file_create (a fresh 0600 token file that the
 * reader accepts, an existing file left alone, a directory that is not
 * there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret_file.h"

static char path[256];

/* Writes len bytes of data to a fresh temp file (mode) and sets path. */
static void write_file(const void *data, size_t len, mode_t mode)
{
    FILE *f;

    snprintf(path, sizeof(path), "%s/secret-test-%ld", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (long)getpid());
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

#define WRITE(lit, mode) write_file((lit), sizeof(lit) - 1, (mode))

static void test_list(void **state)
{
    struct secret_list l;
    char err[256];
    int loose = -1;

    WRITE("# rotation\r\n  tok-one  \r\n\n\t\n#tok-not\ntok_two", 0600);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(loose, 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.tok[0], "tok-one");
    assert_int_equal(l.len[0], 7);
    assert_string_equal(l.tok[1], "tok_two");
    secret_list_free(&l);
    assert_int_equal(l.n, 0);
    unlink(path);
}

static void test_one(void **state)
{
    char err[256], *tok = NULL;
    size_t len = 0;
    int loose = 0;

    WRITE("s3cret\n", 0640);
    assert_int_equal(secret_file_read_one(path, &tok, &len, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(loose, 0); /* group may read */
    assert_string_equal(tok, "s3cret");
    assert_int_equal(len, 6);
    secret_free(tok, len);
    WRITE("a\nb\n", 0604);
    assert_int_equal(secret_file_read_one(path, &tok, &len, &loose, err, sizeof(err)),
                     SECRET_EFORMAT);
    assert_non_null(strstr(err, "holds 2 tokens, expected one"));
    unlink(path);
}

static void test_refused(void **state)
{
    static const struct {
        const char *data;
        const char *why;
    } cases[] = {
        {"good\nbad token\n", "line 2: a byte that cannot go in an HTTP header"},
        {"x\x7f\n", "line 1: a byte"},
        {"\xc3\xa9t\xc3\xa9\n", "line 1: a byte"},
        {"# only a comment\n\n", "holds no token"},
        {"", "holds no token"},
    };
    struct secret_list l;
    char err[256];
    int loose;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(cases[i].data, strlen(cases[i].data), 0600);
        assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)),
                         SECRET_EFORMAT);
        assert_non_null(strstr(err, cases[i].why));
        assert_null(strstr(err, "good"));
        assert_null(strstr(err, "token\n"));
        assert_int_equal(l.n, 0);
    }
    /* with SECRET_LIST_EMPTY_OK, no token is an empty list (revocation) */
    write_file("# all revoked\n\n", 15, 0600);
    assert_int_equal(
        secret_file_read_list(path, SECRET_LIST_EMPTY_OK, &l, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(l.n, 0);
    secret_list_free(&l);
    unlink(path);
}

static void test_limits(void **state)
{
    struct secret_list l;
    char err[256], *buf = malloc(SECRET_FILE_MAX + 2);
    size_t n = 0;
    int loose, i;

    assert_non_null(buf);
    /* a token of exactly SECRET_TOKEN_MAX bytes is fine, one more is not */
    memset(buf, 'k', SECRET_TOKEN_MAX);
    write_file(buf, SECRET_TOKEN_MAX, 0600);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(l.len[0], SECRET_TOKEN_MAX);
    secret_list_free(&l);
    memset(buf, 'k', SECRET_TOKEN_MAX + 1);
    write_file(buf, SECRET_TOKEN_MAX + 1, 0600);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_EFORMAT);
    assert_non_null(strstr(err, "at most"));
    /* SECRET_LIST_MAX tokens are fine, one more is not */
    for (i = 0; i <= SECRET_LIST_MAX; i++)
        n += (size_t)snprintf(buf + n, 16, "t%d\n", i);
    write_file(buf, n - 4, 0600); /* without the last one */
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(l.n, SECRET_LIST_MAX);
    secret_list_free(&l);
    write_file(buf, n, 0600);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_EFORMAT);
    assert_non_null(strstr(err, "more than"));
    /* a file over SECRET_FILE_MAX is refused before any parsing */
    memset(buf, '\n', SECRET_FILE_MAX + 1);
    buf[0] = 'x';
    write_file(buf, SECRET_FILE_MAX + 1, 0600);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_EFORMAT);
    assert_non_null(strstr(err, "larger than"));
    free(buf);
    unlink(path);
}

static void test_io_and_mode(void **state)
{
    struct secret_list l;
    char err[256];
    int loose = 0;

    assert_int_equal(secret_file_read_list("/nonexistent/secret", 0, &l, &loose, err, sizeof(err)),
                     SECRET_EIO);
    assert_non_null(strstr(err, "cannot open /nonexistent/secret"));
    WRITE("tok\n", 0644);
    assert_int_equal(secret_file_read_list(path, 0, &l, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(loose, 1); /* others may read */
    secret_list_free(&l);
    unlink(path);
}

static void test_create(void **state)
{
    char err[256], *tok = NULL;
    size_t len = 0;
    int created = -1, loose = 1;
    struct stat sb;

    snprintf(path, sizeof(path), "%s/secret-create-%ld",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    unlink(path);
    assert_int_equal(secret_file_create(path, "admin token file", &created, err, sizeof(err)),
                     SECRET_OK);
    assert_int_equal(created, 1);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 65);
    assert_int_equal(secret_file_read_one(path, &tok, &len, &loose, err, sizeof(err)), SECRET_OK);
    assert_int_equal(len, 64);
    assert_int_equal(strspn(tok, "0123456789abcdef"), 64);
    assert_int_equal(loose, 0);
    secret_free(tok, len);
    assert_int_equal(secret_file_create(path, "admin token file", &created, err, sizeof(err)),
                     SECRET_OK);
    assert_int_equal(created, 0);
    unlink(path);
    assert_int_equal(secret_file_create("/nonexistent/admin.token", "admin token file", &created,
                                        err, sizeof(err)),
                     SECRET_EIO);
    assert_non_null(strstr(err, "cannot create admin token file /nonexistent/admin.token: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),        cmocka_unit_test(test_one),
        cmocka_unit_test(test_refused),     cmocka_unit_test(test_limits),
        cmocka_unit_test(test_io_and_mode), cmocka_unit_test(test_create),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
