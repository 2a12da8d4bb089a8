import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { QonlineError, type SqlDriver, type SqlExecutor, type TransactionOptions } from '../../../core/index.js';
import { classifyPgError, pgCode, postgresDialect } from './pg-dialect.js';
import { toPgPlaceholders } from './pg-placeholders.js';

export interface PgDriverOptions {
  /** `postgres://user:password@host:5432/database` */
  url: string;
  /** Schema holding the tables (created when missing). Default: the server's search_path (public). */
  schema?: string;
  /** Pooled connections. Default 10. */
  poolSize?: number;
  /** Give up connecting after this long. Default 10000. */
  connectTimeoutMs?: number;
  applicationName?: string;
  /** Create `schema` when missing (default true); false for readers that must write nothing. */
  createSchema?: boolean;
}

/** `pg`, loaded on first use: a process on SQLite does not pay its module load (about 0.1 s on a busy machine). */
const requireCjs = createRequire(import.meta.url);
let pgModule: typeof pg | undefined;
const pgLib = (): typeof pg => (pgModule ??= requireCjs('pg') as typeof pg);

interface Subscriber {
  onMessage: (payload: string) => void;
  onResubscribed?: () => void;
}

const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * PostgreSQL through `pg`: a pool for statements and transactions (one pooled
 * client per transaction), and dedicated clients, never the pool, for LISTEN
 * and for session advisory locks (both live as long as their connection).
 */
