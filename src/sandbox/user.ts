/** Resolving --user NAME|UID against the passwd database, so a typo is a clear error, not a failed build. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../model/errors.js';

export interface UserSpec {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export function resolveUser(spec: string, passwd = '/etc/passwd'): UserSpec {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch (cause) {
    throw new UsageError(`--user ${spec}: cannot read ${passwd}`, { option: '--user', cause });
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    if (f[0] === spec || f[2] === spec) {
      return { name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]), home: f[5] as string };
    }
  }
  throw new UsageError(`--user ${spec}: no such user — create it (useradd) or name an existing one`, { option: '--user' });
}
