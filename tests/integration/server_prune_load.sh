#!/usr/bin/env bash
# server_prune_load.sh - no byte of freed space on the wire: the real node
# under load (server_prune_load.py: large and small bodies, ranges, slow
# readers; sendfile before the first prune, the map after) while releases
# are pruned and new ones pushed into the freed pages; every byte checked.
. "$(dirname "$0")/helpers.sh"

# a grace longer than a slow reader needs to drain its socket (5 s), short
# enough that the freed pages are reused within the test
ORIGIND_ZERO_COPY_GRACE=5 origind_start "$WORK/s" --threads 4 --sendfile-min 64K || fail "start"
python3 "$(dirname "$0")/server_prune_load.py" "$NODE_ADMIN" "$NODE_PUBLIC" "$NODE_TOKEN" \
    "${PRUNE_LOAD_ROUNDS:-14}" || fail "a client saw bytes that are not the content of their path"
node_alive
origind_stop || fail "stop"
"$ORIGIND" fsck --store "$WORK/s" >/dev/null 2>&1 || fail "fsck after the load"
ok "every answer byte-exact while pruning and pushing into freed pages"
