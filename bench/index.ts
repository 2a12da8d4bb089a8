import 'reflect-metadata';
import { runBacktestBench } from './backtest.js';
import { runConfigBench } from './config.js';
import { runDataBench } from './data.js';
import { runExprBench } from './expr.js';
import { runKernelsBench } from './kernels.js';
import { runModelBench, runModelImportBench } from './model.js';
import { runPoolBench } from './pool.js';
import { runRoutineBench } from './routine.js';
import { runSimulateBench } from './simulate.js';
import { runServeBench, serveBenchChild, SERVE_BENCH_CHILD_ENV } from './serve.js';
import { runXgbModelBench } from './xgbmodel.js';

/**
 * `npm run bench [name...]`: runs the named benchmarks (all by default) and
 * prints their figures. Each benchmark module registers itself here.
 */
type Bench = { name: string; run: () => Promise<void> };

const benches: Bench[] = [
  { name: 'config', run: runConfigBench },
  { name: 'data', run: runDataBench },
  { name: 'expr', run: runExprBench },
  { name: 'kernels', run: runKernelsBench },
  { name: 'model', run: runModelBench },
  { name: 'model-import', run: runModelImportBench },
  { name: 'xgbmodel', run: runXgbModelBench },
  { name: 'pool', run: runPoolBench },
  { name: 'routine', run: runRoutineBench },
  { name: 'simulate', run: runSimulateBench },
  { name: 'backtest', run: runBacktestBench },
  { name: 'serve', run: runServeBench },
];

async function main(): Promise<void> {
  // The serve benchmark's server process (see bench/serve.ts).
  if (process.env[SERVE_BENCH_CHILD_ENV]) return serveBenchChild();
  const wanted = process.argv.slice(2);
  const selected = wanted.length ? benches.filter((b) => wanted.includes(b.name)) : benches;
  if (selected.length === 0) {
    console.error(`no benchmark named ${wanted.join(', ')}; known: ${benches.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  for (const b of selected) {
    console.log(`\n=== bench: ${b.name} ===`);
    await b.run();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
