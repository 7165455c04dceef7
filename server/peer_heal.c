/*
 * peer_heal.c - read-through heal of a public miss (peer.h, peers_heal):
 * misses are queued by the public handler and fetched by one heal thread,
 * round by round and peer by peer within a bounded budget, then handed back
 * through the caller's callback. A bound-but-absent blob is fetched by
 * digest; an unknown path by fetching the releases this node lacks.
 *
 * Not for: HTTP serving. The caller (public.c) suspends and resumes its
 * connection in its callback; nothing here knows about libmicrohttpd.
 *
 * Thread-safety: peers_heal() may be called from any thread; the queue is
 * under p->lock; the heal thread owns its curl handles.
 */
#include "peer_internal.h"

#include "clock.h"
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The digest bound to path, found by walking the local releases (only for
 * the rare bound-but-absent case). Returns 0 or -1. */
struct find_path {
    const char *path;
    size_t len;
    unsigned char digest[STORE_DIGEST_LEN];
    int found;
};

static int find_file_cb(void *arg, const struct store_file *file)
{
    struct find_path *fp = arg;

    if (file->path_len == fp->len && memcmp(file->path, fp->path, fp->len) == 0) {
        memcpy(fp->digest, file->digest, STORE_DIGEST_LEN);
        fp->found = 1;
        return 1;
    }
    return 0;
}

static int collect_id_cb(void *arg, const char *id, size_t id_len, int64_t created, size_t files)
{
    json_array_append_new((json_t *)arg, json_stringn(id, id_len));
    return 0;
}

static int bound_digest(struct store *st, const char *path, size_t len,
                        unsigned char out[STORE_DIGEST_LEN])
{
    struct store_reader *rd = NULL;
    struct find_path fp;
    json_t *ids = json_array(), *v;
    size_t i;

    memset(&fp, 0, sizeof(fp));
    fp.path = path;
    fp.len = len;
    if (ids == NULL || store_reader_begin(st, &rd) != STORE_OK) {
        json_decref(ids);
        return -1;
    }
    store_release_list(rd, collect_id_cb, ids);
    /* newest first: a missing blob most likely belongs to a recent release */
    for (i = json_array_size(ids); i > 0 && !fp.found; i--) {
        v = json_array_get(ids, i - 1);
        store_release_get(rd, json_string_value(v), json_string_length(v), NULL, find_file_cb, &fp);
    }
    store_reader_end(rd);
    json_decref(ids);
    if (!fp.found)
        return -1;
    memcpy(out, fp.digest, STORE_DIGEST_LEN);
    return 0;
}

static int path_ok(struct store *st, const char *path, size_t len)
{
    struct store_reader *rd = NULL;
    struct store_asset a;
    int err;

    if (store_reader_begin(st, &rd) != STORE_OK)
        return 0;
    err = store_lookup(rd, path, len, &a);
    store_reader_end(rd);
    return err == STORE_OK;
}

/* One heal round for the jobs in list: bound-but-absent blobs by digest,
 * unknown paths by fetching the releases this node lacks, peer by peer,
 * until every path resolves or the budget is spent. Returns 1 if anything
 * was stored. */
static int heal_round(struct peers *p, struct heal_job *list)
{
    struct store *st = p->st;
    uint64_t deadline = clock_mono_ns() + HEAL_BUDGET_MS * 1000000ULL;
    struct heal_job *j;
    int stored = 0;
    size_t i;

    for (i = 0; i < p->n; i++) {
        struct ctx x;
        int pending = 0;

        if (atomic_load(&p->gone[i]))
            continue;
        for (j = list; j != NULL; j = j->next)
            if (!path_ok(st, j->path, j->len))
                pending = 1;
        if (!pending || clock_mono_ns() >= deadline || atomic_load(&p->stop))
            break;
        if (peers_ctx(p, &x, i) != 0) {
            peer_ctx_free(&x);
            continue;
        }
        x.deadline_ns = deadline;
        x.stall_max_ms = HEAL_STALL_MS; /* a hanging peer must leave time for the next */
        for (j = list; j != NULL; j = j->next) {
            struct fetch f[STORE_ENC_COUNT];
            unsigned char d[STORE_DIGEST_LEN];
            int k;

            if (!j->corrupt || path_ok(st, j->path, j->len) ||
                bound_digest(st, j->path, j->len, d) != 0)
                continue;
            memset(f, 0, sizeof(f));
            for (k = 0; k < STORE_ENC_COUNT; k++) {
                memcpy(f[k].digest, d, STORE_DIGEST_LEN);
                f[k].enc = k;
                f[k].optional = k != STORE_ENC_IDENTITY;
                f[k].size = x.max_blob;
            }
            peer_fetch_and_store(&x, f, STORE_ENC_COUNT);
        }
        for (j = list; j != NULL; j = j->next) {
            if (!j->corrupt && !path_ok(st, j->path, j->len)) {
                peer_sync_releases(&x, 1, NULL);
                break;
            }
        }
        if (x.fetched + x.vfetched + x.published > 0)
            stored = 1;
        if (x.bad > 0)
            log_warn("heal: refused %llu bad blobs from %s; trying the next peer",
                     (unsigned long long)x.bad, p->url[i]);
        peer_ctx_free(&x);
    }
    for (j = list; j != NULL; j = j->next) {
        if (path_ok(st, j->path, j->len))
            atomic_fetch_add(&p->cnt.heals_ok, 1);
        else
            atomic_fetch_add(&p->cnt.heals_miss, 1);
    }
    return stored;
}

void peer_heal_finish_all(struct peers *p, struct heal_job *list)
{
    while (list != NULL) {
        struct heal_job *next = list->next;

        list->fn(list->arg, PEERS_HEAL_DONE, path_ok(p->st, list->path, list->len));
        free(list);
        list = next;
    }
}

void *peer_heal_thread(void *arg)
{
    struct peers *p = arg;

    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stop)) {
        struct heal_job *list;
        int found;

        if (p->queue == NULL) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        list = p->queue;
        p->queue = NULL;
        p->queued = 0;
        p->healing = 1;
        pthread_mutex_unlock(&p->lock);
        found = heal_round(p, list);
        peer_heal_finish_all(p, list);
        pthread_mutex_lock(&p->lock);
        p->healing = 0;
        p->last_heal_end = clock_mono_ns();
        p->last_heal_found = found;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int peers_heal(struct peers *p, const char *path, size_t len, int corrupt, peers_heal_fn *fn,
               void *arg)
{
    struct heal_job *j;

    if (p == NULL || len > STORE_PATH_MAX)
        return -1;
    j = calloc(1, sizeof(*j));
    if (j == NULL)
        return -1;
    j->fn = fn;
    j->arg = arg;
    memcpy(j->path, path, len);
    j->len = len;
    j->corrupt = corrupt;
    pthread_mutex_lock(&p->lock);
    /* an unknown path right after a round that found nothing new: answer
     * the 404 at once (a scan of random names must not keep peers busy) */
    if (atomic_load(&p->stop) || p->queued >= HEAL_QUEUE_MAX ||
        (!corrupt && !p->healing && p->last_heal_end != 0 && !p->last_heal_found &&
         clock_mono_ns() - p->last_heal_end < HEAL_COOLDOWN_MS * 1000000ULL)) {
        pthread_mutex_unlock(&p->lock);
        free(j);
        return -1;
    }
    /* before the heal thread can see the job: the caller suspends here, so
     * its PEERS_HEAL_DONE can never come first */
    fn(arg, PEERS_HEAL_WAIT, 0);
    j->next = p->queue;
    p->queue = j;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}
