import os from 'node:os';
import path from 'node:path';
import type { DataProvider } from '../contracts/data.js';
import type { ExperimentStore, RecorderInfo, ScoreRows } from '../contracts/store.js';
import type { TaskDef } from '../contracts/task.js';
import { TOKENS } from '../contracts/tokens.js';
import { QonlineError } from '../errors/index.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfigFile } from '../config/load.js';
import { Kernel } from '../kernel/kernel.js';
import { dailyIc } from '../online/metrics.js';
import { TaskRunner } from '../online/task-runner.js';
import type { ComponentSpec } from '../schema/builder.js';
import { DEFAULT_COMPONENTS, type EngineEnv } from './pipeline.js';
import { ensureHome, HomeLock, resolveHome } from './home.js';

/** The experiment a Qlib workflow file's task is trained in. */
export const WORKFLOW_EXPERIMENT = 'workflow';

/** A file with a top-level `task:` and no `manager:` is a Qlib workflow file (`qrun` input). */
export function isWorkflowConfig(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'task' in value && !('manager' in value);
}

/** What a record of a workflow gets: the task's recorder, its predictions and labels, the data. */
export interface WorkflowRecordInput {
  recorder: RecorderInfo;
  pred: ScoreRows;
  label: ScoreRows;
  provider: DataProvider;
  /** qlib_init.region, when given. */
  region?: string;
}

/**
 * A record of a workflow's `task.record` list resolved through the kernel by
 * class name (kind `workflowRecord`, e.g. the backtest plugin's
 * PortAnaRecord). SignalRecord and SigAnaRecord are built in.
 */
export interface WorkflowRecord {
  run(input: WorkflowRecordInput): Promise<Record<string, unknown>>;
}

export interface WorkflowResult {
  experiment: string;
  recorder: string;
  task_hash: string;
  /** True when the task was already trained (nothing was trained this time). */
  reused: boolean;
  records: { class: string; results: Record<string, unknown> }[];
}

const PLACEHOLDERS = new Set(['<MODEL>', '<DATASET>', '<PRED>']);
const QLIB_MODULES_OF_RECORDS = /^qlib\.workflow\.record_temp$/;

interface Translated {
  data: ComponentSpec;
  task: TaskDef;
  records: { spec: ComponentSpec; pointer: string }[];
  region?: string;
}

