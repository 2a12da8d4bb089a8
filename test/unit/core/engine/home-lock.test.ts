import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_GRACE_MS, HomeLock } from '../../../../core/engine/home.js';
import { ROOT } from '../../../helpers/cli.js';

// The racers run the real HomeLock, bundled once for plain `node` (child processes and worker threads).
let dir: string;
let bundle: string;
let racer: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'qonline-lock-'));
  bundle = path.join(dir, 'home.mjs');
  buildSync({ entryPoints: [path.join(ROOT, 'core/engine/home.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent' });
  // Waits for the start time, tries once, reports, then holds what it took until told to finish.
  racer = path.join(dir, 'racer.mjs');
  writeFileSync(
    racer,
    `import { HomeLock } from ${JSON.stringify(pathToFileURL(bundle).href)};
const [file, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {}
const lock = new HomeLock(file);
let out;
try { lock.acquire('racer'); out = 'won'; } catch (e) { out = e.code ?? String(e); }
process.stdout.write(out + '\\n');
process.stdin.resume();
process.stdin.on('end', () => { lock.release(); process.exit(0); });
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pid no process has: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

/** `n` processes race for `file` from the same instant; returns each one's outcome once all have tried. */
async function raceProcesses(file: string, n: number): Promise<string[]> {
  const startAt = Date.now() + 400 + 60 * n;
  const children = Array.from({ length: n }, () => spawn(process.execPath, [racer, file, String(startAt)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const outcomes = await Promise.all(
    children.map(
      (c) =>
        new Promise<string>((resolve, reject) => {
          let buf = '';
          c.stdout!.on('data', (d) => {
            buf += d;
            if (buf.includes('\n')) resolve(buf.trim());
          });
          c.on('error', reject);
          c.on('exit', (code) => (buf.includes('\n') ? undefined : reject(new Error(`racer exited with ${code} before reporting`))));
        }),
    ),
  );
  // Winners hold the lock until every racer has tried (a loser must not see a dead winner).
  await Promise.all(children.map((c) => new Promise<void>((resolve) => (c.on('exit', () => resolve()), c.stdin!.end()))));
  return outcomes;
}

/** The same race between worker threads of one process (same pid, different threads). */
async function raceThreads(file: string, n: number): Promise<string[]> {
  const startAt = Date.now() + 300 + 30 * n;
  const code = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.bundle).then(({ HomeLock }) => {
  while (Date.now() < workerData.startAt) {}
  const lock = new HomeLock(workerData.file);
  let out;
  try { lock.acquire('thread'); out = 'won'; } catch (e) { out = e.code ?? String(e); }
  parentPort.postMessage(out);
  parentPort.once('message', () => { lock.release(); parentPort.postMessage('released'); });
});`;
  const workers = Array.from({ length: n }, () => new Worker(code, { eval: true, workerData: { bundle: pathToFileURL(bundle).href, file, startAt } }));
  const outcomes = await Promise.all(workers.map((w) => new Promise<string>((resolve, reject) => (w.once('message', resolve), w.once('error', reject)))));
  for (const w of workers) {
    const released = new Promise((r) => w.once('message', r));
    w.postMessage('finish');
    await released;
    await w.terminate();
  }
  return outcomes;
}

function staleLock(file: string, round: number): void {
  writeFileSync(file, JSON.stringify({ pid: deadPid(), nonce: `dead-${round}`, what: 'a killed run', since: new Date().toISOString() }));
}

describe('HomeLock', () => {
  it('exactly one of many processes racing for a stale lock wins; the others get QONLINE_STORE_LOCKED', async () => {
    const rounds = 8;
    const racers = 6;
    for (let round = 0; round < rounds; round++) {
      const file = path.join(dir, `p${round}.lock`);
      staleLock(file, round);
      const outcomes = await raceProcesses(file, racers);
      expect(outcomes.filter((o) => o === 'won'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'won').every((o) => o === 'QONLINE_STORE_LOCKED'), outcomes.join(', ')).toBe(true);
      // The winner released on exit: nothing is left behind (lock, temp or takeover files).
      expect(readdirSync(dir).filter((f) => f.startsWith(`p${round}.lock`))).toEqual([]);
    }
  });

  it('exactly one of many processes racing for a free lock wins', async () => {
    const outcomes = await raceProcesses(path.join(dir, 'free.lock'), 6);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
  });

  it('exactly one of many worker threads racing for a stale lock wins', async () => {
    for (let round = 0; round < 10; round++) {
      const file = path.join(dir, `t${round}.lock`);
      staleLock(file, round);
      const outcomes = await raceThreads(file, 6);
      expect(outcomes.filter((o) => o === 'won'), `round ${round}: ${outcomes.join(', ')}`).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'won').every((o) => o === 'QONLINE_STORE_LOCKED')).toBe(true);
    }
  });

  it('an empty lock is being written: held while recent, stale once old', () => {
    const file = path.join(dir, 'empty.lock');
    writeFileSync(file, '');
    const lock = new HomeLock(file);
    expect(() => lock.acquire('test')).toThrow(expect.objectContaining({ code: 'QONLINE_STORE_LOCKED' }));
    const old = (Date.now() - EMPTY_GRACE_MS - 1000) / 1000;
    utimesSync(file, old, old);
    lock.acquire('test');
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a live owner keeps its lock; a second lock in the same thread is refused', () => {
    const file = path.join(dir, 'live.lock');
    const a = new HomeLock(file);
    a.acquire('first');
    const b = new HomeLock(file);
    expect(() => b.acquire('second')).toThrow(expect.objectContaining({ code: 'QONLINE_STORE_LOCKED' }));
    b.release(); // not the owner: leaves the lock alone
    expect(existsSync(file)).toBe(true);
    a.release();
    b.acquire('second');
    b.release();
  });

  it('a taker that died mid-takeover does not block the next one', () => {
    const file = path.join(dir, 'mid.lock');
    staleLock(file, 99);
    // The dead taker created the takeover name of generation dead-99 and never renamed.
    writeFileSync(`${file}.takeover-dead-99`, JSON.stringify({ pid: deadPid(), nonce: 'taker', what: 'killed taker' }));
    const lock = new HomeLock(file);
    lock.acquire('next');
    lock.release();
    expect(readdirSync(dir).filter((f) => f.startsWith('mid.lock'))).toEqual([]);
  });
});
