import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * Workflow files in Qlib's own shape (qlib_init, anchors, task with
 * placeholders and the three records) run unchanged on the embedded market
 * written in Qlib's layout.
 */
let dir = '';
let mkt = '';

beforeAll(async () => {
  dir = tempDir('qonline-wf-');
  mkt = path.join(dir, 'mkt');
  const s = await runCli(['data', 'synth', '--out', mkt, '--instruments', '10', '--start', '2019-01-01', '--end', '2020-09-30', '--seed', '3']);
  expect(s.code, s.stderr).toBe(0);
}, 60_000);

function workflow(model: string, handler = 'Alpha158', extra = ''): string {
  return `qlib_init:
    provider_uri: "${mkt}"
    region: cn
market: &market all
benchmark: &benchmark SZ000001
data_handler_config: &data_handler_config
    start_time: 2019-01-01
    end_time: 2020-09-30
    fit_start_time: 2019-01-01
    fit_end_time: 2019-12-31
    instruments: *market
    infer_processors: []
    learn_processors:
        - class: DropnaLabel
        - class: CSRankNorm
          kwargs:
              fields_group: label
    label: [["Ref($close, -2) / Ref($close, -1) - 1"], ["LABEL0"]]
port_analysis_config: &port_analysis_config
    strategy:
        class: TopkDropoutStrategy
        module_path: qlib.contrib.strategy
        kwargs:
            signal: <PRED>
            topk: 4
            n_drop: 1
    backtest:
        start_time: 2020-07-01
        end_time: 2020-09-28
        account: 100000000
        benchmark: *benchmark
        exchange_kwargs:
            limit_threshold: 0.095
            deal_price: close
            open_cost: 0.0005
            close_cost: 0.0015
            min_cost: 5
task:
    model:
${model}
    dataset:
        class: DatasetH
        module_path: qlib.data.dataset
        kwargs:
            handler:
                class: ${handler}
                module_path: qlib.contrib.data.handler
                kwargs: *data_handler_config
            segments:
                train: [2019-01-01, 2019-12-31]
                valid: [2020-01-01, 2020-06-30]
                test: [2020-07-01, 2020-09-30]
    record:
        - class: SignalRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            model: <MODEL>
            dataset: <DATASET>
        - class: SigAnaRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            ana_long_short: True
            ann_scaler: 252
        - class: PortAnaRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            config: *port_analysis_config
${extra}`;
}

const LINEAR = `        class: LinearModel
        module_path: qlib.contrib.model.linear
        kwargs:
            estimator: ridge
            alpha: 0.05`;
const LGB = `        class: LGBModel
        module_path: qlib.contrib.model.gbdt
        kwargs:
            loss: mse
            colsample_bytree: 0.8879
            learning_rate: 0.2
            subsample: 0.8789
            lambda_l1: 0.01
            lambda_l2: 1.0
            max_depth: 8
            num_leaves: 31
            min_data_in_leaf: 5
            num_threads: 1
            num_boost_round: 20`;
const XGB = `        class: XGBModel
        module_path: qlib.contrib.model.xgboost
        kwargs:
            eval_metric: rmse
            colsample_bytree: 0.8879
            eta: 0.2
            max_depth: 8
            n_estimators: 20
            subsample: 0.8789
            nthread: 1`;

interface Result {
  experiment: string;
  reused: boolean;
  records: { class: string; results: Record<string, unknown> }[];
}

async function run(name: string, text: string, home: string): Promise<{ code: number; out?: Result; stderr: string }> {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  const r = await runCli(['run', file, '--json', '--home', home], { timeoutMs: 240_000 });
  return { code: r.code, stderr: r.stderr, ...(r.code === 0 ? { out: JSON.parse(r.stdout) as Result } : {}) };
}

function checkRecords(out: Result): void {
  expect(out.experiment).toBe('workflow');
  expect(out.records.map((r) => r.class)).toEqual(['SignalRecord', 'SigAnaRecord', 'PortAnaRecord']);
  const sig = out.records[1]!.results;
  for (const k of ['IC', 'ICIR', 'Rank IC', 'Rank ICIR', 'Long-Short Ann Return', 'Long-Avg Ann Sharpe']) expect(Number.isFinite(sig[k]), k).toBe(true);
  expect(Math.abs(sig['IC'] as number)).toBeLessThan(1);
  const port = out.records[2]!.results as Record<string, Record<string, number>>;
  for (const k of ['excess_return_without_cost', 'excess_return_with_cost']) {
    expect(Number.isFinite(port[k]!['annualized_return']), k).toBe(true);
    expect(Number.isFinite(port[k]!['information_ratio']), k).toBe(true);
  }
  // Costs only lower the return.
  expect(port['excess_return_with_cost']!['mean']!).toBeLessThan(port['excess_return_without_cost']!['mean']!);
}

