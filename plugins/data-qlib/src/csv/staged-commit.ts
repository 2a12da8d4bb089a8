import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { QonlineError } from '../../../../core/index.js';
import { writeFileAtomic } from '../storage/index.js';

/** A file to (re)write, by path relative to the data dir. */
export interface StagedFile {
  rel: string;
  bytes: Uint8Array;
}

export const JOURNAL_FILE = '.qonline-import-journal.json';
export const LOCK_FILE = '.qonline-import.lock';
const STAGING_PREFIX = '.qonline-staging-';

interface Journal {
  staging: string;
  moves: string[];
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function writeStaged(root: string, files: readonly StagedFile[]): Promise<void> {
  const dirs = new Set(files.map((f) => dirname(join(root, f.rel))));
  for (const d of dirs) await fsp.mkdir(d, { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      await fsp.writeFile(join(root, f.rel), f.bytes);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * Makes `files` appear in `dataDir` all or nothing.
 * - A new data dir is built whole beside it and renamed into place (atomic).
 * - An existing one gets the files staged inside it, then a journal (the
 *   commit point), then one rename per file in the given order. A process
 *   killed after the journal is written is finished by `recoverInterruptedImport`;
 *   one killed before it left only a staging folder, which recovery deletes.
 */
export async function commitFiles(dataDir: string, files: readonly StagedFile[]): Promise<void> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  if (!(await pathExists(dataDir))) {
    const parent = dirname(dataDir);
    await fsp.mkdir(parent, { recursive: true });
    const staging = join(parent, `.${basename(dataDir)}.staging-${tag}`);
    try {
      await writeStaged(staging, files);
      try {
        await fsp.rename(staging, dataDir);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          throw new QonlineError('QONLINE_DATA_INVALID', `${dataDir} was created by someone else during the import; nothing was written, run the import again`);
        }
        throw e;
      }
    } finally {
      await fsp.rm(staging, { recursive: true, force: true });
    }
    return;
  }
  const stagingName = STAGING_PREFIX + tag;
  const staging = join(dataDir, stagingName);
  try {
    await writeStaged(staging, files);
    const journal: Journal = { staging: stagingName, moves: files.map((f) => f.rel) };
    await writeFileAtomic(join(dataDir, JOURNAL_FILE), JSON.stringify(journal));
  } catch (e) {
    await fsp.rm(staging, { recursive: true, force: true });
    throw e;
  }
  await rollForward(dataDir);
}

async function rollForward(dataDir: string): Promise<void> {
  const journalPath = join(dataDir, JOURNAL_FILE);
  const journal = JSON.parse(await fsp.readFile(journalPath, 'utf8')) as Journal;
  const staging = join(dataDir, journal.staging);
  // One mkdir per folder, shared by concurrent moves into it.
  const madeDirs = new Map<string, Promise<unknown>>();
  const move = async (rel: string): Promise<void> => {
    const from = join(staging, rel);
    const to = join(dataDir, rel);
    const dir = dirname(to);
    let made = madeDirs.get(dir);
    if (made === undefined) {
      made = fsp.mkdir(dir, { recursive: true });
      madeDirs.set(dir, made);
    }
    await made;
    try {
      await fsp.rename(from, to);
    } catch (e) {
      // A source that is gone was moved by an earlier, interrupted attempt.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || (await pathExists(from))) throw e;
    }
  };
  // Feature files in any order (a few at a time); the rest (instruments, then calendar) in journal order.
  const features = journal.moves.filter((rel) => rel.startsWith('features'));
  const rest = journal.moves.filter((rel) => !rel.startsWith('features'));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < features.length) await move(features[next++]!);
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  for (const rel of rest) await move(rel);
  await fsp.rm(journalPath, { force: true });
  await fsp.rm(staging, { recursive: true, force: true });
}

/**
 * Finishes an import that was killed after its commit point and removes the
 * leftovers of one killed before it. Call with the import lock held.
 * Returns what it did, for the report.
 */
export async function recoverInterruptedImport(dataDir: string): Promise<'none' | 'rolled-forward' | 'cleaned'> {
  let result: 'none' | 'rolled-forward' | 'cleaned' = 'none';
  if (await pathExists(join(dataDir, JOURNAL_FILE))) {
    await rollForward(dataDir);
    result = 'rolled-forward';
  }
  let names: string[] = [];
  try {
    names = await fsp.readdir(dataDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const n of names) {
    if (n.startsWith(STAGING_PREFIX)) {
      await fsp.rm(join(dataDir, n), { recursive: true, force: true });
      if (result === 'none') result = 'cleaned';
    }
  }
  return result;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on an existing data dir for the duration of `fn`. A lock
 * left by a process that no longer exists is taken over.
 */
export async function withImportLock<T>(dataDir: string, fn: () => Promise<T>): Promise<T> {
  const lockPath = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await fsp.writeFile(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new QonlineError('QONLINE_STORE_LOCKED', `${dataDir} is locked by another import (${lockPath})`);
        }
        throw e;
      }
      const holder = Number((await fsp.readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new QonlineError('QONLINE_STORE_LOCKED', `${dataDir} is being imported into by process ${holder} (${lockPath})`, {
          hint: 'wait for that import to finish; delete the lock file only if that process is not an import',
        });
      }
      await fsp.rm(lockPath, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockPath, { force: true });
  }
}
