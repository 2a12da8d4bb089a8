import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { QonlineError } from '../errors/index.js';

/** The home folder: `--home`, then QONLINE_HOME, then the config's `home:`, then `.qonline/`. */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv, configHome: string | undefined, configDir: string | undefined): string {
  if (flag) return path.resolve(flag);
  if (env['QONLINE_HOME']) return path.resolve(env['QONLINE_HOME']);
  if (configHome) return path.resolve(configDir ?? '.', configHome);
  return path.resolve('.qonline');
}

export function ensureHome(home: string): void {
  for (const d of ['', 'data', 'cache', 'reports']) mkdirSync(path.join(home, d), { recursive: true });
}

/**
 * An exclusive lock file (`O_EXCL`) holding the owner's pid. A lock whose
 * process is gone is stale and taken over, so a killed run never blocks the
 * next one.
 */
export class HomeLock {
  private held = false;
  constructor(private readonly file: string) {}

  acquire(what: string): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, what, since: new Date().toISOString() }));
        closeSync(fd);
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = readOwner(this.file);
        if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
          throw new QonlineError('QONLINE_STORE_LOCKED', `another qonline process (pid ${owner.pid}, ${owner.what}) holds ${this.file}`, {
            hint: 'wait for it to finish; a lock of a dead process is taken over automatically',
          });
        }
        rmSync(this.file, { force: true });
      }
    }
    throw new QonlineError('QONLINE_STORE_LOCKED', `cannot take the lock ${this.file}`);
  }

  release(): void {
    if (!this.held) return;
    const owner = readOwner(this.file);
    if (owner?.pid === process.pid) rmSync(this.file, { force: true });
    this.held = false;
  }
}

function readOwner(file: string): { pid: number; what: string } | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { pid: number; what: string };
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
