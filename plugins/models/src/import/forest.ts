/**
 * The library-neutral form of an imported tree ensemble, and its predictor.
 *
 * Both readers (XGBoost JSON, LightGBM text) produce `ForestState`: split
 * nodes numbered 0..k-1 with LightGBM's conventions (a child >= 0 is a split
 * node, a negative child c is leaf ~c; `decision` holds LightGBM's
 * decision_type bits). `format` says whose comparison rule applies:
 *
 * - xgboost: float32 throughout. x < threshold goes left, NaN follows the
 *   node's default direction; leaf values are added to the base margin in
 *   float32, tree by tree.
 * - lightgbm: double throughout. x <= threshold goes left; missing type None
 *   turns NaN into 0, Zero turns NaN into 0 and sends |x| <= 1e-35 (float)
 *   the default way, NaN sends NaN the default way; categorical nodes test
 *   trunc(x) in a bitset (NaN and negatives go right); leaf values summed in
 *   double.
 */
import { BlockPredictor, type LinkedNodes } from '../gbdt/flat-forest.js';

export type ForestFormat = 'xgboost' | 'lightgbm';
export type OutputTransform = 'identity' | 'sigmoid' | 'exp';

export interface TreeState {
  split_feature: number[];
  threshold: number[];
  /** bit 0 categorical, bit 1 default left, bits 2-3 missing type (0 None, 1 Zero, 2 NaN). */
  decision: number[];
  left: number[];
  right: number[];
  leaf_value: number[];
  /** Categorical nodes: threshold is an index into cat_boundaries, which delimits 32-bit words of cat_threshold. */
  cat_boundaries?: number[];
  cat_threshold?: number[];
}

export interface ForestState {
  format: ForestFormat;
  /** The training library's objective name, e.g. `binary:logistic` or `binary`. */
  objective: string;
  transform: OutputTransform;
  /** Scale inside the sigmoid (LightGBM's `sigmoid:`; 1 for XGBoost). */
  sigmoid: number;
  /** Margin every row starts from (XGBoost's base_score in margin space; 0 for LightGBM). */
  base_margin: number;
  cols: number;
  feature_names?: string[];
  trees: TreeState[];
}

export const CATEGORICAL_MASK = 1;
export const DEFAULT_LEFT_MASK = 2;
export const MISSING_NONE = 0;
export const MISSING_ZERO = 1;
export const MISSING_NAN = 2;
/** LightGBM's kZeroThreshold: the float 1e-35, used as a double. */
const ZERO_THRESHOLD = Math.fround(1e-35);

/** Rows walked together through one tree by the linked layout. */
const ROW_BLOCK = 64;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest float32 below v (v a float32): for float32 x, x >= v exactly when x > below(v). */
export function float32Below(v: number): number {
  if (v !== v || v === -Infinity) return v;
  if (v === Infinity) return 3.4028234663852886e38;
  f32[0] = v;
  if (v === 0) u32[0] = 0x80000001; // +0 and -0: the smallest negative subnormal
  else if (v > 0) u32[0] = u32[0]! - 1;
  else u32[0] = u32[0]! + 1;
  return f32[0]!;
}

/**
 * All trees flattened into typed arrays. Every node, leaves included, is a
 * step `right = (x > T) | (isNaN(x) & missRight)`: the XGBoost rule
 * (x < t left) becomes x > float32Below(t), LightGBM's None missing type
 * becomes the side 0 takes, and leaves absorb (both children point back to
 * the leaf, T = NaN), so a block of rows walks each tree for exactly its
 * depth in steps without a data-dependent exit. Without slow nodes the
 * forest runs on the GBDT models' block kernel (BlockPredictor: padded
 * complete trees, missing values resolved when a block is copied); LightGBM's
 * Zero missing type and categorical nodes take a slower exact path over the
 * links (flagged per node).
 */
