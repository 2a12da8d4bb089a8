import type { BinMapper } from './bin-mapper.js';
import type { GbdtConfig } from './gbdt-params.js';
import { NodeJob, type NodeRunner } from './hist-threads.js';
import { leafOutput, leafScore, SplitCandidate, type HistogramFormat } from './split-finder.js';
import type { Tree } from './tree.js';

/** Everything one fit shares across its trees: binned data, gradients, row order and the histogram pool. */
export interface TrainingData {
  rows: number;
  cols: number;
  mapper: BinMapper;
  /** Row-major bins, `stride` bytes per row (histograms). */
  bins: Uint8Array;
  stride: number;
  /** Per-row exact gradient and hessian of the current round. */
  grad: Float64Array;
  hess: Float64Array;
  /** Per-row packed quantised gradient (packed mode only). */
  packed: Float64Array | null;
  /** Row indices; each leaf owns a contiguous range. */
  order: Int32Array;
  hist: Float64Array;
  slotSize: number;
  numSlots: number;
  format: HistogramFormat;
  /** Whether rows carry weights (rows are then estimated from hessians). */
  weighted: boolean;
  /** Builds histograms, searches splits and partitions rows (node-job.ts; column-major bins there), on this thread or with workers. */
  runner: NodeRunner;
}

/**
 * Grows one tree leaf-wise: always split the leaf with the largest gain,
 * within num_leaves and max_depth. A new leaf pair gets its histograms by
 * building the smaller child and subtracting it from the parent.
 */
export class TreeBuilder {
  private readonly maxLeaves: number;
  private readonly job = new NodeJob();
  private readonly candidate = new SplitCandidate();
  // Per-leaf state, indexed by leaf id (0..num_leaves-1).
  private readonly leafStart: Int32Array;
  private readonly leafCount: Int32Array;
  private readonly leafDepth: Int32Array;
  private readonly leafSlot: Int32Array;
  private readonly leafParent: Int32Array;
  private readonly leafScanG: Float64Array;
  private readonly leafScanH: Float64Array;
  private readonly leafScanC: Float64Array;
  private readonly leafG: Float64Array;
  private readonly leafH: Float64Array;
  private readonly bestGain: Float64Array;
  private readonly bestFeature: Int32Array;
  private readonly bestBin: Int32Array;
  private readonly bestNanLeft: Uint8Array;
  private readonly bestLeftG: Float64Array;
  private readonly bestLeftH: Float64Array;
  private readonly bestLeftC: Float64Array;
  private readonly freeSlots: number[] = [];
  /** Leaves of the tree being grown (for slot eviction). */
  private numLeaves = 0;

  constructor(
    private readonly data: TrainingData,
    private readonly config: GbdtConfig,
  ) {
    const L = config.numLeaves;
    this.maxLeaves = L;
    this.leafStart = new Int32Array(L);
    this.leafCount = new Int32Array(L);
    this.leafDepth = new Int32Array(L);
    this.leafSlot = new Int32Array(L);
    this.leafParent = new Int32Array(L);
    this.leafScanG = new Float64Array(L);
    this.leafScanH = new Float64Array(L);
    this.leafScanC = new Float64Array(L);
    this.leafG = new Float64Array(L);
    this.leafH = new Float64Array(L);
    this.bestGain = new Float64Array(L);
    this.bestFeature = new Int32Array(L);
    this.bestBin = new Int32Array(L);
    this.bestNanLeft = new Uint8Array(L);
    this.bestLeftG = new Float64Array(L);
    this.bestLeftH = new Float64Array(L);
    this.bestLeftC = new Float64Array(L);
  }

  /**
   * Histogram slots to allocate: one per leaf that may still split (at most
   * num_leaves, or 2^max_depth), within the pool's byte budget. With fewer
   * slots, leaves waiting to split lose their histogram (lowest gain first)
   * and their children are then built directly instead of by subtraction.
   */
  static slotCount(config: GbdtConfig, slotBytes: number): number {
    const byDepth = config.maxDepth > 0 && config.maxDepth < 30 ? 2 ** config.maxDepth : Infinity;
    const needed = Math.min(config.numLeaves, byDepth);
    const budget = Math.floor(config.histogramPoolBytes / slotBytes);
    return Math.max(2, Math.min(needed, budget));
  }

