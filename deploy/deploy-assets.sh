#!/usr/bin/env bash
# deploy-assets.sh - the asset half of a deploy, in the only safe order:
#
#   1. build the assets                      (ASSET_BUILD_CMD)
#   2. push them to EVERY origind node       (origin-ingest push, all nodes or fail)
#   3. verify every node has the release     (origin-ingest verify: the deploy gate)
#   4. only then deploy the HTML that names the new URLs  (HTML_DEPLOY_CMD)
#   5. promote it: every node records it as the live release (origin-ingest
#      promote; open tabs reload into it when a chunk fails; PROMOTE=0 skips)
#   6. optionally, fetch every file through the CDN and check the bytes
#      (origin-ingest verify --through CDN_CHECK_URL: what CloudFront serves)
#
# If any step fails the script stops with that step's exit code and step 4
# never runs: no page can reference a URL some node cannot answer. Old URLs
# stay valid forever, so a rollback is just deploying the old HTML again.
#
# Usage: deploy-assets.sh [--skip-html] [--dry-run] [ENVIRONMENT]
#   ENVIRONMENT   load settings from $ORIGIN_PIPELINE_CONF_DIR/ENVIRONMENT.env
#                 (default dir: deploy/pipeline next to this script); settings
#                 already in the environment win over the file.
#   --skip-html   stop after verify (Capistrano runs the HTML deploy itself).
#   --dry-run     hash, name and write the manifest; contact no node.
#
# Settings (environment variables):
#   ORIGIN_NODES        admin URLs of every node, space-separated (this or
#                       ORIGIN_NODES_DNS is required); https:// (the nodes'
#                       admin listeners speak TLS); an http:// node is
#                       accepted with a warning: the token would cross the
#                       network in the clear
#   ORIGIN_NODES_DNS    HOST:PORT: every A/AAAA record of HOST is a node
#                       (an autoscaling group's DNS name, a headless Service)
#   ORIGIN_TOKEN_FILE   admin bearer token, the same on every node (required)
#   ORIGIN_CACERT       CA file the nodes' certificates must chain to
#                       (default: the system's CAs); never skipped
#   ASSET_DIR           built assets to publish (required)
#   ASSET_BUILD_CMD     shell command that builds ASSET_DIR (optional)
#   HTML_DEPLOY_CMD     shell command that deploys the HTML (required unless
#                       --skip-html); it sees ORIGIN_MANIFEST and ORIGIN_RELEASE
#   RELEASE_ID          default: ENVIRONMENT-GITSHA-RUNID, stable across CI retries
#   MANIFEST_OUT        default: ASSET_DIR/../manifest.json
#   ASSET_PREFIX        default: /assets
#   PUBLIC_BASE         e.g. https://static.example.com (prefixes manifest URLs)
#   INGEST_ARGS         extra origin-ingest push flags, e.g. "--keep-names"
#   ORIGIN_INGEST       origin-ingest binary (default: on PATH)
#   PROMOTE             1 (default): promote the release after the HTML deploy;
#                       0: do not (docs/promotion.md)
#   PROMOTE_FLOOR       --floor for the promotion: the oldest release an open
#                       tab may keep running (default: none)
#   CDN_CHECK_URL       after the HTML deploy, verify --through this base URL
#                       (e.g. https://static.example.com); unset: not checked
#
# Exit status: 0 deployed; 2 usage/config; otherwise the failing step's status
# (origin-ingest: 3 conflict - the build is wrong, do not retry; 4 a node
# failed after retries - fix the node and run again, it is idempotent;
# 5 local I/O error; 6 the CDN serves a file wrong - the HTML is deployed,
# invalidate the named URLs).
set -euo pipefail

prog="deploy-assets"
skip_html=0
dry_run=0
env_name=""

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
    --skip-html) skip_html=1 ;;
    --dry-run) dry_run=1 ;;
    -h | --help) usage ;;
    -*) echo "$prog: unknown option $1" >&2; exit 2 ;;
    *)
        [ -z "$env_name" ] || { echo "$prog: one ENVIRONMENT only" >&2; exit 2; }
        env_name="$1"
        ;;
    esac
    shift
