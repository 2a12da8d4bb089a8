import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/** The TypeScript model plugin of docs/plugins.md ("A model plugin from scratch"), taken from the doc itself. */
function docPlugin(): string {
  const doc = readFileSync(path.join(ROOT, 'docs/plugins.md'), 'utf8');
  const m = /```ts\n\/\/ my-models\/src\/index\.ts\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/plugins.md has no my-models/src/index.ts block');
  return m[1]!;
}

describe('a model plugin written from scratch in its own package (outside this repository)', () => {
  it('compiles against qonline/plugin-api without @types/node, installs as a file: dependency, and trains', async () => {
    const root = tempDir('qonline-pkg-');
    const pkg = path.join(root, 'my-models');
    mkdirSync(path.join(pkg, 'src'), { recursive: true });
    mkdirSync(path.join(pkg, 'node_modules'));
    // What `npm install file:../qonline` does: a link to the package folder.
    symlinkSync(ROOT, path.join(pkg, 'node_modules', 'qonline'), 'dir');
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'my-models', version: '1.0.0', type: 'module', main: 'dist/index.js', peerDependencies: { qonline: '>=0.1.0' } }));
    writeFileSync(
      path.join(pkg, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, outDir: 'dist', types: [], skipLibCheck: false, lib: ['ES2022', 'DOM'] }, include: ['src'] }),
    );
    writeFileSync(path.join(pkg, 'src', 'index.ts'), docPlugin());
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', pkg], { stdio: 'pipe' });

    // A pipeline folder that installed the plugin package (a link, as `file:` dependencies are).
    const work = path.join(root, 'pipeline');
    mkdirSync(path.join(work, 'node_modules'), { recursive: true });
    symlinkSync(pkg, path.join(work, 'node_modules', 'my-models'), 'dir');
    const cfg = path.join(work, 'pipeline.yaml');
    writeFileSync(
      cfg,
      'plugins: [my-models]\n' +
        readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8').replace('model: {class: Linear, kwargs: {alpha: 1.0}}', 'model: {class: MeanModel, kwargs: {shrink: 0.5}}'),
    );
    const v = await runCli(['validate', cfg]);
    expect(v.code, v.stderr).toBe(0);
    const r = await runCli(['run', cfg, '--home', path.join(root, 'home'), '--step', 'first_train', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const list = await runCli(['models', 'list', '--home', path.join(root, 'home'), '--json']);
    const rows = JSON.parse(list.stdout) as { model: string; status: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((x) => x.status === 'FINISHED')).toBe(true);
  }, 300_000);
});
