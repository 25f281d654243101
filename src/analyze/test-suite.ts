/**
 * What a pytest suite declares about itself, from the plugin's session records (pure): the `markers` it
 * declares (config.getini("markers"): pytest.ini, pyproject.toml [tool.pytest.ini_options], setup.cfg
 * [tool:pytest], tox.ini, conftest.py's config.addinivalue_line) and whether --strict-markers is on. One record
 * per pytest session (each xdist worker, each Python implementation epytest runs, a nested pytester run): the
 * names are their union, strict when any session was.
 */
import type { DeclaredMarkers } from '../model/types.js';
import { logRecords } from './test-attribution.js';

/** Marks pytest itself declares in every suite (its own plugins' addinivalue_line): not the suite's. */
export const PYTEST_OWN_MARKERS: ReadonlySet<string> = new Set(['filterwarnings', 'skip', 'skipif', 'xfail', 'parametrize', 'usefixtures', 'tryfirst', 'trylast']);

/** A marker name as pytest's mark expressions take it (an identifier; anything else is not kept). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The declared markers of the log's session records (`{"type": "session", "declared_markers": [...],
 * "strict_markers": bool}`); undefined when the log has none (plugin before session records, or no pytest ran).
 */
export function parseDeclaredMarkers(text: string): DeclaredMarkers | undefined {
  const names = new Set<string>();
  let sessions = 0;
  let strict = false;
  // One session record per pytest session among one line per test phase: only those lines are parsed.
  for (const r of logRecords(text, (line) => line.includes('"session"'))) {
    const { type, declared_markers: declared, strict_markers: strictMarkers } = r;
    if (type !== 'session' || !Array.isArray(declared)) continue;
    sessions++;
    for (const m of declared) if (typeof m === 'string' && NAME.test(m) && !PYTEST_OWN_MARKERS.has(m)) names.add(m);
    if (strictMarkers === true) strict = true;
  }
  return sessions ? { names: [...names].sort(), strict } : undefined;
}
