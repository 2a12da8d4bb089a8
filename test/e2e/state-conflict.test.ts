import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');

/**
 * A routine and a rollback race on one store (two home folders, so the home
 * lock does not keep them apart). The interleaving is fixed: the routine reads
 * the state, then waits for a worker to train its task; meanwhile the rollback
 * commits; then a worker trains and the routine tries to commit.
 */
describe('optimistic concurrency on the manager state (built CLI)', () => {
  it('a routine that started before a rollback committed fails with QONLINE_STATE_CONFLICT and writes nothing', async () => {
    const dir = tempDir('qonline-race-');
    const db = path.join(dir, 'shared.sqlite');
    const base = readFileSync(FIXTURE, 'utf8');
    const store = `store: {class: SQLiteStore, kwargs: {path: ${JSON.stringify(db)}}}\n`;
    const local = path.join(dir, 'local.yaml');
    writeFileSync(local, store + base);
    // Same strategies, but the routine's training waits for `qonline worker`.
    const pooled = path.join(dir, 'pooled.yaml');
    writeFileSync(pooled, store + base.replace('  begin_time: 2020-09-30\n', '  begin_time: 2020-09-30\n  trainer: {class: TrainerRM, kwargs: {train_locally: false, poll_ms: 50}}\n'));
    expect(readFileSync(pooled, 'utf8')).toContain('TrainerRM');
    const homeA = { QONLINE_HOME: path.join(dir, 'a') };
    const homeB = { QONLINE_HOME: path.join(dir, 'b') };

    const first = await runCli(['run', local, '--step', 'first_train'], { env: homeA });
    expect(first.code, first.stderr).toBe(0);
    const state = async () => (await sqliteAll<{ state_version: number; last_routine: string | null }>(db, 'SELECT state_version, last_routine FROM managers'))[0]!;
    const history = async () => (await sqliteAll<{ reason: string }>(db, 'SELECT reason FROM history ORDER BY seq')).map((h) => h.reason);
    const v0 = (await state()).state_version;

    // 1. The routine reads version v0 and waits for its task to be trained.
    const routine = runCli(['run', pooled, '--step', 'routine'], { env: homeA });
    for (let i = 0; ; i++) {
      const waiting = await sqliteAll<{ n: number }>(db, "SELECT COUNT(*) AS n FROM task_pool WHERE status = 'waiting'").catch(() => [{ n: 0 }]);
      if (waiting[0]!.n > 0) break;
      if (i > 600) throw new Error('the routine never queued its task');
      await new Promise((r) => setTimeout(r, 100));
    }
    // 2. A rollback commits meanwhile (version v0 + 1).
    const rb = await runCli(['rollback', local, '--strategy', 'tiny_ridge', '--to', '2020-09-30', '--effective', '2020-11-02'], { env: homeB });
    expect(rb.code, rb.stderr).toBe(0);
    expect((await state()).state_version).toBe(v0 + 1);
    const onlineAfterRollback = await sqliteAll<{ recorder_id: string }>(db, "SELECT recorder_id FROM recorder_tags WHERE key = 'online_status' AND value = 'online' ORDER BY recorder_id");
    const signalsAfterRollback = await sqliteAll(db, 'SELECT date, instrument, score, state_version FROM signals ORDER BY date, instrument');
    // 3. A worker trains the routine's task; the routine then tries to commit on top of v0.
    const worker = await runCli(['worker', pooled, '--once', '--in-process'], { env: homeB });
    expect(worker.code, worker.stderr).toBe(0);
    const r = await routine;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('QONLINE_STATE_CONFLICT');
    expect(r.stderr).toContain(`started from version ${v0}`);

    // Nothing of the routine's commit is there: the rollback's state, tags, history and signals stand.
    expect(await state()).toEqual({ state_version: v0 + 1, last_routine: null });
    expect(await history()).toEqual(['first_train', 'rollback to 2020-09-30']);
    expect(await sqliteAll(db, "SELECT recorder_id FROM recorder_tags WHERE key = 'online_status' AND value = 'online' ORDER BY recorder_id")).toEqual(onlineAfterRollback);
    expect(await sqliteAll(db, 'SELECT date, instrument, score, state_version FROM signals ORDER BY date, instrument')).toEqual(signalsAfterRollback);

    // Run again, it applies on top of the rollback (the trained model is reused, not retrained).
    const again = await runCli(['run', local, '--step', 'routine', '--json'], { env: homeA });
    expect(again.code, again.stderr).toBe(0);
    expect(await history()).toEqual(['first_train', 'rollback to 2020-09-30', 'routine']);
    expect((await state()).state_version).toBe(v0 + 2);
  });

  it('two runs started together over a stale home lock: one trains, the other gets QONLINE_STORE_LOCKED (exit 1)', async () => {
    for (let round = 0; round < 3; round++) {
      const home = tempDir('qonline-stale-');
      mkdirSync(home, { recursive: true });
      // The lock a killed run left behind: its pid is gone.
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      writeFileSync(path.join(home, 'qonline.lock'), JSON.stringify({ pid: dead, nonce: 'killed', what: 'manager tiny', since: new Date().toISOString() }));
      const env = { QONLINE_HOME: home };
      const results = await Promise.all([runCli(['run', FIXTURE, '--step', 'first_train'], { env }), runCli(['run', FIXTURE, '--step', 'first_train'], { env })]);
      const codes = results.map((r) => r.code).sort();
      expect(codes, results.map((r) => r.stderr).join('\n---\n')).toEqual([0, 1]);
      const loser = results.find((r) => r.code === 1)!;
      expect(loser.stderr).toContain('QONLINE_STORE_LOCKED');
      expect(loser.stderr).not.toMatch(/unique|constraint/i);
      const db = path.join(home, 'store.sqlite');
      expect((await sqliteAll<{ reason: string }>(db, 'SELECT reason FROM history')).map((h) => h.reason)).toEqual(['first_train']);
      expect(existsSync(path.join(home, 'qonline.lock'))).toBe(false);
    }
  });
});
