import sqlite3 from 'sqlite3';

/** Reads a store file directly (read-only), independently of the product code. */
export function sqliteAll<T>(file: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return reject(err);
      db.all(sql, params, (e: Error | null, rows: T[]) => {
        db.close();
        if (e) reject(e);
        else resolve(rows);
      });
    });
  });
}

export async function sqliteOne<T>(file: string, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await sqliteAll<T>(file, sql, params);
  return rows[0]!;
}
