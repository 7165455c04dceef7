/*
 * promote.c - `origin-ingest promote` (promote.h): the checks before
 * anything is recorded, the choice of the record (a new generation, or the
 * newest one again when it already names this release and floor, so a
 * re-run finishes a promotion that reached only some nodes with the same
 * bytes), and reading back what every node has promoted.
 *
 * Not for: option parsing (opts.c), HTTP (node.c), the record's
 * encoding (api/api_promote.c), or what a node checks again on its side
 * (server/admin_promote.c).
 */
#include "promote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "ingest.h"

/* ------------------------------------------------------------------ */
/* Reading what the nodes promoted                                      */

static int on_state(void *arg, size_t node, long status, const char *body, size_t len, char *why,
                    size_t why_size)
{
    struct ingest_promotions *out = arg;
    struct ingest_promotions *p = &out[node];
    char err[API_WHY_MAX];

    if (status == 404) { /* an origind from before promotions */
        p->ok = 1;
        p->old = 1;
        return 0;
    }
    if (status != 200) {
        api_answer_error(body, len, err, sizeof(err));
        snprintf(why, why_size, "promotion read: HTTP %ld: %s", status, err);
        return -1;
    }
    if (api_promotion_state_decode(body, len, p->hist, STORE_PROMOTION_HISTORY, &p->n, err,
                                   sizeof(err)) != 0) {
        snprintf(why, why_size, "malformed promotion answer: %s", err);
        return -1;
    }
    p->ok = 1;
    return 0;
}

void ingest_promotions_read(struct ingest_client *c, struct ingest_promotions *out)
{
    size_t n;

    ingest_client_nodes(c, &n);
    memset(out, 0, n * sizeof(*out));
    ingest_client_exchange(c, "GET", API_PATH_PROMOTION, NULL, 0, on_state, out);
}

const struct store_promotion *ingest_promotions_newest(const struct ingest_promotions *out,
                                                       size_t n)
{
    const struct store_promotion *best = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        if (out[i].ok && out[i].n > 0 &&
            (best == NULL || store_promotion_cmp(&out[i].hist[0], best) > 0))
            best = &out[i].hist[0];
    }
    return best;
}

/* ------------------------------------------------------------------ */
/* The run                                                              */

struct listing {
    const char *release, *floor;
    unsigned char *has_release, *has_floor; /* per node */
    int64_t release_created, floor_created; /* earliest any node reports; -1: none */
};

static int on_listed(void *arg, size_t node, const char *id, int64_t created, uint64_t files)
{
    struct listing *l = arg;

    (void)files;
    if (strcmp(id, l->release) == 0) {
        l->has_release[node] = 1;
        if (l->release_created < 0 || created < l->release_created)
            l->release_created = created;
    }
    if (l->floor != NULL && strcmp(id, l->floor) == 0) {
        l->has_floor[node] = 1;
        if (l->floor_created < 0 || created < l->floor_created)
            l->floor_created = created;
    }
    return 0;
}

struct recording {
    int *status; /* per node: 201, 200, or 0 */
};

static int on_recorded(void *arg, size_t node, long status, const char *body, size_t len, char *why,
                       size_t why_size)
{
    struct recording *rec = arg;
    char err[400];

    if (status == 200 || status == 201) {
        rec->status[node] = (int)status;
        return 0;
    }
    api_answer_error(body, len, err, sizeof(err));
    if (status == 404)
        snprintf(why, why_size, "refused the promotion: HTTP 404: %s",
                 err[0] ? err : "no promotion endpoint (an origind from before promotions)");
    else
        snprintf(why, why_size, "refused the promotion: HTTP %ld: %s", status, err);
    return -1;
}

/* Appends ", URL" (or "URL" first) of node i to b. */
static void name_node(struct buf *b, const struct ingest_node *nd)
{
    ingest_buf_addf(b, "%s%s", b->len > 0 ? ", " : "", nd->url);
}