export class PgDriver implements SqlDriver {
  readonly dialect = postgresDialect;
  // The wire protocol counts bind parameters in an Int16.
  readonly maxParams = 65535;
  private readonly sqlCache = new Map<string, string>();
  private listener?: Promise<pg.Client>;
  private readonly channels = new Map<string, Set<Subscriber>>();
  private readonly lockClients = new Set<pg.Client>();
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    readonly schema: string | undefined,
    private readonly where: string,
  ) {}

  static async open(options: PgDriverOptions): Promise<PgDriver> {
    if (!options.url) throw new QonlineError('QONLINE_CONFIG_INVALID', 'PostgreSQL needs a connection url (postgres://user:password@host:5432/database)');
    if (options.schema !== undefined && !SCHEMA_RE.test(options.schema)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `schema must be a plain identifier (letters, digits, _), got ${JSON.stringify(options.schema)}`);
    }
    const types = new (pgLib().TypeOverrides)();
    // COUNT(*) and BIGINT ids: numbers, not strings (they stay far below 2^53 here).
    types.setTypeParser(20, (v: string) => Number(v));
    const clientConfig: pg.ClientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: options.applicationName ?? 'qonline',
      types,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    };
    const pool = new (pgLib().Pool)({ ...clientConfig, max: options.poolSize ?? 10 });
    // An idle client that dies (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const where = describeUrl(options.url);
    const driver = new PgDriver(pool, clientConfig, options.schema, where);
    try {
      if (options.schema && options.createSchema !== false) await driver.ensureSchema(options.schema);
      else await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof QonlineError) throw e;
      throw new QonlineError('QONLINE_STORE', `cannot connect to PostgreSQL at ${where}: ${(e as Error).message}`, {
        cause: e,
        hint: 'check the url (kwargs.url or $QONLINE_PG_URL), that the server runs and accepts this user',
      });
    }
    return driver;
  }

  private async ensureSchema(schema: string): Promise<void> {
    try {
      await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (e) {
      // Two processes creating it at once: one wins, the other sees a duplicate.
      if (classifyPgError(e) !== 'unique_violation' && pgCode(e) !== '42P06') throw e;
    }
  }

  private text(sql: string): string {
    let t = this.sqlCache.get(sql);
    if (t === undefined) {
      t = toPgPlaceholders(sql);
      if (this.sqlCache.size > 2000) this.sqlCache.clear();
      this.sqlCache.set(sql, t);
    }
    return t;
  }

  private async query(runner: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    try {
      return await runner.query(this.text(sql), params as unknown[]);
    } catch (e) {
      throw storeError(e, sql);
    }
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.query(this.pool, sql, params)).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(this.pool, sql, params)).rowCount ?? 0 };
  }

  /**
   * One pooled client for the whole transaction; serializable by default (see
   * TransactionOptions), retried on serialization failures and deadlocks.
   */
  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const serializable = (options.isolation ?? 'serializable') === 'serializable';
    // Serializable transactions of busy writers may need several goes; deadlocks are rare.
    const maxAttempts = serializable ? 30 : 5;
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      // Set when the connection itself is in doubt: the pool then drops it instead of reusing it.
      let destroy: Error | undefined;
      try {
        try {
          await client.query(serializable ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN');
        } catch (e) {
          destroy = e as Error;
          throw storeError(e, 'BEGIN');
        }
        const tx: SqlExecutor = {
          all: async <R>(sql: string, params: readonly unknown[] = []) => (await this.query(client, sql, params)).rows as R[],
          run: async (sql: string, params: readonly unknown[] = []) => ({ changes: (await this.query(client, sql, params)).rowCount ?? 0 }),
        };
        try {
          const result = await fn(tx);
          await client.query('COMMIT');
          return result;
        } catch (e) {
          await client.query('ROLLBACK').catch((re: Error) => (destroy = re));
          // Serialization failures and deadlocks: the transaction is safe to run again.
          if (classifyPgError(e) === 'retry' && attempt < maxAttempts) {
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 5 * 2 ** attempt)));
            continue;
          }
          // Statements inside `fn` are already wrapped; a raw pg error here came from COMMIT.
          throw e instanceof pgLib().DatabaseError ? storeError(e, 'COMMIT') : e;
        }
      } finally {
        client.release(destroy);
      }
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (e) {
      throw new QonlineError('QONLINE_STORE', `cannot connect to PostgreSQL at ${this.where}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** NOTIFY goes out when `ex`'s transaction commits. Channels are per schema, so stores in different schemas do not wake each other. */
  async notify(ex: SqlExecutor, channel: string, payload: string): Promise<void> {
    await ex.run('SELECT pg_notify(?, ?)', [this.channel(channel), payload]);
  }

  async listen(channel: string, onMessage: (payload: string) => void, onResubscribed?: () => void): Promise<() => Promise<void>> {
    const name = this.channel(channel);
    let set = this.channels.get(name);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.channels.set(name, set);
    }
    const sub: Subscriber = { onMessage, onResubscribed };
    set.add(sub);
    if (fresh) {
      try {
        const client = await this.listenerClient();
        await client.query(`LISTEN "${name}"`);
      } catch (e) {
        set.delete(sub);
        if (!set.size) this.channels.delete(name);
        throw e;
      }
    }
    return async () => {
      const s = this.channels.get(name);
      if (!s) return;
      s.delete(sub);
      if (!s.size) {
        this.channels.delete(name);
        const client = this.closed ? undefined : await this.listener?.catch(() => undefined);
        await client?.query(`UNLISTEN "${name}"`).catch(() => undefined);
      }
    };
  }

  private channel(name: string): string {
    return this.schema ? `${name}_${createHash('sha1').update(this.schema).digest('hex').slice(0, 12)}` : name;
  }

  /**
   * The LISTEN connection. When it drops (server restart, idle kill) it is
   * reopened a second later and listens to every channel again; meanwhile
   * waiters fall back on polling.
   */
  private listenerClient(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new QonlineError('QONLINE_STORE', 'the PostgreSQL store is closed'));
    this.listener ??= (async () => {
      const client = new (pgLib().Client)(this.clientConfig);
      client.on('notification', (msg) => {
        for (const sub of this.channels.get(msg.channel) ?? []) sub.onMessage(msg.payload ?? '');
      });
      let lost = false;
      const onLost = (): void => {
        if (lost || this.closed) return;
        lost = true;
        this.listener = undefined;
        client.end().catch(() => undefined);
        const timer = setTimeout(() => void this.relisten(), 1000);
        timer.unref();
      };
      client.on('error', onLost);
      client.on('end', onLost);
      try {
        await client.connect();
      } catch (e) {
        this.listener = undefined;
        throw new QonlineError('QONLINE_STORE', `cannot connect to PostgreSQL at ${this.where} for LISTEN: ${(e as Error).message}`, { cause: e });
      }
      return client;
    })();
    return this.listener;
  }

  private async relisten(): Promise<void> {
    if (this.closed || !this.channels.size) return;
    try {
      const client = await this.listenerClient();
      for (const name of this.channels.keys()) await client.query(`LISTEN "${name}"`);
      // Whatever was notified while the connection was down is lost: subscribers re-read.
      for (const set of this.channels.values()) for (const sub of set) sub.onResubscribed?.();
    } catch {
      const timer = setTimeout(() => void this.relisten(), 5000);
      timer.unref();
    }
  }

  /**
   * A session advisory lock on a dedicated connection: held until released or
   * until the connection drops (a process that dies frees it). Null when
   * `wait` is false and another session holds it.
   */
  async advisoryLock(name: string, options: { wait?: boolean } = {}): Promise<(() => Promise<void>) | null> {
    const client = new (pgLib().Client)(this.clientConfig);
    client.on('error', () => undefined);
    await client.connect();
    try {
      const sql = options.wait ? 'SELECT pg_advisory_lock(hashtextextended($1, 0)) AS ok' : 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok';
      const r = await client.query<{ ok: boolean | string }>(sql, [name]);
      if (!options.wait && r.rows[0]?.ok !== true) {
        await client.end();
        return null;
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw storeError(e, 'advisory lock');
    }
    this.lockClients.add(client);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.lockClients.delete(client);
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).catch(() => undefined);
      await client.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const l = await this.listener?.catch(() => undefined);
    this.listener = undefined;
    this.channels.clear();
    if (l) await l.end().catch(() => undefined);
    for (const c of this.lockClients) await c.end().catch(() => undefined);
    this.lockClients.clear();
    await this.pool.end();
  }
}

function storeError(e: unknown, sql: string): QonlineError {
  if (e instanceof QonlineError) return e;
  const err = e as Error & { code?: string };
  const what = sql.trim().split('\n')[0]!.slice(0, 80);
  const q = new QonlineError('QONLINE_STORE', `PostgreSQL: ${err.message}${err.code ? ` [${err.code}]` : ''} (in ${what})`, { cause: e });
  return q;
}

/** host:port/database, never the password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}
