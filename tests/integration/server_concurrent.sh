#!/usr/bin/env bash
# Several hundred concurrent keep-alive clients; every byte of every response checked.
. "$(dirname "$0")/helpers.sh"
origind_start "$WORK/store" --max-connections 1000
head -c 2000 /dev/urandom >"$WORK/s.bin"
head -c 100000 /dev/urandom >"$WORK/m.bin"
head -c 3000000 /dev/urandom >"$WORK/l.bin"
printf 'tiny' >"$WORK/t.txt"
publish r1 /s.bin "$WORK/s.bin" application/octet-stream /m.bin "$WORK/m.bin" application/octet-stream \
    /l.bin "$WORK/l.bin" application/octet-stream /t.txt "$WORK/t.txt" "text/plain; charset=utf-8"
ulimit -n 4096 2>/dev/null || true
# public 200+206 answers and body bytes, as /metrics counts them
public_counts() {
    admin_curl "$NODE_ADMIN/metrics" | awk '
        /^origind_http_requests_total\{listener="public",code="20[06]"\}/ { n += $2 }
        /^origind_http_response_bytes_total\{listener="public"\}/ { b = $2 }
        END { printf "%d %d\n", n, b }'
}
read -r n0 b0 <<<"$(public_counts)"
"$ORIGIND_BIN_DIR/server_concurrent_client" "$NODE_PUBLIC" 300 3000 \
    /s.bin="$WORK/s.bin" /m.bin="$WORK/m.bin" /l.bin="$WORK/l.bin" /t.txt="$WORK/t.txt" \
    >"$WORK/client.out" || fail "concurrent clients saw errors: $(cat "$WORK/client.out")"
cat "$WORK/client.out"
node_alive
read -r n1 b1 <<<"$(public_counts)"
# node_alive's /healthz (200, 3 bytes "ok\n") is counted too
hz=$(curl -s "$NODE_PUBLIC/healthz" | wc -c)
read -r n2 b2 <<<"$(public_counts)"
hz_n=$((n2 - n1)) hz_b=$((b2 - b1))
expect_eq "one /healthz counted once" "$hz_n $hz_b" "1 $hz"
checked=$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "bytes") print $i }' "$WORK/client.out")
expect_eq "200/206 answers counted in /metrics" "$((n1 - n0 - 1))" 3000
expect_eq "public body bytes counted in /metrics" "$((b1 - b0 - hz))" "$checked"
ok "300 concurrent clients, every byte checked; /metrics counted 3000 answers and $checked bytes"
origind_stop