function fail(config: LoadedConfig, pointer: string, message: string): never {
  throw new QonlineError('QONLINE_CONFIG_INVALID', message, { location: config.locate(pointer) });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Qlib's handler `label`: a list of expressions, or `[expressions, names]`, to our `{name: expression}`. */
export function qlibLabel(label: unknown): unknown {
  if (!Array.isArray(label)) return label;
  const pair = label.length === 2 && Array.isArray(label[0]) && Array.isArray(label[1]);
  const exprs = (pair ? label[0] : label) as unknown[];
  const names = pair ? (label[1] as unknown[]) : exprs.map((_, i) => `LABEL${i}`);
  return Object.fromEntries(exprs.map((e, i) => [String(names[i] ?? `LABEL${i}`), e]));
}

/** Turns a Qlib workflow file into the data provider, the task and its records. */
export function translateWorkflow(config: LoadedConfig): Translated {
  const v = config.value;
  const init = v['qlib_init'];
  if (init !== undefined && !isObject(init)) fail(config, '/qlib_init', 'qlib_init must be a mapping (provider_uri, region)');
  const expressions = v['expressions'] ?? 'qlib';
  if (expressions !== 'qlib' && expressions !== 'default') fail(config, '/expressions', `expressions must be qlib or default, found ${JSON.stringify(expressions)}`);
  let data: ComponentSpec;
  if (v['data'] !== undefined) {
    if (!isObject(v['data']) || typeof v['data']['class'] !== 'string') fail(config, '/data', 'data must be a component {class, kwargs}');
    const d = v['data'] as unknown as ComponentSpec;
    data = { ...d, kwargs: { expressions, ...(d.kwargs ?? {}) } };
  } else {
    const uri = init?.['provider_uri'];
    if (typeof uri !== 'string') fail(config, init ? '/qlib_init' : '', 'a workflow needs qlib_init.provider_uri (the Qlib data folder) or a `data` component');
    const expanded = uri.startsWith('~') ? path.join(os.homedir(), uri.slice(1)) : uri;
    data = { class: 'QlibData', kwargs: { uri: path.resolve(expanded), expressions } };
  }
  const region = init?.['region'];
  if (region !== undefined && region !== 'cn' && region !== 'us') fail(config, '/qlib_init/region', `region must be cn or us, found ${JSON.stringify(region)}`);
  const task = v['task'];
  if (!isObject(task)) fail(config, '/task', 'task must be a mapping with model, dataset and record');
  for (const key of Object.keys(task)) {
    if (!['model', 'dataset', 'record'].includes(key)) fail(config, `/task/${key}`, `unknown task key ${JSON.stringify(key)} (a workflow task has model, dataset, record)`);
  }
  if (!isObject(task['model'])) fail(config, '/task/model', 'task.model must be a component {class, module_path, kwargs}');
  if (!isObject(task['dataset'])) fail(config, '/task/dataset', 'task.dataset must be a component {class, module_path, kwargs}');
  const dataset = structuredClone(task['dataset']) as Record<string, unknown>;
  const handler = (dataset['kwargs'] as Record<string, unknown> | undefined)?.['handler'];
  if (isObject(handler) && isObject(handler['kwargs']) && handler['kwargs']['label'] !== undefined) {
    handler['kwargs']['label'] = qlibLabel(handler['kwargs']['label']);
  }
  const rawRecords = task['record'] === undefined ? [] : Array.isArray(task['record']) ? task['record'] : [task['record']];
  const records = rawRecords.map((r, i) => {
    const pointer = Array.isArray(task['record']) ? `/task/record/${i}` : '/task/record';
    if (!isObject(r) || typeof r['class'] !== 'string') fail(config, pointer, 'a record must be a component {class, module_path, kwargs}');
    const mp = r['module_path'];
    if (mp !== undefined && (typeof mp !== 'string' || (mp.startsWith('qlib') && !QLIB_MODULES_OF_RECORDS.test(mp)))) {
      fail(config, `${pointer}/module_path`, `record module ${JSON.stringify(mp)} is not supported (records come from qlib.workflow.record_temp)`);
    }
    return { spec: r as unknown as ComponentSpec, pointer };
  });
  return {
    data,
    task: { model: task['model'] as unknown as ComponentSpec, dataset: dataset as unknown as TaskDef['dataset'] },
    records,
    ...(typeof region === 'string' ? { region } : {}),
  };
}

/**
 * Runs a Qlib workflow file as Qlib's `qrun` does: one task (trained once:
 * idempotent by task hash in the experiment `workflow`), then its records in
 * order. Returns each record's results.
 */
export async function runWorkflow(file: string, envx: EngineEnv): Promise<WorkflowResult> {
  const config = await loadConfigFile(file, envx.env ?? process.env);
  const t = translateWorkflow(config);
  const home = resolveHome(envx.home, envx.env ?? process.env, typeof config.value['home'] === 'string' ? (config.value['home'] as string) : undefined, config.dir);
  ensureHome(home);
  const lock = new HomeLock(path.join(home, 'qonline.lock'));
  lock.acquire('workflow');
  const kernel = new Kernel({ plugins: envx.builtins, logger: envx.logger, progress: envx.progress, clock: envx.clock, home });
  try {
    await kernel.start();
    const scope = kernel.createScope();
    try {
      const provider = await scope.resolve('dataProvider', t.data, '/data');
      scope.provideValue(TOKENS.dataProvider, provider);
      scope.provideValue(TOKENS.calendar, await provider.calendar('day'));
      const storeSpec = (config.value['store'] as ComponentSpec | undefined) ?? DEFAULT_COMPONENTS.store;
      const store: ExperimentStore = await scope.resolve('store', storeSpec, '/store');
      scope.provideValue(TOKENS.store, store);
      // Check every record's class before training.
      for (const r of t.records) {
        if (r.spec.class !== 'SignalRecord' && r.spec.class !== 'SigAnaRecord' && !scope.registry.has('workflowRecord' as never, r.spec.class)) {
          const known = ['SignalRecord', 'SigAnaRecord', ...(scope.registry.kinds().includes('workflowRecord' as never) ? scope.registry.names('workflowRecord' as never) : [])];
          fail(config, `${r.pointer}/class`, `record class ${JSON.stringify(r.spec.class)} is not supported (supported: ${known.join(', ')})`);
        }
        checkSignalKwargs(config, r.spec, r.pointer);
      }
      const runner = new TaskRunner({ store, resolver: scope, logger: scope.logger.child('workflow') });
      const { taskHash } = await import('../task/canonical.js');
      const hash = taskHash(t.task);
      const before = await store.findRecorderByTaskHash(WORKFLOW_EXPERIMENT, hash);
      const reused = before?.status === 'FINISHED';
      const rec = await runner.run(t.task, WORKFLOW_EXPERIMENT);
      const pred = await store.readScores(rec.id, 'pred');
      const label = await store.readScores(rec.id, 'label');
      const records: WorkflowResult['records'] = [];
      for (const r of t.records) {
        const kwargs = (r.spec.kwargs ?? {}) as Record<string, unknown>;
        let results: Record<string, unknown>;
        if (r.spec.class === 'SignalRecord') {
          results = { pred_rows: pred.scores.length, label_rows: label.scores.length, recorder: rec.id };
        } else if (r.spec.class === 'SigAnaRecord') {
          results = signalAnalysis(pred, label, kwargs);
        } else {
          const record = await scope.resolve('workflowRecord' as never, r.spec, r.pointer) as unknown as WorkflowRecord;
          results = await record.run({ recorder: rec, pred, label, provider, ...(t.region ? { region: t.region } : {}) });
        }
        records.push({ class: r.spec.class, results });
      }
      return { experiment: WORKFLOW_EXPERIMENT, recorder: rec.id, task_hash: hash, reused, records };
    } finally {
      await scope.stop();
    }
  } finally {
    await kernel.stop();
    lock.release();
  }
}

function checkSignalKwargs(config: LoadedConfig, spec: ComponentSpec, pointer: string): void {
  const kwargs = (spec.kwargs ?? {}) as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    SignalRecord: ['model', 'dataset'],
    SigAnaRecord: ['ana_long_short', 'ann_scaler', 'label_col'],
  };
  const keys = allowed[spec.class];
  if (!keys) return;
  for (const [k, v] of Object.entries(kwargs)) {
    if (!keys.includes(k)) fail(config, `${pointer}/kwargs/${k}`, `${spec.class} has no option ${JSON.stringify(k)} (supported: ${keys.join(', ')})`);
    if ((k === 'model' || k === 'dataset') && !(typeof v === 'string' && PLACEHOLDERS.has(v))) {
      fail(config, `${pointer}/kwargs/${k}`, `${spec.class}.${k} must be the placeholder <${k.toUpperCase()}> (the task's own ${k})`);
    }
    if (k === 'label_col' && v !== 0) fail(config, `${pointer}/kwargs/${k}`, 'only label_col 0 (the first label) is supported');
    if (k === 'ana_long_short' && typeof v !== 'boolean') fail(config, `${pointer}/kwargs/${k}`, 'ana_long_short must be true or false');
    if (k === 'ann_scaler' && !(typeof v === 'number' && v > 0)) fail(config, `${pointer}/kwargs/${k}`, 'ann_scaler must be a number > 0');
  }
}

