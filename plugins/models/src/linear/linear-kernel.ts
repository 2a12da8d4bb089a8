import { F64, FunctionBody, I32, V128, WasmModule, wasmWithSimd, type WasmApi, type WasmMemory } from '../wasm-emitter.js';

/** Opcodes used here; the SIMD ones follow the 0xfd prefix. */
const OP = {
  i32Load: 0x28,
  i32Sub: 0x6b,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32LtU: 0x49,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f64Store: 0x39,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64PromoteF32: 0xbb,
} as const;
const SIMD = {
  load: 0x00,
  load64Splat: 0x0a,
  store: 0x0b,
  const: 0x0c,
  f64x2Eq: 0x47,
  and: 0x4e,
  bitselect: 0x52,
  load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
} as const;

/** Rows per block: a block of rows x (p + 1) float64 stays in the L1/L2 caches while every tile sweeps it. */
const BLOCK_ROWS = 128;

const modules = new Map<number, object>();
let wasm: WasmApi | null | undefined;

/** Byte offsets of the kernel's arrays in its memory, for p feature columns. */
function layout(p: number) {
  const stride = p + 1 + ((p + 1) & 1); // features, label, padding to an even count
  const pairs = (p + 1) >> 1; // feature pairs (the last may hold the label column's slot)
  const at = { block: 0, gram: 0, src: 0, labels: 0, rootWeights: 0, fill: 0, centre: 0, sums: 0, counts: 0, tiles: 0, end: 0 };
  // Tiles of G: rows j, j+1 by columns k.. (1 to 4 vectors), listed by width: [jByte, kByte, gramByte, 0] each.
  const tiles: number[][][] = [[], [], [], [], []];
  for (let j = 0; j < stride; j += 2) {
    for (let k = j; k < stride; k += 8) tiles[Math.min(4, (stride - k) / 2)]!.push([8 * j, 8 * k, 8 * (j * stride + k)]);
  }
  let o = 0;
  const take = (bytes: number) => {
    const start = o;
    o += Math.ceil(bytes / 16) * 16;
    return start;
  };
  at.block = take(BLOCK_ROWS * stride * 8);
  at.gram = take(stride * stride * 8);
  at.src = take(BLOCK_ROWS * p * 4 + 16); // + 16: the last odd pair reads one float past the block
  at.labels = take(BLOCK_ROWS * 4);
  at.rootWeights = take(BLOCK_ROWS * 8);
  at.fill = take(pairs * 16);
  at.centre = take(pairs * 16);
  at.sums = take(pairs * 16);
  at.counts = take(pairs * 16);
  at.tiles = take(16 * tiles.reduce((n, list) => n + list.length, 0));
  at.end = o;
  return { stride, pairs, at, tiles, pages: Math.ceil(o / 65536) };
}

/**
 * The linear model's passes over float32 rows in WebAssembly SIMD, from a
 * module generated for one column count p (cached per p).
 *
 * - `finiteSums`: per column, the sum and count of finite values (row order,
 *   as the scalar loop sums them).
 * - `gram`: the rows ((x finite ? x : fill) - centre) * sqrt(w), label column
 *   (y - yCentre) * sqrt(w) appended, packed block by block as float64, and
 *   G += B'B over the upper triangle: X'WX in G[0..p)[0..p), X'Wy in column p.
 *
 * The Gram code loops over a table of tiles of G — two rows (j, j+1) by up
 * to eight columns (four f64x2 vectors), eight vector accumulators in
 * registers; a block row adds B[i][j..j+1] x B[i][k..k+7] (two splat loads,
 * four vector loads, eight multiplies, eight adds). Each entry of G is a sum
 * over rows in row order, restarted per block. The code's size does not grow
 * with p beyond the packing (straight-line, a few bytes per column pair).
 */
export class LinearKernel {
  private readonly p: number;
  private readonly stride: number;
  private readonly memory: ArrayBuffer;
  private readonly lay: ReturnType<typeof layout>;
  private readonly exports: Record<string, (...args: number[]) => void>;