done

if [ -n "$env_name" ]; then
    conf_dir="${ORIGIN_PIPELINE_CONF_DIR:-$(cd "$(dirname "$0")" && pwd)/pipeline}"
    conf="$conf_dir/$env_name.env"
    [ -r "$conf" ] || { echo "$prog: no settings for '$env_name' ($conf)" >&2; exit 2; }
    # The file provides defaults; variables set by the caller (CI) win.
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in '' | '#'*) continue ;; esac
        key="${line%%=*}"
        [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || { echo "$prog: $conf: bad line: $line" >&2; exit 2; }
        val="${line#*=}"
        case "$val" in \"*\") val="${val:1:${#val}-2}" ;; \'*\') val="${val:1:${#val}-2}" ;; esac
        [ -n "${!key:-}" ] || export "$key=$val"
    done <"$conf"
fi

die_cfg() { echo "$prog: $*" >&2; exit 2; }
[ -n "${ORIGIN_NODES:-}" ] || [ -n "${ORIGIN_NODES_DNS:-}" ] ||
    die_cfg "ORIGIN_NODES (admin URLs of every node) or ORIGIN_NODES_DNS (HOST:PORT) is not set"
[ -n "${ORIGIN_TOKEN_FILE:-}" ] || die_cfg "ORIGIN_TOKEN_FILE is not set"
[ -n "${ASSET_DIR:-}" ] || die_cfg "ASSET_DIR is not set"
[ "$skip_html" = 1 ] || [ "$dry_run" = 1 ] || [ -n "${HTML_DEPLOY_CMD:-}" ] ||
    die_cfg "HTML_DEPLOY_CMD is not set (or pass --skip-html)"
[ "$dry_run" = 1 ] || [ -r "$ORIGIN_TOKEN_FILE" ] || die_cfg "cannot read ORIGIN_TOKEN_FILE=$ORIGIN_TOKEN_FILE"

for n in ${ORIGIN_NODES:-}; do
    case "$n" in
    https://*) ;;
    http://*) echo "$prog: warning: $n is plain HTTP: the admin token crosses the network in the clear" >&2 ;;
    *) die_cfg "ORIGIN_NODES: $n is not an https:// URL" ;;
    esac
done
tls_args=()
if [ -n "${ORIGIN_CACERT:-}" ]; then
    [ "$dry_run" = 1 ] || [ -r "$ORIGIN_CACERT" ] || die_cfg "cannot read ORIGIN_CACERT=$ORIGIN_CACERT"
    tls_args=(--cacert "$ORIGIN_CACERT")
fi

ingest="${ORIGIN_INGEST:-origin-ingest}"
command -v "$ingest" >/dev/null 2>&1 || die_cfg "origin-ingest not found ($ingest); set ORIGIN_INGEST"

if [ -z "${RELEASE_ID:-}" ]; then
    sha="$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)"
    run="${CI_PIPELINE_ID:-${GITHUB_RUN_ID:-${BUILD_NUMBER:-$(date -u +%Y%m%dT%H%M%SZ)}}}"
    RELEASE_ID="${env_name:-release}-$sha-$run"
fi
[[ "$RELEASE_ID" =~ ^[A-Za-z0-9._-]{1,128}$ ]] || die_cfg "RELEASE_ID '$RELEASE_ID' must be 1-128 of [A-Za-z0-9._-]"

manifest="${MANIFEST_OUT:-$(dirname "$ASSET_DIR")/manifest.json}"

step() { echo "$prog: == $*"; }

# run_step NAME CMD...: runs CMD; on failure reports and exits with its status.
run_step() {
    local name="$1" rc=0
    shift
    "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "$prog: $name failed (exit $rc); stopping. The HTML was NOT deployed." >&2
        exit "$rc"
    fi
}

# 1. Build.
if [ -n "${ASSET_BUILD_CMD:-}" ]; then
    step "build: $ASSET_BUILD_CMD"
    run_step build bash -c "$ASSET_BUILD_CMD"
fi
[ -d "$ASSET_DIR" ] || die_cfg "ASSET_DIR=$ASSET_DIR is not a directory (after the build)"

node_args=()
for n in ${ORIGIN_NODES:-}; do node_args+=(--node "$n"); done
[ -z "${ORIGIN_NODES_DNS:-}" ] || node_args+=(--nodes-dns "$ORIGIN_NODES_DNS")

push_args=(push "${node_args[@]}" ${tls_args[@]+"${tls_args[@]}"} --token-file "$ORIGIN_TOKEN_FILE" --release "$RELEASE_ID"
           --prefix "${ASSET_PREFIX:-/assets}" --manifest-out "$manifest.tmp")
[ -z "${PUBLIC_BASE:-}" ] || push_args+=(--public-base "$PUBLIC_BASE")
[ "$dry_run" = 0 ] || push_args+=(--dry-run)
# shellcheck disable=SC2206 # INGEST_ARGS is a list of flags on purpose
[ -z "${INGEST_ARGS:-}" ] || push_args+=(${INGEST_ARGS})

# 2. Push to every node. The manifest is renamed into place only on success,
#    so a failed push never leaves a manifest naming unpublished URLs.
step "push release $RELEASE_ID to ${ORIGIN_NODES:+$(echo "$ORIGIN_NODES" | wc -w) node(s)}${ORIGIN_NODES_DNS:+ every node of $ORIGIN_NODES_DNS}"
run_step push "$ingest" "${push_args[@]}" "$ASSET_DIR"
mv -f "$manifest.tmp" "$manifest"
echo "$prog: manifest $manifest"
if [ "$dry_run" = 1 ]; then
    echo "$prog: dry run: nothing pushed, nothing verified, HTML not deployed"
    exit 0
fi

# 3. Verify: the gate. Every node must have the whole release.
step "verify release $RELEASE_ID on every node"
run_step verify "$ingest" verify "${node_args[@]}" ${tls_args[@]+"${tls_args[@]}"} \
    --token-file "$ORIGIN_TOKEN_FILE" --release "$RELEASE_ID"

# 4. Only now may HTML reference the new URLs.
if [ "$skip_html" = 1 ]; then
    echo "$prog: release $RELEASE_ID is on every node; deploy the HTML now (--skip-html)"
    exit 0
fi
step "deploy HTML: $HTML_DEPLOY_CMD"
export ORIGIN_MANIFEST="$manifest" ORIGIN_RELEASE="$RELEASE_ID"
run_step html-deploy bash -c "$HTML_DEPLOY_CMD"
echo "$prog: done: release $RELEASE_ID published on every node, HTML deployed"

# 5. Promote: the fleet records the release as live (after the HTML, never before).
if [ "${PROMOTE:-1}" = 1 ]; then
    step "promote release $RELEASE_ID${PROMOTE_FLOOR:+ (floor $PROMOTE_FLOOR)}"
    rc=0
    "$ingest" promote "${node_args[@]}" ${tls_args[@]+"${tls_args[@]}"} --token-file "$ORIGIN_TOKEN_FILE" \
        --release "$RELEASE_ID" ${PROMOTE_FLOOR:+--floor "$PROMOTE_FLOOR"} || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "$prog: promote failed (exit $rc): the HTML IS deployed; run the same promote again" >&2
        exit "$rc"
    fi
fi

# 6. The last gate: what the CDN now serves.
if [ -n "${CDN_CHECK_URL:-}" ]; then
    step "verify release $RELEASE_ID through $CDN_CHECK_URL"
    rc=0
    "$ingest" verify "${node_args[@]}" --token-file "$ORIGIN_TOKEN_FILE" --release "$RELEASE_ID" \
        --through "$CDN_CHECK_URL" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "$prog: the CDN check failed (exit $rc): the HTML IS deployed; invalidate the URLs named above" >&2
        exit "$rc"
    fi
fi
