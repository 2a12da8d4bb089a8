/**
 * Model benchmark: a seeded synthetic regression shaped like Alpha158 on
 * CSI300 (about 1,700 training dates x 300 stocks x 158 float32 features,
 * correlated feature groups, a few missing values, a weak non-linear signal in
 * heavy noise). Prints fit seconds, predict rows/s, valid MSE and mean daily
 * IC for GBDT (1 and 2 threads) and ridge, and for XGBoost `hist` on the
 * identical matrix when python3 with xgboost is available (bench/xgb_ref.py),
 * with the same tree limits: depth 6, 256 bins, eta 0.1, lambda 1, and
 * XGBoost's min_child_weight set to GBDT's min_data_in_leaf (the hessian of
 * a squared-error row is 1). GBDT 1 thread, XGBoost 1 thread and GBDT 2
 * threads run in turn, QONLINE_BENCH_REPS rounds (default 3): the summary
 * gives medians and min-max, the GBDT/XGBoost ratio and the 2-thread speedup
 * per round.
 *
 * QONLINE_BENCH_MODEL_SCALE=0.05 shrinks the dates for a smoke run;
 * QONLINE_BENCH_MODEL_ROUNDS overrides the 200 rounds;
 * QONLINE_BENCH_MODEL_XGB=0 skips XGBoost.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatrixDataset, Model } from '../core/index.js';
import { createModel } from '../plugins/models/index.js';
import { runImportBench } from './model-import.js';

const COLS = 158;
const STOCKS = 300;
/** GBDT's min_data_in_leaf, also XGBoost's min_child_weight in the anchor. */
const MIN_DATA_IN_LEAF = 20;

interface Synthetic {
  train: MatrixDataset;
  valid: MatrixDataset;
  validDates: number;
}

/** xorshift128 + Box-Muller: a fast seeded normal generator for the data. */
function normals(seed: number): () => number {
  let a = seed ^ 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0x85a308d3;
  let d = 0x13198a2e;
  const u32 = () => {
    let t = d;
    const s = a;
    d = c;
    c = b;
    b = s;
    t ^= t << 11;
    t ^= t >>> 8;
    a = (t ^ s ^ (s >>> 19)) >>> 0;
    return a;
  };
  for (let i = 0; i < 16; i++) u32();
  let spare = NaN;
  return () => {
    if (spare === spare) {
      const v = spare;
      spare = NaN;
      return v;
    }
    const u = (u32() + 1) / 4294967297;
    const v = u32() / 4294967296;
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function generate(dates: number, seed: number): MatrixDataset {
  const rows = dates * STOCKS;
  const g = normals(seed);
  const LATENT = 24;
  const features = new Float32Array(rows * COLS);
  const labels = new Float32Array(rows);
  // Each feature loads on one latent factor (groups like ROC5/ROC10/...), with its own noise and shape.
  const group = Int32Array.from({ length: COLS }, (_, j) => j % LATENT);
  const loading = Float64Array.from({ length: COLS }, (_, j) => 0.5 + ((j * 37) % 11) / 10);
  const shape = Int32Array.from({ length: COLS }, (_, j) => j % 5);
  const z = new Float64Array(LATENT);
  for (let day = 0; day < dates; day++) {
    const market = g() * 0.5;
    const dayShift = Float64Array.from({ length: LATENT }, () => g() * 0.3);
    for (let s = 0; s < STOCKS; s++) {
      const r = day * STOCKS + s;
      for (let k = 0; k < LATENT; k++) z[k] = g() + dayShift[k]!;
      const base = r * COLS;
      for (let j = 0; j < COLS; j++) {
        let v = loading[j]! * z[group[j]!]! + g() * 0.8;
        switch (shape[j]) {
          case 1:
            v = v * v * Math.sign(v); // heavy tails
            break;
          case 2:
            v = 1 / (1 + Math.exp(-v)); // bounded, like a rank/ratio feature
            break;
          case 3:
            v = Math.exp(v * 0.5); // skewed, positive (volume-like)
            break;
        }
        features[base + j] = v;
      }
      // Missing values: early dates of long windows, and scattered suspensions.
      if (day < 20) for (let j = 120; j < 130; j++) features[base + j] = NaN;
      if ((r * 2654435761) % 997 === 0) for (let j = 0; j < COLS; j += 3) features[base + j] = NaN;
      const signal = 0.06 * Math.tanh(z[0]!) + 0.04 * z[1]! * z[2]! * 0.5 + 0.04 * (z[3]! > 0.5 ? 1 : -0.3) - 0.03 * Math.abs(z[4]!);
      labels[r] = signal + market * 0.2 + g() * 0.5;
    }
  }
  return { features, labels, rows, cols: COLS };
}

function synthetic(scale: number): Synthetic {
  const trainDates = Math.max(10, Math.round(1700 * scale));
  const validDates = Math.max(5, Math.round(250 * scale));
  return { train: generate(trainDates, 7), valid: generate(validDates, 11), validDates };
}

/** Mean over dates of the Pearson correlation between prediction and label (Qlib's IC). */
export function meanDailyIC(pred: ArrayLike<number>, labels: Float32Array, dates: number): number {
  let total = 0;
  let counted = 0;
  for (let d = 0; d < dates; d++) {
    let sp = 0;
    let sl = 0;
    for (let i = d * STOCKS; i < (d + 1) * STOCKS; i++) {
      sp += pred[i]!;
      sl += labels[i]!;
    }
    const mp = sp / STOCKS;
    const ml = sl / STOCKS;
    let cov = 0;
    let vp = 0;
    let vl = 0;
    for (let i = d * STOCKS; i < (d + 1) * STOCKS; i++) {
      const a = pred[i]! - mp;
      const b = labels[i]! - ml;
      cov += a * b;
      vp += a * a;
      vl += b * b;
    }
    if (vp > 0 && vl > 0) {
      total += cov / Math.sqrt(vp * vl);
      counted++;
    }
  }
  return counted ? total / counted : NaN;
}

function mse(pred: ArrayLike<number>, labels: Float32Array): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (pred[i]! - labels[i]!) ** 2;
  return s / labels.length;
}

interface Row {
  name: string;
  fitSeconds: number;
  /** CPU time of the fit, all threads: steadier than wall time on a shared machine. */
  fitCpuSeconds: number;
  predictRowsPerSecond: number;
  validMse: number;
  ic: number;
}

async function runOne(name: string, model: Model, data: Synthetic): Promise<Row> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await model.fit(data.train);
  const fitSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const t1 = performance.now();
  const pred = model.predict(data.valid);
  const predictSeconds = (performance.now() - t1) / 1000;
  return { name, fitSeconds, fitCpuSeconds, predictRowsPerSecond: data.valid.rows / predictSeconds, validMse: mse(pred, data.valid.labels), ic: meanDailyIC(pred, data.valid.labels, data.validDates) };
}

