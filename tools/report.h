/*
 * report.h - what a command run tells its user: the state a push or verify
 * carries for its progress output, one exit code from every node's outcome,
 * the failures named on stderr, and the --json document.
 */
#ifndef ORIGIN_INGEST_REPORT_H
#define ORIGIN_INGEST_REPORT_H

#include <jansson.h>

#include "node.h"
#include "opts.h"
#include "progress.h"

struct run_state {
    struct cfg *cfg;
    struct ingest_progress prog;
    struct ingest_site *site;
    struct ingest_client *client;
    double t0;
};

/* The exit code of a run over nodes[0..n): 0 when every node succeeded,
 * else the most telling failure (conflict before node failure). */
int ingest_combine_exit(struct ingest_node *nodes, size_t n);

/* Names every failed node and why, one line each, through st->prog. */
void ingest_print_failures(struct run_state *st, struct ingest_node *nodes, size_t n);

/* The "nodes" array of a --json document (caller owns it). */
json_t *ingest_nodes_json(struct ingest_node *nodes, size_t n);

/* Prints doc (takes ownership) as the one JSON document on stdout. */
void ingest_emit_json(json_t *doc);

#endif
