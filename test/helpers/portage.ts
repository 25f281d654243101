/**
 * Real Portage for tests: the install scripts/install-portage.sh makes (or a system Portage). Outside CI the
 * Portage tests are skipped when it is missing; with CI=true they fail, so CI never passes by skipping.
 */
import { locatePortage, type PortageInstall } from '../../src/portage/locate.js';

export function findPortage(): PortageInstall | undefined {
  try {
    return locatePortage();
  } catch {
    return undefined;
  }
}

export function requirePortage(ctx: Mocha.Context): PortageInstall {
  const install = findPortage();
  if (install) return install;
  if (process.env.CI === 'true') throw new Error('Portage tests cannot run in CI: no Portage (scripts/install-portage.sh did not run?)');
  ctx.skip();
}

/** The environment of a plain Portage call: the install's variables, a standard PATH, no colours. */
export function portageEnv(install: PortageInstall, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...install.env, NOCOLOR: 'true', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...extra };
}
