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
 * The market is generated once to day D+20; copies truncated to D, D+1,
 * D+5 and D+20 are swapped in under one data folder. The home folder after a
 * routine at D (models trained, cache warm) is kept and restored before each
 * timed run, so each run does the same work:
 *   - "1 day": data D+1, one routine;
 *   - "5 days" / "20 days": data D+5 / D+20, one routine (a late catch-up);
 *   - "startup": `qonline validate CONFIG` (config load + schema compile + plugin registry).
 * Runs are interleaved (1 day, 5 days, 20 days, 1 day, ...); median and
 * min-max of QONLINE_BENCH_REPS (default 3). QONLINE_BENCH_SMALL=1: 60
 * instruments. QONLINE_BENCH_ANCHOR=DIST: another build's dist/ runs
 * interleaved (A B A B) and the ratios are printed. Wall time on a shared
 * machine is noisy: CPU seconds (user + system of the process) are printed
 * too. Then one more 1-day routine per build runs under `--cpu-prof` and its
 * samples are split by phase (the outermost known function on the stack):
 * where a routine's time goes.
 */
const root = path.dirname(fileURLToPath(import.meta.url));
export const CLI = cliOf(root);

/** The `qonline` command of a build's dist/: its bin, dist/cli.cjs, or dist/cli.js in builds without one. */
export function cliOf(dist: string): string {
  const cjs = path.join(dist, 'cli.cjs');
  return existsSync(cjs) ? cjs : path.join(dist, 'cli.js');
}

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
export function cli(args: string[], home: string, cliFile = CLI, nodeFlags: string[] = []): { wall: number; cpu: number; sys: number; stdout: string; stderr: string } {
  return timedNode([...nodeFlags, cliFile, ...args, '--home', home], path.join(home, '..', 'time.txt'), `qonline ${args.join(' ')}`);
}

