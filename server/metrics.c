/*
 * metrics.c - lock-free request/upload counters and their Prometheus
 * rendering.
 *
 * Not for: store gauges (the caller samples store_stats() per scrape and
 * passes them in) or logging.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MIN   100
#define STATUS_SLOTS 500 /* 100..599 */

static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25,   0.5,   1,      2.5,   5,    10,    30};
#define BUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

static const char *const listener_names[METRICS_LISTENERS] = {"public", "admin"};
static const char *const upload_names[METRICS_UPLOAD_RESULTS] = {"created", "present", "rejected",
                                                                 "failed"};

struct listener_counters {
    atomic_uint_fast64_t status[STATUS_SLOTS];
    atomic_uint_fast64_t bytes;
    atomic_uint_fast64_t bucket[BUCKETS]; /* non-cumulative; summed at render */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_us;
};

struct metrics {
    struct listener_counters l[METRICS_LISTENERS];
    atomic_uint_fast64_t uploads[METRICS_UPLOAD_RESULTS];
};

struct metrics *metrics_new(void)
{
    /* calloc gives all-zero bits, a valid value for these lock-free atomics */
    return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_request(struct metrics *m, enum metrics_listener l, unsigned status, uint64_t bytes,
                     uint64_t duration_us)
{
    struct listener_counters *c = &m->l[l];
    double secs = (double)duration_us / 1e6;
    size_t b;

    if (status < STATUS_MIN || status >= STATUS_MIN + STATUS_SLOTS)
        status = 500;
    atomic_fetch_add_explicit(&c->status[status - STATUS_MIN], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->bytes, bytes, memory_order_relaxed);
    for (b = 0; b < BUCKETS; b++) {
        if (secs <= bucket_le[b]) {
            atomic_fetch_add_explicit(&c->bucket[b], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->sum_us, duration_us, memory_order_relaxed);
}

void metrics_upload(struct metrics *m, enum metrics_upload result, uint64_t n)
{
    atomic_fetch_add_explicit(&m->uploads[result], n, memory_order_relaxed);
}

static uint64_t load(atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

int metrics_render(struct metrics *m, const struct metrics_gauges *g, char **out, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    unsigned l, s;
    size_t b;

    if (f == NULL)
        return -1;
    fprintf(f, "# HELP origind_http_requests_total HTTP requests answered, by listener and "
               "status code.\n# TYPE origind_http_requests_total counter\n");
    for (l = 0; l < METRICS_LISTENERS; l++) {
        for (s = 0; s < STATUS_SLOTS; s++) {
            uint64_t v = load(&m->l[l].status[s]);

            if (v > 0)
                fprintf(f, "origind_http_requests_total{listener=\"%s\",code=\"%u\"} %llu\n",
                        listener_names[l], s + STATUS_MIN, (unsigned long long)v);
        }
    }
    fprintf(f, "# HELP origind_http_response_bytes_total Response body bytes sent.\n"
               "# TYPE origind_http_response_bytes_total counter\n");
    for (l = 0; l < METRICS_LISTENERS; l++)
        fprintf(f, "origind_http_response_bytes_total{listener=\"%s\"} %llu\n", listener_names[l],
                (unsigned long long)load(&m->l[l].bytes));
    fprintf(f, "# HELP origind_http_request_duration_seconds Time from request line to the "
               "end of the response.\n# TYPE origind_http_request_duration_seconds histogram\n");
    for (l = 0; l < METRICS_LISTENERS; l++) {
        uint64_t cum = 0;

        for (b = 0; b < BUCKETS; b++) {
            cum += load(&m->l[l].bucket[b]);
            fprintf(f,
                    "origind_http_request_duration_seconds_bucket{listener=\"%s\",le=\"%g\"} "
                    "%llu\n",
                    listener_names[l], bucket_le[b], (unsigned long long)cum);
        }
        fprintf(f,
                "origind_http_request_duration_seconds_bucket{listener=\"%s\",le=\"+Inf\"} %llu\n",
                listener_names[l], (unsigned long long)load(&m->l[l].count));
        fprintf(f, "origind_http_request_duration_seconds_sum{listener=\"%s\"} %.6f\n",
                listener_names[l], (double)load(&m->l[l].sum_us) / 1e6);
        fprintf(f, "origind_http_request_duration_seconds_count{listener=\"%s\"} %llu\n",
                listener_names[l], (unsigned long long)load(&m->l[l].count));
    }
    fprintf(f, "# HELP origind_uploads_total Blob and variant uploads, by result.\n"
               "# TYPE origind_uploads_total counter\n");
    for (s = 0; s < METRICS_UPLOAD_RESULTS; s++)
        fprintf(f, "origind_uploads_total{result=\"%s\"} %llu\n", upload_names[s],
                (unsigned long long)load(&m->uploads[s]));
    fprintf(f,
            "# HELP origind_store_blobs Identity blobs in the store.\n"
            "# TYPE origind_store_blobs gauge\norigind_store_blobs %llu\n"
            "# HELP origind_store_variants Precompressed variants in the store.\n"
            "# TYPE origind_store_variants gauge\norigind_store_variants %llu\n"
            "# HELP origind_store_bytes Bytes of blobs and variants in the store.\n"
            "# TYPE origind_store_bytes gauge\norigind_store_bytes{kind=\"blob\"} %llu\n"
            "origind_store_bytes{kind=\"variant\"} %llu\n"
            "# HELP origind_store_paths Published paths.\n"
            "# TYPE origind_store_paths gauge\norigind_store_paths %llu\n"
            "# HELP origind_store_releases Published releases.\n"
            "# TYPE origind_store_releases gauge\norigind_store_releases %llu\n"
            "# HELP origind_store_map_bytes Store capacity and bytes in use.\n"
            "# TYPE origind_store_map_bytes gauge\norigind_store_map_bytes{kind=\"size\"} %llu\n"
            "origind_store_map_bytes{kind=\"used\"} %llu\n"
            "# HELP origind_draining 1 once SIGTERM has arrived.\n"
            "# TYPE origind_draining gauge\norigind_draining %d\n"
            "# HELP origind_http_in_flight Requests being answered now.\n"
            "# TYPE origind_http_in_flight gauge\norigind_http_in_flight %llu\n"
            "# HELP origind_faults_fired_total Injected store faults that fired "
            "(ORIGIND_FAULT, tests only).\n"
            "# TYPE origind_faults_fired_total counter\norigind_faults_fired_total %llu\n"
            "# HELP origind_response_cache_lookups_total Public GET/HEAD answers looked up in "
            "the response cache, by result.\n"
            "# TYPE origind_response_cache_lookups_total counter\n"
            "origind_response_cache_lookups_total{result=\"hit\"} %llu\n"
            "origind_response_cache_lookups_total{result=\"miss\"} %llu\n"
            "# HELP origind_response_cache_entries Paths with ready-made answers.\n"
            "# TYPE origind_response_cache_entries gauge\norigind_response_cache_entries %llu\n"
            "# HELP origind_response_cache_bytes Memory the response cache accounts for.\n"
            "# TYPE origind_response_cache_bytes gauge\norigind_response_cache_bytes %llu\n",
            (unsigned long long)g->blobs, (unsigned long long)g->variants,
            (unsigned long long)g->blob_bytes, (unsigned long long)g->variant_bytes,
            (unsigned long long)g->paths, (unsigned long long)g->releases,
            (unsigned long long)g->map_size, (unsigned long long)g->map_used, g->draining,
            (unsigned long long)g->in_flight, (unsigned long long)g->faults_fired,
            (unsigned long long)g->rcache_hits, (unsigned long long)g->rcache_misses,
            (unsigned long long)g->rcache_entries, (unsigned long long)g->rcache_bytes);
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    *len = size;
    return 0;
}

/* Appends p[0..n) and a NUL to the NUL-terminated *text of *len bytes.
 * Returns 0, or -1 out of memory (*text unchanged). */
static int text_add(char **text, size_t *len, const char *p, size_t n)
{
    char *np = realloc(*text, *len + n + 1);

    if (np == NULL)
        return -1;
    memcpy(np + *len, p, n);
    *len += n;
    np[*len] = '\0';
    *text = np;
    return 0;
}

int metrics_text_append(FILE *f, char **buf, size_t *size, char **text, size_t *len)
{
    int rc = fclose(f) != 0 ? -1 : text_add(text, len, *buf, *size);

    free(*buf);
    *buf = NULL;
    return rc;
}

int metrics_text_addf(char **text, size_t *len, const char *fmt, ...)
{
    va_list ap;
    char *np;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    np = realloc(*text, *len + (size_t)n + 1);
    if (np == NULL)
        return -1;
    *text = np;
    va_start(ap, fmt);
    vsnprintf(np + *len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
    return 0;
}
