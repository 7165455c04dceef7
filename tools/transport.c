/*
 * transport.c - the request queues and the libcurl multi loop of
 * origin-ingest's admin-API client (transport.h has the rules).
 *
 * For: starting transfers within each node's `jobs`, streaming request
 * bodies through the caller's body_ops, collecting answers (at most
 * RESP_MAX bytes), the API version check, retries with backoff, failing a
 * node. Not for: building requests or reading what an answer says (node.c,
 * api/), exit codes or printing.
 */
#include "transport.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <curl/header.h>

#include "api.h"
#include "clock.h"
#include "tls_client.h"

#define RESP_MAX     (64u << 20) /* largest answer body kept */
#define BACKOFF_BASE 0.25
#define BACKOFF_CAP  8.0
#define CONNECT_MS   3000L
#define UPLOAD_BUFSZ (512L * 1024)
#define STALL_S      60L

struct ingest_transport {
    CURLM *multi;
    struct ingest_node *nodes; /* borrowed */
    size_t n;
    const struct ingest_client_opts *o; /* borrowed */
    ingest_answer_fn *answer;
    void *arg;
    struct ingest_req **pending; /* per node: singly linked list */
    unsigned *active;            /* per node */
    struct curl_slist *hdr[4];   /* per enum ingest_ctype */
    unsigned seed;
    double last_tick;
};

static void req_free(struct ingest_req *r)
{
    if (r == NULL)
        return;
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    if (r->body_ops != NULL) {
        r->body_ops->rewind(r->body);
        r->body_ops->free(r->body);
    }
    free(r->url);
    free(r->mem_owned);
    buf_free(&r->resp);
    free(r);
}

struct ingest_req *ingest_req_new(struct ingest_transport *t, size_t ni, const char *what,
                                  const char *method, const char *path)
{
    struct ingest_req *r = ingest_xcalloc(1, sizeof(*r));
    struct buf u = {0};

    r->t = t;
    r->node = ni;
    r->what = what;
    r->method = method;
    r->stall_s = STALL_S;
    ingest_buf_addf(&u, "%s%s", t->nodes[ni].url, path);
    r->url = u.data;
    return r;
}

void ingest_req_queue(struct ingest_transport *t, struct ingest_req *r, int front)
{
    struct ingest_req **p = &t->pending[r->node];

    if (front) {
        r->next = *p;
        *p = r;
        return;
    }
    while (*p != NULL)
        p = &(*p)->next;
    r->next = NULL;
    *p = r;
}

/* ------------------------------------------------------------------ */
/* libcurl callbacks                                                    */

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct ingest_req *r = arg;
    ssize_t got = r->body_ops->read(r->body, buf, size * nmemb, r->local_msg, sizeof(r->local_msg));

    if (got < 0) {
        r->local_error = 1;
        return CURL_READFUNC_ABORT;
    }
    r->t->nodes[r->node].bytes_progress += (uint64_t)got;
    return (size_t)got;
}

static int seek_cb(void *arg, curl_off_t offset, int origin)
{
    struct ingest_req *r = arg;

    if (origin != SEEK_SET || offset != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    r->body_ops->rewind(r->body);
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct ingest_req *r = arg;
    size_t n = size * nmemb;

    if (r->resp.len + n > RESP_MAX) {
        r->resp_overflow = 1;
        return 0;
    }
    ingest_buf_add(&r->resp, data, n);
    return n;
}

/* ------------------------------------------------------------------ */
/* Starting and finishing transfers                                     */

static int start(struct ingest_transport *t, struct ingest_req *r)
{
    CURL *e = curl_easy_init();

    if (e == NULL)
        return -1;
    r->easy = e;
    buf_free(&r->resp);
    r->resp_overflow = 0;
    r->local_error = 0;
    if (r->body_ops != NULL)
        r->body_ops->rewind(r->body);
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_MS);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, r->stall_s);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdr[r->ctype]);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "origin-ingest/" ORIGIND_VERSION);
    tls_client_setopt(e, t->o->cacert);
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        if (strcmp(r->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->body_ops != NULL) {
            curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
            curl_easy_setopt(e, CURLOPT_READDATA, r);
            curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
            curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
            curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, UPLOAD_BUFSZ);
        } else {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->mem);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->mem_len);
        }
    }
    if (curl_multi_add_handle(t->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        r->easy = NULL;
        return -1;
    }
    t->active[r->node]++;
    return 0;
}

