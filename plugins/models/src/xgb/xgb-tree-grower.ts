import { DEFAULT_LEFT_MASK, MISSING_NAN, type TreeState } from '../import/forest.js';
import type { SeededRandom } from '../gbdt/seeded-random.js';
import { MISSING_BIN, type XgbCuts } from './xgb-cuts.js';
import type { XgbHistBuild } from './xgb-threads.js';
import type { XgbConfig } from './xgb-params.js';

/**
 * One XGBoost `hist` tree (grow_quantile_histmaker, XGBoost 1.7 semantics):
 * histograms of float32 gradients summed in float64 in row order, the
 * smaller child built and its sibling derived by subtraction; per feature a
 * forward scan (missing values right) and, when the node has missing values,
 * a backward scan (missing values left); gains and loss changes rounded to
 * float32 as XGBoost stores them; nodes expanded level by level (depthwise)
 * or best loss change first (lossguide); leaf weights -G/(H+lambda) with G
 * soft-thresholded by alpha, times eta, in float32.
 */

const f32 = Math.fround;
/** XGBoost's kRtEps: a split must reduce the loss by more than this. */
const RT_EPS = f32(1e-6);
/** XGBoost's Driver pops at most this many nodes of one level at a time. */
const MAX_NODE_BATCH = 256;

export interface GrowerData {
  rows: number;
  cols: number;
  /** Row-major bins (`bins[row * cols + f]`), MISSING_BIN for NaN. */
  bins: Uint16Array;
  cuts: XgbCuts;
  /** Per-row gradients and hessians (float32 values). */
  grad: Float64Array;
  hess: Float64Array;
  /** No missing value anywhere in the training matrix (XGBoost then sums the root from a histogram). */
  dense: boolean;
  /** Row positions (shared with histogram workers); each node owns a contiguous range. */
  order: Int32Array;
  /** The tree's features, written by the grower for the histogram builder. */
  features: Int32Array;
}

/**
 * Histogram slots: `arena` holds `slots` histograms of `size` doubles. A
 * fixed arena (shared with workers) must hold the most a tree can keep
 * alive at once (see maxLiveHistograms); a single-thread arena grows.
 */
export interface HistogramArena {
  arena: Float64Array;
  build: XgbHistBuild;
  /** Whether the arena may be replaced by a larger one when full. */
  growable: boolean;
}

/** The most histograms one tree keeps alive: a level's children (depthwise) or the open leaves (lossguide). */
export function maxLiveHistograms(cfg: XgbConfig, rows: number): number {
  let bound = Infinity;
  if (cfg.maxDepth > 0) bound = 2 ** Math.max(0, cfg.maxDepth - 1) + 1;
  if (cfg.maxLeaves > 0) bound = Math.min(bound, cfg.maxLeaves + 2);
  return Math.min(bound, 2 * rows + 2);
}

/** A grown tree: the prediction form, its split gains, and each leaf's training rows (for the margin update). */
export interface GrownTree {
  tree: TreeState;
  lossChange: number[];
  /** Leaf value per training row position range: rows order[start, start + count) got leafValue. */
  leafRanges: { start: number; count: number; value: number }[];
}

interface Split {
  loss: number;
  feature: number;
  /** Value bins 0..leftBins-1 go left. */
  leftBins: number;
  value: number;
  defaultLeft: boolean;
  lG: number;
  lH: number;
  rG: number;
  rH: number;
}

interface Node {
  G: number;
  H: number;
  rootGain: number;
  depth: number;
  start: number;
  count: number;
  leafValue: number;
  /** Histogram slot, -1 when none. */
  hist: number;
  split: Split | null;
  left: number;
  right: number;
}

export class XgbTreeGrower {
  readonly order: Int32Array;
  private readonly scratch: Int32Array;
  private readonly histSize: number;
  private readonly free: number[] = [];
  private slots: number;

  constructor(
    private readonly data: GrowerData,
    private readonly cfg: XgbConfig,
    private readonly rng: SeededRandom,
    private readonly hists: HistogramArena,
  ) {
    this.order = data.order;
    this.scratch = new Int32Array(data.rows);
    this.histSize = histogramSize(data.cuts);
    this.slots = Math.floor(hists.arena.length / this.histSize);
    for (let i = this.slots - 1; i >= 0; i--) this.free.push(i);
  }

