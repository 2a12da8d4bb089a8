import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

describe('the CLI as people use it (built CLI)', () => {
  it('prints the help of a group or a command: tasks --help, models, data --help, help run', async () => {
    const tasks = await runCli(['tasks', '--help']);
    expect(tasks.code, tasks.stderr).toBe(0);
    expect(tasks.stdout).toMatch(/Usage: qonline tasks <command>/);
    expect(tasks.stdout).toMatch(/tasks list/);
    expect(tasks.stdout).toMatch(/tasks retry/);
    const models = await runCli(['models']);
    expect(models.code, models.stderr).toBe(0);
    expect(models.stdout).toMatch(/models list/);
    expect(models.stdout).toMatch(/models compare/);
    const data = await runCli(['data', '--help']);
    expect(data.code, data.stderr).toBe(0);
    expect(data.stdout).toMatch(/data import-csv/);
    const help = await runCli(['help', 'run']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: qonline run CONFIG/);
    expect(help.stdout).toMatch(/--at <value>/);
    const sub = await runCli(['help', 'models', 'list']);
    expect(sub.stdout).toMatch(/Usage: qonline models list/);
    const typo = await runCli(['tasks', 'lst']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown command "tasks lst"; did you mean "tasks list"\?/);
  });

  it('the bin (dist/cli.cjs) and dist/cli.js are the same command', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['qonline']).toBe('dist/cli.cjs');
    expect(readFileSync(path.join(ROOT, pkg.bin['qonline']!), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    for (const args of [['--help'], ['validate', 'configs/rolling.yaml'], ['validate', 'configs/no-such.yaml']]) {
      const bin = await runCli(args);
      const esm = await runCli(args, { cli: path.join(ROOT, 'dist/cli.js') });
      expect(esm).toEqual(bin);
    }
  });

  it('every command keeps --home, --json, -q, -v, -h', async () => {
    const list = await runCli(['--help']);
    const names = [...list.stdout.matchAll(/^ {2}([a-z-]+(?: [a-z-]+)?) {2,}/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) {
      const r = await runCli([...name.split(' '), '-h']);
      expect(r.code, name).toBe(0);
      for (const flag of ['--home', '--json', '-q, --quiet', '-v, --verbose', '-h, --help']) expect(r.stdout, `${name} ${flag}`).toContain(flag);
    }
  }, 300_000);

  it('refuses impossible dates in date flags with exit 2; a real date outside the data only bounds a read', async () => {
    const cfg = path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml');
    const home = path.join(tempDir('qonline-cli-'), 'home');
    for (const args of [
      ['run', cfg, '--home', home, '--step', 'routine', '--at', '2021-02-30'],
      ['signals', '--home', home, '--start', '2020-13-45'],
      ['signals', '--home', home, '--date', '0000-01-01'],
      ['rollback', cfg, '--home', home, '--strategy', 's', '--to', '2021-02-29'],
      ['online', 'set', cfg, '--home', home, '--strategy', 's', 'x', '--effective', '2021-04-31'],
      ['data', 'synth', '--out', path.join(home, 'd'), '--end', '2021-02-30'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/expects a real calendar date YYYY-MM-DD/);
    }
    expect(existsSync(home)).toBe(false);
  });

  describe('with a store', () => {
    const root = tempDir('qonline-cli-');
    const home = path.join(root, 'home');
    const cfg = path.join(root, 'tiny.yaml');
    beforeAll(async () => {
      writeFileSync(cfg, readFileSync(path.join(ROOT, 'test/fixtures/e2e/tiny-rolling.yaml'), 'utf8'));
      const r = await runCli(['run', cfg, '--home', home, '--step', 'first_train', '-q']);
      expect(r.code, r.stderr).toBe(0);
    }, 300_000);

    it('read-only commands on a home without a store say so and create nothing', async () => {
      const empty = path.join(root, 'nothing-here');
      for (const args of [['signals'], ['models', 'list'], ['history']]) {
        const r = await runCli([...args, '--home', empty]);
        expect(r.code, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(/QONLINE_NOT_FOUND: no store to read in .*nothing-here: nothing has run with this home yet/);
        expect(existsSync(empty)).toBe(false);
      }
      // doctor reports the missing store as a finding (exit 1), and creates nothing either.
      const doctor = await runCli(['doctor', cfg, '--home', empty]);
      expect(doctor.code).toBe(1);
      expect(doctor.stdout).toMatch(/no store \(SQLiteStore\) in .*nothing-here: nothing has run/);
      expect(existsSync(empty)).toBe(false);
      const ok = await runCli(['signals', '--home', home, '--start', '1990-01-01', '--end', '1990-12-31']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/no signals/);
    });

    it('an unknown strategy name gets did-you-mean and exit 2 in models list, online set and rollback', async () => {
      const list = await runCli(['models', 'list', '--home', home, '--strategy', 'tiny_rige']);
      expect(list.code).toBe(2);
      expect(list.stderr).toMatch(/unknown strategy "tiny_rige"; did you mean "tiny_ridge"\?/);
      const rb = await runCli(['rollback', cfg, '--home', home, '--strategy', 'tiny_ridg', '--to', '2020-09-30']);
      expect(rb.code).toBe(2);
      expect(rb.stderr).toMatch(/did you mean "tiny_ridge"/);
      const set = await runCli(['online', 'set', cfg, '--home', home, '--strategy', 'Tiny_ridge', 'abc']);
      expect(set.code).toBe(2);
      expect(set.stderr).toMatch(/did you mean "tiny_ridge"/);
    });
  });
});