/* Detaches r's transfer from the multi handle (the request stays). */
static void detach(struct ingest_transport *t, struct ingest_req *r)
{
    if (r->easy == NULL)
        return;
    curl_multi_remove_handle(t->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    if (r->body_ops != NULL)
        r->body_ops->rewind(r->body);
    t->active[r->node]--;
}

void ingest_transport_fail(struct ingest_transport *t, size_t ni, int cls, const char *fmt, ...)
{
    struct ingest_node *nd = &t->nodes[ni];
    struct ingest_req *r, *next;
    va_list ap;

    if (nd->failed) /* keep the first reason */
        goto drop;
    nd->failed = cls;
    va_start(ap, fmt);
    vsnprintf(nd->error, sizeof(nd->error), fmt, ap);
    va_end(ap);
drop:
    for (r = t->pending[ni]; r != NULL; r = next) {
        next = r->next;
        req_free(r);
    }
    t->pending[ni] = NULL;
}

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return 0;
    default:
        return 1;
    }
}

static int retryable_status(long st)
{
    return st >= 500 && st <= 599 && st != 501 && st != 505 && st != 507;
}

static double backoff(struct ingest_transport *t, unsigned attempt)
{
    double d = BACKOFF_BASE * pow(2.0, (double)(attempt - 1));
    double j = 0.5 + 0.5 * ((double)rand_r(&t->seed) / (double)RAND_MAX);

    if (d > BACKOFF_CAP)
        d = BACKOFF_CAP;
    return d * j;
}

const char *ingest_req_header(const struct ingest_req *r, const char *name)
{
    struct curl_header *h = NULL;

    if (r->easy == NULL || curl_easy_header(r->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
        h == NULL)
        return NULL;
    return h->value;
}

int64_t ingest_req_content_length(const struct ingest_req *r)
{
    curl_off_t clen = -1;

    if (r->easy == NULL ||
        curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen) != CURLE_OK)
        return -1;
    return (int64_t)clen;
}

