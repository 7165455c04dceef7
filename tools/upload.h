/*
 * upload.h - the body of an upload to a node, streamed from the build
 * directory: one item raw (PUT /v1/blobs/<hex>[/<encoding>]) or a bundle of
 * records (POST /v1/bundle, admin_body.h's framing). Identity bytes are read
 * from the file with pread as they go out (no copy of the site in memory);
 * variants come from memory.
 *
 * For: node.c, which queues these bodies on transport.h (ingest_upload_ops).
 * Not for: choosing what to upload (node.c) or carrying it (transport.c).
 *
 * Lifetime: an upload borrows its site, which must outlive it.
 */
#ifndef ORIGIN_INGEST_UPLOAD_H
#define ORIGIN_INGEST_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "transport.h"

struct ingest_upload; /* opaque */

/* The body operations of an upload (ingest_req.body is the upload; the
 * request frees it). read fails (-1, with a reason) when a file changed
 * size or vanished, or cannot be read. */
extern const struct ingest_body_ops ingest_upload_ops;

/* A new empty upload of site s: raw (one item, its bytes only) or a bundle
 * (records). Never fails (exits on out of memory). */
struct ingest_upload *ingest_upload_new(const struct ingest_site *s, int raw);

/* Appends blob's encoding enc (STORE_ENC_IDENTITY: the file's bytes) and
 * returns the bytes that adds to the body (a record header and the payload;
 * the payload only when raw). A raw upload takes one item. */
uint64_t ingest_upload_add(struct ingest_upload *u, size_t blob, int enc);

/* The number of items, and the blob of item i (i < that number). */
size_t ingest_upload_items(const struct ingest_upload *u);
size_t ingest_upload_blob(const struct ingest_upload *u, size_t i);

/* How many of the items are identity blobs and how many variants. */
void ingest_upload_count(const struct ingest_upload *u, size_t *blobs, size_t *variants);

/* After a node refused the upload (422): did one of its files change since
 * it was hashed? Returns 1 with a one-line reason in msg[0..len), else 0. */
int ingest_upload_changed(const struct ingest_upload *u, char *msg, size_t len);

#endif
