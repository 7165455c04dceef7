/*
 * admin_promote.c - the admin API's promotion answers (see
 * admin_promote.h): a promotion record checked against this node (the
 * release here, complete, with the same release digest; the floor here and
 * not newer) and recorded with store_promote(); the current record and its
 * history; the public release document built from it.
 *
 * For: server/admin.c, server/public.c and server/peer_promote.c. Not for:
 * the fleet-wide decision (origin-ingest promote), the HTTP exchange
 * itself, or the record's encoding (api/api_promote.c).
 */
#include "admin_promote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "metrics.h"
#include "server.h"

static char *json_text(json_t *j, size_t *len)
{
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(j);
    if (text != NULL)
        *len = strlen(text);
    return text;
}

unsigned admin_promotion_get(struct store *st, char **text, size_t *text_len)
{
    struct store_promotion *hist = calloc(STORE_PROMOTION_HISTORY, sizeof(*hist));
    struct store_reader *rd = NULL;
    size_t n = 0;
    int err;

    *text = NULL;
    if (hist == NULL)
        return 500;
    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_promotion_get(rd, hist, STORE_PROMOTION_HISTORY, &n);
    store_reader_end(rd);
    if (err != STORE_OK) {
        free(hist);
        *text = json_text(json_pack("{s:s}", "error", store_strerror(err)), text_len);
        return *text != NULL ? http_status_for_store_err(err) : 500;
    }
    *text = api_promotion_state_encode(hist, n, text_len);
    free(hist);
    return *text != NULL ? 200 : 500;
}

/* A release's digest as this node holds it (api.h), read through rd. */
struct digest_walk {
    struct api_digest *d;
    int bad;
};

static int digest_cb(void *arg, const struct store_file *f)
{
    struct digest_walk *w = arg;

    if (api_digest_add(w->d, f->path, f->path_len, f->digest, f->type, f->type_len) != 0) {
        w->bad = 1;
        return 1;
    }
    return 0;
}

static int release_digest(struct store_reader *rd, const char *id,
                          unsigned char out[STORE_DIGEST_LEN])
{
    struct digest_walk w = {api_digest_new(), 0};
    int err;

    if (w.d == NULL)
        return STORE_ENOMEM;
    err = store_release_get(rd, id, strlen(id), NULL, digest_cb, &w);
    if (err == STORE_OK && w.bad)
        err = STORE_ECORRUPT;
    if (err != STORE_OK) {
        api_digest_free(w.d);
        return err;
    }
    api_digest_final(w.d, out);
    return STORE_OK;
}

unsigned admin_promote_record(struct store *st, const struct store_promotion *p, char *why,
                              size_t why_size)
{
    struct store_promotion cur;
    struct store_reader *rd = NULL;
    unsigned char have[STORE_DIGEST_LEN];
    char hex[STORE_HEX_LEN + 1];
    size_t n = 0;
    int err, created = 0;

    why[0] = '\0';
    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_promotion_get(rd, &cur, 1, &n);
    if (err == STORE_OK && n > 0 && store_promotion_cmp(p, &cur) == 0) {
        store_reader_end(rd);
        return 200; /* already the current one (the release may be pruned since) */
    }
    if (err == STORE_OK && n > 0 && store_promotion_cmp(p, &cur) < 0) {
        store_reader_end(rd);
        snprintf(why, why_size,
                 "this node holds a newer promotion (generation %llu, release %s): run "
                 "origin-ingest promote again",
                 (unsigned long long)cur.generation, cur.release);
        return 409;
    }
    if (err == STORE_OK)
        err = store_promotion_check(rd, p);
    if (err == STORE_OK)
        err = release_digest(rd, p->release, have);
    store_reader_end(rd);
    if (err == STORE_OK && memcmp(have, p->digest, STORE_DIGEST_LEN) != 0) {
        store_digest_to_hex(have, hex);
        snprintf(why, why_size, "release %s has digest %.16s... here, not the one promoted",
                 p->release, hex);
        return 422;
    }
    if (err == STORE_OK)
        err = store_promote(st, p, &created);
    switch (err) {
    case STORE_OK:
        log_info("promotion: release %s is live (generation %llu, floor %s)", p->release,
                 (unsigned long long)p->generation, p->floor[0] ? p->floor : "none");
        return created ? 201 : 200;
    case STORE_ENOTFOUND:
        snprintf(why, why_size, "release %s is not on this node", p->release);
        return 404;
    case STORE_EPRUNED:
        snprintf(why, why_size, "release %s was pruned on this node", p->release);
        return 410;
    case STORE_EMISSING:
        snprintf(why, why_size, "floor %s is not on this node", p->floor);
        return 422;
    case STORE_ECONFLICT:
        snprintf(why, why_size, "floor %s is newer than release %s (or a newer promotion won)",
                 p->floor, p->release);
        return 409;
    default:
        snprintf(why, why_size, "%s", store_strerror(err));
        return http_status_for_store_err(err);
    }
}

unsigned admin_promote(struct store *st, const void *body, size_t len, char *subject, char **text,
                       size_t *text_len)
{
    struct store_promotion p;
    char why[API_WHY_MAX + STORE_ID_MAX * 2];
    unsigned status;

    *text = NULL;
    if (api_promotion_decode(body, len, &p, why, sizeof(why)) != 0) {
        *text = json_text(json_pack("{s:s}", "error", why), text_len);
        return *text != NULL ? 400 : 500;
    }
    memcpy(subject, p.release, strlen(p.release) + 1);
    status = admin_promote_record(st, &p, why, sizeof(why));
    if (status == 200 || status == 201)
        *text = json_text(json_pack("{s:s,s:I,s:b}", "release", p.release, "generation",
                                    (json_int_t)p.generation, "created", status == 201),
                          text_len);
    else
        *text = json_text(json_pack("{s:s}", "error", why), text_len);
    return *text != NULL ? status : 500;
}

/* The newest promotion into *cur: 1, 0 if there is none, -1 if the store
 * could not be read. */
static int newest_promotion(struct store *st, struct store_promotion *cur)
{
    struct store_reader *rd = NULL;
    size_t n = 0;
    int err;

    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_promotion_get(rd, cur, 1, &n);
    store_reader_end(rd);
    if (err != STORE_OK)
        return -1;
    return n > 0;
}

int admin_release_doc(struct store *st, char *out, size_t cap, size_t *len,
                      char etag[API_RELEASE_DOC_ETAG_LEN + 1])
{
    struct store_promotion cur;
    int rc = newest_promotion(st, &cur);

    if (rc <= 0)
        return rc;
    return api_release_doc(&cur, out, cap, len, etag) == 0 ? 1 : -1;
}

int admin_promotion_metrics(struct store *st, char **text, size_t *len)
{
    struct store_promotion cur;

    if (newest_promotion(st, &cur) <= 0)
        memset(&cur, 0, sizeof(cur));
    return metrics_text_addf(
        text, len,
        "# HELP origind_promotion_generation Generation of the promotion this node "
        "holds (0: none); nodes that differ disagree on the live release.\n"
        "# TYPE origind_promotion_generation gauge\n"
        "origind_promotion_generation %llu\n"
        "# HELP origind_promotion_time_seconds When the promotion this node holds was "
        "made (origin-ingest's clock; 0: none).\n"
        "# TYPE origind_promotion_time_seconds gauge\n"
        "origind_promotion_time_seconds %lld\n",
        (unsigned long long)cur.generation, (long long)cur.promoted_at);
}
