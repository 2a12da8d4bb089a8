import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, tempDir } from '../helpers/cli.js';

/** Starts `data synth`, waits until its temp folder exists, sends `signal`; returns the exit code. */
async function killDuringWrite(dir: string, signal: NodeJS.Signals): Promise<number | string> {
  const child = spawn(process.execPath, [CLI, 'data', 'synth', '--out', path.join(dir, 'market'), '--instruments', '1000', '--start', '2016-01-01', '--end', '2021-12-31'], {
    stdio: 'ignore',
  });
  const closed = new Promise<number | string>((resolve) => child.on('close', (c, s) => resolve(c ?? s ?? -1)));
  for (;;) {
    if (readdirSync(dir).some((e) => e.includes('.tmp-'))) break;
    const done = await Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5))]);
    if (done) throw new Error('the generation finished before its temp folder was seen');
  }
  child.kill(signal);
  return closed;
}

describe('an interrupted synthetic-data generation leaves no temp folder behind (built CLI)', () => {
  it('SIGTERM while writing: the temp folder is removed before the process ends', async () => {
    const dir = tempDir('qonline-synth-');
    const code = await killDuringWrite(dir, 'SIGTERM');
    expect(code === 143 || code === 'SIGTERM').toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it('SIGKILL while writing: the next generation removes the dead process\u2019s temp folder', async () => {
    const dir = tempDir('qonline-synth-');
    await killDuringWrite(dir, 'SIGKILL');
    expect(readdirSync(dir).some((e) => e.includes('.tmp-'))).toBe(true);
    const r = await runCli(['data', 'synth', '--out', path.join(dir, 'market'), '--instruments', '5', '--start', '2020-01-01', '--end', '2020-03-31']);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['market']);
  }, 120_000);
});
