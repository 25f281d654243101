/** Syscall observer events for pure tests: a factory of SocketEvents with the fields a test cares about. */
import type { SocketEvent } from '../../src/model/events.js';

/** Defaults: a blocking TCP connect to 203.0.113.7:443 refused with ENETUNREACH. */
export function socketEvents(defaults: { startMs: number; netns: number } & Partial<SocketEvent>) {
  const { startMs, ...base } = defaults;
  return (over: Partial<SocketEvent> & { atMs: number }): SocketEvent => {
    const { atMs, ...rest } = over;
    return {
      kind: 'connect',
      syscall: 'connect',
      pid: 42,
      tid: 42,
      ppid: 41,
      comm: 'python3',
      argv: ['python3', '-c', 'x'],
      fd: 3,
      family: 4,
      protocol: 'tcp',
      address: '203.0.113.7',
      port: 443,
      errno: 101,
      error: 'ENETUNREACH',
      blockedUs: 12,
      ...base,
      tsMs: startMs + atMs,
      ...rest,
    } as SocketEvent;
  };
}
