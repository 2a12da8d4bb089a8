import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HandlerFrame } from '../../../../../core/index.js';
import { alpha158Fields, DEFAULT_LABEL } from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { ExprHandler } from '../../../../../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn } from '../../../../../plugins/data-qlib/src/processors/index.js';
import { RowBlockAssembler, type InstrumentRows } from '../../../../../plugins/data-qlib/src/provider/assemble-frame.js';
import { FloatBufferPool, frameBuffers } from '../../../../../plugins/data-qlib/src/provider/frame-buffers.js';
import { QlibDataProvider } from '../../../../../plugins/data-qlib/src/provider/qlib-provider.js';
import { readCalendar } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { generateSyntheticMarket } from '../../../../../plugins/data-qlib/src/synth/index.js';
import { rng } from '../../../../helpers/rng.js';

const MIN = frameBuffers.minLength;

/** Same values, bit for bit (NaN included); a boolean, as diffs of millions of values take minutes. */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('FloatBufferPool', () => {
  it('drops released buffers left unused for idleMs', () => {
    vi.useFakeTimers();
    try {
      const pool = new FloatBufferPool(16, 1 << 20, 1000);
      pool.release(pool.take(100, false));
      expect(pool.freeBytes()).toBeGreaterThan(0);
      vi.advanceTimersByTime(999);
      expect(pool.freeBytes()).toBeGreaterThan(0);
      vi.advanceTimersByTime(1);
      expect(pool.freeBytes()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never hands out a buffer that was not released, and reuses one that was', () => {
    const pool = new FloatBufferPool(16, 1 << 20);
    const a = pool.take(100, false);
    const b = pool.take(100, false);
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(7);
    pool.release(a);
    pool.release(a); // twice: still one free buffer
    const c = pool.take(90, false);
    expect(c.buffer).toBe(a.buffer);
    expect(c.length).toBe(90);
    expect(c[0]).toBe(7); // stale unless asked to zero
    const d = pool.take(90, false);
    expect(d.buffer).not.toBe(a.buffer);
    pool.release(c);
    const e = pool.take(50, true);
    expect(e.buffer).toBe(a.buffer);
    expect(Array.from(e)).toEqual(new Array(50).fill(0));
  });

  it('ignores arrays it did not lend, allocates small arrays as usual, and keeps at most maxFreeBytes', () => {
    const pool = new FloatBufferPool(16, 1000);
    pool.release(new Float32Array(100));
    expect(pool.freeBytes()).toBe(0);
    const small = pool.take(8, false);
    pool.release(small);
    expect(pool.freeBytes()).toBe(0);
    const big = [pool.take(100, false), pool.take(100, false), pool.take(100, false)];
    for (const x of big) pool.release(x);
    expect(pool.freeBytes()).toBeLessThanOrEqual(1000);
    expect(pool.freeBytes()).toBeGreaterThan(0);
    // The smallest fitting buffer is taken.
    const bigger = pool.take(200, false);
    expect(bigger.buffer.byteLength).toBeGreaterThanOrEqual(800);
  });
});

describe('frames on pooled memory', () => {
  it('RowBlockAssembler gives the same blocks on stale reused memory as on new memory (a part never written stays 0)', () => {
    const days = 40;
    const instruments = 60;
    const widths = [Math.ceil((1.5 * MIN) / (days * instruments)), 1];
    const rand = rng(3);
    const parts: InstrumentRows[] = Array.from({ length: instruments }, (_, k) => ({
      code: `I${k}`,
      from: k % 7,
      to: days - 1 - (k % 5),
      mask: k % 3 === 0 ? Uint8Array.from({ length: days - (k % 7) - (k % 5) }, () => (rand() < 0.8 ? 1 : 0)) : null,
    }));
    const width = widths[0]! + widths[1]!;
    const series = parts.map(() => Array.from({ length: width }, () => Float32Array.from({ length: days + 3 }, () => rand())));
    const dates = Array.from({ length: days }, (_, d) => `2020-01-${String(d + 1).padStart(2, '0')}`);
    const build = () => {
      const asm = new RowBlockAssembler(dates, 0, days - 1, ['x'], widths, parts);
      for (let k = 0; k < instruments; k++) if (k !== 11) asm.write(k, -2, series[k]!);
      return asm.result();
    };
    frameBuffers.clear();
    const fresh = build();
    expect(fresh.blocks[0]!.length).toBeGreaterThanOrEqual(MIN);
    const expected = fresh.blocks.map((b) => Array.from(b));
    // Hand the blocks back with garbage in them: the next assembly reuses them.
    for (const b of fresh.blocks) {
      b.fill(-99);
      frameBuffers.release(b);
    }
    const reused = build();
    expect(reused.blocks[0]!.buffer).toBe(fresh.blocks[0]!.buffer);
    expect(reused.blocks.every((b, g) => same(b, expected[g]!))).toBe(true);
    expect(same(reused.blocks[0]!.subarray(0, 10), new Float32Array(10))).toBe(false);
    frameBuffers.clear();
  });

  it('DropnaLabel copies the kept rows into stale reused memory with the same result, leaving the infer frame alone', () => {
    const rows = Math.ceil((1.3 * MIN) / 8);
    const f = 8;
    const frame = (): HandlerFrame => {
      const r2 = rng(9);
      return {
        rows,
        dates: Array.from({ length: rows }, (_, i) => String(100000 + i)),
        instruments: ['A'],
        rowDate: Int32Array.from({ length: rows }, (_, i) => i),
        rowInst: new Int32Array(rows),
        featureNames: Array.from({ length: f }, (_, i) => `f${i}`),
        features: Float32Array.from({ length: rows * f }, () => r2()),
        labelNames: ['y'],
        labels: Float32Array.from({ length: rows }, () => (r2() < 0.1 ? NaN : r2())),
      };
    };
    const run = () => fitInferLearn([], [createProcessor('DropnaLabel')], frame(), null, null, 'append', { inPlace: true });
    frameBuffers.clear();
    const first = run();
    expect(first.learn.features.buffer).not.toBe(first.infer.features.buffer);
    const expectedLearn = Array.from(first.learn.features);
    const expectedInfer = Array.from(first.infer.features);
    first.learn.features.fill(-1);
    frameBuffers.release(first.learn.features);
    const second = run();
    expect(second.learn.features.buffer).toBe(first.learn.features.buffer);
    expect(second.learn.rows).toBeLessThan(rows);
    expect(same(second.learn.features, expectedLearn)).toBe(true);
    expect(same(second.infer.features, expectedInfer)).toBe(true);
    frameBuffers.clear();
  });
});

describe('ExprHandler.release', () => {
  let root = '';
  let uri = '';
  let dates: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'qonline-frame-buffers-'));
    uri = path.join(root, 'mkt');
    // Enough rows that the Alpha158 frame is pooled (>= MIN values).
    await generateSyntheticMarket(uri, { instruments: 30, start: '2019-01-01', end: '2020-06-30', seed: 4 });
    dates = await readCalendar(uri, 'day');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const handler = () =>
    // A provider each: its memo of small frames would otherwise hand out copies.
    new ExprHandler(new QlibDataProvider({ id: 't', uri, threads: 1 }), {
      instruments: 'all',
      startTime: dates[0]!,
      endTime: null,
      fitStartTime: dates[0]!,
      fitEndTime: dates[200]!,
      features: alpha158Fields(),
      labels: { fields: [...DEFAULT_LABEL.fields], names: [...DEFAULT_LABEL.names] },
      inferProcessors: [createProcessor('RobustZScoreNorm', { fields_group: 'feature', fit_start_time: dates[0]!, fit_end_time: dates[200]! }), createProcessor('Fillna', { fields_group: 'feature' })],
      learnProcessors: [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })],
    });
  const values = (f: HandlerFrame) => ({ features: f.features.slice(), labels: f.labels.slice(), rowDate: f.rowDate.slice() });
  const sameFrame = (f: HandlerFrame, v: ReturnType<typeof values>) => same(f.features, v.features) && same(f.labels, v.labels) && same(f.rowDate, v.rowDate);

  it('a live handler keeps its memory; a released one hands it to the next handler, whose frames are the same', async () => {
    frameBuffers.clear();
    const h1 = handler();
    const learn1 = await h1.fetch(dates[0]!, null, 'learn');
    const infer1 = await h1.fetch(dates[0]!, null, 'infer');
    expect(infer1.features.length).toBeGreaterThanOrEqual(MIN);
    expect(learn1.features.length).toBeGreaterThanOrEqual(MIN);
    const expected = { learn: values(learn1), infer: values(infer1) };

    // h1 is alive: h2 gets other memory, and h1's frames are untouched.
    const h2 = handler();
    const learn2 = await h2.fetch(dates[0]!, null, 'learn');
    const infer2 = await h2.fetch(dates[0]!, null, 'infer');
    const h1Buffers = new Set([learn1.features.buffer, infer1.features.buffer]);
    expect(h1Buffers.has(learn2.features.buffer) || h1Buffers.has(infer2.features.buffer)).toBe(false);
    expect(sameFrame(learn1, expected.learn)).toBe(true);
    expect(sameFrame(infer1, expected.infer)).toBe(true);

    // Released with garbage left in its memory: h3 reuses it and builds the same frames.
    h1.release();
    learn1.features.fill(-5);
    infer1.features.fill(-5);
    const h3 = handler();
    const learn3 = await h3.fetch(dates[0]!, null, 'learn');
    const infer3 = await h3.fetch(dates[0]!, null, 'infer');
    expect(h1Buffers.has(learn3.features.buffer) && h1Buffers.has(infer3.features.buffer)).toBe(true);
    expect(sameFrame(learn3, expected.learn)).toBe(true);
    expect(sameFrame(infer3, expected.infer)).toBe(true);
    expect(sameFrame(learn2, expected.learn)).toBe(true);

    // A released handler loads again when asked.
    expect(sameFrame(await h1.fetch(dates[0]!, null, 'learn'), expected.learn)).toBe(true);
    h2.release();
    h3.release();
    h1.release();
    frameBuffers.clear();
  }, 60_000);
});
