import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Model } from '../core/index.js';
import { createModel, importModel } from '../plugins/models/index.js';
import { median, stats } from './routine.js';

/**
 * Model kernels against their anchors, interleaved in one run (A B A B,
 * median and min-max of QONLINE_BENCH_REPS, default 5), wall and CPU time
 * (CPU: the process's user + system time, all threads; steadier than wall
 * time on a shared machine):
 *
 * - GBDT predict, 140k rows x 40. XGBoost 1.7 `hist` (200 trees, depth 6,
 *   min_child_weight 20) and qonline GBDT (200 trees, depth 6,
 *   min_data_in_leaf 20: hessian 1 per row, the same rule) are fitted on the
 *   same rows; timed is prediction only from the in-memory float32 row-major
 *   matrix to a new output array: XGBoost's `inplace_predict` (no DMatrix) at
 *   1 and 2 threads, timed inside Python; qonline's `predict` (input checks,
 *   block copies, output array) on 1 thread, for its own trees and for
 *   XGBoost's trees imported from the JSON it saved (the same trees, so the
 *   same work; the predictions are checked to be equal).
 * - ridge fit, 424k rows x 40: the whole qonline `fit` (missing-value pass,
 *   centring, normal equations, solve, train loss) against NumPy's float64
 *   normal-equation solve (float64 copy, missing-value fill, centre, X'X, X'y
 *   by BLAS, solve) and its X'X + X'y + solve alone on a prepared float64
 *   matrix, at 1 and 2 BLAS threads.
 *
 * The anchors run in one long-lived python3 process (bench/kernels_ref.py)
 * fed one command at a time between our own runs. Needs python3 with numpy
 * and xgboost (Debian: python3-xgboost); without it only our figures print.
 */
const ROWS = 140_000;
const RIDGE_ROWS = 424_000;
const COLS = 40;
const ROUNDS = 200;

function normals(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function matrix(rows: number, seed: number): { x: Float32Array; y: Float32Array } {
  const g = normals(seed);
  const x = new Float32Array(rows * COLS);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * COLS;
    const z = g();
    for (let j = 0; j < COLS; j++) x[base + j] = j % 4 === 0 ? z + g() * 0.5 : j % 4 === 1 ? Math.exp(g() * 0.5) : g();
    y[r] = 0.1 * Math.tanh(x[base]!) + 0.05 * x[base + 1]! * x[base + 2]! + 0.05 * (x[base + 3]! > 0.5 ? 1 : 0) + g() * 0.5;
    if (r % 101 === 0) x[base + (r % COLS)] = NaN;
  }
  return { x, y };
}

interface Timing {
  seconds: number;
  cpu: number;
}

async function measure(fn: () => unknown): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6 };
}

/** Wall and CPU figures of one series. */
class Series {
  readonly runs: Timing[] = [];
  constructor(readonly name: string) {}
  get wall(): number {
    return median(this.runs.map((r) => r.seconds));
  }
  get cpu(): number {
    return median(this.runs.map((r) => r.cpu));
  }
  print(): void {
    const ms = (xs: number[]) => stats(xs.map((x) => x * 1000), 'ms', 0);
    console.log(`  ${this.name.padEnd(44)} wall ${ms(this.runs.map((r) => r.seconds))}   cpu ${ms(this.runs.map((r) => r.cpu))}`);
  }
}

function ratio(a: Series, b: Series): string {
  return `${(a.wall / b.wall).toFixed(2)}x wall, ${(a.cpu / b.cpu).toFixed(2)}x cpu`;
}

interface Anchor {
  ask(cmd: string): Promise<Timing>;
  info: { version: string; numpy: string; blas: string; leaves: number };
  close(): void;
}

