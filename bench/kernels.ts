import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Model } from '../core/index.js';
import { createModel } from '../plugins/models/index.js';
import { median, stats } from './routine.js';

/**
 * Model kernels against their anchors, interleaved in one run (A B A B,
 * median and min-max of QONLINE_BENCH_REPS, default 5):
 *
 * - GBDT predict, 140k rows x 40 (200 trees, depth 6, min_data_in_leaf 20),
 *   against XGBoost `hist` `inplace_predict` on the same matrix with
 *   min_child_weight 20 (hessian 1 per row: the same rule), both 1 thread;
 * - ridge fit, 424k rows x 40 (whole `fit`: missing-value pass, centring,
 *   normal equations, solve, train loss), against NumPy's float64
 *   normal-equation solve (float64 copy, missing-value fill, centre, X'X, X'y
 *   by BLAS, solve), and its X'X + X'y + solve alone, 1 BLAS thread.
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

function cpuTimed<T>(fn: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

interface Anchor {
  ask(cmd: string): Promise<{ seconds: number }>;
  info: { version: string; leaves: number };
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
    info: ready as unknown as { version: string; leaves: number },
    ask: async (cmd) => {
      child.stdin!.write(cmd + '\n');
      return (await next()) as unknown as { seconds: number };
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
    const f0 = performance.now();
    await gbdt.fit({ features: train.x, labels: train.y, rows: ROWS, cols: COLS });
    const fit = { seconds: (performance.now() - f0) / 1000 };
    console.log(`GBDT: ${ROUNDS} trees fitted on ${ROWS.toLocaleString('en-US')} x ${COLS} (fit ${fit.seconds.toFixed(1)} s)${anchor ? `; XGBoost ${anchor.info.version}: ${anchor.info.leaves} leaves in ${ROUNDS} trees` : ''}; predict input: the training matrix`);
    const ours: number[] = [];
    const theirs: number[] = [];
    const input = { features: train.x, rows: ROWS, cols: COLS };
    gbdt.predict(input); // warm-up (JIT)
    for (let r = 0; r < reps; r++) {
      if (anchor) theirs.push((await anchor.ask('predict')).seconds);
      ours.push(cpuTimed(() => gbdt.predict(input)).seconds);
    }
    console.log(`GBDT predict ${ROWS.toLocaleString('en-US')} x ${COLS}, 1 thread:   qonline ${stats(ours, 's', 3)}`);
    if (anchor) {
      console.log(`                                    XGBoost ${stats(theirs, 's', 3)}`);
      console.log(`  ratio qonline / XGBoost (medians): ${(median(ours) / median(theirs)).toFixed(2)}x (goal <= 1.0x)`);
    }

    const ridgeOurs: number[] = [];
    const ridgeTheirs: number[] = [];
    const ridgeBlas: number[] = [];
    const ds = { features: ridge.x, labels: ridge.y, rows: RIDGE_ROWS, cols: COLS };
    await createModel('Linear', { alpha: 1 }).fit(ds); // warm-up
    for (let r = 0; r < reps; r++) {
      if (anchor) ridgeTheirs.push((await anchor.ask('ridge')).seconds);
      if (anchor) ridgeBlas.push((await anchor.ask('ridge_blas')).seconds);
      const m = createModel('Linear', { alpha: 1 });
      const t0 = performance.now();
      await m.fit(ds);
      ridgeOurs.push((performance.now() - t0) / 1000);
    }
    console.log(`ridge fit ${RIDGE_ROWS.toLocaleString('en-US')} x ${COLS}:              qonline ${stats(ridgeOurs, 's', 3)}`);
    if (anchor) {
      console.log(`                                    NumPy   ${stats(ridgeTheirs, 's', 3)}`);
      console.log(`                    NumPy, X'X + solve only ${stats(ridgeBlas, 's', 3)}`);
      console.log(`  ratio qonline / NumPy whole solve (medians): ${(median(ridgeOurs) / median(ridgeTheirs)).toFixed(2)}x; / X'X + solve only: ${(median(ridgeOurs) / median(ridgeBlas)).toFixed(2)}x (goal <= 2x)`);
    }
    anchor?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
