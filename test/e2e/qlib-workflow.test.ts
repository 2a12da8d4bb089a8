import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
benchmark: &benchmark SH000300
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

const LONG_SHORT = ['Long-Short Ann Return', 'Long-Short Ann Sharpe', 'Long-Avg Ann Return', 'Long-Avg Ann Sharpe'];

function checkRecords(out: Result, longShort = true): void {
  expect(out.experiment).toBe('workflow');
  expect(out.records.map((r) => r.class)).toEqual(['SignalRecord', 'SigAnaRecord', 'PortAnaRecord']);
  const sig = out.records[1]!.results;
  expect(Object.keys(sig).sort()).toEqual(['IC', 'ICIR', 'Rank IC', 'Rank ICIR', ...(longShort ? LONG_SHORT : [])].sort());
  for (const k of Object.keys(sig)) expect(Number.isFinite(sig[k]), k).toBe(true);
  expect(Math.abs(sig['IC'] as number)).toBeLessThan(1);
  const port = out.records[2]!.results as Record<string, Record<string, number>>;
  expect(Object.keys(port).sort()).toEqual(['excess_return_with_cost', 'excess_return_without_cost']);
  for (const k of ['excess_return_without_cost', 'excess_return_with_cost']) {
    expect(Object.keys(port[k]!).sort(), k).toEqual(['annualized_return', 'information_ratio', 'max_drawdown', 'mean', 'std']);
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

  it("qlib_init.region reaches PortAnaRecord (us: trade unit 1 instead of cn's 100); ann_scaler scales the long-short figures", async () => {
    const home = path.join(dir, 'home-linear');
    const cn = await run('linear', workflow(LINEAR), home);
    const us = await run('linear-us', workflow(LINEAR).replace('region: cn', 'region: us').replace('ann_scaler: 252', 'ann_scaler: 126'), home);
    expect(us.code, us.stderr).toBe(0);
    // The same task (the region is not part of it): nothing trained, the same IC.
    expect(us.out!.reused).toBe(true);
    const sigCn = cn.out!.records[1]!.results as Record<string, number>;
    const sigUs = us.out!.records[1]!.results as Record<string, number>;
    expect(sigUs['IC']).toBe(sigCn['IC']);
    expect(sigUs['Long-Short Ann Return']).toBeCloseTo(sigCn['Long-Short Ann Return']! / 2, 12);
    const port = (r: Result): number => (r.records[2]!.results as Record<string, Record<string, number>>)['excess_return_with_cost']!['mean']!;
    expect(port(us.out!)).not.toBe(port(cn.out!));
  }, 120_000);

  it('GBDT with LightGBM names on Alpha158 (label as a plain list of expressions)', async () => {
    const text = workflow(LGB).replace('label: [["Ref($close, -2) / Ref($close, -1) - 1"], ["LABEL0"]]', 'label: ["Ref($close, -2) / Ref($close, -1) - 1"]');
    expect(text).not.toBe(workflow(LGB));
    const r = await run('lgb', text, path.join(dir, 'home-lgb'));
    expect(r.code, r.stderr).toBe(0);
    checkRecords(r.out!);
  }, 300_000);

  // XGBModel (XGBoost semantics, checked against XGBoost itself in the unit tests): here only that the records run on Alpha360.
  it('GBDT with XGBoost names on Alpha360 (ana_long_short off: no long-short figures)', async () => {
    const text = workflow(XGB, 'Alpha360').replace('ana_long_short: True', 'ana_long_short: False');
    const r = await run('xgb', text, path.join(dir, 'home-xgb'));
    expect(r.code, r.stderr).toBe(0);
    checkRecords(r.out!, false);
  }, 300_000);

  it('linear on Alpha360 and XGBoost names on Alpha158 (every model with both handlers)', async () => {
    for (const [name, model, handler] of [['lin360', LINEAR, 'Alpha360'], ['xgb158', XGB, 'Alpha158']] as const) {
      const r = await run(name, workflow(model, handler), path.join(dir, `home-${name}`));
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      checkRecords(r.out!);
    }
  }, 400_000);

  it('validates the true port in configs/qlib against ~/.qlib/qlib_data/cn_data (~ expanded) and reports a bad option at its line', async () => {
    // A HOME whose ~/.qlib/qlib_data/cn_data holds a (tiny) market over Qlib's benchmark dates.
    const fakeHome = path.join(dir, 'fake-home');
    const cn = path.join(fakeHome, '.qlib', 'qlib_data', 'cn_data');
    const s = await runCli(['data', 'synth', '--out', cn, '--instruments', '4', '--start', '2008-01-01', '--end', '2020-12-31', '--seed', '1']);
    expect(s.code, s.stderr).toBe(0);
    const missing = await runCli(['validate', 'configs/qlib/workflow_config_lightgbm_Alpha158.yaml'], { env: { HOME: path.join(dir, 'empty-home') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/workflow_config_lightgbm_Alpha158\.yaml:\d+:\d+ at \/qlib_init\/provider_uri: .*empty-home\/\.qlib\/qlib_data\/cn_data does not exist/);
    const ok = await runCli(['validate', 'configs/qlib/workflow_config_lightgbm_Alpha158.yaml', '--json'], { env: { HOME: fakeHome } });
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

  it('validate and run check the data first: market, fields, dates against the calendar, fit window (exit 2 at file:line, nothing written)', async () => {
    const cases: [string, string, RegExp][] = [
      ['market', workflow(LINEAR).replace('market: &market all', 'market: &market csi500'), /at \/task\/dataset\/kwargs\/handler\/kwargs\/instruments: Alpha158: the data has no market "csi500"/],
      ['field', workflow(LINEAR).replace('"Ref($close, -2) / Ref($close, -1) - 1"', '"Ref($closed, -2) / Ref($close, -1) - 1"'), /the data has no field \$closed; did you mean \$close\?/],
      ['start', workflow(LINEAR).replace('    start_time: 2019-01-01\n    end_time: 2020-09-30', '    start_time: 2021-01-01\n    end_time: 2021-09-30'), /start_time 2021-01-01 is after the data's last date 2020-09-30/],
      ['fit', workflow(LINEAR).replace('fit_start_time: 2019-01-01\n    fit_end_time: 2019-12-31', 'fit_start_time: 2019-01-01\n    fit_end_time: 2018-12-31'), /fit_end_time 2018-12-31 is before fit_start_time 2019-01-01/],
      ['segment', workflow(LINEAR).replace('test: [2020-07-01, 2020-09-30]', 'test: [2020-11-01, 2020-12-31]'), /segment test \(2020-11-01 \.\. 2020-12-31\) holds no date of the data/],
    ];
    for (const [name, text, message] of cases) {
      const file = path.join(dir, `check-${name}.yaml`);
      writeFileSync(file, text);
      const v = await runCli(['validate', file]);
      expect(v.code, `${name}: ${v.stderr}`).toBe(2);
      expect(v.stderr, name).toMatch(new RegExp(`check-${name}\\.yaml:\\d+:\\d+ `));
      expect(v.stderr, name).toMatch(message);
      const home = path.join(dir, `home-check-${name}`);
      const r = await runCli(['run', file, '--home', home]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(existsSync(home), `${name}: nothing written`).toBe(false);
    }
  }, 120_000);

  it('an alias with no anchor is a config error at its line, for validate and run', async () => {
    const file = path.join(dir, 'no-anchor.yaml');
    writeFileSync(file, workflow(LINEAR).replace('config: *port_analysis_config', 'config: *port_analysis'));
    for (const args of [['validate', file], ['run', file, '--home', path.join(dir, 'home-no-anchor')]]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/no-anchor\.yaml:\d+:\d+.*alias \*port_analysis has no anchor/);
      expect(r.stderr).not.toMatch(/INTERNAL/);
    }
    expect(existsSync(path.join(dir, 'home-no-anchor'))).toBe(false);
  }, 60_000);

  it('a Qlib task block pasted into our own config (anchors under x- keys) runs with its records', async () => {
    const file = path.join(dir, 'pasted.yaml');
    writeFileSync(file, `x-handler: &data_handler_config
  instruments: all
  start_time: 2019-01-01
  end_time: 2020-09-30
  fit_start_time: 2019-01-01
  fit_end_time: 2019-12-31
  infer_processors: []
  label: [["Ref($close, -2) / Ref($close, -1) - 1"], ["LABEL0"]]
data: {class: QlibData, kwargs: {uri: "${mkt}"}}
manager: {name: pasted, begin_time: 2020-08-31}
strategies:
  - class: RollingStrategy
    kwargs:
      name: lin
      rolling_gen: {class: RollingGen, kwargs: {step: 40}}
      task_template:
        model:
${LINEAR.replace(/^ {8}/gm, '          ')}
        dataset:
          class: DatasetH
          module_path: qlib.data.dataset
          kwargs:
            handler: {class: Alpha158, module_path: qlib.contrib.data.handler, kwargs: *data_handler_config}
            segments: {train: [2019-01-01, 2019-12-31], valid: [2020-01-01, 2020-04-30], test: [2020-05-01, 2020-06-30]}
        record:
          - {class: SignalRecord, module_path: qlib.workflow.record_temp, kwargs: {model: <MODEL>, dataset: <DATASET>}}
          - {class: SigAnaRecord, module_path: qlib.workflow.record_temp, kwargs: {ana_long_short: false, ann_scaler: 252}}
`);
    const r = await runCli(['run', file, '--home', path.join(dir, 'home-pasted'), '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { strategies: { online: unknown[]; recorders: number }[] };
    expect(s.strategies[0]!.recorders).toBeGreaterThan(0);
    const list = await runCli(['models', 'list', file, '--home', path.join(dir, 'home-pasted'), '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/"IC"/);
  }, 300_000);

  it('refuses every unsupported class or key by its name (exit 2, nothing trained)', async () => {
    const home = path.join(dir, 'home-bad');
    const cases: [string, string, RegExp][] = [
      ['handlerkey', workflow(LINEAR).replace('    infer_processors: []', '    infer_processors: []\n    drop_raw: true'), /drop_raw/],
      ['strategy', workflow(LINEAR).replace('class: TopkDropoutStrategy', 'class: EnhancedIndexingStrategy'), /EnhancedIndexingStrategy/],
      ['region', workflow(LINEAR).replace('region: cn', 'region: tw'), /bad-region\.yaml:\d+:\d+ .*region must be cn or us/],
      ['lightgbm-key', workflow(LGB.replace('loss: mse', 'loss: mse\n            boosting: goss')), /boosting/],
      ['nnls-alpha', workflow(LINEAR.replace('estimator: ridge', 'estimator: nnls')), /bad-nnls-alpha\.yaml:\d+:\d+ at \/task\/model\/kwargs\/alpha: Linear: estimator "nnls" takes no penalty/],
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
      // validate finds the same problem.
      const v = await runCli(['validate', path.join(dir, `bad-${name}.yaml`)]);
      expect(v.code, `${name}: ${v.stderr}`).toBe(2);
      expect(v.stderr, name).toMatch(message);
    }
    // Every refusal comes before anything is written: no home, no recorder.
    expect(existsSync(home)).toBe(false);
  }, 300_000);
});
