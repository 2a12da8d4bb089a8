import os from 'node:os';
import path from 'node:path';
import type { DataProvider } from '../contracts/data.js';
import type { ExperimentStore, RecorderInfo, ScoreRows } from '../contracts/store.js';
import type { TaskDef } from '../contracts/task.js';
import { TOKENS } from '../contracts/tokens.js';
import { isQonlineError, QonlineError } from '../errors/index.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfigFile } from '../config/load.js';
import { configError, validateComponentSpec, type ConfigProblem, type FoundComponent } from '../config/validate.js';
import { checkComponents } from '../config/check.js';
import { Kernel } from '../kernel/kernel.js';
import type { RecordOutput } from '../contracts/record.js';
import { taskHash } from '../task/canonical.js';
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
 * PortAnaRecord, until it is a `record`).
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
    // The semantics change the features, so they are part of the task (and its hash).
    task: { model: task['model'] as unknown as ComponentSpec, dataset: dataset as unknown as TaskDef['dataset'], expressions },
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
  try {
    return await runTranslated(config, envx);
  } catch (e) {
    throw withSource(e, config);
  }
}

/** A component error at a JSON pointer of the file gets the file and line (the task's pointers are the file's own). */
function withSource(e: unknown, config: LoadedConfig): unknown {
  if (!isQonlineError(e) || e.location?.file || !e.location?.path) return e;
  const at = config.locate(e.location.path);
  return new QonlineError(e.code, e.message, { cause: e.cause, location: { ...at, path: e.location.path }, details: e.details, hint: e.hint });
}

async function runTranslated(config: LoadedConfig, envx: EngineEnv): Promise<WorkflowResult> {
  const t = translateWorkflow(config);
  const home = workflowHome(config, envx);
  const kernel = new Kernel({ plugins: envx.builtins, logger: envx.logger, progress: envx.progress, clock: envx.clock, home });
  // The checks `validate` makes (schemas, then the data's markets, fields and calendar), before anything is written.
  await checkWorkflow(config, kernel, home);
  ensureHome(home);
  const lock = new HomeLock(path.join(home, 'qonline.lock'));
  lock.acquire('workflow');
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
      // Every record is built (its class and options checked) before anything is trained.
      // Records are components of kind `record` (SignalRecord, SigAnaRecord, PortAnaRecord, ...);
      // a plugin may also offer kind `workflowRecord` (WorkflowRecord: it also gets the provider).
      const hasKind = (k: string): boolean => scope.registry.kinds().includes(k as never);
      const built: { cls: string; run: (input: { recorder: RecorderInfo; pred: ScoreRows; label: ScoreRows }) => Promise<RecordOutput> }[] = [];
      for (const r of t.records) {
        if (hasKind('record') && scope.registry.has('record', r.spec.class)) {
          const rec = await scope.resolve('record', withRegion(r.spec, 'record', kernel, t.region), r.pointer);
          built.push({ cls: r.spec.class, run: async (i) => rec.generate({ ...i, task: t.task }) });
        } else if (hasKind('workflowRecord') && scope.registry.has('workflowRecord' as never, r.spec.class)) {
          const rec = (await scope.resolve('workflowRecord' as never, r.spec, r.pointer)) as unknown as WorkflowRecord;
          built.push({ cls: r.spec.class, run: async (i) => ({ metrics: flatNumbers(await rec.run({ ...i, provider, ...(t.region ? { region: t.region } : {}) })) }) });
        } else {
          const known = [...(hasKind('record') ? scope.registry.names('record') : []), ...(hasKind('workflowRecord') ? scope.registry.names('workflowRecord' as never) : [])];
          fail(config, `${r.pointer}/class`, `record class ${JSON.stringify(r.spec.class)} is not supported (supported: ${known.join(', ')})`);
        }
      }
      // The model too (class and options), so a refused model writes no recorder.
      await scope.resolve('model', t.task.model, '/task/model');
      const runner = new TaskRunner({ store, resolver: scope, logger: scope.logger.child('workflow') });
      const hash = taskHash(t.task);
      const before = await store.findRecorderByTaskHash(WORKFLOW_EXPERIMENT, hash);
      const reused = before?.status === 'FINISHED';
      const rec = await runner.run(t.task, WORKFLOW_EXPERIMENT);
      const pred = await store.readScores(rec.id, 'pred');
      const label = await store.readScores(rec.id, 'label');
      const records: WorkflowResult['records'] = [];
      const metrics: Record<string, number> = { ...(rec.metrics ?? {}) };
      const artifacts: Record<string, unknown> = {};
      for (const b of built) {
        const out = await b.run({ recorder: rec, pred, label });
        Object.assign(metrics, out.metrics ?? {});
        Object.assign(artifacts, out.artifacts ?? {});
        records.push({ class: b.cls, results: unflatten(out.metrics ?? {}) });
      }
      // The records' figures are kept on the recorder (a second run writes the same values).
      await store.transaction(async (tx) => {
        for (const [name, value] of Object.entries(artifacts)) await tx.putArtifact(rec.id, name, value);
        await tx.updateRecorder(rec.id, { metrics });
      });
      return { experiment: WORKFLOW_EXPERIMENT, recorder: rec.id, task_hash: hash, reused, records };
    } finally {
      await scope.stop();
    }
  } finally {
    await kernel.stop();
    lock.release();
  }
}

