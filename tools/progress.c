/*
 * progress.c - progress and messages on stderr: a self-rewriting bar on a
 * terminal, concise lines otherwise (CI logs).
 *
 * Not for: the machine-readable --json summary (stdout, report.c), or
 * anything secret (the token is never passed here).
 */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

void ingest_progress_init(struct ingest_progress *p, int quiet)
{
    p->tty = isatty(STDERR_FILENO) && !quiet;
    p->quiet = quiet;
    p->drawn = 0;
}

void ingest_progress_clear(struct ingest_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = 0;
    }
}

void ingest_progress_line(struct ingest_progress *p, const char *fmt, ...)
{
    va_list ap;

    if (p->quiet)
        return;
    ingest_progress_clear(p);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ingest_progress_error(struct ingest_progress *p, const char *fmt, ...)
{
    va_list ap;

    ingest_progress_clear(p);
    fputs("origin-ingest: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ingest_progress_bar(struct ingest_progress *p, const char *label, uint64_t done,
                         uint64_t total, const char *extra)
{
    char bar[31];
    unsigned fill, i, pct;

    if (!p->tty)
        return;
    if (total == 0)
        total = 1;
    if (done > total)
        done = total;
    pct = (unsigned)(done * 100 / total);
    fill = (unsigned)(done * 30 / total);
    for (i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3u%%%s%s", label, bar, pct, extra ? "  " : "",
            extra ? extra : "");
    fflush(stderr);
    p->drawn = 1;
}
