import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentStore, RecorderInfo } from '../../contracts/store.js';
import type { TaskDef } from '../../contracts/task.js';
import { openPipeline, prepareConfig } from '../../engine/pipeline.js';
import { QonlineError } from '../../errors/index.js';
import { testSegmentOf } from '../../online/task-info.js';
import { taskHash } from '../../task/canonical.js';
import { ONLINE_TAG, TaskRunner } from '../../online/task-runner.js';
import type { Command } from '../context.js';

/** The model component that reads XGBoost / LightGBM files (the models plugin provides it). */
const IMPORTED_CLASS = 'ImportedModel';
const FORMATS = ['xgboost-json', 'lightgbm-text'];

/**
 * `qonline models import FILE --format F --config CONFIG --strategy S`: a
 * model trained elsewhere becomes a recorder (a model version) of strategy S.
 * Its task is the strategy's latest task (the newest online recorder's, else
 * the newest of its first tasks) with the model replaced by
 * `{class: ImportedModel, kwargs: {file, format, sha256}}`: the task runner
 * then "fits" it (checking the feature count and names against the
 * strategy's handler), predicts the test segment and computes the metrics,
 * exactly as for a trained model. With --online it is put online (history,
 * signals), so rollback works as for any version.
 */
export const modelsImportCommand: Command = {
  name: 'models import',
  usage: 'models import FILE --format xgboost-json|lightgbm-text --config CONFIG --strategy S [--feature-names a,b,c] [--online] [--effective DATE]',
  summary: 'Store an XGBoost or LightGBM model file as a model version (recorder) of a strategy, optionally online',
  flags: {
    format: { value: true, description: 'xgboost-json (Booster.save_model("m.json")) or lightgbm-text (Booster.save_model("m.txt"))' },
    config: { value: true, description: 'The pipeline config (store, data, strategies)' },
    strategy: { value: true, description: 'The strategy the model joins' },
    'feature-names': { value: true, description: "Comma-separated column names of the model (override the file's; checked against the handler's)" },
    online: { description: 'Put the imported model online for the strategy (replacing its online set) and recompute signals' },
    effective: { value: true, description: 'With --online: date from which it serves (default: the last routine)' },
  },
  async run(ctx) {
    const [file, ...rest] = ctx.args.positionals;
    const flag = (k: string) => ctx.args.flags[k] as string | undefined;
    const format = flag('format');
    const config = flag('config');
    const strategyName = flag('strategy');
    if (!file || rest.length) throw new QonlineError('QONLINE_USAGE', `usage: qonline ${this.usage}`);
    if (!format || !FORMATS.includes(format)) throw new QonlineError('QONLINE_USAGE', `--format must be one of ${FORMATS.join(', ')}${format ? `, found ${JSON.stringify(format)}` : ''}`);
    if (!config) throw new QonlineError('QONLINE_USAGE', 'models import needs --config CONFIG (the store and strategy to import into)');
    if (!strategyName) throw new QonlineError('QONLINE_USAGE', 'models import needs --strategy S');
    if (flag('effective') && !ctx.args.flags['online']) throw new QonlineError('QONLINE_USAGE', '--effective only applies with --online');
    const featureNames = flag('feature-names')
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const abs = path.resolve(file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(abs);
    } catch (e) {
      throw new QonlineError('QONLINE_MODEL_FILE', `cannot read model file ${file}: ${(e as Error).message}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    const p = await openPipeline(await prepareConfig(config, ctx.engine()), { lock: true });
    try {
      const strategy = p.strategies.find((s) => s.name === strategyName);
      if (!strategy) throw new QonlineError('QONLINE_NOT_FOUND', `the config has no strategy "${strategyName}"; strategies: ${p.strategies.map((s) => s.name).join(', ')}`);
      const base = await latestTask(p.store, strategyName, () => strategy.firstTasks());
      const model = { class: IMPORTED_CLASS, kwargs: { file: abs, format, sha256, ...(featureNames ? { feature_names: featureNames } : {}) } };
      // Read the file now: a malformed or unsupported file fails before anything is written.
      await p.kernel.resolve('model', model, '/model');
      const task: TaskDef = { ...structuredClone(base), model };
      const [testStart] = testSegmentOf(task);
      const runner = new TaskRunner({ store: p.store, resolver: p.kernel, logger: p.kernel.logger.child('import') });
      const hash = taskHash(task);
      const existed = await p.store.findRecorderByTaskHash(strategyName, hash);
      let rec: RecorderInfo;
      try {
        rec = await runner.run(task, strategyName, { recorderName: `imported_${path.basename(file)}_${testStart}` });
      } catch (e) {
        // A model that does not fit the strategy's data (feature count or names) leaves no recorder behind.
        if (!existed) {
          const left = await p.store.findRecorderByTaskHash(strategyName, hash);
          if (left && left.status !== 'FINISHED') await p.store.deleteRecorder(left.id);
        }
        throw e;
      }
      const lineage = `imported from ${abs}, sha256 ${sha256}`;
      if (rec.params.lineage !== lineage) {
        const params = { ...rec.params, lineage, import_format: format, import_sha256: sha256 };
        await p.store.updateRecorder(rec.id, { params });
        rec = { ...rec, params };
      }
      let online = false;
      if (ctx.args.flags['online']) {
        await p.manager.setOnline(strategyName, [rec.id], flag('effective') ?? null, `import ${path.basename(file)}`);
        online = true;
      } else {
        online = (await p.store.getRecorder(rec.id)).tags[ONLINE_TAG] === 'online';
      }
      const result = { id: rec.id, strategy: strategyName, status: rec.status, lineage, test: testSegmentOf(task), metrics: rec.metrics, online, reused: Boolean(existed && existed.status === 'FINISHED') };
      ctx.print(result, () =>
        [
          `${result.reused ? 'already imported' : 'imported'} ${file} as recorder ${rec.id} of strategy ${strategyName} (${online ? 'online' : 'offline'})`,
          `  ${lineage}`,
          `  test segment ${result.test[0]}..${result.test[1] ?? 'open'}; ${Object.entries(rec.metrics)
            .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
            .join(', ')}`,
        ].join('\n'),
      );
    } finally {
      await p.close();
    }
  },
};

/** The task of the strategy's newest online recorder (the window it serves now), else its newest first task. */
async function latestTask(store: ExperimentStore, strategy: string, firstTasks: () => Promise<TaskDef[]>): Promise<TaskDef> {
  const online = await store.listRecorders({ experiment: strategy, tags: { [ONLINE_TAG]: 'online' } });
  const newest = online.sort((a, b) => String(b.params.test_start).localeCompare(String(a.params.test_start)))[0];
  if (newest) {
    const task = await store.getArtifact<TaskDef>(newest.id, 'task');
    if (task) return task;
  }
  const tasks = await firstTasks();
  if (!tasks.length) throw new QonlineError('QONLINE_NOT_FOUND', `strategy ${strategy} generates no task to attach the model to`);
  return tasks.reduce((a, b) => (testSegmentOf(b)[0] > testSegmentOf(a)[0] ? b : a));
}
