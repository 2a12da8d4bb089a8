import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';
import { cli, CLI, cliOf, median, stats } from './routine.js';

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
 * on a loaded machine). Two rows, the same models: TrainerR (each model
 * fitted and finished on its routine day; the first training's tasks on
 * threads) and DelayTrainerR (Qlib's: routines only record tasks, every
 * model is fitted at the end, on as many threads as cores are idle; the
 * threads used are printed). Each run starts
 * from an empty home (features are computed once in the process, then every
 * task's frame comes from the memory cache).
 *
 * QONLINE_BENCH_GBDT_THREADS=N: the model's num_threads (default: unset, the
 * model's default, automatic).
 * QONLINE_BENCH_TRAIN_THREADS=N: this build's trainers train on N threads
 * (default: automatic, one per idle core). QONLINE_BENCH_ANCHOR_TRAIN_THREADS=N:
 * the anchor's (default: the same as this build's; an anchor older than the option rejects it).
 * QONLINE_BENCH_TRAINERS=DelayTrainerR: only these trainers (comma-separated).
 * QONLINE_BENCH_ANCHOR=DIST: another build's dist/ runs interleaved (A B A
 * B) and the ratio is printed. QONLINE_BENCH_REPS runs each (default 3);
 * median and min-max of wall and CPU seconds (user + system: the machine is
 * shared, CPU is the steadier figure).
 */
/** The model's num_threads when QONLINE_BENCH_GBDT_THREADS sets it; else the model's default (automatic). */
function gbdtThreads(): { num_threads?: number } {
  const v = process.env['QONLINE_BENCH_GBDT_THREADS'];
  return v === undefined ? {} : { num_threads: Number(v) };
}

function config(dataDir: string, trainer: string, threads?: number): string {
  const handler = {
    class: 'Alpha158',
    kwargs: { instruments: 'all', start_time: '2018-07-01', end_time: '2020-12-31', fit_start_time: '2019-01-01', fit_end_time: '2020-06-30' },
  };
  const segments = { train: ['2019-01-01', '2020-06-30'], valid: ['2020-07-01', '2020-09-30'], test: ['2020-10-01', '2020-12-31'] };
  const cfg = {
    version: 1,
    data: { class: 'QlibData', kwargs: { uri: dataDir, id: 'bench-sim' } },
    manager: { name: 'bench_simulate', begin_time: '2020-12-31', trainer: threads === undefined ? { class: trainer } : { class: trainer, kwargs: { threads } } },
    strategies: [
      {
        class: 'RollingStrategy',
        kwargs: {
          name: 'gbdt158',
          rolling_gen: { class: 'RollingGen', kwargs: { step: 20, rtype: 'sliding', trunc_days: 2 } },
          task_template: {
            model: { class: 'LGBModel', kwargs: { learning_rate: 0.1, num_leaves: 31, num_boost_round: 50, ...gbdtThreads() } },
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
    const trainers = process.env['QONLINE_BENCH_TRAINERS']?.split(',') ?? ['TrainerR', 'DelayTrainerR'];
    const builds: { name: string; cli?: string }[] = [{ name: 'this build' }];
    const anchorDist = process.env['QONLINE_BENCH_ANCHOR'];
    if (anchorDist) builds.unshift({ name: `anchor ${anchorDist}`, cli: cliOf(path.resolve(anchorDist)) });
    const trainThreads = process.env['QONLINE_BENCH_TRAIN_THREADS'] ? Number(process.env['QONLINE_BENCH_TRAIN_THREADS']) : undefined;
    // The anchor's `threads` (default: this build's; an anchor older than the option rejects it).
    const anchorThreads = process.env['QONLINE_BENCH_ANCHOR_TRAIN_THREADS'] ? Number(process.env['QONLINE_BENCH_ANCHOR_TRAIN_THREADS']) : trainThreads;
    // cfg[trainer][build]
    const cfgFiles = trainers.map((t) =>
      builds.map((b, i) => {
        const f = path.join(dir, `simulate-${t}-${i}.yaml`);
        writeFileSync(f, config(data, t, b.cli ? anchorThreads : trainThreads));
        return f;
      }),
    );
    type T = { wall: number; cpu: number; sys: number; stdout: string; signals: string; threads: number };
    // runs[trainer][build]
    const runs = trainers.map(() => builds.map(() => [] as T[]));
    for (let r = 0; r < reps; r++) {
      trainers.forEach((_, t) => {
        builds.forEach((b, i) => {
          const home = path.join(dir, 'home');
          rmSync(home, { recursive: true, force: true });
          mkdirSync(home);
          const cfgFile = cfgFiles[t]![i]!;
          const run = b.cli ? cli(['run', cfgFile], home, b.cli) : cli(['run', cfgFile], home);
          // The trainer logs "training N task(s) on K threads" for every batch it trains on threads.
          const threads = Math.max(1, ...[...run.stderr.matchAll(/training \d+ task\(s\) on (\d+) threads/g)].map((m) => Number(m[1])));
          runs[t]![i]!.push({ ...run, threads, signals: signalsDigest(cfgFile, home, b.cli ?? CLI) });
        });
      });
    }
    // Every run trains the same tasks; the CLI's summary says how many.
    const models = /(\d+) recorder\(s\)/.exec(runs[0]![builds.length - 1]![0]!.stdout)?.[1] ?? '?';
    console.log(`${instruments} instruments, GBDT (50 rounds, 31 leaves) on Alpha158, step 20, simulate 2021: ${models} models (one process, empty home)`);
    const cpu = (xs: T[]): number => median(xs.map((x) => x.cpu));
    const wall = (xs: T[]): number => median(xs.map((x) => x.wall));
    trainers.forEach((t, ti) => {
      builds.forEach((b, i) => {
        const xs = runs[ti]![i]!;
        const threads = [...new Set(xs.map((x) => x.threads))].join('/');
        console.log(`${b.name}, ${t}\n  simulate one year          wall ${stats(xs.map((x) => x.wall))}; cpu ${stats(xs.map((x) => x.cpu))} (system ${stats(xs.map((x) => x.sys))}); training threads ${threads} (goal: < 30 s wall)`);
      });
      if (builds.length === 2) {
        const [a, me] = [runs[ti]![0]!, runs[ti]![1]!];
        console.log(`${t}: this build / anchor: wall ${(wall(me) / wall(a)).toFixed(2)}x, cpu ${(cpu(me) / cpu(a)).toFixed(2)}x (medians)`);
      }
    });
    // Both trainers and both builds train the same models: every run's signals are the same.
    const all = runs.flat(2);
    console.log(`signals of every run identical (both trainers${builds.length === 2 ? ', this build and the anchor' : ''}): ${all.every((x) => x.signals === all[0]!.signals) ? 'yes' : 'NO'}`);
  } finally {
    if (process.env['QONLINE_BENCH_KEEP'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
