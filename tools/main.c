/*
 * main.c - origin-ingest: the deploy-pipeline CLI that pushes a build
 * directory to every origind node and publishes it there (push), checks
 * that every node has a release complete (verify), prunes old releases on
 * every node (prune), records which release is live (promote), or writes
 * the manifest a push wrote for a release back from a node (manifest).
 *
 * For: dispatch to a command and its exit code, as curl's tool_main.c.
 * Not for: options (opts.c), the commands (cmd_*.c, prune.c, promote.c).
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "opts.h"
#include "promote.h"
#include "prune.h"

/* ------------------------------------------------------------------ */
/* prune                                                                */

/* The nodes of cfg and how to reach them. */
static struct ingest_fleet fleet_of(const struct cfg *cfg)
{
    struct ingest_fleet f;

    f.nodes = (const char *const *)cfg->nodes;
    f.nnodes = cfg->nnodes;
    f.token = cfg->token;
    f.cacert = cfg->val[O_CACERT];
    f.retries = cfg->retries;
    return f;
}

static int cmd_prune(struct cfg *cfg)
{
    struct ingest_prune_opts o;

    memset(&o, 0, sizeof(o));
    o.fleet = fleet_of(cfg);
    o.policy = cfg->policy;
    o.dry_run = cfg->dry_run;
    o.json = cfg->json;
    return ingest_prune_run(&o);
}

/* ------------------------------------------------------------------ */
/* promote                                                              */

static int cmd_promote(struct cfg *cfg)
{
    struct ingest_promote_opts o;

    memset(&o, 0, sizeof(o));
    o.fleet = fleet_of(cfg);
    o.release = cfg->val[O_RELEASE];
    o.floor = cfg->val[O_FLOOR] != NULL && *cfg->val[O_FLOOR] != '\0' ? cfg->val[O_FLOOR] : NULL;
    return ingest_promote_run(&o);
}

int main(int argc, char **argv)
{
    struct cfg cfg;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    if (argc < 2) {
        fputs("usage: origin-ingest push|verify|prune|manifest|promote [options] (see "
              "origin-ingest push "
              "--help)\n",
              stderr);
        return INGEST_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs("usage: origin-ingest push [options] DIR     push and publish a build\n"
              "       origin-ingest verify [options]       check a release on every node\n"
              "       origin-ingest prune [options]        prune old releases on every node\n"
              "       origin-ingest promote [options]      record the live release on every "
              "node\n"
              "       origin-ingest manifest [options]     the manifest a push wrote, from a "
              "node\n"
              "Run `origin-ingest COMMAND --help` for its options.\n",
              stdout);
        return INGEST_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("origin-ingest %s\n", ORIGIND_VERSION);
        return INGEST_EXIT_OK;
    }
    if (strcmp(argv[1], "push") == 0) {
        cfg.cmd = CMD_PUSH;
    } else if (strcmp(argv[1], "verify") == 0) {
        cfg.cmd = CMD_VERIFY;
    } else if (strcmp(argv[1], "prune") == 0) {
        cfg.cmd = CMD_PRUNE;
    } else if (strcmp(argv[1], "manifest") == 0) {
        cfg.cmd = CMD_MANIFEST;
    } else if (strcmp(argv[1], "promote") == 0) {
        cfg.cmd = CMD_PROMOTE;
    } else {
        fprintf(stderr,
                "origin-ingest: unknown command %s (push, verify, prune, manifest or promote)\n",
                argv[1]);
        return INGEST_EXIT_USAGE;
    }
    rc = ingest_opts_parse(&cfg, argc, argv);
    if (rc != 0) {
        ingest_opts_free(&cfg);
        return rc > 0 ? INGEST_EXIT_OK : INGEST_EXIT_USAGE;
    }
    rc = ingest_opts_validate(&cfg);
    if (rc == INGEST_EXIT_OK)
        rc = cfg.cmd == CMD_PUSH      ? ingest_cmd_push(&cfg)
             : cfg.cmd == CMD_VERIFY  ? ingest_cmd_verify(&cfg)
             : cfg.cmd == CMD_PRUNE   ? cmd_prune(&cfg)
             : cfg.cmd == CMD_PROMOTE ? cmd_promote(&cfg)
                                      : ingest_cmd_manifest(&cfg);
    ingest_opts_free(&cfg);
    return rc;
}
