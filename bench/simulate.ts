import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';
import { cli, CLI, median, stats } from './routine.js';

/** A digest of every signal the run stored (`qonline signals --json`), to check that two builds give the same models. */
function signalsDigest(cfgFile: string, home: string, cliFile: string): string {
  const r = spawnSync(process.execPath, [cliFile, 'signals', '--config', cfgFile, '--home', home, '--start', '2000-01-01', '--end', '2100-01-01', '--json', '-q'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`qonline signals failed (${r.status}):\n${r.stderr}`);
  return createHash('sha1').update(r.stdout).digest('hex');
}

/**
 * A one-year daily simulation as a user runs it (`qonline run CONFIG`, one
 * new process, steps: simulate): GBDT on Alpha158, a sliding window rolled
 * every 20 days, 300 instruments (QONLINE_BENCH_SMALL=1: 60, for a quick run
 * on a loaded machine). Each run starts
 * from an empty home (features are computed once in the process, then every
 * task's frame comes from the memory cache).
 *
 * QONLINE_BENCH_GBDT_THREADS=N: the model's num_threads (default 1).
 * QONLINE_BENCH_ANCHOR=DIST: another build's dist/ runs interleaved (A B A
 * B) and the ratio is printed. QONLINE_BENCH_REPS runs each (default 3);
 * median and min-max of wall and CPU seconds (user + system: the machine is
 * shared, CPU is the steadier figure).
 */
function config(dataDir: string): string {
  const handler = {
    class: 'Alpha158',
    kwargs: { instruments: 'all', start_time: '2018-07-01', end_time: '2020-12-31', fit_start_time: '2019-01-01', fit_end_time: '2020-06-30' },
  };
  const segments = { train: ['2019-01-01', '2020-06-30'], valid: ['2020-07-01', '2020-09-30'], test: ['2020-10-01', '2020-12-31'] };
  const cfg = {
    version: 1,
    data: { class: 'QlibData', kwargs: { uri: dataDir, id: 'bench-sim' } },
    manager: { name: 'bench_simulate', begin_time: '2020-12-31' },
    strategies: [
      {
        class: 'RollingStrategy',
        kwargs: {
          name: 'gbdt158',
          rolling_gen: { class: 'RollingGen', kwargs: { step: 20, rtype: 'sliding', trunc_days: 2 } },
          task_template: {
            model: { class: 'LGBModel', kwargs: { learning_rate: 0.1, num_leaves: 31, num_boost_round: 50, num_threads: Number(process.env['QONLINE_BENCH_GBDT_THREADS'] ?? 1) } },
            dataset: { class: 'DatasetH', kwargs: { handler, segments } },
          },
        },
      },
    ],
    steps: [{ simulate: { end_time: '2021-12-31' } }],
  };
  return JSON.stringify(cfg, null, 2);
}

export async function runSimulateBench(): Promise<void> {
  const small = process.env['QONLINE_BENCH_SMALL'] === '1';
  const reps = Number(process.env['QONLINE_BENCH_REPS'] ?? 3);
  const instruments = small ? 60 : 300;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-simulate-'));
  try {
    const data = path.join(dir, 'data');
    await generateSyntheticMarket(data, { instruments, start: '2018-01-01', end: '2021-12-31', seed: 11 });
    const cfgFile = path.join(dir, 'simulate.yaml');
    writeFileSync(cfgFile, config(data));
    const builds: { name: string; cli?: string }[] = [{ name: 'this build' }];
    const anchorDist = process.env['QONLINE_BENCH_ANCHOR'];
    if (anchorDist) builds.unshift({ name: `anchor ${anchorDist}`, cli: path.join(path.resolve(anchorDist), 'cli.js') });
    type T = { wall: number; cpu: number; stdout: string; signals: string };
    const runs = builds.map(() => [] as T[]);
    for (let r = 0; r < reps; r++) {
      builds.forEach((b, i) => {
        const home = path.join(dir, 'home');
        rmSync(home, { recursive: true, force: true });
        mkdirSync(home);
        const run = b.cli ? cli(['run', cfgFile], home, b.cli) : cli(['run', cfgFile], home);
        runs[i]!.push({ ...run, signals: signalsDigest(cfgFile, home, b.cli ?? CLI) });
      });
    }
    // Every run trains the same tasks; the CLI's summary says how many.
    const models = /(\d+) recorder\(s\)/.exec(runs[runs.length - 1]![0]!.stdout)?.[1] ?? '?';
    console.log(`${instruments} instruments, GBDT (50 rounds, 31 leaves) on Alpha158, step 20, simulate 2021: ${models} models (one process, empty home)`);
    builds.forEach((b, i) => {
      const xs = runs[i]!;
      console.log(`${b.name}\n  simulate one year          wall ${stats(xs.map((x) => x.wall))}; cpu ${stats(xs.map((x) => x.cpu))} (goal: < 30 s)`);
    });
    if (builds.length === 2) {
      const cpu = (xs: T[]): number => median(xs.map((x) => x.cpu));
      console.log(`this build / anchor (cpu medians): ${(cpu(runs[1]!) / cpu(runs[0]!)).toFixed(2)}x`);
      const same = runs.flat().every((x) => x.signals === runs[0]![0]!.signals);
      console.log(`signals of every run identical to the anchor's (same models): ${same ? 'yes' : 'NO'}`);
    }
  } finally {
    if (process.env['QONLINE_BENCH_KEEP'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
