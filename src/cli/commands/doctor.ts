/** `netaudit doctor`: what netaudit needs, what is missing, and how to install it. */
import type { CommandModule } from 'yargs';
import type { Availability } from '../../observe/availability.js';

/**
 * The syscall observer's lines: optional (never MISSING, the exit code stays 0), but say what is lost
 * without it and how to get each missing piece.
 */
export function observerLines(found: Availability): string[] {
  if (found.available) {
    return [
      `ok      syscall observer (${found.version ?? 'bpftrace'})${found.mountTracefs ? ' — tracefs is not mounted; netaudit mounts it (mount -t tracefs tracefs /sys/kernel/tracing)' : ''}`,
    ];
  }
  return [
    'absent  syscall observer — audits run on packets alone: no process or test on attempts, no abstract UNIX',
    '        socket attempts (X11, D-Bus), and external TCP connects take ~1 s to fail instead of failing at once;',
    '        to enable it, provide:',
    ...found.missing.map((m) => `          - ${m}`),
  ];
}

export const doctorCommand: CommandModule = {
  command: 'doctor',
  describe: 'check privileges, tools and kernel support; print install commands for what is missing',
  handler: async () => {
    const { TOOLS, which, findProblems } = await import('../../sandbox/prereq.js');
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
    for (const t of TOOLS) {
      const p = which(t.command);
      const state = p ? 'ok     ' : t.optional ? 'absent ' : 'MISSING';
      lines.push(`${state} ${t.command.padEnd(9)} ${p ?? `Gentoo: ${t.gentoo}  Debian: ${t.debian}`}  (${t.why})`);
    }
    const problems = findProblems(root ? 'root' : 'run');
    if (!problems.length) {
      for (const check of await probeKernel()) lines.push(`${check.ok ? 'ok     ' : 'MISSING'} ${check.what}${check.ok ? '' : ` — ${check.fix}`}`);
    }
    lines.push(...observerLines(await (await import('../../observe/availability.js')).availability()));
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
