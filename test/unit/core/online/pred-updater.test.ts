import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Calendar, ScoreUpdater, SilentLogger, type Dataset, type Handler, type HandlerFrame, type Model, type Resolver, type TaskDef } from '../../../../plugins/index.js';
import { openSqliteStore } from '../../../../plugins/store-sqlite/index.js';

const DATES = Array.from({ length: 30 }, (_, i) => `2020-01-${String(i + 1).padStart(2, '0')}`);
const INSTRUMENTS = ['A', 'B', 'C'];

/** A handler that serves one feature (the day number) and records every range it is asked for. */
function recordingResolver(requests: { start: string; end: string | null; handlerStart: string; handlerEnd: string | null }[], predicted: number[]): Resolver {
  return {
    async resolve<T>(kind: string, spec: { kwargs?: Record<string, unknown> }): Promise<T> {
      if (kind !== 'dataset') throw new Error('unexpected ' + kind);
      const hk = (spec.kwargs!['handler'] as { kwargs: { start_time: string; end_time: string | null } }).kwargs;
      const handler: Handler = {
        featureNames: ['day'],
        labelNames: ['LABEL0'],
        async setup() {},
        processorState: () => null,
        loadProcessorState() {},
        async fetch(start, end): Promise<HandlerFrame> {
          requests.push({ start, end, handlerStart: hk.start_time, handlerEnd: hk.end_time });
          const ds = DATES.filter((d) => d >= start && (end === null || d <= end));
          const rows = ds.length * INSTRUMENTS.length;
          const rowDate = new Int32Array(rows);
          const rowInst = new Int32Array(rows);
          const features = new Float32Array(rows);
          for (let i = 0; i < rows; i++) {
            rowDate[i] = Math.floor(i / INSTRUMENTS.length);
            rowInst[i] = i % INSTRUMENTS.length;
            features[i] = DATES.indexOf(ds[rowDate[i]!]!) + 1;
          }
          return { rows, dates: ds, instruments: INSTRUMENTS, rowDate, rowInst, featureNames: ['day'], features, labelNames: ['LABEL0'], labels: new Float32Array(rows).fill(NaN) };
        },
      };
      const dataset: Dataset = { handler, segments: spec.kwargs!['segments'] as Record<string, [string, string | null]>, prepare: (seg) => handler.fetch((seg as [string, string | null])[0], (seg as [string, string | null])[1], 'infer') };
      return dataset as T;
    },
    async restoreModel<T>(): Promise<T> {
      const model: Model = {
        className: 'Echo',
        async fit() {
          return { rounds: 0, bestRound: 0, trainLoss: [], validLoss: [] };
        },
        predict(input) {
          predicted.push(input.rows);
          return Float32Array.from(input.features);
        },
        toJSON: () => ({ format: 'qonline-model', version: 1, class: 'Echo', kwargs: {}, state: null }),
      };
      return model as T;
    },
  };
}

describe('ScoreUpdater (PredUpdater)', () => {
  it('evaluates only the new days plus the history window and leaves old rows alone', async () => {
    const store = await openSqliteStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-upd-')), 's.sqlite'));
    const calendar = new Calendar(DATES);
    const rec = await store.createRecorder({ experiment: 'e', name: 'r', taskHash: 'h', params: { model_class: 'Echo', test_start: '2020-01-01', test_end: null } });
    const task: TaskDef = {
      model: { class: 'Echo' },
      dataset: { class: 'DatasetH', kwargs: { handler: { class: 'H', kwargs: { start_time: '2020-01-01', end_time: '2020-01-10' } }, segments: { test: ['2020-01-01', null] } } },
    };
    await store.putArtifact(rec.id, 'task', task);
    await store.putArtifact(rec.id, 'model', { format: 'qonline-model', version: 1, class: 'Echo', kwargs: {}, state: null });
    // Old predictions up to 2020-01-10, with a deliberately odd value to see it survive.
    await store.writeScores(rec.id, 'pred', { dates: ['2020-01-10', '2020-01-10'], instruments: ['A', 'B'], scores: Float64Array.of(-99, -98) });

    const requests: { start: string; end: string | null; handlerStart: string; handlerEnd: string | null }[] = [];
    const predicted: number[] = [];
    const updater = new ScoreUpdater({ store, resolver: recordingResolver(requests, predicted), calendar, logger: new SilentLogger() }, 'pred');
    const r = await updater.update(rec, '2020-01-14', { histRef: 3 });

    expect(r).toMatchObject({ from: '2020-01-11', to: '2020-01-14', rows: 12 });
    // The handler loads 3 rows of history before the first new day, up to the target date...
    expect(requests).toEqual([{ start: '2020-01-11', end: '2020-01-14', handlerStart: '2020-01-08', handlerEnd: '2020-01-14' }]);
    // ...and the model predicts only the 4 new days x 3 instruments.
    expect(predicted).toEqual([12]);
    const all = await store.readScores(rec.id, 'pred');
    expect(all.scores.length).toBe(2 + 12);
    expect([...all.scores.slice(0, 2)]).toEqual([-99, -98]);
    expect(await store.lastScoreDate(rec.id, 'pred')).toBe('2020-01-14');

    // Up to date: nothing evaluated. A date past the calendar is clipped.
    const again = await updater.update(rec, '2020-01-14');
    expect(again.rows).toBe(0);
    const clipped = await updater.update(rec, '2030-01-01');
    expect(clipped).toMatchObject({ from: '2020-01-15', to: '2020-01-30', rows: 16 * 3 });
    expect(predicted).toEqual([12, 48]);
    await store.close();
  });
});
