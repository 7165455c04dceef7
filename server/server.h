/*
 * server.h - state and helpers shared by origind's two listeners
 * (public.c, admin.c) and main.c. Internal to server/: libmicrohttpd types
 * appear here and nowhere outside this directory.
 */
#ifndef ORIGIND_SERVER_H
#define ORIGIND_SERVER_H

#include "audit.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct spool;
struct server;
struct conn_node;
struct peers;
struct peer_fetch_stats;
struct resp_cache;
struct tls_pair;

/* The cls of a listener's request callbacks: which listener it is. */
struct listener_ctx {
    struct server *srv;
    enum metrics_listener which;
};

/* Everything a running `origind serve` shares between threads. Created and
 * destroyed by main.c; the listeners only read the plain fields and use the
 * atomics. */
struct server {
    struct store *st;
    const struct config *cfg;
    struct metrics *metrics;
    struct access_log *alog;
    struct auth *auth;                    /* admin, read and peer tokens (auth.h); owned by main */
    struct tls_pair *admin_tls, *pub_tls; /* NULL: plain HTTP (tls.h); owned by main */
    char *origin_secret;                  /* NULL: no origin secret required */
    size_t origin_secret_len;
    int64_t started;
    atomic_int draining;            /* SIGTERM seen: /healthz answers 503 */
    atomic_int closing;             /* listeners quiesced: answer with Connection: close */
    atomic_int catching_up;         /* --peer: catching up, /healthz answers 503 (peer.c) */
    struct peers *peers;            /* NULL without --peer */
    struct peer_fetch_stats *fetch; /* POST /v1/fetch's counters and stop flag (peer.h) */
    struct resp_cache *rcache;      /* NULL: --response-cache 0 (resp_cache.h) */
    atomic_uint_fast64_t in_flight; /* requests between URI and completion, both listeners */
    struct MHD_Daemon *public_d, *admin_d;
    struct listener_ctx lctx[METRICS_LISTENERS];
    /* open connections (both listeners), for the final flush on shutdown */
    pthread_mutex_t conns_lock;
    struct conn_node *conns;
};

/* Per-request state, created by the URI callback and freed by the
 * completion callback (req_completed), whatever happened in between. */
struct req {
    struct server *srv;
    enum metrics_listener listener;
    uint64_t start_ns;
    char *target; /* the raw request-target, as received (owned) */
    size_t target_len;
    /* Where libmicrohttpd's request-target began in its read buffer; only
     * compared with the version pointer (req_line_cut), never kept past the
     * first access-handler call. NULL if there was none. */
    const char *target_raw;
    char method[16];
    size_t method_len;
    unsigned calls;    /* access handler calls so far */
    unsigned status;   /* status queued, 0 if none */
    uint64_t bytes;    /* body bytes of the queued response (0 for HEAD) */
    const char *cache; /* "hit", "miss", "-" */
    /* Held from lookup until req_completed_cb (the last send() has
     * returned): a response body may point into this reader's snapshot of
     * the store map (store.h, page lifetime rule). */
    struct store_reader *reader;
    /* admin only */
    int route;
    int expect_body;
    struct spool *spool;
    int body_error;          /* an error already found while receiving the body */
    struct audit_note audit; /* a write's audit line, written at completion */
    /* public only: read-through heal (peers_heal, public.c): 0 not tried,
     * 1 waiting (connection suspended), 2 done (look up again, no second
     * heal); heal_conn is the connection to resume */
    int heal;
    struct MHD_Connection *heal_conn;
};

/* The client address of c as text ("-" if unknown) in out[0..cap). */
void server_client_addr(struct MHD_Connection *c, char *out, size_t cap);

/* 1 if the request line held a NUL inside its request-target, which
 * libmicrohttpd would silently cut there; then r->target becomes the whole
 * target as received (NULs included: the access log escapes them), for the
 * log (left as it was if memory is short, or if the whole target is over
 * 16 x HTTP_PATH_MAX bytes: still 1). 0 otherwise. version is
 * the access handler's version argument; call this on its first call only
 * (the read buffer is still the one parsed). */
int req_line_cut(struct req *r, const char *version);

/* The first access-handler call of a request: copies method into r->method
 * (cut to fit, NUL-terminated; r->method_len its length), then returns
 * req_line_cut(r, version). */
int req_first_call(struct req *r, const char *method, const char *version);

/* The one mapping from store errors to HTTP status codes. */
unsigned http_status_for_store_err(int err);

/* MHD callbacks shared by both daemons (cls is the listener's struct
 * listener_ctx; the unescape and log callbacks ignore it). */
void *req_uri_cb(void *cls, const char *uri, struct MHD_Connection *c);
void req_completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe);
size_t req_unescape_cb(void *cls, struct MHD_Connection *c, char *s);
void server_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: struct server): keeps the
 * list of open connections. */
void conn_notify_cb(void *cls, struct MHD_Connection *c, void **socket_ctx,
                    enum MHD_ConnectionNotificationCode code);
/* Bytes written to open connections that their clients have not yet
 * acknowledged (SIOCOUTQ summed over every open connection). A response
 * libmicrohttpd considers complete may still sit in kernel buffers; exiting
 * then would cut it off. */
uint64_t server_unacked_bytes(struct server *srv);

/* Queues resp with status, adding Connection: close once the server is
 * closing and, on the admin listener, the node API version headers; on
 * MHD_YES records status and body_len (0 for HEAD) in r for the log and
 * metrics. Drops the caller's reference to resp (NULL: MHD_NO). Returns the
 * MHD result. */
enum MHD_Result req_queue(struct req *r, struct MHD_Connection *c, unsigned status,
                          struct MHD_Response *resp, uint64_t body_len);
/* req_queue, but the caller keeps its reference to resp (NULL: MHD_NO). */
enum MHD_Result req_queue_ref(struct req *r, struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *resp, uint64_t body_len);

/* A one-line text/plain answer ("msg\n", cut to 255 bytes) with
 * X-Content-Type-Options: nosniff and, with no_store, Cache-Control:
 * no-store; not queued (the caller owns it: req_queue or
 * MHD_destroy_response). Writes *body_len on success. Returns NULL on
 * allocation failure. */
struct MHD_Response *req_text_response(const char *msg, int no_store, uint64_t *body_len);

/* Queues req_text_response(msg, no_store) with status. */
enum MHD_Result req_text(struct req *r, struct MHD_Connection *c, unsigned status, const char *msg,
                         int no_store);

/* The request's method as a comparable string. */
int req_method_is(const struct req *r, const char *m);

/* Starts the listeners on already bound, listening sockets. Return 0 or -1
 * (logged). */
int public_start(struct server *srv, int fd);
int admin_start(struct server *srv, int fd);

#endif /* ORIGIND_SERVER_H */
