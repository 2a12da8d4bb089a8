import { QonlineError } from '../../errors/index.js';
import type { CommandContext } from '../context.js';

export function requireConfig(ctx: CommandContext, command: string): string {
  const file = ctx.args.positionals[0];
  if (!file) throw new QonlineError('QONLINE_USAGE', `${command} needs a config file: qonline ${command} CONFIG`);
  if (ctx.args.positionals.length > 1) throw new QonlineError('QONLINE_USAGE', `unexpected argument ${JSON.stringify(ctx.args.positionals[1])}`);
  return file;
}

/** Pads columns of a text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