async function startAnchor(dir: string): Promise<Anchor | null> {
  const script = [join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'kernels_ref.py'), join(process.cwd(), 'bench', 'kernels_ref.py')].find((p) => existsSync(p));
  if (!script) {
    console.log('anchors skipped: bench/kernels_ref.py not found');
    return null;
  }
  const exe = ['python3', '/usr/bin/python3'].find((e) => spawnSync(e, ['-c', 'import xgboost, numpy'], { stdio: 'ignore' }).status === 0);
  if (!exe) {
    console.log('anchors skipped: no python3 with numpy and xgboost (apt-get install python3-xgboost)');
    return null;
  }
  const child = spawn(exe, [script, dir, String(ROWS), String(COLS), String(RIDGE_ROWS), String(ROUNDS), '6', '20'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | null> => {
    const r = await lines.next();
    return r.done ? null : (JSON.parse(r.value) as Record<string, unknown>);
  };
  const ready = await next().catch(() => null);
  if (!ready) {
    console.log('anchors skipped: python3 with numpy and xgboost did not start (apt-get install python3-xgboost)');
    child.kill();
    return null;
  }
  return {
    info: ready as unknown as Anchor['info'],
    ask: async (cmd) => {
      child.stdin!.write(cmd + '\n');
      return (await next()) as unknown as Timing;
    },
    close: () => {
      child.stdin!.end('quit\n');
    },
  };
}

export async function runKernelsBench(): Promise<void> {
  const reps = Number(process.env['QONLINE_BENCH_REPS'] ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'qonline-bench-kernels-'));
  try {
    const train = matrix(ROWS, 7);
    const ridge = matrix(RIDGE_ROWS, 11);
    const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(dir, 'x.f32'), bytes(train.x));
    writeFileSync(join(dir, 'y.f32'), bytes(train.y));
    writeFileSync(join(dir, 'rx.f32'), bytes(ridge.x));
    writeFileSync(join(dir, 'ry.f32'), bytes(ridge.y));
    const anchor = process.env['QONLINE_BENCH_XGB'] === '0' ? null : await startAnchor(dir);

    const gbdt: Model = createModel('GBDT', { num_boost_round: ROUNDS, max_depth: 6, num_leaves: 64, min_data_in_leaf: 20, learning_rate: 0.1, lambda_l2: 1, max_bin: 255, early_stopping_rounds: 0, num_threads: 1, seed: 1 });
    const fit = await measure(() => gbdt.fit({ features: train.x, labels: train.y, rows: ROWS, cols: COLS }));
    const ownLeaves = (gbdt.toJSON().state as { trees: { num_leaves: number }[] }).trees.reduce((n, t) => n + t.num_leaves, 0);
    console.log(`GBDT predict, ${ROWS.toLocaleString('en-US')} x ${COLS} (the training rows): qonline GBDT ${ROUNDS} trees, ${ownLeaves} leaves (fit ${fit.seconds.toFixed(1)} s)${anchor ? `; XGBoost ${anchor.info.version} ${ROUNDS} trees, ${anchor.info.leaves} leaves` : ''}`);
    const input = { features: train.x, rows: ROWS, cols: COLS };
    let imported: Model | null = null;
    if (anchor) {
      imported = importModel(readFileSync(join(dir, 'xgb.json'), 'utf8'), 'xgboost-json');
      const buf = readFileSync(join(dir, 'xgb_pred.f32'));
      const ref = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const ours = imported.predict(input);
      let differ = 0;
      for (let i = 0; i < ROWS; i++) if (ours[i] !== ref[i]) differ++;
      console.log(`  XGBoost's model imported into qonline: ${differ} of ${ROWS.toLocaleString('en-US')} predictions differ from XGBoost's`);
    }
    const xgb1 = new Series('XGBoost inplace_predict, 1 thread');
    const xgb2 = new Series('XGBoost inplace_predict, 2 threads');
    const own = new Series('qonline GBDT.predict (own trees), 1 thread');
    const same = new Series("qonline predict of XGBoost's trees, 1 thread");
    gbdt.predict(input); // warm-up (JIT)
    imported?.predict(input);
    for (let r = 0; r < reps; r++) {
      if (anchor) xgb1.runs.push(await anchor.ask('predict 1'));
      own.runs.push(await measure(() => gbdt.predict(input)));
      if (anchor) xgb2.runs.push(await anchor.ask('predict 2'));
      if (imported) same.runs.push(await measure(() => imported!.predict(input)));
    }
    for (const s of anchor ? [xgb1, xgb2, own, same] : [own]) s.print();
    if (anchor) {
      console.log(`  ratio, same trees:    qonline / XGBoost 1 thread ${ratio(same, xgb1)}; / 2 threads ${ratio(same, xgb2)} (goal <= 1.0x)`);
      console.log(`  ratio, same settings: qonline / XGBoost 1 thread ${ratio(own, xgb1)}; / 2 threads ${ratio(own, xgb2)}`);
    }

    const ds = { features: ridge.x, labels: ridge.y, rows: RIDGE_ROWS, cols: COLS };
    await createModel('Linear', { alpha: 1 }).fit(ds); // warm-up
    const ours = new Series('qonline Linear fit (whole), 1 thread');
    const whole = new Series('NumPy whole solve, 1 BLAS thread');
    const blas1 = new Series("NumPy X'X + X'y + solve, 1 BLAS thread");
    const blas2 = new Series("NumPy X'X + X'y + solve, 2 BLAS threads");
    for (let r = 0; r < reps; r++) {
      if (anchor) whole.runs.push(await anchor.ask('ridge 1'));
      ours.runs.push(await measure(() => createModel('Linear', { alpha: 1 }).fit(ds)));
      if (anchor) blas1.runs.push(await anchor.ask('ridge_blas 1'));
      ours.runs.push(await measure(() => createModel('Linear', { alpha: 1 }).fit(ds)));
      if (anchor) blas2.runs.push(await anchor.ask('ridge_blas 2'));
    }
    console.log(`ridge fit, ${RIDGE_ROWS.toLocaleString('en-US')} x ${COLS}${anchor ? ` (NumPy ${anchor.info.numpy}, ${anchor.info.blas})` : ''}:`);
    for (const s of anchor ? [ours, whole, blas1, blas2] : [ours]) s.print();
    if (anchor) {
      console.log(`  ratio qonline / NumPy whole solve: ${ratio(ours, whole)}`);
      console.log(`  ratio qonline / X'X + X'y + solve: 1 BLAS thread ${ratio(ours, blas1)}; 2 BLAS threads ${ratio(ours, blas2)} (goal <= 2x)`);
    }
    anchor?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
