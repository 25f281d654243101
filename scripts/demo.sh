#!/usr/bin/env bash
# The main job on the bundled fixtures: audit every fixture command in fixtures/commands and keep the
# reports in out/. Needs root (network namespaces). Exit status: 0 when every verdict is the expected one.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
status=0
for f in fixtures/commands/*.sh; do
  name=$(basename "$f" .sh)
  node dist/src/cli/main.js run --fail-on never --json "out/$name.json" --name "$name" -- sh "$f" >/dev/null
  want=$(node -e 'const e=require("./fixtures/commands/expected.json")[process.argv[1]]; console.log(e.verdict)' "$name.sh")
  got=$(node -e 'console.log(require(process.argv[1]).builds[0].verdict)' "$PWD/out/$name.json")
  [ "$want" = "$got" ] || { echo "demo: $name: expected $want, got $got" >&2; status=1; }
done
echo "reports in out/*.json"
exit $status
