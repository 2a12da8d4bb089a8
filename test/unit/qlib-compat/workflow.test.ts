import { describe, expect, it } from 'vitest';
import { isWorkflowConfig, qlibLabel } from '../../../core/engine/workflow.js';

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

describe('configs/qlib: the true port of Qlib\'s LightGBM Alpha158 benchmark file', () => {
  it('translates to the task with Qlib\'s values and the QlibData provider with Qlib semantics', async () => {
    const { loadConfigFile } = await import('../../../core/config/load.js');
    const { translateWorkflow } = await import('../../../core/engine/workflow.js');
    const os = await import('node:os');
    const path = await import('node:path');
    const t = translateWorkflow(await loadConfigFile(path.resolve(__dirname, '../../../configs/qlib/workflow_config_lightgbm_Alpha158.yaml')));
    expect(t.data).toEqual({ class: 'QlibData', kwargs: { uri: path.join(os.homedir(), '.qlib/qlib_data/cn_data'), expressions: 'qlib' } });
    expect(t.task.model.kwargs).toEqual({ loss: 'mse', colsample_bytree: 0.8879, learning_rate: 0.2, subsample: 0.8789, lambda_l1: 205.6999, lambda_l2: 580.9768, max_depth: 8, num_leaves: 210, num_threads: 20 });
    expect(t.task.dataset.kwargs.segments).toEqual({ train: ['2008-01-01', '2014-12-31'], valid: ['2015-01-01', '2016-12-31'], test: ['2017-01-01', '2020-08-01'] });
    expect(t.task.dataset.kwargs.handler.kwargs).toMatchObject({ instruments: 'csi300', start_time: '2008-01-01', fit_end_time: '2014-12-31' });
    expect(t.records.map((r) => r.spec.class)).toEqual(['SignalRecord', 'SigAnaRecord', 'PortAnaRecord']);
    expect(t.region).toBe('cn');
  });
});