describe('qonline run WORKFLOW.yaml (Qlib workflow files, built CLI)', () => {
  it('linear on Alpha158: all three records, and a second run trains nothing', async () => {
    const home = path.join(dir, 'home-linear');
    const a = await run('linear', workflow(LINEAR), home);
    expect(a.code, a.stderr).toBe(0);
    checkRecords(a.out!);
    expect(a.out!.reused).toBe(false);
    const b = await run('linear', workflow(LINEAR), home);
    expect(b.code, b.stderr).toBe(0);
    expect(b.out!.reused).toBe(true);
    expect(b.out!.records).toEqual(a.out!.records);
  }, 300_000);

  it('GBDT with LightGBM names on Alpha158', async () => {
    const r = await run('lgb', workflow(LGB), path.join(dir, 'home-lgb'));
    expect(r.code, r.stderr).toBe(0);
    checkRecords(r.out!);
  }, 300_000);

  it('GBDT with XGBoost names on Alpha360', async () => {
    const r = await run('xgb', workflow(XGB, 'Alpha360'), path.join(dir, 'home-xgb'));
    expect(r.code, r.stderr).toBe(0);
    checkRecords(r.out!);
  }, 300_000);

  it('validates a workflow file without data (the true port in configs/qlib) and reports a bad option at its line', async () => {
    const ok = await runCli(['validate', 'configs/qlib/workflow_config_lightgbm_Alpha158.yaml', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, workflow: true, records: 3 });
    const file = path.join(dir, 'bad-validate.yaml');
    writeFileSync(file, workflow(LINEAR.replace('estimator: ridge', 'estimator: elastic')));
    const bad = await runCli(['validate', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad-validate\.yaml:\d+:\d+ at \/task\/model\/kwargs\/estimator/);
  }, 60_000);

  it("uses Qlib's expression semantics unless the file says expressions: default", async () => {
    const text = `qlib_init: {provider_uri: "${mkt}", region: cn}
task:
  model: {class: LinearModel, module_path: qlib.contrib.model.linear}
  dataset:
    class: DatasetH
    module_path: qlib.data.dataset
    kwargs:
      handler:
        class: DataHandlerLP
        kwargs: {instruments: all, start_time: 2019-01-01, end_time: 2020-09-30, learn_processors: [DropnaLabel], infer_processors: [{class: Fillna, kwargs: {fields_group: feature}}], features: {E0: "EMA($close, 0) / $close", M: "Mean($close, 0.5) / $close", R: "Ref($close, 0) / $close"}}
      segments: {train: [2019-01-01, 2019-12-31], valid: [2020-01-01, 2020-03-31], test: [2020-04-01, 2020-06-30]}
  record: [{class: SignalRecord}, {class: SigAnaRecord}]
`;
    const q = await run('ema-qlib', text, path.join(dir, 'home-ema'));
    expect(q.code, q.stderr).toBe(0);
    expect(Number.isFinite(q.out!.records[1]!.results['IC'])).toBe(true);
    const d = await run('ema-default', `expressions: default\n${text}`, path.join(dir, 'home-ema'));
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/EMA\(x, 0\)|EMA needs a span/);
  }, 120_000);

  it('refuses every unsupported class or key by its name (exit 2, nothing trained)', async () => {
    const home = path.join(dir, 'home-bad');
    const cases: [string, string, RegExp][] = [
      ['torch', workflow(`        class: LSTM\n        module_path: qlib.contrib.model.pytorch_lstm\n        kwargs: {d_feat: 6}`), /LSTM.*qlib.contrib.model.pytorch_lstm.*PyTorch models are not supported/s],
      ['dart', workflow(LGB.replace('loss: mse', 'loss: mse\n            boosting_type: dart')), /bad-dart\.yaml:\d+:\d+ .*boosting_type/],
      ['record', workflow(LINEAR).replace('- class: SigAnaRecord', '- class: MyRecord'), /record class "MyRecord" is not supported \(supported: (?=.*PortAnaRecord)(?=.*SigAnaRecord)(?=.*SignalRecord)/],
      ['sigkey', workflow(LINEAR).replace('ann_scaler: 252', 'ann_scaler: 252\n            label_fields: 3'), /label_fields/],
      ['taskkey', workflow(LINEAR, 'Alpha158', '    evals: 3\n'), /unknown task key "evals"/],
    ];
    for (const [name, text, message] of cases) {
      const r = await run(`bad-${name}`, text, home);
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).toMatch(message);
    }
  }, 300_000);
});
