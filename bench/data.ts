import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FeatureRowBlocks, HandlerFrame } from '../core/index.js';
import { alpha158Fields, DEFAULT_LABEL } from '../plugins/data-qlib/src/alpha/index.js';
import { ExprHandler, fromRowBlocks } from '../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn } from '../plugins/data-qlib/src/processors/index.js';
import { QlibDataProvider } from '../plugins/data-qlib/src/provider/qlib-provider.js';
import { idleCores, machineLoad } from '../core/index.js';
import { defaultFeatureThreads, MIN_VALUES_PER_THREAD } from '../plugins/data-qlib/src/parallel/feature-workers.js';
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
const REPS = Math.max(3, Number(process.env['QONLINE_BENCH_REPS'] ?? 3));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const spread = (xs: number[], digits = 2): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

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

    // 1 and 2 feature threads, each on a fresh provider (features + handler frame), interleaved A B A B.
    const auto = defaultFeatureThreads(rows * fields.length);
    const perThreads = new Map<number, { wall: number[]; cpu: number[] }>([
      [1, { wall: [], cpu: [] }],
      [2, { wall: [], cpu: [] }],
    ]);
    let identical = true;
    let used = 2;
    for (let r = 0; r < REPS; r++) {
      for (const threads of [1, 2]) {
        const provider = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096, threads });
        const run = await timed(() => provider.featureRows(request, widths));
        await provider.close();
        if (threads === 2) used = provider.lastThreads;
        identical &&= digestOf(run.value) === singleDigest;
        perThreads.get(threads)!.wall.push(run.wall);
        perThreads.get(threads)!.cpu.push(run.cpu);
      }
    }
    const one = perThreads.get(1)!;
    const two = perThreads.get(2)!;
    console.log(`features + handler frame, fresh provider, ${REPS} rounds interleaved (1 thread, 2 threads, ...):`);
    console.log(`  1 thread:  wall ${spread(one.wall)} s, CPU ${spread(one.cpu)} s`);
    console.log(
      `  ${used} thread${used === 1 ? ' (no built worker: run from dist/)' : 's'}: wall ${spread(two.wall)} s, CPU ${spread(two.cpu)} s; ` +
        `speedup (1 thread / 2, per round) ${spread(one.wall.map((w, i) => w / two.wall[i]!))}x, identical to 1 thread: ${identical ? 'yes' : 'NO'}`,
    );
    const load = machineLoad();
    console.log(
      `automatic thread choice now: ${auto} (idle cores ${idleCores(load)}: 1-minute load ${load.load1.toFixed(1)}, ${load.runnable ?? '?'} tasks runnable, ${availableParallelism()} cores; ${(rows * fields.length / 1e6).toFixed(0)} M values, ${MIN_VALUES_PER_THREAD / 1e6} M per thread)`,
    );
    console.log(`Alpha158 + label frame digest: ${singleDigest}`);

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
    await compareWithQlibAnchor(uri, sample, inputs, fields);
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

/**
 * Alpha158 + label on `codes` (their rows in memory on both sides, not
 * timed): qonline's evaluateAll on one thread against Qlib's way of
 * computing the same expressions on pandas (bench/qlib_expr_ref.py, one
 * long-lived python3 process), interleaved A B A B. Prints wall and CPU
 * seconds (median, min-max) and the ratio per round.
 */
async function compareWithQlibAnchor(uri: string, codes: string[], inputs: SeriesInput[], fields: string[]): Promise<void> {
  const exe = ['python3', '/usr/bin/python3'].find((e) => spawnSync(e, ['-c', 'import pandas, numpy'], { stdio: 'ignore' }).status === 0);
  const script = [path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'qlib_expr_ref.py'), path.join(process.cwd(), 'bench', 'qlib_expr_ref.py')].find((p) => existsSync(p));
  if (!exe || !script) {
    console.log('Qlib-style anchor skipped: needs python3 with pandas and numpy (apt-get install python3-pandas) and bench/qlib_expr_ref.py');
    return;
  }
  const exprsFile = path.join(path.dirname(uri), 'alpha158-exprs.json');
  writeFileSync(exprsFile, JSON.stringify(fields));
  const child = spawn(exe, [script, uri, exprsFile, codes.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('the Qlib-style anchor (bench/qlib_expr_ref.py) stopped');
    return r.value;
  };
  try {
    if ((await next()) !== 'ready') throw new Error('the Qlib-style anchor did not start');
    const nodes = fields.map((f) => parseExpression(f));
    evaluateAll(nodes, inputs[0]!); // compiled once, as a provider would have
    const theirs = { wall: [] as number[], cpu: [] as number[] };
    const ours = { wall: [] as number[], cpu: [] as number[] };
    let values = 0;
    for (let r = 0; r < REPS; r++) {
      child.stdin!.write('run\n');
      const a = JSON.parse(await next()) as { seconds: number; cpu: number; values: number };
      theirs.wall.push(a.seconds);
      theirs.cpu.push(a.cpu);
      const b = await timed(() => {
        let n = 0;
        for (const input of inputs) n += evaluateAll(nodes, input).reduce((k, v) => k + v.length, 0);
        return n;
      });
      values = b.value;
      if (a.values !== b.value) throw new Error(`the anchor computed ${a.values} values, qonline ${b.value}`);
      ours.wall.push(b.wall);
      ours.cpu.push(b.cpu);
    }
    console.log(`Alpha158 + label on ${codes.length} instruments (${values} values), one thread, ${REPS} rounds interleaved with a Qlib-style anchor (Qlib's operators on pandas, bench/qlib_expr_ref.py):`);
    console.log(`  Qlib-style anchor: wall ${spread(theirs.wall)} s, CPU ${spread(theirs.cpu)} s`);
    console.log(`  qonline:           wall ${spread(ours.wall)} s, CPU ${spread(ours.cpu)} s`);
    console.log(
      `  qonline is ${spread(theirs.wall.map((w, i) => w / ours.wall[i]!), 1)}x faster in wall time, ${spread(theirs.cpu.map((c, i) => c / ours.cpu[i]!), 1)}x in CPU time (per round; goal >= 10x)`,
    );
  } finally {
    child.stdin!.end();
    child.kill();
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
