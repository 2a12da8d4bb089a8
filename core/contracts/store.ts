import type { MigrationSource } from '../store/sql-driver.js';

export type RecorderStatus = 'RUNNING' | 'FINISHED' | 'FAILED';

/**
 * Recorder params written at creation: what later steps need without loading
 * the task (typed; read `r.params.model_class`, never by a string key).
 * Recorders written by other tools may lack them, hence optional.
 */
export interface RecorderParams {
  /** The task's model class as written in YAML (e.g. `LGBModel`). */
  model_class?: string;
  /** First date of the task's test segment. */
  test_start?: string;
  /** Last date of the test segment; null = open. */
  test_end?: string | null;
  /**
   * Two-phase training: `recorded` (a delayed trainer's `train`, Qlib's
   * begin_task_train: the task saved, nothing fitted yet), `fitted` between
   * fit and finish, then `finished`.
   */
  phase?: 'recorded' | 'fitted' | 'finished';
  /** `qonline models import`: where the model came from (`imported from FILE, sha256 HEX`), its format and the file's sha256. */
  lineage?: string;
  import_format?: string;
  import_sha256?: string;
  /** Other params a record or plugin stores. */
  [extra: string]: unknown;
}

export interface RecorderInfo {
  id: string;
  experiment: string;
  name: string;
  status: RecorderStatus;
  /** sha256 of the canonical task JSON; unique per experiment. */
  taskHash: string | null;
  createdAt: string;
  finishedAt: string | null;
  params: RecorderParams;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  error: string | null;
}

export interface RecorderFilter {
  experiment?: string;
  status?: RecorderStatus;
  /** All given tags must match. */
  tags?: Record<string, string>;
  ids?: string[];
}

/** Scores keyed by (date, instrument): an I/O edge, so plain arrays. */
export interface ScoreRows {
  dates: string[];
  instruments: string[];
  scores: Float64Array;
}

export type ScoreKind = 'pred' | 'label';

/** Whose daily IC: a recorder's (its predictions against its own labels) or a manager's signals'. */
export type DailyIcOwner = { kind: 'recorder'; id: string } | { kind: 'signals'; manager: string };

/** One date's IC figures, as `qonline run`'s summary computes them from that date's rows. */
export interface DailyIcFigures {
  /** What else the figures depend on, chosen by the caller (signals: the experiments whose labels they use). */
  basis: string;
  /** Rows of the owner at the date (a recorder's scores, pred and label; a manager's signals); 0 removes the date. */
  rows: number;
  /** Null: the date does not count in the mean (fewer than 2 matched rows, or not finite). */
  ic: number | null;
  rankIc: number | null;
}

export interface DailyIcEntry {
  date: string;
  /** Token of the last change to the date's rows (a write passes it back with new figures). */
  changed: string;
  /** Null: stale (the rows changed since the figures were computed, or never computed). */
  figures: DailyIcFigures | null;
}

export interface HistoryEntry {
  manager: string;
  strategy: string;
  seq: number;
  /** The routine (market) date from which this online set applies. */
  effectiveDate: string;
  recorderIds: string[];
  reason: string;
  createdAt: string;
}

export interface ManagerState {
  name: string;
  beginTime: string | null;
  freq: string;
  lastRoutine: string | null;
  stateVersion: number;
  configHash: string;
  /** Strategy name -> fingerprint of its task templates and generator. */
  strategies: Record<string, { experiment: string; fingerprint: string; firstTrained: boolean }>;
  /**
   * Signal preparation a simulation with a delayed trainer postponed to its
   * end (from this date; null: every date). Kept in the state so a killed
   * simulation is finished by the next run.
   */
  postponedSignals?: { from: string | null } | null;
}

export interface NewRecorder {
  experiment: string;
  name: string;
  taskHash: string | null;
  params?: RecorderParams;
  tags?: Record<string, string>;
}

/**
 * Experiments, recorders, artifacts, predictions, signals, manager state and
 * history. Every method is atomic; `transaction` groups several into one.
 */
export interface ExperimentStore {
  readonly backend: string;
  transaction<T>(fn: (tx: ExperimentStore) => Promise<T>): Promise<T>;
  close(): Promise<void>;

  ensureExperiment(name: string): Promise<void>;
  listExperiments(): Promise<string[]>;

