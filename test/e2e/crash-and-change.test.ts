import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { sqliteAll } from '../helpers/sqlite.js';

const CONFIG = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');


describe('crash safety and strategy identity (built CLI)', () => {
  it('a run killed with SIGKILL mid-training loses no finished model; the next run finishes the rest', async () => {
    const home = tempDir('qonline-kill-');
    const child = spawn(process.execPath, [CLI, 'run', CONFIG, '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // Kill once at least two models are finished.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (/train tiny_ridge: [2-4]\/5/.test(err)) {
          clearInterval(t);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => child.on('close', r));
    const db = path.join(home, 'store.sqlite');
    const finishedBefore = await sqliteAll<{ id: string; task_hash: string }>(db, "SELECT id, task_hash FROM recorders WHERE status = 'FINISHED'");
    expect(finishedBefore.length).toBeGreaterThanOrEqual(1);

    const again = await runCli(['run', CONFIG, '--home', home, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const s = JSON.parse(again.stdout) as { steps: { step: string; trained: number }[] };
    // Finished tasks are reused (counted as trained, but not refitted): the same recorders are still there.
    const after = await sqliteAll<{ id: string; task_hash: string; status: string }>(db, 'SELECT id, task_hash, status FROM recorders');
    for (const f of finishedBefore) expect(after.find((a) => a.task_hash === f.task_hash)?.id).toBe(f.id);
    expect(after.every((a) => a.status === 'FINISHED')).toBe(true);
    expect(new Set(after.map((a) => a.task_hash)).size).toBe(after.length);
    expect(s.steps[0]!.step).toBe('first_train');
    const hist = await sqliteAll<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM history');
    expect(hist[0]!.n).toBe(2);
  });

  it('a changed template under an existing strategy name is an error naming the difference', async () => {
    const home = tempDir('qonline-change-');
    expect((await runCli(['run', CONFIG, '--home', home, '--step', 'first_train'])).code).toBe(0);
    const dir = tempDir('qonline-change-cfg-');
    const changed = path.join(dir, 'changed.yaml');
    writeFileSync(changed, readFileSync(CONFIG, 'utf8').replace('{alpha: 1.0}', '{alpha: 5.0}'));
    const r = await runCli(['run', changed, '--home', home, '--step', 'routine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_STRATEGY_CHANGED/);
    expect(r.stderr).toMatch(/task_template\/0\/model\/kwargs\/alpha: was 1, now 5/);
    const ok = await runCli(['run', changed, '--home', home, '--step', 'routine', '--allow-strategy-change']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
