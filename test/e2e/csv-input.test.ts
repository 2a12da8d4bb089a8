import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const HEADER = 'date,open,high,low,close,volume';

describe('data import-csv refuses bad values with file:line, exit 2, nothing written (built CLI)', () => {
  const cases: [string, string, RegExp, number][] = [
    ['float32 overflow', `${HEADER}\n2021-01-04,1,1,1,1e39,1\n`, /"1e39" is not a finite number a float32 can hold/, 2],
    ['5-million-digit number', `${HEADER}\n2021-01-04,1,1,1,${'7'.repeat(5_000_000)},1\n`, /\(5000000 characters\)" is not a finite number/, 2],
    ['negative price', `${HEADER}\n2021-01-04,1,1,1,1,1\n2021-01-05,1,1,1,-2,1\n`, /price or volume cannot be negative/, 3],
    ['year 0000', `${HEADER}\n0000-01-01,1,1,1,1,1\n`, /real calendar date YYYY-MM-DD, found "0000-01-01"/, 2],
    ['CR-only line endings', `${HEADER}\r2021-01-04,1,1,1,1,1\r`, /lone CR/, 1],
  ];
  for (const [name, text, pattern, line] of cases) {
    it(name, async () => {
      const root = tempDir('qonline-csv-');
      const src = path.join(root, 'src');
      mkdirSync(src);
      const file = path.join(src, 'SH600000.csv');
      writeFileSync(file, text);
      const out = path.join(root, 'out');
      const r = await runCli(['data', 'import-csv', '--src', src, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.startsWith(`error QONLINE_INPUT_INVALID: ${file}:${line}: `)).toBe(true);
      // The file is named once.
      expect(r.stderr.split('SH600000.csv').length - 1).toBe(1);
      expect(r.stderr.length).toBeLessThan(2000);
      expect(existsSync(out)).toBe(false);
    });
  }
});
