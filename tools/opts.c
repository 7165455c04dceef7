/*
 * opts.c - origin-ingest's options: the environment and argv (the syntax is
 * common/opt.c's) read against the table (opts_table.c) into a struct cfg,
 * every value validated before any command starts, and --help (the options
 * part printed from the table).
 *
 * For: turning argv and the environment into a struct cfg (opts.h).
 * Not for: the rows (opts_table.c), running a command (cmd_*.c, prune.c,
 * promote.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "compress.h"
#include "delta.h"
#include "discover.h"
#include "hash.h"
#include "ingest.h"
#include "manifest.h"
#include "mime.h"
#include "naming.h"
#include "outfile.h"
#include "node.h"
#include "progress.h"
#include "promote.h"
#include "prune.h"
#include "through.h"
#include "secret_file.h"
#include "seed.h"
#include "tls_client.h"
#include "walk.h"
#include "opts.h"

static void usage(FILE *out, unsigned cmd)
{
    if (cmd == CMD_PRUNE)
        fputs("usage: origin-ingest prune --node URL [--node URL ...] --token-file FILE\n"
              "                           [--keep-last N] [--keep-newer-than DURATION] "
              "[--keep ID ...]\n"
              "                           [--keep-promoted N]\n\n"
              "Keeps the union of the --keep-* sets and prunes every other release on every\n"
              "node. A pruned release is gone for good: its paths answer 410 Gone, its id can\n"
              "never be published again, and blobs no kept release uses are removed. The\n"
              "releases considered are the union of every node's list; each node gets the\n"
              "same prune set. A node that cannot list stops the command before anything\n"
              "changes. A policy that keeps nothing is refused. The live release and the\n"
              "floor of the newest promotion (origin-ingest promote) are always kept. Each\n"
              "kept release is listed with why (keep-last, newer-than, keep, promoted,\n"
              "after-promotion, live, floor).\n\n",
              out);
    else if (cmd == CMD_PROMOTE)
        fputs("usage: origin-ingest promote --node URL [--node URL ...] --token-file FILE\n"
              "                             --release ID [--floor ID]\n\n"
              "Run after the HTML deploy: records on every node that release ID is live and,\n"
              "with --floor, the oldest release an open browser tab may keep running. The\n"
              "public listener then answers GET /.well-known/origind/release with it. Refused\n"
              "before anything is recorded unless the release is complete with the same\n"
              "digest on every node, and the floor on every node and not newer. Rolling back\n"
              "is promoting an older release. Running the same command again is a no-op, or\n"
              "finishes a promotion that reached only some nodes. Each promotion carries a\n"
              "generation one above the highest any node holds; nodes keep the newest and\n"
              "peers carry it to nodes that were down or join later (docs/promotion.md).\n\n",
              out);
    else if (cmd == CMD_MANIFEST)
        fputs("usage: origin-ingest manifest --node URL --token-file FILE --release ID\n"
              "                              [--manifest-format flat|full] [--public-base URL]\n"
              "                              [--prefix PATH] [--keep-names] [--out FILE]\n\n"
              "Writes the manifest push --manifest-out wrote for the release, byte for byte,\n"
              "from what the first node that has it lists (paths, SHA-256, types; sizes by\n"
              "HEAD of each blob), so a rollback redeploys old HTML without rebuilding. Give\n"
              "the --prefix, --keep-names, --manifest-format and --public-base the push had:\n"
              "each source path is the published path without PREFIX/ and, unless\n"
              "--keep-names, without the .<16 hex> of the file's own SHA-256 push put in; a\n"
              "path that does not map back is named with the flag to give.\n\n",
              out);
    else if (cmd == CMD_VERIFY)
        fputs("usage: origin-ingest verify --node URL [--node URL ...] --token-file FILE "
              "--release ID [--manifest FILE]\n"
              "                            [--through BASE_URL [--sample N]]\n\n"
              "Exits 0 only if every node has the release complete and every node holds the "
              "same\ncontent under that id (the same release digest: SHA-256 of the sorted "
              "path, sha256,\ntype listing), and with --manifest, the content that full "
              "manifest describes.\nA node that differs is named. The deploy gate before "
              "HTML.\n"
              "Every node's promotion (origin-ingest promote) is reported too; nodes that\n"
              "disagree on it are named and the exit is 4.\n"
              "--through then fetches every file of the release through BASE_URL (the CDN)\n"
              "four times, as CloudFront asks (no Accept-Encoding, \"gzip\", \"br,gzip\") and\n"
              "with \"zstd\", and once more with a dcz dictionary when the node holds a delta,\n"
              "and checks that each answer is a 200 whose bytes, decoded per its\n"
              "Content-Encoding, have the file's SHA-256 and whose Content-Type is the\n"
              "release's; every wrong URL is named (the last gate, after the HTML deploy).\n\n",
              out);
    else
        fputs("usage: origin-ingest push --node URL [--node URL ...] --token-file FILE "
              "--release ID\n"
              "                          [options] DIR\n\n"
              "Hashes every file of DIR, uploads to every node the blobs it lacks, then\n"
              "publishes the release there. Each file is published as PREFIX/relpath with\n"
              "16 hex digits (64 bits) of its SHA-256 before the last extension\n"
              "(css/app.css -> /assets/css/app.3f2a9c1e5b7d0a41.css; no extension or a\n"
              "dotfile: name.<hash>), unless --keep-names.\n\n",
              out);
    fputs("options (each also read from the environment variable shown):\n", out);
    opt_help(out, &ingest_opt_table, cmd);
    fputs("\n", out);
    if (cmd == CMD_PUSH || cmd == CMD_MANIFEST)
        fputs("output files (--manifest-out, --out):\n"
              "  - \"-\" writes the manifest to standard output (push: not with --json);\n"
              "  - a new or regular FILE is replaced atomically: a temporary file in the same\n"
              "    directory, fsync, rename; a reader never sees half a manifest;\n"
              "  - a symlink is written through: it is resolved first, its final target is\n"
              "    replaced atomically in the target's directory, and the link stays; a\n"
              "    dangling symlink creates its target (as a shell's > does);\n"
              "  - a FILE that is, or whose symlink ends at, a directory, a device\n"
              "    (/dev/null), a fifo or a socket, a symlink loop, and /dev/stdout,\n"
              "    /dev/fd/N or /proc/self/fd/N (a descriptor, not a file: give - instead)\n"
              "    are refused with exit 2 before any node is contacted.\n\n",
              out);
    if (cmd == CMD_MANIFEST) {
        fputs("exit status:\n"
              "  0  the manifest was written\n"
              "  2  usage error (bad option, missing argument), a refused --out (see \"output\n"
              "     files\"), or a published path that does not map back to a source path\n"
              "     with the --prefix / --keep-names given, or that is reserved (/healthz,\n"
              "     /.well-known/origind/...: no URL of the release can serve it)\n"
              "  4  no node has the release (\"release ID not found\"), or a node unreachable,\n"
              "     failing after retries, refusing, or answering malformed\n"
              "  5  local error: the manifest or token file cannot be written or read\n",
              out);
        return;
    }
    if (cmd == CMD_PROMOTE) {
        fputs("exit status:\n"
              "  0  every node recorded the promotion (now or before)\n"
              "  2  usage error (bad option, missing argument)\n"
              "  4  refused (release unknown, incomplete, pruned or different on a node; floor\n"
              "     missing or newer than the release; a node unreachable or refusing): one\n"
              "     line, nothing recorded; or a node failed to record it (named; run the same\n"
              "     command again to finish)\n"
              "  5  local error (the token file cannot be read, out of memory)\n",
              out);
        return;
    }
    if (cmd == CMD_PRUNE) {
        fputs("retries: connection errors and HTTP 5xx (but 501, 505, 507) are retried with\n"
              "exponential backoff (250 ms doubling, at most 8 s) and jitter; 4xx never.\n\n"
              "exit status:\n"
              "  0  every node pruned the same set (or, --dry-run, reported it)\n"
              "  2  usage error, or a policy that keeps nothing (none of the nodes' releases)\n"
              "  4  a node unreachable, failing after retries, or refusing (named; run the\n"
              "     same command again to finish)\n"
              "  5  local error (the token file cannot be read, out of memory)\n",
              out);
        return;
    }
    if (cmd == CMD_PUSH)
        fputs("what is published from DIR:\n"
              "  - regular files, visited in name order; empty files are published;\n"
              "    names with spaces or UTF-8 characters work (URLs in the manifest are\n"
              "    percent-encoded); a name that is not UTF-8 or holds a control character,\n"
              "    '\\', '?' or '#' cannot be published: exit 5 before any node is contacted;\n"
              "  - dotfiles and dot-directories are skipped (counted in a note) unless\n"
              "    --include-hidden;\n"
              "  - a symlink resolving inside DIR is followed (published under the link's\n"
              "    name); one pointing outside DIR, a dangling one, or a loop: exit 5;\n"
              "  - fifos, sockets and devices are skipped with a warning;\n"
              "  - a file whose published path would be /healthz or under\n"
              "    /.well-known/origind/ (the server answers those itself, so they can never\n"
              "    be published; check --prefix and --keep-names): exit 2, naming it, before\n"
              "    any node is contacted (--dry-run too);\n"
              "  - an unreadable file or directory: exit 5, naming it, before any node is\n"
              "    contacted;\n"
              "  - files are hashed once, every byte (size and mtime are never trusted);\n"
              "    a file that vanishes or changes after it was hashed (re-checked before\n"
              "    publishing, and by the node's digest check on upload) stops the push with\n"
              "    exit 5 and nothing is published; files created during the push are not\n"
              "    part of the release;\n"
              "  - the manifest is written only when every node published (or --dry-run).\n\n"
              "retries: connection errors and HTTP 5xx (but 501, 505, 507) are retried with\n"
              "exponential backoff (250 ms doubling, at most 8 s) and jitter; 4xx never.\n\n",
              out);
    fputs("exit status:\n"
          "  0  every node acknowledged the whole release (verify: has it complete)\n"
          "  2  usage error (bad option, missing argument)\n",
          out);
    if (cmd == CMD_PUSH)
        fputs("     or a refused --manifest-out (see \"output files\"), or a file that would\n"
              "     publish at a reserved path\n",
              out);
    fputs("  3  conflict: a path is already bound to other bytes on a node\n"
          "  4  a node unreachable, failing after retries, or refusing (401, 4xx, 507)\n"
          "  5  local error: unreadable, unpublishable or changing file, I/O error\n",
          out);
    if (cmd == CMD_VERIFY)
        fputs("  6  --through: the CDN served a file wrong (every wrong URL is named), or the\n"
              "     check did not finish within --through-timeout\n",
              out);
}

static int parse_flag(const char *v, int *out)
{
    if (v == NULL || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
        strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0) {
        *out = 1;
        return 0;
    }
    if (*v == '\0' || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 ||
        strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}

int ingest_parse_uint(const char *v, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end = NULL;
    unsigned long long x;

    if (v == NULL || *v == '\0' || *v == '-')
        return -1;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

/* A --compress list: "br", "gzip", "zstd" separated by commas, each at
 * most once. Sets the three flags; returns 0, or -1 for anything else. */
