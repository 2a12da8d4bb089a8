import { closestMatches, isQonlineError, type CheckContext, type OptionProblem, type QonlineError } from '../../../../core/index.js';
import { fieldsOf } from '../expr/ast.js';

import { parseExpressionWith } from '../expr/parser.js';
import { windowExtent } from '../expr/window-extent.js';

function key(k: string): string {
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** What checking needs of one expression text, whatever it is named. */
interface Analysis {
  /** The parser's error (then nothing else is known). */
  error?: QonlineError;
  /** Raw fields it reads. */
  fields: string[];
  /** Rows it reads around each date, or what windowExtent threw (a Qlib-only form). */
  extent?: { back: number; forward: number };
  extentError?: unknown;
}

/**
 * Analyses per data facts (one config check) and expression text: strategies
 * sharing a handler (two Alpha158 strategies: 316 expressions) parse each
 * text once.
 */
const analysesByFacts = new WeakMap<object, Map<string, Analysis>>();

function analyse(src: string, ctx: CheckContext): Analysis {
  let memo = analysesByFacts.get(ctx.data);
  if (!memo) analysesByFacts.set(ctx.data, (memo = new Map()));
  let a = memo.get(src);
  if (a) return a;
  let node;
  try {
    node = parseExpressionWith(src, { mode: ctx.data.expressions ?? 'default' });
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    a = { error: e, fields: [] };
    memo.set(src, a);
    return a;
  }
  a = { fields: fieldsOf(node) };
  try {
    a.extent = windowExtent(node);
  } catch (e) {
    a.extentError = e;
  }
  memo.set(src, a);
  return a;
}

/**
 * Parses each named expression and checks it against the data: syntax and
 * operators (the parser), raw fields the provider has, and windows no
 * longer than its calendar.
 */
export function checkExpressions(named: Readonly<Record<string, string>>, pointer: string, ctx: CheckContext, out: OptionProblem[]): void {
  const fields = ctx.data.fields;
  const calLength = ctx.data.calendar?.length;
  for (const [name, src] of Object.entries(named)) {
    const at = `${pointer}/${key(name)}`;
    if (name.trim() === '') {
      out.push({ path: at, message: 'a feature name cannot be empty' });
      continue;
    }
    const a = analyse(src, ctx);
    if (a.error) {
      out.push({ path: at, message: `${name}: ${a.error.message}`, hint: a.error.hint });
      continue;
    }
    if (fields) {
      for (const f of a.fields) {
        if (fields.includes(f.toLowerCase())) continue;
        const near = closestMatches(f, fields, 2);
        out.push({
          path: at,
          message: `${name}: the data has no field $${f}${near.length ? `; did you mean ${near.map((n) => '$' + n).join(' or ')}?` : ''}`,
          hint: `fields: ${fields.map((n) => '$' + n).join(' ')}`,
        });
      }
    }
    // Qlib-only forms (a window between 0 and 1, EMA(x, 0)) depend on where loading starts: no fixed extent.
    const qlibOnly = ctx.data.expressions === 'qlib' && a.extent === undefined;
    if (calLength !== undefined && !qlibOnly) {
      if (a.extent === undefined) throw a.extentError;
      const e = a.extent;
      const reach = Math.max(Number.isFinite(e.back) ? e.back : 0, Number.isFinite(e.forward) ? e.forward : 0);
      if (reach >= calLength) {
        out.push({ path: at, message: `${name}: the expression reads ${reach} rows around each date, but the calendar has only ${calLength} dates` });
      }
    }
  }
}

interface HandlerOptions {
  instruments?: string | readonly string[];
  start_time: string;
  end_time?: string | null;
  fit_start_time?: string | null;
  fit_end_time?: string | null;
  features?: Readonly<Record<string, string>>;
  label?: Readonly<Record<string, string>>;
  infer_processors?: readonly unknown[];
  learn_processors?: readonly unknown[];
}

/** ExprHandler / Alpha158 / Alpha360 options: dates in order, the market, processors named by a string, expressions. */
export async function checkHandler(o: HandlerOptions, ctx: CheckContext): Promise<OptionProblem[]> {
  const out: OptionProblem[] = [];
  const end = o.end_time ?? null;
  if (end !== null && end < o.start_time) out.push({ path: '/end_time', message: `end_time ${end} is before start_time ${o.start_time}` });
  const fs = o.fit_start_time ?? null;
  const fe = o.fit_end_time ?? null;
  if (fs !== null && fe !== null && fe < fs) out.push({ path: '/fit_end_time', message: `fit_end_time ${fe} is before fit_start_time ${fs}` });
  if (fs !== null && fs < o.start_time) out.push({ path: '/fit_start_time', message: `the fit window starts (${fs}) before the handler's data (start_time ${o.start_time})` });
  if (fe !== null && end !== null && fe > end) out.push({ path: '/fit_end_time', message: `the fit window ends (${fe}) after the handler's data (end_time ${end})` });
  const cal = ctx.data.calendar;
  if (cal) {
    const covers = `the data covers ${cal.first} .. ${cal.last}`;
    if (o.start_time > cal.last) out.push({ path: '/start_time', message: `start_time ${o.start_time} is after the data's last date ${cal.last}`, hint: covers });
    if (end !== null && end < cal.first) out.push({ path: '/end_time', message: `end_time ${end} is before the data's first date ${cal.first}`, hint: covers });
    if ((fs !== null && fs > cal.last) || (fe !== null && fe < cal.first)) {
      out.push({ path: fs !== null && fs > cal.last ? '/fit_start_time' : '/fit_end_time', message: `the fit window (${fs ?? 'start'} .. ${fe ?? 'end'}) holds no date of the data`, hint: covers });
    }
  }
  const markets = ctx.data.markets;
  if (typeof o.instruments === 'string' && markets && !markets.includes(o.instruments.toLowerCase())) {
    const near = closestMatches(o.instruments, markets, 2);
    out.push({
      path: '/instruments',
      message: `the data has no market ${JSON.stringify(o.instruments)}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''}`,
      hint: `markets: ${markets.join(', ') || '(none)'}; or give a list of instrument codes`,
    });
  }
  for (const group of ['infer_processors', 'learn_processors'] as const) {
    const list = o[group] ?? [];
    for (let i = 0; i < list.length; i++) {
      if (typeof list[i] === 'string') await ctx.checkComponent('processor', { class: list[i] }, `/${group}/${i}`);
    }
  }
  if (o.features) checkExpressions(o.features, '/features', ctx, out);
  if (o.label) checkExpressions(o.label, '/label', ctx, out);
  return out;
}

const ORDER = ['train', 'valid', 'test'] as const;

/**
 * DatasetH segments: start <= end in each, and train, valid, test in this
 * order without overlap (a test segment overlapping training data is
 * look-ahead). An open end (null) reaches every later date.
 */
export function checkSegments(
  segments: Readonly<Record<string, readonly [string, string | null]>>,
  data?: { calendar: { first: string; last: string } | null; handler?: { start?: string; end?: string | null } },
): OptionProblem[] {
  const out: OptionProblem[] = [];
  const cal = data?.calendar ?? null;
  const h = data?.handler;
  for (const [name, [s, e]] of Object.entries(segments)) {
    const at = `/segments/${key(name)}`;
    if (e !== null && e < s) out.push({ path: at, message: `segment ${name} ends (${e}) before it starts (${s})` });
    else if (cal && (s > cal.last || (e !== null && e < cal.first))) {
      out.push({ path: at, message: `segment ${name} (${s} .. ${e ?? 'open'}) holds no date of the data`, hint: `the data covers ${cal.first} .. ${cal.last}` });
    } else if (h && ((typeof h.start === 'string' && e !== null && e < h.start) || (typeof h.end === 'string' && s > h.end))) {
      out.push({ path: at, message: `segment ${name} (${s} .. ${e ?? 'open'}) is outside the handler's data (start_time ${h.start ?? '-'}, end_time ${h.end ?? 'open'})` });
    }
  }
  const present = ORDER.filter((n) => segments[n]);
  for (let i = 0; i < present.length; i++) {
    for (let j = i + 1; j < present.length; j++) {
      const a = present[i]!;
      const b = present[j]!;
      const [as, ae] = segments[a]!;
      const [bs] = segments[b]!;
      if (bs < as) {
        out.push({ path: `/segments/${b}`, message: `segment ${b} starts (${bs}) before segment ${a} (${as}); the order is train, valid, test` });
      } else if (ae === null || bs <= ae) {
        const lookAhead = a === 'train' && b === 'test';
        out.push({
          path: `/segments/${b}`,
          message: `segment ${b} (from ${bs}) overlaps segment ${a} (to ${ae ?? 'the open end'})${lookAhead ? ': testing on training dates is look-ahead' : ''}`,
          hint: `start ${b} after ${ae ?? `closing ${a}`}`,
        });
      }
    }
  }
  return out;
}
