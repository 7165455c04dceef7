/*
 * admin_fetch.c - POST /v1/fetch (admin_fetch.h): the seed push's request
 * decoded by api/api_fetch.c, the pull run by peer_fetch.c, the answer
 * encoded by api/api_fetch.c.
 *
 * For: server/admin.c. Not for: the transfers or the store checks
 * (peer_fetch.c, the store), which sources to use (the client names them),
 * or anything libmicrohttpd.
 */
#include "admin_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "log.h"
#include "peer.h"
#include "server.h"

/* {"error": msg} as malloc'd text, or NULL when out of memory. */
static char *error_text(const char *msg, size_t *len)
{
    json_t *j = json_pack("{s:s}", "error", msg);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    if (text != NULL)
        *len = strlen(text);
    return text;
}

unsigned admin_fetch(struct server *srv, const void *body, size_t len, struct audit_note *audit,
                     char **text, size_t *text_len)
{
    struct api_fetch_request req;
    struct api_fetch_answer ans;
    struct peer_fetch_result res;
    unsigned char *still = NULL;
    char why[API_WHY_MAX], subject[AUDIT_SUBJECT_MAX + 1];
    const char **from = NULL;
    char **owned = NULL;
    unsigned status;
    size_t i, k;
    int rc;

    *text = NULL;
    *text_len = 0;
    memset(&ans, 0, sizeof(ans));
    rc = api_fetch_request_decode(body, len, &req, why, sizeof(why));
    if (rc != 0) {
        status = rc == -2 ? 413 : rc == -3 ? 500 : 400;
        *text = error_text(why, text_len);
        return *text != NULL ? status : 500;
    }
    snprintf(subject, sizeof(subject), "%zu digests from %.100s%s", req.n, req.from[0],
             req.nfrom > 1 ? " ..." : "");
    audit_note_subject(audit, subject, strlen(subject));
    still = malloc(req.n > 0 ? req.n : 1);
    ans.missing = malloc((req.n > 0 ? req.n : 1) * sizeof(*ans.missing));
    from = calloc(req.nfrom, sizeof(*from));
    owned = calloc(req.nfrom, sizeof(*owned));
    if (still == NULL || ans.missing == NULL || from == NULL || owned == NULL)
        goto oom;
    /* the URLs as bases: without a trailing '/' (API paths are appended) */
    for (i = 0; i < req.nfrom; i++) {
        size_t ul = strlen(req.from[i]);

        while (ul > 0 && req.from[i][ul - 1] == '/')
            ul--;
        owned[i] = strndup(req.from[i], ul);
        if (owned[i] == NULL)
            goto oom;
        from[i] = owned[i];
    }
    if (peer_fetch_digests(srv->st, srv->cfg, srv->auth, srv->fetch, from, req.nfrom,
                           (const unsigned char(*)[STORE_DIGEST_LEN])req.digests, req.sizes,
                           req.variants, req.n, still, &res) != 0) {
        *text =
            error_text("the fetched blobs could not be committed (see the node's log)", text_len);
        status = 500;
        goto out;
    }
    for (i = 0, k = 0; i < req.n; i++)
        if (still[i])
            memcpy(ans.missing[k++], req.digests[i], STORE_DIGEST_LEN);
    ans.nmissing = k;
    ans.fetched = res.fetched;
    ans.variants = res.variants;
    ans.bytes = res.bytes;
    ans.present = res.present;
    ans.bad = res.bad;
    audit->created = res.fetched;
    audit->present = res.present;
    if (k > 0)
        log_warn("fetch: %zu of %zu digests could not be got from any of %zu source%s", k, req.n,
                 req.nfrom, req.nfrom == 1 ? "" : "s");
    *text = api_fetch_answer_encode(&ans, text_len);
    status = *text != NULL ? 200 : 500;
    goto out;
oom:
    status = 500;
out:
    if (owned != NULL)
        for (i = 0; i < req.nfrom; i++)
            free(owned[i]);
    free(owned);
    free(from);
    free(still);
    free(ans.missing);
    api_fetch_request_free(&req);
    return status;
}