static int parse_codings(const char *v, int *br, int *gzip, int *zstd)
{
    const char *p = v;

    *br = *gzip = *zstd = 0;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        int *flag = n == 2 && strncmp(p, "br", 2) == 0     ? br
                    : n == 4 && strncmp(p, "gzip", 4) == 0 ? gzip
                    : n == 4 && strncmp(p, "zstd", 4) == 0 ? zstd
                                                           : NULL;

        if (flag == NULL || *flag)
            return -1;
        *flag = 1;
        p += n;
        if (*p == ',' && *++p == '\0')
            return -1; /* trailing comma */
    }
    return *br || *gzip || *zstd ? 0 : -1;
}

static void add_str(char ***list, size_t *n, const char *v)
{
    *list = ingest_xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = ingest_xstrdup(v);
}

static void add_node(struct cfg *c, const char *url)
{
    add_str(&c->nodes, &c->nnodes, url);
}

/* The repeatable options (--node, --keep): their list, and where it came from. */
static int list_of(struct cfg *c, size_t k, char ***list, size_t **n, int **from_argv,
                   char ***env_copy)
{
    if (k == O_NODE) {
        *list = c->nodes;
        *n = &c->nnodes;
        *from_argv = &c->nodes_from_argv;
        *env_copy = &c->env_nodes;
        return 1;
    }
    if (k == O_KEEP) {
        *list = c->keeps;
        *n = &c->nkeeps;
        *from_argv = &c->keeps_from_argv;
        *env_copy = &c->env_keeps;
        return 1;
    }
    return 0;
}

