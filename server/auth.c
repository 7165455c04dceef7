/*
 * auth.c - the admin listener's tokens: loading the admin, read and peer
 * token files, matching a presented token with its scope in constant time,
 * fingerprints, SIGHUP reload, and the auth-failure counters (auth.h).
 *
 * Not for: reading files (common/secret_file.c), HTTP status codes
 * (admin.c), audit lines (audit.c).
 */
#include "auth.h"

#include "hex.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "secret_file.h"
#include "server.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUTH_MAX (2 * SECRET_LIST_MAX)

struct auth_entry {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    enum auth_scope scope;
    char fp[AUTH_FP_LEN + 1];
};

/* One loaded generation of the files. */
struct auth_set {
    size_t n;
    struct auth_entry e[AUTH_MAX];
    char *peer; /* the token sent to peers (owned, wiped on free) */
    size_t peer_len;
};

struct auth {
    struct auth_files files;
    pthread_rwlock_t lock;
    struct auth_set *set; /* under lock */
    atomic_uint_fast64_t failures[AUTH_FAIL_COUNT];
};

static void set_free(struct auth_set *s)
{
    if (s == NULL)
        return;
    secret_free(s->peer, s->peer_len);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

/* Adds the tokens of l with scope; a token already there keeps the wider
 * scope (admin). */
static void set_add(struct auth_set *s, const struct secret_list *l, enum auth_scope scope)
{
    size_t i, k;

    for (i = 0; i < l->n && s->n < AUTH_MAX; i++) {
        unsigned char d[SHA256_DIGEST_LENGTH];

        SHA256((const unsigned char *)l->tok[i], l->len[i], d);
        for (k = 0; k < s->n; k++) {
            if (CRYPTO_memcmp(s->e[k].digest, d, sizeof(d)) == 0)
                break;
        }
        if (k < s->n) {
            if (scope > s->e[k].scope)
                s->e[k].scope = scope;
            continue;
        }
        memcpy(s->e[s->n].digest, d, sizeof(d));
        s->e[s->n].scope = scope;
        hex_encode(d, AUTH_FP_LEN / 2, s->e[s->n].fp);
        s->n++;
        OPENSSL_cleanse(d, sizeof(d));
    }
}

/* flags: SECRET_LIST_EMPTY_OK for the read-token file (emptying it revokes
 * every read token); the admin file must keep at least one. */
static int read_list(const char *path, const char *what, unsigned flags, struct secret_list *l)
{
    char err[512];
    int loose = 0;

    if (secret_file_read_list(path, flags, l, &loose, err, sizeof(err)) != 0) {
        log_error("%s file: %s", what, err);
        return -1;
    }
    if (loose)
        log_warn("%s file %s is open to others (chmod o-rwx it)", what, path);
    return 0;
}

/* Reads every file into a new set. Returns it (caller frees) or NULL. */
static struct auth_set *set_load(const struct auth_files *f)
{
    struct auth_set *s = calloc(1, sizeof(*s));
    struct secret_list admin, rd;
    char err[512];
    int loose = 0, ok = 0;

    memset(&admin, 0, sizeof(admin));
    memset(&rd, 0, sizeof(rd));
    if (s == NULL) {
        log_error("auth: out of memory");
        return NULL;
    }
    if (read_list(f->admin, "admin token", 0, &admin) != 0)
        goto out;
    if (f->read != NULL && read_list(f->read, "read token", SECRET_LIST_EMPTY_OK, &rd) != 0)
        goto out;
    if (f->peer != NULL) {
        if (secret_file_read_one(f->peer, &s->peer, &s->peer_len, &loose, err, sizeof(err)) != 0) {
            log_error("peer token file: %s", err);
            goto out;
        }
        if (loose)
            log_warn("peer token file %s is open to others (chmod o-rwx it)", f->peer);
    } else {
        s->peer = malloc(admin.len[0] + 1);
        if (s->peer == NULL)
            goto out;
        memcpy(s->peer, admin.tok[0], admin.len[0] + 1);
        s->peer_len = admin.len[0];
    }
    set_add(s, &admin, AUTH_SCOPE_ADMIN);
    set_add(s, &rd, AUTH_SCOPE_READ);
    ok = 1;
out:
    secret_list_free(&admin);
    secret_list_free(&rd);
    if (!ok) {
        set_free(s);
        return NULL;
    }
    return s;
}

static size_t count_scope(const struct auth_set *s, enum auth_scope scope)
{
    size_t i, n = 0;

    for (i = 0; i < s->n; i++)
        n += s->e[i].scope == scope;
    return n;
}

int auth_read_secret_file(const char *path, const char *what, char **out, size_t *out_len)
{
    char err[512];
    int loose = 0;

    if (secret_file_read_one(path, out, out_len, &loose, err, sizeof(err)) != 0) {
        log_error("%s file: %s", what, err);
        return -1;
    }
    if (loose)
        log_warn("%s file %s is open to others (chmod o-rwx it)", what, path);
    return 0;
}

int auth_open(const struct auth_files *files, struct auth **out)
{
    struct auth *a = calloc(1, sizeof(*a));
    size_t i;

    if (a == NULL)
        return -1;
    a->files = *files;
    a->set = set_load(files);
    if (a->set == NULL) {
        free(a);
        return -1;
    }
    pthread_rwlock_init(&a->lock, NULL);
    for (i = 0; i < AUTH_FAIL_COUNT; i++)
        atomic_init(&a->failures[i], 0);
    log_info("auth: %zu admin and %zu read tokens", count_scope(a->set, AUTH_SCOPE_ADMIN),
             count_scope(a->set, AUTH_SCOPE_READ));
    *out = a;
    return 0;
}

int auth_reload(struct auth *a)
{
    struct auth_set *s = set_load(&a->files), *old;

    if (s == NULL) {
        log_error("auth: token files not reloaded; the previous tokens stay in force");
        return -1;
    }
    pthread_rwlock_wrlock(&a->lock);
    old = a->set;
    a->set = s;
    pthread_rwlock_unlock(&a->lock);
    log_info("auth: token files reloaded: %zu admin and %zu read tokens",
             count_scope(s, AUTH_SCOPE_ADMIN), count_scope(s, AUTH_SCOPE_READ));
    set_free(old);
    return 0;
}

enum auth_scope auth_check(struct auth *a, const char *header, char fp[AUTH_FP_LEN + 1],
                           enum auth_failure *why)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    const char *tok;
    size_t tok_len, i, match = AUTH_MAX;
    enum auth_scope scope = AUTH_SCOPE_NONE;

    snprintf(fp, AUTH_FP_LEN + 1, "-");
    if (header == NULL || http_bearer_token(header, strlen(header), &tok, &tok_len) != 0) {
        if (why != NULL)
            *why = AUTH_FAIL_MISSING;
        return AUTH_SCOPE_NONE;
    }
    SHA256((const unsigned char *)tok, tok_len, d);
    pthread_rwlock_rdlock(&a->lock);
    /* every entry is compared, whatever matched before */
    for (i = 0; i < a->set->n; i++) {
        int eq = CRYPTO_memcmp(a->set->e[i].digest, d, sizeof(d)) == 0;

        match = eq ? i : match;
    }
    if (match < a->set->n) {
        scope = a->set->e[match].scope;
        memcpy(fp, a->set->e[match].fp, AUTH_FP_LEN + 1);
    }
    pthread_rwlock_unlock(&a->lock);
    OPENSSL_cleanse(d, sizeof(d));
    if (scope == AUTH_SCOPE_NONE && why != NULL)
        *why = AUTH_FAIL_BAD;
    return scope;
}

