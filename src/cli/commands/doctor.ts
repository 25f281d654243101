/** `netaudit doctor`: what netaudit needs, what is missing, and how to install it. */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import type { Availability } from '../../observe/availability.js';
import type { PortageHostFacts } from '../../portage/host.js';
import type { Tool } from '../../proc/tools.js';

/**
 * One tool's line: `ok` with where it is, else MISSING (the exit code becomes 2) or, for an optional tool
 * (python3, which only --intercept and --explain need), `absent`, with the Gentoo and Debian packages.
 */
export function toolLine(t: Tool, found: string | undefined): string {
  const state = found ? 'ok     ' : t.optional ? 'absent ' : 'MISSING';
  return `${state} ${t.command.padEnd(9)} ${found ?? `Gentoo: ${t.gentoo}  Debian: ${t.debian}`}  (${t.why})`;
}

/**
 * The syscall observer's lines: optional (never MISSING, the exit code stays 0), but say what is lost
 * without it and how to get each missing piece.
 */
export function observerLines(found: Availability): string[] {
  if (found.available) {
    return [`ok      syscall observer (${found.tracer ?? 'the compiled tracer'})`];
  }
  return [
    'absent  syscall observer — audits run on packets alone: no process or test on attempts, no abstract UNIX',
    '        socket attempts (X11, D-Bus), and external TCP connects take ~1 s to fail instead of failing at once;',
    '        to enable it, provide:',
    ...found.missing.map((m) => `          - ${m}`),
  ];
}

/**
 * What real ::gentoo ebuilds need from this host, for `netaudit ebuild`/`sweep` (never MISSING: commands run
 * without Portage). `facts` undefined: Portage was not found (`why`).
 */
export function portageLines(facts: PortageHostFacts | undefined, why?: string): string[] {
  if (!facts) return [`absent  Portage — needed by netaudit ebuild/sweep only: ${why ?? 'not found'}`];
  const lines = [`ok      Portage   ${facts.ebuild} (config root ${facts.configRoot}${facts.broot ? `, BROOT ${facts.broot}` : ''})`];
  const pathNote = facts.pathFrom === 'profile.env' ? `the phases' PATH, from ${facts.broot || ''}/etc/profile.env` : "the phases' PATH (the caller's)";
  lines.push(
    facts.gtar
      ? `ok      gtar      ${facts.gtar.path}${facts.gtar.target !== facts.gtar.path ? ` -> ${facts.gtar.target}` : ''} (${pathNote}; Portage's unpack of .tar.* distfiles calls it)`
      : `absent  gtar      — not on ${pathNote}: unpack of .tar.* distfiles dies ("gtar: command not found"); run scripts/install-portage.sh (a gtar shim to GNU tar), or on Gentoo emerge app-arch/tar`,
  );
  const py = facts.python;
  if (!py) {
    lines.push("absent  python    — no /usr/bin/python3 on this host: ::gentoo's Python eclasses run ${BROOT}/usr/bin/python3.X; Debian: apt-get install python3");
  } else if (py.target) {
    lines.push(`ok      python    \${BROOT}/usr/bin/${py.epython} = ${py.brootPath}${py.target !== py.brootPath ? ` -> ${py.target}` : ''} (the interpreter ::gentoo's Python eclasses run)`);
  } else {
    lines.push(
      `absent  python    — \${BROOT}/usr/bin/${py.epython} = ${py.brootPath} does not exist: ::gentoo's Python eclasses (python-utils-r1) die running it; run scripts/install-portage.sh (links <venv>/usr to /usr)`,
    );
  }
  if (facts.installedPackages > 0) {
    lines.push(`ok      package database ${facts.vdb} (${facts.installedPackages} packages installed)`);
  } else {
    lines.push(
      `absent  package database — ${facts.vdb} records no installed package (not Gentoo): has_version/best_version`,
      '        answer "not installed" for every package, so ebuilds and eclasses that check a dependency die',
      '        (python-any-r1: "No supported Python implementation installed."); audits report it as PackageQueryNotInstalled',
    );
  }
  const g = facts.gentoo;
  if (!g) {
    lines.push('absent  ::gentoo  — no gentoo repository configured: ebuilds that inherit ::gentoo eclasses cannot be read; add a repos.conf entry for a gentoo checkout');
  } else if (g.eclasses > 0) {
    lines.push(`ok      ::gentoo  ${g.location} (${g.eclasses} eclasses)`);
  } else {
    lines.push(
      `absent  ::gentoo  — ${g.location} has no eclasses (install-portage.sh's stub: a profile only),`,
      '        so ebuilds that inherit ::gentoo eclasses (distutils-r1, ...) cannot be read; point [gentoo] location',
      `        in ${path.join(facts.configRoot, 'etc/portage/repos.conf')} at a gentoo checkout (git clone https://github.com/gentoo/gentoo)`,
    );
  }
  return lines;
}

export const doctorCommand: CommandModule = {
  command: 'doctor',
  describe: 'check privileges, tools and kernel support; print install commands for what is missing',
  handler: async () => {
    const [{ TOOLS, which }, { findProblems }] = await Promise.all([import('../../proc/tools.js'), import('../../sandbox/prereq.js')]);
    const { probeKernel } = await import('../../sandbox/probe.js');
    const lines: string[] = [];
    const root = process.getuid?.() === 0;
    const userns = root ? undefined : findProblems('run').find((p) => p.error.code === 'E_NO_USERNS');
    if (root) lines.push('ok      root privileges — run uses named network namespaces (/run/netns); ebuild and sweep can run');
    else {
      lines.push(
        userns
          ? `MISSING root privileges or user namespaces — ${userns.fix}`
          : 'ok      user namespaces — run (as you) uses a user namespace that owns its network namespaces; no syscall observer without root',
      );
      lines.push('absent  root privileges — ebuild and sweep need them (Portage\'s phases): sudo netaudit ebuild|sweep ...');
    }
    for (const t of TOOLS) lines.push(toolLine(t, which(t.command)));
    const problems = findProblems(root ? 'root' : 'run');
    if (!problems.length) {
      for (const check of await probeKernel()) lines.push(`${check.ok ? 'ok     ' : 'MISSING'} ${check.what}${check.ok ? '' : ` — ${check.fix}`}`);
    }
    lines.push(...observerLines(await (await import('../../observe/availability.js')).diagnose()));
    lines.push(...(await portageDoctor()));
    const missing = TOOLS.filter((t) => !t.optional && !which(t.command));
    if (missing.length) {
      lines.push('');
      lines.push(`Gentoo: emerge --ask --noreplace ${[...new Set(missing.map((t) => t.gentoo))].join(' ')}`);
      lines.push(`Debian: apt-get install ${[...new Set(missing.map((t) => t.debian))].join(' ')}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = lines.some((l) => l.startsWith('MISSING')) ? 2 : 0;
  },
};

/** The Portage lines of this host: locate Portage as `netaudit ebuild` does, then read what eclasses need. */
async function portageDoctor(): Promise<string[]> {
  const { locatePortage } = await import('../../portage/locate.js');
  const { portageHostFacts } = await import('../../portage/host.js');
  let install;
  try {
    install = locatePortage();
  } catch (e) {
    return portageLines(undefined, e instanceof Error ? e.message : String(e));
  }
  return portageLines(await portageHostFacts(install));
}
