import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticMarket } from '../plugins/data-qlib/src/synth/index.js';

/**
 * The daily routine as a user runs it (`qonline run CONFIG --step routine`,
 * a new process each time, so config load, schema compile and store open are
 * included): 3 online models (ridge on 10 features, GBDT on Alpha158, ridge
 * on Alpha158) on 300 instruments, features already in the disk cache.
 *
 * The market is generated once to day D+5; copies truncated to D, D+1 and
 * D+5 are swapped in under one data folder. The home folder after a routine
 * at D (models trained, cache warm) is kept and restored before each timed
 * run, so each run does the same work:
 *   - "1 day": data D+1, one routine;
 *   - "5 days": data D+5, one routine;
 *   - "startup": `qonline validate CONFIG` (config load + schema compile + plugin registry).
 * Runs are interleaved (1 day, 5 days, 1 day, ...); median and min-max of
 * QONLINE_BENCH_REPS (default 3). QONLINE_BENCH_SMALL=1: 60 instruments.
 * QONLINE_BENCH_ANCHOR=DIST: another build's dist/ runs interleaved (A B A B)
 * and the ratios are printed. Wall time on a shared machine is noisy: CPU
 * seconds (user + system of the process) are printed too.
 */
const root = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.join(root, 'cli.js');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function stats(xs: number[], unit = 's', digits = 2): string {
  return `${median(xs).toFixed(digits)} ${unit} (min ${Math.min(...xs).toFixed(digits)}, max ${Math.max(...xs).toFixed(digits)}, n=${xs.length})`;
}

/** A copy of a Qlib data folder keeping only its first `days` calendar days. */
function truncateData(src: string, dst: string, days: number): string {
  rmSync(dst, { recursive: true, force: true });
  cpSync(src, dst, { recursive: true });
  const calFile = path.join(dst, 'calendars', 'day.txt');
  const cal = readFileSync(calFile, 'utf8').split('\n').filter(Boolean);
  const kept = cal.slice(0, days);
  const last = kept[kept.length - 1]!;
  writeFileSync(calFile, kept.join('\n') + '\n');
  for (const f of readdirSync(path.join(dst, 'instruments'))) {
    const file = path.join(dst, 'instruments', f);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const out: string[] = [];
    for (const line of lines) {
      const [code, a, b] = line.split('\t') as [string, string, string];
      if (a > last) continue;
      out.push(`${code}\t${a}\t${b > last ? last : b}`);
    }
    writeFileSync(file, out.join('\n') + '\n');
  }
  for (const inst of readdirSync(path.join(dst, 'features'))) {
    const dir = path.join(dst, 'features', inst);
    for (const f of readdirSync(dir)) {
      const file = path.join(dir, f);
      const buf = readFileSync(file);
      const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const start = all[0]!;
      const n = Math.max(0, Math.min(all.length - 1, days - start));
      if (n === 0) rmSync(file);
      else writeFileSync(file, buf.subarray(0, (n + 1) * 4));
    }
  }
  return last;
}

const FEATURES10 = {
  RET1: '$close/Ref($close, 1) - 1',
  RET5: '$close/Ref($close, 5) - 1',
  RET20: '$close/Ref($close, 20) - 1',
  MA5: 'Mean($close, 5)/$close',
  MA20: 'Mean($close, 20)/$close',
  STD20: 'Std($close/Ref($close, 1) - 1, 20)',
  VMA5: 'Mean($volume, 5)/($volume + 1e-12)',
  HL: '($high - $low)/$close',
  MAX20: 'Max($high, 20)/$close',
  MIN20: 'Min($low, 20)/$close',
};

function config(dataDir: string, begin: string): string {
  const segments = { train: ['2019-07-01', '2020-12-31'], valid: ['2021-01-01', '2021-06-30'], test: ['2021-07-01', begin] };
  const handlerTimes = { instruments: 'csi300', start_time: '2019-01-01', end_time: begin, fit_start_time: '2019-07-01', fit_end_time: '2020-12-31' };
  // One rolling window each (step longer than the test span): the timed routines update predictions and signals only.
  const rolling = { class: 'RollingGen', kwargs: { step: 250, rtype: 'sliding', trunc_days: 2 } };
  const alpha158 = { class: 'DatasetH', kwargs: { handler: { class: 'Alpha158', kwargs: handlerTimes }, segments } };
  const cfg = {
    version: 1,
    data: { class: 'QlibData', kwargs: { uri: dataDir, id: 'bench' } },
    manager: { name: 'bench_routine', begin_time: begin },
    strategies: [
      {
        class: 'RollingStrategy',
        kwargs: {
          name: 'ridge10',
          rolling_gen: rolling,
          task_template: {
            model: { class: 'Linear', kwargs: { alpha: 1.0 } },
            dataset: {
              class: 'DatasetH',
              kwargs: {
                handler: {
                  class: 'ExprHandler',
                  kwargs: {
                    ...handlerTimes,
                    features: FEATURES10,
                    label: { LABEL0: 'Ref($close, -2)/Ref($close, -1) - 1' },
                    infer_processors: [{ class: 'RobustZScoreNorm', kwargs: { fields_group: 'feature', clip_outlier: true } }, { class: 'Fillna', kwargs: { fields_group: 'feature' } }],
                    learn_processors: ['DropnaLabel', { class: 'CSZScoreNorm', kwargs: { fields_group: 'label' } }],
                  },
                },
                segments,
              },
            },
          },
        },
      },
      {
        class: 'RollingStrategy',
        kwargs: {
          name: 'gbdt158',
          rolling_gen: rolling,
          task_template: { model: { class: 'LGBModel', kwargs: { learning_rate: 0.1, num_leaves: 31, num_boost_round: 50, num_threads: 1 } }, dataset: alpha158 },
        },
      },
      {
        class: 'RollingStrategy',
        kwargs: { name: 'ridge158', rolling_gen: rolling, task_template: { model: { class: 'Linear', kwargs: { alpha: 10.0 } }, dataset: alpha158 } },
      },
    ],
    steps: ['first_train', 'routine'],
  };
  return JSON.stringify(cfg, null, 2);
}

