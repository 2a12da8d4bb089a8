import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alpha158Fields, DEFAULT_LABEL } from '../../../../../plugins/data-qlib/src/alpha/index.js';
import { evaluateAll, parseExpressionWith, type SeriesInput } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { BinaryDataReader } from '../../../../../plugins/data-qlib/src/storage/index.js';
import { generateSyntheticMarket } from '../../../../../plugins/data-qlib/src/synth/index.js';

/**
 * Alpha158 + label on a seeded synthetic market, hashed bit for bit. The
 * expected digests were computed with the evaluator before the speed work of
 * issue 15 (shared kernel passes, pooled scratch; the qlib-mode one after
 * qlib mode's float64 intermediates landed): any change to a single float32
 * of any feature changes them.
 */
const EXPECTED = {
  default: '14405:1ba1665dd2808f1afa401af27fa7bf39e6f952dad5d9a0385cae36623669c01a',
  qlib: '14405:24a0fc924bd5278aba3b6377f3429e2c7cc4a01f82a10ef1cfc77e7421d115da',
};

let dir = '';
let inputs: SeriesInput[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-alpha158-digest-'));
  const uri = path.join(dir, 'mkt');
  await generateSyntheticMarket(uri, { instruments: 16, start: '2017-01-01', end: '2021-06-30', seed: 7 });
  const reader = new BinaryDataReader(uri);
  inputs = [...reader.instruments('all').keys()].map((code) => {
    const series = new Map<string, { start: number; values: Float32Array }>();
    for (const f of ['open', 'high', 'low', 'close', 'volume', 'vwap']) {
      const s = reader.feature(code, f);
      if (s) series.set(f, s);
    }
    const start = Math.min(...[...series.values()].map((s) => s.start));
    const end = Math.max(...[...series.values()].map((s) => s.start + s.values.length));
    const length = end - start;
    const aligned = new Map<string, Float32Array>();
    for (const [f, s] of series) {
      const a = new Float32Array(length).fill(NaN);
      a.set(s.values, s.start - start);
      aligned.set(f, a);
    }
    return { length, field: (n: string) => aligned.get(n) ?? new Float32Array(length).fill(NaN) };
  });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Alpha158 + label, bit for bit', () => {
  for (const mode of ['default', 'qlib'] as const) {
    it(`${mode} mode gives the same float32 values as before the issue-15 kernels`, () => {
      const exprs = [...alpha158Fields().fields, ...DEFAULT_LABEL.fields].map((e) => parseExpressionWith(e, { mode }));
      const h = createHash('sha256');
      let rows = 0;
      for (const input of inputs) {
        rows += input.length;
        for (const v of evaluateAll(exprs, input, { mode })) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      }
      expect(rows).toBeGreaterThan(5000);
      expect(`${rows}:${h.digest('hex')}`).toBe(EXPECTED[mode]);
    });
  }
});
