import type { Progress, ProgressTask } from '../contracts/logger.js';

/**
 * Progress on stderr: a redrawn bar on a TTY, a few plain lines otherwise
 * (CI logs), nothing when disabled (--json, --quiet).
 */
export class TerminalProgress implements Progress {
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {}

  start(label: string, total = 0): ProgressTask {
    if (!this.enabled) return NULL_TASK;
    const tty = Boolean(this.stream.isTTY);
    const stream = this.stream;
    let done = 0;
    let lastDraw = 0;
    let lastPct = -1;
    let note = '';
    const t0 = Date.now();
    const render = (final: boolean): void => {
      const elapsed = ((Date.now() - t0) / 1000).toFixed(1);
      if (tty) {
        const width = 24;
        const frac = total > 0 ? Math.min(1, done / total) : 0;
        const filled = Math.round(frac * width);
        const bar = total > 0 ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}` : `${done}`;
        stream.write(`\r\x1b[2K${label} ${bar} ${elapsed}s${note ? ' ' + note : ''}${final ? '\n' : ''}`);
      } else {
        const pct = total > 0 ? Math.floor((100 * done) / total / 25) * 25 : -1;
        if ((final && !(pct === 100 && lastPct === 100)) || pct !== lastPct) {
          lastPct = pct;
          stream.write(`${label}: ${total > 0 ? `${done}/${total}` : done} (${elapsed}s)${note ? ' ' + note : ''}\n`);
        }
      }
    };
    return {
      tick(n = 1, text?: string) {
        done += n;
        if (text !== undefined) note = text;
        const now = Date.now();
        if (!tty || now - lastDraw > 80) {
          lastDraw = now;
          render(false);
        }
      },
      setTotal(t: number) {
        total = t;
      },
      done(text?: string) {
        if (text !== undefined) note = text;
        if (total > 0) done = Math.max(done, total);
        render(true);
      },
    };
  }
}

const NULL_TASK: ProgressTask = { tick() {}, setTotal() {}, done() {} };

export class NullProgress implements Progress {
  start(): ProgressTask {
    return NULL_TASK;
  }
}
