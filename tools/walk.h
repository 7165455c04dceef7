/*
 * walk.h - list the regular files of a build directory.
 */
#ifndef ORIGIN_INGEST_WALK_H
#define ORIGIN_INGEST_WALK_H

#include "ingest.h"

struct ingest_walk_opts {
    int include_hidden; /* publish dotfiles and dot-directories too */
    int quiet;          /* no warnings on stderr */
};

/* Walks dir and appends one struct ingest_file per regular file to s (rel
 * set, nothing hashed yet); opens s->root_fd and sets s->root. Behaviour:
 *   - entries are visited in byte order of their names, per directory;
 *   - names starting with '.' are skipped (and counted in hidden_skipped)
 *     unless include_hidden;
 *   - a symlink whose target resolves inside dir is followed (a file is
 *     published under the link's name; a directory is walked, loops refused);
 *     one pointing outside dir, or dangling, is an error;
 *   - fifos, sockets and devices are skipped with a warning;
 *   - an entry that vanishes while being walked, or a directory that cannot
 *     be read, is an error.
 * Returns INGEST_EXIT_OK, INGEST_EXIT_USAGE (dir missing or not a directory)
 * or INGEST_EXIT_LOCAL, with err filled on error. */
int ingest_walk(struct ingest_site *s, const char *dir, const struct ingest_walk_opts *o, char *err,
                size_t errlen);

#endif
