/*
 * outfile.c - where origin-ingest's output files go (see outfile.h): "-"
 * for stdout, symlinks written through to their target, non-regular
 * targets refused, atomic replacement in the target's directory.
 *
 * For: push --manifest-out and manifest --out (through manifest.c). Not
 * for: what is written (manifest.c renders it) or the compression cache.
 */
#include "outfile.h"

#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a fifo";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symlink";
    return "not a regular file";
}

/* The directory holding path ("." for a bare name). Caller frees. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return ingest_xstrdup(".");
    if (slash == path)
        return ingest_xstrdup("/");
    return ingest_xstrndup(path, (size_t)(slash - path));
}

/* 1 if the symlink cur lives in /proc (/proc/self/fd/1, what /dev/stdout
 * and /dev/fd/N lead to): it names an open file descriptor, not a file. */
static int in_proc(const char *cur)
{
    struct statfs fs;
    char *dir = dir_of(cur);
    int r;

    r = statfs(dir, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    free(dir);
    return r;
}

/* The link's target, read from cur (lstat said it is a symlink of size
 * hint), as a path usable from here: absolute as read, relative joined to
 * cur's directory. Returns a malloc'd path (caller frees) or NULL (errno). */
static char *follow(const char *cur, off_t hint)
{
    size_t cap = hint > 0 && hint < 65536 ? (size_t)hint + 1 : 256;
    char *link = NULL, *next;
    const char *slash;
    ssize_t n;

    for (;;) {
        link = ingest_xrealloc(link, cap);
        n = readlink(cur, link, cap);
        if (n < 0) {
            free(link);
            return NULL;
        }
        if ((size_t)n < cap)
            break;
        if (cap >= 65536) {
            free(link);
            errno = ENAMETOOLONG;
            return NULL;
        }
        cap *= 2;
    }
    link[n] = '\0';
    slash = strrchr(cur, '/');
    if (link[0] == '/' || slash == NULL)
        return link;
    next = ingest_xmalloc((size_t)(slash - cur) + 1 + (size_t)n + 1);
    memcpy(next, cur, (size_t)(slash - cur) + 1);
    memcpy(next + (slash - cur) + 1, link, (size_t)n + 1);
    free(link);
    return next;
}

/* Resolves path (not "-") to the name to replace or create, by the rules
 * of outfile.h. Returns INGEST_EXIT_OK with *target (malloc'd, caller
 * frees), or INGEST_EXIT_USAGE / INGEST_EXIT_LOCAL with err filled. */
static int resolve(const char *path, const char *what, char **target, char *err, size_t errlen)
{
    struct stat st;
    char *cur = NULL, *next;
    int hops, rc = INGEST_EXIT_LOCAL;

    /* The whole chain first, as the kernel follows it: this also sees
     * through /proc's magic links (/dev/stdout -> /proc/self/fd/1 -> a
     * pipe, whose link text names no file). */
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            ingest_errf(err, errlen,
                        "%s %s: refusing to replace %s (give a regular file, or - for "
                        "standard output)",
                        what, path, kind_of(st.st_mode));
            rc = INGEST_EXIT_USAGE;
            goto out;
        }
    } else if (errno == ELOOP) {
        ingest_errf(err, errlen, "%s %s: refusing a symlink loop", what, path);
        rc = INGEST_EXIT_USAGE;
        goto out;
    } else if (errno != ENOENT) {
        ingest_errf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        goto out;
    }
    /* Then hop by hop, to learn the name the chain ends at (to create it
     * if it does not exist: a dangling link, or no file yet). */
    cur = ingest_xstrdup(path);
    for (hops = 0;; hops++) {
        if (lstat(cur, &st) != 0) {
            if (errno != ENOENT) {
                ingest_errf(err, errlen, "%s %s: %s: %s", what, path, cur, strerror(errno));
                goto out;
            }
            break; /* create cur */
        }
        if (S_ISREG(st.st_mode))
            break; /* replace cur */
        if (!S_ISLNK(st.st_mode)) {
            ingest_errf(err, errlen,
                        "%s %s: refusing to replace %s, %s (give a regular file, or - for "
                        "standard output)",
                        what, path, cur, kind_of(st.st_mode));
            rc = INGEST_EXIT_USAGE;
            goto out;
        }
        if (in_proc(cur)) {
            ingest_errf(err, errlen,
                        "%s %s: %s names an open file descriptor, not a file: refusing to "
                        "replace what it points at (give - for standard output)",
                        what, path, cur);
            rc = INGEST_EXIT_USAGE;
            goto out;
        }
        if (hops == OUTFILE_HOPS_MAX) {
            ingest_errf(err, errlen, "%s %s: refusing a chain of more than %d symlinks", what, path,
                        OUTFILE_HOPS_MAX);
            rc = INGEST_EXIT_USAGE;
            goto out;
        }
        next = follow(cur, st.st_size);
        if (next == NULL) {
            ingest_errf(err, errlen, "%s %s: cannot read symlink %s: %s", what, path, cur,
                        strerror(errno));
            goto out;
        }
        free(cur);
        cur = next;
    }
    *target = cur;
    cur = NULL;
    rc = INGEST_EXIT_OK;
