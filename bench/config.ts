import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareConfig } from '../core/engine/pipeline.js';
import { SystemClock } from '../core/kernel/clock.js';
import { SilentLogger } from '../core/kernel/logger.js';
import { NullProgress } from '../core/kernel/progress.js';
import { isQonlineError } from '../core/errors/index.js';
import { builtinPluginEntries } from '../plugins/builtins.js';

/**
 * `npm run bench -- config`: time of `qonline validate`'s work (parse, schema,
 * component checks, every expression parsed and checked against the data)
 * for a config grown to 1x..4x its number of keys. Linear growth keeps the
 * time per key flat; the 2 MiB size limit refuses a 200,000-key file at once.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASE_FEATURES = 10_000;

function configWith(features: number): string {
  const base = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');
  const lines: string[] = [];
  for (let i = 0; i < features; i++) lines.push(`                  F${i}: Mean($close, ${1 + (i % 20)})/$close`);
  return base.replace('                  MA10:', lines.join('\n') + '\n                  MA10:');
}

async function timeValidate(file: string): Promise<{ ms: number; error?: string }> {
  const envx = { builtins: builtinPluginEntries(), logger: new SilentLogger(), progress: new NullProgress(), clock: new SystemClock(), env: {}, home: path.join(path.dirname(file), 'home') };
  const t0 = performance.now();
  try {
    await prepareConfig(file, envx);
    return { ms: performance.now() - t0 };
  } catch (e) {
    if (!isQonlineError(e)) throw e;
    return { ms: performance.now() - t0, error: `${e.code}: ${e.message}` };
  }
}

export async function runConfigBench(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-config-'));
  try {
    // Warm-up (JIT, schema compilation).
    writeFileSync(path.join(dir, 'warm.yaml'), configWith(1000));
    await timeValidate(path.join(dir, 'warm.yaml'));
    const rows: { k: number; keys: number; bytes: number; ms: number }[] = [];
    for (const k of [1, 2, 3, 4]) {
      const text = configWith(BASE_FEATURES * k);
      const file = path.join(dir, `x${k}.yaml`);
      writeFileSync(file, text);
      let ms = Infinity;
      for (let rep = 0; rep < 2; rep++) {
        const r = await timeValidate(file);
        if (r.error) throw new Error(`bench config x${k} refused: ${r.error}`);
        ms = Math.min(ms, r.ms);
      }
      rows.push({ k, keys: BASE_FEATURES * k, bytes: Buffer.byteLength(text), ms });
    }
    console.log('input  features  size KiB  validate ms  ms per 1000 keys  growth vs 1x');
    for (const r of rows) {
      console.log(
        `${(r.k + 'x').padEnd(6)} ${String(r.keys).padStart(8)}  ${(r.bytes / 1024).toFixed(0).padStart(8)}  ${r.ms.toFixed(0).padStart(11)}  ${((r.ms / r.keys) * 1000).toFixed(1).padStart(16)}  ${(r.ms / rows[0]!.ms).toFixed(2).padStart(12)}`,
      );
    }
    const big = path.join(dir, 'big.yaml');
    writeFileSync(big, configWith(200_000));
    const r = await timeValidate(big);
    console.log(`200,000 features (${(Buffer.byteLength(readFileSync(big)) / 1024 / 1024).toFixed(1)} MiB): ${r.error ?? 'accepted'} in ${r.ms.toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
