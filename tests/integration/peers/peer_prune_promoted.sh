#!/usr/bin/env bash
# peer_prune_promoted: `origin-ingest prune --keep-promoted N` on two nodes.
# Staging builds pushed but never promoted cannot push the live release out
# of --keep-last; the last N promoted releases and everything pushed after
# the newest promotion are kept, as a union with the other rules; the dry
# run says why each kept release is kept; the live release and its floor are
# kept whatever the policy.
. "$(dirname "$0")/peer_lib.sh"

start A "$WORK/a"
start B "$WORK/b"
rel() { # rel ID: push release ID (one file of its own) to both nodes
    mkdir -p "$WORK/$1"
    printf 'build %s' "$1" >"$WORK/$1/$1.js"
    push "$1" "$WORK/$1" "$ADMIN_A" "$ADMIN_B"
    sleep 1.1 # distinct publish seconds: the rules order by time
}
promote() {
    "$ORIGIN_INGEST" promote --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
        "$@" >"$WORK/pout" 2>&1 || { cat "$WORK/pout" >&2; fail "promote $*"; }
}
prune() {
    set +e
    "$ORIGIN_INGEST" prune --node "$ADMIN_A" --node "$ADMIN_B" --token-file "$TOKEN_FILE" \
        "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
}

rel r1
promote --release r1
rel s2
rel s3
rel r4
promote --release r4 --floor r1
rel s5
rel s6
rel s7

# --keep-last 2 alone would keep s6, s7: the live release and its floor stay too
prune --keep-last 2 --dry-run --json
expect_eq "keep-last 2 exit" "$RC" 0
expect_eq "keep-last 2 keeps" "$(jq -r '.keep | sort | join(",")' "$WORK/out")" "r1,r4,s6,s7"
expect_eq "why r4" "$(jq -r '.why.r4 | join(",")' "$WORK/out")" "live"
expect_eq "why r1" "$(jq -r '.why.r1 | join(",")' "$WORK/out")" "floor"
expect_eq "why s7" "$(jq -r '.why.s7 | join(",")' "$WORK/out")" "keep-last"
ok "the live release and its floor are kept whatever the policy"

prune --keep-last 1 --keep-promoted 1 --dry-run --json
expect_eq "keep-promoted 1 exit" "$RC" 0
expect_eq "keep-promoted 1 keeps" "$(jq -r '.keep | sort | join(",")' "$WORK/out")" "r1,r4,s5,s6,s7"
expect_eq "keep-promoted 1 prunes" "$(jq -r '.prune | sort | join(",")' "$WORK/out")" "s2,s3"
expect_eq "why r4" "$(jq -r '.why.r4 | join(",")' "$WORK/out")" "promoted,live"
expect_eq "why s5" "$(jq -r '.why.s5 | join(",")' "$WORK/out")" "after-promotion"
expect_eq "why s7" "$(jq -r '.why.s7 | join(",")' "$WORK/out")" "keep-last,after-promotion"
prune --keep-last 1 --keep-promoted 1 --dry-run
grep -q '^  keep r4: promoted, live$' "$WORK/out" || fail "text dry run: $(cat "$WORK/out")"
grep -q '^  keep s5: after-promotion$' "$WORK/out" || fail "text dry run: $(cat "$WORK/out")"
ok "the dry run says why each kept release is kept"

# the floor moved on: r1 is only kept as one of the last 2 promoted
promote --release r4
prune --keep-last 1 --keep-promoted 2 --dry-run --json
expect_eq "keep-promoted 2 keeps" "$(jq -r '.keep | sort | join(",")' "$WORK/out")" "r1,r4,s5,s6,s7"
expect_eq "why r1 now" "$(jq -r '.why.r1 | join(",")' "$WORK/out")" "promoted"

prune --keep-last 1 --keep-promoted 1
expect_eq "prune exit" "$RC" 0
for n in A B; do
    pub="PUBLIC_$n"
    expect_eq "$n r4 served" "$(curl -sS -o /dev/null -w '%{http_code}' "${!pub}/assets/r4.$(sha256sum "$WORK/r4/r4.js" | cut -c1-16).js")" 200
    expect_eq "$n s2 gone" "$(curl -sS -o /dev/null -w '%{http_code}' "${!pub}/assets/s2.$(sha256sum "$WORK/s2/s2.js" | cut -c1-16).js")" 410
    expect_eq "$n r1 gone" "$(curl -sS -o /dev/null -w '%{http_code}' "${!pub}/assets/r1.$(sha256sum "$WORK/r1/r1.js" | cut -c1-16).js")" 410
done
curl -sS -H "Authorization: Bearer $TOKEN" "$ADMIN_A/v1/releases" >"$WORK/ra.json"
expect_eq "A releases" "$(jq -r '[.releases[].id] | sort | join(",")' "$WORK/ra.json")" "r4,s5,s6,s7"
expect_eq "release document after the prune" "$(curl -sS "$PUBLIC_B/.well-known/origind/release" | jq -r .live)" r4
ok "staging builds never promoted go; the last promoted and everything pushed after it stay"
