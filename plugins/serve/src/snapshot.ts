import { ONLINE_TAG, type OpenedManager } from '../../../core/index.js';

export interface OnlineModel {
  id: string;
  model: string | null;
  test: [string | null, string | null];
  metrics: Record<string, number>;
}

/** A response prepared once per state version: its bytes and its ETag. */
export interface PreparedBody {
  body: Buffer;
  etag: string;
  /** Where the `[...]` of the signal rows sits in `body` (for /api/signals/range). */
  rows: [number, number];
}

/** One whole state version of a manager, held in memory. */
export interface Snapshot {
  version: number;
  lastRoutine: string | null;
  /** Signal dates, ascending. */
  dates: string[];
  /** date -> the whole `GET /api/signals?date=` response of that date. */
  signals: Map<string, PreparedBody>;
  /** Instruments with a signal on the latest date. */
  coverage: number;
  online: Record<string, OnlineModel[]>;
  /** Values derived from this version, computed once on first use. */
  derived<T>(key: string, build: () => Promise<T>): Promise<T>;
}

/** Why the snapshot was (re)loaded: counted, so operators and tests see what keeps it current. */
export type RefreshCause = 'start' | 'request' | 'notify' | 'fallback' | 'reconnect';

export interface SnapshotCacheOptions {
  /**
   * Without notifications (SQLite): the version is checked on a request at
   * most every `checkMs` milliseconds. With them (PostgreSQL LISTEN/NOTIFY):
   * requests never check; a background check runs every `fallbackMs` in
   * case a notification was lost.
   */
  checkMs?: number;
  fallbackMs?: number;
  now?: () => number;
  /** Told when the notification subscription fails (the cache then checks per request). */
  onWatchError?: (e: Error) => void;
}

/** The signal rows of one date as JSON (`[{"instrument":..,"score":..},..]`). */
function rowsJson(instruments: readonly string[], scores: ArrayLike<number>, from: number, to: number): string {
  const parts: string[] = [];
  for (let k = from; k < to; k++) {
    const sc = scores[k]!;
    parts.push(`{"instrument":${JSON.stringify(instruments[k])},"score":${Number.isFinite(sc) ? String(sc) : 'null'}}`);
  }
  return `[${parts.join(',')}]`;
}

/** The body of `GET /api/signals?date=` for one date, with the position of its rows. */
export function signalsBody(manager: string, version: number, date: string | null, rows: string): PreparedBody {
  const head = `{"manager":${JSON.stringify(manager)},"stateVersion":${version},"date":${date === null ? 'null' : JSON.stringify(date)},"signals":`;
  const start = Buffer.byteLength(head);
  const body = Buffer.from(`${head}${rows}}`);
  return { body, etag: `"${version}-s${date ?? ''}"`, rows: [start, body.length - 1] };
}

/**
 * Serves readers from an in-memory snapshot of the current state version.
 * The version and the data it labels are read together: the version is read
 * before and after the data and the load repeats until they agree; after a
 * few tries (versions moving fast) the load runs inside one store transaction.
 * A snapshot never mixes two versions. What triggers a check depends on the
 * store: a notification (PostgreSQL), or a request (SQLite, at most every
 * `checkMs`); concurrent triggers share one check.
 */
export class SnapshotCache {
  private snap: Snapshot | undefined;
  private checking: Promise<Snapshot> | undefined;
  private again: RefreshCause | undefined;
  private lastCheck = -Infinity;
  private unwatch: (() => Promise<void>) | null = null;
  private fallbackTimer: ReturnType<typeof setInterval> | undefined;
  private readonly checkMs: number;
  private readonly fallbackMs: number;
  private readonly now: () => number;
  /** Loads of a new version, by what triggered the check. */
  readonly refreshes: Record<RefreshCause, number> = { start: 0, request: 0, notify: 0, fallback: 0, reconnect: 0 };
  /** True while notifications keep the snapshot current (requests do not check). */
  notified = false;

