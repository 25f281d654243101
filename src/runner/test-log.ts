/**
 * Test attribution, the I/O part: the environment that makes a build's pytest log each test phase
 * (src/portage/netaudit_pytest.py), and reading that log back. Matching attempts to tests is pure
 * (src/analyze/tests.ts).
 *
 * The plugin is copied into a directory of the run (`DIR/pytest/`, world-readable: the build may run as
 * another user, `portage` under FEATURES=userpriv), and the log `DIR/tests.log` is made beforehand, owned by
 * the build's user, 0664; the plugin only appends to it. DIR is the caller's, removed with the run.
 *
 * Two variables: NETAUDIT_TEST_LOG (the log) and PYTHONPATH with the plugin's directory first (the build's own
 * entries kept after it). That directory holds a sitecustomize.py (src/portage/sitecustomize.py) which asks
 * pytest for the plugin from inside the interpreter, where pytest reads PYTEST_PLUGINS, and runs the
 * sitecustomize it shadows. PYTEST_PLUGINS itself is left alone: a name in the environment outlives the
 * PYTHONPATH that makes the module importable (a suite that replaces PYTHONPATH, `python -I`, a child with a
 * cleaned environment), and pytest then fails the whole suite with "Error importing plugin". This way an
 * interpreter that cannot import the plugin never asks for it: attribution is lost there, the result is not.
 * It loads under PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 (Gentoo's epytest) and when an ebuild sets its own
 * PYTEST_PLUGINS; naming it again (`-p netaudit_pytest`) is harmless, pytest registers a plugin once.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTestLog } from '../analyze/test-attribution.js';
import { parseDeclaredMarkers } from '../analyze/test-suite.js';
import type { TestSpan } from '../model/evidence.js';
import type { DeclaredMarkers } from '../model/types.js';
import { tempDirPrefix } from '../sandbox/names.js';
import { packagePath } from '../util/package.js';
import { PLUGIN_FILES } from '../portage/plugin-files.js';
import { removeTree } from '../sandbox/shell.js';

export interface TestLog {
  /** The log the plugin appends to (NETAUDIT_TEST_LOG). */
  readonly logPath: string;
  /** The plugin's directory (NETAUDIT_PYTEST_DIR for the Portage bashrc; first on PYTHONPATH for commands). */
  readonly pluginDir: string;
}

/** The plugin, its loader and an empty log in `dir` (which must exist), usable by `owner` when given. */
export function prepareTestLog(dir: string, owner?: { uid: number; gid: number }): TestLog {
  const pluginDir = path.join(dir, 'pytest');
  mkdirSync(pluginDir, { recursive: true });
  chmodSync(pluginDir, 0o755);
  for (const name of PLUGIN_FILES) {
    const file = path.join(pluginDir, name);
    // Read and written, not copyFileSync: node copies with copy_file_range(2), which makes ext4 allocate the
    // blocks at once, and on a filesystem mounted with `discard` each later unlink then waits for a discard
    // request to the disk (measured: 1.5-2 ms a file, 10 ms of rm on the way out of every `netaudit run`).
    // A written file is still in the page cache when the run removes it: no block, no discard.
    writeFileSync(file, readFileSync(packagePath(`src/portage/${name}`)));
    chmodSync(file, 0o644);
  }
  const logPath = path.join(dir, 'tests.log');
  writeFileSync(logPath, '', { mode: 0o664 });
  chmodSync(logPath, 0o664);
  if (owner) chownSync(logPath, owner.uid, owner.gid);
  // The build's user must pass through DIR to reach both (its listing may stay private).
  if ((statSync(dir).mode & 0o111) !== 0o111) chmodSync(dir, (statSync(dir).mode & 0o777) | 0o111);
  return { logPath, pluginDir };
}

/** `first` before the entries of a PATH-like list, which are kept (an empty list adds no empty entry: that would mean the cwd). */
function prepend(first: string, list: string | undefined): string {
  return list ? `${first}${path.delimiter}${list}` : first;
}

/**
 * The variables that make a pytest run by a command log its tests, given the command's environment `base`
 * (its PYTEST_PLUGINS, if any, is not touched).
 */
export function pytestEnv(log: TestLog, base: NodeJS.ProcessEnv): Record<string, string> {
  return {
    NETAUDIT_TEST_LOG: log.logPath,
    PYTHONPATH: prepend(log.pluginDir, base.PYTHONPATH),
  };
}

export interface TestRunnerEnv extends TestLog {
  /** The command's environment: `base` with the plugin's variables. */
  readonly env: NodeJS.ProcessEnv;
  /** Removes the directory made for it. */
  remove(): Promise<void>;
}

/**
 * For `netaudit run`: a temp dir of its own (netaudit-<owner>-tests-*, so `netaudit gc` knows it) with the
 * plugin and the log, and the command's environment. The caller removes it (remove()) when the run is over.
 */
export function testRunnerEnv(base: NodeJS.ProcessEnv, owner?: { uid: number; gid: number }): TestRunnerEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), tempDirPrefix('tests')));
  try {
    const log = prepareTestLog(dir, owner);
    // Removed through the command shell, beside the rest of the teardown (node's recursive rmSync loads its own code first: ~7 ms).
    return { ...log, env: { ...base, ...pytestEnv(log, base) }, remove: () => removeTree(dir) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The spans the plugin logged, in ms since `buildStartMs` (epoch ms); none when the log is missing. */
export function readTestLog(logPath: string, buildStartMs: number): TestSpan[] {
  return readTestRunnerLog(logPath, buildStartMs).spans;
}

/** The log read once: its spans (as readTestLog) and the markers the suite declares (as readDeclaredMarkers). */
export function readTestRunnerLog(logPath: string, buildStartMs: number): { spans: TestSpan[]; declaredMarkers?: DeclaredMarkers } {
  if (!existsSync(logPath)) return { spans: [] };
  const text = readFileSync(logPath, 'utf8');
  const declaredMarkers = parseDeclaredMarkers(text);
  return { spans: parseTestLog(text, buildStartMs), ...(declaredMarkers ? { declaredMarkers } : {}) };
}

/** The markers the suite declares, from the plugin's session records; undefined when the log has none. */
export function readDeclaredMarkers(logPath: string): DeclaredMarkers | undefined {
  if (!existsSync(logPath)) return undefined;
  return parseDeclaredMarkers(readFileSync(logPath, 'utf8'));
}
