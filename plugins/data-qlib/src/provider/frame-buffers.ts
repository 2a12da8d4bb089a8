/**
 * Reusable backing memory for the large Float32 arrays of handler frames
 * (the assembled features, DropnaLabel's kept rows). A training thread
 * builds a frame of the same size or so for every task; allocating each
 * afresh touches new pages (page faults, zeroing: seconds of system CPU per
 * simulation). A buffer goes back to the pool only when its owner says it
 * is no longer referenced (`release`, called by a handler when its task's
 * scope ends); until then `take` never hands it out again. Buffers nobody
 * releases are ordinary garbage. One pool per thread (module state).
 * Released buffers not taken again within `idleMs` are dropped: training
 * tasks follow each other within seconds, and a daemon waiting for its next
 * routine should not hold a frame's worth of memory.
 */
export class FloatBufferPool {
  /** Buffers handed out by `take` and not released yet. */
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** Released buffers, ready for reuse. */
  private readonly free: ArrayBuffer[] = [];
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Arrays shorter than this are allocated as usual (their pages are few). */
    readonly minLength = 1 << 20,
    /** Bytes of released buffers kept for reuse; beyond this the oldest are dropped. */
    readonly maxFreeBytes = 1024 * 1024 * 1024,
    /** Released buffers are dropped after this long without a release. */
    readonly idleMs = 30_000,
  ) {}

  /**
   * A Float32Array of `length` values, on a released buffer when one fits
   * (the smallest that does). Its values are stale unless `zero`: callers
   * that write every value pass false.
   */
  take(length: number, zero: boolean): Float32Array {
    if (length < this.minLength) return new Float32Array(length);
    const bytes = length * 4;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= bytes && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    let buffer: ArrayBuffer;
    if (best >= 0) {
      buffer = this.free.splice(best, 1)[0]!;
    } else {
      // Headroom: the next task's frame is often a few rows longer.
      buffer = new ArrayBuffer(Math.ceil((bytes * 1.03) / 64) * 64);
      zero = false; // new memory is zero
    }
    this.lent.add(buffer);
    const out = new Float32Array(buffer, 0, length);
    if (zero) out.fill(0);
    return out;
  }

  /** Gives back the buffer of `array` if it was taken here and not released yet; anything else is ignored. */
  release(array: ArrayBufferView): void {
    const buffer = array.buffer;
    if (!(buffer instanceof ArrayBuffer) || !this.lent.has(buffer)) return;
    this.lent.delete(buffer);
    if (buffer.byteLength === 0) return; // detached (transferred away)
    this.free.push(buffer);
    let total = 0;
    for (const b of this.free) total += b.byteLength;
    while (total > this.maxFreeBytes && this.free.length > 0) total -= this.free.shift()!.byteLength;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.clear(), this.idleMs);
    // The pool must not keep a process alive.
    this.idleTimer.unref?.();
  }

  /** Bytes held for reuse (for tests and diagnostics). */
  freeBytes(): number {
    let total = 0;
    for (const b of this.free) total += b.byteLength;
    return total;
  }

  /** Drops every released buffer. */
  clear(): void {
    this.free.length = 0;
  }
}

/** This thread's pool for handler frames. */
export const frameBuffers = new FloatBufferPool();