export class CompiledForest {
  readonly roots: Int32Array;
  readonly depth: Int32Array;
  /** Per node: [feature, left, right, flags]; flags bit 0 = NaN goes right, bit 1 = slow node. */
  readonly links: Int32Array;
  readonly thresholds: Float64Array;
  readonly values: Float64Array;
  private readonly slow: boolean;
  /** Slow nodes: the original threshold, decision bits and the tree's bitsets. */
  private readonly slowInfo: Map<number, { threshold: number; decision: number; bits?: Uint32Array }>;
  private readonly float32: boolean;
  private readonly baseMargin: number;
  /** The shared block kernel (padded complete trees, NaN-free steps), used when no node needs the slow path. */
  private readonly blockKernel: BlockPredictor | null;

  /** `layout: 'linked'` forces the general layout (tests compare the two). */
  constructor(
    private readonly state: ForestState,
    options: { layout?: 'auto' | 'linked' } = {},
  ) {
    const { trees } = state;
    let total = 0;
    for (const t of trees) total += t.split_feature.length + t.leaf_value.length;
    this.roots = new Int32Array(trees.length);
    this.depth = new Int32Array(trees.length);
    this.links = new Int32Array(4 * total);
    this.thresholds = new Float64Array(total);
    this.values = new Float64Array(total);
    this.slowInfo = new Map();
    this.float32 = state.format === 'xgboost';
    this.baseMargin = this.float32 ? Math.fround(state.base_margin) : state.base_margin;
    let base = 0;
    trees.forEach((t, ti) => {
      const splits = t.split_feature.length;
      const at = (c: number) => (c >= 0 ? base + c : base + splits + ~c);
      this.roots[ti] = base;
      for (let k = 0; k < splits; k++) {
        const g = base + k;
        const d = t.decision[k]!;
        const thr = t.threshold[k]!;
        const defaultLeft = (d & DEFAULT_LEFT_MASK) !== 0;
        let flags = 0;
        let T: number;
        if (this.float32) {
          T = float32Below(Math.fround(thr));
          if (!defaultLeft) flags |= 1;
        } else if (d & CATEGORICAL_MASK) {
          T = NaN;
          flags |= 2;
          const bits = categoryBits(t, thr);
          this.slowInfo.set(g, { threshold: thr, decision: d, bits });
        } else {
          const missing = (d >> 2) & 3;
          T = thr;
          if (missing === MISSING_NAN) {
            if (!defaultLeft) flags |= 1;
          } else if (missing === MISSING_ZERO) {
            flags |= 2;
            this.slowInfo.set(g, { threshold: thr, decision: d });
          } else if (!(0 <= thr)) {
            flags |= 1; // None: NaN is read as 0
          }
        }
        this.links[4 * g] = t.split_feature[k]!;
        this.links[4 * g + 1] = at(t.left[k]!);
        this.links[4 * g + 2] = at(t.right[k]!);
        this.links[4 * g + 3] = flags;
        this.thresholds[g] = T;
      }
      for (let l = 0; l < t.leaf_value.length; l++) {
        const g = base + splits + l;
        this.links[4 * g + 1] = g;
        this.links[4 * g + 2] = g;
        this.thresholds[g] = NaN;
        this.values[g] = this.float32 ? Math.fround(t.leaf_value[l]!) : t.leaf_value[l]!;
      }
      this.depth[ti] = treeDepth(t);
      base += splits + t.leaf_value.length;
    });
    this.slow = this.slowInfo.size > 0;
    this.blockKernel = options.layout !== 'linked' && !this.slow ? new BlockPredictor(this.linkedNodes()) : null;
  }

  get cols(): number {
    return this.state.cols;
  }

  /** 'implicit': the block kernel (padded complete trees up to depth 10, linked beyond); 'linked': the general walk. */
  get layout(): 'implicit' | 'linked' {
    return this.blockKernel ? 'implicit' : 'linked';
  }

  /** The nodes in the block kernel's form (no slow nodes: flags hold only the NaN side). */
  private linkedNodes(): LinkedNodes {
    const { links } = this;
    const total = this.thresholds.length;
    const nodes: LinkedNodes = {
      roots: this.roots,
      depth: this.depth,
      feature: new Int32Array(total),
      threshold: this.thresholds,
      nanRight: new Uint8Array(total),
      left: new Int32Array(total),
      right: new Int32Array(total),
      value: this.values,
    };
    for (let g = 0; g < total; g++) {
      nodes.feature[g] = links[4 * g]!;
      nodes.left[g] = links[4 * g + 1]!;
      nodes.right[g] = links[4 * g + 2]!;
      nodes.nanRight[g] = links[4 * g + 3]! & 1;
    }
    return nodes;
  }

