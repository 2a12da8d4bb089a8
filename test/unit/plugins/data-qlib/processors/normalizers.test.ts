import { describe, expect, it } from 'vitest';
import { MinMaxNorm, RobustZScoreNorm, ZScoreNorm } from '../../../../../plugins/data-qlib/src/processors/index.js';
import { medianInPlace } from '../../../../../plugins/data-qlib/src/processors/nan-stats.js';
import { column, f32, makeFrame, randomFrame, rng } from './make-frame.js';

/** One feature A (and a label) over five instruments on one date. */
function oneDate(values: number[], label: number[] = values.map(() => 0)) {
  return makeFrame(
    ['A'],
    ['LABEL0'],
    values.map((v, i) => ['2020-01-02', `I${i}`, [v], [label[i]!]]),
  );
}

function naiveMedian(xs: number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe('medianInPlace', () => {
  it('matches the median of a sorted copy on random arrays with ties', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const xs = Array.from({ length: n }, () => Math.floor(rand() * 10) - (rand() < 0.1 ? Infinity : 0));
      const buf = Float64Array.from(xs);
      expect(medianInPlace(buf, n)).toBe(naiveMedian(xs));
    }
  });
});

describe('RobustZScoreNorm', () => {
  it('uses median and MAD * 1.4826, clips to [-3, 3], ignores NaN', () => {
    const frame = oneDate([1, 2, 3, 4, 100, NaN]);
    const p = new RobustZScoreNorm({ fields_group: 'feature' });
    p.fit(frame);
    // median 3; |x - 3| = 2 1 0 1 97 -> MAD 1
    const scale = f32(f32(1 + 1e-12) * 1.4826);
    const out = column(p.apply(frame), 'A');
    expect(out.slice(0, 4)).toEqual([1, 2, 3, 4].map((x) => f32((x - 3) / scale)));
    expect(out[4]).toBe(3);
    expect(out[5]).toBeNaN();
    expect(p.state()).toMatchObject({ processor: 'RobustZScoreNorm', center: [3], scale: [scale] });
  });

  it('averages the two middle values for an even count and keeps outliers when clip_outlier is false', () => {
    const frame = oneDate([1, 2, 3, 4, -100, 100]);
    const p = new RobustZScoreNorm({ fields_group: 'feature', clip_outlier: false });
    p.fit(frame);
    // median 2.5; |x - 2.5| = 1.5 .5 .5 1.5 102.5 97.5 -> MAD (1.5 + 1.5) / 2 = 1.5
    const scale = f32(f32(1.5 + 1e-12) * 1.4826);
    const out = column(p.apply(frame), 'A');
    expect(out).toEqual([1, 2, 3, 4, -100, 100].map((x) => f32(f32(x - 2.5) / scale)));
    expect(out[5]).toBeGreaterThan(40);
  });

  it('with fields_group null also normalises the label', () => {
    const frame = oneDate([1, 2, 3], [10, 20, 30]);
    const p = new RobustZScoreNorm();
    p.fit(frame);
    const scale = f32(f32(10 + 1e-12) * 1.4826);
    expect(column(p.apply(frame), 'LABEL0')).toEqual([f32(-10 / scale), 0, f32(10 / scale)]);
  });

  it('fits a wide frame (several column tiles, features and label) as a naive per-column median and MAD do', () => {
    // 150 features: the fit gathers the columns in several tiles; with
    // fields_group null the label is fitted too. Enough rows that the
    // median takes the sampled path.
    const frame = randomFrame(21, 40, 260, 150);
    expect(frame.rows).toBeGreaterThan(8192);
    const p = new RobustZScoreNorm({ fields_group: null });
    p.fit(frame);
    const state = p.state() as { columns: [string, string][]; center: number[]; scale: number[] };
    const names = [...frame.featureNames, ...frame.labelNames];
    expect(state.columns.map((c) => c[1])).toEqual(names);
    names.forEach((name, k) => {
      const xs = column(frame, name).filter((x) => !Number.isNaN(x));
      const median = f32(naiveMedian(xs));
      const mad = f32(naiveMedian(xs.map((x) => Math.abs(f32(x - median)))));
      expect(state.center[k], name).toBe(median);
      expect(state.scale[k], name).toBe(f32(f32(mad + 1e-12) * 1.4826));
    });
  });

  it('fits only on its fit window and applies to every row', () => {
    const frame = makeFrame(
      ['A'],
      [],
      [
        ['2020-01-02', 'X', [1], []],
        ['2020-01-02', 'Y', [3], []],
        ['2020-01-03', 'X', [5], []],
        ['2020-01-06', 'X', [1000], []],
        ['2020-01-06', 'Y', [-1000], []],
      ],
    );
    const p = new RobustZScoreNorm({ fit_start_time: '2020-01-01', fit_end_time: '2020-01-03' });
    p.fit(frame);
    // window values 1 3 5: median 3, MAD 2
    const scale = f32(f32(2 + 1e-12) * 1.4826);
    expect(column(p.apply(frame), 'A')).toEqual([f32(-2 / scale), 0, f32(2 / scale), 3, -3]);
  });
});

