#!/usr/bin/env bash
# observability.sh - what operators run beside the nodes (ctest: e2e_observability):
#   deploy/prometheus/origind-rules.yml   promtool check rules
#   a live node's /metrics                promtool check metrics (no problem reported),
#                                         taken from a node with a peer, after a push,
#                                         a 404 and a 401, so every family has samples
#   rules and dashboard                   every origind_* series they query is one
#                                         the node exports (no alert on a name that
#                                         does not exist)
#   deploy/grafana/origind-dashboard.json a Grafana dashboard (panels with targets)
#   deploy/k8s/*.yml                      StatefulSet (readiness /healthz, preStop,
#                                         grace > drain, a PVC for the store,
#                                         --peers-dns on the headless Service),
#                                         headless Service, PodDisruptionBudget, push Job
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/e2e_lib.sh"

command -v promtool >/dev/null || fail "promtool not installed (scripts/setup.sh installs prometheus)"
python3 -c 'import yaml' 2>/dev/null || fail "python3 yaml module missing (python3-yaml)"
D="$E2E_REPO/deploy"
T="$(origind_tmpdir)"

# 1. The rules.
out="$(promtool check rules "$D/prometheus/origind-rules.yml" 2>&1)" ||
    fail "promtool check rules: $out"
ok "promtool check rules: $(echo "$out" | grep -o '[0-9]* rules found')"

# 2. A live node's exposition, with every family populated: node B peers
#    with node A (peer metrics), a push (uploads), a 404 and a 401.
origind_start "$T/a" || fail "node A does not start"
A_ADMIN="$NODE_ADMIN" A_TOKEN_FILE="$NODE_TOKEN_FILE"
origind_start "$T/b" --admin-token-file "$A_TOKEN_FILE" --peer "$A_ADMIN" --peer-timeout 5 ||
    fail "node B does not start"
"$ORIGIN_INGEST" push --node "$NODE_ADMIN" --token-file "$NODE_TOKEN_FILE" --release obs-1 \
    --cache-dir none --quiet "$E2E_REPO/sample-site" || fail "push failed"
curl -s -o /dev/null "$NODE_PUBLIC/assets/nope.css"
curl -s -o /dev/null "$NODE_ADMIN/v1/status"
admin_curl -f "$NODE_ADMIN/metrics" >"$T/metrics.txt" || fail "GET /metrics failed"
if ! out="$(promtool check metrics <"$T/metrics.txt" 2>&1)" || [ -n "$out" ]; then
    fail "promtool check metrics on a live node: $out"
fi
ok "promtool check metrics: $(grep -c '^# TYPE' "$T/metrics.txt") families, no problem"

# 3. Every origind_* series the rules and the dashboard use is exported.
python3 - "$T/metrics.txt" "$D/prometheus/origind-rules.yml" "$D/grafana/origind-dashboard.json" <<'EOPY' ||
import json, re, sys, yaml
exported = set()
for line in open(sys.argv[1]):
    m = re.match(r"# TYPE (\S+) (\S+)", line)
    if m:
        exported.add(m.group(1))
        if m.group(2) == "histogram":
            exported |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
def names(expr):
    return set(re.findall(r"\b(origind_[a-z_]+)\b", expr))
used = {}
rules = yaml.safe_load(open(sys.argv[2]))
for g in rules["groups"]:
    for r in g["rules"]:
        for n in names(r["expr"]):
            used.setdefault(n, []).append("rule " + r["alert"])
dash = json.load(open(sys.argv[3]))
assert dash.get("panels"), "dashboard has no panels"
for p in dash["panels"]:
    assert p.get("targets"), "panel %r has no targets" % p.get("title")
    for t in p["targets"]:
        for n in names(t["expr"]):
            used.setdefault(n, []).append("panel " + p["title"])
missing = {n: w for n, w in used.items() if n not in exported}
for n, w in sorted(missing.items()):
    print("not exported by origind: %s (used by %s)" % (n, ", ".join(w)), file=sys.stderr)
print("%d series used by %d rules and %d panels, all exported" %
      (len(used), sum(len(g["rules"]) for g in rules["groups"]), len(dash["panels"])))
sys.exit(1 if missing else 0)
EOPY
    fail "the rules or the dashboard query a series origind does not export"
ok "rules and dashboard query only exported series"

# 4. The Kubernetes example.
python3 - "$D/k8s" "$D/origind.env" <<'EOPY' || fail "deploy/k8s"
import glob, os, re, sys, yaml
docs = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.yml"))):
    d = yaml.safe_load(open(f))
    docs.setdefault(d["kind"], []).append(d)
def need(cond, msg):
    if not cond:
        sys.exit("deploy/k8s: " + msg)
for kind in ("StatefulSet", "Service", "PodDisruptionBudget", "Job"):
    need(kind in docs, "no " + kind)
sts = docs["StatefulSet"][0]
spec = sts["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
args = " ".join(c.get("args", []))
need(c["readinessProbe"]["httpGet"]["path"] == "/healthz", "readiness must be /healthz")
need("preStop" in c["lifecycle"], "no preStop hook")
drain = int(re.search(r"--drain-seconds[= ](\d+)", args).group(1))
need(pod["terminationGracePeriodSeconds"] > drain + 5,
     "terminationGracePeriodSeconds must exceed preStop + drain (%d)" % drain)
claims = {t["metadata"]["name"] for t in spec["volumeClaimTemplates"]}
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
store = re.search(r"--store[= ](\S+)", args).group(1)
need(any(n in claims and store.startswith(p) for n, p in mounts.items()),
     "the store (%s) is not on a PersistentVolumeClaim" % store)
headless = [s for s in docs["Service"] if s["spec"].get("clusterIP") == "None"]
need(headless, "no headless Service")
hs = headless[0]
need(spec["serviceName"] == hs["metadata"]["name"], "serviceName is not the headless Service")
need(hs["spec"].get("publishNotReadyAddresses") is True,
     "the headless Service must list pods that are still catching up")
m = re.search(r"--peers-dns[= ](\S+):(\d+)", args)
need(m and m.group(1).split(".")[0] == hs["metadata"]["name"], "--peers-dns must name the headless Service")
need(int(m.group(2)) in [p["port"] for p in hs["spec"]["ports"]], "--peers-dns port is not a Service port")
sel = spec["template"]["metadata"]["labels"]
pdb = docs["PodDisruptionBudget"][0]["spec"]
need(pdb["selector"]["matchLabels"].items() <= sel.items(), "the PDB does not select the pods")
need(pdb.get("maxUnavailable") == 1 or "minAvailable" in pdb, "the PDB allows no disruption limit")
job = " ".join(" ".join(x.get("args", []) + x.get("command", []))
               for x in docs["Job"][0]["spec"]["template"]["spec"]["containers"])
need("origin-ingest push --nodes-dns " + hs["metadata"]["name"] in job, "the Job does not push by --nodes-dns")
need("origin-ingest verify" in job, "the Job does not verify")
print("StatefulSet, headless Service, PodDisruptionBudget and push Job agree")
EOPY
ok "deploy/k8s: StatefulSet, headless Service, PodDisruptionBudget, push Job"
echo "observability: rules, metrics, dashboard and Kubernetes example checked"
