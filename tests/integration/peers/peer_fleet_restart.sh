#!/usr/bin/env bash
# peer_fleet_restart: the whole fleet restarted at once. Three nodes, each
# --peer of the other two, hold two releases; all three get SIGTERM together
# and start again together on the same ports, so every node's catch-up meets
# peers that are catching up themselves. Every node must turn healthy (peers
# answer their admin API while catching up: no deadlock), serve every path of
# every release exactly as the others do, and take a push afterwards.
. "$(dirname "$0")/peer_lib.sh"

for n in A B C; do start "$n" "$WORK/$n"; done
make_site "$WORK/s1" 1 60
make_site "$WORK/s2" 2 40
push r1 "$WORK/s1" "$ADMIN_A" "$ADMIN_B" "$ADMIN_C"
push r2 "$WORK/s2" "$ADMIN_A" "$ADMIN_B" "$ADMIN_C"

# the ports each node keeps across the restart
for n in A B C; do
    a="ADMIN_$n" p="PUBLIC_$n"
    printf -v "AADDR_$n" %s "${!a#http://}"
    printf -v "PADDR_$n" %s "${!p#http://}"
done
for n in A B C; do kill -TERM "$(v="PID_$n"; echo "${!v}")"; done
for n in A B C; do
    rc=0
    v="PID_$n"
    wait "${!v}" || rc=$?
    expect_eq "node $n exit after SIGTERM" "$rc" 0
done
ok "the whole fleet stopped at once, every node exit 0"

peers_of() { # peers_of NAME: --peer args for the other two nodes
    local m v
    for m in A B C; do
        [ "$m" = "$1" ] && continue
        v="AADDR_$m"
        printf -- '--peer http://%s ' "${!v}"
    done
}
# started one right after the other: start returns at the "listening" line,
# before the node's catch-up, so the three catch up at the same time
for n in A B C; do
    a="AADDR_$n" p="PADDR_$n"
    # shellcheck disable=SC2046 # peers_of prints separate words on purpose
    start "$n" "$WORK/$n" --listen "${!p}" --admin-listen "${!a}" $(peers_of "$n") --peer-timeout 0
done
for n in A B C; do
    v="PUBLIC_$n"
    expect_eq "node $n on its old port" "$v=${!v}" "$v=http://$(p="PADDR_$n"; echo "${!p}")"
done
for n in A B C; do
    v="PUBLIC_$n"
    wait_healthy "${!v}" 60 || fail "node $n never healthy after the fleet restart"
done
ok "every node healthy after the whole fleet restarted at once"
for n in B C; do
    v="PUBLIC_$n"
    check_releases "$ADMIN_A" "${!v}" >/dev/null || fail "node $n differs from node A after the restart"
done
make_site "$WORK/s3" 3 10
push r3 "$WORK/s3" "$ADMIN_A" "$ADMIN_B" "$ADMIN_C"
for n in B C; do
    v="PUBLIC_$n"
    check_releases "$ADMIN_A" "${!v}" >/dev/null || fail "node $n differs from node A after r3"
done
ok "after the fleet restart: every node serves every release as the others do; a push goes through"
