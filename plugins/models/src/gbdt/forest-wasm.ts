import { FunctionBody, I32, WasmModule, wasmWithSimd } from '../wasm-emitter.js';

/** Instructions used here (one-byte opcodes of the WebAssembly core). */
const OP = {
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  f32Gt: 0x5e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Shl: 0x74,
  f32Add: 0x92,
  f64Add: 0xa0,
  f32DemoteF64: 0xb6,
} as const;

/** Rows walked together per step: eight independent load chains. */
const GROUP = 8;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest float32 <= t: for float32 x, x > t exactly when x > floor32(t) (NaN stays NaN). */
export function floor32(t: number): number {
  const f = Math.fround(t);
  if (!(f > t)) return f; // f <= t, or NaN
  // f > t >= -float32 max (else f would be -Infinity): step one float32 down.
  f32[0] = f;
  if (f === 0) u32[0] = 0x80000001;
  else if (f > 0) u32[0] = u32[0]! - 1;
  else u32[0] = u32[0]! + 1;
  return f32[0]!;
}

/** The padded forest as BlockPredictor holds it (all trees in the implicit layout). */
export interface PaddedForest {
  depth: Int32Array;
  nodeStart: Int32Array;
  leafStart: Int32Array;
  /** Per padded node: block element offset of its column (column * rowBlock). */
  code: Int32Array;
  thr: Float64Array;
  leaves: Float64Array;
  numColumns: number;
  rowBlock: number;
}

/**
 * BlockPredictor's implicit walk compiled to WebAssembly for one forest:
 * the same steps (node n -> 2n + 1 + (x > t)) on the same block layout, eight
 * rows per step, but as plain loads and an `f32.gt` with no bounds checks.
 * Thresholds become float32 (floor32: the same decisions for float32 x), the
 * sums stay float64 (or float32, for XGBoost), in tree order: bit-identical
 * to the JavaScript walk.
 */
export class WasmForest {
  /** The block to fill (float32, column c at c * rowBlock). */
  readonly block: Float32Array;
  private readonly acc64: Float64Array;
  private readonly acc32: Float32Array;
  private readonly run: (rows8: number, trees: number) => void;
  private readonly numTrees: number;

  /** null without WebAssembly (the caller keeps its JavaScript walk). */
  static create(forest: PaddedForest, float32Sums: boolean): WasmForest | null {
    const wasm = wasmWithSimd();
    if (!wasm) return null;
    const lay = layout(forest);
    const instance = new wasm.Instance(new wasm.Module(forestModule(lay, float32Sums)), {});
    return new WasmForest(instance.exports, forest, lay);
  }

  private constructor(exports: Record<string, unknown>, forest: PaddedForest, lay: Layout) {
    const buffer = (exports['memory'] as { buffer: ArrayBuffer }).buffer;
    const T = forest.depth.length;
    this.numTrees = T;
    const table = new Int32Array(buffer, lay.trees, 4 * T);
    for (let t = 0; t < T; t++) {
      table[4 * t] = lay.nodes + 8 * forest.nodeStart[t]!;
      table[4 * t + 1] = lay.leaves + 8 * forest.leafStart[t]!;
      table[4 * t + 2] = forest.depth[t]!;
    }
    const nodes = new DataView(buffer, lay.nodes, 8 * forest.code.length);
    for (let n = 0; n < forest.code.length; n++) {
      nodes.setInt32(8 * n, 4 * forest.code[n]!, true);
      nodes.setFloat32(8 * n + 4, floor32(forest.thr[n]!), true);
    }
    new Float64Array(buffer, lay.leaves, forest.leaves.length).set(forest.leaves);
    this.block = new Float32Array(buffer, lay.block, forest.numColumns * forest.rowBlock);
    this.acc64 = new Float64Array(buffer, lay.acc, forest.rowBlock);
    this.acc32 = new Float32Array(buffer, lay.acc, forest.rowBlock);
    this.run = exports['walk'] as (rows8: number, trees: number) => void;
  }

  /** Adds every tree's leaf value to acc[0..m), starting from `init`, for the block's first m rows. */
  walk(m: number, init: number, float32Sums: boolean, out: Float64Array, at: number): void {
    const acc = float32Sums ? this.acc32 : this.acc64;
    acc.fill(init);
    this.run((m + GROUP - 1) & ~(GROUP - 1), this.numTrees);
    for (let i = 0; i < m; i++) out[at + i] = acc[i]!;
  }
}

