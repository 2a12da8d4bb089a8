/**
 * Small, fast, seedable generator (xorshift128 seeded through splitmix32):
 * every random choice in training flows from the user's seed, so runs repeat.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0 || 0x9e3779b9;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  nextUint32(): number {
    let t = this.d;
    const s = this.a;
    this.d = this.c;
    this.c = this.b;
    this.b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.a;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /**
   * `k` of `n` indices without replacement, ascending (selection sampling),
   * so sampled rows keep their memory order.
   */
  sampleSorted(n: number, k: number): Int32Array {
    const out = new Int32Array(k);
    let needed = k;
    let j = 0;
    for (let i = 0; i < n && needed > 0; i++) {
      if (this.nextFloat() * (n - i) < needed) {
        out[j++] = i;
        needed--;
      }
    }
    return out;
  }
}