  grow(): GrownTree {
    const { rows, cols } = this.data;
    const cfg = this.cfg;
    for (let i = 0; i < rows; i++) this.order[i] = i;
    const allFeatures = Array.from({ length: cols }, (_, f) => f);
    const treeFeatures = this.sample(allFeatures, cfg.colsampleByTree);
    const levelFeatures = new Map<number, number[]>();
    const featuresFor = (depth: number): number[] => {
      let level = levelFeatures.get(depth);
      if (!level) levelFeatures.set(depth, (level = this.sample(treeFeatures, cfg.colsampleByLevel)));
      return this.sample(level, cfg.colsampleByNode);
    };

    const nodes: Node[] = [];
    this.data.features.set(treeFeatures);
    const rootHist = this.buildHistogram(0, rows, treeFeatures.length);
    let G = 0;
    let H = 0;
    if (this.data.dense) {
      // XGBoost sums a dense root from the first feature's histogram (built even when sampling left it out).
      const arena = this.hists.arena;
      const first = treeFeatures[0] === 0 ? rootHist * this.histSize : -1;
      if (first >= 0) {
        const end = first + 2 * this.data.cuts.ptr[1]!;
        for (let i = first; i < end; i += 2) {
          G += arena[i]!;
          H += arena[i + 1]!;
        }
      } else {
        for (let r = 0; r < rows; r++) if (this.data.bins[r * cols] !== MISSING_BIN) {
          G += this.data.grad[r]!;
          H += this.data.hess[r]!;
        }
      }
    } else {
      for (let r = 0; r < rows; r++) {
        G += this.data.grad[r]!;
        H += this.data.hess[r]!;
      }
    }
    nodes.push(this.newNode(G, H, 0, 0, rows, rootHist));
    nodes[0]!.split = this.evaluate(nodes[0]!, featuresFor(0));

    // The expand queue: depthwise pops a level (lowest node id first), lossguide the largest loss change.
    let queue: number[] = [0];
    let numLeaves = 1;
    for (;;) {
      const batch: number[] = [];
      if (queue.length === 0) break;
      if (cfg.lossguide) {
        let best = 0;
        for (let k = 1; k < queue.length; k++) {
          const a = nodes[queue[k]!]!.split?.loss ?? -Infinity;
          const b = nodes[queue[best]!]!.split?.loss ?? -Infinity;
          if (a > b || (a === b && queue[k]! < queue[best]!)) best = k;
        }
        const id = queue.splice(best, 1)[0]!;
        // XGBoost's lossguide driver ends the tree when the best candidate cannot split.
        if (!this.isValid(nodes[id]!, numLeaves)) {
          this.release(nodes[id]!);
          break;
        }
        numLeaves++;
        batch.push(id);
      } else {
        queue.sort((a, b) => a - b);
        const depth = nodes[queue[0]!]!.depth;
        let k = 0;
        while (k < queue.length && nodes[queue[k]!]!.depth === depth && batch.length < MAX_NODE_BATCH) {
          const id = queue[k++]!;
          if (this.isValid(nodes[id]!, numLeaves)) {
            numLeaves++;
            batch.push(id);
          } else this.release(nodes[id]!);
        }
        queue = queue.slice(k);
        if (batch.length === 0) {
          if (queue.length === 0) break;
          continue;
        }
      }
      const expandable: number[] = [];
      for (const id of batch) {
        const node = nodes[id]!;
        const s = node.split!;
        node.left = nodes.length;
        node.right = nodes.length + 1;
        const leftCount = this.partition(node.start, node.count, s);
        nodes.push(this.newNode(s.lG, s.lH, node.depth + 1, node.start, leftCount, -1));
        nodes.push(this.newNode(s.rG, s.rH, node.depth + 1, node.start + leftCount, node.count - leftCount, -1));
        const childValid = !(cfg.maxDepth > 0 && node.depth + 1 >= cfg.maxDepth) && !(cfg.maxLeaves > 0 && numLeaves >= cfg.maxLeaves);
        if (childValid) expandable.push(id);
        else this.release(node);
      }
      for (const id of expandable) {
        const node = nodes[id]!;
        const left = nodes[node.left]!;
        const right = nodes[node.right]!;
        // The child with the smaller hessian sum is built, the other is parent minus it.
        const [built, other] = right.H < left.H ? [right, left] : [left, right];
        built.hist = this.buildHistogram(built.start, built.count, treeFeatures.length);
        const arena = this.hists.arena;
        const p = node.hist * this.histSize;
        const c = built.hist * this.histSize;
        for (let i = 0; i < this.histSize; i++) arena[p + i] = arena[p + i]! - arena[c + i]!;
        other.hist = node.hist;
        node.hist = -1;
        left.split = this.evaluate(left, featuresFor(left.depth));
        right.split = this.evaluate(right, featuresFor(right.depth));
        queue.push(node.left, node.right);
      }
    }
    for (const n of nodes) this.release(n);
    return this.output(nodes);
  }

