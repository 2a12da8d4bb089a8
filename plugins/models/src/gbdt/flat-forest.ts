import { WasmForest } from './forest-wasm.js';
import type { Tree } from './tree.js';

/** Rows predicted together: a block's features are copied column-major once, then walked tree by tree. */
const ROW_BLOCK = 64;
/** Deeper trees keep the linked layout (a padded complete tree grows as 2^depth). */
const MAX_IMPLICIT_DEPTH = 10;

/**
 * A forest in linked form, the input of BlockPredictor. A split node sends a
 * row right when x[feature] > threshold, or, when x is NaN, when nanRight is
 * 1. Leaves absorb: left = right = the leaf itself, threshold NaN.
 */
export interface LinkedNodes {
  /** Per tree: its root node and its depth (longest root-to-leaf path in steps, 0 for a single leaf). */
  roots: Int32Array;
  depth: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  nanRight: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf values (0 on split nodes). */
  value: Float64Array;
}

/**
 * The prediction kernel shared by GBDT models and imported forests.
 *
 * Missing values cost nothing in the walk: a block of rows is copied
 * column-major into "views" of each feature the forest reads, NaN replaced
 * so that the plain test `x > t` takes the node's missing-value side —
 * NaN -> -Infinity for nodes whose NaN goes left, NaN -> +Infinity for nodes
 * whose NaN goes right (exact for every x and every threshold below
 * +Infinity), and a 0/1 NaN indicator against 0.5 for "NaN goes right,
 * everything else left" nodes (threshold +Infinity). A node stores the block
 * offset of its view's column, so one step is two loads, a compare and an add.
 *
 * Trees up to MAX_IMPLICIT_DEPTH are padded to complete trees of their own
 * depth (node n's children are 2n+1 and 2n+2, so a step loads no child
 * links; a leaf above the bottom becomes a node that always goes left, to
 * copies of its value), and eight rows walk a tree together with their nodes
 * in registers: eight independent load chains overlap in the CPU. Deeper
 * trees are walked through their links, four rows at a time. Every row takes
 * exactly its tree's depth in steps (no data-dependent exit), and the sums
 * are accumulated in tree order, so the result equals walking each tree row
 * by row. When every tree is padded, the walk runs as WebAssembly compiled
 * for the forest (forest-wasm.ts; the same steps without bounds checks, about
 * 1.6x faster), with the identical result.
 */
export class BlockPredictor {
  /** Per tree: 1 = implicit layout, 0 = linked. */
  private readonly implicit: Uint8Array;
  private readonly depth: Int32Array;
  /** Per tree: its first node (implicit: in the padded arrays; linked: in the linked arrays). */
  private readonly nodeStart: Int32Array;
  /** Per implicit tree: index of its first leaf value in `leaves`, minus its inner node count. */
  private readonly leafStart: Int32Array;
  /** Per padded node: its view column's offset in the block (column * ROW_BLOCK). */
  private readonly code: Int32Array;
  private readonly thr: Float64Array;
  private readonly leaves: Float64Array;
  /** Linked trees: per node code, threshold, children, value. */
  private readonly linkedCode: Int32Array;
  private readonly linkedThr: Float64Array;
  private readonly linkedChildren: Int32Array;
  private readonly linkedValue: Float64Array;
  /** Block columns: for each, the source feature and the view (0: NaN -> -inf, 1: NaN -> +inf, 2: NaN indicator). */
  private readonly columnFeature: Int32Array;
  private readonly columnView: Uint8Array;
  /** Columns a row must have: 1 + the largest feature read. */
  readonly featuresRead: number;
  /** The implicit walk in WebAssembly, per summation precision: built on first use; null where it cannot run. */
  private readonly compiled = new Map<boolean, WasmForest | null>();

