import { describe, expect, it } from 'vitest';
import type { HandlerFrame, Processor } from '../../../../../core/index.js';
import { applyProcessors, cloneFrame, createProcessor, fitAndApply, fitInferLearn, rowMajorFromColumns } from '../../../../../plugins/data-qlib/src/processors/index.js';
import { medianFloat32 } from '../../../../../plugins/data-qlib/src/processors/nan-stats.js';
import type { BaseProcessor } from '../../../../../plugins/data-qlib/src/processors/base-processor.js';
import { randomFrame, rng } from './make-frame.js';

/** Median of a sorted copy, the two middle values averaged in float64. */
function naiveMedian(xs: ArrayLike<number>): number {
  const s = Array.from(xs).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe('medianFloat32 (radix selection)', () => {
  it('equals the median of a sorted copy and leaves the buffer alone', () => {
    const rand = rng(11);
    const makers: (() => number)[] = [
      () => (rand() - 0.5) * 1e6,
      () => Math.floor(rand() * 5) - 2, // many ties
      () => (rand() < 0.1 ? (rand() < 0.5 ? Infinity : -Infinity) : rand() - 0.5),
      () => 1.5, // one value
      () => (rand() - 0.5) * 1e-38, // subnormal floats
      () => (rand() < 0.5 ? -0 : 0),
      () => (rand() < 0.5 ? -1 : 1) * Math.exp((rand() - 0.5) * 150), // many binary exponents
    ];
    for (let trial = 0; trial < 700; trial++) {
      const make = makers[trial % makers.length]!;
      const n = 1 + Math.floor(rand() * (trial % 50 === 0 ? 20000 : 60));
      const buf = Float32Array.from({ length: n }, make);
      const before = buf.slice();
      const m = medianFloat32(buf, n);
      const expected = naiveMedian(buf);
      // -0 and +0 are one value to a median (numpy may return either).
      expect(m === expected || (Number.isNaN(m) && Number.isNaN(expected)), `trial ${trial} n ${n}: ${m} vs ${expected}`).toBe(true);
      expect(buf).toEqual(before);
    }
    expect(medianFloat32(new Float32Array(3), 0)).toBeNaN();
  });

  it('is exact on large inputs whatever their order and ties', () => {
    const rand = rng(4);
    const n = 30001;
    const cases: [string, Float32Array][] = [
      ['random', Float32Array.from({ length: n }, () => rand() * 2 - 1)],
      ['sorted', Float32Array.from({ length: n }, (_, i) => i / 7)],
      ['sorted descending', Float32Array.from({ length: n }, (_, i) => -i)],
      ['mostly ties', Float32Array.from({ length: n }, () => (rand() < 0.8 ? 0 : rand()))],
      ['with infinities', Float32Array.from({ length: n }, () => (rand() < 0.3 ? Infinity : rand() < 0.2 ? -Infinity : rand()))],
      // Discrete levels: ties at the sampled bounds, counted apart from the band.
      ['five levels', Float32Array.from({ length: n }, () => Math.floor(rand() * 5) / 4)],
      ['two levels', Float32Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1))],
      ['signed zeros', Float32Array.from({ length: n }, () => (rand() < 0.4 ? -0 : rand() < 0.5 ? 0 : rand() - 0.5))],
      // A level shift halfway (date-ordered data drifts): the evenly spaced sample still brackets the median.
      ['drifting', Float32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 10) + rand())],
      // Many copies of one value strictly inside the sampled band: the band overflows and the radix selection answers.
      ['tie inside the band', Float32Array.from({ length: n }, (_, i) => (i % 7 < 3 ? 0.5 + (i % 2 ? 1e-6 : -1e-6) : rand()))],
    ];
    for (const [name, buf] of cases) {
      for (const len of [n, n - 1, 9000]) {
        // -0 and +0 are one value to a median.
        const m = medianFloat32(buf, len);
        const expected = naiveMedian(buf.subarray(0, len));
        expect(m === expected || (Number.isNaN(m) && Number.isNaN(expected)), `${name} ${len}: ${m} vs ${expected}`).toBe(true);
      }
    }
    // A regular pattern of huge values among small ones.
    for (const len of [n, 9000]) {
      const buf = Float32Array.from({ length: len }, (_, i) => i % 3);
      for (let j = 0; j < 2048; j++) buf[Math.floor((j * len) / 2048)] = 1e6 + j;
      expect(medianFloat32(buf, len), `adversarial ${len}`).toBe(naiveMedian(buf));
    }
  });
});