out:
    free(cur);
    return rc;
}

int ingest_outfile_check(const char *path, const char *what, char *err, size_t errlen)
{
    char *target = NULL;
    int rc;

    if (strcmp(path, "-") == 0)
        return INGEST_EXIT_OK;
    rc = resolve(path, what, &target, err, errlen);
    if (rc == INGEST_EXIT_OK) {
        /* a file to create: its directory must be there (found now, not
         * after a whole push) */
        char *dir = dir_of(target);
        struct stat st;

        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            ingest_errf(err, errlen, "%s %s: no directory %s to write %s in", what, path, dir,
                        target);
            rc = INGEST_EXIT_USAGE;
        }
        free(dir);
    }
    free(target);
    return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    size_t off = 0;

    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

/* fsyncs the directory holding target, so the rename survives a crash.
 * Best effort: the file is already in place when this runs. */
static void sync_dir(const char *target)
{
    char *dir = dir_of(target);
    int fd;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

/* The one-line reason of an I/O failure (errno) writing target, reached
 * from path. */
static void io_fail(char *err, size_t errlen, const char *what, const char *path,
                    const char *target)
{
    int e = errno;

    if (strcmp(path, target) == 0)
        ingest_errf(err, errlen, "%s %s: cannot write: %s", what, path, strerror(e));
    else
        ingest_errf(err, errlen, "%s %s: cannot write its target %s: %s", what, path, target,
                    strerror(e));
}

int ingest_outfile_write(const char *path, const char *what, const void *data, size_t len,
                         char *err, size_t errlen)
{
    struct buf tmp = {0};
    struct stat st;
    char *target = NULL;
    int fd = -1, rc;

    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            ingest_errf(err, errlen, "%s -: cannot write standard output: %s", what,
                        strerror(errno));
            return INGEST_EXIT_LOCAL;
        }
        return INGEST_EXIT_OK;
    }
    rc = resolve(path, what, &target, err, errlen);
    if (rc != INGEST_EXIT_OK)
        goto out;
    rc = INGEST_EXIT_LOCAL;
    ingest_buf_addf(&tmp, "%s.tmp.XXXXXX", target);
    fd = mkostemp(tmp.data, O_CLOEXEC);
    if (fd < 0) {
        io_fail(err, errlen, what, path, target);
        buf_free(&tmp); /* nothing to unlink */
        goto out;
    }
    if (write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        io_fail(err, errlen, what, path, target);
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        io_fail(err, errlen, what, path, target);
        goto out;
    }
    fd = -1;
    /* the target may have been swapped since it was resolved: never rename
     * over anything but a regular file */
    if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
        ingest_errf(err, errlen, "%s %s: %s changed into %s while writing; refusing to replace it",
                    what, path, target, kind_of(st.st_mode));
        rc = INGEST_EXIT_USAGE;
        goto out;
    }
    if (rename(tmp.data, target) != 0) {
        io_fail(err, errlen, what, path, target);
        goto out;
    }
    sync_dir(target);
    rc = INGEST_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (rc != INGEST_EXIT_OK && tmp.data != NULL)
        unlink(tmp.data);
    buf_free(&tmp);
    free(target);
    return rc;
}
