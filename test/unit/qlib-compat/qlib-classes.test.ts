import { describe, expect, it } from 'vitest';
import { standaloneComponents } from '../../../core/index.js';
import { modelsPlugin } from '../../../plugins/models/src/manifest.js';

const kernel = standaloneComponents([modelsPlugin]);

describe("Qlib's classes by module_path", () => {
  it('maps Qlib model classes to the built-ins', () => {
    expect(kernel.create('model', { class: 'LGBModel', module_path: 'qlib.contrib.model.gbdt', kwargs: { loss: 'mse', num_leaves: 31 } }).className).toBe('GBDT');
    expect(kernel.create('model', { class: 'XGBModel', module_path: 'qlib.contrib.model.xgboost', kwargs: { eta: 0.05, nthread: 1, eval_metric: 'rmse' } }).className).toBe('XGBModel');
    expect(kernel.create('model', { class: 'LinearModel', module_path: 'qlib.contrib.model.linear', kwargs: { estimator: 'nnls' } }).className).toBe('Linear');
  });

  it('refuses a Qlib class without a counterpart, naming it and what is supported', () => {
    const run = (): unknown => kernel.create('model', { class: 'LSTM', module_path: 'qlib.contrib.model.pytorch_lstm', kwargs: {} });
    expect(run).toThrow(/model class "LSTM" from Qlib module qlib.contrib.model.pytorch_lstm has no built-in counterpart \(PyTorch models are not supported\)/);
    try {
      run();
    } catch (e) {
      expect((e as { hint?: string }).hint).toMatch(/LGBModel.*LinearModel.*XGBModel/);
    }
  });

  it('refuses dart boosting by its key', () => {
    expect(() => kernel.create('model', { class: 'LGBModel', module_path: 'qlib.contrib.model.gbdt', kwargs: { boosting_type: 'dart' } })).toThrow(/boosting_type.*"gbdt", "gbtree"/);
  });
});