  /** null when the runtime has no WebAssembly SIMD (the caller then runs its scalar loops). */
  static create(p: number): LinearKernel | null {
    if (wasm === undefined) wasm = wasmWithSimd();
    if (!wasm || p < 1) return null;
    let module = modules.get(p);
    if (!module) {
      module = new wasm.Module(kernelModule(p));
      modules.set(p, module);
    }
    return new LinearKernel(new wasm.Instance(module, {}).exports, p);
  }

  private constructor(exports: Record<string, unknown>, p: number) {
    this.p = p;
    this.lay = layout(p);
    this.stride = this.lay.stride;
    this.memory = (exports['memory'] as WasmMemory).buffer;
    this.exports = exports as Record<string, (...args: number[]) => void>;
    const table = new Int32Array(this.memory, this.lay.at.tiles, (this.lay.at.end - this.lay.at.tiles) / 4);
    let e = 0;
    for (const list of this.lay.tiles) {
      for (const [jByte, kByte, gByte] of list) {
        table[e++] = jByte!;
        table[e++] = kByte!;
        table[e++] = this.lay.at.gram + gByte!;
        table[e++] = 0;
      }
    }
  }

  /** Sum and count of the finite values of each column of X (n x p, row-major). */
  finiteSums(X: Float32Array, n: number): { sum: Float64Array; count: Float64Array } {
    const { p, lay } = this;
    const src = new Float32Array(this.memory, lay.at.src, BLOCK_ROWS * p);
    new Float64Array(this.memory, lay.at.sums, 2 * lay.pairs).fill(0);
    new Float64Array(this.memory, lay.at.counts, 2 * lay.pairs).fill(0);
    const run = this.exports['finiteSums']!;
    for (let r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
      const m = Math.min(BLOCK_ROWS, n - r0);
      src.set(X.subarray(r0 * p, (r0 + m) * p));
      run(m);
    }
    return { sum: new Float64Array(this.memory, lay.at.sums, p).slice(), count: new Float64Array(this.memory, lay.at.counts, p).slice() };
  }

  /** X'WX (p x p, full) and X'Wy of the filled, centred, weighted rows. */
  gram(X: Float32Array, y: Float32Array, w: Float32Array | undefined, n: number, fill: Float64Array, centre: Float64Array, yCentre: number): { A: Float64Array; b: Float64Array } {
    const { p, stride, lay } = this;
    const mem = this.memory;
    new Float64Array(mem, lay.at.fill, p).set(fill);
    new Float64Array(mem, lay.at.centre, p).set(centre);
    new Float64Array(mem, lay.at.gram, stride * stride).fill(0);
    const src = new Float32Array(mem, lay.at.src, BLOCK_ROWS * p);
    const labels = new Float32Array(mem, lay.at.labels, BLOCK_ROWS);
    const rootWeights = new Float64Array(mem, lay.at.rootWeights, BLOCK_ROWS).fill(1);
    const run = this.exports['gram']!;
    for (let r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
      const m = Math.min(BLOCK_ROWS, n - r0);
      src.set(X.subarray(r0 * p, (r0 + m) * p));
      labels.set(y.subarray(r0, r0 + m));
      if (w) for (let i = 0; i < m; i++) rootWeights[i] = Math.sqrt(w[r0 + i]!);
      run(m, yCentre);
    }
    const G = new Float64Array(mem, lay.at.gram, stride * stride);
    const A = new Float64Array(p * p);
    const b = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      for (let k = j; k < p; k++) A[j * p + k] = A[k * p + j] = G[j * stride + k]!;
      b[j] = G[j * stride + p]!;
    }
    return { A, b };
  }
}

function kernelModule(p: number): Uint8Array {
  const lay = layout(p);
  const m = new WasmModule(lay.pages);
  m.addFunction('finiteSums', finiteSumsCode(p, lay));
  m.addFunction('gram', gramCode(p, lay));
  return m.encode();
}

