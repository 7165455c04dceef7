/*
 * through.h - `origin-ingest verify --through BASE_URL`: fetch every file of
 * a release through the CDN, the way CloudFront asks the origin, and check
 * the bytes against the release's digests. The last gate of a deploy: it
 * proves what the CDN now serves, not what the nodes hold.
 *
 * Every file is fetched three times, with the Accept-Encoding values
 * CloudFront sends (none, "gzip", "br,gzip"), so each stored encoding is
 * exercised. A response is right when it is a 200 whose body, decoded per
 * its Content-Encoding (identity, gzip or br), has the file's SHA-256, and
 * whose Content-Type is the release's. Anything else (another status, a
 * decoding error, an encoding that was not offered, other bytes, other type,
 * a transfer error after retries) names the URL as wrong.
 *
 * Thread-safety: one call at a time per process (it uses libcurl's multi
 * interface on the calling thread; curl_global_init must have been called).
 */
#ifndef ORIGIN_INGEST_THROUGH_H
#define ORIGIN_INGEST_THROUGH_H

#include <stddef.h>

#include "store.h"

/* One file of the release to fetch (all strings borrowed for the call). */
struct ingest_through_file {
    const char *path; /* published path, decoded ("/assets/app.3f2a9c1e5b7d0a41.css") */
    unsigned char digest[STORE_DIGEST_LEN];
    const char *type; /* Content-Type the release names; NULL: not checked */
};

struct ingest_through_opts {
    const char *base;   /* BASE_URL ("https://cdn.example.com"), a trailing '/' is dropped */
    unsigned jobs;      /* transfers in flight at once, 1..64 */
    unsigned retries;   /* retries of a transfer after a connection error or 5xx */
    unsigned timeout_s; /* the whole check must end within this; 0: no limit */
    size_t sample;      /* check only this many files, chosen at random; 0: all */
    int quiet;          /* no per-URL "wrong" lines on stderr */
};

struct ingest_through_result {
    size_t files;   /* files checked (sample or all) */
    size_t fetches; /* responses checked (3 per file) */
    size_t wrong;   /* of them wrong */
    int timed_out;  /* the time budget ended the check: unchecked fetches count as wrong */
    /* One line per wrong fetch: "URL (Accept-Encoding: X): reason\n"; NULL
     * if none. malloc'd, the caller frees it. */
    char *report;
};

/* A release's files as a node lists them (every string malloc'd). */
struct ingest_through_release {
    struct ingest_through_file *files;
    size_t n, cap;
};

/* GET NODE/v1/releases/ID with the bearer token (connection errors and 5xx
 * retried `retries` times; an https:// node's certificate verified against
 * cacert, or the system's CAs when NULL) and decodes it with the node API's
 * strict api_release_decode() (count and release digest verified). On
 * success fills *out (free with ingest_through_release_free()) and returns 0;
 * -1 with err filled (unreachable, not 200 with the node's reason, or a
 * malformed answer). */
int ingest_through_load_release(const char *node, const char *token, const char *cacert,
                                const char *id, unsigned retries,
                                struct ingest_through_release *out, char *err, size_t errlen);

/* Frees what ingest_through_load_release() filled; leaves *rel empty. */
void ingest_through_release_free(struct ingest_through_release *rel);

/* Fetches files[0..n) through opts->base and checks each response. Fills
 * *res (always). Returns 0 when every checked fetch was right, 1 when any was
 * wrong or not done in time, -1 if libcurl could not start (res->report says
 * why). */
int ingest_through_check(const struct ingest_through_file *files, size_t n,
                         const struct ingest_through_opts *opts, struct ingest_through_result *res);

#endif
