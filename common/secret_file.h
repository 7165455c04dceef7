/*
 * secret_file.h - reading bearer tokens and secrets from files, for origind
 * (admin, read and peer tokens, the origin secret) and origin-ingest (its
 * --token-file), and creating origind's first admin token file. One
 * reader, one set of rules:
 *
 *   - the file is read whole, at most SECRET_FILE_MAX bytes;
 *   - it is split into lines (LF or CRLF); leading and trailing spaces and
 *     tabs are stripped; empty lines and lines starting with '#' are
 *     ignored;
 *   - every remaining line is one token: 1..SECRET_TOKEN_MAX bytes, each a
 *     visible ASCII byte (0x21..0x7e, what an HTTP header can carry).
 *
 * Error messages name the file and the line number, never a byte of its
 * content. Every buffer that held file content is wiped before it is freed.
 * Thread-safe (no shared state).
 */
#ifndef ORIGIND_SECRET_FILE_H
#define ORIGIND_SECRET_FILE_H

#include <stddef.h>

#define SECRET_FILE_MAX  (64 * 1024)
#define SECRET_TOKEN_MAX 4096
#define SECRET_LIST_MAX  64 /* most tokens in one file */

/* What the readers return. */
enum secret_err {
    SECRET_OK = 0,
    SECRET_EIO = -1,     /* the file cannot be opened or read (or out of memory) */
    SECRET_EFORMAT = -2, /* its content breaks the rules above */
};

/* The tokens of one file (secret_file_read_list). */
struct secret_list {
    size_t n;
    char *tok[SECRET_LIST_MAX]; /* each malloc'd and NUL-terminated */
    size_t len[SECRET_LIST_MAX];
};

/* Reads every token of path into *out (zeroed first). *loose is set to 1 if
 * others (not the owner, not the group) may read or write the file (the
 * caller warns), else 0. Group access is fine: root:origind 0640 is how a
 * service user reads token files that root rotates.
 * Returns SECRET_OK, or with a one-line reason in err[0..errlen):
 * SECRET_EIO (cannot open or read, out of memory) or SECRET_EFORMAT (too
 * large, a line with a byte that is not visible ASCII or over
 * SECRET_TOKEN_MAX, more than SECRET_LIST_MAX tokens, no token at all unless
 * flags has SECRET_LIST_EMPTY_OK).
 * On success the caller releases *out with secret_list_free(). */
#define SECRET_LIST_EMPTY_OK 1u /* a file with no token is an empty list (revokes all) */
int secret_file_read_list(const char *path, unsigned flags, struct secret_list *out, int *loose,
                          char *err, size_t errlen);

/* Reads a file that must hold exactly one token (same rules). On success
 * *out is malloc'd and NUL-terminated, *out_len its length; the caller
 * releases it with secret_free(). Returns SECRET_OK, or SECRET_EIO /
 * SECRET_EFORMAT with a reason in err (as above, or "holds N tokens,
 * expected one": SECRET_EFORMAT). */
int secret_file_read_one(const char *path, char **out, size_t *out_len, int *loose, char *err,
                         size_t errlen);

/* Wipes and frees s of len bytes. NULL is a no-op. */
void secret_free(char *s, size_t len);

/* Wipes and frees every token of l and zeroes it. */
void secret_list_free(struct secret_list *l);

/* Creates path holding a fresh random token (32 bytes from getrandom() as
 * 64 lowercase hex digits and a newline), mode 0600, written and fsync'd,
 * unless path exists (then it is left as it is). *created is set to 1 when
 * the file was made here, 0 when it was there. what names the file in err
 * ("admin token file"). Returns SECRET_OK, or SECRET_EIO with a one-line
 * reason in err[0..errlen) ("cannot create <what> <path>: <strerror>",
 * "getrandom: ...", "cannot write <what> <path>: ..."; empty when the fsync
 * failed) and nothing left at path. */
int secret_file_create(const char *path, const char *what, int *created, char *err, size_t errlen);

#endif /* ORIGIND_SECRET_FILE_H */
