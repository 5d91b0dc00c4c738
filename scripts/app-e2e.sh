#!/usr/bin/env bash
# Uses the library from an app, the way a user does (issue 12): pack it, install the tarball into a
# fresh copy of examples/app next to cdk8s, cdk8s-plus-28 and constructs at the versions this
# repository's package-lock.json resolves, run `cdk8s synth` there, check that dist/ holds the
# manifests, and run the conformance checker (scripts/conformance, against crds/) on them.
#
#   scripts/app-e2e.sh            (or: npx projen test:app)
#
# Environment:
#   KEEP_APP=1       keep the temporary app (its path is printed) instead of deleting it
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
# cdk8s-cli asks registry.npmjs.org for a newer version of itself on every command; not here.
export CDK8S_CHECK_UPGRADE=false

fail() { printf 'app-e2e: FAILED: %s\n' "$*" >&2; exit 1; }
now() { echo "${EPOCHREALTIME/./}"; } # microseconds (bash 5)
secs() { local us=$(($(now) - $1)); printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); }
START=$(now)
T=$START
TIMES=()
step() { printf '\n== app-e2e: %s\n' "$*"; T=$(now); }
took() { local s; s=$(secs "$T"); TIMES+=("$1 $s s"); printf -- '-- %s: %s s\n' "$1" "$s"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-canary-app-e2e.XXXXXX")"
cleanup() {
  if [ -n "${KEEP_APP:-}" ]; then echo "app-e2e: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

cd "$REPO"

step "build the library"
if [ -f lib/index.js ] && [ -f .jsii ]; then
  echo "lib/ is there; not rebuilding (run 'npx projen compile' after changing src/)"
else
  npx projen compile || fail "the library does not compile ('npx projen compile')"
fi
took build

step "npm pack"
PACK_JSON="$(npm pack --json --pack-destination "$WORK" 2>"$WORK/pack.log")" \
  || { cat "$WORK/pack.log" >&2; fail "npm pack"; }
TARBALL="$WORK/$(node -e 'console.log(JSON.parse(process.argv[1])[0].filename)' "$PACK_JSON")"
[ -f "$TARBALL" ] || fail "npm pack wrote no tarball ($TARBALL)"
node -e '
  const p = JSON.parse(process.argv[1])[0];
  const files = p.files.map(f => f.path);
  const need = ["lib/index.js", "lib/index.d.ts", ".jsii", "package.json"];
  const missing = need.filter(f => !files.includes(f));
  console.log(`${p.filename}: ${p.entryCount} files, ${(p.size / 1024).toFixed(0)} kB; bundled: ${p.bundled.join(", ") || "none"}`);
  if (missing.length) { console.error(`missing from the tarball: ${missing.join(", ")}`); process.exit(1); }
' "$PACK_JSON" || fail "the tarball lacks files an app needs"
took pack

step "fresh app from examples/app"
APP="$WORK/app"
mkdir -p "$APP"
# What a user copies: the sources, not anything a previous install or synth left in the folder.
(cd examples/app && tar cf - --exclude=node_modules --exclude=dist --exclude=package-lock.json .) | (cd "$APP" && tar xf -)
# The versions this repository is built and tested with, from its lockfile.
SPECS="$(node -e '
  const lock = require(process.argv[1]);
  const names = ["cdk8s", "cdk8s-plus-28", "constructs", "cdk8s-cli", "ts-node", "typescript", "@types/node"];
  const out = [];
  for (const n of names) {
    const v = lock.packages[`node_modules/${n}`]?.version;
    if (!v) { console.error(`package-lock.json resolves no ${n}`); process.exit(1); }
    out.push(`${n}@${v}`);
  }
  console.log(out.join(" "));
' "$REPO/package-lock.json")" || fail "cannot read the versions from package-lock.json"
echo "app: $APP"
echo "installing: $(basename "$TARBALL") $SPECS"
took copy

step "npm install (tarball + peers at the lockfile's versions)"
# shellcheck disable=SC2086 # SPECS is a list of words
(cd "$APP" && npm install --no-audit --no-fund --prefer-offline "$TARBALL" $SPECS) \
  || fail "npm install in the app failed"
# One copy of each: two copies of cdk8s or constructs break synthesis ("can't render non-simple object").
(cd "$APP" && node -e '
  const path = require("path");
  const canary = path.dirname(require.resolve("cdk8s-canary/package.json"));
  let bad = 0;
  for (const n of ["cdk8s", "constructs", "cdk8s-plus-28"]) {
    const app = require.resolve(`${n}/package.json`);
    const lib = require.resolve(`${n}/package.json`, { paths: [canary] });
    const v = require(app).version;
    console.log(`${n} ${v}: ${path.relative(process.cwd(), app)}`);
    if (app !== lib) { console.error(`cdk8s-canary loads another ${n}: ${lib}`); bad++; }
  }
  if (bad) process.exit(1);
') || fail "the app and cdk8s-canary load different copies of a peer dependency"
took install

step "cdk8s synth"
(cd "$APP" && npx cdk8s synth) || fail "'cdk8s synth' failed in the app"
took synth

step "check dist/"
[ -d "$APP/dist" ] || fail "cdk8s synth wrote no dist/"
ls -l "$APP/dist"
node -e '
  const fs = require("fs"), path = require("path");
  const dir = process.argv[1];
  const kinds = {};
  for (const f of fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f))) {
    for (const m of fs.readFileSync(path.join(dir, f), "utf8").matchAll(/^apiVersion: (\S+)\nkind: (\S+)$/gm)) {
      const k = `${m[2]} (${m[1]})`;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
  }
  console.log(Object.entries(kinds).map(([k, n]) => `  ${n} x ${k}`).sort().join("\n"));
  const need = [["Deployment", "apps/v1"], ["Canary", "flagger.app/v1beta1"], ["IngressRoute", "traefik.io/v1alpha1"]];
  const missing = need.filter(([k, g]) => !kinds[`${k} (${g})`]).map(([k, g]) => `${k} (${g})`);
  if (missing.length) { console.error(`dist/ lacks: ${missing.join(", ")}`); process.exit(1); }
  // cdk8s synth runs main.ts with ts-node in the app folder: the header names it.
  const header = "# Generated by cdk8s-canary: do not edit; change main.ts and run \x27npx cdk8s synth\x27.";
  const unmarked = fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f) && fs.readFileSync(path.join(dir, f), "utf8").split("\n")[0] !== header);
  if (unmarked.length) { console.error(`no header "${header}" on: ${unmarked.join(", ")}`); process.exit(1); }
' "$APP/dist" || fail "dist/ does not hold the expected manifests"
took check

step "conformance (scripts/conformance: the CRDs in crds/, the Kubernetes schemas)"
npx ts-node --project tsconfig.dev.json scripts/conformance/main.ts "$APP/dist" || fail "the app's manifests do not conform"
took conformance

printf '\napp-e2e: OK in %s s (%s)\n' "$(secs "$START")" "$(IFS=,; echo "${TIMES[*]}" | sed 's/,/, /g')"
