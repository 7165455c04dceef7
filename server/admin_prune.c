/*
 * admin_prune.c - the admin API's retention answers (see admin_prune.h):
 * reading a prune request, calling store_prune(), and describing tombstones
 * and the retention counters as JSON and Prometheus text.
 *
 * For: server/admin.c. Not for: choosing which releases go (origin-ingest
 * prune), the HTTP exchange itself, or the store's own bookkeeping.
 */
#include "admin_prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

static json_t *error_json(const char *msg)
{
    return json_pack("{s:s}", "error", msg);
}

static void on_pruned(void *arg, const char *id, size_t id_len, int state, uint64_t blobs,
                      uint64_t variants, uint64_t bytes)
{
    json_t *arr = arg;

    json_array_append_new(arr,
                          json_pack("{s:s%,s:s,s:I,s:I,s:I}", "id", id, id_len, "state",
                                    store_prune_state_name(state), "blobs", (json_int_t)blobs,
                                    "variants", (json_int_t)variants, "bytes", (json_int_t)bytes));
}

unsigned admin_prune(struct store *st, const void *body, size_t len, int64_t now, json_t **out)
{
    struct store_prune_totals tot;
    struct store_id *ids = NULL;
    json_t *doc, *list, *dry, *e, *arr = NULL;
    json_error_t jerr;
    unsigned status;
    size_t i, n;
    int err;

    *out = NULL;
    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL || !json_is_object(doc)) {
        *out = error_json("body must be a JSON object {\"prune\":[ids],\"dry_run\":bool}");
        status = 400;
        goto out;
    }
    list = json_object_get(doc, "prune");
    dry = json_object_get(doc, "dry_run");
    if (!json_is_array(list) || (dry != NULL && !json_is_boolean(dry)) ||
        json_object_size(doc) != 1u + (dry != NULL)) {
        *out = error_json("body must be {\"prune\":[ids]} with an optional boolean \"dry_run\"");
        status = 400;
        goto out;
    }
    n = json_array_size(list);
    if (n > ADMIN_PRUNE_MAX) {
        *out = error_json("too many release ids in one prune");
        status = 413;
        goto out;
    }
    ids = calloc(n + 1, sizeof(*ids));
    arr = json_array();
    if (ids == NULL || arr == NULL) {
        status = 500;
        goto out;
    }
    json_array_foreach(list, i, e)
    {
        ids[i].id = json_string_value(e);
        ids[i].len = json_string_length(e);
        if (ids[i].id == NULL || store_id_valid(ids[i].id, ids[i].len) != STORE_OK) {
            *out = error_json("every entry of \"prune\" must be a valid release id");
            status = 400;
            goto out;
        }
    }
    err = store_prune(st, ids, n, now, json_is_true(dry), on_pruned, arr, &tot);
    if (err == STORE_EINVAL) {
        *out = error_json("a release id is named twice");
        status = 400;
        goto out;
    }
    if (err != STORE_OK) {
        *out = error_json(store_strerror(err));
        status = http_status_for_store_err(err);
        log_error("admin: prune of %zu releases failed: %s", n, store_strerror(err));
        goto out;
    }
    if (!json_is_true(dry))
        log_info("admin: prune: %llu releases pruned, %llu already, %llu absent; %llu blobs, "
                 "%llu bytes freed, %llu paths gone",
                 (unsigned long long)tot.pruned, (unsigned long long)tot.already,
                 (unsigned long long)tot.absent, (unsigned long long)tot.blobs,
                 (unsigned long long)tot.bytes, (unsigned long long)tot.paths_gone);
    *out = json_pack("{s:b,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "dry_run", json_is_true(dry),
                     "releases", arr, "pruned", (json_int_t)tot.pruned, "already",
                     (json_int_t)tot.already, "absent", (json_int_t)tot.absent, "blobs",
                     (json_int_t)tot.blobs, "variants", (json_int_t)tot.variants, "bytes",
                     (json_int_t)tot.bytes, "paths_gone", (json_int_t)tot.paths_gone);
    status = 200;
out:
    json_decref(arr);
    json_decref(doc);
    free(ids);
    return status;
}

static int on_tombstone(void *arg, const char *id, size_t id_len, int64_t pruned)
{
    json_array_append_new((json_t *)arg,
                          json_pack("{s:s%,s:I}", "id", id, id_len, "pruned", (json_int_t)pruned));
    return 0;
}

unsigned admin_tombstones(struct store *st, const char *after, const char *limit, json_t **out)
{
    struct store_reader *rd = NULL;
    size_t alen = after != NULL ? strlen(after) : 0, lim = ADMIN_TOMBSTONES_DEF, n;
    json_t *arr, *next;
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
    arr = json_array();
    if (arr == NULL)
        return 500;
    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_tombstone_list(rd, after, alen, lim, on_tombstone, arr);
    store_reader_end(rd);
    if (err != STORE_OK) {
        json_decref(arr);
        *out = error_json(store_strerror(err));
        return http_status_for_store_err(err);
    }
    n = json_array_size(arr);
    next = n == lim ? json_incref(json_object_get(json_array_get(arr, n - 1), "id")) : json_null();
    *out = json_pack("{s:o,s:o}", "tombstones", arr, "next", next);
    return 200;
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
    char buf[1536];
    char *grown;
    int n;

    n = snprintf(buf, sizeof(buf),
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
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -1;
    grown = realloc(*text, *len + (size_t)n + 1);
    if (grown == NULL)
        return -1;
    memcpy(grown + *len, buf, (size_t)n + 1);
    *text = grown;
    *len += (size_t)n;
    return 0;
}