  /**
   * Grows a tree over rows order[0..bagCount), splitting only on `features`
   * (whose 4-feature words are `words`). Leaf values include the learning rate.
   */
  grow(bagCount: number, features: Int32Array, numFeatures: number, words: Int32Array | null, numWords: number): Tree {
    const d = this.data;
    const cfg = this.config;
    this.freeSlots.length = 0;
    for (let s = d.numSlots - 1; s >= 0; s--) this.freeSlots.push(s);
    this.numLeaves = 1;
    d.runner.setTree(features, numFeatures, words, numWords);

    const nodeFeature = new Int32Array(this.maxLeaves - 1);
    const nodeBin = new Int32Array(this.maxLeaves - 1);
    const nodeNanLeft = new Uint8Array(this.maxLeaves - 1);
    const nodeLeft = new Int32Array(this.maxLeaves - 1);
    const nodeRight = new Int32Array(this.maxLeaves - 1);
    const nodeGain = new Float64Array(this.maxLeaves - 1);

    // Root sums in scan units for the split search (exact sums are taken per leaf at the end).
    const { order, grad, hess, packed } = d;
    let scanG = 0;
    let scanH = 0;
    if (packed) {
      const inv = 1 / d.format.pow2S;
      for (let i = 0; i < bagCount; i++) scanG += Math.floor(packed[order[i]!]! * inv);
      scanH = bagCount;
    } else {
      for (let i = 0; i < bagCount; i++) {
        const r = order[i]!;
        scanG += grad[r]!;
        scanH += hess[r]!;
      }
    }
    this.leafStart[0] = 0;
    this.leafCount[0] = bagCount;
    this.leafDepth[0] = 0;
    this.leafParent[0] = -1;
    this.leafScanG[0] = scanG;
    this.leafScanH[0] = scanH;
    this.leafScanC[0] = bagCount;
    this.leafSlot[0] = -1;
    this.bestGain[0] = -Infinity;
    let numLeaves = 1;
    if (this.canSplit(0, numLeaves)) {
      const slot = this.takeSlot(-1);
      this.leafSlot[0] = slot;
      const job = this.job;
      job.clear();
      this.addBuild(job, 0, slot);
      this.addSearch(job, 0, 0);
      this.runJob(job, 0, -1);
    }

    let numNodes = 0;
    while (numLeaves < this.maxLeaves) {
      let leaf = -1;
      let best = -Infinity;
      for (let l = 0; l < numLeaves; l++) {
        if (this.bestGain[l]! > best) {
          best = this.bestGain[l]!;
          leaf = l;
        }
      }
      if (leaf < 0) break;
      const node = numNodes++;
      const right = numLeaves++;
      this.numLeaves = numLeaves;
      this.split(leaf, right, node, nodeFeature, nodeBin, nodeNanLeft, nodeLeft, nodeRight);
      this.prepareChildren(leaf, right, numLeaves);
    }

    // Exact gradient sums: per leaf over its rows, then up the tree (children have larger indices).
    const leafValue = new Float64Array(numLeaves);
    const leafCount = new Int32Array(numLeaves);
    for (let l = 0; l < numLeaves; l++) {
      const start = this.leafStart[l]!;
      const end = start + this.leafCount[l]!;
      let g = 0;
      let h = 0;
      if (d.weighted) {
        for (let i = start; i < end; i++) {
          const r = order[i]!;
          g += grad[r]!;
          h += hess[r]!;
        }
      } else {
        for (let i = start; i < end; i++) g += grad[order[i]!]!;
        h = end - start;
      }
      this.leafG[l] = g;
      this.leafH[l] = h;
      leafValue[l] = leafOutput(g, h, cfg.lambdaL1, cfg.lambdaL2) * cfg.learningRate;
      leafCount[l] = end - start;
    }
    const nodeG = new Float64Array(numNodes);
    const nodeH = new Float64Array(numNodes);
    const { lambdaL1: l1, lambdaL2: l2 } = cfg;
    for (let k = numNodes - 1; k >= 0; k--) {
      const a = nodeLeft[k]!;
      const b = nodeRight[k]!;
      const gl = a >= 0 ? nodeG[a]! : this.leafG[~a]!;
      const hl = a >= 0 ? nodeH[a]! : this.leafH[~a]!;
      const gr = b >= 0 ? nodeG[b]! : this.leafG[~b]!;
      const hr = b >= 0 ? nodeH[b]! : this.leafH[~b]!;
      nodeG[k] = gl + gr;
      nodeH[k] = hl + hr;
      nodeGain[k] = leafScore(gl, hl, l1, l2) + leafScore(gr, hr, l1, l2) - leafScore(gl + gr, hl + hr, l1, l2);
    }
    const threshold = new Float64Array(numNodes);
    const { upper, upperOffset } = d.mapper;
    for (let k = 0; k < numNodes; k++) {
      const f = nodeFeature[k]!;
      const b = nodeBin[k]!;
      // The last value bin is open: its "upper bound" is +Infinity (a split that isolates missing values).
      threshold[k] = upperOffset[f]! + b < upperOffset[f + 1]! ? upper[upperOffset[f]! + b]! : Infinity;
    }
    return {
      numLeaves,
      splitFeature: nodeFeature.slice(0, numNodes),
      threshold,
      thresholdBin: nodeBin.slice(0, numNodes),
      defaultLeft: nodeNanLeft.slice(0, numNodes),
      leftChild: nodeLeft.slice(0, numNodes),
      rightChild: nodeRight.slice(0, numNodes),
      splitGain: nodeGain.slice(0, numNodes),
      leafValue,
      leafCount,
    };
  }

