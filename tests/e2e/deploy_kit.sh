#!/usr/bin/env bash
# deploy_kit.sh - every file in deploy/ is checked here (ctest: e2e_deploy_kit):
#   *.service  systemd-analyze verify, and an offline security score
#   *.env      bash -n, and every ${VAR} the unit uses is defined
#   *.json     parsed (python3 json), plus the CloudFront/ALB settings that matter
#   *.yml      parsed (python3 yaml)
#   *.sh       bash -n (and shellcheck when installed); the pipeline's usage errors
#   *.rb       ruby -c (ruby is installed by scripts/setup.sh; its absence fails)
#   *.md       every relative link points at a file that exists
#   *.example  bash -n (KEY=value lines)
# A file of any other kind fails the test, so nothing in deploy/ goes unchecked.
set -euo pipefail
. "$(dirname "$0")/e2e_lib.sh"
D="$E2E_REPO/deploy"
T="$(mktemp -d "${TMPDIR:-/tmp}/origind-kit.XXXXXX")"
trap 'rm -rf "$T"' EXIT
failed=0
bad() { echo "FAIL: $*" >&2; failed=1; }
good() { echo "ok: $*"; }

# --- the systemd unit -------------------------------------------------------
check_unit() {
    local f="$1" out
    command -v systemd-analyze >/dev/null || { bad "systemd-analyze not installed (scripts/setup.sh installs systemd)"; return; }
    # verify wants the ExecStart binary to exist: point it at one that does.
    sed 's#^ExecStart=/usr/\(local/\)\{0,1\}bin/origind#ExecStart=/bin/true#' "$f" >"$T/$(basename "$f")"
    if out="$(systemd-analyze verify --man=no "$T/$(basename "$f")" 2>&1)" && [ -z "$out" ]; then
        good "systemd-analyze verify $(basename "$f")"
    else
        bad "systemd-analyze verify $(basename "$f"): $out"
    fi
    if out="$(systemd-analyze security --offline=yes --threshold=30 "$T/$(basename "$f")" 2>&1)"; then
        good "systemd-analyze security: $(echo "$out" | grep -o 'exposure level.*' | head -1)"
    else
        bad "systemd-analyze security exposure above 3.0: $(echo "$out" | tail -n 3)"
    fi
    for k in 'User=origind' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/origind' 'NoNewPrivileges=yes' 'Restart=on-failure'; do
        grep -qx "$k" "$f" || bad "$(basename "$f"): missing $k"
    done
}

# The unit, its env file and the ALB template must agree on the drain.
check_drain() {
    local envf="$D/origind.env" unit="$D/origind.service" drain stop alb v
    # MAINPID is systemd's own (ExecReload)
    for v in $(grep -v "^#" "$unit" | grep -o '\${[A-Z_]*}\|\$[A-Z_][A-Z_]*' | tr -d '${}' | grep -vx MAINPID | sort -u); do
        grep -q "^$v=" "$envf" || bad "origind.service uses \$$v, not defined in origind.env"
    done
    drain="$(sed -n 's/^ORIGIND_DRAIN_SECONDS=//p' "$envf")"
    stop="$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s*$/\1/p' "$unit")"
    alb="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Parameters"]["DrainSeconds"]["Default"])' "$D/alb-target-group.json")"
    [ -n "$drain" ] && [ -n "$stop" ] || { bad "drain ($drain) or TimeoutStopSec ($stop) not found"; return; }
    [ "$stop" -gt "$drain" ] || bad "TimeoutStopSec=$stop must exceed ORIGIND_DRAIN_SECONDS=$drain"
    [ "$alb" = "$drain" ] || bad "ALB DrainSeconds default $alb != ORIGIND_DRAIN_SECONDS $drain"
    good "drain: ORIGIND_DRAIN_SECONDS=$drain = ALB deregistration delay < TimeoutStopSec=$stop"
}

