import type { Tree } from './tree.js';

/** Rows walked together through one tree: their independent paths overlap in the CPU. */
const ROW_BLOCK = 64;

/**
 * All trees in flat arrays for prediction. Leaves are nodes too, absorbing
 * ones (both children point back to the leaf), so a row walks exactly the
 * tree's depth in steps with no data-dependent exit, and a block of rows moves
 * through a tree level by level, each row's step independent of the others'.
 */
export class FlatForest {
  private readonly roots: Int32Array;
  private readonly depth: Int32Array;
  /** Per node [threshold, feature, left child, right child]: one cache line serves a step. */
  private readonly nodes: Float64Array;
  /** 1 when a missing value goes right (leaves: 0, so a row stays). */
  private readonly missingRight: Uint8Array;
  /** Value of leaf nodes (0 for split nodes). */
  private readonly value: Float64Array;

  constructor(trees: Tree[]) {
    let total = 0;
    for (const t of trees) total += 2 * t.numLeaves - 1;
    this.roots = new Int32Array(trees.length);
    this.depth = new Int32Array(trees.length);
    this.nodes = new Float64Array(4 * total);
    this.missingRight = new Uint8Array(total);
    this.value = new Float64Array(total);
    let base = 0;
    trees.forEach((t, i) => {
      const splits = t.numLeaves - 1;
      // Split nodes first (base + k), then leaves (base + splits + leaf).
      const at = (c: number) => (c >= 0 ? base + c : base + splits + ~c);
      this.roots[i] = base;
      for (let k = 0; k < splits; k++) {
        const g = base + k;
        this.nodes[4 * g] = t.threshold[k]!;
        this.nodes[4 * g + 1] = t.splitFeature[k]!;
        this.nodes[4 * g + 2] = at(t.leftChild[k]!);
        this.nodes[4 * g + 3] = at(t.rightChild[k]!);
        this.missingRight[g] = t.defaultLeft[k] === 1 ? 0 : 1;
      }
      for (let l = 0; l < t.numLeaves; l++) {
        const g = base + splits + l;
        // Threshold NaN: x > NaN is false, so a row stays on the leaf.
        this.nodes[4 * g] = NaN;
        this.nodes[4 * g + 2] = g;
        this.nodes[4 * g + 3] = g;
        this.value[g] = t.leafValue[l]!;
      }
      this.depth[i] = treeDepth(t);
      base += 2 * t.numLeaves - 1;
    });
  }

  /** init + sum of the trees' leaf values, in tree order, in float64; returned as float32. */
  predict(features: Float32Array, rows: number, cols: number, init: number): Float32Array {
    const out = new Float32Array(rows);
    const { roots, depth, nodes, missingRight, value } = this;
    const numTrees = roots.length;
    const acc = new Float64Array(ROW_BLOCK);
    const at = new Int32Array(ROW_BLOCK);
    const bases = new Int32Array(ROW_BLOCK);
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const m = Math.min(ROW_BLOCK, rows - r0);
      acc.fill(init);
      for (let i = 0; i < m; i++) bases[i] = (r0 + i) * cols;
      for (let t = 0; t < numTrees; t++) {
        at.fill(roots[t]!);
        for (let s = depth[t]!; s > 0; s--) {
          for (let i = 0; i < m; i++) {
            const node = at[i]!;
            const q = 4 * node;
            const x = features[bases[i]! + nodes[q + 1]!]!;
            // Branch-free side: (x > threshold), or the learned side for NaN.
            const right = x !== x ? missingRight[node]! : +(x > nodes[q]!);
            at[i] = nodes[q + 2 + right]!;
          }
        }
        for (let i = 0; i < m; i++) acc[i] += value[at[i]!]!;
      }
      for (let i = 0; i < m; i++) out[r0 + i] = acc[i]!;
    }
    return out;
  }
}

/** Longest root-to-leaf path (0 for a single leaf). */
function treeDepth(t: Tree): number {
  if (t.numLeaves <= 1) return 0;
  const depthOf = new Int32Array(t.numLeaves - 1);
  let max = 0;
  // Children have larger indices than their parent, so one forward pass suffices.
  for (let k = 0; k < t.numLeaves - 1; k++) {
    for (const c of [t.leftChild[k]!, t.rightChild[k]!]) {
      if (c >= 0) depthOf[c] = depthOf[k]! + 1;
      else max = Math.max(max, depthOf[k]! + 1);
    }
  }
  return max;
}