  constructor(nodes: LinkedNodes) {
    const T = nodes.roots.length;
    this.depth = Int32Array.from(nodes.depth);
    this.implicit = new Uint8Array(T);
    this.nodeStart = new Int32Array(T);
    this.leafStart = new Int32Array(T);
    // Block columns, one per (feature, view) pair in use.
    const columnOf = new Map<number, number>();
    const features: number[] = [];
    const views: number[] = [];
    const columnCode = (node: number): number => {
      const f = nodes.feature[node]!;
      const view = nodes.nanRight[node] ? (nodes.threshold[node] === Infinity ? 2 : 1) : 0;
      const key = f * 3 + view;
      let c = columnOf.get(key);
      if (c === undefined) {
        c = features.length;
        columnOf.set(key, c);
        features.push(f);
        views.push(view);
      }
      return c * ROW_BLOCK;
    };
    const nodeThreshold = (node: number): number => (nodes.nanRight[node] && nodes.threshold[node] === Infinity ? 0.5 : nodes.threshold[node]!);
    const isLeaf = (node: number): boolean => nodes.left[node] === node;

    let padded = 0;
    let leafSlots = 0;
    let linked = 0;
    for (let t = 0; t < T; t++) {
      const d = this.depth[t]!;
      if (d <= MAX_IMPLICIT_DEPTH) {
        this.implicit[t] = 1;
        this.nodeStart[t] = padded;
        this.leafStart[t] = leafSlots - ((1 << d) - 1);
        padded += (1 << d) - 1;
        leafSlots += 1 << d;
      } else {
        this.nodeStart[t] = linked;
        linked += treeSize(nodes, nodes.roots[t]!);
      }
    }
    this.code = new Int32Array(padded);
    this.thr = new Float64Array(padded);
    this.leaves = new Float64Array(leafSlots);
    this.linkedCode = new Int32Array(linked);
    this.linkedThr = new Float64Array(linked);
    this.linkedChildren = new Int32Array(2 * linked);
    this.linkedValue = new Float64Array(linked);
    for (let t = 0; t < T; t++) {
      const d = this.depth[t]!;
      const start = this.nodeStart[t]!;
      if (this.implicit[t]) {
        const leafAt = this.leafStart[t]!;
        // (slot in the padded tree, node, level)
        const stack = [0, nodes.roots[t]!, 0];
        while (stack.length) {
          const level = stack.pop()!;
          const node = stack.pop()!;
          const slot = stack.pop()!;
          if (level === d) {
            this.leaves[leafAt + slot] = nodes.value[node]!;
            continue;
          }
          const leaf = isLeaf(node);
          // A leaf above the bottom: NaN threshold, every row goes left, down to copies of the value.
          this.code[start + slot] = leaf ? 0 : columnCode(node);
          this.thr[start + slot] = leaf ? NaN : nodeThreshold(node);
          stack.push(2 * slot + 1, leaf ? node : nodes.left[node]!, level + 1);
          stack.push(2 * slot + 2, leaf ? node : nodes.right[node]!, level + 1);
        }
      } else {
        // Renumber the tree's nodes in visiting order from `start`.
        const local = new Map<number, number>();
        const order = [nodes.roots[t]!];
        local.set(order[0]!, start);
        for (let q = 0; q < order.length; q++) {
          const node = order[q]!;
          for (const c of [nodes.left[node]!, nodes.right[node]!]) {
            if (!local.has(c)) {
              local.set(c, start + order.length);
              order.push(c);
            }
          }
        }
        for (const node of order) {
          const g = local.get(node)!;
          const leaf = isLeaf(node);
          this.linkedCode[g] = leaf ? 0 : columnCode(node);
          this.linkedThr[g] = leaf ? NaN : nodeThreshold(node);
          this.linkedChildren[2 * g] = local.get(nodes.left[node]!)!;
          this.linkedChildren[2 * g + 1] = local.get(nodes.right[node]!)!;
          this.linkedValue[g] = leaf ? nodes.value[node]! : 0;
        }
      }
    }
    this.columnFeature = Int32Array.from(features);
    this.columnView = Uint8Array.from(views);
    this.featuresRead = features.length ? Math.max(...features) + 1 : 0;
  }

