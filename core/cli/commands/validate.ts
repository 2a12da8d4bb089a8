import { prepareConfig } from '../../engine/pipeline.js';
import type { Command } from '../context.js';
import { requireConfig } from './shared.js';

export const validateCommand: Command = {
  name: 'validate',
  usage: 'validate CONFIG',
  summary: 'Check a config (YAML, schema, every component and its options) without running or writing anything',
  flags: {},
  async run(ctx) {
    const file = requireConfig(ctx, 'validate');
    const prepared = await prepareConfig(file, ctx.engine());
    const strategies = prepared.pipeline.strategies.length;
    ctx.print({ valid: true, file: prepared.config.file, manager: prepared.pipeline.manager.name, strategies }, () => `${file}: valid (manager ${prepared.pipeline.manager.name}, ${strategies} strateg${strategies === 1 ? 'y' : 'ies'})`);
  },
};
