/*
 * peer_client.c - the HTTP client to one peer's admin API (peer_internal.h):
 * curl easy (JSON answers, keep-alive) and multi (parallel blob fetches)
 * handles, TLS through common/tls_client.h, bounded timeouts, the node-API
 * version check on every answer, and the bearer token (wiped on free).
 *
 * Not for: deciding what to fetch or storing it (peer_sync.c), or trusting
 * a byte of what arrives (the store re-hashes and decodes everything).
 *
 * Thread-safety: a struct ctx belongs to one thread; nothing here is shared.
 */
#include "peer_internal.h"

#include "api.h"
#include "clock.h"
#include "log.h"
#include "tls_client.h"

#include <curl/header.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
    size_t n = size * nmemb;

    /* over the cap or out of memory: curl fails the transfer */
    return buf_add(arg, data, n) == BUF_OK ? n : 0;
}

static int xfer_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    atomic_int *stop = arg;

    return stop != NULL && atomic_load(stop) ? 1 : 0;
}

/* Milliseconds left before the pass deadline, capped at cap; 1 if passed. */
static long time_left_ms(const struct ctx *x, long cap)
{
    uint64_t now;
    long left;

    if (x->deadline_ns == 0)
        return cap;
    now = clock_mono_ns();
    if (now >= x->deadline_ns)
        return 1;
    left = (long)((x->deadline_ns - now) / 1000000ULL) + 1;
    return left < cap ? left : cap;
}

/* How long one transfer may go without progress (to connect, or below
 * 1 KiB/s): stall_max_ms (LOW_SPEED_SECS when 0), no longer than what is
 * left of the catch-up budget (but at least STALL_MIN_MS, so a peer that
 * answers at once can still be caught up from once it is spent) and of the
 * deadline. */
static long stall_ms(const struct ctx *x)
{
    long ms = x->stall_max_ms > 0 ? x->stall_max_ms : LOW_SPEED_SECS * 1000L;

    if (x->budget_ns != 0) {
        uint64_t now = clock_mono_ns();
        long left = now < x->budget_ns ? (long)((x->budget_ns - now) / 1000000ULL) : 0;

        if (left < STALL_MIN_MS)
            left = STALL_MIN_MS;
        if (left < ms)
            ms = left;
    }
    return time_left_ms(x, ms);
}

int peer_expired(const struct ctx *x)
{
    return atomic_load(x->stop) || (x->deadline_ns != 0 && clock_mono_ns() >= x->deadline_ns);
}

static void setup_easy(struct ctx *x, CURL *e, const char *url, struct buf *b, long timeout_ms)
{
    long stall = stall_ms(x);

    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, stall < CONNECT_MS ? stall : CONNECT_MS);
    if (timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    /* a peer that accepts and never answers, or trickles, is given up on
     * after the stall time (curl counts it in whole seconds) */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (stall + 999) / 1000);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, xfer_cb);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, x->stop);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    tls_client_setopt(e, x->cacert);
}

/* GETs base+rel. Returns 0 for a 200 from a peer of this API version, with
 * the body in *out (caller frees with buf_free), else -1 with *status the
 * HTTP status (0: transport error or another API version; logged). */
