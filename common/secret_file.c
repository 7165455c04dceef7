/*
 * secret_file.c - the one token/secret-file reader (rules in
 * secret_file.h), shared by origind and origin-ingest; and the writer of a
 * fresh random token file (origind serve without --admin-token-file).
 *
 * Not for: deciding what a token may do (server/auth.c) or logging (callers
 * log the reason this returns; this file never prints).
 */
#include "secret_file.h"

#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

void secret_free(char *s, size_t len)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s, len);
    free(s);
}

void secret_list_free(struct secret_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        secret_free(l->tok[i], l->len[i]);
    memset(l, 0, sizeof(*l));
}

/* Reads path whole into buf (cap bytes); *n its size. Returns SECRET_OK,
 * SECRET_EIO or SECRET_EFORMAT (too large), with err. */
static int read_whole(const char *path, char *buf, size_t cap, size_t *n, int *loose, char *err,
                      size_t errlen)
{
    struct stat sb;
    int fd, rc = SECRET_EIO;

    *n = 0;
    *loose = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return SECRET_EIO;
    }
    if (fstat(fd, &sb) == 0 && (sb.st_mode & 007) != 0)
        *loose = 1;
    for (;;) {
        ssize_t r = read(fd, buf + *n, cap - *n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        *n += (size_t)r;
        if (*n == cap) {
            snprintf(err, errlen, "%s is larger than %d bytes", path, SECRET_FILE_MAX);
            rc = SECRET_EFORMAT;
            goto out;
        }
    }
    rc = SECRET_OK;
out:
    close(fd);
    return rc;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

int secret_file_read_list(const char *path, unsigned flags, struct secret_list *out, int *loose,
                          char *err, size_t errlen)
{
    char *buf = malloc(SECRET_FILE_MAX + 1);
    size_t n = 0, pos = 0, line = 0, i;
    struct secret_list l;
    int rc = SECRET_EFORMAT;

    memset(&l, 0, sizeof(l));
    memset(out, 0, sizeof(*out));
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return SECRET_EIO;
    }
    rc = read_whole(path, buf, SECRET_FILE_MAX + 1, &n, loose, err, errlen);
    if (rc != SECRET_OK)
        goto out;
    rc = SECRET_EFORMAT;
    while (pos < n) {
        size_t start = pos, end;
        const char *nl = memchr(buf + pos, '\n', n - pos);

        end = nl != NULL ? (size_t)(nl - buf) : n;
        pos = nl != NULL ? end + 1 : n;
        line++;
        while (start < end && is_blank(buf[start]))
            start++;
        while (end > start && is_blank(buf[end - 1]))
            end--;
        if (start == end || buf[start] == '#')
            continue;
        if (end - start > SECRET_TOKEN_MAX) {
            snprintf(err, errlen, "%s line %zu: a token is at most %d bytes", path, line,
                     SECRET_TOKEN_MAX);
            goto out;
        }
        for (i = start; i < end; i++) {
            if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e) {
                snprintf(err, errlen, "%s line %zu: a byte that cannot go in an HTTP header", path,
                         line);
                goto out;
            }
        }
        if (l.n == SECRET_LIST_MAX) {
            snprintf(err, errlen, "%s holds more than %d tokens", path, SECRET_LIST_MAX);
            goto out;
        }
        l.tok[l.n] = malloc(end - start + 1);
        if (l.tok[l.n] == NULL) {
            snprintf(err, errlen, "out of memory reading %s", path);
            rc = SECRET_EIO;
            goto out;
        }
        memcpy(l.tok[l.n], buf + start, end - start);
        l.tok[l.n][end - start] = '\0';
        l.len[l.n] = end - start;
        l.n++;
    }
    if (l.n == 0 && !(flags & SECRET_LIST_EMPTY_OK)) {
        snprintf(err, errlen, "%s holds no token", path);
        goto out;
    }
    *out = l;
    memset(&l, 0, sizeof(l));
    rc = SECRET_OK;
out:
    secret_list_free(&l);
    OPENSSL_cleanse(buf, SECRET_FILE_MAX + 1);
    free(buf);
    return rc;
}

int secret_file_read_one(const char *path, char **out, size_t *out_len, int *loose, char *err,
                         size_t errlen)
{
    struct secret_list l;
    int rc = secret_file_read_list(path, 0, &l, loose, err, errlen);

    if (rc != SECRET_OK)
        return rc;
    if (l.n != 1) {
        snprintf(err, errlen, "%s holds %zu tokens, expected one", path, l.n);
        secret_list_free(&l);
        return SECRET_EFORMAT;
    }
    *out = l.tok[0];
    *out_len = l.len[0];
    l.tok[0] = NULL;
    l.n = 0;
    return SECRET_OK;
}

int secret_file_create(const char *path, const char *what, int *created, char *err, size_t errlen)
{
    unsigned char raw[32];
    char hex[sizeof(raw) * 2 + 2];
    size_t off = 0;
    int fd, rc = SECRET_EIO;

    err[0] = '\0';
    *created = 0;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return SECRET_OK;
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s %s: %s", what, path, strerror(errno));
        return SECRET_EIO;
    }
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        goto out;
    }
    hex_encode(raw, sizeof(raw), hex);
    hex[2 * sizeof(raw)] = '\n'; /* over hex_encode's NUL */
    while (off < sizeof(hex) - 1) {
        ssize_t w = write(fd, hex + off, sizeof(hex) - 1 - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write %s %s: %s", what, path, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0)
        goto out;
    *created = 1;
    rc = SECRET_OK;
out:
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(hex, sizeof(hex));
    close(fd);
    if (rc != SECRET_OK)
        unlink(path);
    return rc;
}
