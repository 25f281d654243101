/** NETAUDIT_DEBUG=1: time-stamped progress on stderr (milliseconds since the process started). */
const on = Boolean(process.env.NETAUDIT_DEBUG);

export function trace(what: string): void {
  if (on) process.stderr.write(`netaudit: ${performance.now().toFixed(1)} ms ${what}\n`);
}
