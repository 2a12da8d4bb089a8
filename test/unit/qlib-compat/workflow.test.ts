import { describe, expect, it } from 'vitest';
import { isWorkflowConfig, qlibLabel } from '../../../core/index.js';

describe('Qlib workflow helpers', () => {
  it('tells a workflow file from a pipeline config', () => {
    expect(isWorkflowConfig({ qlib_init: {}, task: {} })).toBe(true);
    expect(isWorkflowConfig({ task: {}, manager: { name: 'x' } })).toBe(false);
    expect(isWorkflowConfig({ manager: { name: 'x' }, strategies: [] })).toBe(false);
  });

  it("reads Qlib's label forms", () => {
    expect(qlibLabel(['Ref($close, -1)', '$close'])).toEqual({ LABEL0: 'Ref($close, -1)', LABEL1: '$close' });
    expect(qlibLabel([['Ref($close, -2)'], ['RET']])).toEqual({ RET: 'Ref($close, -2)' });
    expect(qlibLabel({ A: '$close' })).toEqual({ A: '$close' });
  });
});
