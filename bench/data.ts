import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FeatureFrame } from '../core/index.js';
import { alpha158Fields, DEFAULT_LABEL } from '../plugins/data-qlib/src/alpha/index.js';
import { toHandlerFrame } from '../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn, rowMajorFromColumns } from '../plugins/data-qlib/src/processors/index.js';
import { QlibDataProvider } from '../plugins/data-qlib/src/provider/qlib-provider.js';
import { defaultFeatureThreads } from '../plugins/data-qlib/src/parallel/feature-workers.js';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';
import { BinaryDataReader } from '../plugins/data-qlib/src/storage/index.js';
import { compileExpression, evaluateAll, formatExpression, parseExpression, type ExprNode, type SeriesInput } from '../plugins/data-qlib/src/expr/index.js';

const FIELDS = ['open', 'high', 'low', 'close', 'volume', 'vwap'];

/** Wall and CPU seconds of `fn` (CPU of the whole process: worker threads included). */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; wall: number; cpu: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

const fmt = (s: number): string => `${s.toFixed(2)} s`;

function sameFrame(a: FeatureFrame, b: FeatureFrame): boolean {
  const bytes = (x: ArrayBufferView): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (a.rows !== b.rows || a.data.length !== b.data.length) return false;
  if (!bytes(a.rowDate).equals(bytes(b.rowDate)) || !bytes(a.rowInst).equals(bytes(b.rowInst))) return false;
  return a.data.every((col, c) => bytes(col).equals(bytes(b.data[c]!)));
}

/**
 * Data benchmark: synthesise 300 instruments x ~2500 days, then compute all
 * of Alpha158 plus its label from the binary layout on one thread and on
 * worker threads, and run Qlib's default processors. Prints seconds per
 * phase, feature values per second, the thread speedup, and the slowest
 * operators and feature families. QONLINE_BENCH_SMALL=1: 30 instruments.
 */
