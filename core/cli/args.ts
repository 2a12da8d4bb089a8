import { isIsoDate } from '../calendar/calendar.js';
import { QonlineError } from '../errors/index.js';
import { closestMatches } from '../kernel/did-you-mean.js';

import type { CliFlag } from '../contracts/cli.js';

export type FlagSpec = CliFlag;

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
}

/** A strict flag parser: unknown flags are usage errors (exit 2) with a did-you-mean. */
export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positionals: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') || (a.startsWith('-') && a.length === 2 && a !== '-')) {
      let name: string;
      let inline: string | undefined;
      if (a.startsWith('--')) {
        const eq = a.indexOf('=');
        name = eq > 0 ? a.slice(2, eq) : a.slice(2);
        inline = eq > 0 ? a.slice(eq + 1) : undefined;
      } else {
        const long = byShort.get(a.slice(1));
        if (!long) throw new QonlineError('QONLINE_USAGE', `unknown option ${a}`);
        name = long;
      }
      const s = spec[name];
      if (!s) {
        const known = Object.keys(spec);
        const near = closestMatches(name, known, 1);
        throw new QonlineError('QONLINE_USAGE', `unknown option --${name}${near.length ? `; did you mean --${near[0]}?` : ''}`, {
          hint: `options: ${known.map((k) => '--' + k).join(' ')}`,
        });
      }
      if (s.value) {
        const v = inline ?? argv[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new QonlineError('QONLINE_USAGE', `option --${name} needs a value`);
        if (s.date && !isIsoDate(v)) throw new QonlineError('QONLINE_USAGE', `option --${name} expects a real calendar date YYYY-MM-DD, got ${JSON.stringify(v)}`);
        if (s.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), v];
        else flags[name] = v;
      } else {
        if (inline !== undefined) throw new QonlineError('QONLINE_USAGE', `option --${name} takes no value`);
        flags[name] = true;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export function formatFlags(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([k, s]) => `  ${s.short ? `-${s.short}, ` : '    '}--${k}${s.value ? ' <value>' : ''}`.padEnd(34) + s.description)
    .join('\n');
}
