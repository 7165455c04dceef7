/*
 * progress.h - what origin-ingest says on stderr while it works.
 */
#ifndef ORIGIN_INGEST_PROGRESS_H
#define ORIGIN_INGEST_PROGRESS_H

#include <stdint.h>

struct ingest_progress {
    int tty;   /* stderr is a terminal: draw a bar that rewrites itself */
    int quiet; /* only errors */
    int drawn; /* a bar is on screen */
};

/* Decides the mode from isatty(stderr) and quiet. */
void ingest_progress_init(struct ingest_progress *p, int quiet);

/* A concise line (not in quiet mode). Clears a bar first. */
void ingest_progress_line(struct ingest_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error line: always printed, prefixed "origin-ingest: ". */
void ingest_progress_error(struct ingest_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* On a terminal only: "label [#####-----]  45%  extra", rewritten in place. */
void ingest_progress_bar(struct ingest_progress *p, const char *label, uint64_t done,
                         uint64_t total, const char *extra);

/* Removes the bar, if any. */
void ingest_progress_clear(struct ingest_progress *p);

#endif
