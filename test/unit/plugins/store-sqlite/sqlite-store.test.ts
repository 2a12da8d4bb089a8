import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';
import { experimentStoreContract } from '../../../contract/experiment-store.contract.js';

experimentStoreContract('SQLite', async () => openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-sqlite-')), 'store.sqlite')));

describe('per-date IC cache migration (version 3) on a store written before it', () => {
  it('lists every date with scores or signals as stale, so the first summary computes them all', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-sqlite-')), 'store.sqlite');
    const store = await openSqliteStore(file);
    const r = await store.createRecorder({ experiment: 'e', name: 'r', taskHash: null });
    await store.writeScores(r.id, 'pred', { dates: ['2020-01-02', '2020-01-03'], instruments: ['A', 'A'], scores: Float64Array.of(1, 2) });
    await store.writeScores(r.id, 'label', { dates: ['2020-01-06'], instruments: ['A'], scores: Float64Array.of(3) });
    await store.replaceSignals('m', ['2020-01-03'], { dates: ['2020-01-03'], instruments: ['A'], scores: Float64Array.of(1) }, 1);
    // As a store of version 2 was: no cache table, migration 3 not applied.
    await store.executor.run('DROP TABLE daily_ic');
    await store.executor.run('DELETE FROM qonline_migrations WHERE version = 3');
    await store.close();
    const again = await openSqliteStore(file);
    try {
      const recorder = await again.readDailyIc({ kind: 'recorder', id: r.id });
      expect(recorder.map((e) => [e.date, e.figures])).toEqual([['2020-01-02', null], ['2020-01-03', null], ['2020-01-06', null]]);
      expect((await again.readDailyIc({ kind: 'signals', manager: 'm' })).map((e) => [e.date, e.figures])).toEqual([['2020-01-03', null]]);
    } finally {
      await again.close();
    }
  });
});