/** Processors with options that touch features, labels, rows or column sets. */
function everyProcessor(): Processor[] {
  const fit = { fit_start_time: '2020-01-01', fit_end_time: '2020-01-04' };
  return [
    createProcessor('RobustZScoreNorm', { fields_group: 'feature', ...fit }),
    createProcessor('RobustZScoreNorm', { fields_group: 'label', clip_outlier: false, ...fit }),
    createProcessor('ZScoreNorm', { ...fit }),
    createProcessor('MinMaxNorm', { fields_group: 'feature', ...fit }),
    createProcessor('Fillna', { fields_group: 'feature', fill_value: -7 }),
    createProcessor('Fillna', {}),
    createProcessor('DropnaLabel'),
    createProcessor('DropnaFeature'),
    createProcessor('CSRankNorm', { fields_group: 'label' }),
    createProcessor('CSZScoreNorm', { fields_group: 'feature', method: 'robust' }),
    createProcessor('CSZFillna', { fields_group: 'feature' }),
    createProcessor('ProcessInf'),
    createProcessor('TanhProcess'),
    createProcessor('FilterCol', { col_list: ['F0', 'F2'] }),
  ];
}

function arrays(f: HandlerFrame) {
  return { rows: f.rows, rowDate: Array.from(f.rowDate), rowInst: Array.from(f.rowInst), features: Array.from(f.features), labels: Array.from(f.labels), featureNames: f.featureNames };
}

describe('pipeline array ownership', () => {
  it('each processor gives the same frame as applying it in place to a copy, and never writes the caller’s arrays', () => {
    for (const p of everyProcessor()) {
      const frame = randomFrame(5, 8, 12, 4);
      frame.features[3] = Infinity;
      const before = arrays(frame);
      const viaPipeline = fitAndApply([p], frame, null, null);
      const copy = cloneFrame(frame);
      const inPlace = (p as BaseProcessor).applyInPlace(copy);
      expect(arrays(viaPipeline), p.name).toEqual(arrays(inPlace));
      expect(arrays(frame), p.name).toEqual(before);
    }
  });

  it('chains all of them without touching the input, and the result equals step-by-step copies', () => {
    const frame = randomFrame(9, 10, 15, 4);
    const before = arrays(frame);
    const chain = everyProcessor().filter((p) => p.name !== 'FilterCol');
    const out = fitAndApply(chain, frame, null, null);
    let expected = frame;
    for (const p of chain) {
      p.fit(expected);
      expected = (p as BaseProcessor).applyInPlace(cloneFrame(expected));
    }
    expect(arrays(out)).toEqual(arrays(expected));
    expect(arrays(frame)).toEqual(before);
  });

  it('fitInferLearn in place overwrites the handed-over frame and gives the same frames', () => {
    const infer = () => [createProcessor('RobustZScoreNorm', { fields_group: 'feature' }), createProcessor('Fillna', { fields_group: 'feature' })];
    const learn = () => [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })];
    const copied = fitInferLearn(infer(), learn(), randomFrame(6, 10, 15, 3), null, null);
    const handed = randomFrame(6, 10, 15, 3);
    const inPlace = fitInferLearn(infer(), learn(), handed, null, null, 'append', { inPlace: true });
    expect(arrays(inPlace.infer)).toEqual(arrays(copied.infer));
    expect(arrays(inPlace.learn)).toEqual(arrays(copied.learn));
    expect(inPlace.infer.features).toBe(handed.features);
    // independent: the raw frame feeds the learn processors, so it is never overwritten.
    const raw = randomFrame(6, 10, 15, 3);
    const before = arrays(raw);
    fitInferLearn(infer(), learn(), raw, null, null, 'independent', { inPlace: true });
    expect(arrays(raw)).toEqual(before);
  });

  it('the learn frame is built from the infer frame without changing it', () => {
    const frame = randomFrame(3, 10, 15, 3);
    const infer = [createProcessor('RobustZScoreNorm', { fields_group: 'feature' }), createProcessor('Fillna', { fields_group: 'feature' })];
    const learn = [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })];
    const out = fitInferLearn(infer, learn, frame, null, null);
    const inferAgain = applyProcessors(infer, frame);
    expect(arrays(out.infer)).toEqual(arrays(inferAgain));
    expect(out.learn.rows).toBeLessThan(out.infer.rows);
    expect(out.learn.features.buffer).not.toBe(out.infer.features.buffer);
    // Kept rows carry the infer frame's features unchanged.
    let r = 0;
    for (let i = 0; i < out.infer.rows; i++) {
      if (Number.isNaN(out.infer.labels[i]!)) continue;
      expect(Array.from(out.learn.features.subarray(r * 3, r * 3 + 3))).toEqual(Array.from(out.infer.features.subarray(i * 3, i * 3 + 3)));
      r++;
    }
    expect(r).toBe(out.learn.rows);
  });
});

