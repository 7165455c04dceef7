#!/usr/bin/env bash
# cloudfront_function.sh - deploy/cloudfront-normalize-encoding.js (the
# CloudFront Function of deploy/cloudfront-dictionary.md) run by node on the
# request headers browsers and bots send: Accept-Encoding folded to one coding
# (plus "dcz, " with a well-formed Available-Dictionary), Available-Dictionary
# dropped everywhere else. Exit 77 without node (CloudFront
# runs the function, not the pipeline; node is not in scripts/setup.sh).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
command -v node >/dev/null || { echo "SKIP: node not installed"; exit 77; }
FN="$(cd "$(dirname "$0")/../.." && pwd)/deploy/cloudfront-normalize-encoding.js"
AD=":ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
out="$(node - "$FN" "$AD" <<'JS'
const fs = require('fs');
const [fn, ad] = process.argv.slice(2);
const handler = new Function(fs.readFileSync(fn, 'utf8') + '\nreturn handler;')();
const cases = [
  // [Accept-Encoding, Available-Dictionary, want AE, want AD]
  ['gzip, deflate, br, zstd', null, 'br', null],
  ['gzip, deflate, br, zstd, dcb, dcz', ad, 'dcz, br', ad],
  ['gzip, deflate, br, zstd, dcz', null, 'br', null],
  ['gzip, br, dcz', 'not-a-hash', 'br', null],
  ['gzip, br', ad, 'br', null],
  ['br;q=0, zstd, gzip', null, 'zstd', null],
  ['gzip', null, 'gzip', null],
  ['GZIP;q=0.5, X-Gzip', null, 'gzip', null],
  ['identity', null, null, null],
  [null, ad, null, null],
  ['*', null, 'br', null],
  ['dcz', ad, 'dcz', ad],
  ['br, dcz;q=0', ad, 'br', null],
];
let bad = 0;
for (const [ae, d, wae, wad] of cases) {
  const headers = {};
  if (ae !== null) headers['accept-encoding'] = { value: ae };
  if (d !== null) headers['available-dictionary'] = { value: d };
  const r = handler({ request: { headers } });
  const gae = r.headers['accept-encoding'] ? r.headers['accept-encoding'].value : null;
  const gad = r.headers['available-dictionary'] ? r.headers['available-dictionary'].value : null;
  if (gae !== wae || gad !== wad) {
    console.log(`FAIL ${JSON.stringify([ae, d])}: got ${JSON.stringify([gae, gad])}, want ${JSON.stringify([wae, wad])}`);
    bad++;
  }
}
console.log(bad ? 'bad' : `ok ${cases.length}`);
JS
)"
echo "$out"
case "$out" in *FAIL*|bad) fail "the CloudFront Function folds a header wrong" ;; esac
python3 - "$FN" "$(dirname "$FN")/cloudfront-dictionary.json" <<'PY' || fail "deploy/cloudfront-dictionary.json does not hold the function verbatim"
import json, sys
code = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
sys.exit(0 if doc["Resources"]["AssetsNormalizeEncoding"]["Properties"]["FunctionCode"] == code else 1)
PY
ok "CloudFront Function: Accept-Encoding and Available-Dictionary folded as documented"
