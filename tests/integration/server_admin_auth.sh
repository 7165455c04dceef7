#!/usr/bin/env bash
# Bearer token on every admin path; generated token file (0600); --admin-token-file.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store"
A="$NODE_ADMIN"

expect_eq "token file" "$NODE_TOKEN_FILE" "$WORK/store/admin.token"
expect_eq "token mode" "$(stat -c %a "$NODE_TOKEN_FILE")" 600
[[ "$NODE_TOKEN" =~ ^[0-9a-f]{64}$ ]] || fail "token is not 64 hex digits"
grep -q "$NODE_TOKEN" "$NODE_STDERR" && fail "token printed on stderr"
ok "generated token: 0600, 64 hex, not printed"

for path in /v1/status /metrics /v1/releases /v1/blobs /no/such/path /; do
    curl -sS -D "$WORK/a.txt" -o /dev/null "$A$path"
    expect_eq "$path no token" "$(status_of "$WORK/a.txt")" 401
    expect_eq "$path challenge" "$(header_of "$WORK/a.txt" www-authenticate)" 'Bearer realm="origind"'
    expect_status "$path wrong token" 401 -H "Authorization: Bearer x$NODE_TOKEN" "$A$path"
    expect_status "$path short token" 401 -H "Authorization: Bearer ${NODE_TOKEN:0:63}" "$A$path"
    expect_status "$path basic" 401 -H "Authorization: Basic $NODE_TOKEN" "$A$path"
    expect_status "$path empty bearer" 401 -H "Authorization: Bearer " "$A$path"
done
expect_status "upload without token" 401 -X PUT --data-binary x "$A/v1/blobs/$(printf x | sha256sum | cut -c1-64)"
expect_status "status with token" 200 -H "Authorization: Bearer $NODE_TOKEN" "$A/v1/status"
expect_status "lower-case scheme" 200 -H "Authorization: bearer $NODE_TOKEN" "$A/v1/status"
expect_status "unknown path with token" 404 -H "Authorization: Bearer $NODE_TOKEN" "$A/no/such/path"
ok "401 on every path without the right token"

# the token survives a restart; a given --admin-token-file is used as is
origind_stop
tok="$NODE_TOKEN"
origind_start "$WORK/store"
expect_eq "same token after restart" "$NODE_TOKEN" "$tok"
origind_stop
printf 's3cret-token-value\n\n' >"$WORK/tok"
chmod 600 "$WORK/tok"
origind_start "$WORK/store2" --admin-token-file "$WORK/tok"
expect_eq "given token file" "$NODE_TOKEN_FILE" "$WORK/tok"
[ -e "$WORK/store2/admin.token" ] && fail "created a token despite --admin-token-file"
expect_status "given token (newline stripped)" 200 -H "Authorization: Bearer s3cret-token-value" "$NODE_ADMIN/v1/status"
expect_status "given token wrong" 401 -H "Authorization: Bearer s3cret-token-valuE" "$NODE_ADMIN/v1/status"
ok "--admin-token-file"
origind_stop
