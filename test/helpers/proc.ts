import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from './cli.js';

/** A running CLI process with its output so far. */
export interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number>;
}

/** Starts the built CLI in the background (kill it in afterEach: see `live`). */
export function startCli(args: string[], live?: Set<ChildProcess>): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live?.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number>((resolve) =>
    child.on('close', (code, signal) => {
      live?.delete(child);
      resolve(code ?? (signal ? -1 : 0));
    }),
  );
  return { child, out: () => out, err: () => err, exit };
}

/** Polls `fn` until it gives a truthy value (a generous deadline: the machine may be loaded). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The value of one sample of a Prometheus text exposition (`name{a="b"}`), or undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