  /**
   * init + the trees' leaf values for each row, summed in tree order in
   * float64, or in float32 (each partial sum rounded, as XGBoost does) when
   * `float32Sums`.
   */
  predict(features: Float32Array, rows: number, cols: number, init: number, float32Sums = false): Float64Array {
    const out = new Float64Array(rows);
    const { implicit, depth, nodeStart, leafStart, columnFeature, columnView } = this;
    const numTrees = depth.length;
    const numColumns = columnFeature.length;
    const compiled = this.wasmWalk(float32Sums);
    const block = compiled ? compiled.block : new Float32Array(Math.max(1, numColumns) * ROW_BLOCK);
    const acc = new Float64Array(ROW_BLOCK);
    const leafOf = new Int32Array(ROW_BLOCK);
    for (let r0 = 0; r0 < rows; r0 += ROW_BLOCK) {
      const m = Math.min(ROW_BLOCK, rows - r0);
      acc.fill(init);
      for (let c = 0; c < numColumns; c++) {
        const f = columnFeature[c]!;
        const view = columnView[c]!;
        const at = c * ROW_BLOCK;
        const nanAs = view === 0 ? -Infinity : Infinity;
        if (view === 2) {
          for (let i = 0, src = r0 * cols + f; i < m; i++, src += cols) {
            const x = features[src]!;
            block[at + i] = x !== x ? 1 : 0;
          }
        } else {
          for (let i = 0, src = r0 * cols + f; i < m; i++, src += cols) {
            const x = features[src]!;
            block[at + i] = x !== x ? nanAs : x;
          }
        }
      }
      if (compiled) {
        compiled.walk(m, init, float32Sums, out, r0);
        continue;
      }
      for (let t = 0; t < numTrees; t++) {
        const d = depth[t]!;
        if (implicit[t]) {
          this.walkImplicit(block, m, d, nodeStart[t]!, leafStart[t]!, acc, float32Sums);
          continue;
        }
        this.walkLinked(block, m, d, nodeStart[t]!, leafOf);
        const values = this.linkedValue;
        if (float32Sums) for (let i = 0; i < m; i++) acc[i] = Math.fround(acc[i]! + values[leafOf[i]!]!);
        else for (let i = 0; i < m; i++) acc[i] += values[leafOf[i]!]!;
      }
      for (let i = 0; i < m; i++) out[r0 + i] = acc[i]!;
    }
    return out;
  }

  /** The WebAssembly walk, when every tree has the padded layout and the runtime compiles WebAssembly. */
  private wasmWalk(float32Sums: boolean): WasmForest | null {
    if (this.implicit.includes(0)) return null;
    if (!this.compiled.has(float32Sums)) {
      const forest = { depth: this.depth, nodeStart: this.nodeStart, leafStart: this.leafStart, code: this.code, thr: this.thr, leaves: this.leaves, numColumns: this.columnFeature.length, rowBlock: ROW_BLOCK };
      this.compiled.set(float32Sums, WasmForest.create(forest, float32Sums));
    }
    return this.compiled.get(float32Sums)!;
  }

  /** Adds the tree's leaf value to acc[i] for each row i of the block (lo: the tree's leafStart). */
  private walkImplicit(block: Float32Array, m: number, d: number, no: number, lo: number, acc: Float64Array, float32Sums: boolean): void {
    const { code, thr, leaves } = this;
    let i = 0;
    for (; i + 8 <= m; i += 8) {
      let n0 = 0;
      let n1 = 0;
      let n2 = 0;
      let n3 = 0;
      let n4 = 0;
      let n5 = 0;
      let n6 = 0;
      let n7 = 0;
      for (let s = 0; s < d; s++) {
        n0 = 2 * n0 + 1 + +(block[code[no + n0]! + i]! > thr[no + n0]!);
        n1 = 2 * n1 + 1 + +(block[code[no + n1]! + i + 1]! > thr[no + n1]!);
        n2 = 2 * n2 + 1 + +(block[code[no + n2]! + i + 2]! > thr[no + n2]!);
        n3 = 2 * n3 + 1 + +(block[code[no + n3]! + i + 3]! > thr[no + n3]!);
        n4 = 2 * n4 + 1 + +(block[code[no + n4]! + i + 4]! > thr[no + n4]!);
        n5 = 2 * n5 + 1 + +(block[code[no + n5]! + i + 5]! > thr[no + n5]!);
        n6 = 2 * n6 + 1 + +(block[code[no + n6]! + i + 6]! > thr[no + n6]!);
        n7 = 2 * n7 + 1 + +(block[code[no + n7]! + i + 7]! > thr[no + n7]!);
      }
      if (float32Sums) {
        acc[i] = Math.fround(acc[i]! + leaves[lo + n0]!);
        acc[i + 1] = Math.fround(acc[i + 1]! + leaves[lo + n1]!);
        acc[i + 2] = Math.fround(acc[i + 2]! + leaves[lo + n2]!);
        acc[i + 3] = Math.fround(acc[i + 3]! + leaves[lo + n3]!);
        acc[i + 4] = Math.fround(acc[i + 4]! + leaves[lo + n4]!);
        acc[i + 5] = Math.fround(acc[i + 5]! + leaves[lo + n5]!);
        acc[i + 6] = Math.fround(acc[i + 6]! + leaves[lo + n6]!);
        acc[i + 7] = Math.fround(acc[i + 7]! + leaves[lo + n7]!);
      } else {
        acc[i] += leaves[lo + n0]!;
        acc[i + 1] += leaves[lo + n1]!;
        acc[i + 2] += leaves[lo + n2]!;
        acc[i + 3] += leaves[lo + n3]!;
        acc[i + 4] += leaves[lo + n4]!;
        acc[i + 5] += leaves[lo + n5]!;
        acc[i + 6] += leaves[lo + n6]!;
        acc[i + 7] += leaves[lo + n7]!;
      }
    }
    for (; i < m; i++) {
      let n = 0;
      for (let s = 0; s < d; s++) n = 2 * n + 1 + +(block[code[no + n]! + i]! > thr[no + n]!);
      acc[i] = float32Sums ? Math.fround(acc[i]! + leaves[lo + n]!) : acc[i]! + leaves[lo + n]!;
    }
  }

