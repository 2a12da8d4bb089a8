import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataProvider, HandlerFrame } from '../../../../../core/index.js';
import { alpha158Fields, DEFAULT_LABEL } from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { ExprHandler, toHandlerFrame } from '../../../../../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn } from '../../../../../plugins/data-qlib/src/processors/index.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { readCalendar } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { generateSyntheticMarket } from '../../../../../plugins/data-qlib/src/synth/index.js';

let root = '';
let uri = '';
let dates: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'qonline-handler-'));
  uri = path.join(root, 'mkt');
  await generateSyntheticMarket(uri, { instruments: 12, start: '2019-01-01', end: '2020-06-30', seed: 9 });
  dates = await readCalendar(uri, 'day');
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const processors = (fitEnd: string) => ({
  inferProcessors: [createProcessor('RobustZScoreNorm', { fields_group: 'feature', fit_start_time: dates[0]!, fit_end_time: fitEnd }), createProcessor('Fillna', { fields_group: 'feature' })],
  learnProcessors: [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })],
});

function plain(f: HandlerFrame) {
  return { ...f, rowDate: Array.from(f.rowDate), rowInst: Array.from(f.rowInst), features: Array.from(f.features), labels: Array.from(f.labels) };
}

describe('ExprHandler', () => {
  it('gives the same frames from row-major provider blocks as from a transposed column frame, and as the processors applied by hand', async () => {
    const fs = alpha158Fields();
    const fitEnd = dates[200]!;
    const options = (p: ReturnType<typeof processors>) => ({
      instruments: 'all',
      startTime: dates[0]!,
      endTime: null,
      fitStartTime: dates[0]!,
      fitEndTime: fitEnd,
      features: fs,
      labels: { fields: [...DEFAULT_LABEL.fields], names: [...DEFAULT_LABEL.names] },
      ...p,
    });
    const qlib = new QlibDataProvider({ id: 't', uri, threads: 1 });
    // The same provider without featureRows: the handler transposes `features`.
    const columnsOnly: DataProvider = {
      id: qlib.id,
      calendar: (f) => qlib.calendar(f),
      instruments: (m) => qlib.instruments(m),
      features: (r) => qlib.features(r),
      version: () => qlib.version(),
    };
    const viaRows = new ExprHandler(qlib, options(processors(fitEnd)));
    const viaColumns = new ExprHandler(columnsOnly, options(processors(fitEnd)));
    const raw = toHandlerFrame(await qlib.features({ instruments: 'all', fields: [...fs.fields, ...DEFAULT_LABEL.fields], start: dates[0]!, end: null }), fs.names, [...DEFAULT_LABEL.names]);
    const byHand = processors(fitEnd);
    const expected = fitInferLearn(byHand.inferProcessors, byHand.learnProcessors, raw, dates[0]!, fitEnd);
    for (const mode of ['infer', 'learn'] as const) {
      const a = await viaRows.fetch(dates[0]!, null, mode);
      const b = await viaColumns.fetch(dates[0]!, null, mode);
      expect(a.rows).toBeGreaterThan(1000);
      expect(plain(a), mode).toEqual(plain(b));
      expect(plain(a), mode).toEqual(plain(expected[mode]));
    }
  });

  it('with loaded processor state gives the fitted handler’s frames (append and independent)', async () => {
    const fs = alpha158Fields();
    const fitEnd = dates[200]!;
    const qlib = new QlibDataProvider({ id: 't', uri, threads: 1 });
    for (const processType of ['append', 'independent'] as const) {
      const options = () => ({
        instruments: 'all',
        startTime: dates[0]!,
        endTime: null,
        fitStartTime: dates[0]!,
        fitEndTime: fitEnd,
        features: fs,
        labels: { fields: [...DEFAULT_LABEL.fields], names: [...DEFAULT_LABEL.names] },
        processType,
        ...processors(fitEnd),
      });
      const fitted = new ExprHandler(qlib, options());
      await fitted.setup();
      const loaded = new ExprHandler(qlib, options());
      loaded.loadProcessorState(JSON.parse(JSON.stringify(fitted.processorState())));
      for (const mode of ['infer', 'learn'] as const) {
        const a = await fitted.fetch(dates[150]!, null, mode);
        const b = await loaded.fetch(dates[150]!, null, mode);
        expect(b.rows, `${processType} ${mode}`).toBeGreaterThan(100);
        expect(plain(b), `${processType} ${mode}`).toEqual(plain(a));
      }
    }
  });
});
