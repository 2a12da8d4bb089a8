import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { threadId } from 'node:worker_threads';
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
 * The home lock: a file holding its owner (pid, thread, a random nonce).
 *
 * Every step is atomic on the file system:
 * - A lock is created complete: its content is written to a private temp
 *   file first and then hard-linked to the lock name (`link` fails if the
 *   name exists), so a reader never sees a lock without an owner written by
 *   this code. An empty or unreadable lock (another writer between create and
 *   write) counts as held until it is older than `EMPTY_GRACE_MS`.
 * - A stale lock (its process is gone) is taken over by exactly one process:
 *   the taker must first create the name `<lock>.takeover-<stale nonce>`
 *   (again by `link`, so only one process can), then checks the lock still is
 *   the stale one and atomically renames its own complete temp file over it.
 *   Nobody deletes a lock it does not own, so there is no read-delete-create
 *   window. A taker that died before renaming leaves its takeover file: the
 *   next taker escalates to `<lock>.takeover-<stale nonce>-<dead taker's
 *   nonce>`, which again only one process can create.
 * - After taking the lock its content is read back and must be the taker's own.
 */
export class HomeLock {
  private nonce: string | null = null;
  constructor(private readonly file: string) {}

  acquire(what: string): void {
    if (this.nonce) throw new QonlineError('QONLINE_STORE_LOCKED', `${this.file} is already held by this lock object`);
    const owner: LockOwner = { pid: process.pid, thread: threadId, nonce: randomBytes(12).toString('hex'), what, since: new Date().toISOString() };
    const tmp = `${this.file}.${owner.nonce}.tmp`;
    writeFileSync(tmp, JSON.stringify(owner), { flag: 'wx' });
    try {
      if (tryLink(tmp, this.file)) return this.took(owner);
      // The name exists: held, or stale and to be taken over.
      let chain: string[] = [];
      for (let round = 0; round < 64; round++) {
        const seen = inspect(this.file);
        if (seen === 'gone') {
          // Released meanwhile: an ordinary exclusive create.
          if (tryLink(tmp, this.file)) return this.took(owner);
          continue;
        }
        if (seen.state === 'held') throw this.locked(seen.owner);
        // Stale: whoever creates this generation's takeover name may replace the lock.
        chain = chain.length && chain[0] === seen.id ? chain : [seen.id];
        const takeover = `${this.file}.takeover-${chain.join('-')}`;
        if (!tryLink(tmp, takeover)) {
          const taker = readOwner(takeover);
          if (taker && !ownerGone(taker)) throw this.locked(taker, 'is taking over a stale lock of');
          if (!taker && !olderThan(takeover, EMPTY_GRACE_MS)) throw this.locked(null, 'is taking over a stale lock of');
          // The taker of this generation died before finishing: escalate to a name of its own.
          if (taker) chain.push(taker.nonce);
          else chain.push(`i${statSafe(takeover)?.ino ?? 0}`);
          continue;
        }
        try {
          // We alone may replace generation `seen.id`; it must still be the one at the lock's name.
          const now = inspect(this.file);
          if (now === 'gone' || now.state !== 'stale' || now.id !== seen.id) continue;
          renameSync(tmp, this.file);
          // Generation `seen.id` is gone: its takeover names (ours, dead takers') are free.
          for (let k = 1; k < chain.length; k++) rmSync(`${this.file}.takeover-${chain.slice(0, k).join('-')}`, { force: true });
          return this.took(owner);
        } finally {
          rmSync(takeover, { force: true });
        }
      }
      throw new QonlineError('QONLINE_STORE_LOCKED', `cannot take the lock ${this.file} (it kept changing hands)`);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  private took(owner: LockOwner): void {
    const back = readOwner(this.file);
    if (!back || back.nonce !== owner.nonce) throw this.locked(back);
    this.nonce = owner.nonce;
    held.add(owner.nonce);
  }

  private locked(owner: LockOwner | null, verb = 'holds'): QonlineError {
    const who = owner ? `pid ${owner.pid}${owner.thread ? ` thread ${owner.thread}` : ''}, ${owner.what}` : 'a process still writing its lock';
    return new QonlineError('QONLINE_STORE_LOCKED', `another qonline process (${who}) ${verb} ${this.file}`, {
      hint: 'wait for it to finish; a lock of a dead process is taken over automatically',
    });
  }

  /** Removes the lock if this object still owns it (nobody else can replace a live owner's lock). */
  release(): void {
    if (!this.nonce) return;
    const owner = readOwner(this.file);
    if (owner?.nonce === this.nonce) rmSync(this.file, { force: true });
    held.delete(this.nonce);
    this.nonce = null;
  }
}

/** What a reader sees of a home lock (`qonline doctor`): nothing is taken, removed or written. */
export type HomeLockState =
  | { state: 'free'; leftovers: string[] }
  | { state: 'held' | 'stale'; owner: { pid: number; what: string; since: string | null } | null; leftovers: string[] };

/**
 * Whether `file` is free, held by a live process, or stale (its process is
 * gone, or it stayed empty past the grace period), and the files a dead
 * taker left beside it (`<lock>.takeover-*`, `<lock>.*.tmp`).
 */
export function inspectHomeLock(file: string): HomeLockState {
  let leftovers: string[] = [];
  try {
    const base = path.basename(file);
    leftovers = readdirSync(path.dirname(file))
      .filter((f) => f.startsWith(`${base}.takeover-`) || (f.startsWith(`${base}.`) && f.endsWith('.tmp')))
      .sort()
      .map((f) => path.join(path.dirname(file), f));
  } catch {
    // no home folder: nothing beside the lock either
  }
  const st = statSafe(file);
  if (!st) return { state: 'free', leftovers };
  const owner = readOwner(file);
  if (!owner) return { state: Date.now() - st.mtimeMs < EMPTY_GRACE_MS ? 'held' : 'stale', owner: null, leftovers };
  const shown = { pid: owner.pid, what: owner.what, since: owner.since ?? null };
  return { state: ownerGone(owner) ? 'stale' : 'held', owner: shown, leftovers };
}

/** How long an empty or half-written lock counts as held (its writer may be between create and write). */
export const EMPTY_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  thread?: number;
  nonce: string;
  what: string;
  since?: string;
}

/** Nonces of the locks this thread holds (a lock with our pid and thread but another nonce is a dead process's whose pid was reused). */
const held = new Set<string>();

type Seen = 'gone' | { state: 'held'; owner: LockOwner | null } | { state: 'stale'; id: string };

function inspect(file: string): Seen {
  const st = statSafe(file);
  if (!st) return 'gone';
  const owner = readOwner(file);
  if (!owner) {
    if (Date.now() - st.mtimeMs < EMPTY_GRACE_MS) return { state: 'held', owner: null };
    return { state: 'stale', id: `i${st.ino}m${Math.round(st.mtimeMs)}` };
  }
  return ownerGone(owner) ? { state: 'stale', id: owner.nonce } : { state: 'held', owner };
}

function ownerGone(o: LockOwner): boolean {
  if (o.pid === process.pid) {
    // Another thread of this process, or this thread's own live lock: held. Same thread, unknown nonce: a reused pid.
    if ((o.thread ?? 0) !== threadId) return false;
    return !held.has(o.nonce);
  }
  return !isAlive(o.pid);
}

function tryLink(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function statSafe(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function olderThan(file: string, ms: number): boolean {
  const st = statSafe(file);
  return !st || Date.now() - st.mtimeMs >= ms;
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (typeof o?.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return null;
    // Locks written before nonces existed: the pid and start time identify the generation.
    return { pid: o.pid, thread: typeof o.thread === 'number' ? o.thread : 0, nonce: typeof o.nonce === 'string' && o.nonce ? o.nonce : `p${o.pid}s${String(o.since ?? '')}`, what: String(o.what ?? '?'), since: o.since };
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