  /** leafOf[i] = the (linked) leaf node row i of the block reaches. */
  private walkLinked(block: Float32Array, m: number, d: number, root: number, leafOf: Int32Array): void {
    const { linkedCode: code, linkedThr: thr, linkedChildren: children } = this;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      for (let s = 0; s < d; s++) {
        n0 = children[2 * n0 + +(block[code[n0]! + i]! > thr[n0]!)]!;
        n1 = children[2 * n1 + +(block[code[n1]! + i + 1]! > thr[n1]!)]!;
        n2 = children[2 * n2 + +(block[code[n2]! + i + 2]! > thr[n2]!)]!;
        n3 = children[2 * n3 + +(block[code[n3]! + i + 3]! > thr[n3]!)]!;
      }
      leafOf[i] = n0;
      leafOf[i + 1] = n1;
      leafOf[i + 2] = n2;
      leafOf[i + 3] = n3;
    }
    for (; i < m; i++) {
      let n = root;
      for (let s = 0; s < d; s++) n = children[2 * n + +(block[code[n]! + i]! > thr[n]!)]!;
      leafOf[i] = n;
    }
  }
}

/** Nodes reachable from `root` (leaves absorb, so each is counted once). */
function treeSize(nodes: LinkedNodes, root: number): number {
  let count = 0;
  const stack = [root];
  while (stack.length) {
    const node = stack.pop()!;
    count++;
    if (nodes.left[node] !== node) stack.push(nodes.left[node]!, nodes.right[node]!);
  }
  return count;
}

/**
 * A GBDT model's trees for prediction: LinkedNodes (split nodes of tree i,
 * then its leaves) run through the BlockPredictor.
 */
export class FlatForest {
  private readonly kernel: BlockPredictor;

  constructor(trees: Tree[]) {
    let total = 0;
    for (const t of trees) total += 2 * t.numLeaves - 1;
    const nodes: LinkedNodes = {
      roots: new Int32Array(trees.length),
      depth: new Int32Array(trees.length),
      feature: new Int32Array(total),
      threshold: new Float64Array(total),
      nanRight: new Uint8Array(total),
      left: new Int32Array(total),
      right: new Int32Array(total),
      value: new Float64Array(total),
    };
    let base = 0;
    trees.forEach((t, i) => {
      const splits = t.numLeaves - 1;
      // Split nodes first (base + k), then leaves (base + splits + leaf).
      const at = (c: number) => (c >= 0 ? base + c : base + splits + ~c);
      nodes.roots[i] = base;
      for (let k = 0; k < splits; k++) {
        const g = base + k;
        nodes.feature[g] = t.splitFeature[k]!;
        nodes.threshold[g] = t.threshold[k]!;
        nodes.nanRight[g] = t.defaultLeft[k] === 1 ? 0 : 1;
        nodes.left[g] = at(t.leftChild[k]!);
        nodes.right[g] = at(t.rightChild[k]!);
      }
      for (let l = 0; l < t.numLeaves; l++) {
        const g = base + splits + l;
        nodes.threshold[g] = NaN;
        nodes.left[g] = g;
        nodes.right[g] = g;
        nodes.value[g] = t.leafValue[l]!;
      }
      nodes.depth[i] = treeDepth(t);
      base += 2 * t.numLeaves - 1;
    });
    this.kernel = new BlockPredictor(nodes);
  }

  /** init + sum of the trees' leaf values, in tree order, in float64; returned as float32. */
  predict(features: Float32Array, rows: number, cols: number, init: number): Float32Array {
    return Float32Array.from(this.kernel.predict(features, rows, cols, init));
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
