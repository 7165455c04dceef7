/*
 * report.c - how a run's outcome reaches its user: one exit code from every
 * node's outcome, the failing nodes named on stderr, and the --json
 * document's per-node part.
 *
 * For: push, verify and manifest (cmd_*.c). Not for: progress bars
 * (progress.c), the wire (node.c).
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
#include "report.h"

static const char *outcome(const struct ingest_node *nd)
{
    switch (nd->failed) {
    case 0:
        return nd->published == 1 ? "published" : nd->published == 2 ? "unchanged" : "ok";
    case INGEST_EXIT_CONFLICT:
        return "conflict";
    case INGEST_EXIT_LOCAL:
        return "local-error";
    default:
        return "failed";
    }
}

int ingest_combine_exit(struct ingest_node *nodes, size_t n)
{
    size_t i;
    int local = 0, conflict = 0, node = 0;

    for (i = 0; i < n; i++) {
        local |= nodes[i].failed == INGEST_EXIT_LOCAL;
        conflict |= nodes[i].failed == INGEST_EXIT_CONFLICT;
        node |= nodes[i].failed == INGEST_EXIT_NODE;
    }
    return local      ? INGEST_EXIT_LOCAL
           : conflict ? INGEST_EXIT_CONFLICT
           : node     ? INGEST_EXIT_NODE
                      : INGEST_EXIT_OK;
}

void ingest_print_failures(struct run_state *st, struct ingest_node *nodes, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const char *p, *nl;

        if (!nodes[i].failed)
            continue;
        ingest_progress_error(&st->prog, "node %s: %s: %s", nodes[i].url, outcome(&nodes[i]),
                              nodes[i].error);
        for (p = nodes[i].conflicts.data; p != NULL && *p != '\0'; p = nl + 1) {
            nl = strchr(p, '\n');
            if (nl == NULL)
                break;
            fprintf(stderr, "origin-ingest:   conflict: %.*s\n", (int)(nl - p), p);
        }
    }
}

json_t *ingest_nodes_json(struct ingest_node *nodes, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; i < n; i++) {
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "url", nodes[i].url, "outcome",
            outcome(&nodes[i]), "missing", (json_int_t)nodes[i].missing, "blobs_sent",
            (json_int_t)nodes[i].blobs_sent, "variants_sent", (json_int_t)nodes[i].variants_sent,
            "bytes_sent", (json_int_t)nodes[i].bytes_sent, "retries", (json_int_t)nodes[i].retries,
            "files", (json_int_t)nodes[i].verified_files);

        if (nodes[i].digest[0] != '\0')
            json_object_set_new(o, "digest", json_string(nodes[i].digest));
        json_object_set_new(o, "bytes_uploaded", json_integer((json_int_t)nodes[i].bytes_uploaded));
        if (nodes[i].seed_role != INGEST_ROLE_NONE) {
            static const char *const role[] = {"", "seed", "fetched", "direct"};

            json_object_set_new(o, "role", json_string(role[nodes[i].seed_role]));
            json_object_set_new(o, "fetched", json_integer((json_int_t)nodes[i].fetched));
            json_object_set_new(o, "fetched_variants",
                                json_integer((json_int_t)nodes[i].fetched_variants));
            json_object_set_new(o, "fetched_bytes",
                                json_integer((json_int_t)nodes[i].fetched_bytes));
            if (nodes[i].fetch_note[0] != '\0')
                json_object_set_new(o, "fallback", json_string(nodes[i].fetch_note));
        }
        if (nodes[i].failed)
            json_object_set_new(o, "error", json_string(nodes[i].error));
        if (nodes[i].nconflicts > 0) {
            json_t *cs = json_array();
            const char *p = nodes[i].conflicts.data, *nl;

            for (; p != NULL && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
                json_array_append_new(cs, json_stringn(p, (size_t)(nl - p)));
            json_object_set_new(o, "conflicts", cs);
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

void ingest_emit_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (text != NULL) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    free(text);
    json_decref(doc);
}