/**
 * Qlib's SigAnaRecord: daily IC and rank IC of the predictions against the
 * labels, their means and ICIRs (mean / sample std); with ana_long_short the
 * long-short return (mean label of the top 20% by prediction minus the
 * bottom 20%, halved, per day) and the long-average return (mean label),
 * annualised by ann_scaler.
 */
export function signalAnalysis(pred: ScoreRows, label: ScoreRows, kwargs: Record<string, unknown> = {}): Record<string, number> {
  const labelOf = new Map<string, number>();
  for (let i = 0; i < label.scores.length; i++) labelOf.set(`${label.dates[i]}|${label.instruments[i]}`, label.scores[i]!);
  const y = pred.dates.map((d, i) => labelOf.get(`${d}|${pred.instruments[i]}`) ?? NaN);
  const ic = dailyIc(pred.dates, pred.scores, y);
  const mean = (a: number[]): number => a.reduce((p, c) => p + c, 0) / a.length;
  const std = (a: number[]): number => {
    const m = mean(a);
    return Math.sqrt(a.reduce((p, c) => p + (c - m) ** 2, 0) / (a.length - 1));
  };
  const rics = ic.series.map((s) => s.rankIc).filter(Number.isFinite);
  const out: Record<string, number> = { IC: ic.ic, ICIR: ic.icir, 'Rank IC': mean(rics), 'Rank ICIR': mean(rics) / std(rics) };
  if (kwargs['ana_long_short'] === true) {
    const scaler = typeof kwargs['ann_scaler'] === 'number' ? kwargs['ann_scaler'] : 252;
    const ls: number[] = [];
    const avg: number[] = [];
    let i = 0;
    while (i < pred.dates.length) {
      let j = i;
      while (j < pred.dates.length && pred.dates[j] === pred.dates[i]) j++;
      const rows: { p: number; y: number }[] = [];
      for (let k = i; k < j; k++) rows.push({ p: pred.scores[k]!, y: y[k]! });
      const n = Math.floor(rows.length * 0.2);
      const labels = rows.map((r) => r.y).filter((v) => !Number.isNaN(v));
      if (labels.length) avg.push(mean(labels));
      if (n > 0) {
        const valid = rows.filter((r) => !Number.isNaN(r.p));
        const top = [...valid].sort((a, b) => b.p - a.p).slice(0, n).map((r) => r.y).filter((v) => !Number.isNaN(v));
        const bottom = [...valid].sort((a, b) => a.p - b.p).slice(0, n).map((r) => r.y).filter((v) => !Number.isNaN(v));
        if (top.length && bottom.length) ls.push((mean(top) - mean(bottom)) / 2);
      }
      i = j;
    }
    out['Long-Short Ann Return'] = mean(ls) * scaler;
    out['Long-Short Ann Sharpe'] = (mean(ls) / std(ls)) * Math.sqrt(scaler);
    out['Long-Avg Ann Return'] = mean(avg) * scaler;
    out['Long-Avg Ann Sharpe'] = (mean(avg) / std(avg)) * Math.sqrt(scaler);
  }
  return out;
}
