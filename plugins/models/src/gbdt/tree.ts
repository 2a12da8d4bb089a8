/**
 * One regression tree in flat arrays. Node i sends a row left when its
 * feature value is <= threshold[i], or, for a missing value (NaN), when
 * defaultLeft[i] is 1. Children >= 0 are nodes; a child c < 0 is leaf ~c.
 * Leaf values already include the learning rate.
 */
export interface Tree {
  numLeaves: number;
  splitFeature: Int32Array;
  threshold: Float64Array;
  /** The bin index of the threshold in the training binning (value bins 0..thresholdBin go left). */
  thresholdBin: Int32Array;
  defaultLeft: Uint8Array;
  leftChild: Int32Array;
  rightChild: Int32Array;
  /** Loss reduction of each split, from exact gradient sums (feature importance "gain"). */
  splitGain: Float64Array;
  leafValue: Float64Array;
  /** Training rows that reached each leaf (in the bag). */
  leafCount: Int32Array;
}

/** The leaf a raw (float) row reaches. */
export function leafOfRow(tree: Tree, features: Float32Array, base: number): number {
  let node = tree.numLeaves > 1 ? 0 : -1;
  while (node >= 0) {
    const x = features[base + tree.splitFeature[node]!]!;
    const left = x !== x ? tree.defaultLeft[node] === 1 : x <= tree.threshold[node]!;
    node = left ? tree.leftChild[node]! : tree.rightChild[node]!;
  }
  return ~node;
}

/** The leaf a binned training row reaches (same routing as the float thresholds). */
export function leafOfBinnedRow(tree: Tree, bins: Uint8Array, base: number, numBins: Int32Array): number {
  let node = tree.numLeaves > 1 ? 0 : -1;
  while (node >= 0) {
    const f = tree.splitFeature[node]!;
    const b = bins[base + f]!;
    const left = b === numBins[f] ? tree.defaultLeft[node] === 1 : b <= tree.thresholdBin[node]!;
    node = left ? tree.leftChild[node]! : tree.rightChild[node]!;
  }
  return ~node;
}

/** JSON form of a tree: plain number arrays; non-finite thresholds as strings. */
export interface SerializedTree {
  num_leaves: number;
  split_feature: number[];
  threshold: (number | string)[];
  default_left: number[];
  left_child: number[];
  right_child: number[];
  split_gain: number[];
  leaf_value: number[];
  leaf_count: number[];
}

export function serializeTree(t: Tree): SerializedTree {
  return {
    num_leaves: t.numLeaves,
    split_feature: Array.from(t.splitFeature),
    threshold: Array.from(t.threshold, (v) => (Number.isFinite(v) ? v : String(v))),
    default_left: Array.from(t.defaultLeft),
    left_child: Array.from(t.leftChild),
    right_child: Array.from(t.rightChild),
    split_gain: Array.from(t.splitGain),
    leaf_value: Array.from(t.leafValue),
    leaf_count: Array.from(t.leafCount),
  };
}

/** Rebuilds a tree; returns a problem description instead when the shape is inconsistent. */
export function deserializeTree(s: SerializedTree, cols: number): Tree | string {
  if (!s || typeof s !== 'object') return 'not an object';
  const L = s.num_leaves;
  if (!Number.isInteger(L) || L < 1) return `num_leaves ${String(L)} is not a whole number >= 1`;
  const nodes = L - 1;
  const arrays = ['split_feature', 'threshold', 'default_left', 'left_child', 'right_child', 'split_gain'] as const;
  for (const k of arrays) if (!Array.isArray(s[k]) || s[k].length !== nodes) return `${k} must have num_leaves - 1 = ${nodes} entries`;
  for (const k of ['leaf_value', 'leaf_count'] as const) if (!Array.isArray(s[k]) || s[k].length !== L) return `${k} must have num_leaves = ${L} entries`;
  const threshold = new Float64Array(nodes);
  for (let i = 0; i < nodes; i++) {
    const v = s.threshold[i];
    threshold[i] = typeof v === 'string' ? Number(v) : (v as number);
    if (typeof v !== 'number' && v !== 'Infinity' && v !== '-Infinity') return `threshold ${i} is ${JSON.stringify(v)}`;
  }
  const tree: Tree = {
    numLeaves: L,
    splitFeature: Int32Array.from(s.split_feature),
    threshold,
    thresholdBin: new Int32Array(nodes),
    defaultLeft: Uint8Array.from(s.default_left),
    leftChild: Int32Array.from(s.left_child),
    rightChild: Int32Array.from(s.right_child),
    splitGain: Float64Array.from(s.split_gain),
    leafValue: Float64Array.from(s.leaf_value),
    leafCount: Int32Array.from(s.leaf_count),
  };
  for (let i = 0; i < nodes; i++) {
    const f = tree.splitFeature[i]!;
    if (f < 0 || f >= cols) return `split_feature ${i} is ${f}, outside 0..${cols - 1}`;
    for (const c of [tree.leftChild[i]!, tree.rightChild[i]!]) {
      if (c >= 0 ? c <= i || c >= nodes : ~c >= L) return `node ${i} has child ${c} out of range`;
    }
  }
  for (const v of tree.leafValue) if (!Number.isFinite(v)) return 'leaf_value holds a non-finite number';
  return tree;
}