  /** Raw margins (base + sum of leaves), in the library's precision, as doubles. */
  margins(features: Float32Array, rows: number, cols: number): Float64Array {
    if (this.blockKernel) return this.blockKernel.predict(features, rows, cols, this.baseMargin, this.float32);
    const out = new Float64Array(rows);
    const { roots, depth, links, thresholds, values } = this;
    const numTrees = roots.length;
    const acc = new Float64Array(ROW_BLOCK);
    const at = new Int32Array(ROW_BLOCK);
    const bases = new Int32Array(ROW_BLOCK);
    const f32acc = this.float32;
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const m = Math.min(ROW_BLOCK, rows - r0);
      acc.fill(this.baseMargin);
      for (let i = 0; i < m; i++) bases[i] = (r0 + i) * cols;
      for (let t = 0; t < numTrees; t++) {
        const root = roots[t]!;
        for (let i = 0; i < m; i++) at[i] = root;
        if (this.slow) this.walkSlow(features, bases, at, m, depth[t]!);
        else {
          for (let s = depth[t]!; s > 0; s--) {
            for (let i = 0; i < m; i++) {
              const node = at[i]!;
              const q = node << 2;
              const x = features[bases[i]! + links[q]!]!;
              // Branch-free side: x > T, or the node's side for NaN (x > T is false for NaN).
              const right = +(x > thresholds[node]!) | (+(x !== x) & links[q + 3]!);
              at[i] = links[q + 1 + right]!;
            }
          }
        }
        if (f32acc) for (let i = 0; i < m; i++) acc[i] = Math.fround(acc[i]! + values[at[i]!]!);
        else for (let i = 0; i < m; i++) acc[i] += values[at[i]!]!;
      }
      for (let i = 0; i < m; i++) out[r0 + i] = acc[i]!;
    }
    return out;
  }

  private walkSlow(features: Float32Array, bases: Int32Array, at: Int32Array, m: number, steps: number): void {
    const { links, thresholds } = this;
    for (let s = steps; s > 0; s--) {
      for (let i = 0; i < m; i++) {
        const node = at[i]!;
        const q = node << 2;
        const x = features[bases[i]! + links[q]!]!;
        const flags = links[q + 3]!;
        const right = flags & 2 ? this.slowSide(node, x) : +(x > thresholds[node]!) | (+(x !== x) & flags);
        at[i] = links[q + 1 + right]!;
      }
    }
  }

  /** LightGBM's Zero-missing numerical and categorical decisions: 1 = right. */
  private slowSide(node: number, x: number): number {
    const info = this.slowInfo.get(node)!;
    if (info.bits) {
      if (x !== x) return 1;
      const c = Math.trunc(x);
      if (c < 0) return 1;
      const word = Math.floor(c / 32);
      if (word >= info.bits.length) return 1;
      return (info.bits[word]! >>> (c % 32)) & 1 ? 0 : 1;
    }
    const v = x !== x ? 0 : x;
    if (v >= -ZERO_THRESHOLD && v <= ZERO_THRESHOLD) return info.decision & DEFAULT_LEFT_MASK ? 0 : 1;
    return v <= info.threshold ? 0 : 1;
  }

  /** Predictions: margins through the objective's output transform. */
  predictDouble(features: Float32Array, rows: number, cols: number): Float64Array {
    const out = this.margins(features, rows, cols);
    const { transform, sigmoid } = this.state;
    if (transform === 'identity') return out;
    if (this.float32) {
      for (let i = 0; i < rows; i++) {
        const v = out[i]!;
        out[i] = transform === 'sigmoid' ? Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-v)))) : Math.fround(Math.exp(v));
      }
    } else {
      for (let i = 0; i < rows; i++) out[i] = transform === 'sigmoid' ? 1 / (1 + Math.exp(-sigmoid * out[i]!)) : Math.exp(out[i]!);
    }
    return out;
  }
}

