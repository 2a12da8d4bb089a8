import { randomUUID } from 'node:crypto';
import type {
  DailyIcEntry,
  DailyIcFigures,
  DailyIcOwner,
  ExperimentStore,
  HistoryEntry,
  ManagerState,
  MigrationStatus,
  NewRecorder,
  ReadOnlyStore,
  RecorderFilter,
  RecorderInfo,
  RecorderStatus,
  ScoreKind,
  ScoreRows,
} from '../contracts/store.js';
import type { Clock } from '../contracts/logger.js';
import { QonlineError, stateConflict } from '../errors/index.js';
import { SystemClock } from '../kernel/clock.js';
import type { SqlDialect } from './sql-dialect.js';
import { chunkRows, migrate, migrationTable, type Migration, type MigrationSource, type SqlDriver, type SqlExecutor } from './sql-driver.js';
import { experimentMigrations } from './experiment-migrations.js';
import { SqlTaskPools } from './sql-task-pool.js';

interface RecorderRow {
  id: string;
  experiment: string;
  name: string;
  status: RecorderStatus;
  task_hash: string | null;
  created_at: string;
  finished_at: string | null;
  params: string;
  metrics: string;
  error: string | null;
}

/** Options of a SQL store. */
export interface SqlStoreOptions {
  /**
   * Operational time: the timestamps the store writes (created_at, updated_at)
   * and its task pools' wait deadlines and poll pauses. Default: the system
   * clock. Lease expiry is never read from it: leases use the database's time.
   */
  clock?: Clock;
}

const SYSTEM_CLOCK: Clock = new SystemClock();

/** NOTIFY channel of manager-state writes (a new state version); the payload is the manager name. */
const MANAGER_STATE_CHANNEL = 'qonline_manager_state';

/**
 * The experiment store over any SQL driver: portable SQL, with what differs
 * between databases taken from the driver's dialect, so every backend passes
 * one contract suite. Inside `transaction` every call goes through the
 * transaction's executor.
 */
export class SqlExperimentStore implements ExperimentStore {
  readonly backend: string;
  protected readonly d: SqlDialect;

  constructor(
    protected readonly driver: SqlDriver,
    protected readonly ex: SqlExecutor = driver,
    protected readonly inTransaction = false,
    /** Timestamps the store writes (see SqlStoreOptions.clock). */
    readonly clock: Clock = SYSTEM_CLOCK,
  ) {
    this.backend = driver.dialect.name;
    this.d = driver.dialect;
  }

  /**
   * Opens a store on `driver`: applies the store's migrations, then those
   * plugins registered (`registerMigrations`). On failure the driver is closed.
   */
  static async open(driver: SqlDriver, options: SqlStoreOptions = {}): Promise<SqlExperimentStore> {
    try {
      await migrateSqlStore(driver);
    } catch (e) {
      await driver.close().catch(() => undefined);
      throw e;
    }
    return new SqlExperimentStore(driver, driver, false, options.clock);
  }

