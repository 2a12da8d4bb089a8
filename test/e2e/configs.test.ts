import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/** Configs that need a service the machine may lack, and the variable that enables them. */
const NEEDS: Record<string, string> = {};

describe('every config in configs/ runs end to end (built CLI)', () => {
  const files = readdirSync(path.join(ROOT, 'configs')).filter((f) => f.endsWith('.yaml'));
  for (const f of files) {
    const need = NEEDS[f];
    it.skipIf(Boolean(need && !process.env[need]))(`qonline run configs/${f}`, async () => {
      const home = tempDir('qonline-cfg-');
      const r = await runCli(['run', path.join('configs', f), '--home', home, '--json'], { timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as { signals: { dates: number; coverage: number }; strategies: { online: unknown[] }[] };
      expect(s.signals.dates).toBeGreaterThan(20);
      expect(s.signals.coverage).toBeGreaterThan(0.95);
      for (const st of s.strategies) expect(st.online.length).toBeGreaterThan(0);
    });
  }
});
