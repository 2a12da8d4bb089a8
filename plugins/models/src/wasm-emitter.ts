/**
 * A small WebAssembly byte emitter: enough of the binary format (one memory,
 * functions over i32 / f64 / v128 locals, the scalar and SIMD instructions the
 * model kernels use) to assemble a kernel at run time from our own code — no
 * compiler, no build step, no downloaded binary. Opcode numbers follow the
 * WebAssembly 2.0 core specification (SIMD: the 0xfd prefix).
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValueType = typeof I32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
function uleb(out: number[], v: number): void {
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 (32-bit values). */
function sleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** out.push(...items) without spreading (a kernel's code runs to hundreds of kilobytes: too many arguments). */
function append(out: number[], items: ArrayLike<number>): void {
  for (let i = 0; i < items.length; i++) out.push(items[i]!);
}

function bytesOf(name: string): number[] {
  const b = Array.from(new TextEncoder().encode(name));
  const out: number[] = [];
  uleb(out, b.length);
  return out.concat(b);
}

/** The body of one function: append instructions, then hand it to WasmModule.addFunction. */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly localTypes: ValueType[] = [];

  constructor(readonly params: ValueType[]) {}

  /** A new local of `type`; returns its index (parameters come first). */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  get(i: number): this {
    this.code.push(0x20);
    uleb(this.code, i);
    return this;
  }

  set(i: number): this {
    this.code.push(0x21);
    uleb(this.code, i);
    return this;
  }

  tee(i: number): this {
    this.code.push(0x22);
    uleb(this.code, i);
    return this;
  }

  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v);
    return this;
  }

  /** A one-byte instruction (i32.add 0x6a, f64.add 0xa0, ...). */
  op(byte: number): this {
    this.code.push(byte);
    return this;
  }

  /** A memory instruction with its alignment (log2 bytes) and constant offset. */
  mem(byte: number, align: number, offset: number): this {
    this.code.push(byte);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }

  /** A SIMD instruction (prefix 0xfd, LEB opcode), with its memory argument when given. */
  simd(opcode: number, memarg?: { align: number; offset: number }): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    if (memarg) {
      uleb(this.code, memarg.align);
      uleb(this.code, memarg.offset);
    }
    return this;
  }

  /** A SIMD lane instruction (extract/replace lane). */
  lane(opcode: number, lane: number): this {
    this.simd(opcode);
    this.code.push(lane);
    return this;
  }

  /** `loop` (with `body` inside), ended. Inside, `br 0` continues the loop. */
  loop(body: () => void): this {
    this.code.push(0x03, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }

  /** `block` (with `body` inside), ended. Inside, `br 0` leaves the block. */
  block(body: () => void): this {
    this.code.push(0x02, 0x40);
    body();
    this.code.push(0x0b);
    return this;
  }

  brIf(depth: number): this {
    this.code.push(0x0d);
    uleb(this.code, depth);
    return this;
  }

  encode(): number[] {
    const out: number[] = [];
    // Locals, one run per entry (runs of equal types are not merged: a few bytes).
    uleb(out, this.localTypes.length);
    for (const t of this.localTypes) out.push(1, t);
    append(out, this.code);
    out.push(0x0b);
    const sized: number[] = [];
    uleb(sized, out.length);
    return sized.concat(out);
  }
}

/** A module with one exported memory and exported functions without results. */
export class WasmModule {
  private readonly functions: { name: string; body: FunctionBody }[] = [];

  constructor(private readonly memoryPages: number) {}

  addFunction(name: string, body: FunctionBody): void {
    this.functions.push({ name, body });
  }

  encode(): Uint8Array {
    const section = (id: number, content: number[]): number[] => {
      const out = [id];
      uleb(out, content.length);
      return out.concat(content);
    };
    const vec = (items: number[][]): number[] => {
      const out: number[] = [];
      uleb(out, items.length);
      for (const item of items) append(out, item);
      return out;
    };
    const types = vec(this.functions.map((f) => [0x60, ...vec(f.body.params.map((t) => [t])), 0]));
    const funcs = vec(this.functions.map((_, i) => leb(i)));
    const memory = vec([[0x00, ...leb(this.memoryPages)]]);
    const exports = vec([[...bytesOf('memory'), 0x02, 0], ...this.functions.map((f, i) => [...bytesOf(f.name), 0x00, ...leb(i)])]);
    const code = vec(this.functions.map((f) => f.body.encode()));
    return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...section(1, types), ...section(3, funcs), ...section(5, memory), ...section(7, exports), ...section(10, code)]);
  }
}

function leb(v: number): number[] {
  const out: number[] = [];
  uleb(out, v);
  return out;
}

/**
 * The runtime's WebAssembly API, the part used here (typed locally: the
 * compiler's ES library has no WebAssembly declarations without the DOM's).
 */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

export interface WasmMemory {
  buffer: ArrayBuffer;
}

const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly ?? null;

/** The WebAssembly API when this runtime compiles 128-bit SIMD (Node 16.4+ does), else null. */
export function wasmWithSimd(): WasmApi | null {
  if (!api) return null;
  try {
    const f = new FunctionBody([]);
    // (v128.const 0) drop
    f.simd(0x0c);
    f.code.push(...new Array<number>(16).fill(0), 0x1a);
    const m = new WasmModule(0);
    m.addFunction('probe', f);
    return api.validate(m.encode()) ? api : null;
  } catch {
    return null;
  }
}
