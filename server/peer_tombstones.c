/*
 * peer_tombstones.c - taking over a peer's tombstones (peer_tombstones.h).
 *
 * For: the pull of GET /v1/tombstones and applying it with store_prune().
 * Not for: HTTP (the caller's client does the GETs) or the release sync.
 */
#include "peer_tombstones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define PAGE 10000

/* Prunes here the ids of one page that have no tombstone here yet. */
static int apply_page(struct store *st, const char *peer, json_t *arr, uint64_t *applied)
{
    struct store_reader *rd = NULL;
    struct store_prune_totals tot;
    struct store_id *ids;
    json_t *e;
    size_t i, n = 0;
    int err;

    ids = calloc(json_array_size(arr) + 1, sizeof(*ids));
    if (ids == NULL)
        return -1;
    err = store_reader_begin(st, &rd);
    if (err != STORE_OK) {
        free(ids);
        return -1;
    }
    json_array_foreach(arr, i, e)
    {
        json_t *v = json_object_get(e, "id");
        const char *id = json_string_value(v);
        size_t len = json_string_length(v);

        if (id == NULL || store_id_valid(id, len) != STORE_OK)
            continue;
        if (store_tombstone_get(rd, id, len, NULL) == STORE_ENOTFOUND) {
            ids[n].id = id;
            ids[n].len = len;
            n++;
        }
    }
    store_reader_end(rd);
    err = n > 0 ? store_prune(st, ids, n, (int64_t)time(NULL), 0, NULL, NULL, &tot) : STORE_OK;
    free(ids);
    if (err != STORE_OK) {
        log_warn("sync: applying %zu tombstones from %s: %s", n, peer, store_strerror(err));
        return -1;
    }
    if (n > 0) {
        log_info("sync: %zu tombstones from %s applied: %llu releases pruned here, %llu bytes "
                 "freed",
                 n, peer, (unsigned long long)tot.pruned, (unsigned long long)tot.bytes);
        *applied += n;
    }
    return 0;
}

int peer_tombstones_sync(struct store *st, const char *peer, peer_get_json_fn get, void *arg,
                         uint64_t *applied)
{
    char rel[STORE_ID_MAX + 64], after[STORE_ID_MAX + 1] = "";
    uint64_t count = 0;
    int rc = 0;

    for (;;) {
        json_t *doc, *arr, *next;
        long status = 0;

        snprintf(rel, sizeof(rel), "/v1/tombstones?limit=%d%s%s", PAGE, after[0] ? "&after=" : "",
                 after);
        doc = get(arg, rel, &status);
        if (doc == NULL) {
            if (status == 404)
                break; /* an origind without retention: nothing pruned there */
            log_warn("peer %s: GET /v1/tombstones: %s %ld", peer,
                     status != 0 ? "HTTP" : "no answer", status);
            rc = -1;
            break;
        }
        arr = json_object_get(doc, "tombstones");
        next = json_object_get(doc, "next");
        if (!json_is_array(arr) || apply_page(st, peer, arr, &count) != 0) {
            json_decref(doc);
            rc = -1;
            break;
        }
        if (!json_is_string(next) ||
            store_id_valid(json_string_value(next), json_string_length(next)) != STORE_OK) {
            json_decref(doc);
            break;
        }
        snprintf(after, sizeof(after), "%s", json_string_value(next));
        json_decref(doc);
    }
    if (applied != NULL)
        *applied = count;
    return rc;
}

static int local_cb(void *arg, const char *id, size_t id_len, int64_t pruned)
{
    (void)pruned;
    return json_object_setn_new((json_t *)arg, id, id_len, json_integer(-1)) != 0;
}

int peer_tombstones_local(struct store *st, json_t *set)
{
    struct store_reader *rd = NULL;
    int err;

    err = store_reader_begin(st, &rd);
    if (err == STORE_OK)
        err = store_tombstone_list(rd, NULL, 0, (size_t)-1, local_cb, set);
    store_reader_end(rd);
    return err == STORE_OK ? 0 : -1;
}
