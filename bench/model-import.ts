/**
 * Imported-model prediction benchmark (part of `npm run bench -- model`, or
 * alone as `npm run bench -- model-import`): XGBoost trains a 200-tree
 * depth-6 model on Alpha158-shaped synthetic data (bench/xgb_predict_server.py),
 * qonline imports its JSON, and both predict the same 300 instruments x 250
 * days x 158 features matrix, interleaved (XGBoost, ours, XGBoost, ours, ...):
 * XGBoost timed inside Python around Booster.predict (1 thread and its
 * default 2), ours around model.predict on one thread. Prints median and
 * min-max of each and the ratio ours / XGBoost (below 1 = faster), and checks
 * the predictions agree.
 *
 * QONLINE_BENCH_IMPORT_REPEATS (default 5), QONLINE_BENCH_IMPORT_ROUNDS (200);
 * QONLINE_BENCH_IMPORT_DIR keeps the data and model in that folder and
 * reuses the model on later runs (no XGBoost training).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MatrixDataset } from '../core/index.js';
import { importModel } from '../plugins/models/index.js';

const STOCKS = 300;
const DAYS = 250;
const COLS = 158;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const ms = (xs: number[]) => `median ${(median(xs) * 1000).toFixed(1)} ms (min-max ${(Math.min(...xs) * 1000).toFixed(1)}-${(Math.max(...xs) * 1000).toFixed(1)})`;

export async function runImportBench(generate: (dates: number, seed: number) => MatrixDataset, pythonExe: string | null): Promise<void> {
  if (!pythonExe) {
    console.log('imported-model case skipped: no python3 with xgboost and numpy (apt-get install python3-xgboost)');
    return;
  }
  const candidates = [join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'xgb_predict_server.py'), join(process.cwd(), 'bench', 'xgb_predict_server.py')];
  const script = candidates.find((p) => existsSync(p));
  if (!script) {
    console.log(`imported-model case skipped: bench/xgb_predict_server.py not found (looked at ${candidates.join(', ')})`);
    return;
  }
  const repeats = Math.max(3, Number(process.env['QONLINE_BENCH_IMPORT_REPEATS'] ?? 5));
  const rounds = Number(process.env['QONLINE_BENCH_IMPORT_ROUNDS'] ?? 200);
  const train = generate(60, 7);
  const test = generate(DAYS, 11);
  const keep = process.env['QONLINE_BENCH_IMPORT_DIR'];
  if (keep) mkdirSync(keep, { recursive: true });
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'qonline-bench-import-'));
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'train_x.f32'), bytes(train.features));
  writeFileSync(join(dir, 'train_y.f32'), bytes(train.labels));
  writeFileSync(join(dir, 'x.f32'), bytes(test.features));
  const child = spawn(pythonExe, [script, dir, String(train.rows), String(test.rows), String(COLS), String(rounds), '6'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('xgb_predict_server.py ended early');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  try {
    const info = await next();
    const text = readFileSync(join(dir, 'model.json'), 'utf8');
    const t0 = performance.now();
    const model = importModel(text, 'xgboost-json');
    const importMs = performance.now() - t0;
    const input = { features: test.features, rows: test.rows, cols: COLS };
    const buf = readFileSync(join(dir, 'xgb_pred.f32'));
    const ref = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const ours0 = model.predict(input);
    let maxDiff = 0;
    let differing = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(ours0[i]! - ref[i]!);
      if (d > 0) differing++;
      if (d > maxDiff) maxDiff = d;
    }
    console.log(
      `imported XGBoost ${info['version']} model: ${model.numTrees} trees depth 6 (XGBoost fit or load ${(info['fit_seconds'] as number).toFixed(1)} s, trained on ${train.rows.toLocaleString('en-US')} rows), parsed in ${importMs.toFixed(0)} ms (${(text.length / 1e6).toFixed(1)} MB JSON)`,
    );
    console.log(`predictions on ${test.rows.toLocaleString('en-US')} x ${COLS}: ${differing} rows differ from XGBoost's (max abs difference ${maxDiff})`);
    const xgb1: number[] = [];
    const xgb2: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const [threads, into] of [
        [1, xgb1],
        [2, xgb2],
      ] as const) {
        child.stdin.write(`predict ${threads}\n`);
        into.push((await next())['seconds'] as number);
        const t = performance.now();
        model.predict(input);
        ours.push((performance.now() - t) / 1000);
      }
    }
    console.log(`XGBoost predict, 1 thread   ${ms(xgb1)}`);
    console.log(`XGBoost predict, 2 threads  ${ms(xgb2)}`);
    console.log(`qonline ImportedModel.predict, 1 thread  ${ms(ours)}   (${Math.round(test.rows / median(ours)).toLocaleString('en-US')} rows/s)`);
    console.log(
      `ratio ours / XGBoost (median; below 1 = faster): ${(median(ours) / median(xgb1)).toFixed(2)} vs 1 thread, ${(median(ours) / median(xgb2)).toFixed(2)} vs 2 threads`,
    );
  } finally {
    child.stdin.end();
    child.kill();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
