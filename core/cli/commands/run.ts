import { QonlineError } from '../../errors/index.js';
import { loadConfigFile } from '../../config/load.js';
import { openPipeline, prepareConfig } from '../../engine/pipeline.js';
import { isWorkflowConfig, runWorkflow, type WorkflowResult } from '../../engine/workflow.js';
import { configuredSteps, formatSummary, runStep, summarize, type StepInvocation } from '../../engine/run.js';
import type { StepReport } from '../../online/online-manager.js';
import type { Command } from '../context.js';
import { requireConfig, taskThreadsFor } from './shared.js';

export const runCommand: Command = {
  name: 'run',
  usage: 'run CONFIG [--step STEP] [--at DATE]  |  run WORKFLOW.yaml',
  summary: 'Run the pipeline steps of a config (default: its `steps`, or first_train then routine), or a Qlib workflow file (top-level task, no manager)',
  flags: {
    step: { value: true, description: 'Run only this step (a registered step: first_train, routine, simulate, add_strategy, prepare_signals, update_online_pred, or a plugin\'s)' },
    at: { value: true, date: true, description: 'Date for the step (routine cur_time, simulate end_time, update to_date)' },
    'allow-strategy-change': { description: 'Accept a strategy whose template changed under the same name' },
  },
  async run(ctx) {
    const file = requireConfig(ctx, 'run');
    const loaded = await loadConfigFile(file, ctx.io.env);
    if (isWorkflowConfig(loaded.value)) {
      if (ctx.args.flags['step'] !== undefined || ctx.args.flags['at'] !== undefined) throw new QonlineError('QONLINE_USAGE', 'a Qlib workflow file runs its task and records; --step and --at do not apply');
      const result = await runWorkflow(file, ctx.engine());
      ctx.print(result, () => formatWorkflow(result));
      return;
    }
    const prepared = await prepareConfig(file, ctx.engine(), loaded);
    let steps: StepInvocation[];
    const step = ctx.args.flags['step'] as string | undefined;
    const at = (ctx.args.flags['at'] as string | undefined) ?? null;
    if (step) {
      // Unknown names fail here, before anything is opened, with the closest registered steps.
      const wanted = prepared.kernel.registry.lookup('step', step).def;
      // The config's own entry of that step, when it has one, brings its options (e.g. a backtest's port_analysis_config).
      const listed = configuredSteps(prepared.pipeline.steps).find((s) => typeof s.step !== 'string' && prepared.kernel.registry.has('step', s.step.class) && prepared.kernel.registry.lookup('step', s.step.class).def === wanted);
      steps = [listed ? { ...listed, at } : { step, at }];
    } else {
      if (at !== null) throw new QonlineError('QONLINE_USAGE', '--at needs --step');
      steps = configuredSteps(prepared.pipeline.steps);
    }
    const p = await openPipeline(prepared, {
      lock: true,
      allowStrategyChange: Boolean(ctx.args.flags['allow-strategy-change']),
      taskThreads: taskThreadsFor(ctx, file),
    });
    try {
      const reports: StepReport[] = [];
      for (const s of steps) reports.push(await runStep(p, s));
      const summary = await summarize(p, reports);
      ctx.print(summary, () => formatSummary(summary));
    } finally {
      await p.close();
    }
  },
};

function formatWorkflow(r: WorkflowResult): string {
  const lines = [`workflow: recorder ${r.recorder} in experiment ${r.experiment} (task ${r.task_hash.slice(0, 12)}${r.reused ? ', already trained' : ''})`];
  for (const rec of r.records) {
    lines.push(`${rec.class}:`);
    for (const [k, v] of Object.entries(rec.results)) {
      if (v !== null && typeof v === 'object') {
        lines.push(`  ${k}:`);
        for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) lines.push(`    ${k2}: ${typeof v2 === 'number' ? Number(v2.toPrecision(6)) : JSON.stringify(v2)}`);
      } else lines.push(`  ${k}: ${typeof v === 'number' ? Number(v.toPrecision(6)) : JSON.stringify(v)}`);
    }
  }
  return lines.join('\n');
}
