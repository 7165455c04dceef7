/*
 * transport.h - how origin-ingest carries requests to origind admin
 * listeners: a queue of requests per node, one libcurl multi handle for
 * every node at once (HTTP/1.1 keep-alive, at most `jobs` transfers per
 * node), retries with exponential backoff and jitter, the API version
 * check, and failing a node.
 *
 * For: node.c (the phases of a push, verify, manifest and prune), which
 * builds the requests and reads their answers. Not for: what a request asks
 * or what an answer means (node.c, api/); printing (report.c).
 *
 * Retries: connection errors and 5xx (but 501, 505, 507) are retried up to
 * `retries` times, waiting base*2^n (base 250 ms, cap 8 s) scaled by a
 * random factor in [0.5, 1]. 4xx is never retried, nor a TLS failure that
 * retrying cannot fix (tls_client_fatal: e.g. a certificate that does not
 * verify against --cacert).
 *
 * Versioning: every answer that carries API_VERSION_HEADER, and every 2xx,
 * is checked with api_version_check(); another version fails the node
 * (INGEST_EXIT_NODE) and its answer is not handed on.
 *
 * The nodes. A transport works on the caller's array of struct ingest_node
 * (node.h; borrowed, must outlive the transport): it reads .url and writes
 * only .failed and .error (ingest_transport_fail), .requests, .retries,
 * .bytes_progress and .bytes_uploaded.
 *
 * Threads: a transport is used by one thread.
 */
#ifndef ORIGIN_INGEST_TRANSPORT_H
#define ORIGIN_INGEST_TRANSPORT_H

#include <stdint.h>
#include <sys/types.h>

#include "ingest.h"
#include "node.h"

struct ingest_transport; /* opaque */

/* The Content-Type a request body is sent with. */
enum ingest_ctype {
    INGEST_CT_NONE,   /* no body (GET, HEAD) */
    INGEST_CT_JSON,   /* application/json */
    INGEST_CT_BUNDLE, /* application/x-origind-bundle */
    INGEST_CT_OCTET,  /* application/octet-stream */
};

/* A body streamed by the caller (req->body is its state). */
struct ingest_body_ops {
    /* Writes the next bytes into buf[0..cap) and returns how many (0: the
     * end), or -1 after writing a one-line reason into why[0..why_size):
     * the transfer is aborted and the node failed with INGEST_EXIT_LOCAL
     * and that reason. */
    ssize_t (*read)(void *body, char *buf, size_t cap, char *why, size_t why_size);
    /* Back to the first byte, releasing what read holds open (a file):
     * called before every attempt, when libcurl rewinds, and when a
     * transfer ends. */
    void (*rewind)(void *body);
    /* Frees body (with the request). */
    void (*free)(void *body);
};

/* One request. The caller fills the fields above "private" between
 * ingest_req_new() and ingest_req_queue(); the transport owns it from then
 * on and frees it (with mem_owned and body) once it is answered, given up
 * or dropped with a failed node. */
struct ingest_req {
    size_t node;        /* index into the nodes */
    int kind;           /* the caller's; the transport never reads it */
    size_t idx;         /* the caller's */
    const char *what;   /* static; names it in reasons ("bundle upload failed: ...") */
    const char *method; /* static: "GET", "HEAD", "POST", "PUT" */
    enum ingest_ctype ctype;
    long stall_s; /* give up after this many seconds without a byte (60) */
    /* A body from memory (mem borrowed until the request is freed; or
     * mem_owned, freed with it, with mem pointing into it) ... */
    const char *mem;
    size_t mem_len;
    char *mem_owned;
    /* ... or streamed (body_ops not NULL: body_len bytes). */
    const struct ingest_body_ops *body_ops;
    void *body;
    uint64_t body_len;
    /* The answer's body (during the answer callback; data may be NULL when
     * empty). */
    struct buf resp;

    /* private */
    struct ingest_req *next;
    struct ingest_transport *t;
    char *url;
    int resp_overflow;
    int local_error;
    char local_msg[300];
    unsigned attempts;
    double ready_at;
    void *easy; /* CURL * */
};

/* Called with every final answer of a compatible node that is still
 * healthy: a 2xx, or a status that is not retried (4xx, 501, 505, 507). (A
 * connection error or a retryable status that outlasts the retries fails
 * the node with "<what> failed after retries: <why>" instead.) r is
 * borrowed for the call and freed after it; the callback may queue
 * requests, fail nodes, and read the answer's headers with
 * ingest_req_header() and ingest_req_content_length(). */
typedef void ingest_answer_fn(void *arg, struct ingest_req *r, long status);

/* Starts a transport over nodes[0..n) (see "The nodes") with o's token,
 * cacert, jobs, retries and tick (o borrowed for the transport's life).
 * Every final answer goes to answer(arg, ...). Returns NULL on failure (curl
 * could not start). */
struct ingest_transport *ingest_transport_new(struct ingest_node *nodes, size_t n,
                                              const struct ingest_client_opts *o,
                                              ingest_answer_fn *answer, void *arg);
/* Frees t and every request still queued. NULL is a no-op. */
void ingest_transport_free(struct ingest_transport *t);

/* A new request of node ni: method (static) to path (under the node's admin
 * URL; copied), stall_s 60, no body. Never fails (exits on out of memory). */
struct ingest_req *ingest_req_new(struct ingest_transport *t, size_t ni, const char *what,
                                  const char *method, const char *path);
/* Queues r at the end of its node's queue, or at the front (front != 0:
 * before what is already waiting). Takes ownership of r. */
void ingest_req_queue(struct ingest_transport *t, struct ingest_req *r, int front);

/* Runs every queued request to completion (or its node's failure),
 * calling o->tick about 10 times a second and once at the end. */
void ingest_transport_run(struct ingest_transport *t);

/* Fails node ni with class cls (INGEST_EXIT_*) and a one-line reason
 * (printf format) and drops its queued requests; a node already failed
 * keeps its first reason. Transfers still running end by themselves and
 * their answers are dropped. */
void ingest_transport_fail(struct ingest_transport *t, size_t ni, int cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* During the answer callback: the value of the answer's header name
 * (borrowed until the callback returns), or NULL if it has none. */
const char *ingest_req_header(const struct ingest_req *r, const char *name);
/* During the answer callback: the answer's Content-Length, or -1 if none. */
int64_t ingest_req_content_length(const struct ingest_req *r);

#endif
