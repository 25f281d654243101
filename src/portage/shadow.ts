/**
 * A shadow config root: the user's ${PORTAGE_CONFIGROOT}/etc/portage entry by entry as symlinks, except
 * `bashrc`, which is netaudit's hook (sourcing the user's first). Portage offers no other way to add a bashrc
 * without replacing the user's: PORTAGE_BASHRC is assigned by Portage itself. Everything else of the user's
 * configuration (make.conf, repos.conf, package.*, env/, profile/) stays as it is.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hookBashrc } from './hook.js';

export interface ShadowRoot {
  readonly configRoot: string;
  readonly phaseLog: string;
  /** The user's bashrc, sourced by the hook, when there is one. */
  readonly userBashrc?: string;
}

export function makeShadowRoot(dir: string, userConfigRoot: string, owner: { uid: number; gid: number } | undefined): ShadowRoot {
  const userEtc = path.join(userConfigRoot, 'etc/portage');
  const etc = path.join(dir, 'config/etc/portage');
  mkdirSync(etc, { recursive: true });
  for (const entry of existsSync(userEtc) ? readdirSync(userEtc) : []) {
    if (entry === 'bashrc') continue;
    const from = path.join(userEtc, entry);
    // make.profile is usually relative (../../var/db/repos/...): point at where it really leads.
    let target = from;
    if (entry === 'make.profile') {
      try {
        target = realpathSync(from);
      } catch {
        target = path.resolve(userEtc, readlinkSync(from));
      }
    }
    symlinkSync(target, path.join(etc, entry));
  }
  writeFileSync(path.join(etc, 'bashrc'), hookBashrc());
  const userBashrc = path.join(userEtc, 'bashrc');
  const phaseLog = path.join(dir, 'phases.log');
  writeFileSync(phaseLog, '', { mode: 0o664 });
  chmodSync(phaseLog, 0o664);
  if (owner) chownSync(phaseLog, owner.uid, owner.gid);
  // The portage user must reach the log (phases alternate between root and portage).
  chmodSync(dir, 0o711);
  return { configRoot: path.join(dir, 'config'), phaseLog, ...(existsSync(userBashrc) ? { userBashrc } : {}) };
}