  /** Range of each leaf in `order` after grow(): rows order[start .. start+count). */
  leafRange(leaf: number): [start: number, count: number] {
    return [this.leafStart[leaf]!, this.leafCount[leaf]!];
  }

  /** A free histogram slot, or the slot of the waiting leaf with the lowest gain (never `keep`'s). */
  private takeSlot(keep: number): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    let victim = -1;
    for (let l = 0; l < this.numLeaves; l++) {
      if (l === keep || this.leafSlot[l]! < 0) continue;
      if (victim < 0 || this.bestGain[l]! < this.bestGain[victim]!) victim = l;
    }
    if (victim < 0) throw new Error('GBDT: histogram pool exhausted');
    const slot = this.leafSlot[victim]!;
    this.leafSlot[victim] = -1;
    return slot;
  }

  private canSplit(leaf: number, leavesAfter: number): boolean {
    const cfg = this.config;
    if (leavesAfter >= this.maxLeaves) return false;
    if (cfg.maxDepth > 0 && this.leafDepth[leaf]! >= cfg.maxDepth) return false;
    if (this.leafCount[leaf]! < 2 * Math.max(cfg.minDataInLeaf, 1)) return false;
    return this.leafScanH[leaf]! >= 2 * cfg.minSumHessianInLeaf;
  }

  /** Adds a histogram build of the leaf's rows into `slot` (the first free of the job's two). */
  private addBuild(job: NodeJob, leaf: number, slot: number): void {
    const start = this.leafStart[leaf]!;
    const end = start + this.leafCount[leaf]!;
    const offset = slot * this.data.slotSize;
    if (job.build0Slot < 0) {
      job.build0Start = start;
      job.build0End = end;
      job.build0Slot = offset;
    } else {
      job.build1Start = start;
      job.build1End = end;
      job.build1Slot = offset;
    }
  }

  /** Adds the split search of `leaf` (whose histogram is in its slot) as search `which`. */
  private addSearch(job: NodeJob, which: 0 | 1, leaf: number): void {
    const offset = this.leafSlot[leaf]! * this.data.slotSize;
    if (which === 0) {
      job.search0Slot = offset;
      job.search0G = this.leafScanG[leaf]!;
      job.search0H = this.leafScanH[leaf]!;
      job.search0C = this.leafScanC[leaf]!;
    } else {
      job.search1Slot = offset;
      job.search1G = this.leafScanG[leaf]!;
      job.search1H = this.leafScanH[leaf]!;
      job.search1C = this.leafScanC[leaf]!;
    }
  }

  /** Runs the job and keeps the best split of search 0 for leaf0 and of search 1 for leaf1 (-1: no such search). */
  private runJob(job: NodeJob, leaf0: number, leaf1: number): void {
    const runner = this.data.runner;
    runner.run(job, this.data.format.gradScale);
    if (leaf0 >= 0) {
      runner.result(0, this.candidate);
      this.keepSplit(leaf0);
    }
    if (leaf1 >= 0) {
      runner.result(1, this.candidate);
      this.keepSplit(leaf1);
    }
  }

  private keepSplit(leaf: number): void {
    const c = this.candidate;
    this.bestGain[leaf] = c.feature >= 0 ? c.gain : -Infinity;
    this.bestFeature[leaf] = c.feature;
    this.bestBin[leaf] = c.bin;
    this.bestNanLeft[leaf] = c.nanLeft ? 1 : 0;
    this.bestLeftG[leaf] = c.leftG;
    this.bestLeftH[leaf] = c.leftH;
    this.bestLeftC[leaf] = c.leftCount;
  }

  /** Partitions the leaf's rows (stable) and creates the node and the right leaf. */
  private split(
    leaf: number,
    right: number,
    node: number,
    nodeFeature: Int32Array,
    nodeBin: Int32Array,
    nodeNanLeft: Uint8Array,
    nodeLeft: Int32Array,
    nodeRight: Int32Array,
  ): void {
    const d = this.data;
    const f = this.bestFeature[leaf]!;
    const t = this.bestBin[leaf]!;
    const nanLeft = this.bestNanLeft[leaf] === 1;
    const nanBin = d.mapper.numBins[f]!;
    const start = this.leafStart[leaf]!;
    const count = this.leafCount[leaf]!;
    const nl = d.runner.partition(start, count, f * d.rows, t, nanBin, nanLeft);
    const nr = count - nl;

    const parentNode = this.leafParent[leaf]!;
    if (parentNode >= 0) {
      if (nodeLeft[parentNode] === ~leaf) nodeLeft[parentNode] = node;
      else nodeRight[parentNode] = node;
    }
    nodeFeature[node] = f;
    nodeBin[node] = t;
    nodeNanLeft[node] = nanLeft ? 1 : 0;
    nodeLeft[node] = ~leaf;
    nodeRight[node] = ~right;
    const depth = this.leafDepth[leaf]! + 1;
    const scanG = this.leafScanG[leaf]!;
    const scanH = this.leafScanH[leaf]!;
    const scanC = this.leafScanC[leaf]!;
    this.leafStart[right] = start + nl;
    this.leafCount[right] = nr;
    this.leafCount[leaf] = nl;
    this.leafDepth[leaf] = depth;
    this.leafDepth[right] = depth;
    this.leafParent[leaf] = node;
    this.leafParent[right] = node;
    this.leafScanG[leaf] = this.bestLeftG[leaf]!;
    this.leafScanH[leaf] = this.bestLeftH[leaf]!;
    this.leafScanC[leaf] = d.weighted ? nl : this.bestLeftC[leaf]!;
    this.leafScanG[right] = scanG - this.bestLeftG[leaf]!;
    this.leafScanH[right] = scanH - this.bestLeftH[leaf]!;
    this.leafScanC[right] = d.weighted ? nr : scanC - this.bestLeftC[leaf]!;
    this.leafSlot[right] = -1;
  }

  /**
   * Histograms and best splits for the two new leaves (smaller built, larger
   * = parent - smaller), in one job.
   */
  private prepareChildren(left: number, right: number, numLeaves: number): void {
    const d = this.data;
    const canL = this.canSplit(left, numLeaves);
    const canR = this.canSplit(right, numLeaves);
    const parentSlot = this.leafSlot[left]!;
    this.leafSlot[left] = -1;
    this.bestGain[left] = -Infinity;
    this.bestGain[right] = -Infinity;
    if (!canL && !canR) {
      if (parentSlot >= 0) this.freeSlots.push(parentSlot);
      return;
    }
    const leftSmaller = this.leafCount[left]! <= this.leafCount[right]!;
    const small = leftSmaller ? left : right;
    const large = leftSmaller ? right : left;
    const canSmall = leftSmaller ? canL : canR;
    const canLarge = leftSmaller ? canR : canL;
    const job = this.job;
    job.clear();
    let freeAfter = -1;
    if (parentSlot >= 0 && canLarge) {
      const smallSlot = this.takeSlot(-1);
      this.addBuild(job, small, smallSlot);
      job.subParent = parentSlot * d.slotSize;
      job.subChild = smallSlot * d.slotSize;
      this.leafSlot[large] = parentSlot;
      if (canSmall) this.leafSlot[small] = smallSlot;
      else freeAfter = smallSlot;
    } else if (parentSlot >= 0) {
      this.addBuild(job, small, parentSlot);
      this.leafSlot[small] = parentSlot;
    } else {
      for (const [leaf, can] of [
        [small, canSmall],
        [large, canLarge],
      ] as const) {
        if (!can) continue;
        const slot = this.takeSlot(small);
        this.addBuild(job, leaf, slot);
        this.leafSlot[leaf] = slot;
      }
    }
    if (canSmall) this.addSearch(job, 0, small);
    if (canLarge) this.addSearch(job, 1, large);
    this.runJob(job, canSmall ? small : -1, canLarge ? large : -1);
    // The smaller child's histogram was only needed for the subtraction.
    if (freeAfter >= 0) this.freeSlots.push(freeAfter);
  }
}