void auth_count_failure(struct auth *a, enum auth_failure why)
{
    if ((unsigned)why < AUTH_FAIL_COUNT)
        atomic_fetch_add(&a->failures[why], 1);
}

int auth_peer_token(struct auth *a, char **tok, size_t *len)
{
    int rc = -1;

    pthread_rwlock_rdlock(&a->lock);
    *tok = malloc(a->set->peer_len + 1);
    if (*tok != NULL) {
        memcpy(*tok, a->set->peer, a->set->peer_len + 1);
        *len = a->set->peer_len;
        rc = 0;
    }
    pthread_rwlock_unlock(&a->lock);
    return rc;
}

int auth_metrics_append(struct auth *a, char **text, size_t *len)
{
    if (a == NULL)
        return 0;
    return metrics_text_addf(
        text, len,
        "# HELP origind_admin_auth_failures_total Admin requests refused, by reason "
        "(missing: no bearer token, bad: unknown token, scope: a read token on a "
        "write).\n# TYPE origind_admin_auth_failures_total counter\n"
        "origind_admin_auth_failures_total{reason=\"missing\"} %llu\n"
        "origind_admin_auth_failures_total{reason=\"bad\"} %llu\n"
        "origind_admin_auth_failures_total{reason=\"scope\"} %llu\n",
        (unsigned long long)atomic_load(&a->failures[AUTH_FAIL_MISSING]),
        (unsigned long long)atomic_load(&a->failures[AUTH_FAIL_BAD]),
        (unsigned long long)atomic_load(&a->failures[AUTH_FAIL_SCOPE]));
}

void auth_close(struct auth *a)
{
    if (a == NULL)
        return;
    set_free(a->set);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}
