import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeUserConfig, readUserConfig } from '../../../../plugins/users/index.js';
import { tempDir } from '../../../helpers/cli.js';

const dir = tempDir('qonline-user-config-');
function file(name: string, lines: string[]): string {
  const f = path.join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}
const GOOD = ['init_cash: 1000000', 'strategy: {class: TopkDropoutStrategy, kwargs: {topk: 5, n_drop: 1}}', 'benchmark: SH600000', 'model: {file: scores.csv}'];

describe('user config', () => {
  it('reads a user config with defaults; a file source is made absolute from the config folder', () => {
    const f = file('good.yaml', GOOD);
    const c = readUserConfig(f).config;
    expect(c).toEqual({
      init_cash: 1000000,
      strategy: { class: 'TopkDropoutStrategy', kwargs: { topk: 5, n_drop: 1 } },
      exchange_kwargs: {},
      region: 'cn',
      benchmark: 'SH600000',
      data: { class: 'SyntheticMarket' },
      model: { file: path.join(dir, 'scores.csv') },
    });
    expect(looksLikeUserConfig({ init_cash: 1, strategy: {}, model: {} })).toBe(true);
    expect(looksLikeUserConfig({ init_cash: 1, strategy: {}, model: {}, manager: {} })).toBe(false);
  });

  it.each([
    ['a negative cash', ['init_cash: -1', ...GOOD.slice(1)], 1, '/init_cash', 'positive number'],
    ['an unknown key', [...GOOD, 'benchmrk: X'], 5, '/benchmrk', 'unknown property'],
    ['two score sources', [...GOOD.slice(0, 3), 'model: {manager: a, file: b.csv}'], 4, '/model', 'exactly one of'],
    ['an unknown score source', [...GOOD.slice(0, 3), 'model: {managr: a}'], 4, '/model', 'exactly one of'],
    ['a bad region', [...GOOD, 'region: eu'], 5, '/region', 'cn or us'],
    ['a strategy without class', ['init_cash: 5', 'strategy: {kwargs: {topk: 5}}', 'model: {manager: m}'], 2, '/strategy', 'trading strategy'],
  ])('refuses %s with file, line and JSON path', (_what, lines, line, pointer, text) => {
    const f = file('bad.yaml', lines);
    let err: { code?: string; message?: string; location?: { file?: string; line?: number; path?: string } } = {};
    try {
      readUserConfig(f);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('QONLINE_CONFIG_INVALID');
    expect(err.message).toContain(text);
    expect(err.location).toEqual({ file: f, line, path: pointer });
  });

  it('a YAML syntax error is QONLINE_CONFIG_PARSE with its line', () => {
    const f = file('parse.yaml', ['init_cash: 5', 'strategy: {class: X', 'model: {manager: m}']);
    expect(() => readUserConfig(f)).toThrow(expect.objectContaining({ code: 'QONLINE_CONFIG_PARSE' }));
  });

  it('substitutes ${VAR} and ${VAR:-default} as pipeline configs do; an unset variable is QONLINE_CONFIG_ENV at its line', () => {
    const f = file('env.yaml', [...GOOD, 'store: {class: PostgresStore, kwargs: {url: "${U_URL}", schema: "${U_SCHEMA:-qonline}"}}']);
    expect(readUserConfig(f, { U_URL: 'postgres://h/db' }).config.store).toEqual({ class: 'PostgresStore', kwargs: { url: 'postgres://h/db', schema: 'qonline' } });
    expect(() => readUserConfig(f, {})).toThrow(expect.objectContaining({ code: 'QONLINE_CONFIG_ENV', location: { file: f, line: 5, path: '/store/kwargs/url' } }));
  });
});
