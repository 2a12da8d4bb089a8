import { describe, expect, it } from 'vitest';
import type { HandlerFrame, Processor } from '../../../../../core/index.js';
import {
  applyInferLearn,
  createProcessor,
  fitAndApply,
  fitInferLearn,
  loadProcessorStates,
  processorFromSpec,
  saveProcessorStates,
} from '../../../../../plugins/data-qlib/src/processors/index.js';
import { column, makeFrame } from './make-frame.js';

/** Feature A, label LABEL0; the last date (the "test" period) has extreme values and unknown labels. */
const raw = () =>
  makeFrame(
    ['A'],
    ['LABEL0'],
    [
      ['2020-01-02', 'X', [1], [0.0]],
      ['2020-01-02', 'Y', [3], [NaN]],
      ['2020-01-03', 'X', [5], [2.0]],
      ['2020-01-03', 'Y', [Infinity], [4.0]],
      ['2020-01-06', 'X', [100], [NaN]],
      ['2020-01-06', 'Y', [NaN], [NaN]],
    ],
  );

const specs = () => ({
  infer: [
    { class: 'ProcessInf' },
    { class: 'ZScoreNorm', kwargs: { fields_group: 'feature', fit_start_time: '2020-01-02', fit_end_time: '2020-01-03' } },
    { class: 'Fillna', kwargs: { fields_group: 'feature' } },
  ],
  learn: [{ class: 'DropnaLabel' }, { class: 'CSZScoreNorm', kwargs: { fields_group: 'label' } }],
});

describe('fitInferLearn (DataHandlerLP, process_type append)', () => {
  it('fits on the fit window, gives infer and learn frames and leaves the raw frame alone', () => {
    const frame = raw();
    const before = { f: Array.from(frame.features), l: Array.from(frame.labels) };
    const infer = specs().infer.map(processorFromSpec);
    const learn = specs().learn.map(processorFromSpec);
    const out = fitInferLearn(infer, learn, frame, '2020-01-02', '2020-01-03');

    // ProcessInf: the inf on 2020-01-03 becomes that date's finite mean, 5.
    // ZScoreNorm fitted on 1 3 5 5 (window only): mean 3.5, std sqrt(2.75).
    const std = Math.fround(Math.sqrt(2.75));
    const z = (x: number) => Math.fround(Math.fround(x - 3.5) / std);
    expect(column(out.infer, 'A')).toEqual([z(1), z(3), z(5), z(5), z(100), 0]);
    expect(column(out.infer, 'LABEL0')).toEqual([0, NaN, 2, 4, NaN, NaN]);
    expect(out.infer.rows).toBe(6);

    // learn = infer + DropnaLabel + per-date label z-score (2020-01-03: [2, 4] -> [-1/sqrt2, 1/sqrt2] * ... ddof 1).
    expect(out.learn.rows).toBe(3);
    expect(column(out.learn, 'A')).toEqual([z(1), z(5), z(5)]);
    const learnLabel = column(out.learn, 'LABEL0');
    expect(learnLabel[0]).toBeNaN(); // a date with one label has no sample std
    expect(learnLabel.slice(1)).toEqual([Math.fround(-1 / Math.SQRT2), Math.fround(1 / Math.SQRT2)]);

    expect(Array.from(frame.features)).toEqual(before.f);
    expect(Array.from(frame.labels)).toEqual(before.l);
  });

  it('fits each processor on the output of the previous ones', () => {
    const frame = raw();
    const seen: number[][] = [];
    const spy: Processor = {
      name: 'Spy',
      forInfer: true,
      fit: (f: HandlerFrame) => void seen.push(Array.from(f.features)),
      apply: (f: HandlerFrame) => f,
      state: () => null,
      load: () => {},
    };
    fitAndApply([createProcessor('Fillna', { fill_value: -1 }), spy], frame, null, '2020-01-03');
    // The spy sees the fit window only, already filled (no NaN), inf untouched.
    expect(seen).toEqual([[1, 3, 5, Infinity]]);
  });

  it('applyInferLearn with loaded states reproduces the fitted frames on a later range', () => {
    const frame = raw();
    const s = specs();
    const infer = s.infer.map(processorFromSpec);
    const learn = s.learn.map(processorFromSpec);
    const fitted = fitInferLearn(infer, learn, frame, '2020-01-02', '2020-01-03');
    const saved = JSON.parse(JSON.stringify({ infer: saveProcessorStates(infer), learn: saveProcessorStates(learn) }));

    const infer2 = s.infer.map(processorFromSpec);
    const learn2 = s.learn.map(processorFromSpec);
    loadProcessorStates(infer2, saved.infer);
    loadProcessorStates(learn2, saved.learn);
    const served = applyInferLearn(infer2, learn2, frame, 'infer');
    expect(Array.from(served.features)).toEqual(Array.from(fitted.infer.features));
    const learned = applyInferLearn(infer2, learn2, frame, 'learn');
    expect(Array.from(learned.features)).toEqual(Array.from(fitted.learn.features));
    expect(Array.from(learned.labels)).toEqual(Array.from(fitted.learn.labels));
    expect(() => loadProcessorStates(learn2, saved.infer)).toThrow(/expected \[DropnaLabel, CSZScoreNorm\]/);
  });

  it('independent process type feeds the learn processors the raw frame', () => {
    const frame = raw();
    const out = fitInferLearn([createProcessor('Fillna', {})], [createProcessor('DropnaLabel', {})], frame, null, null, 'independent');
    expect(column(out.learn, 'A')).toEqual([1, 5, Infinity]);
    expect(column(out.infer, 'A')[5]).toBe(0);
  });

  it('refuses a learn-only processor among the infer processors', () => {
    expect(() => fitInferLearn([createProcessor('DropnaLabel', {})], [], raw(), null, null)).toThrow(/learn-only/);
  });

  it('in place, the given arrays are reused and overwritten', () => {
    const frame = raw();
    const out = fitAndApply([createProcessor('Fillna', {})], frame, null, null, { inPlace: true });
    expect(out.features).toBe(frame.features);
    expect(column(frame, 'A')[5]).toBe(0);
  });

  it('refuses a malformed frame', () => {
    const frame = { ...raw(), rows: 7 };
    expect(() => fitAndApply([createProcessor('Fillna', {})], frame, null, null)).toThrow(/Malformed handler frame/);
  });
});

describe('frame checks', () => {
  it('refuses rows out of date order before fitting', () => {
    const frame = raw();
    const shuffled = { ...frame, rowDate: Int32Array.from([0, 0, 2, 2, 1, 1]) };
    expect(() => fitAndApply([createProcessor('ZScoreNorm', {})], shuffled, null, null)).toThrow(/date-major/);
  });
});
