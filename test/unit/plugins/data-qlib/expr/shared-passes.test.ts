import { describe, expect, it } from 'vitest';
import { evaluate, evaluateAll, parseExpressionWith } from '../../../../../plugins/data-qlib/src/expr/index.js';
import { rollingPair } from '../../../../../plugins/data-qlib/src/expr/kernels/pairwise.js';
import { input, ties, walk } from './series.js';

/**
 * The evaluator computes rolling statistics of one series and window in one
 * kernel pass and reuses the arrays of intermediate series: every result must
 * be what the expression gives evaluated alone, and the arrays handed out
 * must never change afterwards.
 */
const SIBLINGS = [
  'Slope($close, 10)', 'Rsquare($close, 10)', 'Resi($close, 10)',
  'Slope($close, 0)', 'Rsquare($close, 0)', 'Resi($close, 0)',
  'Max($high, 7)', 'IdxMax($high, 7)', 'Min($low, 7)', 'IdxMin($low, 7)',
  'IdxMax($high, 0)', 'Max($high, 0)',
  'Quantile($close, 20, 0.8)', 'Quantile($close, 20, 0.2)', 'Med($close, 20)', 'Mad($close, 20)', 'Rank($close, 20)',
  'Quantile($close, 60, 0.8)', 'Quantile($close, 60, 0.2)', 'Med($close, 60)', 'Mad($close, 60)', 'Rank($close, 60)',
  'Quantile($v, 50, 0.3)', 'Med($v, 50)', 'Mad($v, 50)', 'Rank($v, 50)', 'Rank($v, 0)', 'Mad($v, 0)',
  'Sum(Greater($close-Ref($close, 1), 0), 5)/(Sum(Abs($close-Ref($close, 1)), 5)+1e-12)',
  'Corr($close/Ref($close,1), Log($v/Ref($v, 1)+1), 10)',
  '$close', 'Ref($close, 0)', 'Abs($close) + 0',
  // Corr's sides' Std(x, N) are steps shared with the same Std elsewhere in the list.
  'Std($close, 10)', 'Corr($close, Log($v+1), 10)', 'Corr($close, $close, 5)', 'Std(Log($v+1), 10)',
  // Infinities (1/0) read as NaN by every windowed reader of one series.
  'Sum(1/Greater($v-3, 0), 5)', 'Std(1/Greater($v-3, 0), 5)', 'Max(1/Greater($v-3, 0), 5)', 'Count(1/Greater($v-3, 0), 5)',
  // Elementwise results written straight into the result buffer: one read by another root, one twice a root.
  'Mean(Abs($close) + 0, 5)', 'Abs($close) + 0', '$close / 2', '1 + 2',
];

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

function market() {
  const close = walk(3, 400);
  const high = Float32Array.from(close, (v, t) => v * (1 + 0.01 * (t % 7)));
  const low = Float32Array.from(close, (v, t) => v * (1 - 0.01 * (t % 5)));
  const v = Float32Array.from({ length: 400 }, (_, t) => ties(5, 400)[t]! + 1);
  return input({ close, high, low, v });
}

describe('shared kernel passes and pooled intermediates', () => {
  for (const mode of ['default', 'qlib'] as const) {
    it(`give each expression its value evaluated alone (${mode} mode), bit for bit`, () => {
      const nodes = SIBLINGS.map((e) => parseExpressionWith(e, { mode }));
      const together = evaluateAll(nodes, market(), { mode });
      const copies = together.map((a) => a.slice());
      nodes.forEach((n, k) => {
        const alone = evaluate(n, market(), { mode });
        expect(bits(together[k]!), SIBLINGS[k]).toEqual(bits(alone));
      });
      // More evaluations reuse the pool: what was handed out stays as it was.
      for (let r = 0; r < 3; r++) evaluateAll(nodes, market(), { mode });
      together.forEach((a, k) => expect(a, SIBLINGS[k]).toEqual(copies[k]));
      // No two results share memory.
      const spans = together.map((a) => [a.buffer, a.byteOffset, a.byteOffset + a.byteLength] as const);
      for (const [i, [b, lo, hi]] of spans.entries()) {
        for (const [b2, lo2, hi2] of spans.slice(i + 1)) expect(b === b2 && lo < hi2 && lo2 < hi).toBe(false);
      }
    });
  }
});

describe('Corr with its sides\' Std shared', () => {
  it('gives what the kernel gives computing the stds itself, bit for bit', () => {
    const m = market();
    // $close / 1e6 varies, but its std stays under Corr's 2e-5 mask: each side's own std must mask.
    const exprs = ['Std($close, 10)', 'Corr($close, Log($v+1), 10)', 'Log($v+1)', 'Std($close / 1e6, 10)', 'Corr($close / 1e6, Log($v+1), 10)', '$close / 1e6'];
    const [, corr, logV, , tinyCorr, tiny] = evaluateAll(exprs.map((e) => parseExpressionWith(e, { mode: 'default' })), m);
    const own = rollingPair(m.field('close'), logV!, 10, 'corr') as Float32Array;
    expect(bits(corr!)).toEqual(bits(own));
    expect(own.some((v) => v === v)).toBe(true);
    const tinyOwn = rollingPair(tiny!, logV!, 10, 'corr') as Float32Array;
    expect(bits(tinyCorr!)).toEqual(bits(tinyOwn));
    expect(tinyOwn.every((v) => v !== v)).toBe(true);
  });
});
