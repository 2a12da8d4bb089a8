import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecorderCollector, rollingConcat } from '../../../../core/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';

describe('RecorderCollector and rolling concatenation', () => {
  it('keys finished recorders by model and test window, and a later window wins on overlap', async () => {
    const store = await openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-coll-')), 's.sqlite'));
    const mk = async (model: string, start: string, end: string | null, rows: [string, string, number][], status: 'FINISHED' | 'FAILED' = 'FINISHED') => {
      const r = await store.createRecorder({ experiment: 'e', name: model, taskHash: `${model}${start}`, params: { model_class: model, test_start: start, test_end: end } });
      await store.writeScores(r.id, 'pred', { dates: rows.map((x) => x[0]), instruments: rows.map((x) => x[1]), scores: Float64Array.from(rows, (x) => x[2]) });
      await store.updateRecorder(r.id, { status });
    };
    await mk('Linear', '2020-01-01', '2020-01-02', [['2020-01-01', 'A', 1], ['2020-01-02', 'A', 2], ['2020-01-03', 'A', 99]]);
    await mk('Linear', '2020-01-02', null, [['2020-01-02', 'A', 20], ['2020-01-03', 'A', 30]]);
    await mk('GBDT', '2020-01-01', null, [['2020-01-01', 'A', 5]]);
    await mk('GBDT', '2020-01-02', null, [['2020-01-02', 'A', 6]], 'FAILED');
    const c = await new RecorderCollector(store, 'e').collect();
    expect([...c.keys()].sort()).toEqual(['GBDT', 'Linear']);
    expect([...c.get('GBDT')!.keys()]).toEqual(['2020-01-01']);
    // The first window is cut to its test segment (the 01-03 row is outside it).
    const lin = rollingConcat(c.get('Linear')!);
    expect(lin.dates).toEqual(['2020-01-01', '2020-01-02', '2020-01-03']);
    expect([...lin.scores]).toEqual([1, 20, 30]);
    await store.close();
  });
});
