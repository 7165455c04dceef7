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
"$ORIGIND_BIN_DIR/server_concurrent_client" "$NODE_PUBLIC" 300 3000 \
    /s.bin="$WORK/s.bin" /m.bin="$WORK/m.bin" /l.bin="$WORK/l.bin" /t.txt="$WORK/t.txt" ||
    fail "concurrent clients saw errors"
node_alive
admin_curl "$NODE_ADMIN/metrics" | grep 'listener="public",code="20' || true
ok "300 concurrent clients, every byte checked"
origind_stop
