import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentStore, ManagerState, OpenedManager } from '../../../../core/index.js';
import { SnapshotCache } from '../../../../plugins/serve/src/snapshot.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';

const open: ExperimentStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A store file with manager `m` at version 1 and one signal date; `writer` is a second connection (another process's view). */
async function fixture(): Promise<{ reader: ExperimentStore; writer: ExperimentStore; bump: () => Promise<number> }> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-snap-')), 'store.sqlite');
  const reader = await openSqliteStore(file);
  const writer = await openSqliteStore(file);
  open.push(reader, writer);
  const st: ManagerState = { name: 'm', beginTime: null, freq: 'day', lastRoutine: '2020-01-02', stateVersion: 1, configHash: '', strategies: {} };
  await writer.putManager(st, 0);
  await writer.replaceSignals('m', ['2020-01-02'], { dates: ['2020-01-02', '2020-01-02'], instruments: ['A', 'B'], scores: Float64Array.of(1, 2) }, 1);
  let v = 1;
  return {
    reader,
    writer,
    // A routine: the new version and its signals in one transaction.
    bump: async () => {
      v++;
      await writer.transaction(async (tx) => {
        await tx.replaceSignals('m', ['2020-01-03'], { dates: ['2020-01-03'], instruments: ['A'], scores: Float64Array.of(v) }, v);
        await tx.putManager({ ...st, stateVersion: v, lastRoutine: '2020-01-03' }, v - 1);
      });
      return v;
    },
  };
}

const manager = (store: ExperimentStore): OpenedManager => ({
  home: '',
  manager: 'm',
  strategies: [],
  store,
  servedBy: async () => new Map(),
  rollback: async () => undefined,
  setOnline: async () => undefined,
  close: async () => undefined,
});

describe('SnapshotCache', () => {
  it('without notifications (SQLite): a request checks the version at most every checkMs, and sees a whole new version', async () => {
    const { reader, bump } = await fixture();
    let now = 0;
    const cache = new SnapshotCache(manager(reader), { checkMs: 20, now: () => now });
    await cache.start();
    expect(cache.notified).toBe(false);
    const first = await cache.current();
    expect(first.version).toBe(1);
    expect(JSON.parse(first.signals.get('2020-01-02')!.body.toString())).toEqual({ manager: 'm', stateVersion: 1, date: '2020-01-02', signals: [{ instrument: 'A', score: 1 }, { instrument: 'B', score: 2 }] });
    await bump();
    now = 10;
    // Within checkMs: the snapshot it has, synchronously.
    expect(cache.current()).toBe(first);
    now = 25;
    const second = await cache.current();
    expect(second.version).toBe(2);
    expect(second.dates).toEqual(['2020-01-02', '2020-01-03']);
    const body = JSON.parse(second.signals.get('2020-01-03')!.body.toString()) as { stateVersion: number; signals: { score: number }[] };
    expect(body.stateVersion).toBe(2);
    expect(body.signals[0]!.score).toBe(2);
    expect(second.signals.get('2020-01-03')!.etag).toBe('"2-s2020-01-03"');
    expect(cache.refreshes).toEqual({ start: 1, request: 1, notify: 0, fallback: 0, reconnect: 0 });
    await cache.stop();
  });

  it('with notifications that never arrive: the background fallback check finds the new version; requests never check', async () => {
    const { reader, bump } = await fixture();
    // The store's subscription works but no notification is ever delivered (every one lost).
    const silent = Object.assign(Object.create(reader) as ExperimentStore, { watchManagers: async () => async () => undefined });
    let now = 0;
    const cache = new SnapshotCache(manager(silent), { checkMs: 20, fallbackMs: 30, now: () => now });
    await cache.start();
    expect(cache.notified).toBe(true);
    const v2 = await bump();
    now = 1e9;
    const deadline = Date.now() + 10_000;
    while ((cache.current() as { version: number }).version !== v2) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(cache.refreshes.fallback).toBe(1);
    expect(cache.refreshes.request).toBe(0);
    await cache.stop();
  });

  it('a notification that arrives while a check is running is not lost: one more check follows', async () => {
    const { reader, bump } = await fixture();
    let notify: (m: string | null) => void = () => undefined;
    // The next version read pauses after reading, until released: a check that has read the old version and is still running.
    let hold: Promise<void> | undefined;
    let held = false;
    const watched = Object.assign(Object.create(reader) as ExperimentStore, {
      watchManagers: async (cb: (m: string | null) => void) => {
        notify = cb;
        return async () => undefined;
      },
      getManager: async (name: string) => {
        const r = await reader.getManager(name);
        const h = hold;
        hold = undefined;
        if (h) {
          held = true;
          await h;
        }
        return r;
      },
    });
    const cache = new SnapshotCache(manager(watched), { fallbackMs: 3_600_000 });
    await cache.start();
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    notify('other-manager');
    notify('m');
    const until = async (cond: () => boolean): Promise<void> => {
      for (const end = Date.now() + 10_000; !cond(); await new Promise((r) => setTimeout(r, 5))) expect(Date.now()).toBeLessThan(end);
    };
    await until(() => held);
    // The running check has read version 1; version 2 commits and is notified now.
    const v2 = await bump();
    notify('m');
    release();
    await until(() => (cache.current() as { version: number }).version === v2);
    expect(cache.refreshes).toEqual({ start: 1, request: 0, notify: 1, fallback: 0, reconnect: 0 });
    await cache.stop();
  });
});
