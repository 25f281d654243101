/** Reading a file as it grows: the output of a process the user namespace's launcher started (src/sandbox/userns.ts). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Reads a file as it grows (a capture's pcap or stderr), every few milliseconds. */
export class FileTail {
  private fd: number | undefined;
  private position = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly file: string,
    private readonly onData: (b: Buffer) => void,
    intervalMs = 4,
  ) {
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  /** Read whatever is new now. */
  poll(): void {
    try {
      this.fd ??= openSync(this.file, 'r');
      const size = fstatSync(this.fd).size;
      while (this.position < size) {
        const b = Buffer.alloc(Math.min(size - this.position, 1 << 20));
        const n = readSync(this.fd, b, 0, b.length, this.position);
        if (n <= 0) break;
        this.position += n;
        this.onData(n === b.length ? b : b.subarray(0, n));
      }
    } catch {
      /* not there yet */
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.poll();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
