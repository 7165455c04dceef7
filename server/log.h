/*
 * log.h - origind's diagnostics (stderr, with levels) and its access log.
 *
 * Never pass request bodies, tokens or secrets to either.
 */
#ifndef ORIGIND_LOG_H
#define ORIGIND_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the most verbose level printed (default LOG_INFO). Thread-safe. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; -1 if unknown. */
int log_level_parse(const char *s);

/* Prints "origind: <level>: <message>\n" on stderr if level is enabled; a
 * line is cut to 1023 bytes, newline included. Thread-safe (one write(2) per
 * line). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* The access log: one line per request, written to a file (appended) or to
 * stdout ("-"), buffered and flushed at least once a second by
 * access_log_tick() and when the buffer fills. */
struct access_log; /* opaque */

/* Opens path ("-" for stdout). Returns NULL on failure (logged when the file
 * cannot be opened; not when memory ran out). */
struct access_log *access_log_open(const char *path);
/* Reopens the file (after log rotation; SIGHUP). A no-op (0) for stdout or
 * NULL. Returns 0; -1 when path cannot be opened (logged; the old file stays
 * in use) or closing the old file failed (the new one is in use). */
int access_log_reopen(struct access_log *al);
/* Flushes if anything is buffered. Call periodically. */
void access_log_tick(struct access_log *al);
/* Flushes and closes. NULL is a no-op. */
void access_log_close(struct access_log *al);

/* One access record. Strings are borrowed for the call; method and path
 * carry lengths, need not be NUL-terminated and are escaped before being
 * written; listener, remote and cache are NUL-terminated and written as
 * they are. */
struct access_record {
    const char *listener; /* "public" / "admin" */
    const char *remote;   /* address text */
    const char *method;
    size_t method_len;
    const char *path;
    size_t path_len;
    unsigned status;
    uint64_t bytes; /* body bytes sent */
    uint64_t duration_us;
    const char *cache; /* "hit", "miss" or "-" */
};

/* Appends one line:
 *   2024-05-01T12:00:00.123Z public 127.0.0.1 GET /path 200 1234 87us hit
 * Thread-safe. al may be NULL (no access log). */
void access_log_write(struct access_log *al, const struct access_record *rec);

#endif /* ORIGIND_LOG_H */
