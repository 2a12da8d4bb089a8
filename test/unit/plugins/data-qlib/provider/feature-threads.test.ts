import { describe, expect, it } from 'vitest';
import { defaultFeatureThreads } from '../../../../../plugins/data-qlib/src/parallel/feature-workers.js';

describe('automatic feature threads', () => {
  it('use the cores other processes leave idle, at least 1 and at most 4', () => {
    // An idle 2-core machine: both cores.
    expect(defaultFeatureThreads(0.1, 2)).toBe(2);
    // One core busy elsewhere, or a loaded machine: one thread (more measured slower).
    expect(defaultFeatureThreads(1.2, 2)).toBe(1);
    expect(defaultFeatureThreads(16, 2)).toBe(1);
    // Many idle cores: capped at 4; partly busy: what is left.
    expect(defaultFeatureThreads(0, 16)).toBe(4);
    expect(defaultFeatureThreads(13.8, 16)).toBe(2);
    expect(defaultFeatureThreads(0, 1)).toBe(1);
  });
});
