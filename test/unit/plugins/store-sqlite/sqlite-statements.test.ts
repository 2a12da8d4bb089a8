import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteDriver } from '../../../../plugins/store-sqlite/index.js';

/** A driver on a fresh file, with a count of the statements it prepares to keep. */
async function openCounted(file = path.join(mkdtempSync(path.join(os.tmpdir(), 'qonline-sqlite-st-')), 'db.sqlite')): Promise<{ driver: SqliteDriver; prepared: string[]; file: string }> {
  const driver = await SqliteDriver.open({ file });
  const db = (driver as unknown as { db: { prepare: (...a: unknown[]) => unknown } }).db;
  const prepared: string[] = [];
  const prepare = db.prepare.bind(db);
  db.prepare = (...a: unknown[]) => {
    prepared.push(String(a[0]));
    return prepare(...a);
  };
  return { driver, prepared, file };
}

describe('SQLite driver: prepared statements kept per connection', () => {
  const open: SqliteDriver[] = [];
  afterEach(async () => {
    for (const d of open.splice(0)) await d.close().catch(() => undefined);
  });

  it('prepares a repeated read or write once, with the same results as fresh statements', async () => {
    const { driver, prepared } = await openCounted();
    open.push(driver);
    await driver.run('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
    for (let i = 0; i < 5; i++) expect(await driver.run('INSERT INTO t (k, v) VALUES (?, ?)', [`k${i}`, i])).toEqual({ changes: 1 });
    expect(await driver.run('UPDATE t SET v = v + 10 WHERE v >= ?', [3])).toEqual({ changes: 2 });
    for (let i = 0; i < 5; i++) expect(await driver.all('SELECT k, v FROM t WHERE v >= ? ORDER BY k', [i])).toEqual(
      [0, 1, 2, 13, 14].map((v, j) => ({ k: `k${j}`, v })).filter((r) => r.v >= i),
    );
    expect(prepared.filter((s) => s.startsWith('INSERT'))).toHaveLength(1);
    expect(prepared.filter((s) => s.startsWith('SELECT'))).toHaveLength(1);
    // Transactions reuse BEGIN IMMEDIATE / COMMIT too, and a rollback leaves nothing behind.
    await driver.transaction((tx) => tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['x', 1]));
    await expect(driver.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['y', 1]);
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['y', 2]);
    })).rejects.toMatchObject({ code: 'QONLINE_STORE' });
    await driver.transaction((tx) => tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['z', 1]));
    expect((await driver.all<{ k: string }>('SELECT k FROM t WHERE v = ? ORDER BY k', [1])).map((r) => r.k)).toEqual(['k1', 'x', 'z']);
    expect(prepared.filter((s) => s === 'BEGIN IMMEDIATE')).toHaveLength(1);
    expect(prepared.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it('one kept statement serves concurrent calls with their own parameters, inside a transaction too', async () => {
    const { driver, prepared } = await openCounted();
    open.push(driver);
    await driver.run('CREATE TABLE c (i INTEGER PRIMARY KEY, sq INTEGER)');
    await driver.transaction((tx) => Promise.all(Array.from({ length: 20 }, (_, i) => tx.run('INSERT INTO c (i, sq) VALUES (?, ?)', [i, i * i]))));
    const outside = await Promise.all(Array.from({ length: 20 }, (_, i) => driver.all<{ sq: number }>('SELECT sq FROM c WHERE i = ?', [i])));
    expect(outside.map((r) => r[0]!.sq)).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    const inside = await driver.transaction((tx) => Promise.all(Array.from({ length: 20 }, (_, i) => tx.all<{ sq: number }>('SELECT sq FROM c WHERE i = ?', [19 - i]))));
    expect(inside.map((r) => r[0]!.sq)).toEqual(Array.from({ length: 20 }, (_, i) => (19 - i) ** 2));
    expect(prepared.filter((s) => s.startsWith('SELECT sq'))).toHaveLength(1);
    expect(prepared.filter((s) => s.startsWith('INSERT'))).toHaveLength(1);
  });

  it('keeps no statement that returns rows from run (it would stay open), and none that failed to prepare', async () => {
    const { driver, prepared } = await openCounted();
    open.push(driver);
    await driver.run('PRAGMA user_version = 7');
    await driver.run('PRAGMA user_version = 7');
    expect(prepared.filter((s) => s.startsWith('PRAGMA'))).toHaveLength(0);
    await expect(driver.all('SELECT v FROM later')).rejects.toMatchObject({ code: 'QONLINE_STORE', message: expect.stringContaining('no such table') });
    await driver.run('CREATE TABLE later (v INTEGER)');
    await driver.run('INSERT INTO later (v) VALUES (?)', [5]);
    expect(await driver.all('SELECT v FROM later')).toEqual([{ v: 5 }]);
  });

  it('a kept statement follows schema changes and never holds a read snapshot between calls', async () => {
    const { driver, file } = await openCounted();
    open.push(driver);
    const other = await SqliteDriver.open({ file });
    open.push(other);
    await driver.run('CREATE TABLE s (a INTEGER)');
    await driver.run('INSERT INTO s (a) VALUES (1)');
    expect(await driver.all('SELECT * FROM s')).toEqual([{ a: 1 }]);
    // run() steps once: a SELECT through it would hold its snapshot if it were kept.
    await driver.run('SELECT * FROM s');
    // Another connection writes, and can checkpoint the whole WAL: no reader is left on an old snapshot.
    await other.run('INSERT INTO s (a) VALUES (2)');
    const [ckpt] = await other.all<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)');
    expect(ckpt!.busy).toBe(0);
    expect(await driver.all('SELECT * FROM s')).toEqual([{ a: 1 }, { a: 2 }]);
    await other.run('DROP TABLE s');
    await other.run('CREATE TABLE s (a INTEGER, b TEXT)');
    await other.run(`INSERT INTO s (a, b) VALUES (3, 'c')`);
    expect(await driver.all('SELECT * FROM s')).toEqual([{ a: 3, b: 'c' }]);
  });

  it('evicts the oldest of more than 64 statements, and closes with statements kept (the WAL is checkpointed away)', async () => {
    const { driver, prepared, file } = await openCounted();
    await driver.run('CREATE TABLE n (i INTEGER)');
    await driver.run('INSERT INTO n (i) VALUES (1)');
    const q = (i: number): string => `SELECT i + ${i} AS x FROM n`;
    for (let i = 0; i < 70; i++) expect(await driver.all(q(i))).toEqual([{ x: 1 + i }]);
    expect(await driver.all(q(69))).toEqual([{ x: 70 }]);
    expect(prepared.filter((s) => s === q(69))).toHaveLength(1);
    expect(await driver.all(q(0))).toEqual([{ x: 1 }]);
    expect(prepared.filter((s) => s === q(0))).toHaveLength(2);
    await driver.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
