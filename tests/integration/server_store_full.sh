#!/usr/bin/env bash
# A full store answers 507 to writes and keeps serving reads.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store" --map-size 2M
printf 'still here\n' >"$WORK/keep.txt"
publish r1 /keep.txt "$WORK/keep.txt" "text/plain; charset=utf-8"
code=""
for i in $(seq 1 40); do
    head -c 200000 /dev/urandom >"$WORK/f$i"
    code="$(admin_curl -o "$WORK/out" -w '%{http_code}' -X PUT --data-binary @"$WORK/f$i" \
        "$NODE_ADMIN/v1/blobs/$(sha256sum "$WORK/f$i" | cut -c1-64)")"
    [ "$code" = 201 ] || break
done
expect_eq "store full" "$code" 507
F=$(sha256sum "$WORK/f$i" | cut -c1-64)
out="$(admin_curl --data-binary "{\"digests\":[\"$F\"]}" "$NODE_ADMIN/v1/missing")"
expect_eq "refused blob absent" "$out" "{\"missing\":[\"$F\"]}"
ok "507 after $((i - 1)) blobs"
expect_eq "reads go on" "$(curl -sS "$NODE_PUBLIC/keep.txt")" "still here"
expect_status "healthz" 200 "$NODE_PUBLIC/healthz"
expect_status "admin reads" 200 -H "Authorization: Bearer $NODE_TOKEN" "$NODE_ADMIN/v1/status"
# a release on a full store is also 507 (or fits); never a 500
code="$(admin_curl -o /dev/null -w '%{http_code}' -X PUT --data-binary \
    "{\"files\":[{\"path\":\"/f1\",\"sha256\":\"$(sha256sum "$WORK/f1" | cut -c1-64)\",\"type\":\"application/octet-stream\"}]}" \
    "$NODE_ADMIN/v1/releases/r2")"
case "$code" in 201 | 507) ok "publish on a full store -> $code" ;; *) fail "publish on full store: $code" ;; esac
admin_curl "$NODE_ADMIN/metrics" >"$WORK/metrics"
grep -q 'code="507"' "$WORK/metrics" || fail "507 not counted"
origind_stop
