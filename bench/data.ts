import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os, { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import type { FeatureRowBlocks, HandlerFrame } from '../core/index.js';
import { alpha158Fields, DEFAULT_LABEL } from '../plugins/data-qlib/src/alpha/index.js';
import { ExprHandler, fromRowBlocks } from '../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn } from '../plugins/data-qlib/src/processors/index.js';
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

/** SHA-256 of a frame's rows and values. */
function digestOf(f: FeatureRowBlocks): string {
  const h = createHash('sha256');
  for (const x of [f.rowDate, f.rowInst, ...f.blocks]) h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return `${f.rows}:${h.digest('hex')}`;
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
    const labelNames = [...DEFAULT_LABEL.names];
    const request = { instruments: 'all', fields, start: cal.first, end: cal.last };
    const widths = [fs.names.length, labelNames.length];
    const fitStart = cal.first;
    const fitEnd = cal.dates[Math.floor(cal.length * 0.7)]!;
    // Qlib's usual Alpha158 pipeline in its benchmarks' configs (heavier than the handler's defaults).
    const processors = () => ({
      infer: [createProcessor('RobustZScoreNorm', { fields_group: 'feature', clip_outlier: true, fit_start_time: fitStart, fit_end_time: fitEnd }), createProcessor('Fillna', { fields_group: 'feature' })],
      learn: [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })],
    });

    // The handler's path, phase by phase, on one thread.
    let single: QlibDataProvider | null = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads: 1 });
    const feat1 = await timed(async () => {
      for (const code of codes) await single!.evaluateMany(code, fields);
    });
    const assemble = await timed(() => single!.featureRows(request, widths));
    const rows = assemble.value.rows;
    // The processors below overwrite the frame: keep a digest to compare the threaded frame with.
    const singleDigest = digestOf(assemble.value);
    const values = rows * fields.length;
    console.log(
      `features, 1 thread: Alpha158 + label (${fields.length} expressions) on ${rows} rows: ${fmt(feat1.wall)} (CPU ${fmt(feat1.cpu)}), ${(values / feat1.wall / 1e6).toFixed(2)} M feature-values/s`,
    );
    console.log(`row-major handler frame (featureRows, from the memory cache): ${fmt(assemble.wall)}`);
    const cached = await timed(() => single!.features({ ...request, start: cal.dates[cal.length - 20]! }));
    console.log(`same request for the last 20 days, from the memory cache: ${cached.wall.toFixed(3)} s (${cached.value.rows} rows)`);
    const p1 = processors();
    let raw: HandlerFrame | null = fromRowBlocks(assemble.value, fs.names, labelNames);
    assemble.value = null as unknown as FeatureRowBlocks; // handed over to the processors
    const proc = await timed(() => fitInferLearn(p1.infer, p1.learn, raw!, fitStart, fitEnd, 'append', { inPlace: true }));
    raw = null;
    console.log(`processors (RobustZScoreNorm+Fillna / DropnaLabel+CSRankNorm label): ${fmt(proc.wall)} (${proc.value.learn.rows} learn rows)`);
    proc.value = null as unknown as typeof proc.value; // let the frames go before the next phases
    single = null; // its cache holds every series: let it go before the next phases
    const total = read.wall + feat1.wall + assemble.wall + proc.wall;
    console.log(`total Alpha158 pipeline (read + features + handler frame + processors), 1 thread: ${fmt(total)}  [target < 10 s]`);

    // The same as one call, as a workflow runs it: ExprHandler.setup on a fresh provider.
    const handler1 = await timed(async () => {
      const p = processors();
      const h = new ExprHandler(new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads: 1 }), {
        instruments: 'all', startTime: cal.first, endTime: cal.last, fitStartTime: fitStart, fitEndTime: fitEnd,
        features: fs, labels: { fields: [...DEFAULT_LABEL.fields], names: labelNames }, inferProcessors: p.infer, learnProcessors: p.learn,
      });
      await h.setup();
      return h;
    });
    console.log(`  end to end, ExprHandler.setup() on a fresh provider, 1 thread: ${fmt(handler1.wall)} (CPU ${fmt(handler1.cpu)})`);
    handler1.value = null as unknown as ExprHandler;
    // The same with the on-disk feature cache: the first run writes it, a new provider (a new process) reads it.
    const cacheDir = path.join(dir, 'feature-cache');
    const setupWithDisk = () =>
      timed(async () => {
        const p = processors();
        const h = new ExprHandler(new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads: 1, cacheDir }), {
          instruments: 'all', startTime: cal.first, endTime: cal.last, fitStartTime: fitStart, fitEndTime: fitEnd,
          features: fs, labels: { fields: [...DEFAULT_LABEL.fields], names: labelNames }, inferProcessors: p.infer, learnProcessors: p.learn,
        });
        await h.setup();
        return null;
      });
    const diskCold = await setupWithDisk();
    const diskWarm = await setupWithDisk();
    console.log(`  with the disk feature cache: ${fmt(diskCold.wall)} writing it, ${fmt(diskWarm.wall)} reading it back in a new provider`);

    // Two threads forced (the machine's 2 cores), interleaved with the automatic choice's reasoning printed.
    const auto = defaultFeatureThreads(rows * fields.length);
    const threads = 2;
    const parallel = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads });
    const featN = await timed(() => parallel.featureRows(request, widths));
    await parallel.close();
    const used = parallel.lastThreads;
    const identical = digestOf(featN.value) === singleDigest;
    console.log(
      `features + handler frame, ${used} worker thread${used === 1 ? '' : 's'}${used === 1 ? ' (no built worker: run from dist/)' : ''}: ${fmt(featN.wall)} (CPU ${fmt(featN.cpu)}), speedup ${((feat1.wall + assemble.wall) / featN.wall).toFixed(2)}x over 1 thread, identical to 1 thread: ${identical ? 'yes' : 'NO'}`,
    );
    console.log(`automatic thread choice now: ${auto} (1-minute load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`);
    console.log(`total with ${used} feature thread${used === 1 ? '' : 's'}: ${fmt(read.wall + featN.wall + proc.wall)}`);

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
