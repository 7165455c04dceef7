/*
 * peer_tombstones.c - taking over a peer's tombstones (peer_tombstones.h).
 *
 * For: the pull of GET /v1/tombstones (decoded by api.h's
 * api_tombstone_page_decode) and applying it with store_prune().
 * Not for: HTTP (the caller's client does the GETs) or the release sync.
 */
#include "peer_tombstones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"

#define PAGE 10000

/* Prunes here the ids of one page that have no tombstone here yet. */
static int apply_page(struct store *st, const char *peer, const struct api_tombstone_page *pg,
                      uint64_t *applied)
{
    struct store_reader *rd = NULL;
    struct store_prune_totals tot;
    struct store_id *ids;
    size_t i, n = 0;
    int err;

    ids = calloc(pg->n + 1, sizeof(*ids));
    if (ids == NULL)
        return -1;
    err = store_reader_begin(st, &rd);
    if (err != STORE_OK) {
        free(ids);
        return -1;
    }
    for (i = 0; i < pg->n; i++) {
        if (store_tombstone_get(rd, pg->ids[i].id, pg->ids[i].len, NULL) == STORE_ENOTFOUND)
            ids[n++] = pg->ids[i];
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

int peer_tombstones_sync(struct store *st, const char *peer, peer_get_text_fn get, void *arg,
                         uint64_t *applied)
{
    char rel[STORE_ID_MAX + 64], after[STORE_ID_MAX + 1] = "";
    uint64_t count = 0;
    int rc = 0;

    for (;;) {
        struct api_tombstone_page pg;
        char why[API_WHY_MAX], *body = NULL;
        size_t len = 0;
        long status = 0;
        int bad;

        snprintf(rel, sizeof(rel), API_PATH_TOMBSTONES "?limit=%d%s%s", PAGE,
                 after[0] ? "&after=" : "", after);
        if (get(arg, rel, &body, &len, &status) != 0) {
            if (status == 404)
                break; /* an origind without retention: nothing pruned there */
            log_warn("peer %s: GET " API_PATH_TOMBSTONES ": %s %ld", peer,
                     status != 0 ? "HTTP" : "no answer", status);
            rc = -1;
            break;
        }
        bad = api_tombstone_page_decode(body, len, &pg, why, sizeof(why)) != 0;
        free(body);
        if (bad) {
            log_warn("peer %s: GET " API_PATH_TOMBSTONES ": %s", peer, why);
            rc = -1;
            break;
        }
        if (apply_page(st, peer, &pg, &count) != 0) {
            api_tombstone_page_free(&pg);
            rc = -1;
            break;
        }
        snprintf(after, sizeof(after), "%s", pg.next);
        api_tombstone_page_free(&pg);
        if (after[0] == '\0')
            break;
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
