import type { Clock } from '../contracts/logger.js';

export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * A clock tests move by hand: `now()` is what `advance` set, and `sleep`
 * resolves once time has been advanced past its end (no real waiting).
 */
export class TestClock implements Clock {
  private t: number;
  private readonly sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start: Date | string = '2024-01-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { until: this.t + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.sleepers.indexOf(sleeper);
          if (i >= 0) this.sleepers.splice(i, 1);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.t += ms;
    for (const s of [...this.sleepers]) {
      if (s.until <= this.t) {
        this.sleepers.splice(this.sleepers.indexOf(s), 1);
        s.resolve();
      }
    }
  }

  /** Sleepers still waiting (tests check nothing is left behind). */
  get pending(): number {
    return this.sleepers.length;
  }
}

/**
 * Milliseconds on a monotonic clock, for measuring durations. Node's global
 * `performance` loads perf_hooks on first use (~1 ms of a one-day routine).
 */
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}
