/** `netaudit doctor`: what netaudit needs, what is missing, and how to install it. */
import type { CommandModule } from 'yargs';
import type { Availability } from '../../observe/availability.js';
import type { Tool } from '../../sandbox/prereq.js';

/**
 * One tool's line: `ok` with where it is, else MISSING (the exit code becomes 2) or, for an optional tool
 * (bpftrace; python3, which only --intercept and --explain need), `absent`, with the Gentoo and Debian packages.
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
    lines.push(`${root ? 'ok     ' : 'MISSING'} root privileges${root ? '' : ' — run as root (sudo)'}`);
    for (const t of TOOLS) lines.push(toolLine(t, which(t.command)));
    const problems = findProblems();
    if (root && !problems.length) {
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
