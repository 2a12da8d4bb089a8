import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

/**
 * Qlib's XGBoost benchmark workflow (examples/benchmarks/XGBoost), its model
 * kwargs unchanged, on the embedded market in Qlib's layout: the model is
 * the XGBoost-semantics XGBModel, trained as Qlib's XGBModel.fit does
 * (n_estimators unused, 1000 rounds with early stopping after 50 on the
 * valid segment, every tree kept for prediction).
 */
let dir = '';
let mkt = '';

beforeAll(async () => {
  dir = tempDir('qonline-wf-xgb-');
  mkt = path.join(dir, 'mkt');
  const s = await runCli(['data', 'synth', '--out', mkt, '--instruments', '8', '--start', '2019-01-01', '--end', '2020-09-30', '--seed', '5']);
  expect(s.code, s.stderr).toBe(0);
}, 60_000);

function benchmarkWorkflow(extraKwargs = ''): string {
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
port_analysis_config: &port_analysis_config
    strategy:
        class: TopkDropoutStrategy
        module_path: qlib.contrib.strategy
        kwargs:
            signal: <PRED>
            topk: 3
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
        class: XGBModel
        module_path: qlib.contrib.model.xgboost
        kwargs:
            eval_metric: rmse
            colsample_bytree: 0.8879
            eta: 0.0421
            max_depth: 8
            n_estimators: 647
            subsample: 0.8789
            nthread: 20${extraKwargs}
    dataset:
        class: DatasetH
        module_path: qlib.data.dataset
        kwargs:
            handler:
                class: Alpha158
                module_path: qlib.contrib.data.handler
                kwargs: *data_handler_config
            segments:
                train: [2019-01-01, 2019-12-31]
                valid: [2020-01-01, 2020-03-31]
                test: [2020-04-01, 2020-09-30]
    record:
        - class: SignalRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            model: <MODEL>
            dataset: <DATASET>
        - class: SigAnaRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            ana_long_short: False
            ann_scaler: 252
        - class: PortAnaRecord
          module_path: qlib.workflow.record_temp
          kwargs:
            config: *port_analysis_config
`;
}

describe("Qlib's XGBoost benchmark workflow (built CLI)", () => {
  it('runs end to end with XGBModel under XGBoost semantics and Qlib fit', async () => {
    const file = path.join(dir, 'workflow_config_xgboost_Alpha158.yaml');
    writeFileSync(file, benchmarkWorkflow());
    const home = path.join(dir, 'home');
    const r = await runCli(['run', file, '--json', '--home', home], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { experiment: string; recorder: string; records: { class: string; results: Record<string, any> }[] };
    expect(out.experiment).toBe('workflow');
    expect(out.records.map((x) => x.class)).toEqual(['SignalRecord', 'SigAnaRecord', 'PortAnaRecord']);
    for (const k of ['IC', 'ICIR', 'Rank IC', 'Rank ICIR']) expect(Number.isFinite(out.records[1]!.results[k]), k).toBe(true);
    for (const k of ['excess_return_without_cost', 'excess_return_with_cost']) expect(Number.isFinite(out.records[2]!.results[k]['annualized_return']), k).toBe(true);
    // As in Qlib, n_estimators does not set the round count, and the user is told.
    expect(r.stderr).toMatch(/n_estimators \(647\) is not used, as in Qlib/);

    const db = path.join(home, 'store.sqlite');
    const artifact = async (name: string) =>
      JSON.parse((await sqliteAll<{ content: string }>(db, 'SELECT content FROM artifacts WHERE recorder_id = ? AND name = ?', [out.recorder, name]))[0]!.content);
    const model = await artifact('model');
    expect(model.class).toBe('XGBModel');
    expect(model.kwargs).toMatchObject({ eta: 0.0421, max_depth: 8, n_estimators: 647, nthread: 20 });
    const info = await artifact('fit_info');
    // xgb.train(num_boost_round=1000, early_stopping_rounds=50): either it stopped 50 rounds after the best, or ran 1000.
    if (info.stopReason === 'early_stopping') expect(info.rounds).toBe(info.bestRound + 50);
    else expect(info.rounds).toBe(1000);
    expect(info.rounds).not.toBe(647);
    // Booster.predict uses every tree trained, as Qlib's XGBModel.predict.
    expect(model.state.trees.length).toBe(info.rounds);
    expect(info.validLoss).toHaveLength(info.rounds);
  }, 300_000);

  it('refuses what XGBModel cannot honour at validate time, by key and with what is supported (exit 2, file:line)', async () => {
    const cases: [string, RegExp][] = [
      ['booster: dart', /at \/task\/model\/kwargs\/booster: XGBModel: expected one of "gbtree"/],
      ['objective: "binary:logistic"', /at \/task\/model\/kwargs\/objective: XGBModel: expected one of "reg:squarederror", "reg:linear"/],
      ['max_delta_step: 0.7', /at \/task\/model\/kwargs\/max_delta_step: XGBModel: unknown property "max_delta_step"/],
    ];
    for (const [i, [line, message]] of cases.entries()) {
      const file = path.join(dir, `refused-${i}.yaml`);
      writeFileSync(file, benchmarkWorkflow(`\n            ${line}`));
      const r = await runCli(['validate', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`refused-${i}\\.yaml:\\d+:\\d+`));
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);
});
