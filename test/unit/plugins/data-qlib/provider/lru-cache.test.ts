import { describe, expect, it } from 'vitest';
import { ArrayLruCache } from '../../../../../plugins/data-qlib/src/provider/lru-cache.js';

describe('ArrayLruCache', () => {
  it('evicts the least recently used arrays beyond its byte budget', () => {
    const c = new ArrayLruCache<Float32Array>(3 * 400);
    for (const k of ['a', 'b', 'c']) c.set(k, new Float32Array(100));
    expect(c.size).toBe(1200);
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    c.set('d', new Float32Array(100));
    expect(c.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].every((k) => c.get(k) !== undefined)).toBe(true);
    expect(c.size).toBe(1200);
    c.set('a', new Float32Array(50)); // replacing a key releases the old array
    expect(c.size).toBe(1000);
  });

  it('counts views of one buffer once, whole, until the last of them leaves', () => {
    const pack = new Float32Array(4 * 100); // one buffer of 1600 bytes, four views of 400
    const views = [0, 1, 2, 3].map((k) => pack.subarray(k * 100, (k + 1) * 100));
    const c = new ArrayLruCache<Float32Array>(2000);
    views.forEach((v, k) => c.set(`v${k}`, v));
    expect(c.size).toBe(1600);
    // A separate 800-byte array overflows the budget: views leave oldest first, and the buffer's bytes only with the last.
    c.set('other', new Float32Array(200));
    expect(c.size).toBe(800);
    expect(c.get('v3')).toBeUndefined();
    c.clear();
    expect(c.size).toBe(0);
  });
});
