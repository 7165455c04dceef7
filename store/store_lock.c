/*
 * store_lock.c - one writer per store: the holder lock (SPEC invariant 8).
 *
 * For: the exclusive lock a writable store_open() takes on DIR/writer.lock
 *      before LMDB opens, the holder's pid written inside it, and
 *      store_holder(), which names the holder for an error message.
 * Not for: LMDB's own locks (lock.mdb: its reader table and writer mutex
 *      serialise transactions, not processes that free pages), or readers.
 *
 * Why a lock of our own: LMDB lets any number of processes write one
 * environment, but a commit that frees pages (a prune, a tombstone from a
 * peer) must run in the process that pins its in-flight zero-copy responses
 * (store.h, the page-lifetime rule). With this lock that process is the only
 * one that can write at all.
 *
 * The lock is flock(2) on an open file description: the kernel drops it when
 * the holder exits, kill -9 included, so a crash never leaves a stale lock.
 * The pid inside the file is only for the message; the lock is the flock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store_internal.h"

#define LOCK_NAME "writer.lock"

static int lock_path(const char *dir, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", dir, LOCK_NAME);

    return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* Reads the pid written in the lock file fd; 0 if none can be read. */
static long lock_read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    char *end;
    long pid;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    errno = 0;
    pid = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || pid <= 0)
        return 0;
    return pid;
}

int store__lock_take(const char *dir, int *fd_out)
{
    char path[4096], line[32];
    int fd, n;

    if (lock_path(dir, path, sizeof(path)) != 0)
        return STORE_EINVAL;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return STORE_EIO;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;

        close(fd);
        errno = e;
        return e == EWOULDBLOCK ? STORE_ELOCKED : STORE_EIO;
    }
    n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        close(fd); /* drops the lock */
        return STORE_EIO;
    }
    *fd_out = fd;
    return STORE_OK;
}

void store__lock_drop(int fd)
{
    if (fd >= 0)
        close(fd); /* the last reference to the description: flock released */
}

int store_holder(const char *dir, long *pid)
{
    char path[4096];
    long p;
    int fd;

    if (dir == NULL || pid == NULL || lock_path(dir, path, sizeof(path)) != 0)
        return STORE_EINVAL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? STORE_ENOTFOUND : STORE_EIO;
    /* A shared lock is granted only while no exclusive one is held. */
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        close(fd);
        return STORE_ENOTFOUND;
    }
    p = errno == EWOULDBLOCK ? lock_read_pid(fd) : -1;
    close(fd);
    if (p < 0)
        return STORE_EIO;
    *pid = p;
    return STORE_OK;
}
