import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

export interface ServeProc {
  /** The address serve printed in its JSON start line (ends with '/'). */
  url: string;
  child: ChildProcess;
  stderr: () => string;
}

/**
 * Starts the built CLI's `qonline ARGS` (a `serve` command line) and waits
 * until it prints the address it listens on; fails with its stderr when it
 * exits first. The child is pushed on `children` for the file's afterAll.
 */
export async function startServe(args: string[], children: ChildProcess[], env: NodeJS.ProcessEnv = {}): Promise<ServeProc> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 20);
    child.on('close', (c) => {
      clearInterval(t);
      reject(new Error(`serve exited ${c}: ${err}`));
    });
  });
  return { url, child, stderr: () => err };
}
