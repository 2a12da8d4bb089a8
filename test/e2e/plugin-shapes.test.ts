import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');
const PLUGINS = path.join(ROOT, 'test/fixtures/plugins');

function configFor(mode: string): string {
  const file = path.join(PLUGINS, `.tmp-shape-${process.pid}-${mode}.yaml`);
  writeFileSync(file, 'plugins: [./bad-model.js]\n' + BASE.replace('model: {class: Linear, kwargs: {alpha: 1.0}}', `model: {class: BadModel, kwargs: {mode: ${mode}}}`));
  return file;
}

describe('a plugin model that returns the wrong shape fails naming plugin and component (built CLI)', () => {
  for (const [mode, pattern] of [
    ['fit', /bad-model\/BadModel: fit\(\) must resolve to a FitInfo object/],
    ['predict', /bad-model\/BadModel: predict\(\) returned \d+ scores for \d+ rows/],
    ['toJSON', /bad-model\/BadModel: toJSON\(\) must return \{format: "qonline-model", version, class, kwargs, state\}/],
  ] as const) {
    it(`${mode}()`, async () => {
      const cfg = configFor(mode);
      const home = tempDir('qonline-shape-');
      try {
        const r = await runCli(['run', cfg, '--home', home, '--step', 'first_train']);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/QONLINE_(COMPONENT_FAILED|TASK_FAILED)/);
        expect(r.stderr).toMatch(pattern);
        expect(r.stderr).not.toMatch(/QONLINE_INTERNAL|NOT NULL|Cannot read properties/);
      } finally {
        rmSync(cfg, { force: true });
      }
    });
  }

  it('the same plugin with a correct mode trains', async () => {
    const cfg = configFor('none');
    const home = tempDir('qonline-shape-');
    try {
      const r = await runCli(['run', cfg, '--home', home, '--step', 'first_train']);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(path.join(home, 'store.sqlite'))).toBe(true);
    } finally {
      rmSync(cfg, { force: true });
    }
  });
});