int peer_get_body(struct ctx *x, const char *rel, struct buf *out, long *status)
{
    char url[URL_MAX + 256], why[API_WHY_MAX], who[URL_MAX + 16];
    struct buf b = {NULL, 0, 0, JSON_CAP};
    struct curl_header *h = NULL;
    CURLcode cc;

    *status = 0;
    if (peer_expired(x) || x->down)
        return -1;
    snprintf(url, sizeof(url), "%s%s", x->base, rel);
    curl_easy_reset(x->easy);
    setup_easy(x, x->easy, url, &b, time_left_ms(x, JSON_TIMEOUT_MS));
    cc = curl_easy_perform(x->easy);
    if (cc != CURLE_OK) {
        char twhy[512];

        log_warn("peer %s: GET %s: %s", x->base, rel,
                 tls_client_strerror(cc, x->cacert, twhy, sizeof(twhy)));
        /* it did not answer in time (or at all): not asked again by this
         * ctx, so a hanging peer costs one stall, not one per request */
        if (cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_CONNECT)
            x->down = 1;
        goto fail;
    }
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, status);
    if (curl_easy_header(x->easy, API_VERSION_HEADER, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        h = NULL;
    snprintf(who, sizeof(who), "peer %s", x->base);
    if ((h != NULL || *status == 200) &&
        api_version_check(h != NULL ? h->value : NULL, who, why, sizeof(why)) != 0) {
        if (!x->incompatible)
            log_error("%s: nothing is taken from it", why);
        x->incompatible = 1;
        atomic_fetch_add(&x->cnt->incompatible, 1);
        *status = 0;
        goto fail;
    }
    if (*status != 200)
        goto fail;
    *out = b;
    return 0;
fail:
    buf_free(&b);
    return -1;
}

/* A peer answer the strict decoder refused: logged and counted. */
void peer_refused(struct ctx *x, const char *what, const char *why)
{
    log_error("peer %s: %s refused: %s", x->base, what, why);
    atomic_fetch_add(&x->cnt->refused, 1);
    x->failed++;
}

/* get_text for peer_tombstones_sync(), which knows no struct ctx. */
int peer_get_text(void *arg, const char *rel, char **body, size_t *len, long *status)
{
    struct ctx *x = arg;
    struct buf b;

    if (peer_get_body(x, rel, &b, status) != 0)
        return -1;
    *body = b.data; /* the caller frees it now */
    *len = b.len;
    return 0;
}

/* Fetches every f[0..n) with at most x->jobs transfers at once on keep-alive
 * connections; sets f[i].ok for each 200 whose body fit. */
void peer_fetch_many(struct ctx *x, struct fetch *f, size_t n)
{
    size_t next = 0, running = 0, k;
    char url[URL_MAX + 160];
    CURL *live[JOBS_MAX] = {NULL};
    int still = 0;

    if (x->down) { /* timed out before in this pass: not asked again */
        x->failed += n;
        return;
    }

    while (((next < n && !x->down) || running > 0) && !atomic_load(x->stop)) {
        CURLMsg *m;
        int left;

        /* once a transfer could not connect or stalled, nothing more is
         * started: a hung peer costs one stall, not one per blob */
        while (next < n && running < x->jobs && !x->down) {
            struct fetch *j = &f[next++];
            CURL *e = curl_easy_init();
            char hex[STORE_HEX_LEN + 1];

            if (e == NULL)
                continue;
            store_digest_to_hex(j->digest, hex);
            snprintf(url, sizeof(url), "%s" API_PATH_BLOBS "/%s%s%s", x->base, hex,
                     j->enc == STORE_ENC_IDENTITY ? "" : "/",
                     j->enc == STORE_ENC_IDENTITY ? "" : store_encoding_name(j->enc));
            j->body.len = 0;
            if (j->enc == STORE_ENC_IDENTITY)
                j->body.max = (size_t)j->size;
            else
                j->body.max =
                    (size_t)(j->size * 2 + 65536 < x->max_blob ? j->size * 2 + 65536 : x->max_blob);
            if (j->body.max == 0)
                j->body.max = 1; /* the empty blob: nothing may arrive */
            setup_easy(x, e, url, &j->body, x->deadline_ns ? time_left_ms(x, 3600000L) : 0);
            curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j);
            curl_multi_add_handle(x->multi, e);
            for (k = 0; k < JOBS_MAX && live[k] != NULL; k++)
                ;
            if (k < JOBS_MAX)
                live[k] = e;
            running++;
        }
        curl_multi_perform(x->multi, &still);
        while ((m = curl_multi_info_read(x->multi, &left)) != NULL) {
            struct fetch *j = NULL;
            long code = 0;

            if (m->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            j->status = m->data.result == CURLE_OK ? code : 0;
            if (m->data.result == CURLE_COULDNT_CONNECT ||
                m->data.result == CURLE_OPERATION_TIMEDOUT)
                x->down = 1;
            if (m->data.result == CURLE_OK && code == 200) {
                j->ok = 1;
            } else if (!(j->optional && m->data.result == CURLE_OK && code == 404)) {
                char hex[STORE_HEX_LEN + 1];

                store_digest_to_hex(j->digest, hex);
                log_warn("peer %s: GET blob %s%s%s: %s (HTTP %ld)", x->base, hex, j->enc ? "/" : "",
                         j->enc ? store_encoding_name(j->enc) : "",
                         curl_easy_strerror(m->data.result), code);
                x->failed++;
                atomic_fetch_add(&x->cnt->errors, 1);
            }
            for (k = 0; k < JOBS_MAX; k++)
                if (live[k] == m->easy_handle)
                    live[k] = NULL;
            curl_multi_remove_handle(x->multi, m->easy_handle);
            curl_easy_cleanup(m->easy_handle);
            running--;
        }
        if (running > 0)
            curl_multi_poll(x->multi, NULL, 0, 100, NULL);
        if (x->deadline_ns != 0 && clock_mono_ns() >= x->deadline_ns + 1000000000ULL)
            break; /* the transfers' own timeouts should have ended them */
    }
    /* stopped early: drop whatever is still in flight */
    for (k = 0; k < JOBS_MAX; k++) {
        if (live[k] == NULL)
            continue;
        curl_multi_remove_handle(x->multi, live[k]);
        curl_easy_cleanup(live[k]);
    }
    x->failed += running + (n - next); /* in flight, and never started */
}

int peer_ctx_init(struct ctx *x, struct store *st, const char *base, const char *cacert,
                  const char *token, size_t token_len, unsigned jobs, uint64_t max_blob,
                  struct counters *cnt, atomic_int *stop)
{
    char hdr[4200];

    memset(x, 0, sizeof(*x));
    x->st = st;
    x->base = base;
    x->cacert = cacert;
    x->jobs = jobs == 0 ? 1 : jobs > JOBS_MAX ? JOBS_MAX : jobs;
    x->max_blob = max_blob;
    x->cnt = cnt;
    x->stop = stop;
    snprintf(hdr, sizeof(hdr), "Authorization: Bearer %.*s", (int)token_len, token);
    x->hdrs = curl_slist_append(NULL, hdr);
    OPENSSL_cleanse(hdr, sizeof(hdr));
    x->easy = curl_easy_init();
    x->multi = curl_multi_init();
    if (x->hdrs == NULL || x->easy == NULL || x->multi == NULL)
        return -1;
    curl_multi_setopt(x->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)x->jobs);
    return 0;
}

void peer_ctx_free(struct ctx *x)
{
    struct curl_slist *h;

    /* the header holds the token: wipe it before curl frees it */
    for (h = x->hdrs; h != NULL; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(x->hdrs);
    curl_easy_cleanup(x->easy);
    curl_multi_cleanup(x->multi);
    x->hdrs = NULL;
    x->easy = NULL;
    x->multi = NULL;
}
