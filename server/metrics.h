/*
 * metrics.h - counters behind GET /metrics (Prometheus text format 0.0.4).
 *
 * All counters are C11 atomics updated with relaxed ordering from any thread;
 * a scrape reads each one once (not a consistent snapshot across counters,
 * which Prometheus does not need).
 */
#ifndef ORIGIND_METRICS_H
#define ORIGIND_METRICS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

enum metrics_listener { METRICS_PUBLIC = 0, METRICS_ADMIN = 1, METRICS_LISTENERS };

enum metrics_upload {
    METRICS_UPLOAD_CREATED = 0, /* new blob or variant stored */
    METRICS_UPLOAD_PRESENT,     /* already there */
    METRICS_UPLOAD_REJECTED,    /* 4xx: bad digest, variant, size, truncated */
    METRICS_UPLOAD_FAILED,      /* 5xx: store full, I/O */
    METRICS_UPLOAD_RESULTS
};

struct metrics; /* opaque */

/* Gauges sampled at scrape time by the caller. */
struct metrics_gauges {
    uint64_t blobs, blob_bytes, variants, variant_bytes, paths, releases;
    uint64_t map_size, map_used;
    int draining;
    uint64_t in_flight;
    uint64_t faults_fired; /* store_faults_fired(): injected store faults (tests) */
    /* resp_cache_stats(): answers from the response cache, lookups that
     * found none, entries and bytes held */
    uint64_t rcache_hits, rcache_misses, rcache_entries, rcache_bytes;
};

/* Allocates zeroed counters; caller frees with metrics_free(). NULL on ENOMEM. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Counts one finished request: status (outside 100..599: counted as 500),
 * body bytes sent, duration. */
void metrics_request(struct metrics *m, enum metrics_listener l, unsigned status, uint64_t bytes,
                     uint64_t duration_us);
/* Counts one upload (blob, variant or bundle item) by result. */
void metrics_upload(struct metrics *m, enum metrics_upload result, uint64_t n);

/* Renders the text exposition into a malloc'd buffer (caller frees *out).
 * Returns 0, or -1 on ENOMEM (*out and *len untouched). */
int metrics_render(struct metrics *m, const struct metrics_gauges *g, char **out, size_t *len);

/* Closes f, a stream from open_memstream(buf, size), and appends what was
 * written to it to the NUL-terminated *text of *len bytes (*text may be
 * NULL with *len 0; it is realloc'd, caller frees). *buf is freed either way.
 * Returns 0, or -1 (a write or allocation failed; *text unchanged). For the
 * modules that add their own Prometheus lines to /metrics (peer.c,
 * peer_fetch.c). */
int metrics_text_append(FILE *f, char **buf, size_t *size, char **text, size_t *len);

/* Appends printf-formatted text to the NUL-terminated *text of *len bytes
 * (*text may be NULL with *len 0; it is realloc'd, caller frees). Returns 0,
 * or -1 (out of memory, or a format vsnprintf refuses; *text still valid
 * and holding its old *len bytes). For the modules that add a few fixed
 * Prometheus lines (auth.c, admin_prune.c, admin_promote.c). */
int metrics_text_addf(char **text, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* ORIGIND_METRICS_H */
