import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { growTo } from '../helpers/grow-data.js';
import { sqliteAll } from '../helpers/sqlite.js';

/** A ridge on 4 expressions and a ridge on Alpha158 (windows up to 60 days), one rolling window each. */
function config(dataDir: string): string {
  const times = `instruments: all
                start_time: 2018-01-01
                end_time: 2020-09-30
                fit_start_time: 2018-06-01
                fit_end_time: 2019-12-31`;
  const segments = `segments:
              train: [2018-06-01, 2019-12-31]
              valid: [2020-01-01, 2020-06-30]
              test: [2020-07-01, 2020-09-30]`;
  return `
data: {class: QlibData, kwargs: {uri: ${JSON.stringify(dataDir)}, id: tail}}
manager: {name: tail, begin_time: 2020-09-30}
strategies:
  - class: RollingStrategy
    kwargs:
      name: ridge4
      rolling_gen: {class: RollingGen, kwargs: {step: 250, rtype: sliding, trunc_days: 2}}
      task_template:
        model: {class: Linear, kwargs: {alpha: 1.0}}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: ExprHandler
              kwargs:
                ${times}
                features:
                  RET1: $close/Ref($close, 1) - 1
                  MA20: Mean($close, 20)/$close
                  STD10: Std($close/Ref($close, 1) - 1, 10)
                  MAX60: Max($high, 60)/$close
                infer_processors:
                  - {class: RobustZScoreNorm, kwargs: {fields_group: feature, clip_outlier: true}}
                  - {class: Fillna, kwargs: {fields_group: feature}}
                learn_processors: [DropnaLabel]
            ${segments}
  - class: RollingStrategy
    kwargs:
      name: ridge158
      rolling_gen: {class: RollingGen, kwargs: {step: 250, rtype: sliding, trunc_days: 2}}
      task_template:
        model: {class: Linear, kwargs: {alpha: 10.0}}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: Alpha158
              kwargs:
                ${times}
            ${segments}
`;
}

type Row = { date: string; instrument: string; score: number };

describe('daily routines on the feature cache tail (built CLI, growing data)', () => {
  it('give exactly the predictions and signals of a fresh computation, appending to the cache files', async () => {
    const dir = tempDir('qonline-tail-');
    const full = path.join(dir, 'full');
    const synth = await runCli(['data', 'synth', '--out', full, '--instruments', '12', '--start', '2018-01-01', '--end', '2020-12-31', '--seed', '5', '-q']);
    expect(synth.code, synth.stderr).toBe(0);
    const calendar = readFileSync(path.join(full, 'calendars', 'day.txt'), 'utf8').trim().split('\n');
    const first = calendar.indexOf('2020-09-30') + 1;
    const data = path.join(dir, 'data');
    const cfg = path.join(dir, 'tail.yaml');
    writeFileSync(cfg, config(data));
    const warm = path.join(dir, 'home-warm');
    const fresh = path.join(dir, 'home-fresh');
    const run = async (home: string, step: string): Promise<void> => {
      const r = await runCli(['run', cfg, '--home', home, '--step', step, '-q']);
      expect(r.code, `${step}: ${r.stderr}`).toBe(0);
    };
    growTo(full, data, first);
    await run(warm, 'first_train');
    cpSync(warm, fresh, { recursive: true });
    const cacheOf = (home: string): string => path.join(home, 'cache', 'features', 'tail');
    const files = readdirSync(cacheOf(warm)).filter((f) => f.endsWith('.qofc'));
    expect(files.length).toBe(12);
    // 1 day, 1 day, then 5 days at once.
    for (const days of [first + 1, first + 2, first + 7]) {
      growTo(full, data, days);
      const before = new Map(files.map((f) => [f, readFileSync(path.join(cacheOf(warm), f))]));
      await run(warm, 'routine');
      // The first routine appends: each instrument's file kept its bytes, those in the market grew by records
      // (later ones may compact a file whose records outgrew half its base: these histories are short).
      let grown = 0;
      for (const f of days === first + 1 ? files : []) {
        const now = readFileSync(path.join(cacheOf(warm), f));
        expect(now.subarray(0, before.get(f)!.byteLength).equals(before.get(f)!), f).toBe(true);
        if (now.byteLength > before.get(f)!.byteLength) grown++;
      }
      if (days === first + 1) expect(grown).toBeGreaterThanOrEqual(files.length / 2);
      // The fresh home computes every expression over the whole history.
      rmSync(cacheOf(fresh), { recursive: true, force: true });
      await run(fresh, 'routine');
      expect(statSync(cacheOf(fresh)).isDirectory()).toBe(true);
    }
    for (const q of ["SELECT recorder_id || ' ' || kind AS date, date || ' ' || instrument AS instrument, score FROM scores ORDER BY 1, 2", 'SELECT date, instrument, score FROM signals ORDER BY date, instrument']) {
      const a = await sqliteAll<Row>(path.join(warm, 'store.sqlite'), q);
      const b = await sqliteAll<Row>(path.join(fresh, 'store.sqlite'), q);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
    }
    const last = await sqliteAll<{ d: string }>(path.join(warm, 'store.sqlite'), 'SELECT MAX(date) AS d FROM signals');
    expect(last[0]!.d).toBe(calendar[first + 6]);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});