describe('rowMajorFromColumns', () => {
  it('puts value [r][c] at r * width + c, across transposition blocks', () => {
    for (const [rows, width] of [[0, 3], [1, 1], [257, 5], [1000, 7], [600, 0]] as const) {
      const cols = Array.from({ length: width }, (_, c) => Float32Array.from({ length: rows }, (_, r) => (r === 3 ? NaN : r * 100 + c)));
      const out = rowMajorFromColumns(cols, rows);
      expect(out.length).toBe(rows * width);
      const expected: number[] = [];
      for (let r = 0; r < rows; r++) for (let c = 0; c < width; c++) expected.push(cols[c]![r]!);
      expect(Array.from(out)).toEqual(expected);
    }
  });
});

describe('normaliser arithmetic', () => {
  it('(x - center) / scale rounds each step to float32, for float32 scales and any other', () => {
    const rand = rng(21);
    const rows = 4000;
    const names = ['A', 'B', 'C', 'D', 'E'];
    const magnitude = () => Math.exp((rand() - 0.5) * 60) * (rand() < 0.5 ? -1 : 1);
    const features = Float32Array.from({ length: rows * names.length }, () => (rand() < 0.05 ? NaN : rand() < 0.02 ? Infinity : rand() < 0.02 ? 0 : magnitude()));
    const frame: HandlerFrame = {
      rows,
      dates: ['2020-01-01'],
      instruments: Array.from({ length: rows }, (_, i) => `I${i}`),
      rowDate: new Int32Array(rows),
      rowInst: Int32Array.from({ length: rows }, (_, i) => i),
      featureNames: names,
      features,
      labelNames: [],
      labels: new Float32Array(0),
    };
    for (const float32Scales of [true, false]) {
      const center = names.map(() => Math.fround(magnitude()));
      const scale = names.map((_, k) => (k === 4 ? 0 : float32Scales ? Math.fround(Math.abs(magnitude())) : Math.abs(magnitude())));
      const p = createProcessor('ZScoreNorm', { fields_group: 'feature' });
      p.load({ processor: 'ZScoreNorm', columns: names.map((n) => ['feature', n]), center, scale });
      const out = applyProcessors([p], frame);
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < names.length; k++) {
          const x = features[r * names.length + k]!;
          const expected = Math.fround(Math.fround(x - center[k]!) / scale[k]!);
          expect(Object.is(out.features[r * names.length + k], expected) || (Number.isNaN(expected) && Number.isNaN(out.features[r * names.length + k]!))).toBe(true);
        }
      }
    }
  });
});
