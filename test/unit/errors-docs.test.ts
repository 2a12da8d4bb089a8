import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors/codes.js';
import { errorsReference } from '../../core/docs/generate.js';
import { ROOT } from '../helpers/cli.js';

describe('error code registry', () => {
  it('docs/errors.md is generated from the registry (run `qonline docs errors --out docs/errors.md`)', () => {
    expect(readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8')).toBe(errorsReference());
  });

  it('every code used in the source is registered', () => {
    const used = execSync(`grep -rhoE "'QONLINE_[A-Z_]+'" core plugins --include=*.ts`, { cwd: ROOT }).toString().split('\n').filter(Boolean).map((s) => s.slice(1, -1));
    // Environment variables share the prefix; they are not error codes.
    const ENV = new Set(['QONLINE_HOME', 'QONLINE_PG_URL', 'QONLINE_TEST_PG_URL', 'QONLINE_REQUIRE_PG', 'QONLINE_REQUIRE_BROWSER', 'QONLINE_TEST_KILL_ON_STDERR', 'QONLINE_TRUSTED_PLUGINS', 'QONLINE_API_TOKEN', 'QONLINE_CODE_CACHE', 'QONLINE_CODE_CACHE_DIR', 'QONLINE_TEST_GBDT_WORKER_EXIT']);
    const unknown = [...new Set(used)].filter((c) => !(c in ERROR_CODES) && !ENV.has(c));
    expect(unknown).toEqual([]);
  });
});
