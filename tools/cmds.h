/*
 * cmds.h - origin-ingest's commands, each run from a validated struct cfg
 * (opts.h). Each returns the process's exit code (ingest.h, INGEST_EXIT_*).
 */
#ifndef ORIGIN_INGEST_CMDS_H
#define ORIGIN_INGEST_CMDS_H

#include "opts.h"

int ingest_cmd_push(struct cfg *cfg);     /* cmd_push.c */
int ingest_cmd_verify(struct cfg *cfg);   /* cmd_verify.c */
int ingest_cmd_manifest(struct cfg *cfg); /* cmd_manifest.c */

#endif
