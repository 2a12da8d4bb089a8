import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, ROOT } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');


interface Counts {
  recorders: number;
  history: number;
  signals: number;
  distinctSignals: number;
  online: number;
}

async function counts(home: string): Promise<Counts> {
  const db = path.join(home, 'store.sqlite');
  const one = async (sql: string): Promise<number> => Number(Object.values((await sqliteAll<Record<string, number>>(db, sql))[0]!)[0]);
  return {
    recorders: await one('SELECT COUNT(*) FROM recorders'),
    history: await one('SELECT COUNT(*) FROM history'),
    signals: await one('SELECT COUNT(*) FROM signals'),
    distinctSignals: await one('SELECT COUNT(*) FROM (SELECT DISTINCT manager, date, instrument FROM signals)'),
    online: await one("SELECT COUNT(*) FROM recorder_tags WHERE key = 'online_status' AND value = 'online'"),
  };
}

describe('qonline run (built CLI, separate processes)', () => {
  it('first_train, then routine in another process, then again with no duplicate work', async () => {
    const home = tempDir('qonline-e2e-');
    const env = { QONLINE_HOME: home };

    const preview = await runCli(['tasks', 'preview', CONFIG, '--json'], { env });
    expect(preview.code, preview.stderr).toBe(0);
    const tasks = JSON.parse(preview.stdout) as { strategy: string; tasks: { segments: { test: [string, string | null] } }[] }[];
    expect(tasks[0]!.strategy).toBe('tiny_ridge');
    const firstTaskCount = tasks[0]!.tasks.length;
    expect(firstTaskCount).toBeGreaterThan(2);
    // 2019-10-01..07 is a holiday week in the synthetic calendar: the test starts on the next trading day.
    expect(tasks[0]!.tasks[0]!.segments.test[0]).toBe('2019-10-08');

    const first = await runCli(['run', CONFIG, '--step', 'first_train', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout);
    expect(s1.steps[0].trained).toBe(firstTaskCount);
    expect(s1.strategies[0].online).toHaveLength(firstTaskCount);
    expect(s1.signals.dates).toBeGreaterThan(100);
    const c1 = await counts(home);
    expect(c1.recorders).toBe(firstTaskCount);
    expect(c1.online).toBe(firstTaskCount);
    expect(c1.history).toBe(1);

    const routine = await runCli(['run', CONFIG, '--step', 'routine', '--json'], { env });
    expect(routine.code, routine.stderr).toBe(0);
    const s2 = JSON.parse(routine.stdout);
    expect(s2.steps[0].trained).toBeGreaterThanOrEqual(1);
    expect(s2.lastRoutine).toBe('2020-12-31');
    expect(s2.signals.last).toBe('2020-12-31');
    const c2 = await counts(home);
    expect(c2.recorders).toBe(firstTaskCount + s2.steps[0].trained);
    expect(c2.online).toBe(s2.steps[0].trained);
    expect(c2.history).toBe(2);
    expect(c2.signals).toBeGreaterThan(c1.signals);
    expect(c2.signals).toBe(c2.distinctSignals);

    // Again: steps are idempotent, nothing is trained or duplicated.
    const again = await runCli(['run', CONFIG, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    const s3 = JSON.parse(again.stdout);
    expect(s3.steps.map((s: { trained: number }) => s.trained)).toEqual([0, 0]);
    expect(s3.steps.every((s: { skipped?: string }) => s.skipped)).toBe(true);
    expect(await counts(home)).toEqual(c2);

    // Readable summaries and listings.
    const list = await runCli(['models', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(c2.recorders);
    const sig = await runCli(['signals', '--json'], { env });
    expect(sig.code, sig.stderr).toBe(0);
    const sj = JSON.parse(sig.stdout) as { rows: { date: string }[] };
    expect(sj.rows.length).toBeGreaterThan(5);
    expect(new Set(sj.rows.map((r) => r.date))).toEqual(new Set(['2020-12-31']));
    const text = await runCli(['run', CONFIG], { env });
    expect(text.stdout).toMatch(/strategy tiny_ridge: \d+ recorder\(s\), \d+ online/);
    expect(text.stdout).toMatch(/signals: \d+ date\(s\)/);
  });
});
