/*
 * admin_prune.c - the admin API's retention answers (see admin_prune.h):
 * a prune request (decoded and its answer encoded by api/api_prune.c) run
 * through store_prune(), and the tombstones and the retention counters as
 * JSON and Prometheus text.
 *
 * For: server/admin.c. Not for: choosing which releases go (origin-ingest
 * prune), the HTTP exchange itself, or the store's own bookkeeping.
 */
#include "admin_prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "metrics.h"
#include "server.h"

static json_t *error_json(const char *msg)
{
    return json_pack("{s:s}", "error", msg);
}

/* Collects store_prune()'s per-id report into an api_prune_answer. */
static void on_pruned(void *arg, const char *id, size_t id_len, int state, uint64_t blobs,
                      uint64_t variants, uint64_t bytes)
{
    struct api_prune_answer *a = arg;
    struct api_prune_entry *e = &a->releases[a->n++];

    memcpy(e->id, id, id_len);
    e->id[id_len] = '\0';
    e->state = state;
    e->blobs = blobs;
    e->variants = variants;
    e->bytes = bytes;
}

/* {"error": msg} as malloc'd text, or NULL when out of memory. */
static char *error_text(const char *msg, size_t *len)
{
    json_t *j = error_json(msg);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    if (text != NULL)
        *len = strlen(text);
    return text;
}

unsigned admin_prune(struct store *st, const void *body, size_t len, int64_t now, char **text,
                     size_t *text_len)
{
    struct api_prune_request req;
    struct api_prune_answer ans;
    char why[API_WHY_MAX];
    unsigned status;
    int err, rc;

    *text = NULL;
    memset(&req, 0, sizeof(req));
    memset(&ans, 0, sizeof(ans));
    rc = api_prune_request_decode(body, len, &req, why, sizeof(why));
    if (rc != 0) {
        if (rc == -3)
            return 500;
        *text = error_text(why, text_len);
        return rc == -2 ? 413 : 400;
    }
    ans.releases = calloc(req.n + 1, sizeof(*ans.releases));
    if (ans.releases == NULL) {
        status = 500;
        goto out;
    }
    ans.dry_run = req.dry_run;
    err = store_prune(st, req.ids, req.n, now, req.dry_run, on_pruned, &ans, &ans.tot);
    if (err == STORE_EINVAL) {
        *text = error_text("a release id is named twice", text_len);
        status = 400;
        goto out;
    }
    if (err != STORE_OK) {
        *text = error_text(store_strerror(err), text_len);
        status = http_status_for_store_err(err);
        log_error("admin: prune of %zu releases failed: %s", req.n, store_strerror(err));
        goto out;
    }
    if (!req.dry_run)
        log_info("admin: prune: %llu releases pruned, %llu already, %llu absent; %llu blobs, "
                 "%llu bytes freed, %llu paths gone",
                 (unsigned long long)ans.tot.pruned, (unsigned long long)ans.tot.already,
                 (unsigned long long)ans.tot.absent, (unsigned long long)ans.tot.blobs,
                 (unsigned long long)ans.tot.bytes, (unsigned long long)ans.tot.paths_gone);
    *text = api_prune_answer_encode(&ans, text_len);
    status = 200;
out:
    free(ans.releases);
    api_prune_request_free(&req);
    return status;
}

struct page {
    struct api_list *l;
    size_t n;
};

static int on_tombstone(void *arg, const char *id, size_t id_len, int64_t pruned)
{
    struct page *pg = arg;

    pg->n++;
    return api_tombstone_list_add(pg->l, id, id_len, pruned);
}

unsigned admin_tombstones(struct store *st, const char *after, const char *limit, json_t **out)
{
    struct store_reader *rd = NULL;
    size_t alen = after != NULL ? strlen(after) : 0, lim = ADMIN_TOMBSTONES_DEF, len = 0;
    struct page pg = {NULL, 0};
    char *text;
    int err;

    *out = NULL;
    if (alen > 0 && store_id_valid(after, alen) != STORE_OK) {
        *out = error_json("after must be a release id");
        return 400;
    }
    if (limit != NULL) {
        char *end;
        unsigned long v = strtoul(limit, &end, 10);

        if (end == limit || *end != '\0' || v == 0 || v > ADMIN_TOMBSTONES_MAX) {
            *out = error_json("limit must be a number in 1..100000");
            return 400;
        }
        lim = v;
    }
    pg.l = api_list_begin("tombstones");
    if (pg.l == NULL)
        return 500;
    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_tombstone_list(rd, after, alen, lim, on_tombstone, &pg);
    store_reader_end(rd);
    if (err != STORE_OK) {
        free(api_tombstone_list_end(pg.l, 0, NULL));
        *out = error_json(store_strerror(err));
        return http_status_for_store_err(err);
    }
    text = api_tombstone_list_end(pg.l, pg.n == lim, &len);
    /* admin.c answers a json_t (api.h's encoder gives text) */
    *out = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    return *out != NULL ? 200 : 500;
}

json_t *admin_retention_json(const struct store_stats *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I}", "tombstones", (json_int_t)s->tombstones,
                     "pruned_blobs", (json_int_t)s->pruned_blobs, "pruned_bytes",
                     (json_int_t)s->pruned_bytes, "gone_paths", (json_int_t)s->gone_paths,
                     "free_bytes", (json_int_t)s->free_bytes);
}

int admin_retention_metrics(const struct store_stats *s, char **text, size_t *len)
{
    return metrics_text_addf(
        text, len,
        "# HELP origind_releases_pruned Releases pruned (tombstones: never published "
        "again).\n"
        "# TYPE origind_releases_pruned gauge\n"
        "origind_releases_pruned %llu\n"
        "# HELP origind_pruned_blobs Blobs removed by prunes.\n"
        "# TYPE origind_pruned_blobs gauge\n"
        "origind_pruned_blobs %llu\n"
        "# HELP origind_reclaimed_bytes Bytes of blobs and variants removed by prunes.\n"
        "# TYPE origind_reclaimed_bytes gauge\n"
        "origind_reclaimed_bytes %llu\n"
        "# HELP origind_reclaimable_bytes Freed bytes in the data file, reused by later "
        "pushes (or left out by a backup).\n"
        "# TYPE origind_reclaimable_bytes gauge\n"
        "origind_reclaimable_bytes %llu\n"
        "# HELP origind_gone_paths Paths answering 410 Gone (every release pruned).\n"
        "# TYPE origind_gone_paths gauge\n"
        "origind_gone_paths %llu\n",
        (unsigned long long)s->tombstones, (unsigned long long)s->pruned_blobs,
        (unsigned long long)s->pruned_bytes, (unsigned long long)s->free_bytes,
        (unsigned long long)s->gone_paths);
}
