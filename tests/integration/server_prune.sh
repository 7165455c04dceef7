#!/usr/bin/env bash
# server_prune.sh - retention on one real node: POST /v1/prune (dry run, then
# for real), 410 Gone + no-store for a path whose every release was pruned,
# re-publishing the same bytes makes it 200 again, other bytes stay a
# conflict, a pruned release id is refused (410), GET /v1/tombstones,
# retention in /metrics and `origind stats`, and fsck after it all.
. "$(dirname "$0")/helpers.sh"

origind_start "$WORK/s" --sendfile-min 64K || fail "start" # keeps the zero-copy path and its pin in play
printf 'old css %.0s' $(seq 1 200) >"$WORK/old.css"
printf 'new css %.0s' $(seq 1 200) >"$WORK/new.css"
printf 'shared js' >"$WORK/shared.js"
head -c 300000 /dev/urandom >"$WORK/big.bin" # over the sendfile threshold
printf 'other bytes' >"$WORK/other.css"

publish r1 /a.css "$WORK/old.css" text/css /s.js "$WORK/shared.js" text/javascript \
    /big.bin "$WORK/big.bin" application/octet-stream
publish r2 /b.css "$WORK/new.css" text/css /s.js "$WORK/shared.js" text/javascript
expect_status "a.css before" 200 "$NODE_PUBLIC/a.css"

# dry run: tells what would go, changes nothing
admin_curl -o "$WORK/dry.json" -X POST --data-binary '{"prune":["r1"],"dry_run":true}' \
    "$NODE_ADMIN/v1/prune"
expect_eq "dry state" "$(jq -r '.releases[0].state' "$WORK/dry.json")" pruned
expect_eq "dry blobs" "$(jq -r '.releases[0].blobs' "$WORK/dry.json")" 2
want_bytes=$(($(stat -c %s "$WORK/old.css") + 300000))
expect_eq "dry bytes" "$(jq -r '.bytes' "$WORK/dry.json")" "$want_bytes"
expect_status "a.css after dry run" 200 "$NODE_PUBLIC/a.css"
ok "dry run"

# refusals
expect_status "not JSON" 400 -H "Authorization: Bearer $NODE_TOKEN" -X POST --data-binary 'x' \
    "$NODE_ADMIN/v1/prune"
expect_status "repeated id" 400 -H "Authorization: Bearer $NODE_TOKEN" -X POST \
    --data-binary '{"prune":["r1","r1"]}' "$NODE_ADMIN/v1/prune"
expect_status "no token" 401 -X POST --data-binary '{"prune":["r1"]}' "$NODE_ADMIN/v1/prune"
expect_status "GET prune" 405 -H "Authorization: Bearer $NODE_TOKEN" "$NODE_ADMIN/v1/prune"

admin_curl -o "$WORK/prune.json" -X POST --data-binary '{"prune":["r1","never-here"]}' \
    "$NODE_ADMIN/v1/prune"
expect_eq "pruned" "$(jq -r '.pruned' "$WORK/prune.json")" 1
expect_eq "absent" "$(jq -r '.absent' "$WORK/prune.json")" 1
expect_eq "bytes" "$(jq -r '.bytes' "$WORK/prune.json")" "$want_bytes"

curl -sS -D "$WORK/h" -o /dev/null "$NODE_PUBLIC/a.css"
expect_eq "a.css status" "$(status_of "$WORK/h")" 410
expect_eq "a.css cache-control" "$(header_of "$WORK/h" Cache-Control)" no-store
expect_status "big.bin gone" 410 "$NODE_PUBLIC/big.bin"
expect_status "shared kept" 200 "$NODE_PUBLIC/s.js"
expect_status "b.css kept" 200 "$NODE_PUBLIC/b.css"
expect_status "never bound" 404 "$NODE_PUBLIC/nothing.css"
ok "410 Gone with no-store"

# the pruned release id never comes back
h_old="$(put_blob "$WORK/old.css")"
expect_status "republish r1" 410 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary "{\"files\":[{\"path\":\"/a.css\",\"sha256\":\"$h_old\",\"type\":\"text/css\"}]}" \
    "$NODE_ADMIN/v1/releases/r1"
# other bytes at the gone path: still a conflict
h_other="$(put_blob "$WORK/other.css")"
expect_status "other bytes" 409 -H "Authorization: Bearer $NODE_TOKEN" -X PUT \
    --data-binary "{\"files\":[{\"path\":\"/a.css\",\"sha256\":\"$h_other\",\"type\":\"text/css\"}]}" \
    "$NODE_ADMIN/v1/releases/r3"
# the same bytes under a new release: live again
publish r3 /a.css "$WORK/old.css" text/css
curl -sS -o "$WORK/a.got" "$NODE_PUBLIC/a.css"
cmp -s "$WORK/a.got" "$WORK/old.css" || fail "a.css bytes after re-publish"
expect_status "a.css again" 200 "$NODE_PUBLIC/a.css"
ok "re-publish same bytes 200, other bytes 409, pruned id 410"

admin_curl -o "$WORK/t.json" "$NODE_ADMIN/v1/tombstones"
expect_eq "tombstones" "$(jq -r '[.tombstones[].id] | join(",")' "$WORK/t.json")" "never-here,r1"
admin_curl -o "$WORK/t2.json" "$NODE_ADMIN/v1/tombstones?limit=1"
expect_eq "page" "$(jq -r '.next' "$WORK/t2.json")" "never-here"
admin_curl -o "$WORK/m.txt" "$NODE_ADMIN/metrics"
grep -q '^origind_releases_pruned 2$' "$WORK/m.txt" || fail "metrics: releases pruned"
grep -q "^origind_reclaimed_bytes $want_bytes\$" "$WORK/m.txt" || fail "metrics: reclaimed bytes"
grep -q '^origind_reclaimable_bytes [0-9]' "$WORK/m.txt" || fail "metrics: reclaimable"
grep -q '^origind_gone_paths 1$' "$WORK/m.txt" || fail "metrics: gone paths"
ok "tombstones listing and metrics"

origind_stop || fail "stop"
"$ORIGIND" stats --store "$WORK/s" >"$WORK/stats.json" || fail "stats"
expect_eq "stats tombstones" "$(jq -r '.retention.tombstones' "$WORK/stats.json")" 2
expect_eq "stats releases" "$(jq -r '.releases' "$WORK/stats.json")" 2
"$ORIGIND" fsck --store "$WORK/s" >/dev/null 2>&1 || fail "fsck after prune"
"$ORIGIND" backup --store "$WORK/s" --out "$WORK/backup.mdb" >/dev/null 2>&1 || fail "backup"
[ "$(stat -c %s "$WORK/backup.mdb")" -lt "$(stat -c %s "$WORK/s/data.mdb")" ] ||
    fail "backup is not smaller than the pruned data file"
ok "stats, fsck, backup"
