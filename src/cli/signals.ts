/**
 * SIGINT/SIGTERM while an audit runs: the first one aborts (the build is ended, captures stopped, namespaces
 * removed by the normal path); the exit code is then 128+signal. A second one is left to the default
 * handler only after teardown had its chance (a third press kills at once).
 */
import type { Interruption } from '../runner/session.js';

export type { Interruption };

/** An interruption listening before the command that will own it exists (holdInterruption()). */
let held: Interruption | undefined;

/**
 * Listen for signals now, before the command line is parsed: an early set-up (a sandbox, the tracer) is being
 * made, and a signal meanwhile must end the command through the normal path, as later ones do. The command's
 * own interruption() takes this one over, with whatever it already received.
 */
export function holdInterruption(): void {
  held ??= listen();
}

/** The held interruption no command took (undefined when there was none, or it was taken). */
export function releaseInterruption(): Interruption | undefined {
  const h = held;
  held = undefined;
  return h;
}

export function interruption(): Interruption {
  return releaseInterruption() ?? listen();
}

function listen(): Interruption {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let presses = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    presses++;
    received ??= sig;
    if (presses === 1) {
      process.stderr.write(`\nnetaudit: ${sig}: ending the build and removing the sandbox…\n`);
      controller.abort();
    } else if (presses >= 3) {
      process.stderr.write('netaudit: killed; run `netaudit gc` to remove what is left\n');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (received === 'SIGTERM' ? 143 : received === 'SIGHUP' ? 129 : 130),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    },
  };
}
