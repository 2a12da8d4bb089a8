import path from 'node:path';
import { QonlineError, standaloneComponents, type CliCommand, type CliCommandContext } from '../../../../core/index.js';
import { alpha158Fields, alpha360Fields, DEFAULT_LABEL } from '../alpha/index.js';
import { importCsv } from '../csv/index.js';
import { isValidDay } from '../storage/dates.js';
import { dataQlibPlugin } from '../../index.js';
import { generateSyntheticMarket } from '../synth/index.js';

function str(ctx: CliCommandContext, name: string, required = true): string | undefined {
  const v = ctx.args.flags[name];
  if (typeof v === 'string') return v;
  if (required) throw new QonlineError('QONLINE_USAGE', `--${name} is required`);
  return undefined;
}

function int(ctx: CliCommandContext, name: string, fallback: number): number {
  const v = str(ctx, name, false);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new QonlineError('QONLINE_USAGE', `--${name} expects an integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function date(ctx: CliCommandContext, name: string, required = true): string | undefined {
  const v = str(ctx, name, required);
  if (v !== undefined && !isValidDay(v)) throw new QonlineError('QONLINE_USAGE', `--${name} expects a real calendar date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}

export const dataSynthCommand: CliCommand = {
  name: 'data synth',
  usage: 'data synth --out DIR [--instruments N] [--start D] [--end D] [--seed S]',
  summary: "Write the seeded synthetic market in Qlib's binary layout (no-op when DIR already holds the same one)",
  flags: {
    out: { value: true, description: 'Target folder' },
    instruments: { value: true, description: 'Number of instruments (default 300)' },
    start: { value: true, date: true, description: 'First calendar date (default 2015-01-01)' },
    end: { value: true, date: true, description: 'Last calendar date (default 2024-12-31)' },
    seed: { value: true, description: 'Random seed (default 42)' },
  },
  async run(ctx) {
    const out = path.resolve(str(ctx, 'out')!);
    const t0 = Date.now();
    const manifest = await generateSyntheticMarket(out, {
      instruments: int(ctx, 'instruments', 300),
      start: date(ctx, 'start', false) ?? '2015-01-01',
      end: date(ctx, 'end', false) ?? '2024-12-31',
      seed: int(ctx, 'seed', 42),
    });
    const secs = (Date.now() - t0) / 1000;
    ctx.print({ out, seconds: secs, ...manifest }, () => `${out}: ${manifest.instruments} instruments, ${manifest.calendar.days} trading days ${manifest.calendar.first}..${manifest.calendar.last}, markets ${manifest.markets.join(', ')} (${secs.toFixed(1)} s)`);
  },
};

export const dataImportCsvCommand: CliCommand = {
  name: 'data import-csv',
  usage: 'data import-csv --src DIR --out DIR [--freq day] [--overwrite]',
  summary: 'Import one CSV per instrument into Qlib binary layout; new rows are appended, history is never rewritten silently',
  flags: {
    src: { value: true, description: 'Folder of CSV files (file name = instrument code)' },
    out: { value: true, description: 'Qlib data folder to create or update' },
    freq: { value: true, description: 'Frequency (day)' },
    overwrite: { description: 'Allow changing values already stored' },
  },
  async run(ctx) {
    const report = await importCsv({ src: path.resolve(str(ctx, 'src')!), out: path.resolve(str(ctx, 'out')!), freq: str(ctx, 'freq', false) ?? 'day', overwrite: Boolean(ctx.args.flags['overwrite']) });
    ctx.print(report, () => {
      const r = report as unknown as { files: number; rows: number; instruments: { added: number; updated: number; unchanged: number }; calendar: { first: string; last: string; days: number; added: number } };
      return `imported ${r.files} file(s), ${r.rows} row(s): ${r.instruments.added} new, ${r.instruments.updated} updated, ${r.instruments.unchanged} unchanged instrument(s); calendar ${r.calendar.first}..${r.calendar.last} (${r.calendar.days} days, ${r.calendar.added} added)`;
    });
  },
};

export const dataFeaturesCommand: CliCommand = {
  name: 'data features',
  usage: 'data features --uri DIR (--instruments A,B | --market M) --start D --end D (--field EXPR ... | --handler Alpha158) [--format csv|json]',
  summary: 'Evaluate expressions (or a handler\u2019s feature set) and print instrument, date and one column per expression',
  flags: {
    uri: { value: true, description: 'Qlib data folder' },
    instruments: { value: true, description: 'Comma-separated instrument codes (not masked by membership)' },
    market: { value: true, description: 'Market name (rows masked to membership spans)' },
    start: { value: true, date: true, description: 'First date' },
    end: { value: true, date: true, description: 'Last date' },
    field: { value: true, multiple: true, description: 'An expression (repeatable), e.g. "Mean($close, 5)"' },
    handler: { value: true, description: 'Alpha158 or Alpha360: its raw features and label' },
    format: { value: true, description: 'csv (default) or json' },
  },
  async run(ctx) {
    const uri = path.resolve(str(ctx, 'uri')!);
    const market = str(ctx, 'market', false);
    const list = str(ctx, 'instruments', false);
    if (Boolean(market) === Boolean(list)) throw new QonlineError('QONLINE_USAGE', 'give exactly one of --instruments and --market');
    const start = date(ctx, 'start')!;
    const end = date(ctx, 'end')!;
    let fields = (ctx.args.flags['field'] as string[] | undefined) ?? [];
    let names = [...fields];
    const handler = str(ctx, 'handler', false);
    if (handler) {
      if (fields.length) throw new QonlineError('QONLINE_USAGE', 'give --field or --handler, not both');
      const fs = handler === 'Alpha158' ? alpha158Fields() : handler === 'Alpha360' ? alpha360Fields() : null;
      if (!fs) throw new QonlineError('QONLINE_USAGE', `--handler must be Alpha158 or Alpha360, got ${JSON.stringify(handler)}`);
      fields = [...fs.fields, ...DEFAULT_LABEL.fields];
      names = [...fs.names, ...DEFAULT_LABEL.names];
    }
    if (!fields.length) throw new QonlineError('QONLINE_USAGE', 'give at least one --field or a --handler');
    const format = str(ctx, 'format', false) ?? (ctx.json ? 'json' : 'csv');
    if (format !== 'csv' && format !== 'json') throw new QonlineError('QONLINE_USAGE', '--format must be csv or json');
    // Built by the kernel from the QlibData component, like a run's provider (no disk cache for a one-off export),
    // and closed (its files and feature threads) when the export ends, whatever happened.
    const components = standaloneComponents([dataQlibPlugin]);
    try {
      const provider = components.create('dataProvider', { class: 'QlibData', kwargs: { uri, id: 'cli', disk_cache: false } });
      const frame = await provider.features({ instruments: market ?? list!.split(',').map((s) => s.trim()).filter(Boolean), fields, start, end });
      // 9 significant digits round-trip any float32.
      const fmt = (v: number): string => (Number.isNaN(v) ? '' : String(Number(v.toPrecision(9))));
      // Written in chunks: a whole market's features do not fit in one string.
      const CHUNK = 5000;
      if (format === 'json') {
        ctx.stdout('[\n');
        let buf: string[] = [];
        for (let i = 0; i < frame.rows; i++) {
          const row: Record<string, unknown> = { instrument: frame.instruments[frame.rowInst[i]!], date: frame.dates[frame.rowDate[i]!] };
          names.forEach((n, c) => (row[n] = Number.isNaN(frame.data[c]![i]!) ? null : Number(frame.data[c]![i]!.toPrecision(9))));
          buf.push('  ' + JSON.stringify(row) + (i + 1 < frame.rows ? ',' : ''));
          if (buf.length >= CHUNK) {
            ctx.stdout(buf.join('\n') + '\n');
            buf = [];
          }
        }
        ctx.stdout((buf.length ? buf.join('\n') + '\n' : '') + ']\n');
        return;
      }
      const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      ctx.stdout(['instrument', 'date', ...names].map(quote).join(',') + '\n');
      let lines: string[] = [];
      for (let i = 0; i < frame.rows; i++) {
        lines.push([frame.instruments[frame.rowInst[i]!]!, frame.dates[frame.rowDate[i]!]!, ...frame.data.map((col) => fmt(col[i]!))].join(','));
        if (lines.length >= CHUNK) {
          ctx.stdout(lines.join('\n') + '\n');
          lines = [];
        }
      }
      if (lines.length) ctx.stdout(lines.join('\n') + '\n');
    } finally {
      await components.close();
    }
  },
};

export const DATA_COMMANDS: CliCommand[] = [dataSynthCommand, dataImportCsvCommand, dataFeaturesCommand];
