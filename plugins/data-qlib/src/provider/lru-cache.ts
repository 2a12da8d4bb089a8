/**
 * A byte-budgeted LRU of typed arrays (Map keeps insertion order; re-insert
 * on hit). Memory is counted by underlying buffer: arrays that are views of
 * one buffer (a feature worker sends an instrument's results as views of a
 * single buffer) count that buffer once, whole, for as long as any of them
 * is cached, so the budget bounds the memory the cache really keeps alive.
 */
export class ArrayLruCache<V extends ArrayBufferView> {
  private readonly map = new Map<string, V>();
  /** Cached views per underlying buffer. */
  private readonly views = new Map<ArrayBufferLike, number>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budgetBytes: number) {}

  /** Bytes of the buffers the cached arrays keep alive. */
  get size(): number {
    return this.bytes;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.release(old);
    }
    this.map.set(key, value);
    const buffer = value.buffer;
    const n = this.views.get(buffer) ?? 0;
    if (n === 0) this.bytes += buffer.byteLength;
    this.views.set(buffer, n + 1);
    while (this.bytes > this.budgetBytes && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value as [string, V];
      this.map.delete(k);
      this.release(v);
    }
  }

  private release(v: V): void {
    const n = this.views.get(v.buffer)!;
    if (n > 1) this.views.set(v.buffer, n - 1);
    else {
      this.views.delete(v.buffer);
      this.bytes -= v.buffer.byteLength;
    }
  }

  clear(): void {
    this.map.clear();
    this.views.clear();
    this.bytes = 0;
  }
}
