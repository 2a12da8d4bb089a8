import { describe, expect, it } from 'vitest';
import { type BlockPredictor, FlatForest } from '../../../../plugins/models/src/gbdt/flat-forest.js';
import { leafOfRow, type Tree } from '../../../../plugins/models/src/gbdt/tree.js';
import { rng } from '../../../helpers/rng.js';

/**
 * A random tree grown leaf-wise (unbalanced), with random thresholds (some
 * +-Infinity: the "missing or not" splits), features and missing-value sides.
 * `chain`: always split the newest right child, a tree as deep as it has splits.
 */
function randomTree(rnd: () => number, leaves: number, cols: number, chain = false): Tree {
  const splits = leaves - 1;
  const t: Tree = {
    numLeaves: leaves,
    splitFeature: new Int32Array(splits),
    threshold: new Float64Array(splits),
    thresholdBin: new Int32Array(splits),
    defaultLeft: new Uint8Array(splits),
    leftChild: new Int32Array(splits),
    rightChild: new Int32Array(splits),
    splitGain: new Float64Array(splits),
    leafValue: Float64Array.from({ length: leaves }, () => rnd() - 0.5),
    leafCount: new Int32Array(leaves),
  };
  // Open leaves are referred to by (node, side); split one at random each time.
  const open: [number, 0 | 1][] = [];
  let nextLeaf = 0;
  for (let k = 0; k < splits; k++) {
    t.splitFeature[k] = Math.floor(rnd() * cols);
    const u = rnd();
    t.threshold[k] = u < 0.06 ? Infinity : u < 0.1 ? -Infinity : rnd() * 2 - 1;
    t.defaultLeft[k] = rnd() < 0.5 ? 1 : 0;
    if (k > 0) {
      const [node, side] = open.splice(chain ? open.length - 1 : Math.floor(rnd() * open.length), 1)[0]!;
      (side === 0 ? t.leftChild : t.rightChild)[node] = k;
    }
    open.push([k, 0], [k, 1]);
  }
  for (const [node, side] of open) (side === 0 ? t.leftChild : t.rightChild)[node] = ~nextLeaf++;
  return t;
}

describe('FlatForest', () => {
  it('predicts exactly what walking each tree row by row gives (float64 sums in tree order), for any row count', () => {
    const rnd = rng(5);
    const cols = 7;
    // Trees 5 and 17 are 14 and 20 levels deep: beyond the padded layout, they take the linked walk.
    const trees = Array.from({ length: 23 }, (_, i) => randomTree(rnd, i === 3 ? 1 : i === 5 ? 15 : i === 17 ? 21 : 2 + Math.floor(rnd() * 30), cols, i === 5 || i === 17));
    const forest = new FlatForest(trees);
    for (const rows of [1, 3, 4, 5, 63, 64, 65, 130, 257]) {
      const x = Float32Array.from({ length: rows * cols }, () => {
        const u = rnd();
        return u < 0.08 ? NaN : u < 0.1 ? Infinity : u < 0.12 ? -Infinity : rnd() * 2.2 - 1.1;
      });
      // Thresholds hit exactly: x equal to a threshold goes left.
      if (rows > 2) x[cols + trees[0]!.splitFeature[0]!] = Math.fround(trees[0]!.threshold[0]!);
      const got = forest.predict(x, rows, cols, 0.25);
      for (let r = 0; r < rows; r++) {
        let acc = 0.25;
        for (const t of trees) acc += t.leafValue[leafOfRow(t, x, r * cols)]!;
        expect(got[r], `rows ${rows} row ${r}`).toBe(Math.fround(acc));
      }
    }
  });

  it('the WebAssembly walk (all trees within the padded layout) predicts exactly the row-by-row walk too, and the JavaScript walk', () => {
    const rnd = rng(9);
    const cols = 11;
    // At most 10 leaves: depth <= 9, so every tree is padded and the compiled walk runs.
    const trees = Array.from({ length: 40 }, (_, i) => randomTree(rnd, i === 7 ? 1 : 2 + Math.floor(rnd() * 9), cols));
    const nodes = (new FlatForest(trees) as unknown as { kernel: BlockPredictor }).kernel;
    expect((nodes as unknown as { wasmWalk(f: boolean): unknown }).wasmWalk(false)).not.toBeNull();
    const forest = new FlatForest(trees);
    for (const rows of [1, 7, 8, 9, 64, 65, 200]) {
      const x = Float32Array.from({ length: rows * cols }, () => {
        const u = rnd();
        return u < 0.08 ? NaN : u < 0.1 ? Infinity : u < 0.12 ? -Infinity : u < 0.3 ? Math.fround(trees[Math.floor(rnd() * 40)]!.threshold[0] ?? 0) : rnd() * 2.2 - 1.1;
      });
      const got = forest.predict(x, rows, cols, -0.5);
      for (let r = 0; r < rows; r++) {
        let acc = -0.5;
        for (const t of trees) acc += t.leafValue[leafOfRow(t, x, r * cols)]!;
        expect(got[r], `rows ${rows} row ${r}`).toBe(Math.fround(acc));
      }
    }
  });
});

