import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/** The code cache of dist/cli.js (plugins/cli-launcher.ts): one file per command under QONLINE_CODE_CACHE_DIR. */
const CONFIG = path.join(ROOT, 'configs/alpha158_gbdt.yaml');
const VALID = 'configs/alpha158_gbdt.yaml: valid (Qlib workflow: one task, 3 records)\n';

function cacheDir(): string {
  return tempDir('qonline-code-cache-');
}

function validate(dir: string, cli?: string): ReturnType<typeof runCli> {
  return runCli(['validate', 'configs/alpha158_gbdt.yaml'], { env: { QONLINE_CODE_CACHE_DIR: dir }, ...(cli ? { cli } : {}) });
}

/** Header fields of a cache file, and whether its payload matches its checksum. */
function readCache(file: string): { build: string; sound: boolean } {
  const buf = readFileSync(file);
  const eol = buf.indexOf(10);
  const [magic, build, , sum] = buf.subarray(0, eol).toString('latin1').split(' ');
  expect(magic).toBe('qonline-code-cache-1');
  return { build: build!, sound: createHash('sha256').update(buf.subarray(eol + 1)).digest('hex') === sum };
}

function inode(file: string): number {
  return statSync(file).ino;
}

// A second build of the CLI (a bundle that differs from dist's) in a gitignored folder of the repository,
// so its external dependencies resolve from node_modules as dist's do.
const otherBuild = path.join(ROOT, '.tmp', `code-cache-build-${process.pid}`);
afterAll(() => rmSync(otherBuild, { recursive: true, force: true }));

