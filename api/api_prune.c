/*
 * api_prune.c - the node API's retention exchange (see api.h): the canonical
 * encoder and strict decoder of the POST /v1/prune request and of its
 * answer, and the GET /v1/tombstones listing (encoder, and the decoder
 * peers read it with).
 *
 * For: server/admin_prune.c (decodes the request, encodes the answer and the
 * listing), tools/node.c (encodes the request, decodes the answer) and
 * server/peer_tombstones.c (decodes the listing). Not for: the policy
 * (tools/prune.c), the prune itself (store_prune), any transport.
 */
#include "api.h"
#include "api_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ------------------------------------------------------------------ */
/* Request                                                              */

char *api_prune_request_encode(const char *const *ids, size_t n, int dry_run, size_t *len)
{
    json_t *root = json_object(), *arr = json_array();
    size_t i;

    if (root == NULL || arr == NULL || json_object_set_new(root, "prune", arr) != 0) {
        json_decref(root);
        if (root == NULL)
            json_decref(arr);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (store_id_valid(ids[i], strlen(ids[i])) != STORE_OK ||
            json_array_append_new(arr, json_string(ids[i])) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    if (json_object_set_new(root, "dry_run", json_boolean(dry_run)) != 0) {
        json_decref(root);
        return NULL;
    }
    return api__dump(root, len);
}

int api_prune_request_decode(const char *body, size_t len, struct api_prune_request *out, char *why,
                             size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *list, *dry, *e;
    struct store_id *ids = NULL;
    size_t i, n;
    int rc = -1;

    if (!json_is_object(doc)) {
        api__why(why, why_size, "body must be a JSON object {\"prune\":[ids],\"dry_run\":bool}");
        goto fail;
    }
    list = json_object_get(doc, "prune");
    dry = json_object_get(doc, "dry_run");
    if (!json_is_array(list) || (dry != NULL && !json_is_boolean(dry)) ||
        json_object_size(doc) != 1u + (dry != NULL)) {
        api__why(why, why_size,
                 "body must be {\"prune\":[ids]} with an optional boolean \"dry_run\"");
        goto fail;
    }
    n = json_array_size(list);
    if (n > API_PRUNE_MAX) {
        api__why(why, why_size, "too many release ids in one prune");
        rc = -2;
        goto fail;
    }
    ids = calloc(n + 1, sizeof(*ids));
    if (ids == NULL) {
        api__why(why, why_size, "out of memory");
        rc = -3;
        goto fail;
    }
    json_array_foreach(list, i, e)
    {
        ids[i].id = json_string_value(e);
        ids[i].len = json_string_length(e);
        if (ids[i].id == NULL || store_id_valid(ids[i].id, ids[i].len) != STORE_OK) {
            api__why(why, why_size, "every entry of \"prune\" must be a valid release id");
            goto fail;
        }
    }
    out->ids = ids;
    out->n = n;
    out->dry_run = json_is_true(dry);
    out->doc = doc;
    return 0;
fail:
    free(ids);
    json_decref(doc);
    return rc;
}

void api_prune_request_free(struct api_prune_request *r)
{
    if (r == NULL)
        return;
    free(r->ids);
    json_decref(r->doc);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Answer                                                               */

char *api_prune_answer_encode(const struct api_prune_answer *a, size_t *len)
{
    json_t *arr = json_array(), *root;
    size_t i;

    if (arr == NULL)
        return NULL;
    for (i = 0; i < a->n; i++) {
        const struct api_prune_entry *e = &a->releases[i];
        const char *state = store_prune_state_name(e->state);

        if (state == NULL || store_id_valid(e->id, strlen(e->id)) != STORE_OK ||
            json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:I}", "id", e->id, "state",
                                                 state, "blobs", (json_int_t)e->blobs, "variants",
                                                 (json_int_t)e->variants, "bytes",
                                                 (json_int_t)e->bytes)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    root = json_pack("{s:b,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "dry_run", a->dry_run, "releases",
                     arr, "pruned", (json_int_t)a->tot.pruned, "already",
                     (json_int_t)a->tot.already, "absent", (json_int_t)a->tot.absent, "blobs",
                     (json_int_t)a->tot.blobs, "variants", (json_int_t)a->tot.variants, "bytes",
                     (json_int_t)a->tot.bytes, "paths_gone", (json_int_t)a->tot.paths_gone);
    return api__dump(root, len);
}

/* A member that must be an integer >= 0. Returns 0 or -1. */
static int count_member(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int state_of(const char *name)
{
    int s;

    for (s = STORE_PRUNE_PRUNED; s <= STORE_PRUNE_ABSENT; s++)
        if (name != NULL && strcmp(store_prune_state_name(s), name) == 0)
            return s;
    return -1;
}

int api_prune_answer_decode(const char *body, size_t len, struct api_prune_answer *out, char *why,
                            size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *dry = json_object_get(doc, "dry_run"), *arr = json_object_get(doc, "releases"), *e;
    struct api_prune_answer a;
    uint64_t by_state[3] = {0, 0, 0};
    size_t i;

    memset(&a, 0, sizeof(a));
    if (!json_is_object(doc) || !json_is_boolean(dry) || !json_is_array(arr) ||
        count_member(doc, "pruned", &a.tot.pruned) != 0 ||
        count_member(doc, "already", &a.tot.already) != 0 ||
        count_member(doc, "absent", &a.tot.absent) != 0 ||
        count_member(doc, "blobs", &a.tot.blobs) != 0 ||
        count_member(doc, "variants", &a.tot.variants) != 0 ||
        count_member(doc, "bytes", &a.tot.bytes) != 0 ||
        count_member(doc, "paths_gone", &a.tot.paths_gone) != 0) {
        api__why(why, why_size,
                 "prune answer is not {\"dry_run\":b,\"releases\":[...],\"pruned\":n,...}");
        goto fail;
    }
    a.dry_run = json_is_true(dry);
    a.n = json_array_size(arr);
    a.releases = calloc(a.n + 1, sizeof(*a.releases));
    if (a.releases == NULL) {
        api__why(why, why_size, "out of memory");
        goto fail;
    }
    json_array_foreach(arr, i, e)
    {
        struct api_prune_entry *r = &a.releases[i];
        json_t *id = json_object_get(e, "id");
        int state = state_of(json_string_value(json_object_get(e, "state")));

        if (!json_is_string(id) ||
            store_id_valid(json_string_value(id), json_string_length(id)) != STORE_OK ||
            state < 0 || count_member(e, "blobs", &r->blobs) != 0 ||
            count_member(e, "variants", &r->variants) != 0 ||
            count_member(e, "bytes", &r->bytes) != 0) {
            api__why(why, why_size, "prune answer: releases[%zu] does not parse", i);
            goto fail;
        }
        memcpy(r->id, json_string_value(id), json_string_length(id) + 1);
        r->state = state;
        by_state[state]++;
    }
    if (by_state[STORE_PRUNE_PRUNED] != a.tot.pruned ||
        by_state[STORE_PRUNE_ALREADY] != a.tot.already ||
        by_state[STORE_PRUNE_ABSENT] != a.tot.absent) {
        api__why(why, why_size, "prune answer: the totals do not match the releases listed");
        goto fail;
    }
    json_decref(doc);
    *out = a;
    return 0;
fail:
    free(a.releases);
    json_decref(doc);
    return -1;
}

void api_prune_answer_free(struct api_prune_answer *a)
{
    if (a == NULL)
        return;
    free(a->releases);
    memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------ */
/* Tombstone listing                                                    */

int api_tombstone_list_add(struct api_list *l, const char *id, size_t id_len, int64_t pruned)
{
    if (l->failed || json_array_append_new(l->arr, json_pack("{s:s%,s:I}", "id", id, id_len,
                                                             "pruned", (json_int_t)pruned)) != 0) {
        l->failed = 1;
        return -1;
    }
    return 0;
}

char *api_tombstone_list_end(struct api_list *l, int more, size_t *len)
{
    json_t *root = l->root, *next = json_null();
    size_t n = json_array_size(l->arr);
    int failed = l->failed;

    if (more && n > 0)
        next = json_incref(json_object_get(json_array_get(l->arr, n - 1), "id"));
    json_decref(l->arr); /* root holds its own reference */
    free(l);
    if (failed || next == NULL || json_object_set_new(root, "next", next) != 0) {
        json_decref(root);
        return NULL;
    }
    return api__dump(root, len);
}

int api_tombstone_page_decode(const char *body, size_t len, struct api_tombstone_page *out,
                              char *why, size_t why_size)
{
    json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *arr = json_is_object(doc) ? json_object_get(doc, "tombstones") : NULL, *e, *next;
    struct store_id *ids = NULL;
    size_t i, n = 0;

    if (!json_is_array(arr)) {
        api__why(why, why_size, "not {\"tombstones\": [...]}");
        goto fail;
    }
    ids = calloc(json_array_size(arr) + 1, sizeof(*ids));
    if (ids == NULL) {
        api__why(why, why_size, "out of memory");
        goto fail;
    }
    json_array_foreach(arr, i, e)
    {
        json_t *v = json_object_get(e, "id");

        if (!json_is_string(v) ||
            store_id_valid(json_string_value(v), json_string_length(v)) != STORE_OK)
            continue;
        ids[n].id = json_string_value(v);
        ids[n].len = json_string_length(v);
        n++;
    }
    memset(out, 0, sizeof(*out));
    next = json_object_get(doc, "next");
    if (json_is_string(next) &&
        store_id_valid(json_string_value(next), json_string_length(next)) == STORE_OK)
        memcpy(out->next, json_string_value(next), json_string_length(next) + 1);
    out->ids = ids;
    out->n = n;
    out->doc = doc;
    return 0;
fail:
    free(ids);
    json_decref(doc);
    return -1;
}

void api_tombstone_page_free(struct api_tombstone_page *p)
{
    if (p == NULL)
        return;
    free(p->ids);
    json_decref(p->doc);
    memset(p, 0, sizeof(*p));
}