static void list_add(struct cfg *c, size_t k, const char *v)
{
    if (k == O_NODE)
        add_str(&c->nodes, &c->nnodes, v);
    else
        add_str(&c->keeps, &c->nkeeps, v);
}

void ingest_opts_free(struct cfg *c)
{
    size_t i;

    for (i = 0; i < c->nnodes; i++)
        free(c->nodes[i]);
    free(c->nodes);
    free(c->env_nodes);
    for (i = 0; i < c->nkeeps; i++)
        free(c->keeps[i]);
    free(c->keeps);
    free(c->env_keeps);
    free(c->prefix);
    free(c->cache_dir);
    explicit_bzero(c->token, sizeof(c->token));
}

/* Reads the environment, then argv. Returns -1 (after printing) on usage
 * error, 1 if --help/--version was handled, 0 to go on. */
int ingest_opts_parse(struct cfg *c, int argc, char **argv)
{
    struct opt_parser p;
    char see[64], err[300];
    const char *value;
    size_t k;
    int rc;

    for (k = 0; k < O_COUNT; k++) {
        const struct opt_row *o = opt_row_at(&ingest_opt_table, k);
        const char *e = o->env != NULL ? getenv(o->env) : NULL;

        char **list, **env_copy;
        size_t *n;
        int *from_argv;

        if (!(o->cmds & c->cmd) || e == NULL)
            continue;
        if (list_of(c, k, &list, &n, &from_argv, &env_copy)) {
            char *save = NULL, *tok;

            *env_copy = ingest_xstrdup(e);
            for (tok = strtok_r(*env_copy, ", ", &save); tok != NULL;
                 tok = strtok_r(NULL, ", ", &save))
                list_add(c, k, tok);
            continue;
        }
        c->val[k] = e;
    }
    snprintf(see, sizeof(see), "origin-ingest %s", argv[1]);
    opt_parser_init(&p, &ingest_opt_table, c->cmd, see, c->cmd == CMD_PUSH ? 1 : 0, argc - 2,
                    argv + 2);
    for (;;) {
        char **list, **env_copy;
        size_t *n;
        int *from_argv;

        rc = opt_next(&p, &k, &value, err, sizeof(err));
        if (rc == OPT_END)
            return 0;
        if (rc == OPT_EUSAGE) {
            fprintf(stderr, "origin-ingest: %s\n", err);
            return -1;
        }
        if (rc == OPT_OPERAND) { /* push's DIR, the only operand */
            c->dir = value;
            continue;
        }
        if (k == O_HELP) {
            usage(stdout, c->cmd);
            return 1;
        }
        if (k == O_VERSION) {
            printf("origin-ingest %s\n", ORIGIND_VERSION);
            return 1;
        }
        if (value == NULL) /* a flag */
            value = "1";
        if (list_of(c, k, &list, &n, &from_argv, &env_copy)) {
            if (!*from_argv) { /* the command line replaces the environment's list */
                size_t j;

                for (j = 0; j < *n; j++)
                    free(list[j]);
                *n = 0;
                *from_argv = 1;
            }
            list_add(c, k, value);
            continue;
        }
        c->val[k] = value;
    }
}