/** Wall and CPU seconds (`sys`: the system part) of one `node ARGV` process, and what it printed. */
function timedNode(argv: string[], timeFile: string, what: string): { wall: number; cpu: number; sys: number; stdout: string; stderr: string } {
  const useTime = existsSync('/usr/bin/time');
  const cmd = useTime ? '/usr/bin/time' : process.execPath;
  const full = useTime ? ['-f', '%U %S', '-o', timeFile, process.execPath, ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd, full, { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  let cpu = NaN;
  let sys = NaN;
  if (useTime) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number) as [number, number];
    cpu = u + s;
    sys = s;
  }
  return { wall, cpu, sys, stdout: r.stdout, stderr: r.stderr };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Phases of a routine, each named by the functions that start it (the outermost one on a sample's stack wins). */
const PHASES: [string, RegExp][] = [
  ['config load + check + schema validation', /^(loadConfigFile|prepareConfig|checkConfig|validateConfig|isUserConfig|_Kernel|SchemaValidator)$/],
  ['store open (+ migrations)', /^(openSqliteStore|migrateSqlStore|openPostgresStore)$/],
  ['summary printed by run (IC from the per-date cache)', /^(summarize|formatSummary|cachedFigures|fullFigures|currentDailyIc|recorderDays|signalDays)$/],
  ['processors', /^(applyProcessors|fitInferLearn|loadProcessorStates)$/],
  ['predict', /^predict$/],
  ['signals', /^(computeSignals|signalsFrom|recomputeSignals)$/],
  ['store writes', /^(writeScores|replaceSignals|writeSignals)$/],
  ['data: calendar, instruments, version', /^(calendar|instruments|version|computeDataVersion)$/],
  ['features: assembly + other', /^(featureRows|features|evaluateCodes|evaluateMany|evaluateAt|prepare|extendAll)$/],
];
/** Inside a feature request, the innermost of these names the work. */
const FEATURE_PHASES: [string, RegExp][] = [
  ['features: raw data reads', /^(readFeatureSync|series)$/],
  ['features: cache index + value reads', /^(open|readIndex|scan|values|read)$/],
  ['features: cache appends / rewrites', /^(flush|append|rewrite)$/],
  ['features: input hashes', /^(hashOf|inputHash)$/],
  ['features: expression evaluation', /^(extend|evaluateAll|evaluatePlans|evaluateSegments)$/],
];

/** Microseconds per phase of a CPU profile: module import, GC and the V8 runtime are phases of their own. */
export function phaseBreakdown(p: CpuProfile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const phaseOf = new Map<number, string>();
  const visit = (id: number, inherited: string | null): void => {
    const f = byId.get(id)!.callFrame;
    let phase = inherited;
    if (f.functionName === '(garbage collector)') phase = 'garbage collection';
    else if (f.functionName === '(program)') phase = 'V8 runtime (program)';
    else if (f.functionName === '(idle)') phase = 'idle (waiting on I/O)';
    else if (!phase) {
      if (f.url.startsWith('node:internal/modules') || (f.lineNumber === 0 && f.functionName === '' && f.url !== '')) phase = 'module import (plugins, dependencies)';
      // After an await the stack starts afresh: a feature sub-phase may be the outermost frame.
      else phase = (PHASES.find(([, re]) => re.test(f.functionName)) ?? FEATURE_PHASES.find(([, re]) => re.test(f.functionName)))?.[0] ?? null;
    } else if (phase.startsWith('features')) {
      phase = FEATURE_PHASES.find(([, re]) => re.test(f.functionName))?.[0] ?? phase;
    }
    phaseOf.set(id, phase ?? 'other');
    for (const c of byId.get(id)!.children ?? []) visit(c, phase);
  };
  visit(p.nodes[0]!.id, null);
  const out = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const ph = phaseOf.get(id) ?? 'other';
    out.set(ph, (out.get(ph) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  return out;
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
    const d20 = path.join(dir, 'd20');
    const begin = truncateData(full, dD, days - 20);
    truncateData(full, d1, days - 19);
    truncateData(full, d5, days - 15);
    truncateData(full, d20, days);
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
    console.log(`${instruments} instruments, ${days - 20} days to D=${begin}; first_train + routine at D: ${prep.wall.toFixed(1)} s (not timed below)`);
    // QONLINE_BENCH_ANCHOR=<another build's dist/>: its CLI runs interleaved with this one (A B A B). Its
    // home is prepared by itself the same way (first_train + routine at D), so its feature cache is warm
    // in its own format.
    const anchorDist = process.env['QONLINE_BENCH_ANCHOR'];
    const builds: { name: string; cli: string; base: string }[] = [{ name: 'this build', cli: CLI, base }];
    if (anchorDist) {
      const anchorBase = path.join(dir, 'home-anchor');
      mkdirSync(anchorBase);
      const acli = cliOf(path.resolve(anchorDist));
      const aprep = cli(['run', cfgFile], anchorBase, acli);
      console.log(`anchor: first_train + routine at D: ${aprep.wall.toFixed(1)} s`);
      builds.unshift({ name: `anchor ${anchorDist}`, cli: acli, base: anchorBase });
    }
    type T = { wall: number; cpu: number };
    // A process that does nothing: the floor under every CLI call.
    const nodeStart = timedNode(['-e', '0'], path.join(dir, 'time.txt'), 'node -e 0');
    const runs = builds.map(() => ({ startup: [] as T[], day1: [] as T[], day5: [] as T[], day20: [] as T[] }));
    for (let r = 0; r < reps; r++) {
      for (const [key, data] of [['startup', dD], ['day1', d1], ['day5', d5], ['day20', d20]] as const) {
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
      show('routine, 20 new days', r.day20);
      const node = nodeStart.cpu;
      console.log(
        `  cpu above 1 day: +5 days ${(cpu(r.day5) - cpu(r.day1)).toFixed(2)} s, +20 days ${(cpu(r.day20) - cpu(r.day1)).toFixed(2)} s; startup share of a 1-day routine: ${((100 * cpu(r.startup)) / cpu(r.day1)).toFixed(0)}% (node itself: ${node.toFixed(2)} s) (goal: 1 day < 0.5 s)`,
      );
    });
    if (builds.length === 2) {
      for (const key of ['startup', 'day1', 'day5', 'day20'] as const) {
        console.log(`this build / anchor, ${key} (cpu medians): ${(cpu(runs[1]![key]) / cpu(runs[0]![key])).toFixed(2)}x`);
      }
    }
    // Where a 1-day routine's time goes: profiled runs per build (QONLINE_BENCH_REPS, interleaved), median per phase.
    const profiles = builds.map(() => [] as Map<string, number>[]);
    for (let r = 0; r < reps; r++) {
      builds.forEach((b, i) => {
        rmSync(home, { recursive: true, force: true });
        cpSync(b.base, home, { recursive: true });
        use(d1);
        const profDir = path.join(dir, 'prof');
        rmSync(profDir, { recursive: true, force: true });
        cli(['run', cfgFile, '--step', 'routine'], home, b.cli, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '250']);
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        if (file) profiles[i]!.push(phaseBreakdown(JSON.parse(readFileSync(path.join(profDir, file), 'utf8')) as CpuProfile));
      });
    }
    builds.forEach((b, i) => {
      const runs = profiles[i]!;
      if (!runs.length) return;
      const phases = new Map<string, number>();
      for (const name of new Set(runs.flatMap((m) => [...m.keys()]))) phases.set(name, median(runs.map((m) => m.get(name) ?? 0)));
      const busy = [...phases].filter(([k]) => !k.startsWith('idle')).reduce((x, [, y]) => x + y, 0);
      console.log(`${b.name}: a 1-day routine by phase (CPU profiles, median of ${runs.length}; ${(busy / 1000).toFixed(0)} ms busy: sampled wall time, which a loaded machine inflates)`);
      for (const [phase, us] of [...phases].sort((x, y) => y[1] - x[1])) {
        console.log(`  ${phase.padEnd(44)} ${(us / 1000).toFixed(0).padStart(6)} ms ${phase.startsWith('idle') ? '' : `${((100 * us) / busy).toFixed(0).padStart(3)}%`}`);
      }
    });
  } finally {
    // QONLINE_BENCH_KEEP=1 keeps the folder (data, config, homes) for profiling.
    if (process.env['QONLINE_BENCH_KEEP'] === '1') console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
