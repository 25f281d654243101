/**
 * Random hex from the kernel (/dev/urandom), without node's crypto module: loading it costs a few milliseconds
 * of every netaudit start (and, imported as an ES module, most of webcrypto with it), and netaudit needs only a
 * few random bytes (the capture's end marker, temp names).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let got = 0;
    while (got < bytes) {
      const n = readSync(fd, buf, got, bytes - got, null);
      if (n <= 0) throw new Error('/dev/urandom: short read');
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
