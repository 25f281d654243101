/**
 * `netaudit watch --install-hook | --remove-hook`: test attribution for the machine's own builds, the pytest
 * plugin loaded in src_test as `netaudit ebuild` loads it (its directory first on PYTHONPATH, src/portage/
 * netaudit-bashrc.sh), without editing any file of the user's.
 *
 * Where: Portage's user profile, ${PORTAGE_CONFIGROOT}/etc/portage/profile. It takes `package.bashrc` (a file or
 * a directory of files; profile-formats `profile-bashrcs` is implied there) naming bashrc files under its
 * `bashrc/` directory per atom; Portage sources them before /etc/portage/bashrc, in every phase but depend.
 * netaudit adds files of its own only:
 *   profile/package.bashrc/netaudit-watch      `*\/* netaudit-watch.sh`
 *   profile/bashrc/netaudit-watch.sh           the snippet below
 *   profile/bashrc/netaudit-pytest/            the plugin and its sitecustomize.py
 * When package.bashrc is a file of the user's, the hook is not installed (a one-line error says how to make it
 * a directory); /etc/portage/bashrc, make.conf and package.env are never touched. --remove-hook removes
 * exactly these files (and the directories when they end up empty and netaudit made them).
 *
 * The snippet exports, in src_test only, NETAUDIT_TEST_LOG=${T}/netaudit-tests.log and the plugin's directory
 * first on PYTHONPATH; the watch reads that log through the phase's own root when src_test ends. The paths are
 * the config root's as the build sees it, so in a chroot the hook is installed inside the chroot's config root.
 */
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../model/errors.js';
import { packagePath } from '../util/package.js';
import { PLUGIN_FILES } from './plugin-files.js';

/** The pytest plugin's log, in the build's ${T}. */
export const WATCH_TEST_LOG = 'netaudit-tests.log';

const NAME = 'netaudit-watch';

export interface HookPaths {
  readonly profile: string;
  readonly packageBashrc: string;
  readonly entry: string;
  readonly snippet: string;
  readonly pluginDir: string;
}

export function hookPaths(configRoot: string): HookPaths {
  const profile = path.join(configRoot, 'etc/portage/profile');
  return {
    profile,
    packageBashrc: path.join(profile, 'package.bashrc'),
    entry: path.join(profile, 'package.bashrc', NAME),
    snippet: path.join(profile, 'bashrc', `${NAME}.sh`),
    pluginDir: path.join(profile, 'bashrc', 'netaudit-pytest'),
  };
}

/** The snippet: in src_test, the plugin's directory first on PYTHONPATH and its log in ${T}. */
export function hookSnippet(pluginDir: string): string {
  return [
    '# netaudit watch: test attribution (netaudit watch --remove-hook removes this file). Only src_test; the',
    "# plugin's directory first on PYTHONPATH (its sitecustomize.py loads the plugin into pytest), the log in ${T}.",
    `if [[ \${EBUILD_PHASE} == test && -n \${T} && -d '${pluginDir}' ]]; then`,
    `\texport NETAUDIT_TEST_LOG="\${T}/${WATCH_TEST_LOG}"`,
    `\texport PYTHONPATH='${pluginDir}'\${PYTHONPATH:+:\${PYTHONPATH}}`,
    'fi',
    '',
  ].join('\n');
}

export interface HookChange {
  readonly action: 'installed' | 'removed' | 'absent';
  readonly files: string[];
}

export function installWatchHook(configRoot: string): HookChange {
  const p = hookPaths(configRoot);
  if (!existsSync(path.join(configRoot, 'etc/portage'))) {
    throw new UsageError(`${path.join(configRoot, 'etc/portage')} does not exist: name Portage's config root with --config-root (or PORTAGE_CONFIGROOT)`, { option: '--config-root' });
  }
  if (existsSync(p.packageBashrc) && !lstatSync(p.packageBashrc).isDirectory()) {
    throw new UsageError(
      `${p.packageBashrc} is a file of yours and netaudit does not edit it: make it a directory (mkdir ${p.packageBashrc}.d && mv ${p.packageBashrc} ${p.packageBashrc}.d/local && mv ${p.packageBashrc}.d ${p.packageBashrc}) and run --install-hook again`,
      { option: '--install-hook' },
    );
  }
  mkdirSync(p.packageBashrc, { recursive: true });
  mkdirSync(p.pluginDir, { recursive: true });
  for (const d of [p.profile, p.packageBashrc, path.dirname(p.snippet), p.pluginDir]) chmodSync(d, 0o755);
  for (const name of PLUGIN_FILES) {
    const file = path.join(p.pluginDir, name);
    copyFileSync(packagePath(`src/portage/${name}`), file);
    chmodSync(file, 0o644);
  }
  writeFileSync(p.snippet, hookSnippet(p.pluginDir), { mode: 0o644 });
  writeFileSync(p.entry, `# netaudit watch (netaudit watch --remove-hook removes this file)\n*/* ${NAME}.sh\n`, { mode: 0o644 });
  return { action: 'installed', files: [p.entry, p.snippet, p.pluginDir] };
}

export function removeWatchHook(configRoot: string): HookChange {
  const p = hookPaths(configRoot);
  const files = [p.entry, p.snippet, p.pluginDir].filter((f) => existsSync(f));
  for (const f of files) rmSync(f, { recursive: true, force: true });
  // Directories netaudit made, when nothing else is in them.
  for (const d of [p.packageBashrc, path.dirname(p.snippet)]) {
    try {
      if (existsSync(d) && lstatSync(d).isDirectory() && readdirSync(d).length === 0) rmdirSync(d);
    } catch {
      /* kept */
    }
  }
  return { action: files.length ? 'removed' : 'absent', files };
}