  /** Creates a RUNNING recorder; fails with QONLINE_STORE if (experiment, taskHash) exists. */
  createRecorder(input: NewRecorder): Promise<RecorderInfo>;
  findRecorderByTaskHash(experiment: string, taskHash: string): Promise<RecorderInfo | undefined>;
  getRecorder(id: string): Promise<RecorderInfo>;
  listRecorders(filter?: RecorderFilter): Promise<RecorderInfo[]>;
  updateRecorder(id: string, patch: { status?: RecorderStatus; metrics?: Record<string, number>; error?: string | null; params?: RecorderParams }): Promise<void>;
  deleteRecorder(id: string): Promise<void>;
  /** Sets (merges) tags on several recorders at once. */
  setTags(ids: string[], tags: Record<string, string>): Promise<void>;

  putArtifact(recorderId: string, name: string, value: unknown): Promise<void>;
  getArtifact<T = unknown>(recorderId: string, name: string): Promise<T | undefined>;
  listArtifacts(recorderId: string): Promise<string[]>;

  /** Upserts rows; NaN scores are not stored. */
  writeScores(recorderId: string, kind: ScoreKind, rows: ScoreRows): Promise<void>;
  readScores(recorderId: string, kind: ScoreKind, range?: { start?: string; end?: string | null }): Promise<ScoreRows>;
  lastScoreDate(recorderId: string, kind: ScoreKind): Promise<string | null>;

  getManager(name: string): Promise<ManagerState | undefined>;
  listManagers(): Promise<string[]>;
  /**
   * Writes `state` only if the stored `stateVersion` is still `expectedVersion`,
   * the version the caller read before its change (0: none stored yet);
   * otherwise fails with QONLINE_STATE_CONFLICT and writes nothing (inside a
   * transaction, the caller's whole commit rolls back).
   */
  putManager(state: ManagerState, expectedVersion: number): Promise<void>;
  /**
   * Optional: calls `onChange(manager)` when any process commits a new
   * manager state (a new state version), and `onChange(null)` when changes
   * may have been missed (the listening connection was re-established).
   * Resolves to the unsubscribe, or null when the backend cannot notify
   * across processes (readers then check the version themselves).
   */
  watchManagers?(onChange: (manager: string | null) => void): Promise<(() => Promise<void>) | null>;
  appendHistory(entry: Omit<HistoryEntry, 'seq' | 'createdAt'>): Promise<HistoryEntry>;
  listHistory(manager: string, strategy?: string): Promise<HistoryEntry[]>;

  /** Replaces the signals of exactly the given dates (rows for other dates untouched). */
  replaceSignals(manager: string, dates: string[], rows: ScoreRows, stateVersion: number): Promise<void>;
  readSignals(manager: string, range?: { start?: string; end?: string | null }): Promise<ScoreRows>;
  signalDates(manager: string): Promise<string[]>;
  /**
   * Optional (both or neither): a per-date IC cache, so the run summary reads
   * only the dates whose rows changed. A store that has it keeps one entry per
   * date holding rows of the owner, and marks it stale in the same transaction
   * as any write that can change its figures: scores of the recorder at that
   * date; for signals, signals at that date, labels of any recorder at that
   * date, and a recorder's status change or deletion (at its score dates).
   * Without it the summary reads every row.
   */
  readDailyIc?(owner: DailyIcOwner): Promise<DailyIcEntry[]>;
  /** Stores figures of dates whose `changed` token is still the one read (others stay stale). */
  writeDailyIc?(owner: DailyIcOwner, entries: { date: string; changed: string; figures: DailyIcFigures }[]): Promise<void>;
  /**
   * Takes a named lock shared by every process using this store (machines
   * included) without waiting; null when someone else holds it. Stores
   * reached by one machine only may omit it (the home lock covers them).
   */
  tryLock?(name: string): Promise<(() => Promise<void>) | null>;
}

/** The schema migrations of one owner (the store itself, or a plugin) in a database. */
export interface MigrationStatus {
  /** `store`, or the plugin that registered them. */
  owner: string;
  /** Versions applied. */
  applied: number[];
  /** Known to this qonline and not applied yet (the next writing command applies them). */
  pending: { version: number; name: string }[];
  /** Applied but unknown to this qonline: the database was migrated by a newer version. */
  newer: number[];
}

/** A store opened for reading only (`qonline doctor`): nothing is created, migrated or written. */
export interface ReadOnlyStore {
  store: ExperimentStore;
  /** The store's own migrations first, then those plugins registered. */
  migrations: MigrationStatus[];
  /**
   * Migrations a plugin applies when first used (`migrationsOnUse`), against
   * this store; null when the store has none of them (the plugin was never
   * used with it).
   */
  migrationsOnUse(owner: string, migrations: MigrationSource): Promise<MigrationStatus | null>;
  /** When the manager's state was last written (ISO time: its last routine or training), null without a state. */
  stateWrittenAt(manager: string): Promise<string | null>;
  close(): Promise<void>;
}