function zeroVector(f: FunctionBody): void {
  f.simd(SIMD.const);
  f.code.push(...new Array<number>(16).fill(0));
}

/** finiteSums(rows): sums[j] += finite ? x : 0, counts[j] += finite ? 1 : 0, two columns per vector. */
function finiteSumsCode(p: number, lay: ReturnType<typeof layout>): FunctionBody {
  const f = new FunctionBody([I32]);
  const rows = 0;
  const ptr = f.local(I32);
  const end = f.local(I32);
  const x = f.local(V128);
  const ok = f.local(V128);
  const zero = f.local(V128);
  const one = f.local(V128);
  zeroVector(f);
  f.set(zero);
  f.simd(SIMD.const);
  for (let lane = 0; lane < 2; lane++) f.code.push(...new Uint8Array(Float64Array.of(1).buffer));
  f.set(one);
  f.i32(lay.at.src).set(ptr);
  f.get(rows).i32(p * 4).op(OP.i32Mul).i32(lay.at.src).op(OP.i32Add).set(end);
  f.loop(() => {
    for (let t = 0; t < lay.pairs; t++) {
      f.get(ptr).simd(SIMD.load64Zero, { align: 2, offset: 8 * t }).simd(SIMD.f64x2PromoteLowF32x4).tee(x);
      f.get(x).simd(SIMD.f64x2Sub).get(zero).simd(SIMD.f64x2Eq).set(ok); // x - x == 0: finite
      f.i32(0).i32(0).simd(SIMD.load, { align: 3, offset: lay.at.sums + 16 * t }).get(x).get(ok).simd(SIMD.and).simd(SIMD.f64x2Add).simd(SIMD.store, { align: 3, offset: lay.at.sums + 16 * t });
      f.i32(0).i32(0).simd(SIMD.load, { align: 3, offset: lay.at.counts + 16 * t }).get(one).get(ok).simd(SIMD.and).simd(SIMD.f64x2Add).simd(SIMD.store, { align: 3, offset: lay.at.counts + 16 * t });
    }
    f.get(ptr).i32(p * 4).op(OP.i32Add).tee(ptr).get(end).op(OP.i32LtU).brIf(0);
  });
  return f;
}

