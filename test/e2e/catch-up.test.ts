import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { growTo } from '../helpers/grow-data.js';
import { sqliteAll } from '../helpers/sqlite.js';

function strategy(name: string, step: number): string {
  return `
  - class: RollingStrategy
    kwargs:
      name: ${name}
      rolling_gen: {class: RollingGen, kwargs: {step: ${step}, rtype: expanding, trunc_days: 2}}
      task_template:
        model: {class: Linear, kwargs: {alpha: 1.0}}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: ExprHandler
              kwargs:
                instruments: all
                start_time: 2018-01-01
                end_time: 2020-09-30
                fit_start_time: 2018-01-01
                fit_end_time: 2019-12-31
                features:
                  RET1: $close/Ref($close, 1) - 1
                  RET5: $close/Ref($close, 5) - 1
                  MA10: Mean($close, 10)/$close
                  STD10: Std($close/Ref($close, 1) - 1, 10)
                infer_processors:
                  - {class: ZScoreNorm, kwargs: {fields_group: feature}}
                  - {class: Fillna, kwargs: {fields_group: feature}}
                learn_processors: [DropnaLabel]
            segments:
              train: [2018-01-01, 2019-12-31]
              valid: [2020-01-01, 2020-06-30]
              test: [2020-07-01, 2020-09-30]`;
}

/** Two strategies whose windows switch on different days (steps 5 and 8). */
function config(dataDir: string): string {
  return `
data: {class: QlibData, kwargs: {uri: ${JSON.stringify(dataDir)}, id: grow}}
manager:
  name: grow
  begin_time: 2020-09-30
strategies:${strategy('grow_ridge5', 5)}${strategy('grow_ridge8', 8)}
`;
}

type Sig = { date: string; instrument: string; score: number };

describe('a late catch-up routine equals on-time daily routines (built CLI, growing data)', () => {
  it('identical signals across several model-window boundaries, no gap before a switch', async () => {
    const dir = tempDir('qonline-catchup-');
    const full = path.join(dir, 'full');
    const synth = await runCli(['data', 'synth', '--out', full, '--instruments', '20', '--start', '2018-01-01', '--end', '2020-12-31', '--seed', '3', '-q']);
    expect(synth.code, synth.stderr).toBe(0);
    const calendar = readFileSync(path.join(full, 'calendars', 'day.txt'), 'utf8').trim().split('\n');
    const first = calendar.indexOf('2020-09-30') + 1;
    const DAYS = 18; // three or more 5-day windows switch inside it, most of them within the late catch-up

    const home = (name: string) => {
      const data = path.join(dir, `data-${name}`);
      const cfg = path.join(dir, `${name}.yaml`);
      writeFileSync(cfg, config(data));
      const h = path.join(dir, `home-${name}`);
      return {
        db: path.join(h, 'store.sqlite'),
        async step(days: number, step: string) {
          const last = growTo(full, data, days);
          const r = await runCli(['run', cfg, '--home', h, '--step', step, '--json']);
          expect(r.code, `${name} ${step} @ ${last}: ${r.stderr}`).toBe(0);
          return { ...(JSON.parse(r.stdout) as { steps: { trained: number }[]; stateVersion: number }), last };
        },
      };
    };

    const onTime = home('ontime');
    await onTime.step(first, 'first_train');
    let trainedOnTime = 0;
    const versionOf = new Map<string, number>();
    for (let k = 1; k <= DAYS; k++) {
      const r = await onTime.step(first + k, 'routine');
      trainedOnTime += r.steps[0]!.trained;
      versionOf.set(r.last, r.stateVersion);
    }
    // Incremental: each on-time routine wrote the signals of its own date only (older dates keep the version that wrote them).
    const written = await sqliteAll<{ date: string; v: number }>(onTime.db, "SELECT date, MIN(state_version) AS v FROM signals WHERE date > '2020-09-30' GROUP BY date HAVING MIN(state_version) = MAX(state_version) ORDER BY date");
    expect(written.map((w) => [w.date, w.v])).toEqual([...versionOf]);
    expect(trainedOnTime).toBeGreaterThanOrEqual(3);
    expect(trainedOnTime).toBeLessThan(DAYS);

    // Late: a few on-time days, then everything else at once (the data imported in one go).
    const late = home('late');
    await late.step(first, 'first_train');
    let trainedLate = 0;
    for (let k = 1; k <= 3; k++) trainedLate += (await late.step(first + k, 'routine')).steps[0]!.trained;
    trainedLate += (await late.step(first + DAYS, 'routine')).steps[0]!.trained;
    expect(trainedLate).toBe(trainedOnTime);

    const q = 'SELECT date, instrument, score FROM signals ORDER BY date, instrument';
    const a = await sqliteAll<Sig>(onTime.db, q);
    const b = await sqliteAll<Sig>(late.db, q);
    const datesA = [...new Set(a.map((s) => s.date))];
    const datesB = [...new Set(b.map((s) => s.date))];
    // Every trading day up to the last has a signal in both.
    const expected = calendar.slice(calendar.indexOf(datesA[0]!), first + DAYS);
    expect(datesA).toEqual(expected);
    expect(datesB).toEqual(expected);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      expect(b[i]!.date).toBe(a[i]!.date);
      expect(b[i]!.instrument).toBe(a[i]!.instrument);
      expect(b[i]!.score, `${a[i]!.date} ${a[i]!.instrument}`).toBeCloseTo(a[i]!.score, 9);
    }
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});