function print(row: Row): void {
  console.log(
    `${row.name.padEnd(28)} fit ${row.fitSeconds.toFixed(2).padStart(7)} s (cpu ${row.fitCpuSeconds.toFixed(2).padStart(7)} s)   predict ${Math.round(row.predictRowsPerSecond).toLocaleString('en-US').padStart(11)} rows/s   valid MSE ${row.validMse.toFixed(6)}   mean daily IC ${row.ic.toFixed(4)}`,
  );
}

export function python(): string | null {
  for (const exe of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(exe, ['-c', 'import xgboost, numpy'], { stdio: 'ignore' });
    if (r.status === 0) return exe;
  }
  return null;
}

function runXgboost(data: Synthetic, rounds: number, round: number): Row | null {
  const exe = python();
  if (!exe) {
    console.log('XGBoost reference skipped: no python3 with xgboost and numpy (apt-get install python3-xgboost)');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'qonline-bench-'));
  try {
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(join(dir, 'train_x.f32'), bytes(data.train.features));
    writeFileSync(join(dir, 'train_y.f32'), bytes(data.train.labels));
    writeFileSync(join(dir, 'valid_x.f32'), bytes(data.valid.features));
    // Next to this module's bench/ folder (source or dist/bench.js), else under the working directory.
    const candidates = [join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'xgb_ref.py'), join(process.cwd(), 'bench', 'xgb_ref.py')];
    const script = candidates.find((p) => existsSync(p));
    if (!script) {
      console.log(`XGBoost reference skipped: bench/xgb_ref.py not found (looked at ${candidates.join(', ')})`);
      return null;
    }
    const args = [script, dir, data.train.rows, data.valid.rows, COLS, rounds, 6, 256, 0.1, 1, 1, MIN_DATA_IN_LEAF].map(String);
    const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`XGBoost reference failed: ${r.stderr.trim().split('\n').pop()}`);
      return null;
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; fit_seconds: number; fit_cpu_seconds: number; predict_seconds: number };
    const buf = readFileSync(join(dir, 'xgb_pred.f32'));
    const pred = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    return {
      name: `XGBoost ${out.version} hist, 1 thread #${round + 1}`,
      fitSeconds: out.fit_seconds,
      fitCpuSeconds: out.fit_cpu_seconds,
      predictRowsPerSecond: data.valid.rows / out.predict_seconds,
      validMse: mse(pred, data.valid.labels),
      ic: meanDailyIC(pred, data.valid.labels, data.validDates),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runModelBench(): Promise<void> {
  const scale = Number(process.env['QONLINE_BENCH_MODEL_SCALE'] ?? 1);
  const rounds = Number(process.env['QONLINE_BENCH_MODEL_ROUNDS'] ?? 200);
  const t0 = performance.now();
  const data = synthetic(scale);
  console.log(
    `synthetic Alpha158-like data: train ${data.train.rows.toLocaleString('en-US')} x ${COLS}, valid ${data.valid.rows.toLocaleString('en-US')} rows (${data.validDates} dates), generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const gbdtParams = { num_boost_round: rounds, num_leaves: 63, max_depth: 6, max_bin: 255, learning_rate: 0.1, lambda_l2: 1, min_data_in_leaf: MIN_DATA_IN_LEAF, early_stopping_rounds: 0, seed: 1 };
  const reps = Math.max(1, Number(process.env['QONLINE_BENCH_REPS'] ?? 3));
  const withXgb = process.env['QONLINE_BENCH_MODEL_XGB'] !== '0';
  const series = new Map<string, Row[]>([['gbdt1', []], ['xgb', []], ['gbdt2', []]]);
  // A B C A B C: GBDT 1 thread, XGBoost 1 thread, GBDT 2 threads, in turn.
  for (let round = 0; round < reps; round++) {
    for (const what of ['gbdt1', 'xgb', 'gbdt2']) {
      let row: Row | null;
      if (what === 'xgb') row = withXgb ? runXgboost(data, rounds, round) : null;
      else {
        const threads = what === 'gbdt1' ? 1 : 2;
        row = await runOne(`GBDT ${rounds} rounds, ${threads} thread${threads > 1 ? 's' : ''} #${round + 1}`, createModel('GBDT', { ...gbdtParams, num_threads: threads }), data);
      }
      if (!row) continue;
      print(row);
      series.get(what)!.push(row);
    }
  }
  const ridge = await runOne('Ridge (alpha 1)', createModel('Linear', { alpha: 1 }), data);
  print(ridge);
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const span = (xs: number[]): string => `${med(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  const g1 = series.get('gbdt1')!;
  const g2 = series.get('gbdt2')!;
  const xg = series.get('xgb')!;
  console.log(`summary over ${reps} rounds, median (min-max):`);
  for (const [name, rs] of [['GBDT 1 thread', g1], ['GBDT 2 threads', g2], ['XGBoost 1 thread', xg]] as const) {
    if (rs.length) console.log(`  ${name.padEnd(17)} fit ${span(rs.map((r) => r.fitSeconds))} s wall, ${span(rs.map((r) => r.fitCpuSeconds))} s CPU`);
  }
  console.log(`  GBDT 2 threads speedup over 1 (wall, per round): ${span(g1.map((r, i) => r.fitSeconds / g2[i]!.fitSeconds))}x`);
  if (xg.length === g1.length && xg.length) {
    console.log(
      `  GBDT 1 thread / XGBoost 1 thread (per round; below 1 = faster): wall ${span(g1.map((r, i) => r.fitSeconds / xg[i]!.fitSeconds))}, CPU ${span(g1.map((r, i) => r.fitCpuSeconds / xg[i]!.fitCpuSeconds))}; IC ${g1[0]!.ic.toFixed(4)} vs ${xg[0]!.ic.toFixed(4)}, valid MSE ${g1[0]!.validMse.toFixed(6)} vs ${xg[0]!.validMse.toFixed(6)}`,
    );
  }
  if (process.env['QONLINE_BENCH_MODEL_XGB'] !== '0') await runImportBench(generate, python());
}

/** `npm run bench -- model-import`: only the imported-model prediction case. */
export async function runModelImportBench(): Promise<void> {
  await runImportBench(generate, python());
}