describe('the CLI code cache', () => {
  it('is written by a successful command and used by the next one', async () => {
    const dir = cacheDir();
    const first = await validate(dir);
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(dir, 'validate.bin');
    expect(readCache(file).sound).toBe(true);
    const before = inode(file);
    const second = await validate(dir);
    expect(second.stdout).toBe(VALID);
    // Accepted: not rewritten (a rewrite renames a new file over it).
    expect(inode(file)).toBe(before);
    // A failing command (exit 2) writes none.
    const bad = await runCli(['validate', path.join(ROOT, 'no-such-config.yaml')], { env: { QONLINE_CODE_CACHE_DIR: dir } });
    expect(bad.code).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['validate.bin']);
  }, 60_000);

  it('ignores a damaged cache (bytes changed, truncated, not a cache) and replaces it', async () => {
    const dir = cacheDir();
    expect((await validate(dir)).code).toBe(0);
    const file = path.join(dir, 'validate.bin');
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    for (let i = good.length >> 1; i < good.length; i += 997) flipped[i]! ^= 0xff;
    for (const damaged of [flipped, good.subarray(0, good.length >> 1), Buffer.from('not a cache at all')]) {
      writeFileSync(file, damaged);
      const r = await validate(dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(VALID);
      expect(r.stderr).toBe('');
      expect(readCache(file).sound).toBe(true);
    }
  }, 60_000);

  it("ignores a cache written by another build, even one V8 would take (same source length)", async () => {
    const dir = cacheDir();
    expect((await validate(dir)).code).toBe(0);
    const distCache = readCache(path.join(dir, 'validate.bin'));
    // Another build: the same bundle with one message changed, keeping its length.
    mkdirSync(otherBuild, { recursive: true });
    copyFileSync(path.join(ROOT, 'dist/cli.js'), path.join(otherBuild, 'cli.js'));
    cpSync(path.join(ROOT, 'dist/validators'), path.join(otherBuild, 'validators'), { recursive: true });
    const bundle = readFileSync(path.join(ROOT, 'dist/cli-main.cjs'), 'utf8');
    const body = bundle.slice(bundle.indexOf('\n') + 1);
    const changed = body.replace(': valid (', ': VALID (');
    expect(changed).not.toBe(body);
    expect(changed.length).toBe(body.length);
    writeFileSync(path.join(otherBuild, 'cli-main.cjs'), `// qonline-build ${createHash('sha256').update(changed).digest('hex')}\n${changed}`);
    const r = await validate(dir, path.join(otherBuild, 'cli.js'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(VALID.replace(': valid (', ': VALID ('));
    const rewritten = readCache(path.join(dir, 'validate.bin'));
    expect(rewritten.sound).toBe(true);
    expect(rewritten.build).not.toBe(distCache.build);
    // And dist's CLI, meeting the other build's cache, ignores it in turn.
    expect((await validate(dir)).stdout).toBe(VALID);
    expect(readCache(path.join(dir, 'validate.bin')).build).toBe(distCache.build);
  }, 60_000);

  it('decodes the bundle as latin1 when it is ASCII (as the build writes it), as UTF-8 otherwise', async () => {
    // The build escapes non-ASCII text (the validators' schema descriptions), so the fast decoding applies.
    expect(isAscii(readFileSync(path.join(ROOT, 'dist/cli-main.cjs')))).toBe(true);
    const dir = cacheDir();
    const nonAscii = path.join(otherBuild, 'non-ascii');
    mkdirSync(nonAscii, { recursive: true });
    copyFileSync(path.join(ROOT, 'dist/cli.js'), path.join(nonAscii, 'cli.js'));
    cpSync(path.join(ROOT, 'dist/validators'), path.join(nonAscii, 'validators'), { recursive: true });
    const bundle = readFileSync(path.join(ROOT, 'dist/cli-main.cjs'), 'utf8');
    const body = bundle.slice(bundle.indexOf('\n') + 1);
    const changed = body.replace(': valid (', ': vàlid — (');
    expect(changed).not.toBe(body);
    writeFileSync(path.join(nonAscii, 'cli-main.cjs'), `// qonline-build ${createHash('sha256').update(changed).digest('hex')}\n${changed}`);
    for (let i = 0; i < 2; i++) {
      const r = await validate(dir, path.join(nonAscii, 'cli.js'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(VALID.replace(': valid (', ': vàlid — ('));
    }
  }, 60_000);

  it('stays whole when processes without a cache write it at the same time', async () => {
    const dir = cacheDir();
    const runs = await Promise.all(Array.from({ length: 6 }, () => validate(dir)));
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(VALID);
    }
    // One whole cache, no temporary files left, and it is used.
    expect(readdirSync(dir)).toEqual(['validate.bin']);
    const file = path.join(dir, 'validate.bin');
    expect(readCache(file).sound).toBe(true);
    const before = inode(file);
    expect((await validate(dir)).stdout).toBe(VALID);
    expect(inode(file)).toBe(before);
  }, 120_000);

  // The launcher sets the budget on V8 11 (Node 20) only.
  it.runIf(process.versions.v8.startsWith('11.'))("is compiled under the launcher's V8 interrupt budget (16x V8's default), and a budget given to node wins", async () => {
    const dir = cacheDir();
    const file = path.join(dir, 'validate.bin');
    expect((await validate(dir)).code).toBe(0);
    const written = inode(file);
    // V8 takes a cache only under the flags it was written with: node given the launcher's budget itself
    // accepts the launcher's cache (not rewritten), so the launcher did set exactly that budget...
    const same = await runCli(['validate', 'configs/alpha158_gbdt.yaml'], { env: { QONLINE_CODE_CACHE_DIR: dir }, nodeArgs: ['--interrupt-budget=1081344'] });
    expect(same.stdout).toBe(VALID);
    expect(inode(file)).toBe(written);
    // ...and V8's default budget given to node is kept (other flags: the cache is rejected and rewritten).
    const own = await runCli(['validate', 'configs/alpha158_gbdt.yaml'], { env: { QONLINE_CODE_CACHE_DIR: dir }, nodeArgs: ['--interrupt-budget=67584'] });
    expect(own.stdout).toBe(VALID);
    expect(inode(file)).not.toBe(written);
  }, 60_000);

  it('is neither read nor written with QONLINE_CODE_CACHE=0', async () => {
    const dir = cacheDir();
    const r = await runCli(['validate', CONFIG], { env: { QONLINE_CODE_CACHE_DIR: dir, QONLINE_CODE_CACHE: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'validate.bin'))).toBe(false);
  }, 60_000);
});

describe('plugins under the bundled CLI', () => {
  it("get the CLI's own core from qonline/plugin-api and qonline (its classes), with or without a code cache", async () => {
    const plugins = path.join(ROOT, 'test/fixtures/plugins');
    const cfg = path.join(plugins, `.tmp-same-core-${process.pid}.yaml`);
    writeFileSync(cfg, 'plugins: [./same-core.js]\n' + readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8'));
    const dir = cacheDir();
    try {
      for (const pass of ['no cache', 'cache']) {
        const home = tempDir('qonline-same-core-');
        const r = await runCli(['run', cfg, '--home', home, '--step', 'check_same_core'], { env: { QONLINE_CODE_CACHE_DIR: dir } });
        expect(r.code, `${pass}: ${r.stderr}`).toBe(0);
        expect(r.stderr).not.toMatch(/warning/i);
        expect(JSON.parse(readFileSync(path.join(home, 'same-core.json'), 'utf8'))).toEqual({ pluginApi: true, library: true });
        expect(existsSync(path.join(dir, 'run-check_same_core.bin'))).toBe(true);
      }
    } finally {
      rmSync(cfg, { force: true });
    }
  }, 120_000);
});
