/**
 * XGBModel against XGBoost 1.x `hist` (one thread each) on the identical
 * Alpha158-shaped matrix of bench/model.ts, interleaved (ours, XGBoost, ours,
 * XGBoost, ...): fit wall and CPU seconds (median, min-max), their ratio, and
 * how many valid predictions equal XGBoost's exactly (they should all: same
 * cuts, trees and float32 arithmetic).
 *
 * QONLINE_BENCH_XGB_SCALE (default 0.1: 170 train dates x 300 stocks x 158),
 * QONLINE_BENCH_XGB_ROUNDS (default 100), QONLINE_BENCH_XGB_REPEATS (default 3);
 * QONLINE_BENCH_XGB_THREADS=N also times XGBModel with nthread N in the
 * same interleaving and checks its predictions equal the one-thread ones.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatrixDataset } from '../core/index.js';
import { createModel } from '../plugins/models/index.js';
import { generate, python } from './model.js';

interface Timing {
  wall: number;
  cpu: number;
}

function summary(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[Math.floor(s.length / 2)]!.toFixed(2)} s (${s[0]!.toFixed(2)}-${s[s.length - 1]!.toFixed(2)})`;
}

export async function runXgbModelBench(): Promise<void> {
  const scale = Number(process.env['QONLINE_BENCH_XGB_SCALE'] ?? 0.1);
  const rounds = Number(process.env['QONLINE_BENCH_XGB_ROUNDS'] ?? 100);
  const repeats = Number(process.env['QONLINE_BENCH_XGB_REPEATS'] ?? 3);
  const depth = 6;
  const eta = 0.1;
  const train = generate(Math.max(10, Math.round(1700 * scale)), 7);
  const valid = generate(Math.max(5, Math.round(250 * scale)), 11);
  console.log(`XGBModel vs XGBoost hist, 1 thread, ${rounds} rounds, max_depth ${depth}, eta ${eta}: train ${train.rows.toLocaleString('en-US')} x ${train.cols}, valid ${valid.rows.toLocaleString('en-US')}`);
  const exe = python();
  const candidates = [join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'xgbmodel_ref.py'), join(process.cwd(), 'bench', 'xgbmodel_ref.py')];
  const script = candidates.find((p) => existsSync(p));
  if (!exe || !script) console.log('XGBoost reference skipped: no python3 with xgboost and numpy, or bench/xgbmodel_ref.py not found');
  const dir = mkdtempSync(join(tmpdir(), 'qonline-bench-xgb-'));
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'train_x.f32'), bytes(train.features));
  writeFileSync(join(dir, 'train_y.f32'), bytes(train.labels));
  writeFileSync(join(dir, 'valid_x.f32'), bytes(valid.features));
  const threads = Number(process.env['QONLINE_BENCH_XGB_THREADS'] ?? 1);
  const oursThreaded: Timing[] = [];
  let threadedEqual = true;
  const ours: Timing[] = [];
  const theirs: Timing[] = [];
  let ourPred: Float32Array | null = null;
  let refPred: Float32Array | null = null;
  try {
    for (let i = 0; i < repeats; i++) {
      ourPred = await fitOurs(train, valid, rounds, depth, eta, ours, 1);
      if (threads > 1) {
        const p = await fitOurs(train, valid, rounds, depth, eta, oursThreaded, threads);
        threadedEqual &&= p.every((v, k) => v === ourPred![k]);
      }
      if (exe && script) {
        const r = spawnSync(exe, [script, dir, train.rows, valid.rows, train.cols, rounds, depth, eta].map(String), { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (r.status !== 0) {
          console.log(`XGBoost reference failed: ${r.stderr.trim().split('\n').pop()}`);
          break;
        }
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; fit_seconds: number; fit_cpu_seconds: number };
        theirs.push({ wall: out.fit_seconds, cpu: out.fit_cpu_seconds });
        const buf = readFileSync(join(dir, 'xgb_pred.f32'));
        refPred = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`XGBModel             fit wall ${summary(ours.map((t) => t.wall))}, cpu ${summary(ours.map((t) => t.cpu))}`);
  if (oursThreaded.length) {
    console.log(`XGBModel nthread ${threads}    fit wall ${summary(oursThreaded.map((t) => t.wall))}, cpu ${summary(oursThreaded.map((t) => t.cpu))}; predictions ${threadedEqual ? 'equal' : 'DIFFER from'} one thread's`);
  }
  if (theirs.length) {
    console.log(`XGBoost hist 1 thread fit wall ${summary(theirs.map((t) => t.wall))}, cpu ${summary(theirs.map((t) => t.cpu))}`);
    const ratios = ours.slice(0, theirs.length).map((t, i) => t.cpu / theirs[i]!.cpu);
    console.log(`ratio XGBModel / XGBoost (cpu, pairwise): median ${[...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!.toFixed(2)}, ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`);
    if (ourPred && refPred) {
      let equal = 0;
      let maxDiff = 0;
      for (let i = 0; i < refPred.length; i++) {
        if (ourPred[i] === refPred[i]) equal++;
        maxDiff = Math.max(maxDiff, Math.abs(ourPred[i]! - refPred[i]!));
      }
      console.log(`valid predictions equal to XGBoost's: ${equal.toLocaleString('en-US')} of ${refPred.length.toLocaleString('en-US')} (max |difference| ${maxDiff})`);
    }
  }
}

async function fitOurs(train: MatrixDataset, valid: MatrixDataset, rounds: number, depth: number, eta: number, out: Timing[], nthread: number): Promise<Float32Array> {
  const model = createModel('XGBModel', { tree_method: 'hist', max_depth: depth, eta, num_boost_round: rounds, early_stopping_rounds: 0, nthread });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await model.fit(train);
  const cpu = process.cpuUsage(c0);
  out.push({ wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 });
  return model.predict(valid);
}
