import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli, tempDir } from '../helpers/cli.js';

const PG_URL = process.env['QONLINE_TEST_PG_URL'];
const REQUIRE_PG = process.env['QONLINE_REQUIRE_PG'] === '1';

/** Configs that need PostgreSQL run against QONLINE_TEST_PG_URL, each in its own schema. */
const NEEDS_PG = new Set(['distributed.yaml']);
if (!PG_URL && !REQUIRE_PG) console.warn('configs.test: QONLINE_TEST_PG_URL is not set; configs needing PostgreSQL are skipped');

describe('every config in configs/ runs end to end (built CLI)', () => {
  const files = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    const pg = NEEDS_PG.has(f);
    it.skipIf(pg && !PG_URL && !REQUIRE_PG)(`qonline run configs/${f}`, async () => {
      if (pg) expect(PG_URL, 'QONLINE_TEST_PG_URL must be set (QONLINE_REQUIRE_PG=1)').toBeTruthy();
      const home = tempDir('qonline-cfg-');
      const env: NodeJS.ProcessEnv = pg ? { QONLINE_PG_URL: PG_URL, QONLINE_PG_SCHEMA: `cfg_${process.pid}_${Date.now()}` } : {};
      // A worker shares the pool's tasks with the manager.
      const worker = pg ? spawn(process.execPath, [CLI, 'worker', path.join('configs', f), '--home', home], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' }) : null;
      try {
        const r = await runCli(['run', path.join('configs', f), '--home', home, '--json'], { timeoutMs: 300_000, env });
        expect(r.code, r.stderr).toBe(0);
        const s = JSON.parse(r.stdout) as { signals: { dates: number; coverage: number }; strategies: { online: unknown[]; recorders: number }[]; steps: { trained: number }[] };
        expect(s.signals.dates).toBeGreaterThan(20);
        expect(s.signals.coverage).toBeGreaterThan(0.95);
        for (const st of s.strategies) expect(st.online.length).toBeGreaterThan(0);
        if (pg) {
          // Every task trained exactly once, wherever it ran.
          const trained = s.steps.reduce((a, x) => a + x.trained, 0);
          expect(s.strategies[0]!.recorders).toBe(trained);
          const stat = await runCli(['tasks', 'stat', path.join('configs', f), '--home', home, '--json'], { env });
          expect(stat.code, stat.stderr).toBe(0);
        }
      } finally {
        if (worker) {
          worker.kill('SIGTERM');
          await new Promise((r) => worker.on('close', r));
        }
      }
    });
  }
});