export async function runDataBench(): Promise<void> {
  const small = process.env['QONLINE_BENCH_SMALL'] === '1';
  const instruments = small ? 30 : 300;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-data-'));
  try {
    const uri = path.join(dir, 'mkt');
    const synth = await timed(() => generateSyntheticMarket(uri, { instruments, start: '2015-01-01', end: '2025-03-01', seed: 42 }));
    console.log(`synthesise ${instruments} instruments x ${synth.value.calendar.days} days: ${fmt(synth.wall)}`);

    const reader = new BinaryDataReader(uri);
    const cal = reader.calendar();
    const codes = [...reader.instruments('all').keys()];
    const read = await timed(() => {
      let cells = 0;
      for (const code of codes) for (const f of FIELDS) cells += reader.feature(code, f)?.values.length ?? 0;
      return cells;
    });
    console.log(`read ${FIELDS.length} fields of ${codes.length} instruments: ${fmt(read.wall)} (${(read.value / read.wall / 1e6).toFixed(1)} M values/s)`);

    const fs = alpha158Fields();
    const fields = [...fs.fields, ...DEFAULT_LABEL.fields];
    const names = [...fs.names, ...DEFAULT_LABEL.names];
    const request = { instruments: 'all', fields, start: cal.first, end: cal.last };

    let single: QlibDataProvider | null = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads: 1 });
    const feat1 = await timed(() => single!.features(request));
    const frame = feat1.value;
    const values = frame.rows * fields.length;
    console.log(
      `features, 1 thread: Alpha158 + label (${fields.length} expressions) on ${frame.rows} rows: ${fmt(feat1.wall)} (CPU ${fmt(feat1.cpu)}), ${(values / feat1.wall / 1e6).toFixed(2)} M feature-values/s`,
    );
    const cached = await timed(() => single!.features({ ...request, start: cal.dates[cal.length - 20]! }));
    console.log(`same request for the last 20 days, from the memory cache: ${cached.wall.toFixed(3)} s (${cached.value.rows} rows)`);
    single = null; // its cache holds every series: let it go before the next phase

    const threads = defaultFeatureThreads();
    let parallel: QlibDataProvider | null = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads });
    const featN = await timed(() => parallel!.features(request));
    await parallel.close();
    const used = parallel.lastThreads;
    const identical = sameFrame(frame, featN.value);
    featN.value = frame; // drop the second frame and the second cache before the next phases
    parallel = null;
    console.log(
      `features, ${used} worker thread${used === 1 ? '' : 's'}${used === 1 ? ' (no built worker: run from dist/)' : ''}: ${fmt(featN.wall)} (CPU ${fmt(featN.cpu)}), ${(values / featN.wall / 1e6).toFixed(2)} M feature-values/s, speedup ${(feat1.wall / featN.wall).toFixed(2)}x, identical to 1 thread: ${identical ? 'yes' : 'NO'}`,
    );

    const handler = await timed(() => toHandlerFrame(frame, fs.names, DEFAULT_LABEL.names));
    console.log(`row-major handler frame (toHandlerFrame): ${fmt(handler.wall)}`);
    const blocked = await timed(() => rowMajorFromColumns(frame.data.slice(0, fs.names.length), frame.rows).length);
    console.log(`  the same features by blocked transposition (rowMajorFromColumns): ${fmt(blocked.wall)}`);

    const fitStart = cal.first;
    const fitEnd = cal.dates[Math.floor(cal.length * 0.7)]!;
    const processors = () => ({
      infer: [createProcessor('RobustZScoreNorm', { fields_group: 'feature', clip_outlier: true, fit_start_time: fitStart, fit_end_time: fitEnd }), createProcessor('Fillna', { fields_group: 'feature' })],
      learn: [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })],
    });
    const p1 = processors();
    const proc = await timed(() => fitInferLearn(p1.infer, p1.learn, handler.value, fitStart, fitEnd));
    console.log(`processors (RobustZScoreNorm+Fillna / DropnaLabel+CSRankNorm label): ${fmt(proc.wall)} (${proc.value.learn.rows} learn rows)`);
    proc.value = { infer: handler.value, learn: handler.value };
    const handedOver = toHandlerFrame(frame, fs.names, DEFAULT_LABEL.names);
    const p2 = processors();
    const procInPlace = await timed(() => fitInferLearn(p2.infer, p2.learn, handedOver, fitStart, fitEnd, 'append', { inPlace: true }).learn.rows);
    console.log(`  the same with the raw frame handed over (inPlace): ${fmt(procInPlace.wall)}`);

    const rest = read.wall + handler.wall + proc.wall;
    console.log(`total Alpha158 pipeline (read + features + handler frame + processors), 1 thread: ${fmt(rest + feat1.wall)}  [target < 10 s]`);
    console.log(`  with the blocked transposition and the frame handed over (two changes the handler could make): ${fmt(read.wall + blocked.wall + procInPlace.wall + feat1.wall)}`);
    console.log(`total with ${used} feature thread${used === 1 ? '' : 's'}: ${fmt(rest + featN.wall)}`);

    // Where the time goes, on a subset of instruments (each measured alone, one thread).
    const sample = codes.slice(0, small ? codes.length : 60);
    const inputs = sample.map((code) => {
      const m = new Map<string, Float32Array>();
      let len = 0;
      for (const f of FIELDS) {
        const s = reader.feature(code, f);
        if (s) {
          m.set(f, s.values);
          len = Math.max(len, s.values.length);
        }
      }
      // Each field series of an instrument has the same length in the synthetic market.
      return { length: len, field: (n: string) => m.get(n) ?? new Float32Array(len).fill(NaN) };
    });
    printTop(`slowest operators (kernel seconds over ${sample.length} instruments, every distinct call of Alpha158 + label once):`, operatorSeconds(fields, inputs));
    const family = new Map<string, number>();
    fields.forEach((expr, k) => {
      const c = compileExpression(expr);
      const t0 = performance.now();
      for (const input of inputs) c.evaluate(input);
      const fam = names[k]!.replace(/\d+$/, '');
      family.set(fam, (family.get(fam) ?? 0) + (performance.now() - t0) / 1000);
    });
    printTop(`slowest feature families (each expression evaluated alone, ${sample.length} instruments):`, family);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTop(title: string, seconds: Map<string, number>): void {
  console.log(title);
  for (const [name, s] of [...seconds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`  ${name.padEnd(9)} ${s.toFixed(3)} s`);
}

/**
 * Seconds per operator: every distinct call node is evaluated alone with its
 * series arguments precomputed (given as fields), so each operator's time
 * excludes its inputs'.
 */
function operatorSeconds(exprs: string[], inputs: SeriesInput[]): Map<string, number> {
  const calls = new Map<string, Extract<ExprNode, { type: 'call' }>>();
  const visit = (n: ExprNode): void => {
    if (n.type !== 'call') return;
    calls.set(formatExpression(n), n);
    n.args.forEach(visit);
  };
  exprs.forEach((e) => visit(parseExpression(e)));
  const list = [...calls.values()];
  // Each call with its series arguments replaced by fields __0, __1, ...
  const alone = list.map((n) => compileExpression(formatExpression({ ...n, args: n.args.map((a, i) => (a.type === 'number' ? a : { type: 'field' as const, name: `__${i}` })) })));
  const seconds = new Map<string, number>();
  for (const input of inputs) {
    const all = evaluateAll(list, input);
    const byText = new Map<string, Float32Array>();
    list.forEach((n, k) => byText.set(formatExpression(n), all[k]!));
    list.forEach((n, k) => {
      const args = n.args.map((a) => (a.type === 'call' ? byText.get(formatExpression(a))! : a.type === 'field' ? input.field(a.name) : null));
      const field = (name: string): Float32Array => args[Number(name.slice(2))]!;
      const t0 = performance.now();
      alone[k]!.evaluate({ length: input.length, field });
      seconds.set(n.op, (seconds.get(n.op) ?? 0) + (performance.now() - t0) / 1000);
    });
  }
  return seconds;
}