  private newNode(G: number, H: number, depth: number, start: number, count: number, hist: number): Node {
    const w = this.weight(G, H);
    return { G, H, rootGain: f32(this.gainTerm(G, H)), depth, start, count, leafValue: f32(w * this.cfg.eta), hist, split: null, left: -1, right: -1 };
  }

  private release(node: Node): void {
    if (node.hist >= 0) this.free.push(node.hist);
    node.hist = -1;
  }

  private isValid(node: Node, numLeaves: number): boolean {
    const s = node.split;
    const cfg = this.cfg;
    if (!s || s.loss <= RT_EPS) return false;
    if (s.lH === 0 || s.rH === 0) return false;
    if (s.loss < cfg.gamma) return false;
    if (cfg.maxDepth > 0 && node.depth === cfg.maxDepth) return false;
    if (cfg.maxLeaves > 0 && numLeaves === cfg.maxLeaves) return false;
    return true;
  }

  /** Leaf weight -T(G)/(H+lambda), 0 below min_child_weight, as float32. */
  private weight(G: number, H: number): number {
    const cfg = this.cfg;
    if (H < cfg.minChildWeight || H <= 0) return 0;
    return f32(-this.thresholdL1(G) / (H + cfg.lambda));
  }

  /**
   * One side's gain, T(G)^2 / (H + lambda), with XGBoost's roundings: the
   * square rounded to float32, the quotient too (found bit-exact against
   * XGBoost 1.7.4's loss_changes; other roundings differ in the last bits).
   */
  private gainTerm(G: number, H: number): number {
    if (H <= 0) return 0;
    const t = this.thresholdL1(G);
    return f32(f32(t * t) / (H + this.cfg.lambda));
  }

  private thresholdL1(G: number): number {
    const a = this.cfg.alpha;
    if (G > a) return G - a;
    if (G < -a) return G + a;
    return 0;
  }

  /** n = max(1, int(fraction * size)) of the features (the product in float32, as XGBoost), uniformly, ascending. */
  private sample(features: number[], fraction: number): number[] {
    if (fraction >= 1) return features;
    const n = Math.max(1, Math.floor(f32(fraction * features.length)));
    const picked = this.rng.sampleSorted(features.length, n);
    return Array.from(picked, (i) => features[i]!);
  }

  /** A cleared slot filled with the histogram of order[start, start + count) over the tree's features. */
  private buildHistogram(start: number, count: number, numFeatures: number): number {
    if (this.free.length === 0) {
      if (!this.hists.growable) throw new Error(`XGBModel: more than ${this.slots} live histograms (bound exceeded)`);
      // One thread: grow the arena (slot numbers stay valid).
      const more = Math.max(4, this.slots);
      const arena = new Float64Array((this.slots + more) * this.histSize);
      arena.set(this.hists.arena);
      this.hists.arena = arena;
      for (let i = this.slots + more - 1; i >= this.slots; i--) this.free.push(i);
      this.slots += more;
    }
    const slot = this.free.pop()!;
    const offset = slot * this.histSize;
    this.hists.arena.fill(0, offset, offset + this.histSize);
    this.hists.build(start, start + count, offset, numFeatures);
    return slot;
  }

