/*
 * prune.h - `origin-ingest prune` (tools/prune.c): fleet-wide retention.
 */
#ifndef ORIGIN_INGEST_PRUNE_H
#define ORIGIN_INGEST_PRUNE_H

/* Runs `origin-ingest prune` with argv[0] = "prune". Returns the exit code
 * (INGEST_EXIT_OK, _USAGE, _NODE, _LOCAL; see --help). */
int ingest_prune_main(int argc, char **argv);

#endif /* ORIGIN_INGEST_PRUNE_H */
