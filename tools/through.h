/*
 * through.h - `origin-ingest verify --through BASE_URL`: fetch every file of
 * a release through the CDN, the way CloudFront asks the origin, and check
 * the bytes against the release's digests. The last gate of a deploy: it
 * proves what the CDN now serves, not what the nodes hold.
 *
 * Every file is fetched four times, with the Accept-Encoding values
 * CloudFront sends (none, "gzip", "br,gzip") and "zstd" (what a CDN that
 * passes it through forwards), so each stored encoding is exercised; a file
 * for which the node holds a dcz delta (ingest_through_find_dicts) a fifth
 * time, as a browser holding the older version asks ("dcz, br, zstd, gzip"
 * and Available-Dictionary). A response is right when it is a 200 whose
 * body, decoded per its Content-Encoding (identity, gzip, br, zstd, or dcz
 * with the dictionary's bytes), has the file's SHA-256, and whose
 * Content-Type is the release's. A fifth fetch answered without dcz is not
 * wrong (a CDN may not forward Available-Dictionary: see
 * deploy/cloudfront-dictionary.md) but counted apart. Anything else (another status, a
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

struct ingest_client; /* node.h */

/* One file of the release to fetch (all strings borrowed for the call). */
struct ingest_through_file {
    const char *path; /* published path, decoded ("/assets/app.3f2a9c1e5b7d0a41.css") */
    unsigned char digest[STORE_DIGEST_LEN];
    const char *type; /* Content-Type the release names; NULL: not checked */
    /* a dictionary the node holds a dcz delta from (set by
     * ingest_through_find_dicts; dict NULL: none) */
    const unsigned char *dict;
    size_t dict_len;
    unsigned char dict_digest[STORE_DIGEST_LEN];
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
    size_t files;                  /* files checked (sample or all) */
    size_t fetches;                /* responses checked (4 per file, 5 with a dictionary) */
    size_t wrong;                  /* of them wrong */
    size_t dcz_asked, dcz_answers; /* fetches offering a dictionary; of them answered dcz */
    int timed_out; /* the time budget ended the check: unchecked fetches count as wrong */
    /* One line per wrong fetch: "URL (Accept-Encoding: X): reason\n"; NULL
     * if none. malloc'd, the caller frees it. */
    char *report;
};

/* A release's files as a node lists them (every string malloc'd). */
struct ingest_through_release {
    struct ingest_through_file *files;
    size_t n, cap;
};

/* Reads release id from the node of c (a client over that one node,
 * ingest_client_new() with a zeroed site: GET /v1/releases/<id> on its
 * transport, with its retries and API version check, decoded by the strict
 * api_release_decode(): count and release digest verified). On success
 * fills *out (free with ingest_through_release_free()) and returns 0; -1
 * with err filled ("node URL: " and why the node failed in c: unreachable,
 * not found, another answer, a malformed answer). */
int ingest_through_load_release(struct ingest_client *c, const char *id,
                                struct ingest_through_release *out, char *err, size_t errlen);

/* For every file of rel of an eligible type (api_dict.h), asks the node of
 * c which dictionaries it holds a dcz delta from (GET /v1/blobs, one entry)
 * and fetches the first one's bytes (checked against its digest) into the
 * file. Best effort: a file whose dictionary cannot be had is checked
 * without one (a node that fails in c is asked nothing more). Returns the
 * number of files given a dictionary. */
size_t ingest_through_find_dicts(struct ingest_client *c, struct ingest_through_release *rel);

/* Frees what ingest_through_load_release() filled; leaves *rel empty. */
void ingest_through_release_free(struct ingest_through_release *rel);

/* Fetches files[0..n) through opts->base and checks each response. Fills
 * *res (always). Returns 0 when every checked fetch was right, 1 when any was
 * wrong or not done in time, -1 if libcurl could not start (res->report says
 * why). */
int ingest_through_check(const struct ingest_through_file *files, size_t n,
                         const struct ingest_through_opts *opts, struct ingest_through_result *res);

#endif