/* Ends r: hands a final answer on, queues a retry, or fails the node. */
static void finish(struct ingest_transport *t, struct ingest_req *r, CURLcode rc)
{
    struct ingest_node *nd = &t->nodes[r->node];
    long status = 0;
    char why[CURL_ERROR_SIZE + 64];
    int retry = 0;

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    {
        curl_off_t up = 0; /* what went out, whatever the answer */

        if (curl_easy_getinfo(r->easy, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
            nd->bytes_uploaded += (uint64_t)up;
    }
    if (rc == CURLE_OK && status > 0) {
        /* every answer of an origind admin listener states its API version:
         * a 2xx body is trusted only from a compatible node; another answer
         * without the header may come from a proxy in front (handled as
         * usual), with another version it stops here */
        const char *v = ingest_req_header(r, API_VERSION_HEADER);
        char who[600];

        snprintf(who, sizeof(who), "node %s", nd->url);
        if ((v != NULL || (status >= 200 && status <= 299)) &&
            api_version_check(v, who, why, sizeof(why)) != 0) {
            detach(t, r);
            nd->requests++;
            if (!nd->failed)
                ingest_transport_fail(t, r->node, INGEST_EXIT_NODE, "%s", why);
            req_free(r);
            return;
        }
    }
    if (nd->failed || r->local_error) {
        detach(t, r);
        nd->requests++;
        if (!nd->failed)
            ingest_transport_fail(t, r->node, INGEST_EXIT_LOCAL, "%s", r->local_msg);
        req_free(r);
        return;
    }
    if (rc != CURLE_OK) {
        tls_client_strerror(rc, t->o->cacert, why, sizeof(why));
        retry = retryable_curl(rc) && !tls_client_fatal(rc); /* never retried, never downgraded */
    } else if (retryable_status(status)) {
        char reason[200];

        api_answer_error(r->resp.data, r->resp.len, reason, sizeof(reason));
        snprintf(why, sizeof(why), "HTTP %ld%s%s", status, reason[0] ? ": " : "", reason);
        retry = 1;
    } else {
        /* 2xx or a final refusal: the headers are read while attached */
        nd->requests++;
        t->answer(t->arg, r, status);
        detach(t, r);
        req_free(r);
        return;
    }
    detach(t, r);
    nd->requests++;
    if (!retry || r->attempts >= t->o->retries) {
        ingest_transport_fail(t, r->node, INGEST_EXIT_NODE, "%s failed%s: %s", r->what,
                              retry ? " after retries" : "", why);
        req_free(r);
        return;
    }
    r->attempts++;
    nd->retries++;
    r->ready_at = clock_mono_s() + backoff(t, r->attempts);
    ingest_req_queue(t, r, 1);
}

void ingest_transport_run(struct ingest_transport *t)
{
    const struct ingest_client_opts *o = t->o;

    for (;;) {
        double now = clock_mono_s(), next = now + 0.1;
        int work = 0, running = 0, left = 0, finished = 0;
        size_t ni;
        CURLMsg *m;

        for (ni = 0; ni < t->n; ni++) {
            struct ingest_req **p = &t->pending[ni];

            while (*p != NULL) {
                struct ingest_req *r = *p;

                if (t->nodes[ni].failed)
                    break;
                if (t->active[ni] >= o->jobs)
                    break;
                if (r->ready_at > now) {
                    if (r->ready_at < next)
                        next = r->ready_at;
                    p = &r->next;
                    continue;
                }
                *p = r->next;
                r->next = NULL;
                if (start(t, r) != 0) {
                    req_free(r);
                    ingest_transport_fail(t, ni, INGEST_EXIT_LOCAL, "cannot start a transfer");
                    break;
                }
            }
            if (t->pending[ni] != NULL || t->active[ni] > 0)
                work = 1;
        }
        if (!work)
            break;
        curl_multi_perform(t->multi, &running);
        while ((m = curl_multi_info_read(t->multi, &left)) != NULL) {
            struct ingest_req *r = NULL;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            finish(t, r, m->data.result);
            finished++;
        }
        /* A failed node's transfers still running end by themselves; finish() drops them. */
        now = clock_mono_s();
        if (o->tick != NULL && now - t->last_tick >= 0.1) {
            t->last_tick = now;
            o->tick(o->tick_arg);
        }
        if (finished > 0)
            continue; /* start what became ready, or notice that all is done */
        {
            double wait = next - now;
            int ms = wait <= 0 ? 0 : (int)(wait * 1000.0) + 1;

            if (ms > 100)
                ms = 100;
            curl_multi_poll(t->multi, NULL, 0, ms, NULL);
        }
    }
    if (o->tick != NULL)
        o->tick(o->tick_arg);
}

/* ------------------------------------------------------------------ */
/* Life                                                                 */

static struct curl_slist *headers(const char *token, const char *ctype)
{
    struct curl_slist *h = NULL;
    struct buf b = {0};

    ingest_buf_addf(&b, "Authorization: Bearer %s", token);
    h = curl_slist_append(h, b.data);
    explicit_bzero(b.data, b.len);
    buf_free(&b);
    h = curl_slist_append(h, "Expect:");
    if (ctype != NULL) {
        ingest_buf_addf(&b, "Content-Type: %s", ctype);
        h = curl_slist_append(h, b.data);
        buf_free(&b);
    }
    return h;
}

struct ingest_transport *ingest_transport_new(struct ingest_node *nodes, size_t n,
                                              const struct ingest_client_opts *o,
                                              ingest_answer_fn *answer, void *arg)
{
    static const char *const ctype[4] = {NULL, "application/json", "application/x-origind-bundle",
                                         "application/octet-stream"};
    struct ingest_transport *t;
    size_t i;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    t = ingest_xcalloc(1, sizeof(*t));
    t->multi = curl_multi_init();
    if (t->multi == NULL) {
        free(t);
        curl_global_cleanup();
        return NULL;
    }
    t->nodes = nodes;
    t->n = n;
    t->o = o;
    t->answer = answer;
    t->arg = arg;
    t->pending = ingest_xcalloc(n ? n : 1, sizeof(*t->pending));
    t->active = ingest_xcalloc(n ? n : 1, sizeof(*t->active));
    for (i = 0; i < 4; i++)
        t->hdr[i] = headers(o->token, ctype[i]);
    curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)(n * o->jobs + 4));
    t->seed = (unsigned)getpid() ^ (unsigned)(clock_mono_s() * 1e6);
    return t;
}

void ingest_transport_free(struct ingest_transport *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n; i++) {
        struct ingest_req *r, *next;

        for (r = t->pending[i]; r != NULL; r = next) {
            next = r->next;
            req_free(r);
        }
    }
    for (i = 0; i < 4; i++)
        curl_slist_free_all(t->hdr[i]);
    curl_multi_cleanup(t->multi);
    free(t->pending);
    free(t->active);
    free(t);
    curl_global_cleanup();
}