describe('ZScoreNorm', () => {
  it('uses the population std (ddof 0) and leaves a constant column alone', () => {
    const frame = makeFrame(
      ['A', 'C'],
      ['LABEL0'],
      [1, 2, 3, 4].map((x, i) => ['2020-01-02', `I${i}`, [x, 0.1], [NaN]]),
    );
    const p = new ZScoreNorm({ fields_group: 'feature' });
    p.fit(frame);
    const std = f32(Math.sqrt(1.25)); // mean 2.5, squared deviations 2.25 .25 .25 2.25
    const out = p.apply(frame);
    expect(column(out, 'A')).toEqual([1, 2, 3, 4].map((x) => f32(f32(x - 2.5) / std)));
    expect(column(out, 'C')).toEqual([f32(0.1), f32(0.1), f32(0.1), f32(0.1)]);
    expect(column(out, 'LABEL0').every(Number.isNaN)).toBe(true);
  });

  it('restricts the statistics to the fit window', () => {
    const frame = makeFrame(
      ['A'],
      [],
      [
        ['2020-01-02', 'X', [0], []],
        ['2020-01-03', 'X', [2], []],
        ['2020-01-06', 'X', [100], []],
      ],
    );
    const p = new ZScoreNorm({ fit_end_time: '2020-01-03' });
    p.fit(frame);
    expect(column(p.apply(frame), 'A')).toEqual([-1, 1, 99]);
  });

  it('matches a naive pooled mean / std on a random frame with NaN', () => {
    const frame = randomFrame(3, 12, 20, 3);
    const p = new ZScoreNorm({ fit_end_time: '2020-01-08' });
    p.fit(frame);
    const out = p.apply(frame);
    const fitRows = Array.from(frame.rowDate).map((d) => frame.dates[d]! <= '2020-01-08');
    for (const name of ['F0', 'F2', 'LABEL0']) {
      const xs = column(frame, name);
      const win = xs.filter((x, r) => fitRows[r] && !Number.isNaN(x));
      const mean = win.reduce((a, b) => a + b, 0) / win.length;
      const std = Math.sqrt(win.reduce((a, b) => a + (b - mean) ** 2, 0) / win.length);
      const got = column(out, name);
      xs.forEach((x, r) => {
        if (Number.isNaN(x)) expect(got[r]).toBeNaN();
        else expect(got[r]).toBeCloseTo((x - mean) / std, 5);
      });
    }
  });
});

