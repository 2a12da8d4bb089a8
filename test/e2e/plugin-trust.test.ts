import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

const BASE = readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8');

/** A plugin that leaves a marker file when its code runs (import time). */
function evilPlugin(dir: string, marker: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'evil.js');
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { name: 'evil-${path.basename(dir)}', version: '1.0.0', components: [] };\n`,
  );
  return file;
}

function configIn(dir: string, plugin: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pipeline.yaml');
  writeFileSync(file, `plugins: [${JSON.stringify(plugin)}]\n` + BASE);
  return file;
}

describe('plugins are loaded only from trusted places (built CLI)', () => {
  it('refuses an absolute path or ../ outside the config folder under validate and run: exit 2, no code run, nothing written', async () => {
    const root = tempDir('qonline-trust-');
    const marker = path.join(root, 'marker');
    const outside = evilPlugin(path.join(root, 'elsewhere'), marker);
    const home = path.join(root, 'home');
    for (const spec of [outside, '../elsewhere/evil.js']) {
      const cfg = configIn(path.join(root, 'cfg'), spec);
      for (const args of [['validate', cfg], ['run', cfg, '--home', home]]) {
        const r = await runCli(args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/QONLINE_PLUGIN_UNTRUSTED: plugin .*outside the config's folder/);
        expect(r.stderr).toMatch(/--trust-plugin/);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    }
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(home)).toBe(false);
  });

  it('refuses a symbolic link inside the config folder that points outside', async () => {
    const root = tempDir('qonline-trust-');
    const marker = path.join(root, 'marker');
    const outside = evilPlugin(path.join(root, 'elsewhere'), marker);
    mkdirSync(path.join(root, 'cfg'));
    symlinkSync(outside, path.join(root, 'cfg', 'link.js'));
    const r = await runCli(['validate', configIn(path.join(root, 'cfg'), './link.js')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_PLUGIN_UNTRUSTED/);
    expect(existsSync(marker)).toBe(false);
  });

  it('loads it with --trust-plugin (file or folder) or QONLINE_TRUSTED_PLUGINS', async () => {
    const root = tempDir('qonline-trust-');
    const marker = path.join(root, 'marker');
    const outside = evilPlugin(path.join(root, 'elsewhere'), marker);
    const cfg = configIn(path.join(root, 'cfg'), outside);
    const r1 = await runCli(['validate', cfg, '--trust-plugin', outside]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const r2 = await runCli(['validate', cfg, '--trust-plugin', path.join(root, 'nope'), '--trust-plugin', path.dirname(outside)]);
    expect(r2.code, r2.stderr).toBe(0);
    const r3 = await runCli(['validate', cfg], { env: { QONLINE_TRUSTED_PLUGINS: ['/nonexistent', outside].join(path.delimiter) } });
    expect(r3.code, r3.stderr).toBe(0);
  });

  it('loads files inside the config folder tree and installed packages without consent', async () => {
    const root = tempDir('qonline-trust-');
    const marker = path.join(root, 'marker');
    evilPlugin(path.join(root, 'cfg', 'plugins'), marker);
    const r1 = await runCli(['validate', configIn(path.join(root, 'cfg'), './plugins/evil.js')]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    const pkg = path.join(root, 'cfg2', 'node_modules', 'qonline-plugin-x');
    evilPlugin(pkg, path.join(root, 'marker2'));
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'qonline-plugin-x', version: '1.0.0', type: 'module', main: 'evil.js' }));
    const r2 = await runCli(['validate', configIn(path.join(root, 'cfg2'), 'qonline-plugin-x')]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(existsSync(path.join(root, 'marker2'))).toBe(true);
  });
});