static int bad(const char *what, const char *v)
{
    fprintf(stderr, "origin-ingest: invalid %s: %s (see --help)\n", what, v ? v : "(none)");
    return -1;
}

/* Reads the one token of file (common/secret_file.h's rules) into c->token. */
static int read_token(struct cfg *c, const char *file)
{
    char err[512], *tok = NULL;
    size_t len = 0;
    int loose = 0, rc;

    rc = secret_file_read_one(file, &tok, &len, &loose, err, sizeof(err));
    if (rc != SECRET_OK) {
        fprintf(stderr, "origin-ingest: token file: %s\n", err);
        return rc == SECRET_EIO ? INGEST_EXIT_LOCAL : INGEST_EXIT_USAGE;
    }
    if (loose)
        fprintf(stderr,
                "origin-ingest: warning: token file %s is open to others (chmod o-rwx it)\n", file);
    if (len > TOKEN_MAX) {
        secret_free(tok, len);
        fprintf(stderr, "origin-ingest: token file %s: the token is too long\n", file);
        return INGEST_EXIT_USAGE;
    }
    memcpy(c->token, tok, len + 1);
    secret_free(tok, len);
    return INGEST_EXIT_OK;
}

/* Validates everything before any work. Returns an exit code (0: go on). */
int ingest_opts_validate(struct cfg *c)
{
    unsigned long long x;
    size_t i;
    int need_nodes = !(c->cmd == CMD_PUSH && c->val[O_DRY_RUN] != NULL &&
                       parse_flag(c->val[O_DRY_RUN], &c->dry_run) == 0 && c->dry_run);
    const char *v;

#define FLAG(id, field)                                                                            \
    do {                                                                                           \
        if (c->val[id] != NULL && parse_flag(c->val[id], &c->field) != 0)                          \
            return bad("--" #field " value", c->val[id]), INGEST_EXIT_USAGE;                       \
    } while (0)
    FLAG(O_KEEP_NAMES, keep_names);
    FLAG(O_INCLUDE_HIDDEN, include_hidden);
    FLAG(O_DRY_RUN, dry_run);
    FLAG(O_JSON, json);
    FLAG(O_QUIET, quiet);
#undef FLAG
    c->dict_deltas = INGEST_DELTA_BACK_DEFAULT;
    if (c->val[O_DICT_DELTAS] != NULL) {
        if (ingest_parse_uint(c->val[O_DICT_DELTAS], 0, INGEST_DELTA_BACK_MAX, &x) != 0)
            return bad("--dict-deltas (0-16)", c->val[O_DICT_DELTAS]), INGEST_EXIT_USAGE;
        c->dict_deltas = (unsigned)x;
    }
    c->jobs = 4;
    if (c->val[O_JOBS] != NULL) {
        if (ingest_parse_uint(c->val[O_JOBS], 1, 64, &x) != 0)
            return bad("--jobs", c->val[O_JOBS]), INGEST_EXIT_USAGE;
        c->jobs = (unsigned)x;
    }
    c->seed_nodes = 0;
    if (c->val[O_SEED_NODES] != NULL) {
        if (ingest_parse_uint(c->val[O_SEED_NODES], 0, 1000000, &x) != 0)
            return bad("--seed-nodes", c->val[O_SEED_NODES]), INGEST_EXIT_USAGE;
        c->seed_nodes = (unsigned)x;
    }
    c->retries = 5;
    if (c->val[O_RETRIES] != NULL) {
        if (ingest_parse_uint(c->val[O_RETRIES], 0, 30, &x) != 0)
            return bad("--retries", c->val[O_RETRIES]), INGEST_EXIT_USAGE;
        c->retries = (unsigned)x;
    }
    c->threads = ingest_cpu_count();
    if (c->val[O_THREADS] != NULL) {
        if (ingest_parse_uint(c->val[O_THREADS], 1, 256, &x) != 0)
            return bad("--threads", c->val[O_THREADS]), INGEST_EXIT_USAGE;
        c->threads = (unsigned)x;
    }
    c->bundle_bytes = 8u << 20;
    if (c->val[O_BUNDLE_BYTES] != NULL) {
        if (ingest_parse_uint(c->val[O_BUNDLE_BYTES], 4096, 1ull << 30, &x) != 0)
            return bad("--bundle-bytes", c->val[O_BUNDLE_BYTES]), INGEST_EXIT_USAGE;
        c->bundle_bytes = x;
    }
    c->through_jobs = 8;
    if (c->val[O_THROUGH_JOBS] != NULL) {
        if (ingest_parse_uint(c->val[O_THROUGH_JOBS], 1, 64, &x) != 0)
            return bad("--through-jobs", c->val[O_THROUGH_JOBS]), INGEST_EXIT_USAGE;
        c->through_jobs = (unsigned)x;
    }
    c->through_timeout = 600;
    if (c->val[O_THROUGH_TIMEOUT] != NULL) {
        if (ingest_parse_uint(c->val[O_THROUGH_TIMEOUT], 0, 86400, &x) != 0)
            return bad("--through-timeout", c->val[O_THROUGH_TIMEOUT]), INGEST_EXIT_USAGE;
        c->through_timeout = (unsigned)x;
    }
    c->sample = 0;
    if (c->val[O_SAMPLE] != NULL) {
        if (ingest_parse_uint(c->val[O_SAMPLE], 1, 1ull << 32, &x) != 0)
            return bad("--sample", c->val[O_SAMPLE]), INGEST_EXIT_USAGE;
        c->sample = (size_t)x;
    }
    v = c->val[O_THROUGH];
    if (v != NULL && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
        return bad("--through (http:// or https:// URL)", v), INGEST_EXIT_USAGE;
    c->mfmt = INGEST_MANIFEST_FLAT;
    v = c->val[O_MANIFEST_FORMAT];
    if (v != NULL) {
        if (strcmp(v, "full") == 0)
            c->mfmt = INGEST_MANIFEST_FULL;
        else if (strcmp(v, "flat") != 0)
            return bad("--manifest-format", v), INGEST_EXIT_USAGE;
    }
    c->br = c->gzip = 1;
    c->zstd = 0;
    v = c->val[O_COMPRESS];
    if (v != NULL) {
        c->br = c->gzip = 0;
        if (strcmp(v, "none") != 0 && parse_codings(v, &c->br, &c->gzip, &c->zstd) != 0)
            return bad("--compress", v), INGEST_EXIT_USAGE;
    }
    if (c->cmd == CMD_PUSH || c->cmd == CMD_MANIFEST) {
        char err[256];

        c->prefix =
            ingest_name_prefix(c->val[O_PREFIX] ? c->val[O_PREFIX] : "/assets", err, sizeof(err));
        if (c->prefix == NULL) {
            fprintf(stderr, "origin-ingest: %s\n", err);
            return INGEST_EXIT_USAGE;
        }
        if (c->cmd == CMD_PUSH && c->dir == NULL) {
            fputs("origin-ingest: push needs a directory (see --help)\n", stderr);
            return INGEST_EXIT_USAGE;
        }
        v = c->val[O_CACHE_DIR];
        if (c->cmd == CMD_MANIFEST || (v != NULL && strcmp(v, "none") == 0))
            c->cache_dir = NULL; /* manifest compresses nothing */
        else if (v != NULL && *v != '\0')
            c->cache_dir = ingest_xstrdup(v);
        else
            c->cache_dir = ingest_compress_default_cache();
    }
    if (c->cmd == CMD_PRUNE) {
        c->policy.newer_than = -1;
        if (c->val[O_KEEP_LAST] != NULL) {
            if (ingest_parse_uint(c->val[O_KEEP_LAST], 0, 1ull << 40, &x) != 0)
                return bad("--keep-last (a number >= 0)", c->val[O_KEEP_LAST]), INGEST_EXIT_USAGE;
            c->policy.keep_last = x;
        }
        v = c->val[O_KEEP_NEWER_THAN];
        if (v != NULL) {
            c->policy.newer_than = ingest_prune_duration(v);
            if (c->policy.newer_than < 0)
                return bad("--keep-newer-than (90d, 12h, 30m or 45s)", v), INGEST_EXIT_USAGE;
        }
        for (i = 0; i < c->nkeeps; i++) {
            if (store_id_valid(c->keeps[i], strlen(c->keeps[i])) != STORE_OK)
                return bad("--keep (a release id)", c->keeps[i]), INGEST_EXIT_USAGE;
        }
        if (c->val[O_KEEP_PROMOTED] != NULL) {
            if (ingest_parse_uint(c->val[O_KEEP_PROMOTED], 0, 1ull << 40, &x) != 0)
                return bad("--keep-promoted (a number >= 0)", c->val[O_KEEP_PROMOTED]),
                       INGEST_EXIT_USAGE;
            c->policy.keep_promoted = x;
        }
        c->policy.keep = (const char *const *)c->keeps;
        c->policy.nkeep = c->nkeeps;
        if (ingest_prune_policy_empty(&c->policy)) {
            fputs("origin-ingest prune: refusing a policy that keeps nothing: give "
                  "--keep-last N (N >= 1), --keep-newer-than, --keep ID or --keep-promoted N\n",
                  stderr);
            return INGEST_EXIT_USAGE;
        }
    }
    if (c->val[O_FLOOR] != NULL && *c->val[O_FLOOR] != '\0' &&
        store_id_valid(c->val[O_FLOOR], strlen(c->val[O_FLOOR])) != STORE_OK)
        return bad("--floor (a release id)", c->val[O_FLOOR]), INGEST_EXIT_USAGE;
    v = c->cmd == CMD_PUSH ? c->val[O_MANIFEST_OUT] : c->cmd == CMD_MANIFEST ? c->val[O_OUT] : NULL;
    if (c->cmd == CMD_PUSH && v != NULL && *v == '\0')
        return bad("--manifest-out (a FILE, or - for stdout)", "\"\""), INGEST_EXIT_USAGE;
    if (v != NULL && *v != '\0') {
        const char *opt = c->cmd == CMD_PUSH ? "--manifest-out" : "--out";
        char err[600];
        int rc;

        if (c->cmd == CMD_PUSH && c->json && strcmp(v, "-") == 0) {
            fputs("origin-ingest: --manifest-out - and --json both write standard output: give "
                  "--manifest-out a file\n",
                  stderr);
            return INGEST_EXIT_USAGE;
        }
        rc = ingest_outfile_check(v, opt, err, sizeof(err));
        if (rc != INGEST_EXIT_OK) {
            fprintf(stderr, "origin-ingest: %s\n", err);
            return rc;
        }
    }
    v = c->val[O_RELEASE];
    if (v != NULL && store_id_valid(v, strlen(v)) != STORE_OK)
        return bad("--release (1-128 bytes of [A-Za-z0-9._-])", v), INGEST_EXIT_USAGE;
    if (!need_nodes)
        return INGEST_EXIT_OK;
    if (c->val[O_NODES_DNS] != NULL) {
        struct discover_list dl;
        char err[300];

        /* nodes whose certificates chain to --cacert speak https (SPEC) */
        if (discover_resolve(c->val[O_NODES_DNS], c->val[O_CACERT] != NULL ? "https" : "http", NULL,
                             &dl, err, sizeof(err)) != 0) {
            fprintf(stderr, "origin-ingest: --nodes-dns: %s\n", err);
            return INGEST_EXIT_NODE;
        }
        for (i = 0; i < dl.n; i++)
            add_node(c, dl.url[i]);
        if (!c->quiet)
            fprintf(stderr, "origin-ingest: --nodes-dns %s: %zu node%s\n", c->val[O_NODES_DNS],
                    dl.n, dl.n == 1 ? "" : "s");
        discover_list_free(&dl);
    }
    if (c->nnodes == 0) {
        fputs("origin-ingest: at least one --node URL (or --nodes-dns HOST:PORT) is needed (see "
              "--help)\n",
              stderr);
        return INGEST_EXIT_USAGE;
    }
    for (i = 0; i < c->nnodes; i++) {
        if (strncmp(c->nodes[i], "http://", 7) != 0 && strncmp(c->nodes[i], "https://", 8) != 0)
            return bad("--node (http:// or https:// URL)", c->nodes[i]), INGEST_EXIT_USAGE;
    }
    if (v == NULL && c->cmd != CMD_PRUNE) {
        fputs("origin-ingest: --release ID is needed (see --help)\n", stderr);
        return INGEST_EXIT_USAGE;
    }
    if (c->val[O_TOKEN_FILE] == NULL) {
        fputs("origin-ingest: --token-file FILE is needed (see --help)\n", stderr);
        return INGEST_EXIT_USAGE;
    }
    if (c->val[O_CACERT] != NULL) {
        char err[512];

        if (tls_client_check_cacert(c->val[O_CACERT], err, sizeof(err)) != 0) {
            fprintf(stderr, "origin-ingest: --cacert: %s\n", err);
            return INGEST_EXIT_USAGE;
        }
    }
    return read_token(c, c->val[O_TOKEN_FILE]);
}
