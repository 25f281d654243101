#!/usr/bin/env bash
# The main job on the bundled fixtures (root): every ebuild of fixtures/repo through `netaudit ebuild` with
# real Portage, then every command of fixtures/commands through `netaudit run`. Reports land in out/.
# Exit status 0 when every verdict is the one the fixtures' expected.json files give.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p out
status=0
cli=(node dist/src/cli/main.cjs)
# fixtures/repo's distfiles ship in fixtures/distfiles: Portage takes them from there, nothing is downloaded.
export PORTAGE_RO_DISTDIRS="$PWD/fixtures/distfiles${PORTAGE_RO_DISTDIRS:+ $PORTAGE_RO_DISTDIRS}"

echo "== netaudit ebuild fixtures/repo"
mapfile -t ebuilds < <(find fixtures/repo -name '*.ebuild' | sort)
"${cli[@]}" ebuild --fail-on never --log-dir "$PWD/out/logs" --json out/ebuilds.json "${ebuilds[@]}" || status=1

echo "== netaudit run fixtures/commands"
for f in fixtures/commands/*.sh; do
  name=$(basename "$f" .sh)
  "${cli[@]}" run --fail-on never -q --json "out/$name.json" --name "$name" -- sh "$f" >/dev/null 2>&1 || status=1
done

node --input-type=module - <<'JS' || status=1
import { readFileSync, existsSync } from 'node:fs';
let bad = 0, n = 0;
const check = (what, want, got) => { n++; if (want !== got) { bad++; console.error(`demo: ${what}: expected ${want}, got ${got}`); } };
const repo = JSON.parse(readFileSync('fixtures/repo/expected.json', 'utf8'));
const ebuilds = JSON.parse(readFileSync('out/ebuilds.json', 'utf8'));
for (const [cpv, e] of Object.entries(repo)) if (typeof e === 'object') check(cpv, e.verdict, ebuilds.builds.find((b) => b.name === cpv)?.verdict);
const cmds = JSON.parse(readFileSync('fixtures/commands/expected.json', 'utf8'));
for (const [file, e] of Object.entries(cmds)) {
  if (typeof e !== 'object') continue;
  const out = `out/${file.replace(/\.sh$/, '')}.json`;
  const build = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')).builds[0] : undefined;
  // A verdict may differ by mode (expected.json's _comment): with the syscall observer, or on packets alone.
  const want = typeof e.verdict === 'object' ? e.verdict[build?.observer?.available ? 'observed' : 'packets'] : e.verdict;
  check(file, want, build ? build.verdict : 'no report');
}
console.log(`${n - bad}/${n} verdicts as expected; reports in out/ (ebuilds.json, <command>.json), build logs in out/logs`);
process.exit(bad ? 1 : 0);
JS
exit $status
