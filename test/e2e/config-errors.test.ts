import { writeFileSync } from 'node:fs';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, ROOT } from '../helpers/cli.js';

function writeConfig(dir: string, text: string): string {
  const f = path.join(dir, 'bad.yaml');
  writeFileSync(f, text);
  return f;
}

const GOOD = (strategyExtra = '', modelClass = 'Linear', modelKwargs = '{alpha: 1.0}') => `
manager: {name: m}
strategies:
  - class: RollingStrategy
    kwargs:
      name: s
      rolling_gen: {class: RollingGen, kwargs: {step: 20${strategyExtra}}}
      task_template:
        model: {class: ${modelClass}, kwargs: ${modelKwargs}}
        dataset:
          class: DatasetH
          kwargs:
            handler:
              class: ExprHandler
              kwargs:
                instruments: csi300
                start_time: 2018-01-01
                features: {RET1: "$close/Ref($close, 1) - 1"}
            segments:
              train: [2018-01-01, 2019-12-31]
              test: [2020-01-01, 2020-12-31]
`;

describe('config errors (built CLI)', () => {
  it('accepts a valid config with `validate` and writes nothing', async () => {
    const dir = tempDir();
    const f = writeConfig(dir, GOOD());
    const home = path.join(dir, 'home');
    const r = await runCli(['validate', f, '--home', home]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('valid');
    expect(existsSync(home)).toBe(false);
  });

  it('reports bad YAML with file, line and column, exit 2', async () => {
    const dir = tempDir();
    const f = writeConfig(dir, 'manager: {name: m\nstrategies: [\n');
    const r = await runCli(['run', f, '--home', path.join(dir, 'home')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_CONFIG_PARSE/);
    expect(r.stderr).toMatch(new RegExp(`bad\\.yaml:\\d+:\\d+`));
    expect(existsSync(path.join(dir, 'home'))).toBe(false);
  });

  it('names an unknown class with a did-you-mean, its line and JSON path', async () => {
    const dir = tempDir();
    const f = writeConfig(dir, GOOD('', 'Linaer'));
    const r = await runCli(['run', f, '--home', path.join(dir, 'home'), '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_UNKNOWN_CLASS/);
    expect(r.stderr).toMatch(/did you mean "Linear"/);
    expect(r.stderr).toMatch(/bad\.yaml:9:\d+/);
    const out = JSON.parse(r.stdout) as { error: { location: { path: string; line: number } } };
    expect(out.error.location.path).toBe('/strategies/0/kwargs/task_template/model/class');
    expect(out.error.location.line).toBe(9);
    expect(existsSync(path.join(dir, 'home'))).toBe(false);
  });

  it('reports a wrong kwarg type at its path and every problem at once', async () => {
    const dir = tempDir();
    const f = writeConfig(dir, GOOD(', rtype: diagonal', 'Linear', '{alpha: "big"}'));
    const r = await runCli(['validate', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/QONLINE_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/rolling_gen\/kwargs\/rtype: RollingGen: expected one of "expanding", "sliding"/);
    expect(r.stderr).toMatch(/model\/kwargs\/alpha: .*expected number/);
    expect(r.stderr).toMatch(/bad\.yaml:7:\d+/);
  });

  it('rejects unknown options and commands with exit 2', async () => {
    const r = await runCli(['run', 'configs/rolling.yaml', '--stpe', 'routine']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --stpe; did you mean --step/);
    const r2 = await runCli(['rnu']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown command/);
  });

  it('prints help for every command', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const commands = [...r.stdout.matchAll(/^ {2}([a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1]!);
    expect(commands).toContain('run');
    for (const c of commands) {
      const h = await runCli([...c.split(' '), '--help']);
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toContain(`Usage: qonline ${c}`);
    }
  });

  it('every shipped config validates', async () => {
    for (const f of readdirSync(path.join(ROOT, 'configs')).filter((x) => x.endsWith('.yaml'))) {
      // Validation reads ${ENV} references but never connects.
      const r = await runCli(['validate', path.join('configs', f)], { env: { QONLINE_PG_URL: 'postgres://validate-only@127.0.0.1:1/none' } });
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
    }
  });
});