interface Layout {
  trees: number;
  nodes: number;
  leaves: number;
  block: number;
  acc: number;
  pages: number;
}

function layout(forest: PaddedForest): Layout {
  let o = 0;
  const take = (bytes: number) => {
    const start = o;
    o += Math.ceil(bytes / 16) * 16;
    return start;
  };
  const trees = take(16 * forest.depth.length);
  const nodes = take(8 * forest.code.length);
  const leaves = take(8 * forest.leaves.length);
  const block = take(4 * Math.max(1, forest.numColumns) * forest.rowBlock);
  const acc = take(8 * forest.rowBlock);
  return { trees, nodes, leaves, block, acc, pages: Math.ceil(o / 65536) };
}

/** walk(rows8, trees): for each tree (table entry: node base, leaf base, depth), rows in groups of eight. */
function forestModule(lay: Layout, float32Sums: boolean): Uint8Array {
  const f = new FunctionBody([I32, I32]);
  const rows8 = 0;
  const trees = 1;
  const t = f.local(I32);
  const tEnd = f.local(I32);
  const nodeBase = f.local(I32);
  const leafBase = f.local(I32);
  const depth = f.local(I32);
  const s = f.local(I32);
  const row4 = f.local(I32);
  const a = f.local(I32);
  const n = Array.from({ length: GROUP }, () => f.local(I32));
  f.i32(lay.trees).set(t);
  f.get(trees).i32(4).op(OP.i32Shl).i32(lay.trees).op(OP.i32Add).set(tEnd);
  f.block(() => {
    // No trees: nothing to add.
    f.get(t).get(tEnd).op(OP.i32LtU).op(OP.i32Eqz).brIf(0);
    f.loop(() => {
      f.get(t).mem(OP.i32Load, 2, 0).set(nodeBase);
      f.get(t).mem(OP.i32Load, 2, 4).set(leafBase);
      f.get(t).mem(OP.i32Load, 2, 8).set(depth);
      f.i32(0).set(row4);
      f.loop(() => {
        for (const nk of n) f.i32(0).set(nk);
        f.get(depth).set(s);
        f.block(() => {
          f.get(s).op(OP.i32Eqz).brIf(0);
          f.loop(() => {
            for (let k = 0; k < GROUP; k++) {
              const nk = n[k]!;
              // n = 2n + 8 + 8 * (x > thr), n a byte offset (8 bytes per node)
              f.get(nk).i32(1).op(OP.i32Shl).i32(8).op(OP.i32Add);
              f.get(nodeBase).get(nk).op(OP.i32Add).tee(a).mem(OP.i32Load, 2, 0);
              f.get(row4).op(OP.i32Add).mem(OP.f32Load, 2, lay.block + 4 * k);
              f.get(a).mem(OP.f32Load, 2, 4);
              f.op(OP.f32Gt).i32(3).op(OP.i32Shl).op(OP.i32Add).set(nk);
            }
            f.get(s).i32(1).op(OP.i32Sub).tee(s).brIf(0);
          });
        });
        for (let k = 0; k < GROUP; k++) {
          if (float32Sums) {
            f.get(row4).get(row4).mem(OP.f32Load, 2, lay.acc + 4 * k);
            f.get(leafBase).get(n[k]!).op(OP.i32Add).mem(OP.f64Load, 3, 0).op(OP.f32DemoteF64);
            f.op(OP.f32Add).mem(OP.f32Store, 2, lay.acc + 4 * k);
          } else {
            f.get(row4).i32(1).op(OP.i32Shl).tee(a).get(a).mem(OP.f64Load, 3, lay.acc + 8 * k);
            f.get(leafBase).get(n[k]!).op(OP.i32Add).mem(OP.f64Load, 3, 0);
            f.op(OP.f64Add).mem(OP.f64Store, 3, lay.acc + 8 * k);
          }
        }
        f.get(row4).i32(4 * GROUP).op(OP.i32Add).tee(row4).get(rows8).i32(2).op(OP.i32Shl).op(OP.i32LtU).brIf(0);
      });
      f.get(t).i32(16).op(OP.i32Add).tee(t).get(tEnd).op(OP.i32LtU).brIf(0);
    });
  });
  const m = new WasmModule(lay.pages);
  m.addFunction('walk', f);
  return m.encode();
}
