import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alpha158Fields, DEFAULT_LABEL } from '../plugins/data-qlib/src/alpha/index.js';
import { toHandlerFrame } from '../plugins/data-qlib/src/handler/expr-handler.js';
import { createProcessor, fitInferLearn } from '../plugins/data-qlib/src/processors/index.js';
import { QlibDataProvider } from '../plugins/data-qlib/src/provider/qlib-provider.js';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';
import { BinaryDataReader } from '../plugins/data-qlib/src/storage/index.js';
import { compileExpression } from '../plugins/data-qlib/src/expr/index.js';

/**
 * Data benchmark: synthesise 300 instruments x ~2500 days, then compute all
 * of Alpha158 plus its label from the binary layout, single-threaded.
 * Prints seconds per phase, feature values per second, and the slowest
 * feature families.
 */
export async function runDataBench(): Promise<void> {
  const small = process.env['QONLINE_BENCH_SMALL'] === '1';
  const instruments = small ? 30 : 300;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-data-'));
  try {
    let t = performance.now();
    const manifest = await generateSyntheticMarket(path.join(dir, 'mkt'), { instruments, start: '2015-01-01', end: '2025-03-01', seed: 42 });
    const synthS = (performance.now() - t) / 1000;
    console.log(`synthesise ${instruments} instruments x ${manifest.calendar.days} days: ${synthS.toFixed(2)} s`);

    const uri = path.join(dir, 'mkt');
    t = performance.now();
    const reader = new BinaryDataReader(uri);
    const cal = reader.calendar();
    const codes = [...reader.instruments('all').keys()];
    let cells = 0;
    for (const code of codes) for (const f of ['open', 'high', 'low', 'close', 'volume', 'vwap']) cells += reader.feature(code, f)?.values.length ?? 0;
    const readS = (performance.now() - t) / 1000;
    console.log(`read 6 fields of ${codes.length} instruments: ${readS.toFixed(2)} s (${(cells / readS / 1e6).toFixed(1)} M values/s)`);

    const fs = alpha158Fields();
    const fields = [...fs.fields, ...DEFAULT_LABEL.fields];
    const names = [...fs.names, ...DEFAULT_LABEL.names];
    const provider = new QlibDataProvider({ id: 'bench', uri, cacheMiB: 4096 });
    t = performance.now();
    const frame = await provider.features({ instruments: 'all', fields, start: cal.first, end: cal.last });
    const featS = (performance.now() - t) / 1000;
    const values = frame.rows * fields.length;
    console.log(`Alpha158 + label (${fields.length} expressions) on ${frame.rows} rows: ${featS.toFixed(2)} s, ${(values / featS / 1e6).toFixed(2)} M feature-values/s`);

    t = performance.now();
    const again = await provider.features({ instruments: 'all', fields, start: cal.dates[cal.length - 20]!, end: cal.last });
    const cachedS = (performance.now() - t) / 1000;
    console.log(`same request for the last 20 days, from the feature cache: ${cachedS.toFixed(3)} s (${again.rows} rows)`);

    t = performance.now();
    const hf = toHandlerFrame(frame, fs.names, DEFAULT_LABEL.names);
    const fitStart = cal.first;
    const fitEnd = cal.dates[Math.floor(cal.length * 0.7)]!;
    const infer = [createProcessor('RobustZScoreNorm', { fields_group: 'feature', clip_outlier: true, fit_start_time: fitStart, fit_end_time: fitEnd }), createProcessor('Fillna', { fields_group: 'feature' })];
    const learn = [createProcessor('DropnaLabel'), createProcessor('CSRankNorm', { fields_group: 'label' })];
    const out = fitInferLearn(infer, learn, hf, fitStart, fitEnd);
    const procS = (performance.now() - t) / 1000;
    console.log(`processors (RobustZScoreNorm+Fillna / DropnaLabel+CSRankNorm label): ${procS.toFixed(2)} s (${out.learn.rows} learn rows)`);
    console.log(`total Alpha158 pipeline (read+features+processors): ${(readS + featS + procS).toFixed(2)} s  [target < 10 s]`);

    // Slowest feature families: time each expression alone over every instrument.
    const inputs = codes.map((code) => {
      const m = new Map<string, Float32Array>();
      let len = 0;
      for (const f of ['open', 'high', 'low', 'close', 'volume', 'vwap']) {
        const s = reader.feature(code, f);
        if (s) {
          m.set(f, s.values);
          len = Math.max(len, s.values.length);
        }
      }
      return { length: len, field: (n: string) => m.get(n) ?? new Float32Array(len).fill(NaN) };
    });
    const family = new Map<string, number>();
    fields.forEach((expr, k) => {
      const c = compileExpression(expr);
      const t0 = performance.now();
      for (const input of inputs) {
        // Each field series of an instrument has the same length in the synthetic market.
        c.evaluate(input);
      }
      const fam = names[k]!.replace(/\d+$/, '');
      family.set(fam, (family.get(fam) ?? 0) + (performance.now() - t0) / 1000);
    });
    const top = [...family.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    console.log('slowest feature families (each expression evaluated alone, all instruments):');
    for (const [f, s] of top) console.log(`  ${f.padEnd(8)} ${s.toFixed(2)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
