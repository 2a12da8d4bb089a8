import { ONLINE_TAG, type OpenedManager } from '../../../core/index.js';

export interface OnlineModel {
  id: string;
  model: string | null;
  test: [string | null, string | null];
  metrics: Record<string, number>;
}

/** One whole state version of a manager, held in memory. */
export interface Snapshot {
  version: number;
  lastRoutine: string | null;
  /** Signal dates, ascending. */
  dates: string[];
  /** date -> the serialised signal rows of that date (`[{"instrument":..,"score":..},..]`). */
  rowsJson: Map<string, string>;
  online: Record<string, OnlineModel[]>;
  /** Values derived from this version, computed once on first use. */
  derived<T>(key: string, build: () => Promise<T>): Promise<T>;
}

/**
 * Serves readers from an in-memory snapshot of the current state version.
 * Each request asks `current()`: the manager state (one small read) is checked
 * at most every `checkMs` milliseconds, concurrent requests share one check,
 * and when the version moved the snapshot is rebuilt: the version is read
 * before and after the data and the load repeats until they agree, so a
 * snapshot never mixes two versions.
 */
export class SnapshotCache {
  private snap: Snapshot | undefined;
  private checking: Promise<Snapshot> | undefined;
  private lastCheck = 0;
  constructor(
    private readonly m: OpenedManager,
    private readonly checkMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {}

  current(): Promise<Snapshot> | Snapshot {
    if (this.snap && this.now() - this.lastCheck < this.checkMs) return this.snap;
    if (!this.checking) {
      this.checking = this.refresh().finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private async refresh(): Promise<Snapshot> {
    const st = await this.m.store.getManager(this.m.manager);
    const v = st?.stateVersion ?? 0;
    this.lastCheck = this.now();
    if (this.snap && this.snap.version === v) return this.snap;
    for (let attempt = 0; ; attempt++) {
      const s = await this.load();
      const after = await this.m.store.getManager(this.m.manager);
      if ((after?.stateVersion ?? 0) === s.version || attempt >= 20) {
        this.snap = s;
        this.lastCheck = this.now();
        return s;
      }
    }
  }

  private async load(): Promise<Snapshot> {
    const { store, manager } = this.m;
    const st = await store.getManager(manager);
    const sig = await store.readSignals(manager);
    const rowsJson = new Map<string, string>();
    const dates: string[] = [];
    let i = 0;
    while (i < sig.dates.length) {
      let j = i;
      const parts: string[] = [];
      while (j < sig.dates.length && sig.dates[j] === sig.dates[i]) {
        const sc = sig.scores[j]!;
        parts.push(`{"instrument":${JSON.stringify(sig.instruments[j])},"score":${Number.isFinite(sc) ? String(sc) : 'null'}}`);
        j++;
      }
      dates.push(sig.dates[i]!);
      rowsJson.set(sig.dates[i]!, `[${parts.join(',')}]`);
      i = j;
    }
    const online: Record<string, OnlineModel[]> = {};
    for (const s of this.m.strategies) {
      const recs = await store.listRecorders({ experiment: s, tags: { [ONLINE_TAG]: 'online' } });
      online[s] = recs.map((r) => ({ id: r.id, model: r.params.model_class ?? null, test: [typeof r.params.test_start === 'string' ? r.params.test_start : null, r.params.test_end ?? null], metrics: r.metrics }));
    }
    const cache = new Map<string, Promise<unknown>>();
    return {
      version: st?.stateVersion ?? 0,
      lastRoutine: st?.lastRoutine ?? null,
      dates,
      rowsJson,
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
