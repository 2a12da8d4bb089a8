import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfigFile } from '../../config/load.js';
import { Kernel } from '../../kernel/kernel.js';
import { prepareConfig } from '../../engine/pipeline.js';
import { checkWorkflow, isWorkflowConfig, workflowHome } from '../../engine/workflow.js';
// main runs the plugin command (a call at run time: the import cycle main -> commands -> validate is harmless)
import { main } from '../main.js';
import type { Command } from '../context.js';
import { requireConfig } from './shared.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: 'validate CONFIG',
  summary: 'Check a config (YAML, schema, every component and its options) without running or writing anything',
  flags: {},
  async run(ctx) {
    const file = requireConfig(ctx, 'validate');
    // A user config (top-level init_cash + strategy + model, no manager) is checked by the plugin that owns it: `users validate`.
    if (isUserConfig(file) && ctx.builtins.some((b) => b.manifest.commands?.some((c) => c.name === 'users validate'))) {
      const pass = ['--json', '--quiet', '--verbose', '--home'].flatMap((f) => (ctx.args.flags[f.slice(2)] === undefined ? [] : typeof ctx.args.flags[f.slice(2)] === 'string' ? [f, ctx.args.flags[f.slice(2)] as string] : [f]));
      return main(['users', 'validate', file, ...pass], ctx.builtins, ctx.io);
    }
    const loaded = await loadConfigFile(file, ctx.io.env);
    if (isWorkflowConfig(loaded.value)) {
      const env = ctx.engine();
      const home = workflowHome(loaded, env);
      const kernel = new Kernel({ plugins: env.builtins, logger: env.logger, progress: env.progress, clock: env.clock, home });
      const { records } = await checkWorkflow(loaded, kernel, home);
      ctx.print({ valid: true, file: loaded.file, workflow: true, records }, () => `${file}: valid (Qlib workflow: one task, ${records} record${records === 1 ? '' : 's'})`);
      return;
    }
    const prepared = await prepareConfig(file, ctx.engine(), loaded);
    const strategies = prepared.pipeline.strategies.length;
    ctx.print({ valid: true, file: prepared.config.file, manager: prepared.pipeline.manager.name, strategies }, () => `${file}: valid (manager ${prepared.pipeline.manager.name}, ${strategies} strateg${strategies === 1 ? 'y' : 'ies'})`);
  },
};

/** A user config (top-level init_cash + strategy + model, no manager): the users plugin's, not a pipeline. */
export function isUserConfig(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    // Without the key's name in its text a file cannot be one: a pipeline is not parsed twice (~20 ms of every call).
    if (!text.includes('init_cash')) return false;
    const v = parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    return !('manager' in o) && 'init_cash' in o && 'strategy' in o && 'model' in o;
  } catch {
    return false; // the pipeline loader reports it with its location
  }
}
