/** Sweep progress: one redrawn line on a terminal, plain periodic lines otherwise (CI logs, files). */
import { VERDICTS, type Verdict } from '../model/types.js';

export interface ProgressState {
  total: number;
  done: number;
  running: string[];
  counts: Record<Verdict, number>;
  startedMs: number;
}

const SHORT: Record<Verdict, string> = { clean: 'clean', tolerates: 'tolerates', breaks: 'breaks', 'fails-without-network': 'fails-w/o-net' };

export function formatEta(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function progressLine(p: ProgressState, nowMs = Date.now()): string {
  const elapsed = nowMs - p.startedMs;
  const eta = p.done ? (elapsed / p.done) * (p.total - p.done) : NaN;
  const counts = VERDICTS.map((v) => `${SHORT[v]} ${p.counts[v]}`).join('  ');
  return `[${p.done}/${p.total}] ${counts}  ETA ${formatEta(eta)}${p.running.length ? `  running: ${p.running.join(' ')}` : ''}`;
}

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;

  constructor(
    private readonly state: ProgressState,
    private readonly stream: NodeJS.WriteStream,
    private readonly options: { tty: boolean; plainEveryMs?: number },
  ) {}

  start(): void {
    if (this.options.tty) this.timer = setInterval(() => this.draw(), 250);
    this.draw();
  }

  /** A finished build: always one plain line (kept in the scrollback), then the bar again. */
  finished(line: string): void {
    if (this.options.tty) this.stream.write(`\r\x1b[K${line}\n`);
    else this.stream.write(`${line}\n`);
    this.draw();
  }

  draw(): void {
    const width = this.stream.columns || 120;
    if (this.options.tty) {
      this.stream.write(`\r\x1b[K${progressLine(this.state).slice(0, width - 1)}`);
    } else if (Date.now() - this.lastPlain >= (this.options.plainEveryMs ?? 10_000) || this.state.done === this.state.total) {
      this.lastPlain = Date.now();
      this.stream.write(`${progressLine(this.state)}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.options.tty) this.stream.write(`\r\x1b[K${progressLine(this.state)}\n`);
  }
}
