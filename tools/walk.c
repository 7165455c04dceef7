/*
 * walk.c - turns a build directory into the list of files to publish.
 *
 * For: the defined behaviour for symlinks, hidden and special files, and
 * entries that vanish mid-walk (see walk.h).
 * Not for: reading file contents (hash.c re-opens each file and records what
 * it hashed, so later changes are caught by comparing against that).
 */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_REL_MAX 4096

struct walk_ctx {
    struct ingest_site *s;
    const struct ingest_walk_opts *o;
    char *root_real; /* realpath(dir) */
    char *err;
    size_t errlen;
};

struct walk_anc {
    dev_t dev;
    ino_t ino;
    const struct walk_anc *up;
};

/* A directory entry: its name and readdir's d_type (DT_UNKNOWN if the file
 * system does not say). */
struct walk_ent {
    char *name;
    unsigned char type;
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(((const struct walk_ent *)a)->name, ((const struct walk_ent *)b)->name);
}

static void add_file(struct ingest_site *s, const char *rel)
{
    if (s->nfiles == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->files = ingest_xrealloc(s->files, s->cap * sizeof(*s->files));
    }
    memset(&s->files[s->nfiles], 0, sizeof(s->files[0]));
    s->files[s->nfiles].rel = ingest_xstrdup(rel);
    s->nfiles++;
}

/* Checks a symlink at rel: its target must exist and resolve inside root. */
static int check_link(struct walk_ctx *c, const char *rel)
{
    struct buf full = {0};
    char *real = NULL;
    size_t rl = strlen(c->root_real);
    int rc = INGEST_EXIT_LOCAL;

    ingest_buf_add(&full, c->s->root, strlen(c->s->root));
    ingest_buf_add(&full, "/", 1);
    ingest_buf_add(&full, rel, strlen(rel));
    real = realpath(full.data, NULL);
    if (real == NULL) {
        ingest_errf(c->err, c->errlen, "symlink %s cannot be resolved: %s", rel, strerror(errno));
        goto out;
    }
    if (!(strncmp(real, c->root_real, rl) == 0 && (real[rl] == '/' || real[rl] == '\0')) &&
        strcmp(c->root_real, "/") != 0) {
        ingest_errf(c->err, c->errlen, "symlink %s points outside the directory (to %s)", rel,
                    real);
        goto out;
    }
    rc = INGEST_EXIT_OK;
out:
    free(real);
    buf_free(&full);
    return rc;
}

static int walk_dir(struct walk_ctx *c, int dfd, const char *prefix, const struct walk_anc *up)
{
    DIR *d = NULL;
    struct dirent *de;
    struct walk_ent *names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = INGEST_EXIT_LOCAL;

    d = fdopendir(dfd);
    if (d == NULL) {
        ingest_errf(c->err, c->errlen, "cannot read directory %s: %s", *prefix ? prefix : ".",
                    strerror(errno));
        close(dfd);
        goto out;
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL)
            break;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = ingest_xrealloc(names, cap * sizeof(*names));
        }
        names[n].name = ingest_xstrdup(de->d_name);
        names[n++].type = de->d_type;
    }
    if (errno != 0) {
        ingest_errf(c->err, c->errlen, "cannot read directory %s: %s", *prefix ? prefix : ".",
                    strerror(errno));
        goto out;
    }
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n; i++) {
        char rel[WALK_REL_MAX];
        struct stat st;
        int len;

        if (names[i].name[0] == '.' && !c->o->include_hidden) {
            c->s->hidden_skipped++;
            continue;
        }
        len = snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", names[i].name);
        if (len < 0 || (size_t)len >= sizeof(rel)) {
            ingest_errf(c->err, c->errlen, "path too long under %s", prefix);
            goto out;
        }
        if (names[i].type == DT_REG) {
            /* a regular file by readdir's word: no stat here (hash.c opens
             * it, fstats it and refuses it if it is no longer regular) */
            add_file(c->s, rel);
            continue;
        }
        if (fstatat(dirfd(d), names[i].name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            ingest_errf(c->err, c->errlen, "%s: %s (directory changed during the walk?)", rel,
                        strerror(errno));
            goto out;
        }
        if (S_ISLNK(st.st_mode)) {
            if (check_link(c, rel) != INGEST_EXIT_OK)
                goto out;
            if (fstatat(dirfd(d), names[i].name, &st, 0) != 0) {
                ingest_errf(c->err, c->errlen, "%s: %s", rel, strerror(errno));
                goto out;
            }
        }
        if (S_ISDIR(st.st_mode)) {
            const struct walk_anc *a;
            struct walk_anc here = {st.st_dev, st.st_ino, up};
            int sub;

            for (a = up; a != NULL; a = a->up) {
                if (a->dev == st.st_dev && a->ino == st.st_ino) {
                    ingest_errf(c->err, c->errlen, "symlink loop at %s", rel);
                    goto out;
                }
            }
            sub = openat(dirfd(d), names[i].name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (sub < 0) {
                ingest_errf(c->err, c->errlen, "cannot open directory %s: %s", rel,
                            strerror(errno));
                goto out;
            }
            if (walk_dir(c, sub, rel, &here) != INGEST_EXIT_OK)
                goto out;
        } else if (S_ISREG(st.st_mode)) {
            add_file(c->s, rel);
        } else {
            c->s->special_skipped++;
            if (!c->o->quiet)
                fprintf(stderr, "origin-ingest: warning: skipping %s (not a regular file)\n", rel);
        }
    }
    rc = INGEST_EXIT_OK;
out:
    for (i = 0; i < n; i++)
        free(names[i].name);
    free(names);
    if (d != NULL)
        closedir(d);
    return rc;
}

int ingest_walk(struct ingest_site *s, const char *dir, const struct ingest_walk_opts *o, char *err,
                size_t errlen)
{
    struct walk_ctx c = {s, o, NULL, err, errlen};
    struct walk_anc top;
    struct stat st;
    int fd, rc = INGEST_EXIT_USAGE;

    s->root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->root_fd < 0 || fstat(s->root_fd, &st) != 0) {
        ingest_errf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    s->root = ingest_xstrdup(dir);
    c.root_real = realpath(dir, NULL);
    if (c.root_real == NULL) {
        ingest_errf(err, errlen, "%s: %s", dir, strerror(errno));
        goto out;
    }
    top.dev = st.st_dev;
    top.ino = st.st_ino;
    top.up = NULL;
    fd = dup(s->root_fd);
    if (fd < 0) {
        ingest_errf(err, errlen, "dup: %s", strerror(errno));
        rc = INGEST_EXIT_LOCAL;
        goto out;
    }
    rc = walk_dir(&c, fd, "", &top);
out:
    free(c.root_real);
    return rc;
}