/**
 * qlib_init.region reaches every record that takes a `region` option
 * (PortAnaRecord: the exchange's region defaults), unless the record sets it.
 */
function withRegion(spec: ComponentSpec, kind: string, kernel: Kernel, region: string | undefined): ComponentSpec {
  if (!region || !kernel.registry.has(kind as never, spec.class)) return spec;
  const schema = kernel.registry.lookup(kind as never, spec.class, spec.module_path).def.schema as { properties?: Record<string, unknown> };
  const kwargs = (spec.kwargs ?? {}) as Record<string, unknown>;
  if (!schema.properties || !('region' in schema.properties) || kwargs['region'] !== undefined) return spec;
  return { ...spec, kwargs: { ...kwargs, region } };
}

/** The home folder of a workflow run: --home, QONLINE_HOME, the file's `home:`, or the default. */
export function workflowHome(config: LoadedConfig, envx: EngineEnv): string {
  return resolveHome(envx.home, envx.env ?? process.env, typeof config.value['home'] === 'string' ? (config.value['home'] as string) : undefined, config.dir);
}

/** Nested numeric results (`excess_return_with_cost.annualized_return`) as flat metrics. */
function flatNumbers(v: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'number') out[prefix + k] = x;
    else if (x !== null && typeof x === 'object' && !Array.isArray(x)) Object.assign(out, flatNumbers(x as Record<string, unknown>, `${prefix}${k}.`));
  }
  return out;
}

/** The inverse for printing: `a.b` metrics grouped under `a`. */
function unflatten(m: Record<string, number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    const dot = k.indexOf('.');
    if (dot < 0) out[k] = v;
    else ((out[k.slice(0, dot)] ??= {}) as Record<string, number>)[k.slice(dot + 1)] = v;
  }
  return out;
}

/**
 * Checks a workflow file without opening data or writing anything: the
 * translation; the data provider, model, dataset (with its handler and
 * processors) and every record against their components' schemas; then the
 * components' own checks against the data's facts (markets, fields,
 * calendar: described from the options, nothing generated), as a pipeline
 * config's are. Every problem at once, located in the file.
 */
export async function checkWorkflow(config: LoadedConfig, kernel: Kernel, home: string): Promise<{ records: number }> {
  const t = translateWorkflow(config);
  const problems: ConfigProblem[] = [];
  const found: FoundComponent[] = [];
  const dataPointer = config.value['data'] !== undefined ? '/data' : '/qlib_init';
  const check = (kind: string, spec: unknown, pointer: string): void => {
    problems.push(...validateComponentSpec(kind as never, spec, pointer, kernel.registry, kernel.validator, found));
  };
  check('dataProvider', t.data, dataPointer);
  check('model', t.task.model, '/task/model');
  check('dataset', t.task.dataset, '/task/dataset');
  for (const r of t.records) {
    const kinds = ['record', 'workflowRecord'].filter((k) => kernel.registry.kinds().includes(k as never) && kernel.registry.has(k as never, r.spec.class));
    if (!kinds.length) {
      const known = ['record', 'workflowRecord'].flatMap((k) => (kernel.registry.kinds().includes(k as never) ? kernel.registry.names(k as never) : []));
      problems.push({ pointer: `${r.pointer}/class`, message: `record class ${JSON.stringify(r.spec.class)} is not supported (supported: ${known.join(', ')})` });
    } else check(kinds[0]!, withRegion(r.spec, kinds[0]!, kernel, t.region), r.pointer);
  }
  if (problems.length) throw configError(config, problems);
  // The data's own checks need a valid spec; the translated QlibData's problems belong to qlib_init.provider_uri.
  const checked = await checkComponents(config, kernel.registry, kernel.validator, found.filter((f) => f.kind !== 'dataProvider'), t.data, config.value['data'] !== undefined ? '/data' : '', { home });
  for (const p of checked.problems) {
    if (p.pointer === '' || (dataPointer === '/qlib_init' && p.pointer.startsWith('/kwargs'))) p.pointer = dataPointer === '/qlib_init' ? '/qlib_init/provider_uri' : p.pointer;
  }
  if (checked.problems.length) throw configError(config, checked.problems);
  return { records: t.records.length };
}
