/*
 * peer_promote.c - promotions travel between peers: at the end of every
 * release step (catch-up and anti-entropy alike) this node reads the peer's
 * promotion (GET /v1/promotion) and adopts it when it orders after its own
 * (store_promotion_cmp: generation, then the promoter's time, then ids), so
 * a node that was down during `origin-ingest promote`, or joins later,
 * converges on the newest promotion with the same bytes as every other node.
 *
 * For: peer_sync.c (one call per release step). Not for: deciding a
 * promotion (origin-ingest promote), or trusting the peer: the record goes
 * through admin_promote_record(), which checks that the release is here,
 * complete, with the promoted release digest, and the floor too. A
 * promotion whose release has not arrived here yet is left for a later
 * pass (the release step fetches releases first).
 */
#include "peer_internal.h"

#include "admin_promote.h"
#include "api.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

int peer_promotion_sync(struct ctx *x)
{
    struct store_promotion theirs, mine;
    struct store_reader *rd = NULL;
    struct buf body = {NULL, 0, 0, 0};
    char why[API_WHY_MAX + 2 * STORE_ID_MAX];
    size_t n = 0, m = 0;
    long status = 0;
    unsigned st;
    int err;

    if (peer_get_body(x, API_PATH_PROMOTION, &body, &status) != 0)
        return status == 404 ? 0 : -1; /* 404: an origind from before promotions */
    if (api_promotion_state_decode(body.data, body.len, &theirs, 1, &n, why, sizeof(why)) != 0) {
        peer_refused(x, "promotion", why);
        buf_free(&body);
        return -1;
    }
    buf_free(&body);
    if (n == 0)
        return 0;
    err = store_reader_begin(x->st, &rd);
    if (err == STORE_OK)
        err = store_promotion_get(rd, &mine, 1, &m);
    store_reader_end(rd);
    if (err != STORE_OK)
        return -1;
    if (m > 0 && store_promotion_cmp(&theirs, &mine) <= 0)
        return 0;
    st = admin_promote_record(x->st, &theirs, why, sizeof(why));
    if (st == 201) {
        log_info("sync: promotion of release %s (generation %llu) adopted from %s", theirs.release,
                 (unsigned long long)theirs.generation, x->base);
        return 0;
    }
    if (st == 200)
        return 0;
    if (st == 404 || st == 422)
        log_info("sync: promotion of release %s from %s not adopted yet: %s", theirs.release,
                 x->base, why);
    else
        log_warn("sync: promotion of release %s from %s refused: %s", theirs.release, x->base, why);
    return 0; /* a refusal is this node's to report, never a failed pass */
}