  /**
   * Opens a store on `driver` for reading only: no migration is applied;
   * says which are applied and which pending. Null when the database holds
   * no store (its migration table is missing). On failure the driver is closed.
   */
  static async openReadOnly(driver: SqlDriver, options: SqlStoreOptions = {}): Promise<ReadOnlyStore | null> {
    try {
      const own = await appliedVersions(driver, 'qonline_migrations');
      if (own === null) {
        await driver.close();
        return null;
      }
      const migrations = [status('store', experimentMigrations(driver.dialect), own)];
      for (const [owner, source] of registeredMigrations) migrations.push(status(owner, resolveSource(source, driver.dialect), (await appliedVersions(driver, migrationTable(owner))) ?? []));
      const store = new SqlExperimentStore(driver, driver, false, options.clock);
      return {
        store,
        migrations,
        migrationsOnUse: async (owner, source) => {
          const applied = await appliedVersions(driver, migrationTable(owner));
          return applied === null ? null : status(owner, resolveSource(source, driver.dialect), applied);
        },
        stateWrittenAt: async (manager) => {
          const rows = await driver.all<{ at: string }>(`SELECT updated_at AS at FROM managers WHERE name = ?`, [manager]);
          return rows.length ? String(rows[0]!.at) : null;
        },
        close: () => store.close(),
      };
    } catch (e) {
      await driver.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * Applies a plugin's own migrations to this store's database now (each
   * once, in version order, under the migration lock; recorded in a table of
   * the plugin's own, so versions start at 1 for every owner), and to every
   * SQL store opened later in this process. A function receives the
   * dialect, for identity columns and table options.
   */
  async registerMigrations(owner: string, migrations: MigrationSource): Promise<number[]> {
    const table = migrationTable(owner);
    const list = resolveSource(migrations, this.d);
    const applied = await migrate(this.driver, list, table);
    registerMigrations(owner, migrations);
    return applied;
  }

  /** The driver's dialect (for plugins writing SQL of their own against this store). */
  get dialect(): SqlDialect {
    return this.d;
  }

  async transaction<T>(fn: (tx: ExperimentStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.driver.transaction((tx) => fn(new SqlExperimentStore(this.driver, tx, true, this.clock)));
  }

  /** Runs a multi-statement write atomically (joins the current transaction if any). */
  protected atomically<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this.ex);
    return this.driver.transaction(fn);
  }

  async tryLock(name: string): Promise<(() => Promise<void>) | null> {
    // A database without cross-process locks is reached from one machine: the home lock already excludes a second writer.
    if (!this.driver.advisoryLock) return async () => undefined;
    return this.driver.advisoryLock(name, { wait: false });
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await this.driver.close();
  }

  /** The executor statements go through (the transaction's, inside `transaction`): lets a task pool join it. */
  get executor(): SqlExecutor {
    return this.ex;
  }

  /** Task pools in this store's database (TaskPoolHost). */
  taskPools(): SqlTaskPools {
    this.pools ??= new SqlTaskPools(this.driver, this.clock);
    return this.pools;
  }
  private pools?: SqlTaskPools;

  private nowIso(): string {
    return this.clock.now().toISOString();
  }

  async ensureExperiment(name: string): Promise<void> {
    await this.ex.run(`INSERT INTO experiments (name, created_at) VALUES (?, ?) ${this.d.upsert(['name'], 'nothing')}`, [name, this.nowIso()]);
  }

  async listExperiments(): Promise<string[]> {
    const rows = await this.ex.all<{ name: string }>(`SELECT name FROM experiments ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async createRecorder(input: NewRecorder): Promise<RecorderInfo> {
    const id = randomUUID().replace(/-/g, '');
    const createdAt = this.nowIso();
    await this.atomically(async (ex) => {
      await ex.run(`INSERT INTO experiments (name, created_at) VALUES (?, ?) ${this.d.upsert(['name'], 'nothing')}`, [input.experiment, createdAt]);
      try {
        await ex.run(
          `INSERT INTO recorders (id, experiment, name, status, task_hash, created_at, finished_at, params, metrics, error) VALUES (?, ?, ?, 'RUNNING', ?, ?, NULL, ?, '{}', NULL)`,
          [id, input.experiment, input.name, input.taskHash, createdAt, JSON.stringify(input.params ?? {})],
        );
      } catch (e) {
        if (this.d.classify(e) === 'unique_violation') {
          throw new QonlineError('QONLINE_STORE', `experiment ${input.experiment} already has a recorder for task ${input.taskHash}`, { cause: e });
        }
        throw e;
      }
      const tags = Object.entries(input.tags ?? {});
      if (tags.length) {
        await ex.run(`INSERT INTO recorder_tags (recorder_id, key, value) VALUES ${this.d.bulkValues(tags.length, 3)}`, tags.flatMap(([k, v]) => [id, k, v]));
      }
    });
    return {
      id,
      experiment: input.experiment,
      name: input.name,
      status: 'RUNNING',
      taskHash: input.taskHash,
      createdAt,
      finishedAt: null,
      params: input.params ?? {},
      metrics: {},
      tags: { ...(input.tags ?? {}) },
      error: null,
    };
  }

  async findRecorderByTaskHash(experiment: string, taskHash: string): Promise<RecorderInfo | undefined> {
    const rows = await this.ex.all<RecorderRow>(`SELECT * FROM recorders WHERE experiment = ? AND task_hash = ?`, [experiment, taskHash]);
    return rows.length ? (await this.hydrate(rows))[0] : undefined;
  }

  async getRecorder(id: string): Promise<RecorderInfo> {
    const rows = await this.ex.all<RecorderRow>(`SELECT * FROM recorders WHERE id = ?`, [id]);
    if (!rows.length) throw new QonlineError('QONLINE_NOT_FOUND', `no recorder with id ${id}`);
    return (await this.hydrate(rows))[0]!;
  }

  async listRecorders(filter: RecorderFilter = {}): Promise<RecorderInfo[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.experiment !== undefined) {
      where.push('r.experiment = ?');
      params.push(filter.experiment);
    }
    if (filter.status !== undefined) {
      where.push('r.status = ?');
      params.push(filter.status);
    }
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      where.push(`r.id IN (${filter.ids.map(() => '?').join(', ')})`);
      params.push(...filter.ids);
    }
    for (const [k, v] of Object.entries(filter.tags ?? {})) {
      where.push(`EXISTS (SELECT 1 FROM recorder_tags t WHERE t.recorder_id = r.id AND t.key = ? AND t.value = ?)`);
      params.push(k, v);
    }
    const rows = await this.ex.all<RecorderRow>(
      `SELECT r.* FROM recorders r ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.created_at, r.id`,
      params,
    );
    return this.hydrate(rows);
  }

  private async hydrate(rows: RecorderRow[]): Promise<RecorderInfo[]> {
    if (!rows.length) return [];
    const tags = new Map<string, Record<string, string>>();
    for (const chunk of chunkRows(rows, 1, this.driver.maxParams)) {
      const t = await this.ex.all<{ recorder_id: string; key: string; value: string }>(
        `SELECT recorder_id, key, value FROM recorder_tags WHERE recorder_id IN (${chunk.map(() => '?').join(', ')})`,
        chunk.map((r) => r.id),
      );
      for (const row of t) {
        const m = tags.get(row.recorder_id) ?? {};
        m[row.key] = row.value;
        tags.set(row.recorder_id, m);
      }
    }
    return rows.map((r) => ({
      id: r.id,
      experiment: r.experiment,
      name: r.name,
      status: r.status,
      taskHash: r.task_hash,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      params: JSON.parse(r.params) as Record<string, unknown>,
      metrics: JSON.parse(r.metrics) as Record<string, number>,
      tags: tags.get(r.id) ?? {},
      error: r.error,
    }));
  }

  async updateRecorder(
    id: string,
    patch: { status?: RecorderStatus; metrics?: Record<string, number>; error?: string | null; params?: Record<string, unknown> },
  ): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (patch.status) {
      sets.push('status = ?');
      params.push(patch.status);
      if (patch.status !== 'RUNNING') {
        sets.push('finished_at = ?');
        params.push(this.nowIso());
      }
    }
    if (patch.metrics) {
      sets.push('metrics = ?');
      params.push(JSON.stringify(patch.metrics));
    }
    if (patch.params) {
      sets.push('params = ?');
      params.push(JSON.stringify(patch.params));
    }
    if (patch.error !== undefined) {
      sets.push('error = ?');
      params.push(patch.error);
    }
    if (!sets.length) return;
    await this.atomically(async (ex) => {
      const res = await ex.run(`UPDATE recorders SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
      if (res.changes === 0) throw new QonlineError('QONLINE_NOT_FOUND', `no recorder with id ${id}`);
      // Whether its labels count for the signals' IC (FINISHED recorders' do) may have changed.
      if (patch.status) await this.signalIcChangedAtDatesOf(ex, id);
    });
  }

  async deleteRecorder(id: string): Promise<void> {
    await this.atomically(async (ex) => {
      await this.signalIcChangedAtDatesOf(ex, id);
      await ex.run(`DELETE FROM daily_ic WHERE kind = 'recorder' AND owner = ?`, [id]);
      // Explicit deletes: do not depend on ON DELETE CASCADE being enabled.
      await ex.run(`DELETE FROM scores WHERE recorder_id = ?`, [id]);
      await ex.run(`DELETE FROM artifacts WHERE recorder_id = ?`, [id]);
      await ex.run(`DELETE FROM recorder_tags WHERE recorder_id = ?`, [id]);
      await ex.run(`DELETE FROM recorders WHERE id = ?`, [id]);
    });
  }

  async setTags(ids: string[], tags: Record<string, string>): Promise<void> {
    const entries = Object.entries(tags);
    if (!ids.length || !entries.length) return;
    const rows = ids.flatMap((id) => entries.map(([k, v]) => [id, k, v] as const));
    await this.atomically(async (ex) => {
      for (const chunk of chunkRows(rows, 3, this.driver.maxParams)) {
        await ex.run(
          `INSERT INTO recorder_tags (recorder_id, key, value) VALUES ${this.d.bulkValues(chunk.length, 3)} ${this.d.upsert(['recorder_id', 'key'], ['value'])}`,
          chunk.flat(),
        );
      }
    });
  }

  async putArtifact(recorderId: string, name: string, value: unknown): Promise<void> {
    await this.ex.run(
      `INSERT INTO artifacts (recorder_id, name, content) VALUES (?, ?, ?) ${this.d.upsert(['recorder_id', 'name'], ['content'])}`,
      [recorderId, name, JSON.stringify(value)],
    );
  }

  async getArtifact<T = unknown>(recorderId: string, name: string): Promise<T | undefined> {
    const rows = await this.ex.all<{ content: string }>(`SELECT content FROM artifacts WHERE recorder_id = ? AND name = ?`, [recorderId, name]);
    return rows.length ? (JSON.parse(rows[0]!.content) as T) : undefined;
  }

  async listArtifacts(recorderId: string): Promise<string[]> {
    const rows = await this.ex.all<{ name: string }>(`SELECT name FROM artifacts WHERE recorder_id = ? ORDER BY name`, [recorderId]);
    return rows.map((r) => r.name);
  }

  async writeScores(recorderId: string, kind: ScoreKind, rows: ScoreRows): Promise<void> {
    const n = rows.scores.length;
    const flat: unknown[][] = [];
    for (let i = 0; i < n; i++) {
      const s = rows.scores[i]!;
      if (Number.isFinite(s)) flat.push([recorderId, kind, rows.dates[i], rows.instruments[i], s]);
    }
    if (!flat.length) return;
    await this.atomically(async (ex) => {
      for (const chunk of chunkRows(flat, 5, this.driver.maxParams)) {
        await ex.run(
          `INSERT INTO scores (recorder_id, kind, date, instrument, score) VALUES ${this.d.bulkValues(chunk.length, 5)} ${this.d.upsert(['recorder_id', 'kind', 'date', 'instrument'], ['score'])}`,
          chunk.flat(),
        );
      }
      const dates = distinctDates(flat, 2);
      await this.dailyIcChanged(ex, 'recorder', recorderId, dates);
      // Labels of any recorder may be the ones the signals' IC matches at these dates.
      if (kind === 'label') await this.signalIcChanged(ex, dates);
    });
  }

  async readScores(recorderId: string, kind: ScoreKind, range: { start?: string; end?: string | null } = {}): Promise<ScoreRows> {
    return this.readDated('scores', ['recorder_id', 'kind'], [recorderId, kind], range);
  }

  /** Rows (date, instrument, score) of `table` matching `keys`, in a date range, date-major. */
  private async readDated(table: 'scores' | 'signals', keys: string[], values: unknown[], range: { start?: string; end?: string | null }): Promise<ScoreRows> {
    const where = keys.map((k) => `${k} = ?`);
    const params = [...values];
    if (range.start) {
      where.push('date >= ?');
      params.push(range.start);
    }
    if (range.end) {
      where.push('date <= ?');
      params.push(range.end);
    }
    const rows = await this.ex.all<{ date: string; instrument: string; score: number }>(
      `SELECT date, instrument, score FROM ${table} WHERE ${where.join(' AND ')} ORDER BY date, instrument`,
      params,
    );
    return toScoreRows(rows);
  }

  async lastScoreDate(recorderId: string, kind: ScoreKind): Promise<string | null> {
    const rows = await this.ex.all<{ d: string | null }>(`SELECT MAX(date) AS d FROM scores WHERE recorder_id = ? AND kind = ?`, [recorderId, kind]);
    return rows[0]?.d ?? null;
  }

  async getManager(name: string): Promise<ManagerState | undefined> {
    const rows = await this.ex.all<{ state: string }>(`SELECT state FROM managers WHERE name = ?`, [name]);
    return rows.length ? (JSON.parse(rows[0]!.state) as ManagerState) : undefined;
  }

  async listManagers(): Promise<string[]> {
    const rows = await this.ex.all<{ name: string }>(`SELECT name FROM managers ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async putManager(state: ManagerState, expectedVersion: number): Promise<void> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0) {
      throw new QonlineError('QONLINE_USAGE', `putManager needs the state version the change started from (an integer >= 0), got ${String(expectedVersion)}`);
    }
    const values = [state.name, JSON.stringify(state), state.beginTime, state.lastRoutine, state.stateVersion, state.configHash, this.nowIso()];
    // One conditional statement: the row changes only if it still has the version the caller read (optimistic concurrency).
    const r =
      expectedVersion === 0
        ? await this.ex.run(
            `INSERT INTO managers (name, state, begin_time, last_routine, state_version, config_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ${this.d.upsert(['name'], ['state', 'begin_time', 'last_routine', 'state_version', 'config_hash', 'updated_at'], 'managers.state_version = 0')}`,
            values,
          )
        : await this.ex.run(
            `UPDATE managers SET state = ?, begin_time = ?, last_routine = ?, state_version = ?, config_hash = ?, updated_at = ? WHERE name = ? AND state_version = ?`,
            [...values.slice(1), state.name, expectedVersion],
          );
    if (r.changes === 0) {
      const rows = await this.ex.all<{ v: number }>(`SELECT state_version AS v FROM managers WHERE name = ?`, [state.name]);
      const now = rows.length ? `version ${Number(rows[0]!.v)}` : 'no stored state';
      throw stateConflict(state.name, expectedVersion, now);
    }
    // Sent through the same executor: inside a transaction it goes out when that commits, with the data the version labels.
    if (this.driver.notify) await this.driver.notify(this.ex, MANAGER_STATE_CHANNEL, state.name);
  }

  async watchManagers(onChange: (manager: string | null) => void): Promise<(() => Promise<void>) | null> {
    if (!this.driver.listen) return null;
    return this.driver.listen(MANAGER_STATE_CHANNEL, (payload) => onChange(payload), () => onChange(null));
  }

  async appendHistory(entry: Omit<HistoryEntry, 'seq' | 'createdAt'>): Promise<HistoryEntry> {
    return this.atomically(async (ex) => {
      const rows = await ex.all<{ m: number | null }>(`SELECT MAX(seq) AS m FROM history WHERE manager = ? AND strategy = ?`, [entry.manager, entry.strategy]);
      const seq = Number(rows[0]?.m ?? 0) + 1;
      const createdAt = this.nowIso();
      await ex.run(
        `INSERT INTO history (manager, strategy, seq, effective_date, recorder_ids, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [entry.manager, entry.strategy, seq, entry.effectiveDate, JSON.stringify(entry.recorderIds), entry.reason, createdAt],
      );
      return { ...entry, seq, createdAt };
    });
  }

  async listHistory(manager: string, strategy?: string): Promise<HistoryEntry[]> {
    const rows = await this.ex.all<{ manager: string; strategy: string; seq: number; effective_date: string; recorder_ids: string; reason: string; created_at: string }>(
      `SELECT * FROM history WHERE manager = ?${strategy ? ' AND strategy = ?' : ''} ORDER BY strategy, seq`,
      strategy ? [manager, strategy] : [manager],
    );
    return rows.map((r) => ({
      manager: r.manager,
      strategy: r.strategy,
      seq: Number(r.seq),
      effectiveDate: r.effective_date,
      recorderIds: JSON.parse(r.recorder_ids) as string[],
      reason: r.reason,
      createdAt: r.created_at,
    }));
  }

  async replaceSignals(manager: string, dates: string[], rows: ScoreRows, stateVersion: number): Promise<void> {
    await this.atomically(async (ex) => {
      for (const chunk of chunkRows(dates, 1, this.driver.maxParams - 1)) {
        await ex.run(`DELETE FROM signals WHERE manager = ? AND date IN (${chunk.map(() => '?').join(', ')})`, [manager, ...chunk]);
      }
      const flat: unknown[][] = [];
      for (let i = 0; i < rows.scores.length; i++) {
        const s = rows.scores[i]!;
        if (Number.isFinite(s)) flat.push([manager, rows.dates[i], rows.instruments[i], s, stateVersion]);
      }
      for (const chunk of chunkRows(flat, 5, this.driver.maxParams)) {
        await ex.run(
          `INSERT INTO signals (manager, date, instrument, score, state_version) VALUES ${this.d.bulkValues(chunk.length, 5)}
           ${this.d.upsert(['manager', 'date', 'instrument'], ['score', 'state_version'])}`,
          chunk.flat(),
        );
      }
      await this.dailyIcChanged(ex, 'signals', manager, [...new Set([...dates, ...distinctDates(flat, 1)])]);
    });
  }

  async readSignals(manager: string, range: { start?: string; end?: string | null } = {}): Promise<ScoreRows> {
    return this.readDated('signals', ['manager'], [manager], range);
  }

  async readDailyIc(owner: DailyIcOwner): Promise<DailyIcEntry[]> {
    const rows = await this.ex.all<{ date: string; changed: string; computed: string | null; basis: string | null; row_count: number | null; ic: number | null; rank_ic: number | null }>(
      `SELECT date, changed, computed, basis, row_count, ic, rank_ic FROM daily_ic WHERE kind = ? AND owner = ? ORDER BY date`,
      [owner.kind, ownerKey(owner)],
    );
    return rows.map((r) => ({
      date: r.date,
      changed: r.changed,
      figures:
        r.computed === r.changed
          ? { basis: r.basis ?? '', rows: Number(r.row_count), ic: r.ic === null ? null : Number(r.ic), rankIc: r.rank_ic === null ? null : Number(r.rank_ic) }
          : null,
    }));
  }

  async writeDailyIc(owner: DailyIcOwner, entries: { date: string; changed: string; figures: DailyIcFigures }[]): Promise<void> {
    if (!entries.length) return;
    const key = ownerKey(owner);
    await this.atomically(async (ex) => {
      for (const { date, changed, figures: f } of entries) {
        // Only where no write came since the rows were read (`changed` is still the token read).
        if (f.rows === 0) await ex.run(`DELETE FROM daily_ic WHERE kind = ? AND owner = ? AND date = ? AND changed = ?`, [owner.kind, key, date, changed]);
        else {
          await ex.run(`UPDATE daily_ic SET computed = changed, basis = ?, row_count = ?, ic = ?, rank_ic = ? WHERE kind = ? AND owner = ? AND date = ? AND changed = ?`, [
            f.basis,
            f.rows,
            f.ic,
            f.rankIc,
            owner.kind,
            key,
            date,
            changed,
          ]);
        }
      }
    });
  }

  /** Marks the owner's daily IC at `dates` stale (creating the entries), in the write's transaction. */
  private async dailyIcChanged(ex: SqlExecutor, kind: DailyIcOwner['kind'], owner: string, dates: string[]): Promise<void> {
    const token = randomUUID();
    const rows = dates.map((d) => [kind, owner, d, token]);
    for (const chunk of chunkRows(rows, 4, this.driver.maxParams)) {
      await ex.run(`INSERT INTO daily_ic (kind, owner, date, changed) VALUES ${this.d.bulkValues(chunk.length, 4)} ${this.d.upsert(['kind', 'owner', 'date'], ['changed'])}`, chunk.flat());
    }
  }

  /** Marks every manager's signal IC at `dates` stale. */
  private async signalIcChanged(ex: SqlExecutor, dates: string[]): Promise<void> {
    const token = randomUUID();
    for (const chunk of chunkRows(dates, 1, this.driver.maxParams - 1)) {
      await ex.run(`UPDATE daily_ic SET changed = ? WHERE kind = 'signals' AND date IN (${chunk.map(() => '?').join(', ')})`, [token, ...chunk]);
    }
  }

  /** Marks every manager's signal IC stale at the dates a recorder has scores (its own entries list them: one row a date). */
  private async signalIcChangedAtDatesOf(ex: SqlExecutor, recorderId: string): Promise<void> {
    await ex.run(`UPDATE daily_ic SET changed = ? WHERE kind = 'signals' AND date IN (SELECT date FROM daily_ic WHERE kind = 'recorder' AND owner = ?)`, [randomUUID(), recorderId]);
  }

  async signalDates(manager: string): Promise<string[]> {
    const rows = await this.ex.all<{ date: string }>(`SELECT DISTINCT date FROM signals WHERE manager = ? ORDER BY date`, [manager]);
    return rows.map((r) => r.date);
  }
}

/** Plugin migrations applied to every SQL store opened in this process, by owner. */
const registeredMigrations = new Map<string, MigrationSource>();

/**
 * Registers a plugin's migrations for every SQL store opened from now on in
 * this process (`SqlExperimentStore.open`); see `registerMigrations` on the
 * store to apply them to one already open.
 */
export function registerMigrations(owner: string, migrations: MigrationSource): void {
  migrationTable(owner);
  registeredMigrations.set(owner, migrations);
}

/** Applies the store's migrations, then the registered plugins' (`registerMigrations`), to `driver`'s database. */
export async function migrateSqlStore(driver: SqlDriver): Promise<void> {
  const tables: [string, readonly Migration[]][] = [['qonline_migrations', experimentMigrations(driver.dialect)]];
  for (const [owner, source] of registeredMigrations) tables.push([migrationTable(owner), resolveSource(source, driver.dialect)]);
  if (await allApplied(driver, tables)) return;
  for (const [table, migrations] of tables) await migrate(driver, migrations, table);
}

/**
 * Whether every migration of every table is recorded as applied, in one read
 * outside any transaction: a store opened before (every routine) then skips
 * the write lock and the two transactions per migration `migrate` takes.
 * Applied versions are never removed, so a complete answer stays true; any
 * failure (a table not created yet) answers false and `migrate` does the rest.
 */
async function allApplied(driver: SqlDriver, tables: readonly [string, readonly Migration[]][]): Promise<boolean> {
  // Table names are plain identifiers (checked by migrationTable); the index says which table a row is from.
  const sql = tables.map(([table], i) => `SELECT ${i} AS t, version FROM ${table}`).join(' UNION ALL ');
  let rows: { t: number | string; version: number | string }[];
  try {
    rows = await driver.all(sql);
  } catch {
    return false;
  }
  const applied = new Set(rows.map((r) => `${Number(r.t)}:${Number(r.version)}`));
  return tables.every(([, migrations], i) => migrations.every((m) => applied.has(`${i}:${m.version}`)));
}

/** Versions recorded in a migration table; null when the table does not exist (the database itself answers). */
async function appliedVersions(driver: SqlDriver, table: string): Promise<number[] | null> {
  try {
    return (await driver.all<{ version: number }>(`SELECT version FROM ${table} ORDER BY version`)).map((r) => Number(r.version));
  } catch {
    // The query failed but the database answers: the table is missing. A database that does not answer throws here.
    await driver.all('SELECT 1');
    return null;
  }
}

function status(owner: string, known: readonly Migration[], applied: number[]): MigrationStatus {
  const done = new Set(applied);
  const knownVersions = new Set(known.map((m) => m.version));
  return {
    owner,
    applied,
    pending: known.filter((m) => !done.has(m.version)).map((m) => ({ version: m.version, name: m.name })),
    newer: applied.filter((v) => !knownVersions.has(v)),
  };
}

function resolveSource(source: MigrationSource, dialect: SqlDialect): readonly Migration[] {
  const list = typeof source === 'function' ? source(dialect) : source;
  const seen = new Set<number>();
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version < 1 || seen.has(m.version)) {
      throw new QonlineError('QONLINE_USAGE', `migration versions are distinct integers >= 1, got ${JSON.stringify(m.version)} (${m.name})`);
    }
    seen.add(m.version);
  }
  return list;
}

function ownerKey(owner: DailyIcOwner): string {
  return owner.kind === 'recorder' ? owner.id : owner.manager;
}

/** The distinct dates (column `col`) of rows. */
function distinctDates(rows: unknown[][], col: number): string[] {
  return [...new Set(rows.map((r) => r[col] as string))];
}

function toScoreRows(rows: { date: string; instrument: string; score: number }[]): ScoreRows {
  const dates = new Array<string>(rows.length);
  const instruments = new Array<string>(rows.length);
  const scores = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    dates[i] = r.date;
    instruments[i] = r.instrument;
    scores[i] = Number(r.score);
  }
  return { dates, instruments, scores };
}
