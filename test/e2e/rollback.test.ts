import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');


describe('versions: list, compare, rollback, put online (built CLI)', () => {
  it('rolls a strategy back to an earlier online set and forward again, recomputing signals each time', async () => {
    const home = tempDir('qonline-rb-');
    const env = { QONLINE_HOME: home };
    const db = path.join(home, 'store.sqlite');
    const run = await runCli(['run', CONFIG, '--json'], { env });
    expect(run.code, run.stderr).toBe(0);

    const hist = await sqliteAll<{ seq: number; effective_date: string; recorder_ids: string; reason: string }>(db, 'SELECT seq, effective_date, recorder_ids, reason FROM history ORDER BY seq');
    expect(hist.map((h) => h.reason)).toEqual(['first_train', 'routine']);
    const firstSet = JSON.parse(hist[0]!.recorder_ids) as string[];
    const routineSet = JSON.parse(hist[1]!.recorder_ids) as string[];
    const before = await sqliteAll<{ date: string; instrument: string; score: number }>(db, "SELECT date, instrument, score FROM signals WHERE date >= '2020-12-01' ORDER BY date, instrument");
    const version = async () => (await sqliteAll<{ state_version: number }>(db, 'SELECT state_version FROM managers'))[0]!.state_version;
    const v0 = await version();

    // Compare two versions.
    const cmp = await runCli(['models', 'compare', firstSet[firstSet.length - 1]!, routineSet[0]!, '--json'], { env });
    expect(cmp.code, cmp.stderr).toBe(0);
    const c = JSON.parse(cmp.stdout) as { taskDiff: string[]; a: { online: boolean }; b: { online: boolean } };
    expect(c.a.online).toBe(false);
    expect(c.b.online).toBe(true);
    expect(c.taskDiff.some((d) => d.includes('/dataset/kwargs/segments/test'))).toBe(true);

    // Roll back to the first-train set from 2020-12-01 on.
    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', '2020-09-30', '--effective', '2020-12-01', '--json'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const online = await sqliteAll<{ recorder_id: string }>(db, "SELECT recorder_id FROM recorder_tags WHERE key = 'online_status' AND value = 'online' ORDER BY recorder_id");
    expect(online.map((o) => o.recorder_id)).toEqual([...firstSet].sort());
    const hist2 = await sqliteAll<{ reason: string; effective_date: string }>(db, 'SELECT reason, effective_date FROM history ORDER BY seq');
    expect(hist2[2]).toEqual({ reason: 'rollback to 2020-09-30', effective_date: '2020-12-01' });
    expect(await version()).toBe(v0 + 1);
    const during = await sqliteAll<{ date: string; instrument: string; score: number }>(db, "SELECT date, instrument, score FROM signals WHERE date >= '2020-12-01' ORDER BY date, instrument");
    expect(during).not.toEqual(before);
    // Signals before the effective date are untouched.
    const earlier = await sqliteAll<{ n: number }>(db, "SELECT COUNT(*) AS n FROM signals WHERE date < '2020-12-01' AND state_version > ?", [v0]);
    expect(earlier[0]!.n).toBe(0);

    // Put the routine's models back online from the date they first served: the signals return exactly.
    const fwd = await runCli(['online', 'set', CONFIG, '--strategy', 'tiny_ridge', ...routineSet.map((id) => id.slice(0, 10)), '--effective', hist[1]!.effective_date, '--json'], { env });
    expect(fwd.code, fwd.stderr).toBe(0);
    const after = await sqliteAll<{ date: string; instrument: string; score: number }>(db, "SELECT date, instrument, score FROM signals WHERE date >= '2020-12-01' ORDER BY date, instrument");
    expect(after.length).toBe(before.length);
    after.forEach((r, i) => {
      expect(r.date).toBe(before[i]!.date);
      expect(r.instrument).toBe(before[i]!.instrument);
      expect(r.score).toBeCloseTo(before[i]!.score, 12);
    });

    // Bad requests are clear errors.
    const bad = await runCli(['rollback', CONFIG, '--strategy', 'nope', '--to', '2020-09-30'], { env });
    // An unknown strategy name is a usage error (exit 2) naming the strategies there are.
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown strategy "nope"/);
  });

  it('a rollback to an older set serves every date up to the latest: after its last test end, its latest model (predictions appended, recorders unchanged)', async () => {
    const home = tempDir('qonline-rb-latest-');
    const env = { QONLINE_HOME: home };
    const db = path.join(home, 'store.sqlite');
    const run = await runCli(['run', CONFIG, '-q'], { env });
    expect(run.code, run.stderr).toBe(0);
    const datesBefore = (await sqliteAll<{ date: string }>(db, 'SELECT DISTINCT date FROM signals ORDER BY date')).map((r) => r.date);
    const recsBefore = await sqliteAll<{ id: string; status: string; params: string }>(db, 'SELECT id, status, params FROM recorders ORDER BY id');
    const predsBefore = await sqliteAll<{ recorder_id: string; date: string; instrument: string; score: number }>(db, "SELECT recorder_id, date, instrument, score FROM scores WHERE kind = 'pred' ORDER BY recorder_id, date, instrument");
    const last = datesBefore[datesBefore.length - 1]!;
    expect(last).toBe('2020-12-31');

    // The first-train set: every window closed before the last routine's date.
    const rb = await runCli(['rollback', CONFIG, '--strategy', 'tiny_ridge', '--to', '2020-09-30', '--json'], { env });
    expect(rb.code, rb.stderr).toBe(0);
    const datesAfter = (await sqliteAll<{ date: string }>(db, 'SELECT DISTINCT date FROM signals ORDER BY date')).map((r) => r.date);
    expect(datesAfter).toEqual(datesBefore);

    // Recorders are not edited; predictions are only appended.
    expect(await sqliteAll(db, 'SELECT id, status, params FROM recorders ORDER BY id')).toEqual(recsBefore);
    const predsAfter = await sqliteAll<{ recorder_id: string; date: string; instrument: string; score: number }>(db, "SELECT recorder_id, date, instrument, score FROM scores WHERE kind = 'pred' ORDER BY recorder_id, date, instrument");
    const key = (p: { recorder_id: string; date: string; instrument: string }) => `${p.recorder_id}|${p.date}|${p.instrument}`;
    const afterMap = new Map(predsAfter.map((p) => [key(p), p.score]));
    for (const p of predsBefore) expect(afterMap.get(key(p))).toBe(p.score);

    // Independent check of the rule at the latest date: the restored set's model with the latest test start, z-scored (ddof 1).
    const online = (await sqliteAll<{ id: string; params: string }>(db, "SELECT r.id, r.params FROM recorders r JOIN recorder_tags t ON t.recorder_id = r.id WHERE t.key = 'online_status' AND t.value = 'online'")).map((r) => ({ id: r.id, ...(JSON.parse(r.params) as { test_start: string; test_end: string | null }) }));
    expect(online.length).toBe(5);
    expect(online.every((o) => o.test_end !== null && o.test_end < last)).toBe(true);
    const latest = online.sort((a, b) => (a.test_start < b.test_start ? -1 : 1)).pop()!;
    const preds = await sqliteAll<{ instrument: string; score: number }>(db, "SELECT instrument, score FROM scores WHERE recorder_id = ? AND kind = 'pred' AND date = ? ORDER BY instrument", [latest.id, last]);
    expect(preds.length).toBeGreaterThan(10);
    const mean = preds.reduce((a, p) => a + p.score, 0) / preds.length;
    const sd = Math.sqrt(preds.reduce((a, p) => a + (p.score - mean) ** 2, 0) / (preds.length - 1));
    const got = await sqliteAll<{ instrument: string; score: number }>(db, 'SELECT instrument, score FROM signals WHERE date = ? ORDER BY instrument', [last]);
    expect(got.map((g) => g.instrument)).toEqual(preds.map((p) => p.instrument));
    got.forEach((g, i) => expect(g.score).toBeCloseTo((preds[i]!.score - mean) / sd, 9));
    // Only the model that serves was brought up to date.
    const beforeKeys = new Set(predsBefore.map(key));
    const extended = new Set(predsAfter.filter((p) => !beforeKeys.has(key(p))).map((p) => p.recorder_id));
    expect([...extended]).toEqual([latest.id]);
  });
});
