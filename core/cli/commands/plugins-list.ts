import { ComponentRegistry } from '../../kernel/registry.js';
import { loadPlugins } from '../../kernel/plugin-loader.js';
import { loadConfigFile } from '../../config/load.js';
import type { Command } from '../context.js';
import { table } from './shared.js';

export const pluginsListCommand: Command = {
  name: 'plugins list',
  usage: 'plugins list [--config CONFIG]',
  summary: 'List registered components (kind, name, aliases) and the plugin each comes from',
  flags: { config: { value: true, description: 'Also load the plugins this config lists' } },
  async run(ctx) {
    const file = ctx.args.flags['config'] as string | undefined;
    let extra: Awaited<ReturnType<typeof loadPlugins>> = [];
    if (file) {
      const cfg = await loadConfigFile(file, ctx.io.env);
      const specs = Array.isArray(cfg.value['plugins']) ? (cfg.value['plugins'] as string[]) : [];
      extra = await loadPlugins(specs, cfg.file, { trusted: ctx.engine().trustedPlugins });
    }
    const reg = new ComponentRegistry();
    reg.registerAll([...ctx.builtins, ...extra]);
    const rows = reg.list().map((c) => ({
      kind: c.def.kind,
      name: c.def.name,
      aliases: c.def.aliases ?? [],
      plugin: c.plugin.name,
      version: c.plugin.version,
      source: c.source,
      description: c.def.description,
    }));
    ctx.print(rows, () => table(['kind', 'name', 'aliases', 'plugin', 'source'], rows.map((r) => [r.kind, r.name, r.aliases.join(','), `${r.plugin}@${r.version}`, r.source])));
  },
};
