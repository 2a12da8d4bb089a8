import { describe, expect, it } from 'vitest';
import { checkSteps, normalizeStep } from '../../../../core/config/steps.js';
import { ComponentRegistry } from '../../../../core/kernel/registry.js';
import { SchemaValidator } from '../../../../core/kernel/validator.js';
import { builtinPluginEntries } from '../../../../plugins/builtins.js';

describe('steps: entries', () => {
  it('normalises the three forms to one component spec', () => {
    expect(normalizeStep('routine').spec).toEqual({ class: 'routine' });
    expect(normalizeStep({ class: 'routine', kwargs: { cur_time: '2020-06-30' } }).spec).toEqual({ class: 'routine', kwargs: { cur_time: '2020-06-30' } });
    expect(normalizeStep({ routine: { cur_time: '2020-06-30' } }).spec).toEqual({ class: 'routine', kwargs: { cur_time: '2020-06-30' } });
    expect(normalizeStep({ first_train: null }).spec).toEqual({ class: 'first_train', kwargs: {} });
  });

  // The {class, kwargs} form is checked with every other component (validate.ts walks x-qonline-kind slots).
  it('reports names and options of the name and shorthand forms at the entry itself', () => {
    const registry = new ComponentRegistry();
    registry.registerAll(builtinPluginEntries());
    const problems = checkSteps(['first_train', 'routin', { simulate: { end_time: 'soon' } }, { add_strategy: { strategies: [] } }, { class: 'nope' }], registry, new SchemaValidator());
    expect(problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual([
      '/steps/1: unknown step class "routin"; did you mean "routine"?',
      '/steps/2/simulate/end_time: simulate: expected a real calendar date YYYY-MM-DD',
      '/steps/3/add_strategy/strategies: add_strategy: must NOT have fewer than 1 items',
    ]);
  });
});