function categoryBits(t: TreeState, catIndex: number): Uint32Array {
  const b = t.cat_boundaries ?? [];
  const words = t.cat_threshold ?? [];
  const lo = b[catIndex]!;
  const hi = b[catIndex + 1]!;
  return Uint32Array.from(words.slice(lo, hi));
}

/** Longest root-to-leaf path in steps (0 for a one-leaf tree); checkTree has run. */
function treeDepth(t: TreeState): number {
  const splits = t.split_feature.length;
  if (splits === 0) return 0;
  let max = 0;
  const stack: number[] = [0, 0];
  while (stack.length) {
    const d = stack.pop()!;
    const node = stack.pop()!;
    for (const c of [t.left[node]!, t.right[node]!]) {
      if (c >= 0) stack.push(c, d + 1);
      else if (d + 1 > max) max = d + 1;
    }
  }
  return max;
}

/**
 * Structural checks shared by the readers and restore: array lengths agree,
 * features lie in [0, cols), every child is in range and every node is
 * reached exactly once from the root (a tree, no cycles). Returns a message
 * naming the first problem, or null.
 */
export function checkTree(t: TreeState, cols: number): string | null {
  const splits = t.split_feature.length;
  const leaves = t.leaf_value.length;
  if (leaves !== splits + 1) return `${splits} split nodes need ${splits + 1} leaf values, found ${leaves}`;
  for (const [name, arr] of [['threshold', t.threshold], ['decision', t.decision], ['left', t.left], ['right', t.right]] as const) {
    if (arr.length !== splits) return `${name} has ${arr.length} entries for ${splits} split nodes`;
  }
  for (let k = 0; k < splits; k++) {
    const f = t.split_feature[k]!;
    if (!Number.isInteger(f) || f < 0 || f >= cols) return `node ${k} splits on feature ${f}, outside 0..${cols - 1}`;
    if (typeof t.threshold[k] !== 'number' || Number.isNaN(t.threshold[k])) return `node ${k} has threshold ${t.threshold[k]}`;
    const d = t.decision[k]!;
    if (!Number.isInteger(d) || d < 0 || d > 15) return `node ${k} has decision_type ${d}`;
    if (d & CATEGORICAL_MASK) {
      const b = t.cat_boundaries ?? [];
      const idx = t.threshold[k]!;
      if (!Number.isInteger(idx) || idx < 0 || idx + 1 >= b.length) return `categorical node ${k} refers to category set ${idx}, but cat_boundaries has ${b.length} entries`;
      if (!(b[idx]! <= b[idx + 1]! && b[idx + 1]! <= (t.cat_threshold ?? []).length)) return `categorical node ${k}: cat_boundaries ${b[idx]}..${b[idx + 1]} outside cat_threshold`;
    }
  }
  for (const v of t.leaf_value) if (typeof v !== 'number' || !Number.isFinite(v)) return `leaf value ${v} is not a finite number`;
  if (splits === 0) return null;
  const seenSplit = new Uint8Array(splits);
  const seenLeaf = new Uint8Array(leaves);
  const stack = [0];
  seenSplit[0] = 1;
  while (stack.length) {
    const node = stack.pop()!;
    for (const c of [t.left[node]!, t.right[node]!]) {
      if (!Number.isInteger(c)) return `node ${node} has child ${c}`;
      if (c >= 0) {
        if (c >= splits) return `node ${node} has child ${c}, but there are ${splits} split nodes`;
        if (seenSplit[c]) return `node ${c} is reached twice (not a tree)`;
        seenSplit[c] = 1;
        stack.push(c);
      } else {
        const l = ~c;
        if (l >= leaves) return `node ${node} has leaf child ${c} (leaf ${l}), but there are ${leaves} leaves`;
        if (seenLeaf[l]) return `leaf ${l} is reached twice (not a tree)`;
        seenLeaf[l] = 1;
      }
    }
  }
  return null;
}