/** Wall and CPU seconds (user + system, from /usr/bin/time when present) of one CLI process. */
export function cli(args: string[], home: string, cliFile = CLI): { wall: number; cpu: number; stdout: string } {
  const timeFile = path.join(home, '..', 'time.txt');
  const useTime = existsSync('/usr/bin/time');
  const cmd = useTime ? '/usr/bin/time' : process.execPath;
  const argv = useTime ? ['-f', '%U %S', '-o', timeFile, process.execPath, cliFile, ...args, '--home', home] : [cliFile, ...args, '--home', home];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`qonline ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  let cpu = NaN;
  if (useTime) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) as [number, number];
    cpu = u + s;
  }
  return { wall, cpu, stdout: r.stdout };
}

export async function runRoutineBench(): Promise<void> {
  const small = process.env['QONLINE_BENCH_SMALL'] === '1';
  const reps = Number(process.env['QONLINE_BENCH_REPS'] ?? 3);
  const instruments = small ? 60 : 300;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-bench-routine-'));
  try {
    const full = path.join(dir, 'full');
    const m = await generateSyntheticMarket(full, { instruments, start: '2018-01-01', end: '2022-01-10', seed: 11 });
    const days = m.calendar.days;
    const dD = path.join(dir, 'd0');
    const d1 = path.join(dir, 'd1');
    const d5 = path.join(dir, 'd5');
    const begin = truncateData(full, dD, days - 5);
    truncateData(full, d1, days - 4);
    truncateData(full, d5, days);
    const link = path.join(dir, 'data');
    const use = (target: string): void => {
      rmSync(link, { force: true });
      symlinkSync(target, link);
    };
    const cfgFile = path.join(dir, 'routine.yaml');
    writeFileSync(cfgFile, config(link, begin));
    const base = path.join(dir, 'home-base');
    const home = path.join(dir, 'home');
    mkdirSync(base);
    use(dD);
    const prep = cli(['run', cfgFile], base);
    console.log(`${instruments} instruments, ${days - 5} days to D=${begin}; first_train + routine at D: ${prep.wall.toFixed(1)} s (not timed below)`);
    // QONLINE_BENCH_ANCHOR=<another build's dist/>: its CLI runs interleaved with this one (A B A B). Its
    // home is prepared by itself the same way (first_train + routine at D), so its feature cache is warm
    // in its own format.
    const anchorDist = process.env['QONLINE_BENCH_ANCHOR'];
    const builds: { name: string; cli: string; base: string }[] = [{ name: 'this build', cli: CLI, base }];
    if (anchorDist) {
      const anchorBase = path.join(dir, 'home-anchor');
      mkdirSync(anchorBase);
      const acli = path.join(path.resolve(anchorDist), 'cli.js');
      const aprep = cli(['run', cfgFile], anchorBase, acli);
      console.log(`anchor: first_train + routine at D: ${aprep.wall.toFixed(1)} s`);
      builds.unshift({ name: `anchor ${anchorDist}`, cli: acli, base: anchorBase });
    }
    type T = { wall: number; cpu: number };
    const runs = builds.map(() => ({ startup: [] as T[], day1: [] as T[], day5: [] as T[] }));
    for (let r = 0; r < reps; r++) {
      for (const [key, data] of [['startup', dD], ['day1', d1], ['day5', d5]] as const) {
        builds.forEach((b, i) => {
          if (key === 'startup') {
            runs[i]!.startup.push(cli(['validate', cfgFile], b.base, b.cli));
            return;
          }
          rmSync(home, { recursive: true, force: true });
          cpSync(b.base, home, { recursive: true });
          use(data);
          runs[i]![key].push(cli(['run', cfgFile, '--step', 'routine'], home, b.cli));
        });
      }
    }
    const show = (label: string, xs: T[]): void => console.log(`  ${label.padEnd(26)} wall ${stats(xs.map((x) => x.wall))}; cpu ${stats(xs.map((x) => x.cpu))}`);
    const cpu = (xs: T[]): number => median(xs.map((x) => x.cpu));
    builds.forEach((b, i) => {
      const r = runs[i]!;
      console.log(b.name);
      show('startup (qonline validate)', r.startup);
      show('routine, 1 new day', r.day1);
      show('routine, 5 new days', r.day5);
      console.log(`  ratio 5 days / 1 day (cpu): ${(cpu(r.day5) / cpu(r.day1)).toFixed(2)}x; startup share of a 1-day routine: ${((100 * cpu(r.startup)) / cpu(r.day1)).toFixed(0)}% (goal: 1 day < 0.5 s)`);
    });
    if (builds.length === 2) {
      for (const key of ['startup', 'day1', 'day5'] as const) {
        console.log(`this build / anchor, ${key} (cpu medians): ${(cpu(runs[1]![key]) / cpu(runs[0]![key])).toFixed(2)}x`);
      }
    }
  } finally {
    // QONLINE_BENCH_KEEP=1 keeps the folder (data, config, homes) for profiling.
    if (process.env['QONLINE_BENCH_KEEP'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
