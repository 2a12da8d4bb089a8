import { loadConfigFile } from '../../config/load.js';
import { Kernel } from '../../kernel/kernel.js';
import { prepareConfig } from '../../engine/pipeline.js';
import { isWorkflowConfig, validateWorkflow } from '../../engine/workflow.js';
import type { Command } from '../context.js';
import { requireConfig } from './shared.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: 'validate CONFIG',
  summary: 'Check a config (YAML, schema, every component and its options) without running or writing anything',
  flags: {},
  async run(ctx) {
    const file = requireConfig(ctx, 'validate');
    const loaded = await loadConfigFile(file, ctx.io.env);
    if (isWorkflowConfig(loaded.value)) {
      const env = ctx.engine();
      const kernel = new Kernel({ plugins: env.builtins, logger: env.logger, progress: env.progress, clock: env.clock, home: loaded.dir });
      const { records } = validateWorkflow(loaded, kernel);
      ctx.print({ valid: true, file: loaded.file, workflow: true, records }, () => `${file}: valid (Qlib workflow: one task, ${records} record${records === 1 ? '' : 's'})`);
      return;
    }
    const prepared = await prepareConfig(file, ctx.engine());
    const strategies = prepared.pipeline.strategies.length;
    ctx.print({ valid: true, file: prepared.config.file, manager: prepared.pipeline.manager.name, strategies }, () => `${file}: valid (manager ${prepared.pipeline.manager.name}, ${strategies} strateg${strategies === 1 ? 'y' : 'ies'})`);
  },
};