# --- CloudFormation JSON ----------------------------------------------------
check_json() {
    local f="$1"
    if python3 - "$f" <<'EOPY'
import json, sys
path = sys.argv[1]
doc = json.load(open(path))
name = path.rsplit("/", 1)[-1]
def find(o, key):
    """Every value of key anywhere in o."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                out.append(v)
            out += find(v, key)
    elif isinstance(o, list):
        for v in o:
            out += find(v, key)
    return out
def need(cond, msg):
    if not cond:
        sys.exit("%s: %s" % (name, msg))
if "Resources" in doc:
    need(doc.get("AWSTemplateFormatVersion") == "2010-09-09", "not a CloudFormation template")
    for rid, r in doc["Resources"].items():
        need(isinstance(r, dict) and "Type" in r and "Properties" in r, "resource %s lacks Type/Properties" % rid)
    # every Ref names a parameter, a resource or a pseudo parameter
    known = set(doc.get("Parameters", {})) | set(doc["Resources"]) | {"AWS::NoValue", "AWS::StackName", "AWS::Region"}
    for ref in find(doc, "Ref"):
        need(ref in known, "Ref to unknown %r" % ref)
types = [r["Type"] for r in doc.get("Resources", {}).values()]
if "AWS::CloudFront::Distribution" in types:
    need(find(doc, "QueryStringBehavior") == ["none"], "cache key must not include query strings")
    need(find(doc, "CookieBehavior") == ["none"], "cache key must not include cookies")
    need(find(doc, "HeaderBehavior") == ["none"], "cache key must not include headers (origind's Access-Control-Allow-Origin: * does not vary by Origin)")
    need("OPTIONS" in find(doc, "AllowedMethods")[0], "OPTIONS must reach origind (CORS preflights)")
    need(find(doc, "CachedMethods")[0] == ["GET", "HEAD"], "only GET and HEAD are cached (preflights are not keyed on their headers)")
    need(find(doc, "EnableAcceptEncodingGzip") == [True] and find(doc, "EnableAcceptEncodingBrotli") == [True], "gzip and brotli must be on")
    need(find(doc, "MinTTL") == [0], "MinTTL must be 0 (else no-store 404s get cached)")
    need(find(doc, "Compress") == [True], "Compress must be on")
    errs = {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in find(doc, "CustomErrorResponses")[0]}
    need(errs.get(404) == 0, "404 must have ErrorCachingMinTTL 0")
    hdrs = [h["HeaderName"] for h in find(doc, "OriginCustomHeaders")[0]]
    need("X-Origin-Verify" in hdrs, "origin must send X-Origin-Verify")
    need(find(doc, "OriginKeepaliveTimeout")[0] < 75, "origin keep-alive must stay under origind's 75 s")
if "AWS::ElasticLoadBalancingV2::TargetGroup" in types:
    need(find(doc, "HealthCheckPath") == ["/healthz"], "health check must be /healthz")
    need(find(doc, "HttpCode") == ["200"], "health check matcher must be 200")
    attrs = {a["Key"]: a["Value"] for a in find(doc, "TargetGroupAttributes")[0]}
    need(attrs.get("deregistration_delay.timeout_seconds") == {"Fn::Sub": "${DrainSeconds}"}, "deregistration delay must follow DrainSeconds")
    need(find(doc, "HttpHeaderName") == ["X-Origin-Verify"], "listener rule must require X-Origin-Verify")
EOPY
    then good "json $(basename "$f")"; else bad "json $(basename "$f")"; fi
}

check_yaml() {
    local f="$1"
    if ! python3 -c 'import yaml' 2>/dev/null; then
        bad "python3 yaml module missing (Debian: python3-yaml): cannot parse $(basename "$f")"
        return
    fi
    if python3 -c 'import sys,yaml; d=yaml.safe_load(open(sys.argv[1])); assert isinstance(d, dict) and d, "empty"' "$f"; then
        good "yaml ${f#$D/}"
    else
        bad "yaml ${f#$D/}"
    fi
}

check_sh() {
    local f="$1"
    if bash -n "$f"; then good "bash -n ${f#$D/}"; else bad "bash -n ${f#$D/}"; fi
    # the shellcheck tool is required (scripts/setup.sh installs it): missing, it fails
    if ! command -v shellcheck >/dev/null; then
        bad "shellcheck ${f#$D/}: shellcheck not installed"
    elif shellcheck -S warning "$f"; then
        good "shellcheck ${f#$D/}"
    else
        bad "shellcheck ${f#$D/}"
    fi
}

check_ruby() {
    local f="$1"
    if command -v ruby >/dev/null; then
        if ruby -c "$f" >/dev/null; then good "ruby -c ${f#$D/}"; else bad "ruby -c ${f#$D/}"; fi
    else
        bad "ruby not installed (scripts/setup.sh installs it): ${f#$D/} not syntax-checked"
    fi
}

check_md() {
    local f="$1" link dir
    dir="$(dirname "$f")"
    while read -r link; do
        link="${link%%#*}"
        [ -n "$link" ] || continue
        [ -e "$dir/$link" ] || bad "${f#$D/}: link to missing $link"
    done < <(grep -o '](\([^)]*\))' "$f" | sed 's/^](//; s/)$//' | grep -v '^[a-z]*:' || true)
    good "links in ${f#$D/}"
}

# The pipeline refuses bad settings with exit 2, before doing anything.
check_pipeline() {
    local p="$D/deploy-assets.sh" rc
    rc=0; env -u ORIGIN_NODES "$p" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || bad "deploy-assets.sh without ORIGIN_NODES: exit $rc, want 2"
    rc=0; ORIGIN_NODES=http://127.0.0.1:9 ORIGIN_TOKEN_FILE=/dev/null ASSET_DIR=/nonexistent \
        ORIGIN_INGEST=/bin/true "$p" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || bad "deploy-assets.sh without HTML_DEPLOY_CMD: exit $rc, want 2"
    rc=0; "$p" --bogus >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || bad "deploy-assets.sh --bogus: exit $rc, want 2"
    # The example environment file loads, and a dry run names the sample site.
    if [ -x "${ORIGIND_BIN_DIR:-$E2E_REPO/build/bin}/origin-ingest" ]; then
        mkdir -p "$T/conf"
        sed "s#^ASSET_DIR=.*#ASSET_DIR=$E2E_REPO/sample-site#; s#^MANIFEST_OUT=.*#MANIFEST_OUT=$T/manifest.json#; /^ASSET_BUILD_CMD=/d" \
            "$D/pipeline/production.env.example" >"$T/conf/production.env"
        rc=0
        ORIGIN_PIPELINE_CONF_DIR="$T/conf" ORIGIN_INGEST="${ORIGIND_BIN_DIR:-$E2E_REPO/build/bin}/origin-ingest" \
            "$p" --dry-run production >"$T/dry.log" 2>&1 || rc=$?
        if [ "$rc" = 0 ] && grep -q '"css/app.css"' "$T/manifest.json"; then
            good "deploy-assets.sh --dry-run production (example settings) wrote a manifest"
        else
            bad "deploy-assets.sh --dry-run: exit $rc: $(tail -n 3 "$T/dry.log")"
        fi
    fi
    good "deploy-assets.sh rejects bad settings with exit 2"
}

check_unit "$D/origind.service"
check_drain
while IFS= read -r -d '' f; do
    case "$f" in
    *.service) ;;  # above
    *.json) check_json "$f" ;;
    *.yml | *.yaml) check_yaml "$f" ;;
    *.sh) check_sh "$f" ;;
    *.env | *.example)
        if bash -n "$f"; then good "bash -n ${f#$D/}"; else bad "bash -n ${f#$D/}"; fi ;;
    *.rb) check_ruby "$f" ;;
    *.md) check_md "$f" ;;
    *.js) # CloudFront Functions (their behaviour: cloudfront_function.sh)
        if ! command -v node >/dev/null; then good "${f#$D/}: not parsed (no node)"
        elif node --check "$f" 2>/dev/null; then good "node --check ${f#$D/}"
        else bad "node --check ${f#$D/}"; fi ;;
    *) bad "deploy/${f#$D/}: no check for this kind of file (add one to tests/e2e/deploy_kit.sh)" ;;
    esac
done < <(find "$D" -type f -print0 | sort -z)
check_pipeline

[ "$failed" = 0 ] || exit 1
echo "deploy kit: every file checked"