  /** The best split of a node over the given features (ascending; ties keep the earlier), or null. */
  private evaluate(node: Node, features: number[]): Split | null {
    const { cuts } = this.data;
    const hist = this.hists.arena;
    const at = node.hist * this.histSize;
    const mcw = this.cfg.minChildWeight;
    const { G, H, rootGain } = node;
    let best: Split | null = null;
    let bestLoss = 0;
    for (const f of features) {
      const p0 = cuts.ptr[f]!;
      const nb = cuts.ptr[f + 1]! - p0;
      const base = at + 2 * p0;
      let eG = 0;
      let eH = 0;
      // Forward: bins 0..b left, missing values right; the split value is the cut above bin b.
      for (let b = 0; b < nb; b++) {
        eG += hist[base + 2 * b]!;
        eH += hist[base + 2 * b + 1]!;
        if (eH < mcw) continue;
        const cG = G - eG;
        const cH = H - eH;
        if (cH < mcw) continue;
        const loss = f32(f32(this.gainTerm(eG, eH) + this.gainTerm(cG, cH)) - rootGain);
        if (loss > bestLoss && loss !== Infinity) {
          bestLoss = loss;
          best = { loss, feature: f, leftBins: b + 1, value: cuts.values[p0 + b]!, defaultLeft: false, lG: eG, lH: eH, rG: cG, rH: cH };
        }
      }
      if (eG === G && eH === H) continue;
      // Backward (the node has missing values): bins b.. right, missing values left; the split value is the cut below bin b.
      eG = 0;
      eH = 0;
      for (let b = nb - 1; b >= 0; b--) {
        eG += hist[base + 2 * b]!;
        eH += hist[base + 2 * b + 1]!;
        if (eH < mcw) continue;
        const cG = G - eG;
        const cH = H - eH;
        if (cH < mcw) continue;
        const loss = f32(f32(this.gainTerm(cG, cH) + this.gainTerm(eG, eH)) - rootGain);
        if (loss > bestLoss && loss !== Infinity) {
          bestLoss = loss;
          const value = b === 0 ? cuts.minValues[f]! : cuts.values[p0 + b - 1]!;
          best = { loss, feature: f, leftBins: b, value, defaultLeft: true, lG: cG, lH: cH, rG: eG, rH: eH };
        }
      }
    }
    return best;
  }

  /** Stable partition of order[start, start + count) by the split; returns the left count. */
  private partition(start: number, count: number, s: Split): number {
    const { bins, cols } = this.data;
    const order = this.order;
    const scratch = this.scratch;
    const feature = s.feature;
    let l = start;
    let r = 0;
    for (let i = start, end = start + count; i < end; i++) {
      const row = order[i]!;
      const b = bins[row * cols + feature]!;
      const left = b === MISSING_BIN ? s.defaultLeft : b < s.leftBins;
      if (left) order[l++] = row;
      else scratch[r++] = row;
    }
    order.set(scratch.subarray(0, r), l);
    return l - start;
  }

  /** Split nodes renumbered 0..k-1 and leaves 0..k in node-id order (parents before children). */
  private output(nodes: Node[]): GrownTree {
    const splitIndex = new Int32Array(nodes.length).fill(-1);
    const leafIndex = new Int32Array(nodes.length).fill(-1);
    let splits = 0;
    let leaves = 0;
    nodes.forEach((n, id) => {
      if (n.left >= 0) splitIndex[id] = splits++;
      else leafIndex[id] = leaves++;
    });
    const ref = (id: number): number => (nodes[id]!.left >= 0 ? splitIndex[id]! : ~leafIndex[id]!);
    const tree: TreeState = { split_feature: [], threshold: [], decision: [], left: [], right: [], leaf_value: [] };
    const lossChange: number[] = [];
    const leafRanges: GrownTree['leafRanges'] = [];
    for (const n of nodes) {
      if (n.left >= 0) {
        const s = n.split!;
        tree.split_feature.push(s.feature);
        tree.threshold.push(s.value);
        tree.decision.push((s.defaultLeft ? DEFAULT_LEFT_MASK : 0) | (MISSING_NAN << 2));
        tree.left.push(ref(n.left));
        tree.right.push(ref(n.right));
        lossChange.push(s.loss);
      } else {
        tree.leaf_value.push(n.leafValue);
        leafRanges.push({ start: n.start, count: n.count, value: n.leafValue });
      }
    }
    return { tree, lossChange, leafRanges };
  }
}

/** Doubles per histogram slot: a (gradient, hessian) pair per bin of every feature. */
export function histogramSize(cuts: XgbCuts): number {
  return 2 * cuts.ptr[cuts.cols]!;
}
