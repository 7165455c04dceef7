/*
 * outfile.h - the files origin-ingest writes for the user (push
 * --manifest-out, manifest --out): one rule for where the bytes go and how
 * they replace what was there.
 *
 *   - "-" is standard output: the bytes are written there, nothing else.
 *   - A path that does not exist is created.
 *   - An existing regular file is replaced atomically: the new content is
 *     written to a temporary file in the same directory, fsync'd, renamed
 *     over the old name, and the directory is fsync'd (best effort: a
 *     failure there is not reported, the file is in place by then). A
 *     reader sees the old file or the new one, never a part of one.
 *   - A symlink is written through: the link is resolved first (every hop,
 *     relative links against their own directory), and the final target
 *     is replaced atomically as above, in the target's directory; the link
 *     itself is left as it is. A dangling symlink creates its target, as a
 *     shell's '>' does (the target's directory must exist).
 *   - Anything else is refused before any work, with one line and exit 2:
 *     a directory, a device (/dev/null), a fifo or a socket, or a symlink
 *     (chain) that ends at one; a chain that loops or is longer than
 *     OUTFILE_HOPS_MAX; and a chain through /proc (/dev/stdout, /dev/fd/N,
 *     /proc/self/fd/N name an open descriptor, not a file: replacing the
 *     file it points at would pull it from under its holder; give "-").
 *
 * The new file has mode 0644. Not for: the compression cache (compress.c
 * keeps its own entries) or anything that appends.
 *
 * Thread-safety: reentrant (no shared state); "-" writes stdout.
 */
#ifndef ORIGIN_INGEST_OUTFILE_H
#define ORIGIN_INGEST_OUTFILE_H

#include <stddef.h>

/* The most symlinks followed from the path given to the file written. */
#define OUTFILE_HOPS_MAX 40

/* Checks path by the rules above without writing: what a command calls
 * while validating its options, so a target that would be refused stops it
 * before any node is contacted. what names the option in the reason
 * ("--manifest-out"). Returns INGEST_EXIT_OK (also for a path that does not
 * exist yet whose directory does), INGEST_EXIT_USAGE (refused, or the
 * directory of a file to create is missing: a one-line reason naming path
 * in err), or INGEST_EXIT_LOCAL (path cannot be examined, e.g. EACCES: err
 * filled). */
int ingest_outfile_check(const char *path, const char *what, char *err, size_t errlen);

/* Writes data[0..len) to path by the rules above (path is checked again:
 * it may have changed since ingest_outfile_check). Returns INGEST_EXIT_OK,
 * INGEST_EXIT_USAGE (refused, err says why), or INGEST_EXIT_LOCAL (an I/O
 * error: err names the file written; the old target, if any, is untouched
 * and no temporary file is left). */
int ingest_outfile_write(const char *path, const char *what, const void *data, size_t len,
                         char *err, size_t errlen);

#endif
