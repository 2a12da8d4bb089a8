import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/** Reads a Qlib .bin file independently of the product code. */
function readBin(file: string): { start: number; values: number[] } {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const values: number[] = [];
  for (let o = 4; o < buf.byteLength; o += 4) values.push(dv.getFloat32(o, true));
  return { start: dv.getFloat32(0, true), values };
}

describe('qonline data (built CLI)', () => {
  it('synthesises a market, evaluates expressions to CSV and JSON, and rejects bad input', async () => {
    const dir = tempDir('qonline-data-');
    const out = path.join(dir, 'mkt');
    const s = await runCli(['data', 'synth', '--out', out, '--instruments', '4', '--start', '2020-01-01', '--end', '2020-03-31', '--seed', '5', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const manifest = JSON.parse(s.stdout) as { instruments: number; calendar: { days: number } };
    expect(manifest.instruments).toBe(4);
    const calendar = readFileSync(path.join(out, 'calendars', 'day.txt'), 'utf8').trim().split('\n');
    expect(calendar.length).toBe(manifest.calendar.days);

    const code = 'SH600000';
    const close = readBin(path.join(out, 'features', code.toLowerCase(), 'close.day.bin'));
    const r = await runCli(['data', 'features', '--uri', out, '--instruments', code, '--start', '2020-03-02', '--end', '2020-03-31', '--field', '$close', '--field', 'Mean($close, 3)']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('instrument,date,$close,"Mean($close, 3)"');
    for (const line of lines.slice(1)) {
      const [inst, d, c, m] = line.split(',');
      expect(inst).toBe(code);
      const t = calendar.indexOf(d!) - close.start;
      const expectClose = close.values[t]!;
      if (Number.isNaN(expectClose)) expect(c).toBe('');
      else expect(Number(c)).toBeCloseTo(expectClose, 4);
      // Independent 3-row mean over the stored series, NaN rows skipped (min periods 1).
      const win = [close.values[t], close.values[t - 1], close.values[t - 2]].filter((v) => v !== undefined && !Number.isNaN(v));
      if (win.length) expect(Number(m)).toBeCloseTo((win as number[]).reduce((a, b) => a + b, 0) / win.length, 3);
      else expect(m).toBe('');
    }

    const j = await runCli(['data', 'features', '--uri', out, '--market', 'all', '--start', '2020-03-30', '--end', '2020-03-31', '--handler', 'Alpha158', '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    const rows = JSON.parse(j.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!)).toHaveLength(2 + 158 + 1);
    expect(Object.keys(rows[0]!).slice(2, 4)).toEqual(['KMID', 'KLEN']);

    const bad = await runCli(['data', 'features', '--uri', out, '--market', 'all', '--start', '2020-03-30', '--end', '2020-03-31', '--field', 'Mean($close 5)']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/QONLINE_EXPRESSION_SYNTAX/);
    const both = await runCli(['data', 'features', '--uri', out, '--start', '2020-03-30', '--end', '2020-03-31', '--field', '$close']);
    expect(both.code).toBe(2);

    // Qlib's semantics: Ref(x, 0) repeats the first loaded row (the request's first), EMA(x, 0) parses.
    const q = await runCli(['data', 'features', '--uri', out, '--instruments', code, '--start', '2020-03-02', '--end', '2020-03-31', '--field', 'Ref($close, 0)', '--field', 'EMA($close, 0)', '--expressions', 'qlib']);
    expect(q.code, q.stderr).toBe(0);
    const qLines = q.stdout.trim().split('\n').slice(1);
    const first = close.values[calendar.indexOf(qLines[0]!.split(',')[1]!) - close.start]!;
    expect(qLines.length).toBeGreaterThan(15);
    for (const line of qLines) expect(Number(line.split(',')[2])).toBeCloseTo(first, 4);
    const dflt = await runCli(['data', 'features', '--uri', out, '--instruments', code, '--start', '2020-03-02', '--end', '2020-03-31', '--field', 'EMA($close, 0)']);
    expect(dflt.code).toBe(2);
    const wrong = await runCli(['data', 'features', '--uri', out, '--instruments', code, '--start', '2020-03-02', '--end', '2020-03-31', '--field', '$close', '--expressions', 'pandas']);
    expect(wrong.code).toBe(2);
  });
});