describe('ZScoreNorm and MinMaxNorm statistics streamed over rows', () => {
  // The same processors forced to gather each column and call fitColumn.
  class GatheredZ extends ZScoreNorm {
    protected override readonly fitsFromStats = false;
  }
  class GatheredMinMax extends MinMaxNorm {
    protected override readonly fitsFromStats = false;
  }

  it('fit exactly what gathering each column gives (NaN, infinities, constant and empty columns, features and label)', () => {
    for (const seed of [1, 2, 3]) {
      const frame = randomFrame(seed, 12, 40, 90);
      const f = frame.featureNames.length;
      for (let r = 0; r < frame.rows; r++) {
        frame.features[r * f + 3] = 2.5; // constant
        frame.features[r * f + 4] = NaN; // empty
      }
      frame.features[7] = Infinity;
      frame.features[f + 8] = -Infinity;
      for (const fields_group of [null, 'feature', 'label'] as const) {
        const pairs: [{ fit(x: typeof frame): void; state(): unknown }, { fit(x: typeof frame): void; state(): unknown }][] = [
          [new ZScoreNorm({ fields_group }), new GatheredZ({ fields_group })],
          [new MinMaxNorm({ fields_group }), new GatheredMinMax({ fields_group })],
        ];
        for (const [streamed, gathered] of pairs) {
          streamed.fit(frame);
          gathered.fit(frame);
          expect(streamed.state(), `seed ${seed} ${fields_group}`).toEqual(gathered.state());
        }
      }
    }
  });
});

describe('MinMaxNorm', () => {
  it('maps the fit window min and max to 0 and 1', () => {
    const frame = oneDate([2, 4, 6, NaN, 10]);
    const p = new MinMaxNorm({ fields_group: 'feature' });
    p.fit(frame);
    expect(column(p.apply(frame), 'A')).toEqual([0, 0.25, 0.5, NaN, 1]);
  });
});

describe('fitted state', () => {
  it('survives JSON, including NaN statistics of an all-NaN column', () => {
    const frame = makeFrame(
      ['A', 'B'],
      ['LABEL0'],
      [
        ['2020-01-02', 'X', [1, NaN], [0.5]],
        ['2020-01-02', 'Y', [5, NaN], [-0.5]],
        ['2020-01-03', 'X', [9, NaN], [1.5]],
      ],
    );
    for (const make of [() => new RobustZScoreNorm(), () => new ZScoreNorm(), () => new MinMaxNorm()]) {
      const fitted = make();
      fitted.fit(frame);
      const restored = make();
      restored.load(JSON.parse(JSON.stringify(fitted.state())));
      const a = fitted.apply(frame);
      const b = restored.apply(frame);
      expect(Array.from(b.features)).toEqual(Array.from(a.features));
      expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
      expect(column(b, 'B').every(Number.isNaN)).toBe(true);
    }
  });

  it('maps fitted columns by name when the frame orders them differently', () => {
    const fitFrame = makeFrame(['A', 'B'], [], [
      ['2020-01-02', 'X', [0, 10], []],
      ['2020-01-02', 'Y', [2, 30], []],
    ]);
    const p = new MinMaxNorm();
    p.fit(fitFrame);
    const other = makeFrame(['B', 'A'], [], [['2020-01-03', 'X', [20, 1], []]]);
    expect(Array.from(p.apply(other).features)).toEqual([0.5, 0.5]);
  });

  it('refuses state of another processor, a missing column, use before fit and an empty fit window', () => {
    const frame = oneDate([1, 2, 3]);
    const z = new ZScoreNorm();
    z.fit(frame);
    expect(() => new MinMaxNorm().load(z.state())).toThrow(/saved by ZScoreNorm/);
    expect(() => new ZScoreNorm().apply(frame)).toThrow(/before it was fitted/);
    const renamed = { ...frame, featureNames: ['Z'] };
    expect(() => z.apply(renamed)).toThrow(/feature:A/);
    expect(() => new ZScoreNorm({ fit_start_time: '2021-01-01' }).fit(frame)).toThrow(/no rows to fit on/);
  });

  it('does not change the frame it is given', () => {
    const frame = oneDate([1, 2, 3]);
    const before = Array.from(frame.features);
    const p = new ZScoreNorm();
    p.fit(frame);
    p.apply(frame);
    expect(Array.from(frame.features)).toEqual(before);
  });
});
