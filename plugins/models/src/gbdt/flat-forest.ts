import type { Tree } from './tree.js';

/**
 * All trees' nodes in shared flat arrays for prediction: one row walks every
 * tree while its features stay in cache. Child c < 0 is the global leaf ~c.
 */
export class FlatForest {
  private readonly roots: Int32Array;
  private readonly feature: Int32Array;
  private readonly threshold: Float64Array;
  private readonly defaultLeft: Uint8Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly leafValue: Float64Array;

  constructor(trees: Tree[]) {
    let nodes = 0;
    let leaves = 0;
    for (const t of trees) {
      nodes += t.numLeaves - 1;
      leaves += t.numLeaves;
    }
    this.roots = new Int32Array(trees.length);
    this.feature = new Int32Array(nodes);
    this.threshold = new Float64Array(nodes);
    this.defaultLeft = new Uint8Array(nodes);
    this.left = new Int32Array(nodes);
    this.right = new Int32Array(nodes);
    this.leafValue = new Float64Array(leaves);
    let nodeBase = 0;
    let leafBase = 0;
    trees.forEach((t, i) => {
      const remap = (c: number) => (c >= 0 ? c + nodeBase : ~(~c + leafBase));
      this.roots[i] = t.numLeaves > 1 ? nodeBase : ~leafBase;
      for (let k = 0; k < t.numLeaves - 1; k++) {
        this.feature[nodeBase + k] = t.splitFeature[k]!;
        this.threshold[nodeBase + k] = t.threshold[k]!;
        this.defaultLeft[nodeBase + k] = t.defaultLeft[k]!;
        this.left[nodeBase + k] = remap(t.leftChild[k]!);
        this.right[nodeBase + k] = remap(t.rightChild[k]!);
      }
      this.leafValue.set(t.leafValue, leafBase);
      nodeBase += t.numLeaves - 1;
      leafBase += t.numLeaves;
    });
  }

  /** init + sum of the trees' leaf values, in tree order, in float64; returned as float32. */
  predict(features: Float32Array, rows: number, cols: number, init: number): Float32Array {
    const out = new Float32Array(rows);
    const { roots, feature, threshold, defaultLeft, left, right, leafValue } = this;
    const numTrees = roots.length;
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      let acc = init;
      for (let t = 0; t < numTrees; t++) {
        let node = roots[t]!;
        while (node >= 0) {
          const x = features[base + feature[node]!]!;
          node = (x !== x ? defaultLeft[node] === 1 : x <= threshold[node]!) ? left[node]! : right[node]!;
        }
        acc += leafValue[~node]!;
      }
      out[r] = acc;
    }
    return out;
  }
}
