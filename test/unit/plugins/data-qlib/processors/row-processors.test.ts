import { describe, expect, it } from 'vitest';
import {
  DropCol,
  DropnaFeature,
  DropnaLabel,
  Fillna,
  FilterCol,
  TanhProcess,
} from '../../../../../plugins/data-qlib/src/processors/index.js';
import { column, f32, makeFrame } from './make-frame.js';

const frame = () =>
  makeFrame(
    ['A', 'B'],
    ['LABEL0'],
    [
      ['2020-01-02', 'X', [1, NaN], [0.1]],
      ['2020-01-02', 'Y', [2, 20], [NaN]],
      ['2020-01-03', 'X', [NaN, 30], [0.3]],
      ['2020-01-03', 'Z', [4, 40], [NaN]],
      ['2020-01-06', 'Y', [5, 50], [0.5]],
    ],
  );

describe('Fillna', () => {
  it('fills every column by default, with 0', () => {
    const out = new Fillna().apply(frame());
    expect(column(out, 'A')).toEqual([1, 2, 0, 4, 5]);
    expect(column(out, 'LABEL0')).toEqual([f32(0.1), 0, f32(0.3), 0, f32(0.5)]);
  });

  it('fills only the group, with fill_value, and leaves infinities', () => {
    const f = frame();
    f.features[1] = Infinity;
    const out = new Fillna({ fields_group: 'feature', fill_value: -9 }).apply(f);
    expect(column(out, 'A')).toEqual([1, 2, -9, 4, 5]);
    expect(column(out, 'B')[0]).toBe(Infinity);
    expect(column(out, 'LABEL0')[1]).toBeNaN();
  });
});

describe('DropnaLabel / DropnaFeature', () => {
  it('DropnaLabel drops rows whose label is NaN and is learn-only', () => {
    const f = frame();
    const p = new DropnaLabel();
    expect(p.forInfer).toBe(false);
    const out = p.apply(f);
    expect(out.rows).toBe(3);
    expect(Array.from(out.rowDate, (d) => out.dates[d])).toEqual(['2020-01-02', '2020-01-03', '2020-01-06']);
    expect(Array.from(out.rowInst, (i) => out.instruments[i])).toEqual(['X', 'X', 'Y']);
    expect(column(out, 'A')).toEqual([1, NaN, 5]);
    expect(column(out, 'B')).toEqual([NaN, 30, 50]);
    expect(f.rows).toBe(5);
    expect(column(f, 'A')).toEqual([1, 2, NaN, 4, 5]);
  });

  it('DropnaFeature drops rows with any NaN feature and is usable at inference', () => {
    const p = new DropnaFeature();
    expect(p.forInfer).toBe(true);
    const out = p.apply(frame());
    expect(Array.from(out.rowInst, (i) => out.instruments[i])).toEqual(['Y', 'Z', 'Y']);
    expect(column(out, 'LABEL0')[0]).toBeNaN();
  });
});

describe('FilterCol / DropCol', () => {
  it('FilterCol keeps the listed features and every label', () => {
    const out = new FilterCol({ col_list: ['B', 'nope'] }).apply(frame());
    expect(out.featureNames).toEqual(['B']);
    expect(out.labelNames).toEqual(['LABEL0']);
    expect(column(out, 'B')).toEqual([NaN, 20, 30, 40, 50]);
    expect(out.features.length).toBe(5);
  });

  it('DropCol drops the listed columns', () => {
    const out = new DropCol({ col_list: ['A', 'LABEL0'] }).apply(frame());
    expect(out.featureNames).toEqual(['B']);
    expect(out.labelNames).toEqual([]);
    expect(out.labels.length).toBe(0);
  });
});

describe('TanhProcess', () => {
  it('applies tanh(x - 1) to columns whose name lacks LABEL', () => {
    const out = new TanhProcess().apply(frame());
    expect(column(out, 'A')[1]).toBe(f32(Math.tanh(1)));
    expect(column(out, 'LABEL0')[0]).toBe(f32(0.1));
  });
});