/** gram(rows, yCentre): packs the block's rows, then adds its upper-triangle tiles to G. */
function gramCode(p: number, lay: ReturnType<typeof layout>): FunctionBody {
  const { stride, at } = lay;
  const f = new FunctionBody([I32, F64]);
  const rows = 0;
  const yCentre = 1;
  const ptr = f.local(I32);
  const src = f.local(I32);
  const row = f.local(I32);
  const end = f.local(I32);
  const x = f.local(V128);
  const sw = f.local(V128);
  const zero = f.local(V128);
  const splat = f.local(V128);
  const y = [0, 1, 2, 3].map(() => f.local(V128));
  const acc = [0, 1].map(() => [0, 1, 2, 3].map(() => f.local(V128)));
  const rowBytes = stride * 8;
  zeroVector(f);
  f.set(zero);
  f.get(rows).i32(rowBytes).op(OP.i32Mul).i32(at.block).op(OP.i32Add).set(end);

  // Pack: block[i][j] = ((finite ? x : fill[j]) - centre[j]) * sw[i]; block[i][p] = (y[i] - yCentre) * sw[i].
  f.i32(at.block).set(ptr);
  f.i32(at.src).set(src);
  f.i32(0).set(row);
  f.loop(() => {
    f.get(row).simd(SIMD.load64Splat, { align: 3, offset: at.rootWeights }).set(sw);
    for (let t = 0; t < lay.pairs; t++) {
      f.get(ptr);
      f.get(src).simd(SIMD.load64Zero, { align: 2, offset: 8 * t }).simd(SIMD.f64x2PromoteLowF32x4).tee(x);
      f.i32(0).simd(SIMD.load, { align: 3, offset: at.fill + 16 * t });
      f.get(x).get(x).simd(SIMD.f64x2Sub).get(zero).simd(SIMD.f64x2Eq);
      f.simd(SIMD.bitselect);
      f.i32(0).simd(SIMD.load, { align: 3, offset: at.centre + 16 * t }).simd(SIMD.f64x2Sub);
      f.get(sw).simd(SIMD.f64x2Mul);
      f.simd(SIMD.store, { align: 3, offset: 16 * t });
    }
    // The label after the features (overwrites the odd last pair's spill).
    f.get(ptr);
    f.get(row).i32(1).op(0x76 /* i32.shr_u: the label's byte offset is half the row's */).mem(OP.f32Load, 2, at.labels).op(OP.f64PromoteF32);
    f.get(yCentre).op(OP.f64Sub);
    f.get(row).mem(OP.f64Load, 3, at.rootWeights).op(OP.f64Mul);
    f.mem(OP.f64Store, 3, 8 * p);
    f.get(src).i32(p * 4).op(OP.i32Add).set(src);
    f.get(row).i32(8).op(OP.i32Add).set(row);
    f.get(ptr).i32(rowBytes).op(OP.i32Add).tee(ptr).get(end).op(OP.i32LtU).brIf(0);
  });

  // The tiles, one loop per width v (vectors of G per tile row), over the tile table.
  const jOff = f.local(I32);
  const kOff = f.local(I32);
  const gOff = f.local(I32);
  const kPtr = f.local(I32);
  const rowsBytes = f.local(I32);
  const t = f.local(I32);
  f.get(end).i32(at.block).op(OP.i32Sub).set(rowsBytes);
  let entry = at.tiles;
  for (let v = 1; v <= 4; v++) {
    const count = lay.tiles[v]!.length;
    if (count === 0) continue;
    const tEnd = entry + 16 * count;
    f.i32(entry).set(t);
    f.loop(() => {
      f.get(t).mem(OP.i32Load, 2, 0).set(jOff);
      f.get(t).mem(OP.i32Load, 2, 4).set(kOff);
      f.get(t).mem(OP.i32Load, 2, 8).set(gOff);
      for (let a = 0; a < 2; a++) for (let b = 0; b < v; b++) f.get(zero).set(acc[a]![b]!);
      f.get(jOff).i32(at.block).op(OP.i32Add).set(ptr);
      f.get(kOff).i32(at.block).op(OP.i32Add).set(kPtr);
      f.get(ptr).get(rowsBytes).op(OP.i32Add).set(row); // the tile's end (row: free after packing)
      f.loop(() => {
        for (let b = 0; b < v; b++) f.get(kPtr).simd(SIMD.load, { align: 3, offset: 16 * b }).set(y[b]!);
        for (let a = 0; a < 2; a++) {
          f.get(ptr).simd(SIMD.load64Splat, { align: 3, offset: 8 * a }).set(splat);
          for (let b = 0; b < v; b++) f.get(acc[a]![b]!).get(splat).get(y[b]!).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(acc[a]![b]!);
        }
        f.get(kPtr).i32(rowBytes).op(OP.i32Add).set(kPtr);
        f.get(ptr).i32(rowBytes).op(OP.i32Add).tee(ptr).get(row).op(OP.i32LtU).brIf(0);
      });
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < v; b++) {
          const o = a * rowBytes + 16 * b;
          f.get(gOff).get(gOff).simd(SIMD.load, { align: 3, offset: o }).get(acc[a]![b]!).simd(SIMD.f64x2Add).simd(SIMD.store, { align: 3, offset: o });
        }
      }
      f.get(t).i32(16).op(OP.i32Add).tee(t).i32(tEnd).op(OP.i32LtU).brIf(0);
    });
    entry = tEnd;
  }
  return f;
}