  constructor(
    private readonly m: OpenedManager,
    private readonly opts: SnapshotCacheOptions = {},
  ) {
    this.checkMs = opts.checkMs ?? 20;
    this.fallbackMs = opts.fallbackMs ?? 2000;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Loads the first snapshot and subscribes to state changes when the store can notify. */
  async start(): Promise<void> {
    await this.check('start');
    if (!this.m.store.watchManagers) return;
    try {
      this.unwatch = await this.m.store.watchManagers((manager) => {
        if (manager === null) void this.check('reconnect').catch(() => undefined);
        else if (manager === this.m.manager) void this.check('notify').catch(() => undefined);
      });
    } catch (e) {
      this.opts.onWatchError?.(e as Error);
      this.unwatch = null;
    }
    if (!this.unwatch) return;
    this.notified = true;
    // A change committed between the first load and LISTEN would otherwise wait for the fallback.
    await this.check('notify');
    this.fallbackTimer = setInterval(() => void this.check('fallback').catch(() => undefined), this.fallbackMs);
    this.fallbackTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.fallbackTimer) clearInterval(this.fallbackTimer);
    this.fallbackTimer = undefined;
    const u = this.unwatch;
    this.unwatch = null;
    this.notified = false;
    await u?.().catch(() => undefined);
  }

  /** The snapshot to answer from: synchronous unless a check is due (or running without a snapshot yet). */
  current(): Promise<Snapshot> | Snapshot {
    const s = this.snap;
    if (s && (this.notified || this.now() - this.lastCheck < this.checkMs)) return s;
    if (s && this.checking) return s;
    return this.check('request');
  }

  /** Checks the stored version now (one check at a time; a trigger during a check runs one more after it). */
  check(cause: RefreshCause): Promise<Snapshot> {
    if (this.checking) {
      // A notification during a check may be about a commit the check already missed: check once more afterwards.
      if (cause !== 'request') this.again ??= cause;
      return this.checking;
    }
    this.checking = this.refresh(cause).finally(() => {
      this.checking = undefined;
      const next = this.again;
      this.again = undefined;
      if (next) void this.check(next).catch(() => undefined);
    });
    return this.checking;
  }

  private async refresh(cause: RefreshCause): Promise<Snapshot> {
    const v = await this.version();
    this.lastCheck = this.now();
    if (this.snap && this.snap.version === v) return this.snap;
    const s = await this.loadConsistent();
    if (!this.snap || s.version > this.snap.version) {
      this.snap = s;
      this.refreshes[cause]++;
    }
    this.lastCheck = this.now();
    return this.snap;
  }

  private async version(): Promise<number> {
    return (await this.m.store.getManager(this.m.manager))?.stateVersion ?? 0;
  }

  private async loadConsistent(): Promise<Snapshot> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = await this.load(this.m.store);
      if ((await this.version()) === s.version) return s;
    }
    // Versions keep moving: one transaction sees one version (at the price of a lock on SQLite).
    return this.m.store.transaction((tx) => this.load(tx));
  }

  private async load(store: OpenedManager['store']): Promise<Snapshot> {
    const { manager } = this.m;
    const st = await store.getManager(manager);
    const version = st?.stateVersion ?? 0;
    const sig = await store.readSignals(manager);
    const signals = new Map<string, PreparedBody>();
    const dates: string[] = [];
    let coverage = 0;
    let i = 0;
    while (i < sig.dates.length) {
      let j = i;
      while (j < sig.dates.length && sig.dates[j] === sig.dates[i]) j++;
      const date = sig.dates[i]!;
      dates.push(date);
      signals.set(date, signalsBody(manager, version, date, rowsJson(sig.instruments, sig.scores, i, j)));
      coverage = j - i;
      i = j;
    }
    const online: Record<string, OnlineModel[]> = {};
    for (const s of this.m.strategies) {
      const recs = await store.listRecorders({ experiment: s, tags: { [ONLINE_TAG]: 'online' } });
      online[s] = recs.map((r) => ({ id: r.id, model: r.params.model_class ?? null, test: [typeof r.params.test_start === 'string' ? r.params.test_start : null, r.params.test_end ?? null], metrics: r.metrics }));
    }
    const cache = new Map<string, Promise<unknown>>();
    return {
      version,
      lastRoutine: st?.lastRoutine ?? null,
      dates,
      signals,
      coverage,
      online,
      derived<T>(key: string, build: () => Promise<T>): Promise<T> {
        let p = cache.get(key) as Promise<T> | undefined;
        if (!p) {
          p = build();
          cache.set(key, p);
          p.catch(() => cache.delete(key));
        }
        return p;
      },
    };
  }
}