int ingest_promote_run(const struct ingest_promote_opts *o)
{
    struct ingest_client *client;
    struct ingest_node *nodes;
    struct ingest_promotions *states = NULL;
    const struct store_promotion *newest;
    struct store_promotion rec;
    struct listing l;
    struct recording recd;
    struct buf who = {0};
    char *body = NULL;
    size_t nn, i, body_len = 0;
    int rc = INGEST_EXIT_NODE;
    const char *me = "origin-ingest promote";

    client = ingest_client_reader(o->fleet.nodes, o->fleet.nnodes, o->fleet.token, o->fleet.cacert,
                                  1, o->fleet.retries);
    if (client == NULL) {
        fprintf(stderr, "%s: cannot start libcurl\n", me);
        return INGEST_EXIT_LOCAL;
    }
    nodes = ingest_client_nodes(client, &nn);
    states = ingest_xcalloc(nn, sizeof(*states));
    memset(&l, 0, sizeof(l));
    l.release = o->release;
    l.floor = o->floor;
    l.has_release = ingest_xcalloc(nn, 1);
    l.has_floor = ingest_xcalloc(nn, 1);
    l.release_created = l.floor_created = -1;
    recd.status = ingest_xcalloc(nn, sizeof(*recd.status));

    /* 1. What every node holds: promotions and releases, all of them or stop. */
    ingest_promotions_read(client, states);
    for (i = 0; i < nn; i++) {
        if (!nodes[i].failed && states[i].old)
            fprintf(stderr, "%s: refused: node %s has no promotion endpoint (upgrade it)\n", me,
                    nodes[i].url);
        if (states[i].old)
            goto out;
    }
    ingest_client_list_releases(client, on_listed, &l);
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) {
            fprintf(stderr, "%s: refused: node %s: %s; nothing promoted\n", me, nodes[i].url,
                    nodes[i].error);
            goto out;
        }
    }

    /* 2. The release on every node, the floor too and not newer. */
    for (i = 0; i < nn; i++)
        if (!l.has_release[i])
            name_node(&who, &nodes[i]);
    if (who.len > 0) {
        fprintf(stderr,
                "%s: refused: release %s is not on %s (never pushed there, or pruned); "
                "nothing promoted\n",
                me, o->release, who.data);
        goto out;
    }
    for (i = 0; o->floor != NULL && i < nn; i++)
        if (!l.has_floor[i])
            name_node(&who, &nodes[i]);
    if (who.len > 0) {
        fprintf(stderr, "%s: refused: floor %s is not on %s; nothing promoted\n", me, o->floor,
                who.data);
        goto out;
    }
    if (o->floor != NULL && l.floor_created > l.release_created) {
        fprintf(stderr, "%s: refused: floor %s is newer than release %s; nothing promoted\n", me,
                o->floor, o->release);
        goto out;
    }

    /* 3. Complete, with the same release digest, on every node. */
    ingest_client_verify(client, o->release);
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) {
            fprintf(stderr, "%s: refused: node %s: %s; nothing promoted\n", me, nodes[i].url,
                    nodes[i].error);
            goto out;
        }
    }
    for (i = 1; i < nn; i++) {
        if (strcmp(nodes[i].digest, nodes[0].digest) != 0) {
            fprintf(stderr,
                    "%s: refused: release %s differs between nodes (%s has digest %.16s..., "
                    "%s %.16s...): run origin-ingest verify; nothing promoted\n",
                    me, o->release, nodes[0].url, nodes[0].digest, nodes[i].url, nodes[i].digest);
            goto out;
        }
    }

    /* 4. The record: the newest one again if it already says this, else a
     * new generation after every one the fleet has seen. */
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.release, sizeof(rec.release), "%s", o->release);
    snprintf(rec.floor, sizeof(rec.floor), "%s", o->floor != NULL ? o->floor : "");
    if (store_digest_from_hex(nodes[0].digest, STORE_HEX_LEN, rec.digest) != STORE_OK) {
        fprintf(stderr, "%s: node %s gave no release digest\n", me, nodes[0].url);
        goto out;
    }
    newest = ingest_promotions_newest(states, nn);
    if (newest != NULL && strcmp(newest->release, rec.release) == 0 &&
        strcmp(newest->floor, rec.floor) == 0 &&
        memcmp(newest->digest, rec.digest, STORE_DIGEST_LEN) == 0) {
        rec = *newest;
    } else {
        rec.generation = newest != NULL ? newest->generation + 1 : 1;
        rec.promoted_at = (int64_t)time(NULL);
    }
    body = api_promotion_encode(&rec, &body_len);
    if (body == NULL) {
        fprintf(stderr, "%s: out of memory\n", me);
        rc = INGEST_EXIT_LOCAL;
        goto out;
    }

    /* 5. The same record to every node. */
    ingest_client_exchange(client, "POST", API_PATH_PROMOTION, body, body_len, on_recorded, &recd);
    rc = INGEST_EXIT_OK;
    for (i = 0; i < nn; i++) {
        if (nodes[i].failed) {
            fprintf(stderr, "%s: node %s: %s\n", me, nodes[i].url, nodes[i].error);
            rc = INGEST_EXIT_NODE;
        } else {
            printf("node %s: release %s %s (generation %llu, floor %s)\n", nodes[i].url,
                   rec.release, recd.status[i] == 201 ? "promoted" : "already promoted",
                   (unsigned long long)rec.generation, rec.floor[0] ? rec.floor : "none");
        }
    }
    if (rc != INGEST_EXIT_OK)
        fprintf(stderr,
                "%s: not every node recorded the promotion; run the same command again "
                "to finish\n",
                me);
out:
    buf_free(&who);
    free(body);
    free(recd.status);
    free(l.has_release);
    free(l.has_floor);
    free(states);
    ingest_client_free(client);
    return rc;
}
